import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * A brand switches its server-side tracking to Meridian by changing one host: RudderStack's and
 * Segment's Node SDKs with their default options (RudderStack gzips every batch and labels it
 * application/x-www-form-urlencoded) land on one profile. Compressed bodies are limited after
 * decompression; browsers reach only the write routes, and only from a source's own origins.
 */

const SHOP = 'https://shop.example.de';

/** Gzips the parts without ever holding them inflated in one buffer. */
async function gzipStream(parts: Buffer[]): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  for (const part of parts) if (!gzip.write(part)) await new Promise((resolve) => gzip.once('drain', resolve));
  gzip.end();
  await done;
  return Buffer.concat(out);
}
const OTHER_SHOP = 'https://other-brand.example.com';

describe('tracking SDKs and the HTTP edges they need', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let server: { id: string; writeKey: string };
  let browser: { id: string; writeKey: string };

  beforeAll(async () => {
    d = await createTestDeployment('sdks', { MERIDIAN_PUBLIC_URL: 'https://cdp.example.com/meridian/' });
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d);
    server = await h.createSource('shop back end', 'eu');
    browser = await h.createSource('shop pages', 'eu', { kind: 'browser', allowedOrigins: [SHOP] });
    await h.createSource('other brand pages', 'eu', { kind: 'browser', allowedOrigins: [OTHER_SHOP] });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  const lookup = (type: string, value: string) => h.admin('POST', '/admin/profiles/lookup', { type, value });
  const raw = (path: string, body: Buffer | string, headers: Record<string, string>, method = 'POST') =>
    fetch(`${h.base}${path}`, { method, headers, ...(method === 'GET' || method === 'OPTIONS' ? {} : { body }) });
  const json = (res: Response): Promise<any> => res.json();
  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  it('takes the RudderStack Node SDK (gzip by default) and the Segment Node SDK, and merges what they send into one profile', async () => {
    const errors: unknown[] = [];
    // Defaults unchanged: only the data plane URL points at Meridian.
    const rudder = new RudderAnalytics(server.writeKey, {
      dataPlaneUrl: h.base,
      errorHandler: (e: unknown) => errors.push(e),
    });
    const segment = new SegmentAnalytics({ writeKey: server.writeKey, host: h.base });

    segment.identify({ userId: 'crm-7', traits: { email: 'Greta.Hansen@example.de', firstName: 'Greta' } });
    segment.track({ userId: 'crm-7', event: 'Order Completed', properties: { total: 89.5, currency: 'EUR' } });
    await segment.closeAndFlush();
    rudder.track({ anonymousId: 'rs-anon-1', event: 'Product Viewed', properties: { sku: 'SKU-9' } });
    rudder.identify({ anonymousId: 'rs-anon-1', traits: { email: 'greta.hansen@example.de', city: 'Kiel' } });
    await rudder.flush();
    expect(errors).toEqual([]);

    await eventually(
      async () => {
        const { status, body } = await lookup('user_id', 'crm-7');
        expect(status).toBe(200);
        const part = body.regions[0];
        expect(part.identities.map((i: any) => `${i.type}=${i.value}`).sort()).toEqual([
          'anonymous_id=rs-anon-1',
          'email=greta.hansen@example.de',
          'user_id=crm-7',
        ]);
        expect(part.recentEvents.map((e: any) => e.event ?? e.type).sort()).toEqual([
          'Order Completed',
          'Product Viewed',
          'identify',
          'identify',
        ]);
        expect(part.traits.city.value).toBe('Kiel');
        expect(part.traits.firstName.value).toBe('Greta');
      },
      60_000,
      300,
    );
  });

  it('takes deflate bodies, and gzip on the single-call routes', async () => {
    const call = { userId: 'deflate-user', event: 'Deflated', writeKey: server.writeKey };
    const deflated = await raw('/v1/track', deflateSync(JSON.stringify(call)), {
      'content-type': 'application/json',
      'content-encoding': 'deflate',
    });
    expect(deflated.status).toBe(200);
    const gzipped = await raw('/v1/t', gzipSync(JSON.stringify({ ...call, event: 'Gzipped' })), {
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
    });
    expect(gzipped.status).toBe(200);
    await eventually(async () => {
      const { body } = await lookup('user_id', 'deflate-user');
      expect(body.regions[0].recentEvents.map((e: any) => e.event).sort()).toEqual(['Deflated', 'Gzipped']);
    });
  });

  it('refuses a gzip compression bomb with 413 after reading no more than the limit', async () => {
    // A valid batch padded with 200 MB of JSON whitespace: about 200 KB gzipped, under the 500 KB
    // batch limit on the wire, far over it inflated.
    const item = JSON.stringify({ type: 'track', userId: 'bomb-user', event: 'Bomb' });
    const spaces = Buffer.alloc(1024 * 1024, ' ');
    const bomb = await gzipStream([
      Buffer.from(`{"batch":[${item}`),
      ...Array.from({ length: 200 }, () => spaces),
      Buffer.from(']}'),
    ]);
    expect(bomb.length).toBeLessThan(500 * 1024);
    const memoryBefore = process.memoryUsage().rss;
    const res = await raw('/v1/batch', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: basic(server.writeKey),
    });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/limit is 512000 bytes per batch \(after decompression\)/);
    // The server read at most the limit: nowhere near the 200 MB it would inflate to.
    expect(process.memoryUsage().rss - memoryBefore).toBeLessThan(100 * 1024 * 1024);
    expect((await lookup('user_id', 'bomb-user')).status).toBe(404);
    // The same for a single call over 32 KB once inflated.
    const big = gzipSync(
      JSON.stringify({ userId: 'bomb-user', event: 'Big', properties: { pad: 'x'.repeat(64 * 1024) } }),
    );
    const single = await raw('/v1/track', big, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: basic(server.writeKey),
    });
    expect(single.status).toBe(413);
  });

  it('refuses an unsupported Content-Encoding with 415 naming the supported ones, and corrupt gzip with 400', async () => {
    const body = JSON.stringify({ userId: 'br-user', event: 'Brotli' });
    const br = await raw('/v1/track', body, {
      'content-type': 'application/json',
      'content-encoding': 'br',
      authorization: basic(server.writeKey),
    });
    expect(br.status).toBe(415);
    expect((await json(br)).error).toMatch(/"br" is not supported.*gzip or deflate/);
    const corrupt = await raw('/v1/track', Buffer.from('not gzip at all'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: basic(server.writeKey),
    });
    expect(corrupt.status).toBe(400);
    expect((await json(corrupt)).error).toMatch(/not valid gzip/);
    const xml = await raw('/v1/track', body, {
      'content-type': 'application/xml',
      authorization: basic(server.writeKey),
    });
    expect(xml.status).toBe(415);
    expect((await json(xml)).error).toMatch(/application\/json, text\/plain/);
    // A body that is never read (its media type is refused) and fails to inflate breaks nothing.
    const unread = await raw('/v1/track', Buffer.from('not gzip either'), {
      'content-type': 'application/xml',
      'content-encoding': 'gzip',
      authorization: basic(server.writeKey),
    });
    expect(unread.status).toBe(415);
    const settings = await raw(`/v1/projects/${server.writeKey}/settings`, '', { 'content-encoding': 'gzip' }, 'GET');
    expect(settings.status).toBe(200);
    expect(
      (
        await raw('/v1/track', JSON.stringify({ userId: 'still-up', event: 'Up' }), {
          'content-type': 'application/json',
          authorization: basic(server.writeKey),
        })
      ).status,
    ).toBe(200);
  });

  it('answers analytics.js settings pointing back at Meridian, RudderStack source config, and 404 for an unknown key', async () => {
    const settings = await raw(`/v1/projects/${browser.writeKey}/settings`, '', { origin: SHOP }, 'GET');
    expect(settings.status).toBe(200);
    expect(settings.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(settings.headers.get('cache-control')).toBe('public, max-age=60');
    const body = await json(settings);
    expect(body.integrations['Segment.io']).toMatchObject({
      apiKey: browser.writeKey,
      apiHost: 'cdp.example.com/meridian/v1',
      protocol: 'https',
    });
    expect(body.metrics.sampleRate).toBe(0);
    expect(JSON.stringify(body)).not.toContain(server.writeKey);

    const unknown = await raw('/v1/projects/wk_nobody/settings', '', {}, 'GET');
    expect(unknown.status).toBe(404);

    const config = await raw(
      `/sourceConfig/?p=npm&v=3.34.1&writeKey=${browser.writeKey}&lockIntegrationsVersion=true`,
      '',
      { origin: SHOP },
      'GET',
    );
    expect(config.status).toBe(200);
    expect(await json(config)).toMatchObject({ source: { id: browser.id, enabled: true, destinations: [] } });
    expect((await raw('/sourceConfig/?writeKey=wk_nobody', '', {}, 'GET')).status).toBe(404);
  });

  it('answers a preflight only for an origin some source allows, and only on the tracking routes', async () => {
    const ask = (path: string, origin: string) =>
      raw(
        path,
        '',
        {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,anonymousid,content-type',
        },
        'OPTIONS',
      );
    const ok = await ask('/v1/track', SHOP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization, content-type, anonymousid');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();

    const stranger = await ask('/v1/track', 'https://attacker.example.net');
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

    for (const path of ['/admin/sources', '/admin/profiles/lookup', '/privacy/requests']) {
      const admin = await ask(path, SHOP);
      expect(admin.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const adminGet = await fetch(`${h.base}/admin/sources`, {
      headers: { origin: SHOP, authorization: `Bearer ${h.adminToken}` },
    });
    expect(adminGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("refuses a call from an origin not on the source's own list (another brand's origin included) and stores nothing", async () => {
    const send = (origin: string, key: string, userId: string) =>
      raw('/v1/track', JSON.stringify({ writeKey: key, userId, event: 'Cross origin' }), {
        'content-type': 'text/plain',
        origin,
      });
    // Allowed for some other source: the preflight passes, the call does not.
    const other = await send(OTHER_SHOP, browser.writeKey, 'cors-other');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await json(other)).error).toMatch(/may not send with this write key/);
    // A server key is not for pages at all.
    expect((await send(SHOP, server.writeKey, 'cors-server')).status).toBe(403);
    expect((await send('null', browser.writeKey, 'cors-opaque')).status).toBe(403);

    const allowed = await send(SHOP, browser.writeKey, 'cors-allowed');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    await eventually(async () => expect((await lookup('user_id', 'cors-allowed')).status).toBe(200));
    for (const userId of ['cors-other', 'cors-server', 'cors-opaque'])
      expect((await lookup('user_id', userId)).status).toBe(404);

    // Settings for a page elsewhere are refused too.
    expect((await raw(`/v1/projects/${browser.writeKey}/settings`, '', { origin: OTHER_SHOP }, 'GET')).status).toBe(
      403,
    );
  });
});
