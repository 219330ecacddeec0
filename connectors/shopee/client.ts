import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
  DEFAULT_RETRY_AFTER_MS,
} from '../errors';

/**
 * Shopee Open Platform v2, shop-level read side: the order list by time window and cursor
 * (`/api/v2/order/get_order_list`) and order details in batches (`/api/v2/order/get_order_detail`).
 *
 * Every call is signed as Shopee's "Authorization and Authentication" guide asks for shop APIs:
 * `partner_id`, `timestamp` (Unix seconds), `access_token`, `shop_id` and `sign`, the hex
 * HMAC-SHA256 under the partner key of `partner_id + api_path + timestamp + access_token + shop_id`.
 * Answers come in one envelope, `{ request_id, error, message, response }`, with `error` empty on
 * success. A throttled call (HTTP 429, `error_rate_limit`) is waited out here; every other failure is
 * thrown classified for the activity layer, and no message holds a response body or a buyer's data.
 */

const SYSTEM = 'Shopee';
export const DEFAULT_SHOPEE_BASE_URL = 'https://partner.shopeemobile.com';
export const ORDER_LIST_PATH = '/api/v2/order/get_order_list';
export const ORDER_DETAIL_PATH = '/api/v2/order/get_order_detail';
/**
 * get_order_list: Shopee documents 15 days as the longest range and answers "must be less than 15
 * days" past it, so a window spans less: time_to − time_from < 15 days.
 */
export const MAX_WINDOW_SECONDS = 15 * 86_400;
/** get_order_list: page_size 1–100. */
export const MAX_PAGE_SIZE = 100;
/** get_order_detail: at most 50 order_sn per call. */
export const MAX_DETAIL_BATCH = 50;
/** The optional detail fields the mapping reads (Shopee sends only the basic ones unless asked). */
export const ORDER_DETAIL_FIELDS = [
  'buyer_user_id',
  'buyer_username',
  'total_amount',
  'recipient_address',
  'item_list',
  'pay_time',
  'currency',
  'create_time',
  'update_time',
  'order_status',
] as const;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;
/** Without Retry-After, waits double from DEFAULT_RETRY_AFTER_MS up to this. */
const MAX_BACKOFF_MS = 60_000;
/** API error texts are cut: they are for a person reading a log line. */
const MAX_ERROR_TEXT = 200;

/** Errors that mean the partner key, the token or the shop's authorization is wrong: a person must act. */
const SIGN_ERRORS = new Set(['error_sign']);
const TOKEN_ERRORS = new Set(['invalid_acceess_token', 'invalid_access_token', 'error_auth', 'error_permission', 'error_shop_not_authorized']);
const RATE_LIMIT_ERRORS = new Set(['error_rate_limit', 'error_too_many_request']);
const SERVER_ERRORS = new Set(['error_server', 'error_inner', 'error_busi_system', 'error_system_busy']);

export type ShopeeTimeRangeField = 'create_time' | 'update_time';

export interface ShopeeOrderListRequest {
  timeRangeField: ShopeeTimeRangeField;
  /** Unix seconds, inclusive. */
  timeFrom: number;
  /** Unix seconds, inclusive; less than MAX_WINDOW_SECONDS after timeFrom. */
  timeTo: number;
  pageSize: number;
  /** '' for the first page of a window, else the previous page's next_cursor. */
  cursor: string;
  orderStatus?: string;
}

export interface ShopeeOrderListPage {
  orders: { order_sn: string; order_status?: string }[];
  more: boolean;
  nextCursor: string;
}

export interface ShopeeClientOptions {
  /** e.g. https://partner.shopeemobile.com, or the emulator's baseUrl. */
  baseUrl?: string;
  partnerId: number;
  partnerKey: string;
  shopId: number;
  accessToken: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxRateLimitWaits?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The clock the request timestamp is read from. */
  now?: () => Date;
}

/** The base string of a shop-level call: partner_id, api_path, timestamp, access_token, shop_id, concatenated. */
export function shopeeBaseString(parts: { partnerId: number; apiPath: string; timestamp: number; accessToken: string; shopId: number }): string {
  return `${parts.partnerId}${parts.apiPath}${parts.timestamp}${parts.accessToken}${parts.shopId}`;
}

/** Shopee's `sign`: hex HMAC-SHA256 of the base string, keyed with the partner key. */
export function shopeeSign(partnerKey: string, baseString: string): string {
  return createHmac('sha256', partnerKey).update(baseString, 'utf8').digest('hex');
}

