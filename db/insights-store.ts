import type { Sql } from 'postgres';

/**
 * Insight aggregates (docs/design/console.md, "Insights"). `computeRegionInsights` runs in one
 * region's database and returns counts and sums only, grouped by source (the brand is the
 * source's, known globally); `replaceRegionInsights` swaps a region's rows in the global tables in
 * one transaction; `readInsights` answers the console's filters from the global tables alone.
 */

export interface DailyRow {
  day: string;
  market: string;
  sourceId: string;
  orders: number;
  revenueMinor: bigint;
  activeCustomers: number;
  returningCustomers: number;
  newCustomers: number;
  repeaters: number;
}
export interface ActivityRow {
  day: string;
  sourceId: string;
  hour: number;
  events: number;
}
export interface CohortRow {
  market: string;
  sourceId: string;
  cohort: string;
  monthOffset: number;
  customers: number;
}
export interface ChannelRow {
  channel: string;
  consented: number;
  reachable: number;
  engaged: number;
}
export interface RegionInsights {
  daily: DailyRow[];
  activity: ActivityRow[];
  cohorts: CohortRow[];
  channels: ChannelRow[];
}

/** Marketing channels and the consent purpose each needs (domain/send-gate.ts MARKETING_CONSENT). */
export async function computeRegionInsights(
  sql: Sql,
  channelPurposes: Readonly<Record<string, string>>,
): Promise<RegionInsights> {
  // Orders: each person's first and second order (by placing time) mark new and repeat customers.
  const daily = await sql<
    {
      day: string;
      market: string;
      source_id: string;
      orders: number;
      revenue_minor: string;
      active: number;
      returning: number;
      new_customers: number;
      repeaters: number;
    }[]
  >`
    with o as (
      select source_id, customer_id, local_date, coalesce(country_code, 'ZZ') as market,
             coalesce(reporting_total_minor, 0) as revenue,
             case when customer_id is null then null
                  else row_number() over (partition by customer_id order by placed_at, source_id, external_id) end as nth,
             case when customer_id is null then null
                  else min(local_date) over (partition by customer_id) end as first_day
      from orders
    )
    select to_char(local_date, 'YYYY-MM-DD') as day, market, source_id,
           count(*)::int as orders, sum(revenue)::text as revenue_minor,
           count(distinct customer_id)::int as active,
           count(distinct customer_id) filter (where first_day < local_date)::int as returning,
           count(*) filter (where nth = 1)::int as new_customers,
           count(*) filter (where nth = 2)::int as repeaters
    from o group by local_date, market, source_id`;

  // Activity in each person's own zone: the event's time zone, else UTC (unknown names too).
  const activity = await sql<{ day: string; source_id: string; hour: number; events: number }[]>`
    with e as (
      select e.source_id, e.timestamp at time zone coalesce(z.name, 'UTC') as local_time
      from events e left join pg_timezone_names z on z.name = e.timezone
    )
    select to_char(local_time, 'YYYY-MM-DD') as day, source_id, extract(hour from local_time)::int as hour,
           count(*)::int as events
    from e group by 1, 2, 3`;

  const cohorts = await sql<
    { market: string; source_id: string; cohort: string; month_offset: number; customers: number }[]
  >`
    with firsts as (
      select distinct on (customer_id) customer_id, source_id, coalesce(country_code, 'ZZ') as market,
             date_trunc('month', local_date) as cohort_month
      from orders where customer_id is not null
      order by customer_id, placed_at, source_id, external_id
    ),
    months as (
      select distinct o.customer_id, date_trunc('month', o.local_date) as month from orders o where o.customer_id is not null
    )
    select f.market, f.source_id, to_char(f.cohort_month, 'YYYY-MM') as cohort,
           ((extract(year from m.month) - extract(year from f.cohort_month)) * 12
             + extract(month from m.month) - extract(month from f.cohort_month))::int as month_offset,
           count(*)::int as customers
    from firsts f join months m on m.customer_id = f.customer_id
    group by 1, 2, 3, 4`;

  const channels: ChannelRow[] = [];
  for (const [channel, purpose] of Object.entries(channelPurposes)) {
    const [row] = await sql<{ consented: number; reachable: number; engaged: number }[]>`
      with latest as (
        select distinct on (customer_id) customer_id, state from consent_records
        where purpose = ${purpose} and brand_id is null
        order by customer_id, recorded_at desc, id desc
      ),
      consented as (select customer_id from latest where state = 'granted')
      select
        (select count(*) from consented)::int as consented,
        (select count(*) from consented c where not exists (
           select 1 from channel_suppressions s where s.customer_id = c.customer_id and s.channel = ${channel}))::int as reachable,
        (select count(distinct customer_id) from send_keys
          where channel = ${channel} and status = 'sent' and reserved_at > now() - interval '90 days')::int as engaged`;
    channels.push({ channel, ...row! });
  }

  return {
    daily: daily.map((r) => ({
      day: r.day,
      market: r.market,
      sourceId: r.source_id,
      orders: r.orders,
      revenueMinor: BigInt(r.revenue_minor),
      activeCustomers: r.active,
      returningCustomers: r.returning,
      newCustomers: r.new_customers,
      repeaters: r.repeaters,
    })),
    activity: activity.map((r) => ({ day: r.day, sourceId: r.source_id, hour: r.hour, events: r.events })),
    cohorts: cohorts.map((r) => ({
      market: r.market,
      sourceId: r.source_id,
      cohort: r.cohort,
      monthOffset: r.month_offset,
      customers: r.customers,
    })),
    channels,
  };
}

