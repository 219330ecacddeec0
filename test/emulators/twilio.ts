import { createHash, randomBytes } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stall } from './faults';
import { countSmsSegments } from '../../domain/sms-segments';

/**
 * A local stand-in for Twilio's REST API 2010-04-01, Messages: list, fetch and delete, under
 * `/2010-04-01/Accounts/{AccountSid}/`. It follows the behaviour Twilio documents (twilio.com/docs/
 * messaging/api/message-resource, /docs/usage/twilios-response, /docs/api/errors) that a privacy client
 * must survive:
 *
 * - HTTP Basic auth: `AccountSid:AuthToken`, or an API key `SK…:secret` for the account in the path. A
 *   missing, wrong or revoked credential answers 401 `{"code":20003,"message":"Authenticate",
 *   "more_info":"https://www.twilio.com/docs/errors/20003","status":401}` with `WWW-Authenticate`.
 * - Lists newest first (date_sent descending), `PageSize` 50 by default, at most 1000, filtered by `To`,
 *   `From`, `DateSent`, `DateSent<` and `DateSent>` (on, on-or-before, on-or-after; a date or a time).
 *   Pages link with `next_page_uri` / `previous_page_uri` formatted as Twilio does:
 *   `/2010-04-01/Accounts/AC…/Messages.json?To=%2B1…&PageSize=2&Page=1&PageToken=PASM…`, where the
 *   `PageToken` is `PA` (after) or `PB` (before) and the SID of the page's last or first message — a
 *   position, not an offset, so deleting messages between pages skips none.
 * - DELETE …/Messages/{Sid}.json answers 204 with no body; an unknown SID (or one already deleted)
 *   answers 404 `{"code":20404,"message":"The requested resource … was not found",…}`; a message Twilio is
 *   still processing (accepted, scheduled, queued, sending, sent, receiving) answers 409 with error
 *   20009 "Cannot delete this resource before it is complete". Twilio documents the code, not the HTTP
 *   status it comes with: a client must key on the code.
 * - Another HTTP method on a resource answers 405 with error 20004 "Method not allowed"; an unknown path 404 with 20404.
 * - Every answer carries a `Twilio-Request-Id: RQ…` header.
 *
 * Where Twilio's documents say nothing (a `PageSize` of 0, a `PageToken` it never issued), the emulator
 * refuses with 400 and a message saying what was wrong, so a client bug shows up here.
 */

export type TwilioDirection = 'inbound' | 'outbound-api' | 'outbound-call' | 'outbound-reply';
export type TwilioMessageStatus =
  | 'accepted'
  | 'scheduled'
  | 'canceled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'delivered'
  | 'undelivered'
  | 'receiving'
  | 'received'
  | 'read';

export interface SeedMessage {
  to: string;
  from: string;
  body: string;
  /** Default 'outbound-api'. */
  direction?: TwilioDirection;
  /** Default: the emulator's clock. */
  dateSent?: Date | string;
  /** Default 'received' for inbound, 'delivered' otherwise. */
  status?: TwilioMessageStatus;
  numMedia?: number;
  messagingServiceSid?: string;
}

export interface EmulatedTwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  direction: TwilioDirection;
  status: TwilioMessageStatus;
  dateSent: Date;
  dateCreated: Date;
  numMedia: number;
  /** Set on a message sent through a Messaging Service. */
  messagingServiceSid?: string;
}

export interface TwilioRequestRecord {
  method: string;
  path: string;
  /** The query string; a parameter whose name suggests a secret is left out. */
  query: Record<string, string>;
  /** 'account' (Account SID and Auth Token), 'api-key', or 'refused' (missing, wrong, revoked). */
  auth: 'account' | 'api-key' | 'refused' | 'not-checked';
  /** The caller's User-Agent, e.g. "twilio-node/6.3.1 (linux x64) node/v20…" when the SDK made the call. */
  userAgent: string;
  /** The status answered; 0 while a 'timeout' fault holds the request. */
  status: number;
}

export type TwilioFault = 500 | 503 | 429 | 'timeout' | 'garbage';

export interface TwilioEmulatorOptions {
  accountSid: string;
  authToken: string;
  /** API keys of the account: `SK…` and its secret. */
  apiKeys?: { sid: string; secret: string }[];
  /**
   * Messaging Services of the account (MG…): POST …/Messages.json with `MessagingServiceSid` creates an
   * outbound message in status `accepted` (201), as Twilio documents for sends through a service.
   */
  messagingServices?: string[];
  /** The clock for dateSent defaults. */
  now?: () => Date;
}

