import type { Sql, TransactionSql } from 'postgres';
import { newDataKey, type RegionKey, unwrapDataKey, wrapDataKey } from './crypto-shredding';

/**
 * A privacy request's own key, wrapped by the region key (as a profile's data key is): an access
 * package and an erasure set are sealed with it, never with the region key itself, so destroying
 * the key when the package expires or the erasure ends leaves every copy (a backup, a replica)
 * unreadable. The key is bound to the request's ID.
 */

const keyOwner = (requestId: string) => `privacy-request:${requestId}`;

/** The request's key, made on first use (two makers at once agree on the first stored). */
export async function requestKey(sql: Sql, regionKey: RegionKey, requestId: string): Promise<Buffer> {
  await sql`
    insert into privacy_request_keys (request_id, key_wrapped)
    values (${requestId}, ${wrapDataKey(regionKey, newDataKey(), keyOwner(requestId))})
    on conflict (request_id) do nothing`;
  const key = await existingRequestKey(sql, regionKey, requestId);
  if (!key) throw new Error(`privacy request ${requestId}: its key was destroyed while being made`);
  return key;
}

/** The request's key, or undefined once it was destroyed (or never made: a copy sealed before request keys existed). */
export async function existingRequestKey(
  sql: Sql,
  regionKey: RegionKey,
  requestId: string,
): Promise<Buffer | undefined> {
  const [row] = await sql<
    { key_wrapped: Buffer }[]
  >`select key_wrapped from privacy_request_keys where request_id = ${requestId}`;
  return row ? unwrapDataKey(regionKey, row.key_wrapped, keyOwner(requestId)) : undefined;
}

/** Crypto-shredding of everything the request copied: nothing sealed with its key opens again. */
export async function destroyRequestKeys(sql: Sql | TransactionSql, requestIds: readonly string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await sql`delete from privacy_request_keys where request_id = any(${sql.array([...requestIds])}::text[])`;
}
