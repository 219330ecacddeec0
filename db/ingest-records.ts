import type { IncomingCall, OrderWrite } from './region-writer';
import type { CanonicalCustomer, CanonicalOrder } from '../domain/commerce';
import type { FxTable } from '../domain/fx';
import type { TrackingCall } from '../domain/tracking';

/**
 * Synced records into the ingestion pipeline, so they resolve to One ID exactly like tracked
 * calls: a customer is an `identify` (its traits kept, its platform ID an identifier), an order an
 * identify of its buyer that stores an order row instead of an event. Message IDs name the record
 * version, so a re-synced page is recognised and changes nothing (DESIGN.md, rule 4).
 */

const TRAIT_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'name', 'locale'] as const;

function call(
  messageId: string,
  at: Date,
  traits: Record<string, unknown>,
  externalIds: { id: string; type: string }[],
  receivedAt: Date,
): TrackingCall {
  return {
    type: 'identify',
    messageId,
    properties: {},
    traits,
    context:
      externalIds.length > 0
        ? { externalIds: externalIds.map((e) => ({ ...e, encoding: 'none', collection: 'users' })) }
        : {},
    integrations: {},
    receivedAt,
    timestamp: at,
    warnings: [],
  };
}

/** `idType`: the identifier type of the connector's customer IDs, or undefined when they are not identifiers. */
export function customerCall(customer: CanonicalCustomer, idType: string | undefined, receivedAt: Date): IncomingCall {
  const traits: Record<string, unknown> = {};
  for (const field of TRAIT_FIELDS) if (customer[field] !== undefined) traits[field] = customer[field];
  if (customer.countryCode) traits.address = { country: customer.countryCode };
  if (customer.emailMarketing) traits.emailMarketing = customer.emailMarketing;
  const externalIds = idType ? [{ id: customer.externalId, type: idType }] : [];
  return {
    sourceId: customer.sourceId,
    call: call(
      `customer:${customer.externalId}:${customer.updatedAt}`,
      new Date(customer.updatedAt),
      traits,
      externalIds,
      receivedAt,
    ),
  };
}

export function orderCall(
  order: CanonicalOrder,
  idType: string | undefined,
  reporting: OrderWrite['reporting'],
  receivedAt: Date,
): IncomingCall {
  const traits: Record<string, unknown> = {};
  if (order.email) traits.email = order.email;
  if (order.phone) traits.phone = order.phone;
  // The country reads a local phone number; it is not stored as a trait (orders keep no traits).
  if (order.countryCode) traits.address = { country: order.countryCode };
  const externalIds = idType && order.customerExternalId ? [{ id: order.customerExternalId, type: idType }] : [];
  return {
    sourceId: order.sourceId,
    call: call(
      `order:${order.externalId}:${order.updatedAt}`,
      new Date(order.updatedAt),
      traits,
      externalIds,
      receivedAt,
    ),
    order: { order, reporting },
  };
}

/**
 * The order total in the reporting currency at the rate of the order's local date (the last
 * earlier day with a rate when that day has none, flagged), or no amount and the reason.
 */
export function reportingAmount(
  fx: FxTable,
  order: CanonicalOrder,
  reportingCurrency: string,
): OrderWrite['reporting'] {
  const converted = fx.convert(BigInt(order.totalMinor), order.currency, reportingCurrency, order.localDate);
  if (!converted.ok) return { currency: reportingCurrency, minor: null, problem: converted.reason };
  return {
    currency: reportingCurrency,
    minor: converted.minor,
    rate: converted.rate,
    rateDate: converted.rateDate,
    fallback: converted.fallback,
  };
}
