import type { Sql } from 'postgres';
import type { Connector } from './connectors-store';

/**
 * Connectors as the admin API and `npm run connectors` show them: settings with credentials only
 * as "set" or "missing", where each stream's next pass starts, the recent syncs, and the records a
 * sync could not take. Read models over the global and regional databases; the shell and HTTP
 * show the same things.
 */

export type RegionalAccess = { sql: Sql; key: Buffer };

export interface ConnectorView {
  id: string;
  system: string;
  name: string;
  region: string;
  brandId: string;
  settings: unknown;
  /** Never the secrets themselves. */
  credentials: 'set' | 'missing';
  createdAt: Date;
  updatedAt: Date;
}

export function connectorView(connector: Connector, credentialsSet: boolean): ConnectorView {
  return {
    id: connector.id,
    system: connector.system,
    name: connector.name,
    region: connector.region,
    brandId: connector.brandId,
    settings: connector.settings,
    credentials: credentialsSet ? 'set' : 'missing',
    createdAt: connector.createdAt,
    updatedAt: connector.updatedAt,
  };
}

/** Which of these connectors have credentials stored in their region's database. */
export async function connectorsWithCredentials(regional: RegionalAccess, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await regional.sql<{ connector_id: string }[]>`
    select connector_id from connector_credentials where connector_id in ${regional.sql(ids)}`;
  return new Set(rows.map((r) => r.connector_id));
}

export interface StreamPosition {
  stream: string;
  /** Where the next incremental pass starts. */
  since: Date | null;
  lastPassCompletedAt: Date | null;
  lastPassRecords: number | null;
}

export interface SyncRun {
  syncId: string;
  workflowId: string;
  status: string;
  pages: number;
  customers: number;
  orders: number;
  rejected: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export async function streamPositions(sql: Sql, connectorId: string): Promise<StreamPosition[]> {
  const rows = await sql<
    { stream: string; since: Date | null; last_pass_completed_at: Date | null; last_pass_records: number | null }[]
  >`
    select stream, since, last_pass_completed_at, last_pass_records from connector_streams
    where connector_id = ${connectorId} order by stream`;
  return rows.map((r) => ({
    stream: r.stream,
    since: r.since,
    lastPassCompletedAt: r.last_pass_completed_at,
    lastPassRecords: r.last_pass_records,
  }));
}

export async function recentSyncRuns(sql: Sql, connectorId: string, limit = 10): Promise<SyncRun[]> {
  const rows = await sql<
    {
      sync_id: string;
      workflow_id: string;
      status: string;
      pages: number;
      customers: number;
      orders: number;
      rejected: number;
      error: string | null;
      started_at: Date;
      finished_at: Date | null;
    }[]
  >`
    select sync_id, workflow_id, status, pages, customers, orders, rejected, error, started_at, finished_at
    from sync_runs where connector_id = ${connectorId} order by started_at desc, sync_id desc limit ${limit}`;
  return rows.map((r) => ({
    syncId: r.sync_id,
    workflowId: r.workflow_id,
    status: r.status,
    pages: r.pages,
    customers: r.customers,
    orders: r.orders,
    rejected: r.rejected,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}

export interface Rejection {
  syncId: string;
  stream: string;
  pageNo: number;
  itemNo: number;
  externalId: string | null;
  reason: string;
  rejectedAt: Date;
}

export async function listRejections(
  sql: Sql,
  connectorId: string,
  options: { syncId?: string; limit: number },
): Promise<Rejection[]> {
  const rows = await sql<
    {
      sync_id: string;
      stream: string;
      page_no: number;
      item_no: number;
      external_id: string | null;
      reason: string;
      rejected_at: Date;
    }[]
  >`
    select sync_id, stream, page_no, item_no, external_id, reason, rejected_at from sync_rejections
    where connector_id = ${connectorId} ${options.syncId ? sql`and sync_id = ${options.syncId}` : sql``}
    order by id desc limit ${options.limit}`;
  return rows.map((r) => ({
    syncId: r.sync_id,
    stream: r.stream,
    pageNo: r.page_no,
    itemNo: r.item_no,
    externalId: r.external_id,
    reason: r.reason,
    rejectedAt: r.rejected_at,
  }));
}

/** What a workflow's latest run recorded in sync_runs: counts and error of a sync that failed or was cancelled. */
export async function lastSyncRun(
  sql: Sql,
  connectorId: string,
  workflowId: string,
): Promise<
  | { pages: number; customers: number; orders: number; rejected: number; sync_id: string; error: string | null }
  | undefined
> {
  const [run] = await sql<
    { pages: number; customers: number; orders: number; rejected: number; sync_id: string; error: string | null }[]
  >`
    select sync_id, pages, customers, orders, rejected, error from sync_runs
    where connector_id = ${connectorId} and workflow_id = ${workflowId} order by started_at desc limit 1`;
  return run;
}
