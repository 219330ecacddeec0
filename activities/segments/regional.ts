import type { Sql } from 'postgres';
import { segmentScope } from '../../db/audience-processor';
import { getSegment, needsScheduledRecompute, recomputeSegment, segmentsOfRegion } from '../../db/segments-store';
import type { RegionCatalog } from '../../domain/regions';

/**
 * The region side of segment recomputes (workflows/segments.ts): which segments have conditions
 * that slide with time, and one page of a full recompute. Only segment IDs, customer-ID cursors
 * and counts go back to the workflow (DESIGN.md, rule 2).
 */

export interface SegmentActivityDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
  regions: RegionCatalog;
}

export interface RecomputePageInput {
  segmentId: string;
  /** The version the recompute was started for: a newer one has its own recompute, so this one stops. */
  version: number;
  after: string | null;
}

export function createSegmentActivities(deps: SegmentActivityDeps) {
  return {
    /** This region's segments whose windows slide (or test local time), with their current version. */
    async timeRelativeSegments(): Promise<{ segmentId: string; version: number }[]> {
      const segments = await segmentsOfRegion(deps.globalSql, deps.region);
      return segments.filter(needsScheduledRecompute).map((s) => ({ segmentId: s.id, version: s.version }));
    },

    /**
     * A full recompute of the segment in this region, one set-based pass; `superseded` when the
     * definition has a newer version than the one the workflow was started for.
     */
    async recomputeSegmentInRegion(input: {
      segmentId: string;
      version: number;
    }): Promise<{ entered: number; exited: number; superseded: boolean }> {
      const segment = await getSegment(deps.globalSql, input.segmentId);
      const owned = segment && (segment.owner === 'group' || segment.owner === deps.region);
      if (!segment || !owned || segment.version !== input.version) return { entered: 0, exited: 0, superseded: true };
      const scope = await segmentScope(deps.globalSql, deps.regions, segment.brandId);
      return { ...(await recomputeSegment(deps.sql, segment, scope)), superseded: false };
    },

    /** The page loop's activity, kept for runs started before `single-pass-recompute` (replay). */
    async recomputeSegmentPage(
      input: RecomputePageInput,
    ): Promise<{ entered: number; exited: number; next: string | null; superseded: boolean }> {
      const segment = await getSegment(deps.globalSql, input.segmentId);
      const owned = segment && (segment.owner === 'group' || segment.owner === deps.region);
      if (!segment || !owned || segment.version !== input.version)
        return { entered: 0, exited: 0, next: null, superseded: true };
      const scope = await segmentScope(deps.globalSql, deps.regions, segment.brandId);
      // The whole region in one set-based pass (db/segments-store.ts recomputeSegment): the
      // workflow's page cursor stays in its contract, and this page is the last.
      return { ...(await recomputeSegment(deps.sql, segment, scope)), next: null, superseded: false };
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
