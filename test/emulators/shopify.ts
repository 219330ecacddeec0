import { createHash, randomUUID } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { instantAt, isTimeZone, localParts } from '../../domain/local-time';
import { formatMinor, minorUnits, parseAmount } from '../../domain/money';
import { seededRandom as random } from '../../domain/seeded-random';
import { stall } from './faults';

/**
 * A local stand-in for Shopify's REST Admin API, read side: `customers.json`, `orders.json`, their
 * `count.json` and `{id}.json`, and `shop.json`, under `/admin/api/{version}/`. It follows the
 * documented behaviour a sync client must survive (shopify.dev, REST Admin API, 2024-xx):
 *
 * - `X-Shopify-Access-Token` auth; a wrong, missing or revoked token answers 401
 *   `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`.
 * - A leaky bucket per app and shop (40 calls, leaking 2 a second): every answer carries
 *   `X-Shopify-Shop-Api-Call-Limit: used/40`; past the limit, 429 with `Retry-After: 2.0` and
 *   `{"errors":"Exceeded 2 calls per second for api client. …"}`, and any call before that wait is over is throttled too.
 * - Cursor pagination: records by id ascending, `limit` 50 by default, at most 250 (`limit=251` answers
 *   400 `{"errors":"Limit exceeds maximum limit of 250"}`), the next and previous pages in the `Link`
 *   header as `<…?limit=N&page_info=…>; rel="next"`. The opaque `page_info` carries the first request's
 *   filters; with `page_info` only `limit` and `fields` may be sent, anything else answers 400
 *   `{"errors":{"status":"status cannot be passed when page_info is present. See …"}}`.
 * - Filters `ids`, `since_id`, `created_at_min/max`, `updated_at_min/max` (bounds inclusive), and for orders
 *   `processed_at_min/max`, `financial_status` and `status` = open (the default), closed, cancelled or any.
 * - Timestamps written in the shop's time zone with its UTC offset ("2025-05-09T14:03:00+09:00"); amounts as
 *   decimal strings with the currency's ISO 4217 decimals.
 * - Versions: a request for an older release name (2023-07) falls forward to the version served, as
 *   Shopify does with versions it no longer supports, and says so in `X-Shopify-API-Version`;
 *   any other version (malformed, unreleased, newer than the one served) answers 404 `{"errors":"Not Found"}`.
 *
 * Where Shopify's documents say nothing (a malformed date or a `limit` of 0), the emulator refuses with
 * 400 and says what was wrong, so a client bug shows up here rather than as silently different data.
 *
 * The privacy side, behind the same token check and leaky bucket, recorded in `requests` alike:
 *
 * - `PUT customers/{id}.json` with `{"customer":{…}}` (JSON): `email_marketing_consent` and
 *   `sms_marketing_consent` ({state, opt_in_level, consent_updated_at}) are stored and `updated_at` moves on.
 *   A body without a `customer` object answers 400 `{"errors":{"customer":"Required parameter missing or
 *   invalid"}}`; a state Shopify does not accept, or a consent for a channel the customer has no email or
 *   phone for (Shopify: "the email/phone property is required … to update a customer … that doesn't have
 *   a consent record"), answers 422 `{"errors":{"<field>":["…"]}}` (the emulator's wording). Fields other
 *   than `id` and the two consents answer 400: the emulator does not update them.
 * - `DELETE customers/{id}.json`: 200 `{}`; 404 `{"errors":"Not Found"}` when there is no such customer
 *   (or no longer); 422 `{"errors":{"base":["…"]}}` when the customer has orders — Shopify documents the
 *   rule ("a customer can't be deleted if they have existing orders"), not the text, so a client keys on
 *   the 422.
 * - `GET customers/search.json?query=…` with Shopify's search syntax, parsed as Shopify documents it
 *   (terms, AND/OR, -/NOT, parentheses, single- or double-quoted values with backslash escapes, `*`
 *   wildcards, free text over e-mail, names and phone) for `email:`, `phone:` and `id:` terms,
 *   case-insensitive; `limit` and `fields` as for lists, one page. So a value that breaks out of its
 *   quotes widens the search here as it would at Shopify.
 * - `GET customers/{id}/orders.json`: the customer's orders (`status` open by default, or closed,
 *   cancelled, any), `limit` and `fields`; one page; 404 for an unknown customer.
 */

export interface ShopifyEmulatorOptions {
  /** The shop's handle: `meridian-demo` is `meridian-demo.myshopify.com` in `shop.json` and `order_status_url`. */
  shop?: string;
  /** The only token accepted. */
  accessToken: string;
  /** The version served; default '2024-10'. Older release names fall forward to it, any other answers 404. */
  apiVersion?: string;
  /** The shop's IANA time zone, in which every timestamp is written; default 'Asia/Tokyo'. */
  timeZone?: string;
  /** The shop's currency (`order.currency`, `shop.currency`); default 'JPY'. */
  currency?: string;
  /** Leaky bucket size; default 40. */
  bucketSize?: number;
  /** Calls leaking out of the bucket each second; default 2. */
  leakPerSecond?: number;
  /** The clock for created_at / updated_at defaults and seeded data; the bucket always leaks in real time. */
  now?: () => Date;
}

/** An instant: a Date, or an ISO 8601 string (without an offset it is the shop's local time). */
export type ShopifyTime = Date | string;

export interface EmulatedAddress {
  country_code: string;
  province_code?: string | null;
  city?: string | null;
  zip?: string | null;
  phone?: string | null;
  address1?: string | null;
  first_name?: string | null;
  last_name?: string | null;
}

export type EmailMarketingState = 'subscribed' | 'not_subscribed' | 'unsubscribed' | 'pending' | 'redacted' | 'invalid';

export interface EmulatedEmailMarketingConsent {
  state: EmailMarketingState;
  opt_in_level: 'single_opt_in' | 'confirmed_opt_in' | 'unknown' | null;
  consent_updated_at?: ShopifyTime | null;
}

export type SmsMarketingState = 'subscribed' | 'not_subscribed' | 'unsubscribed' | 'pending' | 'redacted';

export interface EmulatedSmsMarketingConsent {
  state: SmsMarketingState;
  opt_in_level: 'single_opt_in' | 'confirmed_opt_in' | 'unknown' | null;
  consent_updated_at?: ShopifyTime | null;
  consent_collected_from?: string;
}

/** A customer as a test adds it; anything left out gets Shopify's defaults (id, timestamps from `now`). */
export interface EmulatedCustomer {
  id?: number;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  created_at?: ShopifyTime;
  updated_at?: ShopifyTime;
  /** The currency of the customer's last order. */
  currency?: string;
  /** Comma-separated, as Shopify writes them: "vip, newsletter". */
  tags?: string;
  state?: 'disabled' | 'invited' | 'enabled' | 'declined';
  verified_email?: boolean;
  note?: string | null;
  default_address?: EmulatedAddress | null;
  email_marketing_consent?: EmulatedEmailMarketingConsent | null;
  /** Left out: `not_subscribed` for a customer with a phone, null without. */
  sms_marketing_consent?: EmulatedSmsMarketingConsent | null;
}

export interface EmulatedLineItem {
  id?: number;
  sku: string | null;
  title: string;
  quantity: number;
  /** Unit price in the shop currency, a decimal string. */
  price: string;
}

export type FinancialStatus =
  | 'pending'
  | 'authorized'
  | 'partially_paid'
  | 'paid'
  | 'partially_refunded'
  | 'refunded'
  | 'voided';

/** An order as a test adds it. Totals left out are computed from the line items (tax 0). */
export interface EmulatedOrder {
  id?: number;
  /** "#1001"; defaults to "#" + order_number. */
  name?: string;
  order_number?: number;
  email?: string | null;
  phone?: string | null;
  created_at?: ShopifyTime;
  processed_at?: ShopifyTime;
  updated_at?: ShopifyTime;
  /** Set when the order is archived: it is then `closed`, no longer `open`. */
  closed_at?: ShopifyTime | null;
  cancelled_at?: ShopifyTime | null;
  cancel_reason?: 'customer' | 'fraud' | 'inventory' | 'declined' | 'other' | null;
  /** The shop currency; defaults to the emulator's. */
  currency?: string;
  /** The currency the customer saw and paid in; defaults to `currency`. */
  presentment_currency?: string;
  subtotal_price?: string;
  total_tax?: string;
  total_price?: string;
  financial_status?: FinancialStatus;
  fulfillment_status?: 'fulfilled' | 'partial' | 'restocked' | null;
  /** An emulated customer's id, embedded as `customer` the way Shopify embeds it; null for a guest checkout. */
  customer_id?: number | null;
  line_items?: EmulatedLineItem[];
  billing_address?: EmulatedAddress | null;
  shipping_address?: EmulatedAddress | null;
  tags?: string;
}

