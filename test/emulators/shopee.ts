import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { localParts } from '../../domain/local-time';
import { formatMinor, isCurrency, minorUnits, parseAmount } from '../../domain/money';
import { seededRandom as random } from '../../domain/seeded-random';
import { stall } from './faults';

/**
 * A local stand-in for Shopee Open Platform v2, shop-level order API: `GET /api/v2/order/get_order_list`
 * and `GET /api/v2/order/get_order_detail`, for one shop. It follows the documented behaviour a sync
 * client must survive (open.shopee.com, "API calls" / "Authorization and Authentication", order APIs v2):
 *
 * - Common query parameters partner_id, timestamp (Unix seconds), access_token, shop_id and sign, where
 *   sign = hex HMAC-SHA256(partner_key, `${partner_id}${api_path}${timestamp}${access_token}${shop_id}`).
 * - Every answer is the envelope `{"request_id":"…","error":"","message":"","response":{…}}`; a failure
 *   has `error` set, no `response`, and a 4xx/5xx status. The errors, in the order they are checked:
 *   - a path that is not served: 404 `error_not_found` "Api not found.";
 *   - a missing common parameter: 400 `error_param` "There is no <name> in query.";
 *   - a partner_id other than the app's: 403 `error_auth` "Invalid partner_id.";
 *   - a timestamp more than 5 minutes from the emulator's clock: 400 `error_param` "Invalid timestamp.";
 *   - a sign that does not match: 403 `error_sign` "Wrong sign.";
 *   - an access token that is unknown, revoked (revokeToken) or another shop's: 403 `invalid_acceess_token`
 *     "Invalid access_token." (sic: Shopee's spelling);
 *   - more calls in a second than the limit: 429 `error_rate_limit` with `Retry-After` in whole seconds
 *     (Shopee publishes no number; the emulator's default is 100 a second, see rateLimit()).
 * - get_order_list: time_range_field `create_time` or `update_time`, time_from and time_to (Unix
 *   seconds, both inclusive, time_from ≤ time_to). Shopee documents 15 days as the longest range and
 *   answers "must be less than 15 days": the emulator holds the stricter reading, so time_to − time_from
 *   must be under 15 days. page_size 1–100; cursor "" for the first page, then the opaque base64
 *   `next_cursor`; optional order_status; `order_status` in the list only when
 *   response_optional_fields asks for it. Answers `{ more, next_cursor, order_list: [{ order_sn }] }`,
 *   orders by the range field, then order_sn. A cursor is a position, so an order changed while a window
 *   is paged may show up again further on, as with Shopee.
 * - get_order_detail: order_sn_list, 1–50 comma-separated order_sn; unknown ones are left out.
 *   Basic fields always (order_sn, region, currency, cod, order_status, create_time, update_time,
 *   days_to_ship, ship_by_date, message_to_seller); buyer_user_id, buyer_username, total_amount,
 *   recipient_address, item_list, pay_time, payment_method, shipping_carrier and estimated_shipping_fee
 *   only when named in response_optional_fields. total_amount is a JSON number in major units
 *   (1234.5 THB, 150000 VND). Shopee masks the recipient's phone for many sellers ("******78").
 *
 * Where Shopee's documents say nothing (a malformed number, an unreadable cursor) the emulator answers
 * 400 `error_param` and says what was wrong, so a client bug shows up here rather than as other data.
 * Currencies and amounts of added orders are not checked, so tests can serve data a client must reject.
 */

export type ShopeeRegion = 'TH' | 'SG' | 'MY' | 'PH' | 'VN' | 'ID' | 'TW' | 'BR' | 'MX' | 'CO' | 'CL';
export type ShopeeOrderStatus =
  | 'UNPAID'
  | 'READY_TO_SHIP'
  | 'PROCESSED'
  | 'SHIPPED'
  | 'COMPLETED'
  | 'IN_CANCEL'
  | 'CANCELLED'
  | 'INVOICE_PENDING'
  | 'TO_RETURN';

export interface ShopeeEmulatorOptions {
  partnerId: number;
  /** The app's partner key: the only key whose signatures are accepted. */
  partnerKey: string;
  shopId: number;
  /** The only access token accepted, for shopId. */
  accessToken: string;
  /** The shop's market; default 'TH'. Sets the default currency and the zone of generated order_sn dates. */
  region?: ShopeeRegion;
  /** Default currency of added orders; default the region's (THB for TH …). */
  currency?: string;
  /** The emulator's clock: request timestamps are checked against it, and it stamps added and changed orders. */
  now?: () => Date;
  /** Calls admitted per second (real time) before 429; default 100; null: no limit. */
  callsPerSecond?: number | null;
}

