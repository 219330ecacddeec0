import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { customerCall, orderCall } from '../../db/ingest-records';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { bearerCaller } from '../support/admin-api';

/**
 * Data classification in storage (issue 11 §1): identifying values stay sealed, the rest is also
 * queryable (profile_traits, events.properties); a rule change is carried into stored values by the
 * reclassification workflow in each region; the data map says which categories came from where.
 */

const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;

/** The plaintext identifying values of the person, as sent and as normalised. */
const PERSON = {
  email: 'Ines.Classified@example.fr',
  phone: '+33 6 12 34 56 78',
  name: 'Inès Classifiée',
  firstName: 'Inès',
  lastName: 'Classifiée',
  street: '17 Rue des Secrets',
  postalCode: '69002',
  ip: '203.0.113.77',
};
const IDENTIFYING = [
  PERSON.email,
  PERSON.email.toLowerCase(),
  PERSON.phone,
  '+33612345678',
  PERSON.name,
  PERSON.firstName,
  PERSON.lastName,
  PERSON.street,
  PERSON.postalCode,
  PERSON.ip,
];

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
}

/** Every text, json, jsonb, array and bytea column of every table of the database that holds `value` (bytes for bytea). */
async function columnsHolding(sql: Sql, value: string): Promise<string[]> {
  const columns = await sql<Column[]>`
    select c.table_name, c.column_name, c.data_type from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')`;
  const found: string[] = [];
  for (const c of columns) {
    const [row] =
      c.data_type === 'bytea'
        ? await sql<{ n: number }[]>`
            select count(*)::int as n from ${sql(c.table_name)}
            where position(convert_to(${value}, 'UTF8') in ${sql(c.column_name)}) > 0`
        : await sql<{ n: number }[]>`
            select count(*)::int as n from ${sql(c.table_name)}
            where strpos(lower(${sql(c.column_name)}::text), lower(${value})) > 0`;
    if (row!.n > 0) found.push(`${c.table_name}.${c.column_name}`);
  }
  return found;
}

