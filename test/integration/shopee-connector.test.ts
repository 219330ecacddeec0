import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../../connectors/errors';
import type { ConnectorContext, ConnectorSession, Cursor, SyncPage } from '../../connectors/framework';
import {
  ORDER_DETAIL_PATH,
  ORDER_LIST_PATH,
  ShopeeClient,
  shopeeBaseString,
  shopeeSign,
} from '../../connectors/shopee/client';
import { ShopeeCredentials, ShopeeSettings, shopeeConnector } from '../../connectors/shopee/index';
import type { CanonicalOrder, RejectedRecord } from '../../domain/commerce';
import { parseAmount } from '../../domain/money';
import { ShopeeEmulator, ShopeeEmulatorOptions, startShopeeEmulator } from '../emulators/shopee';
import { allowEmulatorHosts } from '../emulators/hosts';
import { connectorFailure, PassOptions, walkPass } from '../support/connector-pass';

allowEmulatorHosts();

/** The Shopee connector, through the session the sync opens, against the local Open Platform v2 emulator. */

const PARTNER_ID = 2_001_000;
const PARTNER_KEY = 'shpk4c6f7a8b9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8';
const SHOP_ID = 123_456_789;
const TOKEN = 'ac3c5ea1b6f04d52a3b9e7c10f5e8d7a';
const SOURCE_ID = 'src_shopee_th';
const START = Date.parse('2025-05-09T05:03:00Z');
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WINDOW_LIMIT_S = 15 * 86_400;

const seconds = (ms: number) => Math.floor(ms / 1000);
const iso = (ms: number) => new Date(ms).toISOString();

