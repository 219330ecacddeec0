import { TwilioMessagesClient } from '../../connectors/twilio/client';
import type { MeridianConfig } from '../../domain/config';
import type { Region } from '../../domain/regions';
import { type Channel, FREQUENCY_CAPS, type FrequencyCap, type SendPurpose } from '../../domain/send-gate';
import { createMailer, type Mailer } from '../../mail/mailer';
import { emailChannel, type MessageChannel, smsChannel } from './channels';
import { lineChannel } from './line';
import { fcmProvider, pushChannel } from './push';
import { webhookChannel } from './webhook';

/**
 * Each region's marketing channels from the configuration (domain/config.ts `activation`). A
 * channel whose settings are absent is absent from the map, and `sendMessage` answers
 * ChannelNotConfigured for it. Add a channel as one more entry of the object below.
 */
export interface RegionChannels {
  channels: Partial<Record<Channel, MessageChannel>>;
  /** The frequency caps: FREQUENCY_CAPS, plus the webhook's when MERIDIAN_WEBHOOK_CHANNEL_CAP_PER_DAY is set. */
  caps: Readonly<Record<SendPurpose, Readonly<Partial<Record<Channel, FrequencyCap>>>>>;
  /** Closes pooled connections (SMTP) when the worker stops. */
  close(): Promise<void>;
}

export function channelsFromConfig(
  config: Pick<MeridianConfig, 'activation'> & Partial<Pick<MeridianConfig, 'channels'>>,
  region: Region,
): RegionChannels {
  const { smtpUrl, mailFrom, smtpTimeoutMs, smtpPoolSize, twilio } = config.activation;
  const { fcm, webPush, line, webhook } = config.channels ?? {};
  // One pooled SMTP transport per region's worker: campaign sending reuses a few connections.
  const mailer: Mailer | undefined = smtpUrl
    ? createMailer({ smtpUrl, from: mailFrom, timeoutMs: smtpTimeoutMs, pool: true, poolSize: smtpPoolSize })
    : undefined;
  const channels: Partial<Record<Channel, MessageChannel>> = {
    ...(mailer ? { email: emailChannel(mailer) } : {}),
    ...(twilio
      ? {
          sms: smsChannel(
            new TwilioMessagesClient({
              accountSid: twilio.accountSid,
              auth: { authToken: twilio.authToken },
              ...(twilio.baseUrl ? { baseUrl: twilio.baseUrl } : {}),
            }),
            twilio.messagingServiceSid,
          ),
        }
      : {}),
    // App push: FCM for app tokens, Web Push (VAPID) for browsers; either alone is enough.
    ...(fcm || webPush
      ? {
          push: pushChannel({
            ...(fcm ? { mobile: fcmProvider({ serviceAccount: fcm.serviceAccount, baseUrl: fcm.baseUrl }) } : {}),
            ...(webPush ? { webPush: { vapid: webPush.vapid } } : {}),
          }),
        }
      : {}),
    ...(line ? { line: lineChannel(line) } : {}),
    ...(webhook
      ? {
          webhook: webhookChannel({ url: webhook.url, secret: webhook.secret, consentPurpose: webhook.consentPurpose }),
        }
      : {}),
  };
  const caps = webhook?.capPerDay
    ? {
        ...FREQUENCY_CAPS,
        marketing: {
          ...FREQUENCY_CAPS.marketing,
          webhook: { perLocalDay: webhook.capPerDay, perWindow: { days: 7, max: webhook.capPerDay * 7 } },
        },
      }
    : FREQUENCY_CAPS;
  void region; // Per-region providers (a sender per market) will read it; today every region shares the settings.
  return {
    channels,
    caps,
    async close() {
      await mailer?.close();
    },
  };
}
