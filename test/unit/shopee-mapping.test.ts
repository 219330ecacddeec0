import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ORDER_DETAIL_PATH, ORDER_LIST_PATH, shopeeBaseString, shopeeSign } from '../../connectors/shopee/client';
import { ShopeeSettings, shopeeConnector } from '../../connectors/shopee/index';
import { mapShopeeOrder, SHOPEE_REGION_TIME_ZONES, shopeeUpdateTime } from '../../connectors/shopee/mapping';
import type { CanonicalOrder, RejectedRecord } from '../../domain/commerce';
import { normalisePlatformId } from '../../domain/identifiers';
import { isTimeZone } from '../../domain/local-time';

/** Payloads as Shopee's get_order_detail (and test/emulators/shopee.ts) writes them, every optional field asked for. */
const ORDER_SN = '250509K7QW2XPB';
const NAME = 'Somchai Jaidee';
const USERNAME = 'somchai_88';
const PHONE = '66812345678';
const ADDRESS = '99/1 Sukhumvit Rd, Khlong Toei, Bangkok 10110';
const BUYER_ID = 312_345_678;

const unix = (iso: string) => Date.parse(iso) / 1000;

function shopeeOrder(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_sn: ORDER_SN,
    region: 'TH',
    currency: 'THB',
    cod: false,
    total_amount: 1234.5,
    order_status: 'COMPLETED',
    // 00:30 on 9 May in Bangkok (UTC+7).
    create_time: unix('2025-05-08T17:30:00Z'),
    update_time: unix('2025-05-10T03:00:00Z'),
    pay_time: unix('2025-05-08T17:31:00Z'),
    days_to_ship: 3,
    ship_by_date: unix('2025-05-11T17:31:00Z'),
    message_to_seller: '',
    buyer_user_id: BUYER_ID,
    buyer_username: USERNAME,
    recipient_address: {
      name: NAME,
      phone: PHONE,
      town: 'Khlong Toei',
      district: 'Khlong Toei',
      city: 'Bangkok',
      state: 'Bangkok',
      region: 'TH',
      zipcode: '10110',
      full_address: ADDRESS,
    },
    item_list: [
      {
        item_id: 2001,
        item_name: 'Cotton tee',
        item_sku: 'MRD-TEE-01',
        model_id: 0,
        model_name: '',
        model_quantity_purchased: 2,
        model_original_price: 399,
        model_discounted_price: 399,
      },
      {
        item_id: 2002,
        item_name: 'Stoneware mug',
        item_sku: 'MRD-MUG-02',
        model_id: 0,
        model_name: '',
        model_quantity_purchased: 1,
        model_original_price: 436.5,
        model_discounted_price: 436.5,
      },
    ],
    ...change,
  };
}

const SOURCE = { sourceId: 'src_shopee_th' };

function mapped(
  change: Record<string, unknown> = {},
  ctx: { sourceId: string; timeZone?: string } = SOURCE,
): CanonicalOrder {
  const result = mapShopeeOrder(shopeeOrder(change), ctx);
  if (!result.ok) throw new Error(`expected the order to map, got: ${result.rejected.reason}`);
  return result.record;
}

function rejected(
  change: Record<string, unknown>,
  ctx: { sourceId: string; timeZone?: string } = SOURCE,
): RejectedRecord {
  const result = mapShopeeOrder(shopeeOrder(change), ctx);
  if (result.ok) throw new Error('expected the order to be rejected');
  return result.rejected;
}

/** A rejection must be safe to log and to put in a workflow history. */
function expectNoPersonalData(reason: string): void {
  for (const personal of [NAME, 'Somchai', USERNAME, PHONE, ADDRESS, 'Sukhumvit', String(BUYER_ID)])
    expect(reason).not.toContain(personal);
}

