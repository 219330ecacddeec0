import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for the TikTok Shop Open API (202309) for one app and one shop:
 * `POST /order/202309/orders/search` and `GET /api/v2/token/refresh` (the auth host's path, served
 * here too). It follows what TikTok Shop documents and a client must survive:
 *
 * - Common parameters app_key, timestamp (Unix seconds, within 5 minutes), shop_cipher, sign; the
 *   access token in the `x-tts-access-token` header. sign = hex HMAC-SHA256(app secret, app secret +
 *   path + every query parameter but sign and access_token sorted by name as name+value + the raw body
 *   + app secret). Answers are `{ code, message, request_id, data }`, code 0 on success:
 *   - a missing parameter or wrong shop_cipher: HTTP 400;
 *   - a sign that does not match or an unknown app_key: HTTP 401, code 106001;
 *   - an access token unknown or revoked: HTTP 401, code 105001; past its end: HTTP 401, code 105002;
 *   - more calls in a second than the limit: HTTP 429, "Too many requests" (no Retry-After).
 * - orders/search: query page_size 1–100 (required), page_token, sort_field update_time or
 *   create_time, sort_order ASC or DESC; body filters update_time_ge / update_time_lt (Unix seconds).
 *   Answers `{ orders, next_page_token, total_count }`; next_page_token is '' on the last page. The
 *   token is an opaque position after the last order given, so an order changed meanwhile never
 *   shifts the rest.
 * - Buyers as TikTok gives them to sellers: `user_id`, a relay `buyer_email` per buyer
 *   (…@scs.tiktokw.us) or a masked one, and the recipient's name and phone masked ("(+1)213****90").
 * - token/refresh: app_key, app_secret, refresh_token, grant_type=refresh_token; a new pair (the access
 *   token's end as a Unix time in access_token_expire_in); the old pair stops working. A refresh token
 *   unknown or revoked: HTTP 200 with a non-zero code.
 */

export type TikTokShopRegion = 'US' | 'GB' | 'ID' | 'MY' | 'PH' | 'SG' | 'TH' | 'VN';
const CURRENCY: Record<TikTokShopRegion, string> = {
  US: 'USD',
  GB: 'GBP',
  ID: 'IDR',
  MY: 'MYR',
  PH: 'PHP',
  SG: 'SGD',
  TH: 'THB',
  VN: 'VND',
};

export interface TikTokShopEmulatorOptions {
  appKey: string;
  appSecret: string;
  shopCipher: string;
  accessToken: string;
  refreshToken: string;
  region: TikTokShopRegion;
  now?: () => Date;
  /** Calls admitted per second (real time) before HTTP 429; default 50; null: none. */
  callsPerSecond?: number | null;
}

export interface EmulatedTikTokOrder {
  id: string;
  create_time: Date;
  /** Default create_time. */
  update_time?: Date;
  /** Major units as TikTok writes them ("21.50", "150000"). */
  total_amount: string;
  status?: string;
  user_id?: string | null;
  /** Default a relay address of the buyer. */
  buyer_email?: string;
  /** Default masked. */
  phone_number?: string;
  /** Default the region's. */
  currency?: string;
  items?: number;
}

export type TikTokShopFault = 500 | 503 | 429 | 'garbage';

export interface TikTokShopRequestRecord {
  path: string;
  /** The query without sign and app_secret. */
  params: Record<string, string>;
  body: Record<string, unknown> | undefined;
  status: number;
  code: number;
}

export interface TikTokShopEmulator {
  baseUrl: string;
  addOrders(orders: EmulatedTikTokOrder[]): void;
  /** The order changes as the seller would: update_time moves to now (at least a second on). */
  updateOrder(id: string, change?: Partial<EmulatedTikTokOrder>): void;
  expireAccessToken(): void;
  /** The seller deauthorises the app: both tokens stop working. */
  revokeToken(): void;
  failNext(count: number, fault: TikTokShopFault): void;
  tokens(): { accessToken: string | undefined; refreshToken: string | undefined };
  requests: TikTokShopRequestRecord[];
  close(): Promise<void>;
}

const TIMESTAMP_TOLERANCE_S = 300;
const ACCESS_TTL_S = 7 * 86_400;
const REFRESH_TTL_S = 365 * 86_400;

export function tiktokShopEmulatorSign(secret: string, path: string, query: Record<string, string>, body: string) {
  const params = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort()
    .map((k) => `${k}${query[k]}`)
    .join('');
  return createHmac('sha256', secret).update(`${secret}${path}${params}${body}${secret}`, 'utf8').digest('hex');
}

export async function startTikTokShopEmulator(options: TikTokShopEmulatorOptions): Promise<TikTokShopEmulator> {
  const now = options.now ?? (() => new Date());
  const currency = CURRENCY[options.region];
  const orders = new Map<
    string,
    Required<Omit<EmulatedTikTokOrder, 'buyer_email' | 'phone_number'>> & EmulatedTikTokOrder
  >();
  let access: { token: string; expiresAt: number } | undefined = {
    token: options.accessToken,
    expiresAt: now().getTime() + ACCESS_TTL_S * 1000,
  };
  let refresh: string | undefined = options.refreshToken;
  const callsPerSecond = options.callsPerSecond === undefined ? 50 : options.callsPerSecond;
  let windowStart = 0;
  let windowCalls = 0;
  const faults: TikTokShopFault[] = [];
  const requests: TikTokShopRequestRecord[] = [];

  const app: FastifyInstance = Fastify({ logger: false });
  // The signature covers the body exactly as sent: keep it raw.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const answer = (code: number, message: string, data?: unknown) => ({
    code,
    message,
    request_id: randomBytes(10).toString('hex'),
    ...(data === undefined ? {} : { data }),
  });

  function equal(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  function throttled(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== windowStart) {
      windowStart = second;
      windowCalls = 0;
    }
    windowCalls++;
    return callsPerSecond !== null && windowCalls > callsPerSecond;
  }

  function send(reply: FastifyReply, record: TikTokShopRequestRecord, status: number, body: ReturnType<typeof answer>) {
    record.status = status;
    record.code = body.code;
    return reply.code(status).send(body);
  }

  function position(order: { update_time: Date; id: string }): string {
    return Buffer.from(`${Math.floor(order.update_time.getTime() / 1000)}:${order.id}`).toString('base64url');
  }

  function publicOrder(o: Required<Omit<EmulatedTikTokOrder, 'buyer_email' | 'phone_number'>> & EmulatedTikTokOrder) {
    return {
      id: o.id,
      status: o.status,
      create_time: Math.floor(o.create_time.getTime() / 1000),
      update_time: Math.floor(o.update_time.getTime() / 1000),
      ...(o.user_id ? { user_id: o.user_id } : {}),
      buyer_email: o.buyer_email ?? (o.user_id ? `v2_${o.user_id}abc@scs.tiktokw.us` : ''),
      payment: { currency: o.currency, total_amount: o.total_amount, sub_total: o.total_amount, tax: '0' },
      recipient_address: {
        name: 'J*** D**',
        phone_number: o.phone_number ?? '(+1)213****90',
        region_code: options.region,
        full_address: '*** ******',
      },
      line_items: Array.from({ length: o.items }, (_, i) => ({
        id: `${o.id}${i}`,
        product_name: `Item ${i + 1}`,
        sale_price: o.total_amount,
        currency: o.currency,
      })),
    };
  }

  app.post('/order/202309/orders/search', async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Record<string, string>;
    const rawBody = typeof request.body === 'string' ? request.body : '';
    let body: Record<string, unknown> | undefined;
    try {
      body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    } catch {
      body = undefined;
    }
    const record: TikTokShopRequestRecord = {
      path: '/order/202309/orders/search',
      params: Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'sign')),
      body,
      status: 200,
      code: 0,
    };
    requests.push(record);
    const fault = faults.shift();
    if (fault === 500 || fault === 503) {
      record.status = fault;
      record.code = -1;
      return reply.code(fault).type('text/html').send('<html><body>Service Unavailable</body></html>');
    }
    if (fault === 'garbage') {
      record.code = -2;
      return reply.type('application/json').send('{"code":0,"data":{"orders":[{"id"');
    }
    if (fault === 429 || throttled()) return send(reply, record, 429, answer(36009009, 'Too many requests'));

    for (const name of ['app_key', 'timestamp', 'sign', 'shop_cipher', 'page_size']) {
      if (!query[name]) return send(reply, record, 400, answer(36009003, `${name} is required`));
    }
    const ts = Number(query.timestamp);
    if (!Number.isInteger(ts) || Math.abs(ts - now().getTime() / 1000) > TIMESTAMP_TOLERANCE_S)
      return send(reply, record, 400, answer(36009004, 'timestamp is invalid or expired'));
    if (
      query.app_key !== options.appKey ||
      !equal(tiktokShopEmulatorSign(options.appSecret, record.path, query, rawBody), query.sign!)
    )
      return send(reply, record, 401, answer(106001, 'Invalid credentials: the signature does not match'));
    const token = request.headers['x-tts-access-token'];
    if (!access || token !== access.token) return send(reply, record, 401, answer(105001, 'Invalid access token'));
    if (access.expiresAt <= now().getTime()) return send(reply, record, 401, answer(105002, 'Access token expired'));
    if (query.shop_cipher !== options.shopCipher)
      return send(reply, record, 400, answer(36009005, 'shop_cipher does not belong to the authorised shop'));
    if (!body) return send(reply, record, 400, answer(36009003, 'body is not JSON'));

    const pageSize = Number(query.page_size);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
      return send(reply, record, 400, answer(36009003, 'page_size must be 1-100'));
    const ge = typeof body.update_time_ge === 'number' ? body.update_time_ge : Number.NEGATIVE_INFINITY;
    const lt = typeof body.update_time_lt === 'number' ? body.update_time_lt : Number.POSITIVE_INFINITY;
    const by = query.sort_field === 'create_time' ? 'create_time' : 'update_time';
    const desc = query.sort_order === 'DESC';
    const key = (o: { update_time: Date; create_time: Date; id: string }) =>
      `${String(Math.floor(o[by].getTime() / 1000)).padStart(12, '0')}:${o.id.padStart(24, '0')}`;
    let matching = [...orders.values()]
      .filter((o) => {
        const s = Math.floor(o.update_time.getTime() / 1000);
        return s >= ge && s < lt;
      })
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (desc ? -1 : 1));
    const total = matching.length;
    if (query.page_token) {
      let after: string;
      try {
        const [t, id] = Buffer.from(query.page_token, 'base64url').toString().split(':');
        after = `${String(Number(t)).padStart(12, '0')}:${(id ?? '').padStart(24, '0')}`;
        if (!id) throw new Error('bad token');
      } catch {
        return send(reply, record, 400, answer(36009003, 'page_token is invalid'));
      }
      matching = matching.filter((o) => (desc ? key(o) < after : key(o) > after));
    }
    const page = matching.slice(0, pageSize);
    const more = matching.length > pageSize;
    return send(
      reply,
      record,
      200,
      answer(0, 'Success', {
        orders: page.map(publicOrder),
        next_page_token: more ? position(page[page.length - 1]!) : '',
        total_count: total,
      }),
    );
  });

  app.get('/api/v2/token/refresh', async (request, reply) => {
    const query = request.query as Record<string, string>;
    const record: TikTokShopRequestRecord = {
      path: '/api/v2/token/refresh',
      params: Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'app_secret' && k !== 'refresh_token')),
      body: undefined,
      status: 200,
      code: 0,
    };
    requests.push(record);
    if (query.app_key !== options.appKey || query.app_secret !== options.appSecret)
      return send(reply, record, 200, answer(36004004, 'invalid app_key or app_secret'));
    if (query.grant_type !== 'refresh_token')
      return send(reply, record, 200, answer(36004003, 'grant_type must be refresh_token'));
    if (!refresh || query.refresh_token !== refresh)
      return send(reply, record, 200, answer(36004005, 'refresh_token is invalid or expired'));
    const expiresAt = Math.floor(now().getTime() / 1000) + ACCESS_TTL_S;
    access = { token: `TTP_${randomBytes(12).toString('hex')}`, expiresAt: expiresAt * 1000 };
    refresh = `TTP_r${randomBytes(12).toString('hex')}`;
    return send(
      reply,
      record,
      200,
      answer(0, 'success', {
        access_token: access.token,
        access_token_expire_in: expiresAt,
        refresh_token: refresh,
        refresh_token_expire_in: Math.floor(now().getTime() / 1000) + REFRESH_TTL_S,
        open_id: 'emulated-open-id',
        seller_name: 'Emulated shop',
        seller_base_region: options.region,
        user_type: 0,
      }),
    );
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: address,
    addOrders(list) {
      for (const o of list) {
        orders.set(o.id, {
          ...o,
          update_time: o.update_time ?? o.create_time,
          status: o.status ?? 'COMPLETED',
          user_id: o.user_id ?? null,
          currency: o.currency ?? currency,
          items: o.items ?? 1,
        });
      }
    },
    updateOrder(id, change = {}) {
      const order = orders.get(id);
      if (!order) throw new Error(`no order ${id}`);
      const updated = Math.max(now().getTime(), order.update_time.getTime() + 1000);
      orders.set(id, { ...order, ...change, update_time: change.update_time ?? new Date(updated) });
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
    tokens: () => ({ accessToken: access?.token, refreshToken: refresh }),
    requests,
    close: () => app.close(),
  };
}
