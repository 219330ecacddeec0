import { z } from 'zod';
import { isTimeZone } from '../../domain/local-time';
import type { ConnectorDefinition, Cursor, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { SHOPIFY_API, ShopifyClient, ShopifyCursor } from './client';
import { mapShopifyCustomer, mapShopifyOrder } from './mapping';

/** Shopify as a connector: customers and orders by `updated_at_min`, Link-header cursors. */

export const ShopifySettings = z.object({
  /** https://<shop>.myshopify.com (an emulator's URL in tests, under the test-only host override). */
  shopUrl: vendorUrlSetting(SHOPIFY_API, 'https://my-store.myshopify.com', 'the store URL'),
  /** The shop's IANA zone (`iana_timezone` in shop.json): local dates and hours of orders are computed in it. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo'),
  apiVersion: z
    .string()
    .regex(/^\d{4}-\d{2}$/, 'must be a Shopify API version such as 2024-10')
    .optional(),
  /** Page size, at most 250 (Shopify's maximum). */
  pageSize: z.int().min(1).max(250).optional(),
});
export type ShopifySettings = z.infer<typeof ShopifySettings>;

export const ShopifyCredentials = z.object({
  accessToken: z.string().min(1, 'the Admin API access token (shpat_…) is required'),
});
export type ShopifyCredentials = z.infer<typeof ShopifyCredentials>;

const ShopifyPageCursor = z.object({ pageInfo: z.string().min(1) });

export const shopifyConnector: ConnectorDefinition<ShopifySettings, ShopifyCredentials> = {
  system: 'shopify',
  label: 'Shopify',
  settings: ShopifySettings,
  credentials: ShopifyCredentials,
  streams: ['customers', 'orders'],
  endpointSettings: ['shopUrl'],
  open(settings, credentials, context) {
    const client = new ShopifyClient({
      shopUrl: settings.shopUrl,
      accessToken: credentials.accessToken,
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      sleep: heartbeatingSleep(context),
    });
    const limit = settings.pageSize ?? 250;
    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        const start: ShopifyCursor = cursor
          ? { pageInfo: ShopifyPageCursor.parse(cursor).pageInfo, limit }
          : { ...(since ? { updatedAtMin: since } : {}), limit };
        const page = await client.fetchPage(stream, start);
        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next: page.next?.pageInfo ? ({ pageInfo: page.next.pageInfo } satisfies Cursor) : null,
        };
        for (const raw of page.records) {
          const mapped =
            stream === 'customers'
              ? mapShopifyCustomer(raw, context)
              : mapShopifyOrder(raw, { sourceId: context.sourceId, shopTimeZone: settings.timeZone });
          if (!mapped.ok) result.rejected.push(mapped.rejected);
          else if (stream === 'customers') result.customers.push(mapped.record as (typeof result.customers)[number]);
          else result.orders.push(mapped.record as (typeof result.orders)[number]);
          const updated = updatedAtOf(raw);
          if (updated && (!result.highWater || updated > result.highWater)) result.highWater = updated;
        }
        return result;
      },
    };
  },
};

/** The record's updated_at as a UTC ISO instant, whether or not it mapped, so a bad record is not fetched forever. */
function updatedAtOf(raw: unknown): string | undefined {
  const value = (raw as { updated_at?: unknown } | null)?.updated_at;
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