describe('mapShopeeOrder: the fields a user sees', () => {
  it('maps a Thai order', () => {
    expect(mapped()).toEqual({
      sourceId: 'src_shopee_th',
      externalId: ORDER_SN,
      orderNumber: ORDER_SN,
      customerExternalId: '312345678',
      phone: PHONE,
      currency: 'THB',
      totalMinor: '123450',
      placedAt: '2025-05-08T17:30:00.000Z',
      timeZone: 'Asia/Bangkok',
      localDate: '2025-05-09',
      localHour: 0,
      status: 'closed',
      financialStatus: 'completed',
      countryCode: 'TH',
      lineItemCount: 2,
      updatedAt: '2025-05-10T03:00:00.000Z',
    });
  });

  it('gives the buyer as a shopee_user ID, and none when Shopee withholds it', () => {
    const id = mapped().customerExternalId;
    expect(normalisePlatformId('shopee_user', id)).toEqual({ ok: true, value: '312345678' });
    expect(mapped({ buyer_user_id: 0 })).not.toHaveProperty('customerExternalId');
    expect(mapped({ buyer_user_id: null })).not.toHaveProperty('customerExternalId');
    const { buyer_user_id: _id, ...withoutBuyer } = shopeeOrder();
    const result = mapShopeeOrder(withoutBuyer, SOURCE);
    expect(result.ok && result.record).not.toHaveProperty('customerExternalId');
    expect(result.ok).toBe(true);
  });

  it('counts items, and takes updatedAt from update_time', () => {
    expect(mapped({ item_list: [] }).lineItemCount).toBe(0);
    expect(mapped({ update_time: unix('2025-06-01T00:00:01Z') }).updatedAt).toBe('2025-06-01T00:00:01.000Z');
    expect(shopeeUpdateTime(shopeeOrder())).toBe('2025-05-10T03:00:00.000Z');
    expect(shopeeUpdateTime({ update_time: 'yesterday' })).toBeUndefined();
  });
});

describe('mapShopeeOrder: money', () => {
  it.each([
    { region: 'TH', currency: 'THB', total: 1234.5, totalMinor: '123450' },
    { region: 'TH', currency: 'THB', total: 0.1, totalMinor: '10' },
    { region: 'TH', currency: 'THB', total: 590, totalMinor: '59000' },
    { region: 'VN', currency: 'VND', total: 150000, totalMinor: '150000' },
    { region: 'VN', currency: 'VND', total: 1, totalMinor: '1' },
    { region: 'ID', currency: 'IDR', total: 250000, totalMinor: '25000000' },
    { region: 'BR', currency: 'BRL', total: 89.9, totalMinor: '8990' },
    { region: 'BR', currency: 'BRL', total: 1234.56, totalMinor: '123456' },
    { region: 'SG', currency: 'SGD', total: 12.34, totalMinor: '1234' },
    { region: 'SG', currency: 'SGD', total: 1.1, totalMinor: '110' },
    { region: 'CL', currency: 'CLP', total: 15990, totalMinor: '15990' },
  ])('maps $currency $total to exactly $totalMinor minor units', ({ region, currency, total, totalMinor }) => {
    expect(mapped({ region, currency, total_amount: total })).toMatchObject({ currency, totalMinor });
  });

  it('reads an amount written as a decimal string too', () => {
    expect(mapped({ total_amount: '1234.50' }).totalMinor).toBe('123450');
  });

  it.each([
    { currency: 'SGD', total: 12.345, rule: /^total_amount: SGD has 2 decimal places; 12\.345 has 3$/ },
    { currency: 'VND', total: 1500.5, rule: /^total_amount: VND has 0 decimal places/ },
    // 0.30000000000000004: a float's noise is refused, never rounded to a satang.
    {
      currency: 'THB',
      total: 0.1 + 0.2,
      rule: /^total_amount: amount 0\.30000000000000004 cannot be represented exactly/,
    },
    { currency: 'THB', total: 1e21, rule: /^total_amount: / },
    { currency: 'THB', total: '12,50', rule: /^total_amount: .*comma/ },
  ])('rejects $currency $total: more decimals than the currency has, or not exact', ({ currency, total, rule }) => {
    const reason = rejected({ currency, total_amount: total });
    expect(reason.externalId).toBe(ORDER_SN);
    expect(reason.reason).toMatch(rule);
    expectNoPersonalData(reason.reason);
  });

  it('rejects an unknown currency with the money rule and no personal data', () => {
    const reason = rejected({ currency: 'XYZ' });
    expect(reason).toEqual({ externalId: ORDER_SN, reason: 'currency: XYZ is not an ISO 4217 currency code' });
    expect(rejected({ currency: 'thb' }).reason).toBe(
      'currency: thb is not an ISO 4217 currency code (codes are upper case: THB)',
    );
  });

  it('does not quote a currency field that holds something other than a code', () => {
    const reason = rejected({ currency: USERNAME }).reason;
    expect(reason).toBe('currency: must be a three-letter ISO 4217 code');
    expectNoPersonalData(reason);
  });
});

