import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../../connectors/errors';
import { ShopifyClient, ShopifyClientOptions, ShopifyCursor } from '../../connectors/shopify/client';
import { EmulatedOrder, ShopifyEmulator, ShopifyEmulatorOptions, startShopifyEmulator } from '../emulators/shopify';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/** The Shopify client against the local Admin API emulator: paging, filters, throttling and failures. */

const TOKEN = 'shpat_meridian_client_test';
const NOW = new Date('2025-05-09T05:03:00Z');
const BASE_TIME = Date.parse('2025-01-01T00:00:00Z');
const MINUTE_MS = 60_000;

interface OrderRecord {
  id: number;
  email: string | null;
  closed_at: string | null;
  cancelled_at: string | null;
}

describe('ShopifyClient against the Admin API emulator', () => {
  let shopify: ShopifyEmulator | undefined;

  afterEach(async () => {
    await shopify?.close();
    shopify = undefined;
  });

  async function start(options: Partial<ShopifyEmulatorOptions> = {}): Promise<ShopifyEmulator> {
    shopify = await startShopifyEmulator({ accessToken: TOKEN, now: () => NOW, ...options });
    return shopify;
  }

  const clientFor = (emulator: ShopifyEmulator, options: Partial<ShopifyClientOptions> = {}) =>
    new ShopifyClient({ shopUrl: emulator.baseUrl, accessToken: TOKEN, ...options });

  /** `count` orders, one a minute from BASE_TIME; every third closed, every fifth cancelled. */
  function addOrders(emulator: ShopifyEmulator, count: number): number[] {
    const orders: EmulatedOrder[] = Array.from({ length: count }, (_, i) => {
      const at = new Date(BASE_TIME + i * MINUTE_MS);
      return {
        id: 5_000_000 + i,
        email: `buyer${i}@example.com`,
        created_at: at,
        updated_at: at,
        closed_at: i % 3 === 1 ? at : null,
        cancelled_at: i % 5 === 0 ? at : null,
        cancel_reason: i % 5 === 0 ? 'customer' : null,
      };
    });
    emulator.addOrders(orders);
    return orders.map((order) => order.id!);
  }

  async function walk(
    client: ShopifyClient,
    resource: 'customers' | 'orders',
    start: ShopifyCursor,
  ): Promise<{ records: OrderRecord[]; pages: number }> {
    const records: OrderRecord[] = [];
    let pages = 0;
    for await (const page of client.pages(resource, start)) {
      records.push(...(page.records as OrderRecord[]));
      pages++;
    }
    return { records, pages };
  }

  async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }

  it('walks every order, open, closed and cancelled, across pages without a duplicate or a gap', async () => {
    const emulator = await start();
    const ids = addOrders(emulator, 600);

    const { records, pages } = await walk(clientFor(emulator), 'orders', {});

    expect(pages).toBe(3);
    const seen = records.map((order) => order.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(ids);
    expect(records.filter((order) => order.closed_at !== null)).toHaveLength(200);
    expect(records.filter((order) => order.cancelled_at !== null)).toHaveLength(120);
    expect(emulator.requests.map((request) => request.status)).toEqual([200, 200, 200]);
  });

  it('sends the filters on the first page only, and page_info with limit after', async () => {
    const emulator = await start();
    addOrders(emulator, 25);
    const updatedAtMin = new Date(BASE_TIME).toISOString();

    const first = await clientFor(emulator).fetchPage('orders', { updatedAtMin, limit: 10 });
    expect(first.records).toHaveLength(10);
    expect(first.callLimit).toEqual({ used: 1, max: 40 });
    expect(first.next).toEqual({ pageInfo: expect.any(String), limit: 10 });
    await walk(clientFor(emulator), 'orders', first.next!);

    const [firstRequest, ...later] = emulator.requests;
    expect(firstRequest!.path).toBe('/admin/api/2024-10/orders.json');
    expect(firstRequest!.query).toEqual({ limit: '10', status: 'any', updated_at_min: updatedAtMin });
    expect(later).toHaveLength(2);
    for (const request of later) {
      expect(Object.keys(request.query).sort()).toEqual(['limit', 'page_info']);
      expect(request.query.limit).toBe('10');
      expect(request.status).toBe(200);
    }
  });

  it('returns only records updated at or after updatedAtMin', async () => {
    const emulator = await start();
    const ids = addOrders(emulator, 300);
    const updatedAtMin = new Date(BASE_TIME + 120 * MINUTE_MS).toISOString();

    const { records } = await walk(clientFor(emulator), 'orders', { updatedAtMin, limit: 100 });

    expect(records.map((order) => order.id)).toEqual(ids.slice(120));
  });

  it('lists customers without the orders-only status filter', async () => {
    const emulator = await start();
    emulator.seed({ customers: 30, orders: 0 });

    const { records, pages } = await walk(clientFor(emulator), 'customers', { limit: 20 });

    expect(pages).toBe(2);
    expect(new Set(records.map((customer) => customer.id)).size).toBe(30);
    expect(emulator.requests[0]!.query).toEqual({ limit: '20' });
  });

  it('waits out a throttled burst for Retry-After and completes', async () => {
    const emulator = await start({ bucketSize: 3, leakPerSecond: 10 });
    const ids = addOrders(emulator, 6);
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    };

    const { records } = await walk(clientFor(emulator, { sleep }), 'orders', { limit: 1 });

    expect(records.map((order) => order.id)).toEqual(ids);
    const throttled = emulator.requests.filter((request) => request.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(waits).toHaveLength(throttled.length);
    expect(waits.every((ms) => ms > 0 && ms <= 2_000)).toBe(true);
  });

  it('gives up after maxRateLimitWaits with a retryable ConnectorRateLimited', async () => {
    const emulator = await start({ bucketSize: 1, leakPerSecond: 0.1 });
    addOrders(emulator, 3);
    const client = clientFor(emulator, { maxRateLimitWaits: 2, sleep: async () => {} });
    await client.fetchPage('orders', { limit: 1 }); // fills the bucket

    const error = await failure(client.fetchPage('orders', { limit: 1 }));

    expect(error).toBeInstanceOf(ConnectorRateLimited);
    expect(error.retryable).toBe(true);
    expect((error as ConnectorRateLimited).retryAfterMs).toBeGreaterThan(0);
    expect(emulator.requests.map((request) => request.status)).toEqual([200, 429, 429, 429]);
  });

  it('reports a revoked token as a non-retryable auth error that says to reconnect, without retrying', async () => {
    const emulator = await start();
    addOrders(emulator, 3);
    emulator.revokeToken();

    const error = await failure(clientFor(emulator).fetchPage('orders', {}));

    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`Shopify rejected the access token for shop ${new URL(emulator.baseUrl).host}`);
    expect(error.message).toContain('reconnect the store in Meridian');
    expect(emulator.requests).toHaveLength(1);
  });

  it('reports a 503 from the edge as a retryable transient error, without echoing its page', async () => {
    const emulator = await start();
    addOrders(emulator, 3);
    emulator.failNext(1, 503);

    const error = await failure(clientFor(emulator).fetchPage('orders', {}));

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(503);
    expect(error.message).not.toContain('<html>');
    expect(emulator.requests).toHaveLength(1);
  });

  it('reports JSON cut short as a retryable transient error that holds no record contents', async () => {
    const emulator = await start();
    addOrders(emulator, 3);
    emulator.failNext(1, 'garbage');

    const error = await failure(clientFor(emulator).fetchPage('orders', {}));

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).not.toMatch(/email|5920000000000/);
  });

  it('times out a held connection as a retryable transient error', async () => {
    const emulator = await start();
    addOrders(emulator, 3);
    emulator.failNext(1, 'timeout');
    const startedAt = performance.now();

    const error = await failure(clientFor(emulator, { timeoutMs: 300 }).fetchPage('orders', {}));

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('did not answer within 300 ms');
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('reports a connection closed without an answer as a retryable transient error', async () => {
    const emulator = await start();
    emulator.failNext(1, 'timeout', { closeAfterMs: 50 });

    const error = await failure(clientFor(emulator).fetchPage('orders', {}));

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
  });

  it("reports a refused request as non-retryable with Shopify's error text", async () => {
    const emulator = await start();

    const error = await failure(clientFor(emulator).fetchPage('orders', { limit: 251 }));

    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.retryable).toBe(false);
    expect((error as ConnectorRequestError).apiErrors).toBe('Limit exceeds maximum limit of 250');
    expect(error.message).toContain('HTTP 400: Limit exceeds maximum limit of 250');
  });
});