describe('shopeeConnector against the Open Platform v2 emulator', () => {
  let shopee: ShopeeEmulator | undefined;
  let clockMs = START;
  const clock = () => new Date(clockMs);

  afterEach(async () => {
    await shopee?.close();
    shopee = undefined;
    clockMs = START;
  });

  async function start(options: Partial<ShopeeEmulatorOptions> = {}): Promise<ShopeeEmulator> {
    shopee = await startShopeeEmulator({
      partnerId: PARTNER_ID,
      partnerKey: PARTNER_KEY,
      shopId: SHOP_ID,
      accessToken: TOKEN,
      region: 'TH',
      now: clock,
      ...options,
    });
    return shopee;
  }

  /** A session as the sync activity opens one: settings and credentials through their schemas. */
  function open(
    emulator: ShopeeEmulator,
    settings: Record<string, unknown> = {},
    credentials: Record<string, unknown> = {},
    context: Partial<ConnectorContext> = {},
  ): ConnectorSession {
    const parsedSettings = ShopeeSettings.parse({
      baseUrl: emulator.baseUrl,
      partnerId: PARTNER_ID,
      shopId: SHOP_ID,
      ...settings,
    });
    const parsedCredentials = ShopeeCredentials.parse({ partnerKey: PARTNER_KEY, accessToken: TOKEN, ...credentials });
    return shopeeConnector.open(parsedSettings, parsedCredentials, {
      sourceId: SOURCE_ID,
      now: clock,
      sleep: async () => {},
      ...context,
    });
  }

  /** Every page of a pass (test/support/connector-pass.ts). */
  const walk = (session: ConnectorSession, since?: string, options: Omit<PassOptions, 'since'> = {}) =>
    walkPass(session, { ...options, ...(since !== undefined ? { since } : {}) });
  const failure = connectorFailure;

  const listCalls = (emulator: ShopeeEmulator) =>
    emulator.requests.filter((request) => request.path === ORDER_LIST_PATH && request.status === 200);
  const detailCalls = (emulator: ShopeeEmulator) =>
    emulator.requests.filter((request) => request.path === ORDER_DETAIL_PATH && request.status === 200);
  const ids = (orders: { externalId?: string }[]) => orders.map((order) => order.externalId!);
  const maxUpdate = (emulator: ShopeeEmulator, sns?: string[]) =>
    iso(
      Math.max(
        ...emulator
          .orders()
          .filter((o) => !sns || sns.includes(o.order_sn))
          .map((o) => o.update_time),
      ) * 1000,
    );

  /** 250 orders created over the 40 days before START (each updated up to 3 days later). */
  async function shopWith250Orders(): Promise<{ emulator: ShopeeEmulator; sns: string[] }> {
    const emulator = await start();
    const sns = emulator.seedOrders({
      count: 250,
      from: new Date(START - 40 * DAY_MS),
      to: new Date(START - HOUR_MS),
      seed: 7,
    });
    return { emulator, sns };
  }

  it('syncs 250 orders over 40 days in windows under 15 days, each order exactly once, with exact amounts', async () => {
    const { emulator, sns } = await shopWith250Orders();
    const syncFrom = iso(START - 41 * DAY_MS);

    const pass = await walk(open(emulator, { syncFrom, pageSize: 80 }));

    // Every order once, none rejected.
    expect(pass.rejected).toEqual([]);
    expect(new Set(ids(pass.orders)).size).toBe(pass.orders.length);
    expect(ids(pass.orders).sort()).toEqual([...sns].sort());
    expect(pass.highWater).toBe(maxUpdate(emulator));
    expect(pass.next).toBeNull();

    // Windows: consecutive, from syncFrom to the clock at the pass's first page, each under 15 days.
    const windows = [
      ...new Map(listCalls(emulator).map((call) => [call.params.time_from, Number(call.params.time_to)])).entries(),
    ].map(([from, to]) => ({ from: Number(from), to }));
    expect(windows.length).toBe(3);
    expect(windows[0]!.from).toBe(seconds(Date.parse(syncFrom)));
    expect(windows.at(-1)!.to).toBe(seconds(START));
    windows.forEach((window, i) => {
      expect(window.to - window.from).toBeLessThan(WINDOW_LIMIT_S);
      if (i > 0) expect(window.from).toBe(windows[i - 1]!.to + 1);
    });
    for (const call of listCalls(emulator)) {
      expect(call.params).toMatchObject({
        time_range_field: 'update_time',
        page_size: '80',
        partner_id: String(PARTNER_ID),
        shop_id: String(SHOP_ID),
      });
      expect(call.params).not.toHaveProperty('access_token');
    }
    // One SyncPage per list page; at least one window took two pages, so Shopee's cursor was followed.
    expect(pass.pages.length).toBe(listCalls(emulator).length);
    expect(listCalls(emulator).some((call) => call.params.cursor !== '')).toBe(true);
    // Details in batches of at most 50.
    const batches = detailCalls(emulator).map((call) => call.params.order_sn_list!.split(',').length);
    expect(Math.max(...batches)).toBe(50);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(250);
    expect(detailCalls(emulator)[0]!.params.response_optional_fields).toContain('total_amount');

    // Exact money and the shop's local time.
    const byId = new Map(pass.orders.map((order) => [order.externalId, order]));
    for (const raw of emulator.orders()) {
      const order = byId.get(raw.order_sn)!;
      const expected = parseAmount(String(raw.total_amount), 'THB');
      expect(expected.ok && expected.minor.toString()).toBe(order.totalMinor);
      expect(order).toMatchObject({
        sourceId: SOURCE_ID,
        currency: 'THB',
        timeZone: 'Asia/Bangkok',
        placedAt: iso(raw.create_time * 1000),
        updatedAt: iso(raw.update_time * 1000),
      });
      expect(order.customerExternalId).toBe(String(raw.buyer_user_id));
      if (raw.recipient_address!.phone.includes('*')) expect(order).not.toHaveProperty('phone');
      else expect(order.phone).toBe(raw.recipient_address!.phone);
    }
    expect(pass.orders.some((order) => order.phone === undefined)).toBe(true);
    expect(pass.orders.some((order) => order.phone !== undefined)).toBe(true);
  });

  it('resumes a pass from a checkpointed cursor in a new session, ending where the pass began', async () => {
    const { emulator, sns } = await shopWith250Orders();
    const settings = { syncFrom: iso(START - 41 * DAY_MS), pageSize: 40 };

    const first = await walk(open(emulator, settings), undefined, { maxPages: 3 });
    expect(first.next).not.toBeNull();
    const checkpoint = JSON.stringify(first.next);
    expect(JSON.parse(checkpoint)).toMatchObject({
      passEnd: iso(START),
      pageCursor: expect.any(String),
      windowFrom: expect.any(String),
    });

    // The worker restarts an hour later; an order placed meanwhile belongs to the next pass.
    clockMs = START + HOUR_MS;
    const [late] = emulator.addOrders([{ total_amount: 99 }]);
    const rest = await walk(open(emulator, settings), undefined, { from: JSON.parse(checkpoint) as Cursor });

    const all = [...ids(first.orders), ...ids(rest.orders)];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual([...sns].sort());
    expect(all).not.toContain(late);
    expect(Math.max(...listCalls(emulator).map((call) => Number(call.params.time_to)))).toBe(seconds(START));
  });

  it('returns only orders updated since the last pass high-water mark on the next pass', async () => {
    const { emulator, sns } = await shopWith250Orders();
    const first = await walk(open(emulator, { syncFrom: iso(START - 41 * DAY_MS), pageSize: 100 }));
    expect(first.orders).toHaveLength(250);

    clockMs = START + 2 * HOUR_MS;
    const updated = [sns[3]!, sns[100]!, sns[249]!];
    emulator.updateOrder(updated[0]!, { order_status: 'CANCELLED' });
    emulator.updateOrder(updated[1]!, { order_status: 'COMPLETED' });
    emulator.updateOrder(updated[2]!);
    const added = emulator.addOrders([{ total_amount: 1234.5, order_status: 'UNPAID' }]);
    clockMs += 60_000;
    const requestsBefore = emulator.requests.length;

    const second = await walk(open(emulator, { syncFrom: iso(START - 41 * DAY_MS), pageSize: 100 }), first.highWater);

    // `since` is inclusive: orders last changed at exactly the old high-water mark come again (storage is idempotent).
    const atMark = emulator
      .orders()
      .filter((o) => iso(o.update_time * 1000) === first.highWater && !updated.includes(o.order_sn))
      .map((o) => o.order_sn);
    expect(ids(second.orders).sort()).toEqual([...updated, ...added, ...atMark].sort());
    expect(second.orders.find((order) => order.externalId === updated[0])!.status).toBe('cancelled');
    expect(second.highWater).toBe(iso(START + 2 * HOUR_MS));
    const calls = emulator.requests.slice(requestsBefore).filter((call) => call.path === ORDER_LIST_PATH);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params).toMatchObject({
      time_from: String(seconds(Date.parse(first.highWater!))),
      time_to: String(seconds(clockMs)),
    });
  });

  it('maps what it can and rejects the rest by order_sn, still moving the high-water mark', async () => {
    const emulator = await start();
    const [good, bad, noZone] = emulator.addOrders([
      { create_time: new Date(START - 3 * HOUR_MS), total_amount: 590, recipient_address: { phone: '******78' } },
      { create_time: new Date(START - 2 * HOUR_MS), currency: 'XYZ', total_amount: 10, buyer_username: 'secret_buyer' },
      { create_time: new Date(START - HOUR_MS), region: 'KR', currency: 'KRW', total_amount: 12000 },
    ]);

    const pass = await walk(open(emulator, { syncFrom: '2025-05-01' }));

    expect(ids(pass.orders)).toEqual([good]);
    expect(pass.orders[0]).not.toHaveProperty('phone');
    expect(pass.rejected).toEqual([
      { externalId: bad, reason: 'currency: XYZ is not an ISO 4217 currency code' },
      { externalId: noZone, reason: expect.stringMatching(/^region: KR .*set timeZone/) },
    ]);
    expect(JSON.stringify(pass.rejected)).not.toContain('secret_buyer');
    expect(pass.highWater).toBe(iso(START - HOUR_MS));
  });

  it('refuses a wrong partner key as a non-retryable auth error that says what to fix, without retrying', async () => {
    const emulator = await start();
    emulator.seedOrders({ count: 3, seed: 1 });

    const error = await failure(
      open(emulator, {}, { partnerKey: `${PARTNER_KEY}-old` }).fetchPage('orders', null, undefined),
    );

    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(403);
    expect(error.message).toContain(`Shopee refused the request signature for shop ${SHOP_ID}`);
    expect(error.message).toContain('partner key');
    expect(error.message).toContain('reconnect the Shopee shop in Meridian');
    expect(error.message).not.toContain(PARTNER_KEY);
    expect(emulator.requests.map((call) => call.error)).toEqual(['error_sign']);
  });

  it('reports a revoked token as a non-retryable auth error that says to reconnect the shop', async () => {
    const emulator = await start();
    emulator.seedOrders({ count: 3, seed: 1 });
    const session = open(emulator, {}, {}, {});
    await session.fetchPage('orders', null, undefined);
    emulator.revokeToken();

    const error = await failure(session.fetchPage('orders', null, undefined));

    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`Shopee rejected the access token for shop ${SHOP_ID}`);
    expect(error.message).toContain('reconnect the Shopee shop in Meridian');
    expect(error.message).not.toContain(TOKEN);
    expect(emulator.requests.at(-1)).toMatchObject({ status: 403, error: 'invalid_acceess_token' });
  });

  it('refuses a token of another shop the same way', async () => {
    const emulator = await start();
    const error = await failure(open(emulator, { shopId: SHOP_ID + 1 }).fetchPage('orders', null, undefined));
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.message).toContain(`for shop ${SHOP_ID + 1}`);
  });

  it('waits out 429s for Retry-After, heartbeating, and retries 500s, and the pass still completes', async () => {
    const { emulator, sns } = await shopWith250Orders();
    const waits: number[] = [];
    let heartbeats = 0;
    const session = open(
      emulator,
      { syncFrom: iso(START - 41 * DAY_MS), pageSize: 100 },
      {},
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
        heartbeat: () => heartbeats++,
      },
    );
    emulator.failNext(2, 429, { retryAfterSeconds: 3 });
    const first = await session.fetchPage('orders', null, undefined);
    expect(waits).toEqual([3_000, 3_000]);
    expect(heartbeats).toBeGreaterThanOrEqual(2);

    emulator.failNext(1, 500);
    const rest = await walk(session, undefined, { from: first.next!, retries: 3 });
    expect(rest.retried).toHaveLength(1);
    expect(rest.retried[0]).toBeInstanceOf(ConnectorTransientError);
    expect(rest.retried[0]!.status).toBe(500);

    const all = [...ids(first.orders), ...ids(rest.orders)];
    expect(new Set(all).size).toBe(250);
    expect(all.sort()).toEqual([...sns].sort());
    expect(emulator.requests.map((call) => call.status).filter((status) => status !== 200)).toEqual([429, 429, 500]);
  });

  it("keeps under the emulator's own rate limit by waiting for Retry-After", async () => {
    const emulator = await start({ callsPerSecond: 3 });
    const sns = emulator.seedOrders({
      count: 40,
      from: new Date(START - 5 * DAY_MS),
      to: new Date(START - HOUR_MS),
      seed: 3,
    });
    const waits: number[] = [];
    const session = open(
      emulator,
      { syncFrom: iso(START - 6 * DAY_MS), pageSize: 10 },
      {},
      {
        sleep: (ms) => {
          waits.push(ms);
          return new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
    );

    const pass = await walk(session);

    expect(ids(pass.orders).sort()).toEqual([...sns].sort());
    const throttled = emulator.requests.filter((call) => call.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(throttled.every((call) => call.error === 'error_rate_limit')).toBe(true);
    expect(waits).toHaveLength(throttled.length);
    expect(waits.every((ms) => ms === 1_000)).toBe(true);
  });

  it('gives up after the client waited out too many 429s, with a retryable ConnectorRateLimited', async () => {
    const emulator = await start();
    emulator.failNext(20, 429, { retryAfterSeconds: 2 });
    const error = await failure(open(emulator).fetchPage('orders', null, undefined));
    expect(error).toBeInstanceOf(ConnectorRateLimited);
    expect(error.retryable).toBe(true);
    expect((error as ConnectorRateLimited).retryAfterMs).toBe(2_000);
    expect(emulator.requests).toHaveLength(11);
  });

  it('reports JSON cut short as a retryable transient error that holds no order data', async () => {
    const emulator = await start();
    const [sn] = emulator.addOrders([{ create_time: new Date(START - HOUR_MS), buyer_username: 'secret_buyer' }]);
    const session = open(emulator, { syncFrom: '2025-05-01' });
    const list = await session.fetchPage('orders', null, undefined);
    expect(ids(list.orders)).toEqual([sn]);

    emulator.failNext(1, 'garbage');
    const error = await failure(session.fetchPage('orders', null, undefined));

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).not.toContain('secret_buyer');
    expect(error.message).not.toContain(sn);
  });

  it('reports a 503 page from the edge as a retryable transient error without echoing it', async () => {
    const emulator = await start();
    emulator.failNext(1, 503);
    const error = await failure(open(emulator).fetchPage('orders', null, undefined));
    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.status).toBe(503);
    expect(error.message).not.toContain('<html>');
  });

  it('times out a held call as a retryable transient error', async () => {
    const emulator = await start();
    emulator.failNext(1, 'timeout');
    const client = new ShopeeClient({
      baseUrl: emulator.baseUrl,
      partnerId: PARTNER_ID,
      partnerKey: PARTNER_KEY,
      shopId: SHOP_ID,
      accessToken: TOKEN,
      now: clock,
      timeoutMs: 300,
    });
    const startedAt = performance.now();

    const error = await failure(
      client.getOrderList({
        timeRangeField: 'update_time',
        timeFrom: seconds(START - DAY_MS),
        timeTo: seconds(START),
        pageSize: 10,
        cursor: '',
      }),
    );

    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('did not answer within 300 ms');
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('reports a connection dropped without an answer, through the session, as a retryable transient error', async () => {
    const emulator = await start();
    emulator.failNext(1, 'timeout', { closeAfterMs: 50 });
    const error = await failure(open(emulator).fetchPage('orders', null, undefined));
    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
  });

  it('reports a clock more than 5 minutes off as a refused request', async () => {
    const emulator = await start();
    const error = await failure(
      open(emulator, {}, {}, { now: () => new Date(START + 10 * 60_000) }).fetchPage('orders', null, undefined),
    );
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.retryable).toBe(false);
    expect((error as ConnectorRequestError).apiErrors).toBe('error_param: Invalid timestamp.');
  });

  it("reports a refused parameter as non-retryable with Shopee's error text", async () => {
    const emulator = await start();
    const client = new ShopeeClient({
      baseUrl: emulator.baseUrl,
      partnerId: PARTNER_ID,
      partnerKey: PARTNER_KEY,
      shopId: SHOP_ID,
      accessToken: TOKEN,
      now: clock,
    });
    const error = await failure(
      client.getOrderList({
        timeRangeField: 'update_time',
        timeFrom: seconds(START - DAY_MS),
        timeTo: seconds(START),
        pageSize: 101,
        cursor: '',
      }),
    );
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.status).toBe(400);
    expect((error as ConnectorRequestError).apiErrors).toMatch(/^error_param: .*page_size/);
  });

  it('emulates the 15-day window and 50-order detail rules for signed calls', async () => {
    const emulator = await start();
    const call = async (path: string, params: Record<string, string>) => {
      const timestamp = seconds(clockMs);
      const sign = shopeeSign(
        PARTNER_KEY,
        shopeeBaseString({ partnerId: PARTNER_ID, apiPath: path, timestamp, accessToken: TOKEN, shopId: SHOP_ID }),
      );
      const query = new URLSearchParams({
        partner_id: String(PARTNER_ID),
        timestamp: String(timestamp),
        access_token: TOKEN,
        shop_id: String(SHOP_ID),
        sign,
        ...params,
      });
      const response = await fetch(`${emulator.baseUrl}${path}?${query}`);
      return {
        status: response.status,
        body: (await response.json()) as { error: string; message: string; response?: unknown },
      };
    };
    const list = (span: number) =>
      call(ORDER_LIST_PATH, {
        time_range_field: 'update_time',
        time_from: String(seconds(START) - span),
        time_to: String(seconds(START)),
        page_size: '10',
        cursor: '',
      });

    expect(await list(WINDOW_LIMIT_S - 1)).toMatchObject({
      status: 200,
      body: { error: '', response: { more: false, next_cursor: '', order_list: [] } },
    });
    expect(await list(WINDOW_LIMIT_S)).toMatchObject({
      status: 400,
      body: { error: 'error_param', message: expect.stringContaining('less than 15 days') },
    });
    const sns = Array.from({ length: 51 }, (_, i) => `2505090000${String(i).padStart(4, '0')}`);
    expect(await call(ORDER_DETAIL_PATH, { order_sn_list: sns.slice(0, 50).join(',') })).toMatchObject({
      status: 200,
      body: { response: { order_list: [] } },
    });
    expect(await call(ORDER_DETAIL_PATH, { order_sn_list: sns.join(',') })).toMatchObject({
      status: 400,
      body: { error: 'error_param' },
    });
  });

  it('refuses a cursor it did not write, and a stream Shopee does not have', async () => {
    const emulator = await start();
    const session = open(emulator);
    await expect(session.fetchPage('orders', { pageInfo: 'abc' }, undefined)).rejects.toThrow(/cursor/);
    await expect(session.fetchPage('customers', null, undefined)).rejects.toThrow(/no customers stream/);
    expect(emulator.requests).toHaveLength(0);
  });
});
