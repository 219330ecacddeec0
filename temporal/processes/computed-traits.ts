import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import type { MeridianConfig } from '../../domain/config';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import { computedTraitRecomputeWorkflowId, computedTraitsScheduleId } from '../../workflows/definitions';
import { startWorkflow, WorkflowName } from '../workflow-types';

/**
 * computedTraitsRefresh on each region's queue: the `computed-traits-<region>` Schedule (the
 * windowed traits, as their windows slide), and a one-off full recompute of a trait whose definition
 * changed. Created or updated idempotently by `npm start`; ops pause and trigger it in the Temporal UI.
 */

const REFRESH = 'computedTraitsRefresh' satisfies WorkflowName;

/**
 * Every 6 hours: windows are whole days, so a value is at most a quarter of a day late, and a pass
 * over a large region is not running most of the time.
 */
export const COMPUTED_TRAITS_EVERY = '6h';

export async function ensureComputedTraitsSchedules(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
): Promise<Record<string, 'created' | 'updated'>> {
  const outcome: Record<string, 'created' | 'updated'> = {};
  for (const region of config.regions.dataRegions) {
    const scheduleId = computedTraitsScheduleId(region.name);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: REFRESH,
      workflowId: scheduleId,
      taskQueue: region.taskQueue,
      args: [{ windowedOnly: true }],
      typedSearchAttributes: [
        { key: MERIDIAN_PROCESS_KIND, value: REFRESH },
        { key: MERIDIAN_REGION, value: region.name },
      ],
    };
    const spec = { intervals: [{ every: COMPUTED_TRAITS_EVERY }] };
    outcome[region.name] = await upsertSchedule(client, scheduleId, {
      spec,
      action,
      catchupWindow: '1 hour',
      description: `computed traits with sliding windows, region ${region.name}`,
    });
  }
  return outcome;
}

/**
 * Recomputes one trait for everyone in every region (after a create or a definition change). One
 * workflow per trait version and region: a repeated call for the same version starts nothing new.
 */
export async function startTraitRecompute(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  traitId: string,
  version: number,
): Promise<string[]> {
  const started: string[] = [];
  for (const region of config.regions.dataRegions) {
    const workflowId = computedTraitRecomputeWorkflowId(region.name, traitId, version);
    try {
      await startWorkflow(client, REFRESH, {
        workflowId,
        taskQueue: region.taskQueue,
        args: [{ traitIds: [traitId] }],
        typedSearchAttributes: [
          { key: MERIDIAN_PROCESS_KIND, value: REFRESH },
          { key: MERIDIAN_REGION, value: region.name },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    started.push(workflowId);
  }
  return started;
}
