import { z } from 'zod';
import { describeIssues } from './validation';

/**
 * Computed traits (issue 11 §3): declarative per-person values a marketer defines once — how many
 * times someone did X in the last N days, what they spend on average, their favourite category —
 * kept current by db/computed-traits-store.ts in each region's database. A definition names where
 * the value comes from (events, with filters on the event and its non-identifying properties, or
 * orders in the reporting currency), what to compute, and over which window. Definitions hold no
 * personal data; they live in the global database and apply in every region.
 * Pure: zod schemas and the built-in definitions, importable from workflows.
 */

/** A key of the computed trait (and of its values): lower case, digits, underscores. */
export const TRAIT_ID = /^[a-z][a-z0-9_]{1,62}$/;

/** The longest window a trait may look back over: ten years of days. */
export const MAX_WINDOW_DAYS = 3650;
/** The most values a unique list keeps (in sort order), so a value stays small enough to segment on. */
export const MAX_UNIQUE_LIST = 100;

/** All time, or the last N days before the moment of computation (a window that slides). */
export const windowSchema = z.union(
  [
    z.literal('all_time'),
    z
      .object({
        lastDays: z
          .int('must be a whole number of days')
          .min(1, 'must be at least 1 day')
          .max(MAX_WINDOW_DAYS, `must be at most ${MAX_WINDOW_DAYS} days`),
      })
      .strict(),
  ],
  { error: `must be "all_time" or { "lastDays": 1–${MAX_WINDOW_DAYS} }` },
);
export type TraitWindow = z.infer<typeof windowSchema>;

/** A property path in `events.properties` (dots between levels), e.g. "category" or "product.brand". */
const propertyPath = z
  .string({ error: 'must name a property, e.g. "category" or "product.brand"' })
  .regex(
    /^[A-Za-z_$][\w$-]{0,63}(\.[A-Za-z_$][\w$-]{0,63}){0,4}$/,
    'must be a property name, levels separated by dots (at most 5 levels), e.g. "product.brand"',
  );

/**
 * Columns of every event a trait can read besides its properties: when (`timestamp`), the local
 * hour in the person's own time zone at that moment (`localHour`, from `events.timezone`), their
 * language (`locale`), zone, the source it came through, its name and type.
 */
export const EVENT_FIELDS = ['timestamp', 'localHour', 'locale', 'timezone', 'sourceId', 'event', 'type'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/** What a value is read from: a property of the event, or one of its columns. */
export const valueSourceSchema = z.union(
  [
    z.object({ property: propertyPath }).strict(),
    z.object({ field: z.enum(EVENT_FIELDS, { error: `must be one of ${EVENT_FIELDS.join(', ')}` }) }).strict(),
  ],
  { error: `must be { "property": "<name>" } or { "field": one of ${EVENT_FIELDS.join(', ')} }` },
);
export type ValueSource = z.infer<typeof valueSourceSchema>;

const scalar = z.union([z.string().max(500), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()], {
  error: 'must be a string, a number or true/false',
});

export const PROPERTY_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'exists'] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];

/** A condition on one property of the event: equal (as JSON), compared as a number, one of a list, present. */
export const propertyFilterSchema = z
  .object({
    property: propertyPath,
    op: z.enum(PROPERTY_OPERATORS, { error: `must be one of ${PROPERTY_OPERATORS.join(', ')}` }),
    value: z.union([scalar, z.array(scalar).min(1, 'must list at least one value').max(100)]).optional(),
  })
  .strict()
  .superRefine((filter, ctx) => {
    const value = filter.value;
    const rule = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (filter.op === 'exists') {
      if (value !== undefined) rule('must be left out: "exists" takes no value');
    } else if (filter.op === 'in') {
      if (!Array.isArray(value)) rule('must be a list of values for "in"');
    } else if (filter.op === 'eq' || filter.op === 'neq') {
      if (value === undefined || Array.isArray(value)) rule(`must be one value for "${filter.op}"`);
    } else if (typeof value !== 'number') {
      rule(`must be a number for "${filter.op}"`);
    }
  });
export type PropertyFilter = z.infer<typeof propertyFilterSchema>;

/** Which events a trait reads: by name (track calls), by type, and by their properties (all must hold). */
export const eventFilterSchema = z
  .object({
    event: z.string().min(1, 'must name an event').max(200).optional(),
    type: z
      .enum(['track', 'page', 'screen', 'identify', 'group', 'alias'], {
        error: 'must be one of track, page, screen, identify, group, alias',
      })
      .optional(),
    properties: z.array(propertyFilterSchema).max(20, 'at most 20 property conditions').default([]),
  })
  .strict();
export type EventFilter = z.infer<typeof eventFilterSchema>;

