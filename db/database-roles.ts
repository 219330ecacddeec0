import postgres, { Sql } from 'postgres';
import { databaseName, databaseRoleName, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION, Region } from '../domain/regions';
import { databaseUrl } from './connections';

/**
 * One PostgreSQL role per region (global included), each able to reach only its own database
 * (DESIGN.md, rule 1, enforced by the database as well as by the code): `meridian_eu` may connect
 * to `cdp_eu` and nothing else, `meridian_global` to `cdp_global`. Least privilege: no superuser,
 * no CREATEDB or CREATEROLE, no schema changes (migrations run as the owner, DATABASE_URL), only
 * reading and writing the tables. A region's worker is given its own role and the global one
 * (DATABASE_URL_EU, DATABASE_URL_GLOBAL), so a compromised eu worker cannot open cdp_us at all.
 *
 * Run by `npm run migrate` with MERIDIAN_DB_ROLES=1, after the migrations; idempotent, so each
 * run also grants on tables that new migrations made, and puts the roles back to least privilege
 * if someone widened them. Passwords come from MERIDIAN_DB_PASSWORD_<REGION> (required with
 * NODE_ENV=production); without one, a role logs in only where pg_hba trusts it.
 */

export class DatabaseRolesError extends Error {
  override name = 'DatabaseRolesError';
}

export interface RoleReport {
  region: string;
  role: string;
  database: string;
  passwordSet: boolean;
}

const LEAST_PRIVILEGE = 'login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls';

/**
 * Runs a utility statement (CREATE ROLE, GRANT …: no bind parameters there) built by PostgreSQL's
 * format(), which quotes each identifier (`%I`). The identifiers come from validated config anyway.
 */
async function run(sql: Sql, template: string, first: string, second?: string): Promise<void> {
  const [row] =
    second === undefined
      ? await sql<{ statement: string }[]>`select format(${template}::text, ${first}::text) as statement`
      : await sql<
          { statement: string }[]
        >`select format(${template}::text, ${first}::text, ${second}::text) as statement`;
  await sql.unsafe(row!.statement);
}

async function ensureRole(admin: Sql, role: string, password: string | undefined): Promise<void> {
  const [existing] = await admin`select 1 from pg_roles where rolname = ${role}`;
  if (!existing) {
    try {
      await run(admin, `create role %I ${LEAST_PRIVILEGE}`, role);
    } catch (error) {
      // Another migrate run may have made it first.
      if ((error as { code?: string }).code !== '42710') throw error;
    }
  }
  await run(admin, `alter role %I ${LEAST_PRIVILEGE}`, role);
  if (password !== undefined) {
    // The password goes through format('%L'), quoted by PostgreSQL, never spliced by us.
    const [row] = await admin<
      { statement: string }[]
    >`select format('alter role %I password %L', ${role}::text, ${password}::text) as statement`;
    await admin.unsafe(row!.statement);
  }
}

/** Grants inside one database: the tables and sequences of schema public, now and later. */
async function grantInDatabase(sql: Sql, role: string, regional: boolean): Promise<void> {
  await sql.unsafe('revoke create on schema public from public');
  await run(sql, 'grant usage on schema public to %I', role);
  await run(sql, 'grant select, insert, update, delete on all tables in schema public to %I', role);
  await run(sql, 'grant usage, select, update on all sequences in schema public to %I', role);
  // Tables later migrations make (as this same owner) are granted as they are created.
  await run(
    sql,
    'alter default privileges in schema public grant select, insert, update, delete on tables to %I',
    role,
  );
  await run(sql, 'alter default privileges in schema public grant usage, select, update on sequences to %I', role);
  if (regional) {
    // The ingest writer makes each month's partition of the event log on demand. Creating a
    // table needs rights the role must not have, so the function runs as its owner, with a
    // fixed search_path, and only this role may call it.
    await sql.unsafe(
      'alter function meridian_ensure_events_partition(date) security definer set search_path = public, pg_temp',
    );
    await sql.unsafe('revoke execute on function meridian_ensure_events_partition(date) from public');
    await run(sql, 'grant execute on function meridian_ensure_events_partition(date) to %I', role);
    // The personal-data access audit is append-only: the app may read it and add to it, no more
    // (a trigger refuses changes for every role too: migration 0020_personal_data_access_audit).
    await run(sql, 'revoke update, delete, truncate on personal_data_access_audit from %I', role);
  }
}

export async function ensureRegionRoles(config: MeridianConfig): Promise<RoleReport[]> {
  const regions = config.regions.regions;
  const passwords = new Map<string, string | undefined>();
  for (const region of regions) {
    const variable = `MERIDIAN_DB_PASSWORD_${region.name.toUpperCase()}`;
    const password = config.env[variable] || undefined;
    if (!password && config.env.NODE_ENV === 'production') {
      throw new DatabaseRolesError(
        `${variable} is not set: each region's database role needs a password in production (make one with: openssl rand -base64 24)`,
      );
    }
    passwords.set(region.name, password);
  }

  const roleOf = (region: Region) => databaseRoleName(config, region);
  const admin = postgres(databaseUrl(config.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    for (const region of regions) await ensureRole(admin, roleOf(region), passwords.get(region.name));
    // Only its own role may connect to a region's database: PUBLIC (every role) loses CONNECT,
    // and so does every other region's role, should it ever have been granted.
    for (const region of regions) {
      const database = databaseName(config, region);
      await run(admin, 'revoke all on database %I from public', database);
      for (const other of regions)
        if (other !== region) await run(admin, 'revoke all on database %I from %I', database, roleOf(other));
      await run(admin, 'grant connect on database %I to %I', database, roleOf(region));
    }
  } finally {
    await admin.end({ timeout: 5 });
  }

  for (const region of regions) {
    const sql = postgres(databaseUrl(config.databaseUrl, databaseName(config, region)), { max: 1, onnotice: () => {} });
    try {
      await grantInDatabase(sql, roleOf(region), region.name !== GLOBAL_REGION);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  return regions.map((region) => ({
    region: region.name,
    role: roleOf(region),
    database: databaseName(config, region),
    passwordSet: passwords.get(region.name) !== undefined,
  }));
}

/** Drops the roles of a test deployment (after its databases). Refuses without MERIDIAN_DB_SUFFIX. */
export async function dropRegionRoles(config: MeridianConfig): Promise<void> {
  if (!config.databaseSuffix) throw new Error('dropRegionRoles refuses to drop roles without MERIDIAN_DB_SUFFIX set');
  const admin = postgres(databaseUrl(config.databaseUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    for (const region of config.regions.regions)
      await run(admin, 'drop role if exists %I', databaseRoleName(config, region));
  } finally {
    await admin.end({ timeout: 5 });
  }
}
