import { z } from 'zod';
import { isTimeZone } from './local-time';
import { describeIssues } from './validation';

/**
 * Parsing and validation for the Segment-compatible HTTP Tracking API
 * (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
 *
 * The web layer hands us the parsed JSON body; we return normalised calls ready to store, or a
 * sentence saying what is wrong. Pure and deterministic: the caller supplies the receive time and
 * the message-ID generator, so this module can also run inside workflows and tests.
 *
 * `/v1/batch` and `/v1/import` share one shape and both go through parseBatch.
 */

// ---------------------------------------------------------------------------------------------
// Limits and constants
// ---------------------------------------------------------------------------------------------

/**
 * Segment's documented limits (32 KB per call, 500 KB and 2500 calls per batch) plus our own.
 * A call's size counts what is stored: with a batch's `context` and `integrations` merged in.
 * `storedBatchBytes` bounds a whole batch so measured: merging a large batch-level context into
 * 2500 items would otherwise turn a 500 KB request into tens of MB to seal and write.
 */
export const LIMITS = {
  eventBytes: 32 * 1024,
  batchBytes: 500 * 1024,
  storedBatchBytes: 5000 * 1024,
  batchItems: 2500,
  maxDepth: 32,
  maxStringLength: 65_536,
} as const;

export const CALL_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type CallType = (typeof CALL_TYPES)[number];

const MAX_IDENTIFIER_LENGTH = 256;
const MAX_KEY_LENGTH = 256;
/** Beyond this nesting, refuse before any recursive walk (the field checks name the 32-level limit). */
const STACK_SAFE_DEPTH = 256;
/** timestamptz holds years 1–9999 as ISO 8601 writes them; beyond that is no real event time. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;
const MAX_MESSAGE_ID_LENGTH = 100;

/** A corrected time before this is a device clock that was never set, not a real event. */
const EARLIEST_PLAUSIBLE_TIME = Date.UTC(2000, 0, 1);
/** Clients may be a little ahead of us; a day ahead is a broken clock. */
const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/** Warnings quote short client values (a time-zone name) but never long free text. */
const MAX_QUOTED_LENGTH = 64;

/** C0 and C1 control characters: never part of a real identifier, and NUL breaks PostgreSQL. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const NUL_CHARACTERS = /\u0000/g;
/** Lone UTF-16 surrogates: JSON.stringify escapes them, and PostgreSQL jsonb rejects the escape. */
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * ISO 8601 / RFC 3339 date-time with a zone designator, or a bare date (read as midnight UTC).
 * A date-time without a zone is refused: `new Date()` would read it in the server's own zone.
 * Groups: year, month, day, hour, minute, second, fraction, zone.
 */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

const CALL_EXAMPLES: Record<CallType, string> = {
  identify: '{"userId":"u1","traits":{"plan":"pro"}}',
  track: '{"userId":"u1","event":"Order Completed","properties":{"total":42}}',
  page: '{"anonymousId":"a1","name":"Pricing","properties":{"path":"/pricing"}}',
  screen: '{"userId":"u1","name":"Home"}',
  group: '{"userId":"u1","groupId":"g1","traits":{"name":"Acme"}}',
  alias: '{"previousId":"a1","userId":"u1"}',
};
const BATCH_EXAMPLE = '{"batch":[{"type":"track","userId":"u1","event":"Order Completed"}]}';
const CALL_TYPE_LIST = CALL_TYPES.join(', ');

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** One validated, normalised call, ready to store. */
export interface TrackingCall {
  type: CallType;
  /** From the call, or newMessageId() when the client sent none. */
  messageId: string;
  userId?: string;
  anonymousId?: string;
  /** track */
  event?: string;
  /** page / screen */
  name?: string;
  /** page */
  category?: string;
  /** group */
  groupId?: string;
  /** alias */
  previousId?: string;
  /** track / page / screen; {} otherwise */
  properties: Record<string, unknown>;
  /** identify / group; {} otherwise. context.traits stays inside context. */
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  integrations: Record<string, unknown>;
  /** The call's `timestamp` (or `originalTimestamp`) exactly as the client sent it. */
  originalTimestamp?: Date;
  sentAt?: Date;
  receivedAt: Date;
  /** Corrected for the device's clock skew; see correctTimestamp. */
  timestamp: Date;
  timestampFlag?: 'implausible';
  /** context.timezone when it is a real IANA zone. */
  timezone?: string;
  /** context.locale as a canonical BCP 47 tag. */
  locale?: string;
  /** Non-fatal notes for the client. */
  warnings: string[];
}

