import {
  Client,
  ScheduleDescription,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  ScheduleSpec,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { Sql } from 'postgres';
import { z } from 'zod';
import {
  ConnectorView,
  connectorsWithCredentials,
  connectorView,
  lastSyncRun,
  recentSyncRuns,
  RegionalAccess,
  StreamPosition,
  streamPositions,
  SyncRun,
} from '../../db/connector-views';
import type { Connector } from '../../db/connectors-store';
import { isTimeZone } from '../../domain/local-time';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_CONNECTOR_ID, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { ConnectorSyncInput } from '../../domain/workflow-inputs';
import {
  connectorScheduleId,
  manualSyncWorkflowId,
  SyncProgress,
  syncProgressQuery,
  SyncResult,
  SyncStatus,
} from '../../workflows/definitions';
import type { connectorSync } from '../../workflows/connector-sync';
import { startWorkflow, WorkflowName, workflowHandle } from '../workflow-types';

/**
 * connectorSync, on the connector's region queue. A connector's Temporal Schedule
 * (`sync-<connectorId>`): cron or interval in the time zone the user picks, overlapping runs
 * skipped, missed runs caught up within a window, pausable. One-off syncs (now, or a backfill from
 * a date) start the same workflow by hand (`sync-<connectorId>-manual`). A sync's status comes from
 * its `progress` query while it runs. The admin API and `npm run connectors` both call these functions.
 */

export { connectorScheduleId, manualSyncWorkflowId };

const CONNECTOR_SYNC = 'connectorSync' satisfies WorkflowName;

/** A sync's handle: a by-hand one (`sync-<id>-manual`) or a scheduled run (`sync-<id>-<time>`). */
export function connectorSyncHandle(client: Client, workflowId: string): WorkflowHandle<typeof connectorSync> {
  return workflowHandle(client, CONNECTOR_SYNC, workflowId);
}

const DURATION = /^\d+(ms|s|m|h|d)$/;

export const connectorScheduleSchema = z
  .object({
    /** A cron expression (5 fields), e.g. "0 3 * * *" for 03:00 every day. */
    cron: z.string().trim().min(9).optional(),
    /** Or an interval: "15m", "1h", "1d". */
    every: z.string().regex(DURATION, 'must be a duration such as "15m", "1h" or "1d"').optional(),
    /** The zone the cron is read in (IANA); default UTC. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
    /** Runs missed while Meridian was down are made up when they are this recent; default "1h". */
    catchupWindow: z.string().regex(DURATION, 'must be a duration such as "1h"').default('1h'),
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
  })
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), {
    message: 'give either "cron" or "every", not both and not neither',
    path: ['cron'],
  });
export type ConnectorSchedule = z.input<typeof connectorScheduleSchema>;

function specOf(schedule: z.output<typeof connectorScheduleSchema>): ScheduleSpec {
  return schedule.cron !== undefined
    ? { cronExpressions: [schedule.cron], timezone: schedule.timeZone }
    : {
        intervals: [{ every: schedule.every as `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` }],
        timezone: schedule.timeZone,
      };
}

function actionOf(connector: Connector, regions: RegionCatalog) {
  const input: ConnectorSyncInput = { connectorId: connector.id };
  return {
    type: 'startWorkflow' as const,
    workflowType: CONNECTOR_SYNC,
    workflowId: connectorScheduleId(connector.id),
    taskQueue: regions.region(connector.region).taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'connectorSync' },
      { key: MERIDIAN_CONNECTOR_ID, value: connector.id },
      { key: MERIDIAN_REGION, value: connector.region },
    ],
  };
}

/** Creates the schedule, or replaces its timing and action; returns which. */
export async function upsertConnectorSchedule(
  client: Client,
  regions: RegionCatalog,
  connector: Connector,
  schedule: ConnectorSchedule,
): Promise<'created' | 'updated'> {
  const parsed = connectorScheduleSchema.parse(schedule);
  const spec = specOf(parsed);
  const action = actionOf(connector, regions);
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: parsed.catchupWindow as `${number}h` };
  const handle = client.schedule.getHandle(connectorScheduleId(connector.id));
  try {
    await handle.update((previous) => ({
      ...previous,
      spec,
      action,
      policies,
      state: { ...previous.state, paused: parsed.paused, ...(parsed.note ? { note: parsed.note } : {}) },
    }));
    return 'updated';
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create({
      scheduleId: connectorScheduleId(connector.id),
      spec,
      action,
      policies,
      state: { paused: parsed.paused, ...(parsed.note ? { note: parsed.note } : {}) },
      memo: { description: `${connector.system} connector ${connector.id} sync` },
    });
    return 'created';
  }
}

export async function pauseConnectorSchedule(
  client: Client,
  connectorId: string,
  note = 'paused from Meridian',
): Promise<void> {
  await client.schedule.getHandle(connectorScheduleId(connectorId)).pause(note);
}

export async function resumeConnectorSchedule(
  client: Client,
  connectorId: string,
  note = 'resumed from Meridian',
): Promise<void> {
  await client.schedule.getHandle(connectorScheduleId(connectorId)).unpause(note);
}

export async function deleteConnectorSchedule(client: Client, connectorId: string): Promise<void> {
  await client.schedule.getHandle(connectorScheduleId(connectorId)).delete();
}

