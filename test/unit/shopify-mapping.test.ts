import { describe, expect, it } from 'vitest';
import { mapShopifyCustomer, mapShopifyOrder } from '../../connectors/shopify/mapping';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../../domain/commerce';

/** Payloads as Shopify's REST Admin API (and test/emulators/shopify.ts) writes them. */
const EMAIL = 'yui.tanaka.7@example.com';
const PHONE = '+819012345678';

function shopifyCustomer(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 7310000001000,
    email: EMAIL,
    created_at: '2025-01-15T09:12:44+09:00',
    updated_at: '2025-04-02T18:00:05+09:00',
    first_name: 'Yui',
    last_name: 'Tanaka',
    state: 'enabled',
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    tags: 'vip, newsletter',
    currency: 'JPY',
    phone: PHONE,
    addresses: [],
    tax_exemptions: [],
    email_marketing_consent: {
      state: 'subscribed',
      opt_in_level: 'single_opt_in',
      consent_updated_at: '2025-01-15T09:12:44+09:00',
    },
    sms_marketing_consent: {
      state: 'not_subscribed',
      opt_in_level: 'single_opt_in',
      consent_updated_at: null,
      consent_collected_from: 'OTHER',
    },
    admin_graphql_api_id: 'gid://shopify/Customer/7310000001000',
    default_address: {
      id: 7310000001001,
      customer_id: 7310000001000,
      first_name: 'Yui',
      last_name: 'Tanaka',
      company: null,
      address1: '12 Market Street',
      address2: null,
      city: 'Shibuya',
      province_code: 'JP-13',
      country_code: 'JP',
      zip: '150-0002',
      phone: null,
      default: true,
    },
    ...change,
  };
}

function orderAddress(countryCode: string): Record<string, unknown> {
  return {
    first_name: 'Yui',
    last_name: 'Tanaka',
    name: 'Yui Tanaka',
    address1: '12 Market Street',
    city: 'Shibuya',
    zip: '150-0002',
    province_code: null,
    country_code: countryCode,
    phone: null,
  };
}

function shopifyOrder(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 5920000001000,
    admin_graphql_api_id: 'gid://shopify/Order/5920000001000',
    name: '#1001',
    order_number: 1001,
    number: 1,
    email: EMAIL,
    contact_email: EMAIL,
    phone: PHONE,
    created_at: '2025-05-09T14:03:00+09:00',
    processed_at: '2025-05-09T14:03:00+09:00',
    updated_at: '2025-05-09T14:05:00+09:00',
    closed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    currency: 'JPY',
    presentment_currency: 'JPY',
    subtotal_price: '3600',
    total_line_items_price: '3600',
    total_tax: '360',
    total_price: '3960',
    taxes_included: false,
    financial_status: 'paid',
    fulfillment_status: null,
    confirmed: true,
    test: false,
    tags: '',
    source_name: 'web',
    customer: shopifyCustomer(),
    line_items: [
      {
        id: 5920000001001,
        sku: 'MRD-MUG-02',
        title: 'Stoneware mug',
        name: 'Stoneware mug',
        quantity: 2,
        price: '1800',
        taxable: true,
        requires_shipping: true,
      },
    ],
    billing_address: orderAddress('JP'),
    shipping_address: orderAddress('JP'),
    ...change,
  };
}

const SOURCE = { sourceId: 'src_shopify_jp' };
const TOKYO = { ...SOURCE, shopTimeZone: 'Asia/Tokyo' };

function mappedOrder(change: Record<string, unknown> = {}, ctx = TOKYO): CanonicalOrder {
  const result = mapShopifyOrder(shopifyOrder(change), ctx);
  if (!result.ok) throw new Error(`expected the order to map, got: ${result.rejected.reason}`);
  return result.record;
}

function mappedCustomer(change: Record<string, unknown> = {}): CanonicalCustomer {
  const result = mapShopifyCustomer(shopifyCustomer(change), SOURCE);
  if (!result.ok) throw new Error(`expected the customer to map, got: ${result.rejected.reason}`);
  return result.record;
}

function rejectedOrder(change: Record<string, unknown>): RejectedRecord {
  const result = mapShopifyOrder(shopifyOrder(change), TOKYO);
  if (result.ok) throw new Error('expected the order to be rejected');
  return result.rejected;
}

