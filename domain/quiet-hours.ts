import Holidays from 'date-holidays';
import { addLocalDays, instantAt, isTimeZone, localParts } from './local-time';

/**
 * Quiet hours: when a channel may not reach a person, per country, as data. A send that falls inside
 * them is deferred to the next allowed local instant (never dropped): `nextAllowedInstant`.
 *
 * Source for SMS: Klaviyo, "Understanding SMS and MMS quiet hours in flows"
 * (help.klaviyo.com/hc/en-us/articles/4408737146651): the United States, Canada, the United Kingdom,
 * Ireland, Germany, the Netherlands, Australia and New Zealand: no texts before 08:00 or after 21:00
 * local; France: none before 08:00 or after 22:00, none on Sundays, none on public holidays. Klaviyo
 * evaluates an international number in its country's eastern zone; we use the person's own zone when
 * known (the market zone below otherwise), which is at least as strict for the person.
 * Email has no legal quiet hours in these markets: no rule, always allowed. Nor have app push, LINE
 * or webhooks a sourced legal window: no rule either (their frequency caps still hold; a marketer's
 * own send-time choice is the journey's or broadcast's, not the gate's).
 *
 * Public holidays come from `date-holidays` (maintained, per-country rules including moving feasts
 * such as Easter Monday and Ascension, pure JavaScript, deterministic: safe in workflows).
 */

/** Email and SMS (issue 12's first channels), app push (Web Push, FCM), LINE, and signed webhooks. */
export const CHANNELS = ['email', 'sms', 'push', 'line', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface QuietHoursRule {
  /** First allowed local time of day, HH:MM. */
  allowedFrom: string;
  /** First local time of day no longer allowed, HH:MM (exclusive). */
  allowedUntil: string;
  /** No sends on Sundays. */
  closedOnSundays: boolean;
  /** No sends on the country's public holidays. */
  closedOnPublicHolidays: boolean;
}

const KLAVIYO_DEFAULT: QuietHoursRule = {
  allowedFrom: '08:00',
  allowedUntil: '21:00',
  closedOnSundays: false,
  closedOnPublicHolidays: false,
};

export const QUIET_HOURS: Readonly<Record<Channel, Readonly<Record<string, QuietHoursRule>>>> = {
  email: {},
  push: {},
  line: {},
  webhook: {},
  sms: {
    FR: { allowedFrom: '08:00', allowedUntil: '22:00', closedOnSundays: true, closedOnPublicHolidays: true },
    US: KLAVIYO_DEFAULT,
    CA: KLAVIYO_DEFAULT,
    GB: KLAVIYO_DEFAULT,
    IE: KLAVIYO_DEFAULT,
    DE: KLAVIYO_DEFAULT,
    NL: KLAVIYO_DEFAULT,
    AU: KLAVIYO_DEFAULT,
    NZ: KLAVIYO_DEFAULT,
  },
};

/**
 * The zone a market's quiet hours are read in when the person's own zone is unknown: the country's
 * eastern zone, as Klaviyo does (the earliest evening, so the strictest for the country).
 */
export const MARKET_ZONES: Readonly<Record<string, string>> = {
  FR: 'Europe/Paris',
  US: 'America/New_York',
  CA: 'America/Halifax',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  DE: 'Europe/Berlin',
  NL: 'Europe/Amsterdam',
  AU: 'Australia/Sydney',
  NZ: 'Pacific/Auckland',
};

/** The person's zone at send time: their latest event's zone when it is a real zone, else their market's, else UTC. */
export function personZone(latestEventZone: string | null | undefined, country: string | undefined): string {
  if (latestEventZone && isTimeZone(latestEventZone)) return latestEventZone;
  return MARKET_ZONES[country ?? ''] ?? 'UTC';
}

export function quietHoursRule(country: string, channel: Channel): QuietHoursRule | undefined {
  return QUIET_HOURS[channel][country.toUpperCase()];
}

const holidayYears = new Map<string, Set<string>>();

/** The public holidays (YYYY-MM-DD, local) of a country in a year, from date-holidays. */
export function publicHolidays(country: string, year: number): Set<string> {
  const key = `${country}:${year}`;
  let days = holidayYears.get(key);
  if (!days) {
    days = new Set();
    const calendar = new Holidays(country.toUpperCase());
    for (const holiday of calendar.getHolidays(year) || []) {
      if (holiday.type === 'public') days.add(holiday.date.slice(0, 10));
    }
    holidayYears.set(key, days);
  }
  return days;
}

export function isPublicHoliday(country: string, localDate: string): boolean {
  return publicHolidays(country, Number(localDate.slice(0, 4))).has(localDate);
}

function dayIsOpen(rule: QuietHoursRule, country: string, localDate: string, weekday: number): boolean {
  if (rule.closedOnSundays && weekday === 7) return false;
  if (rule.closedOnPublicHolidays && isPublicHoliday(country, localDate)) return false;
  return true;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function opening(localDate: string, rule: QuietHoursRule, zone: string): Date {
  const at = instantAt(localDate, rule.allowedFrom, zone, 'earlier');
  if (!at.ok) throw new RangeError(at.reason);
  return at.instant;
}

/**
 * The first instant at or after `instant` at which `channel` may reach a person in `country` whose
 * zone is `zone`: `instant` itself when it is allowed. Local time is read at each candidate instant,
 * so a daylight-saving change in between is exact. Throws RangeError for an unknown zone.
 */
export function nextAllowedInstant(instant: Date, zone: string, country: string, channel: Channel): Date {
  const rule = quietHoursRule(country, channel);
  const here = localParts(instant, zone);
  if (!rule) return instant;
  const minute = here.hour * 60 + here.minute;
  if (dayIsOpen(rule, country, here.date, here.weekday)) {
    if (minute >= minutesOf(rule.allowedFrom) && minute < minutesOf(rule.allowedUntil)) return instant;
    if (minute < minutesOf(rule.allowedFrom)) return opening(here.date, rule, zone);
  }
  // A long closure (a Sunday before a holiday Monday, a holiday week) is a few days at most.
  let weekday: number = here.weekday;
  let date = here.date;
  for (let day = 1; day <= 14; day++) {
    date = addLocalDays(date, 1);
    weekday = weekday === 7 ? 1 : weekday + 1;
    if (dayIsOpen(rule, country, date, weekday)) return opening(date, rule, zone);
  }
  throw new RangeError(`no allowed ${channel} time in ${country} within 14 days of ${instant.toISOString()}`);
}
