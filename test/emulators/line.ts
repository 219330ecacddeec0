import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The LINE Messaging API's push message, as documented
 * (developers.line.biz/en/reference/messaging-api/#send-push-message, …#retry-api-request,
 * …/docs/messaging-api/retrying-api-request):
 * - `Authorization: Bearer <channel access token>`, else 401 "Authentication failed …";
 * - body `{ to, messages: [1..5] }`; `to` a user ID (U + 32 hex), a text at most 5,000 characters,
 *   else 400 with `message` (and `details` naming the property);
 * - `X-Line-Retry-Key`: a hexadecimal UUID, else 400; once a request with the key was accepted,
 *   a repeat is 409 "The retry key is already accepted" with `x-line-accepted-request-id` and the
 *   accepted request's `sentMessages`;
 * - 429 "Too many requests" (rate limit) or "You have reached your monthly limit.";
 * - 200 `{ sentMessages: [{ id, quoteToken }] }` with `x-line-request-id`.
 */

export interface LineEmulator {
  baseUrl: string;
  channelAccessToken: string;
  /** A user who befriended the account: their user ID. */
  friend(): string;
  pushed(): { to: string; text: string; id: string; retryKey?: string }[];
  rateLimitNext(count: number): void;
  monthlyLimitNext(count: number): void;
  failNext(count: number, status: 500 | 503): void;
  /** The server accepts the next request and the connection then drops before the answer. */
  dropAnswerNext(): void;
  close(): Promise<void>;
}

const USER_ID = /^U[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function startLineEmulator(): Promise<LineEmulator> {
  const channelAccessToken = randomBytes(64).toString('base64');
  const pushed: ReturnType<LineEmulator['pushed']> = [];
  const accepted = new Map<string, { requestId: string; sentMessages: { id: string; quoteToken: string }[] }>();
  let rate = 0;
  let monthly = 0;
  let failing: { count: number; status: number } = { count: 0, status: 500 };
  let drop = false;

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.post('/v2/bot/message/push', async (request, reply) => {
    const requestId = randomBytes(16).toString('hex');
    reply.header('x-line-request-id', requestId);
    if (request.headers.authorization !== `Bearer ${channelAccessToken}`)
      return reply.code(401).send({
        message:
          'Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid.',
      });
    const retryKey = request.headers['x-line-retry-key'];
    if (retryKey !== undefined && (typeof retryKey !== 'string' || !UUID.test(retryKey)))
      return reply.code(400).send({ message: 'The retry key is invalid' });
    const earlier = typeof retryKey === 'string' ? accepted.get(retryKey.toLowerCase()) : undefined;
    if (earlier)
      return reply
        .code(409)
        .header('x-line-accepted-request-id', earlier.requestId)
        .send({ message: 'The retry key is already accepted', sentMessages: earlier.sentMessages });
    if (rate > 0) {
      rate--;
      return reply.code(429).send({ message: 'Too many requests' });
    }
    if (monthly > 0) {
      monthly--;
      return reply.code(429).send({ message: 'You have reached your monthly limit.' });
    }
    if (failing.count > 0) {
      failing.count--;
      return reply.code(failing.status).send({ message: 'Internal server error' });
    }
    const body = request.body as { to?: unknown; messages?: { type?: string; text?: string }[] } | undefined;
    if (typeof body?.to !== 'string' || !USER_ID.test(body.to))
      return reply
        .code(400)
        .send({ message: "The property, 'to', in the request body is invalid (line: -, column: -)" });
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5)
      return reply.code(400).send({
        message: 'The request body has 1 error(s)',
        details: [{ message: 'Size must be between 1 and 5', property: 'messages' }],
      });
    for (const [i, m] of messages.entries())
      if (m.type !== 'text' || typeof m.text !== 'string' || m.text.length === 0 || [...m.text].length > 5000)
        return reply.code(400).send({
          message: 'The request body has 1 error(s)',
          details: [{ message: 'Length must be between 1 and 5000', property: `messages[${i}].text` }],
        });
    const sentMessages = messages.map((m) => {
      const id = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
      pushed.push({ to: body.to as string, text: m.text!, id, ...(typeof retryKey === 'string' ? { retryKey } : {}) });
      return { id, quoteToken: randomBytes(24).toString('base64url') };
    });
    if (typeof retryKey === 'string') accepted.set(retryKey.toLowerCase(), { requestId, sentMessages });
    if (drop) {
      drop = false;
      request.raw.socket.destroy();
      return reply.hijack();
    }
    return { sentMessages };
  });

  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    channelAccessToken,
    friend: () => `U${randomBytes(16).toString('hex')}`,
    pushed: () => [...pushed],
    rateLimitNext(count) {
      rate = count;
    },
    monthlyLimitNext(count) {
      monthly = count;
    },
    failNext(count, status) {
      failing = { count, status };
    },
    dropAnswerNext() {
      drop = true;
    },
    async close() {
      await app.close();
    },
  };
}
