import { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { ShopifyCredentials, ShopifySettings } from '../../connectors/shopify/sync';
import { pushLoyaltyToShopify } from '../../connectors/shopify/loyalty';
import { FileImportSettings } from '../../connectors/file-import/sync';
import { appendPosLine } from './pos-export';
import { listConnectors, loadCredentials } from '../../db/connectors-store';
import type { RegionKey } from '../../db/crypto-shredding';
import {
  type EarnOutcome,
  enrolFromEvents,
  type EnrolmentFacts,
  memberSummary,
  type OrderFacts,
  programmeCache,
  reconcileOrders,
  recordSyncStatus,
  sweepMembersPage,
  type SweepPage,
  vendorCustomerIds,
} from '../../db/loyalty-store';
import { visibleSourceIds } from '../../db/brands-store';

/**
 * Loyalty in a region's worker (issue 14): the member's ledger brought in step with orders another
 * region holds (their facts travel, no personal values), a page of the region's members swept for
 * expiry and tier reviews, and a member's tier and balance pushed to the brand's stores. Inputs and
 * results are customer IDs, brand IDs, tier keys, points and order facts.
 */

export interface LoyaltyDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
  regionKey: RegionKey;
  /** Where POS loyalty files are written (MERIDIAN_EXPORT_DIR); without it a POS export fails with that advice. */
  exportDir?: string;
}

export interface LoyaltyStorePush {
  connectorId: string;
  system: string;
  status: 'done' | 'not-found' | 'not-applicable';
  writes: number;
}

export function createLoyaltyActivities({ region, sql, globalSql, regionKey, exportDir }: LoyaltyDeps) {
  const programmeOf = programmeCache(globalSql);
  return {
    async reconcileLoyaltyOrders(input: {
      customerId: string;
      orders: OrderFacts[];
      now: string;
    }): Promise<EarnOutcome> {
      return reconcileOrders(
        sql,
        globalSql,
        regionKey,
        input.customerId,
        input.orders,
        new Date(input.now),
        programmeOf,
      );
    },

    /**
     * Many members' facts from another region at once: enrolments a tracked event asked for (already
     * admitted there: a server source, terms named), then their orders earned or reversed.
     */
    async reconcileLoyaltyBatch(input: {
      batch: { customerId: string; orders: OrderFacts[]; enrolments?: EnrolmentFacts[] }[];
      now: string;
    }): Promise<{ earned: number; reversed: number; tierChanges: { customerId: string; brandId: string }[] }> {
      const total = { earned: 0, reversed: 0, tierChanges: [] as { customerId: string; brandId: string }[] };
      for (const entry of input.batch) {
        Context.current().heartbeat();
        if (entry.enrolments?.length)
          await enrolFromEvents(sql, globalSql, region, programmeOf, entry.customerId, entry.enrolments);
        if (entry.orders.length === 0) continue;
        const outcome = await reconcileOrders(
          sql,
          globalSql,
          regionKey,
          entry.customerId,
          entry.orders,
          new Date(input.now),
          programmeOf,
        );
        total.earned += outcome.earned;
        total.reversed += outcome.reversed;
        for (const change of outcome.tierChanges)
          total.tierChanges.push({ customerId: entry.customerId, brandId: change.brandId });
      }
      return total;
    },

    async sweepLoyaltyPage(input: {
      after: { customerId: string; brandId: string } | null;
      pageSize: number;
      now: string;
    }): Promise<SweepPage> {
      Context.current().heartbeat({ after: input.after });
      return sweepMembersPage(sql, regionKey, programmeOf, input.after, input.pageSize, new Date(input.now));
    },

    /**
     * The member's tier and balance to every Shopify store of the brand in this region, and to every
     * POS that takes a loyalty file (activities/loyalty/pos-export.ts), with a status per system.
     */
    async pushLoyaltyToStores(input: { customerId: string; brandId: string }): Promise<LoyaltyStorePush[]> {
      const summary = await memberSummary(sql, input.customerId, input.brandId);
      if (!summary) return [];
      const visible = await visibleSourceIds(globalSql, input.brandId);
      const connectors = (await listConnectors(globalSql, region)).filter(
        (c) => visible === null || visible.includes(c.id),
      );
      const stores = connectors.filter((c) => c.system === 'shopify');
      const outcomes: LoyaltyStorePush[] = [];
      for (const pos of connectors.filter((c) => c.system === 'file')) {
        const path = FileImportSettings.safeParse(pos.settings).data?.loyaltyExportPath;
        if (!path) continue;
        const status = { customerId: input.customerId, brandId: input.brandId, connectorId: pos.id, system: 'file' };
        const tier = summary.member.tier;
        try {
          if (!exportDir) throw new Error('no export folder is configured on the worker: set MERIDIAN_EXPORT_DIR');
          await appendPosLine(exportDir, path, {
            memberId: summary.member.memberId,
            brandId: input.brandId,
            tier,
            points: summary.balance,
            asOf: new Date(),
          });
        } catch (error) {
          const message = error instanceof Error ? error.message.slice(0, 300) : 'failed';
          await recordSyncStatus(sql, {
            ...status,
            status: 'retrying',
            tier,
            balance: summary.balance,
            error: message,
          });
          throw error;
        }
        await recordSyncStatus(sql, { ...status, status: 'done', tier, balance: summary.balance, error: null });
        outcomes.push({ connectorId: pos.id, system: 'file', status: 'done', writes: 1 });
      }
      for (const connector of stores) {
        const ids = await vendorCustomerIds(sql, input.customerId, connector.id);
        let outcome: LoyaltyStorePush;
        if (ids.length === 0)
          outcome = { connectorId: connector.id, system: 'shopify', status: 'not-applicable', writes: 0 };
        else {
          const settings = ShopifySettings.parse(connector.settings);
          const credentials = ShopifyCredentials.parse(await loadCredentials({ sql, key: regionKey }, connector.id));
          try {
            const pushed = await pushLoyaltyToShopify(
              settings,
              credentials,
              ids,
              {
                brandId: input.brandId,
                memberId: summary.member.memberId,
                tier: summary.member.tier,
                points: summary.balance,
              },
              { heartbeat: () => Context.current().heartbeat() },
            );
            outcome = { connectorId: connector.id, system: 'shopify', status: pushed.status, writes: pushed.writes };
          } catch (error) {
            await recordSyncStatus(sql, {
              customerId: input.customerId,
              brandId: input.brandId,
              connectorId: connector.id,
              system: 'shopify',
              status: 'retrying',
              tier: summary.member.tier,
              balance: summary.balance,
              error: error instanceof Error ? error.message.slice(0, 300) : 'failed',
            });
            throw error;
          }
        }
        await recordSyncStatus(sql, {
          customerId: input.customerId,
          brandId: input.brandId,
          connectorId: connector.id,
          system: 'shopify',
          status: outcome.status,
          tier: summary.member.tier,
          balance: summary.balance,
          error: null,
        });
        outcomes.push(outcome);
      }
      return outcomes;
    },
  };
}
