import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { RegionCatalog } from '../../domain/regions';
import { segmentMaintenanceScheduleId, segmentRecomputeWorkflowId } from '../../workflows/definitions';
import { startWorkflow, type WorkflowName } from '../workflow-types';

/**
 * Starting segment recomputes (after a create, an update, or by hand) and the region's
 * maintenance Schedule that re-evaluates segments whose windows slide (workflows/segments.ts).
 */

/** Starts the full recompute of a segment version in a region; one already running is the one. */
export async function startSegmentRecompute(
  client: Client,
  regions: RegionCatalog,
  region: string,
  segmentId: string,
  version: number,
): Promise<string> {
  const workflowId = segmentRecomputeWorkflowId(segmentId, version, region);
  await startWorkflow(client, 'segmentRecompute', {
    workflowId,
    taskQueue: regions.region(region).taskQueue,
    args: [{ segmentId, version, region }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'segmentRecompute' },
      { key: MERIDIAN_REGION, value: region },
    ],
  });
  return workflowId;
}

const SEGMENT_MAINTENANCE = 'segmentMaintenance' satisfies WorkflowName;

/** How often windows are re-evaluated by default: a day boundary is late by at most this. */
export const SEGMENT_MAINTENANCE_EVERY = '15 minutes';

/** The region's maintenance Schedule, created or updated idempotently (each regional worker ensures it). */
export async function ensureSegmentMaintenanceSchedule(
  client: Client,
  regions: RegionCatalog,
  region: string,
  every = SEGMENT_MAINTENANCE_EVERY,
): Promise<'created' | 'updated'> {
  const scheduleId = segmentMaintenanceScheduleId(region);
  const spec = { intervals: [{ every }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: SEGMENT_MAINTENANCE,
    workflowId: scheduleId,
    taskQueue: regions.region(region).taskQueue,
    args: [{ region }],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'segmentMaintenance' },
      { key: MERIDIAN_REGION, value: region },
    ],
  };
  return upsertSchedule(client, scheduleId, {
    spec,
    action,
    catchupWindow: '1 hour',
    description: `re-evaluates ${region}'s segments whose time windows slide`,
  });
}
