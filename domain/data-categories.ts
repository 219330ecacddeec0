import { z } from 'zod';
import { describeIssues } from './validation';

/**
 * Data classification (issue 11 §1): every trait and event-property key resolves to a category of
 * a Fideslang-style taxonomy. A category is *identifying* when its values point at one person on
 * their own (or nearly so): those stay sealed under the person's data key, as every payload is
 * today. Everything else may also be stored in queryable form, so segments can filter on it.
 *
 * Resolution order for a key (classify): the workspace's exact rules, its patterns (most specific
 * first), the same for the key's ancestors (a workspace that classified `billing` as financial
 * meant everything inside it), the built-in defaults for the key, then for its ancestors, and
 * finally `user.unclassified` — sealed until someone classifies it.
 */

export interface DataCategory {
  name: string;
  description: string;
  /** Points at one person on its own: sealed, never queryable. */
  identifying: boolean;
}

/**
 * The taxonomy, written once. Names follow Fideslang (https://ethyca.github.io/fideslang/) where it
 * has one; the identifying flag is Meridian's decision, justified where it is not obvious.
 */
export const DATA_CATEGORIES = [
  { name: 'user.contact.email', description: 'Email address', identifying: true },
  { name: 'user.contact.phone_number', description: 'Phone or mobile number', identifying: true },
  { name: 'user.contact.address', description: 'Postal address as a whole', identifying: true },
  { name: 'user.contact.address.street', description: 'Street and house number', identifying: true },
  // A full postcode narrows to a few households (a UK postcode covers ~15 addresses): sealed.
  { name: 'user.contact.address.postal_code', description: 'Postal or ZIP code', identifying: true },
  // City, state and country are shared by thousands of people and drive regional segments: queryable.
  { name: 'user.contact.address.city', description: 'City of the postal address', identifying: false },
  { name: 'user.contact.address.state', description: 'State, province or region', identifying: false },
  { name: 'user.contact.address.country', description: 'Country of the postal address', identifying: false },
  {
    name: 'user.contact.url',
    description: 'A URL pointing at the person: website, profile, avatar',
    identifying: true,
  },
  { name: 'user.name', description: 'Full name', identifying: true },
  { name: 'user.name.first', description: 'First or given name', identifying: true },
  { name: 'user.name.last', description: 'Last or family name', identifying: true },
  { name: 'user.account', description: 'The account with the brand: created date, plan, status', identifying: false },
  { name: 'user.account.username', description: 'Username or handle', identifying: true },
  { name: 'user.unique_id', description: "The brand's user ID for the person", identifying: true },
  {
    name: 'user.government_id',
    description: 'Passport, national ID, tax or social security number',
    identifying: true,
  },
  // Date of birth with a postcode and gender singles out most people (Sweeney, 2000): sealed.
  { name: 'user.demographic.date_of_birth', description: 'Date of birth', identifying: true },
  { name: 'user.demographic.age', description: 'Age in years', identifying: false },
  { name: 'user.demographic.age_range', description: 'Age band (25-34)', identifying: false },
  { name: 'user.demographic.gender', description: 'Gender', identifying: false },
  { name: 'user.device.ip_address', description: 'IP address', identifying: true },
  { name: 'user.device.device_id', description: 'Device, advertising or anonymous ID', identifying: true },
  { name: 'user.financial', description: 'Financial details: income, credit, account data', identifying: true },
  { name: 'user.financial.bank_account', description: 'Bank account number or IBAN', identifying: true },
  { name: 'user.financial.payment_card', description: 'Payment card number', identifying: true },
  { name: 'user.behavior', description: 'What the person did: events, products viewed', identifying: false },
  { name: 'user.behavior.browsing_history', description: 'Pages and screens seen', identifying: false },
  { name: 'user.behavior.purchase_history', description: 'Products bought', identifying: false },
  // Free text can hold anything (a name, a diagnosis), so can full URLs (?email=…, reset tokens).
  { name: 'user.content', description: 'Free text: descriptions, notes, searches, full URLs', identifying: true },
  { name: 'user.location.precise', description: 'Coordinates or a place within a few metres', identifying: true },
  { name: 'user.location.imprecise', description: 'Country, region or city', identifying: false },
  { name: 'user.preference', description: 'Language, currency, time zone, settings', identifying: false },
  { name: 'user.commercial', description: 'Orders, amounts, coupons, lifetime value', identifying: false },
  // A company is shared by its staff; a job title alone names a role, not a person.
  { name: 'user.workplace', description: 'Company, industry, company size', identifying: false },
  { name: 'user.job_title', description: 'Job title or role', identifying: false },
  {
    name: 'system.operations',
    description: 'How the system runs: record IDs, timestamps, versions',
    identifying: false,
  },
  {
    name: 'user.unclassified',
    description: 'Not classified yet: sealed until a rule says otherwise',
    identifying: true,
  },
] as const satisfies readonly DataCategory[];

