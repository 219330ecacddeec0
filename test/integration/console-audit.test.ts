import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseUrl } from '../../db/connections';
import { databaseName, databaseRoleName } from '../../domain/config';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { bearerCaller } from '../support/admin-api';
import { createConsoleUser, signIn } from '../support/console';
import { createTestDeployment, runEntryPoint, TestDeployment, waitForExit } from '../support/deployment';

/**
 * The personal-data access audit (issue 13): a view is recorded in each region whose personal
 * values were shown, and only there; exports and setting changes are recorded; the audit is
 * append-only in the database, for the app's own role too; only audit.read reads it, per region.
 */

const PASSWORD = 'correct horse battery staple';

describe('console audit of personal data access', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  const call = bearerCaller(() => base);
  const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);
  const passwords = { apac: randomBytes(18).toString('hex') };
  const ids = {} as { hana: string; gus: string; ana: string; pia: string };
  let customer: string;

  const asUser = async (
    session: { cookie: string; csrfToken: string },
    method: string,
    url: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, text, body: parsed, headers: res.headers };
  };
  const auditOf = (region: string) =>
    d.regional(region).sql<
      {
        actor: string;
        action: string;
        customer_id: string | null;
        fields: string[];
        route: string;
        reason: string | null;
      }[]
    >`
      select actor, action, customer_id, fields, route, reason from personal_data_access_audit order by id`;

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('consoleaudit');
    // The app's roles, as production has them (MERIDIAN_DB_ROLES=1).
    const migrate = runEntryPoint('scripts/migrate.ts', [], {
      ...process.env,
      ...d.env,
      MERIDIAN_DB_ROLES: '1',
      MERIDIAN_DB_PASSWORD_APAC: passwords.apac,
    });
    const { code, output } = await waitForExit(migrate);
    expect(code, output).toBe(0);
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const g = d.global().sql;
    ids.hana = (
      await createConsoleUser(g, {
        email: 'hana@example.com',
        password: PASSWORD,
        role: 'market_marketer',
        regions: ['apac'],
      })
    ).id;
    ids.gus = (await createConsoleUser(g, { email: 'gus@example.com', password: PASSWORD, role: 'group_admin' })).id;
    ids.ana = (await createConsoleUser(g, { email: 'ana@example.com', password: PASSWORD, role: 'analyst' })).id;
    ids.pia = (
      await createConsoleUser(g, {
        email: 'pia@example.com',
        password: PASSWORD,
        role: 'privacy_officer',
        regions: ['apac'],
      })
    ).id;

    // One person with a part in apac and a part in eu (the same email seen by a shop in each).
    for (const region of ['apac', 'eu']) {
      const source = await admin('POST', '/admin/sources', { name: `${region} shop`, region, kind: 'server' });
      expect(source.status, source.text).toBe(201);
      const sent = await fetch(`${base}/v1/identify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${source.body.writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId: `mei-${region}`, traits: { email: 'mei@example.sg', firstName: 'Mei' } }),
      });
      expect(sent.status).toBe(200);
    }
    const [row] = await g<{ customer_id: string; regions: string[] }[]>`select customer_id, regions from customers`;
    customer = row!.customer_id;
    expect([...row!.regions].sort()).toEqual(['apac', 'eu']);
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it("records a market marketer's view of a profile in apac's audit only", async () => {
    const before = { eu: (await auditOf('eu')).length, us: (await auditOf('us')).length };
    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    const view = await asUser(hana, 'GET', `/admin/profiles/${customer}`, undefined, {
      'x-access-reason': 'customer called about an order',
    });
    expect(view.status, view.text).toBe(200);
    const parts = Object.fromEntries(view.body.regions.map((p: any) => [p.region, p.personalData]));
    expect(parts).toEqual({ apac: 'shown', eu: 'withheld' });

    const apac = (await auditOf('apac')).filter((e) => e.actor === `user:${ids.hana}`);
    expect(apac).toEqual([
      {
        actor: `user:${ids.hana}`,
        action: 'profile.view',
        customer_id: customer,
        fields: expect.arrayContaining(['identity.email', 'trait.firstName']),
        route: 'GET /admin/profiles/:customerId',
        reason: 'customer called about an order',
      },
    ]);
    // No value in the audit, only names.
    expect(JSON.stringify(apac)).not.toContain('mei@example.sg');
    expect((await auditOf('eu')).length).toBe(before.eu);
    expect((await auditOf('us')).length).toBe(before.us);
  });

  it('records a lookup in every region whose values were shown, with the reason from the body', async () => {
    const gus = await signIn(base, 'gus@example.com', PASSWORD);
    const lookup = await asUser(gus, 'POST', '/admin/profiles/lookup', {
      type: 'email',
      value: 'mei@example.sg',
      reason: 'access request 42',
    });
    expect(lookup.status, lookup.text).toBe(200);
    for (const region of ['apac', 'eu']) {
      const mine = (await auditOf(region)).filter((e) => e.actor === `user:${ids.gus}`);
      expect(mine.map((e) => `${e.action}:${e.customer_id}:${e.reason}`)).toEqual([
        `profile.lookup:${customer}:access request 42`,
      ]);
    }
    expect((await auditOf('us')).filter((e) => e.actor === `user:${ids.gus}`)).toEqual([]);
  });

  it('records nothing for an analyst, who sees no personal values', async () => {
    const ana = await signIn(base, 'ana@example.com', PASSWORD);
    const view = await asUser(ana, 'GET', `/admin/profiles/${customer}`);
    expect(view.status).toBe(200);
    expect(view.text).not.toContain('mei@example.sg');
    for (const region of ['apac', 'eu', 'us'])
      expect((await auditOf(region)).filter((e) => e.actor === `user:${ids.ana}`)).toEqual([]);
  });

  it('records setting changes (no values) and segment member exports in the regions acted in', async () => {
    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    const segment = await asUser(hana, 'POST', '/admin/segments', {
      name: 'Singapore first-timers',
      owner: 'apac',
      definition: { type: 'order', count: { atLeast: 1 } },
    });
    expect(segment.status, segment.text).toBe(201);
    const members = await asUser(hana, 'GET', `/admin/segments/${segment.body.segment.id}/members`);
    expect(members.status, members.text).toBe(200);
    const apac = (await auditOf('apac')).filter((e) => e.actor === `user:${ids.hana}`);
    expect(apac.map((e) => `${e.action} ${e.route}`)).toEqual([
      'profile.view GET /admin/profiles/:customerId',
      'setting.change POST /admin/segments',
      'export.segment-members GET /admin/segments/:id/members',
    ]);
    expect(JSON.stringify(apac)).not.toContain('Singapore');
    expect((await auditOf('eu')).filter((e) => e.actor === `user:${ids.hana}`)).toEqual([]);
    // A refused change is not a change.
    const refused = await asUser(hana, 'POST', '/admin/segments', {
      name: 'x',
      owner: 'eu',
      definition: { type: 'order', count: { atLeast: 1 } },
    });
    expect(refused.status).toBe(403);
    expect((await auditOf('apac')).filter((e) => e.actor === `user:${ids.hana}`)).toHaveLength(3);
  });

  it('is append-only in the database, for the owner and for the app role', async () => {
    const owner = d.regional('apac').sql;
    for (const statement of [
      'update personal_data_access_audit set reason = null',
      'delete from personal_data_access_audit',
      'truncate personal_data_access_audit',
    ])
      await expect(owner.unsafe(statement), statement).rejects.toThrow(/append-only/);

    const url = new URL(d.env.DATABASE_URL!);
    url.username = databaseRoleName(d.config, d.config.regions.region('apac'));
    url.password = passwords.apac;
    const app = postgres(
      databaseUrl(url.toString().replace(/\/$/, ''), databaseName(d.config, d.config.regions.region('apac'))),
      {
        max: 1,
        onnotice: () => {},
      },
    );
    try {
      await app`insert into personal_data_access_audit (actor, actor_role, action, route) values ('test', 'test', 'setting.change', 'TEST')`;
      for (const statement of [
        'update personal_data_access_audit set reason = null',
        'delete from personal_data_access_audit',
        'truncate personal_data_access_audit',
      ])
        await expect(app.unsafe(statement), statement).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end({ timeout: 1 });
    }
    expect((await auditOf('apac')).length).toBeGreaterThan(3);
  });

  it('is read with audit.read, one region at a time within the scope, as JSON pages or CSV', async () => {
    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    const refused = await asUser(hana, 'GET', '/admin/audit?region=apac');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/audit\.read/);

    const pia = await signIn(base, 'pia@example.com', PASSWORD);
    expect((await asUser(pia, 'GET', '/admin/audit?region=eu')).status).toBe(403);
    const page1 = await asUser(pia, 'GET', `/admin/audit?customerId=${customer}&limit=1`);
    expect(page1.status, page1.text).toBe(200);
    expect(page1.body.region).toBe('apac');
    expect(page1.body.entries).toHaveLength(1);
    expect(page1.body.entries[0]).toMatchObject({
      action: 'profile.lookup',
      actor: `user:${ids.gus}`,
      actorRole: 'group_admin',
    });
    const page2 = await asUser(
      pia,
      'GET',
      `/admin/audit?customerId=${customer}&limit=1&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.entries[0]).toMatchObject({ action: 'profile.view', actor: `user:${ids.hana}` });
    const today = new Date().toISOString().slice(0, 10);
    const none = await asUser(pia, 'GET', `/admin/audit?from=2020-01-01&to=2020-12-31`);
    expect(none.body.entries, none.text).toEqual([]);
    const csv = await asUser(pia, 'GET', `/admin/audit?from=${today}&to=${today}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,actorRole,action,customerId,fields,route,reason');
    expect(lines.some((l) => l.includes(`user:${ids.hana}`) && l.includes('profile.view'))).toBe(true);
    expect((await asUser(pia, 'GET', '/admin/audit?from=yesterday')).status).toBe(400);
  });
});
