import { describe, expect, it } from 'vitest';
import { AMAZON_MARKETPLACES, amazonUpdatedAt, mapAmazonOrder } from '../../connectors/amazon/mapping';
import { isCurrency } from '../../domain/money';
import { isTimeZone } from '../../domain/local-time';
import type { CanonicalOrder, RejectedRecord } from '../../domain/commerce';

/** Orders as Amazon's Orders API v0 getOrders (and test/emulators/amazon.ts) writes them. */
const EMAIL = '3f9a1c0b7d2e4a61@marketplace.amazon.co.jp';
const JAPAN = 'A1VC38T7YXB528';
const GERMANY = 'A1PA6795UKMFR9';
const BRAZIL = 'A2Q3Y263D00KWC';
const ORDER_ID = '503-1234567-7654321';

function amazonOrder(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    BuyerInfo: { BuyerEmail: EMAIL },
    AmazonOrderId: ORDER_ID,
    EarliestShipDate: '2025-05-10T05:03:00Z',
    SalesChannel: 'Amazon.co.jp',
    OrderStatus: 'Shipped',
    NumberOfItemsShipped: 2,
    OrderType: 'StandardOrder',
    IsPremiumOrder: false,
    IsPrime: false,
    FulfillmentChannel: 'MFN',
    NumberOfItemsUnshipped: 1,
    HasRegulatedItems: false,
    IsReplacementOrder: false,
    IsSoldByAB: false,
    LatestShipDate: '2025-05-12T05:03:00Z',
    ShipServiceLevel: 'Std Dom',
    IsISPU: false,
    MarketplaceId: JAPAN,
    PurchaseDate: '2025-05-09T05:03:00Z',
    ShippingAddress: { StateOrRegion: 'Tokyo', PostalCode: '150-0002', City: 'Shibuya-ku', CountryCode: 'JP' },
    IsAccessPointOrder: false,
    PaymentMethod: 'Other',
    IsBusinessOrder: false,
    OrderTotal: { CurrencyCode: 'JPY', Amount: '3960' },
    PaymentMethodDetails: ['Standard'],
    IsGlobalExpressEnabled: false,
    LastUpdateDate: '2025-05-09T06:10:00Z',
    ShipmentServiceLevelCategory: 'Standard',
    ...change,
  };
}

const SOURCE = { sourceId: 'src_amazon_jp' };

function mapped(
  change: Record<string, unknown> = {},
  ctx: { sourceId: string; timeZone?: string } = SOURCE,
): CanonicalOrder {
  const result = mapAmazonOrder(amazonOrder(change), ctx);
  if (!result.ok) throw new Error(`expected the order to map, got: ${result.rejected.reason}`);
  return result.record;
}

function rejected(change: Record<string, unknown>): RejectedRecord {
  const result = mapAmazonOrder(amazonOrder(change), SOURCE);
  if (result.ok) throw new Error('expected the order to be rejected');
  return result.rejected;
}

/** A rejection must be safe to log and to put in a workflow history. */
function expectNoPersonalData(reason: string): void {
  expect(reason).not.toContain(EMAIL);
  expect(reason).not.toContain('3f9a1c0b7d2e4a61');
  expect(reason).not.toContain('@');
}

