import { describe, expect, it } from 'vitest';
import {
  ConsentError,
  PURPOSES,
  consentChangeSummary,
  consentRecordSchema,
  effectiveConsent,
  fromGpc,
  fromSegmentCategoryPreferences,
  parseConsentRecord,
  parsePurpose,
  purposeSchema,
  type ConsentDefaults,
  type ConsentPolicy,
  type ConsentRecord,
  type Purpose,
} from '../../domain/consent';
import { TcfError, consentFromTcf, decodeTcf } from '../../domain/tcf';
import { encodeTcf } from '../support/tcf';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** Opt-in law: nothing without consent. */
const GDPR_LIKE: ConsentPolicy = {
  name: 'GDPR',
  gpcHonoured: false,
  defaults: {
    emailMarketing: 'denied',
    smsMarketing: 'denied',
    push: 'denied',
    personalisedAds: 'denied',
    analytics: 'denied',
    saleSharing: 'denied',
    crossBorderTransfer: 'denied',
  },
};

/** Opt-out law: sale/sharing allowed until the person opts out. */
const CCPA_LIKE: ConsentPolicy = {
  name: 'CCPA',
  gpcHonoured: true,
  defaults: {
    emailMarketing: 'granted',
    smsMarketing: 'denied',
    push: 'granted',
    personalisedAds: 'granted',
    analytics: 'granted',
    saleSharing: 'granted',
    crossBorderTransfer: 'granted',
  },
};

const ALL_PURPOSES_LISTED =
  /emailMarketing, smsMarketing, push, personalisedAds, analytics, saleSharing, crossBorderTransfer/;

function record(
  purpose: Purpose,
  state: ConsentRecord['state'],
  at: string,
  source: ConsentRecord['source'] = 'preference-centre',
): ConsentRecord {
  return { purpose, state, source, at, proof: { kind: 'form-submission', reference: `form-${purpose}-${at}` } };
}

const ORIGIN = { at: '2025-06-02T10:00:00.000Z', proof: { kind: 'segment-message', reference: 'msg-1' } };

// ---------------------------------------------------------------------------------------------
// Purposes
// ---------------------------------------------------------------------------------------------

describe('purposes', () => {
  it('lists the seven purposes', () => {
    expect(PURPOSES).toEqual([
      'emailMarketing',
      'smsMarketing',
      'push',
      'personalisedAds',
      'analytics',
      'saleSharing',
      'crossBorderTransfer',
    ]);
  });

  it('names the valid purposes when given an unknown one', () => {
    expect(parsePurpose('analytics')).toBe('analytics');
    expect(() => parsePurpose('newsletter')).toThrow(ConsentError);
    expect(() => parsePurpose('newsletter')).toThrow(
      /unknown consent purpose "newsletter": use one of emailMarketing, smsMarketing/,
    );
    expect(() => parsePurpose('newsletter')).toThrow(ALL_PURPOSES_LISTED);

    const parsed = purposeSchema.safeParse('Analytics');
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(ALL_PURPOSES_LISTED);
  });

  it('validates records at the boundary, naming the field', () => {
    const good = record('emailMarketing', 'granted', '2025-01-01T00:00:00Z');
    expect(consentRecordSchema.parse(good)).toEqual(good);

    const badPurpose = parseConsentRecord({ ...good, purpose: 'newsletter' });
    expect(badPurpose.ok).toBe(false);
    expect(!badPurpose.ok && badPurpose.reason).toMatch(
      /^purpose must be one of emailMarketing, .*crossBorderTransfer$/,
    );

    const localTime = parseConsentRecord({ ...good, at: '2025-01-01T00:00:00' });
    expect(!localTime.ok && localTime.reason).toBe('at must be an ISO 8601 instant in UTC (ending in Z)');

    const badState = parseConsentRecord({ ...good, state: 'maybe' });
    expect(!badState.ok && badState.reason).toBe('state must be one of granted, denied, withdrawn');
  });
});

