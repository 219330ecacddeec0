import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowEmulatorHosts } from '../emulators/hosts';
import { KlaviyoEmulator, startKlaviyoEmulator } from '../emulators/klaviyo';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { SmtpHarness, startSmtpServer } from '../support/smtp';
import { privacyRequestHandle } from '../../temporal/processes/privacy-request';

allowEmulatorHosts();

/**
 * Identity poisoning through public write keys (issue 8, item 3). A browser write key ships in the
 * page, so an attacker may send `identify` with any email. These tests play the attack in both
 * orders against the real ingestion, One ID, the privacy portal and the privacy saga, and check
 * what the attacker gets back: their own data only, and no vendor erasure of the victim.
 */

const KLAVIYO_KEY = 'pk_meridian_poisoning_test_key';

describe('identity poisoning through public write keys', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let klaviyo: KlaviyoEmulator;
  let brand: { writeKey: string };
  let browser: { id: string; writeKey: string };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    d = await createTestDeployment('poison', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: '1',
    });
    klaviyo = await startKlaviyoEmulator({ apiKey: KLAVIYO_KEY, deletionDelayMs: 200, rateLimit: false });
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d);
    brand = await h.createSource('brand back end', 'eu', { kind: 'server' });
    browser = await h.createSource('brand web shop', 'eu', { kind: 'browser' });
    const connector = await h.admin('POST', '/admin/connectors', {
      id: 'poison_klaviyo',
      name: 'Klaviyo',
      region: 'eu',
      system: 'klaviyo',
      settings: { baseUrl: klaviyo.baseUrl, deletionCheckSeconds: 1, jobCheckSeconds: 1 },
      credentials: { apiKey: KLAVIYO_KEY },
    });
    expect(connector.status, JSON.stringify(connector.body)).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
    await Promise.all([klaviyo?.close(), smtp?.close()]);
  });

  const send = async (key: string, path: string, body: unknown) =>
    expect((await h.send(key, path, body)).status).toBe(200);
  const lookup = async (type: string, value: string) =>
    (await h.admin('POST', '/admin/profiles/lookup', { type, value })).body;

  /** The victim as the brand's server knows them: account, email, name. */
  async function victim(tag: string): Promise<{ email: string; customerId: string }> {
    const email = `${tag}.victim@example.de`;
    await send(brand.writeKey, '/v1/identify', {
      userId: `victim-${tag}`,
      traits: { email, name: `Vera ${tag} Opfer`, city: 'Köln' },
    });
    return { email, customerId: (await lookup('user_id', `victim-${tag}`)).customerId };
  }

  async function fileAndVerify(
    email: string,
    type: 'access' | 'deletion',
  ): Promise<{ requestId: string; statusUrl: string }> {
    const filed = await fetch(`${h.base}/privacy/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, email, country: 'DE', locale: 'de' }),
    });
    expect(filed.status).toBe(202);
    const { requestId } = (await filed.json()) as { requestId: string };
    const mail = await smtp.waitFor((m) => m.text.includes(requestId), 15_000);
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
    const verified = await fetch(`${h.base}/privacy/requests/${requestId}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(verified.status).toBe(200);
    const url = new URL(((await verified.json()) as { statusUrl: string }).statusUrl);
    return { requestId, statusUrl: `${h.base}${url.pathname}${url.search}` };
  }

  /**
   * The attacker's access request for their own (verified) email: the text of every file of the
   * package and the identifiers it lists. (The attacker's own events carry what they typed,
   * victim's email included: that is their data; the victim's is what the brand's server said.)
   */
  async function exportFor(email: string): Promise<{ text: string; identifiers: string[] }> {
    const { requestId, statusUrl } = await fileAndVerify(email, 'access');
    // Answered: the saga then stays until the packages expire (a week), so the run ends it below.
    const answered = async () =>
      (await (await fetch(statusUrl)).json()) as { status: string; exports: { region: string; url: string }[] };
    await eventually(async () => expect((await answered()).status).toBe('completed'), 60_000);
    const status = await answered();
    await privacyRequestHandle(d.client, requestId).terminate('test over');
    const eu = status.exports.find((e) => e.region === 'eu');
    expect(eu, 'the attacker’s own profile is exported').toBeDefined();
    const link = new URL(eu!.url);
    const download = await fetch(`${h.base}${link.pathname}${link.search}`);
    expect(download.status).toBe(200);
    const files = unzipSync(new Uint8Array(await download.arrayBuffer()));
    const document = JSON.parse(strFromU8(files['meridian-export.json']!)) as {
      identifiers: { type: string; value: string }[];
    };
    return {
      text: Object.values(files)
        .map((f) => strFromU8(f))
        .join('\n'),
      identifiers: document.identifiers.map((i) => `${i.type}=${i.value}`),
    };
  }

  it('attacker claims the victim’s email after their own: no merge, the merge is held, the export holds only the attacker', async () => {
    const v = await victim('after');
    const attackerEmail = 'mallory.after@example.net';
    await send(browser.writeKey, '/v1/identify', {
      anonymousId: 'evil-device-after',
      traits: { email: attackerEmail, name: 'Mallory' },
    });
    await send(browser.writeKey, '/v1/identify', { anonymousId: 'evil-device-after', traits: { email: v.email } });

    // The victim's profile holds neither the attacker's device nor the attacker's email.
    const victimProfile = await h.admin('GET', `/admin/profiles/${v.customerId}`);
    expect(victimProfile.body.regions[0].identities.map((i: any) => `${i.type}=${i.value}`).sort()).toEqual([
      `email=${v.email}`,
      'user_id=victim-after',
    ]);
    const attacker = (await lookup('email', attackerEmail)).customerId;
    expect(attacker).not.toBe(v.customerId);
    expect((await lookup('email', v.email)).customerId).toBe(v.customerId);
    const held = await h.admin('GET', '/admin/held-merges');
    expect(held.body.merges).toContainEqual(
      expect.objectContaining({
        region: 'eu',
        from: attacker,
        into: v.customerId,
        linkedBy: 'email',
        status: 'pending',
      }),
    );

    const exported = await exportFor(attackerEmail);
    expect(exported.identifiers.sort()).toEqual(['anonymous_id=evil-device-after', `email=${attackerEmail}`]);
    expect(exported.text).not.toMatch(/Vera|Opfer|Köln|victim-after/);
  }, 120_000);

  it('victim’s profile first, then an attacker’s device claims the victim’s email and then its own: the victim is never exported', async () => {
    const v = await victim('first');
    const attackerEmail = 'mallory.first@example.net';
    await send(browser.writeKey, '/v1/identify', { anonymousId: 'evil-device-first', traits: { email: v.email } });
    await send(browser.writeKey, '/v1/identify', {
      anonymousId: 'evil-device-first',
      traits: { email: attackerEmail },
    });
    await send(browser.writeKey, '/v1/track', { anonymousId: 'evil-device-first', event: 'Viewed Account' });

    // The device did not join the victim's profile, and the attacker's email is not on it.
    const victimProfile = await h.admin('GET', `/admin/profiles/${v.customerId}`);
    const identities = victimProfile.body.regions[0].identities.map((i: any) => `${i.type}=${i.value}`);
    expect(identities).not.toContain(`email=${attackerEmail}`);
    expect(identities).not.toContain('anonymous_id=evil-device-first');
    const attacker = (await lookup('email', attackerEmail)).customerId;
    expect(attacker).not.toBe(v.customerId);
    expect((await lookup('anonymous_id', 'evil-device-first')).customerId).toBe(attacker);

    const exported = await exportFor(attackerEmail);
    expect(exported.identifiers.sort()).toEqual(['anonymous_id=evil-device-first', `email=${attackerEmail}`]);
    expect(exported.text).not.toMatch(/Vera|Opfer|Köln|victim-first/);

    // Approving the held link is the operator's call; it then merges as any other.
    const held = (await h.admin('GET', '/admin/held-merges')).body.merges.find(
      (m: any) => m.from === attacker && m.into === v.customerId,
    );
    expect(held).toBeDefined();
    const rejected = await h.admin('POST', `/admin/held-merges/eu/${held.id}/reject`, {
      note: 'claimed from a browser, not the customer',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.merge.status).toBe('rejected');
    expect((await h.admin('POST', `/admin/held-merges/eu/${held.id}/approve`, {})).status).toBe(409);
  }, 120_000);

  it('a deletion for the attacker’s email does not erase the victim at the vendors, though the attacker claimed the victim’s email first', async () => {
    const attackerEmail = 'mallory.vendor@example.net';
    const victimEmail = 'vendor.victim@example.de';
    // The victim is known to Klaviyo but not yet to Meridian: the attacker's claim lands on the attacker's own profile.
    klaviyo.seedProfile({ email: victimEmail, first_name: 'Vera', subscribed: true });
    klaviyo.seedProfile({ email: attackerEmail, first_name: 'Mallory', subscribed: true });
    await send(browser.writeKey, '/v1/identify', {
      anonymousId: 'evil-device-vendor',
      traits: { email: attackerEmail },
    });
    await send(browser.writeKey, '/v1/identify', { anonymousId: 'evil-device-vendor', traits: { email: victimEmail } });
    expect((await lookup('email', victimEmail)).customerId).toBe((await lookup('email', attackerEmail)).customerId);

    const { requestId } = await fileAndVerify(attackerEmail, 'deletion');
    expect(await privacyRequestHandle(d.client, requestId).result()).toMatchObject({ status: 'completed' });
    await eventually(async () => expect(klaviyo.profile(attackerEmail)).toBeUndefined(), 30_000);
    expect(klaviyo.profile(victimEmail), 'the victim’s Klaviyo profile survives the attacker’s deletion').toBeDefined();
  }, 120_000);
});
