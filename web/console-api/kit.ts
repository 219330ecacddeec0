import type { FastifyReply } from 'fastify';
import type { Sql } from 'postgres';
import { z } from 'zod';
import { type ConsoleUser, createSession } from '../../db/console-users-store';
import type { OidcConfig } from '../../domain/config';
import { userView } from '../admin/access';
import { errorAnswer, json } from '../openapi';
import { setSessionCookie } from './cookies';

/** What the console API's route files share: dependencies, the error type, the route documentation, starting a session. */

export interface ConsoleApiDeps {
  globalSql: Sql;
  /** Keys the sign-in rate limit's counters (HMAC of email and address), so they name no one. */
  rateLimitKey: Buffer;
  oidc?: OidcConfig;
}

export class ConsoleApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const userAnswer = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: z.string(),
  brands: z.union([z.literal('*'), z.array(z.string())]),
  regions: z.union([z.literal('*'), z.array(z.string())]),
  locale: z.string(),
  timeZone: z.string(),
  capabilities: z.array(z.string()),
});
export const sessionAnswer = z.object({ user: userAnswer, csrfToken: z.string() });

/** A route of the console's own API: the session cookie, errors as `{ error }`. */
export function consoleRoute(doc: { summary: string; body?: z.ZodType; response?: Record<number, unknown> }) {
  return {
    tags: ['console'],
    ...doc,
    response: {
      ...doc.response,
      default: json(
        'refused: 400 names the field, 401 not signed in, 403 CSRF token missing, 429 too many failed sign-ins',
        errorAnswer,
      ),
    },
  };
}

/** Creates the session, sets its cookie, answers `{ user, csrfToken }`. */
export async function startSession(sql: Sql, reply: FastifyReply, user: ConsoleUser) {
  const { sessionId, csrfToken } = await createSession(sql, user.id);
  setSessionCookie(reply, sessionId);
  return { user: userView(user), csrfToken };
}
