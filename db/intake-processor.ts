import type { Sql } from 'postgres';
import type { RegionKey } from './crypto-shredding';
import { claimIntake, deleteIntake, type IntakeRow, retireIntakeKeys } from './intake-store';
import { INTAKE_KEY_RETIRE_MS } from './intake-log';
import type { CallOutcome, RegionWriter, TransactionWrite } from './region-writer';
import type { CompiledRules } from '../domain/data-categories';
import { provenanceOfSource } from '../domain/identity-provenance';
import { loopOptions, PollingLoop } from './polling-loop';

/**
 * The intake processor of a region (docs/design/ingestion.md): claims the oldest acknowledged
 * requests in large batches (`for update skip locked`, so several processors share the log),
 * resolves and writes each batch through the region writer inside the claiming transaction (One
 * ID, per-person sealing, suppression, dedupe by message ID), deletes the rows in that same
 * transaction, and deletes intake keys no row uses.
 *
 * Killed mid-batch, the transaction rolls back whole: neither the calls nor the deletion of their
 * rows are kept, and the rows are claimed again. A request sent twice is two rows; the second finds
 * the first's message IDs (DESIGN.md, rule 4).
 */

/** How long a claim may wait on the writer before PostgreSQL ends it (the rows return). */
const CLAIM_IDLE_LIMIT_MS = 5 * 60_000;
const AFTER_WRITE_ATTEMPTS = 3;
const KEY_RETIRE_EVERY_MS = 5_000;
/**
 * A batch: large enough that the per-batch costs (claim, identity lookups, savepoint, commit) are
 * shared by thousands of calls, small enough that one commits within a fraction of a second.
 */
const DEFAULT_BATCH_ROWS = 1000;
const DEFAULT_BATCH_CALLS = 5000;
const DEFAULT_CONCURRENCY = 2;

export interface IntakeProcessorOptions {
  /** Requests claimed per transaction (at most). */
  batchRows?: number;
  /** Calls claimed per transaction (about: a request is never split). */
  batchCalls?: number;
  idleMs?: number;
  log?: (message: string) => void;
  /**
   * What follows a stored request outside the writer's transaction (tracked consent, ad clicks):
   * run once the batch committed, so it only ever names customer IDs that exist. It must be
   * idempotent (both effects key on the message ID or the click ID).
   */
  afterWrite?: (row: IntakeRow, outcomes: CallOutcome[]) => Promise<void>;
  /**
   * The data-schema rules in force, read once per batch right after its claim, so a whole batch is
   * classified under one version, never older than one saved before its calls were acknowledged.
   */
  classification?: () => Promise<CompiledRules>;
  /** Batches in flight at once (default 2): one's statements run while the next is prepared. */
  concurrency?: number;
}

export class IntakeProcessor extends PollingLoop {
  /** Claims are taken one at a time, and each batch reserves its identifiers before the next claim. */
  private turn: Promise<void> = Promise.resolve();
  private readonly keys = new Map<string, Buffer>();
  private lastRetire = 0;
  /** Acknowledgement → written, in ms, of the last requests handled (for the benchmark and ops). */
  readonly delays: number[] = [];
  /** Rows claimed whose consent and clicks are not recorded yet (from the claim until afterWrite ends). */
  private readonly unfinished = new Set<number>();

  constructor(
    private readonly sql: Sql,
    private readonly regionKey: RegionKey,
    private readonly writer: RegionWriter,
    private readonly options: IntakeProcessorOptions = {},
  ) {
    super('intake processor', {
      ...loopOptions(options, 100),
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    });
  }

  /**
   * True when no request up to log position `through` is still being handled here, consent and
   * clicks included: with MERIDIAN_INTAKE_ACK=processed the answer waits for this too, so a caller
   * that reads consent right after a 200 finds it.
   */
  settledThrough(through: number): boolean {
    for (const id of this.unfinished) if (id <= through) return false;
    return true;
  }

  /** A batch; now and then, the intake keys no row uses any more are deleted (crypto-shredding). */
  protected async pass(): Promise<number> {
    const handled = await this.processBatch();
    if (Date.now() - this.lastRetire > KEY_RETIRE_EVERY_MS) {
      this.lastRetire = Date.now();
      for (const id of await retireIntakeKeys(this.sql, INTAKE_KEY_RETIRE_MS)) this.keys.delete(id);
    }
    return handled;
  }

