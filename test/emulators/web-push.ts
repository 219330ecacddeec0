import { execFileSync } from 'node:child_process';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify as verifySignature,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A local Web Push service (RFC 8030) that checks what a real one checks, over https (the
 * `web-push` library speaks nothing else; the certificate is self-signed, `ca` trusts it):
 * - VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`; the JWT is ES256, signed by
 *   the key in `k`, `aud` the push service's origin, `exp` in the future and at most 24 h ahead,
 *   `sub` a mailto: or https: URI. A subscription made with an applicationServerKey accepts only
 *   that key (403 otherwise); a bad or missing JWT is 401.
 * - the payload (RFC 8291 over RFC 8188, `Content-Encoding: aes128gcm`): decrypted with the
 *   subscription's private key and auth secret — a payload that does not decrypt is 400;
 * - `TTL` is required (400 without it), `Topic` (RFC 8030 §5.4) replaces an undelivered message
 *   with the same topic, a payload over 4096 bytes is 413;
 * - an expired or removed subscription is 410 Gone; `throttleNext` answers 429 with Retry-After.
 * A stored message is 201 Created with its Location.
 */

export interface WebPushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface DeliveredPush {
  subscriptionId: string;
  topic?: string;
  ttl: number;
  urgency?: string;
  /** The decrypted payload. */
  payload: string;
  messageId: string;
}

export interface WebPushEmulator {
  baseUrl: string;
  /** PEM of the self-signed certificate, for an https.Agent's `ca`. */
  ca: string;
  /** A browser subscribing with the application server key (the VAPID public key, base64url). */
  subscribe(applicationServerKey: string): WebPushSubscriptionJson;
  /** The user revoked the permission or the browser dropped it: 410 from now on. */
  expire(subscription: WebPushSubscriptionJson): void;
  /** Messages the service holds for delivery (a replaced one is gone). */
  delivered(): DeliveredPush[];
  throttleNext(count: number, retryAfterSeconds: number): void;
  requests: { status: number; reason?: string }[];
  close(): Promise<void>;
}

interface Subscription {
  id: string;
  ecdh: ReturnType<typeof createECDH>;
  publicKey: Buffer;
  auth: Buffer;
  serverKey: string;
  expired: boolean;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'webpush-emulator-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** RFC 8292 §2: the JWT, checked against the key in `k`. Returns that key (base64url). */
function checkVapid(header: string | undefined, origin: string, nowSeconds: number): string {
  const match = /^vapid\s+t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match) throw new Refusal(401, 'Authorization must be "vapid t=<jwt>, k=<key>" (RFC 8292)');
  const [, jwt, k] = match as unknown as [string, string, string];
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new Refusal(401, 'the VAPID token is not a JWS');
  const [h, c, sig] = parts as [string, string, string];
  let head: { alg?: string; typ?: string };
  let claims: { aud?: string; exp?: number; sub?: string };
  try {
    head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    throw new Refusal(401, 'the VAPID token is not JSON');
  }
  if (head.alg !== 'ES256') throw new Refusal(401, 'the VAPID token must be ES256');
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Refusal(401, 'k must be an uncompressed P-256 public key');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const valid = verifySignature(
    'sha256',
    Buffer.from(`${h}.${c}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  );
  if (!valid) throw new Refusal(401, 'the VAPID signature does not verify with k');
  if (claims.aud !== origin) throw new Refusal(401, `the VAPID aud must be the push service origin ${origin}`);
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds || claims.exp > nowSeconds + 86_400)
    throw new Refusal(401, 'the VAPID exp must be in the future and at most 24 hours ahead');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    throw new Refusal(401, 'the VAPID sub must be a mailto: or https: URI');
  return k;
}

/** RFC 8291 §3.4 + RFC 8188: one record, keyid = the sender's ephemeral public key. */
function decrypt(body: Buffer, subscription: Subscription): string {
  if (body.length < 16 + 4 + 1 + 65 + 17) throw new Refusal(400, 'the aes128gcm payload is too short');
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  if (idLength !== 65) throw new Refusal(400, 'the aes128gcm keyid must be the 65-byte sender public key');
  const senderPublic = body.subarray(21, 21 + 65);
  const ciphertext = body.subarray(21 + 65);
  if (recordSize < 18 || ciphertext.length > recordSize) throw new Refusal(400, 'the aes128gcm record size is wrong');
  let shared: Buffer;
  try {
    shared = subscription.ecdh.computeSecret(senderPublic);
  } catch {
    throw new Refusal(400, 'the sender public key is not on P-256');
  }
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), subscription.publicKey, senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, subscription.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch {
    throw new Refusal(400, 'the payload does not decrypt with the subscription keys (RFC 8291)');
  }
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (end < 0 || plain[end] !== 2) throw new Refusal(400, 'the last record lacks the 0x02 padding delimiter');
  return plain.subarray(0, end).toString('utf8');
}

