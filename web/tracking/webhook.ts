import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { GlobalDb } from '../../db/connections';
import { FxRatesCache } from '../../db/fx-rates-store';
import { reportingAmount } from '../../db/ingest-records';
import { IncomingCall, isDataError } from '../../db/region-writer';
import { getSource, Source } from '../../db/sources';
import { loadWebhookSource, WebhookSource } from '../../db/webhook-sources';
import { provenanceOfSource } from '../../domain/identity-provenance';
import { LIMITS, rejectedItemSchema, storedBatchTooLarge } from '../../domain/tracking';
import {
  checkWebhookSignature,
  mapPayload,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../../domain/webhook-mapping';
import { loggableError } from '../error-log';
import { json, trackingRoute } from '../openapi';
import { clientNetwork, SourceRateLimiter } from './rate-limit';
import { admit, KEY_LOOKUPS_PER_CLIENT, TrackingDeps, TrackingError } from './routes';

/**
 * POST /v1/sources/:id/webhook: any system posts JSON signed with the source's webhook secret
 * (X-Meridian-Signature: sha256=<hex HMAC-SHA256 of "<X-Meridian-Timestamp>.<raw body>">); the
 * source's mapping (domain/webhook-mapping.ts) turns its records into tracking calls, which then go
 * the tracking API's way: its item checks (parseBatch), limits and rate limit (admit), and the
 * region writer, deduplicated by message ID. Good records are stored even when others are refused;
 * the refused ones are named by index in the payload.
 */

export interface WebhookDeps {
  tracking: TrackingDeps;
  /** Orders are stored with their amount in the reporting currency at the rate of their local date. */
  fx?: FxRatesCache;
  reportingCurrency?: string;
  globalDb: GlobalDb;
  /** Region keys: the secret is sealed with its source's. */
  regionKeys: ReadonlyMap<string, Buffer>;
  now?: () => number;
}

/** A source's webhook as read, kept this long (forget() on a change in this process). */
const CACHE_MS = 30_000;
const MAX_CACHED = 10_000;

export class WebhookSourceCache {
  private readonly known = new Map<string, { at: number; value: { source: Source; webhook: WebhookSource } | null }>();
  constructor(
    private readonly db: GlobalDb,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {}

  peek(sourceId: string, now = Date.now()) {
    const hit = this.known.get(sourceId);
    return hit && now - hit.at < CACHE_MS ? hit : undefined;
  }

  async lookup(sourceId: string, now = Date.now()) {
    const [source, webhook] = await Promise.all([
      getSource(this.db, sourceId),
      loadWebhookSource(this.db, this.keys, sourceId),
    ]);
    const value = source && webhook ? { source, webhook } : null;
    if (this.known.size >= MAX_CACHED) this.known.clear();
    this.known.set(sourceId, { at: now, value });
    return value;
  }

  forget(sourceId: string): void {
    this.known.delete(sourceId);
  }
}

const SOURCE_ID = /^src_[0-9a-f]{16}$/;

const webhookAccepted = z.object({
  success: z.literal(true),
  stored: z.number().int().optional().describe('how many records were stored, when some were refused'),
  rejected: z
    .array(rejectedItemSchema)
    .optional()
    .describe('the refused records, by index in the payload, with the field (path) and rule they broke'),
});
const webhookRefused = z.object({
  success: z.literal(false),
  error: z.string(),
  rejected: z.array(rejectedItemSchema).optional(),
});

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookDeps, cache: WebhookSourceCache): void {
  const lookups = new SourceRateLimiter(KEY_LOOKUPS_PER_CLIENT);
  const now = deps.now ?? Date.now;

  app.register(async (scope) => {
    // The signature is over the bytes as sent: the body is kept raw and parsed only once it is verified.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: LIMITS.batchBytes },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      if (error instanceof TrackingError)
        return reply.code(error.statusCode).headers(error.headers).send({ success: false, error: error.message });
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return reply.code(413).send({
          success: false,
          error: `the payload is over ${LIMITS.batchBytes} bytes: send fewer records at once`,
        });
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
        return reply.code(415).send({ success: false, error: 'send the payload as application/json' });
      if (error.statusCode && error.statusCode < 500)
        return reply.code(error.statusCode).send({ success: false, error: error.message });
      if (isDataError(error))
        return reply.code(400).send({
          success: false,
          error: `the database refused a value in this payload (SQLSTATE ${error.code}): check field lengths and formats`,
        });
      request.log.error({ err: loggableError(error) }, 'webhook request failed');
      return reply.code(500).send({ success: false, error: 'internal error: the records were not stored; retry' });
    });

    const base = trackingRoute({
      summary:
        "Webhook: a system posts JSON records, signed with the source's webhook secret, mapped by the source's mapping",
      security: [],
      params: z.object({ id: z.string().describe('the source ID (src_…)') }),
      headers: z.object({
        [WEBHOOK_SIGNATURE_HEADER]: z
          .string()
          .describe('sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"> under the webhook secret'),
        [WEBHOOK_TIMESTAMP_HEADER]: z
          .string()
          .describe('Unix seconds when signed; refused when more than 5 minutes away'),
      }),
      body: z
        .unknown()
        .describe('JSON: one record, a list of records, or an object with the list at the mapping\'s "records" path'),
      response: {
        200: json(
          "the good records are committed in the source's region; refused ones are listed by index",
          webhookAccepted,
        ),
        404: json('no source with this ID has a webhook (secret and mapping)', webhookRefused),
      },
    });
    const doc = {
      ...base,
      // The signature is checked on the bytes sent: JSON only, uncompressed.
      consumes: ['application/json'],
      response: {
        ...base.response,
        401: json('the signature is missing or wrong, or the timestamp is more than 5 minutes away', webhookRefused),
      },
    };

    scope.post<{ Params: { id: string } }>('/v1/sources/:id/webhook', { schema: doc }, async (request, reply) => {
      const found = await webhookOf(request);
      const raw = request.body as Buffer | undefined;
      if (!Buffer.isBuffer(raw)) throw new TrackingError(415, 'send the payload as application/json');
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const signed = checkWebhookSignature(
        found.webhook.secret,
        { signature: header(WEBHOOK_SIGNATURE_HEADER), timestamp: header(WEBHOOK_TIMESTAMP_HEADER) },
        raw,
        now(),
      );
      if (!signed.ok) throw new TrackingError(401, signed.reason);

      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new TrackingError(400, 'the payload is not valid JSON');
      }
      const outcome = mapPayload(found.webhook.mapping, body, new Date(), found.source.id);
      if (!outcome.ok) return reply.code(400).send({ success: false, error: outcome.reason });
      const { calls, rejected, storedBytes } = outcome;
      if (calls.length === 0)
        return reply.code(400).send({ success: false, error: 'no record in the payload could be stored', rejected });
      const expanded = storedBatchTooLarge(storedBytes);
      if (expanded) return reply.code(413).send({ success: false, error: expanded });
      const writer = admit(deps.tracking, found.source, calls.length, storedBytes);
      // The secret stays on the sender's servers: what it says about people carries the brand's authority.
      const items: IncomingCall[] = calls.map((call) => ({
        sourceId: found.source.id,
        provenance: provenanceOfSource('server'),
        call,
      }));
      if (outcome.orders.some(Boolean)) {
        let fx = await deps.fx?.current();
        const latest = outcome.orders.reduce((max, o) => (o && o.localDate > max ? o.localDate : max), '');
        if (deps.fx && (!fx?.span || fx.span.last < latest)) fx = await deps.fx.covering(latest);
        const currency = deps.reportingCurrency ?? 'EUR';
        outcome.orders.forEach((order, i) => {
          if (!order) return;
          items[i] = {
            ...items[i]!,
            order: {
              order,
              reporting: fx
                ? reportingAmount(fx, order, currency)
                : { currency, minor: null, problem: 'no FX rates loaded in this server' },
            },
          };
        });
      }
      const outcomes = await writer.write(items);
      const refused = outcomes.flatMap((o, i) =>
        o.status === 'rejected' ? [{ index: outcome.indexes[i]!, reason: o.reason }] : [],
      );
      const all = [...rejected, ...refused].sort((a, b) => a.index - b.index);
      return all.length ? { success: true, stored: calls.length - refused.length, rejected: all } : { success: true };
    });
  });

  async function webhookOf(request: FastifyRequest<{ Params: { id: string } }>) {
    const id = request.params.id;
    const missing = () =>
      new TrackingError(404, `no webhook source ${id.slice(0, 40)}: set one up with POST /admin/sources/:id/webhook`);
    if (!SOURCE_ID.test(id)) throw missing();
    let hit = cache.peek(id)?.value;
    if (hit === undefined) {
      const allowed = lookups.take(clientNetwork(request.ip), 1);
      if (!allowed.ok)
        throw new TrackingError(
          429,
          `too many source lookups from this address: retry after ${allowed.retryAfterSeconds}s`,
          {
            'retry-after': String(allowed.retryAfterSeconds),
          },
        );
      hit = await cache.lookup(id);
    }
    if (!hit) throw missing();
    return hit;
  }
}
