import { brandsOfSegments } from '../../db/console-access-store';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type AdAudience,
  archiveAdAudience,
  createAdAudience,
  getAdAudience,
  listAdAudiences,
} from '../../db/ad-audiences-store';
import { getConnector } from '../../db/connectors-store';
import { getSegment } from '../../db/segments-store';
import {
  AD_PLATFORM_SYSTEMS,
  adAudienceInputSchema,
  adPlatformOfSystem,
  AD_PLATFORMS,
} from '../../domain/ad-audiences';
import { startAdAudienceSync } from '../../temporal/processes/ad-audiences';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminPrincipal, type AdminKit, onlyFields, parseWith, seesBrand } from './kit';

/**
 * Admin API for ad audiences (issue 12, 跨境再营销): a segment kept in step with a Meta custom
 * audience, a Google Customer Match user list or a TikTok audience, through a connector of that
 * platform. The sync runs in the connector's region, for the members in that region who consented
 * to personalised ads. Scope: an audience lives in its connector's region; a token for other regions
 * neither sees (404) nor creates (403) it.
 */

const pollSeconds = z
  .int('must be a whole number of seconds')
  .min(1, 'must be at least 1')
  .max(3600, 'must be at most 3600')
  .optional()
  .describe('how often the sync reads the membership outbox when idle; default 15');
const createInput = adAudienceInputSchema.safeExtend({ pollSeconds });
const syncInput = z.object({
  full: z.boolean({ error: 'must be true or false' }).optional().describe('re-sync every member and everyone uploaded'),
  pollSeconds,
});
const audienceView = z.object({
  id: z.string(),
  name: z.string(),
  segmentId: z.string(),
  connectorId: z.string(),
  platform: z.enum(AD_PLATFORMS),
  platformAudienceId: z.string(),
  region: z.string(),
  lastError: z.string().nullable().describe('what stopped the sync, e.g. "… reconnect the Meta ad account …"'),
  lastSyncedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const idParams = z.object({ id: z.string() });

/** The platform audience IDs a connector's settings name (the ones its erase and withdrawal reach). */
function connectorAudienceIds(settings: unknown): string[] {
  const s = (settings ?? {}) as { audienceIds?: unknown; userListIds?: unknown };
  const ids = Array.isArray(s.audienceIds) ? s.audienceIds : Array.isArray(s.userListIds) ? s.userListIds : [];
  return ids.filter((id): id is string => typeof id === 'string');
}

export function registerAdAudienceRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const visible = async (token: AdminPrincipal, id: string): Promise<AdAudience> => {
    const audience = /^aud_[a-f0-9]{16}$/.test(id) ? await getAdAudience(deps.globalSql, id) : undefined;
    if (!audience || !kit.mayRead(token, audience.region))
      throw kit.fail(
        404,
        `ad audience ${id.slice(0, 60)} not found: GET /admin/ad-audiences lists the ones this token may see`,
      );
    return audience;
  };
  const start = async (audience: AdAudience, options: { full?: boolean; pollSeconds?: number | undefined }) =>
    deps.temporal
      ? startAdAudienceSync(deps.temporal, deps.regions, audience, {
          ...(options.full ? { full: true } : {}),
          ...(options.pollSeconds ? { pollSeconds: options.pollSeconds } : {}),
        })
      : null;

  scope.post(
    '/admin/ad-audiences',
    {
      schema: adminRoute({
        summary: "Keep a segment in step with an ad platform's audience (Meta, Google Customer Match, TikTok)",
        body: createInput,
        response: {
          201: json(
            'the audience and its sync workflow (null when Temporal is not configured)',
            z.object({ audience: audienceView, sync: z.string().nullable() }),
          ),
        },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(
        kit,
        createInput,
        onlyFields(kit, request.body, ['name', 'segmentId', 'connectorId', 'platformAudienceId', 'pollSeconds']),
      );
      const connector = await getConnector(deps.globalSql, input.connectorId);
      const platform = connector ? adPlatformOfSystem(connector.system) : undefined;
      if (!connector) throw kit.fail(400, `connectorId: connector ${input.connectorId} does not exist`);
      kit.requireRegion(token, connector.region, 'create ad audiences');
      if (!platform)
        throw kit.fail(
          400,
          `connectorId: connector ${connector.id} is a ${connector.system} connector; use one of the systems ${Object.values(AD_PLATFORM_SYSTEMS).join(', ')}`,
        );
      const segment = await getSegment(deps.globalSql, input.segmentId);
      if (!segment || (segment.owner !== 'group' && segment.owner !== connector.region))
        throw kit.fail(
          400,
          `segmentId: segment ${input.segmentId} is not evaluated in region ${connector.region} (the connector's): use a group segment or one of that region`,
        );
      const known = connectorAudienceIds(connector.settings);
      if (!known.includes(input.platformAudienceId))
        throw kit.fail(
          400,
          `platformAudienceId: ${input.platformAudienceId} is not among the connector's audiences (${known.join(', ')}): add it to the connector's settings first, so that erasure and consent withdrawal reach it too`,
        );
      const audience = await createAdAudience(deps.globalSql, {
        id: `aud_${randomBytes(8).toString('hex')}`,
        name: input.name,
        segmentId: segment.id,
        connectorId: connector.id,
        platform,
        platformAudienceId: input.platformAudienceId,
        region: connector.region,
      });
      // The first pass is a full one: everyone already in the segment is uploaded.
      const sync = await start(audience, { full: true, pollSeconds: input.pollSeconds });
      reply.code(201);
      return { audience, sync };
    },
  );

  scope.get(
    '/admin/ad-audiences',
    {
      schema: adminRoute({
        summary: "The ad audiences of the token's regions",
        response: { 200: json('the audiences', z.object({ audiences: z.array(audienceView) })) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const audiences = await listAdAudiences(deps.globalSql, token.regions === '*' ? null : token.regions);
      if (token.brands === '*') return { audiences };
      // An audience is its segment's brand's.
      const brands = await brandsOfSegments(
        deps.globalSql,
        audiences.map((a) => a.segmentId),
      );
      return { audiences: audiences.filter((a) => seesBrand(token, brands.get(a.segmentId) ?? null)) };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/ad-audiences/:id',
    {
      schema: adminRoute({
        summary: 'An ad audience, with the error that stopped its sync if any',
        params: idParams,
        response: { 200: json('the audience', z.object({ audience: audienceView })) },
      }),
    },
    async (request) => ({ audience: await visible(kit.authorise(request), request.params.id) }),
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/ad-audiences/:id/sync',
    {
      schema: adminRoute({
        summary: 'Start the sync again (after a reconnect), or ask for a full re-sync',
        params: idParams,
        body: syncInput,
        response: { 202: json('the sync workflow', z.object({ sync: z.string() })) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const audience = await visible(token, request.params.id);
      const input = parseWith(kit, syncInput, onlyFields(kit, request.body ?? {}, ['full', 'pollSeconds']));
      const sync = await start(audience, input);
      if (!sync) throw kit.fail(503, 'Temporal is not configured for this process: the sync cannot be started');
      reply.code(202);
      return { sync };
    },
  );

  scope.delete<{ Params: { id: string } }>(
    '/admin/ad-audiences/:id',
    {
      schema: adminRoute({
        summary: 'Stop syncing an ad audience (the platform audience itself is left as it is)',
        params: idParams,
        response: { 200: json('archived', z.object({ archived: z.literal(true) })) },
      }),
    },
    async (request) => {
      const audience = await visible(kit.authorise(request), request.params.id);
      await archiveAdAudience(deps.globalSql, audience.id);
      return { archived: true as const };
    },
  );
}
