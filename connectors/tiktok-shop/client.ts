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
 * TikTok Shop Open API (Partner API, versions 202309 and later), seller read side: orders searched by
 * update time (`POST /order/202309/orders/search`, `page_size` and `page_token`), and the token
 * refresh (`GET /api/v2/token/refresh` on auth.tiktok-shops.com).
 *
 * Every call is signed as TikTok Shop's "Sign your API request" guide says: the query parameters but
 * `sign` and `access_token`, sorted by name and written name+value, after the API path, then the
 * JSON body (unless multipart), the whole wrapped in the app secret on both sides; `sign` is the
 * lower-case hex HMAC-SHA256 of that string under the app secret. The seller's access token goes in
 * the `x-tts-access-token` header, the shop in `shop_cipher`. Answers are `{ code, message,
 * request_id, data }`, `code` 0 on success.
 *
 * The access token lives about 7 days and is refreshed with the refresh token when it is near its end
 * or refused; the new pair goes to `onTokens` so it is kept for the next session. A refused refresh
 * token means the seller must authorise Meridian again: the "reconnect" failure, never retried.
 */

/** One TikTok Shop market: its currency and the zone Seller Center shows times in. */
export interface TikTokShopRegion {
  currency: string;
  timeZone: string;
}

/** The markets TikTok Shop sells in, written once (a shop sells in its region's currency). */
export const TIKTOK_SHOP_REGIONS = {
  US: { currency: 'USD', timeZone: 'America/Los_Angeles' },
  GB: { currency: 'GBP', timeZone: 'Europe/London' },
  DE: { currency: 'EUR', timeZone: 'Europe/Berlin' },
  FR: { currency: 'EUR', timeZone: 'Europe/Paris' },
  IT: { currency: 'EUR', timeZone: 'Europe/Rome' },
  ES: { currency: 'EUR', timeZone: 'Europe/Madrid' },
  IE: { currency: 'EUR', timeZone: 'Europe/Dublin' },
  MX: { currency: 'MXN', timeZone: 'America/Mexico_City' },
  BR: { currency: 'BRL', timeZone: 'America/Sao_Paulo' },
  JP: { currency: 'JPY', timeZone: 'Asia/Tokyo' },
  ID: { currency: 'IDR', timeZone: 'Asia/Jakarta' },
  MY: { currency: 'MYR', timeZone: 'Asia/Kuala_Lumpur' },
  PH: { currency: 'PHP', timeZone: 'Asia/Manila' },
  SG: { currency: 'SGD', timeZone: 'Asia/Singapore' },
  TH: { currency: 'THB', timeZone: 'Asia/Bangkok' },
  VN: { currency: 'VND', timeZone: 'Asia/Ho_Chi_Minh' },
} as const satisfies Record<string, TikTokShopRegion>;
export type TikTokShopRegionCode = keyof typeof TIKTOK_SHOP_REGIONS;
export const TIKTOK_SHOP_REGION_CODES = Object.keys(TIKTOK_SHOP_REGIONS) as TikTokShopRegionCode[];

export const DEFAULT_TIKTOK_SHOP_API_URL = 'https://open-api.tiktokglobalshop.com';
export const DEFAULT_TIKTOK_SHOP_AUTH_URL = 'https://auth.tiktok-shops.com';

export const TIKTOK_SHOP_API: VendorApi = {
  system: 'TikTok Shop',
  hosts: ['open-api.tiktokglobalshop.com', 'auth.tiktok-shops.com'],
};
const SYSTEM = TIKTOK_SHOP_API.system;

export const ORDERS_SEARCH_PATH = '/order/202309/orders/search';
export const TOKEN_REFRESH_PATH = '/api/v2/token/refresh';
/** /orders/search: page_size 1–100. */
export const MAX_PAGE_SIZE = 100;
/** A token within this of its end is refreshed before use. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;

/**
 * TikTok Shop's error codes as its common error list names them: 106001 the signature, 105001 an
 * invalid access token, 105002 an expired one. Throttling is answered with HTTP 429 (the status is
 * what is relied on; its envelope code is shown in the message). Refresh failures are recognised by
 * the call (a refused refresh is always the reconnect failure), not by a code.
 */
const TIKTOK_SHOP_ERRORS: Omit<EnvelopeRules, 'signAdvice'> = {
  system: SYSTEM,
  reconnect: 'the TikTok Shop seller account',
  signErrors: new Set(['106001']),
  tokenErrors: new Set(['105001', '105002']),
  tokenCause:
    'the seller revoked the authorisation, the token expired and could not be refreshed, or it belongs to another shop',
  refreshCause: 'the seller revoked the authorisation or the refresh token expired; authorising again gives new tokens',
  rateLimitErrors: new Set(),
  serverErrors: new Set(),
  tokenRefused: (message, system, status) => new TikTokShopTokenRefused(message, system, status),
};

