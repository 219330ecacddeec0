import {
  ActivityOptions,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SegmentActivities } from '../activities/segments/regional';
import { type SegmentRecomputeInput, segmentRecomputeWorkflowId } from './definitions';

/**
 * Segment recomputes, on the region's queue (DESIGN.md's catalogue: "segment maintenance").
 * Real-time changes come from the audience processor; these handle what time changes without an
 * event: windows that slide ("no purchase in 7 days" becomes true on day 8) and local-time
 * conditions, plus a full recompute after a definition change. The history holds only segment
 * IDs, customer-ID cursors and counts.
 *
 * - segmentRecompute: every profile of the region in one set-based activity (db/segments-store.ts
 *   recomputeSegment); stops when the definition got a newer version (that version has its own
 *   recompute). Runs started before `single-pass-recompute` replay the page loop they recorded
 *   (each of its pages has been the whole region since the set-based recompute).
 * - segmentMaintenance: started by the region's Schedule (`segment-maintenance-<region>`); starts
 *   a segmentRecompute for each time-relative segment (one already running is left alone).
 */

/**
 * A recompute heartbeats every 10 s while it waits for its turn and runs (activities/segments): a
 * task the server lost under load is run again after 30 s instead of the start-to-close timeout,
 * which is long because a region's recomputes take turns (two at a time).
 */
const PAGE: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const LIST: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds' } };
/** Pages per run before continuing as new, for runs that replay the page loop. */
const PAGES_PER_RUN = 500;

const { recomputeSegmentPage, recomputeSegmentInRegion } = proxyActivities<SegmentActivities>(PAGE);
const { timeRelativeSegments } = proxyActivities<SegmentActivities>(LIST);

export async function segmentRecompute(
  input: SegmentRecomputeInput,
): Promise<{ entered: number; exited: number; superseded: boolean }> {
  if (patched('single-pass-recompute')) {
    const result = await recomputeSegmentInRegion({ segmentId: input.segmentId, version: input.version });
    return {
      entered: (input.entered ?? 0) + result.entered,
      exited: (input.exited ?? 0) + result.exited,
      superseded: result.superseded,
    };
  }
  let after = input.after ?? null;
  let entered = input.entered ?? 0;
  let exited = input.exited ?? 0;
  for (let pages = 0; ; pages++) {
    if (pages >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof segmentRecompute>({ ...input, after, entered, exited });
    const page = await recomputeSegmentPage({ segmentId: input.segmentId, version: input.version, after });
    entered += page.entered;
    exited += page.exited;
    if (page.superseded) return { entered, exited, superseded: true };
    if (page.next === null) return { entered, exited, superseded: false };
    after = page.next;
  }
}

export async function segmentMaintenance(input: { region: string }): Promise<{ started: number; running: number }> {
  let started = 0;
  let running = 0;
  for (const { segmentId, version } of await timeRelativeSegments()) {
    try {
      await startChild(segmentRecompute, {
        workflowId: segmentRecomputeWorkflowId(segmentId, version, input.region),
        args: [{ segmentId, version, region: input.region }],
        // The recompute finishes on its own even if this run ends first.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      started++;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      running++;
    }
  }
  return { started, running };
}
