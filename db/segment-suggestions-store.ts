import type { Sql } from 'postgres';
import { CHURN_RISK_THRESHOLD } from '../domain/predictions';
import { readEffectiveConsents } from './consent-store';

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

const PAGE = 5000;

export async function segmentRegionActivity(
  sql: Sql,
  segmentId: string,
  brandId: string | null,
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
  const reach: Record<string, number> = Object.fromEntries(Object.keys(MARKETING_CHANNELS).map((c) => [c, 0]));
  let after: string | null = null;
  for (;;) {
    const page: { customer_id: string; identifier_types: string[] }[] = await sql`
      select m.customer_id,
             array(select distinct i.type from identities i where i.customer_id = m.customer_id) as identifier_types
      from segment_membership m
      where m.segment_id = ${segmentId} and m.exited_at is null and (${after}::uuid is null or m.customer_id > ${after}::uuid)
      order by m.customer_id limit ${PAGE}`;
    if (page.length === 0) break;
    const consents = await readEffectiveConsents(
      sql,
      page.map((p) => p.customer_id),
      brandId,
    );
    for (const member of page) {
      const consent = consents.get(member.customer_id);
      if (!consent) continue;
      for (const [channel, { purpose, identifier }] of Object.entries(MARKETING_CHANNELS)) {
        if (consent[purpose].state !== 'granted') continue;
        if (identifier !== null && !member.identifier_types.includes(identifier)) continue;
        reach[channel]!++;
      }
    }
    after = page[page.length - 1]!.customer_id;
    if (page.length < PAGE) break;
  }
  return {
    members: summary!.members,
    activityByLocalHour: summary!.hours.map((h) => h ?? 0),
    consentedReach: reach,
    churn: { scored: summary!.scored, atRisk: summary!.at_risk },
  };
}
