import type { Sql } from 'postgres';
import { type AudienceReactor, segmentMembershipReactor } from '../db/audience-processor';
import type { RegionCatalog } from '../domain/regions';

export interface AudienceReactorDeps {
  region: string;
  globalSql: Sql;
  regions: RegionCatalog;
}

/**
 * `audienceReactors`: what the audience processor runs, in order, for the people whose data
 * changed (db/audience-processor.ts). The order matters: segments may test computed traits, and
 * rule tags are segments. Each reactor is `(sql, customerIds) => Promise<void>`, idempotent.
 *   1. computed traits (issue 11 §3) — their reactor goes first in this list;
 *   2. segment membership;
 *   3. rule tags (issue 11 §4, `syncRuleTags`) — after segments.
 */
export function audienceReactors(deps: AudienceReactorDeps): AudienceReactor[] {
  return [segmentMembershipReactor(deps)];
}
