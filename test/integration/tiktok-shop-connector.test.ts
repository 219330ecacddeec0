import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorAuthError, ConnectorRateLimited, ConnectorTransientError } from '../../connectors/errors';
import type { ConnectorContext, ConnectorSession } from '../../connectors/framework';
import {
  ORDERS_SEARCH_PATH,
  TikTokShopCredentials,
  TikTokShopSettings,
  tiktokShopConnector,
  tiktokShopSign,
} from '../../connectors/tiktok-shop';
import { allowEmulatorHosts } from '../emulators/hosts';
import {
  EmulatedTikTokOrder,
  startTikTokShopEmulator,
  TikTokShopEmulator,
  TikTokShopRegion,
} from '../emulators/tiktok-shop';
import { connectorFailure, walkPass } from '../support/connector-pass';

allowEmulatorHosts();

/** The TikTok Shop connector, through the session the sync opens, against the local Open API emulator. */

const APP_KEY = '6a7b8c9dtts';
const APP_SECRET = 'tiktok-shop-app-secret-for-tests';
const CIPHER = 'ROW_Y-vWtestcipher';
const ACCESS = 'ROW_access_initial';
const REFRESH = 'ROW_refresh_initial';
const SOURCE_ID = 'src_tiktok';
const START = Date.parse('2025-05-09T05:03:00Z');
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('tiktokShopConnector against the Open API emulator', () => {
  let tiktok: TikTokShopEmulator | undefined;
  let clockMs = START;
  const clock = () => new Date(clockMs);

  afterEach(async () => {
    await tiktok?.close();
    tiktok = undefined;
    clockMs = START;
  });

  async function start(region: TikTokShopRegion = 'ID', callsPerSecond: number | null = null) {
    tiktok = await startTikTokShopEmulator({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      shopCipher: CIPHER,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      region,
      now: clock,
      callsPerSecond,
    });
    return tiktok;
  }

  function open(
    emulator: TikTokShopEmulator,
    settings: Record<string, unknown> = {},
    credentials: Record<string, unknown> = {},
    context: Partial<ConnectorContext> = {},
  ): ConnectorSession {
    return tiktokShopConnector.open(
      TikTokShopSettings.parse({
        region: 'ID',
        appKey: APP_KEY,
        shopCipher: CIPHER,
        apiUrl: emulator.baseUrl,
        authUrl: emulator.baseUrl,
        syncFrom: iso(START - 30 * DAY_MS),
        ...settings,
      }),
      TikTokShopCredentials.parse({
        appSecret: APP_SECRET,
        accessToken: ACCESS,
        refreshToken: REFRESH,
        ...credentials,
      }),
      { sourceId: SOURCE_ID, now: clock, sleep: async () => {}, ...context },
    );
  }

  function orders(count: number, from: number, extra: (i: number) => Partial<EmulatedTikTokOrder> = () => ({})) {
    return Array.from({ length: count }, (_, i) => ({
      id: String(576_000_000_000_000_000n + BigInt(i)),
      create_time: new Date(from + i * 3_600_000),
      // Several orders share each update second.
      update_time: new Date(from + Math.floor(i / 3) * 3_600_000 + 60_000),
      total_amount: '150000',
      user_id: String(7_494_000_000 + (i % 7)),
      ...extra(i),
    }));
  }

  it('signs as TikTok Shop documents: secret + path + sorted parameters (no sign, no access_token) + body + secret', () => {
    const params = { timestamp: '1697708762', app_key: 'abc', shop_cipher: 'C', access_token: 'T', sign: 'x' };
    const body = '{"update_time_ge":1}';
    const expected = createHmac('sha256', 's3cret')
      .update(`s3cret${ORDERS_SEARCH_PATH}app_keyabcshop_cipherCtimestamp1697708762${body}s3cret`)
      .digest('hex');
    expect(tiktokShopSign('s3cret', ORDERS_SEARCH_PATH, params, body)).toBe(expected);
  });

  it('pages 130 orders by update time, each once, the token in its header, amounts exact in the shop currency', async () => {
    const emulator = await start('ID');
    emulator.addOrders(orders(130, START - 20 * DAY_MS, (i) => ({ total_amount: i === 4 ? '1250000.50' : '150000' })));
    const pass = await walkPass(open(emulator, { pageSize: 50 }));
    expect(pass.rejected).toEqual([]);
    expect(pass.orders).toHaveLength(130);
    expect(new Set(pass.orders.map((o) => o.externalId)).size).toBe(130);
    const searches = emulator.requests.filter((r) => r.path === ORDERS_SEARCH_PATH);
    expect(searches).toHaveLength(3);
    expect(searches.every((r) => r.params.access_token === undefined && r.params.sort_field === 'update_time')).toBe(
      true,
    );
    expect(searches[0]!.body).toEqual({ update_time_ge: (START - 30 * DAY_MS) / 1000, update_time_lt: START / 1000 });
    expect(searches[1]!.params.page_token).toBeTruthy();
    const byId = new Map(pass.orders.map((o) => [o.externalId, o]));
    // IDR has two minor digits in ISO 4217.
    expect(byId.get('576000000000000004')).toMatchObject({ currency: 'IDR', totalMinor: '125000050' });
    expect(byId.get('576000000000000000')).toMatchObject({
      totalMinor: '15000000',
      customerExternalId: '7494000000',
      countryCode: 'ID',
      timeZone: 'Asia/Jakarta',
      status: 'closed',
      placedAt: iso(START - 20 * DAY_MS),
    });
    expect(pass.highWater).toBe(iso(START - 20 * DAY_MS + 43 * 3_600_000 + 60_000));
  });

  it('uses neither the relay or masked e-mail nor the masked phone as identifiers; whole ones are kept', async () => {
    const emulator = await start('US');
    emulator.addOrders([
      ...orders(3, START - DAY_MS, () => ({ total_amount: '21.50' })),
      {
        id: '576000000000000100',
        create_time: new Date(START - DAY_MS),
        total_amount: '9.99',
        user_id: '7494000100',
        buyer_email: 'j***@gmail.com',
        phone_number: '(+1)213****90',
      },
      {
        id: '576000000000000101',
        create_time: new Date(START - DAY_MS),
        total_amount: '9.99',
        user_id: '7494000101',
        buyer_email: 'buyer.real@example.org',
        phone_number: '(+1)2135550190',
      },
    ]);
    const pass = await walkPass(open(emulator, { region: 'US' }));
    expect(pass.orders).toHaveLength(5);
    const masked = pass.orders.filter((o) => o.externalId !== '576000000000000101');
    // Relay addresses (…@scs.tiktokw.us), "j***@gmail.com" and "(+1)213****90" are absent, never unmasked.
    for (const order of masked) {
      expect(order.email).toBeUndefined();
      expect(order.phone).toBeUndefined();
      expect(order.customerExternalId).toMatch(/^7494/);
    }
    expect(pass.orders.find((o) => o.externalId === '576000000000000101')).toMatchObject({
      email: 'buyer.real@example.org',
      phone: '+12135550190',
      currency: 'USD',
      totalMinor: '999',
    });
  });

  it('rejects an order in another currency by name, keeping the rest', async () => {
    const emulator = await start('ID');
    emulator.addOrders(orders(4, START - DAY_MS, (i) => (i === 2 ? { currency: 'USD' } : {})));
    const pass = await walkPass(open(emulator));
    expect(pass.orders).toHaveLength(3);
    expect(pass.rejected).toEqual([
      { externalId: '576000000000000002', reason: 'payment.currency: must be IDR, the currency of TikTok Shop ID' },
    ]);
  });

  it('waits out HTTP 429, and reports 5xx and cut answers as transient', async () => {
    const emulator = await start('ID');
    emulator.addOrders(orders(20, START - DAY_MS));
    const waits: number[] = [];
    emulator.failNext(2, 429);
    const pass = await walkPass(open(emulator, { pageSize: 10 }, {}, { sleep: async (ms) => void waits.push(ms) }));
    expect(pass.orders).toHaveLength(20);
    expect(waits).toEqual([2_000, 4_000]);

    emulator.failNext(1, 503);
    emulator.failNext(1, 'garbage');
    const again = await walkPass(open(emulator, { pageSize: 10 }), { retries: 2 });
    expect(again.orders).toHaveLength(20);
    expect(again.retried.map((e) => e.constructor)).toEqual([ConnectorTransientError, ConnectorTransientError]);

    // Throttled past the client's patience: thrown for the activity to retry later.
    emulator.failNext(11, 429);
    const error = await connectorFailure(walkPass(open(emulator, { pageSize: 10 })));
    expect(error).toBeInstanceOf(ConnectorRateLimited);
  });

  it('refreshes an expired access token once and hands the new pair over before using it', async () => {
    const emulator = await start('ID');
    emulator.addOrders(orders(5, START - DAY_MS));
    emulator.expireAccessToken();
    const saved: unknown[] = [];
    const pass = await walkPass(
      open(emulator, {}, {}, { saveCredentials: async (credentials) => void saved.push(credentials) }),
    );
    expect(pass.orders).toHaveLength(5);
    expect(emulator.requests.map((r) => [r.path, r.status])).toEqual([
      [ORDERS_SEARCH_PATH, 401],
      ['/api/v2/token/refresh', 200],
      [ORDERS_SEARCH_PATH, 200],
    ]);
    expect(saved).toEqual([
      expect.objectContaining({
        appSecret: APP_SECRET,
        ...emulator.tokens(),
        accessTokenExpiresAt: expect.any(String),
      }),
    ]);
  });

  it('fails with "reconnect" when the seller revoked the authorisation, after one refresh attempt', async () => {
    const emulator = await start('ID');
    emulator.addOrders(orders(5, START - DAY_MS));
    emulator.revokeToken();
    const error = await connectorFailure(walkPass(open(emulator)));
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /TikTok Shop refused the refresh token for TikTok Shop app 6a7b8c9dtts while refreshing the access token: reconnect the TikTok Shop seller account in Meridian/,
    );
    expect(error.message).not.toContain(REFRESH);
    expect(emulator.requests.map((r) => r.code)).toEqual([105001, 36004005]);
  });

  it('names a wrong app secret as a signature the seller account must be reconnected with', async () => {
    const emulator = await start('ID');
    const error = await connectorFailure(walkPass(open(emulator, {}, { appSecret: 'not-the-secret' })));
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.message).toMatch(/refused the request signature .* app key 6a7b8c9dtts.*106001/);
  });

  it("takes API URLs only on TikTok Shop's own hosts, over https", () => {
    const base = { region: 'ID', appKey: APP_KEY, shopCipher: CIPHER };
    expect(TikTokShopSettings.safeParse({ ...base, apiUrl: 'https://open-api.tiktokglobalshop.com' }).success).toBe(
      true,
    );
    expect(TikTokShopSettings.safeParse({ ...base, authUrl: 'https://auth.tiktok-shops.com' }).success).toBe(true);
    for (const url of ['https://evil.example.com', 'http://open-api.tiktokglobalshop.com', 'https://169.254.169.254'])
      expect(TikTokShopSettings.safeParse({ ...base, apiUrl: url }).success).toBe(false);
    expect(TikTokShopSettings.safeParse({ ...base, region: 'XX' }).error?.issues[0]?.message).toMatch(
      /must be a TikTok Shop market/,
    );
  });
});
