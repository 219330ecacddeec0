import { describe, expect, it } from 'vitest';
import {
  builtInCategories,
  classifiedLeaves,
  classify,
  identifierCategory,
  compileRules,
  DATA_CATEGORIES,
  DATA_CATEGORY_NAMES,
  type DataSchemaRule,
  isDataCategory,
  isIdentifying,
  normaliseKey,
  parseDataSchemaRules,
  splitByClassification,
} from '../../domain/data-categories';

function rules(input: DataSchemaRule[]) {
  const parsed = parseDataSchemaRules(input);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.rules;
}

function errorOf(input: unknown): string {
  const parsed = parseDataSchemaRules(input);
  if (parsed.ok) throw new Error('expected the rules to be refused');
  return parsed.error;
}

describe('taxonomy', () => {
  it('has unique Fideslang-style dotted names, each described', () => {
    expect(new Set(DATA_CATEGORY_NAMES).size).toBe(DATA_CATEGORIES.length);
    for (const category of DATA_CATEGORIES) {
      expect(category.name).toMatch(/^(user|system)(\.[a-z_]+)+$/);
      expect(category.description.length).toBeGreaterThan(3);
    }
  });

  it('seals directly identifying categories and the unclassified default', () => {
    for (const name of [
      'user.contact.email',
      'user.contact.phone_number',
      'user.contact.address',
      'user.contact.address.street',
      'user.contact.address.postal_code',
      'user.name',
      'user.name.first',
      'user.name.last',
      'user.demographic.date_of_birth',
      'user.device.ip_address',
      'user.device.device_id',
      'user.unique_id',
      'user.government_id',
      'user.financial',
      'user.financial.bank_account',
      'user.financial.payment_card',
      'user.content',
      'user.location.precise',
      'user.unclassified',
    ] as const) {
      expect(isIdentifying(name), name).toBe(true);
    }
  });

  it('keeps non-identifying categories queryable', () => {
    for (const name of [
      'user.contact.address.city',
      'user.contact.address.state',
      'user.contact.address.country',
      'user.demographic.gender',
      'user.demographic.age_range',
      'user.behavior',
      'user.behavior.browsing_history',
      'user.behavior.purchase_history',
      'user.location.imprecise',
      'user.preference',
      'user.commercial',
      'system.operations',
    ] as const) {
      expect(isIdentifying(name), name).toBe(false);
    }
  });

  it('knows its own names only', () => {
    expect(isDataCategory('user.contact.email')).toBe(true);
    expect(isDataCategory('user.contact')).toBe(false);
    expect(isDataCategory('user.contact.EMAIL')).toBe(false);
  });

  it('every built-in default names a category of the taxonomy', () => {
    for (const scope of ['traits', 'properties'] as const) {
      for (const [key, category] of builtInCategories(scope)) {
        expect(isDataCategory(category), `${scope} ${key}`).toBe(true);
        expect(normaliseKey(key), 'built-in keys are written normalised').toBe(key);
      }
    }
  });
});

describe('key spellings', () => {
  it('treats camelCase, snake_case, kebab-case and case alike', () => {
    for (const spelling of ['firstName', 'first_name', 'first-name', 'FirstName', 'FIRST_NAME', 'first name']) {
      expect(normaliseKey(spelling), spelling).toBe('first_name');
      expect(classify(spelling).category, spelling).toBe('user.name.first');
    }
  });

  it('splits acronyms at the word boundary', () => {
    expect(normaliseKey('IPAddress')).toBe('ip_address');
    expect(normaliseKey('userID')).toBe('user_id');
    expect(classify('userId').category).toBe('user.unique_id');
  });

  it('normalises each segment of a dot path', () => {
    expect(normaliseKey('Address.PostalCode')).toBe('address.postal_code');
    expect(classify('address.postalCode').category).toBe('user.contact.address.postal_code');
  });
});

