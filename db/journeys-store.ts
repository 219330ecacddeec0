import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { Purpose } from '../domain/consent';
import { type JourneyGraph, journeyGraphSchema, mayEnter, runIdOf } from '../domain/journeys';
import { isTimeZone } from '../domain/local-time';
import { MARKET_ZONES } from '../domain/quiet-hours';
import { effectiveConsentSql } from './consent-store';

/**
 * Journeys in PostgreSQL (issue 12, docs/design/activation.md "Journeys"). Definitions and their
 * versions live in the GLOBAL database (configuration, no personal data). Run bookkeeping — who is
 * in which journey, re-entry, step outcomes and goal counts — lives in each REGIONAL database, with
 * the people it is about. `journey_event_outbox` is the ingest side: the region writer puts one row
 * per tracked event in the event's own transaction; the journey trigger claims and deletes them.
 */

const iso = (at: Date | string) => new Date(at).toISOString();
/** One advisory lock class for "a person entering a journey", so two triggers cannot both start a run. */
const LOCK_JOURNEY_ENTRY = 1_201;

// ---------------------------------------------------------------------------------------------
// Definitions (global database)
// ---------------------------------------------------------------------------------------------

export interface Journey {
  id: string;
  name: string;
  owner: string;
  brandId: string;
  status: 'active' | 'paused';
  version: number;
  graph: JourneyGraph;
  createdAt: string;
  updatedAt: string;
}

interface JourneyRow {
  id: string;
  name: string;
  owner: string;
  brand_id: string;
  status: 'active' | 'paused';
  version: number;
  graph: unknown;
  created_at: Date;
  updated_at: Date;
}

