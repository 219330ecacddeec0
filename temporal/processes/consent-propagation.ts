import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { RegionCatalog } from '../../domain/regions';
import type { ConsentPropagationInput, ManualTaskCompletion } from '../../domain/workflow-inputs';
import type { consentPropagation } from '../../workflows/consent-propagation';
import { consentPropagationWorkflowId, manualTaskCompleted, propagationStatusQuery } from '../../workflows/definitions';
import { startWorkflow, workflowHandle } from '../workflow-types';

/**
 * A change of effective consent pushed to every connected system of the person's region
 * (`consent-<propagationId>`, on that region's queue). The admin API, the preference centre and
 * the tracking API start it here; the privacy saga starts it as a child with the same ID.
 */

export { consentPropagationWorkflowId };

export function startConsentPropagation(
  client: Client,
  regions: RegionCatalog,
  region: string,
  input: ConsentPropagationInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof consentPropagation>> {
  return startWorkflow(client, 'consentPropagation', {
    workflowId: consentPropagationWorkflowId(input.propagationId),
    taskQueue: regions.region(region).taskQueue,
    args: [input],
    // A propagation runs once; only one that failed may be started again (by the outbox's sweeper).
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}

export function consentPropagationHandle(
  client: Client,
  propagationId: string,
): WorkflowHandle<typeof consentPropagation> {
  return workflowHandle(client, 'consentPropagation', consentPropagationWorkflowId(propagationId));
}

/** An operator updated a system without an API by hand. */
export async function completeManualConsentTask(
  client: Client,
  propagationId: string,
  completion: ManualTaskCompletion,
): Promise<void> {
  await consentPropagationHandle(client, propagationId).signal(manualTaskCompleted, completion);
}

/** Each system's status, from the workflow itself (the `status` query). */
export function queryConsentPropagationStatus(client: Client, propagationId: string): Promise<Record<string, string>> {
  return consentPropagationHandle(client, propagationId).query(propagationStatusQuery);
}
