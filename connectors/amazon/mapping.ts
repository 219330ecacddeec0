import { z } from 'zod';
import { CanonicalOrder, OrderStatus, RejectedRecord } from '../../domain/commerce';
import { isTimeZone, localParts } from '../../domain/local-time';
import { CurrencyCode, isCurrency, parseAmount, unknownCurrencyReason } from '../../domain/money';
import { checked, describeIssues, Mapped, parseVendorTime, present, text, vendorTime } from '../mapping';

/**
 * Amazon Selling Partner API Orders v0 (`getOrders`) orders to Meridian's canonical orders, and the
 * marketplace table every Amazon piece reads (time zone, country, currency, regional endpoint).
 * Only the fields used are checked; the rest pass through unread. A record that cannot be mapped
 * comes back as a rejection naming the Amazon field and the rule, never the value in it (a buyer
 * email is personal data), so a sync stores the good orders of a page and lists the bad ones.
 *
 * Decisions:
 * - Amazon leaves out OrderTotal while an order is Pending (payment not yet authorised) or
 *   PendingAvailability (pre-order), and often on Canceled orders. Rejecting them would lose real
 *   orders, so they map with totalMinor "0" in the marketplace's currency; financialStatus
 *   ('pending', 'pendingavailability', 'canceled') says the total is not known. Any other status
 *   without a total is rejected: a Shipped order stored at 0 would be wrong revenue.
 * - Orders v0 has no stable buyer ID, so there is no customerExternalId; email (BuyerInfo.BuyerEmail,
 *   an Amazon relay address) comes only when the call was made with a Restricted Data Token.
 * - lineItemCount is NumberOfItemsShipped + NumberOfItemsUnshipped: Orders v0 counts items (units),
 *   not lines; the lines need getOrderItems, one call per order.
 * - status: Canceled → cancelled, Shipped → closed, every other status (including ones Amazon may
 *   add) → open; financialStatus is the OrderStatus lower-cased.
 */

export type MappedOrder = Mapped<CanonicalOrder>;

// ---------------------------------------------------------------------------------------------
// Marketplaces
// ---------------------------------------------------------------------------------------------

/** The three SP-API regions, each with its own endpoint. */
export type AmazonRegion = 'na' | 'eu' | 'fe';

export const AMAZON_REGION_ENDPOINTS: Readonly<Record<AmazonRegion, string>> = {
  na: 'https://sellingpartnerapi-na.amazon.com',
  eu: 'https://sellingpartnerapi-eu.amazon.com',
  fe: 'https://sellingpartnerapi-fe.amazon.com',
};

export interface AmazonMarketplace {
  id: string;
  country: string;
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  /** The marketplace's ISO 4217 currency: what an order without an OrderTotal is counted in. */
  currency: string;
  /**
   * Where local dates and hours of its orders are computed. US is Pacific time, as Seller Central
   * reports it; elsewhere the zone of the country's capital or largest market. A connector's
   * `timeZone` setting overrides it.
   */
  timeZone: string;
  region: AmazonRegion;
  /** `SalesChannel` as Amazon writes it on orders. */
  salesChannel: string;
}

