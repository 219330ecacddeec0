/**
 * Token bucket per source: `ratePerSecond` events on average, bursts up to twice that. A flood
 * from one write key gets 429 with Retry-After; other sources are unaffected.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly ratePerSecond: number, private readonly now: () => number = Date.now) {}

  /** Takes `count` tokens; when there are not enough, says how many seconds to wait. */
  take(sourceId: string, count: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const capacity = this.ratePerSecond * 2;
    const t = this.now();
    const bucket = this.buckets.get(sourceId) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = t;
    this.buckets.set(sourceId, bucket);
    if (count > capacity) return { ok: false, retryAfterSeconds: Math.ceil(count / this.ratePerSecond) };
    if (bucket.tokens < count) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((count - bucket.tokens) / this.ratePerSecond)) };
    }
    bucket.tokens -= count;
    return { ok: true };
  }
}