describe('classifyHttpFailure', () => {
  const headers = (entries: Record<string, string> = {}) => new Headers(entries);

  it('classifies 401 and 403 as non-retryable auth errors', () => {
    for (const status of [401, 403]) {
      const error = classifyHttpFailure('Shopify', status, headers(), '{"errors":"nope"}', {
        account: 'shop a.myshopify.com',
        reconnect: 'the store',
      });
      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('for shop a.myshopify.com');
      expect(error.message).toContain('reconnect the store in Meridian');
    }
  });

  it('classifies 429 as rate limited after Retry-After seconds, decimals allowed, 2 s by default', () => {
    const wait = (retryAfter?: string) => {
      const error = classifyHttpFailure(
        'Shopify',
        429,
        headers(retryAfter === undefined ? {} : { 'Retry-After': retryAfter }),
        '',
      );
      expect(error).toBeInstanceOf(ConnectorRateLimited);
      expect(error.retryable).toBe(true);
      return (error as ConnectorRateLimited).retryAfterMs;
    };
    expect(wait('2.0')).toBe(2_000);
    expect(wait('0.5')).toBe(500);
    expect(wait('7')).toBe(7_000);
    expect(wait()).toBe(2_000);
    expect(wait('soon')).toBe(2_000);
  });

  it('classifies 5xx as retryable transient errors and never echoes a non-JSON body', () => {
    for (const status of [500, 502, 503, 504]) {
      const error = classifyHttpFailure('Shopify', status, headers(), '<html>jane@example.com</html>');
      expect(error).toBeInstanceOf(ConnectorTransientError);
      expect(error.retryable).toBe(true);
      expect(error.status).toBe(status);
      expect(error.message).not.toContain('jane@example.com');
    }
  });

  it("classifies other 4xx as non-retryable request errors carrying the API's error text", () => {
    const error = classifyHttpFailure(
      'Shopify',
      400,
      headers(),
      '{"errors":{"status":"status cannot be passed when page_info is present."}}',
    );
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.retryable).toBe(false);
    expect((error as ConnectorRequestError).apiErrors).toBe(
      'status: status cannot be passed when page_info is present.',
    );
    for (const status of [404, 422])
      expect(classifyHttpFailure('Shopify', status, headers(), '').retryable).toBe(false);
  });
});
