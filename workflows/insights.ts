import { type ActivityOptions, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { describeInputProblem, type InsightsRefreshInput, insightsRefreshInputSchema } from '../domain/workflow-inputs';
import type { RegionalActivities } from '../activities';

/**
 * insightsRefresh: HQ's aggregates (docs/design/console.md, "Insights"). On the global queue, it
 * asks each region's worker to aggregate that region's data in its own database and replace the
 * region's rows in the global tables; only region names and row counts pass through here.
 * Scheduled hourly (temporal/processes/insights.ts) and started on demand by
 * POST /admin/insights/refresh.
 */

const REFRESH_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
};

export type { InsightsRefreshInput };

export async function insightsRefresh(
  raw: InsightsRefreshInput,
): Promise<{ regions: { region: string; rows: number }[] }> {
  const parsed = insightsRefreshInputSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'insightsRefresh'), 'InvalidInput');
  const regions = await Promise.all(
    parsed.data.regions.map(({ name, taskQueue }) => {
      const { refreshRegionInsights } = proxyActivities<RegionalActivities>({ ...REFRESH_OPTIONS, taskQueue });
      return refreshRegionInsights({ region: name });
    }),
  );
  return { regions };
}
