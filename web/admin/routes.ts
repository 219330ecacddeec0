import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { blindIndex } from '../../db/crypto-shredding';
import {
  createSource,
  getSource,
  listSources,
  rotateWriteKey,
  KEY_ROTATION_GRACE_HOURS,
  Source,
  updateSource,
} from '../../db/sources';
import { extractIdentifiers } from '../../domain/identifiers';
import { identityRulesSchema } from '../../domain/identity-rules';
import { normaliseOrigin, SOURCE_KINDS } from '../../domain/sources';
import { brandIdSchema } from '../../domain/brands';
import { registerBrandRoutes } from './brands';
import { registerConnectorSyncRoutes } from './connector-syncs';
import { registerConnectorRoutes } from './connectors';
import { registerConsentRoutes } from './consent';
import { registerPrivacyAdminRoutes } from './privacy';
import { readRegionalProfile, RegionalProfile } from '../../db/profile-view-store';
import { registerFxRateRoutes } from './fx-rates';
import { registerHeldMergeRoutes } from './held-merges';
import { registerDataSchemaRoutes } from './data-schema';
import { registerComputedTraitRoutes } from './computed-traits';
import { registerSegmentSuggestionRoutes } from './segment-suggestions';
import { registerSegmentRoutes } from './segments';
import { registerAdAudienceRoutes } from './ad-audiences';
import { registerJourneyRoutes } from './journeys';
import { registerTagRoutes } from './tags';
import { registerLoyaltyRoutes } from './loyalty';
import { registerTemplateRoutes } from './templates';
import { registerBroadcastRoutes } from './broadcasts';
import { registerWebhookAdminRoutes } from './webhooks';
import { registerAccessControl } from './access';
import { registerConsoleUserRoutes } from './console-users';
import { registerAuditRoutes, registerSettingsAudit } from './audit';
import { registerInsightRoutes } from './insights';
import { loggableError } from '../error-log';
import { adminRoute, json } from '../openapi';
import {
  AdminDeps,
  adminKit,
  AdminError,
  auditAccess,
  type AdminPrincipal,
  authorise,
  mayRead,
  outOfScope,
  requireAllRegions,
  requireBrand,
  requireRegion,
} from './kit';
import { describeIssues } from '../../domain/validation';
import { customerOfIdentifier, customerPlacement } from '../../db/person-store';

/**
 * Admin API (bearer token from MERIDIAN_ADMIN_TOKENS): sources and write keys, identity rules,
 * profiles; connectors (./connectors), their schedules and syncs (./connector-syncs), supplementary FX rates
 * (./fx-rates), consent (./consent), privacy requests (./privacy) and merges held for review
 * (./held-merges), data classification and the data map (./data-schema), each sharing ./kit.
 * A token lists the regions whose personal data it may read and whose connectors it may manage.
 */

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AdminError(400, describeIssues(parsed.error, 'body', { first: true }));
  return parsed.data;
}

// The answers web/openapi.ts documents: db/sources.ts's Source as JSON.
const sourceView = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  kind: z.enum(SOURCE_KINDS),
  allowedOrigins: z.array(z.string()).describe('web origins whose pages may call the tracking API with this key'),
  brandId: z.string().describe('the brand whose data the source brings in (GET /admin/brands)'),
  writeKeyHint: z.string().describe('the last 4 characters of the write key'),
  createdAt: z.string().meta({ format: 'date-time' }),
  rotatedAt: z.string().meta({ format: 'date-time' }).nullable(),
});
// Fails to compile when Source gains or changes a field the documented answer does not have.
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
const sourceViewMatches: [AsJson<Source>, z.output<typeof sourceView>] extends [
  z.output<typeof sourceView>,
  AsJson<Source>,
]
  ? true
  : never = true;
void sourceViewMatches;
const sourceCreated = z.object({
  source: sourceView,
  writeKey: z.string().describe("shown only now: give it to the source's SDK"),
});

