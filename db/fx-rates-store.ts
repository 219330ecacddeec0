import type { Sql } from 'postgres';
import { FxDay, FxTable, isIsoDate, SupplementResult } from '../domain/fx';
import { isCurrency, unknownCurrencyReason } from '../domain/money';

/** Stores rate days idempotently (a re-fetched day overwrites itself); returns rows written. */
export async function upsertFxDays(sql: Sql, days: FxDay[], source: string): Promise<number> {
  const rows = days.flatMap((d) =>
    Object.entries(d.rates).map(([currency, perEur]) => ({ date: d.date, currency, perEur })),
  );
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

// ---------------------------------------------------------------------------------------------
// Supplementary rates for currencies the ECB does not publish
// ---------------------------------------------------------------------------------------------

export class FxInputError extends Error {
  override readonly name = 'FxInputError';
}

/** The label the ECB feed stores its rates under; a supplement may not pose as it. */
const ECB_SOURCE = 'ecb';

/** Why rates per EUR cannot be supplied for this code, or undefined. */
export function supplementCurrencyProblem(currency: string): string | undefined {
  if (!isCurrency(currency)) return `${unknownCurrencyReason(currency)}: use the three-letter code, e.g. KWD`;
  if (currency === 'EUR')
    return 'EUR is the base currency: its rate is 1 by definition, supply rates of other currencies per EUR';
  return undefined;
}

function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export interface FxSupplementOutcome extends SupplementResult {
  currency: string;
  source: string;
  /** Accepted items that were new and written (re-supplying a stored rate is accepted, not rewritten). */
  stored: number;
}

/**
 * Stores rates per EUR for a currency from another source, with FxTable.supplement's rules: each
 * item is checked (calendar date, positive decimal); a rate that contradicts one already stored for
 * that day is rejected, never overwritten; the other items are kept.
 */
export async function supplementFxRates(
  sql: Sql,
  currency: string,
  items: readonly { date: string; perEur: string }[],
  source: string,
): Promise<FxSupplementOutcome> {
  const problem = supplementCurrencyProblem(currency);
  if (problem) throw new FxInputError(problem);
  const label = source.trim();
  if (label === '') throw new FxInputError('source: name where the rates come from, e.g. "Central Bank of Kuwait"');
  if (label.toLowerCase() === ECB_SOURCE)
    throw new FxInputError('source: "ecb" is reserved for the ECB feed; name the source these rates come from');

  const dates = [...new Set(items.map((i) => i.date).filter(isIsoDate))];
  const existing =
    dates.length === 0
      ? []
      : await sql<{ rate_date: string; per_eur: string }[]>`
        select to_char(rate_date, 'YYYY-MM-DD') as rate_date, per_eur::text as per_eur from fx_rates
        where currency = ${currency} and rate_date in ${sql(dates)}`;
  const stored = new Set(existing.map((r) => r.rate_date));
  const table = new FxTable(
    existing.map((r) => ({ date: r.rate_date, rates: { [currency]: trimDecimal(r.per_eur) } })),
  );
  // Item by item, so it is known which accepted ones are new days: an identical re-supplied rate
  // is accepted but not rewritten (it keeps its original source).
  const result: SupplementResult = { accepted: 0, rejected: [] };
  const fresh = new Map<string, string>();
  for (const item of items) {
    const one = table.supplement(currency, [item]);
    result.rejected.push(...one.rejected);
    if (one.accepted === 0) continue;
    result.accepted++;
    if (!stored.has(item.date) && !fresh.has(item.date)) fresh.set(item.date, item.perEur);
  }
  const written =
    fresh.size === 0
      ? 0
      : await upsertFxDays(
          sql,
          [...fresh].map(([date, perEur]) => ({ date, rates: { [currency]: perEur } })),
          label,
        );
  return { currency, source: label, accepted: result.accepted, stored: written, rejected: result.rejected };
}

export interface StoredFxRate {
  date: string;
  perEur: string;
  source: string;
  /** When it was stored, ISO 8601 in UTC. */
  fetchedAt: string;
}

export async function listFxRates(
  sql: Sql,
  currency: string,
  range: { from?: string; to?: string },
): Promise<StoredFxRate[]> {
  const rows = await sql<{ rate_date: string; per_eur: string; source: string; fetched_at: string }[]>`
    select to_char(rate_date, 'YYYY-MM-DD') as rate_date, per_eur::text as per_eur, source,
      to_char(fetched_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as fetched_at
    from fx_rates
    where currency = ${currency}
      ${range.from ? sql`and rate_date >= ${range.from}::date` : sql``}
      ${range.to ? sql`and rate_date <= ${range.to}::date` : sql``}
    order by rate_date`;
  return rows.map((r) => ({
    date: r.rate_date,
    perEur: trimDecimal(r.per_eur),
    source: r.source,
    fetchedAt: r.fetched_at,
  }));
}
