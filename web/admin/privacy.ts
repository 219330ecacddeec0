import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  listPrivacyRequests,
  mergePrivacySystems,
  readPrivacyRequest,
  requestDetails,
} from '../../db/privacy-requests-store';
import {
  completeManualPrivacyTask,
  extendPrivacyRequestDeadline,
  privacyRequestWorkflowId,
} from '../../temporal/processes/privacy-request';
import { adminRoute, json, objectAnswer } from '../openapi';
import { type AdminDeps, type AdminKit, parseWith } from './kit';
import { liftLegalHold, placeLegalHold } from '../../db/erasure-store';

/**
 * The operator's view of privacy requests: the list with deadlines and where each stands, one
 * request with its status per system, and the actions — extend the deadline (with the reason),
 * complete a manual task, place or lift a legal hold. Actions reach the running saga as signals.
 */

const holdBody = z.object({
  customerId: z.uuid('is not a customer ID (a UUID)'),
  region: z.string(),
  scope: z.enum(['orders', 'all'], { error: 'must be "orders" (keep orders, e.g. for tax law) or "all"' }),
  reason: z.string().min(3).max(500),
});

const taskBody = z.object({
  note: z.string().max(500).optional(),
  operation: z.enum(['erase', 'suppress', 'correct']).default('erase'),
});
const extendBody = z.object({
  reason: z
    .string()
    .min(10, 'say why the request needs more time (it is recorded and shown to the requester)')
    .max(500),
});
const requestListed = z.object({
  id: z.string(),
  region: z.string(),
  type: z.string(),
  status: z.string(),
  jurisdiction: z.string(),
  receivedAt: z.string().meta({ format: 'date-time' }),
  dueDate: z.string().describe('YYYY-MM-DD, extended if it was'),
  deadline: z.string().optional().describe('how near the deadline is, once it is near'),
});
const signalled = z.object({ signalled: z.string().describe("the privacy request's workflow, dsar-<id>") });

export function registerPrivacyAdminRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => parseWith(kit, schema, body);
  const temporal = (): Client => {
    if (!deps.temporal) throw kit.fail(503, 'this server was started without a Temporal client');
    return deps.temporal;
  };
  /** The request and the region whose database holds it (the requester's). */
  const find = async (id: string) => {
    for (const [region, r] of deps.regional) {
      const view = await readPrivacyRequest(r.sql, id);
      if (view) return { region, view };
    }
    throw kit.fail(404, `privacy request ${id} does not exist: list them with GET /admin/privacy-requests`);
  };

  scope.get<{ Querystring: { status?: string } }>(
    '/admin/privacy-requests',
    {
      schema: adminRoute({
        summary: "Privacy requests of the token's regions, soonest deadline first",
        querystring: z.object({ status: z.string().optional().describe('only requests with this status') }),
        response: {
          200: json('the requests (at most 500 per region)', z.object({ requests: z.array(requestListed) })),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const requests = [];
      for (const [region, r] of deps.regional) {
        if (!kit.mayRead(token, region)) continue;
        for (const row of await listPrivacyRequests(r.sql, request.query.status)) {
          requests.push({
            id: row.id,
            region,
            type: row.type,
            status: row.status,
            jurisdiction: row.jurisdiction,
            receivedAt: row.receivedAt.toISOString(),
            dueDate: row.due,
            ...(row.deadlineState ? { deadline: row.deadlineState } : {}),
          });
        }
      }
      requests.sort((a, b) => a.dueDate.localeCompare(b.dueDate));
      return { requests };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/privacy-requests/:id',
    {
      schema: adminRoute({
        summary: 'A privacy request with its status per system',
        response: {
          200: objectAnswer(
            "the request: type, status, deadlines, its status per system (of the token's regions) and the requester's details",
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const { region, view } = await find(request.params.id);
      kit.requireRegion(token, region, 'read privacy requests');
      // Each region's systems are shown only to a token for that region.
      const covered = [...deps.regional].filter(([name]) => kit.mayRead(token, name)).map(([, r]) => r.sql);
      const systems = (await mergePrivacySystems(covered, view.id)).filter((system) =>
        kit.mayRead(token, system.region),
      );
      const details = await requestDetails(deps.regional.get(region)!.sql, deps.regional.get(region)!.key, view.id);
      return { region, ...view, systems, ...(details ? { details } : {}) };
    },
  );

  scope.post<{ Params: { id: string; region: string; connectorId: string } }>(
    '/admin/privacy-requests/:id/manual-tasks/:region/:connectorId/complete',
    {
      schema: adminRoute({
        summary: "Mark a manual privacy task in a region's system done",
        body: taskBody,
        response: { 202: json('the saga was signalled', signalled) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const body = parse(taskBody, request.body ?? {});
      if (!deps.regional.has(request.params.region))
        throw kit.fail(404, `no region ${request.params.region}: one of ${[...deps.regional.keys()].join(', ')}`);
      // The task is the work in :region's systems: a token for that region completes it.
      kit.requireRegion(token, request.params.region, 'complete privacy tasks');
      await find(request.params.id);
      await completeManualPrivacyTask(temporal(), request.params.id, {
        region: request.params.region,
        connectorId: request.params.connectorId,
        operation: body.operation,
        ...(body.note ? { note: body.note } : {}),
      });
      return reply.code(202).send({ signalled: privacyRequestWorkflowId(request.params.id) });
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/privacy-requests/:id/extend',
    {
      schema: adminRoute({
        summary: "Extend the request's deadline as its law allows, with the reason (shown to the requester)",
        body: extendBody,
        response: { 202: json('the saga was signalled', signalled) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const body = parse(extendBody, request.body);
      const { region } = await find(request.params.id);
      kit.requireRegion(token, region, 'extend privacy requests');
      await extendPrivacyRequestDeadline(temporal(), request.params.id, body.reason);
      return reply.code(202).send({ signalled: privacyRequestWorkflowId(request.params.id) });
    },
  );

  scope.post(
    '/admin/legal-holds',
    {
      schema: adminRoute({
        summary: "Place a legal hold: keep a person's orders (or everything) through erasure",
        body: holdBody,
        response: {
          201: holdBody.safeExtend({
            id: z.string().describe("the hold's number, for DELETE /admin/legal-holds/:region/:id"),
          }),
        },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const body = parse(holdBody, request.body);
      const r = deps.regional.get(body.region);
      if (!r) throw kit.fail(400, `region: must be one of ${[...deps.regional.keys()].join(', ')}`);
      kit.requireRegion(token, body.region, 'place legal holds');
      const id = await placeLegalHold(r.sql, { ...body, placedBy: 'admin-api' });
      return reply.code(201).send({ id, ...body });
    },
  );

  scope.delete<{ Params: { region: string; id: string } }>(
    '/admin/legal-holds/:region/:id',
    { schema: adminRoute({ summary: 'Lift a legal hold', response: { 200: z.object({ lifted: z.number().int() }) } }) },
    async (request) => {
      const token = kit.authorise(request);
      const r = deps.regional.get(request.params.region);
      if (!r) throw kit.fail(404, `no region ${request.params.region}`);
      kit.requireRegion(token, request.params.region, 'lift legal holds');
      if (!(await liftLegalHold(r.sql, Number(request.params.id))))
        throw kit.fail(404, `no active legal hold ${request.params.id} in region ${request.params.region}`);
      return { lifted: Number(request.params.id) };
    },
  );
}