export interface TwilioEmulator {
  /** e.g. http://127.0.0.1:PORT — what the client's base URL is set to instead of https://api.twilio.com. */
  baseUrl: string;
  accountSid: string;
  /** Adds messages to the account; returns their SIDs, in order. */
  seedMessages(messages: SeedMessage[]): string[];
  /** The messages the account holds now, newest first. */
  messages(): EmulatedTwilioMessage[];
  /** Moves a message on, e.g. from 'sending' to 'delivered' (it can then be deleted). */
  setStatus(sid: string, status: TwilioMessageStatus): void;
  /** Every later call answers 401, as after the Auth Token is rotated or the key deleted. */
  revokeAuth(): void;
  /**
   * The next `count` calls fail before auth: 500 (Twilio's JSON error), 503 (an HTML page from the edge),
   * 429 (error 20429, no Retry-After), 'garbage' (200 with JSON cut short), or 'timeout': no answer; the
   * socket is closed after `closeAfterMs` if given, else held until close().
   */
  failNext(count: number, fault: TwilioFault, options?: { closeAfterMs?: number }): void;
  requests: TwilioRequestRecord[];
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const NOT_FINAL: ReadonlySet<TwilioMessageStatus> = new Set([
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'receiving',
]);
/** Query parameters that would be credentials (Twilio never takes them in the query; a client bug might). */
const SECRET_PARAM = /^(auth_?token|password|secret|api_?key_?secret)$/i;

interface SortKey {
  at: number;
  sid: string;
}

class BadRequest extends Error {}
class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startTwilioEmulator(options: TwilioEmulatorOptions): Promise<TwilioEmulator> {
  const { accountSid, authToken } = options;
  if (!/^AC[0-9a-f]{32}$/.test(accountSid))
    throw new RangeError('accountSid must be AC followed by 32 lower-case hex digits');
  const now = options.now ?? (() => new Date());
  const apiKeys = new Map((options.apiKeys ?? []).map((key) => [key.sid, key.secret]));
  const stored = new Map<string, EmulatedTwilioMessage>();
  /** The sort position of every message ever stored, deleted ones too: a PageToken may name a deleted message. */
  const positions = new Map<string, SortKey>();
  const faults: { fault: TwilioFault; closeAfterMs?: number }[] = [];
  const requests: TwilioRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let revoked = false;
  let seeded = 0;
  const accountPath = `/${API_VERSION}/Accounts/${accountSid}`;

  const newestFirst = (a: SortKey, b: SortKey): number => b.at - a.at || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0);

  function seedMessage(input: SeedMessage): string {
    seeded++;
    const sid = `SM${createHash('sha256').update(`${accountSid}/${seeded}`).digest('hex').slice(0, 32)}`;
    const sent = input.dateSent === undefined ? now() : new Date(input.dateSent);
    if (Number.isNaN(sent.getTime()))
      throw new RangeError(`dateSent ${JSON.stringify(input.dateSent)} is not a time: use a Date or ISO 8601`);
    const direction = input.direction ?? 'outbound-api';
    const message: EmulatedTwilioMessage = {
      sid,
      to: input.to,
      from: input.from,
      body: input.body,
      direction,
      status: input.status ?? (direction === 'inbound' ? 'received' : 'delivered'),
      dateSent: new Date(Math.floor(sent.getTime() / 1000) * 1000), // Twilio's times are to the second
      dateCreated: new Date(Math.floor(sent.getTime() / 1000) * 1000),
      numMedia: input.numMedia ?? 0,
      ...(input.messagingServiceSid ? { messagingServiceSid: input.messagingServiceSid } : {}),
    };
    stored.set(sid, message);
    positions.set(sid, { at: message.dateSent.getTime(), sid });
    return sid;
  }

  // ---- rendering, with Twilio's field names ----

  /** RFC 2822, as Twilio writes every time: "Thu, 24 Aug 2023 05:01:45 +0000". */
  const rfc2822 = (instant: Date): string => instant.toUTCString().replace(/GMT$/, '+0000');

  function renderMessage(m: EmulatedTwilioMessage): Record<string, unknown> {
    const uri = `${accountPath}/Messages/${m.sid}.json`;
    return {
      account_sid: accountSid,
      api_version: API_VERSION,
      body: m.body,
      date_created: rfc2822(m.dateCreated),
      date_sent: rfc2822(m.dateSent),
      date_updated: rfc2822(m.dateSent),
      direction: m.direction,
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid ?? null,
      num_media: String(m.numMedia),
      num_segments: String(Math.max(1, countSmsSegments(m.body).segments)),
      price: m.direction === 'inbound' ? null : '-0.00790',
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: {
        media: `${accountPath}/Messages/${m.sid}/Media.json`,
        feedback: `${accountPath}/Messages/${m.sid}/Feedback.json`,
      },
      to: m.to,
      uri,
    };
  }

