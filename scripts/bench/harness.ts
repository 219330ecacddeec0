import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { MERIDIAN_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { allowEmulatorHosts } from '../../test/emulators/hosts';
import { developmentSecrets } from '../../startup/dev-secrets';
import { ensureTemporalCli } from '../temporal-cli';

/**
 * What every benchmark starts from: its own Temporal dev server (the CLI `npm start` uses), fresh
 * development secrets for the regions, and an environment with databases named for this run (so
 * a benchmark never touches `npm start`'s data) and a temporary data folder.
 */
export interface BenchDeployment {
  temporal: TestWorkflowEnvironment;
  env: NodeJS.ProcessEnv;
  dataDir: string;
}

export async function startBenchDeployment(
  name: string,
  regions: readonly string[] = ['eu', 'us', 'apac'],
  extraEnv: NodeJS.ProcessEnv = {},
  options: { emulators?: boolean } = {},
): Promise<BenchDeployment> {
  // Vendors are local emulators: the connectors' test-only host override lets their clients (here
  // and in the workers, which inherit the environment) call 127.0.0.1 over http.
  if (options.emulators) allowEmulatorHosts();
  const cli = await ensureTemporalCli({ progress: console.log });
  if (cli.kind !== 'binary') throw new Error('the benchmark needs the temporal CLI (npm run temporal:ensure)');
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      namespace: 'meridian',
      searchAttributes: [...MERIDIAN_SEARCH_ATTRIBUTES],
    },
  });
  const secrets = Object.fromEntries(
    Object.entries(developmentSecrets(['global', ...regions])).map(([k, make]) => [k, make()]),
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), `meridian-bench-${name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432',
    MERIDIAN_DB_SUFFIX: `bench_${name}_${Date.now().toString(36)}`,
    TEMPORAL_ADDRESS: temporal.address,
    MERIDIAN_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // The operator listener (codec) gets a port of its own, so a benchmark runs beside `npm start`.
    MERIDIAN_OPERATOR_PORT: String(50_000 + Math.floor(Math.random() * 10_000)),
    ...extraEnv,
  };
  return { temporal, env, dataDir };
}