export type ShopifyFault = 500 | 502 | 503 | 'timeout' | 'garbage';

export interface ShopifyRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The status answered; 0 while a 'timeout' fault holds the request, and for one whose socket was closed. */
  status: number;
}

/** A customer metafield (shopify.dev REST Admin API, Metafield resource), as the emulator renders it. */
export interface EmulatedMetafield {
  id: number;
  namespace: string;
  key: string;
  value: string;
  type: string;
  owner_id: number;
  owner_resource: 'customer';
  created_at: string;
  updated_at: string;
}

export interface ShopifyEmulator {
  /** e.g. http://127.0.0.1:PORT; a client calls `${baseUrl}/admin/api/${version}/orders.json`. */
  baseUrl: string;
  apiVersion: string;
  timeZone: string;
  addCustomers(customers: EmulatedCustomer[]): void;
  addOrders(orders: EmulatedOrder[]): void;
  /**
   * Deterministic: the same seed, `since` and clock give the same customers and orders. Customers live in
   * several countries (JP, US, DE, GB, AU, BR, IN), so time zones, phone formats and presentment
   * currencies differ; orders are open, closed or cancelled, in `currency` (default: the shop's).
   * Created between `since` (default 180 days before `now`) and `now`, ids ascending with creation time.
   */
  seed(opts: { customers: number; orders: number; currency?: string; seed?: number; since?: Date }): void;
  /** Changes an order as the shop would: updated_at moves to now, and at least a second past the previous one, unless `change` sets it. */
  updateOrder(id: number, change: Partial<EmulatedOrder>): void;
  /** Every later call answers 401, as after the merchant uninstalls the app. */
  revokeToken(): void;
  /** The customer as `customers/{id}.json` renders it, or undefined when there is none (never added, or deleted). */
  customer(id: number): Record<string, unknown> | undefined;
  /** The customer's metafields as `customers/{id}/metafields.json` renders them. */
  customerMetafields(id: number): EmulatedMetafield[];
  /**
   * The next `count` calls fail before auth and rate limiting: 500 (JSON), 502 or 503 (an HTML page from the
   * edge), 'garbage' (200 with JSON cut short), or 'timeout': no answer; the socket is closed after
   * `closeAfterMs` if given, else held until close().
   */
  failNext(count: number, fault: ShopifyFault, options?: { closeAfterMs?: number }): void;
  /** On (the default): the leaky bucket is enforced. Off: calls are counted and reported but never refused. */
  throttle(enabled: boolean): void;
  requests: ShopifyRequestRecord[];
  close(): Promise<void>;
}

const DEFAULT_VERSION = '2024-10';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';
const PAGINATION_DOC = 'https://shopify.dev/api/usage/pagination-rest';
const PAGE_INFO_COMPANIONS = new Set(['page_info', 'limit', 'fields']);
const ORDER_STATUSES = ['open', 'closed', 'cancelled', 'any'] as const;
// Shopify answers a throttled call with Retry-After: 2.0; a slower bucket than the default needs longer.
const MIN_RETRY_AFTER_SECONDS = 2;
const SHOP_ID = 68_210_000_000;
const FIRST_CUSTOMER_ID = 7_310_000_000_000;
const FIRST_ORDER_ID = 5_920_000_000_000;
const ID_STEP = 1_000;
const SECOND_MS = 1000;
const DAY_MS = 86_400_000;

type Resource = 'customers' | 'orders';

interface StoredAddress {
  country_code: string;
  province_code: string | null;
  city: string | null;
  zip: string | null;
  phone: string | null;
  address1: string | null;
  first_name: string | null;
  last_name: string | null;
}

interface StoredCustomer {
  id: number;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  created_at: Date;
  updated_at: Date;
  currency: string;
  tags: string;
  state: NonNullable<EmulatedCustomer['state']>;
  verified_email: boolean;
  note: string | null;
  default_address: StoredAddress | null;
  email_marketing_consent: {
    state: EmailMarketingState;
    opt_in_level: EmulatedEmailMarketingConsent['opt_in_level'];
    consent_updated_at: Date | null;
  } | null;
  /** Null: rendered as before there was a write side (not_subscribed when there is a phone). */
  sms_marketing_consent: {
    state: SmsMarketingState;
    opt_in_level: EmulatedSmsMarketingConsent['opt_in_level'];
    consent_updated_at: Date | null;
    consent_collected_from: string;
  } | null;
}

interface StoredLineItem {
  id: number;
  sku: string | null;
  title: string;
  quantity: number;
  price: bigint;
}

interface StoredOrder {
  id: number;
  name: string;
  order_number: number;
  email: string | null;
  phone: string | null;
  created_at: Date;
  processed_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason: EmulatedOrder['cancel_reason'];
  currency: string;
  presentment_currency: string;
  subtotal: bigint;
  tax: bigint;
  total: bigint;
  financial_status: FinancialStatus;
  fulfillment_status: EmulatedOrder['fulfillment_status'];
  customer_id: number | null;
  line_items: StoredLineItem[];
  billing_address: StoredAddress | null;
  shipping_address: StoredAddress | null;
  tags: string;
  token: string;
}

type Json = Record<string, unknown>;

interface Cursor {
  resource: Resource;
  direction: 'next' | 'previous';
  /** The last id of the page before (next) or the first id of the page after (previous). */
  anchor: number;
  /** The first request's filters, applied to every page. */
  filters: Record<string, string>;
}

class BadRequest extends Error {
  constructor(readonly errors: unknown) {
    super(typeof errors === 'string' ? errors : JSON.stringify(errors));
  }
}

