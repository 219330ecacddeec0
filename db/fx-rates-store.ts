import type { Sql } from 'postgres';
import type { FxDay } from '../domain/fx';

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
