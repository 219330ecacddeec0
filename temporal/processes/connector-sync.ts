import {
  Client,
  ScheduleDescription,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  ScheduleSpec,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
} from '@temporalio/client';
import { z } from 'zod';
import type { Connector } from '../../db/connectors-store';
import { isTimeZone } from '../../domain/local-time';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_CONNECTOR_ID, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { ConnectorSyncInput } from '../../domain/workflow-inputs';

/**
 * A connector's Temporal Schedule (`sync-<connectorId>`): cron or interval in the time zone the
 * user picks, overlapping runs skipped, missed runs caught up within a window, pausable. One-off
 * syncs (now, or a backfill from a date) start the same workflow by hand. The admin API and
 * `npm run connectors` both call these functions.
 */

export const scheduleIdOf = (connectorId: string) => `sync-${connectorId}`;
/** A by-hand sync's workflow ID: at most one at a time; the lease also keeps it off a scheduled run. */
export const manualSyncIdOf = (connectorId: string) => `sync-${connectorId}-manual`;

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
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), { message: 'give either "cron" or "every", not both and not neither', path: ['cron'] });
export type ConnectorSchedule = z.input<typeof connectorScheduleSchema>;

function specOf(schedule: z.output<typeof connectorScheduleSchema>): ScheduleSpec {
  return schedule.cron !== undefined
    ? { cronExpressions: [schedule.cron], timezone: schedule.timeZone }
    : { intervals: [{ every: schedule.every as `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` }], timezone: schedule.timeZone };
}

function actionOf(connector: Connector, regions: RegionCatalog) {
  const input: ConnectorSyncInput = { connectorId: connector.id };
  return {
    type: 'startWorkflow' as const,
    workflowType: 'connectorSync',
    workflowId: scheduleIdOf(connector.id),
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
export async function upsertConnectorSchedule(client: Client, regions: RegionCatalog, connector: Connector, schedule: ConnectorSchedule): Promise<'created' | 'updated'> {
  const parsed = connectorScheduleSchema.parse(schedule);
  const spec = specOf(parsed);
  const action = actionOf(connector, regions);
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: parsed.catchupWindow as `${number}h` };
  const handle = client.schedule.getHandle(scheduleIdOf(connector.id));
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
      scheduleId: scheduleIdOf(connector.id),
      spec,
      action,
      policies,
      state: { paused: parsed.paused, ...(parsed.note ? { note: parsed.note } : {}) },
      memo: { description: `${connector.system} connector ${connector.id} sync` },
    });
    return 'created';
  }
}

export async function pauseConnectorSchedule(client: Client, connectorId: string, note = 'paused from Meridian'): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(connectorId)).pause(note);
}

export async function resumeConnectorSchedule(client: Client, connectorId: string, note = 'resumed from Meridian'): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(connectorId)).unpause(note);
}

export async function deleteConnectorSchedule(client: Client, connectorId: string): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(connectorId)).delete();
}

/** Runs the schedule's action now (a scheduled-style sync); skipped if one is running. */
export async function triggerConnectorSchedule(client: Client, connectorId: string): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(connectorId)).trigger(ScheduleOverlapPolicy.SKIP);
}

export async function describeConnectorSchedule(client: Client, connectorId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleIdOf(connectorId)).describe();
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
  const workflowId = manualSyncIdOf(connector.id);
  try {
    const handle = await client.workflow.start('connectorSync', {
      workflowId,
      taskQueue: regions.region(connector.region).taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: actionOf(connector, regions).typedSearchAttributes,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new SyncAlreadyRunningError(`a sync of connector ${connector.id} started by hand is still running (workflow ${workflowId}): wait for it or cancel it in the Temporal UI`);
    }
    throw error;
  }
}