/**
 * Each route is documented by its `schema: adminRoute({ summary, body?, querystring?, params?, response? })`
 * (web/openapi.ts), with the zod schemas the handler parses with; test/unit/openapi.test.ts fails
 * for a route without one.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(async (scope) => {
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      if (error instanceof AdminError) return reply.code(error.statusCode).send({ error: error.message });
      if (error.statusCode && error.statusCode < 500)
        return reply.code(error.statusCode).send({ error: error.message });
      // The class and code only: a message can quote a value (a database error names what it refused).
      request.log.error({ err: loggableError(error) }, 'admin request failed');
      return reply.code(500).send({ error: 'internal error: see the server log' });
    });
    // Console sessions, CSRF, and each route's capability and brand scope (./access.ts).
    registerAccessControl(scope, deps);
    // Every change made here, in the audit of each region the caller acts in (./audit.ts).
    registerSettingsAudit(scope, deps);

    const sourceName = z.string().trim().min(1).max(200);
    // A kind must be chosen: it decides how far what the source says about people is trusted.
    const sourceKind = z.enum(SOURCE_KINDS, {
      error: `kind must be "browser" (the write key ships in web pages or apps, so it is public) or "server" (the key stays secret on your servers)`,
    });
    const allowedOrigins = z
      .array(
        z.string().transform((value, ctx) => {
          const origin = normaliseOrigin(value);
          if (!origin)
            ctx.addIssue({
              code: 'custom',
              message: 'an origin is scheme://host[:port], e.g. https://shop.example.com, with no path',
            });
          return origin ?? value;
        }),
      )
      .max(50);
    const sourceInput = z.object({
      name: sourceName,
      region: z.string().refine((r) => deps.regions.dataRegions.some((d) => d.name === r), {
        error: `region must be one of ${deps.regions.dataRegions.map((r) => r.name).join(', ')}`,
      }),
      kind: sourceKind,
      allowedOrigins: allowedOrigins.optional(),
      brandId: brandIdSchema.optional(),
    });
    const sourceChange = z
      .object({
        name: sourceName.optional(),
        kind: sourceKind.optional(),
        allowedOrigins: allowedOrigins.optional(),
        brandId: brandIdSchema.optional(),
      })
      .strict()
      .refine((c) => Object.keys(c).length > 0, {
        error: 'nothing to change: send name, kind, allowedOrigins or brandId',
      });

    scope.post(
      '/admin/sources',
      {
        schema: adminRoute({
          summary: 'Create a source and its write key (shown once)',
          body: sourceInput,
          response: { 201: json('the source, and its write key', sourceCreated) },
        }),
      },
      async (request, reply) => {
        const token = authorise(deps, request);
        const input = parse(sourceInput, request.body);
        requireRegion(token, input.region, 'create sources');
        await requireBrand(deps.globalSql, input.brandId);
        return reply.code(201).send(await createSource(deps.globalDb, input));
      },
    );

    scope.patch<{ Params: { id: string } }>(
      '/admin/sources/:id',
      {
        schema: adminRoute({
          summary: "Change a source's name, kind or allowed origins",
          body: sourceChange,
          response: { 200: z.object({ source: sourceView }) },
        }),
      },
      async (request) => {
        const token = authorise(deps, request);
        const change = parse(sourceChange, request.body);
        const source = await getSource(deps.globalDb, request.params.id);
        if (!source) throw new AdminError(404, `no source ${request.params.id}: list them with GET /admin/sources`);
        requireRegion(token, source.region, 'change sources');
        await requireBrand(deps.globalSql, change.brandId);
        const updated = await updateSource(deps.globalDb, source.id, change);
        deps.onSourceChanged?.(source.id);
        return { source: updated };
      },
    );

    // The sources of the token's regions only.
    scope.get(
      '/admin/sources',
      {
        schema: adminRoute({
          summary: "List the sources of the token's regions",
          response: { 200: z.object({ sources: z.array(sourceView) }) },
        }),
      },
      async (request) => {
        const token = authorise(deps, request);
        return { sources: await listSources(deps.globalDb, token.regions === '*' ? undefined : token.regions) };
      },
    );

    scope.post<{ Params: { id: string } }>(
      '/admin/sources/:id/rotate',
      {
        schema: adminRoute({
          summary: `Rotate a source's write key (the old one keeps working ${KEY_ROTATION_GRACE_HOURS} h)`,
          response: { 200: json('the source, and its new write key', sourceCreated) },
        }),
      },
      async (request) => {
        const token = authorise(deps, request);
        const source = await getSource(deps.globalDb, request.params.id);
        if (!source) throw new AdminError(404, `no source ${request.params.id}: list them with GET /admin/sources`);
        // The answer carries the new write key: only for the source's own region.
        requireRegion(token, source.region, 'rotate write keys');
        return rotateWriteKey(deps.globalDb, source.id);
      },
    );

    // Identity rules decide how every region's people are merged: workspace-wide, for tokens of all regions.
    const rulesAreGlobal = 'identity rules decide how people are merged in every region';

    scope.get(
      '/admin/identity-rules',
      {
        schema: adminRoute({
          summary: 'The identity rules (token for all regions)',
          response: { 200: identityRulesSchema },
        }),
      },
      async (request) => {
        requireAllRegions(authorise(deps, request), rulesAreGlobal);
        return deps.rules.rules;
      },
    );

    scope.put(
      '/admin/identity-rules',
      {
        schema: adminRoute({
          summary: 'Replace the identity rules (token for all regions)',
          body: identityRulesSchema,
          response: { 200: identityRulesSchema },
        }),
      },
      async (request) => {
        requireAllRegions(authorise(deps, request), rulesAreGlobal);
        const rules = parse(identityRulesSchema, request.body);
        await deps.rules.save(rules);
        return rules;
      },
    );

    const unifiedView = async (
      request: FastifyRequest,
      action: 'profile.view' | 'profile.lookup',
      token: AdminPrincipal,
      customerId: string,
      refuse: (homeRegion: string) => AdminError,
    ) => {
      const customer = await customerPlacement(deps.globalSql, customerId);
      if (!customer) throw new AdminError(404, `no customer ${customerId}`);
      // Other regions' parts are shown as counts, beside a part the token may read; a person held
      // only in regions the token does not cover is not its business at all.
      if (token.regions !== '*' && !customer.regions.some((region) => mayRead(token, region)))
        throw refuse(customer.homeRegion);
      const parts: RegionalProfile[] = [];
      for (const region of customer.regions) {
        const pool = deps.regional.get(region);
        if (!pool) continue;
        // Personal values: in the token's or user's regions, and for a user whose role may see them.
        const personal = mayRead(token, region) && token.capabilities.has('profiles.personal');
        const part = await readRegionalProfile(pool.sql, region, pool.key, customerId, personal);
        if (part) parts.push(part);
      }
      // Each region whose personal values are in the answer records the view, in its own audit.
      await Promise.all(
        parts
          .filter((part) => part.personalData === 'shown')
          .map((part) =>
            auditAccess(deps, request, token, [part.region], {
              action,
              customerId,
              fields: shownFields(part),
            }),
          ),
      );
      return { customerId, homeRegion: customer.homeRegion, mergedInto: customer.mergedInto, regions: parts };
    };

    const customerId = z.uuid('customer IDs are UUIDs');
    const profileAnswer = json(
      "the person: each region's part (identities, traits, recent events) where the token may read it, counts elsewhere",
      z.looseObject({
        customerId: z.string(),
        homeRegion: z.string(),
        mergedInto: z.string().nullable(),
        regions: z.array(z.looseObject({ region: z.string() })),
      }),
    );
    scope.get<{ Params: { customerId: string } }>(
      '/admin/profiles/:customerId',
      {
        schema: adminRoute({
          summary: "A person's unified profile: each region's part the token may read, counts of the others",
          params: z.object({ customerId }),
          response: { 200: profileAnswer },
        }),
      },
      async (request) => {
        const token = authorise(deps, request);
        const id = parse(customerId, request.params.customerId);
        return unifiedView(request, 'profile.view', token, id, (home) => outOfScope(token, home, 'read people'));
      },
    );

    // POST, so the identifier (personal data) never appears in a URL or an access log.
    const lookupInput = z.object({
      type: z.string().min(1),
      value: z.string().min(1),
      country: z.string().length(2).optional(),
    });
    scope.post(
      '/admin/profiles/lookup',
      {
        schema: adminRoute({
          summary: "Find a person's profile by an identifier (POST keeps it out of URLs and logs)",
          body: lookupInput,
          response: { 200: profileAnswer },
        }),
      },
      async (request) => {
        const token = authorise(deps, request);
        const { type, value, country } = parse(lookupInput, request.body);
        const asCall = {
          userId: type === 'user_id' ? value : undefined,
          anonymousId: type === 'anonymous_id' ? value : undefined,
          traits: type === 'email' || type === 'phone' ? { [type]: value } : {},
          context: ['user_id', 'anonymous_id', 'email', 'phone'].includes(type)
            ? {}
            : { externalIds: [{ id: value, type }] },
        };
        const { identifiers, rejected } = extractIdentifiers(
          asCall,
          country ? { country: country.toUpperCase() } : {},
          {
            ...deps.rules.rules.email,
            blocked: deps.rules.rules.blockedValues,
          },
        );
        const identifier = identifiers.find((i) => i.type === type);
        if (!identifier)
          throw new AdminError(400, rejected[0]?.reason ?? `"${type}" is not an identifier type Meridian knows`);
        const found = await customerOfIdentifier(
          deps.globalSql,
          identifier.type,
          blindIndex(deps.hmacKey, identifier.type, identifier.value),
        );
        const notFound = () =>
          new AdminError(
            404,
            `no profile has that ${type}${token.regions === '*' ? '' : ' in the regions this token covers'}`,
          );
        if (!found) throw notFound();
        // Found only in other regions: answered as not found, so a scoped token cannot test who is a customer elsewhere.
        return unifiedView(request, 'profile.lookup', token, found, notFound);
      },
    );

    const kit = adminKit(deps);
    registerConnectorRoutes(scope, deps, kit);
    registerConnectorSyncRoutes(scope, deps, kit);
    registerFxRateRoutes(scope, deps, kit);
    registerConsentRoutes(scope, deps, kit);
    registerPrivacyAdminRoutes(scope, deps, kit);
    registerHeldMergeRoutes(scope, deps, kit);
    registerDataSchemaRoutes(scope, deps, kit);
    registerComputedTraitRoutes(scope, deps, kit);
    registerSegmentSuggestionRoutes(scope, deps, kit);
    registerSegmentRoutes(scope, deps, kit);
    registerAdAudienceRoutes(scope, deps, kit);
    registerJourneyRoutes(scope, deps, kit);
    registerBrandRoutes(scope, deps, kit);
    registerTagRoutes(scope, deps, kit);
    registerLoyaltyRoutes(scope, deps, kit);
    registerTemplateRoutes(scope, deps, kit);
    registerBroadcastRoutes(scope, deps, kit);
    registerWebhookAdminRoutes(scope, deps, kit);
    registerConsoleUserRoutes(scope, deps, kit);
    registerAuditRoutes(scope, deps, kit);
    registerInsightRoutes(scope, deps, kit);
  });
}

/** What a regional part showed, by name: `identity.email`, `trait.firstName`, `events` — never the values. */
function shownFields(part: RegionalProfile): string[] {
  const fields = new Set<string>();
  for (const identity of part.identities ?? []) fields.add(`identity.${identity.type}`);
  for (const name of Object.keys(part.traits ?? {})) fields.add(`trait.${name}`);
  if ((part.recentEvents ?? []).length > 0) fields.add('events');
  return [...fields].sort();
}
