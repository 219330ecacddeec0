import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE_RECENT_EVENTS,
  audienceFactsReactor,
  factsToRefresh,
  rebuildAudienceFacts,
} from '../../db/audience-facts-store';
import { AudienceProcessor } from '../../db/audience-processor';
import { evaluateSegment, evaluationSnapshot, type SegmentScope } from '../../db/segments-store';
import { seededRandom } from '../../domain/seeded-random';
import { parseSegmentDefinition, type SegmentNode } from '../../domain/segments';
import { createTestDeployment, type TestDeployment } from '../support/deployment';

/**
 * The per-person facts segments read (db/audience-facts-store.ts) against the straightforward
 * evaluation over events, orders and consent records: on a random fixture (sources, currencies,
 * refunds, cancellations, consent ties, brands), hundreds of random definitions must give the same
 * members, for the group and for a brand, for everyone and for a few; the facts the audience
 * processor keeps equal a rebuild from the tables; and changes the processor has not taken yet are
 * still answered exactly.
 */

const NAMES = ['Product Viewed', 'Product Added', 'Order Completed', 'Signed Up', 'Never Happened'];
const SOURCES = ['src_a', 'src_b', 'src_c'];
const CURRENCIES = ['EUR', 'USD', 'JPY'];
const PURPOSES = ['emailMarketing', 'smsMarketing', 'push', 'personalisedAds'] as const;

