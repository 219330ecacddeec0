import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_ABSOLUTE_SECONDS, SESSION_COOKIE } from '../../domain/console-access';

/**
 * The console's cookies, read and written here only. The session cookie is HttpOnly (no script
 * reads it), SameSite=Strict (never sent by another site's page: the first CSRF defence; the
 * x-csrf-token header is the second), Secure (browsers accept it on http://localhost and 127.0.0.1).
 */

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function append(reply: FastifyReply, cookie: string): void {
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}

export function setSessionCookie(reply: FastifyReply, sessionId: string): void {
  append(
    reply,
    `${SESSION_COOKIE}=${sessionId}; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=${SESSION_ABSOLUTE_SECONDS}`,
  );
}

export function clearSessionCookie(reply: FastifyReply): void {
  append(reply, `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=0`);
}

/**
 * The OIDC sign-in's state, nonce and PKCE verifier, between the redirect to the provider and its
 * callback. SameSite=Lax: the callback is a top-level navigation coming from the provider's site.
 */
export const OIDC_COOKIE = 'meridian_oidc';

export function setOidcCookie(reply: FastifyReply, value: string): void {
  append(
    reply,
    `${OIDC_COOKIE}=${encodeURIComponent(value)}; HttpOnly; SameSite=Lax; Path=/console/api/oidc; Secure; Max-Age=600`,
  );
}

export function clearOidcCookie(reply: FastifyReply): void {
  append(reply, `${OIDC_COOKIE}=; HttpOnly; SameSite=Lax; Path=/console/api/oidc; Secure; Max-Age=0`);
}
