import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  computedTraitsReactor,
  createComputedTrait,
  loadComputedTraits,
  recomputeComputedTraits,
  seedBuiltInTraits,
} from '../../db/computed-traits-store';
import { traitDefinitionSchema } from '../../domain/computed-traits';
import { startWorkflow } from '../../temporal/workflow-types';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { ANNA, BEN, CARLA, insertEvents, loadFixture, NOW } from '../support/computed-traits-fixture';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { decodedHistory } from '../support/history';
import { bearerCaller } from '../support/admin-api';

/**
 * Computed traits on real PostgreSQL and Temporal: every kind checked against values worked out by
 * hand (test/support/computed-traits-fixture.ts), brand visibility, incremental recompute of a few
 * people, the sliding-window pass as a workflow in pages, and the admin API (bad definitions,
 * region scope, recompute on change).
 */

const US_TOKEN = `us-only-${'u'.repeat(24)}`;
const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;
const WEB = 'src_ct_web';
const SHOP = 'src_ct_shop';

describe('computed traits', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;

  const call = bearerCaller(() => base);
  /** Every value of a trait in eu, by customer. */
  const values = async (traitId: string) => {
    const rows = await d.regional('eu').sql<{ customer_id: string; value: unknown }[]>`
      select customer_id, value from computed_trait_values where trait_id = ${traitId}`;
    return Object.fromEntries(rows.map((r) => [r.customer_id, r.value]));
  };
  const define = async (id: string, definition: unknown, brandId: string | null = null) =>
    createComputedTrait(d.global().sql, {
      id,
      name: id,
      brandId,
      definition: traitDefinitionSchema.parse(definition),
    });

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('ctraits', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us,${EU_TOKEN}:eu`,
    });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    // The audience processor stays off: these tests read the outbox it would drain, and the values it
    // would recompute concurrently (it has its own tests in segments-store.test.ts).
    await d.startWorkers(['eu'], { MERIDIAN_AUDIENCES: 'off' });
    const g = d.global().sql;
    await g`select 1`;
    await g`insert into brands (id, name) values ('outlet', 'Outlet') on conflict do nothing`;
    for (const [id, brand] of [
      [WEB, 'default'],
      [SHOP, 'outlet'],
    ] as const) {
      await g`
        insert into sources (id, name, region, kind, brand_id, write_key_hash, write_key_hint)
        values (${id}, ${id}, 'eu', 'server', ${brand}, ${randomBytes(32)}, 'test')`;
    }
    for (const id of [ANNA, BEN, CARLA])
      await g`insert into customers (customer_id, home_region, regions) values (${id}, 'eu', ${['eu']})`;
    await d.regional('eu').sql`select 1`;
    await loadFixture(d.regional('eu').sql, { web: WEB, shop: SHOP });
  });
  afterAll(async () => {
    // Recomputes started for regions without a worker here: not left for another test file's workers.
    for (const region of ['us', 'apac'])
      for (const version of [1, 2])
        await d?.client.workflow
          .getHandle(`computed-traits-${region}-bag_views-v${version}`)
          .terminate('test over')
          .catch(() => undefined);
    await web?.close();
    await d?.close();
  });

  it('seeds the built-in traits once, however often it runs', async () => {
    // createMeridianWeb seeded them; the worker did too.
    expect(await seedBuiltInTraits(d.global().sql)).toEqual({ added: 0, changed: 0 });
    const rows = await d.global().sql<{ id: string; version: number }[]>`
      select id, version from computed_traits where built_in order by id`;
    expect(rows.map((r) => r.id)).toEqual(
      expect.arrayContaining(['orders_count', 'revenue', 'preferred_local_hour', 'home_market', 'channels_used']),
    );
    expect(rows.every((r) => r.version === 1)).toBe(true);
  });

  it('computes every kind as worked out by hand, in one pass over three people', async () => {
    await define('views_30d', { kind: 'event_count', where: { event: 'Product Viewed' }, window: { lastDays: 30 } });
    await define('shoe_views', {
      kind: 'event_count',
      where: { properties: [{ property: 'category', op: 'eq', value: 'shoes' }] },
    });
    await define('expensive_views', {
      kind: 'event_count',
      where: { properties: [{ property: 'price', op: 'gt', value: 60 }] },
    });
    await define('price_sum_30d', {
      kind: 'aggregation',
      function: 'sum',
      of: { property: 'price' },
      window: { lastDays: 30 },
    });
    await define('avg_price', { kind: 'aggregation', function: 'avg', of: { property: 'price' } });
    await define('max_price', { kind: 'aggregation', function: 'max', of: { property: 'price' } });
    await define('fav_category', { kind: 'most_frequent', of: { property: 'category' } });
    await define('first_category', { kind: 'first_value', of: { property: 'category' } });
    await define('last_category', { kind: 'last_value', of: { property: 'category' } });
    await define('categories', { kind: 'unique_list', of: { property: 'category' } });
    await define('category_count', { kind: 'unique_count', of: { property: 'category' } });
    await define('orders_30d', { kind: 'order_count', window: { lastDays: 30 } });
    // Brand visibility: the outlet sees its own source only; the default brand does not share with it.
    await define('outlet_views', { kind: 'event_count', where: { event: 'Product Viewed' } }, 'outlet');
    await define('outlet_revenue', { kind: 'order_sum' }, 'outlet');
    await define('default_revenue', { kind: 'order_sum' }, 'default');

    const traits = await loadComputedTraits(d.global().sql);
    expect(traits.find((t) => t.id === 'outlet_views')!.visibleSourceIds).toEqual([SHOP]);
    // Predictions are written by their workflow, not computed here.
    expect(traits.map((t) => t.id)).not.toContain('churn_risk');
    const changed = await recomputeComputedTraits(d.regional('eu').sql, [ANNA, BEN, CARLA], traits, NOW);
    expect(changed.sort()).toEqual([ANNA, BEN, CARLA].sort());

    // Orders: o1 100.00 DE + o2 50.00 AT count; o3 is cancelled; o4 has no reporting amount (counted, not summed).
    expect(await values('orders_count')).toEqual({ [ANNA]: 3, [BEN]: 0, [CARLA]: 0 });
    expect(await values('revenue')).toEqual({ [ANNA]: 15000, [BEN]: 0, [CARLA]: 0 });
    expect(await values('average_order_value')).toEqual({ [ANNA]: 7500 });
    expect(await values('first_order_date')).toEqual({ [ANNA]: '2025-12-24' });
    expect(await values('last_order_date')).toEqual({ [ANNA]: '2026-06-15' });
    expect(await values('orders_30d')).toEqual({ [ANNA]: 1, [BEN]: 0, [CARLA]: 0 });
    // Events: Anna's last is the 29 June view; local hours 10, 10, 20, 10 in Berlin (the Mars zone gives none).
    expect(await values('last_seen')).toEqual({
      [ANNA]: '2026-06-29T08:30:00.000Z',
      [BEN]: '2026-06-30T01:00:00.000Z',
    });
    expect(await values('preferred_local_hour')).toEqual({ [ANNA]: 10, [BEN]: 21 });
    expect(await values('preferred_language')).toEqual({ [ANNA]: 'de-DE', [BEN]: 'en-US' });
    // Home market: DE twice, AT once (the cancelled AT order does not count); Carla by her consent country.
    expect(await values('home_market')).toEqual({ [ANNA]: 'DE', [CARLA]: 'FR' });
    expect(await values('channels_used')).toEqual({ [ANNA]: [SHOP, WEB].sort(), [BEN]: [WEB] });
    // Views in the 30 days to 30 June: 29, 25 and 20 June (not 1 March).
    expect(await values('views_30d')).toEqual({ [ANNA]: 3, [BEN]: 1, [CARLA]: 0 });
    expect(await values('shoe_views')).toEqual({ [ANNA]: 2, [BEN]: 0, [CARLA]: 0 });
    expect(await values('expensive_views')).toEqual({ [ANNA]: 2, [BEN]: 0, [CARLA]: 0 });
    // 50 + 70; "cheap" is not a number.
    expect(await values('price_sum_30d')).toEqual({ [ANNA]: 120, [BEN]: 10 });
    expect(await values('avg_price')).toEqual({ [ANNA]: 106.666667, [BEN]: 10 });
    expect(await values('max_price')).toEqual({ [ANNA]: 200, [BEN]: 10 });
    expect(await values('fav_category')).toEqual({ [ANNA]: 'shoes', [BEN]: 'bags' });
    expect(await values('first_category')).toEqual({ [ANNA]: 'bags', [BEN]: 'bags' });
    expect(await values('last_category')).toEqual({ [ANNA]: 'shoes', [BEN]: 'bags' });
    expect(await values('categories')).toEqual({ [ANNA]: ['bags', 'hats', 'shoes'], [BEN]: ['bags'] });
    expect(await values('category_count')).toEqual({ [ANNA]: 3, [BEN]: 1, [CARLA]: 0 });
    expect(await values('outlet_views')).toEqual({ [ANNA]: 1, [BEN]: 0, [CARLA]: 0 });
    expect(await values('outlet_revenue')).toEqual({ [ANNA]: 15000, [BEN]: 0, [CARLA]: 0 });
    expect(await values('default_revenue')).toEqual({ [ANNA]: 0, [BEN]: 0, [CARLA]: 0 });

    // The same computation again changes nothing and writes nothing.
    expect(await recomputeComputedTraits(d.regional('eu').sql, [ANNA, BEN, CARLA], traits, NOW)).toEqual([]);
  });

  it('recomputes only the people it is given, and only what changed for them', async () => {
    const sql = d.regional('eu').sql;
    const stamp = async (id: string) =>
      (
        await sql<{ computed_at: Date }[]>`
          select computed_at from computed_trait_values where customer_id = ${id} and trait_id = 'views_30d'`
      )[0]!.computed_at;
    const annaBefore = await stamp(ANNA);
    await insertEvents(sql, [
      {
        customerId: BEN,
        sourceId: WEB,
        type: 'track',
        event: 'Product Viewed',
        at: '2026-06-30T11:00:00Z',
        timezone: 'America/New_York',
        locale: 'en-US',
        properties: { category: 'shoes', price: 90 },
      },
    ]);
    const traits = await loadComputedTraits(d.global().sql);
    const later = new Date(NOW.getTime() + 60_000);
    expect(await recomputeComputedTraits(sql, [BEN], traits, later)).toEqual([BEN]);
    expect((await values('views_30d'))[BEN]).toBe(2);
    expect((await values('categories'))[BEN]).toEqual(['bags', 'shoes']);
    expect((await values('max_price'))[BEN]).toBe(90);
    expect((await values('last_seen'))[BEN]).toBe('2026-06-30T11:00:00.000Z');
    // Anna was not asked about: untouched.
    expect(await stamp(ANNA)).toEqual(annaBefore);

    // The reactor the audience processor registers does the same for the people it claimed.
    await sql`delete from computed_trait_values where customer_id = ${CARLA}`;
    await computedTraitsReactor(d.global().sql, { now: () => later })(sql, [CARLA]);
    expect((await values('home_market'))[CARLA]).toBe('FR');
    expect((await values('views_30d'))[CARLA]).toBe(0);
    expect(await stamp(ANNA)).toEqual(annaBefore);
  });

  it('slides windows for everyone in pages with the scheduled workflow, and tells segments who changed', async () => {
    const sql = d.regional('eu').sql;
    await sql`delete from audience_changes`;
    const homeBefore = await sql`select computed_at from computed_trait_values where trait_id = 'home_market'`;
    // 22 July: Anna's views of 25 and 29 June are inside 30 days; 20 June is not. Ben's 30 June views stay.
    const handle = await startWorkflow(d.client, 'computedTraitsRefresh', {
      workflowId: 'computed-traits-eu-test-slide',
      taskQueue: d.config.regions.region('eu').taskQueue,
      args: [{ windowedOnly: true, now: '2026-07-22T12:00:00.000Z', pageSize: 2 }],
    });
    const result = await handle.result();
    expect(result).toEqual({ pages: 2, customers: 3, changed: 1 });
    expect(await values('views_30d')).toEqual({ [ANNA]: 2, [BEN]: 2, [CARLA]: 0 });
    // Only 29 June's 50 (25 June's price is not a number).
    expect((await values('price_sum_30d'))[ANNA]).toBe(50);
    // Anna's 15 June order left the 30 days.
    expect((await values('orders_30d'))[ANNA]).toBe(0);
    const outbox = await sql<{ customer_id: string; cause: string }[]>`select customer_id, cause from audience_changes`;
    expect(outbox).toEqual([{ customer_id: ANNA, cause: 'computed' }]);
    // Traits without a window were not part of the pass.
    expect(await sql`select computed_at from computed_trait_values where trait_id = 'home_market'`).toEqual(homeBefore);
    // The history, decrypted, carries trait choices, a customer ID to continue after, and counts only.
    const history = await decodedHistory(handle, d.config.payloadKeys);
    expect(history).toContain('"windowedOnly":true');
    expect(history).toContain('"changed":1');
    expect(history).not.toMatch(/shoes|bags|de-DE|en-US|Berlin/);
  });

  it('refuses bad definitions with a 400 naming the field and the rule', async () => {
    const cases: [unknown, string][] = [
      [
        { id: 'bad_kind', name: 'x', definition: { kind: 'median' } },
        'definition.kind: must be one of event_count, aggregation',
      ],
      [
        { id: 'bad_window', name: 'x', definition: { kind: 'event_count', window: { lastDays: 0 } } },
        'definition.window.lastDays: must be at least 1 day',
      ],
      [
        {
          id: 'bad_filter',
          name: 'x',
          definition: { kind: 'event_count', where: { properties: [{ property: 'price', op: 'lt', value: 'x' }] } },
        },
        'definition.where.properties.0.value: must be a number for "lt"',
      ],
      [
        {
          id: 'bad_aggregate',
          name: 'x',
          definition: { kind: 'aggregation', function: 'sum', of: { field: 'locale' } },
        },
        'definition.of.field: sum needs numbers',
      ],
      [
        { id: 'reserved', name: 'x', definition: { kind: 'channels_used' } },
        'definition.kind: "channels_used" is reserved for the built-in traits',
      ],
      [{ id: 'Bad Id', name: 'x', definition: { kind: 'event_count' } }, 'id: must be lower case letters'],
      [{ id: 'no_name', definition: { kind: 'event_count' } }, 'name:'],
      [{ id: 'typo', name: 'x', definiton: { kind: 'event_count' } }, 'definiton: not a field of this request'],
      [
        { id: 'unknown_brand', name: 'x', brandId: 'nope', definition: { kind: 'event_count' } },
        'brandId: no brand "nope"',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await call(allToken, 'POST', '/admin/computed-traits', body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error, JSON.stringify(body)).toContain(message);
    }
    const update = await call(allToken, 'PUT', '/admin/computed-traits/views_30d', {
      definition: { kind: 'event_count', window: 'last week' },
    });
    expect(update.status).toBe(400);
    expect(update.body.error).toMatch(/^definition\.window: must be "all_time"/);
    expect((await call(allToken, 'PUT', '/admin/computed-traits/revenue', { name: 'Sales' })).status).toBe(409);
    expect((await call(allToken, 'DELETE', '/admin/computed-traits/revenue')).status).toBe(409);
    expect((await call(allToken, 'DELETE', '/admin/computed-traits/nope')).status).toBe(404);
    const duplicate = await call(allToken, 'POST', '/admin/computed-traits', {
      id: 'views_30d',
      name: 'again',
      definition: { kind: 'event_count' },
    });
    expect(duplicate.status).toBe(409);
  });

  it('creates, versions, recomputes and deletes through the API; changes need a token for all regions', async () => {
    const body = {
      id: 'bag_views',
      name: 'Bag views',
      definition: { kind: 'event_count', where: { properties: [{ property: 'category', op: 'eq', value: 'bags' }] } },
    };
    const refused = await call(EU_TOKEN, 'POST', '/admin/computed-traits', body);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/^this admin token covers eu, but computed traits are computed over/);

    const created = await call(allToken, 'POST', '/admin/computed-traits', body);
    expect(created.status, created.text).toBe(201);
    expect(created.body.trait).toMatchObject({ id: 'bag_views', version: 1, builtIn: false });
    expect(created.body.recompute).toEqual(
      d.config.regions.dataRegions.map((r) => `computed-traits-${r.name}-bag_views-v1`),
    );
    await d.client.workflow.getHandle('computed-traits-eu-bag_views-v1').result();
    expect(await values('bag_views')).toEqual({ [ANNA]: 1, [BEN]: 1, [CARLA]: 0 });

    // A new name keeps the version; a new definition is version 2, recomputed.
    const renamed = await call(allToken, 'PUT', '/admin/computed-traits/bag_views', { name: 'Bags seen' });
    expect(renamed.body).toMatchObject({ trait: { name: 'Bags seen', version: 1 }, recompute: [] });
    const changed = await call(allToken, 'PUT', '/admin/computed-traits/bag_views', {
      definition: {
        kind: 'event_count',
        where: { properties: [{ property: 'category', op: 'in', value: ['bags', 'hats'] }] },
      },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.trait.version).toBe(2);
    await d.client.workflow.getHandle('computed-traits-eu-bag_views-v2').result();
    expect(await values('bag_views')).toEqual({ [ANNA]: 2, [BEN]: 1, [CARLA]: 0 });

    const list = await call(US_TOKEN, 'GET', '/admin/computed-traits');
    expect(list.status).toBe(200);
    expect(list.body.traits.filter((t: any) => t.builtIn).length).toBeGreaterThanOrEqual(10);
    expect(list.body.traits.map((t: any) => t.id)).toContain('bag_views');

    expect((await call(US_TOKEN, 'DELETE', '/admin/computed-traits/bag_views')).status).toBe(403);
    const deleted = await call(allToken, 'DELETE', '/admin/computed-traits/bag_views');
    expect(deleted.body).toEqual({ deleted: 'bag_views', valuesRemoved: 3 });
    expect(await values('bag_views')).toEqual({});
  });

  it("shows a person's values only to a token for their region", async () => {
    const refused = await call(US_TOKEN, 'GET', `/admin/profiles/${ANNA}/computed-traits`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/^this admin token may not read people in region eu \(it covers us\)/);
    expect(refused.text).not.toContain('de-DE');
    const shown = await call(EU_TOKEN, 'GET', `/admin/profiles/${ANNA}/computed-traits`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.regions.map((r: any) => r.region)).toEqual(['eu']);
    expect(shown.body.regions[0].values.revenue.value).toBe(15000);
    expect(shown.body.regions[0].values.preferred_language.value).toBe('de-DE');
    expect((await call(EU_TOKEN, 'GET', '/admin/profiles/not-a-uuid/computed-traits')).status).toBe(400);
  });

  it("suggests a send hour, a channel and the churn share for a segment from aggregates, within the token's regions", async () => {
    const g = d.global().sql;
    const sql = d.regional('eu').sql;
    for (const [id, owner] of [
      ['seg_group', 'group'],
      ['seg_eu', 'eu'],
    ] as const)
      await g`insert into segments (id, name, owner, version, definition) values (${id}, ${id}, ${owner}, 1, '{}'::jsonb)`;
    const DAVE = '00000000-0000-4000-8000-00000000000d';
    for (const segment of ['seg_group', 'seg_eu']) {
      for (const id of [ANNA, BEN, CARLA])
        await sql`insert into segment_membership (segment_id, customer_id, version, entered_at) values (${segment}, ${id}, 1, now())`;
      // Dave left the segment: not a member, not counted.
      await sql`
        insert into segment_membership (segment_id, customer_id, version, entered_at, exited_at)
        values (${segment}, ${DAVE}, 1, now() - interval '2 days', now() - interval '1 day')`;
    }
    const identity = async (customerId: string, type: string) =>
      sql`insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id)
          values (${customerId}, ${type}, ${randomBytes(32)}, ${randomBytes(16)}, ${customerId}, ${WEB})`;
    await identity(ANNA, 'email');
    await identity(BEN, 'phone');
    await identity(CARLA, 'email');
    await identity(DAVE, 'email');
    const choose = async (customerId: string, country: string, choices: Record<string, string>) => {
      await sql`insert into consent_subjects (customer_id, country, jurisdiction) values (${customerId}, ${country}, 'test')
                on conflict (customer_id) do update set country = excluded.country`;
      for (const [purpose, state] of Object.entries(choices))
        await sql`insert into consent_records (customer_id, purpose, state, source, recorded_at, proof_kind, proof_reference)
                  values (${customerId}, ${purpose}, ${state}, 'admin', now() - interval '1 hour', 'test', ${`${customerId}-${purpose}`})`;
    };
    // Anna: email yes, SMS yes but no phone number. Ben: SMS yes, email no. Carla: email yes. Dave (left): email yes.
    await choose(ANNA, 'DE', { emailMarketing: 'granted', smsMarketing: 'granted', push: 'denied' });
    await choose(BEN, 'US', { emailMarketing: 'denied', smsMarketing: 'granted', push: 'denied' });
    await choose(CARLA, 'FR', { emailMarketing: 'granted', smsMarketing: 'denied', push: 'denied' });
    await choose(DAVE, 'FR', { emailMarketing: 'granted' });
    await sql`
      insert into computed_trait_values (customer_id, trait_id, value) values
        (${ANNA}, 'churn_risk', '0.8'::jsonb), (${BEN}, 'churn_risk', '0.2'::jsonb), (${DAVE}, 'churn_risk', '0.9'::jsonb)`;

    const res = await call(EU_TOKEN, 'GET', '/admin/segments/seg_group/suggestions');
    expect(res.status, res.text).toBe(200);
    // Preferred local hours: Anna 10; Ben 7 (21:00 and, since his later view, 07:00 in New York: a tie goes to
    // the earlier hour); Carla none. Two windows of one person each: the earlier centre, 7, is suggested.
    expect(res.body).toEqual({
      segmentId: 'seg_group',
      regions: ['eu'],
      members: 3,
      suggestion: {
        bestLocalSendHour: 7,
        activityShareAroundBestHour: 0.5,
        bestChannel: 'email',
        bestChannelReach: 2,
        consentedReach: { email: 2, sms: 1, push: 0 },
        shareAtChurnRisk: 0.5,
        membersScored: 2,
        churnRiskThreshold: 0.5,
      },
    });
    // No customer ID in an answer made of aggregates.
    expect(res.text).not.toMatch(/00000000-0000-4000/);

    // A us token: the eu segment is refused; the group segment counts only us members (none here).
    const refused = await call(US_TOKEN, 'GET', '/admin/segments/seg_eu/suggestions');
    expect(refused.status).toBe(403);
    const us = await call(US_TOKEN, 'GET', '/admin/segments/seg_group/suggestions');
    expect(us.status).toBe(200);
    expect(us.body).toMatchObject({ regions: ['us'], members: 0, suggestion: { bestLocalSendHour: null } });
    expect((await call(EU_TOKEN, 'GET', '/admin/segments/nope/suggestions')).status).toBe(404);
  });
});
