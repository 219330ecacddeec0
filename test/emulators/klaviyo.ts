import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for Klaviyo's REST API (JSON:API, developers.klaviyo.com, revision 2024-10-15),
 * the part a privacy integration uses:
 *
 * - `GET /api/profiles?filter=equals(email,"…")` (also `phone_number`, `id`, `external_id`, and `any(id,[…])`),
 *   `page[size]` 1–100 (default 20), `additional-fields[profile]=subscriptions` for consent and suppressions;
 *   `GET /api/profiles/{id}` (404 `not_found` once deleted).
 * - `POST /api/profile-suppression-bulk-create-jobs` and `…-delete-jobs` (at most 100 emails) → 202 with the job,
 *   `GET …/{id}` → status `queued` → `processing` → `complete` over `jobDelayMs`. Suppressing an unknown email creates
 *   a suppressed profile, as Klaviyo documents; unsuppressing lifts `USER_SUPPRESSED` only.
 * - `POST /api/profile-subscription-bulk-delete-jobs` → 202 with no body; consent becomes UNSUBSCRIBED on the channels
 *   named (an unknown identifier gets a new, unsubscribed profile, as Klaviyo documents).
 * - `POST /api/data-privacy-deletion-jobs` (exactly one of email, phone_number, id) → 202 with no body; every matching
 *   profile is deleted `deletionDelayMs` later (default 2 s), as Klaviyo deletes asynchronously.
 * - Auth `Authorization: Klaviyo-API-Key pk_…`: missing, malformed, wrong or revoked → 401 `not_authenticated`;
 *   a key without an endpoint's scope → 403 `permission_denied`.
 * - A `revision` header (YYYY-MM-DD[.suffix]) is required, and no later than the revision served.
 * - Fixed-window rate limits per endpoint (burst per second, steady per minute; Klaviyo's XS–XL tiers), 429 `throttled`
 *   with `Retry-After` in whole seconds; other answers carry `RateLimit-Limit/-Remaining/-Reset` for the steady window.
 * - Request bodies are validated strictly (`type`, `attributes`, no unknown members, valid emails and E.164 phones):
 *   400 `invalid` with a `source.pointer`, so a client bug shows here. Error details never echo a submitted value.
 *
 * The requests log holds method, path, query parameter names and status: never a body, filter value or key.
 */

export type KlaviyoTier = 'XS' | 'S' | 'M' | 'L' | 'XL';
export interface KlaviyoRateLimit {
  burstPerSecond: number;
  steadyPerMinute: number;
}

export const KLAVIYO_TIERS: Record<KlaviyoTier, KlaviyoRateLimit> = {
  XS: { burstPerSecond: 1, steadyPerMinute: 15 },
  S: { burstPerSecond: 3, steadyPerMinute: 60 },
  M: { burstPerSecond: 10, steadyPerMinute: 150 },
  L: { burstPerSecond: 75, steadyPerMinute: 700 },
  XL: { burstPerSecond: 350, steadyPerMinute: 3500 },
};

export const KLAVIYO_ALL_SCOPES = [
  'profiles:read',
  'profiles:write',
  'subscriptions:read',
  'subscriptions:write',
  'data-privacy:write',
] as const;

export interface KlaviyoEmulatorOptions {
  /** The only private key accepted (pk_…). */
  apiKey: string;
  /** The scopes the key has; default all of KLAVIYO_ALL_SCOPES. */
  scopes?: readonly string[];
  /** The newest revision served; default '2024-10-15'. */
  revision?: string;
  /** How long a data-privacy deletion takes; default 2000 ms. */
  deletionDelayMs?: number;
  /** How long a bulk suppression job takes from queued to complete; default 100 ms. */
  jobDelayMs?: number;
  /**
   * Rate limits: by default each endpoint has its documented tier (profiles M, bulk jobs L, deletion S).
   * A tier or explicit limits apply to every endpoint (each still counted apart); false turns limiting off.
   */
  rateLimit?: KlaviyoTier | KlaviyoRateLimit | false;
}

export interface SeedProfile {
  email?: string;
  phone_number?: string;
  first_name?: string;
  last_name?: string;
  /** Email marketing: true → SUBSCRIBED, false → UNSUBSCRIBED, left out → NEVER_SUBSCRIBED. */
  subscribed?: boolean;
  /** SMS marketing, the same way. */
  smsSubscribed?: boolean;
  /** Existing suppressions, e.g. ['HARD_BOUNCE']. */
  suppressions?: SuppressionReason[];
  properties?: Record<string, unknown>;
}

export type SuppressionReason = 'HARD_BOUNCE' | 'SPAM_COMPLAINT' | 'USER_SUPPRESSED' | 'INVALID_EMAIL' | 'UNSUBSCRIBE';
export type Consent = 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'NEVER_SUBSCRIBED';

/** A profile as a test reads it back. */
export interface EmulatedKlaviyoProfile {
  id: string;
  email: string | null;
  phone_number: string | null;
  first_name: string | null;
  last_name: string | null;
  emailConsent: Consent;
  smsConsent: Consent;
  suppressions: SuppressionReason[];
  /** True once a deletion was requested and is pending. */
  deletionPending: boolean;
}

export type KlaviyoFault = 500 | 503 | 429 | 'timeout' | 'garbage';

export interface KlaviyoRequestRecord {
  method: string;
  path: string;
  /** Query parameter names only: the filter holds personal values. */
  queryNames: string[];
  /** 0 while a 'timeout' fault holds the request. */
  status: number;
}

export interface KlaviyoEmulator {
  baseUrl: string;
  revision: string;
  /** Adds a profile; returns its Klaviyo id. */
  seedProfile(profile: SeedProfile): string;
  /** The profile with this email (case-insensitive), or undefined (never there, or deleted). */
  profile(email: string): EmulatedKlaviyoProfile | undefined;
  profileById(id: string): EmulatedKlaviyoProfile | undefined;
  profileCount(): number;
  /** Every later call answers 401, as after the key is revoked in Klaviyo. */
  revokeKey(): void;
  /** The next `count` calls fail before auth: 500/503 (JSON:API error), 429 (Retry-After), 'garbage' (200, JSON cut short) or 'timeout' (no answer). */
  failNext(count: number, fault: KlaviyoFault, options?: { retryAfterSeconds?: number; closeAfterMs?: number }): void;
  requests: KlaviyoRequestRecord[];
  close(): Promise<void>;
}

interface StoredProfile {
  id: string;
  email: string | null;
  phone_number: string | null;
  first_name: string | null;
  last_name: string | null;
  created: Date;
  updated: Date;
  properties: Record<string, unknown>;
  emailConsent: Consent;
  emailConsentAt: Date | null;
  smsConsent: Consent;
  smsConsentAt: Date | null;
  suppressions: { reason: SuppressionReason; timestamp: Date }[];
  deletionPending: boolean;
}

type JobKind = 'create' | 'delete';
interface StoredJob {
  id: string;
  kind: JobKind;
  created: Date;
  total: number;
  skipped: number;
  completedAt: Date | null;
}

type Json = Record<string, unknown>;
type Endpoint = 'profiles' | 'suppression-jobs' | 'subscription-jobs' | 'deletion';

const DEFAULT_REVISION = '2024-10-15';
const BULK_LIMIT = 100;
const EMAIL = /^[^\s@"]+@[^\s@"]+\.[^\s@"]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const JSON_API = 'application/vnd.api+json';
const SCOPES: Record<string, { method: string; scopes: string[] }[]> = {
  profiles: [{ method: 'GET', scopes: ['profiles:read'] }],
  'suppression-jobs': [
    { method: 'GET', scopes: ['subscriptions:read'] },
    { method: 'POST', scopes: ['subscriptions:write'] },
  ],
  'subscription-jobs': [{ method: 'POST', scopes: ['profiles:write', 'subscriptions:write'] }],
  deletion: [{ method: 'POST', scopes: ['data-privacy:write'] }],
};
const ENDPOINT_TIERS: Record<Endpoint, KlaviyoTier> = {
  profiles: 'M',
  'suppression-jobs': 'L',
  'subscription-jobs': 'L',
  deletion: 'S',
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly source: { pointer?: string; parameter?: string } = { pointer: '/data/' },
  ) {
    super(detail);
  }
}

const invalid = (detail: string, pointer: string) =>
  new ApiError(400, 'invalid', 'Invalid input.', detail, { pointer });
const invalidParameter = (detail: string, parameter: string) =>
  new ApiError(400, 'invalid', 'Invalid input.', detail, { parameter });

export async function startKlaviyoEmulator(options: KlaviyoEmulatorOptions): Promise<KlaviyoEmulator> {
  const revision = options.revision ?? DEFAULT_REVISION;
  const deletionDelayMs = options.deletionDelayMs ?? 2000;
  const jobDelayMs = options.jobDelayMs ?? 100;
  const scopes = new Set(options.scopes ?? KLAVIYO_ALL_SCOPES);
  if (!/^pk_\S+$/.test(options.apiKey)) throw new RangeError('apiKey must be a private key, pk_…');

  const profiles = new Map<string, StoredProfile>();
  const jobs = new Map<string, StoredJob>();
  const faults: { fault: KlaviyoFault; retryAfterSeconds?: number; closeAfterMs?: number }[] = [];
  const requests: KlaviyoRequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const limiters = new Map<Endpoint, FixedWindows>();
  let revoked = false;
  let baseUrl = '';

  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  };

  const limiterFor = (endpoint: Endpoint): FixedWindows | undefined => {
    if (options.rateLimit === false) return undefined;
    let limiter = limiters.get(endpoint);
    if (!limiter) {
      const limit =
        options.rateLimit === undefined
          ? KLAVIYO_TIERS[ENDPOINT_TIERS[endpoint]]
          : typeof options.rateLimit === 'string'
            ? KLAVIYO_TIERS[options.rateLimit]
            : options.rateLimit;
      limiter = fixedWindows(limit);
      limiters.set(endpoint, limiter);
    }
    return limiter;
  };

  // ---- the store ----

  const byEmail = (email: string) =>
    [...profiles.values()].filter((p) => p.email !== null && p.email === email.toLowerCase());
  const byPhone = (phone: string) => [...profiles.values()].filter((p) => p.phone_number === phone);

  function addProfile(seed: SeedProfile): StoredProfile {
    if (!seed.email && !seed.phone_number) throw new Error('seedProfile: give an email or a phone_number');
    if (seed.email !== undefined && !EMAIL.test(seed.email))
      throw new Error('seedProfile: email is not an email address');
    if (seed.phone_number !== undefined && !E164.test(seed.phone_number))
      throw new Error('seedProfile: phone_number must be E.164, e.g. +4930123456');
    if (seed.email && byEmail(seed.email).length > 0)
      throw new Error('seedProfile: a profile with this email exists already');
    const at = new Date();
    const consent = (value: boolean | undefined): Consent =>
      value === undefined ? 'NEVER_SUBSCRIBED' : value ? 'SUBSCRIBED' : 'UNSUBSCRIBED';
    const profile: StoredProfile = {
      id: profileId(),
      email: seed.email?.toLowerCase() ?? null,
      phone_number: seed.phone_number ?? null,
      first_name: seed.first_name ?? null,
      last_name: seed.last_name ?? null,
      created: at,
      updated: at,
      properties: seed.properties ?? {},
      emailConsent: consent(seed.subscribed),
      emailConsentAt: seed.subscribed === undefined ? null : at,
      smsConsent: consent(seed.smsSubscribed),
      smsConsentAt: seed.smsSubscribed === undefined ? null : at,
      suppressions: (seed.suppressions ?? []).map((reason) => ({ reason, timestamp: at })),
      deletionPending: false,
    };
    profiles.set(profile.id, profile);
    return profile;
  }

  const snapshot = (p: StoredProfile): EmulatedKlaviyoProfile => ({
    id: p.id,
    email: p.email,
    phone_number: p.phone_number,
    first_name: p.first_name,
    last_name: p.last_name,
    emailConsent: p.emailConsent,
    smsConsent: p.smsConsent,
    suppressions: p.suppressions.map((s) => s.reason),
    deletionPending: p.deletionPending,
  });

  function renderProfile(p: StoredProfile, withSubscriptions: boolean): Json {
    const iso = (d: Date | null) => (d ? d.toISOString().replace('Z', '+00:00') : null);
    const attributes: Json = {
      email: p.email,
      phone_number: p.phone_number,
      external_id: null,
      anonymous_id: null,
      first_name: p.first_name,
      last_name: p.last_name,
      organization: null,
      locale: null,
      title: null,
      image: null,
      created: iso(p.created),
      updated: iso(p.updated),
      last_event_date: null,
      location: {
        address1: null,
        address2: null,
        city: null,
        country: null,
        latitude: null,
        longitude: null,
        region: null,
        zip: null,
        timezone: null,
        ip: null,
      },
      properties: p.properties,
    };
    if (withSubscriptions) {
      attributes.subscriptions = {
        email: {
          marketing: {
            can_receive_email_marketing:
              p.email !== null && p.emailConsent === 'SUBSCRIBED' && p.suppressions.length === 0,
            consent: p.emailConsent,
            consent_timestamp: iso(p.emailConsentAt),
            last_updated: iso(p.emailConsentAt),
            method: p.emailConsentAt ? 'API' : null,
            method_detail: null,
            custom_method_detail: null,
            double_optin: null,
            suppression: p.suppressions.map((s) => ({ reason: s.reason, timestamp: iso(s.timestamp) })),
            list_suppressions: [],
          },
        },
        sms: p.phone_number
          ? {
              marketing: {
                can_receive_sms_marketing: p.smsConsent === 'SUBSCRIBED',
                consent: p.smsConsent,
                consent_timestamp: iso(p.smsConsentAt),
                method: p.smsConsentAt ? 'API' : null,
                method_detail: null,
                last_updated: iso(p.smsConsentAt),
              },
              transactional: null,
            }
          : null,
        mobile_push: null,
      };
    }
    return {
      type: 'profile',
      id: p.id,
      attributes,
      relationships: {},
      links: { self: `${baseUrl}/api/profiles/${p.id}/` },
    };
  }

  function renderJob(job: StoredJob): Json {
    const status = job.completedAt
      ? 'complete'
      : Date.now() - job.created.getTime() < jobDelayMs / 2
        ? 'queued'
        : 'processing';
    const type = job.kind === 'create' ? 'profile-suppression-bulk-create-job' : 'profile-suppression-bulk-delete-job';
    return {
      type,
      id: job.id,
      attributes: {
        status,
        created_at: job.created.toISOString().replace('Z', '+00:00'),
        total_count: job.total,
        completed_count: job.completedAt ? job.total - job.skipped : 0,
        completed_at: job.completedAt ? job.completedAt.toISOString().replace('Z', '+00:00') : null,
        skipped_count: job.completedAt ? job.skipped : 0,
      },
      relationships: { lists: { data: [] }, segments: { data: [] } },
      links: { self: `${baseUrl}/api/${jobPath(job.kind)}/${job.id}/` },
    };
  }

  // ---- the endpoints ----

  function listProfiles(query: URLSearchParams): Json {
    for (const name of query.keys()) {
      if (
        !['filter', 'page[size]', 'page[cursor]', 'additional-fields[profile]', 'fields[profile]', 'sort'].includes(
          name,
        )
      ) {
        throw invalidParameter(`'${name.slice(0, 60)}' is not a valid query parameter.`, name);
      }
    }
    const sizeText = query.get('page[size]');
    const size = sizeText === null ? 20 : Number(sizeText);
    if (!Number.isInteger(size) || size < 1 || size > 100)
      throw invalidParameter('page[size] must be an integer from 1 to 100.', 'page[size]');
    const withSubscriptions = additionalFields(query);
    const filter = query.get('filter');
    const matches = filter === null ? [...profiles.values()] : filterProfiles(filter);
    return {
      data: matches.slice(0, size).map((p) => renderProfile(p, withSubscriptions)),
      links: { self: `${baseUrl}/api/profiles/`, next: null, prev: null },
    };
  }

  function additionalFields(query: URLSearchParams): boolean {
    const value = query.get('additional-fields[profile]');
    if (value === null) return false;
    const fields = value.split(',');
    for (const field of fields) {
      if (field !== 'subscriptions' && field !== 'predictive_analytics')
        throw invalidParameter(
          `'${field.slice(0, 60)}' is not a valid additional field for profile.`,
          'additional-fields[profile]',
        );
    }
    return fields.includes('subscriptions');
  }

  function filterProfiles(filter: string): StoredProfile[] {
    const equals = /^equals\((email|phone_number|id|external_id),(?:"([^"]*)"|'([^']*)')\)$/.exec(filter);
    if (equals) {
      const [, field, double, single] = equals;
      const value = double ?? single ?? '';
      if (field === 'phone_number' && !E164.test(value))
        throw invalidParameter('Invalid phone number format (Example of a valid format: +12345678901)', 'filter');
      if (field === 'email') return byEmail(value);
      if (field === 'phone_number') return byPhone(value);
      if (field === 'id') return profiles.has(value) ? [profiles.get(value)!] : [];
      return [];
    }
    const any = /^any\(id,\[((?:"[^"]*"|'[^']*')(?:,(?:"[^"]*"|'[^']*'))*)\]\)$/.exec(filter);
    if (any?.[1]) {
      const ids = any[1].split(',').map((quoted) => quoted.slice(1, -1));
      return ids.map((id) => profiles.get(id)).filter((p): p is StoredProfile => p !== undefined);
    }
    throw invalidParameter(
      'Invalid filter provided. Use equals(email,"…"), equals(phone_number,"…"), equals(id,"…"), equals(external_id,"…") or any(id,[…]).',
      'filter',
    );
  }

  function createSuppressionJob(kind: JobKind, body: unknown): Json {
    const type = kind === 'create' ? 'profile-suppression-bulk-create-job' : 'profile-suppression-bulk-delete-job';
    const data = resource(body, type);
    const attributes = members(data.attributes, '/data/attributes', ['profiles'], ['profiles']);
    const list = members(attributes.profiles, '/data/attributes/profiles', ['data'], ['data']).data;
    if (!Array.isArray(list) || list.length === 0)
      throw invalid('profiles.data must be a non-empty array of profiles.', '/data/attributes/profiles/data');
    if (list.length > BULK_LIMIT)
      throw invalid(`At most ${BULK_LIMIT} profiles can be submitted per job.`, '/data/attributes/profiles/data');
    const emails = list.map((item, index) => {
      const pointer = `/data/attributes/profiles/data/${index}`;
      const profile = members(item, pointer, ['type', 'attributes'], ['type', 'attributes']);
      if (profile.type !== 'profile') throw invalid(`The type must be 'profile'.`, `${pointer}/type`);
      const { email } = members(profile.attributes, `${pointer}/attributes`, ['email'], ['email']);
      if (typeof email !== 'string' || !EMAIL.test(email))
        throw invalid('Invalid email address.', `${pointer}/attributes/email`);
      return email.toLowerCase();
    });
    const job: StoredJob = {
      id: jobId(),
      kind,
      created: new Date(),
      total: emails.length,
      skipped: 0,
      completedAt: null,
    };
    jobs.set(job.id, job);
    later(jobDelayMs, () => {
      for (const email of emails) {
        let found = byEmail(email);
        if (found.length === 0 && kind === 'create') found = [addProfile({ email })]; // Klaviyo: "one will be created and immediately suppressed"
        if (found.length === 0) job.skipped++;
        for (const p of found) {
          const at = new Date();
          if (kind === 'create') {
            if (!p.suppressions.some((s) => s.reason === 'USER_SUPPRESSED'))
              p.suppressions.push({ reason: 'USER_SUPPRESSED', timestamp: at });
          } else {
            p.suppressions = p.suppressions.filter((s) => s.reason !== 'USER_SUPPRESSED');
          }
          p.updated = at;
        }
      }
      job.completedAt = new Date();
    });
    return { data: renderJob(job), links: { self: `${baseUrl}/api/${jobPath(kind)}/` } };
  }

  function createUnsubscription(body: unknown): void {
    const data = resource(body, 'profile-subscription-bulk-delete-job', ['relationships']);
    if (data.relationships !== undefined) {
      const { list } = members(data.relationships, '/data/relationships', ['list'], ['list']);
      const listData = members(
        members(list, '/data/relationships/list', ['data'], ['data']).data,
        '/data/relationships/list/data',
        ['type', 'id'],
        ['type', 'id'],
      );
      if (listData.type !== 'list' || typeof listData.id !== 'string')
        throw invalid("The list relationship must be {type:'list', id}.", '/data/relationships/list/data');
    }
    const attributes = members(data.attributes, '/data/attributes', ['profiles'], ['profiles']);
    const list = members(attributes.profiles, '/data/attributes/profiles', ['data'], ['data']).data;
    if (!Array.isArray(list) || list.length === 0)
      throw invalid('profiles.data must be a non-empty array of profiles.', '/data/attributes/profiles/data');
    if (list.length > BULK_LIMIT)
      throw invalid(`At most ${BULK_LIMIT} profiles can be submitted per job.`, '/data/attributes/profiles/data');
    const changes = list.map((item, index) => {
      const pointer = `/data/attributes/profiles/data/${index}`;
      const profile = members(item, pointer, ['type', 'attributes'], ['type', 'attributes']);
      if (profile.type !== 'profile') throw invalid(`The type must be 'profile'.`, `${pointer}/type`);
      const attrs = members(
        profile.attributes,
        `${pointer}/attributes`,
        ['email', 'phone_number', 'subscriptions'],
        ['subscriptions'],
      );
      if (
        attrs.email !== undefined &&
        attrs.email !== null &&
        (typeof attrs.email !== 'string' || !EMAIL.test(attrs.email))
      )
        throw invalid('Invalid email address.', `${pointer}/attributes/email`);
      if (
        attrs.phone_number !== undefined &&
        attrs.phone_number !== null &&
        (typeof attrs.phone_number !== 'string' || !E164.test(attrs.phone_number))
      ) {
        throw invalid(
          'Invalid phone number format (Example of a valid format: +12345678901)',
          `${pointer}/attributes/phone_number`,
        );
      }
      if (!attrs.email && !attrs.phone_number)
        throw invalid('Either email or phone_number is required.', `${pointer}/attributes`);
      const subs = members(attrs.subscriptions, `${pointer}/attributes/subscriptions`, ['email', 'sms'], []);
      const unsubscribe = (channel: unknown, at: string, keys: string[]): boolean => {
        if (channel === undefined || channel === null) return false;
        const parameters = members(channel, at, keys, []);
        for (const key of keys) {
          if (parameters[key] === undefined || parameters[key] === null) continue;
          const { consent } = members(parameters[key], `${at}/${key}`, ['consent'], ['consent']);
          if (consent !== 'UNSUBSCRIBED') throw invalid("consent must be 'UNSUBSCRIBED'.", `${at}/${key}/consent`);
        }
        return (parameters.marketing ?? null) !== null;
      };
      const email = unsubscribe(subs.email, `${pointer}/attributes/subscriptions/email`, ['marketing']);
      const sms = unsubscribe(subs.sms, `${pointer}/attributes/subscriptions/sms`, ['marketing', 'transactional']);
      if (!email && !sms)
        throw invalid('Give at least one channel to unsubscribe from.', `${pointer}/attributes/subscriptions`);
      return {
        email: attrs.email as string | undefined,
        phone: attrs.phone_number as string | undefined,
        channels: { email, sms },
      };
    });
    later(jobDelayMs, () => {
      for (const change of changes) {
        let found = change.email ? byEmail(change.email) : byPhone(change.phone!);
        if (found.length === 0)
          found = [
            addProfile({
              ...(change.email ? { email: change.email } : {}),
              ...(change.phone ? { phone_number: change.phone } : {}),
            }),
          ];
        for (const p of found) {
          const at = new Date();
          if (change.channels.email) Object.assign(p, { emailConsent: 'UNSUBSCRIBED', emailConsentAt: at });
          if (change.channels.sms) Object.assign(p, { smsConsent: 'UNSUBSCRIBED', smsConsentAt: at });
          p.updated = at;
        }
      }
    });
  }

  function createDeletion(body: unknown): void {
    const data = resource(body, 'data-privacy-deletion-job');
    const attributes = members(data.attributes, '/data/attributes', ['profile'], ['profile']);
    const inner = members(attributes.profile, '/data/attributes/profile', ['data'], ['data']).data;
    const profile = members(
      inner,
      '/data/attributes/profile/data',
      ['type', 'id', 'attributes'],
      ['type', 'attributes'],
    );
    if (profile.type !== 'profile') throw invalid(`The type must be 'profile'.`, '/data/attributes/profile/data/type');
    const attrs = members(
      profile.attributes,
      '/data/attributes/profile/data/attributes',
      ['email', 'phone_number'],
      [],
    );
    const given = [profile.id, attrs.email, attrs.phone_number].filter((v) => v !== undefined && v !== null);
    if (given.length !== 1)
      throw invalid('Exactly one of email, phone_number or id must be provided.', '/data/attributes/profile/data');
    let matches: StoredProfile[];
    if (profile.id !== undefined && profile.id !== null) {
      if (typeof profile.id !== 'string' || profile.id === '')
        throw invalid('id must be a string.', '/data/attributes/profile/data/id');
      matches = profiles.has(profile.id) ? [profiles.get(profile.id)!] : [];
    } else if (attrs.email !== undefined && attrs.email !== null) {
      if (typeof attrs.email !== 'string' || !EMAIL.test(attrs.email))
        throw invalid('Invalid email address.', '/data/attributes/profile/data/attributes/email');
      matches = byEmail(attrs.email);
    } else {
      if (typeof attrs.phone_number !== 'string' || !E164.test(attrs.phone_number)) {
        throw invalid(
          'Invalid phone number format (Example of a valid format: +12345678901)',
          '/data/attributes/profile/data/attributes/phone_number',
        );
      }
      matches = byPhone(attrs.phone_number);
    }
    for (const p of matches) p.deletionPending = true;
    later(deletionDelayMs, () => {
      for (const p of matches) profiles.delete(p.id);
    });
  }

  // ---- the HTTP side ----

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  // Bodies are read as text and parsed here, so malformed JSON gets Klaviyo's answer, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function serve(request: FastifyRequest, reply: FastifyReply): void {
    const url = new URL(request.url, 'http://emulator.invalid');
    const entry: KlaviyoRequestRecord = {
      method: request.method,
      path: url.pathname,
      queryNames: [...new Set(url.searchParams.keys())],
      status: 0,
    };
    requests.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      void reply
        .code(status)
        .headers(headers)
        .type(JSON_API)
        .send(body === undefined ? '' : JSON.stringify(body));
    };
    const sendError = (error: ApiError, headers: Record<string, string> = {}) =>
      send(
        error.status,
        {
          errors: [
            {
              id: randomUUID(),
              status: error.status,
              code: error.code,
              title: error.title,
              detail: error.detail,
              source: error.source,
              links: {},
              meta: {},
            },
          ],
        },
        headers,
      );

    const queued = faults.shift();
    if (queued) {
      const { fault } = queued;
      if (fault === 'timeout') {
        reply.hijack();
        if (queued.closeAfterMs !== undefined) {
          const socket = request.raw.socket;
          later(queued.closeAfterMs, () => socket.destroy());
        }
        return;
      }
      if (fault === 'garbage') {
        entry.status = 200;
        void reply.code(200).type(JSON_API).send('{"data":[{"type":"profile","id":"01J');
        return;
      }
      if (fault === 429) {
        const seconds = queued.retryAfterSeconds ?? 1;
        return sendError(
          new ApiError(
            429,
            'throttled',
            'Request was throttled.',
            `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
          ),
          {
            'retry-after': String(seconds),
          },
        );
      }
      return sendError(new ApiError(fault, 'error', 'A server error occurred.', 'A server error occurred.'));
    }

    // Auth comes first, as in Klaviyo: a bad key is told so before anything else.
    const authorization = request.headers.authorization ?? '';
    const scheme = /^Klaviyo-API-Key (\S+)$/.exec(authorization);
    if (!scheme) {
      return sendError(
        new ApiError(
          401,
          'not_authenticated',
          'Authentication credentials were not provided.',
          'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.',
        ),
      );
    }
    if (revoked || scheme[1] !== options.apiKey) {
      return sendError(
        new ApiError(
          401,
          'not_authenticated',
          'Authentication credentials were not provided.',
          'Missing or invalid private key.',
        ),
      );
    }

    const route = routeOf(request.method, url.pathname);
    if (!route) return sendError(new ApiError(404, 'not_found', 'Not found.', 'The path was not found.', {}));
    if (!route.methodAllowed)
      return sendError(
        new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${request.method}" not allowed.`, {}),
      );

    const needed = SCOPES[route.endpoint]?.find((s) => s.method === request.method)?.scopes ?? [];
    const missing = needed.filter((scope) => !scopes.has(scope));
    if (missing.length > 0) {
      return sendError(
        new ApiError(
          403,
          'permission_denied',
          'You do not have permission to perform this action.',
          `This API key is missing required scopes: ${missing.join(', ')}`,
          {},
        ),
      );
    }

    const limiter = limiterFor(route.endpoint);
    const admitted = limiter ? limiter.take() : undefined;
    if (admitted && !admitted.ok) {
      const seconds = admitted.retryAfterSeconds;
      return sendError(
        new ApiError(
          429,
          'throttled',
          'Request was throttled.',
          `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
        ),
        {
          'retry-after': String(seconds),
        },
      );
    }
    const headers: Record<string, string> = admitted?.ok
      ? {
          'ratelimit-limit': String(admitted.limit),
          'ratelimit-remaining': String(admitted.remaining),
          'ratelimit-reset': String(admitted.resetSeconds),
        }
      : {};

    try {
      const requested = request.headers.revision;
      if (typeof requested !== 'string' || requested === '')
        throw new ApiError(400, 'invalid', 'Invalid input.', 'The revision header is required.', {
          parameter: 'revision',
        });
      const revisionDate = /^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$/.exec(requested)?.[1];
      if (!revisionDate || Number.isNaN(Date.parse(revisionDate))) {
        throw new ApiError(
          400,
          'invalid',
          'Invalid input.',
          'The revision header must have the format YYYY-MM-DD[.suffix].',
          { parameter: 'revision' },
        );
      }
      if (revisionDate > revision)
        throw new ApiError(
          400,
          'invalid',
          'Invalid input.',
          `Revision ${revisionDate} is not available; the newest is ${revision}.`,
          { parameter: 'revision' },
        );

      if (request.method === 'GET') {
        if (route.endpoint === 'profiles' && route.id === undefined)
          return send(200, listProfiles(url.searchParams), headers);
        if (route.endpoint === 'profiles') {
          const profile = profiles.get(route.id!);
          if (!profile)
            throw new ApiError(404, 'not_found', 'Not found.', 'A profile with the given id does not exist.', {
              parameter: 'id',
            });
          return send(
            200,
            {
              data: renderProfile(profile, additionalFields(url.searchParams)),
              links: { self: `${baseUrl}/api/profiles/${profile.id}/` },
            },
            headers,
          );
        }
        const job = jobs.get(route.id ?? '');
        if (!job || job.kind !== route.jobKind)
          throw new ApiError(404, 'not_found', 'Not found.', 'A job with the given id does not exist.', {
            parameter: 'id',
          });
        return send(
          200,
          { data: renderJob(job), links: { self: `${baseUrl}/api/${jobPath(job.kind)}/${job.id}/` } },
          headers,
        );
      }

      const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== JSON_API && contentType !== 'application/json') {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'Unsupported media type.',
          `Unsupported media type "${contentType.slice(0, 60)}" in request. Use ${JSON_API}.`,
          {},
        );
      }
      const body = parseJson(request.body);
      if (route.endpoint === 'suppression-jobs') return send(202, createSuppressionJob(route.jobKind!, body), headers);
      if (route.endpoint === 'subscription-jobs') {
        createUnsubscription(body);
        return send(202, undefined, headers);
      }
      createDeletion(body);
      return send(202, undefined, headers);
    } catch (error) {
      if (error instanceof ApiError) return sendError(error, headers);
      throw error;
    }
  }

  app.all('/*', serve);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    revision,
    requests,
    seedProfile(profile) {
      return addProfile(profile).id;
    },
    profile(email) {
      const found = byEmail(email.trim())[0];
      return found ? snapshot(found) : undefined;
    },
    profileById(id) {
      const found = profiles.get(id);
      return found ? snapshot(found) : undefined;
    },
    profileCount() {
      return profiles.size;
    },
    revokeKey() {
      revoked = true;
    },
    failNext(count, fault, faultOptions = {}) {
      for (let i = 0; i < count; i++) faults.push({ fault, ...faultOptions });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await app.close();
    },
  };
}

// ---- routing ----

interface Route {
  endpoint: Endpoint;
  id?: string;
  jobKind?: JobKind;
  methodAllowed: boolean;
}

function routeOf(method: string, path: string): Route | undefined {
  // Klaviyo accepts paths with and without the trailing slash.
  const trimmed = path.replace(/\/+$/, '');
  let match = /^\/api\/profiles(?:\/([^/]+))?$/.exec(trimmed);
  if (match)
    return {
      endpoint: 'profiles',
      ...(match[1] ? { id: decodeURIComponent(match[1]) } : {}),
      methodAllowed: method === 'GET',
    };
  match = /^\/api\/profile-suppression-bulk-(create|delete)-jobs(?:\/([^/]+))?$/.exec(trimmed);
  if (match) {
    const id = match[2] ? decodeURIComponent(match[2]) : undefined;
    return {
      endpoint: 'suppression-jobs',
      jobKind: match[1] as JobKind,
      ...(id ? { id } : {}),
      methodAllowed: id ? method === 'GET' : method === 'POST',
    };
  }
  if (trimmed === '/api/profile-subscription-bulk-delete-jobs')
    return { endpoint: 'subscription-jobs', methodAllowed: method === 'POST' };
  if (trimmed === '/api/data-privacy-deletion-jobs') return { endpoint: 'deletion', methodAllowed: method === 'POST' };
  return undefined;
}

const jobPath = (kind: JobKind) =>
  kind === 'create' ? 'profile-suppression-bulk-create-jobs' : 'profile-suppression-bulk-delete-jobs';

// ---- JSON:API validation ----

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string' || body.trim() === '') throw invalid('A request body is required.', '/data');
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(
      400,
      'parse_error',
      'Malformed request.',
      'JSON parse error - the request body is not valid JSON.',
      { pointer: '/' },
    );
  }
}

/** `value` as an object with only `allowed` members and every `required` one; else 400 at `pointer`. */
function members(value: unknown, pointer: string, allowed: string[], required: string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${pointer} must be an object.`, pointer);
  const object = value as Json;
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key))
      throw invalid(`'${key.slice(0, 60)}' is not a valid field for this resource.`, `${pointer}/${key.slice(0, 60)}`);
  }
  for (const key of required) {
    if (object[key] === undefined) throw invalid(`'${key}' is a required field.`, `${pointer}/${key}`);
  }
  return object;
}

/** The top-level `{ data: { type, attributes } }` of a create request of `type`. */
function resource(body: unknown, type: string, extra: string[] = []): Json {
  const { data } = members(body, '', ['data'], ['data']);
  const resourceObject = members(data, '/data', ['type', 'attributes', ...extra], ['type', 'attributes']);
  if (resourceObject.type !== type) throw invalid(`The type must be '${type}'.`, '/data/type');
  return resourceObject;
}

// ---- ids and windows ----

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 26 characters like Klaviyo's ULID-style profile ids, e.g. 01GDDKASAP8TKDDA2GRZDSVP4H. */
function profileId(): string {
  const bytes = randomBytes(24);
  return `01J${Array.from(bytes.subarray(0, 23), (b) => CROCKFORD[b % 32]).join('')}`;
}

function jobId(): string {
  return randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
}

interface FixedWindows {
  take():
    | { ok: true; limit: number; remaining: number; resetSeconds: number }
    | { ok: false; retryAfterSeconds: number };
}

/** Klaviyo's two fixed windows: a burst per second and a steady per minute, both must admit a call. */
function fixedWindows(limit: KlaviyoRateLimit): FixedWindows {
  let second = -1;
  let inSecond = 0;
  let minute = -1;
  let inMinute = 0;
  return {
    take() {
      const now = Date.now();
      const s = Math.floor(now / 1000);
      const m = Math.floor(now / 60_000);
      if (s !== second) [second, inSecond] = [s, 0];
      if (m !== minute) [minute, inMinute] = [m, 0];
      if (inMinute >= limit.steadyPerMinute)
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((m + 1) * 60_000 - now) / 1000)) };
      if (inSecond >= limit.burstPerSecond) return { ok: false, retryAfterSeconds: 1 };
      inSecond++;
      inMinute++;
      return {
        ok: true,
        limit: limit.steadyPerMinute,
        remaining: limit.steadyPerMinute - inMinute,
        resetSeconds: Math.ceil(((m + 1) * 60_000 - now) / 1000),
      };
    },
  };
}