/** Which orders a trait reads (orders with status "cancelled" never count). */
export const orderFilterSchema = z
  .object({
    currencies: z
      .array(z.string().regex(/^[A-Z]{3}$/, 'must be ISO 4217 codes, e.g. EUR'))
      .min(1)
      .optional(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be ISO 3166-1 alpha-2 codes, e.g. DE'))
      .min(1)
      .optional(),
  })
  .strict();

const AGGREGATIONS = ['sum', 'avg', 'min', 'max'] as const;

const eventBased = { window: windowSchema.default('all_time'), where: eventFilterSchema.default({ properties: [] }) };
const orderBased = { window: windowSchema.default('all_time'), where: orderFilterSchema.default({}) };

/**
 * The kinds of computed trait. Event kinds read `events` (the non-identifying `properties` and the
 * plain columns), order kinds read `orders` with amounts in the reporting currency (minor units).
 * `home_market`, `channels_used` and `prediction` are for the built-in traits: the first two combine
 * several sources, the last is written by the predictions workflow, not computed in SQL.
 */
export const traitDefinitionSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('event_count'), ...eventBased }).strict(),
    z
      .object({
        kind: z.literal('aggregation'),
        function: z.enum(AGGREGATIONS, { error: `must be one of ${AGGREGATIONS.join(', ')}` }),
        of: valueSourceSchema,
        ...eventBased,
      })
      .strict(),
    z.object({ kind: z.literal('most_frequent'), of: valueSourceSchema, ...eventBased }).strict(),
    z.object({ kind: z.literal('first_value'), of: valueSourceSchema, ...eventBased }).strict(),
    z.object({ kind: z.literal('last_value'), of: valueSourceSchema, ...eventBased }).strict(),
    z
      .object({
        kind: z.literal('unique_list'),
        of: valueSourceSchema,
        limit: z.int().min(1).max(MAX_UNIQUE_LIST, `must be at most ${MAX_UNIQUE_LIST}`).default(20),
        ...eventBased,
      })
      .strict(),
    z.object({ kind: z.literal('unique_count'), of: valueSourceSchema, ...eventBased }).strict(),
    z.object({ kind: z.literal('order_count'), ...orderBased }).strict(),
    z.object({ kind: z.literal('order_sum'), ...orderBased }).strict(),
    z.object({ kind: z.literal('order_avg'), ...orderBased }).strict(),
    z.object({ kind: z.literal('first_order_date'), ...orderBased }).strict(),
    z.object({ kind: z.literal('last_order_date'), ...orderBased }).strict(),
    z.object({ kind: z.literal('home_market') }).strict(),
    z.object({ kind: z.literal('channels_used') }).strict(),
    /** A member's tier (key) or point balance in a brand's programme, written by loyalty (issue 14). */
    z.object({ kind: z.literal('loyalty'), brandId: z.string().min(1), measure: z.enum(['tier', 'points']) }).strict(),
    z
      .object({
        kind: z.literal('prediction'),
        model: z.enum(['rfm', 'lifecycle', 'churn', 'expected_purchases', 'expected_value']),
      })
      .strict(),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'must be one of event_count, aggregation, most_frequent, first_value, last_value, unique_list, unique_count, order_count, order_sum, order_avg, first_order_date, last_order_date'
        : undefined,
  },
);
export type TraitDefinition = z.infer<typeof traitDefinitionSchema>;
export type TraitKind = TraitDefinition['kind'];

/** Kinds a marketer may define; the others are reserved for the built-in traits. */
const BUILT_IN_ONLY: readonly TraitKind[] = ['home_market', 'channels_used', 'prediction', 'loyalty'];

/** True when the trait's value depends on the time of computation (a window that slides). */
export function isWindowed(definition: TraitDefinition): boolean {
  return 'window' in definition && definition.window !== 'all_time';
}

/** True for traits computed in SQL from events and orders (not written by the predictions workflow or loyalty). */
export function isComputedInSql(definition: TraitDefinition): boolean {
  return definition.kind !== 'prediction' && definition.kind !== 'loyalty';
}

export const traitInputSchema = z
  .object({
    id: z
      .string({ error: 'must be a key such as "purchases_last_30d"' })
      .regex(TRAIT_ID, 'must be lower case letters, digits and underscores, starting with a letter (2–63 characters)'),
    name: z.string().trim().min(1, 'must name the trait for people').max(200),
    brandId: z.string().min(1).max(64).nullable().default(null),
    definition: traitDefinitionSchema,
  })
  .strict();
export type TraitInput = z.infer<typeof traitInputSchema>;

export const traitChangeSchema = z
  .object({
    name: z.string().trim().min(1, 'must name the trait for people').max(200).optional(),
    definition: traitDefinitionSchema.optional(),
  })
  .strict()
  .refine((c) => c.name !== undefined || c.definition !== undefined, {
    error: 'nothing to change: send name or definition',
  });

/**
 * A marketer's definition checked: the zod rules, then the rules zod cannot say (kinds reserved for
 * built-ins). The reason names the field and the rule, never a value.
 */
