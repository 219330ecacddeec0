import type { Sql } from 'postgres';
import { affectedCustomers, type CauseTest, segmentDependencies } from '../domain/audience-dependencies';
import type { RegionCatalog } from '../domain/regions';
import type { SegmentNode } from '../domain/segments';
import { consentBrandOf, visibleSourceIds } from './brands-store';
import { eachConcurrently } from './concurrently';
import { loopOptions, PollingLoop } from './polling-loop';
import {
  applySegmentMembership,
  type Segment,
  type SegmentScope,
  segmentsOfRegion,
  segmentsStamp,
} from './segments-store';

/** How long a claimed batch may wait on its reactors before PostgreSQL ends the claim (the rows return). */
const CLAIM_IDLE_LIMIT_MS = 10 * 60_000;
/** Change rows claimed per transaction unless the options say otherwise. */
const DEFAULT_BATCH = 2000;
/** A full claim takes at most this many times `batch` further rows of the same people. */
export const COALESCE_FACTOR = 4;
/**
 * The audience processor (issue 11, docs/design/audiences.md): the ingest writer and the order
 * writes put one `audience_changes` row per changed person in the transaction that changed them;
 * this loop, in each regional worker, claims batches of those rows (`for update skip locked`, so
 * several workers share the work), runs the reactors in order for the people named, and deletes
 * the rows in the same transaction that claimed them. A worker killed mid-batch rolls the claim
 * back: the rows are claimed by nobody and the next pass takes them again. Reactors are
 * idempotent (a second run for the same person changes nothing), so "again" is harmless.
 */

/** Brings one kind of audience data up to date for `customerIds` (regional pool). */
/**
 * One step of the processor, for the people who changed (`causes`: customer ID → what changed,
 * domain/audience-dependencies.ts). A reactor may answer what it changed for whom (customer ID →
 * causes, e.g. `computed:last_seen`): the reactors after it see those causes too.
 */
export type AudienceReactor = (
  sql: Sql,
  customerIds: string[],
  causes: ReadonlyMap<string, ReadonlySet<string>>,
) => Promise<void | ReadonlyMap<string, Iterable<string>>>;

export interface AudienceProcessorOptions {
  /**
   * Change rows claimed per transaction (at most: when few are waiting, all of them). Each reactor
   * statement costs about the same for 500 people as for 2,000, so a backlog drains in large
   * batches (measured: ~2× the rows per second of 500).
   */
  batch?: number;
  /**
   * When a claim comes back full (the processor is behind), also claim these people's later changes
   * (up to COALESCE_FACTOR × `batch` rows), so a person noted several times while the processor was
   * behind (a buyer whose orders arrive on five pages of a sync, a visitor's page views) is evaluated
   * once. Default on; off only for the same-run comparison of scripts/bench/audience-processor.ts.
   */
  coalesce?: boolean;
  /**
   * Pause after a claim that took everything waiting (fewer than `batch` rows) as after an empty one
   * (default on; off for the same-run comparison of the processor-alone benchmark).
   */
  restAfterPartial?: boolean;
  /** Pause when the outbox is empty (and after a partial claim: `restAfterPartial`). */
  idleMs?: number;
  log?: (message: string) => void;
}

export class AudienceProcessor extends PollingLoop {
  constructor(
    private readonly sql: Sql,
    private readonly reactors: readonly AudienceReactor[],
    private readonly options: AudienceProcessorOptions = {},
  ) {
    super('audience processor', loopOptions(options, 200));
  }

  protected pass(): Promise<number> {
    return this.processBatch();
  }

  /**
   * A partial claim took everything waiting: the loop pauses as when it found nothing (up to
   * `idleMs`), so a steady stream (a sync's pages, ingest) is taken in batches of that many
   * milliseconds of changes rather than one commit's people at a time, each batch paying every
   * reactor's statements. A full claim means the processor is behind: it goes on at once.
   */
  protected override restsAfter(handled: number): boolean {
    return this.options.restAfterPartial === false ? handled === 0 : handled < (this.options.batch ?? DEFAULT_BATCH);
  }