// ---------------------------------------------------------------------------------------------
// Effective consent
// ---------------------------------------------------------------------------------------------

describe('effective consent', () => {
  it('takes the latest explicit record, whatever the order of the list', () => {
    const grant = record('emailMarketing', 'granted', '2025-03-01T09:00:00Z');
    const withdraw = record('emailMarketing', 'withdrawn', '2025-04-01T09:00:00Z');
    const regrant = record('emailMarketing', 'granted', '2025-05-01T09:00:00Z');

    const afterWithdrawal = effectiveConsent([withdraw, grant], GDPR_LIKE.defaults);
    expect(afterWithdrawal.emailMarketing).toEqual({ state: 'denied', basis: 'explicit', record: withdraw });

    const afterRegrant = effectiveConsent([regrant, grant, withdraw], GDPR_LIKE.defaults);
    expect(afterRegrant.emailMarketing).toEqual({ state: 'granted', basis: 'explicit', record: regrant });
  });

  it('compares instants, not strings, when precision differs', () => {
    const earlier = record('analytics', 'granted', '2025-03-01T09:00:00.900Z');
    const later = record('analytics', 'denied', '2025-03-01T09:00:01Z');
    expect(effectiveConsent([later, earlier], CCPA_LIKE.defaults).analytics.state).toBe('denied');
  });

  it('lets a denial or withdrawal win over a grant at the same instant', () => {
    const at = '2025-03-01T09:00:00Z';
    const grant = record('personalisedAds', 'granted', at, 'segment');
    const deny = record('personalisedAds', 'denied', at, 'tcf');
    const withdraw = record('personalisedAds', 'withdrawn', at, 'admin');

    expect(effectiveConsent([grant, deny], CCPA_LIKE.defaults).personalisedAds).toEqual({
      state: 'denied',
      basis: 'explicit',
      record: deny,
    });
    expect(effectiveConsent([deny, grant], CCPA_LIKE.defaults).personalisedAds).toEqual({
      state: 'denied',
      basis: 'explicit',
      record: deny,
    });
    expect(effectiveConsent([grant, deny, withdraw], CCPA_LIKE.defaults).personalisedAds.record).toBe(withdraw);
    // Same instant written differently is still a tie.
    const sameMoment = record('personalisedAds', 'granted', '2025-03-01T09:00:00.000Z');
    expect(effectiveConsent([deny, sameMoment], CCPA_LIKE.defaults).personalisedAds.state).toBe('denied');
  });

  it('falls back to GDPR-like opt-in defaults', () => {
    const result = effectiveConsent([record('analytics', 'granted', '2025-01-01T00:00:00Z')], GDPR_LIKE.defaults);
    expect(result.emailMarketing).toEqual({ state: 'denied', basis: 'default' });
    expect(result.crossBorderTransfer).toEqual({ state: 'denied', basis: 'default' });
    expect(result.analytics.state).toBe('granted');
    expect(result.analytics.basis).toBe('explicit');
    expect(Object.keys(result)).toEqual([...PURPOSES]);
  });

  it('falls back to CCPA-like opt-out defaults, and GPC turns sale/sharing off', () => {
    const before = effectiveConsent([], CCPA_LIKE.defaults);
    expect(before.saleSharing).toEqual({ state: 'granted', basis: 'default' });

    const gpc = fromGpc('1', CCPA_LIKE, {
      at: '2025-06-02T10:00:00Z',
      proof: { kind: 'http-request', reference: 'req-7f3a' },
    });
    expect(gpc.outcome).toBe('recorded');
    if (gpc.outcome !== 'recorded') throw new Error('unreachable');
    const after = effectiveConsent(gpc.records, CCPA_LIKE.defaults);
    expect(after.saleSharing).toEqual({ state: 'denied', basis: 'explicit', record: gpc.records[0] });
    // "Sharing" under the CPRA is cross-context behavioural advertising.
    expect(after.personalisedAds).toEqual({ state: 'denied', basis: 'explicit', record: gpc.records[1] });
    expect(after.emailMarketing).toEqual({ state: 'granted', basis: 'default' });
  });

  it('ignores records after asOf', () => {
    const now = record('push', 'granted', '2025-01-01T00:00:00Z');
    const future = record('push', 'denied', '2030-01-01T00:00:00Z');
    expect(effectiveConsent([now, future], GDPR_LIKE.defaults, { asOf: '2025-06-01T00:00:00Z' }).push.state).toBe(
      'granted',
    );
    expect(effectiveConsent([now, future], GDPR_LIKE.defaults).push.state).toBe('denied');
  });

  it('refuses a record with an unknown purpose, a bad time, or a policy without a default', () => {
    const bogus = {
      ...record('push', 'granted', '2025-01-01T00:00:00Z'),
      purpose: 'newsletter',
    } as unknown as ConsentRecord;
    expect(() => effectiveConsent([bogus], GDPR_LIKE.defaults)).toThrow(ALL_PURPOSES_LISTED);

    const badTime = record('push', 'granted', 'yesterday');
    expect(() => effectiveConsent([badTime], GDPR_LIKE.defaults)).toThrow(
      /push consent record has at "yesterday", which is not an ISO 8601 instant/,
    );

    const { push: _omitted, ...incomplete } = GDPR_LIKE.defaults;
    expect(() => effectiveConsent([], incomplete as ConsentDefaults)).toThrow(/the policy has no default for push/);
  });
});