/** A batch item that was refused, by its index in the batch. */
export const rejectedItemSchema = z.object({
  index: z.number().int(),
  /** Names the field and the rule; never echoes personal values. */
  reason: z.string().describe('the field and the rule it broke'),
});
export type RejectedItem = z.infer<typeof rejectedItemSchema>;

/** `storedBytes`: the calls' size as stored (batch-level context merged in), for the byte budget. */
export type ParseResult = { calls: TrackingCall[]; rejected: RejectedItem[]; storedBytes: number };

type Failure = { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------
// sanitise: make any JSON value safe to store in PostgreSQL jsonb
// ---------------------------------------------------------------------------------------------

/** Why a value cannot be stored; the cleaned value otherwise (a fresh copy of containers). */
class Unclean {
  constructor(readonly problem: string) {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A NUL or any surrogate: most text has neither, and is then kept as it is without two replaces. */
const MAY_NEED_CLEANING = /[\u0000\ud800-\udfff]/;

function cleanString(text: string): string {
  if (!MAY_NEED_CLEANING.test(text)) return text;
  return text.replace(NUL_CHARACTERS, '').replace(LONE_SURROGATES, '\ufffd');
}

/** `depth` is the nesting level a container at this position would have (the top one is 1). */
function cleanValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : new Unclean('contains a number JSON cannot represent (NaN or Infinity)');
  }
  if (typeof value === 'string') {
    const text = cleanString(value);
    return text.length > LIMITS.maxStringLength
      ? new Unclean(`contains a string longer than ${LIMITS.maxStringLength} characters`)
      : text;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) {
    return new Unclean('contains a value that is not JSON (use strings, numbers, booleans, null, arrays and objects)');
  }
  if (depth > LIMITS.maxDepth) return new Unclean(`nested deeper than ${LIMITS.maxDepth} levels`);
  return isArray ? cleanArray(value, depth) : cleanObject(value as Record<string, unknown>, depth);
}

function cleanArray(items: unknown[], depth: number): unknown[] | Unclean {
  const cleaned: unknown[] = [];
  // Index loop, not map: map skips holes, and a hole is an undefined that must be refused.
  for (let i = 0; i < items.length; i++) {
    const item = cleanValue(items[i], depth + 1);
    if (item instanceof Unclean) return item;
    cleaned.push(item);
  }
  return cleaned;
}

function cleanObject(object: Record<string, unknown>, depth: number): Record<string, unknown> | Unclean {
  const cleaned: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    // Trait names are indexed; PostgreSQL's index entries hold about 2.7 KB.
    if (key.length > MAX_KEY_LENGTH) return new Unclean(`has a key longer than ${MAX_KEY_LENGTH} characters`);
    const item = cleanValue(object[key], depth + 1);
    if (item instanceof Unclean) return item;
    const name = cleanString(key);
    // Defined, not assigned, when the key is "__proto__": it stays a plain key, not the prototype.
    // If removing NULs makes two keys equal, the later wins, as with duplicate keys in JSON.parse.
    if (name === '__proto__')
      Object.defineProperty(cleaned, name, { value: item, enumerable: true, writable: true, configurable: true });
    else cleaned[name] = item;
  }
  return cleaned;
}

/**
 * Removes NUL characters from every string and key (PostgreSQL cannot store them), replaces lone
 * surrogates with U+FFFD, and refuses values nested deeper than LIMITS.maxDepth, strings longer
 * than LIMITS.maxStringLength, and anything that is not JSON. Other text (emoji, RTL, CJK) is
 * kept exactly. `field` names the value in the reason; the reason never quotes the value itself.
 */
export function sanitise(value: unknown, field = 'value'): { ok: true; value: unknown } | Failure {
  const cleaned = cleanValue(value, 1);
  return cleaned instanceof Unclean
    ? { ok: false, reason: `${field} ${cleaned.problem}` }
    : { ok: true, value: cleaned };
}

// ---------------------------------------------------------------------------------------------
// Field schemas. Messages are the second half of a sentence; describeIssue adds the field path.
// ---------------------------------------------------------------------------------------------

/**
 * Segment's libraries send null for fields they do not have (analytics.js sends `userId: null`
 * for anonymous visitors), so null means "not given" everywhere.
 */
const notGiven = (value: unknown): value is null | undefined => value === null || value === undefined;

/**
 * The field rules, written once: the zod schemas below apply them, and so does the fast path of
 * parseSingle and parseBatch (fastCallFields), which falls back to the schemas for the answer
 * whenever a field breaks one.
 */

