import { asOfDayNumber, purchaseDays, type PurchaseHistory } from './purchase-history';

/**
 * RFM scores within each market: recency (days since the last purchase), frequency (orders) and
 * monetary value (total spend in the reporting currency), each scored 1–5 by quintiles of the
 * customer's own market, so a good customer in a small market is not ranked against a large one.
 * 5 is best: most recent, most orders, most spend.
 *
 * Quintiles and ties: a customer's score is 1 + ⌊5 · below / n⌋, where n is the number of customers in
 * the market with a purchase by the as-of date and `below` the number of them with a strictly worse
 * value. Equal values therefore always get the same score whatever the input order, and a tie that
 * spans several quintiles takes the score of the lowest position it covers (if 60 % of a market bought
 * once, they all score F = 1 and the next value starts at F = 4). With distinct values the five scores
 * get equal shares (±1 customer). Customers without a purchase by the as-of date get no score.
 * Pure and deterministic, so workflows can import it.
 */

export type RfmScoreValue = 1 | 2 | 3 | 4 | 5;

export interface RfmScore {
  customerId: string;
  market: string;
  asOf: string;
  recencyDays: number;
  /** Orders on or before the as-of date. */
  frequency: number;
  /** Total spend on or before the as-of date, reporting currency minor units. */
  monetaryMinor: bigint;
  recencyScore: RfmScoreValue;
  frequencyScore: RfmScoreValue;
  monetaryScore: RfmScoreValue;
}

interface RfmValues {
  customerId: string;
  market: string;
  recencyDays: number;
  frequency: number;
  monetaryMinor: bigint;
}

/** RFM scores of every customer with a purchase on or before `asOf` (YYYY-MM-DD), in input order. */
export function rfmScores(histories: readonly PurchaseHistory[], asOf: string): RfmScore[] {
  const asOfDay = asOfDayNumber(asOf);
  const values: RfmValues[] = [];
  for (const history of histories) {
    const days = purchaseDays(history, asOfDay);
    if (days.length === 0) continue;
    values.push({
      customerId: history.customerId,
      market: history.market,
      recencyDays: asOfDay - days[days.length - 1]!.day,
      frequency: days.reduce((sum, d) => sum + d.orders, 0),
      monetaryMinor: days.reduce((sum, d) => sum + d.amountMinor, 0n),
    });
  }

  const byMarket = new Map<string, RfmValues[]>();
  for (const v of values) {
    const members = byMarket.get(v.market);
    if (members) members.push(v);
    else byMarket.set(v.market, [v]);
  }
  const scores = new Map<RfmValues, Pick<RfmScore, 'recencyScore' | 'frequencyScore' | 'monetaryScore'>>();
  for (const members of byMarket.values()) {
    // Recency: fewer days is better, so "worse" means more days.
    const recency = quintileScores(members.map((m) => -m.recencyDays));
    const frequency = quintileScores(members.map((m) => m.frequency));
    const monetary = quintileScores(members.map((m) => m.monetaryMinor));
    members.forEach((m, i) => {
      scores.set(m, { recencyScore: recency[i]!, frequencyScore: frequency[i]!, monetaryScore: monetary[i]! });
    });
  }
  return values.map((v) => ({ ...v, asOf, ...scores.get(v)! }));
}

/**
 * 1–5 scores for values where higher is better: 1 + ⌊5 · (count strictly lower) / n⌋.
 * Exported for tests and for other per-market rankings.
 */
export function quintileScores<T extends number | bigint>(values: readonly T[]): RfmScoreValue[] {
  const n = values.length;
  const sorted = [...values].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  // For each distinct value, how many values are strictly lower: its first index in the sorted list.
  const below = new Map<T, number>();
  sorted.forEach((value, index) => {
    if (!below.has(value)) below.set(value, index);
  });
  return values.map((value) => (1 + Math.floor((5 * below.get(value)!) / n)) as RfmScoreValue);
}
