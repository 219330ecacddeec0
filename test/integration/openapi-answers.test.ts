import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { webhookSignature } from '../../domain/webhook-mapping';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { SmtpHarness, startSmtpServer } from '../support/smtp';

/**
 * /openapi.json tells the truth about answers: real requests through the real server (tracking,
 * admin, privacy portal, service routes), and every JSON answer they get, success or refusal,
 * must match the schema the document gives for that route and status (or its `default`).
 */

type Schema = Record<string, unknown>;
type Operation = { responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
type Answer = { method: string; route: string; status: number; body: unknown };

/** The schema with `#/components/schemas/X` references replaced by X (ours are not recursive). */
function inline(schema: unknown, components: Record<string, Schema>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, components));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref?.startsWith('#/components/schemas/'))
    return inline(components[ref.slice('#/components/schemas/'.length)], components);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, components)]));
}

describe('the OpenAPI document describes the answers the server gives', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let smtp: SmtpHarness;
  let base: string;
  let token: string;
  const answers: Answer[] = [];

  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const admin = (method: string, url: string, body?: unknown) =>
    call(method, url, body, { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    d = await createTestDeployment('openapi', { MERIDIAN_SMTP_URL: smtp.url });
    token = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    // Every JSON answer, with the route (not the URL) it came from.
    web.app.addHook('onSend', async (request, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      if (type.includes('json') && typeof payload === 'string' && request.routeOptions.url) {
        answers.push({
          method: request.method.toLowerCase(),
          route: request.routeOptions.url,
          status: reply.statusCode,
          body: JSON.parse(payload),
        });
      }
      return payload;
    });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
  }, 180_000);
  afterAll(async () => {
    await web?.close();
    await d?.close();
    await smtp?.close();
  });

  it('for tracking, admin, privacy and service routes, successes and refusals alike', async () => {
    // Admin: sources.
    const created = await admin('POST', '/admin/sources', { name: 'Lisbon shop', region: 'eu', kind: 'server' });
    expect(created.status).toBe(201);
    const source = created.body.source.id as string;
    expect((await admin('POST', '/admin/sources', { name: 'No kind', region: 'eu' })).status).toBe(400);
    expect((await admin('GET', '/admin/sources')).status).toBe(200);
    expect(
      (await admin('PATCH', `/admin/sources/${source}`, { allowedOrigins: ['https://shop.example'] })).status,
    ).toBe(200);
    const rotated = await admin('POST', `/admin/sources/${source}/rotate`);
    expect(rotated.status).toBe(200);
    expect((await call('GET', '/admin/sources')).status).toBe(401);
    expect((await admin('POST', '/admin/sources/src_0000000000000000/rotate')).status).toBe(404);

    // Tracking: a call, a batch with a bad item, a refused call, no key, too large.
    const basic = { authorization: `Basic ${Buffer.from(`${rotated.body.writeKey}:`).toString('base64')}` };
    expect(
      (await call('POST', '/v1/identify', { userId: 'ana-1', traits: { email: 'ana@example.pt' } }, basic)).status,
    ).toBe(200);
    const batch = await call(
      'POST',
      '/v1/batch',
      {
        batch: [
          { type: 'track', userId: 'ana-1', event: 'Order Completed' },
          { type: 'track', userId: 'ana-1' },
        ],
      },
      basic,
    );
    expect(batch.body).toMatchObject({ success: true, stored: 1, rejected: [{ index: 1 }] });
    expect((await call('POST', '/v1/batch', { batch: [{ type: 'nope' }] }, basic)).status).toBe(400);
    expect((await call('POST', '/v1/track', { userId: 'ana-1' }, basic)).status).toBe(400);
    expect((await call('POST', '/v1/track', { userId: 'ana-1', event: 'x' })).status).toBe(401);
    expect(
      (
        await call(
          'POST',
          '/v1/track',
          { userId: 'ana-1', event: 'x', properties: { blob: 'x'.repeat(40_000) } },
          basic,
        )
      ).status,
    ).toBe(413);

    // Webhook source: issued, read, mapping changed and previewed; signed posts, a bad one, an unknown source.
    const mapping = { messageId: 'id', type: 'identify', identifiers: { email: 'email' }, traits: { name: 'name' } };
    const hook = await admin('POST', `/admin/sources/${source}/webhook`, { mapping });
    expect(hook.status).toBe(200);
    expect((await admin('GET', `/admin/sources/${source}/webhook`)).status).toBe(200);
    expect((await admin('PUT', `/admin/sources/${source}/webhook-mapping`, { mapping })).status).toBe(200);
    expect((await admin('PUT', `/admin/sources/${source}/webhook-mapping`, { mapping: { type: 'x' } })).status).toBe(
      400,
    );
    const preview = await admin('POST', `/admin/sources/${source}/webhook-mapping/preview`, {
      payload: [{ id: 1, email: 'rui@example.pt' }, { name: 'nobody' }],
    });
    expect(preview.body).toMatchObject({ calls: [{ index: 0 }], rejected: [{ index: 1 }] });
    const signedPost = async (payload: unknown, id = source) => {
      const raw = JSON.stringify(payload);
      const at = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${base}/v1/sources/${id}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-meridian-timestamp': at,
          'x-meridian-signature': `sha256=${webhookSignature(hook.body.secret, at, raw)}`,
        },
        body: raw,
      });
      return { status: res.status, body: await res.json() };
    };
    expect((await signedPost([{ id: 1, email: 'rui@example.pt' }, { name: 'nobody' }])).body).toMatchObject({
      success: true,
      stored: 1,
    });
    expect((await signedPost([{ name: 'nobody' }])).status).toBe(400);
    expect((await signedPost([{ id: 2, email: 'x@example.pt' }], 'src_00000000000000aa')).status).toBe(404);
    expect((await call('POST', `/v1/sources/${source}/webhook`, { id: 3 })).status).toBe(401);

    // Admin: identity rules, profiles, connectors, FX rates, legal holds, privacy requests.
    const rules = await admin('GET', '/admin/identity-rules');
    expect((await admin('PUT', '/admin/identity-rules', rules.body)).status).toBe(200);
    const found = await admin('POST', '/admin/profiles/lookup', { type: 'email', value: 'ana@example.pt' });
    expect(found.status).toBe(200);
    expect((await admin('GET', `/admin/profiles/${found.body.customerId}`)).status).toBe(200);
    expect((await admin('GET', '/admin/profiles/not-a-uuid')).status).toBe(400);
    const connector = await admin('POST', '/admin/connectors', {
      system: 'shopify',
      name: 'Lisbon Shopify',
      region: 'eu',
      settings: { shopUrl: 'https://lisbon-openapi.myshopify.com', timeZone: 'Europe/Lisbon' },
      credentials: { accessToken: 'shpat_openapi_test' },
    });
    expect(connector.status).toBe(201);
    expect((await admin('GET', '/admin/connectors?region=eu')).status).toBe(200);
    expect((await admin('GET', `/admin/connectors/${connector.body.id}/rejections?limit=5`)).status).toBe(200);
    expect((await admin('GET', `/admin/connectors/${connector.body.id}/rejections?limit=5000`)).status).toBe(400);
    expect(
      (
        await admin('PUT', '/admin/fx-rates/KWD', {
          source: 'Central Bank of Kuwait',
          rates: [{ date: '2025-03-14', perEur: '0.3354' }],
        })
      ).status,
    ).toBe(200);
    expect((await admin('GET', '/admin/fx-rates/KWD')).status).toBe(200);
    const hold = await admin('POST', '/admin/legal-holds', {
      customerId: found.body.customerId,
      region: 'eu',
      scope: 'orders',
      reason: 'tax audit',
    });
    expect(hold.status).toBe(201);
    expect((await admin('DELETE', `/admin/legal-holds/eu/${hold.body.id}`)).status).toBe(200);
    expect((await admin('GET', '/admin/privacy-requests')).status).toBe(200);

    // Privacy portal: file a request (JSON), a wrong code, an unknown request's status.
    const filed = await call('POST', '/privacy/requests', { type: 'access', email: 'ana@example.pt', country: 'PT' });
    expect(filed.status).toBe(202);
    expect((await call('POST', `/privacy/requests/${filed.body.requestId}/verify`, { code: 'abc' })).status).toBe(400);
    expect((await call('GET', `/privacy/requests/${filed.body.requestId}?token=forged`)).status).toBe(403);

    // Service.
    expect((await call('GET', '/health')).status).toBe(200);
    expect([200, 503]).toContain((await call('GET', '/ready')).status);
    expect((await call('GET', '/openapi.json')).status).toBe(200);

    const doc = (await call('GET', '/openapi.json')).body as Document;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const mismatches: string[] = [];
    for (const answer of answers) {
      const path = answer.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op = doc.paths[path]?.[answer.method];
      const response = op?.responses[String(answer.status)] ?? op?.responses.default;
      const schema = response?.content?.['application/json']?.schema;
      const where = `${answer.method.toUpperCase()} ${answer.route} ${answer.status}`;
      if (!schema) {
        mismatches.push(`${where}: no schema for this answer in the document`);
        continue;
      }
      const validate = ajv.compile(inline(schema, doc.components.schemas) as Schema);
      if (!validate(answer.body))
        mismatches.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    expect(mismatches).toEqual([]);
    // The answers checked span the APIs (a hook that saw nothing would pass the loop above).
    const routes = new Set(answers.map((a) => a.route));
    for (const route of [
      '/v1/batch',
      '/v1/track',
      '/admin/sources',
      '/admin/sources/:id',
      '/v1/sources/:id/webhook',
      '/admin/sources/:id/webhook-mapping/preview',
      '/admin/identity-rules',
      '/privacy/requests',
      '/privacy/requests/:id',
      '/ready',
    ]) {
      expect(routes).toContain(route);
    }
  });
});
