import type { Purpose } from '../../domain/consent';
import { classifyHttpFailure, ManualActionRequired, redactPersonal } from '../errors';
import { heartbeatingSleep } from '../http';
import type { ConnectedSystem, ConsentChange, PersonIdentifiers, PrivacyContext, PrivacyOutcome } from '../privacy';
import { linkRelations, pageInfoOf, quotedSearchValue, ShopifyAnswer, ShopifyClient } from './client';
import { ShopifyCredentials, ShopifySettings } from './sync';

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
 * e-mail addresses looked up with GET customers/search.json?query=email:"…" (the address quoted and
 * backslash-escaped as Shopify's search syntax asks, and a hit counted only when its e-mail is that
 * address, so an address holding search syntax never widens an erasure) — personal data in a query
 * string, sent to Shopify because Shopify is the system holding it; the URL is never logged nor put in
 * an error. Errors and evidence carry the shop, customer IDs, counts, statuses and Shopify's request IDs,
 * never an e-mail address, phone number or name (Shopify's own error text is redacted as well).
 */

const SYSTEM = 'Shopify';
const PAGE_LIMIT = 250;
const SHOPIFY_PURPOSES = ['emailMarketing', 'smsMarketing'] as const satisfies readonly Purpose[];
type ShopifyPurpose = (typeof SHOPIFY_PURPOSES)[number];
/** Evidence lists at most this many Shopify request IDs (and says how many there were). */
const MAX_REQUEST_IDS = 20;

export const shopifyPrivacySystem: ConnectedSystem<ShopifySettings, ShopifyCredentials> = {
  system: 'shopify',
  label: 'Shopify',
  settings: ShopifySettings,
  credentials: ShopifyCredentials,
  endpointSettings: ['shopUrl'],
  supports: ['applyConsent', 'suppress', 'erase', 'export'],
  // Customers are found by their Shopify IDs, or by email when there is none.
  receives: ['user.unique_id', 'user.contact.email'],
  purposes: SHOPIFY_PURPOSES,
  open(settings, credentials, context) {
    const api = new ShopifyPrivacyCalls(settings, credentials, context);

    async function applyConsent(person: PersonIdentifiers, change: ConsentChange): Promise<PrivacyOutcome> {
      const wanted = new Map<ShopifyPurpose, 'granted' | 'denied'>();
      for (const { purpose, state } of change.purposes) if (isShopifyPurpose(purpose)) wanted.set(purpose, state);
      if (wanted.size === 0)
        return {
          status: 'done',
          evidence: {
            result: 'no Shopify purpose in the change: nothing to update',
            idempotencyKey: context.idempotencyKey,
          },
        };
      const { ids, lookup } = await api.customerIds(person);
      if (ids.length === 0)
        return {
          status: 'not-found',
          evidence: { result: 'no Shopify customer for the person', lookup, idempotencyKey: context.idempotencyKey },
        };

      const consentAt = new Date().toISOString();
      const tally = { updated: 0, absent: 0, noChannel: 0 };
      const states: Record<string, string> = {};
      let updatedAt = '';
      for (const id of ids) {
        const current = await api.call('GET', `customers/${id}.json`, {
          query: { fields: 'id,email,phone' },
          accept: [404],
          operation: `reading customer ${id}`,
        });
        if (current.status === 404) {
          tally.absent++;
          continue;
        }
        const found = (current.json as { customer?: { email?: unknown; phone?: unknown } }).customer ?? {};
        const customer: Record<string, unknown> = { id: Number(id) };
        const consent = (state: 'granted' | 'denied') => ({
          state: state === 'granted' ? 'subscribed' : 'unsubscribed',
          opt_in_level: 'single_opt_in',
          consent_updated_at: consentAt,
        });
        const email = wanted.get('emailMarketing');
        const sms = wanted.get('smsMarketing');
        if (email && typeof found.email === 'string' && found.email !== '')
          customer.email_marketing_consent = consent(email);
        if (sms && typeof found.phone === 'string' && found.phone !== '') customer.sms_marketing_consent = consent(sms);
        if (Object.keys(customer).length === 1) {
          tally.noChannel++;
          continue;
        }
        const answer = await api.call('PUT', `customers/${id}.json`, {
          body: { customer },
          accept: [404],
          operation: `updating the marketing consent of customer ${id}`,
        });
        if (answer.status === 404) {
          tally.absent++;
          continue;
        }
        tally.updated++;
        const saved = (answer.json as { customer?: Record<string, unknown> }).customer ?? {};
        if (typeof saved.updated_at === 'string' && saved.updated_at > updatedAt) updatedAt = saved.updated_at;
        for (const field of ['email_marketing_consent', 'sms_marketing_consent'] as const) {
          const state = (saved[field] as { state?: unknown } | null | undefined)?.state;
          if (field in customer && typeof state === 'string')
            states[field === 'email_marketing_consent' ? 'emailMarketingState' : 'smsMarketingState'] = state;
        }
      }
      if (tally.updated === 0 && tally.noChannel === 0) {
        return {
          status: 'not-found',
          evidence: {
            result: 'the Shopify customers are gone',
            customersAbsent: String(tally.absent),
            lookup,
            idempotencyKey: context.idempotencyKey,
          },
        };
      }
      return {
        status: 'done',
        evidence: {
          result:
            tally.updated > 0
              ? 'shopify customer updated'
              : 'no email or phone on the Shopify customer: nothing to update',
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
        return applyConsent(person, {
          purposes: SHOPIFY_PURPOSES.map((purpose) => ({ purpose, state: 'denied' as const })),
        });
      },

      async erase(person): Promise<PrivacyOutcome> {
        const { ids, lookup } = await api.customerIds(person);
        if (ids.length === 0)
          return {
            status: 'not-found',
            evidence: { result: 'no Shopify customer for the person', lookup, idempotencyKey: context.idempotencyKey },
          };
        let deleted = 0;
        let absent = 0;
        const kept: { id: string; apiErrors: string }[] = [];
        for (const id of ids) {
          const answer = await api.call('DELETE', `customers/${id}.json`, {
            accept: [404, 422],
            operation: `deleting customer ${id}`,
          });
          if (answer.status === 404) absent++;
          else if (answer.status === 422) kept.push({ id, apiErrors: apiErrorText(answer.bodyText) });
          else deleted++;
        }
        if (kept.length > 0) throw manualErasure(api.shop, kept, deleted);
        if (deleted === 0) {
          return {
            status: 'not-found',
            evidence: {
              result: 'no such Shopify customer (already deleted)',
              customersAbsent: String(absent),
              lookup,
              idempotencyKey: context.idempotencyKey,
            },
          };
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
          const answer = await api.call('GET', `customers/${id}.json`, {
            accept: [404],
            operation: `reading customer ${id}`,
          });
          if (answer.status === 404) continue;
          const orders = await api.customerOrders(id);
          exported.push({
            customer: (answer.json as { customer?: unknown }).customer ?? null,
            orders,
            ordersCount: orders.length,
          });
        }
        if (exported.length === 0) {
          return {
            outcome: {
              status: 'not-found',
              evidence: {
                result: 'no Shopify customer for the person',
                lookup,
                idempotencyKey: context.idempotencyKey,
              },
            },
            data: { customers: [] },
          };
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

function manualErasure(
  shop: string,
  kept: { id: string; apiErrors: string }[],
  deletedNow: number,
): ManualActionRequired {
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

/** The person's customers in the shop, looked up once per call; writes go through the one client. */
class ShopifyPrivacyCalls {
  private readonly client: ShopifyClient;

  constructor(
    settings: ShopifySettings,
    credentials: ShopifyCredentials,
    private readonly context: PrivacyContext,
  ) {
    this.client = new ShopifyClient({
      shopUrl: settings.shopUrl,
      accessToken: credentials.accessToken,
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      sleep: heartbeatingSleep(context),
    });
  }

  get shop(): string {
    return this.client.shop;
  }

  call(...args: Parameters<ShopifyClient['call']>): Promise<ShopifyAnswer> {
    return this.client.call(...args);
  }

  /** The person's Shopify customer IDs: their platform IDs, or else whoever Shopify finds by their e-mail addresses. */
  async customerIds(person: PersonIdentifiers): Promise<{ ids: string[]; lookup: string }> {
    const known = [
      ...new Set(
        (person.platformIds['shopify_customer'] ?? []).map((id) => id.trim()).filter((id) => /^\d+$/.test(id)),
      ),
    ];
    if (known.length > 0) return { ids: known, lookup: 'shopify_customer platform IDs' };
    const found = new Set<string>();
    for (const email of new Set(person.emails.map((address) => address.trim().toLowerCase()).filter(Boolean))) {
      // Personal data in the query string: sent to Shopify, which holds it; never logged. Quoted and
      // escaped, so an address holding quotes or search syntax is still one value, never a wider search;
      // and only a hit whose e-mail is the address itself counts (a `*` in an address is a wildcard to Shopify).
      const answer = await this.client.call('GET', 'customers/search.json', {
        query: { query: `email:${quotedSearchValue(email)}`, fields: 'id,email', limit: String(PAGE_LIMIT) },
        operation: 'searching customers by e-mail',
      });
      for (const customer of (answer.json as { customers?: { id?: unknown; email?: unknown }[] }).customers ?? []) {
        const sameAddress = typeof customer.email === 'string' && customer.email.trim().toLowerCase() === email;
        if (sameAddress && (typeof customer.id === 'number' || typeof customer.id === 'string'))
          found.add(String(customer.id));
      }
    }
    return { ids: [...found], lookup: 'customer search by e-mail' };
  }

  /** Every order of the customer, open or not, in a few fields; follows Link rel="next" when Shopify pages. */
  async customerOrders(id: string): Promise<unknown[]> {
    const orders: unknown[] = [];
    let query: Record<string, string> | undefined = {
      status: 'any',
      limit: String(PAGE_LIMIT),
      fields: 'id,name,created_at,processed_at,financial_status,fulfillment_status,currency,total_price,cancelled_at',
    };
    while (query) {
      const answer: ShopifyAnswer = await this.client.call('GET', `customers/${id}/orders.json`, {
        query,
        accept: [404],
        operation: `listing the orders of customer ${id}`,
      });
      if (answer.status === 404) break;
      orders.push(...((answer.json as { orders?: unknown[] }).orders ?? []));
      const pageInfo = pageInfoOf(linkRelations(answer.headers.get('link'))['next']);
      query = pageInfo ? { limit: String(PAGE_LIMIT), page_info: pageInfo } : undefined;
      this.context.heartbeat?.();
    }
    return orders;
  }

  requestIdEvidence(): Record<string, string> {
    const ids = this.client.requestIds;
    if (ids.length === 0) return {};
    return {
      shopifyRequestIds: ids.slice(0, MAX_REQUEST_IDS).join(','),
      ...(ids.length > MAX_REQUEST_IDS ? { shopifyRequestIdsTotal: String(ids.length) } : {}),
    };
  }
}

/** Shopify's error text from a body, redacted, for a message; '' when there is none. */
function apiErrorText(bodyText: string): string {
  const failure = classifyHttpFailure(SYSTEM, 422, new Headers(), redactPersonal(bodyText));
  return 'apiErrors' in failure && typeof failure.apiErrors === 'string' ? failure.apiErrors : '';
}
