import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import { bearerCaller } from '../support/admin-api';
import { createConsoleUser, signIn } from '../support/console';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

/**
 * What the console's screens read beyond definitions (issue 13): a segment's membership over
 * time, a journey's counts and conversion per node, and who gets a broadcast at which UTC
 * instant. Counts only. History rows are written straight into the region's tables (the past
 * cannot be produced any other way); people come in through the tracking API.
 */

const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
/** Noon UTC `daysAgo` days before today. */
const noonDaysAgo = (daysAgo: number) => {
  const today = new Date(new Date().toISOString().slice(0, 10)).getTime();
  return new Date(today - daysAgo * DAY + DAY / 2);
};
const dayOf = (daysAgo: number) => noonDaysAgo(daysAgo).toISOString().slice(0, 10);

describe('console screens: history, per-node counts, broadcast preview', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  let writeKey: string;
  let session: { cookie: string; csrfToken: string };
  let smtp: SmtpHarness;
  const call = bearerCaller(() => base);
  const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);
  const asGus = async (url: string) => {
    const res = await fetch(`${base}${url}`, { headers: { cookie: session.cookie } });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    smtp = await startSmtpServer();
    d = await createTestDeployment('consolescreens', { MERIDIAN_SMTP_URL: smtp.url });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    await createConsoleUser(d.global().sql, { email: 'gus@example.com', password: PASSWORD, role: 'analyst' });
    session = await signIn(base, 'gus@example.com', PASSWORD);
    expect((await admin('POST', '/admin/brands', { id: 'aurora', name: 'Aurora' })).status).toBe(201);
    const source = await admin('POST', '/admin/sources', { name: 'apac shop', region: 'apac', kind: 'server' });
    expect(source.status, source.text).toBe(201);
    writeKey = source.body.writeKey;
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
    await smtp?.close();
  });

  /** A segment no one matches by definition; its members are the stays the test writes. */
  const newSegment = async () => {
    const created = await admin('POST', '/admin/segments', {
      name: `s${randomUUID().slice(0, 8)}`,
      owner: 'group',
      brandId: 'aurora',
      definition: { type: 'order', count: { atLeast: 999 } },
    });
    expect(created.status, created.text).toBe(201);
    return created.body.segment.id as string;
  };
  const stay = (segmentId: string, customerId: string, enteredAt: Date, exitedAt: Date | null = null) =>
    d.regional('apac').sql`insert into segment_membership (segment_id, customer_id, version, entered_at, exited_at)
      values (${segmentId}, ${customerId}, 1, ${enteredAt.toISOString()}, ${exitedAt?.toISOString() ?? null})`;

  it("counts a segment's members at the end of each day, with entries and exits", async () => {
    const segmentId = await newSegment();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await stay(segmentId, a, noonDaysAgo(5));
    await stay(segmentId, b, noonDaysAgo(3), noonDaysAgo(1));
    await stay(segmentId, c, new Date(Math.min(Date.now() - 1000, noonDaysAgo(0).getTime())));
    // Another segment's stay does not count.
    await stay(await newSegment(), a, noonDaysAgo(4));

    const history = await asGus(`/admin/segments/${segmentId}/history?days=7`);
    expect(history.status, history.text).toBe(200);
    expect(history.body.days).toEqual([
      { day: dayOf(6), members: 0, entered: 0, exited: 0 },
      { day: dayOf(5), members: 1, entered: 1, exited: 0 },
      { day: dayOf(4), members: 1, entered: 0, exited: 0 },
      { day: dayOf(3), members: 2, entered: 1, exited: 0 },
      { day: dayOf(2), members: 2, entered: 0, exited: 0 },
      { day: dayOf(1), members: 1, entered: 0, exited: 1 },
      { day: dayOf(0), members: 2, entered: 1, exited: 0 },
    ]);
    const refused = await asGus(`/admin/segments/${segmentId}/history?days=400`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^query\.days: must be 1–366/);
  });

  it("counts a journey's runs per node: reached, converted, and each outcome", async () => {
    const template = await admin('POST', '/admin/templates', {
      id: 'screens_hello',
      brandId: 'aurora',
      name: 'Hello',
      channel: 'sms',
      defaultLocale: 'en',
      variants: { en: { body: 'Hello {{ first_name }}' } },
    });
    expect(template.status, template.text).toBe(201);
    const journey = await admin('POST', '/admin/journeys', {
      name: 'Screens',
      owner: 'group',
      brandId: 'aurora',
      graph: {
        entry: { type: 'event', event: 'Signed Up' },
        start: 'hello',
        nodes: {
          hello: { type: 'message', channel: 'sms', templateRef: 'screens_hello', next: 'again' },
          again: { type: 'message', channel: 'sms', templateRef: 'screens_hello', next: 'done' },
          done: { type: 'exit' },
        },
      },
    });
    expect(journey.status, journey.text).toBe(201);
    const journeyId = journey.body.journey.id as string;
    const sql = d.regional('apac').sql;
    // Three runs: one converted after both messages, one still on its way, one blocked at the first.
    const runs: [string, string, [string, string, string | null][]][] = [
      [
        'converted',
        'r1',
        [
          ['hello', 'sent', null],
          ['again', 'sent', null],
        ],
      ],
      ['active', 'r2', [['hello', 'sent', null]]],
      ['exited', 'r3', [['hello', 'blocked', 'consent-not-granted']]],
    ];
    for (const [status, run, steps] of runs) {
      const runId = `${journeyId}-${run}`;
      await sql`insert into journey_runs (run_id, journey_id, customer_id, key_hash, entry, version, status)
        values (${runId}, ${journeyId}, ${randomUUID()}, '', 1, 1, ${status})`;
      for (const [step, outcome, reason] of steps)
        await sql`insert into journey_step_outcomes (run_id, step, journey_id, outcome, reason)
          values (${runId}, ${step}, ${journeyId}, ${outcome}, ${reason})`;
    }
    const stats = await asGus(`/admin/journeys/${journeyId}/stats`);
    expect(stats.status, stats.text).toBe(200);
    expect(stats.body.total).toMatchObject({ entered: 3, converted: 1, active: 1 });
    expect(stats.body.total.nodes).toEqual({
      hello: { reached: 3, converted: 1, outcomes: { sent: 2, 'blocked:consent-not-granted': 1 } },
      again: { reached: 1, converted: 1, outcomes: { sent: 1 } },
    });
    expect(stats.body.regions.apac.nodes.hello.reached).toBe(3);
    expect(stats.body.regions.eu.nodes).toEqual({});
  });

  it('previews how many people get a broadcast at which UTC instant, by zone', async () => {
    const segmentId = await newSegment();
    const people: [string, string | undefined][] = [
      ['tokyo-1', 'Asia/Tokyo'],
      ['tokyo-2', 'Asia/Tokyo'],
      ['bangkok-1', 'Asia/Bangkok'],
      ['nowhere-1', undefined],
    ];
    for (const [userId, timezone] of people) {
      const sent = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({
          userId,
          messageId: `m-${userId}`,
          event: 'Viewed',
          context: timezone ? { timezone } : {},
        }),
      });
      expect(sent.status).toBe(200);
      const [person] = await d.regional('apac').sql<{ customer_id: string }[]>`
        select customer_id from events where message_id = ${`m-${userId}`} limit 1`;
      await stay(segmentId, person!.customer_id, noonDaysAgo(1));
    }
    const broadcast = await admin('POST', '/admin/broadcasts', {
      id: 'screens_preview',
      name: 'New year',
      region: 'apac',
      brandId: 'aurora',
      segmentId,
      channel: 'sms',
      templateRef: 'screens_hello',
      localTime: '10:00',
      localDate: '2099-01-01',
      whenPassed: 'skip',
      // People whose zone is unknown: Sydney, in summer time (UTC+11) on 1 January.
      fallbackZone: 'Australia/Sydney',
    });
    expect(broadcast.status, broadcast.text).toBe(201);

    const preview = await asGus('/admin/broadcasts/screens_preview/preview');
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.total).toBe(4);
    expect(preview.body.groups).toEqual([
      { zone: 'Australia/Sydney', at: '2098-12-31T23:00:00.000Z', count: 1 },
      { zone: 'Asia/Tokyo', at: '2099-01-01T01:00:00.000Z', count: 2 },
      { zone: 'Asia/Bangkok', at: '2099-01-01T03:00:00.000Z', count: 1 },
    ]);
    // Started at 02:00 UTC that day, Sydney's and Tokyo's 10:00 have passed: skipped, as chosen.
    const late = await asGus('/admin/broadcasts/screens_preview/preview?startAt=2099-01-01T02:00:00Z');
    expect(late.body.groups).toEqual([
      { zone: 'Asia/Bangkok', at: '2099-01-01T03:00:00.000Z', count: 1 },
      { zone: 'Asia/Tokyo', at: null, skipped: 'time-passed', count: 2 },
      { zone: 'Australia/Sydney', at: null, skipped: 'time-passed', count: 1 },
    ]);
    expect((await asGus('/admin/broadcasts/screens_preview/preview?startAt=tomorrow')).status).toBe(400);
  });

  it("sends an email template to the signed-in user's own address, and audits it", async () => {
    const mia = await createConsoleUser(d.global().sql, {
      email: 'mia@example.com',
      password: PASSWORD,
      role: 'brand_marketer',
      brands: ['aurora'],
      regions: ['apac'],
      locale: 'ja',
    });
    const template = await admin('POST', '/admin/templates', {
      id: 'screens_welcome',
      brandId: 'aurora',
      name: 'Welcome',
      channel: 'email',
      defaultLocale: 'en',
      variants: {
        en: { subject: 'Welcome, {{ first_name }}', body: '<p>Hello {{ first_name }}</p>' },
        ja: { subject: 'ようこそ {{ first_name }} さん', body: '<p>こんにちは {{ first_name }} さん</p>' },
      },
    });
    expect(template.status, template.text).toBe(201);
    const signedIn = await signIn(base, 'mia@example.com', PASSWORD);
    const send = (id: string, body: unknown, who: { cookie: string; csrfToken: string } = signedIn) =>
      fetch(`${base}/admin/templates/${id}/test-send`, {
        method: 'POST',
        headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const sent = await send('screens_welcome', {});
    expect(sent.status, await sent.clone().text()).toBe(202);
    expect(await sent.json()).toEqual({ to: 'mia@example.com', ref: 'screens_welcome:v1', variantLocale: 'ja' });
    const mail = smtp.messages.filter((m) => m.envelope.to.includes('mia@example.com'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe('[test] ようこそ [first_name] さん');
    // In English when asked; each click is a new message.
    expect((await send('screens_welcome', { locale: 'en' })).status).toBe(202);
    expect(smtp.messages.filter((m) => m.envelope.to.includes('mia@example.com')).map((m) => m.subject)).toEqual([
      '[test] ようこそ [first_name] さん',
      '[test] Welcome, [first_name]',
    ]);

    // Audited in the user's region, and only there.
    const audit = (region: string) =>
      d.regional(region).sql<{ actor: string; action: string; fields: string[] }[]>`
        select actor, action, fields from personal_data_access_audit where action = 'template.test-send'`;
    expect(await audit('apac')).toEqual([
      { actor: `user:${mia.id}`, action: 'template.test-send', fields: ['template:screens_welcome:v1'] },
      { actor: `user:${mia.id}`, action: 'template.test-send', fields: ['template:screens_welcome:v1'] },
    ]);
    expect(await audit('eu')).toEqual([]);

    // An SMS template, a token (no one to send to), an analyst (may not write templates): refused.
    const sms = await send('screens_hello', {});
    expect(sms.status).toBe(400);
    expect(((await sms.json()) as { error: string }).error).toMatch(/only email templates/);
    const byToken = await admin('POST', '/admin/templates/screens_welcome/test-send', {});
    expect(byToken.status).toBe(400);
    expect(byToken.body.error).toMatch(/signed-in console user/);
    expect((await send('screens_welcome', {}, session)).status).toBe(403);
    expect(smtp.messages.filter((m) => m.envelope.to.includes('mia@example.com'))).toHaveLength(2);
  });
});
