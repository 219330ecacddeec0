import type { z } from 'zod';
import type { RejectedRecord } from '../domain/commerce';
import { describeIssues } from '../domain/validation';

export { describeIssues };

/**
 * Small pieces every connector's mapping to canonical records uses, written once. Rejections state
 * the field and the rule: zod's messages name the rule and the type received, never the value.
 */

export type Mapped<T> = { ok: true; record: T } | { ok: false; rejected: RejectedRecord };

/** Optional fields are left out rather than set to undefined, so records compare and store cleanly. */
export function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Trimmed text, or undefined when there is none. */
export function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The mapped record against the canonical schema: a mapping bug shows up as a named rejection, not bad data. */
export function checked<T extends { externalId: string }>(schema: z.ZodType<T>, record: T): Mapped<T> {
  const result = schema.safeParse(record);
  if (result.success) return { ok: true, record: result.data };
  return { ok: false, rejected: { externalId: record.externalId, reason: describeIssues(result.error, 'record') } };
}
