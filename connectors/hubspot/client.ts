import { z } from 'zod';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  classifyHttpFailure,
  DEFAULT_RETRY_AFTER_MS,
  redactPersonal,
  retryAfterMs,
  malformedAnswer,
} from '../errors';
import { HttpAnswer, parseJson, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * HubSpot CRM (API v3 and v4), read side for one portal (account) authorised by OAuth: contacts and
 * deals searched by last modification (`POST /crm/v3/objects/{contacts|deals}/search`), each deal's
 * contacts (`POST /crm/v4/associations/deals/contacts/batch/read`), and the token refresh
 * (`POST /oauth/v1/token`, grant_type=refresh_token).
 *
 * The access token (a bearer token, 30 minutes) is refreshed when near its end or refused (401); the new
 * pair goes to `onTokens` so it is kept for the next session. A refused refresh token (400
 * BAD_REFRESH_TOKEN, invalid_grant) means the app was uninstalled or the user's access revoked: the
 * "reconnect" failure, never retried.
 *
 * Limits, as HubSpot documents them: 429 with `policyName` TEN_SECONDLY_ROLLING (the app's calls per
 * 10 s) or SECONDLY (the search endpoints' few calls a second), waited out for Retry-After when it is
 * sent, else doubling from 1 s; a search gives at most 10,000 results for one query (`after` past that
 * is refused), so the caller moves its time window instead of paging on; `limit` at most 200.
 */

export const DEFAULT_HUBSPOT_API_URL = 'https://api.hubapi.com';
export const HUBSPOT_API: VendorApi = { system: 'HubSpot', hosts: ['api.hubapi.com', 'api.hubspot.com'] };
const SYSTEM = HUBSPOT_API.system;

export const TOKEN_PATH = '/oauth/v1/token';
export const DEAL_CONTACTS_PATH = '/crm/v4/associations/deals/contacts/batch/read';
export const searchPath = (object: HubSpotObject): string => `/crm/v3/objects/${object}/search`;
/** Search: limit 1–200. */
export const MAX_SEARCH_LIMIT = 200;
/** Search: results reachable for one query (paging past them is refused). */
export const SEARCH_RESULT_LIMIT = 10_000;
/** v4 associations batch read: inputs per call. */
export const MAX_ASSOCIATION_BATCH = 1_000;
/** A token within this of its end is refreshed before use. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;
/** HubSpot's windows are a second or ten: without Retry-After, waits double from 1 s up to this. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 20_000;
const MAX_ERROR_TEXT = 200;

export type HubSpotObject = 'contacts' | 'deals';

/** The property each object's last modification is kept in. */
export const LAST_MODIFIED: Record<HubSpotObject, string> = {
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

export interface HubSpotTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt?: string;
}

export interface HubSpotClientOptions extends VendorHttpLimits {
  apiUrl?: string;
  clientId: string;
  clientSecret: string;
  tokens: HubSpotTokens;
  onTokens?: (tokens: HubSpotTokens) => Promise<void>;
  now?: () => Date;
}

const SearchAnswer = z.looseObject({
  total: z.int().nonnegative().optional(),
  results: z.array(
    z.looseObject({ id: z.string().regex(/^\d+$/), properties: z.record(z.string(), z.string().nullable()) }),
  ),
  paging: z.looseObject({ next: z.looseObject({ after: z.string().min(1) }).optional() }).optional(),
});
export type HubSpotRecord = z.infer<typeof SearchAnswer>['results'][number];

const AssociationsAnswer = z.looseObject({
  results: z.array(
    z.looseObject({
      from: z.looseObject({ id: z.union([z.string(), z.number()]) }),
      to: z.array(z.looseObject({ toObjectId: z.union([z.string(), z.number()]) })),
    }),
  ),
});

const TokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.int().positive().optional(),
});

