import {
  ActivityFailure,
  ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import type { SyncPagesResult } from '../activities/sync/regional';
import type { StreamName } from '../connectors/framework';
import {
  MERIDIAN_CONNECTOR_ID,
  MERIDIAN_PROCESS_KIND,
  MERIDIAN_REGION,
  MERIDIAN_SYNC_LAG_SECONDS,
  MERIDIAN_SYNC_PAGES,
  MERIDIAN_SYNC_RECORDS,
  MERIDIAN_SYNC_STATUS,
} from '../domain/search-attributes';
import { ConnectorSyncInput, connectorSyncInputSchema, describeInputProblem } from '../domain/workflow-inputs';
import { StreamState, SyncProgress, syncProgressQuery, SyncResult, SyncStatus, SyncTotals } from './definitions';

/**
 * connectorSync: one sync of one connector, on its region's queue (`sync-<connectorId>` when
 * started by hand; the connector's Schedule adds the scheduled time). It takes the connector's
 * lease (a second sync of the same connector ends as skipped), then pages through each stream:
 * every activity call stores a run of pages and returns the cursor, which this workflow keeps as
 * its checkpoint; the activity heartbeats the cursor after each page, so a worker crash repeats at
 * most one page, which is stored idempotently. History is kept short with continue-as-new.
 *
 * Progress: the `progress` query, and the search attributes MeridianSyncStatus, MeridianSyncPages,
 * MeridianSyncRecords and MeridianSyncLagSeconds. A sync ends completed, skipped, cancelled or
 * failed with the connector's own actionable message (e.g. "reconnect the store").
 */

export type { ConnectorSyncInput, StreamState, SyncProgress, SyncResult, SyncStatus, SyncTotals };
export { syncProgressQuery };

const BOOKKEEPING: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
};
const PAGES: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  // Every stored page heartbeats; a dead worker is noticed this soon and the call resumes elsewhere.
  heartbeatTimeout: '20 seconds',
  // Transient errors back off up to 2 minutes; after 12 attempts the sync fails and says why.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 12 },
};
/** One activity call stores at most this much, so the checkpoint in history is never far behind. */
const PAGES_PER_CALL = 40;
const MILLIS_PER_CALL = 2 * 60_000;
/** Continue as new well before the history grows large. */
const HISTORY_EVENTS_PER_RUN = 2_000;

const { beginSync, finishStream, endSync } = proxyActivities<RegionalActivities>(BOOKKEEPING);
const { syncPages } = proxyActivities<RegionalActivities>(PAGES);

/** What a sync carries into its next run. */
export interface SyncState {
  syncId: string;
  region: string;
  streams: StreamState[];
  totals: SyncTotals;
}

