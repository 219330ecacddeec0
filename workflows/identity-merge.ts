import {
  ActivityFailure,
  ActivityOptions,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  describeInputProblem,
  IdentityMergeInput,
  identityMergeInputSchema,
  MergeRequest,
  mergeRequestSchema,
  PROFILE_SHREDDED_FAILURE,
} from '../domain/workflow-inputs';
import type { GlobalActivities, RegionalActivities } from '../activities';
import { mergeRequested } from './definitions';

/**
 * identityMerge: one workflow per surviving profile (`identity-merge-<customerId>`), so merges
 * into a profile run one at a time. Ingestion decides a merge (two profiles linked by one
 * event) and signals it here through its outbox; for each region holding the merged profile,
 * that region's worker re-points its events and reconciles traits, then the global index
 * follows. Inputs are customer IDs and identifier types only (DESIGN.md, rule 2).
 */

export type { IdentityMergeInput, MergeRequest };

export { mergeRequested };

const REGIONAL: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};
const GLOBAL: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};
/** How long an idle merge workflow waits for another request before it completes. */
const IDLE = '1 minute';
const MERGES_PER_RUN = 200;

const { planMerge, recordGlobalMerge } = proxyActivities<GlobalActivities>(GLOBAL);

/** An erased profile cannot be merged, and retrying will not change that (issue 8, item 19). */
function isShreddedProfile(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === PROFILE_SHREDDED_FAILURE
  );
}

export async function identityMerge(raw: IdentityMergeInput): Promise<{ merged: number; dropped: number }> {
  const parsed = identityMergeInputSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'identityMerge'), 'InvalidInput');
  const input = parsed.data;
  const queue: MergeRequest[] = [...(input.pending ?? [])];
  let merged = input.merged ?? 0;
  let dropped = input.dropped ?? 0;
  let mergedThisRun = 0;
  setHandler(mergeRequested, (request) => {
    // A malformed signal (sent by hand) is dropped: it cannot name a real merge.
    if (!mergeRequestSchema.safeParse(request).success) return;
    if (!queue.some((q) => q.from === request.from)) queue.push(request);
  });

  for (;;) {
    if (queue.length === 0 && !(await condition(() => queue.length > 0, IDLE))) return { merged, dropped };
    const request = queue[0]!;
    const plan = await planMerge({ from: request.from });
    // Before this patch the activity retried forever on an erased profile (no history got past
    // one); the patch guards the new ending: the merge is dropped and the queue goes on.
    const dropsShredded = patched('identity-merge-drops-shredded');
    let shredded = false;
    for (const region of plan.regions) {
      const { mergeProfilesInRegion } = proxyActivities<RegionalActivities>({
        ...REGIONAL,
        taskQueue: region.taskQueue,
      });
      const merge = mergeProfilesInRegion({
        ...request,
        region: region.name,
        workflowId: workflowInfo().workflowId,
        sourceTrust: plan.sourceTrust,
      });
      if (!dropsShredded) {
        await merge;
        continue;
      }
      try {
        await merge;
      } catch (error) {
        if (!isShreddedProfile(error)) throw error;
        shredded = true;
        break;
      }
    }
    if (shredded) {
      // The erased person's index entries are gone already; the other profile stays as it is.
      dropped++;
    } else {
      await recordGlobalMerge({ from: request.from, into: request.into });
      merged++;
    }
    queue.shift();
    mergedThisRun++;
    if (mergedThisRun >= MERGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof identityMerge>({ into: input.into, pending: queue, merged, dropped });
    }
  }
}