export type DataCategoryName = (typeof DATA_CATEGORIES)[number]['name'];

export const DATA_CATEGORY_NAMES = DATA_CATEGORIES.map((category) => category.name) as [
  DataCategoryName,
  ...DataCategoryName[],
];

export const UNCLASSIFIED: DataCategoryName = 'user.unclassified';

const BY_NAME = new Map<string, DataCategory>(DATA_CATEGORIES.map((category) => [category.name, category]));

export function isDataCategory(name: string): name is DataCategoryName {
  return BY_NAME.has(name);
}

export function isIdentifying(category: DataCategoryName): boolean {
  return BY_NAME.get(category)?.identifying ?? true;
}

/**
 * One spelling per key: camelCase, snake_case, kebab-case and spaces alike, case-insensitive, so
 * `firstName`, `first_name`, `First-Name` are one key; dots separate nested keys (`address.city`).
 */
export function normaliseKey(key: string): string {
  return key
    .split('.')
    .map((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
        .toLowerCase()
        .replace(/[-\s_]+/g, '_'),
    )
    .join('.');
}

/** Where a key is found: identify traits, or the properties (and context) of a track/page event. */
export type KeyScope = 'traits' | 'properties';

/** Keys both scopes share: Segment's common context fields, and IDs. */
const COMMON_DEFAULTS: Record<string, DataCategoryName> = {
  'context.ip': 'user.device.ip_address',
  'context.locale': 'user.preference',
  'context.timezone': 'user.preference',
  'context.device.id': 'user.device.device_id',
  'context.device.advertising_id': 'user.device.device_id',
  'context.location': 'user.location.precise',
  'context.location.city': 'user.location.imprecise',
  'context.location.country': 'user.location.imprecise',
  'context.location.region': 'user.location.imprecise',
  'context.location.latitude': 'user.location.precise',
  'context.location.longitude': 'user.location.precise',
  user_id: 'user.unique_id',
  anonymous_id: 'user.device.device_id',
  ip: 'user.device.ip_address',
  ip_address: 'user.device.ip_address',
  latitude: 'user.location.precise',
  longitude: 'user.location.precise',
  locale: 'user.preference',
  language: 'user.preference',
  timezone: 'user.preference',
  time_zone: 'user.preference',
};

/** Segment's reserved identify traits (spec/identify#traits) and common extras. */
const TRAIT_DEFAULTS: Record<string, DataCategoryName> = {
  address: 'user.contact.address',
  'address.street': 'user.contact.address.street',
  'address.postal_code': 'user.contact.address.postal_code',
  'address.city': 'user.contact.address.city',
  'address.state': 'user.contact.address.state',
  'address.country': 'user.contact.address.country',
  age: 'user.demographic.age',
  age_range: 'user.demographic.age_range',
  avatar: 'user.contact.url',
  birthday: 'user.demographic.date_of_birth',
  date_of_birth: 'user.demographic.date_of_birth',
  dob: 'user.demographic.date_of_birth',
  company: 'user.workplace',
  created_at: 'user.account',
  plan: 'user.account',
  description: 'user.content',
  email: 'user.contact.email',
  email_address: 'user.contact.email',
  first_name: 'user.name.first',
  last_name: 'user.name.last',
  name: 'user.name',
  gender: 'user.demographic.gender',
  id: 'user.unique_id',
  phone: 'user.contact.phone_number',
  phone_number: 'user.contact.phone_number',
  mobile: 'user.contact.phone_number',
  title: 'user.job_title',
  username: 'user.account.username',
  website: 'user.contact.url',
  street: 'user.contact.address.street',
  postal_code: 'user.contact.address.postal_code',
  zip: 'user.contact.address.postal_code',
  city: 'user.contact.address.city',
  state: 'user.contact.address.state',
  country: 'user.contact.address.country',
  currency: 'user.preference',
  lifetime_value: 'user.commercial',
  ltv: 'user.commercial',
  ssn: 'user.government_id',
  national_id: 'user.government_id',
  passport_number: 'user.government_id',
  tax_id: 'user.government_id',
  iban: 'user.financial.bank_account',
  bank_account: 'user.financial.bank_account',
  card_number: 'user.financial.payment_card',
  income: 'user.financial',
};

/** Segment's e-commerce spec and page properties. */
const PROPERTY_DEFAULTS: Record<string, DataCategoryName> = {
  product_id: 'user.behavior',
  sku: 'user.behavior',
  category: 'user.behavior',
  name: 'user.behavior',
  brand: 'user.behavior',
  variant: 'user.behavior',
  products: 'user.behavior.purchase_history',
  price: 'user.commercial',
  quantity: 'user.commercial',
  coupon: 'user.commercial',
  currency: 'user.commercial',
  revenue: 'user.commercial',
  total: 'user.commercial',
  subtotal: 'user.commercial',
  discount: 'user.commercial',
  shipping: 'user.commercial',
  tax: 'user.commercial',
  order_id: 'user.commercial',
  checkout_id: 'user.commercial',
  // Segment's spec keys carts by cart_id; abandoned-cart journeys key their runs on it (issue 12).
  cart_id: 'user.commercial',
  // Loyalty (issue 14): a `Loyalty Enrolled` event names the terms accepted and the member's market.
  terms_version: 'user.account',
  market: 'user.location.imprecise',
  path: 'user.behavior.browsing_history',
  title: 'user.behavior.browsing_history',
  // Full URLs carry query strings (?email=…, reset tokens); searches are typed text: sealed.
  url: 'user.content',
  referrer: 'user.content',
  search: 'user.content',
};

const BUILT_INS: Record<KeyScope, Map<string, DataCategoryName>> = {
  traits: new Map(Object.entries({ ...COMMON_DEFAULTS, ...TRAIT_DEFAULTS })),
  properties: new Map(Object.entries({ ...COMMON_DEFAULTS, ...PROPERTY_DEFAULTS })),
};

/** Built-in defaults as data (for the admin page and the data map). */
export function builtInCategories(scope: KeyScope): ReadonlyMap<string, DataCategoryName> {
  return BUILT_INS[scope];
}

/** The category of an identifier type (domain/identifiers.ts): what the identities table holds, sealed. */
export function identifierCategory(type: string): DataCategoryName {
  switch (type) {
    case 'email':
      return 'user.contact.email';
    case 'phone':
      return 'user.contact.phone_number';
    case 'anonymous_id':
      return 'user.device.device_id';
    default:
      // user_id and platform IDs (shopify_customer, amazon_buyer …): an account of the person.
      return 'user.unique_id';
  }
}

/** What an order from a connector is, whatever the workspace's rules say of its fields. */
export const ORDER_CATEGORIES: readonly DataCategoryName[] = ['user.financial', 'user.behavior.purchase_history'];

/**
 * How stale a process's copy of the workspace's rules may be (db/data-schema-store.ts re-reads them
 * this often); the reclassification waits twice as long before it pages, so nothing is written under
 * the old rules after it has passed.
 */
export const DATA_SCHEMA_CACHE_TTL_MS = 5_000;

// ---- workspace rules ----

export const MAX_RULE_KEY_LENGTH = 200;
export const MAX_PATTERN_WILDCARDS = 4;
export const MAX_RULES = 1000;

const categorySchema = z.enum(DATA_CATEGORY_NAMES, {
  error: () => `unknown category: use one of ${DATA_CATEGORY_NAMES.join(', ')}`,
});

const ruleKeySchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_RULE_KEY_LENGTH, `must be at most ${MAX_RULE_KEY_LENGTH} characters`);

