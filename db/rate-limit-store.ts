import type { Sql } from 'postgres';

/**
 * Fixed-window counters in the global database, shared by every web server: one atomic upsert per
 * hit, on the database's clock, so two servers (or two requests at once) never count past each
 * other. Keys are opaque bytes (HMACs); see db/schema/global.ts rateLimitCounters.
 */

export interface CounterState {
  /** Hits in the current window, this one included. */
  hits: number;
  /** Seconds until the window ends and the count starts again. */
  resetsInSeconds: number;
}

/** Counts one hit for `key` in the current `windowSeconds` window and returns the window's count. */
export async function countHit(sql: Sql, key: Buffer, windowSeconds: number): Promise<CounterState> {
  const [row] = await sql<{ hits: number; resets_in: number }[]>`
    with w as (select to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds}) as start)
    insert into rate_limit_counters as c (key, window_start, hits, expires_at)
    select ${key}, w.start, 1, w.start + make_interval(secs => ${windowSeconds}) from w
    on conflict (key) do update set
      hits = case when c.window_start = excluded.window_start then c.hits + 1 else 1 end,
      window_start = excluded.window_start,
      expires_at = excluded.expires_at
    returning c.hits, greatest(1, ceil(extract(epoch from c.expires_at - now())))::int as resets_in`;
  return { hits: row!.hits, resetsInSeconds: row!.resets_in };
}

/** Deletes counters whose window has ended; returns how many. */
export async function sweepCounters(sql: Sql): Promise<number> {
  const deleted = await sql`delete from rate_limit_counters where expires_at < now()`;
  return deleted.count;
}

/** The current window's count for `key` without counting a hit (0 when none or the window ended). */
export async function readHits(sql: Sql, key: Buffer): Promise<number> {
  const [row] = await sql<{ hits: number }[]>`
    select hits from rate_limit_counters where key = ${key} and expires_at > now()`;
  return row?.hits ?? 0;
}
