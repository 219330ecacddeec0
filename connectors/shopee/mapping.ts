import { z } from 'zod';
import { CanonicalOrder, OrderStatus, RejectedRecord } from '../../domain/commerce';
import { isTimeZone, localParts } from '../../domain/local-time';
import { isCurrency, parseAmount, unknownCurrencyReason } from '../../domain/money';
import { checked, describeIssues, Mapped, present } from '../mapping';

/**
 * Shopee Open Platform v2 orders (`get_order_detail`) to Meridian's canonical orders. Shopee has no
 * customer list: the buyer comes with the order as `buyer_user_id` (identifier type shopee_user).
 * Only the fields used are checked; the rest pass through unread. A record that cannot be mapped
 * comes back as a rejection naming the Shopee field and the rule, never the personal value in it.
 */

export type MappedOrder = Mapped<CanonicalOrder>;

/**
 * Each Shopee market's zone, where the shop's local dates and hours are computed when the connector
 * settings do not name one. Brazil and Mexico span several zones; their Shopee shops run on the
 * capital's, as Seller Centre shows times.
 */
export const SHOPEE_REGION_TIME_ZONES: Readonly<Record<string, string>> = {
  TH: 'Asia/Bangkok',
  SG: 'Asia/Singapore',
  MY: 'Asia/Kuala_Lumpur',
  PH: 'Asia/Manila',
  VN: 'Asia/Ho_Chi_Minh',
  ID: 'Asia/Jakarta',
  TW: 'Asia/Taipei',
  BR: 'America/Sao_Paulo',
  MX: 'America/Mexico_City',
  CO: 'America/Bogota',
  CL: 'America/Santiago',
};

/** Shopee's order_status values, and what they mean for Meridian; any other status is open. */
export const SHOPEE_ORDER_STATUSES = [
  'UNPAID',
  'READY_TO_SHIP',
  'PROCESSED',
  'SHIPPED',
  'COMPLETED',
  'IN_CANCEL',
  'CANCELLED',
  'INVOICE_PENDING',
  'TO_RETURN',
] as const;
export type ShopeeOrderStatus = (typeof SHOPEE_ORDER_STATUSES)[number];

const STATUS: Readonly<Record<string, OrderStatus>> = {
  CANCELLED: 'cancelled',
  IN_CANCEL: 'cancelled',
  COMPLETED: 'closed',
};

// ---------------------------------------------------------------------------------------------
// Shopee's field shapes
// ---------------------------------------------------------------------------------------------

// 9999-12-30: local dates stop at 9999; Shopee writes Unix seconds, so larger numbers are broken values.
const LATEST_UNIX_SECONDS = 253_402_041_600;
const UNIX_RULE = 'must be a Unix time in whole seconds';

const UnixTime = z
  .int({ error: UNIX_RULE })
  .positive({ error: UNIX_RULE })
  .max(LATEST_UNIX_SECONDS, { error: UNIX_RULE })
  .transform((seconds) => new Date(seconds * 1000));

const BUYER_RULE = 'must be a Shopee user ID (a whole number)';

const ShopeeAddress = z.looseObject({
  phone: z.string({ error: 'must be text' }).nullish(),
});

const ShopeeOrder = z.looseObject({
  order_sn: z.string({ error: 'must be the Shopee order number' }).trim().min(1, 'must be the Shopee order number'),
  region: z
    .string({ error: 'must be a two-letter Shopee market code' })
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter Shopee market code'),
  currency: z.string({ error: 'must be an ISO 4217 currency code' }),
  /** A JSON number in major units (1234.5 THB, 150000 VND); some tools re-serialise it as a string. */
  total_amount: z.union([z.number(), z.string()], { error: 'must be the order total as a number' }),
  order_status: z.string({ error: 'must be a Shopee order status' }).min(1, 'must be a Shopee order status'),
  create_time: UnixTime,
  update_time: UnixTime,
  pay_time: UnixTime.nullish(),
  buyer_user_id: z
    .union([z.int().nonnegative(), z.string().regex(/^\d+$/, BUYER_RULE)], { error: BUYER_RULE })
    .nullish(),
  buyer_username: z.string().nullish(),
  recipient_address: ShopeeAddress.nullish(),
  item_list: z.array(z.unknown(), { error: 'must be the list of items' }),
});

