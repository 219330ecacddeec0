import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import {
  cancelPlanned,
  dueRecipients,
  getBroadcast,
  nextPlannedInstant,
  planMembersPage,
  type RecipientOutcome,
  recordRecipientOutcomes,
  setBroadcastStatus,
  tallyRecipients,
} from '../../db/broadcasts-store';
import { broadcastSendKey, broadcastZone, sendInstant } from '../../domain/broadcasts';
import { eachConcurrently } from '../../db/concurrently';
import type { IncomingCall } from '../../db/region-writer';
import type { SendRequest } from '../../domain/send-gate';
import type { ChannelSender } from '../channels/regional';

/**
 * The region side of a broadcast (workflows/broadcast.ts). Planning: a page of the segment's
 * members in this region, each given their send instant in their zone, stored in
 * `broadcast_recipients`. Sending: the due members, each through `sendMessage` (the gate and its
 * send key `broadcast:<id>:<customer>`), with bounded concurrency and a per-second cap. Only
 * cursors (customer IDs) and counts go back to the workflow (DESIGN.md rule 2).
 */

export interface BroadcastActivityDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
  /**
   * The channel sender's batch (activities/channels/regional.ts sendBatch), called in-process: the
   * gate for a chunk of members at once, their `Message Sent` events appended to the list given,
   * written a chunk at a time by `writeDeliveryEvents` (while the next chunks send), all of them
   * before the batch's outcomes are recorded.
   */
  sendBatch: ChannelSender['sendBatch'];
  writeDeliveryEvents: (calls: IncomingCall[]) => Promise<void>;
  /** The region's cap on sends started per second (the providers' rate); a batch asks for at most this. */
  maxPerSecond: number;
  /** The region's cap on sends in flight at once (MERIDIAN_BROADCAST_CONCURRENCY); default 8. */
  maxConcurrency?: number;
  now?: () => Date;
}

export interface PlanPageInput {
  broadcastId: string;
  /** The instant the broadcast started: whether a zone's time has passed is decided against it. */
  startedAt: string;
  after: string | null;
  pageSize: number;
}

export interface SendDueInput {
  broadcastId: string;
  /** Members per activity, at most; a batch also stops at BATCH_SECONDS of sending, so a pause is heard soon. */
  limit: number;
  /** Sends in flight at once. */
  concurrency: number;
  /** Sends started per second, at most (the region's cap wins when lower). */
  perSecond: number;
}

/** Seconds of sending per batch at the rate cap: the workflow hears a pause or cancel between batches. */
const BATCH_SECONDS = 2;
/** Heartbeats while sending, at most this often (the workflow's heartbeat timeout is 15 s). */
const HEARTBEAT_EVERY_MS = 1000;
/** Members claimed by the gate at once within a batch. */
const SEND_CHUNK = 500;
/** Chunks of one batch gated and sent side by side. */
const CHUNKS_IN_FLIGHT = 2;

export interface SendDueResult {
  attempted: number;
  sent: number;
  /** Sent by an earlier attempt (a retried batch): not counted again. */
  repeated: number;
  deferred: number;
  blocked: Record<string, number>;
  failed: number;
  /** Left planned for the next batch: another attempt holds the key, or the provider was unavailable. */
  retryLater: number;
}

/** Failures of one member that fail that member for good; anything else leaves them for a later batch. */
const MEMBER_FAILURES: Record<string, string> = {
  ChannelRefused: 'provider-refused',
  TemplateNotRendered: 'template-not-rendered',
};

/** A token bucket of `perSecond` starts per second window, shared by the batch's concurrent senders. */
function rateLimiter(perSecond: number) {
  let windowStart = 0;
  let started = 0;
  return async function take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        started = 0;
      }
      if (started < perSecond) {
        started++;
        return;
      }
      await new Promise((r) => setTimeout(r, windowStart + 1000 - now));
    }
  };
}

