import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoEmulator, startKlaviyoEmulator } from '../emulators/klaviyo';
import { MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { encodeTcf } from '../support/tcf';
import { allowEmulatorHosts } from '../emulators/hosts';
import type { Client } from '@temporalio/client';
import { createMeridianWeb } from '../../web/app';

allowEmulatorHosts();

/**
 * Consent on the real Temporal server and PostgreSQL: choices and signals (GPC, TCF, Segment
 * categories) through the admin API, effective consent from the person's law, and the
 * consentPropagation workflow fanning a change out to the region's connected systems with a
 * status per system — here a system without an API, done by an operator's signal.
 */

describe('consent and its propagation', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  const people: Record<string, string> = {};

  beforeAll(async () => {
    d = await createTestDeployment('consent');
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    h = await startIngestion(d);
    // People seen by a Berlin shop and a Los Angeles app.
    for (const [region, name, email, country] of [
      ['eu', 'claire', 'claire.martin@example.fr', 'FR'],
      ['us', 'dana', 'dana.lee@example.com', 'US'],
      ['eu', 'jonas', 'jonas.berg@example.de', 'DE'],
    ] as const) {
      const source = await h.createSource(`consent ${name}`, region);
      const sent = await h.send(source.writeKey, '/v1/identify', {
        userId: `consent-${name}`,
        traits: { email },
        context: { location: { country } },
      });
      expect(sent.status).toBe(200);
      const found = await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: email });
      people[name] = found.body.customerId;
    }
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  it('applies the law’s defaults where a person chose nothing, and a GPC signal from California opts out of sale and sharing', async () => {
    const before = await h.admin('POST', `/admin/profiles/${people.dana}/consent/signals`, {
      country: 'US',
      usState: 'CA',
      reference: 'req-dana-1',
    });
    expect(before.status).toBe(200);
    // CCPA: sale/sharing is opt-out, so granted by default; email marketing opt-out (CAN-SPAM).
    expect(before.body.effective.saleSharing).toMatchObject({ state: 'granted', basis: 'default' });

    const res = await fetch(`${h.base}/admin/profiles/${people.dana}/consent/signals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json', 'sec-gpc': '1' },
      body: JSON.stringify({ reference: 'req-dana-2' }),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.effective.saleSharing).toMatchObject({ state: 'denied', basis: 'explicit', record: { source: 'gpc' } });
    expect(body.effective.personalisedAds).toMatchObject({ state: 'denied', basis: 'explicit' });
    expect(body.changes.map((c: { purpose: string }) => c.purpose).sort()).toEqual(['personalisedAds', 'saleSharing']);
    expect(body.propagation.workflowId).toMatch(/^consent-cp_[0-9a-f]{16}$/);
  });

  it('ignores GPC under the GDPR, and reads a TCF string from France into ads and analytics consent', async () => {
    const tcString = encodeTcf({ purposes: [1, 3, 4], vendors: [755], publisherCC: 'FR' });
    const res = await fetch(`${h.base}/admin/profiles/${people.claire}/consent/signals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json', 'sec-gpc': '1' },
      body: JSON.stringify({ country: 'FR', reference: 'cmp-session-77', tcString }),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.notes.join(' ')).toMatch(/GDPR .*does not make Global Privacy Control a legal opt-out signal/);
    // Purposes 1, 3 and 4: personalised ads granted; analytics (1, 8, 9) not consented: denied.
    expect(body.effective.personalisedAds).toMatchObject({
      state: 'granted',
      basis: 'explicit',
      record: { source: 'tcf' },
    });
    expect(body.effective.analytics).toMatchObject({ state: 'denied', basis: 'explicit', record: { source: 'tcf' } });
    // GDPR: email marketing is opt-in, so denied while she said nothing.
    expect(body.effective.emailMarketing).toMatchObject({ state: 'denied', basis: 'default' });
    // The proof keeps the string's hash, not the string.
    const stored = await h.admin('GET', `/admin/profiles/${people.claire}/consent`);
    expect(JSON.stringify(stored.body.history)).not.toContain(tcString);
    expect(stored.body.subject).toMatchObject({ country: 'FR', jurisdiction: 'GDPR' });

    const bad = await h.admin('POST', `/admin/profiles/${people.claire}/consent/signals`, {
      reference: 'x',
      tcString: 'not-a-tcf-string',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^tcString: not a TCF v2 consent string/);
  });

  it('refuses an unknown purpose and a first record without a country, and stores nothing', async () => {
    const unknown = await h.admin('PUT', `/admin/profiles/${people.jonas}/consent`, {
      country: 'DE',
      records: [{ purpose: 'telepathy', state: 'granted', proof: { kind: 'form', reference: 'f-1' } }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(
      /records\.0\.purpose .*emailMarketing, smsMarketing, push, personalisedAds, analytics, saleSharing, crossBorderTransfer/,
    );
    const noCountry = await h.admin('PUT', `/admin/profiles/${people.jonas}/consent`, {
      records: [{ purpose: 'emailMarketing', state: 'granted', proof: { kind: 'form', reference: 'f-1' } }],
    });
    expect(noCountry.status).toBe(400);
    expect(noCountry.body.error).toMatch(/^country: /);
    expect((await h.admin('GET', `/admin/profiles/${people.jonas}/consent`)).status).toBe(404);
  });

  it('propagates a withdrawal to a system without an API as a manual task an operator completes', async () => {
    const created = await h.admin('POST', '/admin/connectors', {
      id: 'berlin_pos_backoffice',
      system: 'manual',
      name: 'Berlin POS back office',
      region: 'eu',
      settings: {
        instructions: 'In the POS back office: Customers → search by email → Newsletter: off',
        purposes: ['emailMarketing'],
      },
      credentials: {},
    });
    expect(created.status).toBe(201);
    const granted = await h.admin('PUT', `/admin/profiles/${people.jonas}/consent`, {
      country: 'DE',
      records: [
        {
          purpose: 'emailMarketing',
          state: 'granted',
          at: '2025-06-01T08:00:00Z',
          proof: { kind: 'double-opt-in', reference: 'doi-551' },
        },
      ],
    });
    expect(granted.status).toBe(200);
    const withdrawn = await h.admin('PUT', `/admin/profiles/${people.jonas}/consent`, {
      records: [
        {
          purpose: 'emailMarketing',
          state: 'withdrawn',
          at: '2025-06-03T08:00:00Z',
          proof: { kind: 'preference-form', reference: 'pf-9' },
        },
      ],
    });
    expect(withdrawn.body.effective.emailMarketing).toMatchObject({ state: 'denied', basis: 'explicit' });
    const workflowId: string = withdrawn.body.propagation.workflowId;
    const propagationId = workflowId.replace(/^consent-/, '');

    await eventually(async () => {
      const view = await h.admin('GET', `/admin/profiles/${people.jonas}/consent`);
      const p = view.body.propagations.find((x: { id: string }) => x.id === propagationId);
      expect(p.systems).toEqual([
        expect.objectContaining({ connectorId: 'berlin_pos_backoffice', status: 'waiting-on-operator' }),
      ]);
    });
    const signalled = await h.admin(
      'POST',
      `/admin/consent-propagations/${propagationId}/manual-tasks/berlin_pos_backoffice/complete`,
      { note: 'done at the till' },
    );
    expect(signalled.status).toBe(202);
    const result = await d.client.workflow.getHandle(workflowId).result();
    expect(result).toEqual({ status: 'complete', systems: { berlin_pos_backoffice: 'done' } });
    const view = await h.admin('GET', `/admin/profiles/${people.jonas}/consent`);
    const p = view.body.propagations.find((x: { id: string }) => x.id === propagationId);
    expect(p).toMatchObject({
      status: 'complete',
      systems: [{ status: 'done', evidence: { completedBy: 'operator', note: 'done at the till' } }],
    });
    // Full history, oldest first.
    expect(view.body.history.map((r: { state: string }) => r.state)).toEqual(['granted', 'withdrawn']);
  }, 60_000);

  it('records Segment categoryPreferences and Sec-GPC carried by tracked calls, once', async () => {
    const source = await h.createSource('consent tracked', 'us');
    const send = (body: unknown, headers: Record<string, string> = {}) =>
      h.send(source.writeKey, '/v1/track', body, headers);
    const call = (n: number) => ({
      userId: 'consent-fran',
      event: 'Page Viewed',
      messageId: `fran-${n}`,
      context: {
        location: { country: 'US' },
        traits: { email: 'fran.ortiz@example.com' },
        consent: { categoryPreferences: { Advertising: false, Analytics: true } },
      },
    });
    expect((await send(call(1))).status).toBe(200);
    const customerId: string = (
      await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: 'fran.ortiz@example.com' })
    ).body.customerId;
    let view = await h.admin('GET', `/admin/profiles/${customerId}/consent`);
    expect(view.body.effective.personalisedAds).toMatchObject({
      state: 'denied',
      basis: 'explicit',
      record: { source: 'segment' },
    });
    expect(view.body.effective.analytics).toMatchObject({ state: 'granted', basis: 'explicit' });
    const recorded = view.body.history.length;
    // The SDK sends the same preferences on every call: nothing new is recorded.
    expect((await send(call(2))).status).toBe(200);
    expect((await h.admin('GET', `/admin/profiles/${customerId}/consent`)).body.history).toHaveLength(recorded);
    // A browser with Global Privacy Control in the US: sale/sharing is opted out.
    expect(
      (
        await send(
          { ...call(3), context: { location: { country: 'US' }, traits: { email: 'fran.ortiz@example.com' } } },
          { 'sec-gpc': '1' },
        )
      ).status,
    ).toBe(200);
    view = await h.admin('GET', `/admin/profiles/${customerId}/consent`);
    expect(view.body.effective.saleSharing).toMatchObject({
      state: 'denied',
      basis: 'explicit',
      record: { source: 'gpc' },
    });
  });

  it('consent forgery: a browser key may opt a person out but never grant, dates nothing ahead, and does not override an explicit choice', async () => {
    const browser = await h.createSource('consent forgery browser', 'us', { kind: 'browser' });
    const server = await h.createSource('consent forgery server', 'us');
    const send = (
      writeKey: string,
      n: number,
      categoryPreferences: Record<string, boolean>,
      extra: Record<string, unknown> = {},
    ) =>
      h.send(writeKey, '/v1/track', {
        userId: 'consent-hana',
        event: 'Page Viewed',
        messageId: `hana-${n}`,
        context: { location: { country: 'US' }, consent: { categoryPreferences } },
        ...extra,
      });
    const view = async () => (await h.admin('GET', `/admin/profiles/${customerId}/consent`)).body;

    // Anyone holding the page's public key names a user and "grants" for them, dated a day ahead.
    const received = Date.now();
    const ahead = new Date(received + 20 * 3600_000).toISOString();
    expect(
      (await send(browser.writeKey, 1, { Advertising: true, Email: true, Analytics: false }, { timestamp: ahead }))
        .status,
    ).toBe(200);
    const customerId: string = (
      await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: 'consent-hana' })
    ).body.customerId;
    let consent = await view();
    // The grants are not recorded; the denial is, dated by the server and marked unverified.
    expect(consent.history.filter((r: { state: string }) => r.state === 'granted')).toEqual([]);
    expect(consent.effective.analytics).toMatchObject({
      state: 'denied',
      basis: 'explicit',
      record: { source: 'segment', proof: { kind: 'unverified-segment-message' } },
    });
    expect(Date.parse(consent.effective.analytics.record.at)).toBeLessThanOrEqual(Date.now());

    // The person grants ads in the preference centre (here the admin API): an explicit, verified choice.
    const granted = await h.admin('PUT', `/admin/profiles/${customerId}/consent`, {
      records: [
        { purpose: 'personalisedAds', state: 'granted', proof: { kind: 'preference-form', reference: 'pf-hana' } },
      ],
    });
    expect(granted.status).toBe(200);
    // A browser call cannot take it back for them.
    expect((await send(browser.writeKey, 2, { Advertising: false }, {})).status).toBe(200);
    consent = await view();
    expect(consent.effective.personalisedAds).toMatchObject({
      state: 'granted',
      basis: 'explicit',
      record: { source: 'admin' },
    });

    // The brand's back end (secret key) speaks with the brand's authority: its grant is recorded.
    expect((await send(server.writeKey, 4, { Email: true })).status).toBe(200);
    consent = await view();
    expect(consent.effective.emailMarketing).toMatchObject({
      state: 'granted',
      basis: 'explicit',
      record: { proof: { kind: 'segment-message' } },
    });
  });

  it('consent outbox: an opt-out tracked while Temporal refuses to start workflows is answered 200 and still propagates once Temporal is back', async () => {
    // A Temporal client whose workflow starts fail, as during a frontend outage.
    let temporalDown = true;
    const workflow = d.client.workflow;
    const failingWorkflow = new Proxy(workflow, {
      get(target, prop) {
        if (prop === 'start' && temporalDown)
          return async () => Promise.reject(new Error('14 UNAVAILABLE: No connection established'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const client = new Proxy(d.client, {
      get: (target, prop) => (prop === 'workflow' ? failingWorkflow : Reflect.get(target, prop, target)),
    }) as Client;
    const web = await createMeridianWeb(d.config, client, { poolSize: 2 });
    try {
      const base = await web.app.listen({ host: '127.0.0.1', port: 0 });
      const source = await h.createSource('consent outbox', 'us');
      const res = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${source.writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({
          userId: 'consent-ivo',
          event: 'Banner Closed',
          messageId: 'ivo-1',
          context: { location: { country: 'US' }, consent: { categoryPreferences: { Advertising: false } } },
        }),
      });
      expect(res.status).toBe(200);
      const customerId: string = (
        await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: 'consent-ivo' })
      ).body.customerId;
      const view = (await h.admin('GET', `/admin/profiles/${customerId}/consent`)).body;
      expect(view.effective.personalisedAds).toMatchObject({ state: 'denied', basis: 'explicit' });
      const [propagation] = view.propagations;
      expect(propagation).toMatchObject({ status: 'pending' });

      // Temporal is back: the sweep starts the propagation, which runs to its end.
      temporalDown = false;
      const handle = d.client.workflow.getHandle(`consent-${propagation.id}`);
      await eventually(
        async () => expect((await handle.describe()).workflowId).toBe(`consent-${propagation.id}`),
        60_000,
        500,
      );
      expect((await handle.result()).status).toBe('complete');
      const after = (await h.admin('GET', `/admin/profiles/${customerId}/consent`)).body;
      expect(after.propagations.find((p: { id: string }) => p.id === propagation.id)).toMatchObject({
        status: 'complete',
      });
    } finally {
      await web.close();
    }
  }, 90_000);

  describe('to systems with an API', () => {
    let klaviyo: KlaviyoEmulator;
    let meta: MetaEmulator;
    beforeAll(async () => {
      klaviyo = await startKlaviyoEmulator({ apiKey: 'pk_consent_test', rateLimit: false });
      meta = await startMetaEmulator({ accessToken: 'meta-consent', adAccountId: '5005' });
      for (const body of [
        {
          id: 'us_klaviyo',
          system: 'klaviyo',
          settings: { baseUrl: klaviyo.baseUrl },
          credentials: { apiKey: 'pk_consent_test' },
        },
        {
          id: 'us_meta',
          system: 'meta_audiences',
          settings: { baseUrl: meta.baseUrl, adAccountId: '5005', audienceIds: ['700'] },
          credentials: { accessToken: 'meta-consent' },
        },
      ]) {
        const created = await h.admin('POST', '/admin/connectors', { ...body, name: body.id, region: 'us' });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }
    });
    afterAll(async () => {
      await klaviyo?.close();
      await meta?.close();
    });

    it('reaches every system of the region, retrying one that is down for a while, with a status per system', async () => {
      const email = 'erin.park@example.com';
      const source = await h.createSource('consent erin', 'us');
      expect(
        (
          await h.send(source.writeKey, '/v1/identify', {
            userId: 'consent-erin',
            traits: { email },
            context: { location: { country: 'US' } },
          })
        ).status,
      ).toBe(200);
      const customerId: string = (await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: email })).body
        .customerId;
      klaviyo.seedProfile({ email, subscribed: true });
      meta.createAudience('700', [{ email }, { email: 'someone.else@example.com' }]);
      // Klaviyo is down for its first three calls.
      klaviyo.failNext(3, 503);

      const changed = await h.admin('PUT', `/admin/profiles/${customerId}/consent`, {
        country: 'US',
        usState: 'NY',
        records: [
          { purpose: 'emailMarketing', state: 'withdrawn', proof: { kind: 'unsubscribe-link', reference: 'u-88' } },
          { purpose: 'personalisedAds', state: 'denied', proof: { kind: 'preference-form', reference: 'pf-88' } },
        ],
      });
      expect(changed.status).toBe(200);
      const result = await d.client.workflow.getHandle(changed.body.propagation.workflowId).result();
      expect(result).toEqual({ status: 'complete', systems: { us_klaviyo: 'done', us_meta: 'done' } });
      // The vendors hold the new state: suppressed in Klaviyo, out of the Meta audience (the other member stays).
      expect(klaviyo.profile(email)?.suppressions.length).toBeGreaterThan(0);
      expect(meta.members('700').size).toBe(1);
      const view = await h.admin('GET', `/admin/profiles/${customerId}/consent`);
      const klaviyoRow = view.body.propagations[0].systems.find(
        (s: { connectorId: string }) => s.connectorId === 'us_klaviyo',
      );
      expect(klaviyoRow).toMatchObject({ status: 'done' });
      expect(klaviyoRow.attempts).toBeGreaterThan(1);
    }, 90_000);
  });
});
