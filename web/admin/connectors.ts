import {
  Client,
  ScheduleDescription,
  ScheduleNotFoundError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import { z } from 'zod';
import { connectorDefinition } from '../../connectors';
import {
  Connector,
  ConnectorConfigError,
  createConnector,
  getConnector,
  listConnectors,
  updateConnector,
} from '../../db/connectors-store';
import { upsertFxDays } from '../../db/fx-rates-store';
import type { AdminToken } from '../../domain/config';
import { FxTable, isIsoDate, SupplementResult } from '../../domain/fx';
import { isCurrency, unknownCurrencyReason } from '../../domain/money';
import { MERIDIAN_CONNECTOR_ID } from '../../domain/search-attributes';
import { CONNECTOR_ID_PATTERN, ConnectorSyncInput, connectorSyncInputSchema } from '../../domain/workflow-inputs';
import {
  connectorScheduleSchema,
  deleteConnectorSchedule,
  describeConnectorSchedule,
  manualSyncIdOf,
  pauseConnectorSchedule,
  resumeConnectorSchedule,
  scheduleIdOf,
  startConnectorSync,
  SyncAlreadyRunningError,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import type { SyncProgress, SyncResult, SyncStatus } from '../../workflows/connector-sync';
import type { AdminDeps } from './routes';

/**
 * Admin API for connectors (settings in the global database, credentials sealed in the region's),
 * their Temporal Schedules, on-demand syncs and backfills with live progress, and supplementary
 * FX rates for currencies the ECB does not publish. `npm run connectors` uses the helpers exported
 * here, so the shell and HTTP show the same things.
 *
 * A token scoped to regions (`token:eu+us`) manages only the connectors of those regions.
 * Credentials are write-only: responses say `"credentials": "set"` (or "missing"), never the value.
 */

/** What registerAdminRoutes lends these routes: its authorisation and its error type. */
export interface AdminKit {
  authorise(request: FastifyRequest): AdminToken;
  mayRead(token: AdminToken, region: string): boolean;
  /** An error answered with `statusCode` and `{ error: message }`. */
  fail(statusCode: number, message: string): Error;
}

export type RegionalAccess = { sql: Sql; key: Buffer };

// ---------------------------------------------------------------------------------------------
// Views shared by the API and the script
// ---------------------------------------------------------------------------------------------

export interface ConnectorView {
  id: string;
  system: string;
  name: string;
  region: string;
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

export interface ScheduleSummary {
  scheduleId: string;
  /** As given when set: a cron expression (5 fields) or an interval; `calendars` when neither fits. */
  spec: { cron?: string; every?: string; calendars?: unknown[] };
  timeZone: string;
  catchupWindow: string;
  overlap: string | undefined;
  paused: boolean;
  note: string | undefined;
  nextActionTimes: Date[];
  recentActions: { scheduledAt: Date; takenAt: Date; workflowId: string; runId: string }[];
  runningWorkflows: { workflowId: string; runId: string }[];
  actionsTaken: number;
  createdAt: Date;
  updatedAt: Date | undefined;
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 3_600_000 → "1h", 90_000 → "90s": the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const MONTH_NUMBER: Record<string, number> = Object.fromEntries(
  ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'].map((m, i) => [m, i + 1]),
);
const DAY_NUMBER: Record<string, number> = Object.fromEntries(
  ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'].map((d, i) => [d, i]),
);

type RangeOf = { start: unknown; end?: unknown; step?: number };

/** One cron field from Temporal's ranges; undefined when it cannot be written as one. */
function cronField(ranges: RangeOf[] | undefined, min: number, max: number, names?: Record<string, number>): string | undefined {
  if (!ranges || ranges.length === 0) return '*';
  const num = (v: unknown) => (typeof v === 'number' ? v : names?.[String(v)]);
  const parts: string[] = [];
  for (const r of ranges) {
    const start = num(r.start);
    const end = num(r.end ?? r.start) ?? start;
    if (start === undefined || end === undefined) return undefined;
    const step = r.step && r.step > 1 ? r.step : 1;
    const last = Math.max(start, end);
    const body = start === min && last === max ? '*' : start === last ? String(start) : `${start}-${last}`;
    parts.push(step > 1 ? `${body}/${step}` : body);
  }
  return parts.join(',');
}

/** Temporal keeps a cron expression as a structured calendar; this writes it back as cron. */
function calendarAsCron(calendar: Record<string, unknown>): string | undefined {
  const field = (name: string) => calendar[name] as RangeOf[] | undefined;
  const second = cronField(field('second'), 0, 59);
  const year = field('year');
  if (second !== '0' || (year && year.length > 0)) return undefined;
  const fields = [
    cronField(field('minute'), 0, 59),
    cronField(field('hour'), 0, 23),
    cronField(field('dayOfMonth'), 1, 31),
    cronField(field('month'), 1, 12, MONTH_NUMBER),
    cronField(field('dayOfWeek'), 0, 6, DAY_NUMBER),
  ];
  return fields.every((f) => f !== undefined) ? fields.join(' ') : undefined;
}

export function summariseSchedule(description: ScheduleDescription): ScheduleSummary {
  const spec = description.spec as ScheduleDescription['spec'] & { cronExpressions?: string[] };
  const calendars = (spec.calendars ?? []) as unknown as Record<string, unknown>[];
  const crons = [...(spec.cronExpressions ?? []), ...calendars.map(calendarAsCron)];
  const shown: ScheduleSummary['spec'] = {};
  if (spec.intervals?.length === 1 && crons.length === 0) shown.every = formatDuration(spec.intervals[0]!.every);
  else if (crons.length === 1 && crons[0] !== undefined && !spec.intervals?.length) shown.cron = crons[0];
  else shown.calendars = [...calendars, ...(spec.intervals ?? [])];
  return {
    scheduleId: description.scheduleId,
    spec: shown,
    timeZone: spec.timezone ?? 'UTC',
    catchupWindow: formatDuration(description.policies.catchupWindow),
    overlap: description.policies.overlap,
    paused: description.state.paused,
    note: description.state.note || undefined,
    nextActionTimes: description.info.nextActionTimes.slice(0, 5),
    recentActions: description.info.recentActions.slice(-10).map((a) => ({
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
    })),
    runningWorkflows: description.info.runningActions.map((a) => ({ workflowId: a.workflow.workflowId, runId: a.workflow.firstExecutionRunId })),
    actionsTaken: description.info.numActionsTaken,
    createdAt: description.info.createdAt,
    updatedAt: description.info.lastUpdatedAt,
  };
}

export async function scheduleSummary(client: Client, connectorId: string): Promise<ScheduleSummary | null> {
  const description = await describeConnectorSchedule(client, connectorId);
  return description ? summariseSchedule(description) : null;
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
  const rows = await sql<{ stream: string; since: Date | null; last_pass_completed_at: Date | null; last_pass_records: number | null }[]>`
    select stream, since, last_pass_completed_at, last_pass_records from connector_streams
    where connector_id = ${connectorId} order by stream`;
  return rows.map((r) => ({ stream: r.stream, since: r.since, lastPassCompletedAt: r.last_pass_completed_at, lastPassRecords: r.last_pass_records }));
}

export async function recentSyncRuns(sql: Sql, connectorId: string, limit = 10): Promise<SyncRun[]> {
  const rows = await sql<{
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
  }[]>`
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

export interface ConnectorDetails extends ConnectorView {
  /** null when the connector has no schedule (syncs only when started by hand). */
  schedule: ScheduleSummary | null;
  streams: StreamPosition[];
  recentSyncs: SyncRun[];
}

export async function connectorDetails(client: Client | undefined, regional: RegionalAccess, connector: Connector): Promise<ConnectorDetails> {
  const [credentials, schedule, streams, recentSyncs] = await Promise.all([
    connectorsWithCredentials(regional, [connector.id]),
    client ? scheduleSummary(client, connector.id) : Promise.resolve(null),
    streamPositions(regional.sql, connector.id),
    recentSyncRuns(regional.sql, connector.id, 10),
  ]);
  return { ...connectorView(connector, credentials.has(connector.id)), schedule, streams, recentSyncs };
}

export interface SyncStatusView {
  workflowId: string;
  runId: string;
  /** The Temporal execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT. */
  workflowStatus: string;
  /** The sync's own status: starting, running, completed, skipped, failed or cancelled. */
  status: SyncStatus;
  startedAt: Date;
  closedAt: Date | undefined;
  /** Live from the `progress` query while running; the result once done. */
  progress: SyncProgress | SyncResult | undefined;
  error?: string;
}

export class SyncNotFoundError extends Error {
  override readonly name = 'SyncNotFoundError';
}

const QUERY_TIMEOUT_MS = 5000;

/**
 * A sync's status and progress: the `progress` query while it runs, its result when it completed,
 * and for one that failed or was cancelled its error and the counts it recorded in sync_runs.
 */
export async function syncStatus(client: Client, regionalSql: Sql, connector: Connector, workflowId: string): Promise<SyncStatusView> {
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new SyncNotFoundError(`connector ${connector.id} has no sync ${workflowId}: see recentSyncs in GET /admin/connectors/${connector.id}`);
    throw error;
  }
  // A workflow ID names its connector only by convention; the search attribute is authoritative.
  const owner = description.typedSearchAttributes.get(MERIDIAN_CONNECTOR_ID);
  if (description.type !== 'connectorSync' || (owner !== undefined && owner !== connector.id) || (owner === undefined && !ownsWorkflowId(connector.id, workflowId))) {
    throw new SyncNotFoundError(`connector ${connector.id} has no sync ${workflowId}: see recentSyncs in GET /admin/connectors/${connector.id}`);
  }
  const base = {
    workflowId,
    runId: description.runId,
    workflowStatus: description.status.name,
    startedAt: description.startTime,
    closedAt: description.closeTime,
  };
  switch (description.status.name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW': {
      const progress = await Promise.race([
        handle.query<SyncProgress>('progress').catch(() => undefined),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), QUERY_TIMEOUT_MS).unref()),
      ]);
      if (!progress) {
        return {
          ...base,
          status: 'starting',
          progress: undefined,
          error: `no worker answered the progress query within ${QUERY_TIMEOUT_MS / 1000} s: check that the ${connector.region} worker runs`,
        };
      }
      return { ...base, status: progress.status, progress };
    }
    case 'COMPLETED': {
      const result = (await handle.result()) as SyncResult;
      return { ...base, status: result.status, progress: result };
    }
    default: {
      let error = `the workflow ended ${description.status.name.toLowerCase().replace('_', ' ')}`;
      if (description.status.name === 'FAILED') {
        const failure = await handle.result().then(() => undefined, (e: unknown) => e);
        if (failure instanceof WorkflowFailedError) error = failure.cause?.message ?? failure.message;
      }
      const [run] = await regionalSql<{ pages: number; customers: number; orders: number; rejected: number; sync_id: string; error: string | null }[]>`
        select sync_id, pages, customers, orders, rejected, error from sync_runs
        where connector_id = ${connector.id} and workflow_id = ${workflowId} order by started_at desc limit 1`;
      const status: SyncStatus = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
      const progress: SyncResult | undefined = run
        ? { connectorId: connector.id, status, syncId: run.sync_id, streams: [], totals: { pages: run.pages, customers: run.customers, orders: run.orders, rejected: run.rejected }, error: run.error ?? error }
        : undefined;
      return { ...base, status, progress, error };
    }
  }
}

/** `sync-<id>-manual`, or a scheduled run `sync-<id>-<time>`. */
function ownsWorkflowId(connectorId: string, workflowId: string): boolean {
  return workflowId === manualSyncIdOf(connectorId) || workflowId.startsWith(`${scheduleIdOf(connectorId)}-`);
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

export async function listRejections(sql: Sql, connectorId: string, options: { syncId?: string; limit: number }): Promise<Rejection[]> {
  const rows = await sql<{ sync_id: string; stream: string; page_no: number; item_no: number; external_id: string | null; reason: string; rejected_at: Date }[]>`
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

// ---------------------------------------------------------------------------------------------
// Supplementary FX rates
// ---------------------------------------------------------------------------------------------

export class FxInputError extends Error {
  override readonly name = 'FxInputError';
}

/** The label the ECB feed stores its rates under; a supplement may not pose as it. */
const ECB_SOURCE = 'ecb';

/** Why rates per EUR cannot be supplied for this code, or undefined. */
export function supplementCurrencyProblem(currency: string): string | undefined {
  if (!isCurrency(currency)) return `${unknownCurrencyReason(currency)}: use the three-letter code, e.g. KWD`;
  if (currency === 'EUR') return 'EUR is the base currency: its rate is 1 by definition, supply rates of other currencies per EUR';
  return undefined;
}

function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export interface FxSupplementOutcome extends SupplementResult {
  currency: string;
  source: string;
  /** Accepted items that were new and written (re-supplying a stored rate is accepted, not rewritten). */
  stored: number;
}

/**
 * Stores rates per EUR for a currency from another source, with FxTable.supplement's rules: each
 * item is checked (calendar date, positive decimal); a rate that contradicts one already stored for
 * that day is rejected, never overwritten; the other items are kept.
 */
export async function supplementFxRates(
  sql: Sql,
  currency: string,
  items: readonly { date: string; perEur: string }[],
  source: string,
): Promise<FxSupplementOutcome> {
  const problem = supplementCurrencyProblem(currency);
  if (problem) throw new FxInputError(problem);
  const label = source.trim();
  if (label === '') throw new FxInputError('source: name where the rates come from, e.g. "Central Bank of Kuwait"');
  if (label.toLowerCase() === ECB_SOURCE) throw new FxInputError('source: "ecb" is reserved for the ECB feed; name the source these rates come from');

  const dates = [...new Set(items.map((i) => i.date).filter(isIsoDate))];
  const existing = dates.length === 0
    ? []
    : await sql<{ rate_date: string; per_eur: string }[]>`
        select to_char(rate_date, 'YYYY-MM-DD') as rate_date, per_eur::text as per_eur from fx_rates
        where currency = ${currency} and rate_date in ${sql(dates)}`;
  const stored = new Set(existing.map((r) => r.rate_date));
  const table = new FxTable(existing.map((r) => ({ date: r.rate_date, rates: { [currency]: trimDecimal(r.per_eur) } })));
  // Item by item, so it is known which accepted ones are new days: an identical re-supplied rate
  // is accepted but not rewritten (it keeps its original source).
  const result: SupplementResult = { accepted: 0, rejected: [] };
  const fresh = new Map<string, string>();
  for (const item of items) {
    const one = table.supplement(currency, [item]);
    result.rejected.push(...one.rejected);
    if (one.accepted === 0) continue;
    result.accepted++;
    if (!stored.has(item.date) && !fresh.has(item.date)) fresh.set(item.date, item.perEur);
  }
  const written = fresh.size === 0 ? 0 : await upsertFxDays(sql, [...fresh].map(([date, perEur]) => ({ date, rates: { [currency]: perEur } })), label);
  return { currency, source: label, accepted: result.accepted, stored: written, rejected: result.rejected };
}

export interface StoredFxRate {
  date: string;
  perEur: string;
  source: string;
  fetchedAt: Date;
}

export async function listFxRates(sql: Sql, currency: string, range: { from?: string; to?: string }): Promise<StoredFxRate[]> {
  const rows = await sql<{ rate_date: string; per_eur: string; source: string; fetched_at: Date }[]>`
    select to_char(rate_date, 'YYYY-MM-DD') as rate_date, per_eur::text as per_eur, source, fetched_at from fx_rates
    where currency = ${currency}
      ${range.from ? sql`and rate_date >= ${range.from}::date` : sql``}
      ${range.to ? sql`and rate_date <= ${range.to}::date` : sql``}
    order by rate_date`;
  return rows.map((r) => ({ date: r.rate_date, perEur: trimDecimal(r.per_eur), source: r.source, fetchedAt: r.fetched_at }));
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/** Parses with zod; the first problem becomes a 400 naming the field (under `prefix`). */
function parseWith<T>(kit: AdminKit, schema: z.ZodType<T>, value: unknown, prefix?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    throw kit.fail(400, `${path || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Refuses fields the route does not take, so a typo ("stream" for "streams") is not silently ignored. */
function onlyFields(kit: AdminKit, body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw kit.fail(400, 'body: send a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw kit.fail(400, `${unknown[0]}: not a field of this request; it takes ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

export function registerConnectorRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const dataRegions = () => deps.regions.dataRegions.map((r) => r.name);

  const regionalOf = (region: string): RegionalAccess => {
    const regional = deps.regional.get(region);
    if (!regional) throw kit.fail(503, `region ${region} is not served by this web server: check MERIDIAN_REGIONS_FILE and restart it`);
    return regional;
  };

  const temporal = (): Client => {
    if (!deps.temporal) throw kit.fail(503, 'this server was started without a Temporal client: schedules and syncs are managed by the Meridian web server (npm run web)');
    return deps.temporal;
  };

  const mayManage = (token: AdminToken, region: string) => {
    if (!kit.mayRead(token, region)) {
      const covers = token.regions === '*' ? 'all regions' : token.regions.join(', ');
      throw kit.fail(403, `this admin token may not manage connectors in region ${region} (it covers ${covers}): use a token for ${region} from MERIDIAN_ADMIN_TOKENS`);
    }
  };

  /** The connector, if it exists and the token covers its region. */
  const connectorFor = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<{ token: AdminToken; connector: Connector }> => {
    const token = kit.authorise(request);
    const connector = await getConnector(deps.globalSql, request.params.id);
    if (!connector) throw kit.fail(404, `connector ${request.params.id} does not exist: list them with GET /admin/connectors`);
    mayManage(token, connector.region);
    return { token, connector };
  };

  const configError = (error: unknown): never => {
    if (error instanceof ConnectorConfigError) throw kit.fail(400, error.message);
    throw error;
  };

  const noSchedule = (id: string) => kit.fail(404, `connector ${id} has no schedule: create one with PUT /admin/connectors/${id}/schedule`);

  const scheduleCall = async <T>(id: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw noSchedule(id);
      throw error;
    }
  };

  const createInput = z.object({
    id: z.string().regex(CONNECTOR_ID_PATTERN, 'use 1 to 64 letters, digits, _ or -').optional(),
    system: z.string({ error: 'name the connector system, e.g. "shopify"' }).min(1, 'name the connector system, e.g. "shopify"'),
    name: z.string({ error: 'give the connector a name' }).trim().min(1, 'give the connector a name').max(200),
    region: z.string({ error: 'name the data region the connector belongs to' }).refine((r) => dataRegions().includes(r), {
      error: () => `must be a data region: one of ${dataRegions().join(', ')}`,
    }),
    settings: z.unknown(),
    credentials: z.unknown(),
    schedule: z.unknown().optional(),
  });

  scope.post('/admin/connectors', async (request, reply) => {
    const token = kit.authorise(request);
    const body = onlyFields(kit, request.body, ['id', 'system', 'name', 'region', 'settings', 'credentials', 'schedule']);
    const input = parseWith(kit, createInput, body);
    mayManage(token, input.region);
    const schedule = input.schedule === undefined ? undefined : parseWith(kit, connectorScheduleSchema, input.schedule, 'schedule');
    if (schedule) temporal();
    if (input.id && (await getConnector(deps.globalSql, input.id))) {
      throw kit.fail(409, `connector ${input.id} already exists: change it with PUT /admin/connectors/${input.id}, or leave "id" out to get a new one`);
    }
    const regional = regionalOf(input.region);
    const connector = await createConnector(deps.globalSql, regional, {
      system: input.system,
      name: input.name,
      region: input.region,
      settings: input.settings,
      credentials: input.credentials,
      ...(input.id ? { id: input.id } : {}),
    }).catch(configError);
    let summary: ScheduleSummary | null = null;
    if (schedule) {
      await upsertConnectorSchedule(temporal(), deps.regions, connector, schedule);
      summary = await scheduleSummary(temporal(), connector.id);
    }
    return reply.code(201).send({ ...connectorView(connector, true), schedule: summary });
  });

  scope.get<{ Querystring: { region?: string } }>('/admin/connectors', async (request) => {
    const token = kit.authorise(request);
    const region = request.query.region;
    if (region !== undefined) {
      if (!dataRegions().includes(region)) throw kit.fail(400, `region: must be a data region: one of ${dataRegions().join(', ')}`);
      mayManage(token, region);
    }
    const connectors = (await listConnectors(deps.globalSql, region)).filter((c) => kit.mayRead(token, c.region));
    const views: ConnectorView[] = [];
    for (const name of new Set(connectors.map((c) => c.region))) {
      const inRegion = connectors.filter((c) => c.region === name);
      const regional = deps.regional.get(name);
      const withCredentials = regional ? await connectorsWithCredentials(regional, inRegion.map((c) => c.id)) : new Set<string>();
      for (const c of inRegion) views.push(connectorView(c, withCredentials.has(c.id)));
    }
    views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { connectors: views };
  });

  scope.get<{ Params: { id: string } }>('/admin/connectors/:id', async (request) => {
    const { connector } = await connectorFor(request);
    return connectorDetails(deps.temporal, regionalOf(connector.region), connector);
  });

  const updateInput = z.object({
    name: z.string().trim().min(1, 'give the connector a name').max(200).optional(),
    settings: z.unknown().optional(),
    credentials: z.unknown().optional(),
  });

  scope.put<{ Params: { id: string } }>('/admin/connectors/:id', async (request) => {
    const { connector } = await connectorFor(request);
    const body = onlyFields(kit, request.body, ['name', 'settings', 'credentials']);
    const change = parseWith(kit, updateInput, body);
    if (change.name === undefined && change.settings === undefined && change.credentials === undefined) {
      throw kit.fail(400, 'body: send at least one of name, settings or credentials (the region and system of a connector do not change)');
    }
    const regional = regionalOf(connector.region);
    const updated = await updateConnector(deps.globalSql, regional, connector.id, change).catch(configError);
    if (!updated) throw kit.fail(404, `connector ${connector.id} does not exist: list them with GET /admin/connectors`);
    const credentials = await connectorsWithCredentials(regional, [connector.id]);
    return connectorView(updated, credentials.has(connector.id));
  });

  scope.put<{ Params: { id: string } }>('/admin/connectors/:id/schedule', async (request, reply) => {
    const { connector } = await connectorFor(request);
    const body = onlyFields(kit, request.body, ['cron', 'every', 'timeZone', 'catchupWindow', 'paused', 'note']);
    const schedule = parseWith(kit, connectorScheduleSchema, body);
    const outcome = await upsertConnectorSchedule(temporal(), deps.regions, connector, schedule);
    const summary = await scheduleSummary(temporal(), connector.id);
    return reply.code(outcome === 'created' ? 201 : 200).send({ result: outcome, schedule: summary });
  });

  const noteInput = z.object({ note: z.string().trim().min(1).max(500).optional() });

  scope.post<{ Params: { id: string } }>('/admin/connectors/:id/schedule/pause', async (request) => {
    const { connector } = await connectorFor(request);
    const { note } = parseWith(kit, noteInput, onlyFields(kit, request.body, ['note']));
    await scheduleCall(connector.id, () => pauseConnectorSchedule(temporal(), connector.id, note));
    return { schedule: await scheduleSummary(temporal(), connector.id) };
  });

  scope.post<{ Params: { id: string } }>('/admin/connectors/:id/schedule/resume', async (request) => {
    const { connector } = await connectorFor(request);
    const { note } = parseWith(kit, noteInput, onlyFields(kit, request.body, ['note']));
    await scheduleCall(connector.id, () => resumeConnectorSchedule(temporal(), connector.id, note));
    return { schedule: await scheduleSummary(temporal(), connector.id) };
  });

  scope.post<{ Params: { id: string } }>('/admin/connectors/:id/schedule/trigger', async (request, reply) => {
    const { connector } = await connectorFor(request);
    await scheduleCall(connector.id, () => triggerConnectorSchedule(temporal(), connector.id));
    return reply.code(202).send({
      triggered: scheduleIdOf(connector.id),
      note: 'the schedule starts a sync now, unless one of this connector is already running (then it is skipped); follow it in recentSyncs of GET /admin/connectors/' + connector.id,
    });
  });

  scope.delete<{ Params: { id: string } }>('/admin/connectors/:id/schedule', async (request) => {
    const { connector } = await connectorFor(request);
    await scheduleCall(connector.id, () => deleteConnectorSchedule(temporal(), connector.id));
    return { deleted: scheduleIdOf(connector.id) };
  });

  scope.post<{ Params: { id: string } }>('/admin/connectors/:id/sync', async (request, reply) => {
    const { connector } = await connectorFor(request);
    const body = onlyFields(kit, request.body, ['since', 'full', 'streams']);
    const input: ConnectorSyncInput = parseWith(kit, connectorSyncInputSchema, { ...body, connectorId: connector.id });
    const definition = connectorDefinition(connector.system);
    const unknown = (input.streams ?? []).filter((s) => !definition.streams.includes(s));
    if (unknown.length > 0) throw kit.fail(400, `streams: ${definition.label} has no stream ${unknown.join(', ')}; it syncs ${definition.streams.join(', ')}`);
    const { connectorId: _id, ...options } = input;
    try {
      const started = await startConnectorSync(temporal(), deps.regions, connector, options);
      return reply.code(202).send({ ...started, progress: `/admin/connectors/${connector.id}/sync/${started.workflowId}` });
    } catch (error) {
      if (error instanceof SyncAlreadyRunningError) throw kit.fail(409, error.message);
      throw error;
    }
  });

  scope.get<{ Params: { id: string; workflowId: string } }>('/admin/connectors/:id/sync/:workflowId', async (request) => {
    const { connector } = await connectorFor(request);
    try {
      return await syncStatus(temporal(), regionalOf(connector.region).sql, connector, request.params.workflowId);
    } catch (error) {
      if (error instanceof SyncNotFoundError) throw kit.fail(404, error.message);
      throw error;
    }
  });

  const rejectionsQuery = z.object({
    syncId: z.string().min(1).max(300).optional(),
    limit: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
  });

  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/admin/connectors/:id/rejections', async (request) => {
    const { connector } = await connectorFor(request);
    const query = parseWith(kit, rejectionsQuery, onlyFields(kit, request.query, ['syncId', 'limit']));
    const rejections = await listRejections(regionalOf(connector.region).sql, connector.id, {
      limit: query.limit,
      ...(query.syncId ? { syncId: query.syncId } : {}),
    });
    return { connectorId: connector.id, rejections };
  });

  // ---- supplementary FX rates (global: they convert every region's orders) ----

  const currencyParam = (currency: string): string => {
    const problem = supplementCurrencyProblem(currency);
    if (problem) throw kit.fail(400, `currency: ${problem}`);
    return currency;
  };

  const fxInput = z.object({
    source: z.string({ error: 'name where the rates come from, e.g. "Central Bank of Kuwait"' }).trim().min(1, 'name where the rates come from, e.g. "Central Bank of Kuwait"').max(200),
    rates: z
      .array(
        z.object({
          date: z.string({ error: 'must be a date YYYY-MM-DD' }),
          perEur: z.union([z.string(), z.number()], { error: 'must be the units of the currency per 1 EUR, e.g. "0.3354"' }).transform(String),
        }),
        { error: 'must be a list of {"date":"YYYY-MM-DD","perEur":"0.3354"}' },
      )
      .min(1, 'send at least one rate')
      .max(20_000, 'send at most 20000 rates per request'),
  });

  scope.put<{ Params: { currency: string } }>('/admin/fx-rates/:currency', async (request) => {
    const token = kit.authorise(request);
    if (token.regions !== '*') {
      throw kit.fail(403, 'supplementary FX rates convert the orders of every region: use an admin token for all regions ("token:*" in MERIDIAN_ADMIN_TOKENS)');
    }
    const currency = currencyParam(request.params.currency);
    const input = parseWith(kit, fxInput, onlyFields(kit, request.body, ['source', 'rates']));
    try {
      return await supplementFxRates(deps.globalSql, currency, input.rates, input.source);
    } catch (error) {
      if (error instanceof FxInputError) throw kit.fail(400, error.message);
      throw error;
    }
  });

  const isoDate = z.string().refine(isIsoDate, 'must be a date YYYY-MM-DD').optional();
  const fxQuery = z.object({ from: isoDate, to: isoDate });

  scope.get<{ Params: { currency: string }; Querystring: Record<string, string> }>('/admin/fx-rates/:currency', async (request) => {
    kit.authorise(request);
    const currency = currencyParam(request.params.currency);
    const range = parseWith(kit, fxQuery, onlyFields(kit, request.query, ['from', 'to']));
    return { currency, rates: await listFxRates(deps.globalSql, currency, { ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) }) };
  });
}
