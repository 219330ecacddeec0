import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AMAZON_MARKETPLACES, amazonMarketplace } from '../../connectors/amazon/mapping';
import { formatMinor, isCurrency, minorUnits, parseAmount } from '../../domain/money';
import { seededRandom as random } from '../../domain/seeded-random';
import { stall } from './faults';

/**
 * A local stand-in for what an Amazon orders sync talks to, from one server: Login with Amazon's
 * token endpoint and the Selling Partner API's Orders v0 `getOrders` and Tokens 2021-03-01
 * `createRestrictedDataToken`. It follows the documented behaviour a client must survive (SP-API
 * docs: "Connecting to the Selling Partner API", "Orders API v0 reference", "Tokens API use case
 * guide", "Usage plans and rate limits", "Response format"):
 *
 * - LWA: POST /auth/o2/token, form-encoded `grant_type=refresh_token&refresh_token&client_id&client_secret`
 *   → `{access_token:"Atza|…", token_type:"bearer", expires_in:3600, refresh_token}`. A wrong client ID or
 *   secret answers 401 `{error:"invalid_client"}`; a wrong or revoked refresh token 400 `{error:"invalid_grant"}`;
 *   a missing parameter 400 `invalid_request`; another grant type 400 `unsupported_grant_type`.
 * - SP-API auth: the access token in `x-amz-access-token`. Missing, unknown or expired → 403
 *   `{errors:[{code:"Unauthorized", message:"Access to requested resource is denied.", details:"The access token you provided has expired." | …}]}`
 *   with `x-amzn-ErrorType: AccessDeniedException`. Revoking the refresh token does not end access tokens already issued;
 *   `expireAccessTokens()` does (LWA tokens and RDTs alike).
 * - Every SP-API answer carries `x-amzn-RequestId` and `x-amzn-RateLimit-Limit` (the operation's rate, requests per
 *   second). Each operation has a token bucket (getOrders: rate 0.0167/s, burst 20; createRestrictedDataToken: 1/s,
 *   burst 10; both configurable); an empty bucket answers 429 `QuotaExceeded` without Retry-After, as Amazon does.
 * - getOrders: GET /orders/v0/orders. `MarketplaceIds` (comma list, at most 50, each one the seller sells in) is
 *   required; exactly one of `CreatedAfter` and `LastUpdatedAfter`; `CreatedBefore` only with `CreatedAfter`,
 *   `LastUpdatedBefore` only with `LastUpdatedAfter`; every bound no later than two minutes before the request, and a
 *   Before not earlier than its After (bounds inclusive); `MaxResultsPerPage` 1–100, default 100. A bound left out is
 *   two minutes before the request, and is echoed in the payload. Orders come oldest first by the filtered time (then
 *   by ID); `NextToken` is opaque and, when given, the other filters are ignored but `MarketplaceIds`. Mistakes answer
 *   400 `InvalidInput` saying what was wrong. The answer is `{payload:{Orders:[…], NextToken?, LastUpdatedBefore | CreatedBefore}}`.
 * - Orders have the v0 shape: AmazonOrderId (3-7-7), PurchaseDate and LastUpdateDate (UTC, to the second),
 *   OrderStatus, OrderTotal {CurrencyCode, Amount} (left out while Pending / PendingAvailability, and when seeded
 *   without an amount), MarketplaceId, SalesChannel, NumberOfItemsShipped/Unshipped, ShippingAddress with only
 *   City, StateOrRegion, PostalCode, CountryCode (no name or street lines), and BuyerInfo, whose BuyerEmail (PII) is
 *   there only when the call is made with a Restricted Data Token for buyerInfo.
 * - Tokens API: POST /tokens/2021-03-01/restrictedDataToken `{restrictedResources:[{method, path, dataElements}]}`
 *   with an LWA access token → `{restrictedDataToken:"Atz.sprdt|…", expiresIn:3600}`; the RDT then stands in for the
 *   access token on the resources it names. An app without the PII role (`piiRole: false`) is refused with 403
 *   Unauthorized. A malformed request answers 400 InvalidInput.
 *
 * Faults (`failNext`) come before auth and rate limiting. Where Amazon's documents say nothing the emulator refuses
 * with 400 and says why, so a client bug shows up here rather than as silently different data. The `requests` log
 * never holds a token, a secret or a request body.
 */

export interface RateLimit {
  /** Requests per second added to the bucket. */
  rate: number;
  burst: number;
}

export type AmazonOperation = 'lwaToken' | 'getOrders' | 'createRestrictedDataToken';

export interface AmazonEmulatorOptions {
  /** The LWA app's credentials and the seller's refresh token: the only ones accepted. */
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Whether the app has the restricted (PII) role for buyer information; default true. */
  piiRole?: boolean;
  /** The marketplaces the seller sells in; default every marketplace Meridian knows. */
  marketplaceIds?: string[];
  /** Where orders added without a marketplace go; default the first of marketplaceIds (Japan when not given). */
  defaultMarketplaceId?: string;
  rateLimits?: Partial<Record<'getOrders' | 'createRestrictedDataToken', RateLimit>>;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default 3600. */
  restrictedDataTokenTtlSeconds?: number;
  /** The clock for token expiry, the two-minute rule and order defaults; the rate buckets always run in real time. */
  now?: () => Date;
}

