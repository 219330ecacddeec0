import { type Client, WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { BroadcastProgress } from '../../domain/broadcasts';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import {
  broadcastProgressQuery,
  broadcastWorkflowId,
  cancelBroadcast,
  pauseBroadcast,
  resumeBroadcast,
} from '../../workflows/definitions';
import { startWorkflow, workflowHandle } from '../workflow-types';

/**
 * Starting and steering a broadcast's workflow (workflows/broadcast.ts) on its region's queue:
 * one per broadcast, so a second start joins the first.
 */

export async function startBroadcast(
  client: Client,
  regions: RegionCatalog,
  input: { broadcastId: string; region: string; startedAt: Date | string },
): Promise<string> {
  const workflowId = broadcastWorkflowId(input.broadcastId);
  await startWorkflow(client, 'broadcast', {
    workflowId,
    taskQueue: regions.region(input.region).taskQueue,
    args: [
      { broadcastId: input.broadcastId, region: input.region, startedAt: new Date(input.startedAt).toISOString() },
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'broadcast' },
      { key: MERIDIAN_REGION, value: input.region },
    ],
  });
  return workflowId;
}

export async function signalBroadcast(
  client: Client,
  broadcastId: string,
  what: 'pause' | 'resume' | 'cancel',
): Promise<void> {
  const handle = workflowHandle(client, 'broadcast', broadcastWorkflowId(broadcastId));
  const signal = { pause: pauseBroadcast, resume: resumeBroadcast, cancel: cancelBroadcast }[what];
  await handle.signal(signal);
}

/** The running (or finished) workflow's progress; undefined when it never started or is gone. */
export async function broadcastProgress(client: Client, broadcastId: string): Promise<BroadcastProgress | undefined> {
  try {
    return await workflowHandle(client, 'broadcast', broadcastWorkflowId(broadcastId)).query(broadcastProgressQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
