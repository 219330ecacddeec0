import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser, BrowserContext, chromium } from 'playwright-core';
import { Analytics as SegmentNode } from '@segment/analytics-node';
import RudderNode from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser } from '../support/browser';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { freePort } from '../support/ports';

/**
 * A web shop's pages with the real analytics.js (`@segment/analytics-next`) and RudderStack's
 * JavaScript SDK (v3), served from the shop's own origin, with only their CDN/config and API hosts
 * set to Meridian. Each page's anonymous page and track calls and its identify land on one profile.
 * Every request the browser makes goes to a local host: anything else is aborted and fails the test.
 * A page on an origin the source does not allow gets nothing through.
 */

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const ANALYTICS_NEXT_DIR = path.join(NODE_MODULES, '@segment/analytics-next/dist/umd');
const RUDDERSTACK_BUNDLE = path.join(NODE_MODULES, '@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js');

const SEGMENT_PAGE = `<!doctype html><html><head><title>Shop</title>
<script src="/vendor/analytics-next/index.js"></script>
<script>
  const q = new URLSearchParams(location.search);
  window.done = (async () => {
    // The brand's only change: the CDN its settings come from. The settings send events back to Meridian.
    const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({ writeKey: q.get('writeKey'), cdnURL: q.get('cdn') });
    await analytics.page('Home', { path: '/' });
    await analytics.track('Product Viewed', { sku: 'SKU-1', price: 19.9 });
    await analytics.identify(q.get('userId'), { email: q.get('email'), firstName: 'Mia' });
    return analytics.user().anonymousId();
  })();
</script></head><body>shop</body></html>`;

const RUDDERSTACK_PAGE = `<!doctype html><html><head><title>Shop</title>
<script src="/vendor/rudderstack/index.js"></script>
<script>
  const q = new URLSearchParams(location.search);
  const analytics = new rudderanalytics.RudderAnalytics();
  window.done = new Promise((resolve) => {
    // The brand's only change: the config URL and the data plane URL.
    analytics.load(q.get('writeKey'), q.get('meridian'), {
      configUrl: q.get('meridian'),
      logLevel: 'ERROR',
      ...(q.get('beacon') ? { useBeacon: true, beaconQueueOptions: { flushQueueInterval: 200 } } : {}),
    });
    analytics.ready(() => {
      analytics.page('Shop', 'Home', { path: '/' });
      analytics.track('Added to Cart', { sku: 'SKU-2' });
      analytics.identify(q.get('userId'), { email: q.get('email'), firstName: 'Noah' });
      resolve(analytics.getAnonymousId());
    });
  });
</script></head><body>shop</body></html>`;

