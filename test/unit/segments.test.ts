import { describe, expect, it } from 'vitest';
import { compileRules } from '../../domain/data-categories';
import {
  isTimeRelative,
  jurisdictionsGrantingByDefault,
  parseSegmentDefinition,
  SEGMENT_LIMITS,
} from '../../domain/segments';

const error = (input: unknown, rules = compileRules([])) => {
  const parsed = parseSegmentDefinition(input, rules);
  return parsed.ok ? undefined : parsed.error;
};

describe('segment definitions', () => {
  it('accepts nested AND / OR / NOT over every condition type', () => {
    const parsed = parseSegmentDefinition({
      all: [
        {
          any: [
            { type: 'trait', key: 'plan', op: 'in', value: ['pro', 'team'] },
            { type: 'tag', key: 'vip' },
          ],
        },
        { not: { type: 'consent', purpose: 'emailMarketing', state: 'denied' } },
        { type: 'computedTrait', id: 'orders_count', op: 'gte', value: 2 },
        { type: 'market', countries: ['DE', 'AT'] },
        {
          type: 'event',
          name: 'Product Viewed',
          atLeast: 3,
          withinDays: 30,
          where: [{ key: 'category', op: 'eq', value: 'shoes' }],
        },
        { type: 'didNot', did: { name: 'Checkout Started' }, didNot: { name: 'Order Completed' }, withinDays: 2 },
        { type: 'order', amount: { atLeast: 10_000 }, currency: 'EUR', storeIds: ['src_1'], withinDays: 365 },
        { type: 'localTime', hours: { from: 22, to: 6 }, days: ['sat', 'sun'] },
      ],
    });
    expect(parsed.ok).toBe(true);
    // A tag condition defaults to "has".
    expect(parseSegmentDefinition({ type: 'tag', key: 'vip' })).toEqual({
      ok: true,
      definition: { type: 'tag', key: 'vip', has: true },
    });
  });

  it('names the field path and the rule of the first problems', () => {
    expect(error({ any: [{ type: 'trait', key: 'plan', op: 'exists', value: 1 }] })).toBe(
      'definition.any.0.value: exists takes no value',
    );
    expect(error({ type: 'trait', key: 'plan', op: 'gt', value: true })).toBe(
      'definition.value: gt compares numbers or text, not true/false',
    );
    expect(error({ type: 'event', name: 'X', atLeast: 3, atMost: 1 })).toBe(
      'definition.atMost: must not be below atLeast',
    );
    expect(error({ type: 'consent', purpose: 'mail', state: 'granted' })).toMatch(
      /^definition\.purpose: must be one of emailMarketing/,
    );
    expect(error({ type: 'market', countries: ['XX'] })).toBe(
      'definition.countries.0: "XX" is not an ISO 3166-1 alpha-2 code',
    );
    expect(error({ all: [{ type: 'tag', key: 'vip' }], extra: 1 })).toBe(
      'definition.extra: not a field of {"all": […]}',
    );
    expect(error({ type: 'event', name: 'X', withinDays: 0 })).toBe('definition.withinDays: must be at least 1 day');
    expect(error('everyone')).toMatch(/^definition: must be an object/);
  });

  it('enforces the limits on depth and number of conditions', () => {
    const many = { any: Array.from({ length: SEGMENT_LIMITS.conditions + 1 }, () => ({ type: 'tag', key: 'vip' })) };
    expect(error(many)).toMatch(/^definition\.any\.30: more than 30 conditions/);
    let deep: unknown = { type: 'tag', key: 'vip' };
    for (let i = 0; i < SEGMENT_LIMITS.depth; i++) deep = { not: deep };
    expect(error(deep)).toMatch(/nested deeper than 6 levels/);
  });

  it('refuses identifying and unclassified keys, and follows the workspace rules', () => {
    expect(error({ type: 'trait', key: 'phone', op: 'exists' })).toBe(
      'definition.key: "phone" is user.contact.phone_number, an identifying category: it is sealed and a segment may not filter on it',
    );
    expect(error({ type: 'trait', key: 'loyalty_tier', op: 'eq', value: 'gold' })).toMatch(
      /"loyalty_tier" is not classified/,
    );
    expect(error({ type: 'trait', key: 'address.city', op: 'eq', value: 'Lyon' })).toBeUndefined();
    const rules = compileRules([{ match: { key: 'loyalty_tier' }, category: 'user.account' }]);
    expect(error({ type: 'trait', key: 'loyalty_tier', op: 'eq', value: 'gold' }, rules)).toBeUndefined();
    // Event properties use the properties scope: `name` is a product there, url stays sealed.
    expect(error({ type: 'event', name: 'X', where: [{ key: 'name', op: 'eq', value: 'Boot' }] })).toBeUndefined();
    expect(error({ type: 'event', name: 'X', where: [{ key: 'url', op: 'exists' }] })).toMatch(
      /^definition\.where\.0\.key: "url" is user\.content, an identifying category/,
    );
  });

  it('knows which definitions slide with time, and which laws grant a purpose by default', () => {
    expect(isTimeRelative({ type: 'tag', key: 'vip', has: true })).toBe(false);
    expect(isTimeRelative({ not: { type: 'event', name: 'X', withinDays: 7 } })).toBe(true);
    expect(isTimeRelative({ type: 'event', name: 'X' })).toBe(false);
    expect(jurisdictionsGrantingByDefault('emailMarketing')).not.toContain('GDPR');
    expect(jurisdictionsGrantingByDefault('saleSharing')).toContain('CCPA');
  });
});
