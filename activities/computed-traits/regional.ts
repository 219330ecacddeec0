import { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { loadComputedTraits, recomputeComputedTraitsPage } from '../../db/computed-traits-store';

/**
 * Computed traits in a region's worker: one page of the region's people recomputed per call
 * (db/computed-traits-store.ts). Idempotent: recomputing writes only what changed, so a retried page
 * writes nothing new. Inputs and results are trait IDs, a customer ID to start after, and counts.
 */

export interface ComputedTraitsDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
}

export interface RecomputePageInput {
  /** The traits to recompute; all SQL-computed ones when absent. */
  traitIds?: string[];
  /** Only traits whose window slides (the scheduled pass). */
  windowedOnly?: boolean;
  /** Start after this customer ID; null for the first page. */
  after: string | null;
  pageSize: number;
  /** The instant the whole pass computes as of (ISO), the same for every page. */
  now: string;
}

export function createComputedTraitsActivities({ sql, globalSql }: ComputedTraitsDeps) {
  return {
    async recomputeComputedTraitsPage(
      input: RecomputePageInput,
    ): Promise<{ customers: number; changed: number; last: string | null; traits: number }> {
      const traits = await loadComputedTraits(globalSql, {
        ...(input.traitIds ? { ids: input.traitIds } : {}),
        ...(input.windowedOnly ? { windowedOnly: true } : {}),
      });
      Context.current().heartbeat({ after: input.after });
      if (traits.length === 0) return { customers: 0, changed: 0, last: null, traits: 0 };
      const page = await recomputeComputedTraitsPage(sql, traits, input.after, input.pageSize, new Date(input.now));
      return { ...page, traits: traits.length };
    },
  };
}
