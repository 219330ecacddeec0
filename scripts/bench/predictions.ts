import { cpus, loadavg } from 'node:os';
import { addLocalDays, localDayNumber } from '../../domain/local-time';
import {
  areaUnderRocCurve,
  churnFeatures,
  churned,
  customerValueSummary,
  fitCustomerValueModel,
  forecastCustomerValue,
  lifecycleStages,
  marketPurchaseRhythms,
  LIFECYCLE_STAGES,
  meanAbsoluteError,
  rfmScores,
  rootMeanSquaredError,
  scoreChurn,
  topFractionLift,
  trainChurnModel,
  CHURN_FEATURES,
  type PurchaseHistory,
} from '../../domain/predictions';
import { bgNbdConditionalExpectedPurchases, bgNbdLogLikelihood, fitBgNbd } from '../../domain/predictions/bg-nbd';
import { fitGammaGamma, gammaGammaExpectedAverageValue } from '../../domain/predictions/gamma-gamma';
import { purchaseDays } from '../../domain/predictions/purchase-history';
import { cdnowHistories, cdnowSampleCustomerIds, cdnowTransactions } from '../../test/support/cdnow';

/**
 * Predictions benchmark: `npm run bench:predictions`. A time-split backtest on the real CDNOW
 * transactions (data/cdnow): models see only the calibration period (to 1997-09-30, as in Fader,
 * Hardie & Lee) and are judged on what the customers did afterwards (to 1998-06-30). Each model is
 * printed next to a simple baseline computed in the same run. Nothing is tuned on the test period:
 * the churn forest is trained with features as of 1997-07-02 and labels from 1997-07-03–09-30, and
 * its one choice (tree depth) is made on a 30 % slice of the calibration-period customers.
 */

const CALIBRATION_END = '1997-09-30';
const HOLDOUT_END = '1998-06-30';
const HORIZON_DAYS = 90;
const TRAIN_AS_OF = addLocalDays(CALIBRATION_END, -HORIZON_DAYS);
const UNIT_DAYS = 7;
const DEPTHS = [4, 6, 8, 10];

const timings: [string, number][] = [];
function timed<T>(what: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  timings.push([what, performance.now() - started]);
  return result;
}

