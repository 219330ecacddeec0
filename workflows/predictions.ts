import { ActivityOptions, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { PredictionsInput, predictionsInputSchema } from '../domain/prediction-run';
import { describeIssues } from '../domain/validation';

/**
 * predictions (region queue, daily on the `predictions-<region>` Schedule): trains the churn forest
 * and fits BG/NBD + Gamma-Gamma on the region's purchase histories, stores both in
 * `prediction_models`, then scores every customer into computed traits (RFM, lifecycle stage, churn
 * risk, expected purchases and value over 90 days) and model tags, replacing the previous run's.
 * Histories and scores stay in the activities; the history holds a date, model IDs and counts.
 */

const TRAIN: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  // Training a forest is one long computation between heartbeats.
  heartbeatTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 5 },
};
const SCORE: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 5 },
};

const { trainPredictionModels } = proxyActivities<RegionalActivities>(TRAIN);
const { scorePredictions } = proxyActivities<RegionalActivities>(SCORE);

export interface PredictionsResult {
  asOf: string;
  customers: number;
  trainingRows: number;
  churnModelId: number | null;
  valueModelId: number | null;
  scored: number;
  churnRiskHigh: number;
  tags: number;
  values: number;
}

export async function predictions(raw: PredictionsInput = {}): Promise<PredictionsResult> {
  const parsed = predictionsInputSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `predictions input: ${describeIssues(parsed.error, 'input', { first: true })}`,
      'InvalidInput',
    );
  // Today in UTC, from workflow time (deterministic on replay).
  const asOf = parsed.data.asOf ?? new Date().toISOString().slice(0, 10);
  const trained = await trainPredictionModels({ asOf });
  const scored = await scorePredictions({
    asOf,
    churnModelId: trained.churnModelId,
    valueModelId: trained.valueModelId,
  });
  return {
    asOf,
    customers: trained.customers,
    trainingRows: trained.trainingRows,
    churnModelId: trained.churnModelId,
    valueModelId: trained.valueModelId,
    scored: scored.scored,
    churnRiskHigh: scored.churnRiskHigh,
    tags: scored.tags,
    values: scored.values,
  };
}
