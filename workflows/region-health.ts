import { ActivityOptions, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { describeInputProblem, RegionHealthInput, regionHealthInputSchema } from '../domain/workflow-inputs';
import type { GlobalActivities, RegionalActivities } from '../activities';
import type { RegionHealthSummary } from '../db/schema/global';

/**
 * regionHealth: started on the global queue, it asks each region's own worker (on that
 * region's task queue) to probe that region's database, then records a summary globally.
 * It proves routing: region X's work runs only on region X's workers and database.
 */

const PROBE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  // A killed worker stops heartbeating; the probe moves to a live worker of the same region.
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
};

const REPORT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
};

export type { RegionHealthInput };

export interface RegionHealthResult {
  regions: RegionHealthSummary[];
}

const { recordRegionHealthReport } = proxyActivities<GlobalActivities>(REPORT_OPTIONS);

export async function regionHealth(raw: RegionHealthInput): Promise<RegionHealthResult> {
  const parsed = regionHealthInputSchema.safeParse(raw);
  // A bad input from the Temporal UI fails the workflow with the reason, instead of retrying forever.
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'regionHealth'), 'InvalidInput');
  const input = parsed.data;
  const { workflowId } = workflowInfo();
  const regions = await Promise.all(
    input.regions.map(({ name, taskQueue }) => {
      const { probeRegionDatabase } = proxyActivities<RegionalActivities>({ ...PROBE_OPTIONS, taskQueue });
      return probeRegionDatabase({
        workflowId,
        region: name,
        samples: input.samples ?? 3,
        intervalMs: input.intervalMs ?? 200,
      });
    }),
  );
  await recordRegionHealthReport({ workflowId, regions });
  return { regions };
}