/** A time as a test writes it: a Date, Unix seconds, or an ISO 8601 instant. */
export type ShopeeTime = Date | number | string;

export interface ShopeeRecipientAddress {
  name: string;
  phone: string;
  town: string;
  district: string;
  city: string;
  state: string;
  region: string;
  zipcode: string;
  full_address: string;
}

export interface EmulatedShopeeItem {
  item_id?: number;
  item_name: string;
  item_sku?: string;
  model_quantity_purchased?: number;
  /** Unit price after discounts in major units, as Shopee writes it (a JSON number). */
  model_discounted_price: number;
}

/** An order as a test adds it; what is left out gets defaults (order_sn, times from `now`, one item). */
export interface EmulatedShopeeOrder {
  order_sn?: string;
  region?: string;
  currency?: string;
  /** Major units as a JSON number (a string is served as written); default: the items' sum. */
  total_amount?: number | string;
  order_status?: ShopeeOrderStatus | string;
  create_time?: ShopeeTime;
  /** Default create_time. */
  update_time?: ShopeeTime;
  /** Default create_time unless UNPAID; null for unpaid orders. */
  pay_time?: ShopeeTime | null;
  buyer_user_id?: number | null;
  buyer_username?: string | null;
  recipient_address?: Partial<ShopeeRecipientAddress> | null;
  item_list?: EmulatedShopeeItem[];
  cod?: boolean;
}

/** An order as get_order_detail renders it with every optional field. */
export interface ShopeeOrderDetail {
  order_sn: string;
  region: string;
  currency: string;
  cod: boolean;
  order_status: string;
  create_time: number;
  update_time: number;
  days_to_ship: number;
  ship_by_date: number;
  message_to_seller: string;
  buyer_user_id: number | null;
  buyer_username: string | null;
  total_amount: number | string;
  recipient_address: ShopeeRecipientAddress | null;
  item_list: Required<
    EmulatedShopeeItem & { model_id: number; model_name: string; model_original_price: number; weight: number }
  >[];
  pay_time: number | null;
  payment_method: string;
  shipping_carrier: string;
  estimated_shipping_fee: number;
}

export type ShopeeFault = 500 | 503 | 429 | 'timeout' | 'garbage';

export interface ShopeeFaultOptions {
  /** 429: the Retry-After sent, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** 'timeout': close the socket after this long; default hold it until close(). */
  closeAfterMs?: number;
}

export interface ShopeeRequestRecord {
  method: string;
  path: string;
  /** The query without access_token and sign. */
  params: Record<string, string>;
  /** The status answered; 0 while a 'timeout' fault holds the call, and for one whose socket was closed. */
  status: number;
  /** The envelope's error code; '' on success and for faults without an envelope. */
  error: string;
}

export interface ShopeeEmulator {
  /** e.g. http://127.0.0.1:PORT; a client calls `${baseUrl}/api/v2/order/get_order_list`. */
  baseUrl: string;
  partnerId: number;
  shopId: number;
  region: ShopeeRegion;
  /** Adds orders; returns their order_sn in the order given. */
  addOrders(orders: EmulatedShopeeOrder[]): string[];
  /**
   * Deterministic: `count` orders created between `from` and `to` (default: the last 30 days to now), each
   * updated up to 3 days later (never after `to`), in the shop's region and currency unless given. Amounts
   * have the decimals the market uses (THB 1234.5, VND and IDR whole); about half the phones are masked.
   * Returns the order_sn in order of creation.
   */
  seedOrders(opts: {
    count: number;
    from?: Date;
    to?: Date;
    seed?: number;
    region?: ShopeeRegion;
    currency?: string;
  }): string[];
  /** Changes an order as the shop would: update_time moves to now, at least a second past the previous one, unless `change` sets it. */
  updateOrder(orderSn: string, change?: Partial<EmulatedShopeeOrder>): void;
  /** The order as get_order_detail renders it with every optional field; undefined when unknown. */
  order(orderSn: string): ShopeeOrderDetail | undefined;
  /** Every order, by order_sn. */
  orders(): ShopeeOrderDetail[];
  /** Every later call answers 403 invalid_acceess_token, as after the seller cancels the authorization. */
  revokeToken(): void;
  /**
   * The next `count` calls fail before any check: 500 (envelope error_server), 503 (an HTML page from the
   * edge), 429 (envelope error_rate_limit, Retry-After: retryAfterSeconds), 'garbage' (200 with the
   * envelope cut short), or 'timeout' (no answer; the socket is closed after closeAfterMs, else held until close()).
   */
  failNext(count: number, fault: ShopeeFault, options?: ShopeeFaultOptions): void;
  /** Calls admitted per second from now on; null: no limit. */
  rateLimit(callsPerSecond: number | null): void;
  requests: ShopeeRequestRecord[];
  close(): Promise<void>;
}

