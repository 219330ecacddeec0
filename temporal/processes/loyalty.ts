import { createHash } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { upsertSchedule } from '../schedules';
import type { LoyaltyFactsEntry } from '../../workflows/loyalty';
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
 * Sends facts this region holds (orders, tracked order events, enrolments) of members homed in
 * another region to that region's ledger, many members in one workflow. The workflow ID digests
 * the facts, so the same facts sent again (a retried reactor) start nothing new.
 */
export async function startLoyaltyOrders(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  input: { fromRegion: string; homeRegion: string; batch: LoyaltyFactsEntry[] },
): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of input.batch) {
    hash.update(`${entry.customerId}\n`);
    for (const o of entry.orders) hash.update(`${o.sourceId}:${o.externalId}:${o.version}:${o.origin ?? 'order'}\n`);
    for (const e of entry.enrolments ?? []) hash.update(`enrol:${e.brandId}:${e.termsVersion}:${e.at}\n`);
  }
  const workflowId = loyaltyOrdersWorkflowId(input.homeRegion, input.fromRegion, hash.digest('hex').slice(0, 24));
  try {
    await startWorkflow(client, 'loyaltyOrders', {
      workflowId,
      taskQueue: config.regions.region(input.homeRegion).taskQueue,
      args: [{ fromRegion: input.fromRegion, batch: input.batch }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}
