import { describe, expect, it } from 'vitest';
import { ConsentError } from '../../domain/consent';
import { JURISDICTIONS, JurisdictionLookupError } from '../../domain/jurisdictions';
import {
  PRIVACY_POLICIES,
  PRIVACY_RIGHTS,
  PURPOSES,
  PrivacyPolicyError,
  consentPolicyOf,
  defaultConsent,
  offersRight,
  policyFor,
  privacyRightSchema,
  purposeSchema,
  reminderDates,
  responseDeadline,
  type PrivacyRight,
  type Purpose,
} from '../../domain/privacy-policies';

const { GDPR, UK_GDPR, CCPA, PIPL, LGPD, PIPA, PIPEDA, APPI } = PRIVACY_POLICIES;
const PURPOSE_LIST = 'emailMarketing, smsMarketing, push, personalisedAds, analytics, saleSharing, crossBorderTransfer';

describe('policyFor', () => {
  it('finds the law for every country Meridian sells in', () => {
    const expected: [string, string | undefined, string][] = [
      ['DE', undefined, 'GDPR'],
      ['FR', undefined, 'GDPR'],
      ['GB', undefined, 'UK_GDPR'],
      ['US', 'CA', 'CCPA'],
      ['SG', undefined, 'SG_PDPA'],
      ['TH', undefined, 'TH_PDPA'],
      ['BR', undefined, 'LGPD'],
      ['CN', undefined, 'PIPL'],
      ['JP', undefined, 'APPI'],
      ['KR', undefined, 'PIPA'],
      ['CA', undefined, 'PIPEDA'],
      ['AU', undefined, 'AU_PRIVACY_ACT'],
      ['IN', undefined, 'IN_DPDP'],
      ['CH', undefined, 'CH_FADP'],
      ['US', 'VA', 'US_STATE_PRIVACY'],
      ['US', 'NY', 'US_NO_STATE_LAW'],
      ['US', undefined, 'CCPA'],
      ['KE', undefined, 'BASELINE'],
    ];
    for (const [country, state, jurisdiction] of expected) {
      expect(policyFor(country, state).jurisdiction, `${country}${state ? `-${state}` : ''}`).toBe(jurisdiction);
    }
    expect(policyFor('fr').name).toBe('GDPR (EU/EEA)');
    expect(policyFor('US', 'ca').name).toBe('CCPA/CPRA (California)');
  });

  it("passes on the jurisdiction table's errors for unknown codes", () => {
    expect(() => policyFor('Germany')).toThrow(JurisdictionLookupError);
    expect(() => policyFor('US', 'ZZ')).toThrow('"ZZ" is not a US state code');
  });

  it('has one complete policy per jurisdiction', () => {
    expect(Object.keys(PRIVACY_POLICIES).sort()).toEqual([...JURISDICTIONS].sort());
    for (const [code, policy] of Object.entries(PRIVACY_POLICIES)) {
      expect(policy.jurisdiction, code).toBe(code);
      expect(Object.keys(policy.consent).sort(), code).toEqual([...PURPOSES].sort());
      for (const purpose of PURPOSES) expect(policy.consent[purpose].basis, `${code} ${purpose}`).toMatch(/\S/);
      expect(new Set(policy.rights).size, code).toBe(policy.rights.length);
      for (const right of policy.rights) expect(PRIVACY_RIGHTS, code).toContain(right);
      expect(Number.isInteger(policy.deadline.days) && policy.deadline.days > 0, code).toBe(true);
      // Separate consent for transfers only makes sense where transfers need consent at all.
      if (policy.crossBorderTransferNeedsSeparateConsent)
        expect(policy.consent.crossBorderTransfer.model, code).toBe('opt-in');
      // GPC is an opt-out: it only means something where sale/sharing is opt-out.
      if (policy.gpcHonoured) expect(policy.consent.saleSharing.model, code).toBe('opt-out');
    }
  });
});

