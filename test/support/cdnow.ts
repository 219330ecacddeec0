import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseAmount } from '../../domain/money';
import type { PurchaseHistory } from '../../domain/predictions';

/**
 * The CDNOW data set (data/cdnow/README.md) as purchase histories: every purchase of the 23,570
 * customers who first bought at CDNOW in Q1 1997, to 1998-06-30, in US dollars. Read from the
 * repository's compressed copy; nothing outside the repository is read.
 */

const DATA = path.join(__dirname, '../../data/cdnow');

export interface CdnowTransaction {
  customerId: string;
  localDate: string;
  cds: number;
  amountMinor: bigint;
}

export function cdnowTransactions(): CdnowTransaction[] {
  const text = gunzipSync(readFileSync(path.join(DATA, 'CDNOW_master.txt.gz'))).toString('utf8');
  const lines = text.split('\n');
  if (!/customer_id\s+date\s+number_of_cds\s+dollar_value/.test(lines[0] ?? '')) {
    throw new Error('data/cdnow/CDNOW_master.txt.gz does not start with the CDNOW header line');
  }
  const transactions: CdnowTransaction[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [id, date, cds, dollars] = line.split(/\s+/);
    const amount = parseAmount(dollars ?? '', 'USD');
    if (!id || !date || !/^\d{8}$/.test(date) || !cds || !amount.ok)
      throw new Error(`CDNOW line ${i + 1} is malformed: ${line}`);
    transactions.push({
      customerId: String(Number(id)),
      localDate: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`,
      cds: Number(cds),
      amountMinor: amount.minor,
    });
  }
  return transactions;
}

/** One history per customer, in customer-ID order; CDNOW is a US store, so one market. */
export function cdnowHistories(transactions = cdnowTransactions()): PurchaseHistory[] {
  const byCustomer = new Map<string, PurchaseHistory & { purchases: { localDate: string; amountMinor: bigint }[] }>();
  for (const t of transactions) {
    let history = byCustomer.get(t.customerId);
    if (!history) {
      history = { customerId: t.customerId, market: 'US', purchases: [] };
      byCustomer.set(t.customerId, history);
    }
    history.purchases.push({ localDate: t.localDate, amountMinor: t.amountMinor });
  }
  return [...byCustomer.values()].sort((a, b) => Number(a.customerId) - Number(b.customerId));
}

/**
 * The master-file customer IDs of Fader & Hardie's 1/10 systematic sample (2,357 customers), in
 * sample order: the sample the published BG/NBD and Gamma-Gamma parameters were estimated on.
 */
export function cdnowSampleCustomerIds(): string[] {
  return readFileSync(path.join(DATA, 'cdnow-sample-ids.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => String(Number(l)));
}
