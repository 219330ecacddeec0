import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres';
import { compileRules, type CompiledRules, dataSchemaRulesSchema, NO_RULES } from '../domain/data-categories';
import {
  HOME_MARKET_TRAIT_ID,
  isTimeRelative,
  jurisdictionsGrantingByDefault,
  type PropertyFilter,
  type SegmentCondition,
  type SegmentNode,
  WEEKDAY_NUMBERS,
} from '../domain/segments';
import { ALL, AUDIENCE_RECENT_EVENTS, changesAwaitingFacts } from './audience-facts-store';

/**
 * Segments in SQL (issue 11 §5). A definition (domain/segments.ts) compiles to one parameterised
 * query per region over that region's own tables, keyed by customer ID: the members are computed
 * where the data lives, and only customer IDs and counts leave a region. Every value is a bound
 * parameter; the SQL text is built only from this file's fragments.
 *
 * Membership (`segment_membership`) keeps a row per stay, with its entry and exit; each move is
 * also written to `segment_membership_events`, the outbox journeys and audience syncs consume.
 */

type Fragment = PendingQuery<Row[]>;
type Db = Sql | TransactionSql;

/** What a region's query needs beyond the definition: the brand's visible sources and the region map. */
export interface SegmentScope {
  /** Sources (and connectors) the segment's brand may read; null for the group: no filter. */
  visibleSourceIds: string[] | null;
  /**
   * Whose consent counts: null for the group's, or the segment's brand when it is a separate
   * controller (db/brands-store.ts `consentBrandOf`), as db/consent-store.ts scopes it.
   */
  consentBrand: string | null;
  /** The countries of a region name (market conditions naming regions). */
  regionCountries: (region: string) => readonly string[];
}

/** A stored segment (global database): its current version and definition. */
export interface Segment {
  id: string;
  name: string;
  owner: string;
  brandId: string | null;
  version: number;
  definition: SegmentNode;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Compiling a definition
// ---------------------------------------------------------------------------------------------

const json = (value: unknown) => JSON.stringify(value);
const iso = (at: Date | string) => new Date(at).toISOString();

/** A value compared under `op`: numbers as numbers, text as text, anything for eq/in. */
function comparison(sql: Db, value: Fragment, c: { op: string; value?: unknown }): Fragment {
  const v = c.value;
  switch (c.op) {
    case 'exists':
      return sql`true`;
    case 'eq':
      return sql`${value} = ${json(v)}::jsonb`;
    case 'neq':
      return sql`${value} <> ${json(v)}::jsonb`;
    case 'in':
      return sql`${json(v)}::jsonb @> jsonb_build_array(${value})`;
    case 'contains':
      return sql`((jsonb_typeof(${value}) = 'array' and ${value} @> jsonb_build_array(${json(v)}::jsonb))
        or (jsonb_typeof(${value}) = 'string' and strpos(${value} #>> '{}', ${String(v)}) > 0))`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      // A number compares with numbers; text (ISO dates included) with text: never an error on a mixed column.
      const left =
        typeof v === 'number'
          ? sql`case when jsonb_typeof(${value}) = 'number' then (${value} #>> '{}')::numeric end`
          : sql`case when jsonb_typeof(${value}) = 'string' then ${value} #>> '{}' end`;
      const right = typeof v === 'number' ? sql`${String(v)}::numeric` : sql`${String(v)}::text`;
      if (c.op === 'gt') return sql`${left} > ${right}`;
      if (c.op === 'gte') return sql`${left} >= ${right}`;
      if (c.op === 'lt') return sql`${left} < ${right}`;
      return sql`${left} <= ${right}`;
    }
    default:
      throw new Error(`unknown comparison ${c.op}`);
  }
}

/**
 * For `eq` and `in`, the hash of the value(s) as well (`and jsonb_hash(value) = …`): the index
 * `profile_traits_key_value_hash` (key, jsonb_hash(value), customer_id) then finds exactly the
 * people with that value, in customer order, whatever the size of a stored value (a btree on the
 * jsonb itself would refuse values over ~2.7 kB). jsonb_hash agrees with jsonb equality (it is
 * the hash PostgreSQL's own hash joins use), so the test that follows decides; the hash only narrows.
 */
function valueHash(sql: Db, value: Fragment, c: { op: string; value?: unknown }): Fragment {
  if (c.op === 'eq') return sql`and jsonb_hash(${value}) = jsonb_hash(${json(c.value)}::jsonb)`;
  if (c.op === 'in' && Array.isArray(c.value))
    return sql`and jsonb_hash(${value}) in (select jsonb_hash(v) from jsonb_array_elements(${json(c.value)}::jsonb) as v)`;
  return sql``;
}

/** The text length up to which `profile_traits_key_short_value` holds a value (migration 0025). */
const SHORT_VALUE_TEXT = 256;

/**
 * For `eq` and `in` on short strings and booleans, the values to look up in
 * `profile_traits_key_short_value` (key, value, customer_id, source_id), an index-only range with
 * no heap visit. Exact: a stored value equal to a string or a boolean has the very same text (jsonb
 * keeps one form of them; numbers have several, 1.0 = 1.00, so they go by the hash), and the bound
 * on the JSON text here (half the index's) keeps that text within the index's bound. `in` tests
 * containment (comparison()), which for these is equality. Anything else goes by the value's hash.
 */
function shortValues(c: { op: string; value?: unknown }): unknown[] | undefined {
  const values = c.op === 'eq' ? [c.value] : c.op === 'in' && Array.isArray(c.value) ? c.value : undefined;
  const short = (v: unknown) =>
    (typeof v === 'string' || typeof v === 'boolean') && Buffer.byteLength(JSON.stringify(v)) <= SHORT_VALUE_TEXT / 2;
  return values && values.length > 0 && values.every(short) ? values : undefined;
}

const path = (key: string) => key.split('.');

function propertyFilters(sql: Db, alias: Fragment, filters: PropertyFilter[] | undefined): Fragment {
  let out = sql``;
  for (const f of filters ?? []) {
    const value = sql`(${alias}.properties #> ${path(f.key)}::text[])`;
    out = sql`${out} and ${value} is not null and ${comparison(sql, value, f)}`;
  }
  return out;
}

/**
 * Builds the membership test of a condition for `p.customer_id`. Each is a set (`in (select …)`),
 * so PostgreSQL runs it as a semi-join or a hashed set, and `restrict` is pushed into every set:
 * an incremental evaluation of a few people reads only their rows.
 */