describe('built-in defaults', () => {
  it("resolves every trait of Segment's identify spec", () => {
    const expected: Record<string, string> = {
      address: 'user.contact.address',
      age: 'user.demographic.age',
      avatar: 'user.contact.url',
      birthday: 'user.demographic.date_of_birth',
      company: 'user.workplace',
      createdAt: 'user.account',
      description: 'user.content',
      email: 'user.contact.email',
      firstName: 'user.name.first',
      gender: 'user.demographic.gender',
      id: 'user.unique_id',
      lastName: 'user.name.last',
      name: 'user.name',
      phone: 'user.contact.phone_number',
      title: 'user.job_title',
      username: 'user.account.username',
      website: 'user.contact.url',
    };
    for (const [key, category] of Object.entries(expected)) {
      expect(classify(key), key).toEqual({
        category,
        identifying: isIdentifying(category as never),
        source: 'built-in',
      });
    }
    expect(classify('email').identifying).toBe(true);
    expect(classify('gender').identifying).toBe(false);
  });

  it("resolves Segment's e-commerce and page properties", () => {
    const expected: Record<string, string> = {
      product_id: 'user.behavior',
      sku: 'user.behavior',
      category: 'user.behavior',
      name: 'user.behavior',
      brand: 'user.behavior',
      variant: 'user.behavior',
      price: 'user.commercial',
      quantity: 'user.commercial',
      coupon: 'user.commercial',
      currency: 'user.commercial',
      revenue: 'user.commercial',
      total: 'user.commercial',
      order_id: 'user.commercial',
      path: 'user.behavior.browsing_history',
      title: 'user.behavior.browsing_history',
      url: 'user.content',
      referrer: 'user.content',
      search: 'user.content',
      'context.ip': 'user.device.ip_address',
      'context.locale': 'user.preference',
      'context.timezone': 'user.preference',
    };
    for (const [key, category] of Object.entries(expected)) {
      expect(classify(key, undefined, 'properties').category, key).toBe(category);
    }
    expect(classify('orderId', undefined, 'properties').identifying).toBe(false);
    expect(classify('url', undefined, 'properties').identifying, 'query strings carry emails').toBe(true);
  });

  it('reads a key by its scope: a name trait is a person, a name property a product', () => {
    expect(classify('name', undefined, 'traits')).toMatchObject({ category: 'user.name', identifying: true });
    expect(classify('name', undefined, 'properties')).toMatchObject({ category: 'user.behavior', identifying: false });
    expect(classify('context.ip', undefined, 'traits').category).toBe('user.device.ip_address');
  });

  it('makes address parts queryable where they do not point at a person', () => {
    expect(classify('address.city').identifying).toBe(false);
    expect(classify('address.country').identifying).toBe(false);
    expect(classify('address.state').identifying).toBe(false);
    expect(classify('address.street').identifying).toBe(true);
    expect(classify('address.postal_code').identifying).toBe(true);
  });

  it('gives a nested key without its own default its ancestor category', () => {
    expect(classify('address.apartment')).toEqual({
      category: 'user.contact.address',
      identifying: true,
      source: 'built-in',
    });
    expect(classify('company.industry').category).toBe('user.workplace');
  });
});

describe('unknown keys', () => {
  it('default to user.unclassified, sealed until classified', () => {
    for (const key of ['loyalty_tier', 'favouriteColour', 'x', 'shipping.email', 'contact.phone']) {
      expect(classify(key), key).toEqual({ category: 'user.unclassified', identifying: true, source: 'default' });
    }
  });
});

