import { z } from 'zod';
import { PLATFORM_IDENTIFIER_TYPES } from './identifiers';

/**
 * Identity resolution rules, per workspace (Segment Unify style): which identifier types count
 * most, how many of each a profile may hold, which values are placeholders, and which types
 * protect a profile from merging with another (two different user IDs never merge).
 */

/** Person-level identifiers first, platform IDs next, the device's anonymous ID last. */
export const DEFAULT_PRIORITY = ['user_id', 'email', 'phone', ...PLATFORM_IDENTIFIER_TYPES, 'anonymous_id'];

export const identityRulesSchema = z.object({
  /** Most trusted first: the profile matched by the highest identifier wins a conflict. */
  priority: z.array(z.string().min(1)).min(1).default(DEFAULT_PRIORITY),
  /** Most values of a type one profile may hold; types not listed: `defaultLimit`. */
  limits: z.record(z.string(), z.number().int().min(1)).default({ user_id: 1, email: 5, phone: 5, anonymous_id: 100 }),
  defaultLimit: z.number().int().min(1).default(5),
  /** Types whose differing values keep two profiles apart. */
  mergeProtectedTypes: z.array(z.string()).default(['user_id']),
  /** Placeholder values to ignore, on top of the built-in list. */
  blockedValues: z.array(z.string()).default([]),
  /** Opt-in provider rules for emails. */
  email: z
    .object({ gmailDotsInsensitive: z.boolean().default(false), plusAddressingInsensitive: z.boolean().default(false) })
    .default({ gmailDotsInsensitive: false, plusAddressingInsensitive: false }),
  /**
   * Two profiles linked only by an email or phone that a browser source (public write key)
   * claimed: `hold` keeps them apart and lists the merge for review (GET /admin/held-merges);
   * `automatic` merges them at once, for brands that accept that anyone can claim any email.
   */
  browserMerges: z.enum(['hold', 'automatic']).default('hold'),
  /** The identifier types whose browser claims are held (the ones a visitor can type in). */
  unverifiedLinkTypes: z.array(z.string()).default(['email', 'phone']),
  /** Trust per source ID for trait reconciliation; higher wins a tie on time. Unlisted: 0. */
  sourceTrust: z.record(z.string(), z.number()).default({}),
});
export type IdentityRules = z.infer<typeof identityRulesSchema>;

export const DEFAULT_IDENTITY_RULES: IdentityRules = identityRulesSchema.parse({});

export function limitFor(rules: IdentityRules, type: string): number {
  return rules.limits[type] ?? rules.defaultLimit;
}

export function priorityOf(rules: IdentityRules, type: string): number {
  const index = rules.priority.indexOf(type);
  return index === -1 ? rules.priority.length : index;
}
