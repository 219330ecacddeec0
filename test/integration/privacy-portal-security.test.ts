import { createHash, createHmac } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { strFromU8, unzipSync } from 'fflate';
import { createPrivacyActivities } from '../../activities/privacy/regional';
import { emailBlindIndex } from '../../db/privacy-requests-store';
import { createPrivacyMailer } from '../../mail/privacy-mailer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyFromRef, unwrapDataKey, wrappingKeyId } from '../../db/crypto-shredding';
import { peopleWithEmail } from '../../db/privacy-saga-store';
import { sweepCounters } from '../../db/rate-limit-store';
import { loadConfig } from '../../domain/config';
import { preferenceSignature, statusToken } from '../../domain/privacy-links';
import { MESSAGES } from '../../domain/privacy-messages';
import { privacyRequestHandle } from '../../temporal/processes/privacy-request';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import { requestLogOptions } from '../../web/server';
import { SharedRateLimiter } from '../../web/request-limits';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { holdPort } from '../support/ports';
import { SmtpHarness, startSmtpServer } from '../support/smtp';

/**
 * The privacy portal attacked as issue 8 describes, on the real web server, PostgreSQL, Temporal
 * and SMTP: each test is named after the attack and fails on the code before the fix.
 * - item 1: taking over someone else's request after they (or their mail scanner) verify it;
 * - item 13: a request under Gmail-dot / plus-address rules that finds no one;
 * - item 16: spoofed X-Forwarded-For, a second web server, a flood of keys against the limits;
 * - item 18: an offline guess of the stored verification code; a region key rotated under data;
 * - item 22: cookies and headers on an https deployment;
 * - item 17: the "completed" email's link, an access request with two packages in one region, a
 *   mail failure at filing, the attempts a wrong code leaves;
 * - item 23: a mail server that never answers; an error message quoting an email in the log.
 */

const PER_HOUR = 2; // per email; ten times that per client

