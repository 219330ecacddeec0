import type { Sql } from 'postgres';
import { createConsoleUser as insertConsoleUser } from '../../db/console-users-store';
import { hashPassword } from '../../db/console-passwords';
import type { ConsoleRole } from '../../domain/console-access';

/** Console users and sign-in for tests (issue 13): the same store and HTTP API the console uses. */

export async function createConsoleUser(
  globalSql: Sql,
  user: {
    email: string;
    password: string;
    role: ConsoleRole;
    brands?: '*' | string[];
    regions?: '*' | string[];
    locale?: string;
    timeZone?: string;
    displayName?: string;
  },
): Promise<{ id: string }> {
  const created = await insertConsoleUser(globalSql, {
    email: user.email,
    displayName: user.displayName ?? user.email.split('@')[0]!,
    passwordHash: await hashPassword(user.password),
    role: user.role,
    brands: user.brands ?? '*',
    regions: user.regions ?? '*',
    locale: user.locale ?? 'en',
    timeZone: user.timeZone ?? 'UTC',
  });
  return { id: created.id };
}

/** Signs in over HTTP; `cookie` is ready for a Cookie header. Throws when the sign-in is refused. */
export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
): Promise<{ cookie: string; csrfToken: string; user: unknown }> {
  const response = await fetch(`${baseUrl}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as { user?: unknown; csrfToken?: string; error?: string };
  if (response.status !== 200) throw new Error(`sign-in as ${email} answered ${response.status}: ${body.error}`);
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('meridian_session='));
  if (!setCookie) throw new Error('sign-in set no meridian_session cookie');
  return { cookie: setCookie.split(';')[0]!, csrfToken: body.csrfToken!, user: body.user };
}
