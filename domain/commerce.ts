import { z } from 'zod';
import { isTimeZone } from './local-time';
import { isCurrency } from './money';

/**
 * Meridian's canonical commerce records: what every store connector (Shopify, Shopee, Amazon, file
 * import …) maps its customers and orders to. Money is exact minor units with its ISO 4217 currency;
 * times are UTC instants plus the store's zone, with the local date and hour precomputed (DESIGN.md).
 * Pure, so workflows can import it.
 */

const UTC_INSTANT = z.iso.datetime({ message: 'must be an ISO 8601 instant in UTC (ending in Z)' });
const COUNTRY_CODE = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in upper case');
const MINOR_AMOUNT = z
  .string()
  .regex(/^-?\d+$/, 'must be an integer amount in minor units, written as a decimal string');

export const EMAIL_MARKETING_STATES = ['subscribed', 'not_subscribed', 'unsubscribed', 'pending', 'unknown'] as const;
export type EmailMarketingState = (typeof EMAIL_MARKETING_STATES)[number];

export const ORDER_STATUSES = ['open', 'closed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const CanonicalCustomer = z.object({
  sourceId: z.string().min(1),
  externalId: z.string().min(1),
  email: z.string().min(1).optional(),
  phone: z.string().min(1).optional(),
  firstName: z.string().min(1).optional(),
  lastName: z.string().min(1).optional(),
  /** The full name as the source gives it, when it gives no parts (a lead form's full_name): never split by guess. */
  name: z.string().min(1).optional(),
  countryCode: COUNTRY_CODE.optional(),
  locale: z.string().min(1).optional(),
  createdAt: UTC_INSTANT,
  updatedAt: UTC_INSTANT,
  emailMarketing: z.enum(EMAIL_MARKETING_STATES).optional(),
});
export type CanonicalCustomer = z.infer<typeof CanonicalCustomer>;

export const CanonicalOrder = z.object({
  sourceId: z.string().min(1),
  externalId: z.string().min(1),
  orderNumber: z.string().min(1).optional(),
  customerExternalId: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  phone: z.string().min(1).optional(),
  currency: z.string().refine(isCurrency, 'must be an ISO 4217 currency code'),
  totalMinor: MINOR_AMOUNT,
  subtotalMinor: MINOR_AMOUNT.optional(),
  taxMinor: MINOR_AMOUNT.optional(),
  placedAt: UTC_INSTANT,
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo'),
  localDate: z.iso.date({ message: 'must be a date written YYYY-MM-DD' }),
  localHour: z.int().min(0).max(23),
  status: z.enum(ORDER_STATUSES),
  financialStatus: z.string().min(1).optional(),
  countryCode: COUNTRY_CODE.optional(),
  lineItemCount: z.int().nonnegative(),
  updatedAt: UTC_INSTANT,
});
export type CanonicalOrder = z.infer<typeof CanonicalOrder>;

/** A source record that could not be mapped. The reason names the field and the rule, never a personal value. */
export const RejectedRecord = z.object({
  externalId: z.string().optional(),
  reason: z.string().min(1),
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;
