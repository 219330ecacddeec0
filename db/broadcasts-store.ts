import type { Sql } from 'postgres';
import type { BroadcastInput, BroadcastStatus, ZoneClues } from '../domain/broadcasts';
import type { Channel } from '../domain/quiet-hours';
import { segmentMembersPageSql } from './segments-store';

/**
 * Broadcasts: the definition in the global database (`broadcasts`, no personal data), the plan in
 * the region (`broadcast_recipients`: customer ID, zone, instant, outcome). The plan is written
 * idempotently (a page planned twice after a crash changes nothing) and sent in due order.
 */

export interface Broadcast extends BroadcastInput {
  status: BroadcastStatus;
  startedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface BroadcastRow {
  id: string;
  name: string;
  region: string;
  brand_id: string;
  segment_id: string;
  channel: string;
  template_ref: string;
  local_time: string;
  local_date: string | null;
  when_passed: string;
  fallback_zone: string;
  status: string;
  started_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const toBroadcast = (r: BroadcastRow): Broadcast => ({
  id: r.id,
  name: r.name,
  region: r.region,
  brandId: r.brand_id,
  segmentId: r.segment_id,
  channel: r.channel as Channel,
  templateRef: r.template_ref,
  localTime: r.local_time,
  ...(r.local_date ? { localDate: r.local_date } : {}),
  whenPassed: r.when_passed as BroadcastInput['whenPassed'],
  fallbackZone: r.fallback_zone,
  status: r.status as BroadcastStatus,
  startedAt: r.started_at === null ? null : new Date(r.started_at),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** A new broadcast (a draft); undefined when the ID is taken. */
export async function createBroadcast(globalSql: Sql, input: BroadcastInput): Promise<Broadcast | undefined> {
  const [row] = await globalSql<BroadcastRow[]>`
    insert into broadcasts (id, name, region, brand_id, segment_id, channel, template_ref, local_time, local_date,
                            when_passed, fallback_zone)
    values (${input.id}, ${input.name}, ${input.region}, ${input.brandId}, ${input.segmentId}, ${input.channel},
            ${input.templateRef}, ${input.localTime}, ${input.localDate ?? null}, ${input.whenPassed}, ${input.fallbackZone})
    on conflict (id) do nothing returning *`;
  return row ? toBroadcast(row) : undefined;
}

export async function getBroadcast(globalSql: Sql, id: string): Promise<Broadcast | undefined> {
  const [row] = await globalSql<BroadcastRow[]>`select * from broadcasts where id = ${id}`;
  return row ? toBroadcast(row) : undefined;
}

export async function listBroadcasts(globalSql: Sql, regions: string[] | undefined): Promise<Broadcast[]> {
  const rows = await globalSql<BroadcastRow[]>`
    select * from broadcasts
    where ${regions === undefined ? globalSql`true` : globalSql`region = any(${globalSql.array(regions)}::text[])`}
    order by created_at desc, id`;
  return rows.map(toBroadcast);
}

/**
 * Moves a broadcast's status, only from the statuses given (a cancelled broadcast is not resumed);
 * `started` stamps the start instant. Undefined when the broadcast was not in one of `from`.
 */
export async function setBroadcastStatus(
  globalSql: Sql,
  id: string,
  from: BroadcastStatus[],
  to: BroadcastStatus,
  startedAt?: Date,
): Promise<Broadcast | undefined> {
  const [row] = await globalSql<BroadcastRow[]>`
    update broadcasts set status = ${to}, updated_at = now(),
      started_at = ${startedAt ? globalSql`${startedAt.toISOString()}::timestamptz` : globalSql`started_at`}
    where id = ${id} and status = any(${globalSql.array(from)}::text[]) returning *`;
  return row ? toBroadcast(row) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The plan, in the region
// ---------------------------------------------------------------------------------------------

/** Each page member's latest event zone and consent country (`page` is the CTE of members). */
const cluesSql = (sql: Sql) => sql`
  select p.customer_id,
    (select e.timezone from events e where e.customer_id = p.customer_id and e.timezone is not null
      order by e.timestamp desc limit 1) as zone,
    s.country
  from page p left join consent_subjects s on s.customer_id = p.customer_id`;

/**
 * How many of a page of the segment's members have each pair of zone clues (the latest event's zone,
 * the consent country): what a broadcast's preview counts, with the clues the workflow plans from.
 */
export async function zoneCluePairs(
  sql: Sql,
  page: { segmentId: string; after: string | null; limit: number },
): Promise<{ pairs: { clues: ZoneClues; count: number }[]; members: number; last: string | null }> {
  const members = segmentMembersPageSql(sql, page.segmentId, page.after, page.limit);
  const rows = await sql<{ zone: string | null; country: string | null; n: number; last: string | null }[]>`
    with page as (${members}), clues as (${cluesSql(sql)})
    select zone, country, count(*)::int as n, (select customer_id from page order by customer_id desc limit 1) as last
    from clues group by zone, country`;
  return {
    pairs: rows.map((r) => ({ clues: { zone: r.zone, country: r.country }, count: r.n })),
    members: rows.reduce((sum, r) => sum + r.n, 0),
    last: rows[0]?.last ?? null,
  };
}

export interface PlannedPage {
  /** Members on the page. */
  members: number;
  /** Given an instant (added now, or by an earlier attempt at this page). */
  planned: number;
  skipped: number;
  /** Distinct instants on the page. */
  groups: number;
  /** The page's last member: the next page's cursor. */
  last: string | null;
}

/**
 * Plans a page of the segment's members set-based, in two statements on one snapshot (repeatable
 * read, so both see the same page): the distinct pairs of zone clues on the page (the latest event's
 * zone, the consent country; few however large the page), each given its zone and instant by
 * `planFor` (undefined: skipped), then one INSERT … SELECT giving every member their pair's. A member
 * already in the plan keeps their row (a replanned page changes nothing).
 */
export async function planMembersPage(
  sql: Sql,
  page: { broadcastId: string; segmentId: string; after: string | null; limit: number },
  planFor: (clues: ZoneClues) => { zone: string; sendAt: Date } | undefined,
): Promise<PlannedPage> {
  return sql.begin('isolation level repeatable read', async (tx) => {
    const members = segmentMembersPageSql(tx as unknown as Sql, page.segmentId, page.after, page.limit);
    const pairs = await tx<{ zone: string | null; country: string | null; n: number; last: string | null }[]>`
      with page as (${members}), clues as (${cluesSql(tx as unknown as Sql)})
      select zone, country, count(*)::int as n, (select customer_id from page order by customer_id desc limit 1) as last
      from clues group by zone, country`;
    const result: PlannedPage = { members: 0, planned: 0, skipped: 0, groups: 0, last: pairs[0]?.last ?? null };
    const plans: { zone: string | null; country: string | null; planZone: string; sendAt: Date }[] = [];
    for (const pair of pairs) {
      result.members += pair.n;
      const plan = planFor({ zone: pair.zone, country: pair.country });
      if (!plan) {
        result.skipped += pair.n;
        continue;
      }
      result.planned += pair.n;
      plans.push({ zone: pair.zone, country: pair.country, planZone: plan.zone, sendAt: plan.sendAt });
    }
    result.groups = new Set(plans.map((p) => p.sendAt.getTime())).size;
    if (plans.length > 0)
      await tx`
        with page as (${members}), clues as (${cluesSql(tx as unknown as Sql)})
        insert into broadcast_recipients (broadcast_id, customer_id, zone, send_at, status)
        select ${page.broadcastId}, c.customer_id, u.plan_zone, u.send_at, 'planned'
        from clues c
        join unnest(${tx.array(plans.map((p) => p.zone) as string[])}::text[],
                    ${tx.array(plans.map((p) => p.country) as string[])}::text[],
                    ${tx.array(plans.map((p) => p.planZone))}::text[],
                    ${tx.array(plans.map((p) => p.sendAt.toISOString()))}::timestamptz[]) as u(zone, country, plan_zone, send_at)
          on u.zone is not distinct from c.zone and u.country is not distinct from c.country
        on conflict (broadcast_id, customer_id) do nothing`;
    return result;
  });
}

/** The earliest planned instant not yet sent, and how many are planned in all. */
export async function nextPlannedInstant(
  sql: Sql,
  broadcastId: string,
): Promise<{ at: Date | null; remaining: number; groupSize: number }> {
  const [row] = await sql<{ at: Date | string | null; remaining: number }[]>`
    select min(send_at) as at, count(*)::int as remaining from broadcast_recipients
    where broadcast_id = ${broadcastId} and status = 'planned'`;
  if (!row?.at) return { at: null, remaining: 0, groupSize: 0 };
  const [group] = await sql<{ n: number }[]>`
    select count(*)::int as n from broadcast_recipients
    where broadcast_id = ${broadcastId} and status = 'planned' and send_at = ${new Date(row.at).toISOString()}::timestamptz`;
  return { at: new Date(row.at), remaining: row.remaining, groupSize: group!.n };
}

/** Planned sends due at `now`, in instant then customer order. */
export async function dueRecipients(sql: Sql, broadcastId: string, now: Date, limit: number): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select customer_id from broadcast_recipients
    where broadcast_id = ${broadcastId} and status = 'planned' and send_at <= ${now.toISOString()}::timestamptz
    order by send_at, customer_id limit ${limit}`;
  return rows.map((r) => r.customer_id);
}

export type RecipientOutcome =
  | { status: 'sent' }
  | { status: 'blocked' | 'failed'; reason: string }
  | { status: 'deferred'; until: Date };

export async function recordRecipientOutcome(
  sql: Sql,
  broadcastId: string,
  customerId: string,
  outcome: RecipientOutcome,
): Promise<void> {
  if (outcome.status === 'deferred') {
    await sql`update broadcast_recipients set send_at = ${outcome.until.toISOString()}::timestamptz, deferrals = deferrals + 1, updated_at = now()
              where broadcast_id = ${broadcastId} and customer_id = ${customerId} and status = 'planned'`;
    return;
  }
  await sql`update broadcast_recipients set status = ${outcome.status},
              reason = ${outcome.status === 'sent' ? null : outcome.reason}, updated_at = now()
            where broadcast_id = ${broadcastId} and customer_id = ${customerId} and status = 'planned'`;
}

/** A batch's outcomes in one statement per kind (a member no longer planned is left as it is). */
export async function recordRecipientOutcomes(
  sql: Sql,
  broadcastId: string,
  outcomes: readonly { customerId: string; outcome: RecipientOutcome }[],
): Promise<void> {
  const deferred = outcomes.filter((o) => o.outcome.status === 'deferred');
  const done = outcomes.filter((o) => o.outcome.status !== 'deferred');
  if (deferred.length > 0)
    await sql`
      update broadcast_recipients r set send_at = u.until, deferrals = r.deferrals + 1, updated_at = now()
      from unnest(${sql.array(deferred.map((o) => o.customerId))}::uuid[],
                  ${sql.array(deferred.map((o) => (o.outcome as { until: Date }).until.toISOString()))}::timestamptz[]) as u(customer_id, until)
      where r.broadcast_id = ${broadcastId} and r.customer_id = u.customer_id and r.status = 'planned'`;
  if (done.length > 0)
    await sql`
      update broadcast_recipients r set status = u.status, reason = u.reason, updated_at = now()
      from unnest(${sql.array(done.map((o) => o.customerId))}::uuid[], ${sql.array(done.map((o) => o.outcome.status))}::text[],
                  ${sql.array(done.map((o) => ('reason' in o.outcome ? o.outcome.reason : null)) as string[])}::text[])
           as u(customer_id, status, reason)
      where r.broadcast_id = ${broadcastId} and r.customer_id = u.customer_id and r.status = 'planned'`;
}

/** A cancelled broadcast's unsent plan: kept as cancelled (counted), never sent. */
export async function cancelPlanned(sql: Sql, broadcastId: string): Promise<number> {
  const result = await sql`update broadcast_recipients set status = 'cancelled', updated_at = now()
                           where broadcast_id = ${broadcastId} and status = 'planned'`;
  return result.count;
}

/** Planned instants and their sizes (the groups), for progress and tests. */
export async function plannedGroups(
  sql: Sql,
  broadcastId: string,
): Promise<{ at: string; zone: string; count: number; status: string }[]> {
  const rows = await sql<{ at: Date | string; zone: string; count: number; status: string }[]>`
    select send_at as at, zone, count(*)::int as count, status from broadcast_recipients
    where broadcast_id = ${broadcastId} group by send_at, zone, status order by send_at, zone, status`;
  return rows.map((r) => ({ at: new Date(r.at).toISOString(), zone: r.zone, count: r.count, status: r.status }));
}

/** Counts of the plan's outcomes: sent, blocked and failed by reason, cancelled. */
export async function tallyRecipients(
  sql: Sql,
  broadcastId: string,
): Promise<{ sent: number; blocked: Record<string, number>; failed: number; cancelled: number }> {
  const rows = await sql<{ status: string; reason: string | null; n: number }[]>`
    select status, reason, count(*)::int as n from broadcast_recipients
    where broadcast_id = ${broadcastId} and status <> 'planned' group by status, reason`;
  const tally = { sent: 0, blocked: {} as Record<string, number>, failed: 0, cancelled: 0 };
  for (const r of rows) {
    if (r.status === 'sent') tally.sent += r.n;
    else if (r.status === 'failed') tally.failed += r.n;
    else if (r.status === 'cancelled') tally.cancelled += r.n;
    else if (r.status === 'blocked')
      tally.blocked[r.reason ?? 'unknown'] = (tally.blocked[r.reason ?? 'unknown'] ?? 0) + r.n;
  }
  return tally;
}
