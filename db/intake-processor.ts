import type { Sql } from 'postgres';
import type { RegionKey } from './crypto-shredding';
import { claimIntake, deleteIntake, type IntakeRow, retireIntakeKeys } from './intake-store';
import { INTAKE_KEY_RETIRE_MS } from './intake-log';
import { type CallOutcome, isDataError, type RegionWriter } from './region-writer';
import { provenanceOfSource } from '../domain/identity-provenance';

/**
 * The intake processor of a region (docs/design/ingestion.md): claims the oldest acknowledged
 * requests (`for update skip locked`, so several processors share the log), resolves and writes
 * them through the region writer (One ID, per-person sealing, suppression, dedupe by message ID),
 * then deletes them in the transaction that claimed them, and deletes intake keys no row uses.
 *
 * Killed mid-batch, the claim rolls back and the rows return; what the writer had already
 * committed is recognised by message ID on the next pass and stored once (DESIGN.md, rule 4).
 */

/** How long a claim may wait on the writer before PostgreSQL ends it (the rows return). */
const CLAIM_IDLE_LIMIT_MS = 5 * 60_000;
const KEY_RETIRE_EVERY_MS = 5_000;

export interface IntakeProcessorOptions {
  /** Requests claimed per transaction (at most). */
  batchRows?: number;
  /** Calls claimed per transaction (about: a request is never split). */
  batchCalls?: number;
  idleMs?: number;
  log?: (message: string) => void;
  /**
   * What follows a stored request outside the writer's transaction (tracked consent, ad clicks):
   * run before the rows are deleted, so a crash before it is finished re-runs it on stored calls'
   * message IDs (it must be idempotent: both effects key on the message ID or the click ID).
   */
  afterWrite?: (row: IntakeRow, outcomes: CallOutcome[]) => Promise<void>;
}

export class IntakeProcessor {
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private poked = false;
  private readonly keys = new Map<string, Buffer>();
  private lastRetire = 0;
  /** Acknowledgement → written, in ms, of the last requests handled (for the benchmark and ops). */
  readonly delays: number[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly regionKey: RegionKey,
    private readonly writer: RegionWriter,
    private readonly options: IntakeProcessorOptions = {},
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** New rows were committed (by this process): look now rather than after the idle pause. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const idle = this.options.idleMs ?? 100;
    while (!this.stopped) {
      let handled = 0;
      this.poked = false;
      try {
        handled = await this.processBatch();
        if (Date.now() - this.lastRetire > KEY_RETIRE_EVERY_MS) {
          this.lastRetire = Date.now();
          for (const id of await retireIntakeKeys(this.sql, INTAKE_KEY_RETIRE_MS)) this.keys.delete(id);
        }
      } catch (error) {
        this.options.log?.(
          `intake processor: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200)}; will retry`,
        );
        handled = 0;
      }
      if (handled === 0 && !this.stopped && !this.poked)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idle);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }

  /** Claims one batch, writes it, deletes it; returns the requests handled. */
  async processBatch(): Promise<number> {
    return this.sql.begin(async (tx) => {
      const rows = await claimIntake(
        tx,
        this.regionKey,
        this.keys,
        this.options.batchRows ?? 200,
        this.options.batchCalls ?? 4000,
      );
      if (rows.length === 0) return 0;
      await tx`select set_config('idle_in_transaction_session_timeout', ${String(CLAIM_IDLE_LIMIT_MS)}, true)`;
      // One write per request: the writer groups them into large commits, and a request whose data
      // PostgreSQL refuses fails alone (the others of its commit are retried without it).
      const settled = await Promise.allSettled(
        rows.map((row) =>
          this.writer.write(
            row.calls.map((call) => ({ sourceId: row.sourceId, provenance: provenanceOfSource(row.sourceKind), call })),
          ),
        ),
      );
      const done: number[] = [];
      for (const [i, result] of settled.entries()) {
        const row = rows[i]!;
        if (result.status === 'fulfilled') {
          await this.options.afterWrite?.(row, result.value);
          done.push(row.id);
        } else if (isDataError(result.reason)) {
          // It will never be stored: retrying would block the log. Only the SQLSTATE is logged (the
          // value may be personal); the request's calls are dropped with their row.
          this.options.log?.(
            `intake processor: request ${row.id} of source ${row.sourceId} refused by the database (SQLSTATE ${(result.reason as { code: string }).code}); its ${row.calls.length} calls were not stored`,
          );
          done.push(row.id);
        } else {
          // Not the data's fault: the whole claim rolls back and is taken again.
          throw result.reason;
        }
      }
      await deleteIntake(tx, done);
      const now = Date.now();
      for (const row of rows) this.delays.push(now - row.acknowledgedAt.getTime());
      if (this.delays.length > 10_000) this.delays.splice(0, this.delays.length - 10_000);
      return rows.length;
    });
  }
}
