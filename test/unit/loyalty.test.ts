import { describe, expect, it } from 'vitest';
import {
  benefitsFor,
  decideTier,
  expiryDateOf,
  localMidnight,
  type LoyaltyProgramme,
  loyaltyProgrammeSchema,
  parseProgramme,
  pointsExpiring,
  pointsForOrder,
  pointsToReverse,
  qualifiedTier,
} from '../../domain/loyalty';

/** The programme rules as pure functions: exact points, tiers with grace, expiry dates, benefits. */

const programme: LoyaltyProgramme = loyaltyProgrammeSchema.parse({
  brandId: 'acme',
  name: 'Acme Club',
  reportingCurrency: 'EUR',
  earn: {
    pointsPerUnit: 1,
    currencyFactors: { KRW: 0.001 },
    marketMultipliers: { FR: 0 },
    channelMultipliers: { src_app: 1.5 },
    categoryMultipliers: { shoes: 2 },
  },
  tiers: [
    { key: 'member', names: { en: 'Member', ja: 'メンバー' } },
    { key: 'gold', names: { en: 'Gold', ja: 'ゴールド' }, qualify: { points: 100, orders: 5 } },
  ],
  reviewEveryDays: 30,
  downgradeGraceDays: 14,
  benefits: [
    { tier: 'gold', markets: ['DE'], key: 'free-shipping', text: { en: 'Free shipping', de: 'Kostenloser Versand' } },
    { tier: 'gold', markets: ['JP'], key: 'voucher', text: { en: '¥1,000 voucher', ja: '1,000円クーポン' } },
    { tier: 'gold', markets: ['*'], key: 'early', text: { en: 'Early access', ja: '先行アクセス' } },
  ],
});

const order = (over: Partial<Parameters<typeof pointsForOrder>[1]> = {}) => ({
  sourceId: 'src_web',
  currency: 'EUR',
  totalMinor: 1999n,
  reportingCurrency: 'EUR',
  reportingTotalMinor: 1999n,
  countryCode: 'DE',
  status: 'closed',
  ...over,
});

