import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type TwilioResponse from 'twilio/lib/http/response';
import type { MessageListInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { recordOf, type TwilioMessageRecord } from './mapping';

export type { TwilioMessageRecord };
import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
  FailureContext,
  redactPersonal,
  retryAfterMs,
} from '../errors';
import { checkedVendorUrl, egressAgent, parseJson, transportFailure, untilNotThrottled, VendorApi } from '../http';

/**
 * Twilio's REST API 2010-04-01, Messages, through the official `twilio` SDK (twilio-node): list a
 * phone number's messages (`To` and `From` filters, paged by `next_page_uri`) and delete them one
 * by one (DELETE …/Messages/{Sid}.json answers 204; since October 2020 that deletes the message's
 * media too).
 *
 * Pointing the SDK elsewhere: the SDK's documented extension point for the transport is the
 * `httpClient` client option (twilio-node, advanced-examples/custom-http-client.md: "you can
 * provide your own httpClient … implement request(opts)"). {@link MeridianTwilioHttpClient} extends the SDK's own
 * `RequestClient` (axios, Basic auth, form encoding, all unchanged) and, only when a `baseUrl` is
 * configured, swaps the origin of every URL the SDK builds — `https://api.twilio.com/2010-04-01/…`, any
 * region/edge host (TWILIO_REGION / TWILIO_EDGE), and the absolute `next_page_uri` pages — for the
 * emulator's, keeping path and query. Against the real Twilio no `baseUrl` is set and the request
 * goes out exactly as the SDK made it.
 *
 * The same transport keeps to the HTTP core's rules (connectors/http.ts): every URL checked against
 * Twilio's hosts (the emulator's only under the test-only host override), sockets only to public
 * addresses (the core's agents), no redirect followed. It waits out 429s with the core's loop: Twilio
 * throttles by concurrency and usually sends no Retry-After, so the wait is exponential (1 s, 2 s, 4 s …
 * at most 30 s, a Retry-After header wins when present), `maxRateLimitWaits` times, then
 * ConnectorRateLimited is thrown for the activity layer to retry later. The SDK's own `autoRetry` is not
 * used: it sleeps with setTimeout, which an activity can neither heartbeat through nor a test replace.
 *
 * Nothing here logs, and errors never carry a URL (the list URLs hold the phone number), a
 * response body, or an axios error as `cause` (its config holds the Authorization header).
 */

/** api.twilio.com and its region/edge hosts (api.dublin.ie1.twilio.com …). */
export const TWILIO_API: VendorApi = { system: 'Twilio', hosts: ['api.twilio.com', '*.twilio.com'] };
const SYSTEM = TWILIO_API.system;
export const TWILIO_API_ORIGIN = 'https://api.twilio.com';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PAGE_SIZE = 1000; // Twilio's maximum: fewer calls for a long history
const DEFAULT_MAX_RATE_LIMIT_WAITS = 5;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** "Cannot delete this resource before it is complete": a message Twilio is still processing. */
export const TWILIO_NOT_FINAL = 20009;

export type TwilioAuth = { authToken: string } | { apiKeySid: string; apiKeySecret: string };

export interface TwilioClientOptions {
  accountSid: string;
  auth: TwilioAuth;
  /** Only for an emulator: replaces https://api.twilio.com (and any region/edge host) in every request. */
  baseUrl?: string;
  timeoutMs?: number;
  pageSize?: number;
  maxRateLimitWaits?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called between pages and deletions, so a long erasure keeps its activity alive. */
  heartbeat?: () => void;
}

export interface TwilioDeletion {
  deleted: number;
  /** Already gone (404): deleted by an earlier attempt. */
  alreadyGone: number;
  /** Still being processed by Twilio (error 20009): a retry in a few minutes deletes them. */
  notYetFinal: number;
  /** Twilio-Request-Id of every DELETE answered 204 or 404. */
  requestIds: string[];
}

interface ResponseSeen {
  method: string;
  status: number;
  requestId: string | undefined;
}

/**
 * The SDK's RequestClient with two additions: the origin swap for an emulator, and waiting out 429s.
 * Every other byte of the request is the SDK's.
 */
export class MeridianTwilioHttpClient extends twilio.RequestClient {
  private readonly baseUrl: URL | undefined;
  private readonly maxRateLimitWaits: number;
  private readonly sleepFor: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  /** Told of every answer, for request IDs in the evidence. */
  onResponse: ((seen: ResponseSeen) => void) | undefined;

