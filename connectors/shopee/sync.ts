import { z } from 'zod';
import { isTimeZone } from '../../domain/local-time';
import type { ConnectorDefinition, Cursor, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { parseInstant, syncFromInstant } from '../mapping';
import {
  DEFAULT_SHOPEE_BASE_URL,
  MAX_DETAIL_BATCH,
  MAX_PAGE_SIZE,
  MAX_WINDOW_SECONDS,
  SHOPEE_API,
  ShopeeClient,
} from './client';
import { mapShopeeOrder, shopeeUpdateTime } from './mapping';

/**
 * Shopee as a connector: orders only (Shopee has no customer list; buyers come with their orders).
 *
 * A pass covers update_time from `since` (or settings.syncFrom, or 90 days back) to `passEnd`, the
 * clock at the pass's first page, kept in the cursor so a resumed pass ends where it meant to.
 * get_order_list takes at most 15 days at a time, so the pass walks consecutive windows, each paged
 * by Shopee's cursor; every list page's orders are read with get_order_detail in batches of 50, and
 * come back as one SyncPage. Window bounds are inclusive Unix seconds, the next window starting the
 * second after the last one ends, so no order is in two windows.
 */

export const ShopeeSettings = z.object({
  /** Shopee's host: https://partner.shopeemobile.com (live, the default), a regional or sandbox host, or an emulator's URL (test-only host override). */
  baseUrl: vendorUrlSetting(SHOPEE_API, DEFAULT_SHOPEE_BASE_URL).optional(),
  /** The app's partner ID from Shopee Open Platform's App List. */
  partnerId: z
    .int({ error: 'must be the Shopee partner ID, a positive whole number' })
    .positive({ error: 'must be the Shopee partner ID, a positive whole number' }),
  /** The shop's ID, as Shopee sends it with the authorization. */
  shopId: z
    .int({ error: 'must be the Shopee shop ID, a positive whole number' })
    .positive({ error: 'must be the Shopee shop ID, a positive whole number' }),
  /** The shop's IANA zone; by default the zone of each order's region (TH → Asia/Bangkok …). */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Bangkok').optional(),
  /** Where the first pass starts: a date (midnight in timeZone, else UTC) or an instant; default 90 days back. */
  syncFrom: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'must be an ISO 8601 date or instant, e.g. 2025-01-01 or 2025-01-01T00:00:00Z',
    })
    .optional(),
  /** Orders per list page, at most 100 (Shopee's maximum). */
  pageSize: z.int().min(1).max(MAX_PAGE_SIZE).optional(),
});
export type ShopeeSettings = z.infer<typeof ShopeeSettings>;

export const ShopeeCredentials = z.object({
  /** The app's live partner key: it signs every call and never leaves Meridian. */
  partnerKey: z.string().min(1, 'the partner key of the Shopee app is required'),
  /** The shop's access token from the authorization (valid 4 hours; the token refresh keeps it current). */
  accessToken: z.string().min(1, 'the shop access token is required'),
});
export type ShopeeCredentials = z.infer<typeof ShopeeCredentials>;

const DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE;
const DEFAULT_LOOKBACK_DAYS = 90;

const Instant = z.iso.datetime({ offset: true });

/** Where a pass stands: the window being paged, Shopee's cursor in it, and where the pass ends. */
export const ShopeeOrdersCursor = z.object({
  windowFrom: Instant,
  /** Undefined: windowFrom plus the longest window Shopee allows, capped at passEnd. */
  windowTo: Instant.optional(),
  passEnd: Instant,
  /** '' for a window's first page. */
  pageCursor: z.string(),
});
export type ShopeeOrdersCursor = z.infer<typeof ShopeeOrdersCursor>;

