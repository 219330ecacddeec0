import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../errors';
import { HttpAnswer, jsonObject, VendorApi, VendorHttp, VendorHttpLimits } from '../http';
import type { MetaUserPayload } from './mapping';

/**
 * Meta's Marketing API (Graph API), custom audience membership: `DELETE /{audience_id}/users` with a
 * payload of SHA-256 hashed identifiers, normalised as Meta documents ("Customer list custom
 * audiences", hashing and normalisation): emails trimmed and lower-cased; phone numbers as digits
 * only, with the country code, without '+', symbols, letters or leading zeros; hashed to lower-case hex.
 *
 * Graph errors come as `{error:{message, type, code, error_subcode, fbtrace_id}}`, mostly with HTTP 400,
 * so they are classified by `code`: 190 (and 102/104/463/467) → the token is bad, reconnect;
 * 10/200–299 → a permission is missing, reconnect; 4/17/32/613/80000–80014 → rate limited; 1/2 or
 * `is_transient` → transient; anything else → the request was refused. Meta gives no Retry-After:
 * the wait is `estimated_time_to_regain_access` (minutes) from `x-business-use-case-usage`, else a
 * default (60 s). Throttling is not slept out here (Meta's waits run to minutes): it is thrown as
 * ConnectorRateLimited for the activity layer to retry after the wait.
 *
 * Only hashes and audience IDs are ever sent or quoted: no email address or phone number leaves the client.
 */

export const META_API: VendorApi = { system: 'Meta', hosts: ['graph.facebook.com'] };
const SYSTEM = META_API.system;
export const META_GRAPH_URL = 'https://graph.facebook.com';
export const META_API_VERSION = 'v21.0';
export const META_DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
/** Rows per call (Meta's limit). */
export const META_MAX_ROWS = 10_000;
const MAX_MESSAGE = 300;

const AUTH_CODES = new Set([102, 104, 190, 463, 467]);
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const TRANSIENT_CODES = new Set([1, 2]);

export interface MetaRemoveResult {
  audienceId: string;
  /** As Meta wrote it: an int64, kept as its exact digits. */
  sessionId: string;
  numReceived: number;
  numInvalidEntries: number;
}

export interface MetaAudiencesClientOptions extends VendorHttpLimits {
  /** https://graph.facebook.com (the default), or an emulator's URL (under the test-only host override). */
  baseUrl?: string;
  apiVersion?: string;
  accessToken: string;
  /** act_123 or 123: named in messages, and the key of its x-business-use-case-usage entry. */
  adAccountId: string;
  /** The wait when Meta throttles without an estimate; default 60 s. */
  rateLimitWaitMs?: number;
}

export class MetaAudiencesClient {
  private readonly baseUrl: string;
  readonly apiVersion: string;
  private readonly accessToken: string;
  private readonly adAccountId: string;
  private readonly http: VendorHttp;
  private readonly rateLimitWaitMs: number;

  constructor(opts: MetaAudiencesClientOptions) {
    this.baseUrl = (opts.baseUrl ?? META_GRAPH_URL).replace(/\/+$/, '');
    this.apiVersion = opts.apiVersion ?? META_API_VERSION;
    this.accessToken = opts.accessToken;
    this.adAccountId = opts.adAccountId.replace(/^act_/, '');
    // Meta's waits run to minutes: a throttle is thrown for the activity to retry, never slept here.
    this.http = new VendorHttp(META_API, { timeoutMs: opts.timeoutMs, maxRateLimitWaits: 0 });
    this.rateLimitWaitMs = opts.rateLimitWaitMs ?? META_DEFAULT_RATE_LIMIT_WAIT_MS;
  }

  /** Removes the payload's people from one custom audience; Meta applies it within about a day. */
  async removeUsers(audienceId: string, payload: MetaUserPayload): Promise<MetaRemoveResult> {
    return this.changeUsers('DELETE', audienceId, payload);
  }

  /** Adds the payload's people to one custom audience (the audience sync); adding someone twice changes nothing. */
  async addUsers(audienceId: string, payload: MetaUserPayload): Promise<MetaRemoveResult> {
    return this.changeUsers('POST', audienceId, payload);
  }

