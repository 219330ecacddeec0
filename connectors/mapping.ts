import { z } from 'zod';
import type { RejectedRecord } from '../domain/commerce';
import { instantAt } from '../domain/local-time';
import { describeIssues } from '../domain/validation';

export { describeIssues };

/**
 * Small pieces every connector's mapping to canonical records uses, written once. Rejections state
 * the field and the rule: zod's messages name the rule and the type received, never the value.
 */

export type Mapped<T> = { ok: true; record: T } | { ok: false; rejected: RejectedRecord };

/** Optional fields are left out rather than set to undefined, so records compare and store cleanly. */
export function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Trimmed text, or undefined when there is none. */
export function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The mapped record against the canonical schema: a mapping bug shows up as a named rejection, not bad data. */
export function checked<T extends { externalId: string }>(schema: z.ZodType<T>, record: T): Mapped<T> {
  const result = schema.safeParse(record);
  if (result.success) return { ok: true, record: result.data };
  return { ok: false, rejected: { externalId: record.externalId, reason: describeIssues(result.error, 'record') } };
}

/**
 * A vendor's ISO 8601 time ("2025-05-09T14:03:00+09:00", "…Z") as the instant it names, or undefined
 * when it does not match `pattern` (groups: year, month, day, hour, minute, second?, fraction?, zone)
 * or is not a real calendar time between `years` (a year before the vendor existed is a broken value).
 */
export function parseVendorTime(
  text: string,
  pattern: RegExp,
  years: { earliest: number; latest: number },
): Date | undefined {
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < years.earliest || year > years.latest || hour > 23 || minute > 59 || second > 59) return undefined;
  const wallClock = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 30 February over to March; a calendar date must come back unchanged.
  if (wallClock.getUTCMonth() !== month - 1 || wallClock.getUTCDate() !== day) return undefined;
  const digits = zone.replace(':', '');
  const offsetMinutes =
    zone === 'Z'
      ? 0
      : (digits.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  const milliseconds = fraction === '' ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  return new Date(wallClock.getTime() - offsetMinutes * 60_000 + milliseconds);
}

/** A zod field for a vendor time: the instant, or a rejection stating `rule` (never the value). */
export function vendorTime(parse: (text: string) => Date | undefined, rule: string) {
  return z.string({ error: rule }).transform((text, ctx) => {
    const instant = parse(text);
    if (instant === undefined) {
      ctx.issues.push({ code: 'custom', message: rule, input: text });
      return z.NEVER;
    }
    return instant;
  });
}

const INSTANT = z.iso.datetime({ offset: true });

/** An ISO 8601 instant with an offset (a pass's `since`, a cursor's time) as a Date; a RangeError naming `what` otherwise. */
export function parseInstant(text: string, what: string): Date {
  const ms = INSTANT.safeParse(text).success ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new RangeError(`${what} must be an ISO 8601 instant with an offset, e.g. 2025-05-09T05:03:00Z`);
  return new Date(ms);
}

/** A connector's `syncFrom` setting: an instant as written, or a date at midnight in `timeZone`. */
export function syncFromInstant(syncFrom: string, timeZone: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(syncFrom)) return parseInstant(syncFrom, 'syncFrom');
  const midnight = instantAt(syncFrom, '00:00', timeZone);
  if (!midnight.ok) throw new RangeError(`syncFrom: ${midnight.reason}`);
  return midnight.instant;
}

/** The instant cut to its whole second (vendors' time filters take seconds). */
export const wholeSecond = (instant: Date): Date => new Date(Math.floor(instant.getTime() / 1000) * 1000);