class SegmentCompiler {
  constructor(
    private readonly sql: Db,
    private readonly scope: SegmentScope,
    /** The people to evaluate (a set of customer IDs), or null for everyone. */
    private readonly restrict: Fragment | null,
    /** Answer event and order conditions from the per-person facts (false: from the events and orders). */
    private readonly facts = true,
    /** The jurisdictions of the region's consent subjects, when the caller read them in this snapshot. */
    private readonly jurisdictions?: readonly string[],
  ) {}

  /**
   * Per-person checks of conditions every member must pass (the definition's top-level AND), run
   * after the set conditions chose the people (membersQuery): an order window's check of the people
   * who straddle it reads their orders one by one, which must not decide the plan of the sets.
   */
  readonly deferred: Fragment[] = [];

  private only(column: Fragment): Fragment {
    return this.restrict === null ? this.sql`` : this.sql`and ${column} in (${this.restrict})`;
  }

  private visible(column: Fragment): Fragment {
    const ids = this.scope.visibleSourceIds;
    return ids === null ? this.sql`` : this.sql`and ${column} = any(${ids}::text[])`;
  }

  /**
   * An event condition from `event_facts` (db/audience-facts-store.ts): one row per person, event
   * name and source (and one for all sources, which the group reads) instead of their events.
   * Exact: all time counts the totals; a window counts the latest instants inside it, which decides
   * "at least k" for k up to the instants kept (and "at most m" for m below): the k-th latest is
   * in the window exactly when k of them are. A brand sums its visible sources' rows, each counting
   * at most the instants it keeps, which decides the same bounds. Property filters, or counts
   * beyond that, read the events.
   */
  private eventFromFacts(c: Extract<SegmentCondition, { type: 'event' }>): Fragment | undefined {
    const sql = this.sql;
    if (!this.facts || (c.where?.length ?? 0) > 0) return undefined;
    const lo = c.atLeast ?? (c.atMost === undefined ? 1 : 0);
    const hi = c.atMost;
    const windowed = c.withinDays !== undefined;
    if (windowed && (lo > AUDIENCE_RECENT_EVENTS || (hi ?? 0) + 1 > AUDIENCE_RECENT_EVENTS)) return undefined;
    const bound = sql`now() - make_interval(days => ${c.withinDays ?? 0}::int)`;
    const allSources = this.scope.visibleSourceIds === null;
    if (windowed && allSources) {
      // The people whose n-th latest is in the window: one range of event_facts_recent, exactly them.
      const reached = (n: number) => sql`select r.customer_id from event_facts_recent r
        where r.event = ${c.name} and r.k = ${n}::int and r.at >= ${bound} ${this.only(sql`r.customer_id`)}`;
      const most = hi === undefined ? sql`` : sql`p.customer_id not in (${reached(hi + 1)})`;
      if (lo === 0) return hi === undefined ? sql`true` : most;
      return hi === undefined
        ? sql`p.customer_id in (${reached(lo)})`
        : sql`(p.customer_id in (${reached(lo)}) and ${most})`;
    }
    // "At least once in the window" for a brand: the events index holds exactly those people, in a range.
    if (windowed && lo === 1 && hi === undefined) return undefined;
    const rows = sql`from event_facts f where f.event = ${c.name} ${this.only(sql`f.customer_id`)}
      and ${allSources ? sql`f.source_id = ${ALL}` : sql`f.source_id <> ${ALL} ${this.visible(sql`f.source_id`)}`}`;
    // Did at least n (n ≥ 1) of them, from a person's row for all sources.
    const atLeast = (n: number) => (windowed ? sql`f.recent[${n}::int] >= ${bound}` : sql`f.total >= ${n}::int`);
    if (allSources) {
      if (lo === 0)
        return hi === undefined
          ? sql`true`
          : sql`p.customer_id not in (select f.customer_id ${rows} and ${atLeast(hi + 1)})`;
      return sql`p.customer_id in (select f.customer_id ${rows} and ${atLeast(lo)}
        ${hi === undefined ? sql`` : sql`and not coalesce(${atLeast(hi + 1)}, false)`})`;
    }
    let counted = sql`f.total`;
    if (windowed) {
      counted = sql`0`;
      for (let i = 1; i <= AUDIENCE_RECENT_EVENTS; i++)
        counted = sql`${counted} + coalesce((f.recent[${i}::int] >= ${bound})::int, 0)`;
    }
    const n = sql`sum(${counted})`;
    const within = sql`${n} >= ${lo}::int ${hi === undefined ? sql`` : sql`and ${n} <= ${hi}::int`}`;
    // Rows with nothing in the window count 0 and change no sum.
    const some = windowed ? sql`and f.recent[1] >= ${bound}` : sql``;
    return lo === 0
      ? sql`p.customer_id not in (select f.customer_id ${rows} ${some} group by f.customer_id having not (${within}))`
      : sql`p.customer_id in (select f.customer_id ${rows} ${some} group by f.customer_id having ${within})`;
  }