/** userId, anonymousId, groupId, previousId (already a string or a number): stored as a trimmed string. */
function readIdentifier(value: string | number): string | undefined | Unclean {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    // JSON.parse has already rounded it, so storing it would join the wrong person.
    return new Unclean('is a number too large to be exact: send it as a string');
  }
  // Whitespace around an ID is a copy-paste accident, and "" means "not given".
  // Lone surrogates become U+FFFD here, as PostgreSQL would store them, so what we compare is what is stored.
  const id = String(value).trim().replace(LONE_SURROGATES, '\ufffd');
  if (id === '') return undefined;
  if (id.length > MAX_IDENTIFIER_LENGTH) return new Unclean(`is longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  if (CONTROL_CHARACTERS.test(id)) return new Unclean('contains control characters');
  return id;
}

/** The client's deduplication key (already a string), kept exactly as sent. */
function readMessageId(value: string): string | undefined | Unclean {
  if (value.trim() === '') return undefined;
  // Lone surrogates become U+FFFD here, as PostgreSQL would store them: deduplication compares
  // the stored ID with this one.
  const id = value.replace(LONE_SURROGATES, '\ufffd');
  if (id.length > MAX_MESSAGE_ID_LENGTH) return new Unclean(`is longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  if (CONTROL_CHARACTERS.test(id)) return new Unclean('contains control characters');
  return id;
}

/** event, name, category (already a string): free text, cleaned like any other stored string. */
function readLabel(value: string): string | Unclean {
  const text = cleanString(value);
  return text.length > LIMITS.maxStringLength
    ? new Unclean(`is longer than ${LIMITS.maxStringLength} characters`)
    : text;
}

/** properties, traits, context, integrations: a plain JSON object, sanitised; null means not given. */
function readJsonObject(value: unknown): Record<string, unknown> | undefined | Unclean {
  if (notGiven(value)) return undefined;
  if (!isPlainObject(value)) return new Unclean('must be an object');
  return cleanValue(value, 1) as Record<string, unknown> | Unclean;
}

/** A rule's verdict as zod reports it: the problem as an issue of the field. */
function reported<T>(value: T | Unclean, ctx: z.RefinementCtx): T {
  if (!(value instanceof Unclean)) return value;
  ctx.addIssue({ code: 'custom', message: value.problem });
  return z.NEVER;
}

/** userId, anonymousId, groupId, previousId: a string or a number, stored as a trimmed string. */
export const identifierSchema = z
  .union([z.string(), z.number()], { error: 'must be a string or a number' })
  .nullish()
  .transform((value, ctx): string | undefined => (notGiven(value) ? undefined : reported(readIdentifier(value), ctx)))
  .meta({
    description: `a string or a number, stored trimmed (at most ${MAX_IDENTIFIER_LENGTH} characters); null or "" means not given`,
  });

/** The client's deduplication key, kept exactly as sent. */
export const messageIdSchema = z
  .string({ error: 'must be a string' })
  .nullish()
  .transform((value, ctx): string | undefined => (notGiven(value) ? undefined : reported(readMessageId(value), ctx)))
  .meta({ description: "the client's deduplication key: a call with a messageId already stored is not stored again" });

/** event, name, category: free text, cleaned like any other stored string. */
export const labelSchema = z
  .string({ error: 'must be a string' })
  .nullish()
  .transform((value, ctx): string | undefined => (notGiven(value) ? undefined : reported(readLabel(value), ctx)))
  .meta({ description: `free text, at most ${LIMITS.maxStringLength} characters` });

/** properties, traits, context, integrations: a plain JSON object, sanitised. */
export const jsonObjectSchema = z
  .unknown()
  .transform((value, ctx): Record<string, unknown> | undefined => reported(readJsonObject(value), ctx))
  .optional()
  .meta({ type: ['object', 'null'], description: `a JSON object, nested at most ${LIMITS.maxDepth} levels` });

/** What Date#toISOString writes (years 0100–9999): most clients' timestamps. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const digits = (text: string, from: number, to: number) => Number(text.slice(from, to));

/**
 * parseIsoDateTime's answer for a canonical UTC time, read without its general regex and Date
 * arithmetic; undefined when the text is not one (or names a year Date.UTC reads otherwise).
 */
function canonicalUtc(text: string): Date | undefined {
  if (text.length !== 24 || !CANONICAL_UTC.test(text)) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Day 0 of the next month is the last day of this one.
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, digits(text, 20, 23)));
}

