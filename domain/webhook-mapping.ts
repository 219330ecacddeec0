import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CanonicalOrder, OrderStatus } from './commerce';
import { isIdentifierType, PLATFORM_IDENTIFIER_TYPES } from './identifiers';
import { isTimeZone, localParts } from './local-time';
import { isCurrency, parseAmount } from './money';
import { LIMITS, parseBatch, RejectedItem, TrackingCall } from './tracking';

/**
 * A webhook source: any system (a local POS, a data provider) posts JSON to
 * `/v1/sources/:id/webhook`, signed with the source's secret, and a declarative mapping stored with
 * the source says what in each record is who the person is (identifiers), what is known about them
 * (traits), what they did (an event) — turned into the tracking API's calls, so the records take the
 * tracking API's path: its checks, limits, partial acceptance and message-ID dedupe, the same writer.
 *
 * Paths are dot paths with optional list indexes: `customer.email`, `lines[0].sku`. A mapped value
 * that is missing where the mapping requires it rejects that record only, naming the record's index
 * and the path (never the value).
 */

/** How far a signed request's timestamp may be from the clock: older is a replay, newer a skewed sender. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
export const WEBHOOK_SIGNATURE_HEADER = 'x-meridian-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-meridian-timestamp';

const PATH_SHAPE = /^[A-Za-z_$][\w$-]*(?:\[\d+\])*(?:\.[A-Za-z_$][\w$-]*(?:\[\d+\])*)*$/;
const PATH_RULE = 'must be a dot path such as customer.email or lines[0].sku';
const MAX_FIELDS = 100;

export const webhookPath = z.string().max(200).regex(PATH_SHAPE, PATH_RULE);
/** A value from the record (`{ "path": "…" }`) or the same for every record (`{ "value": "…" }`). */
const pathOrValue = z.union([
  webhookPath,
  z.object({ value: z.union([z.string().min(1).max(200), z.number(), z.boolean()]) }).strict(),
]);
const fieldMap = z
  .record(z.string().min(1).max(100), webhookPath)
  .refine((map) => Object.keys(map).length <= MAX_FIELDS, `at most ${MAX_FIELDS} fields`);

