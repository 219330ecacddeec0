import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConsentActivities } from '../../activities/consent/regional';
import { visibleSourceIds } from '../../db/brands-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { eraseProfiles } from '../../db/erasure-store';
import { mergeProfiles } from '../../db/identity-merge-store';
import { effectiveConsentSql, readConsent } from '../../db/consent-store';
import { ruleTagsOf, syncRuleTags } from '../../db/tags-store';
import { PURPOSES } from '../../domain/consent';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { bearerCaller } from '../support/admin-api';

/**
 * Brands and tags (issue 11 §2 and §4) on real PostgreSQL, through the admin and tracking APIs:
 * the brand-visibility rule with sharing on and off, consent per brand where a brand is a separate
 * controller (and its SQL form for segments), central tags applying in every region and local ones
 * only in their own, uploads matched through the blind index, promotion, rule tags following a
 * segment's membership, and region-scoped tokens kept to their regions.
 */

const US_TOKEN = `us-only-${'u'.repeat(24)}`;
const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;

describe('brands and tags', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let allToken: string;
  const people = {} as Record<'both' | 'euOnly' | 'usOnly', string>;
  const emails = { both: 'mika.both@example.com', euOnly: 'ines.eu@example.de', usOnly: 'sam.us@example.com' };
  let euSource: { id: string; writeKey: string };
  let usSource: { id: string; writeKey: string };

  const as = bearerCaller(() => h.base);
  const admin = (method: string, url: string, body?: unknown, contentType?: string) =>
    as(allToken, method, url, body, contentType);
  const lookup = async (email: string) =>
    (await admin('POST', '/admin/profiles/lookup', { type: 'email', value: email })).body.customerId as string;
  const assignments = async (region: string, tag: string) =>
    (
      await d.regional(region).sql<{ customer_id: string; origin: string }[]>`
        select customer_id, origin from tag_assignments where tag_key = ${tag} order by customer_id`
    ).map((r) => r.customer_id);

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('brandstags', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us,${EU_TOKEN}:eu`,
    });
    await Promise.all([d.global().sql`select 1`, d.regional('eu').sql`select 1`, d.regional('us').sql`select 1`]);
    h = await startIngestion(d);
    euSource = await h.createSource('Berlin shop', 'eu');
    usSource = await h.createSource('Boston shop', 'us');
    const identify = async (source: { writeKey: string }, userId: string, email: string) => {
      const res = await h.send(source.writeKey, '/v1/identify', { userId, traits: { email } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await identify(euSource, 'mika-1', emails.both);
    await identify(usSource, 'mika-1', emails.both);
    await identify(euSource, 'ines-1', emails.euOnly);
    await identify(usSource, 'sam-1', emails.usOnly);
    people.both = await lookup(emails.both);
    people.euOnly = await lookup(emails.euOnly);
    people.usOnly = await lookup(emails.usOnly);
    const [both] = await d.global().sql<{ regions: string[] }[]>`
      select regions from customers where customer_id = ${people.both}`;
    expect([...both!.regions].sort()).toEqual(['eu', 'us']);
  });
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  describe('brands', () => {
    it('are created, listed and changed by a workspace token; a region token may only list them', async () => {
      const made = await admin('POST', '/admin/brands', { id: 'acme', name: 'Acme Outdoor', separateController: true });
      expect(made.status, made.text).toBe(201);
      expect(made.body.brand).toMatchObject({ id: 'acme', name: 'Acme Outdoor', separateController: true });
      expect((await admin('POST', '/admin/brands', { id: 'acme', name: 'Again' })).status).toBe(409);
      expect((await admin('POST', '/admin/brands', { id: 'bolt', name: 'Bolt Sports' })).status).toBe(201);
      expect((await admin('POST', '/admin/brands', { id: 'cora', name: 'Cora Home' })).status).toBe(201);

      const scoped = await as(US_TOKEN, 'POST', '/admin/brands', { id: 'sneaky', name: 'Sneaky' });
      expect(scoped.status).toBe(403);
      expect(scoped.body.error).toMatch(/covers us, but brands .*use an admin token for all regions/);
      const listed = await as(US_TOKEN, 'GET', '/admin/brands');
      expect(listed.status).toBe(200);
      expect(listed.body.brands.map((b: any) => b.id)).toEqual(['acme', 'bolt', 'cora', 'default']);

      const renamed = await admin('PATCH', '/admin/brands/bolt', { name: 'Bolt' });
      expect(renamed.body.brand).toMatchObject({ id: 'bolt', name: 'Bolt', separateController: false });
      expect((await as(EU_TOKEN, 'PATCH', '/admin/brands/bolt', { name: 'Mine' })).status).toBe(403);
      expect((await admin('PATCH', '/admin/brands/nope', { name: 'X' })).status).toBe(404);
    });

    it('refuse bad input with a 400 naming the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ id: 'Acme Outdoor', name: 'x' }, /^id: must be a slug/],
        [{ id: 'ok-id', name: '  ' }, /^name: give the brand a name/],
        [{ id: 'ok-id', name: 'x', separateController: 'yes' }, /^separateController: must be true or false/],
        [{ id: 'ok-id', name: 'x', colour: 'red' }, /colour/],
      ];
      for (const [body, error] of cases) {
        const res = await admin('POST', '/admin/brands', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toMatch(error);
      }
      expect((await admin('PATCH', '/admin/brands/acme', {})).body.error).toMatch(/nothing to change/);
      const sharing = await admin('PUT', '/admin/brands/acme/sharing/bolt', { allowed: 'yes' });
      expect(sharing.status).toBe(400);
      expect(sharing.body.error).toMatch(/^allowed: must be true or false/);
      expect((await admin('PUT', '/admin/brands/acme/sharing/acme', { allowed: true })).body.error).toMatch(/^user:/);
      expect((await admin('PUT', '/admin/brands/acme/sharing/nope', { allowed: true })).status).toBe(404);
    });

    it('belong to sources and connectors; an unknown brand is a 400 naming brandId', async () => {
      const bad = await admin('POST', '/admin/sources', { name: 'X', region: 'eu', kind: 'server', brandId: 'nope' });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/^brandId: no brand "nope"/);
      const made = await admin('POST', '/admin/sources', {
        name: 'Acme EU',
        region: 'eu',
        kind: 'server',
        brandId: 'acme',
      });
      expect(made.status, made.text).toBe(201);
      expect(made.body.source.brandId).toBe('acme');
      expect((await admin('PATCH', `/admin/sources/${euSource.id}`, { brandId: 'nope' })).body.error).toMatch(
        /^brandId: no brand/,
      );
      const listed = await admin('GET', '/admin/sources');
      expect(listed.body.sources.find((s: any) => s.id === euSource.id).brandId).toBe('default');

      const connector = {
        system: 'shopify',
        name: 'Bolt Shopify',
        region: 'eu',
        settings: { shopUrl: 'https://bolt-brand.myshopify.com', timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_brand_test' },
      };
      const refused = await admin('POST', '/admin/connectors', { ...connector, id: 'bolt_x', brandId: 'Nope!' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/^brandId: must be a slug/);
      const unknown = await admin('POST', '/admin/connectors', { ...connector, id: 'bolt_y', brandId: 'nope' });
      expect(unknown.body.error).toMatch(/^brandId: no brand "nope"/);
      const created = await admin('POST', '/admin/connectors', { ...connector, id: 'bolt_shop', brandId: 'bolt' });
      expect(created.status, created.text).toBe(201);
      expect(created.body.brandId).toBe('bolt');
      const moved = await admin('PUT', '/admin/connectors/bolt_shop', { brandId: 'cora' });
      expect(moved.body.brandId).toBe('cora');
      expect((await admin('PUT', '/admin/connectors/bolt_shop', { brandId: 'bolt' })).body.brandId).toBe('bolt');
    });

    it('brand sharing off hides one brand’s data from another’s (visibleSourceIds)', async () => {
      const sql = d.global().sql;
      const acme = (await admin('GET', '/admin/sources')).body.sources
        .filter((s: any) => s.brandId === 'acme')
        .map((s: any) => s.id);
      const bolt = await admin('POST', '/admin/sources', {
        name: 'Bolt US',
        region: 'us',
        kind: 'server',
        brandId: 'bolt',
      });
      const boltIds = [bolt.body.source.id, 'bolt_shop'].sort();

      // Own brand only; the default brand's sources and Bolt's are not Acme's.
      expect(await visibleSourceIds(sql, 'acme')).toEqual(acme);
      expect(await visibleSourceIds(sql, 'bolt')).toEqual(boltIds);
      // The group sees everything (no filter).
      expect(await visibleSourceIds(sql, null)).toBeNull();

      const share = await admin('PUT', '/admin/brands/bolt/sharing/acme', { allowed: true });
      expect(share.status, share.text).toBe(200);
      expect(share.body.sharing).toMatchObject({ ownerBrand: 'bolt', userBrand: 'acme', allowed: true });
      expect(await visibleSourceIds(sql, 'acme')).toEqual([...acme, ...boltIds].sort());
      // Sharing has a direction: Bolt still does not see Acme's.
      expect(await visibleSourceIds(sql, 'bolt')).toEqual(boltIds);

      expect((await as(US_TOKEN, 'PUT', '/admin/brands/bolt/sharing/acme', { allowed: false })).status).toBe(403);
      const off = await admin('PUT', '/admin/brands/bolt/sharing/acme', { allowed: false });
      expect(off.body.sharing.allowed).toBe(false);
      expect(await visibleSourceIds(sql, 'acme')).toEqual(acme);

      const settings = await as(US_TOKEN, 'GET', '/admin/brands/sharing?brand=acme');
      expect(settings.status).toBe(200);
      expect(settings.body.sharing).toEqual([
        expect.objectContaining({ ownerBrand: 'bolt', userBrand: 'acme', allowed: false }),
      ]);
      expect((await admin('GET', '/admin/brands/sharing?brand=NOPE!')).status).toBe(400);
    });
  });

  describe('consent per brand', () => {
    it('a separate controller’s choices are its own; other brands share the group’s consent', async () => {
      const id = people.euOnly;
      const put = (body: unknown) => admin('PUT', `/admin/profiles/${id}/consent`, body);
      const group = await put({
        country: 'DE',
        records: [{ purpose: 'emailMarketing', state: 'granted', proof: { kind: 'form', reference: 'brand-test-1' } }],
      });
      expect(group.status, group.text).toBe(200);
      expect(group.body.brandId).toBeNull();
      expect(group.body.propagation).toBeDefined();

      const acme = await put({
        brandId: 'acme',
        records: [{ purpose: 'emailMarketing', state: 'denied', proof: { kind: 'form', reference: 'brand-test-2' } }],
      });
      expect(acme.status, acme.text).toBe(200);
      expect(acme.body.brandId).toBe('acme');
      // DE is opt-in: Acme's default was denied already, so nothing changed for Acme.
      expect(acme.body.effective.emailMarketing.state).toBe('denied');

      const acmeGrant = await put({
        brandId: 'acme',
        records: [{ purpose: 'analytics', state: 'granted', proof: { kind: 'form', reference: 'brand-test-3' } }],
      });
      expect(acmeGrant.body.changes).toEqual([{ purpose: 'analytics', before: 'denied', after: 'granted' }]);

      // Each change is propagated within its scope: Acme's to Acme's systems, the group's to the others.
      const acmeShop = await admin('POST', '/admin/connectors', {
        id: 'acme_shop',
        system: 'shopify',
        name: 'Acme Shopify',
        region: 'eu',
        brandId: 'acme',
        settings: { shopUrl: 'https://acme-brand.myshopify.com', timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_acme_test' },
      });
      expect(acmeShop.status, acmeShop.text).toBe(201);
      const activities = createConsentActivities({
        region: 'eu',
        sql: d.regional('eu').sql,
        globalSql: d.global().sql,
        regionKey: keyFromRef(d.config.regions.region('eu').keyRef, d.config.env),
      });
      const propagationOf = (workflowId: string) => workflowId.replace(/^consent-/, '');
      const acmeTargets = await activities.consentTargets({
        propagationId: propagationOf(acmeGrant.body.propagation.workflowId),
      });
      expect(acmeTargets.map((t) => t.connectorId)).toEqual(['acme_shop']);
      const groupTargets = await activities.consentTargets({
        propagationId: propagationOf(group.body.propagation.workflowId),
      });
      expect(groupTargets.map((t) => t.connectorId)).toEqual(['bolt_shop']);
      const [scope] = await d.regional('eu').sql<{ brand_id: string | null }[]>`
        select brand_id from consent_propagations where id = ${propagationOf(acmeGrant.body.propagation.workflowId)}`;
      expect(scope!.brand_id).toBe('acme');

      const groupView = await admin('GET', `/admin/profiles/${id}/consent`);
      expect(groupView.body.effective.emailMarketing.state).toBe('granted');
      expect(groupView.body.effective.analytics.state).toBe('denied');
      expect(groupView.body.history.map((r: any) => r.proof.reference)).toEqual(['brand-test-1']);
      expect(groupView.body.propagations.map((p: any) => p.id)).toEqual([
        propagationOf(group.body.propagation.workflowId),
      ]);
      const acmeView = await admin('GET', `/admin/profiles/${id}/consent?brandId=acme`);
      expect(acmeView.body.brandId).toBe('acme');
      expect(acmeView.body.propagations.map((p: any) => p.id)).toEqual([
        propagationOf(acmeGrant.body.propagation.workflowId),
      ]);
      expect(acmeView.body.effective.emailMarketing.state).toBe('denied');
      expect(acmeView.body.effective.analytics.state).toBe('granted');

      // Bolt is not a separate controller: its choices are the group's.
      const bolt = await put({
        brandId: 'bolt',
        records: [{ purpose: 'push', state: 'granted', proof: { kind: 'form', reference: 'brand-test-4' } }],
      });
      expect(bolt.body.brandId).toBeNull();
      expect((await admin('GET', `/admin/profiles/${id}/consent?brandId=bolt`)).body.effective.push.state).toBe(
        'granted',
      );
      expect((await admin('GET', `/admin/profiles/${id}/consent`)).body.effective.push.state).toBe('granted');

      const unknown = await put({
        brandId: 'nope',
        records: [{ purpose: 'push', state: 'denied', proof: { kind: 'f', reference: 'r' } }],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatch(/^brandId: no brand "nope"/);

      const rows = await d.regional('eu').sql<{ brand_id: string | null; purpose: string }[]>`
        select brand_id, purpose from consent_records where customer_id = ${id} order by id`;
      expect(rows.map((r) => `${r.purpose}:${r.brand_id}`)).toEqual([
        'emailMarketing:null',
        'emailMarketing:acme',
        'analytics:acme',
        'push:null',
      ]);
    });

    it('one form submission records a choice for the group and for a separate controller, each once', async () => {
      const record = {
        purpose: 'smsMarketing',
        state: 'granted',
        at: '2026-02-01T10:00:00Z',
        proof: { kind: 'form', reference: 'signup-77' },
      };
      for (const brandId of [undefined, 'acme', undefined, 'acme']) {
        const res = await admin('PUT', `/admin/profiles/${people.euOnly}/consent`, {
          ...(brandId ? { brandId } : {}),
          records: [record],
        });
        expect(res.status, res.text).toBe(200);
      }
      const rows = await d.regional('eu').sql<{ brand_id: string | null }[]>`
        select brand_id from consent_records where proof_reference = 'signup-77' order by id`;
      expect(rows.map((r) => r.brand_id)).toEqual([null, 'acme']);
    });

    it('the tracking API records a separate controller’s signals under its brand', async () => {
      const acmeSource = await admin('POST', '/admin/sources', {
        name: 'Acme web',
        region: 'eu',
        kind: 'server',
        brandId: 'acme',
      });
      const sent = await h.send(acmeSource.body.writeKey, '/v1/track', {
        userId: 'lena-acme',
        event: 'Viewed Tent',
        context: { location: { country: 'FR' }, consent: { categoryPreferences: { Advertising: true } } },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      const [row] = await d.global().sql<{ customer_id: string }[]>`
        select customer_id from customers order by created_at desc limit 1`;
      const records = await d.regional('eu').sql<{ brand_id: string | null; purpose: string; state: string }[]>`
        select brand_id, purpose, state from consent_records where customer_id = ${row!.customer_id}`;
      expect(records).toEqual([{ brand_id: 'acme', purpose: 'personalisedAds', state: 'granted' }]);
      const groupConsent = await readConsent(d.regional('eu').sql, row!.customer_id);
      expect(groupConsent!.effective.personalisedAds).toMatchObject({ state: 'denied', basis: 'default' });
      const acmeConsent = await readConsent(d.regional('eu').sql, row!.customer_id, 'acme');
      expect(acmeConsent!.effective.personalisedAds).toMatchObject({ state: 'granted', basis: 'explicit' });
    });

    it('effectiveConsentSql gives, in SQL, what the domain computes for every person, purpose and scope', async () => {
      const sql = d.regional('eu').sql;
      // A same-instant disagreement: the more restrictive decides, in SQL as in domain/consent.ts.
      await admin('PUT', `/admin/profiles/${people.both}/consent`, {
        country: 'US',
        usState: 'CA',
        region: 'eu',
        records: [
          {
            purpose: 'smsMarketing',
            state: 'granted',
            at: '2026-01-01T00:00:00Z',
            proof: { kind: 'f', reference: 'a' },
          },
          {
            purpose: 'smsMarketing',
            state: 'denied',
            at: '2026-01-01T00:00:00Z',
            proof: { kind: 'f', reference: 'b' },
          },
        ],
      });
      const subjects = (await sql<{ customer_id: string }[]>`select customer_id from consent_subjects`).map(
        (r) => r.customer_id,
      );
      expect(subjects.length).toBeGreaterThanOrEqual(3);
      let compared = 0;
      for (const consentBrand of [null, 'acme']) {
        for (const purpose of PURPOSES) {
          const rows = await sql<{ customer_id: string; state: string }[]>`
            select c.customer_id, c.state from ${effectiveConsentSql(sql, { purpose, consentBrand })} c`;
          expect(rows).toHaveLength(subjects.length);
          for (const row of rows) {
            const domain = await readConsent(sql, row.customer_id, consentBrand);
            expect(row.state, `${row.customer_id} ${purpose} ${consentBrand}`).toBe(domain!.effective[purpose].state);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThanOrEqual(3 * PURPOSES.length * 2);
      const [sms] = await sql<{ state: string }[]>`
        select state from ${effectiveConsentSql(sql, { purpose: 'smsMarketing', consentBrand: null })} c
        where c.customer_id = ${people.both}`;
      expect(sms!.state).toBe('denied');
    });
  });

  describe('tags', () => {
    const csvFor = (rows: string[]) => ['email,userId', ...rows].join('\n');

    it('refuses bad definitions with a 400 naming the field', async () => {
      const base = { key: 'vip', labels: { en: 'VIP' }, owner: 'group', source: 'manual' };
      const cases: [unknown, RegExp][] = [
        [{ ...base, key: 'V I P' }, /^key: must be a slug/],
        [{ ...base, labels: {} }, /^labels: give at least one label/],
        [{ ...base, labels: { klingonish: 'x' } }, /^labels\.klingonish: .*BCP 47/],
        [{ ...base, owner: 'mars' }, /^owner: must be "group"/],
        [{ ...base, brandId: 'nope' }, /^brandId: no brand "nope"/],
        [{ ...base, source: 'rule', segmentId: 'seg_missing' }, /^segmentId: no segment "seg_missing"/],
        [{ ...base, source: 'model' }, /^model: a model tag names its model/],
      ];
      for (const [body, error] of cases) {
        const res = await admin('POST', '/admin/tags', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toMatch(error);
      }
    });

    it('a central tag applies in every region and a local one only in its own', async () => {
      const central = await admin('POST', '/admin/tags', {
        key: 'vip',
        labels: { en: 'VIP', 'zh-hant': '貴賓' },
        owner: 'group',
        brandId: 'acme',
        source: 'manual',
      });
      expect(central.status, central.text).toBe(201);
      expect(central.body.tag).toMatchObject({
        owner: 'group',
        labels: { en: 'VIP', 'zh-Hant': '貴賓' },
        brandId: 'acme',
      });
      expect(
        (await admin('POST', '/admin/tags', { key: 'vip', labels: { en: 'x' }, owner: 'group', source: 'manual' }))
          .status,
      ).toBe(409);

      // Central: everyone matched is tagged in each region where they have a profile.
      const upload = await admin(
        'POST',
        '/admin/tags/vip/upload',
        csvFor([
          emails.both + ',',
          `${emails.euOnly},`,
          ',sam-1',
          'nobody@example.com,',
          'not an email,',
          ',',
          `"${emails.usOnly}`,
        ]),
        'text/csv',
      );
      expect(upload.status, upload.text).toBe(200);
      expect(upload.body).toMatchObject({ rows: 7, matched: 3, unmatched: 1, assigned: { eu: 2, us: 2 }, badCount: 3 });
      expect(upload.body.bad.map((b: any) => b.line)).toEqual([6, 7, 8]);
      expect(upload.text).not.toMatch(/example\.(com|de)|not an email/);
      expect(await assignments('eu', 'vip')).toEqual([people.both, people.euOnly].sort());
      expect(await assignments('us', 'vip')).toEqual([people.both, people.usOnly].sort());

      // Uploading again changes nothing (the assignments are there).
      const again = await admin('POST', '/admin/tags/vip/upload', [people.both, { email: emails.euOnly }]);
      expect(again.body).toMatchObject({ rows: 2, matched: 2, unmatched: 0, assigned: { eu: 0, us: 0 }, badCount: 0 });

      // Local, made by the eu team: assigned only in eu, even to a person who also lives in us.
      const local = await as(EU_TOKEN, 'POST', '/admin/tags', {
        key: 'berlin-fans',
        labels: { de: 'Berlin-Fans', en: 'Berlin fans' },
        owner: 'eu',
        source: 'manual',
      });
      expect(local.status, local.text).toBe(201);
      const localUpload = await as(
        EU_TOKEN,
        'POST',
        '/admin/tags/berlin-fans/upload',
        csvFor([`${emails.both},`, `${emails.usOnly},`]),
        'text/csv',
      );
      expect(localUpload.body).toMatchObject({ matched: 1, unmatched: 1, assigned: { eu: 1 } });
      expect(await assignments('eu', 'berlin-fans')).toEqual([people.both]);
      expect(await assignments('us', 'berlin-fans')).toEqual([]);

      const counts = await admin('GET', '/admin/tags/vip/counts');
      expect(counts.body).toEqual({
        key: 'vip',
        counts: [
          { region: 'eu', count: 2 },
          { region: 'us', count: 2 },
          { region: 'apac', count: 0 },
        ],
        total: 4,
      });
      expect((await admin('GET', '/admin/tags/berlin-fans/counts')).body.counts).toEqual([{ region: 'eu', count: 1 }]);

      // The tag changes go to the audience processor, in the same transaction.
      const [changes] = await d.regional('eu').sql<{ n: number }[]>`
        select count(*)::int as n from audience_changes where cause = 'tag'`;
      expect(changes!.n).toBeGreaterThanOrEqual(3);
    });

    it('keeps a us token out of eu: no eu local tag seen, made, changed or uploaded to, no eu assignments', async () => {
      const list = await as(US_TOKEN, 'GET', '/admin/tags');
      expect(list.body.tags.map((t: any) => t.key)).toEqual(['vip']);
      const refusals = [
        await as(US_TOKEN, 'GET', '/admin/tags/berlin-fans'),
        await as(US_TOKEN, 'PATCH', '/admin/tags/berlin-fans', { labels: { en: 'mine' } }),
        await as(US_TOKEN, 'POST', '/admin/tags/berlin-fans/upload', [people.usOnly]),
        await as(US_TOKEN, 'GET', '/admin/tags/berlin-fans/counts'),
        await as(US_TOKEN, 'DELETE', '/admin/tags/berlin-fans'),
        await as(US_TOKEN, 'POST', '/admin/tags', {
          key: 'us-in-eu',
          labels: { en: 'x' },
          owner: 'eu',
          source: 'manual',
        }),
      ];
      for (const res of refusals) {
        expect(res.status, res.text).toBe(403);
        expect(res.body.error).toMatch(/may not .* in region eu \(it covers us\)/);
      }
      // A central tag is defined by the group only.
      const central = await as(US_TOKEN, 'POST', '/admin/tags', {
        key: 'us-central',
        labels: { en: 'x' },
        owner: 'group',
        source: 'manual',
      });
      expect(central.status).toBe(403);
      expect((await as(US_TOKEN, 'PATCH', '/admin/tags/vip', { labels: { en: 'Mine' } })).status).toBe(403);
      expect((await as(US_TOKEN, 'DELETE', '/admin/tags/vip')).status).toBe(403);

      // On a central tag it sees and writes its own region only.
      const counts = await as(US_TOKEN, 'GET', '/admin/tags/vip/counts');
      expect(counts.body.counts).toEqual([{ region: 'us', count: 2 }]);
      const before = await assignments('eu', 'vip');
      await d.regional('eu').sql`delete from tag_assignments where tag_key = 'vip' and customer_id = ${people.both}`;
      const upload = await as(US_TOKEN, 'POST', '/admin/tags/vip/upload', [people.both, people.euOnly]);
      expect(upload.body).toMatchObject({ matched: 1, unmatched: 1, assigned: { us: 0 } });
      expect(Object.keys(upload.body.assigned)).toEqual(['us']);
      expect(await assignments('eu', 'vip')).toEqual(before.filter((id) => id !== people.both));
      const restored = await admin('POST', '/admin/tags/vip/upload', [people.both]);
      expect(restored.body.assigned).toEqual({ eu: 1, us: 0, apac: 0 });

      // The label changes of the local tag stayed the eu team's.
      expect((await admin('GET', '/admin/tags/berlin-fans')).body.tag.labels).toEqual({
        de: 'Berlin-Fans',
        en: 'Berlin fans',
      });
    });

    it('a local tag promoted to central keeps its assignments, and other regions may then assign it', async () => {
      expect((await as(EU_TOKEN, 'POST', '/admin/tags/berlin-fans/promote', {})).status).toBe(403);
      const promoted = await admin('POST', '/admin/tags/berlin-fans/promote', {});
      expect(promoted.status, promoted.text).toBe(200);
      expect(promoted.body.tag.owner).toBe('group');
      expect(promoted.body.tag.promotedAt).not.toBeNull();
      expect((await admin('POST', '/admin/tags/berlin-fans/promote', {})).status).toBe(409);
      expect(await assignments('eu', 'berlin-fans')).toEqual([people.both]);

      const usList = await as(US_TOKEN, 'GET', '/admin/tags');
      expect(usList.body.tags.map((t: any) => t.key)).toEqual(['berlin-fans', 'vip']);
      const usUpload = await as(US_TOKEN, 'POST', '/admin/tags/berlin-fans/upload', [{ userId: 'sam-1' }]);
      expect(usUpload.body).toMatchObject({ matched: 1, assigned: { us: 1 } });
      expect(await assignments('us', 'berlin-fans')).toEqual([people.usOnly]);
    });

    it('changes and deletes tags; uploads go only to manual tags', async () => {
      const changed = await admin('PATCH', '/admin/tags/vip', {
        labels: { en: 'Very important', fr: 'Très important' },
      });
      expect(changed.body.tag.labels).toEqual({ en: 'Very important', fr: 'Très important' });
      expect((await admin('PATCH', '/admin/tags/vip', { segmentId: 'x' })).body.error).toMatch(
        /^segmentId: tag vip is a manual tag/,
      );
      expect((await admin('PATCH', '/admin/tags/vip', { brandId: 'nope' })).body.error).toMatch(/^brandId: no brand/);
      expect((await admin('PATCH', '/admin/tags/vip', { brandId: null })).body.tag.brandId).toBeNull();

      const model = await admin('POST', '/admin/tags', {
        key: 'churn-risk',
        labels: { en: 'Churn risk' },
        owner: 'group',
        source: 'model',
        model: 'churn',
      });
      expect(model.status, model.text).toBe(201);
      const refused = await admin('POST', '/admin/tags/churn-risk/upload', [people.both]);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatch(/model tag/);
      expect((await admin('POST', '/admin/tags/vip/upload', 'email\n', 'application/xml')).status).toBe(415);
      expect((await admin('POST', '/admin/tags/vip/upload', 'shoe size\n42', 'text/csv')).body.error).toMatch(
        /^header:/,
      );

      const deleted = await admin('DELETE', '/admin/tags/vip');
      expect(deleted.body).toEqual({ deleted: 'vip', unassigned: { eu: 2, us: 2, apac: 0 } });
      expect(await assignments('eu', 'vip')).toEqual([]);
      expect(await assignments('us', 'vip')).toEqual([]);
      expect((await admin('GET', '/admin/tags/vip')).status).toBe(404);
    });

    it('rule tags follow their segment’s membership (syncRuleTags, the processor’s reactor)', async () => {
      const global = d.global().sql;
      const eu = d.regional('eu').sql;
      await global`
        insert into segments (id, name, owner, version, definition) values
          ('seg_hikers', 'Hikers', 'group', 1, '{}'::jsonb), ('seg_us_only', 'US', 'us', 1, '{}'::jsonb)`;
      expect(
        (
          await admin('POST', '/admin/tags', {
            key: 'hikers',
            labels: { en: 'Hikers' },
            owner: 'group',
            source: 'rule',
            segmentId: 'seg_hikers',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await admin('POST', '/admin/tags', {
            key: 'us-shoppers',
            labels: { en: 'US shoppers' },
            owner: 'us',
            source: 'rule',
            segmentId: 'seg_us_only',
          })
        ).status,
      ).toBe(201);
      const ruleTags = await ruleTagsOf(global, 'eu');
      expect(ruleTags).toEqual([{ key: 'hikers', segmentId: 'seg_hikers' }]);

      await eu`
        insert into segment_membership (segment_id, customer_id, version, entered_at) values
          ('seg_hikers', ${people.both}, 1, now()), ('seg_hikers', ${people.euOnly}, 1, now())`;
      await eu`delete from audience_changes`;
      expect(await syncRuleTags(eu, 'all', ruleTags)).toMatchObject({ assigned: 2, removed: 0 });
      expect(await assignments('eu', 'hikers')).toEqual([people.both, people.euOnly].sort());
      expect(await syncRuleTags(eu, 'all', ruleTags)).toMatchObject({ assigned: 0, removed: 0, changed: [] });

      // One leaves the segment: only the people named are looked at.
      await eu`update segment_membership set exited_at = now() where segment_id = 'seg_hikers' and customer_id = ${people.euOnly}`;
      expect(await syncRuleTags(eu, [people.both], ruleTags)).toMatchObject({ assigned: 0, removed: 0 });
      expect(await syncRuleTags(eu, [people.euOnly], ruleTags)).toEqual({
        assigned: 0,
        removed: 1,
        changed: [people.euOnly],
      });
      expect(await assignments('eu', 'hikers')).toEqual([people.both]);
      const changes = await eu<{ customer_id: string }[]>`select customer_id from audience_changes where cause = 'tag'`;
      expect(changes.map((c) => c.customer_id).sort()).toEqual([people.both, people.euOnly, people.euOnly].sort());
      // A manual assignment of another tag is not touched by the rule tags' sync.
      expect(await assignments('eu', 'berlin-fans')).toEqual([people.both]);
    });

    it('tags follow a merged person, and go with an erased one', async () => {
      const eu = d.regional('eu').sql;
      // Ines (hikers: no longer; berlin-fans: no) merges into Mika (hikers, berlin-fans).
      await admin('POST', '/admin/tags/berlin-fans/upload', [people.euOnly]);
      await eu`insert into tag_assignments (customer_id, tag_key, origin) values (${people.euOnly}, 'solo', 'manual')`;
      await mergeProfiles(
        eu,
        keyFromRef(d.config.regions.region('eu').keyRef, d.config.env),
        { from: people.euOnly, into: people.both, linkedBy: 'email', workflowId: 'merge-test', sourceTrust: {} },
        () => {},
      );
      const tagsOf = async (id: string) =>
        (
          await eu<
            { tag_key: string }[]
          >`select tag_key from tag_assignments where customer_id = ${id} order by tag_key`
        ).map((r) => r.tag_key);
      expect(await tagsOf(people.euOnly)).toEqual([]);
      expect(await tagsOf(people.both)).toEqual(['berlin-fans', 'hikers', 'solo']);

      await eraseProfiles(eu, d.global().sql, [people.both, people.euOnly], false);
      expect(await tagsOf(people.both)).toEqual([]);
      // The person's part in another region is that region's to erase.
      expect(await assignments('us', 'berlin-fans')).toEqual([people.usOnly]);
    });
  });
});