describe('privacy portal under attack', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  const extra: { web: MeridianWeb; server?: Server }[] = [];
  const started: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    d = await createTestDeployment('portalsec', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_PRIVACY_REQUESTS_PER_HOUR: String(PER_HOUR),
    });
    h = await startIngestion(d);
  }, 180_000);
  afterAll(async () => {
    // Sagas started by verifying have no workers here: end them so no other test file's worker picks them up.
    for (const id of started)
      await privacyRequestHandle(d.client, id)
        .terminate('test over')
        .catch(() => {});
    for (const e of extra) await e.web.close();
    await h?.close();
    await d?.close();
    await smtp?.close();
  });
  // Every test starts with no counts against its client address.
  beforeEach(async () => {
    await d.global().sql`delete from rate_limit_counters`;
  });

  /** Another web server on the same deployment, with some settings changed. */
  async function anotherWeb(env: NodeJS.ProcessEnv, logger?: { lines: string[] }): Promise<string> {
    const options = logger
      ? { poolSize: 2, logger: requestLogOptions('info', 'json', { write: (line: string) => logger.lines.push(line) }) }
      : { poolSize: 2 };
    const web = await createMeridianWeb(loadConfig({ ...d.env, ...env }), d.client, options);
    extra.push({ web });
    return web.app.listen({ host: '127.0.0.1', port: 0 });
  }

  const json = async (
    base: string,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: 'application/json',
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any>,
    };
  };

  const file = (email: string, options: { base?: string; type?: string; headers?: Record<string, string> } = {}) =>
    json(
      options.base ?? h.base,
      'POST',
      '/privacy/requests',
      { type: options.type ?? 'access', email, country: 'DE', locale: 'de' },
      options.headers,
    );

  /** The verification email of a request: its code and its link, re-pointed at this test's server. */
  async function emailOf(requestId: string, base = h.base): Promise<{ code: string; link: string; to: string[] }> {
    const mail = await smtp.waitFor((m) => m.text.includes(requestId) && /\b\d{6}\b/.test(m.text), 15_000);
    const url = new URL(/https?:\/\/\S+\/verify\?code=\d{6}/.exec(mail.text)![0]);
    return { code: /\b(\d{6})\b/.exec(mail.text)![1]!, link: `${base}${url.pathname}${url.search}`, to: mail.to };
  }

  /** A browser's visit: GET a page, keep its cookie, POST its form back (as the button does). */
  async function pressTheButton(pageUrl: string, cookieHeader?: string): Promise<Response> {
    const page = await fetch(pageUrl, {
      headers: { accept: 'text/html', ...(cookieHeader ? { cookie: cookieHeader } : {}) },
    });
    const html = await page.text();
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html)!;
    const fields = Object.fromEntries(
      [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]),
    );
    return fetch(new URL(form[1]!.replace(/&amp;/g, '&'), pageUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, accept: 'text/html' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  const statusOf = async (requestId: string) =>
    (await d.regional('eu').sql<{ status: string }[]>`select status from privacy_requests where id = ${requestId}`)[0]
      ?.status;

  describe('item 1: verification bypass', () => {
    it('an attacker who files an access request for someone else gets no status link when the victim verifies it', async () => {
      const victim = 'victim.one@example.de';
      const filed = await file(victim);
      expect(filed.status).toBe(202);
      const requestId: string = filed.body.requestId;
      const { code, link, to } = await emailOf(requestId);
      expect(to).toEqual([victim]);

      // The victim opens the link and presses "Confirm": a GET shows the page, the POST verifies.
      const confirmed = await pressTheButton(link);
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.get('location')).toMatch(new RegExp(`^/privacy/requests/${requestId}\\?token=\\d+\\.`));
      started.push(requestId);
      expect(await statusOf(requestId)).toBe('verified');

      // The attacker, who has the request ID, tries codes on the verified request: no token, ever.
      for (const guess of ['000000', '123456', '999999']) {
        if (guess === code) continue;
        const attempt = await json(h.base, 'POST', `/privacy/requests/${requestId}/verify`, { code: guess });
        expect(attempt.status).toBe(400);
        expect(attempt.text).not.toMatch(/token|statusUrl/);
      }
      // Even the right code again (the victim's second click) does not hand out a link.
      const again = await json(h.base, 'POST', `/privacy/requests/${requestId}/verify`, { code });
      expect(again.status).toBe(409);
      expect(again.text).not.toMatch(/token=|statusUrl/);
      expect(again.body.error).toMatch(/already confirmed.*status-link/);
      // And without the token the status (and the export behind it) stays closed.
      expect((await json(h.base, 'GET', `/privacy/requests/${requestId}`)).status).toBe(403);
    });

    it('a mail scanner that follows the emailed link verifies nothing', async () => {
      const filed = await file('victim.two@example.de');
      const requestId: string = filed.body.requestId;
      const { link } = await emailOf(requestId);
      for (let i = 0; i < 3; i++) {
        const scanned = await fetch(link, { redirect: 'manual' });
        expect(scanned.status).toBe(200);
        expect(await scanned.text()).toContain(MESSAGES.en['verify.confirm.submit']);
      }
      expect(await statusOf(requestId)).toBe('awaiting-verification');
      await expect(privacyRequestHandle(d.client, requestId).describe()).rejects.toThrow(/not found/i);
      // The page is in the reader's language, and its button posts the code back with an anti-forgery token.
      const german = await (await fetch(link, { headers: { 'accept-language': 'de-DE' } })).text();
      expect(german).toContain(MESSAGES.de['verify.confirm.submit']);
      expect(german).toMatch(/<input type="hidden" name="csrf" value="s?[^"]+\.[^"]+">/);
      // A POST without the page's cookie is refused.
      const forged = await fetch(`${h.base}/privacy/requests/${requestId}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: /code=(\d{6})/.exec(link)![1]!, csrf: 'x.y' }).toString(),
      });
      expect(forged.status).toBe(403);
      expect(await statusOf(requestId)).toBe('awaiting-verification');
    });

    it('an expired status link is refused with a clear message, and the requester can have a new one emailed', async () => {
      const email = 'requester.three@example.de';
      const requestId: string = (await file(email)).body.requestId;
      const { link } = await emailOf(requestId);
      expect((await pressTheButton(link)).status).toBe(303);
      started.push(requestId);

      const expired = statusToken(d.config.signingKeys, requestId, new Date(Date.now() - 1000));
      const refused = await json(h.base, 'GET', `/privacy/requests/${requestId}?token=${expired}`);
      expect(refused.status).toBe(410);
      expect(refused.body.error).toMatch(/status link has expired: ask for a new one/);
      // In a browser: the page says so in the reader's language, with a button for a new link.
      const page = await fetch(`${h.base}/privacy/requests/${requestId}?token=${expired}`, {
        headers: { accept: 'text/html', 'accept-language': 'fr' },
      });
      expect(page.status).toBe(410);
      const html = await page.text();
      expect(html).toContain(MESSAGES.fr['status.linkExpired.title']);
      expect(html).toContain(MESSAGES.fr['status.newLink.submit']);

      // Pressing it emails a new link to the address the request was made with (never to the page).
      const before = smtp.messages.length;
      const asked = await pressTheButton(`${h.base}/privacy/requests/${requestId}?token=${expired}`);
      expect(asked.status).toBe(202);
      expect(await asked.text()).not.toMatch(/token=/);
      const mail = await smtp.waitFor((m) => smtp.messages.indexOf(m) >= before && m.text.includes(requestId), 15_000);
      expect(mail.to).toEqual([email]);
      expect(mail.subject).toBe(MESSAGES.de['email.statusLink.subject']);
      const fresh = new URL(/https?:\/\/\S+\/privacy\/requests\/pr_[0-9a-f]{16}\?token=\S+/.exec(mail.text)![0]);
      const opened = await json(h.base, 'GET', `${fresh.pathname}${fresh.search}`);
      expect(opened.status).toBe(200);
      expect(opened.body.requestId).toBe(requestId);
    });

    it('nobody can have status links mailed for a request that was never verified', async () => {
      const requestId: string = (await file('never.verified@example.de')).body.requestId;
      await emailOf(requestId);
      const before = smtp.messages.length;
      const asked = await json(h.base, 'POST', `/privacy/requests/${requestId}/status-link`, {});
      expect(asked.status).toBe(202);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messages.slice(before).filter((m) => m.text.includes(requestId))).toEqual([]);
    });
  });

  describe('item 18: keys', () => {
    it('an offline guess of the stored verification code finds nothing without the derived key', async () => {
      const requestId: string = (await file('offline.guess@example.de')).body.requestId;
      const { code } = await emailOf(requestId);
      const [row] = await d.regional('eu').sql<
        { verification_code_hash: Buffer }[]
      >`select verification_code_hash from privacy_requests where id = ${requestId}`;
      const stored = row!.verification_code_hash;
      // What an attacker with a copy of the table would try: every code, hashed as before the fix.
      let found: string | undefined;
      for (let n = 0; n < 1_000_000 && !found; n++) {
        const guess = String(n).padStart(6, '0');
        if (createHash('sha256').update(`${requestId}:${guess}`).digest().equals(stored)) found = guess;
      }
      expect(found).toBeUndefined();
      // Nor under the blind-index key: the code has a key of its own, derived for that purpose.
      expect(
        createHmac('sha256', d.config.identityHmacKey).update(`${requestId}:${code}`).digest().equals(stored),
      ).toBe(false);
      expect(
        stored.equals(
          createHmac('sha256', d.config.signingKeys.key('privacy-verification-code')!)
            .update(`${requestId}:${code}`)
            .digest(),
        ),
      ).toBe(true);
    }, 60_000);

    it('profiles written under region key 1 still open after key 2 becomes current, also rows from before keys had IDs', async () => {
      const source = await h.createSource('rotation eu', 'eu');
      expect(
        (await h.send(source.writeKey, '/v1/identify', { userId: 'rot-old', traits: { email: 'old.key@example.de' } }))
          .status,
      ).toBe(200);
      const oldKey = d.env.MERIDIAN_REGION_KEY_EU!;
      const rotated = await anotherWeb({
        MERIDIAN_REGION_KEY_EU: `2:${Buffer.alloc(32, 42).toString('base64')},1:${oldKey}`,
      });
      const admin = (base: string, body: unknown) =>
        json(base, 'POST', '/admin/profiles/lookup', body, { authorization: `Bearer ${h.adminToken}` });

      const old = await admin(rotated, { type: 'email', value: 'old.key@example.de' });
      expect(old.status).toBe(200);
      const eu = old.body.regions.find((r: { region: string }) => r.region === 'eu');
      expect(eu.personalData).toBe('shown');
      expect(eu.identities.map((i: { value: string }) => i.value)).toContain('old.key@example.de');

      // A person first seen through the rotated server: their data key is wrapped by key 2.
      const rotatedSource = { writeKey: source.writeKey };
      const sent = await fetch(`${rotated}/v1/identify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${rotatedSource.writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId: 'rot-new', traits: { email: 'new.key@example.de' } }),
      });
      expect(sent.status).toBe(200);
      const fresh = await admin(rotated, { type: 'email', value: 'new.key@example.de' });
      const rows = await d.regional('eu').sql<{ customer_id: string; data_key_wrapped: Buffer }[]>`
        select customer_id, data_key_wrapped from profiles where customer_id in (${old.body.customerId}, ${fresh.body.customerId})`;
      const ids = Object.fromEntries(rows.map((r) => [r.customer_id, wrappingKeyId(r.data_key_wrapped)]));
      expect(ids).toEqual({ [old.body.customerId]: '1', [fresh.body.customerId]: '2' });

      // A row wrapped before keys had IDs (60 bytes, no prefix) opens too, and migration 0005 names its key.
      const oldRow = rows.find((r) => r.customer_id === old.body.customerId)!;
      await d.regional('eu')
        .sql`update profiles set data_key_wrapped = substring(data_key_wrapped from 4) where customer_id = ${oldRow.customer_id}`;
      const [legacy] = await d.regional('eu').sql<
        { data_key_wrapped: Buffer }[]
      >`select data_key_wrapped from profiles where customer_id = ${oldRow.customer_id}`;
      expect(legacy!.data_key_wrapped.length).toBe(60);
      expect((await admin(rotated, { type: 'email', value: 'old.key@example.de' })).body.regions[0].personalData).toBe(
        'shown',
      );
      const migration = readFileSync(
        path.join(__dirname, '../../db/migrations/regional/0005_data_key_region_key_id.sql'),
        'utf8',
      );
      await d.regional('eu').sql.unsafe(migration);
      const [migrated] = await d.regional('eu').sql<
        { data_key_wrapped: Buffer }[]
      >`select data_key_wrapped from profiles where customer_id = ${oldRow.customer_id}`;
      expect(migrated!.data_key_wrapped).toEqual(oldRow.data_key_wrapped);
      const ring = keyFromRef('env:K', { K: `2:${Buffer.alloc(32, 42).toString('base64')},1:${oldKey}` });
      expect(unwrapDataKey(ring, migrated!.data_key_wrapped, oldRow.customer_id)).toHaveLength(32);
    });
  });

  describe('item 13: identity rules', () => {
    it('a request under Gmail-dot and plus-address rules finds the person ingestion stored', async () => {
      const rules = await json(
        h.base,
        'PUT',
        '/admin/identity-rules',
        { email: { gmailDotsInsensitive: true, plusAddressingInsensitive: true } },
        { authorization: `Bearer ${h.adminToken}` },
      );
      expect(rules.status).toBe(200);
      const source = await h.createSource('rules eu', 'eu');
      expect(
        (
          await h.send(source.writeKey, '/v1/identify', {
            userId: 'gmail-person',
            traits: { email: 'janedoe.rules@gmail.com' },
          })
        ).status,
      ).toBe(200);
      const customerId = (
        await json(
          h.base,
          'POST',
          '/admin/profiles/lookup',
          { type: 'email', value: 'janedoe.rules@gmail.com' },
          { authorization: `Bearer ${h.adminToken}` },
        )
      ).body.customerId;
      expect(customerId).toMatch(/^[0-9a-f-]{36}$/);

      // She writes her address as she knows it: dots and a tag.
      const requestId: string = (await file('Jane.Doe.Rules+privacy@googlemail.com', { type: 'deletion' })).body
        .requestId;
      const [row] = await d.regional('eu').sql<
        { email_blind_index: Buffer }[]
      >`select email_blind_index from privacy_requests where id = ${requestId}`;
      const people = await peopleWithEmail(d.global().sql, row!.email_blind_index);
      expect(people.map((p) => p.customer_id)).toEqual([customerId]);
      await json(h.base, 'PUT', '/admin/identity-rules', {}, { authorization: `Bearer ${h.adminToken}` });
    });
  });

  describe('item 16: rate limits', () => {
    it('a spoofed X-Forwarded-For does not buy a client more requests when no proxy is trusted', async () => {
      const answers: number[] = [];
      for (let i = 0; i < PER_HOUR * 10 + 1; i++) {
        answers.push(
          (await file(`spoof.${i}@example.de`, { headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status,
        );
      }
      expect(answers.slice(0, PER_HOUR * 10).every((s) => s === 202)).toBe(true);
      expect(answers.at(-1)).toBe(429);
    });

    it('behind a trusted proxy, each client behind it has its own limit', async () => {
      const behindProxy = await anotherWeb({ MERIDIAN_TRUST_PROXY: '127.0.0.1' });
      const many = [];
      for (let i = 0; i < PER_HOUR * 10 + 1; i++) {
        many.push(
          (
            await file(`proxied.${i}@example.de`, {
              base: behindProxy,
              headers: { 'x-forwarded-for': `198.51.100.${i}` },
            })
          ).status,
        );
      }
      expect(many.every((s) => s === 202)).toBe(true);
      const one = [];
      for (let i = 0; i < PER_HOUR * 10 + 1; i++) {
        one.push(
          (
            await file(`same.client.${i}@example.de`, {
              base: behindProxy,
              headers: { 'x-forwarded-for': '198.51.100.200' },
            })
          ).status,
        );
      }
      expect(one.at(-1)).toBe(429);
      expect(one.filter((s) => s === 202)).toHaveLength(PER_HOUR * 10);
    });

    it('two web servers share one limit per email', async () => {
      const [first, second] = [await anotherWeb({}), await anotherWeb({})];
      const email = 'shared.limit@example.de';
      expect((await file(email, { base: first })).status).toBe(202);
      expect((await file(email, { base: second })).status).toBe(202);
      const third = await file(email, { base: first });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await file(email, { base: second })).status).toBe(429);
    });

    it('counts in fixed windows on the database clock, and sweeps counters whose window is over', async () => {
      const limiter = new SharedRateLimiter(d.global().sql, d.config.signingKeys, { windowSeconds: 1 });
      // Start just after a window boundary, so both hits land in the same one-second window.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 50));
      expect((await limiter.hit('window', 'a', 1)).allowed).toBe(true);
      const refused = await limiter.hit('window', 'a', 1);
      expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      expect((await limiter.hit('window', 'a', 1)).allowed).toBe(true);
      await d.global().sql`update rate_limit_counters set expires_at = now() - interval '1 second'`;
      expect(await sweepCounters(d.global().sql)).toBeGreaterThan(0);
      expect(await d.global().sql`select 1 from rate_limit_counters`).toHaveLength(0);
    });

    it('a flood of distinct keys does not reset anyone else’s count', async () => {
      const limiter = new SharedRateLimiter(d.global().sql, d.config.signingKeys, { frontCacheSize: 20 });
      for (let i = 0; i < 3; i++) await limiter.hit('test', 'victim', 2);
      expect((await limiter.hit('test', 'victim', 2)).allowed).toBe(false);
      // Far more distinct keys than the cache holds, each over its own limit so each is cached.
      for (let i = 0; i < 60; i++) for (let j = 0; j < 3; j++) await limiter.hit('test', `flood-${i}`, 2);
      expect(limiter.cachedRefusals).toBeLessThanOrEqual(20);
      expect((await limiter.hit('test', 'victim', 2)).allowed).toBe(false);
      // The store holds pseudonymous keys only.
      const keys = await d.global().sql<{ key: Buffer }[]>`select key from rate_limit_counters`;
      expect(keys.length).toBeGreaterThan(60);
      expect(keys.every((k) => k.key.length === 32)).toBe(true);
    });
  });

  describe('item 22: transport headers', () => {
    it('on an https deployment the anti-forgery cookie is Secure and __Host-, with HSTS; nosniff everywhere', async () => {
      const https = await anotherWeb({ MERIDIAN_PUBLIC_URL: 'https://privacy.example.test' });
      const form = await fetch(`${https}/privacy`);
      expect(form.headers.get('set-cookie')).toMatch(
        /^__Host-meridian_privacy_csrf=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict$/,
      );
      expect(form.headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect(form.headers.get('x-content-type-options')).toBe('nosniff');
      for (const url of ['/health', '/privacy/requests/pr_0000000000000000/exports/eu?token=x', '/no-such-route']) {
        const res = await fetch(`${https}${url}`);
        expect(res.headers.get('content-type'), url).toMatch(/json/);
        expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
        expect(res.headers.get('strict-transport-security'), url).toBe('max-age=31536000');
      }
      // The form still works with the prefixed cookie.
      const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const filed = await fetch(`${https}/privacy/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({
          csrf,
          type: 'access',
          email: 'https.form@example.de',
          country: 'DE',
          locale: 'en',
        }).toString(),
      });
      expect(filed.status).toBe(200);
      expect(await filed.text()).toContain(MESSAGES.en['checkEmail.title']);
      // Over plain http (this harness) no HSTS and no Secure cookie, which a browser would drop.
      const plain = await fetch(`${h.base}/privacy`);
      expect(plain.headers.get('strict-transport-security')).toBeNull();
      expect(plain.headers.get('set-cookie')).toMatch(
        /^meridian_privacy_csrf=[^;]+; Path=\/privacy; HttpOnly; SameSite=Strict$/,
      );
      expect((await fetch(`${h.base}/health`)).headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('item 23: mail and logs', () => {
    let silent: Server;
    beforeAll(async () => {
      silent = await holdPort();
    });
    afterAll(() => new Promise<void>((resolve) => silent.close(() => resolve())));

    it('a mail server that never answers: the portal says so in the requester’s language within the timeout', async () => {
      const port = (silent.address() as { port: number }).port;
      const web = await anotherWeb({ MERIDIAN_SMTP_URL: `smtp://127.0.0.1:${port}`, MERIDIAN_SMTP_TIMEOUT_MS: '500' });
      const startedAt = Date.now();
      const api = await file('slow.mail@example.de', { base: web });
      expect(api.status).toBe(503);
      expect(api.body.error).toMatch(/email could not be sent: our mail server is not answering/);
      expect(Date.now() - startedAt).toBeLessThan(5_000);

      // In a browser, in Japanese.
      const form = await fetch(`${web}/privacy?lang=ja`);
      const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const sent = await fetch(`${web}/privacy/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'accept-language': 'ja' },
        body: new URLSearchParams({
          csrf,
          type: 'access',
          email: 'slow.mail.ja@example.jp',
          country: 'JP',
          locale: 'ja',
        }).toString(),
        signal: AbortSignal.timeout(5_000),
      });
      expect(sent.status).toBe(503);
      const html = await sent.text();
      expect(html).toContain(MESSAGES.ja['error.mailUnavailable.title']);
      expect(html).toContain('lang="ja"');
    });

    it('an error whose message quotes an email is logged by class and code only', async () => {
      const logger = { lines: [] as string[] };
      const web = await anotherWeb({}, logger);
      // A preference link, validly signed, for a "customer ID" that is an email: the database refuses it and quotes it.
      const email = 'quoted.in.error@example.de';
      const expires = Math.floor(Date.now() / 1000) + 3600;
      const sig = preferenceSignature(d.config.signingKeys, email, 'eu', expires);
      const res = await fetch(
        `${web}/privacy/preferences/${encodeURIComponent(email)}?region=eu&expires=${expires}&sig=${encodeURIComponent(sig)}`,
        { headers: { accept: 'application/json' } },
      );
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain(email);
      // A path that matches no route is the client's text too.
      expect((await fetch(`${web}/unknown/${encodeURIComponent(email)}`)).status).toBe(404);
      const failed = logger.lines.filter((l) => l.includes('privacy portal request failed'));
      expect(failed).toHaveLength(1);
      expect(JSON.parse(failed[0]!).err).toMatchObject({ code: '22P02' });
      expect(logger.lines.join('\n')).not.toContain(email);
      expect(logger.lines.join('\n')).not.toContain(encodeURIComponent(email));
    });
  });
  describe('item 17: links and leftovers', () => {
    // A server of their own: the shared one's client counts (kept in memory too) are spent by the tests above.
    let web: string;
    beforeAll(async () => {
      web = await anotherWeb({});
    });

    it('the "completed" email links to a status page that opens (its link carries a token; it was a 403)', async () => {
      const filed = await file('completed.link@example.de', { base: web });
      expect(filed.status).toBe(202);
      const requestId: string = filed.body.requestId;
      const { code } = await emailOf(requestId, web);
      expect((await json(web, 'POST', `/privacy/requests/${requestId}/verify`, { code })).status).toBe(200);
      started.push(requestId);
      // The saga's mailer (the worker's), writing the "completed" note as the saga's last step does.
      await createPrivacyMailer(d.config)!.notify({
        to: 'completed.link@example.de',
        locale: 'de',
        kind: 'completed',
        requestId,
        idempotencyKey: `${requestId}:completed`,
      });
      const mail = await smtp.waitFor(
        (m) =>
          m.text.includes(requestId) &&
          m.text.includes(`/privacy/requests/${requestId}`) &&
          !/verify\?code=/.test(m.text),
        15_000,
      );
      const link = new URL(new RegExp(`https?://\\S+/privacy/requests/${requestId}\\S*`).exec(mail.text)![0]);
      const page = await fetch(`${web}${link.pathname}${link.search}`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
    });

    it('an access request with two packages in one region serves each package (not the first one twice)', async () => {
      const source = await h.createSource('two packages eu', 'eu');
      const people = [
        { userId: 'pkg-one', email: 'pkg.one@example.de' },
        { userId: 'pkg-two', email: 'pkg.two@example.de' },
      ];
      for (const p of people)
        expect(
          (await h.send(source.writeKey, '/v1/identify', { userId: p.userId, traits: { email: p.email } })).status,
        ).toBe(200);
      const customers = [];
      for (const p of people)
        customers.push(
          (await peopleWithEmail(d.global().sql, emailBlindIndex(d.config.identityHmacKey, p.email)!))[0]!.customer_id,
        );
      const filed = await file('pkg.one@example.de', { base: web });
      expect(filed.status).toBe(202);
      const requestId: string = filed.body.requestId;
      // Both profiles' packages built in eu, as the saga's buildExport does for each person found there.
      const activities = createPrivacyActivities({
        region: 'eu',
        sql: d.regional('eu').sql,
        regionKey: keyFromRef(d.config.regions.region('eu').keyRef, d.config.env),
        globalSql: d.global().sql,
      });
      for (const customerId of customers)
        await new MockActivityEnvironment().run(activities.buildExport, { requestId, customerId });

      const token = statusToken(d.config.signingKeys, requestId, new Date(Date.now() + 3_600_000));
      const status = await json(web, 'GET', `/privacy/requests/${requestId}?token=${encodeURIComponent(token)}`);
      expect(status.status).toBe(200);
      const links = (status.body.exports as { region: string; url: string }[]).filter((e) => e.region === 'eu');
      expect(links).toHaveLength(2);
      const userIds = [];
      for (const l of links) {
        const url = new URL(l.url);
        const res = await fetch(`${web}${url.pathname}${url.search}`);
        expect(res.status).toBe(200);
        const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
        const document = JSON.parse(strFromU8(files['meridian-export.json']!)) as {
          identifiers: { type: string; value: string }[];
        };
        userIds.push(document.identifiers.find((i) => i.type === 'user_id')?.value);
      }
      expect(userIds.sort()).toEqual(['pkg-one', 'pkg-two']);
    });

    it('a mail failure when filing leaves no orphan request behind', async () => {
      // A mail server that takes the connection and never answers.
      const silent = await holdPort();
      const web = await anotherWeb({
        MERIDIAN_SMTP_URL: `smtp://127.0.0.1:${(silent.address() as { port: number }).port}`,
        MERIDIAN_SMTP_TIMEOUT_MS: '500',
      });
      const email = 'orphan.request@example.de';
      expect((await file(email, { base: web })).status).toBe(503);
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      const index = emailBlindIndex(d.config.identityHmacKey, email)!;
      expect(
        await d.regional('eu').sql`select id from privacy_requests where email_blind_index = ${index}`,
      ).toHaveLength(0);
    });

    it('a wrong code says how many attempts are really left (it always said 1)', async () => {
      const filed = await file('wrong.code@example.de', { base: web });
      expect(filed.status).toBe(202);
      const requestId: string = filed.body.requestId;
      const { code, link } = await emailOf(requestId, web);
      const wrong = code === '000000' ? '111111' : '000000';
      const wrongLink = link.replace(/code=\d{6}/, `code=${wrong}`);
      const first = await pressTheButton(wrongLink);
      expect(first.status).toBe(400);
      expect(await first.text()).toContain('You have 4 attempts left.');
      const second = await pressTheButton(wrongLink);
      expect(await second.text()).toContain('You have 3 attempts left.');
      const api = await json(web, 'POST', `/privacy/requests/${requestId}/verify`, { code: wrong });
      expect(api.status).toBe(400);
      expect(api.body.error).toMatch(/2 attempts left/);
    });
  });
});
