import type { Client } from '@temporalio/client';
import type { Sql, TransactionSql } from 'postgres';
import {
  activeRunsOf,
  claimJourneyEvents,
  enterJourneyRun,
  type Journey,
  journeysOfRegion,
  journeyVersionGraph,
  reconcileMergedRuns,
  runKeyHash,
} from '../db/journeys-store';
import { eachConcurrently } from '../db/concurrently';
import { loopOptions, PollingLoop } from '../db/polling-loop';
import { consumeMembershipEvents } from '../db/segments-store';
import { type JourneyGraph, listenedEvents, listenedSegments } from '../domain/journeys';
import type { RegionCatalog } from '../domain/regions';
import {
  signalJourneyEvent,
  signalJourneyProfileMerged,
  signalJourneySegmentEntered,
  startJourneyRun,
} from './processes/journeys';

/**
 * The journey trigger, one per regional worker (docs/design/activation.md "Journeys"): it turns what
 * committed in the region into journey runs, exactly once.
 *
 * - Segment entries: the membership outbox (`segment_membership_events`) through its own consumer
 *   `journeys` (`consumeMembershipEvents`: offset locked and advanced in one transaction).
 * - Tracked events: `journey_event_outbox`, written by the region writer in each event's transaction,
 *   claimed `for update skip locked` and deleted in the claiming transaction.
 * - Merges: active runs of profiles merged away (`reconcileMergedRuns`).
 *
 * In each case the run row (`journey_runs`, re-entry decided under an advisory lock) is written, the
 * workflow started (ID = run ID) or signalled, and only then the transaction commits. A crash before
 * the commit rolls the row and the offset back; the next pass computes the same run ID, and Temporal
 * answers "already started" for a run that did start. So a run starts once, whichever pass gets there.
 * Signals carry event IDs (or a segment ID) only; a repeated signal is ignored by the run.
 */

export const MEMBERSHIP_CONSUMER = 'journeys';

export interface JourneyTriggerOptions {
  idleMs?: number;
  log?: (message: string) => void;
  now?: () => Date;
  /** Passed to each run (workflows/definitions.ts JourneyRunInput): tests shorten it. */
  pauseRecheckMs?: number;
  /** People whose entries and events are handled at once in a pass (default TRIGGER_CONCURRENCY). */
  concurrency?: number;
}

/** People handled side by side in a pass: their starts and signals are independent of each other's. */
export const TRIGGER_CONCURRENCY = 16;

export class JourneyTrigger extends PollingLoop {
  private readonly graphs = new Map<string, JourneyGraph>();

  constructor(
    private readonly client: Client,
    private readonly regions: RegionCatalog,
    private readonly region: string,
    private readonly sql: Sql,
    private readonly globalSql: Sql,
    private readonly options: JourneyTriggerOptions = {},
  ) {
    super('journey trigger', loopOptions(options, 200));
  }

  /** One pass over the three sources; returns how many items it handled. */
  async pass(): Promise<number> {
    // Read once per pass that has work, so a journey published a moment ago sees the next events.
    let list: Journey[] | undefined;
    const current = async () => (list ??= await this.regionJourneys());
    let handled = await consumeMembershipEvents(this.sql, MEMBERSHIP_CONSUMER, async (events, tx) => {
      const journeys = await current();
      await this.eachPerson(events, async (e) => {
        if (e.kind !== 'entered') return;
        for (const j of journeys)
          if (
            j.status === 'active' &&
            j.graph.entry.type === 'segmentEntered' &&
            j.graph.entry.segmentId === e.segmentId
          )
            await this.enter(tx, j, e.customerId, '', undefined);
        for (const run of await activeRunsOf(tx, [e.customerId])) {
          const graph = await this.graphOf(run.journeyId, run.version);
          if (graph && listenedSegments(graph).has(e.segmentId))
            await signalJourneySegmentEntered(this.client, run.runId, e.segmentId);
        }
      });
    });
    handled += await claimJourneyEvents(this.sql, async (rows, tx) => {
      const journeys = await current();
      await this.eachPerson(rows, async (row) => {
        // Runs already waiting hear of it first, so an event that also starts a new run is not its own answer.
        for (const run of await activeRunsOf(tx, [row.customerId])) {
          const graph = await this.graphOf(run.journeyId, run.version);
          if (graph && listenedEvents(graph).has(row.event))
            await signalJourneyEvent(this.client, run.runId, row.eventId);
        }
        for (const j of journeys) {
          const entry = j.graph.entry;
          if (j.status !== 'active' || entry.type !== 'event' || entry.event !== row.event) continue;
          const keyHash = entry.key ? runKeyHash(row.properties[entry.key]) : '';
          // A keyed journey needs the key: an event without it starts no run.
          if (entry.key && keyHash === '') continue;
          await this.enter(tx, j, row.customerId, keyHash, row.eventId);
        }
      });
    });
    handled += await this.sql.begin(async (tx) => {
      const merged = await reconcileMergedRuns(tx);
      for (const m of merged)
        await signalJourneyProfileMerged(this.client, m.runId, {
          intoCustomerId: m.intoCustomerId,
          survivorHasRun: m.survivorHasRun,
        });
      return merged.length;
    });
    return handled;
  }

  /**
   * `work` for each item, one person's items in their order (a run started by an event hears of that
   * person's next one), people side by side: up to `concurrency` at once in the pass's transaction,
   * whose queries postgres pipelines on its one connection, and whose starts and signals go out
   * together. One at a time, each item waited for its round trips to the database and Temporal
   * (3,000 runs started 98.9 s after their events on a quiet machine).
   */
  private async eachPerson<T extends { customerId: string }>(items: readonly T[], work: (item: T) => Promise<void>) {
    const byPerson = new Map<string, T[]>();
    for (const item of items) {
      const list = byPerson.get(item.customerId);
      if (list) list.push(item);
      else byPerson.set(item.customerId, [item]);
    }
    await eachConcurrently([...byPerson.values()], this.options.concurrency ?? TRIGGER_CONCURRENCY, async (list) => {
      for (const item of list) await work(item);
    });
  }

  private async enter(
    tx: TransactionSql,
    journey: Journey,
    customerId: string,
    keyHash: string,
    entryEventId: string | undefined,
  ): Promise<void> {
    const run = await enterJourneyRun(tx, {
      journeyId: journey.id,
      customerId,
      keyHash,
      version: journey.version,
      reEntry: journey.graph.reEntry,
      now: this.options.now?.() ?? new Date(),
    });
    if (!run) return;
    await startJourneyRun(this.client, this.regions, {
      region: this.region,
      journeyId: journey.id,
      version: journey.version,
      customerId,
      brandId: journey.brandId,
      runId: run.runId,
      keyHash,
      ...(entryEventId ? { entryEventId } : {}),
      ...(this.options.pauseRecheckMs ? { pauseRecheckMs: this.options.pauseRecheckMs } : {}),
    });
  }

  private async regionJourneys(): Promise<Journey[]> {
    const list = await journeysOfRegion(this.globalSql, this.region);
    for (const j of list) this.graphs.set(`${j.id}:${j.version}`, j.graph);
    return list;
  }

  private async graphOf(journeyId: string, version: number): Promise<JourneyGraph | undefined> {
    const key = `${journeyId}:${version}`;
    if (!this.graphs.has(key)) {
      const graph = await journeyVersionGraph(this.globalSql, journeyId, version);
      if (graph) this.graphs.set(key, graph);
    }
    return this.graphs.get(key);
  }
}
