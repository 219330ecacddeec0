import { ConnectorError } from '../../connectors/errors';
import type { PersonIdentifiers } from '../../connectors/privacy';
import type { TwilioMessagesClient } from '../../connectors/twilio/client';
import type { Purpose } from '../../domain/consent';
import type { Channel } from '../../domain/send-gate';
import { MailSendError, type Mailer } from '../../mail/mailer';

/**
 * Each channel behind one interface: which of the person's identifiers it reaches, and one send of
 * rendered content under the gate's send key. A failed send is a ChannelSendError saying whether a
 * retry can help; its message never holds an address or the content.
 */

export interface RenderedMessage {
  /** Email only. */
  subject?: string;
  text: string;
  /** Email only. */
  html?: string;
}

export interface OutgoingMessage {
  to: string;
  content: RenderedMessage;
  sendKey: string;
  /** The signed one-click unsubscribe URL (email: List-Unsubscribe, RFC 8058). */
  unsubscribeUrl: string;
}

export class ChannelSendError extends Error {
  override readonly name = 'ChannelSendError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly details: {
      /** The provider said this address is gone for good (an unregistered device token): the identity is removed. */
      invalidAddress?: { type: string; value: string };
      /** The provider asked to wait this long before the next attempt (429 Retry-After). */
      retryAfterMs?: number;
    } = {},
  ) {
    super(message);
  }
}

/** Seconds or an HTTP date in a Retry-After header, as milliseconds (capped at an hour). */
export function retryAfterMs(header: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - nowMs;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 3_600_000);
}

export interface MessageChannel {
  readonly channel: Channel;
  /** The consent purpose this channel's marketing needs, when it is not MARKETING_CONSENT's (a webhook). */
  readonly consentPurpose?: Purpose;
  /** The address this channel sends to, from identifiers opened inside the activity; undefined when there is none. */
  addressOf(person: PersonIdentifiers): string | undefined;
  send(message: OutgoingMessage): Promise<{ providerMessageId: string }>;
}

/** Email over nodemailer (the mailer should be pooled: `createMailer({ …, pool: true })`). */
export function emailChannel(mailer: Mailer): MessageChannel {
  return {
    channel: 'email',
    addressOf: (person) => person.emails[0],
    async send({ to, content, sendKey, unsubscribeUrl }) {
      if (!content.subject) throw new ChannelSendError('email not sent: the template gave no subject', false);
      try {
        const { messageId } = await mailer.send({
          to,
          subject: content.subject,
          text: content.text,
          html: content.html ?? '',
          idempotencyKey: `send:${sendKey}`,
          headers: {
            'List-Unsubscribe': `<${unsubscribeUrl}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          },
        });
        return { providerMessageId: messageId };
      } catch (error) {
        if (error instanceof MailSendError) throw new ChannelSendError(error.message, error.retryable);
        throw error;
      }
    },
  };
}

/** SMS through a Twilio Messaging Service. */
export function smsChannel(client: Pick<TwilioMessagesClient, 'send'>, messagingServiceSid: string): MessageChannel {
  return {
    channel: 'sms',
    addressOf: (person) => person.phones[0],
    async send({ to, content }) {
      try {
        const { sid } = await client.send({ to, body: content.text, messagingServiceSid });
        return { providerMessageId: sid };
      } catch (error) {
        // The connector's messages name the system and redact numbers.
        if (error instanceof ConnectorError)
          throw new ChannelSendError(`SMS not sent: ${error.message}`, error.retryable);
        throw error;
      }
    },
  };
}
