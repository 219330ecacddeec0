import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Source, SourceCache } from '../../db/sources';
import { bodyTooLarge, CALL_TYPES, CallType, LIMITS, parseBatch, parseSingle, TrackingCall, writeKeyFromBody } from '../../domain/tracking';
import type { SourceRateLimiter } from './rate-limit';
import { isDataError, RegionWriter } from '../../db/region-writer';
import { provenanceOfSource } from '../../domain/identity-provenance';
import { recordTrackedConsent, TrackingConsentDeps } from './consent-signals';
import { loggableError } from '../error-log';

/**
 * Segment-compatible HTTP Tracking API: POST /v1/identify|track|page|screen|group|alias and
 * /v1/batch (and /v1/import). A 200 means the events are committed in the source's region.
 */

export interface TrackingDeps {
  sources: SourceCache;
  writers: ReadonlyMap<string, RegionWriter>;
  rateLimiter: SourceRateLimiter;
  /** Calls waiting in a region's writer beyond which requests are shed with 429. */
  maxBacklog?: number;
  /** Consent carried by calls (Segment categoryPreferences, Sec-GPC) is recorded when this is set. */
  consent?: TrackingConsentDeps;
}

const DEFAULT_MAX_BACKLOG = 100_000;

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
  const source = await deps.sources.lookup(key);
  if (!source) throw new TrackingError(401, "writeKey unknown: check the source's key in the console");
  return source;
}

function admit(deps: TrackingDeps, source: Source, count: number): RegionWriter {
  const writer = deps.writers.get(source.region);
  if (!writer) throw new TrackingError(503, `region "${source.region}" of this source is not served by this server: check MERIDIAN_REGIONS_FILE`);
  if (writer.backlog > (deps.maxBacklog ?? DEFAULT_MAX_BACKLOG)) {
    throw new TrackingError(429, `region ${source.region} is catching up: retry shortly`, { 'retry-after': '1' });
  }
  const allowed = deps.rateLimiter.take(source.id, count);
  if (!allowed.ok) {
    throw new TrackingError(429, `too many events from this source: retry after ${allowed.retryAfterSeconds}s`, {
      'retry-after': String(allowed.retryAfterSeconds),
    });
  }
  return writer;
}

async function store(deps: TrackingDeps, request: FastifyRequest, writer: RegionWriter, source: Source, calls: TrackingCall[]) {
  // A public (browser) key's identifiers are claims: the writer holds merges they alone would cause.
  const outcomes = await writer.write(calls.map((call) => ({ sourceId: source.id, provenance: provenanceOfSource(source.kind), call })));
  if (deps.consent) {
    const gpc = request.headers['sec-gpc'];
    await recordTrackedConsent(deps.consent, source.region, source.id, calls, outcomes, typeof gpc === 'string' ? gpc.trim() : undefined);
  }
  return outcomes;
}

function sendError(reply: FastifyReply, error: TrackingError) {
  return reply.code(error.statusCode).headers(error.headers).send({ success: false, error: error.message });
}

export function registerTrackingRoutes(app: FastifyInstance, deps: TrackingDeps): void {
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
        const writer = admit(deps, source, 1);
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
        const writer = admit(deps, source, calls.length);
        await store(deps, request, writer, source, calls);
        // Good items are stored even when others were refused; the refused ones are named, by index.
        return rejected.length ? { success: true, stored: calls.length, rejected } : { success: true };
      });
    }
  });
}
