import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { newDataKey, open, seal, unwrapDataKey, wrapDataKey, type RegionKey } from './crypto-shredding';
import type { TrackingCall } from '../domain/tracking';
import type { SourceKind } from '../domain/sources';

/**
 * The intake log of a region (docs/design/ingestion.md): tracking requests acknowledged but not yet
 * resolved, each sealed under an intake key that is deleted once its rows are processed.
 */

/** One acknowledged request as the web process appends it. */
export interface IntakeRequest {
  sourceId: string;
  sourceKind: SourceKind;
  brandId: string;
  gpc?: string;
  calls: TrackingCall[];
}

/** A claimed row, opened. */
export interface IntakeRow extends IntakeRequest {
  id: number;
  acknowledgedAt: Date;
}

export interface IntakeKey {
  id: string;
  key: Buffer;
}

/** The AAD of a request sealed under an intake key: a row cannot be moved to another key or source. */
const sealContext = (keyId: string, sourceId: string) => `intake:${keyId}:${sourceId}`;
/** Wrapped as a data key is, bound to a name no customer ID can take. */
const wrapName = (keyId: string) => `intake:${keyId}`;

/** A new intake key, stored wrapped by the region key before any row uses it. */
export async function createIntakeKey(sql: Sql, regionKey: RegionKey): Promise<IntakeKey> {
  const id = randomUUID();
  const key = newDataKey();
  await sql`insert into intake_keys (id, key_wrapped) values (${id}, ${wrapDataKey(regionKey, key, wrapName(id))})`;
  return { id, key };
}

/** The intake key `id`, or undefined when it was deleted (its rows were all processed). */
export async function loadIntakeKey(sql: Sql, regionKey: RegionKey, id: string): Promise<Buffer | undefined> {
  const [row] = await sql<{ key_wrapped: Buffer }[]>`select key_wrapped from intake_keys where id = ${id}`;
  return row ? unwrapDataKey(regionKey, row.key_wrapped, wrapName(id)) : undefined;
}

const DATE_FIELDS = ['receivedAt', 'timestamp', 'originalTimestamp', 'sentAt'] as const;

function sealCalls(key: IntakeKey, sourceId: string, calls: TrackingCall[]): Buffer {
  return seal(key.key, JSON.stringify(calls), sealContext(key.id, sourceId));
}

function openCalls(keyId: string, key: Buffer, sourceId: string, sealed: Buffer): TrackingCall[] {
  const calls = JSON.parse(open(key, sealed, sealContext(keyId, sourceId)).toString('utf8')) as TrackingCall[];
  for (const call of calls) {
    const dated = call as unknown as Record<string, unknown>;
    for (const field of DATE_FIELDS) if (typeof dated[field] === 'string') dated[field] = new Date(dated[field]);
  }
  return calls;
}

/** Appends acknowledged requests in one statement (one commit for all of them); answers the highest row ID written. */
export async function appendIntake(sql: Sql, key: IntakeKey, requests: IntakeRequest[]): Promise<number> {
  if (requests.length === 0) return 0;
  const text = (values: (string | null)[]) => sql.array(values as string[]);
  const written = await sql<{ id: string }[]>`
    insert into intake_calls (key_id, source_id, source_kind, brand_id, gpc, call_count, calls_sealed)
    select ${key.id}::uuid, s, k, b, g, n, c from unnest(
      ${text(requests.map((r) => r.sourceId))}::text[], ${text(requests.map((r) => r.sourceKind))}::text[],
      ${text(requests.map((r) => r.brandId))}::text[], ${text(requests.map((r) => r.gpc ?? null))}::text[],
      ${text(requests.map((r) => String(r.calls.length)))}::integer[],
      ${sql.array(requests.map((r) => sealCalls(key, r.sourceId, r.calls)) as unknown as string[])}::bytea[]
    ) as u(s, k, b, g, n, c)
    returning id`;
  return Math.max(...written.map((r) => Number(r.id)));
}

