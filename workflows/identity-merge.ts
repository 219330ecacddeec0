import {
  ActivityOptions,
  ApplicationFailure,
  condition,
  continueAsNew,
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
const GLOBAL: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } };
/** How long an idle merge workflow waits for another request before it completes. */
const IDLE = '1 minute';
const MERGES_PER_RUN = 200;

const { planMerge, recordGlobalMerge } = proxyActivities<GlobalActivities>(GLOBAL);

export async function identityMerge(raw: IdentityMergeInput): Promise<{ merged: number }> {
  const parsed = identityMergeInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'identityMerge'), 'InvalidInput');
  const input = parsed.data;
  const queue: MergeRequest[] = [...(input.pending ?? [])];
  let merged = input.merged ?? 0;
  let mergedThisRun = 0;
  setHandler(mergeRequested, (request) => {
    // A malformed signal (sent by hand) is dropped: it cannot name a real merge.
    if (!mergeRequestSchema.safeParse(request).success) return;
    if (!queue.some((q) => q.from === request.from)) queue.push(request);
  });

  for (;;) {
    if (queue.length === 0 && !(await condition(() => queue.length > 0, IDLE))) return { merged };
    const request = queue[0]!;
    const plan = await planMerge({ from: request.from });
    for (const region of plan.regions) {
      const { mergeProfilesInRegion } = proxyActivities<RegionalActivities>({ ...REGIONAL, taskQueue: region.taskQueue });
      await mergeProfilesInRegion({ ...request, region: region.name, workflowId: workflowInfo().workflowId, sourceTrust: plan.sourceTrust });
    }
    await recordGlobalMerge({ from: request.from, into: request.into });
    queue.shift();
    merged++;
    mergedThisRun++;
    if (mergedThisRun >= MERGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof identityMerge>({ into: input.into, pending: queue, merged });
    }
  }
}
