import { createHash } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../temporal/payload-codec';
import { KlaviyoEmulator, startKlaviyoEmulator } from '../emulators/klaviyo';
import { MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { startTwilioEmulator, TwilioEmulator } from '../emulators/twilio';
import { createTestDeployment, TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { SmtpHarness, startSmtpServer } from '../support/smtp';
import { privacyRequestHandle, privacyRequestWorkflowId } from '../../temporal/processes/privacy-request';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * Privacy requests end to end on the real Temporal server and PostgreSQL: filed through the
 * portal API, verified with the code from a real SMTP server, and the privacyRequest saga erasing
 * the person in every region holding them and in every connected system (a slow asynchronous
 * vendor job, a vendor down for a while, a system needing an operator), with a certificate and a
 * completion email; then the scan: nothing of the person readable anywhere. Also: cancellation in
 * the cooling-off window, legal holds, a second request, a request for nobody we know, and a worker
 * killed mid-saga.
 */

const KLAVIYO_KEY = 'pk_meridian_privacy_test_key';
const META_TOKEN = 'meta-token-privacy-test';
const SHOPIFY_TOKEN = 'shpat_privacy_test';
const TWILIO_SID = `AC${'a1'.repeat(16)}`;
const TWILIO_TOKEN = 'twilio-auth-token-test';

interface Person {
  email: string;
  phone: string;
  name: string;
  shopifyId: number;
}

describe('privacy requests (DSAR saga)', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let klaviyo: KlaviyoEmulator;
  let meta: MetaEmulator;
  let shopify: ShopifyEmulator;
  let twilio: TwilioEmulator;
  let globalWorker: WorkerProcess;
  let euSource: { writeKey: string };
  let usSource: { writeKey: string };
  const people: Record<string, Person> = {};

  beforeAll(async () => {
    smtp = await startSmtpServer();
    d = await createTestDeployment('privacy', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: '4',
    });
    klaviyo = await startKlaviyoEmulator({ apiKey: KLAVIYO_KEY, deletionDelayMs: 1500, rateLimit: false });
    meta = await startMetaEmulator({ accessToken: META_TOKEN, adAccountId: '1001' });
    shopify = await startShopifyEmulator({
      accessToken: SHOPIFY_TOKEN,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: 'privacy',
    });
    shopify.throttle(false);
    twilio = await startTwilioEmulator({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    globalWorker = await d.startWorkers(['global']);
    await d.startWorkers(['eu', 'us', 'apac']);
    h = await startIngestion(d);
    euSource = await h.createSource('privacy eu', 'eu');
    usSource = await h.createSource('privacy us', 'us');
    const connectors = [
      {
        id: 'eu_klaviyo',
        system: 'klaviyo',
        settings: { baseUrl: klaviyo.baseUrl, deletionCheckSeconds: 1, jobCheckSeconds: 1 },
        credentials: { apiKey: KLAVIYO_KEY },
      },
      {
        id: 'eu_meta',
        system: 'meta_audiences',
        settings: { baseUrl: meta.baseUrl, adAccountId: 'act_1001', audienceIds: ['23840011', '23840012'] },
        credentials: { accessToken: META_TOKEN },
      },
      {
        id: 'eu_shop',
        system: 'shopify',
        settings: { shopUrl: shopify.baseUrl, timeZone: 'Europe/Berlin' },
        credentials: { accessToken: SHOPIFY_TOKEN },
      },
      {
        id: 'eu_twilio',
        system: 'twilio',
        settings: { accountSid: TWILIO_SID, baseUrl: twilio.baseUrl },
        credentials: { authToken: TWILIO_TOKEN },
      },
      {
        id: 'eu_callcentre',
        system: 'manual',
        settings: {
          instructions: 'In the call-centre CRM: search by email, then Delete contact',
          operations: ['erase'],
        },
        credentials: {},
      },
    ];
    for (const c of connectors) {
      const created = await h.admin('POST', '/admin/connectors', { ...c, name: c.id, region: 'eu' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    people.lena = await seedPerson('lena', 7_310_000_001);
    people.mira = await seedPerson('mira', 7_310_000_002);
    meta.createAudience(
      '23840011',
      Object.values(people).map((p) => ({ email: p.email, phone: p.phone })),
    );
    meta.createAudience(
      '23840012',
      Object.values(people).map((p) => ({ email: p.email })),
    );
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
    await Promise.all([klaviyo?.close(), meta?.close(), shopify?.close(), twilio?.close(), smtp?.close()]);
  });

  /** A person seen in the EU (with their Shopify ID) and in the US, known to every connected system. */
  async function seedPerson(tag: string, shopifyId: number): Promise<Person> {
    const person = {
      email: `${tag}.privacy@example.de`,
      phone: `+4915112345${String(shopifyId).slice(-3)}`,
      name: `Zoë ${tag} Groß`,
      shopifyId,
    };
    shopify.addCustomers([
      { id: shopifyId, email: person.email, phone: person.phone, first_name: 'Zoë', last_name: 'Groß' },
    ]);
    const eu = await h.send(euSource.writeKey, '/v1/identify', {
      userId: `user-${tag}`,
      traits: { email: person.email, phone: person.phone, name: person.name },
      context: {
        location: { country: 'DE' },
        externalIds: [{ id: String(shopifyId), type: 'shopify_customer', encoding: 'none', collection: 'users' }],
      },
    });
    expect(eu.status).toBe(200);
    const us = await h.send(usSource.writeKey, '/v1/track', {
      userId: `user-${tag}`,
      event: 'App Opened',
      properties: { note: person.name },
      context: { traits: { email: person.email } },
    });
    expect(us.status).toBe(200);
    klaviyo.seedProfile({ email: person.email, phone_number: person.phone, first_name: 'Zoë', subscribed: true });
    twilio.seedMessages([
      {
        to: person.phone,
        from: '+4930555000',
        body: `Hallo ${person.name}`,
        direction: 'outbound-api',
        dateSent: new Date('2025-05-01T10:00:00Z'),
      },
      {
        to: '+4930555000',
        from: person.phone,
        body: 'STOP',
        direction: 'inbound',
        dateSent: new Date('2025-05-01T10:05:00Z'),
      },
    ]);
    return person;
  }

  async function fileRequest(email: string, type = 'deletion', locale = 'de', country = 'DE'): Promise<string> {
    const res = await fetch(`${h.base}/privacy/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, email, country, locale }),
    });
    const body = (await res.json()) as { requestId: string };
    expect(res.status).toBe(202);
    return body.requestId;
  }

  async function verifyFromEmail(requestId: string): Promise<string> {
    const mail = await smtp.waitFor((m) => m.text.includes(requestId), 15_000);
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
    const res = await fetch(`${h.base}/privacy/requests/${requestId}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    const body = (await res.json()) as { statusUrl: string };
    expect(res.status).toBe(200);
    // Links name MERIDIAN_PUBLIC_URL; this test's server listens on a port of its own.
    const url = new URL(body.statusUrl);
    return `${h.base}${url.pathname}${url.search}`;
  }

  const statusOf = async (statusUrl: string) => (await (await fetch(statusUrl)).json()) as any;

  it('erases a person everywhere, with a certificate and a completion email; nothing of them is left readable', async () => {
    const person = people.lena!;
    const found = await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: person.email });
    const customerId: string = found.body.customerId;
    expect(found.body.regions.map((r: { region: string }) => r.region).sort()).toEqual(['eu', 'us']);
    // A vendor down for a while: Klaviyo answers 500 three times.
    klaviyo.failNext(3, 500);

    const requestId = await fileRequest(person.email);
    const statusUrl = await verifyFromEmail(requestId);
    await eventually(async () => expect((await statusOf(statusUrl)).status).toBe('cooling-off'), 15_000);

    // The call-centre CRM has no API: an operator does it and says so.
    await eventually(async () => {
      const view = await h.admin('GET', `/admin/privacy-requests/${requestId}`);
      expect(view.body.systems.find((s: { connectorId: string }) => s.connectorId === 'eu_callcentre')?.status).toBe(
        'waiting-on-operator',
      );
    }, 30_000);
    const done = await h.admin('POST', `/admin/privacy-requests/${requestId}/manual-tasks/eu/eu_callcentre/complete`, {
      note: 'deleted in CRM by agent 12',
    });
    expect(done.status).toBe(202);

    const result = await privacyRequestHandle(d.client, requestId).result();
    expect(result.status, JSON.stringify(result)).toBe('completed');
    const status = await statusOf(statusUrl);
    expect(status.status).toBe('completed');
    const certificate = status.certificate;
    const systems = certificate.systems
      .map((s: { region: string; connectorId: string; status: string }) => `${s.region}/${s.connectorId}:${s.status}`)
      .sort();
    expect(systems).toEqual([
      'eu/eu_callcentre:done',
      'eu/eu_klaviyo:done',
      'eu/eu_meta:done',
      'eu/eu_shop:done',
      'eu/eu_twilio:done',
      'eu/meridian:done',
      'us/meridian:done',
    ]);
    expect(certificate.verification.every((v: { verified: boolean }) => v.verified)).toBe(true);
    // Every emulated system received its delete call.
    expect(klaviyo.profile(person.email)).toBeUndefined();
    // Her hashes left both audiences; Mira's stayed (her email and phone in the first, her email in the second).
    const sha = (value: string) => createHash('sha256').update(value).digest('hex');
    for (const audience of ['23840011', '23840012']) {
      expect(meta.members(audience).has(sha(person.email.toLowerCase()))).toBe(false);
      expect(meta.members(audience).has(sha(people.mira!.email.toLowerCase()))).toBe(true);
    }
    expect(meta.members('23840011').has(sha(person.phone.replace(/\D/g, '')))).toBe(false);
    expect(meta.members('23840011').size).toBe(2);
    expect(meta.members('23840012').size).toBe(1);
    expect(shopify.customer(person.shopifyId)).toBeUndefined();
    expect(twilio.messages().filter((m) => m.to === person.phone || m.from === person.phone)).toHaveLength(0);
    // Klaviyo was retried through its outage and its slow deletion job was followed to the end.
    const klaviyoRow = certificate.systems.find((s: { connectorId: string }) => s.connectorId === 'eu_klaviyo');
    expect(klaviyoRow.evidence).toBeDefined();
    const mail = await smtp.waitFor(
      (m) => m.to.includes(person.email) && m.text.includes(requestId) && !/\b\d{6}\b/.test(m.subject),
      15_000,
    );
    expect(mail).toBeDefined();

    // The scan: no plaintext of the email, phone or name in any table of any region database.
    for (const region of ['global', 'eu', 'us', 'apac']) {
      const pool = region === 'global' ? d.global() : d.regional(region);
      const tables = await pool.sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      for (const { table_name } of tables) {
        const rows = await pool.sql.unsafe(`select * from "${table_name}"`);
        const text = JSON.stringify(rows, (_k, v) =>
          v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v,
        );
        for (const value of [person.email, person.phone, person.name, 'Groß'])
          expect(text.includes(value), `${value} in ${region}.${table_name}`).toBe(false);
      }
    }
    // Their events can no longer be read: every data key of theirs is gone.
    const keys = await d.regional('eu')
      .sql`select 1 from profiles where customer_id = ${customerId} and data_key_wrapped is not null`;
    expect(keys).toHaveLength(0);
    // No workflow history on the Temporal server holds them, even decoded with the payload codec.
    const codec = new AesGcmPayloadCodec(d.config.payloadKeys);
    const scanned: string[] = [];
    for await (const execution of d.client.workflow.list()) {
      const history = await d.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const payloads: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }[] = [];
      const walk = (node: unknown): void => {
        if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
        const value = node as Record<string, unknown>;
        if (value.data instanceof Uint8Array && value.metadata && typeof value.metadata === 'object')
          payloads.push(value as never);
        for (const child of Object.values(value)) walk(child);
      };
      walk(history);
      // Search attributes are plaintext by design (the server indexes them) and never go through the codec.
      const encrypted = payloads.filter(
        (p) => Buffer.from(p.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING,
      );
      const decoded = await codec.decode(encrypted as never);
      const text = [
        JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)),
        ...decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')),
      ].join('\n');
      for (const value of [person.email, person.phone, person.name])
        expect(text.includes(value), `${value} in ${execution.workflowId}`).toBe(false);
      scanned.push(execution.workflowId);
    }
    expect(scanned).toContain(privacyRequestWorkflowId(requestId));
  }, 180_000);

  it('cancels during the cooling-off window: nothing is erased', async () => {
    const person = people.mira!;
    // She had opted in to marketing emails.
    const mira: string = (await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: person.email })).body
      .customerId;
    const optIn = await h.admin('PUT', `/admin/profiles/${mira}/consent`, {
      country: 'DE',
      records: [
        {
          purpose: 'emailMarketing',
          state: 'granted',
          at: '2025-06-01T08:00:00Z',
          proof: { kind: 'double-opt-in', reference: 'doi-mira' },
        },
      ],
    });
    await d.client.workflow.getHandle(optIn.body.propagation.workflowId).result();
    const requestId = await fileRequest(person.email, 'deletion', 'fr');
    const statusUrl = await verifyFromEmail(requestId);
    await eventually(async () => expect((await statusOf(statusUrl)).status).toBe('cooling-off'), 15_000);
    // Suppressed at once, at the email provider too.
    await eventually(async () => expect(klaviyo.profile(person.email)?.suppressions.length).toBeGreaterThan(0), 15_000);
    // Suppressed while the request runs: her new events are not taken.
    const customerId: string = (await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: person.email }))
      .body.customerId;
    const eventsOf = async () =>
      (
        await d.regional('eu').sql<
          { n: number }[]
        >`select count(*)::int as n from events where customer_id = ${customerId}`
      )[0]!.n;
    const before = await eventsOf();
    expect(
      (await h.send(euSource.writeKey, '/v1/track', { userId: 'user-mira', event: 'Product Viewed' })).status,
    ).toBe(200);
    expect(await eventsOf()).toBe(before);
    const cancel = await fetch(
      statusUrl.replace(`/privacy/requests/${requestId}?`, `/privacy/requests/${requestId}/cancel?`),
      { method: 'POST' },
    );
    expect(cancel.status).toBe(202);
    expect(await privacyRequestHandle(d.client, requestId).result()).toMatchObject({ status: 'cancelled' });
    const found = await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: person.email });
    expect(found.status).toBe(200);
    expect(klaviyo.profile(person.email)).toBeDefined();
    expect(shopify.customer(person.shopifyId)).toBeDefined();
    // Cancelled: the email provider is back to her consent (she had opted in), and ingestion takes her events again.
    await eventually(
      async () =>
        expect(klaviyo.profile(person.email)?.suppressions.filter((x) => x === 'USER_SUPPRESSED').length ?? 0).toBe(0),
      20_000,
    );
    expect(
      (
        await h.send(euSource.writeKey, '/v1/track', {
          userId: 'user-mira',
          event: 'Product Viewed',
          messageId: 'mira-after-cancel',
        })
      ).status,
    ).toBe(200);
    expect(await eventsOf()).toBe(before + 1);
  }, 120_000);

  it('answers a request for nobody we know exactly as any other, and completes it with nothing found', async () => {
    const requestId = await fileRequest('nobody.here@example.org', 'deletion', 'ja', 'JP');
    const statusUrl = await verifyFromEmail(requestId);
    const result = await privacyRequestHandle(d.client, requestId).result();
    expect(result.status).toBe('completed');
    const status = await statusOf(statusUrl);
    expect(status.certificate.peopleFound).toBe(0);
  }, 60_000);

  it('marks a second request for the same person while one is open as a duplicate', async () => {
    const person = await seedPerson('ana', 7_310_000_003);
    const first = await fileRequest(person.email);
    await verifyFromEmail(first);
    const second = await fileRequest(person.email);
    await verifyFromEmail(second);
    expect(await privacyRequestHandle(d.client, second).result()).toMatchObject({ status: 'duplicate' });
    const view = await h.admin('GET', `/admin/privacy-requests/${second}`);
    expect(view.body).toMatchObject({ status: 'duplicate', duplicateOf: first });
    // The first one goes on to the end.
    await eventually(async () => {
      const view = await h.admin('GET', `/admin/privacy-requests/${first}`);
      expect(view.body.systems.find((s: { connectorId: string }) => s.connectorId === 'eu_callcentre')?.status).toBe(
        'waiting-on-operator',
      );
    }, 30_000);
    await h.admin('POST', `/admin/privacy-requests/${first}/manual-tasks/eu/eu_callcentre/complete`, {});
    expect(await privacyRequestHandle(d.client, first).result()).toMatchObject({ status: 'completed' });
  }, 90_000);

  it('keeps what a legal hold covers (orders for tax law) and erases the rest', async () => {
    const person = await seedPerson('ines', 7_310_000_004);
    const found = await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: person.email });
    const customerId: string = found.body.customerId;
    await d.regional('eu').sql`
      insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, placed_at, time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
      values ('eu_shop', 'HOLD-1', ${customerId}, 'EUR', 4999, 'EUR', now(), 'Europe/Berlin', current_date, 12, 'closed', 1, now())`;
    const hold = await h.admin('POST', '/admin/legal-holds', {
      customerId,
      region: 'eu',
      scope: 'orders',
      reason: 'German tax law: invoices kept 10 years (§147 AO)',
    });
    expect(hold.status).toBe(201);
    const requestId = await fileRequest(person.email);
    await verifyFromEmail(requestId);
    await eventually(async () => {
      const view = await h.admin('GET', `/admin/privacy-requests/${requestId}`);
      expect(view.body.systems.find((s: { connectorId: string }) => s.connectorId === 'eu_callcentre')?.status).toBe(
        'waiting-on-operator',
      );
    }, 30_000);
    await h.admin('POST', `/admin/privacy-requests/${requestId}/manual-tasks/eu/eu_callcentre/complete`, {});
    const result = await privacyRequestHandle(d.client, requestId).result();
    expect(result.status).toBe('completed');
    const orders = await d.regional('eu').sql`select external_id from orders where customer_id = ${customerId}`;
    expect(orders).toHaveLength(1);
    const identities = await d.regional('eu').sql`select 1 from identities where customer_id = ${customerId}`;
    expect(identities).toHaveLength(0);
    const certificate = (
      result as {
        certificate: {
          legalHolds: { region: string; held: string[] }[];
          systems: { connectorId: string; evidence: Record<string, string> }[];
        };
      }
    ).certificate;
    expect(certificate.legalHolds).toEqual([
      { region: 'eu', held: ['orders: German tax law: invoices kept 10 years (§147 AO)'] },
    ]);
    expect(
      certificate.systems.find((s) => s.connectorId === 'meridian' && s.evidence.ordersKept)?.evidence.ordersKept,
    ).toBe('legal hold');
  }, 90_000);

  it('completes exactly once when the global worker is killed mid-saga: one certificate, one email', async () => {
    const person = await seedPerson('omar', 7_310_000_005);
    const requestId = await fileRequest(person.email, 'deletion', 'pt-BR');
    const statusUrl = await verifyFromEmail(requestId);
    await eventually(async () => expect((await statusOf(statusUrl)).status).toBe('cooling-off'), 15_000);
    await globalWorker.kill();
    globalWorker = await d.startWorkers(['global']);
    await eventually(async () => {
      const view = await h.admin('GET', `/admin/privacy-requests/${requestId}`);
      expect(view.body.systems.find((s: { connectorId: string }) => s.connectorId === 'eu_callcentre')?.status).toBe(
        'waiting-on-operator',
      );
    }, 60_000);
    await h.admin('POST', `/admin/privacy-requests/${requestId}/manual-tasks/eu/eu_callcentre/complete`, {});
    expect(await privacyRequestHandle(d.client, requestId).result()).toMatchObject({ status: 'completed' });
    const completionMails = smtp.messages.filter(
      (m) => m.to.includes(person.email) && m.text.includes(requestId) && !/\b\d{6}\b/.test(m.text),
    );
    expect(completionMails).toHaveLength(1);
    const [row] = await d.regional('eu').sql<
      { n: number }[]
    >`select count(*)::int as n from privacy_requests where id = ${requestId} and certificate is not null`;
    expect(row!.n).toBe(1);
  }, 120_000);

  it('answers an access request with a zip of JSON and CSV per region, behind a signed, expiring link', async () => {
    const person = await seedPerson('kai', 7_310_000_006);
    const requestId = await fileRequest(person.email, 'access', 'ko');
    const statusUrl = await verifyFromEmail(requestId);
    // Answered: the saga stays to delete the packages when their links expire (and forget the requester then).
    await eventually(async () => expect((await statusOf(statusUrl)).status).toBe('completed'), 60_000);
    const status = await statusOf(statusUrl);
    expect((await privacyRequestHandle(d.client, requestId).describe()).status.name).toBe('RUNNING');
    expect(status.exports.map((e: { region: string }) => e.region).sort()).toEqual(['eu', 'us']);
    const eu = status.exports.find((e: { region: string }) => e.region === 'eu');
    const link = new URL(eu.url);
    eu.url = `${h.base}${link.pathname}${link.search}`;
    const download = await fetch(eu.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await download.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([
      'consent.csv',
      'events.csv',
      'identifiers.csv',
      'loyalty-ledger.csv',
      'meridian-export.json',
      'orders.csv',
      'traits.csv',
    ]);
    const document = JSON.parse(strFromU8(files['meridian-export.json']!));
    expect(document.identifiers.map((i: { value: string }) => i.value)).toContain(person.email);
    expect(document.traits.find((t: { name: string }) => t.name === 'name')?.value).toBe(person.name);
    expect(strFromU8(files['identifiers.csv']!)).toContain(person.phone);
    // A tampered link is refused.
    const forged = await fetch(eu.url.replace(/sig=[^&]+/, 'sig=forged'));
    expect(forged.status).toBe(403);
    const stretched = await fetch(
      eu.url.replace(/expires=\d+/, (m: string) => `expires=${Number(m.split('=')[1]) + 86_400}`),
    );
    expect(stretched.status).toBe(403);
    // Its expiry is a week away: the run ends it rather than leave it for another test file's workers.
    await privacyRequestHandle(d.client, requestId).terminate('test over');
  }, 90_000);
});
