import { heartbeatingSleep } from '../http';
import { ShopifyClient } from './client';
import type { ShopifyCredentials, ShopifySettings } from './sync';

/**
 * A member's tier and balance pushed to Shopify (issue 14), through the REST Admin API's documented
 * Metafield resource on customers and the Customer resource's `tags`:
 *
 * - metafields in the namespace `meridian_loyalty`: `member_id` and `tier` (single_line_text_field),
 *   `points` (number_integer). GET customers/{id}/metafields.json lists them; an existing one is
 *   updated with PUT customers/{id}/metafields/{metafield_id}.json, a new one created with POST
 *   customers/{id}/metafields.json (Shopify refuses a second metafield of the same namespace and key).
 * - tags: the customer's tags with `loyalty:<brand>:` ones replaced by `loyalty:<brand>:<tier>`, set
 *   with PUT customers/{id}.json — the tags themselves are the only field sent.
 *
 * Idempotent: a second push of the same state changes no value. No personal values are sent or read
 * beyond the customer's ID and tags.
 */

export const LOYALTY_NAMESPACE = 'meridian_loyalty';

export interface LoyaltyState {
  brandId: string;
  memberId: string;
  tier: string;
  points: number;
}

export type LoyaltyPushOutcome = { status: 'done' | 'not-found'; customers: number; writes: number };

interface Metafield {
  id: number;
  namespace: string;
  key: string;
  value: string;
}

export async function pushLoyaltyToShopify(
  settings: ShopifySettings,
  credentials: ShopifyCredentials,
  customerIds: readonly string[],
  state: LoyaltyState,
  context: { heartbeat?: () => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<LoyaltyPushOutcome> {
  const client = new ShopifyClient({
    shopUrl: settings.shopUrl,
    accessToken: credentials.accessToken,
    ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
    sleep: heartbeatingSleep(context),
  });
  const wanted: { key: string; type: string; value: string }[] = [
    { key: 'member_id', type: 'single_line_text_field', value: state.memberId },
    { key: `${state.brandId}_tier`.slice(0, 64), type: 'single_line_text_field', value: state.tier },
    { key: `${state.brandId}_points`.slice(0, 64), type: 'number_integer', value: String(state.points) },
  ];
  let found = 0;
  let writes = 0;
  for (const id of customerIds) {
    if (!/^\d+$/.test(id)) continue;
    const list = await client.call('GET', `customers/${id}/metafields.json`, {
      accept: [404],
      operation: `reading loyalty metafields of customer ${id}`,
    });
    if (list.status === 404) continue;
    found++;
    const existing = ((list.json as { metafields?: Metafield[] }).metafields ?? []).filter(
      (m) => m.namespace === LOYALTY_NAMESPACE,
    );
    for (const field of wanted) {
      const current = existing.find((m) => m.key === field.key);
      if (current?.value === field.value) continue;
      if (current)
        await client.call('PUT', `customers/${id}/metafields/${current.id}.json`, {
          body: { metafield: { id: current.id, value: field.value, type: field.type } },
          operation: `updating loyalty metafield ${field.key} of customer ${id}`,
        });
      else
        await client.call('POST', `customers/${id}/metafields.json`, {
          body: { metafield: { namespace: LOYALTY_NAMESPACE, ...field } },
          operation: `creating loyalty metafield ${field.key} of customer ${id}`,
        });
      writes++;
    }
    const customer = await client.call('GET', `customers/${id}.json`, {
      query: { fields: 'id,tags' },
      operation: `reading the tags of customer ${id}`,
    });
    const tags = String((customer.json as { customer?: { tags?: string } }).customer?.tags ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const prefix = `loyalty:${state.brandId}:`;
    const next = [...tags.filter((t) => !t.startsWith(prefix)), `${prefix}${state.tier}`];
    if (next.join(',') !== tags.join(',')) {
      await client.call('PUT', `customers/${id}.json`, {
        body: { customer: { id: Number(id), tags: next.join(', ') } },
        operation: `tagging customer ${id} with the loyalty tier`,
      });
      writes++;
    }
  }
  return { status: found > 0 ? 'done' : 'not-found', customers: found, writes };
}
