import { z } from 'zod';
import { isTimeZone } from '../../domain/local-time';
import { isCurrency } from '../../domain/money';
import type { ConnectorDefinition, StreamName, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { parseInstant, syncFromInstant } from '../mapping';
import {
  DEFAULT_HUBSPOT_API_URL,
  HUBSPOT_API,
  HubSpotClient,
  HubSpotObject,
  LAST_MODIFIED,
  MAX_SEARCH_LIMIT,
  SEARCH_RESULT_LIMIT,
} from './client';
import { CONTACT_PROPERTIES, DEAL_PROPERTIES, hubspotModifiedAt, mapHubSpotContact, mapHubSpotDeal } from './mapping';

/**
 * HubSpot as a connector: contacts (customers) and deals (orders, once closed), each incrementally by
 * last modification.
 *
 * A pass covers [from, passEnd): `since` (or settings.syncFrom, or everything), to the clock at the
 * pass's first page, oldest modification first, with HubSpot's `after`. A search reaches only 10,000
 * results, so before `after` would pass that the window moves: `from` becomes the last modification
 * read and `after` starts again, with the IDs already read at that very millisecond in `skip` (IDs
 * only, no personal data). The next pass starts from the highest modification seen, so a second sync
 * fetches only what changed.
 */

export const HubSpotSettings = z.object({
  /** The app's client ID (HubSpot developer account → app → Auth). */
  clientId: z
    .string({ error: "must be the HubSpot app's client ID" })
    .regex(/^[\w-]+$/, "must be the HubSpot app's client ID"),
  /** Default https://api.hubapi.com, or an emulator's (test-only host override). */
  apiUrl: vendorUrlSetting(HUBSPOT_API, DEFAULT_HUBSPOT_API_URL).optional(),
  /** The portal's company currency (Settings → Account Defaults → Currency): deals without their own currency are in it. */
  currency: z.string({ error: 'must be an ISO 4217 currency code, e.g. EUR' }).refine(isCurrency, {
    error: 'must be an ISO 4217 currency code, e.g. EUR',
  }),
  /** The portal's time zone, for the local date of a deal's close; default UTC. */
  timeZone: z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Berlin' }).optional(),
  /** Where the first pass starts: a date (midnight in timeZone) or an instant; default everything. */
  syncFrom: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'must be an ISO 8601 date or instant, e.g. 2025-01-01 or 2025-01-01T00:00:00Z',
    })
    .optional(),
  /** Records per page, at most 200 (HubSpot's search maximum); default 100. */
  pageSize: z.int().min(1).max(MAX_SEARCH_LIMIT).optional(),
});
export type HubSpotSettings = z.infer<typeof HubSpotSettings>;