export interface TikTokShopTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token ends (ISO 8601); undefined when unknown (it is then refreshed only when refused). */
  accessTokenExpiresAt?: string;
}

export interface TikTokShopClientOptions extends VendorHttpLimits {
  apiUrl?: string;
  authUrl?: string;
  appKey: string;
  appSecret: string;
  /** The shop's cipher (from Get Authorized Shops): every shop API names the shop with it. */
  shopCipher: string;
  tokens: TikTokShopTokens;
  /** Called with every new token pair, before it is used. */
  onTokens?: (tokens: TikTokShopTokens) => Promise<void>;
  now?: () => Date;
}

/** TikTok Shop's `sign`: hex HMAC-SHA256 under the app secret of secret + path + sorted name+value + body + secret. */
export function tiktokShopSign(appSecret: string, apiPath: string, params: Record<string, string>, body = ''): string {
  const names = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'access_token')
    .sort();
  const base = `${appSecret}${apiPath}${names.map((name) => `${name}${params[name]}`).join('')}${body}${appSecret}`;
  return createHmac('sha256', appSecret).update(base, 'utf8').digest('hex');
}

const Envelope = z.looseObject({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  data: z.unknown().optional(),
});
type Envelope = z.infer<typeof Envelope>;

const OrdersData = z.looseObject({
  orders: z.array(z.unknown()).nullish(),
  next_page_token: z.string().nullish(),
  total_count: z.int().nonnegative().nullish(),
});

const TokenData = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  /** Unix seconds when the access token ends (TikTok names it "expire_in" but gives an instant). */
  access_token_expire_in: z.int().positive().optional(),
});

export interface TikTokShopOrdersPage {
  orders: unknown[];
  /** '' when this is the last page. */
  nextPageToken: string;
  total?: number;
}

export class TikTokShopClient {
  private readonly apiUrl: string;
  private readonly authUrl: string;
  private readonly appKey: string;
  private readonly appSecret: string;
  private readonly shopCipher: string;
  private tokens: TikTokShopTokens;
  private readonly onTokens: ((tokens: TikTokShopTokens) => Promise<void>) | undefined;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  /** Refreshes made by this client (tests read it). */
  refreshes = 0;

  constructor(opts: TikTokShopClientOptions) {
    this.apiUrl = (opts.apiUrl ?? DEFAULT_TIKTOK_SHOP_API_URL).replace(/\/+$/, '');
    this.authUrl = (opts.authUrl ?? DEFAULT_TIKTOK_SHOP_AUTH_URL).replace(/\/+$/, '');
    this.appKey = opts.appKey;
    this.appSecret = opts.appSecret;
    this.shopCipher = opts.shopCipher;
    this.tokens = { ...opts.tokens };
    this.onTokens = opts.onTokens;
    this.now = opts.now ?? (() => new Date());
    this.http = new VendorHttp(TIKTOK_SHOP_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
  }

  /** Orders updated at or after `updateFrom` and before `updateTo` (Unix seconds), oldest update first. */
  async searchOrders(request: {
    updateFrom: number;
    updateTo: number;
    pageSize: number;
    pageToken: string;
  }): Promise<TikTokShopOrdersPage> {
    if (request.pageSize < 1 || request.pageSize > MAX_PAGE_SIZE)
      throw new RangeError(`orders/search takes a page_size of 1–${MAX_PAGE_SIZE}`);
    const operation = 'searching orders';
    const params: Record<string, string> = {
      page_size: String(request.pageSize),
      sort_field: 'update_time',
      sort_order: 'ASC',
      ...(request.pageToken ? { page_token: request.pageToken } : {}),
    };
    const body = JSON.stringify({ update_time_ge: request.updateFrom, update_time_lt: request.updateTo });
    const data = await this.shopCall(ORDERS_SEARCH_PATH, params, body, operation);
    const parsed = OrdersData.safeParse(data);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'order list', operation);
    return {
      orders: parsed.data.orders ?? [],
      nextPageToken: parsed.data.next_page_token ?? '',
      ...(parsed.data.total_count !== undefined && parsed.data.total_count !== null
        ? { total: parsed.data.total_count }
        : {}),
    };
  }

  /** The tokens in use now (after any refresh). */
  currentTokens(): TikTokShopTokens {
    return { ...this.tokens };
  }