/**
 * Claims the oldest unclaimed rows up to about `maxCalls` calls (at least one row), locked until
 * `tx` ends: other processors skip them. Rows are opened with their intake keys (cached in `keys`).
 */
export async function claimIntake(
  tx: TransactionSql,
  regionKey: RegionKey,
  keys: Map<string, Buffer>,
  maxRows: number,
  maxCalls: number,
): Promise<IntakeRow[]> {
  const rows = await tx<
    {
      id: string;
      key_id: string;
      source_id: string;
      source_kind: SourceKind;
      brand_id: string;
      gpc: string | null;
      call_count: number;
      calls_sealed: Buffer;
      acknowledged_at: string | Date;
    }[]
  >`
    select id, key_id, source_id, source_kind, brand_id, gpc, call_count, calls_sealed, acknowledged_at
    from intake_calls order by id limit ${maxRows} for update skip locked`;
  const claimed: IntakeRow[] = [];
  let calls = 0;
  for (const row of rows) {
    if (claimed.length > 0 && calls + row.call_count > maxCalls) break;
    calls += row.call_count;
    let key = keys.get(row.key_id);
    if (!key) {
      const [k] = await tx<{ key_wrapped: Buffer }[]>`select key_wrapped from intake_keys where id = ${row.key_id}`;
      key = unwrapDataKey(regionKey, k!.key_wrapped, wrapName(row.key_id));
      keys.set(row.key_id, key);
    }
    claimed.push({
      id: Number(row.id),
      sourceId: row.source_id,
      sourceKind: row.source_kind,
      brandId: row.brand_id,
      ...(row.gpc !== null ? { gpc: row.gpc } : {}),
      calls: openCalls(row.key_id, key, row.source_id, row.calls_sealed),
      acknowledgedAt: new Date(row.acknowledged_at),
    });
  }
  return claimed;
}

export async function deleteIntake(tx: TransactionSql, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx`delete from intake_calls where id = any(${tx.array(ids.map(String))}::bigint[])`;
}

/**
 * Deletes the intake keys older than `retiredAfterMs` (no web process seals with them any more)
 * that no row uses: what they sealed is then unreadable anywhere. Returns the IDs deleted.
 */
export async function retireIntakeKeys(sql: Sql, retiredAfterMs: number): Promise<string[]> {
  try {
    const rows = await sql<{ id: string }[]>`
      delete from intake_keys k
      where k.created_at < now() - make_interval(secs => ${retiredAfterMs / 1000})
        and not exists (select 1 from intake_calls c where c.key_id = k.id)
      returning id`;
    return rows.map((r) => r.id);
  } catch (error) {
    // A late append still referencing a key: it stays until its row is processed.
    if ((error as { code?: string }).code === '23503') return [];
    throw error;
  }
}

/** What waits in the intake: rows, calls, and the age of the oldest acknowledgement (seconds). */
export async function intakeBacklog(sql: Sql): Promise<{ requests: number; calls: number; oldestSeconds: number }> {
  const [row] = await sql<{ requests: string; calls: string | null; oldest: string | null }[]>`
    select count(*) as requests, sum(call_count) as calls,
           extract(epoch from now() - min(acknowledged_at)) as oldest
    from intake_calls`;
  return {
    requests: Number(row?.requests ?? 0),
    calls: Number(row?.calls ?? 0),
    oldestSeconds: Number(row?.oldest ?? 0),
  };
}

/** The highest intake row ID now (0 when empty): a reader waits until nothing at or below it is left. */
export async function intakeHighWater(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: string | null }[]>`select max(id) as id from intake_calls`;
  return Number(row?.id ?? 0);
}

/** Whether rows at or below `id` still wait. */
export async function intakePendingThrough(sql: Sql, id: number): Promise<boolean> {
  const [row] = await sql`select 1 from intake_calls where id <= ${id} limit 1`;
  return row !== undefined;
}
