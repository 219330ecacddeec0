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
  storedBatchTooLarge,
  TrackingCall,
  trackingItemSchema,
  writeKeyFromBody,
  writeKeyInBodySchema,
} from '../../domain/tracking';
import { clientNetwork, SourceRateLimiter } from './rate-limit';
import { isDataError, RegionWriter } from '../../db/region-writer';
import type { TrackingConsentDeps } from '../../temporal/tracked-consent-signals';
import { type IntakeLog, IntakeNotProcessed } from '../../db/intake-log';
import { loggableError } from '../error-log';
import { json, trackingRoute } from '../openapi';
import { BodyError, bodyKindOf, registerTrackingBodies, UNSUPPORTED_MEDIA_TYPE } from './body';
import { admitOrigin, AllowedOriginIndex, registerTrackingPreflight } from './cors';
import { rudderStackSourceConfig, segmentSettings, settingsCacheControl } from './sdk-config';

/**
 * Segment-compatible HTTP Tracking API: POST /v1/identify|track|page|screen|group|alias and
 * /v1/batch (and /v1/import). A 200 means the validated calls are committed to the intake log of
 * the source's region; the region's intake processor resolves them to profiles moments later
 * (docs/design/ingestion.md: profile reads lag the acknowledgement by the processor's delay).
 *
 * Also what the SDKs use unchanged: analytics.js's short paths (/v1/i|t|p|s|g|a, /v1/b) and its
 * settings (GET /v1/projects/:writeKey/settings); RudderStack's source config (GET /sourceConfig)
 * and beacon endpoint (POST /beacon/v1/batch?writeKey=…). Bodies: ./body.ts; CORS: ./cors.ts.
 */

export interface TrackingDeps {
  sources: SourceCache;
  writers: ReadonlyMap<string, RegionWriter>;
  /** The regions' intake logs: tracked calls are acknowledged once committed there. */
  intake: ReadonlyMap<string, IntakeLog>;
  /** Events (and stored bytes) per source. */
  rateLimiter: SourceRateLimiter;
  /**
   * Write-key lookups that must ask the database, per client network: unknown keys are refused
   * here before they cost a global-database query. Default KEY_LOOKUPS_PER_CLIENT per second.
   */
  keyLookupLimiter?: SourceRateLimiter;
  /** Calls waiting in a region's writer beyond which requests are shed with 429. */
  maxBacklog?: number;
  /** Consent carried by calls (Segment categoryPreferences, Sec-GPC) is recorded when this is set (webhooks; tracked calls: by the intake processor). */
  consent?: TrackingConsentDeps;
  /** Origins some source allows: answers CORS preflights (./cors.ts). */
  origins: AllowedOriginIndex;
  /** Meridian's public URL: the browser SDKs' settings point them back at it. */
  publicUrl: string;
}

const DEFAULT_MAX_BACKLOG = 100_000;
/**
 * Database lookups of write keys per second per client network (twice that in a burst). A known
 * key is cached for 30 s, so a real sender needs one lookup per key and half-minute; only a
 * client guessing keys comes near this.
 */
export const KEY_LOOKUPS_PER_CLIENT = 10;

