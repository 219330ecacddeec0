import type { FastifyInstance, FastifyRequest } from 'fastify';
import { brandOfResource, type BrandedKind } from '../../db/console-access-store';
import { resumeSession } from '../../db/console-users-store';
import type { ConsoleUser } from '../../db/console-users-store';
import { type Capability, capabilitiesOf, CSRF_HEADER, inScope, SESSION_COOKIE } from '../../domain/console-access';
import { sameSecret } from '../../domain/constant-time';
import { readCookie } from '../console-api/cookies';
import { type AdminDeps, AdminError, type AdminPrincipal, rememberPrincipal } from './kit';

/**
 * Console users on the admin API (docs/design/console.md, "Access"). Every /admin route accepts
 * the bearer token as before, or the `meridian_session` cookie; with the cookie, a request that
 * changes something must carry the session's CSRF token in `x-csrf-token`. Then, in this one
 * place for every route: the route's capability (ROUTE_CAPABILITIES) and, for users scoped to
 * brands, the brand of what the route acts on. Region scope stays with each route
 * (kit.requireRegion), the same for tokens and users.
 */

export function principalOfUser(user: ConsoleUser): AdminPrincipal {
  return {
    kind: 'user',
    regions: user.regions,
    brands: user.brands,
    role: user.role,
    capabilities: new Set(capabilitiesOf(user.role)),
    userId: user.id,
    label: `user:${user.id}`,
  };
}

/** The user as the console sees it (never a hash). */
export function userView(user: ConsoleUser) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    brands: user.brands,
    regions: user.regions,
    locale: user.locale,
    timeZone: user.timeZone,
    capabilities: capabilitiesOf(user.role),
  };
}

type Methods = 'read' | 'write' | 'any';

/**
 * The capability each admin route needs, by method and path prefix (whole segments); the first
 * line that matches decides. `signed-in`: any console user. A route no line matches is refused
 * to console users (fail closed), and test/integration/console-access.test.ts fails for it.
 */