export type AmazonOrderStatus =
  | 'Pending'
  | 'Unshipped'
  | 'PartiallyShipped'
  | 'Shipped'
  | 'Canceled'
  | 'Unfulfillable'
  | 'InvoiceUnconfirmed'
  | 'PendingAvailability';

/** A Date, or ISO 8601 with Z or an offset. */
export type AmazonTime = Date | string;

export interface EmulatedShippingAddress {
  CountryCode: string;
  StateOrRegion?: string | null;
  City?: string | null;
  PostalCode?: string | null;
}

/** An order as a test adds it; anything left out gets a default. */
export interface EmulatedAmazonOrder {
  /** 3-7-7 digits; default the next ID of the marketplace's region. */
  amazonOrderId?: string;
  /** Default the emulator's defaultMarketplaceId. */
  marketplaceId?: string;
  /** Default 'Shipped'. */
  status?: AmazonOrderStatus;
  /** Default the marketplace's currency. Any three letters are kept, so a test can send a code that is not ISO 4217. */
  currency?: string;
  /** OrderTotal.Amount, a decimal string; null leaves OrderTotal out. Default: none while Pending/PendingAvailability, else a price. */
  amount?: string | null;
  /** Default now minus an hour. */
  purchaseDate?: AmazonTime;
  /** Default purchaseDate. */
  lastUpdateDate?: AmazonTime;
  /** BuyerInfo.BuyerEmail; default an Amazon relay address; null for none. */
  buyerEmail?: string | null;
  /** Default a city of the marketplace's country; null (and the default while Pending) leaves it out. */
  shippingAddress?: EmulatedShippingAddress | null;
  /** Defaults follow the status: Shipped 1/0, PartiallyShipped 1/1, Canceled 0/0, others 0/1. */
  itemsShipped?: number;
  itemsUnshipped?: number;
  fulfillmentChannel?: 'AFN' | 'MFN';
  /** Fields merged into the rendered order as they are: to send what Amazon should not. */
  raw?: Record<string, unknown>;
}

export type AmazonFault = 500 | 503 | 429 | 'timeout' | 'garbage';

export interface AmazonFaultOptions {
  /** Which calls the fault hits; default 'getOrders'. */
  operation?: AmazonOperation;
  /** 429 only: send Retry-After with these seconds; default none, as Amazon. */
  retryAfterSeconds?: number;
  /** 429 only: false leaves out x-amzn-RateLimit-Limit; default true. */
  rateLimitHeader?: boolean;
  /** 'timeout' only: close the socket after this long; default held until close(). */
  closeAfterMs?: number;
}

export interface AmazonRequestRecord {
  operation: AmazonOperation | 'unknown';
  method: string;
  path: string;
  /** The query string; empty for LWA (its secrets are in the body, which is never recorded). */
  query: Record<string, string>;
  /** 0 while a 'timeout' fault holds the call, and for one whose socket was closed. */
  status: number;
  /** getOrders answered with a Restricted Data Token's view (buyer email included). */
  restricted: boolean;
  /** The error code answered: 'Unauthorized', 'QuotaExceeded', 'InvalidInput', 'invalid_grant' …; undefined on success. */
  errorCode?: string;
}

export interface AmazonEmulator {
  /** e.g. http://127.0.0.1:PORT: both the LWA URL and the SP-API endpoint. */
  baseUrl: string;
  lwaUrl: string;
  endpoint: string;
  /** Adds orders; returns their AmazonOrderIds in the order given. */
  addOrders(orders: EmulatedAmazonOrder[]): string[];
  /**
   * Deterministic: the same options and clock give the same orders. `count` orders across `marketplaceIds`
   * (default the default marketplace), purchased between `since` (default 30 days before `until`) and `until`
   * (default 10 minutes before now), updated after that up to `until`; statuses mixed, each with a buyer email.
   */
  seed(opts: { count: number; marketplaceIds?: string[]; since?: Date; until?: Date; seed?: number }): string[];
  /** Changes an order; LastUpdateDate moves to now (at least a second past the last) unless the change sets it. */
  updateOrder(id: string, change: Partial<Omit<EmulatedAmazonOrder, 'amazonOrderId'>>): void;
  /** The seller revoked the app: the refresh token answers invalid_grant from now on. */
  revokeRefreshToken(): void;
  /** Every LWA access token and RDT issued so far is expired: the next call with one answers 403. */
  expireAccessTokens(): void;
  setPiiRole(enabled: boolean): void;
  /** The next `count` calls of `options.operation` (default getOrders) fail with `fault`. */
  failNext(count: number, fault: AmazonFault, options?: AmazonFaultOptions): void;
  /** On (the default): the token buckets are enforced. Off: never throttled. */
  throttle(enabled: boolean): void;
  requests: AmazonRequestRecord[];
  close(): Promise<void>;
}

