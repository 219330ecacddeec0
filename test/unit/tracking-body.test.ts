import { describe, expect, it } from 'vitest';
import { contentCodings } from '../../web/tracking/body';

describe('Content-Encoding of tracking bodies', () => {
  it('reads gzip (and its old x-gzip name) and deflate, in the order applied, ignoring identity and case', () => {
    expect(contentCodings(undefined)).toEqual({ ok: true, codings: [] });
    expect(contentCodings('identity')).toEqual({ ok: true, codings: [] });
    expect(contentCodings('GZIP')).toEqual({ ok: true, codings: ['gzip'] });
    expect(contentCodings('x-gzip')).toEqual({ ok: true, codings: ['gzip'] });
    expect(contentCodings('deflate, gzip')).toEqual({ ok: true, codings: ['deflate', 'gzip'] });
  });

  it('refuses other encodings naming the supported ones, and a pile of layers', () => {
    const br = contentCodings('br');
    expect(br.ok).toBe(false);
    expect(!br.ok && br.reason).toMatch(/"br" is not supported.*gzip or deflate/);
    expect(contentCodings('gzip, zstd').ok).toBe(false);
    const layers = contentCodings('gzip, gzip, gzip');
    expect(!layers.ok && layers.reason).toMatch(/compressed 3 times/);
  });
});
