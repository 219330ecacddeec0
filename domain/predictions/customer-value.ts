import { z } from 'zod';
import {
  bgNbdConditionalExpectedPurchases,
  bgNbdProbabilityAlive,
  fitBgNbd,
  type BgNbdCustomer,
  type BgNbdParameters,
} from './bg-nbd';
import { fitGammaGamma, gammaGammaExpectedAverageValue, type GammaGammaParameters } from './gamma-gamma';
import { asOfDayNumber, purchaseDays, type PurchaseHistory } from './purchase-history';
import { describeIssues } from '../validation';

/**
 * Expected purchases and value over the next days (90 by default) per customer: BG/NBD for the
 * number of purchases, Gamma-Gamma for the value of each, both fitted on the brand's customers as of a
 * date. The model is plain JSON (numbers only): store it, load it with `parseCustomerValueModel`,
 * forecast with `forecastCustomerValue`. Pure and deterministic, so workflows can import it.
 */

/** lifetimes' documentation works in weeks; so do we by default (the answers do not depend on it). */
export const DEFAULT_TIME_UNIT_DAYS = 7;
export const VALUE_FORECAST_HORIZON_DAYS = 90;

/** A history in lifetimes' terms, plus the mean value of the repeat purchase days (0 without any). */
export interface CustomerValueSummary extends BgNbdCustomer {
  /** Mean spend per repeat purchase day, reporting-currency minor units. */
  monetaryValueMinor: number;
}

/**
 * lifetimes' `summary_data_from_transaction_data` for one customer: purchase days up to `asOf`
 * (YYYY-MM-DD), frequency = purchase days − 1, recency = last − first, T = asOf − first, in units of
 * `unitDays`; monetary value = mean total of the repeat purchase days. Null without a purchase by `asOf`.
 */
export function customerValueSummary(
  history: PurchaseHistory,
  asOf: string,
  unitDays = DEFAULT_TIME_UNIT_DAYS,
): CustomerValueSummary | null {
  const asOfDay = asOfDayNumber(asOf);
  const days = purchaseDays(history, asOfDay);
  if (days.length === 0) return null;
  const first = days[0]!.day;
  const repeat = days.slice(1);
  return {
    frequency: repeat.length,
    recency: (days[days.length - 1]!.day - first) / unitDays,
    T: (asOfDay - first) / unitDays,
    monetaryValueMinor:
      repeat.length === 0 ? 0 : Number(repeat.reduce((s, d) => s + d.amountMinor, 0n)) / repeat.length,
  };
}

export interface CustomerValueModel {
  format: 'meridian.customer-value-model';
  version: 1;
  asOf: string;
  unitDays: number;
  bgNbd: BgNbdParameters;
  gammaGamma: GammaGammaParameters;
  fittedOn: {
    customers: number;
    /** Customers with a repeat purchase and positive mean repeat spend: the Gamma-Gamma sample. */
    repeatCustomers: number;
    bgNbdLogLikelihood: number;
    gammaGammaLogLikelihood: number;
    /** A fit stopped at the edge of its search box: the data showed no heterogeneity; treat forecasts with care. */
    bgNbdAtBound: boolean;
    gammaGammaAtBound: boolean;
  };
}

/**
 * Fits both models on the histories as of `asOf`. Histories should share one reporting currency and,
 * for per-market models, one market (the caller groups them).
 */
export function fitCustomerValueModel(
  histories: readonly PurchaseHistory[],
  asOf: string,
  options: { unitDays?: number } = {},
): CustomerValueModel {
  const unitDays = options.unitDays ?? DEFAULT_TIME_UNIT_DAYS;
  if (!(unitDays > 0)) throw new RangeError(`unitDays must be positive, got ${unitDays}`);
  const summaries = histories.flatMap((h) => customerValueSummary(h, asOf, unitDays) ?? []);
  if (summaries.length === 0) throw new RangeError(`no customer had bought by ${asOf}: nothing to fit`);
  const repeat = summaries.filter((s) => s.frequency > 0 && s.monetaryValueMinor > 0);
  if (repeat.length === 0)
    throw new RangeError(`no customer had a repeat purchase by ${asOf}: the spend model needs some`);
  const bgNbd = fitBgNbd(summaries);
  const gammaGamma = fitGammaGamma(
    repeat.map((s) => ({ frequency: s.frequency, monetaryValue: s.monetaryValueMinor })),
  );
  return {
    format: 'meridian.customer-value-model',
    version: 1,
    asOf,
    unitDays,
    bgNbd: bgNbd.params,
    gammaGamma: gammaGamma.params,
    fittedOn: {
      customers: summaries.length,
      repeatCustomers: repeat.length,
      bgNbdLogLikelihood: bgNbd.logLikelihood,
      gammaGammaLogLikelihood: gammaGamma.logLikelihood,
      bgNbdAtBound: bgNbd.atBound,
      gammaGammaAtBound: gammaGamma.atBound,
    },
  };
}

export interface CustomerValueForecast {
  customerId: string;
  horizonDays: number;
  expectedPurchases: number;
  probabilityAlive: number;
  /** Expected value of each future purchase, reporting-currency minor units (fractional: an expectation). */
  expectedAverageValueMinor: number;
  /** expectedPurchases × expectedAverageValueMinor, undiscounted (90 days is too short to discount). */
  expectedValueMinor: number;
}

/** The forecast for one customer from their history as of `asOf`; null without a purchase by then. */
export function forecastCustomerValue(
  model: CustomerValueModel,
  history: PurchaseHistory,
  asOf: string,
  horizonDays = VALUE_FORECAST_HORIZON_DAYS,
): CustomerValueForecast | null {
  const summary = customerValueSummary(history, asOf, model.unitDays);
  if (!summary) return null;
  const expectedPurchases = bgNbdConditionalExpectedPurchases(model.bgNbd, horizonDays / model.unitDays, summary);
  const expectedAverageValueMinor = gammaGammaExpectedAverageValue(model.gammaGamma, {
    frequency: summary.monetaryValueMinor > 0 ? summary.frequency : 0,
    monetaryValue: summary.monetaryValueMinor,
  });
  return {
    customerId: history.customerId,
    horizonDays,
    expectedPurchases,
    probabilityAlive: bgNbdProbabilityAlive(model.bgNbd, summary),
    expectedAverageValueMinor,
    expectedValueMinor: expectedPurchases * expectedAverageValueMinor,
  };
}

const positive = z.number().positive().refine(Number.isFinite, 'must be finite');
const customerValueModelSchema = z.object({
  format: z.literal('meridian.customer-value-model'),
  version: z.literal(1),
  asOf: z.iso.date(),
  unitDays: positive,
  bgNbd: z.object({ r: positive, alpha: positive, a: positive, b: positive }),
  gammaGamma: z.object({ p: positive, q: positive, v: positive }),
  fittedOn: z.object({
    customers: z.int().positive(),
    repeatCustomers: z.int().positive(),
    bgNbdLogLikelihood: z.number(),
    gammaGammaLogLikelihood: z.number(),
    bgNbdAtBound: z.boolean(),
    gammaGammaAtBound: z.boolean(),
  }),
});

/** A stored customer-value model back from JSON (text or parsed), checked. */
export function parseCustomerValueModel(stored: unknown): CustomerValueModel {
  const value = typeof stored === 'string' ? JSON.parse(stored) : stored;
  const parsed = customerValueModelSchema.safeParse(value);
  if (!parsed.success) {
    const problem = describeIssues(parsed.error, 'the top', { first: true });
    throw new RangeError(`stored customer-value model is not valid at ${problem}; refit it`);
  }
  return parsed.data;
}
