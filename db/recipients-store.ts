import type { Sql } from 'postgres';
import { canonicalLocale } from '../domain/templates';
import { openJson, type RegionKey, unwrapDataKey } from './crypto-shredding';
import { zoneOf } from './send-gate-store';

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
  const [subject] = await sql<{ country: string }[]>`
    select country from consent_subjects where customer_id = ${customerId}`;
  const [latest] = await sql<{ locale: string }[]>`
    select locale from events where customer_id = ${customerId} and locale is not null
    order by timestamp desc limit 1`;
  const [preferred] = await sql<{ value: unknown }[]>`
    select value from computed_trait_values where customer_id = ${customerId} and trait_id = 'preferred_language'`;
  const [order] = await sql<{ currency: string }[]>`
    select currency from orders where customer_id = ${customerId} order by placed_at desc limit 1`;
  const traitRows = await sql<{ key: string; value: unknown }[]>`
    select key, value from profile_traits where customer_id = ${customerId}`;
  const [name] = await sql<
    { name: string; value_sealed: Buffer; sealed_with: string; data_key_wrapped: Buffer | null }[]
  >`
    select t.name, t.value_sealed, t.sealed_with, p.data_key_wrapped
    from traits t join profiles p on p.customer_id = t.sealed_with
    where t.customer_id = ${customerId} and t.name = any(${sql.array(FIRST_NAME_TRAITS)}::text[])
    order by t.observed_at desc limit 1`;

  const locales = [latest?.locale, typeof preferred?.value === 'string' ? preferred.value : undefined];
  const locale = locales.map((l) => (l ? canonicalLocale(l) : undefined)).find(Boolean);
  let firstName: string | undefined;
  // A shredded key (an erased person) leaves no name to open.
  if (name?.data_key_wrapped) {
    const key = unwrapDataKey(regionKey, name.data_key_wrapped, name.sealed_with);
    const value = openJson(key, name.value_sealed, `trait:${name.sealed_with}:${name.name}`);
    if (typeof value === 'string' && value.trim()) firstName = value.trim();
  }
  return {
    ...(locale ? { locale } : {}),
    zone: await zoneOf(sql, customerId, subject?.country ?? ''),
    ...(subject ? { country: subject.country } : {}),
    ...(order ? { currency: order.currency } : {}),
    ...(firstName ? { firstName } : {}),
    traits: Object.fromEntries(traitRows.map((r) => [r.key, r.value])),
  };
}