  /**
   * An order condition from `order_facts`: one row per person, store and currency (and one for all,
   * which the group reads when it filters on neither). All time is exact from the sums. A window
   * takes the people with an order in it whose sums could pass (the count and the positive amounts
   * bound any window's), then checks each: their sums when all their orders fall in the window,
   * else their orders in it. Only "at most" tests in a window (which people without orders pass)
   * read the orders table as a whole.
   */
  private orderFromFacts(c: Extract<SegmentCondition, { type: 'order' }>, everyone: boolean): Fragment | undefined {
    const sql = this.sql;
    if (!this.facts) return undefined;
    const count = c.count ?? (c.amount === undefined ? { atLeast: 1 } : undefined);
    const zeroPasses = (count?.atLeast ?? 0) <= 0 && (c.amount?.atLeast ?? 0) <= 0;
    if (c.withinDays !== undefined && zeroPasses) return undefined;
    const within = (n: Fragment, sum: Fragment) => {
      const tests: Fragment[] = [];
      if (count?.atLeast !== undefined) tests.push(sql`${n} >= ${count.atLeast}::int`);
      if (count?.atMost !== undefined) tests.push(sql`${n} <= ${count.atMost}::int`);
      if (c.amount?.atLeast !== undefined) tests.push(sql`${sum} >= ${c.amount.atLeast}::bigint`);
      if (c.amount?.atMost !== undefined) tests.push(sql`${sum} <= ${c.amount.atMost}::bigint`);
      return tests.reduce((a, b) => sql`${a} and ${b}`);
    };
    const filters = (alias: Fragment) => sql`${this.visible(sql`${alias}.source_id`)}
      ${c.currency === undefined ? sql`` : sql`and ${alias}.currency = ${c.currency}`}
      ${c.storeIds === undefined ? sql`` : sql`and ${alias}.source_id = any(${c.storeIds}::text[])`}`;
    const all = this.scope.visibleSourceIds === null && c.currency === undefined && c.storeIds === undefined;
    const rowsOf = all
      ? sql`f.source_id = ${ALL} and f.currency = ${ALL}`
      : sql`f.source_id <> ${ALL} ${filters(sql`f`)}`;
    // One row per person for all; a brand's (or a store's, a currency's) rows summed.
    const [orders, amount, positive, first] = all
      ? [sql`f.orders`, sql`f.amount`, sql`f.positive_amount`, sql`f.first_at`]
      : [sql`sum(f.orders)`, sql`sum(f.amount)`, sql`sum(f.positive_amount)`, sql`min(f.first_at)`];
    const per = (test: Fragment) => (all ? sql`and ${test}` : sql`group by f.customer_id having ${test}`);
    if (c.withinDays === undefined) {
      const rows = sql`from order_facts f where ${rowsOf} ${this.only(sql`f.customer_id`)}`;
      const sums = within(orders, amount);
      return zeroPasses
        ? sql`p.customer_id not in (select f.customer_id ${rows} ${per(sql`not (${sums})`)})`
        : sql`p.customer_id in (select f.customer_id ${rows} ${per(sums)})`;
    }
    const bound = sql`now() - make_interval(days => ${c.withinDays}::int)`;
    const upper: Fragment[] = [];
    if (count?.atLeast !== undefined) upper.push(sql`${orders} >= ${count.atLeast}::int`);
    if (c.amount?.atLeast !== undefined) upper.push(sql`${positive} >= ${c.amount.atLeast}::bigint`);
    const candidates = sql`p.customer_id in (select f.customer_id from order_facts f
      where ${rowsOf} and f.last_at >= ${bound} ${this.only(sql`f.customer_id`)} ${per(upper.reduce((a, b) => sql`${a} and ${b}`))})`;
    const fromOrders = sql`(select ${within(sql`count(*)`, sql`coalesce(sum(o.reporting_total_minor), 0)`)} from orders o
      where o.customer_id = p.customer_id and o.status <> 'cancelled' and o.placed_at >= ${bound} ${filters(sql`o`)})`;
    const exact = sql`(select case when ${first} >= ${bound} then ${within(orders, amount)} else ${fromOrders} end
      from order_facts f where f.customer_id = p.customer_id and ${rowsOf} and f.last_at >= ${bound})`;
    // An order in the window is all "at least one order" asks: the candidates are the members.
    const anyOrder = count?.atLeast === 1 && count.atMost === undefined && c.amount === undefined;
    if (anyOrder) return candidates;
    if (!everyone) return sql`(${candidates} and coalesce(${exact}, false))`;
    this.deferred.push(sql`coalesce(${exact}, false)`);
    return candidates;
  }

  /** The test of a node for `p.customer_id`; `everyone`: every member must pass it (checks may be deferred). */
  node(n: SegmentNode, everyone = false): Fragment {
    const sql = this.sql;
    if ('all' in n) return n.all.map((c) => this.node(c, everyone)).reduce((a, b) => sql`(${a} and ${b})`);
    if ('any' in n) return n.any.map((c) => this.node(c)).reduce((a, b) => sql`(${a} or ${b})`);
    if ('not' in n) return sql`not (${this.node(n.not)})`;
    return this.condition(n, everyone);
  }

