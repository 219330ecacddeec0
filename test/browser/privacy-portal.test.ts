import { Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MESSAGES } from '../../domain/privacy-messages';
import { KlaviyoEmulator, startKlaviyoEmulator } from '../emulators/klaviyo';
import { MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { startTwilioEmulator, TwilioEmulator } from '../emulators/twilio';
import { describeInBrowser } from '../support/browser';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { SmtpHarness, startSmtpServer } from '../support/smtp';
import { privacyRequestHandle } from '../../temporal/processes/privacy-request';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * The privacy portal in headless Chromium, in German: a person files a deletion request, reads the
 * verification email from the local SMTP server, follows its link, confirms on the page it opens,
 * and watches the saga complete
 * on the status page; every emulated system received its delete call and the certificate lists
 * each one.
 */

const de = MESSAGES.de;
const SID = `AC${'c3'.repeat(16)}`;

describeInBrowser('privacy portal in a browser', (chromiumPath) => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let browser: Browser;
  let klaviyo: KlaviyoEmulator;
  let meta: MetaEmulator;
  let shopify: ShopifyEmulator;
  let twilio: TwilioEmulator;
  const email = 'jana.schroeder@example.de';
  const phone = '+4917612345678';

  beforeAll(async () => {
    const executablePath = chromiumPath(); // first: without a browser, fail before setting up
    smtp = await startSmtpServer();
    d = await createTestDeployment('portal', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: '2',
    });
    klaviyo = await startKlaviyoEmulator({ apiKey: 'pk_portal', deletionDelayMs: 1000, rateLimit: false });
    meta = await startMetaEmulator({ accessToken: 'meta-portal', adAccountId: '4242' });
    shopify = await startShopifyEmulator({
      accessToken: 'shpat_portal',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: 'portal',
    });
    twilio = await startTwilioEmulator({ accountSid: SID, authToken: 'twilio-portal' });
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    h = await startIngestion(d);
    for (const c of [
      {
        id: 'shop',
        system: 'shopify',
        settings: { shopUrl: shopify.baseUrl, timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_portal' },
      },
      {
        id: 'klaviyo',
        system: 'klaviyo',
        settings: { baseUrl: klaviyo.baseUrl, deletionCheckSeconds: 1, jobCheckSeconds: 1 },
        credentials: { apiKey: 'pk_portal' },
      },
      {
        id: 'meta',
        system: 'meta_audiences',
        settings: { baseUrl: meta.baseUrl, adAccountId: '4242', audienceIds: ['31337'] },
        credentials: { accessToken: 'meta-portal' },
      },
      {
        id: 'twilio',
        system: 'twilio',
        settings: { accountSid: SID, baseUrl: twilio.baseUrl },
        credentials: { authToken: 'twilio-portal' },
      },
    ]) {
      expect((await h.admin('POST', '/admin/connectors', { ...c, name: c.id, region: 'eu' })).status).toBe(201);
    }
    const source = await h.createSource('portal shop', 'eu');
    shopify.addCustomers([{ id: 7_320_000_001, email, first_name: 'Jana', last_name: 'Schröder' }]);
    expect(
      (
        await h.send(source.writeKey, '/v1/identify', {
          userId: 'jana',
          traits: { email, phone, name: 'Jana Schröder' },
          context: {
            location: { country: 'DE' },
            externalIds: [{ id: '7320000001', type: 'shopify_customer', encoding: 'none', collection: 'users' }],
          },
        })
      ).status,
    ).toBe(200);
    klaviyo.seedProfile({ email, phone_number: phone, first_name: 'Jana', subscribed: true });
    meta.createAudience('31337', [{ email, phone }]);
    twilio.seedMessages([{ to: phone, from: '+4930555000', body: 'Ihre Bestellung ist unterwegs' }]);
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await d?.close();
    await Promise.all([klaviyo?.close(), meta?.close(), shopify?.close(), twilio?.close(), smtp?.close()]);
  });

  it('files a deletion request in German, verifies it by email, and sees it completed', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${h.base}/privacy`);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.check('#type-deletion');
    await page.fill('#email', email);
    await page.selectOption('#country', 'DE');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('h1')).toBe(de['checkEmail.title']);

    const mail = await smtp.waitFor((m) => m.to.includes(email), 15_000);
    const link = /https?:\/\/\S+\/privacy\/requests\/pr_[0-9a-f]{16}\/verify\?code=\d{6}/.exec(mail.text)![0];
    const requestId = /pr_[0-9a-f]{16}/.exec(link)![0];
    // The link names MERIDIAN_PUBLIC_URL; this test's server listens on a port of its own.
    const url = new URL(link);
    await page.goto(`${h.base}${url.pathname}${url.search}`);
    // Opening the link confirms nothing (a mail scanner opens links too): the page asks, the button confirms.
    await expect.poll(() => page.textContent('h1')).toBe(de['verify.confirm.title']);
    await page.click(`button:has-text("${de['verify.confirm.submit']}")`);
    await expect.poll(() => page.textContent('h1')).toBe(de['status.title']);

    await privacyRequestHandle(d.client, requestId).result();
    await eventually(async () => {
      await page.reload();
      expect(await page.textContent('body')).toContain(de['status.state.completed']);
    }, 30_000);
    const rows = await page.$$eval('table.systems tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), tr.querySelector('td')!.textContent!.trim()]),
    );
    expect(rows.map(([system]) => system).sort()).toEqual([
      'Meridian (eu)',
      'klaviyo',
      'meta_audiences',
      'shopify',
      'twilio',
    ]);
    expect(rows.every(([, status]) => status === de['system.status.done'])).toBe(true);

    // Every emulated system received its delete call.
    expect(shopify.requests.some((r) => r.method === 'DELETE' && r.path.includes('/customers/7320000001'))).toBe(true);
    expect(klaviyo.requests.some((r) => r.method === 'POST' && r.path.includes('data-privacy-deletion-jobs'))).toBe(
      true,
    );
    expect(meta.requests.some((r) => r.method === 'DELETE' && r.path.includes('/31337/users'))).toBe(true);
    expect(twilio.requests.some((r) => r.method === 'DELETE')).toBe(true);
    // The certificate lists each system.
    const status = (await (
      await fetch(`${h.base}${new URL(page.url()).pathname}${new URL(page.url()).search}`, {
        headers: { accept: 'application/json' },
      })
    ).json()) as {
      certificate: { systems: { system: string; status: string }[] };
    };
    expect(status.certificate.systems.map((s) => `${s.system}:${s.status}`).sort()).toEqual([
      'klaviyo:done',
      'meridian:done',
      'meta_audiences:done',
      'shopify:done',
      'twilio:done',
    ]);
    await context.close();
  }, 120_000);

  it('lets a person withdraw consent in the preference centre (in French) and shows it reach each system', async () => {
    const lucie = 'lucie.martin@example.fr';
    const source = await h.createSource('portal prefs', 'eu');
    expect(
      (
        await h.send(source.writeKey, '/v1/identify', {
          userId: 'lucie',
          traits: { email: lucie },
          context: { location: { country: 'FR' } },
        })
      ).status,
    ).toBe(200);
    const customerId: string = (await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: lucie })).body
      .customerId;
    klaviyo.seedProfile({ email: lucie, subscribed: true });
    // She opted in to emails and personalised ads at checkout.
    const granted = await h.admin('PUT', `/admin/profiles/${customerId}/consent`, {
      country: 'FR',
      records: [
        {
          purpose: 'emailMarketing',
          state: 'granted',
          at: '2025-06-01T09:00:00Z',
          proof: { kind: 'checkout-checkbox', reference: 'co-1' },
        },
        {
          purpose: 'personalisedAds',
          state: 'granted',
          at: '2025-06-01T09:00:00Z',
          proof: { kind: 'checkout-checkbox', reference: 'co-1' },
        },
      ],
    });
    await d.client.workflow.getHandle(granted.body.propagation.workflowId).result();
    const link = await h.admin('POST', `/admin/profiles/${customerId}/preference-link`, {});
    expect(link.status).toBe(200);
    const url = new URL(link.body.url);

    const fr = MESSAGES.fr;
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${h.base}${url.pathname}${url.search}`);
    expect(await page.textContent('h1')).toBe(fr['prefs.title']);
    expect(await page.isChecked('#emailMarketing-granted')).toBe(true);
    await page.check('#emailMarketing-denied');
    await page.check('#personalisedAds-denied');
    await page.click('button[type=submit]');
    await eventually(async () => {
      await page.reload();
      const rows = await page.$$eval('table.systems tbody tr', (trs) =>
        trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), tr.querySelector('td')!.textContent!.trim()]),
      );
      // Klaviyo and Meta acted on it; the store had no account for her (nothing held there).
      expect(Object.fromEntries(rows)).toEqual({
        klaviyo: fr['system.status.done'],
        meta_audiences: fr['system.status.done'],
        shopify: fr['system.status.nothing-held'],
      });
    }, 30_000);
    expect(await page.isChecked('#emailMarketing-denied')).toBe(true);
    // The vendors hold it: suppressed in Klaviyo.
    expect(klaviyo.profile(lucie)?.suppressions.length).toBeGreaterThan(0);
    await context.close();
  }, 120_000);
});
