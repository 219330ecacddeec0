import { describe, expect, it } from 'vitest';
import {
  areaUnderRocCurve,
  churnFeatures,
  churned,
  parseChurnModel,
  scoreChurn,
  trainChurnModel,
  CHURN_FEATURES,
  type ChurnFeatures,
  type PurchaseHistory,
} from '../../domain/predictions';
import { forestProbability, trainRandomForest } from '../../domain/predictions/random-forest';
import { seededRandom } from '../../domain/seeded-random';

const history = (purchases: [string, number][]): PurchaseHistory => ({
  customerId: 'c1',
  market: 'DE',
  purchases: purchases.map(([localDate, amount]) => ({ localDate, amountMinor: BigInt(amount) })),
});

/** Two informative features (label: x0 + x1 > 1) and three of noise. */
function separableSet(size: number, seed: number) {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < size; i++) {
    const row = [random(), random(), random(), random() * 100, Math.floor(random() * 5)];
    rows.push(row);
    labels.push(row[0]! + row[1]! > 1);
  }
  return { rows, labels };
}

describe('churn features and label', () => {
  const customer = history([
    ['2025-01-10', 2000],
    ['2025-03-01', 1500],
    ['2025-03-01', 500], // same day: one purchase day, two orders
    ['2025-05-20', 4000],
    ['2025-06-25', 1000], // after the as-of date below
  ]);

  it('computes each feature from the purchase days up to the as-of date', () => {
    expect(churnFeatures(customer, '2025-06-01')).toEqual({
      recencyDays: 12,
      tenureDays: 142,
      purchaseDays: 3,
      orders: 4,
      spendMinor: 8000,
      averageDaySpendMinor: 8000 / 3,
      lastDaySpendMinor: 4000,
      meanGapDays: 65, // (2025-05-20 − 2025-01-10) / 2 = 130 / 2
      lastGapDays: 80,
      recencyInGaps: 12 / 65,
      purchaseDaysLast30: 1,
      purchaseDaysLast90: 1, // 2025-03-01 is 92 days back
      purchaseDaysLast180: 3,
      spendLast90Minor: 4000,
    } satisfies ChurnFeatures);
  });

  it('gives −1 gaps to a one-purchase customer, and nothing to a customer who had not bought yet', () => {
    const once = churnFeatures(history([['2025-05-20', 100]]), '2025-06-01')!;
    expect([once.meanGapDays, once.lastGapDays, once.recencyInGaps, once.purchaseDays]).toEqual([-1, -1, -1, 1]);
    expect(churnFeatures(customer, '2025-01-09')).toBeNull();
  });

  it('labels churn as no purchase in the horizon after the as-of date', () => {
    expect(churned(customer, '2025-06-01', 30)).toBe(false); // 2025-06-25 is day 24
    expect(churned(customer, '2025-06-01', 23)).toBe(true);
    expect(churned(customer, '2025-06-25', 90)).toBe(true); // the as-of day itself is not "after"
  });
});

describe('random forest', () => {
  it('is better than chance on a separable synthetic set it did not see', () => {
    const train = separableSet(2000, 1);
    const test = separableSet(1000, 2);
    const forest = trainRandomForest(train.rows, train.labels, { trees: 60, seed: 7 });
    const scores = test.rows.map((row) => forestProbability(forest, row));
    expect(areaUnderRocCurve(scores, test.labels)).toBeGreaterThan(0.97);
    const accuracy = scores.filter((s, i) => s >= 0.5 === test.labels[i]).length / scores.length;
    expect(accuracy).toBeGreaterThan(0.9);
    // The informative features carry the importance.
    expect(forest.featureImportance[0]! + forest.featureImportance[1]!).toBeGreaterThan(0.8);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const { rows, labels } = separableSet(500, 3);
    const a = trainRandomForest(rows, labels, { trees: 20, seed: 42 });
    const b = trainRandomForest(rows, labels, { trees: 20, seed: 42 });
    const c = trainRandomForest(rows, labels, { trees: 20, seed: 43 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('refuses input it cannot learn from, naming the problem', () => {
    expect(() => trainRandomForest([[1], [2]], [true, true])).toThrow(/needs both outcomes; all 2 rows are positive/);
    expect(() => trainRandomForest([[1], [2, 3]], [true, false])).toThrow(/row 1 has 2 features, row 0 has 1/);
    expect(() => trainRandomForest([[1], [NaN]], [true, false])).toThrow(/row 1, feature 0 is NaN/);
    expect(() => trainRandomForest([[1], [2]], [true, false], { bins: 1 })).toThrow(
      /bins must be a whole number from 2 to 256/,
    );
  });
});

describe('churn model', () => {
  // Customers whose rhythm says whether they come back: the model must find it from the features.
  function syntheticCustomers(count: number, seed: number) {
    const random = seededRandom(seed);
    const features: ChurnFeatures[] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < count; i++) {
      const gap = 5 + Math.floor(random() * 60);
      const purchases = 1 + Math.floor(random() * 8);
      const recency = Math.floor(random() * 200);
      const f = Object.fromEntries(CHURN_FEATURES.map((name) => [name, 0])) as ChurnFeatures;
      Object.assign(f, {
        recencyDays: recency,
        purchaseDays: purchases,
        orders: purchases,
        meanGapDays: purchases > 1 ? gap : -1,
        recencyInGaps: purchases > 1 ? recency / gap : -1,
        spendMinor: purchases * 3000,
      });
      features.push(f);
      labels.push(recency > 2 * gap || (purchases === 1 && recency > 60));
    }
    return { features, labels };
  }

  it('scores held-out customers far better than chance and survives a JSON round trip unchanged', () => {
    const train = syntheticCustomers(3000, 11);
    const test = syntheticCustomers(1000, 12);
    const model = trainChurnModel(train.features, train.labels, { trees: 40, seed: 3 });
    const scores = test.features.map((f) => scoreChurn(model, f));
    expect(areaUnderRocCurve(scores, test.labels)).toBeGreaterThan(0.95);
    scores.forEach((s) => expect(s >= 0 && s <= 1).toBe(true));

    const stored = JSON.stringify(model);
    const loaded = parseChurnModel(stored);
    expect(loaded).toEqual(model);
    expect(test.features.map((f) => scoreChurn(loaded, f))).toEqual(scores);
    expect(parseChurnModel(JSON.parse(stored))).toEqual(model);
  });

  it('refuses a stored model that is of another kind or damaged', () => {
    const { features, labels } = syntheticCustomers(300, 5);
    const model = trainChurnModel(features, labels, { trees: 3 });
    expect(() => parseChurnModel({ ...model, format: 'other' })).toThrow(/not valid at format/);
    const damaged = structuredClone(model);
    const tree = damaged.forest.trees[0]!;
    tree.left[0] = tree.feature.length + 5;
    expect(() => parseChurnModel(damaged)).toThrow(/nodes do not connect; retrain it/);
    const shortened = structuredClone(model);
    shortened.features = shortened.features.slice(1);
    expect(() => parseChurnModel(shortened)).toThrow(/different number of features/);
    expect(() => parseChurnModel('{"format":')).toThrow(SyntaxError);
  });
});
