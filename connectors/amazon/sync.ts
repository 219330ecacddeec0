import { z } from 'zod';
import { isTimeZone } from '../../domain/local-time';
import type { ConnectorDefinition, Cursor, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { AmazonSpApiClient, DEFAULT_ENDPOINT, SP_API } from './client';
import { DEFAULT_LWA_URL, LWA_API, LwaTokenSource } from './lwa';
import { AMAZON_REGION_ENDPOINTS, amazonMarketplace, amazonUpdatedAt, mapAmazonOrder } from './mapping';

/**
 * Amazon Selling Partner API as a connector: orders (Orders API v0) by LastUpdatedAfter, NextToken
 * cursors. A pass starts at `since` (the last pass's high-water mark) or the `syncFrom` setting
 * (default 90 days back), and ends a few minutes before now: Amazon refuses bounds less than two
 * minutes old, and a minute more absorbs clock skew. The window's end is sent as LastUpdatedBefore,
 * so every page of the pass, and its high-water mark, lies before it.
 */

const DAY_MS = 86_400_000;
const DEFAULT_SYNC_DAYS = 90;
/** Amazon's rule: LastUpdatedAfter/Before no later than two minutes before the request. */
const AMAZON_SETTLE_MS = 2 * 60_000;
/** Our clock may run ahead of Amazon's. */
const CLOCK_SKEW_MS = 60_000;

const MARKETPLACE_ID = z.string().regex(/^[A-Z0-9]{9,16}$/, 'must be an Amazon marketplace ID such as A1PA6795UKMFR9');

export const AmazonSettings = z
  .object({
    /** The SP-API endpoint; default: the region of the marketplaces (sellingpartnerapi-na, -eu or -fe), else -eu. */
    endpoint: vendorUrlSetting(SP_API, DEFAULT_ENDPOINT).optional(),
    /** Login with Amazon; default https://api.amazon.com. */
    lwaUrl: vendorUrlSetting(LWA_API, DEFAULT_LWA_URL).optional(),
    marketplaceIds: z
      .array(MARKETPLACE_ID)
      .min(1, 'must name at least one marketplace')
      .max(50, "holds at most 50 marketplaces (Amazon's limit)"),
    /** Overrides the marketplaces' own zones for local dates and hours. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
    /** Where the first sync starts: an ISO date or time; default 90 days before it runs. */
    syncFrom: z
      .union([z.iso.date(), z.iso.datetime({ offset: true })], {
        error: 'must be an ISO 8601 date or time, e.g. 2025-01-01',
      })
      .optional(),
    /** Orders a page, 1–100 (Amazon's maximum, and its default). */
    pageSize: z.int().min(1).max(100).optional(),
    /** Ask for buyer email (restricted data); default true. Without the app's PII role orders sync without it. */
    requestBuyerEmail: z.boolean().optional(),
  })
  .superRefine((settings, ctx) => {
    const unknown = settings.marketplaceIds.filter((id) => !amazonMarketplace(id));
    if (unknown.length > 0 && settings.timeZone === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['marketplaceIds'],
        message: `${unknown.join(', ')}: not a marketplace Meridian knows the time zone of; set timeZone too`,
      });
    }
    const regions = new Set(
      settings.marketplaceIds.map((id) => amazonMarketplace(id)?.region).filter((region) => region !== undefined),
    );
    if (regions.size > 1 && settings.endpoint === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['marketplaceIds'],
        message: 'are served by different SP-API regions (na, eu, fe): one connector per region',
      });
    }
  });
export type AmazonSettings = z.infer<typeof AmazonSettings>;

export const AmazonCredentials = z.object({
  clientId: z.string().trim().min(1, 'the LWA client ID of the app (amzn1.application-oa2-client.…) is required'),
  clientSecret: z.string().trim().min(1, 'the LWA client secret of the app is required'),
  refreshToken: z.string().trim().min(1, "the seller's LWA refresh token (Atzr|…) is required"),
});
export type AmazonCredentials = z.infer<typeof AmazonCredentials>;

/** NextToken is opaque to us and holds no personal data. */
const AmazonPageCursor = z.object({ nextToken: z.string().min(1) });

/** The endpoint for the marketplaces: the one set, else their region's, else -eu. */
export function amazonEndpoint(settings: Pick<AmazonSettings, 'endpoint' | 'marketplaceIds'>): string {
  if (settings.endpoint) return settings.endpoint;
  const region = settings.marketplaceIds
    .map((id) => amazonMarketplace(id)?.region)
    .find((found) => found !== undefined);
  return region ? AMAZON_REGION_ENDPOINTS[region] : DEFAULT_ENDPOINT;
}

export const amazonConnector: ConnectorDefinition<AmazonSettings, AmazonCredentials> = {
  system: 'amazon',
  label: 'Amazon SP-API',
  settings: AmazonSettings,
  credentials: AmazonCredentials,
  streams: ['orders'],
  endpointSettings: ['endpoint', 'lwaUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const lwa = new LwaTokenSource(credentials, { ...(settings.lwaUrl ? { lwaUrl: settings.lwaUrl } : {}), now });
    let noted = false;
    const client = new AmazonSpApiClient({
      endpoint: amazonEndpoint(settings),
      marketplaceIds: settings.marketplaceIds,
      lwa,
      requestBuyerEmail: settings.requestBuyerEmail ?? true,
      now,
      sleep: heartbeatingSleep(context),
      notice: (message) => {
        if (noted) return;
        noted = true;
        console.warn(JSON.stringify({ msg: message, source: context.sourceId, system: 'amazon' }));
      },
    });
    const pageSize = settings.pageSize ?? 100;

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'orders') throw new RangeError(`Amazon SP-API has no ${stream} stream: it syncs orders only`);
        let page;
        if (cursor) {
          const read = AmazonPageCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError('the Amazon cursor is not { nextToken }: start the pass again with cursor null');
          page = await client.getOrders({ nextToken: read.data.nextToken });
        } else {
          const { after, before } = window(since ?? settings.syncFrom, now());
          page = await client.getOrders({
            lastUpdatedAfter: after,
            lastUpdatedBefore: before,
            maxResultsPerPage: pageSize,
          });
        }

        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next: page.nextToken ? ({ nextToken: page.nextToken } satisfies Cursor) : null,
        };
        for (const raw of page.orders) {
          const mapped = mapAmazonOrder(raw, {
            sourceId: context.sourceId,
            ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
          });
          if (mapped.ok) result.orders.push(mapped.record);
          else result.rejected.push(mapped.rejected);
          const updated = amazonUpdatedAt(raw);
          if (updated && (!result.highWater || updated > result.highWater)) result.highWater = updated;
        }
        return result;
      },
    };
  },
};

/** A pass's bounds: from `start` (default 90 days back), both no later than a few minutes before now. */
function window(start: string | undefined, now: Date): { after: string; before: string } {
  const latest = now.getTime() - AMAZON_SETTLE_MS - CLOCK_SKEW_MS;
  let from = start === undefined ? now.getTime() - DEFAULT_SYNC_DAYS * DAY_MS : Date.parse(start);
  if (Number.isNaN(from)) throw new RangeError('since is not an ISO 8601 time: pass the highWater of a completed pass');
  from = Math.min(from, latest);
  return { after: new Date(from).toISOString(), before: new Date(latest).toISOString() };
}
