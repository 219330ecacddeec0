import { z } from 'zod';
import { PURPOSES, type Purpose } from './consent';
import { SNS_TOPIC_ARN } from './sns-messages';
import { describeIssues } from './validation';

/**
 * The channels' providers and their secrets, from the environment (issue 12): each channel is on
 * only when its settings are all there. Secrets are never logged; refusals name the variable and
 * the rule, never its value.
 */

const serviceAccountSchema = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(3),
  private_key: z.string().includes('PRIVATE KEY', { error: 'must hold the PEM private key' }),
  token_uri: z.url().default('https://oauth2.googleapis.com/token'),
});

export const channelEnvSchema = z.object({
  /** Google service account key file contents (JSON) of the Firebase project, for FCM HTTP v1. */
  MERIDIAN_FCM_SERVICE_ACCOUNT: z
    .string()
    .transform((text, ctx) => {
      try {
        return serviceAccountSchema.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'must be the service account key JSON (project_id, client_email, private_key)',
        });
        return z.NEVER;
      }
    })
    .optional(),
  MERIDIAN_FCM_BASE_URL: z.url().default('https://fcm.googleapis.com'),
  /** VAPID keys (web-push generate-vapid-keys), base64url, and the contact the push services see. */
  MERIDIAN_VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'must be the base64url P-256 public key (87 characters)')
    .optional(),
  MERIDIAN_VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be the base64url P-256 private key (43 characters)')
    .optional(),
  MERIDIAN_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'must be a mailto: or https: URI (RFC 8292)')
    .optional(),
  /** A LINE Messaging API channel access token. */
  MERIDIAN_LINE_CHANNEL_ACCESS_TOKEN: z.string().min(20).optional(),
  MERIDIAN_LINE_BASE_URL: z.url().default('https://api.line.me'),
  /** The webhook channel: where messages are POSTed, the signing secret, the consent purpose, an optional daily cap. */
  MERIDIAN_WEBHOOK_CHANNEL_URL: z.url().optional(),
  MERIDIAN_WEBHOOK_CHANNEL_SECRET: z.string().min(24, 'must be at least 24 characters').optional(),
  MERIDIAN_WEBHOOK_CHANNEL_PURPOSE: z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` }).optional(),
  MERIDIAN_WEBHOOK_CHANNEL_CAP_PER_DAY: z.coerce.number().int().min(1).optional(),
  /** The secret the email events relay signs SES notifications with. */
  MERIDIAN_EMAIL_EVENTS_SECRET: z.string().min(24, 'must be at least 24 characters').optional(),
  /** The SNS topics SES publishes its events to, comma-separated: /channels/email/:region/sns takes only these. */
  MERIDIAN_SES_SNS_TOPIC_ARNS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((arn) => arn.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(SNS_TOPIC_ARN, 'must list SNS topic ARNs (arn:aws:sns:<region>:<account>:<topic>), comma-separated'),
      ),
    )
    .optional(),
});

export interface ChannelConfig {
  fcm?: { serviceAccount: z.infer<typeof serviceAccountSchema>; baseUrl: string };
  webPush?: { vapid: { subject: string; publicKey: string; privateKey: string } };
  line?: { channelAccessToken: string; baseUrl: string };
  webhook?: { url: string; secret: string; consentPurpose: Purpose; capPerDay?: number };
  emailEventsSecret?: string;
  sesSnsTopicArns?: string[];
}

/** Throws an Error naming the variable and the rule; a half-configured provider is an error, not silently off. */
export function parseChannelConfig(env: NodeJS.ProcessEnv): ChannelConfig {
  const parsed = channelEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, '', { first: true, separator: ' ' }));
  const e = parsed.data;
  const vapid = [e.MERIDIAN_VAPID_PUBLIC_KEY, e.MERIDIAN_VAPID_PRIVATE_KEY, e.MERIDIAN_VAPID_SUBJECT];
  if (vapid.some(Boolean) && !vapid.every(Boolean))
    throw new Error('MERIDIAN_VAPID_PUBLIC_KEY, MERIDIAN_VAPID_PRIVATE_KEY and MERIDIAN_VAPID_SUBJECT go together');
  const hook = [e.MERIDIAN_WEBHOOK_CHANNEL_URL, e.MERIDIAN_WEBHOOK_CHANNEL_SECRET, e.MERIDIAN_WEBHOOK_CHANNEL_PURPOSE];
  if (hook.some(Boolean) && !hook.every(Boolean))
    throw new Error(
      'MERIDIAN_WEBHOOK_CHANNEL_URL, MERIDIAN_WEBHOOK_CHANNEL_SECRET and MERIDIAN_WEBHOOK_CHANNEL_PURPOSE go together',
    );
  return {
    ...(e.MERIDIAN_FCM_SERVICE_ACCOUNT
      ? { fcm: { serviceAccount: e.MERIDIAN_FCM_SERVICE_ACCOUNT, baseUrl: e.MERIDIAN_FCM_BASE_URL } }
      : {}),
    ...(e.MERIDIAN_VAPID_PUBLIC_KEY && e.MERIDIAN_VAPID_PRIVATE_KEY && e.MERIDIAN_VAPID_SUBJECT
      ? {
          webPush: {
            vapid: {
              subject: e.MERIDIAN_VAPID_SUBJECT,
              publicKey: e.MERIDIAN_VAPID_PUBLIC_KEY,
              privateKey: e.MERIDIAN_VAPID_PRIVATE_KEY,
            },
          },
        }
      : {}),
    ...(e.MERIDIAN_LINE_CHANNEL_ACCESS_TOKEN
      ? { line: { channelAccessToken: e.MERIDIAN_LINE_CHANNEL_ACCESS_TOKEN, baseUrl: e.MERIDIAN_LINE_BASE_URL } }
      : {}),
    ...(e.MERIDIAN_WEBHOOK_CHANNEL_URL && e.MERIDIAN_WEBHOOK_CHANNEL_SECRET && e.MERIDIAN_WEBHOOK_CHANNEL_PURPOSE
      ? {
          webhook: {
            url: e.MERIDIAN_WEBHOOK_CHANNEL_URL,
            secret: e.MERIDIAN_WEBHOOK_CHANNEL_SECRET,
            consentPurpose: e.MERIDIAN_WEBHOOK_CHANNEL_PURPOSE,
            ...(e.MERIDIAN_WEBHOOK_CHANNEL_CAP_PER_DAY ? { capPerDay: e.MERIDIAN_WEBHOOK_CHANNEL_CAP_PER_DAY } : {}),
          },
        }
      : {}),
    ...(e.MERIDIAN_EMAIL_EVENTS_SECRET ? { emailEventsSecret: e.MERIDIAN_EMAIL_EVENTS_SECRET } : {}),
    ...(e.MERIDIAN_SES_SNS_TOPIC_ARNS?.length ? { sesSnsTopicArns: e.MERIDIAN_SES_SNS_TOPIC_ARNS } : {}),
  };
}
