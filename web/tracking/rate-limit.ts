import { isIP } from 'node:net';

/**
 * Token buckets per key (a source, a client network): `ratePerSecond` on average, bursts up to
 * twice that. A flood from one key gets 429 with Retry-After; other keys are unaffected.
 *
 * With `bytesPerSecond`, each key also has a byte budget, counted on what will be stored (after a
 * batch's context is merged into every item), so a few large requests cannot cost as much
 * sealing and writing as a flood of events would.
 *
 * At most `maxKeys` buckets are kept, least recently used dropped first: a stream of new keys
 * (random client addresses) cannot grow memory without bound. A dropped bucket starts full again,
 * which only matters for keys idle long enough to be the oldest.
 */
export interface RateLimiterOptions {
  bytesPerSecond?: number;
  maxKeys?: number;
}

type Refusal = { ok: false; retryAfterSeconds: number; reason: 'events' | 'bytes'; tooLarge: boolean };

export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; bytes: number; at: number }>();
  private readonly bytesPerSecond: number | undefined;
  private readonly maxKeys: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
    options: RateLimiterOptions = {},
  ) {
    this.bytesPerSecond = options.bytesPerSecond;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /**
   * Takes `count` tokens (and `bytes` of the byte budget); when there are not enough, says how
   * many seconds to wait, and whether the request could never fit (`tooLarge`).
   */
  take(key: string, count: number, bytes = 0): { ok: true } | Refusal {
    const capacity = this.ratePerSecond * 2;
    const byteCapacity = this.bytesPerSecond === undefined ? Number.POSITIVE_INFINITY : this.bytesPerSecond * 2;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, bytes: byteCapacity, at: t };
    const elapsed = (t - bucket.at) / 1000;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * this.ratePerSecond);
    bucket.bytes = Math.min(byteCapacity, bucket.bytes + elapsed * (this.bytesPerSecond ?? 0));
    bucket.at = t;
    this.buckets.delete(key); // re-insert: Map order is recency
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);

    if (count > capacity)
      return { ok: false, retryAfterSeconds: Math.ceil(count / this.ratePerSecond), reason: 'events', tooLarge: true };
    if (bytes > byteCapacity)
      return { ok: false, retryAfterSeconds: Math.ceil(bytes / this.bytesPerSecond!), reason: 'bytes', tooLarge: true };
    if (bucket.tokens < count) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((count - bucket.tokens) / this.ratePerSecond)),
        reason: 'events',
        tooLarge: false,
      };
    }
    if (bucket.bytes < bytes) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((bytes - bucket.bytes) / this.bytesPerSecond!)),
        reason: 'bytes',
        tooLarge: false,
      };
    }
    bucket.tokens -= count;
    bucket.bytes -= bytes;
    return { ok: true };
  }

  /** Buckets held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The network a client address stands for when limiting: the address itself for IPv4, its /64
 * for IPv6 (one subscriber usually holds a whole /64, so single addresses would be free to rotate).
 */
export function clientNetwork(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
