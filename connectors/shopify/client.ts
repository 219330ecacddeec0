import { classifyHttpFailure, ConnectorTransientError, FailureContext, redactPersonal } from '../errors';
import { HttpAnswer, jsonObject, parseJson, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * Shopify's REST Admin API: pages of customers and orders by cursor (shopify.dev, "Make paginated
 * requests to the REST Admin API") for syncs, and single calls for privacy (read, update, delete,
 * search a customer). Every call goes through the HTTP core (connectors/http.ts): only to
 * `*.myshopify.com` over https, a 429 waited out for its Retry-After as Shopify asks, every other
 * failure thrown classified. Shopify's error text is redacted of e-mail addresses and phone numbers
 * before it reaches a message.
 */

export const SHOPIFY_API: VendorApi = { system: 'Shopify', hosts: ['*.myshopify.com'] };
const SYSTEM = SHOPIFY_API.system;
const DEFAULT_API_VERSION = '2024-10';
/** Shopify's maximum page size. */
const DEFAULT_LIMIT = 250;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 10;

export type ShopifyResource = 'customers' | 'orders';

export interface ShopifyCursor {
  /** From the previous page's Link rel="next"; when set, no filter may be sent with it. */
  pageInfo?: string;
  /** Records updated at or after this instant (ISO 8601); only on the first page. */
  updatedAtMin?: string;
  limit?: number;
}

export interface ShopifyPage {
  records: unknown[];
  next: ShopifyCursor | null;
  /** From X-Shopify-Shop-Api-Call-Limit, e.g. 12/40. */
  callLimit?: { used: number; max: number };
}

export interface ShopifyClientOptions extends VendorHttpLimits {
  /** Base URL, e.g. https://x.myshopify.com (or an emulator's baseUrl under the test-only host override). */
  shopUrl: string;
  accessToken: string;
  apiVersion?: string;
}

/** A call's answer: its status, its JSON (undefined when the body is not JSON, e.g. an accepted 404's), body and headers. */
export interface ShopifyAnswer {
  status: number;
  json: unknown;
  bodyText: string;
  headers: Headers;
}

export class ShopifyClient {
  /** The shop's host, named in messages and evidence. */
  readonly shop: string;
  private readonly baseUrl: string;
  private readonly accessToken: string;
  private readonly apiVersion: string;
  private readonly http: VendorHttp;
  private readonly writeRequestIds: string[] = [];

  constructor(opts: ShopifyClientOptions) {
    this.baseUrl = opts.shopUrl.replace(/\/+$/, '');
    this.shop = new URL(this.baseUrl).host;
    this.accessToken = opts.accessToken;
    this.apiVersion = opts.apiVersion ?? DEFAULT_API_VERSION;
    this.http = new VendorHttp(SHOPIFY_API, opts, { maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS });
  }

  async fetchPage(resource: ShopifyResource, cursor: ShopifyCursor): Promise<ShopifyPage> {
    const limit = cursor.limit ?? DEFAULT_LIMIT;
    const params: Record<string, string> = { limit: String(limit) };
    if (cursor.pageInfo !== undefined) {
      // Shopify refuses any filter beside page_info: the cursor carries the first page's.
      params.page_info = cursor.pageInfo;
    } else {
      if (cursor.updatedAtMin !== undefined) params.updated_at_min = cursor.updatedAtMin;
      // The default is open orders only; closed and cancelled ones must sync too.
      if (resource === 'orders') params.status = 'any';
    }
    const answer = await this.send('GET', `${resource}.json`, { query: params, operation: `listing ${resource}` });
    const records = jsonObject(answer.bodyText)?.[resource];
    if (!Array.isArray(records)) {
      throw new ConnectorTransientError(
        `${SYSTEM} answered HTTP ${answer.status} without a JSON ${resource} list for shop ${this.shop}: retry later`,
        SYSTEM,
        answer.status,
      );
    }
    const nextPageInfo = pageInfoOf(linkRelations(answer.headers.get('link'))['next']);
    return {
      records,
      next: nextPageInfo ? { pageInfo: nextPageInfo, limit } : null,
      callLimit: callLimitOf(answer.headers.get('x-shopify-shop-api-call-limit')),
    };
  }

