import { randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChannelActivities,
  type ChannelActivityDeps,
  type ChannelSender,
  createChannelActivities,
  createChannelSender,
} from '../../activities/channels/regional';
import { emailChannel, smsChannel } from '../../activities/channels/channels';
import { TwilioMessagesClient } from '../../connectors/twilio/client';
import { openRegionalPool } from '../../db/connections';
import { recordConsent } from '../../db/consent-store';
import { keyFromRef, newDataKey, type RegionKey, seal, wrapDataKey } from '../../db/crypto-shredding';
import { eraseProfiles, erasureLeftovers, suppress, unsuppress } from '../../db/erasure-store';
import { readSendKey, reserveSend } from '../../db/send-gate-store';
import type { SendRequest } from '../../domain/send-gate';
import { createMailer, type Mailer } from '../../mail/mailer';
import { allowEmulatorHosts } from '../emulators/hosts';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio';
import { createMeridianWeb } from '../../web/app';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

allowEmulatorHosts();

/**
 * The send gate with real parts: PostgreSQL (the region's tables, real concurrent transactions), a
 * local SMTP server and the Twilio emulator. The activity is called as Temporal would call it; a
 * "retry" is the same call again with the same send key.
 */

const ACCOUNT = `AC${'1'.repeat(32)}`;
const SERVICE = `MG${'2'.repeat(32)}`;
// Tuesday 2026-03-10, 11:00 in Paris: inside every quiet-hours window.
const TUESDAY_11_PARIS = new Date('2026-03-10T10:00:00Z');

