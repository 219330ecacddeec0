import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONSOLE_MESSAGES } from '../../domain/console-messages';
import type { ConsoleRole } from '../../domain/console-access';
import { describeInBrowser } from '../support/browser';
import { createConsoleUser } from '../support/console';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { type IngestionHarness, startIngestion } from '../support/ingestion';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

/**
 * The console (issue 13) in headless Chromium, against a real deployment: each role signs in and
 * sees only its screens; an apac market marketer builds a segment whose live count is the preview
 * API's, and a journey with a Japanese template that it publishes; HQ sees revenue by market that
 * matches a SQL sum over the orders; a privacy officer completes a manual task and downloads the
 * certificate; the interface switches to Arabic (right to left) and to Chinese. Every screen is
 * checked with axe (no serious or critical violation) and photographed into test-artifacts/console/.
 */

const en = CONSOLE_MESSAGES.catalogues.en;
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'correct horse battery staple';

const USERS: { role: ConsoleRole; email: string; regions: '*' | string[]; locale: string; timeZone: string }[] = [
  { role: 'group_admin', email: 'hq@example.com', regions: '*', locale: 'en', timeZone: 'Europe/London' },
  { role: 'market_marketer', email: 'apac@example.com', regions: ['apac'], locale: 'en', timeZone: 'Asia/Tokyo' },
  { role: 'brand_marketer', email: 'brand@example.com', regions: '*', locale: 'en', timeZone: 'Europe/Paris' },
  { role: 'analyst', email: 'analyst@example.com', regions: '*', locale: 'en', timeZone: 'America/New_York' },
  { role: 'privacy_officer', email: 'dpo@example.com', regions: '*', locale: 'en', timeZone: 'Europe/Berlin' },
  { role: 'operator', email: 'ops@example.com', regions: '*', locale: 'en', timeZone: 'UTC' },
];
const emailOf = (role: ConsoleRole) => USERS.find((u) => u.role === role)!.email;

/** Which screens each role's navigation offers (domain/console-access.ts ROLE_CAPABILITIES). */
const SCREENS = ['insights', 'market', 'profiles', 'segments', 'journeys', 'privacy', 'connectors'] as const;
const SEES: Record<ConsoleRole, (typeof SCREENS)[number][]> = {
  group_admin: [...SCREENS],
  brand_marketer: ['insights', 'market', 'profiles', 'segments', 'journeys'],
  market_marketer: ['insights', 'market', 'profiles', 'segments', 'journeys'],
  analyst: ['insights', 'market', 'profiles', 'segments', 'journeys'],
  privacy_officer: ['profiles', 'privacy'],
  operator: ['privacy', 'connectors'],
};

/** The API each screen reads first: the server must refuse it to a role whose screen is hidden. */
const API_OF: Record<(typeof SCREENS)[number], string> = {
  insights: '/admin/insights',
  market: '/admin/insights',
  profiles: '/admin/profiles/00000000-0000-4000-8000-000000000000',
  segments: '/admin/segments',
  journeys: '/admin/journeys',
  privacy: '/admin/privacy-requests',
  connectors: '/admin/connectors',
};

