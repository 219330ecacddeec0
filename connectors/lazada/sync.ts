import { z } from 'zod';
import type { ConnectorDefinition, Cursor, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { parseInstant, syncFromInstant, wholeSecond } from '../mapping';
import {
  DEFAULT_LAZADA_AUTH_URL,
  LAZADA_API,
  LAZADA_COUNTRIES,
  LAZADA_SITES,
  LazadaClient,
  LazadaCountry,
  MAX_ORDERS_LIMIT,
} from './client';
import { lazadaUpdateTime, mapLazadaOrder } from './mapping';

/**
 * Lazada as a connector: orders only (Lazada has no customer list; buyers come with their orders'
 * items), for one seller on one country site.
 *
 * A pass covers updated_at from `since` (or settings.syncFrom, or 90 days back) to `passEnd`, the
 * clock at the pass's first page, kept in the cursor. /orders/get is asked oldest update first, and
 * the cursor is a position by key, not a bare offset: the updated_at of the last order read and how
 * many orders at that very second were read. An order changed while the pass runs leaves the range
 * (its new time is past passEnd, so the next pass takes it) without shifting the orders after it out
 * of reach, as a growing offset would.
 */

export const LazadaSettings = z.object({
  /** The seller's country site: MY, SG, TH, ID, PH or VN. */
  country: z.enum(LAZADA_COUNTRIES as [LazadaCountry, ...LazadaCountry[]], {
    error: `must be a Lazada country: ${LAZADA_COUNTRIES.join(', ')}`,
  }),
  /** The app's key from Lazada Open Platform's App Console. */
  appKey: z
    .string({ error: 'must be the Lazada app key, digits' })
    .regex(/^\d+$/, 'must be the Lazada app key, digits'),
  /** The country's API URL; by default the country site's (https://api.lazada.co.th/rest …), or an emulator's (test-only host override). */
  apiUrl: vendorUrlSetting(LAZADA_API, LAZADA_SITES.TH.apiUrl).optional(),
  /** Where tokens are refreshed; default https://auth.lazada.com/rest. */
  authUrl: vendorUrlSetting(LAZADA_API, DEFAULT_LAZADA_AUTH_URL).optional(),
  /** Where the first pass starts: a date (midnight in the site's zone) or an instant; default 90 days back. */
  syncFrom: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'must be an ISO 8601 date or instant, e.g. 2025-01-01 or 2025-01-01T00:00:00Z',
    })
    .optional(),
  /** Orders per page, at most 100 (Lazada's maximum). */
  pageSize: z.int().min(1).max(MAX_ORDERS_LIMIT).optional(),
});
export type LazadaSettings = z.infer<typeof LazadaSettings>;

