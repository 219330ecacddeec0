import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmazonSpApiClient } from '../../connectors/amazon/client';
import { AmazonCredentials, amazonConnector, amazonEndpoint, AmazonSettings } from '../../connectors/amazon/index';
import { LwaTokenSource, TokenCache } from '../../connectors/amazon/lwa';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../../connectors/errors';
import type { ConnectorContext, ConnectorSession, Cursor, SyncPage } from '../../connectors/framework';
import type { CanonicalOrder } from '../../domain/commerce';
import { AmazonEmulator, AmazonEmulatorOptions, AmazonOperation, startAmazonEmulator } from '../emulators/amazon';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * The Amazon SP-API connector, as a sync uses it (amazonConnector.open → fetchPage), against the
 * local LWA + SP-API emulator: NextToken paging, buyer email and the PII role, token caching and
 * renewal, throttling and failures. Runs in real time: the emulator's two-minute rule and token
 * lifetimes use the same clock as the connector.
 */

const CREDENTIALS = {
  clientId: 'amzn1.application-oa2-client.meridiantest0001',
  clientSecret: 'amzn1.oa2-cs.v1.secret-value-for-tests-only',
  refreshToken: 'Atzr|IwEBIrefresh-token-value-for-tests-only',
};
const JAPAN = 'A1VC38T7YXB528';
const GERMANY = 'A1PA6795UKMFR9';
const MINUTE_MS = 60_000;
/** Fast enough that throttling never gets in the way unless a test asks for it. */
const UNTHROTTLED = { getOrders: { rate: 1000, burst: 1000 }, createRestrictedDataToken: { rate: 1000, burst: 1000 } };

