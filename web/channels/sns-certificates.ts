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

export class SnsCertificates {
  private readonly cache = new Map<string, { pem: string; until: number }>();
  /** One fetch per address at a time, however many messages arrive together. */
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly http: SnsHttp,
    private readonly now: () => number = Date.now,
  ) {}

  async get(url: string): Promise<string> {
    const cached = this.cache.get(url);
    if (cached && cached.until > this.now()) return cached.pem;
    let fetching = this.pending.get(url);
    if (!fetching) {
      fetching = this.http.get(url).finally(() => this.pending.delete(url));
      this.pending.set(url, fetching);
    }
    const pem = await fetching;
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error('the signing certificate is not a PEM certificate');
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(url, { pem, until: this.now() + CACHE_FOR_MS });
    return pem;
  }
}
