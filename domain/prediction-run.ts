import { z } from 'zod';
import { isIsoDate } from './fx';
import { addLocalDays } from './local-time';
import {
  areaUnderRocCurve,
  churned,
  churnFeatures,
  CHURN_HORIZON_DAYS,
  fitCustomerValueModel,
  forecastCustomerValue,
  lifecycleStages,
  LIFECYCLE_STAGES,
  rfmScores,
  scoreChurn,
  topFractionLift,
  trainChurnModel,
  type ChurnModel,
  type CustomerValueModel,
  type PurchaseHistory,
} from './predictions';

/**
 * What the regional predictions workflow does with a region's purchase histories (issue 11 §6),
 * the platform side of domain/predictions: train the churn forest honestly in time (features as of
 * 90 days ago, labels from the 90 days since, the same split as `npm run bench:predictions`), fit
 * BG/NBD + Gamma-Gamma, and turn a day's scores into trait values and model tags. Pure and
 * deterministic, so it is unit-tested apart from the workflow and the databases.
 */

/** A model tag's definition (global `tags`): central (owner group), source model, labels per language. */
export interface ModelTag {
  key: string;
  model: 'churn' | 'lifecycle';
  labels: Record<string, string>;
}

/** The share of scored customers, highest churn risk first, tagged `churn_risk_high`. */
export const CHURN_HIGH_BAND = 0.1;

const STAGE_LABELS: Record<(typeof LIFECYCLE_STAGES)[number], Record<string, string>> = {
  new: { en: 'New customer', de: 'Neukunde', fr: 'Nouveau client', es: 'Cliente nuevo', ja: '新規顧客', zh: '新客户' },
  active: { en: 'Active', de: 'Aktiv', fr: 'Actif', es: 'Activo', ja: 'アクティブ', zh: '活跃' },
  at_risk: { en: 'At risk', de: 'Gefährdet', fr: 'À risque', es: 'En riesgo', ja: '離反リスク', zh: '有流失风险' },
  lapsed: { en: 'Lapsed', de: 'Inaktiv', fr: 'Inactif', es: 'Inactivo', ja: '休眠', zh: '沉睡' },
  churned: { en: 'Churned', de: 'Abgewandert', fr: 'Perdu', es: 'Perdido', ja: '離反', zh: '已流失' },
};

export const MODEL_TAGS: readonly ModelTag[] = [
  {
    key: 'churn_risk_high',
    model: 'churn',
    labels: {
      en: 'High churn risk',
      de: 'Hohes Abwanderungsrisiko',
      fr: 'Risque de départ élevé',
      es: 'Alto riesgo de abandono',
      ja: '離反リスク高',
      zh: '高流失风险',
    },
  },
  ...LIFECYCLE_STAGES.map((stage) => ({
    key: `lifecycle_${stage}`,
    model: 'lifecycle' as const,
    labels: STAGE_LABELS[stage],
  })),
];

/** The trait values a run writes (built-in traits of kind `prediction`, domain/computed-traits.ts). */
export const PREDICTION_TRAIT_IDS = [
  'rfm',
  'lifecycle_stage',
  'churn_risk',
  'expected_purchases_90d',
  'expected_value_90d',
] as const;

/** Tree depths tried; the one with the best AUC on a held-out slice of the training period is kept. */
const DEPTHS = [4, 6, 8];
/** Fewer training customers than this (or only one outcome among them) trains no model. */
export const MIN_TRAINING_CUSTOMERS = 50;

export type ChurnTraining =
  | { trained: true; model: ChurnModel; metrics: ChurnMetrics }
  | { trained: false; reason: string; rows: number };

export interface ChurnMetrics {
  trainAsOf: string;
  labelsUntil: string;
  rows: number;
  churned: number;
  depths: { maxDepth: number; checkAuc: number }[];
  chosenDepth: number;
  /** On the held-out 30 % of the training period, with the depth chosen: the model and recency alone. */
  checkAuc: number;
  checkTopDecileLift: number;
  recencyBaselineAuc: number;
}

/** A fixed 70/30 split of customers by ID (FNV-1a of the ID), so not by acquisition order. */
export function inFitSlice(customerId: string): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) hash = Math.imul(hash ^ customerId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % 10 < 7;
}

/**
 * Trains the churn forest as of `asOf`: features as of `asOf` − 90 days, label = no purchase in the 90
 * days up to `asOf`. The depth is chosen on a 30 % slice of those customers; the forest is then
 * retrained on all of them. Nothing is measured on the period it will score.
 */
