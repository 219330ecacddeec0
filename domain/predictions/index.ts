/**
 * Predictions (issue 11 §6): RFM within each market, lifecycle stages, churn risk, expected purchases
 * and value over the next 90 days, and marketing suggestions per segment. Purchase histories in,
 * scores out; models are plain JSON so a workflow can store them and score later. All pure.
 */
export type { Purchase, PurchaseHistory } from './purchase-history';
export { rfmScores, quintileScores, type RfmScore, type RfmScoreValue } from './rfm';
export {
  lifecycleStages,
  marketPurchaseRhythms,
  LIFECYCLE_STAGES,
  LIFECYCLE_SILENCE_LIMITS,
  MIN_PURCHASE_RHYTHM_DAYS,
  DEFAULT_PURCHASE_RHYTHM_DAYS,
  type LifecycleStage,
  type LifecycleAssessment,
} from './lifecycle';
export {
  churnFeatures,
  churned,
  trainChurnModel,
  scoreChurn,
  parseChurnModel,
  CHURN_FEATURES,
  CHURN_HORIZON_DAYS,
  type ChurnFeatures,
  type ChurnFeatureName,
  type ChurnModel,
} from './churn';
export {
  customerValueSummary,
  fitCustomerValueModel,
  forecastCustomerValue,
  parseCustomerValueModel,
  DEFAULT_TIME_UNIT_DAYS,
  VALUE_FORECAST_HORIZON_DAYS,
  type CustomerValueModel,
  type CustomerValueForecast,
  type CustomerValueSummary,
} from './customer-value';
export {
  suggestMarketing,
  CHURN_RISK_THRESHOLD,
  type SegmentActivity,
  type MarketingSuggestion,
} from './marketing-suggestions';
export { areaUnderRocCurve, topFractionLift, meanAbsoluteError, rootMeanSquaredError } from './evaluation';