/** A rejection must be safe to log and to put in a workflow history. */
function expectNoPersonalData(reason: string): void {
  expect(reason).not.toContain(EMAIL);
  expect(reason).not.toContain(PHONE);
  expect(reason).not.toContain('Tanaka');
}

describe('mapShopifyOrder: money', () => {
  it.each([
    {
      currency: 'JPY',
      total: '3960',
      subtotal: '3600',
      tax: '360',
      totalMinor: '3960',
      subtotalMinor: '3600',
      taxMinor: '360',
    },
    {
      currency: 'EUR',
      total: '19.99',
      subtotal: '18.17',
      tax: '1.82',
      totalMinor: '1999',
      subtotalMinor: '1817',
      taxMinor: '182',
    },
    {
      currency: 'BRL',
      total: '1234.50',
      subtotal: '1122.28',
      tax: '112.22',
      totalMinor: '123450',
      subtotalMinor: '112228',
      taxMinor: '11222',
    },
    {
      currency: 'THB',
      total: '590.00',
      subtotal: '551.40',
      tax: '38.60',
      totalMinor: '59000',
      subtotalMinor: '55140',
      taxMinor: '3860',
    },
    {
      currency: 'KWD',
      total: '1.250',
      subtotal: '1.137',
      tax: '0.113',
      totalMinor: '1250',
      subtotalMinor: '1137',
      taxMinor: '113',
    },
  ])(
    'maps $currency $total to exact minor units',
    ({ currency, total, subtotal, tax, totalMinor, subtotalMinor, taxMinor }) => {
      const order = mappedOrder({
        currency,
        presentment_currency: currency,
        total_price: total,
        subtotal_price: subtotal,
        total_tax: tax,
      });
      expect(order).toMatchObject({ currency, totalMinor, subtotalMinor, taxMinor });
    },
  );

  it('keeps amounts beyond floating-point precision exact', () => {
    expect(mappedOrder({ currency: 'KWD', total_price: '9007199254740.993' }).totalMinor).toBe('9007199254740993');
  });

  it('leaves out subtotal and tax when Shopify does not send them', () => {
    const order = mappedOrder({ subtotal_price: null, total_tax: undefined });
    expect(order).not.toHaveProperty('subtotalMinor');
    expect(order).not.toHaveProperty('taxMinor');
    expect(order.totalMinor).toBe('3960');
  });
});

describe('mapShopifyOrder: time', () => {
  it('stores the UTC instant and the local date of a Tokyo order placed at 00:30', () => {
    const order = mappedOrder({ created_at: '2025-05-09T00:30:00+09:00', processed_at: '2025-05-09T00:30:00+09:00' });
    expect(order.placedAt).toBe('2025-05-08T15:30:00.000Z');
    expect(order).toMatchObject({ timeZone: 'Asia/Tokyo', localDate: '2025-05-09', localHour: 0 });
  });

  it('gives the right local hour around the Berlin spring-forward on 2025-03-30', () => {
    const berlin = { ...SOURCE, shopTimeZone: 'Europe/Berlin' };
    const at = (time: string) => mappedOrder({ currency: 'EUR', total_price: '19.99', processed_at: time }, berlin);
    // 01:30 CET is 00:30 UTC; at 01:00 UTC clocks jump from 02:00 to 03:00 CEST.
    expect(at('2025-03-30T01:30:00+01:00')).toMatchObject({
      placedAt: '2025-03-30T00:30:00.000Z',
      localDate: '2025-03-30',
      localHour: 1,
    });
    expect(at('2025-03-30T03:30:00+02:00')).toMatchObject({
      placedAt: '2025-03-30T01:30:00.000Z',
      localDate: '2025-03-30',
      localHour: 3,
    });
    // Local parts come from the shop's zone, not from the offset the time was written with.
    expect(at('2025-03-30T01:30:00Z')).toMatchObject({ localDate: '2025-03-30', localHour: 3 });
  });

  it('uses processed_at for placedAt, and created_at when there is none', () => {
    const imported = { created_at: '2025-06-01T10:00:00+09:00', processed_at: '2025-05-31T23:15:00+09:00' };
    expect(mappedOrder(imported)).toMatchObject({
      placedAt: '2025-05-31T14:15:00.000Z',
      localDate: '2025-05-31',
      localHour: 23,
    });
    expect(mappedOrder({ ...imported, processed_at: null })).toMatchObject({
      placedAt: '2025-06-01T01:00:00.000Z',
      localDate: '2025-06-01',
      localHour: 10,
    });
  });

  it('stores updatedAt as a UTC instant', () => {
    expect(mappedOrder().updatedAt).toBe('2025-05-09T05:05:00.000Z');
  });
});

