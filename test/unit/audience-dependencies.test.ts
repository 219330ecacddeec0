import { describe, expect, it } from 'vitest';
import {
  affectedCustomers,
  causesOfCall,
  isSpecificCause,
  segmentDependencies,
  traitDependencies,
} from '../../domain/audience-dependencies';
import { BUILT_IN_TRAITS } from '../../domain/computed-traits';
import type { SegmentNode } from '../../domain/segments';

const causes = (entries: Record<string, string[]>) =>
  new Map(Object.entries(entries).map(([id, list]) => [id, new Set(list)]));

describe('what the audience processor evaluates for what changed', () => {
  it('names a call by its event, its type, and whether it carries traits', () => {
    expect(causesOfCall({ type: 'track', event: 'Product Viewed', traits: {} })).toEqual(['event:Product Viewed']);
    expect(causesOfCall({ type: 'identify', traits: { plan: 'pro' } })).toEqual(['identify', 'trait']);
    expect(causesOfCall({ type: 'page', traits: {} })).toEqual(['page']);
  });

  it('evaluates "viewed, no purchase in 7 days" for views and purchases only', () => {
    const retargeting: SegmentNode = {
      type: 'didNot',
      did: { name: 'Product Viewed' },
      didNot: { purchase: true },
      withinDays: 7,
    };
    const test = segmentDependencies(retargeting);
    const changed = causes({
      viewer: ['event:Product Viewed'],
      buyer: ['order'],
      tracked_buyer: ['event:Order Completed'],
      reader: ['page'],
      consenter: ['consent'],
      merged: ['merge'],
    });
    expect(affectedCustomers(changed, test).sort()).toEqual(['buyer', 'merged', 'tracked_buyer', 'viewer']);
  });

  it('follows AND/OR/NOT down to every condition', () => {
    const node: SegmentNode = {
      all: [
        { type: 'trait', key: 'plan', op: 'eq', value: 'premium' },
        {
          not: {
            any: [
              { type: 'consent', purpose: 'emailMarketing', state: 'granted' },
              { type: 'tag', key: 'vip', has: true },
            ],
          },
        },
      ],
    };
    const test = segmentDependencies(node);
    expect(['trait', 'consent', 'tag'].every(test)).toBe(true);
    expect(['order', 'event:Product Viewed', 'computed', 'page'].some(test)).toBe(false);
  });

  it('recomputes order totals on orders, and last seen on any event, never on consent', () => {
    const byId = new Map(BUILT_IN_TRAITS.map((t) => [t.id, traitDependencies(t.definition)]));
    for (const id of ['orders_count', 'revenue', 'average_order_value', 'first_order_date', 'last_order_date']) {
      expect(byId.get(id)!('order'), id).toBe(true);
      expect(byId.get(id)!('page'), id).toBe(false);
      expect(byId.get(id)!('event:Product Viewed'), id).toBe(false);
    }
    for (const id of ['last_seen', 'preferred_local_hour', 'preferred_language']) {
      expect(byId.get(id)!('page'), id).toBe(true);
      expect(byId.get(id)!('event:Product Viewed'), id).toBe(true);
      expect(byId.get(id)!('order'), id).toBe(false);
    }
    expect([...byId.values()].some((test) => test('tag'))).toBe(false);
  });
});

describe("Meridian's own passes", () => {
  it('send a recompute’s moves only to what reads membership, and predictions to what reads traits or tags', () => {
    const onTags: SegmentNode = { type: 'tag', key: 'churn_risk_high', has: true };
    const onOrders: SegmentNode = { type: 'order', count: { atLeast: 2 } };
    const changed = causes({ moved: ['segment'], scored: ['prediction'], slid: ['computed'] });
    expect(affectedCustomers(changed, segmentDependencies(onTags)).sort()).toEqual(['scored']);
    expect(affectedCustomers(changed, segmentDependencies(onOrders))).toEqual([]);
    expect(
      affectedCustomers(
        changed,
        segmentDependencies({ type: 'computedTrait', id: 'revenue', op: 'gt', value: 1 }),
      ).sort(),
    ).toEqual(['scored', 'slid']);
    // Specific: reactors that act on any unspecific change (loyalty, ad conversions) leave them alone.
    for (const own of ['segment', 'prediction', 'computed']) expect(isSpecificCause(own), own).toBe(true);
    expect(isSpecificCause('merge')).toBe(false);
  });
});

describe('a computed value that changed', () => {
  it('re-evaluates only the segments that read that trait (a page view moving last_seen leaves market segments alone)', () => {
    const japan: SegmentNode = { type: 'market', countries: ['JP'] };
    const bigSpenders: SegmentNode = { type: 'computedTrait', id: 'revenue', op: 'gt', value: 10_000 };
    const changed = causes({
      browsed: ['page', 'computed:last_seen'],
      ordered: ['order', 'computed:home_market', 'computed:revenue'],
      slid: ['computed'],
    });
    expect(affectedCustomers(changed, segmentDependencies(japan)).sort()).toEqual(['ordered', 'slid']);
    expect(affectedCustomers(changed, segmentDependencies(bigSpenders)).sort()).toEqual(['ordered', 'slid']);
    expect(
      affectedCustomers(changed, segmentDependencies({ type: 'computedTrait', id: 'last_seen', op: 'exists' })).sort(),
    ).toEqual(['browsed', 'slid']);
  });
});
