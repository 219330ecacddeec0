import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorRateLimited,
  ConnectorTransientError,
  FailureContext,
} from '../errors';
import { HttpAnswer, HttpRequest, jsonObject, VendorApi, VendorHttp, VendorHttpLimits } from '../http';
import { AccessToken, LwaTokenSource, sharedTokenCache, TOKEN_REFRESH_MARGIN_MS, TokenCache } from './lwa';

/**
 * Amazon's Selling Partner API, read side: `getOrders` of the Orders API v0, and the Tokens API's
 * `createRestrictedDataToken` for buyer information (SP-API docs: "Orders API v0 reference",
 * "Tokens API use case guide", "Usage plans and rate limits"). Every call carries an LWA access
 * token in `x-amz-access-token`; a getOrders call that should return buyer email carries a
 * Restricted Data Token (RDT) instead.
 *
 * - A 403 for a token that was not obtained during this call (it may have expired or been revoked
 *   early) is answered by forgetting it, getting a new one and sending the call once more; a second
 *   403, or one for a token just obtained, is an auth error.
 * - A 429 is waited out here, as Amazon asks: after Retry-After when given, else one request's worth
 *   of the usage plan (1 / x-amzn-RateLimit-Limit seconds), else exponentially; all capped.
 * - 5xx, timeouts and answers that are not the JSON promised are thrown as transient errors
 *   without retrying: the activity layer retries, as for Shopify.
 * - Buyer email is restricted data. When the app lacks the role for it, the Tokens API refuses the
 *   RDT: that is noted once (per credentials, process-wide, checked again after an hour) and orders
 *   are fetched without email. It is not a failure.
 * - Nothing here logs or echoes a response body: an order list holds personal data.
 */

/** The SP-API's regional endpoints and their sandboxes ("SP-API endpoints"). */
export const SP_API: VendorApi = {
  system: 'Amazon SP-API',
  hosts: [
    'sellingpartnerapi-na.amazon.com',
    'sellingpartnerapi-eu.amazon.com',
    'sellingpartnerapi-fe.amazon.com',
    'sandbox.sellingpartnerapi-na.amazon.com',
    'sandbox.sellingpartnerapi-eu.amazon.com',
    'sandbox.sellingpartnerapi-fe.amazon.com',
  ],
};
export const DEFAULT_ENDPOINT = 'https://sellingpartnerapi-eu.amazon.com';
export const ORDERS_PATH = '/orders/v0/orders';
export const RESTRICTED_DATA_TOKEN_PATH = '/tokens/2021-03-01/restrictedDataToken';
const SYSTEM = SP_API.system;
const USER_AGENT = 'Meridian/0.1 (Language=TypeScript; Platform=Node.js)';
const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;
/** getOrders refills one request a minute (0.0167/s): waiting that long is normal, longer is not. */
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** The first wait of the exponential backoff when Amazon says nothing about its rate. */
const BACKOFF_START_MS = 1_000;
/** How long a missing PII role is believed before an RDT is asked for again. */
const PII_RECHECK_MS = 60 * 60_000;

export interface GetOrdersRequest {
  /** ISO 8601; exactly one of lastUpdatedAfter and createdAfter, unless nextToken is given. */
  lastUpdatedAfter?: string;
  lastUpdatedBefore?: string;
  createdAfter?: string;
  /** 1–100; Amazon's default 100. */
  maxResultsPerPage?: number;
  /** From the previous page: when given, Amazon ignores every other filter, so none is sent. */
  nextToken?: string;
}

export interface OrdersPage {
  orders: unknown[];
  nextToken?: string;
  /** The upper bound Amazon applied, when it says. */
  lastUpdatedBefore?: string;
  /** True when the page was fetched with a Restricted Data Token, so buyer email is present where Amazon has one. */
  withBuyerInfo: boolean;
  /** From x-amzn-RateLimit-Limit: the requests per second the usage plan allows, when given. */
  rateLimit?: number;
}

