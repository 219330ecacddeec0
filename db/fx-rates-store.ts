import type { Sql } from 'postgres';
import { FxDay, FxTable } from '../domain/fx';

/** Stores rate days idempotently (a re-fetched day overwrites itself); returns rows written. */
export async function upsertFxDays(sql: Sql, days: FxDay[], source: string): Promise<number> {
  const rows = days.flatMap((d) => Object.entries(d.rates).map(([currency, perEur]) => ({ date: d.date, currency, perEur })));
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await sql`
      insert into fx_rates (rate_date, currency, per_eur, source)
      select d::date, c, r::numeric, ${source} from unnest(
        ${sql.array(chunk.map((r) => r.date))}::text[], ${sql.array(chunk.map((r) => r.currency))}::text[],
        ${sql.array(chunk.map((r) => r.perEur))}::text[]) as u(d, c, r)
      on conflict (rate_date, currency) do update set per_eur = excluded.per_eur, source = excluded.source, fetched_at = now()`;
  }
  return rows.length;
}

/** Every stored day, for building an FxTable (a few MB for the full history since 1999). */
export async function loadFxDays(sql: Sql): Promise<FxDay[]> {
  const rows = await sql<{ rate_date: string; currency: string; per_eur: string }[]>`
    select to_char(rate_date, 'YYYY-MM-DD') as rate_date, currency, per_eur::text as per_eur from fx_rates order by rate_date`;
  const byDate = new Map<string, Record<string, string>>();
  for (const row of rows) {
    let rates = byDate.get(row.rate_date);
    if (!rates) byDate.set(row.rate_date, (rates = {}));
    rates[row.currency] = row.per_eur.replace(/\.?0+$/, '');
  }
  return [...byDate].map(([date, rates]) => ({ date, rates }));
}

/**
 * The FX table a worker converts with, loaded from the global rates and reloaded when it is older
 * than `maxAgeMs`, or (at most once a `retryMs`) when a date beyond the loaded rates is asked for:
 * the scheduled ECB sync may have stored newer days meanwhile.
 */
export class FxRatesCache {
  private table?: FxTable;
  private loadedAt = 0;
  private loading?: Promise<FxTable>;
  private lastForcedAt = 0;

  constructor(
    private readonly sql: Sql,
    private readonly options: { maxAgeMs?: number; retryMs?: number } = {},
  ) {}

  async current(): Promise<FxTable> {
    if (this.table && Date.now() - this.loadedAt < (this.options.maxAgeMs ?? 10 * 60_000)) return this.table;
    return this.reload();
  }

  /** A table that covers `date` if the database has it. */
  async covering(date: string): Promise<FxTable> {
    const table = await this.current();
    const last = table.span?.last;
    if ((last === undefined || last < date) && Date.now() - this.lastForcedAt > (this.options.retryMs ?? 60_000)) {
      this.lastForcedAt = Date.now();
      return this.reload();
    }
    return table;
  }

  private reload(): Promise<FxTable> {
    this.loading ??= loadFxDays(this.sql)
      .then((days) => {
        this.table = new FxTable(days);
        this.loadedAt = Date.now();
        return this.table;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
