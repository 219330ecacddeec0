import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_TRAITS,
  isWindowed,
  parseTraitDefinition,
  traitDefinitionSchema,
  traitInputSchema,
} from '../../domain/computed-traits';

describe('computed trait definitions', () => {
  it('takes every kind a marketer defines, with windows and filters, and fills the defaults', () => {
    const parsed = parseTraitDefinition({
      kind: 'aggregation',
      function: 'avg',
      of: { property: 'product.price' },
      window: { lastDays: 30 },
      where: { event: 'Product Viewed', properties: [{ property: 'category', op: 'in', value: ['shoes', 'bags'] }] },
    });
    expect(parsed).toEqual({
      ok: true,
      definition: {
        kind: 'aggregation',
        function: 'avg',
        of: { property: 'product.price' },
        window: { lastDays: 30 },
        where: { event: 'Product Viewed', properties: [{ property: 'category', op: 'in', value: ['shoes', 'bags'] }] },
      },
    });
    expect(parseTraitDefinition({ kind: 'order_sum' })).toEqual({
      ok: true,
      definition: { kind: 'order_sum', window: 'all_time', where: {} },
    });
    for (const kind of ['event_count', 'order_count', 'order_avg', 'first_order_date', 'last_order_date'])
      expect(parseTraitDefinition({ kind }).ok, kind).toBe(true);
    for (const kind of ['most_frequent', 'first_value', 'last_value', 'unique_list', 'unique_count'])
      expect(parseTraitDefinition({ kind, of: { field: 'locale' } }).ok, kind).toBe(true);
  });

  it('refuses a bad definition naming the field and the rule', () => {
    const reason = (input: unknown) => {
      const parsed = parseTraitDefinition(input);
      return parsed.ok ? 'accepted' : parsed.reason;
    };
    expect(reason({ kind: 'median' })).toMatch(/^definition\.kind: must be one of event_count, aggregation/);
    expect(reason({ kind: 'event_count', window: { lastDays: 0 } })).toBe(
      'definition.window.lastDays: must be at least 1 day',
    );
    expect(reason({ kind: 'event_count', window: 'last week' })).toMatch(/^definition\.window: must be "all_time"/);
    expect(reason({ kind: 'aggregation', function: 'median', of: { property: 'price' } })).toBe(
      'definition.function: must be one of sum, avg, min, max',
    );
    expect(reason({ kind: 'aggregation', function: 'sum', of: { field: 'locale' } })).toBe(
      'definition.of.field: sum needs numbers: aggregate a numeric property or localHour',
    );
    expect(reason({ kind: 'most_frequent', of: { property: 'a b' } })).toMatch(
      /^definition\.of\.property: must be a property name/,
    );
    expect(
      reason({ kind: 'event_count', where: { properties: [{ property: 'price', op: 'gt', value: 'ten' }] } }),
    ).toBe('definition.where.properties.0.value: must be a number for "gt"');
    expect(reason({ kind: 'event_count', where: { properties: [{ property: 'x', op: 'exists', value: 1 }] } })).toBe(
      'definition.where.properties.0.value: must be left out: "exists" takes no value',
    );
    expect(reason({ kind: 'home_market' })).toBe('definition.kind: "home_market" is reserved for the built-in traits');
    expect(reason({ kind: 'order_count', where: { currencies: ['euro'] } })).toMatch(
      /^definition\.where\.currencies\.0: must be ISO 4217 codes/,
    );
    const input = traitInputSchema.safeParse({ id: 'Bad Id', name: 'x', definition: { kind: 'event_count' } });
    expect(input.success).toBe(false);
  });

  it('has the built-in traits the issue names, valid, with windows only where they slide', () => {
    expect(BUILT_IN_TRAITS.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'orders_count',
        'revenue',
        'average_order_value',
        'first_order_date',
        'last_order_date',
        'last_seen',
        'preferred_local_hour',
        'preferred_language',
        'home_market',
        'channels_used',
      ]),
    );
    for (const trait of BUILT_IN_TRAITS) {
      expect(traitDefinitionSchema.parse(trait.definition)).toEqual(trait.definition);
      expect(isWindowed(trait.definition)).toBe(false);
    }
    expect(isWindowed(traitDefinitionSchema.parse({ kind: 'event_count', window: { lastDays: 7 } }))).toBe(true);
  });
});