describe('segments from per-person facts', () => {
  let d: TestDeployment;
  let sql: Sql;
  const people = Array.from({ length: 60 }, () => randomUUID()).sort();
  const random = seededRandom(20261207);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const chance = (p: number) => random() < p;

  /** Writes a person's events, orders and consent as the writers do: with their audience changes. */
  async function writeActivity(customerId: string, scale: number) {
    const causes = new Set<string>();
    const events = Math.floor(random() * 14 * scale);
    for (let i = 0; i < events; i++) {
      const name = pick(NAMES.slice(0, 4));
      // Seconds apart over 100 days, so windows cut between a person's events.
      const ago = random() * 100 * 86_400;
      await sql`
        insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
                            payload_sealed, properties)
        values (gen_random_uuid(), now(), ${pick(SOURCES)}, ${randomUUID()}, ${customerId}, ${customerId}, 'track', ${name},
                now() - make_interval(secs => ${ago}), '\\x00', ${JSON.stringify({ price: Math.floor(random() * 200) })}::jsonb)`;
      causes.add(`event:${name}`);
    }
    const orders = Math.floor(random() * 5 * scale);
    for (let i = 0; i < orders; i++) {
      const minor = chance(0.1) ? -Math.floor(random() * 5000) : Math.floor(random() * 30_000);
      await sql`
        insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, reporting_total_minor,
                            placed_at, time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
        values (${pick(SOURCES)}, ${randomUUID()}, ${customerId}, ${pick(CURRENCIES)}, ${minor}, 'EUR',
                ${chance(0.05) ? null : minor}, now() - make_interval(secs => ${random() * 500 * 86_400}),
                'Europe/Berlin', current_date, 12, ${chance(0.15) ? 'cancelled' : 'closed'}, 1, now())`;
      causes.add('order');
    }
    const records = Math.floor(random() * 4 * scale);
    // Ties on purpose: two records at the same instant (a denial wins).
    const instant = new Date(Date.now() - Math.floor(random() * 50) * 86_400_000).toISOString();
    for (let i = 0; i < records; i++) {
      await sql`
        insert into consent_records (customer_id, purpose, state, source, recorded_at, proof_kind, proof_reference, brand_id)
        values (${customerId}, ${pick(PURPOSES)}, ${pick(['granted', 'denied', 'withdrawn'])}, 'test',
                ${chance(0.3) ? instant : new Date(Date.now() - random() * 80 * 86_400_000).toISOString()}::timestamptz,
                'form', ${randomUUID()}, ${chance(0.3) ? 'acme' : null})`;
      causes.add('consent');
    }
    for (const cause of causes)
      await sql`insert into audience_changes (customer_id, cause) values (${customerId}, ${cause})`;
  }

  /** A random definition of event, order, consent and trait conditions, nested up to three levels. */
  function randomDefinition(depth = 0): unknown {
    if (depth < 3 && chance(0.35)) {
      if (chance(0.2)) return { not: randomDefinition(depth + 1) };
      const children = Array.from({ length: 2 + Math.floor(random() * 2) }, () => randomDefinition(depth + 1));
      return chance(0.5) ? { all: children } : { any: children };
    }
    const bound = () =>
      pick([0, 1, 2, 3, AUDIENCE_RECENT_EVENTS - 1, AUDIENCE_RECENT_EVENTS, AUDIENCE_RECENT_EVENTS + 2]);
    const window = () => pick([undefined, undefined, 1, 7, 30, 60, 365]);
    switch (pick(['event', 'event', 'event', 'order', 'order', 'order', 'consent', 'trait'])) {
      case 'event': {
        const lo = chance(0.6) ? bound() : undefined;
        const hi = chance(0.35) ? Math.max(lo ?? 0, bound()) : undefined;
        return {
          type: 'event',
          name: pick(NAMES),
          ...(lo === undefined ? {} : { atLeast: lo }),
          ...(hi === undefined ? {} : { atMost: hi }),
          ...(window() === undefined ? {} : { withinDays: pick([1, 7, 30, 60]) }),
          ...(chance(0.15) ? { where: [{ key: 'price', op: 'gte', value: 100 }] } : {}),
        };
      }
      case 'order': {
        const bounds = (scale: number) => {
          const lo = chance(0.6) ? Math.floor(random() * 3 * scale) : undefined;
          const hi = lo === undefined || chance(0.4) ? (lo ?? 0) + Math.floor(random() * 3 * scale) : undefined;
          return { ...(lo === undefined ? {} : { atLeast: lo }), ...(hi === undefined ? {} : { atMost: hi }) };
        };
        const within = window();
        return {
          type: 'order',
          ...(chance(0.6) ? { count: bounds(1) } : {}),
          ...(chance(0.5) ? { amount: bounds(20_000) } : {}),
          ...(chance(0.2) ? { currency: pick(CURRENCIES) } : {}),
          ...(chance(0.2) ? { storeIds: [pick(SOURCES)] } : {}),
          ...(within === undefined ? {} : { withinDays: within }),
        };
      }
      case 'consent':
        return { type: 'consent', purpose: pick(PURPOSES), state: pick(['granted', 'denied']) };
      default:
        return { type: 'trait', key: 'plan', op: 'eq', value: pick(['free', 'premium']) };
    }
  }

  const group: SegmentScope = { visibleSourceIds: null, consentBrand: null, regionCountries: () => [] };
  const brand: SegmentScope = { visibleSourceIds: ['src_a', 'src_c'], consentBrand: 'acme', regionCountries: () => [] };

  /** Every random definition answered both ways, for `times` definitions; returns how many members were compared. */
  async function compare(times: number, label: string) {
    let compared = 0;
    let nonEmpty = 0;
    for (let i = 0; i < times; i++) {
      const parsed = parseSegmentDefinition(randomDefinition());
      if (!parsed.ok) continue;
      const definition: SegmentNode = parsed.definition;
      const scope = chance(0.3) ? brand : group;
      const restrict = chance(0.25) ? people.filter(() => chance(0.3)) : null;
      const fast = (await evaluateSegment(sql, definition, scope, restrict)).sort();
      const straight = (await evaluateSegment(sql, definition, scope, restrict, { facts: false })).sort();
      expect(fast, `${label}: ${JSON.stringify(definition)} (${scope === brand ? 'brand' : 'group'})`).toEqual(
        straight,
      );
      // As a preview compiles it: for what its snapshot holds (anyone pending, the jurisdictions present).
      const snapshot = await evaluationSnapshot(sql);
      const previewed = (await evaluateSegment(sql, definition, scope, restrict, { snapshot })).sort();
      expect(previewed, `${label} (snapshot ${JSON.stringify(snapshot)}): ${JSON.stringify(definition)}`).toEqual(
        straight,
      );
      compared++;
      if (straight.length > 0 && straight.length < people.length) nonEmpty++;
    }
    return { compared, nonEmpty };
  }

  const drain = async () => {
    const processor = new AudienceProcessor(sql, [audienceFactsReactor()]);
    while ((await processor.processBatch()) > 0);
  };
  const snapshot = async () => ({
    events: await sql`select customer_id, event, source_id, total, recent::text from event_facts order by 1, 2, 3`,
    orders: await sql`select customer_id, source_id, currency, orders, amount::text, positive_amount::text,
        first_at::text, last_at::text from order_facts order by 1, 2, 3`,
    consent: await sql`select * from consent_facts order by 1, 2, 3`,
    recent: await sql`select customer_id, event, k, at::text from event_facts_recent order by 1, 2, 3`,
  });

  beforeAll(async () => {
    d = await createTestDeployment('facts');
    sql = d.regional('eu').sql;
    await sql`insert into profiles (customer_id) select unnest(${people}::uuid[])`;
    for (let m = 0; m <= 4; m++)
      await sql`select meridian_ensure_events_partition((date_trunc('month', now()) - make_interval(months => ${m}))::date)`;
    const jurisdictions = [
      ['DE', null, 'GDPR'],
      ['US', 'CA', 'CCPA'],
    ] as const;
    for (const customerId of people) {
      if (chance(0.8)) {
        const [country, state, jurisdiction] = pick(jurisdictions);
        await sql`insert into consent_subjects (customer_id, country, us_state, jurisdiction)
          values (${customerId}, ${country}, ${state}, ${jurisdiction})`;
      }
      if (chance(0.7))
        await sql`insert into profile_traits (customer_id, key, value, category, source_id, observed_at)
          values (${customerId}, 'plan', ${JSON.stringify(pick(['free', 'premium']))}::jsonb, 'user.account', 'src_a', now())`;
      await writeActivity(customerId, 1);
    }
    // One person merged away: never a member, whatever their facts say.
    await sql`update profiles set merged_into = ${people[1]!} where customer_id = ${people[0]!}`;
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('the audience processor keeps the facts a rebuild from the tables gives', async () => {
    await drain();
    expect((await sql`select count(*)::int as n from audience_changes`)[0]!.n).toBe(0);
    const kept = await snapshot();
    expect(kept.events.length).toBeGreaterThan(people.length);
    expect(kept.orders.length).toBeGreaterThan(people.length / 2);
    await rebuildAudienceFacts(sql);
    expect(await snapshot()).toEqual(kept);
  });

  it('random definitions: the facts give the same members as the events, orders and records', async () => {
    const { compared, nonEmpty } = await compare(300, 'processed');
    expect(compared).toBeGreaterThan(250);
    // The fixture separates people: most definitions pick some but not all.
    expect(nonEmpty).toBeGreaterThan(compared / 3);
  }, 120_000);

  it('changes the processor has not taken yet are answered exactly, then kept by it', async () => {
    // More activity (new events, orders, consent; a cancellation), with audience changes not processed.
    for (const customerId of people.filter(() => chance(0.4))) await writeActivity(customerId, 0.6);
    const [cancelled] = await sql<{ customer_id: string }[]>`
      update orders set status = 'cancelled'
      where (source_id, external_id) = (select source_id, external_id from orders where status <> 'cancelled' limit 1)
      returning customer_id`;
    await sql`insert into audience_changes (customer_id, cause) values (${cancelled!.customer_id}, 'order')`;
    expect((await sql`select count(*)::int as n from audience_changes`)[0]!.n).toBeGreaterThan(0);
    await compare(150, 'pending');
    await drain();
    const kept = await snapshot();
    await rebuildAudienceFacts(sql);
    expect(await snapshot()).toEqual(kept);
    await compare(150, 'processed again');
  }, 120_000);

  it('a page view refreshes all of its names, a merge everything, and consent or a tag no events', () => {
    expect(factsToRefresh(new Set(['event:Product Viewed', 'event:Signed Up']))).toEqual({
      events: new Set(['Product Viewed', 'Signed Up']),
      orders: false,
      consent: false,
    });
    expect(factsToRefresh(new Set(['event:Product Viewed', 'page']))).toMatchObject({ events: null, orders: false });
    expect(factsToRefresh(new Set(['merge']))).toEqual({ events: null, orders: true, consent: true });
    expect(factsToRefresh(new Set(['consent', 'tag', 'computed:last_seen', 'segment']))).toEqual({
      events: undefined,
      orders: false,
      consent: true,
    });
  });
});