function table(title: string, headers: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? format(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

function format(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return n.toFixed(3);
}

/** Purchase days and spend of a customer in (from, to], local dates. */
function activityBetween(history: PurchaseHistory, from: string, to: string): { days: number; spendMinor: number } {
  const fromDay = localDayNumber(from);
  const inWindow = purchaseDays(history, localDayNumber(to)).filter((d) => d.day > fromDay);
  return { days: inWindow.length, spendMinor: Number(inWindow.reduce((s, d) => s + d.amountMinor, 0n)) };
}

/** A fixed 70/30 split of customers by ID (a multiplicative hash, so not by acquisition order). */
function inTrainingSlice(customerId: string): boolean {
  return (Math.imul(Number(customerId), 2654435761) >>> 0) % 10 < 7;
}

function main(): void {
  const histories = timed('load and parse CDNOW (gzip)', () => cdnowHistories(cdnowTransactions()));
  const purchaseCount = histories.reduce((s, h) => s + h.purchases.length, 0);
  console.log(
    `CDNOW: ${histories.length.toLocaleString('en-US')} customers, ${purchaseCount.toLocaleString('en-US')} purchases, 1997-01-01 – ${HOLDOUT_END}`,
  );
  console.log(
    `calibration to ${CALIBRATION_END}; holdout ${addLocalDays(CALIBRATION_END, 1)} – ${HOLDOUT_END}; churn and value horizon ${HORIZON_DAYS} days`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} at start`,
  );

  // ── Published parameters on the 2,357-customer sample (the unit test asserts them) ──
  const byId = new Map(histories.map((h) => [h.customerId, h]));
  const sample = cdnowSampleCustomerIds().map((id) => byId.get(id)!);
  const sampleSummaries = sample.map((h) => customerValueSummary(h, CALIBRATION_END, UNIT_DAYS)!);
  const sampleFit = timed('BG/NBD fit, 2,357-customer sample', () => fitBgNbd(sampleSummaries));
  const sampleSpend = timed('Gamma-Gamma fit, 946 sample repeat buyers', () =>
    fitGammaGamma(
      sampleSummaries
        .filter((s) => s.frequency > 0)
        .map((s) => ({ frequency: s.frequency, monetaryValue: s.monetaryValueMinor / 100 })),
    ),
  );
  table(
    'CDNOW 1/10 sample (2,357 customers, weeks), fitted vs published (Fader, Hardie & Lee 2005; lifetimes tests)',
    ['parameter', 'fitted', 'published'],
    [
      ['r', sampleFit.params.r, 0.243],
      ['alpha', sampleFit.params.alpha, 4.414],
      ['a', sampleFit.params.a, 0.793],
      ['b', sampleFit.params.b, 2.426],
      ['log-likelihood', sampleFit.logLikelihood, -9582.4],
      ['p (Gamma-Gamma)', sampleSpend.params.p, 6.25],
      ['q', sampleSpend.params.q, 3.74],
      ['v', sampleSpend.params.v, 15.44],
    ],
  );

  // ── Churn: no purchase in the 90 days after the as-of date ──
  const training = timed(`churn features as of ${TRAIN_AS_OF} + labels`, () =>
    histories.flatMap((h) => {
      const features = churnFeatures(h, TRAIN_AS_OF);
      return features ? [{ id: h.customerId, features, churned: churned(h, TRAIN_AS_OF, HORIZON_DAYS) }] : [];
    }),
  );
  const fitSlice = training.filter((t) => inTrainingSlice(t.id));
  const checkSlice = training.filter((t) => !inTrainingSlice(t.id));
  const depthRows = DEPTHS.map((maxDepth) => {
    const model = trainChurnModel(
      fitSlice.map((t) => t.features),
      fitSlice.map((t) => t.churned),
      { maxDepth },
    );
    const auc = areaUnderRocCurve(
      checkSlice.map((t) => scoreChurn(model, t.features)),
      checkSlice.map((t) => t.churned),
    );
    return { maxDepth, auc };
  });
  const chosen = depthRows.reduce((best, row) => (row.auc > best.auc ? row : best));
  table(
    `Churn forest depth, chosen inside the calibration period (features ${TRAIN_AS_OF}, labels to ${CALIBRATION_END}; ${fitSlice.length} fit / ${checkSlice.length} check customers)`,
    ['max depth', 'check AUC'],
    depthRows.map((r) => [String(r.maxDepth) + (r === chosen ? ' ←' : ''), r.auc]),
  );
  const churnModel = timed(`churn forest training (${training.length} customers, depth ${chosen.maxDepth})`, () =>
    trainChurnModel(
      training.map((t) => t.features),
      training.map((t) => t.churned),
      { maxDepth: chosen.maxDepth },
    ),
  );
  const modelJson = JSON.stringify(churnModel);

  const test = timed(`churn features as of ${CALIBRATION_END} + holdout labels`, () =>
    histories.flatMap((h) => {
      const features = churnFeatures(h, CALIBRATION_END);
      return features ? [{ history: h, features, churned: churned(h, CALIBRATION_END, HORIZON_DAYS) }] : [];
    }),
  );
  const forestScores = timed(`churn scoring (${test.length} customers)`, () =>
    test.map((t) => scoreChurn(churnModel, t.features)),
  );
  const labels = test.map((t) => t.churned);
  const recencyScores = test.map((t) => t.features.recencyDays);

  // ── BG/NBD + Gamma-Gamma on the calibration period ──
  const valueModel = timed(`BG/NBD + Gamma-Gamma fit (${histories.length} customers, to ${CALIBRATION_END})`, () =>
    fitCustomerValueModel(histories, CALIBRATION_END, { unitDays: UNIT_DAYS }),
  );
  const forecasts = timed(`value forecasts, ${HORIZON_DAYS} days`, () =>
    test.map((t) => forecastCustomerValue(valueModel, t.history, CALIBRATION_END, HORIZON_DAYS)!),
  );
  const bgNbdScores = forecasts.map((f) => -f.expectedPurchases);

  const churnRate = labels.filter(Boolean).length / labels.length;
  table(
    `Churn risk on the holdout: no purchase ${addLocalDays(CALIBRATION_END, 1)} – ${addLocalDays(CALIBRATION_END, HORIZON_DAYS)} ` +
      `(${test.length} customers, ${(churnRate * 100).toFixed(1)} % churned, so the highest possible lift is ${(1 / churnRate).toFixed(3)})`,
    ['score', 'AUC', 'top-decile lift'],
    [
      ['random forest (14 features)', areaUnderRocCurve(forestScores, labels), topFractionLift(forestScores, labels)],
      [
        'baseline: recency alone (days since last purchase)',
        areaUnderRocCurve(recencyScores, labels),
        topFractionLift(recencyScores, labels),
      ],
      [
        'for reference: BG/NBD, fewest expected purchases',
        areaUnderRocCurve(bgNbdScores, labels),
        topFractionLift(bgNbdScores, labels),
      ],
    ],
  );
  table(
    'Forest feature importance (mean Gini decrease)',
    ['feature', 'share'],
    CHURN_FEATURES.map((name, i) => [name, churnModel.forest.featureImportance[i]!] as [string, number])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6),
  );

  // ── Expected purchases per customer ──
  const horizonEnd = addLocalDays(CALIBRATION_END, HORIZON_DAYS);
  const actual90 = test.map((t) => activityBetween(t.history, CALIBRATION_END, horizonEnd));
  const summaries = test.map((t) => customerValueSummary(t.history, CALIBRATION_END, UNIT_DAYS)!);
  const horizonUnits = HORIZON_DAYS / UNIT_DAYS;
  const holdoutUnits = (localDayNumber(HOLDOUT_END) - localDayNumber(CALIBRATION_END)) / UNIT_DAYS;
  const actualHoldout = test.map((t) => activityBetween(t.history, CALIBRATION_END, HOLDOUT_END));
  const bgNbd90 = forecasts.map((f) => f.expectedPurchases);
  const bgNbdHoldout = summaries.map((s) => bgNbdConditionalExpectedPurchases(valueModel.bgNbd, holdoutUnits, s));
  const rate = (units: number) => summaries.map((s) => (s.frequency / s.T) * units);
  // Recency alone, learned inside the calibration period: the mean number of purchase days (and spend)
  // in the 90 days after TRAIN_AS_OF of the customers in each 30-day recency bucket, applied to the
  // recency on CALIBRATION_END.
  const bucketOf = (recencyDays: number) => Math.min(Math.floor(recencyDays / 30), 9);
  const bucketMeans = new Map<number, { days: number; spend: number; count: number }>();
  for (const t of training) {
    const bucket = bucketOf(t.features.recencyDays);
    const later = activityBetween(byId.get(t.id)!, TRAIN_AS_OF, CALIBRATION_END);
    const known = bucketMeans.get(bucket) ?? { days: 0, spend: 0, count: 0 };
    bucketMeans.set(bucket, {
      days: known.days + later.days,
      spend: known.spend + later.spendMinor / 100,
      count: known.count + 1,
    });
  }
  const recencyBaseline = (what: 'days' | 'spend') =>
    test.map((t) => {
      const m = bucketMeans.get(bucketOf(t.features.recencyDays));
      return m ? m[what] / m.count : 0;
    });
  const countRow = (name: string, predicted: number[], actual: number[]) => [
    name,
    meanAbsoluteError(predicted, actual),
    rootMeanSquaredError(predicted, actual),
    predicted.reduce((s, v) => s + v, 0),
    actual.reduce((s, v) => s + v, 0),
  ];
  const days90 = actual90.map((a) => a.days);
  const daysHoldout = actualHoldout.map((a) => a.days);
  table(
    `Purchase days per customer (same-day orders are one), ${test.length} customers`,
    ['prediction', 'MAE', 'RMSE', 'predicted total', 'actual total'],
    [
      countRow(`BG/NBD, next ${HORIZON_DAYS} days`, bgNbd90, days90),
      countRow(`baseline: recency alone (bucket means from ${TRAIN_AS_OF})`, recencyBaseline('days'), days90),
      countRow('baseline: calibration rate x/T extrapolated', rate(horizonUnits), days90),
      countRow(
        'baseline: nobody buys',
        days90.map(() => 0),
        days90,
      ),
      countRow(`BG/NBD, whole 39-week holdout`, bgNbdHoldout, daysHoldout),
      countRow('baseline: calibration rate x/T extrapolated, 39 weeks', rate(holdoutUnits), daysHoldout),
    ],
  );

  // ── Gamma-Gamma: value per purchase ──
  const returning = test
    .map((t, i) => ({ summary: summaries[i]!, actual: actualHoldout[i]!, forecast: forecasts[i]! }))
    .filter((r) => r.actual.days > 0);
  const actualMean = returning.map((r) => r.actual.spendMinor / r.actual.days / 100);
  const predictedMean = returning.map((r) => r.forecast.expectedAverageValueMinor / 100);
  const populationMean =
    gammaGammaExpectedAverageValue(valueModel.gammaGamma, { frequency: 0, monetaryValue: 0 }) / 100;
  const ownMean = returning.map((r) =>
    r.summary.frequency > 0 && r.summary.monetaryValueMinor > 0 ? r.summary.monetaryValueMinor / 100 : populationMean,
  );
  const repeaters = summaries.filter((s) => s.frequency > 0 && s.monetaryValueMinor > 0);
  const correlation = pearson(
    repeaters.map((s) => s.frequency),
    repeaters.map((s) => s.monetaryValueMinor),
  );
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  table(
    `Value per purchase day, USD, of the ${returning.length} customers who bought in the holdout (Gamma-Gamma assumes frequency and value independent: correlation ${correlation.toFixed(3)} among ${repeaters.length} repeat buyers)`,
    ['prediction', 'MAE', 'mean predicted', 'mean actual'],
    [
      [
        'Gamma-Gamma expected average value',
        meanAbsoluteError(predictedMean, actualMean),
        mean(predictedMean),
        mean(actualMean),
      ],
      [
        "baseline: customer's own calibration mean (population mean if none)",
        meanAbsoluteError(ownMean, actualMean),
        mean(ownMean),
        mean(actualMean),
      ],
      [
        'baseline: population mean p·v/(q−1) for everyone',
        meanAbsoluteError(
          predictedMean.map(() => populationMean),
          actualMean,
        ),
        populationMean,
        mean(actualMean),
      ],
    ],
  );

  // ── Value over the next 90 days ──
  const value90 = forecasts.map((f) => f.expectedValueMinor / 100);
  const spend90 = actual90.map((a) => a.spendMinor / 100);
  // The repeat-spend rate of the calibration period (first purchase left out, as the models do).
  const spendRate = summaries.map((s) => ((s.frequency * s.monetaryValueMinor) / 100 / s.T) * horizonUnits);
  table(
    `Spend per customer in the next ${HORIZON_DAYS} days, USD`,
    ['prediction', 'MAE', 'RMSE', 'predicted total', 'actual total'],
    [
      countRow('BG/NBD × Gamma-Gamma', value90, spend90),
      countRow(`baseline: recency alone (bucket means from ${TRAIN_AS_OF})`, recencyBaseline('spend'), spend90),
      countRow('baseline: calibration repeat-spend rate extrapolated', spendRate, spend90),
      countRow(
        'baseline: nobody buys',
        spend90.map(() => 0),
        spend90,
      ),
    ],
  );

  // ── RFM and lifecycle against what happened next ──
  const stages = lifecycleStages(histories, CALIBRATION_END);
  const boughtNext = new Map(test.map((t, i) => [t.history.customerId, actual90[i]!.days > 0]));
  table(
    `Lifecycle stage on ${CALIBRATION_END} vs buying again in the next ${HORIZON_DAYS} days ` +
      `(market rhythm ${marketPurchaseRhythms(histories, CALIBRATION_END).get('US')!.toFixed(1)} days, for one-time buyers)`,
    ['stage', 'customers', 'bought again'],
    LIFECYCLE_STAGES.map((stage) => {
      const members = stages.filter((s) => s.stage === stage);
      const rateBought = members.filter((m) => boughtNext.get(m.customerId)).length / Math.max(1, members.length);
      return [stage, members.length, `${(rateBought * 100).toFixed(1)} %`];
    }),
  );
  const rfm = rfmScores(histories, CALIBRATION_END);
  table(
    `RFM recency score on ${CALIBRATION_END} vs buying again in the next ${HORIZON_DAYS} days`,
    ['R score', 'customers', 'bought again'],
    [5, 4, 3, 2, 1].map((score) => {
      const members = rfm.filter((r) => r.recencyScore === score);
      const rateBought = members.filter((m) => boughtNext.get(m.customerId)).length / Math.max(1, members.length);
      return [String(score), members.length, `${(rateBought * 100).toFixed(1)} %`];
    }),
  );

  table(
    'Run time',
    ['step', 'ms'],
    timings.map(([what, ms]) => [what, Math.round(ms)]),
  );
  console.log(
    `\nchurn model JSON: ${(modelJson.length / 1024).toFixed(0)} KiB (${churnModel.forest.trees.length} trees); customer-value model JSON: ${JSON.stringify(valueModel).length} bytes`,
  );
  console.log(
    `peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load average ${loadavg()[0]!.toFixed(2)} at the end`,
  );
  // The value model's log-likelihood, recomputed, guards against a silently failed fit.
  const check = summaries.reduce((s, c) => s + bgNbdLogLikelihood(valueModel.bgNbd, c), 0);
  if (Math.abs(check - valueModel.fittedOn.bgNbdLogLikelihood) > 1e-6 * Math.abs(check))
    throw new Error('BG/NBD log-likelihood does not reproduce');
}

function pearson(x: number[], y: number[]): number {
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

main();