  constructor(opts: {
    baseUrl?: string;
    timeoutMs: number;
    maxRateLimitWaits: number;
    sleep: (ms: number) => Promise<void>;
  }) {
    super({ timeout: opts.timeoutMs });
    // Checked with every request (the SDK also builds absolute next-page URLs), not here.
    this.baseUrl = opts.baseUrl ? new URL(opts.baseUrl) : undefined;
    this.timeoutMs = opts.timeoutMs;
    this.maxRateLimitWaits = opts.maxRateLimitWaits;
    this.sleepFor = opts.sleep;
    // The SDK's axios sends through the core's agents: sockets only to checked, public addresses.
    const target = this.baseUrl ?? new URL(TWILIO_API_ORIGIN);
    const axios = (
      this as unknown as { axios: { defaults: { httpAgent?: unknown; httpsAgent?: unknown; proxy?: unknown } } }
    ).axios;
    axios.defaults.httpsAgent = egressAgent(new URL(`https://${target.host}`));
    axios.defaults.httpAgent = egressAgent(target);
    // Never through an HTTP(S)_PROXY from the environment: the checked address is the one connected to.
    axios.defaults.proxy = false;
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    const uri = checkedVendorUrl(this.baseUrl ? rebase(opts.uri, this.baseUrl) : opts.uri, TWILIO_API).toString();
    return untilNotThrottled(
      async (waits) => {
        let response: TwilioResponse<TData>;
        try {
          response = await super.request({ ...opts, uri });
        } catch (error) {
          // Described by its code only: an axios error's config holds the credentials and the URL.
          throw transportFailure(TWILIO_API, error, { timeoutMs: this.timeoutMs, host: new URL(uri).host });
        }
        const headers = (response.headers ?? {}) as Record<string, unknown>;
        const requestId = typeof headers['twilio-request-id'] === 'string' ? headers['twilio-request-id'] : undefined;
        this.onResponse?.({ method: String(opts.method).toUpperCase(), status: response.statusCode, requestId });
        return this.checked(response, waits);
      },
      { maxWaits: this.maxRateLimitWaits, sleep: this.sleepFor },
    );
  }

  /** A 429 is thrown for the core's loop to wait out; a redirect or a 2xx that is not JSON is refused; anything else goes to the SDK. */
  private checked<TData>(response: TwilioResponse<TData>, waits: number): TwilioResponse<TData> {
    const headers = (response.headers ?? {}) as Record<string, unknown>;
    if (response.statusCode === 429) {
      const wait = rateLimitWait(headers['retry-after'], waits);
      if (waits < this.maxRateLimitWaits)
        throw new ConnectorRateLimited(
          `${SYSTEM} answered 429 Too Many Requests: retry after ${wait / 1000} s`,
          SYSTEM,
          wait,
        );
      return response;
    }
    if (response.statusCode >= 300 && response.statusCode <= 399) {
      throw new ConnectorRequestError(
        `${SYSTEM} answered with a redirect (HTTP ${response.statusCode}): Meridian follows no redirect from a vendor API, so credentials never go to an address nobody configured`,
        SYSTEM,
        response.statusCode,
        '',
      );
    }
    if (
      response.statusCode >= 200 &&
      response.statusCode < 300 &&
      typeof response.body === 'string' &&
      response.body.trim() !== ''
    ) {
      // axios leaves a body that does not parse as JSON as a string; the SDK would then throw a
      // SyntaxError whose message quotes the body. Refuse it here, without echoing it.
      if (parseJson(response.body) === undefined) {
        throw new ConnectorTransientError(
          `${SYSTEM} answered HTTP ${response.statusCode} with a body that is not JSON: retry later`,
          SYSTEM,
          response.statusCode,
        );
      }
    }
    return response;
  }
}

export class TwilioMessagesClient {
  private readonly accountSid: string;
  private readonly http: MeridianTwilioHttpClient;
  private readonly messages: MessageListInstance;
  private readonly pageSize: number;
  private readonly heartbeat: () => void;
  private readonly authKind: 'auth token' | 'API key';

  constructor(opts: TwilioClientOptions) {
    this.accountSid = opts.accountSid;
    this.pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    this.heartbeat = opts.heartbeat ?? (() => {});
    this.http = new MeridianTwilioHttpClient({
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRateLimitWaits: opts.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS,
      sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    });
    const [username, password] =
      'authToken' in opts.auth ? [opts.accountSid, opts.auth.authToken] : [opts.auth.apiKeySid, opts.auth.apiKeySecret];
    this.authKind = 'authToken' in opts.auth ? 'auth token' : 'API key';
    // `env: {}` and explicit credentials: nothing is read from TWILIO_* variables but the SDK's region/edge.
    const client = twilio(username, password, { accountSid: opts.accountSid, httpClient: this.http, env: {} });
    this.messages = client.api.v2010.accounts(opts.accountSid).messages;
  }

  /** Every message to or from any of `phones`, newest first, each once. */
  async listFor(phones: string[]): Promise<TwilioMessageRecord[]> {
    const seen = new Map<string, TwilioMessageRecord>();
    for (const phone of phones) {
      for (const filter of [{ to: phone }, { from: phone }]) {
        const operation = `listing messages ${'to' in filter ? 'to' : 'from'} a phone number`;
        let page = await this.call(operation, () => this.messages.page({ ...filter, pageSize: this.pageSize }));
        for (;;) {
          for (const message of page.instances) if (!seen.has(message.sid)) seen.set(message.sid, recordOf(message));
          this.heartbeat();
          const next = page.nextPageUrl;
          if (!next) break;
          page = await this.call(operation, () => this.messages.getPage(next));
        }
      }
    }
    return [...seen.values()].sort(
      (a, b) => (b.dateSent ?? '').localeCompare(a.dateSent ?? '') || b.sid.localeCompare(a.sid),
    );
  }

