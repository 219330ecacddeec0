import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getSource } from '../../db/sources';
import { issueWebhookSecret, setWebhookMapping, WebhookState, webhookState } from '../../db/webhook-sources';
import { rejectedItemSchema } from '../../domain/tracking';
import {
  mapPayload,
  webhookMappingSchema,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../../domain/webhook-mapping';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit, onlyFields, parseWith } from './kit';

/**
 * A source's webhook (web/tracking/webhook.ts): its secret, issued and shown once (a new one
 * replaces the old at once), its mapping, and a preview of what a sample payload would store.
 * All act on one source, so a token scoped to regions may use them only on its regions' sources:
 * the secret lets anyone write into that region, and a preview shows a payload's personal data.
 */

const mappingBody = z.object({ mapping: webhookMappingSchema });
const previewBody = z.object({
  mapping: webhookMappingSchema.optional().describe("default: the source's stored mapping"),
  payload: z.unknown().describe('a sample payload, as the system would post it'),
});

const webhookView = z.object({
  sourceId: z.string(),
  url: z.string().describe('where the system posts: POST with the signature headers'),
  signature: z.string().describe('how requests are signed'),
  secretHint: z.string().nullable().describe('the last 4 characters of the secret; null until one is issued'),
  secretIssuedAt: z.string().meta({ format: 'date-time' }).nullable(),
  mapping: webhookMappingSchema.nullable(),
});
const webhookIssued = z.object({
  webhook: webhookView,
  secret: z.string().describe('shown only now: configure it in the sending system'),
});
const previewAnswer = z.object({
  calls: z
    .array(
      z.object({
        index: z.number().int(),
        call: z.record(z.string(), z.unknown()),
        order: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('for an order mapping: the order as it would be stored'),
      }),
    )
    .describe('what each good record would be stored as (a tracking call), by index in the payload'),
  rejected: z.array(rejectedItemSchema).describe('the records that would be refused, by index, with path and rule'),
});

const SIGNATURE_HELP = `${WEBHOOK_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of "<${WEBHOOK_TIMESTAMP_HEADER}>.<raw body>"> under the secret; ${WEBHOOK_TIMESTAMP_HEADER}: Unix seconds, within 5 minutes`;

export function registerWebhookAdminRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const view = (sourceId: string, state: WebhookState) => ({
    sourceId,
    url: `/v1/sources/${sourceId}/webhook`,
    signature: SIGNATURE_HELP,
    secretHint: state.secretHint,
    secretIssuedAt: state.secretIssuedAt?.toISOString() ?? null,
    mapping: state.mapping,
  });

  async function sourceFor(
    request: { params: { id: string } },
    token: ReturnType<AdminKit['authorise']>,
    action: string,
  ) {
    const source = await getSource(deps.globalDb, request.params.id);
    if (!source) throw kit.fail(404, `no source ${request.params.id}: list them with GET /admin/sources`);
    kit.requireRegion(token, source.region, action);
    return source;
  }

  scope.post<{ Params: { id: string } }>(
    '/admin/sources/:id/webhook',
    {
      schema: adminRoute({
        summary: "Issue (or rotate) a source's webhook secret, shown once, with its mapping",
        body: mappingBody.partial(),
        response: { 200: json('the webhook, and its new secret', webhookIssued) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const source = await sourceFor(request, token, 'issue webhook secrets');
      const body = parseWith(kit, mappingBody.partial(), onlyFields(kit, request.body ?? {}, ['mapping']));
      const key = deps.regional.get(source.region)?.key;
      if (!key)
        throw kit.fail(503, `region ${source.region} is not served by this server: check MERIDIAN_REGIONS_FILE`);
      const { secret, state } = await issueWebhookSecret(deps.globalDb, key, source.id, body.mapping);
      deps.onSourceChanged?.(source.id);
      return { webhook: view(source.id, state), secret };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/sources/:id/webhook',
    {
      schema: adminRoute({
        summary: "A source's webhook: its URL, secret hint and mapping (never the secret)",
        response: { 200: z.object({ webhook: webhookView }) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const source = await sourceFor(request, token, 'read webhooks');
      return { webhook: view(source.id, (await webhookState(deps.globalDb, source.id))!) };
    },
  );

  scope.put<{ Params: { id: string } }>(
    '/admin/sources/:id/webhook-mapping',
    {
      schema: adminRoute({
        summary: "Replace a source's webhook mapping (the secret stays)",
        body: mappingBody,
        response: { 200: z.object({ webhook: webhookView }) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const source = await sourceFor(request, token, 'change webhook mappings');
      const { mapping } = parseWith(kit, mappingBody, onlyFields(kit, request.body, ['mapping']));
      const state = await setWebhookMapping(deps.globalDb, source.id, mapping);
      deps.onSourceChanged?.(source.id);
      return { webhook: view(source.id, state!) };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/sources/:id/webhook-mapping/preview',
    {
      schema: adminRoute({
        summary: 'What a sample payload would store with a mapping (nothing is stored)',
        body: previewBody,
        response: { 200: json('the calls the good records become, and the refused records', previewAnswer) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      // The sample is a payload of the source's region: previewed only by a token for that region.
      const source = await sourceFor(request, token, 'preview webhook mappings');
      const body = parseWith(kit, previewBody, onlyFields(kit, request.body, ['mapping', 'payload']));
      const mapping = body.mapping ?? (await webhookState(deps.globalDb, source.id))?.mapping;
      if (!mapping)
        throw kit.fail(400, 'mapping: the source has no webhook mapping yet; send one in the body to preview it');
      const outcome = mapPayload(mapping, body.payload, new Date(), source.id);
      if (!outcome.ok) throw kit.fail(400, `payload: ${outcome.reason}`);
      return {
        calls: outcome.calls.map((call, i) => ({
          index: outcome.indexes[i]!,
          call: previewOf(call),
          ...(outcome.orders[i] ? { order: outcome.orders[i] } : {}),
        })),
        rejected: outcome.rejected,
      };
    },
  );
}

/** A call as it would be stored, minus what the server fills in (receivedAt, a generated message ID stays). */
function previewOf(call: object): Record<string, unknown> {
  const { receivedAt: _received, ...rest } = call as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
