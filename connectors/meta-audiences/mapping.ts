import { createHash } from 'node:crypto';

/**
 * A person as Meta's custom audiences take them ("Customer list custom audiences", hashing and
 * normalisation): emails trimmed and lower-cased; phone numbers as digits only, with the country code,
 * without '+', symbols, letters or leading zeros; each SHA-256 hashed to lower-case hex.
 */

export type MetaSchemaKey = 'EMAIL_SHA256' | 'PHONE_SHA256';

/** Meta's multi-key payload: one row per person entry, '' where a key has no value. */
export interface MetaUserPayload {
  schema: MetaSchemaKey[];
  data: string[][];
}

/** Meta: "Trim leading and trailing whitespace and convert all characters to lowercase." */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Meta: digits only (no '+', symbols or letters), country code included, no leading zeros. */
export function normalisePhone(phone: string): string {
  return phone.replace(/\D+/g, '').replace(/^0+/, '');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The payload for a person: schema with the keys they have values for, rows pairing the i-th email
 * with the i-th phone ('' where one list is shorter). Undefined when nothing is left after normalising.
 */
export function hashedPayload(emails: readonly string[], phones: readonly string[]): MetaUserPayload | undefined {
  const emailHashes = [...new Set(emails.map(normaliseEmail).filter(Boolean))].map(sha256Hex);
  const phoneHashes = [...new Set(phones.map(normalisePhone).filter(Boolean))].map(sha256Hex);
  if (emailHashes.length === 0 && phoneHashes.length === 0) return undefined;
  const schema: MetaSchemaKey[] = [
    ...(emailHashes.length ? (['EMAIL_SHA256'] as const) : []),
    ...(phoneHashes.length ? (['PHONE_SHA256'] as const) : []),
  ];
  const rows = Math.max(emailHashes.length, phoneHashes.length);
  const data = Array.from({ length: rows }, (_, i) => [
    ...(emailHashes.length ? [emailHashes[i] ?? ''] : []),
    ...(phoneHashes.length ? [phoneHashes[i] ?? ''] : []),
  ]);
  return { schema, data };
}
