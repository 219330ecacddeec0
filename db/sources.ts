import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { SourceKind } from '../domain/sources';
import type { GlobalDb } from './connections';
import { sources } from './schema/global';

/**
 * Sources and their write keys. A source is pinned to one region: everything sent with its
 * key is stored only in that region's database (DESIGN.md, rule 1).
 */

export const KEY_ROTATION_GRACE_HOURS = 24;

export interface Source {
  id: string;
  name: string;
  region: string;
  kind: SourceKind;
  /** Origins whose pages may call the tracking API with this source's key (CORS); empty: none. */
  allowedOrigins: string[];
  writeKeyHint: string;
  createdAt: Date;
  rotatedAt: Date | null;
}

function hashKey(writeKey: string): Buffer {
  return createHash('sha256').update(writeKey).digest();
}

function newWriteKey(): string {
  return `wk_${randomBytes(24).toString('base64url')}`;
}

function toSource(row: typeof sources.$inferSelect): Source {
  return {
    id: row.id,
    name: row.name,
    region: row.region,
    kind: row.kind,
    allowedOrigins: row.allowedOrigins,
    writeKeyHint: row.writeKeyHint,
    createdAt: row.createdAt,
    rotatedAt: row.rotatedAt,
  };
}

/** Creates a source; the write key is returned once and stored only hashed. */
export async function createSource(
  db: GlobalDb,
  input: { name: string; region: string; kind: SourceKind; allowedOrigins?: string[] },
): Promise<{ source: Source; writeKey: string }> {
  const writeKey = newWriteKey();
  const [row] = await db
    .insert(sources)
    .values({
      id: `src_${randomBytes(8).toString('hex')}`,
      name: input.name,
      region: input.region,
      kind: input.kind,
      allowedOrigins: input.allowedOrigins ?? [],
      writeKeyHash: hashKey(writeKey),
      writeKeyHint: writeKey.slice(-4),
    })
    .returning();
  return { source: toSource(row!), writeKey };
}

/** Every source, or those of the given regions. */
export async function listSources(db: GlobalDb, regions?: readonly string[]): Promise<Source[]> {
  const query = db.select().from(sources);
  const rows = regions ? await query.where(inArray(sources.region, [...regions])).orderBy(asc(sources.createdAt)) : await query.orderBy(asc(sources.createdAt));
  return rows.map(toSource);
}

export async function getSource(db: GlobalDb, sourceId: string): Promise<Source | undefined> {
  const [row] = await db.select().from(sources).where(eq(sources.id, sourceId));
  return row ? toSource(row) : undefined;
}

/** Changes a source's name, kind or allowed origins; its region and key stay. */
export async function updateSource(
  db: GlobalDb,
  sourceId: string,
  change: { name?: string; kind?: SourceKind; allowedOrigins?: string[] },
): Promise<Source | undefined> {
  const [row] = await db
    .update(sources)
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.kind !== undefined ? { kind: change.kind } : {}),
      ...(change.allowedOrigins !== undefined ? { allowedOrigins: change.allowedOrigins } : {}),
    })
    .where(eq(sources.id, sourceId))
    .returning();
  return row ? toSource(row) : undefined;
}

/** Issues a new key; the old one keeps working for KEY_ROTATION_GRACE_HOURS so senders can switch. */
export async function rotateWriteKey(db: GlobalDb, sourceId: string, now = new Date()): Promise<{ source: Source; writeKey: string } | undefined> {
  const [current] = await db.select().from(sources).where(eq(sources.id, sourceId));
  if (!current) return undefined;
  const writeKey = newWriteKey();
  const [row] = await db
    .update(sources)
    .set({
      writeKeyHash: hashKey(writeKey),
      writeKeyHint: writeKey.slice(-4),
      previousWriteKeyHash: current.writeKeyHash,
      previousKeyValidUntil: new Date(now.getTime() + KEY_ROTATION_GRACE_HOURS * 3600_000),
      rotatedAt: now,
    })
    .where(eq(sources.id, sourceId))
    .returning();
  return { source: toSource(row!), writeKey };
}

/** The source a write key belongs to (current key, or the previous one within its grace period). */
export async function sourceForWriteKey(db: GlobalDb, writeKey: string, now = new Date()): Promise<Source | undefined> {
  const hash = hashKey(writeKey);
  const [current] = await db.select().from(sources).where(eq(sources.writeKeyHash, hash));
  if (current) return toSource(current);
  const [previous] = await db
    .select()
    .from(sources)
    .where(and(eq(sources.previousWriteKeyHash, hash), gt(sources.previousKeyValidUntil, now)));
  return previous ? toSource(previous) : undefined;
}

/** Every origin some source allows (answers CORS preflights, which carry no write key yet). */
export async function originsAllowedByAnySource(db: GlobalDb): Promise<string[]> {
  const rows = await db.selectDistinct({ origin: sql<string>`unnest(${sources.allowedOrigins})` }).from(sources);
  return rows.map((r) => r.origin);
}

/** Caches write key → source for a short time: the hot path must not query the global database per request. */
export class SourceCache {
  private readonly entries = new Map<string, { source: Source | undefined; until: number }>();

  constructor(private readonly db: GlobalDb, private readonly ttlMs = 30_000, private readonly maxEntries = 10_000) {}

  async lookup(writeKey: string): Promise<Source | undefined> {
    const now = Date.now();
    const hit = this.entries.get(writeKey);
    if (hit && hit.until > now) return hit.source;
    const source = await sourceForWriteKey(this.db, writeKey);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(writeKey, { source, until: now + (source ? this.ttlMs : 2000) });
    return source;
  }

  /**
   * Forgets a source changed through this process, so its new kind or origins apply at once here;
   * other web processes see the change when their entry expires (ttlMs).
   */
  forget(sourceId: string): void {
    for (const [key, entry] of this.entries) if (entry.source?.id === sourceId) this.entries.delete(key);
  }
}