export interface AmazonClientOptions extends VendorHttpLimits {
  /** Default https://sellingpartnerapi-eu.amazon.com; the region's endpoint for its marketplaces. */
  endpoint?: string;
  marketplaceIds: readonly string[];
  lwa: LwaTokenSource;
  /** Ask for a Restricted Data Token so orders carry BuyerInfo.BuyerEmail; default true. */
  requestBuyerEmail?: boolean;
  now?: () => Date;
  /** Told, without personal data, about things worth knowing that are not failures (a missing PII role). */
  notice?: (message: string) => void;
  /** Where Restricted Data Tokens are kept; default the process-wide cache LWA tokens use. */
  cache?: TokenCache;
}

/** Per credentials and endpoint: until when the app is known to lack the PII role. Process-wide, like the token cache. */
const piiUnavailableUntil = new Map<string, number>();

type Access = AccessToken & { restricted: boolean };

export class AmazonSpApiClient {
  private readonly endpoint: string;
  private readonly marketplaceIds: readonly string[];
  private readonly lwa: LwaTokenSource;
  private readonly requestBuyerEmail: boolean;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  private readonly maxRateLimitWaitMs: number;
  private readonly notice: (message: string) => void;
  private readonly cache: TokenCache;
  private readonly rdtKey: string;
  private readonly piiKey: string;
  private readonly context: FailureContext;

