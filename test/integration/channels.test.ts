import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { MockActivityEnvironment } from '@temporalio/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Sql } from 'postgres';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineChannel, lineRetryKey } from '../../activities/channels/line';
import { fcmProvider, pushChannel } from '../../activities/channels/push';
import { type ChannelActivities, createChannelActivities } from '../../activities/channels/regional';
import { webhookChannel } from '../../activities/channels/webhook';
import { recordConsent } from '../../db/consent-store';
import { keyFromRef, newDataKey, type RegionKey, seal, wrapDataKey } from '../../db/crypto-shredding';
import { loadPersonIdentifiers } from '../../db/person-store';
import { RegionWriter } from '../../db/region-writer';
import { readSendKey } from '../../db/send-gate-store';
import { deliveryEventCall } from '../../domain/delivery-events';
import { DEFAULT_IDENTITY_RULES } from '../../domain/identity-rules';
import { normaliseWebPushSubscription } from '../../domain/identifiers';
import type { SendOutcome, SendRequest } from '../../domain/send-gate';
import { checkWebhookSignature, webhookSignature } from '../../domain/webhook-mapping';
import { startFcmEmulator, type FcmEmulator } from '../emulators/fcm';
import { startLineEmulator, type LineEmulator } from '../emulators/line';
import { startWebPushEmulator, type WebPushEmulator } from '../emulators/web-push';
import { createTestDeployment, type TestDeployment } from '../support/deployment';

/**
 * Push (FCM HTTP v1 and Web Push), LINE and the webhook channel, each behind MessageChannel and
 * called through the one send activity (sendMessage) with real PostgreSQL, against emulators that
 * check what the providers check (OAuth/VAPID/bearer auth, payload encryption, retry keys, limits).
 * The activity is called as Temporal calls it; a retry is the same call again with the same key.
 */

// Tuesday 2026-03-10, 19:00 in Tokyo, 11:00 in Paris.
const NOW = new Date('2026-03-10T10:00:00Z');
const WEBHOOK_SECRET = 'whsec_test_channel_secret_0123456789';

