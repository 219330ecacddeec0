import { z } from 'zod';
import { brandIdSchema } from './brands';
import { isCurrency, minorUnits } from './money';
import { addLocalDays, instantAt, isTimeZone, localDayNumber } from './local-time';
import { describeIssues } from './validation';

/**
 * Loyalty programmes as data (issue 14, docs/design/loyalty.md): how a brand's members earn points,
 * qualify for tiers, lose them, what each tier gives per market, and when points expire. Pure and
 * deterministic: the store (db/loyalty-store.ts) and the workflows decide with these functions.
 *
 * Rounding, stated once: an order's points are computed exactly (decimal rates and multipliers as
 * fractions of integers, never floating point) and rounded once per order, after every multiplier,
 * by the programme's `rounding` (`floor` by default: a member never gets a point they did not
 * fully earn). A partial refund reverses the order's points in proportion, rounded the same way,
 * and never more than the order still holds.
 */

const decimal = z
  .number({ error: 'must be a number' })
  .nonnegative('must be 0 or more')
  .refine((n) => Number.isFinite(n) && String(n).replace(/^\d+\.?/, '').length <= 6 && !/e/.test(String(n)), {
    error: 'must be a plain decimal with at most 6 places',
  });
const currencyCode = z.string().refine((c: string): boolean => isCurrency(c), 'must be an ISO 4217 currency code');
const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in upper case');
const tierKey = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a lowercase slug such as "gold"');
const localisedText = z
  .record(z.string().min(2).max(10), z.string().min(1).max(500))
  .refine((t) => 'en' in t, { error: 'must have an English text ("en"), the fallback for other languages' });

export const expiryRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('never') }),
  /** Every point earned in a calendar year expires on a fixed day of a later year (e.g. 31 Dec of the next). */
  z.object({
    kind: z.literal('fixedDate'),
    month: z.int().min(1).max(12),
    day: z.int().min(1).max(31),
    yearsAfter: z.int().min(0).max(10).default(1),
  }),
  /** Each earn expires `days` after the local date it was earned. */
  z.object({ kind: z.literal('rolling'), days: z.int().min(1).max(3650) }),
  /** The whole balance expires after `days` without an earn or a redemption. */
  z.object({ kind: z.literal('inactivity'), days: z.int().min(1).max(3650) }),
]);
export type ExpiryRule = z.infer<typeof expiryRuleSchema>;

export const loyaltyProgrammeSchema = z
  .object({
    brandId: brandIdSchema,
    name: z.string().trim().min(1).max(200),
    /** The currency `earn.pointsPerUnit` and spend thresholds are in: the deployment's reporting currency. */
    reportingCurrency: currencyCode,
    earn: z.object({
      /** Points per one major unit (1 EUR) of the order total in the reporting currency, at the FX of the order's local date. */
      pointsPerUnit: decimal,
      /** Instead, points per one major unit of the order's own currency (Antavo-style factor per currency). */
      currencyFactors: z.record(currencyCode, decimal).default({}),
      /** Per market (the order's country): a multiplier, or 0 to earn nothing there. */
      marketMultipliers: z.record(country, decimal).default({}),
      /** Per channel (the order's source ID). */
      channelMultipliers: z.record(z.string().min(1), decimal).default({}),
      /** Per product category: applied when the order carries a category (tracked `Order Completed` properties). */
      categoryMultipliers: z.record(z.string().min(1), decimal).default({}),
      bonuses: z
        .object({
          /** Points on enrolment, once. */
          signUp: z.int().min(0).default(0),
          /** Points on the member's birthday, once a year, on the day in the member's zone. */
          birthday: z.int().min(0).default(0),
        })
        .default({ signUp: 0, birthday: 0 }),
    }),
    rounding: z.enum(['floor', 'halfUp', 'ceil']).default('floor'),
    /** Lowest first; the first tier is where every member starts and needs nothing. */
    tiers: z
      .array(
        z.object({
          key: tierKey,
          names: localisedText,
          /** Met when any stated criterion is met over the qualifying window. */
          qualify: z
            .object({
              points: z.int().min(0).optional(),
              spendMinor: z.int().min(0).optional(),
              orders: z.int().min(0).optional(),
            })
            .default({}),
        }),
      )
      .min(1, 'needs at least one tier'),
    qualifyingWindowDays: z.int().min(1).max(3650).default(365),
    /** A tier is reviewed this many days after it was reached (and after each review that keeps it). */
    reviewEveryDays: z.int().min(1).max(3650).default(365),
    /** After a review finds the member below their tier, they keep it this long; requalifying ends the grace. */
    downgradeGraceDays: z.int().min(0).max(3650).default(0),
    benefits: z
      .array(
        z.object({
          tier: tierKey,
          /** Countries where it applies; ["*"] for every market. */
          markets: z.array(z.union([country, z.literal('*')])).min(1),
          key: z.string().min(1).max(64),
          text: localisedText,
        }),
      )
      .default([]),
    expiry: expiryRuleSchema.default({ kind: 'never' }),
  })
  .superRefine((p, ctx) => {
    const keys = p.tiers.map((t) => t.key);
    if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'keys repeat' });
    if (Object.keys(p.tiers[0]?.qualify ?? {}).length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['tiers', 0, 'qualify'],
        message: 'the first tier is the base: no criteria',
      });
    p.benefits.forEach((b, i) => {
      if (!keys.includes(b.tier))
        ctx.addIssue({ code: 'custom', path: ['benefits', i, 'tier'], message: `must be one of ${keys.join(', ')}` });
    });
    if (p.expiry.kind === 'fixedDate' && p.expiry.day > daysInMonth(2001, p.expiry.month))
      ctx.addIssue({ code: 'custom', path: ['expiry', 'day'], message: 'is not a day of that month' });
  });
