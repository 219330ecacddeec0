import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { segmentScope } from '../../db/audience-processor';
import { getBrand } from '../../db/brands-store';
import {
  createSegment,
  getSegment,
  multiRegionCustomers,
  isStatementTimeout,
  previewSegment,
  PREVIEW_SAMPLE,
  PREVIEW_STATEMENT_TIMEOUT_MS,
  type Segment,
  segmentMemberCount,
  segmentMembershipSeries,
  segmentMembersPage,
  segmentsOfRegion,
  segmentVersions,
  updateSegment,
  workspaceDataRules,
} from '../../db/segments-store';
import { GLOBAL_REGION } from '../../domain/regions';
import { parseSegmentDefinition, type SegmentNode } from '../../domain/segments';
import { startSegmentRecompute } from '../../temporal/processes/segments';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminPrincipal, type AdminKit, onlyFields, parseWith, seesBrand } from './kit';

/**
 * Admin API for segments (issue 11 §5). A segment's owner is `group` (evaluated in every region,
 * its membership the union by customer ID) or one region (evaluated only there). Each region
 * computes its own members; only counts and customer IDs cross regions.
 *
 * Scope: a token for some regions sees and changes the local segments of its regions; a group
 * segment's definition it may read (it holds no personal data and runs in its regions too), but
 * counts, members and previews cover only its regions, and changing a group segment needs a token
 * for every region. A local segment of another region is hidden (404).
 */

const definitionDoc = z
  .looseObject({})
  .describe(
    'AND/OR/NOT tree: {"all":[…]}, {"any":[…]}, {"not":…}; conditions by type: trait, computedTrait, tag, consent, market, event, didNot, order, localTime (domain/segments.ts)',
  );
const segmentInput = z.object({
  name: z.string({ error: 'must be a name' }).trim().min(1, 'must not be empty').max(200),
  owner: z
    .string({ error: 'must be "group" or a region such as eu' })
    .describe('"group" (every region) or a region name (a local segment)'),
  brandId: z
    .string()
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .describe('the brand whose data it may read; none: the group'),
  definition: definitionDoc,
});
const segmentUpdate = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  definition: definitionDoc,
});
const previewInput = z.object({
  definition: definitionDoc,
  owner: z.string().optional().describe('"group" (default) or a region: where to evaluate'),
  brandId: z.string().min(1).max(100).nullable().optional(),
});
const segmentView = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  brandId: z.string().nullable(),
  version: z.number().int(),
  definition: z.looseObject({}),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const idParams = z.object({ id: z.string() });
const counts = z.object({
  regions: z.record(z.string(), z.number().int()).describe('members per region'),
  total: z.number().int().describe('people, counted once even with profiles in several regions'),
});