export const ROUTE_CAPABILITIES: readonly [Methods, string, Capability | 'signed-in'][] = [
  ['any', '/admin/console-users', 'users.manage'],
  ['read', '/admin/audit', 'audit.read'],
  ['read', '/admin/insights', 'insights.read'],
  ['write', '/admin/insights/refresh', 'insights.read'],
  // Looking someone up reads a profile; the identifier goes in a POST body, not the URL.
  ['write', '/admin/profiles/lookup', 'profiles.read'],
  ['read', '/admin/profiles', 'profiles.read'],
  // Consent, its signals and preference links change what a person agreed to: privacy work.
  ['write', '/admin/profiles', 'privacy.manage'],
  // A preview counts a definition being edited; it changes nothing.
  ['write', '/admin/segments/preview', 'segments.read'],
  ['read', '/admin/segments', 'segments.read'],
  ['write', '/admin/segments', 'segments.write'],
  ['read', '/admin/ad-audiences', 'segments.read'],
  ['write', '/admin/ad-audiences', 'segments.write'],
  ['read', '/admin/tags', 'segments.read'],
  ['write', '/admin/tags', 'tags.write'],
  ['read', '/admin/computed-traits', 'segments.read'],
  ['write', '/admin/computed-traits', 'settings.write'],
  ['read', '/admin/journeys', 'journeys.read'],
  ['write', '/admin/journeys', 'journeys.write'],
  ['read', '/admin/templates', 'journeys.read'],
  ['write', '/admin/templates', 'templates.write'],
  ['read', '/admin/broadcasts', 'journeys.read'],
  ['write', '/admin/broadcasts', 'broadcasts.write'],
  ['read', '/admin/privacy-requests', 'privacy.read'],
  ['write', '/admin/privacy-requests', 'privacy.manage'],
  ['any', '/admin/legal-holds', 'privacy.manage'],
  ['any', '/admin/consent-propagations', 'privacy.manage'],
  ['read', '/admin/held-merges', 'privacy.read'],
  ['write', '/admin/held-merges', 'privacy.manage'],
  ['read', '/admin/data-map', 'privacy.read'],
  ['read', '/admin/data-schema', 'privacy.read'],
  ['write', '/admin/data-schema', 'settings.write'],
  ['read', '/admin/connectors', 'connectors.read'],
  ['write', '/admin/connectors', 'connectors.manage'],
  ['read', '/admin/sources', 'connectors.read'],
  ['write', '/admin/sources', 'connectors.manage'],
  // Every screen filters by brand.
  ['read', '/admin/brands', 'signed-in'],
  ['write', '/admin/brands', 'settings.write'],
  ['read', '/admin/fx-rates', 'insights.read'],
  ['write', '/admin/fx-rates', 'settings.write'],
  ['any', '/admin/identity-rules', 'settings.write'],
  ['read', '/admin/loyalty/programmes', 'journeys.read'],
  ['write', '/admin/loyalty/programmes', 'settings.write'],
  // Members, their points and redemptions: one person's account.
  ['any', '/admin/loyalty', 'profiles.personal'],
];

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** The capability `method url` (fastify's route pattern) needs, or undefined when the table has no line for it. */
export function capabilityFor(method: string, url: string): Capability | 'signed-in' | undefined {
  const kind = isRead(method) ? 'read' : 'write';
  const line = ROUTE_CAPABILITIES.find(
    ([methods, prefix]) => (methods === 'any' || methods === kind) && (url === prefix || url.startsWith(`${prefix}/`)),
  );
  return line?.[2];
}

/** Routes acting on one brand's resource, by the prefix and the path parameter naming it. */
const BRANDED: readonly [string, BrandedKind, string][] = [
  ['/admin/segments/', 'segment', 'id'],
  ['/admin/tags/', 'tag', 'key'],
  ['/admin/journeys/', 'journey', 'id'],
  ['/admin/templates/', 'template', 'id'],
  ['/admin/broadcasts/', 'broadcast', 'id'],
  ['/admin/ad-audiences/', 'adAudience', 'id'],
  ['/admin/computed-traits/', 'computedTrait', 'id'],
];
const BRANDED_COLLECTIONS = BRANDED.map(([prefix]) => prefix.slice(0, -1));

/**
 * A user scoped to brands acts only on those brands' segments, tags, journeys, templates,
 * broadcasts, audiences and traits: the resource the path names (reading a group-wide one is
 * fine; changing it is not), the brand a new one is created for, and the segment it targets.
 */
async function requireBrandScope(deps: AdminDeps, request: FastifyRequest, principal: AdminPrincipal): Promise<void> {
  const brands = principal.brands;
  if (brands === '*') return;
  const url = request.routeOptions.url ?? '';
  const write = !isRead(request.method);
  const refuse = (what: string) =>
    new AdminError(
      403,
      `this console user works for brand${brands.length === 1 ? '' : 's'} ${brands.join(', ')} and may not act on ${what}: ask a group admin`,
    );
  const params = (request.params ?? {}) as Record<string, string>;
  const named = BRANDED.find(([prefix]) => url.startsWith(prefix));
  if (named && params[named[2]] !== undefined && !url.endsWith('/preview')) {
    const brand = await brandOfResource(deps.globalSql, named[1], params[named[2]]!);
    // Unknown: the route answers its own 404. Group-wide (null): readable, not changeable.
    if (brand !== undefined && (brand === null ? write : !brands.includes(brand)))
      throw refuse(brand === null ? `the group's ${named[1]} ${params[named[2]]}` : `brand ${brand}'s ${named[1]}`);
  }
  if (!write || !BRANDED_COLLECTIONS.some((c) => url === c || url.startsWith(`${c}/`))) return;
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) return;
  // Creating: for one of the user's brands (group-wide definitions are the group's to make); an
  // ad audience takes its brand from its segment, checked below.
  const creating = request.method === 'POST' && BRANDED_COLLECTIONS.includes(url) && url !== '/admin/ad-audiences';
  if (creating && typeof body.brandId !== 'string')
    throw refuse('group-wide definitions (send brandId: one of your brands)');
  if (typeof body.brandId === 'string' && !inScope(brands, body.brandId)) throw refuse(`brand ${body.brandId}`);
  if (typeof body.segmentId === 'string') {
    const brand = await brandOfResource(deps.globalSql, 'segment', body.segmentId);
    if (brand !== undefined && brand !== null && !brands.includes(brand)) throw refuse(`brand ${brand}'s segment`);
  }
}

/** Installs the session check and the capability and brand checks on the admin scope. */
export function registerAccessControl(scope: FastifyInstance, deps: AdminDeps): void {
  scope.addHook('preHandler', async (request) => {
    // A bearer token is checked by the route itself (kit.authorise): unchanged for machines.
    if (request.headers.authorization) return;
    const sessionId = readCookie(request, SESSION_COOKIE);
    if (!sessionId) return; // kit.authorise answers 401
    const session = await resumeSession(deps.globalSql, sessionId);
    if (!session) throw new AdminError(401, 'console session expired or unknown: sign in again');
    if (!isRead(request.method) && !sameSecret(String(request.headers[CSRF_HEADER] ?? ''), session.csrfToken))
      throw new AdminError(
        403,
        `${CSRF_HEADER} header missing or wrong: send the csrfToken from GET /console/api/session with every change`,
      );
    const principal = principalOfUser(session.user);
    const url = request.routeOptions.url ?? '';
    const needed = capabilityFor(request.method, url);
    if (needed === undefined)
      throw new AdminError(403, `${request.method} ${url} is not open to console users: use an admin token`);
    if (needed !== 'signed-in' && !principal.capabilities.has(needed))
      throw new AdminError(
        403,
        `a console ${session.user.role} may not do this (it needs ${needed}): ask a group admin for a role that has it`,
      );
    await requireBrandScope(deps, request, principal);
    rememberPrincipal(request, principal);
  });
}
