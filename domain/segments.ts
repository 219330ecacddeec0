import { z } from 'zod';
import { PURPOSES, type Purpose } from './consent';
import { defaultConsent, PRIVACY_POLICIES, type PrivacyPolicy } from './privacy-policies';
import { isCountryCode } from './countries';
import { classify, type CompiledRules, NO_RULES, type KeyScope } from './data-categories';
import { describeIssues } from './validation';

/**
 * A segment definition (issue 11 §5): conditions on traits, computed traits, tags, consent,
 * market, events, "did X but not Y", orders and the person's local time, combined with
 * `{ all: […] }`, `{ any: […] }` and `{ not: … }`, nested. It is data: each region compiles it to
 * one SQL query over its own database (db/segments-store.ts).
 *
 * A definition is refused (400) when its shape is wrong, when it exceeds the limits below, or when
 * it filters on a trait or property whose data category is identifying (an email, a name …):
 * those values are sealed and never queryable, and a segment must not single out a person by them.
 */

export const SEGMENT_LIMITS = {
  /** Nesting of all/any/not: deep trees are unreadable and compile to slow SQL. */
  depth: 6,
  /** Leaf conditions in one definition. */
  conditions: 30,
  /** Values of an `in` list and property filters of one condition. */
  values: 100,
  filters: 10,
  /** The longest window, in days (ten years). */
  days: 3650,
} as const;

const key = z
  .string({ error: 'must be a key (text)' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\s*]+$/, 'must be a key without spaces or *');
const scalar = z.union([z.string().max(1000), z.number(), z.boolean()], {
  error: 'must be a string, number or boolean',
});

export const COMPARISONS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'contains'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** A comparison on a value: `exists` takes no value, `in` a list, the others one value. */
const comparison = {
  op: z.enum(COMPARISONS, { error: `must be one of ${COMPARISONS.join(', ')}` }),
  value: z.union([scalar, z.array(scalar).max(SEGMENT_LIMITS.values)]).optional(),
};
function checkComparison(c: { op: Comparison; value?: unknown }, ctx: z.RefinementCtx): void {
  if (c.op === 'exists') {
    if (c.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'exists takes no value' });
    return;
  }
  if (c.value === undefined) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} needs a value` });
    return;
  }
  if (c.op === 'in') {
    if (!Array.isArray(c.value) || c.value.length === 0)
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'in needs a non-empty list of values' });
    return;
  }
  if (Array.isArray(c.value)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} needs one value, not a list (use in)` });
    return;
  }
  if (['gt', 'gte', 'lt', 'lte'].includes(c.op) && typeof c.value === 'boolean')
    ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.op} compares numbers or text, not true/false` });
}

const days = z
  .number({ error: 'must be a number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(SEGMENT_LIMITS.days, `must be at most ${SEGMENT_LIMITS.days} days`);
const count = z.number({ error: 'must be a count' }).int('must be a whole number').min(0, 'must be 0 or more');

const propertyFilter = z.strictObject({ key, ...comparison }).superRefine((c, ctx) => checkComparison(c, ctx));
export type PropertyFilter = z.infer<typeof propertyFilter>;
const where = z.array(propertyFilter).max(SEGMENT_LIMITS.filters, `at most ${SEGMENT_LIMITS.filters} filters`);

const eventName = z.string({ error: 'must be an event name' }).min(1, 'must not be empty').max(200);

const traitCondition = z
  .strictObject({ type: z.literal('trait'), key, ...comparison })
  .superRefine((c, ctx) => checkComparison(c, ctx));
const computedTraitCondition = z
  .strictObject({ type: z.literal('computedTrait'), id: key, ...comparison })
  .superRefine((c, ctx) => checkComparison(c, ctx));
const tagCondition = z.strictObject({
  type: z.literal('tag'),
  key,
  has: z.boolean({ error: 'must be true or false' }).default(true),
});
const consentCondition = z.strictObject({
  type: z.literal('consent'),
  purpose: z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` }),
  state: z.enum(['granted', 'denied'], { error: 'must be granted or denied' }),
});
const marketCondition = z
  .strictObject({
    type: z.literal('market'),
    countries: z
      .array(
        z.string().refine(isCountryCode, {
          error: (issue) => `"${String(issue.input).slice(0, 8)}" is not an ISO 3166-1 alpha-2 code`,
        }),
      )
      .max(SEGMENT_LIMITS.values)
      .optional(),
    regions: z
      .array(z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'must be a region name such as eu'))
      .max(20)
      .optional(),
  })
  .refine((c) => (c.countries?.length ?? 0) + (c.regions?.length ?? 0) > 0, {
    message: 'name at least one country or region',
    path: ['countries'],
  });
