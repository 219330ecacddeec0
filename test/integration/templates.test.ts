import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { channelsFromConfig } from '../../activities/channels/wiring';
import { messageSendWorkflowId } from '../../workflows/definitions';
import { allowEmulatorHosts } from '../emulators/hosts';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import { createTestDeployment, type TestDeployment, type WorkerProcess } from '../support/deployment';
import { decodedHistory } from '../support/history';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';
import { bearerCaller } from '../support/admin-api';

allowEmulatorHosts();

/**
 * Templates end to end: created through the admin API (versioned, checked), rendered by
 * `sendMessage` on a real worker process (the regional worker registers it, its channels built
 * from the environment) for people of three locales, reaching a local SMTP server: Liquid with the
 * person's first name (opened in-region) and traits, the locale fallback chain (zh-Hant-HK →
 * zh-Hant), money in the person's currency and locale, dates in their zone, MJML compiled,
 * right-to-left for Arabic. Workflow histories carry IDs only.
 */

const US_TOKEN = `us-only-${'t'.repeat(24)}`;
const ACCOUNT = `AC${'3'.repeat(32)}`;
const SERVICE = `MG${'4'.repeat(32)}`;

const mjml = (inner: string) =>
  `<mjml><mj-body><mj-section><mj-column><mj-text>${inner}</mj-text></mj-column></mj-section></mj-body></mjml>`;

