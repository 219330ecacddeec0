import type { Sql } from 'postgres';
import { adAudienceConsentReactor } from '../db/ad-audiences-store';
import { type AudienceReactor, segmentMembershipReactor } from '../db/audience-processor';
import { computedTraitsReactor } from '../db/computed-traits-store';
import { audienceFactsReactor } from '../db/audience-facts-store';
import { type RuleTag, ruleTagsOf, syncRuleTags } from '../db/tags-store';
import type { RegionCatalog } from '../domain/regions';
import type { Client } from '@temporalio/client';
import {
  enrolFromEvents,
  enrolmentFactsOf,
  homeRegionsOf,
  memberHomes,
  orderEventFactsOf,
  orderFactsOf,
  programmeCache,
  reconcileOrders,
} from '../db/loyalty-store';
import { FxRatesCache } from '../db/fx-rates-store';
import type { LoyaltyFactsEntry } from '../workflows/loyalty';
import type { RegionKey } from '../db/crypto-shredding';
import { isSpecificCause } from '../domain/audience-dependencies';
import { startLoyaltyOrders, startLoyaltySync } from '../temporal/processes/loyalty';
import { clickedAmong } from '../db/ad-conversions-store';
import { type Connector, listConnectors } from '../db/connectors-store';
import { requestAdConversionUpload } from '../temporal/processes/connector-delivery';

export interface AudienceReactorDeps {
  region: string;
  globalSql: Sql;
  regions: RegionCatalog;
  /** Trait and segment statements run at once within a reactor (default 3). */
  concurrency?: number;
  /** Loyalty sends orders of members homed elsewhere to their region, and tier changes to the stores. */
  client?: Client;
  /** Loyalty records tier changes as events on the profile, sealed with its data key. */
  regionKey: RegionKey;
  /** The deployment's reporting currency: tracked orders' amounts are converted to it at their local date's FX. */
  reportingCurrency: string;
}

/**
 * Three statements at once keep both cores of a small machine busy while the processor waits on
 * PostgreSQL, and leave the region pool (10) room for activities.
 */
const REACTOR_CONCURRENCY = 3;

/** How long the rule-tag reactor reuses the region's list of rule tags. */
const RULE_TAGS_TTL_MS = 2000;

/**
 * `audienceReactors`: what the audience processor runs, in order, for the people whose data
 * changed (db/audience-processor.ts). The order matters: segments may test computed traits, and
 * rule tags mirror segments. Each reactor is `(sql, customerIds) => Promise<void>`, idempotent.
 *   0. the per-person event and order facts segments read (db/audience-facts-store.ts);
 *   1. computed traits (issue 11 §3): definitions re-read every 30 s (a new or changed trait is
 *      also recomputed for everyone by its own workflow);
 *   2. segment membership;
 *   3. rule tags (`syncRuleTags`): a change notes the person again, so segments on tags follow;
 *   4. ad audiences: a consent change makes the person a candidate of the region's ad audiences, so
 *      a withdrawal of personalisedAds removes them (db/ad-audiences-store.ts);
 *   5. ad conversions: an order of a person who came by a Google Ads click starts its upload.
 */
export function audienceReactors(deps: AudienceReactorDeps): AudienceReactor[] {
  const concurrency = deps.concurrency ?? REACTOR_CONCURRENCY;
  return [
    audienceFactsReactor(),
    loyaltyReactor(deps),
    computedTraitsReactor(deps.globalSql, { concurrency }),
    segmentMembershipReactor({ ...deps, concurrency, afterFacts: true }),
    ruleTagReactor(deps),
    adAudienceConsentReactor(deps),
    adConversionReactor(deps),
  ];
}

/** How long the conversion reactor reuses the region's list of Google Ads connectors. */
const AD_CONNECTORS_TTL_MS = 30_000;

/**
 * Google Ads conversions (issue 16 §4): when people who came by an ad click have an order row that
 * changed, each Google Ads connector of the region is asked to upload (signal-with-start on
 * `conversions-<connectorId>`; the upload reserves each order before sending, so asking twice sends
 * nothing twice). Temporal unreachable fails the batch, which the processor takes again: no purchase
 * is lost.
 */
function adConversionReactor(deps: AudienceReactorDeps): AudienceReactor {
  let cached: { at: number; connectors: Connector[] } | undefined;
  return async (sql, customerIds, causes) => {
    if (!deps.client) return;
    const buyers = customerIds.filter((id) =>
      [...(causes.get(id) ?? [])].some((c) => c === 'order' || !isSpecificCause(c)),
    );
    if (buyers.length === 0) return;
    if (!cached || Date.now() - cached.at > AD_CONNECTORS_TTL_MS)
      cached = {
        at: Date.now(),
        connectors: (await listConnectors(deps.globalSql, deps.region)).filter((c) => c.system === 'google_ads'),
      };
    if (cached.connectors.length === 0) return;
    if ((await clickedAmong(sql, buyers)).length === 0) return;
    for (const connector of cached.connectors) await requestAdConversionUpload(deps.client, deps.regions, connector);
  };
}

