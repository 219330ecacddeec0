import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { findForOidc } from '../../db/console-users-store';
import { clearOidcCookie, OIDC_COOKIE, readCookie, setOidcCookie } from './cookies';
import { type ConsoleApiDeps, ConsoleApiError, consoleRoute, startSession } from './kit';

/**
 * Console sign-in through the company's OpenID Connect provider (openid-client): authorization
 * code flow with PKCE, state and nonce. The provider vouches for who someone is; Meridian decides
 * what they may do, so only provisioned users get in — matched by (issuer, subject), or on first
 * sign-in by an email the provider says is verified. No one is created here.
 */

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

export function registerOidcRoutes(scope: FastifyInstance, deps: ConsoleApiDeps): void {
  const oidc = deps.oidc;
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    if (!oidc) throw new ConsoleApiError(404, notConfigured);
    discovered ??= (async () => {
      const issuer = new URL(oidc.issuer);
      // Plain http only for a provider on this machine (development and tests).
      return client.discovery(issuer, oidc.clientId, oidc.clientSecret, undefined, {
        ...(issuer.protocol === 'http:' && isLoopback(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
      });
    })().catch((error) => {
      discovered = undefined; // try again on the next sign-in
      throw new ConsoleApiError(
        502,
        `the identity provider at ${oidc.issuer} did not answer its discovery document (${(error as Error).name}): try again, or check MERIDIAN_OIDC_ISSUER`,
      );
    });
    return discovered;
  };

  scope.get(
    '/console/api/oidc/start',
    { schema: consoleRoute({ summary: "Sign in with the company's identity provider (redirects to it)" }) },
    async (_request, reply) => {
      const config = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: oidc!.redirectUrl,
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      setOidcCookie(reply, JSON.stringify({ verifier, state, nonce }));
      return reply.redirect(url.href, 302);
    },
  );

  scope.get(
    '/console/api/oidc/callback',
    { schema: consoleRoute({ summary: 'Where the identity provider sends the browser back (starts the session)' }) },
    async (request, reply) => {
      const config = await configuration();
      const saved = readCookie(request, OIDC_COOKIE);
      clearOidcCookie(reply);
      let checks: { verifier: string; state: string; nonce: string };
      try {
        checks = JSON.parse(saved ?? '');
      } catch {
        throw new ConsoleApiError(
          400,
          'this sign-in was not started here, or took over 10 minutes: start again at /console/',
        );
      }
      const current = new URL(oidc!.redirectUrl);
      current.search = new URL(request.url, 'http://callback').search;
      let claims: client.IDToken | undefined;
      let emailClaims: Record<string, unknown> | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: checks.verifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
        emailClaims = claims;
        // A provider may keep the email out of the ID token of a code flow (OIDC Core 5.4): then
        // its userinfo says it, checked to be about the same subject.
        if (claims && claims.email === undefined)
          emailClaims = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      } catch (error) {
        throw new ConsoleApiError(
          401,
          `the identity provider's answer was refused (${(error as { code?: string }).code ?? (error as Error).name}): start again at /console/`,
        );
      }
      if (!claims) throw new ConsoleApiError(401, 'the identity provider sent no ID token: start again at /console/');
      const email =
        emailClaims?.email_verified === true && typeof emailClaims.email === 'string' ? emailClaims.email : undefined;
      const user = await findForOidc(deps.globalSql, claims.iss, claims.sub, email);
      if (!user || user.disabled)
        throw new ConsoleApiError(
          403,
          'your identity provider account is not a Meridian console user: ask a group admin to add you (with the email your provider has verified)',
        );
      await startSession(deps.globalSql, reply, user);
      return reply.redirect('/console/', 302);
    },
  );
}

const notConfigured =
  'OpenID Connect sign-in is not configured on this server: set MERIDIAN_OIDC_ISSUER, MERIDIAN_OIDC_CLIENT_ID, MERIDIAN_OIDC_CLIENT_SECRET and MERIDIAN_OIDC_REDIRECT_URL, or sign in with a password';