describe('message templates, rendered by the regional worker', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let smtp: SmtpHarness;
  let twilio: TwilioEmulator;
  let worker: WorkerProcess;
  let allToken: string;
  let writeKey: string;

  const call = bearerCaller(() => base);
  const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);

  /** A person as the tracking API sees them, with email marketing consent (Germany's law). */
  async function person(input: {
    email: string;
    firstName?: string;
    locale?: string;
    timezone?: string;
    plan: string;
  }) {
    const userId = `u-${randomUUID()}`;
    const res = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        userId,
        traits: { email: input.email, plan: input.plan, ...(input.firstName ? { firstName: input.firstName } : {}) },
        context: {
          ...(input.locale ? { locale: input.locale } : {}),
          ...(input.timezone ? { timezone: input.timezone } : {}),
        },
      }),
    });
    expect(res.status).toBe(200);
    const found = await admin('POST', '/admin/profiles/lookup', { type: 'email', value: input.email });
    expect(found.status, found.text).toBe(200);
    const customerId: string = found.body.customerId;
    const consent = await admin('PUT', `/admin/profiles/${customerId}/consent`, {
      country: 'DE',
      records: [{ purpose: 'emailMarketing', state: 'granted', proof: { kind: 'form', reference: 'templates-test' } }],
    });
    expect(consent.status, consent.text).toBe(200);
    return customerId;
  }

  async function send(customerId: string, templateRef: string) {
    const sendKey = `test-${randomUUID()}`;
    const handle = await d.client.workflow.start('messageSend', {
      workflowId: messageSendWorkflowId(sendKey),
      taskQueue: d.config.regions.region('eu').taskQueue,
      args: [
        { region: 'eu', customerId, brandId: 'default', channel: 'email', purpose: 'marketing', templateRef, sendKey },
      ],
    });
    return { handle, outcome: await handle.result() };
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('templates', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_MARKETING_MAIL_FROM: 'Meridian News <news@example.com>',
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us`,
    });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const source = await admin('POST', '/admin/sources', { name: 'Hamburg shop', region: 'eu', kind: 'server' });
    expect(source.status, source.text).toBe(201);
    writeKey = source.body.writeKey;
    twilio = await startTwilioEmulator({ accountSid: ACCOUNT, authToken: 'token', messagingServices: [SERVICE] });
    worker = await d.startWorkers(['eu']);
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
    await smtp?.close();
    await twilio?.close();
  });

  it('keeps templates versioned, checked, readable by any token and changed only with a token for all regions', async () => {
    const created = await admin('POST', '/admin/templates', {
      id: 'spring_sale',
      brandId: 'default',
      name: 'Spring sale',
      channel: 'email',
      defaultLocale: 'en',
      variants: {
        en: {
          subject: 'Spring sale, {{ first_name | default: "friend" }}',
          body: mjml(
            'Hello {{ first_name | default: "friend" }}, {{ traits.plan }} members save {{ 20 | money: "EUR" }}.',
          ),
        },
        'zh-Hant': {
          subject: '{{ first_name }}，春季優惠',
          body: mjml(
            '{{ first_name }}，{{ traits.plan }} 會員可享 {{ 1234.5 | money }} 折扣，優惠至 {{ "2026-03-29T23:30:00Z" | local_date }}。',
          ),
        },
        ar: { subject: 'تخفيضات الربيع', body: mjml('مرحبا {{ first_name }}') },
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.template).toMatchObject({ version: 1, ref: 'spring_sale:v1', defaultLocale: 'en' });

    const broken = await admin('POST', '/admin/templates', {
      id: 'broken',
      brandId: 'default',
      name: 'Broken',
      channel: 'email',
      defaultLocale: 'en',
      variants: { en: { subject: 'x', body: mjml('{% if x %}') } },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatch(/^variants\.en: Liquid: /);
    const noBrand = await admin('POST', '/admin/templates', {
      id: 'nobrand',
      brandId: 'nobody',
      name: 'x',
      channel: 'sms',
      defaultLocale: 'en',
      variants: { en: { body: 'x' } },
    });
    expect(noBrand.status).toBe(400);
    expect(noBrand.body.error).toMatch(/^brandId: no brand "nobody"/);

    // A region-scoped token may read templates (no personal data) but not change what every region sends.
    const refused = await call(US_TOKEN, 'PUT', '/admin/templates/spring_sale', {
      name: 'Changed',
      defaultLocale: 'en',
      variants: { en: { subject: 'x', body: 'x' } },
    });
    expect(refused.status).toBe(403);
    expect((await call(US_TOKEN, 'GET', '/admin/templates')).body.templates.map((t: { id: string }) => t.id)).toEqual([
      'spring_sale',
    ]);

    const v2 = await admin('PUT', '/admin/templates/spring_sale', {
      name: 'Spring sale',
      defaultLocale: 'en',
      variants: { en: { subject: 'Spring sale v2', body: '<p>v2 for {{ first_name }}</p>' } },
    });
    expect(v2.status, v2.text).toBe(200);
    expect(v2.body.template).toMatchObject({ version: 2, ref: 'spring_sale:v2' });
    expect((await admin('GET', '/admin/templates/spring_sale')).body.template.version).toBe(2);
    const v1 = await admin('GET', '/admin/templates/spring_sale?version=1');
    expect(Object.keys(v1.body.template.variants).sort()).toEqual(['ar', 'en', 'zh-Hant']);
    expect((await admin('GET', '/admin/templates/spring_sale?version=9')).status).toBe(404);
  });

  it('sends through the worker: the zh-Hant variant for zh-Hant-HK, money in HKD, the date in Hong Kong, MJML compiled', async () => {
    const email = `wing-${randomUUID().slice(0, 8)}@example.hk`;
    const customerId = await person({
      email,
      firstName: 'Wing',
      locale: 'zh-Hant-HK',
      timezone: 'Asia/Hong_Kong',
      plan: 'gold',
    });
    // The person's currency: their latest order's.
    await d.regional('eu').sql`
      insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, placed_at,
                          time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
      values ('test', ${randomUUID()}, ${customerId}, 'HKD', 100000, 'EUR', now(), 'Asia/Hong_Kong', current_date, 9, 'paid', 1, now())`;

    const { handle, outcome } = await send(customerId, 'spring_sale:v1');
    expect(outcome).toMatchObject({ status: 'sent', repeated: false });
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(email));
    expect(mail.subject).toBe('Wing，春季優惠');
    expect(mail.headers.from).toContain('news@example.com');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    // MJML compiled to responsive HTML, in the person's language.
    expect(mail.html).toMatch(/<html [^>]*lang="zh-Hant" dir="ltr">/);
    expect(mail.html).toMatch(/@media only screen/);
    expect(mail.html).toContain('gold 會員可享 HK$1,234.50 折扣');
    // 23:30 UTC on 29 March is already 30 March in Hong Kong.
    expect(mail.html).toContain('優惠至 2026年3月30日');
    expect(mail.text).toContain('Wing，gold 會員可享 HK$1,234.50 折扣');

    // The history holds IDs: no address, name or rendered text.
    const history = await decodedHistory(handle, d.config.payloadKeys);
    expect(history).toContain(customerId);
    for (const personal of [email, 'Wing', '春季', 'HK$']) expect(history).not.toContain(personal);
  });

  it('falls back to the brand default for an unknown locale, and lays Arabic out right to left', async () => {
    const deEmail = `jonas-${randomUUID().slice(0, 8)}@example.de`;
    const de = await person({ email: deEmail, locale: 'de-DE', timezone: 'Europe/Berlin', plan: 'silver' });
    const arEmail = `layla-${randomUUID().slice(0, 8)}@example.eg`;
    const ar = await person({
      email: arEmail,
      firstName: 'Layla',
      locale: 'ar-EG',
      timezone: 'Africa/Cairo',
      plan: 'gold',
    });

    expect((await send(de, 'spring_sale:v1')).outcome).toMatchObject({ status: 'sent' });
    const deMail = await smtp.waitFor((m) => m.envelope.to.includes(deEmail));
    expect(deMail.subject).toBe('Spring sale, friend');
    // The English variant formats in English: the person's de-DE is not a form of en.
    expect(deMail.text).toContain('Hello friend, silver members save €20.00.');

    expect((await send(ar, 'spring_sale:v1')).outcome).toMatchObject({ status: 'sent' });
    const arMail = await smtp.waitFor((m) => m.envelope.to.includes(arEmail));
    expect(arMail.subject).toBe('تخفيضات الربيع');
    expect(arMail.html).toMatch(/<html [^>]*lang="ar" dir="rtl">/);
    expect(arMail.html).toMatch(/<body[^>]* dir="rtl">/);
    expect(arMail.text).toContain('مرحبا Layla');

    // The latest version, by reference without a version.
    const latest = await send(de, 'spring_sale');
    expect(latest.outcome).toMatchObject({ status: 'sent' });
    await expect
      .poll(() => smtp.messages.filter((m) => m.envelope.to.includes(deEmail)).map((m) => m.subject))
      .toEqual(['Spring sale, friend', 'Spring sale v2']);
  });

  it('fails the send for good, without an email, when the template does not exist', async () => {
    const email = `nobody-${randomUUID().slice(0, 8)}@example.de`;
    const customerId = await person({ email, locale: 'en', plan: 'none' });
    const started = send(customerId, 'no_such_template');
    await expect(started).rejects.toMatchObject({ cause: { cause: { type: 'TemplateNotRendered' } } });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.filter((m) => m.envelope.to.includes(email))).toHaveLength(0);
    expect(worker.output()).not.toContain(email);
  });

  it('builds SMS from the environment: channelsFromConfig reaches the Twilio Messaging Service', async () => {
    const config = {
      activation: {
        mailFrom: 'x <x@example.com>',
        smtpTimeoutMs: 1000,
        broadcastPerSecond: 100,
        broadcastConcurrency: 8,
        smtpPoolSize: 5,
        twilio: { accountSid: ACCOUNT, authToken: 'token', messagingServiceSid: SERVICE, baseUrl: twilio.baseUrl },
      },
    };
    const { channels, close } = channelsFromConfig(config, d.config.regions.region('eu'));
    expect(Object.keys(channels)).toEqual(['sms']);
    const sent = await channels.sms!.send({
      to: '+4915112345678',
      content: { text: 'Frühlingsangebot' },
      sendKey: 'k1',
      unsubscribeUrl: 'https://example.com/u',
    });
    expect(sent.providerMessageId).toMatch(/^SM/);
    expect(twilio.messages().find((m) => m.to === '+4915112345678')).toMatchObject({
      body: 'Frühlingsangebot',
      messagingServiceSid: SERVICE,
    });
    await close();
  });

  it('previews per locale and channel: the fallback chain, right to left, SMS segments; a sample profile’s values only for a reader of its region', async () => {
    const created = await admin('POST', '/admin/templates', {
      id: 'preview_mail',
      brandId: 'default',
      name: 'Preview',
      channel: 'email',
      defaultLocale: 'en',
      variants: {
        en: { subject: 'Hello {{ first_name }}', body: '<p>{{ traits.plan }} members save {{ 20 | money }}</p>' },
        zh: { subject: '你好 {{ first_name }}', body: '<p>简体</p>' },
        'zh-Hant': { subject: '{{ first_name }}，你好', body: '<p>{{ traits.plan }} 會員</p>' },
        ar: { subject: 'مرحبا {{ first_name }}', body: '<p>تخفيضات</p>' },
      },
    });
    expect(created.status, created.text).toBe(201);
    const preview = (token: string, body: unknown) =>
      call(token, 'POST', '/admin/templates/preview_mail/preview', body);

    // The chain: zh-Hant-HK → zh-Hant → zh → the brand default.
    const hk = await preview(allToken, { locale: 'zh-Hant-HK' });
    expect(hk.status, hk.text).toBe(200);
    expect(hk.body).toMatchObject({
      ref: 'preview_mail:v1',
      fallbackChain: ['zh-Hant-HK', 'zh-Hant', 'zh', 'en'],
      variantLocale: 'zh-Hant',
      direction: 'ltr',
      values: 'placeholders',
    });
    expect(hk.body.content.subject).toBe('[first_name]，你好');
    expect(hk.body.content.html).toContain('[traits.plan] 會員');
    expect((await preview(allToken, { locale: 'zh-Hans-CN' })).body).toMatchObject({
      fallbackChain: ['zh-Hans-CN', 'zh-Hans', 'zh', 'en'],
      variantLocale: 'zh',
    });
    expect((await preview(allToken, { locale: 'fr-CA' })).body).toMatchObject({
      fallbackChain: ['fr-CA', 'fr', 'en'],
      variantLocale: 'en',
    });
    // Right to left for Arabic: the document says so.
    const ar = await preview(allToken, { locale: 'ar-EG' });
    expect(ar.body).toMatchObject({ variantLocale: 'ar', direction: 'rtl' });
    expect(ar.body.content.html).toMatch(/^<div lang="ar" dir="rtl">/);

    // SMS: Thai costs UCS-2 segments of 67 characters; the same length in Latin letters fits one GSM-7 segment.
    const sms = await admin('POST', '/admin/templates', {
      id: 'preview_sms',
      brandId: 'default',
      name: 'Preview SMS',
      channel: 'sms',
      defaultLocale: 'en',
      variants: {
        en: { body: 'Spring sale: 20% off everything in store and online until Sunday. Reply STOP to opt out.' },
        th: { body: 'ลดราคาฤดูใบไม้ผลิ 20% ทุกอย่างในร้านและออนไลน์จนถึงวันอาทิตย์ ตอบกลับ STOP เพื่อยกเลิก' },
      },
    });
    expect(sms.status, sms.text).toBe(201);
    const th = await call(allToken, 'POST', '/admin/templates/preview_sms/preview', { locale: 'th-TH' });
    expect(th.body.variantLocale).toBe('th');
    expect(th.body.sms).toEqual({ encoding: 'UCS-2', segments: 2, units: th.body.content.text.length });
    const en = await call(allToken, 'POST', '/admin/templates/preview_sms/preview', { locale: 'en-GB' });
    expect(en.body.sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(hk.body.sms).toBeUndefined();

    // A sample profile in eu: its values for a token that reads eu; placeholders for a us-only token.
    const email = `mei-${randomUUID().slice(0, 8)}@example.hk`;
    const customerId = await person({ email, firstName: 'Mei', locale: 'zh-Hant-HK', plan: 'gold' });
    const sample = { customerId, region: 'eu' };
    const mine = await preview(allToken, { locale: 'zh-Hant-HK', sample });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.values).toBe('profile');
    expect(mine.body.content.subject).toBe('Mei，你好');
    expect(mine.body.content.html).toContain('gold 會員');
    const theirs = await preview(US_TOKEN, { locale: 'zh-Hant-HK', sample });
    expect(theirs.status, theirs.text).toBe(200);
    expect(theirs.body.values).toBe('placeholders');
    expect(theirs.text).not.toContain('Mei');
    expect(theirs.text).not.toContain('gold');
    expect(theirs.body.content.subject).toBe('[first_name]，你好');

    // Bad input names the field.
    const badLocale = await preview(allToken, { locale: 'not a locale!' });
    expect(badLocale.status).toBe(400);
    expect(badLocale.body.error).toMatch(/^locale: must be a BCP-47 locale/);
    const unknown = await preview(allToken, { locale: 'en', sample: { customerId: randomUUID(), region: 'eu' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/^sample\.customerId: no profile/);
    expect((await preview(allToken, { locale: 'en', sample: { customerId, region: 'mars' } })).status).toBe(400);
    expect((await call(allToken, 'POST', '/admin/templates/nope/preview', { locale: 'en' })).status).toBe(404);
  });
});
