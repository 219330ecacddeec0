import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keyFromRef } from '../../db/crypto-shredding';
import { createPrivacyRequest } from '../../db/privacy-requests-store';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { bearerCaller } from '../support/admin-api';

/**
 * Every admin route, called with a token scoped to `us` on what belongs to `eu` (or to every
 * region). Each route has a scope decision in the table below: refused (403), hidden (404, so a
 * scoped token cannot probe who is a customer elsewhere), filtered to the token's regions, or
 * readable by any token (with the reason). The routes come from fastify as they are registered:
 * a route added later without a line here fails the test.
 */

const US_TOKEN = `us-only-${'u'.repeat(24)}`;
const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;

const journeyGraph = {
  entry: { type: 'event', event: 'Signed Up' },
  start: 'hello',
  nodes: { hello: { type: 'message', channel: 'email', templateRef: 'welcome', next: 'done' }, done: { type: 'exit' } },
};

type Expectation =
  | { refused: true }
  | { hidden: true }
  | { filtered: (body: any) => void }
  | { readable: string }
  /** Open to console users only (it acts for the signed-in person): every token gets a 400 saying so. */
  | { usersOnly: string };

interface Case {
  url: () => string;
  body?: () => unknown;
  expect: Expectation;
  /** The token that may do it, for the control call (default: an eu-only token). */
  control?: 'all';
}