const DEFAULT_RATE_LIMITS: Record<'getOrders' | 'createRestrictedDataToken', RateLimit> = {
  getOrders: { rate: 0.0167, burst: 20 },
  createRestrictedDataToken: { rate: 1, burst: 10 },
};
const ORDERS_PATH = '/orders/v0/orders';
const RDT_PATH = '/tokens/2021-03-01/restrictedDataToken';
const LWA_PATH = '/auth/o2/token';
const ACCESS_DENIED = 'Access to requested resource is denied.';
const DATA_ELEMENTS = new Set(['buyerInfo', 'shippingAddress', 'buyerTaxInformation']);
const MAX_MARKETPLACES = 50;
const MAX_PAGE = 100;
const SETTLE_MS = 2 * 60_000;
const SECOND_MS = 1000;
const DAY_MS = 86_400_000;
const REGION_PREFIX = { na: '114', eu: '305', fe: '503' } as const;

/** A few real places per country, for the non-restricted ShippingAddress fields. */
const PLACES: Readonly<Record<string, { city: string; state: string | null; postal: string }>> = {
  JP: { city: 'Shibuya-ku', state: 'Tokyo', postal: '150-0002' },
  DE: { city: 'Berlin', state: null, postal: '10115' },
  BR: { city: 'São Paulo', state: 'SP', postal: '01310-100' },
  US: { city: 'Seattle', state: 'WA', postal: '98109' },
  GB: { city: 'London', state: null, postal: 'SW1A 1AA' },
  FR: { city: 'Paris', state: null, postal: '75001' },
  IT: { city: 'Milano', state: 'MI', postal: '20121' },
  ES: { city: 'Madrid', state: 'Madrid', postal: '28013' },
  AU: { city: 'Sydney', state: 'NSW', postal: '2000' },
  IN: { city: 'Mumbai', state: 'MAHARASHTRA', postal: '400001' },
  SG: { city: 'Singapore', state: null, postal: '018956' },
};

const STATUS_ITEMS: Readonly<Record<AmazonOrderStatus, [shipped: number, unshipped: number]>> = {
  Pending: [0, 1],
  PendingAvailability: [0, 1],
  Unshipped: [0, 1],
  PartiallyShipped: [1, 1],
  Shipped: [1, 0],
  Canceled: [0, 0],
  Unfulfillable: [0, 1],
  InvoiceUnconfirmed: [1, 0],
};

/** Prices in hundredths of the currency's unit for two-decimal currencies; whole units for zero-decimal ones. */
const PRICES = [1980, 2900, 3960, 4500, 12800];

interface StoredOrder {
  id: string;
  marketplaceId: string;
  status: AmazonOrderStatus;
  currency: string;
  amount: string | null;
  purchaseDate: Date;
  lastUpdateDate: Date;
  buyerEmail: string | null;
  shippingAddress: EmulatedShippingAddress | null;
  itemsShipped: number;
  itemsUnshipped: number;
  fulfillmentChannel: 'AFN' | 'MFN';
  raw: Record<string, unknown>;
}

interface IssuedToken {
  expiresAt: number;
  /** RDTs only: what they open. */
  resources?: { method: string; path: string; dataElements: string[] }[];
}

interface PageToken {
  v: 1;
  field: 'LastUpdateDate' | 'PurchaseDate';
  after: number;
  before: number;
  max: number;
  /** The last order of the page before: its filtered time and ID. */
  at: number;
  id: string;
}

type Json = Record<string, unknown>;

class InvalidInput extends Error {}

