import type { Client } from '@temporalio/client';
import type { Sql } from 'postgres';
import { readConsent, recordConsent } from '../db/consent-store';
import type { CallOutcome } from '../db/region-writer';
import { ConsentRecord, fromGpc, fromSegmentCategoryPreferences } from '../domain/consent';
import { consentPolicyOf, policyFor } from '../domain/privacy-policies';
import type { RegionCatalog } from '../domain/regions';
import type { SourceKind } from '../domain/sources';
import { admitTrackedConsent, proofKindFor } from '../domain/tracked-consent';
import type { TrackingCall } from '../domain/tracking';
import { startRecordedPropagation } from './consent-outbox';
import type { IntakeRow } from '../db/intake-store';
import { recordTrackedClicks } from '../db/tracked-clicks';

/**
 * Consent carried by tracked calls: Segment's `context.consent.categoryPreferences` on any call,
 * and the browser's `Sec-GPC: 1` header on the request. Recorded for the person each call resolved
 * to, after the call is stored, with the call's message ID as proof (so a retried request records
 * nothing twice); a change starts its propagation. The person's country comes from their consent
 * record, else from the call (context.location.country, traits.address.country); without either
 * the law cannot be known, and the signal waits for a call that says where they are.
 *
 * What a call may change depends on its source's kind (domain/tracked-consent.ts): a browser
 * source's signals are unverified, so they may deny but never grant, and never override an
 * explicit choice made through a verified channel. Records are dated by the server's clock.
 */

export interface TrackingConsentDeps {
  regional: ReadonlyMap<string, Sql>;
  temporal: Client;
  regions: RegionCatalog;
  /**
   * The consent scope of a source's brand: the brand where it is a separate controller, else null
   * (the group's consent). Without it every signal is the group's.
   */
  consentBrandOf?: (brandId: string) => Promise<string | null>;
}

function countryOf(call: TrackingCall): string | undefined {
  const context = call.context as { location?: { country?: unknown }; traits?: { address?: { country?: unknown } } };
  const traits = call.traits as { address?: { country?: unknown }; country?: unknown };
  const country = [
    context.location?.country,
    traits.address?.country,
    traits.country,
    context.traits?.address?.country,
  ].find((c): c is string => typeof c === 'string' && /^[A-Za-z]{2}$/.test(c));
  return country?.toUpperCase();
}

function preferencesOf(call: TrackingCall): unknown {
  const consent = (call.context as { consent?: { categoryPreferences?: unknown } }).consent;
  return consent?.categoryPreferences;
}

/** Records the consent signals of stored calls; returns how many calls carried one. */
export async function recordTrackedConsent(
  deps: TrackingConsentDeps,
  source: { id: string; region: string; kind: SourceKind; brandId?: string },
  calls: TrackingCall[],
  outcomes: CallOutcome[],
  gpcHeader: string | undefined,
): Promise<number> {
  const { region, id: sourceId, kind } = source;
  const sql = deps.regional.get(region);
  if (!sql) return 0;
  // SDKs repeat the same preferences (and browsers the GPC header) on every call: per person, only
  // the latest call of the request counts, and only choices that differ from those in force are kept.
  const latest = new Map<string, TrackingCall>();
  for (const [i, call] of calls.entries()) {
    const outcome = outcomes[i];
    if (!outcome || outcome.status !== 'stored') continue;
    if (preferencesOf(call) === undefined && gpcHeader !== '1') continue;
    const previous = latest.get(outcome.customerId);
    if (!previous || previous.timestamp <= call.timestamp) latest.set(outcome.customerId, call);
  }
  let signalled = 0;
  // A brand that is a separate controller collects consent under its own name (issue 11 §2).
  const brandId =
    latest.size > 0 && source.brandId && deps.consentBrandOf ? await deps.consentBrandOf(source.brandId) : null;
  for (const [customerId, call] of latest) {
    signalled++;
    const prefs = preferencesOf(call);
    const current = await readConsent(sql, customerId, brandId);
    const country = current?.subject.country ?? countryOf(call);
    if (!country) continue;
    let policy;
    try {
      policy = consentPolicyOf(policyFor(country, current?.subject.usState));
    } catch {
      continue;
    }
    // The server's clock: a client's timestamp may be placed ahead to outrank later choices.
    const origin = {
      at: call.receivedAt.toISOString(),
      proof: { kind: proofKindFor(kind, 'segment-message'), reference: `${sourceId}:${call.messageId}` },
    };
    const records: ConsentRecord[] = [];
    if (prefs !== undefined) {
      const segment = fromSegmentCategoryPreferences(prefs, origin);
      if (segment.ok) records.push(...segment.records);
    }
    const gpc = fromGpc(gpcHeader, policy, {
      ...origin,
      proof: { kind: proofKindFor(kind, 'gpc-request'), reference: origin.proof.reference },
    });
    if (gpc.outcome === 'recorded') records.push(...gpc.records);
    const news = admitTrackedConsent(records, kind, current?.effective).admitted;
    if (news.length === 0) continue;
    const stored = await recordConsent(sql, customerId, news, current ? undefined : { country }, { brandId });
    if (stored.propagationId) {
      // Temporal trouble does not fail the request: the events and the change are stored, and the
      // consent outbox starts the propagation later.
      await startRecordedPropagation(deps.temporal, deps.regions, region, sql, {
        propagationId: stored.propagationId,
        customerId,
      });
    }
  }
  return signalled;
}

/**
 * What the intake processor does after the writer stored a request's calls (db/intake-processor.ts):
 * the consent they carry and their ad click IDs, for the people they resolved to. Both are keyed
 * (message ID as consent proof, click ID), so a request processed twice records nothing twice.
 */
export function afterTrackedWrite(
  deps: TrackingConsentDeps,
  region: string,
): (row: IntakeRow, outcomes: CallOutcome[]) => Promise<void> {
  return async (row, outcomes) => {
    const source = { id: row.sourceId, region, kind: row.sourceKind, brandId: row.brandId };
    await recordTrackedConsent(deps, source, row.calls, outcomes, row.gpc);
    await recordTrackedClicks(deps.regional.get(region), row.sourceId, row.calls, outcomes);
  };
}
