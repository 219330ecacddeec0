import { randomBytes, randomInt } from 'node:crypto';
import type { Sql } from 'postgres';
import { z } from 'zod';
import { normaliseEmail, type NormalisationOptions } from '../domain/identifiers';
import { jurisdictionOf } from '../domain/jurisdictions';
import { policyFor, responseDeadline } from '../domain/privacy-policies';
import { matchesAny, type SigningKeys } from '../domain/signing-keys';
import { blindIndex, open, seal } from './crypto-shredding';
import { describeIssues } from '../domain/validation';

/**
 * Privacy requests in the region of the requester's country: intake (the email sealed, its blind
 * index to find the person and spot a second open request), the emailed verification code, and
 * the status a requester may see. Nothing here says whether Meridian knows the person: every
 * request is answered the same way until it is verified.
 */

export const PRIVACY_REQUEST_TYPES = ['access', 'deletion', 'correction', 'optOut', 'restriction'] as const;
export type PrivacyRequestType = (typeof PRIVACY_REQUEST_TYPES)[number];

export const VERIFICATION_MINUTES = 30;
export const MAX_VERIFICATION_ATTEMPTS = 5;

export const privacyRequestInput = z.object({
  type: z.enum(PRIVACY_REQUEST_TYPES, { error: `must be one of ${PRIVACY_REQUEST_TYPES.join(', ')}` }),
  email: z.string().min(3).max(320),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .transform((c) => c.toUpperCase()),
  usState: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .transform((s) => s.toUpperCase())
    .optional(),
  locale: z.string().min(2).max(20),
  details: z.string().max(5000).optional(),
});
export type PrivacyRequestInput = z.input<typeof privacyRequestInput>;

export class PrivacyRequestInputError extends Error {
  override readonly name = 'PrivacyRequestInputError';
}

const emailContext = (id: string) => `privacy-request:${id}:email`;
const detailsContext = (id: string) => `privacy-request:${id}:details`;

/**
 * The stored form of a verification code: an HMAC under a key derived for this purpose alone, so
 * a copy of the table cannot be turned back into codes by trying all million of them.
 */
const codeHashes = (keys: SigningKeys, id: string, code: string) =>
  keys.macs('privacy-verification-code', `${id}:${code}`);

/**
 * The blind index a request is filed under: the email normalised as ingestion normalises it (with
 * the workspace's identity rules: Gmail dots, plus-addresses), so the request finds the person.
 */
export type EmailRules = Pick<NormalisationOptions, 'gmailDotsInsensitive' | 'plusAddressingInsensitive'>;

export function emailBlindIndex(hmacKey: Buffer, email: string, rules: EmailRules = {}): Buffer | undefined {
  const normalised = normaliseEmail(email, rules);
  return normalised.ok ? blindIndex(hmacKey, 'email', normalised.value) : undefined;
}

/** Files a request; returns its ID and the verification code to email (never stored in clear). */
export async function createPrivacyRequest(
  sql: Sql,
  keys: { regionKey: Buffer; hmacKey: Buffer; signingKeys: SigningKeys; emailRules?: EmailRules },
  raw: PrivacyRequestInput,
  now = new Date(),
): Promise<{ id: string; code: string; dueDate: string; jurisdiction: string }> {
  const parsed = privacyRequestInput.safeParse(raw);
  if (!parsed.success) throw new PrivacyRequestInputError(describeIssues(parsed.error, 'request', { first: true }));
  const input = parsed.data;
  const index = emailBlindIndex(keys.hmacKey, input.email, keys.emailRules);
  if (!index) throw new PrivacyRequestInputError('email: is not an email address');
  let jurisdiction: string;
  try {
    jurisdiction = jurisdictionOf(input.country, input.usState);
  } catch (error) {
    throw new PrivacyRequestInputError(`country: ${(error as Error).message}`);
  }
  const id = `pr_${randomBytes(8).toString('hex')}`;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const received = now.toISOString().slice(0, 10);
  const { due } = responseDeadline(policyFor(input.country, input.usState), received);
  await sql`
    insert into privacy_requests (id, type, status, country, us_state, jurisdiction, locale, email_sealed, email_blind_index, details_sealed,
                                  verification_code_hash, verification_expires_at, received_at, due_date)
    values (${id}, ${input.type}, 'awaiting-verification', ${input.country}, ${input.usState ?? null}, ${jurisdiction}, ${input.locale},
            ${seal(keys.regionKey, input.email.trim(), emailContext(id))}, ${index},
            ${input.details ? seal(keys.regionKey, input.details, detailsContext(id)) : null},
            ${codeHashes(keys.signingKeys, id, code)[0]!},
            ${new Date(now.getTime() + VERIFICATION_MINUTES * 60_000).toISOString()}, ${now.toISOString()}, ${due})`;
  return { id, code, dueDate: due, jurisdiction };
}