export async function startAmazonEmulator(options: AmazonEmulatorOptions): Promise<AmazonEmulator> {
  const now = options.now ?? (() => new Date());
  const sellerMarketplaces = options.marketplaceIds ?? Object.keys(AMAZON_MARKETPLACES);
  for (const id of sellerMarketplaces) {
    if (!amazonMarketplace(id))
      throw new RangeError(`marketplace ${id} is not in connectors/amazon/mapping.ts AMAZON_MARKETPLACES`);
  }
  const defaultMarketplaceId = options.defaultMarketplaceId ?? options.marketplaceIds?.[0] ?? 'A1VC38T7YXB528';
  if (!sellerMarketplaces.includes(defaultMarketplaceId))
    throw new RangeError(`defaultMarketplaceId ${defaultMarketplaceId} is not one of the seller's marketplaces`);
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  const rdtTtl = options.restrictedDataTokenTtlSeconds ?? 3600;
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  for (const limit of Object.values(limits)) {
    if (!(limit.rate > 0) || !(limit.burst >= 1))
      throw new RangeError('rate limits need a rate above 0 and a burst of at least 1');
  }
  const buckets = {
    getOrders: tokenBucket(limits.getOrders),
    createRestrictedDataToken: tokenBucket(limits.createRestrictedDataToken),
  };
  let throttling = true;
  let piiRole = options.piiRole ?? true;
  let refreshTokenRevoked = false;

  const orders = new Map<string, StoredOrder>();
  const accessTokens = new Map<string, IssuedToken>();
  const restrictedTokens = new Map<string, IssuedToken>();
  const faults: { fault: AmazonFault; options: AmazonFaultOptions }[] = [];
  const requests: AmazonRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sequences: Record<string, number> = { na: 0, eu: 0, fe: 0 };

  const clock = (): Date => floorToSecond(now());

  // ---- orders ----

  function nextOrderId(marketplaceId: string): string {
    const region = amazonMarketplace(marketplaceId)!.region;
    for (;;) {
      const n = ++sequences[region]!;
      const id = `${REGION_PREFIX[region]}-${String(1_000_000 + n).padStart(7, '0')}-${String((n * 7_919_993 + 1_234_567) % 10_000_000).padStart(7, '0')}`;
      if (!orders.has(id)) return id;
    }
  }

  function buildOrder(input: EmulatedAmazonOrder, base?: StoredOrder, index = 0): StoredOrder {
    const marketplaceId = input.marketplaceId ?? base?.marketplaceId ?? defaultMarketplaceId;
    const marketplace = amazonMarketplace(marketplaceId);
    if (!marketplace || !sellerMarketplaces.includes(marketplaceId))
      throw new RangeError(`marketplace ${marketplaceId} is not one the seller sells in`);
    const id = base?.id ?? input.amazonOrderId ?? nextOrderId(marketplaceId);
    if (!/^\d{3}-\d{7}-\d{7}$/.test(id)) throw new RangeError(`order ID ${id} is not 3-7-7 digits`);
    const what = `order ${id}`;
    const status = input.status ?? base?.status ?? 'Shipped';
    const currency = input.currency ?? base?.currency ?? marketplace.currency;
    if (!/^[A-Za-z]{3}$/.test(currency)) throw new RangeError(`${what}: currency ${currency} is not three letters`);
    const pending = status === 'Pending' || status === 'PendingAvailability';
    let amount: string | null;
    if (input.amount !== undefined)
      amount = input.amount === null ? null : normaliseAmount(input.amount, currency, what);
    else if (base && input.currency === undefined) amount = base.amount;
    else amount = pending ? null : defaultAmount(currency, id, index);
    const purchaseDate =
      input.purchaseDate !== undefined
        ? timeOf(input.purchaseDate, `${what} purchaseDate`)
        : (base?.purchaseDate ?? new Date(clock().getTime() - 3_600_000));
    const lastUpdateDate =
      input.lastUpdateDate !== undefined
        ? timeOf(input.lastUpdateDate, `${what} lastUpdateDate`)
        : (base?.lastUpdateDate ?? purchaseDate);
    if (lastUpdateDate < purchaseDate) throw new RangeError(`${what}: lastUpdateDate is before purchaseDate`);
    const [shipped, unshipped] = STATUS_ITEMS[status];
    const place = PLACES[marketplace.countryCode];
    const defaultAddress: EmulatedShippingAddress = {
      CountryCode: marketplace.countryCode,
      City: place?.city ?? null,
      StateOrRegion: place?.state ?? null,
      PostalCode: place?.postal ?? null,
    };
    return {
      id,
      marketplaceId,
      status,
      currency,
      amount,
      purchaseDate,
      lastUpdateDate,
      buyerEmail:
        input.buyerEmail !== undefined
          ? input.buyerEmail
          : (base?.buyerEmail ?? relayAddress(id, marketplace.salesChannel)),
      shippingAddress:
        input.shippingAddress !== undefined
          ? input.shippingAddress
          : base
            ? base.shippingAddress
            : pending
              ? null
              : defaultAddress,
      itemsShipped: input.itemsShipped ?? (input.status === undefined ? base?.itemsShipped : undefined) ?? shipped,
      itemsUnshipped:
        input.itemsUnshipped ?? (input.status === undefined ? base?.itemsUnshipped : undefined) ?? unshipped,
      fulfillmentChannel: input.fulfillmentChannel ?? base?.fulfillmentChannel ?? 'MFN',
      raw: { ...base?.raw, ...input.raw },
    };
  }

  function addOrder(input: EmulatedAmazonOrder, index: number): string {
    if (input.amazonOrderId !== undefined && orders.has(input.amazonOrderId))
      throw new Error(`order ${input.amazonOrderId} already exists: use updateOrder to change it`);
    const order = buildOrder(input, undefined, index);
    orders.set(order.id, order);
    return order.id;
  }

  function render(o: StoredOrder, restricted: boolean): Json {
    const marketplace = amazonMarketplace(o.marketplaceId)!;
    const iso = (instant: Date) => instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const address = o.shippingAddress;
    return {
      BuyerInfo: restricted && o.buyerEmail ? { BuyerEmail: o.buyerEmail } : {},
      AmazonOrderId: o.id,
      EarliestShipDate: iso(new Date(o.purchaseDate.getTime() + DAY_MS)),
      SalesChannel: marketplace.salesChannel,
      OrderStatus: o.status,
      NumberOfItemsShipped: o.itemsShipped,
      OrderType: 'StandardOrder',
      IsPremiumOrder: false,
      IsPrime: false,
      FulfillmentChannel: o.fulfillmentChannel,
      NumberOfItemsUnshipped: o.itemsUnshipped,
      HasRegulatedItems: false,
      IsReplacementOrder: false,
      IsSoldByAB: false,
      LatestShipDate: iso(new Date(o.purchaseDate.getTime() + 3 * DAY_MS)),
      ShipServiceLevel: 'Std Dom',
      IsISPU: false,
      MarketplaceId: o.marketplaceId,
      PurchaseDate: iso(o.purchaseDate),
      ...(address
        ? {
            ShippingAddress: {
              ...(address.StateOrRegion ? { StateOrRegion: address.StateOrRegion } : {}),
              ...(address.PostalCode ? { PostalCode: address.PostalCode } : {}),
              ...(address.City ? { City: address.City } : {}),
              CountryCode: address.CountryCode,
            },
          }
        : {}),
      IsAccessPointOrder: false,
      PaymentMethod: 'Other',
      IsBusinessOrder: false,
      ...(o.amount !== null ? { OrderTotal: { CurrencyCode: o.currency, Amount: o.amount } } : {}),
      PaymentMethodDetails: ['Standard'],
      IsGlobalExpressEnabled: false,
      LastUpdateDate: iso(o.lastUpdateDate),
      ShipmentServiceLevelCategory: 'Standard',
      ...o.raw,
    };
  }

  // ---- getOrders ----

  function parseBound(query: URLSearchParams, name: string): number | undefined {
    const value = query.get(name);
    if (value === null) return undefined;
    const instant = parseIsoTime(value);
    if (instant === undefined)
      throw new InvalidInput(`${name} is not a valid ISO 8601 date-time: use e.g. 2025-05-09T05:03:00Z`);
    if (instant > clock().getTime() - SETTLE_MS)
      throw new InvalidInput(`${name} must be no later than two minutes before the time of the request`);
    return instant;
  }

  function readPageToken(text: string): PageToken {
    try {
      const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageToken;
      if (
        token.v === 1 &&
        (token.field === 'LastUpdateDate' || token.field === 'PurchaseDate') &&
        [token.after, token.before, token.max, token.at].every(Number.isFinite) &&
        typeof token.id === 'string'
      ) {
        return token;
      }
    } catch {
      // falls through
    }
    throw new InvalidInput('Invalid NextToken: pass the NextToken of the previous page unchanged');
  }

  function getOrders(query: URLSearchParams, restricted: boolean): Json {
    const marketplaceParam = query.get('MarketplaceIds');
    if (marketplaceParam === null || marketplaceParam.trim() === '')
      throw new InvalidInput('MarketplaceIds is required: a comma-separated list of marketplace IDs');
    const marketplaceIds = marketplaceParam.split(',').map((id) => id.trim());
    if (marketplaceIds.length > MAX_MARKETPLACES)
      throw new InvalidInput(`MarketplaceIds holds at most ${MAX_MARKETPLACES} marketplace IDs`);
    const unknown = marketplaceIds.filter((id) => !sellerMarketplaces.includes(id));
    if (unknown.length > 0)
      throw new InvalidInput(
        `Invalid MarketplaceIds: ${unknown.join(',')} is not a marketplace the seller participates in`,
      );

    let page: PageToken | undefined;
    let token: Omit<PageToken, 'at' | 'id'>;
    const nextToken = query.get('NextToken');
    if (nextToken !== null) {
      page = readPageToken(nextToken);
      token = page;
    } else {
      const has = (name: string) => query.has(name);
      if (has('CreatedAfter') === has('LastUpdatedAfter'))
        throw new InvalidInput('Exactly one of CreatedAfter and LastUpdatedAfter must be given');
      if (has('CreatedAfter') && has('LastUpdatedBefore'))
        throw new InvalidInput('LastUpdatedBefore cannot be given with CreatedAfter');
      if (has('LastUpdatedAfter') && has('CreatedBefore'))
        throw new InvalidInput('CreatedBefore cannot be given with LastUpdatedAfter');
      const byUpdate = has('LastUpdatedAfter');
      const afterName = byUpdate ? 'LastUpdatedAfter' : 'CreatedAfter';
      const beforeName = byUpdate ? 'LastUpdatedBefore' : 'CreatedBefore';
      const after = parseBound(query, afterName)!;
      const before = parseBound(query, beforeName) ?? clock().getTime() - SETTLE_MS;
      if (before < after) throw new InvalidInput(`${beforeName} must be equal to or after ${afterName}`);
      const maxText = query.get('MaxResultsPerPage');
      const max = maxText === null ? MAX_PAGE : Number(maxText);
      if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE)
        throw new InvalidInput(`MaxResultsPerPage must be a whole number from 1 to ${MAX_PAGE}`);
      token = { v: 1, field: byUpdate ? 'LastUpdateDate' : 'PurchaseDate', after, before, max };
    }

    const timeOfOrder = (order: StoredOrder) =>
      (token.field === 'LastUpdateDate' ? order.lastUpdateDate : order.purchaseDate).getTime();
    const matching = [...orders.values()]
      .filter((order) => marketplaceIds.includes(order.marketplaceId))
      .filter((order) => timeOfOrder(order) >= token.after && timeOfOrder(order) <= token.before)
      .sort((a, b) => timeOfOrder(a) - timeOfOrder(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const remaining = page
      ? matching.filter(
          (order) => timeOfOrder(order) > page.at || (timeOfOrder(order) === page.at && order.id > page.id),
        )
      : matching;
    const shown = remaining.slice(0, token.max);
    const last = shown.at(-1);
    const more = last !== undefined && remaining.length > shown.length;
    const next = more
      ? Buffer.from(
          JSON.stringify({ ...token, at: timeOfOrder(last), id: last.id } satisfies PageToken),
          'utf8',
        ).toString('base64url')
      : undefined;
    return {
      payload: {
        Orders: shown.map((order) => render(order, restricted)),
        ...(next ? { NextToken: next } : {}),
        [token.field === 'LastUpdateDate' ? 'LastUpdatedBefore' : 'CreatedBefore']: new Date(token.before)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    };
  }

  // ---- createRestrictedDataToken ----

  function createRestrictedDataToken(bodyText: string): { status: number; body: Json; code?: string } {
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      throw new InvalidInput(
        'The request body must be JSON: {"restrictedResources":[{"method","path","dataElements"}]}',
      );
    }
    const resources = (body as { restrictedResources?: unknown } | null)?.restrictedResources;
    if (!Array.isArray(resources) || resources.length === 0 || resources.length > 50)
      throw new InvalidInput('restrictedResources must list 1 to 50 restricted resources');
    const wanted: { method: string; path: string; dataElements: string[] }[] = [];
    for (const resource of resources as Record<string, unknown>[]) {
      const { method, path, dataElements } = resource ?? {};
      if (typeof method !== 'string' || !['GET', 'PUT', 'POST', 'DELETE'].includes(method))
        throw new InvalidInput('method must be GET, PUT, POST or DELETE');
      if (typeof path !== 'string' || !path.startsWith('/'))
        throw new InvalidInput('path must be the path of a restricted operation, e.g. /orders/v0/orders');
      if (
        dataElements !== undefined &&
        (!Array.isArray(dataElements) ||
          dataElements.some((element) => typeof element !== 'string' || !DATA_ELEMENTS.has(element)))
      ) {
        throw new InvalidInput(`dataElements must list some of ${[...DATA_ELEMENTS].join(', ')}`);
      }
      const elements = (dataElements as string[] | undefined) ?? [];
      if (path.startsWith('/orders/v0/orders') && elements.length === 0)
        throw new InvalidInput(`dataElements is required for ${path}`);
      wanted.push({ method, path, dataElements: elements });
    }
    if (!piiRole && wanted.some((resource) => resource.dataElements.length > 0)) {
      return {
        status: 403,
        body: spError(
          'Unauthorized',
          ACCESS_DENIED,
          'The application does not have the roles required for the requested data elements.',
        ),
        code: 'Unauthorized',
      };
    }
    const token = `Atz.sprdt|${randomBytes(48).toString('base64url')}`;
    restrictedTokens.set(token, { expiresAt: clock().getTime() + rdtTtl * SECOND_MS, resources: wanted });
    return { status: 200, body: { restrictedDataToken: token, expiresIn: rdtTtl } };
  }

  // ---- LWA ----

  function lwaToken(request: FastifyRequest): { status: number; body: Json; code?: string } {
    const type = String(request.headers['content-type'] ?? '');
    const form = new URLSearchParams(
      typeof request.body === 'string' && type.startsWith('application/x-www-form-urlencoded') ? request.body : '',
    );
    const oauthError = (status: number, error: string, description: string) => ({
      status,
      body: { error, error_description: description },
      code: error,
    });
    const grantType = form.get('grant_type');
    if (!grantType)
      return oauthError(400, 'invalid_request', 'The request is missing a required parameter : grant_type');
    if (grantType !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) {
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    const refreshToken = form.get('refresh_token');
    if (!refreshToken)
      return oauthError(400, 'invalid_request', 'The request is missing a required parameter : refresh_token');
    if (refreshTokenRevoked || refreshToken !== options.refreshToken)
      return oauthError(400, 'invalid_grant', 'The request has an invalid grant parameter : refresh_token');
    const accessToken = `Atza|${randomBytes(48).toString('base64url')}`;
    accessTokens.set(accessToken, { expiresAt: clock().getTime() + accessTtl * SECOND_MS });
    return {
      status: 200,
      body: {
        access_token: accessToken,
        refresh_token: options.refreshToken,
        token_type: 'bearer',
        expires_in: accessTtl,
      },
    };
  }

  // ---- the HTTP side ----

  // close() must not wait on clients' keep-alive sockets, nor on calls a 'timeout' fault is holding.
  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function operationOf(method: string, path: string): AmazonOperation | 'unknown' {
    if (method === 'POST' && path === LWA_PATH) return 'lwaToken';
    if (method === 'GET' && path === ORDERS_PATH) return 'getOrders';
    if (method === 'POST' && path === RDT_PATH) return 'createRestrictedDataToken';
    return 'unknown';
  }

  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const operation = operationOf(request.method, url.pathname);
    const entry: AmazonRequestRecord = {
      operation,
      method: request.method,
      path: url.pathname,
      query: operation === 'lwaToken' ? {} : Object.fromEntries(url.searchParams),
      status: 0,
      restricted: false,
    };
    requests.push(entry);
    const limit =
      operation === 'getOrders' || operation === 'createRestrictedDataToken' ? limits[operation] : undefined;
    const baseHeaders: Record<string, string> = {
      'x-amzn-RequestId': randomUUID(),
      ...(limit ? { 'x-amzn-RateLimit-Limit': String(limit.rate) } : {}),
    };
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}, code?: string) => {
      entry.status = status;
      if (code !== undefined) entry.errorCode = code;
      void reply
        .code(status)
        .headers({ ...baseHeaders, ...headers })
        .type('application/json;charset=UTF-8')
        .send(JSON.stringify(body));
    };

    const faultIndex = faults.findIndex((queued) => (queued.options.operation ?? 'getOrders') === operation);
    if (faultIndex >= 0) {
      const [{ fault, options: faultOptions }] = faults.splice(faultIndex, 1) as [
        { fault: AmazonFault; options: AmazonFaultOptions },
      ];
      if (fault === 'timeout') {
        stall(request, reply, faultOptions.closeAfterMs, timers);
        return;
      }
      if (fault === 'garbage') {
        entry.status = 200;
        const cut =
          operation === 'lwaToken'
            ? '{"access_token":"Atza|'
            : `{"payload":{"Orders":[{"AmazonOrderId":"503-0000000-0000000","BuyerInfo":{"BuyerEmail":"`;
        void reply.code(200).headers(baseHeaders).type('application/json;charset=UTF-8').send(cut);
        return;
      }
      if (fault === 429) {
        const headers: Record<string, string> = {};
        if (faultOptions.retryAfterSeconds !== undefined)
          headers['retry-after'] = String(faultOptions.retryAfterSeconds);
        if (faultOptions.rateLimitHeader === false) delete baseHeaders['x-amzn-RateLimit-Limit'];
        return answer(
          429,
          spError('QuotaExceeded', 'You exceeded your quota for the requested resource.'),
          headers,
          'QuotaExceeded',
        );
      }
      if (fault === 500)
        return answer(
          500,
          spError('InternalFailure', 'We encountered an internal error. Please try again.'),
          {},
          'InternalFailure',
        );
      return answer(
        503,
        spError('ServiceUnavailable', 'Service temporarily unavailable. Please try again.'),
        {},
        'ServiceUnavailable',
      );
    }

    if (operation === 'lwaToken') {
      const result = lwaToken(request);
      return answer(result.status, result.body, {}, result.code);
    }

    // SP-API: auth, then the usage plan, then the operation.
    const denied = (details: string) =>
      answer(
        403,
        spError('Unauthorized', ACCESS_DENIED, details),
        { 'x-amzn-ErrorType': 'AccessDeniedException' },
        'Unauthorized',
      );
    const presented = request.headers['x-amz-access-token'];
    if (typeof presented !== 'string' || presented === '')
      return denied('Access token is missing in the request header.');
    const issued = accessTokens.get(presented) ?? restrictedTokens.get(presented);
    if (!issued) return denied('The access token you provided is revoked, malformed or invalid.');
    if (clock().getTime() >= issued.expiresAt) return denied('The access token you provided has expired.');
    const isRdt = issued.resources !== undefined;

    if (operation === 'unknown') return answer(404, spError('NotFound', 'Resource not found.'), {}, 'NotFound');

    if (throttling && !buckets[operation].take()) {
      return answer(
        429,
        spError('QuotaExceeded', 'You exceeded your quota for the requested resource.'),
        {},
        'QuotaExceeded',
      );
    }

    try {
      if (operation === 'getOrders') {
        let restricted = false;
        if (isRdt) {
          const grant = issued.resources!.find(
            (resource) => resource.method === 'GET' && resource.path === ORDERS_PATH,
          );
          if (!grant) return denied('The restricted data token does not grant access to this resource.');
          restricted = grant.dataElements.includes('buyerInfo');
        }
        const body = getOrders(url.searchParams, restricted);
        entry.restricted = restricted;
        return answer(200, body);
      }
      if (isRdt) return denied('A restricted data token cannot be used to create restricted data tokens.');
      const result = createRestrictedDataToken(typeof request.body === 'string' ? request.body : '');
      return result.status === 403
        ? answer(403, result.body, { 'x-amzn-ErrorType': 'AccessDeniedException' }, result.code)
        : answer(result.status, result.body, {}, result.code);
    } catch (error) {
      if (error instanceof InvalidInput) return answer(400, spError('InvalidInput', error.message), {}, 'InvalidInput');
      throw error;
    }
  }

  app.all('/*', serve);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    lwaUrl: baseUrl,
    endpoint: baseUrl,
    requests,
    addOrders(list) {
      return list.map((order, index) => addOrder(order, index));
    },
    seed(opts) {
      return generateOrders({
        ...opts,
        marketplaceIds: opts.marketplaceIds ?? [defaultMarketplaceId],
        until: opts.until ?? new Date(clock().getTime() - 10 * 60_000),
      }).map((order, index) => addOrder(order, index));
    },
    updateOrder(id, change) {
      const current = orders.get(id);
      if (!current) throw new Error(`order ${id} does not exist: add it with addOrders first`);
      const changed = buildOrder(change, current);
      if (change.lastUpdateDate === undefined) {
        // Amazon stamps every change; a frozen test clock must still move LastUpdateDate, or LastUpdatedAfter syncs would miss it.
        changed.lastUpdateDate = new Date(Math.max(clock().getTime(), current.lastUpdateDate.getTime() + SECOND_MS));
      }
      orders.set(id, changed);
    },
    revokeRefreshToken() {
      refreshTokenRevoked = true;
    },
    expireAccessTokens() {
      for (const token of [...accessTokens.values(), ...restrictedTokens.values()])
        token.expiresAt = Number.NEGATIVE_INFINITY;
    },
    setPiiRole(enabled) {
      piiRole = enabled;
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, options: faultOptions });
    },
    throttle(enabled) {
      throttling = enabled;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await app.close();
    },
  };

  function timeOf(value: AmazonTime, what: string): Date {
    const ms = value instanceof Date ? value.getTime() : parseIsoTime(value);
    if (ms === undefined || Number.isNaN(ms))
      throw new RangeError(
        `${what} ${JSON.stringify(value)} is not a time: use a Date or ISO 8601 with Z or an offset`,
      );
    return floorToSecond(new Date(ms));
  }
}

