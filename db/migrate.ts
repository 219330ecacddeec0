import path from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { databaseName, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { drizzle } from 'drizzle-orm/postgres-js';
import { databaseUrl, openRegionalPool } from './connections';
import { dropRegionRoles } from './database-roles';

const MIGRATIONS = {
  global: path.join(__dirname, 'migrations', 'global'),
  regional: path.join(__dirname, 'migrations', 'regional'),
};

export interface MigrationReport {
  database: string;
  region: string;
  created: boolean;
}

/** Creates each region's database if it is missing. Names come from validated config only. */
export async function ensureDatabases(config: MeridianConfig): Promise<Map<string, boolean>> {
  const admin = postgres(databaseUrl(config.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} });
  const created = new Map<string, boolean>();
  try {
    for (const region of config.regions.regions) {
      const name = databaseName(config, region);
      const [existing] = await admin`select 1 from pg_database where datname = ${name}`;
      if (!existing) {
        try {
          await admin`create database ${admin(name)}`;
        } catch (error) {
          // Another process (a second worker starting at the same time) may have won the race.
          if ((error as { code?: string }).code !== '42P04') throw error;
        }
      }
      created.set(name, !existing);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return created;
}

/** Creates missing databases and applies drizzle-kit migrations to the global and every region database. */
export async function migrateAll(config: MeridianConfig): Promise<MigrationReport[]> {
  const created = await ensureDatabases(config);
  const reports: MigrationReport[] = [];
  for (const region of config.regions.regions) {
    const isGlobal = region.name === GLOBAL_REGION;
    const pool = openRegionalPool(config, region, { max: 1, applicationName: 'meridian-migrate', asOwner: true });
    try {
      await migrate(drizzle(pool.sql), { migrationsFolder: isGlobal ? MIGRATIONS.global : MIGRATIONS.regional });
    } finally {
      await pool.close();
    }
    reports.push({ database: pool.database, region: region.name, created: created.get(pool.database) ?? false });
  }
  return reports;
}

/** Drops every database (and region role) of this deployment. For tests only: it refuses without a suffix. */
export async function dropDatabases(config: MeridianConfig): Promise<void> {
  if (!config.databaseSuffix) throw new Error('dropDatabases refuses to drop databases without MERIDIAN_DB_SUFFIX set');
  const admin = postgres(databaseUrl(config.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    for (const region of config.regions.regions) {
      await admin`drop database if exists ${admin(databaseName(config, region))} with (force)`;
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  // The deployment's region roles, if it made them (roles belong to the server, not a database).
  await dropRegionRoles(config);
}
