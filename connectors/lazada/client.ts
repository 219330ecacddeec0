import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  ConnectorAuthError,
  ConnectorError,
  classifyEnvelopeFailure,
  EnvelopeRules,
  envelopeErrorText,
  malformedAnswer,
} from '../errors';
import { HttpAnswer, parseJson, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * Lazada Open Platform, seller read side: orders by update time (`GET /orders/get`, offset and
 * limit), each order's items (`GET /order/items/get`), and the token refresh
 * (`/auth/token/refresh` on the auth host).
 *
 * Every call is signed as Lazada's "Signature algorithm" guide says: the system parameters
 * `app_key`, `timestamp` (Unix milliseconds), `sign_method=sha256` and (for seller APIs)
 * `access_token`, plus the business parameters, sorted by name in ASCII order and concatenated as
 * name+value after the API path; `sign` is the upper-case hex HMAC-SHA256 of that string under the
 * app secret. Answers are `{ code, type, message, request_id, data }`, `code` "0" on success; Lazada
 * answers most failures with HTTP 200 and a code, so the code is read first.
 *
 * An access token lives 7 days at most and is refreshed with the refresh token (30 days or more)
 * when it is near its end or refused; the new pair goes to `onTokens` so it is kept for the next
 * session. A refused refresh token means the seller must authorise Meridian again: that is the
 * "reconnect" failure, never retried.
 */

/** One country site of Lazada: its API host, currency and the zone Seller Center shows times in. */
export interface LazadaSite {
  apiUrl: string;
  currency: string;
  timeZone: string;
}

/** The six Lazada countries, written once (Lazada's "Endpoints" table). */
export const LAZADA_SITES = {
  MY: { apiUrl: 'https://api.lazada.com.my/rest', currency: 'MYR', timeZone: 'Asia/Kuala_Lumpur' },
  SG: { apiUrl: 'https://api.lazada.sg/rest', currency: 'SGD', timeZone: 'Asia/Singapore' },
  TH: { apiUrl: 'https://api.lazada.co.th/rest', currency: 'THB', timeZone: 'Asia/Bangkok' },
  ID: { apiUrl: 'https://api.lazada.co.id/rest', currency: 'IDR', timeZone: 'Asia/Jakarta' },
  PH: { apiUrl: 'https://api.lazada.com.ph/rest', currency: 'PHP', timeZone: 'Asia/Manila' },
  VN: { apiUrl: 'https://api.lazada.vn/rest', currency: 'VND', timeZone: 'Asia/Ho_Chi_Minh' },
} as const satisfies Record<string, LazadaSite>;
export type LazadaCountry = keyof typeof LAZADA_SITES;
export const LAZADA_COUNTRIES = Object.keys(LAZADA_SITES) as LazadaCountry[];

/** The auth host serves /auth/token/create and /auth/token/refresh for every country. */
export const DEFAULT_LAZADA_AUTH_URL = 'https://auth.lazada.com/rest';

export const LAZADA_API: VendorApi = {
  system: 'Lazada',
  hosts: ['auth.lazada.com', 'api.lazada.com', ...Object.values(LAZADA_SITES).map((site) => new URL(site.apiUrl).host)],
};
const SYSTEM = LAZADA_API.system;

export const ORDERS_PATH = '/orders/get';
export const ORDER_ITEMS_PATH = '/order/items/get';
export const TOKEN_REFRESH_PATH = '/auth/token/refresh';
/** /orders/get: limit at most 100. */
export const MAX_ORDERS_LIMIT = 100;
/** A token within this of its end is refreshed before use. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;

/** Lazada's error codes and what they mean (its "Error code" pages), for classifyEnvelopeFailure. */
const LAZADA_ERRORS: Omit<EnvelopeRules, 'signAdvice'> = {
  system: 'Lazada',
  reconnect: 'the Lazada seller account',
  signErrors: new Set(['IncompleteSignature', 'InvalidApiKey', 'InvalidAppKey', 'AppKeyNotExist']),
  tokenErrors: new Set(['IllegalAccessToken', 'MissingAccessToken', 'InvalidAccessToken']),
  tokenCause: 'the token was revoked, expired and could not be refreshed, or belongs to another seller',
  refreshErrors: new Set(['IllegalRefreshToken', 'InvalidRefreshToken', 'MissingRefreshToken']),
  refreshCause: 'the seller revoked the authorisation or it expired; authorising again gives new tokens',
  /** Lazada's throttling: the app's or the seller's call quota for the API is spent for now. */
  rateLimitErrors: new Set(['ApiCallLimit', 'AppCallLimit', 'SellerCallLimit']),
  serverErrors: new Set(['ServiceTimeout', 'InternalError', 'ServiceUnavailable', 'SystemBusy']),
  tokenRefused: (message, system, status) => new LazadaTokenRefused(message, system, status),
};

const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;

export interface LazadaTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token ends (ISO 8601); undefined when unknown (it is then refreshed only when refused). */
  accessTokenExpiresAt?: string;
}

