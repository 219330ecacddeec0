import { createHash, randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import { isWriteKeyFormat, SourceKind } from '../domain/sources';
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
  /** The brand the source belongs to (`brands.id`): its data is that brand's (db/brands-store.ts). */
  brandId: string;
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
    brandId: row.brandId,
    writeKeyHint: row.writeKeyHint,
    createdAt: row.createdAt,
    rotatedAt: row.rotatedAt,
  };
}

/** Creates a source; the write key is returned once and stored only hashed. */
export async function createSource(
  db: GlobalDb,
  input: { name: string; region: string; kind: SourceKind; allowedOrigins?: string[]; brandId?: string },
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
      ...(input.brandId !== undefined ? { brandId: input.brandId } : {}),
      writeKeyHash: hashKey(writeKey),
      writeKeyHint: writeKey.slice(-4),
    })
    .returning();
  return { source: toSource(row!), writeKey };
}

/** Every source, or those of the given regions. */
export async function listSources(db: GlobalDb, regions?: readonly string[]): Promise<Source[]> {
  const query = db.select().from(sources);
  const rows = regions
    ? await query.where(inArray(sources.region, [...regions])).orderBy(asc(sources.createdAt))
    : await query.orderBy(asc(sources.createdAt));
  return rows.map(toSource);
}

export async function getSource(db: GlobalDb, sourceId: string): Promise<Source | undefined> {
  const [row] = await db.select().from(sources).where(eq(sources.id, sourceId));
  return row ? toSource(row) : undefined;
}

/** Changes a source's name, kind, allowed origins or brand; its region and key stay. */
export async function updateSource(
  db: GlobalDb,
  sourceId: string,
  change: { name?: string; kind?: SourceKind; allowedOrigins?: string[]; brandId?: string },
): Promise<Source | undefined> {
  const [row] = await db
    .update(sources)
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.kind !== undefined ? { kind: change.kind } : {}),
      ...(change.allowedOrigins !== undefined ? { allowedOrigins: change.allowedOrigins } : {}),
      ...(change.brandId !== undefined ? { brandId: change.brandId } : {}),
    })
    .where(eq(sources.id, sourceId))
    .returning();
  return row ? toSource(row) : undefined;
}

/** Issues a new key; the old one keeps working for KEY_ROTATION_GRACE_HOURS so senders can switch. */
export async function rotateWriteKey(
  db: GlobalDb,
  sourceId: string,
  now = new Date(),
): Promise<{ source: Source; writeKey: string } | undefined> {
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

/**
 * The source a write key belongs to (current key, or the previous one within its grace period),
 * in one query: an unknown key costs one index probe, not two.
 */
export async function sourceForWriteKey(db: GlobalDb, writeKey: string, now = new Date()): Promise<Source | undefined> {
  const hash = hashKey(writeKey);
  const [row] = await db
    .select()
    .from(sources)
    .where(
      or(
        eq(sources.writeKeyHash, hash),
        and(eq(sources.previousWriteKeyHash, hash), gt(sources.previousKeyValidUntil, now)),
      ),
    )
    // A key that is one source's current key wins over another's expiring previous key.
    .orderBy(desc(sql`${sources.writeKeyHash} = ${hash}`))
    .limit(1);
  return row ? toSource(row) : undefined;
}

/** Every origin some source allows (answers CORS preflights, which carry no write key yet). */
export async function originsAllowedByAnySource(db: GlobalDb): Promise<string[]> {
  const rows = await db.selectDistinct({ origin: sql<string>`unnest(${sources.allowedOrigins})` }).from(sources);
  return rows.map((r) => r.origin);
}

export interface SourceCacheOptions {
  /** How long a known key is trusted without asking the database again. */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  unknownTtlMs?: number;
  /** Most known keys kept; least recently used go first. */
  maxEntries?: number;
  /** Most unknown keys kept, apart from the known ones. */
  maxUnknown?: number;
  /** The lookup itself (tests count it). */
  find?: (writeKey: string) => Promise<Source | undefined>;
}

/**
 * Caches write key → source: the hot path must not query the global database per request.
 *
 * Known and unknown keys are kept apart, each least-recently-used: a flood of random keys fills
 * only the unknown side and can never push a working key out (which would send every real request
 * to the database). Keys of the wrong shape never reach the database or the cache, and concurrent
 * lookups of one key share one query.
 */
export class SourceCache {
  private readonly known = new Map<string, { source: Source; until: number }>();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<Source | undefined>>();
  private readonly ttlMs: number;
  private readonly unknownTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxUnknown: number;
  private readonly find: (writeKey: string) => Promise<Source | undefined>;

  constructor(db: GlobalDb, options: SourceCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.unknownTtlMs = options.unknownTtlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxUnknown = options.maxUnknown ?? 10_000;
    this.find = options.find ?? ((writeKey) => sourceForWriteKey(db, writeKey));
  }

  /**
   * What the cache already knows about a key without asking the database: `{ source }` (undefined
   * source: unknown or malformed), or undefined when only a lookup can tell.
   */
  peek(writeKey: string, now = Date.now()): { source: Source | undefined } | undefined {
    if (!isWriteKeyFormat(writeKey)) return { source: undefined };
    const hit = this.known.get(writeKey);
    if (hit && hit.until > now) {
      this.known.delete(writeKey); // re-insert: Map order is recency
      this.known.set(writeKey, hit);
      return { source: hit.source };
    }
    const unknownUntil = this.unknown.get(writeKey);
    if (unknownUntil !== undefined && unknownUntil > now) return { source: undefined };
    return undefined;
  }

  async lookup(writeKey: string): Promise<Source | undefined> {
    const cached = this.peek(writeKey);
    if (cached) return cached.source;
    let pending = this.pending.get(writeKey);
    if (!pending) {
      pending = this.find(writeKey)
        .then((source) => {
          this.remember(writeKey, source);
          return source;
        })
        .finally(() => this.pending.delete(writeKey));
      this.pending.set(writeKey, pending);
    }
    return pending;
  }

  /** Cached known and unknown keys (for tests and metrics). */
  get size(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }

  /**
   * Forgets a source changed through this process, so its new kind or origins apply at once here;
   * other web processes see the change when their entry expires (ttlMs).
   */
  forget(sourceId: string): void {
    for (const [key, entry] of this.known) if (entry.source.id === sourceId) this.known.delete(key);
  }

  private remember(writeKey: string, source: Source | undefined): void {
    const now = Date.now();
    this.known.delete(writeKey);
    this.unknown.delete(writeKey);
    if (source) {
      this.known.set(writeKey, { source, until: now + this.ttlMs });
      if (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value!);
    } else {
      this.unknown.set(writeKey, now + this.unknownTtlMs);
      if (this.unknown.size > this.maxUnknown) this.unknown.delete(this.unknown.keys().next().value!);
    }
  }
}
