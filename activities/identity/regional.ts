import { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { mergeProfiles, ProfileMerge } from '../../db/identity-merge-store';
import type { RegionKey } from '../../db/crypto-shredding';

export interface RegionalIdentityDeps {
  region: string;
  sql: Sql;
  regionKey: RegionKey;
}

export interface MergeInRegionInput extends ProfileMerge {
  region: string;
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
      return mergeProfiles(sql, regionKey, input, () => Context.current().heartbeat());
    },
  };
}
