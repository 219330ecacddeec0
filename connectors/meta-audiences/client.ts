import { ConnectorError, ConnectorRequestError, ConnectorTransientError } from '../errors';
import { HttpAnswer, jsonObject, VendorHttp, VendorHttpLimits } from '../http';
import {
  classifyGraphFailure,
  META_API,
  META_API_VERSION,
  META_DEFAULT_RATE_LIMIT_WAIT_MS,
  META_GRAPH_URL,
} from '../meta-graph';
import type { MetaUserPayload } from './mapping';

/**
 * Meta's Marketing API (Graph API), custom audience membership: `DELETE /{audience_id}/users` with a
 * payload of SHA-256 hashed identifiers, normalised as Meta documents ("Customer list custom
 * audiences", hashing and normalisation): emails trimmed and lower-cased; phone numbers as digits
 * only, with the country code, without '+', symbols, letters or leading zeros; hashed to lower-case hex.
 *
 * Graph errors are read by code (connectors/meta-graph.ts). Throttling is not slept out here (Meta's
 * waits run to minutes): it is thrown as ConnectorRateLimited for the activity layer to retry after the wait.
 *
 * Only hashes and audience IDs are ever sent or quoted: no email address or phone number leaves the client.
 */

export { META_API, META_API_VERSION, META_GRAPH_URL };
const SYSTEM = META_API.system;
/** Rows per call (Meta's limit). */
export const META_MAX_ROWS = 10_000;

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

  /** Graph's error by code (connectors/meta-graph.ts). */
  classify(response: HttpAnswer, operation: string): ConnectorError {
    return classifyGraphFailure(response, {
      account: `ad account act_${this.adAccountId}`,
      operation,
      reconnect: 'the Meta ad account',
      tokenHint: 'the token expired or was revoked, or its user changed password or lost access',
      permissionHint: 'grant ads_management with a user who manages its audiences',
      usageObjectId: this.adAccountId,
      defaultRateLimitWaitMs: this.rateLimitWaitMs,
    });
  }
}