describe('defaultConsent', () => {
  it('denies under GDPR what needs opt-in, and grants transfers (SCCs, not consent)', () => {
    expect(defaultConsent(GDPR, 'emailMarketing')).toBe('denied');
    expect(defaultConsent(GDPR, 'analytics')).toBe('denied');
    expect(defaultConsent(GDPR, 'personalisedAds')).toBe('denied');
    expect(defaultConsent(GDPR, 'crossBorderTransfer')).toBe('granted');
    expect(GDPR.gpcHonoured).toBe(false);
    expect(defaultConsent(UK_GDPR, 'smsMarketing')).toBe('denied');
  });

  it('grants sale/sharing and email under CCPA until an opt-out, which GPC is; SMS stays opt-in (TCPA)', () => {
    expect(defaultConsent(CCPA, 'saleSharing')).toBe('granted');
    expect(CCPA.gpcHonoured).toBe(true);
    expect(defaultConsent(CCPA, 'emailMarketing')).toBe('granted');
    expect(defaultConsent(CCPA, 'analytics')).toBe('granted');
    expect(defaultConsent(CCPA, 'smsMarketing')).toBe('denied');
    expect(PRIVACY_POLICIES.US_STATE_PRIVACY.gpcHonoured).toBe(true);
  });

  it('denies cross-border transfer under PIPL and asks for it separately', () => {
    expect(defaultConsent(PIPL, 'crossBorderTransfer')).toBe('denied');
    expect(PIPL.crossBorderTransferNeedsSeparateConsent).toBe(true);
    expect(PIPL.gpcHonoured).toBe(false);
    expect(GDPR.crossBorderTransferNeedsSeparateConsent).toBe(false);
    expect(defaultConsent(APPI, 'crossBorderTransfer')).toBe('denied');
    expect(defaultConsent(APPI, 'analytics')).toBe('granted');
  });

  it("gives ./consent every purpose's default and the GPC flag", () => {
    expect(consentPolicyOf(CCPA)).toEqual({
      name: 'CCPA/CPRA (California)',
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
    });
    expect(
      Object.values(consentPolicyOf(PRIVACY_POLICIES.BASELINE).defaults).filter((d) => d === 'granted'),
    ).toHaveLength(1);
  });

  it('refuses an unknown purpose and lists the valid ones', () => {
    expect(() => defaultConsent(GDPR, 'newsletter' as Purpose)).toThrow(ConsentError);
    expect(() => defaultConsent(GDPR, 'newsletter' as Purpose)).toThrow(
      `unknown consent purpose "newsletter": use one of ${PURPOSE_LIST}`,
    );
    const parsed = purposeSchema.safeParse('newsletter');
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(`must be one of ${PURPOSE_LIST}`);
    expect(purposeSchema.parse('saleSharing')).toBe('saleSharing');
  });
});

describe('offersRight', () => {
  it("answers from each law's list", () => {
    expect(offersRight(GDPR, 'portability')).toBe(true);
    expect(offersRight(GDPR, 'optOutOfSaleSharing')).toBe(false);
    expect(offersRight(CCPA, 'optOutOfSaleSharing')).toBe(true);
    expect(offersRight(CCPA, 'restriction')).toBe(false);
    expect(offersRight(PIPEDA, 'deletion')).toBe(false);
    expect(offersRight(APPI, 'portability')).toBe(false);
    expect(offersRight(LGPD, 'restriction')).toBe(true);
  });

  it('refuses an unknown right and lists the valid ones', () => {
    const list =
      'access, deletion, correction, portability, restriction, objection, optOutOfSaleSharing, withdrawConsent';
    expect(() => offersRight(GDPR, 'erasure' as PrivacyRight)).toThrow(PrivacyPolicyError);
    expect(() => offersRight(GDPR, 'erasure' as PrivacyRight)).toThrow(
      `"erasure" is not a privacy right: use one of ${list}`,
    );
    expect(privacyRightSchema.safeParse('erasure').error?.issues[0]?.message).toBe(
      `"erasure" is not a privacy right: use one of ${list}`,
    );
    expect(privacyRightSchema.safeParse(7).error?.issues[0]?.message).toBe(
      `7 is not a privacy right: use one of ${list}`,
    );
  });
});