describe('workspace rules', () => {
  it('an exact rule classifies a key in any spelling', () => {
    const compiled = rules([{ match: { key: 'loyalty_tier' }, category: 'user.commercial', example: 'gold' }]);
    for (const key of ['loyalty_tier', 'loyaltyTier', 'Loyalty-Tier']) {
      expect(classify(key, compiled), key).toEqual({ category: 'user.commercial', identifying: false, source: 'rule' });
    }
  });

  it('an exact rule overrides a built-in default', () => {
    const compiled = rules([{ match: { key: 'email' }, category: 'user.unclassified' }]);
    expect(classify('email', compiled).source).toBe('rule');
    const gender = rules([{ match: { key: 'gender' }, category: 'user.unclassified' }]);
    expect(classify('gender', gender)).toMatchObject({ identifying: true, source: 'rule' });
  });

  it('exact rules come before patterns, patterns before built-ins', () => {
    const compiled = rules([
      { match: { pattern: '*_code' }, category: 'user.preference' },
      { match: { key: 'promo_code' }, category: 'user.commercial' },
      { match: { pattern: 'postal*' }, category: 'user.location.imprecise' },
    ]);
    expect(classify('promoCode', compiled)).toMatchObject({ category: 'user.commercial', source: 'rule' });
    expect(classify('language_code', compiled)).toMatchObject({ category: 'user.preference', source: 'rule' });
    expect(classify('postal_code', compiled)).toMatchObject({ category: 'user.location.imprecise', source: 'rule' });
    expect(classify('email', compiled).source).toBe('built-in');
  });

  it('the most specific pattern wins: fewer wildcards, then more literal text, then order', () => {
    const compiled = rules([
      { match: { pattern: '*e*' }, category: 'user.unclassified' },
      { match: { pattern: 'utm_*' }, category: 'user.behavior' },
      { match: { pattern: 'utm_source*' }, category: 'user.preference' },
      { match: { pattern: 'ab*' }, category: 'user.commercial' },
      { match: { pattern: '*ab' }, category: 'user.workplace' },
    ]);
    expect(classify('utm_source_x', compiled).category, 'more literal text').toBe('user.preference');
    expect(classify('utm_campaign', compiled).category, 'one wildcard before two').toBe('user.behavior');
    expect(classify('some_key', compiled).category).toBe('user.unclassified');
    expect(classify('ab_x_ab', compiled).category, 'a tie: the first given').toBe('user.commercial');
  });

  it('matches patterns across spellings and dots (*.email)', () => {
    const compiled = rules([
      { match: { pattern: 'utm_*' }, category: 'user.behavior' },
      { match: { pattern: '*.email' }, category: 'user.contact.email' },
      { match: { pattern: '*Score' }, category: 'user.commercial' },
    ]);
    expect(classify('utmSource', compiled).category).toBe('user.behavior');
    expect(classify('utm-medium', compiled).category).toBe('user.behavior');
    expect(classify('shipping.email', compiled).category).toBe('user.contact.email');
    expect(classify('a.b.Email', compiled).category).toBe('user.contact.email');
    expect(classify('email', compiled).source, 'no dot: the built-in').toBe('built-in');
    expect(classify('churn_score', compiled).category).toBe('user.commercial');
    expect(classify('scored', compiled).source).toBe('default');
  });

  it('matches a middle wildcard piece only between the anchors', () => {
    const compiled = rules([{ match: { pattern: 'ab*ba*ab' }, category: 'user.behavior' }]);
    expect(classify('ab_ba_ab', compiled).source).toBe('rule');
    expect(classify('abba_ab', compiled).source).toBe('rule');
    expect(classify('abab', compiled).source, 'pieces may not overlap').toBe('default');
    expect(classify('ab_x_ab', compiled).source).toBe('default');
  });

  it('treats regex metacharacters in a pattern as literal text', () => {
    const compiled = rules([
      { match: { pattern: 'a.b+(c)*' }, category: 'user.behavior' },
      { match: { pattern: '[x]|y$*' }, category: 'user.commercial' },
    ]);
    expect(classify('a.b+(c)z', compiled).category).toBe('user.behavior');
    expect(classify('aXbb(c)z', compiled).source, '. is not any character').toBe('default');
    expect(classify('abc', compiled).source).toBe('default');
    expect(classify('[x]|y$1', compiled).category).toBe('user.commercial');
    expect(classify('x', compiled).source).toBe('default');
    expect(classify('y', compiled).source).toBe('default');
  });

  it('a workspace rule on an ancestor beats a built-in on the key inside it', () => {
    const compiled = rules([{ match: { key: 'billing' }, category: 'user.financial' }]);
    expect(classify('billing.country', compiled)).toMatchObject({ category: 'user.financial', source: 'rule' });
    const address = rules([{ match: { key: 'address' }, category: 'user.contact.address' }]);
    expect(classify('address.city', address)).toMatchObject({ identifying: true, source: 'rule' });
  });

  // No timing assertion: a backtracking matcher (a*a*a*a*b as a RegExp) would not finish at all.
  it('a very long key and a long pattern match without blowing up', () => {
    const compiled = rules([
      { match: { pattern: `${'a*'.repeat(4)}b` }, category: 'user.behavior' },
      { match: { pattern: `${'x'.repeat(190)}*` }, category: 'user.commercial' },
    ]);
    const long = 'a'.repeat(200_000);
    expect(classify(long, compiled).source).toBe('default');
    expect(classify(`${long}b`, compiled).category).toBe('user.behavior');
    expect(classify(`${'x'.repeat(190)}${long}`, compiled).category).toBe('user.commercial');
    expect(classify(`${'a.'.repeat(5_000)}city`, compiled).source).toBe('default');
  });
});

