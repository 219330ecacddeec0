import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes Meridian sets on its workflows, so ops can filter in the Temporal UI
 * (e.g. `MeridianRegion = "eu" AND MeridianProcessKind = "privacyRequest"`). Values are codes
 * and pseudonymous IDs only: search attributes are not encrypted (DESIGN.md, rule 2).
 */
export const MERIDIAN_REGION = defineSearchAttributeKey('MeridianRegion', SearchAttributeType.KEYWORD);
export const MERIDIAN_JURISDICTION = defineSearchAttributeKey('MeridianJurisdiction', SearchAttributeType.KEYWORD);
export const MERIDIAN_PROCESS_KIND = defineSearchAttributeKey('MeridianProcessKind', SearchAttributeType.KEYWORD);
export const MERIDIAN_CUSTOMER_ID = defineSearchAttributeKey('MeridianCustomerId', SearchAttributeType.KEYWORD);
/** Connector syncs: which connector, where the sync is (e.g. "running", "completed", "failed"), and how far it got. */
export const MERIDIAN_CONNECTOR_ID = defineSearchAttributeKey('MeridianConnectorId', SearchAttributeType.KEYWORD);
export const MERIDIAN_SYNC_STATUS = defineSearchAttributeKey('MeridianSyncStatus', SearchAttributeType.KEYWORD);
export const MERIDIAN_SYNC_PAGES = defineSearchAttributeKey('MeridianSyncPages', SearchAttributeType.INT);
export const MERIDIAN_SYNC_RECORDS = defineSearchAttributeKey('MeridianSyncRecords', SearchAttributeType.INT);
/** Privacy requests: where the request stands ("cooling-off", "in-progress", "overdue", "completed" …). */
export const MERIDIAN_PRIVACY_STATUS = defineSearchAttributeKey('MeridianPrivacyStatus', SearchAttributeType.KEYWORD);
/** Seconds between the newest source update synced and now. */
export const MERIDIAN_SYNC_LAG_SECONDS = defineSearchAttributeKey('MeridianSyncLagSeconds', SearchAttributeType.INT);

/** Broadcasts: where one stands ("planning", "waiting", "sending", "paused", "completed", "cancelled") and how many it sent. */
export const MERIDIAN_BROADCAST_STATUS = defineSearchAttributeKey(
  'MeridianBroadcastStatus',
  SearchAttributeType.KEYWORD,
);
export const MERIDIAN_BROADCAST_SENT = defineSearchAttributeKey('MeridianBroadcastSent', SearchAttributeType.INT);

export const MERIDIAN_SEARCH_ATTRIBUTES = [
  MERIDIAN_REGION,
  MERIDIAN_JURISDICTION,
  MERIDIAN_PROCESS_KIND,
  MERIDIAN_CUSTOMER_ID,
  MERIDIAN_CONNECTOR_ID,
  MERIDIAN_SYNC_STATUS,
  MERIDIAN_SYNC_PAGES,
  MERIDIAN_SYNC_RECORDS,
  MERIDIAN_SYNC_LAG_SECONDS,
  MERIDIAN_PRIVACY_STATUS,
  MERIDIAN_BROADCAST_STATUS,
] as const;

/** The type name the Temporal CLI takes (`--type Keyword`, `name=Int`). */
export function cliTypeName(key: { type: string }): 'Keyword' | 'Int' {
  return key.type === SearchAttributeType.INT ? 'Int' : 'Keyword';
}
