import type { Client } from '@temporalio/client';
import { GLOBAL_REGION, RegionCatalog } from '../../domain/regions';
import { MERIDIAN_CUSTOMER_ID, MERIDIAN_PROCESS_KIND } from '../../domain/search-attributes';
import type { MergeRequest } from '../../domain/workflow-inputs';
import { identityMergeWorkflowId, mergeRequested } from '../../workflows/definitions';
import type { identityMerge } from '../../workflows/identity-merge';
import type { WorkflowName } from '../workflow-types';

/**
 * identityMerge (`identity-merge-<customerId>`, global queue): one workflow per surviving profile.
 * A merge found by ingestion or a sync is signalled to it, starting it if none runs.
 */

export { identityMergeWorkflowId };

const IDENTITY_MERGE = 'identityMerge' satisfies WorkflowName;

/** Signal-with-start: the survivor's workflow queues the merge, or starts with it. */
export async function requestIdentityMerge(
  client: Client,
  regions: RegionCatalog,
  request: MergeRequest,
): Promise<void> {
  await client.workflow.signalWithStart<typeof identityMerge, [MergeRequest]>(IDENTITY_MERGE, {
    workflowId: identityMergeWorkflowId(request.into),
    taskQueue: regions.region(GLOBAL_REGION).taskQueue,
    args: [{ into: request.into }],
    signal: mergeRequested,
    signalArgs: [request],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'identityMerge' },
      { key: MERIDIAN_CUSTOMER_ID, value: request.into },
    ],
  });
}
