import { z } from 'zod';
import type { ConnectorDefinition, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { parseInstant, syncFromInstant, wholeSecond } from '../mapping';
import {
  DEFAULT_TIKTOK_SHOP_API_URL,
  DEFAULT_TIKTOK_SHOP_AUTH_URL,
  MAX_PAGE_SIZE,
  TIKTOK_SHOP_API,
  TIKTOK_SHOP_REGION_CODES,
  TIKTOK_SHOP_REGIONS,
  TikTokShopClient,
  TikTokShopRegionCode,
} from './client';
import { mapTikTokShopOrder, tiktokShopUpdateTime } from './mapping';

/**
 * TikTok Shop as a connector: orders only (TikTok Shop has no customer list; buyers come with their
 * orders), for one shop in one market.
 *
 * A pass covers update_time from `since` (or settings.syncFrom, or 90 days back) up to `passEnd`, the
 * clock at the pass's first page, kept in the cursor with TikTok's `next_page_token` (an opaque
 * position, no personal data). An order changed while the pass runs moves past passEnd, and the next
 * pass takes it.
 */

export const TikTokShopSettings = z.object({
  /** The shop's market: US, GB, ID, MY, PH, SG, TH, VN … (its currency and zone). */
  region: z.enum(TIKTOK_SHOP_REGION_CODES as [TikTokShopRegionCode, ...TikTokShopRegionCode[]], {
    error: `must be a TikTok Shop market: ${TIKTOK_SHOP_REGION_CODES.join(', ')}`,
  }),
  /** The app's key from TikTok Shop Partner Center. */
  appKey: z
    .string({ error: 'must be the TikTok Shop app key' })
    .regex(/^[0-9a-z]+$/i, 'must be the TikTok Shop app key (letters and digits)'),
  /** The shop's cipher from Get Authorized Shops: it names the shop in every call. */
  shopCipher: z
    .string({ error: "must be the shop's cipher" })
    .regex(/^[\w-]+$/, "must be the shop's cipher (letters, digits, _ and -)"),
  /** Default https://open-api.tiktokglobalshop.com, or an emulator's (test-only host override). */
  apiUrl: vendorUrlSetting(TIKTOK_SHOP_API, DEFAULT_TIKTOK_SHOP_API_URL).optional(),
  /** Where tokens are refreshed; default https://auth.tiktok-shops.com. */
  authUrl: vendorUrlSetting(TIKTOK_SHOP_API, DEFAULT_TIKTOK_SHOP_AUTH_URL).optional(),
  /** Where the first pass starts: a date (midnight in the market's zone) or an instant; default 90 days back. */
  syncFrom: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'must be an ISO 8601 date or instant, e.g. 2025-01-01 or 2025-01-01T00:00:00Z',
    })
    .optional(),
  /** Orders per page, at most 100 (TikTok's maximum). */
  pageSize: z.int().min(1).max(MAX_PAGE_SIZE).optional(),
});
export type TikTokShopSettings = z.infer<typeof TikTokShopSettings>;

export const TikTokShopCredentials = z.object({
  /** The app secret: it signs every call and never leaves Meridian. */
  appSecret: z.string().min(1, 'the app secret of the TikTok Shop app is required'),
  /** The seller's access token from the authorisation. */
  accessToken: z.string().min(1, "the seller's access token is required"),
  /** The seller's refresh token: it renews the access token before it expires. */
  refreshToken: z.string().min(1, "the seller's refresh token is required"),
  /** When the access token ends (ISO 8601); kept by the connector after each refresh. */
  accessTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type TikTokShopCredentials = z.infer<typeof TikTokShopCredentials>;

const DEFAULT_LOOKBACK_DAYS = 90;
const Instant = z.iso.datetime({ offset: true });

/** Where a pass stands: the update-time range and TikTok's token for the next page ('' for the first). */
export const TikTokShopOrdersCursor = z.object({
  from: Instant,
  passEnd: Instant,
  pageToken: z.string().max(2_000),
});
export type TikTokShopOrdersCursor = z.infer<typeof TikTokShopOrdersCursor>;

export const tiktokShopConnector: ConnectorDefinition<TikTokShopSettings, TikTokShopCredentials> = {
  system: 'tiktok_shop',
  label: 'TikTok Shop',
  settings: TikTokShopSettings,
  credentials: TikTokShopCredentials,
  streams: ['orders'],
  endpointSettings: ['apiUrl', 'authUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const region = TIKTOK_SHOP_REGIONS[settings.region];
    const client = new TikTokShopClient({
      ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
      ...(settings.authUrl ? { authUrl: settings.authUrl } : {}),
      appKey: settings.appKey,
      appSecret: credentials.appSecret,
      shopCipher: settings.shopCipher,
      tokens: {
        accessToken: credentials.accessToken,
        refreshToken: credentials.refreshToken,
        ...(credentials.accessTokenExpiresAt ? { accessTokenExpiresAt: credentials.accessTokenExpiresAt } : {}),
      },
      // A refreshed pair is kept before it is used: the old refresh token may stop working.
      onTokens: async (tokens) => {
        await context.saveCredentials?.({
          appSecret: credentials.appSecret,
          ...tokens,
        } satisfies TikTokShopCredentials);
      },
      now,
      sleep: heartbeatingSleep(context),
    });
    const pageSize = settings.pageSize ?? MAX_PAGE_SIZE;

    function startPass(since: string | undefined): TikTokShopOrdersCursor | null {
      const passEnd = wholeSecond(now());
      const from =
        since !== undefined
          ? parseInstant(since, 'since')
          : settings.syncFrom !== undefined
            ? syncFromInstant(settings.syncFrom, region.timeZone)
            : new Date(passEnd.getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000);
      if (from >= passEnd) return null;
      return { from: wholeSecond(from).toISOString(), passEnd: passEnd.toISOString(), pageToken: '' };
    }

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'orders') {
          throw new RangeError(`TikTok Shop has no ${stream} stream: buyers come with their orders, so sync 'orders'`);
        }
        let at: TikTokShopOrdersCursor;
        if (cursor) {
          const read = TikTokShopOrdersCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError(
              'the TikTok Shop orders cursor is not one this connector wrote: start the pass again with cursor null',
            );
          at = read.data;
        } else {
          const pass = startPass(since);
          if (!pass) return { customers: [], orders: [], rejected: [], next: null };
          at = pass;
        }

        const list = await client.searchOrders({
          updateFrom: Date.parse(at.from) / 1000,
          updateTo: Date.parse(at.passEnd) / 1000,
          pageSize,
          pageToken: at.pageToken,
        });
        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next:
            list.nextPageToken === '' || list.orders.length === 0
              ? null
              : ({ ...at, pageToken: list.nextPageToken } satisfies TikTokShopOrdersCursor),
          ...(list.total !== undefined ? { total: list.total } : {}),
        };
        for (const raw of list.orders) {
          const mapped = mapTikTokShopOrder(raw, { sourceId: context.sourceId, region: settings.region });
          if (mapped.ok) result.orders.push(mapped.record);
          else result.rejected.push(mapped.rejected);
          const updated = tiktokShopUpdateTime(raw);
          if (updated && (!result.highWater || updated > result.highWater)) result.highWater = updated;
        }
        return result;
      },
    };
  },
};
