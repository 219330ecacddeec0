import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Cursor, StreamName } from '../connectors/framework';
import type { ManualTaskCompletion, MergeRequest, ReclassificationCounts } from '../domain/workflow-inputs';
import type { BroadcastCounts, BroadcastProgress } from '../domain/broadcasts';

/**
 * What each workflow and the code that starts, signals and queries it agree on: its workflow ID,
 * its signals and queries, and the types they carry. No workflow code lives here, so
 * temporal/processes imports this file at run time while it imports the workflows themselves only
 * as types (test/unit/architecture.test.ts keeps it so). IDs carry opaque IDs only (DESIGN.md, rule 2).
 */

// ---- privacyRequest ---------------------------------------------------------------------------

/** `dsar-<requestId>`: one saga per request, readable in the Temporal UI. */
export const privacyRequestWorkflowId = (requestId: string) => `dsar-${requestId}`;

export interface ManualPrivacyTask {
  region: string;
  connectorId: string;
  operation: 'erase' | 'suppress' | 'correct';
  note?: string;
}

export const cancelPrivacyRequest = defineSignal('cancel');
export const extendPrivacyRequest = defineSignal<[{ reason: string }]>('extend');
export const privacyManualTaskCompleted = defineSignal<[ManualPrivacyTask]>('manualTaskCompleted');
export const privacyRequestStatusQuery = defineQuery<{
  status: string;
  dueDate: string;
  systems: Record<string, string>;
}>('status');

// ---- consentPropagation -----------------------------------------------------------------------

/** `consent-<propagationId>`: the admin API, the portal, the tracking API and the privacy saga start it alike. */
export const consentPropagationWorkflowId = (propagationId: string) => `consent-${propagationId}`;

export const manualTaskCompleted = defineSignal<[ManualTaskCompletion]>('manualTaskCompleted');
export const propagationStatusQuery = defineQuery<Record<string, string>>('status');

// ---- identityMerge ----------------------------------------------------------------------------

/** `identity-merge-<customerId>`: one per surviving profile, so merges into it run one at a time. */
export const identityMergeWorkflowId = (intoCustomerId: string) => `identity-merge-${intoCustomerId}`;

export const mergeRequested = defineSignal<[MergeRequest]>('mergeRequested');

// ---- connectorSync ----------------------------------------------------------------------------

/** The connector's Temporal Schedule; its runs are `sync-<connectorId>-<scheduled time>`. */
export const connectorScheduleId = (connectorId: string) => `sync-${connectorId}`;
/** A by-hand sync's workflow ID: at most one at a time; the lease also keeps it off a scheduled run. */
export const manualSyncWorkflowId = (connectorId: string) => `sync-${connectorId}-manual`;

export type SyncStatus = 'starting' | 'running' | 'completed' | 'skipped' | 'failed' | 'cancelled';

export interface StreamState {
  stream: StreamName;
  since?: string;
  cursor: Cursor | null;
  pageNo: number;
  passStartedAt?: string;
  highWater?: string;
  records: number;
  total?: number;
  done: boolean;
}

export interface SyncTotals {
  pages: number;
  customers: number;
  orders: number;
  rejected: number;
}

export interface SyncProgress {
  connectorId: string;
  status: SyncStatus;
  syncId?: string;
  /** The stream being synced now. */
  stream?: StreamName;
  streams: StreamState[];
  totals: SyncTotals;
  /** Seconds between the newest source update stored and the time it was stored. */
  lagSeconds?: number;
  heldBy?: string;
  error?: string;
}

export type SyncResult = Omit<SyncProgress, 'stream'>;

export const syncProgressQuery = defineQuery<SyncProgress>('progress');

// ---- fxRatesSync ------------------------------------------------------------------------------

/** The Temporal Schedule that fetches the ECB's daily rates (its runs: `fx-rates-ecb-<time>`). */
export const FX_SCHEDULE_ID = 'fx-rates-ecb';

// ---- reclassification -------------------------------------------------------------------------

/**
 * `reclassify-v<version>-<region>-<run>`: one per data-schema version and region. `run` is drawn when
 * the version is saved (and kept with it), so two deployments sharing a Temporal namespace (tests, a
 * staging copy) never join each other's run of the same version number.
 */
export const reclassificationWorkflowId = (version: number, region: string, run: string) =>
  `reclassify-v${version}-${region}-${run}`;

export interface ReclassificationProgress {
  version: number;
  region: string;
  /** settling: waiting until every process classifies with the version; superseded: a newer version took over. */
  status: 'settling' | 'running' | 'completed' | 'superseded';
  /** The last customer ID done (profiles are paged in customer ID order). */
  after?: string;
  counts: ReclassificationCounts;
}

export const reclassificationProgressQuery = defineQuery<ReclassificationProgress>('progress');
// ---- computedTraitsRefresh --------------------------------------------------------------------

/** The region's Temporal Schedule of the sliding-window pass (its runs: `computed-traits-<region>-<time>`). */
export const computedTraitsScheduleId = (region: string) => `computed-traits-${region}`;
/** A full recompute of one trait after its definition changed: once per trait version and region. */
export const computedTraitRecomputeWorkflowId = (region: string, traitId: string, version: number) =>
  `computed-traits-${region}-${traitId}-v${version}`;

// ---- predictions ------------------------------------------------------------------------------