describe('amazonConnector against the LWA and SP-API emulator', () => {
  let amazon: AmazonEmulator | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    await amazon?.close();
    amazon = undefined;
  });

  async function start(options: Partial<AmazonEmulatorOptions> = {}): Promise<AmazonEmulator> {
    amazon = await startAmazonEmulator({ ...CREDENTIALS, rateLimits: UNTHROTTLED, ...options });
    return amazon;
  }

  function open(
    emulator: AmazonEmulator,
    settings: Partial<AmazonSettings> = {},
    context: Partial<ConnectorContext> = {},
    credentials = CREDENTIALS,
  ): ConnectorSession {
    const parsedSettings = amazonConnector.settings.parse({
      endpoint: emulator.endpoint,
      lwaUrl: emulator.lwaUrl,
      marketplaceIds: [JAPAN],
      pageSize: 50,
      ...settings,
    });
    return amazonConnector.open(parsedSettings, amazonConnector.credentials.parse(credentials), {
      sourceId: 'src_amazon_jp',
      ...context,
    });
  }

  const calls = (emulator: AmazonEmulator, operation: AmazonOperation) =>
    emulator.requests.filter((request) => request.operation === operation);
  const statuses = (emulator: AmazonEmulator, operation: AmazonOperation) =>
    calls(emulator, operation).map((request) => request.status);

  interface Pass {
    orders: CanonicalOrder[];
    rejected: SyncPage['rejected'];
    pages: number;
    cursors: Cursor[];
    highWater?: string;
  }

  async function pass(
    session: ConnectorSession,
    since?: string,
    from: Cursor | null = null,
    done: Partial<Pass> = {},
  ): Promise<Pass> {
    const result: Pass = { orders: [], rejected: [], pages: 0, cursors: [], ...done };
    let cursor = from;
    do {
      const page = await session.fetchPage('orders', cursor, since);
      result.orders.push(...page.orders);
      result.rejected.push(...page.rejected);
      result.pages++;
      if (page.highWater && (!result.highWater || page.highWater > result.highWater)) result.highWater = page.highWater;
      cursor = page.next;
      if (cursor) result.cursors.push(cursor);
    } while (cursor);
    return result;
  }

  async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }

  function expectEachOnce(orders: CanonicalOrder[], ids: string[]): void {
    const seen = orders.map((order) => order.externalId);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...ids].sort());
  }

  function expectNoSecrets(text: string): void {
    expect(text).not.toContain(CREDENTIALS.clientSecret);
    expect(text).not.toContain(CREDENTIALS.refreshToken);
    expect(text).not.toContain('Atza|');
    expect(text).not.toContain('@');
  }

  describe('paging', () => {
    it('syncs 230 orders over 5 pages with NextToken, each exactly once, with buyer email when the app has the PII role', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 230, seed: 7 });

      const result = await pass(open(emulator));

      expect(result.pages).toBe(5);
      expectEachOnce(result.orders, ids);
      expect(result.rejected).toEqual([]);
      expect(result.orders.every((order) => /^[0-9a-f]{12}@marketplace\.amazon\.co\.jp$/.test(order.email ?? ''))).toBe(
        true,
      );
      expect(result.orders.every((order) => order.currency === 'JPY' && order.timeZone === 'Asia/Tokyo')).toBe(true);
      // Seeded Pending orders have no OrderTotal: kept, at 0, flagged pending.
      const pending = result.orders.filter((order) => order.financialStatus === 'pending');
      expect(pending.length).toBeGreaterThan(0);
      expect(pending.every((order) => order.totalMinor === '0')).toBe(true);
      expect(result.highWater).toBe(
        result.orders
          .map((order) => order.updatedAt)
          .sort()
          .at(-1),
      );

      const [first, ...later] = calls(emulator, 'getOrders');
      expect(Object.keys(first!.query).sort()).toEqual([
        'LastUpdatedAfter',
        'LastUpdatedBefore',
        'MarketplaceIds',
        'MaxResultsPerPage',
      ]);
      expect(first!.query).toMatchObject({ MarketplaceIds: JAPAN, MaxResultsPerPage: '50' });
      expect(later).toHaveLength(4);
      for (const request of later) expect(Object.keys(request.query).sort()).toEqual(['MarketplaceIds', 'NextToken']);
      expect(calls(emulator, 'getOrders').every((request) => request.status === 200 && request.restricted)).toBe(true);

      // The emulator's log holds no token or secret; cursors are { nextToken } only, and hold no personal data.
      expectNoSecrets(JSON.stringify(emulator.requests));
      expect(result.cursors).toHaveLength(4);
      for (const cursor of result.cursors) {
        expect(Object.keys(cursor)).toEqual(['nextToken']);
        expect(JSON.stringify(cursor)).not.toContain('@');
      }
    });

    it('starts a pass from since, clamped to a few minutes before now, and from syncFrom or 90 days back without it', async () => {
      const emulator = await start();
      emulator.seed({ count: 3 });
      const before = Date.now();

      await pass(open(emulator), new Date().toISOString());
      await pass(open(emulator, { syncFrom: '2025-01-01' }));
      await pass(open(emulator));

      const [clamped, fromSetting, fromDefault] = calls(emulator, 'getOrders').map((request) => request.query);
      expect(Date.parse(clamped!.LastUpdatedAfter!)).toBeLessThanOrEqual(before - 2 * MINUTE_MS);
      expect(clamped!.LastUpdatedAfter).toBe(clamped!.LastUpdatedBefore);
      expect(fromSetting!.LastUpdatedAfter).toBe('2025-01-01T00:00:00.000Z');
      expect(Math.abs(Date.parse(fromDefault!.LastUpdatedAfter!) - (before - 90 * 24 * 60 * MINUTE_MS))).toBeLessThan(
        MINUTE_MS,
      );
      expect(statuses(emulator, 'getOrders')).toEqual([200, 200, 200]);
    });

    it('picks up an order updated after the last pass when the next pass starts at its high-water mark', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 60, seed: 3 });
      const first = await pass(open(emulator));
      expectEachOnce(first.orders, ids);

      emulator.updateOrder(ids[5]!, { status: 'Canceled', lastUpdateDate: new Date(Date.now() - 4 * MINUTE_MS) });
      const second = await pass(open(emulator), first.highWater);

      // The boundary order may come again (LastUpdatedAfter is inclusive); the updated one must.
      const updated = second.orders.find((order) => order.externalId === ids[5]);
      expect(updated).toMatchObject({ status: 'cancelled', financialStatus: 'canceled' });
      expect(second.orders.length).toBeLessThanOrEqual(2);
    });

    it('validates the cursor it is given back', async () => {
      const emulator = await start();
      const session = open(emulator);

      await expect(session.fetchPage('orders', { nextToken: 5 }, undefined)).rejects.toThrow(RangeError);
      await expect(session.fetchPage('customers', null, undefined)).rejects.toThrow(/orders only/);
      const error = await failure(session.fetchPage('orders', { nextToken: 'not-a-token' }, undefined));
      expect(error).toBeInstanceOf(ConnectorRequestError);
      expect((error as ConnectorRequestError).apiErrors).toContain('Invalid NextToken');
    });
  });

  describe('buyer email and the PII role', () => {
    it('syncs without buyer email when the app lacks the PII role: noted once, not a failure', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const emulator = await start({ piiRole: false });
      const ids = emulator.seed({ count: 120, seed: 11 });

      const result = await pass(open(emulator));
      const again = await pass(open(emulator));

      expectEachOnce(result.orders, ids);
      expectEachOnce(again.orders, ids);
      expect(result.orders.every((order) => order.email === undefined)).toBe(true);
      // One RDT refusal, with a token just obtained, so no renewal; then the LWA token for every page, of both sessions.
      expect(statuses(emulator, 'createRestrictedDataToken')).toEqual([403]);
      expect(statuses(emulator, 'lwaToken')).toEqual([200]);
      expect(calls(emulator, 'getOrders').every((request) => request.status === 200 && !request.restricted)).toBe(true);
      expect(warn).toHaveBeenCalledTimes(1);
      const noted = String(warn.mock.calls[0]![0]);
      expect(noted).toContain('without buyer email');
      expectNoSecrets(noted);
    });

    it('never asks for a Restricted Data Token when requestBuyerEmail is false', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 10 });

      const result = await pass(open(emulator, { requestBuyerEmail: false }));

      expectEachOnce(result.orders, ids);
      expect(result.orders.every((order) => order.email === undefined)).toBe(true);
      expect(calls(emulator, 'createRestrictedDataToken')).toHaveLength(0);
    });
  });

  describe('tokens', () => {
    it('exchanges the refresh token once for many pages and sessions, with and without an RDT', async () => {
      const emulator = await start();
      emulator.seed({ count: 200, seed: 5 });

      await pass(open(emulator, { requestBuyerEmail: false }));
      await pass(open(emulator, { requestBuyerEmail: false }));
      await pass(open(emulator));
      await pass(open(emulator));

      expect(statuses(emulator, 'lwaToken')).toEqual([200]);
      expect(statuses(emulator, 'createRestrictedDataToken')).toEqual([200]);
      const pages = calls(emulator, 'getOrders');
      expect(pages).toHaveLength(16);
      expect(pages.map((request) => request.restricted)).toEqual([...Array(8).fill(false), ...Array(8).fill(true)]);
    });

    it('renews an expired access token and RDT once and carries on, each order once, with email', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 150, seed: 9 });
      const session = open(emulator);

      const page1 = await session.fetchPage('orders', null, undefined);
      emulator.expireAccessTokens();
      const rest = await pass(session, undefined, page1.next, { orders: page1.orders });

      expectEachOnce(rest.orders, ids);
      expect(rest.orders.every((order) => order.email !== undefined)).toBe(true);
      expect(statuses(emulator, 'getOrders')).toEqual([200, 403, 200, 200]);
      // The RDT was refused, so a new one was asked for; its LWA token was refused too, so LWA was asked again.
      expect(statuses(emulator, 'createRestrictedDataToken')).toEqual([200, 403, 200]);
      expect(statuses(emulator, 'lwaToken')).toEqual([200, 200]);
    });

    it('renews an expired access token without the PII role', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 100, seed: 4 });
      const session = open(emulator, { requestBuyerEmail: false });

      const page1 = await session.fetchPage('orders', null, undefined);
      emulator.expireAccessTokens();
      const rest = await pass(session, undefined, page1.next, { orders: page1.orders });

      expectEachOnce(rest.orders, ids);
      expect(statuses(emulator, 'getOrders')).toEqual([200, 403, 200]);
      expect(statuses(emulator, 'lwaToken')).toEqual([200, 200]);
    });

    it('renews tokens shortly before they expire, without waiting for a 403', async () => {
      const emulator = await start();
      emulator.seed({ count: 100, seed: 2 });
      let ahead = 0;
      const session = open(emulator, {}, { now: () => new Date(Date.now() + ahead) });

      const page1 = await session.fetchPage('orders', null, undefined);
      ahead = 3_590_000; // 10 s before the hour-long tokens run out, by the connector's clock
      await session.fetchPage('orders', page1.next, undefined);

      expect(statuses(emulator, 'getOrders')).toEqual([200, 200]);
      expect(statuses(emulator, 'lwaToken')).toEqual([200, 200]);
      expect(statuses(emulator, 'createRestrictedDataToken')).toEqual([200, 200]);
    });

    it('reports a revoked refresh token as a non-retryable auth error that says to re-authorise in Seller Central', async () => {
      const emulator = await start();
      emulator.seed({ count: 3 });
      emulator.revokeRefreshToken();

      const error = await failure(open(emulator).fetchPage('orders', null, undefined));

      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect(error.retryable).toBe(false);
      expect(error.status).toBe(400);
      expect(error.message).toContain('invalid_grant');
      expect(error.message).toContain('Re-authorise the app for the seller in Seller Central');
      expectNoSecrets(error.message);
      expect(emulator.requests.map((request) => `${request.operation} ${request.status}`)).toEqual(['lwaToken 400']);
    });

    it('reports a refresh token revoked mid-pass once the access token expires', async () => {
      const emulator = await start();
      emulator.seed({ count: 100 });
      const session = open(emulator, { requestBuyerEmail: false });
      const page1 = await session.fetchPage('orders', null, undefined);
      emulator.revokeRefreshToken();
      emulator.expireAccessTokens();

      const error = await failure(session.fetchPage('orders', page1.next, undefined));

      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect(error.message).toContain('Seller Central');
      expect(statuses(emulator, 'getOrders')).toEqual([200, 403]);
      expect(statuses(emulator, 'lwaToken')).toEqual([200, 400]);
    });

    it('reports a wrong client secret as an auth error that says to check the LWA credentials', async () => {
      const emulator = await start();

      const error = await failure(
        open(emulator, {}, {}, { ...CREDENTIALS, clientSecret: 'amzn1.oa2-cs.v1.rotated-away' }).fetchPage(
          'orders',
          null,
          undefined,
        ),
      );

      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect(error.status).toBe(401);
      expect(error.message).toContain('invalid_client');
      expect(error.message).toContain('LWA client ID and client secret');
      expect(error.message).not.toContain('rotated-away');
      expectNoSecrets(error.message);
    });
  });

  describe('throttling', () => {
    it('waits out 429s without Retry-After for 1 / x-amzn-RateLimit-Limit seconds and completes', async () => {
      const emulator = await start({ rateLimits: { ...UNTHROTTLED, getOrders: { rate: 20, burst: 2 } } });
      const ids = emulator.seed({ count: 60, seed: 13 });
      const waits: number[] = [];
      const sleep = (ms: number) => {
        waits.push(ms);
        return new Promise<void>((resolve) => setTimeout(resolve, ms));
      };
      let heartbeats = 0;

      const result = await pass(open(emulator, { pageSize: 10 }, { sleep, heartbeat: () => heartbeats++ }));

      expectEachOnce(result.orders, ids);
      const throttled = calls(emulator, 'getOrders').filter((request) => request.status === 429);
      expect(throttled.length).toBeGreaterThanOrEqual(1);
      expect(throttled.every((request) => request.errorCode === 'QuotaExceeded')).toBe(true);
      expect(waits).toHaveLength(throttled.length);
      expect(waits.every((ms) => ms === 50)).toBe(true);
      expect(heartbeats).toBe(2 * waits.length);
    });

    it('backs off 300 ms for Retry-After 0.3, then 1 s and 2 s when no rate is given', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 5 });
      emulator.failNext(1, 429, { retryAfterSeconds: 0.3 });
      emulator.failNext(2, 429, { rateLimitHeader: false });
      const waits: number[] = [];

      const result = await pass(open(emulator, {}, { sleep: async (ms) => void waits.push(ms) }));

      expectEachOnce(result.orders, ids);
      expect(waits).toEqual([300, 1000, 2000]);
      expect(statuses(emulator, 'getOrders')).toEqual([429, 429, 429, 200]);
    });

    it('gives up after 10 waits with a retryable ConnectorRateLimited that says how long to wait', async () => {
      const emulator = await start({ rateLimits: { ...UNTHROTTLED, getOrders: { rate: 0.0167, burst: 1 } } });
      emulator.seed({ count: 20 });
      const session = open(emulator, { pageSize: 10, requestBuyerEmail: false }, { sleep: async () => {} });
      const page1 = await session.fetchPage('orders', null, undefined);

      const error = await failure(session.fetchPage('orders', page1.next, undefined));

      expect(error).toBeInstanceOf(ConnectorRateLimited);
      expect(error.retryable).toBe(true);
      expect((error as ConnectorRateLimited).retryAfterMs).toBe(Math.ceil(1000 / 0.0167));
      expect(statuses(emulator, 'getOrders')).toEqual([200, ...Array(11).fill(429)]);
    });
  });

  describe('failures', () => {
    it('surfaces a 500 as a retryable transient error; the same cursor again carries on, each order once', async () => {
      const emulator = await start();
      const ids = emulator.seed({ count: 120, seed: 21 });
      const session = open(emulator);
      const page1 = await session.fetchPage('orders', null, undefined);
      emulator.failNext(1, 500);

      const error = await failure(session.fetchPage('orders', page1.next, undefined));
      expect(error).toBeInstanceOf(ConnectorTransientError);
      expect(error.retryable).toBe(true);
      expect(error.status).toBe(500);
      expect(error.message).toContain('InternalFailure');

      // What the activity layer's retry does: the same page again.
      const rest = await pass(session, undefined, page1.next, { orders: page1.orders });
      expectEachOnce(rest.orders, ids);
      expect(statuses(emulator, 'getOrders')).toEqual([200, 500, 200, 200]);
    });

    it('surfaces a 503 as a retryable transient error', async () => {
      const emulator = await start();
      emulator.failNext(1, 503);

      const error = await failure(open(emulator).fetchPage('orders', null, undefined));

      expect(error).toBeInstanceOf(ConnectorTransientError);
      expect(error.status).toBe(503);
    });

    it('reports JSON cut short as a retryable transient error that holds no order contents', async () => {
      const emulator = await start();
      emulator.seed({ count: 3 });
      emulator.failNext(1, 'garbage');

      const error = await failure(open(emulator).fetchPage('orders', null, undefined));

      expect(error).toBeInstanceOf(ConnectorTransientError);
      expect(error.retryable).toBe(true);
      expect(error.message).not.toMatch(/BuyerEmail|503-0000000-0000000/);
      expectNoSecrets(error.message);
    });

    it('reports a garbled LWA answer as a retryable transient error', async () => {
      const emulator = await start();
      emulator.failNext(1, 'garbage', { operation: 'lwaToken' });

      const error = await failure(open(emulator).fetchPage('orders', null, undefined));

      expect(error).toBeInstanceOf(ConnectorTransientError);
      expectNoSecrets(error.message);
    });

    it('times out a held connection as a retryable transient error', async () => {
      const emulator = await start();
      emulator.failNext(1, 'timeout');
      const lwa = new LwaTokenSource(CREDENTIALS, { lwaUrl: emulator.lwaUrl, cache: new TokenCache() });
      const client = new AmazonSpApiClient({
        endpoint: emulator.endpoint,
        marketplaceIds: [JAPAN],
        lwa,
        requestBuyerEmail: false,
        timeoutMs: 300,
        cache: new TokenCache(),
      });
      const startedAt = performance.now();

      const error = await failure(client.getOrders({ lastUpdatedAfter: '2025-01-01T00:00:00Z' }));

      expect(error).toBeInstanceOf(ConnectorTransientError);
      expect(error.message).toContain('did not answer within 300 ms');
      expect(performance.now() - startedAt).toBeLessThan(5_000);
    });

    it("reports a LastUpdatedAfter less than two minutes old as a non-retryable request error with Amazon's text", async () => {
      const emulator = await start();
      const lwa = new LwaTokenSource(CREDENTIALS, { lwaUrl: emulator.lwaUrl, cache: new TokenCache() });
      const client = new AmazonSpApiClient({
        endpoint: emulator.endpoint,
        marketplaceIds: [JAPAN],
        lwa,
        requestBuyerEmail: false,
        cache: new TokenCache(),
      });

      const error = await failure(
        client.getOrders({ lastUpdatedAfter: new Date(Date.now() - MINUTE_MS).toISOString() }),
      );

      expect(error).toBeInstanceOf(ConnectorRequestError);
      expect(error.retryable).toBe(false);
      expect((error as ConnectorRequestError).apiErrors).toContain('InvalidInput');
      expect((error as ConnectorRequestError).apiErrors).toContain(
        'no later than two minutes before the time of the request',
      );
    });
  });
});

