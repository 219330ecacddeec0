import type { z } from 'zod';
import {
  CanonicalCustomer,
  CanonicalOrder,
  type EmailMarketingState,
  type OrderStatus,
  type RejectedRecord,
} from '../../domain/commerce';
import { isCountryCode } from '../../domain/countries';
import { normaliseName } from '../../domain/identifiers';
import { instantAt, localParts } from '../../domain/local-time';
import { type CurrencyCode, isCurrency, minorUnits, parseAmount, unknownCurrencyReason } from '../../domain/money';
import { checked, Mapped, present } from '../mapping';

/**
 * One row of a CRM/POS export to a canonical customer or order, through the import's column
 * mapping. A row that cannot be mapped comes back as a rejection "row N: <field>: <rule>" naming the
 * canonical field and the rule broken, never the value in it (it may be personal data).
 *
 * Values are read through `SourceRow`, so CSV cells (strings) and JSONL values (any JSON) share one
 * mapping. An empty string, null or a missing key is "no value".
 */

export const CUSTOMER_FIELDS = [
  'externalId',
  'email',
  'phone',
  'firstName',
  'lastName',
  'countryCode',
  'locale',
  'createdAt',
  'updatedAt',
  'emailMarketing',
] as const;
export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

export const ORDER_FIELDS = [
  'externalId',
  'orderNumber',
  'customerExternalId',
  'email',
  'phone',
  'currency',
  'total',
  'subtotal',
  'tax',
  'placedAt',
  'status',
  'financialStatus',
  'countryCode',
  'lineItemCount',
  'updatedAt',
] as const;
export type OrderField = (typeof ORDER_FIELDS)[number];

/** Fields a mapping must name; an order also needs a currency, from a column or the settings' default. */
export const REQUIRED_FIELDS = {
  customers: ['externalId'],
  orders: ['externalId', 'placedAt', 'total'],
} as const satisfies Record<'customers' | 'orders', readonly string[]>;

/**
 * How local dates are written. ISO 8601 forms (2025-05-09 14:03, 2025-05-09T14:03:00+09:00) are read
 * under every hint except that 'iso' reads nothing else. Without a hint, and with 'ymd', year-first
 * dates with slashes or dots and one-digit months, days and hours are read too (2025/5/9 9:03, as
 * Excel writes them in Japan and China). 'mdy' and 'dmy' add month-first (5/9/2025 2:03 PM) or
 * day-first (9.5.2025 14:03) dates, which cannot be told apart without the hint.
 */
