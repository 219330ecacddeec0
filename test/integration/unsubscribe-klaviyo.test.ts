import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailChannel } from '../../activities/channels/channels';
import { type ChannelActivities, createChannelActivities } from '../../activities/channels/regional';
import { keyFromRef, newDataKey, type RegionKey, seal, wrapDataKey } from '../../db/crypto-shredding';
import { createMailer, type Mailer } from '../../mail/mailer';
import { allowEmulatorHosts } from '../emulators/hosts';
import { type KlaviyoEmulator, startKlaviyoEmulator } from '../emulators/klaviyo';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { grantEmailConsent } from '../support/journey-rig';
import { type IngestionHarness, startIngestion } from '../support/ingestion';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

allowEmulatorHosts();

/**
 * Issue 12, "done when": one-click unsubscribe reaches Klaviyo through consent propagation. A
 * marketing email is sent through `sendMessage` to a real SMTP server; its List-Unsubscribe URL is
 * POSTed as a mail client does (RFC 8058, through the public web app); the withdrawal is recorded,
 * the consent propagation workflow runs on the region's worker process, and the Klaviyo emulator
 * (a connector of the region, reached over HTTP with its API key) ends with the person suppressed.
 */

const API_KEY = 'pk_unsubscribe_test';

describe('one-click unsubscribe reaches Klaviyo', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let klaviyo: KlaviyoEmulator;
  let mailer: Mailer;
  let regionKey: RegionKey;
  let activities: ChannelActivities;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    klaviyo = await startKlaviyoEmulator({ apiKey: API_KEY, rateLimit: false });
    d = await createTestDeployment('unsubklaviyo', { MERIDIAN_SMTP_URL: smtp.url });
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d);
    regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.config.env);
    const created = await h.admin('POST', '/admin/connectors', {
      id: 'eu_klaviyo',
      name: 'eu_klaviyo',
      system: 'klaviyo',
      region: 'eu',
      settings: { baseUrl: klaviyo.baseUrl },
      credentials: { apiKey: API_KEY },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    mailer = createMailer({ smtpUrl: smtp.url, from: 'Meridian <news@example.com>', pool: true });
    activities = createChannelActivities({
      region: 'eu',
      sql: d.regional('eu').sql,
      globalSql: d.global().sql,
      regionKey,
      channels: { email: emailChannel(mailer) },
      templates: {
        async render() {
          return { subject: 'Neue Kollektion', text: 'Unsere neue Kollektion', html: '<p>Unsere neue Kollektion</p>' };
        },
      },
      // The link points at this deployment's public web app, as MERIDIAN_PUBLIC_URL would.
      unsubscribe: { publicUrl: h.base, signingKeys: d.config.signingKeys },
    });
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await mailer?.close();
    await d?.close();
    await smtp?.close();
    await klaviyo?.close();
  });

  it('a POST to the List-Unsubscribe URL of a sent email withdraws email consent and suppresses the person in Klaviyo', async () => {
    const sql = d.regional('eu').sql;
    const customerId = randomUUID();
    const email = `lena-${customerId.slice(0, 8)}@example.de`;
    const dataKey = newDataKey();
    await sql`insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, dataKey, customerId)})`;
    await sql`
      insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
      values (${customerId}, 'email', ${randomBytes(32)}, ${seal(dataKey, email, `identity:${customerId}:email`)},
              ${customerId}, 'test-source', 'server')`;
    await grantEmailConsent(sql, customerId, 'DE', new Date(Date.now() - 86_400_000).toISOString());
    klaviyo.seedProfile({ email, subscribed: true });
    expect(klaviyo.profile(email)?.suppressions ?? []).toHaveLength(0);

    const sent = await activities.sendMessage({
      region: 'eu',
      customerId,
      brandId: 'default',
      channel: 'email',
      purpose: 'marketing',
      templateRef: 'news',
      sendKey: `broadcast:unsub:${customerId}`,
    });
    expect(sent).toMatchObject({ status: 'sent', repeated: false });
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(email));
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const url = /^<(.+)>$/.exec(mail.headers['list-unsubscribe']!)![1]!;
    expect(url.startsWith(`${h.base}/privacy/unsubscribe/${customerId}?`)).toBe(true);

    // A tampered link (another person under this signature) changes nothing anywhere.
    const oneClick = (target: string) =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'List-Unsubscribe=One-Click',
      });
    expect((await oneClick(url.replace(customerId, randomUUID()))).status).toBe(403);

    const res = await oneClick(url);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { unsubscribed: boolean; propagation?: { workflowId: string } };
    expect(body.unsubscribed).toBe(true);
    const result = await d.client.workflow.getHandle(body.propagation!.workflowId).result();
    expect(result).toMatchObject({ status: 'complete', systems: { eu_klaviyo: 'done' } });
    await eventually(async () => expect(klaviyo.profile(email)?.suppressions.length).toBeGreaterThan(0), 10_000);

    const [record] = await sql<{ state: string; source: string }[]>`
      select state, source from consent_records where customer_id = ${customerId} and purpose = 'emailMarketing'
      order by id desc limit 1`;
    expect(record).toEqual({ state: 'withdrawn', source: 'list-unsubscribe' });
    // And the next marketing email is stopped at the gate.
    expect(
      await activities.sendMessage({
        region: 'eu',
        customerId,
        brandId: 'default',
        channel: 'email',
        purpose: 'marketing',
        templateRef: 'news',
        sendKey: `broadcast:unsub-2:${customerId}`,
      }),
    ).toEqual({ status: 'blocked', reason: 'consent-not-granted' });
  }, 120_000);
});
