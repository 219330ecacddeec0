import { ActivityFailure, ApplicationFailure, condition, sleep } from '@temporalio/workflow';

/**
 * Workflow-side steps shared by the processes that reach connected systems (privacyRequest,
 * consentPropagation): following a vendor's asynchronous job until it is done, waiting for an
 * operator to do by hand what a system has no API for, and the message a failure leaves on a row.
 * Workflow code only: timers and conditions, no I/O.
 */

/** What a vendor call answers: done (or some other final status), or a job to check again later. */
type VendorAnswer = { status: string } | { status: 'submitted'; jobId: string; checkAfterMs: number };
type Submitted = { status: 'submitted'; jobId: string; checkAfterMs: number };

const isSubmitted = (answer: VendorAnswer): answer is Submitted => answer.status === 'submitted';

/** The failure type of a vendor job given up on (checked `maxChecks` times, still not done). */
export const VENDOR_JOB_UNFINISHED = 'VendorJobUnfinished';

/**
 * Calls the vendor, then, while it answers with a job, waits the time the vendor asked for and checks
 * the job again. Gives up (a non-retryable VendorJobUnfinished failure) after `maxChecks` checks.
 */
export async function untilVendorDone<A extends VendorAnswer>(
  call: () => Promise<A>,
  check: (jobId: string) => Promise<A>,
  options: { maxChecks: number; what: string; onWaiting?: () => void },
): Promise<Exclude<A, Submitted>> {
  let answer = await call();
  for (let checks = 0; isSubmitted(answer); checks++) {
    options.onWaiting?.();
    if (checks >= options.maxChecks)
      throw ApplicationFailure.nonRetryable(
        `the vendor's ${options.what} did not finish after ${options.maxChecks} checks`,
        VENDOR_JOB_UNFINISHED,
      );
    await sleep(answer.checkAfterMs);
    answer = await check(answer.jobId);
  }
  return answer as Exclude<A, Submitted>;
}

export const isVendorJobUnfinished = (error: unknown) =>
  error instanceof ApplicationFailure && error.type === VENDOR_JOB_UNFINISHED;

/**
 * Whether an operator's completion of a task in `state` is kept. The task's row says waiting as soon as
 * the activity that writes it commits, so a completion can arrive in the same activation as that
 * activity's result, before the workflow marks the task waiting: since `keepEarly` (a patch) it is kept
 * for any task not yet done; before, only for one marked waiting (running workflows replay as before).
 */
export function keepsOperatorCompletion(state: string | undefined, keepEarly: boolean): boolean {
  return state === 'waiting-on-operator' || (keepEarly && state !== 'done');
}

/** Waits until an operator's completion of `key` arrives (a signal handler fills `completed`), and returns it. */
export async function untilOperatorDone<T>(completed: ReadonlyMap<string, T>, key: string): Promise<T> {
  await condition(() => completed.has(key));
  return completed.get(key)!;
}

/** The message an activity's failure leaves on a system's row: the cause's, not Temporal's wrapper. */
export function failureMessage(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}
