import { ActivityOptions, ApplicationFailure, continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { ComputedTraitsRefreshInput, computedTraitsRefreshInputSchema } from '../domain/computed-traits';
import { describeIssues } from '../domain/validation';

/**
 * computedTraitsRefresh (region queue): recomputes computed traits for everyone in the region, a page
 * of customers per activity, as of one instant for the whole pass. The `computed-traits-<region>`
 * Schedule runs it for the traits whose windows slide; a definition change runs it for that trait
 * (`computed-traits-<region>-<trait>-v<version>`). People whose values changed go to the audience
 * outbox, so their segments follow. History: trait IDs, the last customer ID of a page, counts.
 */

const PAGE: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 20 },
};
const DEFAULT_PAGE_SIZE = 2000;
/** Pages per run before continue-as-new, so the history stays short on a large region. */
const PAGES_PER_RUN = 200;

const { recomputeComputedTraitsPage } = proxyActivities<RegionalActivities>(PAGE);

export interface ComputedTraitsRefreshResult {
  pages: number;
  customers: number;
  changed: number;
}

export async function computedTraitsRefresh(
  raw: ComputedTraitsRefreshInput = {},
): Promise<ComputedTraitsRefreshResult> {
  const parsed = computedTraitsRefreshInputSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `computedTraitsRefresh input: ${describeIssues(parsed.error, 'input', { first: true })}`,
      'InvalidInput',
    );
  const input = parsed.data;
  // Workflow time is recorded in history: every page and every retry computes as of the same instant.
  const now = input.now ?? new Date().toISOString();
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  const totals = { ...(input.totals ?? { pages: 0, customers: 0, changed: 0 }) };
  let after = input.after ?? null;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await recomputeComputedTraitsPage({
      ...(input.traitIds ? { traitIds: input.traitIds } : {}),
      ...(input.windowedOnly ? { windowedOnly: true } : {}),
      after,
      pageSize,
      now,
    });
    totals.pages++;
    totals.customers += result.customers;
    totals.changed += result.changed;
    if (result.last === null || result.customers < pageSize) return totals;
    after = result.last;
  }
  return continueAsNew<typeof computedTraitsRefresh>({ ...input, now, pageSize, after, totals });
}
