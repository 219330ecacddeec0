import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openGlobalPool } from '../../db/connections';
import { createSource, listSources } from '../../db/sources';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { answers, choosePostgres } from '../../scripts/embedded-postgres';
import { freePort } from '../support/ports';

/**
 * Which PostgreSQL `npm start` and `npm test` use (scripts/embedded-postgres.ts, called by both):
 * the embedded server where nothing answers (probed on a free port, so the machine's own server
 * keeps running for everyone else), and a server that answers used as it is.
 */

const folders: string[] = [];
// Directly in the temp folder: as root the server runs as OS user postgres, which must enter it.
const folder = () => {
  const dir = path.join(tmpdir(), `meridian-pg-test-${Date.now().toString(36)}-${folders.length}`);
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const secrets = inject('secretsEnv');

describe('the embedded PostgreSQL', () => {
  it('starts where nothing answers, takes Meridian’s migrations and data, keeps them across restarts, and stops', async () => {
    const probe = { host: '127.0.0.1', port: await freePort() };
    const dataDir = folder();
    const pg = await choosePostgres({ env: {}, probe, dataDir, detached: false });
    expect(pg.kind).toBe('embedded');
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${probe.port}`);
    expect(pg.line).toBe(
      `PostgreSQL: embedded 18.4 on 127.0.0.1:${probe.port}, data in ${dataDir} ` +
        `(nothing answers on 127.0.0.1:${probe.port} and DATABASE_URL is not set)`,
    );
    expect(readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim()).toBe('18');

    const config = loadConfig({
      ...secrets,
      DATABASE_URL: pg.url,
      MERIDIAN_DB_SUFFIX: `${inject('runSuffix')}_embedded`,
    });
    try {
      const reports = await migrateAll(config);
      expect(reports.map((r) => r.created)).toEqual([true, true, true, true]);
      let global = openGlobalPool(config, config.regions.region(GLOBAL_REGION), { max: 1 });
      await createSource(global.db, { name: 'Embedded shop', region: 'eu', kind: 'server' });
      expect((await listSources(global.db)).map((s) => s.name)).toEqual(['Embedded shop']);
      await global.close();

      await pg.stop();
      expect(await answers(probe.host, probe.port)).toBe(false);

      // npm start again: the same folder, no new initdb, the data still there.
      const again = await choosePostgres({ env: {}, probe, dataDir, detached: false });
      try {
        expect(again.kind).toBe('embedded');
        expect((await migrateAll(config)).map((r) => r.created)).toEqual([false, false, false, false]);
        global = openGlobalPool(config, config.regions.region(GLOBAL_REGION), { max: 1 });
        expect((await listSources(global.db)).map((s) => s.name)).toEqual(['Embedded shop']);
        await global.close();
        await dropDatabases(config);
      } finally {
        await again.stop();
      }
    } finally {
      await pg.stop();
    }
    expect(await answers(probe.host, probe.port)).toBe(false);
  }, 120_000);

  it('removes a temporary (test) server’s folder when it stops', async () => {
    const probe = { host: '127.0.0.1', port: await freePort() };
    const dataDir = folder();
    const pg = await choosePostgres({ env: {}, probe, dataDir, ephemeral: true, detached: false });
    expect(pg.line).toContain('data in a temporary folder');
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    await pg.stop();
    expect(existsSync(dataDir)).toBe(false);
    expect(await answers(probe.host, probe.port)).toBe(false);
  }, 60_000);

  it('says what is wrong with a data folder it cannot use, and leaves the folder alone', async () => {
    const dataDir = folder();
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'not a database');
    const logFile = `${dataDir}.log`;
    folders.push(logFile);
    await expect(
      choosePostgres({
        env: {},
        probe: { host: '127.0.0.1', port: await freePort() },
        dataDir,
        detached: false,
        logFile,
      }),
    ).rejects.toThrow(
      new RegExp(
        `^could not set up the embedded PostgreSQL in ${dataDir}.*: .*directory "${dataDir}" exists but is not empty`,
      ),
    );
    expect(readFileSync(path.join(dataDir, 'notes.txt'), 'utf8')).toBe('not a database');
  }, 60_000);
});

describe('a PostgreSQL server already running', () => {
  it('is used as it is when it answers: nothing is started or made', async () => {
    // The run's own server answers (the machine's, or the run's embedded one).
    const running = new URL(inject('databaseUrl'));
    const dataDir = folder();
    const pg = await choosePostgres({
      env: {},
      probe: { host: running.hostname, port: Number(running.port) },
      dataDir,
    });
    expect(pg).toMatchObject({ kind: 'running', url: `postgres://postgres@${running.hostname}:${running.port}` });
    expect(pg.line).toBe(`PostgreSQL: the server on ${running.hostname}:${running.port}`);
    expect(existsSync(dataDir)).toBe(false);
    await pg.stop(); // nothing to stop: the server is not ours
    expect(await answers(running.hostname, Number(running.port))).toBe(true);
  });

  it('is the one DATABASE_URL names, without probing', async () => {
    const dataDir = folder();
    const pg = await choosePostgres({
      env: { DATABASE_URL: 'postgres://meridian:secret@db.internal:6432' },
      probe: { host: '127.0.0.1', port: await freePort() },
      dataDir,
    });
    expect(pg).toMatchObject({
      kind: 'configured',
      url: 'postgres://meridian:secret@db.internal:6432',
      line: 'PostgreSQL: DATABASE_URL (db.internal:6432)',
    });
    expect(existsSync(dataDir)).toBe(false);
  });
});
