import { describePostgresError } from '../db/connections';
import { migrateAll } from '../db/migrate';
import { loadConfig } from '../domain/config';
import { exitWithError } from '../startup/fatal';
import { loadDevSecrets } from '../startup/dev-secrets';

/** `npm run migrate`: creates missing databases (global + one per region) and migrates them all. */
async function main(): Promise<void> {
  loadDevSecrets({ create: true });
  const config = loadConfig();
  const reports = await migrateAll(config).catch((error) => {
    throw new Error(describePostgresError(error, config.databaseUrl));
  });
  for (const r of reports) console.log(`${r.database.padEnd(24)} ${r.created ? 'created and migrated' : 'migrated'} (region ${r.region})`);
}

main().catch((error) => exitWithError('migrate', error));