export const shopeeConnector: ConnectorDefinition<ShopeeSettings, ShopeeCredentials> = {
  system: 'shopee',
  label: 'Shopee',
  settings: ShopeeSettings,
  credentials: ShopeeCredentials,
  streams: ['orders'],
  endpointSettings: ['baseUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const client = new ShopeeClient({
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      partnerId: settings.partnerId,
      partnerKey: credentials.partnerKey,
      shopId: settings.shopId,
      accessToken: credentials.accessToken,
      now,
      sleep: heartbeatingSleep(context),
    });
    const pageSize = settings.pageSize ?? DEFAULT_PAGE_SIZE;

    /** The first window of a pass, or null when there is nothing to cover. */
    function startPass(since: string | undefined): { from: number; passEnd: number } | null {
      const passEnd = toSeconds(now());
      const from =
        since !== undefined
          ? toSeconds(parseInstant(since, 'since'))
          : settings.syncFrom !== undefined
            ? toSeconds(syncFromInstant(settings.syncFrom, settings.timeZone ?? 'UTC'))
            : passEnd - DEFAULT_LOOKBACK_DAYS * 86_400;
      return from > passEnd ? null : { from, passEnd };
    }

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'orders') {
          throw new RangeError(`Shopee has no ${stream} stream: buyers come with their orders, so sync 'orders'`);
        }
        let windowFrom: number;
        let windowTo: number;
        let passEnd: number;
        let pageCursor: string;
        if (cursor) {
          const read = ShopeeOrdersCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError(
              'the Shopee orders cursor is not one this connector wrote: start the pass again with cursor null',
            );
          windowFrom = toSeconds(new Date(read.data.windowFrom));
          passEnd = toSeconds(new Date(read.data.passEnd));
          windowTo =
            read.data.windowTo !== undefined ? toSeconds(new Date(read.data.windowTo)) : windowEnd(windowFrom, passEnd);
          pageCursor = read.data.pageCursor;
        } else {
          const pass = startPass(since);
          if (!pass) return { customers: [], orders: [], rejected: [], next: null };
          ({ from: windowFrom, passEnd } = pass);
          windowTo = windowEnd(windowFrom, passEnd);
          pageCursor = '';
        }

        const list = await client.getOrderList({
          timeRangeField: 'update_time',
          timeFrom: windowFrom,
          timeTo: windowTo,
          pageSize,
          cursor: pageCursor,
        });
        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next: nextCursor(list, { windowFrom, windowTo, passEnd }),
        };

        const orderSns = [...new Set(list.orders.map((order) => order.order_sn))];
        const found = new Set<string>();
        for (let start = 0; start < orderSns.length; start += MAX_DETAIL_BATCH) {
          const details = await client.getOrderDetail(orderSns.slice(start, start + MAX_DETAIL_BATCH));
          for (const raw of details) {
            const sn = (raw as { order_sn?: unknown } | null)?.order_sn;
            if (typeof sn === 'string') {
              if (found.has(sn)) continue; // asked once, answered twice: keep the first
              found.add(sn);
            }
            const mapped = mapShopeeOrder(raw, {
              sourceId: context.sourceId,
              ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
            });
            if (mapped.ok) result.orders.push(mapped.record);
            else result.rejected.push(mapped.rejected);
            const updated = shopeeUpdateTime(raw);
            if (updated && (!result.highWater || updated > result.highWater)) result.highWater = updated;
          }
        }
        for (const sn of orderSns) {
          if (!found.has(sn))
            result.rejected.push({
              externalId: sn,
              reason: 'order_sn: listed by get_order_list but missing from get_order_detail',
            });
        }
        return result;
      },
    };
  },
};

/** The same window's next page, else the next window's first, else null: the pass is done. */
function nextCursor(
  list: { more: boolean; nextCursor: string },
  at: { windowFrom: number; windowTo: number; passEnd: number },
): Cursor | null {
  if (list.more) return cursorOf({ ...at, pageCursor: list.nextCursor });
  if (at.windowTo >= at.passEnd) return null;
  const from = at.windowTo + 1;
  return cursorOf({ windowFrom: from, windowTo: windowEnd(from, at.passEnd), passEnd: at.passEnd, pageCursor: '' });
}

/** The last second of the window starting at `from`: at most Shopee's 15 days on, never past the pass. */
function windowEnd(from: number, passEnd: number): number {
  return Math.min(from + MAX_WINDOW_SECONDS - 1, passEnd);
}

function cursorOf(at: { windowFrom: number; windowTo: number; passEnd: number; pageCursor: string }): Cursor {
  return {
    windowFrom: isoOf(at.windowFrom),
    windowTo: isoOf(at.windowTo),
    passEnd: isoOf(at.passEnd),
    pageCursor: at.pageCursor,
  } satisfies ShopeeOrdersCursor;
}

const toSeconds = (instant: Date): number => Math.floor(instant.getTime() / 1000);
const isoOf = (seconds: number): string => new Date(seconds * 1000).toISOString();
