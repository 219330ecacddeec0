import { eraseLoyalty, forgetMemberIds } from './loyalty-store';
import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { PersonIdentifiers } from '../connectors/privacy';
import { openJson, type RegionKey, sealJson } from './crypto-shredding';
import { destroyRequestKeys, existingRequestKey, requestKey } from './privacy-request-keys-store';

/**
 * Erasure in a region's database: what a legal hold keeps, the suppression that stops a person's
 * new data at once, the identifiers kept (sealed for one request) for the connected systems after
 * Meridian's own copy is gone, the deletion itself with crypto-shredding, and the read-back.
 */

/**
 * The erasure fence (issue 8, item 14): a transaction-scoped advisory lock per customer ID. The
 * erasure takes it exclusively before it deletes; every writer that adds to a profile (ingestion's
 * group commit, a merge) takes it shared before it reads whether the profile is suppressed or
 * shredded. So no identity, event or trait can be committed to a profile while it is being
 * shredded: the writer either commits before the erasure starts (and the erasure deletes what it
 * wrote) or sees the shredded profile afterwards. Locks are taken in key order, so two
 * transactions fencing several customers cannot deadlock on each other.
 */
export async function takeErasureFence(
  tx: TransactionSql,
  customerIds: Iterable<string>,
  mode: 'shared' | 'exclusive',
): Promise<void> {
  const keys = [...new Set([...customerIds].map(fenceKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return;
  const list = tx.array(keys.map(String));
  if (mode === 'shared') {
    await tx`select count(pg_advisory_xact_lock_shared(k)) from (select k from unnest(${list}::bigint[]) with ordinality as u(k, n) order by n) s`;
  } else {
    await tx`select count(pg_advisory_xact_lock(k)) from (select k from unnest(${list}::bigint[]) with ordinality as u(k, n) order by n) s`;
  }
}

/** A signed 64-bit lock key per customer, in its own namespace (the first bytes of a hash). */
function fenceKey(customerId: string): bigint {
  return createHash('sha256').update(`meridian-erasure-fence:${customerId}`).digest().readBigInt64BE(0);
}

/** Of these profiles: those under a deletion request (suppressed) and those already erased (data key destroyed). */
export async function frozenProfiles(
  tx: TransactionSql,
  customerIds: string[],
): Promise<{ suppressed: Set<string>; shredded: Set<string> }> {
  if (customerIds.length === 0) return { suppressed: new Set(), shredded: new Set() };
  const list = tx.array(customerIds);
  const rows = await tx<{ customer_id: string; why: 'suppressed' | 'shredded' }[]>`
    select customer_id, 'suppressed' as why from suppressions where customer_id = any(${list}::uuid[])
    union all
    select customer_id, 'shredded' from profiles where customer_id = any(${list}::uuid[]) and data_key_wrapped is null`;
  return {
    suppressed: new Set(rows.filter((r) => r.why === 'suppressed').map((r) => r.customer_id)),
    shredded: new Set(rows.filter((r) => r.why === 'shredded').map((r) => r.customer_id)),
  };
}

const erasureSetContext = (requestId: string, customerId: string) => `privacy-erasure:${requestId}:${customerId}`;

export async function activeLegalHolds(sql: Sql, customerId: string): Promise<{ scope: string; reason: string }[]> {
  return sql<{ scope: string; reason: string }[]>`
    select scope, reason from legal_holds where customer_id = ${customerId} and removed_at is null order by id`;
}

/** Stops marketing and ingestion for the person at once; reversible until erasure. */
export async function suppress(sql: Sql, customerId: string, requestId: string): Promise<void> {
  await sql`insert into suppressions (customer_id, request_id) values (${customerId}, ${requestId}) on conflict do nothing`;
}

export async function unsuppress(sql: Sql, customerId: string, requestId: string): Promise<void> {
  await sql`delete from suppressions where customer_id = ${customerId} and request_id = ${requestId}`;
}

/** The identifiers the connected systems need, sealed with the request's own key (kept once). */
export async function storeErasureSet(
  sql: Sql,
  regionKey: RegionKey,
  requestId: string,
  customerId: string,
  person: PersonIdentifiers,
): Promise<void> {
  const key = await requestKey(sql, regionKey, requestId);
  await sql`
    insert into privacy_erasure_sets (request_id, customer_id, identifiers_sealed)
    values (${requestId}, ${customerId}, ${sealJson(key, person, erasureSetContext(requestId, customerId))})
    on conflict do nothing`;
}

export async function readErasureSet(
  sql: Sql,
  regionKey: RegionKey,
  requestId: string,
  customerId: string,
): Promise<PersonIdentifiers | undefined> {
  const [row] = await sql<{ identifiers_sealed: Buffer }[]>`
    select identifiers_sealed from privacy_erasure_sets where request_id = ${requestId} and customer_id = ${customerId}`;
  if (!row) return undefined;
  // A set stored before requests had keys was sealed with the region key.
  const key = (await existingRequestKey(sql, regionKey, requestId)) ?? regionKey;
  return openJson<PersonIdentifiers>(key, row.identifiers_sealed, erasureSetContext(requestId, customerId));
}

/** The erasure is over: the copy goes, and its key with it (so a backup of the copy no longer opens). */
export async function destroyErasureSet(sql: Sql, requestId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from privacy_erasure_sets where request_id = ${requestId}`;
    await destroyRequestKeys(tx, [requestId]);
  });
}

/** The person's profile and every profile merged into it. */
export async function profilesOf(sql: Sql, customerId: string): Promise<string[]> {
  const ids = await sql<{ customer_id: string }[]>`
    select customer_id from profiles where customer_id = ${customerId} or merged_into = ${customerId}`;
  return ids.map((r) => r.customer_id);
}

/**
 * Deletes the profiles' identities, traits (sealed and queryable), events, consent, what the audience
 * layer derived from them (computed traits, tags, segment membership and its history), and orders
 * unless a legal hold keeps them, and destroys their data keys (so any copy left no longer opens); then the global index
 * forgets their tokens. Returns the rows deleted.
 */
export async function eraseProfiles(
  sql: Sql,
  globalSql: Sql,
  customers: string[],
  keepOrders: boolean,
  /** The person's IDs at the vendors (platform identifiers): the sync rejections naming them go too. */
  vendorRecordIds: readonly string[] = [],
): Promise<{
  identities: number;
  traits: number;
  profileTraits: number;
  events: number;
  orders: number;
  exports: number;
  syncRejections: number;
}> {
  let tokens: { type: string; blind_index: Buffer }[] = [];
  const counts = await sql.begin(async (tx) => {
    // Behind the fence: an ingest commit that wrote to these profiles has committed, and its rows are deleted here.
    await takeErasureFence(tx, customers, 'exclusive');
    const list = tx.array(customers);
    tokens = await tx<
      { type: string; blind_index: Buffer }[]
    >`select type, blind_index from identities where customer_id = any(${list}::uuid[])`;
    // A rejected record names the vendor's ID of the person or of their order, never the values: those IDs go too.
    const orderIds = await tx<
      { external_id: string }[]
    >`select external_id from orders where customer_id = any(${list}::uuid[])`;
    const rejectionIds = [...new Set([...vendorRecordIds, ...orderIds.map((o) => o.external_id)])];
    const syncRejections = rejectionIds.length
      ? await tx`delete from sync_rejections where external_id = any(${tx.array(rejectionIds)}::text[])`
      : { count: 0 };
    // Access packages of the person, and the keys of the requests that made them.
    const exports = await tx<
      { request_id: string }[]
    >`delete from privacy_exports where customer_id = any(${list}::uuid[]) returning request_id`;
    await destroyRequestKeys(tx, [...new Set(exports.map((e) => e.request_id))]);
    await tx`delete from consent_propagation_systems where propagation_id in (select id from consent_propagations where customer_id = any(${list}::uuid[]))`;
    await tx`delete from consent_propagations where customer_id = any(${list}::uuid[])`;
    const identities = await tx`delete from identities where customer_id = any(${list}::uuid[])`;
    const traits = await tx`delete from traits where customer_id = any(${list}::uuid[])`;
    const events = await tx`delete from events where customer_id = any(${list}::uuid[])`;
    // The queryable copies of the person's traits (their events' queryable properties go with the events).
    const profileTraits = await tx`delete from profile_traits where customer_id = any(${list}::uuid[])`;
    await tx`delete from consent_records where customer_id = any(${list}::uuid[])`;
    await tx`delete from consent_evidence where customer_id = any(${list}::uuid[])`;
    await tx`delete from ad_clicks where customer_id = any(${list}::uuid[])`;
    await tx`delete from ad_conversion_uploads where customer_id = any(${list}::uuid[])`;
    await tx`delete from consent_subjects where customer_id = any(${list}::uuid[])`;
    // Segment membership, its history and outbox, and pending audience changes: keyed by the customer ID only, but theirs.
    await tx`delete from segment_membership where customer_id = any(${list}::uuid[])`;
    await tx`delete from segment_membership_events where customer_id = any(${list}::uuid[])`;
    await tx`delete from audience_changes where customer_id = any(${list}::uuid[])`;
    await tx`delete from tag_assignments where customer_id = any(${list}::uuid[])`;
    await tx`delete from held_merges where from_customer_id = any(${list}::uuid[]) or into_customer_id = any(${list}::uuid[])`;
    // Values derived from the person's events and orders (computed traits, predictions) go with them.
    await tx`delete from computed_trait_values where customer_id = any(${list}::uuid[])`;
    await tx`delete from event_facts where customer_id = any(${list}::uuid[])`;
    await tx`delete from event_facts_recent where customer_id = any(${list}::uuid[])`;
    await tx`delete from order_facts where customer_id = any(${list}::uuid[])`;
    await tx`delete from consent_facts where customer_id = any(${list}::uuid[])`;
    // What the send gate kept of the messages sent to them (keys, counters): IDs only, but theirs.
    await tx`delete from send_keys where customer_id = any(${list}::uuid[])`;
    await tx`delete from send_counters where customer_id = any(${list}::uuid[])`;
    await tx`delete from channel_suppressions where customer_id = any(${list}::uuid[])`;
    // Ad audience bookkeeping (IDs only); the platforms themselves are reached by the connector's erase.
    await tx`delete from ad_audience_members where customer_id = any(${list}::uuid[])`;
    await tx`delete from ad_audience_candidates where customer_id = any(${list}::uuid[])`;
    await tx`delete from broadcast_recipients where customer_id = any(${list}::uuid[])`;
    // Their journey runs, step outcomes and pending journey events (the runs' workflows hold IDs only).
    await tx`delete from journey_step_outcomes where run_id in (select run_id from journey_runs where customer_id = any(${list}::uuid[]))`;
    await tx`delete from journey_runs where customer_id = any(${list}::uuid[])`;
    await tx`delete from journey_event_outbox where customer_id = any(${list}::uuid[])`;
    const orders = keepOrders ? { count: 0 } : await tx`delete from orders where customer_id = any(${list}::uuid[])`;
    // Loyalty: memberships, tier history and the ledger, except redemptions a legal hold keeps with the orders.
    await eraseLoyalty(tx, customers, keepOrders);
    // Crypto-shredding: without the data key, nothing sealed for these profiles opens again.
    await tx`update profiles set data_key_wrapped = null where customer_id = any(${list}::uuid[])`;
    return {
      identities: identities.count,
      traits: traits.count,
      profileTraits: profileTraits.count,
      events: events.count,
      orders: orders.count,
      exports: exports.length,
      syncRejections: syncRejections.count,
    };
  });
  // The member ID (global, pseudonymous) would still name the erased person at a till: it goes too.
  await forgetMemberIds(globalSql, customers);
  if (tokens.length > 0) {
    // Two plain text parameters, not arrays: postgres.js types an array parameter from what a pool's
    // first connection learnt of the server's array types, so a pool that has answered nothing yet
    // sends a Buffer array as bytea ("cannot cast type bytea to bytea[]"). Entry points wait for a
    // first answer; this statement does not depend on it. Types are names and tokens hex: no commas.
    await globalSql`
      delete from identity_index where (type, blind_index) in (
        select t.type, decode(t.hex, 'hex')
        from unnest(string_to_array(${tokens.map((t) => t.type).join(',')}, ','),
                    string_to_array(${tokens.map((t) => t.blind_index.toString('hex')).join(',')}, ',')) as t(type, hex))`;
  }
  return counts;
}

/**
 * Tables that keep a row naming an erased person on purpose: the profile itself (its data key
 * destroyed, so nothing sealed for it opens), the request and its own copy (destroyed when the
 * request ends), the legal holds, the suppression that stops new data arriving for them, and the
 * audit of who saw their data (append-only by law and by trigger; it holds the customer ID and the
 * names of fields shown, never a value, so once the key is gone it leads to no one).
 */
export const KEPT_AFTER_ERASURE = [
  'profiles',
  'privacy_requests',
  'privacy_erasure_sets',
  'legal_holds',
  'suppressions',
  'personal_data_access_audit',
] as const;

/**
 * What is left of the person that could still be read: data keys not destroyed, and rows naming
 * the person in every table of the region that has a customer_id column (found in the catalogue, so
 * a table added later is scanned too), except those kept on purpose and the orders a legal hold keeps.
 */
export async function erasureLeftovers(
  sql: Sql,
  customerId: string,
  keepOrders = false,
): Promise<{ liveDataKeys: number; rows: number; tables: Record<string, number> }> {
  const customers = await profilesOf(sql, customerId);
  const ids = sql.array(customers.length ? customers : [customerId]);
  const [keys] = await sql<{ n: number }[]>`
    select count(*)::int as n from profiles where customer_id = any(${ids}::uuid[]) and data_key_wrapped is not null`;
  const kept: string[] = [...KEPT_AFTER_ERASURE, ...(keepOrders ? ['orders'] : [])];
  // Tables and partitioned tables (the event log), not their partitions: a row is counted once.
  const tables = await sql<{ table_name: string }[]>`
    select c.relname as table_name from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'customer_id' and not a.attisdropped
    where c.relkind in ('r', 'p') and not c.relispartition and c.relname <> all(${sql.array(kept)}::text[])
    order by c.relname`;
  const left: Record<string, number> = {};
  for (const { table_name } of tables) {
    // Redemptions a legal hold keeps (tax records) are kept on purpose, like the orders.
    const held = keepOrders && table_name === 'loyalty_ledger' ? sql`and kind <> 'redeem'` : sql``;
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from ${sql(table_name)} where customer_id = any(${ids}::uuid[]) ${held}`;
    if (row!.n > 0) left[table_name] = row!.n;
  }
  return { liveDataKeys: keys!.n, rows: Object.values(left).reduce((a, b) => a + b, 0), tables: left };
}

/** Places a legal hold on a person's data in this region (erasure keeps what it covers); answers its ID. */
export async function placeLegalHold(
  sql: Sql,
  hold: { customerId: string; scope: string; reason: string; placedBy: string },
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into legal_holds (customer_id, scope, reason, placed_by)
    values (${hold.customerId}, ${hold.scope}, ${hold.reason}, ${hold.placedBy}) returning id`;
  return row!.id;
}

/** Lifts an active legal hold; false when there is none with that ID. */
export async function liftLegalHold(sql: Sql, id: number): Promise<boolean> {
  const rows =
    await sql`update legal_holds set removed_at = now() where id = ${id} and removed_at is null returning id`;
  return rows.length > 0;
}