/** Each source's brand, from the global sources table. */
export async function brandsOfSources(globalSql: Sql): Promise<Map<string, string>> {
  const rows = await globalSql<{ id: string; brand_id: string }[]>`select id, brand_id from sources`;
  return new Map(rows.map((r) => [r.id, r.brand_id]));
}

/** Sums rows that share a key after the source is replaced by its brand. */
function sumBy<T, K extends keyof T>(rows: T[], key: (row: T) => string, fields: K[]): T[] {
  const out = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const existing = out.get(k);
    if (!existing) {
      out.set(k, { ...row });
      continue;
    }
    for (const f of fields) (existing[f] as unknown) = (existing[f] as number | bigint) + (row[f] as never);
  }
  return [...out.values()];
}

/** Replaces the region's aggregates in the global tables, in one transaction. Returns the rows written. */
export async function replaceRegionInsights(
  globalSql: Sql,
  region: string,
  insights: RegionInsights,
  brandOf: (sourceId: string) => string,
): Promise<number> {
  const daily = sumBy(
    insights.daily.map((r) => ({ ...r, sourceId: brandOf(r.sourceId) })),
    (r) => `${r.day}|${r.market}|${r.sourceId}`,
    ['orders', 'revenueMinor', 'activeCustomers', 'returningCustomers', 'newCustomers', 'repeaters'],
  );
  const activity = sumBy(
    insights.activity.map((r) => ({ ...r, sourceId: brandOf(r.sourceId) })),
    (r) => `${r.day}|${r.sourceId}|${r.hour}`,
    ['events'],
  );
  const cohorts = sumBy(
    insights.cohorts.map((r) => ({ ...r, sourceId: brandOf(r.sourceId) })),
    (r) => `${r.market}|${r.sourceId}|${r.cohort}|${r.monthOffset}`,
    ['customers'],
  );
  await globalSql.begin(async (tx) => {
    await tx`delete from insight_daily where region = ${region}`;
    await tx`delete from insight_activity where region = ${region}`;
    await tx`delete from insight_cohorts where region = ${region}`;
    await tx`delete from insight_channels where region = ${region}`;
    for (let i = 0; i < daily.length; i += 1000) {
      const rows = daily.slice(i, i + 1000).map((r) => ({
        day: r.day,
        region,
        market: r.market,
        brand_id: r.sourceId,
        orders: r.orders,
        revenue_minor: r.revenueMinor.toString(),
        active_customers: r.activeCustomers,
        returning_customers: r.returningCustomers,
        new_customers: r.newCustomers,
        repeaters: r.repeaters,
      }));
      await tx`insert into insight_daily ${tx(rows)}`;
    }
    for (let i = 0; i < activity.length; i += 1000) {
      const rows = activity
        .slice(i, i + 1000)
        .map((r) => ({ day: r.day, region, brand_id: r.sourceId, hour: r.hour, events: r.events }));
      await tx`insert into insight_activity ${tx(rows)}`;
    }
    for (let i = 0; i < cohorts.length; i += 1000) {
      const rows = cohorts.slice(i, i + 1000).map((r) => ({
        region,
        market: r.market,
        brand_id: r.sourceId,
        cohort: r.cohort,
        month_offset: r.monthOffset,
        customers: r.customers,
      }));
      await tx`insert into insight_cohorts ${tx(rows)}`;
    }
    if (insights.channels.length > 0)
      await tx`insert into insight_channels ${tx(insights.channels.map((c) => ({ region, ...c })))}`;
    await tx`
      insert into insight_refreshes (region, refreshed_at) values (${region}, now())
      on conflict (region) do update set refreshed_at = excluded.refreshed_at`;
  });
  return daily.length + activity.length + cohorts.length + insights.channels.length;
}

