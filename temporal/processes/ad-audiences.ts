import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { RegionCatalog } from '../../domain/regions';
import { adAudienceResync, adAudienceSyncWorkflowId } from '../../workflows/definitions';
import { startWorkflow, workflowHandle } from '../workflow-types';

/**
 * Starting an ad audience's sync (workflows/ad-audience-sync.ts) on its region's queue, and asking
 * one for a full re-sync. A sync already running is the one: a full re-sync signals it; a sync that
 * ended (a failure a person fixed since) is started again.
 */
export async function startAdAudienceSync(
  client: Client,
  regions: RegionCatalog,
  audience: { id: string; region: string },
  options: { full?: boolean; pollSeconds?: number } = {},
): Promise<string> {
  const workflowId = adAudienceSyncWorkflowId(audience.id);
  const handle = await startWorkflow(client, 'adAudienceSync', {
    workflowId,
    taskQueue: regions.region(audience.region).taskQueue,
    args: [
      {
        audienceId: audience.id,
        region: audience.region,
        ...(options.full ? { full: true } : {}),
        ...(options.pollSeconds ? { pollSeconds: options.pollSeconds } : {}),
      },
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'adAudienceSync' },
      { key: MERIDIAN_REGION, value: audience.region },
    ],
  });
  // USE_EXISTING hands back the running one, which did not get `full`: ask it.
  if (options.full) await workflowHandle(client, 'adAudienceSync', handle.workflowId).signal(adAudienceResync);
  return workflowId;
}
