import { normalise, sha256Hex } from '../../domain/ad-audiences';

export { sha256Hex };

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

/** Meta: "Trim leading and trailing whitespace and convert all characters to lowercase" (domain/ad-audiences.ts). */
export const normaliseEmail = normalise.meta.email;

/** Meta: digits only (no '+', symbols or letters), country code included, no leading zeros. */
export const normalisePhone = normalise.meta.phone;

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

/** Meta's payload for rows of already hashed identifiers (domain/ad-audiences.ts platformRows). */
export function payloadOfRows(
  rows: readonly { emails: readonly string[]; phones: readonly string[] }[],
): MetaUserPayload {
  const hasEmail = rows.some((r) => r.emails.length > 0);
  const hasPhone = rows.some((r) => r.phones.length > 0);
  const schema: MetaSchemaKey[] = [
    ...(hasEmail ? (['EMAIL_SHA256'] as const) : []),
    ...(hasPhone ? (['PHONE_SHA256'] as const) : []),
  ];
  const data = rows.map((r) => [...(hasEmail ? [r.emails[0] ?? ''] : []), ...(hasPhone ? [r.phones[0] ?? ''] : [])]);
  return { schema, data };
}
