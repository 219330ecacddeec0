import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoyaltySync } from '../../temporal/processes/loyalty';
import { appendPosLine } from '../../activities/loyalty/pos-export';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { blindIndex } from '../../db/crypto-shredding';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { createConnector } from '../../db/connectors-store';
import { keyFromRef, newDataKey, wrapDataKey } from '../../db/crypto-shredding';
import { eraseProfiles, erasureLeftovers } from '../../db/erasure-store';
import { FxRatesCache, upsertFxDays } from '../../db/fx-rates-store';
import { mergeProfiles } from '../../db/identity-merge-store';
import {
  adjust,
  balanceOf,
  enrolMember,
  getMember,
  ledgerOf,
  loadProgramme,
  redeem,
  reverseRefund,
  saveProgramme,
  sweepMembersPage,
  syncStatusOf,
  tierHistory,
} from '../../db/loyalty-store';
import { readPersonForExport } from '../../db/privacy-export-store';
import { type LoyaltyProgramme, loyaltyProgrammeSchema } from '../../domain/loyalty';
import { openRegionalPool } from '../../db/connections';
import { addLocalDays, localDate } from '../../domain/local-time';
import { audienceReactors, loyaltyReactor } from '../../workers/audience-reactors';
import { AudienceProcessor } from '../../db/audience-processor';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { allowEmulatorHosts } from '../emulators/hosts';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';

allowEmulatorHosts();

/**
 * Loyalty on real PostgreSQL and Temporal (issue 14): one member earning in three regions and
 * currencies lands in one ledger in their home region at each order's FX; refunds reverse exactly
 * what their order earned; expiry at midnight in the member's zone; a downgrade waits for its grace;
 * concurrent redemptions never overdraw; the tier reaches Shopify's metafields; merges keep the
 * higher tier; erasure leaves only held redemptions; exports carry the ledger.
 */

const SHOP_TOKEN = 'shpat_loyalty_test';
const US_TOKEN = `us-only-${'u'.repeat(24)}`;
const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;
// Tiers qualify over the last 30 days as of now: the orders are placed in the last days.
const TODAY = localDate(new Date(), 'Europe/Berlin');
const D1 = addLocalDays(TODAY, -5);
const D2 = addLocalDays(TODAY, -2);
const D3 = addLocalDays(TODAY, -4);
const ENROLLED = `${addLocalDays(TODAY, -8)}T00:00:00Z`;
const SHOPIFY_ANNA = 7_310_000_100_000;

const programmeInput = {
  brandId: 'acme',
  name: 'Acme Club',
  reportingCurrency: 'EUR',
  earn: { pointsPerUnit: 1, bonuses: { signUp: 10 } },
  tiers: [
    { key: 'member', names: { en: 'Member', ja: 'メンバー' } },
    { key: 'gold', names: { en: 'Gold', ja: 'ゴールド' }, qualify: { points: 250 } },
  ],
  qualifyingWindowDays: 30,
  reviewEveryDays: 30,
  downgradeGraceDays: 14,
  benefits: [
    { tier: 'gold', markets: ['JP'], key: 'voucher', text: { en: '¥1,000 voucher', ja: '1,000円クーポン' } },
    { tier: 'gold', markets: ['DE'], key: 'shipping', text: { en: 'Free shipping', de: 'Kostenloser Versand' } },
  ],
  expiry: { kind: 'rolling', days: 30 },
};

