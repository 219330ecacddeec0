import type { Sql } from 'postgres';
import type { RegionKey } from './crypto-shredding';
import {
  appendIntake,
  createIntakeKey,
  type IntakeKey,
  type IntakeRequest,
  intakePendingThrough,
} from './intake-store';

/**
 * The web side of the intake log for one region (docs/design/ingestion.md): requests arriving
 * together are appended in one multi-row INSERT and one commit (group commit); each request's
 * promise resolves only once its row is committed, so a 200 means the calls are durable.
 *
 * Rows are sealed with this process's current intake key, replaced every KEY_LIFETIME_MS; the
 * processor deletes a key once it is older than INTAKE_KEY_RETIRE_MS and no row uses it.
 */

/** How long a web process seals with one intake key. */
export const KEY_LIFETIME_MS = 10_000;
/** Keys older than this are no longer used by any web process: the processor deletes them when drained. */
export const INTAKE_KEY_RETIRE_MS = 60_000;

const DEFAULT_WINDOW_MS = 2;
const MAX_CONCURRENT_APPENDS = 2;
/** Requests per INSERT: bounded so one statement stays a few MB at most. */
const MAX_ROWS_PER_APPEND = 500;

interface Pending {
  request: IntakeRequest;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface IntakeLogDeps {
  sql: Sql;
  regionKey: RegionKey;
  /** How long the first waiting request waits for others to share its commit (default 2 ms). */
  windowMs?: number;
  /** Called after each commit: an in-process processor starts at once. */
  onAppended?: () => void;
  /**
   * MERIDIAN_INTAKE_ACK=processed: a request resolves only once a processor has written its calls
   * (read-your-writes for the caller, at the cost of throughput); default: once they are committed.
   */
  awaitProcessed?: {
    timeoutMs: number;
    /** The in-process processor has also finished what follows the write (consent, clicks) up to here. */
    settled?: (through: number) => boolean;
  };
}

export class IntakeLog {
  private queue: Pending[] = [];
  private queuedCalls = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private key: { key: IntakeKey; until: number } | undefined;
  private creatingKey: Promise<IntakeKey> | undefined;
  private idle: (() => void)[] = [];

  constructor(private readonly deps: IntakeLogDeps) {}

  /** Calls waiting for their commit: the HTTP layer sheds load (429) when this grows too large. */
  get backlog(): number {
    return this.queuedCalls;
  }

  append(request: IntakeRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.queuedCalls += request.calls.length;
      if (this.inflight >= MAX_CONCURRENT_APPENDS || this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.deps.windowMs ?? DEFAULT_WINDOW_MS);
    });
  }

  /** Resolves once every request appended so far is committed (or failed). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.inflight === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inflight < MAX_CONCURRENT_APPENDS) {
      const batch = this.queue.splice(0, MAX_ROWS_PER_APPEND);
      this.queuedCalls -= batch.reduce((n, p) => n + p.request.calls.length, 0);
      this.inflight++;
      void this.flush(batch).finally(() => {
        this.inflight--;
        if (this.queue.length > 0) this.pump();
        else if (this.inflight === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  /** Waits until no row at or below `through` is left (a processor wrote and deleted them). */
  private async processed(through: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const settled = this.deps.awaitProcessed?.settled ?? (() => true);
    for (
      let pause = 2;
      (await intakePendingThrough(this.deps.sql, through)) || !settled(through);
      pause = Math.min(pause * 2, 50)
    ) {
      if (Date.now() > until)
        throw new IntakeNotProcessed(
          `committed to the intake log, but not written to profiles within ${timeoutMs / 1000} s: it will be; send again to be told when (the message ID keeps it once)`,
        );
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      let through: number;
      try {
        through = await appendIntake(
          this.deps.sql,
          await this.currentKey(),
          batch.map((p) => p.request),
        );
      } catch (error) {
        // The key was retired under us (this process stalled past INTAKE_KEY_RETIRE_MS): a new key, once.
        if ((error as { code?: string }).code !== '23503') throw error;
        this.key = undefined;
        through = await appendIntake(
          this.deps.sql,
          await this.currentKey(),
          batch.map((p) => p.request),
        );
      }
      this.deps.onAppended?.();
      if (this.deps.awaitProcessed) await this.processed(through, this.deps.awaitProcessed.timeoutMs);
      for (const p of batch) p.resolve();
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  private async currentKey(): Promise<IntakeKey> {
    if (this.key && this.key.until > Date.now()) return this.key.key;
    this.creatingKey ??= createIntakeKey(this.deps.sql, this.deps.regionKey)
      .then((key) => {
        this.key = { key, until: Date.now() + KEY_LIFETIME_MS };
        return key;
      })
      .finally(() => (this.creatingKey = undefined));
    return this.creatingKey;
  }
}

/** MERIDIAN_INTAKE_ACK=processed, and no processor wrote the calls in time (they are committed: nothing is lost). */
export class IntakeNotProcessed extends Error {
  override readonly name = 'IntakeNotProcessed';
}