export function createBroadcastActivities(deps: BroadcastActivityDeps) {
  const now = deps.now ?? (() => new Date());

  async function broadcastOf(broadcastId: string) {
    const broadcast = await getBroadcast(deps.globalSql, broadcastId);
    if (!broadcast)
      throw ApplicationFailure.nonRetryable(`broadcast ${broadcastId} does not exist`, 'BroadcastNotFound');
    if (broadcast.region !== deps.region)
      throw ApplicationFailure.nonRetryable(
        `broadcast ${broadcastId} sends in ${broadcast.region}, not ${deps.region}`,
        'BroadcastNotFound',
      );
    return broadcast;
  }

  return {
    async planBroadcastPage(
      input: PlanPageInput,
    ): Promise<{ next: string | null; planned: number; skipped: number; groups: number }> {
      const broadcast = await broadcastOf(input.broadcastId);
      const startedAt = new Date(input.startedAt);
      const page = await planMembersPage(
        deps.sql,
        { broadcastId: broadcast.id, segmentId: broadcast.segmentId, after: input.after, limit: input.pageSize },
        (clues) => {
          const zone = broadcastZone(clues, broadcast.fallbackZone);
          const instant = sendInstant(startedAt, broadcast, zone);
          return 'at' in instant ? { zone, sendAt: instant.at } : undefined;
        },
      );
      return {
        next: page.members < input.pageSize ? null : page.last,
        planned: page.planned,
        skipped: page.skipped,
        groups: page.groups,
      };
    },

    /** The next group's instant (the earliest planned, unsent), its size, and how many remain. */
    async nextBroadcastGroup(input: {
      broadcastId: string;
    }): Promise<{ at: string | null; groupSize: number; remaining: number }> {
      const next = await nextPlannedInstant(deps.sql, input.broadcastId);
      return { at: next.at?.toISOString() ?? null, groupSize: next.groupSize, remaining: next.remaining };
    },

    async sendBroadcastDue(input: SendDueInput): Promise<SendDueResult> {
      const broadcast = await broadcastOf(input.broadcastId);
      const perSecond = Math.max(1, Math.min(input.perSecond, deps.maxPerSecond));
      const limit = Math.max(1, Math.min(input.limit, perSecond * BATCH_SECONDS));
      const due = await dueRecipients(deps.sql, broadcast.id, now(), limit);
      const result: SendDueResult = {
        attempted: due.length,
        sent: 0,
        repeated: 0,
        deferred: 0,
        blocked: {},
        failed: 0,
        retryLater: 0,
      };
      const take = rateLimiter(perSecond);
      const context = Context.current();
      // Each chunk's delivery events are written as soon as the chunk ends, beside the chunks still
      // sending, instead of all at the end of the batch while nothing is on the wire.
      // A failure is kept (caught at once: a rejection left unhandled until the end would end the worker).
      const eventWrites: Promise<void>[] = [];
      let eventFailure: { error: unknown } | undefined;
      // Outcomes are recorded in one statement after the batch (and after its delivery events): a
      // batch that dies first is retried, finds its members' keys sent, and records them then.
      const outcomes: { customerId: string; outcome: RecipientOutcome }[] = [];
      let done = 0;
      // At most a heartbeat a second from here: each one is encoded (the payload codec) and handed to the worker.
      let beatAt = 0;
      const beat = (n: number) => {
        if (Date.now() - beatAt < HEARTBEAT_EVERY_MS) return;
        beatAt = Date.now();
        context.heartbeat({ done: n });
      };
      const concurrency = Math.max(1, Math.min(input.concurrency, deps.maxConcurrency ?? 8));
      try {
        // Claimed a chunk at a time (a claim lapses after SEND_CLAIM_SECONDS, longer than a chunk
        // takes), CHUNKS_IN_FLIGHT chunks side by side: one's gate statements run while another's
        // messages are on the wire. Chunks hold different people, so their gate decisions are apart.
        const chunks: string[][] = [];
        for (let start = 0; start < due.length; start += SEND_CHUNK) chunks.push(due.slice(start, start + SEND_CHUNK));
        await eachConcurrently(chunks, CHUNKS_IN_FLIGHT, async (chunk) => {
          const requests = chunk.map(
            (customerId): SendRequest => ({
              region: deps.region,
              customerId,
              brandId: broadcast.brandId,
              channel: broadcast.channel,
              purpose: 'marketing',
              templateRef: broadcast.templateRef,
              sendKey: broadcastSendKey(broadcast.id, customerId),
            }),
          );
          const events: IncomingCall[] = [];
          let answers: Awaited<ReturnType<BroadcastActivityDeps['sendBatch']>>;
          try {
            answers = await deps.sendBatch(
              requests,
              { concurrency, beforeSend: take, afterEach: () => beat(++done) },
              events,
            );
          } finally {
            // Even when the chunk fails (the broadcast cannot send at all), what was sent gets its event.
            eventWrites.push(
              deps.writeDeliveryEvents(events).catch((error: unknown) => {
                eventFailure ??= { error };
              }),
            );
          }
          for (const [i, sent] of answers.entries()) {
            const customerId = chunk[i]!;
            if (sent.status === 'sent') {
              outcomes.push({ customerId, outcome: { status: 'sent' } });
              if (sent.repeated) result.repeated++;
              else result.sent++;
            } else if (sent.status === 'deferred') {
              outcomes.push({ customerId, outcome: { status: 'deferred', until: new Date(sent.until) } });
              result.deferred++;
            } else if (sent.status === 'blocked') {
              outcomes.push({ customerId, outcome: { status: 'blocked', reason: sent.reason } });
              result.blocked[sent.reason] = (result.blocked[sent.reason] ?? 0) + 1;
            } else {
              const reason = MEMBER_FAILURES[sent.failure.type ?? ''];
              if (reason && sent.failure.nonRetryable) {
                outcomes.push({ customerId, outcome: { status: 'failed', reason } });
                result.failed++;
              } else result.retryLater++;
            }
          }
          context.heartbeat({ done });
        });
      } finally {
        // Even when the batch fails, what was sent is recorded; a failed event write fails the
        // batch before its outcomes are recorded, so the retry writes those events again.
        await Promise.all(eventWrites);
        if (eventFailure) throw eventFailure.error;
        await recordRecipientOutcomes(deps.sql, broadcast.id, outcomes);
      }
      return result;
    },

    /** What became of every planned member, from the plan itself (exact after any crash). */
    async tallyBroadcast(input: {
      broadcastId: string;
    }): Promise<{ sent: number; blocked: Record<string, number>; failed: number; cancelled: number }> {
      return tallyRecipients(deps.sql, input.broadcastId);
    },

    /** A cancelled broadcast's unsent plan is marked cancelled; answers how many. */
    async cancelBroadcastPlan(input: { broadcastId: string }): Promise<number> {
      return cancelPlanned(deps.sql, input.broadcastId);
    },

    /** The broadcast's status in the global database when the workflow ends. */
    async finishBroadcast(input: { broadcastId: string; status: 'completed' | 'cancelled' }): Promise<void> {
      await setBroadcastStatus(deps.globalSql, input.broadcastId, ['running', 'paused'], input.status);
    },
  };
}

export type BroadcastActivities = ReturnType<typeof createBroadcastActivities>;