describe('mapShopeeOrder: local time in the shop zone', () => {
  it.each([
    // Bangkok and Ho Chi Minh City are UTC+7: 17:30 UTC is 00:30 the next day.
    {
      region: 'TH',
      currency: 'THB',
      total: 10,
      zone: 'Asia/Bangkok',
      at: '2025-05-08T17:30:00Z',
      date: '2025-05-09',
      hour: 0,
    },
    {
      region: 'VN',
      currency: 'VND',
      total: 99000,
      zone: 'Asia/Ho_Chi_Minh',
      at: '2025-05-08T16:59:59Z',
      date: '2025-05-08',
      hour: 23,
    },
    // Singapore is UTC+8.
    {
      region: 'SG',
      currency: 'SGD',
      total: 10,
      zone: 'Asia/Singapore',
      at: '2025-05-08T16:00:00Z',
      date: '2025-05-09',
      hour: 0,
    },
    // São Paulo is UTC−3 (no daylight saving since 2019): 02:30 UTC is 23:30 the evening before.
    {
      region: 'BR',
      currency: 'BRL',
      total: 10,
      zone: 'America/Sao_Paulo',
      at: '2025-05-09T02:30:00Z',
      date: '2025-05-08',
      hour: 23,
    },
    // Santiago is on summer time (UTC−3) in January.
    {
      region: 'CL',
      currency: 'CLP',
      total: 1000,
      zone: 'America/Santiago',
      at: '2025-01-15T03:30:00Z',
      date: '2025-01-15',
      hour: 0,
    },
  ])(
    'places a $region order created at $at on $date hour $hour in $zone',
    ({ region, currency, total, zone, at, date, hour }) => {
      const order = mapped({ region, currency, total_amount: total, create_time: unix(at) });
      expect(order).toMatchObject({
        timeZone: zone,
        localDate: date,
        localHour: hour,
        placedAt: new Date(at).toISOString(),
        countryCode: region,
      });
    },
  );

  it("uses the settings' zone over the region's", () => {
    expect(mapped({}, { ...SOURCE, timeZone: 'Asia/Tokyo' })).toMatchObject({
      timeZone: 'Asia/Tokyo',
      localDate: '2025-05-09',
      localHour: 2,
    });
  });

  it('rejects an order from a region without a known zone unless the settings name one', () => {
    expect(rejected({ region: 'KR', currency: 'KRW', total_amount: 10000 }).reason).toMatch(
      /^region: KR .*set timeZone in the connector settings/,
    );
    expect(
      mapped({ region: 'KR', currency: 'KRW', total_amount: 10000 }, { ...SOURCE, timeZone: 'Asia/Seoul' }),
    ).toMatchObject({ timeZone: 'Asia/Seoul', countryCode: 'KR' });
  });

  it('keeps every region zone in one table of IANA zones', () => {
    expect(Object.keys(SHOPEE_REGION_TIME_ZONES).sort()).toEqual([
      'BR',
      'CL',
      'CO',
      'ID',
      'MX',
      'MY',
      'PH',
      'SG',
      'TH',
      'TW',
      'VN',
    ]);
    for (const zone of Object.values(SHOPEE_REGION_TIME_ZONES)) expect(isTimeZone(zone)).toBe(true);
  });

  it('refuses a settings zone that is not IANA, as a configuration error', () => {
    expect(() => mapShopeeOrder(shopeeOrder(), { ...SOURCE, timeZone: '+07:00' })).toThrow(/IANA/);
  });
});

