import { createHash } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import type { OrderFacts } from '../../db/loyalty-store';
import type { MeridianConfig } from '../../domain/config';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import {
  loyaltyMaintenanceScheduleId,
  loyaltyOrdersWorkflowId,
  loyaltySyncWorkflowId,
} from '../../workflows/definitions';
import { startWorkflow, WorkflowName } from '../workflow-types';

/**
 * Loyalty's processes (issue 14): the hourly `loyalty-maintenance-<region>` Schedule (expiry runs at
 * each member's local midnight, so an hourly pass expires within the hour after it in every zone;
 * tier reviews on their date), orders another region holds sent to the member's home region, and a
 * member's push to the stores. Schedules are created or updated idempotently by `npm start`.
 */

const MAINTENANCE = 'loyaltyMaintenance' satisfies WorkflowName;
export const LOYALTY_MAINTENANCE_EVERY = '30m';

export async function ensureLoyaltySchedules(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
): Promise<Record<string, 'created' | 'updated'>> {
  const outcome: Record<string, 'created' | 'updated'> = {};
  for (const region of config.regions.dataRegions) {
    const scheduleId = loyaltyMaintenanceScheduleId(region.name);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: MAINTENANCE,
      workflowId: scheduleId,
      taskQueue: region.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: MERIDIAN_PROCESS_KIND, value: MAINTENANCE },
        { key: MERIDIAN_REGION, value: region.name },
      ],
    };
    // On the hour and a minute past it: local midnights fall on whole hours in most zones (and on half hours in a few).
    const spec = { intervals: [{ every: '30m', offset: '1m' }] };
    outcome[region.name] = await upsertSchedule(client, scheduleId, {
      spec,
      action,
      catchupWindow: '1 hour',
      description: `loyalty expiry and tier reviews, region ${region.name}`,
    });
  }
  return outcome;
}

/** Pushes one member's tier and balance to the brand's stores in their home region; answers the workflow ID. */
export async function startLoyaltySync(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  homeRegion: string,
  input: { customerId: string; brandId: string },
  cause: string,
): Promise<string> {
  const workflowId = loyaltySyncWorkflowId(input.brandId, input.customerId, cause);
  try {
    await startWorkflow(client, 'loyaltySync', {
      workflowId,
      taskQueue: config.regions.region(homeRegion).taskQueue,
      args: [input],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}

/**
 * Sends orders this region holds to the member's home region's ledger. The workflow ID digests the
 * order versions, so the same orders sent again (a retried reactor) start nothing new.
 */
export async function startLoyaltyOrders(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  input: { customerId: string; fromRegion: string; homeRegion: string; orders: OrderFacts[] },
): Promise<string> {
  const digest = createHash('sha256')
    .update(input.orders.map((o) => `${o.sourceId}:${o.externalId}:${o.version}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const workflowId = loyaltyOrdersWorkflowId(input.customerId, input.fromRegion, digest);
  try {
    await startWorkflow(client, 'loyaltyOrders', {
      workflowId,
      taskQueue: config.regions.region(input.homeRegion).taskQueue,
      args: [{ customerId: input.customerId, fromRegion: input.fromRegion, orders: input.orders }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}
