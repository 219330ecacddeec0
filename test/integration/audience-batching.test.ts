import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceFactsReactor } from '../../db/audience-facts-store';
import { AudienceProcessor, COALESCE_FACTOR, segmentMembershipReactor } from '../../db/audience-processor';
import {
  computedTraitsReactor,
  loadComputedTraits,
  recomputeComputedTraits,
  seedBuiltInTraits,
} from '../../db/computed-traits-store';
import { createSegment } from '../../db/segments-store';
import type { SegmentNode } from '../../domain/segments';
import { createTestDeployment, type TestDeployment } from '../support/deployment';

/**
 * The audience processor batches its work (one statement per segment or trait for all the people
 * of a batch, several changes of one person taken together): the same changes, processed one at a time or all in one batch, must leave the same
 * facts, computed values and membership.
 */

const SEGMENTS: [string, unknown][] = [
  ['viewed twice', { type: 'event', name: 'Product Viewed', atLeast: 2 }],
  [
    'browsed, never viewed a product',
    {
      all: [{ type: 'event', name: 'Page Viewed', withinDays: 7 }, { not: { type: 'event', name: 'Product Viewed' } }],
    },
  ],
  [
    'viewed, no purchase in 7 days',
    { type: 'didNot', did: { name: 'Product Viewed' }, didNot: { purchase: true }, withinDays: 7 },
  ],
  ['two orders', { type: 'computedTrait', id: 'orders_count', op: 'gte', value: 2 }],
  ['spent 100', { type: 'order', amount: { atLeast: 10_000 } }],
  ['seen in Berlin', { type: 'computedTrait', id: 'preferred_language', op: 'eq', value: 'de-DE' }],
];

/** One person's activity, in steps; each step writes its rows and the change notes the writers write. */
type Step = { event: string; hoursAgo: number; locale?: string } | { order: number; hoursAgo: number };
const STEPS: Step[][] = [
  [{ event: 'Page Viewed', hoursAgo: 30 }],
  [
    { event: 'Page Viewed', hoursAgo: 20, locale: 'de-DE' },
    { event: 'Product Viewed', hoursAgo: 10 },
  ],
  [
    { event: 'Product Viewed', hoursAgo: 9 },
    { order: 6_000, hoursAgo: 8 },
    { event: 'Order Completed', hoursAgo: 8 },
  ],
  [
    { order: 7_000, hoursAgo: 2 },
    { event: 'Page Viewed', hoursAgo: 1, locale: 'de-DE' },
  ],
  [{ event: 'Product Viewed', hoursAgo: 0.5 }],
];