/** Reads an ISO 8601 date-time with a zone, or a bare date as midnight UTC; undefined if invalid. */
export function parseIsoDateTime(text: string): Date | undefined {
  const canonical = canonicalUtc(text);
  if (canonical !== undefined) return canonical;
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));

  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, millis);
  // Date rolls 31 April over to 1 May; a mismatch means the client sent a date that does not exist.
  const exists =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s;
  const offsetMinutes = parseZoneOffset(zone);
  if (!exists || offsetMinutes === undefined) return undefined;
  const instant = new Date(date.getTime() - offsetMinutes * 60_000);
  const utcYear = instant.getUTCFullYear();
  return utcYear < MIN_YEAR || utcYear > MAX_YEAR ? undefined : instant;
}

/** "Z" → 0; "+05:30", "+0530", "+05" → 330; out-of-range offsets → undefined. */
function parseZoneOffset(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** timestamp, originalTimestamp, sentAt (already a string). */
function readDateTime(value: string): Date | Unclean {
  return parseIsoDateTime(value) ?? new Unclean('is not an ISO 8601 date-time');
}

export const dateTimeSchema = z
  .string({ error: 'is not an ISO 8601 date-time' })
  .nullish()
  .transform((value, ctx): Date | undefined => (notGiven(value) ? undefined : reported(readDateTime(value), ctx)))
  .meta({ description: 'an ISO 8601 date-time with a zone, or a date (read as midnight UTC)' });

// ---------------------------------------------------------------------------------------------
// Call schemas: one per call type, as Segment's spec lists the fields of each
// ---------------------------------------------------------------------------------------------

const commonFields = {
  messageId: messageIdSchema,
  userId: identifierSchema,
  anonymousId: identifierSchema,
  context: jsonObjectSchema,
  integrations: jsonObjectSchema,
  timestamp: dateTimeSchema,
  originalTimestamp: dateTimeSchema,
  sentAt: dateTimeSchema,
};

const callFields = {
  identify: { ...commonFields, traits: jsonObjectSchema },
  track: { ...commonFields, event: labelSchema, properties: jsonObjectSchema },
  page: { ...commonFields, name: labelSchema, category: labelSchema, properties: jsonObjectSchema },
  screen: { ...commonFields, name: labelSchema, properties: jsonObjectSchema },
  group: { ...commonFields, groupId: identifierSchema, traits: jsonObjectSchema },
  alias: { ...commonFields, previousId: identifierSchema },
};

/** The union of every call's fields after parsing; each call type fills a subset. */
interface CallFields {
  messageId?: string;
  userId?: string;
  anonymousId?: string;
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  timestamp?: Date;
  originalTimestamp?: Date;
  sentAt?: Date;
  event?: string;
  name?: string;
  category?: string;
  groupId?: string;
  previousId?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

/**
 * Required fields per call type: each one missing is told to `missing` (a field, or none for
 * "either ID"). Alias names userId itself, so it skips the "either ID" rule.
 */
function checkRequiredFields(type: CallType, call: CallFields, missing: (field?: keyof CallFields) => void): void {
  if (type === 'alias') {
    if (call.previousId === undefined) missing('previousId');
    if (call.userId === undefined) missing('userId');
    return;
  }
  if (call.userId === undefined && call.anonymousId === undefined) missing();
  if (type === 'track' && (call.event === undefined || call.event.trim() === '')) missing('event');
  if (type === 'group' && call.groupId === undefined) missing('groupId');
}

function requiredFieldsFor(type: CallType) {
  return (call: CallFields, ctx: z.RefinementCtx): void =>
    checkRequiredFields(type, call, (field) =>
      ctx.addIssue(
        field
          ? { code: 'custom', path: [field], message: `is required for ${type} calls` }
          : { code: 'custom', message: 'userId or anonymousId is required: send at least one of them' },
      ),
    );
}

/** The body of a single call (`POST /v1/track` etc.); the type comes from the URL. */
export const callSchemas = {
  identify: z.object(callFields.identify).superRefine(requiredFieldsFor('identify')),
  track: z.object(callFields.track).superRefine(requiredFieldsFor('track')),
  page: z.object(callFields.page).superRefine(requiredFieldsFor('page')),
  screen: z.object(callFields.screen).superRefine(requiredFieldsFor('screen')),
  group: z.object(callFields.group).superRefine(requiredFieldsFor('group')),
  alias: z.object(callFields.alias).superRefine(requiredFieldsFor('alias')),
};

const ITEM_EXAMPLE = CALL_EXAMPLES.track.replace('{', '{"type":"track",');

/** One item of a batch: any call, told apart by its `type`. */
export const trackingItemSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('identify'), ...callFields.identify }).superRefine(requiredFieldsFor('identify')),
    z.object({ type: z.literal('track'), ...callFields.track }).superRefine(requiredFieldsFor('track')),
    z.object({ type: z.literal('page'), ...callFields.page }).superRefine(requiredFieldsFor('page')),
    z.object({ type: z.literal('screen'), ...callFields.screen }).superRefine(requiredFieldsFor('screen')),
    z.object({ type: z.literal('group'), ...callFields.group }).superRefine(requiredFieldsFor('group')),
    z.object({ type: z.literal('alias'), ...callFields.alias }).superRefine(requiredFieldsFor('alias')),
  ],
  {
    error: (issue) =>
      isPlainObject(issue.input)
        ? `must be one of ${CALL_TYPE_LIST}`
        : `the item must be a JSON object with a type, e.g. ${ITEM_EXAMPLE}`,
  },
);

