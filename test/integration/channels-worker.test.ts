import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMeridianWeb, type MeridianWeb } from '../../web/app';
import { messageSendWorkflowId } from '../../workflows/definitions';
import { startFcmEmulator, type FcmEmulator } from '../emulators/fcm';
import { startLineEmulator, type LineEmulator } from '../emulators/line';
import { createTestDeployment, type TestDeployment, type WorkerProcess } from '../support/deployment';
import { decodedHistory } from '../support/history';

/**
 * LINE and FCM push end to end on a real regional worker: the device identities registered through
 * the tracking API (context.externalIds), the channels built from the environment
 * (activities/channels/wiring.ts, domain/channel-config.ts), and the `messageSend` workflow calling
 * sendMessage with Temporal's retries — a LINE answer lost on the way and an FCM QUOTA_EXCEEDED are
 * retried by Temporal and each message arrives once. Histories hold no device token or LINE ID.
 */

describe('push and LINE through a regional worker', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let worker: WorkerProcess;
  let fcm: FcmEmulator;
  let line: LineEmulator;
  let allToken: string;
  let writeKey: string;

  const admin = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${allToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  /** A person registered by an app: user ID, LINE user ID and FCM token as external IDs; push consent in Japan. */
  async function person(lineUser: string, fcmToken: string) {
    const userId = `u-${randomUUID()}`;
    const res = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        userId,
        traits: { plan: 'gold' },
        context: {
          timezone: 'Asia/Tokyo',
          externalIds: [
            { id: lineUser, type: 'line_user_id', encoding: 'none', collection: 'users' },
            { id: fcmToken, type: 'fcm_token', encoding: 'none', collection: 'users' },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    const found = await admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: userId });
    expect(found.status, found.text).toBe(200);
    const customerId: string = found.body.customerId;
    const consent = await admin('PUT', `/admin/profiles/${customerId}/consent`, {
      country: 'JP',
      records: [{ purpose: 'push', state: 'granted', proof: { kind: 'form', reference: 'channels-worker-test' } }],
    });
    expect(consent.status, consent.text).toBe(200);
    return customerId;
  }

  async function send(customerId: string, channel: 'line' | 'push', templateRef: string) {
    const sendKey = `test-${randomUUID()}`;
    const handle = await d.client.workflow.start('messageSend', {
      workflowId: messageSendWorkflowId(sendKey),
      taskQueue: d.config.regions.region('eu').taskQueue,
      args: [{ region: 'eu', customerId, brandId: 'default', channel, purpose: 'marketing', templateRef, sendKey }],
    });
    return { handle, sendKey, outcome: await handle.result() };
  }

  beforeAll(async () => {
    [fcm, line] = await Promise.all([startFcmEmulator(), startLineEmulator()]);
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('chanworker', {
      MERIDIAN_LINE_CHANNEL_ACCESS_TOKEN: line.channelAccessToken,
      MERIDIAN_LINE_BASE_URL: line.baseUrl,
      MERIDIAN_FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.serviceAccount),
      MERIDIAN_FCM_BASE_URL: fcm.baseUrl,
    });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    const source = await admin('POST', '/admin/sources', { name: 'Tokyo app', region: 'eu', kind: 'server' });
    expect(source.status, source.text).toBe(201);
    writeKey = source.body.writeKey;
    for (const [id, channel, body] of [
      ['line_sale', 'line', '{{ traits.plan | upcase }}会員さま、春のセールが始まりました'],
      ['push_sale', 'push', '春のセール'],
    ] as const) {
      const created = await admin('POST', '/admin/templates', {
        id,
        brandId: 'default',
        name: id,
        channel,
        defaultLocale: 'ja',
        variants: { ja: { body } },
      });
      expect(created.status, created.text).toBe(201);
    }
    worker = await d.startWorkers(['eu']);
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await d?.close();
    await Promise.all([fcm?.close(), line?.close()]);
  });

  it('retries a LINE push whose answer was lost: LINE sees the same X-Line-Retry-Key, answers 409, and the person gets one message', async () => {
    const lineUser = line.friend();
    const token = fcm.register();
    const customerId = await person(lineUser, token);
    line.dropAnswerNext();
    const { handle, outcome } = await send(customerId, 'line', 'line_sale');
    expect(outcome).toMatchObject({ status: 'sent', repeated: false });
    const mine = line.pushed().filter((m) => m.to === lineUser);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.text).toBe('GOLD会員さま、春のセールが始まりました');
    const history = JSON.stringify(await decodedHistory(handle, d.config.payloadKeys));
    // The message ID is the accepted request's, which LINE gave the retry in its 409.
    expect((outcome as { providerMessageId: string }).providerMessageId).toBe(`line:${mine[0]!.id}`);
    expect(history).not.toContain(lineUser);
    expect(history).not.toContain(token);
    expect(history).not.toContain('春のセール');
  });

  it('waits out FCM QUOTA_EXCEEDED through Temporal and pushes once; records Message Sent on the profile', async () => {
    const token = fcm.register();
    const customerId = await person(line.friend(), token);
    fcm.quotaExceededNext(1, 1);
    const { handle, outcome } = await send(customerId, 'push', 'push_sale');
    expect(outcome).toMatchObject({ status: 'sent', repeated: false });
    expect(fcm.sent().filter((m) => m.token === token)).toHaveLength(1);
    expect(fcm.sent().find((m) => m.token === token)).toMatchObject({ body: '春のセール' });
    const history = JSON.stringify(await decodedHistory(handle, d.config.payloadKeys));
    expect(history).not.toContain(token);
    const events = await d.regional('eu').sql<{ event: string }[]>`
      select event from events where customer_id = ${customerId} and source_id = 'meridian-channels'`;
    expect(events.map((e) => e.event)).toEqual(['Message Sent']);
    expect(worker.output()).not.toContain(token);
  });
});
