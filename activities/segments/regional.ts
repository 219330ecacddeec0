import { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { segmentScope } from '../../db/audience-processor';
import {
  getSegment,
  needsScheduledRecompute,
  recomputeSegment,
  type Segment,
  type SegmentScope,
  segmentsOfRegion,
} from '../../db/segments-store';
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

/** How often a recompute tells Temporal it is alive (workflows/segments.ts: the heartbeat timeout is 3 of these). */
const HEARTBEAT_EVERY_MS = 10_000;

/**
 * Full recomputes run at once per region in a worker. Each holds a pooled connection for its whole
 * pass (the region pool has 10, shared with the intake and audience processors, which keep
 * membership real-time meanwhile), and two passes already keep both cores of a small machine busy:
 * twenty at once (a recompute of every segment) only made each slower and starved the processors.
 */
const RECOMPUTES_AT_ONCE = 2;

/** At most `limit` of the works given to it run at once; the others wait their turn, in order. */
function limiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Runs `work`, heartbeating meanwhile (waiting for its turn included). A recompute is one long
 * pass, and an activity task can be lost when the Temporal server is overloaded (seen in
 * bench:audiences: the dev server's store failing its updates, an activity recorded as started
 * whose run or completion never arrived then waited out its 5-minute start-to-close timeout, which
 * made a full recompute of 20 segments take over 300 s instead of 15): with heartbeats the server
 * notices within the heartbeat timeout and the activity runs again, which finds nothing left to move.
 */
async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createSegmentActivities(deps: SegmentActivityDeps) {
  const inTurn = limiter(RECOMPUTES_AT_ONCE);
  const recompute = (segment: Segment, scope: SegmentScope) =>
    whileBeating(() => inTurn(() => recomputeSegment(deps.sql, segment, scope)));
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
      return { ...(await recompute(segment, scope)), superseded: false };
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
      return { ...(await recompute(segment, scope)), next: null, superseded: false };
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