const toJourney = (r: JourneyRow): Journey => ({
  id: r.id,
  name: r.name,
  owner: r.owner,
  brandId: r.brand_id,
  status: r.status,
  version: r.version,
  // Stored graphs were validated at publish; parsing again fills defaults of versions stored before a default existed.
  graph: journeyGraphSchema.parse(r.graph),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function createJourney(
  globalSql: Sql,
  input: { id: string; name: string; owner: string; brandId: string; graph: JourneyGraph; publishedBy: string },
): Promise<Journey> {
  return globalSql.begin(async (tx) => {
    await tx`insert into journeys (id, name, owner, brand_id, version) values
      (${input.id}, ${input.name}, ${input.owner}, ${input.brandId}, 1)`;
    await tx`insert into journey_versions (journey_id, version, graph, runs_move, published_by)
      values (${input.id}, 1, ${JSON.stringify(input.graph)}::jsonb, false, ${input.publishedBy})`;
    return (await getJourneyIn(tx, input.id))!;
  });
}

async function getJourneyIn(sql: Sql | TransactionSql, id: string): Promise<Journey | undefined> {
  const [row] = await sql<JourneyRow[]>`
    select j.id, j.name, j.owner, j.brand_id, j.status, j.version, v.graph, j.created_at, j.updated_at
    from journeys j join journey_versions v on v.journey_id = j.id and v.version = j.version
    where j.id = ${id}`;
  return row ? toJourney(row) : undefined;
}

export function getJourney(globalSql: Sql, id: string): Promise<Journey | undefined> {
  return getJourneyIn(globalSql, id);
}

/**
 * Publishes a new version; new runs take it. `runsMove`: runs in flight on earlier versions move to
 * it at their next step (true) or finish on their own version (false).
 */
export async function publishJourneyVersion(
  globalSql: Sql,
  id: string,
  change: { graph: JourneyGraph; runsMove: boolean; publishedBy: string; name?: string },
): Promise<Journey | undefined> {
  return globalSql.begin(async (tx) => {
    const [row] = await tx<{ version: number }[]>`
      update journeys set version = version + 1, updated_at = now(), name = coalesce(${change.name ?? null}, name)
      where id = ${id} returning version`;
    if (!row) return undefined;
    await tx`insert into journey_versions (journey_id, version, graph, runs_move, published_by)
      values (${id}, ${row.version}, ${JSON.stringify(change.graph)}::jsonb, ${change.runsMove}, ${change.publishedBy})`;
    return getJourneyIn(tx, id);
  });
}

export async function setJourneyStatus(
  globalSql: Sql,
  id: string,
  status: 'active' | 'paused',
): Promise<Journey | undefined> {
  const rows =
    await globalSql`update journeys set status = ${status}, updated_at = now() where id = ${id} returning id`;
  return rows.length > 0 ? getJourneyIn(globalSql, id) : undefined;
}

export async function journeyVersionGraph(
  globalSql: Sql,
  id: string,
  version: number,
): Promise<JourneyGraph | undefined> {
  const [row] = await globalSql<{ graph: unknown }[]>`
    select graph from journey_versions where journey_id = ${id} and version = ${version}`;
  return row ? journeyGraphSchema.parse(row.graph) : undefined;
}

/**
 * What a run checks before each step: whether the journey is paused, and the version to move to when
 * a later version was published with "runs move" (the latest such one), else none.
 */
export async function journeyRunState(
  globalSql: Sql,
  id: string,
  runVersion: number,
): Promise<{ status: 'active' | 'paused' | 'gone'; moveTo: number | null }> {
  const [row] = await globalSql<{ status: 'active' | 'paused'; move_to: number | null }[]>`
    select j.status,
      (select max(v.version) from journey_versions v
        where v.journey_id = j.id and v.runs_move and v.version > ${runVersion}) as move_to
    from journeys j where j.id = ${id}`;
  if (!row) return { status: 'gone', moveTo: null };
  return { status: row.status, moveTo: row.move_to };
}

/** The journeys that run in a region (its own and the group's), at their current versions. */
export async function journeysOfRegion(globalSql: Sql, region: string): Promise<Journey[]> {
  const rows = await globalSql<JourneyRow[]>`
    select j.id, j.name, j.owner, j.brand_id, j.status, j.version, v.graph, j.created_at, j.updated_at
    from journeys j join journey_versions v on v.journey_id = j.id and v.version = j.version
    where j.owner = 'group' or j.owner = ${region} order by j.id`;
  return rows.map(toJourney);
}

export async function listJourneys(globalSql: Sql): Promise<Journey[]> {
  const rows = await globalSql<JourneyRow[]>`
    select j.id, j.name, j.owner, j.brand_id, j.status, j.version, v.graph, j.created_at, j.updated_at
    from journeys j join journey_versions v on v.journey_id = j.id and v.version = j.version order by j.id`;
  return rows.map(toJourney);
}

// ---------------------------------------------------------------------------------------------
// Runs (regional database)
// ---------------------------------------------------------------------------------------------

/** A run's key as stored and carried: a hash, so a cart or order ID never sits in a workflow ID or history. */
export function runKeyHash(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  return createHash('sha256')
    .update(`journey-key:${String(value)}`)
    .digest('hex')
    .slice(0, 24);
}

export interface RunEntry {
  runId: string;
  entry: number;
}

/**
 * Records a new run if the journey's re-entry rule lets the person (with this key) in now, in the
 * caller's transaction; the caller starts the workflow before it commits, so the row and the start
 * stand or fall together (a retried start finds the same run ID: Temporal refuses a second start).
 */
export async function enterJourneyRun(
  tx: TransactionSql,
  input: {
    journeyId: string;
    customerId: string;
    keyHash: string;
    version: number;
    reEntry: JourneyGraph['reEntry'];
    now: Date;
  },
): Promise<RunEntry | undefined> {
  await tx`select pg_advisory_xact_lock(${LOCK_JOURNEY_ENTRY}::int,
    hashtext(${`${input.journeyId}:${input.customerId}:${input.keyHash}`}))`;
  const [last] = await tx<{ entry: number; entered_at: Date | string; exited_at: Date | string | null }[]>`
    select entry, entered_at, exited_at from journey_runs
    where journey_id = ${input.journeyId} and customer_id = ${input.customerId} and key_hash = ${input.keyHash}
    order by entry desc limit 1`;
  // Pools pass timestamps through as text (db/connections.ts): read them as instants here.
  const previous = last
    ? { enteredAt: new Date(last.entered_at), exitedAt: last.exited_at === null ? null : new Date(last.exited_at) }
    : undefined;
  if (!mayEnter(input.reEntry, previous, input.now)) return undefined;
  const entry = (last?.entry ?? 0) + 1;
  const runId = runIdOf(input.journeyId, input.customerId, input.keyHash || null, entry);
  await tx`insert into journey_runs (run_id, journey_id, customer_id, key_hash, entry, version)
    values (${runId}, ${input.journeyId}, ${input.customerId}, ${input.keyHash}, ${entry}, ${input.version})`;
  return { runId, entry };
}

export type RunStatus = 'exited' | 'converted' | 'merged';

/** The run ended: exited (with why), converted (its goal happened) or merged (the profile merged away). */
export async function finishJourneyRun(sql: Sql, runId: string, status: RunStatus, reason: string): Promise<void> {
  await sql`update journey_runs set status = ${status}, exit_reason = ${reason.slice(0, 100)},
    exited_at = coalesce(exited_at, now()) where run_id = ${runId} and status = 'active'`;
}

/** The run now walks another version (it moved at publish). */
export async function setJourneyRunVersion(sql: Sql, runId: string, version: number): Promise<void> {
  await sql`update journey_runs set version = ${version} where run_id = ${runId}`;
}

/** What one step came to, recorded once per step (a retried activity records nothing twice). */
export async function recordJourneyStep(
  sql: Sql,
  input: { runId: string; step: string; journeyId: string; outcome: string; reason?: string | null },
): Promise<void> {
  await sql`insert into journey_step_outcomes (run_id, step, journey_id, outcome, reason)
    values (${input.runId}, ${input.step}, ${input.journeyId}, ${input.outcome}, ${input.reason ?? null})
    on conflict (run_id, step) do nothing`;
}

export interface ActiveRun {
  runId: string;
  journeyId: string;
  customerId: string;
  keyHash: string;
  version: number;
}

export async function activeRunsOf(sql: Sql | TransactionSql, customerIds: readonly string[]): Promise<ActiveRun[]> {
  if (customerIds.length === 0) return [];
  const rows = await sql<
    { run_id: string; journey_id: string; customer_id: string; key_hash: string; version: number }[]
  >`select run_id, journey_id, customer_id, key_hash, version from journey_runs
    where customer_id = any(${sql.array([...customerIds])}::uuid[]) and status = 'active' order by run_id`;
  return rows.map((r) => ({
    runId: r.run_id,
    journeyId: r.journey_id,
    customerId: r.customer_id,
    keyHash: r.key_hash,
    version: r.version,
  }));
}

export async function getJourneyRun(
  sql: Sql,
  runId: string,
): Promise<(ActiveRun & { status: string; exitReason: string | null }) | undefined> {
  const [r] = await sql<
    {
      run_id: string;
      journey_id: string;
      customer_id: string;
      key_hash: string;
      version: number;
      status: string;
      exit_reason: string | null;
    }[]
  >`select run_id, journey_id, customer_id, key_hash, version, status, exit_reason from journey_runs where run_id = ${runId}`;
  if (!r) return undefined;
  return {
    runId: r.run_id,
    journeyId: r.journey_id,
    customerId: r.customer_id,
    keyHash: r.key_hash,
    version: r.version,
    status: r.status,
    exitReason: r.exit_reason,
  };
}

export interface JourneyStats {
  entered: number;
  active: number;
  exited: number;
  converted: number;
  merged: number;
  byVersion: Record<string, number>;
  steps: Record<string, number>;
  /** Per node: runs that reached it, how many of those converted, and its outcomes. */
  nodes: Record<string, NodeStats>;
}

/** Stats with nothing counted yet (a journey's, or a sum over regions to add into). */
export function emptyJourneyStats(): JourneyStats {
  return {
    entered: 0,
    active: 0,
    exited: 0,
    converted: 0,
    merged: 0,
    byVersion: {},
    steps: {},
    nodes: {},
  };
}

export interface NodeStats {
  reached: number;
  converted: number;
  outcomes: Record<string, number>;
}

/** Counts only: runs by status and version, step outcomes ("sent", "blocked:consent-not-granted" …). */
export async function journeyStats(sql: Sql, journeyId: string): Promise<JourneyStats> {
  const runs = await sql<{ status: string; version: number; n: number }[]>`
    select status, version, count(*)::int as n from journey_runs where journey_id = ${journeyId} group by status, version`;
  const steps = await sql<{ outcome: string; n: number }[]>`
    select outcome || coalesce(':' || reason, '') as outcome, count(*)::int as n
    from journey_step_outcomes where journey_id = ${journeyId} group by 1`;
  const byNode = await sql<{ step: string; outcome: string; n: number; converted: number }[]>`
    select o.step, o.outcome || coalesce(':' || o.reason, '') as outcome, count(*)::int as n,
           count(*) filter (where r.status = 'converted')::int as converted
    from journey_step_outcomes o join journey_runs r on r.run_id = o.run_id
    where o.journey_id = ${journeyId} group by 1, 2`;
  const stats = emptyJourneyStats();
  for (const r of runs) {
    stats.entered += r.n;
    if (r.status === 'active' || r.status === 'exited' || r.status === 'converted' || r.status === 'merged')
      stats[r.status] += r.n;
    stats.byVersion[String(r.version)] = (stats.byVersion[String(r.version)] ?? 0) + r.n;
  }
  for (const s of steps) stats.steps[s.outcome] = s.n;
  for (const r of byNode) {
    const node = (stats.nodes[r.step] ??= { reached: 0, converted: 0, outcomes: {} });
    node.reached += r.n;
    node.converted += r.converted;
    node.outcomes[r.outcome] = r.n;
  }
  return stats;
}

/** Adds one region's per-node counts into a total. */
export function addNodeStats(into: Record<string, NodeStats>, from: Record<string, NodeStats>): void {
  for (const [step, node] of Object.entries(from)) {
    const total = (into[step] ??= { reached: 0, converted: 0, outcomes: {} });
    total.reached += node.reached;
    total.converted += node.converted;
    for (const [outcome, n] of Object.entries(node.outcomes))
      total.outcomes[outcome] = (total.outcomes[outcome] ?? 0) + n;
  }
}

// ---------------------------------------------------------------------------------------------
// What a run reads about its person (activities, by customer ID)
// ---------------------------------------------------------------------------------------------

/** The person's zone, as the send gate takes it: their latest event's zone, else their market's, else UTC. */
export async function personZone(sql: Sql, customerId: string): Promise<string> {
  const [latest] = await sql<{ timezone: string }[]>`
    select timezone from events where customer_id = ${customerId} and timezone is not null
    order by timestamp desc limit 1`;
  if (latest && isTimeZone(latest.timezone)) return latest.timezone;
  const [subject] = await sql<
    { country: string }[]
  >`select country from consent_subjects where customer_id = ${customerId}`;
  return (subject && MARKET_ZONES[subject.country]) ?? 'UTC';
}

/** A non-identifying trait's value (profile_traits): identifying traits stay sealed and cannot steer a journey. */
/**
 * A journey's `updateTrait`: the queryable trait set now (newest wins, as ingestion's rule), with an
 * audience change in the same transaction so segments see it. The caller checked the category.
 */
export async function setJourneyTrait(
  sql: Sql,
  input: {
    customerId: string;
    trait: string;
    value: string | number | boolean | null;
    category: string;
    sourceId: string;
  },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into profile_traits (customer_id, key, value, category, source_id, observed_at)
      values (${input.customerId}, ${input.trait}, ${JSON.stringify(input.value)}::text::jsonb, ${input.category},
              ${input.sourceId}, now())
      on conflict (customer_id, key) do update set
        value = excluded.value, category = excluded.category, source_id = excluded.source_id, observed_at = excluded.observed_at
      where profile_traits.observed_at <= excluded.observed_at`;
    await tx`insert into audience_changes (customer_id, cause) values (${input.customerId}, 'trait')`;
  });
}

export async function queryableTrait(sql: Sql, customerId: string, key: string): Promise<unknown> {
  const [row] = await sql<{ value: unknown }[]>`
    select value from profile_traits where customer_id = ${customerId} and key = ${key}`;
  return row?.value;
}

export async function isSegmentMember(sql: Sql, customerId: string, segmentId: string): Promise<boolean> {
  const [row] = await sql`select 1 from segment_membership
    where segment_id = ${segmentId} and customer_id = ${customerId} and exited_at is null`;
  return row !== undefined;
}

export async function consentGranted(
  sql: Sql,
  customerId: string,
  purpose: Purpose,
  consentBrand: string | null,
): Promise<boolean> {
  const [row] = await sql<{ state: string }[]>`
    select c.state from ${effectiveConsentSql(sql, { purpose, consentBrand })} c where c.customer_id = ${customerId}`;
  return row?.state === 'granted';
}

/**
 * The customer IDs a run's person goes by: the run's own and, along `profiles.merged_into`, every
 * profile it merged into (the survivor today). A merge moves the events to the survivor before the
 * trigger has reconciled and signalled the run, so a run whose customer ID is not yet the survivor's
 * still reads its person's events. `union` stops at a cycle.
 */
const personIds = (sql: Sql, customerId: string) => sql`(
  with recursive chain(customer_id) as (
    select ${customerId}::uuid
    union
    select p.merged_into from profiles p join chain c on p.customer_id = c.customer_id where p.merged_into is not null
  ) select customer_id from chain)`;

/** An event's name and the hash of one of its (non-identifying) properties: what a waiting run needs. */
export async function journeyEventFacts(
  sql: Sql,
  customerId: string,
  eventId: string,
  keyProperty: string | null,
): Promise<{ event: string; keyHash: string } | undefined> {
  const [row] = await sql<{ event: string | null; key: unknown }[]>`
    select event, ${keyProperty ? sql`properties -> ${keyProperty}` : sql`null`} as key
    from events where id = ${eventId} and customer_id in ${personIds(sql, customerId)} limit 1`;
  if (!row || row.event === null) return undefined;
  return { event: row.event, keyHash: runKeyHash(row.key) };
}

/** An event a run may be waiting for: its name, and whether its key property must equal the run's key. */
export interface WantedEvent {
  event: string;
  sameKey: boolean;
}

/**
 * Events of the run's person (its customer ID and the profiles it merged into) that the region
 * ingested since the run entered and up to `until`, named in `wanted` and, where `sameKey`, with the
 * run's key: what the run would have heard by signal had the journey trigger not been behind.
 * Newest first, at most `limit` of those that match; IDs only.
 *
 * Which time counts is the event's `received_at`, the instant Meridian's API received it, never its
 * `timestamp`: that one is the sender's claim (a device's wrong clock, an import of last year's
 * orders sent now) and would let an order sent after the deadline with an old timestamp count, or an
 * order received in time from a clock running fast not count. `received_at` is also what orders
 * ingestion, and so what the trigger's signals follow. The window starts at the entry event's
 * receipt (inclusive: a batch gives its events one instant; the entry event itself the run already
 * knows), else at the run's entry, since a run the trigger started late has missed its events from
 * then on, not only those after its wait began. `until` is the run's deadline in workflow time and is
 * compared with the web host's clock: hosts keep NTP time, so the skew is far below any wait's length.
 */
export async function journeyEventsSince(
  sql: Sql,
  input: {
    runId: string;
    customerId: string;
    entryEventId: string | null;
    keyProperty: string | null;
    keyHash: string;
    wanted: readonly WantedEvent[];
    until: string | null;
  },
  limit = 200,
): Promise<string[]> {
  if (input.wanted.length === 0) return [];
  const rows = await sql<{ id: string; event: string; key: unknown }[]>`
    select e.id, e.event, ${input.keyProperty ? sql`e.properties -> ${input.keyProperty}` : sql`null`} as key
    from events e
    where e.customer_id in ${personIds(sql, input.customerId)}
      and e.event = any(${sql.array(input.wanted.map((w) => w.event))}::text[])
      and e.received_at >= coalesce(
        (select min(x.received_at) from events x where x.id = ${input.entryEventId}::uuid),
        (select r.entered_at from journey_runs r where r.run_id = ${input.runId}))
      and (${input.until}::timestamptz is null or e.received_at <= ${input.until}::timestamptz)
    order by e.received_at desc, e.id`;
  // The key is compared by its hash here, so the limit applies after it: a limit in the query could
  // fill up with the person's events for other keys (other carts) and leave out the one that matches.
  const keyed = input.keyHash !== '';
  return rows
    .filter((r) =>
      input.wanted.some((w) => w.event === r.event && (!w.sameKey || !keyed || runKeyHash(r.key) === input.keyHash)),
    )
    .slice(0, limit)
    .map((r) => r.id);
}

/**
 * Whether the person (or a profile they merged into) was in the segment at some instant in
 * [from, until]: a run that found them outside at `from` then missed the trigger's late "entered"
 * signal. Membership instants are the audience processor's, compared with workflow time (NTP clocks).
 */
export async function segmentMemberWithin(
  sql: Sql,
  input: { customerId: string; segmentId: string; from: string; until: string },
): Promise<boolean> {
  const [row] = await sql`select 1 from segment_membership
    where segment_id = ${input.segmentId} and customer_id in ${personIds(sql, input.customerId)}
      and entered_at <= ${input.until}::timestamptz
      and (exited_at is null or exited_at >= ${input.from}::timestamptz)
    limit 1`;
  return row !== undefined;
}

// ---------------------------------------------------------------------------------------------
// The ingest outbox
// ---------------------------------------------------------------------------------------------

/** Called by the region writer in the events' transaction: one outbox row per tracked event (IDs and names only). */
export async function recordJourneyEvents(
  tx: TransactionSql,
  events: readonly { eventId: string; receivedAt: Date; customerId: string; event: string }[],
): Promise<void> {
  if (events.length === 0) return;
  await tx`
    insert into journey_event_outbox (event_id, received_at, customer_id, event)
    select * from unnest(${tx.array(events.map((e) => e.eventId))}::uuid[],
      ${tx.array(events.map((e) => e.receivedAt.toISOString()))}::timestamptz[],
      ${tx.array(events.map((e) => e.customerId))}::uuid[], ${tx.array(events.map((e) => e.event))}::text[])`;
}

export interface JourneyEventRow {
  id: number;
  eventId: string;
  customerId: string;
  event: string;
  /** The event's non-identifying properties (never logged, never put in a workflow): for run keys. */
  properties: Record<string, unknown>;
}

/**
 * Claims up to `limit` outbox rows (`for update skip locked`: several workers share them), hands them
 * to `handle` in order, and deletes them in the same transaction: a pass that throws leaves them for
 * the next. `handle` gets the transaction, so runs it records commit with the deletion.
 */
export async function claimJourneyEvents(
  sql: Sql,
  handle: (rows: JourneyEventRow[], tx: TransactionSql) => Promise<void>,
  limit = 200,
): Promise<number> {
  return sql.begin(async (tx) => {
    const rows = await tx<
      { id: string; event_id: string; customer_id: string; event: string; properties: Record<string, unknown> | null }[]
    >`
      select o.id, o.event_id, o.customer_id, o.event, e.properties
      from (select * from journey_event_outbox order by id limit ${limit} for update skip locked) o
      left join events e on e.id = o.event_id and e.received_at = o.received_at
      order by o.id`;
    if (rows.length === 0) return 0;
    await handle(
      rows.map((r) => ({
        id: Number(r.id),
        eventId: r.event_id,
        customerId: r.customer_id,
        event: r.event,
        properties: r.properties ?? {},
      })),
      tx,
    );
    await tx`delete from journey_event_outbox where id = any(${tx.array(rows.map((r) => r.id))}::bigint[])`;
    return rows.length;
  });
}

export interface MergedRun {
  runId: string;
  intoCustomerId: string;
  survivorHasRun: boolean;
}

/**
 * Active runs of profiles that merged into another (`profiles.merged_into`), reconciled in the
 * caller's transaction: a run the survivor also has (same journey and key, active) ends as
 * `merged`; any other run now belongs to the survivor. The caller signals each run before commit.
 */
export async function reconcileMergedRuns(tx: TransactionSql, limit = 100): Promise<MergedRun[]> {
  const rows = await tx<
    { run_id: string; journey_id: string; key_hash: string; into: string; survivor_has_run: boolean }[]
  >`
    select r.run_id, r.journey_id, r.key_hash, p.merged_into as into,
      exists (select 1 from journey_runs s where s.customer_id = p.merged_into and s.journey_id = r.journey_id
              and s.key_hash = r.key_hash and s.status = 'active') as survivor_has_run
    from journey_runs r join profiles p on p.customer_id = r.customer_id
    where r.status = 'active' and p.merged_into is not null
    order by r.run_id limit ${limit} for update of r skip locked`;
  for (const r of rows) {
    if (r.survivor_has_run)
      await tx`update journey_runs set status = 'merged', exit_reason = 'survivor-has-run', exited_at = now()
        where run_id = ${r.run_id}`;
    else
      await tx`update journey_runs set customer_id = ${r.into},
        entry = (select coalesce(max(entry), 0) + 1 from journey_runs
                 where journey_id = ${r.journey_id} and customer_id = ${r.into} and key_hash = ${r.key_hash})
        where run_id = ${r.run_id}`;
  }
  return rows.map((r) => ({ runId: r.run_id, intoCustomerId: r.into, survivorHasRun: r.survivor_has_run }));
}
