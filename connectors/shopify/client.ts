import { classifyHttpFailure, ConnectorError, ConnectorRateLimited, ConnectorTransientError, FailureContext } from '../errors';

/**
 * Shopify's REST Admin API, read side: pages of customers and orders by cursor (shopify.dev,
 * "Make paginated requests to the REST Admin API"). A 429 is waited out here, as Shopify asks;
 * every other failure is thrown classified, for the activity layer to retry or not.
 */

const SYSTEM = 'Shopify';
const DEFAULT_API_VERSION = '2024-10';
/** Shopify's maximum page size. */
const DEFAULT_LIMIT = 250;
const DEFAULT_TIMEOUT_MS = 30_000;
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

export interface ShopifyClientOptions {
  /** Base URL, e.g. https://x.myshopify.com or the emulator's baseUrl. */
  shopUrl: string;
  accessToken: string;
  apiVersion?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxRateLimitWaits?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class ShopifyClient {
  private readonly baseUrl: string;
  private readonly shop: string;
  private readonly accessToken: string;
  private readonly apiVersion: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRateLimitWaits: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: ShopifyClientOptions) {
    this.baseUrl = opts.shopUrl.replace(/\/+$/, '');
    this.shop = new URL(this.baseUrl).host;
    this.accessToken = opts.accessToken;
    this.apiVersion = opts.apiVersion ?? DEFAULT_API_VERSION;
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRateLimitWaits = opts.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async fetchPage(resource: ShopifyResource, cursor: ShopifyCursor): Promise<ShopifyPage> {
    const limit = cursor.limit ?? DEFAULT_LIMIT;
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor.pageInfo !== undefined) {
      // Shopify refuses any filter beside page_info: the cursor carries the first page's.
      params.set('page_info', cursor.pageInfo);
    } else {
      if (cursor.updatedAtMin !== undefined) params.set('updated_at_min', cursor.updatedAtMin);
      // The default is open orders only; closed and cancelled ones must sync too.
      if (resource === 'orders') params.set('status', 'any');
    }
    const url = `${this.baseUrl}/admin/api/${this.apiVersion}/${resource}.json?${params}`;
    const context: FailureContext = { account: `shop ${this.shop}`, reconnect: 'the store', operation: `listing ${resource}` };

    const { response, bodyText } = await this.get(url, context);
    const records = parseRecords(bodyText, resource);
    if (!records) {
      throw new ConnectorTransientError(`${SYSTEM} answered HTTP ${response.status} without a JSON ${resource} list for shop ${this.shop}: retry later`, SYSTEM, response.status);
    }
    const nextUrl = linkRelations(response.headers.get('link'))['next'];
    const nextPageInfo = nextUrl ? pageInfoOf(nextUrl) : undefined;
    return {
      records,
      next: nextPageInfo ? { pageInfo: nextPageInfo, limit } : null,
      callLimit: callLimitOf(response.headers.get('x-shopify-shop-api-call-limit')),
    };
  }

  /** Every page from `start` to the last. */
  async *pages(resource: ShopifyResource, start: ShopifyCursor): AsyncGenerator<{ records: unknown[]; next: ShopifyCursor | null }> {
    let cursor: ShopifyCursor | null = start;
    while (cursor) {
      const { records, next } = await this.fetchPage(resource, cursor);
      yield { records, next };
      cursor = next;
    }
  }

  /** A successful answer and its body; a 429 is slept out up to maxRateLimitWaits times. */
  private async get(url: string, context: FailureContext): Promise<{ response: Response; bodyText: string }> {
    for (let waits = 0; ; waits++) {
      const { response, bodyText } = await this.send(url, context);
      if (response.ok) return { response, bodyText };
      const failure = classifyHttpFailure(SYSTEM, response.status, response.headers, bodyText, context);
      if (failure instanceof ConnectorRateLimited && waits < this.maxRateLimitWaits) {
        await this.sleep(failure.retryAfterMs);
        continue;
      }
      throw failure;
    }
  }

  private async send(url: string, context: FailureContext): Promise<{ response: Response; bodyText: string }> {
    try {
      // One deadline for the headers and the body: a connection held mid-body must time out too.
      const response = await this.fetch(url, {
        headers: { 'X-Shopify-Access-Token': this.accessToken, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { response, bodyText: await response.text() };
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const what = timedOut ? `did not answer within ${this.timeoutMs} ms` : `could not be reached (${networkReason(error)})`;
      throw new ConnectorTransientError(`${SYSTEM} ${what} for ${context.account} while ${context.operation}: retry later`, SYSTEM, undefined, { cause: error });
    }
  }
}

function parseRecords(bodyText: string, resource: ShopifyResource): unknown[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const records = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[resource] : undefined;
  return Array.isArray(records) ? records : undefined;
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

function pageInfoOf(url: string): string | undefined {
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

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