describe('audience processor batching', () => {
  let d: TestDeployment;
  let sql: Sql;
  let global: Sql;
  // The same activity for two groups: one processed change by change, the other in one batch.
  const people = 5;
  const single = Array.from({ length: people }, () => randomUUID());
  const batched = Array.from({ length: people }, () => randomUUID());
  const coalesced = Array.from({ length: people }, () => randomUUID());
  const base = Date.now();

  async function write(customerId: string, person: number, step: number, serial: string) {
    // Person i takes steps i.. of the list (different people, different histories).
    for (const [n, item] of STEPS[step]!.entries()) {
      const at = new Date(base - item.hoursAgo * 3_600_000 + person * 1000 + n).toISOString();
      if ('event' in item) {
        await sql`
          insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
                              timezone, locale, payload_sealed, properties)
          values (gen_random_uuid(), ${at}, 'src_shop', ${`${serial}-${n}`}, ${customerId}, ${customerId}, 'track',
                  ${item.event}, ${at}, 'Europe/Berlin', ${item.locale ?? 'en-GB'}, '\\x00', '{}'::jsonb)`;
        await sql`insert into audience_changes (customer_id, cause) values (${customerId}, ${`event:${item.event}`})`;
      } else {
        await sql`
          insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency,
                              reporting_total_minor, placed_at, time_zone, local_date, local_hour, status, line_item_count,
                              source_updated_at, country_code)
          values ('src_shop', ${`${serial}-${n}`}, ${customerId}, 'EUR', ${item.order}, 'EUR', ${item.order}, ${at},
                  'Europe/Berlin', ${at.slice(0, 10)}::date, 12, 'closed', 1, now(), 'DE')`;
        await sql`insert into audience_changes (customer_id, cause) values (${customerId}, 'order')`;
      }
    }
  }

  const processor = (options: { batch: number; coalesce?: boolean }) =>
    new AudienceProcessor(
      sql,
      [
        audienceFactsReactor(),
        computedTraitsReactor(global, { concurrency: 3 }),
        segmentMembershipReactor({
          globalSql: global,
          region: 'eu',
          regions: d.config.regions,
          concurrency: 3,
          afterFacts: true,
        }),
      ],
      options,
    );

  /** What the processor keeps for `ids`, with each person named by their position (the two groups compare). */
  async function state(ids: string[]) {
    const name = (id: string) => `p${ids.indexOf(id)}`;
    const named = <T extends { customer_id: string }>(rows: readonly T[]) =>
      rows
        .map(({ customer_id, ...rest }) => ({ person: name(customer_id), ...rest }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return {
      events: named(
        await sql<{ customer_id: string }[]>`
        select customer_id, event, source_id, total, recent::text from event_facts where customer_id = any(${ids}::uuid[])`,
      ),
      recent: named(
        await sql<{ customer_id: string }[]>`
        select customer_id, event, k, at::text from event_facts_recent where customer_id = any(${ids}::uuid[])`,
      ),
      orders: named(
        await sql<{ customer_id: string }[]>`
        select customer_id, source_id, currency, orders, amount::text, first_at::text from order_facts
        where customer_id = any(${ids}::uuid[])`,
      ),
      values: named(
        await sql<{ customer_id: string }[]>`
        select customer_id, trait_id, value from computed_trait_values where customer_id = any(${ids}::uuid[])`,
      ),
      members: named(
        await sql<{ customer_id: string }[]>`
        select customer_id, segment_id from segment_membership
        where exited_at is null and customer_id = any(${ids}::uuid[])`,
      ),
    };
  }

  beforeAll(async () => {
    d = await createTestDeployment('audbatch');
    sql = d.regional('eu').sql;
    global = d.global().sql;
    await seedBuiltInTraits(global);
    for (const [i, [name, definition]] of SEGMENTS.entries())
      await createSegment(global, {
        id: `seg_batch${i}`,
        name,
        owner: 'group',
        brandId: null,
        definition: definition as SegmentNode,
        changedBy: 'test',
      });
    await sql`insert into profiles (customer_id) select unnest(${[...single, ...batched, ...coalesced]}::uuid[])`;
    for (let m = 0; m <= 1; m++)
      await sql`select meridian_ensure_events_partition((date_trunc('month', now()) - make_interval(months => ${m}))::date)`;
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('several people with several changes each, in one batch, end as processed change by change', async () => {
    // One group: each change written, then processed alone, one row per batch.
    const oneByOne = processor({ batch: 1, coalesce: false });
    for (let step = 0; step < STEPS.length; step++)
      for (let i = 0; i < people; i++) {
        if (step < i % 3) continue;
        await write(single[i]!, i, step, `single-${i}-${step}`);
        while ((await oneByOne.processBatch()) > 0);
      }
    // The other: every change of every person waiting, then one batch takes them all.
    for (let step = 0; step < STEPS.length; step++)
      for (let i = 0; i < people; i++) if (step >= i % 3) await write(batched[i]!, i, step, `batched-${i}-${step}`);
    const waiting = (await sql<{ n: number }[]>`select count(*)::int as n from audience_changes`)[0]!.n;
    expect(waiting).toBeGreaterThan(people * 2);
    const all = processor({ batch: 10_000 });
    expect(await all.processBatch()).toBe(waiting);
    // Moves the first batch noted (none are rule tags here) leave nothing else to do.
    while ((await all.processBatch()) > 0);

    const one = await state(single);
    const many = await state(batched);
    expect(many).toEqual(one);
    // The fixture reaches every kind of result: facts, values and members of several segments.
    expect(one.events.length).toBeGreaterThan(people * 2);
    expect(one.orders.length).toBeGreaterThan(0);
    expect(new Set(one.values.map((v) => (v as unknown as { trait_id: string }).trait_id)).size).toBeGreaterThan(4);
    expect(new Set(one.members.map((m) => (m as unknown as { segment_id: string }).segment_id)).size).toBeGreaterThan(
      3,
    );
    // Each batched person entered each of their segments once: no stay opened twice, none left open twice.
    const entries = await sql<{ n: number }[]>`
      select count(*)::int as n from segment_membership_events
      where kind = 'entered' and customer_id = any(${batched}::uuid[])`;
    expect(entries[0]!.n).toBe(one.members.length);
  }, 300_000);

  it('a full claim also takes the waiting changes of its people, and ends as change by change', async () => {
    // Runs after the test above, whose one-by-one group is the reference.
    for (let step = 0; step < STEPS.length; step++)
      for (let i = 0; i < people; i++) if (step >= i % 3) await write(coalesced[i]!, i, step, `coalesced-${i}-${step}`);
    const waiting = await sql<{ customer_id: string }[]>`select customer_id from audience_changes order by id`;
    const batch = 3;
    const claimed = new Set(waiting.slice(0, batch).map((r) => r.customer_id));
    const theirs = waiting.filter((r) => claimed.has(r.customer_id)).length;
    // The fixture has later changes of the first claim's people beyond it, and changes of others.
    expect(theirs).toBeGreaterThan(batch);
    expect(theirs).toBeLessThan(waiting.length);
    const behind = processor({ batch });
    expect(await behind.processBatch()).toBe(Math.min(theirs, batch * (1 + COALESCE_FACTOR)));
    while ((await behind.processBatch()) > 0);

    const one = await state(single);
    expect(await state(coalesced)).toEqual(one);
    const entries = await sql<{ n: number }[]>`
      select count(*)::int as n from segment_membership_events
      where kind = 'entered' and customer_id = any(${coalesced}::uuid[])`;
    expect(entries[0]!.n).toBe(one.members.length);
    // The values the reactor kept (order traits share one read) are what each trait's own statement computes.
    const everyone = [...single, ...batched, ...coalesced];
    expect(await recomputeComputedTraits(sql, everyone, await loadComputedTraits(global), new Date())).toEqual([]);
  }, 300_000);
});
