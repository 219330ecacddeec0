/**
 * What the SNS route fetches from AWS: signing certificates (cached: SNS signs with a handful, and
 * a flood of forged messages naming one must not become a flood of fetches) and subscription
 * confirmations. Addresses are checked before they get here (domain/sns-messages.ts isSnsUrl).
 */

export interface SnsHttp {
  /** GETs an address and returns its body; throws when it cannot (the route answers 503 and SNS retries). */
  get(url: string): Promise<string>;
}

const MAX_BODY = 64 * 1024;

/** GET over HTTPS with Node's trust store, no redirects, a 5 s limit and a 64 KB body at most. */
export const fetchSnsHttp: SnsHttp = {
  async get(url) {
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`${new URL(url).hostname} answered ${res.status}`);
    const body = await res.text();
    if (body.length > MAX_BODY) throw new Error(`${new URL(url).hostname} sent more than ${MAX_BODY} bytes`);
    return body;
  },
};

const CACHE_FOR_MS = 24 * 60 * 60 * 1000;
const CACHE_ENTRIES = 32;
/** A failed fetch is not retried for an address for this long: its error is answered again. */
const FAILURE_CACHED_MS = 60_000;
/**
 * Fetches of addresses not in the cache: at most NEW_FETCHES_BURST at once, then one per
 * NEW_FETCH_EVERY_MS. SNS signs with a handful of certificates, so a genuine sender needs a new
 * one rarely; a forger naming a new `.pem` path on an SNS host in every message would otherwise
 * have us fetch from AWS once per message. Over the limit the route answers 503 and SNS retries.
 */
const NEW_FETCHES_BURST = 8;
const NEW_FETCH_EVERY_MS = 30_000;

export class SnsCertificateUnavailable extends Error {}

export class SnsCertificates {
  private readonly cache = new Map<string, { pem: string; until: number }>();
  private readonly failed = new Map<string, { message: string; until: number }>();
  /** One fetch per address at a time, however many messages arrive together. */
  private readonly pending = new Map<string, Promise<string>>();
  private tokens = NEW_FETCHES_BURST;
  private refilledAt: number;

  constructor(
    private readonly http: SnsHttp,
    private readonly now: () => number = Date.now,
  ) {
    this.refilledAt = now();
  }

  async get(url: string): Promise<string> {
    const now = this.now();
    const cached = this.cache.get(url);
    if (cached && cached.until > now) return cached.pem;
    const failure = this.failed.get(url);
    if (failure && failure.until > now) throw new SnsCertificateUnavailable(failure.message);
    let fetching = this.pending.get(url);
    if (!fetching) {
      this.takeFetch(now);
      fetching = this.fetch(url);
      this.pending.set(url, fetching);
    }
    return fetching;
  }

  private takeFetch(now: number): void {
    const earned = Math.floor((now - this.refilledAt) / NEW_FETCH_EVERY_MS);
    if (earned > 0) {
      this.tokens = Math.min(NEW_FETCHES_BURST, this.tokens + earned);
      this.refilledAt = this.tokens === NEW_FETCHES_BURST ? now : this.refilledAt + earned * NEW_FETCH_EVERY_MS;
    }
    if (this.tokens === 0)
      throw new SnsCertificateUnavailable('too many new signing certificate addresses: not fetched now');
    this.tokens--;
  }

  private async fetch(url: string): Promise<string> {
    try {
      const pem = await this.http.get(url);
      if (!pem.includes('-----BEGIN CERTIFICATE-----'))
        throw new Error('the signing certificate is not a PEM certificate');
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(url, { pem, until: this.now() + CACHE_FOR_MS });
      return pem;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.failed.size >= CACHE_ENTRIES) this.failed.delete(this.failed.keys().next().value!);
      this.failed.set(url, { message, until: this.now() + FAILURE_CACHED_MS });
      throw new SnsCertificateUnavailable(message);
    } finally {
      this.pending.delete(url);
    }
  }
}
