import type { Sql, TransactionSql } from 'postgres';
import { isDeepStrictEqual } from 'node:util';
import type { CompiledRules } from '../domain/data-categories';
import type { TrackingCall } from '../domain/tracking';
import type { ReclassificationCounts } from '../domain/workflow-inputs';
import { openJson, type RegionKey, unwrapDataKey } from './crypto-shredding';
import { takeErasureFence } from './erasure-store';
import { classifyCall, queryableJson, queryableProperties } from './region-writer';

/**
 * Moving a region's stored values to a new classification (issue 11 §1): for each profile, its sealed
 * traits and event payloads are opened with the person's data key and `profile_traits` and
 * `events.properties` rewritten under the rules given, so a key that became identifying leaves
 * queryable storage and one that stopped being identifying joins it. Idempotent: a profile done twice
 * is rewritten to the same rows.
 */

const EVENTS_PER_READ = 500;

export const NO_COUNTS: ReclassificationCounts = {
  profiles: 0,
  traitsWritten: 0,
  traitsRemoved: 0,
  eventsRewritten: 0,
};

export function addCounts(a: ReclassificationCounts, b: ReclassificationCounts): ReclassificationCounts {
  return {
    profiles: a.profiles + b.profiles,
    traitsWritten: a.traitsWritten + b.traitsWritten,
    traitsRemoved: a.traitsRemoved + b.traitsRemoved,
    eventsRewritten: a.eventsRewritten + b.eventsRewritten,
  };
}

