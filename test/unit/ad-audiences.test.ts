import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AD_PLATFORM_LIMITS,
  hashForPlatform,
  type HashedPerson,
  normalise,
  platformBatches,
  platformRows,
  requestWeight,
} from '../../domain/ad-audiences';

/** Each ad platform's normalisation and hashing as its documentation gives it, and batch splitting by its limits. */

const sha = (v: string) => createHash('sha256').update(v).digest('hex');

describe('normalisation per platform', () => {
  it('Meta: email trimmed and lower-cased; phone digits only with the country code, no "+" or leading zeros', () => {
    expect(normalise.meta.email('  John.Doe@Example.COM ')).toBe('john.doe@example.com');
    expect(normalise.meta.email('Jane.Doe@gmail.com')).toBe('jane.doe@gmail.com'); // Meta keeps Gmail dots
    expect(normalise.meta.phone('+1 (650) 555-1212')).toBe('16505551212');
    expect(normalise.meta.phone('+49 0176 1234567')).toBe('4901761234567');
    expect(normalise.meta.email('not an email')).toBe('');
  });

  it("Google Customer Match: lower-cased, dots before @ removed for gmail.com / googlemail.com only; phone E.164 with '+'", () => {
    expect(normalise.google.email(' Jane.Doe@Gmail.com ')).toBe('janedoe@gmail.com');
    expect(normalise.google.email('j.a.n.e@googlemail.com')).toBe('jane@googlemail.com');
    expect(normalise.google.email('Jane.Doe@Example.com')).toBe('jane.doe@example.com');
    expect(normalise.google.phone('+1 650-555-1212')).toBe('+16505551212');
    expect(normalise.google.phone('')).toBe('');
  });

  it("TikTok: email trimmed and lower-cased (TikTok's EMAIL_SHA256 example), phone E.164 with '+'", () => {
    // The hash of "testing@testing.com" in TikTok segment/mapping examples.
    expect(hashForPlatform('tiktok', { emails: [' Testing@Testing.com'], phones: [] })!.emails).toEqual([
      '584c4423c421df49955759498a71495aba49b8780eb9387dff333b6f0982c777',
    ]);
    expect(normalise.tiktok.phone('+81 90-1234-5678')).toBe('+819012345678');
  });
});

describe('hashForPlatform', () => {
  it('hashes lower-case SHA-256 hex, deduplicated after normalising, and leaves nothing raw', () => {
    const hashed = hashForPlatform('google', {
      emails: ['Jane.Doe@gmail.com', 'janedoe@gmail.com', 'other@example.com'],
      phones: ['+16505551212', '+1 650 555 1212'],
    })!;
    expect(hashed.emails).toEqual([sha('janedoe@gmail.com'), sha('other@example.com')]);
    expect(hashed.phones).toEqual([sha('+16505551212')]);
    expect(JSON.stringify(hashed)).not.toMatch(/@|\+1650/);
    expect(hashForPlatform('meta', { emails: ['nope'], phones: [''] })).toBeUndefined();
  });

  it('gives Google at most 20 identifiers for one person (TOO_MANY_USER_IDENTIFIERS past it)', () => {
    const emails = Array.from({ length: 18 }, (_, i) => `p${i}@example.com`);
    const phones = Array.from({ length: 5 }, (_, i) => `+4917600000${i}`);
    const hashed = hashForPlatform('google', { emails, phones })!;
    expect(hashed.emails.length + hashed.phones.length).toBe(20);
    expect(hashed.phones).toHaveLength(2);
  });
});

describe('batches within the platform limits', () => {
  const person = (emails: number, phones = 0): HashedPerson => ({
    emails: Array.from({ length: emails }, (_, i) => sha(`e${i}`)),
    phones: Array.from({ length: phones }, (_, i) => sha(`p${i}`)),
  });

  it('Meta: 10,000 rows per request; a person with two emails takes two rows', () => {
    const people = Array.from({ length: 10_001 }, () => person(1));
    const batches = platformBatches('meta', people);
    expect(batches.map((b) => b.length)).toEqual([10_000, 1]);
    expect(AD_PLATFORM_LIMITS.meta.perRequest).toBe(10_000);
    expect(requestWeight('meta', person(2, 1))).toBe(2);
  });

  it('Google: 100,000 identifiers per request, never splitting a person', () => {
    const people = Array.from({ length: 50_001 }, () => person(1, 1));
    const batches = platformBatches('google', people);
    expect(batches.map((b) => b.length)).toEqual([50_000, 1]);
    const uneven = platformBatches('google', [person(3), person(3), person(3)], 7);
    expect(uneven.map((b) => b.length)).toEqual([2, 1]);
  });

  it('TikTok: 10,000 rows per request', () => {
    expect(
      platformBatches(
        'tiktok',
        Array.from({ length: 20_000 }, () => person(1)),
      ).map((b) => b.length),
    ).toEqual([10_000, 10_000]);
  });

  it('rows pair the i-th email with the i-th phone and keep every hash', () => {
    const rows = platformRows(person(2, 1));
    expect(rows).toEqual([
      { emails: [sha('e0')], phones: [sha('p0')] },
      { emails: [sha('e1')], phones: [] },
    ]);
  });

  it('refuses a person larger than a request', () => {
    expect(() => platformBatches('google', [person(3)], 2)).toThrow(RangeError);
  });
});
