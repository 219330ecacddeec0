import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { databaseUrl } from '../../db/connections';
import { MERIDIAN_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { writeWorkflowBundle } from '../../temporal/workflow-bundle';
import { choosePostgres } from '../../scripts/embedded-postgres';
import { describeCli, ensureTemporalCli } from '../../scripts/temporal-cli';
import { ensureConsoleBuilt } from '../../scripts/console-build';
import { developmentSecrets } from '../../startup/dev-secrets';
import { freePort } from './ports';

/**
 * One real Temporal dev server (the `temporal` CLI, run through the SDK's `existing-path`
 * executable), one PostgreSQL server and one payload key for the whole run; each test file makes
 * its own uniquely named databases (test/support/deployment.ts), all dropped at the end.
 * PostgreSQL is chosen as `npm start` chooses it: DATABASE_URL, else the server on
 * 127.0.0.1:5432 (MERIDIAN_PG_PROBE_PORT moves the probe, to try the embedded path), else an
 * embedded server in a temporary folder, removed at the end.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    /** Secrets for the run (payload keys, identity key, admin token, region keys), as env vars. */
    secretsEnv: Record<string, string>;
    runSuffix: string;
    workflowBundle: string;
    /** The run's PostgreSQL server, as DATABASE_URL. */
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runSuffix = `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const pgLog = path.join(tmpdir(), `meridian-test-pg-${runSuffix}.log`);
  const pg = await choosePostgres({
    dataDir: path.join(tmpdir(), `meridian-test-pg-${runSuffix}`),
    port: await freePort(),
    ephemeral: true,
    detached: false,
    logFile: pgLog,
  });
  console.log(pg.line);
  const stopPostgres = async () => {
    await pg.stop();
    rmSync(pgLog, { force: true });
  };
  process.env.DATABASE_URL = pg.url;
  project.provide('databaseUrl', pg.url);

  let env: TestWorkflowEnvironment;
  const tmp = mkdtempSync(path.join(tmpdir(), 'meridian-test-'));
  try {
    const cli = await ensureTemporalCli({ progress: (line) => console.log(line) });
    console.log(describeCli(cli));
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        // Without a CLI and without Go, as `npm start` does: the SDK's own download (needs internet access).
        executable: cli.kind === 'binary' ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' },
        ip: '127.0.0.1',
        namespace: 'meridian',
        searchAttributes: [...MERIDIAN_SEARCH_ATTRIBUTES],
      },
    }).catch((error: Error) => {
      throw new Error(
        cli.kind === 'binary'
          ? `the Temporal dev server (${cli.path}) did not start: ${error.message.split('\n')[0]}`
          : `integration tests need the temporal CLI: ${cli.reason}, and the SDK's download failed (${error.message.split('\n')[0]}). ` +
              'Install Go (the tests build the CLI) or set TEMPORAL_CLI_PATH',
      );
    });
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    await stopPostgres();
    throw error;
  }

  const workflowBundle = path.join(tmp, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundle);
  // The console (test/browser/console.test.ts) is served from console/dist: built once, when out of date.
  console.log(`console ${await ensureConsoleBuilt()}`);

  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', 'meridian');
  project.provide('secretsEnv', {
    ...Object.fromEntries(
      Object.entries(developmentSecrets(['global', 'eu', 'us', 'apac', 'cn'])).map(([name, make]) => [name, make()]),
    ),
    MERIDIAN_PAYLOAD_KEYS: `test1:${randomBytes(32).toString('base64')}`,
    MERIDIAN_PAYLOAD_KEY_ID: 'test1',
  });
  project.provide('runSuffix', runSuffix);
  project.provide('workflowBundle', workflowBundle);

  return async () => {
    await env.teardown();
    rmSync(tmp, { recursive: true, force: true });
    // Drop every database this run made, even those of a test file that crashed (an embedded
    // server goes whole).
    const admin = postgres(databaseUrl(pg.url, 'postgres'), { max: 1, onnotice: () => {} });
    try {
      const rows = await admin`select datname from pg_database where datname like ${`%\\_${runSuffix}\\_%`}`;
      for (const { datname } of rows) await admin`drop database if exists ${admin(datname as string)} with (force)`;
      // …and the region roles (db/database-roles.ts) of this run.
      const roles = await admin`select rolname from pg_roles where rolname like ${`meridian\\_%\\_${runSuffix}\\_%`}`;
      for (const { rolname } of roles) await admin`drop role if exists ${admin(rolname as string)}`;
    } finally {
      await admin.end();
      await stopPostgres();
    }
  };
}