const ErrorBody = z.looseObject({
  status: z.string().optional(),
  message: z.string().optional(),
  category: z.string().optional(),
  policyName: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

export interface HubSpotSearchPage {
  results: HubSpotRecord[];
  /** The `after` of the next page; undefined on the last. */
  after?: string;
  total?: number;
}

export class HubSpotClient {
  private readonly apiUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private tokens: HubSpotTokens;
  private readonly onTokens: ((tokens: HubSpotTokens) => Promise<void>) | undefined;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  refreshes = 0;

  constructor(opts: HubSpotClientOptions) {
    this.apiUrl = (opts.apiUrl ?? DEFAULT_HUBSPOT_API_URL).replace(/\/+$/, '');
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.tokens = { ...opts.tokens };
    this.onTokens = opts.onTokens;
    this.now = opts.now ?? (() => new Date());
    this.http = new VendorHttp(HUBSPOT_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
  }

  /** Records of `object` last modified in [from, to) (epoch ms), oldest modification first. */
  async search(
    object: HubSpotObject,
    request: { from: number; to: number; limit: number; after?: string; properties: readonly string[] },
  ): Promise<HubSpotSearchPage> {
    if (request.limit < 1 || request.limit > MAX_SEARCH_LIMIT)
      throw new RangeError(`search takes a limit of 1–${MAX_SEARCH_LIMIT}`);
    const property = LAST_MODIFIED[object];
    const operation = `searching ${object}`;
    const body = {
      filterGroups: [
        {
          filters: [
            { propertyName: property, operator: 'GTE', value: String(request.from) },
            { propertyName: property, operator: 'LT', value: String(request.to) },
          ],
        },
      ],
      sorts: [{ propertyName: property, direction: 'ASCENDING' }],
      properties: [...new Set([...request.properties, property])],
      limit: request.limit,
      ...(request.after ? { after: request.after } : {}),
    };
    const answer = await this.authorised('POST', searchPath(object), body, operation);
    const parsed = SearchAnswer.safeParse(parseJson(answer.bodyText));
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, `${object} search result`, operation);
    return {
      results: parsed.data.results,
      ...(parsed.data.paging?.next ? { after: parsed.data.paging.next.after } : {}),
      ...(parsed.data.total !== undefined ? { total: parsed.data.total } : {}),
    };
  }

  /** Each deal's associated contact IDs (deals without any are absent). */
  async dealContacts(dealIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < dealIds.length; i += MAX_ASSOCIATION_BATCH) {
      const batch = dealIds.slice(i, i + MAX_ASSOCIATION_BATCH);
      const operation = 'reading deal contacts';
      // 207 Multi-Status: some deals have no contacts (reported under `errors`), the rest are in `results`.
      const answer = await this.authorised(
        'POST',
        DEAL_CONTACTS_PATH,
        { inputs: batch.map((id) => ({ id })) },
        operation,
        [207],
      );
      const parsed = AssociationsAnswer.safeParse(parseJson(answer.bodyText));
      if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'association list', operation);
      for (const result of parsed.data.results) {
        out.set(
          String(result.from.id),
          result.to.map((to) => String(to.toObjectId)),
        );
      }
    }
    return out;
  }

  currentTokens(): HubSpotTokens {
    return { ...this.tokens };
  }

  /** Exchanges the refresh token for a new pair and hands it to onTokens. */
  async refresh(): Promise<void> {
    const operation = 'refreshing the access token';
    const answer = await this.http.call(
      {
        method: 'POST',
        url: `${this.apiUrl}${TOKEN_PATH}`,
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: this.clientId,
          client_secret: this.clientSecret,
          refresh_token: this.tokens.refreshToken,
        }).toString(),
      },
      { account: this.account, operation },
      { classify: (sent, waits) => this.classify(sent, operation, waits, true) },
    );
    const parsed = TokenAnswer.safeParse(parseJson(answer.bodyText));
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'token', operation);
    this.tokens = {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      ...(parsed.data.expires_in !== undefined
        ? { accessTokenExpiresAt: new Date(this.now().getTime() + parsed.data.expires_in * 1000).toISOString() }
        : {}),
    };
    this.refreshes++;
    await this.onTokens?.(this.currentTokens());
  }

  /** A call with the bearer token: refreshed first when near its end; refused (401), refreshed once and sent again. */
  private async authorised(
    method: 'POST',
    path: string,
    body: unknown,
    operation: string,
    accept: readonly number[] = [],
  ): Promise<HttpAnswer> {
    const expiresAt = this.tokens.accessTokenExpiresAt ? Date.parse(this.tokens.accessTokenExpiresAt) : Number.NaN;
    if (Number.isFinite(expiresAt) && expiresAt - TOKEN_REFRESH_MARGIN_MS <= this.now().getTime()) await this.refresh();
    const send = () =>
      this.http.call(
        () => ({
          method,
          url: `${this.apiUrl}${path}`,
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json',
            Authorization: `Bearer ${this.tokens.accessToken}`,
          },
          body: JSON.stringify(body),
        }),
        { account: this.account, operation },
        { accept, classify: (sent, waits) => this.classify(sent, operation, waits, false) },
      );
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof HubSpotTokenRefused) || this.refreshes > 0) throw error;
      await this.refresh();
      return send();
    }
  }

  private get account(): string {
    return `HubSpot app ${this.clientId}`;
  }

  /**
   * 401 → the token refused (refreshed once by the caller); a refused refresh → reconnect; 429 →
   * Retry-After or doubling waits; the rest as every HTTP API (errors.ts).
   */
  private classify(answer: HttpAnswer, operation: string, waits: number, refreshing: boolean): ConnectorError {
    const body = ErrorBody.safeParse(parseJson(answer.bodyText));
    const fields = body.success ? body.data : {};
    // HubSpot's messages can quote a property value (an e-mail address): redacted.
    const apiErrors = cut(
      redactPersonal(
        [
          fields.category ?? fields.status ?? fields.error,
          fields.policyName,
          fields.message ?? fields.error_description,
        ]
          .filter((part): part is string => typeof part === 'string' && part !== '')
          .join(': '),
      ),
    );
    const detail = `HTTP ${answer.status}${apiErrors ? `: ${apiErrors}` : ''}`;
    const at = `for ${this.account} while ${operation}`;
    // The token endpoint answers a refused refresh token with 400 (BAD_REFRESH_TOKEN, invalid_grant).
    if (refreshing && (answer.status === 400 || answer.status === 401 || answer.status === 403)) {
      return new ConnectorAuthError(
        `${SYSTEM} refused the refresh token ${at}: reconnect the HubSpot account in Meridian ` +
          `(the app was uninstalled from the portal or the user's access was revoked; connecting again gives new tokens) [${detail}]`,
        SYSTEM,
        answer.status,
      );
    }
    if (answer.status === 401) {
      return new HubSpotTokenRefused(
        `${SYSTEM} rejected the access token ${at}: reconnect the HubSpot account in Meridian ` +
          `(the token was revoked, or expired and could not be refreshed) [${detail}]`,
        SYSTEM,
        answer.status,
      );
    }
    if (answer.status === 403) {
      return new ConnectorAuthError(
        `${SYSTEM} refused access ${at}: reconnect the HubSpot account in Meridian and approve the scopes it asks for ` +
          `(crm.objects.contacts.read, crm.objects.deals.read) [${detail}]`,
        SYSTEM,
        answer.status,
      );
    }
    if (answer.status === 429) {
      const waitMs =
        retryAfterMs(answer.headers.get('retry-after')) ??
        Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, DEFAULT_RETRY_AFTER_MS / 2) * 2 ** waits);
      return new ConnectorRateLimited(
        `${SYSTEM} rate limit reached ${at}: retry after ${waitMs / 1000} s [${detail}]`,
        SYSTEM,
        waitMs,
      );
    }
    return classifyHttpFailure(SYSTEM, answer.status, answer.headers, JSON.stringify({ message: apiErrors }), {
      account: this.account,
      operation,
      reconnect: 'the HubSpot account',
    });
  }
}

/** The access token was refused: refreshed once by the client, then thrown as the reconnect failure it is. */
export class HubSpotTokenRefused extends ConnectorAuthError {}

function cut(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