describe('loyalty', () => {
  let d: TestDeployment;
  let programme: LoyaltyProgramme;
  let eu: Sql;
  let shop: ShopifyEmulator;

  const ANNA = randomUUID();
  const BEN = randomUUID();
  const CHIE = randomUUID();
  const DAN = randomUUID();

  /** Runs the loyalty reactor of a region for these people, as the audience processor does after an order write. */
  const react = (region: string, ...ids: string[]) => reactTo(region, 'order', ...ids);
  const reactTo = (region: string, cause: string, ...ids: string[]) =>
    loyaltyReactor({
      region,
      globalSql: d.global().sql,
      regions: d.config.regions,
      client: d.client,
      regionKey: keyFromRef(d.config.regions.region(region).keyRef, d.env),
      reportingCurrency: 'EUR',
    })(d.regional(region).sql, ids, new Map(ids.map((id) => [id, new Set([cause])])));
  const euKey = () => keyFromRef(d.config.regions.region('eu').keyRef, d.env);
  const exportDir = mkdtempSync(join(tmpdir(), 'meridian-pos-'));

  async function insertOrder(
    region: string,
    o: {
      sourceId: string;
      id: string;
      customerId: string;
      currency: string;
      totalMinor: number;
      reportingMinor: number | null;
      placedAt: string;
      zone: string;
      localDate: string;
      country: string;
      shopifyCustomer?: string;
    },
  ) {
    await d.regional(region).sql`
      insert into orders (source_id, external_id, customer_id, customer_external_id, currency, total_minor, reporting_currency,
                          reporting_total_minor, placed_at, time_zone, local_date, local_hour, status, country_code,
                          line_item_count, source_updated_at)
      values (${o.sourceId}, ${o.id}, ${o.customerId}, ${o.shopifyCustomer ?? null}, ${o.currency}, ${o.totalMinor}, 'EUR',
              ${o.reportingMinor}, ${o.placedAt}, ${o.zone}, ${o.localDate}, 12, 'closed', ${o.country}, 1, ${o.placedAt})`;
  }
  const setStatus = (region: string, sourceId: string, id: string, status: string) => d.regional(region).sql`
    update orders set status = ${status}, source_updated_at = source_updated_at + interval '1 day'
    where source_id = ${sourceId} and external_id = ${id}`;

  /** Profiles with their data keys, as ingestion makes them (merges and erasure work on them). */
  const profiles = async (...ids: string[]) => {
    const regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.env);
    for (const id of ids)
      await eu`insert into profiles (customer_id, data_key_wrapped) values (${id}, ${wrapDataKey(regionKey, newDataKey(), id)})`;
  };

  const enrol = (customerId: string, timeZone: string, market: string, at: string) =>
    enrolMember(eu, d.global().sql, 'eu', programme, {
      customerId,
      brandId: 'acme',
      timeZone,
      market,
      termsVersion: '2026-01',
      via: 'api',
      now: new Date(at),
    });

  let web: MeridianWeb;
  let base: string;
  let allToken: string;
  const call = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('loyalty', {
      MERIDIAN_EXPORT_DIR: exportDir,
      MERIDIAN_AUDIENCES: 'off',
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us,${EU_TOKEN}:eu`,
    });
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    await d.startWorkers(['eu', 'us', 'apac']);
    eu = d.regional('eu').sql;
    const g = d.global().sql;
    await g`select 1`;
    await g`insert into brands (id, name) values ('acme', 'Acme') on conflict do nothing`;
    for (const [id, region] of [
      ['src_tokyo', 'apac'],
      ['src_amazon_us', 'us'],
    ] as const)
      await g`
        insert into sources (id, name, region, kind, brand_id, write_key_hash, write_key_hint)
        values (${id}, ${id}, ${region}, 'server', 'acme', ${randomBytes(32)}, 'test')`;
    shop = await startShopifyEmulator({ accessToken: SHOP_TOKEN, timeZone: 'Europe/Berlin', currency: 'EUR' });
    shop.addCustomers([
      { id: SHOPIFY_ANNA, email: 'anna.schmidt@example.com', first_name: 'Anna', tags: 'newsletter' },
    ]);
    const r = d.config.regions.region('eu');
    await createConnector(
      g,
      { sql: eu, key: keyFromRef(r.keyRef, d.env) },
      {
        id: 'shop_berlin',
        system: 'shopify',
        name: 'Berlin store',
        region: 'eu',
        brandId: 'acme',
        settings: { shopUrl: shop.baseUrl, timeZone: 'Europe/Berlin' },
        credentials: { accessToken: SHOP_TOKEN },
      },
    );
    for (const id of [ANNA, BEN, CHIE, DAN])
      await g`insert into customers (customer_id, home_region, regions) values (${id}, 'eu', ${['eu', 'us', 'apac']})`;
    await profiles(ANNA, BEN, CHIE, DAN);
    programme = loyaltyProgrammeSchema.parse(programmeInput);
    await saveProgramme(g, programme);
    // ECB-style rates (units per EUR) for two days: the same euros cost different yen and dollars.
    await upsertFxDays(
      g,
      [
        { date: D1, rates: { JPY: '160', USD: '1.08' } },
        { date: D2, rates: { JPY: '165', USD: '1.10' } },
      ],
      'test',
    );
  });
  afterAll(async () => {
    await web?.close();
    await shop?.close();
    await d?.close();
  });

  it('stores the programme as data and reads it back', async () => {
    expect(await loadProgramme(d.global().sql, 'acme')).toEqual(programme);
    expect(await saveProgramme(d.global().sql, programme)).toEqual({ version: 2 });
  });

  it('gives a member shopping in Tokyo (JPY), Berlin (EUR) and on Amazon US (USD) one balance at each order date FX', async () => {
    const { member, created } = await enrol(ANNA, 'Europe/Berlin', 'DE', ENROLLED);
    expect(created).toBe(true);
    expect(member.memberId).toMatch(/^M\d{12}$/);
    expect((await enrol(ANNA, 'Europe/Berlin', 'DE', ENROLLED)).created).toBe(false);
    expect(await balanceOf(eu, ANNA, 'acme')).toBe(10); // the sign-up bonus, once

    // The reporting amounts as the FX normalisation computes them, at each order's local date.
    const fx = await new FxRatesCache(d.global().sql).current();
    const eur = (minor: number, currency: string, date: string) => {
      const c = fx.convert(BigInt(minor), currency, 'EUR', date);
      if (!c.ok) throw new Error(c.reason);
      return Number(c.minor);
    };
    // ¥16,000 at 160 and ¥16,500 at 165 are both €100.00; $54.00 at 1.08 is €50.00.
    expect(eur(16000, 'JPY', D1)).toBe(10000);
    expect(eur(16500, 'JPY', D2)).toBe(10000);
    expect(eur(5400, 'USD', D1)).toBe(5000);
    const tokyo = { sourceId: 'src_tokyo', customerId: ANNA, currency: 'JPY', zone: 'Asia/Tokyo', country: 'JP' };
    await insertOrder('apac', {
      ...tokyo,
      id: 'T-1',
      totalMinor: 16000,
      reportingMinor: eur(16000, 'JPY', D1),
      placedAt: `${D1}T03:00:00Z`,
      localDate: D1,
    });
    await insertOrder('apac', {
      ...tokyo,
      id: 'T-2',
      totalMinor: 16500,
      reportingMinor: eur(16500, 'JPY', D2),
      placedAt: `${D2}T03:00:00Z`,
      localDate: D2,
    });
    await insertOrder('eu', {
      sourceId: 'shop_berlin',
      id: 'B-1',
      customerId: ANNA,
      currency: 'EUR',
      totalMinor: 5000,
      reportingMinor: 5000,
      placedAt: `${D3}T10:00:00Z`,
      zone: 'Europe/Berlin',
      localDate: D3,
      country: 'DE',
      shopifyCustomer: String(SHOPIFY_ANNA),
    });
    await insertOrder('us', {
      sourceId: 'src_amazon_us',
      id: 'A-1',
      customerId: ANNA,
      currency: 'USD',
      totalMinor: 5400,
      reportingMinor: eur(5400, 'USD', D1),
      placedAt: `${D1}T18:00:00Z`,
      zone: 'America/Los_Angeles',
      localDate: D1,
      country: 'US',
    });
    // An order placed before enrolment earns nothing.
    await insertOrder('eu', {
      sourceId: 'shop_berlin',
      id: 'B-0',
      customerId: ANNA,
      currency: 'EUR',
      totalMinor: 9900,
      reportingMinor: 9900,
      placedAt: `${addLocalDays(TODAY, -20)}T10:00:00Z`,
      zone: 'Europe/Berlin',
      localDate: addLocalDays(TODAY, -20),
      country: 'DE',
    });

    for (const region of ['eu', 'us', 'apac']) await react(region, ANNA);
    // Twice: nothing is earned twice (the same workflow IDs, the same ledger keys).
    for (const region of ['eu', 'us', 'apac']) await react(region, ANNA);
    await eventually(async () => expect(await balanceOf(eu, ANNA, 'acme')).toBe(10 + 100 + 100 + 50 + 50), 30_000);
    const earns = (await ledgerOf(eu, ANNA, 'acme')).filter((e) => e.kind === 'earn');
    expect(earns.map((e) => [e.orderRef, e.points, e.currency, e.localDate]).sort()).toEqual([
      ['shop_berlin:B-1', 50, 'EUR', D3],
      ['src_amazon_us:A-1', 50, 'USD', D1],
      ['src_tokyo:T-1', 100, 'JPY', D1],
      ['src_tokyo:T-2', 100, 'JPY', D2],
    ]);
    // Nothing of the ledger in the regions that hold the orders.
    for (const region of ['us', 'apac'])
      expect((await d.regional(region).sql`select count(*)::int as n from loyalty_ledger`)[0]!.n).toBe(0);
  });

  it('upgrades at once past 250 points and puts the tier in Shopify metafields and tags, status per store', async () => {
    // 300 points earned in the window: gold, decided when the last order landed.
    await eventually(async () => expect((await getMember(eu, ANNA, 'acme'))!.tier).toBe('gold'), 30_000);
    expect((await tierHistory(eu, ANNA, 'acme')).map((h) => [h.fromTier, h.toTier, h.reason])).toEqual([
      [null, 'member', 'enrolment'],
      ['member', 'gold', 'upgrade'],
    ]);
    // The push carries the balance when it ran (the upgrade happens as the 250th point lands).
    await eventually(async () => {
      const [status] = await syncStatusOf(eu, ANNA, 'acme');
      expect(status).toMatchObject({ connectorId: 'shop_berlin', system: 'shopify', status: 'done', tier: 'gold' });
      const fields = Object.fromEntries(
        shop.customerMetafields(SHOPIFY_ANNA).map((m) => [`${m.namespace}.${m.key}`, [m.type, m.value]]),
      );
      expect(fields['meridian_loyalty.acme_tier']).toEqual(['single_line_text_field', 'gold']);
      expect(fields['meridian_loyalty.acme_points']).toEqual(['number_integer', String(status!.balance)]);
      expect(fields['meridian_loyalty.member_id']?.[1]).toBe((await getMember(eu, ANNA, 'acme'))!.memberId);
    }, 30_000);
    expect(shop.customer(SHOPIFY_ANNA)!.tags).toBe('newsletter, loyalty:acme:gold');
    // Tier and balance are computed-trait values for segments, defined with the programme.
    const traits = await eu<{ trait_id: string; value: unknown }[]>`
      select trait_id, value from computed_trait_values where customer_id = ${ANNA} order by trait_id`;
    expect(traits).toEqual([
      { trait_id: 'loyalty_points_acme', value: 310 },
      { trait_id: 'loyalty_tier_acme', value: 'gold' },
    ]);
    const defined = await d.global().sql<{ id: string; definition: unknown }[]>`
      select id, definition from computed_traits where id like 'loyalty%' order by id`;
    expect(defined).toEqual([
      { id: 'loyalty_points_acme', definition: { kind: 'loyalty', brandId: 'acme', measure: 'points' } },
      { id: 'loyalty_tier_acme', definition: { kind: 'loyalty', brandId: 'acme', measure: 'tier' } },
    ]);
    // The histories carry IDs, tiers, points and order facts: never the customer's e-mail or name.
    const runs = d.client.workflow.list({ query: `WorkflowType = 'loyaltySync' or WorkflowType = 'loyaltyOrders'` });
    let seen = 0;
    for await (const run of runs) {
      // loyaltyOrders runs carry many members (their IDs in the input, not in the workflow ID).
      if (!run.workflowId.includes(ANNA) && run.type !== 'loyaltyOrders') continue;
      const history = await decodedHistory(
        d.client.workflow.getHandle(run.workflowId, run.runId),
        d.config.payloadKeys,
      );
      if (!history.includes(ANNA)) continue;
      expect(history).not.toMatch(/anna|schmidt|example\.com/i);
      seen++;
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it('reverses exactly what a refunded or cancelled order earned, partially for a partial refund', async () => {
    // ¥4,000 of ¥16,000 refunded: a quarter of its 100 points.
    const refund = { customerId: ANNA, brandId: 'acme', sourceId: 'src_tokyo', orderId: 'T-1', now: new Date() };
    expect(await reverseRefund(eu, d.global().sql, { ...refund, refundId: 'r1', refundedMinor: 4000n })).toEqual({
      reversed: 25,
    });
    expect(await reverseRefund(eu, d.global().sql, { ...refund, refundId: 'r1', refundedMinor: 4000n })).toEqual({
      reversed: 0,
    });
    expect(await balanceOf(eu, ANNA, 'acme')).toBe(285);
    // Then the order is cancelled in Tokyo: the 75 points it still holds go, no more.
    await setStatus('apac', 'src_tokyo', 'T-1', 'cancelled');
    await react('apac', ANNA);
    await eventually(async () => expect(await balanceOf(eu, ANNA, 'acme')).toBe(210), 30_000);
    // And the Berlin order, cancelled: its 50.
    await setStatus('eu', 'shop_berlin', 'B-1', 'cancelled');
    await react('eu', ANNA);
    expect(await balanceOf(eu, ANNA, 'acme')).toBe(160);
    const byOrder = new Map<string, number>();
    for (const e of await ledgerOf(eu, ANNA, 'acme'))
      if (e.orderRef) byOrder.set(e.orderRef, (byOrder.get(e.orderRef) ?? 0) + e.points);
    expect(byOrder.get('src_tokyo:T-1')).toBe(0);
    expect(byOrder.get('shop_berlin:B-1')).toBe(0);
    expect(byOrder.get('src_tokyo:T-2')).toBe(100);
    expect(
      (
        await redeem(eu, {
          customerId: ANNA,
          brandId: 'acme',
          points: 60,
          requestId: 'anna-r1',
          reason: 'voucher',
          now: new Date(),
        })
      ).ok,
    ).toBe(true);
  });

  it('expires points at midnight in the member zone, first in first out after redemptions', async () => {
    await enrol(CHIE, 'Asia/Tokyo', 'JP', '2026-01-01T00:00:00Z');
    await insertOrder('eu', {
      sourceId: 'shop_berlin',
      id: 'C-1',
      customerId: CHIE,
      currency: 'EUR',
      totalMinor: 4000,
      reportingMinor: 4000,
      placedAt: '2026-01-10T10:00:00Z',
      zone: 'Europe/Berlin',
      localDate: '2026-01-10',
      country: 'DE',
    });
    await react('eu', CHIE);
    // 40 earned on 10 January, 10 for signing up on 1 January (Tokyo).
    expect(await balanceOf(eu, CHIE, 'acme')).toBe(50);
    expect(
      (
        await redeem(eu, {
          customerId: CHIE,
          brandId: 'acme',
          points: 15,
          requestId: 'c-r1',
          reason: 'voucher',
          now: new Date('2026-01-20T00:00:00Z'),
        })
      ).ok,
    ).toBe(true);
    const sweep = (at: string) =>
      sweepMembersPage(eu, euKey(), (b) => loadProgramme(d.global().sql, b), null, 100, new Date(at));
    // The bonus lot (10) expires at 00:00 on 31 January in Tokyo: 15:00 UTC on the 30th; the redemption consumed it.
    await sweep('2026-01-30T15:00:00Z');
    expect(await balanceOf(eu, CHIE, 'acme')).toBe(35);
    // The order's 40 expire at 00:00 on 9 February in Tokyo (15:00 UTC on the 8th), less the 5 the redemption took.
    await sweep('2026-02-08T14:59:59Z');
    expect(await balanceOf(eu, CHIE, 'acme')).toBe(35);
    await sweep('2026-02-08T15:00:00Z');
    expect(await balanceOf(eu, CHIE, 'acme')).toBe(0);
    await sweep('2026-02-08T16:00:00Z');
    expect((await ledgerOf(eu, CHIE, 'acme')).filter((e) => e.kind === 'expire').map((e) => e.points)).toEqual([-35]);
  });

  it('keeps a downgrade waiting for the grace period after the review date', async () => {
    await enrol(BEN, 'Europe/Berlin', 'DE', ENROLLED);
    await insertOrder('eu', {
      sourceId: 'shop_berlin',
      id: 'BEN-1',
      customerId: BEN,
      currency: 'EUR',
      totalMinor: 30000,
      reportingMinor: 30000,
      placedAt: `${D2}T10:00:00Z`,
      zone: 'Europe/Berlin',
      localDate: D2,
      country: 'DE',
    });
    await react('eu', BEN);
    const ben = async () => (await getMember(eu, BEN, 'acme'))!;
    expect((await ben()).tier).toBe('gold');
    // Reached today (the reactor's clock); review 30 days later.
    const reviewOn = (await ben()).reviewOn;
    const noonOn = (date: string, plus = 0) =>
      new Date(new Date(`${date}T11:00:00Z`).getTime() + plus * 86_400_000).toISOString();
    const sweep = (at: string) =>
      sweepMembersPage(eu, euKey(), (b) => loadProgramme(d.global().sql, b), null, 100, new Date(at));
    await sweep(noonOn(reviewOn, -1));
    expect(await ben()).toMatchObject({ tier: 'gold', graceUntil: null });
    // The review finds 0 points in the last 30 days: 14 days of grace.
    await sweep(noonOn(reviewOn));
    expect(await ben()).toMatchObject({ tier: 'gold' });
    expect((await ben()).graceUntil).not.toBeNull();
    await sweep(noonOn(reviewOn, 13));
    expect((await ben()).tier).toBe('gold');
    await sweep(noonOn(reviewOn, 14));
    expect((await ben()).tier).toBe('member');
    expect((await tierHistory(eu, BEN, 'acme')).map((h) => h.reason)).toEqual([
      'enrolment',
      'upgrade',
      'grace',
      'downgrade',
    ]);
  });

  it('lets one of two simultaneous redemptions of the whole balance through, and never overdraws under load', async () => {
    await enrol(DAN, 'Europe/Berlin', 'DE', '2026-01-01T00:00:00Z');
    await adjust(eu, {
      customerId: DAN,
      brandId: 'acme',
      points: 90,
      requestId: 'dan-a1',
      reason: 'goodwill',
      now: new Date(),
    });
    expect(await balanceOf(eu, DAN, 'acme')).toBe(100);
    const pool = openRegionalPool(d.config, d.config.regions.region('eu'), { max: 6 });
    try {
      const whole = (channel: string) =>
        redeem(pool.sql, {
          customerId: DAN,
          brandId: 'acme',
          points: 100,
          requestId: `dan-${channel}`,
          reason: channel,
          now: new Date(),
        });
      const [pos, app] = await Promise.all([whole('pos'), whole('app')]);
      expect([pos.ok, app.ok].sort()).toEqual([false, true]);
      expect(await balanceOf(eu, DAN, 'acme')).toBe(0);
      await adjust(eu, {
        customerId: DAN,
        brandId: 'acme',
        points: 100,
        requestId: 'dan-a2',
        reason: 'goodwill',
        now: new Date(),
      });
      const many = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          redeem(pool.sql, {
            customerId: DAN,
            brandId: 'acme',
            points: 10,
            requestId: `dan-many-${i}`,
            reason: 'load',
            now: new Date(),
          }),
        ),
      );
      expect(many.filter((r) => r.ok)).toHaveLength(10);
      expect(await balanceOf(eu, DAN, 'acme')).toBe(0);
      // A retried request answers its first outcome and writes nothing.
      const first = many.findIndex((r) => r.ok);
      expect(
        await redeem(pool.sql, {
          customerId: DAN,
          brandId: 'acme',
          points: 10,
          requestId: `dan-many-${first}`,
          reason: 'load',
          now: new Date(),
        }),
      ).toMatchObject({ ok: true, repeated: true, balance: 0 });
    } finally {
      await pool.close();
    }
  });

  it('merges two members into one ledger keeping the higher tier, recorded', async () => {
    const regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.env);
    const FROM = randomUUID();
    const INTO = randomUUID();
    await d.global()
      .sql`insert into customers (customer_id, home_region, regions) values (${FROM}, 'eu', ${['eu']}), (${INTO}, 'eu', ${['eu']})`;
    await profiles(FROM, INTO);
    await enrol(FROM, 'Europe/Berlin', 'DE', '2026-01-01T00:00:00Z');
    await enrol(INTO, 'Europe/Berlin', 'DE', '2026-02-01T00:00:00Z');
    await eu`update loyalty_members set tier = 'gold', tier_rank = 1 where customer_id = ${FROM}`;
    await adjust(eu, {
      customerId: FROM,
      brandId: 'acme',
      points: 5,
      requestId: 'm-1',
      reason: 'test',
      now: new Date(),
    });
    await mergeProfiles(
      eu,
      regionKey,
      { from: FROM, into: INTO, linkedBy: 'email', workflowId: 'wf-test', sourceTrust: {} },
      () => {},
    );
    expect(await getMember(eu, FROM, 'acme')).toBeUndefined();
    expect(await getMember(eu, INTO, 'acme')).toMatchObject({ tier: 'gold' });
    expect(await balanceOf(eu, INTO, 'acme')).toBe(25);
    expect((await tierHistory(eu, INTO, 'acme')).at(-1)).toMatchObject({ fromTier: 'member', toTier: 'gold' });
  });

  it('exports the ledger, and erasure leaves no ledger row but the redemptions a legal hold keeps', async () => {
    const regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.env);
    const exported = await readPersonForExport(eu, regionKey, ANNA);
    expect(exported.loyalty.ledger.length).toBeGreaterThan(5);
    expect(exported.loyalty.members).toHaveLength(1);
    await eraseProfiles(eu, d.global().sql, [ANNA], true);
    const left = await eu<
      { kind: string; points: number }[]
    >`select kind, points::float8 as points from loyalty_ledger where customer_id = ${ANNA}`;
    expect(left).toEqual([{ kind: 'redeem', points: -60 }]);
    expect(await tierHistory(eu, ANNA)).toEqual([]);
    expect((await erasureLeftovers(eu, ANNA, true)).tables).toEqual({});
    expect(
      (await d.global().sql`select count(*)::int as n from loyalty_member_ids where customer_id = ${ANNA}`)[0]!.n,
    ).toBe(0);
    // Without a hold, nothing of the ledger stays.
    await eraseProfiles(eu, d.global().sql, [DAN], false);
    expect((await eu`select count(*)::int as n from loyalty_ledger where customer_id = ${DAN}`)[0]!.n).toBe(0);
    expect((await erasureLeftovers(eu, DAN)).tables).toEqual({});
  });

  it('enrols, redeems and looks a member up through the admin API, in Japanese for a Japanese store', async () => {
    const EMI = randomUUID();
    await d.global().sql`insert into customers (customer_id, home_region, regions) values (${EMI}, 'eu', ${['eu']})`;
    await profiles(EMI);
    // The e-mail as the identity index holds it: a blind index, never the address.
    await d.global().sql`
      insert into identity_index (type, blind_index, customer_id, provenance)
      values ('email', ${blindIndex(d.config.identityHmacKey, 'email', 'emi.tanaka@example.jp')}, ${EMI}, 'server')`;
    const enrolment = {
      customerId: EMI,
      brandId: 'acme',
      termsVersion: '2026-01',
      timeZone: 'Asia/Tokyo',
      market: 'JP',
    };
    // A token for another region cannot enrol an eu member; a bad field is named.
    expect((await call(US_TOKEN, 'POST', '/admin/loyalty/members', enrolment)).status).toBe(403);
    const bad = await call(EU_TOKEN, 'POST', '/admin/loyalty/members', { ...enrolment, timeZone: 'Mars/Base' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('timeZone: must be an IANA time zone such as Asia/Tokyo');
    const badBirthday = await call(EU_TOKEN, 'POST', '/admin/loyalty/members', {
      ...enrolment,
      birthday: '1990-13-01',
    });
    expect(badBirthday.body.error).toBe('birthday: must be MM-DD or YYYY-MM-DD, e.g. 03-15');
    const created = await call(EU_TOKEN, 'POST', '/admin/loyalty/members', { ...enrolment, birthday: '1990-07-04' });
    expect(created.status, created.text).toBe(201);
    // Only month and day are kept.
    expect((await getMember(eu, EMI, 'acme'))!.birthMonthDay).toBe('07-04');
    expect(created.body.member).toMatchObject({ customerId: EMI, tier: 'member', balance: 10 });
    expect((await call(EU_TOKEN, 'POST', '/admin/loyalty/members', enrolment)).status).toBe(200);
    const memberId = created.body.member.memberId as string;
    await eu`update loyalty_members set tier = 'gold', tier_rank = 1 where customer_id = ${EMI}`;
    await adjust(eu, {
      customerId: EMI,
      brandId: 'acme',
      points: 1190,
      requestId: 'emi-1',
      reason: 'test',
      now: new Date(),
    });

    const jp = await call(EU_TOKEN, 'POST', '/admin/loyalty/lookup', {
      brandId: 'acme',
      market: 'JP',
      email: 'Emi.Tanaka@example.jp',
    });
    expect(jp.status, jp.text).toBe(200);
    expect(jp.body).toMatchObject({
      language: 'ja',
      tierName: 'ゴールド',
      benefits: [{ key: 'voucher', text: '1,000円クーポン' }],
      member: { memberId, tier: 'gold', balance: 1200 },
    });
    expect(jp.body.lines.slice(0, 3)).toEqual(['ゴールド会員', '1,200ポイント', `会員番号 ${memberId}`]);
    const de = await call(EU_TOKEN, 'POST', '/admin/loyalty/lookup', { brandId: 'acme', market: 'DE', memberId });
    expect(de.body).toMatchObject({ language: 'de', benefits: [{ key: 'shipping', text: 'Kostenloser Versand' }] });
    expect(de.body.lines[1]).toBe('1.200 Punkte');
    // Another region's token does not learn that the person is a member.
    expect(
      (await call(US_TOKEN, 'POST', '/admin/loyalty/lookup', { brandId: 'acme', market: 'JP', memberId })).status,
    ).toBe(404);

    const redeemed = await call(EU_TOKEN, 'POST', `/admin/loyalty/members/${memberId}/redemptions`, {
      brandId: 'acme',
      points: 1000,
      requestId: 'pos-1',
      reason: 'voucher',
    });
    expect(redeemed.status, redeemed.text).toBe(201);
    expect(redeemed.body).toEqual({ balance: 200, redeemed: 1000, repeated: false });
    const over = await call(EU_TOKEN, 'POST', `/admin/loyalty/members/${memberId}/redemptions`, {
      brandId: 'acme',
      points: 1000,
      requestId: 'pos-2',
      reason: 'voucher',
    });
    expect(over.status).toBe(409);
    expect(over.body).toEqual({ error: 'the balance is 200 points, fewer than the 1000 asked', balance: 200 });
  });

  describe('tracked events', () => {
    let serverKey: string;
    let browserKey: string;
    const track = async (key: string, userId: string, event: string, properties: Record<string, unknown>) => {
      const messageId = randomUUID();
      const res = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId, messageId, event, properties, context: { timezone: 'Europe/Berlin' } }),
      });
      expect(res.status, await res.text()).toBe(200);
      // Acknowledged once in the intake log; the eu worker's intake processor writes the event.
      let customerId = '';
      await eventually(async () => {
        const [row] = await eu<
          { customer_id: string }[]
        >`select customer_id from events where message_id = ${messageId}`;
        expect(row).toBeDefined();
        customerId = row!.customer_id;
      }, 30_000);
      return customerId;
    };
    const source = async (name: string, kind: 'server' | 'browser') => {
      const created = await call(allToken, 'POST', '/admin/sources', {
        name,
        region: 'eu',
        kind,
        brandId: 'acme',
        ...(kind === 'browser' ? { allowedOrigins: ['https://acme.example'] } : {}),
      });
      expect(created.status, created.text).toBe(201);
      return created.body.writeKey as string;
    };
    const userId = `fumi-${randomUUID()}`;
    let FUMI: string;

    beforeAll(async () => {
      serverKey = await source('acme back end', 'server');
      browserKey = await source('acme site', 'browser');
    });

    it('enrols through a tracked Loyalty Enrolled event from a server source, naming the accepted terms; never from a browser', async () => {
      // A browser source's key is public: anyone could enrol anyone with it, so it never enrols.
      FUMI = await track(browserKey, userId, 'Loyalty Enrolled', { terms_version: '2026-01' });
      await reactTo('eu', 'event:Loyalty Enrolled', FUMI);
      expect(await getMember(eu, FUMI, 'acme')).toBeUndefined();
      // Without the terms accepted, no enrolment either.
      await track(serverKey, userId, 'Loyalty Enrolled', { market: 'DE' });
      await reactTo('eu', 'event:Loyalty Enrolled', FUMI);
      expect(await getMember(eu, FUMI, 'acme')).toBeUndefined();
      await track(serverKey, userId, 'Loyalty Enrolled', { terms_version: '2026-02', market: 'DE' });
      await reactTo('eu', 'event:Loyalty Enrolled', FUMI);
      await reactTo('eu', 'event:Loyalty Enrolled', FUMI);
      expect(await getMember(eu, FUMI, 'acme')).toMatchObject({
        termsVersion: '2026-02',
        timeZone: 'Europe/Berlin',
        market: 'DE',
        tier: 'member',
      });
      expect((await eu`select enrolled_via from loyalty_members where customer_id = ${FUMI}`)[0]!.enrolled_via).toBe(
        'event',
      );
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(10); // the sign-up bonus, once
    });

    it('earns on tracked Order Completed events once per order, whether the order also comes by the store sync or not', async () => {
      // The event first, twice (a client retry with a new message ID): one earn.
      for (let i = 0; i < 2; i++)
        await track(serverKey, userId, 'Order Completed', { order_id: 'W-1', total: 80.5, currency: 'EUR' });
      await reactTo('eu', 'event:Order Completed', FUMI);
      await reactTo('eu', 'event:Order Completed', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(10 + 80);
      // Then the store's sync brings the same order: nothing more is earned.
      const now = new Date().toISOString();
      const order = {
        sourceId: 'shop_berlin',
        customerId: FUMI,
        currency: 'EUR',
        placedAt: now,
        zone: 'Europe/Berlin',
        localDate: localDate(new Date(), 'Europe/Berlin'),
        country: 'DE',
      };
      await insertOrder('eu', { ...order, id: 'W-1', totalMinor: 8050, reportingMinor: 8050 });
      await react('eu', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(90);
      // The other way round: the store's order first, its event later.
      await insertOrder('eu', { ...order, id: 'W-2', totalMinor: 4000, reportingMinor: 4000 });
      await react('eu', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(130);
      await track(serverKey, userId, 'Order Completed', { order_id: 'W-2', total: '40.00', currency: 'EUR' });
      await reactTo('eu', 'event:Order Completed', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(130);
      const earns = (await ledgerOf(eu, FUMI, 'acme')).filter((e) => e.kind === 'earn');
      expect(earns).toHaveLength(2);
      expect(earns.find((e) => e.orderRef?.endsWith(':W-1'))).toMatchObject({ points: 80, currency: 'EUR' });
      expect(earns.find((e) => e.orderRef?.endsWith(':W-1'))!.orderRef).not.toBe('shop_berlin:W-1');
      expect(earns.find((e) => e.orderRef === 'shop_berlin:W-2')).toMatchObject({ points: 40 });
      // The store's record is authoritative: cancelled there, the event's earn is reversed.
      await setStatus('eu', 'shop_berlin', 'W-1', 'cancelled');
      await react('eu', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(50);
      // An event without an order ID earns nothing.
      await track(serverKey, userId, 'Order Completed', { total: 500, currency: 'EUR' });
      await reactTo('eu', 'event:Order Completed', FUMI);
      expect(await balanceOf(eu, FUMI, 'acme')).toBe(50);
    });

    it('records a tier change as a Tier Changed event on the profile, and the tier segment and tag gain the member', async () => {
      await track(serverKey, userId, 'Order Completed', { order_id: 'W-3', total: 300, currency: 'EUR' });
      await reactTo('eu', 'event:Order Completed', FUMI);
      expect((await getMember(eu, FUMI, 'acme'))!.tier).toBe('gold');
      const [changed] = await eu<{ properties: unknown; source_id: string; id: string }[]>`
        select properties, source_id, id from events where customer_id = ${FUMI} and event = 'Tier Changed'`;
      expect(changed).toMatchObject({
        source_id: 'meridian:loyalty',
        properties: { brand_id: 'acme', from_tier: 'member', to_tier: 'gold', direction: 'upgrade' },
      });
      // Journeys start on it ("welcome to Gold").
      expect(
        (
          await eu`select count(*)::int as n from journey_event_outbox where event_id = ${changed!.id} and event = 'Tier Changed'`
        )[0]!.n,
      ).toBe(1);
      // The audience processor runs what the change noted: the tier's segment and its rule tag gain the member.
      const processor = new AudienceProcessor(
        eu,
        audienceReactors({
          region: 'eu',
          globalSql: d.global().sql,
          regions: d.config.regions,
          client: d.client,
          regionKey: euKey(),
          reportingCurrency: 'EUR',
        }),
      );
      while ((await processor.processBatch()) > 0);
      const segments = await eu<{ segment_id: string }[]>`
        select segment_id from segment_membership where customer_id = ${FUMI} and exited_at is null`;
      expect(segments.map((r) => r.segment_id)).toContain('loyalty-acme-gold');
      const tags = await eu<{ tag_key: string }[]>`select tag_key from tag_assignments where customer_id = ${FUMI}`;
      expect(tags.map((t) => t.tag_key)).toContain('loyalty-acme-gold');
      // Someone who is not gold (Chie: her points expired) is in neither. (Ben is gold again: his
      // 300 points of today qualify him as of now, whatever the earlier sweeps a month ahead decided.)
      expect((await getMember(eu, CHIE, 'acme'))!.tier).toBe('member');
      expect(
        (
          await eu`select count(*)::int as n from segment_membership where customer_id = ${CHIE} and segment_id = 'loyalty-acme-gold' and exited_at is null`
        )[0]!.n,
      ).toBe(0);
      expect(
        (
          await eu`select count(*)::int as n from tag_assignments where customer_id = ${CHIE} and tag_key = 'loyalty-acme-gold'`
        )[0]!.n,
      ).toBe(0);
    });
  });

  it('gives the birthday bonus once a year on the day in the member zone', async () => {
    // Last: the sweeps run a year ahead for every member of the region.
    const g = d.global().sql;
    await g`insert into brands (id, name) values ('bday', 'Bday') on conflict do nothing`;
    const bday = loyaltyProgrammeSchema.parse({
      ...programmeInput,
      brandId: 'bday',
      earn: { pointsPerUnit: 1, bonuses: { birthday: 25 } },
      expiry: { kind: 'never' },
    });
    await saveProgramme(g, bday);
    const GIN = randomUUID();
    await g`insert into customers (customer_id, home_region, regions) values (${GIN}, 'eu', ${['eu']})`;
    await enrolMember(eu, g, 'eu', bday, {
      customerId: GIN,
      brandId: 'bday',
      timeZone: 'Asia/Tokyo',
      market: 'JP',
      termsVersion: '1',
      via: 'api',
      now: new Date('2027-01-01T00:00:00Z'),
      birthMonthDay: '03-15',
    });
    const sweep = (at: string) => sweepMembersPage(eu, euKey(), (b) => loadProgramme(g, b), null, 1000, new Date(at));
    // 23:59 on 14 March in Tokyo: not yet.
    await sweep('2027-03-14T14:59:00Z');
    expect(await balanceOf(eu, GIN, 'bday')).toBe(0);
    // 00:00 on 15 March in Tokyo (still the 14th in UTC and in Berlin).
    await sweep('2027-03-14T15:00:00Z');
    expect(await balanceOf(eu, GIN, 'bday')).toBe(25);
    await sweep('2027-03-15T10:00:00Z');
    expect(await balanceOf(eu, GIN, 'bday')).toBe(25);
    // The next year, again once.
    await sweep('2028-03-15T01:00:00Z');
    await sweep('2028-03-15T02:00:00Z');
    const bonuses = (await ledgerOf(eu, GIN, 'bday')).filter((e) => e.reason === 'birthday');
    expect(bonuses.map((e) => [e.points, e.localDate])).toEqual([
      [25, '2027-03-15'],
      [25, '2028-03-15'],
    ]);
    // Its trait value follows.
    const [points] = await eu<{ value: unknown }[]>`
      select value from computed_trait_values where customer_id = ${GIN} and trait_id = 'loyalty_points_bday'`;
    expect(points!.value).toBe(50);
  });
  it('appends the tier and points to a POS file on each push, with a status per system, and writes nowhere outside the export folder', async () => {
    const g = d.global().sql;
    await g`insert into brands (id, name) values ('pos', 'Pos') on conflict do nothing`;
    const pos = loyaltyProgrammeSchema.parse({ ...programmeInput, brandId: 'pos', expiry: { kind: 'never' } });
    await saveProgramme(g, pos);
    const file = join(exportDir, 'munich', 'pos-loyalty.csv');
    await createConnector(
      g,
      { sql: eu, key: euKey() },
      {
        id: 'pos_munich',
        system: 'file',
        name: 'Munich POS',
        region: 'eu',
        brandId: 'pos',
        settings: {
          path: join(exportDir, 'customers.csv'),
          format: 'csv',
          recordType: 'customers',
          mapping: { externalId: 'customer_no' },
          loyaltyExportPath: file,
        },
        credentials: {},
      },
    );
    const HAL = randomUUID();
    await g`insert into customers (customer_id, home_region, regions) values (${HAL}, 'eu', ${['eu']})`;
    const member = await enrolMember(eu, g, 'eu', pos, {
      customerId: HAL,
      brandId: 'pos',
      timeZone: 'Europe/Berlin',
      market: 'DE',
      termsVersion: '1',
      via: 'api',
      now: new Date(),
    });
    const push = async (cause: string) => {
      const id = await startLoyaltySync(d.client, d.config, 'eu', { customerId: HAL, brandId: 'pos' }, cause);
      return d.client.workflow.getHandle(id).result();
    };
    await push('pos-test-1');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('member_id,brand,tier,points,as_of');
    expect(lines).toHaveLength(2);
    const [memberId, brand, tier, points, asOf] = lines[1]!.split(',');
    expect([memberId, brand, tier, Number(points)]).toEqual([
      (await getMember(eu, HAL, 'pos'))!.memberId,
      'pos',
      (await getMember(eu, HAL, 'pos'))!.tier,
      await balanceOf(eu, HAL, 'pos'),
    ]);
    expect(Number.isNaN(Date.parse(asOf!))).toBe(false);
    expect(member).toBeTruthy();
    expect(await syncStatusOf(eu, HAL, 'pos')).toEqual([
      expect.objectContaining({ connectorId: 'pos_munich', system: 'file', status: 'done', tier }),
    ]);
    // A second push appends a newer line (the POS keeps the latest per member); no header again.
    await push('pos-test-2');
    const again = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(again).toHaveLength(3);
    expect(again.filter((l) => l.startsWith('member_id'))).toHaveLength(1);
    // Only member IDs, tiers and points: nothing that names the person.
    expect(readFileSync(file, 'utf8')).not.toContain(HAL);
    // The worker writes only inside its export folder.
    const line = { memberId: 'M1', brandId: 'pos', tier: 'member', points: 1, asOf: new Date() };
    await expect(appendPosLine(exportDir, join(exportDir, '..', 'escape.csv'), line)).rejects.toThrow(
      /outside the export folder/,
    );
    await expect(appendPosLine(exportDir, '/etc/meridian-pos.csv', line)).rejects.toThrow(/outside the export folder/);
    rmSync(exportDir, { recursive: true, force: true });
  });
});