describe('data classification in storage', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let allToken: string;
  let source: { id: string; writeKey: string };

  const call = bearerCaller(() => h.base);
  const eu = () => d.regional('eu').sql;
  const customerOf = async (userId: string) => {
    const res = await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: userId });
    expect(res.status).toBe(200);
    return res.body.customerId as string;
  };
  const profileTraits = async (customerId: string) =>
    Object.fromEntries(
      (
        await eu()<{ key: string; value: string; category: string }[]>`
          select key, value::text as value, category from profile_traits where customer_id = ${customerId}`
      ).map((r) => [r.key, { value: JSON.parse(r.value), category: r.category }]),
    );
  const eventProperties = async (customerId: string) =>
    Object.fromEntries(
      (
        await eu()<{ type: string; event: string | null; properties: string | null }[]>`
          select type, event, properties::text as properties from events where customer_id = ${customerId}`
      ).map((r) => [r.event ?? r.type, r.properties === null ? null : JSON.parse(r.properties)]),
    );

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('classification', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${EU_TOKEN}:eu`,
    });
    // The data regions (reclassification) and global (identity merges).
    await d.startWorkers(d.config.regions.regions.map((r) => r.name));
    h = await startIngestion(d);
    source = await h.createSource('Lyon shop', 'eu');
  });
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  it('keeps identifying values sealed and the others queryable (a scan of every table)', async () => {
    const context = { ip: PERSON.ip, locale: 'fr-FR', timezone: 'Europe/Paris' };
    const identify = await h.send(source.writeKey, '/v1/identify', {
      userId: 'ines-1',
      traits: {
        email: PERSON.email,
        phone: PERSON.phone,
        name: PERSON.name,
        firstName: PERSON.firstName,
        lastName: PERSON.lastName,
        address: { street: PERSON.street, postalCode: PERSON.postalCode, city: 'Lyon', country: 'FR' },
        plan: 'plan-aurora-gold',
        age: 41,
      },
      context,
    });
    expect(identify.status, JSON.stringify(identify.body)).toBe(200);
    const track = await h.send(source.writeKey, '/v1/track', {
      userId: 'ines-1',
      event: 'Product Viewed',
      properties: {
        product_id: 'sku-lamp-aurora-42',
        category: 'lamps-and-lights',
        price: 49.9,
        currency: 'EUR',
        // Free text and full URLs are identifying by default (they can hold anything).
        search: `lamp for ${PERSON.firstName}`,
        url: `https://shop.example/lamps?email=${PERSON.email}`,
      },
      context,
    });
    expect(track.status).toBe(200);
    const customerId = await customerOf('ines-1');

    // No identifying value in plaintext anywhere: every column of every table of the region and of global.
    const leaks: string[] = [];
    for (const value of IDENTIFYING) {
      for (const where of await columnsHolding(eu(), value)) leaks.push(`eu ${where}: ${value}`);
      for (const where of await columnsHolding(d.global().sql, value)) leaks.push(`global ${where}: ${value}`);
    }
    expect(leaks).toEqual([]);

    // The non-identifying values are queryable, by customer ID, with their categories.
    const traits = await profileTraits(customerId);
    expect(traits).toEqual({
      plan: { value: 'plan-aurora-gold', category: 'user.account' },
      age: { value: 41, category: 'user.demographic.age' },
      'address.city': { value: 'Lyon', category: 'user.contact.address.city' },
      'address.country': { value: 'FR', category: 'user.contact.address.country' },
    });
    const properties = await eventProperties(customerId);
    expect(properties['Product Viewed']).toEqual({
      product_id: 'sku-lamp-aurora-42',
      category: 'lamps-and-lights',
      price: 49.9,
      currency: 'EUR',
    });
    expect(properties.identify).toEqual({
      plan: 'plan-aurora-gold',
      age: 41,
      address: { city: 'Lyon', country: 'FR' },
    });
    // And a scan finds them where they belong.
    expect(await columnsHolding(eu(), 'plan-aurora-gold')).toEqual(
      expect.arrayContaining(['profile_traits.value', 'events.properties']),
    );
    expect(await columnsHolding(eu(), 'sku-lamp-aurora-42')).toContain('events.properties');
  });

  it('a connector’s customers go through the same split, and its orders count as financial and purchase data', async () => {
    const writer = h.web.writers.get('eu')!;
    const now = new Date();
    const [customer] = await writer.write([
      {
        ...customerCall(
          {
            sourceId: 'con_classified_shop',
            externalId: '900001',
            email: 'kenji.connector@example.jp',
            firstName: 'Kenji',
            locale: 'ja-JP',
            countryCode: 'JP',
            createdAt: now.toISOString(),
            updatedAt: now.toISOString(),
          },
          'shopify_customer',
          now,
        ),
        provenance: 'connector',
      },
    ]);
    expect(customer!.status).toBe('stored');
    const customerId = (customer as { customerId: string }).customerId;
    expect(await profileTraits(customerId)).toEqual({
      locale: { value: 'ja-JP', category: 'user.preference' },
      'address.country': { value: 'JP', category: 'user.contact.address.country' },
    });
    const [order] = await writer.write([
      {
        ...orderCall(
          {
            sourceId: 'con_classified_shop',
            externalId: 'order-77',
            customerExternalId: '900001',
            currency: 'JPY',
            totalMinor: '12000',
            placedAt: now.toISOString(),
            timeZone: 'Asia/Tokyo',
            localDate: '2026-12-07',
            localHour: 11,
            status: 'open',
            lineItemCount: 1,
            updatedAt: now.toISOString(),
          },
          'shopify_customer',
          { currency: 'EUR', minor: 7400n, rate: '0.0062', rateDate: '2026-12-07' },
          now,
        ),
        provenance: 'connector',
      },
    ]);
    expect(order!.status).toBe('stored');
    const flows = await eu()<{ scope: string; category: string }[]>`
      select scope, category from data_flows where source_id = 'con_classified_shop' order by scope, category`;
    expect(flows.map((f) => `${f.scope}:${f.category}`)).toEqual(
      expect.arrayContaining([
        'identifiers:user.unique_id',
        'orders:user.behavior.purchase_history',
        'orders:user.financial',
        'traits:user.contact.email',
        'traits:user.preference',
      ]),
    );
  });

  it('a merge moves the queryable traits to the survivor, newest value winning', async () => {
    const earlier = new Date(Date.now() - 3_600_000).toISOString();
    await h.send(source.writeKey, '/v1/identify', {
      anonymousId: 'anon-mia',
      traits: { age: 22, plan: 'plan-old-anon' },
      timestamp: earlier,
    });
    await h.send(source.writeKey, '/v1/identify', { userId: 'mia-1', traits: { plan: 'plan-new-mia' } });
    const anon = (await h.admin('POST', '/admin/profiles/lookup', { type: 'anonymous_id', value: 'anon-mia' })).body
      .customerId as string;
    const mia = await customerOf('mia-1');
    expect(anon).not.toBe(mia);
    await h.send(source.writeKey, '/v1/identify', { userId: 'mia-1', anonymousId: 'anon-mia' });
    await eventually(
      async () => {
        // Whichever survives, it holds both profiles' queryable traits, and the merged one none.
        const [merged] = await eu()<{ customer_id: string }[]>`
          select customer_id from profiles where customer_id in (${anon}, ${mia}) and merged_into is not null`;
        expect(merged).toBeDefined();
        const survivor = merged!.customer_id === anon ? mia : anon;
        expect(await profileTraits(survivor)).toEqual({
          age: { value: 22, category: 'user.demographic.age' },
          plan: { value: 'plan-new-mia', category: 'user.account' },
        });
        expect(await profileTraits(merged!.customer_id)).toEqual({});
      },
      30_000,
      300,
    );
  });

  it('GET /admin/data-map: categories per source and connector of the token’s regions, and what connected systems receive', async () => {
    const klaviyo = await h.admin('POST', '/admin/connectors', {
      id: 'klaviyo_eu_map',
      system: 'klaviyo',
      name: 'EU newsletters',
      region: 'eu',
      settings: {},
      credentials: { apiKey: 'pk_map_test_key' },
    });
    expect(klaviyo.status, JSON.stringify(klaviyo.body)).toBe(201);
    const us = await h.createSource('Boston shop', 'us');
    expect((await h.send(us.writeKey, '/v1/identify', { userId: 'sam-1', traits: { plan: 'basic' } })).status).toBe(
      200,
    );

    const all = await call(allToken, 'GET', '/admin/data-map');
    expect(all.status, all.text).toBe(200);
    expect(all.body.regions.map((r: any) => r.region)).toEqual(expect.arrayContaining(['eu', 'us']));
    const euMap = all.body.regions.find((r: any) => r.region === 'eu');
    const lyon = euMap.sources.find((s: any) => s.id === source.id);
    expect(lyon.kind).toBe('source');
    expect(lyon.categories).toEqual(
      expect.arrayContaining([
        'user.contact.email',
        'user.contact.phone_number',
        'user.name',
        'user.device.ip_address',
        'user.account',
        'user.behavior',
        'user.commercial',
      ]),
    );
    const email = lyon.flows.find((f: any) => f.scope === 'traits' && f.category === 'user.contact.email');
    expect(email.identifying).toBe(true);
    expect(euMap.connectedSystems).toEqual([
      {
        connectorId: 'klaviyo_eu_map',
        system: 'klaviyo',
        operations: ['applyConsent', 'suppress', 'erase', 'export'],
        receives: ['user.contact.email', 'user.contact.phone_number'],
      },
    ]);
    expect(JSON.stringify(all.body)).not.toContain(PERSON.email);

    // A token for eu sees eu only: not the us source, nor that region at all.
    const scoped = await call(EU_TOKEN, 'GET', '/admin/data-map');
    expect(scoped.status).toBe(200);
    expect(scoped.body.regions.map((r: any) => r.region)).toEqual(['eu']);
    expect(scoped.text).not.toContain(us.id);
  });

  it('PUT /admin/data-schema refuses bad rules with the field and the rule, and a region-scoped token', async () => {
    const bad = await call(allToken, 'PUT', '/admin/data-schema', {
      rules: [{ match: { key: 'loyalty_tier' }, category: 'user.loyalty' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^rules\.0\.category: unknown category/);
    const glob = await call(allToken, 'PUT', '/admin/data-schema', {
      rules: [{ match: { pattern: '*' }, category: 'user.behavior' }],
    });
    expect(glob.status).toBe(400);
    expect(glob.body.error).toMatch(/^rules\.0\.match\.pattern: /);
    const missing = await call(allToken, 'PUT', '/admin/data-schema', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/^rules: required/);

    const scoped = await call(EU_TOKEN, 'PUT', '/admin/data-schema', {
      rules: [{ match: { key: 'loyalty_tier' }, category: 'user.behavior' }],
    });
    expect(scoped.status).toBe(403);
    expect(scoped.body.error).toMatch(/covers eu, but data-schema rules decide what is sealed in every region/);
    // It may read them (workspace-wide configuration, nothing about a person).
    const read = await call(EU_TOKEN, 'GET', '/admin/data-schema');
    expect(read.status).toBe(200);
    expect(read.body.version).toBe(0);
    expect(read.body.categories.find((c: any) => c.name === 'user.contact.email').identifying).toBe(true);
    expect(read.body.builtIn.traits).toContainEqual({ key: 'plan', category: 'user.account', identifying: false });
    // Nothing was saved by the refused calls.
    expect((await d.global().sql`select count(*)::int as n from data_schema_versions`)[0]!.n).toBe(0);
  });

  it('a rule change is carried into stored values by the reclassification workflow of each region', async () => {
    await h.send(source.writeKey, '/v1/identify', {
      userId: 'rika-1',
      traits: { email: 'rika.reclassified@example.fr', loyalty_tier: 'platinum-tier', plan: 'plan-rika' },
    });
    await h.send(source.writeKey, '/v1/track', {
      userId: 'rika-1',
      event: 'Product Viewed',
      properties: { product_id: 'sku-rika-7', loyalty_tier: 'platinum-tier' },
    });
    const rika = await customerOf('rika-1');
    // Unclassified: sealed only.
    expect(Object.keys(await profileTraits(rika))).toEqual(['plan']);
    expect((await eventProperties(rika))['Product Viewed']).toEqual({ product_id: 'sku-rika-7' });

    const put = await call(allToken, 'PUT', '/admin/data-schema', {
      rules: [{ match: { key: 'loyaltyTier' }, category: 'user.behavior', example: 'gold' }],
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.version).toBe(1);
    const runOf = (view: any, region: string) => view.reclassification.find((r: any) => r.region === region).workflowId;
    expect(runOf(put.body, 'eu')).toMatch(/^reclassify-v1-eu-[0-9a-f]{6}$/);

    // New data is classified under the new version at once, whichever intake processor takes the
    // call (this process's or a worker's, both take intake rows here): each reads the version in
    // force at the start of every batch, not through its cache.
    await h.send(source.writeKey, '/v1/identify', { userId: 'noa-1', traits: { loyalty_tier: 'silver-tier' } });
    expect(await profileTraits(await customerOf('noa-1'))).toEqual({
      loyalty_tier: { value: 'silver-tier', category: 'user.behavior' },
    });

    // Stored values follow once the region's workflow has run.
    const first = await d.client.workflow.getHandle(runOf(put.body, 'eu')).result();
    expect(first.status, JSON.stringify(first)).toBe('completed');
    expect(first.counts.profiles).toBeGreaterThanOrEqual(3);
    expect(first.counts.traitsWritten, JSON.stringify(first)).toBeGreaterThanOrEqual(1);
    expect(first.counts.eventsRewritten).toBeGreaterThanOrEqual(2);
    expect(await profileTraits(rika)).toEqual({
      plan: { value: 'plan-rika', category: 'user.account' },
      loyalty_tier: { value: 'platinum-tier', category: 'user.behavior' },
    });
    const after = await eventProperties(rika);
    expect(after['Product Viewed']).toEqual({ product_id: 'sku-rika-7', loyalty_tier: 'platinum-tier' });
    expect(after.identify).toEqual({ plan: 'plan-rika', loyalty_tier: 'platinum-tier' });
    await eventually(async () => {
      const view = await call(allToken, 'GET', '/admin/data-schema');
      const euRun = view.body.reclassification.find((r: any) => r.region === 'eu');
      expect(euRun.status).toBe('completed');
      expect(euRun.counts.profiles).toBe(first.counts.profiles);
    });

    // Now plan and product_id become identifying: they leave queryable storage.
    const second = await call(allToken, 'PUT', '/admin/data-schema', {
      rules: [
        { match: { key: 'loyalty_tier' }, category: 'user.behavior' },
        { match: { key: 'plan' }, category: 'user.unclassified' },
        { match: { pattern: 'product_*' }, category: 'user.content' },
      ],
    });
    expect(second.status, second.text).toBe(200);
    expect(second.body.version).toBe(2);
    const done = await d.client.workflow.getHandle(runOf(second.body, 'eu')).result();
    expect(done.status).toBe('completed');
    expect(done.counts.traitsRemoved).toBeGreaterThanOrEqual(1);
    expect(await profileTraits(rika)).toEqual({ loyalty_tier: { value: 'platinum-tier', category: 'user.behavior' } });
    const nowStored = await eventProperties(rika);
    expect(nowStored['Product Viewed']).toEqual({ loyalty_tier: 'platinum-tier' });
    expect(nowStored.identify).toEqual({ loyalty_tier: 'platinum-tier' });
    const ines = await customerOf('ines-1');
    expect((await profileTraits(ines)).plan).toBeUndefined();
    expect(await columnsHolding(eu(), 'plan-aurora-gold')).toEqual([]);

    // What the workflow reports carries version numbers, the region, a customer ID as cursor and counts: no value.
    expect(Object.keys(done).sort()).toEqual(['after', 'counts', 'region', 'status', 'version']);
    expect(done.after).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.values(done.counts).every((n) => typeof n === 'number')).toBe(true);
    // Every region ran its own.
    for (const region of d.config.regions.dataRegions)
      expect((await d.client.workflow.getHandle(runOf(second.body, region.name)).result()).status).toBe('completed');
  });
});
