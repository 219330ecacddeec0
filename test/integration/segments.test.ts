import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { orderCall } from '../../db/ingest-records';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * Segments end to end, on real PostgreSQL and Temporal, through the tracking and admin APIs:
 * membership follows events in real time (the audience processor in each regional worker), a
 * group segment spans regions and counts a person once, a definition change keeps history, bad
 * definitions get a 400 naming the field, and region-scoped tokens stay in their regions.
 */

const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;
const US_TOKEN = `us-only-${'u'.repeat(24)}`;

describe('segments', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let eu: { id: string; writeKey: string };
  let us: { id: string; writeKey: string };

  const as = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const track = async (source: { writeKey: string }, userId: string, event: string, extra: object = {}) => {
    const sent = await h.send(source.writeKey, '/v1/track', { userId, event, properties: {}, ...extra });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  };
  const customerOf = async (userId: string) => {
    const found = await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: userId });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    return found.body.customerId as string;
  };
  const members = async (segmentId: string, token?: string) => {
    const res = token
      ? await as(token, 'GET', `/admin/segments/${segmentId}/members?limit=1000`)
      : await h.admin('GET', `/admin/segments/${segmentId}/members?limit=1000`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.members as string[];
  };
  const create = async (body: object) => {
    const res = await h.admin('POST', '/admin/segments', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.segment as { id: string; version: number };
  };

  beforeAll(async () => {
    const allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('segments', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${EU_TOKEN}:eu,${US_TOKEN}:us`,
    });
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    h = await startIngestion(d);
    eu = await h.createSource('Berlin shop', 'eu');
    us = await h.createSource('Boston shop', 'us');
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  it('"viewed, no purchase in 7 days" gains a person on Product Viewed and loses them on Order Completed or an order, in real time', async () => {
    const segment = await create({
      name: 'Viewed, no purchase in 7 days',
      owner: 'group',
      definition: { type: 'didNot', did: { name: 'Product Viewed' }, didNot: { purchase: true }, withinDays: 7 },
    });
    await track(eu, 'rt-ana', 'Product Viewed');
    const ana = await customerOf('rt-ana');
    await eventually(async () => expect(await members(segment.id)).toContain(ana), 20_000);
    await track(eu, 'rt-ana', 'Order Completed');
    await eventually(async () => expect(await members(segment.id)).not.toContain(ana), 20_000);

    // An order row from a store (as a connector sync writes it) counts as a purchase too.
    const email = 'ben.retarget@example.de';
    expect((await h.send(eu.writeKey, '/v1/identify', { userId: 'rt-ben', traits: { email } })).status).toBe(200);
    await track(eu, 'rt-ben', 'Product Viewed');
    const ben = await customerOf('rt-ben');
    await eventually(async () => expect(await members(segment.id)).toContain(ben), 20_000);
    const now = new Date();
    const [stored] = await h.web.writers.get('eu')!.write([
      {
        provenance: 'connector',
        ...orderCall(
          {
            sourceId: eu.id,
            externalId: 'order-ben-1',
            email,
            currency: 'EUR',
            totalMinor: '4900',
            placedAt: now.toISOString(),
            timeZone: 'Europe/Berlin',
            localDate: now.toISOString().slice(0, 10),
            localHour: 12,
            status: 'open',
            lineItemCount: 1,
            updatedAt: now.toISOString(),
          },
          undefined,
          { currency: 'EUR', minor: 4900n },
          now,
        ),
      },
    ]);
    expect(stored).toMatchObject({ status: 'stored', customerId: ben });
    await eventually(async () => expect(await members(segment.id)).not.toContain(ben), 20_000);

    // Every move is in the history and the outbox, once.
    const moves = await d.regional('eu').sql`
      select customer_id, kind from segment_membership_events where segment_id = ${segment.id} order by id`;
    expect(moves.map((m) => [m.customer_id, m.kind])).toEqual([
      [ana, 'entered'],
      [ana, 'exited'],
      [ben, 'entered'],
      [ben, 'exited'],
    ]);
    const stays = await d.regional('eu').sql`
      select customer_id, exited_at from segment_membership where segment_id = ${segment.id}`;
    expect(stays).toHaveLength(2);
    expect(stays.every((s) => s.exited_at !== null)).toBe(true);
  });

  it("brand sharing off hides one brand's data from another brand's segments (preview, recompute and real time)", async () => {
    for (const id of ['north', 'south']) {
      const made = await h.admin('POST', '/admin/brands', { id, name: `${id} brand` });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    const shop = await h.admin('POST', '/admin/sources', {
      name: 'South shop',
      region: 'eu',
      kind: 'server',
      brandId: 'south',
    });
    expect(shop.status, JSON.stringify(shop.body)).toBe(201);
    const south = { writeKey: shop.body.writeKey as string };
    const definition = { type: 'event', name: 'Wishlist Added' };
    const preview = async (brandId?: string) => {
      const res = await h.admin('POST', '/admin/segments/preview', { definition, ...(brandId ? { brandId } : {}) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.total as number;
    };
    const sharing = async (allowed: boolean) =>
      expect((await h.admin('PUT', '/admin/brands/south/sharing/north', { allowed })).status).toBe(200);

    const northSegment = await create({ name: 'North wishlisters', owner: 'group', brandId: 'north', definition });
    const southSegment = await create({ name: 'South wishlisters', owner: 'group', brandId: 'south', definition });
    await track(south, 'brand-cara', 'Wishlist Added');
    const cara = await customerOf('brand-cara');
    // South's own segment gains her in real time; North's, which may not read South's data, does not.
    await eventually(async () => expect(await members(southSegment.id)).toContain(cara), 20_000);
    expect(await members(northSegment.id)).not.toContain(cara);
    expect(await preview('north')).toBe(0);
    expect(await preview('south')).toBe(1);

    // South shares with North: North's preview sees her, and so does its segment on her next event.
    await sharing(true);
    expect(await preview('north')).toBe(1);
    await track(south, 'brand-cara', 'Wishlist Added');
    await eventually(async () => expect(await members(northSegment.id)).toContain(cara), 20_000);

    // Sharing off again: hidden from North's preview, and a recompute takes her out.
    await sharing(false);
    expect(await preview('north')).toBe(0);
    expect((await h.admin('POST', `/admin/segments/${northSegment.id}/recompute`)).status).toBe(202);
    await eventually(async () => expect(await members(northSegment.id)).not.toContain(cara), 20_000);
    expect(await members(southSegment.id)).toContain(cara);
  });

  it('a consent change moves a person in real time', async () => {
    const segment = await create({
      name: 'Email marketing allowed',
      owner: 'eu',
      definition: { type: 'consent', purpose: 'emailMarketing', state: 'granted' },
    });
    await track(eu, 'cs-uma', 'Page Viewed');
    const uma = await customerOf('cs-uma');
    const consent = await h.admin('PUT', `/admin/profiles/${uma}/consent`, {
      country: 'DE',
      records: [{ purpose: 'emailMarketing', state: 'granted', proof: { kind: 'form', reference: 'seg-test' } }],
    });
    expect(consent.status, JSON.stringify(consent.body)).toBe(200);
    await eventually(async () => expect(await members(segment.id)).toContain(uma), 20_000);
    const withdrawn = await h.admin('PUT', `/admin/profiles/${uma}/consent`, {
      records: [{ purpose: 'emailMarketing', state: 'withdrawn', proof: { kind: 'form', reference: 'seg-test-2' } }],
    });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
    await eventually(async () => expect(await members(segment.id)).not.toContain(uma), 20_000);
  });

  it('a group segment spans eu and us: each region computes its members, a person in both counts once', async () => {
    // kai is seen in both regions (one customer ID); lea only in eu, max only in us.
    await track(eu, 'gs-kai', 'Signed Up');
    await track(us, 'gs-kai', 'Signed Up');
    await track(eu, 'gs-lea', 'Signed Up');
    await track(us, 'gs-max', 'Signed Up');
    const [kai, lea, max] = [await customerOf('gs-kai'), await customerOf('gs-lea'), await customerOf('gs-max')];
    const definition = { type: 'event', name: 'Signed Up' };

    const preview = await h.admin('POST', '/admin/segments/preview', { definition });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ regions: { eu: 2, us: 2, apac: 0 }, total: 3 });
    expect([...preview.body.sample].sort()).toEqual([kai, lea, max].sort());

    // Made after the events: its members come from the recompute workflow of each region.
    const segment = await create({ name: 'Signed up', owner: 'group', definition });
    await eventually(async () => {
      const counts = await h.admin('GET', `/admin/segments/${segment.id}/counts`);
      expect(counts.body).toEqual({ regions: { eu: 2, us: 2, apac: 0 }, total: 3 });
    }, 30_000);
    expect((await members(segment.id)).sort()).toEqual([kai, lea, max].sort());
    // Paged by customer ID over the regions: two pages of 2, kai once.
    const first = await h.admin('GET', `/admin/segments/${segment.id}/members?limit=2`);
    const second = await h.admin(
      'GET',
      `/admin/segments/${segment.id}/members?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect([...first.body.members, ...second.body.members]).toEqual([kai, lea, max].sort());
    expect(second.body.nextCursor).toBeNull();
    // No personal data in a region's membership: customer IDs only (the table has no other person column).
    const columns = await d.regional('us').sql`
      select column_name from information_schema.columns where table_name = 'segment_membership' order by column_name`;
    expect(columns.map((c) => c.column_name)).toEqual([
      'customer_id',
      'entered_at',
      'exited_at',
      'id',
      'segment_id',
      'version',
    ]);

    // A us token sees the us side only.
    const usCounts = await as(US_TOKEN, 'GET', `/admin/segments/${segment.id}/counts`);
    expect(usCounts.body).toEqual({ regions: { us: 2 }, total: 2 });
    expect((await members(segment.id, US_TOKEN)).sort()).toEqual([kai, max].sort());
  });

  it('a definition change makes a new version, keeps the old one, and keeps the history of who stayed and who left', async () => {
    await track(eu, 'dc-ola', 'Newsletter Joined');
    await track(eu, 'dc-pia', 'Newsletter Joined');
    const [ola, pia] = [await customerOf('dc-ola'), await customerOf('dc-pia')];
    const v1 = { type: 'event', name: 'Newsletter Joined' };
    const segment = await create({ name: 'Newsletter', owner: 'eu', definition: v1 });
    await eventually(async () => expect((await members(segment.id)).sort()).toEqual([ola, pia].sort()), 30_000);

    await track(eu, 'dc-pia', 'Unsubscribed');
    const v2 = { all: [v1, { not: { type: 'event', name: 'Unsubscribed' } }] };
    const updated = await h.admin('PUT', `/admin/segments/${segment.id}`, { definition: v2 });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.segment.version).toBe(2);
    await eventually(async () => expect(await members(segment.id)).toEqual([ola]), 30_000);

    const versions = await h.admin('GET', `/admin/segments/${segment.id}/versions`);
    expect(versions.body.versions.map((v: any) => [v.version, v.definition])).toEqual([
      [1, v1],
      [2, v2],
    ]);
    const stays = await d.regional('eu').sql`
      select customer_id, version, exited_at from segment_membership where segment_id = ${segment.id} order by customer_id`;
    // ola's stay from version 1 goes on; pia's is closed, not deleted.
    expect(stays.find((s) => s.customer_id === ola)).toMatchObject({ version: 1, exited_at: null });
    expect(stays.find((s) => s.customer_id === pia)!.exited_at).not.toBeNull();
    expect(stays).toHaveLength(2);
    // A local eu segment is evaluated only in eu.
    expect((await h.admin('GET', `/admin/segments/${segment.id}/counts`)).body).toEqual({
      regions: { eu: 1 },
      total: 1,
    });
  });

  it('the maintenance workflow moves a person out when the window slides past their event, with no new event', async () => {
    const segment = await create({
      name: 'Viewed this week',
      owner: 'eu',
      definition: { type: 'event', name: 'Product Viewed', withinDays: 7 },
    });
    // Viewed 7 days ago less 4 seconds: in the window now, out of it in 4 seconds.
    const at = new Date(Date.now() - 7 * 86_400_000 + 4000);
    await track(eu, 'sl-rui', 'Product Viewed', { timestamp: at.toISOString() });
    const rui = await customerOf('sl-rui');
    await eventually(async () => expect(await members(segment.id)).toContain(rui), 20_000);
    await new Promise((r) => setTimeout(r, Math.max(0, at.getTime() + 7 * 86_400_000 - Date.now()) + 500));
    expect(await members(segment.id)).toContain(rui);
    // What the region's Schedule starts every few minutes.
    const result = await d.client.workflow.execute('segmentMaintenance', {
      taskQueue: d.config.regions.region('eu').taskQueue,
      workflowId: `segment-maintenance-eu-test-${Date.now()}`,
      args: [{ region: 'eu' }],
    });
    expect(result.started + result.running).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect(await members(segment.id)).not.toContain(rui), 30_000);
  });

  it('a bad definition gets a 400 naming the field and the rule; an identifying field is refused with the reason', async () => {
    const bad = async (definition: unknown) => {
      const res = await h.admin('POST', '/admin/segments', { name: 'bad', owner: 'group', definition });
      expect(res.status).toBe(400);
      return res.body.error as string;
    };
    expect(await bad({ all: [{ type: 'event', name: 'Product Viewed', atLeast: -1 }] })).toBe(
      'definition.all.0.atLeast: must be 0 or more',
    );
    expect(await bad({ any: [{ type: 'trait', key: 'plan', op: 'in', value: 'pro' }] })).toBe(
      'definition.any.0.value: in needs a non-empty list of values',
    );
    expect(await bad({ not: { type: 'weather' } })).toMatch(
      /^definition\.not\.type: must be a condition with type one of trait/,
    );
    expect(await bad({ all: [] })).toBe('definition.all: must be a non-empty list of conditions');
    expect(await bad({ type: 'trait', key: 'email', op: 'eq', value: 'someone@example.com' })).toBe(
      'definition.key: "email" is user.contact.email, an identifying category: it is sealed and a segment may not filter on it',
    );
    expect(await bad({ type: 'event', name: 'Signed Up', where: [{ key: 'shoe_size', op: 'eq', value: 42 }] })).toMatch(
      /^definition\.where\.0\.key: "shoe_size" is not classified/,
    );
    expect(await bad({ type: 'market', regions: ['mars'] })).toBe(
      'definition.regions.0: "mars" is not a region; use one of eu, us, apac',
    );
    let deep: unknown = { type: 'tag', key: 'vip' };
    for (let i = 0; i < 8; i++) deep = { not: deep };
    expect(await bad(deep)).toMatch(/nested deeper than 6 levels/);
    const preview = await h.admin('POST', '/admin/segments/preview', { definition: { type: 'order', amount: {} } });
    expect(preview).toMatchObject({ status: 400, body: { error: 'definition.amount: give atLeast or atMost' } });
    // Nothing was stored.
    expect((await d.global().sql`select count(*)::int as n from segments where name = 'bad'`)[0]!.n).toBe(0);
  });

  it('region-scoped tokens see and change only their regions’ segments', async () => {
    const local = await as(EU_TOKEN, 'POST', '/admin/segments', {
      name: 'Berlin VIPs',
      owner: 'eu',
      definition: { type: 'tag', key: 'vip' },
    });
    expect(local.status, JSON.stringify(local.body)).toBe(201);
    const id = local.body.segment.id;
    // us cannot see it, change it, count it or list it: as if it did not exist.
    for (const [method, path, body] of [
      ['GET', `/admin/segments/${id}`],
      ['PUT', `/admin/segments/${id}`, { definition: { type: 'tag', key: 'gold' } }],
      ['GET', `/admin/segments/${id}/counts`],
      ['GET', `/admin/segments/${id}/members`],
      ['POST', `/admin/segments/${id}/recompute`],
    ] as const) {
      const res = await as(US_TOKEN, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // A group segment spans every region: only a token for all regions may make or change one.
    const group = await as(EU_TOKEN, 'POST', '/admin/segments', {
      name: 'Everyone tagged',
      owner: 'group',
      definition: { type: 'tag', key: 'vip' },
    });
    expect(group.status).toBe(403);
    expect(group.body.error).toMatch(/covers eu, but a group segment is evaluated in every region/);
    expect(
      (await as(US_TOKEN, 'POST', '/admin/segments/preview', { owner: 'eu', definition: { type: 'tag', key: 'vip' } }))
        .status,
    ).toBe(403);
    // Unchanged by the refused calls.
    expect((await h.admin('GET', `/admin/segments/${id}`)).body.segment.version).toBe(1);
  });
});
