import { z } from 'zod';

/**
 * Brands of a workspace (a group with several brands, 多品牌): the ID rule and the sharing setting
 * as data. Which data a brand may read is decided in one place, db/brands-store.ts
 * `visibleSourceIds`; this module only names and validates.
 */

/** The brand that owns everything made before brands existed (created by migration 0007). */
export const DEFAULT_BRAND = 'default';

/** A brand ID is a slug: it appears in URLs and in other definitions (sources, tags, segments). */
export const brandIdSchema = z
  .string({ error: 'give the brand ID, a slug such as "acme-outdoor"' })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, {
    error: 'must be a slug: 1 to 64 lowercase letters, digits or -, not starting or ending with -',
  });

export const brandNameSchema = z
  .string({ error: 'give the brand a name' })
  .trim()
  .min(1, 'give the brand a name')
  .max(200, 'must be at most 200 characters');
