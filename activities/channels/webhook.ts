import type { Purpose } from '../../domain/consent';
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, webhookSignature } from '../../domain/webhook-mapping';
import { ChannelSendError, type MessageChannel, retryAfterMs } from './channels';

/**
 * The webhook channel, for anything else: the rendered message is POSTed as JSON to the
 * configured URL, signed as Meridian's inbound webhooks are (`X-Meridian-Signature:
 * sha256=<hex HMAC-SHA256 of "<X-Meridian-Timestamp>.<raw body>">`, the receiver refuses a
 * timestamp more than 5 minutes away), with `Idempotency-Key: <send key>` so the receiver can
 * drop a repeat. 5xx, 408, 429 and timeouts are retryable (Temporal's activity retries); other
 * 4xx refuse the message for good. The person is named by customer ID only.
 */

export const WEBHOOK_IDEMPOTENCY_HEADER = 'idempotency-key';

export interface WebhookChannelOptions {
  url: string;
  secret: string;
  /** The consent purpose the receiving system's messages need (a webhook has no default). */
  consentPurpose: Purpose;
  timeoutMs?: number;
  now?: () => number;
}

export function webhookChannel(options: WebhookChannelOptions): MessageChannel {
  const now = options.now ?? Date.now;
  return {
    channel: 'webhook',
    consentPurpose: options.consentPurpose,
    addressOf: (person) => person.customerId,
    async send({ to, content, sendKey }) {
      const body = JSON.stringify({
        type: 'message',
        sendKey,
        customerId: to,
        content: {
          ...(content.subject !== undefined ? { subject: content.subject } : {}),
          text: content.text,
          ...(content.html !== undefined ? { html: content.html } : {}),
        },
      });
      const timestamp = String(Math.floor(now() / 1000));
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
            [WEBHOOK_SIGNATURE_HEADER]: `sha256=${webhookSignature(options.secret, timestamp, body)}`,
            [WEBHOOK_IDEMPOTENCY_HEADER]: sendKey,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new ChannelSendError(`webhook not delivered: no answer (${(error as Error).name})`, true);
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.ok)
        return { providerMessageId: response.headers.get('x-request-id')?.slice(0, 200) || `webhook:${sendKey}` };
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        const wait = retryAfterMs(response.headers.get('retry-after'));
        throw new ChannelSendError(`webhook not delivered: the receiver answered ${response.status}`, true, {
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        });
      }
      throw new ChannelSendError(`webhook not delivered: the receiver refused it (${response.status})`, false);
    },
  };
}
