import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelSuppression } from '../../db/channel-events-store';
import { recordConsent } from '../../db/consent-store';
import { blindIndex, keyFromRef, newDataKey, type RegionKey, seal, wrapDataKey } from '../../db/crypto-shredding';
import { reserveSend } from '../../db/send-gate-store';
import type { SendRequest } from '../../domain/send-gate';
import { webhookSignature } from '../../domain/webhook-mapping';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import type { SnsHttp } from '../../web/channels/sns-certificates';
import { createTestDeployment, type TestDeployment } from '../support/deployment';

/**
 * Providers calling back, over HTTP into the real web server (PostgreSQL, Temporal): Twilio's status
 * callbacks and inbound STOP/START replies (X-Twilio-Signature, computed with the twilio SDK as
 * Twilio computes it), and SES bounce / complaint / engagement events signed by the relay. Each is
 * an internet-facing boundary: forged and missing signatures, a signature for another URL, a
 * tampered body, an old timestamp and malformed bodies are refused. SES events also come straight
 * from an SNS subscription: an SNS emulator signs them with a test key (test/fixtures/sns) and
 * serves its certificate as if from an SNS host; other topics, certificate hosts and keys are refused.
 */

const AUTH_TOKEN = 'twilio_auth_token_0123456789abcdef';
const EVENTS_SECRET = 'email_events_secret_0123456789abcdef';
const NOW = new Date('2026-03-10T10:00:00Z');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';
const snsFixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'sns', name), 'utf8');

/**
 * Amazon SNS as the route meets it: the signing certificate at CERT_URL, a subscription confirmed
 * by a GET of its SubscribeURL. Every address asked for is kept, to show what was never fetched.
 */
class SnsEmulator implements SnsHttp {
  readonly asked: string[] = [];
  readonly confirmed: string[] = [];
  certificateDown = false;

  async get(url: string): Promise<string> {
    this.asked.push(url);
    if (url === CERT_URL) {
      if (this.certificateDown) throw new Error('sns.eu-west-1.amazonaws.com answered 503');
      return snsFixture('sns-signing-cert.pem');
    }
    if (new URL(url).searchParams.get('Action') === 'ConfirmSubscription') {
      this.confirmed.push(url);
      return '<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>x</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>';
    }
    throw new Error(`${new URL(url).hostname} answered 404`);
  }
}

