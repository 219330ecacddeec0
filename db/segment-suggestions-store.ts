import type { Sql } from 'postgres';
import { CHURN_RISK_THRESHOLD } from '../domain/predictions';
import { effectiveConsentSql } from './consent-store';

/**
 * What a segment's marketing suggestion needs from one region, as aggregates (issue 11 §6,
 * 智能营销建议): the current members' preferred local hours (computed trait `preferred_local_hour`)
 * as 24 counts, the members reachable per channel with consent for it now, and how many have a
 * churn score and how many of those are at risk. No customer ID leaves this function.
 */

export interface SegmentRegionActivity {
  members: number;
  activityByLocalHour: number[];
  consentedReach: Record<string, number>;
  churn: { scored: number; atRisk: number };
}

/**
 * A channel: the consent purpose it needs and the identifier it sends to (null: push, where the
 * device registers with the app, not as an identifier here).
 */
export const MARKETING_CHANNELS = {
  email: { purpose: 'emailMarketing', identifier: 'email' },
  sms: { purpose: 'smsMarketing', identifier: 'phone' },
  push: { purpose: 'push', identifier: null },
} as const;

/** `consentBrand`: whose consent counts (db/brands-store.ts `consentBrandOf` of the segment's brand; null: the group's). */
export async function segmentRegionActivity(
  sql: Sql,
  segmentId: string,
  consentBrand: string | null,
): Promise<SegmentRegionActivity> {
  const [summary] = await sql<{ members: number; scored: number; at_risk: number; hours: (number | null)[] }[]>`
    select count(*)::int as members,
           count(r.value)::int as scored,
           count(*) filter (where jsonb_typeof(r.value) = 'number' and (r.value)::numeric >= ${CHURN_RISK_THRESHOLD})::int as at_risk,
           array(
             select coalesce(h.n, 0)::int from generate_series(0, 23) as g(hour)
             left join (
               select (v.value)::int as hour, count(*) as n
               from segment_membership sm2
               join computed_trait_values v on v.customer_id = sm2.customer_id and v.trait_id = 'preferred_local_hour'
               where sm2.segment_id = ${segmentId} and sm2.exited_at is null and jsonb_typeof(v.value) = 'number'
               group by 1
             ) h on h.hour = g.hour
             order by g.hour
           ) as hours
    from segment_membership m
    left join computed_trait_values r on r.customer_id = m.customer_id and r.trait_id = 'churn_risk'
    where m.segment_id = ${segmentId} and m.exited_at is null`;
  // One count per channel, in SQL: effective consent now (db/consent-store.ts), and the identifier to send to.
  const reach: Record<string, number> = {};
  for (const [channel, { purpose, identifier }] of Object.entries(MARKETING_CHANNELS)) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from segment_membership m
      join ${effectiveConsentSql(sql, { purpose, consentBrand })} c on c.customer_id = m.customer_id
      where m.segment_id = ${segmentId} and m.exited_at is null and c.state = 'granted'
        and ${
          identifier === null
            ? sql`true`
            : sql`exists (select 1 from identities i where i.customer_id = m.customer_id and i.type = ${identifier})`
        }`;
    reach[channel] = row!.n;
  }
  return {
    members: summary!.members,
    activityByLocalHour: summary!.hours.map((h) => h ?? 0),
    consentedReach: reach,
    churn: { scored: summary!.scored, atRisk: summary!.at_risk },
  };
}