  private condition(c: SegmentCondition, everyone = false): Fragment {
    const sql = this.sql;
    switch (c.type) {
      case 'trait': {
        const short = shortValues(c);
        if (short)
          return sql`p.customer_id in (
            select t.customer_id from profile_traits t
            where t.key = ${c.key} and octet_length(t.value::text) <= ${SHORT_VALUE_TEXT}
              and ${
                // One value as an equality: the planner's statistics of the value then estimate the set.
                short.length === 1
                  ? sql`t.value = ${json(short[0])}::jsonb`
                  : sql`t.value = any(${short.map(json)}::text[]::jsonb[])`
              }
              ${this.only(sql`t.customer_id`)} ${this.visible(sql`t.source_id`)})`;
        return sql`p.customer_id in (
          select t.customer_id from profile_traits t
          where t.key = ${c.key} ${valueHash(sql, sql`t.value`, c)} ${this.only(sql`t.customer_id`)} ${this.visible(sql`t.source_id`)}
            and ${comparison(sql, sql`t.value`, c)})`;
      }
      case 'computedTrait':
        return sql`p.customer_id in (
          select v.customer_id from computed_trait_values v
          where v.trait_id = ${c.id} and v.value is not null ${this.only(sql`v.customer_id`)}
            and ${comparison(sql, sql`v.value`, c)})`;
      case 'tag': {
        const tagged = sql`p.customer_id in (
          select a.customer_id from tag_assignments a where a.tag_key = ${c.key} ${this.only(sql`a.customer_id`)})`;
        return c.has ? tagged : sql`not ${tagged}`;
      }
      case 'consent': {
        if (this.facts) {
          // From `consent_facts` (the latest record's state per scope): those whose latest record
          // grants, and those with none in the scope whose jurisdiction grants by default.
          const scope = sql`f.purpose = ${c.purpose} and f.brand_scope = ${this.scope.consentBrand ?? ''}`;
          // Jurisdictions no subject of the region has grant no one: without any, no union to deduplicate.
          const present = this.jurisdictions;
          const byDefault = jurisdictionsGrantingByDefault(c.purpose).filter((j) => !present || present.includes(j));
          // One set: with an OR of two sets the planner tested every profile against both. A union
          // (no one is in both) rather than a union all, whose size it cannot estimate (200 people:
          // as an `exists` over a union all it deduplicated 172k us people it took for 200, then
          // probed the event facts once for each, in every parallel worker).
          const granted = sql`p.customer_id in (select f.customer_id from consent_facts f
            where ${scope} and f.state = 'granted' ${this.only(sql`f.customer_id`)}
            ${
              byDefault.length === 0
                ? sql``
                : sql`union select s.customer_id from consent_subjects s
                    where s.jurisdiction = any(${byDefault}::text[]) ${this.only(sql`s.customer_id`)}
                      and not exists (select 1 from consent_facts f where f.customer_id = s.customer_id and ${scope})`
            })`;
          return c.state === 'granted' ? granted : sql`not ${granted}`;
        }
        // Effective consent (db/consent-store.ts effectiveConsentSql, evaluated per person): the
        // latest record of the scope for the purpose (a denial wins a tie), else the default of
        // the person's jurisdiction; a person with no consent subject is not granted.
        // Evaluated per person (two index probes), after the set conditions have narrowed them.
        const brand = sql`and r.brand_id is not distinct from ${this.scope.consentBrand}::text`;
        const granted = sql`coalesce(
          (select r.state = 'granted' from consent_records r
           where r.customer_id = p.customer_id and r.purpose = ${c.purpose} ${brand}
           order by r.recorded_at desc, (r.state = 'granted') limit 1),
          (select s.jurisdiction = any(${jurisdictionsGrantingByDefault(c.purpose)}::text[])
           from consent_subjects s where s.customer_id = p.customer_id),
          false)`;
        return c.state === 'granted' ? granted : sql`not ${granted}`;
      }
      case 'market': {
        const countries = [
          ...new Set([...(c.countries ?? []), ...(c.regions ?? []).flatMap((r) => this.scope.regionCountries(r))]),
        ];
        // A union, not a union all (the parts never share a person): the planner estimates a union
        // all's distinct people at 200 and probed the consent facts once per person of the region.
        return sql`p.customer_id in (
          select s.customer_id from consent_subjects s where s.country = any(${countries}::text[]) ${this.only(sql`s.customer_id`)}
          union
          select v.customer_id from computed_trait_values v
          where v.trait_id = ${HOME_MARKET_TRAIT_ID} and v.value #>> '{}' = any(${countries}::text[]) ${this.only(sql`v.customer_id`)}
            and not exists (select 1 from consent_subjects s where s.customer_id = v.customer_id))`;
      }
      case 'event': {
        const fromFacts = this.eventFromFacts(c);
        if (fromFacts) return fromFacts;
        const lo = c.atLeast ?? (c.atMost === undefined ? 1 : 0);
        const filters = sql`e.event = ${c.name} ${this.only(sql`e.customer_id`)} ${this.visible(sql`e.source_id`)}
          ${c.withinDays === undefined ? sql`` : sql`and e.timestamp >= now() - make_interval(days => ${c.withinDays}::int)`}
          ${propertyFilters(sql, sql`e`, c.where)}`;
        if (lo >= 1 && c.atMost === undefined && lo === 1)
          return sql`p.customer_id in (select e.customer_id from events e where ${filters})`;
        const within = sql`count(*) >= ${lo}::int ${c.atMost === undefined ? sql`` : sql`and count(*) <= ${c.atMost}::int`}`;
        // Zero events satisfies the bounds: everyone but those whose count breaks them.
        return lo === 0
          ? sql`p.customer_id not in (select e.customer_id from events e where ${filters} group by e.customer_id having not (${within}))`
          : sql`p.customer_id in (select e.customer_id from events e where ${filters} group by e.customer_id having ${within})`;
      }
      case 'didNot': {
        // Did X within the window, and nothing of Y since their latest X.
        const followed =
          'purchase' in c.didNot
            ? sql`exists (select 1 from events y where y.customer_id = x.customer_id and y.event = 'Order Completed'
                    and y.timestamp >= x.last ${this.visible(sql`y.source_id`)})
               or exists (select 1 from orders o where o.customer_id = x.customer_id and o.placed_at >= x.last
                    and o.status <> 'cancelled' ${this.visible(sql`o.source_id`)})`
            : sql`exists (select 1 from events y where y.customer_id = x.customer_id and y.event = ${c.didNot.name}
                    and y.timestamp >= x.last ${this.visible(sql`y.source_id`)} ${propertyFilters(sql, sql`y`, c.didNot.where)})`;
        return sql`p.customer_id in (
          select x.customer_id from (
            select e.customer_id, max(e.timestamp) as last from events e
            where e.event = ${c.did.name} and e.timestamp >= now() - make_interval(days => ${c.withinDays}::int)
              ${this.only(sql`e.customer_id`)} ${this.visible(sql`e.source_id`)} ${propertyFilters(sql, sql`e`, c.did.where)}
            group by e.customer_id
          ) x where not (${followed}))`;
      }
      case 'order': {
        const fromFacts = this.orderFromFacts(c, everyone);
        if (fromFacts) return fromFacts;
        const count = c.count ?? (c.amount === undefined ? { atLeast: 1 } : undefined);
        const sum = sql`coalesce(sum(o.reporting_total_minor), 0)`;
        const tests: Fragment[] = [];
        if (count?.atLeast !== undefined) tests.push(sql`count(*) >= ${count.atLeast}::int`);
        if (count?.atMost !== undefined) tests.push(sql`count(*) <= ${count.atMost}::int`);
        if (c.amount?.atLeast !== undefined) tests.push(sql`${sum} >= ${c.amount.atLeast}::bigint`);
        if (c.amount?.atMost !== undefined) tests.push(sql`${sum} <= ${c.amount.atMost}::bigint`);
        const within = tests.reduce((a, b) => sql`${a} and ${b}`);
        const filters = sql`o.customer_id is not null and o.status <> 'cancelled'
          ${this.only(sql`o.customer_id`)} ${this.visible(sql`o.source_id`)}
          ${c.currency === undefined ? sql`` : sql`and o.currency = ${c.currency}`}
          ${c.storeIds === undefined ? sql`` : sql`and o.source_id = any(${c.storeIds}::text[])`}
          ${c.withinDays === undefined ? sql`` : sql`and o.placed_at >= now() - make_interval(days => ${c.withinDays}::int)`}`;
        const zeroPasses = (count?.atLeast ?? 0) <= 0 && (c.amount?.atLeast ?? 0) <= 0;
        return zeroPasses
          ? sql`p.customer_id not in (select o.customer_id from orders o where ${filters} group by o.customer_id having not (${within}))`
          : sql`p.customer_id in (select o.customer_id from orders o where ${filters} group by o.customer_id having ${within})`;
      }
      case 'localTime': {
        // The zone of the person's latest event that named one; a zone PostgreSQL does not know
        // (client input) gives no local time instead of failing the whole query.
        const local = sql`z.local`;
        const tests: Fragment[] = [];
        if (c.hours) {
          const hour = sql`extract(hour from ${local})`;
          tests.push(
            c.hours.from < c.hours.to
              ? sql`${hour} >= ${c.hours.from}::int and ${hour} < ${c.hours.to}::int`
              : sql`(${hour} >= ${c.hours.from}::int or ${hour} < ${c.hours.to}::int)`,
          );
        }
        if (c.days)
          tests.push(sql`extract(isodow from ${local}) = any(${c.days.map((d) => WEEKDAY_NUMBERS[d])}::int[])`);
        return sql`p.customer_id in (
          select z.customer_id from (
            select l.customer_id,
              case when l.timezone in (select name from pg_timezone_names) then now() at time zone l.timezone end as local
            from (
              select distinct on (e.customer_id) e.customer_id, e.timezone from events e
              where e.timezone is not null ${this.only(sql`e.customer_id`)}
              order by e.customer_id, e.timestamp desc
            ) l
          ) z where z.local is not null and ${tests.reduce((a, b) => sql`${a} and ${b}`)})`;
      }
    }
  }
}

