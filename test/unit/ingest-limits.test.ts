import { describe, expect, it } from 'vitest';
import { SourceCache } from '../../db/sources';
import { isWriteKeyFormat } from '../../domain/sources';
import { LIMITS, parseBatch, storedBatchTooLarge } from '../../domain/tracking';
import { clientNetwork, SourceRateLimiter } from '../../web/tracking/rate-limit';
import type { Source } from '../../db/sources';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');
let n = 0;
const id = () => `m-${++n}`;

describe('batch amplification', () => {
  it('measures each item after the batch-level context is merged into it', () => {
    // 100 tiny items under a 100 KB batch context: before, each was measured at ~50 bytes and
    // stored at ~100 KB (a 480 KB request became ~900 MB to seal with 2000 items).
    const context = { a: 'x'.repeat(50 * 1024), b: 'y'.repeat(50 * 1024) };
    const parsed = parseBatch(
      { context, batch: Array.from({ length: 100 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'E' })) },
      receivedAt,
      id,
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.result.calls).toHaveLength(0);
    expect(parsed.result.rejected).toHaveLength(100);
    expect(parsed.result.rejected[0]!.reason).toMatch(
      /once the batch's context and integrations are merged in; the limit is 32768 bytes per event/,
    );
  });

  it('counts the stored size of the whole batch, so a batch that expands past the stored limit is refused', () => {
    const context = { blob: 'x'.repeat(3000) };
    const items = Array.from({ length: 2000 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'E' }));
    const parsed = parseBatch({ context, batch: items }, receivedAt, id);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.result.calls).toHaveLength(2000);
    expect(parsed.result.storedBytes).toBeGreaterThan(2000 * 3000);
    expect(storedBatchTooLarge(parsed.result.storedBytes)).toMatch(
      /once its context and integrations are merged into each item; the limit is/,
    );
    // Without batch context, the stored size is the items' own.
    const plain = parseBatch({ batch: items }, receivedAt, id);
    if (!plain.ok) throw new Error(plain.reason);
    expect(plain.result.storedBytes).toBeLessThan(LIMITS.batchBytes);
    expect(storedBatchTooLarge(plain.result.storedBytes)).toBeUndefined();
  });

  it('gives each source a byte budget besides its event budget', () => {
    let now = 0;
    const limiter = new SourceRateLimiter(1000, () => now, { bytesPerSecond: 1000 });
    expect(limiter.take('src', 1, 1500).ok).toBe(true);
    const refused = limiter.take('src', 1, 1500);
    expect(refused).toMatchObject({ ok: false, reason: 'bytes', tooLarge: false });
    expect(limiter.take('other', 1, 1500).ok).toBe(true);
    now += 1000;
    expect(limiter.take('src', 1, 1500).ok).toBe(true);
    expect(limiter.take('src', 1, 5000)).toMatchObject({ ok: false, reason: 'bytes', tooLarge: true });
  });
});

describe('unknown write keys', () => {
  const source: Source = {
    id: 'src_1',
    name: 'shop',
    region: 'eu',
    kind: 'server',
    allowedOrigins: [],
    brandId: 'default',
    writeKeyHint: 'abcd',
    createdAt: new Date(),
    rotatedAt: null,
  };
  const validKey = `wk_${'A'.repeat(32)}`;
  const randomKey = (i: number) => `wk_${i.toString(36).padStart(32, 'r')}`;

  function countingCache(options: { maxEntries?: number; maxUnknown?: number } = {}) {
    const asked: string[] = [];
    const cache = new SourceCache(undefined as never, {
      ...options,
      find: async (key) => {
        asked.push(key);
        return key === validKey ? source : undefined;
      },
    });
    return { cache, asked };
  }

  it('refuses keys of the wrong shape without a lookup', async () => {
    const { cache, asked } = countingCache();
    expect(isWriteKeyFormat(validKey)).toBe(true);
    for (const key of ['wk_nope', 'x'.repeat(35), `wk_${'A'.repeat(31)}!`, `${validKey}A`, '']) {
      expect(isWriteKeyFormat(key)).toBe(false);
      expect(await cache.lookup(key)).toBeUndefined();
    }
    expect(asked).toEqual([]);
  });

  it('a flood of random keys cannot push a working key out of the cache', async () => {
    const { cache, asked } = countingCache({ maxEntries: 100, maxUnknown: 100 });
    expect(await cache.lookup(validKey)).toEqual(source);
    for (let i = 0; i < 1000; i++) await cache.lookup(randomKey(i));
    asked.length = 0;
    expect(await cache.lookup(validKey)).toEqual(source);
    expect(asked).toEqual([]);
    expect(cache.size).toEqual({ known: 1, unknown: 100 });
  });

  it('remembers an unknown key, and asks once for concurrent lookups of one key', async () => {
    const { cache, asked } = countingCache();
    await Promise.all(Array.from({ length: 20 }, () => cache.lookup(randomKey(7))));
    expect(await cache.lookup(randomKey(7))).toBeUndefined();
    expect(cache.peek(randomKey(7))).toEqual({ source: undefined });
    expect(asked).toEqual([randomKey(7)]);
  });

  it('limits lookups per client network, an IPv6 /64 counting as one client', () => {
    expect(clientNetwork('2001:db8:1:2:aaaa::1')).toBe(clientNetwork('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(clientNetwork('2001:db8:1:2::1')).not.toBe(clientNetwork('2001:db8:1:3::1'));
    expect(clientNetwork('::ffff:10.0.0.1')).toBe('10.0.0.1');
    const limiter = new SourceRateLimiter(10, () => 0, { maxKeys: 3 });
    for (let i = 0; i < 20; i++) expect(limiter.take('10.0.0.1', 1).ok).toBe(true);
    expect(limiter.take('10.0.0.1', 1).ok).toBe(false);
    for (let i = 0; i < 10; i++) limiter.take(`10.0.1.${i}`, 1);
    expect(limiter.size).toBe(3);
  });
});
