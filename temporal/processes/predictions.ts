import { Client } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import type { MeridianConfig } from '../../domain/config';
import type { PredictionsInput } from '../../domain/prediction-run';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import { predictionsScheduleId } from '../../workflows/definitions';
import type { PredictionsResult } from '../../workflows/predictions';
import { startWorkflow, WorkflowName } from '../workflow-types';

/**
 * predictions on each region's queue: the daily `predictions-<region>` Schedule, created or updated
 * idempotently by `npm start`, and a run by hand (tests, ops) that waits for its result.
 */

const PREDICTIONS = 'predictions' satisfies WorkflowName;

/** 02:30 UTC: after the day's orders and the ECB's rates of the day before are in, before Europe's morning sends. */
export const PREDICTIONS_SPEC = { calendars: [{ hour: 2, minute: 30 }] };

const searchAttributes = (region: string) => [
  { key: MERIDIAN_PROCESS_KIND, value: PREDICTIONS },
  { key: MERIDIAN_REGION, value: region },
];

export async function ensurePredictionsSchedules(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
): Promise<Record<string, 'created' | 'updated'>> {
  const outcome: Record<string, 'created' | 'updated'> = {};
  for (const region of config.regions.dataRegions) {
    const scheduleId = predictionsScheduleId(region.name);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: PREDICTIONS,
      workflowId: scheduleId,
      taskQueue: region.taskQueue,
      args: [{}],
      typedSearchAttributes: searchAttributes(region.name),
    };
    outcome[region.name] = await upsertSchedule(client, scheduleId, {
      spec: PREDICTIONS_SPEC,
      action,
      catchupWindow: '1 day',
      description: `churn, lifecycle, RFM and customer value, region ${region.name}`,
    });
  }
  return outcome;
}

/** Runs the region's predictions now (`predictions-<region>-<label>`) and waits for the counts. */
export async function runPredictions(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  region: string,
  input: PredictionsInput,
  label: string,
): Promise<PredictionsResult> {
  const handle = await startWorkflow(client, PREDICTIONS, {
    workflowId: `${predictionsScheduleId(region)}-${label}`,
    taskQueue: config.regions.region(region).taskQueue,
    args: [input],
    typedSearchAttributes: searchAttributes(region),
  });
  return handle.result();
}