  /**
   * Sends one SMS through a Messaging Service (Twilio picks the sender number per country). Twilio has
   * no idempotency key for Messages: the send gate's key, stored before this call, keeps retries out.
   */
  async send(message: {
    to: string;
    body: string;
    messagingServiceSid: string;
  }): Promise<{ sid: string; numSegments?: number }> {
    const created = await this.call('sending a message', () =>
      this.messages.create({ to: message.to, body: message.body, messagingServiceSid: message.messagingServiceSid }),
    );
    const segments = Number(created.numSegments);
    return { sid: created.sid, ...(Number.isFinite(segments) ? { numSegments: segments } : {}) };
  }

  /** Deletes each message; a 404 counts as already gone, a 20009 as not yet final. */
  async deleteAll(sids: string[]): Promise<TwilioDeletion> {
    const result: TwilioDeletion = { deleted: 0, alreadyGone: 0, notYetFinal: 0, requestIds: [] };
    for (const sid of sids) {
      let requestId: string | undefined;
      this.http.onResponse = (seen) => {
        if (seen.method === 'DELETE') requestId = seen.requestId;
      };
      try {
        await this.call('deleting a message', () => this.messages(sid).remove());
        result.deleted++;
        if (requestId) result.requestIds.push(requestId);
      } catch (error) {
        const status = error instanceof ConnectorError ? error.status : undefined;
        const code = error instanceof TwilioApiError ? error.twilioCode : undefined;
        if (status === 404) {
          result.alreadyGone++;
          if (requestId) result.requestIds.push(requestId);
        } else if (code === TWILIO_NOT_FINAL) {
          result.notYetFinal++;
        } else {
          throw error;
        }
      } finally {
        this.http.onResponse = undefined;
      }
      this.heartbeat();
    }
    return result;
  }

  /** Runs one SDK call and turns whatever it throws into a ConnectorError. */
  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.classify(error, operation);
    }
  }

  private classify(error: unknown, operation: string): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const context: FailureContext = {
      account: `account ${this.accountSid}`,
      reconnect: 'the Twilio account',
      operation,
    };
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400) {
      const code = numberOr((error as { code?: unknown }).code);
      const reference = code !== undefined ? `, Twilio error ${code}` : '';
      if (status === 401 || status === 403) {
        return new ConnectorAuthError(
          `${SYSTEM} refused the credentials for ${context.account} while ${operation}: check the Twilio Account SID and ${this.authKind === 'auth token' ? 'Auth Token' : 'API key SID and secret'} in Meridian's Twilio connection (the token may have been rotated or the key deleted in the Twilio Console) [HTTP ${status}${reference}]`,
          SYSTEM,
          status,
        );
      }
      if (status === 429) {
        const wait = rateLimitWait(undefined, DEFAULT_MAX_RATE_LIMIT_WAITS);
        return new ConnectorRateLimited(
          `${SYSTEM} kept answering 429 Too Many Requests for ${context.account} while ${operation}: retry after ${wait / 1000} s [HTTP 429${reference}]`,
          SYSTEM,
          wait,
        );
      }
      // Twilio's message text can quote the request (a phone number in "The 'To' number … is not valid"): redacted.
      const text = redactPersonal(
        typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : '',
        { digitRuns: true },
      );
      const classified = classifyHttpFailure(
        SYSTEM,
        status,
        new Headers(),
        JSON.stringify({ message: code !== undefined ? `Twilio error ${code}${text ? `: ${text}` : ''}` : text }),
        context,
      );
      return classified instanceof ConnectorRequestError
        ? new TwilioApiError(classified.message, status, classified.apiErrors, code)
        : classified;
    }
    return new ConnectorTransientError(
      `${SYSTEM} gave an answer the SDK could not read for ${context.account} while ${operation} (${errorKind(error)}): retry later`,
      SYSTEM,
    );
  }
}

/** A 4xx other than auth and throttling, with Twilio's own error code (e.g. 20404, 21211). */
export class TwilioApiError extends ConnectorRequestError {
  constructor(
    message: string,
    status: number,
    apiErrors: string,
    readonly twilioCode: number | undefined,
  ) {
    super(message, SYSTEM, status, apiErrors);
  }
}

/** The same path and query on another origin (scheme, host and port). */
function rebase(uri: string, base: URL): string {
  const target = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

function rateLimitWait(retryAfter: unknown, waits: number): number {
  const hinted = typeof retryAfter === 'string' ? retryAfterMs(retryAfter) : undefined;
  return Math.min(MAX_BACKOFF_MS, hinted ?? FIRST_BACKOFF_MS * 2 ** waits);
}

function errorKind(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function numberOr(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}
