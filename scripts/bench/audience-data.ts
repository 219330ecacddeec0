import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';
import { rebuildAudienceFacts } from '../../db/audience-facts-store';
import { parseEcbHistoryZip } from '../../domain/fx-history';
import { jurisdictionOf } from '../../domain/jurisdictions';
import { seededRandom } from '../../domain/seeded-random';
import { cdnowTransactions, type CdnowTransaction } from '../../test/support/cdnow';

/**
 * Synthetic profiles for `npm run bench:audiences`, written with COPY straight into the tables the
 * audience layer reads (profiles, consent, queryable traits, the event log with its queryable
 * properties, orders). Shapes, not people: every profile's orders are a real CDNOW customer's
 * purchase history (data/cdnow) moved so that it ends today, amounts converted from US dollars at
 * the ECB's last published rates (data/ecb); events, traits and consent are drawn from a seeded
 * generator so two runs build the same data. Sealed payloads are opaque bytes of a realistic size:
 * segments never read them.
 */

export interface Market {
  country: string;
  usState?: string;
  currency: string;
  timeZone: string;
  locale: string;
}

export const MARKETS: Record<string, Market[]> = {
  eu: [
    { country: 'DE', currency: 'EUR', timeZone: 'Europe/Berlin', locale: 'de-DE' },
    { country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris', locale: 'fr-FR' },
    { country: 'GB', currency: 'GBP', timeZone: 'Europe/London', locale: 'en-GB' },
    { country: 'IT', currency: 'EUR', timeZone: 'Europe/Rome', locale: 'it-IT' },
    { country: 'PL', currency: 'PLN', timeZone: 'Europe/Warsaw', locale: 'pl-PL' },
  ],
  us: [
    { country: 'US', usState: 'NY', currency: 'USD', timeZone: 'America/New_York', locale: 'en-US' },
    { country: 'US', usState: 'CA', currency: 'USD', timeZone: 'America/Los_Angeles', locale: 'en-US' },
    { country: 'CA', currency: 'CAD', timeZone: 'America/Toronto', locale: 'en-CA' },
    { country: 'BR', currency: 'BRL', timeZone: 'America/Sao_Paulo', locale: 'pt-BR' },
  ],
  apac: [
    { country: 'JP', currency: 'JPY', timeZone: 'Asia/Tokyo', locale: 'ja-JP' },
    { country: 'SG', currency: 'SGD', timeZone: 'Asia/Singapore', locale: 'en-SG' },
    { country: 'AU', currency: 'AUD', timeZone: 'Australia/Sydney', locale: 'en-AU' },
    { country: 'KR', currency: 'KRW', timeZone: 'Asia/Seoul', locale: 'ko-KR' },
  ],
};

/** Minor-unit digits of the currencies above (ISO 4217). */
const DIGITS: Record<string, number> = { JPY: 0, KRW: 0 };

const EVENT_NAMES = ['Page Viewed', 'Product Viewed', 'Product Viewed', 'Product Added', 'Products Searched'];
const CATEGORIES = ['shoes', 'bags', 'outerwear', 'beauty', 'home', 'kids'];
const PLANS = ['free', 'plus', 'premium'];
const CONSENT_PURPOSES = ['emailMarketing', 'smsMarketing', 'push', 'personalisedAds'] as const;

export interface RegionData {
  region: string;
  profiles: number;
  events: number;
  orders: number;
  traits: number;
  consentRecords: number;
  seconds: number;
}

interface FxToday {
  date: string;
  perEur: Record<string, number>;
}

function latestFx(): FxToday {
  const zip = readFileSync(path.join(__dirname, '../../data/ecb/eurofxref-hist.zip'));
  const days = parseEcbHistoryZip(zip);
  const last = days.reduce((a, b) => (a.date > b.date ? a : b));
  return { date: last.date, perEur: Object.fromEntries(Object.entries(last.rates).map(([c, r]) => [c, Number(r)])) };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 16 }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const tsv = (value: unknown): string => {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
};

async function copy(sql: Sql, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<number> {
  let n = 0;
  const lines = function* () {
    let chunk = '';
    for (const row of rows) {
      chunk += `${row.map(tsv).join('\t')}\n`;
      n++;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  };
  const query = sql`copy ${sql(table)} (${sql(columns)}) from stdin`;
  const writable = await query.writable();
  // A row the server refuses ends the COPY with an error the writable never reports: race the query.
  await Promise.race([pipeline(Readable.from(lines()), writable), query.then(() => new Promise(() => {}))]);
  return n;
}

/** CDNOW histories grouped by customer, each shifted so that the data set's last day is `today`. */
function cdnowShapes(today: Date): CdnowTransaction[][] {
  const byCustomer = new Map<string, CdnowTransaction[]>();
  for (const t of cdnowTransactions()) {
    const list = byCustomer.get(t.customerId) ?? [];
    list.push(t);
    byCustomer.set(t.customerId, list);
  }
  const shiftDays = Math.round((today.getTime() - Date.parse('1998-06-30T00:00:00Z')) / 86_400_000);
  return [...byCustomer.values()].map((list) =>
    list.map((t) => ({
      ...t,
      localDate: new Date(Date.parse(`${t.localDate}T00:00:00Z`) + shiftDays * 86_400_000).toISOString().slice(0, 10),
    })),
  );
}

export interface GenerateOptions {
  region: string;
  /** Index of the first profile (customer IDs are unique across regions). */
  offset: number;
  profiles: number;
  sourceId: string;
  connectorId: string;
  seed: number;
  now: Date;
}

let shapesCache: { today: string; shapes: CdnowTransaction[][] } | undefined;
let fxCache: FxToday | undefined;

/** Writes `profiles` synthetic profiles into the region database `sql`. */
export async function generateRegion(sql: Sql, options: GenerateOptions): Promise<RegionData> {
  const started = performance.now();
  const todayKey = options.now.toISOString().slice(0, 10);
  if (shapesCache?.today !== todayKey) shapesCache = { today: todayKey, shapes: cdnowShapes(options.now) };
  fxCache ??= latestFx();
  const shapes = shapesCache.shapes;
  const fx = fxCache;
  const markets = MARKETS[options.region] ?? MARKETS.eu!;
  const nowMs = options.now.getTime();
  const day = 86_400_000;

  // Every event partition the data needs (the last 120 days).
  for (let d = 0; d <= 4; d++) {
    const month = new Date(nowMs - d * 30 * day);
    await sql`select meridian_ensure_events_partition(${`${month.toISOString().slice(0, 7)}-01`}::date)`;
  }

  const ids: string[] = [];
  const marketOf: Market[] = [];
  {
    const random = seededRandom(options.seed);
    for (let i = 0; i < options.profiles; i++) {
      ids.push(uuidFrom(random));
      marketOf.push(markets[Math.floor(random() * markets.length)]!);
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString();

  await copy(
    sql,
    'profiles',
    ['customer_id', 'created_at', 'last_seen_at'],
    (function* () {
      for (let i = 0; i < ids.length; i++) yield [ids[i], iso(nowMs - 400 * day), iso(nowMs)];
    })(),
  );
  await copy(
    sql,
    'consent_subjects',
    ['customer_id', 'country', 'us_state', 'jurisdiction'],
    (function* () {
      for (let i = 0; i < ids.length; i++) {
        const { country, usState } = marketOf[i]!;
        yield [ids[i], country, usState ?? null, jurisdictionOf(country, usState)];
      }
    })(),
  );

  const random = seededRandom(options.seed + 1);
  const consentRecords = await copy(
    sql,
    'consent_records',
    ['customer_id', 'purpose', 'state', 'source', 'recorded_at', 'proof_kind', 'proof_reference'],
    (function* () {
      for (let i = 0; i < ids.length; i++) {
        for (const purpose of CONSENT_PURPOSES) {
          const r = random();
          if (r < 0.45) continue; // no choice: the jurisdiction's default applies
          const state = r < 0.8 ? 'granted' : 'denied';
          yield [ids[i], purpose, state, 'bench', iso(nowMs - Math.floor(r * 300) * day), 'bench', `bench-${i}`];
        }
      }
    })(),
  );

  const traits = await copy(
    sql,
    'profile_traits',
    ['customer_id', 'key', 'value', 'category', 'source_id', 'observed_at'],
    (function* () {
      for (let i = 0; i < ids.length; i++) {
        const observed = iso(nowMs - Math.floor(random() * 200) * day);
        yield [
          ids[i],
          'plan',
          JSON.stringify(PLANS[Math.floor(random() * 3)]),
          'user.account',
          options.sourceId,
          observed,
        ];
        if (random() < 0.6)
          yield [
            ids[i],
            'age_range',
            JSON.stringify(['18-24', '25-34', '35-44', '45-54', '55+'][Math.floor(random() * 5)]),
            'user.demographic.age_range',
            options.sourceId,
            observed,
          ];
      }
    })(),
  );

  // Events: a geometric number per person (mean ≈ 6) over the last 90 days, in their own zone.
  const payload = randomBytes(180);
  const payloadText = `\\x${payload.toString('hex')}`;
  const events = await copy(
    sql,
    'events',
    [
      'id',
      'received_at',
      'source_id',
      'message_id',
      'customer_id',
      'sealed_with',
      'type',
      'event',
      'timestamp',
      'timezone',
      'locale',
      'payload_sealed',
      'properties',
    ],
    (function* () {
      const eventRandom = seededRandom(options.seed + 2);
      let n = 0;
      for (let i = 0; i < ids.length; i++) {
        const market = marketOf[i]!;
        while (eventRandom() < 0.85) {
          const at = nowMs - Math.floor(eventRandom() * 90 * day);
          const name = EVENT_NAMES[Math.floor(eventRandom() * EVENT_NAMES.length)]!;
          const properties =
            name === 'Page Viewed'
              ? { path: `/p/${Math.floor(eventRandom() * 50)}` }
              : {
                  category: CATEGORIES[Math.floor(eventRandom() * CATEGORIES.length)],
                  price: Math.round(eventRandom() * 20_000) / 100,
                  sku: `SKU-${Math.floor(eventRandom() * 5000)}`,
                };
          n++;
          yield [
            uuidFrom(eventRandom),
            iso(at),
            options.sourceId,
            `bench-${options.region}-${n}`,
            ids[i],
            ids[i],
            name === 'Page Viewed' ? 'page' : 'track',
            name,
            iso(at),
            market.timeZone,
            market.locale,
            payloadText,
            JSON.stringify(properties),
          ];
        }
      }
    })(),
  );

  const orders = await copy(
    sql,
    'orders',
    [
      'source_id',
      'external_id',
      'customer_id',
      'currency',
      'total_minor',
      'reporting_currency',
      'reporting_total_minor',
      'fx_rate',
      'fx_rate_date',
      'fx_fallback',
      'placed_at',
      'time_zone',
      'local_date',
      'local_hour',
      'status',
      'country_code',
      'line_item_count',
      'source_updated_at',
    ],
    (function* () {
      const orderRandom = seededRandom(options.seed + 3);
      let n = 0;
      for (let i = 0; i < ids.length; i++) {
        const market = marketOf[i]!;
        const history = shapes[(options.offset + i) % shapes.length]!;
        const usdPerEur = fx.perEur.USD!;
        const perEur = market.currency === 'EUR' ? 1 : fx.perEur[market.currency]!;
        const digits = DIGITS[market.currency] ?? 2;
        for (const t of history) {
          const hour = 8 + Math.floor(orderRandom() * 14);
          const placed = Date.parse(`${t.localDate}T${String(hour).padStart(2, '0')}:00:00Z`);
          const eur = Number(t.amountMinor) / 100 / usdPerEur;
          const local = Math.round(eur * perEur * 10 ** digits);
          n++;
          yield [
            options.connectorId,
            `bench-order-${options.region}-${n}`,
            ids[i],
            market.currency,
            local,
            'EUR',
            Math.round(eur * 100),
            perEur,
            fx.date,
            false,
            iso(placed),
            market.timeZone,
            t.localDate,
            hour,
            'completed',
            market.country,
            t.cds,
            iso(placed),
          ];
        }
      }
    })(),
  );
  // What the audience processor keeps as events and orders arrive, built once for the bulk load.
  await rebuildAudienceFacts(sql);
  await sql`analyze`;
  return {
    region: options.region,
    profiles: ids.length,
    events,
    orders,
    traits,
    consentRecords,
    seconds: (performance.now() - started) / 1000,
  };
}
