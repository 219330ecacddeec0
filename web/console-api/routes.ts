import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { deleteSession, findForSignIn, resumeSession, updateConsoleUser } from '../../db/console-users-store';
import { verifyPassword } from '../../db/console-passwords';
import { countHit, readHits } from '../../db/rate-limit-store';
import {
  CSRF_HEADER,
  localeTag,
  SESSION_COOKIE,
  SIGN_IN_FAILURES_PER_WINDOW,
  SIGN_IN_WINDOW_SECONDS,
  timeZoneName,
} from '../../domain/console-access';
import { describeIssues } from '../../domain/validation';
import { userView } from '../admin/access';
import { json } from '../openapi';
import { clearSessionCookie, readCookie } from './cookies';
import { type ConsoleApiDeps, ConsoleApiError, consoleRoute, sessionAnswer, startSession, userAnswer } from './kit';
import { registerOidcRoutes } from './oidc';

/**
 * The console's own API (docs/design/console.md, "Access"): sign in with a password (or OIDC,
 * ./oidc.ts), read the session, sign out, change one's preferences. Everything else the console
 * does goes through the admin API with the session cookie (web/admin/access.ts).
 */

const signInInput = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });
const preferencesInput = z
  .object({ locale: localeTag.optional(), timeZone: timeZoneName.optional() })
  .strict()
  .refine((p) => p.locale !== undefined || p.timeZone !== undefined, { error: 'send locale, timeZone or both' });

const WRONG = 'email or password is wrong';

export function registerConsoleApiRoutes(app: FastifyInstance, deps: ConsoleApiDeps): void {
  app.register(async (scope) => {
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      if (error instanceof ConsoleApiError) return reply.code(error.statusCode).send({ error: error.message });
      if (error.statusCode && error.statusCode < 500)
        return reply.code(error.statusCode).send({ error: error.message });
      request.log.error({ err: { name: (error as Error).name } }, 'console request failed');
      return reply.code(500).send({ error: 'internal error: see the server log' });
    });

    const session = async (request: FastifyRequest) => {
      const id = readCookie(request, SESSION_COOKIE);
      const found = id ? await resumeSession(deps.globalSql, id) : undefined;
      if (!found)
        throw new ConsoleApiError(401, 'not signed in: POST /console/api/session with your email and password');
      return { id: id!, ...found };
    };

    const attemptsKey = (email: string, ip: string) =>
      createHmac('sha256', deps.rateLimitKey).update(`console-sign-in\0${email.toLowerCase()}\0${ip}`).digest();

    scope.post(
      '/console/api/session',
      {
        schema: consoleRoute({
          summary: 'Sign in to the console with email and password (sets the meridian_session cookie)',
          body: signInInput,
          response: { 200: json('the user and the CSRF token to send with changes', sessionAnswer) },
        }),
      },
      async (request, reply) => {
        const parsed = signInInput.safeParse(request.body);
        if (!parsed.success) throw new ConsoleApiError(400, describeIssues(parsed.error, 'body', { first: true }));
        const { email, password } = parsed.data;
        const key = attemptsKey(email, request.ip);
        if ((await readHits(deps.globalSql, key)) >= SIGN_IN_FAILURES_PER_WINDOW) {
          reply.header('retry-after', String(SIGN_IN_WINDOW_SECONDS));
          throw new ConsoleApiError(429, 'too many failed sign-ins for this email from this address: try again later');
        }
        const found = await findForSignIn(deps.globalSql, email);
        // Always one argon2 verification, so an unknown email takes as long as a wrong password.
        const ok = await verifyPassword(found?.passwordHash, password);
        if (!ok || !found || found.user.disabled) {
          await countHit(deps.globalSql, key, SIGN_IN_WINDOW_SECONDS);
          throw new ConsoleApiError(401, WRONG);
        }
        return startSession(deps.globalSql, reply, found.user);
      },
    );

    scope.get(
      '/console/api/session',
      {
        schema: consoleRoute({
          summary: 'The signed-in user and the CSRF token',
          response: { 200: json('the user and the CSRF token', sessionAnswer) },
        }),
      },
      async (request) => {
        const { user, csrfToken } = await session(request);
        return { user: userView(user), csrfToken };
      },
    );

    scope.delete(
      '/console/api/session',
      { schema: consoleRoute({ summary: 'Sign out: ends the session and clears its cookie' }) },
      async (request, reply) => {
        const id = readCookie(request, SESSION_COOKIE);
        if (id) await deleteSession(deps.globalSql, id);
        clearSessionCookie(reply);
        return reply.code(204).send();
      },
    );

    scope.patch(
      '/console/api/session/preferences',
      {
        schema: consoleRoute({
          summary: "Change the signed-in user's language (BCP-47) or time zone (IANA)",
          body: preferencesInput,
          response: { 200: json('the user', z.object({ user: userAnswer })) },
        }),
      },
      async (request) => {
        const current = await session(request);
        if (request.headers[CSRF_HEADER] !== current.csrfToken)
          throw new ConsoleApiError(403, `${CSRF_HEADER} header missing or wrong: send the csrfToken of the session`);
        const parsed = preferencesInput.safeParse(request.body);
        if (!parsed.success) throw new ConsoleApiError(400, describeIssues(parsed.error, 'body', { first: true }));
        const user = await updateConsoleUser(deps.globalSql, current.user.id, parsed.data);
        return { user: userView(user!) };
      },
    );

    registerOidcRoutes(scope, deps);
  });
}
