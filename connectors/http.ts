import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { z } from 'zod';
import {
  classifyHttpFailure,
  ConnectorError,
  ConnectorHostRefused,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
  FailureContext,
} from './errors';

/**
 * The one HTTP core every connector sends through: where a vendor may be reached, how a call goes out
 * and comes back, and how throttling is waited out. Connector clients say only what is theirs: the
 * URL and headers of a call, what counts as success, and how the vendor's own errors read.
 *
 * Where calls may go (credentials travel with every call, so this is the SSRF and credential-forwarding
 * boundary):
 * - Only to the vendor's own API hosts ({@link VendorApi.hosts}, e.g. `*.myshopify.com`), over https.
 * - Every address a host resolves to must be public: a name resolving to a loopback, private, link-local
 *   (cloud metadata), CGNAT, multicast or reserved address is refused. The check runs inside the socket's
 *   DNS lookup and the socket connects to the very addresses checked, so there is no window between check
 *   and connect for a DNS rebinding. An IP literal in a URL is checked the same way.
 * - Redirects are never followed: a 3xx is an error naming the vendor. Following one, even same-origin,
 *   would send the vendor's token on a hop nobody configured, and no API used here redirects on purpose.
 * - {@link CONNECTOR_HOST_OVERRIDE_ENV} (`MERIDIAN_CONNECTOR_HOST_OVERRIDE`) is for tests only: a
 *   comma-separated list of hosts (`127.0.0.1`, or `host:port`) that the emulators in `test/emulators/`
 *   listen on. A URL on one of them skips the vendor-host, https and address checks. Never set it in
 *   production: the worker says so in its log when it is set.
 *
 * How a call goes: one deadline for the headers and the whole body (a connection held mid-body times out
 * too); the body read as text (gzip, deflate and br decoded), at most MAX_BODY_BYTES; network failures
 * and timeouts become {@link ConnectorTransientError} naming the vendor, never quoting the URL (a query
 * string may hold an e-mail address) nor carrying the socket error as `cause`.
 */

export const CONNECTOR_HOST_OVERRIDE_ENV = 'MERIDIAN_CONNECTOR_HOST_OVERRIDE';
export const DEFAULT_TIMEOUT_MS = 30_000;
/** A vendor answer larger than this is cut off as a failure: no API page Meridian asks for comes near it. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A heartbeat at least this often during a long wait, so a Retry-After of minutes does not look like a hung activity. */
const HEARTBEAT_EVERY_MS = 10_000;

