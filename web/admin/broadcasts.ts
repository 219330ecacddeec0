import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type Broadcast,
  createBroadcast,
  getBroadcast,
  listBroadcasts,
  setBroadcastStatus,
} from '../../db/broadcasts-store';
import { zoneCluePairs } from '../../db/broadcasts-store';
import { getSegment } from '../../db/segments-store';
import { getTemplate } from '../../db/templates-store';
import { broadcastInputSchema, broadcastZone, emptyCounts, previewByZone, WHEN_PASSED } from '../../domain/broadcasts';
import { CHANNELS } from '../../domain/quiet-hours';
import { parseTemplateRef, templateRef } from '../../domain/templates';
import { broadcastProgress, signalBroadcast, startBroadcast } from '../../temporal/processes/broadcasts';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminKit, onlyFields, parseWith, seesBrand, requireBrand } from './kit';

/**
 * Broadcasts (issue 12): one message to a segment's members in one region at a local time in each
 * person's zone (workflows/broadcast.ts). Region-scoped: a token acts only on its regions'
 * broadcasts. Create (a draft; the template is pinned to its version now), start, pause, resume,
 * cancel, and the progress (counts only).
 */

const broadcastView = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  brandId: z.string(),
  segmentId: z.string(),
  channel: z.enum(CHANNELS),
  templateRef: z.string().describe('the template version it sends: id:vN'),
  localTime: z.string(),
  localDate: z.string().optional(),
  whenPassed: z.enum(WHEN_PASSED),
  fallbackZone: z.string(),
  status: z.enum(['draft', 'running', 'paused', 'completed', 'cancelled']),
  startedAt: z.string().meta({ format: 'date-time' }).nullable(),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
