import { createHash, randomBytes, randomInt } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stall } from './faults';

/**
 * A local stand-in for Meta's Marketing API (Graph API), custom audience membership
 * (developers.facebook.com, "Custom Audience Users"):
 *
 * - `DELETE /{version}/{audience_id}/users` removes and `POST …/users` adds people, given `payload`
 *   (a JSON body `{payload:{schema, data}}`, a form field or a query parameter holding the JSON) and an
 *   optional `session`. `schema` is one key or a list (EMAIL_SHA256, PHONE_SHA256, EMAIL, PHONE, and Meta's
 *   other keys, which match nothing here); `data` rows have one column per key, '' for none; at most 10000 rows.
 *   Values must be lower-case SHA-256 hex: a row with another value is counted in `num_invalid_entries`
 *   (with a sample naming the row, never the value), as Meta does. The answer is
 *   `{audience_id, session_id, num_received, num_invalid_entries, invalid_entry_samples}`, session_id an int64.
 * - Auth by `access_token` (query or form) or `Authorization: Bearer|OAuth …`. A wrong token answers 400
 *   `OAuthException` code 190; a revoked one code 190 subcode 460; none, code 104.
 * - An unknown audience answers code 100 subcode 33; a malformed payload code 100; a version other than
 *   the one served, code 2635.
 * - Every answer carries `x-business-use-case-usage` (keyed by the ad account, with
 *   `estimated_time_to_regain_access` in minutes) and `x-app-usage`. Past `rateLimit.calls` in a window the
 *   ad account is throttled: code 80004 subcode 2446079, "There have been too many calls to this ad-account…".
 *
 * Members are stored as hashes, made from the raw emails and phones a test seeds with Meta's documented
 * normalisation (written here independently of the connector). The requests log holds method, path,
 * where the token was and status: never the token or a body.
 */

export interface MetaEmulatorOptions {
  /** The only token accepted. */
  accessToken: string;
  /** The ad account (digits) owning the audiences; default '1234567890'. */
  adAccountId?: string;
  /** The version served; default 'v21.0'. */
  apiVersion?: string;
  /** Calls admitted per window before code 80004; default none (no throttling). */
  rateLimit?: { calls: number; windowMs?: number; regainMinutes?: number };
  /** Every call is answered this long after it arrived (a slow vendor); default 0. */
  latencyMs?: number;
}

export type MetaFault = 500 | 'rate-limit' | 'timeout' | 'garbage';

export interface MetaFaultOptions {
  /** For 'rate-limit': the Graph error code, default 17 ("User request limit reached"). */
  code?: 4 | 17 | 613 | 80003 | 80004;
  /** For 'rate-limit': estimated_time_to_regain_access in the header; default 0 (no estimate). */
  regainMinutes?: number;
  /** For 'timeout': close the socket after this long instead of holding it until close(). */
  closeAfterMs?: number;
}

export interface MetaRequestRecord {
  method: string;
  path: string;
  tokenIn: 'header' | 'query' | 'form' | 'none';
  status: number;
}

export interface MetaEmulator {
  /** e.g. http://127.0.0.1:PORT; a client calls `${baseUrl}/${apiVersion}/{audience_id}/users`. */
  baseUrl: string;
  apiVersion: string;
  adAccountId: string;
  /** A custom audience with these people, given raw (hashed here the documented way). */
  createAudience(id: string, members?: { email?: string; phone?: string }[]): void;
  /** Every hash (email and phone) of the audience's current members. */
  members(audienceId: string): Set<string>;
  memberCount(audienceId: string): number;
  /** Every later call answers code 190/460, as after the user changed password or removed the app. */
  revokeToken(): void;
  failNext(count: number, fault: MetaFault, options?: MetaFaultOptions): void;
  /** Calls waiting out the latency now, and the most there were at once. */
  inFlight(): { now: number; max: number };
  requests: MetaRequestRecord[];
  close(): Promise<void>;
}

interface Member {
  email?: string;
  phone?: string;
}

const KNOWN_KEYS = new Set([
  'EXTERN_ID',
  'EMAIL',
  'EMAIL_SHA256',
  'PHONE',
  'PHONE_SHA256',
  'GEN',
  'DOBY',
  'DOBM',
  'DOBD',
  'DOB',
  'LN',
  'FN',
  'FI',
  'CT',
  'ST',
  'ZIP',
  'MADID',
  'COUNTRY',
  'LOOKALIKE_VALUE',
  'PAGEUID',
]);
const HASH = /^[0-9a-f]{64}$/;
const MAX_ROWS = 10_000;

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly subcode?: number,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const invalidParameter = (message: string, subcode?: number) => new GraphError(400, 100, `(#100) ${message}`, subcode);

