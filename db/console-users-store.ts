import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import {
  type ConsoleRole,
  SESSION_ABSOLUTE_SECONDS,
  SESSION_IDLE_SECONDS,
  type ScopeList,
} from '../domain/console-access';

/**
 * Console users and their sessions (db/schema/global.ts consoleUsers, consoleSessions). Hashes
 * never leave this file in a listing: `ConsoleUser` has no password field; only
 * `passwordHashOf` returns one, for the sign-in check.
 */

export interface ConsoleUser {
  id: string;
  email: string;
  displayName: string;
  role: ConsoleRole;
  brands: ScopeList;
  regions: ScopeList;
  locale: string;
  timeZone: string;
  oidcIssuer: string | null;
  oidcSubject: string | null;
  disabled: boolean;
  createdAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  role: ConsoleRole;
  brands: string[];
  regions: string[];
  locale: string;
  time_zone: string;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  disabled: boolean;
  created_at: Date;
}

const fromList = (list: string[]): ScopeList => (list.length === 1 && list[0] === '*' ? '*' : list);
const toList = (scope: ScopeList): string[] => (scope === '*' ? ['*'] : scope);

function toUser(row: UserRow): ConsoleUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    brands: fromList(row.brands),
    regions: fromList(row.regions),
    locale: row.locale,
    timeZone: row.time_zone,
    oidcIssuer: row.oidc_issuer,
    oidcSubject: row.oidc_subject,
    disabled: row.disabled,
    createdAt: new Date(row.created_at),
  };
}

const USER_COLUMNS =
  'id, email, display_name, role, brands, regions, locale, time_zone, oidc_issuer, oidc_subject, disabled, created_at';

export interface NewConsoleUser {
  email: string;
  displayName: string;
  passwordHash: string | null;
  role: ConsoleRole;
  brands: ScopeList;
  regions: ScopeList;
  locale: string;
  timeZone: string;
  oidcIssuer?: string | null;
  oidcSubject?: string | null;
}

export class DuplicateConsoleUser extends Error {}

export async function createConsoleUser(sql: Sql, user: NewConsoleUser): Promise<ConsoleUser> {
  try {
    const [row] = await sql<UserRow[]>`
      insert into console_users (email, display_name, password_hash, role, brands, regions, locale, time_zone, oidc_issuer, oidc_subject)
      values (${user.email.toLowerCase()}, ${user.displayName}, ${user.passwordHash}, ${user.role},
              ${toList(user.brands)}, ${toList(user.regions)}, ${user.locale}, ${user.timeZone},
              ${user.oidcIssuer ?? null}, ${user.oidcSubject ?? null})
      returning ${sql.unsafe(USER_COLUMNS)}`;
    return toUser(row!);
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new DuplicateConsoleUser('a console user with that email or OIDC subject exists already');
    throw error;
  }
}

export async function listConsoleUsers(sql: Sql): Promise<ConsoleUser[]> {
  const rows = await sql<UserRow[]>`select ${sql.unsafe(USER_COLUMNS)} from console_users order by email`;
  return rows.map(toUser);
}

export async function getConsoleUser(sql: Sql, id: string): Promise<ConsoleUser | undefined> {
  const [row] = await sql<UserRow[]>`select ${sql.unsafe(USER_COLUMNS)} from console_users where id = ${id}`;
  return row ? toUser(row) : undefined;
}

