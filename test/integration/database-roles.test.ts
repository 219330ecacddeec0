import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../db/connections';
import { databaseName, databaseRoleName, loadConfig } from '../../domain/config';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { createTestDeployment, runEntryPoint, TestDeployment, waitForExit } from '../support/deployment';

/**
 * `npm run migrate` with MERIDIAN_DB_ROLES=1 on the real PostgreSQL: one least-privilege role per
 * region, each able to open only its own database; the eu worker runs on the eu and global roles.
 */
describe('database roles per region', () => {
  let d: TestDeployment;
  let web: MeridianWeb | undefined;
  const role = (region: string) => databaseRoleName(d.config, d.config.regions.region(region));
  const db = (region: string) => databaseName(d.config, d.config.regions.region(region));
  /** Each role's password, as a deployment gives them (MERIDIAN_DB_PASSWORD_<REGION>). */
  const passwords = Object.fromEntries(['global', 'eu', 'us', 'apac'].map((r) => [r, randomBytes(18).toString('hex')]));
  /** DATABASE_URL with the region's role and password. */
  const roleUrl = (region: string) => {
    const url = new URL(d.env.DATABASE_URL!);
    url.username = role(region);
    url.password = passwords[region]!;
    return url.toString().replace(/\/$/, '');
  };
  const connectAs = (region: string, database: string) =>
    postgres(databaseUrl(roleUrl(region), database), { max: 1, onnotice: () => {} });
  const errorOf = async (
    sql: postgres.Sql,
    statement: string,
  ): Promise<{ code?: string; message: string } | undefined> => {
    try {
      await sql.unsafe(statement);
      return undefined;
    } catch (error) {
      return error as { code?: string; message: string };
    } finally {
      await sql.end({ timeout: 1 });
    }
  };

  beforeAll(async () => {
    d = await createTestDeployment('dbroles');
    const rolePasswords = Object.fromEntries(
      Object.entries(passwords).map(([r, pw]) => [`MERIDIAN_DB_PASSWORD_${r.toUpperCase()}`, pw]),
    );
    const migrate = runEntryPoint('scripts/migrate.ts', [], {
      ...process.env,
      ...d.env,
      MERIDIAN_DB_ROLES: '1',
      ...rolePasswords,
    });
    const { code, output } = await waitForExit(migrate);
    expect(code, output).toBe(0);
    for (const region of ['global', 'eu', 'us', 'apac']) expect(output).toContain(`role ${role(region)}`);
  });
  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it('makes least-privilege roles: no superuser, no CREATEDB, no CREATEROLE', async () => {
    const rows = await d.global().sql<
      {
        rolname: string;
        rolsuper: boolean;
        rolcreatedb: boolean;
        rolcreaterole: boolean;
        rolbypassrls: boolean;
        rolcanlogin: boolean;
      }[]
    >`
      select rolname, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolcanlogin from pg_roles where rolname = any(${['global', 'eu', 'us', 'apac'].map(role)})`;
    expect(rows).toHaveLength(4);
    for (const r of rows)
      expect(r).toMatchObject({
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolbypassrls: false,
        rolcanlogin: true,
      });
  });

  it('a stolen eu database credential cannot open the us database, nor the global one, nor read their tables', async () => {
    for (const other of ['us', 'apac', 'global']) {
      const error = await errorOf(connectAs('eu', db(other)), 'select count(*) from pg_class');
      expect(error?.code, `${role('eu')} → ${db(other)}`).toBe('42501');
      expect(error?.message).toMatch(/permission denied for database/);
    }
    // The global role, which every regional worker holds, opens no region's database either.
    for (const region of ['eu', 'us', 'apac']) {
      expect((await errorOf(connectAs('global', db(region)), 'select 1'))?.code).toBe('42501');
    }
    // In its own database the eu role reads and writes the tables, and changes no schema.
    expect(await errorOf(connectAs('eu', db('eu')), 'select count(*) from profiles')).toBeUndefined();
    expect((await errorOf(connectAs('eu', db('eu')), 'create table stolen (x text)'))?.code).toBe('42501');
    expect((await errorOf(connectAs('eu', db('eu')), 'drop table profiles'))?.code).toBe('42501');
    expect((await errorOf(connectAs('eu', db('eu')), `create database grabbed_${d.config.databaseSuffix}`))?.code).toBe(
      '42501',
    );
  });

  it('the eu worker still works on its own role and the global one', async () => {
    const workerEnv = { DATABASE_URL: roleUrl('eu'), DATABASE_URL_GLOBAL: roleUrl('global') };
    await d.startWorkers(['eu'], workerEnv);
    await d.startWorkers(['global'], { DATABASE_URL: roleUrl('global') });
    const handle = await startRegionHealth(d.client, d.config, { regions: ['eu'], samples: 2 });
    const result = await handle.result();
    expect(result.regions.map((r) => r.region)).toEqual(['eu']);
    // The worker's sessions are the region's roles, nothing wider.
    const sessions = await d.global().sql<{ usename: string; datname: string }[]>`
      select distinct usename, datname from pg_stat_activity
      where application_name = 'meridian-worker-eu' and datname = any(${['global', 'eu', 'us', 'apac'].map(db)})`;
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions)
      expect([`${role('eu')}@${db('eu')}`, `${role('global')}@${db('global')}`]).toContain(`${s.usename}@${s.datname}`);
  });

  it('ingestion writes through the region roles, the month partition of the event log included', async () => {
    const roles = Object.fromEntries(
      ['global', 'eu', 'us', 'apac'].map((r) => [`DATABASE_URL_${r.toUpperCase()}`, roleUrl(r)]),
    );
    const config = loadConfig({ ...d.env, ...roles });
    web = await createMeridianWeb(config, d.client, { poolSize: 2 });
    const base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const token = config.adminTokens[0]!.token;
    const created = await fetch(`${base}/admin/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Berlin shop', region: 'eu', kind: 'server' }),
    });
    const { writeKey } = (await created.json()) as { writeKey: string };
    const partitionsBefore = await d.regional('eu')
      .sql`select count(*)::int as n from pg_inherits where inhparent = 'events'::regclass`;
    const sent = await fetch(`${base}/v1/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ userId: 'role-user-1', event: 'Viewed' }),
    });
    expect(sent.status, await sent.clone().text()).toBe(200);
    const [row] = await d.regional('eu').sql`select count(*)::int as n from events`;
    expect(row!.n).toBe(1);
    // The event's month had no partition: the owner's function made it on the role's behalf.
    const partitionsAfter = await d.regional('eu')
      .sql`select count(*)::int as n from pg_inherits where inhparent = 'events'::regclass`;
    expect(partitionsAfter[0]!.n).toBeGreaterThan(partitionsBefore[0]!.n);
    // Readiness reaches every database through its own role too.
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const detailed = await web.operator.inject({
      method: 'GET',
      url: '/ready',
      headers: { authorization: `Bearer ${config.operator.tokens[0]}` },
    });
    // Each region's database answers through its role, and a data region's intake log (read through the same role) is drained.
    for (const r of detailed.json().regions)
      expect(r.database).toEqual(
        r.region === 'global' ? { ok: true } : { ok: true, intake: expect.objectContaining({ requests: 0, calls: 0 }) },
      );
  });
});
