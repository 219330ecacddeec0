import type { Client } from '@temporalio/client';
import type { Sql } from 'postgres';
import { GLOBAL_REGION, RegionCatalog } from '../domain/regions';
import { MERIDIAN_CUSTOMER_ID, MERIDIAN_PROCESS_KIND } from '../domain/search-attributes';
import type { identityMerge, MergeRequest } from '../workflows/identity-merge';

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
      const rows = await sql<{ id: number; from_customer_id: string; into_customer_id: string; linked_by: string }[]>`
        select id, from_customer_id, into_customer_id, linked_by from merge_requests order by id limit 500`;
      for (const row of rows) {
        const request: MergeRequest = { from: row.from_customer_id, into: row.into_customer_id, linkedBy: row.linked_by };
        await this.client.workflow.signalWithStart<typeof identityMerge, [MergeRequest]>('identityMerge', {
          workflowId: `identity-merge-${request.into}`,
          taskQueue: this.regions.region(GLOBAL_REGION).taskQueue,
          args: [{ into: request.into }],
          signal: 'mergeRequested',
          signalArgs: [request],
          typedSearchAttributes: [
            { key: MERIDIAN_PROCESS_KIND, value: 'identityMerge' },
            { key: MERIDIAN_CUSTOMER_ID, value: request.into },
          ],
        });
        await sql`delete from merge_requests where id = ${row.id}`;
        started++;
      }
    }
    return started;
  }
}
