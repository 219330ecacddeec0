import { randomBytes } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for TikTok's Marketing API v1.3 audience segment mapping
 * (`POST /open_api/v1.3/segment/mapping/`): `{advertiser_ids, action: "add"|"delete", id_schema,
 * batch_data}`, each `batch_data` row one person with an entry per `id_schema` key (`{id, audience_ids}`
 * or `{}`). Answers are HTTP 200 with TikTok's envelope `{code, message, request_id, data}`:
 *
 * - auth by the `Access-Token` header: none → 40104; wrong → 40105; revoked → 40102 ("expired");
 *   an advertiser the token does not manage → 40001;
 * - more than 10,000 rows → 40002; a row whose length differs from id_schema, an unknown key, an id
 *   that is not lower-case SHA-256 hex, an audience that does not exist → 40002;
 * - past `rateLimit.calls` per window → 40100 "Too many requests".
 *
 * Members are stored as hashes. The request log holds path and code only.
 */

export interface TikTokEmulatorOptions {
  accessToken: string;
  advertiserId?: string;
  rateLimit?: { calls: number; windowMs?: number };
}

export interface TikTokEmulator {
  baseUrl: string;
  advertiserId: string;
  createAudience(id: string): void;
  members(audienceId: string): Set<string>;
  /** Rows per accepted request, in order. */
  batchSizes: number[];
  revokeToken(): void;
  requests: { path: string; code: number }[];
  close(): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;
const MAX_ROWS = 10_000;
const KEYS = new Set(['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'GAID_SHA256', 'IDFA_MD5', 'GAID_MD5']);

export async function startTikTokEmulator(options: TikTokEmulatorOptions): Promise<TikTokEmulator> {
  const advertiserId = options.advertiserId ?? '7000000000000000001';
  const audiences = new Map<string, Set<string>>();
  const requests: TikTokEmulator['requests'] = [];
  const batchSizes: number[] = [];
  const window = { start: Date.now(), calls: 0 };
  let revoked = false;

  const app: FastifyInstance = Fastify({ forceCloseConnections: true, bodyLimit: 64 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));

  function handle(request: FastifyRequest): { code: number; message: string } {
    const token = request.headers['access-token'];
    if (!token) return { code: 40104, message: 'Access token is null.' };
    if (revoked) return { code: 40102, message: 'Access token has expired.' };
    if (token !== options.accessToken)
      return { code: 40105, message: 'Access token is incorrect or has been revoked.' };
    if (options.rateLimit) {
      const windowMs = options.rateLimit.windowMs ?? 1000;
      if (Date.now() - window.start >= windowMs) Object.assign(window, { start: Date.now(), calls: 0 });
      if (window.calls >= options.rateLimit.calls)
        return { code: 40100, message: 'Too many requests. Please retry in some time.' };
      window.calls++;
    }
    const path = new URL(request.url, 'http://x').pathname;
    if (request.method !== 'POST' || path !== '/open_api/v1.3/segment/mapping/')
      return { code: 40002, message: `Unknown endpoint ${path.slice(0, 60)}` };
    let body: Record<string, any>;
    try {
      body = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      return { code: 40002, message: 'Invalid JSON.' };
    }
    const advertisers: unknown[] = Array.isArray(body.advertiser_ids) ? body.advertiser_ids : [];
    if (advertisers.length === 0 || advertisers.some((a) => a !== advertiserId))
      return { code: 40001, message: 'No permission to operate advertiser.' };
    if (body.action !== 'add' && body.action !== 'delete')
      return { code: 40002, message: 'action: must be add or delete' };
    const schema: unknown[] = Array.isArray(body.id_schema) ? body.id_schema : [];
    if (schema.length === 0 || schema.some((k) => !KEYS.has(String(k))))
      return { code: 40002, message: 'id_schema: invalid key' };
    const rows: unknown[] = Array.isArray(body.batch_data) ? body.batch_data : [];
    if (rows.length === 0) return { code: 40002, message: 'batch_data: must not be empty' };
    if (rows.length > MAX_ROWS) return { code: 40002, message: `batch_data: at most ${MAX_ROWS} items per request` };
    const changes: { audienceId: string; hash: string }[] = [];
    for (const [i, row] of rows.entries()) {
      if (!Array.isArray(row) || row.length !== schema.length)
        return { code: 40002, message: `batch_data[${i}]: its length must equal id_schema's` };
      for (const entry of row as Record<string, unknown>[]) {
        if (entry === null || typeof entry !== 'object')
          return { code: 40002, message: `batch_data[${i}]: not an object` };
        if (entry.id === undefined) continue;
        if (typeof entry.id !== 'string' || !HASH.test(entry.id))
          return { code: 40002, message: `batch_data[${i}]: id must be a SHA-256 hash` };
        const ids: unknown[] = Array.isArray(entry.audience_ids) ? entry.audience_ids : [];
        for (const audienceId of ids) {
          if (!audiences.has(String(audienceId)))
            return { code: 40002, message: `audience ${String(audienceId).slice(0, 30)} does not exist` };
          changes.push({ audienceId: String(audienceId), hash: entry.id });
        }
      }
    }
    for (const { audienceId, hash } of changes)
      body.action === 'add' ? audiences.get(audienceId)!.add(hash) : audiences.get(audienceId)!.delete(hash);
    batchSizes.push(rows.length);
    return { code: 0, message: 'OK' };
  }

  app.all('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const { code, message } = handle(request);
    requests.push({ path: new URL(request.url, 'http://x').pathname, code });
    return reply
      .code(200)
      .type('application/json')
      .send(JSON.stringify({ code, message, request_id: randomBytes(12).toString('hex'), data: {} }));
  });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    advertiserId,
    batchSizes,
    requests,
    createAudience(id) {
      audiences.set(id, new Set());
    },
    members(id) {
      const set = audiences.get(id);
      if (!set) throw new Error(`members: no audience ${id}`);
      return new Set(set);
    },
    revokeToken() {
      revoked = true;
    },
    async close() {
      await app.close();
    },
  };
}
