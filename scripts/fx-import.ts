import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import { upsertFxDays } from '../db/fx-rates-store';
import { parseEcbHistoryCsv } from '../domain/fx';

/**
 * Loads the ECB's full daily history (`eurofxref-hist.csv`) into fx_rates, so conversions of
 * old orders work before the first scheduled sync. `npm start` does it once, from
 * ../shared/data when that file is there.
 */
export const SHARED_FX_HISTORY = path.resolve(__dirname, '..', '..', 'shared', 'data', 'ecb-eurofxref-hist.csv');

export async function importFxHistory(sql: Sql, file = SHARED_FX_HISTORY): Promise<{ imported: boolean; days: number; reason?: string }> {
  const [{ n }] = (await sql`select count(*)::int as n from fx_rates`) as unknown as [{ n: number }];
  if (n > 0) return { imported: false, days: 0, reason: 'rates are already stored' };
  if (!existsSync(file)) return { imported: false, days: 0, reason: `no history file at ${file}` };
  const days = parseEcbHistoryCsv(readFileSync(file, 'utf8'));
  await upsertFxDays(sql, days, 'ecb');
  return { imported: true, days: days.length };
}
