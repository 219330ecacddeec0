import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ChannelActivities } from '../activities/channels/regional';
import type { JourneyActivities } from '../activities/journeys/regional';
import type { JourneyGraph, JourneyNode } from '../domain/journeys';
import { randomBranch } from '../domain/journey-branch';
import { MAX_DEFERRALS, SEND_ACTIVITY } from './send-options';
import {
  journeyEvent,
  journeyProfileMerged,
  type JourneyRunInput,
  journeyRunStatusQuery,
  journeySegmentEntered,
} from './definitions';

/**
 * journeyRun: one person walking one journey (issue 12; DESIGN.md's catalogue "journey run"), on the
 * person's region queue. The loop is one `switch` over typed nodes (domain/journeys.ts). Everything
 * in this history is an ID, a configuration name, an instant or a count: events arrive as event IDs
 * (signals) and the run asks activities for what it needs (the event's name and key hash, the
 * person's local send instant, a split's answer). Sends go through `sendMessage` (the gate) with the
 * send key `<runId>:<node>.<visit>`, so a retry or replay never sends twice; `deferred` sleeps until
 * the gate's instant and asks again with the same key.
 *
 * Before each node the run reads the journey's state: paused holds it (re-checked every
 * `PAUSE_RECHECK`), and a version published with "runs move" takes it over at the same node ID
 * (a node that is gone in that version ends the run). Its goal (a conversion event, with the run's
 * key when keyed) ends the run at once and is counted. Future changes to this command sequence go
 * behind `patched('<name>')`, the old branch kept and labelled, as identityMerge does.
 */

const QUICK: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
/** How often a paused run looks again whether its journey was resumed. */
const PAUSE_RECHECK_MS = 60_000;
/**
 * patched() IDs of changes to the command sequence (never rename one). `unsignalledEvents`: before a
 * wait acts on its timeout, and before a message is sent while the journey has a goal, the run asks
 * the region for the events it ingested that no signal brought yet (the trigger behind under load).
 */
const PATCHES = { unsignalledEvents: 'journey-reads-unsignalled-events' } as const;
/** Nodes walked before a run continues as new, so a looping journey's history stays small. */
const NODES_PER_RUN = 200;
/** A node visited this often in one run ends it: a graph that loops through short waits forever. */
const MAX_VISITS_PER_NODE = 1000;

const a = proxyActivities<JourneyActivities>(QUICK);
// The same options as every send through the gate (workflows/send-options.ts).
const { sendMessage } = proxyActivities<ChannelActivities>(SEND_ACTIVITY);

export { journeyEvent, journeyProfileMerged, journeyRunStatusQuery, journeySegmentEntered };

export type JourneyRunResult = {
  status: 'exited' | 'converted' | 'merged';
  reason: string;
  node: string;
};

/** Where a run continues after continue-as-new. */
export interface JourneyRunResume {
  node: string;
  visits: Record<string, number>;
  /** Event IDs already read (so the goal or a wait sees what came before). */
  seen: { event: string; keyHash: string }[];
}

