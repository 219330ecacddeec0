import type { z } from 'zod';
import type { Purpose } from '../domain/consent';
import type { DataCategoryName } from '../domain/data-categories';

/**
 * The connected-system contract for privacy (DESIGN.md, "Storage and erasure"): what each system
 * that holds a person's data can do for a consent change or a privacy request, idempotently,
 * keyed by (request, system). The workflows call these through activities, which load the
 * person from the region's database by customer ID: personal values live only in the activity,
 * never in a workflow history.
 *
 * A system without an API declares no operations; the workflows then give an operator a manual
 * task instead.
 */

export const PRIVACY_OPERATIONS = ['erase', 'export', 'suppress', 'applyConsent'] as const;
export type PrivacyOperation = (typeof PRIVACY_OPERATIONS)[number];

/** The person as a connected system knows them; loaded from the region database, never from a workflow. */
export interface PersonIdentifiers {
  customerId: string;
  emails: string[];
  /** E.164. */
  phones: string[];
  /** Platform IDs by identifier type, e.g. { shopify_customer: ['7310000000123'] }. */
  platformIds: Record<string, string[]>;
}

export interface PrivacyContext {
  /** `<requestId>:<system>` (or `<consentChangeId>:<system>`): the same key on every retry. */
  idempotencyKey: string;
  /** Replaces the waiting of rate-limit waits (tests record them instead). */
  sleep?: (ms: number) => Promise<void>;
  heartbeat?: () => void;
}

/**
 * What a call achieved. `evidence` is what a certificate shows: the vendor's job or request ID,
 * its status and time — never a personal value.
 */
export type PrivacyOutcome =
  /** Done now; the vendor confirmed it. */
  | { status: 'done'; evidence: Record<string, string> }
  /** The vendor runs it as a job: ask again with `checkJob` after `checkAfterMs`. */
  | { status: 'submitted'; jobId: string; checkAfterMs: number; evidence: Record<string, string> }
  /** The vendor holds nothing for this person (nothing to do, and proof of it). */
  | { status: 'not-found'; evidence: Record<string, string> };

/** A consent change for one system: purposes and their new effective state. */
export interface ConsentChange {
  purposes: { purpose: Purpose; state: 'granted' | 'denied' }[];
}

export interface ConnectedSystem<Settings = unknown, Credentials = unknown> {
  system: string;
  label: string;
  settings: z.ZodType<Settings>;
  credentials: z.ZodType<Credentials>;
  /** The settings that say where credentials are sent (see ConnectorDefinition.endpointSettings). */
  endpointSettings?: readonly string[];
  /** The operations this system supports through its API. */
  supports: readonly PrivacyOperation[];
  /**
   * The data categories Meridian sends it of a person when it calls it (to find them for consent,
   * erasure or export): the data map (GET /admin/data-map) shows them as flows to this system.
   */
  receives: readonly DataCategoryName[];
  /** The purposes whose consent this system acts on (e.g. an email provider: emailMarketing). */
  purposes: readonly Purpose[];
  /** When a connection's settings narrow or widen them (a system without an API lists its own). */
  purposesFor?(settings: Settings): readonly Purpose[];
  open(settings: Settings, credentials: Credentials, context: PrivacyContext): ConnectedSystemSession;
}

export interface ConnectedSystemSession {
  applyConsent?(person: PersonIdentifiers, change: ConsentChange): Promise<PrivacyOutcome>;
  /** Stop marketing and processing at once, reversibly (the first step of a deletion request). */
  suppress?(person: PersonIdentifiers): Promise<PrivacyOutcome>;
  erase?(person: PersonIdentifiers): Promise<PrivacyOutcome>;
  /** The person's data as the system holds it (JSON-serialisable), for an access request's package. */
  export?(person: PersonIdentifiers): Promise<{ outcome: PrivacyOutcome; data: unknown }>;
  /** The state of a job an earlier call submitted. */
  checkJob?(jobId: string): Promise<PrivacyOutcome>;
}

/**
 * How an ad platform (Meta custom audiences, Google Customer Match, TikTok audiences) answers
 * privacy: `erase` and a personalisedAds denial remove the person's hashed identifiers from every
 * configured list; a grant does nothing (the audience sync adds people from the consent it reads).
 * `remove` does the platform's removal and returns its evidence, or undefined when the person has
 * no email or phone to match. Removing is idempotent, so a retry after a partial failure removes again.
 */
export function adPlatformPrivacy(
  platform: { name: string; lists: string },
  remove: (person: PersonIdentifiers) => Promise<Record<string, string> | undefined>,
): Pick<ConnectedSystemSession, 'erase' | 'applyConsent'> {
  const now = () => new Date().toISOString();
  async function removeEverywhere(person: PersonIdentifiers, because: string): Promise<PrivacyOutcome> {
    const evidence = await remove(person);
    if (!evidence)
      return {
        status: 'not-found',
        evidence: { reason: `no email address or phone number to match in ${platform.name}`, checkedAt: now() },
      };
    return { status: 'done', evidence: { action: because, ...evidence, removedAt: now() } };
  }
  return {
    erase: (person) => removeEverywhere(person, `erase: removed from ${platform.lists}`),
    async applyConsent(person, change) {
      const ads = change.purposes.find((p) => p.purpose === 'personalisedAds');
      if (!ads || ads.state === 'granted')
        return {
          status: 'done',
          evidence: {
            action: 'none',
            reason: ads ? 'granted: people are added by the audience sync' : `no purpose ${platform.lists} act on`,
            checkedAt: now(),
          },
        };
      return removeEverywhere(person, `personalisedAds denied: removed from ${platform.lists}`);
    },
  };
}
