import { mergeMemberships } from './loyalty-store';
import type { Sql, TransactionSql } from 'postgres';
import { takeErasureFence } from './erasure-store';
import { newDataKey, openJson, sealJson, unwrapDataKey, wrapDataKey, type RegionKey } from './crypto-shredding';

/**
 * One ID's merges in the databases: in a region, profile `from` merged into `into` (identities,
 * events and orders re-pointed, traits reconciled, the merge recorded once); in the global
 * database, the identity index and customer registry following it. Idempotent.
 */

export interface ProfileMerge {
  from: string;
  into: string;
  linkedBy: string;
  workflowId: string;
  /** Source trust, to break ties between traits observed at the same instant. */
  sourceTrust: Record<string, number>;
}

/** Follows merged_into from a profile to the one that survives today. */
async function survivor(tx: TransactionSql, customerId: string): Promise<string> {
  let current = customerId;
  for (let hops = 0; hops < 100; hops++) {
    const [row] = await tx<
      { merged_into: string | null }[]
    >`select merged_into from profiles where customer_id = ${current}`;
    if (!row?.merged_into || row.merged_into === current) return current;
    current = row.merged_into;
  }
  throw new Error(`merge chain from ${customerId} is longer than 100 profiles`);
}

/**
 * A profile whose data key was destroyed by an erasure: nothing of it can be read or merged, and
 * retrying cannot change that. Carries the customer ID only (rule 2).
 */
export class ProfileShredded extends Error {
  constructor(readonly customerId: string) {
    super(`profile ${customerId} was erased (its data key is destroyed): it cannot be merged; the merge is dropped`);
    this.name = 'ProfileShredded';
  }
}

async function dataKey(tx: TransactionSql, regionKey: RegionKey, customerId: string): Promise<Buffer> {
  const [row] = await tx<
    { data_key_wrapped: Buffer | null }[]
  >`select data_key_wrapped from profiles where customer_id = ${customerId}`;
  if (row?.data_key_wrapped) return unwrapDataKey(regionKey, row.data_key_wrapped, customerId);
  // A profile row without its key is a shredded profile: making a new key would revive it.
  if (row) throw new ProfileShredded(customerId);
  const key = newDataKey();
  await tx`
    insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, key, customerId)})
    on conflict (customer_id) do nothing`;
  const [stored] = await tx<
    { data_key_wrapped: Buffer }[]
  >`select data_key_wrapped from profiles where customer_id = ${customerId}`;
  return unwrapDataKey(regionKey, stored!.data_key_wrapped, customerId);
}

/**
 * Merges profile `from` into `into` in this region: identities and events (with their queryable
 * properties) re-pointed, traits and their queryable copies (profile_traits) reconciled (newest
 * wins, then the more trusted source), merge recorded once. Values stay
 * sealed with their original profile's key, which the merged profile keeps.
 */