export type VerificationResult =
  | 'verified'
  | 'already-verified'
  | 'wrong-code'
  | 'expired'
  | 'too-many-attempts'
  | 'not-found';
/** The result, and how many wrong codes the request may still take (0 once it is locked). */
export interface VerificationOutcome {
  result: VerificationResult;
  attemptsLeft: number;
}

/**
 * Checks the emailed code, before anything else: whatever state the request is in, a wrong code
 * is a wrong code (and counts as an attempt), so the request's ID alone — which whoever filed it
 * holds — proves nothing. Only the transition to verified answers 'verified'; the right code
 * again answers 'already-verified', which must not be worth a status link.
 */
export async function verifyPrivacyRequest(
  sql: Sql,
  keys: SigningKeys,
  id: string,
  code: string,
  now = new Date(),
): Promise<VerificationOutcome> {
  return sql.begin(async (tx) => {
    const [row] = await tx<
      {
        status: string;
        verification_code_hash: Buffer | null;
        verification_expires_at: Date | string | null;
        verification_attempts: number;
      }[]
    >`
      select status, verification_code_hash, verification_expires_at, verification_attempts from privacy_requests where id = ${id} for update`;
    if (!row) return { result: 'not-found', attemptsLeft: 0 };
    const left = Math.max(0, MAX_VERIFICATION_ATTEMPTS - row.verification_attempts);
    if (left === 0) return { result: 'too-many-attempts', attemptsLeft: 0 };
    if (!row.verification_code_hash || !matchesAny(row.verification_code_hash, codeHashes(keys, id, code.trim()))) {
      await tx`update privacy_requests set verification_attempts = verification_attempts + 1 where id = ${id}`;
      return { result: left - 1 === 0 ? 'too-many-attempts' : 'wrong-code', attemptsLeft: left - 1 };
    }
    if (row.status !== 'awaiting-verification') return { result: 'already-verified', attemptsLeft: left };
    if (!row.verification_expires_at || new Date(row.verification_expires_at) < now)
      return { result: 'expired', attemptsLeft: left };
    await tx`update privacy_requests set status = 'verified', verified_at = now() where id = ${id}`;
    return { result: 'verified', attemptsLeft: left };
  });
}

/** How many wrong codes the request may still take (0 when it is locked or unknown). */
export async function verificationAttemptsLeft(sql: Sql, id: string): Promise<number> {
  const [row] = await sql<
    { verification_attempts: number }[]
  >`select verification_attempts from privacy_requests where id = ${id}`;
  return row ? Math.max(0, MAX_VERIFICATION_ATTEMPTS - row.verification_attempts) : 0;
}

/**
 * A request whose verification email could not be sent is withdrawn: the requester was told to try
 * again, and a request nobody can verify would only sit there holding their sealed address.
 */
export async function withdrawUnverifiedRequest(sql: Sql, id: string): Promise<void> {
  await sql`delete from privacy_requests where id = ${id} and status = 'awaiting-verification'`;
}

/** The requester's email, for the activity that writes to them; undefined once it was destroyed. */
export async function requesterEmail(
  sql: Sql,
  regionKey: Buffer,
  id: string,
): Promise<{ email: string; locale: string } | undefined> {
  const [row] = await sql<
    { email_sealed: Buffer | null; locale: string }[]
  >`select email_sealed, locale from privacy_requests where id = ${id}`;
  if (!row?.email_sealed) return undefined;
  return { email: open(regionKey, row.email_sealed, emailContext(id)).toString('utf8'), locale: row.locale };
}

/** The requester's free text (a correction's details), for an operator; undefined once destroyed. */
export async function requestDetails(sql: Sql, regionKey: Buffer, id: string): Promise<string | undefined> {
  const [row] = await sql<
    { details_sealed: Buffer | null }[]
  >`select details_sealed from privacy_requests where id = ${id}`;
  return row?.details_sealed ? open(regionKey, row.details_sealed, detailsContext(id)).toString('utf8') : undefined;
}