/**
 * A batch (`POST /v1/batch` or `/v1/import`). Items are left unparsed here so that one bad item
 * is reported on its own instead of failing the whole batch.
 */
export const batchBodySchema = z.object(
  {
    batch: z
      .array(z.unknown(), { error: `must be an array of calls, e.g. ${BATCH_EXAMPLE}` })
      .min(1, { error: 'is empty: send at least one call' })
      .max(LIMITS.batchItems, {
        error: (issue) => `has ${(issue.input as unknown[]).length} items; the limit is ${LIMITS.batchItems} per batch`,
      }),
    context: jsonObjectSchema,
    integrations: jsonObjectSchema,
    sentAt: dateTimeSchema,
  },
  { error: `the body must be a JSON object like ${BATCH_EXAMPLE}` },
);

/** Turns the first zod issue into "<path> <problem>", e.g. "properties must be an object". */
function describeIssue(error: z.ZodError): string {
  return describeIssues(error, '', { first: true, separator: ' ' }) || 'the body is invalid';
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

/** The UTF-8 size of the value as JSON, which is what Segment's limits count. */
/**
 * Whether a parsed body nests containers deeper than `limit`, found without recursion: a body a
 * few KB long can nest thousands of levels, which would overflow the stack of any recursive walk
 * (JSON.stringify included).
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/** The message for a body or call over Segment's size limit, or undefined when it fits. */
export function bodyTooLarge(bytes: number, kind: 'event' | 'batch'): string | undefined {
  const limit = kind === 'event' ? LIMITS.eventBytes : LIMITS.batchBytes;
  return bytes > limit ? `${kind} is ${bytes} bytes; the limit is ${limit} bytes per ${kind}` : undefined;
}

/** The message for a batch whose items, with the batch's context merged in, exceed LIMITS.storedBatchBytes. */
export function storedBatchTooLarge(bytes: number): string | undefined {
  return bytes > LIMITS.storedBatchBytes
    ? `batch is ${bytes} bytes once its context and integrations are merged into each item; the limit is ${LIMITS.storedBatchBytes} bytes: send fewer items per batch or move context into the items that need it`
    : undefined;
}

// ---------------------------------------------------------------------------------------------
// Normalisation: time, time zone, locale, batch-level defaults
// ---------------------------------------------------------------------------------------------

/**
 * Segment's clock-skew correction: the device's clock may be wrong, but the gap between when it
 * says the event happened and when it says it sent the request is right. So
 * timestamp = receivedAt − (sentAt − originalTimestamp). A result before 2000 or more than a day
 * in the future is a broken clock: we keep receivedAt and flag it.
 */
function correctTimestamp(
  originalTimestamp: Date | undefined,
  sentAt: Date | undefined,
  receivedAt: Date,
): { timestamp: Date; timestampFlag?: 'implausible'; warning?: string } {
  if (!originalTimestamp) return { timestamp: receivedAt };
  const corrected = sentAt
    ? new Date(receivedAt.getTime() - (sentAt.getTime() - originalTimestamp.getTime()))
    : originalTimestamp;
  const plausible =
    corrected.getTime() >= EARLIEST_PLAUSIBLE_TIME && corrected.getTime() <= receivedAt.getTime() + MAX_FUTURE_SKEW_MS;
  if (plausible) return { timestamp: corrected };
  return {
    timestamp: receivedAt,
    timestampFlag: 'implausible',
    warning: 'timestamp is before 2000-01-01 or more than 24 hours after it was received; receivedAt used instead',
  };
}

function quoted(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_QUOTED_LENGTH ? ` ${JSON.stringify(value)}` : '';
}

const MAX_REMEMBERED = 5000;

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= MAX_REMEMBERED) cache.clear();
  cache.set(key, value);
  return value;
}

