import { describePostgresError } from '../db/connections';
import { ensureRegionRoles } from '../db/database-roles';
import { migrateAll } from '../db/migrate';
import { loadConfig } from '../domain/config';
import { exitWithError } from '../startup/fatal';
import { loadDevSecrets } from '../startup/dev-secrets';

/**
 * `npm run migrate`: creates missing databases (global + one per region) and migrates them all, as
 * the owner in DATABASE_URL; with MERIDIAN_DB_ROLES=1 it then makes each region's own role.
 */
async function main(): Promise<void> {
  loadDevSecrets({ create: true });
  const config = loadConfig();
  const reports = await migrateAll(config).catch((error) => {
    throw new Error(describePostgresError(error, config.databaseUrl));
  });
  for (const r of reports)
    console.log(`${r.database.padEnd(24)} ${r.created ? 'created and migrated' : 'migrated'} (region ${r.region})`);
  if (config.databaseRoles) {
    const roles = await ensureRegionRoles(config).catch((error) => {
      throw new Error(
        (error as { code?: string }).code ? describePostgresError(error, config.databaseUrl) : (error as Error).message,
      );
    });
    for (const r of roles) {
      console.log(
        `role ${r.role.padEnd(19)} may connect to ${r.database} only${r.passwordSet ? '' : ' (no password set: MERIDIAN_DB_PASSWORD_' + r.region.toUpperCase() + ')'}`,
      );
    }
  }
}

main().catch((error) => exitWithError('migrate', error));
