/**
 * Local wall-clock time in IANA time zones: which local date and hour an instant falls on where a
 * source is (an order's business date decides its FX rate), and which instant a local time names
 * (a journey sends at 10:00 local time). Times are stored as UTC instants plus the source's zone
 * (DESIGN.md), so these answers are exact, daylight saving included.
 *
 * Pure and deterministic, so workflows can import it: nothing here reads the clock or the machine's
 * time zone; every answer comes from the arguments and Intl's time zone data.
 */

/** ISO weekday: Monday = 1 … Sunday = 7. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  /** 0–23; midnight is 0, never 24. */
  hour: number;
  minute: number;
  second: number;
  weekday: IsoWeekday;
  /** Local time minus UTC in minutes: 120 for Berlin in summer, −180 for São Paulo, 345 for Kathmandu. */
  offsetMinutes: number;
}

/** What to do with a local time that happens twice (clocks go back): take the first, the second, or refuse. */
export type Disambiguation = 'earlier' | 'later' | 'reject';

export type InstantAtResult = { ok: true; instant: Date; adjusted?: 'skipped-gap' } | { ok: false; reason: string };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
// Local dates are written YYYY-MM-DD; these bounds keep every local date (offsets stay under a day) in 0001–9999.
const EARLIEST_INSTANT_MS = Date.parse('0001-01-02T00:00:00Z');
const LATEST_INSTANT_MS = Date.parse('9999-12-31T00:00:00Z');
const MAX_REMEMBERED = 5000;

// Building an Intl.DateTimeFormat is slow and the same few zones come back all the time: one per
// zone, remembered, and `null` remembered for names that are not zones.
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const known = formatters.get(timeZone);
  if (known !== undefined) return known;
  let formatter: Intl.DateTimeFormat | null = null;
  // Node 20 rejects "+05:00" but later V8s accept offsets; they are not IANA zones either way.
  if (typeof timeZone === 'string' && !/^[+-]/.test(timeZone)) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        calendar: 'gregory',
        numberingSystem: 'latn',
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      formatter = null;
    }
  }
  if (formatters.size >= MAX_REMEMBERED) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
}

function unknownZone(timeZone: string): string {
  return `${JSON.stringify(timeZone)} is not an IANA time zone: use a name such as Europe/Berlin`;
}

function requireFormatter(timeZone: string): Intl.DateTimeFormat {
  const formatter = formatterFor(timeZone);
  if (!formatter) throw new RangeError(unknownZone(timeZone));
  return formatter;
}

/** True for an IANA zone name such as "Europe/Berlin" or "UTC"; false for offsets like "+05:00". */
export function isTimeZone(name: string): boolean {
  return formatterFor(name) !== null;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock written as if it were UTC, in ms: lets wall clocks and instants be compared and subtracted. */
function wallClockMs(clock: WallClock): number {
  const at = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  at.setUTCFullYear(clock.year, clock.month - 1, clock.day);
  at.setUTCHours(clock.hour, clock.minute, clock.second, 0);
  return at.getTime();
}

function readWallClock(formatter: Intl.DateTimeFormat, instantMs: number): WallClock {
  const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter.formatToParts(instantMs)) {
    if (part.type in clock) clock[part.type as keyof WallClock] = Number(part.value);
  }
  // Some engines print midnight as 24:00 even with hourCycle h23; the date is already the new day.
  if (clock.hour === 24) clock.hour = 0;
  return clock;
}

function floorToSecond(ms: number): number {
  return ms - (((ms % 1000) + 1000) % 1000);
}

/**
 * Local minus UTC in ms, for an instant in whole seconds; historical local mean time has offsets with
 * seconds (Berlin before 1893: +0:53:28).
 */
