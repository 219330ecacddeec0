import { TwilioMessagesClient } from '../../connectors/twilio/client';
import type { MeridianConfig } from '../../domain/config';
import type { Region } from '../../domain/regions';
import type { Channel } from '../../domain/send-gate';
import { createMailer, type Mailer } from '../../mail/mailer';
import { emailChannel, type MessageChannel, smsChannel } from './channels';

/**
 * Each region's marketing channels from the configuration (domain/config.ts `activation`). A
 * channel whose settings are absent is absent from the map, and `sendMessage` answers
 * ChannelNotConfigured for it. Add a channel as one more entry of the object below.
 */
export interface RegionChannels {
  channels: Partial<Record<Channel, MessageChannel>>;
  /** Closes pooled connections (SMTP) when the worker stops. */
  close(): Promise<void>;
}

export function channelsFromConfig(config: Pick<MeridianConfig, 'activation'>, region: Region): RegionChannels {
  const { smtpUrl, mailFrom, smtpTimeoutMs, twilio } = config.activation;
  // One pooled SMTP transport per region's worker: campaign sending reuses a few connections.
  const mailer: Mailer | undefined = smtpUrl
    ? createMailer({ smtpUrl, from: mailFrom, timeoutMs: smtpTimeoutMs, pool: true })
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
  };
  void region; // Per-region providers (a sender per market) will read it; today every region shares the settings.
  return {
    channels,
    async close() {
      await mailer?.close();
    },
  };
}
