import type { Purpose } from '../../domain/consent';
import { classifyHttpFailure, ConnectorError, ConnectorRateLimited, ConnectorTransientError, FailureContext } from '../errors';
import type { ConnectedSystem, ConsentChange, PersonIdentifiers, PrivacyContext, PrivacyOutcome } from '../privacy';
import { linkRelations } from './client';
import { ShopifyCredentials, ShopifySettings } from './index';

/**
 * Shopify as a connected system for privacy, through the REST Admin API (2024-10 by default):
 *
 * - applyConsent / suppress: PUT /admin/api/{v}/customers/{id}.json with `email_marketing_consent` and
 *   `sms_marketing_consent` ({state: subscribed | unsubscribed, opt_in_level: single_opt_in,
 *   consent_updated_at}), the Customer resource's documented fields. Shopify refuses a consent for a
 *   channel the customer has no address for, so the customer is read first (id, email, phone only) and
 *   only the channels it has are sent. Idempotent: the same PUT again sets the same state.
 * - erase: DELETE /admin/api/{v}/customers/{id}.json → 200 `{}`; a second erase finds 404 → 'not-found'.
 *   Shopify keeps every customer who has orders ("a customer can't be deleted if they have existing
 *   orders", answered 422): their personal data can only be redacted by the merchant's erasure request in
 *   the Shopify admin, which Shopify then carries out (the customers/redact flow). That is thrown as
 *   {@link ManualActionRequired} — not retryable — whose message says exactly what to click, so the saga
 *   can give an operator the task.
 * - export: GET customers/{id}.json and GET customers/{id}/orders.json?status=any.
 *
 * Which customers: the person's `platformIds.shopify_customer` IDs. Only when there is none are their
 * e-mail addresses looked up with GET customers/search.json?query=email:"…" — personal data in a query
 * string, sent to Shopify because Shopify is the system holding it; the URL is never logged nor put in
 * an error. Errors and evidence carry the shop, customer IDs, counts, statuses and Shopify's request IDs,
 * never an e-mail address, phone number or name (Shopify's own error text is redacted as well).
 */

const SYSTEM = 'Shopify';
const DEFAULT_API_VERSION = '2024-10';
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_RATE_LIMIT_WAITS = 10;
const PAGE_LIMIT = 250;
const SHOPIFY_PURPOSES = ['emailMarketing', 'smsMarketing'] as const satisfies readonly Purpose[];
type ShopifyPurpose = (typeof SHOPIFY_PURPOSES)[number];
/** Evidence lists at most this many Shopify request IDs (and says how many there were). */
const MAX_REQUEST_IDS = 20;

/**
 * What an API cannot do and a person must: the message says where to click. Not retryable — the same
 * call would be refused again — so the workflow turns it into an operator's task.
 */
export class ManualActionRequired extends ConnectorError {
  override readonly name = 'ManualActionRequired';
  readonly retryable = false;
  constructor(
    message: string,
    system: string,
    /** The step by step, for the task (also at the start of `message`). */
    readonly action: string,
    /** The vendor records the action concerns, e.g. Shopify customer IDs. */
    readonly records: string[],
    status?: number,
  ) {
    super(message, system, status);
  }
}

