import { describe, expect, it } from 'vitest';
import { localDayNumber } from '../../domain/local-time';
import {
  lifecycleStages,
  marketPurchaseRhythms,
  quintileScores,
  rfmScores,
  type PurchaseHistory,
} from '../../domain/predictions';

const history = (customerId: string, market: string, purchases: [string, number][]): PurchaseHistory => ({
  customerId,
  market,
  purchases: purchases.map(([localDate, amount]) => ({ localDate, amountMinor: BigInt(amount) })),
});

describe('RFM scores within each market', () => {
  // Hand-checked: as of 2025-03-31, five German customers with distinct recency and monetary values.
  const germany = [
    history('a', 'DE', [
      ['2025-03-30', 100],
      ['2025-03-01', 50],
    ]), // R 1 day, F 2, M 150
    history('b', 'DE', [['2025-03-20', 500]]), // R 11, F 1, M 500
    history('c', 'DE', [
      ['2025-02-28', 20],
      ['2025-01-10', 20],
      ['2024-12-01', 20],
    ]), // R 31, F 3, M 60
    history('d', 'DE', [
      ['2025-01-01', 1000],
      ['2025-01-01', 200],
    ]), // R 89, F 2 (two orders one day), M 1200
    history('e', 'DE', [['2024-06-30', 10]]), // R 274, F 1, M 10
  ];

  it('scores recency, frequency and money 1–5 by quintile, 5 best', () => {
    const scores = rfmScores(germany, '2025-03-31');
    const byId = Object.fromEntries(scores.map((s) => [s.customerId, s]));
    expect(byId.a).toMatchObject({
      recencyDays: 1,
      frequency: 2,
      monetaryMinor: 150n,
      recencyScore: 5,
      monetaryScore: 3,
    });
    expect(byId.d).toMatchObject({
      recencyDays: 89,
      frequency: 2,
      monetaryMinor: 1200n,
      recencyScore: 2,
      monetaryScore: 5,
    });
    expect(scores.map((s) => s.recencyScore)).toEqual([5, 4, 3, 2, 1]);
    expect(scores.map((s) => s.monetaryScore)).toEqual([3, 4, 2, 5, 1]);
    // Frequencies 2, 1, 3, 2, 1: the two 1s share the bottom (score 1), the two 2s have 2 of 5 below
    // them (1 + ⌊5·2/5⌋ = 3), the 3 has 4 below (1 + ⌊5·4/5⌋ = 5).
    expect(scores.map((s) => s.frequencyScore)).toEqual([3, 1, 5, 3, 1]);
  });

  it('ranks each market on its own, and leaves out customers who had not bought by the as-of date', () => {
    const japan = [
      history('j1', 'JP', [['2025-03-31', 5]]),
      history('j2', 'JP', [['2025-01-31', 7000]]),
      history('later', 'JP', [['2025-04-01', 10]]),
    ];
    const scores = rfmScores([...germany, ...japan], '2025-03-31');
    expect(scores.map((s) => s.customerId)).toEqual(['a', 'b', 'c', 'd', 'e', 'j1', 'j2']);
    const j1 = scores.find((s) => s.customerId === 'j1')!;
    const j2 = scores.find((s) => s.customerId === 'j2')!;
    // Two Japanese customers: the better of each pair has 1 of 2 below it, 1 + ⌊5·1/2⌋ = 3.
    expect([j1.recencyScore, j1.monetaryScore, j2.recencyScore, j2.monetaryScore]).toEqual([3, 1, 1, 3]);
    // Germany's scores are unchanged by Japan's customers.
    expect(scores.slice(0, 5)).toEqual(rfmScores(germany, '2025-03-31'));
  });

  it('gives equal values the same score whatever the input order (ties take the lowest position they span)', () => {
    const values = [3, 1, 1, 1, 1, 1, 1, 2, 5, 4];
    expect(quintileScores(values)).toEqual([4, 1, 1, 1, 1, 1, 1, 4, 5, 5]);
    expect(quintileScores([...values].reverse())).toEqual([...quintileScores(values)].reverse());
    expect(quintileScores([7, 7, 7])).toEqual([1, 1, 1]);
    expect(quintileScores([10n, 30n, 20n, 40n, 50n])).toEqual([1, 3, 2, 4, 5]);
    // Ten distinct values: two per quintile.
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('refuses a malformed date or a negative amount with the customer and the fix', () => {
    expect(() => rfmScores([history('x', 'DE', [['2025-02-30', 5]])], '2025-03-31')).toThrow(
      /customer x: purchase date "2025-02-30" is not a calendar date/,
    );
    expect(() => rfmScores([history('x', 'DE', [['2025-02-03', -5]])], '2025-03-31')).toThrow(
      /net refunds into their order/,
    );
    expect(() => rfmScores(germany, '31/03/2025')).toThrow(/as-of date: "31\/03\/2025" is not a calendar date/);
  });
});

describe('lifecycle stages from purchase rhythms', () => {
  // As of 2025-06-30. German repeat buyers' own mean gaps: 10, 30, 20, 30, 1, 1, 20 days → market median 20.
  const histories = [
    history('every-10-days', 'DE', [
      ['2025-06-01', 1],
      ['2025-06-11', 1],
      ['2025-06-21', 1],
    ]), // silent 9 = 0.9 gaps
    history('monthly-silent-60', 'DE', [
      ['2025-04-01', 1],
      ['2025-05-01', 1],
    ]), // 60 / 30 = 2 gaps
    history('gone', 'DE', [
      ['2025-01-01', 1],
      ['2025-01-21', 1],
    ]), // 160 / 20 = 8 gaps
    history('monthly-silent-91', 'DE', [
      ['2025-03-01', 1],
      ['2025-03-31', 1],
    ]), // 91 / 30 = 3.03 gaps
    history('two-days-running', 'DE', [
      ['2025-06-27', 1],
      ['2025-06-28', 1],
    ]), // gap 1 → floor 7; silent 2
    history('two-days-long-ago', 'DE', [
      ['2025-06-01', 1],
      ['2025-06-02', 1],
    ]), // floor 7; silent 28 = 4 rhythms
    history('exactly-1.5', 'DE', [
      ['2025-05-11', 1],
      ['2025-05-31', 1],
    ]), // 30 / 20 = 1.5 gaps
    history('first-timer', 'DE', [['2025-06-10', 1]]), // market 20: 20 / 20 = 1
    history('first-timer-quiet', 'DE', [['2025-05-31', 1]]), // 30 / 20 = 1.5
    history('first-timer-gone', 'DE', [['2025-05-01', 1]]), // 60 / 20 = 3
    history('same-day-twice', 'DE', [
      ['2025-06-29', 1],
      ['2025-06-29', 2],
    ]), // one purchase day
    history('jp-first', 'JP', [['2025-05-01', 1]]), // no JP repeat buyers: 90-day default, 60 / 90
    history('not-yet', 'DE', [['2025-07-01', 1]]),
  ];

  it("measures silence against the customer's own rhythm, or the market's for first-time buyers", () => {
    expect(marketPurchaseRhythms(histories, '2025-06-30')).toEqual(new Map([['DE', 20]]));
    const stages = lifecycleStages(histories, '2025-06-30');
    expect(Object.fromEntries(stages.map((s) => [s.customerId, s.stage]))).toEqual({
      'every-10-days': 'active',
      'monthly-silent-60': 'at_risk',
      gone: 'churned',
      'monthly-silent-91': 'lapsed',
      'two-days-running': 'active',
      'two-days-long-ago': 'lapsed',
      'exactly-1.5': 'active',
      'first-timer': 'new',
      'first-timer-quiet': 'new',
      'first-timer-gone': 'lapsed',
      'same-day-twice': 'new',
      'jp-first': 'new',
    });
    const bySource = Object.fromEntries(stages.map((s) => [s.customerId, [s.rhythmSource, s.rhythmDays]]));
    expect(bySource['every-10-days']).toEqual(['own', 10]);
    expect(bySource['two-days-running']).toEqual(['own', 7]);
    expect(bySource['first-timer']).toEqual(['market', 20]);
    expect(bySource['jp-first']).toEqual(['default', 90]);
  });

  it('moves a customer through the stages as the silence grows', () => {
    const buyer = [
      history('x', 'DE', [
        ['2025-01-01', 1],
        ['2025-01-11', 1],
      ]),
    ]; // rhythm 10 days
    const stageAfter = (days: number) => {
      const asOf = new Date((localDayNumber('2025-01-11') + days) * 86_400_000).toISOString().slice(0, 10);
      return lifecycleStages(buyer, asOf)[0]!.stage;
    };
    expect([0, 15, 16, 25, 26, 40, 41].map(stageAfter)).toEqual([
      'active',
      'active',
      'at_risk',
      'at_risk',
      'lapsed',
      'lapsed',
      'churned',
    ]);
  });
});