export const LazadaCredentials = z.object({
  /** The app secret: it signs every call and never leaves Meridian. */
  appSecret: z.string().min(1, 'the app secret of the Lazada app is required'),
  /** The seller's access token from the authorisation (/auth/token/create). */
  accessToken: z.string().min(1, "the seller's access token is required"),
  /** The seller's refresh token: it renews the access token before it expires. */
  refreshToken: z.string().min(1, "the seller's refresh token is required"),
  /** When the access token ends (ISO 8601); kept by the connector after each refresh. */
  accessTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type LazadaCredentials = z.infer<typeof LazadaCredentials>;

const DEFAULT_LOOKBACK_DAYS = 90;
const Instant = z.iso.datetime({ offset: true });

/** Where a pass stands: orders updated at `after` of which `skip` were read, and where the pass ends. */
export const LazadaOrdersCursor = z.object({
  after: Instant,
  skip: z.int().nonnegative(),
  passEnd: Instant,
});
export type LazadaOrdersCursor = z.infer<typeof LazadaOrdersCursor>;

export const lazadaConnector: ConnectorDefinition<LazadaSettings, LazadaCredentials> = {
  system: 'lazada',
  label: 'Lazada',
  settings: LazadaSettings,
  credentials: LazadaCredentials,
  streams: ['orders'],
  endpointSettings: ['apiUrl', 'authUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const site = LAZADA_SITES[settings.country];
    const client = new LazadaClient({
      apiUrl: settings.apiUrl ?? site.apiUrl,
      ...(settings.authUrl ? { authUrl: settings.authUrl } : {}),
      appKey: settings.appKey,
      appSecret: credentials.appSecret,
      tokens: {
        accessToken: credentials.accessToken,
        refreshToken: credentials.refreshToken,
        ...(credentials.accessTokenExpiresAt ? { accessTokenExpiresAt: credentials.accessTokenExpiresAt } : {}),
      },
      // A refreshed pair is kept before it is used: the old refresh token may stop working.
      onTokens: async (tokens) => {
        await context.saveCredentials?.({ appSecret: credentials.appSecret, ...tokens } satisfies LazadaCredentials);
      },
      now,
      sleep: heartbeatingSleep(context),
    });
    const pageSize = settings.pageSize ?? MAX_ORDERS_LIMIT;

    function startPass(since: string | undefined): LazadaOrdersCursor | null {
      const passEnd = wholeSecond(now());
      const from =
        since !== undefined
          ? parseInstant(since, 'since')
          : settings.syncFrom !== undefined
            ? syncFromInstant(settings.syncFrom, site.timeZone)
            : new Date(passEnd.getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000);
      if (from > passEnd) return null;
      return { after: wholeSecond(from).toISOString(), skip: 0, passEnd: passEnd.toISOString() };
    }

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'orders') {
          throw new RangeError(`Lazada has no ${stream} stream: buyers come with their orders, so sync 'orders'`);
        }
        let at: LazadaOrdersCursor;
        if (cursor) {
          const read = LazadaOrdersCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError(
              'the Lazada orders cursor is not one this connector wrote: start the pass again with cursor null',
            );
          at = read.data;
        } else {
          const pass = startPass(since);
          if (!pass) return { customers: [], orders: [], rejected: [], next: null };
          at = pass;
        }

        const list = await client.getOrders({
          updateAfter: lazadaTimeParam(at.after),
          updateBefore: lazadaTimeParam(at.passEnd),
          offset: at.skip,
          limit: pageSize,
        });
        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next: list.orders.length < pageSize ? null : nextCursor(at, list.orders),
          ...(list.total !== undefined ? { total: list.total } : {}),
        };
        const seen = new Set<string>();
        for (const raw of list.orders) {
          const id = orderId(raw);
          if (id !== undefined && seen.has(id)) continue; // listed twice in one page: keep the first
          if (id !== undefined) seen.add(id);
          const items = id === undefined ? [] : await client.getOrderItems(id);
          const mapped = mapLazadaOrder(raw, items, { sourceId: context.sourceId, country: settings.country });
          if (mapped.ok) result.orders.push(mapped.record);
          else result.rejected.push(mapped.rejected);
          const updated = lazadaUpdateTime(raw);
          if (updated && (!result.highWater || updated > result.highWater)) result.highWater = updated;
        }
        return result;
      },
    };
  },
};

/** After a full page: the last update time read and how many orders at it were read (those before it were all read). */
function nextCursor(at: LazadaOrdersCursor, orders: unknown[]): Cursor {
  const times = orders.map(lazadaUpdateTime).filter((t): t is string => t !== undefined);
  const last = times.reduce((max, t) => (t > max ? t : max), '');
  const after = new Date(at.after).toISOString();
  if (last === '' || last <= after) return { ...at, skip: at.skip + orders.length } satisfies LazadaOrdersCursor;
  return {
    after: last,
    skip: times.filter((t) => t === last).length,
    passEnd: at.passEnd,
  } satisfies LazadaOrdersCursor;
}

function orderId(raw: unknown): string | undefined {
  const id = (raw as { order_id?: unknown } | null)?.order_id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  return undefined;
}

/** Lazada's time parameters: ISO 8601 with an offset, to the second ("2025-03-01T03:00:00+00:00"). */
export function lazadaTimeParam(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}+00:00`;
}
