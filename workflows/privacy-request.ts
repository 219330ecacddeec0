import {
  ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  patched,
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
import { isSettled, type RequestStatus } from '../domain/privacy-statuses';
import { MERIDIAN_PRIVACY_STATUS, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../domain/search-attributes';
import {
  describeInputProblem,
  PrivacyRequestWorkflowInput,
  privacyRequestWorkflowInputSchema,
} from '../domain/workflow-inputs';
import {
  failureMessage,
  isVendorJobUnfinished,
  keepsOperatorCompletion,
  untilOperatorDone,
  untilVendorDone,
} from './vendor-steps';

/**
 * privacyRequest (`dsar-<requestId>`, global queue; each region's work on that region's queue):
 * started once the requester verified their email (and it checks that they did: an unverified
 * request acts on nothing). A deletion: suppress at once (reversible), a cooling-off window the
 * requester can cancel (its compensations undo the suppressions), legal holds, the point of no
 * return, then erasure in Meridian's databases of every region holding the person (rows deleted,
 * data keys destroyed) and in every connected system (each with its own status and retries; a
 * vendor job followed until done; a system without an API waits for an operator's
 * `manualTaskCompleted` signal), a read-back that nothing is left, a certificate, and a note to the
 * requester. The deadline of the law runs alongside: a reminder before it, an escalation when it
 * passes; `extend` records an extension. Histories carry IDs and statuses only (DESIGN.md, rule 2).
 *
 * Sagas wait for weeks: every change to the commands a running saga issues is behind patched()
 * (test/integration/privacy-request-replay.test.ts replays histories of the code before each).
 */

export type { PrivacyRequestWorkflowInput };

const BOOKKEEPING: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
};
/** A connected system that is down is retried for hours, each attempt recorded on its row. */
const VENDOR: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 40 },
};
/** Building a region's access package reads everything held of the person. */
const EXPORT: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
};
/** A vendor job still unfinished after this many checks is given up on: its row says failed. */
const MAX_JOB_CHECKS = 200;
const DAY_MS = 86_400_000;
/** Reminders this many days before the due date. */
const REMINDER_DAYS = 7;
/** How long a package built before packages carried their expiry may be downloaded (db/privacy-export-store.ts EXPORT_DAYS). */
const EXPORT_DAYS = 7;

/** Changes to the command sequence of running sagas (patched() IDs; never rename one). */
const PATCHES = {
  /** A due date already inside the reminder window gets its reminder at once, not only the escalation. */
  dueSoonInsideWindow: 'privacy-due-soon-inside-window',
  /** A vendor's suppression job given up on is marked failed on its row, as an erasure's is. */
  suppressJobGivesUp: 'privacy-suppress-job-gives-up',
  /** A restriction completes once the vendors' suppressions have answered, not before. */
  restrictionAwaitsVendors: 'privacy-restriction-awaits-vendors',
  /** An access request's packages are deleted at expiry, and the requester's email forgotten then. */
  accessForgetsRequester: 'privacy-access-forgets-requester',
  /** An operator's completion that comes before the saga marks its task waiting is kept (keepsOperatorCompletion). */
  keepEarlyManualCompletion: 'privacy-keeps-early-manual-completion',
} as const;

export type { ManualPrivacyTask };
export { cancelPrivacyRequest, extendPrivacyRequest, privacyManualTaskCompleted, privacyRequestStatusQuery };

type Resolved = Awaited<ReturnType<RegionalActivities['resolvePrivacyRequest']>>;
type Placement = { customerId: string; region: string };

/** How a request ends: the status written (unless the activity that resolved it wrote it), the note to the requester, the certificate. */
interface Ending {
  status: RequestStatus;
  certificate?: Record<string, unknown>;
  /** A duplicate's ending was written when it was found; an unverified request's is not written at all. */
  recorded?: boolean;
  /** The note to the requester; none for a request never verified (the address may not be theirs). */
  notify?: 'completed' | 'cancelled' | 'duplicate';
  /** Whether the requester's email and free text are destroyed now (an access request's go with its packages, later). */
  forget: boolean;
}

