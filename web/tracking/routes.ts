import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Source, SourceCache } from '../../db/sources';
import { z } from 'zod';
import {
  batchBodySchema,
  bodyTooLarge,
  CALL_TYPES,
  CallType,
  callSchemas,
  LIMITS,
  parseBatch,
  parseSingle,
  rejectedItemSchema,
  TrackingCall,
  trackingItemSchema,
  writeKeyFromBody,
  writeKeyInBodySchema,
} from '../../domain/tracking';
import type { SourceRateLimiter } from './rate-limit';
import { isDataError, RegionWriter } from '../../db/region-writer';
import { provenanceOfSource } from '../../domain/identity-provenance';
import { recordTrackedConsent, TrackingConsentDeps } from './consent-signals';
import { loggableError } from '../error-log';
import { json, trackingRoute } from '../openapi';

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

// What the routes document (web/openapi.ts): the bodies as parseSingle and parseBatch check them.
const CALL_SUMMARIES: Record<CallType, string> = {
  identify: 'Identify: who the person is, and their traits',
  track: 'Track: an action the person took (an event with properties)',
  page: 'Page: a page the person viewed on a website',
  screen: 'Screen: a screen the person viewed in a mobile app',
  group: 'Group: the person belongs to a group (company, account)',
  alias: 'Alias: a new ID for a person known by another (previousId)',
};
/** A batch as it is checked: the envelope by batchBodySchema, then each item by trackingItemSchema. */
const batchDoc = batchBodySchema.and(z.object({ batch: z.array(trackingItemSchema) })).and(writeKeyInBodySchema);
const accepted = z.object({ success: z.literal(true) });
const batchAccepted = z.object({
  success: z.literal(true),
  stored: z.number().int().optional().describe('how many calls were stored, when some were refused'),
  rejected: z.array(rejectedItemSchema).optional().describe('the refused calls, by index in the batch, with the field and rule they broke'),
});

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
      const doc = trackingRoute({ summary: CALL_SUMMARIES[type], body: callSchemas[type].and(writeKeyInBodySchema), response: { 200: json('committed in the source\'s region', accepted) } });
      scope.post(`/v1/${type}`, { bodyLimit: LIMITS.eventBytes, schema: doc }, async (request, reply) => {
        const source = await authenticate(deps, request);
        const parsed = parseSingle(type as CallType, request.body, new Date(), randomUUID);
        if (!parsed.ok) return reply.code(400).send({ success: false, error: parsed.reason });
        const writer = admit(deps, source, 1);
        await store(deps, request, writer, source, [parsed.call]);
        return { success: true };
      });
    }

    for (const path of ['/v1/batch', '/v1/import']) {
      const summary = path === '/v1/batch' ? `Batch: up to ${LIMITS.batchItems} calls in one request` : 'Import: a batch of historical calls (as /v1/batch)';
      const doc = trackingRoute({ summary, body: batchDoc, response: { 200: json('the good calls are committed in the source\'s region; refused ones are listed by index', batchAccepted) } });
      scope.post(path, { bodyLimit: LIMITS.batchBytes, schema: doc }, async (request, reply) => {
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
