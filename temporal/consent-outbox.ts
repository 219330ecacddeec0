import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Sql } from 'postgres';
import { propagationStarted, unstartedPropagations } from '../db/consent-propagation-store';
import type { RegionCatalog } from '../domain/regions';
import type { ConsentPropagationInput } from '../domain/workflow-inputs';
import { consentPropagationWorkflowId, startConsentPropagation } from './processes/consent-propagation';

/**
 * Starts consent propagations recorded in each region's consent outbox (db/consent-store.ts puts
 * a row there in the transaction that changes consent).
 *
 * - After its commit, the caller (tracking API, admin API, preference centre) calls
 *   startRecordedPropagation: the workflow starts at once and the row goes. If Temporal fails, the row
 *   stays and the caller carries on: the change is stored, its propagation only delayed.
 * - The sweep (start()) starts what is left, every `intervalMs`, once a row is `graceSeconds` old
 *   (so it does not race a caller's own start). It runs in every web process and in each region's
 *   worker (workers/main.ts): the worker is what must be up for a propagation to progress at all,
 *   so "the worker runs" is enough for the outbox to drain, whether or not a web process is up.
 *
 * Starting is idempotent: the workflow ID is the propagation's, and one already started counts as
 * started, so two sweepers (or a sweeper and a caller) never run a propagation twice.
 */
export class ConsentOutbox {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly regions: RegionCatalog,
    private readonly regionalSql: ReadonlyMap<string, Sql>,
    private readonly log: (message: string) => void = () => {},
    private readonly graceSeconds = 5,
  ) {}

  start(intervalMs = 5000): void {
    this.timer = setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every region's outbox; returns how many propagations it started. */
  async drain(): Promise<number> {
    let started = 0;
    for (const [region, sql] of this.regionalSql) {
      for (const input of await unstartedPropagations(sql, this.graceSeconds)) {
        await startAndClear(this.client, this.regions, region, sql, input);
        started++;
      }
    }
    return started;
  }

  private sweep(): void {
    if (this.running) return;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.log(`consent outbox: ${firstLine(error)}; will retry`))
      .finally(() => {
        this.running = undefined;
      });
  }
}

async function startAndClear(
  client: Client,
  regions: RegionCatalog,
  region: string,
  sql: Sql,
  input: ConsentPropagationInput,
): Promise<void> {
  try {
    await startConsentPropagation(client, regions, region, input);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  await propagationStarted(sql, input.propagationId);
}

/**
 * Starts a propagation recordConsent just committed (with its outbox row) and clears the row.
 * Never throws for Temporal or bookkeeping trouble: the row stays and a sweep starts it later.
 * Returns the workflow ID either way: the workflow will run under it.
 */
export async function startRecordedPropagation(
  client: Client,
  regions: RegionCatalog,
  region: string,
  sql: Sql,
  input: ConsentPropagationInput,
  log: (message: string) => void = (m) => console.error(m),
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = consentPropagationWorkflowId(input.propagationId);
  try {
    await startAndClear(client, regions, region, sql, input);
    return { workflowId, started: true };
  } catch (error) {
    log(`consent outbox: starting ${workflowId} failed (${firstLine(error)}); the sweep will start it`);
    return { workflowId, started: false };
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