describe('mapAmazonOrder: money', () => {
  it.each([
    { marketplace: JAPAN, currency: 'JPY', amount: '3960', totalMinor: '3960' },
    { marketplace: JAPAN, currency: 'JPY', amount: '3960.00', totalMinor: '3960' },
    { marketplace: GERMANY, currency: 'EUR', amount: '19.99', totalMinor: '1999' },
    { marketplace: GERMANY, currency: 'EUR', amount: '0.1', totalMinor: '10' },
    { marketplace: BRAZIL, currency: 'BRL', amount: '1234.50', totalMinor: '123450' },
  ])('maps $currency $amount to $totalMinor minor units', ({ marketplace, currency, amount, totalMinor }) => {
    const order = mapped({ MarketplaceId: marketplace, OrderTotal: { CurrencyCode: currency, Amount: amount } });
    expect(order).toMatchObject({ currency, totalMinor });
  });

  it('keeps amounts beyond floating-point precision exact', () => {
    expect(mapped({ OrderTotal: { CurrencyCode: 'BRL', Amount: '90071992547409.93' } }).totalMinor).toBe(
      '9007199254740993',
    );
  });

  it('maps a Pending order without OrderTotal to 0 in the marketplace currency, flagged pending', () => {
    const {
      OrderTotal: _total,
      ShippingAddress: _address,
      ...pending
    } = amazonOrder({
      OrderStatus: 'Pending',
      MarketplaceId: GERMANY,
      NumberOfItemsShipped: 0,
      NumberOfItemsUnshipped: 1,
    });
    const result = mapAmazonOrder(pending, SOURCE);
    expect(result).toMatchObject({
      ok: true,
      record: {
        currency: 'EUR',
        totalMinor: '0',
        financialStatus: 'pending',
        status: 'open',
        countryCode: 'DE',
        timeZone: 'Europe/Berlin',
        lineItemCount: 1,
      },
    });
  });

  it('maps a Canceled order without OrderTotal to 0 and cancelled', () => {
    expect(mapped({ OrderStatus: 'Canceled', OrderTotal: undefined, MarketplaceId: BRAZIL })).toMatchObject({
      currency: 'BRL',
      totalMinor: '0',
      status: 'cancelled',
      financialStatus: 'canceled',
    });
  });

  it('rejects a Shipped order without OrderTotal rather than storing revenue of 0', () => {
    const reason = rejected({ OrderTotal: null }).reason;
    expect(reason).toMatch(/^OrderTotal: is missing on an order with OrderStatus Shipped/);
  });
});

describe('mapAmazonOrder: time', () => {
  it('stores the UTC instant and the Tokyo local date of a JP order placed at 00:30 local time', () => {
    const order = mapped({ PurchaseDate: '2025-05-08T15:30:00Z' });
    expect(order).toMatchObject({
      placedAt: '2025-05-08T15:30:00.000Z',
      timeZone: 'Asia/Tokyo',
      localDate: '2025-05-09',
      localHour: 0,
    });
  });

  it('gives the right local hour in Berlin around the spring-forward on 2025-03-30', () => {
    const at = (purchase: string) =>
      mapped({
        MarketplaceId: GERMANY,
        OrderTotal: { CurrencyCode: 'EUR', Amount: '19.99' },
        PurchaseDate: purchase,
        LastUpdateDate: '2025-03-30T12:00:00Z',
      });
    // At 01:00 UTC clocks jump from 02:00 CET to 03:00 CEST.
    expect(at('2025-03-30T00:59:59Z')).toMatchObject({
      timeZone: 'Europe/Berlin',
      localDate: '2025-03-30',
      localHour: 1,
    });
    expect(at('2025-03-30T01:00:00Z')).toMatchObject({ localDate: '2025-03-30', localHour: 3 });
    // 23:30 UTC the day before is already the 30th in Berlin (+01:00).
    expect(at('2025-03-29T23:30:00Z')).toMatchObject({ localDate: '2025-03-30', localHour: 0 });
  });

  it('gives the right local date in Berlin around the fall-back on 2025-10-26, when 02:xx happens twice', () => {
    const at = (purchase: string) =>
      mapped({
        MarketplaceId: GERMANY,
        OrderTotal: { CurrencyCode: 'EUR', Amount: '5.00' },
        PurchaseDate: purchase,
        LastUpdateDate: '2025-10-26T12:00:00Z',
      });
    expect(at('2025-10-26T00:30:00Z')).toMatchObject({ localDate: '2025-10-26', localHour: 2 });
    expect(at('2025-10-26T01:30:00Z')).toMatchObject({ localDate: '2025-10-26', localHour: 2 });
    expect(at('2025-10-26T02:30:00Z')).toMatchObject({ localDate: '2025-10-26', localHour: 3 });
  });

  it('uses the São Paulo zone for a Brazilian order late in the evening', () => {
    const order = mapped({
      MarketplaceId: BRAZIL,
      OrderTotal: { CurrencyCode: 'BRL', Amount: '99.90' },
      PurchaseDate: '2025-05-10T01:15:00Z',
    });
    expect(order).toMatchObject({
      timeZone: 'America/Sao_Paulo',
      localDate: '2025-05-09',
      localHour: 22,
      countryCode: 'JP',
    });
  });

  it('lets the connector time zone override the marketplace zone', () => {
    expect(mapped({ PurchaseDate: '2025-05-08T15:30:00Z' }, { ...SOURCE, timeZone: 'UTC' })).toMatchObject({
      timeZone: 'UTC',
      localDate: '2025-05-08',
      localHour: 15,
    });
  });

  it('reads times with an offset and fractions of a second', () => {
    expect(mapped({ PurchaseDate: '2025-05-09T14:03:00.250+09:00' }).placedAt).toBe('2025-05-09T05:03:00.250Z');
  });

  it('stores updatedAt from LastUpdateDate, and reports it for the high-water mark even for a rejected order', () => {
    expect(mapped().updatedAt).toBe('2025-05-09T06:10:00.000Z');
    expect(amazonUpdatedAt(amazonOrder({ OrderTotal: { CurrencyCode: 'XYZ', Amount: '1' } }))).toBe(
      '2025-05-09T06:10:00.000Z',
    );
    expect(amazonUpdatedAt({ LastUpdateDate: 'yesterday' })).toBeUndefined();
  });
});