export interface InsightFilter {
  from: string;
  to: string;
  brandId?: string;
  market?: string;
  /** The caller's regions; undefined: all. */
  regions?: string[];
}

export interface MarketAggregate {
  market: string;
  region: string;
  brandId: string;
  orders: number;
  revenueMinor: bigint;
  activeCustomers: number;
  returningCustomers: number;
  newCustomers: number;
  /** Everyone whose first order is on or before `to`, and of them those with a second. */
  customers: number;
  repeaters: number;
}

export async function readInsights(globalSql: Sql, f: InsightFilter) {
  const brand = f.brandId ?? null;
  const market = f.market ?? null;
  const regions = f.regions ?? null;
  const markets = await globalSql<
    {
      market: string;
      region: string;
      brand_id: string;
      orders: number;
      revenue_minor: string;
      active: number;
      returning: number;
      new_customers: number;
      customers: number;
      repeaters: number;
    }[]
  >`
    select market, region, brand_id,
      coalesce(sum(orders) filter (where day between ${f.from}::date and ${f.to}::date), 0)::int as orders,
      coalesce(sum(revenue_minor) filter (where day between ${f.from}::date and ${f.to}::date), 0)::text as revenue_minor,
      coalesce(sum(active_customers) filter (where day between ${f.from}::date and ${f.to}::date), 0)::int as active,
      coalesce(sum(returning_customers) filter (where day between ${f.from}::date and ${f.to}::date), 0)::int as returning,
      coalesce(sum(new_customers) filter (where day between ${f.from}::date and ${f.to}::date), 0)::int as new_customers,
      coalesce(sum(new_customers), 0)::int as customers,
      coalesce(sum(repeaters), 0)::int as repeaters
    from insight_daily
    where day <= ${f.to}::date
      and (${brand}::text is null or brand_id = ${brand})
      and (${market}::text is null or market = ${market})
      and (${regions}::text[] is null or region = any(${regions}::text[]))
    group by market, region, brand_id
    order by market, region, brand_id`;
  const heatmap = await globalSql<{ weekday: number; hour: number; events: number }[]>`
    select extract(isodow from day)::int as weekday, hour, sum(events)::int as events
    from insight_activity
    where day between ${f.from}::date and ${f.to}::date
      and (${brand}::text is null or brand_id = ${brand})
      and (${regions}::text[] is null or region = any(${regions}::text[]))
    group by 1, 2 order by 1, 2`;
  const channels = await globalSql<{ channel: string; consented: number; reachable: number; engaged: number }[]>`
    select channel, sum(consented)::int as consented, sum(reachable)::int as reachable, sum(engaged)::int as engaged
    from insight_channels where (${regions}::text[] is null or region = any(${regions}::text[]))
    group by channel order by channel`;
  const cohorts = await globalSql<{ cohort: string; month_offset: number; customers: number }[]>`
    select cohort, month_offset, sum(customers)::int as customers
    from insight_cohorts
    where cohort between to_char(${f.from}::date, 'YYYY-MM') and to_char(${f.to}::date, 'YYYY-MM')
      and (${brand}::text is null or brand_id = ${brand})
      and (${market}::text is null or market = ${market})
      and (${regions}::text[] is null or region = any(${regions}::text[]))
    group by 1, 2 order by 1, 2`;
  const [refreshed] = await globalSql<{ at: string | null }[]>`
    select max(refreshed_at)::text as at from insight_refreshes
    where (${regions}::text[] is null or region = any(${regions}::text[]))`;
  return {
    refreshedAt: refreshed?.at ? new Date(refreshed.at).toISOString() : null,
    markets: markets.map(
      (r): MarketAggregate => ({
        market: r.market,
        region: r.region,
        brandId: r.brand_id,
        orders: r.orders,
        revenueMinor: BigInt(r.revenue_minor),
        activeCustomers: r.active,
        returningCustomers: r.returning,
        newCustomers: r.new_customers,
        customers: r.customers,
        repeaters: r.repeaters,
      }),
    ),
    heatmap,
    channels,
    cohorts: cohorts.map((c) => ({ cohort: c.cohort, monthOffset: c.month_offset, customers: c.customers })),
  };
}