export async function mergeProfiles(
  sql: Sql,
  regionKey: RegionKey,
  merge: ProfileMerge,
  heartbeat: () => void,
): Promise<{ eventsMoved: number; identitiesMoved: number }> {
  return sql.begin(async (tx) => {
    // Behind the erasure fence: an erasure of either profile either finished (and the key check
    // below says so) or waits until this merge committed, then erases what it moved.
    await takeErasureFence(tx, [merge.from, merge.into], 'shared');
    const [fromProfile] = await tx<
      { customer_id: string }[]
    >`select customer_id from profiles where customer_id = ${merge.from} for update`;
    if (!fromProfile) return { eventsMoved: 0, identitiesMoved: 0 };
    const into = await survivor(tx, merge.into);
    if (into === merge.from) return { eventsMoved: 0, identitiesMoved: 0 };
    const intoKey = await dataKey(tx, regionKey, into);
    const fromKey = await dataKey(tx, regionKey, merge.from);

    const identities = await tx`update identities set customer_id = ${into} where customer_id = ${merge.from}`;
    const events = await tx`update events set customer_id = ${into} where customer_id = ${merge.from}`;
    await tx`update orders set customer_id = ${into} where customer_id = ${merge.from}`;
    // Ad clicks follow the person, so a conversion after a merge still finds the click it came by.
    await tx`update ad_clicks set customer_id = ${into} where customer_id = ${merge.from}`;
    // Loyalty: one member per brand survives with both ledgers and the higher tier (recorded).
    await mergeMemberships(tx, merge.from, into);
    // Tags follow the person; one both carried stays one (the survivor's, with its score and time).
    await tx`
      insert into tag_assignments (customer_id, tag_key, origin, score, assigned_at)
      select ${into}, tag_key, origin, score, assigned_at from tag_assignments where customer_id = ${merge.from}
      on conflict (customer_id, tag_key) do nothing`;
    await tx`delete from tag_assignments where customer_id = ${merge.from}`;
    heartbeat();

    const fromTraits = await tx<
      { name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date; source_id: string }[]
    >`
      select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = ${merge.from}`;
    for (const t of fromTraits) {
      const [existing] = await tx<{ observed_at: Date; source_id: string }[]>`
        select observed_at, source_id from traits where customer_id = ${into} and name = ${t.name}`;
      const trust = (s: string) => merge.sourceTrust[s] ?? 0;
      // Raw timestamps arrive as strings from this pool (drizzle's parsers): compare as instants.
      const theirs = existing && new Date(existing.observed_at).getTime();
      const ours = new Date(t.observed_at).getTime();
      const wins = !existing || theirs! < ours || (theirs === ours && trust(t.source_id) > trust(existing.source_id));
      if (!wins) continue;
      const key = t.sealed_with === merge.from ? fromKey : await dataKey(tx, regionKey, t.sealed_with);
      const value = openJson(key, t.value_sealed, `trait:${t.sealed_with}:${t.name}`);
      await tx`
        insert into traits (customer_id, name, value_sealed, sealed_with, observed_at, source_id)
        values (${into}, ${t.name}, ${sealJson(intoKey, value, `trait:${into}:${t.name}`)}, ${into}, ${new Date(t.observed_at).toISOString()}, ${t.source_id})
        on conflict (customer_id, name) do update set value_sealed = excluded.value_sealed, sealed_with = excluded.sealed_with,
          observed_at = excluded.observed_at, source_id = excluded.source_id`;
    }
    await tx`delete from traits where customer_id = ${merge.from}`;
    // The queryable copies follow the same rule: newest wins, then the more trusted source.
    const trust = JSON.stringify(merge.sourceTrust);
    await tx`
      insert into profile_traits (customer_id, key, value, category, source_id, observed_at)
      select ${into}, p.key, p.value, p.category, p.source_id, p.observed_at from profile_traits p
      where p.customer_id = ${merge.from}
        -- Not a part of a trait whose newer value the survivor keeps (that value may have no queryable part).
        and not exists (select 1 from traits t where t.customer_id = ${into}
                          and t.name = split_part(p.key, '.', 1) and t.observed_at > p.observed_at)
      on conflict (customer_id, key) do update set
        value = excluded.value, category = excluded.category, source_id = excluded.source_id, observed_at = excluded.observed_at
      where profile_traits.observed_at < excluded.observed_at
         or (profile_traits.observed_at = excluded.observed_at
             and coalesce((${trust}::jsonb ->> excluded.source_id)::numeric, 0) > coalesce((${trust}::jsonb ->> profile_traits.source_id)::numeric, 0))`;
    await tx`delete from profile_traits where customer_id = ${merge.from}`;
    await tx`update profiles set merged_into = ${into} where customer_id = ${merge.from}`;
    await tx`update profiles set merged_into = ${into} where merged_into = ${merge.from}`;
    // Both re-evaluated by the audience processor: the merged-away profile leaves its segments, the survivor gains its events.
    await tx`insert into audience_changes (customer_id, cause) values (${merge.from}, 'merge'), (${into}, 'merge')`;
    await tx`
      insert into merge_history (from_customer_id, into_customer_id, linked_by, workflow_id, events_moved, identities_moved)
      values (${merge.from}, ${into}, ${merge.linkedBy}, ${merge.workflowId}, ${events.count}, ${identities.count})
      on conflict (from_customer_id) do nothing`;
    return { eventsMoved: events.count, identitiesMoved: identities.count };
  });
}

/** Which regions hold parts of this profile (from the global customer registry). */
export async function regionsHolding(globalSql: Sql, customerId: string): Promise<string[]> {
  const [row] = await globalSql<
    { regions: string[] }[]
  >`select regions from customers where customer_id = ${customerId}`;
  return row?.regions ?? [];
}

/** The global index and customer registry follow the merge. Idempotent. */
export async function recordGlobalMerge(globalSql: Sql, merge: { from: string; into: string }): Promise<void> {
  await globalSql.begin(async (tx) => {
    await tx`update identity_index set customer_id = ${merge.into} where customer_id = ${merge.from}`;
    const [from] = await tx<
      { regions: string[]; home_region: string }[]
    >`select regions, home_region from customers where customer_id = ${merge.from}`;
    await tx`
      insert into customers (customer_id, home_region, regions)
      values (${merge.into}, ${from?.home_region ?? 'global'}, ${from?.regions ?? []}::text[])
      on conflict (customer_id) do update
        set regions = (select array_agg(distinct r) from unnest(customers.regions || excluded.regions) as r)`;
    await tx`update customers set merged_into = ${merge.into} where customer_id = ${merge.from}`;
  });
}