// ---- pieces ----

function spError(code: string, message: string, details = ''): Json {
  return { errors: [{ code, message, details }] };
}

function tokenBucket(limit: RateLimit) {
  let tokens = limit.burst;
  let filledAt = performance.now();
  return {
    take(): boolean {
      const at = performance.now();
      tokens = Math.min(limit.burst, tokens + ((at - filledAt) / SECOND_MS) * limit.rate);
      filledAt = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

function floorToSecond(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / SECOND_MS) * SECOND_MS);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** ISO 8601 with Z or an offset, or a bare date (UTC midnight), in epoch ms. */
function parseIsoTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (!ISO_TIME.test(trimmed)) return undefined;
  const withColon = trimmed.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(withColon);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Amounts as Amazon writes them: the currency's decimals, e.g. "19.90" EUR, "3960" JPY. Codes that are not ISO 4217 keep what was given. */
function normaliseAmount(text: string, currency: string, what: string): string {
  if (!isCurrency(currency)) return text;
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) throw new RangeError(`${what} amount: ${parsed.reason}`);
  return formatMinor(parsed.minor, currency);
}

function defaultAmount(currency: string, id: string, index: number): string {
  if (!isCurrency(currency)) return '10.00';
  const digits = Number(id.slice(-3)) + index;
  const base = BigInt(PRICES[digits % PRICES.length]!);
  const decimals = minorUnits(currency);
  return formatMinor(decimals === 0 ? base : base * 10n ** BigInt(Math.max(0, decimals - 2)), currency);
}

/** Amazon gives sellers a relay address per buyer: "0x1y2z…@marketplace.amazon.co.jp". */
function relayAddress(id: string, salesChannel: string): string {
  const domain = salesChannel.toLowerCase().replace(/^amazon\./, '');
  const local = Buffer.from(id.replace(/-/g, '')).toString('hex').slice(-16);
  return `${local}@marketplace.amazon.${domain}`;
}

const SEEDED_STATUSES: [AmazonOrderStatus, number][] = [
  ['Shipped', 0.55],
  ['Unshipped', 0.15],
  ['Canceled', 0.1],
  ['Pending', 0.08],
  ['PartiallyShipped', 0.06],
  ['InvoiceUnconfirmed', 0.03],
  ['Unfulfillable', 0.02],
  ['PendingAvailability', 0.01],
];

function generateOrders(opts: {
  count: number;
  marketplaceIds: string[];
  since?: Date;
  until: Date;
  seed?: number;
}): EmulatedAmazonOrder[] {
  const rand = random(opts.seed ?? 1);
  const until = opts.until.getTime();
  const since = opts.since?.getTime() ?? until - 30 * DAY_MS;
  if (since > until) throw new RangeError('seed: since is after until');
  const times = Array.from({ length: opts.count }, () => Math.floor(since + rand() * (until - since))).sort(
    (a, b) => a - b,
  );
  return times.map((purchased) => {
    const marketplaceId = opts.marketplaceIds[Math.floor(rand() * opts.marketplaceIds.length)]!;
    let pick = rand();
    let status: AmazonOrderStatus = 'Shipped';
    for (const [candidate, share] of SEEDED_STATUSES) {
      if (pick < share) {
        status = candidate;
        break;
      }
      pick -= share;
    }
    const updated = Math.floor(purchased + rand() * (until - purchased));
    return {
      marketplaceId,
      status,
      purchaseDate: new Date(purchased),
      lastUpdateDate: new Date(updated),
      buyerEmail: `${Math.floor(rand() * 2 ** 48)
        .toString(16)
        .padStart(12, '0')}@marketplace.amazon.${amazonMarketplace(marketplaceId)!
        .salesChannel.toLowerCase()
        .replace(/^amazon\./, '')}`,
      fulfillmentChannel: rand() < 0.3 ? 'AFN' : 'MFN',
    };
  });
}