/** The user and their hash, for the sign-in check only. */
export async function findForSignIn(
  sql: Sql,
  email: string,
): Promise<{ user: ConsoleUser; passwordHash: string | null } | undefined> {
  const [row] = await sql<(UserRow & { password_hash: string | null })[]>`
    select ${sql.unsafe(USER_COLUMNS)}, password_hash from console_users where email = ${email.toLowerCase()}`;
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

/** The user linked to (issuer, subject), else the one whose email the IdP verified. Never creates one. */
export async function findForOidc(
  sql: Sql,
  issuer: string,
  subject: string,
  verifiedEmail: string | undefined,
): Promise<ConsoleUser | undefined> {
  const [linked] = await sql<UserRow[]>`
    select ${sql.unsafe(USER_COLUMNS)} from console_users where oidc_issuer = ${issuer} and oidc_subject = ${subject}`;
  if (linked) return toUser(linked);
  if (!verifiedEmail) return undefined;
  // First sign-in by email: link the subject, so a later change of email at the IdP still finds the user.
  const [byEmail] = await sql<UserRow[]>`
    update console_users set oidc_issuer = ${issuer}, oidc_subject = ${subject}, updated_at = now()
    where email = ${verifiedEmail.toLowerCase()} and (oidc_subject is null or (oidc_issuer = ${issuer} and oidc_subject = ${subject}))
    returning ${sql.unsafe(USER_COLUMNS)}`;
  return byEmail ? toUser(byEmail) : undefined;
}

export interface ConsoleUserChange {
  displayName?: string;
  passwordHash?: string;
  role?: ConsoleRole;
  brands?: ScopeList;
  regions?: ScopeList;
  locale?: string;
  timeZone?: string;
  disabled?: boolean;
}

export async function updateConsoleUser(
  sql: Sql,
  id: string,
  change: ConsoleUserChange,
): Promise<ConsoleUser | undefined> {
  const [row] = await sql<UserRow[]>`
    update console_users set
      display_name = coalesce(${change.displayName ?? null}, display_name),
      password_hash = coalesce(${change.passwordHash ?? null}, password_hash),
      role = coalesce(${change.role ?? null}, role),
      brands = coalesce(${change.brands ? toList(change.brands) : null}::text[], brands),
      regions = coalesce(${change.regions ? toList(change.regions) : null}::text[], regions),
      locale = coalesce(${change.locale ?? null}, locale),
      time_zone = coalesce(${change.timeZone ?? null}, time_zone),
      disabled = coalesce(${change.disabled ?? null}::boolean, disabled),
      updated_at = now()
    where id = ${id}
    returning ${sql.unsafe(USER_COLUMNS)}`;
  if (row && (change.disabled || change.passwordHash || change.role || change.brands || change.regions)) {
    // A change of who the user is, or what they may do, ends their sessions: they sign in again.
    await sql`delete from console_sessions where user_id = ${id}`;
  }
  return row ? toUser(row) : undefined;
}

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest();

/** A new session: the id (for the cookie, never stored) and its CSRF token. */
export async function createSession(sql: Sql, userId: string): Promise<{ sessionId: string; csrfToken: string }> {
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  await sql`
    insert into console_sessions (id_hash, user_id, csrf_token, idle_expires_at, absolute_expires_at)
    values (${hashOf(sessionId)}, ${userId}, ${csrfToken},
            now() + make_interval(secs => ${SESSION_IDLE_SECONDS}),
            now() + make_interval(secs => ${SESSION_ABSOLUTE_SECONDS}))`;
  return { sessionId, csrfToken };
}

/**
 * The live session and its user, sliding the idle expiry (at most once a minute, so reads stay
 * cheap). Expired sessions and disabled users answer undefined.
 */
export async function resumeSession(
  sql: Sql,
  sessionId: string,
): Promise<{ user: ConsoleUser; csrfToken: string } | undefined> {
  const [row] = await sql<(UserRow & { csrf_token: string; refresh: boolean })[]>`
    select ${sql.unsafe(USER_COLUMNS.replace(/(\w+)/g, 'u.$1'))}, s.csrf_token,
           s.last_seen_at < now() - interval '1 minute' as refresh
    from console_sessions s join console_users u on u.id = s.user_id
    where s.id_hash = ${hashOf(sessionId)} and s.idle_expires_at > now() and s.absolute_expires_at > now()
      and not u.disabled`;
  if (!row) return undefined;
  if (row.refresh)
    await sql`
      update console_sessions set last_seen_at = now(),
        idle_expires_at = least(absolute_expires_at, now() + make_interval(secs => ${SESSION_IDLE_SECONDS}))
      where id_hash = ${hashOf(sessionId)}`;
  return { user: toUser(row), csrfToken: row.csrf_token };
}

export async function deleteSession(sql: Sql, sessionId: string): Promise<void> {
  await sql`delete from console_sessions where id_hash = ${hashOf(sessionId)}`;
}

/** Deletes sessions past either expiry; returns how many. */
export async function sweepSessions(sql: Sql): Promise<number> {
  const deleted = await sql`delete from console_sessions where idle_expires_at < now() or absolute_expires_at < now()`;
  return deleted.count;
}
