import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_CUSTOMER_ID, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import {
  journeyEvent,
  journeyProfileMerged,
  type JourneyRunInput,
  journeySegmentEntered,
} from '../../workflows/definitions';
import { startWorkflow, workflowHandle } from '../workflow-types';

/**
 * Starting and signalling journey runs (workflows/journey.ts), from the journey trigger
 * (temporal/journey-trigger.ts). The workflow ID is the run ID; a second start of the same ID is
 * refused by Temporal and answered "already started", so a trigger that retries after a crash starts
 * nothing twice.
 */

export async function startJourneyRun(
  client: Client,
  regions: RegionCatalog,
  input: JourneyRunInput,
): Promise<'started' | 'already-started'> {
  try {
    await startWorkflow(client, 'journeyRun', {
      workflowId: input.runId,
      taskQueue: regions.region(input.region).taskQueue,
      args: [input],
      // A run ID names one entry: never run it again, even after it finished.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: MERIDIAN_PROCESS_KIND, value: 'journeyRun' },
        { key: MERIDIAN_REGION, value: input.region },
        { key: MERIDIAN_CUSTOMER_ID, value: input.customerId },
      ],
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw error;
  }
}

/** Signals that reach a run that already ended are dropped: it no longer waits for anything. */
async function signalRun(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

export function signalJourneyEvent(client: Client, runId: string, eventId: string): Promise<void> {
  return signalRun(() => workflowHandle(client, 'journeyRun', runId).signal(journeyEvent, { eventId }));
}

export function signalJourneySegmentEntered(client: Client, runId: string, segmentId: string): Promise<void> {
  return signalRun(() => workflowHandle(client, 'journeyRun', runId).signal(journeySegmentEntered, { segmentId }));
}

export function signalJourneyProfileMerged(
  client: Client,
  runId: string,
  merge: { intoCustomerId: string; survivorHasRun: boolean },
): Promise<void> {
  return signalRun(() => workflowHandle(client, 'journeyRun', runId).signal(journeyProfileMerged, merge));
}
