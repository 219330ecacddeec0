import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GlobalDb } from '../../db/connections';
import { originsAllowedByAnySource, Source } from '../../db/sources';
import { normaliseOrigin } from '../../domain/sources';

/**
 * Cross-origin access to the tracking API, per source (docs/security.md, "Browser tracking").
 *
 * Only the tracking scope registers this: admin, privacy and operator routes never answer a
 * preflight nor carry Access-Control-Allow-Origin, so no other page can call them from a browser.
 *
 * - An actual request that carries `Origin` is served only when that origin is on the source's
 *   own `allowedOrigins`; otherwise 403 and nothing is stored. This check is what protects a
 *   source: simple requests (analytics.js posts text/plain, sendBeacon) reach the server without
 *   any preflight, so the browser's CORS alone would not stop them being stored.
 * - A preflight carries no write key yet (RudderStack's SDK puts it in the Authorization header),
 *   so it is answered for an origin that some source allows, for the write methods and the few
 *   headers the SDKs send; the source's own list then decides on the actual request.
 * - No credentials: the SDKs send no cookies, and the answer never says Allow-Credentials.
 */

export const PREFLIGHT_ALLOWED_HEADERS = ['authorization', 'content-type', 'anonymousid'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Origins allowed by any source, cached; an unknown origin refreshes it at most every `missRefreshMs`. */
export class AllowedOriginIndex {
  private origins = new Set<string>();
  private loadedAt = 0;
  private loading?: Promise<void>;

  constructor(
    private readonly db: GlobalDb,
    private readonly ttlMs = 30_000,
    private readonly missRefreshMs = 2_000,
  ) {}

  async allows(origin: string, now = Date.now()): Promise<boolean> {
    const age = now - this.loadedAt;
    if (age > this.ttlMs || (!this.origins.has(origin) && age > this.missRefreshMs)) await this.refresh(now);
    return this.origins.has(origin);
  }

  private refresh(now: number): Promise<void> {
    this.loading ??= originsAllowedByAnySource(this.db)
      .then((origins) => {
        this.origins = new Set(origins);
        this.loadedAt = now;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}

/** The request's Origin, normalised; `null` when the header is there but is no web origin ("null", junk). */
function originOf(request: FastifyRequest): string | null | undefined {
  const header = request.headers.origin;
  if (header === undefined) return undefined;
  return normaliseOrigin(header) ?? null;
}

/**
 * Decides an actual request from a browser: without Origin (a server, curl) nothing to decide;
 * with one, it must be on the source's list. Returns why it is refused, or sets the CORS headers.
 */
export function admitOrigin(request: FastifyRequest, reply: FastifyReply, source: Source): string | undefined {
  const origin = originOf(request);
  if (origin === undefined) return undefined;
  if (origin === null || !source.allowedOrigins.includes(origin)) {
    return `origin ${origin ?? '(opaque)'} may not send with this write key: add it to the source's allowedOrigins (PATCH /admin/sources/:id)`;
  }
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-expose-headers', 'retry-after');
  return undefined;
}

/** Answers preflights on the given tracking paths; every tracking answer varies by Origin. */
export function registerTrackingPreflight(
  scope: FastifyInstance,
  index: AllowedOriginIndex,
  paths: readonly string[],
): void {
  scope.addHook('onSend', async (_request, reply, payload) => {
    reply.header('vary', 'Origin');
    return payload;
  });
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = originOf(request);
    if (!origin || !(await index.allows(origin))) {
      return reply.code(403).send({
        success: false,
        error: "this origin is on no source's allowedOrigins: add it to the source (PATCH /admin/sources/:id)",
      });
    }
    return reply
      .code(204)
      .headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': PREFLIGHT_ALLOWED_HEADERS.join(', '),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
      })
      .send();
  };
  for (const path of paths) scope.options(path, preflight);
}
