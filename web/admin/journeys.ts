import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  createJourney,
  getJourney,
  type Journey,
  type JourneyStats,
  addNodeStats,
  journeyStats,
  listJourneys,
  publishJourneyVersion,
  setJourneyStatus,
  emptyJourneyStats,
} from '../../db/journeys-store';
import { segmentExists } from '../../db/tags-store';
import { type JourneyGraph, parseJourneyGraph, sealedTraitUpdates } from '../../domain/journeys';
import { newestDataSchema } from '../../db/data-schema-store';
import { GLOBAL_REGION } from '../../domain/regions';
import { adminRoute, json } from '../openapi';
import {
  type AdminDeps,
  type AdminPrincipal,
  type AdminKit,
  onlyFields,
  parseWith,
  seesBrand,
  requireBrand,
} from './kit';

/**
 * Admin API for journeys (issue 12, docs/design/activation.md "Journeys"): create, publish a new
 * version (runs in flight stay on theirs or move, chosen here), pause, resume, stats. A journey's
 * owner is "group" (runs in every region) or one region. Scope as for segments: a token for some
 * regions changes the journeys of its regions; a group journey needs a token for every region; a
 * journey of another region is hidden (404). Stats are counts only, from the regions the token covers.
 */

const graphDoc = z
  .looseObject({})
  .describe(
    'the journey graph (domain/journeys.ts): {entry, reEntry?, goal?, start, nodes: {id: {type: delay|delayUntilLocalTime|delayUntilDateTrait|waitForEvent|waitForSegment|split|randomSplit|message|updateTag|updateTrait|exit, …}}}',
  );
const journeyInput = z.object({
  name: z.string({ error: 'must be a name' }).trim().min(1, 'must not be empty').max(200),
  owner: z.string({ error: 'must be "group" or a region such as eu' }).describe('"group" or a region name'),
  brandId: z.string({ error: 'must be a brand ID' }).min(1).max(100).describe('the brand the journey sends for'),
  graph: graphDoc,
});
const publishInput = z.object({
  graph: graphDoc,
  runsMove: z
    .boolean({ error: 'must be true (runs in flight move to this version) or false (they finish on theirs)' })
    .describe('true: runs in flight move to this version at their next step; false: they finish on their own'),
  name: z.string().trim().min(1).max(200).optional(),
});
const journeyView = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  brandId: z.string(),
  status: z.enum(['active', 'paused']),
  version: z.number().int(),
  graph: z.looseObject({}),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const statsView = z.object({
  entered: z.number().int(),
  active: z.number().int(),
  exited: z.number().int(),
  converted: z.number().int().describe('runs ended by their goal (a conversion)'),
  merged: z.number().int(),
  byVersion: z.record(z.string(), z.number().int()),
  steps: z.record(z.string(), z.number().int()).describe('message outcomes: sent, blocked:<reason>, holdout'),
  nodes: z
    .record(
      z.string(),
      z.object({
        reached: z.number().int(),
        converted: z.number().int(),
        outcomes: z.record(z.string(), z.number().int()),
      }),
    )
    .describe('per node: runs that reached it, how many of them converted (the goal), and its outcomes'),
});
const idParams = z.object({ id: z.string() });