function offsetMsAt(formatter: Intl.DateTimeFormat, instantMs: number): number {
  return wallClockMs(readWallClock(formatter, instantMs)) - instantMs;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function formatDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function isoWeekday(year: number, month: number, day: number): IsoWeekday {
  const sundayIsZero = new Date(wallClockMs({ year, month, day, hour: 0, minute: 0, second: 0 })).getUTCDay();
  return (sundayIsZero === 0 ? 7 : sundayIsZero) as IsoWeekday;
}

/** The local date, time, weekday and offset of an instant in a zone. Throws RangeError for an unknown zone. */
export function localParts(instant: Date, timeZone: string): LocalParts {
  const formatter = requireFormatter(timeZone);
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('instant is an invalid Date: pass a Date built from a valid time');
  if (ms < EARLIEST_INSTANT_MS || ms >= LATEST_INSTANT_MS) {
    throw new RangeError(`instant ${instant.toISOString()} is outside the years 0001–9999 that local dates cover`);
  }
  const clock = readWallClock(formatter, ms);
  // The wall clock drops milliseconds; drop them from the instant too, or UTC's offset would come out as −0.
  const offsetMs = wallClockMs(clock) - floorToSecond(ms);
  return {
    date: formatDate(clock.year, clock.month, clock.day),
    hour: clock.hour,
    minute: clock.minute,
    second: clock.second,
    weekday: isoWeekday(clock.year, clock.month, clock.day),
    // Whole minutes for every zone today; only local mean time before ~1900 had seconds.
    offsetMinutes: Math.round(offsetMs / MINUTE_MS),
  };
}

/** YYYY-MM-DD of an instant in a zone. */
export function localDate(instant: Date, timeZone: string): string {
  return localParts(instant, timeZone).date;
}

/** Hour 0–23 of an instant in a zone. */
export function localHour(instant: Date, timeZone: string): number {
  return localParts(instant, timeZone).hour;
}

/**
 * The local business date of an instant: the local date, except that a business day may start after
 * midnight. With `dayStartsAtHour` 4, a sale at 02:30 local time counts on the previous day.
 */
export function businessDate(instant: Date, timeZone: string, dayStartsAtHour = 0): string {
  if (!Number.isInteger(dayStartsAtHour) || dayStartsAtHour < 0 || dayStartsAtHour > 23) {
    throw new RangeError(`dayStartsAtHour must be a whole hour from 0 to 23, got ${dayStartsAtHour}`);
  }
  const local = localParts(instant, timeZone);
  return local.hour < dayStartsAtHour ? addLocalDays(local.date, -1) : local.date;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function parseLocalDate(text: string): { year: number; month: number; day: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function parseLocalTime(text: string): { hour: number; minute: number; second: number } | undefined {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return undefined;
  const [hour, minute, second] = [Number(match[1]), Number(match[2]), Number(match[3] ?? '0')];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return { hour, minute, second };
}

function notADate(text: string): string {
  return `${JSON.stringify(text)} is not a calendar date: use YYYY-MM-DD, e.g. 2025-03-30`;
}

function notATime(text: string): string {
  return `${JSON.stringify(text)} is not a time of day: use HH:MM or HH:MM:SS on a 24-hour clock, e.g. 10:00`;
}

/**
 * The UTC instant at which the wall clock in `timeZone` reads `localTime` on `localDate`.
 *
 * A time that does not exist (clocks jump forward over it) moves forward by the length of the jump and
 * says `adjusted: 'skipped-gap'`, as Temporal and java.time do: 02:30 on 2025-03-30 in Berlin is 03:30.
 * A time that happens twice (clocks go back) is the earlier or later of the two, per `disambiguation`.
 * With 'reject', either case is refused with a reason.
 */
export function instantAt(
  localDate: string,
  localTime: string,
  timeZone: string,
  disambiguation: Disambiguation = 'earlier',
): InstantAtResult {
  const formatter = formatterFor(timeZone);
  if (!formatter) return { ok: false, reason: unknownZone(timeZone) };
  const date = parseLocalDate(localDate);
  if (!date) return { ok: false, reason: notADate(localDate) };
  const time = parseLocalTime(localTime);
  if (!time) return { ok: false, reason: notATime(localTime) };

  const wall = wallClockMs({ ...date, ...time });
  // Offsets change by less than a day, so the offsets a day either side are the only candidates
  // (the method of the Temporal proposal); a candidate is right if it reads back as the same wall clock.
  const offsetBefore = offsetMsAt(formatter, wall - DAY_MS);
  const offsetAfter = offsetMsAt(formatter, wall + DAY_MS);
  const matches = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => wall - offset)
    .filter((candidate) => wallClockMs(readWallClock(formatter, candidate)) === wall)
    .sort((a, b) => a - b);

  const [first, second] = matches;
  if (first === undefined) {
    if (disambiguation === 'reject') {
      return {
        ok: false,
        reason: `${localTime} on ${localDate} does not exist in ${timeZone} (clocks jump forward over it): pick another time, or allow the shift past the jump`,
      };
    }
    // With the offset from before the jump, the instant lands after it, moved forward by the jump's length.
    return { ok: true, instant: new Date(wall - offsetBefore), adjusted: 'skipped-gap' };
  }
  if (second === undefined) return { ok: true, instant: new Date(first) };
  if (disambiguation === 'reject') {
    return {
      ok: false,
      reason: `${localTime} on ${localDate} happens twice in ${timeZone} (clocks go back): choose 'earlier' or 'later'`,
    };
  }
  return { ok: true, instant: new Date(disambiguation === 'later' ? second : first) };
}

/**
 * The first instant strictly after `after` at which the wall clock in `timeZone` reads `localTime`
 * ("send at 10:00 local time"). A time skipped by a jump forward is taken as instantAt shifts it
 * (02:30 → 03:30 that day); a time that happens twice counts at each occurrence.
 * Throws RangeError for an unknown zone or a malformed time.
 */
export function nextLocalTime(after: Date, localTime: string, timeZone: string): Date {
  const today = localDate(after, timeZone);
  if (!parseLocalTime(localTime)) throw new RangeError(notATime(localTime));
  const afterMs = after.getTime();
  let next: number | undefined;
  // Yesterday's date can still come after `after` when clocks go back across midnight; two days
  // ahead covers a zone skipping a whole date (Pacific/Apia, 2011-12-30).
  for (let days = -1; days <= 2; days++) {
    for (const occurrence of ['earlier', 'later'] as const) {
      const result = instantAt(addLocalDays(today, days), localTime, timeZone, occurrence);
      if (!result.ok) continue;
      const ms = result.instant.getTime();
      if (ms > afterMs && (next === undefined || ms < next)) next = ms;
    }
  }
  if (next === undefined)
    throw new RangeError(`${localTime} in ${timeZone} does not occur after ${after.toISOString()}`);
  return new Date(next);
}

/**
 * The calendar day a YYYY-MM-DD date is, counted from 1970-01-01 (day 0), with no time zone: the
 * difference of two day numbers is the number of days between the dates (2024-03-01 minus 2024-02-28
 * is 2). Throws RangeError for anything but a real calendar date.
 */
export function localDayNumber(localDate: string): number {
  const date = parseLocalDate(localDate);
  if (!date) throw new RangeError(notADate(localDate));
  return Math.round(wallClockMs({ ...date, hour: 0, minute: 0, second: 0 }) / DAY_MS);
}

/** Calendar arithmetic on YYYY-MM-DD, with no time zone: addLocalDays('2024-02-28', 1) is '2024-02-29'. */
export function addLocalDays(localDate: string, days: number): string {
  const date = parseLocalDate(localDate);
  if (!date) throw new RangeError(notADate(localDate));
  if (!Number.isSafeInteger(days)) throw new RangeError(`days must be a whole number, got ${days}`);
  const moved = new Date(wallClockMs({ ...date, hour: 0, minute: 0, second: 0 }) + days * DAY_MS);
  const year = moved.getUTCFullYear();
  if (Number.isNaN(moved.getTime()) || year < 1 || year > 9999) {
    throw new RangeError(`${localDate} plus ${days} days is outside the years 0001–9999`);
  }
  return formatDate(year, moved.getUTCMonth() + 1, moved.getUTCDate());
}