/** A vendor's API, for the egress rules and for messages. */
export interface VendorApi {
  /** How people name it: "Shopify", "Login with Amazon". */
  system: string;
  /** The hosts its API answers on: exact names, or `*.suffix` for any name under suffix. */
  hosts: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Egress: which URLs a vendor's credentials may be sent to
// ---------------------------------------------------------------------------------------------

/** The hosts the test-only override names (lower-case `host` or `host:port`), read from the environment each time. */
export function connectorHostOverride(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const raw = env[CONNECTOR_HOST_OVERRIDE_ENV] ?? '';
  return new Set(
    raw
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** True when the URL's host is one the test-only override lets through. */
export function isOverriddenHost(url: URL, env: NodeJS.ProcessEnv = process.env): boolean {
  const override = connectorHostOverride(env);
  return override.size > 0 && (override.has(url.hostname.toLowerCase()) || override.has(url.host.toLowerCase()));
}

function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const want = pattern.toLowerCase();
  if (!want.startsWith('*.')) return host === want;
  const suffix = want.slice(1); // ".myshopify.com"
  return host.endsWith(suffix) && host.length > suffix.length && /^[a-z0-9-]+$/.test(host.slice(0, -suffix.length));
}

/**
 * Why `value` may not be used as the vendor's URL, in a settings message's words ("must be …"), or
 * undefined when it may. `example` is shown in the message.
 */
export function vendorUrlProblem(
  value: string,
  vendor: VendorApi,
  example: string,
  what = `the ${vendor.system} API URL`,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be ${what}, e.g. ${example}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be ${what}, e.g. ${example}`;
  if (url.username || url.password)
    return `must not hold a user name or password: ${vendor.system} credentials go in the connector's credentials`;
  if (isOverriddenHost(url, env)) return undefined;
  if (url.protocol !== 'https:')
    return `must be an https:// URL: Meridian sends ${vendor.system} credentials over TLS only, e.g. ${example}`;
  if (!vendor.hosts.some((pattern) => hostMatches(url.hostname, pattern))) {
    return `must be on ${vendor.system}'s own API host (${vendor.hosts.join(', ')}), e.g. ${example}: Meridian sends ${vendor.system} credentials nowhere else`;
  }
  return undefined;
}

/** A URL setting pinned to the vendor's hosts (see {@link vendorUrlProblem}), for a connector's settings schema. */
export function vendorUrlSetting(vendor: VendorApi, example: string, what?: string) {
  return z.string().superRefine((value, ctx) => {
    const problem = vendorUrlProblem(value, vendor, example, what);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** The URL, checked against the vendor's hosts as a call is about to go out; throws ConnectorHostRefused. */
export function checkedVendorUrl(value: string, vendor: VendorApi): URL {
  const problem = vendorUrlProblem(value, vendor, `https://${(vendor.hosts[0] ?? '').replace('*.', 'your-name.')}`);
  if (problem)
    throw new ConnectorHostRefused(
      `${vendor.system}: refused to call ${originOf(value)}: the URL ${problem}`,
      vendor.system,
    );
  const url = new URL(value);
  if (!isOverriddenHost(url) && isIP(bareHost(url)) && !isPublicAddress(bareHost(url))) {
    throw new ConnectorHostRefused(
      `${vendor.system}: refused to call ${url.origin}: it is a private, loopback or link-local address`,
      vendor.system,
    );
  }
  return url;
}

function originOf(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return 'a URL that does not parse';
  }
}

function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Addresses no vendor API lives on: loopback, private, link-local, shared (CGNAT), multicast, documentation and reserved ranges. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for an address a vendor API may live on; false for loopback, private, link-local and the like (IPv4-mapped IPv6 by its IPv4). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return isPublicAddress(mapped[1]);
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (mappedHex?.[1] && mappedHex[2]) {
    const high = parseInt(mappedHex[1], 16);
    const low = parseInt(mappedHex[2], 16);
    return isPublicAddress(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return !NOT_PUBLIC.check(address, 'ipv6');
}

const PRIVATE_ADDRESS = 'EMERIDIAN_PRIVATE_ADDRESS';

/** A resolved address that is not public: the lookup fails with this, and the call never connects. */
class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS;
  constructor(readonly address: string) {
    super(`resolves to a non-public address ${address}`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup with every address checked; the socket connects only to what this returns. */
function publicOnlyLookup(
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { ...options, all: true } as { all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused) return callback(new PrivateAddressError(refused.address), []);
    if (addresses.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), []);
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32 };
/** Vendor calls: https only, every resolved address checked. */
const vendorAgent = new https.Agent({ ...AGENT_OPTIONS, lookup: publicOnlyLookup as never });
/** Emulator calls under the test-only override. */
const overrideAgents = { 'http:': new http.Agent(AGENT_OPTIONS), 'https:': new https.Agent(AGENT_OPTIONS) } as const;

/**
 * The agents a vendor's SDK must use when it does its own HTTP (Twilio's, through axios): the same
 * address checks as {@link VendorHttp}. Pick with the URL the SDK will call.
 */
export function egressAgent(url: URL): http.Agent {
  if (isOverriddenHost(url)) return overrideAgents[url.protocol === 'http:' ? 'http:' : 'https:'];
  return vendorAgent;
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  /** 2xx. */
  ok: boolean;
  headers: Headers;
  bodyText: string;
}

export interface CallOptions {
  /** Statuses answered rather than thrown, besides 2xx (e.g. a 404 that means "already gone"). */
  accept?: readonly number[];
  /** When an answer is a success; default: 2xx or a status in `accept`. Shopee answers errors with 200. */
  succeeded?: (answer: HttpAnswer) => boolean;
  /** The vendor's own failure rules; default {@link classifyHttpFailure}. `waits` is how many throttles were slept out so far. */
  classify?: (answer: HttpAnswer, waits: number) => ConnectorError;
  /** Asked about a failure before it is classified: true sends the call again at once (e.g. after renewing a stale token). */
  sendAgain?: (answer: HttpAnswer) => boolean;
}

/** How long and how often a client waits; every client's options take these, with its own defaults. */
export interface VendorHttpLimits {
  timeoutMs?: number;
  /** 429s slept out in a row before ConnectorRateLimited is thrown for the activity to retry later; default 10. */
  maxRateLimitWaits?: number;
  /** A longer wait than this is not slept here but thrown (better spent outside the activity); default no limit. */
  maxRateLimitWaitMs?: number;
  /** How a wait is slept; make it with {@link heartbeatingSleep} inside an activity. */
  sleep?: (ms: number) => Promise<void>;
}

export class VendorHttp {
  readonly timeoutMs: number;
  private readonly maxRateLimitWaits: number;
  private readonly maxRateLimitWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** `limits` as the client was given them, over the vendor's `defaults`, over the core's. */
  constructor(
    readonly vendor: VendorApi,
    limits: VendorHttpLimits = {},
    defaults: VendorHttpLimits = {},
  ) {
    this.timeoutMs = limits.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRateLimitWaits = limits.maxRateLimitWaits ?? defaults.maxRateLimitWaits ?? 10;
    this.maxRateLimitWaitMs = limits.maxRateLimitWaitMs ?? defaults.maxRateLimitWaitMs ?? Number.POSITIVE_INFINITY;
    this.sleep = limits.sleep ?? defaults.sleep ?? heartbeatingSleep({});
  }

  /**
   * One call until it succeeds: throttling (ConnectorRateLimited from `classify`) is slept out within the
   * limits; every other failure is thrown classified. `request` may be a function, built again for every
   * attempt (a fresh signature or token).
   */
  async call(
    request: HttpRequest | (() => HttpRequest | Promise<HttpRequest>),
    context: FailureContext,
    options: CallOptions = {},
  ): Promise<HttpAnswer> {
    const succeeded =
      options.succeeded ?? ((answer: HttpAnswer) => answer.ok || (options.accept?.includes(answer.status) ?? false));
    const classify =
      options.classify ??
      ((answer: HttpAnswer) =>
        classifyHttpFailure(this.vendor.system, answer.status, answer.headers, answer.bodyText, context));
    return untilNotThrottled(
      async (waits) => {
        for (;;) {
          const answer = await this.send(typeof request === 'function' ? await request() : request, context);
          if (succeeded(answer)) return answer;
          if (options.sendAgain?.(answer)) continue;
          throw classify(answer, waits);
        }
      },
      { maxWaits: this.maxRateLimitWaits, maxWaitMs: this.maxRateLimitWaitMs, sleep: this.sleep },
    );
  }

  /** One attempt: the URL checked, sent with one deadline, the body read. A 3xx is refused (redirects are never followed). */
  async send(request: HttpRequest, context: FailureContext): Promise<HttpAnswer> {
    const url = checkedVendorUrl(request.url, this.vendor);
    let answer: HttpAnswer;
    try {
      answer = await transmit(url, request, this.timeoutMs);
    } catch (error) {
      throw transportFailure(this.vendor, error, { timeoutMs: this.timeoutMs, context, host: url.host });
    }
    if (answer.status >= 300 && answer.status <= 399) {
      throw new ConnectorRequestError(
        `${this.vendor.system} answered with a redirect (HTTP ${answer.status})${describeContext(context)}: Meridian follows no redirect from a vendor API, ` +
          `so credentials never go to an address nobody configured — check that the connector's URL is ${this.vendor.system}'s API address itself`,
        this.vendor.system,
        answer.status,
        '',
      );
    }
    return answer;
  }
}

/**
 * A call that got no answer, as a ConnectorError: a refused address is ConnectorHostRefused (not
 * retryable); a network failure or timeout is transient. Neither quotes the URL nor keeps the socket
 * error as `cause` (both can hold a query string with personal data, or an SDK's request config).
 */
export function transportFailure(
  vendor: VendorApi,
  error: unknown,
  where: { timeoutMs: number; context?: FailureContext; host?: string },
): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const context = describeContext(where.context ?? {});
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof PrivateAddressError || code === PRIVATE_ADDRESS) {
    const address = error instanceof PrivateAddressError ? error.address : 'a non-public address';
    return new ConnectorHostRefused(
      `${vendor.system}: refused to call ${where.host ?? 'its host'}${context}: it resolves to ${address}, and Meridian sends credentials only to public addresses — check the connector's URL`,
      vendor.system,
    );
  }
  return new ConnectorTransientError(
    `${vendor.system} ${networkFailure(error, where.timeoutMs)}${context}: retry later`,
    vendor.system,
  );
}

/** " for <account> while <operation>", as far as the context says. */
export function describeContext(context: FailureContext): string {
  return `${context.account ? ` for ${context.account}` : ''}${context.operation ? ` while ${context.operation}` : ''}`;
}

/** "did not answer within N ms" or "could not be reached (ECONNREFUSED)": the code only, never the message (it can quote the URL). */
export function networkFailure(error: unknown, timeoutMs: number): string {
  const code =
    (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return `did not answer within ${timeoutMs} ms`;
  return `could not be reached (${typeof code === 'string' ? code : name || 'network error'})`;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

class BodyTooLarge extends Error {
  readonly code = 'EMERIDIAN_BODY_TOO_LARGE';
}

/** The request on node:http(s) through the egress agents; resolves with the whole body as text. */
function transmit(url: URL, request: HttpRequest, timeoutMs: number, retriedReset = false): Promise<HttpAnswer> {
  const transport = url.protocol === 'http:' ? http : https;
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    let answered = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const req = transport.request(url, {
      method: request.method ?? 'GET',
      agent: egressAgent(url),
      headers: {
        'accept-encoding': 'gzip, deflate, br',
        ...request.headers,
        ...(body ? { 'content-length': String(body.length) } : {}),
      },
    });
    // One deadline for the headers and the whole body.
    const timer = setTimeout(() => {
      const error = new TimeoutError('timed out');
      req.destroy(error);
      fail(error);
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as it was reused: send once more on a new one (Node's documented pattern).
      if (!answered && !retriedReset && req.reusedSocket && error.code === 'ECONNRESET' && !settled) {
        settled = true;
        clearTimeout(timer);
        transmit(url, request, timeoutMs, true).then(resolve, reject);
        return;
      }
      fail(error);
    });
    req.on('response', (res) => {
      answered = true;
      const decoded = decode(res);
      if (!decoded) {
        res.destroy();
        fail(Object.assign(new Error('unsupported content-encoding'), { code: 'EMERIDIAN_ENCODING' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      decoded.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.destroy();
          fail(new BodyTooLarge(`body over ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      decoded.on('error', fail);
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('connection closed mid-body'), { code: 'ECONNRESET' })));
      decoded.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const headers = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status <= 299,
          headers,
          bodyText: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
}

function decode(res: http.IncomingMessage): Readable | undefined {
  const encoding = String(res.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding === 'identity' || encoding === '') return res;
  if (encoding === 'gzip' || encoding === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return res.pipe(zlib.createInflate());
  if (encoding === 'br') return res.pipe(zlib.createBrotliDecompress());
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Throttling and waiting
// ---------------------------------------------------------------------------------------------

/**
 * Runs `attempt` until it does not throw ConnectorRateLimited, sleeping its `retryAfterMs` between,
 * at most `maxWaits` times and only waits of at most `maxWaitMs`; past that the throttle is thrown for
 * the activity to be retried after it. The one 429 loop of every connector, SDK-driven ones included.
 */
export async function untilNotThrottled<T>(
  attempt: (waits: number) => Promise<T>,
  limits: { maxWaits: number; maxWaitMs?: number; sleep: (ms: number) => Promise<void> },
): Promise<T> {
  for (let waits = 0; ; waits++) {
    try {
      return await attempt(waits);
    } catch (error) {
      const wait =
        error instanceof ConnectorRateLimited &&
        waits < limits.maxWaits &&
        error.retryAfterMs <= (limits.maxWaitMs ?? Number.POSITIVE_INFINITY);
      if (!wait) throw error;
      await limits.sleep(error.retryAfterMs);
    }
  }
}

/**
 * How a connector waits inside an activity: heartbeats before, during (at least every 10 s) and after,
 * so a long Retry-After never looks like a hung activity. A `sleep` given (tests) replaces the waiting itself.
 */
export function heartbeatingSleep(context: {
  sleep?: (ms: number) => Promise<void>;
  heartbeat?: () => void;
}): (ms: number) => Promise<void> {
  const beat = () => context.heartbeat?.();
  return async (ms) => {
    beat();
    if (context.sleep) {
      await context.sleep(ms);
    } else {
      for (let left = ms; left > 0; left -= HEARTBEAT_EVERY_MS) {
        await new Promise<void>((resolve) => setTimeout(resolve, Math.min(left, HEARTBEAT_EVERY_MS)));
        beat();
      }
    }
    beat();
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/** The body parsed as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body as a JSON object, or undefined when it is not one (an array, a scalar, not JSON). */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  const value = parseJson(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
