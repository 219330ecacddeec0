import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import { z } from 'zod';
import { sameSecret } from '../../domain/constant-time';
import { connectorDefinition } from '../../connectors';
import {
  checkMetaSignature,
  leadgenChanges,
  META_SIGNATURE_HEADER,
  verificationChallenge,
} from '../../connectors/meta-leads/webhook';
import { Connector, getConnector, loadCredentials } from '../../db/connectors-store';
import type { FxRatesCache } from '../../db/fx-rates-store';
import type { RegionWriter } from '../../db/region-writer';
import type { RegionCatalog } from '../../domain/regions';
import { LIMITS } from '../../domain/tracking';
import { describeIssues } from '../../domain/validation';
import { customerCall } from '../../db/ingest-records';
import { customerOfStoredCall, recordAdClicks } from '../../db/ad-conversions-store';
import { LeadFormWebhook, mapGoogleLead, webhookLead } from '../../connectors/google-ads/mapping';
import { startConnectorDelivery } from '../../temporal/processes/connector-delivery';
import { loggableError } from '../error-log';
import { json, trackingRoute } from '../openapi';
import { clientNetwork, SourceRateLimiter } from './rate-limit';
import { KEY_LOOKUPS_PER_CLIENT, TrackingError } from './routes';

/**
 * Webhooks of connected platforms, each verified the platform's own way with the connector's sealed
 * credentials (read from its region), then handed to the connector's region:
 *
 * - Meta Lead Ads, `/v1/connectors/:id/meta-leads/webhook`: Meta's verification GET (hub.mode,
 *   hub.verify_token, hub.challenge) and `leadgen` notifications signed in X-Hub-Signature-256 with
 *   the app secret. A notification names leads by ID only: each starts a connectorDelivery workflow
 *   on the connector's region queue, which reads the lead from the Graph API and stores it. A
 *   notification Meta sends again starts nothing new.
 * - Google Ads lead forms, `/v1/connectors/:id/google-ads/lead-form`: the submission itself (answers
 *   and gcl_id), proven by the form's `google_key`; stored at once through the region's writer (the
 *   tracking API's), its message ID the lead ID so a re-sent lead is stored once, and its gclid kept
 *   for the person so a later purchase goes back to Google as a conversion.
 */

export interface ConnectorWebhookDeps {
  globalSql: Sql;
  regional: ReadonlyMap<string, { sql: Sql; key: Buffer }>;
  temporal: Client;
  regions: RegionCatalog;
  /** The regions' writers, for lead form submissions that arrive whole (Google Ads). */
  writers?: ReadonlyMap<string, RegionWriter>;
  fx?: FxRatesCache;
  reportingCurrency?: string;
}

const CONNECTOR_ID = /^[A-Za-z0-9_-]{1,64}$/;
const refused = z.object({ success: z.literal(false), error: z.string() });

/** A POST whose body is checked as sent (JSON only), refused 401 when its proof does not hold. */
function withUnauthorized(doc: ReturnType<typeof trackingRoute>, description: string) {
  return { ...doc, consumes: ['application/json'], response: { ...doc.response, 401: json(description, refused) } };
}

