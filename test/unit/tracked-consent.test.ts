import { describe, expect, it } from 'vitest';
import { ConsentRecord, effectiveConsent, PURPOSES } from '../../domain/consent';
import { admitTrackedConsent, proofKindFor } from '../../domain/tracked-consent';

const at = '2026-01-01T00:00:00.000Z';
const defaults = Object.fromEntries(PURPOSES.map((p) => [p, 'granted'])) as never;
const record = (purpose: ConsentRecord['purpose'], state: ConsentRecord['state'], kind: string): ConsentRecord => ({
  purpose,
  state,
  source: 'segment',
  at,
  proof: { kind, reference: 'r' },
});

describe('consent forgery through tracked calls', () => {
  it('a browser source may deny but never grant', () => {
    const decision = admitTrackedConsent(
      [
        record('analytics', 'denied', proofKindFor('browser', 'segment-message')),
        record('emailMarketing', 'granted', proofKindFor('browser', 'segment-message')),
      ],
      'browser',
      undefined,
    );
    expect(decision.admitted.map((r) => r.purpose)).toEqual(['analytics']);
    expect(decision.refused).toEqual([{ purpose: 'emailMarketing', reason: expect.stringMatching(/cannot grant/) }]);
  });

  it('a browser signal does not override an explicit verified choice, but may follow an unverified one', () => {
    const verified = effectiveConsent(
      [{ ...record('personalisedAds', 'granted', 'preference-form'), source: 'preference-centre' }],
      defaults,
    );
    expect(
      admitTrackedConsent([record('personalisedAds', 'denied', 'unverified-segment-message')], 'browser', verified)
        .admitted,
    ).toEqual([]);
    // Global Privacy Control is the law's opt-out even over the person's own setting (CCPA § 7025(c)(3)).
    expect(
      admitTrackedConsent(
        [{ ...record('personalisedAds', 'denied', 'unverified-gpc-request'), source: 'gpc' }],
        'browser',
        verified,
      ).admitted,
    ).toHaveLength(1);
    expect(
      admitTrackedConsent([record('personalisedAds', 'denied', 'gpc-request')], 'server', verified).admitted,
    ).toHaveLength(1);
    const unverified = effectiveConsent([record('analytics', 'withdrawn', 'unverified-segment-message')], defaults);
    expect(
      admitTrackedConsent([record('analytics', 'denied', 'unverified-segment-message')], 'browser', unverified)
        .admitted,
    ).toEqual([]); // nothing new
  });

  it('marks browser proofs as unverified', () => {
    expect(proofKindFor('browser', 'gpc-request')).toBe('unverified-gpc-request');
    expect(proofKindFor('server', 'segment-message')).toBe('segment-message');
  });
});