export const ORDER_LIST_PATH = '/api/v2/order/get_order_list';
export const ORDER_DETAIL_PATH = '/api/v2/order/get_order_detail';
const COMMON_PARAMS = ['partner_id', 'timestamp', 'access_token', 'shop_id', 'sign'] as const;
const SECRET_PARAMS = new Set(['access_token', 'sign']);
const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const MAX_RANGE_SECONDS = 15 * 86_400;
const MAX_PAGE_SIZE = 100;
const MAX_DETAIL_ORDERS = 50;
const DEFAULT_CALLS_PER_SECOND = 100;
const SECOND_MS = 1000;
const DAY_SECONDS = 86_400;
/** 9999-12-30: past it, a number is not Unix seconds (it is most likely milliseconds). */
const LATEST_UNIX_SECONDS = 253_402_041_600;
const ORDER_STATUSES: readonly ShopeeOrderStatus[] = [
  'UNPAID',
  'READY_TO_SHIP',
  'PROCESSED',
  'SHIPPED',
  'COMPLETED',
  'IN_CANCEL',
  'CANCELLED',
  'INVOICE_PENDING',
  'TO_RETURN',
];
const BASIC_DETAIL_FIELDS = [
  'order_sn',
  'region',
  'currency',
  'cod',
  'order_status',
  'create_time',
  'update_time',
  'days_to_ship',
  'ship_by_date',
  'message_to_seller',
] as const;
const OPTIONAL_DETAIL_FIELDS = new Set([
  'buyer_user_id',
  'buyer_username',
  'total_amount',
  'recipient_address',
  'item_list',
  'pay_time',
  'payment_method',
  'shipping_carrier',
  'estimated_shipping_fee',
]);

/** Each market's currency, the zone its order_sn dates are written in, and whether amounts are whole. */
const MARKETS: Readonly<
  Record<
    ShopeeRegion,
    { currency: string; timeZone: string; wholeAmounts: boolean; phonePrefix: string; city: string; state: string }
  >
> = {
  TH: {
    currency: 'THB',
    timeZone: 'Asia/Bangkok',
    wholeAmounts: false,
    phonePrefix: '668',
    city: 'Bang Rak',
    state: 'Bangkok',
  },
  SG: {
    currency: 'SGD',
    timeZone: 'Asia/Singapore',
    wholeAmounts: false,
    phonePrefix: '658',
    city: 'Singapore',
    state: 'Singapore',
  },
  MY: {
    currency: 'MYR',
    timeZone: 'Asia/Kuala_Lumpur',
    wholeAmounts: false,
    phonePrefix: '601',
    city: 'Kuala Lumpur',
    state: 'Wilayah Persekutuan',
  },
  PH: {
    currency: 'PHP',
    timeZone: 'Asia/Manila',
    wholeAmounts: false,
    phonePrefix: '639',
    city: 'Makati',
    state: 'Metro Manila',
  },
  VN: {
    currency: 'VND',
    timeZone: 'Asia/Ho_Chi_Minh',
    wholeAmounts: true,
    phonePrefix: '849',
    city: 'Quận 1',
    state: 'TP. Hồ Chí Minh',
  },
  ID: {
    currency: 'IDR',
    timeZone: 'Asia/Jakarta',
    wholeAmounts: true,
    phonePrefix: '628',
    city: 'Jakarta Selatan',
    state: 'DKI Jakarta',
  },
  TW: {
    currency: 'TWD',
    timeZone: 'Asia/Taipei',
    wholeAmounts: true,
    phonePrefix: '8869',
    city: '信義區',
    state: '臺北市',
  },
  BR: {
    currency: 'BRL',
    timeZone: 'America/Sao_Paulo',
    wholeAmounts: false,
    phonePrefix: '55119',
    city: 'São Paulo',
    state: 'SP',
  },
  MX: {
    currency: 'MXN',
    timeZone: 'America/Mexico_City',
    wholeAmounts: false,
    phonePrefix: '5255',
    city: 'Ciudad de México',
    state: 'CDMX',
  },
  CO: {
    currency: 'COP',
    timeZone: 'America/Bogota',
    wholeAmounts: true,
    phonePrefix: '573',
    city: 'Bogotá',
    state: 'Bogotá D.C.',
  },
  CL: {
    currency: 'CLP',
    timeZone: 'America/Santiago',
    wholeAmounts: true,
    phonePrefix: '569',
    city: 'Santiago',
    state: 'Región Metropolitana',
  },
};