// ---------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------

export interface ShopeeMappingContext {
  sourceId: string;
  /** The shop's IANA zone from the connector settings; undefined = the zone of the order's region. */
  timeZone?: string;
}

export function mapShopeeOrder(raw: unknown, ctx: ShopeeMappingContext): MappedOrder {
  // The same for every order of the shop: a connector configuration error, not a bad record.
  if (ctx.timeZone !== undefined && !isTimeZone(ctx.timeZone)) {
    throw new RangeError("timeZone is not an IANA time zone: use the shop's zone, e.g. Asia/Bangkok");
  }
  const parsed = ShopeeOrder.safeParse(raw);
  if (!parsed.success) return reject(raw, parsed.error);
  const order = parsed.data;
  const externalId = order.order_sn;
  const region = order.region.toUpperCase();

  const { currency } = order;
  if (!isCurrency(currency)) {
    // Quote the code only when it looks like one: this field should never carry anything else.
    const rule = /^[A-Za-z]{3}$/.test(currency)
      ? unknownCurrencyReason(currency)
      : 'must be a three-letter ISO 4217 code';
    return { ok: false, rejected: { externalId, reason: `currency: ${rule}` } };
  }
  // parseAmount reads a number through its shortest decimal form (1234.5 → "1234.5") and refuses
  // one that is not exact, so a float's noise never becomes a cent.
  const total = parseAmount(order.total_amount, currency);
  if (!total.ok) return { ok: false, rejected: { externalId, reason: `total_amount: ${total.reason}` } };

  const timeZone = ctx.timeZone ?? SHOPEE_REGION_TIME_ZONES[region];
  if (timeZone === undefined) {
    return {
      ok: false,
      rejected: {
        externalId,
        reason: `region: ${region} is not a Shopee market with a known time zone: set timeZone in the connector settings`,
      },
    };
  }

  const local = localParts(order.create_time, timeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    orderNumber: externalId,
    ...present('customerExternalId', buyerId(order.buyer_user_id)),
    ...present('phone', phone(order.recipient_address?.phone)),
    currency,
    totalMinor: total.minor.toString(),
    placedAt: order.create_time.toISOString(),
    timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: STATUS[order.order_status.toUpperCase()] ?? 'open',
    financialStatus: order.order_status.toLowerCase(),
    countryCode: region,
    lineItemCount: order.item_list.length,
    updatedAt: order.update_time.toISOString(),
  };
  return checked(CanonicalOrder, record);
}

/** The order's update_time as a UTC ISO instant, whether or not it maps, so a bad record is not fetched forever. */
export function shopeeUpdateTime(raw: unknown): string | undefined {
  const parsed = UnixTime.safeParse((raw as { update_time?: unknown } | null)?.update_time);
  return parsed.success ? parsed.data.toISOString() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

/** 0 is what Shopee sends when it withholds the buyer: no ID, not user 0. */
function buyerId(value: number | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value).replace(/^0+/, '');
  return text === '' ? undefined : text;
}

// Digits with the usual separators and an optional leading +, 7–15 digits (E.164's most).
const PHONE_SHAPE = /^\+?[\d\s().-]+$/;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

/**
 * The recipient's phone when it is one. Shopee masks it for many sellers ("******78"): masked or
 * otherwise unreadable values are absent, not half a number.
 */
function phone(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !PHONE_SHAPE.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '').length;
  return digits >= MIN_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS ? trimmed : undefined;
}

/** zod's messages state the rule and the type received, never the value, so they are safe to keep. */
function reject(raw: unknown, error: z.ZodError): { ok: false; rejected: RejectedRecord } {
  const sn = (raw as { order_sn?: unknown } | null)?.order_sn;
  const reason = describeIssues(error, 'order');
  return {
    ok: false,
    rejected: typeof sn === 'string' && sn.trim() !== '' ? { externalId: sn.trim(), reason } : { reason },
  };
}