describe('mapShopifyOrder: status, customer, country, line items', () => {
  it('is cancelled when cancelled_at is set (cancelling also closes), closed when only closed_at is, else open', () => {
    expect(
      mappedOrder({ cancelled_at: '2025-05-10T09:00:00+09:00', closed_at: '2025-05-10T09:00:00+09:00' }).status,
    ).toBe('cancelled');
    expect(mappedOrder({ closed_at: '2025-05-12T09:00:00+09:00' }).status).toBe('closed');
    expect(mappedOrder().status).toBe('open');
  });

  it('maps the order fields a user sees', () => {
    expect(mappedOrder()).toEqual({
      sourceId: 'src_shopify_jp',
      externalId: '5920000001000',
      orderNumber: '1001',
      customerExternalId: '7310000001000',
      email: EMAIL,
      phone: PHONE,
      currency: 'JPY',
      totalMinor: '3960',
      subtotalMinor: '3600',
      taxMinor: '360',
      placedAt: '2025-05-09T05:03:00.000Z',
      timeZone: 'Asia/Tokyo',
      localDate: '2025-05-09',
      localHour: 14,
      status: 'open',
      financialStatus: 'paid',
      countryCode: 'JP',
      lineItemCount: 1,
      updatedAt: '2025-05-09T05:05:00.000Z',
    });
  });

  it('has no customerExternalId for a guest checkout', () => {
    expect(mappedOrder({ customer: null })).not.toHaveProperty('customerExternalId');
    const { customer: _customer, ...withoutCustomer } = shopifyOrder();
    const result = mapShopifyOrder(withoutCustomer, TOKYO);
    expect(result.ok && result.record).not.toHaveProperty('customerExternalId');
    expect(result.ok).toBe(true);
  });

  it('takes the country from shipping, else billing, else the customer default address', () => {
    const withCustomerIn = (code: string) => shopifyCustomer({ default_address: { country_code: code } });
    expect(
      mappedOrder({
        shipping_address: orderAddress('DE'),
        billing_address: orderAddress('FR'),
        customer: withCustomerIn('JP'),
      }).countryCode,
    ).toBe('DE');
    expect(
      mappedOrder({ shipping_address: null, billing_address: orderAddress('FR'), customer: withCustomerIn('JP') })
        .countryCode,
    ).toBe('FR');
    expect(
      mappedOrder({ shipping_address: null, billing_address: null, customer: withCustomerIn('BR') }).countryCode,
    ).toBe('BR');
    expect(mappedOrder({ shipping_address: null, billing_address: null, customer: null })).not.toHaveProperty(
      'countryCode',
    );
  });

  it('counts line items', () => {
    const item = (id: number) => ({
      id,
      sku: null,
      title: 'Gift wrapping',
      name: 'Gift wrapping',
      quantity: 1,
      price: '500',
      taxable: true,
      requires_shipping: true,
    });
    expect(mappedOrder({ line_items: [item(1), item(2), item(3)] }).lineItemCount).toBe(3);
  });

  it('refuses a shop time zone that is not an IANA zone, as a configuration error', () => {
    expect(() => mapShopifyOrder(shopifyOrder(), { ...SOURCE, shopTimeZone: '+09:00' })).toThrow(/IANA/);
  });
});

