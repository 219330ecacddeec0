import { strFromU8, unzipSync } from 'fflate';
import { EcbFeedError, FxDay, FxParseResult, safeParseEcbHistoryCsv } from './fx';

/**
 * The ECB's full daily history as it publishes it: `eurofxref-hist.zip`, a zip of one CSV
 * (`eurofxref-hist.csv`). The repository ships a copy (data/ecb/), so a fresh clone converts old
 * orders without a download; a newer download from the ECB replaces it as is. Kept apart from
 * fx.ts so workflow code, which imports fx.ts, does not bundle the zip reader.
 */

export const ECB_HISTORY_ZIP_URL = 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip';

export function safeParseEcbHistoryZip(zip: Uint8Array): FxParseResult {
  const fail = (reason: string): FxParseResult => ({ ok: false, reason: `ECB history zip: ${reason}` });
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    return fail(`not a readable zip file (${(error as Error).message}): download ${ECB_HISTORY_ZIP_URL} again`);
  }
  const csvNames = Object.keys(entries).filter((name) => name.toLowerCase().endsWith('.csv'));
  if (csvNames.length !== 1) {
    const found = Object.keys(entries).join(', ') || 'nothing';
    return fail(`expected one CSV file (eurofxref-hist.csv), found ${found}`);
  }
  return safeParseEcbHistoryCsv(strFromU8(entries[csvNames[0]!]!));
}

/** As `safeParseEcbHistoryZip`, throwing an `EcbFeedError` with the reason. */
export function parseEcbHistoryZip(zip: Uint8Array): FxDay[] {
  const result = safeParseEcbHistoryZip(zip);
  if (!result.ok) throw new EcbFeedError(result.reason);
  return result.days;
}