export const DATE_FORMATS = ['iso', 'ymd', 'mdy', 'dmy'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export interface MappingContext {
  sourceId: string;
  /** IANA zone of times written without an offset; required for orders. */
  timeZone?: string;
  /** Default ISO 4217 currency for rows without one. */
  currency?: string;
  /** Default ISO alpha-2 country for rows without one. */
  country?: string;
  dateFormat?: DateFormat;
  /**
   * When the export was written (the file's modification time, as a UTC ISO instant): a customer's
   * createdAt when the file gives neither createdAt nor updatedAt. Fixed for the whole import.
   */
  exportedAt: string;
}

/** The value of the column or key mapped to a canonical field; undefined when the field is not mapped. */
export type SourceRow = (field: string) => unknown;

export type { Mapped };

// Before 1970 is an export's placeholder (Excel's 1900 epoch, a zero date), not a real record time.
const EARLIEST_YEAR = 1970;
const LATEST_YEAR = 9998;

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

export function mapFileCustomer(get: SourceRow, row: number, ctx: MappingContext): Mapped<CanonicalCustomer> {
  const issues = new Issues(row);
  const externalId = requiredText(issues, 'externalId', get('externalId'));
  const createdAt = timeField(issues, 'createdAt', get('createdAt'), ctx, { dateOnly: true });
  const updatedAt = timeField(issues, 'updatedAt', get('updatedAt'), ctx, { dateOnly: true });
  const record: CanonicalCustomer = {
    sourceId: ctx.sourceId,
    externalId: externalId ?? '',
    ...present('email', textField(issues, 'email', get('email'))),
    ...present('phone', textField(issues, 'phone', get('phone'))),
    ...present('firstName', nameField(issues, 'firstName', get('firstName'))),
    ...present('lastName', nameField(issues, 'lastName', get('lastName'))),
    ...present('countryCode', countryField(issues, 'countryCode', get('countryCode'), ctx.country)),
    ...present('locale', localeField(issues, 'locale', get('locale'))),
    // A customer's times, when the file has none, are the export's: the state it shows is as of then.
    createdAt: createdAt ?? updatedAt ?? ctx.exportedAt,
    updatedAt: updatedAt ?? createdAt ?? ctx.exportedAt,
    ...present('emailMarketing', emailMarketingField(issues, 'emailMarketing', get('emailMarketing'))),
  };
  if (issues.any()) return issues.rejected(externalId);
  return checkedRow(CanonicalCustomer, record, row);
}

/** Consent as exports write it; "no" is not_subscribed (never asked or declined), not unsubscribed (opted out). */
const EMAIL_MARKETING: Readonly<Record<string, EmailMarketingState>> = {
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  not_subscribed: 'not_subscribed',
  pending: 'pending',
  yes: 'subscribed',
  y: 'subscribed',
  true: 'subscribed',
  '1': 'subscribed',
  no: 'not_subscribed',
  n: 'not_subscribed',
  false: 'not_subscribed',
  '0': 'not_subscribed',
};

function emailMarketingField(issues: Issues, field: string, value: unknown): EmailMarketingState | undefined {
  const written = typeof value === 'boolean' ? String(value) : textField(issues, field, value);
  if (written === undefined) return undefined;
  const state = EMAIL_MARKETING[written.toLowerCase().replace(/[\s-]+/g, '_')];
  if (state === undefined) {
    issues.add(field, 'must be subscribed, unsubscribed, not_subscribed, pending, yes/no, true/false or 1/0');
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

export function mapFileOrder(get: SourceRow, row: number, ctx: MappingContext): Mapped<CanonicalOrder> {
  const timeZone = ctx.timeZone;
  // The same for every row: a settings error (the settings schema requires it), not a bad row.
  if (timeZone === undefined) throw new RangeError('an order import needs the timeZone of the export');
  const issues = new Issues(row);
  const externalId = requiredText(issues, 'externalId', get('externalId'));
  const currency = currencyField(issues, get('currency'), ctx.currency);
  const total = amountField(issues, 'total', get('total'), currency, true);
  const subtotal = amountField(issues, 'subtotal', get('subtotal'), currency, false);
  const tax = amountField(issues, 'tax', get('tax'), currency, false);
  const placedAt = timeField(issues, 'placedAt', get('placedAt'), ctx, { dateOnly: false, required: true });
  const updatedAt = timeField(issues, 'updatedAt', get('updatedAt'), ctx, { dateOnly: false });
  const status = statusField(issues, get('status'));
  const financialStatus = textField(issues, 'financialStatus', get('financialStatus'));
  const optional = {
    ...present('orderNumber', textField(issues, 'orderNumber', get('orderNumber'))),
    ...present('customerExternalId', textField(issues, 'customerExternalId', get('customerExternalId'))),
    ...present('email', textField(issues, 'email', get('email'))),
    ...present('phone', textField(issues, 'phone', get('phone'))),
    ...present('subtotalMinor', subtotal),
    ...present('taxMinor', tax),
    // "refunded" as an order status is a financial state: kept there unless the file has its own.
    ...present('financialStatus', financialStatus ?? status?.financialStatus),
    ...present('countryCode', countryField(issues, 'countryCode', get('countryCode'), ctx.country)),
  };
  const lineItemCount = lineItemCountField(issues, get('lineItemCount'));
  if (
    issues.any() ||
    externalId === undefined ||
    currency === undefined ||
    total === undefined ||
    placedAt === undefined
  ) {
    return issues.rejected(externalId);
  }
  const local = localParts(new Date(placedAt), timeZone);
  const record: CanonicalOrder = {
    sourceId: ctx.sourceId,
    externalId,
    ...optional,
    currency,
    totalMinor: total,
    placedAt,
    timeZone,
    localDate: local.date,
    localHour: local.hour,
    status: status?.status ?? 'open',
    // Unknown when not mapped: 0 claims no items rather than inventing one.
    lineItemCount: lineItemCount ?? 0,
    updatedAt: updatedAt ?? placedAt,
  };
  return checkedRow(CanonicalOrder, record, row);
}

/**
 * Exports name states many ways. Completed, fulfilled and refunded orders are closed (they
 * happened); voided ones are cancelled.
 */
const ORDER_STATUS: Readonly<Record<string, OrderStatus>> = {
  open: 'open',
  pending: 'open',
  closed: 'closed',
  completed: 'closed',
  complete: 'closed',
  fulfilled: 'closed',
  refunded: 'closed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  void: 'cancelled',
  voided: 'cancelled',
};

function statusField(issues: Issues, value: unknown): { status: OrderStatus; financialStatus?: string } | undefined {
  const written = textField(issues, 'status', value)?.toLowerCase();
  if (written === undefined) return undefined;
  const status = ORDER_STATUS[written];
  if (status === undefined) {
    issues.add('status', 'must be open, closed, completed, fulfilled, refunded, cancelled (or canceled) or voided');
    return undefined;
  }
  return written === 'refunded' ? { status, financialStatus: 'refunded' } : { status };
}

function currencyField(issues: Issues, value: unknown, fallback: string | undefined): CurrencyCode | undefined {
  const written = textField(issues, 'currency', value);
  if (written === undefined) {
    if (fallback !== undefined && isCurrency(fallback)) return fallback;
    issues.add('currency', 'is empty and the import sets no default currency');
    return undefined;
  }
  // The code is quoted only when it looks like one: this column should never carry anything else.
  if (!/^[A-Za-z]{3}$/.test(written)) {
    issues.add('currency', 'must be a three-letter ISO 4217 code such as JPY');
    return undefined;
  }
  const code = written.toUpperCase();
  if (!isCurrency(code)) {
    issues.add('currency', unknownCurrencyReason(code));
    return undefined;
  }
  return code;
}

/** Decimal amounts in currency units ("3960" JPY, "19.99" EUR) to minor units, exactly. */
function amountField(
  issues: Issues,
  field: string,
  value: unknown,
  currency: string | undefined,
  required: boolean,
): string | undefined {
  if (isEmpty(value)) {
    if (required) issues.add(field, 'is required: the mapped column is empty');
    return undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    issues.add(field, 'must be a decimal amount such as 1234.50, not a list, object or true/false');
    return undefined;
  }
  if (currency === undefined) return undefined; // already rejected for its currency
  const amount = parseAmount(value, currency);
  if (amount.ok) return amount.minor.toString();
  // parseAmount's reasons quote the amount; a mis-mapped column could put anything there.
  if (typeof value === 'string' && value.includes(',')) {
    issues.add(
      field,
      'contains a comma: write amounts without thousands separators and with a dot for decimals (e.g. 1234.50)',
    );
  } else if (/decimal places/.test(amount.reason)) {
    issues.add(field, `has more decimal places than ${currency} has (${minorUnits(currency)})`);
  } else if (typeof value === 'number') {
    issues.add(field, 'is a number that cannot be read exactly: write it as a decimal string');
  } else {
    issues.add(
      field,
      'must be a decimal amount such as 1234.50 (digits, an optional sign and a dot; no currency symbol)',
    );
  }
  return undefined;
}

function lineItemCountField(issues: Issues, value: unknown): number | undefined {
  // A JSONL export may hold the line items themselves.
  if (Array.isArray(value)) return value.length;
  const written = textField(issues, 'lineItemCount', value);
  if (written === undefined) return undefined;
  if (!/^\d{1,9}$/.test(written)) {
    issues.add('lineItemCount', 'must be a whole number of line items (0 or more)');
    return undefined;
  }
  return Number(written);
}

// ---------------------------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------------------------

type WrittenTime =
  | { kind: 'instant'; instant: Date }
  | { kind: 'local'; date: string; time: string; milliseconds: number; dateOnly: boolean }
  | { kind: 'out-of-range' };

// 2025-05-09T14:03:00+09:00, 2025-05-09 14:03Z, 2025-05-09T14:03:00.123+0900
const WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)? ?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
// 2025-05-09, 2025-05-09 14:03, 2025-05-09T14:03:00.5
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$/;
// 2025/5/9 9:03, 2025.05.09 09:03:00, 2025-5-9
const YMD_LOCAL = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:(?:T| +)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$/;
// 5/9/2025 2:03 PM, 09.05.2025 14:03:00
const DAY_MONTH_LOCAL = /^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?: +(\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?)?$/;

function timeRule(hint: DateFormat | undefined): string {
  switch (hint) {
    case 'iso':
      return 'must be an ISO 8601 date and time such as 2025-05-09T14:03:00 or 2025-05-09T14:03:00+09:00';
    case 'mdy':
      return 'must be a date and time such as 05/09/2025 14:03 (month first) or 2025-05-09T14:03:00+09:00';
    case 'dmy':
      return 'must be a date and time such as 09/05/2025 14:03 (day first) or 2025-05-09T14:03:00+09:00';
    default:
      return 'must be a date and time such as 2025-05-09 14:03, 2025/05/09 14:03 or 2025-05-09T14:03:00+09:00';
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The parts of a written time, checked as a calendar date and a 24-hour clock; undefined when they are not. */
function fromParts(
  year: number,
  month: number,
  day: number,
  time: { hour: number; minute: number; second: number; fraction: string } | undefined,
): { date: string; time: string; milliseconds: number; dateOnly: boolean } | 'out-of-range' | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (time && (time.hour > 23 || time.minute > 59 || time.second > 59)) return undefined;
  if (year < EARLIEST_YEAR || year > LATEST_YEAR) return 'out-of-range';
  return {
    date: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    time: time ? `${pad(time.hour)}:${pad(time.minute)}:${pad(time.second)}` : '00:00:00',
    milliseconds: time?.fraction ? Math.floor(Number(`0${time.fraction}`) * 1000) : 0,
    dateOnly: time === undefined,
  };
}

function readTime(text: string, hint: DateFormat | undefined): WrittenTime | undefined {
  let match = WITH_OFFSET.exec(text);
  if (match) {
    const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = match;
    const parts = fromParts(Number(y), Number(mo), Number(d), {
      hour: Number(h),
      minute: Number(mi),
      second: Number(s),
      fraction,
    });
    if (parts === undefined) return undefined;
    if (parts === 'out-of-range') return { kind: 'out-of-range' };
    const digits = zone.toUpperCase() === 'Z' ? '' : zone.slice(1).replace(':', '');
    const offsetMinutes =
      digits === ''
        ? 0
        : (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
    if (Math.abs(offsetMinutes) > 18 * 60) return undefined;
    const wallClock = Date.parse(`${parts.date}T${parts.time}Z`);
    return { kind: 'instant', instant: new Date(wallClock - offsetMinutes * 60_000 + parts.milliseconds) };
  }

  let parts: ReturnType<typeof fromParts>;
  if (hint === 'iso') {
    match = ISO_LOCAL.exec(text);
    if (!match) return undefined;
    const [, y, mo, d, h, mi, s = '0', fraction = ''] = match;
    parts = fromParts(
      Number(y),
      Number(mo),
      Number(d),
      h === undefined ? undefined : { hour: Number(h), minute: Number(mi), second: Number(s), fraction },
    );
  } else if ((match = YMD_LOCAL.exec(text))) {
    const [, y, , mo, d, h, mi, s = '0', fraction = ''] = match;
    parts = fromParts(
      Number(y),
      Number(mo),
      Number(d),
      h === undefined ? undefined : { hour: Number(h), minute: Number(mi), second: Number(s), fraction },
    );
  } else if ((hint === 'mdy' || hint === 'dmy') && (match = DAY_MONTH_LOCAL.exec(text))) {
    const [, first, , second, y, h, mi, s = '0', meridiem] = match;
    const [month, day] = hint === 'mdy' ? [Number(first), Number(second)] : [Number(second), Number(first)];
    let hour = Number(h);
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
    }
    parts = fromParts(
      Number(y),
      month,
      day,
      h === undefined ? undefined : { hour, minute: Number(mi), second: Number(s), fraction: '' },
    );
  } else {
    return undefined;
  }
  if (parts === undefined) return undefined;
  if (parts === 'out-of-range') return { kind: 'out-of-range' };
  return { kind: 'local', ...parts };
}

/**
 * A time column as a UTC ISO instant. With an offset or Z it names an instant; without, it is the
 * wall clock in the import's time zone — a time that happens twice (clocks go back) is the earlier,
 * one skipped by clocks going forward moves forward by the jump; neither is rejected.
 */
function timeField(
  issues: Issues,
  field: string,
  value: unknown,
  ctx: MappingContext,
  rules: { dateOnly: boolean; required?: boolean },
): string | undefined {
  const written = textField(issues, field, value);
  if (written === undefined) {
    if (rules.required && !issues.has(field)) issues.add(field, 'is required: the mapped column is empty');
    return undefined;
  }
  const time = readTime(written, ctx.dateFormat);
  if (time === undefined) {
    issues.add(field, timeRule(ctx.dateFormat));
    return undefined;
  }
  if (time.kind === 'out-of-range') {
    issues.add(
      field,
      `must be a time between ${EARLIEST_YEAR} and ${LATEST_YEAR} (earlier dates are placeholders, not real times)`,
    );
    return undefined;
  }
  if (time.kind === 'instant') return time.instant.toISOString();
  if (time.dateOnly && !rules.dateOnly) {
    issues.add(field, 'must include a time of day, e.g. 2025-05-09 14:03');
    return undefined;
  }
  if (ctx.timeZone === undefined) {
    issues.add(field, 'has no UTC offset and the import sets no timeZone: set timeZone, or write times with an offset');
    return undefined;
  }
  const at = instantAt(time.date, time.time, ctx.timeZone, 'earlier');
  if (!at.ok) {
    // Only a date or time instantAt cannot read gets here, and fromParts has checked both.
    issues.add(field, timeRule(ctx.dateFormat));
    return undefined;
  }
  return new Date(at.instant.getTime() + time.milliseconds).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Text, names, countries, locales
// ---------------------------------------------------------------------------------------------

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A single value as trimmed text; numbers are accepted (IDs, phone numbers) when JSON kept them exact. */
function textField(issues: Issues, field: string, value: unknown): string | undefined {
  if (isEmpty(value)) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      issues.add(field, 'is a number too large to be exact: write it as a string');
      return undefined;
    }
    return String(value);
  }
  issues.add(
    field,
    typeof value === 'boolean' ? 'must be text, not true/false' : 'must be a single value, not a list or an object',
  );
  return undefined;
}

function requiredText(issues: Issues, field: string, value: unknown): string | undefined {
  const text = textField(issues, field, value);
  if (text === undefined && !issues.has(field)) issues.add(field, 'is required: the mapped column is empty');
  return text;
}

/** Names in any script, NFC-composed with layout whitespace collapsed. */
function nameField(issues: Issues, field: string, value: unknown): string | undefined {
  const text = textField(issues, field, value);
  if (text === undefined) return undefined;
  const name = normaliseName(text);
  return name === '' ? undefined : name;
}

function countryField(issues: Issues, field: string, value: unknown, fallback: string | undefined): string | undefined {
  const text = textField(issues, field, value);
  if (text === undefined) return fallback;
  const code = text.toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !isCountryCode(code)) {
    issues.add(field, 'must be an ISO 3166-1 alpha-2 country code such as JP');
    return undefined;
  }
  return code;
}

// A file has a handful of locales in a million rows; Intl takes microseconds per call.
const canonicalLocales = new Map<string, string | null>();
const MAX_REMEMBERED_LOCALES = 1000;

/** BCP 47 tags in their canonical case (ja-jp → ja-JP); exports often write ja_JP. */
function localeField(issues: Issues, field: string, value: unknown): string | undefined {
  const text = textField(issues, field, value);
  if (text === undefined) return undefined;
  let canonical = canonicalLocales.get(text);
  if (canonical === undefined) {
    try {
      canonical = Intl.getCanonicalLocales(text.replace(/_/g, '-'))[0] ?? null;
    } catch {
      canonical = null;
    }
    if (canonicalLocales.size >= MAX_REMEMBERED_LOCALES) canonicalLocales.clear();
    canonicalLocales.set(text, canonical);
  }
  if (canonical === null) issues.add(field, 'must be a language tag such as ja-JP');
  return canonical ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Small pieces
// ---------------------------------------------------------------------------------------------

/** The problems of one row, reported together: "row 7: placedAt: …; total: …". */
class Issues {
  private readonly list: string[] = [];
  private readonly fields = new Set<string>();
  constructor(private readonly row: number) {}

  add(field: string, rule: string): void {
    this.fields.add(field);
    this.list.push(`${field}: ${rule}`);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  any(): boolean {
    return this.list.length > 0;
  }

  rejected(externalId: string | undefined): { ok: false; rejected: RejectedRecord } {
    const reason = `row ${this.row}: ${this.list.join('; ')}`;
    return { ok: false, rejected: externalId ? { externalId, reason } : { reason } };
  }
}

/** The mapped record against the canonical schema: a mapping bug shows up as a named rejection, not bad data. */
function checkedRow<T extends { externalId: string }>(schema: z.ZodType<T>, record: T, row: number): Mapped<T> {
  const result = checked(schema, record);
  return result.ok
    ? result
    : { ok: false, rejected: { ...result.rejected, reason: `row ${row}: ${result.rejected.reason}` } };
}

/** The rejection of a row that could not be read at all (wrong encoding, broken CSV, not JSON). */
export function unreadableRow(row: number, rule: string): RejectedRecord {
  return { reason: `row ${row}: ${rule}` };
}
