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
import { describeCli, ensureTemporalCli } from '../../scripts/temporal-cli';
import { developmentSecrets } from '../../startup/dev-secrets';

/**
 * One real Temporal dev server (the `temporal` CLI, run through the SDK's `existing-path`
 * executable) and one payload key for the whole run; each test file makes its own uniquely
 * named databases (test/support/deployment.ts) on the real PostgreSQL, all dropped at the end.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    /** Secrets for the run (payload keys, identity key, admin token, region keys), as env vars. */
    secretsEnv: Record<string, string>;
    runSuffix: string;
    workflowBundle: string;
  }
}

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = await ensureTemporalCli({ progress: (line) => console.log(line) });
  if (cli.kind !== 'binary') {
    throw new Error(`integration tests need the temporal CLI: ${cli.reason}. Install Go or set TEMPORAL_CLI_PATH`);
  }
  console.log(describeCli(cli));

  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      namespace: 'meridian',
      searchAttributes: [...MERIDIAN_SEARCH_ATTRIBUTES],
    },
  });

  const tmp = mkdtempSync(path.join(tmpdir(), 'meridian-test-'));
  const workflowBundle = path.join(tmp, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundle);

  const runSuffix = `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', 'meridian');
  project.provide('secretsEnv', {
    ...Object.fromEntries(Object.entries(developmentSecrets(['global', 'eu', 'us', 'apac', 'cn'])).map(([name, make]) => [name, make()])),
    MERIDIAN_PAYLOAD_KEYS: `test1:${randomBytes(32).toString('base64')}`,
    MERIDIAN_PAYLOAD_KEY_ID: 'test1',
  });
  project.provide('runSuffix', runSuffix);
  project.provide('workflowBundle', workflowBundle);

  return async () => {
    await env.teardown();
    rmSync(tmp, { recursive: true, force: true });
    // Drop every database this run made, even those of a test file that crashed.
    const admin = postgres(databaseUrl(DATABASE_URL, 'postgres'), { max: 1, onnotice: () => {} });
    try {
      const rows = await admin`select datname from pg_database where datname like ${`%\\_${runSuffix}\\_%`}`;
      for (const { datname } of rows) await admin`drop database if exists ${admin(datname as string)} with (force)`;
    } finally {
      await admin.end();
    }
  };
}
