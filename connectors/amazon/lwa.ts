import { createHash } from 'node:crypto';
import { classifyHttpFailure, ConnectorAuthError, ConnectorError, ConnectorTransientError } from '../errors';
import { HttpAnswer, jsonObject, VendorApi, VendorHttp } from '../http';

/**
 * Login with Amazon (LWA), as the SP-API uses it ("Connecting to the Selling Partner API", step 1):
 * the seller's refresh token, with the app's LWA client ID and secret, is exchanged at
 * POST {lwaUrl}/auth/o2/token (form-encoded `grant_type=refresh_token`) for an access token that
 * lasts `expires_in` seconds (3600). Access tokens are kept until shortly before they expire, in a
 * cache shared by the process (keyed by a hash of the URL, client ID and refresh token), so the
 * short sessions a sync opens do not each exchange the refresh token again.
 *
 * Errors: 400 `invalid_grant` (the seller revoked the app, or the refresh token is wrong) and 401
 * `invalid_client` (wrong client ID or secret, e.g. after the secret was rotated) are auth errors
 * saying what to do; others are classified like any HTTP failure. Neither secret nor token ever
 * appears in a message.
 */

export const LWA_API: VendorApi = { system: 'Login with Amazon', hosts: ['api.amazon.com'] };
export const DEFAULT_LWA_URL = 'https://api.amazon.com';
export const LWA_TOKEN_PATH = '/auth/o2/token';
const SYSTEM = 'Amazon SP-API';
/** An access token is renewed this long before it expires, so it never runs out in flight. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
const MAX_CACHED = 10_000;

export interface LwaCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface AccessToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Obtained by this very call: a refusal of it cannot be because it expired. */
  fresh: boolean;
}

/** Tokens by key (never by a secret in clear), each until it expires. */
export class TokenCache {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<AccessToken>>();

  /** The token under `key` if it is still good `marginMs` from `nowMs`. */
  get(
    key: string,
    nowMs: number,
    marginMs = TOKEN_REFRESH_MARGIN_MS,
  ): { token: string; expiresAt: number } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (nowMs >= entry.expiresAt - marginMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, token: string, expiresAt: number): void {
    if (this.entries.size >= MAX_CACHED) this.entries.clear();
    this.entries.set(key, { token, expiresAt });
  }

