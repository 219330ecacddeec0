import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lineRetryKey } from '../../activities/channels/line';
import { parseChannelConfig } from '../../domain/channel-config';
import { extractIdentifiers, normaliseWebPushSubscription } from '../../domain/identifiers';

const P256DH = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
const AUTH = Buffer.alloc(16, 9).toString('base64url');

describe('channel configuration', () => {
  it('is empty without settings, and refuses a half-configured provider naming the variables', () => {
    expect(parseChannelConfig({})).toEqual({});
    expect(() => parseChannelConfig({ MERIDIAN_VAPID_PUBLIC_KEY: 'A'.repeat(87) })).toThrow(
      /MERIDIAN_VAPID_PRIVATE_KEY/,
    );
    expect(() => parseChannelConfig({ MERIDIAN_WEBHOOK_CHANNEL_URL: 'https://hooks.example.com/m' })).toThrow(
      /MERIDIAN_WEBHOOK_CHANNEL_SECRET/,
    );
    expect(() => parseChannelConfig({ MERIDIAN_FCM_SERVICE_ACCOUNT: '{"project_id":"p"}' })).toThrow(
      /MERIDIAN_FCM_SERVICE_ACCOUNT/,
    );
    expect(() =>
      parseChannelConfig({
        MERIDIAN_WEBHOOK_CHANNEL_URL: 'https://hooks.example.com/m',
        MERIDIAN_WEBHOOK_CHANNEL_SECRET: 's'.repeat(32),
        MERIDIAN_WEBHOOK_CHANNEL_PURPOSE: 'newsletters',
      }),
    ).toThrow(/MERIDIAN_WEBHOOK_CHANNEL_PURPOSE/);
  });

  it('reads every provider when all its settings are there', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const account = {
      project_id: 'shop-app',
      client_email: 'push@shop-app.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const config = parseChannelConfig({
      MERIDIAN_FCM_SERVICE_ACCOUNT: JSON.stringify(account),
      MERIDIAN_VAPID_PUBLIC_KEY: 'B'.repeat(87),
      MERIDIAN_VAPID_PRIVATE_KEY: 'C'.repeat(43),
      MERIDIAN_VAPID_SUBJECT: 'mailto:push@example.com',
      MERIDIAN_LINE_CHANNEL_ACCESS_TOKEN: 'x'.repeat(40),
      MERIDIAN_WEBHOOK_CHANNEL_URL: 'https://hooks.example.com/m',
      MERIDIAN_WEBHOOK_CHANNEL_SECRET: 's'.repeat(32),
      MERIDIAN_WEBHOOK_CHANNEL_PURPOSE: 'emailMarketing',
      MERIDIAN_WEBHOOK_CHANNEL_CAP_PER_DAY: '4',
      MERIDIAN_EMAIL_EVENTS_SECRET: 'e'.repeat(32),
      MERIDIAN_SES_SNS_TOPIC_ARNS:
        ' arn:aws:sns:eu-west-1:123456789012:ses-events, arn:aws-cn:sns:cn-north-1:123456789012:ses ',
    });
    expect(config.fcm?.serviceAccount).toMatchObject({
      project_id: 'shop-app',
      token_uri: 'https://oauth2.googleapis.com/token',
    });
    expect(config.fcm?.baseUrl).toBe('https://fcm.googleapis.com');
    expect(config.line?.baseUrl).toBe('https://api.line.me');
    expect(config.webhook).toMatchObject({ consentPurpose: 'emailMarketing', capPerDay: 4 });
    expect(config.webPush?.vapid.subject).toBe('mailto:push@example.com');
    expect(config.emailEventsSecret).toHaveLength(32);
    expect(config.sesSnsTopicArns).toEqual([
      'arn:aws:sns:eu-west-1:123456789012:ses-events',
      'arn:aws-cn:sns:cn-north-1:123456789012:ses',
    ]);
  });

  it('refuses SNS topics that are not topic ARNs, naming the variable', () => {
    expect(() => parseChannelConfig({ MERIDIAN_SES_SNS_TOPIC_ARNS: 'ses-events' })).toThrow(
      /MERIDIAN_SES_SNS_TOPIC_ARNS.*topic ARNs/,
    );
    expect(() => parseChannelConfig({ MERIDIAN_SES_SNS_TOPIC_ARNS: 'arn:aws:sqs:eu-west-1:123456789012:q' })).toThrow(
      /MERIDIAN_SES_SNS_TOPIC_ARNS/,
    );
    expect(parseChannelConfig({ MERIDIAN_SES_SNS_TOPIC_ARNS: ' , ' }).sesSnsTopicArns).toBeUndefined();
  });
});

describe('device identifiers', () => {
  it('keeps a Web Push subscription as canonical JSON, from an object or its text', () => {
    const subscription = {
      keys: { auth: AUTH, p256dh: P256DH },
      endpoint: 'https://push.example.net/s/abc',
      expirationTime: null,
    };
    const expected = JSON.stringify({
      endpoint: 'https://push.example.net/s/abc',
      keys: { p256dh: P256DH, auth: AUTH },
    });
    expect(normaliseWebPushSubscription(subscription)).toEqual({ ok: true, value: expected });
    expect(normaliseWebPushSubscription(JSON.stringify(subscription))).toEqual({ ok: true, value: expected });
  });

  it('refuses a subscription that is not one, without repeating it', () => {
    const bad = [
      'not json',
      { endpoint: 'http://push.example.net/s', keys: { p256dh: P256DH, auth: AUTH } },
      { endpoint: 'https://push.example.net/s', keys: { p256dh: AUTH, auth: AUTH } },
      { endpoint: 'https://push.example.net/s', keys: { p256dh: P256DH, auth: P256DH } },
      { endpoint: 'https://push.example.net/s' },
    ];
    for (const value of bad) {
      const result = normaliseWebPushSubscription(value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).not.toContain('push.example.net');
    }
  });

  it('takes FCM tokens and subscriptions from context.externalIds of a tracking call', () => {
    const token = `cXyZ0123456789abcdefgh:APA91b${'Q'.repeat(140)}`;
    const { identifiers, rejected } = extractIdentifiers(
      {
        context: {
          externalIds: [
            { id: token, type: 'fcm_token', encoding: 'none', collection: 'users' },
            {
              id: JSON.stringify({ endpoint: 'https://push.example.net/s/1', keys: { p256dh: P256DH, auth: AUTH } }),
              type: 'web_push',
            },
            { id: 'has spaces in it', type: 'fcm_token' },
          ],
        },
      },
      {},
    );
    expect(identifiers.map((i) => i.type)).toEqual(['fcm_token', 'web_push']);
    expect(rejected.map((r) => r.type)).toEqual(['fcm_token']);
  });

  it('derives one LINE retry key per send key, shaped as a UUID', () => {
    expect(lineRetryKey('bc-1:c')).toBe(lineRetryKey('bc-1:c'));
    expect(lineRetryKey('bc-1:c')).not.toBe(lineRetryKey('bc-2:c'));
    expect(lineRetryKey('bc-1:c')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
