import type { Sql } from 'postgres';
import { open, openJson, seal, unwrapDataKey, type RegionKey } from './crypto-shredding';

/**
 * An access request's package in a region: what Meridian holds of the person there, opened with
 * their data keys, and the package stored sealed with the region key until the requester
 * downloads it (web/privacy/routes.ts opens it with the same context).
 */

/** How long an access request's package may be downloaded. */
export const EXPORT_DAYS = 7;
export const exportContext = (requestId: string, customerId: string) => `privacy-export:${requestId}:${customerId}`;

/** Everything held of the person (and profiles merged into theirs), values opened. */
export async function readPersonForExport(sql: Sql, regionKey: RegionKey, customerId: string) {
  const profiles = await sql<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
    select customer_id, data_key_wrapped from profiles where customer_id = ${customerId} or merged_into = ${customerId}`;
  const keys = new Map(profiles.filter((p) => p.data_key_wrapped).map((p) => [p.customer_id, unwrapDataKey(regionKey, p.data_key_wrapped!, p.customer_id)]));
  const keyOf = (id: string) => keys.get(id);
  const ids = profiles.map((p) => p.customer_id);
  const list = sql.array(ids);
  const identities = (await sql<{ type: string; value_sealed: Buffer; sealed_with: string; source_id: string; first_seen_at: Date | string }[]>`
    select type, value_sealed, sealed_with, source_id, first_seen_at from identities where customer_id = any(${list}::uuid[]) order by first_seen_at`)
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({ type: r.type, value: open(keyOf(r.sealed_with)!, r.value_sealed, `identity:${r.sealed_with}:${r.type}`).toString('utf8'), source: r.source_id, firstSeenAt: new Date(r.first_seen_at).toISOString() }));
  const traits = (await sql<{ name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date | string; source_id: string }[]>`
    select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = any(${list}::uuid[]) order by name`)
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({ name: r.name, value: openJson(keyOf(r.sealed_with)!, r.value_sealed, `trait:${r.sealed_with}:${r.name}`), observedAt: new Date(r.observed_at).toISOString(), source: r.source_id }));
  const events = (await sql<{ id: string; type: string; event: string | null; timestamp: Date | string; source_id: string; sealed_with: string; payload_sealed: Buffer }[]>`
    select id, type, event, timestamp, source_id, sealed_with, payload_sealed from events where customer_id = any(${list}::uuid[]) order by timestamp`)
    .filter((r) => keyOf(r.sealed_with))
    .map((r) => ({ id: r.id, type: r.type, event: r.event, timestamp: new Date(r.timestamp).toISOString(), source: r.source_id, payload: openJson(keyOf(r.sealed_with)!, r.payload_sealed, `event:${r.sealed_with}:${r.id}`) }));
  const orders = await sql<Record<string, unknown>[]>`
    select source_id, external_id, order_number, currency, total_minor::text, reporting_currency, reporting_total_minor::text, placed_at, time_zone,
           to_char(local_date, 'YYYY-MM-DD') as local_date, status, country_code
    from orders where customer_id = any(${list}::uuid[]) order by placed_at`;
  const consent = await sql<Record<string, unknown>[]>`
    select purpose, state, source, recorded_at, proof_kind, proof_reference from consent_records where customer_id = any(${list}::uuid[]) order by recorded_at`;
  return { identities, traits, events, orders, consent };
}

/** Stores (or replaces) the request's package for this person, sealed, downloadable until EXPORT_DAYS from now. */
export async function storeExport(sql: Sql, regionKey: Buffer, requestId: string, customerId: string, zip: Uint8Array): Promise<void> {
  const expires = new Date(Date.now() + EXPORT_DAYS * 86_400_000).toISOString();
  await sql`
    insert into privacy_exports (request_id, customer_id, package_sealed, bytes, expires_at)
    values (${requestId}, ${customerId}, ${seal(regionKey, Buffer.from(zip), exportContext(requestId, customerId))}, ${zip.length}, ${expires})
    on conflict (request_id, customer_id) do update set package_sealed = excluded.package_sealed, bytes = excluded.bytes, expires_at = excluded.expires_at`;
}