describe('consent change summary', () => {
  it('lists only the purposes whose effective state changed, with both states', () => {
    const history = [record('emailMarketing', 'granted', '2025-01-01T00:00:00Z')];
    const before = effectiveConsent(history, GDPR_LIKE.defaults);
    const after = effectiveConsent(
      [
        ...history,
        record('emailMarketing', 'withdrawn', '2025-02-01T00:00:00Z'),
        record('analytics', 'granted', '2025-02-01T00:00:00Z'),
        // Explicitly denying what the default already denies changes nothing to propagate.
        record('smsMarketing', 'denied', '2025-02-01T00:00:00Z'),
      ],
      GDPR_LIKE.defaults,
    );
    expect(consentChangeSummary(before, after)).toEqual([
      { purpose: 'emailMarketing', before: 'granted', after: 'denied' },
      { purpose: 'analytics', before: 'denied', after: 'granted' },
    ]);
    expect(consentChangeSummary(after, after)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Segment
// ---------------------------------------------------------------------------------------------

describe('Segment categoryPreferences', () => {
  it('maps Segment/OneTrust categories to purposes, one record per purpose', () => {
    const result = fromSegmentCategoryPreferences(
      { Advertising: false, Analytics: true, Functional: true, SaleOfData: false, Email: true },
      ORIGIN,
    );
    expect(result).toEqual({
      ok: true,
      records: [
        { purpose: 'emailMarketing', state: 'granted', source: 'segment', at: ORIGIN.at, proof: ORIGIN.proof },
        { purpose: 'personalisedAds', state: 'denied', source: 'segment', at: ORIGIN.at, proof: ORIGIN.proof },
        { purpose: 'analytics', state: 'granted', source: 'segment', at: ORIGIN.at, proof: ORIGIN.proof },
        { purpose: 'saleSharing', state: 'denied', source: 'segment', at: ORIGIN.at, proof: ORIGIN.proof },
      ],
      warnings: [],
      rejected: [],
    });
  });

  it('reads names case-insensitively and OneTrust default group IDs', () => {
    const result = fromSegmentCategoryPreferences(
      { 'sale of data': true, performance: false, C0004: true, C0001: true },
      ORIGIN,
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.records.map((r) => [r.purpose, r.state])).toEqual([
      ['personalisedAds', 'granted'],
      ['analytics', 'denied'],
      ['saleSharing', 'granted'],
    ]);
  });

  it('warns about unknown categories and still records the known ones', () => {
    const result = fromSegmentCategoryPreferences({ Analytics: true, Astrology: true }, ORIGIN);
    if (!result.ok) throw new Error(result.reason);
    expect(result.records).toHaveLength(1);
    expect(result.records[0]?.purpose).toBe('analytics');
    expect(result.warnings).toEqual([
      `categoryPreferences has unknown category "Astrology"; ignored (map it to a purpose in the source's consent mapping)`,
    ]);
    expect(result.rejected).toEqual([]);
  });

  it('rejects non-boolean values with a reason, keeping the rest', () => {
    const result = fromSegmentCategoryPreferences(
      { Advertising: 'yes', Analytics: 1, Marketing: null, SaleOfData: false },
      ORIGIN,
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.rejected).toEqual([
      { category: 'Advertising', reason: 'categoryPreferences."Advertising" must be true or false, not a string' },
      { category: 'Analytics', reason: 'categoryPreferences."Analytics" must be true or false, not a number' },
      { category: 'Marketing', reason: 'categoryPreferences."Marketing" must be true or false, not null' },
    ]);
    expect(result.records.map((r) => [r.purpose, r.state])).toEqual([['saleSharing', 'denied']]);
  });

  it('records the denial when two categories for one purpose disagree', () => {
    const result = fromSegmentCategoryPreferences({ Advertising: true, Marketing: false }, ORIGIN);
    if (!result.ok) throw new Error(result.reason);
    expect(result.records.map((r) => [r.purpose, r.state])).toEqual([['personalisedAds', 'denied']]);
    expect(result.warnings).toEqual([
      'categoryPreferences "Advertising" and "Marketing" disagree on personalisedAds; denied recorded',
    ]);

    const reversed = fromSegmentCategoryPreferences({ marketing: false, ADVERTISING: true }, ORIGIN);
    expect(reversed.ok && reversed.records.map((r) => [r.purpose, r.state])).toEqual([['personalisedAds', 'denied']]);
  });

  it('refuses a preferences value that is not an object, and a mapping to an unknown purpose', () => {
    const notObject = fromSegmentCategoryPreferences(['Advertising'], ORIGIN);
    expect(notObject).toEqual({
      ok: false,
      reason:
        'context.consent.categoryPreferences must be an object of category → true/false, e.g. {"Advertising":false,"Analytics":true}',
    });
    expect(() =>
      fromSegmentCategoryPreferences({ Newsletter: true }, ORIGIN, { Newsletter: 'newsletter' as Purpose }),
    ).toThrow(ALL_PURPOSES_LISTED);
    const custom = fromSegmentCategoryPreferences({ Newsletter: true }, ORIGIN, { Newsletter: 'emailMarketing' });
    expect(custom.ok && custom.records.map((r) => [r.purpose, r.state])).toEqual([['emailMarketing', 'granted']]);
  });
});

// ---------------------------------------------------------------------------------------------
// GPC
// ---------------------------------------------------------------------------------------------

describe('Global Privacy Control', () => {
  const origin = { at: '2025-06-02T10:00:00Z', proof: { kind: 'http-request', reference: 'req-1' } };

  it('records a sale/sharing opt-out in California, covering personalised ads', () => {
    expect(fromGpc('1', CCPA_LIKE, origin)).toEqual({
      outcome: 'recorded',
      records: [
        { purpose: 'saleSharing', state: 'denied', source: 'gpc', at: origin.at, proof: origin.proof },
        { purpose: 'personalisedAds', state: 'denied', source: 'gpc', at: origin.at, proof: origin.proof },
      ],
    });
  });

  it('records nothing in France, and says why', () => {
    const outcome = fromGpc('1', GDPR_LIKE, origin);
    expect(outcome.outcome).toBe('gpc-ignored');
    expect(outcome.outcome === 'gpc-ignored' && outcome.reason).toMatch(
      /^GDPR does not make Global Privacy Control a legal opt-out signal; nothing recorded/,
    );
  });

  it('treats an absent header or any value but "1" as no signal', () => {
    for (const header of [undefined, null, '', '0', 'true', ' 1', '1, 1']) {
      expect(fromGpc(header, CCPA_LIKE, origin)).toEqual({ outcome: 'no-signal' });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// TCF
// ---------------------------------------------------------------------------------------------

describe('TCF strings', () => {
  it('decodes a TCF 2.2 string (policy version 4) from a French publisher', () => {
    const tcString = encodeTcf({ purposes: [1, 3, 4], vendors: [755], policyVersion: 4 });
    expect(tcString).toMatch(/^C[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/); // core + disclosed vendors
    expect(decodeTcf(tcString)).toEqual({
      version: 2,
      cmpId: 300,
      cmpVersion: 2,
      consentScreen: 1,
      created: '2025-06-01T00:00:00.000Z',
      lastUpdated: '2025-06-02T00:00:00.000Z',
      policyVersion: 4,
      vendorListVersion: 150,
      purposeConsents: [1, 3, 4],
      purposeLegitimateInterests: [],
      vendorConsents: [755],
      vendorLegitimateInterests: [],
      vendorsDisclosed: [42, 755],
      specialFeatureOptins: [],
      publisherCC: 'FR',
      consentLanguage: 'EN',
      isServiceSpecific: false,
      purposeOneTreatment: false,
    });
  });

  it('decodes the policy version 5 of TCF 2.3 and service-specific strings', () => {
    const decoded = decodeTcf(
      encodeTcf({ purposes: [1, 8, 9], policyVersion: 5, publisherCC: 'DE', isServiceSpecific: true }),
    );
    expect(decoded.policyVersion).toBe(5);
    expect(decoded.publisherCC).toBe('DE');
    expect(decoded.isServiceSpecific).toBe(true);
    expect(decoded.purposeConsents).toEqual([1, 8, 9]);
  });

  it('survives a JSON round trip, as a workflow payload would', () => {
    const decoded = decodeTcf(encodeTcf({ purposes: [1, 3, 4], vendors: [755] }));
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(decoded);
  });

  it('grants personalised ads only with purposes 1, 3 and 4', () => {
    const consenting = consentFromTcf(decodeTcf(encodeTcf({ purposes: [1, 3, 4], vendors: [755] })));
    expect(consenting).toEqual([
      {
        purpose: 'personalisedAds',
        state: 'granted',
        source: 'tcf',
        at: '2025-06-02T00:00:00.000Z',
        proof: { kind: 'tcf-cmp', reference: 'cmp 300 v2 screen 1, policy 4, updated 2025-06-02T00:00:00.000Z' },
      },
      {
        purpose: 'analytics',
        state: 'denied',
        source: 'tcf',
        at: '2025-06-02T00:00:00.000Z',
        proof: { kind: 'tcf-cmp', reference: 'cmp 300 v2 screen 1, policy 4, updated 2025-06-02T00:00:00.000Z' },
      },
    ]);

    const onlyStorage = consentFromTcf(decodeTcf(encodeTcf({ purposes: [1] })));
    expect(onlyStorage.map((r) => [r.purpose, r.state])).toEqual([
      ['personalisedAds', 'denied'],
      ['analytics', 'denied'],
    ]);

    const noStorage = consentFromTcf(decodeTcf(encodeTcf({ purposes: [3, 4, 8, 9] })));
    expect(noStorage.map((r) => r.state)).toEqual(['denied', 'denied']);

    const ads = (purposes: number[]) => consentFromTcf(decodeTcf(encodeTcf({ purposes })))[0]?.state;
    expect(ads([1, 3])).toBe('denied');
    expect(ads([1, 4])).toBe('denied');
    expect(ads([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toBe('granted');
  });

  it('grants analytics only with purposes 1, 8 and 9', () => {
    const states = (purposes: number[]) =>
      consentFromTcf(decodeTcf(encodeTcf({ purposes })), { at: '2025-06-02T10:00:00Z' }).find(
        (r) => r.purpose === 'analytics',
      )?.state;
    expect(states([1, 8, 9])).toBe('granted');
    expect(states([1, 8])).toBe('denied');
    expect(states([1, 9])).toBe('denied');
  });

  it('with a vendor ID, also requires that vendor’s consent and disclosure', () => {
    const decoded = decodeTcf(encodeTcf({ purposes: [1, 3, 4], vendors: [755] }));
    const ads = (vendorId: number, d = decoded) =>
      consentFromTcf(d, { vendorId }).find((r) => r.purpose === 'personalisedAds')?.state;
    expect(ads(755)).toBe('granted');
    expect(ads(42)).toBe('denied');

    // Vendor 755 has consent in the core string but the DisclosedVendors segment lists only 42:
    // under TCF 2.3 an undisclosed vendor has no consent.
    const core = encodeTcf({ purposes: [1, 3, 4], vendors: [755], policyVersion: 5 }).split('.')[0];
    const disclosedOnly42 = encodeTcf({ purposes: [], policyVersion: 5, gvlVendors: [42] }).split('.')[1];
    const ghost = decodeTcf(`${core}.${disclosedOnly42}`);
    expect(ghost.vendorConsents).toEqual([755]);
    expect(ghost.vendorsDisclosed).toEqual([42]);
    expect(ads(755, ghost)).toBe('denied');
    expect(() => consentFromTcf(decoded, { vendorId: 0 })).toThrow(TcfError);
  });

  it('feeds effective consent: a French user who consents to 1, 3, 4', () => {
    const records = consentFromTcf(decodeTcf(encodeTcf({ purposes: [1, 3, 4] })), {
      at: '2025-06-02T10:15:00Z',
      proof: { kind: 'tcf-string-sha256', reference: 'b5d4…' },
    });
    const effective = effectiveConsent(records, GDPR_LIKE.defaults);
    expect(effective.personalisedAds).toMatchObject({ state: 'granted', basis: 'explicit' });
    expect(effective.personalisedAds.record?.proof.kind).toBe('tcf-string-sha256');
    expect(effective.analytics).toMatchObject({ state: 'denied', basis: 'explicit' });
    expect(effective.emailMarketing).toEqual({ state: 'denied', basis: 'default' });
  });

  it('throws a TcfError, never a partial result, for malformed strings', () => {
    const valid = encodeTcf({ purposes: [1, 3, 4], vendors: [755] });
    const cases: [string, RegExp][] = [
      ['', /^not a TCF v2 consent string: it is empty$/],
      ['   ', /^not a TCF v2 consent string: it is empty$/],
      ['not a tc string!', /^not a TCF v2 consent string: it must be base64url text/],
      ['BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA', /^not a TCF v2 consent string: it is a TCF v1 string/],
      ['hello', /^not a TCF v2 consent string: its version field is 33, expected 2$/],
      [valid.slice(0, 20), /^not a TCF v2 consent string: it is truncated or corrupt/],
      [`${valid}.${valid}`, /^not a TCF v2 consent string: segment 3 has type 0/],
      [`${valid.split('.')[0]}..${valid.split('.')[1]}`, /^not a TCF v2 consent string: it must be base64url text/],
      [`${valid}.${valid.split('.')[1]}`, /^not a TCF v2 consent string: segment type 1 appears twice$/],
    ];
    for (const [input, message] of cases) {
      let thrown: unknown;
      let result: unknown;
      try {
        result = decodeTcf(input);
      } catch (error) {
        thrown = error;
      }
      expect(result, JSON.stringify(input)).toBeUndefined();
      expect(thrown, JSON.stringify(input)).toBeInstanceOf(TcfError);
      expect((thrown as Error).message, JSON.stringify(input)).toMatch(message);
      if (input.length > 5) expect((thrown as Error).message).not.toContain(input);
    }
  });

  it('ignores surrounding whitespace', () => {
    const valid = encodeTcf({ purposes: [1] });
    expect(decodeTcf(` ${valid}\n`).purposeConsents).toEqual([1]);
  });
});
