import type { PendingQuery, Row, Sql } from 'postgres';
import {
  BUILT_IN_TRAITS,
  ComputedTrait,
  EventFilter,
  isComputedInSql,
  isWindowed,
  PropertyFilter,
  TraitDefinition,
  traitDefinitionSchema,
  TraitWindow,
  ValueSource,
} from '../domain/computed-traits';
import { eachConcurrently } from './concurrently';
import { affectedCustomers, computedCause, traitDependencies } from '../domain/audience-dependencies';
import { visibleSourceIds } from './brands-store';

/**
 * Computed traits in the databases. Definitions are global (`computed_traits`, no personal data);
 * values are regional (`computed_trait_values`, keyed by customer ID). Each definition becomes ONE
 * set-based statement over a set of customers: the audience processor calls it for the people whose
 * events or orders changed, the scheduled pass for pages of everyone as windows slide. A value is
 * written only when it changed (the statement returns who changed); no value (no matching data)
 * removes the row. A brand's trait reads only the sources its brand may see (db/brands-store.ts).
 */

type Fragment = PendingQuery<Row[]>;

/** A definition with what it may read resolved: the source IDs its brand sees, or null (the group: all). */
export interface ResolvedTrait extends ComputedTrait {
  visibleSourceIds: string[] | null;
}

