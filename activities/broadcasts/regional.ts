import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import {
  cancelPlanned,
  dueRecipients,
  getBroadcast,
  nextPlannedInstant,
  planRecipients,
  type RecipientOutcome,
  recordRecipientOutcomes,
  setBroadcastStatus,
  tallyRecipients,
  zoneClues,
} from '../../db/broadcasts-store';
import { segmentMembersPage } from '../../db/segments-store';
import { broadcastSendKey, broadcastZone, sendInstant } from '../../domain/broadcasts';
import type { IncomingCall } from '../../db/region-writer';
import type { SendOutcome, SendRequest } from '../../domain/send-gate';

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
  /** The channel activities' sendMessage, called in-process for each member of a batch. */
  sendMessage: (request: SendRequest) => Promise<SendOutcome>;
  /**
   * When given (the worker's wiring): sends like sendMessage but collects the `Message Sent` events,
   * written for the whole batch by `writeDeliveryEvents` before the outcomes are recorded.
   */
  sendCollecting?: (request: SendRequest, collect: IncomingCall[]) => Promise<SendOutcome>;
  writeDeliveryEvents?: (calls: IncomingCall[]) => Promise<void>;
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
      const members = await segmentMembersPage(deps.sql, broadcast.segmentId, input.after, input.pageSize);
      const clues = await zoneClues(deps.sql, members);
      const startedAt = new Date(input.startedAt);
      const rows: { customerId: string; zone: string; sendAt: Date }[] = [];
      let skipped = 0;
      for (const customerId of members) {
        const zone = broadcastZone(clues.get(customerId) ?? {}, broadcast.fallbackZone);
        const instant = sendInstant(startedAt, broadcast, zone);
        if ('at' in instant) rows.push({ customerId, zone, sendAt: instant.at });
        else skipped++;
      }
      await planRecipients(deps.sql, broadcast.id, rows);
      return {
        next: members.length < input.pageSize ? null : (members.at(-1) ?? null),
        planned: rows.length,
        skipped,
        groups: new Set(rows.map((r) => r.sendAt.getTime())).size,
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
      const events: IncomingCall[] = [];
      const send = deps.sendCollecting
        ? (request: SendRequest) => deps.sendCollecting!(request, events)
        : deps.sendMessage;
      // Outcomes are recorded in one statement after the batch (and after its delivery events): a
      // batch that dies first is retried, finds its members' keys sent, and records them then.
      const outcomes: { customerId: string; outcome: RecipientOutcome }[] = [];
      let cursor = 0;
      const sendOne = async (customerId: string) => {
        await take();
        const request: SendRequest = {
          region: deps.region,
          customerId,
          brandId: broadcast.brandId,
          channel: broadcast.channel,
          purpose: 'marketing',
          templateRef: broadcast.templateRef,
          sendKey: broadcastSendKey(broadcast.id, customerId),
        };
        let outcome: RecipientOutcome | undefined;
        try {
          const sent = await send(request);
          if (sent.status === 'sent') {
            outcome = { status: 'sent' };
            if (sent.repeated) result.repeated++;
            else result.sent++;
          } else if (sent.status === 'deferred') {
            outcome = { status: 'deferred', until: new Date(sent.until) };
            result.deferred++;
          } else {
            outcome = { status: 'blocked', reason: sent.reason };
            result.blocked[sent.reason] = (result.blocked[sent.reason] ?? 0) + 1;
          }
        } catch (error) {
          const type = error instanceof ApplicationFailure ? error.type : undefined;
          const reason = type ? MEMBER_FAILURES[type] : undefined;
          if (reason && error instanceof ApplicationFailure && error.nonRetryable) {
            outcome = { status: 'failed', reason };
            result.failed++;
          } else if (type === 'ChannelNotConfigured' || type === 'BadSendRequest') {
            // The broadcast cannot send at all: fail it, with the gate's message (IDs only).
            throw error;
          } else {
            result.retryLater++;
          }
        }
        if (outcome) outcomes.push({ customerId, outcome });
        context.heartbeat({ done: cursor });
      };
      const runner = async () => {
        while (cursor < due.length) {
          const customerId = due[cursor++]!;
          await sendOne(customerId);
        }
      };
      const concurrency = Math.min(input.concurrency, deps.maxConcurrency ?? 8, due.length);
      try {
        await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
      } finally {
        // Even when the batch fails (the broadcast cannot send at all), what was sent is recorded.
        if (deps.writeDeliveryEvents) await deps.writeDeliveryEvents(events);
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
