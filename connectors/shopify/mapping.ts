import { z } from 'zod';
import {
  CanonicalCustomer,
  CanonicalOrder,
  EmailMarketingState,
  OrderStatus,
  RejectedRecord,
} from '../../domain/commerce';
import { normaliseName } from '../../domain/identifiers';
import { isTimeZone, localParts } from '../../domain/local-time';
import { isCurrency, parseAmount, unknownCurrencyReason } from '../../domain/money';
import { checked, describeIssues, Mapped, parseVendorTime, present, text, vendorTime } from '../mapping';

/**
 * Shopify REST Admin API customers and orders (2024-10) to Meridian's canonical records. Only the
 * fields used are checked; the rest pass through unread. A record that cannot be mapped comes back
 * as a rejection naming the Shopify field and the rule, never the personal value in it, so a sync
 * stores the good records of a page and lists the bad ones.
 */

export type MappedCustomer = Mapped<CanonicalCustomer>;
export type MappedOrder = Mapped<CanonicalOrder>;

// ---------------------------------------------------------------------------------------------
// Shopify's field shapes
// ---------------------------------------------------------------------------------------------

/** Shopify IDs are JSON numbers below 2^53; some tools re-serialise them as digit strings. */
const ShopifyId = z.union([z.int().positive(), z.string().regex(/^[1-9]\d*$/)], {
  error: 'must be a Shopify numeric ID (a positive integer)',
});

/** "2025-05-09T14:03:00+09:00": Shopify writes times with the shop's UTC offset. Groups: y, m, d, h, min, s, fraction, zone. */
const SHOP_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const SHOP_TIME_RULE = 'must be an ISO 8601 time with a UTC offset, e.g. 2025-05-09T14:03:00+09:00';
// Before Shopify existed or beyond the years local dates cover: a broken value, not a real order.
const EARLIEST_YEAR = 1970;
const LATEST_YEAR = 9998;

/** The instant a Shopify time names, or undefined if it is not a real calendar time with an offset. */
function parseShopifyTime(text: string): Date | undefined {
  return parseVendorTime(text, SHOP_TIME, { earliest: EARLIEST_YEAR, latest: LATEST_YEAR });
}

const ShopifyTime = vendorTime(parseShopifyTime, SHOP_TIME_RULE);

/** Amounts are decimal strings in the currency's ISO 4217 decimals ("3960" JPY, "1.250" KWD). */
const ShopifyAmount = z.union([z.string(), z.number()], { error: 'must be a decimal amount, e.g. "19.99"' });

const ShopifyAddress = z.looseObject({
  country_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .nullish(),
});

const ShopifyCustomer = z.looseObject({
  id: ShopifyId,
  email: z.string().nullish(),
  phone: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  created_at: ShopifyTime,
  updated_at: ShopifyTime.nullish(),
  default_address: ShopifyAddress.nullish(),
  email_marketing_consent: z.looseObject({ state: z.string().nullish() }).nullish(),
});

const ShopifyOrder = z.looseObject({
  id: ShopifyId,
  order_number: z.union([z.int().nonnegative(), z.string()]).nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  phone: z.string().nullish(),
  created_at: ShopifyTime,
  processed_at: ShopifyTime.nullish(),
  updated_at: ShopifyTime.nullish(),
  closed_at: ShopifyTime.nullish(),
  cancelled_at: ShopifyTime.nullish(),
  currency: z.string({ error: 'must be the shop currency as an ISO 4217 code' }),
  total_price: ShopifyAmount,
  subtotal_price: ShopifyAmount.nullish(),
  total_tax: ShopifyAmount.nullish(),
  financial_status: z.string().nullish(),
  customer: z.looseObject({ id: ShopifyId, default_address: ShopifyAddress.nullish() }).nullish(),
  line_items: z.array(z.unknown(), { error: 'must be the list of line items' }),
  billing_address: ShopifyAddress.nullish(),
  shipping_address: ShopifyAddress.nullish(),
});

/** Shopify's consent states; 'redacted' (erased) and 'invalid' (bouncing address) say nothing about consent. */
const EMAIL_MARKETING: Readonly<Record<string, EmailMarketingState>> = {
  subscribed: 'subscribed',
  not_subscribed: 'not_subscribed',
  unsubscribed: 'unsubscribed',
  pending: 'pending',
};

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