export function registerSegmentRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const dataRegions = () => [...deps.regional.keys()].filter((r) => r !== GLOBAL_REGION);

  /** The regions a segment of `owner` is evaluated in. */
  const regionsOf = (owner: string) => (owner === 'group' ? dataRegions() : [owner]);

  const checkOwner = (owner: string) => {
    if (owner !== 'group' && !dataRegions().includes(owner))
      throw kit.fail(400, `owner: must be "group" or one of the regions ${dataRegions().join(', ')}`);
  };

  /** A segment this token may see, or 404 (a local segment of another region is not revealed). */
  const visibleSegment = async (token: AdminPrincipal, id: string): Promise<Segment> => {
    const segment = /^seg_[a-z0-9]{1,40}$/.test(id) ? await getSegment(deps.globalSql, id) : undefined;
    if (!segment || (segment.owner !== 'group' && !kit.mayRead(token, segment.owner)))
      throw kit.fail(404, `segment ${id.slice(0, 60)} not found: GET it by the ID POST /admin/segments returned`);
    return segment;
  };

  /** Changing a segment: its own region's token, or a token for every region for a group segment. */
  const requireChange = (token: AdminPrincipal, owner: string) => {
    if (owner === 'group') kit.requireAllRegions(token, 'a group segment is evaluated in every region');
    else kit.requireRegion(token, owner, 'change segments');
  };

  const parseDefinition = async (input: unknown): Promise<SegmentNode> => {
    const parsed = parseSegmentDefinition(input, await workspaceDataRules(deps.globalSql));
    if (!parsed.ok) throw kit.fail(400, parsed.error);
    checkMarketRegions(parsed.definition);
    return parsed.definition;
  };

  const checkMarketRegions = (node: SegmentNode, path = 'definition'): void => {
    if ('all' in node) return node.all.forEach((n, i) => checkMarketRegions(n, `${path}.all.${i}`));
    if ('any' in node) return node.any.forEach((n, i) => checkMarketRegions(n, `${path}.any.${i}`));
    if ('not' in node) return checkMarketRegions(node.not, `${path}.not`);
    if (node.type !== 'market') return;
    node.regions?.forEach((r, i) => {
      if (!dataRegions().includes(r))
        throw kit.fail(400, `${path}.regions.${i}: "${r}" is not a region; use one of ${dataRegions().join(', ')}`);
    });
  };

  const checkBrand = async (brandId: string | null | undefined) => {
    if (!brandId) return;
    if (!(await getBrand(deps.globalSql, brandId)))
      throw kit.fail(400, `brandId: brand ${brandId.slice(0, 60)} does not exist`);
  };

  /** Starts the full recompute of the segment's current version in each of its regions (when Temporal is reachable). */
  const recompute = async (segment: Segment, regions: string[]): Promise<string[]> => {
    if (!deps.temporal) return [];
    return Promise.all(
      regions.map((region) => startSegmentRecompute(deps.temporal!, deps.regions, region, segment.id, segment.version)),
    );
  };

  const view = (s: Segment) => ({ ...s, definition: s.definition as Record<string, unknown> });

  scope.get(
    '/admin/segments',
    {
      schema: adminRoute({
        summary: "List the group's segments and the local segments of the token's regions (definitions, no members)",
        response: { 200: json('the segments', z.object({ segments: z.array(segmentView) })) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const regions = dataRegions().filter((region) => kit.mayRead(token, region));
      const seen = new Map<string, Segment>();
      for (const region of regions)
        for (const segment of await segmentsOfRegion(deps.globalSql, region))
          if (seesBrand(token, segment.brandId)) seen.set(segment.id, segment);
      return { segments: [...seen.values()].map(view) };
    },
  );

  scope.post(
    '/admin/segments',
    {
      schema: adminRoute({
        summary: 'Create a segment (owner "group" or a region); its members are computed in each of its regions',
        body: segmentInput,
        response: {
          201: json(
            'the segment, version 1, and the recomputes started',
            z.object({ segment: segmentView, recomputes: z.array(z.string()) }),
          ),
        },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(
        kit,
        segmentInput,
        onlyFields(kit, request.body, ['name', 'owner', 'brandId', 'definition']),
      );
      checkOwner(input.owner);
      requireChange(token, input.owner);
      await checkBrand(input.brandId);
      const definition = await parseDefinition(input.definition);
      const segment = await createSegment(deps.globalSql, {
        id: `seg_${randomBytes(8).toString('hex')}`,
        name: input.name,
        owner: input.owner,
        brandId: input.brandId ?? null,
        definition,
        changedBy: token.label,
      });
      const recomputes = await recompute(segment, regionsOf(segment.owner));
      reply.code(201);
      return { segment: view(segment), recomputes };
    },
  );

  scope.put<{ Params: { id: string } }>(
    '/admin/segments/:id',
    {
      schema: adminRoute({
        summary: 'A new version of a segment definition: earlier versions and membership history are kept',
        params: idParams,
        body: segmentUpdate,
        response: {
          200: json(
            'the segment at its new version, and the recomputes started',
            z.object({ segment: segmentView, recomputes: z.array(z.string()) }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const current = await visibleSegment(token, request.params.id);
      requireChange(token, current.owner);
      const input = parseWith(kit, segmentUpdate, onlyFields(kit, request.body, ['name', 'definition']));
      const definition = await parseDefinition(input.definition);
      const segment = await updateSegment(deps.globalSql, current.id, {
        ...(input.name ? { name: input.name } : {}),
        definition,
        changedBy: token.label,
      });
      if (!segment) throw kit.fail(404, `segment ${current.id} not found`);
      return { segment: view(segment), recomputes: await recompute(segment, regionsOf(segment.owner)) };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/segments/:id',
    {
      schema: adminRoute({
        summary: 'A segment and its current definition',
        params: idParams,
        response: { 200: json('the segment', z.object({ segment: segmentView })) },
      }),
    },
    async (request) => ({ segment: view(await visibleSegment(kit.authorise(request), request.params.id)) }),
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/segments/:id/versions',
    {
      schema: adminRoute({
        summary: 'Every version of a segment definition, oldest first',
        params: idParams,
        response: {
          200: json(
            'the versions',
            z.object({
              versions: z.array(
                z.object({
                  version: z.number().int(),
                  definition: z.looseObject({}),
                  changedBy: z.string(),
                  createdAt: z.string(),
                }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const segment = await visibleSegment(kit.authorise(request), request.params.id);
      const versions = await segmentVersions(deps.globalSql, segment.id);
      return { versions: versions.map((v) => ({ ...v, definition: v.definition as Record<string, unknown> })) };
    },
  );

  /** Regions of `owner` the token covers; none: 403 naming the first. */
  const regionsForToken = (token: AdminPrincipal, owner: string, action: string): string[] => {
    const regions = regionsOf(owner).filter((r) => kit.mayRead(token, r));
    if (regions.length === 0) kit.requireRegion(token, regionsOf(owner)[0] ?? owner, action);
    return regions;
  };

  /** Sums per-region counts, counting once a person who is a member in several regions. */
  const union = (perRegion: { region: string; count: number; multiRegionMembers: string[] }[]) => {
    const seen = new Map<string, number>();
    for (const r of perRegion) for (const id of r.multiRegionMembers) seen.set(id, (seen.get(id) ?? 0) + 1);
    const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
    return {
      regions: Object.fromEntries(perRegion.map((r) => [r.region, r.count])),
      total: perRegion.reduce((sum, r) => sum + r.count, 0) - duplicates,
    };
  };

  scope.post(
    '/admin/segments/preview',
    {
      schema: adminRoute({
        summary: "Preview a definition: how many match in each of the token's regions, and a sample of customer IDs",
        body: previewInput,
        response: {
          200: json(
            'counts and a sample (customer IDs only)',
            counts.extend({
              sample: z.array(z.string()).describe(`at most ${PREVIEW_SAMPLE} customer IDs`),
              tookMs: z.number(),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, previewInput, onlyFields(kit, request.body, ['definition', 'owner', 'brandId']));
      const owner = input.owner ?? 'group';
      checkOwner(owner);
      await checkBrand(input.brandId);
      const definition = await parseDefinition(input.definition);
      const started = Date.now();
      const regions = regionsForToken(token, owner, 'preview segments');
      const [segmentsScope, multi] = await Promise.all([
        segmentScope(deps.globalSql, deps.regions, input.brandId ?? null),
        regions.length > 1 ? multiRegionCustomers(deps.globalSql) : Promise.resolve([]),
      ]);
      const perRegion = await Promise.all(
        regions.map(async (region) => {
          try {
            return {
              region,
              ...(await previewSegment(deps.regional.get(region)!.sql, definition, segmentsScope, multi)),
            };
          } catch (error) {
            if (!isStatementTimeout(error)) throw error;
            // Counts are exact (never sampled or estimated): past the limit there is no honest number to give.
            throw kit.fail(
              503,
              `the preview did not finish within ${PREVIEW_STATEMENT_TIMEOUT_MS / 1000} s in region ${region}; counts are exact, not estimated, so none is given: narrow the definition or try again`,
            );
          }
        }),
      );
      const sample = [...new Set(perRegion.flatMap((r) => r.sample))].sort().slice(0, PREVIEW_SAMPLE);
      return { ...union(perRegion), sample, tookMs: Date.now() - started };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/segments/:id/counts',
    {
      schema: adminRoute({
        summary: "Members per region (the token's regions) and in total, each person counted once",
        params: idParams,
        response: { 200: json('the counts', counts) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const segment = await visibleSegment(token, request.params.id);
      const regions = regionsForToken(token, segment.owner, 'count segment members');
      const multi = regions.length > 1 ? await multiRegionCustomers(deps.globalSql) : [];
      const perRegion = await Promise.all(
        regions.map(async (region) => ({
          region,
          ...(await segmentMemberCount(deps.regional.get(region)!.sql, segment.id, multi)),
        })),
      );
      return union(perRegion);
    },
  );

  const historyQuery = z.object({
    days: z.coerce
      .number({ error: 'must be a number of days' })
      .int()
      .min(1, 'must be 1–366')
      .max(366, 'must be 1–366')
      .default(30),
  });
  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/admin/segments/:id/history',
    {
      schema: adminRoute({
        summary:
          "Membership over time: members at the end of each UTC day, entries and exits, in the token's regions (counts only)",
        params: idParams,
        querystring: historyQuery,
        response: {
          200: json(
            'one row per day, oldest first, the last one today',
            z.object({
              days: z.array(
                z.object({
                  day: z.string(),
                  members: z.number().int(),
                  entered: z.number().int(),
                  exited: z.number().int(),
                }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const segment = await visibleSegment(token, request.params.id);
      const { days } = parseWith(kit, historyQuery, onlyFields(kit, request.query, ['days']), 'query');
      const regions = regionsForToken(token, segment.owner, 'read segment history');
      const to = new Date().toISOString().slice(0, 10);
      const from = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const perRegion = await Promise.all(
        regions.map((r) => segmentMembershipSeries(deps.regional.get(r)!.sql, segment.id, from, to)),
      );
      // The regions' counts add up; the rare person with profiles in several regions counts in each (as per-day history
      // keeps no IDs to count them once, unlike /counts).
      return {
        days: perRegion[0]!.map((d, i) => ({
          day: d.day,
          members: perRegion.reduce((sum, r) => sum + r[i]!.members, 0),
          entered: perRegion.reduce((sum, r) => sum + r[i]!.entered, 0),
          exited: perRegion.reduce((sum, r) => sum + r[i]!.exited, 0),
        })),
      };
    },
  );

  const membersQuery = z.object({
    cursor: z.uuid({ error: 'must be the nextCursor of the previous page' }).optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1, 'must be 1–1000')
      .max(1000, 'must be 1–1000')
      .default(100),
  });
  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/admin/segments/:id/members',
    {
      schema: adminRoute({
        summary: "Current members (customer IDs) in the token's regions, by customer ID, paged",
        params: idParams,
        querystring: membersQuery,
        response: {
          200: json(
            'a page of members',
            z.object({
              members: z.array(z.string()),
              nextCursor: z.string().nullable().describe('pass as cursor for the next page; null: the last page'),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const segment = await visibleSegment(token, request.params.id);
      const page = parseWith(kit, membersQuery, onlyFields(kit, request.query, ['cursor', 'limit']), 'query');
      const regions = regionsForToken(token, segment.owner, 'list segment members');
      const lists = await Promise.all(
        regions.map((r) => segmentMembersPage(deps.regional.get(r)!.sql, segment.id, page.cursor ?? null, page.limit)),
      );
      const merged = [...new Set(lists.flat())].sort();
      const members = merged.slice(0, page.limit);
      // An export of who is in the segment: audited in each region whose members it lists.
      await kit.audit(request, token, regions, { action: 'export.segment-members', fields: ['customerId'] });
      const more = merged.length > page.limit || lists.some((l) => l.length === page.limit);
      return { members, nextCursor: more && members.length > 0 ? members[members.length - 1]! : null };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/segments/:id/recompute',
    {
      schema: adminRoute({
        summary: "Recompute a segment's membership in full, in the token's regions (a workflow per region)",
        params: idParams,
        response: { 202: json('the recompute workflows started', z.object({ recomputes: z.array(z.string()) })) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const segment = await visibleSegment(token, request.params.id);
      const regions = regionsForToken(token, segment.owner, 'recompute segments');
      if (!deps.temporal) throw kit.fail(503, 'Temporal is not reachable from this server: try again later');
      reply.code(202);
      return { recomputes: await recompute(segment, regions) };
    },
  );
}
