import { z } from 'zod';
import { CanonicalOrder, OrderStatus, RejectedRecord } from '../../domain/commerce';
import { localParts } from '../../domain/local-time';
import { parseAmount } from '../../domain/money';
import { checked, describeIssues, Mapped, parseVendorTime, present } from '../mapping';
import { LAZADA_SITES, LazadaCountry } from './client';

/**
 * Lazada orders (`/orders/get`) with their items (`/order/items/get`) to Meridian's canonical orders.
 * Lazada gives no customer list and masks buyers' e-mail addresses: the buyer is the items' `buyer_id`
 * (identifier type lazada_user) and, when readable, the shipping phone. The order's currency is its
 * country site's; an item in another currency is a broken record, not a conversion to guess.
 */

export type MappedOrder = Mapped<CanonicalOrder>;

/** Lazada's order and item statuses, and what they mean for Meridian; any other status is open. */
const STATUS: Readonly<Record<string, OrderStatus>> = {
  canceled: 'cancelled',
  cancelled: 'cancelled',
  returned: 'cancelled',
  failed: 'cancelled',
  delivered: 'closed',
  confirmed: 'closed',
};

/** "2025-03-01 10:00:00 +0700": Lazada's times, with the seller's offset. */
const LAZADA_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))? ?(Z|[+-]\d{2}:?\d{2})$/;
const TIME_RULE = 'must be a Lazada time such as 2025-03-01 10:00:00 +0700';
/** Lazada opened in 2012. */
const YEARS = { earliest: 2012, latest: 9999 };

export function parseLazadaTime(text: string): Date | undefined {
  return parseVendorTime(text, LAZADA_TIME, YEARS);
}

const LazadaTime = z.string({ error: TIME_RULE }).transform((text, ctx) => {
  const instant = parseLazadaTime(text);
  if (instant === undefined) {
    ctx.issues.push({ code: 'custom', message: TIME_RULE, input: text });
    return z.NEVER;
  }
  return instant;
});

const ID_RULE = 'must be a Lazada ID (a whole number)';
const LazadaId = z
  .union([z.int().positive(), z.string().regex(/^\d+$/)], { error: ID_RULE })
  .transform((value) => String(value).replace(/^0+(?=\d)/, ''));

const LazadaOrder = z.looseObject({
  order_id: LazadaId,
  order_number: z.union([z.string(), z.number()]).nullish(),
  created_at: LazadaTime,
  updated_at: LazadaTime,
  price: z.union([z.string(), z.number()], { error: 'must be the order total' }),
  statuses: z.array(z.string()).nullish(),
  items_count: z.int().nonnegative().nullish(),
  address_shipping: z.looseObject({ phone: z.string().nullish(), country: z.string().nullish() }).nullish(),
});

const LazadaItem = z.looseObject({
  buyer_id: LazadaId.nullish(),
  currency: z.string().nullish(),
  status: z.string().nullish(),
});

/**
 * Lazada writes totals as text with thousands separators ("1,290.50", "1,250,000.00"): the separators
 * go only where they group digits by three, so "1,2" stays an unreadable amount.
 */
export function lazadaAmountText(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const trimmed = value.trim();
  return /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(trimmed) ? trimmed.replace(/,/g, '') : trimmed;
}

export interface LazadaMappingContext {
  sourceId: string;
  country: LazadaCountry;
}

export function mapLazadaOrder(rawOrder: unknown, rawItems: unknown[], ctx: LazadaMappingContext): MappedOrder {
  const parsed = LazadaOrder.safeParse(rawOrder);
  if (!parsed.success) return reject(rawOrder, parsed.error, 'order');
  const order = parsed.data;
  const externalId = order.order_id;
  const site = LAZADA_SITES[ctx.country];

  const items: z.infer<typeof LazadaItem>[] = [];
  for (const [i, raw] of rawItems.entries()) {
    const item = LazadaItem.safeParse(raw);
    if (!item.success)
      return { ok: false, rejected: { externalId, reason: describeIssues(item.error, `items[${i}]`) } };
    items.push(item.data);
  }
  const foreign = items.findIndex((item) => item.currency && item.currency.toUpperCase() !== site.currency);
  if (foreign >= 0) {
    return {
      ok: false,
      rejected: {
        externalId,
        reason: `items[${foreign}].currency: must be ${site.currency}, the currency of Lazada ${ctx.country}`,
      },
    };
  }
  const buyers = [...new Set(items.flatMap((item) => (item.buyer_id ? [item.buyer_id] : [])))];
  if (buyers.length > 1) {
    return { ok: false, rejected: { externalId, reason: 'items.buyer_id: must be one buyer for the whole order' } };
  }

  const total = parseAmount(lazadaAmountText(order.price), site.currency);
  if (!total.ok) return { ok: false, rejected: { externalId, reason: `price: ${total.reason}` } };

  const statuses = (order.statuses ?? []).map((s) => s.toLowerCase());
  const local = localParts(order.created_at, site.timeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    orderNumber:
      order.order_number === null || order.order_number === undefined ? externalId : String(order.order_number),
    ...present('customerExternalId', buyers[0]),
    ...present('phone', phone(order.address_shipping?.phone)),
    currency: site.currency,
    totalMinor: total.minor.toString(),
    placedAt: order.created_at.toISOString(),
    timeZone: site.timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: orderStatus(statuses),
    ...present('financialStatus', statuses.length > 0 ? statuses.join(',') : undefined),
    countryCode: ctx.country,
    lineItemCount: order.items_count ?? items.length,
    updatedAt: order.updated_at.toISOString(),
  };
  return checked(CanonicalOrder, record);
}

/** The order's updated_at as a UTC ISO instant, whether or not it maps, so a bad record is not fetched forever. */
export function lazadaUpdateTime(raw: unknown): string | undefined {
  const parsed = LazadaTime.safeParse((raw as { updated_at?: unknown } | null)?.updated_at);
  return parsed.success ? parsed.data.toISOString() : undefined;
}

/** An order is cancelled or closed only when every one of its items' statuses says so. */
function orderStatus(statuses: string[]): OrderStatus {
  const mapped = statuses.map((s) => STATUS[s] ?? 'open');
  if (mapped.length === 0) return 'open';
  if (mapped.every((s) => s === 'cancelled')) return 'cancelled';
  if (mapped.every((s) => s !== 'open')) return 'closed';
  return 'open';
}

const PHONE_SHAPE = /^\+?[\d\s().-]+$/;

/** The shipping phone when it is one; Lazada masks it for many sellers ("60*****78"), and a masked one is absent. */
function phone(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !PHONE_SHAPE.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 ? trimmed : undefined;
}

function reject(raw: unknown, error: z.ZodError, what: string): { ok: false; rejected: RejectedRecord } {
  const id = (raw as { order_id?: unknown } | null)?.order_id;
  const reason = describeIssues(error, what);
  return {
    ok: false,
    rejected:
      (typeof id === 'string' && /^\d+$/.test(id)) || (typeof id === 'number' && Number.isSafeInteger(id))
        ? { externalId: String(id), reason }
        : { reason },
  };
}