const canonicalLocales = new Map<string, string | undefined>();

function canonicalLocale(tag: string): string | undefined {
  if (canonicalLocales.has(tag)) return canonicalLocales.get(tag);
  let locale: string | undefined;
  try {
    [locale] = Intl.getCanonicalLocales(tag.replace(/_/g, '-'));
  } catch {
    locale = undefined; // not a language tag
  }
  return remember(canonicalLocales, tag, locale);
}

/** context.timezone if it names an IANA zone, kept as sent (Intl's own canonical names vary by ICU version). */
function readTimezone(context: Record<string, unknown>): { timezone?: string; warning?: string } {
  const value = context.timezone;
  if (notGiven(value)) return {};
  if (typeof value === 'string' && isTimeZone(value)) return { timezone: value };
  return { warning: `context.timezone${quoted(value)} is not an IANA time zone; ignored` };
}

/** context.locale as a canonical BCP 47 tag; Android's "en_US" is read as "en-US". */
function readLocale(context: Record<string, unknown>): { locale?: string; warning?: string } {
  const value = context.locale;
  if (notGiven(value)) return {};
  if (typeof value === 'string') {
    const locale = canonicalLocale(value);
    if (locale) return { locale };
  }
  return { warning: `context.locale${quoted(value)} is not a BCP 47 language tag; ignored` };
}

/** Merges `defaults` under `own`: nested objects merge, anything else in `own` wins whole. */
function deepMerge(defaults: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const merged = new Map<string, unknown>(Object.entries(defaults));
  for (const [key, value] of Object.entries(own)) {
    const base = merged.get(key);
    merged.set(key, isPlainObject(base) && isPlainObject(value) ? deepMerge(base, value) : value);
  }
  return Object.fromEntries(merged);
}

/** What a batch gives every item that lacks its own. */
interface BatchDefaults {
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  sentAt?: Date;
}

/** `own` with the batch's `defaults` merged under it; without defaults, `own` itself (a fresh cleaned object). */
function mergedUnder(defaults: Record<string, unknown> | undefined, own: Record<string, unknown> | undefined) {
  if (defaults === undefined || isEmpty(defaults)) return own ?? {};
  return deepMerge(defaults, own ?? {});
}

function isEmpty(object: Record<string, unknown>): boolean {
  for (const _ in object) return false;
  return true;
}

function toTrackingCall(
  type: CallType,
  fields: CallFields,
  defaults: BatchDefaults,
  receivedAt: Date,
  newMessageId: () => string,
): TrackingCall {
  const context = mergedUnder(defaults.context, fields.context);
  const integrations = mergedUnder(defaults.integrations, fields.integrations);
  const originalTimestamp = fields.timestamp ?? fields.originalTimestamp;
  const sentAt = fields.sentAt ?? defaults.sentAt;
  const time = correctTimestamp(originalTimestamp, sentAt, receivedAt);
  const zone = readTimezone(context);
  const language = readLocale(context);
  const usesProperties = type === 'track' || type === 'page' || type === 'screen';
  const usesTraits = type === 'identify' || type === 'group';

  // Optional fields are left out rather than present-but-undefined, so stored JSON stays tidy;
  // assigned one by one in this order (the order of the stored JSON's keys).
  const call = { type, messageId: fields.messageId ?? newMessageId() } as TrackingCall;
  if (fields.userId !== undefined) call.userId = fields.userId;
  if (fields.anonymousId !== undefined) call.anonymousId = fields.anonymousId;
  if (type === 'track' && fields.event !== undefined) call.event = fields.event;
  if ((type === 'page' || type === 'screen') && fields.name !== undefined) call.name = fields.name;
  if (type === 'page' && fields.category !== undefined) call.category = fields.category;
  if (type === 'group' && fields.groupId !== undefined) call.groupId = fields.groupId;
  if (type === 'alias' && fields.previousId !== undefined) call.previousId = fields.previousId;
  call.properties = (usesProperties && fields.properties) || {};
  call.traits = (usesTraits && fields.traits) || {};
  call.context = context;
  call.integrations = integrations;
  if (originalTimestamp !== undefined) call.originalTimestamp = originalTimestamp;
  if (sentAt !== undefined) call.sentAt = sentAt;
  call.receivedAt = receivedAt;
  call.timestamp = time.timestamp;
  if (time.timestampFlag !== undefined) call.timestampFlag = time.timestampFlag;
  if (zone.timezone !== undefined) call.timezone = zone.timezone;
  if (language.locale !== undefined) call.locale = language.locale;
  const warnings: string[] = [];
  if (time.warning !== undefined) warnings.push(time.warning);
  if (zone.warning !== undefined) warnings.push(zone.warning);
  if (language.warning !== undefined) warnings.push(language.warning);
  call.warnings = warnings;
  return call;
}

