import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { upsertFxDays } from '../../db/fx-rates-store';
import { webhookSignature } from '../../domain/webhook-mapping';
import { readFxHistory } from '../../scripts/fx-import';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { bearerCaller } from '../support/admin-api';

/**
 * A webhook source end to end on the real web app and PostgreSQL: a POS posts signed JSON to
 * /v1/sources/:id/webhook, its mapping turns records into tracking calls stored in the source's
 * region through the tracking API's writer. Refused: a wrong signature, a stale timestamp, a
 * rotated-out secret. A payload with one bad record stores the others and names the bad one by
 * index and path; a payload sent again is stored once.
 */

const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;
const US_TOKEN = `us-only-${'u'.repeat(24)}`;

const POS_MAPPING = {
  records: 'sales',
  messageId: 'receiptNo',
  type: 'track',
  event: { value: 'Order Completed' },
  userId: 'member.id',
  identifiers: { email: 'member.email', line_user: 'member.line' },
  traits: { firstName: 'member.firstName' },
  properties: { total: 'amount', currency: 'currency', store: 'storeCode' },
  timestamp: 'soldAt',
} as const;

describe('webhook source', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  let sourceId: string;
  let secret: string;

  const admin = bearerCaller(() => base);

  /** Posts as a sender does: the raw body signed with `key` at `at` (Unix seconds). */
  const post = async (
    payload: unknown,
    options: { key?: string; at?: number; signature?: string; id?: string } = {},
  ) => {
    const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const at = String(options.at ?? Math.floor(Date.now() / 1000));
    const res = await fetch(`${base}/v1/sources/${options.id ?? sourceId}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-meridian-timestamp': at,
        'x-meridian-signature': options.signature ?? `sha256=${webhookSignature(options.key ?? secret, at, raw)}`,
      },
      body: raw,
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  const events = async () =>
    d.regional('eu').sql<{ message_id: string; customer_id: string; event: string }[]>`
      select message_id, customer_id::text, event from events where source_id = ${sourceId} order by message_id`;

  const sale = (receiptNo: string, email: string, extra: Record<string, unknown> = {}) => ({
    receiptNo,
    amount: 4200,
    currency: 'EUR',
    storeCode: 'BER-01',
    soldAt: '2025-05-09T10:15:00+02:00',
    member: { id: `m-${email.split('@')[0]}`, email, firstName: 'Greta', line: 'U77aa' },
    ...extra,
  });

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('webhook', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us,${EU_TOKEN}:eu`,
      MERIDIAN_REPORTING_CURRENCY: 'USD',
    });
    await d.global().sql`select 1`;
    await upsertFxDays(d.global().sql, readFxHistory(), 'ecb');
    await upsertFxDays(
      d.global().sql,
      [{ date: '2025-03-14', rates: { VND: '27845.5' } }],
      'test fixture: VND per EUR',
    );
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const created = await admin(allToken, 'POST', '/admin/sources', {
      name: 'Berlin POS',
      region: 'eu',
      kind: 'server',
    });
    sourceId = created.body.source.id;
    const issued = await admin(EU_TOKEN, 'POST', `/admin/sources/${sourceId}/webhook`, { mapping: POS_MAPPING });
    expect(issued.status, issued.text).toBe(200);
    secret = issued.body.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(issued.body.webhook).toMatchObject({ url: `/v1/sources/${sourceId}/webhook`, secretHint: secret.slice(-4) });
  }, 120_000);
  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it('shows the secret only when issued, and keeps it sealed, not in plain text', async () => {
    const shown = await admin(EU_TOKEN, 'GET', `/admin/sources/${sourceId}/webhook`);
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain(secret);
    expect(shown.body.webhook.mapping).toEqual(POS_MAPPING);
    const [row] = await d.global().sql<{ sealed: Buffer }[]>`
      select webhook_secret_sealed as sealed from sources where id = ${sourceId}`;
    expect(row!.sealed.includes(Buffer.from(secret))).toBe(false);
    expect(row!.sealed.includes(Buffer.from(secret.slice(6, 30)))).toBe(false);
  });

  it('refuses a wrong signature, a missing one, a stale or future timestamp, and an unknown source (nothing stored)', async () => {
    const payload = { sales: [sale('R-0', 'nobody@example.de')] };
    const wrong = await post(payload, { key: 'whsec_not-the-secret' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/X-Meridian-Signature does not match/);
    const tampered = await post(payload, { signature: `sha256=${'0'.repeat(64)}` });
    expect(tampered.status).toBe(401);
    const missing = await post(payload, { signature: '' });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/X-Meridian-Signature is missing/);
    // Signed correctly, but six minutes ago: a replay.
    const stale = await post(payload, { at: Math.floor(Date.now() / 1000) - 360 });
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatch(/X-Meridian-Timestamp is 36\d s old; at most 300 s/);
    const ahead = await post(payload, { at: Math.floor(Date.now() / 1000) + 400 });
    expect(ahead.status).toBe(401);
    const unknown = await post(payload, { id: 'src_00000000000000ff' });
    expect(unknown.status).toBe(404);
    expect(await events()).toHaveLength(0);
  });

  it('stores the good records of a payload with a bad one, naming the bad one by index and path', async () => {
    const payload = {
      sales: [
        sale('R-1', 'greta@example.de'),
        { ...sale('R-2', 'x@example.de'), member: { firstName: 'Anon' } },
        sale('R-3', 'jonas@example.de'),
        sale('R-4', 'lena@example.de', { soldAt: 'yesterday' }),
      ],
    };
    const res = await post(payload);
    expect(res.status, res.text).toBe(200);
    expect(res.body.stored).toBe(2);
    expect(res.body.rejected).toHaveLength(2);
    expect(res.body.rejected[0]).toEqual({
      index: 1,
      reason: 'member.id, member.email, member.line: none is present; a record must say who it is about',
    });
    expect(res.body.rejected[1].index).toBe(3);
    expect(res.body.rejected[1].reason).toMatch(/^mapped record: .*timestamp/);
    const stored = await events();
    expect(stored.map((e) => [e.message_id, e.event])).toEqual([
      ['webhook:R-1', 'Order Completed'],
      ['webhook:R-3', 'Order Completed'],
    ]);
    // The person resolves through One ID in the source's region: the LINE ID and the email are theirs.
    const ids = await d.regional('eu').sql<{ type: string; customer_id: string }[]>`
      select type, customer_id::text from identities where source_id = ${sourceId} order by type`;
    const greta = stored[0]!.customer_id;
    expect(ids.filter((i) => i.customer_id === greta).map((i) => i.type)).toEqual(['email', 'line_user', 'user_id']);
    for (const other of ['us', 'apac'])
      expect((await d.regional(other).sql`select 1 from events where source_id = ${sourceId}`).length).toBe(0);
  });

  it('stores a payload sent again once (the message ID path), and one with every record bad is a 400', async () => {
    const payload = { sales: [sale('R-10', 'paul@example.de'), sale('R-11', 'paula@example.de')] };
    expect((await post(payload)).status).toBe(200);
    const before = (await events()).length;
    // Re-sent a second later (a retry after a timeout): signed again, same records.
    const again = await post(payload, { at: Math.floor(Date.now() / 1000) + 1 });
    expect(again.status).toBe(200);
    expect((await events()).length).toBe(before);
    const bad = await post({ sales: [{ amount: 1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      success: false,
      error: 'no record in the payload could be stored',
      rejected: [{ index: 0, reason: expect.stringMatching(/^receiptNo: is required/) }],
    });
    const notJson = await post('{"sales": [');
    expect(notJson.status).toBe(400);
    const notList = await post({ sales: { receiptNo: 'x' } });
    expect(notList.status).toBe(400);
    expect(notList.body.error).toMatch(/^sales: must be the list of records/);
  });

  it('applies the tracking API limits: more records than a batch takes is refused whole', async () => {
    const many = { sales: Array.from({ length: 2_501 }, (_, i) => ({ receiptNo: `L-${i}`, member: { id: `m${i}` } })) };
    const res = await post(many);
    expect([400, 413]).toContain(res.status);
    expect(res.body.success).toBe(false);
    expect((await events()).some((e) => e.message_id.startsWith('webhook:L-'))).toBe(false);
  });

  it('previews a mapping against a sample payload without storing anything', async () => {
    const before = (await events()).length;
    const res = await admin(EU_TOKEN, 'POST', `/admin/sources/${sourceId}/webhook-mapping/preview`, {
      mapping: { ...POS_MAPPING, type: 'identify', event: undefined, properties: undefined },
      payload: { sales: [sale('P-1', 'preview@example.de'), { receiptNo: 'P-2' }] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.calls).toHaveLength(1);
    expect(res.body.calls[0]).toMatchObject({
      index: 0,
      call: {
        type: 'identify',
        messageId: 'webhook:P-1',
        userId: 'm-preview',
        traits: { email: 'preview@example.de', firstName: 'Greta' },
        context: { externalIds: [{ id: 'U77aa', type: 'line_user', encoding: 'none', collection: 'users' }] },
      },
    });
    expect(res.body.rejected).toEqual([
      { index: 1, reason: 'member.id, member.email, member.line: none is present; a record must say who it is about' },
    ]);
    // The stored mapping previews when none is sent.
    const stored = await admin(EU_TOKEN, 'POST', `/admin/sources/${sourceId}/webhook-mapping/preview`, {
      payload: { sales: [sale('P-3', 'p3@example.de')] },
    });
    expect(stored.body.calls[0].call).toMatchObject({ type: 'track', event: 'Order Completed' });
    const badMapping = await admin(EU_TOKEN, 'PUT', `/admin/sources/${sourceId}/webhook-mapping`, {
      mapping: { type: 'track', messageId: 'id', identifiers: { fax: 'fax' } },
    });
    expect(badMapping.status).toBe(400);
    expect(badMapping.body.error).toMatch(
      /^mapping\.identifiers\.fax: must be email, phone or a platform identifier type/,
    );
    expect((await events()).length).toBe(before);
  });

  it('keeps region-scoped tokens to their regions on every webhook admin route', async () => {
    for (const [method, url, body] of [
      ['POST', `/admin/sources/${sourceId}/webhook`, {}],
      ['GET', `/admin/sources/${sourceId}/webhook`, undefined],
      ['PUT', `/admin/sources/${sourceId}/webhook-mapping`, { mapping: POS_MAPPING }],
      ['POST', `/admin/sources/${sourceId}/webhook-mapping/preview`, { payload: { sales: [] } }],
    ] as const) {
      const res = await admin(US_TOKEN, method, url, body);
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.error).toMatch(/may not .* in region eu \(it covers us\)/);
      expect(res.text).not.toContain('whsec_');
    }
    // The secret still works: nothing was rotated by the refused calls.
    expect((await post({ sales: [sale('S-1', 'scope@example.de')] })).status).toBe(200);
  });

  it('rotates the secret: the old one is refused at once, the new one accepted', async () => {
    const rotated = await admin(EU_TOKEN, 'POST', `/admin/sources/${sourceId}/webhook`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(secret);
    expect(rotated.body.webhook.mapping).toEqual(POS_MAPPING);
    const old = await post({ sales: [sale('T-1', 'rot@example.de')] });
    expect(old.status).toBe(401);
    secret = rotated.body.secret;
    expect((await post({ sales: [sale('T-1', 'rot@example.de')] })).status).toBe(200);
  });

  it('stores orders with exact reporting amounts (IDR, VND), the buyer one customer with their identify, once', async () => {
    const created = await admin(allToken, 'POST', '/admin/sources', {
      name: 'SEA POS',
      region: 'apac',
      kind: 'server',
    });
    const sea = created.body.source.id as string;
    const identify = {
      type: 'identify',
      messageId: 'eventId',
      identifiers: { email: 'email' },
      traits: { firstName: 'name' },
    };
    const orderMapping = {
      records: 'orders',
      messageId: 'eventId',
      type: 'order',
      identifiers: { email: 'buyer.email', phone: 'buyer.phone' },
      order: {
        id: 'no',
        total: 'grandTotal',
        currency: 'ccy',
        placedAt: 'at',
        timeZone: 'tz',
        status: 'state',
        lineItems: 'lines',
      },
    };
    const issued = await admin(allToken, 'POST', `/admin/sources/${sea}/webhook`, { mapping: identify });
    const key = issued.body.secret as string;
    const first = await post([{ eventId: 'i-1', email: 'dewi@example.co.id', name: 'Dewi' }], { id: sea, key });
    expect(first.status, first.text).toBe(200);
    expect(
      (await admin(allToken, 'PUT', `/admin/sources/${sea}/webhook-mapping`, { mapping: orderMapping })).status,
    ).toBe(200);
    const payload = {
      orders: [
        {
          eventId: 'o-1',
          no: 'JKT-1',
          grandTotal: '2500000',
          ccy: 'IDR',
          at: '2025-03-14T10:00:00+07:00',
          tz: 'Asia/Jakarta',
          state: 'completed',
          lines: [{}, {}],
          buyer: { email: 'dewi@example.co.id' },
        },
        {
          eventId: 'o-2',
          no: 'HCM-1',
          grandTotal: 1250000,
          ccy: 'VND',
          at: '2025-03-14T10:00:00+07:00',
          tz: 'Asia/Ho_Chi_Minh',
          buyer: { phone: '+84901234567' },
        },
        {
          eventId: 'o-3',
          no: 'HCM-2',
          grandTotal: '10.5',
          ccy: 'VND',
          at: '2025-03-14T10:00:00+07:00',
          tz: 'Asia/Ho_Chi_Minh',
          buyer: { phone: '+84901234568' },
        },
      ],
    };
    const res = await post(payload, { id: sea, key });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      success: true,
      stored: 2,
      rejected: [{ index: 2, reason: 'grandTotal: VND has 0 decimal places; 10.5 has 1' }],
    });
    // Sent again: stored once.
    expect((await post(payload, { id: sea, key, at: Math.floor(Date.now() / 1000) + 1 })).status).toBe(200);
    const rows = await d.regional('apac').sql<
      {
        external_id: string;
        customer_id: string;
        total_minor: string;
        reporting_total_minor: string;
        local_date: string;
        status: string;
        line_item_count: number;
      }[]
    >`select external_id, customer_id::text, total_minor::text, reporting_total_minor::text,
             to_char(local_date, 'YYYY-MM-DD') as local_date, status, line_item_count
      from orders where source_id = ${sea} order by external_id`;
    // 2,500,000 IDR (250000000 sen) ÷ 17811.63 × 1.0889 = 152.84 USD; 1,250,000 VND ÷ 27845.5 × 1.0889 = 48.88 USD
    expect(
      rows.map((r) => [
        r.external_id,
        r.total_minor,
        r.reporting_total_minor,
        r.local_date,
        r.status,
        r.line_item_count,
      ]),
    ).toEqual([
      ['HCM-1', '1250000', '4888', '2025-03-14', 'open', 0],
      ['JKT-1', '250000000', '15284', '2025-03-14', 'closed', 2],
    ]);
    // Dewi's identify and her order are one customer.
    const [dewi] = await d.regional('apac').sql<{ customer_id: string }[]>`
      select customer_id::text from events where source_id = ${sea} and message_id = 'webhook:i-1'`;
    expect(rows.find((r) => r.external_id === 'JKT-1')!.customer_id).toBe(dewi!.customer_id);
    expect(rows.find((r) => r.external_id === 'HCM-1')!.customer_id).not.toBe(dewi!.customer_id);
  });

  it('documents the webhook and its admin routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, any> };
    const hook = doc.paths['/v1/sources/{id}/webhook']?.post;
    expect(hook).toBeDefined();
    expect(Object.keys(hook.responses)).toEqual(expect.arrayContaining(['200', '401', '404', '413']));
    expect(JSON.stringify(hook.parameters)).toContain('x-meridian-signature');
    for (const path of [
      '/admin/sources/{id}/webhook',
      '/admin/sources/{id}/webhook-mapping',
      '/admin/sources/{id}/webhook-mapping/preview',
    ])
      expect(doc.paths[path], path).toBeDefined();
    const preview = doc.paths['/admin/sources/{id}/webhook-mapping/preview'].post;
    expect(JSON.stringify(preview.requestBody)).toContain('messageId');
  });
});