export interface PrivacyRequestView {
  id: string;
  type: PrivacyRequestType;
  status: string;
  jurisdiction: string;
  locale: string;
  receivedAt: string;
  verifiedAt?: string;
  dueDate: string;
  extendedDueDate?: string;
  extensionReason?: string;
  coolingOffUntil?: string;
  finishedAt?: string;
  duplicateOf?: string;
  customerId?: string;
  systems: {
    region: string;
    connectorId: string;
    system: string;
    operation: string;
    status: string;
    attempts: number;
    lastError?: string;
    evidence?: Record<string, unknown>;
    updatedAt: string;
  }[];
  certificate?: unknown;
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));
const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : undefined);
const day = (value: Date | string | null | undefined) =>
  value ? (typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10)) : undefined;

export async function readPrivacyRequest(sql: Sql, id: string): Promise<PrivacyRequestView | undefined> {
  const [row] = await sql<Record<string, any>[]>`
    select id, type, status, jurisdiction, locale, received_at, verified_at, to_char(due_date, 'YYYY-MM-DD') as due_date,
           to_char(extended_due_date, 'YYYY-MM-DD') as extended_due_date, extension_reason, cooling_off_until, finished_at,
           duplicate_of, customer_id, certificate
    from privacy_requests where id = ${id}`;
  if (!row) return undefined;
  const systems = await readPrivacySystemRows(sql, id);
  const view: PrivacyRequestView = {
    id: row.id,
    type: row.type,
    status: row.status,
    jurisdiction: row.jurisdiction,
    locale: row.locale,
    receivedAt: iso(row.received_at)!,
    dueDate: day(row.due_date)!,
    systems,
  };
  const optional: [keyof PrivacyRequestView, unknown][] = [
    ['verifiedAt', iso(row.verified_at)],
    ['extendedDueDate', day(row.extended_due_date)],
    ['extensionReason', row.extension_reason ?? undefined],
    ['coolingOffUntil', iso(row.cooling_off_until)],
    ['finishedAt', iso(row.finished_at)],
    ['duplicateOf', row.duplicate_of ?? undefined],
    ['customerId', row.customer_id ?? undefined],
    ['certificate', row.certificate ? json(row.certificate) : undefined],
  ];
  for (const [key, value] of optional)
    if (value !== undefined) (view as unknown as Record<string, unknown>)[key] = value;
  return view;
}

/**
 * A request's rows in one region's database: each region records its own systems, so a view of a
 * request holding people in several regions merges the rows of each (mergePrivacySystems).
 */
export async function readPrivacySystemRows(sql: Sql, id: string): Promise<PrivacyRequestView['systems']> {
  const rows = await sql<
    Record<string, any>[]
  >`select * from privacy_request_systems where request_id = ${id} order by region, connector_id, operation`;
  return rows.map((s) => ({
    region: s.region,
    connectorId: s.connector_id,
    system: s.system,
    operation: s.operation,
    status: s.status,
    attempts: s.attempts,
    ...(s.last_error ? { lastError: s.last_error } : {}),
    ...(s.evidence ? { evidence: json<Record<string, unknown>>(s.evidence) } : {}),
    updatedAt: iso(s.updated_at)!,
  }));
}

/** The request's rows from every region the web server reaches, in a stable order. */
export async function mergePrivacySystems(pools: Iterable<Sql>, id: string): Promise<PrivacyRequestView['systems']> {
  const all = (await Promise.all([...pools].map((sql) => readPrivacySystemRows(sql, id)))).flat();
  const seen = new Set<string>();
  return all
    .filter((s) => {
      const key = `${s.region}/${s.connectorId}/${s.operation}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) =>
      `${a.region}/${a.connectorId}/${a.operation}`.localeCompare(`${b.region}/${b.connectorId}/${b.operation}`),
    );
}

export interface PrivacyRequestListed {
  id: string;
  type: string;
  status: string;
  jurisdiction: string;
  receivedAt: Date;
  /** The due date in force (extended when it was), YYYY-MM-DD. */
  due: string;
  deadlineState: string | null;
}

/** This region's requests, soonest deadline first (at most 500), optionally of one status. */
export async function listPrivacyRequests(sql: Sql, status?: string): Promise<PrivacyRequestListed[]> {
  const rows = await sql<
    {
      id: string;
      type: string;
      status: string;
      jurisdiction: string;
      received_at: Date | string;
      due: string;
      deadline_state: string | null;
    }[]
  >`
    select id, type, status, jurisdiction, received_at, to_char(coalesce(extended_due_date, due_date), 'YYYY-MM-DD') as due, deadline_state
    from privacy_requests where ${status ? sql`status = ${status}` : sql`true`}
    order by coalesce(extended_due_date, due_date), received_at limit 500`;
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    status: r.status,
    jurisdiction: r.jurisdiction,
    receivedAt: new Date(r.received_at),
    due: r.due,
    deadlineState: r.deadline_state,
  }));
}
