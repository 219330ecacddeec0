import type { Client } from '@temporalio/client';
import type { Sql } from 'postgres';
import { mergeSignalled, pendingMerges } from '../db/merge-requests-store';
import type { RegionCatalog } from '../domain/regions';
import { requestIdentityMerge } from './processes/identity-merge';

/**
 * Drains each region's merge outbox: signal-with-start the survivor's identityMerge workflow,
 * then delete the request. A request whose start fails stays and is retried on the next pass.
 */
export class MergeOutbox {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly client: Client,
    private readonly regions: RegionCatalog,
    private readonly regionalSql: ReadonlyMap<string, Sql>,
    private readonly log: (message: string) => void = () => {},
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => this.poke(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Asks for a pass now (after a commit that recorded merges). */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: Error) => this.log(`merge outbox: ${error.message.split('\n')[0]}; will retry`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  async drain(): Promise<number> {
    let started = 0;
    for (const [, sql] of this.regionalSql) {
      for (const { id, request } of await pendingMerges(sql)) {
        await requestIdentityMerge(this.client, this.regions, request);
        await mergeSignalled(sql, id);
        started++;
      }
    }
    return started;
  }
}