describe('responseDeadline', () => {
  it("caps GDPR's 30 days at one calendar month: 31 January is due 28 February, not 2 March", () => {
    expect(responseDeadline(GDPR, '2025-01-31')).toEqual({ due: '2025-02-28' });
    expect(responseDeadline(GDPR, '2024-01-31')).toEqual({ due: '2024-02-29' });
    expect(responseDeadline(UK_GDPR, '2025-01-30')).toEqual({ due: '2025-02-28' });
  });

  it("counts GDPR's 30 calendar days where they fall inside the month, and extends by two months", () => {
    expect(responseDeadline(GDPR, '2025-03-10', { extended: true })).toEqual({
      due: '2025-04-09',
      extendedDue: '2025-06-08',
    });
    // From 28 February: 60 days is 29 April, two months is 28 April.
    expect(responseDeadline(GDPR, '2025-01-31', { extended: true })).toEqual({
      due: '2025-02-28',
      extendedDue: '2025-04-28',
    });
    expect(GDPR.deadline.extension?.requiresNotice).toBe(true);
  });

  it("counts CCPA's 45 calendar days across a leap day, and 45 more when extended", () => {
    expect(responseDeadline(CCPA, '2024-02-10', { extended: true })).toEqual({
      due: '2024-03-26',
      extendedDue: '2024-05-10',
    });
    expect(responseDeadline(CCPA, '2025-02-10')).toEqual({ due: '2025-03-27' });
  });

  it('counts other calendar-day laws across month and year ends, ignoring holidays', () => {
    expect(responseDeadline(LGPD, '2025-12-20', { holidays: ['2025-12-25', '2026-01-01'] })).toEqual({
      due: '2026-01-04',
    });
    expect(responseDeadline(PIPA, '2024-02-25')).toEqual({ due: '2024-03-06' });
    expect(responseDeadline(PIPEDA, '2025-06-15', { extended: true })).toEqual({
      due: '2025-07-15',
      extendedDue: '2025-08-14',
    });
  });

  it("counts PIPL's 15 business days over weekends", () => {
    // Saturday 1 March: the count starts Monday 3 March; three working weeks end Friday 21 March.
    expect(responseDeadline(PIPL, '2025-03-01')).toEqual({ due: '2025-03-21' });
    // Friday 24 January, no holidays given.
    expect(responseDeadline(PIPL, '2025-01-24')).toEqual({ due: '2025-02-14' });
    // Across 29 February 2024: Tue 27, Wed 28, Thu 29, Fri 1 March (4), two weeks (14), Monday 18 March (15).
    expect(responseDeadline(PIPL, '2024-02-26')).toEqual({ due: '2024-03-18' });
  });

  it('skips holidays and counts working weekends (Spring Festival 2025)', () => {
    const holidays = ['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-03', '2025-02-04'];
    const workdays = ['2025-01-26', '2025-02-08'];
    expect(responseDeadline(PIPL, '2025-01-24', { holidays })).toEqual({ due: '2025-02-24' });
    expect(responseDeadline(PIPL, '2025-01-24', { holidays, workdays })).toEqual({ due: '2025-02-20' });
  });

  it('refuses an extension the law does not have, saying when the answer is due', () => {
    expect(() => responseDeadline(LGPD, '2025-12-20', { extended: true })).toThrow(
      'LGPD (Brazil) allows no extension of the response deadline: the answer is due by 2026-01-04',
    );
    expect(() => responseDeadline(PIPL, '2025-01-24', { extended: true })).toThrow(PrivacyPolicyError);
  });

  it('refuses dates that are not YYYY-MM-DD calendar dates', () => {
    expect(() => responseDeadline(GDPR, '2025-02-30')).toThrow(
      'the received date: "2025-02-30" is not a calendar date',
    );
    expect(() => responseDeadline(PIPL, '2025-03-01', { holidays: ['03/05/2025'] })).toThrow(
      'holidays: "03/05/2025" is not a calendar date',
    );
  });
});

describe('reminderDates', () => {
  it('lists reminders before the due date, earliest first, without repeats', () => {
    expect(reminderDates('2025-03-02', [7, 1, 3, 1, 0])).toEqual([
      '2025-02-23',
      '2025-02-27',
      '2025-03-01',
      '2025-03-02',
    ]);
    expect(reminderDates('2024-03-01', [1, 2])).toEqual(['2024-02-28', '2024-02-29']);
  });

  it('leaves out reminders before notBefore', () => {
    expect(reminderDates('2025-02-28', [30, 7], { notBefore: '2025-01-31' })).toEqual(['2025-02-21']);
  });

  it('refuses offsets that are not whole days before the due date', () => {
    expect(() => reminderDates('2025-02-28', [-1])).toThrow(
      'reminder offsets are whole days before the due date (0 or more), got -1',
    );
    expect(() => reminderDates('2025-02-28', [1.5])).toThrow(PrivacyPolicyError);
  });
});