  constructor(opts: AmazonClientOptions) {
    if (opts.marketplaceIds.length === 0) throw new RangeError('marketplaceIds must name at least one marketplace');
    this.endpoint = (opts.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.marketplaceIds = opts.marketplaceIds;
    this.lwa = opts.lwa;
    this.requestBuyerEmail = opts.requestBuyerEmail ?? true;
    this.http = new VendorHttp(SP_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
    this.now = opts.now ?? (() => new Date());
    this.maxRateLimitWaitMs = opts.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
    this.notice = opts.notice ?? (() => {});
    this.cache = opts.cache ?? sharedTokenCache;
    this.rdtKey = `rdt\u0000${this.endpoint}\u0000${this.lwa.key}`;
    this.piiKey = `${this.endpoint}\u0000${this.lwa.key}`;
    const marketplaces = this.marketplaceIds.join(', ');
    this.context = {
      account: `marketplace${this.marketplaceIds.length > 1 ? 's' : ''} ${marketplaces}`,
      reconnect: 'the Amazon account (re-authorise Meridian for the seller in Seller Central)',
      operation: 'listing orders',
    };
  }

  /** One page of getOrders. */
  async getOrders(request: GetOrdersRequest): Promise<OrdersPage> {
    const params = new URLSearchParams({ MarketplaceIds: this.marketplaceIds.join(',') });
    if (request.nextToken !== undefined) {
      params.set('NextToken', request.nextToken);
    } else {
      if ((request.lastUpdatedAfter === undefined) === (request.createdAfter === undefined)) {
        throw new RangeError('getOrders needs exactly one of lastUpdatedAfter and createdAfter (or a nextToken)');
      }
      if (request.createdAfter !== undefined) params.set('CreatedAfter', request.createdAfter);
      if (request.lastUpdatedAfter !== undefined) params.set('LastUpdatedAfter', request.lastUpdatedAfter);
      if (request.lastUpdatedBefore !== undefined) params.set('LastUpdatedBefore', request.lastUpdatedBefore);
      if (request.maxResultsPerPage !== undefined) params.set('MaxResultsPerPage', String(request.maxResultsPerPage));
    }
    const url = `${this.endpoint}${ORDERS_PATH}?${params}`;

    const { sent, access } = await this.authorised(
      () => this.ordersAccess(),
      (token) => spApiRequest(url, { method: 'GET', token }),
      this.context,
    );
    const payload = parsePayload(sent.bodyText);
    if (!payload) {
      throw new ConnectorTransientError(
        `${SYSTEM} answered HTTP ${sent.status} without a JSON order list for ${this.context.account} while listing orders: retry later`,
        SYSTEM,
        sent.status,
      );
    }
    return {
      orders: payload.orders,
      ...(payload.nextToken ? { nextToken: payload.nextToken } : {}),
      ...(payload.lastUpdatedBefore ? { lastUpdatedBefore: payload.lastUpdatedBefore } : {}),
      withBuyerInfo: access.restricted,
      ...optionalRate(sent.headers),
    };
  }

  /** Every page from `start` to the last. */
  async *pages(start: GetOrdersRequest): AsyncGenerator<OrdersPage> {
    let request: GetOrdersRequest | null = start;
    while (request) {
      const page = await this.getOrders(request);
      yield page;
      request = page.nextToken ? { nextToken: page.nextToken } : null;
    }
  }

  // ---- tokens ----

  /** The token getOrders is sent with: an RDT when buyer email is wanted and the app may have it, else the LWA token. */
  private async ordersAccess(): Promise<Access> {
    if (this.requestBuyerEmail && !this.piiKnownUnavailable()) {
      const rdt = await this.restrictedDataToken();
      if (rdt) return { ...rdt, restricted: true };
    }
    return { ...(await this.lwa.accessToken()), restricted: false };
  }

  private piiKnownUnavailable(): boolean {
    const until = piiUnavailableUntil.get(this.piiKey);
    if (until === undefined) return false;
    if (this.now().getTime() < until) return true;
    piiUnavailableUntil.delete(this.piiKey);
    return false;
  }

  /** A cached or new RDT for getOrders with buyerInfo, or undefined when the app lacks the role. */
  private async restrictedDataToken(): Promise<AccessToken | undefined> {
    const cached = this.cache.get(this.rdtKey, this.now().getTime(), TOKEN_REFRESH_MARGIN_MS);
    if (cached) return { ...cached, fresh: false };

    const context: FailureContext = { ...this.context, operation: 'asking the Tokens API for a restricted data token' };
    const body = JSON.stringify({
      restrictedResources: [{ method: 'GET', path: ORDERS_PATH, dataElements: ['buyerInfo'] }],
    });
    const startedAt = this.now().getTime();
    let sent: HttpAnswer;
    try {
      ({ sent } = await this.authorised(
        async () => ({ ...(await this.lwa.accessToken()), restricted: false }),
        (token) => spApiRequest(`${this.endpoint}${RESTRICTED_DATA_TOKEN_PATH}`, { method: 'POST', token, body }),
        context,
      ));
    } catch (error) {
      // A refusal with an LWA token that is good (just renewed, or renewed after a first 403): the role is missing.
      if (error instanceof ConnectorAuthError && error.status === 403) {
        piiUnavailableUntil.set(this.piiKey, this.now().getTime() + PII_RECHECK_MS);
        this.notice(
          `${SYSTEM}: the app may not read buyer information (a restricted, PII role) for ${this.context.account}, so orders are synced without buyer email. ` +
            'Approve a role covering buyer information for the app in Seller Central (Develop Apps → app profile), or turn off requestBuyerEmail on the connector.',
        );
        return undefined;
      }
      throw error;
    }
    const answer = parseRestrictedDataToken(sent.bodyText);
    if (!answer) {
      throw new ConnectorTransientError(
        `${SYSTEM} answered HTTP ${sent.status} without a restricted data token for ${this.context.account}: retry later`,
        SYSTEM,
        sent.status,
      );
    }
    const expiresAt = startedAt + answer.expiresInSeconds * 1000;
    this.cache.set(this.rdtKey, answer.token, expiresAt);
    return { token: answer.token, expiresAt, fresh: true };
  }

  /**
   * Sends with a token, and answers the two refusals worth sending again: a 403 for a token that may
   * have gone stale (once, with a new one) and 429s (waited out by the HTTP core, up to maxRateLimitWaits times).
   */
  private async authorised(
    getAccess: () => Promise<Access>,
    build: (token: string) => HttpRequest,
    context: FailureContext,
  ): Promise<{ sent: HttpAnswer; access: Access }> {
    let renewed = false;
    // Throttles Amazon gave no hint for so far: the exponential backoff's step.
    let unhinted = 0;
    let access: Access | undefined;
    const sent = await this.http.call(
      async () => {
        access = await getAccess();
        return build(access.token);
      },
      context,
      {
        sendAgain: (answer) => {
          if (answer.status !== 403 || !access || access.fresh || renewed) return false;
          renewed = true;
          this.forget(access);
          return true;
        },
        classify: (answer, waits) => {
          if (answer.status !== 429)
            return classifyHttpFailure(SYSTEM, answer.status, answer.headers, answer.bodyText, context);
          const { waitMs, hinted } = this.rateLimitWait(answer.headers, unhinted);
          if (!hinted) unhinted++;
          return new ConnectorRateLimited(
            `${SYSTEM} rate limit reached for ${context.account} while ${context.operation}${waits > 0 ? `, ${waits} waits in a row` : ''}: retry after ${waitMs / 1000} s [HTTP 429]`,
            SYSTEM,
            waitMs,
          );
        },
      },
    );
    return { sent, access: access! };
  }

  /** A refused token is dropped where it came from; for an RDT, the LWA token it was made with may be stale too. */
  private forget(access: Access): void {
    if (access.restricted) {
      this.cache.forget(this.rdtKey, access.token);
    } else {
      this.lwa.invalidate(access.token);
    }
  }

  /** Retry-After if Amazon sent it; else 1/rate seconds of the usage plan; else 1 s, 2 s, 4 s …; capped. */
  private rateLimitWait(headers: Headers, unhintedSoFar: number): { waitMs: number; hinted: boolean } {
    const cap = (ms: number) => Math.min(ms, this.maxRateLimitWaitMs);
    const retryAfter = Number(headers.get('retry-after')?.trim() || NaN);
    if (Number.isFinite(retryAfter) && retryAfter >= 0)
      return { waitMs: cap(Math.ceil(retryAfter * 1000)), hinted: true };
    const rate = rateLimitOf(headers);
    if (rate !== undefined) return { waitMs: cap(Math.ceil(1000 / rate)), hinted: true };
    return { waitMs: cap(BACKOFF_START_MS * 2 ** Math.min(unhintedSoFar, 16)), hinted: false };
  }
}

/** An SP-API call: the token in x-amz-access-token, JSON, Meridian's user agent. */
function spApiRequest(url: string, call: { method: 'GET' | 'POST'; token: string; body?: string }): HttpRequest {
  return {
    method: call.method,
    url,
    headers: {
      'x-amz-access-token': call.token,
      accept: 'application/json',
      'user-agent': USER_AGENT,
      ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(call.body !== undefined ? { body: call.body } : {}),
  };
}

function parsePayload(
  bodyText: string,
): { orders: unknown[]; nextToken?: string; lastUpdatedBefore?: string } | undefined {
  const payload = jsonObject(bodyText)?.payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const {
    Orders: orders,
    NextToken: nextToken,
    LastUpdatedBefore: lastUpdatedBefore,
  } = payload as Record<string, unknown>;
  if (!Array.isArray(orders)) return undefined;
  if (nextToken !== undefined && nextToken !== null && typeof nextToken !== 'string') return undefined;
  return {
    orders,
    ...(typeof nextToken === 'string' && nextToken !== '' ? { nextToken } : {}),
    ...(typeof lastUpdatedBefore === 'string' ? { lastUpdatedBefore } : {}),
  };
}

function parseRestrictedDataToken(bodyText: string): { token: string; expiresInSeconds: number } | undefined {
  const body = jsonObject(bodyText);
  const token = body?.restrictedDataToken;
  const expiresIn = body?.expiresIn;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) return undefined;
  return { token, expiresInSeconds: expiresIn };
}

/** x-amzn-RateLimit-Limit: requests per second, e.g. "0.0167". */
function rateLimitOf(headers: Headers): number | undefined {
  const rate = Number(headers.get('x-amzn-ratelimit-limit')?.trim() || NaN);
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

function optionalRate(headers: Headers): { rateLimit?: number } {
  const rate = rateLimitOf(headers);
  return rate === undefined ? {} : { rateLimit: rate };
}