export function registerConnectorWebhookRoutes(app: FastifyInstance, deps: ConnectorWebhookDeps): void {
  const lookups = new SourceRateLimiter(KEY_LOOKUPS_PER_CLIENT);

  /** The connector of `system` and its credentials, or 404; lookups limited per client network. */
  async function connectorOf(
    request: FastifyRequest<{ Params: { id: string } }>,
    system: string,
  ): Promise<{ connector: Connector; credentials: Record<string, unknown> }> {
    const id = request.params.id;
    const missing = () => new TrackingError(404, `no ${system} connector ${id.slice(0, 64)}: check the webhook URL`);
    if (!CONNECTOR_ID.test(id)) throw missing();
    const allowed = lookups.take(clientNetwork(request.ip), 1);
    if (!allowed.ok)
      throw new TrackingError(
        429,
        `too many connector lookups from this address: retry after ${allowed.retryAfterSeconds}s`,
        {
          'retry-after': String(allowed.retryAfterSeconds),
        },
      );
    const connector = await getConnector(deps.globalSql, id);
    const regional = connector ? deps.regional.get(connector.region) : undefined;
    if (!connector || connector.system !== system || !regional) throw missing();
    const parsed = connectorDefinition(system).credentials.safeParse(await loadCredentials(regional, id));
    if (!parsed.success) throw missing();
    return { connector, credentials: parsed.data as Record<string, unknown> };
  }

  app.register(async (scope) => {
    // Signatures are over the bytes as sent: the body is kept raw and parsed once verified.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: LIMITS.batchBytes },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      if (error instanceof TrackingError)
        return reply.code(error.statusCode).headers(error.headers).send({ success: false, error: error.message });
      if (error.statusCode && error.statusCode < 500)
        return reply.code(error.statusCode).send({ success: false, error: error.message });
      request.log.error({ err: loggableError(error) }, 'connector webhook failed');
      return reply.code(500).send({ success: false, error: 'internal error: nothing was taken; send it again' });
    });

    const params = z.object({ id: z.string().describe('the connector ID') });

    scope.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
      '/v1/connectors/:id/meta-leads/webhook',
      {
        schema: trackingRoute({
          summary: "Meta Lead Ads webhook verification: answers hub.challenge when hub.verify_token is the connector's",
          security: [],
          params,
          response: {
            200: { description: 'the challenge, as text', content: { 'text/plain': { schema: z.string() } } },
            404: json('no Meta Lead Ads connector with this ID', refused),
          },
        }),
      },
      async (request, reply) => {
        const { credentials } = await connectorOf(request, 'meta_leads');
        const verified = verificationChallenge(request.query, String(credentials.verifyToken));
        if (!verified.ok) throw new TrackingError(403, verified.reason);
        return reply.type('text/plain').send(verified.challenge);
      },
    );

    scope.post<{ Params: { id: string } }>(
      '/v1/connectors/:id/meta-leads/webhook',
      {
        schema: withUnauthorized(
          trackingRoute({
            summary: 'Meta Lead Ads leadgen notifications, signed with the app secret (X-Hub-Signature-256)',
            security: [],
            params,
            headers: z.object({
              [META_SIGNATURE_HEADER]: z
                .string()
                .describe('sha256=<hex HMAC-SHA256 of the raw body under the app secret>'),
            }),
            body: z
              .unknown()
              .describe(
                'a Page webhook notification: {object:"page", entry:[{changes:[{field:"leadgen", value:{leadgen_id …}}]}]}',
              ),
            response: {
              200: json(
                'the leads are taken: each is read from the Graph API and stored in the connector region',
                z.object({ success: z.literal(true), leads: z.number().int() }),
              ),
              404: json('no Meta Lead Ads connector with this ID', refused),
            },
          }),
          'X-Hub-Signature-256 is missing or does not match the raw body under the app secret',
        ),
      },
      async (request) => {
        const raw = request.body as Buffer | undefined;
        if (!Buffer.isBuffer(raw)) throw new TrackingError(415, 'send the notification as application/json');
        const { connector, credentials } = await connectorOf(request, 'meta_leads');
        const header = request.headers[META_SIGNATURE_HEADER];
        const signed = checkMetaSignature(
          String(credentials.appSecret),
          typeof header === 'string' ? header : undefined,
          raw,
        );
        if (!signed.ok) throw new TrackingError(401, signed.reason);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new TrackingError(400, 'the notification is not valid JSON');
        }
        const changes = leadgenChanges(body);
        if (!changes.ok) throw new TrackingError(400, changes.reason);
        for (const lead of changes.leads)
          await startConnectorDelivery(deps.temporal, deps.regions, connector, {
            stream: 'customers',
            recordId: lead.leadId,
          });
        return { success: true as const, leads: changes.leads.length };
      },
    );

    scope.post<{ Params: { id: string } }>(
      '/v1/connectors/:id/google-ads/lead-form',
      {
        schema: withUnauthorized(
          trackingRoute({
            summary: "Google Ads lead form webhook: a submission, with the form's key (google_key) as its proof",
            security: [],
            params,
            body: z
              .unknown()
              .describe(
                "Google's lead form webhook payload: {lead_id, google_key, user_column_data:[{column_id, string_value}], gcl_id …}",
              ),
            response: {
              200: json('the lead is stored in the connector region', z.object({ success: z.literal(true) })),
              404: json('no Google Ads connector with this ID', refused),
            },
          }),
          "google_key is not the connector's lead form key",
        ),
      },
      async (request) => {
        const raw = request.body as Buffer | undefined;
        if (!Buffer.isBuffer(raw)) throw new TrackingError(415, 'send the lead as application/json');
        const { connector, credentials } = await connectorOf(request, 'google_ads');
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new TrackingError(400, 'the lead is not valid JSON');
        }
        const key = (body as { google_key?: unknown } | null)?.google_key;
        if (!sameSecret(typeof key === 'string' ? key : '', String(credentials.leadFormKey)))
          throw new TrackingError(
            401,
            "google_key does not match the connector's lead form key: set the same key on the form's webhook",
          );
        const parsed = LeadFormWebhook.safeParse(body);
        if (!parsed.success) throw new TrackingError(400, describeIssues(parsed.error, 'lead'));
        // Google's "Send test data" button: answered, never stored as a person.
        if (parsed.data.is_test) return { success: true as const };
        const writer = deps.writers?.get(connector.region);
        const regional = deps.regional.get(connector.region);
        if (!writer || !regional) throw new TrackingError(503, `region ${connector.region} is not served here`);
        const { mapped, click } = mapGoogleLead(webhookLead(parsed.data, new Date()), connector.id);
        if (!mapped.ok) throw new TrackingError(400, mapped.rejected.reason);
        // The lead ID is the message: a lead Google sends again is stored once.
        const item = customerCall(mapped.record, undefined, new Date());
        const call = { ...item.call, messageId: `customer:${mapped.record.externalId}` };
        const [outcome] = await writer.write([{ sourceId: connector.id, provenance: 'connector', call }]);
        if (outcome?.status === 'rejected') throw new TrackingError(400, outcome.reason);
        const customerId =
          outcome?.status === 'stored' || outcome?.status === 'suppressed'
            ? outcome.customerId
            : await customerOfStoredCall(regional.sql, connector.id, call.messageId);
        if (click && customerId) await recordAdClicks(regional.sql, [{ ...click, customerId, sourceId: connector.id }]);
        return { success: true as const };
      },
    );
  });
}
