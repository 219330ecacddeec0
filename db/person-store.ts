import type { Sql } from 'postgres';
import type { PersonIdentifiers } from '../connectors/privacy';
import { CORE_IDENTIFIER_TYPES } from '../domain/identifiers';
import { IdentityProvenance, isTrusted, PERSON_IDENTIFIER_TYPES } from '../domain/identity-provenance';
import { open, unwrapDataKey, type RegionKey } from './crypto-shredding';

/**
 * A person's identifiers in this region, opened with their data keys: what a connected system
 * needs to find them. Only activities call this, and what it returns never leaves the activity.
 */

interface IdentityRow {
  type: string;
  blind_index: Buffer;
  value_sealed: Buffer;
  sealed_with: string;
  provenance: IdentityProvenance;
  data_key_wrapped: Buffer | null;
}

/** Every identifier of the profile, whoever vouched for it (consent propagation, read-backs). */
export async function loadPersonIdentifiers(
  sql: Sql,
  regionKey: RegionKey,
  customerId: string,
): Promise<PersonIdentifiers | undefined> {
  const rows = await identityRows(sql, customerId);
  if (!rows) return undefined;
  return openIdentities(regionKey, customerId, rows);
}

/**
 * loadPersonIdentifiers for many people at once (a broadcast's batch): two statements for the
 * batch. A person without a profile in this region is absent from the map.
 */
export async function loadPersonIdentifiersBatch(
  sql: Sql,
  regionKey: RegionKey,
  customerIds: readonly string[],
): Promise<Map<string, PersonIdentifiers>> {
  const people = new Map<string, PersonIdentifiers>();
  if (customerIds.length === 0) return people;
  const ids = sql.array([...new Set(customerIds)]);
  const rows = await sql<(IdentityRow & { customer_id: string })[]>`
    select i.customer_id, i.type, i.blind_index, i.value_sealed, i.sealed_with, i.provenance, p.data_key_wrapped
    from identities i join profiles p on p.customer_id = i.sealed_with
    where i.customer_id = any(${ids}::uuid[])`;
  const profiles = await sql<{ customer_id: string }[]>`
    select customer_id from profiles where customer_id = any(${ids}::uuid[])`;
  const byPerson = new Map<string, IdentityRow[]>(profiles.map((p) => [p.customer_id, []]));
  for (const row of rows) byPerson.get(row.customer_id)?.push(row);
  for (const [customerId, own] of byPerson) people.set(customerId, openIdentities(regionKey, customerId, own));
  return people;
}

/**
 * The identifiers a server, connector or the person vouched for (no browser claim): what may be
 * uploaded to an ad audience. Anyone can claim anyone's email with a public write key; uploading a
 * claimed email would put a stranger in the audience under this profile's consent.
 */
export async function loadVouchedPersonIdentifiers(
  sql: Sql,
  regionKey: RegionKey,
  customerId: string,
): Promise<PersonIdentifiers | undefined> {
  const rows = await identityRows(sql, customerId);
  if (!rows) return undefined;
  return openIdentities(
    regionKey,
    customerId,
    rows.filter((r) => isTrusted(r.provenance)),
  );
}

/**
 * The identifiers a privacy request may hand to connected systems (issue 8, item 3): those a
 * server, connector or the person vouched for, and the email the requester verified. An email or
 * phone a browser only claimed is left out — anyone can claim anyone's email with a public write
 * key, and erasing "the profile's emails" would erase whoever the attacker named. When the
 * verified email is not known here (the request lives in another region), a browser claim is
 * sent only when it is the profile's one email or phone and nothing trusted names the person.
 */
export async function loadPersonIdentifiersForRequest(
  sql: Sql,
  regionKey: RegionKey,
  customerId: string,
  verifiedEmail?: Buffer,
): Promise<PersonIdentifiers | undefined> {
  const rows = await identityRows(sql, customerId);
  if (!rows) return undefined;
  const person = (r: IdentityRow) => (PERSON_IDENTIFIER_TYPES as readonly string[]).includes(r.type);
  const claims = rows.filter((r) => !isTrusted(r.provenance) && (r.type === 'email' || r.type === 'phone'));
  const soleClaim = claims.length === 1 && !rows.some((r) => person(r) && isTrusted(r.provenance));
  const kept = rows.filter((r) => {
    if (isTrusted(r.provenance)) return true;
    if (verifiedEmail) return r.type === 'email' && r.blind_index.equals(verifiedEmail);
    if (r.type === 'email' || r.type === 'phone') return soleClaim;
    // Platform IDs a browser sent are claims too; user and anonymous IDs are not sent to vendors anyway.
    return false;
  });
  return openIdentities(regionKey, customerId, kept);
}

async function identityRows(sql: Sql, customerId: string): Promise<IdentityRow[] | undefined> {
  const rows = await sql<IdentityRow[]>`
    select i.type, i.blind_index, i.value_sealed, i.sealed_with, i.provenance, p.data_key_wrapped
    from identities i join profiles p on p.customer_id = i.sealed_with
    where i.customer_id = ${customerId}`;
  const [profile] = await sql`select 1 from profiles where customer_id = ${customerId}`;
  return profile ? rows : undefined;
}

function openIdentities(regionKey: RegionKey, customerId: string, rows: IdentityRow[]): PersonIdentifiers {
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
    else if (!(CORE_IDENTIFIER_TYPES as readonly string[]).includes(row.type))
      (person.platformIds[row.type] ??= []).push(value);
  }
  return person;
}

/**
 * Removes one identifier of a profile, found by opening its sealed values (no blind-index key is
 * needed): a device token or push subscription the provider says is gone for good. Returns whether
 * one was removed.
 */
export async function removeIdentityValue(
  sql: Sql,
  regionKey: RegionKey,
  customerId: string,
  type: string,
  value: string,
): Promise<boolean> {
  const rows = await sql<IdentityRow[]>`
    select i.blind_index, i.type, i.value_sealed, i.sealed_with, i.provenance, p.data_key_wrapped
    from identities i join profiles p on p.customer_id = i.sealed_with
    where i.customer_id = ${customerId} and i.type = ${type}`;
  for (const row of rows) {
    if (!row.data_key_wrapped) continue;
    const key = unwrapDataKey(regionKey, row.data_key_wrapped, row.sealed_with);
    const opened = open(key, row.value_sealed, `identity:${row.sealed_with}:${row.type}`).toString('utf8');
    if (opened !== value) continue;
    const removed = await sql`
      delete from identities where customer_id = ${customerId} and type = ${type} and blind_index = ${row.blind_index}
      returning 1`;
    return removed.length > 0;
  }
  return false;
}

/** Where a customer lives: the home region, every region holding a part, and the customer it was merged into. */
export async function customerPlacement(
  globalSql: Sql,
  customerId: string,
): Promise<{ homeRegion: string; regions: string[]; mergedInto: string | null } | undefined> {
  const [row] = await globalSql<{ home_region: string; regions: string[]; merged_into: string | null }[]>`
    select home_region, regions, merged_into from customers where customer_id = ${customerId}`;
  return row ? { homeRegion: row.home_region, regions: row.regions, mergedInto: row.merged_into } : undefined;
}

/** The customer an identifier (type and blind index) names today, following a merge; undefined when none. */
export async function customerOfIdentifier(globalSql: Sql, type: string, index: Buffer): Promise<string | undefined> {
  const [row] = await globalSql<{ customer_id: string }[]>`
    select coalesce(c.merged_into, i.customer_id) as customer_id from identity_index i
    left join customers c on c.customer_id = i.customer_id
    where i.type = ${type} and i.blind_index = ${index}`;
  return row?.customer_id;
}