export async function startShopifyEmulator(options: ShopifyEmulatorOptions): Promise<ShopifyEmulator> {
  const shop = options.shop ?? 'meridian-demo';
  const apiVersion = options.apiVersion ?? DEFAULT_VERSION;
  const timeZone = options.timeZone ?? 'Asia/Tokyo';
  const shopCurrency = options.currency ?? 'JPY';
  const bucketSize = options.bucketSize ?? 40;
  const leakPerSecond = options.leakPerSecond ?? 2;
  const now = options.now ?? (() => new Date());
  if (!isTimeZone(timeZone))
    throw new RangeError(
      `timeZone ${JSON.stringify(timeZone)} is not an IANA time zone: use a name such as Asia/Tokyo`,
    );
  if (!isReleaseName(apiVersion))
    throw new RangeError(
      `apiVersion ${JSON.stringify(apiVersion)} is not a Shopify release name: use YYYY-01, -04, -07 or -10`,
    );
  minorUnits(shopCurrency); // throws, saying why, for a code that is not ISO 4217
  if (!(bucketSize >= 1) || !(leakPerSecond > 0))
    throw new RangeError('bucketSize must be at least 1 and leakPerSecond above 0');

  const customers = new Map<number, StoredCustomer>();
  const orders = new Map<number, StoredOrder>();
  const metafields = new Map<number, EmulatedMetafield[]>();
  let lastMetafieldId = 21_000_000_000;
  const faults: { fault: ShopifyFault; closeAfterMs?: number }[] = [];
  const requests: ShopifyRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const bucket = leakyBucket(bucketSize, leakPerSecond);
  let revoked = false;
  let baseUrl = '';

  const timeOf = (value: ShopifyTime, what: string): Date => {
    const parsed = parseShopTime(value instanceof Date ? value.toISOString() : value, timeZone);
    if (!parsed)
      throw new RangeError(
        `${what} ${JSON.stringify(value)} is not a time: use a Date or ISO 8601, e.g. 2025-05-09T14:03:00+09:00`,
      );
    return parsed;
  };
  const clock = (): Date => floorToSecond(now());
  // The highest ids and order number so far: new records without one come after them, as in Shopify.
  let lastCustomerId = FIRST_CUSTOMER_ID;
  let lastOrderId = FIRST_ORDER_ID;
  let lastOrderNumber = 1000;

  function storeAddress(address: EmulatedAddress | null | undefined): StoredAddress | null {
    if (!address) return null;
    return {
      country_code: address.country_code,
      province_code: address.province_code ?? null,
      city: address.city ?? null,
      zip: address.zip ?? null,
      phone: address.phone ?? null,
      address1: address.address1 ?? null,
      first_name: address.first_name ?? null,
      last_name: address.last_name ?? null,
    };
  }

  function addCustomer(input: EmulatedCustomer): void {
    const id = input.id ?? lastCustomerId + ID_STEP;
    if (customers.has(id)) throw new Error(`customer ${id} already exists: leave id out to get a new one`);
    lastCustomerId = Math.max(lastCustomerId, id);
    const created = input.created_at === undefined ? clock() : timeOf(input.created_at, `customer ${id} created_at`);
    const consent = input.email_marketing_consent;
    const sms = input.sms_marketing_consent;
    touched();
    customers.set(id, {
      id,
      email: input.email ?? null,
      phone: input.phone ?? null,
      first_name: input.first_name ?? null,
      last_name: input.last_name ?? null,
      created_at: created,
      updated_at: input.updated_at === undefined ? created : timeOf(input.updated_at, `customer ${id} updated_at`),
      currency: input.currency ?? shopCurrency,
      tags: input.tags ?? '',
      state: input.state ?? 'disabled',
      verified_email: input.verified_email ?? true,
      note: input.note ?? null,
      default_address: storeAddress(input.default_address),
      email_marketing_consent: consent
        ? {
            state: consent.state,
            opt_in_level: consent.opt_in_level,
            consent_updated_at: consent.consent_updated_at
              ? timeOf(consent.consent_updated_at, `customer ${id} consent_updated_at`)
              : null,
          }
        : null,
      sms_marketing_consent: sms
        ? {
            state: sms.state,
            opt_in_level: sms.opt_in_level,
            consent_updated_at: sms.consent_updated_at
              ? timeOf(sms.consent_updated_at, `customer ${id} sms consent_updated_at`)
              : null,
            consent_collected_from: sms.consent_collected_from ?? 'OTHER',
          }
        : null,
    });
  }

  function amount(text: string, currency: string, what: string): bigint {
    const parsed = parseAmount(text, currency);
    if (!parsed.ok) throw new RangeError(`${what}: ${parsed.reason}`);
    return parsed.minor;
  }

  /** The order `input` describes, on top of `base` when changing one. */
  function buildOrder(input: EmulatedOrder, base?: StoredOrder): StoredOrder {
    const id = base?.id ?? input.id ?? lastOrderId + ID_STEP;
    const what = `order ${id}`;
    const currency = input.currency ?? base?.currency ?? shopCurrency;
    minorUnits(currency);
    const lineItems =
      input.line_items?.map((item, index) => ({
        id: item.id ?? id + index + 1,
        sku: item.sku,
        title: item.title,
        quantity: item.quantity,
        price: amount(item.price, currency, `${what} line item ${index + 1} price`),
      })) ??
      base?.line_items ??
      [];
    const lineSum = lineItems.reduce((sum, item) => sum + item.price * BigInt(item.quantity), 0n);
    const recomputed = input.line_items !== undefined;
    const subtotal =
      input.subtotal_price !== undefined
        ? amount(input.subtotal_price, currency, `${what} subtotal_price`)
        : recomputed || !base
          ? lineSum
          : base.subtotal;
    const tax =
      input.total_tax !== undefined ? amount(input.total_tax, currency, `${what} total_tax`) : (base?.tax ?? 0n);
    const total =
      input.total_price !== undefined ? amount(input.total_price, currency, `${what} total_price`) : subtotal + tax;
    const orderNumber = input.order_number ?? base?.order_number ?? lastOrderNumber + 1;
    const created =
      input.created_at !== undefined ? timeOf(input.created_at, `${what} created_at`) : (base?.created_at ?? clock());
    const customerId = input.customer_id !== undefined ? input.customer_id : (base?.customer_id ?? null);
    if (customerId !== null && !customers.has(customerId))
      throw new Error(`${what}: customer ${customerId} does not exist: add the customer first`);
    const customer = customerId === null ? undefined : customers.get(customerId);
    const optionalTime = (
      value: ShopifyTime | null | undefined,
      kept: Date | null | undefined,
      field: string,
    ): Date | null =>
      value === undefined ? (kept ?? null) : value === null ? null : timeOf(value, `${what} ${field}`);
    return {
      id,
      order_number: orderNumber,
      name: input.name ?? (input.order_number !== undefined || !base ? `#${orderNumber}` : base.name),
      email: input.email !== undefined ? input.email : (base?.email ?? customer?.email ?? null),
      phone: input.phone !== undefined ? input.phone : (base?.phone ?? customer?.phone ?? null),
      created_at: created,
      processed_at:
        input.processed_at !== undefined
          ? timeOf(input.processed_at, `${what} processed_at`)
          : (base?.processed_at ?? created),
      updated_at:
        input.updated_at !== undefined ? timeOf(input.updated_at, `${what} updated_at`) : (base?.updated_at ?? created),
      closed_at: optionalTime(input.closed_at, base?.closed_at, 'closed_at'),
      cancelled_at: optionalTime(input.cancelled_at, base?.cancelled_at, 'cancelled_at'),
      cancel_reason: input.cancel_reason !== undefined ? input.cancel_reason : (base?.cancel_reason ?? null),
      currency,
      presentment_currency: input.presentment_currency ?? base?.presentment_currency ?? currency,
      subtotal,
      tax,
      total,
      financial_status: input.financial_status ?? base?.financial_status ?? 'paid',
      fulfillment_status:
        input.fulfillment_status !== undefined ? input.fulfillment_status : (base?.fulfillment_status ?? null),
      customer_id: customerId,
      line_items: lineItems,
      billing_address:
        input.billing_address !== undefined
          ? storeAddress(input.billing_address)
          : (base?.billing_address ?? customer?.default_address ?? null),
      shipping_address:
        input.shipping_address !== undefined
          ? storeAddress(input.shipping_address)
          : (base?.shipping_address ?? customer?.default_address ?? null),
      tags: input.tags ?? base?.tags ?? '',
      token: base?.token ?? createHash('sha256').update(`${shop}/${id}`).digest('hex').slice(0, 32), // seeded shops stay identical
    };
  }

  function addOrder(input: EmulatedOrder): void {
    if (input.id !== undefined && orders.has(input.id))
      throw new Error(`order ${input.id} already exists: use updateOrder to change it`);
    const order = buildOrder(input);
    touched();
    orders.set(order.id, order);
    lastOrderId = Math.max(lastOrderId, order.id);
    lastOrderNumber = Math.max(lastOrderNumber, order.order_number);
  }

  // ---- rendering, with Shopify's field names ----

  const time = (instant: Date | null): string | null => (instant ? formatShopTime(instant, timeZone) : null);

  function renderCustomerAddress(customer: StoredCustomer): Json | null {
    const a = customer.default_address;
    if (!a) return null;
    return {
      id: customer.id + 1,
      customer_id: customer.id,
      first_name: a.first_name ?? customer.first_name,
      last_name: a.last_name ?? customer.last_name,
      company: null,
      address1: a.address1,
      address2: null,
      city: a.city,
      province_code: a.province_code,
      country_code: a.country_code,
      zip: a.zip,
      phone: a.phone,
      default: true,
    };
  }

  function renderCustomer(c: StoredCustomer): Json {
    const address = renderCustomerAddress(c);
    return {
      id: c.id,
      email: c.email,
      created_at: time(c.created_at),
      updated_at: time(c.updated_at),
      first_name: c.first_name,
      last_name: c.last_name,
      state: c.state,
      note: c.note,
      verified_email: c.verified_email,
      multipass_identifier: null,
      tax_exempt: false,
      tags: c.tags,
      currency: c.currency,
      phone: c.phone,
      addresses: address ? [address] : [],
      tax_exemptions: [],
      email_marketing_consent: c.email_marketing_consent
        ? {
            state: c.email_marketing_consent.state,
            opt_in_level: c.email_marketing_consent.opt_in_level,
            consent_updated_at: time(c.email_marketing_consent.consent_updated_at),
          }
        : null,
      sms_marketing_consent: c.sms_marketing_consent
        ? {
            state: c.sms_marketing_consent.state,
            opt_in_level: c.sms_marketing_consent.opt_in_level,
            consent_updated_at: time(c.sms_marketing_consent.consent_updated_at),
            consent_collected_from: c.sms_marketing_consent.consent_collected_from,
          }
        : c.phone
          ? {
              state: 'not_subscribed',
              opt_in_level: 'single_opt_in',
              consent_updated_at: null,
              consent_collected_from: 'OTHER',
            }
          : null,
      admin_graphql_api_id: `gid://shopify/Customer/${c.id}`,
      default_address: address,
    };
  }

  function renderOrderAddress(a: StoredAddress | null): Json | null {
    if (!a) return null;
    const name = [a.first_name, a.last_name].filter(Boolean).join(' ');
    return {
      first_name: a.first_name,
      last_name: a.last_name,
      name: name || null,
      address1: a.address1,
      city: a.city,
      zip: a.zip,
      province_code: a.province_code,
      country_code: a.country_code,
      phone: a.phone,
    };
  }

  function renderOrder(o: StoredOrder): Json {
    const money = (minor: bigint) => formatMinor(minor, o.currency);
    const customer = o.customer_id === null ? undefined : customers.get(o.customer_id);
    return {
      id: o.id,
      admin_graphql_api_id: `gid://shopify/Order/${o.id}`,
      name: o.name,
      order_number: o.order_number,
      number: o.order_number - 1000,
      email: o.email,
      contact_email: o.email,
      phone: o.phone,
      created_at: time(o.created_at),
      processed_at: time(o.processed_at),
      updated_at: time(o.updated_at),
      closed_at: time(o.closed_at),
      cancelled_at: time(o.cancelled_at),
      cancel_reason: o.cancel_reason,
      currency: o.currency,
      presentment_currency: o.presentment_currency,
      subtotal_price: money(o.subtotal),
      total_line_items_price: money(o.line_items.reduce((sum, item) => sum + item.price * BigInt(item.quantity), 0n)),
      total_tax: money(o.tax),
      total_price: money(o.total),
      taxes_included: false,
      financial_status: o.financial_status,
      fulfillment_status: o.fulfillment_status,
      confirmed: true,
      test: false,
      tags: o.tags,
      source_name: 'web',
      order_status_url: `https://${shop}.myshopify.com/${SHOP_ID}/orders/${o.token}/authenticate?key=${o.token.slice(0, 16)}`,
      customer: customer ? renderCustomer(customer) : null,
      line_items: o.line_items.map((item) => ({
        id: item.id,
        admin_graphql_api_id: `gid://shopify/LineItem/${item.id}`,
        sku: item.sku,
        title: item.title,
        name: item.title,
        quantity: item.quantity,
        price: money(item.price),
        taxable: true,
        requires_shipping: true,
      })),
      billing_address: renderOrderAddress(o.billing_address),
      shipping_address: renderOrderAddress(o.shipping_address),
    };
  }

  function renderShop(): Json {
    const parts = localParts(now(), timeZone);
    return {
      id: SHOP_ID,
      name: shop,
      domain: `${shop}.myshopify.com`,
      myshopify_domain: `${shop}.myshopify.com`,
      iana_timezone: timeZone,
      timezone: `(GMT${formatOffset(parts.offsetMinutes)}) ${timeZone}`,
      currency: shopCurrency,
    };
  }

  // ---- filtering and pagination ----

  function filterTime(filters: Record<string, string>, name: string): Date | undefined {
    const value = filters[name];
    if (value === undefined || value === '') return undefined;
    const parsed = parseShopTime(value, timeZone);
    if (!parsed) {
      throw new BadRequest({
        [name]: `${JSON.stringify(value)} is not a time: use ISO 8601 such as 2025-05-09T14:03:00+09:00, and encode "+" as %2B in the query`,
      });
    }
    return parsed;
  }

  function matcher(
    resource: Resource,
    filters: Record<string, string>,
  ): (record: StoredCustomer | StoredOrder) => boolean {
    const ids = filters.ids ? filters.ids.split(',').map((id) => Number(id.trim())) : undefined;
    if (ids?.some((id) => !Number.isSafeInteger(id)))
      throw new BadRequest({ ids: 'ids must be comma-separated numbers' });
    const sinceId = filters.since_id ? Number(filters.since_id) : undefined;
    if (sinceId !== undefined && !Number.isSafeInteger(sinceId))
      throw new BadRequest({ since_id: 'since_id must be a number' });
    const bounds = (['created_at', 'updated_at', ...(resource === 'orders' ? ['processed_at'] : [])] as const).map(
      (field) => ({
        field,
        min: filterTime(filters, `${field}_min`),
        max: filterTime(filters, `${field}_max`),
      }),
    );
    const status = resource === 'orders' ? (filters.status ?? 'open') : 'any';
    if (!(ORDER_STATUSES as readonly string[]).includes(status)) {
      throw new BadRequest({
        status: `status must be one of ${ORDER_STATUSES.join(', ')}; got ${JSON.stringify(status)}`,
      });
    }
    const financial = resource === 'orders' ? filters.financial_status : undefined;
    return (record) => {
      if (ids && !ids.includes(record.id)) return false;
      if (sinceId !== undefined && record.id <= sinceId) return false;
      for (const { field, min, max } of bounds) {
        const at = (record as unknown as Record<string, Date>)[field]!.getTime();
        if ((min && at < min.getTime()) || (max && at > max.getTime())) return false;
      }
      if ('order_number' in record) {
        if (status === 'open' && (record.closed_at || record.cancelled_at)) return false;
        if (status === 'closed' && !record.closed_at) return false;
        if (status === 'cancelled' && !record.cancelled_at) return false;
        if (financial && financial !== 'any' && record.financial_status !== financial) return false;
      }
      return true;
    };
  }

  function parseLimit(query: Record<string, string>): number {
    if (query.limit === undefined) return DEFAULT_LIMIT;
    const limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new BadRequest({
        limit: `limit must be a whole number from 1 to ${MAX_LIMIT}; got ${JSON.stringify(query.limit)}`,
      });
    if (limit > MAX_LIMIT) throw new BadRequest(`Limit exceeds maximum limit of ${MAX_LIMIT}`);
    return limit;
  }

  function readCursor(resource: Resource, query: Record<string, string>): Cursor | undefined {
    const pageInfo = query.page_info;
    if (pageInfo === undefined) return undefined;
    const extra = Object.keys(query).filter((name) => !PAGE_INFO_COMPANIONS.has(name));
    if (extra.length > 0) {
      throw new BadRequest(
        Object.fromEntries(
          extra.map((name) => [
            name,
            `${name} cannot be passed when page_info is present. See ${PAGINATION_DOC} for more information.`,
          ]),
        ),
      );
    }
    try {
      const cursor = JSON.parse(Buffer.from(pageInfo, 'base64url').toString('utf8')) as Cursor;
      if (
        cursor.resource === resource &&
        (cursor.direction === 'next' || cursor.direction === 'previous') &&
        Number.isSafeInteger(cursor.anchor)
      ) {
        return cursor;
      }
    } catch {
      // falls through to Shopify's answer for a page_info it did not issue
    }
    throw new BadRequest({ page_info: 'Invalid value.' });
  }

  /** IDs in ascending order, rebuilt when a record is added or deleted (an update keeps its ID). */
  const idCache = new Map<Map<number, unknown>, { version: number; ids: number[] }>();
  let version = 0;
  const touched = () => void version++;
  const sortedIds = (store: Map<number, unknown>): number[] => {
    const cached = idCache.get(store);
    if (cached && cached.version === version) return cached.ids;
    const ids = [...store.keys()].sort((a, b) => a - b);
    idCache.set(store, { version, ids });
    return ids;
  };

  const writeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

  function list(resource: Resource, query: Record<string, string>): { body: Json; link?: string } {
    const limit = parseLimit(query);
    const cursor = readCursor(resource, query);
    const filters =
      cursor?.filters ?? Object.fromEntries(Object.entries(query).filter(([name]) => !PAGE_INFO_COMPANIONS.has(name)));
    const matches = matcher(resource, filters);
    const store: Map<number, StoredCustomer | StoredOrder> = resource === 'customers' ? customers : orders;
    // Walk the IDs in order from the anchor, as a database index would, rather than sorting every
    // record on every call: a sync of 100,000 orders must measure the client, not the emulator.
    const ids = sortedIds(store);
    const at = (i: number) => store.get(ids[i]!)!;
    const firstAfter = (anchor: number) => {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid]! <= anchor) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const page: (StoredCustomer | StoredOrder)[] = [];
    if (cursor?.direction === 'previous') {
      for (let i = firstAfter(cursor.anchor - 1) - 1; i >= 0 && page.length < limit; i--)
        if (matches(at(i))) page.unshift(at(i));
    } else {
      for (let i = cursor === undefined ? 0 : firstAfter(cursor.anchor); i < ids.length && page.length < limit; i++)
        if (matches(at(i))) page.push(at(i));
    }
    const anyMatch = (from: number, step: 1 | -1) => {
      for (let i = from; i >= 0 && i < ids.length; i += step) if (matches(at(i))) return true;
      return false;
    };

    const links: string[] = [];
    const first = page[0];
    const last = page.at(-1);
    const pageUrl = (direction: Cursor['direction'], anchor: number) => {
      const params = new URLSearchParams({ limit: String(limit) });
      if (query.fields) params.set('fields', query.fields);
      params.set('page_info', writeCursor({ resource, direction, anchor, filters }));
      return `${baseUrl}/admin/api/${apiVersion}/${resource}.json?${params}`;
    };
    if (first && anyMatch(firstAfter(first.id - 1) - 1, -1))
      links.push(`<${pageUrl('previous', first.id)}>; rel="previous"`);
    if (last && anyMatch(firstAfter(last.id), 1)) links.push(`<${pageUrl('next', last.id)}>; rel="next"`);

    const rendered = page.map((record) =>
      pickFields(
        resource === 'customers' ? renderCustomer(record as StoredCustomer) : renderOrder(record as StoredOrder),
        query.fields,
      ),
    );
    return { body: { [resource]: rendered }, link: links.length > 0 ? links.join(', ') : undefined };
  }

  function count(resource: Resource, query: Record<string, string>): Json {
    const matches = matcher(resource, query);
    const store: Map<number, StoredCustomer | StoredOrder> = resource === 'customers' ? customers : orders;
    return { count: [...store.values()].filter(matches).length };
  }

  // ---- the privacy side: update consent, delete, search, a customer's orders ----

  type PrivacyRoute =
    | { kind: 'update' | 'delete'; version: string; id: number }
    | { kind: 'search'; version: string }
    | { kind: 'customer-orders'; version: string; id: number };

  // ---- customer metafields (REST Admin API, Metafield resource) ----

  // The types the emulator accepts (a subset of Shopify's metafield types) and what each value must look like.
  const METAFIELD_TYPES: Record<string, (value: string) => boolean> = {
    single_line_text_field: (v) => v.length > 0 && !v.includes('\n'),
    number_integer: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 9_007_199_254_740_991,
    json: (v) => {
      try {
        JSON.parse(v);
        return true;
      } catch {
        return false;
      }
    },
  };

  function metafieldRoute(
    method: string,
    pathname: string,
  ): { version: string; customerId: number; metafieldId?: number; method: string } | undefined {
    const match = /^\/admin\/api\/([^/]+)\/customers\/(\d+)\/metafields(?:\/(\d+))?\.json$/.exec(pathname);
    if (!match) return undefined;
    return {
      version: match[1]!,
      customerId: Number(match[2]),
      ...(match[3] ? { metafieldId: Number(match[3]) } : {}),
      method,
    };
  }

  function serveMetafields(
    route: { customerId: number; metafieldId?: number; method: string },
    rawBody: unknown,
  ): { status: number; body: unknown } {
    if (!customers.has(route.customerId)) return { status: 404, body: { errors: 'Not Found' } };
    const list = metafields.get(route.customerId) ?? [];
    if (route.method === 'GET' && route.metafieldId === undefined) return { status: 200, body: { metafields: list } };
    if (route.method === 'GET') {
      const found = list.find((m) => m.id === route.metafieldId);
      return found ? { status: 200, body: { metafield: found } } : { status: 404, body: { errors: 'Not Found' } };
    }
    if (route.method === 'DELETE' && route.metafieldId !== undefined) {
      const index = list.findIndex((m) => m.id === route.metafieldId);
      if (index < 0) return { status: 404, body: { errors: 'Not Found' } };
      list.splice(index, 1);
      return { status: 200, body: {} };
    }
    if (route.method !== 'POST' && route.method !== 'PUT') return { status: 404, body: { errors: 'Not Found' } };
    let body: unknown;
    try {
      body = typeof rawBody === 'string' && rawBody !== '' ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const input = (body as { metafield?: Record<string, unknown> } | undefined)?.metafield;
    if (typeof input !== 'object' || input === null)
      throw new BadRequest({ metafield: 'Required parameter missing or invalid' });
    const errors: Record<string, string[]> = {};
    const now = clock().toISOString();
    if (route.method === 'PUT') {
      const found = list.find((m) => m.id === route.metafieldId);
      if (!found) return { status: 404, body: { errors: 'Not Found' } };
      const type = typeof input.type === 'string' ? input.type : found.type;
      const value = input.value === undefined ? found.value : String(input.value);
      if (!METAFIELD_TYPES[type]?.(value)) errors.value = [`must be a valid ${type}`];
      if (Object.keys(errors).length > 0) return { status: 422, body: { errors } };
      Object.assign(found, { type, value, updated_at: now });
      return { status: 200, body: { metafield: found } };
    }
    const namespace = typeof input.namespace === 'string' ? input.namespace : '';
    const key = typeof input.key === 'string' ? input.key : '';
    const type = typeof input.type === 'string' ? input.type : '';
    const value = input.value === undefined || input.value === null ? '' : String(input.value);
    if (namespace.length < 3 || namespace.length > 255)
      errors.namespace = ['is too short or too long (3 to 255 characters)'];
    if (!/^[A-Za-z0-9_.-]{2,64}$/.test(key)) errors.key = ['must be 2 to 64 letters, digits, -, _ or .'];
    if (!METAFIELD_TYPES[type]) errors.type = [`must be one of ${Object.keys(METAFIELD_TYPES).join(', ')}`];
    else if (!METAFIELD_TYPES[type]!(value)) errors.value = [`must be a valid ${type}`];
    if (list.some((m) => m.namespace === namespace && m.key === key))
      errors.key = [...(errors.key ?? []), 'must be unique within this namespace on this resource'];
    if (Object.keys(errors).length > 0) return { status: 422, body: { errors } };
    const created: EmulatedMetafield = {
      id: ++lastMetafieldId,
      namespace,
      key,
      value,
      type,
      owner_id: route.customerId,
      owner_resource: 'customer',
      created_at: now,
      updated_at: now,
    };
    metafields.set(route.customerId, [...list, created]);
    return { status: 201, body: { metafield: created } };
  }

  /** The new routes; any other request goes on to the read side exactly as before. */
  function privacyRoute(method: string, pathname: string): PrivacyRoute | undefined {
    const match = /^\/admin\/api\/([^/]+)\/customers\/(?:(search)|(\d+)(\/orders)?)\.json$/.exec(pathname);
    if (!match) return undefined;
    const [, version = '', search, id, ordersPath] = match;
    if (search) return method === 'GET' ? { kind: 'search', version } : undefined;
    if (ordersPath) return method === 'GET' ? { kind: 'customer-orders', version, id: Number(id) } : undefined;
    if (method === 'PUT') return { kind: 'update', version, id: Number(id) };
    if (method === 'DELETE') return { kind: 'delete', version, id: Number(id) };
    return undefined;
  }

  function servePrivacy(
    route: PrivacyRoute,
    query: Record<string, string>,
    request: FastifyRequest,
  ): { status: number; body: unknown } {
    if (route.kind === 'search') return { status: 200, body: { customers: searchCustomers(query) } };
    const customer = customers.get(route.id);
    if (!customer) return { status: 404, body: { errors: 'Not Found' } };
    if (route.kind === 'customer-orders') {
      const matches = matcher('orders', { status: query.status ?? 'open' });
      const limit = parseLimit(query);
      const list = [...orders.values()]
        .filter((order) => order.customer_id === customer.id && matches(order))
        .sort((a, b) => a.id - b.id)
        .slice(0, limit);
      return { status: 200, body: { orders: list.map((order) => pickFields(renderOrder(order), query.fields)) } };
    }
    if (route.kind === 'delete') {
      if ([...orders.values()].some((order) => order.customer_id === customer.id)) {
        return {
          status: 422,
          body: { errors: { base: ['Error deleting customer: a customer with orders cannot be deleted'] } },
        };
      }
      touched();
      customers.delete(customer.id);
      return { status: 200, body: {} };
    }
    return updateConsent(customer, request.body);
  }

  const WRITABLE_CONSENT_STATES = ['subscribed', 'not_subscribed', 'unsubscribed', 'pending'];
  const OPT_IN_LEVELS = ['single_opt_in', 'confirmed_opt_in', 'unknown'];
  const UPDATABLE = new Set(['id', 'email_marketing_consent', 'sms_marketing_consent', 'tags']);

  function updateConsent(customer: StoredCustomer, rawBody: unknown): { status: number; body: unknown } {
    let body: unknown;
    try {
      body = typeof rawBody === 'string' && rawBody !== '' ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const input = (body as { customer?: unknown } | undefined)?.customer;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new BadRequest({ customer: 'Required parameter missing or invalid' });
    }
    const fields = input as Record<string, unknown>;
    const unsupported = Object.keys(fields).filter((name) => !UPDATABLE.has(name));
    if (unsupported.length > 0) {
      throw new BadRequest(
        Object.fromEntries(
          unsupported.map((name) => [
            name,
            'the emulator updates only email_marketing_consent, sms_marketing_consent and tags',
          ]),
        ),
      );
    }
    if (fields.id !== undefined && Number(fields.id) !== customer.id)
      throw new BadRequest({ id: `is ${JSON.stringify(fields.id)} but the path names customer ${customer.id}` });

    const errors: Record<string, string[]> = {};
    const read = (
      name: 'email_marketing_consent' | 'sms_marketing_consent',
      channel: string | null,
      channelName: string,
    ) => {
      const value = fields[name];
      if (value === undefined) return undefined;
      const consent = value as Record<string, unknown> | null;
      const problems: string[] = [];
      if (typeof consent !== 'object' || consent === null)
        problems.push('must be an object with state, opt_in_level and consent_updated_at');
      else {
        if (!WRITABLE_CONSENT_STATES.includes(String(consent.state)))
          problems.push(`state must be one of ${WRITABLE_CONSENT_STATES.join(', ')}`);
        if (
          consent.opt_in_level !== undefined &&
          consent.opt_in_level !== null &&
          !OPT_IN_LEVELS.includes(String(consent.opt_in_level))
        ) {
          problems.push(`opt_in_level must be one of ${OPT_IN_LEVELS.join(', ')}`);
        }
        if (
          consent.consent_updated_at !== undefined &&
          consent.consent_updated_at !== null &&
          (typeof consent.consent_updated_at !== 'string' || !parseShopTime(consent.consent_updated_at, timeZone))
        ) {
          problems.push('consent_updated_at must be an ISO 8601 time');
        }
      }
      if (!channel) problems.push(`requires the customer to have ${channelName}`);
      if (problems.length > 0) {
        errors[name] = problems;
        return undefined;
      }
      const c = consent as Record<string, unknown>;
      return {
        state: c.state as SmsMarketingState & EmailMarketingState,
        opt_in_level: (c.opt_in_level ?? 'single_opt_in') as EmulatedEmailMarketingConsent['opt_in_level'],
        consent_updated_at:
          typeof c.consent_updated_at === 'string' ? parseShopTime(c.consent_updated_at, timeZone)! : clock(),
        consent_collected_from: typeof c.consent_collected_from === 'string' ? c.consent_collected_from : 'OTHER',
      };
    };
    const email = read('email_marketing_consent', customer.email, 'an email address');
    const sms = read('sms_marketing_consent', customer.phone, 'a phone number');
    if (Object.keys(errors).length > 0) return { status: 422, body: { errors } };

    if (fields.tags !== undefined) {
      // Shopify takes tags as a comma-separated string (or a list), each trimmed, at most 255 characters.
      const list = (Array.isArray(fields.tags) ? fields.tags.map(String) : String(fields.tags).split(','))
        .map((t) => t.trim())
        .filter(Boolean);
      if (list.some((t) => t.length > 255))
        return { status: 422, body: { errors: { tags: ['a tag is longer than 255 characters'] } } };
      customer.tags = [...new Set(list)].join(', ');
    }
    if (email)
      customer.email_marketing_consent = {
        state: email.state,
        opt_in_level: email.opt_in_level,
        consent_updated_at: email.consent_updated_at,
      };
    if (sms) customer.sms_marketing_consent = sms;
    // Shopify stamps every change; a frozen test clock must still move updated_at.
    customer.updated_at = new Date(Math.max(clock().getTime(), customer.updated_at.getTime() + SECOND_MS));
    return { status: 200, body: { customer: renderCustomer(customer) } };
  }

  /**
   * Shopify's search syntax (shopify.dev, "Shopify API search syntax"), parsed as Shopify does: terms
   * joined by whitespace (AND) or OR, `-`/NOT, parentheses; values bare or quoted in single or double
   * quotes, a backslash escaping the next character; `*` a wildcard; a term without a field searches the
   * customer's email, names and phone as free text. Fields: `email:`, `phone:` and `id:`.
   */
  function searchCustomers(query: Record<string, string>): Json[] {
    const limit = parseLimit(query);
    const matches = parseSearch(query.query ?? '');
    return [...customers.values()]
      .filter(matches)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map((c) => pickFields(renderCustomer(c), query.fields));
  }

  // ---- the HTTP side ----

  // close() must not wait on clients' keep-alive sockets, nor on calls a 'timeout' fault is holding.
  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  // Bodies (PUT) are read by the handler as text, so a malformed one still reaches it and is recorded.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const query = Object.fromEntries(url.searchParams);
    const entry: ShopifyRequestRecord = { method: request.method, path: url.pathname, query, status: 0 };
    requests.push(entry);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      void reply
        .code(status)
        .headers({ 'x-request-id': randomUUID(), ...headers })
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(body));
    };

    const queued = faults.shift();
    if (queued) {
      const { fault } = queued;
      if (fault === 'timeout') {
        stall(request, reply, queued.closeAfterMs, timers);
        return;
      }
      if (fault === 'garbage') {
        const resource = /\/(customers|orders|shop)\b/.exec(url.pathname)?.[1] ?? 'errors';
        entry.status = 200;
        void reply
          .code(200)
          .type('application/json; charset=utf-8')
          .send(`{"${resource}":[{"id":${FIRST_ORDER_ID},"email":"`);
        return;
      }
      entry.status = fault;
      if (fault === 500) return answer(500, { errors: 'Internal Server Error' });
      const title = fault === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
      void reply
        .code(fault)
        .type('text/html; charset=utf-8')
        .send(`<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
      return;
    }

    if (revoked || request.headers['x-shopify-access-token'] !== options.accessToken)
      return answer(401, { errors: INVALID_TOKEN });

    const admitted = bucket.take();
    if (!admitted.ok) {
      return answer(
        429,
        {
          errors: `Exceeded ${leakPerSecond} calls per second for api client. Reduce request rates to resume uninterrupted service.`,
        },
        {
          'retry-after': admitted.retryAfterSeconds.toFixed(1),
          'x-shopify-shop-api-call-limit': `${bucketSize}/${bucketSize}`,
        },
      );
    }
    const headers: Record<string, string> = {
      'x-shopify-shop-api-call-limit': `${admitted.used}/${bucketSize}`,
      'x-shopify-api-version': apiVersion,
    };

    const metafieldCall = metafieldRoute(request.method, url.pathname);
    if (metafieldCall) {
      if (!servesVersion(metafieldCall.version, apiVersion)) return answer(404, { errors: 'Not Found' }, headers);
      try {
        const result = serveMetafields(metafieldCall, request.body);
        return answer(result.status, result.body, headers);
      } catch (error) {
        if (error instanceof BadRequest) return answer(400, { errors: error.errors }, headers);
        throw error;
      }
    }

    const privacy = privacyRoute(request.method, url.pathname);
    if (privacy) {
      if (!servesVersion(privacy.version, apiVersion)) return answer(404, { errors: 'Not Found' }, headers);
      try {
        const result = servePrivacy(privacy, query, request);
        return answer(result.status, result.body, headers);
      } catch (error) {
        if (error instanceof BadRequest) return answer(400, { errors: error.errors }, headers);
        throw error;
      }
    }

    const route = /^\/admin\/api\/([^/]+)\/(?:(shop)|(customers|orders)(?:\/(count|\d+))?)\.json$/.exec(url.pathname);
    const version = route?.[1];
    if (request.method !== 'GET' || !route || !version || !servesVersion(version, apiVersion))
      return answer(404, { errors: 'Not Found' }, headers);
    const [, , shopRoute, resource, member] = route as unknown as [
      string,
      string,
      string | undefined,
      Resource | undefined,
      string | undefined,
    ];

    try {
      if (shopRoute) return answer(200, { shop: renderShop() }, headers);
      if (!resource) return answer(404, { errors: 'Not Found' }, headers);
      if (member === 'count') return answer(200, count(resource, query), headers);
      if (member !== undefined) {
        const record = resource === 'customers' ? customers.get(Number(member)) : orders.get(Number(member));
        if (!record) return answer(404, { errors: 'Not Found' }, headers);
        const rendered =
          resource === 'customers' ? renderCustomer(record as StoredCustomer) : renderOrder(record as StoredOrder);
        return answer(
          200,
          { [resource === 'customers' ? 'customer' : 'order']: pickFields(rendered, query.fields) },
          headers,
        );
      }
      const { body, link } = list(resource, query);
      return answer(200, body, link ? { ...headers, link } : headers);
    } catch (error) {
      if (error instanceof BadRequest) return answer(400, { errors: error.errors }, headers);
      throw error;
    }
  }

  app.all('/*', serve);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    apiVersion,
    timeZone,
    requests,
    addCustomers(list) {
      for (const customer of list) addCustomer(customer);
    },
    addOrders(list) {
      for (const order of list) addOrder(order);
    },
    seed(opts) {
      const generated = generateShop({
        ...opts,
        currency: opts.currency ?? shopCurrency,
        now: clock(),
        lastCustomerId,
        lastOrderId,
      });
      for (const customer of generated.customers) addCustomer(customer);
      for (const order of generated.orders) addOrder(order);
    },
    updateOrder(id, change) {
      const current = orders.get(id);
      if (!current) throw new Error(`order ${id} does not exist: add it with addOrders first`);
      const changed = buildOrder({ ...change, id }, current);
      if (change.updated_at === undefined) {
        // Shopify stamps every change; a frozen test clock must still move updated_at, or updated_at_min syncs would miss it.
        changed.updated_at = new Date(Math.max(clock().getTime(), current.updated_at.getTime() + SECOND_MS));
      }
      orders.set(id, changed);
    },
    revokeToken() {
      revoked = true;
    },
    customer(id) {
      const stored = customers.get(id);
      return stored ? renderCustomer(stored) : undefined;
    },
    customerMetafields(id) {
      return [...(metafields.get(id) ?? [])];
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, ...faultOptions });
    },
    throttle(enabled) {
      bucket.enforce = enabled;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await app.close();
    },
  };
}

// ---- the leaky bucket ----

function leakyBucket(size: number, leakPerSecond: number) {
  let level = 0;
  let leakedAt = performance.now();
  let refusingUntil = 0;
  return {
    enforce: true,
    take(): { ok: true; used: number } | { ok: false; retryAfterSeconds: number } {
      const at = performance.now();
      level = Math.max(0, level - ((at - leakedAt) / SECOND_MS) * leakPerSecond);
      leakedAt = at;
      if (this.enforce) {
        // Shopify: "Any request made before the wait time has elapsed is throttled."
        if (at < refusingUntil)
          return { ok: false, retryAfterSeconds: roundUpToTenth((refusingUntil - at) / SECOND_MS) };
        if (level + 1 > size) {
          const wait = roundUpToTenth(Math.max(MIN_RETRY_AFTER_SECONDS, (level + 1 - size) / leakPerSecond));
          refusingUntil = at + wait * SECOND_MS;
          return { ok: false, retryAfterSeconds: wait };
        }
      }
      level = Math.min(size, level + 1);
      return { ok: true, used: Math.ceil(level) };
    },
  };
}

const roundUpToTenth = (seconds: number): number => Math.ceil(seconds * 10 - 1e-9) / 10;

// ---- versions, times, fields ----

function isReleaseName(version: string): boolean {
  return /^\d{4}-(01|04|07|10)$/.test(version);
}

/** The version served, or an older release name, which Shopify answers with its oldest supported version. */
function servesVersion(requested: string, served: string): boolean {
  return isReleaseName(requested) && requested <= served;
}

function floorToSecond(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / SECOND_MS) * SECOND_MS);
}

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** "2025-05-09T14:03:00+09:00": the wall clock in the shop's zone and its offset, to the second, as Shopify writes times. */
export function formatShopTime(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.date}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${formatOffset(p.offsetMinutes)}`;
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO 8601 time; without an offset it is the shop's wall clock, as Shopify reads filter values. To the second. */
function parseShopTime(text: string, timeZone: string): Date | undefined {
  const match = ISO_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, date = '', clockTime, , zone] = match;
  if (zone === undefined) {
    const local = instantAt(date, clockTime ?? '00:00', timeZone);
    return local.ok ? floorToSecond(local.instant) : undefined;
  }
  const offset = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${date}T${clockTime ?? '00:00'}${match[3] ?? ''}${offset}`);
  return Number.isNaN(ms) ? undefined : floorToSecond(new Date(ms));
}

function pickFields(record: Json, fields: string | undefined): Json {
  if (!fields) return record;
  const wanted = new Set(fields.split(',').map((field) => field.trim()));
  return Object.fromEntries(Object.entries(record).filter(([key]) => wanted.has(key)));
}

// ---- the deterministic shop generator ----

interface Market {
  country: string;
  currency: string;
  province: string | null;
  city: string;
  zip: string;
  phonePrefix: string;
  phoneDigits: number;
  firstNames: string[];
  lastNames: string[];
}

// Where seeded customers live: several time zones, currencies and phone plans.
const MARKETS: Market[] = [
  {
    country: 'JP',
    currency: 'JPY',
    province: 'JP-13',
    city: 'Shibuya',
    zip: '150-0002',
    phonePrefix: '+8190',
    phoneDigits: 8,
    firstNames: ['Haruto', 'Yui', 'Sota', 'Mei'],
    lastNames: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka'],
  },
  {
    country: 'US',
    currency: 'USD',
    province: 'CA',
    city: 'San Francisco',
    zip: '94107',
    phonePrefix: '+1415',
    phoneDigits: 7,
    firstNames: ['Olivia', 'Liam', 'Emma', 'Noah'],
    lastNames: ['Smith', 'Johnson', 'Garcia', 'Brown'],
  },
  {
    country: 'DE',
    currency: 'EUR',
    province: null,
    city: 'Berlin',
    zip: '10115',
    phonePrefix: '+4930',
    phoneDigits: 8,
    firstNames: ['Lena', 'Jonas', 'Mia', 'Felix'],
    lastNames: ['Müller', 'Schmidt', 'Weber', 'Fischer'],
  },
  {
    country: 'GB',
    currency: 'GBP',
    province: null,
    city: 'London',
    zip: 'SW1A 1AA',
    phonePrefix: '+4420',
    phoneDigits: 8,
    firstNames: ['Amelia', 'Oliver', 'Isla', 'George'],
    lastNames: ['Jones', 'Taylor', 'Davies', 'Evans'],
  },
  {
    country: 'AU',
    currency: 'AUD',
    province: 'NSW',
    city: 'Sydney',
    zip: '2000',
    phonePrefix: '+612',
    phoneDigits: 8,
    firstNames: ['Charlotte', 'Jack', 'Ruby', 'William'],
    lastNames: ['Wilson', 'Martin', 'Thompson', 'White'],
  },
  {
    country: 'BR',
    currency: 'BRL',
    province: 'SP',
    city: 'São Paulo',
    zip: '01310-100',
    phonePrefix: '+55119',
    phoneDigits: 8,
    firstNames: ['Ana', 'João', 'Beatriz', 'Lucas'],
    lastNames: ['Silva', 'Santos', 'Oliveira', 'Souza'],
  },
  {
    country: 'IN',
    currency: 'INR',
    province: 'MH',
    city: 'Mumbai',
    zip: '400001',
    phonePrefix: '+9198',
    phoneDigits: 8,
    firstNames: ['Aarav', 'Diya', 'Vihaan', 'Ananya'],
    lastNames: ['Sharma', 'Patel', 'Iyer', 'Reddy'],
  },
];

// Prices in hundredths of the currency's unit for two-decimal currencies; see priceIn.
const CATALOGUE = [
  { sku: 'MRD-TEE-01', title: 'Organic cotton tee', base: 2900 },
  { sku: 'MRD-MUG-02', title: 'Stoneware mug', base: 1800 },
  { sku: 'MRD-BAG-03', title: 'Canvas tote', base: 4500 },
  { sku: 'MRD-JKT-04', title: 'Waxed jacket', base: 18900 },
  { sku: null, title: 'Gift wrapping', base: 500 },
];

const TAGS = ['vip', 'newsletter', 'wholesale', 'returning'];
const CONSENT_STATES: EmailMarketingState[] = ['subscribed', 'not_subscribed', 'unsubscribed', 'pending'];

/** Catalogue prices read as whole yen for zero-decimal currencies (1990 JPY) and as 19.90 for two-decimal ones. */
function priceIn(base: number, currency: string): bigint {
  return BigInt(base) * 10n ** BigInt(Math.max(0, minorUnits(currency) - 2));
}

function generateShop(opts: {
  customers: number;
  orders: number;
  currency: string;
  seed?: number;
  since?: Date;
  now: Date;
  lastCustomerId: number;
  lastOrderId: number;
}): { customers: EmulatedCustomer[]; orders: EmulatedOrder[] } {
  if (opts.orders > 0 && opts.customers < 1) throw new RangeError('seed: orders need at least one customer');
  const rand = random(opts.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const until = opts.now.getTime();
  const since = opts.since?.getTime() ?? until - 180 * DAY_MS;
  const between = (from: number, to: number) => new Date(Math.floor(from + rand() * Math.max(0, to - from)));
  const ascii = (name: string) => name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

  const createdTimes = Array.from({ length: opts.customers }, () => between(since, until).getTime()).sort(
    (a, b) => a - b,
  );
  let customerId = opts.lastCustomerId;
  const customers = createdTimes.map((created, i): EmulatedCustomer & { id: number; market: Market } => {
    customerId += 1 + Math.floor(rand() * 5000); // ids grow with time but are not consecutive
    const market = pick(MARKETS);
    const first = pick(market.firstNames);
    const last = pick(market.lastNames);
    const hasEmail = rand() > 0.05;
    const phone =
      rand() > 0.3
        ? market.phonePrefix + String(Math.floor(rand() * 10 ** market.phoneDigits)).padStart(market.phoneDigits, '0')
        : null;
    const consentState = pick(CONSENT_STATES);
    return {
      id: customerId,
      market,
      email: hasEmail ? `${ascii(first)}.${ascii(last)}.${i + 1}@example.com` : null,
      phone: hasEmail || phone ? phone : `${market.phonePrefix}${String(i).padStart(market.phoneDigits, '0')}`,
      first_name: first,
      last_name: last,
      created_at: new Date(created),
      updated_at: between(created, until),
      currency: market.currency,
      tags: TAGS.filter(() => rand() < 0.25).join(', '),
      state: rand() < 0.4 ? 'enabled' : 'disabled',
      default_address: {
        country_code: market.country,
        province_code: market.province,
        city: market.city,
        zip: market.zip,
        phone: null,
        address1: `${1 + Math.floor(rand() * 200)} Market Street`,
      },
      email_marketing_consent: hasEmail
        ? {
            state: consentState,
            opt_in_level: 'single_opt_in',
            consent_updated_at: consentState === 'not_subscribed' ? null : new Date(created),
          }
        : null,
    };
  });

  const drafts = Array.from({ length: opts.orders }, () => {
    const customer = pick(customers);
    return { customer, created: between((customer.created_at as Date).getTime(), until).getTime() };
  }).sort((a, b) => a.created - b.created);
  let orderId = opts.lastOrderId;
  const orders = drafts.map(({ customer, created }): EmulatedOrder => {
    orderId += 1 + Math.floor(rand() * 5000);
    const items = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, index) => {
      const product = pick(CATALOGUE);
      return {
        id: orderId + index + 1,
        sku: product.sku,
        title: product.title,
        quantity: 1 + Math.floor(rand() * 2),
        price: formatMinor(priceIn(product.base, opts.currency), opts.currency),
      };
    });
    const subtotal = items.reduce(
      (sum, item) =>
        sum + priceIn(CATALOGUE.find((p) => p.title === item.title)!.base, opts.currency) * BigInt(item.quantity),
      0n,
    );
    const tax = subtotal / 10n; // 10%, rounded down to the currency's minor unit
    const fate = rand();
    const updated = between(created, until);
    const closed = fate < 0.3 ? updated : null;
    const cancelled = fate < 0.1 ? updated : null; // cancelling archives the order too
    return {
      id: orderId,
      customer_id: customer.id,
      created_at: new Date(created),
      processed_at: new Date(created),
      updated_at: updated,
      closed_at: closed,
      cancelled_at: cancelled,
      cancel_reason: cancelled ? pick(['customer', 'inventory', 'declined'] as const) : null,
      currency: opts.currency,
      presentment_currency: customer.market.currency,
      line_items: items,
      subtotal_price: formatMinor(subtotal, opts.currency),
      total_tax: formatMinor(tax, opts.currency),
      total_price: formatMinor(subtotal + tax, opts.currency),
      financial_status: cancelled
        ? pick(['refunded', 'voided'] as const)
        : closed
          ? 'paid'
          : pick(['paid', 'paid', 'pending', 'authorized'] as const),
      fulfillment_status: cancelled ? null : closed ? 'fulfilled' : rand() < 0.3 ? 'partial' : null,
    };
  });
  return { customers: customers.map(({ market: _market, ...customer }) => customer), orders };
}

// ---- Shopify's search syntax ----

type SearchToken = { kind: '(' } | { kind: ')' } | { kind: 'word'; text: string } | { kind: 'quoted'; text: string };
type CustomerMatch = (customer: StoredCustomer) => boolean;

/** Words, quoted strings and parentheses; a backslash takes the next character as it is, in or out of quotes. */
function searchTokens(text: string): SearchToken[] {
  const tokens: SearchToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push(c === '(' ? { kind: '(' } : { kind: ')' });
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (i >= text.length) throw new BadRequest({ query: 'a quoted value is never closed' });
      i++;
      tokens.push({ kind: 'quoted', text: value });
    } else {
      let word = '';
      while (i < text.length && !/[\s()"']/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        word += text[i++];
      }
      tokens.push({ kind: 'word', text: word });
    }
  }
  return tokens;
}

/** The customers a query matches: OR binds loosest, then AND (written or implied), then -/NOT. */
function parseSearch(text: string): CustomerMatch {
  const tokens = searchTokens(text);
  let at = 0;
  const peekWord = (word: string) => tokens[at]?.kind === 'word' && (tokens[at] as { text: string }).text === word;

  function query(): CustomerMatch {
    const parts = [conjunction()];
    while (peekWord('OR')) {
      at++;
      parts.push(conjunction());
    }
    return (c) => parts.some((part) => part(c));
  }
  function conjunction(): CustomerMatch {
    const parts = [unary()];
    while (at < tokens.length && tokens[at]!.kind !== ')' && !peekWord('OR')) {
      if (peekWord('AND')) at++;
      parts.push(unary());
    }
    return (c) => parts.every((part) => part(c));
  }
  function unary(): CustomerMatch {
    if (peekWord('NOT')) {
      at++;
      const inner = unary();
      return (c) => !inner(c);
    }
    const token = tokens[at];
    if (token?.kind === 'word' && token.text.startsWith('-') && token.text.length > 1) {
      tokens[at] = { kind: 'word', text: token.text.slice(1) };
      const inner = unary();
      return (c) => !inner(c);
    }
    return primary();
  }
  function primary(): CustomerMatch {
    const token = tokens[at++];
    if (!token) throw new BadRequest({ query: 'the query ends where a term was expected' });
    if (token.kind === '(') {
      const inner = query();
      if (tokens[at++]?.kind !== ')') throw new BadRequest({ query: 'a parenthesis is never closed' });
      return inner;
    }
    if (token.kind === ')') throw new BadRequest({ query: 'a closing parenthesis without an opening one' });
    if (token.kind === 'quoted') return freeText(token.text);
    const colon = token.text.indexOf(':');
    if (colon < 0) return freeText(token.text);
    const field = token.text.slice(0, colon);
    let value = token.text.slice(colon + 1);
    if (value === '') {
      const next = tokens[at];
      if (next?.kind === 'quoted' || next?.kind === 'word') {
        value = next.text;
        at++;
      }
    }
    return fieldTerm(field, value);
  }
  const matcher = query();
  if (at < tokens.length) throw new BadRequest({ query: 'a closing parenthesis without an opening one' });
  return matcher;
}

/** `*` matches any run of characters; the rest is compared case-insensitively. */
function wildcard(pattern: string): (value: string | null | undefined) => boolean {
  const regex = new RegExp(
    `^${pattern
      .toLowerCase()
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (value) => typeof value === 'string' && regex.test(value.toLowerCase());
}

function fieldTerm(field: string, value: string): CustomerMatch {
  const matches = wildcard(value);
  if (field === 'email') return (c) => matches(c.email);
  if (field === 'phone') return (c) => matches(c.phone);
  if (field === 'id') return (c) => matches(String(c.id));
  throw new BadRequest({
    query: `the emulator searches by email:, phone: and id: only; got ${JSON.stringify(`${field}:`)}`,
  });
}

function freeText(text: string): CustomerMatch {
  const needle = text.toLowerCase();
  return (c) =>
    [c.email, c.first_name, c.last_name, c.phone].some(
      (value) => typeof value === 'string' && value.toLowerCase().includes(needle),
    );
}
