import { z } from 'zod';
import {
  asOfDayNumber,
  meanPurchaseGapDays,
  purchaseDays,
  type PurchaseDay,
  type PurchaseHistory,
} from './purchase-history';
import { forestProbability, trainRandomForest, type RandomForest, type RandomForestOptions } from './random-forest';
import { describeIssues } from '../validation';

/**
 * Churn risk: the probability that a customer makes no purchase in the `horizonDays` after the as-of
 * date, from features of their purchase history up to that date, by a random forest trained in the
 * platform on the brand's own customers (random-forest.ts).
 *
 * Training is honest in time: features as of a past date D, labels from the days after D, then scoring
 * with features as of today. `trainChurnModel`'s model is plain JSON: store it, load it back with
 * `parseChurnModel`, score with `scoreChurn`. Pure and deterministic, so workflows can import it.
 */

/** The horizon the platform predicts churn over: 90 days, the span of the value forecast too. */
export const CHURN_HORIZON_DAYS = 90;

/**
 * Features of a history as of a date. Gap features are −1 for a customer with one purchase day
 * (a tree can separate that value; no real gap is negative). Money is reporting-currency minor units.
 */
export const CHURN_FEATURES = [
  'recencyDays',
  'tenureDays',
  'purchaseDays',
  'orders',
  'spendMinor',
  'averageDaySpendMinor',
  'lastDaySpendMinor',
  'meanGapDays',
  'lastGapDays',
  'recencyInGaps',
  'purchaseDaysLast30',
  'purchaseDaysLast90',
  'purchaseDaysLast180',
  'spendLast90Minor',
] as const;
export type ChurnFeatureName = (typeof CHURN_FEATURES)[number];
export type ChurnFeatures = Record<ChurnFeatureName, number>;

/** The features of a customer as of `asOf` (YYYY-MM-DD), or null when they had not bought by then. */
export function churnFeatures(history: PurchaseHistory, asOf: string): ChurnFeatures | null {
  const asOfDay = asOfDayNumber(asOf);
  return featuresOf(purchaseDays(history, asOfDay), asOfDay);
}

function featuresOf(days: readonly PurchaseDay[], asOfDay: number): ChurnFeatures | null {
  if (days.length === 0) return null;
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const spend = days.reduce((s, d) => s + d.amountMinor, 0n);
  const meanGap = meanPurchaseGapDays(days);
  const within = (window: number) => days.filter((d) => asOfDay - d.day < window);
  return {
    recencyDays: asOfDay - last.day,
    tenureDays: asOfDay - first.day,
    purchaseDays: days.length,
    orders: days.reduce((s, d) => s + d.orders, 0),
    spendMinor: Number(spend),
    averageDaySpendMinor: Number(spend) / days.length,
    lastDaySpendMinor: Number(last.amountMinor),
    meanGapDays: meanGap ?? -1,
    lastGapDays: days.length >= 2 ? last.day - days[days.length - 2]!.day : -1,
    recencyInGaps: meanGap !== undefined && meanGap > 0 ? (asOfDay - last.day) / meanGap : -1,
    purchaseDaysLast30: within(30).length,
    purchaseDaysLast90: within(90).length,
    purchaseDaysLast180: within(180).length,
    spendLast90Minor: Number(within(90).reduce((s, d) => s + d.amountMinor, 0n)),
  };
}

/**
 * The label: true when the customer made no purchase in the `horizonDays` days after `asOf`
 * (asOf + 1 … asOf + horizonDays). Only meaningful once those days are over.
 */
export function churned(history: PurchaseHistory, asOf: string, horizonDays = CHURN_HORIZON_DAYS): boolean {
  const asOfDay = asOfDayNumber(asOf);
  const days = purchaseDays(history, asOfDay + horizonDays);
  return !days.some((d) => d.day > asOfDay);
}

export interface ChurnModel {
  format: 'meridian.churn-model';
  version: 1;
  horizonDays: number;
  features: ChurnFeatureName[];
  forest: RandomForest;
}

/**
 * Trains on feature rows and their labels (true = churned), index by index. Forest options default to
 * random-forest.ts' RANDOM_FOREST_DEFAULTS; choose others (depth, above all) on a slice of the
 * training period, never on the period being predicted.
 */
export function trainChurnModel(
  features: readonly ChurnFeatures[],
  churnedLabels: readonly boolean[],
  options: RandomForestOptions & { horizonDays?: number } = {},
): ChurnModel {
  const { horizonDays = CHURN_HORIZON_DAYS, ...forestOptions } = options;
  const rows = features.map((f) => CHURN_FEATURES.map((name) => f[name]));
  return {
    format: 'meridian.churn-model',
    version: 1,
    horizonDays,
    features: [...CHURN_FEATURES],
    forest: trainRandomForest(rows, churnedLabels, forestOptions),
  };
}

/** The probability, 0–1, that this customer makes no purchase within the model's horizon. */
export function scoreChurn(model: ChurnModel, features: ChurnFeatures): number {
  return forestProbability(
    model.forest,
    model.features.map((name) => features[name]),
  );
}

const forestTree = z.object({
  feature: z.array(z.int().min(-1)),
  threshold: z.array(z.int().min(0)),
  left: z.array(z.int().min(-1)),
  right: z.array(z.int().min(-1)),
  value: z.array(z.number().min(0).max(1)),
});

const churnModelSchema = z.object({
  format: z.literal('meridian.churn-model'),
  version: z.literal(1),
  horizonDays: z.int().positive(),
  features: z.array(z.enum(CHURN_FEATURES)).min(1),
  forest: z.object({
    format: z.literal('meridian.random-forest'),
    version: z.literal(1),
    featureCount: z.int().positive(),
    binEdges: z.array(z.array(z.number())),
    trees: z.array(forestTree).min(1),
    featureImportance: z.array(z.number()),
    options: z.object({
      trees: z.int(),
      maxDepth: z.int(),
      minLeafSize: z.number(),
      featuresPerSplit: z.int(),
      bins: z.int(),
      seed: z.int(),
    }),
    trainedOn: z.object({ rows: z.int(), positives: z.int() }),
  }),
});

/**
 * A stored churn model back from JSON (text or parsed), checked: a model from another format or a
 * damaged one is refused with the reason instead of scoring nonsense.
 */
export function parseChurnModel(stored: unknown): ChurnModel {
  const value = typeof stored === 'string' ? JSON.parse(stored) : stored;
  const parsed = churnModelSchema.safeParse(value);
  if (!parsed.success) {
    const problem = describeIssues(parsed.error, 'the top', { first: true });
    throw new RangeError(`stored churn model is not valid at ${problem}; retrain it`);
  }
  const model = parsed.data as ChurnModel;
  const forest = model.forest;
  if (forest.featureCount !== model.features.length || forest.binEdges.length !== forest.featureCount) {
    throw new RangeError('stored churn model lists a different number of features than its forest uses; retrain it');
  }
  for (const tree of forest.trees) {
    const size = tree.feature.length;
    const consistent =
      tree.threshold.length === size &&
      tree.left.length === size &&
      tree.right.length === size &&
      tree.value.length === size &&
      tree.feature.every(
        (f, node) =>
          f < 0 ||
          (f < forest.featureCount &&
            [tree.left[node]!, tree.right[node]!].every((child) => child > node && child < size)),
      );
    if (!consistent) throw new RangeError('stored churn model has a tree whose nodes do not connect; retrain it');
  }
  return model;
}
