/**
 * Demo data for `npm start`: three sources (a Berlin shop in eu, a New York app in us, a Tokyo
 * store in apac) and a few people sent through the real tracking API — one shopper seen in two
 * regions, one anonymous visitor who signs in (a merge), phones in local formats. Run once:
 * sources named "Demo …" mean it has run before.
 */

interface DemoSource {
  name: string;
  region: string;
}

const SOURCES: DemoSource[] = [
  { name: 'Demo Berlin web shop', region: 'eu' },
  { name: 'Demo New York app', region: 'us' },
  { name: 'Demo Tokyo store', region: 'apac' },
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
      { type: 'page', anonymousId: 'demo-anon-berlin', name: 'Startseite', context: { locale: 'de-DE', timezone: 'Europe/Berlin' } },
      { type: 'track', anonymousId: 'demo-anon-berlin', event: 'Product Viewed', properties: { sku: 'SNEAKER-42', price: 129.0, currency: 'EUR' } },
      {
        type: 'identify',
        userId: 'demo-lena',
        anonymousId: 'demo-anon-berlin',
        traits: { name: 'Lena Groß', email: 'lena.gross@example.de', phone: '030 1234567' },
        context: { locale: 'de-DE', timezone: 'Europe/Berlin', location: { country: 'DE' } },
      },
      { type: 'track', userId: 'demo-lena', event: 'Order Completed', properties: { orderId: 'B-1001', total: 129.0, currency: 'EUR' } },
    ],
    us: [
      { type: 'identify', anonymousId: 'demo-device-ny', traits: { email: 'lena.gross@example.de' }, context: { timezone: 'America/New_York' } },
      { type: 'track', anonymousId: 'demo-device-ny', event: 'App Opened' },
      { type: 'identify', userId: 'demo-marcus', traits: { name: 'Marcus Reed', phone: '(415) 555-2671' }, context: { location: { country: 'US' } } },
    ],
    apac: [
      { type: 'identify', userId: 'demo-yuki', traits: { name: '山田 由紀', phone: '090-1234-5678' }, context: { locale: 'ja-JP', timezone: 'Asia/Tokyo' } },
      { type: 'track', userId: 'demo-yuki', event: 'Order Completed', properties: { orderId: 'T-77', total: 8800, currency: 'JPY' } },
      { type: 'identify', userId: 'demo-somchai', traits: { name: 'สมชาย ใจดี', phone: '081 234 5678' }, context: { locale: 'th-TH', timezone: 'Asia/Bangkok' } },
    ],
  };
  let events = 0;
  for (const [region, batch] of Object.entries(batches)) {
    const res = await fetch(`${webUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${keys[region]}:`).toString('base64')}` },
      body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
    if (!res.ok) throw new Error(`demo data: /v1/batch for ${region} answered ${res.status}: ${await res.text()}`);
    events += batch.length;
  }
  return { created: true, events };
}
