import { z } from 'zod';

/**
 * Who may do what in the console (issue 13, docs/design/console.md "Access"). A console user has
 * one role and a scope of brands × regions; the role decides the capabilities, the scope decides
 * where they apply. Admin API tokens (machines) hold every capability within their regions.
 */

export const CONSOLE_ROLES = [
  'group_admin',
  'brand_marketer',
  'market_marketer',
  'analyst',
  'privacy_officer',
  'operator',
] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const CAPABILITIES = [
  'insights.read',
  'profiles.read',
  'profiles.personal',
  'segments.read',
  'segments.write',
  'tags.write',
  'journeys.read',
  'journeys.write',
  'broadcasts.write',
  'templates.write',
  'privacy.read',
  'privacy.manage',
  'audit.read',
  'connectors.read',
  'connectors.manage',
  'settings.write',
  'users.manage',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

const MARKETER: readonly Capability[] = [
  'insights.read',
  'profiles.read',
  'profiles.personal',
  'segments.read',
  'segments.write',
  'tags.write',
  'journeys.read',
  'journeys.write',
  'broadcasts.write',
  'templates.write',
];

/**
 * The role → capability table, the one place it is written.
 * - group_admin: everything (within its scope, normally all brands and regions).
 * - brand_marketer / market_marketer: build audiences and activation (segments, tags, journeys,
 *   broadcasts, templates) and see profiles with personal values — the brand marketer within its
 *   brands, the market marketer within its regions (the scope says which; the capabilities match).
 * - analyst: reads insight, segments and journeys; profiles without personal values.
 * - privacy_officer: privacy requests, legal holds and consent, the audit, and profiles with
 *   personal values (to answer requests).
 * - operator: connectors and sources, and the privacy requests' per-system status.
 */
export const ROLE_CAPABILITIES: Readonly<Record<ConsoleRole, readonly Capability[]>> = {
  group_admin: CAPABILITIES,
  brand_marketer: MARKETER,
  market_marketer: MARKETER,
  analyst: ['insights.read', 'profiles.read', 'segments.read', 'journeys.read'],
  privacy_officer: ['privacy.read', 'privacy.manage', 'audit.read', 'profiles.read', 'profiles.personal'],
  operator: ['connectors.read', 'connectors.manage', 'privacy.read'],
};

export function capabilitiesOf(role: ConsoleRole): Capability[] {
  return [...ROLE_CAPABILITIES[role]];
}

/** Brands or regions a user acts in: every one, or a list. */
export type ScopeList = '*' | string[];

export const scopeList = z.union([z.literal('*'), z.array(z.string().trim().min(1).max(100)).min(1).max(200)]);

export const inScope = (scope: ScopeList, value: string) => scope === '*' || scope.includes(value);

/** A BCP-47 language tag Intl accepts (`en`, `zh-Hans`, `pt-BR`, `ar`). */
export const localeTag = z
  .string()
  .max(35)
  .refine(
    (value) => {
      try {
        return Intl.getCanonicalLocales(value).length === 1;
      } catch {
        return false;
      }
    },
    { error: 'locale must be a BCP-47 language tag, e.g. "en", "ja", "zh-Hant", "pt-BR"' },
  )
  .transform((value) => Intl.getCanonicalLocales(value)[0]!);

/** An IANA time zone Intl knows (`Asia/Tokyo`, `UTC`). */
export const timeZoneName = z
  .string()
  .max(64)
  .refine(
    (value) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'timeZone must be an IANA time zone, e.g. "Asia/Tokyo", "Europe/Berlin", "UTC"' },
  );

/** Session lifetimes: idle expiry slides with use, the absolute one never moves. */
export const SESSION_IDLE_SECONDS = 8 * 60 * 60;
export const SESSION_ABSOLUTE_SECONDS = 7 * 24 * 60 * 60;
/** Failed sign-ins allowed per email + IP address in a window, before 429. */
export const SIGN_IN_FAILURES_PER_WINDOW = 10;
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;
export const SESSION_COOKIE = 'meridian_session';
export const CSRF_HEADER = 'x-csrf-token';
