import { ScheduleNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { connectorDefinition } from '../../connectors';
import { ConnectorSyncInput, connectorSyncInputSchema, connectorSyncOptions } from '../../domain/workflow-inputs';
import {
  connectorScheduleSchema,
  deleteConnectorSchedule,
  pauseConnectorSchedule,
  resumeConnectorSchedule,
  connectorScheduleId,
  scheduleSummary,
  startConnectorSync,
  SyncAlreadyRunningError,
  SyncNotFoundError,
  syncStatus,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { connectorAccess } from './connectors';
import { adminRoute, json, objectAnswer } from '../openapi';
import { AdminDeps, AdminKit, onlyFields, parseWith } from './kit';

/**
 * Admin API for a connector's Temporal Schedule (`sync-<id>`: create, pause, resume, trigger,
 * delete) and its syncs started by hand (now, or a backfill from a date) with live progress.
 */

export function registerConnectorSyncRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const { regionalOf, temporal, connectorFor } = connectorAccess(deps, kit);

  const noSchedule = (id: string) =>
    kit.fail(404, `connector ${id} has no schedule: create one with PUT /admin/connectors/${id}/schedule`);

  const scheduleCall = async <T>(id: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw noSchedule(id);
      throw error;
    }
  };

  const scheduleAnswer = json(
    'what was done, and the schedule now',
    z.object({ result: z.enum(['created', 'updated']), schedule: z.looseObject({ scheduleId: z.string() }) }),
  );
  const scheduleNow = json('the schedule now', z.object({ schedule: z.looseObject({ scheduleId: z.string() }) }));
  scope.put<{ Params: { id: string } }>(
    '/admin/connectors/:id/schedule',
    {
      schema: adminRoute({
        summary: "Create (201) or replace (200) the connector's Temporal Schedule sync-<id>",
        body: connectorScheduleSchema,
        response: { 200: scheduleAnswer, 201: scheduleAnswer },
      }),
    },
    async (request, reply) => {
      const { connector } = await connectorFor(request);
      const body = onlyFields(kit, request.body, ['cron', 'every', 'timeZone', 'catchupWindow', 'paused', 'note']);
      const schedule = parseWith(kit, connectorScheduleSchema, body);
      const outcome = await upsertConnectorSchedule(temporal(), deps.regions, connector, schedule);
      const summary = await scheduleSummary(temporal(), connector.id);
      return reply.code(outcome === 'created' ? 201 : 200).send({ result: outcome, schedule: summary });
    },
  );

  const noteInput = z.object({ note: z.string().trim().min(1).max(500).optional() });

  scope.post<{ Params: { id: string } }>(
    '/admin/connectors/:id/schedule/pause',
    {
      schema: adminRoute({
        summary: "Pause the connector's schedule",
        body: noteInput,
        response: { 200: scheduleNow },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      const { note } = parseWith(kit, noteInput, onlyFields(kit, request.body, ['note']));
      await scheduleCall(connector.id, () => pauseConnectorSchedule(temporal(), connector.id, note));
      return { schedule: await scheduleSummary(temporal(), connector.id) };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/connectors/:id/schedule/resume',
    {
      schema: adminRoute({
        summary: "Resume the connector's schedule",
        body: noteInput,
        response: { 200: scheduleNow },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      const { note } = parseWith(kit, noteInput, onlyFields(kit, request.body, ['note']));
      await scheduleCall(connector.id, () => resumeConnectorSchedule(temporal(), connector.id, note));
      return { schedule: await scheduleSummary(temporal(), connector.id) };
    },
  );

  const triggered = z.object({ triggered: z.string().describe("the schedule's ID"), note: z.string() });
  scope.post<{ Params: { id: string } }>(
    '/admin/connectors/:id/schedule/trigger',
    {
      schema: adminRoute({
        summary: "Run the schedule's sync now (skipped if one is running)",
        response: { 202: json('the schedule was triggered', triggered) },
      }),
    },
    async (request, reply) => {
      const { connector } = await connectorFor(request);
      await scheduleCall(connector.id, () => triggerConnectorSchedule(temporal(), connector.id));
      return reply.code(202).send({
        triggered: connectorScheduleId(connector.id),
        note:
          'the schedule starts a sync now, unless one of this connector is already running (then it is skipped); follow it in recentSyncs of GET /admin/connectors/' +
          connector.id,
      });
    },
  );

  scope.delete<{ Params: { id: string } }>(
    '/admin/connectors/:id/schedule',
    {
      schema: adminRoute({
        summary: 'Remove the schedule (the connector then syncs only when started by hand)',
        response: { 200: z.object({ deleted: z.string().describe("the schedule's ID") }) },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      await scheduleCall(connector.id, () => deleteConnectorSchedule(temporal(), connector.id));
      return { deleted: connectorScheduleId(connector.id) };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/connectors/:id/sync',
    {
      schema: adminRoute({
        summary:
          'Start a sync now: incremental, a backfill from `since`, or `full` (409 while one started by hand runs)',
        body: z.object(connectorSyncOptions),
        response: {
          202: json(
            'the sync started; follow it at `progress`',
            z.looseObject({ workflowId: z.string(), runId: z.string(), progress: z.string() }),
          ),
        },
      }),
    },
    async (request, reply) => {
      const { connector } = await connectorFor(request);
      const body = onlyFields(kit, request.body, ['since', 'full', 'streams']);
      const input: ConnectorSyncInput = parseWith(kit, connectorSyncInputSchema, {
        ...body,
        connectorId: connector.id,
      });
      const definition = connectorDefinition(connector.system);
      const unknown = (input.streams ?? []).filter((s) => !definition.streams.includes(s));
      if (unknown.length > 0)
        throw kit.fail(
          400,
          `streams: ${definition.label} has no stream ${unknown.join(', ')}; it syncs ${definition.streams.join(', ')}`,
        );
      const { connectorId: _id, ...options } = input;
      try {
        const started = await startConnectorSync(temporal(), deps.regions, connector, options);
        return reply
          .code(202)
          .send({ ...started, progress: `/admin/connectors/${connector.id}/sync/${started.workflowId}` });
      } catch (error) {
        if (error instanceof SyncAlreadyRunningError) throw kit.fail(409, error.message);
        throw error;
      }
    },
  );

  scope.get<{ Params: { id: string; workflowId: string } }>(
    '/admin/connectors/:id/sync/:workflowId',
    {
      schema: adminRoute({
        summary: "A sync's status and live progress; its result once done",
        response: {
          200: objectAnswer("the sync's status, progress (stream, pages, customers, orders, rejected, lag) and result"),
        },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      try {
        return await syncStatus(temporal(), regionalOf(connector.region).sql, connector, request.params.workflowId);
      } catch (error) {
        if (error instanceof SyncNotFoundError) throw kit.fail(404, error.message);
        throw error;
      }
    },
  );
}