describe('push, LINE and webhook channels', () => {
  let d: TestDeployment;
  let sql: Sql;
  let regionKey: RegionKey;
  let fcm: FcmEmulator;
  let push: WebPushEmulator;
  let line: LineEmulator;
  let receiver: FastifyInstance;
  let receiverUrl: string;
  const received: { idempotencyKey: string; body: any; verified: boolean }[] = [];
  const receiverFaults: (number | 'stall')[] = [];
  let vapid: { publicKey: string; privateKey: string };
  let activities: ChannelActivities;
  let writer: RegionWriter;
  const seenInputs: unknown[] = [];
  const seenOutputs: unknown[] = [];
  const secrets: string[] = [];

  /** A person in region eu with the given device identities and consent for `push`. */
  async function person(
    ids: { fcm?: string; webPush?: string; line?: string },
    consent: 'granted' | 'withdrawn' = 'granted',
    country = 'JP',
  ) {
    const customerId = randomUUID();
    const dataKey = newDataKey();
    await sql`insert into profiles (customer_id, data_key_wrapped) values (${customerId}, ${wrapDataKey(regionKey, dataKey, customerId)})`;
    const rows: [string, string][] = [];
    if (ids.fcm) rows.push(['fcm_token', ids.fcm]);
    if (ids.webPush) rows.push(['web_push', ids.webPush]);
    if (ids.line) rows.push(['line_user', ids.line]);
    for (const [type, value] of rows) {
      secrets.push(value);
      await sql`
        insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
        values (${customerId}, ${type}, ${randomBytes(32)}, ${seal(dataKey, value, `identity:${customerId}:${type}`)},
                ${customerId}, 'test-source', 'server')`;
    }
    await recordConsent(
      sql,
      customerId,
      ['push', 'emailMarketing'].map((purpose) => ({
        purpose: purpose as 'push',
        state: consent,
        source: 'admin' as const,
        at: '2026-01-01T00:00:00Z',
        proof: { kind: 'test', reference: 'seed' },
      })),
      { country },
      { outbox: false },
    );
    return customerId;
  }

  const request = (
    customerId: string,
    channel: SendRequest['channel'],
    sendKey = `bc-${randomUUID()}:c`,
  ): SendRequest => ({
    region: 'eu',
    customerId,
    brandId: 'default',
    channel,
    purpose: 'marketing',
    templateRef: 'sale-v1',
    sendKey,
  });

  async function send(input: SendRequest) {
    seenInputs.push(input);
    const outcome: SendOutcome = await new MockActivityEnvironment({ attempt: 1 }).run(activities.sendMessage, input);
    seenOutputs.push(outcome);
    return outcome;
  }

  async function sentEvents(customerId: string) {
    return sql<{ event: string; properties: string | null; message_id: string }[]>`
      select event, properties::text, message_id from events where customer_id = ${customerId} and source_id = 'meridian-channels'`;
  }

  beforeAll(async () => {
    d = await createTestDeployment('channels');
    sql = d.regional('eu').sql;
    await Promise.all([sql`select 1`, d.global().sql`select 1`]);
    regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.config.env);
    [fcm, push, line] = await Promise.all([startFcmEmulator(), startWebPushEmulator(), startLineEmulator()]);
    vapid = webpush.generateVAPIDKeys();

    receiver = Fastify();
    receiver.removeAllContentTypeParsers();
    receiver.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    receiver.post('/hook', async (req, reply) => {
      const fault = receiverFaults.shift();
      if (fault === 'stall') {
        await new Promise((r) => setTimeout(r, 1500));
        return reply.code(200).send();
      }
      if (typeof fault === 'number') return reply.code(fault).send({ error: 'fault' });
      const raw = req.body as Buffer;
      const verified = checkWebhookSignature(
        WEBHOOK_SECRET,
        {
          signature: req.headers['x-meridian-signature'] as string,
          timestamp: req.headers['x-meridian-timestamp'] as string,
        },
        raw,
        Date.now(),
      ).ok;
      received.push({
        idempotencyKey: String(req.headers['idempotency-key']),
        body: JSON.parse(raw.toString()),
        verified,
      });
      return reply.code(202).header('x-request-id', `rcv-${received.length}`).send({ accepted: true });
    });
    receiverUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/hook`;

    writer = new RegionWriter({
      region: 'eu',
      pool: d.regional('eu'),
      globalSql: d.global().sql,
      regionKey,
      hmacKey: d.config.identityHmacKey,
      rules: () => DEFAULT_IDENTITY_RULES,
    });
    activities = createChannelActivities({
      region: 'eu',
      sql,
      globalSql: d.global().sql,
      regionKey,
      channels: {
        push: pushChannel({
          mobile: fcmProvider({ serviceAccount: fcm.serviceAccount, baseUrl: fcm.baseUrl, timeoutMs: 2000 }),
          webPush: {
            vapid: { subject: 'mailto:push@example.com', ...vapid },
            agent: new Agent({ ca: push.ca }),
            timeoutMs: 2000,
          },
        }),
        line: lineChannel({ channelAccessToken: line.channelAccessToken, baseUrl: line.baseUrl }),
        webhook: webhookChannel({
          url: receiverUrl,
          secret: WEBHOOK_SECRET,
          consentPurpose: 'emailMarketing',
          timeoutMs: 500,
        }),
      },
      templates: {
        async render(_ref, context) {
          return context.channel === 'webhook'
            ? { subject: 'Sale', text: 'Our spring sale starts today' }
            : { subject: 'セール', text: '春のセールが始まりました' };
        },
      },
      unsubscribe: { publicUrl: 'https://privacy.example.com', signingKeys: d.config.signingKeys },
      deliveryEvents: writer,
      now: () => NOW,
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([fcm?.close(), push?.close(), line?.close(), receiver?.close()]);
    await d?.close();
  });

  // ---------------------------------------------------------------------------------------------
  // FCM
  // ---------------------------------------------------------------------------------------------

  it('sends an app push through FCM once, with an OAuth token from the service account, and records Message Sent once', async () => {
    const token = fcm.register();
    const customerId = await person({ fcm: token });
    const input = request(customerId, 'push');
    const first = await send(input);
    expect(first).toMatchObject({ status: 'sent', repeated: false });
    expect((first as { providerMessageId: string }).providerMessageId).toMatch(/^projects\/meridian-test\/messages\//);
    // The worker died after the send: Temporal's retry answers what happened, FCM is not called again.
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: true });
    const mine = fcm.sent().filter((m) => m.token === token);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ title: 'セール', body: '春のセールが始まりました' });
    expect(mine[0]!.collapseKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // One access token for every send while it lives.
    const grants = fcm.tokenGrants;
    await send(request(await person({ fcm: fcm.register() }), 'push'));
    expect(fcm.tokenGrants).toBe(grants);
    // The delivery event is on the profile, once, with IDs only.
    const events = await sentEvents(customerId);
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe('Message Sent');
    expect(events[0]!.message_id).toMatch(/^delivery-sent-[0-9a-f]{40}$/);
  });

  it('waits out FCM QUOTA_EXCEEDED (429) for its Retry-After and a 503, then sends once', async () => {
    const token = fcm.register();
    const customerId = await person({ fcm: token });
    const input = request(customerId, 'push');
    fcm.quotaExceededNext(1, 7);
    await expect(send(input)).rejects.toMatchObject({
      type: 'ChannelUnavailable',
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
    expect(await readSendKey(sql, input.sendKey)).toMatchObject({ status: 'pending' });
    fcm.unavailableNext(1);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: false });
    expect(fcm.sent().filter((m) => m.token === token)).toHaveLength(1);
  });

  it('fetches a new access token when FCM says the old one is no longer valid (401)', async () => {
    const token = fcm.register();
    const customerId = await person({ fcm: token });
    const grants = fcm.tokenGrants;
    fcm.revokeTokens();
    expect(await send(request(customerId, 'push'))).toMatchObject({ status: 'sent' });
    expect(fcm.tokenGrants).toBe(grants + 1);
  });

  it('removes a device token FCM reports UNREGISTERED or invalid, fails that send for good, and reaches the browser next', async () => {
    const token = fcm.register();
    const subscription = push.subscribe(vapid.publicKey);
    const webPushId = (normaliseWebPushSubscription(subscription) as { value: string }).value;
    const customerId = await person({ fcm: token, webPush: webPushId });
    fcm.unregister(token);
    const input = request(customerId, 'push');
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelRefused', nonRetryable: true });
    expect(await readSendKey(sql, input.sendKey)).toMatchObject({ status: 'failed' });
    const left = await loadPersonIdentifiers(sql, regionKey, customerId);
    expect(left?.platformIds.fcm_token ?? []).toEqual([]);
    expect(left?.platformIds.web_push).toEqual([webPushId]);
    // A retry of the refused key does not call anyone; the next message goes to the browser.
    expect(await send(input)).toEqual({ status: 'blocked', reason: 'failed-before' });
    expect(await send(request(customerId, 'push'))).toMatchObject({ status: 'sent' });
    expect(push.delivered().filter((m) => subscription.endpoint.endsWith(m.subscriptionId))).toHaveLength(1);

    // A token FCM does not recognise at all (INVALID_ARGUMENT, not a registration token) is removed too.
    const bogus = await person({ fcm: 'not-a-registration-token-at-all' });
    await expect(send(request(bogus, 'push'))).rejects.toMatchObject({ type: 'ChannelRefused' });
    expect((await loadPersonIdentifiers(sql, regionKey, bogus))?.platformIds.fcm_token ?? []).toEqual([]);
  });

  // ---------------------------------------------------------------------------------------------
  // Web Push
  // ---------------------------------------------------------------------------------------------

  it('sends a Web Push the push service accepts: VAPID JWT verified, aes128gcm payload decrypted, Topic from the send key', async () => {
    const subscription = push.subscribe(vapid.publicKey);
    const id = (normaliseWebPushSubscription(JSON.stringify(subscription)) as { value: string }).value;
    const customerId = await person({ webPush: id });
    const input = request(customerId, 'push');
    const outcome = await send(input);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect((outcome as { providerMessageId: string }).providerMessageId).toMatch(/\/message\/[0-9a-f]{24}$/);
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: true });
    const mine = push.delivered().filter((m) => subscription.endpoint.endsWith(m.subscriptionId));
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0]!.payload)).toEqual({ title: 'セール', body: '春のセールが始まりました' });
    expect(mine[0]).toMatchObject({ ttl: 86_400, urgency: 'normal' });
    expect(mine[0]!.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('retries a Web Push throttled with 429 after its Retry-After; removes a subscription that is gone (410); refuses one bound to another VAPID key (403)', async () => {
    const subscription = push.subscribe(vapid.publicKey);
    const id = (normaliseWebPushSubscription(subscription) as { value: string }).value;
    const customerId = await person({ webPush: id });
    const input = request(customerId, 'push');
    push.throttleNext(1, 3);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nextRetryDelay: 3000 });
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: false });

    push.expire(subscription);
    await expect(send(request(customerId, 'push'))).rejects.toMatchObject({ type: 'ChannelRefused' });
    expect((await loadPersonIdentifiers(sql, regionKey, customerId))?.platformIds.web_push ?? []).toEqual([]);
    expect(push.requests.at(-1)).toMatchObject({ status: 410 });

    const other = webpush.generateVAPIDKeys();
    const foreign = push.subscribe(other.publicKey);
    const stranger = await person({ webPush: (normaliseWebPushSubscription(foreign) as { value: string }).value });
    await expect(send(request(stranger, 'push'))).rejects.toMatchObject({ type: 'ChannelRefused', nonRetryable: true });
    expect(push.requests.at(-1)).toMatchObject({ status: 403 });
  });

  it('holds push to its own frequency cap (3 a local day), apart from the other channels', async () => {
    const customerId = await person({ fcm: fcm.register(), line: line.friend() });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => send(request(customerId, 'push'))));
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === 'blocked' && o.reason === 'frequency-cap-day')).toHaveLength(2);
    expect(await send(request(customerId, 'line'))).toMatchObject({ status: 'sent' });
  });

  it('does not push to a person without push consent, nor to one without a device', async () => {
    const refused = await person({ fcm: fcm.register() }, 'withdrawn');
    expect(await send(request(refused, 'push'))).toEqual({ status: 'blocked', reason: 'consent-not-granted' });
    const noDevice = await person({});
    expect(await send(request(noDevice, 'push'))).toEqual({ status: 'blocked', reason: 'no-address' });
  });

  // ---------------------------------------------------------------------------------------------
  // LINE
  // ---------------------------------------------------------------------------------------------

  it('pushes a LINE message with an X-Line-Retry-Key from the send key: an answer lost on the way is retried into a 409, never a second message', async () => {
    const userId = line.friend();
    const customerId = await person({ line: userId });
    const input = request(customerId, 'line');
    line.dropAnswerNext();
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    expect(await readSendKey(sql, input.sendKey)).toMatchObject({ status: 'pending' });
    const retried = await send(input);
    expect(retried).toMatchObject({ status: 'sent', repeated: false });
    const mine = line.pushed().filter((m) => m.to === userId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ text: '春のセールが始まりました', retryKey: lineRetryKey(input.sendKey) });
    expect((retried as { providerMessageId: string }).providerMessageId).toBe(`line:${mine[0]!.id}`);
    expect(lineRetryKey(input.sendKey)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('retries LINE rate limits (429), refuses the monthly limit, a bad user ID and a bad channel access token', async () => {
    const userId = line.friend();
    const customerId = await person({ line: userId });
    const input = request(customerId, 'line');
    line.rateLimitNext(1);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    line.failNext(1, 503);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    expect(await send(input)).toMatchObject({ status: 'sent' });
    expect(line.pushed().filter((m) => m.to === userId)).toHaveLength(1);

    // LINE's cap is one a local day: the next ones go on other days.
    const other = await person({ line: line.friend() });
    line.monthlyLimitNext(1);
    await expect(send(request(other, 'line'))).rejects.toMatchObject({ type: 'ChannelRefused', nonRetryable: true });

    const wrongId = await person({ line: 'U-not-a-line-user' });
    await expect(send(request(wrongId, 'line'))).rejects.toMatchObject({ type: 'ChannelRefused' });

    const badToken = lineChannel({ channelAccessToken: 'revoked', baseUrl: line.baseUrl });
    await expect(
      badToken.send({ to: line.friend(), content: { text: 'x' }, sendKey: 'k-1', unsubscribeUrl: '' }),
    ).rejects.toMatchObject({ name: 'ChannelSendError', retryable: false, message: expect.stringContaining('401') });
  });

  // ---------------------------------------------------------------------------------------------
  // Webhook
  // ---------------------------------------------------------------------------------------------

  it('posts a signed webhook with the send key as Idempotency-Key, retried through 5xx and timeouts, refused on 4xx, not capped', async () => {
    const customerId = await person({});
    const input = request(customerId, 'webhook');
    receiverFaults.push(500);
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    receiverFaults.push('stall');
    await expect(send(input)).rejects.toMatchObject({ type: 'ChannelUnavailable', nonRetryable: false });
    expect(await send(input)).toMatchObject({
      status: 'sent',
      repeated: false,
      providerMessageId: expect.stringMatching(/^rcv-/),
    });
    expect(await send(input)).toMatchObject({ status: 'sent', repeated: true });
    const mine = received.filter((r) => r.idempotencyKey === input.sendKey);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.verified).toBe(true);
    expect(mine[0]!.body).toEqual({
      type: 'message',
      sendKey: input.sendKey,
      customerId,
      content: { subject: 'Sale', text: 'Our spring sale starts today' },
    });
    // Not capped: five more the same day all go.
    for (let i = 0; i < 5; i++) expect(await send(request(customerId, 'webhook'))).toMatchObject({ status: 'sent' });
    receiverFaults.push(422);
    await expect(send(request(customerId, 'webhook'))).rejects.toMatchObject({ type: 'ChannelRefused' });
  });

  it('signs so that a receiver refuses a forged signature and a replayed (old) timestamp', () => {
    const body = Buffer.from('{"type":"message"}');
    const ts = String(Math.floor(Date.now() / 1000));
    expect(
      checkWebhookSignature(WEBHOOK_SECRET, { signature: 'sha256=' + '0'.repeat(64), timestamp: ts }, body, Date.now())
        .ok,
    ).toBe(false);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect(
      checkWebhookSignature(
        WEBHOOK_SECRET,
        { signature: `sha256=${webhookSignature(WEBHOOK_SECRET, old, body)}`, timestamp: old },
        body,
        Date.now(),
      ).ok,
    ).toBe(false);
  });

  it('stores a batch of delivery events on the profiles they name, a merged one on its survivor two merges on, and refuses one for a profile that does not exist', async () => {
    const [plain, loser, middle, survivor] = [await person({}), await person({}), await person({}), await person({})];
    await sql`update profiles set merged_into = ${middle} where customer_id = ${loser}`;
    await sql`update profiles set merged_into = ${survivor} where customer_id = ${middle}`;
    const event = (customerId: string) =>
      deliveryEventCall({
        customerId,
        channel: 'push',
        status: 'sent',
        sendKey: `survivors-${randomUUID()}`,
        at: new Date(),
      });
    const outcomes = await writer.write([event(plain), event(loser), event(randomUUID()), event(plain)]);
    expect(outcomes.map((o) => ('customerId' in o ? o.customerId : o.status))).toEqual([
      plain,
      survivor,
      'rejected',
      plain,
    ]);
    expect(await sentEvents(plain)).toHaveLength(2);
    expect(await sentEvents(survivor)).toHaveLength(1);
    expect(await sentEvents(loser)).toHaveLength(0);
  });

  it('keeps device tokens, subscriptions and LINE IDs out of every activity input and outcome, and out of the send keys and events', async () => {
    const io = JSON.stringify([seenInputs, seenOutputs]);
    const keys = JSON.stringify(await sql`select * from send_keys`);
    const events = JSON.stringify(await sql`select properties from events where source_id = 'meridian-channels'`);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      const probe = secret.startsWith('{') ? (JSON.parse(secret) as { keys: { auth: string } }).keys.auth : secret;
      expect(io).not.toContain(probe);
      expect(keys).not.toContain(probe);
      expect(events).not.toContain(probe);
    }
  });
});
