import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Sql } from 'postgres';
import { intakeBacklog } from '../db/intake-store';
import { ping } from '../db/connections';

/**
 * Readiness: PostgreSQL and Temporal reachability per region, and the region's pollers. The
 * public listener answers only ready / not ready; the report with each check's error is for
 * operators (web/operator.ts), because error text names hosts, databases and users.
 *
 * A hung database must not take the server down with it: each region's check has its own
 * one-connection pool (never a slot of the pools that serve requests), its statements carry a
 * server-side statement_timeout, its connection attempt a connect timeout, and a check that does
 * not answer in time has its connection destroyed — so the next check starts afresh and nothing
 * is left holding a connection. Concurrent callers share the check in flight.
 */

export interface RegionReadiness {
  region: string;
  /**
   * `intake`: tracked calls acknowledged but not yet written by the region's intake processor, and
   * how long the oldest has waited (docs/design/ingestion.md): profile reads lag by about that much.
   */
  database: {
    ok: boolean;
    error?: string;
    intake?: { requests: number; calls: number; oldestSeconds: number };
  };
  temporal: { ok: boolean; taskQueue: string; workflowPollers?: number; activityPollers?: number; error?: string };
}

export const CHECK_TIMEOUT_MS = 3000;
/** Under the check's own deadline, so a slow server cancels the statement itself. */
export const CHECK_STATEMENT_TIMEOUT_MS = 2000;

export interface ReadinessRegion {
  name: string;
  taskQueue: string;
  /** Opens the check's own pool (max 1 connection, statement and connect timeouts set). */
  openSql(): Sql;
  /** A data region: its intake log's backlog is reported. */
  intake?: boolean;
}

function withDeadline<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class DatabaseCheck {
  private sql: Sql | undefined;
  private inFlight: Promise<RegionReadiness['database']> | undefined;

  constructor(
    private readonly open: () => Sql,
    private readonly timeoutMs: number,
    private readonly intake: boolean,
  ) {}

  run(): Promise<RegionReadiness['database']> {
    this.inFlight ??= this.check().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async check(): Promise<RegionReadiness['database']> {
    const sql = (this.sql ??= this.open());
    try {
      await withDeadline(ping(sql), 'PostgreSQL', this.timeoutMs);
      if (!this.intake) return { ok: true };
      return { ok: true, intake: await withDeadline(intakeBacklog(sql), 'PostgreSQL', this.timeoutMs) };
    } catch (error) {
      // Whatever went wrong, the connection goes (a slow statement was already ended by the
      // server's statement_timeout; a socket to a hung server would wait for the kernel's TCP
      // timeout): the next check connects afresh. No cancel request, which would open another
      // socket to the same hung server.
      this.sql = undefined;
      void sql.end({ timeout: 0 });
      return { ok: false, error: (error as Error).message.split('\n')[0] ?? 'unknown error' };
    }
  }

  async close(): Promise<void> {
    await this.inFlight?.catch(() => {});
    await this.sql?.end({ timeout: 0 });
    this.sql = undefined;
  }
}

export class ReadinessProbe {
  private readonly checks: { region: ReadinessRegion; database: DatabaseCheck }[];

  constructor(
    regions: readonly ReadinessRegion[],
    private readonly client: Client,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {
    this.checks = regions.map((region) => ({
      region,
      database: new DatabaseCheck(() => region.openSql(), timeoutMs, region.intake ?? false),
    }));
  }

  /** Every region's report; never throws. */
  async check(): Promise<RegionReadiness[]> {
    return Promise.all(
      this.checks.map(async ({ region, database }) => {
        const [db, t] = await Promise.all([database.run(), this.temporalCheck(region.taskQueue)]);
        return { region: region.name, database: db, temporal: t };
      }),
    );
  }

  static isReady(report: readonly RegionReadiness[]): boolean {
    return report.every((r) => r.database.ok && r.temporal.ok);
  }

  private async temporalCheck(taskQueue: string): Promise<RegionReadiness['temporal']> {
    const pollers = async (type: temporal.api.enums.v1.TaskQueueType) => {
      const res = await this.client.workflowService.describeTaskQueue({
        namespace: this.client.options.namespace,
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: type,
      });
      return res.pollers?.length ?? 0;
    };
    try {
      // The gRPC deadline ends the call itself; nothing is left waiting on the connection.
      const [workflowPollers, activityPollers] = await this.client.connection.withDeadline(
        Date.now() + this.timeoutMs,
        () =>
          Promise.all([
            pollers(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            pollers(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
          ]),
      );
      return { ok: true, taskQueue, workflowPollers, activityPollers };
    } catch (error) {
      return { ok: false, taskQueue, error: (error as Error).message.split('\n')[0] ?? 'unknown error' };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.checks.map((c) => c.database.close()));
  }
}
