/** The benchmark's segments (scripts/bench/audiences.ts), shared with the processor profile. */

/** The twenty segments; the first is the 4-condition one the preview target is about. */
export function segmentDefinitions(): [string, unknown][] {
  return [
    [
      'premium, viewed twice in 30 days, spent 100+ this year, email consent',
      {
        all: [
          { type: 'trait', key: 'plan', op: 'eq', value: 'premium' },
          { type: 'event', name: 'Product Viewed', atLeast: 2, withinDays: 30 },
          { type: 'order', amount: { atLeast: 10_000 }, withinDays: 365 },
          { type: 'consent', purpose: 'emailMarketing', state: 'granted' },
        ],
      },
    ],
    [
      'viewed a product, no purchase in 7 days',
      { type: 'didNot', did: { name: 'Product Viewed' }, didNot: { purchase: true }, withinDays: 7 },
    ],
    [
      'added to cart, not bought in 3 days',
      { type: 'didNot', did: { name: 'Product Added' }, didNot: { purchase: true }, withinDays: 3 },
    ],
    ['bought 3+ times', { type: 'order', count: { atLeast: 3 } }],
    ['spent 500+ ever', { type: 'order', amount: { atLeast: 50_000 } }],
    ['no order in 180 days', { not: { type: 'order', withinDays: 180 } }],
    ['Japan', { type: 'market', countries: ['JP'] }],
    [
      'EU region, SMS consent',
      {
        all: [
          { type: 'market', regions: ['eu'] },
          { type: 'consent', purpose: 'smsMarketing', state: 'granted' },
        ],
      },
    ],
    [
      'shoe browsers',
      {
        type: 'event',
        name: 'Product Viewed',
        atLeast: 1,
        withinDays: 60,
        where: [{ key: 'category', op: 'eq', value: 'shoes' }],
      },
    ],
    [
      'expensive views',
      { type: 'event', name: 'Product Viewed', withinDays: 30, where: [{ key: 'price', op: 'gte', value: 150 }] },
    ],
    ['searchers who never bought', { all: [{ type: 'event', name: 'Products Searched' }, { not: { type: 'order' } }] }],
    [
      'free plan, active this week',
      {
        all: [
          { type: 'trait', key: 'plan', op: 'eq', value: 'free' },
          { type: 'event', name: 'Page Viewed', withinDays: 7 },
        ],
      },
    ],
    ['young adults', { type: 'trait', key: 'age_range', op: 'in', value: ['18-24', '25-34'] }],
    ['ad consent denied', { type: 'consent', purpose: 'personalisedAds', state: 'denied' }],
    [
      'push reachable premium',
      {
        all: [
          { type: 'consent', purpose: 'push', state: 'granted' },
          { type: 'trait', key: 'plan', op: 'neq', value: 'free' },
        ],
      },
    ],
    ['big JPY spenders', { type: 'order', currency: 'JPY', amount: { atLeast: 20_000 } }],
    [
      'US or Canada, 2+ orders',
      {
        all: [
          { type: 'market', countries: ['US', 'CA'] },
          { type: 'order', count: { atLeast: 2 } },
        ],
      },
    ],
    ['heavy viewers', { type: 'event', name: 'Product Viewed', atLeast: 5 }],
    [
      'lapsed premium',
      {
        all: [{ type: 'trait', key: 'plan', op: 'eq', value: 'premium' }, { not: { type: 'order', withinDays: 365 } }],
      },
    ],
    [
      'browsed but never viewed a product',
      { all: [{ type: 'event', name: 'Page Viewed' }, { not: { type: 'event', name: 'Product Viewed' } }] },
    ],
  ];
}