  const errorBody = (status: number, code: number | null, message: string) => ({
    code,
    message,
    more_info: code === null ? null : `https://www.twilio.com/docs/errors/${code}`,
    status,
  });

  // ---- listing ----

  /** A DateSent filter value: a day (whole day) or an instant. */
  function dateBound(name: string, value: string): { from: number; to: number } {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const start = Date.parse(day ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(start))
      throw new BadRequest(
        `${name} must be a date (YYYY-MM-DD) or an ISO 8601 time in GMT; got ${JSON.stringify(value)}`,
      );
    return { from: start, to: day ? start + 86_400_000 - 1 : start + 999 };
  }

  function list(query: Record<string, string>): Record<string, unknown> {
    const pageSize = query.PageSize === undefined ? DEFAULT_PAGE_SIZE : Number(query.PageSize);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new BadRequest(
        `PageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${JSON.stringify(query.PageSize)}`,
      );
    }
    const page = query.Page === undefined ? 0 : Number(query.Page);
    if (!Number.isInteger(page) || page < 0)
      throw new BadRequest(`Page must be a whole number from 0; got ${JSON.stringify(query.Page)}`);

    const on = query.DateSent !== undefined ? dateBound('DateSent', query.DateSent) : undefined;
    const before = query['DateSent<'] !== undefined ? dateBound('DateSent<', query['DateSent<']) : undefined;
    const after = query['DateSent>'] !== undefined ? dateBound('DateSent>', query['DateSent>']) : undefined;
    const matching = [...stored.values()]
      .filter((m) => {
        const at = m.dateSent.getTime();
        if (query.To !== undefined && m.to !== query.To) return false;
        if (query.From !== undefined && m.from !== query.From) return false;
        if (on && (at < on.from || at > on.to)) return false;
        if (before && at > before.to) return false;
        if (after && at < after.from) return false;
        return true;
      })
      .sort((a, b) => newestFirst(positions.get(a.sid)!, positions.get(b.sid)!));

    let slice: EmulatedTwilioMessage[];
    const token = query.PageToken;
    if (token === undefined) {
      slice = matching.slice(0, pageSize);
    } else {
      const match = /^(PA|PB)(SM[0-9a-f]{32})$/.exec(token);
      const anchor = match ? positions.get(match[2]!) : undefined;
      if (!match || !anchor)
        throw new BadRequest(`PageToken ${JSON.stringify(token)} was not issued by this API: follow next_page_uri`);
      slice =
        match[1] === 'PA'
          ? matching.filter((m) => newestFirst(positions.get(m.sid)!, anchor) > 0).slice(0, pageSize)
          : matching.filter((m) => newestFirst(positions.get(m.sid)!, anchor) < 0).slice(-pageSize);
    }