const eventCondition = z
  .strictObject({
    type: z.literal('event'),
    name: eventName,
    atLeast: count.optional(),
    atMost: count.optional(),
    withinDays: days.optional(),
    where: where.optional(),
  })
  .refine((c) => c.atLeast === undefined || c.atMost === undefined || c.atLeast <= c.atMost, {
    message: 'must not be below atLeast',
    path: ['atMost'],
  });
const didNotCondition = z.strictObject({
  type: z.literal('didNot'),
  did: z.strictObject({ name: eventName, where: where.optional() }),
  /** What must not follow: an event, or a purchase (an `Order Completed` event or an order row). */
  didNot: z.union(
    [z.strictObject({ name: eventName, where: where.optional() }), z.strictObject({ purchase: z.literal(true) })],
    { error: 'must be {"name": "Event"} or {"purchase": true}' },
  ),
  withinDays: days,
});
const bounds = z
  .strictObject({ atLeast: count.optional(), atMost: count.optional() })
  .refine((b) => b.atLeast !== undefined || b.atMost !== undefined, { message: 'give atLeast or atMost' })
  .refine((b) => b.atLeast === undefined || b.atMost === undefined || b.atLeast <= b.atMost, {
    message: 'must not be below atLeast',
    path: ['atMost'],
  });
const orderCondition = z.strictObject({
  type: z.literal('order'),
  /** Number of orders; `{ atLeast: 1 }` when neither count nor amount is given. */
  count: bounds.optional(),
  /** Sum of the orders in the reporting currency, minor units (cents). */
  amount: bounds.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .optional(),
  /** Source IDs of the stores. */
  storeIds: z.array(key).min(1).max(SEGMENT_LIMITS.values).optional(),
  withinDays: days.optional(),
});
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const localTimeCondition = z
  .strictObject({
    type: z.literal('localTime'),
    /** Local hours 0–23, `from` included, `to` excluded; `from > to` wraps past midnight (22 → 6). */
    hours: z
      .strictObject({
        from: z.number().int().min(0, 'must be 0–23').max(23, 'must be 0–23'),
        to: z.number().int().min(0, 'must be 0–24').max(24, 'must be 0–24'),
      })
      .refine((h) => h.from !== h.to % 24, {
        message: 'must differ from from (use days alone for whole days)',
        path: ['to'],
      })
      .optional(),
    days: z
      .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
      .min(1)
      .max(7)
      .optional(),
  })
  .refine((c) => c.hours !== undefined || c.days !== undefined, { message: 'give hours or days', path: ['hours'] });

const CONDITION_TYPES = [
  'trait',
  'computedTrait',
  'tag',
  'consent',
  'market',
  'event',
  'didNot',
  'order',
  'localTime',
] as const;
const condition = z.discriminatedUnion(
  'type',
  [
    traitCondition,
    computedTraitCondition,
    tagCondition,
    consentCondition,
    marketCondition,
    eventCondition,
    didNotCondition,
    orderCondition,
    localTimeCondition,
  ],
  { error: `must be a condition with type one of ${CONDITION_TYPES.join(', ')}, or {"all"|"any": […]} or {"not": …}` },
);
export type SegmentCondition = z.infer<typeof condition>;

export type SegmentNode = { all: SegmentNode[] } | { any: SegmentNode[] } | { not: SegmentNode } | SegmentCondition;

export type SegmentDefinitionResult = { ok: true; definition: SegmentNode } | { ok: false; error: string };

/** Time-relative conditions: windows that slide, local time, so the scheduled pass must recompute. */
export function isTimeRelative(node: SegmentNode): boolean {
  if ('all' in node) return node.all.some(isTimeRelative);
  if ('any' in node) return node.any.some(isTimeRelative);
  if ('not' in node) return isTimeRelative(node.not);
  switch (node.type) {
    case 'event':
    case 'order':
      return node.withinDays !== undefined;
    case 'didNot':
    case 'localTime':
      return true;
    default:
      return false;
  }
}

/**
 * Parses a definition: every problem names its path ("definition.all.1.op: …") and the rule.
 * `rules` are the workspace's data-schema rules: a trait or event property whose category is
 * identifying (or unclassified, hence sealed) is refused with that reason.
 */