export interface LazadaClientOptions extends VendorHttpLimits {
  /** The country site's API URL, e.g. https://api.lazada.co.th/rest, or an emulator's. */
  apiUrl: string;
  authUrl?: string;
  appKey: string;
  appSecret: string;
  tokens: LazadaTokens;
  /** Called with every new token pair, before it is used. */
  onTokens?: (tokens: LazadaTokens) => Promise<void>;
  now?: () => Date;
}

/** Lazada's `sign`: upper-case hex HMAC-SHA256 under the app secret of the API path then each sorted name and value. */
export function lazadaSign(appSecret: string, apiPath: string, params: Record<string, string>): string {
  const names = Object.keys(params)
    .filter((name) => name !== 'sign' && params[name] !== '')
    .sort();
  const base = apiPath + names.map((name) => `${name}${params[name]}`).join('');
  return createHmac('sha256', appSecret).update(base, 'utf8').digest('hex').toUpperCase();
}

const Envelope = z.looseObject({
  code: z.union([z.string(), z.number()]).nullish(),
  type: z.string().nullish(),
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  data: z.unknown().optional(),
});
type Envelope = z.infer<typeof Envelope>;

const OrdersData = z.looseObject({
  count: z.union([z.string(), z.number()]).optional(),
  countTotal: z.union([z.string(), z.number()]).optional(),
  orders: z.array(z.unknown()).nullish(),
});

const TokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).optional(),
});

export interface LazadaOrdersPage {
  orders: unknown[];
  /** How many orders the query matches in all, when Lazada says. */
  total?: number;
}

export class LazadaClient {
  private readonly apiUrl: string;
  private readonly authUrl: string;
  private readonly appKey: string;
  private readonly appSecret: string;
  private tokens: LazadaTokens;
  private readonly onTokens: ((tokens: LazadaTokens) => Promise<void>) | undefined;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  /** Refreshes made by this client (tests read it). */
  refreshes = 0;

  constructor(opts: LazadaClientOptions) {
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
    this.authUrl = (opts.authUrl ?? DEFAULT_LAZADA_AUTH_URL).replace(/\/+$/, '');
    this.appKey = opts.appKey;
    this.appSecret = opts.appSecret;
    this.tokens = { ...opts.tokens };
    this.onTokens = opts.onTokens;
    this.now = opts.now ?? (() => new Date());
    this.http = new VendorHttp(LAZADA_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
  }

  /** Orders updated at or after `updateAfter` and before `updateBefore`, oldest update first. */
  async getOrders(request: {
    updateAfter: string;
    updateBefore: string;
    offset: number;
    limit: number;
  }): Promise<LazadaOrdersPage> {
    if (request.limit < 1 || request.limit > MAX_ORDERS_LIMIT)
      throw new RangeError(`/orders/get takes a limit of 1–${MAX_ORDERS_LIMIT}`);
    const data = await this.sellerCall(
      ORDERS_PATH,
      {
        update_after: request.updateAfter,
        update_before: request.updateBefore,
        sort_by: 'updated_at',
        sort_direction: 'ASC',
        offset: String(request.offset),
        limit: String(request.limit),
      },
      'listing orders',
    );
    const parsed = OrdersData.safeParse(data);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'order list', 'listing orders');
    const total = parsed.data.countTotal === undefined ? Number.NaN : Number(parsed.data.countTotal);
    return { orders: parsed.data.orders ?? [], ...(Number.isFinite(total) ? { total } : {}) };
  }

  /** One order's items, as Lazada sends them (the mapping checks each). */
  async getOrderItems(orderId: string): Promise<unknown[]> {
    const data = await this.sellerCall(ORDER_ITEMS_PATH, { order_id: orderId }, 'reading order items');
    if (!Array.isArray(data)) throw malformedAnswer(SYSTEM, this.account, 'order item list', 'reading order items');
    return data;
  }

  /** The tokens in use now (after any refresh). */
  currentTokens(): LazadaTokens {
    return { ...this.tokens };
  }