  /** Forgets the token under `key`, only if it is still `token` (another caller may have renewed it already). */
  forget(key: string, token?: string): void {
    if (token === undefined || this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  /** One exchange at a time per key: concurrent callers share it. */
  async once(key: string, obtain: () => Promise<AccessToken>): Promise<AccessToken> {
    const running = this.pending.get(key);
    if (running) return running;
    const started = obtain().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The process's cache: every Amazon connector session shares it. */
export const sharedTokenCache = new TokenCache();

export interface LwaOptions {
  /** Default https://api.amazon.com; an emulator's URL in tests (under the test-only host override). */
  lwaUrl?: string;
  now?: () => Date;
  timeoutMs?: number;
  cache?: TokenCache;
}

/** Exchanges one seller's refresh token for access tokens, cached until shortly before they expire. */
export class LwaTokenSource {
  /** Identifies these credentials without holding them: a hash of the LWA URL, client ID and refresh token. */
  readonly key: string;
  readonly clientId: string;
  private readonly tokenUrl: string;
  private readonly credentials: LwaCredentials;
  private readonly http: VendorHttp;
  private readonly now: () => Date;
  private readonly cache: TokenCache;
  private exchangeCount = 0;

  constructor(credentials: LwaCredentials, opts: LwaOptions = {}) {
    const base = (opts.lwaUrl ?? DEFAULT_LWA_URL).replace(/\/+$/, '');
    this.tokenUrl = `${base}${LWA_TOKEN_PATH}`;
    this.credentials = credentials;
    this.clientId = credentials.clientId;
    // A throttled exchange is not slept here: the activity retries it.
    this.http = new VendorHttp(LWA_API, { timeoutMs: opts.timeoutMs, maxRateLimitWaits: 0 });
    this.now = opts.now ?? (() => new Date());
    this.cache = opts.cache ?? sharedTokenCache;
    this.key = createHash('sha256')
      .update(`${base}\u0000${credentials.clientId}\u0000${credentials.refreshToken}`)
      .digest('hex');
  }

  /** Refresh-token exchanges made by this source (not counting tokens found in the cache). */
  get exchanges(): number {
    return this.exchangeCount;
  }

  /** A good access token: the cached one, or a new one from LWA. */
  async accessToken(): Promise<AccessToken> {
    const cached = this.cache.get(this.key, this.now().getTime());
    if (cached) return { ...cached, fresh: false };
    return this.cache.once(this.key, () => this.exchange());
  }

  /** The API refused `token` (expired early, or revoked): the next accessToken() asks LWA again. */
  invalidate(token: string): void {
    this.cache.forget(this.key, token);
  }

  private async exchange(): Promise<AccessToken> {
    this.exchangeCount++;
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: this.credentials.refreshToken,
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
    });
    const startedAt = this.now().getTime();
    const { status, bodyText } = await this.http.call(
      {
        method: 'POST',
        url: this.tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
        body: body.toString(),
      },
      { operation: 'exchanging the refresh token' },
      { classify: (answer) => this.failure(answer) },
    );

    const answer = parseTokenAnswer(bodyText);
    if (!answer) {
      throw new ConnectorTransientError(
        `Login with Amazon answered HTTP ${status} without an access token while exchanging the refresh token: retry later`,
        SYSTEM,
        status,
      );
    }
    const expiresAt = startedAt + answer.expiresInSeconds * 1000;
    this.cache.set(this.key, answer.accessToken, expiresAt);
    return { token: answer.accessToken, expiresAt, fresh: true };
  }

  private failure(response: HttpAnswer): ConnectorError {
    const { bodyText } = response;
    const code = lwaErrorCode(bodyText);
    const detail = `HTTP ${response.status}${code ? `: ${code}` : ''}`;
    if (code === 'invalid_grant') {
      return new ConnectorAuthError(
        `Login with Amazon refused the seller's refresh token for LWA app ${this.clientId} [${detail}]: the seller revoked Meridian's authorisation or the token is wrong. ` +
          'Re-authorise the app for the seller in Seller Central (Apps and Services → Manage Your Apps), then reconnect the Amazon account in Meridian with the new refresh token',
        SYSTEM,
        response.status,
      );
    }
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return new ConnectorAuthError(
        `Login with Amazon refused the app's credentials for LWA app ${this.clientId} [${detail}]: check the LWA client ID and client secret ` +
          '(Seller Central → Apps and Services → Develop Apps → LWA credentials; a rotated secret must be entered again) and update them on the Amazon connector in Meridian',
        SYSTEM,
        response.status,
      );
    }
    return classifyHttpFailure(SYSTEM, response.status, response.headers, bodyText, {
      account: `LWA app ${this.clientId}`,
      reconnect: 'the Amazon account',
      operation: 'exchanging the refresh token with Login with Amazon',
    });
  }
}

function parseTokenAnswer(bodyText: string): { accessToken: string; expiresInSeconds: number } | undefined {
  const body = jsonObject(bodyText);
  if (!body) return undefined;
  const { access_token: accessToken, expires_in: expiresIn, token_type: tokenType } = body;
  if (typeof accessToken !== 'string' || accessToken === '') return undefined;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer'))
    return undefined;
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' ? Number(expiresIn) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return { accessToken, expiresInSeconds: seconds };
}

/** LWA's OAuth error code (`invalid_grant`, `invalid_client` …), or '' — never the description or the body. */
function lwaErrorCode(bodyText: string): string {
  const error = jsonObject(bodyText)?.error;
  return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : '';
}
