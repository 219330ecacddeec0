import { Client } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import type { MeridianConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import { FX_SCHEDULE_ID } from '../../workflows/definitions';
import type { WorkflowName } from '../workflow-types';

/**
 * fxRatesSync's Temporal Schedule (`fx-rates-ecb`, global queue), created or updated idempotently
 * by `npm start`; ops pause, trigger and backfill it in the Temporal UI.
 */

export { FX_SCHEDULE_ID };

const FX_RATES_SYNC = 'fxRatesSync' satisfies WorkflowName;

/** ECB rates appear around 16:00 CET on TARGET business days; fetch at 16:30 Frankfurt time. */
export const FX_SCHEDULE_SPEC = {
  calendars: [{ dayOfWeek: [{ start: 'MONDAY' as const, end: 'FRIDAY' as const }], hour: 16, minute: 30 }],
  timezone: 'Europe/Berlin',
};

export async function ensureFxSchedule(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
): Promise<'created' | 'updated'> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: FX_RATES_SYNC,
    workflowId: FX_SCHEDULE_ID,
    taskQueue: config.regions.region(GLOBAL_REGION).taskQueue,
    args: [{ feed: 'daily' }],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'fxRatesSync' },
      { key: MERIDIAN_REGION, value: GLOBAL_REGION },
    ],
  };
  return upsertSchedule(client, FX_SCHEDULE_ID, {
    spec: FX_SCHEDULE_SPEC,
    action,
    catchupWindow: '1 day',
    description: 'ECB euro reference rates into the global database, each business day',
  });
}