export function parseSegmentDefinition(
  input: unknown,
  rules: CompiledRules = NO_RULES,
  what = 'definition',
): SegmentDefinitionResult {
  const issues: z.core.$ZodIssue[] = [];
  let conditions = 0;
  const custom = (path: PropertyKey[], message: string) =>
    issues.push({ code: 'custom', path, message, input: undefined } as z.core.$ZodIssue);

  const sealed = (path: PropertyKey[], keyName: string, scope: KeyScope) => {
    const c = classify(keyName, rules, scope);
    if (c.identifying)
      custom(
        path,
        c.category === 'user.unclassified'
          ? `"${keyName}" is not classified, so it stays sealed and cannot be used in a segment: classify it in /admin/data-schema first`
          : `"${keyName}" is ${c.category}, an identifying category: it is sealed and a segment may not filter on it`,
      );
  };

  const walk = (value: unknown, path: PropertyKey[], depth: number): SegmentNode | undefined => {
    if (depth > SEGMENT_LIMITS.depth) {
      custom(path, `nested deeper than ${SEGMENT_LIMITS.depth} levels of all/any/not: simplify the definition`);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      custom(path, 'must be an object: a condition, {"all": […]}, {"any": […]} or {"not": …}');
      return undefined;
    }
    const record = value as Record<string, unknown>;
    for (const group of ['all', 'any'] as const) {
      if (!(group in record)) continue;
      const extra = Object.keys(record).find((k) => k !== group);
      if (extra !== undefined) {
        custom([...path, extra], `not a field of {"${group}": […]}`);
        return undefined;
      }
      const list = record[group];
      if (!Array.isArray(list) || list.length === 0) {
        custom([...path, group], 'must be a non-empty list of conditions');
        return undefined;
      }
      const children = list.map((child, i) => walk(child, [...path, group, i], depth + 1));
      return children.every((c) => c !== undefined) ? ({ [group]: children } as SegmentNode) : undefined;
    }
    if ('not' in record) {
      const extra = Object.keys(record).find((k) => k !== 'not');
      if (extra !== undefined) {
        custom([...path, extra], 'not a field of {"not": …}');
        return undefined;
      }
      const child = walk(record.not, [...path, 'not'], depth + 1);
      return child === undefined ? undefined : { not: child };
    }
    conditions++;
    if (conditions === SEGMENT_LIMITS.conditions + 1)
      custom(path, `more than ${SEGMENT_LIMITS.conditions} conditions: split the segment or use computed traits`);
    const parsed = condition.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ ...issue, path: [...path, ...issue.path] });
      return undefined;
    }
    const leaf = parsed.data;
    if (leaf.type === 'trait') sealed([...path, 'key'], leaf.key, 'traits');
    const filters = (list: PropertyFilter[] | undefined, at: PropertyKey[]) =>
      list?.forEach((f, i) => sealed([...at, i, 'key'], f.key, 'properties'));
    if (leaf.type === 'event') filters(leaf.where, [...path, 'where']);
    if (leaf.type === 'didNot') {
      filters(leaf.did.where, [...path, 'did', 'where']);
      if ('name' in leaf.didNot) filters(leaf.didNot.where, [...path, 'didNot', 'where']);
    }
    return leaf;
  };

  const definition = walk(input, [], 1);
  if (issues.length > 0 || definition === undefined) {
    return {
      ok: false,
      error: describeIssues(new z.ZodError(issues), what, { prefixed: true }),
    };
  }
  return { ok: true, definition };
}

/**
 * The jurisdictions whose law grants `purpose` when a person made no choice (opt-out laws): what
 * a consent condition falls back to, as the consent store does (db/consent-store.ts).
 */
export function jurisdictionsGrantingByDefault(purpose: Purpose): string[] {
  return Object.entries(PRIVACY_POLICIES as Record<string, PrivacyPolicy>)
    .filter(([, policy]) => defaultConsent(policy, purpose) === 'granted')
    .map(([jurisdiction]) => jurisdiction)
    .sort();
}

/** The computed trait (issue 11 §3, built in) a market condition falls back to without a consent country. */
export const HOME_MARKET_TRAIT_ID = 'home_market';

/** ISO weekday (1 = Monday) of each day name a localTime condition takes. */
export const WEEKDAY_NUMBERS: Record<(typeof WEEKDAYS)[number], number> = {
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
  sun: 7,
};
