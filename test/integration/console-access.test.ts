import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { capabilityFor } from '../../web/admin/access';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { bearerCaller } from '../support/admin-api';
import { createConsoleUser, signIn } from '../support/console';

/**
 * Console access (issue 13): password sign-in, the session cookie and its CSRF token, expiry,
 * roles' capabilities and brand × region scope on the admin API, console user management. Each
 * boundary is crossed on purpose: another region's person, a change without the CSRF token, an
 * expired session, a brand marketer on another brand, an analyst asking for personal values.
 */

const PASSWORD = 'correct horse battery staple';

describe('console access', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  const routes = new Set<string>();
  const call = bearerCaller(() => base);
  const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);

  /** Calls with a session cookie (and the CSRF token when given). */
  const asUser = async (
    session: { cookie: string; csrfToken?: string },
    method: string,
    url: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        cookie: session.cookie,
        ...(session.csrfToken ? { 'x-csrf-token': session.csrfToken } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  let apacCustomer: string;
  let euCustomer: string;

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('consoleaccess');
    web = await createMeridianWeb(d.config, d.client, {
      poolSize: 2,
      onRoute: (route) => {
        for (const method of [route.method].flat())
          if (method !== 'HEAD' && route.url.startsWith('/admin')) routes.add(`${method} ${route.url}`);
      },
    });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const g = d.global().sql;
    await createConsoleUser(g, {
      email: 'Hana@Example.com',
      password: PASSWORD,
      role: 'market_marketer',
      regions: ['apac'],
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
    });
    await createConsoleUser(g, { email: 'ana@example.com', password: PASSWORD, role: 'analyst' });
    await createConsoleUser(g, {
      email: 'bea@example.com',
      password: PASSWORD,
      role: 'brand_marketer',
      brands: ['aurora'],
    });
    await createConsoleUser(g, { email: 'gus@example.com', password: PASSWORD, role: 'group_admin' });
    await createConsoleUser(g, { email: 'ops@example.com', password: PASSWORD, role: 'operator' });

    for (const brand of ['aurora', 'borealis'])
      expect((await admin('POST', '/admin/brands', { id: brand, name: brand })).status).toBe(201);
    // One person in apac, one in eu.
    for (const [region, email, userId] of [
      ['apac', 'kenji@example.jp', 'kenji-1'],
      ['eu', 'greta@example.de', 'greta-1'],
    ] as const) {
      const source = await admin('POST', '/admin/sources', { name: `${region} shop`, region, kind: 'server' });
      expect(source.status, source.text).toBe(201);
      const sent = await fetch(`${base}/v1/identify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${source.body.writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId, traits: { email, firstName: 'Pat' } }),
      });
      expect(sent.status).toBe(200);
    }
    apacCustomer = (await admin('POST', '/admin/profiles/lookup', { type: 'email', value: 'kenji@example.jp' })).body
      .customerId;
    euCustomer = (await admin('POST', '/admin/profiles/lookup', { type: 'email', value: 'greta@example.de' })).body
      .customerId;
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it('signs in with a password: the user, a CSRF token and a secure session cookie', async () => {
    const response = await fetch(`${base}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'hana@example.com', password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.user).toMatchObject({
      email: 'hana@example.com',
      role: 'market_marketer',
      regions: ['apac'],
      brands: '*',
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
    });
    expect(body.user.capabilities).toContain('segments.write');
    expect(body.user.capabilities).not.toContain('users.manage');
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('meridian_session='))!;
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Secure']) expect(cookie).toContain(attribute);
    // Only the hash of the session id is stored.
    const id = cookie.split(';')[0]!.split('=')[1]!;
    const [row] = await d.global()
      .sql`select count(*)::int as n from console_sessions where encode(id_hash, 'escape') like ${`%${id}%`}`;
    expect(row!.n).toBe(0);

    const me = await asUser({ cookie: cookie.split(';')[0]! }, 'GET', '/console/api/session');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: body.user, csrfToken: body.csrfToken });
  });

  it('answers the same 401 for an unknown email and a wrong password, and limits failed attempts', async () => {
    const attempt = (email: string, password: string) =>
      fetch(`${base}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
    const unknown = await attempt('nobody@example.com', PASSWORD);
    const wrong = await attempt('ana@example.com', 'not the password');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
    expect((await attempt('ana@example.com', '')).status).toBe(400);

    await createConsoleUser(d.global().sql, { email: 'locked@example.com', password: PASSWORD, role: 'analyst' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt('locked@example.com', `guess-${i}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    // Even the right password waits out the window now.
    expect((await attempt('locked@example.com', PASSWORD)).status).toBe(429);
    // Another account from the same address is not locked out by it.
    expect((await attempt('ana@example.com', PASSWORD)).status).toBe(200);
  });

  it('answers 401 without a session, and signs out: the row is deleted and the cookie cleared', async () => {
    expect((await fetch(`${base}/console/api/session`)).status).toBe(401);
    const session = await signIn(base, 'ana@example.com', PASSWORD);
    const out = await asUser(session, 'DELETE', '/console/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/meridian_session=;.*Max-Age=0/);
    expect((await asUser(session, 'GET', '/console/api/session')).status).toBe(401);
    expect((await asUser(session, 'GET', '/admin/segments/x')).status).toBe(401);
  });

  it('refuses an expired session, idle or absolute', async () => {
    const idle = await signIn(base, 'ana@example.com', PASSWORD);
    const absolute = await signIn(base, 'ana@example.com', PASSWORD);
    const hashOf = (cookie: string) =>
      require('node:crypto').createHash('sha256').update(cookie.split('=')[1]!).digest() as Buffer;
    await d.global()
      .sql`update console_sessions set idle_expires_at = now() - interval '1 second' where id_hash = ${hashOf(idle.cookie)}`;
    await d.global()
      .sql`update console_sessions set absolute_expires_at = now() - interval '1 second' where id_hash = ${hashOf(absolute.cookie)}`;
    for (const session of [idle, absolute]) {
      expect((await asUser(session, 'GET', '/console/api/session')).status).toBe(401);
      const refused = await asUser(session, 'GET', `/admin/profiles/${apacCustomer}`);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatch(/expired/);
    }
  });

  it('changes preferences only with the CSRF token, and checks them', async () => {
    const session = await signIn(base, 'hana@example.com', PASSWORD);
    const without = await asUser({ cookie: session.cookie }, 'PATCH', '/console/api/session/preferences', {
      locale: 'de',
    });
    expect(without.status).toBe(403);
    const bad = await asUser(session, 'PATCH', '/console/api/session/preferences', { timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/timeZone/);
    const ok = await asUser(session, 'PATCH', '/console/api/session/preferences', {
      locale: 'zh-hant',
      timeZone: 'Asia/Taipei',
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.user).toMatchObject({ locale: 'zh-Hant', timeZone: 'Asia/Taipei' });
    await asUser(session, 'PATCH', '/console/api/session/preferences', { locale: 'ja', timeZone: 'Asia/Tokyo' });
  });

  it('lets a market marketer of apac see apac people with personal values, and not eu people', async () => {
    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    const own = await asUser(hana, 'GET', `/admin/profiles/${apacCustomer}`);
    expect(own.status, own.text).toBe(200);
    expect(own.body.regions[0]).toMatchObject({ region: 'apac', personalData: 'shown' });
    expect((await asUser(hana, 'GET', `/admin/profiles/${euCustomer}`)).status).toBe(403);
    const lookup = await asUser(hana, 'POST', '/admin/profiles/lookup', { type: 'email', value: 'greta@example.de' });
    expect(lookup.status).toBe(404);
    // A change with the cookie but without the CSRF token is refused before anything happens.
    const noCsrf = await asUser({ cookie: hana.cookie }, 'POST', '/admin/profiles/lookup', {
      type: 'email',
      value: 'kenji@example.jp',
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toMatch(/x-csrf-token/);
    // A cookie that is not a session.
    expect((await asUser({ cookie: 'meridian_session=forged' }, 'GET', `/admin/profiles/${apacCustomer}`)).status).toBe(
      401,
    );
  });

  it('shows an analyst profiles without personal values, and no more', async () => {
    const ana = await signIn(base, 'ana@example.com', PASSWORD);
    const profile = await asUser(ana, 'GET', `/admin/profiles/${apacCustomer}`);
    expect(profile.status, profile.text).toBe(200);
    expect(profile.body.regions[0]).toMatchObject({ region: 'apac', personalData: 'withheld' });
    expect(profile.text).not.toContain('kenji@example.jp');
    const write = await asUser(ana, 'POST', '/admin/segments', {
      name: 'VIPs',
      owner: 'group',
      definition: { type: 'order', count: { atLeast: 2 } },
    });
    expect(write.status).toBe(403);
    expect(write.body.error).toMatch(/segments\.write/);
    expect((await asUser(ana, 'GET', '/admin/connectors')).status).toBe(403);
    expect((await asUser(ana, 'GET', '/admin/console-users')).status).toBe(403);
    // The operator runs connectors, not people.
    const ops = await signIn(base, 'ops@example.com', PASSWORD);
    expect((await asUser(ops, 'GET', '/admin/connectors')).status).toBe(200);
    expect((await asUser(ops, 'GET', `/admin/profiles/${apacCustomer}`)).status).toBe(403);
  });

  it("keeps a brand marketer to its brand's segments", async () => {
    const definition = { type: 'order', count: { atLeast: 2 } };
    const aurora = await admin('POST', '/admin/segments', {
      name: 'Aurora fans',
      owner: 'group',
      brandId: 'aurora',
      definition,
    });
    const borealis = await admin('POST', '/admin/segments', {
      name: 'Borealis fans',
      owner: 'group',
      brandId: 'borealis',
      definition,
    });
    expect(aurora.status, aurora.text).toBe(201);
    expect(borealis.status, borealis.text).toBe(201);
    const bea = await signIn(base, 'bea@example.com', PASSWORD);
    const own = await asUser(bea, 'PUT', `/admin/segments/${aurora.body.segment.id}`, {
      name: 'Aurora friends',
      definition,
    });
    expect(own.status, own.text).toBe(200);
    const other = await asUser(bea, 'PUT', `/admin/segments/${borealis.body.segment.id}`, {
      name: 'mine now',
      definition,
    });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(/brand borealis/);
    expect((await asUser(bea, 'GET', `/admin/segments/${borealis.body.segment.id}`)).status).toBe(403);
    const create = await asUser(bea, 'POST', '/admin/segments', {
      name: 'x',
      owner: 'group',
      brandId: 'borealis',
      definition,
    });
    expect(create.status).toBe(403);
    const groupWide = await asUser(bea, 'POST', '/admin/segments', { name: 'x', owner: 'group', definition });
    expect(groupWide.status).toBe(403);
    const mine = await asUser(bea, 'POST', '/admin/segments', {
      name: 'Aurora new',
      owner: 'group',
      brandId: 'aurora',
      definition,
    });
    expect(mine.status, mine.text).toBe(201);
  });

  it("lists a brand marketer its brands' items and the group's, never another brand's", async () => {
    const definition = { type: 'order', count: { atLeast: 1 } };
    const made: Record<string, Record<'aurora' | 'borealis' | 'group', string>> = {
      segments: { aurora: '', borealis: '', group: '' },
      tags: { aurora: 'list-aurora', borealis: 'list-borealis', group: 'list-group' },
      templates: { aurora: 'list_aurora', borealis: 'list_borealis', group: '' },
      journeys: { aurora: '', borealis: '', group: '' },
      broadcasts: { aurora: 'list_aurora_bc', borealis: 'list_borealis_bc', group: '' },
    };
    const created = async (url: string, body: unknown) => {
      const answer = await admin('POST', url, body);
      expect(answer.status, `${url}: ${answer.text}`).toBe(201);
      return answer.body;
    };
    for (const brand of ['aurora', 'borealis', 'group'] as const) {
      const brandId = brand === 'group' ? {} : { brandId: brand };
      made.segments![brand] = (
        await created('/admin/segments', { name: `List ${brand}`, owner: 'group', ...brandId, definition })
      ).segment.id;
      await created('/admin/tags', {
        key: made.tags![brand],
        labels: { en: brand },
        owner: 'group',
        source: 'manual',
        brandId: brand === 'group' ? null : brand,
      });
      if (brand === 'group') continue; // templates, journeys and broadcasts always belong to a brand
      await created('/admin/templates', {
        id: made.templates![brand],
        brandId: brand,
        name: `List ${brand}`,
        channel: 'sms',
        defaultLocale: 'en',
        variants: { en: { body: 'Hello {{ first_name }}' } },
      });
      made.journeys![brand] = (
        await created('/admin/journeys', {
          name: `List ${brand}`,
          owner: 'group',
          brandId: brand,
          graph: {
            entry: { type: 'event', event: 'Signed Up' },
            start: 'hello',
            nodes: {
              hello: { type: 'message', channel: 'sms', templateRef: made.templates![brand], next: 'done' },
              done: { type: 'exit' },
            },
          },
        })
      ).journey.id;
      await created('/admin/broadcasts', {
        id: made.broadcasts![brand],
        name: `List ${brand}`,
        region: 'apac',
        brandId: brand,
        segmentId: made.segments![brand],
        channel: 'sms',
        templateRef: made.templates![brand],
        localTime: '10:00',
        localDate: '2099-01-01',
        whenPassed: 'skip',
        fallbackZone: 'Asia/Tokyo',
      });
    }
    const idsOf = (list: Record<string, unknown>[], field = 'id') => list.map((item) => item[field]);
    const lists = async (session: { cookie: string }) => ({
      segments: idsOf((await asUser(session, 'GET', '/admin/segments')).body.segments),
      tags: idsOf((await asUser(session, 'GET', '/admin/tags')).body.tags, 'key'),
      templates: idsOf((await asUser(session, 'GET', '/admin/templates')).body.templates),
      journeys: idsOf((await asUser(session, 'GET', '/admin/journeys')).body.journeys),
      broadcasts: idsOf((await asUser(session, 'GET', '/admin/broadcasts')).body.broadcasts),
    });

    const bea = await lists(await signIn(base, 'bea@example.com', PASSWORD));
    for (const [kind, ids] of Object.entries(bea)) {
      expect(ids, kind).toContain(made[kind]!.aurora);
      expect(ids, kind).not.toContain(made[kind]!.borealis);
      if (made[kind]!.group) expect(ids, kind).toContain(made[kind]!.group);
    }
    // The filter is the brand scope, not a blanket: a user of every brand sees them all.
    const gus = await lists(await signIn(base, 'gus@example.com', PASSWORD));
    for (const [kind, ids] of Object.entries(gus))
      for (const id of Object.values(made[kind]!).filter(Boolean)) expect(ids, kind).toContain(id);
    // Asking for the other brand's templates by name returns none of them.
    const bySearch = await asUser(
      await signIn(base, 'bea@example.com', PASSWORD),
      'GET',
      '/admin/templates?brand=borealis',
    );
    expect(bySearch.body.templates).toEqual([]);
  });

  it('manages console users (never showing a hash), for users.manage or an all-regions token', async () => {
    const gus = await signIn(base, 'gus@example.com', PASSWORD);
    const created = await asUser(gus, 'POST', '/admin/console-users', {
      email: 'priya@example.com',
      password: 'a long enough password',
      role: 'privacy_officer',
      regions: ['eu'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toMatch(/argon2|hash/i);
    expect(
      (await asUser(gus, 'POST', '/admin/console-users', { email: 'priya@example.com', role: 'analyst' })).status,
    ).toBe(409);
    const list = await admin('GET', '/admin/console-users');
    expect(list.status).toBe(200);
    expect(list.text).not.toMatch(/argon2/);
    expect(list.body.users.map((u: { email: string }) => u.email)).toContain('priya@example.com');
    const priya = await signIn(base, 'priya@example.com', 'a long enough password');
    expect((priya.user as { capabilities: string[] }).capabilities).toContain('audit.read');
    // Disabling ends the sessions at once.
    const disabled = await asUser(gus, 'PATCH', `/admin/console-users/${created.body.id}`, { disabled: true });
    expect(disabled.status, disabled.text).toBe(200);
    expect((await asUser(priya, 'GET', '/console/api/session')).status).toBe(401);
    await expect(signIn(base, 'priya@example.com', 'a long enough password')).rejects.toThrow(/401/);
    // A scoped token, and a user without users.manage, may not.
    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    expect((await asUser(hana, 'GET', '/admin/console-users')).status).toBe(403);
  });

  it('has a capability for every admin route', () => {
    expect(routes.size).toBeGreaterThan(50);
    const uncovered = [...routes].filter((r) => {
      const [method, url] = r.split(' ');
      return capabilityFor(method!, url!) === undefined;
    });
    expect(uncovered).toEqual([]);
  });

  it('answers 404 with a helpful message when OIDC is not configured', async () => {
    const response = await fetch(`${base}/console/api/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toMatch(/MERIDIAN_OIDC_ISSUER/);
  });
});
