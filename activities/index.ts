import { createFxActivities, FxDeps } from './fx/global';
import { createGlobalIdentityActivities, GlobalIdentityDeps } from './identity/global';
import { createRegionalIdentityActivities } from './identity/regional';
import { createGlobalHealthActivities, GlobalHealthDeps } from './region-health/global';
import { createInsightsActivities } from './insights/regional';
import { createRegionHealthActivities, RegionalHealthDeps } from './region-health/regional';
import { createSyncActivities, SyncDeps } from './sync/regional';
import { createAdActivities } from './ads/regional';
import { createConsentActivities } from './consent/regional';
import type { RequesterMailer } from '../mail/privacy-mailer';
import { createPrivacyActivities } from './privacy/regional';
import { createClassificationActivities } from './classification/regional';
import { createComputedTraitsActivities } from './computed-traits/regional';
import { createPredictionsActivities } from './predictions/regional';
import type { RegionKey } from '../db/crypto-shredding';
import type { RegionCatalog } from '../domain/regions';
import { createSegmentActivities } from './segments/regional';
import { createAdAudienceActivities } from './ad-audiences/regional';
import { type ChannelActivityDeps, createChannelSender } from './channels/regional';
import { createBroadcastActivities } from './broadcasts/regional';
import { createJourneyActivities } from './journeys/regional';
import { createLoyaltyActivities } from './loyalty/regional';
import type { MessageChannel } from './channels/channels';
import { createTemplateRenderer } from './channels/templates';
import type { Channel } from '../domain/send-gate';
import type { SigningKeys } from '../domain/signing-keys';

export { vendorFailureInterceptor } from './vendor-failures';

/**
 * Activities are built from their dependencies. A region's worker gets only the regional set,
 * built on its own region's pool and key; the global worker gets only the global set.
 */
export type RegionalActivityDeps = RegionalHealthDeps & {
  regionKey: RegionKey;
  mailer?: RequesterMailer;
  /** Every region (segments' market conditions name regions). */
  regions: RegionCatalog;
  /** The region's marketing channels (activities/channels/wiring.ts); an absent one answers ChannelNotConfigured. */
  channels: Partial<Record<Channel, MessageChannel>>;
  /** The frequency caps (wiring.ts: FREQUENCY_CAPS plus a configured webhook cap); default FREQUENCY_CAPS. */
  channelCaps?: ChannelActivityDeps['caps'];
  /** Where marketing messages' one-click unsubscribe links point, and the keys that sign them. */
  unsubscribe: { publicUrl: string; signingKeys: SigningKeys };
  /** Broadcast sends started per second, at most (MERIDIAN_BROADCAST_PER_SECOND). */
  broadcastPerSecond: number;
  /** Broadcast sends in flight at once (MERIDIAN_BROADCAST_CONCURRENCY). */
  broadcastConcurrency: number;
  /** Where files for other systems are written (MERIDIAN_EXPORT_DIR): a POS's loyalty file. */
  exportDir?: string;
} & Omit<SyncDeps, 'region' | 'sql' | 'regionKey'>;
export type GlobalActivityDeps = GlobalHealthDeps & GlobalIdentityDeps & FxDeps;

export function createRegionalActivities(deps: RegionalActivityDeps) {
  const channelSender = createChannelSender({
    region: deps.region.name,
    sql: deps.pool.sql,
    globalSql: deps.globalSql,
    regionKey: deps.regionKey,
    channels: deps.channels,
    // Message Sent goes the ingest path, so segments and reports see it.
    deliveryEvents: deps.writer,
    ...(deps.channelCaps ? { caps: deps.channelCaps } : {}),
    templates: createTemplateRenderer({ sql: deps.pool.sql, globalSql: deps.globalSql, regionKey: deps.regionKey }),
    unsubscribe: deps.unsubscribe,
  });
  return {
    ...createRegionHealthActivities(deps),
    ...createRegionalIdentityActivities({ region: deps.region.name, sql: deps.pool.sql, regionKey: deps.regionKey }),
    ...createSyncActivities({ ...deps, region: deps.region.name, sql: deps.pool.sql }),
    ...createAdActivities({ ...deps, region: deps.region.name, sql: deps.pool.sql }),
    ...createConsentActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      regionKey: deps.regionKey,
      globalSql: deps.globalSql,
    }),
    ...createClassificationActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      regionKey: deps.regionKey,
      globalSql: deps.globalSql,
    }),
    ...createPrivacyActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      regionKey: deps.regionKey,
      globalSql: deps.globalSql,
      forgetDataKeys: (customerIds) => deps.writer.forgetKeys(customerIds),
      ...(deps.mailer ? { mailer: deps.mailer } : {}),
    }),
    ...createComputedTraitsActivities({ region: deps.region.name, sql: deps.pool.sql, globalSql: deps.globalSql }),
    ...createPredictionsActivities({ region: deps.region.name, sql: deps.pool.sql, globalSql: deps.globalSql }),
    ...createSegmentActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      globalSql: deps.globalSql,
      regions: deps.regions,
    }),
    ...createAdAudienceActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      regionKey: deps.regionKey,
      globalSql: deps.globalSql,
    }),
    ...createJourneyActivities({ region: deps.region.name, sql: deps.pool.sql, globalSql: deps.globalSql }),
    ...createInsightsActivities({ region: deps.region.name, sql: deps.pool.sql, globalSql: deps.globalSql }),
    ...createLoyaltyActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      globalSql: deps.globalSql,
      regionKey: deps.regionKey,
      ...(deps.exportDir ? { exportDir: deps.exportDir } : {}),
    }),
    sendMessage: channelSender.sendMessage,
    ...createBroadcastActivities({
      region: deps.region.name,
      sql: deps.pool.sql,
      globalSql: deps.globalSql,
      sendBatch: channelSender.sendBatch,
      writeDeliveryEvents: channelSender.writeDeliveryEvents,
      maxPerSecond: deps.broadcastPerSecond,
      maxConcurrency: deps.broadcastConcurrency,
    }),
  };
}

export function createGlobalActivities(deps: GlobalActivityDeps) {
  return {
    ...createGlobalHealthActivities(deps),
    ...createGlobalIdentityActivities(deps),
    ...createFxActivities(deps),
  };
}

export type RegionalActivities = ReturnType<typeof createRegionalActivities>;
export type GlobalActivities = ReturnType<typeof createGlobalActivities>;
