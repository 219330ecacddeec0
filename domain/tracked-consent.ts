import type { ConsentRecord, EffectiveConsentMap } from './consent';
import type { SourceKind } from './sources';

/**
 * How far consent carried by tracked calls (Segment `categoryPreferences`, `Sec-GPC`) is trusted,
 * by the kind of source that sent it (domain/sources.ts).
 *
 * A `browser` source's write key is public: anyone can send a call with it, naming any userId. So
 * what such a call says about consent is unverified, even when it names a user ID (the user ID is
 * the page's claim too). From it we take:
 * - denials, for purposes where nothing but a default or another unverified signal is in force:
 *   a forged denial can only make Meridian send less, and a real visitor's opt-out must not wait;
 * - never a grant: a grant is what a forger wants (and consent must be attributable to the
 *   person), so grants come from the preference centre, the admin API or a `server` source;
 * - never anything over an explicit choice made through a verified channel (preference centre,
 *   admin API, privacy request, server source): that choice stands until the person changes it
 *   there. Except Global Privacy Control where the law makes it an opt-out: the CCPA regulations
 *   (§ 7025(c)(3)) require honouring GPC even when it conflicts with the person's own setting, and
 *   a forged one can only stop the sale/sharing of that person's data.
 * A `server` source's key is a secret of the brand's back end: what it sends carries the brand's
 * authority, grants included.
 *
 * Either way the record is dated by the server's clock when it received the call, never the
 * client's (a client-dated record could be placed up to a day ahead, outranking later choices),
 * and its proof says which kind of source it came from: browser signals' proof kinds begin with
 * UNVERIFIED_PROOF, so later signals and auditors can tell them apart.
 */

export const UNVERIFIED_PROOF = 'unverified-';

export function proofKindFor(kind: SourceKind, signal: 'segment-message' | 'gpc-request'): string {
  return kind === 'browser' ? `${UNVERIFIED_PROOF}${signal}` : signal;
}

export function isVerifiedRecord(record: ConsentRecord): boolean {
  return !record.proof.kind.startsWith(UNVERIFIED_PROOF);
}

export interface TrackedConsentDecision {
  /** Records to store: they differ from what is in force and the source may make them. */
  admitted: ConsentRecord[];
  /** Records not stored, and why (for logs and tests; no personal data). */
  refused: { purpose: string; reason: string }[];
}

/** Which of the records a call's signals produced may be stored, given the consent in force. */
export function admitTrackedConsent(
  records: ConsentRecord[],
  kind: SourceKind,
  inForce: EffectiveConsentMap | undefined,
): TrackedConsentDecision {
  const decision: TrackedConsentDecision = { admitted: [], refused: [] };
  for (const record of records) {
    const current = inForce?.[record.purpose];
    const state = record.state === 'granted' ? 'granted' : 'denied';
    if (current && current.basis === 'explicit' && current.state === state) continue; // nothing new
    if (kind === 'browser') {
      if (record.state === 'granted') {
        decision.refused.push({
          purpose: record.purpose,
          reason:
            'a browser source cannot grant consent: its key is public; record grants through the preference centre or a server source',
        });
        continue;
      }
      if (
        record.source !== 'gpc' &&
        current?.basis === 'explicit' &&
        current.record &&
        isVerifiedRecord(current.record)
      ) {
        decision.refused.push({
          purpose: record.purpose,
          reason: 'an explicit choice made through a verified channel stands over a browser signal',
        });
        continue;
      }
    }
    decision.admitted.push(record);
  }
  return decision;
}