describe('admin API: every route keeps a region-scoped token to its regions', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  const routes = new Set<string>();
  const f = {} as {
    euSource: string;
    usSource: string;
    euCustomer: string;
    euEmail: string;
    euConnector: string;
    euPropagation: string;
    euRequest: string;
    usRequest: string;
    euHold: number;
    euHeldMerge: number;
    euSegment: string;
    euAdAudience: string;
    euJourney: string;
    euTag: string;
    euTagToDelete: string;
    euMember: string;
  };

  const call = bearerCaller(() => base);

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('adminscope', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us,${EU_TOKEN}:eu`,
    });
    web = await createMeridianWeb(d.config, d.client, {
      poolSize: 2,
      onRoute: (route) => {
        for (const method of [route.method].flat())
          if (method !== 'HEAD' && route.url.startsWith('/admin')) routes.add(`${method} ${route.url}`);
      },
    });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);

    const eu = await admin('POST', '/admin/sources', { name: 'Berlin shop', region: 'eu', kind: 'server' });
    const us = await admin('POST', '/admin/sources', { name: 'Boston shop', region: 'us', kind: 'browser' });
    f.euSource = eu.body.source.id;
    f.usSource = us.body.source.id;
    f.euEmail = 'greta.scope@example.de';
    const sent = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${eu.body.writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ userId: 'greta-1', traits: { email: f.euEmail, name: 'Greta Scope' } }),
    });
    expect(sent.status).toBe(200);
    f.euCustomer = (await admin('POST', '/admin/profiles/lookup', { type: 'email', value: f.euEmail })).body.customerId;

    const connector = await admin('POST', '/admin/connectors', {
      id: 'scope_eu_shop',
      system: 'shopify',
      name: 'Berlin Shopify',
      region: 'eu',
      settings: { shopUrl: 'https://scope-berlin.myshopify.com', timeZone: 'Europe/Berlin' },
      credentials: { accessToken: 'shpat_scope_test_secret' },
    });
    expect(connector.status, connector.text).toBe(201);
    f.euConnector = connector.body.id;

    const consent = await admin('PUT', `/admin/profiles/${f.euCustomer}/consent`, {
      country: 'DE',
      records: [{ purpose: 'emailMarketing', state: 'granted', proof: { kind: 'form', reference: 'scope-test' } }],
    });
    expect(consent.status, consent.text).toBe(200);
    f.euPropagation = consent.body.propagation.workflowId.replace(/^consent-/, '');

    const keys = (region: string) => ({
      regionKey: keyFromRef(d.config.regions.region(region).keyRef, d.config.env),
      hmacKey: d.config.identityHmacKey,
      signingKeys: d.config.signingKeys,
    });
    f.euRequest = (
      await createPrivacyRequest(d.regional('eu').sql, keys('eu'), {
        type: 'deletion',
        email: f.euEmail,
        country: 'DE',
        locale: 'de',
      })
    ).id;
    f.usRequest = (
      await createPrivacyRequest(d.regional('us').sql, keys('us'), {
        type: 'access',
        email: 'sam@example.com',
        country: 'US',
        usState: 'CA',
        locale: 'en',
      })
    ).id;
    // The US request holds the person in both regions: each region's systems are in its own database.
    for (const region of ['eu', 'us']) {
      await d.regional(region).sql`
        insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
        values (${f.usRequest}, ${region}, ${`${region}-crm`}, 'manual', 'export', 'waiting-on-operator')`;
    }
    const hold = await admin('POST', '/admin/legal-holds', {
      customerId: f.euCustomer,
      region: 'eu',
      scope: 'orders',
      reason: 'tax audit 2025',
    });
    expect(hold.status, hold.text).toBe(201);
    f.euHold = hold.body.id;
    const [held] = await d.regional('eu').sql<{ id: string }[]>`
      insert into held_merges (from_customer_id, into_customer_id, linked_by, source_id)
      values (gen_random_uuid(), ${f.euCustomer}, 'email', ${f.euSource}) returning id`;
    f.euHeldMerge = Number(held!.id);
    const segment = await admin('POST', '/admin/segments', {
      name: 'Berlin repeat buyers',
      owner: 'eu',
      definition: { type: 'order', count: { atLeast: 2 } },
    });
    expect(segment.status, segment.text).toBe(201);
    f.euSegment = segment.body.segment.id;
    const meta = await admin('POST', '/admin/connectors', {
      id: 'scope_eu_meta',
      system: 'meta_audiences',
      name: 'Berlin Meta ads',
      region: 'eu',
      settings: { adAccountId: 'act_4004', audienceIds: ['800'] },
      credentials: { accessToken: 'meta-scope-test' },
    });
    expect(meta.status, meta.text).toBe(201);
    const audience = await admin('POST', '/admin/ad-audiences', {
      name: 'Berlin repeat buyers on Meta',
      segmentId: f.euSegment,
      connectorId: 'scope_eu_meta',
      platformAudienceId: '800',
    });
    expect(audience.status, audience.text).toBe(201);
    f.euAdAudience = audience.body.audience.id;
    const journey = await admin('POST', '/admin/journeys', {
      name: 'Berlin welcome',
      owner: 'eu',
      brandId: 'default',
      graph: journeyGraph,
    });
    expect(journey.status, journey.text).toBe(201);
    f.euJourney = journey.body.journey.id;
    for (const key of ['eu-scope-tag', 'eu-scope-tag-2']) {
      const tag = await admin('POST', '/admin/tags', { key, labels: { de: 'Berlin' }, owner: 'eu', source: 'manual' });
      expect(tag.status, tag.text).toBe(201);
    }
    f.euTag = 'eu-scope-tag';
    f.euTagToDelete = 'eu-scope-tag-2';
    const programme = await admin('PUT', '/admin/loyalty/programmes/default', {
      name: 'Club',
      reportingCurrency: 'EUR',
      earn: { pointsPerUnit: 1 },
      tiers: [{ key: 'member', names: { en: 'Member' } }],
    });
    expect(programme.status, programme.text).toBe(200);
    const member = await admin('POST', '/admin/loyalty/members', {
      customerId: f.euCustomer,
      brandId: 'default',
      termsVersion: 'v1',
      market: 'DE',
    });
    expect(member.status, member.text).toBe(201);
    f.euMember = member.body.member.memberId;

    const template = await admin('POST', '/admin/templates', {
      id: 'scope_template',
      brandId: 'default',
      name: 'Scope',
      channel: 'sms',
      defaultLocale: 'en',
      variants: { en: { body: 'Hello {{ first_name }}' } },
    });
    expect(template.status, template.text).toBe(201);
    const broadcast = await admin('POST', '/admin/broadcasts', {
      id: 'scope_broadcast',
      name: 'Scope',
      region: 'eu',
      brandId: 'default',
      segmentId: f.euSegment,
      channel: 'sms',
      templateRef: 'scope_template',
      localTime: '10:00',
      localDate: '2099-01-01',
      whenPassed: 'skip',
      fallbackZone: 'Europe/Berlin',
    });
    expect(broadcast.status, broadcast.text).toBe(201);
  });
  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  const consentBody = () => ({
    records: [{ purpose: 'emailMarketing', state: 'denied', proof: { kind: 'form', reference: 'scope' } }],
  });
  const refused = { refused: true } as const;

  const table: Record<string, Case> = {
    'POST /admin/sources': {
      url: () => '/admin/sources',
      body: () => ({ name: 'Sneaky EU shop', region: 'eu', kind: 'server' }),
      expect: refused,
    },
    'PATCH /admin/sources/:id': {
      url: () => `/admin/sources/${f.euSource}`,
      body: () => ({ allowedOrigins: ['https://evil.example'] }),
      expect: refused,
    },
    'GET /admin/sources': {
      url: () => '/admin/sources',
      expect: {
        filtered: (body) => {
          expect(body.sources.map((s: any) => s.id)).toContain(f.usSource);
          expect(body.sources.map((s: any) => s.region)).toEqual(body.sources.map(() => 'us'));
        },
      },
    },
    'POST /admin/sources/:id/rotate': { url: () => `/admin/sources/${f.euSource}/rotate`, expect: refused },
    'POST /admin/sources/:id/webhook': {
      url: () => `/admin/sources/${f.euSource}/webhook`,
      body: () => ({}),
      expect: refused,
    },
    'GET /admin/sources/:id/webhook': { url: () => `/admin/sources/${f.euSource}/webhook`, expect: refused },
    'PUT /admin/sources/:id/webhook-mapping': {
      url: () => `/admin/sources/${f.euSource}/webhook-mapping`,
      body: () => ({ mapping: { type: 'identify', messageId: 'id', identifiers: { email: 'email' } } }),
      expect: refused,
    },
    'POST /admin/sources/:id/webhook-mapping/preview': {
      url: () => `/admin/sources/${f.euSource}/webhook-mapping/preview`,
      body: () => ({
        mapping: { type: 'identify', messageId: 'id', identifiers: { email: 'email' } },
        payload: { id: 'p1', email: 'preview@example.de' },
      }),
      expect: refused,
    },
    'GET /admin/identity-rules': { url: () => '/admin/identity-rules', expect: refused, control: 'all' },
    'PUT /admin/identity-rules': {
      url: () => '/admin/identity-rules',
      body: () => ({ blockedValues: [] }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/profiles/:customerId': { url: () => `/admin/profiles/${f.euCustomer}`, expect: refused },
    'POST /admin/profiles/lookup': {
      url: () => '/admin/profiles/lookup',
      body: () => ({ type: 'email', value: f.euEmail }),
      expect: { hidden: true },
    },
    'PUT /admin/profiles/:customerId/consent': {
      url: () => `/admin/profiles/${f.euCustomer}/consent`,
      body: consentBody,
      expect: refused,
    },
    'POST /admin/profiles/:customerId/consent/signals': {
      url: () => `/admin/profiles/${f.euCustomer}/consent/signals`,
      body: () => ({ reference: 'scope-signal', gpc: true }),
      expect: refused,
    },
    'GET /admin/profiles/:customerId/consent': {
      url: () => `/admin/profiles/${f.euCustomer}/consent`,
      expect: refused,
    },
    'POST /admin/profiles/:customerId/preference-link': {
      url: () => `/admin/profiles/${f.euCustomer}/preference-link`,
      body: () => ({}),
      expect: refused,
    },
    'POST /admin/consent-propagations/:propagationId/manual-tasks/:connectorId/complete': {
      url: () => `/admin/consent-propagations/${f.euPropagation}/manual-tasks/${f.euConnector}/complete`,
      body: () => ({ note: 'done by hand' }),
      expect: refused,
    },
    'GET /admin/privacy-requests': {
      url: () => '/admin/privacy-requests',
      expect: {
        filtered: (body) => {
          expect(body.requests.map((r: any) => r.id)).toEqual([f.usRequest]);
        },
      },
    },
    'GET /admin/privacy-requests/:id': { url: () => `/admin/privacy-requests/${f.euRequest}`, expect: refused },
    'POST /admin/privacy-requests/:id/manual-tasks/:region/:connectorId/complete': {
      url: () => `/admin/privacy-requests/${f.usRequest}/manual-tasks/eu/eu-crm/complete`,
      body: () => ({ note: 'exported by hand', operation: 'erase' }),
      expect: refused,
    },
    'POST /admin/privacy-requests/:id/extend': {
      url: () => `/admin/privacy-requests/${f.euRequest}/extend`,
      body: () => ({ reason: 'the request is complex and needs more time' }),
      expect: refused,
    },
    'POST /admin/legal-holds': {
      url: () => '/admin/legal-holds',
      body: () => ({ customerId: f.euCustomer, region: 'eu', scope: 'all', reason: 'not mine to hold' }),
      expect: refused,
    },
    'DELETE /admin/legal-holds/:region/:id': { url: () => `/admin/legal-holds/eu/${f.euHold}`, expect: refused },
    'POST /admin/connectors': {
      url: () => '/admin/connectors',
      body: () => ({
        system: 'shopify',
        name: 'Sneaky EU Shopify',
        region: 'eu',
        settings: { shopUrl: 'https://scope-sneaky.myshopify.com', timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_sneaky' },
      }),
      expect: refused,
    },
    'GET /admin/connectors': {
      url: () => '/admin/connectors',
      expect: {
        filtered: (body) => {
          expect(body.connectors).toEqual([]);
        },
      },
    },
    'GET /admin/connectors/:id': { url: () => `/admin/connectors/${f.euConnector}`, expect: refused },
    'PUT /admin/connectors/:id': {
      url: () => `/admin/connectors/${f.euConnector}`,
      body: () => ({ name: 'mine now' }),
      expect: refused,
    },
    'GET /admin/connectors/:id/rejections': {
      url: () => `/admin/connectors/${f.euConnector}/rejections`,
      expect: refused,
    },
    'PUT /admin/connectors/:id/schedule': {
      url: () => `/admin/connectors/${f.euConnector}/schedule`,
      body: () => ({ every: '1h' }),
      expect: refused,
    },
    'POST /admin/connectors/:id/schedule/pause': {
      url: () => `/admin/connectors/${f.euConnector}/schedule/pause`,
      body: () => ({}),
      expect: refused,
    },
    'POST /admin/connectors/:id/schedule/resume': {
      url: () => `/admin/connectors/${f.euConnector}/schedule/resume`,
      body: () => ({}),
      expect: refused,
    },
    'POST /admin/connectors/:id/schedule/trigger': {
      url: () => `/admin/connectors/${f.euConnector}/schedule/trigger`,
      body: () => ({}),
      expect: refused,
    },
    'DELETE /admin/connectors/:id/schedule': {
      url: () => `/admin/connectors/${f.euConnector}/schedule`,
      expect: refused,
    },
    'POST /admin/connectors/:id/sync': {
      url: () => `/admin/connectors/${f.euConnector}/sync`,
      body: () => ({}),
      expect: refused,
    },
    'GET /admin/connectors/:id/sync/:workflowId': {
      url: () => `/admin/connectors/${f.euConnector}/sync/sync-${f.euConnector}-manual`,
      expect: refused,
    },
    'GET /admin/held-merges': {
      url: () => '/admin/held-merges',
      expect: {
        filtered: (body) => {
          expect(body.merges.map((m: any) => m.region)).not.toContain('eu');
          expect(JSON.stringify(body)).not.toContain(f.euCustomer);
        },
      },
    },
    'POST /admin/held-merges/:region/:id/approve': {
      url: () => `/admin/held-merges/eu/${f.euHeldMerge}/approve`,
      body: () => ({}),
      expect: refused,
    },
    'POST /admin/held-merges/:region/:id/reject': {
      url: () => `/admin/held-merges/eu/${f.euHeldMerge}/reject`,
      body: () => ({ note: 'not mine' }),
      expect: refused,
    },
    'POST /admin/segments': {
      url: () => '/admin/segments',
      body: () => ({ name: 'Sneaky', owner: 'eu', definition: { type: 'tag', key: 'vip' } }),
      expect: refused,
    },
    'POST /admin/segments/preview': {
      url: () => '/admin/segments/preview',
      body: () => ({ owner: 'eu', definition: { type: 'tag', key: 'vip' } }),
      expect: refused,
    },
    'PUT /admin/segments/:id': {
      url: () => `/admin/segments/${f.euSegment}`,
      body: () => ({ definition: { type: 'tag', key: 'vip' } }),
      expect: { hidden: true },
    },
    'GET /admin/segments': {
      url: () => '/admin/segments',
      expect: {
        filtered: (body) => {
          expect(body.segments.map((s: any) => s.id)).not.toContain(f.euSegment);
        },
      },
    },
    'GET /admin/segments/:id': { url: () => `/admin/segments/${f.euSegment}`, expect: { hidden: true } },
    'GET /admin/segments/:id/versions': {
      url: () => `/admin/segments/${f.euSegment}/versions`,
      expect: { hidden: true },
    },
    'GET /admin/segments/:id/counts': { url: () => `/admin/segments/${f.euSegment}/counts`, expect: { hidden: true } },
    'GET /admin/segments/:id/history': {
      url: () => `/admin/segments/${f.euSegment}/history`,
      expect: { hidden: true },
    },
    'GET /admin/segments/:id/members': {
      url: () => `/admin/segments/${f.euSegment}/members`,
      expect: { hidden: true },
    },
    'POST /admin/segments/:id/recompute': {
      url: () => `/admin/segments/${f.euSegment}/recompute`,
      expect: { hidden: true },
    },
    'POST /admin/ad-audiences': {
      url: () => '/admin/ad-audiences',
      body: () => ({ name: 'Sneaky', segmentId: f.euSegment, connectorId: 'scope_eu_meta', platformAudienceId: '800' }),
      expect: refused,
    },
    'GET /admin/ad-audiences': {
      url: () => '/admin/ad-audiences',
      expect: {
        filtered: (body) => {
          expect(body.audiences.map((a: any) => a.region)).not.toContain('eu');
          expect(JSON.stringify(body)).not.toContain(f.euAdAudience);
        },
      },
    },
    'GET /admin/ad-audiences/:id': { url: () => `/admin/ad-audiences/${f.euAdAudience}`, expect: { hidden: true } },
    'POST /admin/ad-audiences/:id/sync': {
      url: () => `/admin/ad-audiences/${f.euAdAudience}/sync`,
      body: () => ({ full: true }),
      expect: { hidden: true },
    },
    'DELETE /admin/ad-audiences/:id': { url: () => `/admin/ad-audiences/${f.euAdAudience}`, expect: { hidden: true } },
    'POST /admin/journeys': {
      url: () => '/admin/journeys',
      body: () => ({ name: 'Sneaky', owner: 'eu', brandId: 'default', graph: journeyGraph }),
      expect: refused,
    },
    'GET /admin/journeys': {
      url: () => '/admin/journeys',
      expect: {
        filtered: (body) => {
          expect(body.journeys.map((j: any) => j.id)).not.toContain(f.euJourney);
        },
      },
    },
    'GET /admin/journeys/:id': { url: () => `/admin/journeys/${f.euJourney}`, expect: { hidden: true } },
    'POST /admin/journeys/:id/versions': {
      url: () => `/admin/journeys/${f.euJourney}/versions`,
      body: () => ({ graph: journeyGraph, runsMove: true }),
      expect: { hidden: true },
    },
    'POST /admin/journeys/:id/pause': { url: () => `/admin/journeys/${f.euJourney}/pause`, expect: { hidden: true } },
    'POST /admin/journeys/:id/resume': { url: () => `/admin/journeys/${f.euJourney}/resume`, expect: { hidden: true } },
    'GET /admin/journeys/:id/stats': { url: () => `/admin/journeys/${f.euJourney}/stats`, expect: { hidden: true } },
    'PUT /admin/fx-rates/:currency': {
      url: () => '/admin/fx-rates/KWD',
      body: () => ({ source: 'Central Bank of Kuwait', rates: [{ date: '2025-03-14', perEur: '0.3354' }] }),
      expect: refused,
      control: 'all',
    },
    'POST /admin/console-users': {
      url: () => '/admin/console-users',
      body: () => ({ email: 'scope-admin@example.com', role: 'group_admin', password: 'long enough password' }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/console-users': { url: () => '/admin/console-users', expect: refused, control: 'all' },
    'PATCH /admin/console-users/:id': {
      url: () => '/admin/console-users/00000000-0000-4000-8000-000000000000',
      body: () => ({ role: 'group_admin' }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/audit': { url: () => '/admin/audit?region=eu', expect: refused },
    'GET /admin/insights': {
      url: () => '/admin/insights?from=2020-01-01&to=2030-12-31',
      expect: { filtered: (body: any) => expect(body.markets.every((m: any) => m.region === 'us')).toBe(true) },
    },
    'POST /admin/insights/refresh': { url: () => '/admin/insights/refresh', expect: refused, control: 'all' },
    'POST /admin/brands': {
      url: () => '/admin/brands',
      body: () => ({ id: 'scope-brand', name: 'Scope brand' }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/brands': {
      url: () => '/admin/brands',
      expect: {
        readable: 'brands are names and a controller flag, nothing about a person; sources and tags name them',
      },
    },
    'PATCH /admin/brands/:id': {
      url: () => '/admin/brands/default',
      body: () => ({ name: 'Renamed by another region' }),
      expect: refused,
      control: 'all',
    },
    'PUT /admin/brands/:owner/sharing/:user': {
      url: () => '/admin/brands/default/sharing/scope-brand',
      body: () => ({ allowed: true }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/brands/sharing': {
      url: () => '/admin/brands/sharing',
      expect: { readable: 'which brand may use which brand’s data: configuration, nothing about a person' },
    },
    'POST /admin/tags': {
      url: () => '/admin/tags',
      body: () => ({ key: 'sneaky-eu-tag', labels: { en: 'Sneaky' }, owner: 'eu', source: 'manual' }),
      expect: refused,
    },
    'GET /admin/tags': {
      url: () => '/admin/tags',
      expect: {
        filtered: (body) => {
          expect(body.tags.map((t: any) => t.owner)).not.toContain('eu');
        },
      },
    },
    'GET /admin/tags/:key': { url: () => `/admin/tags/${f.euTag}`, expect: refused },
    'PATCH /admin/tags/:key': {
      url: () => `/admin/tags/${f.euTag}`,
      body: () => ({ labels: { en: 'Mine now' } }),
      expect: refused,
    },
    'POST /admin/tags/:key/upload': {
      url: () => `/admin/tags/${f.euTag}/upload`,
      body: () => [f.euCustomer],
      expect: refused,
    },
    'GET /admin/tags/:key/counts': { url: () => `/admin/tags/${f.euTag}/counts`, expect: refused },
    'POST /admin/tags/:key/promote': {
      url: () => `/admin/tags/${f.euTag}/promote`,
      body: () => ({}),
      expect: refused,
      control: 'all',
    },
    'DELETE /admin/tags/:key': { url: () => `/admin/tags/${f.euTagToDelete}`, expect: refused },
    'GET /admin/fx-rates/:currency': {
      url: () => '/admin/fx-rates/KWD',
      expect: {
        readable:
          'exchange rates are public reference data, hold nothing about a person, and explain any region’s order amounts',
      },
    },
    'GET /admin/data-schema': {
      url: () => '/admin/data-schema',
      expect: {
        readable:
          'the data-schema rules are workspace-wide configuration (which keys are identifying) and hold nothing about a person',
      },
    },
    'PUT /admin/data-schema': {
      url: () => '/admin/data-schema',
      body: () => ({ rules: [{ match: { key: 'loyalty_tier' }, category: 'user.behavior' }] }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/data-map': {
      url: () => '/admin/data-map',
      expect: {
        filtered: (body) => {
          expect(body.regions.map((r: any) => r.region)).toEqual(['us']);
          expect(JSON.stringify(body)).not.toContain(f.euSource);
          expect(JSON.stringify(body)).not.toContain(f.euConnector);
        },
      },
    },
    'GET /admin/computed-traits': {
      url: () => '/admin/computed-traits',
      expect: { readable: 'trait definitions hold no personal data; a region’s operator segments on them' },
    },
    'GET /admin/computed-traits/:id': {
      url: () => '/admin/computed-traits/revenue',
      expect: { readable: 'trait definitions hold no personal data' },
    },
    // The control call (all regions) gets past the scope check to the definition's 400.
    'POST /admin/computed-traits': {
      url: () => '/admin/computed-traits',
      body: () => ({ id: 'scope_trait', name: 'Scope', definition: { kind: 'median' } }),
      expect: refused,
      control: 'all',
    },
    'PUT /admin/computed-traits/:id': {
      url: () => '/admin/computed-traits/revenue',
      body: () => ({ name: 'Sales' }),
      expect: refused,
      control: 'all',
    },
    'DELETE /admin/computed-traits/:id': {
      url: () => '/admin/computed-traits/revenue',
      expect: refused,
      control: 'all',
    },
    'GET /admin/templates': {
      url: () => '/admin/templates',
      expect: { readable: 'message templates hold no personal data; every region sends them' },
    },
    'GET /admin/templates/:id': {
      url: () => '/admin/templates/scope_template',
      expect: { readable: 'message templates hold no personal data' },
    },
    // A preview with an eu person as the sample: a us token gets placeholders, never her values.
    'POST /admin/templates/:id/preview': {
      url: () => '/admin/templates/scope_template/preview',
      body: () => ({ locale: 'en', sample: { customerId: f.euCustomer, region: 'eu' } }),
      expect: {
        filtered: (body) => {
          expect.soft(body.values).toBe('placeholders');
          expect.soft(body.content.text).toBe('Hello [first_name]');
        },
      },
    },
    // Templates are sent in every region: creating or changing one is workspace-wide (the control gets past the scope check).
    'POST /admin/templates': {
      url: () => '/admin/templates',
      body: () => ({ id: 'scope_template', brandId: 'default', name: 'Scope', channel: 'sms', defaultLocale: 'en' }),
      expect: refused,
      control: 'all',
    },
    'POST /admin/templates/:id/test-send': {
      url: () => '/admin/templates/scope_template/test-send',
      body: () => ({}),
      expect: { usersOnly: "it sends to the signed-in console user's own email; a token has none" },
    },
    'PUT /admin/templates/:id': {
      url: () => '/admin/templates/scope_template',
      body: () => ({ name: 'Scope' }),
      expect: refused,
      control: 'all',
    },
    // Broadcasts belong to a region: a token for another region neither sees nor steers them.
    'POST /admin/broadcasts': {
      url: () => '/admin/broadcasts',
      body: () => ({
        id: 'scope_broadcast_2',
        name: 'Scope',
        region: 'eu',
        brandId: 'default',
        segmentId: f.euSegment,
        channel: 'sms',
        templateRef: 'scope_template',
        localTime: '10:00',
        whenPassed: 'skip',
        fallbackZone: 'Europe/Berlin',
      }),
      expect: refused,
    },
    'GET /admin/broadcasts': {
      url: () => '/admin/broadcasts',
      expect: {
        filtered: (body) => expect(JSON.stringify(body.broadcasts)).not.toContain('scope_broadcast'),
      },
    },
    'GET /admin/broadcasts/:id': { url: () => '/admin/broadcasts/scope_broadcast', expect: refused },
    'GET /admin/broadcasts/:id/progress': { url: () => '/admin/broadcasts/scope_broadcast/progress', expect: refused },
    'GET /admin/broadcasts/:id/preview': { url: () => '/admin/broadcasts/scope_broadcast/preview', expect: refused },
    'POST /admin/broadcasts/:id/start': { url: () => '/admin/broadcasts/scope_broadcast/start', expect: refused },
    'POST /admin/broadcasts/:id/pause': { url: () => '/admin/broadcasts/scope_broadcast/pause', expect: refused },
    'POST /admin/broadcasts/:id/resume': { url: () => '/admin/broadcasts/scope_broadcast/resume', expect: refused },
    'POST /admin/broadcasts/:id/cancel': { url: () => '/admin/broadcasts/scope_broadcast/cancel', expect: refused },
    'GET /admin/profiles/:customerId/computed-traits': {
      url: () => `/admin/profiles/${f.euCustomer}/computed-traits`,
      expect: refused,
    },
    'GET /admin/segments/:id/suggestions': {
      url: () => `/admin/segments/${f.euSegment}/suggestions`,
      expect: refused,
    },
  };

  Object.assign(table, {
    'PUT /admin/loyalty/programmes/:brandId': {
      url: () => '/admin/loyalty/programmes/default',
      body: () => ({ name: 'Taken over' }),
      expect: refused,
      control: 'all',
    },
    'GET /admin/loyalty/programmes/:brandId': {
      url: () => '/admin/loyalty/programmes/default',
      expect: { readable: 'a programme is configuration (earn rules, tiers, benefits), nothing about a person' },
    },
    'POST /admin/loyalty/members': {
      url: () => '/admin/loyalty/members',
      body: () => ({ customerId: f.euCustomer, brandId: 'default', termsVersion: 'v1' }),
      expect: refused,
    },
    'POST /admin/loyalty/members/:memberId/redemptions': {
      url: () => `/admin/loyalty/members/${f.euMember}/redemptions`,
      body: () => ({ brandId: 'default', points: 1, requestId: 'scope-r1', reason: 'scope' }),
      expect: { hidden: true },
    },
    'POST /admin/loyalty/members/:memberId/sync': {
      url: () => `/admin/loyalty/members/${f.euMember}/sync`,
      // A brand the member is not enrolled with: the control call stops at 404 after the scope check, no push starts.
      body: () => ({ brandId: 'not-enrolled' }),
      expect: { hidden: true },
    },
    'POST /admin/loyalty/lookup': {
      url: () => '/admin/loyalty/lookup',
      body: () => ({ brandId: 'default', market: 'DE', email: f.euEmail }),
      expect: { hidden: true },
    },
  } satisfies Record<string, Case>);

  it('has a scope decision for every registered admin route', () => {
    expect(routes.size).toBeGreaterThan(20);
    const missing = [...routes].filter((r) => !(r in table));
    expect(missing, `admin routes without a scope decision in this test: ${missing.join(', ')}`).toEqual([]);
    const stale = Object.keys(table).filter((r) => !routes.has(r));
    expect(stale, 'table lines for routes that are not registered').toEqual([]);
  });

  it('an out-of-scope token is refused, hidden from, or filtered on every admin route', async () => {
    // Soft assertions: one run names every route that lets the token through, not just the first.
    const outcomes: string[] = [];
    for (const [route, c] of Object.entries(table)) {
      const method = route.split(' ')[0]!;
      const res = await call(US_TOKEN, method, c.url(), c.body?.());
      const where = `${route} → ${res.status} ${res.text.slice(0, 300)}`;
      if ('refused' in c.expect) {
        expect.soft(res.status, where).toBe(403);
        expect
          .soft(res.body.error, where)
          .toMatch(
            /^this admin token (may not .* in region eu \(it covers us\)|covers us, but .*: use an admin token for all regions)/,
          );
      } else if ('hidden' in c.expect) {
        expect.soft(res.status, where).toBe(404);
        expect.soft(res.text, where).not.toContain(f.euCustomer);
      } else if ('filtered' in c.expect) {
        expect.soft(res.status, where).toBe(200);
        c.expect.filtered(res.body);
      } else if ('usersOnly' in c.expect) {
        expect.soft(res.status, where).toBe(400);
        expect.soft(res.body.error, where).toMatch(/signed-in console user/);
      } else {
        expect.soft(res.status, where).toBe(200);
      }
      // Nothing of the eu person leaks in any answer.
      expect.soft(res.text, where).not.toMatch(/Greta|greta\.scope/);
      outcomes.push(`${route}: ${res.status}`);
    }
    expect(outcomes).toHaveLength(Object.keys(table).length);

    // What the refused calls would have changed is unchanged.
    const [source] = await d.global()
      .sql`select rotated_at, allowed_origins, webhook_secret_sealed, webhook_mapping from sources where id = ${f.euSource}`;
    expect(source!.rotated_at).toBeNull();
    expect(source!.allowed_origins).toEqual([]);
    expect(source!.webhook_secret_sealed).toBeNull();
    expect(source!.webhook_mapping).toBeNull();
    const holds = await d.regional('eu').sql`select removed_at from legal_holds where id = ${f.euHold}`;
    expect(holds[0]!.removed_at).toBeNull();
    expect((await d.global().sql`select count(*)::int as n from sources where name = 'Sneaky EU shop'`)[0]!.n).toBe(0);
    expect(
      (
        await d.global()
          .sql`select archived_at, (select count(*)::int from ad_audiences) as n from ad_audiences where id = ${f.euAdAudience}`
      )[0],
    ).toEqual({ archived_at: null, n: 1 });
    expect((await d.global().sql`select name from connectors where id = ${f.euConnector}`)[0]!.name).toBe(
      'Berlin Shopify',
    );
    const [request] = await d.regional('eu')
      .sql`select extension_reason from privacy_requests where id = ${f.euRequest}`;
    expect(request!.extension_reason).toBeNull();
    const [heldMerge] = await d.regional('eu').sql`select status from held_merges where id = ${f.euHeldMerge}`;
    expect(heldMerge!.status).toBe('pending');
    const tags = await d.global().sql`select key, owner, labels from tags order by key`;
    expect(tags.map((t) => `${t.key}:${t.owner}:${JSON.stringify(t.labels)}`)).toEqual([
      'eu-scope-tag:eu:{"de":"Berlin"}',
      'eu-scope-tag-2:eu:{"de":"Berlin"}',
    ]);
    expect((await d.regional('eu').sql`select count(*)::int as n from tag_assignments`)[0]!.n).toBe(0);
    expect((await d.global().sql`select id, name from brands`).map((b) => `${b.id}:${b.name}`)).toEqual([
      'default:Default brand',
    ]);
    expect((await d.global().sql`select count(*)::int as n from brand_sharing`)[0]!.n).toBe(0);
    expect(
      (await d.global().sql`select name, status, version from journeys order by name`).map(
        (j) => `${j.name}:${j.status}:${j.version}`,
      ),
    ).toEqual(['Berlin welcome:active:1']);
  });

  it('a token for the region gets past the scope check on every refused route (the 403s are the scope rule)', async () => {
    for (const [route, c] of Object.entries(table)) {
      if (!('refused' in c.expect) && !('hidden' in c.expect)) continue;
      const method = route.split(' ')[0]!;
      const res = await call(c.control === 'all' ? allToken : EU_TOKEN, method, c.url(), c.body?.());
      expect(res.status, `${route} → ${res.status} ${res.text.slice(0, 300)}`).not.toBe(403);
    }
  });

  it('shows only the token’s regions inside a request: another region’s systems are left out', async () => {
    const res = await call(US_TOKEN, 'GET', `/admin/privacy-requests/${f.usRequest}`);
    expect(res.status).toBe(200);
    expect(res.body.systems.map((s: any) => `${s.region}/${s.connectorId}`)).toEqual(['us/us-crm']);
    const all = await call(allToken, 'GET', `/admin/privacy-requests/${f.usRequest}`);
    expect(all.body.systems.map((s: any) => `${s.region}/${s.connectorId}`)).toEqual(['eu/eu-crm', 'us/us-crm']);
  });
});