  /** Every page from `start` to the last. */
  async *pages(
    resource: ShopifyResource,
    start: ShopifyCursor,
  ): AsyncGenerator<{ records: unknown[]; next: ShopifyCursor | null }> {
    let cursor: ShopifyCursor | null = start;
    while (cursor) {
      const { records, next } = await this.fetchPage(resource, cursor);
      yield { records, next };
      cursor = next;
    }
  }

  /**
   * One Admin API call (`path` under /admin/api/{version}/): a 2xx or a status in `accept` is answered;
   * a 2xx must be JSON. Shopify's request ID of every write is kept for evidence.
   */
  async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; accept?: number[]; operation: string },
  ): Promise<ShopifyAnswer> {
    const answer = await this.send(method, path, opts);
    const requestId = answer.headers.get('x-request-id');
    if (requestId && method !== 'GET') this.writeRequestIds.push(requestId);
    const json = parseJson(answer.bodyText);
    if (json === undefined && answer.ok) {
      throw new ConnectorTransientError(
        `${SYSTEM} answered HTTP ${answer.status} without JSON for shop ${this.shop} while ${opts.operation}: retry later`,
        SYSTEM,
        answer.status,
      );
    }
    return { status: answer.status, json, bodyText: answer.bodyText, headers: answer.headers };
  }

  /** Shopify's request IDs of the writes so far (PUT, DELETE). */
  get requestIds(): readonly string[] {
    return this.writeRequestIds;
  }

  private send(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; accept?: number[]; operation: string },
  ): Promise<HttpAnswer> {
    const query = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
    const context: FailureContext = { account: `shop ${this.shop}`, reconnect: 'the store', operation: opts.operation };
    return this.http.call(
      {
        method,
        // Personal data may be in the query string (a search by e-mail): sent to Shopify, which holds it; never logged or quoted.
        url: `${this.baseUrl}/admin/api/${this.apiVersion}/${path}${query}`,
        headers: {
          'X-Shopify-Access-Token': this.accessToken,
          Accept: 'application/json',
          ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      },
      context,
      {
        ...(opts.accept ? { accept: opts.accept } : {}),
        classify: (answer) =>
          classifyHttpFailure(SYSTEM, answer.status, answer.headers, redactPersonal(answer.bodyText), context),
      },
    );
  }
}

/**
 * A value for Shopify's search syntax, quoted: inside double quotes a backslash and a double quote are
 * backslash-escaped (shopify.dev, "Shopify API search syntax": values may be quoted strings; special
 * characters are escaped with a backslash), so the value stays one value whatever it holds.
 */
export function quotedSearchValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}

/**
 * The URLs of an RFC 8288 Link header by relation: `<url>; rel="previous", <url>; rel="next"`.
 * URLs may hold commas and semicolons, so entries are read by their angle brackets, not split.
 */
export function linkRelations(header: string | null): Record<string, string> {
  const relations: Record<string, string> = {};
  if (!header) return relations;
  for (const entry of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const [, url, parameters] = entry;
    for (const parameter of (parameters ?? '').split(';')) {
      const match = /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(parameter);
      if (!match?.[1] || url === undefined) continue;
      for (const rel of match[1].trim().split(/\s+/)) relations[rel.toLowerCase()] ??= url;
    }
  }
  return relations;
}

/** The page_info of a Link URL, or undefined. */
export function pageInfoOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).searchParams.get('page_info') ?? undefined;
  } catch {
    return undefined;
  }
}

function callLimitOf(header: string | null): { used: number; max: number } | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(header ?? '');
  return match ? { used: Number(match[1]), max: Number(match[2]) } : undefined;
}