describe('mapAmazonOrder: status, email, country, items', () => {
  it.each([
    ['Pending', 'open', 'pending'],
    ['Unshipped', 'open', 'unshipped'],
    ['PartiallyShipped', 'open', 'partiallyshipped'],
    ['Shipped', 'closed', 'shipped'],
    ['Canceled', 'cancelled', 'canceled'],
    ['Unfulfillable', 'open', 'unfulfillable'],
    ['InvoiceUnconfirmed', 'open', 'invoiceunconfirmed'],
    ['PendingAvailability', 'open', 'pendingavailability'],
  ])('maps OrderStatus %s to status %s and financialStatus %s', (orderStatus, status, financialStatus) => {
    expect(mapped({ OrderStatus: orderStatus })).toMatchObject({ status, financialStatus });
  });

  it('maps the fields a user sees', () => {
    expect(mapped()).toEqual({
      sourceId: 'src_amazon_jp',
      externalId: ORDER_ID,
      email: EMAIL,
      currency: 'JPY',
      totalMinor: '3960',
      placedAt: '2025-05-09T05:03:00.000Z',
      timeZone: 'Asia/Tokyo',
      localDate: '2025-05-09',
      localHour: 14,
      status: 'closed',
      financialStatus: 'shipped',
      countryCode: 'JP',
      lineItemCount: 3,
      updatedAt: '2025-05-09T06:10:00.000Z',
    });
  });

  it('has no email without a Restricted Data Token (empty BuyerInfo, or none), and never a customerExternalId', () => {
    for (const buyerInfo of [{}, undefined, null, { BuyerEmail: '' }]) {
      const order = mapped({ BuyerInfo: buyerInfo });
      expect(order).not.toHaveProperty('email');
      expect(order).not.toHaveProperty('customerExternalId');
    }
  });

  it('takes the country from ShippingAddress, else from the marketplace', () => {
    expect(mapped({ ShippingAddress: { CountryCode: 'de' } }).countryCode).toBe('DE');
    expect(mapped({ ShippingAddress: undefined }).countryCode).toBe('JP');
    expect(
      mapped({
        ShippingAddress: undefined,
        MarketplaceId: BRAZIL,
        OrderTotal: { CurrencyCode: 'BRL', Amount: '10.00' },
      }).countryCode,
    ).toBe('BR');
  });

  it('counts shipped and unshipped items, missing counts as 0', () => {
    expect(mapped({ NumberOfItemsShipped: 4, NumberOfItemsUnshipped: 0 }).lineItemCount).toBe(4);
    expect(mapped({ NumberOfItemsShipped: undefined, NumberOfItemsUnshipped: undefined }).lineItemCount).toBe(0);
  });

  it('refuses a connector time zone that is not an IANA zone, as a configuration error', () => {
    expect(() => mapAmazonOrder(amazonOrder(), { ...SOURCE, timeZone: '+09:00' })).toThrow(/IANA/);
  });
});

