import { loyaltyExport } from './loyalty-store';
import type { Sql } from 'postgres';
import { open, openJson, seal, unwrapDataKey, type RegionKey } from './crypto-shredding';
import { destroyRequestKeys, existingRequestKey, requestKey } from './privacy-request-keys-store';

/**
 * An access request's packages in a region: what Meridian holds of the person there, opened with
 * their data keys, and each package stored sealed with the request's own key until it expires;
 * then the packages and the key are deleted (a backup of a package no longer opens). A region may
 * hold several packages of one request (two profiles with the requester's email): each is served.
 */

/** How long an access request's package may be downloaded. */
export const EXPORT_DAYS = 7;
export const exportContext = (requestId: string, customerId: string) => `privacy-export:${requestId}:${customerId}`;

/** Everything held of the person (and profiles merged into theirs), values opened. */
export async function readPersonForExport(sql: Sql, regionKey: RegionKey, customerId: string) {
  const profiles = await sql<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
    select customer_id, data_key_wrapped from profiles where customer_id = ${customerId} or merged_into = ${customerId}`;
  const keys = new Map(
    profiles
      .filter((p) => p.data_key_wrapped)
      .map((p) => [p.customer_id, unwrapDataKey(regionKey, p.data_key_wrapped!, p.customer_id)]),
  );
  const keyOf = (id: string) => keys.get(id);
  const ids = profiles.map((p) => p.customer_id);
  const list = sql.array(ids);
  const identities = (
    await sql<
      { type: string; value_sealed: Buffer; sealed_with: string; source_id: string; first_seen_at: Date | string }[]
    >`
    select type, value_sealed, sealed_with, source_id, first_seen_at from identities where customer_id = any(${list}::uuid[]) order by first_seen_at`
  )
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({
      type: r.type,
      value: open(keyOf(r.sealed_with)!, r.value_sealed, `identity:${r.sealed_with}:${r.type}`).toString('utf8'),
      source: r.source_id,
      firstSeenAt: new Date(r.first_seen_at).toISOString(),
    }));
  const traits = (
    await sql<
      { name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date | string; source_id: string }[]
    >`
    select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = any(${list}::uuid[]) order by name`
  )
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({
      name: r.name,
      value: openJson(keyOf(r.sealed_with)!, r.value_sealed, `trait:${r.sealed_with}:${r.name}`),
      observedAt: new Date(r.observed_at).toISOString(),
      source: r.source_id,
    }));
  const events = (
    await sql<
      {
        id: string;
        type: string;
        event: string | null;
        timestamp: Date | string;
        source_id: string;
        sealed_with: string;
        payload_sealed: Buffer;
      }[]
    >`
    select id, type, event, timestamp, source_id, sealed_with, payload_sealed from events where customer_id = any(${list}::uuid[]) order by timestamp`
  )
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({
      id: r.id,
      type: r.type,
      event: r.event,
      timestamp: new Date(r.timestamp).toISOString(),
      source: r.source_id,
      payload: openJson(keyOf(r.sealed_with)!, r.payload_sealed, `event:${r.sealed_with}:${r.id}`),
    }));
  const orders = await sql<Record<string, unknown>[]>`
    select source_id, external_id, order_number, currency, total_minor::text, reporting_currency, reporting_total_minor::text, placed_at, time_zone,
           to_char(local_date, 'YYYY-MM-DD') as local_date, status, country_code
    from orders where customer_id = any(${list}::uuid[]) order by placed_at`;
  const consent = await sql<Record<string, unknown>[]>`
    select purpose, state, source, recorded_at, proof_kind, proof_reference from consent_records where customer_id = any(${list}::uuid[]) order by recorded_at`;
  // Loyalty (issue 14): memberships, the ledger and the tier history are the person's too.
  const loyalty = await loyaltyExport(sql, [...new Set([customerId, ...ids])]);
  return { identities, traits, events, orders, consent, loyalty };
}

/** Stores (or replaces) the request's package for this person, sealed with the request's key; returns when it expires. */
export async function storeExport(
  sql: Sql,
  regionKey: RegionKey,
  requestId: string,
  customerId: string,
  zip: Uint8Array,
): Promise<{ expiresAt: string }> {
  const expiresAt = new Date(Date.now() + EXPORT_DAYS * 86_400_000).toISOString();
  const key = await requestKey(sql, regionKey, requestId);
  await sql`
    insert into privacy_exports (request_id, customer_id, package_sealed, bytes, expires_at)
    values (${requestId}, ${customerId}, ${seal(key, Buffer.from(zip), exportContext(requestId, customerId))}, ${zip.length}, ${expiresAt})
    on conflict (request_id, customer_id) do update set package_sealed = excluded.package_sealed, bytes = excluded.bytes, expires_at = excluded.expires_at`;
  return { expiresAt };
}

/** The request's packages in this region that may still be downloaded, numbered from 1 in a stable order. */
export async function listExports(
  sql: Sql,
  requestId: string,
  now = new Date(),
): Promise<{ packageNo: number; bytes: number; expiresAt: string }[]> {
  const rows = await sql<{ bytes: number; expires_at: Date | string }[]>`
    select bytes, expires_at from privacy_exports where request_id = ${requestId} and expires_at > ${now.toISOString()}
    order by created_at, customer_id`;
  return rows.map((r, i) => ({ packageNo: i + 1, bytes: r.bytes, expiresAt: new Date(r.expires_at).toISOString() }));
}

/** One package (numbered as listExports numbers them), opened; undefined if there is none, it expired or its key is gone. */
export async function openExport(
  sql: Sql,
  regionKey: RegionKey,
  requestId: string,
  packageNo: number,
  now = new Date(),
): Promise<Buffer | undefined> {
  const rows = await sql<{ customer_id: string; package_sealed: Buffer }[]>`
    select customer_id, package_sealed from privacy_exports where request_id = ${requestId} and expires_at > ${now.toISOString()}
    order by created_at, customer_id`;
  const row = rows[packageNo - 1];
  if (!row) return undefined;
  // A package stored before requests had keys was sealed with the region key (and expires within EXPORT_DAYS).
  const key = (await existingRequestKey(sql, regionKey, requestId)) ?? regionKey;
  return open(key, row.package_sealed, exportContext(requestId, row.customer_id));
}

/** The packages have expired (or the person was erased): they go, and the request's key with them. */
export async function deleteExports(sql: Sql, requestId: string): Promise<number> {
  return sql.begin(async (tx) => {
    const deleted = await tx`delete from privacy_exports where request_id = ${requestId}`;
    await destroyRequestKeys(tx, [requestId]);
    return deleted.count;
  });
}

/**
 * The backstop of the saga's own clean-up (and the clean-up of access requests answered before the
 * saga did it): packages past their expiry are deleted, with the keys of requests left without one,
 * and an answered access request with no package left forgets its requester's email and free text.
 */
export async function sweepExpiredAccessPackages(
  sql: Sql,
  now = new Date(),
): Promise<{ packages: number; requestersForgotten: number }> {
  return sql.begin(async (tx) => {
    const expired = await tx<
      { request_id: string }[]
    >`delete from privacy_exports where expires_at <= ${now.toISOString()} returning request_id`;
    const requests = [...new Set(expired.map((e) => e.request_id))];
    const left = requests.length
      ? await tx<
          { request_id: string }[]
        >`select distinct request_id from privacy_exports where request_id = any(${tx.array(requests)}::text[])`
      : [];
    await destroyRequestKeys(
      tx,
      requests.filter((id) => !left.some((l) => l.request_id === id)),
    );
    const forgotten = await tx`
      update privacy_requests r set email_sealed = null, details_sealed = null
      where r.type = 'access' and r.finished_at is not null and r.email_sealed is not null
        and r.finished_at <= ${new Date(now.getTime() - EXPORT_DAYS * 86_400_000).toISOString()}
        and not exists (select 1 from privacy_exports e where e.request_id = r.id)`;
    return { packages: expired.length, requestersForgotten: forgotten.count };
  });
}