  private async changeUsers(
    method: 'POST' | 'DELETE',
    audienceId: string,
    payload: MetaUserPayload,
  ): Promise<MetaRemoveResult> {
    if (!/^\d+$/.test(audienceId)) throw new RangeError('a custom audience ID is digits only');
    if (payload.data.length === 0 || payload.data.length > META_MAX_ROWS)
      throw new RangeError(`give 1 to ${META_MAX_ROWS} rows per call, not ${payload.data.length}`);
    const operation =
      method === 'DELETE'
        ? `removing people from custom audience ${audienceId}`
        : `adding people to custom audience ${audienceId}`;
    const url = `${this.baseUrl}/${this.apiVersion}/${audienceId}/users`;
    const { status, bodyText } = await this.http.call(
      {
        method,
        url,
        // The token goes in a header, not the query string, so it never lands in a URL log.
        headers: {
          Authorization: `Bearer ${this.accessToken}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify({ payload }),
      },
      { account: `ad account act_${this.adAccountId}`, operation },
      { classify: (answer) => this.classify(answer, operation) },
    );

    const body = jsonObject(bodyText);
    const sessionId = /"session_id"\s*:\s*"?(\d+)"?/.exec(bodyText)?.[1];
    if (!body || typeof body.num_received !== 'number' || typeof body.num_invalid_entries !== 'number' || !sessionId) {
      throw new ConnectorTransientError(
        `${SYSTEM} answered HTTP ${status} without the expected JSON while ${operation} for ad account act_${this.adAccountId}: retry later`,
        SYSTEM,
        status,
      );
    }
    const result: MetaRemoveResult = {
      audienceId: typeof body.audience_id === 'string' ? body.audience_id : audienceId,
      sessionId,
      numReceived: body.num_received,
      numInvalidEntries: body.num_invalid_entries,
    };
    if (result.numInvalidEntries > 0) {
      // A change that Meta could not match is not done: never report it as done.
      throw new ConnectorRequestError(
        `${SYSTEM} refused ${result.numInvalidEntries} of ${result.numReceived} entries as invalid while ${operation} (session ${sessionId}): the identifiers were not normalised and hashed as Meta requires — a Meridian defect, report it`,
        SYSTEM,
        status,
        `num_invalid_entries: ${result.numInvalidEntries}`,
      );
    }
    return result;
  }

  /** Graph's error by code (see the module comment); a body without one falls back to the HTTP rules. */
  classify(response: HttpAnswer, operation: string): ConnectorError {
    const account = `ad account act_${this.adAccountId}`;
    const graph = graphError(response.bodyText);
    if (!graph)
      return classifyHttpFailure(SYSTEM, response.status, response.headers, '', {
        account,
        reconnect: 'the Meta ad account',
        operation,
      });
    const detail = `HTTP ${response.status}: ${graph.text}`;
    const { code } = graph;
    if (AUTH_CODES.has(code)) {
      return new ConnectorAuthError(
        `${SYSTEM} rejected the access token for ${account} while ${operation}: reconnect the Meta ad account in Meridian (the token expired or was revoked, or its user changed password or lost access) [${detail}]`,
        SYSTEM,
        response.status,
      );
    }
    if (code === 10 || (code >= 200 && code <= 299)) {
      return new ConnectorAuthError(
        `${SYSTEM} refused ${operation} for ${account}: reconnect the Meta ad account in Meridian with a user who manages its audiences and grant ads_management [${detail}]`,
        SYSTEM,
        response.status,
      );
    }
    if (RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014)) {
      const waitMs = this.rateLimitWait(response.headers);
      return new ConnectorRateLimited(
        `${SYSTEM} rate limit reached for ${account} while ${operation}: retry after ${waitMs / 1000} s [${detail}]`,
        SYSTEM,
        waitMs,
      );
    }
    if (TRANSIENT_CODES.has(code) || graph.transient || response.status >= 500) {
      return new ConnectorTransientError(
        `${SYSTEM} failed on its side for ${account} while ${operation} [${detail}]: retry later`,
        SYSTEM,
        response.status,
      );
    }
    return new ConnectorRequestError(
      `${SYSTEM} refused the request for ${account} while ${operation} [${detail}]`,
      SYSTEM,
      response.status,
      graph.text,
    );
  }

  /** `estimated_time_to_regain_access` (minutes) of the ad account's x-business-use-case-usage entries, else the default. */
  private rateLimitWait(headers: Headers): number {
    let minutes = 0;
    try {
      const usage = JSON.parse(headers.get('x-business-use-case-usage') ?? '{}') as Record<string, unknown>;
      const entries = usage[this.adAccountId] ?? Object.values(usage).flat();
      for (const entry of Array.isArray(entries) ? entries : []) {
        const value = (entry as { estimated_time_to_regain_access?: unknown } | null)?.estimated_time_to_regain_access;
        if (typeof value === 'number' && value > minutes) minutes = value;
      }
    } catch {
      // an unreadable header leaves the default
    }
    return minutes > 0 ? minutes * 60_000 : this.rateLimitWaitMs;
  }
}

interface GraphError {
  code: number;
  transient: boolean;
  /** "(#190/460) OAuthException: message [fbtrace_id …]" */
  text: string;
}

function graphError(bodyText: string): GraphError | undefined {
  const error = jsonObject(bodyText)?.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null || typeof error.code !== 'number') return undefined;
  const subcode = typeof error.error_subcode === 'number' ? `/${error.error_subcode}` : '';
  const type = typeof error.type === 'string' ? `${error.type}: ` : '';
  const message = typeof error.message === 'string' ? error.message.slice(0, MAX_MESSAGE) : '';
  const trace = typeof error.fbtrace_id === 'string' ? ` [fbtrace_id ${error.fbtrace_id.slice(0, 40)}]` : '';
  return {
    code: error.code,
    transient: error.is_transient === true,
    text: `(#${error.code}${subcode}) ${type}${message}${trace}`,
  };
}
