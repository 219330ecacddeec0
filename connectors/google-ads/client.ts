import { z } from 'zod';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
  DEFAULT_RETRY_AFTER_MS,
  retryAfterMs,
  malformedAnswer,
} from '../errors';
import { HttpAnswer, jsonObject, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * The Google Ads API (REST), as Meridian uses it:
 *
 * - `POST /{version}/customers/{customer_id}/googleAds:search` with a GAQL query over
 *   `lead_form_submission_data` (lead form asset submissions), paged by `pageToken`/`nextPageToken`.
 * - `POST /{version}/customers/{customer_id}:uploadClickConversions` with `partialFailure: true`:
 *   offline click conversions (gclid, gbraid or wbraid; conversion action, time, value, currency,
 *   `orderId`, and the `consent` Google requires for EEA users: adUserData, adPersonalization).
 *
 * Every call carries `Authorization: Bearer <OAuth access token>`, `developer-token` and, when the
 * account is reached through a manager, `login-customer-id`. The access token (one hour) is made from
 * the refresh token at Google's OAuth token endpoint, and made again once when a call is refused as
 * UNAUTHENTICATED; a refused refresh token (`invalid_grant`) means the user revoked Meridian's access:
 * reconnect. Errors are google.rpc.Status `{error:{code, message, status, details:[GoogleAdsFailure]}}`:
 * UNAUTHENTICATED/PERMISSION_DENIED → reconnect; RESOURCE_EXHAUSTED (429) → throttled, waiting the
 * RetryInfo `retryDelay` (or Retry-After); INTERNAL/UNAVAILABLE/DEADLINE_EXCEEDED → transient; the rest
 * → the request was refused. Only IDs and amounts are sent: click IDs are Google's own.
 */

export const GOOGLE_ADS_API: VendorApi = {
  system: 'Google Ads',
  hosts: ['googleads.googleapis.com', 'oauth2.googleapis.com'],
};
const SYSTEM = GOOGLE_ADS_API.system;
export const GOOGLE_ADS_URL = 'https://googleads.googleapis.com';
export const GOOGLE_OAUTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_ADS_API_VERSION = 'v21';
/** uploadClickConversions takes at most 2000 conversions per request. */
export const MAX_CONVERSIONS_PER_UPLOAD = 2000;
const MAX_ERROR_TEXT = 300;
const TOKEN_MARGIN_MS = 5 * 60_000;

export interface GoogleAdsClientOptions extends VendorHttpLimits {
  baseUrl?: string;
  tokenUrl?: string;
  apiVersion?: string;
  /** The Google Ads account (10 digits, no dashes). */
  customerId: string;
  /** The manager account the user reaches it through, if any. */
  loginCustomerId?: string;
  developerToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  now?: () => Date;
}

const SearchAnswer = z.looseObject({
  results: z.array(z.unknown()).optional(),
  nextPageToken: z.string().optional(),
});

const TokenAnswer = z.looseObject({ access_token: z.string().min(1), expires_in: z.number().optional() });

const UploadAnswer = z.looseObject({
  results: z.array(z.unknown()).optional(),
  partialFailureError: z
    .looseObject({
      code: z.number().optional(),
      message: z.string().optional(),
      details: z.array(z.unknown()).optional(),
    })
    .nullish(),
});

export type ConsentStatus = 'GRANTED' | 'DENIED' | 'UNSPECIFIED';

export interface ClickConversion {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  /** customers/{customer_id}/conversionActions/{id} */
  conversionAction: string;
  /** "yyyy-mm-dd hh:mm:ss+|-hh:mm" */
  conversionDateTime: string;
  conversionValue: number;
  currencyCode: string;
  orderId: string;
  consent: { adUserData: ConsentStatus; adPersonalization: ConsentStatus };
}

/** Per conversion of an upload: accepted, or the Google Ads error codes it was refused with. */
export type ConversionOutcome = { ok: true } | { ok: false; codes: string[]; message: string };

export class GoogleAdsClient {
  private readonly baseUrl: string;
  private readonly tokenUrl: string;
  readonly apiVersion: string;
  readonly customerId: string;
  private readonly opts: GoogleAdsClientOptions;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  private token: { value: string; expiresAt: number } | undefined;

  constructor(opts: GoogleAdsClientOptions) {
    this.opts = opts;
    this.baseUrl = (opts.baseUrl ?? GOOGLE_ADS_URL).replace(/\/+$/, '');
    this.tokenUrl = opts.tokenUrl ?? GOOGLE_OAUTH_TOKEN_URL;
    this.apiVersion = opts.apiVersion ?? GOOGLE_ADS_API_VERSION;
    this.customerId = opts.customerId;
    this.now = opts.now ?? (() => new Date());
    this.http = new VendorHttp(GOOGLE_ADS_API, opts, { maxRateLimitWaits: 5, maxRateLimitWaitMs: 5 * 60_000 });
  }

  /** One page of a GAQL search. */
  async search(query: string, pageToken: string | undefined): Promise<{ results: unknown[]; nextPageToken?: string }> {
    const operation = 'reading lead form submissions';
    const body = await this.post(
      `/customers/${this.customerId}/googleAds:search`,
      { query, ...(pageToken ? { pageToken } : {}) },
      operation,
    );
    const parsed = SearchAnswer.safeParse(body);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'search answer', operation);
    return {
      results: parsed.data.results ?? [],
      ...(parsed.data.nextPageToken ? { nextPageToken: parsed.data.nextPageToken } : {}),
    };
  }

  /** Uploads click conversions with partial failure: one outcome per conversion, in order. */
  async uploadClickConversions(conversions: ClickConversion[]): Promise<ConversionOutcome[]> {
    if (conversions.length === 0 || conversions.length > MAX_CONVERSIONS_PER_UPLOAD)
      throw new RangeError(`give 1 to ${MAX_CONVERSIONS_PER_UPLOAD} conversions per upload`);
    const operation = `uploading ${conversions.length} click conversions`;
    const body = await this.post(
      `/customers/${this.customerId}:uploadClickConversions`,
      { conversions, partialFailure: true, validateOnly: false },
      operation,
    );
    const parsed = UploadAnswer.safeParse(body);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'upload answer', operation);
    const outcomes: ConversionOutcome[] = conversions.map(() => ({ ok: true }));
    for (const detail of parsed.data.partialFailureError?.details ?? []) {
      const errors = (detail as { errors?: unknown } | null)?.errors;
      for (const error of Array.isArray(errors) ? errors : []) {
        const e = error as {
          errorCode?: Record<string, unknown>;
          message?: unknown;
          location?: { fieldPathElements?: { fieldName?: string; index?: number }[] };
        };
        const index = e.location?.fieldPathElements?.find((p) => p.fieldName === 'conversions')?.index;
        if (typeof index !== 'number' || index < 0 || index >= conversions.length) continue;
        const codes = Object.values(e.errorCode ?? {}).map(String);
        const previous = outcomes[index]!;
        outcomes[index] = {
          ok: false,
          codes: [...(previous.ok ? [] : previous.codes), ...codes],
          message: typeof e.message === 'string' ? e.message.slice(0, MAX_ERROR_TEXT) : codes.join(', '),
        };
      }
    }
    return outcomes;
  }

  private async post(path: string, body: unknown, operation: string): Promise<Record<string, unknown>> {
    let refreshed = false;
    const answer = await this.http.call(
      async () => ({
        method: 'POST',
        url: `${this.baseUrl}/${this.apiVersion}${path}`,
        headers: {
          Authorization: `Bearer ${await this.accessToken()}`,
          'developer-token': this.opts.developerToken,
          ...(this.opts.loginCustomerId ? { 'login-customer-id': this.opts.loginCustomerId } : {}),
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify(body),
      }),
      { account: this.account, operation },
      {
        // An access token refused as UNAUTHENTICATED is made again once (it may have just expired).
        sendAgain: (sent) => {
          if (sent.status !== 401 || refreshed) return false;
          refreshed = true;
          this.token = undefined;
          return true;
        },
        classify: (sent, waits) => this.classify(sent, operation, waits),
      },
    );
    const parsed = jsonObject(answer.bodyText);
    if (!parsed) throw malformedAnswer(SYSTEM, this.account, 'JSON object', operation);
    return parsed;
  }

  /** The OAuth access token, made from the refresh token when there is none or it is near its end. */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - TOKEN_MARGIN_MS > this.now().getTime()) return this.token.value;
    const operation = 'refreshing the OAuth access token';
    const answer = await this.http.call(
      {
        method: 'POST',
        url: this.tokenUrl,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: this.opts.clientId,
          client_secret: this.opts.clientSecret,
          refresh_token: this.opts.refreshToken,
        }).toString(),
      },
      { account: this.account, operation },
      {
        classify: (sent, waits) => {
          const body = jsonObject(sent.bodyText);
          const code = typeof body?.error === 'string' ? body.error : '';
          if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client')
            return new ConnectorAuthError(
              `${SYSTEM} refused the refresh token for ${this.account}: reconnect the Google Ads account in Meridian (the user revoked Meridian's access, or the OAuth client changed) [HTTP ${sent.status}: ${code}]`,
              SYSTEM,
              sent.status,
            );
          return this.classify(sent, operation, waits);
        },
      },
    );
    const parsed = TokenAnswer.safeParse(jsonObject(answer.bodyText));
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'token', operation);
    this.token = {
      value: parsed.data.access_token,
      expiresAt: this.now().getTime() + (parsed.data.expires_in ?? 3600) * 1000,
    };
    return this.token.value;
  }

  private get account(): string {
    return `Google Ads customer ${this.customerId}`;
  }

  classify(response: HttpAnswer, operation: string, waits: number): ConnectorError {
    const error = jsonObject(response.bodyText)?.error as
      | { status?: unknown; message?: unknown; details?: unknown[] }
      | undefined;
    const status = typeof error?.status === 'string' ? error.status : '';
    const codes = googleAdsErrorCodes(error?.details);
    const message = typeof error?.message === 'string' ? error.message.slice(0, MAX_ERROR_TEXT) : '';
    const detail = `HTTP ${response.status}${status ? ` ${status}` : ''}${codes.length ? ` ${codes.join(', ')}` : ''}${message ? `: ${message}` : ''}`;
    const during = ` while ${operation}`;
    if (response.status === 401 || status === 'UNAUTHENTICATED') {
      return new ConnectorAuthError(
        `${SYSTEM} rejected the OAuth access token for ${this.account}${during}: reconnect the Google Ads account in Meridian (the access was revoked) [${detail}]`,
        SYSTEM,
        response.status,
      );
    }
    if (response.status === 403 || status === 'PERMISSION_DENIED') {
      return new ConnectorAuthError(
        `${SYSTEM} refused ${operation} for ${this.account}: reconnect the Google Ads account in Meridian with a user who can reach it (and check the developer token is approved and login-customer-id names its manager) [${detail}]`,
        SYSTEM,
        response.status,
      );
    }
    if (response.status === 429 || status === 'RESOURCE_EXHAUSTED') {
      const waitMs =
        retryDelayMs(error?.details) ??
        retryAfterMs(response.headers.get('retry-after')) ??
        Math.min(60_000, DEFAULT_RETRY_AFTER_MS * 2 ** waits);
      return new ConnectorRateLimited(
        `${SYSTEM} quota reached for ${this.account}${during}: retry after ${waitMs / 1000} s [${detail}]`,
        SYSTEM,
        waitMs,
      );
    }
    if (response.status >= 500 || status === 'INTERNAL' || status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED') {
      return new ConnectorTransientError(
        `${SYSTEM} failed on its side for ${this.account}${during} [${detail}]: retry later`,
        SYSTEM,
        response.status,
      );
    }
    return new ConnectorRequestError(
      `${SYSTEM} refused the request for ${this.account}${during} [${detail}]`,
      SYSTEM,
      response.status,
      message,
    );
  }
}

