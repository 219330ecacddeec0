import type { Sql } from 'postgres';
import { recordGlobalMerge, regionsHolding } from '../../db/identity-merge-store';
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
    async planMerge(input: {
      from: string;
    }): Promise<{ regions: { name: string; taskQueue: string }[]; sourceTrust: Record<string, number> }> {
      const names = await regionsHolding(globalSql, input.from);
      const current = await rules.refresh();
      return {
        regions: names
          .filter((n) => regions.regions.some((r) => r.name === n))
          .map((n) => ({ name: n, taskQueue: regions.region(n).taskQueue })),
        sourceTrust: current.sourceTrust,
      };
    },

    /** The global index and customer registry follow the merge. Idempotent. */
    async recordGlobalMerge(input: { from: string; into: string }): Promise<void> {
      await recordGlobalMerge(globalSql, input);
    },
  };
}
