import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Ad audiences (issue 12, 跨境再营销): how each ad platform wants a person's email and phone before
 * they are hashed, and how many it takes per request. Written once, as data and small functions, so
 * the clients, the emulators' tests and the audience sync all agree.
 *
 * - Meta custom audiences ("Customer list custom audiences", normalisation and hashing): email trimmed
 *   and lower-cased; phone as digits only with the country code, no '+', symbols or leading zeros;
 *   SHA-256 as lower-case hex. At most 10,000 rows per `/{audience_id}/users` call.
 * - Google Ads Customer Match (OfflineUserDataJobService, "normalise and hash user-provided data"):
 *   email trimmed and lower-cased, and for gmail.com / googlemail.com every '.' before the '@' removed;
 *   phone in E.164 with its '+'; SHA-256 as lower-case hex. At most 100,000 user identifiers per
 *   AddOfflineUserDataJobOperations request, and at most 20 identifiers per UserData (one person).
 * - TikTok audiences (Marketing API v1.3 `segment/mapping`, id_schema EMAIL_SHA256 / PHONE_SHA256):
 *   email trimmed and lower-cased; phone in E.164 with its '+'; SHA-256 as lower-case hex. At most
 *   10,000 people (`batch_data` rows) per request.
 *
 * A value that normalises to nothing (no '@', no digits) is left out rather than hashed.
 */

export const AD_PLATFORMS = ['meta', 'google', 'tiktok'] as const;
export type AdPlatform = (typeof AD_PLATFORMS)[number];

/** The connected system (connectors/) whose connection an audience of the platform uses. */
export const AD_PLATFORM_SYSTEMS: Record<AdPlatform, string> = {
  meta: 'meta_audiences',
  google: 'google_customer_match',
  tiktok: 'tiktok_audiences',
};

export function adPlatformOfSystem(system: string): AdPlatform | undefined {
  return AD_PLATFORMS.find((p) => AD_PLATFORM_SYSTEMS[p] === system);
}

/** Each platform's documented request limits. */
export const AD_PLATFORM_LIMITS: Record<AdPlatform, { unit: 'rows' | 'identifiers'; perRequest: number }> = {
  /** Meta: "a maximum of 10,000 users per request" (rows of the payload's data). */
  meta: { unit: 'rows', perRequest: 10_000 },
  /** Google: 100,000 user identifiers across all UserData of one AddOfflineUserDataJobOperations request. */
  google: { unit: 'identifiers', perRequest: 100_000 },
  /** TikTok: `batch_data` rows (people) per segment/mapping request. */
  tiktok: { unit: 'rows', perRequest: 10_000 },
};

/** Google: at most 20 user identifiers in one UserData (TOO_MANY_USER_IDENTIFIERS past it). */
export const GOOGLE_MAX_IDENTIFIERS_PER_USER = 20;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const trimmedLower = (email: string) => email.trim().toLowerCase();
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/** E.164 digits of a phone number ('+4917612345678' → '4917612345678'); '' when there are none. */
const phoneDigits = (phone: string) => phone.replace(/\D+/g, '').replace(/^0+/, '');

export const normalise: Record<AdPlatform, { email(email: string): string; phone(phone: string): string }> = {
  meta: {
    email: (email) => (trimmedLower(email).includes('@') ? trimmedLower(email) : ''),
    phone: phoneDigits,
  },
  google: {
    email(email) {
      const lowered = trimmedLower(email);
      const at = lowered.lastIndexOf('@');
      if (at <= 0) return '';
      const [local, domain] = [lowered.slice(0, at), lowered.slice(at + 1)];
      return GMAIL_DOMAINS.has(domain) ? `${local.replace(/\./g, '')}@${domain}` : lowered;
    },
    phone: (phone) => (phoneDigits(phone) ? `+${phoneDigits(phone)}` : ''),
  },
  tiktok: {
    email: (email) => (trimmedLower(email).includes('@') ? trimmedLower(email) : ''),
    phone: (phone) => (phoneDigits(phone) ? `+${phoneDigits(phone)}` : ''),
  },
};

/** A person's hashed identifiers for one platform (deduplicated); no raw value survives. */
export interface HashedPerson {
  emails: string[];
  phones: string[];
}

export function hashForPlatform(
  platform: AdPlatform,
  person: { emails: readonly string[]; phones: readonly string[] },
): HashedPerson | undefined {
  const rule = normalise[platform];
  const hashed = (values: readonly string[], by: (v: string) => string) => [
    ...new Set(values.map(by).filter(Boolean).map(sha256Hex)),
  ];
  let emails = hashed(person.emails, rule.email);
  let phones = hashed(person.phones, rule.phone);
  if (platform === 'google') {
    // One UserData per person: Google refuses more than 20 identifiers in it.
    emails = emails.slice(0, GOOGLE_MAX_IDENTIFIERS_PER_USER);
    phones = phones.slice(0, GOOGLE_MAX_IDENTIFIERS_PER_USER - emails.length);
  }
  return emails.length === 0 && phones.length === 0 ? undefined : { emails, phones };
}

/** How much of the platform's per-request limit a person takes: rows (Meta, TikTok) or identifiers (Google). */
export function requestWeight(platform: AdPlatform, person: HashedPerson): number {
  const rows = Math.max(person.emails.length, person.phones.length);
  return AD_PLATFORM_LIMITS[platform].unit === 'rows' ? rows : person.emails.length + person.phones.length;
}

/**
 * People split into requests within the platform's limit, in order, never splitting a person
 * (a person's rows or identifiers go in one request). `limit` overrides the platform's (tests).
 */
export function platformBatches<T extends HashedPerson>(
  platform: AdPlatform,
  people: readonly T[],
  limit = AD_PLATFORM_LIMITS[platform].perRequest,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let weight = 0;
  for (const person of people) {
    const w = requestWeight(platform, person);
    if (w > limit) throw new RangeError(`one person takes ${w} of a ${platform} request's ${limit}`);
    if (weight + w > limit && current.length > 0) {
      batches.push(current);
      current = [];
      weight = 0;
    }
    current.push(person);
    weight += w;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Definitions (admin API)
// ---------------------------------------------------------------------------------------------

export const adAudienceInputSchema = z.object({
  name: z.string({ error: 'must be a name' }).trim().min(1, 'must not be empty').max(200),
  segmentId: z
    .string({ error: 'must be a segment ID (seg_…)' })
    .regex(/^seg_[a-z0-9]{1,40}$/, 'must be a segment ID (seg_…)'),
  connectorId: z
    .string({ error: 'must be the ID of a Meta, Google Customer Match or TikTok connector' })
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a connector ID'),
  platformAudienceId: z
    .string({ error: "must be the platform's audience ID" })
    .regex(/^\d{1,30}$/, "must be the platform's audience (user list) ID, digits only"),
});
export type AdAudienceInput = z.infer<typeof adAudienceInputSchema>;

/**
 * A person as rows of at most one email and one phone hash each (the i-th email with the i-th phone):
 * Meta's payload rows and TikTok's batch_data rows. A person's every hash is in some row.
 */
export function platformRows(person: HashedPerson): HashedPerson[] {
  return Array.from({ length: Math.max(person.emails.length, person.phones.length) }, (_, i) => ({
    emails: person.emails[i] === undefined ? [] : [person.emails[i]!],
    phones: person.phones[i] === undefined ? [] : [person.phones[i]!],
  }));
}
