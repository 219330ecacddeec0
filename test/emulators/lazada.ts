import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for Lazada Open Platform for one app and one seller on one country site:
 * `GET /rest/orders/get`, `GET /rest/order/items/get` and `GET|POST /rest/auth/token/refresh` (the
 * auth host's path, served here too). It follows what Lazada documents and a client must survive:
 *
 * - System parameters app_key, timestamp (Unix ms), sign_method=sha256, sign, and access_token for
 *   seller APIs. sign = upper-case hex HMAC-SHA256(app secret, api path + each parameter but sign,
 *   sorted by name, as name+value). Every answer is HTTP 200 with `{ code, type, message, request_id }`,
 *   `code` "0" and `data` on success (the token answer has its fields at the top level), in the order checked:
 *   - a missing system parameter: `MissingParameter`;
 *   - an app_key other than the app's: `InvalidApiKey`;
 *   - a timestamp more than 2 hours from the emulator's clock: `InvalidTimestamp`;
 *   - a sign that does not match: `IncompleteSignature` "The request signature does not conform to platform standards";
 *   - an access token unknown, revoked or past its expiry: `IllegalAccessToken` "The specified access token is invalid or expired";
 *   - a refresh token unknown, revoked or already used: `IllegalRefreshToken`;
 *   - more calls in a second than the limit: `ApiCallLimit` (type ISP), "The request has exceeded the limit of API calls".
 * - /orders/get: update_after and update_before (ISO 8601, both inclusive), sort_by updated_at or
 *   created_at, sort_direction ASC or DESC, offset ≥ 0, limit 1–100. Answers `{ count, countTotal, orders }`.
 *   Times are written "2025-03-01 10:00:00 +0700" in the site's offset; price is text with thousands
 *   separators ("1,290.50", VND and IDR whole: "1,250,000.00").
 * - /order/items/get: order_id; the items carry buyer_id and the currency.
 * - /auth/token/refresh: refresh_token; a new pair (access token 7 days, refresh token 30); the old
 *   pair stops working, so a client that does not keep the new refresh token is locked out.
 */

export type LazadaCountry = 'MY' | 'SG' | 'TH' | 'ID' | 'PH' | 'VN';

const SITES: Record<LazadaCountry, { currency: string; offsetMinutes: number }> = {
  MY: { currency: 'MYR', offsetMinutes: 480 },
  SG: { currency: 'SGD', offsetMinutes: 480 },
  TH: { currency: 'THB', offsetMinutes: 420 },
  ID: { currency: 'IDR', offsetMinutes: 420 },
  PH: { currency: 'PHP', offsetMinutes: 480 },
  VN: { currency: 'VND', offsetMinutes: 420 },
};

export interface LazadaEmulatorOptions {
  appKey: string;
  appSecret: string;
  accessToken: string;
  refreshToken: string;
  country: LazadaCountry;
  now?: () => Date;
  /** Calls admitted per second (real time) before ApiCallLimit; default 50; null: none. */
  callsPerSecond?: number | null;
  /** Seconds the first access token is valid from now; default 7 days. */
  accessTokenExpiresIn?: number;
}

export interface EmulatedLazadaOrder {
  order_id: number;
  created_at: Date;
  /** Default created_at. */
  updated_at?: Date;
  /** Major units, as text ("1290.50") or a number; written with thousands separators. */
  price: string | number;
  statuses?: string[];
  buyer_id?: number | null;
  /** Default the site's. */
  currency?: string;
  items?: number;
  phone?: string;
}

export type LazadaFault = 500 | 503 | 'ApiCallLimit' | 'ServiceTimeout' | 'garbage';

export interface LazadaRequestRecord {
  path: string;
  /** The query without access_token, refresh_token and sign. */
  params: Record<string, string>;
  code: string;
}

export interface LazadaEmulator {
  /** Base of both API and auth URLs: `${baseUrl}/rest`. */
  baseUrl: string;
  apiUrl: string;
  addOrders(orders: EmulatedLazadaOrder[]): void;
  /** The order changes as the seller would: updated_at moves to now (at least a second on). */
  updateOrder(orderId: number, change?: Partial<EmulatedLazadaOrder>): void;
  /** The current access token ends now; the refresh token still works. */
  expireAccessToken(): void;
  /** The seller cancels the authorisation: both tokens stop working. */
  revokeToken(): void;
  failNext(count: number, fault: LazadaFault): void;
  rateLimit(callsPerSecond: number | null): void;
  /** The tokens that work now. */
  tokens(): { accessToken: string | undefined; refreshToken: string | undefined };
  requests: LazadaRequestRecord[];
  close(): Promise<void>;
}

const TIMESTAMP_TOLERANCE_MS = 2 * 3600_000;
const MAX_LIMIT = 100;
const ACCESS_TTL_S = 7 * 86_400;
const REFRESH_TTL_S = 30 * 86_400;
const SECRET_PARAMS = new Set(['access_token', 'refresh_token', 'sign']);

export function lazadaEmulatorSign(secret: string, apiPath: string, params: Record<string, string>): string {
  const base =
    apiPath +
    Object.keys(params)
      .filter((k) => k !== 'sign')
      .sort()
      .map((k) => `${k}${params[k]}`)
      .join('');
  return createHmac('sha256', secret).update(base, 'utf8').digest('hex').toUpperCase();
}

export async function startLazadaEmulator(options: LazadaEmulatorOptions): Promise<LazadaEmulator> {
  const now = options.now ?? (() => new Date());
  const site = SITES[options.country];
  const orders = new Map<number, Required<Omit<EmulatedLazadaOrder, 'phone'>> & { phone?: string }>();
  let access: { token: string; expiresAt: number } | undefined = {
    token: options.accessToken,
    expiresAt: now().getTime() + (options.accessTokenExpiresIn ?? ACCESS_TTL_S) * 1000,
  };
  let refresh: { token: string; expiresAt: number } | undefined = {
    token: options.refreshToken,
    expiresAt: now().getTime() + REFRESH_TTL_S * 1000,
  };
  let callsPerSecond = options.callsPerSecond === undefined ? 50 : options.callsPerSecond;
  let windowStart = 0;
  let windowCalls = 0;
  const faults: LazadaFault[] = [];
  const requests: LazadaRequestRecord[] = [];

  const app: FastifyInstance = Fastify({ logger: false });

  function envelope(code: string, message: string, type = 'ISV') {
    return { type, code, message, request_id: randomBytes(8).toString('hex') };
  }

  function lazadaTime(at: Date): string {
    const local = new Date(at.getTime() + site.offsetMinutes * 60_000).toISOString();
    const sign = site.offsetMinutes >= 0 ? '+' : '-';
    const abs = Math.abs(site.offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
    return `${local.slice(0, 10)} ${local.slice(11, 19)} ${offset}`;
  }

  function priceText(price: string | number): string {
    const [whole = '0', fraction = ''] = String(price).split('.');
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${grouped}.${fraction.padEnd(2, '0')}`;
  }

  function equal(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  /** The system checks every call gets; a reply object when one fails. */
  function check(apiPath: string, query: Record<string, string>, seller: boolean): object | undefined {
    for (const name of ['app_key', 'timestamp', 'sign_method', 'sign', ...(seller ? ['access_token'] : [])]) {
      if (!query[name])
        return envelope(
          'MissingParameter',
          `The input parameter "${name}" that is mandatory for processing this request is not supplied`,
        );
    }
    if (query.app_key !== options.appKey) return envelope('InvalidApiKey', 'Specified api key is invalid');
    const ts = Number(query.timestamp);
    if (!Number.isFinite(ts) || Math.abs(ts - now().getTime()) > TIMESTAMP_TOLERANCE_MS)
      return envelope('InvalidTimestamp', 'The specified timestamp is not valid');
    if (!equal(lazadaEmulatorSign(options.appSecret, apiPath, query), query.sign!))
      return envelope('IncompleteSignature', 'The request signature does not conform to platform standards');
    if (seller && (!access || access.token !== query.access_token || access.expiresAt <= now().getTime()))
      return envelope('IllegalAccessToken', 'The specified access token is invalid or expired');
    const second = Math.floor(Date.now() / 1000);
    if (second !== windowStart) {
      windowStart = second;
      windowCalls = 0;
    }
    windowCalls++;
    if (callsPerSecond !== null && windowCalls > callsPerSecond)
      return envelope(
        'ApiCallLimit',
        'The request has exceeded the limit of API calls in a short period of time',
        'ISP',
      );
    return undefined;
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, apiPath: string, seller: boolean) {
    const query = { ...(request.query as Record<string, string>), ...((request.body as Record<string, string>) ?? {}) };
    const record: LazadaRequestRecord = {
      path: apiPath,
      params: Object.fromEntries(Object.entries(query).filter(([k]) => !SECRET_PARAMS.has(k))),
      code: '0',
    };
    requests.push(record);
    const fault = faults.shift();
    if (fault === 500 || fault === 503) {
      record.code = String(fault);
      return reply.code(fault).type('text/html').send('<html><body>Service Unavailable</body></html>');
    }
    if (fault === 'garbage') {
      record.code = 'garbage';
      return reply.type('application/json').send('{"code":"0","data":{"orders":[{"order_id"');
    }
    if (fault === 'ApiCallLimit' || fault === 'ServiceTimeout') {
      record.code = fault;
      return reply.send(
        envelope(
          fault,
          fault === 'ApiCallLimit' ? 'The request has exceeded the limit of API calls' : 'The service timed out',
          'ISP',
        ),
      );
    }
    const refused = check(apiPath, query, seller);
    if (refused) {
      record.code = (refused as { code: string }).code;
      return reply.send(refused);
    }
    const answer = serve(apiPath, query);
    record.code = String((answer as { code: string }).code);
    return reply.send(answer);
  }

  function serve(apiPath: string, query: Record<string, string>): object {
    if (apiPath === '/auth/token/refresh') {
      if (!refresh || query.refresh_token !== refresh.token || refresh.expiresAt <= now().getTime())
        return envelope('IllegalRefreshToken', 'The specified refresh token is invalid or expired');
      access = { token: `lzd_at_${randomBytes(12).toString('hex')}`, expiresAt: now().getTime() + ACCESS_TTL_S * 1000 };
      refresh = {
        token: `lzd_rt_${randomBytes(12).toString('hex')}`,
        expiresAt: now().getTime() + REFRESH_TTL_S * 1000,
      };
      return {
        code: '0',
        access_token: access.token,
        refresh_token: refresh.token,
        expires_in: ACCESS_TTL_S,
        refresh_expires_in: REFRESH_TTL_S,
        country: options.country.toLowerCase(),
        account_platform: 'seller_center',
        request_id: randomBytes(8).toString('hex'),
      };
    }
    if (apiPath === '/order/items/get') {
      const order = orders.get(Number(query.order_id));
      if (!order) return envelope('ORDER_NOT_FOUND', 'Order not found');
      return {
        code: '0',
        request_id: randomBytes(8).toString('hex'),
        data: Array.from({ length: order.items }, (_, i) => ({
          order_item_id: order.order_id * 10 + i,
          order_id: order.order_id,
          buyer_id: order.buyer_id,
          currency: order.currency,
          status: order.statuses[0] ?? 'pending',
          name: `Item ${i + 1}`,
          created_at: lazadaTime(order.created_at),
          updated_at: lazadaTime(order.updated_at),
        })),
      };
    }
    // /orders/get
    const after = Date.parse(query.update_after ?? '');
    const before = query.update_before === undefined ? Number.POSITIVE_INFINITY : Date.parse(query.update_before);
    const offset = Number(query.offset ?? '0');
    const limit = Number(query.limit ?? '100');
    if (Number.isNaN(after) || Number.isNaN(before))
      return envelope('InvalidParameter', 'update_after and update_before must be ISO 8601 times');
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      return envelope('InvalidParameter', 'offset must be 0 or more and limit 1-100');
    const desc = query.sort_direction === 'DESC';
    const by = query.sort_by === 'created_at' ? 'created_at' : 'updated_at';
    const matching = [...orders.values()]
      .filter((o) => o.updated_at.getTime() >= after && o.updated_at.getTime() <= before)
      .sort((a, b) => (a[by].getTime() - b[by].getTime() || a.order_id - b.order_id) * (desc ? -1 : 1));
    const page = matching.slice(offset, offset + limit);
    return {
      code: '0',
      request_id: randomBytes(8).toString('hex'),
      data: {
        count: page.length,
        countTotal: matching.length,
        orders: page.map((o) => ({
          order_id: o.order_id,
          order_number: o.order_id,
          created_at: lazadaTime(o.created_at),
          updated_at: lazadaTime(o.updated_at),
          price: priceText(o.price),
          statuses: o.statuses,
          items_count: o.items,
          customer_first_name: 'Buyer',
          address_shipping: { country: options.country, ...(o.phone ? { phone: o.phone } : { phone: '60*****78' }) },
        })),
      },
    };
  }

  app.get('/rest/orders/get', (req, reply) => handle(req, reply, '/orders/get', true));
  app.get('/rest/order/items/get', (req, reply) => handle(req, reply, '/order/items/get', true));
  app.get('/rest/auth/token/refresh', (req, reply) => handle(req, reply, '/auth/token/refresh', false));
  app.post('/rest/auth/token/refresh', (req, reply) => handle(req, reply, '/auth/token/refresh', false));

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: address,
    apiUrl: `${address}/rest`,
    addOrders(list) {
      for (const o of list) {
        orders.set(o.order_id, {
          order_id: o.order_id,
          created_at: o.created_at,
          updated_at: o.updated_at ?? o.created_at,
          price: o.price,
          statuses: o.statuses ?? ['delivered'],
          buyer_id: o.buyer_id ?? null,
          currency: o.currency ?? site.currency,
          items: o.items ?? 1,
          ...(o.phone ? { phone: o.phone } : {}),
        });
      }
    },
    updateOrder(orderId, change = {}) {
      const order = orders.get(orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      const updated = Math.max(now().getTime(), order.updated_at.getTime() + 1000);
      orders.set(orderId, { ...order, ...change, updated_at: change.updated_at ?? new Date(updated) } as typeof order);
    },
    expireAccessToken() {
      if (access) access = { ...access, expiresAt: now().getTime() };
    },
    revokeToken() {
      access = undefined;
      refresh = undefined;
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    rateLimit(limit) {
      callsPerSecond = limit;
    },
    tokens: () => ({ accessToken: access?.token, refreshToken: refresh?.token }),
    requests,
    close: () => app.close(),
  };
}
