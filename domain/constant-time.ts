import { timingSafeEqual } from 'node:crypto';

/**
 * True when two secrets (tokens, CSRF tokens, signatures) are equal, compared in constant time so
 * the time taken does not tell an attacker how many leading characters were right. Only the length
 * can leak, and a secret's length is public (every token of one kind has the same one).
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
