import type { Sql } from 'postgres';
import type { PersonIdentifiers } from '../connectors/privacy';
import { CORE_IDENTIFIER_TYPES } from '../domain/identifiers';
import { open, unwrapDataKey, type RegionKey } from './crypto-shredding';

/**
 * A person's identifiers in this region, opened with their data keys: what a connected system
 * needs to find them. Only activities call this, and what it returns never leaves the activity.
 */
export async function loadPersonIdentifiers(sql: Sql, regionKey: RegionKey, customerId: string): Promise<PersonIdentifiers | undefined> {
  const rows = await sql<{ type: string; value_sealed: Buffer; sealed_with: string; data_key_wrapped: Buffer | null }[]>`
    select i.type, i.value_sealed, i.sealed_with, p.data_key_wrapped
    from identities i join profiles p on p.customer_id = i.sealed_with
    where i.customer_id = ${customerId}`;
  const [profile] = await sql`select 1 from profiles where customer_id = ${customerId}`;
  if (!profile) return undefined;
  const person: PersonIdentifiers = { customerId, emails: [], phones: [], platformIds: {} };
  const keys = new Map<string, Buffer>();
  for (const row of rows) {
    // A shredded key (erased person) leaves nothing to open.
    if (!row.data_key_wrapped) continue;
    let key = keys.get(row.sealed_with);
    if (!key) keys.set(row.sealed_with, (key = unwrapDataKey(regionKey, row.data_key_wrapped, row.sealed_with)));
    const value = open(key, row.value_sealed, `identity:${row.sealed_with}:${row.type}`).toString('utf8');
    if (row.type === 'email') person.emails.push(value);
    else if (row.type === 'phone') person.phones.push(value);
    else if (!(CORE_IDENTIFIER_TYPES as readonly string[]).includes(row.type)) (person.platformIds[row.type] ??= []).push(value);
  }
  return person;
}