export function trainChurn(histories: readonly PurchaseHistory[], asOf: string): ChurnTraining {
  const trainAsOf = addLocalDays(asOf, -CHURN_HORIZON_DAYS);
  const rows = histories.flatMap((h) => {
    const features = churnFeatures(h, trainAsOf);
    return features ? [{ id: h.customerId, features, churned: churned(h, trainAsOf) }] : [];
  });
  const positives = rows.filter((r) => r.churned).length;
  if (rows.length < MIN_TRAINING_CUSTOMERS)
    return { trained: false, rows: rows.length, reason: `${rows.length} customers had bought by ${trainAsOf}` };
  if (positives === 0 || positives === rows.length)
    return { trained: false, rows: rows.length, reason: 'every training customer had the same outcome' };
  const fit = rows.filter((r) => inFitSlice(r.id));
  const check = rows.filter((r) => !inFitSlice(r.id));
  const checkLabels = check.map((r) => r.churned);
  const twoOutcomes = (list: typeof rows) => list.some((r) => r.churned) && list.some((r) => !r.churned);
  let depths: { maxDepth: number; checkAuc: number }[] = [];
  let chosenDepth = DEPTHS[DEPTHS.length - 1]!;
  let checkAuc = Number.NaN;
  let checkTopDecileLift = Number.NaN;
  if (twoOutcomes(fit) && twoOutcomes(check)) {
    const tried = DEPTHS.map((maxDepth) => {
      const model = trainChurnModel(
        fit.map((r) => r.features),
        fit.map((r) => r.churned),
        { maxDepth },
      );
      const scores = check.map((r) => scoreChurn(model, r.features));
      return { maxDepth, checkAuc: areaUnderRocCurve(scores, checkLabels), lift: topFractionLift(scores, checkLabels) };
    });
    const best = tried.reduce((a, b) => (b.checkAuc > a.checkAuc ? b : a));
    depths = tried.map(({ maxDepth, checkAuc: auc }) => ({ maxDepth, checkAuc: auc }));
    chosenDepth = best.maxDepth;
    checkAuc = best.checkAuc;
    checkTopDecileLift = best.lift;
  }
  const model = trainChurnModel(
    rows.map((r) => r.features),
    rows.map((r) => r.churned),
    { maxDepth: chosenDepth },
  );
  return {
    trained: true,
    model,
    metrics: {
      trainAsOf,
      labelsUntil: asOf,
      rows: rows.length,
      churned: positives,
      depths,
      chosenDepth,
      checkAuc,
      checkTopDecileLift,
      recencyBaselineAuc:
        check.length > 0 && twoOutcomes(check)
          ? areaUnderRocCurve(
              check.map((r) => r.features.recencyDays),
              checkLabels,
            )
          : Number.NaN,
    },
  };
}

export type ValueFit = { fitted: true; model: CustomerValueModel } | { fitted: false; reason: string };

export function fitValue(histories: readonly PurchaseHistory[], asOf: string): ValueFit {
  try {
    return { fitted: true, model: fitCustomerValueModel(histories, asOf) };
  } catch (error) {
    if (error instanceof RangeError) return { fitted: false, reason: error.message };
    throw error;
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface ScoredRun {
  values: { customerId: string; traitId: string; value: unknown }[];
  tags: { customerId: string; tagKey: string; score: number | null }[];
  counts: { customers: number; scored: number; churnRiskHigh: number; stages: Record<string, number> };
}

/**
 * A day's scores as trait values and model tags, for every customer with a purchase by `asOf`: RFM
 * within the market, lifecycle stage (tag `lifecycle_<stage>`), churn probability (the top
 * CHURN_HIGH_BAND get `churn_risk_high`, scored), expected purchases and value over 90 days.
 */
export function scoreRun(
  histories: readonly PurchaseHistory[],
  asOf: string,
  churnModel: ChurnModel | null,
  valueModel: CustomerValueModel | null,
): ScoredRun {
  const values: ScoredRun['values'] = [];
  const tags: ScoredRun['tags'] = [];
  const stages: Record<string, number> = {};
  for (const r of rfmScores(histories, asOf)) {
    values.push({
      customerId: r.customerId,
      traitId: 'rfm',
      value: {
        recency: r.recencyScore,
        frequency: r.frequencyScore,
        monetary: r.monetaryScore,
        code: `R${r.recencyScore}F${r.frequencyScore}M${r.monetaryScore}`,
        market: r.market,
      },
    });
  }
  for (const l of lifecycleStages(histories, asOf)) {
    values.push({ customerId: l.customerId, traitId: 'lifecycle_stage', value: l.stage });
    tags.push({ customerId: l.customerId, tagKey: `lifecycle_${l.stage}`, score: null });
    stages[l.stage] = (stages[l.stage] ?? 0) + 1;
  }
  const churnScores: { customerId: string; score: number }[] = [];
  let scored = 0;
  for (const history of histories) {
    const features = churnModel ? churnFeatures(history, asOf) : null;
    if (churnModel && features) {
      const score = round(scoreChurn(churnModel, features), 4);
      churnScores.push({ customerId: history.customerId, score });
      values.push({ customerId: history.customerId, traitId: 'churn_risk', value: score });
    }
    const forecast = valueModel ? forecastCustomerValue(valueModel, history, asOf) : null;
    if (forecast) {
      values.push({
        customerId: history.customerId,
        traitId: 'expected_purchases_90d',
        value: round(forecast.expectedPurchases, 4),
      });
      values.push({
        customerId: history.customerId,
        traitId: 'expected_value_90d',
        value: Math.round(forecast.expectedValueMinor),
      });
    }
    if (features || forecast) scored++;
  }
  // The top band by score; ties at the edge are all in (a score is not split by input order).
  const ranked = [...churnScores].sort((a, b) => b.score - a.score);
  const bandSize = Math.ceil(ranked.length * CHURN_HIGH_BAND);
  const edge = bandSize > 0 ? ranked[bandSize - 1]!.score : Number.POSITIVE_INFINITY;
  const high = churnScores.filter((c) => c.score >= edge);
  for (const c of high) tags.push({ customerId: c.customerId, tagKey: 'churn_risk_high', score: c.score });
  return {
    values,
    tags,
    counts: { customers: histories.length, scored, churnRiskHigh: high.length, stages },
  };
}

/**
 * predictions, as its schedule or ops start it: `{}` for today (UTC), or `{"asOf":"2026-01-31"}`.
 * Not `z.iso.date()`: the workflow bundler turns `z.iso.date` into `z.date` (a Date object), which
 * refuses every string.
 */
export const predictionsInputSchema = z
  .object({ asOf: z.string().refine(isIsoDate, 'must be a date YYYY-MM-DD').optional() })
  .strict();
export type PredictionsInput = z.input<typeof predictionsInputSchema>;