export const shopifyPrivacySystem: ConnectedSystem<ShopifySettings, ShopifyCredentials> = {
  system: 'shopify',
  label: 'Shopify',
  settings: ShopifySettings,
  credentials: ShopifyCredentials,
  supports: ['applyConsent', 'suppress', 'erase', 'export'],
  purposes: SHOPIFY_PURPOSES,
  open(settings, credentials, context) {
    const api = new ShopifyAdminCalls(settings, credentials, context);

    async function applyConsent(person: PersonIdentifiers, change: ConsentChange): Promise<PrivacyOutcome> {
      const wanted = new Map<ShopifyPurpose, 'granted' | 'denied'>();
      for (const { purpose, state } of change.purposes) if (isShopifyPurpose(purpose)) wanted.set(purpose, state);
      if (wanted.size === 0) return { status: 'done', evidence: { result: 'no Shopify purpose in the change: nothing to update', idempotencyKey: context.idempotencyKey } };
      const { ids, lookup } = await api.customerIds(person);
      if (ids.length === 0) return { status: 'not-found', evidence: { result: 'no Shopify customer for the person', lookup, idempotencyKey: context.idempotencyKey } };

      const consentAt = new Date().toISOString();
      const tally = { updated: 0, absent: 0, noChannel: 0 };
      const states: Record<string, string> = {};
      let updatedAt = '';
      for (const id of ids) {
        const current = await api.call('GET', `customers/${id}.json`, { query: { fields: 'id,email,phone' }, accept: [404], operation: `reading customer ${id}` });
        if (current.status === 404) {
          tally.absent++;
          continue;
        }
        const found = (current.json as { customer?: { email?: unknown; phone?: unknown } }).customer ?? {};
        const customer: Record<string, unknown> = { id: Number(id) };
        const consent = (state: 'granted' | 'denied') => ({ state: state === 'granted' ? 'subscribed' : 'unsubscribed', opt_in_level: 'single_opt_in', consent_updated_at: consentAt });
        const email = wanted.get('emailMarketing');
        const sms = wanted.get('smsMarketing');
        if (email && typeof found.email === 'string' && found.email !== '') customer.email_marketing_consent = consent(email);
        if (sms && typeof found.phone === 'string' && found.phone !== '') customer.sms_marketing_consent = consent(sms);
        if (Object.keys(customer).length === 1) {
          tally.noChannel++;
          continue;
        }
        const answer = await api.call('PUT', `customers/${id}.json`, { body: { customer }, accept: [404], operation: `updating the marketing consent of customer ${id}` });
        if (answer.status === 404) {
          tally.absent++;
          continue;
        }
        tally.updated++;
        const saved = (answer.json as { customer?: Record<string, unknown> }).customer ?? {};
        if (typeof saved.updated_at === 'string' && saved.updated_at > updatedAt) updatedAt = saved.updated_at;
        for (const field of ['email_marketing_consent', 'sms_marketing_consent'] as const) {
          const state = (saved[field] as { state?: unknown } | null | undefined)?.state;
          if (field in customer && typeof state === 'string') states[field === 'email_marketing_consent' ? 'emailMarketingState' : 'smsMarketingState'] = state;
        }
      }
      if (tally.updated === 0 && tally.noChannel === 0) {
        return { status: 'not-found', evidence: { result: 'the Shopify customers are gone', customersAbsent: String(tally.absent), lookup, idempotencyKey: context.idempotencyKey } };
      }
      return {
        status: 'done',
        evidence: {
          result: tally.updated > 0 ? 'shopify customer updated' : 'no email or phone on the Shopify customer: nothing to update',
          customersUpdated: String(tally.updated),
          customersWithoutEmailOrPhone: String(tally.noChannel),
          customersAbsent: String(tally.absent),
          ...states,
          ...(updatedAt ? { updated_at: updatedAt } : {}),
          ...api.requestIdEvidence(),
          lookup,
          idempotencyKey: context.idempotencyKey,
        },
      };
    }

    return {
      applyConsent,

      suppress(person): Promise<PrivacyOutcome> {
        return applyConsent(person, { purposes: SHOPIFY_PURPOSES.map((purpose) => ({ purpose, state: 'denied' as const })) });
      },

      async erase(person): Promise<PrivacyOutcome> {
        const { ids, lookup } = await api.customerIds(person);
        if (ids.length === 0) return { status: 'not-found', evidence: { result: 'no Shopify customer for the person', lookup, idempotencyKey: context.idempotencyKey } };
        let deleted = 0;
        let absent = 0;
        const kept: { id: string; apiErrors: string }[] = [];
        for (const id of ids) {
          const answer = await api.call('DELETE', `customers/${id}.json`, { accept: [404, 422], operation: `deleting customer ${id}` });
          if (answer.status === 404) absent++;
          else if (answer.status === 422) kept.push({ id, apiErrors: apiErrorText(answer.bodyText) });
          else deleted++;
        }
        if (kept.length > 0) throw manualErasure(api.shop, kept, deleted);
        if (deleted === 0) {
          return { status: 'not-found', evidence: { result: 'no such Shopify customer (already deleted)', customersAbsent: String(absent), lookup, idempotencyKey: context.idempotencyKey } };
        }
        return {
          status: 'done',
          evidence: {
            result: 'shopify customer deleted',
            customersDeleted: String(deleted),
            customersAlreadyAbsent: String(absent),
            ...api.requestIdEvidence(),
            completedAt: new Date().toISOString(),
            lookup,
            idempotencyKey: context.idempotencyKey,
          },
        };
      },

      async export(person): Promise<{ outcome: PrivacyOutcome; data: unknown }> {
        const { ids, lookup } = await api.customerIds(person);
        const exported: { customer: unknown; orders: unknown[]; ordersCount: number }[] = [];
        for (const id of ids) {
          const answer = await api.call('GET', `customers/${id}.json`, { accept: [404], operation: `reading customer ${id}` });
          if (answer.status === 404) continue;
          const orders = await api.customerOrders(id);
          exported.push({ customer: (answer.json as { customer?: unknown }).customer ?? null, orders, ordersCount: orders.length });
        }
        if (exported.length === 0) {
          return { outcome: { status: 'not-found', evidence: { result: 'no Shopify customer for the person', lookup, idempotencyKey: context.idempotencyKey } }, data: { customers: [] } };
        }
        return {
          outcome: {
            status: 'done',
            evidence: {
              result: 'shopify customer exported',
              customersExported: String(exported.length),
              ordersExported: String(exported.reduce((sum, entry) => sum + entry.ordersCount, 0)),
              exportedAt: new Date().toISOString(),
              lookup,
              idempotencyKey: context.idempotencyKey,
            },
          },
          data: { customers: exported },
        };
      },
    };
  },
};

