import { z } from 'zod';
import { CanonicalOrder, OrderStatus, RejectedRecord } from '../../domain/commerce';
import { localParts } from '../../domain/local-time';
import { parseAmount } from '../../domain/money';
import { checked, describeIssues, Mapped, present } from '../mapping';
import { TIKTOK_SHOP_REGIONS, TikTokShopRegionCode } from './client';

/**
 * TikTok Shop orders (`/order/202309/orders/search`) to Meridian's canonical orders. TikTok Shop has
 * no customer list: the buyer comes with the order as `user_id` (identifier type tiktok_shop_buyer).
 *
 * TikTok Shop hides buyers' contact details from sellers, and the mapping keeps it so:
 * - `buyer_email` is a relay address TikTok makes per buyer and shop (…@scs.tiktokw.us and the like)
 *   or a masked one ("j***@gmail.com"). Neither is the person's mailbox: as an e-mail identifier a relay
 *   address would never meet the person elsewhere, and a masked one, normalised, would be the same
 *   text for different people and merge them. Only an address that is neither is used.
 * - the recipient's `phone_number` is masked for most sellers ("(+1)213****90"): with the stars dropped
 *   it would be a wrong number, and many buyers' masked numbers are the same text. Only a whole number
 *   (no mask character) is used. Names and the address are not taken at all.
 * Nothing is guessed or unmasked; what is hidden stays out.
 */

export type MappedOrder = Mapped<CanonicalOrder>;

/** TikTok Shop's order statuses and what they mean for Meridian; any other is open. */
const STATUS: Readonly<Record<string, OrderStatus>> = {
  CANCELLED: 'cancelled',
  DELIVERED: 'closed',
  COMPLETED: 'closed',
};

/** TikTok Shop opened in 2021 (earlier TikTok commerce pilots aside); times are Unix seconds. */
const EARLIEST_S = Date.UTC(2019, 0, 1) / 1000;
const TIME_RULE = 'must be a Unix time in seconds from 2019 on';
const UnixSeconds = z
  .int({ error: TIME_RULE })
  .min(EARLIEST_S, TIME_RULE)
  .max(253_402_300_799, TIME_RULE)
  .transform((s) => new Date(s * 1000));

const ID_RULE = 'must be a TikTok Shop ID (digits)';
const TikTokId = z.union([z.string().regex(/^\d+$/), z.int().positive()], { error: ID_RULE }).transform(String);

const TikTokOrder = z.looseObject({
  id: TikTokId,
  status: z.string().nullish(),
  create_time: UnixSeconds,
  update_time: UnixSeconds,
  user_id: TikTokId.nullish(),
  buyer_email: z.string().nullish(),
  payment: z.looseObject(
    {
      currency: z.string({ error: 'must be the currency code' }),
      total_amount: z.string({ error: 'must be the order total as text' }),
      sub_total: z.string().nullish(),
      tax: z.string().nullish(),
    },
    { error: 'must be the payment object' },
  ),
  recipient_address: z.looseObject({ phone_number: z.string().nullish(), region_code: z.string().nullish() }).nullish(),
  line_items: z.array(z.unknown()).nullish(),
});

export interface TikTokShopMappingContext {
  sourceId: string;
  region: TikTokShopRegionCode;
}

export function mapTikTokShopOrder(raw: unknown, ctx: TikTokShopMappingContext): MappedOrder {
  const parsed = TikTokOrder.safeParse(raw);
  if (!parsed.success) return reject(raw, parsed.error);
  const order = parsed.data;
  const externalId = order.id;
  const region = TIKTOK_SHOP_REGIONS[ctx.region];

  const currency = order.payment.currency.trim().toUpperCase();
  if (currency !== region.currency) {
    return {
      ok: false,
      rejected: {
        externalId,
        reason: `payment.currency: must be ${region.currency}, the currency of TikTok Shop ${ctx.region}`,
      },
    };
  }
  const total = parseAmount(order.payment.total_amount, currency);
  if (!total.ok) return { ok: false, rejected: { externalId, reason: `payment.total_amount: ${total.reason}` } };
  const subtotal = order.payment.sub_total ? parseAmount(order.payment.sub_total, currency) : undefined;
  const tax = order.payment.tax ? parseAmount(order.payment.tax, currency) : undefined;

  const local = localParts(order.create_time, region.timeZone);
  const status = order.status?.toUpperCase();
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    orderNumber: externalId,
    ...present('customerExternalId', order.user_id ?? undefined),
    ...present('email', buyerEmail(order.buyer_email)),
    ...present('phone', wholePhone(order.recipient_address?.phone_number)),
    currency,
    totalMinor: total.minor.toString(),
    ...present('subtotalMinor', subtotal?.ok ? subtotal.minor.toString() : undefined),
    ...present('taxMinor', tax?.ok ? tax.minor.toString() : undefined),
    placedAt: order.create_time.toISOString(),
    timeZone: region.timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: (status ? STATUS[status] : undefined) ?? 'open',
    ...present('financialStatus', status ? status.toLowerCase() : undefined),
    countryCode: ctx.region,
    lineItemCount: order.line_items?.length ?? 0,
    updatedAt: order.update_time.toISOString(),
  };
  return checked(CanonicalOrder, record);
}

/** The order's update_time as a UTC ISO instant, whether or not it maps, so a bad record is not fetched forever. */
export function tiktokShopUpdateTime(raw: unknown): string | undefined {
  const parsed = UnixSeconds.safeParse((raw as { update_time?: unknown } | null)?.update_time);
  return parsed.success ? parsed.data.toISOString() : undefined;
}

/** Characters platforms mask contact details with. */
const MASK = /[*•]/;
/**
 * Domains of TikTok's relay addresses: a buyer's address made for one shop, forwarded by TikTok. Not
 * the buyer's mailbox, so not an e-mail identifier (see the file's comment).
 */
const RELAY_DOMAIN = /(^|\.)(tiktokw\.[a-z.]+|tiktok\.[a-z.]+|tiktokshop\.[a-z.]+|tiktokglobalshop\.com)$/i;

function buyerEmail(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || /\*/.test(trimmed)) return undefined;
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return undefined;
  return RELAY_DOMAIN.test(trimmed.slice(at + 1)) ? undefined : trimmed;
}

const PHONE_SHAPE = /^\(?\+?\d[\d\s().-]*$/;

/** The recipient's phone only when TikTok gave it whole: a masked one ("(+1)213****90") is absent. */
function wholePhone(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || MASK.test(trimmed) || !PHONE_SHAPE.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return undefined;
  // "(+1)2135550190": TikTok writes the country code in brackets.
  return trimmed.replace(/^\(\+(\d{1,3})\)/, '+$1');
}

function reject(raw: unknown, error: z.ZodError): { ok: false; rejected: RejectedRecord } {
  const id = (raw as { id?: unknown } | null)?.id;
  const reason = describeIssues(error, 'order');
  return {
    ok: false,
    rejected: typeof id === 'string' && /^\d+$/.test(id) ? { externalId: id, reason } : { reason },
  };
}
