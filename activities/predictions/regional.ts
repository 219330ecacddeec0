import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import {
  ensureModelTags,
  loadPurchaseHistories,
  readPredictionModel,
  replacePredictions,
  storePredictionModel,
} from '../../db/predictions-store';
import { fitValue, MODEL_TAGS, PREDICTION_TRAIT_IDS, scoreRun, trainChurn } from '../../domain/prediction-run';
import { parseChurnModel, parseCustomerValueModel } from '../../domain/predictions';

/**
 * Predictions in a region's worker (issue 11 §6): train and store the models, then score every
 * customer and replace the region's prediction traits and model tags. Purchase histories are read
 * from the region's orders here and never leave the activity; inputs and results are dates, model
 * IDs and counts. Both activities are idempotent: a model is stored once per kind and as-of date, and
 * the scores replace the previous ones as a whole.
 */

export interface PredictionsDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
}

export interface TrainedModels {
  customers: number;
  churnModelId: number | null;
  churnSkipped?: string;
  valueModelId: number | null;
  valueSkipped?: string;
  trainingRows: number;
}

export function createPredictionsActivities({ sql, globalSql }: PredictionsDeps) {
  return {
    async trainPredictionModels(input: { asOf: string }): Promise<TrainedModels> {
      const ctx = Context.current();
      const histories = await loadPurchaseHistories(sql);
      ctx.heartbeat('histories loaded');
      const churn = trainChurn(histories, input.asOf);
      ctx.heartbeat('churn trained');
      const churnModelId = churn.trained
        ? await storePredictionModel(sql, 'churn', input.asOf, churn.model, churn.metrics)
        : null;
      const value = fitValue(histories, input.asOf);
      ctx.heartbeat('value fitted');
      const valueModelId = value.fitted
        ? await storePredictionModel(sql, 'customer_value', input.asOf, value.model, value.model.fittedOn)
        : null;
      return {
        customers: histories.length,
        churnModelId,
        ...(churn.trained ? {} : { churnSkipped: churn.reason }),
        valueModelId,
        ...(value.fitted ? {} : { valueSkipped: value.reason }),
        trainingRows: churn.trained ? churn.metrics.rows : churn.rows,
      };
    },

    async scorePredictions(input: { asOf: string; churnModelId: number | null; valueModelId: number | null }): Promise<{
      customers: number;
      scored: number;
      churnRiskHigh: number;
      values: number;
      tags: number;
      changedCustomers: number;
    }> {
      const ctx = Context.current();
      const load = async (id: number | null, kind: string) => {
        if (id === null) return null;
        const stored = await readPredictionModel(sql, id);
        if (!stored || stored.kind !== kind)
          throw ApplicationFailure.nonRetryable(`prediction model ${id} (${kind}) is gone: run the predictions again`);
        return stored.model;
      };
      const churnJson = await load(input.churnModelId, 'churn');
      const valueJson = await load(input.valueModelId, 'customer_value');
      const histories = await loadPurchaseHistories(sql);
      ctx.heartbeat('histories loaded');
      const run = scoreRun(
        histories,
        input.asOf,
        churnJson === null ? null : parseChurnModel(churnJson),
        valueJson === null ? null : parseCustomerValueModel(valueJson),
      );
      ctx.heartbeat('scored');
      await ensureModelTags(globalSql, MODEL_TAGS);
      const written = await replacePredictions(
        sql,
        {
          traitIds: PREDICTION_TRAIT_IDS,
          values: run.values,
          tagKeys: MODEL_TAGS.map((t) => t.key),
          tags: run.tags,
        },
        new Date(),
      );
      return {
        customers: run.counts.customers,
        scored: run.counts.scored,
        churnRiskHigh: run.counts.churnRiskHigh,
        ...written,
      };
    },
  };
}