interface StoredOrder {
  order_sn: string;
  region: string;
  currency: string;
  total_amount: number | string;
  order_status: string;
  create_time: number;
  update_time: number;
  pay_time: number | null;
  buyer_user_id: number | null;
  buyer_username: string | null;
  recipient_address: ShopeeRecipientAddress | null;
  item_list: ShopeeOrderDetail['item_list'];
  cod: boolean;
}

class ShopeeFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const param = (message: string) => new ShopeeFailure(400, 'error_param', message);

export async function startShopeeEmulator(options: ShopeeEmulatorOptions): Promise<ShopeeEmulator> {
  const region = options.region ?? 'TH';
  if (!MARKETS[region])
    throw new RangeError(
      `region ${JSON.stringify(region)} is not a Shopee market: use one of ${Object.keys(MARKETS).join(', ')}`,
    );
  const shopCurrency = options.currency ?? MARKETS[region].currency;
  minorUnits(shopCurrency); // throws, saying why, for a code that is not ISO 4217
  const now = options.now ?? (() => new Date());
  let callsPerSecond = options.callsPerSecond === undefined ? DEFAULT_CALLS_PER_SECOND : options.callsPerSecond;

  const orders = new Map<string, StoredOrder>();
  const faults: { fault: ShopeeFault; options: ShopeeFaultOptions }[] = [];
  const requests: ShopeeRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let revoked = false;
  let serial = 0;
  let rateWindow = { startedAt: performance.now(), calls: 0 };

  const clock = (): number => Math.floor(now().getTime() / SECOND_MS);

  function secondsOf(value: ShopeeTime, what: string): number {
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0 && value < LATEST_UNIX_SECONDS)) {
      throw new RangeError(
        `${what} ${value} is not Unix seconds (a number in milliseconds?): pass a Date or whole seconds`,
      );
    }
    const ms =
      value instanceof Date ? value.getTime() : typeof value === 'number' ? value * SECOND_MS : Date.parse(value);
    if (!Number.isFinite(ms))
      throw new RangeError(
        `${what} ${JSON.stringify(value)} is not a time: use a Date, Unix seconds or an ISO 8601 instant`,
      );
    return Math.floor(ms / SECOND_MS);
  }

  /** Shopee's order_sn: the creation date (YYMMDD, market time) and 8 more characters. */
  function newOrderSn(createTime: number, orderRegion: string): string {
    const zone = MARKETS[orderRegion as ShopeeRegion]?.timeZone ?? MARKETS[region].timeZone;
    const date = localParts(new Date(createTime * SECOND_MS), zone)
      .date.replaceAll('-', '')
      .slice(2);
    let sn: string;
    do {
      serial++;
      sn = `${date}${(serial * 7_919 + 1_679_616).toString(36).toUpperCase().padStart(8, '0').slice(-8)}`;
    } while (orders.has(sn));
    return sn;
  }

  function itemsTotal(items: ShopeeOrderDetail['item_list'], currency: string, what: string): number {
    if (!isCurrency(currency))
      throw new RangeError(`${what}: currency ${JSON.stringify(currency)} is not ISO 4217, so give total_amount`);
    let sum = 0n;
    for (const item of items) {
      const price = parseAmount(item.model_discounted_price, currency);
      if (!price.ok) throw new RangeError(`${what} item ${item.item_id} price: ${price.reason}`);
      sum += price.minor * BigInt(item.model_quantity_purchased);
    }
    return Number(formatMinor(sum, currency));
  }

  function buildOrder(input: EmulatedShopeeOrder, base?: StoredOrder): StoredOrder {
    const orderRegion = input.region ?? base?.region ?? region;
    const currency =
      input.currency ?? base?.currency ?? (MARKETS[orderRegion as ShopeeRegion]?.currency || shopCurrency);
    const create =
      input.create_time !== undefined ? secondsOf(input.create_time, 'create_time') : (base?.create_time ?? clock());
    const orderSn = base?.order_sn ?? input.order_sn ?? newOrderSn(create, orderRegion);
    const what = `order ${orderSn}`;
    const status = input.order_status ?? base?.order_status ?? 'COMPLETED';
    const items = input.item_list?.map((item, index) => ({
      item_id: item.item_id ?? 20_000_000 + serial * 10 + index,
      item_name: item.item_name,
      item_sku: item.item_sku ?? '',
      model_id: 0,
      model_name: '',
      model_quantity_purchased: item.model_quantity_purchased ?? 1,
      model_original_price: item.model_discounted_price,
      model_discounted_price: item.model_discounted_price,
      weight: 0.5,
    })) ??
      base?.item_list ?? [
        {
          item_id: 20_000_001,
          item_name: 'Cotton tee',
          item_sku: 'MRD-TEE-01',
          model_id: 0,
          model_name: '',
          model_quantity_purchased: 1,
          model_original_price: 199,
          model_discounted_price: 199,
          weight: 0.2,
        },
      ];
    const total =
      input.total_amount ??
      (input.item_list !== undefined || input.currency !== undefined || !base
        ? itemsTotal(items, currency, what)
        : base.total_amount);
    const address =
      input.recipient_address === null
        ? null
        : input.recipient_address !== undefined
          ? { ...defaultAddress(orderRegion), ...input.recipient_address }
          : (base?.recipient_address ?? defaultAddress(orderRegion));
    const payTime =
      input.pay_time !== undefined
        ? input.pay_time === null
          ? null
          : secondsOf(input.pay_time, `${what} pay_time`)
        : base
          ? base.pay_time
          : status === 'UNPAID'
            ? null
            : create;
    return {
      order_sn: orderSn,
      region: orderRegion,
      currency,
      total_amount: total,
      order_status: status,
      create_time: create,
      update_time:
        input.update_time !== undefined
          ? secondsOf(input.update_time, `${what} update_time`)
          : (base?.update_time ?? create),
      pay_time: payTime,
      buyer_user_id:
        input.buyer_user_id !== undefined ? input.buyer_user_id : (base?.buyer_user_id ?? 100_000_000 + serial),
      buyer_username:
        input.buyer_username !== undefined ? input.buyer_username : (base?.buyer_username ?? `buyer${serial}`),
      recipient_address: address,
      item_list: items,
      cod: input.cod ?? base?.cod ?? false,
    };
  }

  function addOrder(input: EmulatedShopeeOrder): string {
    if (input.order_sn !== undefined && orders.has(input.order_sn))
      throw new Error(`order ${input.order_sn} already exists: use updateOrder to change it`);
    const order = buildOrder(input);
    orders.set(order.order_sn, order);
    return order.order_sn;
  }

  // ---- rendering ----

  function renderFull(o: StoredOrder): ShopeeOrderDetail {
    return {
      order_sn: o.order_sn,
      region: o.region,
      currency: o.currency,
      cod: o.cod,
      order_status: o.order_status,
      create_time: o.create_time,
      update_time: o.update_time,
      days_to_ship: 3,
      ship_by_date: o.pay_time === null ? 0 : o.pay_time + 3 * DAY_SECONDS,
      message_to_seller: '',
      buyer_user_id: o.buyer_user_id,
      buyer_username: o.buyer_username,
      total_amount: o.total_amount,
      recipient_address: o.recipient_address ? { ...o.recipient_address } : null,
      item_list: o.item_list.map((item) => ({ ...item })),
      pay_time: o.pay_time,
      payment_method: o.cod ? 'Cash on Delivery' : 'ShopeePay',
      shipping_carrier: 'Standard Delivery',
      estimated_shipping_fee: 0,
    };
  }

  function renderDetail(o: StoredOrder, optional: Set<string>): Record<string, unknown> {
    const full = renderFull(o) as unknown as Record<string, unknown>;
    const fields: string[] = [
      ...BASIC_DETAIL_FIELDS,
      ...[...optional].filter((field) => OPTIONAL_DETAIL_FIELDS.has(field)),
    ];
    return Object.fromEntries(fields.map((field) => [field, full[field]]));
  }

  // ---- the two endpoints ----

  function integer(query: Record<string, string>, name: string): number {
    const text = query[name];
    if (text === undefined || text === '') throw param(`There is no ${name} in query.`);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw param(`Wrong parameters, detail: ${name} must be a whole number.`);
    return Number(text);
  }

  interface ListPosition {
    field: 'create_time' | 'update_time';
    time: number;
    sn: string;
  }

  function readListCursor(text: string, field: ListPosition['field']): ListPosition | undefined {
    if (text === '') return undefined;
    try {
      const position = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as ListPosition;
      if (position.field === field && Number.isSafeInteger(position.time) && typeof position.sn === 'string')
        return position;
    } catch {
      // answered below, as for any cursor the emulator did not issue
    }
    throw param('Wrong parameters, detail: the cursor is invalid.');
  }

  function orderList(query: Record<string, string>): Record<string, unknown> {
    const field = query.time_range_field;
    if (field !== 'create_time' && field !== 'update_time')
      throw param('Wrong parameters, detail: time_range_field must be create_time or update_time.');
    const from = integer(query, 'time_from');
    const to = integer(query, 'time_to');
    if (from > to) throw param('Wrong parameters, detail: time_from must be earlier than time_to.');
    if (to - from >= MAX_RANGE_SECONDS)
      throw param('The time range between time_from and time_to must be less than 15 days.');
    const pageSize = integer(query, 'page_size');
    if (pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw param(`Wrong parameters, detail: page_size must be between 1 and ${MAX_PAGE_SIZE}.`);
    if (query.cursor === undefined) throw param('There is no cursor in query.');
    const status = query.order_status;
    if (status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(status))
      throw param(`Wrong parameters, detail: order_status must be one of ${ORDER_STATUSES.join(', ')}.`);
    const after = readListCursor(query.cursor, field);
    const withStatus = (query.response_optional_fields ?? '')
      .split(',')
      .map((name) => name.trim())
      .includes('order_status');

    const key = (o: StoredOrder) => o[field];
    const matching = [...orders.values()]
      .filter((o) => key(o) >= from && key(o) <= to && (status === undefined || o.order_status === status))
      .sort((a, b) => key(a) - key(b) || (a.order_sn < b.order_sn ? -1 : a.order_sn > b.order_sn ? 1 : 0))
      .filter((o) => !after || key(o) > after.time || (key(o) === after.time && o.order_sn > after.sn));
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    const more = matching.length > pageSize && last !== undefined;
    return {
      more,
      next_cursor: more
        ? Buffer.from(
            JSON.stringify({ field, time: key(last), sn: last.order_sn } satisfies ListPosition),
            'utf8',
          ).toString('base64')
        : '',
      order_list: page.map((o) =>
        withStatus ? { order_sn: o.order_sn, order_status: o.order_status } : { order_sn: o.order_sn },
      ),
    };
  }

  function orderDetail(query: Record<string, string>): Record<string, unknown> {
    const list = (query.order_sn_list ?? '')
      .split(',')
      .map((sn) => sn.trim())
      .filter(Boolean);
    if (list.length === 0) throw param('There is no order_sn_list in query.');
    if (list.length > MAX_DETAIL_ORDERS)
      throw param(
        `Wrong parameters, detail: the number of order_sn_list should be between 1 and ${MAX_DETAIL_ORDERS}.`,
      );
    const optional = new Set(
      (query.response_optional_fields ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    );
    const found = [...new Set(list)].map((sn) => orders.get(sn)).filter((o): o is StoredOrder => o !== undefined);
    return { order_list: found.map((o) => renderDetail(o, optional)) };
  }

  // ---- checks every call passes ----

  function authenticate(path: string, query: Record<string, string>): void {
    for (const name of COMMON_PARAMS) {
      if (query[name] === undefined || query[name] === '') throw param(`There is no ${name} in query.`);
    }
    if (query.partner_id !== String(options.partnerId))
      throw new ShopeeFailure(403, 'error_auth', 'Invalid partner_id.');
    const timestamp = Number(query.timestamp);
    if (!/^\d+$/.test(query.timestamp!) || Math.abs(clock() - timestamp) > TIMESTAMP_TOLERANCE_SECONDS)
      throw param('Invalid timestamp.');
    const expected = createHmac('sha256', options.partnerKey)
      .update(`${query.partner_id}${path}${query.timestamp}${query.access_token}${query.shop_id}`, 'utf8')
      .digest();
    const given = /^[0-9a-f]{64}$/i.test(query.sign!) ? Buffer.from(query.sign!, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new ShopeeFailure(403, 'error_sign', 'Wrong sign.');
    if (revoked || query.access_token !== options.accessToken || query.shop_id !== String(options.shopId)) {
      throw new ShopeeFailure(403, 'invalid_acceess_token', 'Invalid access_token.');
    }
  }

  function admit(): void {
    if (callsPerSecond === null) return;
    const at = performance.now();
    if (at - rateWindow.startedAt >= SECOND_MS) rateWindow = { startedAt: at, calls: 0 };
    if (rateWindow.calls >= callsPerSecond) {
      const retryAfter = Math.max(1, Math.ceil((rateWindow.startedAt + SECOND_MS - at) / SECOND_MS));
      throw new ShopeeFailure(
        429,
        'error_rate_limit',
        'You have reached the API rate limit of this shop, please try again later.',
        { 'retry-after': String(retryAfter) },
      );
    }
    rateWindow.calls++;
  }

  // ---- the HTTP side ----

  // close() must not wait on clients' keep-alive sockets, nor on calls a 'timeout' fault is holding.
  const app: FastifyInstance = Fastify({ forceCloseConnections: true });

  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const query = Object.fromEntries(url.searchParams);
    const entry: ShopeeRequestRecord = {
      method: request.method,
      path: url.pathname,
      params: Object.fromEntries(Object.entries(query).filter(([name]) => !SECRET_PARAMS.has(name))),
      status: 0,
      error: '',
    };
    requests.push(entry);
    const requestId = randomBytes(16).toString('hex');
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      entry.status = status;
      entry.error = typeof body.error === 'string' ? body.error : '';
      void reply
        .code(status)
        .headers(headers)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify({ request_id: requestId, ...body }));
    };
    const fail = (failure: ShopeeFailure) =>
      answer(failure.status, { error: failure.error, message: failure.message }, failure.headers);

    const queued = faults.shift();
    if (queued) {
      const { fault } = queued;
      if (fault === 'timeout') {
        stall(request, reply, queued.options.closeAfterMs, timers);
        return;
      }
      if (fault === 'garbage') {
        entry.status = 200;
        const first = [...orders.values()][0];
        void reply
          .code(200)
          .type('application/json; charset=utf-8')
          .send(
            `{"request_id":"${requestId}","error":"","message":"","response":{"order_list":[{"order_sn":"${first?.order_sn ?? ''}","buyer_username":"${first?.buyer_username ?? ''}","recipient_address":{"name":"`,
          );
        return;
      }
      if (fault === 500) return fail(new ShopeeFailure(500, 'error_server', 'Something wrong. Please try later.'));
      if (fault === 429) {
        return fail(
          new ShopeeFailure(
            429,
            'error_rate_limit',
            'You have reached the API rate limit of this shop, please try again later.',
            { 'retry-after': String(queued.options.retryAfterSeconds ?? 1) },
          ),
        );
      }
      entry.status = 503;
      void reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
        );
      return;
    }

    try {
      if (request.method !== 'GET' || (url.pathname !== ORDER_LIST_PATH && url.pathname !== ORDER_DETAIL_PATH)) {
        throw new ShopeeFailure(404, 'error_not_found', 'Api not found.');
      }
      authenticate(url.pathname, query);
      admit();
      const response = url.pathname === ORDER_LIST_PATH ? orderList(query) : orderDetail(query);
      return answer(200, { error: '', message: '', response });
    } catch (error) {
      if (error instanceof ShopeeFailure) return fail(error);
      throw error;
    }
  }

  app.all('/*', serve);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    partnerId: options.partnerId,
    shopId: options.shopId,
    region,
    requests,
    addOrders(list) {
      return list.map(addOrder);
    },
    seedOrders(opts) {
      const to = opts.to ?? new Date(clock() * SECOND_MS);
      const from = opts.from ?? new Date(to.getTime() - 30 * DAY_SECONDS * SECOND_MS);
      return generateOrders({ ...opts, from, to, region: opts.region ?? region, currency: opts.currency }).map(
        addOrder,
      );
    },
    updateOrder(orderSn, change = {}) {
      const current = orders.get(orderSn);
      if (!current) throw new Error(`order ${orderSn} does not exist: add it with addOrders first`);
      const changed = buildOrder(change, current);
      if (change.update_time === undefined) {
        // Shopee stamps every change; a frozen test clock must still move update_time, or update_time windows would miss it.
        changed.update_time = Math.max(clock(), current.update_time + 1);
      }
      orders.set(orderSn, changed);
    },
    order(orderSn) {
      const stored = orders.get(orderSn);
      return stored ? renderFull(stored) : undefined;
    },
    orders() {
      return [...orders.values()].sort((a, b) => (a.order_sn < b.order_sn ? -1 : 1)).map(renderFull);
    },
    revokeToken() {
      revoked = true;
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, options: faultOptions });
    },
    rateLimit(limit) {
      callsPerSecond = limit;
      rateWindow = { startedAt: performance.now(), calls: 0 };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await app.close();
    },
  };
}

