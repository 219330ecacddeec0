import { type Client, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { MeridianConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import { INSIGHTS_SCHEDULE_ID } from '../../workflows/definitions';
import { startWorkflow, type WorkflowName } from '../workflow-types';

/**
 * HQ's insight aggregates (workflows/insights.ts): started on demand (POST /admin/insights/refresh)
 * as `insights-refresh-<time>`, and hourly by the `insights-refresh` Schedule.
 */

export { INSIGHTS_SCHEDULE_ID };
const INSIGHTS_REFRESH = 'insightsRefresh' satisfies WorkflowName;
export const INSIGHTS_EVERY = '1 hour';

const input = (config: Pick<MeridianConfig, 'regions'>) => ({
  regions: config.regions.dataRegions.map((r) => ({ name: r.name, taskQueue: r.taskQueue })),
});
const attributes = [
  { key: MERIDIAN_PROCESS_KIND, value: 'insightsRefresh' },
  { key: MERIDIAN_REGION, value: GLOBAL_REGION },
];

export async function startInsightsRefresh(client: Client, config: Pick<MeridianConfig, 'regions'>): Promise<string> {
  const workflowId = `insights-refresh-${new Date().toISOString().replace(/[-:.]/g, '')}-${Math.random().toString(16).slice(2, 6)}`;
  await startWorkflow(client, INSIGHTS_REFRESH, {
    workflowId,
    taskQueue: config.regions.region(GLOBAL_REGION).taskQueue,
    args: [input(config)],
    typedSearchAttributes: attributes,
  });
  return workflowId;
}

export async function ensureInsightsSchedule(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  every = INSIGHTS_EVERY,
): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: INSIGHTS_REFRESH,
    workflowId: INSIGHTS_SCHEDULE_ID,
    taskQueue: config.regions.region(GLOBAL_REGION).taskQueue,
    args: [input(config)],
    typedSearchAttributes: attributes,
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' };
  const handle = client.schedule.getHandle(INSIGHTS_SCHEDULE_ID);
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec, action, policies }));
    return 'updated';
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create({
      scheduleId: INSIGHTS_SCHEDULE_ID,
      spec,
      action,
      policies,
      memo: { description: "HQ's insight aggregates: each region's counts and sums into the global tables" },
    });
    return 'created';
  }
}