export async function startWebPushEmulator(options: { now?: () => number } = {}): Promise<WebPushEmulator> {
  const now = options.now ?? Date.now;
  const { key, cert } = selfSignedCertificate();
  const subscriptions = new Map<string, Subscription>();
  const stored = new Map<string, DeliveredPush>();
  const requests: WebPushEmulator['requests'] = [];
  let throttle: { count: number; seconds: number } = { count: 0, seconds: 0 };

  const app: FastifyInstance = Fastify({ https: { key, cert }, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_r, body, done) => done(null, body));

  let origin = '';
  app.post<{ Params: { id: string } }>('/push/:id', async (request, reply) => {
    try {
      const subscription = subscriptions.get(request.params.id);
      if (!subscription || subscription.expired) throw new Refusal(410, 'the subscription has expired or was removed');
      if (throttle.count > 0) {
        throttle.count--;
        throw new Refusal(429, 'too many messages', { 'retry-after': String(throttle.seconds) });
      }
      const k = checkVapid(request.headers.authorization, origin, Math.floor(now() / 1000));
      if (k !== subscription.serverKey)
        throw new Refusal(403, 'the subscription was made for another application server key');
      const ttl = request.headers.ttl;
      if (typeof ttl !== 'string' || !/^\d+$/.test(ttl))
        throw new Refusal(400, 'the TTL header is required (RFC 8030)');
      if (request.headers['content-encoding'] !== 'aes128gcm')
        throw new Refusal(400, 'Content-Encoding must be aes128gcm (RFC 8291)');
      const body = request.body as Buffer | undefined;
      if (!body || body.length === 0) throw new Refusal(400, 'this emulator expects a payload');
      if (body.length > 4096) throw new Refusal(413, 'the payload is over 4096 bytes');
      const payload = decrypt(body, subscription);
      const topic = typeof request.headers.topic === 'string' ? request.headers.topic : undefined;
      if (topic !== undefined && (topic.length > 32 || !/^[A-Za-z0-9_-]+$/.test(topic)))
        throw new Refusal(400, 'Topic must be at most 32 base64url characters');
      if (topic)
        for (const [id, m] of stored) if (m.subscriptionId === subscription.id && m.topic === topic) stored.delete(id);
      const messageId = randomBytes(12).toString('hex');
      const urgency = typeof request.headers.urgency === 'string' ? request.headers.urgency : undefined;
      stored.set(messageId, {
        subscriptionId: subscription.id,
        ttl: Number(ttl),
        payload,
        messageId,
        ...(topic ? { topic } : {}),
        ...(urgency ? { urgency } : {}),
      });
      requests.push({ status: 201 });
      return reply.code(201).header('location', `${origin}/message/${messageId}`).send();
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      requests.push({ status: error.status, reason: error.message });
      return reply.code(error.status).headers(error.headers).type('text/plain').send(error.message);
    }
  });

  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  origin = baseUrl;

  return {
    baseUrl,
    ca: cert,
    requests,
    subscribe(applicationServerKey) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const id = randomBytes(16).toString('hex');
      const subscription: Subscription = {
        id,
        ecdh,
        publicKey: ecdh.getPublicKey(),
        auth: randomBytes(16),
        serverKey: applicationServerKey,
        expired: false,
      };
      subscriptions.set(id, subscription);
      return {
        endpoint: `${baseUrl}/push/${id}`,
        keys: { p256dh: subscription.publicKey.toString('base64url'), auth: subscription.auth.toString('base64url') },
      };
    },
    expire(subscription) {
      const id = subscription.endpoint.split('/').at(-1)!;
      const found = subscriptions.get(id);
      if (found) found.expired = true;
    },
    delivered() {
      return [...stored.values()];
    },
    throttleNext(count, retryAfterSeconds) {
      throttle = { count, seconds: retryAfterSeconds };
    },
    async close() {
      await app.close();
    },
  };
}