export const webhookMappingSchema = z
  .object({
    /** Where the records are in the body (a list); absent: the body is one record, or a list of them. */
    records: webhookPath.optional(),
    /** Each record's own ID: the message ID, so a payload sent again is stored once. */
    messageId: webhookPath,
    /** `identify`: who the person is and their traits; `track`: an event they did; `order`: an order they placed. */
    type: z.enum(['identify', 'track', 'order']),
    userId: webhookPath.optional(),
    anonymousId: webhookPath.optional(),
    /** Identifier type (email, phone, or a platform's: line_user, lazada_user …) → path. */
    identifiers: z
      .record(z.string(), webhookPath)
      .superRefine((map, ctx) => {
        for (const type of Object.keys(map)) {
          if (!isIdentifierType(type) || type === 'user_id' || type === 'anonymous_id')
            ctx.addIssue({
              code: 'custom',
              path: [type],
              message: `must be email, phone or a platform identifier type (${PLATFORM_IDENTIFIER_TYPES.join(', ')}); userId and anonymousId have their own fields`,
            });
        }
      })
      .optional(),
    /** Trait name → path. */
    traits: fieldMap.optional(),
    /** For `track`: the event's name. */
    event: pathOrValue.optional(),
    /** For `track`: property name → path. */
    properties: fieldMap.optional(),
    /** When it happened (ISO 8601); absent: when Meridian received it. */
    timestamp: webhookPath.optional(),
    /** For `order`: where the order's fields are; stored as an order with its amount in the reporting currency. */
    order: z
      .object({
        id: webhookPath,
        /** The total in major units, as text ("1290.50") or a number. */
        total: webhookPath,
        currency: pathOrValue,
        /** When it was placed: ISO 8601 with an offset. */
        placedAt: webhookPath,
        /** The store's IANA zone, for the local date (and so the FX rate) and hour. */
        timeZone: pathOrValue,
        /** The sender's status; cancelled/refunded → cancelled, completed/closed/delivered/fulfilled → closed. */
        status: webhookPath.optional(),
        /** When it last changed (ISO 8601); default placedAt. */
        updatedAt: webhookPath.optional(),
        countryCode: pathOrValue.optional(),
        lineItems: webhookPath.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((m) => m.type !== 'order' || m.order !== undefined, {
    error: 'an order mapping needs order: the paths of id, total, currency, placedAt and timeZone',
    path: ['order'],
  })
  .refine((m) => m.type !== 'track' || m.event !== undefined, {
    error: 'a track mapping needs event: a path to the event name, or {"value": "Order Completed"}',
    path: ['event'],
  })
  .refine((m) => m.userId !== undefined || m.anonymousId !== undefined || Object.keys(m.identifiers ?? {}).length > 0, {
    error: 'map at least one of userId, anonymousId or identifiers: a record must say who it is about',
    path: ['identifiers'],
  });
export type WebhookMapping = z.infer<typeof webhookMappingSchema>;

/** The value at a dot path, or undefined. */
export function valueAt(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    const [, name, indexes = ''] = /^([^[]+)((?:\[\d+\])*)$/.exec(part) ?? [];
    if (name === undefined) return undefined;
    current = ownField(current, name);
    for (const match of indexes.matchAll(/\[(\d+)\]/g)) {
      current = Array.isArray(current) ? current[Number(match[1])] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function ownField(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

export type MappedRecords =
  | {
      ok: true;
      /** Tracking API items (Segment's JSON), each with the index of its record in the payload. */
      items: { index: number; item: Record<string, unknown>; order?: CanonicalOrder }[];
      rejected: RejectedItem[];
    }
  | { ok: false; reason: string };

/** The records of a payload, mapped; a record the mapping cannot read is rejected by index and path. */
export function mapWebhookPayload(mapping: WebhookMapping, body: unknown, sourceId = 'preview'): MappedRecords {
  const records = mapping.records === undefined ? body : valueAt(body, mapping.records);
  const list = Array.isArray(records) ? records : mapping.records === undefined ? [records] : undefined;
  if (list === undefined)
    return { ok: false, reason: `${mapping.records}: must be the list of records (the mapping's "records" path)` };
  if (list.length === 0) return { ok: false, reason: 'no record in the payload' };
  if (list.length > LIMITS.batchItems)
    return {
      ok: false,
      reason: `${list.length} records in one payload; the limit is ${LIMITS.batchItems}: send them in several`,
    };
  const items: { index: number; item: Record<string, unknown>; order?: CanonicalOrder }[] = [];
  const rejected: RejectedItem[] = [];
  list.forEach((record, index) => {
    const mapped = mapRecord(mapping, record);
    if (!mapped.ok) return rejected.push({ index, reason: mapped.reason });
    if (mapping.order === undefined || mapping.type !== 'order') return items.push({ index, item: mapped.item });
    const order = mapOrder(mapping.order, record as Record<string, unknown>, sourceId);
    if (!order.ok) return rejected.push({ index, reason: order.reason });
    return items.push({ index, item: mapped.item, order: order.order });
  });
  return { ok: true, items, rejected };
}

function mapRecord(
  mapping: WebhookMapping,
  record: unknown,
): { ok: true; item: Record<string, unknown> } | { ok: false; reason: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { ok: false, reason: 'the record must be a JSON object' };
  const scalar = (
    path: string,
    rule: string,
  ): { ok: true; value?: string | number | boolean } | { ok: false; reason: string } => {
    const value = valueAt(record, path);
    if (value === undefined || value === null || value === '') return { ok: true };
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return { ok: true, value };
    return { ok: false, reason: `${path}: ${rule}` };
  };

  const messageId = scalar(mapping.messageId, 'must be text or a number (the record ID)');
  if (!messageId.ok) return messageId;
  if (messageId.value === undefined)
    return {
      ok: false,
      reason: `${mapping.messageId}: is required (the record ID, so a payload sent again is stored once)`,
    };

  const item: Record<string, unknown> = { type: mapping.type, messageId: `webhook:${String(messageId.value)}` };
  for (const field of ['userId', 'anonymousId'] as const) {
    const path = mapping[field];
    if (path === undefined) continue;
    const value = scalar(path, 'must be text or a number');
    if (!value.ok) return value;
    if (value.value !== undefined) item[field] = String(value.value);
  }

  const people: Record<string, unknown> = {};
  const externalIds: { id: string; type: string; encoding: string; collection: string }[] = [];
  for (const [type, path] of Object.entries(mapping.identifiers ?? {})) {
    const value = scalar(path, 'must be text or a number');
    if (!value.ok) return value;
    if (value.value === undefined) continue;
    if (type === 'email' || type === 'phone') people[type] = String(value.value);
    else externalIds.push({ id: String(value.value), type, encoding: 'none', collection: 'users' });
  }
  if (
    item.userId === undefined &&
    item.anonymousId === undefined &&
    Object.keys(people).length === 0 &&
    externalIds.length === 0
  ) {
    const named = [mapping.userId, mapping.anonymousId, ...Object.values(mapping.identifiers ?? {})].filter(Boolean);
    return { ok: false, reason: `${named.join(', ')}: none is present; a record must say who it is about` };
  }

  const traits: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(mapping.traits ?? {})) {
    const value = valueAt(record, path);
    if (value !== undefined) traits[name] = value;
  }
  const context: Record<string, unknown> = {};
  if (externalIds.length > 0) context.externalIds = externalIds;

  if (mapping.type === 'identify' || mapping.type === 'order') {
    // An order is stored as an identify of its buyer carrying the order (as connectors store theirs).
    item.type = 'identify';
    item.traits = { ...traits, ...people };
  } else {
    const event = mapping.event!;
    if (typeof event === 'string') {
      const name = scalar(event, 'must be text (the event name)');
      if (!name.ok) return name;
      if (name.value === undefined) return { ok: false, reason: `${event}: is required (the event name)` };
      item.event = String(name.value);
    } else {
      item.event = String(event.value);
    }
    const properties: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(mapping.properties ?? {})) {
      const value = valueAt(record, path);
      if (value !== undefined) properties[name] = value;
    }
    item.properties = properties;
    // Who did it, as the tracking API reads it from a track call: context.traits.
    if (Object.keys(people).length > 0 || Object.keys(traits).length > 0) context.traits = { ...traits, ...people };
  }
  if (mapping.timestamp !== undefined) {
    const at = scalar(mapping.timestamp, 'must be an ISO 8601 time');
    if (!at.ok) return at;
    if (at.value !== undefined) item.timestamp = at.value;
  }
  if (Object.keys(context).length > 0) item.context = context;
  return { ok: true, item };
}

/**
 * A payload through the mapping and then the tracking API's own item checks, as ingestion and the
 * admin preview both run it: calls to store (with their records' indexes) and refusals by index.
 */
/** Random per process, so no sender can name it. */
const NO_ANONYMOUS_ID = `webhook-placeholder-${randomUUID()}`;

export function mapPayload(
  mapping: WebhookMapping,
  body: unknown,
  receivedAt = new Date(),
  sourceId = 'preview',
):
  | {
      ok: true;
      calls: TrackingCall[];
      /** For an order mapping, each call's order (aligned with calls). */
      orders: (CanonicalOrder | undefined)[];
      indexes: number[];
      rejected: RejectedItem[];
      storedBytes: number;
    }
  | { ok: false; reason: string } {
  const mapped = mapWebhookPayload(mapping, body, sourceId);
  if (!mapped.ok) return mapped;
  if (mapped.items.length === 0)
    return { ok: true, calls: [], orders: [], indexes: [], rejected: mapped.rejected, storedBytes: 0 };
  // Segment's rule that a call names a userId or anonymousId is the mapping's own here (a record must
  // name someone, by any identifier, as a connector's records do): a record known only by email or a
  // platform ID passes the check with a placeholder that is taken off again, never stored.
  const parsed = parseBatch(
    {
      batch: mapped.items.map((m) =>
        m.item.userId === undefined && m.item.anonymousId === undefined
          ? { ...m.item, anonymousId: NO_ANONYMOUS_ID }
          : m.item,
      ),
    },
    receivedAt,
    randomUUID,
  );
  if (!parsed.ok) return parsed;
  for (const call of parsed.result.calls) if (call.anonymousId === NO_ANONYMOUS_ID) delete call.anonymousId;
  const refusedPositions = new Set(parsed.result.rejected.map((r) => r.index));
  const kept = mapped.items.filter((_, position) => !refusedPositions.has(position));
  const indexes = kept.map((m) => m.index);
  const rejected: RejectedItem[] = [
    ...mapped.rejected,
    // The tracking API's reason names the call's field; the index is the record's in the payload.
    ...parsed.result.rejected.map((r) => ({
      index: mapped.items[r.index]!.index,
      reason: `mapped record: ${r.reason}`,
    })),
  ].sort((a, b) => a.index - b.index);
  return {
    ok: true,
    calls: parsed.result.calls,
    orders: kept.map((m) => m.order),
    indexes,
    rejected,
    storedBytes: parsed.result.storedBytes,
  };
}

const ORDER_STATUS: Readonly<Record<string, OrderStatus>> = {
  cancelled: 'cancelled',
  canceled: 'cancelled',
  refunded: 'cancelled',
  voided: 'cancelled',
  completed: 'closed',
  complete: 'closed',
  closed: 'closed',
  delivered: 'closed',
  fulfilled: 'closed',
};

/** An order record as a canonical order; a missing or unreadable field rejects it, naming the path and the rule. */
function mapOrder(
  paths: NonNullable<WebhookMapping['order']>,
  record: Record<string, unknown>,
  sourceId: string,
): { ok: true; order: CanonicalOrder } | { ok: false; reason: string } {
  const read = (from: string | { value: string | number | boolean }) =>
    typeof from === 'string' ? valueAt(record, from) : from.value;
  const named = (from: string | { value: unknown }) => (typeof from === 'string' ? from : 'order (fixed value)');
  const text = (from: string | { value: string | number | boolean }, rule: string) => {
    const value = read(from);
    if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== ''))
      return { ok: true as const, value: String(value).trim() };
    return { ok: false as const, reason: `${named(from)}: ${rule}` };
  };
  const id = text(paths.id, 'is required (the order ID)');
  if (!id.ok) return id;
  const currency = text(paths.currency, 'is required (an ISO 4217 code such as EUR)');
  if (!currency.ok) return currency;
  const code = currency.value.toUpperCase();
  if (!isCurrency(code))
    return { ok: false, reason: `${named(paths.currency)}: must be an ISO 4217 currency code such as EUR` };
  const total = read(paths.total);
  if (typeof total !== 'string' && typeof total !== 'number')
    return { ok: false, reason: `${paths.total}: is required (the total in major units, e.g. 1290.50)` };
  const amount = parseAmount(total, code);
  if (!amount.ok) return { ok: false, reason: `${paths.total}: ${amount.reason}` };
  const zone = text(paths.timeZone, 'is required (an IANA time zone such as Asia/Bangkok)');
  if (!zone.ok) return zone;
  if (!isTimeZone(zone.value))
    return { ok: false, reason: `${named(paths.timeZone)}: must be an IANA time zone such as Asia/Bangkok` };
  const instant = (path: string) => {
    const value = valueAt(record, path);
    const ms = typeof value === 'string' && /(Z|[+-]\d{2}:?\d{2})$/.test(value.trim()) ? Date.parse(value) : Number.NaN;
    return Number.isNaN(ms) ? undefined : new Date(ms);
  };
  const placedAt = instant(paths.placedAt);
  if (!placedAt)
    return {
      ok: false,
      reason: `${paths.placedAt}: must be an ISO 8601 time with an offset, e.g. 2025-05-09T10:15:00+02:00`,
    };
  const updatedAt = paths.updatedAt === undefined ? placedAt : instant(paths.updatedAt);
  if (!updatedAt) return { ok: false, reason: `${paths.updatedAt}: must be an ISO 8601 time with an offset` };
  const status = paths.status === undefined ? undefined : valueAt(record, paths.status);
  const country = paths.countryCode === undefined ? undefined : read(paths.countryCode);
  const lines = paths.lineItems === undefined ? undefined : valueAt(record, paths.lineItems);
  const local = localParts(placedAt, zone.value);
  const order: CanonicalOrder = {
    sourceId,
    externalId: id.value,
    orderNumber: id.value,
    currency: code,
    totalMinor: amount.minor.toString(),
    placedAt: placedAt.toISOString(),
    timeZone: zone.value,
    localDate: local.date,
    localHour: local.hour,
    status: typeof status === 'string' ? (ORDER_STATUS[status.trim().toLowerCase()] ?? 'open') : 'open',
    ...(typeof status === 'string' && status.trim() !== '' ? { financialStatus: status.trim().toLowerCase() } : {}),
    ...(typeof country === 'string' && /^[A-Za-z]{2}$/.test(country) ? { countryCode: country.toUpperCase() } : {}),
    lineItemCount: Array.isArray(lines)
      ? lines.length
      : typeof lines === 'number' && Number.isInteger(lines) && lines >= 0
        ? lines
        : 0,
    updatedAt: updatedAt.toISOString(),
  };
  const checked = CanonicalOrder.safeParse(order);
  if (!checked.success)
    return { ok: false, reason: `order: ${checked.error.issues[0]?.message ?? 'not a valid order'}` };
  return { ok: true, order: checked.data };
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

/** The signature a sender computes: hex HMAC-SHA256 under the secret of `<timestamp>.<raw body>`. */
export function webhookSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Whether a request is signed with `secret` and fresh: the headers as sent, the body as received.
 * The timestamp is inside the signature, so an old request cannot be made fresh by changing it.
 */
export function checkWebhookSignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs: number,
): { ok: true } | { ok: false; reason: string } {
  if (!headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp.trim()))
    return { ok: false, reason: 'X-Meridian-Timestamp is missing or not Unix seconds: send the time of signing' };
  if (!headers.signature)
    return {
      ok: false,
      reason: 'X-Meridian-Signature is missing: send sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">',
    };
  const age = nowMs / 1000 - Number(headers.timestamp.trim());
  if (Math.abs(age) > WEBHOOK_TOLERANCE_SECONDS)
    return {
      ok: false,
      reason: `X-Meridian-Timestamp is ${Math.round(Math.abs(age))} s ${age > 0 ? 'old' : 'ahead'}; at most ${WEBHOOK_TOLERANCE_SECONDS} s is accepted (a replay, or the sender's clock is wrong)`,
    };
  const expected = webhookSignature(secret, headers.timestamp.trim(), rawBody);
  const sent = /^sha256=([0-9a-fA-F]{64})$/.exec(headers.signature.trim())?.[1]?.toLowerCase();
  if (!sent || !timingSafeEqual(Buffer.from(sent, 'hex'), Buffer.from(expected, 'hex')))
    return {
      ok: false,
      reason: "X-Meridian-Signature does not match: sign the raw body with the source's webhook secret (sha256=<hex>)",
    };
  return { ok: true };
}
