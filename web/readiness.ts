import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Sql } from 'postgres';

/** What /ready reports: PostgreSQL and Temporal reachability per region, and the region's pollers. */
export interface RegionReadiness {
  region: string;
  database: { ok: boolean; error?: string };
  temporal: { ok: boolean; taskQueue: string; workflowPollers?: number; activityPollers?: number; error?: string };
}

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function checkRegion(
  region: { name: string; taskQueue: string; sql: Sql },
  client: Client,
): Promise<RegionReadiness> {
  const database = await withTimeout(region.sql`select 1`, 'PostgreSQL')
    .then(() => ({ ok: true }))
    .catch((error: Error) => ({ ok: false, error: error.message }));
  const pollers = async (type: temporal.api.enums.v1.TaskQueueType) => {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: region.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    return res.pollers?.length ?? 0;
  };
  const t = await withTimeout(
    Promise.all([
      pollers(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
      pollers(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ]),
    'Temporal',
  )
    .then(([workflowPollers, activityPollers]) => ({ ok: true, taskQueue: region.taskQueue, workflowPollers, activityPollers }))
    .catch((error: Error) => ({ ok: false, taskQueue: region.taskQueue, error: error.message.split('\n')[0] }));
  return { region: region.name, database, temporal: t };
}
