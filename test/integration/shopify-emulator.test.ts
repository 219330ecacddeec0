import { afterEach, describe, expect, it } from 'vitest';
import { parseAmount } from '../../domain/money';
import { ShopifyEmulator, ShopifyEmulatorOptions, startShopifyEmulator } from '../emulators/shopify';

/**
 * The Shopify emulator is only worth having if it behaves as Shopify documents: these tests drive it
 * with plain fetch, the way a sync client would, and check what such a client would have to cope with.
 */

const TOKEN = 'shpat_meridian_emulator_test';
const NOW = new Date('2025-05-09T05:03:00Z'); // 14:03 in Tokyo
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';

type Json = Record<string, unknown>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Shopify Admin REST emulator', () => {
  let shopify: ShopifyEmulator | undefined;

  afterEach(async () => {
    await shopify?.close();
    shopify = undefined;
  });

  async function start(options: Partial<ShopifyEmulatorOptions> = {}): Promise<ShopifyEmulator> {
    shopify = await startShopifyEmulator({ accessToken: TOKEN, now: () => NOW, ...options });
    return shopify;
  }

  function call(path: string, init: { token?: string | null; signal?: AbortSignal } = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `${shopify!.baseUrl}${path}`;
    const token = init.token === undefined ? TOKEN : init.token;
    return fetch(url, { headers: token === null ? {} : { 'X-Shopify-Access-Token': token }, signal: init.signal });
  }

  const link = (response: Response, rel: 'next' | 'previous'): string | undefined =>
    new RegExp(`<([^>]+)>; rel="${rel}"`).exec(response.headers.get('link') ?? '')?.[1];

  /** Follows rel="next" from the first page to the last, as a client does. */
  async function walk(resource: 'customers' | 'orders', query: string): Promise<{ records: Json[]; pages: number }> {
    const records: Json[] = [];
    let url: string | undefined = `/admin/api/2024-10/${resource}.json?${query}`;
    let pages = 0;
    while (url) {
      const response = await call(url);
      expect(response.status, `${url}: ${await response.clone().text()}`).toBe(200);
      records.push(...((await response.json()) as Record<string, Json[]>)[resource]!);
      pages++;
      url = link(response, 'next');
    }
    return { records, pages };
  }

  const ids = (records: Json[]) => records.map((r) => r.id as number);

  it('walks every customer page by the Link header, each record once, in id order', async () => {
    await start();
    shopify!.seed({ customers: 123, orders: 0, seed: 7 });

    const first = await call('/admin/api/2024-10/customers.json');
    expect(((await first.json()) as { customers: Json[] }).customers).toHaveLength(50); // Shopify's default limit
    expect(first.headers.get('x-shopify-shop-api-call-limit')).toBe('1/40');
    expect(link(first, 'previous')).toBeUndefined();

    const { records, pages } = await walk('customers', 'limit=10');
    expect(pages).toBe(13);
    expect(new Set(ids(records)).size).toBe(123);
    expect(ids(records)).toEqual([...ids(records)].sort((a, b) => a - b));
    // `fields` trims each record and travels in the Link header with `limit`.
    const slim = await walk('customers', 'limit=100&fields=id,updated_at');
    expect(ids(slim.records)).toEqual(ids(records));
    expect(slim.records.every((r) => Object.keys(r).join() === 'id,updated_at')).toBe(true);
    const counted = (await (await call('/admin/api/2024-10/customers/count.json')).json()) as { count: number };
    expect(counted.count).toBe(123);

    // rel="previous" leads back to exactly the page before.
    const page1 = await call('/admin/api/2024-10/customers.json?limit=10');
    expect(new URL(link(page1, 'next')!).searchParams.get('limit')).toBe('10');
    const page2 = await call(link(page1, 'next')!);
    const page3 = await call(link(page2, 'next')!);
    const back = ids(((await (await call(link(page3, 'previous')!)).json()) as { customers: Json[] }).customers);
    expect(back).toEqual(ids(((await page2.json()) as { customers: Json[] }).customers));
    expect(back).toEqual(ids(records).slice(10, 20));
  });

  it('keeps the first request’s filters in page_info and refuses filters sent beside it', async () => {
    await start();
    shopify!.seed({ customers: 40, orders: 300, seed: 11 });
    const all = (await walk('orders', 'status=any&limit=250')).records;
    expect(all).toHaveLength(300);

    const byUpdate = [...all].sort((a, b) => Date.parse(a.updated_at as string) - Date.parse(b.updated_at as string));
    const watermark = byUpdate[200]!.updated_at as string;
    const expected = ids(all.filter((o) => Date.parse(o.updated_at as string) >= Date.parse(watermark)));
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(150);

    const { records, pages } = await walk(
      'orders',
      `status=any&updated_at_min=${encodeURIComponent(watermark)}&limit=7`,
    );
    expect(pages).toBe(Math.ceil(expected.length / 7));
    expect(ids(records)).toEqual(expected);

    const firstPage = await call(
      `/admin/api/2024-10/orders.json?status=any&updated_at_min=${encodeURIComponent(watermark)}&limit=7`,
    );
    const next = link(firstPage, 'next')!;
    const refused = await call(`${next}&status=any`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      errors: {
        status:
          'status cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information.',
      },
    });
    const forged = await call('/admin/api/2024-10/orders.json?page_info=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ errors: { page_info: 'Invalid value.' } });
  });

  it('filters on updated_at_min inclusively, writes times in the shop’s zone, and an updated order comes back', async () => {
    await start();
    shopify!.addCustomers([{ id: 501, email: 'mei@example.com', created_at: new Date('2025-05-01T00:00:00Z') }]);
    shopify!.addOrders([
      {
        id: 1001,
        customer_id: 501,
        updated_at: new Date('2025-05-02T00:00:00Z'),
        line_items: [{ sku: 'A', title: 'A', quantity: 2, price: '1980' }],
      },
      { id: 1002, customer_id: 501, updated_at: new Date('2025-05-05T15:00:00Z') },
      { id: 1003, customer_id: 501, updated_at: '2025-05-07T10:00:00' }, // no offset: the shop's wall clock
    ]);

    const orders = async (query: string) =>
      ((await (await call(`/admin/api/2024-10/orders.json?${query}`)).json()) as { orders: Json[] }).orders;
    const [a, b, c] = await orders('');
    expect(a).toMatchObject({
      id: 1001,
      name: '#1001',
      email: 'mei@example.com',
      currency: 'JPY',
      subtotal_price: '3960',
      total_price: '3960',
      total_tax: '0',
    });
    expect(a!.customer).toMatchObject({ id: 501, email: 'mei@example.com' });
    expect(b!.updated_at).toBe('2025-05-06T00:00:00+09:00');
    expect(c!.updated_at).toBe('2025-05-07T10:00:00+09:00');

    expect(ids(await orders(`updated_at_min=${encodeURIComponent('2025-05-06T00:00:00+09:00')}`))).toEqual([
      1002, 1003,
    ]);
    expect(ids(await orders(`updated_at_min=${encodeURIComponent('2025-05-06T00:00:01+09:00')}`))).toEqual([1003]);
    expect(ids(await orders('updated_at_min=2025-05-05T15:00:00Z'))).toEqual([1002, 1003]);
    // An unencoded "+" reads as a space, as in any query string: refused, not silently misread.
    expect((await call('/admin/api/2024-10/orders.json?updated_at_min=2025-05-06T00:00:00+09:00')).status).toBe(400);

    shopify!.updateOrder(1001, { financial_status: 'refunded' });
    const changed = await orders(`updated_at_min=${encodeURIComponent(c!.updated_at as string)}`);
    expect(ids(changed)).toEqual([1001, 1003]);
    expect(changed[0]).toMatchObject({ financial_status: 'refunded', updated_at: '2025-05-09T14:03:00+09:00' });

    // A New York shop writes the same instants with its own offsets, summer and winter.
    await shopify!.close();
    await start({ timeZone: 'America/New_York', currency: 'USD' });
    shopify!.addCustomers([
      { email: 'summer@example.com', created_at: new Date('2025-05-09T05:03:00Z') },
      { email: 'winter@example.com', created_at: new Date('2025-01-09T05:03:00Z') },
    ]);
    const customers = ((await (await call('/admin/api/2024-10/customers.json')).json()) as { customers: Json[] })
      .customers;
    expect(customers.map((x) => x.created_at)).toEqual(['2025-05-09T01:03:00-04:00', '2025-01-09T00:03:00-05:00']);
    const shop = ((await (await call('/admin/api/2024-10/shop.json')).json()) as { shop: Json }).shop;
    expect(shop).toMatchObject({
      iana_timezone: 'America/New_York',
      currency: 'USD',
      myshopify_domain: 'meridian-demo.myshopify.com',
    });
  });

  it('lists only open orders by default; closed and cancelled ones need a status', async () => {
    await start();
    shopify!.addOrders([
      { id: 1, line_items: [{ sku: 'A', title: 'A', quantity: 1, price: '500' }] },
      { id: 2, closed_at: new Date('2025-05-03T00:00:00Z'), fulfillment_status: 'fulfilled' },
      {
        id: 3,
        closed_at: new Date('2025-05-04T00:00:00Z'),
        cancelled_at: new Date('2025-05-04T00:00:00Z'),
        cancel_reason: 'customer',
        financial_status: 'voided',
      },
    ]);
    const listed = async (query: string) =>
      ids(((await (await call(`/admin/api/2024-10/orders.json?${query}`)).json()) as { orders: Json[] }).orders);
    expect(await listed('')).toEqual([1]);
    expect(await listed('status=open')).toEqual([1]);
    expect(await listed('status=any')).toEqual([1, 2, 3]);
    expect(await listed('status=closed')).toEqual([2, 3]);
    expect(await listed('status=cancelled')).toEqual([3]);
    expect(await (await call('/admin/api/2024-10/orders/count.json')).json()).toEqual({ count: 1 });
    expect(await (await call('/admin/api/2024-10/orders/count.json?status=any')).json()).toEqual({ count: 3 });
  });

  it('answers 401 with Shopify’s body for a wrong or missing token, and for every call after revokeToken', async () => {
    await start();
    for (const token of ['shpat_wrong', null]) {
      const refused = await call('/admin/api/2024-10/customers.json', { token });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ errors: INVALID_TOKEN });
    }
    const accepted = await call('/admin/api/2024-10/customers.json');
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-shopify-shop-api-call-limit')).toBe('1/40'); // refused calls took nothing from the bucket

    shopify!.revokeToken();
    const revoked = await call('/admin/api/2024-10/customers.json');
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ errors: INVALID_TOKEN });
    expect(shopify!.requests.map((r) => r.status)).toEqual([401, 401, 200, 401]);
  });

  it('answers 429 with Retry-After once a burst fills the bucket, and serves again after the wait', async () => {
    await start();
    shopify!.seed({ customers: 3, orders: 0 });
    let served = 0;
    let throttled: Response | undefined;
    while (!throttled && served < 60) {
      const response = await call('/admin/api/2024-10/customers.json');
      if (response.status === 429) throttled = response;
      else {
        expect(response.status).toBe(200);
        served++;
        expect(response.headers.get('x-shopify-shop-api-call-limit')).toMatch(/^\d+\/40$/);
      }
    }
    // The bucket leaks 2 calls a second while the burst runs, so a slow machine may fit one or two more.
    expect(served).toBeGreaterThanOrEqual(40);
    expect(served).toBeLessThanOrEqual(43);
    expect(throttled!.headers.get('retry-after')).toBe('2.0');
    expect(throttled!.headers.get('x-shopify-shop-api-call-limit')).toBe('40/40');
    expect(await throttled!.json()).toEqual({
      errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
    });

    // Calls before the wait is over are throttled too, even once the bucket has leaked room for one.
    const throttledAt = Date.now();
    await sleep(800);
    const early = await call('/admin/api/2024-10/customers.json');
    expect(early.status).toBe(429);
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0.5);
    expect(Number(early.headers.get('retry-after'))).toBeLessThan(1.5);
    await sleep(2000 - (Date.now() - throttledAt) + 50);
    expect((await call('/admin/api/2024-10/customers.json')).status).toBe(200);

    shopify!.throttle(false);
    const burst = await Promise.all(Array.from({ length: 60 }, () => call('/admin/api/2024-10/customers.json')));
    expect(burst.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(burst.map((r) => r.headers.get('x-shopify-shop-api-call-limit'))).toContain('40/40');
  });

  it('refuses a limit above 250 with 400 and serves 250', async () => {
    await start();
    shopify!.seed({ customers: 260, orders: 0 });
    const refused = await call('/admin/api/2024-10/customers.json?limit=251');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: 'Limit exceeds maximum limit of 250' });
    const served = await call('/admin/api/2024-10/customers.json?limit=250');
    expect(((await served.json()) as { customers: Json[] }).customers).toHaveLength(250);
    expect(link(served, 'next')).toBeDefined();
  });

  it('plays queued faults in order — 500, 502, 503, a 200 with JSON cut short — then serves normally', async () => {
    await start();
    shopify!.seed({ customers: 2, orders: 0 });
    shopify!.failNext(1, 500);
    shopify!.failNext(1, 502);
    shopify!.failNext(1, 503);
    shopify!.failNext(1, 'garbage');
    const path = '/admin/api/2024-10/customers.json';

    const error500 = await call(path);
    expect(error500.status).toBe(500);
    expect(await error500.json()).toEqual({ errors: 'Internal Server Error' });
    for (const status of [502, 503]) {
      const gateway = await call(path);
      expect(gateway.status).toBe(status);
      expect(gateway.headers.get('content-type')).toMatch(/text\/html/);
    }
    const garbage = await call(path);
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toThrow(SyntaxError);
    const normal = await call(path);
    expect(((await normal.json()) as { customers: Json[] }).customers).toHaveLength(2);
    expect(shopify!.requests.map((r) => r.status)).toEqual([500, 502, 503, 200, 200]);
  });

  it('holds a call on a timeout fault: the socket closes after the delay set, or the caller gives up, and close() still ends', async () => {
    await start();
    const path = '/admin/api/2024-10/customers.json';
    shopify!.failNext(1, 'timeout', { closeAfterMs: 150 });
    const startedAt = Date.now();
    await expect(call(path)).rejects.toThrow(TypeError); // fetch failed: the other side closed
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);

    shopify!.failNext(1, 'timeout');
    await expect(call(path, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await call(path)).status).toBe(200);
    expect(shopify!.requests.map((r) => r.status)).toEqual([0, 0, 200]);

    const closing = shopify!.close();
    shopify = undefined;
    await expect(
      Promise.race([
        closing.then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 1000)),
      ]),
    ).resolves.toBe('closed');
  });

  it('answers 404 for unknown versions and paths; an older release falls forward to the version served', async () => {
    await start();
    for (const path of [
      '/admin/api/2024-13/orders.json',
      '/admin/api/2099-01/orders.json',
      '/admin/api/unstable/orders.json',
      '/admin/api/2024-10/products.json',
    ]) {
      const missing = await call(path);
      expect(missing.status, path).toBe(404);
      expect(await missing.json()).toEqual({ errors: 'Not Found' });
    }
    const old = await call('/admin/api/2024-07/orders.json');
    expect(old.status).toBe(200);
    expect(old.headers.get('x-shopify-api-version')).toBe('2024-10');
  });

  it('seeds the same shop from the same seed: orders over customers in several countries and currencies, with exact totals', async () => {
    const snapshot = async (seed: number) => {
      await start();
      shopify!.seed({ customers: 30, orders: 120, seed });
      const customers = (await walk('customers', 'limit=250')).records;
      const orders = (await walk('orders', 'status=any&limit=250')).records;
      await shopify!.close();
      shopify = undefined;
      return { customers, orders };
    };
    const one = await snapshot(42);
    expect(await snapshot(42)).toEqual(one);
    expect((await snapshot(43)).orders).not.toEqual(one.orders);

    const { customers, orders } = one;
    expect(customers).toHaveLength(30);
    expect(orders).toHaveLength(120);
    const customerIds = new Set(ids(customers));
    expect(orders.every((o) => customerIds.has((o.customer as Json).id as number))).toBe(true);
    expect(new Set(customers.map((c) => (c.default_address as Json).country_code)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(orders.map((o) => o.presentment_currency)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(orders.map((o) => (o.cancelled_at ? 'cancelled' : o.closed_at ? 'closed' : 'open')))).toEqual(
      new Set(['open', 'closed', 'cancelled']),
    );
    const yen = (text: unknown, what: string): bigint => {
      const parsed = parseAmount(text as string, 'JPY');
      if (!parsed.ok) throw new Error(`${what}: ${parsed.reason}`);
      return parsed.minor;
    };
    for (const order of orders) {
      expect(order.currency).toBe('JPY');
      expect(order.name).toBe(`#${order.order_number}`);
      expect(order.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
      const subtotal = yen(order.subtotal_price, `${order.name} subtotal_price`);
      expect(yen(order.total_price, `${order.name} total_price`)).toBe(
        subtotal + yen(order.total_tax, `${order.name} total_tax`),
      );
      const lines = (order.line_items as Json[]).map(
        (item) => yen(item.price, `${order.name} line item`) * BigInt(item.quantity as number),
      );
      expect(lines.reduce((sum, line) => sum + line, 0n)).toBe(subtotal);
    }
  });
});