/** The next profiles after `after` in customer ID order (erased ones have nothing to reclassify). */
export async function profilesAfter(sql: Sql, after: string | undefined, limit: number): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select customer_id from profiles
    where customer_id > ${after ?? '00000000-0000-0000-0000-000000000000'}::uuid and data_key_wrapped is not null
    order by customer_id limit ${limit}`;
  return rows.map((r) => r.customer_id);
}

/** Reclassifies one profile in one transaction, behind the erasure fence. */
export async function reclassifyProfile(
  sql: Sql,
  regionKey: RegionKey,
  rules: CompiledRules,
  customerId: string,
): Promise<ReclassificationCounts> {
  return sql.begin(async (tx) => {
    // An erasure of this profile either finished (no key below) or waits for this transaction.
    await takeErasureFence(tx, [customerId], 'shared');
    const keys = new KeyRing(tx, regionKey);
    if (!(await keys.has(customerId))) return NO_COUNTS;
    const flows = new Set<string>();
    const traits = await rewriteTraits(tx, keys, rules, customerId, flows);
    const eventsRewritten = await rewriteEvents(tx, keys, rules, customerId, flows);
    await recordFlows(tx, flows);
    // The audience layer recomputes what depends on these values.
    if (traits.written + traits.removed + eventsRewritten > 0)
      await tx`insert into audience_changes (customer_id, cause) values (${customerId}, 'reclassification')`;
    return { profiles: 1, traitsWritten: traits.written, traitsRemoved: traits.removed, eventsRewritten };
  });
}

/** Data keys of the profiles values were sealed with (a merged profile's events keep their first key). */
class KeyRing {
  private readonly keys = new Map<string, Buffer | null>();
  constructor(
    private readonly tx: TransactionSql,
    private readonly regionKey: RegionKey,
  ) {}

  async has(customerId: string): Promise<boolean> {
    return (await this.get(customerId)) !== null;
  }

  async get(customerId: string): Promise<Buffer | null> {
    if (!this.keys.has(customerId)) {
      const [row] = await this.tx<{ data_key_wrapped: Buffer | null }[]>`
        select data_key_wrapped from profiles where customer_id = ${customerId}`;
      this.keys.set(
        customerId,
        row?.data_key_wrapped ? unwrapDataKey(this.regionKey, row.data_key_wrapped, customerId) : null,
      );
    }
    return this.keys.get(customerId)!;
  }
}

const flowKey = (sourceId: string, scope: string, category: string) => `${sourceId}\u0000${scope}\u0000${category}`;

async function rewriteTraits(
  tx: TransactionSql,
  keys: KeyRing,
  rules: CompiledRules,
  customerId: string,
  flows: Set<string>,
): Promise<{ written: number; removed: number }> {
  // Locked, so an ingest commit updating one of them waits and then wins with its newer value.
  const sealed = await tx<
    { name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date; source_id: string }[]
  >`select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = ${customerId} for update`;
  const traits: Record<string, unknown> = {};
  const origin = new Map<string, { observedAt: string; sourceId: string }>();
  for (const t of sealed) {
    const key = await keys.get(t.sealed_with);
    if (!key) continue;
    traits[t.name] = openJson(key, t.value_sealed, `trait:${t.sealed_with}:${t.name}`);
    origin.set(t.name, { observedAt: new Date(t.observed_at).toISOString(), sourceId: t.source_id });
  }
  const wanted = new Map<string, { value: string; category: string; observedAt: string; sourceId: string }>();
  for (const leaf of classifyCall(asCall('identify', traits, {}, {}), rules).traits) {
    const o = origin.get(leaf.segments[0]!)!;
    flows.add(flowKey(o.sourceId, 'traits', leaf.category));
    const value = queryableJson(leaf);
    if (value !== undefined) wanted.set(leaf.path, { value, category: leaf.category, ...o });
  }
  // jsonb as text, parsed here: what a pool's type parsers make of jsonb does not matter then.
  const stored = await tx<{ key: string; value: string; category: string }[]>`
    select key, value::text as value, category from profile_traits where customer_id = ${customerId} for update`;
  const gone = stored.filter((row) => !wanted.has(row.key)).map((row) => row.key);
  const same = new Set(
    stored
      .filter((row) => {
        const w = wanted.get(row.key);
        return w && w.category === row.category && isDeepStrictEqual(JSON.parse(w.value), JSON.parse(row.value));
      })
      .map((row) => row.key),
  );
  const changed = [...wanted.entries()].filter(([key]) => !same.has(key));
  if (gone.length > 0)
    await tx`delete from profile_traits where customer_id = ${customerId} and key = any(${tx.array(gone)}::text[])`;
  if (changed.length > 0) {
    // observed_at is the sealed trait's: an ingest commit with a newer value still wins afterwards.
    await tx`
      insert into profile_traits (customer_id, key, value, category, source_id, observed_at)
      select ${customerId}, k, v::jsonb, c, s, o from unnest(
        ${tx.array(changed.map(([key]) => key))}::text[], ${tx.array(changed.map(([, w]) => w.value))}::text[],
        ${tx.array(changed.map(([, w]) => w.category))}::text[], ${tx.array(changed.map(([, w]) => w.sourceId))}::text[],
        ${tx.array(changed.map(([, w]) => w.observedAt))}::timestamptz[]) as u(k, v, c, s, o)
      on conflict (customer_id, key) do update set value = excluded.value, category = excluded.category,
        source_id = excluded.source_id, observed_at = excluded.observed_at
      where profile_traits.observed_at <= excluded.observed_at`;
  }
  return { written: changed.length, removed: gone.length };
}

async function rewriteEvents(
  tx: TransactionSql,
  keys: KeyRing,
  rules: CompiledRules,
  customerId: string,
  flows: Set<string>,
): Promise<number> {
  let rewritten = 0;
  let after: { timestamp: string; id: string } | undefined;
  for (;;) {
    const rows = await tx<
      {
        id: string;
        received_at: Date;
        timestamp: Date;
        source_id: string;
        sealed_with: string;
        type: TrackingCall['type'];
        payload_sealed: Buffer;
        properties: string | null;
      }[]
    >`
      select id, received_at, timestamp, source_id, sealed_with, type, payload_sealed, properties::text as properties from events
      where customer_id = ${customerId}
        and (${after?.timestamp ?? null}::timestamptz is null
             or (timestamp, id) > (${after?.timestamp ?? null}::timestamptz, ${after?.id ?? null}::uuid))
      order by timestamp, id limit ${EVENTS_PER_READ}`;
    if (rows.length === 0) return rewritten;
    const updates: { id: string; receivedAt: string; properties: string | null }[] = [];
    for (const row of rows) {
      const key = await keys.get(row.sealed_with);
      if (!key) continue;
      const payload = openJson<{ properties?: unknown; traits?: unknown; context?: unknown }>(
        key,
        row.payload_sealed,
        `event:${row.sealed_with}:${row.id}`,
      );
      const call = asCall(row.type, record(payload.traits), record(payload.properties), record(payload.context));
      const classified = classifyCall(call, rules);
      for (const leaf of classified.traits) flows.add(flowKey(row.source_id, 'traits', leaf.category));
      for (const leaf of classified.properties) flows.add(flowKey(row.source_id, 'properties', leaf.category));
      const properties = queryableProperties(call, classified);
      const now = properties === null ? null : JSON.parse(properties);
      if (!isDeepStrictEqual(now, row.properties === null ? null : JSON.parse(row.properties)))
        updates.push({ id: row.id, receivedAt: new Date(row.received_at).toISOString(), properties });
    }
    if (updates.length > 0) {
      await tx`
        update events e set properties = u.p::jsonb
        from unnest(${tx.array(updates.map((u) => u.id))}::uuid[], ${tx.array(updates.map((u) => u.receivedAt))}::timestamptz[],
                    ${tx.array(updates.map((u) => u.properties) as string[])}::text[]) as u(id, ra, p)
        where e.id = u.id and e.received_at = u.ra`;
      rewritten += updates.length;
    }
    const last = rows[rows.length - 1]!;
    after = { timestamp: new Date(last.timestamp).toISOString(), id: last.id };
    if (rows.length < EVENTS_PER_READ) return rewritten;
  }
}

async function recordFlows(tx: TransactionSql, flows: Set<string>): Promise<void> {
  if (flows.size === 0) return;
  const parts = [...flows].sort().map((f) => f.split('\u0000'));
  await tx`
    insert into data_flows (source_id, scope, category)
    select * from unnest(${tx.array(parts.map((f) => f[0]!))}::text[], ${tx.array(parts.map((f) => f[1]!))}::text[],
                         ${tx.array(parts.map((f) => f[2]!))}::text[])
    on conflict (source_id, scope, category) do nothing`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The parts of a stored call classification looks at. */
function asCall(
  type: TrackingCall['type'],
  traits: Record<string, unknown>,
  properties: Record<string, unknown>,
  context: Record<string, unknown>,
): TrackingCall {
  const epoch = new Date(0);
  return {
    type,
    messageId: '',
    properties,
    traits,
    context,
    integrations: {},
    receivedAt: epoch,
    timestamp: epoch,
    warnings: [],
  } as TrackingCall;
}
