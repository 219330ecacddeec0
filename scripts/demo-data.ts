import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';

/**
 * Demo data for `npm start`: three sources (a Berlin shop in eu, a New York app in us, a Tokyo
 * store in apac) and a few people sent through the real tracking API — one shopper seen in two
 * regions, one anonymous visitor who signs in (a merge), phones in local formats. Run once:
 * sources named "Demo …" mean it has run before.
 */

interface DemoSource {
  name: string;
  region: string;
  kind: 'browser' | 'server';
}

const SOURCES: DemoSource[] = [
  // Server-side: the demo sends as a shop's back end would (its identify calls carry the shop's word).
  { name: 'Demo Berlin web shop', region: 'eu', kind: 'server' },
  { name: 'Demo New York app', region: 'us', kind: 'server' },
  { name: 'Demo Tokyo store', region: 'apac', kind: 'server' },
];

export async function seedDemoData(webUrl: string, adminToken: string): Promise<{ created: boolean; events: number }> {
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${webUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`demo data: ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const existing = (await admin('GET', '/admin/sources')).sources as { name: string }[];
  if (existing.some((s) => s.name.startsWith('Demo '))) return { created: false, events: 0 };

  const keys: Record<string, string> = {};
  for (const s of SOURCES) keys[s.region] = (await admin('POST', '/admin/sources', s)).writeKey;

  const batches: Record<string, unknown[]> = {
    eu: [
      {
        type: 'page',
        anonymousId: 'demo-anon-berlin',
        name: 'Startseite',
        context: { locale: 'de-DE', timezone: 'Europe/Berlin' },
      },
      {
        type: 'track',
        anonymousId: 'demo-anon-berlin',
        event: 'Product Viewed',
        properties: { sku: 'SNEAKER-42', price: 129.0, currency: 'EUR' },
      },
      {
        type: 'identify',
        userId: 'demo-lena',
        anonymousId: 'demo-anon-berlin',
        traits: { name: 'Lena Groß', email: 'lena.gross@example.de', phone: '030 1234567' },
        context: { locale: 'de-DE', timezone: 'Europe/Berlin', location: { country: 'DE' } },
      },
      {
        type: 'track',
        userId: 'demo-lena',
        event: 'Order Completed',
        properties: { orderId: 'B-1001', total: 129.0, currency: 'EUR' },
      },
    ],
    us: [
      {
        type: 'identify',
        anonymousId: 'demo-device-ny',
        traits: { email: 'lena.gross@example.de' },
        context: { timezone: 'America/New_York' },
      },
      { type: 'track', anonymousId: 'demo-device-ny', event: 'App Opened' },
      {
        type: 'identify',
        userId: 'demo-marcus',
        traits: { name: 'Marcus Reed', phone: '(415) 555-2671' },
        context: { location: { country: 'US' } },
      },
    ],
    apac: [
      {
        type: 'identify',
        userId: 'demo-yuki',
        traits: { name: '山田 由紀', phone: '090-1234-5678' },
        context: { locale: 'ja-JP', timezone: 'Asia/Tokyo' },
      },
      {
        type: 'track',
        userId: 'demo-yuki',
        event: 'Order Completed',
        properties: { orderId: 'T-77', total: 8800, currency: 'JPY' },
      },
      {
        type: 'identify',
        userId: 'demo-somchai',
        traits: { name: 'สมชาย ใจดี', phone: '081 234 5678' },
        context: { locale: 'th-TH', timezone: 'Asia/Bangkok' },
      },
    ],
  };
  let events = 0;
  for (const [region, batch] of Object.entries(batches)) {
    const res = await fetch(`${webUrl}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${keys[region]}:`).toString('base64')}`,
      },
      body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
    if (!res.ok) throw new Error(`demo data: /v1/batch for ${region} answered ${res.status}: ${await res.text()}`);
    events += batch.length;
  }
  return { created: true, events };
}

/**
 * A demo connector: a Tokyo POS export (Shift_JIS, as Japanese POS systems write it) imported by
 * the file connector in apac, on a schedule every 6 hours Tokyo time, and synced once now. Its
 * orders are from March and April 2025, inside the ECB history, so each gets a reporting amount at
 * its local date's rate; one row is broken on purpose and shows up as a rejection.
 */
export const DEMO_CONNECTOR_ID = 'demo_tokyo_pos';

const DEMO_POS_ROWS: [orderNo: string, placedAt: string, total: string, email: string][] = [
  ['T-1001', '2025/03/14 10:05', '3300', 'yuki.yamada@example.jp'],
  ['T-1002', '2025/03/14 23:40', '12800', 'kenji.sato@example.jp'],
  ['T-1003', '2025/03/15 11:20', '5400', 'yuki.yamada@example.jp'],
  ['T-1004', '2025/03/30 09:15', '2200', 'lena.gross@example.de'],
  ['T-1005', '2025/04/18 18:45', '980', 'aiko.tanaka@example.jp'],
  ['T-1006', '2025/04/21 08:30', '4,400円', 'kenji.sato@example.jp'],
  ['T-1007', '2025/05/02 20:10', '15600', 'aiko.tanaka@example.jp'],
];

export async function seedDemoConnector(
  webUrl: string,
  adminToken: string,
  importDir: string,
): Promise<{ created: boolean; orders?: number; rejected?: number; status?: string }> {
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${webUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok && res.status !== 404)
      throw new Error(`demo connector: ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  if ((await admin('GET', `/admin/connectors/${DEMO_CONNECTOR_ID}`)).status === 200) return { created: false };

  mkdirSync(importDir, { recursive: true });
  const file = path.join(importDir, 'tokyo-pos-orders.csv');
  const lines = [
    '注文番号,注文日時,合計,通貨,メール',
    ...DEMO_POS_ROWS.map(([no, at, total, email]) => `${no},${at},"${total}",JPY,${email}`),
  ];
  writeFileSync(file, iconv.encode(`${lines.join('\r\n')}\r\n`, 'Shift_JIS'));

  await admin('POST', '/admin/connectors', {
    id: DEMO_CONNECTOR_ID,
    system: 'file',
    name: 'Demo Tokyo POS export',
    region: 'apac',
    settings: {
      path: file,
      format: 'csv',
      encoding: 'shift_jis',
      recordType: 'orders',
      timeZone: 'Asia/Tokyo',
      dateFormat: 'ymd',
      mapping: { externalId: '注文番号', placedAt: '注文日時', total: '合計', currency: '通貨', email: 'メール' },
    },
    credentials: {},
    schedule: { every: '6h', timeZone: 'Asia/Tokyo' },
  });
  const { workflowId } = (await admin('POST', `/admin/connectors/${DEMO_CONNECTOR_ID}/sync`, {})).body as {
    workflowId: string;
  };
  for (let i = 0; i < 120; i++) {
    const sync = (await admin('GET', `/admin/connectors/${DEMO_CONNECTOR_ID}/sync/${workflowId}`)).body as {
      status: string;
      progress?: { totals?: { orders: number; rejected: number } };
    };
    if (['completed', 'failed', 'skipped', 'cancelled'].includes(sync.status)) {
      return {
        created: true,
        status: sync.status,
        orders: sync.progress?.totals?.orders ?? 0,
        rejected: sync.progress?.totals?.rejected ?? 0,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { created: true, status: 'still running' };
}