const Envelope = z.looseObject({
  request_id: z.string().nullish(),
  error: z.string().nullish(),
  message: z.string().nullish(),
  response: z.unknown().optional(),
});

const OrderListResponse = z.looseObject({
  more: z.boolean(),
  next_cursor: z.string().nullish(),
  order_list: z.array(z.looseObject({ order_sn: z.string().min(1), order_status: z.string().optional() })).nullish(),
});

const OrderDetailResponse = z.looseObject({
  order_list: z.array(z.unknown()).nullish(),
});

type Envelope = z.infer<typeof Envelope>;

export class ShopeeClient {
  private readonly baseUrl: string;
  private readonly partnerId: number;
  private readonly partnerKey: string;
  private readonly shopId: number;
  private readonly accessToken: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRateLimitWaits: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;

  constructor(opts: ShopeeClientOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_SHOPEE_BASE_URL).replace(/\/+$/, '');
    this.partnerId = opts.partnerId;
    this.partnerKey = opts.partnerKey;
    this.shopId = opts.shopId;
    this.accessToken = opts.accessToken;
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRateLimitWaits = opts.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = opts.now ?? (() => new Date());
  }

  /** One page of order_sn in a window of update_time or create_time. */
  async getOrderList(request: ShopeeOrderListRequest): Promise<ShopeeOrderListPage> {
    if (!(request.timeTo >= request.timeFrom) || request.timeTo - request.timeFrom >= MAX_WINDOW_SECONDS) {
      throw new RangeError('get_order_list: time_to must be at or after time_from and less than 15 days after it');
    }
    const params = new URLSearchParams({
      time_range_field: request.timeRangeField,
      time_from: String(request.timeFrom),
      time_to: String(request.timeTo),
      page_size: String(request.pageSize),
      cursor: request.cursor,
      response_optional_fields: 'order_status',
    });
    if (request.orderStatus !== undefined) params.set('order_status', request.orderStatus);
    const response = await this.call(ORDER_LIST_PATH, params, 'listing orders');
    const parsed = OrderListResponse.safeParse(response);
    if (!parsed.success) throw this.notPromised('order list', 'listing orders');
    const nextCursor = parsed.data.next_cursor ?? '';
    if (parsed.data.more && nextCursor === '') throw this.notPromised('order list', 'listing orders');
    return {
      orders: (parsed.data.order_list ?? []).map(({ order_sn, order_status }) => ({ order_sn, ...(order_status === undefined ? {} : { order_status }) })),
      more: parsed.data.more,
      nextCursor,
    };
  }

  /** Details of up to 50 orders, as Shopee sends them (unchecked: the mapping checks each). */
  async getOrderDetail(orderSns: readonly string[], fields: readonly string[] = ORDER_DETAIL_FIELDS): Promise<unknown[]> {
    if (orderSns.length === 0) return [];
    if (orderSns.length > MAX_DETAIL_BATCH) throw new RangeError(`get_order_detail takes at most ${MAX_DETAIL_BATCH} order_sn per call`);
    const params = new URLSearchParams({ order_sn_list: orderSns.join(','), response_optional_fields: fields.join(',') });
    const response = await this.call(ORDER_DETAIL_PATH, params, 'reading order details');
    const parsed = OrderDetailResponse.safeParse(response);
    if (!parsed.success) throw this.notPromised('order detail list', 'reading order details');
    return parsed.data.order_list ?? [];
  }

  /** The `response` of a successful call; a throttled call is slept out up to maxRateLimitWaits times. */
  private async call(apiPath: string, params: URLSearchParams, operation: string): Promise<unknown> {
    for (let waits = 0; ; waits++) {
      const { status, headers, bodyText } = await this.send(apiPath, params, operation);
      const envelope = parseEnvelope(bodyText);
      const errorCode = envelope?.error ?? '';
      if (status >= 200 && status <= 299 && envelope && errorCode === '') return envelope.response;

      const failure = this.classify(status, headers, envelope, operation, waits);
      if (failure instanceof ConnectorRateLimited && waits < this.maxRateLimitWaits) {
        await this.sleep(failure.retryAfterMs);
        continue;
      }
      throw failure;
    }
  }

  private async send(apiPath: string, params: URLSearchParams, operation: string): Promise<{ status: number; headers: Headers; bodyText: string }> {
    // Signed afresh for every attempt: Shopee refuses a timestamp more than 5 minutes old.
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const sign = shopeeSign(this.partnerKey, shopeeBaseString({ partnerId: this.partnerId, apiPath, timestamp, accessToken: this.accessToken, shopId: this.shopId }));
    const query = new URLSearchParams({
      partner_id: String(this.partnerId),
      timestamp: String(timestamp),
      access_token: this.accessToken,
      shop_id: String(this.shopId),
      sign,
    });
    for (const [name, value] of params) query.set(name, value);
    try {
      // One deadline for the headers and the body: a connection held mid-body must time out too.
      const response = await this.fetch(`${this.baseUrl}${apiPath}?${query}`, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: response.status, headers: response.headers, bodyText: await response.text() };
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `did not answer within ${this.timeoutMs} ms` : `could not be reached (${networkReason(error)})`;
      throw new ConnectorTransientError(`${SYSTEM} ${what} for ${this.account} while ${operation}: retry later`, SYSTEM, undefined, { cause: error });
    }
  }

  private get account(): string {
    return `shop ${this.shopId}`;
  }

  /**
   * Shopee's error code first (it says more than the status, and a few answers carry an error with
   * HTTP 200), then the status: auth → reconnect; throttled → wait; 5xx or no envelope → retry; else refused.
   */
  private classify(status: number, headers: Headers, envelope: Envelope | undefined, operation: string, waits: number): ConnectorError {
    const code = envelope?.error ?? '';
    const apiErrors = apiErrorText(envelope);
    const detail = `HTTP ${status}${apiErrors ? `: ${apiErrors}` : ''}`;
    const during = ` while ${operation}`;

    if (SIGN_ERRORS.has(code)) {
      return new ConnectorAuthError(
        `${SYSTEM} refused the request signature for ${this.account}${during}: the partner key does not belong to partner ID ${this.partnerId}. ` +
          `Enter the live partner key of that app and reconnect the Shopee shop in Meridian [${detail}]`,
        SYSTEM,
        status,
      );
    }
    if (TOKEN_ERRORS.has(code) || ((status === 401 || status === 403) && !RATE_LIMIT_ERRORS.has(code))) {
      return new ConnectorAuthError(
        `${SYSTEM} rejected the access token for ${this.account}${during}: reconnect the Shopee shop in Meridian ` +
          `(the seller revoked the authorization, it expired, or the token belongs to another shop) [${detail}]`,
        SYSTEM,
        status,
      );
    }
    if (status === 429 || RATE_LIMIT_ERRORS.has(code)) {
      const retryAfterMs = retryAfter(headers.get('retry-after')) ?? Math.min(MAX_BACKOFF_MS, DEFAULT_RETRY_AFTER_MS * 2 ** waits);
      return new ConnectorRateLimited(`${SYSTEM} rate limit reached for ${this.account}${during}: retry after ${retryAfterMs / 1000} s [${detail}]`, SYSTEM, retryAfterMs);
    }
    if ((status >= 500 && status <= 599) || SERVER_ERRORS.has(code)) {
      return new ConnectorTransientError(`${SYSTEM} failed on its side for ${this.account}${during} [${detail}]: retry later`, SYSTEM, status);
    }
    if (!envelope && status >= 200 && status <= 299) {
      // A 2xx that is not the JSON envelope (cut short, an edge's page): the body is never echoed.
      return new ConnectorTransientError(`${SYSTEM} answered HTTP ${status} without its JSON envelope for ${this.account}${during}: retry later`, SYSTEM, status);
    }
    return new ConnectorRequestError(`${SYSTEM} refused the request for ${this.account}${during} [${detail}]`, SYSTEM, status, apiErrors);
  }

  private notPromised(what: string, operation: string): ConnectorTransientError {
    return new ConnectorTransientError(`${SYSTEM} answered without a well-formed ${what} for ${this.account} while ${operation}: retry later`, SYSTEM, 200);
  }
}

function parseEnvelope(bodyText: string): Envelope | undefined {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const parsed = Envelope.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/** "error_param: Invalid timestamp": Shopee's code and its message, cut; never the rest of the body. */
function apiErrorText(envelope: Envelope | undefined): string {
  if (!envelope) return '';
  const text = [envelope.error, envelope.message].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join(': ');
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

/** Retry-After in seconds (decimals allowed) or as an HTTP date; undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