describe('the SP-API emulator refuses what Amazon refuses', () => {
  let amazon: AmazonEmulator | undefined;

  afterEach(async () => {
    await amazon?.close();
    amazon = undefined;
  });

  it('answers 400 InvalidInput for bad getOrders filters, and pages by CreatedAfter too', async () => {
    // Amazon's own usage plan (burst 20): this test makes 11 getOrders calls.
    amazon = await startAmazonEmulator(CREDENTIALS);
    const ids = amazon.seed({ count: 25 });
    const lwa = new LwaTokenSource(CREDENTIALS, { lwaUrl: amazon.lwaUrl, cache: new TokenCache() });
    const token = (await lwa.accessToken()).token;
    const get = async (query: string) => {
      const response = await fetch(`${amazon!.endpoint}/orders/v0/orders?${query}`, {
        headers: { 'x-amz-access-token': token },
      });
      const body = (await response.json()) as { errors?: { code: string; message: string }[] };
      return {
        status: response.status,
        code: body.errors?.[0]?.code,
        message: body.errors?.[0]?.message ?? '',
        rate: response.headers.get('x-amzn-ratelimit-limit'),
        requestId: response.headers.get('x-amzn-requestid'),
      };
    };
    const after = 'LastUpdatedAfter=2025-01-01T00:00:00Z';

    expect(await get(after)).toMatchObject({
      status: 400,
      code: 'InvalidInput',
      message: expect.stringContaining('MarketplaceIds is required'),
    });
    expect(await get(`MarketplaceIds=${JAPAN}`)).toMatchObject({
      status: 400,
      message: expect.stringContaining('Exactly one of CreatedAfter and LastUpdatedAfter'),
    });
    expect(await get(`MarketplaceIds=${JAPAN}&${after}&CreatedAfter=2025-01-01T00:00:00Z`)).toMatchObject({
      status: 400,
    });
    expect(await get(`MarketplaceIds=${JAPAN}&${after}&MaxResultsPerPage=101`)).toMatchObject({
      status: 400,
      message: expect.stringContaining('MaxResultsPerPage'),
    });
    expect(await get(`MarketplaceIds=${JAPAN}&LastUpdatedAfter=yesterday`)).toMatchObject({
      status: 400,
      message: expect.stringContaining('ISO 8601'),
    });
    expect(await get(`MarketplaceIds=${JAPAN}&${after}&LastUpdatedBefore=2024-12-31T00:00:00Z`)).toMatchObject({
      status: 400,
    });
    expect(await get(`MarketplaceIds=${JAPAN}&${after}&CreatedBefore=2025-02-01T00:00:00Z`)).toMatchObject({
      status: 400,
    });
    const ok = await get(`MarketplaceIds=${JAPAN}&${after}`);
    expect(ok).toMatchObject({ status: 200, rate: '0.0167' });
    expect(ok.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const unauthorised = await fetch(`${amazon.endpoint}/orders/v0/orders?MarketplaceIds=${JAPAN}&${after}`, {
      headers: { 'x-amz-access-token': 'Atza|forged' },
    });
    expect(unauthorised.status).toBe(403);
    expect(unauthorised.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');

    const client = new AmazonSpApiClient({
      endpoint: amazon.endpoint,
      marketplaceIds: [JAPAN],
      lwa,
      requestBuyerEmail: false,
      cache: new TokenCache(),
    });
    const seen: string[] = [];
    for await (const page of client.pages({ createdAfter: '2025-01-01T00:00:00Z', maxResultsPerPage: 10 })) {
      seen.push(...page.orders.map((order) => (order as { AmazonOrderId: string }).AmazonOrderId));
      expect(page.rateLimit).toBe(0.0167);
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });
});

describe('amazonConnector definition and settings', () => {
  const settings = (value: Record<string, unknown>) => AmazonSettings.safeParse(value);

  it('is the amazon system with the orders stream', () => {
    expect(amazonConnector).toMatchObject({ system: 'amazon', label: 'Amazon SP-API', streams: ['orders'] });
  });

  it('accepts known marketplaces and validates the rest', () => {
    expect(settings({ marketplaceIds: [JAPAN] }).success).toBe(true);
    expect(settings({ marketplaceIds: [] }).success).toBe(false);
    expect(settings({ marketplaceIds: [JAPAN], pageSize: 101 }).success).toBe(false);
    expect(settings({ marketplaceIds: [JAPAN], timeZone: '+09:00' }).success).toBe(false);
    expect(settings({ marketplaceIds: [JAPAN], syncFrom: 'last week' }).success).toBe(false);
    expect(settings({ marketplaceIds: [JAPAN], syncFrom: '2025-01-01T00:00:00+09:00' }).success).toBe(true);
    // An unknown marketplace needs a time zone; marketplaces of two regions need two connectors.
    expect(settings({ marketplaceIds: ['A0UNKNOWN0MKT'] }).success).toBe(false);
    expect(settings({ marketplaceIds: ['A0UNKNOWN0MKT'], timeZone: 'Asia/Tokyo' }).success).toBe(true);
    expect(settings({ marketplaceIds: [JAPAN, GERMANY] }).success).toBe(false);
    expect(AmazonCredentials.safeParse({ clientId: 'x', clientSecret: '', refreshToken: 'y' }).success).toBe(false);
  });

  it("defaults the endpoint to the marketplaces' region", () => {
    expect(amazonEndpoint({ marketplaceIds: [JAPAN] })).toBe('https://sellingpartnerapi-fe.amazon.com');
    expect(amazonEndpoint({ marketplaceIds: [GERMANY] })).toBe('https://sellingpartnerapi-eu.amazon.com');
    expect(amazonEndpoint({ marketplaceIds: ['ATVPDKIKX0DER'] })).toBe('https://sellingpartnerapi-na.amazon.com');
    expect(amazonEndpoint({ marketplaceIds: ['A0UNKNOWN0MKT'] })).toBe('https://sellingpartnerapi-eu.amazon.com');
  });
});
