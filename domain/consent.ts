import { z } from 'zod';
import { describeIssues } from './validation';

/**
 * The consent domain: what a person has agreed to, per purpose, and what that means today.
 *
 * A person's consent is a list of records (one per explicit choice, from any source). The
 * effective consent for a purpose is the latest explicit record, or else the default of the
 * jurisdiction's policy (opt-in laws deny by default, opt-out laws grant). Pure and
 * deterministic: callers supply every time, so workflows can import this module.
 *
 * TCF strings are read in ./tcf, which depends on this module (not the reverse), so workflows
 * that never see a TCF string do not bundle the TCF library.
 */

// ---------------------------------------------------------------------------------------------
// Purposes, states, sources
// ---------------------------------------------------------------------------------------------

export const PURPOSES = [
  'emailMarketing',
  'smsMarketing',
  'push',
  'personalisedAds',
  'analytics',
  'saleSharing',
  'crossBorderTransfer',
] as const;
export type Purpose = (typeof PURPOSES)[number];

const PURPOSE_LIST = PURPOSES.join(', ');

export const purposeSchema = z.enum(PURPOSES, { error: `must be one of ${PURPOSE_LIST}` });

/** 'withdrawn' is a grant taken back; it counts as a denial but keeps the story for audits. */
export const CONSENT_STATES = ['granted', 'denied', 'withdrawn'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/** What a purpose amounts to: may we, or may we not. */
export type ConsentDecision = 'granted' | 'denied';

export const CONSENT_SOURCES = [
  'admin',
  'preference-centre',
  'segment',
  'tcf',
  'gpc',
  'import',
  'store',
  'list-unsubscribe',
  /** A lead form on an ad platform (Meta Lead Ads, Google Ads lead forms): its checkboxes, with the form's text kept as proof. */
  'lead-form',
  /** A STOP / START reply to a marketing SMS (Twilio's inbound message webhook). */
  'sms-reply',
  /** A spam complaint from the mailbox provider (feedback loop), reported by the email provider. */
  'complaint',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

export class ConsentError extends Error {
  override name = 'ConsentError';
}

export function isPurpose(value: unknown): value is Purpose {
  return (PURPOSES as readonly unknown[]).includes(value);
}

/** The purpose named by `value`, or a ConsentError that lists the valid purposes. */
export function parsePurpose(value: unknown): Purpose {
  if (isPurpose(value)) return value;
  const named = typeof value === 'string' && value.length <= 64 ? ` "${value}"` : '';
  throw new ConsentError(`unknown consent purpose${named}: use one of ${PURPOSE_LIST}`);
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

const UTC_INSTANT = z.iso.datetime({ message: 'must be an ISO 8601 instant in UTC (ending in Z)' });

/**
 * Where a choice can be shown to have been made: a TCF string hash, a request ID, a form
 * submission ID, a Segment message ID. A reference, never personal data.
 */
export const consentProofSchema = z.object({
  kind: z.string().trim().min(1, 'must name the kind of proof, e.g. "segment-message"').max(64),
  reference: z.string().trim().min(1, 'must reference the proof, e.g. a request ID').max(256),
});
export type ConsentProof = z.infer<typeof consentProofSchema>;

export const consentRecordSchema = z.object({
  purpose: purposeSchema,
  state: z.enum(CONSENT_STATES, { error: `must be one of ${CONSENT_STATES.join(', ')}` }),
  source: z.enum(CONSENT_SOURCES, { error: `must be one of ${CONSENT_SOURCES.join(', ')}` }),
  at: UTC_INSTANT,
  proof: consentProofSchema,
});
export type ConsentRecord = z.infer<typeof consentRecordSchema>;

/** When and on what evidence a signal arrived: what every converter below needs from its caller. */
export interface SignalOrigin {
  /** ISO instant the choice was made or received, e.g. the Segment call's corrected timestamp. */
  at: string;
  proof: ConsentProof;
}

/** A converter's caller supplies the time and proof; a bad one is a programming error. */
export function assertSignalOrigin(origin: SignalOrigin): void {
  if (!UTC_INSTANT.safeParse(origin.at).success)
    throw new ConsentError("the signal's at must be an ISO 8601 instant in UTC (ending in Z)");
  if (!consentProofSchema.safeParse(origin.proof).success) {
    throw new ConsentError(
      'the signal needs a proof { kind, reference }, e.g. { kind: "segment-message", reference: messageId }',
    );
  }
}

/** Parses a record from outside (HTTP, import file); the reason names the field, never a value. */
export function parseConsentRecord(
  input: unknown,
): { ok: true; record: ConsentRecord } | { ok: false; reason: string } {
  const parsed = consentRecordSchema.safeParse(input);
  if (parsed.success) return { ok: true, record: parsed.data };
  return { ok: false, reason: describeIssues(parsed.error, 'the consent record', { first: true, separator: ' ' }) };
}

// ---------------------------------------------------------------------------------------------
// Policy: what a jurisdiction says when the person has said nothing
// ---------------------------------------------------------------------------------------------

export type ConsentDefaults = Record<Purpose, ConsentDecision>;

/**
 * The part of a jurisdiction's privacy policy this module needs. domain/privacy-policies
 * describes each law; an adapter turns its policy into this shape.
 */
export interface ConsentPolicy {
  /** For messages, e.g. "GDPR". */
  name?: string;
  /** The state of each purpose when the person has made no explicit choice. */
  defaults: ConsentDefaults;
  /** Whether the law makes the Global Privacy Control signal a valid opt-out of sale/sharing. */
  gpcHonoured: boolean;
}

// ---------------------------------------------------------------------------------------------
// Effective consent
// ---------------------------------------------------------------------------------------------

export interface EffectiveConsent {
  state: ConsentDecision;
  /** 'explicit' when a record decided it, 'default' when the policy did. */
  basis: 'explicit' | 'default';
  /** The deciding record when basis is 'explicit'. */
  record?: ConsentRecord;
}
export type EffectiveConsentMap = Record<Purpose, EffectiveConsent>;

/** Same-instant ties: the more restrictive state wins, so withdrawn > denied > granted. */
const TIE_RANK: Record<ConsentState, number> = { granted: 0, denied: 1, withdrawn: 2 };

function instantOf(record: ConsentRecord): number {
  const ms = UTC_INSTANT.safeParse(record.at).success ? Date.parse(record.at) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ConsentError(
      `a ${record.purpose} consent record has at "${String(record.at).slice(0, 40)}", which is not an ISO 8601 instant in UTC`,
    );
  }
  return ms;
}

/** Whether `a` decides over `b`: later wins; at the same instant the more restrictive wins. */
function decidesOver(a: ConsentRecord, aAt: number, b: ConsentRecord, bAt: number): boolean {
  if (aAt !== bAt) return aAt > bAt;
  if (a.state !== b.state) return TIE_RANK[a.state] > TIE_RANK[b.state];
  // Same instant and state: any fixed order keeps the answer independent of the records' order.
  const aKey = `${a.source}\u0000${a.proof.kind}\u0000${a.proof.reference}`;
  const bKey = `${b.source}\u0000${b.proof.kind}\u0000${b.proof.reference}`;
  return aKey > bKey;
}

/**
 * Per purpose: the latest explicit record (by `at`) decides; 'withdrawn' counts as denied.
 * When two records share the same instant, a denial or withdrawal wins over a grant: consent
 * must be unambiguous, and two sources disagreeing at one moment is not.
 * With no record, the policy's default decides.
 *
 * `asOf` (an ISO instant) ignores records dated after it, e.g. a device clock in the future.
 */
export function effectiveConsent(
  records: readonly ConsentRecord[],
  defaults: ConsentDefaults,
  options: { asOf?: string } = {},
): EffectiveConsentMap {
  const asOf = options.asOf === undefined ? Number.POSITIVE_INFINITY : Date.parse(options.asOf);
  if (Number.isNaN(asOf)) throw new ConsentError('asOf must be an ISO 8601 instant');

  const latest = new Map<Purpose, { record: ConsentRecord; at: number }>();
  for (const record of records) {
    const purpose = parsePurpose(record.purpose);
    if (!(CONSENT_STATES as readonly unknown[]).includes(record.state)) {
      throw new ConsentError(
        `a ${purpose} consent record has state "${String(record.state).slice(0, 20)}": use one of ${CONSENT_STATES.join(', ')}`,
      );
    }
    const at = instantOf(record);
    if (at > asOf) continue;
    const current = latest.get(purpose);
    if (!current || decidesOver(record, at, current.record, current.at)) latest.set(purpose, { record, at });
  }

  const result = {} as EffectiveConsentMap;
  for (const purpose of PURPOSES) {
    const found = latest.get(purpose);
    if (found) {
      result[purpose] = {
        state: found.record.state === 'granted' ? 'granted' : 'denied',
        basis: 'explicit',
        record: found.record,
      };
      continue;
    }
    const fallback = defaults[purpose];
    if (fallback !== 'granted' && fallback !== 'denied') {
      throw new ConsentError(
        `the policy has no default for ${purpose}: give 'granted' or 'denied' for each of ${PURPOSE_LIST}`,
      );
    }
    result[purpose] = { state: fallback, basis: 'default' };
  }
  return result;
}

export interface ConsentChange {
  purpose: Purpose;
  before: ConsentDecision;
  after: ConsentDecision;
}

/** The purposes whose effective state differs, in PURPOSES order: what propagation must push. */
export function consentChangeSummary(before: EffectiveConsentMap, after: EffectiveConsentMap): ConsentChange[] {
  const changes: ConsentChange[] = [];
  for (const purpose of PURPOSES) {
    const was = before[purpose]?.state;
    const now = after[purpose]?.state;
    if (was === undefined || now === undefined) {
      throw new ConsentError(`effective consent is missing ${purpose}: compute both sides with effectiveConsent`);
    }
    if (was !== now) changes.push({ purpose, before: was, after: now });
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Segment: context.consent.categoryPreferences
// ---------------------------------------------------------------------------------------------

/** A category maps to a purpose, or to null: known, but nothing Meridian records (e.g. Functional). */
export type CategoryMapping = Record<string, Purpose | null>;

/**
 * Segment / OneTrust-style categories. Keys are compared case-insensitively, ignoring spaces,
 * hyphens and underscores ("Sale of Data" = "SaleOfData"). C0001–C0005 are OneTrust's default
 * group IDs; a OneTrust tenant can renumber them, so such a source should pass its own mapping.
 */
export const DEFAULT_SEGMENT_CATEGORY_MAPPING: CategoryMapping = {
  advertising: 'personalisedAds',
  marketing: 'personalisedAds',
  targeting: 'personalisedAds',
  analytics: 'analytics',
  performance: 'analytics',
  statistics: 'analytics',
  saleofdata: 'saleSharing',
  sale: 'saleSharing',
  datasharing: 'saleSharing',
  email: 'emailMarketing',
  emailmarketing: 'emailMarketing',
  sms: 'smsMarketing',
  smsmarketing: 'smsMarketing',
  push: 'push',
  pushnotifications: 'push',
  // Needed for the site to work, or not a purpose Meridian tracks.
  functional: null,
  necessary: null,
  strictlynecessary: null,
  essential: null,
  personalization: null,
  personalisation: null,
  preferences: null,
  // OneTrust defaults: Strictly Necessary, Performance, Functional, Targeting, Social Media.
  c0001: null,
  c0002: 'analytics',
  c0003: null,
  c0004: 'personalisedAds',
  c0005: null,
};

function categoryKey(category: string): string {
  return category.toLowerCase().replace(/[\s_-]+/g, '');
}

function quotedCategory(category: string): string {
  return category.length <= 64 ? JSON.stringify(category) : `(a ${category.length}-character name)`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export interface SegmentConsentResult {
  ok: true;
  /** At most one record per purpose, source 'segment'. */
  records: ConsentRecord[];
  /** Unknown categories and disagreeing categories: the good ones are still recorded. */
  warnings: string[];
  /** Categories whose value was not a boolean. */
  rejected: { category: string; reason: string }[];
}

/**
 * Turns Segment's `context.consent.categoryPreferences` (category → boolean) into consent
 * records. Unknown categories become warnings; a non-boolean value rejects that category only.
 * When two categories map to one purpose and disagree (Advertising: true, Marketing: false),
 * the denial is recorded, as in effectiveConsent's tie rule. An empty object records nothing.
 *
 * `mapping` replaces the default; extend it with `{ ...DEFAULT_SEGMENT_CATEGORY_MAPPING, … }`.
 */
export function fromSegmentCategoryPreferences(
  prefs: unknown,
  origin: SignalOrigin,
  mapping: CategoryMapping = DEFAULT_SEGMENT_CATEGORY_MAPPING,
): SegmentConsentResult | { ok: false; reason: string } {
  if (!isPlainObject(prefs)) {
    return {
      ok: false,
      reason:
        'context.consent.categoryPreferences must be an object of category → true/false, e.g. {"Advertising":false,"Analytics":true}',
    };
  }
  assertSignalOrigin(origin);
  const lookup = new Map<string, Purpose | null>();
  for (const [category, purpose] of Object.entries(mapping)) {
    lookup.set(categoryKey(category), purpose === null ? null : parsePurpose(purpose));
  }

  const result: SegmentConsentResult = { ok: true, records: [], warnings: [], rejected: [] };
  const chosen = new Map<Purpose, { granted: boolean; categories: string[] }>();
  for (const [category, value] of Object.entries(prefs)) {
    const purpose = lookup.get(categoryKey(category));
    if (purpose === undefined) {
      result.warnings.push(
        `categoryPreferences has unknown category ${quotedCategory(category)}; ignored (map it to a purpose in the source's consent mapping)`,
      );
      continue;
    }
    if (typeof value !== 'boolean') {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      result.rejected.push({
        category,
        reason: `categoryPreferences.${quotedCategory(category)} must be true or false, not ${got}`,
      });
      continue;
    }
    if (purpose === null) continue;
    const seen = chosen.get(purpose);
    if (!seen) {
      chosen.set(purpose, { granted: value, categories: [category] });
    } else {
      if (seen.granted !== value) {
        result.warnings.push(
          `categoryPreferences ${[...seen.categories, category].map(quotedCategory).join(' and ')} disagree on ${purpose}; denied recorded`,
        );
      }
      seen.granted = seen.granted && value;
      seen.categories.push(category);
    }
  }

  for (const purpose of PURPOSES) {
    const choice = chosen.get(purpose);
    if (choice)
      result.records.push({
        purpose,
        state: choice.granted ? 'granted' : 'denied',
        source: 'segment',
        at: origin.at,
        proof: origin.proof,
      });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Global Privacy Control (Sec-GPC request header)
// ---------------------------------------------------------------------------------------------

export type GpcOutcome =
  | { outcome: 'recorded'; records: ConsentRecord[] }
  | { outcome: 'gpc-ignored'; reason: string }
  | { outcome: 'no-signal' };

/**
 * A browser's `Sec-GPC: 1` is an opt-out of sale and sharing where the law says so (California
 * and other US state laws): a saleSharing 'denied' record. Where the law does not (GDPR: consent
 * is opt-in and GPC is not its legal mechanism) nothing is recorded and the reason says why.
 * The specification's only valid value is "1"; anything else, or no header, is no signal.
 */
export function fromGpc(
  secGpcHeader: string | null | undefined,
  policy: Pick<ConsentPolicy, 'gpcHonoured' | 'name'>,
  origin: SignalOrigin,
): GpcOutcome {
  assertSignalOrigin(origin);
  if (secGpcHeader !== '1') return { outcome: 'no-signal' };
  if (!policy.gpcHonoured) {
    const law = policy.name ?? 'this jurisdiction';
    return {
      outcome: 'gpc-ignored',
      reason: `${law} does not make Global Privacy Control a legal opt-out signal; nothing recorded (sale/sharing follows the person's explicit choices and ${law}'s default)`,
    };
  }
  // CPRA's "sharing" is cross-context behavioural advertising: the opt-out covers personalised ads too.
  return {
    outcome: 'recorded',
    records: (['saleSharing', 'personalisedAds'] as const).map((purpose) => ({
      purpose,
      state: 'denied' as const,
      source: 'gpc' as const,
      at: origin.at,
      proof: origin.proof,
    })),
  };
}