describeInBrowser('the console in a browser', (chromiumPath) => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let requestId = '';
  let goldSegment = '';

  async function signedIn(role: ConsoleRole): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[${role}] page error: ${error.message}`));
    await page.goto(`${h.base}/console`);
    await page.fill('#email', emailOf(role));
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav ul');
    return page;
  }

  async function open(page: Page, screen: (typeof SCREENS)[number]): Promise<void> {
    await page.click(`nav a[href="/console/${screen}"]`);
    await page.waitForURL(`**/console/${screen}`);
  }

  /** axe on the page as it is: no serious or critical violation; then a screenshot for the record. */
  async function audit(page: Page, name: string): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: any[] }> } }).axe;
      const result = await axe.run();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n: { target: string[] }) => n.target.join(' ')).join(', ')})`);
    });
    expect(violations, `axe on ${name}`).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    const executablePath = chromiumPath();
    smtp = await startSmtpServer();
    d = await createTestDeployment('console', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: '2',
      MERIDIAN_TEMPORAL_UI_URL: 'http://localhost:8233/namespaces/meridian',
    });
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    h = await startIngestion(d);
    for (const u of USERS)
      await createConsoleUser(d.global().sql, { ...u, password: PASSWORD, displayName: u.role.replace('_', ' ') });

    // People in Japan (apac) and Germany (eu), with orders; two Japanese gold members.
    const apac = await h.createSource('console apac', 'apac');
    const eu = await h.createSource('console eu', 'eu');
    const people = [
      {
        id: 'jp-1',
        country: 'JP',
        zone: 'Asia/Tokyo',
        plan: 'gold',
        source: apac,
        region: 'apac',
        orders: [12000, 3400],
      },
      { id: 'jp-2', country: 'JP', zone: 'Asia/Tokyo', plan: 'gold', source: apac, region: 'apac', orders: [8800] },
      { id: 'jp-3', country: 'JP', zone: 'Asia/Tokyo', plan: 'basic', source: apac, region: 'apac', orders: [] },
      { id: 'de-1', country: 'DE', zone: 'Europe/Berlin', plan: 'gold', source: eu, region: 'eu', orders: [4999] },
      {
        id: 'de-2',
        country: 'DE',
        zone: 'Europe/Berlin',
        plan: 'basic',
        source: eu,
        region: 'eu',
        orders: [1250, 777],
      },
      // The one who asks to be deleted: no orders, so the erasure leaves the revenue figures alone.
      { id: 'de-3', country: 'DE', zone: 'Europe/Berlin', plan: 'basic', source: eu, region: 'eu', orders: [] },
    ];
    for (const p of people) {
      const sent = await h.send(p.source.writeKey, '/v1/identify', {
        userId: `console-${p.id}`,
        traits: { email: `${p.id}@example.com`, plan: p.plan, first_name: p.id },
        context: { location: { country: p.country }, timezone: p.zone },
      });
      expect(sent.status).toBe(200);
    }
    for (const p of people) {
      let found = '';
      await eventually(async () => {
        const r = await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: `console-${p.id}` });
        expect(r.status).toBe(200);
        found = r.body.customerId as string;
      }, 20_000);
      // Their consent, with the country it was given in: the market a segment matches them by.
      const consent = await h.admin('PUT', `/admin/profiles/${found}/consent`, {
        country: p.country,
        records: [
          {
            purpose: 'smsMarketing',
            state: 'granted',
            at: '2026-11-01T09:00:00Z',
            proof: { kind: 'checkout-checkbox', reference: `co-${p.id}` },
          },
        ],
      });
      expect(consent.status, JSON.stringify(consent.body)).toBeLessThan(300);
      for (const [i, total] of p.orders.entries()) {
        await d.regional(p.region).sql`
          insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency,
            reporting_total_minor, placed_at, time_zone, local_date, local_hour, status, country_code,
            line_item_count, source_updated_at)
          values (${p.source.id}, ${`${p.id}-${i}`}, ${found}, 'EUR', ${total}, 'EUR', ${total},
            now() - interval '3 days', ${p.zone}, current_date - 3, 11, 'closed', ${p.country}, 1, now())`;
      }
    }

    // A deletion request whose call-centre step is done by hand (a manual connector in eu).
    expect(
      (
        await h.admin('POST', '/admin/connectors', {
          id: 'eu_callcentre',
          name: 'Call centre CRM',
          region: 'eu',
          system: 'manual',
          settings: { instructions: 'In the CRM: search by email, then Delete contact', operations: ['erase'] },
          credentials: {},
        })
      ).status,
    ).toBe(201);
    const filed = await fetch(`${h.base}/privacy/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'deletion', email: 'de-3@example.com', country: 'DE', locale: 'de' }),
    });
    requestId = ((await filed.json()) as { requestId: string }).requestId;
    const mail = await smtp.waitFor((m) => m.text.includes(requestId), 15_000);
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
    const verified = await fetch(`${h.base}/privacy/requests/${requestId}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(verified.status).toBe(200);

    // The insight aggregates, computed now rather than on their schedule.
    expect((await h.admin('POST', '/admin/insights/refresh')).status).toBe(202);
    // The orders above were placed three days ago: a range of the last week holds them.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    await eventually(async () => {
      const insights = await h.admin('GET', `/admin/insights?from=${day(7)}&to=${day(0)}`);
      expect(insights.status, JSON.stringify(insights.body)).toBe(200);
      expect(insights.body.markets.map((m: { market: string }) => m.market)).toEqual(
        expect.arrayContaining(['JP', 'DE']),
      );
    }, 60_000);

    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await h?.close();
    await d?.close();
    await smtp?.close();
  });

  it('serves the app with a strict Content-Security-Policy, hashed assets cached for a year, and index.html for any screen', async () => {
    const page = await fetch(`${h.base}/console/segments`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await page.text();
    expect(html).toContain('content="http://localhost:8233/namespaces/meridian"');
    const asset = /\/console\/assets\/index-[\w-]+\.js/.exec(html)![0];
    const js = await fetch(`${h.base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${h.base}/console/api/no-such-thing`)).status).toBe(404);
  });

  it.each(USERS.map((u) => u.role))('signs in as %s and shows only what that role may see', async (role) => {
    const page = await signedIn(role);
    const links = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(SEES[role].map((s) => `/console/${s}`));
    // A screen the role may not open, typed into the address bar, says so; the API refuses it too.
    for (const hidden of SCREENS.filter((s) => !SEES[role].includes(s))) {
      await page.goto(`${h.base}/console/${hidden}`);
      await expect.poll(() => page.textContent('main')).toContain(en['common.notAllowed']);
      const status = await page.evaluate(async (url) => (await fetch(url)).status, API_OF[hidden]);
      expect(status, `${role} GET ${API_OF[hidden]}`).toBe(403);
    }
    // An analyst reads segments and journeys but has no button to change them.
    if (role === 'analyst') {
      await page.goto(`${h.base}/console/segments`);
      await page.waitForSelector('h1');
      expect(await page.$(`button:has-text("${en['segments.create']}")`)).toBeNull();
      await page.goto(`${h.base}/console/journeys`);
      await page.waitForSelector('.graph');
      expect(await page.$(`button:has-text("${en['journeys.publish']}")`)).toBeNull();
    }
  });

  it('shows HQ revenue by market in the reporting currency, matching a SQL sum over the orders', async () => {
    const page = await signedIn('group_admin');
    await open(page, 'insights');
    await page.waitForSelector('table.markets tbody tr');
    const shown = await page.$$eval('table.markets tbody tr', (rows) =>
      rows.map((r) => [
        r.getAttribute('data-market')!,
        Number(r.querySelector('[data-revenue]')!.getAttribute('data-revenue')),
      ]),
    );
    const byMarket = new Map<string, number>();
    for (const [market, revenue] of shown)
      byMarket.set(market as string, (byMarket.get(market as string) ?? 0) + (revenue as number));
    for (const region of ['eu', 'apac']) {
      const sums = await d.regional(region).sql<{ market: string; revenue: string }[]>`
        select country_code as market, sum(reporting_total_minor)::text as revenue from orders group by country_code`;
      for (const s of sums) expect(byMarket.get(s.market)).toBeCloseTo(Number(s.revenue) / 100, 2);
    }
    expect(byMarket.get('JP')).toBeCloseTo(242, 2);
    // The figure is written in the reporting currency, in the user's locale.
    expect(await page.textContent('table.markets tr[data-market="JP"]')).toContain('€242.00');
    expect(await page.$$('table.markets + *, .card a.csv')).not.toHaveLength(0);
    const csvHref = await page.getAttribute('a.csv >> nth=0', 'href');
    const csv = await page.evaluate(async (url) => (await fetch(url!)).text(), csvHref);
    expect(csv).toContain('JP');
    await audit(page, '1-insights');
    await page.goto(`${h.base}/console/market/JP`);
    await page.waitForSelector('table.markets tbody tr');
    expect(
      await page.$$eval('table.markets tbody tr', (rows) => rows.map((r) => r.getAttribute('data-market'))),
    ).toEqual(expect.arrayContaining(['JP']));
    await audit(page, '2-market');
    await open(page, 'connectors');
    await page.waitForSelector('h2');
    await audit(page, '7-connectors');
  });

  it('lets an apac market marketer build a segment whose live count is the API preview', async () => {
    const page = await signedIn('market_marketer');
    await open(page, 'segments');
    await page.fill('[data-role=countries]', 'JP');
    await page.click(`button:has-text("${en['segments.add']}")`);
    await page.fill('fieldset.condition >> nth=1 >> [data-role=key]', 'plan');
    await page.fill('fieldset.condition >> nth=1 >> [data-role=value]', 'gold');
    await expect.poll(() => page.getAttribute('[data-live-count]', 'data-live-count'), { timeout: 15_000 }).toBe('2');
    const definition = JSON.parse((await page.textContent('[data-definition]'))!);
    expect(definition).toEqual({
      all: [
        { type: 'market', countries: ['JP'] },
        { type: 'trait', key: 'plan', op: 'eq', value: 'gold' },
      ],
    });
    const preview = await h.admin('POST', '/admin/segments/preview', { definition, owner: 'apac' });
    expect(preview.status).toBe(200);
    expect(Number(await page.getAttribute('[data-live-count]', 'data-live-count'))).toBe(preview.body.total);
    expect(await page.textContent('[data-region-count=apac]')).toContain(String(preview.body.regions.apac));
    await page.getByLabel(en['common.name'], { exact: true }).first().fill('Gold members in Japan');
    await page.click(`button:has-text("${en['segments.create']}")`);
    const saved = /Segment (seg_[0-9a-f]{16}) saved/;
    await expect.poll(() => page.textContent('main')).toMatch(saved);
    const segmentId = saved.exec((await page.textContent('main'))!)![1]!;
    // The list of segments on screen is read again after the save: the new one is in it.
    const existing = page.locator('section', { has: page.locator(`h2:has-text("${en['segments.existing']}")`) });
    const listed = existing.locator('tbody tr', { hasText: segmentId });
    await expect.poll(() => listed.count(), { timeout: 10_000 }).toBe(1);
    expect(await listed.textContent()).toContain('Gold members in Japan');
    expect(await listed.textContent()).toContain('apac');
    expect((await h.admin('GET', `/admin/segments/${segmentId}`)).body.segment).toMatchObject({
      name: 'Gold members in Japan',
      owner: 'apac',
      definition,
    });
    goldSegment = segmentId;
    // Membership over time: once the region has computed the members, today's row counts them.
    await expect
      .poll(async () => (await h.admin('GET', `/admin/segments/${segmentId}/counts`)).body.total, { timeout: 30_000 })
      .toBe(2);
    await listed.locator('button').click();
    const today = page.locator(`[data-history="${segmentId}"] tbody tr`).last();
    await expect.poll(() => today.locator('td').first().textContent(), { timeout: 10_000 }).toBe('2');
    await audit(page, '4-segments');
  });

  it('lets HQ write a Japanese SMS template, previewed with its SMS segment count', async () => {
    const page = await signedIn('group_admin');
    await open(page, 'journeys');
    const body = 'こんにちは、{{ traits.first_name }} さん。ご登録ありがとうございます。';
    await page.getByLabel(en['templates.id']).fill('welcome-ja');
    await page.getByLabel(en['templates.locale']).fill('ja');
    await page.getByLabel(en['templates.body']).fill(body);
    await expect
      .poll(() => page.textContent('[data-preview]'))
      .toBe('こんにちは、Aiko さん。ご登録ありがとうございます。');
    expect(await page.getAttribute('[data-sms-segments]', 'data-sms-segments')).toBe('1');
    expect(await page.textContent('[data-sms-segments]')).toContain('UCS-2');
    await page.click(`button:has-text("${en['templates.save']}")`);
    await expect
      .poll(() => page.textContent('main'))
      .toContain(CONSOLE_MESSAGES.t('en', 'templates.saved', { id: 'welcome-ja', version: 1 }));
    expect((await h.admin('GET', '/admin/templates/welcome-ja')).body.template.variants.ja.body).toBe(body);

    // An email template, sent as a test to the signed-in user's own address.
    const templates = page.getByRole('region', { name: en['templates.title'] });
    await templates.getByLabel(en['templates.id']).fill('welcome-mail');
    await templates.getByLabel(en['templates.channel']).selectOption('email');
    await templates.getByLabel(en['templates.subject']).fill('ようこそ {{ first_name }} さん');
    await page.click(`button:has-text("${en['templates.save']}")`);
    await expect
      .poll(() => page.textContent('main'))
      .toContain(CONSOLE_MESSAGES.t('en', 'templates.saved', { id: 'welcome-mail', version: 1 }));
    await page.click(`button:has-text("${en['templates.testSend']}")`);
    const test = await smtp.waitFor((m) => m.envelope.to.includes(emailOf('group_admin')), 15_000);
    expect(test.subject).toBe('[test] ようこそ [first_name] さん');
    await expect
      .poll(() => page.textContent('main'))
      .toContain(
        CONSOLE_MESSAGES.t('en', 'templates.testSent', { ref: 'welcome-mail:v1', email: emailOf('group_admin') }),
      );
  });

  it('lets the apac marketer build a journey with the Japanese template and publish it', async () => {
    const page = await signedIn('market_marketer');
    await open(page, 'journeys');
    await page.waitForSelector('.graph .react-flow__node');
    const editor = page.locator('section', { has: page.locator(`h2:has-text("${en['journeys.editor']}")`) });
    await editor.getByLabel(en['common.name']).fill('Welcome (Japan)');
    await editor.getByLabel(en['journeys.entryEvent']).fill('Signed Up');
    await page.selectOption('[data-role=node]', 'welcome');
    await page.selectOption('[data-role=template]', 'welcome-ja');
    await page.click(`button:has-text("${en['journeys.publish']}")`);
    // The id from the confirmation (the list above it runs the id into the next cell's text).
    const published = /Journey (jr_[0-9a-f]{16}) published/;
    await expect.poll(() => page.textContent('main')).toMatch(published);
    const journeyId = published.exec((await page.textContent('main'))!)![1];
    const journey = await h.admin('GET', `/admin/journeys/${journeyId}`);
    expect(journey.body.journey).toMatchObject({ owner: 'apac', status: 'active', name: 'Welcome (Japan)' });
    expect(journey.body.journey.graph.nodes.welcome).toMatchObject({ type: 'message', templateRef: 'welcome-ja' });
    // The journey being edited shows its per-node counts (none yet: no one has entered).
    await expect.poll(() => page.locator('[data-node-counts] tbody tr', { hasText: 'welcome' }).count()).toBe(1);

    // A broadcast to the gold members at 10:00 local time: the preview says who gets it at which UTC instant.
    const broadcast = await h.admin('POST', '/admin/broadcasts', {
      id: 'gold_new_year',
      name: 'Gold new year',
      region: 'apac',
      brandId: journey.body.journey.brandId,
      segmentId: goldSegment,
      channel: 'sms',
      templateRef: 'welcome-ja',
      localTime: '10:00',
      localDate: '2099-01-01',
      whenPassed: 'skip',
      fallbackZone: 'Asia/Singapore',
    });
    expect(broadcast.status).toBe(201);
    await page.reload();
    await page.click(`button:has-text("${en['broadcasts.preview']}")`);
    const preview = page.locator('[data-broadcast-preview="gold_new_year"] tbody tr');
    await expect.poll(() => preview.first().textContent(), { timeout: 10_000 }).toContain('2099-01-01 01:00 UTC');
    expect(await preview.first().textContent()).toContain('Asia/Tokyo');
    expect(await preview.first().locator('td').last().textContent()).toBe('2');
    await audit(page, '5-journeys');
  });

  it('lets a privacy officer complete a manual task and download the certificate', async () => {
    const page = await signedIn('privacy_officer');
    await open(page, 'privacy');
    await page.click(`tr[data-request="${requestId}"] button`);
    const done = page.locator('tr[data-system=eu_callcentre] button');
    await eventually(async () => {
      await page.click(`button:has-text("${en['common.refresh']}") >> nth=1`);
      expect(await done.count()).toBe(1);
    }, 60_000);
    await done.click();
    await expect.poll(() => page.textContent('main')).toContain(en['privacy.completed']);
    await eventually(async () => {
      await page.click(`button:has-text("${en['common.refresh']}") >> nth=1`);
      expect(await page.textContent('[data-request-status]')).toMatch(/^completed/);
      expect(await page.$('a.certificate')).not.toBeNull();
    }, 60_000);
    await page.waitForLoadState('networkidle');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.certificate').click()]);
    const certificate = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      systems: { system: string; status: string }[];
    };
    expect(certificate.systems.map((s) => `${s.system}:${s.status}`)).toEqual(
      expect.arrayContaining(['manual:done', 'meridian:done']),
    );
    // Evidence, not personal data: the certificate names systems and outcomes, never the person's email.
    expect(readFileSync((await download.path())!, 'utf8')).not.toContain('de-3@example.com');
    await audit(page, '6-privacy');
    await open(page, 'profiles');
    await page.getByLabel(en['profiles.type'], { exact: true }).selectOption('user_id');
    await page.getByLabel(en['profiles.value'], { exact: true }).fill('console-jp-1');
    await page.click(`button:has-text("${en['profiles.search']}")`);
    await page.waitForSelector('[data-customer-id]');
    await audit(page, '3-profiles');
  });

  it('switches to Arabic, right to left, and to Chinese, and keeps the choice', async () => {
    const page = await signedIn('analyst');
    await page.selectOption('#language', 'ar');
    await expect.poll(() => page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    expect(await page.textContent('nav a[href="/console/insights"]')).toBe(
      CONSOLE_MESSAGES.catalogues.ar['nav.insights'],
    );
    await open(page, 'segments');
    await page.waitForSelector('fieldset.condition');
    expect(await page.textContent('h1')).toBe(CONSOLE_MESSAGES.catalogues.ar['segments.title']);
    await audit(page, 'segments-ar');
    await open(page, 'insights');
    await page.waitForSelector('table.markets tbody tr');
    await audit(page, 'insights-ar');
    await page.selectOption('#language', 'zh-Hans');
    await expect.poll(() => page.getAttribute('html', 'dir')).toBe('ltr');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-Hans');
    await page.reload();
    await expect
      .poll(() => page.textContent('nav a[href="/console/insights"]'))
      .toBe(CONSOLE_MESSAGES.catalogues['zh-Hans']['nav.insights']);
    await page.waitForSelector('table.markets tbody tr');
    await audit(page, 'insights-zh-Hans');
  });
});
