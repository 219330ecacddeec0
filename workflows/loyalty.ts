import {
  ActivityOptions,
  continueAsNew,
  proxyActivities,
  startChild,
  ParentClosePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import type { EnrolmentFacts, OrderFacts } from '../db/loyalty-store';
import { loyaltySyncWorkflowId } from './definitions';

/**
 * Loyalty (issue 14, docs/design/loyalty.md), on the member's home region queue:
 *
 * - loyaltyOrders: orders another region holds (their facts, no personal values) earned or reversed
 *   in the member's ledger, once per order version; a tier change is pushed to the stores.
 * - loyaltyMaintenance: the region's Schedule (hourly): every member, a page per activity, expiry
 *   due at midnight in the member's zone and the tier review on its date (upgrade at once, downgrade
 *   after the grace period); each tier change pushed to the stores by a loyaltySync child.
 * - loyaltySync: one member's tier and balance to the brand's Shopify stores, a status per store.
 *
 * Histories: customer and brand IDs, tier keys, points, order facts, counts.
 */

const WRITE: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
};
const PAGE: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 20 },
};
const VENDOR: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 30 },
};
const DEFAULT_PAGE_SIZE = 1000;
const PAGES_PER_RUN = 200;

const { reconcileLoyaltyOrders } = proxyActivities<RegionalActivities>(WRITE);
const { reconcileLoyaltyBatch } = proxyActivities<RegionalActivities>(PAGE);
const { sweepLoyaltyPage } = proxyActivities<RegionalActivities>(PAGE);
const { pushLoyaltyToStores } = proxyActivities<RegionalActivities>(VENDOR);

async function syncChanged(changes: { customerId: string; brandId: string }[]): Promise<void> {
  for (const change of changes) {
    await startChild(loyaltySync, {
      workflowId: loyaltySyncWorkflowId(change.brandId, change.customerId, workflowInfo().workflowId),
      args: [{ customerId: change.customerId, brandId: change.brandId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
}

/** One member's facts from another region: orders (and tracked order events), enrolments asked for by events. */
export interface LoyaltyFactsEntry {
  customerId: string;
  orders: OrderFacts[];
  enrolments?: EnrolmentFacts[];
}

export interface LoyaltyOrdersInput {
  /** The region holding the orders. */
  fromRegion: string;
  /** Many members at once: one workflow and one activity per reactor pass and home region. */
  batch?: LoyaltyFactsEntry[];
  /** One member (the form of runs started before batches; they replay as they ran). */
  customerId?: string;
  orders?: OrderFacts[];
}

export async function loyaltyOrders(input: LoyaltyOrdersInput): Promise<{ earned: number; reversed: number }> {
  const now = new Date().toISOString();
  if (input.batch) {
    const outcome = await reconcileLoyaltyBatch({ batch: input.batch, now });
    await syncChanged(outcome.tierChanges);
    return { earned: outcome.earned, reversed: outcome.reversed };
  }
  const customerId = input.customerId!;
  const outcome = await reconcileLoyaltyOrders({ customerId, orders: input.orders ?? [], now });
  await syncChanged(outcome.tierChanges.map((c) => ({ customerId, brandId: c.brandId })));
  return { earned: outcome.earned, reversed: outcome.reversed };
}

export interface LoyaltyMaintenanceInput {
  now?: string;
  pageSize?: number;
  after?: { customerId: string; brandId: string } | null;
  totals?: { pages: number; members: number; expired: number; tierChanges: number };
}

export async function loyaltyMaintenance(input: LoyaltyMaintenanceInput = {}) {
  // Workflow time is recorded in history: every page and retry decides as of the same instant.
  const now = input.now ?? new Date().toISOString();
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  const totals = { ...(input.totals ?? { pages: 0, members: 0, expired: 0, tierChanges: 0 }) };
  let after = input.after ?? null;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await sweepLoyaltyPage({ after, pageSize, now });
    totals.pages++;
    totals.members += result.members;
    totals.expired += result.expired;
    totals.tierChanges += result.tierChanges.length;
    await syncChanged(result.tierChanges);
    if (result.last === null) return totals;
    after = result.last;
  }
  return continueAsNew<typeof loyaltyMaintenance>({ now, pageSize, after, totals });
}

export async function loyaltySync(input: { customerId: string; brandId: string }) {
  return pushLoyaltyToStores(input);
}