  /** Waits for the previous batch to have claimed and reserved; the answer lets the next one go. */
  private async takeTurn(): Promise<() => void> {
    let release!: () => void;
    const previous = this.turn;
    this.turn = new Promise((resolve) => (release = resolve));
    await previous;
    return release;
  }

  /**
   * Claims one batch and writes it in the claiming transaction: the events and the deletion of
   * their intake rows commit together (stored and consumed at once, or neither). The writer resolves
   * the whole batch as one set (one identity lookup, one resolution in call order, multi-row writes)
   * under one data-schema version. Returns the requests handled.
   */
  async processBatch(): Promise<number> {
    let write: TransactionWrite | undefined;
    let rows: IntakeRow[] = [];
    // Batches run concurrently (one's statements while the next is sealed), but claim in log order
    // and reserve their identifiers in that order: calls of one person are resolved in that order.
    const nextMayClaim = await this.takeTurn();
    try {
      await this.sql.begin(async (tx) => {
        rows = await claimIntake(
          tx,
          this.regionKey,
          this.keys,
          this.options.batchRows ?? DEFAULT_BATCH_ROWS,
          this.options.batchCalls ?? DEFAULT_BATCH_CALLS,
        );
        if (rows.length === 0) return;
        for (const row of rows) this.unfinished.add(row.id);
        // Read after the claim: a version saved before any of these rows was acknowledged is in force.
        const classification = await this.options.classification?.();
        await tx`select set_config('idle_in_transaction_session_timeout', ${String(CLAIM_IDLE_LIMIT_MS)}, true)`;
        write = await this.writer.writeInTransaction(
          tx,
          rows.map((row) =>
            row.calls.map((call) => ({ sourceId: row.sourceId, provenance: provenanceOfSource(row.sourceKind), call })),
          ),
          classification,
          nextMayClaim,
        );
        for (const [i, reason] of write.refused) {
          // It will never be stored: retrying would block the log. Only the SQLSTATE is logged (the
          // value may be personal); the request's calls are dropped with their row.
          const row = rows[i]!;
          this.options.log?.(
            `intake processor: request ${row.id} of source ${row.sourceId} refused by the database (SQLSTATE ${(reason as { code: string }).code}); its ${row.calls.length} calls were not stored`,
          );
        }
        await deleteIntake(
          tx,
          rows.map((row) => row.id),
        );
      });
    } catch (error) {
      write?.settle(false);
      for (const row of rows) this.unfinished.delete(row.id);
      throw error;
    } finally {
      nextMayClaim();
    }
    if (!write) return 0;
    write.settle(true);
    const now = Date.now();
    for (const row of rows) this.delays.push(now - row.acknowledgedAt.getTime());
    if (this.delays.length > 10_000) this.delays.splice(0, this.delays.length - 10_000);
    // After the commit, on customer IDs that now exist; keyed, so a crash before it ends records
    // nothing twice (the gap: what it had not recorded yet is not recorded, docs/design/ingestion.md).
    try {
      if (this.options.afterWrite)
        for (const [i, row] of rows.entries()) {
          if (!write.refused.has(i)) await this.recordAfterWrite(row, write.outcomes[i]!);
        }
    } finally {
      for (const row of rows) this.unfinished.delete(row.id);
    }
    return rows.length;
  }

  /**
   * The request's consent and clicks, tried AFTER_WRITE_ATTEMPTS times (a dropped connection, a
   * deadlock): both are keyed, so a repeat records nothing twice. What still fails is logged.
   */
  private async recordAfterWrite(row: IntakeRow, outcomes: CallOutcome[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.afterWrite!(row, outcomes);
        return;
      } catch (error) {
        if (attempt < AFTER_WRITE_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          continue;
        }
        this.options.log?.(
          `intake processor: consent or click recording for request ${row.id} failed ${attempt} times (${error instanceof Error ? error.name : 'error'}); its calls are stored`,
        );
        return;
      }
    }
  }
}
