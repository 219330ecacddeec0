import type { Sql } from 'postgres';
import type { IdentityRulesStore } from '../../db/identity-rules-store';
import type { RegionCatalog } from '../../domain/regions';

export interface GlobalIdentityDeps {
  globalSql: Sql;
  regions: RegionCatalog;
  rules: IdentityRulesStore;
}

export function createGlobalIdentityActivities({ globalSql, regions, rules }: GlobalIdentityDeps) {
  return {
    /** Where the merged profile has regional parts, and the source trust to reconcile traits with. */
    async planMerge(input: { from: string }): Promise<{ regions: { name: string; taskQueue: string }[]; sourceTrust: Record<string, number> }> {
      const [row] = await globalSql<{ regions: string[] }[]>`select regions from customers where customer_id = ${input.from}`;
      const names = row?.regions ?? [];
      const current = await rules.refresh();
      return {
        regions: names.filter((n) => regions.regions.some((r) => r.name === n)).map((n) => ({ name: n, taskQueue: regions.region(n).taskQueue })),
        sourceTrust: current.sourceTrust,
      };
    },

    /** The global index and customer registry follow the merge. Idempotent. */
    async recordGlobalMerge(input: { from: string; into: string }): Promise<void> {
      await globalSql.begin(async (tx) => {
        await tx`update identity_index set customer_id = ${input.into} where customer_id = ${input.from}`;
        const [from] = await tx<{ regions: string[]; home_region: string }[]>`select regions, home_region from customers where customer_id = ${input.from}`;
        await tx`
          insert into customers (customer_id, home_region, regions)
          values (${input.into}, ${from?.home_region ?? 'global'}, ${from?.regions ?? []}::text[])
          on conflict (customer_id) do update
            set regions = (select array_agg(distinct r) from unnest(customers.regions || excluded.regions) as r)`;
        await tx`update customers set merged_into = ${input.into} where customer_id = ${input.from}`;
      });
    },
  };
}