function isShopifyPurpose(purpose: Purpose): purpose is ShopifyPurpose {
  return (SHOPIFY_PURPOSES as readonly Purpose[]).includes(purpose);
}

function manualErasure(shop: string, kept: { id: string; apiErrors: string }[], deletedNow: number): ManualActionRequired {
  const ids = kept.map((entry) => entry.id);
  const which = ids.length === 1 ? `customer ${ids[0]}` : `customers ${ids.join(', ')}`;
  const action =
    `In the Shopify admin of ${shop}, open Customers → ${which} (search by ID) → More actions → Erase personal data, and confirm` +
    `${ids.length > 1 ? ' for each' : ''}. Shopify then redacts the customer's name, addresses, e-mail and phone from the customer and their orders` +
    ' (it holds the request until 180 days after a recent order, for chargebacks); mark this task done once the erasure is requested.';
  const detail = kept.map((entry) => entry.apiErrors).find(Boolean);
  return new ManualActionRequired(
    `${action} Shopify refused to delete ${which} through the API because they have orders (Shopify keeps every customer with orders)` +
      `${deletedNow > 0 ? `; ${deletedNow} other customer record(s) of the person were deleted` : ''} [HTTP 422${detail ? `: ${detail}` : ''}]`,
    SYSTEM,
    action,
    ids,
    422,
  );
}

interface Answer {
  status: number;
  json: unknown;
  bodyText: string;
  headers: Headers;
}

/** The few Admin API calls privacy needs: one place for auth, the 429 wait, timeouts and failure rules. */
class ShopifyAdminCalls {
  readonly shop: string;
  private readonly baseUrl: string;
  private readonly apiVersion: string;
  private readonly fetch: typeof fetch;
  private readonly requestIds: string[] = [];

  constructor(
    settings: ShopifySettings,
    private readonly credentials: ShopifyCredentials,
    private readonly context: PrivacyContext,
  ) {
    this.baseUrl = settings.shopUrl.replace(/\/+$/, '');
    this.shop = new URL(this.baseUrl).host;
    this.apiVersion = settings.apiVersion ?? DEFAULT_API_VERSION;
    this.fetch = context.fetch ?? fetch;
  }

  /** The person's Shopify customer IDs: their platform IDs, or else whoever Shopify finds by their e-mail addresses. */
  async customerIds(person: PersonIdentifiers): Promise<{ ids: string[]; lookup: string }> {
    const known = [...new Set((person.platformIds['shopify_customer'] ?? []).map((id) => id.trim()).filter((id) => /^\d+$/.test(id)))];
    if (known.length > 0) return { ids: known, lookup: 'shopify_customer platform IDs' };
    const found = new Set<string>();
    for (const email of new Set(person.emails.map((address) => address.trim().toLowerCase()).filter(Boolean))) {
      // Personal data in the query string: sent to Shopify, which holds it; never logged.
      const answer = await this.call('GET', 'customers/search.json', {
        query: { query: `email:"${email}"`, fields: 'id', limit: String(PAGE_LIMIT) },
        operation: 'searching customers by e-mail',
      });
      for (const customer of (answer.json as { customers?: { id?: unknown }[] }).customers ?? []) {
        if (typeof customer.id === 'number' || typeof customer.id === 'string') found.add(String(customer.id));
      }
    }
    return { ids: [...found], lookup: 'customer search by e-mail' };
  }

