import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import { upsertFxDays } from '../db/fx-rates-store';
import type { FxDay } from '../domain/fx';
import { parseEcbHistoryZip } from '../domain/fx-history';

/**
 * Loads the ECB's full daily history into fx_rates, so conversions of old orders work before the
 * first scheduled sync. `npm start` does it once, from the copy shipped in data/ecb/.
 */
export const SHIPPED_FX_HISTORY = path.resolve(__dirname, '..', 'data', 'ecb', 'eurofxref-hist.zip');

/** The days of the shipped history (data/ecb/eurofxref-hist.zip), oldest first. */
export function readFxHistory(file = SHIPPED_FX_HISTORY): FxDay[] {
  return parseEcbHistoryZip(readFileSync(file));
}

export async function importFxHistory(
  sql: Sql,
  file = SHIPPED_FX_HISTORY,
): Promise<{ imported: boolean; days: number; reason?: string }> {
  const [{ n }] = (await sql`select count(*)::int as n from fx_rates`) as unknown as [{ n: number }];
  if (n > 0) return { imported: false, days: 0, reason: 'rates are already stored' };
  if (!existsSync(file)) return { imported: false, days: 0, reason: `no history file at ${file}` };
  const days = readFxHistory(file);
  await upsertFxDays(sql, days, 'ecb');
  return { imported: true, days: days.length };
}
