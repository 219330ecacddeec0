import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { mergeProfiles, ProfileMerge, ProfileShredded } from '../../db/identity-merge-store';
import type { RegionKey } from '../../db/crypto-shredding';
import { PROFILE_SHREDDED_FAILURE } from '../../domain/workflow-inputs';

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
      try {
        return await mergeProfiles(sql, regionKey, input, () => Context.current().heartbeat());
      } catch (error) {
        // Retrying would never succeed (issue 8, item 19): end this merge with a clear reason.
        if (error instanceof ProfileShredded)
          throw ApplicationFailure.nonRetryable(error.message, PROFILE_SHREDDED_FAILURE);
        throw error;
      }
    },
  };
}