export type LoyaltyProgramme = z.infer<typeof loyaltyProgrammeSchema>;
export type LoyaltyProgrammeInput = z.input<typeof loyaltyProgrammeSchema>;

export function parseProgramme(
  value: unknown,
): { ok: true; programme: LoyaltyProgramme } | { ok: false; reason: string } {
  const parsed = loyaltyProgrammeSchema.safeParse(value);
  return parsed.success
    ? { ok: true, programme: parsed.data }
    : { ok: false, reason: describeIssues(parsed.error, 'programme', { first: true }) };
}

// ---- exact arithmetic ---------------------------------------------------------------------------

/** A non-negative decimal as a fraction n / 10^scale, from its shortest written form. */
function fraction(value: number): { n: bigint; d: bigint } {
  const [whole, part = ''] = String(value).split('.');
  return { n: BigInt(`${whole}${part}`), d: 10n ** BigInt(part.length) };
}

function roundDiv(n: bigint, d: bigint, rounding: LoyaltyProgramme['rounding']): bigint {
  if (n < 0n) return -roundDiv(-n, d, rounding === 'floor' ? 'ceil' : rounding === 'ceil' ? 'floor' : rounding);
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  if (rounding === 'ceil') return q + 1n;
  if (rounding === 'halfUp') return r * 2n >= d ? q + 1n : q;
  return q;
}

// ---- earning ------------------------------------------------------------------------------------

export interface EarnableOrder {
  sourceId: string;
  currency: string;
  totalMinor: bigint;
  reportingCurrency: string;
  /** Null when no FX rate was found for the order's local date: nothing is earned until it is converted. */
  reportingTotalMinor: bigint | null;
  countryCode: string | null;
  category?: string | null;
  status: string;
  financialStatus?: string | null;
}

export type EarnResult =
  | { ok: true; points: number; basis: 'reporting' | 'currencyFactor' }
  | { ok: false; reason: string };

/** Orders that earn nothing (or no longer do): cancelled, fully refunded or voided. */
export function orderEarns(order: Pick<EarnableOrder, 'status' | 'financialStatus'>): boolean {
  return order.status !== 'cancelled' && !['refunded', 'voided'].includes(order.financialStatus ?? '');
}

/**
 * The points an order earns under the programme, exactly: a currency with its own factor earns on
 * the order's own amount; any other on the reporting amount at the order's local date's FX.
 */
