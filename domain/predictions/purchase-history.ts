import { localDayNumber } from '../local-time';

/**
 * A customer's purchase history as every prediction model reads it: what they bought on which local
 * date, in the reporting currency. The audience layer builds these from orders (one per customer
 * ID, keyed only by that ID: no personal data); the models below turn them into scores.
 *
 * Time is counted in local calendar days (an order's `localDate`, DESIGN.md: "local date" is exact),
 * so "days since last purchase" never depends on the server's zone or a DST change. Purchases on the
 * same local date are one purchase day, as the `lifetimes` library collapses them.
 * Pure and deterministic, so workflows can import it.
 */

export interface Purchase {
  /** The order's local date where it was placed, YYYY-MM-DD. */
  localDate: string;
  /** The order's amount in the reporting currency, minor units (domain/money.ts). Never negative. */
  amountMinor: bigint;
}

export interface PurchaseHistory {
  customerId: string;
  /** The customer's home market (a country code such as 'DE', or a market key): RFM and rhythms are per market. */
  market: string;
  purchases: readonly Purchase[];
}

/** One local date on which a customer bought, with what they spent that day and how many orders they placed. */
export interface PurchaseDay {
  /** Days since 1970-01-01 (local-time.ts `localDayNumber`). */
  day: number;
  amountMinor: bigint;
  orders: number;
}

/**
 * The customer's purchase days on or before `asOfDay`, oldest first, same-day orders merged.
 * Throws RangeError for a malformed date or a negative amount (net refunds into the order first).
 */
export function purchaseDays(history: PurchaseHistory, asOfDay: number): PurchaseDay[] {
  const byDay = new Map<number, PurchaseDay>();
  for (const purchase of history.purchases) {
    let day: number;
    try {
      day = localDayNumber(purchase.localDate);
    } catch (error) {
      throw new RangeError(`customer ${history.customerId}: purchase date ${(error as Error).message}`);
    }
    if (purchase.amountMinor < 0n) {
      throw new RangeError(
        `customer ${history.customerId}: a purchase on ${purchase.localDate} has a negative amount; net refunds into their order before predicting`,
      );
    }
    if (day > asOfDay) continue;
    const known = byDay.get(day);
    if (known) {
      known.amountMinor += purchase.amountMinor;
      known.orders++;
    } else {
      byDay.set(day, { day, amountMinor: purchase.amountMinor, orders: 1 });
    }
  }
  return [...byDay.values()].sort((x, y) => x.day - y.day);
}

/** The as-of date as a day number, with an error that says which argument was wrong. */
export function asOfDayNumber(asOf: string): number {
  try {
    return localDayNumber(asOf);
  } catch (error) {
    throw new RangeError(`as-of date: ${(error as Error).message}`);
  }
}

/** The mean days between consecutive purchase days, or undefined with fewer than two. */
export function meanPurchaseGapDays(days: readonly PurchaseDay[]): number | undefined {
  if (days.length < 2) return undefined;
  return (days[days.length - 1]!.day - days[0]!.day) / (days.length - 1);
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