describe('rule validation', () => {
  it('refuses an unknown category and lists the valid ones', () => {
    const error = errorOf([{ match: { key: 'tier' }, category: 'user.loyalty' }]);
    expect(error).toMatch(/^rules\.0\.category: unknown category: use one of user\.contact\.email, /);
    expect(error).toContain('user.unclassified');
  });

  it('names the rule and field of each problem', () => {
    const error = errorOf([
      { match: { key: 'ok' }, category: 'user.behavior' },
      { match: { key: '' }, category: 'user.behavior' },
      { match: { pattern: 'utm' }, category: 'user.behavior' },
      { match: { key: 'utm_*' }, category: 'user.behavior' },
    ]);
    expect(error).toContain('rules.1.match.key: must not be empty');
    expect(error).toContain('rules.2.match.pattern: has no *: use "key" for an exact key');
    expect(error).toContain('rules.3.match.key: has a *: use "pattern" for globs');
    expect(error).not.toContain('rules.0');
  });

  it('needs exactly one of key or pattern', () => {
    expect(errorOf([{ match: {}, category: 'user.behavior' }])).toBe(
      'rules.0.match: give either key or pattern, not both',
    );
    expect(errorOf([{ match: { key: 'a', pattern: 'b*' }, category: 'user.behavior' }])).toBe(
      'rules.0.match: give either key or pattern, not both',
    );
  });

  it('refuses a pattern that would match everything, too many wildcards, or a long key', () => {
    expect(errorOf([{ match: { pattern: '*' }, category: 'user.behavior' }])).toContain(
      'rules.0.match.pattern: needs some literal text',
    );
    expect(errorOf([{ match: { pattern: '*.*' }, category: 'user.behavior' }])).toContain('needs some literal text');
    expect(errorOf([{ match: { pattern: 'a*b*c*d*e*f' }, category: 'user.behavior' }])).toContain(
      'rules.0.match.pattern: may hold at most 4 wildcards',
    );
    expect(errorOf([{ match: { key: 'k'.repeat(201) }, category: 'user.behavior' }])).toContain(
      'rules.0.match.key: must be at most 200 characters',
    );
  });

  it('refuses unknown fields and a rule repeated in another spelling', () => {
    expect(errorOf([{ match: { key: 'a' }, category: 'user.behavior', regex: '.*' }])).toMatch(/^rules\.0: /);
    expect(errorOf([{ match: { key: 'a', regex: '.*' }, category: 'user.behavior' }])).toMatch(/^rules\.0\.match: /);
    expect(
      errorOf([
        { match: { key: 'loyaltyTier' }, category: 'user.behavior' },
        { match: { key: 'loyalty_tier' }, category: 'user.commercial' },
      ]),
    ).toBe('rules.1.match.key: repeats rule 0');
  });

  it('refuses something that is not a list', () => {
    expect(errorOf({ match: { key: 'a' } })).toMatch(/^rules: /);
  });

  it('accepts rules with an example and compiles them', () => {
    const parsed = parseDataSchemaRules([{ match: { key: ' tier ' }, category: 'user.commercial', example: 'gold' }]);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(classify('tier', parsed.rules).category).toBe('user.commercial');
  });

  it('compileRules keeps the first of two exact rules', () => {
    const compiled = compileRules([
      { match: { key: 'a' }, category: 'user.behavior' },
      { match: { key: 'A' }, category: 'user.commercial' },
    ]);
    expect(classify('a', compiled).category).toBe('user.behavior');
  });
});