    // Filters first, then PageSize, Page and PageToken, as in Twilio's own page URIs.
    const filters = new URLSearchParams();
    for (const name of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'])
      if (query[name] !== undefined) filters.set(name, query[name]!);
    const pageUri = (number: number, pageToken?: string) => {
      const params = new URLSearchParams(filters);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(number));
      if (pageToken) params.set('PageToken', pageToken);
      return `${accountPath}/Messages.json?${params}`;
    };
    const first = slice[0];
    const last = slice.at(-1);
    const hasNext =
      last !== undefined && matching.some((m) => newestFirst(positions.get(m.sid)!, positions.get(last.sid)!) > 0);
    const hasPrevious =
      first !== undefined &&
      page > 0 &&
      matching.some((m) => newestFirst(positions.get(m.sid)!, positions.get(first.sid)!) < 0);
    const start = page * pageSize;
    return {
      end: slice.length === 0 ? start : start + slice.length - 1,
      first_page_uri: pageUri(0),
      next_page_uri: hasNext ? pageUri(page + 1, `PA${last.sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: hasPrevious ? pageUri(page - 1, `PB${first.sid}`) : null,
      messages: slice.map(renderMessage),
      start,
      uri: pageUri(page, token),
    };
  }

  // ---- sending ----

  /** POST …/Messages.json: a form-encoded To, Body and MessagingServiceSid (codes from twilio.com/docs/api/errors). */
  function create(body: unknown): EmulatedTwilioMessage {
    const form = new URLSearchParams(typeof body === 'string' ? body : '');
    const to = form.get('To') ?? '';
    const text = form.get('Body') ?? '';
    const service = form.get('MessagingServiceSid') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to))
      throw new TwilioError(400, 21211, "The 'To' number is not a valid phone number.");
    if (!text) throw new TwilioError(400, 21602, 'Message body is required.');
    if (text.length > 1600)
      throw new TwilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (!(options.messagingServices ?? []).includes(service))
      throw new TwilioError(400, 21701, 'The Messaging Service does not exist.');
    const sid = seedMessage({ to, from: service, body: text, status: 'accepted', messagingServiceSid: service });
    return stored.get(sid)!;
  }

  // ---- auth ----

  function authenticate(header: string | undefined, pathAccount: string | undefined): TwilioRequestRecord['auth'] {
    if (revoked || !header?.startsWith('Basic ')) return 'refused';
    const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'refused';
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // The credentials are checked against the account in the path: another account's path is refused.
    if (pathAccount !== undefined && pathAccount !== accountSid) return 'refused';
    if (user === accountSid && password === authToken) return 'account';
    if (apiKeys.has(user) && apiKeys.get(user) === password) return 'api-key';
    return 'refused';
  }

  // ---- the HTTP side ----

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  // Bodies are read as text (a message create is form-encoded); any type is accepted, so every call reaches the handler and is recorded.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const query = Object.fromEntries(url.searchParams);
    const entry: TwilioRequestRecord = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(Object.entries(query).filter(([name]) => !SECRET_PARAM.test(name))),
      auth: 'not-checked',
      userAgent: request.headers['user-agent'] ?? '',
      status: 0,
    };
    requests.push(entry);
    const requestId = `RQ${randomBytes(16).toString('hex')}`;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      reply.code(status).headers({ 'twilio-request-id': requestId, 'twilio-concurrent-requests': '1', ...headers });
      if (status === 204) {
        void reply.send();
        return;
      }
      void reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    };

    const queued = faults.shift();
    if (queued) {
      const { fault } = queued;
      if (fault === 'timeout') {
        stall(request, reply, queued.closeAfterMs, timers);
        return;
      }
      if (fault === 'garbage') {
        entry.status = 200;
        void reply
          .code(200)
          .headers({ 'twilio-request-id': requestId })
          .type('application/json; charset=utf-8')
          .send('{"messages":[{"sid":"SM00000000000000000000000000000000","body":"');
        return;
      }
      if (fault === 429) return answer(429, errorBody(429, 20429, 'Too Many Requests'));
      if (fault === 500) return answer(500, errorBody(500, 20500, 'Internal Server Error'));
      entry.status = 503;
      void reply
        .code(503)
        .headers({ 'twilio-request-id': requestId })
        .type('text/html; charset=utf-8')
        .send(
          '<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>',
        );
      return;
    }

    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/]+))?\.json$/.exec(url.pathname);
    const pathAccount = /^\/2010-04-01\/Accounts\/([^/.]+)/.exec(url.pathname)?.[1];
    entry.auth = authenticate(request.headers.authorization, pathAccount);
    if (entry.auth === 'refused') {
      return answer(401, errorBody(401, 20003, 'Authenticate'), { 'www-authenticate': 'Basic realm="Twilio API"' });
    }
    const notFound = () => answer(404, errorBody(404, 20404, `The requested resource ${url.pathname} was not found`));
    if (!route) return notFound();
    const sid = route[2];

    try {
      if (sid === undefined && request.method === 'POST') return answer(201, renderMessage(create(request.body)));
      if (sid === undefined) {
        if (request.method !== 'GET') return answer(405, errorBody(405, 20004, 'Method not allowed'));
        return answer(200, list(query));
      }
      const message = stored.get(sid);
      if (request.method === 'GET') return message ? answer(200, renderMessage(message)) : notFound();
      if (request.method === 'DELETE') {
        if (!message) return notFound();
        if (NOT_FINAL.has(message.status))
          return answer(409, errorBody(409, 20009, 'Cannot delete this resource before it is complete'));
        stored.delete(sid);
        return answer(204, undefined);
      }
      return answer(405, errorBody(405, 20004, 'Method not allowed'));
    } catch (error) {
      if (error instanceof BadRequest) return answer(400, errorBody(400, null, error.message));
      if (error instanceof TwilioError) return answer(error.status, errorBody(error.status, error.code, error.message));
      throw error;
    }
  }

  app.all('/*', serve);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    accountSid,
    requests,
    seedMessages(list) {
      return list.map(seedMessage);
    },
    messages() {
      return [...stored.values()]
        .sort((a, b) => newestFirst(positions.get(a.sid)!, positions.get(b.sid)!))
        .map((m) => ({ ...m }));
    },
    setStatus(sid, status) {
      const message = stored.get(sid);
      if (!message) throw new Error(`message ${sid} does not exist`);
      message.status = status;
    },
    revokeAuth() {
      revoked = true;
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, ...faultOptions });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await app.close();
    },
  };
}
