import type { Client } from '@temporalio/client';
import type { FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import type { z } from 'zod';
import { getBrand } from '../../db/brands-store';
import { type AuditEntry, recordAccess } from '../../db/access-audit-store';
import { sameSecret } from '../../domain/constant-time';
import { describeIssues } from '../../domain/validation';
import type { GlobalDb } from '../../db/connections';
import type { IdentityRulesStore } from '../../db/identity-rules-store';
import type { DataSchemaCache } from '../../db/data-schema-store';
import type { AdminToken } from '../../domain/config';
import { CAPABILITIES, type Capability, type ConsoleRole, inScope } from '../../domain/console-access';
import type { RegionCatalog } from '../../domain/regions';
import type { SigningKeys } from '../../domain/signing-keys';
import type { RegionKey } from '../../db/crypto-shredding';
import type { Mailer } from '../../mail/mailer';

/**
 * What every admin route file shares: its dependencies, the bearer-token check, and the error
 * answered as `{ error }` with a status. Route files import this, never each other's registrars.
 */

export interface AdminDeps {
  tokens: AdminToken[];
  regions: RegionCatalog;
  globalDb: GlobalDb;
  globalSql: Sql;
  regional: ReadonlyMap<string, { sql: Sql; key: RegionKey }>;
  hmacKey: Buffer;
  rules: IdentityRulesStore;
  /** The data-schema rules this process classifies with: a change saved here is in force here at once. */
  dataSchema?: DataSchemaCache;
  /** The currency HQ reports in (insights); default EUR. */
  reportingCurrency?: string;
  /** For connector schedules and syncs; without it those routes answer 503. */
  temporal?: Client;
  /** Set when the privacy portal is on: where its links point, and the keys that sign them. */
  privacy?: { publicUrl: string; signingKeys: SigningKeys };
  /** The marketing email sender (MERIDIAN_SMTP_URL): a template's test send to the signed-in user; absent, that answers 503. */
  testMailer?: Mailer;
  /** Told when a source's kind or origins change, so this process's key cache drops it at once. */
  onSourceChanged?: (sourceId: string) => void;
}

export class AdminError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Who is calling the admin API: an admin token (machines: every capability, within its regions)
 * or a console user signed in with the `meridian_session` cookie (their role's capabilities,
 * within their brands × regions). Routes read `regions` as they always did; the capability and
 * brand checks are made once for every route, in ./access.ts.
 */
export interface AdminPrincipal {
  kind: 'token' | 'user';
  /** Region names, or '*' for all. */
  regions: string[] | '*';
  brands: string[] | '*';
  /** The console role; `admin_token` for a token. */
  role: ConsoleRole | 'admin_token';
  capabilities: ReadonlySet<Capability>;
  /** The console user's id; absent for a token. */
  userId?: string;
  /** Who, in version histories and the audit: `user:<id>`, or the token's scope (`admin:eu+us`), never the token. */
  label: string;
}

const principals = new WeakMap<FastifyRequest, AdminPrincipal>();

/** Who the request was authorised as, once the route has authorised it (undefined before, or when refused). */
export function principalOf(request: FastifyRequest): AdminPrincipal | undefined {
  return principals.get(request);
}

/** Set by the session check (./access.ts) before the route runs. */
export function rememberPrincipal(request: FastifyRequest, principal: AdminPrincipal): void {
  principals.set(request, principal);
}

export function tokenPrincipal(token: AdminToken): AdminPrincipal {
  return {
    kind: 'token',
    regions: token.regions,
    brands: '*',
    role: 'admin_token',
    capabilities: new Set(CAPABILITIES),
    label: token.regions === '*' ? 'admin:*' : `admin:${token.regions.join('+')}`,
  };
}

export function authorise(deps: AdminDeps, request: FastifyRequest): AdminPrincipal {
  const known = principals.get(request);
  if (known) return known;
  if (deps.tokens.length === 0)
    throw new AdminError(
      401,
      'the admin API is disabled for tokens: set MERIDIAN_ADMIN_TOKENS, or sign in to the console (POST /console/api/session)',
    );
  const header = request.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  const match = deps.tokens.find((t) => sameSecret(given, t.token));
  if (!match)
    throw new AdminError(
      401,
      'admin token missing or unknown: send "Authorization: Bearer <token>" with a token from MERIDIAN_ADMIN_TOKENS',
    );
  const principal = tokenPrincipal(match);
  principals.set(request, principal);
  return principal;
}

/**
 * Whether a list shows the principal an item of this brand: the group's (null) to everyone, a
 * brand's to users of that brand (the lists' side of the item checks in ./access.ts).
 */
export const seesBrand = (principal: AdminPrincipal, brandId: string | null) =>
  brandId === null || inScope(principal.brands, brandId);

export const mayRead = (token: AdminPrincipal, region: string) =>
  token.regions === '*' || token.regions.includes(region);

const covers = (token: AdminPrincipal) => (token.regions === '*' ? 'all regions' : token.regions.join(', '));

/**
 * The scope rule of the admin API, one place for every route: a token scoped to regions acts
 * only on what lives in them (sources, connectors, people, consent, privacy requests and their
 * tasks, legal holds); workspace-wide configuration (identity rules, supplementary FX rates)
 * needs a token for all regions. test/integration/admin-scope.test.ts calls every route with an
 * out-of-scope token.
 */
export function outOfScope(token: AdminPrincipal, region: string, action: string): AdminError {
  return new AdminError(
    403,
    `this admin token may not ${action} in region ${region} (it covers ${covers(token)}): use a token for ${region} from MERIDIAN_ADMIN_TOKENS`,
  );
}

export function requireRegion(token: AdminPrincipal, region: string, action: string): void {
  if (!mayRead(token, region)) throw outOfScope(token, region, action);
}

export function requireAllRegions(token: AdminPrincipal, what: string): void {
  if (token.regions !== '*') {
    throw new AdminError(
      403,
      `this admin token covers ${covers(token)}, but ${what}: use an admin token for all regions ("token:*" in MERIDIAN_ADMIN_TOKENS)`,
    );
  }
}

/** What registerAdminRoutes lends the route files: its authorisation and its error type. */
export interface AdminKit {
  authorise(request: FastifyRequest): AdminPrincipal;
  mayRead(token: AdminPrincipal, region: string): boolean;
  /** 403 unless the token covers the region; `action` completes "may not … in region X". */
  requireRegion(token: AdminPrincipal, region: string, action: string): void;
  /** 403 unless the token covers every region (workspace-wide configuration); `what` says why it is workspace-wide. */
  requireAllRegions(token: AdminPrincipal, what: string): void;
  /** An error answered with `statusCode` and `{ error: message }`. */
  fail(statusCode: number, message: string): Error;
  /** Records an access to personal data in each of `regions`' audit (who and why from the request). */
  audit(
    request: FastifyRequest,
    principal: AdminPrincipal,
    regions: readonly string[],
    entry: AuditDetails,
  ): Promise<void>;
}

export type AuditDetails = Pick<AuditEntry, 'action' | 'customerId' | 'fields'>;

/** Why, when the user said: the x-access-reason header, or `reason` in a JSON body. */
function accessReason(request: FastifyRequest): string | null {
  const header = request.headers['x-access-reason'];
  const body = request.body as { reason?: unknown } | undefined;
  const reason = typeof header === 'string' ? header : typeof body?.reason === 'string' ? body.reason : undefined;
  return reason ? reason.slice(0, 500) : null;
}

/**
 * One audit row in each region named (docs/design/console.md, "Audit"): the principal (a user's
 * id or a token's scope, never the token), the route's pattern (no IDs or values), the reason.
 */
export async function auditAccess(
  deps: AdminDeps,
  request: FastifyRequest,
  principal: AdminPrincipal,
  regions: readonly string[],
  entry: AuditDetails,
): Promise<void> {
  const route = `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
  const reason = accessReason(request);
  await Promise.all(
    regions.map((region) => {
      const pool = deps.regional.get(region);
      if (!pool) return undefined;
      return recordAccess(pool.sql, [{ ...entry, actor: principal.label, actorRole: principal.role, route, reason }]);
    }),
  );
}

export function adminKit(deps: AdminDeps): AdminKit {
  return {
    authorise: (request: FastifyRequest) => authorise(deps, request),
    mayRead,
    requireRegion,
    requireAllRegions,
    fail: (statusCode: number, message: string) => new AdminError(statusCode, message),
    audit: (request, principal, regions, entry) => auditAccess(deps, request, principal, regions, entry),
  };
}

/** Parses with zod; the first problem becomes a 400 naming the field (under `prefix`). */
export function parseWith<T>(kit: AdminKit, schema: z.ZodType<T>, value: unknown, prefix?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw kit.fail(
      400,
      describeIssues(parsed.error, prefix ?? 'body', { first: true, prefixed: prefix !== undefined }),
    );
  }
  return parsed.data;
}

/** Refuses fields the route does not take, so a typo ("stream" for "streams") is not silently ignored. */
export function onlyFields(kit: AdminKit, body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw kit.fail(400, 'body: send a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw kit.fail(400, `${unknown[0]}: not a field of this request; it takes ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

/** 400 naming the field when `brandId` is given and no such brand exists. */
export async function requireBrand(
  globalSql: Sql,
  brandId: string | null | undefined,
  field = 'brandId',
): Promise<void> {
  if (brandId === undefined || brandId === null) return;
  if (!(await getBrand(globalSql, brandId)))
    throw new AdminError(
      400,
      `${field}: no brand "${brandId}": create it with POST /admin/brands, or list them with GET /admin/brands`,
    );
}
