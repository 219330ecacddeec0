import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { type SendOutcome, type SendRequest, sendRequestSchema } from '../domain/send-gate';
import { describeIssues } from '../domain/validation';
import { MAX_DEFERRALS, SEND_ACTIVITY } from './send-options';

/**
 * One message through the send gate, on the person's region queue (issue 12): `sendMessage`, and
 * while the gate answers `deferred` (quiet hours), a durable sleep until the instant it names and
 * the same send key again. `sendThroughGate` is the loop journeys and broadcasts reuse; the
 * `messageSend` workflow runs it alone (a single send, e.g. from the admin API or a test).
 * History: the request (IDs) and outcomes (IDs, instants, reasons).
 */

const { sendMessage } = proxyActivities<RegionalActivities>(SEND_ACTIVITY);

export type GateResult = SendOutcome | { status: 'deferred-too-often'; deferrals: number };

export async function sendThroughGate(request: SendRequest): Promise<GateResult> {
  for (let deferrals = 0; deferrals <= MAX_DEFERRALS; deferrals++) {
    const outcome = await sendMessage(request);
    if (outcome.status !== 'deferred') return outcome;
    await sleep(Math.max(0, new Date(outcome.until).getTime() - Date.now()));
  }
  return { status: 'deferred-too-often', deferrals: MAX_DEFERRALS + 1 };
}

export async function messageSend(raw: SendRequest): Promise<GateResult> {
  const parsed = sendRequestSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeIssues(parsed.error, 'send request'), 'BadSendRequest');
  return sendThroughGate(parsed.data);
}
