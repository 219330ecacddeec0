import { createHash } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { ChannelSendError, type MessageChannel, retryAfterMs } from './channels';

/**
 * LINE (Japan, Taiwan, Thailand) through the Messaging API's push message, with `@line/bot-sdk`
 * (MessagingApiClient, channel access token as the bearer). The person is reached by their LINE
 * user ID (`line_user` identity, sealed). Idempotency: `X-Line-Retry-Key`, a UUID derived from the
 * send key, so a retried activity's request is executed once by LINE; LINE answers a repeat with
 * 409 and the accepted request's ID (x-line-accepted-request-id), which counts as sent.
 * 429 (rate limit) is retried; "monthly limit" 429 and other 4xx are refusals.
 * developers.line.biz/en/reference/messaging-api/#send-push-message, …/docs/messaging-api/retrying-api-request
 */

/** A LINE text message holds at most 5,000 characters. */
const LINE_TEXT_MAX = 5000;

/** The retry key LINE wants (a hexadecimal UUID), the same for every attempt of one send key. */
export function lineRetryKey(sendKey: string): string {
  const h = createHash('sha256').update(`line-retry:${sendKey}`).digest('hex');
  // Shaped as a version-4 UUID (LINE checks the form, not the version).
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface LineOptions {
  channelAccessToken: string;
  /** https://api.line.me (an emulator in tests). */
  baseUrl?: string;
}

export function lineChannel(options: LineOptions): MessageChannel {
  const client = new messagingApi.MessagingApiClient({
    channelAccessToken: options.channelAccessToken,
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
  });
  return {
    channel: 'line',
    addressOf: (person) => person.platformIds.line_user?.[0],
    async send({ to, content, sendKey }) {
      const text = content.text;
      if (!text) throw new ChannelSendError('LINE message not sent: the template gave no text', false);
      if ([...text].length > LINE_TEXT_MAX)
        throw new ChannelSendError(`LINE message not sent: the text is over ${LINE_TEXT_MAX} characters`, false);
      const retryKey = lineRetryKey(sendKey);
      try {
        const { httpResponse, body } = await client.pushMessageWithHttpInfo(
          { to, messages: [{ type: 'text', text }] },
          retryKey,
        );
        const id = body.sentMessages?.[0]?.id ?? httpResponse.headers.get('x-line-request-id');
        return { providerMessageId: id ? `line:${id}` : `line:${retryKey}` };
      } catch (error) {
        if (error instanceof HTTPFetchError) {
          if (error.status === 409) {
            // The retry key was accepted by an earlier attempt: the message went, once.
            const accepted = error.headers.get('x-line-accepted-request-id');
            const sent = parseJson(error.body)?.sentMessages?.[0]?.id;
            return { providerMessageId: `line:${sent ?? accepted ?? retryKey}` };
          }
          const message = parseJson(error.body)?.message ?? '';
          if (error.status === 429 && !/monthly limit/i.test(message)) {
            const wait = retryAfterMs(error.headers.get('retry-after'));
            throw new ChannelSendError('LINE message not sent: rate limited (429)', true, {
              ...(wait !== undefined ? { retryAfterMs: wait } : {}),
            });
          }
          if (error.status >= 500)
            throw new ChannelSendError(`LINE message not sent: LINE answered ${error.status}`, true);
          // 400 (a bad user ID or message), 401 (the channel access token), 403, the monthly limit.
          throw new ChannelSendError(`LINE message not sent: LINE refused it (${error.status})`, false);
        }
        // A timeout or a connection error: the retry key makes the next attempt safe.
        throw new ChannelSendError(`LINE message not sent: LINE could not be reached (${(error as Error).name})`, true);
      }
    },
  };
}

function parseJson(text: string): { message?: string; sentMessages?: { id?: string }[] } | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