describe('mapShopeeOrder: status', () => {
  it.each([
    ['UNPAID', 'open'],
    ['READY_TO_SHIP', 'open'],
    ['PROCESSED', 'open'],
    ['SHIPPED', 'open'],
    ['INVOICE_PENDING', 'open'],
    ['TO_RETURN', 'open'],
    ['COMPLETED', 'closed'],
    ['IN_CANCEL', 'cancelled'],
    ['CANCELLED', 'cancelled'],
  ])('maps %s to %s, keeping the Shopee status in lower case', (orderStatus, status) => {
    expect(mapped({ order_status: orderStatus })).toMatchObject({ status, financialStatus: orderStatus.toLowerCase() });
  });
});

describe('mapShopeeOrder: phone', () => {
  it.each(['******78', '+66*****678', '66****5678', '****', '', '   ', 'N/A', '12345'])(
    'drops a masked or unusable phone %j',
    (phone) => {
      expect(
        mapped({ recipient_address: { ...(shopeeOrder().recipient_address as object), phone } }),
      ).not.toHaveProperty('phone');
    },
  );

  it('keeps a real phone as written, and has none without an address', () => {
    expect(mapped({ recipient_address: { phone: '+55 11 91234-5678' } }).phone).toBe('+55 11 91234-5678');
    expect(mapped({ recipient_address: { phone: ' 0812345678 ' } }).phone).toBe('0812345678');
    expect(mapped({ recipient_address: null })).not.toHaveProperty('phone');
  });
});

describe('mapShopeeOrder: bad payloads', () => {
  it('rejects an order without order_sn, without an externalId', () => {
    const { order_sn: _sn, ...withoutSn } = shopeeOrder();
    const result = mapShopeeOrder(withoutSn, SOURCE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejected.externalId).toBeUndefined();
    expect(result.rejected.reason).toMatch(/^order_sn: /);
    expectNoPersonalData(result.rejected.reason);
  });

  it.each([
    { field: 'total_amount', change: { total_amount: undefined }, rule: /^total_amount: must be the order total/ },
    { field: 'currency', change: { currency: undefined }, rule: /^currency: / },
    { field: 'region', change: { region: undefined }, rule: /^region: must be a two-letter/ },
    { field: 'create_time', change: { create_time: undefined }, rule: /^create_time: must be a Unix time/ },
    {
      field: 'create_time',
      change: { create_time: '2025-05-09T00:30:00+07:00' },
      rule: /^create_time: must be a Unix time/,
    },
    { field: 'create_time', change: { create_time: 1746725400000 }, rule: /^create_time: must be a Unix time/ },
    { field: 'update_time', change: { update_time: 1746725400.5 }, rule: /^update_time: must be a Unix time/ },
    { field: 'order_status', change: { order_status: undefined }, rule: /^order_status: / },
    { field: 'item_list', change: { item_list: undefined }, rule: /^item_list: must be the list of items/ },
    { field: 'buyer_user_id', change: { buyer_user_id: USERNAME }, rule: /^buyer_user_id: must be a Shopee user ID/ },
    {
      field: 'recipient_address.phone',
      change: { recipient_address: { name: NAME, phone: 66812345678 } },
      rule: /^recipient_address\.phone: must be text/,
    },
  ])('rejects a bad $field, naming it, with the order_sn and no personal data', ({ change, rule }) => {
    const reason = rejected(change);
    expect(reason.externalId).toBe(ORDER_SN);
    expect(reason.reason).toMatch(rule);
    expectNoPersonalData(reason.reason);
  });

  it('names every bad field at once', () => {
    const reason = rejected({ total_amount: undefined, create_time: undefined }).reason;
    expect(reason).toMatch(/total_amount: /);
    expect(reason).toMatch(/create_time: /);
  });

  it('rejects payloads that are not objects', () => {
    for (const raw of [null, 'order', 42, []]) {
      const result = mapShopeeOrder(raw, SOURCE);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.rejected.reason).toMatch(/^order: /);
    }
  });
});

