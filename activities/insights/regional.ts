import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { brandsOfSources, computeRegionInsights, replaceRegionInsights } from '../../db/insights-store';
import { MARKETING_CONSENT } from '../../domain/send-gate';

/**
 * The insightsRefresh workflow's work in one region: aggregate this region's orders, events,
 * consent and sends in its own database, and replace its rows in the global aggregate tables.
 * Only counts and sums leave the region; the activity returns how many rows it wrote.
 */

export interface InsightsDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
}

export function createInsightsActivities({ region, sql, globalSql }: InsightsDeps) {
  return {
    async refreshRegionInsights(input: { region: string }): Promise<{ region: string; rows: number }> {
      if (input.region !== region)
        throw ApplicationFailure.nonRetryable(
          `refreshRegionInsights for ${input.region} reached the ${region} worker: check the task queue`,
          'WrongRegion',
        );
      const purposes: Record<string, string> = {};
      for (const [channel, purpose] of Object.entries(MARKETING_CONSENT)) if (purpose) purposes[channel] = purpose;
      const insights = await computeRegionInsights(sql, purposes);
      const brands = await brandsOfSources(globalSql);
      // A source deleted since: its figures still count, under the group's default brand.
      const rows = await replaceRegionInsights(
        globalSql,
        region,
        insights,
        (sourceId) => brands.get(sourceId) ?? 'default',
      );
      return { region, rows };
    },
  };
}
