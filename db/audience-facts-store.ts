import type { Sql, TransactionSql } from 'postgres';

/**
 * Per-person aggregates of the events, orders and consent tables (issue 11, segment speed):
 * `event_facts` (per person, event name and source: the count and the latest
 * AUDIENCE_RECENT_EVENTS instants), `order_facts` (per person, store and currency: count, sums in
 * the reporting currency, first and last order) and `consent_facts` (per person, purpose and scope:
 * the latest record's state). A segment's event, order and consent conditions read one row per
 * person from them instead of every event, order and record (db/segments-store.ts), and stay exact:
 * - "at least k events within N days" (k ≤ AUDIENCE_RECENT_EVENTS) holds when at least k of the
 *   latest instants fall in the window: the latest ones are the ones a window holds, and a row
 *   whose instants all fall in it has at least that many;
 * - orders within a window: a person whose orders all fall in it (first order inside) or none
 *   (last order before it) is answered from the sums; the others are checked against their orders.
 *
 * The facts are rebuilt from the tables, never incremented: the audience processor refreshes the
 * people whose events, orders or consent changed (it claims them from `audience_changes`, written in the
 * transaction that stored the event or order), so a retried batch or a merge gives the same rows.
 * Windows are instants compared at query time, so nothing slides and no scheduled pass is needed.
 */

export const AUDIENCE_RECENT_EVENTS = 8;

type Db = Sql | TransactionSql;

/** All sources (all stores and currencies): the row the group's segments read. */
export const ALL = '*';

/**
 * Rebuilds `event_facts` of `people`: customer ID → the event names to refresh, or null for all of
 * the person's events (a page view, a merge, an unspecific change).
 */
export async function refreshEventFacts(sql: Db, people: ReadonlyMap<string, ReadonlySet<string> | null>) {
  const ids: string[] = [];
  const names: (string | null)[] = [];
  for (const [id, set] of people) {
    if (set === null) {
      ids.push(id);
      names.push(null);
    } else
      for (const name of set) {
        ids.push(id);
        names.push(name);
      }
  }
  if (ids.length === 0) return;
  const wanted = sql`
    select * from unnest(${sql.array(ids)}::uuid[], ${sql.array(names as string[])}::text[]) as u(customer_id, event)`;
  await sql`
    with wanted as (${wanted}),
    fresh as (
      select u.customer_id, e.event, coalesce(e.source_id, ${ALL}) as source_id, count(*)::int as total,
        (array_agg(e.timestamp order by e.timestamp desc))[1:${AUDIENCE_RECENT_EVENTS}] as recent
      -- The people's events in one bitmap range per partition of the (customer_id, timestamp)
      -- index (the IDs as an array, whose length the planner sees), then matched to the names
      -- wanted. A join on the set of IDs alone made the planner hash the whole events table for
      -- every batch (830 ms at 250k events); a lookup per person is 5 probes (one per monthly
      -- partition), ~1.7x the time of this for 2,000 page views in one measurement.
      from events e join wanted u on u.customer_id = e.customer_id and (u.event is null or e.event = u.event)
      where e.customer_id = any(${sql.array([...people.keys()])}::uuid[]) and e.event is not null
      group by grouping sets ((u.customer_id, e.event, e.source_id), (u.customer_id, e.event))
    ),
    removed as (
      delete from event_facts f
      where f.customer_id = any(${sql.array(ids)}::uuid[])
        and exists (select 1 from wanted u where u.customer_id = f.customer_id and (u.event is null or u.event = f.event))
        and not exists (select 1 from fresh x where x.customer_id = f.customer_id and x.event = f.event and x.source_id = f.source_id)
    )
    insert into event_facts (customer_id, event, source_id, total, recent)
    select customer_id, event, source_id, total, recent from fresh order by customer_id, event, source_id
    on conflict (customer_id, event, source_id) do update set total = excluded.total, recent = excluded.recent
    where (event_facts.total, event_facts.recent) is distinct from (excluded.total, excluded.recent)`;
  // The all-sources instants one per row (event_facts_recent), from the rows just written.
  await sql`
    with wanted as (${wanted}),
    fresh as (
      select u.customer_id, f.event, k::smallint as k, f.recent[k] as at
      from wanted u cross join lateral (
        select f.event, f.recent from event_facts f
        where f.customer_id = u.customer_id and f.source_id = ${ALL} and (u.event is null or f.event = u.event)
        offset 0
      ) f cross join generate_subscripts(f.recent, 1) as k
    ),
    removed as (
      delete from event_facts_recent r
      where r.customer_id in (select unnest(${sql.array(ids)}::uuid[]))
        and exists (select 1 from wanted u where u.customer_id = r.customer_id and (u.event is null or u.event = r.event))
        and not exists (select 1 from fresh x where x.customer_id = r.customer_id and x.event = r.event and x.k = r.k)
    )
    insert into event_facts_recent (customer_id, event, k, at)
    select customer_id, event, k, at from fresh order by customer_id, event, k
    on conflict (customer_id, event, k) do update set at = excluded.at
    where event_facts_recent.at is distinct from excluded.at`;
}

