import type { Sql } from 'postgres';

/**
 * A small, hand-checked data set for computed traits: three people in one region, events and orders
 * whose every expected trait value is worked out in the comments (test/integration/computed-traits.test.ts).
 * Written straight into the region's tables (no personal values: properties are non-identifying).
 */

export const ANNA = '00000000-0000-4000-8000-00000000000a';
export const BEN = '00000000-0000-4000-8000-00000000000b';
export const CARLA = '00000000-0000-4000-8000-00000000000c';
/** The moment of the first computation. */
export const NOW = new Date('2026-06-30T12:00:00Z');

interface FixtureEvent {
  customerId: string;
  sourceId: string;
  type: string;
  event: string | null;
  at: string;
  timezone: string | null;
  locale: string | null;
  properties: Record<string, unknown> | null;
}

let eventNo = 0;
export async function insertEvents(sql: Sql, events: FixtureEvent[]): Promise<void> {
  for (const month of new Set(events.map((e) => `${e.at.slice(0, 7)}-01`)))
    await sql`select meridian_ensure_events_partition(${month}::date)`;
  for (const e of events) {
    eventNo++;
    const id = `10000000-0000-4000-8000-${String(eventNo).padStart(12, '0')}`;
    await sql`
      insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
                          timezone, locale, payload_sealed, properties)
      values (${id}, ${e.at}::timestamptz, ${e.sourceId}, ${`m-${id}`}, ${e.customerId}, ${e.customerId}, ${e.type},
              ${e.event}, ${e.at}::timestamptz, ${e.timezone}, ${e.locale}, '\\x00'::bytea,
              ${e.properties === null ? null : JSON.stringify(e.properties)}::text::jsonb)`;
  }
}

export async function insertOrder(
  sql: Sql,
  o: {
    sourceId: string;
    id: string;
    customerId: string;
    localDate: string;
    country: string | null;
    reportingMinor: number | null;
    status?: string;
  },
): Promise<void> {
  await sql`
    insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency,
                        reporting_total_minor, placed_at, time_zone, local_date, local_hour, status, country_code,
                        line_item_count, source_updated_at)
    values (${o.sourceId}, ${o.id}, ${o.customerId}, 'EUR', ${o.reportingMinor ?? 0}, 'EUR', ${o.reportingMinor},
            ${`${o.localDate}T10:00:00Z`}::timestamptz, 'Europe/Berlin', ${o.localDate}::date, 12, ${o.status ?? 'closed'},
            ${o.country}, 1, ${`${o.localDate}T10:00:00Z`}::timestamptz)`;
}

/**
 * Anna (DE): five product views and a page view, three orders that count and a cancelled one.
 * Ben (US): one view. Carla: nothing but a consent country (FR).
 */
export async function loadFixture(sql: Sql, sources: { web: string; shop: string }): Promise<void> {
  for (const id of [ANNA, BEN, CARLA])
    await sql`insert into profiles (customer_id) values (${id}) on conflict do nothing`;
  const view = (
    customerId: string,
    at: string,
    properties: Record<string, unknown>,
    timezone: string | null,
    locale: string,
    sourceId = sources.web,
  ): FixtureEvent => ({
    customerId,
    sourceId,
    type: 'track',
    event: 'Product Viewed',
    at,
    timezone,
    locale,
    properties,
  });
  await insertEvents(sql, [
    // 10:30 in Berlin (CEST, +2)
    view(ANNA, '2026-06-29T08:30:00Z', { category: 'shoes', price: 50 }, 'Europe/Berlin', 'de-DE'),
    // 10:10 in Berlin
    view(ANNA, '2026-06-20T08:10:00Z', { category: 'shoes', price: 70 }, 'Europe/Berlin', 'de-DE'),
    // 20:00 in Berlin (CET, +1): outside a 30-day window
    view(ANNA, '2026-03-01T19:00:00Z', { category: 'bags', price: 200 }, 'Europe/Berlin', 'en-GB'),
    // From the outlet's source; a zone PostgreSQL does not know gives no local hour; a price that is not a number
    view(ANNA, '2026-06-25T20:00:00Z', { category: 'hats', price: 'cheap' }, 'Mars/Olympus', 'de-DE', sources.shop),
    {
      customerId: ANNA,
      sourceId: sources.web,
      type: 'page',
      event: null,
      at: '2026-06-28T08:00:00Z',
      timezone: 'Europe/Berlin',
      locale: 'de-DE',
      properties: null,
    },
    // 21:00 on the 29th in New York (EDT, −4)
    view(BEN, '2026-06-30T01:00:00Z', { category: 'bags', price: 10 }, 'America/New_York', 'en-US'),
  ]);
  await insertOrder(sql, {
    sourceId: sources.shop,
    id: 'o1',
    customerId: ANNA,
    localDate: '2026-05-01',
    country: 'DE',
    reportingMinor: 10000,
  });
  await insertOrder(sql, {
    sourceId: sources.shop,
    id: 'o2',
    customerId: ANNA,
    localDate: '2026-06-15',
    country: 'AT',
    reportingMinor: 5000,
  });
  await insertOrder(sql, {
    sourceId: sources.shop,
    id: 'o3',
    customerId: ANNA,
    localDate: '2026-06-20',
    country: 'AT',
    reportingMinor: 3000,
    status: 'cancelled',
  });
  // No reporting amount (no FX rate): an order, but no revenue.
  await insertOrder(sql, {
    sourceId: sources.web,
    id: 'o4',
    customerId: ANNA,
    localDate: '2025-12-24',
    country: 'DE',
    reportingMinor: null,
  });
  await sql`
    insert into consent_subjects (customer_id, country, jurisdiction) values (${CARLA}, 'FR', 'gdpr')
    on conflict do nothing`;
}