/** Amazon's marketplace IDs (SP-API docs, "Marketplace IDs"), written once. */
export const AMAZON_MARKETPLACES: Readonly<Record<string, AmazonMarketplace>> = Object.fromEntries(
  (
    [
      // North America
      ['ATVPDKIKX0DER', 'United States', 'US', 'USD', 'America/Los_Angeles', 'na', 'Amazon.com'],
      ['A2EUQ1WTGCTBG2', 'Canada', 'CA', 'CAD', 'America/Toronto', 'na', 'Amazon.ca'],
      ['A1AM78C64UM0Y8', 'Mexico', 'MX', 'MXN', 'America/Mexico_City', 'na', 'Amazon.com.mx'],
      ['A2Q3Y263D00KWC', 'Brazil', 'BR', 'BRL', 'America/Sao_Paulo', 'na', 'Amazon.com.br'],
      // Europe, Middle East, Africa, India
      ['A28R8C7NBKEWEA', 'Ireland', 'IE', 'EUR', 'Europe/Dublin', 'eu', 'Amazon.ie'],
      ['A1RKKUPIHCS9HS', 'Spain', 'ES', 'EUR', 'Europe/Madrid', 'eu', 'Amazon.es'],
      ['A1F83G8C2ARO7P', 'United Kingdom', 'GB', 'GBP', 'Europe/London', 'eu', 'Amazon.co.uk'],
      ['A13V1IB3VIYZZH', 'France', 'FR', 'EUR', 'Europe/Paris', 'eu', 'Amazon.fr'],
      ['AMEN7PMS3EDWL', 'Belgium', 'BE', 'EUR', 'Europe/Brussels', 'eu', 'Amazon.com.be'],
      ['A1805IZSGTT6HS', 'Netherlands', 'NL', 'EUR', 'Europe/Amsterdam', 'eu', 'Amazon.nl'],
      ['A1PA6795UKMFR9', 'Germany', 'DE', 'EUR', 'Europe/Berlin', 'eu', 'Amazon.de'],
      ['APJ6JRA9NG5V4', 'Italy', 'IT', 'EUR', 'Europe/Rome', 'eu', 'Amazon.it'],
      ['A2NODRKZP88ZB9', 'Sweden', 'SE', 'SEK', 'Europe/Stockholm', 'eu', 'Amazon.se'],
      ['AE08WJ6YKNBMC', 'South Africa', 'ZA', 'ZAR', 'Africa/Johannesburg', 'eu', 'Amazon.co.za'],
      ['A1C3SOZRARQ6R3', 'Poland', 'PL', 'PLN', 'Europe/Warsaw', 'eu', 'Amazon.pl'],
      ['ARBP9OOSHTCHU', 'Egypt', 'EG', 'EGP', 'Africa/Cairo', 'eu', 'Amazon.eg'],
      ['A33AVAJ2PDY3EV', 'Turkey', 'TR', 'TRY', 'Europe/Istanbul', 'eu', 'Amazon.com.tr'],
      ['A17E79C6D8DWNP', 'Saudi Arabia', 'SA', 'SAR', 'Asia/Riyadh', 'eu', 'Amazon.sa'],
      ['A2VIGQ35RCS4UG', 'United Arab Emirates', 'AE', 'AED', 'Asia/Dubai', 'eu', 'Amazon.ae'],
      ['A21TJRUUN4KGV', 'India', 'IN', 'INR', 'Asia/Kolkata', 'eu', 'Amazon.in'],
      // Far East
      ['A19VAU5U5O7RUS', 'Singapore', 'SG', 'SGD', 'Asia/Singapore', 'fe', 'Amazon.sg'],
      ['A39IBJ37TRP1C6', 'Australia', 'AU', 'AUD', 'Australia/Sydney', 'fe', 'Amazon.com.au'],
      ['A1VC38T7YXB528', 'Japan', 'JP', 'JPY', 'Asia/Tokyo', 'fe', 'Amazon.co.jp'],
    ] as const
  ).map(([id, country, countryCode, currency, timeZone, region, salesChannel]) => [
    id,
    { id, country, countryCode, currency, timeZone, region, salesChannel },
  ]),
);

