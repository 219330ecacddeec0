import { z } from 'zod';
import { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../../domain/commerce';
import { localParts } from '../../domain/local-time';
import { isCurrency, parseAmount } from '../../domain/money';
import { checked, describeIssues, Mapped, parseVendorTime, present, text } from '../mapping';
import type { HubSpotRecord } from './client';

/**
 * HubSpot CRM records to Meridian's canonical ones.
 *
 * - A contact is a customer: its ID is a hubspot_contact identifier, its `email` and `phone` (or
 *   `mobilephone`) identifiers through One ID, its names and language traits.
 * - A deal becomes an order only once it is won (`hs_is_closed_won`): its `amount` in
 *   `deal_currency_code` (or the portal's currency from the settings when the deal names none), placed
 *   at `closedate`, status closed. A lost deal is written as a cancelled order, so a deal that was won
 *   and is later marked lost stops counting; a deal still in the pipeline is not an order (pipeline
 *   value is not spend) and is skipped. The buyer is the deal's associated contact (the lowest ID when
 *   there are several: one order has one buyer).
 */

export const CONTACT_PROPERTIES = [
  'email',
  'phone',
  'mobilephone',
  'firstname',
  'lastname',
  'hs_language',
  'createdate',
  'lastmodifieddate',
] as const;

export const DEAL_PROPERTIES = [
  'amount',
  'deal_currency_code',
  'closedate',
  'createdate',
  'hs_lastmodifieddate',
  'dealstage',
  'pipeline',
  'hs_is_closed',
  'hs_is_closed_won',
] as const;

/** "2025-03-14T03:00:00.123Z": HubSpot's datetime properties (UTC). */
const HUBSPOT_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;
/** HubSpot was founded in 2006. */
const YEARS = { earliest: 2006, latest: 9999 };
const TIME_RULE = 'must be a HubSpot datetime such as 2025-03-14T03:00:00.000Z';

export function parseHubSpotTime(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  // Date properties may also come as epoch milliseconds.
  if (/^\d{10,13}$/.test(value)) return new Date(Number(value));
  return parseVendorTime(value, HUBSPOT_TIME, YEARS);
}

const Time = z.string({ error: TIME_RULE }).transform((value, ctx) => {
  const instant = parseHubSpotTime(value);
  if (instant === undefined) {
    ctx.issues.push({ code: 'custom', message: TIME_RULE, input: value });
    return z.NEVER;
  }
  return instant;
});

const Contact = z.object({
  id: z.string().regex(/^\d+$/),
  properties: z.looseObject({
    email: z.string().nullish(),
    phone: z.string().nullish(),
    mobilephone: z.string().nullish(),
    firstname: z.string().nullish(),
    lastname: z.string().nullish(),
    hs_language: z.string().nullish(),
    createdate: Time,
    lastmodifieddate: Time,
  }),
});

const Deal = z.object({
  id: z.string().regex(/^\d+$/),
  properties: z.looseObject({
    amount: z.string().nullish(),
    deal_currency_code: z.string().nullish(),
    closedate: z.string().nullish(),
    createdate: Time,
    hs_lastmodifieddate: Time,
    dealstage: z.string().nullish(),
    hs_is_closed: z.string().nullish(),
    hs_is_closed_won: z.string().nullish(),
  }),
});

export function mapHubSpotContact(raw: HubSpotRecord, sourceId: string): Mapped<CanonicalCustomer> {
  const parsed = Contact.safeParse(raw);
  if (!parsed.success) return reject(raw, parsed.error, 'contact');
  const p = parsed.data.properties;
  const record: CanonicalCustomer = {
    sourceId,
    externalId: parsed.data.id,
    ...present('email', text(p.email)),
    ...present('phone', text(p.mobilephone) ?? text(p.phone)),
    ...present('firstName', text(p.firstname)),
    ...present('lastName', text(p.lastname)),
    ...present('locale', text(p.hs_language)),
    createdAt: p.createdate.toISOString(),
    updatedAt: p.lastmodifieddate.toISOString(),
  };
  return checked(CanonicalCustomer, record);
}

export interface HubSpotDealContext {
  sourceId: string;
  /** The portal's company currency: a deal without deal_currency_code is in it. */
  currency: string;
  /** Where the portal's business days are (local date and hour of an order). */
  timeZone: string;
}

/** A deal as an order, a rejection, or null when it is still open (not an order yet). */
export function mapHubSpotDeal(
  raw: HubSpotRecord,
  contactIds: readonly string[],
  ctx: HubSpotDealContext,
): Mapped<CanonicalOrder> | null {
  const parsed = Deal.safeParse(raw);
  if (!parsed.success) return reject(raw, parsed.error, 'deal');
  const externalId = parsed.data.id;
  const p = parsed.data.properties;
  const won = p.hs_is_closed_won === 'true';
  const lost = !won && p.hs_is_closed === 'true';
  if (!won && !lost) return null;

  const currency = (text(p.deal_currency_code) ?? ctx.currency).toUpperCase();
  const amountText = text(p.amount);
  if (amountText === undefined)
    return { ok: false, rejected: { externalId, reason: 'properties.amount: a closed deal must have an amount' } };
  if (!isCurrency(currency))
    return {
      ok: false,
      rejected: { externalId, reason: 'properties.deal_currency_code: must be an ISO 4217 currency code' },
    };
  const amount = parseAmount(amountText, currency);
  if (!amount.ok) return { ok: false, rejected: { externalId, reason: `properties.amount: ${amount.reason}` } };
  const closed = p.closedate ? parseHubSpotTime(p.closedate) : undefined;
  if (p.closedate && closed === undefined)
    return { ok: false, rejected: { externalId, reason: `properties.closedate: ${TIME_RULE}` } };
  const placedAt = closed ?? p.createdate;
  const buyer = [...contactIds].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))[0];
  const local = localParts(placedAt, ctx.timeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    orderNumber: externalId,
    ...present('customerExternalId', buyer),
    currency,
    totalMinor: amount.minor.toString(),
    placedAt: placedAt.toISOString(),
    timeZone: ctx.timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: won ? 'closed' : 'cancelled',
    ...present('financialStatus', text(p.dealstage)),
    lineItemCount: 0,
    updatedAt: p.hs_lastmodifieddate.toISOString(),
  };
  return checked(CanonicalOrder, record);
}

/** A record's last modification (ISO, UTC) whether or not it maps, so a bad record is not fetched forever. */
export function hubspotModifiedAt(raw: HubSpotRecord, property: string): string | undefined {
  return parseHubSpotTime(raw.properties[property])?.toISOString();
}

function reject(raw: HubSpotRecord, error: z.ZodError, what: string): { ok: false; rejected: RejectedRecord } {
  const reason = describeIssues(error, what);
  return { ok: false, rejected: /^\d+$/.test(raw.id) ? { externalId: raw.id, reason } : { reason } };
}