describe('mapAmazonOrder: bad payloads', () => {
  it('rejects an unknown currency by naming the field and the code, without personal data', () => {
    const reason = rejected({ OrderTotal: { CurrencyCode: 'XYZ', Amount: '10.00' } });
    expect(reason).toEqual({
      externalId: ORDER_ID,
      reason: 'OrderTotal.CurrencyCode: XYZ is not an ISO 4217 currency code',
    });
    expectNoPersonalData(reason.reason);
  });

  it('does not quote a currency field that holds something other than a code', () => {
    const { reason } = rejected({ OrderTotal: { CurrencyCode: EMAIL, Amount: '10.00' } });
    expect(reason).toBe('OrderTotal.CurrencyCode: must be a three-letter ISO 4217 code');
    expectNoPersonalData(reason);
  });

  it.each([
    {
      change: { OrderTotal: { CurrencyCode: 'JPY', Amount: '39.60' } },
      field: /^OrderTotal\.Amount: JPY has 0 decimal places/,
    },
    { change: { OrderTotal: { CurrencyCode: 'EUR', Amount: '1,99' } }, field: /^OrderTotal\.Amount: .*comma/ },
    { change: { PurchaseDate: 'yesterday' }, field: /^PurchaseDate: must be an ISO 8601 time/ },
    { change: { PurchaseDate: '2025-02-30T10:00:00Z' }, field: /^PurchaseDate: must be an ISO 8601 time/ },
    { change: { PurchaseDate: '2025-05-09T10:00:00' }, field: /^PurchaseDate: must be an ISO 8601 time/ },
    { change: { LastUpdateDate: undefined }, field: /^LastUpdateDate: / },
    { change: { OrderStatus: 42 }, field: /^OrderStatus: / },
    { change: { NumberOfItemsShipped: -1 }, field: /^NumberOfItemsShipped: must not be negative/ },
    { change: { BuyerInfo: { BuyerEmail: 42 } }, field: /^BuyerInfo\.BuyerEmail: / },
    { change: { ShippingAddress: { CountryCode: 'Japan' } }, field: /^ShippingAddress\.CountryCode: / },
    { change: { MarketplaceId: 'A0UNKNOWN0MKT' }, field: /^MarketplaceId: is not a marketplace Meridian knows/ },
  ])('rejects $change, naming the field, with the order id and no personal data', ({ change, field }) => {
    const result = rejected(change);
    expect(result.externalId).toBe(ORDER_ID);
    expect(result.reason).toMatch(field);
    expectNoPersonalData(result.reason);
  });

  it('maps an order of an unknown marketplace when the connector sets the time zone', () => {
    expect(
      mapped({ MarketplaceId: 'A0UNKNOWN0MKT', ShippingAddress: undefined }, { ...SOURCE, timeZone: 'Asia/Tokyo' }),
    ).not.toHaveProperty('countryCode');
  });

  it('rejects an order without a valid AmazonOrderId, with no externalId', () => {
    for (const id of [undefined, 'abc', EMAIL]) {
      const result = mapAmazonOrder(amazonOrder({ AmazonOrderId: id }), SOURCE);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.rejected.externalId).toBeUndefined();
      expect(result.rejected.reason).toMatch(/^AmazonOrderId: /);
      expectNoPersonalData(result.rejected.reason);
    }
  });

  it('rejects payloads that are not objects', () => {
    for (const raw of [null, 'order', 42, []]) {
      const result = mapAmazonOrder(raw, SOURCE);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.rejected.reason).toMatch(/^order: /);
    }
  });
});

describe('AMAZON_MARKETPLACES', () => {
  it('holds real zones, currencies and countries for every marketplace', () => {
    for (const marketplace of Object.values(AMAZON_MARKETPLACES)) {
      expect(isTimeZone(marketplace.timeZone), marketplace.id).toBe(true);
      expect(isCurrency(marketplace.currency), marketplace.id).toBe(true);
      expect(marketplace.countryCode).toMatch(/^[A-Z]{2}$/);
    }
    expect(AMAZON_MARKETPLACES[JAPAN]).toMatchObject({
      countryCode: 'JP',
      currency: 'JPY',
      timeZone: 'Asia/Tokyo',
      region: 'fe',
    });
    expect(AMAZON_MARKETPLACES[GERMANY]).toMatchObject({
      countryCode: 'DE',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      region: 'eu',
    });
    expect(AMAZON_MARKETPLACES['ATVPDKIKX0DER']).toMatchObject({
      countryCode: 'US',
      currency: 'USD',
      timeZone: 'America/Los_Angeles',
      region: 'na',
    });
  });
});
