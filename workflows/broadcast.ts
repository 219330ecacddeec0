import {
  ActivityOptions,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { type BroadcastCounts, type BroadcastProgress, emptyCounts } from '../domain/broadcasts';
import { MERIDIAN_BROADCAST_STATUS } from '../domain/search-attributes';
import {
  type BroadcastWorkflowInput,
  broadcastProgressQuery,
  cancelBroadcast,
  pauseBroadcast,
  resumeBroadcast,
} from './definitions';

/**
 * broadcast (the region's queue; `broadcast-<id>`): one message to a segment's members in one
 * region, no workflow per recipient. Planning pages through the members (each given their instant
 * in their zone, stored in the region: `planBroadcastPage`); sending waits for the earliest planned
 * instant (a durable timer, woken early by pause or cancel), sends the due group in batches through
 * the gate (`sendBroadcastDue`: bounded concurrency, a per-second cap; a deferral moves the member
 * to the instant the gate gives, a block is counted by reason), and repeats until nobody is left.
 * Pause, resume and cancel are signals; `progress` is a query; search attribute shows the status. The history holds the broadcast ID, customer-ID cursors and counts only, and is
 * renewed by continue-as-new before it grows long.
 */

const PLAN: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
};
const SEND: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // A worker killed mid-batch is noticed within this; the batch's rest is sent by the next attempt.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 50,
    nonRetryableErrorTypes: ['BroadcastNotFound', 'ChannelNotConfigured', 'BadSendRequest'],
  },
};

const PLAN_PAGE_SIZE = 1000;
/** Since planning is set-based (a page costs a few statements however large): fewer, larger pages. */
const SET_BASED_PLAN_PAGE_SIZE = 10_000;
/** Upper bounds asked of each batch; the region's configuration (rate, concurrency) lowers them. */
export const SEND_BATCH = 2000;
/**
 * Asked of each batch once `broadcast-larger-send-batches` is patched in: every batch starts with
 * nothing on the wire (its first chunk is gated, addressed and rendered) and ends waiting for its
 * last chunk's delivery events, about a second in all (profiled, issue 12), so fewer, larger
 * batches keep the wire busy. The activity still caps a batch at 2 s of sends at the region's rate,
 * so a pause is heard as soon where the rate is low.
 */
export const LARGER_SEND_BATCH = 5000;
export const SEND_CONCURRENCY = 64;
export const SEND_PER_SECOND = 10_000;
/** Continue as new past this many history events (Temporal warns at 10,240). */
const HISTORY_LIMIT = 2000;
/** When a batch could send nobody (keys held by a dead attempt, provider down): wait before the next. */
const RETRY_LATER_PAUSE_MS = 5_000;

const { planBroadcastPage, nextBroadcastGroup, cancelBroadcastPlan, finishBroadcast, tallyBroadcast } =
  proxyActivities<RegionalActivities>(PLAN);
const sends = proxyActivities<RegionalActivities>(SEND);

function addCounts(into: BroadcastCounts, r: Awaited<ReturnType<RegionalActivities['sendBroadcastDue']>>): void {
  // A member sent by an attempt that died before recording it comes back as repeated: sent once, counted once.
  into.sent += r.sent + r.repeated;
  into.deferred += r.deferred;
  into.failed += r.failed;
  for (const [reason, n] of Object.entries(r.blocked)) into.blocked[reason] = (into.blocked[reason] ?? 0) + n;
}

export async function broadcast(input: BroadcastWorkflowInput): Promise<BroadcastProgress> {
  if (!input?.broadcastId || !input.region || !input.startedAt)
    throw ApplicationFailure.nonRetryable(
      'broadcast input: broadcastId, region and startedAt are required',
      'InvalidInput',
    );
  const counts: BroadcastCounts = input.counts ? structuredClone(input.counts) : emptyCounts();
  let paused = input.paused ?? false;
  let cancelled = false;
  let status: BroadcastProgress['status'] = input.phase === 'sending' ? 'waiting' : 'planning';
  let nextAt: string | undefined;

  const progress = (): BroadcastProgress => ({
    broadcastId: input.broadcastId,
    region: input.region,
    status: paused && status !== 'completed' && status !== 'cancelled' ? 'paused' : status,
    ...(nextAt ? { nextAt } : {}),
    counts,
  });
  // Only when something changed: each upsert is a history event.
  let shown = '';
  const publish = () => {
    const now = progress().status;
    if (now === shown) return;
    shown = now;
    upsertSearchAttributes([{ key: MERIDIAN_BROADCAST_STATUS, value: now }]);
  };
  setHandler(broadcastProgressQuery, progress);
  setHandler(pauseBroadcast, () => {
    paused = true;
  });
  setHandler(resumeBroadcast, () => {
    paused = false;
  });
  setHandler(cancelBroadcast, () => {
    cancelled = true;
  });
  // Region and process kind are set at the start (temporal/processes/broadcasts.ts).
  publish();

  const renew = () =>
    continueAsNew<typeof broadcast>({
      ...input,
      phase: status === 'planning' ? 'planning' : 'sending',
      after: status === 'planning' ? input.after : null,
      counts,
      paused,
    });

  // Planning: every member in this region, a page at a time.
  if (input.phase !== 'sending') {
    let after = input.after ?? null;
    const pageSize = patched('broadcast-set-based-plan-pages') ? SET_BASED_PLAN_PAGE_SIZE : PLAN_PAGE_SIZE;
    for (;;) {
      if (cancelled) break;
      const page = await planBroadcastPage({
        broadcastId: input.broadcastId,
        startedAt: input.startedAt,
        after,
        pageSize,
      });
      counts.planned += page.planned;
      counts.skipped += page.skipped;
      after = page.next;
      if (after === null) break;
      if (workflowInfo().historyLength > HISTORY_LIMIT) {
        input = { ...input, after };
        return renew();
      }
    }
    status = 'waiting';
    publish();
  }

  // Sending: group after group, each at its instant.
  for (;;) {
    if (cancelled) break;
    if (paused) {
      publish();
      await condition(() => !paused || cancelled);
      publish();
      continue;
    }
    const next = await nextBroadcastGroup({ broadcastId: input.broadcastId });
    if (next.at === null) {
      status = 'completed';
      nextAt = undefined;
      break;
    }
    const wait = new Date(next.at).getTime() - Date.now();
    if (wait > 0) {
      status = 'waiting';
      nextAt = next.at;
      publish();
      // Woken early by pause or cancel; otherwise the group's instant has come.
      await condition(() => paused || cancelled, wait);
      continue;
    }
    status = 'sending';
    nextAt = undefined;
    const result = await sends.sendBroadcastDue({
      broadcastId: input.broadcastId,
      limit: patched('broadcast-larger-send-batches') ? LARGER_SEND_BATCH : SEND_BATCH,
      concurrency: SEND_CONCURRENCY,
      perSecond: SEND_PER_SECOND,
    });
    addCounts(counts, result);
    publish();
    if (result.attempted > 0 && result.retryLater === result.attempted) await sleep(RETRY_LATER_PAUSE_MS);
    if (workflowInfo().historyLength > HISTORY_LIMIT) return renew();
  }

  if (cancelled) {
    await cancelBroadcastPlan({ broadcastId: input.broadcastId });
    status = 'cancelled';
  }
  // The final counts from the plan itself: a batch whose worker died took its counts with it.
  Object.assign(counts, await tallyBroadcast({ broadcastId: input.broadcastId }));
  await finishBroadcast({ broadcastId: input.broadcastId, status: status === 'cancelled' ? 'cancelled' : 'completed' });
  publish();
  return progress();
}