// ---------------------------------------------------------------------------------------------
// Fast path: the same rules without zod, for calls that break none
// ---------------------------------------------------------------------------------------------

type FieldRule = (value: unknown) => unknown;
const REFUSED = new Unclean('refused by the fast path');

/**
 * Each field's rule for the fast path: the field's type checked as its schema checks it, then the
 * schema's own reader. Anything the schema would refuse answers Unclean, and the caller then asks
 * the schemas, whose answer (and message) is the one given.
 */
const FAST_RULES = new Map<z.ZodType, FieldRule>([
  [
    identifierSchema,
    (v) => (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? readIdentifier(v) : REFUSED),
  ],
  [messageIdSchema, (v) => (typeof v === 'string' ? readMessageId(v) : REFUSED)],
  [labelSchema, (v) => (typeof v === 'string' ? readLabel(v) : REFUSED)],
  [jsonObjectSchema, readJsonObject],
  [dateTimeSchema, (v) => (typeof v === 'string' ? readDateTime(v) : REFUSED)],
]);

/** Per call type, its fields and their rules; none when a field has no fast rule (the schemas then decide alone). */
const FAST_FIELDS = Object.fromEntries(
  CALL_TYPES.map((type) => {
    const rules = Object.entries(callFields[type]).map(([name, schema]) => [name, FAST_RULES.get(schema)] as const);
    const complete = rules.every(([, rule]) => rule);
    return [
      type,
      complete ? { rules: rules as [string, FieldRule][], names: new Set(Object.keys(callFields[type])) } : undefined,
    ];
  }),
) as Record<CallType, { rules: [string, FieldRule][]; names: ReadonlySet<string> } | undefined>;

/**
 * A call's fields as its schema would parse them, when they break no rule and nothing in the
 * call (a field the schema ignores included) nests deeper than STACK_SAFE_DEPTH; otherwise
 * undefined, and the caller runs the zod path for the answer. Several times faster than zod.
 * Exported for its test, which holds it to the schemas' answers.
 */