  /** Exchanges the refresh token for a new pair and hands it to onTokens. */
  async refresh(): Promise<void> {
    const operation = 'refreshing the access token';
    const answer = await this.http.call(
      () => ({
        url: this.signedUrl(this.authUrl, TOKEN_REFRESH_PATH, { refresh_token: this.tokens.refreshToken }, false),
        headers: { Accept: 'application/json' },
      }),
      { account: this.account, operation },
      {
        succeeded: isSuccess,
        classify: (sent, waits) => this.classify(sent, parseEnvelope(sent.bodyText), operation, waits, true),
      },
    );
    const parsed = TokenAnswer.safeParse(parseJson(answer.bodyText));
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'token', operation);
    const expiresIn = parsed.data.expires_in === undefined ? undefined : Number(parsed.data.expires_in);
    this.tokens = {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      ...(expiresIn !== undefined
        ? { accessTokenExpiresAt: new Date(this.now().getTime() + expiresIn * 1000).toISOString() }
        : {}),
    };
    this.refreshes++;
    await this.onTokens?.(this.currentTokens());
  }

  /**
   * A seller API call: the token refreshed first when near its end; refused as invalid or expired,
   * refreshed once and the call sent again; refused again, the seller must reconnect.
   */
  private async sellerCall(apiPath: string, params: Record<string, string>, operation: string): Promise<unknown> {
    const expiresAt = this.tokens.accessTokenExpiresAt ? Date.parse(this.tokens.accessTokenExpiresAt) : Number.NaN;
    if (Number.isFinite(expiresAt) && expiresAt - TOKEN_REFRESH_MARGIN_MS <= this.now().getTime()) await this.refresh();
    try {
      return await this.call(apiPath, params, operation);
    } catch (error) {
      if (!(error instanceof LazadaTokenRefused) || this.refreshes > 0) throw error;
      await this.refresh();
      return this.call(apiPath, params, operation);
    }
  }

  private async call(apiPath: string, params: Record<string, string>, operation: string): Promise<unknown> {
    const answer = await this.http.call(
      // Signed afresh for every attempt: the timestamp is part of the signature.
      () => ({ url: this.signedUrl(this.apiUrl, apiPath, params, true), headers: { Accept: 'application/json' } }),
      { account: this.account, operation },
      {
        succeeded: isSuccess,
        classify: (sent, waits) => this.classify(sent, parseEnvelope(sent.bodyText), operation, waits, false),
      },
    );
    return parseEnvelope(answer.bodyText)?.data;
  }

  private signedUrl(base: string, apiPath: string, params: Record<string, string>, withToken: boolean): string {
    const all: Record<string, string> = {
      ...params,
      app_key: this.appKey,
      timestamp: String(this.now().getTime()),
      sign_method: 'sha256',
      ...(withToken ? { access_token: this.tokens.accessToken } : {}),
    };
    const query = new URLSearchParams({ ...all, sign: lazadaSign(this.appSecret, apiPath, all) });
    return `${base}${apiPath}?${query}`;
  }

  private get account(): string {
    return `Lazada app ${this.appKey}`;
  }

  /** Lazada's code first (it answers most failures with HTTP 200), then the status: the rules in errors.ts. */
  private classify(
    { status, headers }: HttpAnswer,
    envelope: Envelope | undefined,
    operation: string,
    waits: number,
    refreshing: boolean,
  ): ConnectorError {
    return classifyEnvelopeFailure(
      {
        status,
        headers,
        ...(envelope
          ? {
              envelope: {
                code: envelope.code === undefined || envelope.code === null ? '' : String(envelope.code),
                apiErrors: envelopeErrorText([envelope.code, envelope.message]),
                serverSide: envelope.type === 'ISP',
              },
            }
          : {}),
      },
      {
        ...LAZADA_ERRORS,
        signAdvice:
          `the app secret does not belong to app key ${this.appKey}. ` +
          "Enter that app's secret from Lazada Open Platform (App Console → App Overview) and reconnect the Lazada seller account in Meridian",
      },
      { account: this.account, operation, waits, refreshing },
    );
  }
}

/** The access token was refused: refreshed once by the client, then thrown as the reconnect failure it is. */
export class LazadaTokenRefused extends ConnectorAuthError {}

function parseEnvelope(bodyText: string): Envelope | undefined {
  const parsed = Envelope.safeParse(parseJson(bodyText));
  return parsed.success ? parsed.data : undefined;
}

/** A 2xx carrying Lazada's envelope with code "0". */
function isSuccess(answer: HttpAnswer): boolean {
  const envelope = parseEnvelope(answer.bodyText);
  return answer.ok && envelope !== undefined && String(envelope.code ?? '') === '0';
}