/**
 * How a definition is evaluated: from the per-person facts (the default), or straight from the
 * events and orders (`facts: false`, the reference the facts are tested against).
 * `factsCurrent`: the caller refreshed the facts of the people it evaluates (the audience
 * processor, for its batch). Otherwise the people with changes the processor has not taken yet
 * (rows in `audience_changes`, written with their event, order or consent record) are evaluated
 * from their events, orders and records, so an answer is exact at its snapshot however far the
 * processor is behind.
 */
export interface EvaluationOptions {
  facts?: boolean;
  factsCurrent?: boolean;
  /**
   * What the caller read in the snapshot the query runs in (a repeatable-read transaction, as a
   * preview's): whether any change awaits the processor (false: no split into people from the facts
   * and people from the tables), and the jurisdictions of the region's consent subjects (a consent
   * condition then adds the people of a jurisdiction that grants by default only when there are any).
   */
  snapshot?: { pending: boolean; jurisdictions: readonly string[] };
}

/** The customers of this region matching the definition (restricted to `restrict` when given). */
export function membersQuery(
  sql: Db,
  definition: SegmentNode,
  scope: SegmentScope,
  restrict: string[] | null,
  options: EvaluationOptions = {},
): Fragment {
  const facts = options.facts ?? true;
  const listed = restrict === null ? null : sql`select unnest(${restrict}::uuid[])`;
  const members = (among: Fragment | null, fromFacts: boolean, pending: Fragment) => {
    const compiler = new SegmentCompiler(sql, scope, among, fromFacts, options.snapshot?.jurisdictions);
    const chosen = sql`
      select p.customer_id from profiles p
      where p.merged_into is null ${among === null ? sql`` : sql`and p.customer_id in (${among})`} ${pending}
        and ${compiler.node(definition, true)}`;
    if (compiler.deferred.length === 0) return chosen;
    // "offset 0": the people the sets chose first, then their per-person checks.
    return sql`select p.customer_id from (${chosen} offset 0) p
      where ${compiler.deferred.reduce((a, b) => sql`${a} and ${b}`)}`;
  };
  if (!facts || options.factsCurrent || options.snapshot?.pending === false || !readsFacts(definition))
    return members(listed, facts, sql``);
  // The people awaiting the processor, read once.
  const pending = sql`select customer_id from pending`;
  return sql`with pending as materialized (
      select distinct customer_id from (${changesAwaitingFacts(sql)}) c
      ${listed === null ? sql`` : sql`where customer_id in (${listed})`})
    ${members(listed, true, sql`and p.customer_id not in (${pending})`)}
    union all ${members(pending, false, sql``)}`;
}

/** Whether a definition has conditions answered from the facts (events, orders, consent). */
function readsFacts(node: SegmentNode): boolean {
  if ('all' in node) return node.all.some(readsFacts);
  if ('any' in node) return node.any.some(readsFacts);
  if ('not' in node) return readsFacts(node.not);
  return node.type === 'event' || node.type === 'order' || node.type === 'consent';
}

/** Customer IDs of this region's members, optionally among `restrict` only (incremental evaluation). */
export async function evaluateSegment(
  sql: Db,
  definition: SegmentNode,
  scope: SegmentScope,
  restrict: string[] | null = null,
  options: EvaluationOptions = {},
): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`${membersQuery(sql, definition, scope, restrict, options)}`;
  return rows.map((r) => r.customer_id);
}

export const PREVIEW_SAMPLE = 20;

/**
 * What a query compiled with `EvaluationOptions.snapshot` relies on: whether anyone awaits the
 * processor, and the jurisdictions of the region's consent subjects. Read it in the transaction of
 * the query (repeatable read, so both see the same snapshot).
 */
export async function evaluationSnapshot(sql: Db): Promise<{ pending: boolean; jurisdictions: string[] }> {
  const [row] = await sql<{ pending: boolean; jurisdictions: string[] }[]>`
    select exists (${changesAwaitingFacts(sql)}) as pending, array(${regionJurisdictionsSql(sql)}) as jurisdictions`;
  return row!;
}

/**
 * The distinct jurisdictions of the region's consent subjects, one index probe each (a skip scan
 * of `consent_subjects_jurisdiction`): a handful of probes instead of reading every subject.
 */
function regionJurisdictionsSql(sql: Db): Fragment {
  return sql`
    with recursive j(jurisdiction) as (
      (select jurisdiction from consent_subjects order by jurisdiction limit 1)
      union all
      select (select s.jurisdiction from consent_subjects s where s.jurisdiction > j.jurisdiction
              order by s.jurisdiction limit 1)
      from j where j.jurisdiction is not null
    )
    select jurisdiction from j where jurisdiction is not null`;
}

/** How long a preview may count in a region: a console waits for it, and counts are exact, never sampled. */
export const PREVIEW_STATEMENT_TIMEOUT_MS = 15_000;

/** Whether `error` is PostgreSQL ending a statement at its statement_timeout. */
export const isStatementTimeout = (error: unknown) => (error as { code?: string }).code === '57014';

/**
 * A preview in one region: how many match, a sample of their IDs, and which of `alsoElsewhere`
 * (people with profiles in several regions) match here, so the caller counts them once.
 */