/**
 * Loyalty follows orders and tracked events as they land (issue 14): for the people whose orders
 * changed, or who tracked `Order Completed` or `Loyalty Enrolled`, this region's enrolment events
 * enrol them (server sources only: `enrolmentFactsOf`), and this region's orders and order events
 * are earned (or reversed) in the member's ledger — here when the member's home is this region, else
 * by a loyaltyOrders workflow on their home region's queue carrying the facts (amounts, currencies,
 * dates, brand and terms version; no personal values). Idempotent per order (whichever path brought
 * it) and per enrolment.
 */
const LOYALTY_CAUSES = new Set(['order', 'loyalty', 'event:Order Completed', 'event:Loyalty Enrolled']);

export function loyaltyReactor(deps: AudienceReactorDeps): AudienceReactor {
  const programmeOf = programmeCache(deps.globalSql);
  const fx = new FxRatesCache(deps.globalSql);
  return async (sql, customerIds, causes) => {
    const causesOf = (id: string) => [...(causes.get(id) ?? [])];
    const relevant = customerIds.filter((id) => causesOf(id).some((c) => LOYALTY_CAUSES.has(c) || !isSpecificCause(c)));
    if (relevant.length === 0) return;
    const enrolling = relevant.filter((id) =>
      causesOf(id).some((c) => c === 'event:Loyalty Enrolled' || !isSpecificCause(c)),
    );
    const enrolments = enrolling.length > 0 ? await enrolmentFactsOf(sql, deps.globalSql, enrolling) : undefined;
    const homeRegions = enrolments?.facts.size
      ? await homeRegionsOf(deps.globalSql, [...enrolments.facts.keys()])
      : new Map();
    // Facts for members homed elsewhere, by home region: one workflow per region and chunk.
    const remote = new Map<string, Map<string, LoyaltyFactsEntry>>();
    const entryOf = (home: string, customerId: string) => {
      const byId = remote.get(home) ?? new Map<string, LoyaltyFactsEntry>();
      remote.set(home, byId);
      const entry = byId.get(customerId) ?? { customerId, orders: [] };
      byId.set(customerId, entry);
      return entry;
    };
    for (const [customerId, facts] of enrolments?.facts ?? []) {
      const home = homeRegions.get(customerId);
      if (home === deps.region) await enrolFromEvents(sql, deps.globalSql, deps.region, programmeOf, customerId, facts);
      else if (home) entryOf(home, customerId).enrolments = facts;
    }
    // Members, and people enrolling elsewhere now (their orders here travel with the enrolment).
    const homes = new Map([...(await memberHomes(deps.globalSql, relevant))].map(([id, h]) => [id, h.homeRegion]));
    for (const [home, byId] of remote) for (const id of byId.keys()) if (!homes.has(id)) homes.set(id, home);
    if (homes.size === 0) return;
    const ids = [...homes.keys()];
    const facts = await orderFactsOf(sql, ids);
    const buyers = ids.filter((id) => causesOf(id).some((c) => c === 'event:Order Completed' || !isSpecificCause(c)));
    if (buyers.length > 0) {
      const events = await orderEventFactsOf(sql, buyers, await fx.current(), deps.reportingCurrency);
      for (const [id, list] of events.facts) facts.set(id, [...(facts.get(id) ?? []), ...list]);
    }
    for (const [customerId, homeRegion] of homes) {
      const orders = facts.get(customerId) ?? [];
      if (orders.length === 0) continue;
      if (homeRegion === deps.region) {
        const outcome = await reconcileOrders(
          sql,
          deps.globalSql,
          deps.regionKey,
          customerId,
          orders,
          new Date(),
          programmeOf,
        );
        if (deps.client)
          for (const change of outcome.tierChanges)
            await startLoyaltySync(
              deps.client,
              deps,
              homeRegion,
              { customerId, brandId: change.brandId },
              `${change.kind}-${change.to}-${Date.now()}`,
            );
      } else entryOf(homeRegion, customerId).orders = orders;
    }
    if (!deps.client) return;
    for (const [homeRegion, byId] of remote) {
      let batch: LoyaltyFactsEntry[] = [];
      let size = 0;
      for (const entry of byId.values()) {
        batch.push(entry);
        size += entry.orders.length + 1;
        if (batch.length >= LOYALTY_BATCH_MEMBERS || size >= LOYALTY_BATCH_FACTS) {
          await startLoyaltyOrders(deps.client, deps, { fromRegion: deps.region, homeRegion, batch });
          [batch, size] = [[], 0];
        }
      }
      if (batch.length > 0) await startLoyaltyOrders(deps.client, deps, { fromRegion: deps.region, homeRegion, batch });
    }
  };
}

/** A loyaltyOrders workflow carries at most this many members, or facts (its input stays well under Temporal's payload limits). */
const LOYALTY_BATCH_MEMBERS = 200;
const LOYALTY_BATCH_FACTS = 1000;

function ruleTagReactor(deps: AudienceReactorDeps): AudienceReactor {
  let cached: { at: number; tags: RuleTag[] } | undefined;
  return async (sql, customerIds) => {
    if (!cached || Date.now() - cached.at > RULE_TAGS_TTL_MS)
      cached = { at: Date.now(), tags: await ruleTagsOf(deps.globalSql, deps.region) };
    await syncRuleTags(sql, customerIds, cached.tags);
  };
}