export function fastCallFields(type: CallType, body: Record<string, unknown>): CallFields | undefined {
  const fast = FAST_FIELDS[type];
  if (!fast) return undefined;
  const fields: Record<string, unknown> = {};
  let known = 0;
  for (const [name, rule] of fast.rules) {
    const raw = body[name];
    if (raw === undefined) continue;
    known++;
    if (raw === null) continue;
    const value = rule(raw);
    if (value instanceof Unclean) return undefined;
    if (value !== undefined) fields[name] = value;
  }
  // Fields the schema ignores are not read, but the whole call must still nest within the limit.
  const keys = Object.keys(body);
  if (keys.length !== known) {
    for (const key of keys) {
      if (fast.names.has(key)) continue;
      const value = body[key];
      if (typeof value === 'object' && value !== null && nestedDeeperThan(value, STACK_SAFE_DEPTH - 1))
        return undefined;
    }
  }
  let complete = true;
  checkRequiredFields(type, fields, () => {
    complete = false;
  });
  return complete ? fields : undefined;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

function isCallType(value: unknown): value is CallType {
  return (CALL_TYPES as readonly unknown[]).includes(value);
}

/** One call from `POST /v1/<type>`; a `type` in the body is ignored, as Segment does. */
export function parseSingle(
  type: CallType,
  body: unknown,
  receivedAt: Date,
  newMessageId: () => string,
): { ok: true; call: TrackingCall; bytes: number } | Failure {
  if (!isCallType(type)) return { ok: false, reason: `call type must be one of ${CALL_TYPE_LIST}` };
  if (!isPlainObject(body)) {
    return {
      ok: false,
      reason: `the body must be a JSON object with the ${type} call's fields, e.g. ${CALL_EXAMPLES[type]}`,
    };
  }
  const fast = fastCallFields(type, body);
  if (fast) {
    const bytes = jsonBytes(body);
    if (bytes <= LIMITS.eventBytes)
      return { ok: true, call: toTrackingCall(type, fast, {}, receivedAt, newMessageId), bytes };
  }
  if (nestedDeeperThan(body, STACK_SAFE_DEPTH))
    return { ok: false, reason: `the event is nested deeper than ${LIMITS.maxDepth} levels` };
  const bytes = jsonBytes(body);
  const tooLarge = bodyTooLarge(bytes, 'event');
  if (tooLarge) return { ok: false, reason: tooLarge };

  const parsed = callSchemas[type].safeParse(body);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  return { ok: true, call: toTrackingCall(type, parsed.data, {}, receivedAt, newMessageId), bytes };
}

/**
 * A batch from `POST /v1/batch` or `/v1/import`. A malformed envelope fails as a whole; a bad
 * item is listed in `rejected` by index while the good ones are kept.
 */
export function parseBatch(
  body: unknown,
  receivedAt: Date,
  newMessageId: () => string,
): { ok: true; result: ParseResult } | Failure {
  const envelope = batchBodySchema.safeParse(body);
  if (!envelope.success) return { ok: false, reason: describeIssue(envelope.error) };

  const { batch, ...defaults } = envelope.data;
  const sizes = {
    context: defaults.context && Object.keys(defaults.context).length > 0 ? jsonBytes(defaults.context) : 0,
    integrations:
      defaults.integrations && Object.keys(defaults.integrations).length > 0 ? jsonBytes(defaults.integrations) : 0,
  };
  const result: ParseResult = { calls: [], rejected: [], storedBytes: 0 };
  batch.forEach((item, index) => {
    const parsed = parseBatchItem(item, defaults, sizes, receivedAt, newMessageId);
    if (parsed.ok) {
      result.calls.push(parsed.call);
      result.storedBytes += parsed.bytes;
    } else result.rejected.push({ index, reason: parsed.reason });
  });
  return { ok: true, result };
}

type CheckedItem = { ok: true; type: CallType; fields: CallFields; ownBytes: number };

/** A batch item that breaks no rule, without zod; undefined for anything else (zodItem then answers). */
function fastItem(item: unknown): CheckedItem | undefined {
  if (!isPlainObject(item) || !isCallType(item.type)) return undefined;
  const fields = fastCallFields(item.type, item);
  if (!fields) return undefined;
  const ownBytes = jsonBytes(item);
  return ownBytes > LIMITS.eventBytes ? undefined : { ok: true, type: item.type, fields, ownBytes };
}

function zodItem(item: unknown): CheckedItem | Failure {
  if (nestedDeeperThan(item, STACK_SAFE_DEPTH))
    return { ok: false, reason: `the event is nested deeper than ${LIMITS.maxDepth} levels` };
  // First as the client sent it (cheap, and refuses most oversize items before parsing)…
  const ownBytes = jsonBytes(item);
  const tooLarge = bodyTooLarge(ownBytes, 'event');
  if (tooLarge) return { ok: false, reason: tooLarge };

  const parsed = trackingItemSchema.safeParse(item);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
  const { type, ...fields } = parsed.data;
  return { ok: true, type, fields, ownBytes };
}

function parseBatchItem(
  item: unknown,
  defaults: BatchDefaults,
  defaultSizes: { context: number; integrations: number },
  receivedAt: Date,
  newMessageId: () => string,
): { ok: true; call: TrackingCall; bytes: number } | Failure {
  const checked = fastItem(item) ?? zodItem(item);
  if (!checked.ok) return checked;
  const { type, fields, ownBytes } = checked;
  const call = toTrackingCall(type, fields, defaults, receivedAt, newMessageId);
  // …then as it will be stored: the batch's context and integrations are copied into every item.
  let bytes = ownBytes;
  if (defaultSizes.context > 0) bytes += jsonBytes(call.context) - jsonBytes(fields.context ?? {});
  if (defaultSizes.integrations > 0) bytes += jsonBytes(call.integrations) - jsonBytes(fields.integrations ?? {});
  if (bytes > LIMITS.eventBytes) {
    return {
      ok: false,
      reason: `event is ${bytes} bytes once the batch's context and integrations are merged in; the limit is ${LIMITS.eventBytes} bytes per event: send less batch-level context`,
    };
  }
  return { ok: true, call, bytes };
}

/** Segment lets clients put the write key in the body instead of the Authorization header. */
export const writeKeyInBodySchema = z.object({
  writeKey: z
    .string()
    .refine((key) => key.trim() !== '')
    .optional()
    .describe("the source's write key, when it is not sent as the HTTP Basic user name"),
});

export function writeKeyFromBody(body: unknown): string | undefined {
  if (!isPlainObject(body)) return undefined;
  const parsed = writeKeyInBodySchema.safeParse(body);
  return parsed.success ? parsed.data.writeKey : undefined;
}