describe('the send gate', () => {
  let d: TestDeployment;
  let sql: Sql;
  let pool: { sql: Sql; close(): Promise<void> };
  let regionKey: RegionKey;
  let smtp: SmtpHarness;
  let twilio: TwilioEmulator;
  let mailer: Mailer;
  let activities: ChannelActivities;
  let sender: ChannelSender;
  let now = TUESDAY_11_PARIS;
  let web: { app: { listen(o: { host: string; port: number }): Promise<string> }; close(): Promise<void> } | undefined;
  const seenInputs: unknown[] = [];
  const seenOutputs: unknown[] = [];

  async function person(country: string, consent: { email?: string; sms?: string } = {}) {
    const customerId = randomUUID();
    const email = `p-${customerId.slice(0, 8)}@example.fr`;
    const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const dataKey = newDataKey();
    await sql`insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, dataKey, customerId)})`;
    for (const [type, value] of [
      ['email', email],
      ['phone', phone],
    ] as const) {
      await sql`
        insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
        values (${customerId}, ${type}, ${randomBytes(32)}, ${seal(dataKey, value, `identity:${customerId}:${type}`)},
                ${customerId}, 'test-source', 'server')`;
    }
    const at = '2026-01-01T00:00:00Z';
    await recordConsent(
      sql,
      customerId,
      [
        {
          purpose: 'emailMarketing',
          state: (consent.email ?? 'granted') as 'granted',
          source: 'admin',
          at,
          proof: { kind: 'test', reference: 'seed' },
        },
        {
          purpose: 'smsMarketing',
          state: (consent.sms ?? 'granted') as 'granted',
          source: 'admin',
          at,
          proof: { kind: 'test', reference: 'seed' },
        },
      ],
      { country },
      { outbox: false },
    );
    return { customerId, email, phone };
  }

  /** The person withdrew email marketing a second before `now`. */
  const withdrawEmail = (customerId: string) =>
    recordConsent(
      sql,
      customerId,
      [
        {
          purpose: 'emailMarketing',
          state: 'withdrawn',
          source: 'preference-centre',
          at: new Date(now.getTime() - 1000).toISOString(),
          proof: { kind: 'test', reference: 'w' },
        },
      ],
      undefined,
      { outbox: false },
    );

  const request = (
    customerId: string,
    channel: 'email' | 'sms',
    sendKey = `journey-j1-${randomUUID()}:step-1`,
  ): SendRequest => ({
    region: 'eu',
    customerId,
    brandId: 'default',
    channel,
    purpose: 'marketing',
    templateRef: 'welcome-v1',
    sendKey,
  });

  async function send(input: SendRequest) {
    seenInputs.push(input);
    const outcome = await activities.sendMessage(input);
    seenOutputs.push(outcome);
    return outcome;
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    // With an SMTP server configured, the web app serves the privacy portal (and its unsubscribe route).
    d = await createTestDeployment('sendgate', { MERIDIAN_SMTP_URL: smtp.url });
    regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.config.env);
    // A pool big enough for real concurrency; warmed, as sql.array must not be a fresh pool's first query.
    pool = openRegionalPool(d.config, d.config.regions.region('eu'), { max: 8 });
    sql = pool.sql;
    await sql`select 1`;
    await d.global().sql`select 1`;
    twilio = await startTwilioEmulator({ accountSid: ACCOUNT, authToken: 'token', messagingServices: [SERVICE] });
    mailer = createMailer({ smtpUrl: smtp.url, from: 'Meridian <news@example.com>', pool: true });
    const client = new TwilioMessagesClient({
      accountSid: ACCOUNT,
      auth: { authToken: 'token' },
      baseUrl: twilio.baseUrl,
      maxRateLimitWaits: 0,
    });
    const deps: ChannelActivityDeps = {
      region: 'eu',
      sql,
      globalSql: d.global().sql,
      regionKey,
      channels: { email: emailChannel(mailer), sms: smsChannel(client, SERVICE) },
      templates: {
        async render(templateRef, context) {
          expect(templateRef).toBe('welcome-v1');
          return context.channel === 'email'
            ? { subject: 'Bienvenue', text: 'Bonjour et bienvenue', html: '<p>Bonjour et bienvenue</p>' }
            : { text: 'Bienvenue chez nous' };
        },
      },
      unsubscribe: { publicUrl: 'https://privacy.example.com', signingKeys: d.config.signingKeys },
      now: () => now,
    };
    activities = createChannelActivities(deps);
    sender = createChannelSender(deps);
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    await mailer?.close();
    await smtp?.close();
    await twilio?.close();
    await pool?.close();
    await d?.close();
  });

  const mailTo = (address: string) => smtp.messages.filter((m) => m.envelope.to.includes(address));

  it('sends an email that passes the gate once, with RFC 8058 one-click unsubscribe headers, even when the activity is retried', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    const input = request(p.customerId, 'email');
    const first = await send(input);
    expect(first).toMatchObject({ status: 'sent', repeated: false });
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(p.email));
    expect(mail.subject).toBe('Bienvenue');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.headers['list-unsubscribe']).toMatch(
      new RegExp(
        `^<https://privacy\\.example\\.com/privacy/unsubscribe/${p.customerId}\\?region=eu&brand=default&channel=email&sig=[^>]+>$`,
      ),
    );

    // The retry (the worker died after the send, before Temporal heard of it) answers what happened.
    const retry = await send(input);
    expect(retry).toEqual({ ...first, repeated: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(mailTo(p.email)).toHaveLength(1);
    expect(await readSendKey(sql, input.sendKey)).toMatchObject({ status: 'sent', localDate: '2026-03-10' });
  });

  it('sends an SMS once through a transient Twilio failure: the key stays pending, the retry sends it', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    const input = request(p.customerId, 'sms');
    twilio.failNext(1, 500);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    expect(await readSendKey(sql, input.sendKey)).toMatchObject({ status: 'pending' });
    const retried = await send(input);
    expect(retried).toMatchObject({ status: 'sent', repeated: false });
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: true });
    const texts = twilio.messages().filter((m) => m.to === p.phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({ body: 'Bienvenue chez nous', messagingServiceSid: SERVICE, status: 'accepted' });
  });

  it('stops a send when consent was withdrawn between scheduling and sending', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    const input = request(p.customerId, 'email'); // scheduled: the journey holds this input
    await withdrawEmail(p.customerId);
    expect(await send(input)).toEqual({ status: 'blocked', reason: 'consent-not-granted' });
    expect(await readSendKey(sql, input.sendKey)).toBeUndefined();
    // SMS consent is its own purpose and still holds.
    expect(await send(request(p.customerId, 'sms'))).toMatchObject({ status: 'sent' });
    expect(mailTo(p.email)).toHaveLength(0);
  });

  it('sees a withdrawal that commits while the send is being decided: the gate waits for it, then blocks', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    let sending: Promise<unknown> | undefined;
    // A consent change in flight: it holds the person's consent row (as recordConsent does) while the send arrives.
    await sql.begin(async (tx) => {
      await tx`select 1 from consent_subjects where customer_id = ${p.customerId} for update`;
      await tx`
        insert into consent_records (customer_id, purpose, state, source, recorded_at, proof_kind, proof_reference)
        values (${p.customerId}, 'emailMarketing', 'withdrawn', 'preference-centre', ${new Date(now.getTime() - 500).toISOString()}::timestamptz, 'test', 'race')`;
      sending = send(request(p.customerId, 'email'));
      await new Promise((r) => setTimeout(r, 400));
    });
    expect(await sending).toEqual({ status: 'blocked', reason: 'consent-not-granted' });
    expect(mailTo(p.email)).toHaveLength(0);
  });

  it('lets a second attempt wait while the first holds the key, and take the key over once the first died', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    const input = request(p.customerId, 'email');
    // The first attempt reserved the key and its worker died before calling the provider.
    expect(await reserveSend(sql, input, null, now)).toEqual({ kind: 'reserved', resumed: false });
    await expect(send(input)).rejects.toMatchObject({ type: 'SendInFlight', nonRetryable: false });
    expect(mailTo(p.email)).toHaveLength(0);
    await sql`update send_keys set claimed_until = now() - interval '1 second' where send_key = ${input.sendKey}`;
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: false });
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(mailTo(p.email)).toHaveLength(1);
    // The taken-over key was counted once against the day's cap.
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from send_keys where customer_id = ${p.customerId}`;
    expect(row!.n).toBe(1);
  });

  it('blocks a suppressed person and one with a verified deletion request, and a person of unknown law', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    await suppress(sql, p.customerId, 'req-1');
    expect(await send(request(p.customerId, 'email'))).toEqual({ status: 'blocked', reason: 'suppressed' });
    await unsuppress(sql, p.customerId, 'req-1');
    await sql`
      insert into privacy_requests (id, type, status, country, jurisdiction, locale, email_blind_index, customer_id, due_date)
      values ('req-2', 'deletion', 'cooling-off', 'FR', 'gdpr', 'fr', ${randomBytes(32)}, ${p.customerId}, '2026-04-10')`;
    expect(await send(request(p.customerId, 'email'))).toEqual({ status: 'blocked', reason: 'open-privacy-request' });
    await sql`update privacy_requests set status = 'cancelled' where id = 'req-2'`;
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    expect(await send(request(randomUUID(), 'email'))).toEqual({ status: 'blocked', reason: 'no-consent-subject' });
  });

  it('lets no two concurrent sends break the daily cap (2 marketing emails per local day), nor the 7-day cap (5)', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => send(request(p.customerId, 'email'))));
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === 'blocked' && o.reason === 'frequency-cap-day')).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(mailTo(p.email)).toHaveLength(2);

    // The day is the person's local day: 23:30 in Paris on Tuesday is still Tuesday (22:30 UTC).
    now = new Date('2026-03-10T22:30:00Z');
    expect(await send(request(p.customerId, 'email'))).toEqual({ status: 'blocked', reason: 'frequency-cap-day' });
    // 00:30 Wednesday in Paris (23:30 UTC Tuesday) is a new local day.
    now = new Date('2026-03-10T23:30:00Z');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    now = new Date('2026-03-12T10:00:00Z');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    // Five in the last 7 local days: the window cap holds even on a fresh day.
    expect(await send(request(p.customerId, 'email'))).toEqual({ status: 'blocked', reason: 'frequency-cap-window' });
    // A week after the first two, they no longer count.
    now = new Date('2026-03-17T10:00:00Z');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
  });

  it('defers a French SMS due 23:00 on a Saturday to Monday 08:00 local, and sends it then', async () => {
    const p = await person('FR');
    const input = request(p.customerId, 'sms');
    now = new Date('2026-03-07T22:00:00Z'); // Saturday 23:00 in Paris
    expect(await send(input)).toEqual({ status: 'deferred', until: '2026-03-09T07:00:00.000Z' });
    expect(await readSendKey(sql, input.sendKey)).toBeUndefined();
    expect(twilio.messages().filter((m) => m.to === p.phone)).toHaveLength(0);
    now = new Date('2026-03-09T07:00:00Z');
    expect(await send(input)).toMatchObject({ status: 'sent' });
    expect(twilio.messages().filter((m) => m.to === p.phone)).toHaveLength(1);
    // Email has no quiet hours.
    now = new Date('2026-03-07T22:00:00Z');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
  });

  it('withdraws email consent with a one-click unsubscribe POST (RFC 8058) and starts its propagation; a forged link is refused', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(p.email));
    const header = /^<(.+)>$/.exec(mail.headers['list-unsubscribe']!)![1]!;
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    const base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const link = new URL(header);
    const target = `${base}${link.pathname}${link.search}`;
    const oneClick = (url: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });

    // Another person's ID under this signature, or another channel, is refused.
    const forged = target.replace(p.customerId, randomUUID());
    expect((await oneClick(forged)).status).toBe(403);
    expect((await oneClick(target.replace('channel=email', 'channel=sms'))).status).toBe(403);

    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'List-Unsubscribe=One-Click',
    });
    const body = (await res.json()) as { unsubscribed: boolean; propagation?: { workflowId: string } };
    expect(res.status).toBe(200);
    expect(body.unsubscribed).toBe(true);
    expect(body.propagation?.workflowId).toMatch(/^consent-cp_[0-9a-f]{16}$/);
    const started = await d.client.workflow.getHandle(body.propagation!.workflowId).describe();
    expect(started.type).toBe('consentPropagation');
    const [record] = await sql<{ state: string; source: string }[]>`
      select state, source from consent_records where customer_id = ${p.customerId} and purpose = 'emailMarketing'
      order by id desc limit 1`;
    expect(record).toEqual({ state: 'withdrawn', source: 'list-unsubscribe' });

    // The next marketing email is stopped at the gate; SMS consent is untouched.
    expect(await send(request(p.customerId, 'email'))).toEqual({ status: 'blocked', reason: 'consent-not-granted' });
    expect(await send(request(p.customerId, 'sms'))).toMatchObject({ status: 'sent' });
  });

  it('decides a batch as it decides each send: one claim for the batch, nobody twice when the batch is retried', async () => {
    now = TUESDAY_11_PARIS;
    const [fresh, withdrawn, suppressed, capped, twice, earlier, held] = await Promise.all(
      Array.from({ length: 7 }, () => person('FR')),
    );
    await withdrawEmail(withdrawn!.customerId);
    await suppress(sql, suppressed!.customerId, 'req-batch');
    // Two marketing emails today already: the daily cap stops the third.
    for (let i = 0; i < 2; i++)
      expect(await send(request(capped!.customerId, 'email'))).toMatchObject({ status: 'sent' });
    // One today already: of two sends in the same batch, only the first fits the cap.
    expect(await send(request(twice!.customerId, 'email'))).toMatchObject({ status: 'sent' });
    const sentEarlier = request(earlier!.customerId, 'email');
    const first = await send(sentEarlier);
    const heldKey = request(held!.customerId, 'email');
    expect(await reserveSend(sql, heldKey, null, now)).toEqual({ kind: 'reserved', resumed: false });
    const before = smtp.messages.length;

    const batch = [
      request(fresh!.customerId, 'email'),
      request(withdrawn!.customerId, 'email'),
      request(suppressed!.customerId, 'email'),
      request(capped!.customerId, 'email'),
      request(twice!.customerId, 'email'),
      request(twice!.customerId, 'email'),
      sentEarlier,
      heldKey,
      request(randomUUID(), 'email'),
    ];
    const answers = await sender.sendBatch(batch, { concurrency: 4 });
    expect(
      answers.map((a) => (a.status === 'failure' ? a.failure.type : a.status === 'blocked' ? a.reason : a.status)),
    ).toEqual([
      'sent',
      'consent-not-granted',
      'suppressed',
      'frequency-cap-day',
      'sent',
      'frequency-cap-day',
      'sent',
      'SendInFlight',
      'no-consent-subject',
    ]);
    expect(answers[6]).toEqual({ ...first, repeated: true });
    await smtp.waitFor((m) => m.envelope.to.includes(twice!.email) && smtp.messages.length >= before + 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.length - before).toBe(2);
    expect(await readSendKey(sql, batch[0]!.sendKey)).toMatchObject({ status: 'sent', localDate: '2026-03-10' });

    // The batch again (a retried activity): the sent answer as sent before, nobody gets a second message.
    const again = await sender.sendBatch(batch, { concurrency: 4 });
    expect(again[0]).toEqual({ ...(answers[0] as object), repeated: true });
    expect(again[4]).toEqual({ ...(answers[4] as object), repeated: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.length - before).toBe(2);
    await unsuppress(sql, suppressed!.customerId, 'req-batch');
  });

  it('refuses a request naming an address instead of an ID, and a region that is not the worker’s', async () => {
    const p = await person('FR');
    await expect(send({ ...request(p.customerId, 'email'), sendKey: p.email })).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('sendKey'),
    });
    await expect(send({ ...request(p.customerId, 'email'), region: 'us' })).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('region'),
    });
  });

  it('leaves no send key or counter of an erased person', async () => {
    now = TUESDAY_11_PARIS;
    const p = await person('FR');
    expect(await send(request(p.customerId, 'email'))).toMatchObject({ status: 'sent' });
    await eraseProfiles(sql, d.global().sql, [p.customerId], false);
    const left = await erasureLeftovers(sql, p.customerId);
    expect(left.tables).toEqual({});
  });

  it('keeps personal values out of every activity input and outcome, and out of the send keys', async () => {
    const addresses = await sql<{ n: number }[]>`select count(*)::int as n from identities`;
    expect(addresses[0]!.n).toBeGreaterThan(0);
    const people = await sql<{ customer_id: string }[]>`select distinct customer_id from identities`;
    const io = JSON.stringify([seenInputs, seenOutputs]);
    const keys = JSON.stringify(await sql`select * from send_keys`);
    for (const mail of smtp.messages)
      for (const to of mail.envelope.to) {
        expect(io).not.toContain(to);
        expect(keys).not.toContain(to);
      }
    for (const text of twilio.messages()) {
      expect(io).not.toContain(text.to);
      expect(io).not.toContain(text.to.slice(1));
      expect(keys).not.toContain(text.to.slice(1));
    }
    expect(people.length).toBeGreaterThan(3);
    expect(seenInputs.length).toBeGreaterThan(10);
  });
});