export class ComputedTraitError extends Error {
  override readonly name = 'ComputedTraitError';
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Definitions (global database)
// ---------------------------------------------------------------------------------------------

interface TraitRow {
  id: string;
  name: string;
  brand_id: string | null;
  definition: unknown;
  built_in: boolean;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

function toTrait(row: TraitRow): ComputedTrait & { createdAt: string; updatedAt: string } {
  return {
    id: row.id,
    name: row.name,
    brandId: row.brand_id,
    builtIn: row.built_in,
    version: row.version,
    // Stored definitions were checked when written; parsing again fills defaults added since.
    definition: traitDefinitionSchema.parse(parseJson(row.definition)),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * Writes the built-in definitions: new ones are added, changed ones (a new release) get a new version,
 * unchanged ones are left alone. Safe to run at every start and from several processes at once.
 */
export async function seedBuiltInTraits(globalSql: Sql): Promise<{ added: number; changed: number }> {
  let added = 0;
  let changed = 0;
  for (const trait of BUILT_IN_TRAITS) {
    const [row] = await globalSql<{ inserted: boolean }[]>`
      insert into computed_traits (id, name, brand_id, definition, built_in)
      values (${trait.id}, ${trait.name}, ${trait.brandId}, ${JSON.stringify(trait.definition)}::text::jsonb, true)
      on conflict (id) do update set name = excluded.name, definition = excluded.definition, built_in = true,
        version = computed_traits.version + 1, updated_at = now()
      where computed_traits.definition is distinct from excluded.definition or computed_traits.name is distinct from excluded.name
      returning (xmax = 0) as inserted`;
    if (row?.inserted) added++;
    else if (row) changed++;
  }
  return { added, changed };
}

export async function listComputedTraits(globalSql: Sql) {
  const rows = await globalSql<TraitRow[]>`select * from computed_traits order by built_in desc, id`;
  return rows.map(toTrait);
}

export async function getComputedTrait(globalSql: Sql, id: string) {
  const [row] = await globalSql<TraitRow[]>`select * from computed_traits where id = ${id}`;
  return row ? toTrait(row) : undefined;
}

async function requireBrand(globalSql: Sql, brandId: string | null): Promise<void> {
  if (brandId === null) return;
  const [brand] = await globalSql`select 1 from brands where id = ${brandId}`;
  if (!brand)
    throw new ComputedTraitError(400, `brandId: no brand "${brandId}"; use an existing brand, or null for the group`);
}

export async function createComputedTrait(
  globalSql: Sql,
  input: { id: string; name: string; brandId: string | null; definition: TraitDefinition },
) {
  await requireBrand(globalSql, input.brandId);
  const [row] = await globalSql<TraitRow[]>`
    insert into computed_traits (id, name, brand_id, definition, built_in)
    values (${input.id}, ${input.name}, ${input.brandId}, ${JSON.stringify(input.definition)}::text::jsonb, false)
    on conflict (id) do nothing returning *`;
  if (!row)
    throw new ComputedTraitError(409, `id: a computed trait "${input.id}" exists; choose another id or update it`);
  return toTrait(row);
}

/** A new name keeps the version; a new definition bumps it (its values are then recomputed). */
export async function updateComputedTrait(
  globalSql: Sql,
  id: string,
  change: { name?: string; definition?: TraitDefinition },
) {
  const existing = await getComputedTrait(globalSql, id);
  if (!existing)
    throw new ComputedTraitError(404, `no computed trait ${id}: list them with GET /admin/computed-traits`);
  if (existing.builtIn)
    throw new ComputedTraitError(
      409,
      `${id} is built in: its definition comes with Meridian; define a trait of your own`,
    );
  const definitionChanged =
    change.definition !== undefined && JSON.stringify(change.definition) !== JSON.stringify(existing.definition);
  const [row] = await globalSql<TraitRow[]>`
    update computed_traits set
      name = ${change.name ?? existing.name},
      definition = ${JSON.stringify(change.definition ?? existing.definition)}::text::jsonb,
      version = version + ${definitionChanged ? 1 : 0},
      updated_at = now()
    where id = ${id} returning *`;
  return { trait: toTrait(row!), definitionChanged };
}

export async function deleteComputedTrait(globalSql: Sql, id: string): Promise<void> {
  const existing = await getComputedTrait(globalSql, id);
  if (!existing)
    throw new ComputedTraitError(404, `no computed trait ${id}: list them with GET /admin/computed-traits`);
  if (existing.builtIn) throw new ComputedTraitError(409, `${id} is built in and cannot be deleted`);
  await globalSql`delete from computed_traits where id = ${id} and not built_in`;
}

/**
 * The definitions a recompute applies, with the sources each may read. `ids` picks some; `windowedOnly`
 * the ones whose value changes with time alone (the scheduled pass). Traits the predictions workflow
 * writes are never among them.
 */
export async function loadComputedTraits(
  globalSql: Sql,
  options: { ids?: readonly string[]; windowedOnly?: boolean } = {},
): Promise<ResolvedTrait[]> {
  const all = await listComputedTraits(globalSql);
  const chosen = all.filter(
    (t) =>
      isComputedInSql(t.definition) &&
      (options.ids === undefined || options.ids.includes(t.id)) &&
      (!options.windowedOnly || isWindowed(t.definition)),
  );
  const visibility = new Map<string | null, string[] | null>();
  const resolved: ResolvedTrait[] = [];
  for (const trait of chosen) {
    if (!visibility.has(trait.brandId)) visibility.set(trait.brandId, await visibleSourceIds(globalSql, trait.brandId));
    resolved.push({
      id: trait.id,
      name: trait.name,
      brandId: trait.brandId,
      builtIn: trait.builtIn,
      version: trait.version,
      definition: trait.definition,
      visibleSourceIds: visibility.get(trait.brandId)!,
    });
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// Values (a region's database)
// ---------------------------------------------------------------------------------------------

/**
 * Recomputes `traits` for `customerIds` as of `now`: one statement per definition, whatever the
 * number of customers. Returns the customers whose value of any trait changed (written or removed).
 * This is the computed-traits reactor of the audience processor: `(sql, ids) =>
 * recomputeComputedTraits(sql, ids, definitions, new Date())`.
 */
export async function recomputeComputedTraits(
  sql: Sql,
  customerIds: readonly string[],
  traits: readonly ResolvedTrait[],
  now: Date,
): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const changed = new Set<string>();
  const ids = sql.array([...customerIds]);
  const zones = traits.some((t) => readsLocalHour(t.definition)) ? await timeZonesOf(sql) : [];
  for (const trait of traits) {
    if (!isComputedInSql(trait.definition)) continue;
    const computed = valuesQuery(sql, trait, ids, now, zones);
    const rows = await sql<{ customer_id: string }[]>`
      with computed as (${computed}),
      upserted as (
        insert into computed_trait_values (customer_id, trait_id, value, computed_at)
        select customer_id, ${trait.id}, value, ${now.toISOString()}::timestamptz from computed where value is not null
        on conflict (customer_id, trait_id) do update set value = excluded.value, computed_at = excluded.computed_at
        where computed_trait_values.value is distinct from excluded.value
        returning customer_id
      ),
      removed as (
        delete from computed_trait_values v
        where v.trait_id = ${trait.id} and v.customer_id in (select unnest(${ids}::uuid[]))
          and not exists (select 1 from computed c where c.customer_id = v.customer_id and c.value is not null)
        returning customer_id
      )
      select customer_id from upserted union select customer_id from removed`;
    for (const row of rows) changed.add(row.customer_id);
  }
  return [...changed];
}

/**
 * One page of everyone in the region (profiles not merged away, by customer ID after `after`),
 * recomputed; the people whose values changed go to the audience-change outbox, so their segments
 * follow. Returns counts and where the next page starts.
 */
export async function recomputeComputedTraitsPage(
  sql: Sql,
  traits: readonly ResolvedTrait[],
  after: string | null,
  pageSize: number,
  now: Date,
): Promise<{ customers: number; changed: number; last: string | null }> {
  const page = await sql<{ customer_id: string }[]>`
    select customer_id from profiles
    where merged_into is null and (${after}::uuid is null or customer_id > ${after}::uuid)
    order by customer_id limit ${pageSize}`;
  const ids = page.map((r) => r.customer_id);
  const changed = await recomputeComputedTraits(sql, ids, traits, now);
  if (changed.length > 0) {
    await sql`
      insert into audience_changes (customer_id, cause)
      select id, 'computed' from unnest(${sql.array(changed)}::uuid[]) as u(id)`;
  }
  return { customers: ids.length, changed: changed.length, last: ids.at(-1) ?? null };
}

/** A person's computed trait values in this region (predictions included), by trait ID. */
export async function readComputedTraitValues(
  sql: Sql,
  customerId: string,
): Promise<Record<string, { value: unknown; computedAt: string }>> {
  const rows = await sql<{ trait_id: string; value: unknown; computed_at: Date | string }[]>`
    select trait_id, value, computed_at from computed_trait_values where customer_id = ${customerId} order by trait_id`;
  return Object.fromEntries(
    rows.map((r) => [r.trait_id, { value: r.value, computedAt: new Date(r.computed_at).toISOString() }]),
  );
}

/** Removes a deleted trait's values from a region. */
export async function deleteComputedTraitValues(sql: Sql, traitId: string): Promise<number> {
  const result = await sql`delete from computed_trait_values where trait_id = ${traitId}`;
  return result.count;
}

/**
 * The reactor the audience processor registers (`audienceReactors`): recomputes every SQL-computed
 * trait for the customers it claimed. Definitions are read from the global database at most every
 * `refreshMs`, so a definition change reaches ingest within that time.
 */
export function computedTraitsReactor(
  globalSql: Sql,
  options: {
    refreshMs?: number;
    now?: () => Date;
    concurrency?: number;
    /** Order traits over the same orders in one statement (default on; off for a same-run comparison). */
    shareOrderReads?: boolean;
  } = {},
): (
  sql: Sql,
  customerIds: readonly string[],
  causes?: ReadonlyMap<string, ReadonlySet<string>>,
) => Promise<Map<string, Set<string>>> {
  const refreshMs = options.refreshMs ?? 30_000;
  let cached: { at: number; traits: Promise<ResolvedTrait[]> } | undefined;
  return async (sql, customerIds, causes) => {
    if (!cached || Date.now() - cached.at > refreshMs) {
      cached = { at: Date.now(), traits: loadComputedTraits(globalSql) };
      cached.traits.catch(() => (cached = undefined));
    }
    const traits = await cached.traits;
    const now = options.now?.() ?? new Date();
    // Each trait for the people whose change it reads (a page view does not recompute order totals);
    // who changed is answered per trait (`computed:<trait ID>`), so segments re-evaluate only on
    // the values they read.
    // Traits are independent statements: a few run at once, on the pool's connections.
    const changed = new Map<string, Set<string>>();
    const note = (id: string, traitId: string) => {
      const set = changed.get(id) ?? new Set<string>();
      set.add(computedCause(traitId));
      changed.set(id, set);
    };
    // Order traits reading the same orders (and so the same causes) share one statement.
    const groups = new Map<string, ResolvedTrait[]>();
    for (const trait of traits) {
      const key = sameOrders(trait) ?? `trait ${trait.id}`;
      groups.set(key, [...(groups.get(key) ?? []), trait]);
    }
    await eachConcurrently([...groups.values()], options.concurrency ?? 1, async (group) => {
      const first = group[0]!;
      const affected = causes ? affectedCustomers(causes, traitDependencies(first.definition)) : [...customerIds];
      if (affected.length === 0) return;
      if (group.length > 1 && options.shareOrderReads !== false)
        for (const row of await recomputeOrderTraits(sql, affected.sort(), group, now))
          note(row.customer_id, row.trait_id);
      else
        for (const trait of group)
          for (const id of await recomputeComputedTraits(sql, affected.sort(), [trait], now)) note(id, trait.id);
    });
    return changed;
  };
}

// ---------------------------------------------------------------------------------------------
// One definition as SQL: `select customer_id, value` for the given customers
// ---------------------------------------------------------------------------------------------

const readsLocalHour = (d: TraitDefinition) => 'of' in d && 'field' in d.of && d.of.field === 'localHour';

/**
 * The zone names PostgreSQL knows, read once per process: a local hour is taken only in a known zone
 * (an unknown one would fail the whole statement). Reading `pg_timezone_names` costs ~50 ms, too much
 * for every recompute; once per process, not per pool, because the audience processor calls with a
 * transaction, a new `Sql` each time. Regions' servers run the same PostgreSQL release.
 */
let knownZones: Promise<string[]> | undefined;
function timeZonesOf(sql: Sql): Promise<string[]> {
  if (!knownZones) {
    knownZones = sql<{ name: string }[]>`select name from pg_timezone_names`.then((rows) => rows.map((r) => r.name));
    knownZones.catch(() => (knownZones = undefined));
  }
  return knownZones;
}

function valuesQuery(
  sql: Sql,
  trait: ResolvedTrait,
  ids: ReturnType<Sql['array']>,
  now: Date,
  zones: readonly string[],
): Fragment {
  const d = trait.definition;
  const nowAt = now.toISOString();
  const visible = (column: Fragment): Fragment =>
    trait.visibleSourceIds === null ? sql`true` : sql`${column} = any(${sql.array(trait.visibleSourceIds)}::text[])`;
  const window = (column: Fragment, w: TraitWindow): Fragment =>
    w === 'all_time'
      ? sql`true`
      : sql`${column} > ${nowAt}::timestamptz - make_interval(days => ${w.lastDays}) and ${column} <= ${nowAt}::timestamptz`;
  // Counts are 0, not "no value", for the people asked about: "fewer than 3" includes none.
  const everyone = (aggregate: Fragment, zero: string): Fragment => sql`
    select c.customer_id, coalesce(a.value, ${zero}::text::jsonb) as value
    from unnest(${ids}::uuid[]) as c(customer_id) left join (${aggregate}) a on a.customer_id = c.customer_id`;

  switch (d.kind) {
    case 'order_count':
    case 'order_sum':
    case 'order_avg':
    case 'first_order_date':
    case 'last_order_date': {
      const aggregate = sql`
        select o.customer_id, ${orderValue(sql, d.kind)} as value from orders o
        where ${ordersOf(sql, trait, ids, now)}
        group by o.customer_id`;
      return countsZero(d.kind) ? everyone(aggregate, '0') : aggregate;
    }
    case 'home_market':
      // The country they order from most (ties: the first alphabetically), else their consent country.
      return sql`
        select c.customer_id, to_jsonb(coalesce(m.country, s.country)) as value
        from unnest(${ids}::uuid[]) as c(customer_id)
        left join (
          select o.customer_id, mode() within group (order by o.country_code) as country from orders o
          where o.customer_id in (select unnest(${ids}::uuid[])) and o.country_code is not null and o.status <> 'cancelled'
            and ${visible(sql`o.source_id`)}
          group by o.customer_id
        ) m on m.customer_id = c.customer_id
        left join consent_subjects s on s.customer_id = c.customer_id`;
    case 'channels_used':
      return sql`
        select u.customer_id, to_jsonb(array_agg(distinct u.source_id order by u.source_id)) as value from (
          select e.customer_id, e.source_id from events e
          where e.customer_id in (select unnest(${ids}::uuid[])) and ${visible(sql`e.source_id`)}
          union
          select o.customer_id, o.source_id from orders o
          where o.customer_id in (select unnest(${ids}::uuid[])) and ${visible(sql`o.source_id`)}
        ) u group by u.customer_id`;
    case 'prediction':
    case 'loyalty':
      throw new Error(
        `trait ${trait.id} is written by ${d.kind === 'loyalty' ? 'loyalty' : 'the predictions workflow'}, not computed in SQL`,
      );
    default: {
      const of = 'of' in d ? d.of : undefined;
      const needsZone = of !== undefined && 'field' in of && of.field === 'localHour';
      const json = of ? jsonValue(sql, of) : sql`null`;
      // Each event's value (`v`, jsonb) and number (`n`) once, in a subquery, so the aggregates name them.
      const value = (() => {
        switch (d.kind) {
          case 'event_count':
            return sql`to_jsonb(count(*))`;
          case 'unique_count':
            return sql`to_jsonb(count(distinct x.v))`;
          case 'aggregation':
            return {
              sum: sql`to_jsonb(sum(x.n))`,
              avg: sql`to_jsonb(trim_scale(round(avg(x.n), 6)))`,
              min: sql`to_jsonb(min(x.n))`,
              max: sql`to_jsonb(max(x.n))`,
            }[d.function];
          case 'most_frequent':
            // Ties go to the first value in jsonb order (the smallest hour, the first language alphabetically).
            return sql`mode() within group (order by x.v)`;
          case 'first_value':
            return sql`(array_agg(x.v order by x.ts, x.ra) filter (where x.v is not null))[1]`;
          case 'last_value':
            return sql`(array_agg(x.v order by x.ts desc, x.ra desc) filter (where x.v is not null))[1]`;
          case 'unique_list':
            return sql`to_jsonb((array_agg(distinct x.v order by x.v) filter (where x.v is not null))[1:${d.limit}::int])`;
        }
      })();
      const numeric = d.kind === 'aggregation' ? numericValue(sql, of!) : sql`null::numeric`;
      const aggregate = sql`
        select x.customer_id, ${value} as value from (
          select e.customer_id, ${json} as v, ${numeric} as n, e.timestamp as ts, e.received_at as ra from events e
          ${needsZone ? sql`left join unnest(${sql.array([...zones])}::text[]) as z(name) on z.name = e.timezone` : sql``}
          where e.customer_id in (select unnest(${ids}::uuid[])) and ${visible(sql`e.source_id`)}
            and ${window(sql`e.timestamp`, d.window)} and ${eventConditions(sql, d.where)}
        ) x
        group by x.customer_id`;
      return d.kind === 'event_count' || d.kind === 'unique_count' ? everyone(aggregate, '0') : aggregate;
    }
  }
}

type OrderKind = 'order_count' | 'order_sum' | 'order_avg' | 'first_order_date' | 'last_order_date';
const ORDER_KINDS: ReadonlySet<string> = new Set<OrderKind>([
  'order_count',
  'order_sum',
  'order_avg',
  'first_order_date',
  'last_order_date',
]);
/** Counts are 0, not "no value", for the people asked about. */
const countsZero = (kind: OrderKind) => kind === 'order_count' || kind === 'order_sum';

/** An order trait's value over its group of orders `o`. */
function orderValue(sql: Sql, kind: OrderKind): Fragment {
  switch (kind) {
    case 'order_count':
      return sql`to_jsonb(count(*))`;
    case 'order_sum':
      return sql`to_jsonb(coalesce(sum(o.reporting_total_minor), 0))`;
    case 'order_avg':
      return sql`to_jsonb(round(avg(o.reporting_total_minor)))`;
    case 'first_order_date':
      return sql`to_jsonb(min(o.local_date)::text)`;
    case 'last_order_date':
      return sql`to_jsonb(max(o.local_date)::text)`;
  }
}

/** The orders an order trait reads for `ids`: not cancelled, its brand's sources, window and filters. */
function ordersOf(sql: Sql, trait: ResolvedTrait, ids: ReturnType<Sql['array']>, now: Date): Fragment {
  const d = trait.definition as Extract<TraitDefinition, { kind: OrderKind }>;
  const nowAt = now.toISOString();
  return sql`o.customer_id in (select unnest(${ids}::uuid[])) and o.status <> 'cancelled'
    and ${trait.visibleSourceIds === null ? sql`true` : sql`o.source_id = any(${sql.array(trait.visibleSourceIds)}::text[])`}
    and ${
      d.window === 'all_time'
        ? sql`true`
        : sql`o.placed_at > ${nowAt}::timestamptz - make_interval(days => ${d.window.lastDays}) and o.placed_at <= ${nowAt}::timestamptz`
    }
    and ${d.where.currencies ? sql`o.currency = any(${sql.array(d.where.currencies)}::text[])` : sql`true`}
    and ${d.where.countries ? sql`o.country_code = any(${sql.array(d.where.countries)}::text[])` : sql`true`}`;
}

/** Order traits that read the same orders (brand, window, filters): one read serves them all. */
function sameOrders(trait: ResolvedTrait): string | undefined {
  const d = trait.definition;
  if (!ORDER_KINDS.has(d.kind) || !('where' in d) || !('window' in d)) return undefined;
  return JSON.stringify([trait.visibleSourceIds, d.window, d.where]);
}

/**
 * Several order traits that read the same orders (the built-ins: count, revenue, average, first
 * and last order date) recomputed for `customerIds` in one statement: the people's orders read
 * once, each trait's value as its own statement computes it. Returns who changed, per trait.
 */
async function recomputeOrderTraits(
  sql: Sql,
  customerIds: readonly string[],
  traits: readonly ResolvedTrait[],
  now: Date,
): Promise<{ customer_id: string; trait_id: string }[]> {
  const ids = sql.array([...customerIds]);
  const kinds = traits.map((t) => t.definition.kind as OrderKind);
  const values = traits.map(
    (t, i) =>
      sql`(${t.id}::text, ${countsZero(kinds[i]!) ? sql`coalesce(a.${sql(`v${i}`)}, '0'::jsonb)` : sql`a.${sql(`v${i}`)}`})`,
  );
  const columns = kinds.map((kind, i) => sql`${orderValue(sql, kind)} as ${sql(`v${i}`)}`);
  const list = (parts: Fragment[]) => parts.reduce((all, part) => sql`${all}, ${part}`);
  return sql<{ customer_id: string; trait_id: string }[]>`
    with aggregated as (
      select o.customer_id, ${list(columns)} from orders o where ${ordersOf(sql, traits[0]!, ids, now)}
      group by o.customer_id
    ),
    computed as (
      select c.customer_id, t.trait_id, t.value
      from unnest(${ids}::uuid[]) as c(customer_id) left join aggregated a on a.customer_id = c.customer_id
      cross join lateral (values ${list(values)}) as t(trait_id, value)
    ),
    upserted as (
      insert into computed_trait_values (customer_id, trait_id, value, computed_at)
      select customer_id, trait_id, value, ${now.toISOString()}::timestamptz from computed where value is not null
      on conflict (customer_id, trait_id) do update set value = excluded.value, computed_at = excluded.computed_at
      where computed_trait_values.value is distinct from excluded.value
      returning customer_id, trait_id
    ),
    removed as (
      delete from computed_trait_values v
      where v.trait_id = any(${sql.array(traits.map((t) => t.id))}::text[]) and v.customer_id in (select unnest(${ids}::uuid[]))
        and not exists (select 1 from computed c where c.customer_id = v.customer_id and c.trait_id = v.trait_id and c.value is not null)
      returning customer_id, trait_id
    )
    select customer_id, trait_id from upserted union select customer_id, trait_id from removed`;
}

const propertyAt = (sql: Sql, path: string): Fragment => sql`(e.properties #> ${sql.array(path.split('.'))}::text[])`;

/** The hour in the event's own zone; none for a zone PostgreSQL does not know (`z`: the known zones, joined). */
const localHourOf = (sql: Sql): Fragment => sql`extract(hour from e.timestamp at time zone z.name)`;

/** The value as jsonb (null when absent). Local hour uses the event's own zone; an unknown zone gives none. */
function jsonValue(sql: Sql, of: ValueSource): Fragment {
  if ('property' in of) return propertyAt(sql, of.property);
  switch (of.field) {
    case 'timestamp':
      return sql`to_jsonb(to_char(e.timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
    case 'localHour':
      return sql`to_jsonb(${localHourOf(sql)}::int)`;
    case 'locale':
      return sql`to_jsonb(e.locale)`;
    case 'timezone':
      return sql`to_jsonb(e.timezone)`;
    case 'sourceId':
      return sql`to_jsonb(e.source_id)`;
    case 'event':
      return sql`to_jsonb(e.event)`;
    case 'type':
      return sql`to_jsonb(e.type)`;
  }
}

/** The value as a number, or null when it is not one (a string "12" is not summed). */
function numericValue(sql: Sql, of: ValueSource): Fragment {
  if ('field' in of && of.field === 'localHour') return localHourOf(sql);
  const json = jsonValue(sql, of);
  return sql`(case when jsonb_typeof(${json}) = 'number' then (${json})::numeric end)`;
}

function eventConditions(sql: Sql, where: EventFilter): Fragment {
  const parts: Fragment[] = [];
  if (where.event !== undefined) parts.push(sql`e.event = ${where.event}`);
  if (where.type !== undefined) parts.push(sql`e.type = ${where.type}`);
  for (const filter of where.properties) parts.push(propertyCondition(sql, filter));
  return parts.reduce((all, part) => sql`${all} and ${part}`, sql`true`);
}

function propertyCondition(sql: Sql, filter: PropertyFilter): Fragment {
  const at = propertyAt(sql, filter.property);
  const number = sql`(case when jsonb_typeof(${at}) = 'number' then (${at})::numeric end)`;
  switch (filter.op) {
    case 'exists':
      return sql`${at} is not null`;
    case 'eq':
      return sql`${at} = ${JSON.stringify(filter.value)}::text::jsonb`;
    case 'neq':
      return sql`${at} is distinct from ${JSON.stringify(filter.value)}::text::jsonb`;
    case 'in':
      return sql`${at} in (select jsonb_array_elements(${JSON.stringify(filter.value)}::text::jsonb))`;
    case 'gt':
      return sql`${number} > ${filter.value as number}::numeric`;
    case 'gte':
      return sql`${number} >= ${filter.value as number}::numeric`;
    case 'lt':
      return sql`${number} < ${filter.value as number}::numeric`;
    case 'lte':
      return sql`${number} <= ${filter.value as number}::numeric`;
  }
}
