import { Context } from '@temporalio/activity';
import type { Sql, TransactionSql } from 'postgres';
import { newDataKey, openJson, sealJson, unwrapDataKey, wrapDataKey } from '../../db/crypto-shredding';

export interface RegionalIdentityDeps {
  region: string;
  sql: Sql;
  regionKey: Buffer;
}

export interface MergeInRegionInput {
  from: string;
  into: string;
  linkedBy: string;
  region: string;
  workflowId: string;
  sourceTrust: Record<string, number>;
}

/** Follows merged_into from a profile to the one that survives today. */
async function survivor(tx: TransactionSql, customerId: string): Promise<string> {
  let current = customerId;
  for (let hops = 0; hops < 100; hops++) {
    const [row] = await tx<{ merged_into: string | null }[]>`select merged_into from profiles where customer_id = ${current}`;
    if (!row?.merged_into || row.merged_into === current) return current;
    current = row.merged_into;
  }
  throw new Error(`merge chain from ${customerId} is longer than 100 profiles`);
}

async function dataKey(tx: TransactionSql, regionKey: Buffer, customerId: string): Promise<Buffer> {
  const [row] = await tx<{ data_key_wrapped: Buffer | null }[]>`select data_key_wrapped from profiles where customer_id = ${customerId}`;
  if (row?.data_key_wrapped) return unwrapDataKey(regionKey, row.data_key_wrapped, customerId);
  const key = newDataKey();
  await tx`
    insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, key, customerId)})
    on conflict (customer_id) do nothing`;
  const [stored] = await tx<{ data_key_wrapped: Buffer }[]>`select data_key_wrapped from profiles where customer_id = ${customerId}`;
  return unwrapDataKey(regionKey, stored!.data_key_wrapped, customerId);
}

export function createRegionalIdentityActivities({ region, sql, regionKey }: RegionalIdentityDeps) {
  return {
    /**
     * Merges profile `from` into `into` in this region: identities and events re-pointed, traits
     * reconciled (newest wins, then the more trusted source), merge recorded once. Values stay
     * sealed with their original profile's key, which the merged profile keeps.
     */
    async mergeProfilesInRegion(input: MergeInRegionInput): Promise<{ eventsMoved: number; identitiesMoved: number }> {
      if (input.region !== region) throw new Error(`merge for region ${input.region} reached the ${region} worker`);
      return sql.begin(async (tx) => {
        const [fromProfile] = await tx<{ customer_id: string }[]>`select customer_id from profiles where customer_id = ${input.from} for update`;
        if (!fromProfile) return { eventsMoved: 0, identitiesMoved: 0 };
        const into = await survivor(tx, input.into);
        if (into === input.from) return { eventsMoved: 0, identitiesMoved: 0 };
        const intoKey = await dataKey(tx, regionKey, into);
        const fromKey = await dataKey(tx, regionKey, input.from);

        const identities = await tx`update identities set customer_id = ${into} where customer_id = ${input.from}`;
        const events = await tx`update events set customer_id = ${into} where customer_id = ${input.from}`;
        await tx`update orders set customer_id = ${into} where customer_id = ${input.from}`;
        Context.current().heartbeat();

        const fromTraits = await tx<{ name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date; source_id: string }[]>`
          select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = ${input.from}`;
        for (const t of fromTraits) {
          const [existing] = await tx<{ observed_at: Date; source_id: string }[]>`
            select observed_at, source_id from traits where customer_id = ${into} and name = ${t.name}`;
          const trust = (s: string) => input.sourceTrust[s] ?? 0;
          // Raw timestamps arrive as strings from this pool (drizzle's parsers): compare as instants.
          const theirs = existing && new Date(existing.observed_at).getTime();
          const ours = new Date(t.observed_at).getTime();
          const wins = !existing || theirs! < ours || (theirs === ours && trust(t.source_id) > trust(existing.source_id));
          if (!wins) continue;
          const key = t.sealed_with === input.from ? fromKey : await dataKey(tx, regionKey, t.sealed_with);
          const value = openJson(key, t.value_sealed, `trait:${t.sealed_with}:${t.name}`);
          await tx`
            insert into traits (customer_id, name, value_sealed, sealed_with, observed_at, source_id)
            values (${into}, ${t.name}, ${sealJson(intoKey, value, `trait:${into}:${t.name}`)}, ${into}, ${new Date(t.observed_at).toISOString()}, ${t.source_id})
            on conflict (customer_id, name) do update set value_sealed = excluded.value_sealed, sealed_with = excluded.sealed_with,
              observed_at = excluded.observed_at, source_id = excluded.source_id`;
        }
        await tx`delete from traits where customer_id = ${input.from}`;
        await tx`update profiles set merged_into = ${into} where customer_id = ${input.from}`;
        await tx`update profiles set merged_into = ${into} where merged_into = ${input.from}`;
        await tx`
          insert into merge_history (from_customer_id, into_customer_id, linked_by, workflow_id, events_moved, identities_moved)
          values (${input.from}, ${into}, ${input.linkedBy}, ${input.workflowId}, ${events.count}, ${identities.count})
          on conflict (from_customer_id) do nothing`;
        return { eventsMoved: events.count, identitiesMoved: identities.count };
      });
    },
  };
}
