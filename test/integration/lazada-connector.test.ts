import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorAuthError, ConnectorError, ConnectorTransientError } from '../../connectors/errors';
import type { ConnectorContext, ConnectorSession, Cursor, SyncPage } from '../../connectors/framework';
import { LazadaCredentials, LazadaSettings, lazadaConnector, lazadaSign } from '../../connectors/lazada';
import type { CanonicalOrder, RejectedRecord } from '../../domain/commerce';
import { EmulatedLazadaOrder, LazadaCountry, LazadaEmulator, startLazadaEmulator } from '../emulators/lazada';
import { allowEmulatorHosts } from '../emulators/hosts';
import { PassOptions, walkPass } from '../support/connector-pass';

allowEmulatorHosts();

/** The Lazada connector, through the session the sync opens, against the local Open Platform emulator. */

const APP_KEY = '100123';
const APP_SECRET = 'lazada-app-secret-for-tests';
const ACCESS = '50000601a22xBVesg1a4c1a4a4fHtqxRRYyjCnmoPo1y2R8bGusQ0DJb2BzLgn';
const REFRESH = '50001600a22vOBsWbn1f6a8e1ZhmzGqEgQdsh7CCV5sdj1uXtzrCZIMWxBRcPp';
const SOURCE_ID = 'src_lazada';
const START = Date.parse('2025-05-09T05:03:00Z');
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('lazadaConnector against the Open Platform emulator', () => {
  let lazada: LazadaEmulator | undefined;
  let clockMs = START;
  const clock = () => new Date(clockMs);

  afterEach(async () => {
    await lazada?.close();
    lazada = undefined;
    clockMs = START;
  });

  async function start(country: LazadaCountry = 'TH', options: { callsPerSecond?: number | null } = {}) {
    lazada = await startLazadaEmulator({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      country,
      now: clock,
      callsPerSecond: null,
      ...options,
    });
    return lazada;
  }

  function open(
    emulator: LazadaEmulator,
    settings: Record<string, unknown> = {},
    credentials: Record<string, unknown> = {},
    context: Partial<ConnectorContext> = {},
  ): ConnectorSession {
    const parsedSettings = LazadaSettings.parse({
      country: 'TH',
      appKey: APP_KEY,
      apiUrl: emulator.apiUrl,
      authUrl: emulator.apiUrl,
      syncFrom: iso(START - 30 * DAY_MS),
      ...settings,
    });
    const parsedCredentials = LazadaCredentials.parse({
      appSecret: APP_SECRET,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      ...credentials,
    });
    return lazadaConnector.open(parsedSettings, parsedCredentials, {
      sourceId: SOURCE_ID,
      now: clock,
      sleep: async () => {},
      ...context,
    });
  }

  /** Every page of a pass (test/support/connector-pass.ts). */
  const walk = (session: ConnectorSession, options: PassOptions = {}) => walkPass(session, options);

  function orders(count: number, from: number, extra: (i: number) => Partial<EmulatedLazadaOrder> = () => ({})) {
    return Array.from({ length: count }, (_, i) => ({
      order_id: 400_000_000 + i,
      created_at: new Date(from + i * 3_600_000),
      // Several orders share each update second, so paging must not lose or repeat ties.
      updated_at: new Date(from + Math.floor(i / 4) * 3_600_000 + 60_000),
      price: '1290.50',
      buyer_id: 7_000 + (i % 9),
      ...extra(i),
    }));
  }

  it('signs as Lazada documents: the example of its "HTTP request sample" page', () => {
    expect(
      lazadaSign('helloworld', '/order/get', {
        app_key: '123456',
        access_token: 'test',
        timestamp: '1517820392000',
        sign_method: 'sha256',
        order_id: '1234',
      }),
    ).toBe('4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A');
  });

  it('pages 230 orders by update time, oldest first, each once, ties across page ends included, amounts exact', async () => {
    const emulator = await start();
    emulator.addOrders(orders(230, START - 20 * DAY_MS, (i) => ({ price: i === 5 ? '1250000' : 1290.5 + i })));
    const pass = await walk(open(emulator, { pageSize: 50 }));
    expect(pass.rejected).toEqual([]);
    expect(pass.orders).toHaveLength(230);
    expect(new Set(pass.orders.map((o) => o.externalId)).size).toBe(230);
    // 50 is not a multiple of 4: page ends fall inside a second shared by several orders.
    const lists = emulator.requests.filter((r) => r.path === '/orders/get');
    expect(lists.length).toBe(5);
    expect(lists.some((r) => Number(r.params.offset) > 0)).toBe(true);
    expect(lists.every((r) => r.params.sort_by === 'updated_at' && r.params.sort_direction === 'ASC')).toBe(true);
    expect(lists.every((r) => r.params.update_before === '2025-05-09T05:03:00+00:00')).toBe(true);
    const byId = new Map(pass.orders.map((o) => [o.externalId, o]));
    // "1,250,000.00" THB (written with separators by Lazada) in satang.
    expect(byId.get('400000005')).toMatchObject({ currency: 'THB', totalMinor: '125000000', timeZone: 'Asia/Bangkok' });
    expect(byId.get('400000000')).toMatchObject({
      totalMinor: '129050',
      customerExternalId: '7000',
      countryCode: 'TH',
      status: 'closed',
      placedAt: iso(START - 20 * DAY_MS),
    });
    expect(byId.get('400000000')).not.toHaveProperty('phone'); // masked by Lazada
  });

  it('keeps VND whole and IDR in ISO 4217 cents though Lazada writes both as whole amounts', async () => {
    const vn = await start('VN');
    vn.addOrders(orders(3, START - DAY_MS, (i) => ({ price: [259000, '1250000.00', 99000][i]! })));
    const vnPass = await walk(open(vn, { country: 'VN' }));
    expect(vnPass.orders.map((o) => [o.currency, o.totalMinor, o.timeZone])).toEqual([
      ['VND', '259000', 'Asia/Ho_Chi_Minh'],
      ['VND', '1250000', 'Asia/Ho_Chi_Minh'],
      ['VND', '99000', 'Asia/Ho_Chi_Minh'],
    ]);
    await vn.close();
    const id = await start('ID');
    id.addOrders(orders(2, START - DAY_MS, (i) => ({ price: [189000, '2500000'][i]! })));
    const idPass = await walk(open(id, { country: 'ID' }));
    expect(idPass.orders.map((o) => [o.currency, o.totalMinor, o.timeZone])).toEqual([
      ['IDR', '18900000', 'Asia/Jakarta'],
      ['IDR', '250000000', 'Asia/Jakarta'],
    ]);
  });

  it('names an order in another currency and an unreadable price, keeping the rest', async () => {
    const emulator = await start('MY');
    emulator.addOrders(
      orders(4, START - DAY_MS, (i) => (i === 1 ? { currency: 'SGD' } : i === 2 ? { price: '12.345' } : {})),
    );
    const pass = await walk(open(emulator, { country: 'MY' }));
    expect(pass.orders.map((o) => o.externalId)).toEqual(['400000000', '400000003']);
    expect(pass.rejected).toEqual([
      { externalId: '400000001', reason: 'items[0].currency: must be MYR, the currency of Lazada MY' },
      { externalId: '400000002', reason: 'price: MYR has 2 decimal places; 12.345 has 3' },
    ]);
  });

  it('misses no order when one changes mid-pass (its new time is past the pass: the next pass takes it)', async () => {
    const emulator = await start();
    emulator.addOrders(orders(120, START - 10 * DAY_MS));
    clockMs = START;
    const first = await walk(open(emulator, { pageSize: 30 }), {
      between: (page) => {
        // After the first page, an order already read changes: with bare offsets the next page would skip one.
        if (page === 1) {
          clockMs = START + 60_000;
          emulator.updateOrder(400_000_003, { statuses: ['canceled'] });
        }
      },
    });
    expect(new Set(first.orders.map((o) => o.externalId)).size).toBe(120);
    const high = first.pages
      .map((p) => p.highWater)
      .filter(Boolean)
      .sort()
      .at(-1);
    const second = await walk(open(emulator), { since: high });
    expect(second.orders.map((o) => [o.externalId, o.status])).toContainEqual(['400000003', 'cancelled']);
  });

  it('refreshes an expired access token with the refresh token and hands the new pair over to be kept', async () => {
    const emulator = await start();
    emulator.addOrders(orders(3, START - DAY_MS));
    emulator.expireAccessToken();
    const saved: unknown[] = [];
    const pass = await walk(open(emulator, {}, {}, { saveCredentials: async (c) => void saved.push(c) }));
    expect(pass.orders).toHaveLength(3);
    expect(emulator.requests.filter((r) => r.path === '/auth/token/refresh')).toHaveLength(1);
    expect(saved).toEqual([
      {
        appSecret: APP_SECRET,
        accessToken: emulator.tokens().accessToken,
        refreshToken: emulator.tokens().refreshToken,
        accessTokenExpiresAt: iso(START + 7 * DAY_MS),
      },
    ]);
    // A token near its end is refreshed before use: no refused call.
    clockMs = START + 7 * DAY_MS - 60_000;
    const next = LazadaCredentials.parse(saved[0]);
    const before = emulator.requests.length;
    await walk(open(emulator, {}, next, { saveCredentials: async (c) => void saved.push(c) }));
    const later = emulator.requests.slice(before);
    expect(later[0]!.path).toBe('/auth/token/refresh');
    expect(later.some((r) => r.code === 'IllegalAccessToken')).toBe(false);
  });

  it('fails with "reconnect" when the seller revoked the authorisation, after one refresh attempt', async () => {
    const emulator = await start();
    emulator.addOrders(orders(3, START - DAY_MS));
    emulator.revokeToken();
    const error = await walk(open(emulator)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect((error as ConnectorAuthError).retryable).toBe(false);
    expect((error as Error).message).toMatch(
      /Lazada refused the refresh token for Lazada app 100123 while refreshing the access token: reconnect the Lazada seller account in Meridian/,
    );
    expect((error as Error).message).toContain('IllegalRefreshToken');
    expect((error as Error).message).not.toContain(REFRESH);
    expect(emulator.requests.map((r) => r.code)).toEqual(['IllegalAccessToken', 'IllegalRefreshToken']);
  });

  it('refuses a wrong app secret with IncompleteSignature, as an auth failure naming the app key', async () => {
    const emulator = await start();
    emulator.addOrders(orders(1, START - DAY_MS));
    const error = await walk(open(emulator, {}, { appSecret: 'not-the-secret' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect((error as Error).message).toMatch(
      /refused the request signature .* the app secret does not belong to app key 100123.*IncompleteSignature/,
    );
    expect(emulator.requests).toHaveLength(1);
  });

  it('waits out ApiCallLimit, retries 5xx, timeouts of the service and cut answers', async () => {
    const emulator = await start('TH', { callsPerSecond: 3 });
    emulator.addOrders(orders(12, START - DAY_MS));
    const waits: number[] = [];
    emulator.failNext(1, 503);
    const pass = await walk(
      open(
        emulator,
        { pageSize: 5 },
        {},
        {
          sleep: async (ms) => {
            waits.push(ms);
            await new Promise((resolve) => setTimeout(resolve, 1000)); // the emulator counts calls per real second
          },
        },
      ),
      {
        retries: 3,
        between: (page) => {
          if (page === 1) emulator.failNext(1, 'ServiceTimeout');
          if (page === 2) emulator.failNext(1, 'garbage');
        },
      },
    );
    expect(pass.orders).toHaveLength(12);
    expect(pass.retried.map((e) => e.constructor)).toEqual([
      ConnectorTransientError,
      ConnectorTransientError,
      ConnectorTransientError,
    ]);
    // 15 calls in little time at 3 a second: throttled, waited out with backoff, never failed.
    expect(emulator.requests.some((r) => r.code === 'ApiCallLimit')).toBe(true);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toBe(2000);
  });
});