/** event_facts_recent from all of event_facts' all-sources rows (a rebuild; migration 0025 fills it the same way). */
const RECENT_FROM_FACTS = (sql: Db) => sql`
  insert into event_facts_recent (customer_id, event, k, at)
  select f.customer_id, f.event, k, f.recent[k] from event_facts f cross join generate_subscripts(f.recent, 1) as k
  where f.source_id = ${ALL}`;

/** Orders that count, per person, store and currency and per person for all (`*`, `*`). */
const ORDER_FACTS = (sql: Db) => sql`
  select o.customer_id, coalesce(o.source_id, ${ALL}) as source_id, coalesce(o.currency, ${ALL}) as currency,
    count(*)::int as orders, coalesce(sum(o.reporting_total_minor), 0)::bigint as amount,
    coalesce(sum(greatest(o.reporting_total_minor, 0)), 0)::bigint as positive_amount,
    min(o.placed_at) as first_at, max(o.placed_at) as last_at
  from orders o`;
const ORDER_GROUPS = (sql: Db) =>
  sql`group by grouping sets ((o.customer_id, o.source_id, o.currency), (o.customer_id))`;

/** Rebuilds `order_facts` of `customerIds` (orders that count: with a customer, not cancelled). */
export async function refreshOrderFacts(sql: Db, customerIds: readonly string[]) {
  if (customerIds.length === 0) return;
  const ids = sql.array([...customerIds]);
  await sql`
    with fresh as (
      ${ORDER_FACTS(sql)} where o.customer_id in (select unnest(${ids}::uuid[])) and o.status <> 'cancelled'
      ${ORDER_GROUPS(sql)}
    ),
    removed as (
      delete from order_facts f where f.customer_id in (select unnest(${ids}::uuid[]))
        and not exists (select 1 from fresh x where x.customer_id = f.customer_id and x.source_id = f.source_id and x.currency = f.currency)
    )
    insert into order_facts (customer_id, source_id, currency, orders, amount, positive_amount, first_at, last_at)
    select * from fresh order by customer_id, source_id, currency
    on conflict (customer_id, source_id, currency) do update set orders = excluded.orders, amount = excluded.amount,
      positive_amount = excluded.positive_amount, first_at = excluded.first_at, last_at = excluded.last_at
    where (order_facts.orders, order_facts.amount, order_facts.positive_amount, order_facts.first_at, order_facts.last_at)
      is distinct from (excluded.orders, excluded.amount, excluded.positive_amount, excluded.first_at, excluded.last_at)`;
}

/** The latest record per person, purpose and scope (a denial wins a tie): effectiveConsentSql's rule. */
const LATEST_CONSENT = (sql: Db) => sql`
  select distinct on (r.customer_id, r.purpose, coalesce(r.brand_id, ''))
    r.customer_id, r.purpose, coalesce(r.brand_id, '') as brand_scope, r.state
  from consent_records r`;
const LATEST_ORDER = (sql: Db) =>
  sql`order by r.customer_id, r.purpose, coalesce(r.brand_id, ''), r.recorded_at desc, (r.state = 'granted')`;

/** Rebuilds `consent_facts` of `customerIds`. */
export async function refreshConsentFacts(sql: Db, customerIds: readonly string[]) {
  if (customerIds.length === 0) return;
  const ids = sql.array([...customerIds]);
  await sql`
    with fresh as (
      ${LATEST_CONSENT(sql)} where r.customer_id in (select unnest(${ids}::uuid[])) ${LATEST_ORDER(sql)}
    ),
    removed as (
      delete from consent_facts f where f.customer_id in (select unnest(${ids}::uuid[]))
        and not exists (select 1 from fresh x where x.customer_id = f.customer_id and x.purpose = f.purpose and x.brand_scope = f.brand_scope)
    )
    insert into consent_facts (customer_id, purpose, brand_scope, state)
    select * from fresh order by customer_id, purpose, brand_scope
    on conflict (customer_id, purpose, brand_scope) do update set state = excluded.state
    where consent_facts.state is distinct from excluded.state`;
}

