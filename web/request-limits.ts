import type { Sql } from 'postgres';
import { countHit, sweepCounters } from '../db/rate-limit-store';
import type { SigningKeys } from '../domain/signing-keys';

/**
 * Rate limits every web server shares, counted in the global database (db/rate-limit-store.ts):
 * a second server behind the load balancer does not double the limit, and a restart does not
 * reset it. What is limited (an email's blind index, a client address) is stored only as an HMAC
 * under a key derived for this purpose.
 *
 * A small in-memory cache in front remembers keys already over their limit until their window
 * ends, so a flood from one key costs no database round trip. It evicts the least recently used
 * entry when full: a flood of distinct keys can only push out cached refusals (which the database
 * still counts), never reset anyone's count.
 */

export interface RateDecision {
  allowed: boolean;
  /** When refused: seconds until the window ends. */
  retryAfterSeconds: number;
}

export interface SharedRateLimiterOptions {
  windowSeconds?: number;
  /** Most refusals kept in memory. */
  frontCacheSize?: number;
  /** How often expired counters are deleted. */
  sweepEveryMs?: number;
}

export class SharedRateLimiter {
  private readonly windowSeconds: number;
  private readonly frontCacheSize: number;
  private readonly sweepEveryMs: number;
  /** Key (hex) → time its refusal ends; Map order is recency, oldest first. */
  private readonly refused = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly globalSql: Sql,
    private readonly keys: SigningKeys,
    options: SharedRateLimiterOptions = {},
  ) {
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.frontCacheSize = options.frontCacheSize ?? 10_000;
    this.sweepEveryMs = options.sweepEveryMs ?? 5 * 60_000;
  }

  /** Counts one hit on (`bucket`, `value`) and says whether it is within `limit` per window. */
  async hit(bucket: string, value: string, limit: number, now = Date.now()): Promise<RateDecision> {
    const key = this.keys.mac('rate-limit-key', `${bucket}\u0000${value}`);
    const cacheKey = key.toString('hex');
    const until = this.refused.get(cacheKey);
    if (until !== undefined) {
      if (until > now) {
        this.touch(cacheKey, until);
        return { allowed: false, retryAfterSeconds: Math.ceil((until - now) / 1000) };
      }
      this.refused.delete(cacheKey);
    }
    const state = await countHit(this.globalSql, key, this.windowSeconds);
    if (state.hits <= limit) return { allowed: true, retryAfterSeconds: 0 };
    this.touch(cacheKey, now + state.resetsInSeconds * 1000);
    return { allowed: false, retryAfterSeconds: state.resetsInSeconds };
  }

  /** Refusals held in memory (for tests and metrics). */
  get cachedRefusals(): number {
    return this.refused.size;
  }

  startSweeping(onError: (message: string) => void = () => {}): void {
    this.sweeper = setInterval(() => {
      sweepCounters(this.globalSql).catch((error: { code?: string }) =>
        onError(`rate limit sweep failed (${error.code ?? 'error'}); will retry`),
      );
    }, this.sweepEveryMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private touch(cacheKey: string, until: number): void {
    this.refused.delete(cacheKey);
    this.refused.set(cacheKey, until);
    if (this.refused.size > this.frontCacheSize) this.refused.delete(this.refused.keys().next().value!);
  }
}