function defaultAddress(orderRegion: string): ShopeeRecipientAddress {
  const market = MARKETS[orderRegion as ShopeeRegion] ?? MARKETS.TH;
  return {
    name: 'S*****a',
    phone: '******78',
    town: '',
    district: '',
    city: market.city,
    state: market.state,
    region: orderRegion,
    zipcode: '10500',
    full_address: `****, ${market.city}, ${market.state}`,
  };
}

// ---- the deterministic order generator ----

const CATALOGUE = [
  { name: 'Cotton tee', sku: 'MRD-TEE-01', price: 19.9 },
  { name: 'Stoneware mug', sku: 'MRD-MUG-02', price: 12.5 },
  { name: 'Canvas tote', sku: 'MRD-BAG-03', price: 24 },
  { name: 'Phone case', sku: 'MRD-CAS-04', price: 9.75 },
];
const FIRST_NAMES = ['Somchai', 'Ploy', 'Wei Ling', 'Nurul', 'Maria', 'Nguyen', 'Putri', 'Ana', 'Lucas'];
const STATUS_MIX: ShopeeOrderStatus[] = [
  'COMPLETED',
  'COMPLETED',
  'COMPLETED',
  'SHIPPED',
  'READY_TO_SHIP',
  'PROCESSED',
  'UNPAID',
  'CANCELLED',
  'IN_CANCEL',
  'TO_RETURN',
];