describe('loyalty programme rules', () => {
  it('earns on the reporting amount, rounded down once per order after every multiplier', () => {
    expect(pointsForOrder(programme, order())).toEqual({ ok: true, points: 19, basis: 'reporting' });
    // JPY 12,345 reported as EUR 77.16 at its local date's rate: 77 points.
    expect(
      pointsForOrder(programme, order({ currency: 'JPY', totalMinor: 12345n, reportingTotalMinor: 7716n })),
    ).toMatchObject({ points: 77 });
    // 19.99 × 1.5 × 2 = 59.97 → 59 (each multiplier alone would round to 29 then 58).
    expect(pointsForOrder(programme, order({ sourceId: 'src_app', category: 'shoes' }))).toMatchObject({ points: 59 });
    expect(pointsForOrder(programme, order({ countryCode: 'FR' }))).toMatchObject({ points: 0 });
    expect(pointsForOrder({ ...programme, rounding: 'halfUp' }, order({ reportingTotalMinor: 1950n }))).toMatchObject({
      points: 20,
    });
  });

  it('earns on the order amount where the currency has its own factor; nothing without an FX rate or when cancelled', () => {
    expect(
      pointsForOrder(programme, order({ currency: 'KRW', totalMinor: 55_000n, reportingTotalMinor: null })),
    ).toEqual({
      ok: true,
      points: 55,
      basis: 'currencyFactor',
    });
    expect(pointsForOrder(programme, order({ reportingTotalMinor: null })).ok).toBe(false);
    expect(pointsForOrder(programme, order({ status: 'cancelled' }))).toMatchObject({ points: 0 });
    expect(pointsForOrder(programme, order({ financialStatus: 'refunded' }))).toMatchObject({ points: 0 });
  });

  it('reverses a partial refund in proportion, never more than the order still holds', () => {
    expect(pointsToReverse(programme, 77, 77, 4000n, 12345n)).toBe(24); // 77 × 4000 / 12345 = 24.95 → 24
    expect(pointsToReverse(programme, 77, 10, 4000n, 12345n)).toBe(10);
    expect(pointsToReverse(programme, 77, 53, 12345n, 12345n)).toBe(53);
  });

  it('upgrades at once, and downgrades only at the review date after the grace period', () => {
    const low = { points: 10, spendMinor: 0n, orders: 1 };
    const high = { points: 150, spendMinor: 0n, orders: 1 };
    expect(qualifiedTier(programme, high)).toBe('gold');
    expect(qualifiedTier(programme, { ...low, orders: 5 })).toBe('gold');
    const up = decideTier(programme, { tier: 'member', reviewOn: '2026-12-01', graceUntil: null }, high, '2026-03-01');
    expect(up).toEqual({
      kind: 'upgrade',
      from: 'member',
      state: { tier: 'gold', reviewOn: '2026-03-31', graceUntil: null },
    });
    const gold = { tier: 'gold', reviewOn: '2026-03-31', graceUntil: null };
    expect(decideTier(programme, gold, low, '2026-03-30')).toEqual({ kind: 'unchanged' });
    const grace = decideTier(programme, gold, low, '2026-03-31');
    expect(grace).toEqual({ kind: 'graceStarted', state: { ...gold, graceUntil: '2026-04-14' } });
    const waiting = { ...gold, graceUntil: '2026-04-14' };
    expect(decideTier(programme, waiting, low, '2026-04-13')).toEqual({ kind: 'unchanged' });
    expect(decideTier(programme, waiting, low, '2026-04-14')).toMatchObject({
      kind: 'downgrade',
      state: { tier: 'member' },
    });
    expect(decideTier(programme, waiting, high, '2026-04-10')).toMatchObject({
      kind: 'kept',
      state: { graceUntil: null },
    });
  });

  it('expires rolling, on a fixed date, at midnight in the member zone', () => {
    expect(expiryDateOf({ kind: 'rolling', days: 30 }, '2026-01-10')).toBe('2026-02-09');
    expect(expiryDateOf({ kind: 'fixedDate', month: 12, day: 31, yearsAfter: 1 }, '2026-05-01')).toBe('2028-01-01');
    expect(expiryDateOf({ kind: 'never' }, '2026-05-01')).toBeNull();
    expect(localMidnight('2026-02-09', 'Asia/Tokyo').toISOString()).toBe('2026-02-08T15:00:00.000Z');
    expect(localMidnight('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(pointsExpiring({ expiredLots: 100, consumed: 30, balance: 200 })).toBe(70);
    expect(pointsExpiring({ expiredLots: 100, consumed: 130, balance: 200 })).toBe(0);
    expect(pointsExpiring({ expiredLots: 100, consumed: 0, balance: 40 })).toBe(40);
  });

  it('answers the benefits of a tier in the market and language asked', () => {
    expect(benefitsFor(programme, 'gold', 'JP', 'ja').map((b) => b.text)).toEqual(['1,000円クーポン', '先行アクセス']);
    expect(benefitsFor(programme, 'gold', 'DE', 'de').map((b) => b.text)).toEqual([
      'Kostenloser Versand',
      'Early access',
    ]);
    expect(benefitsFor(programme, 'member', 'DE', 'de')).toEqual([]);
  });

  it('refuses a programme with a clear reason', () => {
    const bad = (change: object) => parseProgramme({ ...programme, ...change });
    expect(bad({ tiers: [] })).toEqual({ ok: false, reason: 'tiers: needs at least one tier' });
    expect(bad({ benefits: [{ tier: 'platinum', markets: ['*'], key: 'x', text: { en: 'x' } }] })).toMatchObject({
      ok: false,
      reason: 'benefits.0.tier: must be one of member, gold',
    });
    expect(bad({ earn: { ...programme.earn, pointsPerUnit: 0.1234567 } })).toMatchObject({ ok: false });
    expect(bad({ earn: { ...programme.earn, currencyFactors: { XYZ: 1 } } })).toMatchObject({ ok: false });
  });
});