describe('Shopee request signature', () => {
  const partnerKey = 'shpk4c6f7a8b9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8';
  const parts = {
    partnerId: 2001000,
    apiPath: ORDER_LIST_PATH,
    timestamp: 1715230980,
    accessToken: 'ac3c5ea1b6f04d52a3b9e7c10f5e8d7a',
    shopId: 123456789,
  };

  it('signs partner_id, api_path, timestamp, access_token and shop_id in that order', () => {
    expect(shopeeBaseString(parts)).toBe(
      '2001000/api/v2/order/get_order_list1715230980ac3c5ea1b6f04d52a3b9e7c10f5e8d7a123456789',
    );
  });

  it('matches HMAC-SHA256 under the partner key, computed independently', () => {
    for (const apiPath of [ORDER_LIST_PATH, ORDER_DETAIL_PATH]) {
      const base = `${parts.partnerId}${apiPath}${parts.timestamp}${parts.accessToken}${parts.shopId}`;
      const expected = createHmac('sha256', Buffer.from(partnerKey, 'utf8'))
        .update(Buffer.from(base, 'utf8'))
        .digest('hex');
      expect(shopeeSign(partnerKey, shopeeBaseString({ ...parts, apiPath }))).toBe(expected);
    }
  });

  it('matches a fixed vector (computed with openssl dgst -sha256 -hmac)', () => {
    expect(shopeeSign(partnerKey, shopeeBaseString(parts))).toBe(
      '0c6e7fbc82e791e47c2bb0b03ecbf1d32c18296698359c40d5b68d7ae84c118f',
    );
    expect(shopeeSign(`${partnerKey}x`, shopeeBaseString(parts))).not.toBe(
      '0c6e7fbc82e791e47c2bb0b03ecbf1d32c18296698359c40d5b68d7ae84c118f',
    );
  });
});

describe('shopeeConnector settings', () => {
  it('declares the orders stream only', () => {
    expect(shopeeConnector).toMatchObject({ system: 'shopee', label: 'Shopee', streams: ['orders'] });
  });

  it('accepts the documented settings and refuses bad ones', () => {
    expect(ShopeeSettings.safeParse({ partnerId: 2001000, shopId: 123456789 }).success).toBe(true);
    expect(
      ShopeeSettings.safeParse({
        baseUrl: 'https://partner.shopeemobile.com',
        partnerId: 2001000,
        shopId: 1,
        timeZone: 'Asia/Bangkok',
        syncFrom: '2025-01-01',
        pageSize: 100,
      }).success,
    ).toBe(true);
    expect(
      ShopeeSettings.safeParse({ partnerId: 2001000, shopId: 1, syncFrom: '2025-01-01T00:00:00+07:00' }).success,
    ).toBe(true);
    for (const bad of [
      { partnerId: 0, shopId: 1 },
      { partnerId: 1.5, shopId: 1 },
      { partnerId: 1, shopId: -1 },
      { partnerId: 1, shopId: 1, timeZone: '+07:00' },
      { partnerId: 1, shopId: 1, syncFrom: 'last week' },
      { partnerId: 1, shopId: 1, pageSize: 101 },
      { partnerId: 1, shopId: 1, baseUrl: 'partner.shopeemobile.com' },
    ]) {
      expect(ShopeeSettings.safeParse(bad).success).toBe(false);
    }
  });
});