/** A market's price scale: catalogue prices are about USD; VND and IDR run in thousands. */
const PRICE_SCALE: Readonly<Record<string, number>> = {
  THB: 35,
  SGD: 1.35,
  MYR: 4.7,
  PHP: 56,
  VND: 25_000,
  IDR: 16_000,
  TWD: 32,
  BRL: 5,
  MXN: 17,
  COP: 4_000,
  CLP: 900,
};

function generateOrders(opts: {
  count: number;
  from: Date;
  to: Date;
  seed?: number;
  region: ShopeeRegion;
  currency?: string | undefined;
}): EmulatedShopeeOrder[] {
  const rand = random(opts.seed ?? 1);
  const market = MARKETS[opts.region];
  const currency = opts.currency ?? market.currency;
  const decimals = market.wholeAmounts ? 0 : Math.min(2, minorUnits(currency));
  const scale = PRICE_SCALE[currency] ?? 1;
  const from = Math.floor(opts.from.getTime() / SECOND_MS);
  const to = Math.floor(opts.to.getTime() / SECOND_MS);
  const creates = Array.from({ length: opts.count }, () => from + Math.floor(rand() * Math.max(1, to - from))).sort(
    (a, b) => a - b,
  );
  return creates.map((create, i) => {
    const items = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
      const product = CATALOGUE[Math.floor(rand() * CATALOGUE.length)]!;
      const step = market.wholeAmounts && scale >= 1000 ? 1000 : 1;
      const raw = product.price * scale * (0.8 + rand() * 0.4);
      // Whole steps for whole-amount markets (VND in thousands), else the market's decimals, often one (1234.5).
      const price =
        decimals === 0
          ? Math.max(step, Math.round(raw / step) * step)
          : Number((Math.round(raw * 10) / 10).toFixed(decimals));
      return {
        item_name: product.name,
        item_sku: product.sku,
        model_quantity_purchased: 1 + Math.floor(rand() * 2),
        model_discounted_price: price,
      };
    });
    const status = STATUS_MIX[Math.floor(rand() * STATUS_MIX.length)]!;
    const update = Math.min(to, create + Math.floor(rand() * 3 * DAY_SECONDS));
    const buyer = Math.floor(rand() * Math.max(1, Math.ceil(opts.count / 3)));
    const masked = rand() < 0.5;
    const phoneDigits = String(Math.floor(rand() * 10 ** 8)).padStart(8, '0');
    return {
      region: opts.region,
      currency,
      order_status: status,
      create_time: create,
      update_time: update,
      pay_time: status === 'UNPAID' ? null : create + 60,
      buyer_user_id: 300_000_000 + buyer * 37,
      buyer_username: `${FIRST_NAMES[buyer % FIRST_NAMES.length]!.toLowerCase().replace(/\s/g, '')}_${buyer}`,
      recipient_address: {
        name: masked ? `${FIRST_NAMES[buyer % FIRST_NAMES.length]![0]}*****` : FIRST_NAMES[buyer % FIRST_NAMES.length]!,
        phone: masked ? `******${phoneDigits.slice(-2)}` : `${market.phonePrefix}${phoneDigits}`,
        region: opts.region,
      },
      item_list: items,
      cod: i % 7 === 0,
    };
  });
}