export async function journeyRun(input: JourneyRunInput & { resume?: JourneyRunResume }): Promise<JourneyRunResult> {
  let version = input.version;
  let customerId = input.customerId;
  let graph: JourneyGraph = await a.journeyGraph({ journeyId: input.journeyId, version });
  const keyProperty = graph.entry.type === 'event' ? (graph.entry.key ?? null) : null;
  const visits: Record<string, number> = { ...(input.resume?.visits ?? {}) };
  let node = input.resume?.node ?? graph.start;
  let status = 'running';

  // Events arrive as IDs; `seen` holds what the activity answered about each (name, key hash).
  const pendingEvents: string[] = [];
  const seenEventIds = new Set<string>(input.entryEventId ? [input.entryEventId] : []);
  const seen: { event: string; keyHash: string }[] = [...(input.resume?.seen ?? [])];
  const enteredSegments = new Set<string>();
  // A merge moves the run to the survivor at once (before any later event is read), or ends it.
  let merged = false;
  setHandler(journeyEvent, ({ eventId }) => {
    if (!seenEventIds.has(eventId)) {
      seenEventIds.add(eventId);
      pendingEvents.push(eventId);
    }
  });
  setHandler(journeySegmentEntered, ({ segmentId }) => void enteredSegments.add(segmentId));
  setHandler(journeyProfileMerged, (m) => {
    if (m.survivorHasRun) merged = true;
    else customerId = m.intoCustomerId;
  });
  setHandler(journeyRunStatusQuery, () => ({ node, status, version }));

  const sameKey = (keyHash: string) => input.keyHash === '' || keyHash === input.keyHash;
  const goalReached = () =>
    graph.goal !== undefined && seen.some((s) => s.event === graph.goal!.event && sameKey(s.keyHash));

  /** Reads what the new event IDs are (name, key hash) through the activity. */
  const readEvents = async () => {
    while (pendingEvents.length > 0) {
      const eventId = pendingEvents.shift()!;
      const facts = await a.journeyEventFacts({ customerId, eventId, keyProperty });
      if (facts) seen.push(facts);
    }
  };

  const goalWanted = () => (graph.goal ? [{ event: graph.goal.event, sameKey: true }] : []);

  /**
   * The wanted events the region ingested up to `untilMs` (null: up to now) that no signal brought:
   * each goes the signal's way (`seenEventIds`, `pendingEvents`, `readEvents`), so a late signal for
   * it is ignored and it is read and counted once.
   */
  const readUnsignalled = async (wanted: { event: string; sameKey: boolean }[], untilMs: number | null) => {
    if (wanted.length === 0) return;
    const eventIds = await a.journeyEventsIngested({
      runId: input.runId,
      customerId,
      entryEventId: input.entryEventId ?? null,
      keyProperty,
      keyHash: input.keyHash,
      wanted,
      until: untilMs === null ? null : new Date(untilMs).toISOString(),
    });
    for (const eventId of eventIds) {
      if (seenEventIds.has(eventId)) continue;
      seenEventIds.add(eventId);
      pendingEvents.push(eventId);
    }
    await readEvents();
  };

  /** Something the run must react to while it waits. */
  const interrupted = () => pendingEvents.length > 0 || merged;

  /**
   * Waits until `untilMs` (workflow time) or until `done()` holds, reading events as they come;
   * answers why it stopped. The goal or a merge interrupts every wait.
   */
  const waitUntil = async (untilMs: number, done: () => boolean = () => false): Promise<'time' | 'done' | 'goal'> => {
    for (;;) {
      await readEvents();
      if (goalReached()) return 'goal';
      if (merged) return 'done';
      if (done()) return 'done';
      const remaining = untilMs - Date.now();
      if (remaining <= 0) return 'time';
      await condition(() => interrupted() || done(), remaining);
    }
  };

  const finish = async (runStatus: JourneyRunResult['status'], reason: string): Promise<JourneyRunResult> => {
    status = runStatus;
    await a.finishJourneyRun({ runId: input.runId, status: runStatus, reason });
    return { status: runStatus, reason, node };
  };

  /** A merge into a survivor that has its own run: the trigger already ended this run's row. */
  const followMerge = async (): Promise<JourneyRunResult | undefined> =>
    merged ? { status: 'merged', reason: 'survivor-has-run', node } : undefined;

  let walked = 0;
  for (;;) {
    await readEvents();
    const afterMerge = await followMerge();
    if (afterMerge) {
      status = 'merged';
      return afterMerge;
    }
    if (goalReached()) return finish('converted', 'goal');

    // The journey's state: paused holds the run; a version published with "runs move" takes it over.
    let state = await a.journeyRunState({ journeyId: input.journeyId, version, runId: input.runId });
    while (state.status === 'paused') {
      status = 'paused';
      if ((await waitUntil(Date.now() + (input.pauseRecheckMs ?? PAUSE_RECHECK_MS))) === 'goal')
        return finish('converted', 'goal');
      state = await a.journeyRunState({ journeyId: input.journeyId, version, runId: input.runId });
    }
    status = 'running';
    if (state.status === 'gone') return finish('exited', 'journey-deleted');
    if (state.moveTo !== null) {
      version = state.moveTo;
      graph = await a.journeyGraph({ journeyId: input.journeyId, version });
      if (!graph.nodes[node]) return finish('exited', 'node-removed-in-new-version');
    }

    if (++walked > NODES_PER_RUN) {
      await continueAsNew<typeof journeyRun>({
        ...input,
        version,
        customerId,
        resume: { node, visits, seen },
      });
    }
    const visit = (visits[node] = (visits[node] ?? 0) + 1);
    if (visit > MAX_VISITS_PER_NODE) return finish('exited', 'too-many-visits');
    const current: JourneyNode = graph.nodes[node]!;
    const step = `${node}.${visit}`;

    switch (current.type) {
      case 'exit':
        return finish('exited', 'exit-node');

      case 'delay': {
        if ((await waitUntil(Date.now() + current.seconds * 1000)) === 'goal') return finish('converted', 'goal');
        if (merged) continue;
        node = current.next;
        break;
      }

      case 'delayUntilLocalTime': {
        const at = await a.localSendInstant({
          customerId,
          after: new Date(Date.now()).toISOString(),
          localTime: current.localTime,
          ...(current.weekdays ? { weekdays: current.weekdays } : {}),
        });
        if ((await waitUntil(Date.parse(at))) === 'goal') return finish('converted', 'goal');
        if (merged) continue;
        node = current.next;
        break;
      }

      case 'delayUntilDateTrait': {
        const at = await a.dateTraitSendInstant({
          customerId,
          trait: current.trait,
          offsetDays: current.offsetDays,
          localTime: current.localTime,
        });
        if (at === null || Date.parse(at) < Date.now()) {
          node = current.missing;
          break;
        }
        if ((await waitUntil(Date.parse(at))) === 'goal') return finish('converted', 'goal');
        if (merged) continue;
        node = current.next;
        break;
      }

      case 'waitForEvent': {
        const from = seen.length;
        const matched = () =>
          seen.slice(from).some((s) => s.event === current.event && (!current.sameKey || sameKey(s.keyHash)));
        const deadline = Date.now() + current.timeoutSeconds * 1000;
        let outcome = await waitUntil(deadline, matched);
        if (outcome === 'time' && patched(PATCHES.unsignalledEvents)) {
          // The timer fired: an answer (or the goal) ingested by the deadline whose signal is late still counts.
          await readUnsignalled([{ event: current.event, sameKey: current.sameKey }, ...goalWanted()], deadline);
          outcome = goalReached() ? 'goal' : matched() ? 'done' : 'time';
        }
        if (outcome === 'goal') return finish('converted', 'goal');
        if (merged) continue;
        node = outcome === 'done' ? current.next : current.timeout;
        break;
      }

      case 'waitForSegment': {
        enteredSegments.delete(current.segmentId);
        const inAlready = await a.evaluateJourneySplit({
          customerId,
          brandId: input.brandId,
          condition: { inSegment: current.segmentId },
        });
        const from = Date.now();
        const deadline = from + current.timeoutSeconds * 1000;
        let outcome = inAlready ? 'done' : await waitUntil(deadline, () => enteredSegments.has(current.segmentId));
        if (
          outcome === 'time' &&
          patched(PATCHES.unsignalledEvents) &&
          (await a.journeySegmentMemberWithin({
            customerId,
            segmentId: current.segmentId,
            from: new Date(from).toISOString(),
            until: new Date(deadline).toISOString(),
          }))
        )
          // The person entered in time; the trigger's "entered" signal is late.
          outcome = 'done';
        if (outcome === 'goal') return finish('converted', 'goal');
        if (merged) continue;
        node = outcome === 'done' ? current.next : current.timeout;
        break;
      }

      case 'split': {
        const yes = await a.evaluateJourneySplit({ customerId, brandId: input.brandId, condition: current.condition });
        node = yes ? current.yes : current.no;
        break;
      }

      case 'randomSplit': {
        const branch = randomBranch(current, input.runId, step);
        if (branch === 'holdout') {
          await a.recordJourneyStep({
            runId: input.runId,
            journeyId: input.journeyId,
            customerId,
            step,
            outcome: 'holdout',
          });
          return finish('exited', 'holdout');
        }
        node = branch;
        break;
      }

      case 'message': {
        const sendKey = `${input.runId}:${step}`;
        for (let deferrals = 0; ; deferrals++) {
          if (deferrals <= MAX_DEFERRALS && graph.goal && patched(PATCHES.unsignalledEvents)) {
            // A goal ingested but not yet signalled ends the run before it sends.
            await readUnsignalled(goalWanted(), null);
            if (goalReached()) return finish('converted', 'goal');
          }
          let outcome: Awaited<ReturnType<typeof sendMessage>> | { status: 'failed'; reason: string };
          try {
            outcome =
              deferrals > MAX_DEFERRALS
                ? { status: 'failed', reason: 'deferred-too-often' }
                : await sendMessage({
                    region: input.region,
                    customerId,
                    brandId: input.brandId,
                    channel: current.channel,
                    purpose: 'marketing',
                    templateRef: current.templateRef,
                    sendKey,
                    journeyRunId: input.runId,
                  });
          } catch (error) {
            // A refusal for good (ChannelRefused, TemplateNotRendered, …): recorded by its type, never its text.
            if (!(error instanceof ActivityFailure)) throw error;
            const cause = error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'failed') : 'failed';
            outcome = { status: 'failed', reason: cause };
          }
          if (outcome.status === 'deferred') {
            // Quiet hours: sleep until the gate's instant, then ask again with the same key.
            if ((await waitUntil(Date.parse(outcome.until))) === 'goal') return finish('converted', 'goal');
            const afterMerge = await followMerge();
            if (afterMerge) {
              status = 'merged';
              return afterMerge;
            }
            continue;
          }
          await a.recordJourneyStep({
            runId: input.runId,
            journeyId: input.journeyId,
            customerId,
            step,
            outcome: outcome.status,
            ...(outcome.status === 'blocked' || outcome.status === 'failed' ? { reason: outcome.reason } : {}),
          });
          if (outcome.status !== 'sent' && current.onBlocked === 'exit') return finish('exited', outcome.status);
          break;
        }
        node = current.next;
        break;
      }

      case 'updateTag': {
        await a.updateJourneyTag({ customerId, tag: current.tag, action: current.action });
        node = current.next;
        break;
      }

      // A new node type: no graph saved before it has one, so no run in flight replays into it.
      case 'updateTrait': {
        try {
          await a.updateJourneyTrait({ customerId, trait: current.trait, value: current.value });
        } catch (error) {
          // The key was reclassified as identifying since the journey was saved: recorded, the run goes on.
          if (
            !(
              error instanceof ActivityFailure &&
              error.cause instanceof ApplicationFailure &&
              error.cause.type === 'SealedTrait'
            )
          )
            throw error;
          await a.recordJourneyStep({
            runId: input.runId,
            journeyId: input.journeyId,
            customerId,
            step,
            outcome: 'failed',
            reason: 'SealedTrait',
          });
        }
        node = current.next;
        break;
      }

      default: {
        const never: never = current;
        throw new Error(`unknown node type ${(never as { type: string }).type}`);
      }
    }
  }
}
