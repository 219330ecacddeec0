import type { GlobalDb, RegionPool } from '../../db/connections';
import { regionHealthReports, RegionHealthSummary } from '../../db/schema/global';

export interface GlobalHealthDeps {
  pool: RegionPool<GlobalDb>;
}

export function createGlobalHealthActivities({ pool }: GlobalHealthDeps) {
  return {
    /** Stores the workflow's summary in the global database, once per workflow. */
    async recordRegionHealthReport(input: { workflowId: string; regions: RegionHealthSummary[] }): Promise<void> {
      await pool.db
        .insert(regionHealthReports)
        .values({ workflowId: input.workflowId, regions: input.regions })
        .onConflictDoNothing();
    },
  };
}
