import type { Sql } from 'postgres';
import { type AudienceReactor, segmentMembershipReactor } from '../db/audience-processor';
import { computedTraitsReactor } from '../db/computed-traits-store';
import { type RuleTag, ruleTagsOf, syncRuleTags } from '../db/tags-store';
import type { RegionCatalog } from '../domain/regions';

export interface AudienceReactorDeps {
  region: string;
  globalSql: Sql;
  regions: RegionCatalog;
  /** Trait and segment statements run at once within a reactor (default 3). */
  concurrency?: number;
}

/**
 * Three statements at once keep both cores of a small machine busy while the processor waits on
 * PostgreSQL, and leave the region pool (10) room for activities.
 */
const REACTOR_CONCURRENCY = 3;

/** How long the rule-tag reactor reuses the region's list of rule tags. */
const RULE_TAGS_TTL_MS = 2000;

/**
 * `audienceReactors`: what the audience processor runs, in order, for the people whose data
 * changed (db/audience-processor.ts). The order matters: segments may test computed traits, and
 * rule tags mirror segments. Each reactor is `(sql, customerIds) => Promise<void>`, idempotent.
 *   1. computed traits (issue 11 §3): definitions re-read every 30 s (a new or changed trait is
 *      also recomputed for everyone by its own workflow);
 *   2. segment membership;
 *   3. rule tags (`syncRuleTags`): a change notes the person again, so segments on tags follow.
 */
export function audienceReactors(deps: AudienceReactorDeps): AudienceReactor[] {
  const concurrency = deps.concurrency ?? REACTOR_CONCURRENCY;
  return [
    computedTraitsReactor(deps.globalSql, { concurrency }),
    segmentMembershipReactor({ ...deps, concurrency }),
    ruleTagReactor(deps),
  ];
}

function ruleTagReactor(deps: AudienceReactorDeps): AudienceReactor {
  let cached: { at: number; tags: RuleTag[] } | undefined;
  return async (sql, customerIds) => {
    if (!cached || Date.now() - cached.at > RULE_TAGS_TTL_MS)
      cached = { at: Date.now(), tags: await ruleTagsOf(deps.globalSql, deps.region) };
    await syncRuleTags(sql, customerIds, cached.tags);
  };
}