export function amazonMarketplace(id: string): AmazonMarketplace | undefined {
  return Object.hasOwn(AMAZON_MARKETPLACES, id) ? AMAZON_MARKETPLACES[id] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Amazon's field shapes
// ---------------------------------------------------------------------------------------------

/** "123-1234567-1234567": Amazon's order IDs are 3-7-7 digits. */
const AMAZON_ORDER_ID = /^\d{3}-\d{7}-\d{7}$/;

/** "2025-05-09T05:03:00Z": ISO 8601, UTC in practice; an offset is read too. Groups: y, m, d, h, min, s, fraction, zone. */
const AMAZON_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const AMAZON_TIME_RULE = 'must be an ISO 8601 time with Z or a UTC offset, e.g. 2025-05-09T05:03:00Z';
// Before Amazon existed or beyond the years local dates cover: a broken value, not a real order.
const EARLIEST_YEAR = 1994;
const LATEST_YEAR = 9998;

/** The instant an Amazon time names, or undefined if it is not a real calendar time with a zone. */
export function parseAmazonTime(text: string): Date | undefined {
  return parseVendorTime(text, AMAZON_TIME, { earliest: EARLIEST_YEAR, latest: LATEST_YEAR });
}

const AmazonTime = vendorTime(parseAmazonTime, AMAZON_TIME_RULE);

const ItemCount = z.int({ error: 'must be a whole number of items' }).nonnegative('must not be negative');

const AmazonOrder = z.looseObject({
  AmazonOrderId: z
    .string({ error: 'must be the Amazon order ID' })
    .regex(AMAZON_ORDER_ID, 'must be an Amazon order ID in 3-7-7 format'),
  PurchaseDate: AmazonTime,
  LastUpdateDate: AmazonTime,
  OrderStatus: z
    .string({ error: 'must be the order status, e.g. Shipped' })
    .regex(/^[A-Za-z]+$/, 'must be an order status such as Shipped'),
  MarketplaceId: z.string().min(1, 'must not be empty').nullish(),
  OrderTotal: z
    .looseObject({
      CurrencyCode: z.string({ error: 'must be an ISO 4217 currency code' }),
      // Decimal strings in the API; a number is read only when exact (parseAmount checks).
      Amount: z.union([z.string(), z.number()], { error: 'must be a decimal amount, e.g. "19.99"' }),
    })
    .nullish(),
  NumberOfItemsShipped: ItemCount.nullish(),
  NumberOfItemsUnshipped: ItemCount.nullish(),
  ShippingAddress: z
    .looseObject({
      CountryCode: z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
        .nullish(),
    })
    .nullish(),
  BuyerInfo: z.looseObject({ BuyerEmail: z.string().nullish() }).nullish(),
});

/** Statuses for which Amazon does not (yet) report a total. */
const STATUSES_WITHOUT_TOTAL = new Set(['Pending', 'PendingAvailability', 'Canceled']);

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

export interface AmazonMappingContext {
  sourceId: string;
  /** Overrides the marketplace's zone for every order (the connector's `timeZone` setting). */
  timeZone?: string;
}

export function mapAmazonOrder(raw: unknown, ctx: AmazonMappingContext): MappedOrder {
  // The same for every order of the connector: a configuration error, not a bad record.
  if (ctx.timeZone !== undefined && !isTimeZone(ctx.timeZone)) {
    throw new RangeError('timeZone is not an IANA time zone: use a name such as Europe/Berlin');
  }
  const parsed = AmazonOrder.safeParse(raw);
  if (!parsed.success) return reject(raw, parsed.error);
  const order = parsed.data;
  const externalId = order.AmazonOrderId;
  const rejected = (reason: string): MappedOrder => ({ ok: false, rejected: { externalId, reason } });

  const marketplace = order.MarketplaceId ? amazonMarketplace(order.MarketplaceId) : undefined;
  const timeZone = ctx.timeZone ?? marketplace?.timeZone;
  if (timeZone === undefined) {
    return rejected(
      order.MarketplaceId
        ? "MarketplaceId: is not a marketplace Meridian knows the time zone of: set the connector's timeZone"
        : 'MarketplaceId: is missing, and the connector has no timeZone to fall back on',
    );
  }

  let currency: CurrencyCode;
  let totalMinor: string;
  if (order.OrderTotal) {
    const code = order.OrderTotal.CurrencyCode;
    if (!isCurrency(code)) {
      // Quote the code only when it looks like one: this field should never carry anything else.
      const rule = /^[A-Za-z]{3}$/.test(code) ? unknownCurrencyReason(code) : 'must be a three-letter ISO 4217 code';
      return rejected(`OrderTotal.CurrencyCode: ${rule}`);
    }
    const amount = parseAmount(order.OrderTotal.Amount, code);
    if (!amount.ok) return rejected(`OrderTotal.Amount: ${amount.reason}`);
    currency = code;
    totalMinor = amount.minor.toString();
  } else {
    if (!STATUSES_WITHOUT_TOTAL.has(order.OrderStatus)) {
      return rejected(
        `OrderTotal: is missing on an order with OrderStatus ${order.OrderStatus}; only Pending, PendingAvailability and Canceled orders may lack it`,
      );
    }
    if (!marketplace || !isCurrency(marketplace.currency)) {
      return rejected('OrderTotal: is missing, and the marketplace is not one whose currency Meridian knows');
    }
    currency = marketplace.currency;
    totalMinor = '0';
  }

  const placed = order.PurchaseDate;
  const local = localParts(placed, timeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    ...present('email', text(order.BuyerInfo?.BuyerEmail)),
    currency,
    totalMinor,
    placedAt: placed.toISOString(),
    timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: orderStatus(order.OrderStatus),
    financialStatus: order.OrderStatus.toLowerCase(),
    ...present('countryCode', text(order.ShippingAddress?.CountryCode)?.toUpperCase() ?? marketplace?.countryCode),
    lineItemCount: (order.NumberOfItemsShipped ?? 0) + (order.NumberOfItemsUnshipped ?? 0),
    updatedAt: order.LastUpdateDate.toISOString(),
  };
  return checked(CanonicalOrder, record);
}

function orderStatus(status: string): OrderStatus {
  if (status === 'Canceled') return 'cancelled';
  if (status === 'Shipped') return 'closed';
  return 'open';
}

/** The order's LastUpdateDate as a UTC ISO instant, whether or not it maps, so a bad order is not fetched forever. */
export function amazonUpdatedAt(raw: unknown): string | undefined {
  const value = (raw as { LastUpdateDate?: unknown } | null)?.LastUpdateDate;
  if (typeof value !== 'string') return undefined;
  return parseAmazonTime(value)?.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

/** zod's messages state the rule and the type received, never the value, so they are safe to keep. */
function reject(raw: unknown, error: z.ZodError): MappedOrder {
  const id = (raw as { AmazonOrderId?: unknown } | null)?.AmazonOrderId;
  const reason = describeIssues(error, 'order');
  return {
    ok: false,
    rejected: typeof id === 'string' && AMAZON_ORDER_ID.test(id) ? { externalId: id, reason } : { reason },
  };
}
