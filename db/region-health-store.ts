import { and, eq } from 'drizzle-orm';
import type { RegionalDb, RegionPool } from './connections';
import { regionHealthProbes } from './schema/regional';

/** The probes regionHealth records in each region's database, once per workflow and region. */

/** One round trip to the region's database, the unit a probe times. */
export async function roundTrip(pool: RegionPool<RegionalDb>): Promise<void> {
  await pool.sql`select 1`;
}

/** Records the probe unless this workflow already did (a retried activity), and returns the stored one. */
export async function recordProbe(pool: RegionPool<RegionalDb>, probe: typeof regionHealthProbes.$inferInsert) {
  await pool.db.insert(regionHealthProbes).values(probe).onConflictDoNothing();
  const [stored] = await pool.db
    .select()
    .from(regionHealthProbes)
    .where(and(eq(regionHealthProbes.workflowId, probe.workflowId), eq(regionHealthProbes.region, probe.region)));
  return stored;
}
