import { Analytics } from '@segment/analytics-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { identityMergeWorkflowId } from '../../temporal/processes/identity-merge';
import { RegionWriter, RegionWriterDeps } from '../../db/region-writer';
import { appendIntake, createIntakeKey } from '../../db/intake-store';
import { keyFromRef } from '../../db/crypto-shredding';
import type { TrackingCall } from '../../domain/tracking';
import { DEFAULT_BRAND } from '../../domain/brands';

describe('Segment-compatible ingestion with One ID', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let eu: { id: string; writeKey: string };
  let us: { id: string; writeKey: string };
  let apac: { id: string; writeKey: string };

  const euOnlyToken = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    const allRegions = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!;
    d = await createTestDeployment('ingest', { MERIDIAN_ADMIN_TOKENS: `${allRegions},${euOnlyToken}:eu` });
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    h = await startIngestion(d);
    eu = await h.createSource('Berlin web shop', 'eu');
    us = await h.createSource('US app', 'us');
    apac = await h.createSource('Tokyo store', 'apac');
  });
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  const lookup = async (type: string, value: string, country?: string) =>
    h.admin('POST', '/admin/profiles/lookup', { type, value, ...(country ? { country } : {}) });

  it('takes calls from the official Segment Node library and merges them into one profile', async () => {
    const analytics = new Analytics({ writeKey: eu.writeKey, host: h.base, flushInterval: 50, maxEventsInBatch: 10 });
    const before = Date.now();
    analytics.page({
      anonymousId: 'anon-seg-1',
      name: 'Home',
      context: { locale: 'de-DE', timezone: 'Europe/Berlin' },
    });
    analytics.track({ anonymousId: 'anon-seg-1', event: 'Product Viewed', properties: { sku: 'SKU-1', price: 19.9 } });
    analytics.identify({ userId: 'seg-user-1', traits: { email: 'Seg.User@Example.de', name: 'Jürgen Groß' } });
    analytics.alias({ userId: 'seg-user-1', previousId: 'anon-seg-1' });
    analytics.track({ userId: 'seg-user-1', event: 'Order Completed', properties: { total: 42 } });
    await analytics.closeAndFlush();

    await eventually(
      async () => {
        const { status, body } = await lookup('user_id', 'seg-user-1');
        expect(status).toBe(200);
        const part = body.regions[0];
        expect(part.region).toBe('eu');
        expect(part.recentEvents.map((e: any) => e.event ?? e.type).sort()).toEqual(
          ['Home', 'Order Completed', 'Product Viewed', 'alias', 'identify'].sort(),
        );
        expect(part.identities.map((i: any) => `${i.type}=${i.value}`).sort()).toEqual([
          'anonymous_id=anon-seg-1',
          'email=seg.user@example.de',
          'user_id=seg-user-1',
        ]);
        expect(part.traits.name.value).toBe('Jürgen Groß');
        for (const e of part.recentEvents) {
          // The library's clock is this machine's: no skew, so times are when the calls were made.
          expect(new Date(e.timestamp).getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(new Date(e.timestamp).getTime()).toBeLessThanOrEqual(Date.now());
        }
        const page = part.recentEvents.find((e: any) => e.type === 'page');
        expect(page).toMatchObject({ locale: 'de-DE', timezone: 'Europe/Berlin' });
      },
      30_000,
      300,
    );
  });

  it('corrects client clock skew from sentAt and keeps the original times', async () => {
    const twoHours = 2 * 3600_000;
    const deviceNow = Date.now() - twoHours; // device clock two hours behind
    const res = await h.send(eu.writeKey, '/v1/track', {
      userId: 'skew-user',
      event: 'Skewed',
      timestamp: new Date(deviceNow - 60_000).toISOString(), // happened a minute before sending
      sentAt: new Date(deviceNow).toISOString(),
    });
    expect(res.status).toBe(200);
    const { body } = await lookup('user_id', 'skew-user');
    const [event] = body.regions[0].recentEvents;
    const lag = new Date(event.receivedAt).getTime() - new Date(event.timestamp).getTime();
    expect(lag).toBeGreaterThanOrEqual(59_000);
    expect(lag).toBeLessThan(61_000);
  });

  it('stores a messageId once per source, also after a restart of the web server', async () => {
    const call = { userId: 'dedupe-user', event: 'Once', messageId: 'msg-dedupe-1' };
    expect((await h.send(eu.writeKey, '/v1/track', call)).status).toBe(200);
    expect(
      (
        await h.send(eu.writeKey, '/v1/batch', {
          batch: [
            { ...call, type: 'track' },
            { ...call, type: 'track' },
          ],
        })
      ).status,
    ).toBe(200);
    await h.close();
    h = await startIngestion(d);
    expect((await h.send(eu.writeKey, '/v1/track', call)).status).toBe(200);
    const { body } = await lookup('user_id', 'dedupe-user');
    expect(body.regions[0].recentEvents).toHaveLength(1);
    // Another source may use the same message ID for its own event.
    expect((await h.send(us.writeKey, '/v1/track', call)).status).toBe(200);
  });

  it('enforces Segment’s limits, naming them, and keeps the good items of a bad batch', async () => {
    const tooMany = { batch: Array.from({ length: 2501 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'E' })) };
    const many = await h.send(eu.writeKey, '/v1/batch', tooMany);
    expect([400, 413]).toContain(many.status);
    expect(many.body.error).toMatch(/2500|512000|500/);

    const big = await h.send(eu.writeKey, '/v1/batch', {
      batch: [{ type: 'track', userId: 'u', event: 'E', properties: { blob: 'x'.repeat(600_000) } }],
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/limit/);

    const oneBig = await h.send(eu.writeKey, '/v1/track', {
      userId: 'u',
      event: 'E',
      properties: { blob: 'x'.repeat(40_000) },
    });
    expect(oneBig.status).toBe(413);
    expect(oneBig.body.error).toMatch(/32768 bytes per event/);

    const mixed = await h.send(eu.writeKey, '/v1/batch', {
      batch: [
        { type: 'track', userId: 'batch-good-1', event: 'Good' },
        { type: 'track', userId: 'batch-bad-1' },
        { type: 'identify' },
        {
          type: 'track',
          userId: 'batch-good-2',
          event: 'Good',
          properties: { emoji: '🎉', rtl: 'مرحبا', cjk: '你好', nul: 'a\u0000b' },
        },
        { type: 'teleport', userId: 'x' },
      ],
    });
    expect(mixed.status).toBe(200);
    expect(mixed.body.rejected.map((r: any) => r.index)).toEqual([1, 2, 4]);
    expect(mixed.body.rejected[0].reason).toMatch(/event/);
    const good = await lookup('user_id', 'batch-good-2');
    expect(good.body.regions[0].recentEvents[0].payload.properties).toEqual({
      emoji: '🎉',
      rtl: 'مرحبا',
      cjk: '你好',
      nul: 'ab',
    });
  });

  it('answers unknown and missing write keys with 401 and a message that says what to do', async () => {
    const unknown = await h.send('wk_nope', '/v1/track', { userId: 'u', event: 'E' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe("writeKey unknown: check the source's key in the console");
    const res = await fetch(`${h.base}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":"u","event":"E"}',
    });
    expect(res.status).toBe(401);
    // writeKey in the body works too (Segment allows it).
    expect(
      (
        await fetch(`${h.base}/v1/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ writeKey: eu.writeKey, userId: 'body-key', event: 'E' }),
        })
      ).status,
    ).toBe(200);
  });

  it('rotates a write key: the new key works at once and the old one keeps working for a grace period', async () => {
    const source = await h.createSource('rotating', 'eu');
    const rotated = await h.admin('POST', `/admin/sources/${source.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.writeKey).not.toBe(source.writeKey);
    expect((await h.send(rotated.body.writeKey, '/v1/track', { userId: 'rot-1', event: 'New key' })).status).toBe(200);
    expect((await h.send(source.writeKey, '/v1/track', { userId: 'rot-1', event: 'Old key' })).status).toBe(200);
    const listed = await h.admin('GET', '/admin/sources');
    expect(JSON.stringify(listed.body)).not.toContain(rotated.body.writeKey); // only the hint is ever shown again
    expect((await h.admin('POST', '/admin/sources/src_nope/rotate')).status).toBe(404);
  });

  it('makes a source say what kind it is, and takes only real web origins for it', async () => {
    const noKind = await h.admin('POST', '/admin/sources', { name: 'kindless', region: 'eu' });
    expect(noKind.status).toBe(400);
    expect(noKind.body.error).toMatch(/^kind: kind must be "browser" .* or "server"/);
    for (const bad of [
      'https://shop.example/path',
      'javascript:alert(1)',
      '*',
      'https://user@shop.example',
      'shop.example',
    ]) {
      const res = await h.admin('POST', '/admin/sources', {
        name: 'bad origin',
        region: 'eu',
        kind: 'browser',
        allowedOrigins: [bad],
      });
      expect(res.status, bad).toBe(400);
      expect(res.body.error, bad).toMatch(/^allowedOrigins\.0: an origin is scheme:\/\/host/);
    }
    const made = await h.admin('POST', '/admin/sources', {
      name: 'web shop',
      region: 'eu',
      kind: 'browser',
      allowedOrigins: ['https://Shop.Example'],
    });
    expect(made.status).toBe(201);
    expect(made.body.source).toMatchObject({ kind: 'browser', allowedOrigins: ['https://shop.example'] });
    const changed = await h.admin('PATCH', `/admin/sources/${made.body.source.id}`, {
      kind: 'server',
      allowedOrigins: ['http://localhost:8080'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body.source).toMatchObject({
      kind: 'server',
      allowedOrigins: ['http://localhost:8080'],
      region: 'eu',
    });
    expect((await h.admin('PATCH', `/admin/sources/${made.body.source.id}`, { region: 'us' })).status).toBe(400); // a region is for life
    expect((await h.admin('PATCH', `/admin/sources/${made.body.source.id}`, {})).status).toBe(400);
    expect((await h.admin('PATCH', '/admin/sources/src_nope', { kind: 'server' })).status).toBe(404);
  });

  it('reads phone numbers from five countries with the event’s country or locale as the hint', async () => {
    const cases = [
      { userId: 'phone-tw', phone: '0912 345 678', context: { location: { country: 'TW' } }, e164: '+886912345678' },
      { userId: 'phone-de', phone: '030 1234567', context: { locale: 'de-DE' }, e164: '+49301234567' },
      { userId: 'phone-jp', phone: '090-1234-5678', context: { locale: 'ja-JP' }, e164: '+819012345678' },
      {
        userId: 'phone-br',
        phone: '(11) 91234-5678',
        context: { location: { country: 'BR' } },
        e164: '+5511912345678',
      },
      { userId: 'phone-th', phone: '081 234 5678', context: { locale: 'th-TH' }, e164: '+66812345678' },
    ];
    const res = await h.send(apac.writeKey, '/v1/batch', {
      batch: cases.map((c) => ({ type: 'identify', userId: c.userId, traits: { phone: c.phone }, context: c.context })),
    });
    expect(res.status).toBe(200);
    for (const c of cases) {
      const { body } = await lookup('phone', c.e164);
      expect(body.regions[0].identities.find((i: any) => i.type === 'user_id').value, c.userId).toBe(c.userId);
    }
  });

  it('keeps profiles with different user IDs apart, and ignores blocked placeholder values', async () => {
    await h.send(eu.writeKey, '/v1/identify', { userId: 'protect-a', traits: { email: 'shared@example.org' } });
    await h.send(eu.writeKey, '/v1/identify', { userId: 'protect-b', traits: { email: 'shared@example.org' } });
    const a = await lookup('user_id', 'protect-a');
    const b = await lookup('user_id', 'protect-b');
    expect(a.body.customerId).not.toBe(b.body.customerId);
    expect(b.body.regions[0].identities.map((i: any) => i.type)).toEqual(['user_id']);

    await h.send(eu.writeKey, '/v1/identify', {
      userId: 'blocked-1',
      traits: { email: 'test@example.com', phone: '0000000000' },
    });
    await h.send(eu.writeKey, '/v1/identify', { userId: 'blocked-2', traits: { email: 'test@example.com' } });
    const b1 = await lookup('user_id', 'blocked-1');
    expect(b1.body.regions[0].identities.map((i: any) => i.type)).toEqual(['user_id']);
    const blocked = await lookup('email', 'test@example.com');
    expect(blocked.status).toBe(400);
    expect(blocked.body.error).toBe('email is a blocked placeholder value');
  });

  it('merges an anonymous profile into the identified one through the identity-merge workflow', async () => {
    await h.send(eu.writeKey, '/v1/track', { anonymousId: 'anon-merge', event: 'Browsed' });
    await h.send(eu.writeKey, '/v1/track', { anonymousId: 'anon-merge', event: 'Browsed again' });
    await h.send(eu.writeKey, '/v1/identify', { userId: 'merge-user', traits: { plan: 'gold' } });
    const anon = (await lookup('anonymous_id', 'anon-merge')).body.customerId;
    const user = (await lookup('user_id', 'merge-user')).body.customerId;
    expect(anon).not.toBe(user);

    await h.send(eu.writeKey, '/v1/identify', {
      userId: 'merge-user',
      anonymousId: 'anon-merge',
      traits: { city: 'München' },
    });
    const handle = d.client.workflow.getHandle(identityMergeWorkflowId(user));
    await eventually(
      async () => {
        const { body } = await h.admin('GET', `/admin/profiles/${user}`);
        const part = body.regions[0];
        expect(part.mergeHistory).toEqual([
          expect.objectContaining({ from: anon, into: user, linkedBy: 'anonymous_id', eventsMoved: 2 }),
        ]);
        expect(
          part.recentEvents
            .map((e: any) => e.event)
            .filter(Boolean)
            .sort(),
        ).toEqual(['Browsed', 'Browsed again']);
        expect(part.traits).toMatchObject({ plan: { value: 'gold' }, city: { value: 'München' } });
      },
      30_000,
      300,
    );
    expect((await handle.describe()).status.name).toMatch(/RUNNING|COMPLETED/);
    // The merge workflow's history, decoded, carries customer IDs and types only (rule 2).
    const history = await handle.fetchHistory();
    const codec = new AesGcmPayloadCodec(d.config.payloadKeys);
    const payloads = JSON.stringify(history.events, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
    );
    const decoded: string[] = [];
    for (const event of history.events ?? []) {
      const attrs =
        event.workflowExecutionStartedEventAttributes?.input ??
        event.workflowExecutionSignaledEventAttributes?.input ??
        event.activityTaskScheduledEventAttributes?.input;
      for (const p of attrs?.payloads ?? [])
        decoded.push(Buffer.from((await codec.decode([p as any]))[0]!.data!).toString());
    }
    expect(decoded.join('\n')).toContain(anon);
    for (const text of [payloads, decoded.join('\n')]) {
      expect(text).not.toMatch(/merge-user|anon-merge|München|gold/);
    }
    // Looking up the merged identifier lands on the survivor.
    expect((await lookup('anonymous_id', 'anon-merge')).body.customerId).toBe(user);
  });

  it('gives one customer ID across regions while each region keeps only what it collected', async () => {
    await h.send(eu.writeKey, '/v1/identify', {
      userId: 'zoe-1',
      // The name arrives decomposed (e + combining diaeresis); it is stored in NFC.
      traits: {
        email: 'zoe@beispiel.de',
        name: 'Zoe\u0308 Müller',
        phone: '+49 30 98765432',
        street: 'Unter den Linden 5',
      },
      context: { ip: '203.0.113.9' },
    });
    await h.send(us.writeKey, '/v1/track', {
      anonymousId: 'us-device-7',
      event: 'App Opened',
      context: { traits: { email: 'ZOE@beispiel.de' } },
    });
    await h.send(us.writeKey, '/v1/identify', {
      anonymousId: 'us-device-7',
      traits: { email: 'zoe@beispiel.de', favourite: 'pizza' },
    });

    const { body } = await lookup('email', 'zoe@beispiel.de');
    expect(body.regions.map((r: any) => r.region).sort()).toEqual(['eu', 'us']);
    const euPart = body.regions.find((r: any) => r.region === 'eu');
    const usPart = body.regions.find((r: any) => r.region === 'us');
    expect(euPart.traits.name.value).toBe('Zoë Müller');
    expect(usPart.traits.name).toBeUndefined();
    expect(usPart.identities.map((i: any) => i.type).sort()).toEqual(['anonymous_id', 'email']);

    // A token allowed only for eu sees the us part without personal data.
    const scoped = await fetch(`${h.base}/admin/profiles/lookup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${euOnlyToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'email', value: 'zoe@beispiel.de' }),
    });
    const scopedBody = (await scoped.json()) as any;
    expect(scopedBody.regions.find((r: any) => r.region === 'eu').personalData).toBe('shown');
    const usScoped = scopedBody.regions.find((r: any) => r.region === 'us');
    expect(usScoped).toEqual({
      region: 'us',
      customerId: body.customerId,
      personalData: 'withheld',
      counts: { identities: 2, events: 2 },
    });

    // No raw personal value of the EU person in the us, apac or global databases.
    const euOnly = ['Zoë Müller', 'Unter den Linden', '+493098765432', '203.0.113.9', 'zoe-1'];
    const everywhere = ['zoe@beispiel.de', ...euOnly];
    for (const [name, sql] of [
      ['us', d.regional('us').sql],
      ['apac', d.regional('apac').sql],
      ['global', d.global().sql],
    ] as const) {
      const dump = await dumpDatabase(sql);
      for (const value of name === 'us' ? euOnly : everywhere)
        expect(dump.includes(value), `${value} in ${name}`).toBe(false);
    }
    // Not even the EU database holds them in plain text: they are sealed.
    const euDump = await dumpDatabase(d.regional('eu').sql);
    for (const value of everywhere) expect(euDump.includes(value), `${value} in eu`).toBe(false);
  });

  it('makes a profile’s personal fields unreadable once its data key is destroyed (crypto-shredding)', async () => {
    await h.send(eu.writeKey, '/v1/identify', {
      userId: 'shred-me',
      traits: { email: 'shred@example.net', name: 'Shred Me' },
    });
    const { body } = await lookup('user_id', 'shred-me');
    const sql = d.regional('eu').sql;
    const [sealed] = await sql<
      { payload_sealed: Buffer }[]
    >`select payload_sealed from events where customer_id = ${body.customerId}`;
    expect(sealed!.payload_sealed.toString('latin1')).not.toContain('Shred Me');

    await sql`update profiles set data_key_wrapped = null where customer_id = ${body.customerId}`;
    h.web.writers.get('eu')!.forgetKeys([body.customerId]);
    const after = await h.admin('GET', `/admin/profiles/${body.customerId}`);
    expect(after.status).toBe(200);
    expect(after.body.regions[0]).toMatchObject({ personalData: 'shredded', counts: { events: 1 } });
    expect(JSON.stringify(after.body)).not.toContain('Shred Me');
    // The sealed copy in the event log is still there, and cannot be opened with any key we hold.
    const [still] = await sql<
      { n: number }[]
    >`select count(*)::int as n from events where customer_id = ${body.customerId}`;
    expect(still!.n).toBe(1);
  });

  it('fails only the request at fault when the database refuses a value, storing everyone else’s events', async () => {
    const writer = h.web.writers.get('eu')!;
    const call = (userId: string, timestamp: Date) => ({
      sourceId: eu.id,
      call: {
        type: 'track' as const,
        messageId: `isolation-${userId}`,
        userId,
        event: 'Isolation',
        properties: {},
        traits: {},
        context: {},
        integrations: {},
        receivedAt: new Date(),
        timestamp,
        warnings: [],
      },
    });
    // A time PostgreSQL cannot hold, which validation would never let through, forced in here.
    const yearZero = new Date(0);
    yearZero.setUTCFullYear(0);
    // The first two take the writer's two commit slots; the next three queue and share one transaction.
    const results = await Promise.allSettled([
      writer.write([call('iso-good-1', new Date())]),
      writer.write([call('iso-good-2', new Date())]),
      writer.write([call('iso-good-3', new Date())]),
      writer.write([call('iso-bad', yearZero)]),
      writer.write([call('iso-good-4', new Date())]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    for (const user of ['iso-good-1', 'iso-good-2', 'iso-good-3', 'iso-good-4']) {
      expect((await lookup('user_id', user)).body.regions[0].counts.events, user).toBe(1);
    }
  });

  it('batch amplification: a batch-level context too large to copy into every item is refused, not stored once per item', async () => {
    // ~100 KB of batch context over 100 tiny items: each item was measured before the merge (~60
    // bytes) and stored with the whole context (~100 KB each, 10 MB for a 100 KB request).
    const context = { a: 'x'.repeat(50_000), b: 'y'.repeat(50_000) };
    const res = await h.send(eu.writeKey, '/v1/batch', {
      context,
      batch: Array.from({ length: 100 }, (_, i) => ({ type: 'track', userId: `amplified-${i}`, event: 'E' })),
    });
    expect(res.status).toBe(400);
    expect(res.body.rejected).toHaveLength(100);
    expect(res.body.rejected[0].reason).toMatch(
      /once the batch's context and integrations are merged in; the limit is 32768 bytes per event/,
    );
    expect((await lookup('user_id', 'amplified-0')).status).toBe(404);
    // A modest batch context is still merged into each item, as Segment does.
    const ok = await h.send(eu.writeKey, '/v1/batch', {
      context: { locale: 'de-DE' },
      batch: [{ type: 'track', userId: 'amplified-ok', event: 'E' }],
    });
    expect(ok.status).toBe(200);
    expect((await lookup('user_id', 'amplified-ok')).body.regions[0].recentEvents[0]).toMatchObject({
      locale: 'de-DE',
    });
  });

  it('random write keys from one address are cut off before the database; known keys keep working', async () => {
    expect((await h.send(eu.writeKey, '/v1/track', { userId: 'key-flood-before', event: 'E' })).status).toBe(200);
    const random = () => `wk_${randomBytes(24).toString('base64url')}`;
    const statuses = await Promise.all(
      Array.from({ length: 80 }, () =>
        h.send(random(), '/v1/track', { userId: 'u', event: 'E' }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // A key of the wrong shape is refused as unknown, without a lookup (so not limited either).
    const malformed = await h.send('wk_nope', '/v1/track', { userId: 'u', event: 'E' });
    expect(malformed.status).toBe(401);
    // The source's key is still cached: the flood neither evicted it nor made it wait.
    expect((await h.send(eu.writeKey, '/v1/track', { userId: 'key-flood-after', event: 'E' })).status).toBe(200);
  });

  it('two regions resolving one new person at the same moment give one customer ID, found from either', async () => {
    // With two-stage ingestion each region's processor resolves on its own: both may look an email
    // up before either registered it. The later registration must not keep a profile of its own.
    const writer = (region: string) => h.web.writers.get(region)!;
    const call = (sourceId: string, email: string, anonymousId: string) => [
      {
        sourceId,
        provenance: 'server' as const,
        call: {
          type: 'identify' as const,
          messageId: `race-${anonymousId}`,
          anonymousId,
          traits: { email },
          context: {},
          properties: {},
          integrations: {},
          receivedAt: new Date(),
          timestamp: new Date(),
          warnings: [],
        },
      },
    ];
    const people = Array.from({ length: 12 }, (_, i) => `racer-${i}-${randomBytes(4).toString('hex')}@example.com`);
    await Promise.all(
      people.map((email, i) =>
        Promise.all([
          writer('eu').write(call(eu.id, email, `eu-device-${i}-${email}`)),
          writer('us').write(call(us.id, email, `us-device-${i}-${email}`)),
          writer('apac').write(call(apac.id, email, `apac-device-${i}-${email}`)),
        ]),
      ),
    );
    for (const [i, email] of people.entries()) {
      const byEmail = await lookup('email', email);
      expect(byEmail.body.regions.map((r: any) => r.region).sort(), email).toEqual(['apac', 'eu', 'us']);
      // Each region's own device leads to the same person.
      for (const region of ['eu', 'us', 'apac']) {
        const byDevice = await lookup('anonymous_id', `${region}-device-${i}-${email}`);
        expect(byDevice.body.customerId, `${region} device of ${email}`).toBe(byEmail.body.customerId);
      }
    }
  });

  it('resolves calls that depend on each other within one intake batch as one after the other, and drops only a request the database refuses', async () => {
    // All in the intake at once (one append, one commit), so a processor claims them as one batch.
    const region = d.config.regions.region('eu');
    const sql = d.regional('eu').sql;
    const key = await createIntakeKey(sql, keyFromRef(region.keyRef, d.config.env));
    const call = (n: number, fields: Record<string, unknown>, timestamp = new Date()) =>
      ({
        type: 'identify',
        messageId: `in-batch-${n}`,
        properties: {},
        traits: {},
        context: {},
        integrations: {},
        receivedAt: new Date(),
        timestamp,
        warnings: [],
        ...fields,
      }) as unknown as TrackingCall;
    const yearZero = new Date(0);
    yearZero.setUTCFullYear(0);
    const request = (calls: TrackingCall[]) => ({
      sourceId: eu.id,
      sourceKind: 'server' as const,
      brandId: DEFAULT_BRAND,
      calls,
    });
    await appendIntake(sql, key, [
      // A device, then the person signing in on it, then the person's email alone: one profile.
      request([call(1, { anonymousId: 'in-batch-device' })]),
      request([
        call(2, { anonymousId: 'in-batch-device', userId: 'in-batch-user', traits: { email: 'in.batch@example.org' } }),
      ]),
      // A value PostgreSQL refuses (validation would never let it through): this request alone is dropped.
      request([call(3, { userId: 'in-batch-refused' }, yearZero)]),
      request([call(4, { traits: { email: 'in.batch@example.org' } })]),
      // Another user ID with the same email: kept apart (merge protection), as when sent one by one.
      request([call(5, { userId: 'in-batch-other', traits: { email: 'in.batch@example.org' } })]),
    ]);
    await h.processed();
    const device = await lookup('anonymous_id', 'in-batch-device');
    const user = await lookup('user_id', 'in-batch-user');
    expect(user.body.customerId).toBe(device.body.customerId);
    expect((await lookup('email', 'in.batch@example.org')).body.customerId).toBe(user.body.customerId);
    expect(user.body.regions[0].counts.events).toBe(3);
    const other = await lookup('user_id', 'in-batch-other');
    expect(other.body.customerId).not.toBe(user.body.customerId);
    expect(other.body.regions[0].identities.map((i: any) => i.type)).toEqual(['user_id']);
    const stored = await sql<{ message_id: string }[]>`
      select message_id from events where source_id = ${eu.id} and message_id like 'in-batch-%' order by message_id`;
    expect(stored.map((r) => r.message_id)).toEqual(['in-batch-1', 'in-batch-2', 'in-batch-4', 'in-batch-5']);
  });

  it('group-commit race: a request retried alone after a shared transaction failed keeps the customer ID that transaction registered globally', async () => {
    // The shared transaction registers its people in the global index on the global pool, in
    // parallel with its regional writes. When a bad value broke it, the requests were retried
    // alone while that registration was still in flight: a retry missed it, took a new customer
    // ID, and then lost to it in the global index, so lookups found a profile with no regional part.
    const base = (h.web.writers.get('eu') as unknown as { deps: RegionWriterDeps }).deps;
    const held: (() => Promise<unknown>)[] = [];
    let onHeld = () => {};
    let passThrough = false;
    // The registration runs in a global transaction: its statements are held on the way in.
    const holding = <T extends object>(sql: T): T =>
      new Proxy(sql, {
        apply(target, thisArg, args) {
          const text = Array.isArray(args[0]) ? (args[0] as string[]).join(' ') : '';
          if (passThrough || !text.includes('insert into identity_index'))
            return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
          return new Promise((resolve, reject) => {
            held.push(() =>
              (Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args) as Promise<unknown>).then(
                resolve,
                reject,
              ),
            );
            onHeld();
          });
        },
      });
    const globalSql = new Proxy(base.globalSql, {
      get(target, prop, receiver) {
        if (prop !== 'begin') return Reflect.get(target, prop, receiver);
        return (fn: (tx: unknown) => Promise<unknown>) => target.begin((tx) => fn(holding(tx)));
      },
    });
    const heldCount = (n: number) =>
      new Promise<void>((resolve) => {
        onHeld = () => held.length >= n && resolve();
        onHeld();
      });
    const writer = new RegionWriter({ ...base, globalSql });
    const call = (userId: string, timestamp = new Date()) => [
      {
        sourceId: eu.id,
        call: {
          type: 'track' as const,
          messageId: `race-${userId}`,
          userId,
          event: 'Race',
          properties: {},
          traits: {},
          context: {},
          integrations: {},
          receivedAt: new Date(),
          timestamp,
          warnings: [],
        },
      },
    ];
    const yearZero = new Date(0);
    yearZero.setUTCFullYear(0);

    // Two commits take the writer's two slots and wait in their global registration…
    const blockers = [writer.write(call('race-blocker-1')), writer.write(call('race-blocker-2'))];
    await heldCount(2);
    // …so these three queue and share the next transaction, which the bad value breaks.
    const shared = [
      writer.write(call('race-good-1')),
      writer.write(call('race-bad', yearZero)),
      writer.write(call('race-good-2')),
    ];
    void held[0]!();
    void held[1]!();
    await Promise.all(blockers);
    await heldCount(3); // the shared transaction's registration, held
    // Before the fix, the retries ran now and registered again (a fourth insert); after it, they
    // wait for the held registration. Give a retry time to show up either way, then let all land.
    await Promise.race([heldCount(4), new Promise((resolve) => setTimeout(resolve, 2000))]);
    // In arrival order, each after the one before: the shared transaction's registration lands
    // first, as it did in the flaky runs (it was already on its way).
    passThrough = true;
    for (const release of held.slice(2)) await release();

    const results = await Promise.allSettled(shared);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    for (const user of ['race-good-1', 'race-good-2']) {
      const found = await lookup('user_id', user);
      expect(found.body.regions[0]?.counts.events, user).toBe(1);
    }
  });

  it('answers a flood from one key with 429 and Retry-After, and other sources keep going', async () => {
    const flood = await createTestDeployment('flood', { MERIDIAN_INGEST_RATE: '20' });
    const fh = await startIngestion(flood);
    try {
      const src = await fh.createSource('noisy', 'eu');
      const other = await fh.createSource('quiet', 'eu');
      // Sent together, so the bucket (20 events/s, twice that in a burst) cannot refill between
      // them however slowly a busy machine answers: two batches of 15 fit, the rest do not.
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          fh.send(src.writeKey, '/v1/batch', {
            batch: Array.from({ length: 15 }, (_, j) => ({ type: 'track', userId: `f${i}-${j}`, event: 'E' })),
          }),
        ),
      );
      const statuses = answers.map((res) => res.status);
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
      const retryAfter = answers.find((res) => res.status === 429)!.headers.get('retry-after');
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await fh.send(other.writeKey, '/v1/track', { userId: 'calm', event: 'E' })).status).toBe(200);
    } finally {
      await fh.close();
      await flood.close();
    }
  });
});

/** Every row of every table, as text (bytea as hex would hide a value, so decode it as UTF-8 too). */
async function dumpDatabase(sql: import('postgres').Sql): Promise<string> {
  const tables = await sql<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await sql`select * from ${sql(table_name)}`;
    for (const row of rows) {
      for (const value of Object.values(row)) {
        parts.push(
          Buffer.isBuffer(value)
            ? value.toString('utf8')
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value),
        );
      }
    }
  }
  return parts.join('\n');
}
