import { drizzle, PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { Sql } from 'postgres';
import { databaseName, MeridianConfig } from '../domain/config';
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
  /** Seconds to wait for a connection to be ready before giving up (postgres.js default: 30). */
  connectTimeoutSeconds?: number;
  /** Server-side limit on every statement of the pool's sessions, in milliseconds. */
  statementTimeoutMs?: number;
  /**
   * Connect as the databases' owner (DATABASE_URL) rather than the region's own role
   * (DATABASE_URL_<REGION>): for migrations and setup only.
   */
  asOwner?: boolean;
}

type ServerConfig = Pick<MeridianConfig, 'databaseUrl' | 'databaseSuffix'> & Partial<Pick<MeridianConfig, 'databaseUrls'>>;

/** The server URL (with the user) a region's pools connect with. */
export function regionServerUrl(config: ServerConfig, region: string, options: Pick<PoolOptions, 'asOwner'> = {}): string {
  return options.asOwner ? config.databaseUrl : (config.databaseUrls?.[region] ?? config.databaseUrl);
}

/** The URL of the named database on the server that DATABASE_URL points at. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function openSql(serverUrl: string, database: string, options: PoolOptions): Sql {
  return postgres(databaseUrl(serverUrl, database), {
    max: options.max ?? 10,
    onnotice: () => {},
    ...(options.connectTimeoutSeconds ? { connect_timeout: options.connectTimeoutSeconds } : {}),
    connection: {
      application_name: options.applicationName ?? 'meridian',
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
}

/** A bare connection pool to a region's database (global included), for checks that need no schema. */
export function openRegionSql(config: ServerConfig, region: Region, options: PoolOptions = {}): Sql {
  return openSql(regionServerUrl(config, region.name, options), databaseName(config, region), options);
}

export function openRegionalPool(config: ServerConfig, region: Region, options: PoolOptions = {}): RegionPool<RegionalDb> {
  const database = databaseName(config, region);
  const sql = openRegionSql(config, region, options);
  return { region: region.name, database, sql, db: drizzle(sql, { schema: regionalSchema }), close: () => sql.end({ timeout: 5 }) };
}

export function openGlobalPool(config: ServerConfig, region: Region, options: PoolOptions = {}): RegionPool<GlobalDb> {
  const database = databaseName(config, region);
  const sql = openRegionSql(config, region, options);
  return { region: region.name, database, sql, db: drizzle(sql, { schema: globalSchema }), close: () => sql.end({ timeout: 5 }) };
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