/** Runs the schedule's action now (a scheduled-style sync); skipped if one is running. */
export async function triggerConnectorSchedule(client: Client, connectorId: string): Promise<void> {
  await client.schedule.getHandle(connectorScheduleId(connectorId)).trigger(ScheduleOverlapPolicy.SKIP);
}

export async function describeConnectorSchedule(
  client: Client,
  connectorId: string,
): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(connectorScheduleId(connectorId)).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

export class SyncAlreadyRunningError extends Error {
  override readonly name = 'SyncAlreadyRunningError';
}

/**
 * Starts a sync now: incremental, or a backfill from `since` (or `full`). Refused while another
 * by-hand sync of the connector runs; a scheduled one running meanwhile makes this one end as skipped.
 */
export async function startConnectorSync(
  client: Client,
  regions: RegionCatalog,
  connector: Connector,
  options: Omit<ConnectorSyncInput, 'connectorId'> = {},
): Promise<{ workflowId: string; runId: string }> {
  const input: ConnectorSyncInput = { connectorId: connector.id, ...options };
  const workflowId = manualSyncWorkflowId(connector.id);
  try {
    const handle = await startWorkflow(client, CONNECTOR_SYNC, {
      workflowId,
      taskQueue: regions.region(connector.region).taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: actionOf(connector, regions).typedSearchAttributes,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new SyncAlreadyRunningError(
        `a sync of connector ${connector.id} started by hand is still running (workflow ${workflowId}): wait for it or cancel it in the Temporal UI`,
      );
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Views: a schedule as set, a connector with its schedule, a sync's status and progress
// ---------------------------------------------------------------------------------------------

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
  [
    'JANUARY',
    'FEBRUARY',
    'MARCH',
    'APRIL',
    'MAY',
    'JUNE',
    'JULY',
    'AUGUST',
    'SEPTEMBER',
    'OCTOBER',
    'NOVEMBER',
    'DECEMBER',
  ].map((m, i) => [m, i + 1]),
);
const DAY_NUMBER: Record<string, number> = Object.fromEntries(
  ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'].map((d, i) => [d, i]),
);

type RangeOf = { start: unknown; end?: unknown; step?: number };

/** One cron field from Temporal's ranges; undefined when it cannot be written as one. */
function cronField(
  ranges: RangeOf[] | undefined,
  min: number,
  max: number,
  names?: Record<string, number>,
): string | undefined {
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
    runningWorkflows: description.info.runningActions.map((a) => ({
      workflowId: a.workflow.workflowId,
      runId: a.workflow.firstExecutionRunId,
    })),
    actionsTaken: description.info.numActionsTaken,
    createdAt: description.info.createdAt,
    updatedAt: description.info.lastUpdatedAt,
  };
}

export async function scheduleSummary(client: Client, connectorId: string): Promise<ScheduleSummary | null> {
  const description = await describeConnectorSchedule(client, connectorId);
  return description ? summariseSchedule(description) : null;
}

export interface ConnectorDetails extends ConnectorView {
  /** null when the connector has no schedule (syncs only when started by hand). */
  schedule: ScheduleSummary | null;
  streams: StreamPosition[];
  recentSyncs: SyncRun[];
}

export async function connectorDetails(
  client: Client | undefined,
  regional: RegionalAccess,
  connector: Connector,
): Promise<ConnectorDetails> {
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
export async function syncStatus(
  client: Client,
  regionalSql: Sql,
  connector: Connector,
  workflowId: string,
): Promise<SyncStatusView> {
  const handle = connectorSyncHandle(client, workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new SyncNotFoundError(
        `connector ${connector.id} has no sync ${workflowId}: see recentSyncs in GET /admin/connectors/${connector.id}`,
      );
    throw error;
  }
  // A workflow ID names its connector only by convention; the search attribute is authoritative.
  const owner = description.typedSearchAttributes.get(MERIDIAN_CONNECTOR_ID);
  if (
    description.type !== CONNECTOR_SYNC ||
    (owner !== undefined && owner !== connector.id) ||
    (owner === undefined && !ownsWorkflowId(connector.id, workflowId))
  ) {
    throw new SyncNotFoundError(
      `connector ${connector.id} has no sync ${workflowId}: see recentSyncs in GET /admin/connectors/${connector.id}`,
    );
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
        handle.query(syncProgressQuery).catch(() => undefined),
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
        const failure = await handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (failure instanceof WorkflowFailedError) error = failure.cause?.message ?? failure.message;
      }
      const run = await lastSyncRun(regionalSql, connector.id, workflowId);
      const status: SyncStatus = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
      const progress: SyncResult | undefined = run
        ? {
            connectorId: connector.id,
            status,
            syncId: run.sync_id,
            streams: [],
            totals: { pages: run.pages, customers: run.customers, orders: run.orders, rejected: run.rejected },
            error: run.error ?? error,
          }
        : undefined;
      return { ...base, status, progress, error };
    }
  }
}

/** `sync-<id>-manual`, or a scheduled run `sync-<id>-<time>`. */
function ownsWorkflowId(connectorId: string, workflowId: string): boolean {
  return (
    workflowId === manualSyncWorkflowId(connectorId) || workflowId.startsWith(`${connectorScheduleId(connectorId)}-`)
  );
}
