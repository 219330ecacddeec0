import {
  ActivityFailure,
  ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import type { OperationResult, PrivacyTarget } from '../activities/privacy/regional';
import { consentPropagation } from './consent-propagation';
import {
  cancelPrivacyRequest,
  consentPropagationWorkflowId,
  extendPrivacyRequest,
  ManualPrivacyTask,
  privacyManualTaskCompleted,
  privacyRequestStatusQuery,
} from './definitions';
import { MERIDIAN_PRIVACY_STATUS, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../domain/search-attributes';
import { describeInputProblem, PrivacyRequestWorkflowInput, privacyRequestWorkflowInputSchema } from '../domain/workflow-inputs';

/**
 * privacyRequest (`dsar-<requestId>`, global queue; each region's work on that region's queue):
 * started once the requester verified their email. A deletion: suppress at once (reversible),
 * a cooling-off window the requester can cancel, legal holds, the point of no return, then erasure
 * in Meridian's databases of every region holding the person (rows deleted, data keys destroyed)
 * and in every connected system (each with its own status and retries; a vendor job followed until
 * done; a system without an API waits for an operator's `manualTaskCompleted` signal), a read-back
 * that nothing is left, a certificate, and a note to the requester. The deadline of the law runs
 * alongside: a reminder before it, an escalation when it passes; `extend` records an extension.
 * Histories carry IDs and statuses only (DESIGN.md, rule 2).
 */

export type { PrivacyRequestWorkflowInput };

const BOOKKEEPING: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 } };
/** A connected system that is down is retried for hours, each attempt recorded on its row. */
const VENDOR: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 40 },
};
/** Building a region's access package reads everything held of the person. */
const EXPORT: ActivityOptions = { startToCloseTimeout: '10 minutes', retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 } };
const MAX_JOB_CHECKS = 200;
const DAY_MS = 86_400_000;
/** Reminders this many days before the due date. */
const REMINDER_DAYS = 7;

export type { ManualPrivacyTask };
export { cancelPrivacyRequest, extendPrivacyRequest, privacyManualTaskCompleted, privacyRequestStatusQuery };