/** The region's daily predictions Schedule (its runs: `predictions-<region>-<time>`). */
export const predictionsScheduleId = (region: string) => `predictions-${region}`;

// ---- segmentRecompute / segmentMaintenance ----------------------------------------------------

/** `segment-recompute-<segmentId>-v<version>-<region>`: one full recompute per version and region at a time. */
export const segmentRecomputeWorkflowId = (segmentId: string, version: number, region: string) =>
  `segment-recompute-${segmentId}-v${version}-${region}`;
/** The region's Temporal Schedule that re-evaluates segments whose windows slide. */
export const segmentMaintenanceScheduleId = (region: string) => `segment-maintenance-${region}`;

export interface SegmentRecomputeInput {
  segmentId: string;
  version: number;
  region: string;
  /** Carried across continueAsNew: where the next page starts and the moves so far. */
  after?: string | null;
  entered?: number;
  exited?: number;
}

// ---- adAudienceSync ---------------------------------------------------------------------------

/** `ad-audience-<audienceId>`: one sync per ad audience, on its connector's region queue. */
export const adAudienceSyncWorkflowId = (audienceId: string) => `ad-audience-${audienceId}`;

export interface AdAudienceSyncInput {
  audienceId: string;
  region: string;
  /** Start with a full re-sync (every member and everyone uploaded looked at again). */
  full?: boolean;
  /** How often the outbox is read when nothing is pending; default 15 s. */
  pollSeconds?: number;
}

/** Asks a running sync for a full re-sync at its next pass. */
export const adAudienceResync = defineSignal('resync');

// ---- journey ----------------------------------------------------------------------------------

/**
 * A journey run's workflow ID is its run ID (domain/journeys.ts runIdOf):
 * `journey-<journeyId>-<customerId>[-<keyHash>]-<entry>` — one per person × journey × key × entry.
 */
export interface JourneyRunInput {
  region: string;
  journeyId: string;
  version: number;
  customerId: string;
  brandId: string;
  runId: string;
  /** The hash of the entry's key value (db/journeys-store.ts runKeyHash), '' when not keyed. */
  keyHash: string;
  /** The event that started the run, when an event did: its own ID, never its content. */
  entryEventId?: string;
  /** How often a paused run looks whether its journey was resumed (default a minute; tests use less). */
  pauseRecheckMs?: number;
}

/** A tracked event the run may care about (a wait, its goal): the event's ID only. */
export const journeyEvent = defineSignal<[{ eventId: string }]>('journeyEvent');
/** The person entered a segment (a wait for segment entry). */
export const journeySegmentEntered = defineSignal<[{ segmentId: string }]>('journeySegmentEntered');
/** The person's profile merged into another: the run is reconciled (continues as the survivor, or ends). */
export const journeyProfileMerged =
  defineSignal<[{ intoCustomerId: string; survivorHasRun: boolean }]>('journeyProfileMerged');
export const journeyRunStatusQuery = defineQuery<{ node: string; status: string; version: number }>('status');

// ---- loyalty ----------------------------------------------------------------------------------

/** The region's hourly loyalty Schedule (expiry at members' midnights, tier reviews). */
export const loyaltyMaintenanceScheduleId = (region: string) => `loyalty-maintenance-${region}`;
/** A member's push to the stores; `cause` (the workflow or request that changed them) keeps each push distinct. */
export const loyaltySyncWorkflowId = (brandId: string, customerId: string, cause: string) =>
  `loyalty-sync-${brandId}-${customerId}-${cause}`;
/** Orders of one region earned in the member's home ledger: one per set of order versions. */
export const loyaltyOrdersWorkflowId = (customerId: string, fromRegion: string, versionsDigest: string) =>
  `loyalty-orders-${customerId}-${fromRegion}-${versionsDigest}`;
// ---- messageSend ------------------------------------------------------------------------------

/** `message-<sendKey>`: one workflow per send key, so starting it twice sends once. */
export const messageSendWorkflowId = (sendKey: string) => `message-${sendKey}`;

// ---- broadcast --------------------------------------------------------------------------------

/** `broadcast-<broadcastId>`: one per broadcast (a broadcast sends in one region). */
export const broadcastWorkflowId = (broadcastId: string) => `broadcast-${broadcastId}`;

export interface BroadcastWorkflowInput {
  broadcastId: string;
  region: string;
  /** When it was started: a zone whose time had passed by then gets the next day, or nothing. */
  startedAt: string;
  /** Carried over continue-as-new. */
  phase?: 'planning' | 'sending';
  after?: string | null;
  counts?: BroadcastCounts;
  paused?: boolean;
}

export const pauseBroadcast = defineSignal('pause');
export const resumeBroadcast = defineSignal('resume');
export const cancelBroadcast = defineSignal('cancel');
export const broadcastProgressQuery = defineQuery<BroadcastProgress>('progress');

// ---- adConversionUpload -----------------------------------------------------------------------

/**
 * A clicked person bought: orders may wait for upload. Sent with start (signal-with-start), so a
 * running upload takes another pass before it ends instead of missing an order that landed after
 * its last read.
 */
export const adConversionsPending = defineSignal('conversionsPending');

// ---- insightsRefresh --------------------------------------------------------------------------

/** The hourly Temporal Schedule of HQ's insight aggregates (its runs: `insights-refresh-<time>`). */
export const INSIGHTS_SCHEDULE_ID = 'insights-refresh';
