import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { createConsoleUser } from '../support/console';

/**
 * Console sign-in through OpenID Connect (issue 13) against a real provider: `oidc-provider` runs
 * on a local port, and the whole authorization-code flow (PKCE, state, nonce) goes through the
 * web server's /console/api/oidc routes. The provider vouches for who someone is; only users a
 * group admin provisioned get in — by (issuer, subject), or on first sign-in by a verified email.
 */

/** Accounts at the provider, by subject: what it says about each person. */
const ACCOUNTS: Record<string, { email: string; email_verified: boolean }> = {
  'idp-hana': { email: 'hana@example.com', email_verified: true },
  'idp-unverified': { email: 'ana@example.com', email_verified: false },
  'idp-stranger': { email: 'stranger@example.com', email_verified: true },
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** Cookies per origin, as a browser keeps them between redirects (names and values only). */
class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();
  store(url: string, response: Response) {
    const jar = this.byOrigin.get(new URL(url).origin) ?? new Map<string, string>();
    this.byOrigin.set(new URL(url).origin, jar);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired) jar.delete(pair!.slice(0, at).trim());
      else jar.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
  }
  header(url: string) {
    const jar = this.byOrigin.get(new URL(url).origin);
    return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }
}

describe('console sign-in with OpenID Connect', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let idp: Server;
  let provider: Provider;
  let issuer: string;
  /** Who signs in at the provider next (its login screen, answered by the test). */
  let signingInAs = 'idp-hana';

  beforeAll(async () => {
    const [idpPort, webPort] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${idpPort}`;
    const redirectUrl = `http://127.0.0.1:${webPort}/console/api/oidc/callback`;
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'meridian-console',
          client_secret: 'a-client-secret-for-tests-only',
          redirect_uris: [redirectUrl],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      cookies: { keys: ['oidc-test-cookie-key'] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx: unknown, sub: string) =>
        ACCOUNTS[sub] ? { accountId: sub, claims: () => ({ sub, ...ACCOUNTS[sub]! }) } : undefined,
    });
    const callback = provider.callback();
    // The provider's login and consent screen: the person `signingInAs` signs in and agrees.
    idp = createServer(async (req, res) => {
      if (!req.url?.startsWith('/interaction/')) return callback(req, res);
      try {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: signingInAs, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        await provider.interactionFinished(req, res, {
          login: { accountId: signingInAs },
          consent: { grantId: await grant.save() },
        });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    });
    await new Promise<void>((resolve) => idp.listen(idpPort, '127.0.0.1', resolve));

    d = await createTestDeployment('consoleoidc', {
      MERIDIAN_OIDC_ISSUER: issuer,
      MERIDIAN_OIDC_CLIENT_ID: 'meridian-console',
      MERIDIAN_OIDC_CLIENT_SECRET: 'a-client-secret-for-tests-only',
      MERIDIAN_OIDC_REDIRECT_URL: redirectUrl,
    });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: webPort });
    const g = d.global().sql;
    await createConsoleUser(g, { email: 'hana@example.com', password: 'not used here', role: 'market_marketer' });
    await createConsoleUser(g, { email: 'ana@example.com', password: 'not used here', role: 'analyst' });
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
    await new Promise((resolve) => idp?.close(resolve));
  });

  /**
   * Follows redirects by hand from /console/api/oidc/start, through the provider, up to (not
   * into) Meridian's callback, as a browser would; `tamper` may change the callback URL.
   */
  async function signInAtProvider(jar: CookieJar, tamper: (callback: URL) => URL = (u) => u) {
    let url = `${base}/console/api/oidc/start`;
    for (let hop = 0; hop < 10; hop++) {
      if (url.startsWith(`${base}/console/api/oidc/callback`)) {
        const final = tamper(new URL(url)).href;
        const response = await fetch(final, { redirect: 'manual', headers: { cookie: jar.header(final) } });
        jar.store(final, response);
        return response;
      }
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
      jar.store(url, response);
      const location = response.headers.get('location');
      if (!location) throw new Error(`${url} answered ${response.status} without a redirect: ${await response.text()}`);
      url = new URL(location, url).href;
    }
    throw new Error('too many redirects');
  }

  const sessionOf = async (jar: CookieJar) => {
    const response = await fetch(`${base}/console/api/session`, { headers: { cookie: jar.header(base) } });
    return { status: response.status, body: (await response.json()) as { user?: { email: string; role: string } } };
  };

  it('sends the browser to the provider with PKCE, state and nonce, and keeps them in a short-lived cookie', async () => {
    const response = await fetch(`${base}/console/api/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    for (const param of ['code_challenge', 'state', 'nonce']) expect(location.searchParams.get(param)).toBeTruthy();
    expect(location.searchParams.get('scope')).toBe('openid email profile');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('meridian_oidc='))!;
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/console/api/oidc', 'Max-Age=600'])
      expect(cookie).toContain(attribute);
    // The verifier itself never goes to the provider.
    expect(location.href).not.toContain(JSON.parse(decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!)).verifier);
  });

  it('signs in a provisioned user by verified email, links the subject, and finds them by it afterwards', async () => {
    signingInAs = 'idp-hana';
    const jar = new CookieJar();
    const callback = await signInAtProvider(jar);
    expect(callback.status, await callback.clone().text()).toBe(302);
    expect(callback.headers.get('location')).toBe('/console/');
    const session = await sessionOf(jar);
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: 'hana@example.com', role: 'market_marketer' });
    const [linked] = await d.global().sql<{ oidc_issuer: string; oidc_subject: string }[]>`
      select oidc_issuer, oidc_subject from console_users where email = 'hana@example.com'`;
    expect(linked).toEqual({ oidc_issuer: issuer, oidc_subject: 'idp-hana' });

    // The provider now says another email for the same subject: still Hana, by issuer + subject.
    ACCOUNTS['idp-hana']!.email = 'hana.tanaka@example.com';
    try {
      const again = new CookieJar();
      expect((await signInAtProvider(again)).status).toBe(302);
      expect((await sessionOf(again)).body.user).toMatchObject({ email: 'hana@example.com' });
    } finally {
      ACCOUNTS['idp-hana']!.email = 'hana@example.com';
    }
  });

  it('refuses someone the provider knows but no group admin added, and creates no user', async () => {
    signingInAs = 'idp-stranger';
    const jar = new CookieJar();
    const callback = await signInAtProvider(jar);
    expect(callback.status).toBe(403);
    expect(((await callback.json()) as { error: string }).error).toMatch(/not a Meridian console user/);
    expect((await sessionOf(jar)).status).toBe(401);
    const [row] = await d.global()
      .sql`select count(*)::int as n from console_users where email = 'stranger@example.com'`;
    expect(row!.n).toBe(0);
  });

  it('does not match an email the provider has not verified', async () => {
    signingInAs = 'idp-unverified';
    const jar = new CookieJar();
    const callback = await signInAtProvider(jar);
    expect(callback.status).toBe(403);
    const [row] = await d.global().sql`select oidc_subject from console_users where email = 'ana@example.com'`;
    expect(row!.oidc_subject).toBeNull();
  });

  it('refuses a callback whose state was tampered with, or that this browser did not start', async () => {
    signingInAs = 'idp-hana';
    const jar = new CookieJar();
    const tampered = await signInAtProvider(jar, (url) => {
      url.searchParams.set('state', `${url.searchParams.get('state')}x`);
      return url;
    });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: string }).error).toMatch(/refused/);
    expect((await sessionOf(jar)).status).toBe(401);

    // A genuine code and state from the provider, delivered to a browser without the sign-in cookie.
    let stolen = '';
    await signInAtProvider(new CookieJar(), (url) => {
      stolen = url.href;
      return new URL(`${base}/console/api/oidc/start-was-not-here`);
    });
    const elsewhere = await fetch(stolen, { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { error: string }).error).toMatch(/not started here/);
  });
});