export async function privacyRequest(
  rawInput: PrivacyRequestWorkflowInput,
): Promise<{ status: string; certificate?: unknown }> {
  const parsed = privacyRequestWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'privacyRequest'), 'InvalidInput');
  const input = parsed.data;
  const { requestId } = input;
  const queueOf = (region: string) => {
    const queue = input.queues[region];
    if (!queue)
      throw ApplicationFailure.nonRetryable(
        `privacyRequest input: no task queue for region ${region} in "queues"`,
        'InvalidInput',
      );
    return queue;
  };
  const bookkeeping = (region: string) =>
    proxyActivities<RegionalActivities>({ ...BOOKKEEPING, taskQueue: queueOf(region) });
  const vendor = (region: string) => proxyActivities<RegionalActivities>({ ...VENDOR, taskQueue: queueOf(region) });
  const home = bookkeeping(input.region);

  let status = 'verified';
  let dueDate = input.dueDate;
  let cancelRequested = false;
  let pointOfNoReturn = false;
  const extensions: string[] = [];
  const systems: Record<string, string> = {};
  const manualDone = new Map<string, ManualPrivacyTask>();
  const taskKey = (t: { region: string; connectorId: string; operation: string }) =>
    `${t.region}/${t.connectorId}/${t.operation}`;

  setHandler(privacyRequestStatusQuery, () => ({ status, dueDate, systems }));
  setHandler(cancelPrivacyRequest, () => {
    if (!pointOfNoReturn) cancelRequested = true;
  });
  setHandler(extendPrivacyRequest, ({ reason }) => {
    if (typeof reason === 'string' && reason.trim()) extensions.push(reason.trim().slice(0, 500));
  });
  const keepEarlyCompletion = patched(PATCHES.keepEarlyManualCompletion);
  setHandler(privacyManualTaskCompleted, (task) => {
    const key = taskKey(task);
    if (keepsOperatorCompletion(systems[key], keepEarlyCompletion)) manualDone.set(key, task);
  });

  const showStatus = (next: string) => {
    status = next;
    upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: next }]);
  };
  const show = async (next: RequestStatus, extra: { coolingOffUntil?: string } = {}) => {
    showStatus(next);
    await home.setPrivacyRequestStatus({ requestId, status: next, ...extra });
  };
  upsertSearchAttributes([
    { key: MERIDIAN_PROCESS_KIND, value: 'privacyRequest' },
    { key: MERIDIAN_REGION, value: input.region },
  ]);

  // ---- the law's clock ------------------------------------------------------------------------

  let finished = false;
  /** Runs beside the work: a reminder before the due date, an escalation after it; extensions move it. */
  const watchDeadline = async () => {
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
      if (now >= due) {
        await home.privacyDeadlineReached({ requestId, state: 'overdue' });
        upsertSearchAttributes([{ key: MERIDIAN_PRIVACY_STATUS, value: 'overdue' }]);
        await condition(() => finished || extensions.length > 0);
        if (finished) return;
        continue;
      }
      if (!reminded && now >= remindAt && patched(PATCHES.dueSoonInsideWindow)) {
        reminded = true;
        await home.privacyDeadlineReached({ requestId, state: 'due-soon' });
        continue;
      }
      const next = !reminded && now < remindAt ? remindAt : due;
      const woken = await condition(() => finished || extensions.length > 0, next - now);
      if (finished) return;
      if (!woken && next === remindAt) {
        reminded = true;
        await home.privacyDeadlineReached({ requestId, state: 'due-soon' });
      }
    }
  };
  CancellationScope.cancellable(watchDeadline).catch(() => undefined);

  // ---- steps shared by the request types -----------------------------------------------------

  /** One operation in one vendor's system, its job followed until done; a failure is recorded on its row, never thrown. */
  const inVendor = async (
    region: string,
    connectorId: string,
    customerId: string,
    operation: 'suppress' | 'erase',
  ): Promise<OperationResult | undefined> => {
    const key = taskKey({ region, connectorId, operation });
    try {
      return await untilVendorDone<OperationResult>(
        () => vendor(region).privacyOperation({ requestId, connectorId, customerId, operation }),
        (jobId) => vendor(region).checkPrivacyJob({ requestId, connectorId, operation, jobId }),
        {
          maxChecks: MAX_JOB_CHECKS,
          what: `${operation === 'erase' ? 'erasure' : 'suppression'} job`,
          ...(operation === 'erase' ? { onWaiting: () => (systems[key] = 'waiting-on-vendor') } : {}),
        },
      );
    } catch (error) {
      // Before the patch a suppression job given up on was left as submitted, its row untouched.
      if (operation === 'suppress' && isVendorJobUnfinished(error) && !patched(PATCHES.suppressJobGivesUp)) {
        systems[key] = 'submitted';
        return undefined;
      }
      systems[key] = 'failed';
      await bookkeeping(region).markPrivacyOperationFailed({
        requestId,
        connectorId,
        operation,
        error: failureMessage(error),
      });
      return undefined;
    }
  };

  /** An operator did by hand what the system has no API for; their note goes on its row. */
  const byOperator = async (region: string, connectorId: string, operation: 'erase' | 'correct') => {
    const key = taskKey({ region, connectorId, operation });
    systems[key] = 'waiting-on-operator';
    const task = await untilOperatorDone(manualDone, key);
    await bookkeeping(region).completeManualPrivacyTask({
      requestId,
      connectorId,
      operation,
      ...(task.note ? { note: task.note } : {}),
    });
    systems[key] = 'done';
  };

  /**
   * What undoes the suppressions if the requester cancels during the cooling-off, recorded as each
   * suppression takes effect: Meridian's own first, then each vendor that suppressed the person.
   */
  const compensations = { inMeridian: [] as (() => Promise<void>)[], atVendors: [] as (() => Promise<void>)[] };
  const compensate = async () => {
    await Promise.all(compensations.inMeridian.map((undo) => undo()));
    await Promise.all(compensations.atVendors.map((undo) => undo()));
  };

  /**
   * Stops the person's marketing everywhere at once: Meridian now; the vendors meanwhile (`atVendors`,
   * wrapped: an async function returning a bare promise would wait for it).
   */
  const suppressEverywhere = async (placements: Placement[]): Promise<{ atVendors: Promise<unknown> }> => {
    await show('suppressed');
    await Promise.all(
      placements.map((p) => bookkeeping(p.region).suppressInRegion({ requestId, customerId: p.customerId })),
    );
    for (const p of placements)
      compensations.inMeridian.push(() =>
        bookkeeping(p.region).unsuppressInRegion({ requestId, customerId: p.customerId }),
      );
    // A vendor that is down is retried meanwhile, and its failure does not hold up the request.
    const atVendors = Promise.all(
      placements.map(async (p) => {
        const targets = await bookkeeping(p.region).privacyTargets({
          requestId,
          operation: 'suppress',
          includeMeridian: false,
        });
        await Promise.all(
          targets
            .filter((t) => t.mode === 'api')
            .map(async (t) => {
              const result = await inVendor(p.region, t.connectorId, p.customerId, 'suppress');
              if (!result) return;
              systems[taskKey({ region: p.region, connectorId: t.connectorId, operation: 'suppress' })] = result.status;
              // The vendor goes back to the person's consent in force.
              if (result.status === 'done')
                compensations.atVendors.push(() => restoreAtVendor(p.region, t.connectorId, p.customerId));
            }),
        );
      }),
    );
    return { atVendors };
  };
  const restoreAtVendor = async (region: string, connectorId: string, customerId: string) => {
    try {
      await vendor(region).restoreInSystem({ requestId, connectorId, customerId });
    } catch (error) {
      await bookkeeping(region).markPrivacyOperationFailed({
        requestId,
        connectorId,
        operation: 'unsuppress',
        error: failureMessage(error),
      });
    }
  };

  const certificateBasis = async (type: string) => {
    const view = await home.privacyRequestView({ requestId });
    return { view, basis: { requestId, type, jurisdiction: view.jurisdiction, receivedAt: view.receivedAt } };
  };

  // ---- one function per request type ---------------------------------------------------------

  const restriction = async (resolved: Resolved, placements: Placement[]): Promise<Ending> => {
    const suppression = await suppressEverywhere(placements);
    if (patched(PATCHES.restrictionAwaitsVendors)) await suppression.atVendors;
    return {
      status: 'completed',
      certificate: { requestId, type: 'restriction', restrictedIn: placements.map((p) => p.region) },
      notify: 'completed',
      forget: true,
    };
  };

  const deletion = async (resolved: Resolved, placements: Placement[]): Promise<Ending> => {
    const suppression = await suppressEverywhere(placements);
    const coolingOffUntil = new Date(Date.now() + input.coolingOffSeconds * 1000).toISOString();
    await show('cooling-off', { coolingOffUntil });
    await condition(() => cancelRequested, input.coolingOffSeconds * 1000);
    await suppression.atVendors;
    if (cancelRequested) {
      await compensate();
      return { status: 'cancelled', notify: 'cancelled', forget: true };
    }

    // Point of no return.
    pointOfNoReturn = true;
    await show('in-progress');
    const holds = await Promise.all(
      placements.map(async (p) => ({
        ...p,
        ...(await bookkeeping(p.region).legalHoldsFor({ customerId: p.customerId })),
      })),
    );
    const regions = [...new Set(placements.map((p) => p.region))];
    // Meridian's own databases first, from a sealed copy of what the vendors need; then every connected system.
    const targetsByRegion = new Map<string, PrivacyTarget[]>();
    for (const region of regions) {
      const targets = await bookkeeping(region).privacyTargets({
        requestId,
        operation: 'erase',
        includeMeridian: true,
      });
      targetsByRegion.set(region, targets);
      for (const t of targets)
        systems[taskKey({ region, connectorId: t.connectorId, operation: 'erase' })] =
          t.mode === 'api' ? 'pending' : t.mode === 'manual' ? 'waiting-on-operator' : 'not-supported';
    }
    for (const p of holds) {
      await bookkeeping(p.region).snapshotErasureSet({ requestId, customerId: p.customerId });
      await bookkeeping(p.region).eraseInMeridian({ requestId, customerId: p.customerId, heldScopes: p.scopes });
      systems[taskKey({ region: p.region, connectorId: 'meridian', operation: 'erase' })] = p.scopes.includes('all')
        ? 'held'
        : 'done';
    }

    const eraseIn = async (region: string, target: PrivacyTarget, customerId: string) => {
      if (target.mode === 'manual') return byOperator(region, target.connectorId, 'erase');
      if (target.mode !== 'api') return;
      const result = await inVendor(region, target.connectorId, customerId, 'erase');
      if (!result) return;
      if (result.status === 'manual') return byOperator(region, target.connectorId, 'erase');
      systems[taskKey({ region, connectorId: target.connectorId, operation: 'erase' })] = result.status;
    };
    await Promise.all(
      holds.flatMap((p) =>
        (targetsByRegion.get(p.region) ?? [])
          .filter((t) => t.connectorId !== 'meridian')
          .map((t) => (p.scopes.includes('all') ? Promise.resolve() : eraseIn(p.region, t, p.customerId))),
      ),
    );

    const verification = await Promise.all(
      holds.map(async (p) => ({
        region: p.region,
        customerId: p.customerId,
        ...(await bookkeeping(p.region).verifyErasure({ requestId, customerId: p.customerId })),
      })),
    );
    await Promise.all(regions.map((region) => bookkeeping(region).destroyErasureSet({ requestId })));
    const { view, basis } = await certificateBasis('deletion');
    // Each region recorded its own systems: the certificate gathers them all.
    view.systems = (
      await Promise.all(regions.map((region) => bookkeeping(region).privacySystemRows({ requestId })))
    ).flat();
    const incomplete = view.systems.some((s) => s.operation === 'erase' && !isSettled(s.status));
    const certificate = {
      ...basis,
      dueDate,
      completedAt: new Date().toISOString(),
      peopleFound: resolved.people.length,
      legalHolds: holds.filter((h) => h.reasons.length > 0).map((h) => ({ region: h.region, held: h.reasons })),
      systems: view.systems
        .filter((s) => s.operation === 'erase')
        .map((s) => ({
          region: s.region,
          system: s.system,
          connectorId: s.connectorId,
          status: s.status,
          at: s.updatedAt,
          evidence: s.evidence ?? {},
        })),
      verification: verification.map((v) => ({ region: v.region, verified: v.verified, ...v.evidence })),
    };
    const unverified = verification.some(
      (v) => !v.verified && !holds.find((h) => h.region === v.region)?.scopes.includes('all'),
    );
    return {
      status: incomplete || unverified ? 'completed-with-failures' : 'completed',
      certificate,
      notify: 'completed',
      forget: true,
    };
  };

  const access = async (resolved: Resolved, placements: Placement[]): Promise<Ending> => {
    await show('in-progress');
    // Each package is built in the region that holds that part of the person, and stays there.
    const packages = await Promise.all(
      placements.map(async (p) => ({
        region: p.region,
        ...(await proxyActivities<RegionalActivities>({ ...EXPORT, taskQueue: queueOf(p.region) }).buildExport({
          requestId,
          customerId: p.customerId,
        })),
      })),
    );
    const { basis } = await certificateBasis('access');
    const certificate = {
      ...basis,
      dueDate,
      completedAt: new Date().toISOString(),
      peopleFound: resolved.people.length,
      packages,
    };
    // The requester's email stays while the packages may be downloaded: a new status link (which the
    // download needs) goes to that address. Both go when the packages expire (afterAccess).
    return { status: 'completed', certificate, notify: 'completed', forget: false };
  };

  /** An access request's packages are deleted when their links expire, and the requester's email with them. */
  const afterAccess = async (certificate: Record<string, unknown> | undefined) => {
    if (!patched(PATCHES.accessForgetsRequester)) return;
    finished = true;
    const packages = (certificate?.packages ?? []) as { region: string; expiresAt?: string }[];
    // The store sets the expiry (a package built before it said so lasts EXPORT_DAYS).
    const expiry = Math.max(
      0,
      ...packages.map((p) => (p.expiresAt ? Date.parse(p.expiresAt) : Date.now() + EXPORT_DAYS * DAY_MS)),
    );
    await sleep(Math.max(1, expiry - Date.now()));
    await Promise.all(
      [...new Set(packages.map((p) => p.region))].map((region) => bookkeeping(region).deleteExports({ requestId })),
    );
    await home.forgetRequester({ requestId });
  };

  const optOut = async (resolved: Resolved, placements: Placement[]): Promise<Ending> => {
    await show('in-progress');
    const propagations: { region: string; status: string }[] = [];
    for (const p of placements) {
      const { propagationId } = await bookkeeping(p.region).recordPrivacyOptOut({
        requestId,
        customerId: p.customerId,
        country: resolved.country,
        ...(resolved.usState ? { usState: resolved.usState } : {}),
      });
      if (!propagationId) continue;
      // The change reaches every connected system of that region, as any consent change does.
      const result = await executeChild(consentPropagation, {
        workflowId: consentPropagationWorkflowId(propagationId),
        taskQueue: queueOf(p.region),
        args: [{ propagationId, customerId: p.customerId }],
      });
      propagations.push({ region: p.region, status: result.status });
    }
    const { basis } = await certificateBasis('optOut');
    const certificate = {
      ...basis,
      completedAt: new Date().toISOString(),
      peopleFound: resolved.people.length,
      optedOut: ['saleSharing', 'personalisedAds'],
      propagations,
    };
    return { status: 'completed', certificate, notify: 'completed', forget: true };
  };

  /** A correction: an operator reads the details (admin API) and corrects the record by hand. */
  const correction = async (): Promise<Ending> => {
    await home.openOperatorTask({ requestId, operation: 'correct' });
    systems[taskKey({ region: input.region, connectorId: 'operator', operation: 'correct' })] = 'waiting-on-operator';
    await show('waiting-on-operator');
    await byOperator(input.region, 'operator', 'correct');
    return {
      status: 'completed',
      certificate: { requestId, type: 'correction', completedAt: new Date().toISOString(), correctedBy: 'operator' },
      notify: 'completed',
      forget: true,
    };
  };

  /** The one ending: the outcome written, the status shown, the note to the requester, their email forgotten. */
  const finish = async (ending: Ending) => {
    if (!ending.recorded)
      await home.finishPrivacyRequest({
        requestId,
        status: ending.status,
        ...(ending.certificate ? { certificate: ending.certificate } : {}),
      });
    showStatus(ending.status);
    if (ending.notify) await home.notifyRequester({ requestId, kind: ending.notify });
    if (ending.forget) await home.forgetRequester({ requestId });
    return { status: ending.status, ...(ending.certificate ? { certificate: ending.certificate } : {}) };
  };

  try {
    const resolved = await home.resolvePrivacyRequest({ requestId });
    // The portal starts the saga only once the requester proved the address; a saga started any other
    // way for an unverified request acts on nothing. (Histories before this check carry no `verified`:
    // those sagas were started by verification, so no patch is needed.)
    // Nothing is written either: the request stays as it was, for its owner to verify (which starts a saga of its own).
    if (resolved.verified === false) return await finish({ status: 'rejected', recorded: true, forget: false });
    if (resolved.duplicateOf)
      return await finish({ status: 'duplicate', recorded: true, notify: 'duplicate', forget: true });
    // Where the person is held: every region of every profile the email belongs to.
    const placements: Placement[] = resolved.people.flatMap((p) =>
      p.regions.map((region) => ({ customerId: p.customerId, region })),
    );

    const type = input.type;
    switch (type) {
      case 'deletion':
        return await finish(await deletion(resolved, placements));
      case 'restriction':
        return await finish(await restriction(resolved, placements));
      case 'access': {
        const answered = await finish(await access(resolved, placements));
        await afterAccess(answered.certificate);
        return answered;
      }
      case 'optOut':
        return await finish(await optOut(resolved, placements));
      case 'correction':
        return await finish(await correction());
      default: {
        const unknown: never = type;
        throw ApplicationFailure.nonRetryable(
          `privacyRequest: no steps for request type ${String(unknown)}`,
          'InvalidInput',
        );
      }
    }
  } finally {
    finished = true;
  }
}