/**
 * Rebuilds every fact of the region from its events and orders in one pass (after a bulk load, or
 * to repair): the tables are replaced in one transaction. Migration 0020 fills them the same way.
 */
export async function rebuildAudienceFacts(
  sql: Sql,
): Promise<{ eventFacts: number; orderFacts: number; consentFacts: number }> {
  return sql.begin(async (tx) => {
    await tx`set local work_mem = '256MB'`;
    await tx`delete from event_facts_recent`;
    await tx`delete from event_facts`;
    await tx`delete from order_facts`;
    await tx`delete from consent_facts`;
    const events = await tx`
      insert into event_facts (customer_id, event, source_id, total, recent)
      select e.customer_id, e.event, coalesce(e.source_id, ${ALL}), count(*)::int,
        (array_agg(e.timestamp order by e.timestamp desc))[1:${AUDIENCE_RECENT_EVENTS}]
      from events e where e.event is not null
      group by grouping sets ((e.customer_id, e.event, e.source_id), (e.customer_id, e.event))`;
    await RECENT_FROM_FACTS(tx);
    const orders = await tx`
      insert into order_facts (customer_id, source_id, currency, orders, amount, positive_amount, first_at, last_at)
      ${ORDER_FACTS(tx)} where o.customer_id is not null and o.status <> 'cancelled' ${ORDER_GROUPS(tx)}`;
    const consent = await tx`
      insert into consent_facts (customer_id, purpose, brand_scope, state) ${LATEST_CONSENT(tx)} ${LATEST_ORDER(tx)}`;
    return { eventFacts: events.count, orderFacts: orders.count, consentFacts: consent.count };
  });
}

/** Calls stored under their name (a page view's event is the page's name). */
const NAMED_CALLS = new Set(['page', 'screen']);
/** Causes that change no event, order or consent record (Meridian's own passes, traits, tags, loyalty). */
const NEITHER = new Set(['trait', 'tag', 'computed', 'segment', 'prediction', 'loyalty', 'identify', 'group', 'alias']);

/**
 * The people whose facts may be behind: a change the processor has not taken yet, of a cause that
 * may touch events, orders or consent records (as factsToRefresh reads causes). Moves noted by a
 * full recompute, computed values or tags leave the facts as they are.
 */
export const changesAwaitingFacts = (sql: Db) => sql`
  select customer_id from audience_changes
  where cause <> all(${sql.array([...NEITHER])}::text[]) and cause not like 'computed:%'`;

/**
 * What the facts reactor refreshes for one person's causes: event names (null: all of them), and
 * whether their orders. `event:<name>` names one; a page or screen view refreshes all names (its
 * cause does not carry the name); a cause not known to leave both alone (a merge moves events and
 * orders) refreshes all.
 */
export function factsToRefresh(causes: ReadonlySet<string>): {
  events: ReadonlySet<string> | null | undefined;
  orders: boolean;
  consent: boolean;
} {
  let events: Set<string> | null | undefined;
  let orders = false;
  let consent = false;
  for (const cause of causes) {
    if (cause.startsWith('event:')) {
      if (events !== null) (events ??= new Set()).add(cause.slice('event:'.length));
    } else if (cause === 'order') orders = true;
    else if (cause === 'consent') consent = true;
    else if (NAMED_CALLS.has(cause)) events = null;
    else if (!NEITHER.has(cause) && !cause.startsWith('computed:')) {
      events = null;
      orders = true;
      consent = true;
    }
  }
  return { events, orders, consent };
}

/** The audience processor's first step: the facts of the people whose events, orders or consent changed. */
export function audienceFactsReactor() {
  return async (sql: Sql, _customerIds: string[], causes: ReadonlyMap<string, ReadonlySet<string>>) => {
    const events = new Map<string, ReadonlySet<string> | null>();
    const orders: string[] = [];
    const consent: string[] = [];
    for (const [id, set] of causes) {
      const wanted = factsToRefresh(set);
      if (wanted.events !== undefined) events.set(id, wanted.events);
      if (wanted.orders) orders.push(id);
      if (wanted.consent) consent.push(id);
    }
    if (events.size === 0 && orders.length === 0 && consent.length === 0) return;
    await sql.begin(async (tx) => {
      // Per-person lookups whose estimated cost passes jit_above_cost: compiling them took longer
      // (≈ 200 ms a batch) than running them.
      await tx`set local jit = off`;
      await refreshEventFacts(tx, events);
      await refreshOrderFacts(tx, orders);
      await refreshConsentFacts(tx, consent);
    });
  };
}