export function pointsForOrder(programme: LoyaltyProgramme, order: EarnableOrder): EarnResult {
  if (!orderEarns(order)) return { ok: true, points: 0, basis: 'reporting' };
  const factor = programme.earn.currencyFactors[order.currency];
  let amountMinor: bigint;
  let currency: string;
  let rate: number;
  let basis: 'reporting' | 'currencyFactor';
  if (factor !== undefined) {
    [amountMinor, currency, rate, basis] = [order.totalMinor, order.currency, factor, 'currencyFactor'];
  } else {
    if (order.reportingCurrency !== programme.reportingCurrency)
      return {
        ok: false,
        reason: `reported in ${order.reportingCurrency}, the programme in ${programme.reportingCurrency}`,
      };
    if (order.reportingTotalMinor === null)
      return { ok: false, reason: 'no reporting amount yet (no FX rate for its local date)' };
    [amountMinor, currency, rate, basis] = [
      order.reportingTotalMinor,
      order.reportingCurrency,
      programme.earn.pointsPerUnit,
      'reporting',
    ];
  }
  if (amountMinor <= 0n) return { ok: true, points: 0, basis };
  const multipliers = [
    fraction(rate),
    ...(order.countryCode && programme.earn.marketMultipliers[order.countryCode] !== undefined
      ? [fraction(programme.earn.marketMultipliers[order.countryCode]!)]
      : []),
    ...(programme.earn.channelMultipliers[order.sourceId] !== undefined
      ? [fraction(programme.earn.channelMultipliers[order.sourceId]!)]
      : []),
    ...(order.category && programme.earn.categoryMultipliers[order.category] !== undefined
      ? [fraction(programme.earn.categoryMultipliers[order.category]!)]
      : []),
  ];
  let n = amountMinor;
  let d = 10n ** BigInt(minorUnits(currency));
  for (const m of multipliers) {
    n *= m.n;
    d *= m.d;
  }
  return { ok: true, points: Number(roundDiv(n, d, programme.rounding)), basis };
}

/**
 * What a partial refund takes back: the order's earned points in proportion to the refunded part of
 * its total (both in the order's currency), rounded like earning, never more than `stillHeld`.
 */
export function pointsToReverse(
  programme: Pick<LoyaltyProgramme, 'rounding'>,
  earned: number,
  stillHeld: number,
  refundedMinor: bigint,
  totalMinor: bigint,
): number {
  if (totalMinor <= 0n || refundedMinor <= 0n) return 0;
  if (refundedMinor >= totalMinor) return Math.max(0, stillHeld);
  const share = Number(roundDiv(BigInt(earned) * refundedMinor, totalMinor, programme.rounding));
  return Math.max(0, Math.min(stillHeld, share));
}

// ---- tiers --------------------------------------------------------------------------------------

export interface QualifyingMeasures {
  points: number;
  spendMinor: bigint;
  orders: number;
}

/** The highest tier whose criteria the measures meet (any stated criterion suffices). */
export function qualifiedTier(programme: LoyaltyProgramme, m: QualifyingMeasures): string {
  let best = programme.tiers[0]!.key;
  for (const tier of programme.tiers.slice(1)) {
    const q = tier.qualify;
    const met =
      (q.points !== undefined && m.points >= q.points) ||
      (q.spendMinor !== undefined && m.spendMinor >= BigInt(q.spendMinor)) ||
      (q.orders !== undefined && m.orders >= q.orders);
    if (met) best = tier.key;
  }
  return best;
}

export function tierRank(programme: LoyaltyProgramme, key: string): number {
  const rank = programme.tiers.findIndex((t) => t.key === key);
  return rank < 0 ? 0 : rank;
}

export interface TierState {
  tier: string;
  /** The local date the tier is next reviewed. */
  reviewOn: string;
  /** Set while a downgrade waits: the local date the grace ends. */
  graceUntil: string | null;
}

export type TierDecision =
  | { kind: 'upgrade'; state: TierState; from: string }
  | { kind: 'downgrade'; state: TierState; from: string }
  | { kind: 'graceStarted'; state: TierState }
  | { kind: 'kept'; state: TierState }
  | { kind: 'unchanged' };

/**
 * Upgrade at once; otherwise nothing moves before the review date. At the review, a member still
 * qualified keeps the tier for another period; one below it enters the grace period and is
 * downgraded (to the tier they qualify for) when it ends, unless they qualify again first.
 */