export class TrackingError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** RudderStack's beacon and source config requests carry the key in the query string; only those routes read it there. */
function queryWriteKey(request: FastifyRequest): string | undefined {
  const key = (request.query as { writeKey?: unknown } | undefined)?.writeKey;
  return typeof key === 'string' && key ? key : undefined;
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

async function authenticate(
  deps: TrackingDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  key = writeKeyOf(request),
  unknownStatus = 401,
): Promise<Source> {
  if (!key) {
    throw new TrackingError(
      401,
      'missing write key: send it as the HTTP Basic user name (empty password) or as "writeKey" in the body',
    );
  }
  const unknown = () => new TrackingError(unknownStatus, "writeKey unknown: check the source's key in the console");
  // Malformed keys and keys already known (or known to be unknown) cost no database query.
  const cached = deps.sources.peek(key);
  let source = cached?.source;
  if (!cached) {
    const allowed = deps.keyLookupLimiter!.take(clientNetwork(request.ip), 1);
    if (!allowed.ok) {
      throw new TrackingError(
        429,
        `too many write-key lookups from this address (unknown keys?): retry after ${allowed.retryAfterSeconds}s`,
        {
          'retry-after': String(allowed.retryAfterSeconds),
        },
      );
    }
    source = await deps.sources.lookup(key);
  }
  if (!source) throw unknown();
  // A browser page may use a key only from an origin its source allows (./cors.ts).
  const refused = admitOrigin(request, reply, source);
  if (refused) throw new TrackingError(403, refused);
  return source;
}

export function admit(deps: TrackingDeps, source: Source, count: number, bytes: number): RegionWriter {
  return admitTo(deps, deps.writers, source, count, bytes);
}

/** As admit, for the intake log of the source's region (the tracking API's calls). */
export function admitToIntake(deps: TrackingDeps, source: Source, count: number, bytes: number): IntakeLog {
  return admitTo(deps, deps.intake, source, count, bytes);
}

function admitTo<T extends { backlog: number }>(
  deps: TrackingDeps,
  targets: ReadonlyMap<string, T>,
  source: Source,
  count: number,
  bytes: number,
): T {
  const writer = targets.get(source.region);
  if (!writer)
    throw new TrackingError(
      503,
      `region "${source.region}" of this source is not served by this server: check MERIDIAN_REGIONS_FILE`,
    );
  if (writer.backlog > (deps.maxBacklog ?? DEFAULT_MAX_BACKLOG)) {
    throw new TrackingError(429, `region ${source.region} is catching up: retry shortly`, { 'retry-after': '1' });
  }
  const allowed = deps.rateLimiter.take(source.id, count, bytes);
  if (!allowed.ok) {
    const what = allowed.reason === 'bytes' ? 'too much data' : 'too many events';
    if (allowed.tooLarge)
      throw new TrackingError(413, `${what} in one request for this source's rate limit: send smaller batches`);
    throw new TrackingError(429, `${what} from this source: retry after ${allowed.retryAfterSeconds}s`, {
      'retry-after': String(allowed.retryAfterSeconds),
    });
  }
  return writer;
}

/** Appends the request's calls to the intake log; resolves once they are committed there. */
async function store(request: FastifyRequest, log: IntakeLog, source: Source, calls: TrackingCall[]): Promise<void> {
  const gpc = request.headers['sec-gpc'];
  try {
    await log.append({
      sourceId: source.id,
      sourceKind: source.kind,
      brandId: source.brandId,
      ...(typeof gpc === 'string' ? { gpc: gpc.trim() } : {}),
      calls,
    });
  } catch (error) {
    // MERIDIAN_INTAKE_ACK=processed and the processor is behind: kept, but not yet as promised.
    if (error instanceof IntakeNotProcessed) throw new TrackingError(503, error.message, { 'retry-after': '5' });
    throw error;
  }
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
const writeKeyInQuery = z.object({ writeKey: z.string().describe("the source's write key") });
const batchAccepted = z.object({
  success: z.literal(true),
  stored: z.number().int().optional().describe('how many calls were stored, when some were refused'),
  rejected: z
    .array(rejectedItemSchema)
    .optional()
    .describe('the refused calls, by index in the batch, with the field and rule they broke'),
});

function sendError(reply: FastifyReply, error: TrackingError) {
  return reply.code(error.statusCode).headers(error.headers).send({ success: false, error: error.message });
}

export function registerTrackingRoutes(app: FastifyInstance, given: TrackingDeps): void {
  const deps: TrackingDeps = {
    ...given,
    keyLookupLimiter: given.keyLookupLimiter ?? new SourceRateLimiter(KEY_LOOKUPS_PER_CLIENT),
  };
  // Segment's limits, enforced before parsing so an oversize body costs nothing.
  app.register(async (scope) => {
    registerTrackingBodies(scope);
    registerTrackingPreflight(scope, deps.origins, ['/v1/*', '/sourceConfig', '/sourceConfig/', '/beacon/v1/batch']);
    scope.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      if (error instanceof TrackingError) return sendError(reply, error);
      if (error instanceof BodyError)
        return reply.code(error.statusCode).send({ success: false, error: error.message });
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const kind = bodyKindOf(request);
        const bytes = Number(request.headers['content-length'] ?? 0);
        return reply
          .code(413)
          .send({ success: false, error: bodyTooLarge(bytes, kind) ?? `body over the ${kind} limit` });
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return reply.code(415).send({ success: false, error: UNSUPPORTED_MEDIA_TYPE });
      }
      if (error.statusCode && error.statusCode < 500) {
        return reply
          .code(error.statusCode)
          .send({ success: false, error: `request body is not valid JSON: ${error.message}` });
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

    // analytics.js posts to the call type's first letter (/v1/t for track).
    for (const type of CALL_TYPES) {
      for (const path of [`/v1/${type}`, `/v1/${type[0]}`]) {
        const summary =
          path === `/v1/${type}`
            ? CALL_SUMMARIES[type]
            : `${CALL_SUMMARIES[type]} (analytics.js's short path, as /v1/${type})`;
        const doc = trackingRoute({
          summary,
          body: callSchemas[type].and(writeKeyInBodySchema),
          response: { 200: json("committed to the intake log of the source's region", accepted) },
        });
        scope.post(
          path,
          { bodyLimit: LIMITS.eventBytes, schema: doc, config: { bodyKind: 'event' } },
          async (request, reply) => {
            const source = await authenticate(deps, request, reply);
            const parsed = parseSingle(type as CallType, request.body, new Date(), randomUUID);
            if (!parsed.ok) return reply.code(400).send({ success: false, error: parsed.reason });
            const log = admitToIntake(deps, source, 1, parsed.bytes);
            await store(request, log, source, [parsed.call]);
            return { success: true };
          },
        );
      }
    }

    const BATCH_SUMMARIES: Record<string, string> = {
      '/v1/batch': `Batch: up to ${LIMITS.batchItems} calls in one request`,
      '/v1/import': 'Import: a batch of historical calls (as /v1/batch)',
      '/v1/b': "Batch (analytics.js's short path, as /v1/batch)",
      '/beacon/v1/batch':
        "Batch from navigator.sendBeacon (RudderStack's beacon path): the write key in the query string",
    };
    for (const path of ['/v1/batch', '/v1/import', '/v1/b', '/beacon/v1/batch']) {
      const keyInQuery = path === '/beacon/v1/batch';
      const doc = trackingRoute({
        summary: BATCH_SUMMARIES[path]!,
        body: batchDoc,
        ...(keyInQuery ? { querystring: writeKeyInQuery } : {}),
        response: {
          200: json(
            "the good calls are committed in the source's region; refused ones are listed by index",
            batchAccepted,
          ),
        },
      });
      scope.post(
        path,
        { bodyLimit: LIMITS.batchBytes, schema: doc, config: { bodyKind: 'batch' } },
        async (request, reply) => {
          const source = await authenticate(
            deps,
            request,
            reply,
            (keyInQuery ? queryWriteKey(request) : undefined) ?? writeKeyOf(request),
          );
          const parsed = parseBatch(request.body, new Date(), randomUUID);
          if (!parsed.ok) return reply.code(400).send({ success: false, error: parsed.reason });
          const { calls, rejected } = parsed.result;
          if (calls.length === 0)
            return reply.code(400).send({ success: false, error: 'no valid event in the batch', rejected });
          const expanded = storedBatchTooLarge(parsed.result.storedBytes);
          if (expanded) return reply.code(413).send({ success: false, error: expanded });
          const log = admitToIntake(deps, source, calls.length, parsed.result.storedBytes);
          await store(request, log, source, calls);
          // Good items are stored even when others were refused; the refused ones are named, by index.
          return rejected.length ? { success: true, stored: calls.length, rejected } : { success: true };
        },
      );
    }

    // Unknown keys get 404, as from Segment's CDN. Nothing in either answer is secret (./sdk-config.ts).
    const settingsDoc = trackingRoute({
      summary: 'analytics.js settings: its Segment.io integration sends events back to Meridian',
      security: [],
      response: {
        200: json('the settings analytics.js loads (cacheable for a minute)', z.record(z.string(), z.unknown())),
      },
    });
    scope.get<{ Params: { writeKey: string } }>(
      '/v1/projects/:writeKey/settings',
      { schema: settingsDoc },
      async (request, reply) => {
        const source = await authenticate(deps, request, reply, request.params.writeKey, 404);
        return reply
          .header('cache-control', settingsCacheControl(source))
          .send(segmentSettings(request.params.writeKey, deps.publicUrl));
      },
    );
    const sourceConfigDoc = trackingRoute({
      summary: "RudderStack JavaScript SDK's source config: no device-mode destinations, no reporting",
      querystring: writeKeyInQuery.partial().passthrough(),
      response: {
        200: json('the source config the SDK loads (cacheable for a minute)', z.record(z.string(), z.unknown())),
      },
    });
    for (const path of ['/sourceConfig', '/sourceConfig/']) {
      scope.get(path, { schema: sourceConfigDoc }, async (request, reply) => {
        const source = await authenticate(deps, request, reply, queryWriteKey(request) ?? writeKeyOf(request), 404);
        return reply.header('cache-control', settingsCacheControl(source)).send(rudderStackSourceConfig(source));
      });
    }
  });
}