export async function previewSegment(
  sql: Sql,
  definition: SegmentNode,
  scope: SegmentScope,
  alsoElsewhere: string[] = [],
  timeoutMs = PREVIEW_STATEMENT_TIMEOUT_MS,
): Promise<{ count: number; sample: string[]; multiRegionMembers: string[] }> {
  const [counted, multi] = await Promise.all([
    // One pass for the count and the sample. An analytical query: JIT compiles longer than it runs,
    // and hashes of a million IDs should stay in memory rather than spill.
    // Repeatable read: what the first statement reads (anyone awaiting the processor, the region's
    // jurisdictions) holds for the count, which is then compiled for it.
    sql.begin('isolation level repeatable read read only', async (tx) => {
      await tx`select set_config('statement_timeout', ${String(timeoutMs)}, true)`;
      await tx`set local jit = off`;
      await tx`set local work_mem = '64MB'`;
      const snapshot = await evaluationSnapshot(tx);
      return tx<{ customer_id: string; total: string }[]>`
        select m.customer_id, count(*) over () as total
        from (${membersQuery(tx, definition, scope, null, { snapshot })}) m
        order by m.customer_id limit ${PREVIEW_SAMPLE}`;
    }),
    alsoElsewhere.length === 0 ? Promise.resolve([]) : evaluateSegment(sql, definition, scope, alsoElsewhere),
  ]);
  return {
    count: counted.length === 0 ? 0 : Number(counted[0]!.total),
    sample: counted.map((r) => r.customer_id),
    multiRegionMembers: multi as string[],
  };
}

// ---------------------------------------------------------------------------------------------
// Membership
// ---------------------------------------------------------------------------------------------

/** Advisory-lock namespaces (the two-key form keeps them apart from other users of advisory locks). */
const LOCK_SEGMENT = 1_105;
const LOCK_OUTBOX = 1_106;

export interface MembershipMoves {
  entered: string[];
  exited: string[];
}

/**
 * Evaluates `segment` (among `candidates`, or everyone) and applies the result in one
 * transaction: entries insert a stay, exits close it, and each move is written to the outbox.
 * A lock per segment serialises evaluations of one segment, so two processors never apply stale
 * answers out of order; the partial unique index (one open stay per person) and the `returning`
 * of each write make every move happen exactly once. Nothing is deleted: a stay that ends keeps
 * its row, a person who stays keeps theirs (even across definition versions).
 */
