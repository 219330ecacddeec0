import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError, classifyEnvelopeFailure, EnvelopeRules, envelopeErrorText, malformedAnswer } from '../errors';
import { HttpAnswer, parseJson, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

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

/** Shopee's Open Platform v2 hosts ("API calls", API domains): production near SG, mainland China and the US, the sandboxes. */
export const SHOPEE_API: VendorApi = {
  system: 'Shopee',
  hosts: [
    'partner.shopeemobile.com',
    'openplatform.shopee.cn',
    'openplatform.shopee.com.br',
    'partner.test-stable.shopeemobile.com',
    'openplatform.sandbox.test-stable.shopee.sg',
    'openplatform.sandbox.test-stable.shopee.cn',
  ],
};
const SYSTEM = SHOPEE_API.system;
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

const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;

/** Shopee's error codes and what they mean, for classifyEnvelopeFailure. */
const SHOPEE_ERRORS: Omit<EnvelopeRules, 'signAdvice'> = {
  system: 'Shopee',
  reconnect: 'the Shopee shop',
  signErrors: new Set(['error_sign']),
  tokenErrors: new Set([
    'invalid_acceess_token',
    'invalid_access_token',
    'error_auth',
    'error_permission',
    'error_shop_not_authorized',
  ]),
  tokenCause: 'the seller revoked the authorization, it expired, or the token belongs to another shop',
  rateLimitErrors: new Set(['error_rate_limit', 'error_too_many_request']),
  serverErrors: new Set(['error_server', 'error_inner', 'error_busi_system', 'error_system_busy']),
};

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

export interface ShopeeClientOptions extends VendorHttpLimits {
  /** e.g. https://partner.shopeemobile.com, or the emulator's baseUrl. */
  baseUrl?: string;
  partnerId: number;
  partnerKey: string;
  shopId: number;
  accessToken: string;
  /** The clock the request timestamp is read from. */
  now?: () => Date;
}

/** The base string of a shop-level call: partner_id, api_path, timestamp, access_token, shop_id, concatenated. */
export function shopeeBaseString(parts: {
  partnerId: number;
  apiPath: string;
  timestamp: number;
  accessToken: string;
  shopId: number;
}): string {
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
  private readonly http: VendorHttp;
  private readonly now: () => Date;

  constructor(opts: ShopeeClientOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_SHOPEE_BASE_URL).replace(/\/+$/, '');
    this.partnerId = opts.partnerId;
    this.partnerKey = opts.partnerKey;
    this.shopId = opts.shopId;
    this.accessToken = opts.accessToken;
    this.http = new VendorHttp(SHOPEE_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
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
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'order list', 'listing orders');
    const nextCursor = parsed.data.next_cursor ?? '';
    if (parsed.data.more && nextCursor === '')
      throw malformedAnswer(SYSTEM, this.account, 'order list', 'listing orders');
    return {
      orders: (parsed.data.order_list ?? []).map(({ order_sn, order_status }) => ({
        order_sn,
        ...(order_status === undefined ? {} : { order_status }),
      })),
      more: parsed.data.more,
      nextCursor,
    };
  }

  /** Details of up to 50 orders, as Shopee sends them (unchecked: the mapping checks each). */
  async getOrderDetail(
    orderSns: readonly string[],
    fields: readonly string[] = ORDER_DETAIL_FIELDS,
  ): Promise<unknown[]> {
    if (orderSns.length === 0) return [];
    if (orderSns.length > MAX_DETAIL_BATCH)
      throw new RangeError(`get_order_detail takes at most ${MAX_DETAIL_BATCH} order_sn per call`);
    const params = new URLSearchParams({
      order_sn_list: orderSns.join(','),
      response_optional_fields: fields.join(','),
    });
    const response = await this.call(ORDER_DETAIL_PATH, params, 'reading order details');
    const parsed = OrderDetailResponse.safeParse(response);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'order detail list', 'reading order details');
    return parsed.data.order_list ?? [];
  }

  /** The `response` of a successful call; a throttled call is slept out up to maxRateLimitWaits times. */
  private async call(apiPath: string, params: URLSearchParams, operation: string): Promise<unknown> {
    const answer = await this.http.call(
      // Signed afresh for every attempt: Shopee refuses a timestamp more than 5 minutes old.
      () => ({ url: this.signedUrl(apiPath, params), headers: { Accept: 'application/json' } }),
      { account: this.account, operation },
      {
        succeeded: isSuccessEnvelope,
        classify: (sent, waits) => this.classify(sent, parseEnvelope(sent.bodyText), operation, waits),
      },
    );
    return parseEnvelope(answer.bodyText)?.response;
  }

  private signedUrl(apiPath: string, params: URLSearchParams): string {
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const sign = shopeeSign(
      this.partnerKey,
      shopeeBaseString({
        partnerId: this.partnerId,
        apiPath,
        timestamp,
        accessToken: this.accessToken,
        shopId: this.shopId,
      }),
    );
    const query = new URLSearchParams({
      partner_id: String(this.partnerId),
      timestamp: String(timestamp),
      access_token: this.accessToken,
      shop_id: String(this.shopId),
      sign,
    });
    for (const [name, value] of params) query.set(name, value);
    return `${this.baseUrl}${apiPath}?${query}`;
  }

  private get account(): string {
    return `shop ${this.shopId}`;
  }

  /**
   * Shopee's error code first (it says more than the status, and a few answers carry an error with
   * HTTP 200), then the status: the rules in errors.ts.
   */
  private classify(
    { status, headers }: HttpAnswer,
    envelope: Envelope | undefined,
    operation: string,
    waits: number,
  ): ConnectorError {
    return classifyEnvelopeFailure(
      {
        status,
        headers,
        ...(envelope
          ? {
              envelope: {
                code: envelope.error ?? '',
                apiErrors: envelopeErrorText([envelope.error, envelope.message]),
              },
            }
          : {}),
      },
      {
        ...SHOPEE_ERRORS,
        signAdvice:
          `the partner key does not belong to partner ID ${this.partnerId}. ` +
          'Enter the live partner key of that app and reconnect the Shopee shop in Meridian',
      },
      { account: this.account, operation, waits },
    );
  }
}

function parseEnvelope(bodyText: string): Envelope | undefined {
  const parsed = Envelope.safeParse(parseJson(bodyText));
  return parsed.success ? parsed.data : undefined;
}

/** A 2xx carrying Shopee's envelope with no error code: Shopee answers some failures with HTTP 200. */
function isSuccessEnvelope(answer: HttpAnswer): boolean {
  const envelope = parseEnvelope(answer.bodyText);
  return answer.ok && envelope !== undefined && (envelope.error ?? '') === '';
}
