import type { Sql } from 'postgres';
import { AdClick, recordAdClicks } from './ad-conversions-store';
import type { CallOutcome } from './region-writer';
import { clickIdsOf } from '../domain/ad-clicks';
import type { TrackingCall } from '../domain/tracking';

/**
 * Ad click IDs (gclid, gbraid, wbraid) on stored tracked calls, kept for the person each call resolved
 * to (db/ad-conversions-store.ts): an ad connector sends that person's later purchases back as
 * conversions. A click ID seen again keeps its first person.
 */
export async function recordTrackedClicks(
  sql: Sql | undefined,
  sourceId: string,
  calls: TrackingCall[],
  outcomes: CallOutcome[],
): Promise<number> {
  if (!sql) return 0;
  const clicks: AdClick[] = calls.flatMap((call, i) => {
    const outcome = outcomes[i];
    if (outcome?.status !== 'stored') return [];
    return clickIdsOf(call).map((click) => ({
      ...click,
      customerId: outcome.customerId,
      sourceId,
      at: call.timestamp.toISOString(),
    }));
  });
  return recordAdClicks(sql, clicks);
}