export async function connectorSync(rawInput: ConnectorSyncInput, carried?: SyncState): Promise<SyncResult> {
  const parsed = connectorSyncInputSchema.safeParse(rawInput);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'connectorSync'), 'InvalidInput');
  const input = parsed.data;
  const { connectorId } = input;
  const info = workflowInfo();

  const progress: SyncProgress = {
    connectorId,
    status: 'starting',
    streams: [],
    totals: { pages: 0, customers: 0, orders: 0, rejected: 0 },
  };
  setHandler(syncProgressQuery, () => progress);
  const show = (status: SyncStatus) => {
    progress.status = status;
    upsertSearchAttributes([
      { key: MERIDIAN_SYNC_STATUS, value: status },
      { key: MERIDIAN_SYNC_PAGES, value: progress.totals.pages },
      { key: MERIDIAN_SYNC_RECORDS, value: progress.totals.customers + progress.totals.orders },
      ...(progress.lagSeconds !== undefined ? [{ key: MERIDIAN_SYNC_LAG_SECONDS, value: progress.lagSeconds }] : []),
    ]);
  };

  let state: SyncState;
  if (carried) {
    state = carried;
  } else {
    const syncId = `${info.workflowId}/${info.firstExecutionRunId}`;
    const begun = await beginSync({ connectorId, syncId, workflowId: info.workflowId, ...pick(input) });
    if (begun.status === 'skipped') {
      upsertSearchAttributes([
        { key: MERIDIAN_PROCESS_KIND, value: 'connectorSync' },
        { key: MERIDIAN_CONNECTOR_ID, value: connectorId },
      ]);
      progress.heldBy = begun.heldBy;
      show('skipped');
      return result(progress);
    }
    state = {
      syncId,
      region: begun.region,
      streams: begun.streams.map((s) => ({ ...s, cursor: null, pageNo: 0, records: 0, done: false })),
      totals: { pages: 0, customers: 0, orders: 0, rejected: 0 },
    };
  }
  upsertSearchAttributes([
    { key: MERIDIAN_PROCESS_KIND, value: 'connectorSync' },
    { key: MERIDIAN_CONNECTOR_ID, value: connectorId },
    { key: MERIDIAN_REGION, value: state.region },
  ]);
  progress.syncId = state.syncId;
  progress.streams = state.streams;
  progress.totals = state.totals;
  show('running');

  let continueNow = false;
  try {
    for (const s of state.streams) {
      if (s.done) continue;
      progress.stream = s.stream;
      s.passStartedAt ??= new Date().toISOString();
      while (!s.done) {
        const page: SyncPagesResult = await syncPages({
          connectorId,
          syncId: state.syncId,
          stream: s.stream,
          cursor: s.cursor,
          ...(s.since ? { since: s.since } : {}),
          pageNo: s.pageNo,
          maxPages: PAGES_PER_CALL,
          maxMillis: MILLIS_PER_CALL,
        });
        s.cursor = page.cursor;
        s.pageNo = page.pageNo;
        s.records += page.customers + page.orders;
        s.done = page.done;
        if (page.highWater && (!s.highWater || page.highWater > s.highWater)) s.highWater = page.highWater;
        if (page.total !== undefined) s.total = page.total;
        state.totals.pages += page.pages;
        state.totals.customers += page.customers;
        state.totals.orders += page.orders;
        state.totals.rejected += page.rejected;
        if (page.lagSeconds !== undefined) progress.lagSeconds = page.lagSeconds;
        show('running');
        if (
          !s.done &&
          (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENTS_PER_RUN)
        ) {
          continueNow = true;
          break;
        }
      }
      if (continueNow) break;
      await finishStream({
        connectorId,
        stream: s.stream,
        passStartedAt: s.passStartedAt,
        ...(s.highWater ? { highWater: s.highWater } : {}),
        records: s.records,
      });
    }
  } catch (error) {
    if (isCancellation(error)) {
      progress.error = 'cancelled by an operator';
      await CancellationScope.nonCancellable(() =>
        endSync({
          connectorId,
          syncId: state.syncId,
          status: 'cancelled',
          totals: state.totals,
          error: progress.error,
        }),
      );
      show('cancelled');
      throw error;
    }
    const { message, type } = failureOf(error);
    progress.error = message;
    await endSync({ connectorId, syncId: state.syncId, status: 'failed', totals: state.totals, error: message });
    show('failed');
    throw ApplicationFailure.nonRetryable(`sync of connector ${connectorId} failed: ${message}`, type);
  }
  if (continueNow) return continueAsNew<typeof connectorSync>(input, state);

  progress.stream = undefined;
  await endSync({ connectorId, syncId: state.syncId, status: 'completed', totals: state.totals });
  show('completed');
  return result(progress);
}

function pick(input: ConnectorSyncInput): { streams?: StreamName[]; since?: string; full?: boolean } {
  return {
    ...(input.streams ? { streams: input.streams } : {}),
    ...(input.since ? { since: input.since } : {}),
    ...(input.full ? { full: input.full } : {}),
  };
}

function result(progress: SyncProgress): SyncResult {
  const { stream: _stream, ...rest } = progress;
  return rest;
}

/** The connector's own message and error type, from the activity failure that ended the sync. */
function failureOf(error: unknown): { message: string; type: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { message: cause.message, type: cause.type ?? 'SyncFailed' };
  return { message: cause instanceof Error ? cause.message : String(cause), type: 'SyncFailed' };
}