export function registerJourneyRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const dataRegions = () => [...deps.regional.keys()].filter((r) => r !== GLOBAL_REGION);
  const regionsOf = (owner: string) => (owner === 'group' ? dataRegions() : [owner]);

  const checkOwner = (owner: string) => {
    if (owner !== 'group' && !dataRegions().includes(owner))
      throw kit.fail(400, `owner: must be "group" or one of the regions ${dataRegions().join(', ')}`);
  };
  const requireChange = (token: AdminPrincipal, owner: string) => {
    if (owner === 'group') kit.requireAllRegions(token, 'a group journey runs in every region');
    else kit.requireRegion(token, owner, 'change journeys');
  };
  const visibleJourney = async (token: AdminPrincipal, id: string): Promise<Journey> => {
    const journey = /^jr_[A-Za-z0-9_-]{1,60}$/.test(id) ? await getJourney(deps.globalSql, id) : undefined;
    if (!journey || (journey.owner !== 'group' && !kit.mayRead(token, journey.owner)))
      throw kit.fail(404, `journey ${id.slice(0, 60)} not found: use the ID POST /admin/journeys returned`);
    return journey;
  };
  const parseGraph = async (input: unknown): Promise<JourneyGraph> => {
    const parsed = parseJourneyGraph(input);
    if (!parsed.ok) throw kit.fail(400, `graph: ${parsed.error}`);
    const graph = parsed.graph;
    const segments = [
      ...(graph.entry.type === 'segmentEntered' ? [['graph.entry.segmentId', graph.entry.segmentId]] : []),
      ...Object.entries(graph.nodes).flatMap(([id, node]) =>
        node.type === 'waitForSegment'
          ? [[`graph.nodes.${id}.segmentId`, node.segmentId]]
          : node.type === 'split' && 'inSegment' in node.condition
            ? [[`graph.nodes.${id}.condition.inSegment`, node.condition.inSegment]]
            : [],
      ),
    ];
    for (const [field, segmentId] of segments)
      if (!(await segmentExists(deps.globalSql, segmentId!)))
        throw kit.fail(400, `${field}: no segment "${segmentId!.slice(0, 60)}": create it with POST /admin/segments`);
    if (Object.values(graph.nodes).some((n) => n.type === 'updateTrait')) {
      const [refused] = sealedTraitUpdates(graph, (await newestDataSchema(deps.globalSql)).compiled);
      if (refused) throw kit.fail(400, `graph.${refused[0]}: ${refused[1]}`);
    }
    return graph;
  };
  const view = (j: Journey) => ({ ...j, graph: j.graph as unknown as Record<string, unknown> });

  scope.get(
    '/admin/journeys',
    {
      schema: adminRoute({
        summary: "List the group's journeys and the journeys of the token's regions, at their current versions",
        response: { 200: json('the journeys', z.object({ journeys: z.array(journeyView) })) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const journeys = (await listJourneys(deps.globalSql)).filter(
        (j) => (j.owner === 'group' || kit.mayRead(token, j.owner)) && seesBrand(token, j.brandId),
      );
      return { journeys: journeys.map(view) };
    },
  );

  scope.post(
    '/admin/journeys',
    {
      schema: adminRoute({
        summary: 'Create a journey (owner "group" or a region) at version 1; it starts runs at once',
        body: journeyInput,
        response: { 201: json('the journey', z.object({ journey: journeyView })) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, journeyInput, onlyFields(kit, request.body, ['name', 'owner', 'brandId', 'graph']));
      checkOwner(input.owner);
      requireChange(token, input.owner);
      await requireBrand(deps.globalSql, input.brandId);
      const graph = await parseGraph(input.graph);
      const journey = await createJourney(deps.globalSql, {
        id: `jr_${randomBytes(8).toString('hex')}`,
        name: input.name,
        owner: input.owner,
        brandId: input.brandId,
        graph,
        publishedBy: token.label,
      });
      reply.code(201);
      return { journey: view(journey) };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/journeys/:id',
    {
      schema: adminRoute({
        summary: 'A journey at its current version',
        params: idParams,
        response: { 200: json('the journey', z.object({ journey: journeyView })) },
      }),
    },
    async (request) => ({ journey: view(await visibleJourney(kit.authorise(request), request.params.id)) }),
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/journeys/:id/versions',
    {
      schema: adminRoute({
        summary: 'Publish a new version: new runs take it; runs in flight move to it or finish on theirs (runsMove)',
        params: idParams,
        body: publishInput,
        response: { 200: json('the journey at its new version', z.object({ journey: journeyView })) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const current = await visibleJourney(token, request.params.id);
      requireChange(token, current.owner);
      const input = parseWith(kit, publishInput, onlyFields(kit, request.body, ['graph', 'runsMove', 'name']));
      const graph = await parseGraph(input.graph);
      const journey = await publishJourneyVersion(deps.globalSql, current.id, {
        graph,
        runsMove: input.runsMove,
        publishedBy: token.label,
        ...(input.name ? { name: input.name } : {}),
      });
      if (!journey) throw kit.fail(404, `journey ${current.id} not found`);
      return { journey: view(journey) };
    },
  );

  for (const [action, status] of [
    ['pause', 'paused'],
    ['resume', 'active'],
  ] as const) {
    scope.post<{ Params: { id: string } }>(
      `/admin/journeys/:id/${action}`,
      {
        schema: adminRoute({
          summary:
            action === 'pause'
              ? 'Pause a journey: no new runs, and runs in flight hold before their next step'
              : 'Resume a paused journey: runs carry on from where they held',
          params: idParams,
          response: { 200: json('the journey', z.object({ journey: journeyView })) },
        }),
      },
      async (request) => {
        const token = kit.authorise(request);
        const current = await visibleJourney(token, request.params.id);
        requireChange(token, current.owner);
        const journey = await setJourneyStatus(deps.globalSql, current.id, status);
        if (!journey) throw kit.fail(404, `journey ${current.id} not found`);
        return { journey: view(journey) };
      },
    );
  }

  scope.get<{ Params: { id: string } }>(
    '/admin/journeys/:id/stats',
    {
      schema: adminRoute({
        summary: 'Counts of runs (entered, active, exited, converted by the goal) and message outcomes, per region',
        params: idParams,
        response: {
          200: json(
            'counts only, from the regions the token covers',
            z.object({ regions: z.record(z.string(), statsView), total: statsView }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const journey = await visibleJourney(token, request.params.id);
      const regions = regionsOf(journey.owner).filter((r) => kit.mayRead(token, r));
      if (regions.length === 0)
        kit.requireRegion(token, regionsOf(journey.owner)[0] ?? journey.owner, 'read journey stats');
      const perRegion: Record<string, JourneyStats> = {};
      for (const region of regions) perRegion[region] = await journeyStats(deps.regional.get(region)!.sql, journey.id);
      const total = emptyJourneyStats();
      for (const s of Object.values(perRegion)) {
        for (const k of ['entered', 'active', 'exited', 'converted', 'merged'] as const) total[k] += s[k];
        for (const [v, n] of Object.entries(s.byVersion)) total.byVersion[v] = (total.byVersion[v] ?? 0) + n;
        for (const [o, n] of Object.entries(s.steps)) total.steps[o] = (total.steps[o] ?? 0) + n;
        addNodeStats(total.nodes, s.nodes);
      }
      return { regions: perRegion, total };
    },
  );
}