/** The shop's own web server, on another origin than Meridian: its pages and the SDK bundles from node_modules. */
async function startShop(): Promise<{ server: Server; port: number }> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://shop');
    const send = (type: string, body: string | Buffer) => response.writeHead(200, { 'content-type': type }).end(body);
    try {
      if (url.pathname === '/segment.html') return send('text/html', SEGMENT_PAGE);
      if (url.pathname === '/rudderstack.html') return send('text/html', RUDDERSTACK_PAGE);
      if (url.pathname === '/vendor/rudderstack/index.js')
        return send('text/javascript', await readFile(RUDDERSTACK_BUNDLE));
      const file = /^\/vendor\/analytics-next\/([\w.-]+\.js)$/.exec(url.pathname)?.[1];
      if (file) return send('text/javascript', await readFile(path.join(ANALYTICS_NEXT_DIR, file)));
    } catch {
      // fall through to 404
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describeInBrowser('tracking SDKs in a browser', (chromiumPath) => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let browser: Browser;
  let shop: { server: Server; port: number };
  let shopOrigin: string;
  let source: { id: string; writeKey: string };

  beforeAll(async () => {
    const executablePath = chromiumPath(); // first: without a browser, fail before setting up
    const port = await freePort();
    // The public URL is where the SDK settings send the browser's events.
    d = await createTestDeployment('browser_sdks', { MERIDIAN_PUBLIC_URL: `http://127.0.0.1:${port}` });
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d, { port });
    shop = await startShop();
    shopOrigin = `http://127.0.0.1:${shop.port}`;
    source = await h.createSource('shop pages', 'eu', { kind: 'browser', allowedOrigins: [shopOrigin] });
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await d?.close();
    await new Promise((resolve) => shop?.server.close(resolve));
  });

  /**
   * A fresh browser profile whose requests may go to local hosts only; the rest are recorded and
   * aborted. `meridian` lists what the page asked of Meridian as "METHOD /path STATUS", where the
   * status is "blocked" when the browser gave the page no response (CORS). Preflights are not listed.
   */
  async function localOnlyContext(): Promise<{ context: BrowserContext; external: string[]; meridian: string[] }> {
    const context = await browser.newContext();
    const external: string[] = [];
    const meridian: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
      external.push(url.href);
      return route.abort();
    });
    const seen = (url: string, method: string, outcome: string) => {
      const { origin, pathname } = new URL(url);
      if (origin === h.base) meridian.push(`${method} ${pathname} ${outcome}`);
    };
    context.on('response', (response) => seen(response.url(), response.request().method(), String(response.status())));
    context.on('requestfailed', (request) => seen(request.url(), request.method(), 'blocked'));
    return { context, external, meridian };
  }

  const lookup = (type: string, value: string) => h.admin('POST', '/admin/profiles/lookup', { type, value });

  async function expectOneProfile(userId: string, anonymousId: string, events: string[]) {
    await eventually(
      async () => {
        const { status, body } = await lookup('user_id', userId);
        expect(status).toBe(200);
        expect(body.regions).toHaveLength(1);
        const part = body.regions[0];
        const identities = part.identities.map((i: any) => `${i.type}=${i.value}`);
        expect(identities).toEqual(expect.arrayContaining([`anonymous_id=${anonymousId}`, `user_id=${userId}`]));
        expect(part.recentEvents.map((e: any) => e.event ?? e.type).sort()).toEqual([...events].sort());
        // The anonymous calls made before identify are on the same profile.
        const byAnonymous = await lookup('anonymous_id', anonymousId);
        expect(byAnonymous.body.customerId).toBe(body.customerId);
      },
      60_000,
      300,
    );
  }

  it('analytics.js (analytics-next) with its CDN set to Meridian sends page, track and identify to one profile', async () => {
    const { context, external, meridian } = await localOnlyContext();
    const page = await context.newPage();
    const q = new URLSearchParams({
      writeKey: source.writeKey,
      cdn: h.base,
      userId: 'web-mia',
      email: 'mia@example.de',
    });
    await page.goto(`${shopOrigin}/segment.html?${q}`);
    const anonymousId = await page.evaluate(() => (globalThis as any).done as Promise<string>);
    expect(anonymousId).toMatch(/\w/);
    await expectOneProfile('web-mia', anonymousId, ['Home', 'Product Viewed', 'identify']);
    expect(meridian).toEqual(
      expect.arrayContaining([
        `GET /v1/projects/${source.writeKey}/settings 200`,
        'POST /v1/p 200',
        'POST /v1/t 200',
        'POST /v1/i 200',
      ]),
    );
    expect(external).toEqual([]);

    // navigator.sendBeacon posts text/plain with the key in the body.
    const sent = await page.evaluate(
      ([base, writeKey]) =>
        (globalThis as any).navigator.sendBeacon(
          `${base}/v1/batch`,
          JSON.stringify({ writeKey, batch: [{ type: 'track', userId: 'web-mia', event: 'Left Page' }] }),
        ),
      [h.base, source.writeKey] as const,
    );
    expect(sent).toBe(true);
    await eventually(
      async () => {
        const { body } = await lookup('user_id', 'web-mia');
        expect(body.regions[0].recentEvents.map((e: any) => e.event)).toContain('Left Page');
      },
      30_000,
      300,
    );

    // Nothing but the write routes is reachable from the page: the admin API answers no CORS.
    const adminReadable = await page.evaluate(
      ([base, token]) =>
        fetch(`${base}/admin/sources`, { headers: { authorization: `Bearer ${token}` } }).then(
          () => true,
          () => false,
        ),
      [h.base, h.adminToken] as const,
    );
    expect(adminReadable).toBe(false);
    await context.close();
  }, 120_000);

  it("RudderStack's JavaScript SDK with its config and data plane URLs set to Meridian sends page, track and identify to one profile", async () => {
    const { context, external, meridian } = await localOnlyContext();
    const page = await context.newPage();
    const q = new URLSearchParams({
      writeKey: source.writeKey,
      meridian: h.base,
      userId: 'web-noah',
      email: 'noah@example.de',
    });
    await page.goto(`${shopOrigin}/rudderstack.html?${q}`);
    const anonymousId = await page.evaluate(() => (globalThis as any).done as Promise<string>);
    await expectOneProfile('web-noah', anonymousId, ['Home', 'Added to Cart', 'identify']);
    expect(meridian).toEqual(
      expect.arrayContaining([
        'GET /sourceConfig/ 200',
        'POST /v1/page 200',
        'POST /v1/track 200',
        'POST /v1/identify 200',
      ]),
    );
    expect(external).toEqual([]);
    await context.close();
  }, 120_000);

  it("RudderStack's JavaScript SDK in beacon mode (navigator.sendBeacon) lands on one profile too", async () => {
    const { context, external } = await localOnlyContext();
    const posted: string[] = [];
    context.on('request', (request) => {
      if (request.method() === 'POST') posted.push(new URL(request.url()).pathname);
    });
    const page = await context.newPage();
    const q = new URLSearchParams({
      writeKey: source.writeKey,
      meridian: h.base,
      userId: 'web-ella',
      email: 'ella@example.de',
      beacon: '1',
    });
    await page.goto(`${shopOrigin}/rudderstack.html?${q}`);
    const anonymousId = await page.evaluate(() => (globalThis as any).done as Promise<string>);
    await expectOneProfile('web-ella', anonymousId, ['Home', 'Added to Cart', 'identify']);
    expect(new Set(posted)).toEqual(new Set(['/beacon/v1/batch']));
    expect(external).toEqual([]);
    await context.close();
  }, 120_000);

  it('refuses a page on an origin the source does not allow: nothing it sends is stored', async () => {
    const { context, meridian } = await localOnlyContext();
    const page = await context.newPage();
    // Same shop server, another origin (localhost is not 127.0.0.1).
    const stranger = `http://localhost:${shop.port}`;
    await page.goto(
      `${stranger}/segment.html?${new URLSearchParams({ writeKey: source.writeKey, cdn: h.base, userId: 'web-stranger', email: 'x@example.de' })}`,
    );
    const loaded = await page.evaluate(() =>
      ((globalThis as any).done as Promise<string>).then(
        () => true,
        () => false,
      ),
    );
    expect(loaded).toBe(false);
    // Even a call the browser sends without preflight (text/plain) reaches the server; it is refused
    // there (403, tracking-sdks integration test) and stored nowhere, not merely hidden from the page.
    const delivered = await page.evaluate(
      ([base, writeKey]) =>
        fetch(`${base}/v1/t`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ writeKey, userId: 'web-stranger', event: 'Sneaky' }),
        }).then(
          () => true,
          () => false,
        ),
      [h.base, source.writeKey] as const,
    );
    expect(delivered).toBe(false);
    expect(meridian).toEqual(
      expect.arrayContaining([`GET /v1/projects/${source.writeKey}/settings blocked`, 'POST /v1/t blocked']),
    );
    expect((await lookup('user_id', 'web-stranger')).status).toBe(404);
    await context.close();
  }, 120_000);

  it('all four SDKs (Segment and RudderStack, Node and browser, defaults) deliver to one merged profile', async () => {
    const backEnd = await h.createSource('shop back end', 'eu');
    const userId = 'shopper-42';
    const email = 'lena.vogel@example.de';
    // The back end first: the person exists before the pages say who they are.
    const segmentNode = new SegmentNode({ writeKey: backEnd.writeKey, host: h.base });
    segmentNode.identify({ userId, traits: { email, lastName: 'Vogel' } });
    await segmentNode.closeAndFlush();
    const rudderNode = new RudderNode(backEnd.writeKey, { dataPlaneUrl: h.base });
    rudderNode.track({ userId, event: 'Order Shipped', properties: { orderId: 'o-1' } });
    await rudderNode.flush();

    const anonymousIds: string[] = [];
    // Pages stay open until the end: RudderStack's SDK sends from a queue after its calls return.
    const contexts: BrowserContext[] = [];
    const externals: string[][] = [];
    for (const [file, params] of [
      ['segment.html', { cdn: h.base }],
      ['rudderstack.html', { meridian: h.base }],
    ] as const) {
      const { context, external } = await localOnlyContext();
      const page = await context.newPage();
      await page.goto(
        `${shopOrigin}/${file}?${new URLSearchParams({ writeKey: source.writeKey, userId, email, ...params })}`,
      );
      anonymousIds.push(await page.evaluate(() => (globalThis as any).done as Promise<string>));
      contexts.push(context);
      externals.push(external);
    }

    await eventually(
      async () => {
        const { status, body } = await lookup('user_id', userId);
        expect(status).toBe(200);
        const part = body.regions[0];
        expect(part.identities.map((i: any) => `${i.type}=${i.value}`).sort()).toEqual(
          [...anonymousIds.map((a) => `anonymous_id=${a}`), `email=${email}`, `user_id=${userId}`].sort(),
        );
        for (const anonymousId of anonymousIds)
          expect((await lookup('anonymous_id', anonymousId)).body.customerId).toBe(body.customerId);
        expect(part.recentEvents.map((e: any) => e.event ?? e.type).sort(), JSON.stringify(part.recentEvents)).toEqual(
          [
            'identify',
            'Order Shipped',
            'Home',
            'Product Viewed',
            'identify',
            'Home',
            'Added to Cart',
            'identify',
          ].sort(),
        );
      },
      60_000,
      300,
    );
    expect(externals.flat()).toEqual([]);
    await Promise.all(contexts.map((c) => c.close()));
  }, 120_000);
});
