import {
  ActivityOptions,
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { DATA_SCHEMA_CACHE_TTL_MS } from '../domain/data-categories';
import {
  describeInputProblem,
  ReclassificationCounts,
  ReclassificationInput,
  reclassificationInputSchema,
} from '../domain/workflow-inputs';
import { ReclassificationProgress, reclassificationProgressQuery } from './definitions';

/**
 * reclassification (`reclassify-v<version>-<region>`, on the region's queue): after a change of the
 * workspace's data-schema rules, moves the region's stored values to the new classification. It
 * first waits until every process classifies new data with the new version (their caches are at most
 * DATA_SCHEMA_CACHE_TTL_MS old), then pages through the profiles in customer ID order; each activity
 * call heartbeats its cursor and returns it, and the workflow keeps it. A newer version supersedes a
 * running one (the newer run reclassifies everything anyway). History: version, region, a customer ID
 * cursor and counts, never a value (DESIGN.md, rule 2). Progress: the `progress` query.
 */

export type { ReclassificationInput, ReclassificationProgress };
export { reclassificationProgressQuery };

const PAGES: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // A profile reclassified heartbeats; a dead worker is noticed this soon and the call resumes at the cursor.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
/** Twice the staleness a process's rules may have, so no write under the old rules lands after a profile is done. */
const SETTLE_MS = 2 * DATA_SCHEMA_CACHE_TTL_MS;
/** Continue as new well before the history grows large. */
const CALLS_PER_RUN = 200;

const { reclassifyProfiles } = proxyActivities<RegionalActivities>(PAGES);

const ZERO: ReclassificationCounts = { profiles: 0, traitsWritten: 0, traitsRemoved: 0, eventsRewritten: 0 };

export async function reclassification(raw: ReclassificationInput): Promise<ReclassificationProgress> {
  const parsed = reclassificationInputSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'reclassification'), 'InvalidInput');
  const input = parsed.data;
  const progress: ReclassificationProgress = {
    version: input.version,
    region: input.region,
    status: input.settled ? 'running' : 'settling',
    ...(input.after ? { after: input.after } : {}),
    counts: input.counts ?? ZERO,
  };
  setHandler(reclassificationProgressQuery, () => progress);

  if (!input.settled) {
    await sleep(SETTLE_MS);
    progress.status = 'running';
  }
  for (let call = 0; call < CALLS_PER_RUN; call++) {
    const result = await reclassifyProfiles({
      version: input.version,
      region: input.region,
      ...(progress.after ? { after: progress.after } : {}),
    });
    const { counts } = progress;
    progress.counts = {
      profiles: counts.profiles + result.counts.profiles,
      traitsWritten: counts.traitsWritten + result.counts.traitsWritten,
      traitsRemoved: counts.traitsRemoved + result.counts.traitsRemoved,
      eventsRewritten: counts.eventsRewritten + result.counts.eventsRewritten,
    };
    if (result.after) progress.after = result.after;
    if (result.status === 'superseded') {
      progress.status = 'superseded';
      return progress;
    }
    if (result.status === 'done') {
      progress.status = 'completed';
      return progress;
    }
  }
  return continueAsNew<typeof reclassification>({
    version: input.version,
    region: input.region,
    ...(progress.after ? { after: progress.after } : {}),
    counts: progress.counts,
    settled: true,
  });
}
