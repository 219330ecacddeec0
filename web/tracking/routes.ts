import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Source, SourceCache } from '../../db/sources';
import { bodyTooLarge, CALL_TYPES, CallType, LIMITS, parseBatch, parseSingle, storedBatchTooLarge, TrackingCall, writeKeyFromBody } from '../../domain/tracking';
import { clientNetwork, SourceRateLimiter } from './rate-limit';
import { isDataError, RegionWriter } from '../../db/region-writer';
import { recordTrackedConsent, TrackingConsentDeps } from './consent-signals';
import { loggableError } from '../error-log';

/**
 * Segment-compatible HTTP Tracking API: POST /v1/identify|track|page|screen|group|alias and
 * /v1/batch (and /v1/import). A 200 means the events are committed in the source's region.
 */

export interface TrackingDeps {
  sources: SourceCache;
  writers: ReadonlyMap<string, RegionWriter>;
  /** Events (and stored bytes) per source. */
  rateLimiter: SourceRateLimiter;
  /**
   * Write-key lookups that must ask the database, per client network: unknown keys are refused
   * here before they cost a global-database query. Default KEY_LOOKUPS_PER_CLIENT per second.
   */
  keyLookupLimiter?: SourceRateLimiter;
  /** Calls waiting in a region's writer beyond which requests are shed with 429. */
  maxBacklog?: number;
  /** Consent carried by calls (Segment categoryPreferences, Sec-GPC) is recorded when this is set. */
  consent?: TrackingConsentDeps;
}

const DEFAULT_MAX_BACKLOG = 100_000;
/**
 * Database lookups of write keys per second per client network (twice that in a burst). A known
 * key is cached for 30 s, so a real sender needs one lookup per key and half-minute; only a
 * client guessing keys comes near this.
 */
export const KEY_LOOKUPS_PER_CLIENT = 10;

