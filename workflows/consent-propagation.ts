import {
  ActivityOptions,
  ApplicationFailure,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import type { ConsentTarget, PushResult } from '../activities/consent/regional';
import { MERIDIAN_CUSTOMER_ID, MERIDIAN_PROCESS_KIND } from '../domain/search-attributes';
import {
  ConsentPropagationInput,
  consentPropagationInputSchema,
  describeInputProblem,
  ManualTaskCompletion,
  manualTaskCompletionSchema,
} from '../domain/workflow-inputs';
import { manualTaskCompleted, propagationStatusQuery } from './definitions';
import { failureMessage, keepsOperatorCompletion, untilOperatorDone, untilVendorDone } from './vendor-steps';

/**
 * consentPropagation (`consent-<propagationId>`, on the person's region queue): a change of
 * effective consent reaches every connected system of the region. Each system with an API gets
 * the person's consent in force, with its own retries (a system that is down does not hold up the
 * others); a vendor job is followed until done; a system without an API gets a manual task that
 * an operator completes with the `manualTaskCompleted` signal ({"connectorId": "…", "note": "…"})
 * from the console or the Temporal UI. Per-system status is written as it goes, for the
 * preference centre; the `status` query shows it too. Inputs are IDs only (DESIGN.md, rule 2).
 */

export type { ConsentPropagationInput, ManualTaskCompletion };
export { manualTaskCompleted, propagationStatusQuery };

const BOOKKEEPING: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
};
/** A vendor that is down is retried for about an hour before its row says failed. */
const PUSH: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20 },
};
/** A vendor job that never finishes is given up after this many checks. */
const MAX_JOB_CHECKS = 100;

const { consentTargets, completeManualConsentTask, markConsentPushFailed, finishPropagation } =
  proxyActivities<RegionalActivities>(BOOKKEEPING);
const { pushConsent, checkConsentJob } = proxyActivities<RegionalActivities>(PUSH);

export async function consentPropagation(
  rawInput: ConsentPropagationInput,
): Promise<{ status: 'complete' | 'incomplete'; systems: Record<string, string> }> {
  const parsed = consentPropagationInputSchema.safeParse(rawInput);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'consentPropagation'), 'InvalidInput');
  const { propagationId, customerId } = parsed.data;
  upsertSearchAttributes([
    { key: MERIDIAN_PROCESS_KIND, value: 'consentPropagation' },
    { key: MERIDIAN_CUSTOMER_ID, value: customerId },
  ]);

  const systems: Record<string, string> = {};
  const completedByOperator = new Map<string, ManualTaskCompletion>();
  setHandler(propagationStatusQuery, () => systems);
  const keepEarlyCompletion = patched('consent-keeps-early-manual-completion');
  setHandler(manualTaskCompleted, (completion) => {
    const ok = manualTaskCompletionSchema.safeParse(completion);
    if (!ok.success) return;
    if (keepsOperatorCompletion(systems[ok.data.connectorId], keepEarlyCompletion))
      completedByOperator.set(ok.data.connectorId, ok.data);
  });

  const targets: ConsentTarget[] = await consentTargets({ propagationId });
  for (const t of targets)
    systems[t.connectorId] =
      t.mode === 'api' ? 'pending' : t.mode === 'manual' ? 'waiting-on-operator' : 'not-applicable';

  const viaApi = async (connectorId: string) => {
    try {
      const result = await untilVendorDone<PushResult>(
        () => pushConsent({ propagationId, connectorId }),
        (jobId) => checkConsentJob({ propagationId, connectorId, jobId }),
        { maxChecks: MAX_JOB_CHECKS, what: 'job', onWaiting: () => (systems[connectorId] = 'waiting-on-vendor') },
      );
      systems[connectorId] = result.status;
    } catch (error) {
      systems[connectorId] = 'failed';
      await markConsentPushFailed({ propagationId, connectorId, error: failureMessage(error) });
    }
  };
  const byOperator = async (connectorId: string) => {
    const completion = await untilOperatorDone(completedByOperator, connectorId);
    await completeManualConsentTask({
      propagationId,
      connectorId,
      ...(completion.note ? { note: completion.note } : {}),
    });
    systems[connectorId] = 'done';
  };
  await Promise.all(
    targets.map((t) =>
      t.mode === 'api' ? viaApi(t.connectorId) : t.mode === 'manual' ? byOperator(t.connectorId) : Promise.resolve(),
    ),
  );
  const { status } = await finishPropagation({ propagationId });
  return { status, systems };
}
