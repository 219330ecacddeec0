/**
 * The console's calls: same-origin fetches with the session cookie; every change (non-GET) carries
 * the session's CSRF token in `x-csrf-token`, as the server requires. Errors carry the server's own
 * `{error}` text, which names the field and the rule.
 */

export type Capability =
  | 'insights.read'
  | 'profiles.read'
  | 'profiles.personal'
  | 'segments.read'
  | 'segments.write'
  | 'tags.write'
  | 'journeys.read'
  | 'journeys.write'
  | 'broadcasts.write'
  | 'templates.write'
  | 'privacy.read'
  | 'privacy.manage'
  | 'audit.read'
  | 'connectors.read'
  | 'connectors.manage'
  | 'settings.write'
  | 'users.manage';

export interface ConsoleUser {
  id: string;
  email: string;
  displayName: string;
  role: string;
  brands: string[] | '*';
  regions: string[] | '*';
  locale: string;
  timeZone: string;
  capabilities: Capability[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
export const setCsrfToken = (token: string) => {
  csrfToken = token;
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const message =
      parsed && typeof parsed === 'object' && 'error' in parsed ? String(parsed.error) : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A query string from the values that are set. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function getSession(): Promise<{ user: ConsoleUser; csrfToken: string } | undefined> {
  try {
    const session = await api<{ user: ConsoleUser; csrfToken: string }>('GET', '/console/api/session');
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signIn(email: string, password: string): Promise<ConsoleUser> {
  const session = await api<{ user: ConsoleUser; csrfToken: string }>('POST', '/console/api/session', {
    email,
    password,
  });
  setCsrfToken(session.csrfToken);
  return session.user;
}

export async function signOut(): Promise<void> {
  await api('DELETE', '/console/api/session');
  setCsrfToken('');
}

export async function savePreferences(preferences: { locale?: string; timeZone?: string }): Promise<ConsoleUser> {
  return (await api<{ user: ConsoleUser }>('PATCH', '/console/api/session/preferences', preferences)).user;
}

/** A CSV download link's target: the same GET with format=csv (the cookie goes along). */
export const csvHref = (path: string, values: Record<string, string | number | undefined | null>) =>
  `${path}${query({ ...values, format: 'csv' })}`;