describe('splitByClassification', () => {
  it('splits flat traits into sealed and queryable', () => {
    const split = splitByClassification({
      email: 'ana@example.com',
      firstName: 'Ana',
      gender: 'female',
      plan: 'pro',
      loyalty_tier: 'gold',
    });
    expect(split.sealed).toEqual({ email: 'ana@example.com', firstName: 'Ana', loyalty_tier: 'gold' });
    expect(split.queryable).toEqual({ gender: 'female', plan: 'pro' });
  });

  it('keeps the nesting, and an address sealed except its city, state and country', () => {
    const split = splitByClassification({
      address: { street: '1 Main St', city: 'Lisbon', postalCode: '1100-148', country: 'PT', unit: '2B' },
    });
    expect(split.sealed).toEqual({ address: { street: '1 Main St', postalCode: '1100-148', unit: '2B' } });
    expect(split.queryable).toEqual({ address: { city: 'Lisbon', country: 'PT' } });
  });

  it('keeps an object whole on one side when everything inside shares its category', () => {
    const company = { name: 'Acme', industry: 'retail', employee_count: 40 };
    const split = splitByClassification({ company });
    expect(split.queryable).toEqual({ company });
    expect(split.sealed).toEqual({});
  });

  it('recurses into unclassified objects and classifies each value by its path', () => {
    const compiled = rules([{ match: { pattern: '*.email' }, category: 'user.contact.email' }]);
    const split = splitByClassification(
      { prefs: { shipping: { email: 'a@b.c', speed: 'fast' } }, utm: {} },
      rules([
        { match: { pattern: '*.email' }, category: 'user.contact.email' },
        { match: { key: 'prefs.shipping.speed' }, category: 'user.preference' },
      ]),
    );
    expect(split.sealed).toEqual({ prefs: { shipping: { email: 'a@b.c' } }, utm: {} });
    expect(split.queryable).toEqual({ prefs: { shipping: { speed: 'fast' } } });
    expect(classify('prefs.shipping.email', compiled).source).toBe('rule');
  });

  it('classifies event properties by the properties scope', () => {
    const split = splitByClassification(
      { product_id: 'p1', price: 12.5, name: 'Mug', url: 'https://shop.example/?email=a@b.c' },
      undefined,
      'properties',
    );
    expect(split.queryable).toEqual({ product_id: 'p1', price: 12.5, name: 'Mug' });
    expect(split.sealed).toEqual({ url: 'https://shop.example/?email=a@b.c' });
  });

  it('treats arrays and nulls as values', () => {
    const compiled = rules([{ match: { key: 'tags' }, category: 'user.behavior' }]);
    const split = splitByClassification({ tags: ['a', { email: 'x@y.z' }], phone: null }, compiled);
    expect(split.queryable).toEqual({ tags: ['a', { email: 'x@y.z' }] });
    expect(split.sealed).toEqual({ phone: null });
  });

  it('a __proto__ key stays a key and pollutes no prototype (prototype pollution)', () => {
    const traits = JSON.parse('{"__proto__": {"polluted": true}, "gender": "f", "a": {"__proto__": {"x": 1}}}');
    const split = splitByClassification(traits);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(split.sealed)).toBe(Object.prototype);
    expect(Object.hasOwn(split.sealed, '__proto__')).toBe(true);
    expect(JSON.stringify(split.sealed)).toBe('{"__proto__":{"polluted":true},"a":{"__proto__":{"x":1}}}');
    expect(split.queryable).toEqual({ gender: 'f' });
  });

  it('classifies an object nested beyond the depth limit whole, sealed by default', () => {
    let deep: Record<string, unknown> = { email: 'deep@example.com' };
    for (let level = 0; level < 40; level++) deep = { level: deep };
    const split = splitByClassification({ deep, gender: 'f' });
    expect(split.queryable).toEqual({ gender: 'f' });
    expect(JSON.stringify(split.sealed)).toContain('deep@example.com');
  });
});

describe('classifiedLeaves', () => {
  it('gives each value its dot path and category, as splitByClassification splits them', () => {
    const traits = { email: 'a@b.c', address: { city: 'Lyon', street: '1 rue X' }, loyaltyTier: 'gold', tags: ['x'] };
    const leaves = classifiedLeaves(traits, rules([{ match: { key: 'loyalty_tier' }, category: 'user.behavior' }]));
    expect(leaves.map((l) => [l.path, l.category, l.identifying])).toEqual([
      ['email', 'user.contact.email', true],
      ['address.city', 'user.contact.address.city', false],
      ['address.street', 'user.contact.address.street', true],
      ['loyaltyTier', 'user.behavior', false],
      ['tags', 'user.unclassified', true],
    ]);
    expect(leaves[1]!.segments).toEqual(['address', 'city']);
  });

  it('remembers a classification per rule set: a new rule set classifies anew', () => {
    const before = rules([{ match: { key: 'tier' }, category: 'user.behavior' }]);
    const after = rules([{ match: { key: 'tier' }, category: 'user.unclassified' }]);
    expect(classifiedLeaves({ tier: 'a' }, before)[0]!.identifying).toBe(false);
    expect(classifiedLeaves({ tier: 'a' }, after)[0]!.identifying).toBe(true);
    expect(classifiedLeaves({ tier: 'a' }, before)[0]!.identifying).toBe(false);
  });
});

describe('identifierCategory', () => {
  it('names what the identities table holds of each identifier type', () => {
    expect(identifierCategory('email')).toBe('user.contact.email');
    expect(identifierCategory('phone')).toBe('user.contact.phone_number');
    expect(identifierCategory('anonymous_id')).toBe('user.device.device_id');
    expect(identifierCategory('user_id')).toBe('user.unique_id');
    expect(identifierCategory('shopify_customer')).toBe('user.unique_id');
    for (const type of ['email', 'phone', 'anonymous_id', 'user_id'])
      expect(isIdentifying(identifierCategory(type))).toBe(true);
  });
});
