import type { Sql } from 'postgres';
import type { RejectedRecord } from '../domain/commerce';

/**
 * A connector sync's bookkeeping in its region's database: the connector's lease (one sync at a
 * time), the run and how it ended, each stream's next start, the position after every stored page
 * (so a retried call resumes there), and the records a sync could not take.
 */

const interval = (ms: number) => `${ms} milliseconds`;

/** Takes the connector's lease unless another live sync holds it; undefined when taken, else who holds it. */
export async function takeConnectorLease(
  sql: Sql,
  lease: { connectorId: string; syncId: string; workflowId: string },
  leaseMs: number,
): Promise<{ heldBy: string } | undefined> {
  const taken = await sql<{ sync_id: string }[]>`
    insert into connector_leases (connector_id, sync_id, workflow_id, expires_at)
    values (${lease.connectorId}, ${lease.syncId}, ${lease.workflowId}, now() + ${interval(leaseMs)}::interval)
    on conflict (connector_id) do update set sync_id = excluded.sync_id, workflow_id = excluded.workflow_id,
      acquired_at = now(), expires_at = excluded.expires_at
    where connector_leases.sync_id = excluded.sync_id or connector_leases.expires_at < now()
    returning sync_id`;
  if (taken.length > 0) return undefined;
  const [holder] = await sql<
    { workflow_id: string }[]
  >`select workflow_id from connector_leases where connector_id = ${lease.connectorId}`;
  return { heldBy: holder?.workflow_id ?? 'another sync' };
}

/** Renews the lease; false when this sync no longer holds it (expired and taken by another). */
export async function renewConnectorLease(
  sql: Sql,
  connectorId: string,
  syncId: string,
  leaseMs: number,
): Promise<boolean> {
  const rows = await sql`
    update connector_leases set expires_at = now() + ${interval(leaseMs)}::interval
    where connector_id = ${connectorId} and sync_id = ${syncId} returning 1`;
  return rows.length > 0;
}

export async function startSyncRun(
  sql: Sql,
  run: { syncId: string; connectorId: string; workflowId: string },
): Promise<void> {
  await sql`
    insert into sync_runs (sync_id, connector_id, workflow_id, status) values (${run.syncId}, ${run.connectorId}, ${run.workflowId}, 'running')
    on conflict (sync_id) do nothing`;
}

/** Where each stream's next incremental pass starts (ISO instants), as stored by the last completed pass. */
export async function streamStarts(sql: Sql, connectorId: string): Promise<Map<string, string | undefined>> {
  const stored = await sql<{ stream: string; since: Date | string | null }[]>`
    select stream, since from connector_streams where connector_id = ${connectorId}`;
  return new Map(stored.map((r) => [r.stream, r.since ? new Date(r.since).toISOString() : undefined]));
}

/** A pass completed: the stream's next start moves forward (never back). */
export async function finishStreamPass(
  sql: Sql,
  pass: { connectorId: string; stream: string; nextSince: string; records: number },
): Promise<void> {
  await sql`
    insert into connector_streams (connector_id, stream, since, last_pass_completed_at, last_pass_records)
    values (${pass.connectorId}, ${pass.stream}, ${pass.nextSince}, now(), ${pass.records})
    on conflict (connector_id, stream) do update set
      since = greatest(connector_streams.since, excluded.since), last_pass_completed_at = now(), last_pass_records = excluded.last_pass_records`;
}

/** The records of one page that could not be stored, each with its reason (never its values). */
export async function recordSyncRejections(
  sql: Sql,
  page: { syncId: string; connectorId: string; stream: string; pageNo: number },
  rejected: readonly RejectedRecord[],
): Promise<void> {
  await sql`
    insert into sync_rejections (sync_id, connector_id, stream, page_no, item_no, external_id, reason)
    select ${page.syncId}, ${page.connectorId}, ${page.stream}, ${page.pageNo}, n, e, r from unnest(
      ${sql.array(rejected.map((_, i) => i))}::int[], ${sql.array(rejected.map((r) => r.externalId ?? null) as string[])}::text[],
      ${sql.array(rejected.map((r) => r.reason))}::text[]) as u(n, e, r)
    on conflict do nothing`;
}

/** The position after a stored page of the call that started at `callPageNo`. */
export async function saveSyncCheckpoint<P>(
  sql: Sql,
  at: { syncId: string; stream: string; callPageNo: number; pageNo: number },
  progress: P,
): Promise<void> {
  await sql`
    insert into sync_checkpoints (sync_id, stream, call_page_no, page_no, progress)
    values (${at.syncId}, ${at.stream}, ${at.callPageNo}, ${at.pageNo}, ${JSON.stringify(progress)}::text::jsonb)
    on conflict (sync_id, stream) do update set call_page_no = excluded.call_page_no, page_no = excluded.page_no,
      progress = excluded.progress, updated_at = now()`;
}

/** What an earlier attempt of the call that started at `callPageNo` got to, if it stored any page. */
export async function loadSyncCheckpoint<P>(
  sql: Sql,
  at: { syncId: string; stream: string; callPageNo: number },
): Promise<P | undefined> {
  const [row] = await sql<{ progress: P | string }[]>`
    select progress from sync_checkpoints
    where sync_id = ${at.syncId} and stream = ${at.stream} and call_page_no = ${at.callPageNo} and page_no > ${at.callPageNo}`;
  if (!row) return undefined;
  return typeof row.progress === 'string' ? (JSON.parse(row.progress) as P) : row.progress;
}

/** Records how the sync ended and releases the lease. */
export async function endSyncRun(
  sql: Sql,
  end: {
    connectorId: string;
    syncId: string;
    status: string;
    totals: { pages: number; customers: number; orders: number; rejected: number };
    error?: string;
  },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into sync_runs (sync_id, connector_id, workflow_id, status) values (${end.syncId}, ${end.connectorId}, ${end.syncId.split('/')[0]!}, ${end.status})
      on conflict (sync_id) do nothing`;
    await tx`
      update sync_runs set status = ${end.status}, pages = ${end.totals.pages}, customers = ${end.totals.customers},
        orders = ${end.totals.orders}, rejected = ${end.totals.rejected}, error = ${end.error ?? null}, finished_at = now()
      where sync_id = ${end.syncId}`;
    await tx`delete from connector_leases where connector_id = ${end.connectorId} and sync_id = ${end.syncId}`;
  });
}