export function parseTraitDefinition(
  input: unknown,
  path = 'definition',
): { ok: true; definition: TraitDefinition } | { ok: false; reason: string } {
  const parsed = traitDefinitionSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, reason: describeIssues(parsed.error, path, { first: true, prefixed: true }) };
  if (BUILT_IN_ONLY.includes(parsed.data.kind))
    return { ok: false, reason: `${path}.kind: "${parsed.data.kind}" is reserved for the built-in traits` };
  if (parsed.data.kind === 'aggregation' && 'field' in parsed.data.of && parsed.data.of.field !== 'localHour')
    return {
      ok: false,
      reason: `${path}.of.field: ${parsed.data.function} needs numbers: aggregate a numeric property or localHour`,
    };
  return { ok: true, definition: parsed.data };
}

/** A stored definition (global `computed_traits`) as the recompute reads it. */
export interface ComputedTrait {
  id: string;
  name: string;
  brandId: string | null;
  builtIn: boolean;
  version: number;
  definition: TraitDefinition;
}

/**
 * The built-in traits, seeded at startup (idempotently: db/computed-traits-store.ts). Money is in the
 * reporting currency, minor units; dates are the orders' local dates; hours are the person's own.
 */
export const BUILT_IN_TRAITS: readonly Omit<ComputedTrait, 'builtIn' | 'version'>[] = [
  {
    id: 'orders_count',
    name: 'Orders',
    brandId: null,
    definition: { kind: 'order_count', window: 'all_time', where: {} },
  },
  {
    id: 'revenue',
    name: 'Revenue (reporting currency, minor units)',
    brandId: null,
    definition: { kind: 'order_sum', window: 'all_time', where: {} },
  },
  {
    id: 'average_order_value',
    name: 'Average order value (reporting currency, minor units)',
    brandId: null,
    definition: { kind: 'order_avg', window: 'all_time', where: {} },
  },
  {
    id: 'first_order_date',
    name: 'First order date',
    brandId: null,
    definition: { kind: 'first_order_date', window: 'all_time', where: {} },
  },
  {
    id: 'last_order_date',
    name: 'Last order date',
    brandId: null,
    definition: { kind: 'last_order_date', window: 'all_time', where: {} },
  },
  {
    id: 'last_seen',
    name: 'Last seen',
    brandId: null,
    definition: { kind: 'last_value', of: { field: 'timestamp' }, window: 'all_time', where: { properties: [] } },
  },
  {
    id: 'preferred_local_hour',
    name: 'Preferred local hour of activity',
    brandId: null,
    definition: { kind: 'most_frequent', of: { field: 'localHour' }, window: 'all_time', where: { properties: [] } },
  },
  {
    id: 'preferred_language',
    name: 'Preferred language',
    brandId: null,
    definition: { kind: 'most_frequent', of: { field: 'locale' }, window: 'all_time', where: { properties: [] } },
  },
  { id: 'home_market', name: 'Home market', brandId: null, definition: { kind: 'home_market' } },
  { id: 'channels_used', name: 'Channels used', brandId: null, definition: { kind: 'channels_used' } },
  {
    id: 'rfm',
    name: 'RFM scores within the home market',
    brandId: null,
    definition: { kind: 'prediction', model: 'rfm' },
  },
  {
    id: 'lifecycle_stage',
    name: 'Lifecycle stage',
    brandId: null,
    definition: { kind: 'prediction', model: 'lifecycle' },
  },
  {
    id: 'churn_risk',
    name: 'Churn risk (probability of no purchase in 90 days)',
    brandId: null,
    definition: { kind: 'prediction', model: 'churn' },
  },
  {
    id: 'expected_purchases_90d',
    name: 'Expected purchases, next 90 days',
    brandId: null,
    definition: { kind: 'prediction', model: 'expected_purchases' },
  },
  {
    id: 'expected_value_90d',
    name: 'Expected value, next 90 days (reporting currency, minor units)',
    brandId: null,
    definition: { kind: 'prediction', model: 'expected_value' },
  },
];

export const BUILT_IN_TRAIT_IDS: ReadonlySet<string> = new Set(BUILT_IN_TRAITS.map((t) => t.id));

/**
 * computedTraitsRefresh, as the schedule, the admin API or ops (Temporal UI) start it: which traits
 * (all SQL-computed ones, or the windowed ones, or named ones), and, across continue-as-new, where
 * the pass got to. Trait IDs, one customer ID and counts: no personal data.
 */
export const computedTraitsRefreshInputSchema = z
  .object({
    traitIds: z.array(z.string().regex(TRAIT_ID, 'must be computed trait IDs')).min(1).max(500).optional(),
    windowedOnly: z.boolean().optional(),
    pageSize: z.int().min(1).max(50_000).optional(),
    now: z.iso.datetime({ message: 'must be an ISO 8601 instant in UTC' }).optional(),
    after: z.uuid('must be a customer ID (a UUID)').nullable().optional(),
    totals: z
      .object({ pages: z.int().min(0), customers: z.int().min(0), changed: z.int().min(0) })
      .strict()
      .optional(),
  })
  .strict();
export type ComputedTraitsRefreshInput = z.input<typeof computedTraitsRefreshInputSchema>;