const countsView = z.object({
  planned: z.number().int(),
  skipped: z.number().int().describe("members whose time had passed ('skip') or does not exist"),
  sent: z.number().int(),
  deferred: z.number().int().describe('deferrals by quiet hours (each re-sent later)'),
  blocked: z.record(z.string(), z.number().int()).describe('by reason: consent, suppression, caps …'),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
const progressView = z.object({
  broadcastId: z.string(),
  region: z.string(),
  status: z.enum(['draft', 'planning', 'waiting', 'sending', 'paused', 'completed', 'cancelled']),
  nextAt: z.string().meta({ format: 'date-time' }).optional(),
  counts: countsView,
});

export function registerBroadcastRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const dataRegions = () => deps.regions.dataRegions.map((r) => r.name);
  const noBroadcast = (id: string) => kit.fail(404, `no broadcast "${id}": list them with GET /admin/broadcasts`);
  const temporal = () => {
    if (!deps.temporal) throw kit.fail(503, 'Temporal is not reachable from this server: try again later');
    return deps.temporal;
  };

  /** The broadcast, if the token covers its region (403 otherwise). */
  async function owned(request: Parameters<AdminKit['authorise']>[0], id: string, action: string): Promise<Broadcast> {
    const token = kit.authorise(request);
    const broadcast = await getBroadcast(deps.globalSql, id);
    if (!broadcast) throw noBroadcast(id);
    kit.requireRegion(token, broadcast.region, action);
    return broadcast;
  }

  scope.post(
    '/admin/broadcasts',
    {
      schema: adminRoute({
        summary: "Create a broadcast (a draft) in one of the token's regions",
        body: broadcastInputSchema,
        response: { 201: json('the broadcast', z.object({ broadcast: broadcastView })) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, broadcastInputSchema, request.body);
      if (!dataRegions().includes(input.region))
        throw kit.fail(400, `region must be one of ${dataRegions().join(', ')}`);
      kit.requireRegion(token, input.region, 'create broadcasts');
      await requireBrand(deps.globalSql, input.brandId);
      const segment = await getSegment(deps.globalSql, input.segmentId);
      if (!segment || (segment.owner !== 'group' && segment.owner !== input.region))
        throw kit.fail(400, `segmentId: no segment "${input.segmentId}" in region ${input.region}`);
      if (segment.brandId !== null && segment.brandId !== input.brandId)
        throw kit.fail(
          400,
          `segmentId: segment ${segment.id} belongs to brand ${segment.brandId}, not ${input.brandId}`,
        );
      const ref = parseTemplateRef(input.templateRef)!;
      const template = await getTemplate(deps.globalSql, ref.id, ref.version);
      if (!template)
        throw kit.fail(400, `templateRef: no template ${input.templateRef}: create it with POST /admin/templates`);
      if (template.channel !== input.channel)
        throw kit.fail(400, `templateRef: template ${template.id} is for ${template.channel}, not ${input.channel}`);
      if (template.brandId !== input.brandId)
        throw kit.fail(
          400,
          `templateRef: template ${template.id} belongs to brand ${template.brandId}, not ${input.brandId}`,
        );
      // Pinned now: what was approved is what is sent, even if the template changes meanwhile.
      const broadcast = await createBroadcast(deps.globalSql, {
        ...input,
        templateRef: templateRef(template.id, template.version),
      });
      if (!broadcast) throw kit.fail(409, `broadcast ${input.id} exists: choose another id`);
      return reply.code(201).send({ broadcast });
    },
  );

  scope.get(
    '/admin/broadcasts',
    {
      schema: adminRoute({
        summary: "The broadcasts of the token's regions",
        response: { 200: z.object({ broadcasts: z.array(broadcastView) }) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const broadcasts = await listBroadcasts(deps.globalSql, token.regions === '*' ? undefined : token.regions);
      return { broadcasts: broadcasts.filter((b) => seesBrand(token, b.brandId)) };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/broadcasts/:id',
    {
      schema: adminRoute({
        summary: 'A broadcast',
        response: { 200: z.object({ broadcast: broadcastView }) },
      }),
    },
    async (request) => ({ broadcast: await owned(request, request.params.id, 'read broadcasts') }),
  );

  const previewQuery = z.object({
    startAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2026-12-24T00:00:00Z' })
      .optional()
      .describe('when it would start (default: now; a started broadcast: when it started)'),
  });
  const PREVIEW_PAGE = 10_000;
  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/admin/broadcasts/:id/preview',
    {
      schema: adminRoute({
        summary:
          "How many of the segment's current members get it at which UTC instant, by time zone (counts only, nothing is planned)",
        querystring: previewQuery,
        response: {
          200: json(
            'the groups, soonest first; zones where the time passed or does not exist last, with at null',
            z.object({
              startAt: z.string().meta({ format: 'date-time' }),
              total: z.number().int(),
              groups: z.array(
                z.object({
                  zone: z.string(),
                  at: z.string().meta({ format: 'date-time' }).nullable(),
                  skipped: z.enum(['time-passed', 'no-such-time']).optional(),
                  count: z.number().int(),
                }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const broadcast = await owned(request, request.params.id, 'preview broadcasts');
      const query = parseWith(kit, previewQuery, onlyFields(kit, request.query, ['startAt']), 'query');
      const startAt = new Date(broadcast.startedAt ?? query.startAt ?? Date.now());
      const sql = deps.regional.get(broadcast.region)!.sql;
      const byZone = new Map<string, number>();
      let total = 0;
      for (let after: string | null = null; ; ) {
        const page = await zoneCluePairs(sql, { segmentId: broadcast.segmentId, after, limit: PREVIEW_PAGE });
        for (const { clues, count } of page.pairs) {
          const zone = broadcastZone(clues, broadcast.fallbackZone);
          byZone.set(zone, (byZone.get(zone) ?? 0) + count);
        }
        total += page.members;
        if (page.members < PREVIEW_PAGE || page.last === null) break;
        after = page.last;
      }
      return { startAt: startAt.toISOString(), total, groups: previewByZone(byZone, broadcast, startAt) };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/broadcasts/:id/start',
    {
      schema: adminRoute({
        summary: 'Start a draft broadcast: its members are planned at their local time, then sent',
        response: { 202: json('started', z.object({ broadcast: broadcastView, workflowId: z.string() })) },
      }),
    },
    async (request, reply) => {
      const existing = await owned(request, request.params.id, 'start broadcasts');
      const client = temporal();
      const started = await setBroadcastStatus(deps.globalSql, existing.id, ['draft'], 'running', new Date());
      if (!started) throw kit.fail(409, `broadcast ${existing.id} is ${existing.status}: only a draft can be started`);
      const workflowId = await startBroadcast(client, deps.regions, {
        broadcastId: started.id,
        region: started.region,
        startedAt: started.startedAt!,
      });
      return reply.code(202).send({ broadcast: started, workflowId });
    },
  );

  const steer = (what: 'pause' | 'resume' | 'cancel', from: Broadcast['status'][], to: Broadcast['status']) =>
    scope.post<{ Params: { id: string } }>(
      `/admin/broadcasts/:id/${what}`,
      {
        schema: adminRoute({
          summary: `${what[0]!.toUpperCase()}${what.slice(1)} a broadcast (from ${from.join(' or ')})`,
          response: { 200: z.object({ broadcast: broadcastView }) },
        }),
      },
      async (request) => {
        const existing = await owned(request, request.params.id, `${what} broadcasts`);
        const client = temporal();
        const changed = await setBroadcastStatus(deps.globalSql, existing.id, from, to);
        if (!changed) throw kit.fail(409, `broadcast ${existing.id} is ${existing.status}: it cannot ${what} now`);
        if (existing.status !== 'draft') await signalBroadcast(client, existing.id, what);
        return { broadcast: changed };
      },
    );
  steer('pause', ['running'], 'paused');
  steer('resume', ['paused'], 'running');
  // A draft is cancelled without a workflow; a running or paused one stops at its next step.
  steer('cancel', ['draft', 'running', 'paused'], 'cancelled');

  scope.get<{ Params: { id: string } }>(
    '/admin/broadcasts/:id/progress',
    {
      schema: adminRoute({
        summary: "A broadcast's progress: planned, sent, deferred, blocked by reason (counts only)",
        response: { 200: z.object({ progress: progressView }) },
      }),
    },
    async (request) => {
      const broadcast = await owned(request, request.params.id, 'read broadcasts');
      const progress =
        broadcast.status === 'draft' || !deps.temporal
          ? undefined
          : await broadcastProgress(deps.temporal, broadcast.id);
      return {
        progress: progress ?? {
          broadcastId: broadcast.id,
          region: broadcast.region,
          status: broadcast.status === 'running' ? 'planning' : broadcast.status,
          counts: emptyCounts(),
        },
      };
    },
  );
}