/** A message as SNS sends it, signed as AWS documents (the fields as "Name\nvalue\n" in its order). */
function snsMessage(
  fields: { Type?: string; Message: string; Subject?: string; Token?: string; SubscribeURL?: string } & Record<
    string,
    string | undefined
  >,
  options: { key?: string; version?: '1' | '2' } = {},
) {
  const message: Record<string, string> = {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: TOPIC,
    Timestamp: new Date().toISOString(),
    SignatureVersion: options.version ?? '2',
    SigningCertURL: CERT_URL,
    ...(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>),
  };
  const order =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = order
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
  message.Signature = createSign(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
    .update(text)
    .sign(options.key ?? snsFixture('sns-signing-key.pem'), 'base64');
  return message;
}

describe('channel callbacks', () => {
  let d: TestDeployment;
  let sql: Sql;
  let regionKey: RegionKey;
  let web: MeridianWeb;
  let base: string;
  let publicUrl: string;
  const sns = new SnsEmulator();

  async function snsPost(message: unknown, options: { region?: string; raw?: string } = {}) {
    return fetch(`${base}/channels/email/${options.region ?? 'eu'}/sns`, {
      method: 'POST',
      // As SNS sends it.
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: options.raw ?? JSON.stringify(message),
    });
  }

  async function person() {
    const customerId = randomUUID();
    const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const email = `p-${customerId.slice(0, 8)}@example.fr`;
    const dataKey = newDataKey();
    await sql`insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, dataKey, customerId)})`;
    for (const [type, value] of [
      ['phone', phone],
      ['email', email],
    ] as const)
      await sql`
        insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
        values (${customerId}, ${type}, ${blindIndex(d.config.identityHmacKey, type, value)},
                ${seal(dataKey, value, `identity:${customerId}:${type}`)}, ${customerId}, 'test-source', 'server')`;
    await recordConsent(
      sql,
      customerId,
      (['smsMarketing', 'emailMarketing'] as const).map((purpose) => ({
        purpose,
        state: 'granted' as const,
        source: 'admin' as const,
        at: '2026-01-01T00:00:00Z',
        proof: { kind: 'test', reference: 'seed' },
      })),
      { country: 'FR' },
      { outbox: false },
    );
    return { customerId, phone, email };
  }

  /** A message the gate sent: its key with the provider's ID. */
  async function sentMessage(customerId: string, channel: 'sms' | 'email', providerMessageId: string) {
    const sendKey = `bc-${randomUUID()}:${customerId}`;
    await sql`
      insert into send_keys (send_key, customer_id, brand_id, channel, purpose, status, local_date, provider_message_id)
      values (${sendKey}, ${customerId}, 'default', ${channel}, 'marketing', 'sent', '2026-03-10', ${providerMessageId})`;
    return sendKey;
  }

  const sid = () => `SM${randomBytes(16).toString('hex')}`;

  /** POSTs a Twilio form, signed for `signedPath` (default: the path posted to) with `token`. */
  async function twilioPost(
    path: string,
    fields: Record<string, string>,
    options: { token?: string; signedPath?: string; signature?: string | null; tamper?: boolean } = {},
  ) {
    const signature =
      options.signature === undefined
        ? twilio.getExpectedTwilioSignature(
            options.token ?? AUTH_TOKEN,
            `${publicUrl}${options.signedPath ?? path}`,
            fields,
          )
        : options.signature;
    const body = new URLSearchParams({ ...fields, ...(options.tamper ? { MessageStatus: 'delivered' } : {}) });
    return fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature !== null ? { 'x-twilio-signature': signature } : {}),
      },
      body,
    });
  }

  async function emailEvent(
    event: unknown,
    options: { secret?: string; timestamp?: number; raw?: string; region?: string } = {},
  ) {
    const body = options.raw ?? JSON.stringify(event);
    const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    return fetch(`${base}/channels/email/${options.region ?? 'eu'}/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-meridian-timestamp': ts,
        'x-meridian-signature': `sha256=${webhookSignature(options.secret ?? EVENTS_SECRET, ts, body)}`,
      },
      body,
    });
  }

  const deliveryEvents = (customerId: string) =>
    sql<{ event: string }[]>`
      select event from events where customer_id = ${customerId} and source_id = 'meridian-channels' order by received_at`;

  /** What the gate would answer now; a reservation is dropped again, so probes do not count against caps. */
  async function gate(customerId: string, channel: 'sms' | 'email') {
    const sendKey = `probe-${randomUUID()}`;
    const request: SendRequest = {
      region: 'eu',
      customerId,
      brandId: 'default',
      channel,
      purpose: 'marketing',
      templateRef: 't',
      sendKey,
    };
    const answer = await reserveSend(sql, request, null, NOW);
    await sql`delete from send_keys where send_key = ${sendKey}`;
    return answer;
  }

  beforeAll(async () => {
    d = await createTestDeployment('chancb', {
      MERIDIAN_TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
      MERIDIAN_TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      MERIDIAN_TWILIO_MESSAGING_SERVICE_SID: `MG${'2'.repeat(32)}`,
      MERIDIAN_EMAIL_EVENTS_SECRET: EVENTS_SECRET,
      MERIDIAN_SES_SNS_TOPIC_ARNS: TOPIC,
    });
    sql = d.regional('eu').sql;
    await Promise.all([sql`select 1`, d.global().sql`select 1`]);
    regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.config.env);
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2, snsHttp: sns });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    publicUrl = d.config.privacy.publicUrl;
    // The signature covers the URL Twilio was given (the public URL), not the address the server listens on.
    expect(publicUrl).not.toBe(base);
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it('turns a signed Twilio status callback into Message Delivered / Message Failed on the profile, once even when replayed', async () => {
    const p = await person();
    const delivered = sid();
    await sentMessage(p.customerId, 'sms', delivered);
    const fields = {
      MessageSid: delivered,
      MessageStatus: 'delivered',
      AccountSid: `AC${'1'.repeat(32)}`,
      To: p.phone,
    };
    const res = await twilioPost('/channels/twilio/eu/status', fields);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/xml/);
    expect((await twilioPost('/channels/twilio/eu/status', fields)).status).toBe(200); // Twilio retries
    // Intermediate states say nothing new.
    expect((await twilioPost('/channels/twilio/eu/status', { ...fields, MessageStatus: 'sent' })).status).toBe(200);
    const failed = sid();
    await sentMessage(p.customerId, 'sms', failed);
    await twilioPost('/channels/twilio/eu/status', {
      MessageSid: failed,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    });
    expect((await deliveryEvents(p.customerId)).map((e) => e.event)).toEqual(['Message Delivered', 'Message Failed']);
    // A callback for a message that is not ours is acknowledged and changes nothing.
    expect((await twilioPost('/channels/twilio/eu/status', { ...fields, MessageSid: sid() })).status).toBe(200);
  });

  it('refuses Twilio callbacks with a forged, missing or misplaced signature, a tampered body, or a malformed one', async () => {
    const p = await person();
    const message = sid();
    await sentMessage(p.customerId, 'sms', message);
    const fields = { MessageSid: message, MessageStatus: 'failed' };
    expect(
      (await twilioPost('/channels/twilio/eu/status', fields, { token: 'someone-elses-token-000000' })).status,
    ).toBe(403);
    expect((await twilioPost('/channels/twilio/eu/status', fields, { signature: null })).status).toBe(403);
    expect((await twilioPost('/channels/twilio/eu/status', fields, { signature: 'AAAA' })).status).toBe(403);
    // Signed for the inbound route, replayed at the status route.
    expect(
      (await twilioPost('/channels/twilio/eu/status', fields, { signedPath: '/channels/twilio/eu/inbound' })).status,
    ).toBe(403);
    // Signed as "failed", sent as "delivered".
    expect((await twilioPost('/channels/twilio/eu/status', fields, { tamper: true })).status).toBe(403);
    expect(await deliveryEvents(p.customerId)).toEqual([]);

    const malformed = await twilioPost('/channels/twilio/eu/status', {
      MessageSid: 'not-a-sid',
      MessageStatus: 'delivered',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toContain('MessageSid');
    expect((await twilioPost('/channels/twilio/mars/status', fields)).status).toBe(404);
    const wrongType = await fetch(`${base}/channels/twilio/eu/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
    });
    expect(wrongType.status).toBe(415);
  });

  it('withdraws SMS marketing consent on a STOP reply and grants it again on START, through recordConsent and its propagation', async () => {
    const p = await person();
    expect(await gate(p.customerId, 'sms')).toMatchObject({ kind: 'reserved' });
    const stop = await twilioPost('/channels/twilio/eu/inbound', { MessageSid: sid(), From: p.phone, Body: '  stop ' });
    expect(stop.status).toBe(200);
    const [record] = await sql<{ state: string; source: string; proof_kind: string }[]>`
      select state, source, proof_kind from consent_records
      where customer_id = ${p.customerId} and purpose = 'smsMarketing' order by id desc limit 1`;
    expect(record).toEqual({ state: 'withdrawn', source: 'sms-reply', proof_kind: 'sms-reply' });
    // The withdrawal is propagated to the connected systems: its propagation workflow was started.
    const [propagation] = await sql<{ id: string }[]>`
      select id from consent_propagations where customer_id = ${p.customerId} order by created_at desc limit 1`;
    expect(propagation).toBeDefined();
    const started = await d.client.workflow.getHandle(`consent-${propagation!.id}`).describe();
    expect(started.type).toBe('consentPropagation');
    expect(await gate(p.customerId, 'sms')).toEqual({ kind: 'blocked', reason: 'consent-not-granted' });
    expect(await gate(p.customerId, 'email')).toMatchObject({ kind: 'reserved' });
    // Anything else is a conversation, not a consent.
    await twilioPost('/channels/twilio/eu/inbound', { MessageSid: sid(), From: p.phone, Body: 'start please' });
    expect(await gate(p.customerId, 'sms')).toEqual({ kind: 'blocked', reason: 'consent-not-granted' });
    await twilioPost('/channels/twilio/eu/inbound', { MessageSid: sid(), From: p.phone, Body: 'START' });
    expect(await gate(p.customerId, 'sms')).toMatchObject({ kind: 'reserved' });
    // A forged STOP changes nothing.
    const forged = await twilioPost(
      '/channels/twilio/eu/inbound',
      { MessageSid: sid(), From: p.phone, Body: 'STOP' },
      { token: 'guessed-token-0000000000000' },
    );
    expect(forged.status).toBe(403);
    expect(await gate(p.customerId, 'sms')).toMatchObject({ kind: 'reserved' });
  });

  it('suppresses email after a permanent SES bounce (not a transient one), and records Message Bounced', async () => {
    const p = await person();
    const transient = `0100018e-${randomUUID()}`;
    await sentMessage(p.customerId, 'email', `<${transient}@meridian.local>`);
    const soft = await emailEvent({
      notificationType: 'Bounce',
      mail: { messageId: 'ses-1', commonHeaders: { messageId: `<${transient}@meridian.local>` } },
      bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', feedbackId: 'fb-1' },
    });
    expect(await soft.json()).toEqual({ recorded: true, suppressed: false });
    expect(await gate(p.customerId, 'email')).toMatchObject({ kind: 'reserved' });

    const hard = `0100018f-${randomUUID()}`;
    await sentMessage(p.customerId, 'email', `<${hard}@meridian.local>`);
    const res = await emailEvent({
      eventType: 'Bounce',
      mail: { messageId: 'ses-2', commonHeaders: { messageId: `${hard}@meridian.local` } },
      bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', feedbackId: 'fb-2' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ recorded: true, suppressed: true });
    expect(await channelSuppression(sql, p.customerId, 'email')).toEqual({
      reason: 'bounce',
      providerReference: 'fb-2',
    });
    expect(await gate(p.customerId, 'email')).toEqual({ kind: 'blocked', reason: 'suppressed' });
    expect(await gate(p.customerId, 'sms')).toMatchObject({ kind: 'reserved' });
    expect((await deliveryEvents(p.customerId)).map((e) => e.event)).toEqual(['Message Bounced', 'Message Bounced']);
  });

  it('turns a complaint into a suppression and a withdrawal of email marketing, and opens, clicks and deliveries into events', async () => {
    const p = await person();
    const id = `<${randomUUID()}@meridian.local>`;
    await sentMessage(p.customerId, 'email', id);
    for (const eventType of ['Delivery', 'Open', 'Click'])
      expect(
        await (await emailEvent({ eventType, mail: { messageId: 'x', commonHeaders: { messageId: id } } })).json(),
      ).toEqual({
        recorded: true,
      });
    const res = await emailEvent({
      notificationType: 'Complaint',
      mail: { messageId: 'x', commonHeaders: { messageId: id } },
      complaint: { feedbackId: 'fb-c', complaintFeedbackType: 'abuse' },
    });
    expect(await res.json()).toEqual({ recorded: true, suppressed: true });
    const [record] = await sql<{ state: string; source: string }[]>`
      select state, source from consent_records where customer_id = ${p.customerId} and purpose = 'emailMarketing'
      order by id desc limit 1`;
    expect(record).toEqual({ state: 'withdrawn', source: 'complaint' });
    expect(await gate(p.customerId, 'email')).toMatchObject({ kind: 'blocked' });
    expect((await deliveryEvents(p.customerId)).map((e) => e.event)).toEqual([
      'Message Delivered',
      'Message Opened',
      'Message Clicked',
      'Message Unsubscribed',
    ]);
    // Not our message: acknowledged, nothing recorded.
    expect(await (await emailEvent({ eventType: 'Open', mail: { messageId: 'unknown' } })).json()).toEqual({
      recorded: false,
    });
  });

  it('refuses email events with a forged signature or an old timestamp (401), and malformed bodies (400)', async () => {
    const p = await person();
    const id = `<${randomUUID()}@meridian.local>`;
    await sentMessage(p.customerId, 'email', id);
    const bounce = {
      notificationType: 'Bounce',
      mail: { messageId: 'x', commonHeaders: { messageId: id } },
      bounce: { bounceType: 'Permanent', feedbackId: 'fb' },
    };
    expect((await emailEvent(bounce, { secret: 'not-the-secret-0000000000000' })).status).toBe(401);
    const replay = await emailEvent(bounce, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toContain('old');
    expect(await channelSuppression(sql, p.customerId, 'email')).toBeUndefined();

    expect((await emailEvent(undefined, { raw: '{"notificationType":' })).status).toBe(400);
    const noBounce = await emailEvent({ notificationType: 'Bounce', mail: { messageId: 'x' } });
    expect(noBounce.status).toBe(400);
    expect(((await noBounce.json()) as { error: string }).error).toContain('bounce');
    const noType = await emailEvent({ mail: { messageId: 'x' } });
    expect(noType.status).toBe(400);
    expect((await emailEvent(bounce, { region: 'mars' })).status).toBe(404);
    expect(await channelSuppression(sql, p.customerId, 'email')).toBeUndefined();
  });

  it('takes SES events straight from an SNS subscription: confirms it, then records bounces and deliveries signed by SNS', async () => {
    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=t0k3n`;
    const confirm = await snsPost(
      snsMessage({
        Type: 'SubscriptionConfirmation',
        Message: `You have chosen to subscribe to the topic ${TOPIC}.`,
        Token: 't0k3n',
        SubscribeURL: subscribeUrl,
      }),
    );
    expect(confirm.status).toBe(200);
    expect(await confirm.json()).toEqual({ confirmed: true });
    expect(sns.confirmed).toEqual([subscribeUrl]);

    const p = await person();
    const id = `<${randomUUID()}@meridian.local>`;
    await sentMessage(p.customerId, 'email', id);
    const delivery = JSON.stringify({
      eventType: 'Delivery',
      mail: { messageId: 'ses-d', commonHeaders: { messageId: id } },
    });
    // SignatureVersion 1 (SHA1) and a Subject, as older topics send.
    const delivered = await snsPost(
      snsMessage({ Message: delivery, Subject: 'Amazon SES Email Event Notification' }, { version: '1' }),
    );
    expect(await delivered.json()).toEqual({ recorded: true });
    const bounce = JSON.stringify({
      notificationType: 'Bounce',
      mail: { messageId: 'ses-b', commonHeaders: { messageId: id } },
      bounce: { bounceType: 'Permanent', bounceSubType: 'General', feedbackId: 'fb-sns' },
    });
    const bounced = await snsPost(snsMessage({ Message: bounce }));
    expect(bounced.status).toBe(200);
    expect(await bounced.json()).toEqual({ recorded: true, suppressed: true });
    expect(await channelSuppression(sql, p.customerId, 'email')).toEqual({
      reason: 'bounce',
      providerReference: 'fb-sns',
    });
    expect((await deliveryEvents(p.customerId)).map((e) => e.event)).toEqual(['Message Delivered', 'Message Bounced']);
    // The certificate was fetched once for all of them.
    expect(sns.asked.filter((url) => url === CERT_URL)).toHaveLength(1);
  });

  it('refuses SNS messages from other topics, certificates from elsewhere, other keys, tampered ones and malformed ones', async () => {
    const p = await person();
    const id = `<${randomUUID()}@meridian.local>`;
    await sentMessage(p.customerId, 'email', id);
    const complaint = JSON.stringify({
      notificationType: 'Complaint',
      mail: { messageId: 'x', commonHeaders: { messageId: id } },
      complaint: { feedbackId: 'fb-forged' },
    });
    const askedBefore = sns.asked.length;
    const refused = async (message: unknown, status: number, says: string) => {
      const res = await snsPost(message);
      expect(res.status, says).toBe(status);
      expect(((await res.json()) as { error: string }).error).toContain(says);
    };
    // Signed by SNS for somebody else's topic (anyone can subscribe our URL to theirs).
    await refused(
      snsMessage({ Message: complaint, TopicArn: 'arn:aws:sns:eu-west-1:999999999999:theirs' }),
      403,
      'TopicArn',
    );
    // A certificate the attacker controls: never fetched.
    for (const url of [
      'https://attacker.example/SimpleNotificationService-x.pem',
      'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.eu-west-1.amazonaws.com.attacker.example/SimpleNotificationService-x.pem',
    ])
      await refused(snsMessage({ Message: complaint, SigningCertURL: url }), 403, 'SigningCertURL');
    expect(sns.asked.slice(askedBefore).filter((url) => url !== CERT_URL)).toEqual([]);
    // Amazon's certificate named, the attacker's key used.
    await refused(
      snsMessage({ Message: complaint }, { key: snsFixture('attacker-signing-key.pem') }),
      403,
      'signature',
    );
    // Signed by SNS, then changed.
    const signed = snsMessage({ Message: JSON.stringify({ eventType: 'Open', mail: { messageId: id } }) });
    await refused({ ...signed, Message: complaint }, 403, 'signature');
    // A confirmation whose SubscribeURL is not SNS's is not followed (even signed).
    await refused(
      snsMessage({
        Type: 'SubscriptionConfirmation',
        Message: 'm',
        Token: 't',
        SubscribeURL: 'https://attacker.example/?Action=ConfirmSubscription',
      }),
      403,
      'SubscribeURL',
    );
    // Malformed: not JSON, no signature, a signed Message that is not JSON.
    expect((await snsPost(undefined, { raw: '{"Type":' })).status).toBe(400);
    const { Signature: _dropped, ...unsigned } = snsMessage({ Message: complaint });
    await refused(unsigned, 400, 'Signature');
    await refused(snsMessage({ Message: 'not json' }), 400, 'Message');
    expect((await snsPost(snsMessage({ Message: complaint }), { region: 'mars' })).status).toBe(404);
    // SNS's certificate cannot be fetched: 503, so SNS retries; nothing was recorded.
    sns.certificateDown = true;
    await web.close();
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2, snsHttp: sns });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    await refused(snsMessage({ Message: complaint }), 503, 'certificate');
    sns.certificateDown = false;
    // The failure is remembered for a minute: SNS's immediate retries cost no fetch.
    const fetches = sns.asked.length;
    await refused(snsMessage({ Message: complaint }), 503, 'certificate');
    expect(sns.asked.length).toBe(fetches);
    expect(await channelSuppression(sql, p.customerId, 'email')).toBeUndefined();
    expect(await deliveryEvents(p.customerId)).toEqual([]);
    // Once that minute is past (here: a new process), the same complaint, signed by SNS, is taken.
    await web.close();
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2, snsHttp: sns });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const taken = await snsPost(snsMessage({ Message: complaint }));
    expect(await taken.json()).toEqual({ recorded: true, suppressed: true });
  });
});
