import { z } from 'zod';
import { isTimeZone } from '../../domain/local-time';
import type { ConnectorContext, ConnectorDefinition, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { GOOGLE_ADS_API, GOOGLE_ADS_URL, GOOGLE_OAUTH_TOKEN_URL, GoogleAdsClient } from './client';
import { apiLead, apiLeadTime, mapGoogleLead } from './mapping';

/**
 * Google Ads as a connector: lead form submissions in (people and the gclid they came by), and
 * conversions out (activities/ads: a clicked person's order uploaded once as an offline click conversion).
 *
 * Lead forms come two ways: a pass over `lead_form_submission_data` by submission time (GAQL,
 * `pageToken` paging), on demand or on schedule; and the lead form's webhook (POST with the form's
 * `google_key`, web/tracking/connector-webhooks.ts), stored as it arrives. Either way the person is
 * resolved by e-mail and phone, so a lead seen both ways is one person.
 */

const CustomerId = z.string().regex(/^\d{10}$/, 'must be a Google Ads customer ID: 10 digits without dashes');

export const GoogleAdsSettings = z.object({
  customerId: CustomerId,
  /** The manager account (login-customer-id) when the user reaches the account through one. */
  loginCustomerId: CustomerId.optional(),
  /** The conversion action that orders are uploaded to (its ID, from Goals → Conversions). */
  conversionActionId: z.string().regex(/^\d{1,20}$/, 'must be the conversion action ID (digits)'),
  /** The account's time zone: GAQL reads and writes times in it; default UTC. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo').optional(),
  apiUrl: vendorUrlSetting(GOOGLE_ADS_API, GOOGLE_ADS_URL).optional(),
  tokenUrl: vendorUrlSetting(GOOGLE_ADS_API, GOOGLE_OAUTH_TOKEN_URL).optional(),
  apiVersion: z
    .string()
    .regex(/^v\d+$/, 'must be a Google Ads API version such as v21')
    .optional(),
  syncFrom: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2025-01-01T00:00:00Z' })
    .optional(),
  /** Orders this many days after a click count as its conversion (Google's click-through window); default 90. */
  conversionWindowDays: z.int().min(1).max(90).optional(),
});
export type GoogleAdsSettings = z.infer<typeof GoogleAdsSettings>;

export const GoogleAdsCredentials = z.object({
  developerToken: z.string().min(1, 'the Google Ads developer token is required'),
  clientId: z.string().min(1, 'the OAuth client ID is required'),
  clientSecret: z.string().min(1, 'the OAuth client secret is required'),
  /** The user's OAuth refresh token (scope https://www.googleapis.com/auth/adwords). */
  refreshToken: z.string().min(1, 'the OAuth refresh token is required'),
  /** The key set on the lead form's webhook integration: Google sends it as google_key. */
  leadFormKey: z.string().min(16, 'the lead form webhook key must be at least 16 characters'),
});
export type GoogleAdsCredentials = z.infer<typeof GoogleAdsCredentials>;

const Instant = z.iso.datetime({ offset: true });
export const GoogleAdsCursor = z.object({
  from: Instant,
  passEnd: Instant,
  pageToken: z.string().min(1).max(4000).optional(),
});
export type GoogleAdsCursor = z.infer<typeof GoogleAdsCursor>;

const DEFAULT_LOOKBACK_DAYS = 90;

export function googleAdsClient(
  settings: GoogleAdsSettings,
  credentials: GoogleAdsCredentials,
  context: Pick<ConnectorContext, 'sleep' | 'heartbeat' | 'now'>,
): GoogleAdsClient {
  return new GoogleAdsClient({
    ...(settings.apiUrl ? { baseUrl: settings.apiUrl } : {}),
    ...(settings.tokenUrl ? { tokenUrl: settings.tokenUrl } : {}),
    ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
    customerId: settings.customerId,
    ...(settings.loginCustomerId ? { loginCustomerId: settings.loginCustomerId } : {}),
    developerToken: credentials.developerToken,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    refreshToken: credentials.refreshToken,
    ...(context.now ? { now: context.now } : {}),
    sleep: heartbeatingSleep(context),
  });
}

export const googleAdsConnector: ConnectorDefinition<GoogleAdsSettings, GoogleAdsCredentials> = {
  system: 'google_ads',
  label: 'Google Ads',
  settings: GoogleAdsSettings,
  credentials: GoogleAdsCredentials,
  streams: ['customers'],
  endpointSettings: ['apiUrl', 'tokenUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const client = googleAdsClient(settings, credentials, context);
    const zone = settings.timeZone ?? 'UTC';
    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'customers') throw new RangeError(`Google Ads has no ${stream} stream: sync 'customers'`);
        let at: GoogleAdsCursor;
        if (cursor) {
          const read = GoogleAdsCursor.safeParse(cursor);
          if (!read.success)
            throw new RangeError(
              'the Google Ads cursor is not one this connector wrote: start the pass again with cursor null',
            );
          at = read.data;
        } else {
          const passEnd = new Date(Math.floor(now().getTime() / 1000) * 1000);
          const fromMs =
            since !== undefined
              ? Date.parse(since)
              : settings.syncFrom !== undefined
                ? Date.parse(settings.syncFrom)
                : passEnd.getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000;
          if (Number.isNaN(fromMs)) throw new RangeError('since must be an ISO 8601 instant with an offset');
          at = { from: new Date(Math.floor(fromMs / 1000) * 1000).toISOString(), passEnd: passEnd.toISOString() };
        }
        // The query is the same on every page of a pass: Google's page token belongs to it.
        const answer = await client.search(leadsQuery(new Date(at.from), new Date(at.passEnd), zone), at.pageToken);
        const page: SyncPage = {
          customers: [],
          orders: [],
          rejected: [],
          clicks: [],
          next: answer.nextPageToken ? ({ ...at, pageToken: answer.nextPageToken } satisfies GoogleAdsCursor) : null,
        };
        for (const row of answer.results) {
          const time = apiLeadTime(row);
          if (time && (!page.highWater || time > page.highWater)) page.highWater = time;
          const read = apiLead(row);
          if (!read.ok) {
            page.rejected.push({ ...(read.externalId ? { externalId: read.externalId } : {}), reason: read.reason });
            continue;
          }
          const { mapped, click } = mapGoogleLead(read.lead, context.sourceId);
          if (!mapped.ok) {
            page.rejected.push(mapped.rejected);
            continue;
          }
          page.customers.push(mapped.record);
          if (click) page.clicks!.push(click);
        }
        return page;
      },
    };
  },
};

/** GAQL's date-time literal in the account's zone: "2025-03-14 10:00:00". */
export function gaqlDateTime(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export function leadsQuery(from: Date, to: Date, timeZone: string): string {
  return (
    'SELECT lead_form_submission_data.id, lead_form_submission_data.gclid, ' +
    'lead_form_submission_data.submission_date_time, lead_form_submission_data.lead_form_submission_fields ' +
    'FROM lead_form_submission_data ' +
    `WHERE lead_form_submission_data.submission_date_time >= '${gaqlDateTime(from, timeZone)}' ` +
    `AND lead_form_submission_data.submission_date_time < '${gaqlDateTime(to, timeZone)}' ` +
    'ORDER BY lead_form_submission_data.submission_date_time'
  );
}