export async function startMetaEmulator(options: MetaEmulatorOptions): Promise<MetaEmulator> {
  const apiVersion = options.apiVersion ?? 'v21.0';
  const adAccountId = (options.adAccountId ?? '1234567890').replace(/^act_/, '');
  const audiences = new Map<string, Member[]>();
  const faults: { fault: MetaFault; options: MetaFaultOptions }[] = [];
  const requests: MetaRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const window = { start: Date.now(), calls: 0 };
  let revoked = false;
  let baseUrl = '';

  /** Meta's normalisation, independent of the connector's: trim and lower-case; digits only without leading zeros. */
  const hashEmail = (email: string) => sha256(email.trim().toLowerCase());
  const hashPhone = (phone: string) => sha256(phone.replace(/[^0-9]/g, '').replace(/^0+/, ''));

  function usageHeaders(regainMinutes: number): Record<string, string> {
    const limit = options.rateLimit?.calls;
    const pct = limit ? Math.min(100, Math.round((window.calls / limit) * 100)) : 1;
    return {
      'x-business-use-case-usage': JSON.stringify({
        [adAccountId]: [
          {
            type: 'ads_management',
            call_count: pct,
            total_cputime: Math.ceil(pct / 2),
            total_time: Math.ceil(pct / 2),
            estimated_time_to_regain_access: regainMinutes,
            ads_api_access_tier: 'standard_access',
          },
        ],
      }),
      'x-app-usage': JSON.stringify({
        call_count: pct,
        total_cputime: Math.ceil(pct / 2),
        total_time: Math.ceil(pct / 2),
      }),
      'x-fb-trace-id': randomBytes(8).toString('base64url'),
      'x-fb-rev': '1019000000',
    };
  }

  /** The payload's rows, validated as Meta does; invalid rows are counted, not refused. */
  function readPayload(raw: unknown): {
    rows: { emails: Set<string>; phones: Set<string> }[];
    invalid: Record<string, string>;
    received: number;
  } {
    if (raw === undefined || raw === null || raw === '') throw invalidParameter('The parameter payload is required');
    let payload = raw;
    if (typeof raw === 'string') {
      try {
        payload = JSON.parse(raw);
      } catch {
        throw invalidParameter('param payload must be JSON-encoded');
      }
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw invalidParameter('param payload must be an object with schema and data');
    const { schema, data, ...rest } = payload as Record<string, unknown>;
    const unknown = Object.keys(rest).filter((key) => key !== 'app_ids' && key !== 'page_ids' && key !== 'is_raw');
    if (unknown.length > 0)
      throw invalidParameter(`Invalid keys "${unknown.join(', ').slice(0, 80)}" were found in param "payload"`);
    const keys = typeof schema === 'string' ? [schema] : schema;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'string'))
      throw invalidParameter('param payload[schema] must be a key or a list of keys');
    for (const key of keys as string[])
      if (!KNOWN_KEYS.has(key))
        throw invalidParameter(`Invalid schema key "${key.slice(0, 40)}" in param payload[schema]`);
    if (new Set(keys).size !== keys.length) throw invalidParameter('param payload[schema] has a key twice');
    if (!Array.isArray(data) || data.length === 0)
      throw invalidParameter('param payload[data] must be a non-empty array');
    if (data.length > MAX_ROWS) throw invalidParameter(`Too many entries in one batch: at most ${MAX_ROWS}`);
    const single = typeof schema === 'string';
    const rows: { emails: Set<string>; phones: Set<string> }[] = [];
    const invalid: Record<string, string> = {};
    data.forEach((entry: unknown, index) => {
      const row = single && typeof entry === 'string' ? [entry] : entry;
      if (!Array.isArray(row) || row.length !== keys.length) {
        throw invalidParameter(
          `Data Row Length Mismatch: row ${index} has ${Array.isArray(row) ? row.length : 0} columns while the schema has ${keys.length}`,
          1870065,
        );
      }
      const emails = new Set<string>();
      const phones = new Set<string>();
      let problem: string | undefined;
      row.forEach((value: unknown, column) => {
        if (value === '' || value === null) return;
        if (typeof value !== 'string' || !HASH.test(value)) {
          problem = `row ${index}, column ${keys[column]}: not a lower-case SHA-256 hex hash`;
          return;
        }
        if ((keys[column] as string).startsWith('EMAIL')) emails.add(value);
        if ((keys[column] as string).startsWith('PHONE')) phones.add(value);
      });
      if (!problem && row.every((value: unknown) => value === '' || value === null)) problem = `row ${index}: no value`;
      if (problem) invalid[`row_${index}`] = problem;
      else rows.push({ emails, phones });
    });
    return { rows, invalid, received: data.length };
  }

  function sessionIdOf(session: unknown): string {
    let parsed = session;
    if (typeof session === 'string') {
      try {
        parsed = JSON.parse(session);
      } catch {
        throw invalidParameter('param session must be JSON-encoded');
      }
    }
    if (parsed === undefined || parsed === null)
      return `${randomInt(1, 9)}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`; // an int64 beyond 2^53, as Meta's are
    const id = (parsed as { session_id?: unknown }).session_id;
    if ((typeof id !== 'number' && typeof id !== 'string') || !/^\d+$/.test(String(id)))
      throw invalidParameter('param session[session_id] must be an integer');
    return String(id);
  }

  // ---- the HTTP side ----

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  let waiting = 0;
  let mostWaiting = 0;
  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const latency = options.latencyMs ?? 0;
    if (latency <= 0) return answer(request, reply);
    waiting++;
    mostWaiting = Math.max(mostWaiting, waiting);
    const timer = setTimeout(() => {
      timers.delete(timer);
      waiting--;
      answer(request, reply);
    }, latency);
    timers.add(timer);
  }

  function answer(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const entry: MetaRequestRecord = { method: request.method, path: url.pathname, tokenIn: 'none', status: 0 };
    requests.push(entry);
    const send = (status: number, bodyText: string, regainMinutes = 0) => {
      entry.status = status;
      void reply
        .code(status)
        .headers(usageHeaders(regainMinutes))
        .type('application/json; charset=UTF-8')
        .send(bodyText);
    };
    const sendError = (error: GraphError, regainMinutes = 0) =>
      send(
        error.status,
        JSON.stringify({
          error: {
            message: error.message,
            type: 'OAuthException',
            code: error.code,
            ...(error.subcode !== undefined ? { error_subcode: error.subcode } : {}),
            ...error.extra,
            fbtrace_id: randomBytes(12).toString('base64url'),
          },
        }),
        regainMinutes,
      );

    const queued = faults.shift();
    if (queued) {
      const { fault, options: faultOptions } = queued;
      if (fault === 'timeout') {
        stall(request, reply, faultOptions.closeAfterMs, timers);
        return;
      }
      if (fault === 'garbage') return send(200, '{"audience_id":"');
      if (fault === 500)
        return sendError(new GraphError(500, 1, 'An unknown error has occurred.', undefined, { is_transient: true }));
      const code = faultOptions.code ?? 17;
      const message =
        code === 80003
          ? 'There have been too many calls for this custom audience. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#custom-audience.'
          : code === 80004
            ? 'There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.'
            : code === 4
              ? '(#4) Application request limit reached'
              : code === 613
                ? '(#613) Calls to this api have exceeded the rate limit.'
                : '(#17) User request limit reached';
      return sendError(
        new GraphError(400, code, message, 2446079, { is_transient: true }),
        faultOptions.regainMinutes ?? 0,
      );
    }

    // The parameters, wherever Graph accepts them: JSON body, form body, query string.
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    let fromForm = false;
    const text = typeof request.body === 'string' ? request.body : '';
    if (text !== '') {
      if (contentType === 'application/json') {
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) Object.assign(params, parsed);
          else return sendError(invalidParameter('The request body must be a JSON object'));
        } catch {
          return sendError(invalidParameter('The request body is not valid JSON'));
        }
      } else if (contentType === 'application/x-www-form-urlencoded') {
        const form = Object.fromEntries(new URLSearchParams(text));
        fromForm = 'access_token' in form;
        Object.assign(params, form);
      }
    }

    // Auth.
    const header = /^(?:Bearer|OAuth) (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const token = header ?? (typeof params.access_token === 'string' ? params.access_token : undefined);
    entry.tokenIn = header ? 'header' : token === undefined ? 'none' : fromForm ? 'form' : 'query';
    if (token === undefined || token === '')
      return sendError(new GraphError(400, 104, 'An access token is required to request this resource.'));
    if (revoked) {
      return sendError(
        new GraphError(
          400,
          190,
          'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
          460,
        ),
      );
    }
    if (token !== options.accessToken)
      return sendError(new GraphError(400, 190, 'Invalid OAuth access token - Cannot parse access token'));

    // The ad account's rate limit.
    if (options.rateLimit) {
      const windowMs = options.rateLimit.windowMs ?? 3_600_000;
      if (Date.now() - window.start >= windowMs) Object.assign(window, { start: Date.now(), calls: 0 });
      if (window.calls >= options.rateLimit.calls) {
        const regain =
          options.rateLimit.regainMinutes ?? Math.max(1, Math.ceil((window.start + windowMs - Date.now()) / 60_000));
        return sendError(
          new GraphError(
            400,
            80004,
            'There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.',
            2446079,
          ),
          regain,
        );
      }
      window.calls++;
    }

    const route = /^\/(v\d+\.\d+)\/([^/]+)\/users\/?$/.exec(url.pathname);
    if (!route) {
      return sendError(new GraphError(400, 2500, `Unknown path components: ${url.pathname.slice(0, 80)}`));
    }
    const [, version, audienceId] = route as unknown as [string, string, string];
    if (version !== apiVersion) {
      return sendError(
        new GraphError(
          400,
          2635,
          `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${apiVersion}.`,
        ),
      );
    }
    const members = audiences.get(audienceId);
    if (!members || (request.method !== 'DELETE' && request.method !== 'POST')) {
      return sendError(
        invalidParameter(
          `Unsupported ${request.method.toLowerCase()} request. Object with ID '${audienceId.slice(0, 30)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
          33,
        ),
      );
    }

    try {
      const sessionId = sessionIdOf(params.session);
      const { rows, invalid, received } = readPayload(params.payload);
      if (request.method === 'DELETE') {
        const emails = new Set(rows.flatMap((row) => [...row.emails]));
        const phones = new Set(rows.flatMap((row) => [...row.phones]));
        audiences.set(
          audienceId,
          members.filter(
            (member) => !((member.email && emails.has(member.email)) || (member.phone && phones.has(member.phone))),
          ),
        );
      } else {
        // Meta matches people, not rows: adding someone already in the audience changes nothing.
        const known = new Set(members.flatMap((m) => [m.email, m.phone]).filter(Boolean));
        for (const row of rows)
          if (![...row.emails, ...row.phones].some((hash) => known.has(hash)))
            members.push({
              ...(row.emails.size ? { email: [...row.emails][0] } : {}),
              ...(row.phones.size ? { phone: [...row.phones][0] } : {}),
            });
      }
      // session_id is an int64: written as a bare number, as Meta writes it, beyond what a JS number holds exactly.
      return send(
        200,
        `{"audience_id":${JSON.stringify(audienceId)},"session_id":${sessionId},"num_received":${received},"num_invalid_entries":${Object.keys(invalid).length},"invalid_entry_samples":${JSON.stringify(invalid)}}`,
      );
    } catch (error) {
      if (error instanceof GraphError) return sendError(error);
      throw error;
    }
  }

  app.all('/*', serve);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    apiVersion,
    adAccountId,
    requests,
    createAudience(id, seeded = []) {
      if (!/^\d+$/.test(id)) throw new Error('createAudience: a custom audience ID is digits only');
      if (audiences.has(id)) throw new Error(`createAudience: audience ${id} exists already`);
      audiences.set(
        id,
        seeded.map((member) => {
          if (!member.email && !member.phone) throw new Error('createAudience: a member needs an email or a phone');
          return {
            ...(member.email ? { email: hashEmail(member.email) } : {}),
            ...(member.phone ? { phone: hashPhone(member.phone) } : {}),
          };
        }),
      );
    },
    members(audienceId) {
      const list = audiences.get(audienceId);
      if (!list) throw new Error(`members: no audience ${audienceId}`);
      return new Set(
        list.flatMap((member) => [member.email, member.phone].filter((hash): hash is string => hash !== undefined)),
      );
    },
    memberCount(audienceId) {
      return audiences.get(audienceId)?.length ?? 0;
    },
    revokeToken() {
      revoked = true;
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, options: faultOptions });
    },
    inFlight() {
      return { now: waiting, max: mostWaiting };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await app.close();
    },
  };
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