describe('mapShopifyOrder: bad payloads', () => {
  it('rejects an order without an id, naming the field', () => {
    const { id: _id, ...withoutId } = shopifyOrder();
    const result = mapShopifyOrder(withoutId, TOKYO);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejected.externalId).toBeUndefined();
    expect(result.rejected.reason).toMatch(/^id: /);
    expectNoPersonalData(result.rejected.reason);
  });

  it.each([
    { change: { total_price: 'abc' }, field: /^total_price: .*not a decimal number/ },
    { change: { currency: 'XYZ' }, field: /^currency: XYZ is not an ISO 4217 currency code/ },
    { change: { created_at: 'yesterday', processed_at: null }, field: /^created_at: must be an ISO 8601 time/ },
    { change: { processed_at: '2025-02-30T10:00:00+09:00' }, field: /^processed_at: must be an ISO 8601 time/ },
    { change: { currency: 'EUR', total_price: '19.999' }, field: /^total_price: EUR has 2 decimal places/ },
    { change: { line_items: undefined }, field: /^line_items: / },
    { change: { email: 42 }, field: /^email: / },
  ])('rejects $change, naming the field, with the order id and no personal data', ({ change, field }) => {
    const rejected = rejectedOrder(change);
    expect(rejected.externalId).toBe('5920000001000');
    expect(rejected.reason).toMatch(field);
    expectNoPersonalData(rejected.reason);
  });

  it('does not quote a currency field that holds something other than a code', () => {
    const rejected = rejectedOrder({ currency: EMAIL });
    expect(rejected.reason).toMatch(/^currency: must be a three-letter ISO 4217 code/);
    expectNoPersonalData(rejected.reason);
  });

  it('rejects payloads that are not objects', () => {
    for (const raw of [null, 'order', 42, []]) {
      const result = mapShopifyOrder(raw, TOKYO);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.rejected.reason).toMatch(/^order: /);
    }
  });
});

describe('mapShopifyCustomer', () => {
  it('maps a customer with UTC times, country and email marketing state', () => {
    expect(mappedCustomer()).toEqual({
      sourceId: 'src_shopify_jp',
      externalId: '7310000001000',
      email: EMAIL,
      phone: PHONE,
      firstName: 'Yui',
      lastName: 'Tanaka',
      countryCode: 'JP',
      createdAt: '2025-01-15T00:12:44.000Z',
      updatedAt: '2025-04-02T09:00:05.000Z',
      emailMarketing: 'subscribed',
    });
  });

  it('composes decomposed names to NFC', () => {
    const customer = mappedCustomer({ first_name: 'Jose\u0301', last_name: 'Mu\u0308ller' });
    expect(customer.firstName).toBe('Jos\u00e9');
    expect(customer.lastName).toBe('M\u00fcller');
    expect(customer.firstName!.length).toBe(4);
  });

  it.each([
    ['subscribed', 'subscribed'],
    ['not_subscribed', 'not_subscribed'],
    ['unsubscribed', 'unsubscribed'],
    ['pending', 'pending'],
    ['redacted', 'unknown'],
    ['invalid', 'unknown'],
  ])('maps email_marketing_consent.state %s to %s', (state, expected) => {
    const customer = mappedCustomer({
      email_marketing_consent: { state, opt_in_level: 'single_opt_in', consent_updated_at: null },
    });
    expect(customer.emailMarketing).toBe(expected);
  });

  it('leaves out what Shopify sends as null', () => {
    const customer = mappedCustomer({
      email: null,
      phone: null,
      first_name: null,
      last_name: '',
      default_address: null,
      email_marketing_consent: null,
    });
    expect(Object.keys(customer).sort()).toEqual(['createdAt', 'externalId', 'sourceId', 'updatedAt']);
  });

  it('rejects a customer without an id or with a created_at that is not a time, without personal data', () => {
    const { id: _id, ...withoutId } = shopifyCustomer();
    const noId = mapShopifyCustomer(withoutId, SOURCE);
    const badTime = mapShopifyCustomer(shopifyCustomer({ created_at: 'yesterday' }), SOURCE);
    expect(noId).toMatchObject({ ok: false, rejected: { reason: expect.stringMatching(/^id: /) } });
    expect(badTime).toMatchObject({
      ok: false,
      rejected: { externalId: '7310000001000', reason: expect.stringMatching(/^created_at: /) },
    });
    for (const result of [noId, badTime]) if (!result.ok) expectNoPersonalData(result.rejected.reason);
  });
});