/** Exactly one of `key` (exact, any spelling) or `pattern` (`*` = any text, dots included). */
const matchSchema = z
  .strictObject({
    key: ruleKeySchema.refine((key) => !key.includes('*'), 'has a *: use "pattern" for globs').optional(),
    pattern: ruleKeySchema
      .refine((pattern) => pattern.includes('*'), 'has no *: use "key" for an exact key')
      .refine(
        (pattern) => pattern.replace(/\*/g, '').replace(/[._\-\s]/g, '') !== '',
        'needs some literal text: a pattern of only * would classify every key',
      )
      .refine(
        (pattern) => (pattern.match(/\*+/g) ?? []).length <= MAX_PATTERN_WILDCARDS,
        `may hold at most ${MAX_PATTERN_WILDCARDS} wildcards`,
      )
      .optional(),
  })
  .refine(
    (match) => (match.key === undefined) !== (match.pattern === undefined),
    'give either key or pattern, not both',
  );

export const dataSchemaRuleSchema = z.strictObject({
  /** `{ key: 'loyalty_tier' }` (exact, any spelling) or `{ pattern: 'utm_*' }` (`*` = any text, dots too). */
  match: matchSchema,
  category: categorySchema,
  /** A sample value, shown on the admin page so reviewers see what the rule covers. */
  example: z.string().max(500, 'must be at most 500 characters').optional(),
});
export type DataSchemaRule = z.infer<typeof dataSchemaRuleSchema>;