  /** Every order of the customer, open or not, in a few fields; follows Link rel="next" when Shopify pages. */
  async customerOrders(id: string): Promise<unknown[]> {
    const orders: unknown[] = [];
    let query: Record<string, string> | undefined = { status: 'any', limit: String(PAGE_LIMIT), fields: 'id,name,created_at,processed_at,financial_status,fulfillment_status,currency,total_price,cancelled_at' };
    while (query) {
      const answer: Answer = await this.call('GET', `customers/${id}/orders.json`, { query, accept: [404], operation: `listing the orders of customer ${id}` });
      if (answer.status === 404) break;
      orders.push(...((answer.json as { orders?: unknown[] }).orders ?? []));
      const next = linkRelations(answer.headers.get('link'))['next'];
      const pageInfo = next ? new URL(next).searchParams.get('page_info') : null;
      query = pageInfo ? { limit: String(PAGE_LIMIT), page_info: pageInfo } : undefined;
      this.context.heartbeat?.();
    }
    return orders;
  }

  requestIdEvidence(): Record<string, string> {
    const ids = this.requestIds;
    if (ids.length === 0) return {};
    return { shopifyRequestIds: ids.slice(0, MAX_REQUEST_IDS).join(','), ...(ids.length > MAX_REQUEST_IDS ? { shopifyRequestIdsTotal: String(ids.length) } : {}) };
  }

  /**
   * One call: a 2xx or a status in `accept` is answered; a 429 is slept out (Retry-After, as Shopify
   * asks) up to MAX_RATE_LIMIT_WAITS times; anything else is thrown classified.
   */
  async call(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; accept?: number[]; operation: string },
  ): Promise<Answer> {
    const query = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
    const url = `${this.baseUrl}/admin/api/${this.apiVersion}/${path}${query}`;
    const context: FailureContext = { account: `shop ${this.shop}`, reconnect: 'the store', operation: opts.operation };
    for (let waits = 0; ; waits++) {
      const { response, bodyText } = await this.send(method, url, opts.body, context);
      const requestId = response.headers.get('x-request-id');
      if (response.ok || opts.accept?.includes(response.status)) {
        if (requestId && method !== 'GET') this.requestIds.push(requestId);
        let json: unknown;
        try {
          json = JSON.parse(bodyText);
        } catch {
          if (response.ok) throw new ConnectorTransientError(`${SYSTEM} answered HTTP ${response.status} without JSON for shop ${this.shop} while ${opts.operation}: retry later`, SYSTEM, response.status);
        }
        return { status: response.status, json, bodyText, headers: response.headers };
      }
      const failure = classifyHttpFailure(SYSTEM, response.status, response.headers, redactPersonal(bodyText), context);
      if (failure instanceof ConnectorRateLimited && waits < MAX_RATE_LIMIT_WAITS) {
        await this.sleep(failure.retryAfterMs);
        continue;
      }
      throw failure;
    }
  }

  private async sleep(ms: number): Promise<void> {
    this.context.heartbeat?.();
    await (this.context.sleep ?? ((wait: number) => new Promise<void>((resolve) => setTimeout(resolve, wait))))(ms);
    this.context.heartbeat?.();
  }

  private async send(method: string, url: string, body: unknown, context: FailureContext): Promise<{ response: Response; bodyText: string }> {
    try {
      const response = await this.fetch(url, {
        method,
        headers: {
          'X-Shopify-Access-Token': this.credentials.accessToken,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
      });
      return { response, bodyText: await response.text() };
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const code = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
      // No `cause`: a fetch error can quote the URL, which may hold an e-mail address.
      const what = timedOut ? `did not answer within ${DEFAULT_TIMEOUT_MS} ms` : `could not be reached (${typeof code === 'string' ? code : 'network error'})`;
      throw new ConnectorTransientError(`${SYSTEM} ${what} for ${context.account} while ${context.operation}: retry later`, SYSTEM);
    }
  }
}

/** Shopify's error text from a body, redacted, for a message; '' when there is none. */
function apiErrorText(bodyText: string): string {
  const failure = classifyHttpFailure(SYSTEM, 422, new Headers(), redactPersonal(bodyText));
  return 'apiErrors' in failure && typeof failure.apiErrors === 'string' ? failure.apiErrors : '';
}

/** E-mail addresses and phone-number-like digit runs taken out of text bound for an error message. */
function redactPersonal(text: string): string {
  return text.replace(/[^\s@'"<>(),:{}[\]]+@[^\s@'"<>(),:{}[\]]+/g, '[email]').replace(/\+\d[\d\s().-]{5,}\d/g, '[phone]');
}
