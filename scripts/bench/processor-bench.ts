import { openGlobalPool, openRegionalPool } from '../../db/connections';
import { migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { developmentSecrets } from '../../startup/dev-secrets';

/**
 * What a processor-alone benchmark (no Temporal, no HTTP) starts from: fresh development secrets,
 * databases named for this run (`name` and the time) and migrated, and pools on the eu region and
 * the global database. The caller closes the pools and drops the databases.
 */
export async function processorBenchRegion(name: string) {
  const secrets = Object.fromEntries(
    Object.entries(developmentSecrets(['global', 'eu', 'us', 'apac'])).map(([k, make]) => [k, make()]),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432',
    MERIDIAN_DB_SUFFIX: `bench_${name}_${Date.now().toString(36)}`,
  };
  const config = loadConfig(env);
  await migrateAll(config);
  const eu = config.regions.regions.find((r) => r.name === 'eu')!;
  const global = config.regions.regions.find((r) => r.name === 'global')!;
  return { env, config, eu, pool: openRegionalPool(config, eu), globalPool: openGlobalPool(config, global) };
}