export class TrackingError extends Error {
  constructor(readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function writeKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  // The scheme name is case-insensitive (RFC 9110).
  if (header && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return user;
  }
  return writeKeyFromBody(request.body);
}

async function authenticate(deps: TrackingDeps, request: FastifyRequest): Promise<Source> {
  const key = writeKeyOf(request);
  if (!key) {
    throw new TrackingError(401, 'missing write key: send it as the HTTP Basic user name (empty password) or as "writeKey" in the body');
  }
  const unknown = () => new TrackingError(401, "writeKey unknown: check the source's key in the console");
  // Malformed keys and keys already known (or known to be unknown) cost no database query.
  const cached = deps.sources.peek(key);
  if (cached) {
    if (!cached.source) throw unknown();
    return cached.source;
  }
  const allowed = deps.keyLookupLimiter!.take(clientNetwork(request.ip), 1);
  if (!allowed.ok) {
    throw new TrackingError(429, `too many write-key lookups from this address (unknown keys?): retry after ${allowed.retryAfterSeconds}s`, {
      'retry-after': String(allowed.retryAfterSeconds),
    });
  }
  const source = await deps.sources.lookup(key);
  if (!source) throw unknown();
  return source;
}

function admit(deps: TrackingDeps, source: Source, count: number, bytes: number): RegionWriter {
  const writer = deps.writers.get(source.region);
  if (!writer) throw new TrackingError(503, `region "${source.region}" of this source is not served by this server: check MERIDIAN_REGIONS_FILE`);
  if (writer.backlog > (deps.maxBacklog ?? DEFAULT_MAX_BACKLOG)) {
    throw new TrackingError(429, `region ${source.region} is catching up: retry shortly`, { 'retry-after': '1' });
  }
  const allowed = deps.rateLimiter.take(source.id, count, bytes);
  if (!allowed.ok) {
    const what = allowed.reason === 'bytes' ? 'too much data' : 'too many events';
    if (allowed.tooLarge) throw new TrackingError(413, `${what} in one request for this source's rate limit: send smaller batches`);
    throw new TrackingError(429, `${what} from this source: retry after ${allowed.retryAfterSeconds}s`, {
      'retry-after': String(allowed.retryAfterSeconds),
    });
  }
  return writer;
}

async function store(deps: TrackingDeps, request: FastifyRequest, writer: RegionWriter, source: Source, calls: TrackingCall[]) {
  const outcomes = await writer.write(calls.map((call) => ({ sourceId: source.id, call })));
  if (deps.consent) {
    const gpc = request.headers['sec-gpc'];
    await recordTrackedConsent(deps.consent, source, calls, outcomes, typeof gpc === 'string' ? gpc.trim() : undefined);
  }
  return outcomes;
}

function sendError(reply: FastifyReply, error: TrackingError) {
  return reply.code(error.statusCode).headers(error.headers).send({ success: false, error: error.message });
}

export function registerTrackingRoutes(app: FastifyInstance, given: TrackingDeps): void {
  const deps: TrackingDeps = { ...given, keyLookupLimiter: given.keyLookupLimiter ?? new SourceRateLimiter(KEY_LOOKUPS_PER_CLIENT) };
  // Segment's limits, enforced before parsing so an oversize body costs nothing.
  app.register(async (scope) => {
    // navigator.sendBeacon and some SDKs send JSON as text/plain; Segment accepts it, so do we.
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, scope.getDefaultJsonParser('remove', 'remove'));
    scope.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      if (error instanceof TrackingError) return sendError(reply, error);
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const kind = request.url.startsWith('/v1/batch') || request.url.startsWith('/v1/import') ? 'batch' : 'event';
        const bytes = Number(request.headers['content-length'] ?? 0);
        return reply.code(413).send({ success: false, error: bodyTooLarge(bytes, kind) ?? `body over the ${kind} limit` });
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return reply.code(415).send({ success: false, error: 'send the body as JSON with Content-Type: application/json' });
      }
      if (error.statusCode && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ success: false, error: `request body is not valid JSON: ${error.message}` });
      }
      if (isDataError(error)) {
        // Only the SQLSTATE: the database's message may quote the value, which may be personal.
        return reply.code(400).send({
          success: false,
          error: `the database refused a value in this request (SQLSTATE ${error.code}): check field lengths and formats`,
        });
      }
      request.log.error({ err: loggableError(error) }, 'tracking request failed');
      return reply.code(500).send({ success: false, error: 'internal error: the events were not stored; retry' });
    });

    for (const type of CALL_TYPES) {
      scope.post(`/v1/${type}`, { bodyLimit: LIMITS.eventBytes }, async (request, reply) => {
        const source = await authenticate(deps, request);
        const parsed = parseSingle(type as CallType, request.body, new Date(), randomUUID);
        if (!parsed.ok) return reply.code(400).send({ success: false, error: parsed.reason });
        const writer = admit(deps, source, 1, parsed.bytes);
        await store(deps, request, writer, source, [parsed.call]);
        return { success: true };
      });
    }

    for (const path of ['/v1/batch', '/v1/import']) {
      scope.post(path, { bodyLimit: LIMITS.batchBytes }, async (request, reply) => {
        const source = await authenticate(deps, request);
        const parsed = parseBatch(request.body, new Date(), randomUUID);
        if (!parsed.ok) return reply.code(400).send({ success: false, error: parsed.reason });
        const { calls, rejected } = parsed.result;
        if (calls.length === 0) return reply.code(400).send({ success: false, error: 'no valid event in the batch', rejected });
        const expanded = storedBatchTooLarge(parsed.result.storedBytes);
        if (expanded) return reply.code(413).send({ success: false, error: expanded });
        const writer = admit(deps, source, calls.length, parsed.result.storedBytes);
        await store(deps, request, writer, source, calls);
        // Good items are stored even when others were refused; the refused ones are named, by index.
        return rejected.length ? { success: true, stored: calls.length, rejected } : { success: true };
      });
    }
  });
}
