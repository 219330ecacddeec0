import type { Sql } from 'postgres';
import { canonicalLocale } from '../domain/templates';
import { openJson, type RegionKey, unwrapDataKey } from './crypto-shredding';
import { personZone } from '../domain/quiet-hours';

/**
 * What a message is rendered with for one person, read in their region inside the sending
 * activity and never returned from it (DESIGN.md rules 1 and 2): their latest locale (latest
 * event's, else the computed `preferred_language`), zone (as the send gate reads it), currency
 * (their latest order's), the non-identifying traits (`profile_traits`) and the first name, opened
 * from the sealed traits.
 */
export interface RecipientContext {
  locale?: string;
  zone: string;
  country?: string;
  currency?: string;
  firstName?: string;
  traits: Record<string, unknown>;
}

const FIRST_NAME_TRAITS = ['firstName', 'first_name', 'firstname'];

/** Whether the region holds a profile with this ID (a template preview's sample). */
export async function profileExists(sql: Sql, customerId: string): Promise<boolean> {
  const [row] = await sql`select 1 from profiles where customer_id = ${customerId}`;
  return row !== undefined;
}

export async function loadRecipientContext(
  sql: Sql,
  regionKey: RegionKey,
  customerId: string,
): Promise<RecipientContext> {
  return (await loadRecipientContexts(sql, regionKey, [customerId])).get(customerId)!;
}

/** loadRecipientContext for a batch (a broadcast's): each fact read once for all, in six statements. */
export async function loadRecipientContexts(
  sql: Sql,
  regionKey: RegionKey,
  customerIds: readonly string[],
): Promise<Map<string, RecipientContext>> {
  const unique = [...new Set(customerIds)];
  const contexts = new Map<string, RecipientContext>();
  if (unique.length === 0) return contexts;
  const ids = sql.array(unique);
  const subjects = await sql<{ customer_id: string; country: string }[]>`
    select customer_id, country from consent_subjects where customer_id = any(${ids}::uuid[])`;
  // Each person's latest locale and latest zone (the zone as the send gate reads it: db/send-gate-store.ts zoneOf).
  const latest = await sql<{ customer_id: string; locale: string | null; zone: string | null }[]>`
    select u.customer_id,
      (select e.locale from events e where e.customer_id = u.customer_id and e.locale is not null
        order by e.timestamp desc limit 1) as locale,
      (select e.timezone from events e where e.customer_id = u.customer_id and e.timezone is not null
        order by e.timestamp desc limit 1) as zone
    from unnest(${ids}::uuid[]) as u(customer_id)`;
  const preferred = await sql<{ customer_id: string; value: unknown }[]>`
    select customer_id, value from computed_trait_values
    where customer_id = any(${ids}::uuid[]) and trait_id = 'preferred_language'`;
  const orders = await sql<{ customer_id: string; currency: string }[]>`
    select distinct on (customer_id) customer_id, currency from orders
    where customer_id = any(${ids}::uuid[]) order by customer_id, placed_at desc`;
  const traitRows = await sql<{ customer_id: string; key: string; value: unknown }[]>`
    select customer_id, key, value from profile_traits where customer_id = any(${ids}::uuid[])`;
  const names = await sql<
    {
      customer_id: string;
      name: string;
      value_sealed: Buffer;
      sealed_with: string;
      data_key_wrapped: Buffer | null;
    }[]
  >`
    select distinct on (t.customer_id) t.customer_id, t.name, t.value_sealed, t.sealed_with, p.data_key_wrapped
    from traits t join profiles p on p.customer_id = t.sealed_with
    where t.customer_id = any(${ids}::uuid[]) and t.name = any(${sql.array(FIRST_NAME_TRAITS)}::text[])
    order by t.customer_id, t.observed_at desc`;

  const byId = <T extends { customer_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.customer_id, r]));
  const countryOf = byId(subjects);
  const latestOf = byId(latest);
  const preferredOf = byId(preferred);
  const orderOf = byId(orders);
  const nameOf = byId(names);
  const traitsOf = new Map<string, Record<string, unknown>>();
  for (const r of traitRows) {
    let traits = traitsOf.get(r.customer_id);
    if (!traits) traitsOf.set(r.customer_id, (traits = {}));
    traits[r.key] = r.value;
  }
  for (const customerId of unique) {
    const country = countryOf.get(customerId)?.country;
    const seen = latestOf.get(customerId);
    const preferredValue = preferredOf.get(customerId)?.value;
    const locales = [seen?.locale ?? undefined, typeof preferredValue === 'string' ? preferredValue : undefined];
    const locale = locales.map((l) => (l ? canonicalLocale(l) : undefined)).find(Boolean);
    const name = nameOf.get(customerId);
    let firstName: string | undefined;
    // A shredded key (an erased person) leaves no name to open.
    if (name?.data_key_wrapped) {
      const key = unwrapDataKey(regionKey, name.data_key_wrapped, name.sealed_with);
      const value = openJson(key, name.value_sealed, `trait:${name.sealed_with}:${name.name}`);
      if (typeof value === 'string' && value.trim()) firstName = value.trim();
    }
    const currency = orderOf.get(customerId)?.currency;
    contexts.set(customerId, {
      ...(locale ? { locale } : {}),
      zone: personZone(seen?.zone, country),
      ...(country ? { country } : {}),
      ...(currency ? { currency } : {}),
      ...(firstName ? { firstName } : {}),
      traits: traitsOf.get(customerId) ?? {},
    });
  }
  return contexts;
}
