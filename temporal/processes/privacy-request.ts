import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { GLOBAL_REGION, RegionCatalog } from '../../domain/regions';
import type { PrivacyRequestWorkflowInput } from '../../domain/workflow-inputs';
import {
  cancelPrivacyRequest,
  extendPrivacyRequest,
  ManualPrivacyTask,
  privacyManualTaskCompleted,
  privacyRequestStatusQuery,
  privacyRequestWorkflowId,
} from '../../workflows/definitions';
import type { privacyRequest } from '../../workflows/privacy-request';
import { startWorkflow, workflowHandle } from '../workflow-types';

/**
 * The privacy saga (`dsar-<requestId>`, global queue): started once the requester verified their
 * email; cancelled by the requester during cooling-off; extended and helped along by operators.
 */

export { privacyRequestWorkflowId };
export type { ManualPrivacyTask };

export function startPrivacyRequest(
  client: Client,
  regions: RegionCatalog,
  input: PrivacyRequestWorkflowInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof privacyRequest>> {
  return startWorkflow(client, 'privacyRequest', {
    workflowId: privacyRequestWorkflowId(input.requestId),
    taskQueue: regions.region(GLOBAL_REGION).taskQueue,
    args: [input],
  });
}

export function privacyRequestHandle(client: Client, requestId: string): WorkflowHandle<typeof privacyRequest> {
  return workflowHandle(client, 'privacyRequest', privacyRequestWorkflowId(requestId));
}

/** The requester cancels a deletion during its cooling-off window. */
export async function cancelPrivacyRequestSaga(client: Client, requestId: string): Promise<void> {
  await privacyRequestHandle(client, requestId).signal(cancelPrivacyRequest);
}

/** The law's extension, with the reason recorded. */
export async function extendPrivacyRequestDeadline(client: Client, requestId: string, reason: string): Promise<void> {
  await privacyRequestHandle(client, requestId).signal(extendPrivacyRequest, { reason });
}

/** An operator did the manual part in a system without an API. */
export async function completeManualPrivacyTask(
  client: Client,
  requestId: string,
  task: ManualPrivacyTask,
): Promise<void> {
  await privacyRequestHandle(client, requestId).signal(privacyManualTaskCompleted, task);
}

/** Where the saga stands, from the workflow itself (the `status` query). */
export function queryPrivacyRequestStatus(client: Client, requestId: string) {
  return privacyRequestHandle(client, requestId).query(privacyRequestStatusQuery);
}