export function decideTier(
  programme: LoyaltyProgramme,
  current: TierState,
  measures: QualifyingMeasures,
  today: string,
): TierDecision {
  const qualified = qualifiedTier(programme, measures);
  const rank = tierRank(programme, qualified);
  const currentRank = tierRank(programme, current.tier);
  const nextReview = addLocalDays(today, programme.reviewEveryDays);
  if (rank > currentRank)
    return { kind: 'upgrade', from: current.tier, state: { tier: qualified, reviewOn: nextReview, graceUntil: null } };
  if (localDayNumber(today) < localDayNumber(current.reviewOn)) return { kind: 'unchanged' };
  if (rank === currentRank)
    return { kind: 'kept', state: { tier: current.tier, reviewOn: nextReview, graceUntil: null } };
  if (current.graceUntil === null) {
    if (programme.downgradeGraceDays > 0)
      return {
        kind: 'graceStarted',
        state: { ...current, graceUntil: addLocalDays(today, programme.downgradeGraceDays) },
      };
  } else if (localDayNumber(today) < localDayNumber(current.graceUntil)) return { kind: 'unchanged' };
  return { kind: 'downgrade', from: current.tier, state: { tier: qualified, reviewOn: nextReview, graceUntil: null } };
}

/** The first day of the qualifying window that ends on `today` (inclusive). */
export function qualifyingWindowStart(programme: LoyaltyProgramme, today: string): string {
  return addLocalDays(today, -(programme.qualifyingWindowDays - 1));
}

// ---- expiry -------------------------------------------------------------------------------------

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The local date points earned on `earnedOn` expire (at its start), or null when they do not. */
export function expiryDateOf(rule: ExpiryRule, earnedOn: string): string | null {
  if (rule.kind === 'rolling') return addLocalDays(earnedOn, rule.days);
  if (rule.kind === 'fixedDate') {
    const year = Number(earnedOn.slice(0, 4)) + rule.yearsAfter;
    const day = Math.min(rule.day, daysInMonth(year, rule.month));
    // The fixed day is the last day points live: they expire at the midnight that ends it.
    return addLocalDays(`${year}-${String(rule.month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, 1);
  }
  return null;
}

/** Midnight at the start of `date` in the member's zone (the first instant of that local day, DST-exact). */
export function localMidnight(date: string, timeZone: string): Date {
  const at = instantAt(date, '00:00', timeZone, 'earlier');
  if (!at.ok) throw new RangeError(at.reason);
  return at.instant;
}

export function validZone(zone: string | null | undefined): string {
  return zone && isTimeZone(zone) ? zone : 'UTC';
}

/**
 * How many points expire as of now, first in first out: the points of lots that have expired, less
 * what redemptions and earlier expiries already consumed (they consume the oldest lots first), never
 * more than the balance.
 */
export function pointsExpiring(input: { expiredLots: number; consumed: number; balance: number }): number {
  return Math.max(0, Math.min(input.balance, input.expiredLots - input.consumed));
}

/** Whether `today` (a local date) is the birthday `MM-DD`; 29 February is kept on the 28th in other years. */
export function isBirthday(monthDay: string | null, today: string): boolean {
  if (!monthDay) return false;
  const md = today.slice(5);
  if (md === monthDay) return true;
  const year = Number(today.slice(0, 4));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return monthDay === '02-29' && !leap && md === '02-28';
}

// ---- benefits -----------------------------------------------------------------------------------

/** The texts of a tier's benefits in a market, in `language` (English when the programme has no such text). */
export function benefitsFor(
  programme: LoyaltyProgramme,
  tier: string,
  market: string | null,
  language: string,
): { key: string; text: string }[] {
  return programme.benefits
    .filter((b) => b.tier === tier && (b.markets.includes('*') || (market !== null && b.markets.includes(market))))
    .map((b) => ({ key: b.key, text: b.text[language] ?? b.text[language.split('-')[0]!] ?? b.text.en! }));
}

export function tierName(programme: LoyaltyProgramme, tier: string, language: string): string {
  const names = programme.tiers.find((t) => t.key === tier)?.names;
  return names ? (names[language] ?? names[language.split('-')[0]!] ?? names.en!) : tier;
}

/** A member ID: `M` and 12 digits, readable on a card or at a till; drawn by the store. */
export const memberIdSchema = z.string().regex(/^M\d{12}$/, 'a member ID is M and 12 digits');