export async function applySegmentMembership(
  sql: Sql,
  segment: Pick<Segment, 'id' | 'version' | 'definition'>,
  scope: SegmentScope,
  candidates: string[] | null,
  options: EvaluationOptions = {},
): Promise<MembershipMoves> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_SEGMENT}::int, hashtext(${segment.id}))`;
    const members = new Set(await evaluateSegment(tx, segment.definition, scope, candidates, options));
    const current = await tx<{ customer_id: string }[]>`
      select customer_id from segment_membership where segment_id = ${segment.id} and exited_at is null
      ${candidates === null ? tx`` : tx`and customer_id = any(${candidates}::uuid[])`}`;
    const currentIds = new Set(current.map((r) => r.customer_id));
    const enter = [...members].filter((id) => !currentIds.has(id)).sort();
    const exit = [...currentIds].filter((id) => !members.has(id)).sort();
    if (enter.length === 0 && exit.length === 0) return { entered: [], exited: [] };
    // Outbox IDs in commit order: consumers read by ID and must never find a gap filled later.
    await tx`select pg_advisory_xact_lock(${LOCK_OUTBOX}::int, 0)`;
    const entered = enter.length
      ? (
          await tx<{ customer_id: string }[]>`
          insert into segment_membership (segment_id, customer_id, version, entered_at)
          select ${segment.id}, c, ${segment.version}, now() from unnest(${enter}::uuid[]) as u(c)
          on conflict (segment_id, customer_id) where exited_at is null do nothing
          returning customer_id`
        ).map((r) => r.customer_id)
      : [];
    const exited = exit.length
      ? (
          await tx<{ customer_id: string }[]>`
          update segment_membership set exited_at = now()
          where segment_id = ${segment.id} and exited_at is null and customer_id = any(${exit}::uuid[])
          returning customer_id`
        ).map((r) => r.customer_id)
      : [];
    const kinds = [...entered.map(() => 'entered'), ...exited.map(() => 'exited')];
    if (kinds.length > 0)
      await tx`
        insert into segment_membership_events (segment_id, customer_id, kind, version, at)
        select ${segment.id}, c, k, ${segment.version}, now()
        from unnest(${[...entered, ...exited]}::uuid[], ${kinds}::text[]) as u(c, k)`;
    return { entered, exited };
  });
}

/** How long a full recompute's statements may run: a whole region in one pass (the activity heartbeats meanwhile). */
const RECOMPUTE_STATEMENT_TIMEOUT = '4min';

/**
 * A full recompute of one segment in this region, set-based: the members of the whole region in
 * one query (hash joins over each condition's table, as a preview does, instead of a page of
 * candidate IDs at a time re-reading the same tables), kept in a temporary table; the moves
 * (members without an open stay, open stays of people no longer members) in one more statement,
 * under the segment's lock only: nothing else writes this segment's stays meanwhile. Only when
 * someone moves is the outbox lock taken, and the entries, exits, outbox rows and notes for what
 * follows membership (rule tags) written in one statement: a recompute that moves no one (the
 * usual case of the scheduled pass) never waits for, or holds up, the region's other writers of
 * the outbox. Profiles merged away or gone leave. Same locks and guarantees as
 * applySegmentMembership (the writes' `returning` decide what moved); only counts come back.
 */
export async function recomputeSegment(
  sql: Sql,
  segment: Pick<Segment, 'id' | 'version' | 'definition'>,
  scope: SegmentScope,
): Promise<{ entered: number; exited: number }> {
  return sql.begin(async (tx) => {
    await tx`select set_config('statement_timeout', ${RECOMPUTE_STATEMENT_TIMEOUT}, true)`;
    // An analytical pass: JIT compiles longer than it runs; hashes of a region's IDs stay in memory.
    await tx`set local jit = off`;
    await tx`set local work_mem = '64MB'`;
    await tx`select pg_advisory_xact_lock(${LOCK_SEGMENT}::int, hashtext(${segment.id}))`;
    await tx`create temporary table recompute_members (customer_id uuid primary key) on commit drop`;
    await tx`insert into recompute_members ${membersQuery(tx, segment.definition, scope, null)}`;
    await tx`analyze recompute_members`;
    await tx`create temporary table recompute_moves (customer_id uuid not null, kind text not null) on commit drop`;
    const moves = await tx`
      insert into recompute_moves (customer_id, kind)
      select m.customer_id, 'entered' from recompute_members m
      where not exists (
        select 1 from segment_membership s
        where s.segment_id = ${segment.id} and s.customer_id = m.customer_id and s.exited_at is null)
      union all
      select s.customer_id, 'exited' from segment_membership s
      where s.segment_id = ${segment.id} and s.exited_at is null
        and not exists (select 1 from recompute_members m where m.customer_id = s.customer_id)`;
    if (moves.count === 0) return { entered: 0, exited: 0 };
    // Outbox IDs in commit order: consumers read by ID and must never find a gap filled later.
    await tx`select pg_advisory_xact_lock(${LOCK_OUTBOX}::int, 0)`;
    const [counts] = await tx<{ entered: number; exited: number }[]>`
      with entered as (
        insert into segment_membership (segment_id, customer_id, version, entered_at)
        select ${segment.id}, m.customer_id, ${segment.version}, now() from recompute_moves m
        where m.kind = 'entered'
        order by m.customer_id
        on conflict (segment_id, customer_id) where exited_at is null do nothing
        returning customer_id
      ),
      exited as (
        update segment_membership s set exited_at = now()
        from recompute_moves m
        where m.kind = 'exited' and s.segment_id = ${segment.id} and s.exited_at is null
          and s.customer_id = m.customer_id
        returning s.customer_id
      ),
      moved as (
        select customer_id, 'entered' as kind from entered
        union all
        select customer_id, 'exited' as kind from exited
      ),
      outbox as (
        insert into segment_membership_events (segment_id, customer_id, kind, version, at)
        select ${segment.id}, customer_id, kind, ${segment.version}, now() from moved
        order by kind, customer_id
      ),
      noted as (
        insert into audience_changes (customer_id, cause) select customer_id, 'segment' from moved
      )
      select (select count(*) from entered)::int as entered, (select count(*) from exited)::int as exited`;
    return counts!;
  });
}

/** Current members after `after`, by customer ID (one region's page of a members listing). */
export async function segmentMembersPage(
  sql: Sql,
  segmentId: string,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`${segmentMembersPageSql(sql, segmentId, after, limit)}`;
  return rows.map((r) => r.customer_id);
}

/** The query of a page of current members (customer_id, in customer order), for a statement to build on. */
export function segmentMembersPageSql(sql: Sql, segmentId: string, after: string | null, limit: number) {
  return sql`
    select customer_id from segment_membership
    where segment_id = ${segmentId} and exited_at is null ${after === null ? sql`` : sql`and customer_id > ${after}::uuid`}
    order by customer_id limit ${limit}`;
}

/** This region's member count, and which of `alsoElsewhere` are members here (to count them once). */
export async function segmentMemberCount(
  sql: Sql,
  segmentId: string,
  alsoElsewhere: string[] = [],
): Promise<{ count: number; multiRegionMembers: string[] }> {
  const [[row], multi] = await Promise.all([
    sql<
      { n: string }[]
    >`select count(*) as n from segment_membership where segment_id = ${segmentId} and exited_at is null`,
    alsoElsewhere.length === 0
      ? Promise.resolve([] as { customer_id: string }[])
      : sql<{ customer_id: string }[]>`
          select customer_id from segment_membership
          where segment_id = ${segmentId} and exited_at is null and customer_id = any(${alsoElsewhere}::uuid[])`,
  ]);
  return { count: Number(row!.n), multiRegionMembers: multi.map((r) => r.customer_id) };
}

export interface MembershipStay {
  version: number;
  enteredAt: string;
  exitedAt: string | null;
}

/** One UTC day of a segment's membership: members at the day's end, entries and exits during it. */
export interface MembershipDay {
  day: string;
  members: number;
  entered: number;
  exited: number;
}

/**
 * Membership over time, from the stays (segment_membership keeps every one, with its entry and
 * exit): for each UTC day from `from` to `to` (YYYY-MM-DD, inclusive), counts only.
 */
export async function segmentMembershipSeries(
  sql: Sql,
  segmentId: string,
  from: string,
  to: string,
): Promise<MembershipDay[]> {
  return sql<MembershipDay[]>`
    with days as (
      select d::date as day, (d::date)::timestamp at time zone 'UTC' as starts,
             (d::date + 1)::timestamp at time zone 'UTC' as ends
      from generate_series(${from}::date, ${to}::date, interval '1 day') as d
    ), stays as (
      select entered_at, exited_at from segment_membership
      where segment_id = ${segmentId} and entered_at < (${to}::date + 1)::timestamp at time zone 'UTC'
    )
    select to_char(days.day, 'YYYY-MM-DD') as day,
      count(*) filter (where s.entered_at < days.ends and (s.exited_at is null or s.exited_at >= days.ends))::int as members,
      count(*) filter (where s.entered_at >= days.starts and s.entered_at < days.ends)::int as entered,
      count(*) filter (where s.exited_at >= days.starts and s.exited_at < days.ends)::int as exited
    from days left join stays s on s.entered_at < days.ends and (s.exited_at is null or s.exited_at >= days.starts)
    group by days.day order by days.day`;
}

/** A person's stays in a segment, oldest first (history across definition versions). */
export async function membershipHistory(sql: Sql, segmentId: string, customerId: string): Promise<MembershipStay[]> {
  const rows = await sql<{ version: number; entered_at: Date; exited_at: Date | null }[]>`
    select version, entered_at, exited_at from segment_membership
    where segment_id = ${segmentId} and customer_id = ${customerId} order by entered_at, id`;
  return rows.map((r) => ({
    version: r.version,
    enteredAt: iso(r.entered_at),
    exitedAt: r.exited_at === null ? null : iso(r.exited_at),
  }));
}

// ---------------------------------------------------------------------------------------------
// The membership outbox, consumed exactly once
// ---------------------------------------------------------------------------------------------

export interface MembershipEvent {
  id: number;
  segmentId: string;
  customerId: string;
  kind: 'entered' | 'exited';
  version: number;
  at: string;
}

/**
 * Reads the next moves after `consumer`'s offset, hands them to `handle` and advances the offset,
 * all in one transaction: if `handle` throws, nothing advances and the same moves come again; the
 * consumer's row is locked, so two processes of one consumer never take the same moves. `handle`
 * gets the transaction, so what it records is committed with the offset (exactly-once effects).
 * Returns how many moves were handled.
 */
export async function consumeMembershipEvents(
  sql: Sql,
  consumer: string,
  handle: (events: MembershipEvent[], tx: TransactionSql) => Promise<void>,
  limit = 500,
): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`insert into membership_consumers (consumer) values (${consumer}) on conflict do nothing`;
    const [offset] = await tx<{ last_event_id: string }[]>`
      select last_event_id from membership_consumers where consumer = ${consumer} for update`;
    const rows = await tx<
      { id: string; segment_id: string; customer_id: string; kind: 'entered' | 'exited'; version: number; at: Date }[]
    >`
      select id, segment_id, customer_id, kind, version, at from segment_membership_events
      where id > ${offset!.last_event_id}::bigint order by id limit ${limit}`;
    if (rows.length === 0) return 0;
    const events = rows.map((r) => ({
      id: Number(r.id),
      segmentId: r.segment_id,
      customerId: r.customer_id,
      kind: r.kind,
      version: r.version,
      at: iso(r.at),
    }));
    await handle(events, tx);
    await tx`update membership_consumers set last_event_id = ${events[events.length - 1]!.id}, updated_at = now()
      where consumer = ${consumer}`;
    return events.length;
  });
}

// ---------------------------------------------------------------------------------------------
// Definitions (global database)
// ---------------------------------------------------------------------------------------------

interface SegmentRow {
  id: string;
  name: string;
  owner: string;
  brand_id: string | null;
  version: number;
  definition: SegmentNode;
  created_at: Date;
  updated_at: Date;
}

const toSegment = (r: SegmentRow): Segment => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  brandId: r.brand_id,
  version: r.version,
  definition: r.definition,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/** The workspace's data-schema rules in force (the newest version), compiled; none yet: built-ins only. */
export async function workspaceDataRules(globalSql: Sql): Promise<CompiledRules> {
  const [row] = await globalSql<{ rules: unknown }[]>`
    select rules from data_schema_versions order by version desc limit 1`;
  if (!row) return NO_RULES;
  const parsed = dataSchemaRulesSchema.safeParse(row.rules);
  return parsed.success ? compileRules(parsed.data) : NO_RULES;
}

export async function createSegment(
  globalSql: Sql,
  input: {
    id: string;
    name: string;
    owner: string;
    brandId: string | null;
    definition: SegmentNode;
    changedBy: string;
  },
): Promise<Segment> {
  return globalSql.begin(async (tx) => {
    const [row] = await tx<SegmentRow[]>`
      insert into segments (id, name, owner, brand_id, version, definition)
      values (${input.id}, ${input.name}, ${input.owner}, ${input.brandId}, 1, ${json(input.definition)}::jsonb)
      returning *`;
    await tx`insert into segment_versions (segment_id, version, definition, changed_by)
      values (${input.id}, 1, ${json(input.definition)}::jsonb, ${input.changedBy})`;
    return toSegment(row!);
  });
}

/** A new version of the definition (and optionally the name); every earlier version is kept. */
export async function updateSegment(
  globalSql: Sql,
  id: string,
  change: { name?: string; definition: SegmentNode; changedBy: string },
): Promise<Segment | undefined> {
  return globalSql.begin(async (tx) => {
    const [row] = await tx<SegmentRow[]>`
      update segments set version = version + 1, definition = ${json(change.definition)}::jsonb,
        name = coalesce(${change.name ?? null}, name), updated_at = now()
      where id = ${id} and archived_at is null returning *`;
    if (!row) return undefined;
    await tx`insert into segment_versions (segment_id, version, definition, changed_by)
      values (${id}, ${row.version}, ${json(change.definition)}::jsonb, ${change.changedBy})`;
    return toSegment(row);
  });
}

export async function getSegment(globalSql: Sql, id: string): Promise<Segment | undefined> {
  const [row] = await globalSql<SegmentRow[]>`select * from segments where id = ${id} and archived_at is null`;
  return row ? toSegment(row) : undefined;
}

export async function segmentVersions(
  globalSql: Sql,
  id: string,
): Promise<{ version: number; definition: SegmentNode; changedBy: string; createdAt: string }[]> {
  const rows = await globalSql<{ version: number; definition: SegmentNode; changed_by: string; created_at: Date }[]>`
    select version, definition, changed_by, created_at from segment_versions where segment_id = ${id} order by version`;
  return rows.map((r) => ({
    version: r.version,
    definition: r.definition,
    changedBy: r.changed_by,
    createdAt: iso(r.created_at),
  }));
}

/** The segments a region evaluates: the group's (owner `group`) and its own local ones. */
export async function segmentsOfRegion(globalSql: Sql, region: string): Promise<Segment[]> {
  const rows = await globalSql<SegmentRow[]>`
    select * from segments where archived_at is null and owner in ('group', ${region}) order by id`;
  return rows.map(toSegment);
}

/** Changes when a segment of the region is created, changed or archived: the processor's cache key. */
export async function segmentsStamp(globalSql: Sql, region: string): Promise<string> {
  // Brand visibility is part of what the processor caches: sharing and sources' brands count too.
  const [row] = await globalSql<{ stamp: string }[]>`
    select count(*) || ':' || coalesce(max(updated_at)::text, '') || ':' || coalesce(max(archived_at)::text, '')
      || ':' || (select count(*) || ':' || coalesce(max(updated_at)::text, '') from brand_sharing)
      || ':' || (select coalesce(md5(string_agg(id || '=' || brand_id, ',' order by id)), '') from
                  (select id, brand_id from sources union all select id, brand_id from connectors) owned) as stamp
    from segments where owner in ('group', ${region})`;
  return row!.stamp;
}

/** Segments with windows that slide or local-time conditions: the scheduled pass recomputes these. */
export function needsScheduledRecompute(segment: Pick<Segment, 'definition'>): boolean {
  return isTimeRelative(segment.definition);
}

/** People with profiles in more than one region, among those known to the global index. */
export async function multiRegionCustomers(globalSql: Sql): Promise<string[]> {
  const rows = await globalSql<{ customer_id: string }[]>`
    select customer_id from customers where cardinality(regions) > 1 and merged_into is null`;
  return rows.map((r) => r.customer_id);
}