  /** Claims one batch, runs every reactor for its people, deletes it; returns the rows handled. */
  async processBatch(): Promise<number> {
    return this.sql.begin(async (tx) => {
      const batch = this.options.batch ?? DEFAULT_BATCH;
      const rows = await tx<{ id: string; customer_id: string; cause: string }[]>`
        select id, customer_id, cause from audience_changes order by id limit ${batch}
        for update skip locked`;
      if (rows.length === 0) return 0;
      if (rows.length === batch && this.options.coalesce !== false) {
        // Behind: the rest of these people's changes waiting now are evaluated with them. The
        // reactors read the tables as they are, so a later change taken early loses nothing; when
        // the processor keeps up, claims are not full and nothing waits for a longer window.
        const people = [...new Set(rows.map((r) => r.customer_id))];
        const later = await tx<{ id: string; customer_id: string; cause: string }[]>`
          select id, customer_id, cause from audience_changes
          where customer_id = any(${this.sql.array(people)}::uuid[]) and id > ${rows.at(-1)!.id}
          order by id limit ${batch * COALESCE_FACTOR}
          for update skip locked`;
        rows.push(...later);
      }
      // The claim is held while the reactors run on other connections, which may take longer than
      // the pool's idle-in-transaction limit under load: this transaction gets a limit of its own.
      await tx`select set_config('idle_in_transaction_session_timeout', ${String(CLAIM_IDLE_LIMIT_MS)}, true)`;
      const causes = new Map<string, Set<string>>();
      for (const row of rows) {
        const set = causes.get(row.customer_id) ?? new Set<string>();
        set.add(row.cause);
        causes.set(row.customer_id, set);
      }
      const customerIds = [...causes.keys()].sort();
      for (const react of this.reactors) {
        const changed = await react(this.sql, customerIds, causes);
        for (const [id, more] of changed ?? []) for (const cause of more) causes.get(id)?.add(cause);
      }
      await tx`delete from audience_changes where id = any(${rows.map((r) => r.id)}::bigint[])`;
      return rows.length;
    });
  }
}

/**
 * The segment reactor: every segment this region evaluates (the group's and its own), restricted
 * to the people who changed. Definitions and brand visibility come from the global database and
 * are re-read whenever a segment of the region was created or changed since (a small query per
 * batch): a batch claimed after a definition change always evaluates the new definition, so no
 * change slips between the processor and the recompute that the definition change started.
 */
export function segmentMembershipReactor(deps: {
  globalSql: Sql;
  region: string;
  regions: RegionCatalog;
  /** Segments evaluated at once (default 1). */
  concurrency?: number;
  /**
   * The facts reactor (db/audience-facts-store.ts) runs before this one in the same batch, so the
   * people of the batch are evaluated from their facts; without it, from their events and orders.
   */
  afterFacts?: boolean;
}): AudienceReactor {
  let cached:
    | { stamp: string; segments: { segment: Segment; scope: SegmentScope; dependsOn: CauseTest }[] }
    | undefined;
  const load = async () => {
    const stamp = await segmentsStamp(deps.globalSql, deps.region);
    if (cached?.stamp === stamp) return cached.segments;
    const segments = await segmentsOfRegion(deps.globalSql, deps.region);
    const scopes = new Map<string | null, SegmentScope>();
    for (const segment of segments) {
      if (scopes.has(segment.brandId)) continue;
      scopes.set(segment.brandId, await segmentScope(deps.globalSql, deps.regions, segment.brandId));
    }
    cached = {
      stamp,
      segments: segments.map((segment) => ({
        segment,
        scope: scopes.get(segment.brandId)!,
        dependsOn: segmentDependencies(segment.definition as SegmentNode),
      })),
    };
    return cached.segments;
  };
  return async (sql, _customerIds, causes) => {
    // Segments are independent (each applies under its own lock): a few are evaluated at once.
    await eachConcurrently(await load(), deps.concurrency ?? 1, async ({ segment, scope, dependsOn }) => {
      // Only the people whose change this segment reads (all of them when the cause is unspecific).
      const affected = affectedCustomers(causes, dependsOn);
      if (affected.length > 0)
        await applySegmentMembership(sql, segment, scope, affected.sort(), { factsCurrent: deps.afterFacts === true });
    });
  };
}

/** What a segment of `brandId` may read, and the region map its market conditions use. */
export async function segmentScope(
  globalSql: Sql,
  regions: RegionCatalog,
  brandId: string | null,
): Promise<SegmentScope> {
  return {
    visibleSourceIds: await visibleSourceIds(globalSql, brandId),
    consentBrand: await consentBrandOf(globalSql, brandId),
    regionCountries: (name) => regions.dataRegions.find((r) => r.name === name)?.countries ?? [],
  };
}
