import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changesAwaitingFacts, rebuildAudienceFacts } from '../../db/audience-facts-store';
import { AudienceProcessor, segmentMembershipReactor } from '../../db/audience-processor';
import {
  applySegmentMembership,
  consumeMembershipEvents,
  createSegment,
  evaluateSegment,
  isStatementTimeout,
  membershipHistory,
  previewSegment,
  recomputeSegment,
  type SegmentScope,
} from '../../db/segments-store';
import { compileRules } from '../../domain/data-categories';
import { parseSegmentDefinition, type SegmentNode } from '../../domain/segments';
import { createTestDeployment, TestDeployment } from '../support/deployment';

/**
 * The segment compiler and membership on a real region database, rows written directly: each
 * condition type picks exactly the people it should, membership moves happen once and keep their
 * history, and the membership outbox is consumed exactly once.
 */

const group: SegmentScope = { visibleSourceIds: null, consentBrand: null, regionCountries: () => ['DE', 'FR'] };

describe('segments in SQL', () => {
  let d: TestDeployment;
  let sql: Sql;
  const p = {
    ana: randomUUID(),
    ben: randomUUID(),
    cleo: randomUUID(),
    dev: randomUUID(),
  };
  const ids = Object.values(p);

  // The workspace classified `interests` (unknown keys stay sealed and cannot be used).
  const rules = compileRules([
    { match: { key: 'interests' }, category: 'user.behavior' },
    { match: { key: 'note' }, category: 'user.behavior' },
  ]);
  const def = (input: unknown): SegmentNode => {
    const parsed = parseSegmentDefinition(input, rules);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.definition;
  };
  const members = async (input: unknown, scope = group, restrict: string[] | null = null) =>
    (await evaluateSegment(sql, def(input), scope, restrict)).sort();
  const sorted = (...xs: string[]) => [...xs].sort();

  beforeAll(async () => {
    d = await createTestDeployment('segstore');
    sql = d.regional('eu').sql;
    await sql`select 1`;
    await sql`insert into profiles (customer_id) select unnest(${ids}::uuid[])`;
    await sql`select meridian_ensure_events_partition(date_trunc('month', now())::date)`;
    await sql`select meridian_ensure_events_partition((date_trunc('month', now()) - interval '1 month')::date)`;
    const event = (customer: string, name: string, daysAgo: number, source = 'src_shop', extra: object = {}) => sql`
      insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp, timezone,
                          payload_sealed, properties)
      values (gen_random_uuid(), now(), ${source}, ${randomUUID()}, ${customer}, ${customer}, 'track', ${name},
              now() - make_interval(days => ${daysAgo}), ${(extra as { tz?: string }).tz ?? null}, '\\x00',
              ${JSON.stringify((extra as { props?: object }).props ?? null)}::jsonb)`;
    await event(p.ana, 'Product Viewed', 2, 'src_shop', { tz: 'Asia/Tokyo', props: { category: 'shoes' } });
    await event(p.ana, 'Product Viewed', 1, 'src_shop', { props: { category: 'bags' } });
    await event(p.ben, 'Product Viewed', 3, 'src_other');
    await event(p.ben, 'Order Completed', 1, 'src_other');
    await event(p.cleo, 'Product Viewed', 20);
    await event(p.dev, 'Product Viewed', 1, 'src_shop', { tz: 'Not/AZone' });
    await sql`insert into profile_traits (customer_id, key, value, category, source_id, observed_at) values
      (${p.ana}, 'plan', '"pro"', 'user.account', 'src_shop', now()),
      (${p.ben}, 'plan', '"free"', 'user.account', 'src_other', now()),
      (${p.ana}, 'age', '34', 'user.demographic.age', 'src_shop', now()),
      (${p.ben}, 'age', '19', 'user.demographic.age', 'src_other', now()),
      (${p.cleo}, 'age', '"unknown"', 'user.demographic.age', 'src_shop', now()),
      (${p.cleo}, 'interests', '["running","yoga"]', 'user.behavior', 'src_shop', now())`;
    await sql`insert into computed_trait_values (customer_id, trait_id, value) values
      (${p.ana}, 'orders_count', '3'), (${p.ben}, 'orders_count', '0'), (${p.dev}, 'home_market', '"FR"')`;
    await sql`insert into tag_assignments (customer_id, tag_key, origin) values (${p.cleo}, 'vip', 'manual')`;
    // ana: DE (GDPR, email opt-in: denied by default) but granted; ben: US-CA (opt-out: granted by
    // default) but withdrew; cleo: DE, no choice.
    await sql`insert into consent_subjects (customer_id, country, us_state, jurisdiction) values
      (${p.ana}, 'DE', null, 'GDPR'), (${p.ben}, 'US', 'CA', 'CCPA'), (${p.cleo}, 'DE', null, 'GDPR')`;
    await sql`insert into consent_records (customer_id, purpose, state, source, recorded_at, proof_kind, proof_reference) values
      (${p.ana}, 'emailMarketing', 'granted', 'admin', now() - interval '1 day', 'form', 'a'),
      (${p.ben}, 'emailMarketing', 'granted', 'admin', now() - interval '2 days', 'form', 'b1'),
      (${p.ben}, 'emailMarketing', 'withdrawn', 'admin', now() - interval '1 day', 'form', 'b2')`;
    const order = (
      customer: string,
      id: string,
      minor: number,
      daysAgo: number,
      source = 'src_shop',
      currency = 'EUR',
    ) =>
      sql`insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, reporting_total_minor,
                              placed_at, time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
          values (${source}, ${id}, ${customer}, ${currency}, ${minor}, 'EUR', ${minor}, now() - make_interval(days => ${daysAgo}),
                  'Europe/Berlin', current_date, 12, 'closed', 1, now())`;
    await order(p.ana, 'o1', 5000, 3);
    await order(p.ana, 'o2', 7000, 40);
    await order(p.ben, 'o3', 200_00, 2, 'src_other', 'USD');
    // Written straight to the tables (no audience changes): the facts segments read are built here,
    // as the audience processor would have kept them.
    await rebuildAudienceFacts(sql);
  }, 120_000);
  afterAll(async () => {
    await d?.close();
  });

  it('trait conditions compare numbers as numbers and text as text, never failing on a mixed column', async () => {
    expect(await members({ type: 'trait', key: 'plan', op: 'eq', value: 'pro' })).toEqual([p.ana]);
    expect(await members({ type: 'trait', key: 'plan', op: 'neq', value: 'pro' })).toEqual([p.ben]);
    expect(await members({ type: 'trait', key: 'plan', op: 'in', value: ['pro', 'free'] })).toEqual(
      sorted(p.ana, p.ben),
    );
    expect(await members({ type: 'trait', key: 'age', op: 'gte', value: 21 })).toEqual([p.ana]);
    expect(await members({ type: 'trait', key: 'age', op: 'lt', value: 21 })).toEqual([p.ben]);
    expect(await members({ type: 'trait', key: 'age', op: 'exists' })).toEqual(sorted(p.ana, p.ben, p.cleo));
    expect(await members({ type: 'trait', key: 'interests', op: 'contains', value: 'yoga' })).toEqual([p.cleo]);
    expect(await members({ type: 'trait', key: 'plan', op: 'contains', value: 'fre' })).toEqual([p.ben]);
  });

  it('trait equality is exact for short and long values, numbers of any scale', async () => {
    const long = 'x'.repeat(300);
    await sql`insert into profile_traits (customer_id, key, value, category, source_id, observed_at) values
      (${p.ana}, 'note', '1.0', 'user.behavior', 'src_shop', now()),
      (${p.ben}, 'note', '1', 'user.behavior', 'src_shop', now()),
      (${p.cleo}, 'note', ${JSON.stringify(long)}::jsonb, 'user.behavior', 'src_shop', now()),
      (${p.dev}, 'note', '["a", "b", 2.50]', 'user.behavior', 'src_other', now())`;
    try {
      // Numbers go by the value's hash (1.0 = 1), long values too; short ones by the value itself.
      expect(await members({ type: 'trait', key: 'note', op: 'eq', value: 1 })).toEqual(sorted(p.ana, p.ben));
      expect(await members({ type: 'trait', key: 'note', op: 'eq', value: long })).toEqual([p.cleo]);
      expect(await members({ type: 'trait', key: 'note', op: 'eq', value: 'x' })).toEqual([]);
      expect(await members({ type: 'trait', key: 'note', op: 'eq', value: 'a' })).toEqual([]);
      expect(await members({ type: 'trait', key: 'note', op: 'in', value: [2.5, 'b'] })).toEqual([]);
      expect(await members({ type: 'trait', key: 'note', op: 'in', value: [long, 'y'] })).toEqual([p.cleo]);
      expect(await members({ type: 'trait', key: 'note', op: 'in', value: ['y', 'z'] })).toEqual([]);
      expect(await members({ type: 'trait', key: 'plan', op: 'in', value: ['pro', true] })).toEqual([p.ana]);
      // A brand sees the values of its sources only, the short ones too.
      const shop = { ...group, visibleSourceIds: ['src_shop'] };
      expect(await members({ type: 'trait', key: 'plan', op: 'eq', value: 'free' }, shop)).toEqual([]);
      expect(await members({ type: 'trait', key: 'plan', op: 'eq', value: 'pro' }, shop)).toEqual([p.ana]);
    } finally {
      await sql`delete from profile_traits where key = 'note'`;
    }
  });

  it('computed traits, tags (has and has not) and market by consent country or home market', async () => {
    expect(await members({ type: 'computedTrait', id: 'orders_count', op: 'gt', value: 0 })).toEqual([p.ana]);
    expect(await members({ type: 'tag', key: 'vip' })).toEqual([p.cleo]);
    expect(await members({ type: 'tag', key: 'vip', has: false })).toEqual(sorted(p.ana, p.ben, p.dev));
    expect(await members({ type: 'market', countries: ['DE'] })).toEqual(sorted(p.ana, p.cleo));
    expect(await members({ type: 'market', countries: ['FR'] })).toEqual([p.dev]);
    // A region names its countries (here DE and FR).
    expect(await members({ type: 'market', regions: ['eu'] })).toEqual(sorted(p.ana, p.cleo, p.dev));
  });

  it('consent is the latest choice, else the law’s default; withdrawn counts as denied; unknown people are not granted', async () => {
    expect(await members({ type: 'consent', purpose: 'emailMarketing', state: 'granted' })).toEqual([p.ana]);
    expect(await members({ type: 'consent', purpose: 'emailMarketing', state: 'denied' })).toEqual(
      sorted(p.ben, p.cleo, p.dev),
    );
    // Sale/sharing: CCPA grants by default (opt-out), GDPR has no such default grant here.
    const sale = await members({ type: 'consent', purpose: 'saleSharing', state: 'granted' });
    expect(sale).toContain(p.ben);
    expect(sale).not.toContain(p.dev);
  });

  it('event counts within windows, zero-count bounds, and property filters', async () => {
    expect(await members({ type: 'event', name: 'Product Viewed', withinDays: 7 })).toEqual(
      sorted(p.ana, p.ben, p.dev),
    );
    expect(await members({ type: 'event', name: 'Product Viewed', atLeast: 2 })).toEqual([p.ana]);
    // At most 0 in the last week: people who did not, including those who never did.
    expect(await members({ type: 'event', name: 'Product Viewed', atMost: 0, withinDays: 7 })).toEqual([p.cleo]);
    expect(
      await members({
        type: 'event',
        name: 'Product Viewed',
        where: [{ key: 'category', op: 'eq', value: 'shoes' }],
      }),
    ).toEqual([p.ana]);
  });

  it('did X but not Y: viewed within 7 days and no purchase (event or order) since', async () => {
    const retarget = { type: 'didNot', did: { name: 'Product Viewed' }, didNot: { purchase: true }, withinDays: 7 };
    // ben bought after viewing; cleo viewed too long ago.
    expect(await members(retarget)).toEqual(sorted(p.ana, p.dev));
    // ana's order o1 (3 days ago) came before her last view (1 day ago): still retargeted.
    // An order placed after dev's view removes dev.
    await sql`insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, reporting_total_minor,
                                  placed_at, time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
              values ('src_shop', 'o-dev', ${p.dev}, 'EUR', 100, 'EUR', 100, now(), 'Europe/Berlin', current_date, 12, 'closed', 1, now())`;
    expect(await members(retarget)).toEqual([p.ana]);
    await sql`update orders set status = 'cancelled' where external_id = 'o-dev'`;
    expect(await members(retarget)).toEqual(sorted(p.ana, p.dev));
  });

  it('orders: count and reporting-currency amount in windows, by currency and store; zero passes "at most"', async () => {
    expect(await members({ type: 'order', amount: { atLeast: 10_000 } })).toEqual(sorted(p.ana, p.ben));
    expect(await members({ type: 'order', amount: { atLeast: 10_000 }, withinDays: 30 })).toEqual([p.ben]);
    expect(await members({ type: 'order', count: { atLeast: 2 } })).toEqual([p.ana]);
    expect(await members({ type: 'order', currency: 'USD' })).toEqual([p.ben]);
    expect(await members({ type: 'order', storeIds: ['src_shop'] })).toEqual([p.ana]);
    expect(await members({ type: 'order', count: { atMost: 0 } })).toEqual(sorted(p.cleo, p.dev));
  });

  it('AND / OR / NOT nest, and an incremental evaluation sees only the people asked about', async () => {
    const node = {
      all: [
        {
          any: [
            { type: 'tag', key: 'vip' },
            { type: 'trait', key: 'plan', op: 'eq', value: 'pro' },
          ],
        },
        { not: { type: 'market', countries: ['FR'] } },
      ],
    };
    expect(await members(node)).toEqual(sorted(p.ana, p.cleo));
    expect(await members(node, group, [p.cleo, p.dev])).toEqual([p.cleo]);
  });

  it('local time uses the zone of the person’s latest event that names one PostgreSQL knows', async () => {
    const [{ hour }] =
      (await sql`select extract(hour from now() at time zone 'Asia/Tokyo')::int as hour`) as unknown as [
        { hour: number },
      ];
    expect(await members({ type: 'localTime', hours: { from: hour, to: (hour + 1) % 24 || 24 } })).toEqual([p.ana]);
    expect(await members({ type: 'localTime', hours: { from: (hour + 1) % 24, to: hour === 0 ? 24 : hour } })).toEqual(
      [],
    );
  });

  it('a brand segment sees only the sources it may read', async () => {
    const brand: SegmentScope = { ...group, visibleSourceIds: ['src_shop'] };
    expect(await members({ type: 'trait', key: 'plan', op: 'exists' }, brand)).toEqual([p.ana]);
    // ben's purchase came from a source the brand may not see: to the brand, he viewed nothing either.
    expect(await members({ type: 'event', name: 'Product Viewed', withinDays: 7 }, brand)).toEqual(
      sorted(p.ana, p.dev),
    );
    expect(await members({ type: 'order', count: { atLeast: 1 } }, brand)).toEqual([p.ana]);
  });

  it('a preview past its time limit fails as a statement timeout instead of answering an estimate', async () => {
    // Another session holds the profiles table: the preview waits, and its limit ends it.
    const holder = d.regional('eu').sql;
    const held = holder.begin(async (tx) => {
      await tx`lock table profiles in access exclusive mode`;
      await new Promise((r) => setTimeout(r, 2_000));
    });
    await new Promise((r) => setTimeout(r, 200));
    const error = await previewSegment(sql, def({ type: 'trait', key: 'plan', op: 'eq', value: 'pro' }), group, [], 300)
      .then(() => undefined)
      .catch((e: unknown) => e);
    await held;
    expect(isStatementTimeout(error)).toBe(true);
  });

  it('previews count and sample without writing membership', async () => {
    const preview = await previewSegment(sql, def({ type: 'event', name: 'Product Viewed' }), group, [p.ben]);
    expect(preview.count).toBe(4);
    expect(preview.sample).toEqual(sorted(...ids));
    expect(preview.multiRegionMembers).toEqual([p.ben]);
  });

  describe('membership', () => {
    let n = 0;
    let segmentId: string;
    beforeEach(() => {
      segmentId = `seg_store${++n}`;
    });

    it('applies moves once, keeps history across versions, and a stay survives a new version', async () => {
      const v1 = { id: segmentId, version: 1, definition: def({ type: 'trait', key: 'age', op: 'exists' }) };
      expect(await applySegmentMembership(sql, v1, group, null)).toEqual({
        entered: sorted(p.ana, p.ben, p.cleo),
        exited: [],
      });
      // Applying again, concurrently: nothing moves twice.
      const again = await Promise.all([
        applySegmentMembership(sql, v1, group, null),
        applySegmentMembership(sql, v1, group, [p.ana]),
      ]);
      expect(again).toEqual([
        { entered: [], exited: [] },
        { entered: [], exited: [] },
      ]);
      const v2 = { id: segmentId, version: 2, definition: def({ type: 'trait', key: 'age', op: 'gte', value: 18 }) };
      expect(await applySegmentMembership(sql, v2, group, null)).toEqual({ entered: [], exited: [p.cleo] });
      expect(await membershipHistory(sql, segmentId, p.ana)).toEqual([
        expect.objectContaining({ version: 1, exitedAt: null }),
      ]);
      const cleo = await membershipHistory(sql, segmentId, p.cleo);
      expect(cleo).toHaveLength(1);
      expect(cleo[0]!.exitedAt).not.toBeNull();
      const moves = await sql`select customer_id, kind, version from segment_membership_events
        where segment_id = ${segmentId} order by id`;
      expect(moves.filter((m) => m.kind === 'entered')).toHaveLength(3);
      expect(moves.filter((m) => m.kind === 'exited').map((m) => [m.customer_id, m.version])).toEqual([[p.cleo, 2]]);
    });

    it('a full recompute, one set-based pass over the region, ends with the same members and notes who moved', async () => {
      const segment = { id: segmentId, version: 1, definition: def({ type: 'event', name: 'Product Viewed' }) };
      expect(await recomputeSegment(sql, segment, group)).toEqual({ entered: 4, exited: 0 });
      // Again: nothing moves, nothing is written twice.
      expect(await recomputeSegment(sql, segment, group)).toEqual({ entered: 0, exited: 0 });
      const outbox = await sql`select kind from segment_membership_events where segment_id = ${segmentId}`;
      expect(outbox.filter((m) => m.kind === 'entered')).toHaveLength(4);
      const current =
        await sql`select customer_id from segment_membership where segment_id = ${segmentId} and exited_at is null`;
      expect(current.map((r) => r.customer_id).sort()).toEqual(sorted(...ids));
      // Who moved is noted for what follows membership (rule tags), as ingest notes it.
      const noted = await sql`select customer_id from audience_changes where cause = 'segment'`;
      expect(noted.map((r) => r.customer_id).sort()).toEqual(sorted(...ids));
      await sql`delete from audience_changes`;
      // A narrower version: Dev (no age) leaves, once, with the version that moved him; his stay is kept.
      const v2 = {
        ...segment,
        version: 2,
        definition: def({
          all: [
            { type: 'event', name: 'Product Viewed' },
            { type: 'trait', key: 'age', op: 'exists' },
          ],
        }),
      };
      expect(await recomputeSegment(sql, v2, group)).toEqual({ entered: 0, exited: 1 });
      expect(await recomputeSegment(sql, v2, group)).toEqual({ entered: 0, exited: 0 });
      const exits = await sql`select customer_id, version from segment_membership_events
        where segment_id = ${segmentId} and kind = 'exited'`;
      expect(exits.map((m) => [m.customer_id, m.version])).toEqual([[p.dev, 2]]);
      const dev = await membershipHistory(sql, segmentId, p.dev);
      expect(dev).toEqual([expect.objectContaining({ version: 1, exitedAt: expect.any(String) })]);
      const stayed = await membershipHistory(sql, segmentId, p.ana);
      expect(stayed).toEqual([expect.objectContaining({ version: 1, exitedAt: null })]);
      const notedExit = await sql`select customer_id from audience_changes where cause = 'segment'`;
      expect(notedExit.map((r) => r.customer_id)).toEqual([p.dev]);
      await sql`delete from audience_changes`;
    });

    it('the people awaiting the processor are found by the partial index, not by reading every note', async () => {
      // The index's predicate must stay the one PostgreSQL can prove from changesAwaitingFacts'
      // condition (its NEITHER list): with sequential scans off, the plan shows whether it can.
      const plan = await sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        return tx<{ 'QUERY PLAN': string }[]>`explain ${changesAwaitingFacts(tx)}`;
      });
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('audience_changes_awaiting_facts');
    });

    it('the outbox is consumed exactly once: a failed handler advances nothing, two consumers never share a move', async () => {
      const segment = { id: segmentId, version: 1, definition: def({ type: 'trait', key: 'plan', op: 'exists' }) };
      await applySegmentMembership(sql, segment, group, null);
      const consumer = `journeys-${segmentId}`;
      // Start at this segment's moves (the other tests' came before).
      await sql`insert into membership_consumers (consumer, last_event_id) values (${consumer}, ${
        (await sql`select min(id) - 1 as id from segment_membership_events where segment_id = ${segmentId}`)[0]!.id
      })`;
      await expect(
        consumeMembershipEvents(sql, consumer, async () => {
          throw new Error('journey start failed');
        }),
      ).rejects.toThrow('journey start failed');
      const seen: string[] = [];
      const handle = async (events: { segmentId: string; customerId: string }[]) => {
        await new Promise((r) => setTimeout(r, 50));
        for (const e of events) if (e.segmentId === segmentId) seen.push(e.customerId);
      };
      const counts = await Promise.all([
        consumeMembershipEvents(sql, consumer, handle, 1),
        consumeMembershipEvents(sql, consumer, handle, 1),
        consumeMembershipEvents(sql, consumer, handle, 1),
      ]);
      expect(counts.filter((c) => c === 1).length).toBeGreaterThanOrEqual(2);
      while ((await consumeMembershipEvents(sql, consumer, handle)) > 0);
      expect(seen.sort()).toEqual(sorted(p.ana, p.ben));
    });

    it('the audience processor claims changes, moves people, deletes the rows, and a crashed claim is taken again', async () => {
      const global = d.global().sql;
      await createSegment(global, {
        id: segmentId,
        name: 'vip',
        owner: 'eu',
        brandId: null,
        definition: def({ type: 'tag', key: 'vip' }),
        changedBy: 'test',
      });
      const reactor = segmentMembershipReactor({ globalSql: global, region: 'eu', regions: d.config.regions });
      let failNext = true;
      const processor = new AudienceProcessor(sql, [
        async (s, customers, causes) => {
          if (failNext) {
            failNext = false;
            throw new Error('worker died mid-batch');
          }
          await reactor(s, customers, causes);
        },
      ]);
      await sql`insert into tag_assignments (customer_id, tag_key, origin) values (${p.dev}, 'vip', 'manual')`;
      await sql`insert into audience_changes (customer_id, cause) values (${p.dev}, 'tag'), (${p.cleo}, 'tag')`;
      await expect(processor.processBatch()).rejects.toThrow('worker died mid-batch');
      expect((await sql`select count(*)::int as n from audience_changes`)[0]!.n).toBe(2);
      expect(await processor.processBatch()).toBe(2);
      expect((await sql`select count(*)::int as n from audience_changes`)[0]!.n).toBe(0);
      const current =
        await sql`select customer_id from segment_membership where segment_id = ${segmentId} and exited_at is null`;
      // Only the people named were evaluated (ana, ben are not tagged anyway; cleo and dev are).
      expect(current.map((r) => r.customer_id).sort()).toEqual(sorted(p.cleo, p.dev));
      await sql`delete from tag_assignments where customer_id = ${p.dev}`;
    });
  });
});
