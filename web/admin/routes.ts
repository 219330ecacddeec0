import { timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import { z } from 'zod';
import type { GlobalDb } from '../../db/connections';
import { blindIndex } from '../../db/crypto-shredding';
import type { IdentityRulesStore } from '../../db/identity-rules-store';
import { createSource, listSources, rotateWriteKey } from '../../db/sources';
import type { AdminToken } from '../../domain/config';
import { extractIdentifiers } from '../../domain/identifiers';
import { identityRulesSchema } from '../../domain/identity-rules';
import type { RegionCatalog } from '../../domain/regions';
import { registerConnectorRoutes } from './connectors';
import { registerConsentRoutes } from './consent';
import { registerPrivacyAdminRoutes } from './privacy';
import { readRegionalProfile, RegionalProfile } from './profile-view';

/**
 * Admin API (bearer token from MERIDIAN_ADMIN_TOKENS): sources and write keys, identity rules,
 * profiles, and connectors with their schedules, syncs and supplementary FX rates (./connectors).
 * A token lists the regions whose personal data it may read and whose connectors it may manage.
 */

export interface AdminDeps {
  tokens: AdminToken[];
  regions: RegionCatalog;
  globalDb: GlobalDb;
  globalSql: Sql;
  regional: ReadonlyMap<string, { sql: Sql; key: Buffer }>;
  hmacKey: Buffer;
  rules: IdentityRulesStore;
  /** For connector schedules and syncs; without it those routes answer 503. */
  temporal?: Client;
  /** Set when the privacy portal is on: where its links point. */
  privacy?: { publicUrl: string };
}

class AdminError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

function authorise(deps: AdminDeps, request: FastifyRequest): AdminToken {
  if (deps.tokens.length === 0) throw new AdminError(401, 'the admin API is disabled: set MERIDIAN_ADMIN_TOKENS');
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const match = deps.tokens.find((t) => {
    const expected = Buffer.from(t.token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!match) throw new AdminError(401, 'admin token missing or unknown: send "Authorization: Bearer <token>" with a token from MERIDIAN_ADMIN_TOKENS');
  return match;
}

const mayRead = (token: AdminToken, region: string) => token.regions === '*' || token.regions.includes(region);

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AdminError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(async (scope) => {
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      if (error instanceof AdminError) return reply.code(error.statusCode).send({ error: error.message });
      if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: error.message });
      request.log.error({ err: { message: error.message } }, 'admin request failed');
      if (process.env.DEBUG) console.error(error);
      return reply.code(500).send({ error: 'internal error: see the server log' });
    });

    const sourceInput = z.object({
      name: z.string().trim().min(1).max(200),
      region: z.string().refine((r) => deps.regions.dataRegions.some((d) => d.name === r), {
        error: `region must be one of ${deps.regions.dataRegions.map((r) => r.name).join(', ')}`,
      }),
    });

    scope.post('/admin/sources', async (request, reply) => {
      authorise(deps, request);
      const input = parse(sourceInput, request.body);
      return reply.code(201).send(await createSource(deps.globalDb, input));
    });

    scope.get('/admin/sources', async (request) => {
      authorise(deps, request);
      return { sources: await listSources(deps.globalDb) };
    });

    scope.post<{ Params: { id: string } }>('/admin/sources/:id/rotate', async (request) => {
      authorise(deps, request);
      const rotated = await rotateWriteKey(deps.globalDb, request.params.id);
      if (!rotated) throw new AdminError(404, `no source ${request.params.id}: list them with GET /admin/sources`);
      return rotated;
    });

    scope.get('/admin/identity-rules', async (request) => {
      authorise(deps, request);
      return deps.rules.rules;
    });

    scope.put('/admin/identity-rules', async (request) => {
      authorise(deps, request);
      const rules = parse(identityRulesSchema, request.body);
      await deps.rules.save(rules);
      return rules;
    });

    const unifiedView = async (token: AdminToken, customerId: string) => {
      const [customer] = await deps.globalSql<{ customer_id: string; home_region: string; regions: string[]; merged_into: string | null }[]>`
        select customer_id, home_region, regions, merged_into from customers where customer_id = ${customerId}`;
      if (!customer) throw new AdminError(404, `no customer ${customerId}`);
      const parts: RegionalProfile[] = [];
      for (const region of customer.regions) {
        const pool = deps.regional.get(region);
        if (!pool) continue;
        const part = await readRegionalProfile(pool.sql, region, pool.key, customerId, mayRead(token, region));
        if (part) parts.push(part);
      }
      return { customerId, homeRegion: customer.home_region, mergedInto: customer.merged_into, regions: parts };
    };

    scope.get<{ Params: { customerId: string } }>('/admin/profiles/:customerId', async (request) => {
      const token = authorise(deps, request);
      const id = parse(z.uuid('customer IDs are UUIDs'), request.params.customerId);
      return unifiedView(token, id);
    });

    // POST, so the identifier (personal data) never appears in a URL or an access log.
    const lookupInput = z.object({ type: z.string().min(1), value: z.string().min(1), country: z.string().length(2).optional() });
    scope.post('/admin/profiles/lookup', async (request) => {
      const token = authorise(deps, request);
      const { type, value, country } = parse(lookupInput, request.body);
      const asCall = {
        userId: type === 'user_id' ? value : undefined,
        anonymousId: type === 'anonymous_id' ? value : undefined,
        traits: type === 'email' || type === 'phone' ? { [type]: value } : {},
        context: ['user_id', 'anonymous_id', 'email', 'phone'].includes(type) ? {} : { externalIds: [{ id: value, type }] },
      };
      const { identifiers, rejected } = extractIdentifiers(asCall, country ? { country: country.toUpperCase() } : {}, {
        ...deps.rules.rules.email,
        blocked: deps.rules.rules.blockedValues,
      });
      const identifier = identifiers.find((i) => i.type === type);
      if (!identifier) throw new AdminError(400, rejected[0]?.reason ?? `"${type}" is not an identifier type Meridian knows`);
      const [row] = await deps.globalSql<{ customer_id: string }[]>`
        select coalesce(c.merged_into, i.customer_id) as customer_id from identity_index i
        left join customers c on c.customer_id = i.customer_id
        where i.type = ${identifier.type} and i.blind_index = ${blindIndex(deps.hmacKey, identifier.type, identifier.value)}`;
      if (!row) throw new AdminError(404, `no profile has that ${type}`);
      return unifiedView(token, row.customer_id);
    });

    const kit = {
      authorise: (request: FastifyRequest) => authorise(deps, request),
      mayRead,
      fail: (statusCode: number, message: string) => new AdminError(statusCode, message),
    };
    registerConnectorRoutes(scope, deps, kit);
    registerConsentRoutes(scope, deps, kit);
    registerPrivacyAdminRoutes(scope, deps, kit);
  });
}