  /** Exchanges the refresh token for a new pair and hands it to onTokens. */
  async refresh(): Promise<void> {
    const operation = 'refreshing the access token';
    const query = new URLSearchParams({
      app_key: this.appKey,
      app_secret: this.appSecret,
      refresh_token: this.tokens.refreshToken,
      grant_type: 'refresh_token',
    });
    const answer = await this.http.call(
      { url: `${this.authUrl}${TOKEN_REFRESH_PATH}?${query}`, headers: { Accept: 'application/json' } },
      { account: this.account, operation },
      { succeeded: isSuccess, classify: (sent, waits) => this.classify(sent, operation, waits, true) },
    );
    const parsed = TokenData.safeParse(parseEnvelope(answer.bodyText)?.data);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'token', operation);
    const expiresAt = parsed.data.access_token_expire_in;
    this.tokens = {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      ...(expiresAt !== undefined ? { accessTokenExpiresAt: new Date(expiresAt * 1000).toISOString() } : {}),
    };
    this.refreshes++;
    await this.onTokens?.(this.currentTokens());
  }

  /**
   * A shop API call: the token refreshed first when near its end; refused as invalid or expired,
   * refreshed once and the call sent again; refused again, the seller must reconnect.
   */
  private async shopCall(
    apiPath: string,
    params: Record<string, string>,
    body: string,
    operation: string,
  ): Promise<unknown> {
    const expiresAt = this.tokens.accessTokenExpiresAt ? Date.parse(this.tokens.accessTokenExpiresAt) : Number.NaN;
    if (Number.isFinite(expiresAt) && expiresAt - TOKEN_REFRESH_MARGIN_MS <= this.now().getTime()) await this.refresh();
    try {
      return await this.call(apiPath, params, body, operation);
    } catch (error) {
      if (!(error instanceof TikTokShopTokenRefused) || this.refreshes > 0) throw error;
      await this.refresh();
      return this.call(apiPath, params, body, operation);
    }
  }

  private async call(
    apiPath: string,
    params: Record<string, string>,
    body: string,
    operation: string,
  ): Promise<unknown> {
    const answer = await this.http.call(
      // Signed afresh for every attempt: the timestamp is part of the signature.
      () => {
        const all: Record<string, string> = {
          ...params,
          app_key: this.appKey,
          shop_cipher: this.shopCipher,
          timestamp: String(Math.floor(this.now().getTime() / 1000)),
        };
        const query = new URLSearchParams({ ...all, sign: tiktokShopSign(this.appSecret, apiPath, all, body) });
        return {
          method: 'POST',
          url: `${this.apiUrl}${apiPath}?${query}`,
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json',
            'x-tts-access-token': this.tokens.accessToken,
          },
          body,
        };
      },
      { account: this.account, operation },
      { succeeded: isSuccess, classify: (sent, waits) => this.classify(sent, operation, waits, false) },
    );
    return parseEnvelope(answer.bodyText)?.data;
  }

  private get account(): string {
    return `TikTok Shop app ${this.appKey}`;
  }

  private classify(answer: HttpAnswer, operation: string, waits: number, refreshing: boolean): ConnectorError {
    const envelope = parseEnvelope(answer.bodyText);
    const code = envelope?.code === undefined || envelope.code === null ? '' : String(envelope.code);
    return classifyEnvelopeFailure(
      {
        status: answer.status,
        headers: answer.headers,
        ...(envelope ? { envelope: { code, apiErrors: envelopeErrorText([envelope.code, envelope.message]) } } : {}),
      },
      {
        ...TIKTOK_SHOP_ERRORS,
        // Any refusal of a refresh (not throttling, not TikTok's own failure) is final: TikTok says why only in its message.
        ...(refreshing && code !== '' && answer.status !== 429 && answer.status < 500
          ? { refreshErrors: new Set([code]) }
          : {}),
        signAdvice:
          `the app secret does not belong to app key ${this.appKey}. ` +
          "Enter that app's secret from TikTok Shop Partner Center (App & Service → Manage) and reconnect the TikTok Shop seller account in Meridian",
      },
      { account: this.account, operation, waits, refreshing },
    );
  }
}

/** The access token was refused: refreshed once by the client, then thrown as the reconnect failure it is. */
export class TikTokShopTokenRefused extends ConnectorAuthError {}

function parseEnvelope(bodyText: string): Envelope | undefined {
  const parsed = Envelope.safeParse(parseJson(bodyText));
  return parsed.success ? parsed.data : undefined;
}

/** A 2xx carrying TikTok's envelope with code 0. */
function isSuccess(answer: HttpAnswer): boolean {
  const envelope = parseEnvelope(answer.bodyText);
  return answer.ok && envelope !== undefined && String(envelope.code ?? '') === '0';
}