export const HubSpotCredentials = z.object({
  clientSecret: z.string().min(1, "the HubSpot app's client secret is required"),
  accessToken: z.string().min(1, 'the access token from the OAuth authorisation is required'),
  refreshToken: z.string().min(1, 'the refresh token from the OAuth authorisation is required'),
  accessTokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type HubSpotCredentials = z.infer<typeof HubSpotCredentials>;

const Instant = z.iso.datetime({ offset: true });
export const HubSpotCursor = z.object({
  from: Instant,
  passEnd: Instant,
  /** HubSpot's `after` for the next page; '' at the start of a window. */
  after: z.string().max(100),
  /** Records already read at exactly `from` (after the window moved). */
  skip: z.array(z.string().regex(/^\d+$/)).max(MAX_SEARCH_LIMIT * 50),
});
export type HubSpotCursor = z.infer<typeof HubSpotCursor>;

/** HubSpot's portal began in 2006: a pass without syncFrom reads from then. */
const EVERYTHING = '2006-01-01T00:00:00.000Z';
const DEFAULT_PAGE_SIZE = 100;
const OBJECT: Record<StreamName, HubSpotObject> = { customers: 'contacts', orders: 'deals' };

export const hubspotConnector: ConnectorDefinition<HubSpotSettings, HubSpotCredentials> = {
  system: 'hubspot',
  label: 'HubSpot',
  settings: HubSpotSettings,
  credentials: HubSpotCredentials,
  streams: ['customers', 'orders'],
  endpointSettings: ['apiUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const timeZone = settings.timeZone ?? 'UTC';
    const client = new HubSpotClient({
      ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
      clientId: settings.clientId,
      clientSecret: credentials.clientSecret,
      tokens: {
        accessToken: credentials.accessToken,
        refreshToken: credentials.refreshToken,
        ...(credentials.accessTokenExpiresAt ? { accessTokenExpiresAt: credentials.accessTokenExpiresAt } : {}),
      },
      // A refreshed pair is kept before it is used.
      onTokens: async (tokens) => {
        await context.saveCredentials?.({
          clientSecret: credentials.clientSecret,
          ...tokens,
        } satisfies HubSpotCredentials);
      },
      now,
      sleep: heartbeatingSleep(context),
    });
    const limit = settings.pageSize ?? DEFAULT_PAGE_SIZE;

    function startPass(since: string | undefined): HubSpotCursor | null {
      const passEnd = now();
      const from =
        since !== undefined
          ? // `since` is the newest modification already stored: the pass starts just after it, so an
            // incremental sync reads only what changed since (HubSpot keeps milliseconds).
            new Date(parseInstant(since, 'since').getTime() + 1)
          : settings.syncFrom !== undefined
            ? syncFromInstant(settings.syncFrom, timeZone)
            : new Date(EVERYTHING);
      if (from >= passEnd) return null;
      return { from: from.toISOString(), passEnd: passEnd.toISOString(), after: '', skip: [] };
    }

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        const object = OBJECT[stream];
        if (!object) throw new RangeError(`HubSpot has no ${stream} stream: sync 'customers' or 'orders'`);
        let at: HubSpotCursor;
        if (cursor) {
          const read = HubSpotCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError(
              `the HubSpot ${stream} cursor is not one this connector wrote: start the pass again with cursor null`,
            );
          at = read.data;
        } else {
          const pass = startPass(since);
          if (!pass) return { customers: [], orders: [], rejected: [], next: null };
          at = pass;
        }

        const property = LAST_MODIFIED[object];
        const page = await client.search(object, {
          from: Date.parse(at.from),
          to: Date.parse(at.passEnd),
          limit,
          ...(at.after ? { after: at.after } : {}),
          properties: object === 'contacts' ? CONTACT_PROPERTIES : DEAL_PROPERTIES,
        });
        const fromIso = new Date(at.from).toISOString();
        const skip = new Set(at.skip);
        const records = page.results.filter((r) => !(skip.has(r.id) && hubspotModifiedAt(r, property) === fromIso));

        const result: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          next: nextCursor(at, page.results, page.after),
          ...(page.total !== undefined ? { total: page.total } : {}),
        };
        const contacts =
          object === 'deals' && records.length > 0 ? await client.dealContacts(records.map((r) => r.id)) : undefined;
        for (const raw of records) {
          if (object === 'contacts') {
            const mapped = mapHubSpotContact(raw, context.sourceId);
            if (mapped.ok) result.customers.push(mapped.record);
            else result.rejected.push(mapped.rejected);
          } else {
            const mapped = mapHubSpotDeal(raw, contacts?.get(raw.id) ?? [], {
              sourceId: context.sourceId,
              currency: settings.currency,
              timeZone,
            });
            if (mapped?.ok) result.orders.push(mapped.record);
            else if (mapped) result.rejected.push(mapped.rejected);
          }
          const modified = hubspotModifiedAt(raw, property);
          if (modified && (!result.highWater || modified > result.highWater)) result.highWater = modified;
        }
        return result;

        function nextCursor(
          cur: HubSpotCursor,
          results: typeof page.results,
          after: string | undefined,
        ): HubSpotCursor | null {
          if (after === undefined || results.length === 0) return null;
          const offset = Number(after);
          // Within the 10,000 results one query reaches: page on.
          if (!Number.isInteger(offset) || offset + limit <= SEARCH_RESULT_LIMIT) return { ...cur, after };
          // Move the window to the last modification read; the records read at it are skipped.
          const last = results
            .map((r) => hubspotModifiedAt(r, property))
            .filter((t): t is string => t !== undefined)
            .reduce((max, t) => (t > max ? t : max), '');
          const lastIso = last === '' ? fromIso : last;
          const atLast = results.filter((r) => hubspotModifiedAt(r, property) === lastIso).map((r) => r.id);
          if (lastIso === fromIso) {
            throw new RangeError(
              `HubSpot holds more than ${SEARCH_RESULT_LIMIT} ${object} modified at ${lastIso}: the search cannot page past them`,
            );
          }
          return { from: lastIso, passEnd: cur.passEnd, after: '', skip: atLast };
        }
      },
    };
  },
};
