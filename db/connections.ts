import { drizzle, PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { Sql } from 'postgres';
import { databaseName, DatabaseTimeouts, MeridianConfig } from '../domain/config';
import type { Region } from '../domain/regions';
import * as globalSchema from './schema/global';
import * as regionalSchema from './schema/regional';

export type GlobalDb = PostgresJsDatabase<typeof globalSchema>;
export type RegionalDb = PostgresJsDatabase<typeof regionalSchema>;

/** A connection pool to one region's database, and nothing else (DESIGN.md, rule 1). */
export interface RegionPool<Db> {
  region: string;
  database: string;
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export interface PoolOptions {
  max?: number;
  /** Shown in pg_stat_activity, so a DBA can tell which process holds a connection. */
  applicationName?: string;
  /** Seconds to wait for a connection to be ready before giving up; default the config's (MERIDIAN_DB_CONNECT_TIMEOUT_SECONDS). */
  connectTimeoutSeconds?: number;
  /** Server-side limit on every statement of the pool's sessions, in ms; default the config's (MERIDIAN_DB_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /**
   * Connect as the databases' owner (DATABASE_URL) rather than the region's own role
   * (DATABASE_URL_<REGION>): for migrations and setup only.
   */
  asOwner?: boolean;
}

/** Where a pool connects (the server, each region's user) and how its sessions time out. */
export type PoolTarget = Pick<MeridianConfig, 'databaseUrl' | 'databaseSuffix'> &
  Partial<Pick<MeridianConfig, 'databaseUrls' | 'databaseTimeouts'>>;

/** The server URL (with the user) a region's pools connect with. */
export function regionServerUrl(
  config: Pick<PoolTarget, 'databaseUrl' | 'databaseUrls'>,
  region: string,
  options: Pick<PoolOptions, 'asOwner'> = {},
): string {
  return options.asOwner ? config.databaseUrl : (config.databaseUrls?.[region] ?? config.databaseUrl);
}

/** The URL of the named database on the server that DATABASE_URL points at. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** When the config gives none (a script's partial config): the same defaults as MERIDIAN_DB_* in domain/config.ts. */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  statementMs: 60_000,
  idleInTransactionMs: 30_000,
  connectSeconds: 10,
};

/**
 * Every pool's sessions carry statement_timeout and idle_in_transaction_session_timeout, and connecting
 * gives up after connect_timeout: a stuck query, or a transaction someone left open across a slow
 * call, is ended by the server instead of holding a pool slot until every activity of the region waits.
 * A pool may ask for shorter limits (readiness checks do).
 */
function openSql(config: PoolTarget, region: Region, options: PoolOptions): Sql {
  const timeouts = config.databaseTimeouts ?? DEFAULT_DATABASE_TIMEOUTS;
  const sql = postgres(databaseUrl(regionServerUrl(config, region.name, options), databaseName(config, region)), {
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: options.connectTimeoutSeconds ?? timeouts.connectSeconds,
    connection: {
      application_name: options.applicationName ?? 'meridian',
      statement_timeout: options.statementTimeoutMs ?? timeouts.statementMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
      // postgres.js prepares every statement; after five runs PostgreSQL may switch a statement to
      // a generic plan, blind to its parameters. For audience queries over a list of customer IDs
      // that plan can be 500× slower (a segment of 2,500 candidates: 30 ms planned for its list,
      // 15–25 s generic). Planning each run costs little next to that risk.
      plan_cache_mode: 'force_custom_plan',
    },
  });
  passTextThrough(sql);
  return sql;
}

/**
 * JSON and date-time values pass through as text, both ways, on every pool: what drizzle sets on
 * the pools it wraps (drizzle-orm/postgres-js), set here too so a pool used without drizzle
 * behaves the same. Without it `${JSON.stringify(v)}::jsonb` would be encoded twice (a jsonb
 * string holding the JSON text) and timestamps would come back as Date instead of text.
 */
function passTextThrough(sql: Sql): void {
  const same = (value: unknown) => value;
  const options = sql.options as unknown as {
    parsers: Record<string, (value: unknown) => unknown>;
    serializers: Record<string, (value: unknown) => unknown>;
  };
  for (const type of ['1184', '1082', '1083', '1114', '1182', '1185', '1115', '1231']) {
    options.parsers[type] = same;
    options.serializers[type] = same;
  }
  options.serializers['114'] = same;
  options.serializers['3802'] = same;
}

/** A bare connection pool to a region's database (global included), for checks that need no schema. */
export function openRegionSql(config: PoolTarget, region: Region, options: PoolOptions = {}): Sql {
  return openSql(config, region, options);
}

export function openRegionalPool(
  config: PoolTarget,
  region: Region,
  options: PoolOptions = {},
): RegionPool<RegionalDb> {
  const database = databaseName(config, region);
  const sql = openRegionSql(config, region, options);
  return {
    region: region.name,
    database,
    sql,
    db: drizzle(sql, { schema: regionalSchema }),
    close: () => sql.end({ timeout: 5 }),
  };
}

export function openGlobalPool(config: PoolTarget, region: Region, options: PoolOptions = {}): RegionPool<GlobalDb> {
  const database = databaseName(config, region);
  const sql = openRegionSql(config, region, options);
  return {
    region: region.name,
    database,
    sql,
    db: drizzle(sql, { schema: globalSchema }),
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Turns a driver error into one line that says what is wrong and what to do. Used by every
 * entry point before it gives up.
 */
export function describePostgresError(error: unknown, serverUrl: string): string {
  const url = new URL(serverUrl);
  const where = `${url.hostname}:${url.port || 5432}`;
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `PostgreSQL is not running at ${where} (connection refused): start it, e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set DATABASE_URL`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `PostgreSQL host "${url.hostname}" in DATABASE_URL cannot be resolved: check DATABASE_URL`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return `PostgreSQL at ${where} did not answer in time: check that it is running and that DATABASE_URL is right`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login for user "${decodeURIComponent(url.username) || 'postgres'}": check the user and password in DATABASE_URL`;
    case '42501':
      return `the PostgreSQL user in DATABASE_URL lacks a privilege Meridian needs (${e.message}): grant it or use another user`;
    default:
      return `PostgreSQL at ${where} failed: ${e.message ?? String(error)}`;
  }
}

/** One round trip: answers once the server takes statements (readiness, start-up checks). */
export function ping(sql: Sql): Promise<unknown> {
  return sql`select 1`.execute();
}