export async function privacyRequest(rawInput: PrivacyRequestWorkflowInput): Promise<{ status: string; certificate?: unknown }> {
  const parsed = privacyRequestWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'privacyRequest'), 'InvalidInput');
  const input = parsed.data;
  const { requestId } = input;
  const queueOf = (region: string) => {
    const queue = input.queues[region];
    if (!queue) throw ApplicationFailure.nonRetryable(`privacyRequest input: no task queue for region ${region} in "queues"`, 'InvalidInput');
    return queue;
  };
  const bookkeeping = (region: string) => proxyActivities<RegionalActivities>({ ...BOOKKEEPING, taskQueue: queueOf(region) });
  const vendor = (region: string) => proxyActivities<RegionalActivities>({ ...VENDOR, taskQueue: queueOf(region) });
  const home = bookkeeping(input.region);

  let status = 'verified';
  let dueDate = input.dueDate;
  let cancelRequested = false;
  let pointOfNoReturn = false;
  const extensions: string[] = [];
  const systems: Record<string, string> = {};
  const manualDone = new Map<string, ManualPrivacyTask>();
  const taskKey = (t: { region: string; connectorId: string; operation: string }) => `${t.region}/${t.connectorId}/${t.operation}`;

  setHandler(privacyRequestStatusQuery, () => ({ status, dueDate, systems }));
  setHandler(cancelPrivacyRequest, () => {
    if (!pointOfNoReturn) cancelRequested = true;
  });
  setHandler(extendPrivacyRequest, ({ reason }) => {
    if (typeof reason === 'string' && reason.trim()) extensions.push(reason.trim().slice(0, 500));
  });
  setHandler(privacyManualTaskCompleted, (task) => {
    if (systems[taskKey(task)] === 'waiting-on-operator') manualDone.set(taskKey(task), task);
  });

  const show = async (next: string, extra: { coolingOffUntil?: string } = {}) => {
    status = next;
    upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: next }]);
    await home.setPrivacyRequestStatus({ requestId, status: next, ...extra });
  };
  upsertSearchAttributes([
    { key: MERIDIAN_PROCESS_KIND, value: 'privacyRequest' },
    { key: MERIDIAN_REGION, value: input.region },
  ]);

  // The law's clock runs beside the work: a reminder before the due date, an escalation after it.
  let finished = false;
  const deadlineWatch = CancellationScope.cancellable(async () => {
    let reminded = false;
    for (;;) {
      while (extensions.length > 0) {
        const reason = extensions.shift()!;
        try {
          dueDate = (await home.extendPrivacyDeadline({ requestId, reason })).dueDate;
          reminded = false;
        } catch {
          // The law allows none (or no more): the original date stands; the operator sees why in the history.
        }
      }
      const due = Date.parse(`${dueDate}T23:59:59Z`);
      const remindAt = due - REMINDER_DAYS * DAY_MS;
      const now = Date.now();
      const next = !reminded && now < remindAt ? remindAt : due;
      if (now >= due) {
        await home.privacyDeadlineReached({ requestId, state: 'overdue' });
        upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: 'overdue' }]);
        await condition(() => finished || extensions.length > 0);
        if (finished) return;
        continue;
      }
      const woken = await condition(() => finished || extensions.length > 0, next - now);
      if (finished) return;
      if (!woken && next === remindAt) {
        reminded = true;
        await home.privacyDeadlineReached({ requestId, state: 'due-soon' });
      }
    }
  });
  deadlineWatch.catch(() => undefined);

  try {
    const resolved = await home.resolvePrivacyRequest({ requestId });
    if (resolved.duplicateOf) {
      status = 'duplicate';
      upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: 'duplicate' }]);
      await home.notifyRequester({ requestId, kind: 'duplicate' });
      await home.forgetRequester({ requestId });
      return { status };
    }
    // Where the person is held: every region of every profile the email belongs to.
    const placements = resolved.people.flatMap((p) => p.regions.map((region) => ({ customerId: p.customerId, region })));

    if (input.type === 'deletion' || input.type === 'restriction') {
      await show('suppressed');
      await Promise.all(placements.map((p) => bookkeeping(p.region).suppressInRegion({ requestId, customerId: p.customerId })));
      // Marketing stops at the vendors too, at once, while the cooling-off runs: a vendor that is down
      // is retried meanwhile, and its failure does not hold up the request (erasure follows).
      const suppressedAt: { region: string; connectorId: string; customerId: string }[] = [];
      const vendorSuppression = Promise.all(
        placements.map(async (p) => {
          const targets = await bookkeeping(p.region).privacyTargets({ requestId, operation: 'suppress', includeMeridian: false });
          await Promise.all(
            targets
              .filter((t) => t.mode === 'api')
              .map(async (t) => {
                const key = taskKey({ region: p.region, connectorId: t.connectorId, operation: 'suppress' });
                try {
                  let result: OperationResult = await vendor(p.region).privacyOperation({ requestId, connectorId: t.connectorId, customerId: p.customerId, operation: 'suppress' });
                  for (let checks = 0; result.status === 'submitted' && checks < MAX_JOB_CHECKS; checks++) {
                    await sleep(result.checkAfterMs);
                    result = await vendor(p.region).checkPrivacyJob({ requestId, connectorId: t.connectorId, operation: 'suppress', jobId: result.jobId });
                  }
                  systems[key] = result.status;
                  if (result.status === 'done') suppressedAt.push({ region: p.region, connectorId: t.connectorId, customerId: p.customerId });
                } catch (error) {
                  const cause = error instanceof ActivityFailure ? error.cause : error;
                  systems[key] = 'failed';
                  await bookkeeping(p.region).markPrivacyOperationFailed({ requestId, connectorId: t.connectorId, operation: 'suppress', error: cause instanceof Error ? cause.message : String(cause) });
                }
              }),
          );
        }),
      );
      if (input.type === 'restriction') {
        await home.finishPrivacyRequest({ requestId, status: 'completed', certificate: { requestId, type: 'restriction', restrictedIn: placements.map((p) => p.region) } });
        status = 'completed';
        upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
        await home.notifyRequester({ requestId, kind: 'completed' });
        await home.forgetRequester({ requestId });
        return { status };
      }

      const coolingOffUntil = new Date(Date.now() + input.coolingOffSeconds * 1000).toISOString();
      await show('cooling-off', { coolingOffUntil });
      await condition(() => cancelRequested, input.coolingOffSeconds * 1000);
      await vendorSuppression;
      if (cancelRequested) {
        await Promise.all(placements.map((p) => bookkeeping(p.region).unsuppressInRegion({ requestId, customerId: p.customerId })));
        // The vendors go back to the person's consent in force.
        await Promise.all(
          suppressedAt.map(async (s) => {
            try {
              await vendor(s.region).restoreInSystem({ requestId, connectorId: s.connectorId, customerId: s.customerId });
            } catch (error) {
              const cause = error instanceof ActivityFailure ? error.cause : error;
              await bookkeeping(s.region).markPrivacyOperationFailed({ requestId, connectorId: s.connectorId, operation: 'unsuppress', error: cause instanceof Error ? cause.message : String(cause) });
            }
          }),
        );
        await home.finishPrivacyRequest({ requestId, status: 'cancelled' });
        status = 'cancelled';
        upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
        await home.notifyRequester({ requestId, kind: 'cancelled' });
        await home.forgetRequester({ requestId });
        return { status };
      }

      // Point of no return.
      pointOfNoReturn = true;
      await show('in-progress');
      const holds = await Promise.all(placements.map(async (p) => ({ ...p, ...(await bookkeeping(p.region).legalHoldsFor({ customerId: p.customerId })) })));
      const regions = [...new Set(placements.map((p) => p.region))];
      // Meridian's own databases first, from a sealed copy of what the vendors need; then every connected system.
      const targetsByRegion = new Map<string, PrivacyTarget[]>();
      for (const region of regions) {
        const targets = await bookkeeping(region).privacyTargets({ requestId, operation: 'erase', includeMeridian: true });
        targetsByRegion.set(region, targets);
        for (const t of targets) systems[taskKey({ region, connectorId: t.connectorId, operation: 'erase' })] = t.mode === 'api' ? 'pending' : t.mode === 'manual' ? 'waiting-on-operator' : 'not-supported';
      }
      for (const p of holds) {
        await bookkeeping(p.region).snapshotErasureSet({ requestId, customerId: p.customerId });
        await bookkeeping(p.region).eraseInMeridian({ requestId, customerId: p.customerId, heldScopes: p.scopes });
        systems[taskKey({ region: p.region, connectorId: 'meridian', operation: 'erase' })] = p.scopes.includes('all') ? 'held' : 'done';
      }

      const eraseIn = async (region: string, target: PrivacyTarget, customerId: string) => {
        const key = taskKey({ region, connectorId: target.connectorId, operation: 'erase' });
        if (target.mode === 'manual') {
          await condition(() => manualDone.has(key));
          const task = manualDone.get(key)!;
          await bookkeeping(region).completeManualPrivacyTask({ requestId, connectorId: target.connectorId, operation: 'erase', ...(task.note ? { note: task.note } : {}) });
          systems[key] = 'done';
          return;
        }
        if (target.mode !== 'api') return;
        try {
          let result: OperationResult = await vendor(region).privacyOperation({ requestId, connectorId: target.connectorId, customerId, operation: 'erase' });
          for (let checks = 0; result.status === 'submitted'; checks++) {
            systems[key] = 'waiting-on-vendor';
            if (checks >= MAX_JOB_CHECKS) throw ApplicationFailure.nonRetryable(`the vendor's erasure job did not finish after ${MAX_JOB_CHECKS} checks`);
            await sleep(result.checkAfterMs);
            result = await vendor(region).checkPrivacyJob({ requestId, connectorId: target.connectorId, operation: 'erase', jobId: result.jobId });
          }
          if (result.status === 'manual') {
            systems[key] = 'waiting-on-operator';
            await condition(() => manualDone.has(key));
            const task = manualDone.get(key)!;
            await bookkeeping(region).completeManualPrivacyTask({ requestId, connectorId: target.connectorId, operation: 'erase', ...(task.note ? { note: task.note } : {}) });
            systems[key] = 'done';
            return;
          }
          systems[key] = result.status;
        } catch (error) {
          const cause = error instanceof ActivityFailure ? error.cause : error;
          systems[key] = 'failed';
          await bookkeeping(region).markPrivacyOperationFailed({ requestId, connectorId: target.connectorId, operation: 'erase', error: cause instanceof Error ? cause.message : String(cause) });
        }
      };
      await Promise.all(
        holds.flatMap((p) =>
          (targetsByRegion.get(p.region) ?? [])
            .filter((t) => t.connectorId !== 'meridian')
            .map((t) => (p.scopes.includes('all') ? Promise.resolve() : eraseIn(p.region, t, p.customerId))),
        ),
      );

      const verification = await Promise.all(holds.map(async (p) => ({ region: p.region, customerId: p.customerId, ...(await bookkeeping(p.region).verifyErasure({ requestId, customerId: p.customerId })) })));
      await Promise.all(regions.map((region) => bookkeeping(region).destroyErasureSet({ requestId })));
      const view = await home.privacyRequestView({ requestId });
      // Each region recorded its own systems: the certificate gathers them all.
      view.systems = (await Promise.all(regions.map((region) => bookkeeping(region).privacySystemRows({ requestId })))).flat();
      const incomplete = view.systems.some((s) => s.operation === 'erase' && !['done', 'not-found', 'held', 'not-supported', 'submitted-unverifiable'].includes(s.status));
      const certificate = {
        requestId,
        type: 'deletion',
        jurisdiction: view.jurisdiction,
        receivedAt: view.receivedAt,
        dueDate,
        completedAt: new Date().toISOString(),
        peopleFound: resolved.people.length,
        legalHolds: holds.filter((h) => h.reasons.length > 0).map((h) => ({ region: h.region, held: h.reasons })),
        systems: view.systems
          .filter((s) => s.operation === 'erase')
          .map((s) => ({ region: s.region, system: s.system, connectorId: s.connectorId, status: s.status, at: s.updatedAt, evidence: s.evidence ?? {} })),
        verification: verification.map((v) => ({ region: v.region, verified: v.verified, ...v.evidence })),
      };
      status = incomplete || verification.some((v) => !v.verified && !holds.find((h) => h.region === v.region)?.scopes.includes('all')) ? 'completed-with-failures' : 'completed';
      await home.finishPrivacyRequest({ requestId, status, certificate });
      upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
      await home.notifyRequester({ requestId, kind: 'completed' });
      await home.forgetRequester({ requestId });
      return { status, certificate };
    }

    if (input.type === 'access') {
      await show('in-progress');
      // Each package is built in the region that holds that part of the person, and stays there.
      const packages = await Promise.all(
        placements.map(async (p) => ({
          region: p.region,
          ...(await proxyActivities<RegionalActivities>({ ...EXPORT, taskQueue: queueOf(p.region) }).buildExport({ requestId, customerId: p.customerId })),
        })),
      );
      const view = await home.privacyRequestView({ requestId });
      const certificate = {
        requestId,
        type: 'access',
        jurisdiction: view.jurisdiction,
        receivedAt: view.receivedAt,
        dueDate,
        completedAt: new Date().toISOString(),
        peopleFound: resolved.people.length,
        packages,
      };
      status = 'completed';
      await home.finishPrivacyRequest({ requestId, status, certificate });
      upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
      await home.notifyRequester({ requestId, kind: 'completed' });
      return { status, certificate };
    }

    if (input.type === 'optOut') {
      await show('in-progress');
      const propagations: { region: string; status: string }[] = [];
      for (const p of placements) {
        const { propagationId } = await bookkeeping(p.region).recordPrivacyOptOut({ requestId, customerId: p.customerId, country: resolved.country, ...(resolved.usState ? { usState: resolved.usState } : {}) });
        if (!propagationId) continue;
        // The change reaches every connected system of that region, as any consent change does.
        const result = await executeChild(consentPropagation, {
          workflowId: consentPropagationWorkflowId(propagationId),
          taskQueue: queueOf(p.region),
          args: [{ propagationId, customerId: p.customerId }],
        });
        propagations.push({ region: p.region, status: result.status });
      }
      const view = await home.privacyRequestView({ requestId });
      const certificate = { requestId, type: 'optOut', jurisdiction: view.jurisdiction, receivedAt: view.receivedAt, completedAt: new Date().toISOString(), peopleFound: resolved.people.length, optedOut: ['saleSharing', 'personalisedAds'], propagations };
      status = 'completed';
      await home.finishPrivacyRequest({ requestId, status, certificate });
      upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
      await home.notifyRequester({ requestId, kind: 'completed' });
      await home.forgetRequester({ requestId });
      return { status, certificate };
    }

    // A correction: an operator reads the details (admin API) and corrects the record by hand.
    const key = taskKey({ region: input.region, connectorId: 'operator', operation: 'correct' });
    await home.openOperatorTask({ requestId, operation: 'correct' });
    systems[key] = 'waiting-on-operator';
    await show('waiting-on-operator');
    await condition(() => manualDone.has(key));
    await home.completeManualPrivacyTask({ requestId, connectorId: 'operator', operation: 'correct', ...(manualDone.get(key)!.note ? { note: manualDone.get(key)!.note! } : {}) });
    systems[key] = 'done';
    status = 'completed';
    await home.finishPrivacyRequest({ requestId, status, certificate: { requestId, type: 'correction', completedAt: new Date().toISOString(), correctedBy: 'operator' } });
    upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: status }]);
    await home.notifyRequester({ requestId, kind: 'completed' });
    await home.forgetRequester({ requestId });
    return { status };
  } finally {
    finished = true;
  }
}
