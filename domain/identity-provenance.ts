import type { SourceKind } from './sources';

/**
 * Where an identity came from, which decides how far Meridian trusts that the identifier belongs
 * to the profile holding it (issue 8, item 3):
 *
 * - `browser`: claimed through a public write key (analytics.js, an app). Anyone can send any
 *   email with that key, so the claim is the visitor's unverified word.
 * - `server`: said by the brand's back end with a secret key.
 * - `connector`: read from a connected store or marketplace (Shopify, Amazon …).
 * - `verified`: the person proved they hold it (the privacy portal's emailed code).
 *
 * Privacy requests act only on trusted identities; merges linked by a browser claim wait for review.
 */
export const IDENTITY_PROVENANCES = ['browser', 'server', 'connector', 'verified'] as const;
export type IdentityProvenance = (typeof IDENTITY_PROVENANCES)[number];

export function isTrusted(provenance: IdentityProvenance): boolean {
  return provenance !== 'browser';
}

/** What a tracked call's identities are worth: as much as the key that sent them. */
export function provenanceOfSource(kind: SourceKind): IdentityProvenance {
  return kind === 'server' ? 'server' : 'browser';
}

/** The stronger of two provenances: a trusted assertion upgrades a browser claim, never the reverse. */
export function strongerProvenance(a: IdentityProvenance, b: IdentityProvenance): IdentityProvenance {
  return isTrusted(a) || !isTrusted(b) ? a : b;
}

/** Identifier types that name a person (not a device): what a privacy request is matched on. */
export const PERSON_IDENTIFIER_TYPES = ['user_id', 'email', 'phone'] as const;