export function mapShopifyCustomer(raw: unknown, ctx: { sourceId: string }): MappedCustomer {
  const parsed = ShopifyCustomer.safeParse(raw);
  if (!parsed.success) return reject(raw, 'customer', parsed.error);
  const customer = parsed.data;
  const consentState = customer.email_marketing_consent?.state;
  const createdAt = customer.created_at.toISOString();

  const record: CanonicalCustomer = {
    sourceId: ctx.sourceId,
    externalId: String(customer.id),
    ...present('email', text(customer.email)),
    ...present('phone', text(customer.phone)),
    ...present('firstName', name(customer.first_name)),
    ...present('lastName', name(customer.last_name)),
    ...present('countryCode', country(customer.default_address)),
    createdAt,
    updatedAt: customer.updated_at?.toISOString() ?? createdAt,
    ...present('emailMarketing', consentState == null ? undefined : (EMAIL_MARKETING[consentState] ?? 'unknown')),
  };
  return checked(CanonicalCustomer, record);
}

export function mapShopifyOrder(raw: unknown, ctx: { sourceId: string; shopTimeZone: string }): MappedOrder {
  // The same for every order of the shop: a connector configuration error, not a bad record.
  if (!isTimeZone(ctx.shopTimeZone)) {
    throw new RangeError(
      'shopTimeZone is not an IANA time zone: use the iana_timezone from shop.json, e.g. Asia/Tokyo',
    );
  }
  const parsed = ShopifyOrder.safeParse(raw);
  if (!parsed.success) return reject(raw, 'order', parsed.error);
  const order = parsed.data;
  const externalId = String(order.id);

  const { currency } = order;
  if (!isCurrency(currency)) {
    // Quote the code only when it looks like one: this field should never carry anything else.
    const rule = /^[A-Za-z]{3}$/.test(currency)
      ? unknownCurrencyReason(currency)
      : 'must be a three-letter ISO 4217 code';
    return { ok: false, rejected: { externalId, reason: `currency: ${rule}` } };
  }
  const amounts: Record<'total_price' | 'subtotal_price' | 'total_tax', string | undefined> = {
    total_price: undefined,
    subtotal_price: undefined,
    total_tax: undefined,
  };
  for (const field of ['total_price', 'subtotal_price', 'total_tax'] as const) {
    const written = order[field];
    if (written == null) continue;
    const amount = parseAmount(written, currency);
    if (!amount.ok) return { ok: false, rejected: { externalId, reason: `${field}: ${amount.reason}` } };
    amounts[field] = amount.minor.toString();
  }

  const placed = order.processed_at ?? order.created_at;
  const local = localParts(placed, ctx.shopTimeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    ...present('orderNumber', order.order_number == null ? text(order.name) : text(String(order.order_number))),
    ...present('customerExternalId', order.customer ? String(order.customer.id) : undefined),
    ...present('email', text(order.email) ?? text(order.contact_email)),
    ...present('phone', text(order.phone)),
    currency,
    totalMinor: amounts.total_price!,
    ...present('subtotalMinor', amounts.subtotal_price),
    ...present('taxMinor', amounts.total_tax),
    placedAt: placed.toISOString(),
    timeZone: ctx.shopTimeZone,
    localDate: local.date,
    localHour: local.hour,
    status: orderStatus(order),
    ...present('financialStatus', text(order.financial_status)),
    ...present(
      'countryCode',
      country(order.shipping_address) ?? country(order.billing_address) ?? country(order.customer?.default_address),
    ),
    lineItemCount: order.line_items.length,
    updatedAt: (order.updated_at ?? order.created_at).toISOString(),
  };
  return checked(CanonicalOrder, record);
}

/** Cancelling archives an order too, so cancelled_at wins over closed_at. */
function orderStatus(order: { cancelled_at?: Date | null; closed_at?: Date | null }): OrderStatus {
  if (order.cancelled_at) return 'cancelled';
  if (order.closed_at) return 'closed';
  return 'open';
}

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

function name(value: string | null | undefined): string | undefined {
  const normalised = value == null ? '' : normaliseName(value);
  return normalised === '' ? undefined : normalised;
}

function country(address: { country_code?: string | null } | null | undefined): string | undefined {
  return text(address?.country_code)?.toUpperCase();
}

/** zod's messages state the rule and the type received, never the value, so they are safe to keep. */
function reject(raw: unknown, what: string, error: z.ZodError): { ok: false; rejected: RejectedRecord } {
  const id = ShopifyId.safeParse((raw as { id?: unknown } | null)?.id);
  const reason = describeIssues(error, what);
  return { ok: false, rejected: id.success ? { externalId: String(id.data), reason } : { reason } };
}