export const dataSchemaRulesSchema = z
  .array(dataSchemaRuleSchema)
  .max(MAX_RULES, `at most ${MAX_RULES} rules`)
  .superRefine((rules, context) => {
    const seen = new Map<string, number>();
    rules.forEach((rule, index) => {
      const [kind, text] =
        rule.match.key !== undefined ? ['key', rule.match.key] : ['pattern', rule.match.pattern ?? ''];
      const spelling = `${kind}:${normaliseKey(text)}`;
      const first = seen.get(spelling);
      if (first === undefined) seen.set(spelling, index);
      else context.addIssue({ code: 'custom', path: [index, 'match', kind], message: `repeats rule ${first}` });
    });
  });

export type DataSchemaRulesResult = { ok: true; rules: CompiledRules } | { ok: false; error: string };

/** Parse and compile a workspace's rules; the error names each rule and field ("rules.2.category: …"). */
export function parseDataSchemaRules(input: unknown): DataSchemaRulesResult {
  const parsed = dataSchemaRulesSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: describeIssues(parsed.error, 'rules', { prefixed: true }) };
  }
  return { ok: true, rules: compileRules(parsed.data) };
}

interface CompiledPattern {
  /** Literal pieces between the wildcards, normalised; the pattern is pieces.join('*'). */
  pieces: string[];
  wildcards: number;
  literalLength: number;
  category: DataCategoryName;
}

export interface CompiledRules {
  exact: ReadonlyMap<string, DataCategoryName>;
  /** Most specific first: fewer wildcards, then more literal text, then the order given. */
  patterns: readonly CompiledPattern[];
}

export const NO_RULES: CompiledRules = { exact: new Map(), patterns: [] };

/**
 * Rules ready to match. Patterns are matched by a linear glob matcher, not a RegExp built from the
 * user's text: metacharacters (`.`, `+`, `(`) are literal and no pattern can backtrack badly.
 */
export function compileRules(rules: readonly DataSchemaRule[]): CompiledRules {
  const exact = new Map<string, DataCategoryName>();
  const patterns: (CompiledPattern & { order: number })[] = [];
  rules.forEach((rule, order) => {
    if (rule.match.key !== undefined) {
      const key = normaliseKey(rule.match.key);
      if (!exact.has(key)) exact.set(key, rule.category);
      return;
    }
    const pieces = (rule.match.pattern ?? '')
      .replace(/\*+/g, '*')
      .split('*')
      .map((piece) => normaliseKey(piece));
    patterns.push({
      pieces,
      wildcards: pieces.length - 1,
      literalLength: pieces.reduce((sum, piece) => sum + piece.length, 0),
      category: rule.category,
      order,
    });
  });
  patterns.sort((a, b) => a.wildcards - b.wildcards || b.literalLength - a.literalLength || a.order - b.order);
  return { exact, patterns: patterns.map(({ order: _order, ...pattern }) => pattern) };
}

/**
 * Does `key` match the glob `pieces.join('*')`? The first piece anchors the start, the last the end,
 * and each middle piece is found left-most (greedy-left is optimal for `*`-only globs), so the cost
 * is one indexOf per piece: no backtracking whatever the input.
 */