/** The GoogleAdsFailure error codes of a Status's details ("quotaError: RESOURCE_EXHAUSTED" → "RESOURCE_EXHAUSTED"). */
function googleAdsErrorCodes(details: unknown[] | undefined): string[] {
  const codes: string[] = [];
  for (const detail of details ?? []) {
    const errors = (detail as { errors?: unknown } | null)?.errors;
    for (const error of Array.isArray(errors) ? errors : []) {
      const code = (error as { errorCode?: Record<string, unknown> } | null)?.errorCode;
      for (const value of Object.values(code ?? {})) codes.push(String(value).slice(0, 80));
    }
  }
  return codes.slice(0, 5);
}

/** google.rpc.RetryInfo's retryDelay ("30s", "1.5s") or a QuotaErrorDetails' retryDelay, in ms. */
function retryDelayMs(details: unknown[] | undefined): number | undefined {
  for (const detail of details ?? []) {
    const candidates = [
      (detail as { retryDelay?: unknown } | null)?.retryDelay,
      ...(
        ((detail as { errors?: unknown[] } | null)?.errors ?? []) as {
          details?: { quotaErrorDetails?: { retryDelay?: unknown } };
        }[]
      ).map((e) => e?.details?.quotaErrorDetails?.retryDelay),
    ];
    for (const value of candidates) {
      const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
      if (match) return Math.ceil(Number(match[1]) * 1000);
    }
  }
  return undefined;
}