function globMatches(pieces: readonly string[], key: string): boolean {
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (pieces.length === 1) return key === first;
  if (key.length < first.length + last.length || !key.startsWith(first) || !key.endsWith(last)) return false;
  let position = first.length;
  const end = key.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = key.indexOf(piece, position);
    if (found === -1 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

function workspaceCategory(key: string, rules: CompiledRules): DataCategoryName | undefined {
  return rules.exact.get(key) ?? rules.patterns.find((pattern) => globMatches(pattern.pieces, key))?.category;
}

export interface Classification {
  category: DataCategoryName;
  identifying: boolean;
  source: 'rule' | 'built-in' | 'default';
}

function classification(category: DataCategoryName, source: Classification['source']): Classification {
  return { category, identifying: isIdentifying(category), source };
}

/** The key and its ancestors, nearest first: `a.b.c`, `a.b`, `a`. */
function selfAndAncestors(key: string): string[] {
  const segments = key.split('.');
  return segments.map((_, index) => segments.slice(0, segments.length - index).join('.'));
}

/** The category of a trait (`scope: 'traits'`) or event-property key, as a dot path for nested keys. */
export function classify(key: string, rules: CompiledRules = NO_RULES, scope: KeyScope = 'traits'): Classification {
  const paths = selfAndAncestors(normaliseKey(key));
  for (const path of paths) {
    const category = workspaceCategory(path, rules);
    if (category) return classification(category, 'rule');
  }
  for (const path of paths) {
    const category = BUILT_INS[scope].get(path);
    if (category) return classification(category, 'built-in');
  }
  return classification(UNCLASSIFIED, 'default');
}

export interface ClassifiedSplit {
  /** Identifying values (and unclassified ones): stored only under the person's data key. */
  sealed: Record<string, unknown>;
  /** Values that may also be stored queryable. */
  queryable: Record<string, unknown>;
}

/** Deeper objects than this are classified whole by their path (sealed unless a rule says otherwise). */
export const MAX_SPLIT_DEPTH = 16;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Assign without the `__proto__` setter: a key named `__proto__` stays a key, never a prototype. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** One value of a (possibly nested) record, with the category its dot path resolves to. */
export interface ClassifiedLeaf {
  /** The keys from the top, as given (a key may itself hold a dot). */
  segments: string[];
  /** `segments` joined with dots: the key as profile_traits and the data map name it. */
  path: string;
  value: unknown;
  category: DataCategoryName;
  identifying: boolean;
}

/**
 * Each value of `values` with its category, walked as splitByClassification walks: nested objects are
 * entered (up to MAX_SPLIT_DEPTH), arrays and empty objects are values. Classification of a path is
 * remembered per rule set, so the ingest hot path classifies a key once, not once per event.
 */
export function classifiedLeaves(
  values: Record<string, unknown>,
  rules: CompiledRules = NO_RULES,
  scope: KeyScope = 'traits',
): ClassifiedLeaf[] {
  const leaves: ClassifiedLeaf[] = [];
  walk(values, [], leaves, rules, scope);
  return leaves;
}

/** The leaves put back into nested records (the inverse of classifiedLeaves for the leaves kept). */
export function nestLeaves(leaves: readonly ClassifiedLeaf[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const leaf of leaves) {
    let target = root;
    for (const segment of leaf.segments.slice(0, -1)) {
      const existing = Object.hasOwn(target, segment) ? target[segment] : undefined;
      if (isPlainObject(existing)) target = existing;
      else {
        const child: Record<string, unknown> = {};
        put(target, segment, child);
        target = child;
      }
    }
    put(target, leaf.segments[leaf.segments.length - 1]!, leaf.value);
  }
  return root;
}

/**
 * Split traits (or event properties) into the sealed and the queryable part, keeping the nesting.
 * Nested objects are walked and each value classified by its dot path, so a value without its own
 * category takes its nearest classified ancestor's: `address` (user.contact.address) stays sealed
 * whole unless a more specific key inside it is queryable (`address.city`). Arrays are values.
 */
export function splitByClassification(
  values: Record<string, unknown>,
  rules: CompiledRules = NO_RULES,
  scope: KeyScope = 'traits',
): ClassifiedSplit {
  const leaves = classifiedLeaves(values, rules, scope);
  return {
    sealed: nestLeaves(leaves.filter((leaf) => leaf.identifying)),
    queryable: nestLeaves(leaves.filter((leaf) => !leaf.identifying)),
  };
}

/** Remembered classifications per rule set (a new rule set is a new object: nothing stale is kept). */
const remembered = new WeakMap<CompiledRules, Record<KeyScope, Map<string, Classification>>>();
const REMEMBERED_PER_SCOPE = 20_000;

function classifyRemembered(path: string, rules: CompiledRules, scope: KeyScope): Classification {
  let byScope = remembered.get(rules);
  if (!byScope) {
    byScope = { traits: new Map(), properties: new Map() };
    remembered.set(rules, byScope);
  }
  const known = byScope[scope];
  let found = known.get(path);
  if (!found) {
    found = classify(path, rules, scope);
    // Keys are the sender's to choose: a bounded memory, cleared whole when full.
    if (known.size >= REMEMBERED_PER_SCOPE) known.clear();
    known.set(path, found);
  }
  return found;
}

function walk(
  values: Record<string, unknown>,
  path: string[],
  leaves: ClassifiedLeaf[],
  rules: CompiledRules,
  scope: KeyScope,
): void {
  for (const [key, value] of Object.entries(values)) {
    const segments = [...path, key];
    if (isPlainObject(value) && Object.keys(value).length > 0 && segments.length < MAX_SPLIT_DEPTH) {
      walk(value, segments, leaves, rules, scope);
      continue;
    }
    const joined = segments.join('.');
    const { category, identifying } = classifyRemembered(joined, rules, scope);
    leaves.push({ segments, path: joined, value, category, identifying });
  }
}
