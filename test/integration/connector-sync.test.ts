import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connector, createConnector } from '../../db/connectors-store';
import { upsertFxDays } from '../../db/fx-rates-store';
import { keyFromRef } from '../../db/crypto-shredding';
import {
  describeConnectorSchedule,
  pauseConnectorSchedule,
  resumeConnectorSchedule,
  connectorScheduleId,
  startConnectorSync,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import type { SyncResult } from '../../workflows/connector-sync';
import { readFxHistory } from '../../scripts/fx-import';
import { startAmazonEmulator } from '../emulators/amazon';
import { startShopeeEmulator } from '../emulators/shopee';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { createTestDeployment, TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * Scheduled and on-demand connector syncs on the real Temporal server and PostgreSQL: Shopify
 * stores in five currencies and three regions, orders converted to the reporting currency (USD
 * here, so most conversions are cross rates through EUR) at the rate of their local date, with the
 * ECB's real history; then the faults: a killed worker, throttling and errors, a revoked token.
 */

const TOKEN = 'shpat_meridian_sync_test';
const NOW = new Date('2025-05-09T12:00:00Z');

interface OrderRow {
  external_id: string;
  customer_id: string | null;
  currency: string;
  total_minor: string;
  reporting_currency: string;
  reporting_total_minor: string | null;
  fx_rate_date: string | null;
  fx_fallback: boolean | null;
  fx_problem: string | null;
  local_date: string;
  local_hour: number;
  time_zone: string;
  status: string;
}

/** The workers' import folder: the only place a file import reads from. */
const importDir = mkdtempSync(path.join(tmpdir(), 'meridian-import-'));

describe('connector syncs', () => {
  let d: TestDeployment;
  const shops: { close(): Promise<void> }[] = [];
  let apacWorker: WorkerProcess;
  let otherWorkers: WorkerProcess;

  beforeAll(async () => {
    d = await createTestDeployment('sync', { MERIDIAN_REPORTING_CURRENCY: 'USD', MERIDIAN_IMPORT_DIR: importDir });
    // The ECB's real history, and a supplementary KWD rate (the ECB does not quote the dinar).
    // (A first query lets postgres.js learn the array types before an array parameter is built.)
    await d.global().sql`select 1`;
    await upsertFxDays(d.global().sql, readFxHistory(), 'ecb');
    await upsertFxDays(
      d.global().sql,
      [{ date: '2025-03-14', rates: { KWD: '0.3354' } }],
      'test fixture: CBK KWD per EUR',
    );
    otherWorkers = await d.startWorkers(['global', 'eu', 'us']);
    apacWorker = await d.startWorkers(['apac']);
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(otherWorkers?.output(), apacWorker?.output());
    await d?.close();
    await Promise.all(shops.map((s) => s.close()));
    rmSync(importDir, { recursive: true, force: true });
  });

  async function shop(options: { currency: string; timeZone: string; shop: string }): Promise<ShopifyEmulator> {
    const emulator = await startShopifyEmulator({ accessToken: TOKEN, now: () => NOW, ...options });
    shops.push(emulator);
    return emulator;
  }

  async function connector(
    id: string,
    region: string,
    emulator: ShopifyEmulator,
    pageSize?: number,
  ): Promise<Connector> {
    const r = d.config.regions.region(region);
    return createConnector(
      d.global().sql,
      { sql: d.regional(region).sql, key: keyFromRef(r.keyRef, d.env) },
      {
        id,
        system: 'shopify',
        name: `shop ${id}`,
        region,
        settings: { shopUrl: emulator.baseUrl, timeZone: emulator.timeZone, ...(pageSize ? { pageSize } : {}) },
        credentials: { accessToken: TOKEN },
      },
    );
  }

  async function anyConnector(
    id: string,
    region: string,
    system: string,
    settings: unknown,
    credentials: unknown,
  ): Promise<Connector> {
    const r = d.config.regions.region(region);
    return createConnector(
      d.global().sql,
      { sql: d.regional(region).sql, key: keyFromRef(r.keyRef, d.env) },
      { id, system, name: id, region, settings, credentials },
    );
  }

  /** One sync by hand and one from the connector's schedule: both complete, and the second stores nothing new. */
  async function onDemandAndScheduled(
    con: Connector,
  ): Promise<{ manual: SyncResult; scheduled: { status: string; orders: number; rejected: number } }> {
    const manual = await syncNow(con);
    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    await triggerConnectorSchedule(d.client, con.id);
    let scheduled = { status: '', orders: 0, rejected: 0 };
    await eventually(async () => {
      const rows = await d.regional(con.region).sql<
        { status: string; orders: number; rejected: number; workflow_id: string }[]
      >`
        select status, orders, rejected, workflow_id from sync_runs where connector_id = ${con.id} and workflow_id like ${`${connectorScheduleId(con.id)}-20%`}`;
      expect(rows[0]?.status).toBe('completed');
      scheduled = rows[0]!;
    }, 60_000);
    return { manual, scheduled };
  }

  async function syncNow(c: Connector, options: { since?: string; full?: boolean } = {}): Promise<SyncResult> {
    const { workflowId } = await startConnectorSync(d.client, d.config.regions, c, options);
    return d.client.workflow.getHandle(workflowId).result();
  }

  const orders = async (region: string, sourceId: string) =>
    (await d.regional(region).sql<OrderRow[]>`
      select external_id, customer_id, currency, total_minor::text, reporting_currency, reporting_total_minor::text,
             to_char(fx_rate_date, 'YYYY-MM-DD') as fx_rate_date, fx_fallback, fx_problem,
             to_char(local_date, 'YYYY-MM-DD') as local_date, local_hour, time_zone, status
      from orders where source_id = ${sourceId} order by external_id`) as OrderRow[];

  it('stores orders from JPY, EUR, BRL, THB and KWD stores with reporting amounts at their local date’s rate', async () => {
    // Amounts and times chosen so each case needs something: a Saturday in Tokyo (Friday's rate, said so),
    // the night Berlin moves to summer time (a Sunday: Friday's rate), Good Friday eve in São Paulo
    // (still Thursday there), past midnight in Bangkok, three decimals in Kuwait.
    const cases = [
      {
        id: 'tokyo',
        region: 'apac',
        currency: 'JPY',
        timeZone: 'Asia/Tokyo',
        at: '2025-03-14T16:30:00Z',
        total: '16188',
      },
      {
        id: 'berlin',
        region: 'eu',
        currency: 'EUR',
        timeZone: 'Europe/Berlin',
        at: '2025-03-30T00:30:00Z',
        total: '49.99',
      },
      {
        id: 'saopaulo',
        region: 'us',
        currency: 'BRL',
        timeZone: 'America/Sao_Paulo',
        at: '2025-04-18T02:00:00Z',
        total: '259.90',
      },
      {
        id: 'bangkok',
        region: 'apac',
        currency: 'THB',
        timeZone: 'Asia/Bangkok',
        at: '2025-03-13T18:00:00Z',
        total: '1290.50',
      },
      {
        id: 'kuwait',
        region: 'eu',
        currency: 'KWD',
        timeZone: 'Asia/Kuwait',
        at: '2025-03-14T09:00:00Z',
        total: '12.345',
      },
    ];
    const expected: Record<string, Partial<OrderRow>> = {
      // 16188 JPY ÷ 161.88 × 1.0889 (ECB, Fri 2025-03-14) = 108.89 USD
      tokyo: {
        total_minor: '16188',
        reporting_total_minor: '10889',
        local_date: '2025-03-15',
        local_hour: 1,
        fx_rate_date: '2025-03-14',
        fx_fallback: true,
      },
      // 49.99 EUR × 1.0797 (Fri 2025-03-28) = 53.9742 → 53.97 USD; 01:30 CET, before the 02:00 jump
      berlin: {
        total_minor: '4999',
        reporting_total_minor: '5397',
        local_date: '2025-03-30',
        local_hour: 1,
        fx_rate_date: '2025-03-28',
        fx_fallback: true,
      },
      // 259.90 BRL ÷ 6.681 × 1.136 (Thu 2025-04-17) = 44.19 USD
      saopaulo: {
        total_minor: '25990',
        reporting_total_minor: '4419',
        local_date: '2025-04-17',
        local_hour: 23,
        fx_rate_date: '2025-04-17',
        fx_fallback: false,
      },
      // 1290.50 THB ÷ 36.658 × 1.0889 (Fri 2025-03-14) = 38.33 USD
      bangkok: {
        total_minor: '129050',
        reporting_total_minor: '3833',
        local_date: '2025-03-14',
        local_hour: 1,
        fx_rate_date: '2025-03-14',
        fx_fallback: false,
      },
      // 12.345 KWD ÷ 0.3354 × 1.0889 (supplementary KWD rate) = 40.08 USD
      kuwait: {
        total_minor: '12345',
        reporting_total_minor: '4008',
        local_date: '2025-03-14',
        local_hour: 12,
        fx_rate_date: '2025-03-14',
        fx_fallback: false,
      },
    };
    for (const [i, c] of cases.entries()) {
      const customerId = 1001 + i;
      const emulator = await shop({ currency: c.currency, timeZone: c.timeZone, shop: c.id });
      emulator.addCustomers([
        { id: customerId, email: `${c.id}@example.com`, first_name: 'Ana', created_at: c.at, updated_at: c.at },
      ]);
      emulator.addOrders([
        {
          id: 9001,
          customer_id: customerId,
          email: `${c.id}@example.com`,
          created_at: c.at,
          processed_at: c.at,
          updated_at: c.at,
          total_price: c.total,
          subtotal_price: c.total,
          line_items: [{ sku: 'A', title: 'Tea', quantity: 1, price: c.total }],
        },
      ]);
      const con = await connector(`shop_${c.id}`, c.region, emulator);
      const result = await syncNow(con);
      expect(result).toMatchObject({ status: 'completed', totals: { customers: 1, orders: 1, rejected: 0 } });

      const [row] = await orders(c.region, con.id);
      expect(row, c.id).toMatchObject({
        currency: c.currency,
        reporting_currency: 'USD',
        time_zone: c.timeZone,
        fx_problem: null,
        ...expected[c.id],
      });
      // The buyer is the customer the customers stream created: one profile, found by the Shopify customer ID.
      const [profiles] = await d.regional(c.region).sql<
        { n: number }[]
      >`select count(*)::int as n from profiles where merged_into is null`;
      expect(row!.customer_id).not.toBeNull();
      const [owner] = await d.regional(c.region).sql<{ customer_id: string }[]>`
        select customer_id from identities where type = 'shopify_customer' and source_id = ${con.id}`;
      expect(owner?.customer_id).toBe(row!.customer_id);
      expect(profiles!.n).toBeGreaterThan(0);
      // Nothing of the shop reached another region.
      for (const other of ['eu', 'us', 'apac'].filter((r) => r !== c.region)) {
        expect(await orders(other, con.id), `${c.id} in ${other}`).toHaveLength(0);
      }
    }
  }, 120_000);

  it('syncs incrementally: a second run takes only what changed, and nothing is stored twice', async () => {
    const emulator = await shop({ currency: 'JPY', timeZone: 'Asia/Tokyo', shop: 'incremental' });
    emulator.seed({ customers: 40, orders: 300, seed: 7 });
    const con = await connector('shop_incremental', 'apac', emulator, 50);
    const first = await syncNow(con);
    expect(first).toMatchObject({ status: 'completed', totals: { customers: 40, orders: 300, rejected: 0 } });
    expect(first.totals.pages).toBe(1 + 6);

    const ids = (await orders('apac', con.id)).map((o) => o.external_id);
    emulator.updateOrder(Number(ids[10]), { cancelled_at: NOW, cancel_reason: 'customer' });
    const second = await syncNow(con);
    // The overlap re-reads the records updated near the end of the last pass; only the cancelled one changed.
    expect(second.status).toBe('completed');
    expect(second.totals.orders).toBeLessThan(300);
    const after = await orders('apac', con.id);
    expect(after).toHaveLength(300);
    expect(after.find((o) => o.external_id === ids[10])?.status).toBe('cancelled');
    const [dupes] = await d.regional('apac').sql<{ n: number }[]>`
      select count(*)::int as n from (select type, blind_index from identities group by 1, 2 having count(*) > 1) x`;
    expect(dupes!.n).toBe(0);
  }, 120_000);

  it('runs from a Temporal Schedule, which ops can pause, resume and trigger', async () => {
    const emulator = await shop({ currency: 'THB', timeZone: 'Asia/Bangkok', shop: 'scheduled' });
    emulator.seed({ customers: 5, orders: 20, seed: 3 });
    const con = await connector('shop_scheduled', 'apac', emulator);
    expect(
      await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1h', timeZone: 'Asia/Bangkok' }),
    ).toBe('created');
    expect(
      await upsertConnectorSchedule(d.client, d.config.regions, con, { cron: '30 2 * * *', timeZone: 'Asia/Bangkok' }),
    ).toBe('updated');
    const described = await describeConnectorSchedule(d.client, con.id);
    expect(described?.spec.timezone).toBe('Asia/Bangkok');
    expect(described?.policies.overlap).toBe('SKIP');

    await pauseConnectorSchedule(d.client, con.id, 'store migration');
    expect((await describeConnectorSchedule(d.client, con.id))?.state.paused).toBe(true);
    await resumeConnectorSchedule(d.client, con.id);
    expect((await describeConnectorSchedule(d.client, con.id))?.state.paused).toBe(false);

    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const [run] = await d.regional('apac').sql<{ status: string; orders: number }[]>`
        select status, orders from sync_runs where connector_id = ${con.id}`;
      expect(run).toMatchObject({ status: 'completed', orders: 20 });
    }, 60_000);
    // The run's row is written before the workflow sets its final search attributes: wait for those too.
    await eventually(async () => {
      const runs = [];
      for await (const w of d.client.workflow.list({
        query: `MeridianConnectorId = "${con.id}" AND MeridianSyncStatus = "completed"`,
      }))
        runs.push(w);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.workflowId.startsWith(connectorScheduleId(con.id))).toBe(true);
      expect(runs[0]!.searchAttributes?.MeridianSyncRecords).toEqual([25]);
    }, 15_000);
  }, 120_000);

  it('resumes from its checkpoint when the region worker is killed mid-sync: no order missing, none twice', async () => {
    const emulator = await shop({ currency: 'JPY', timeZone: 'Asia/Tokyo', shop: 'crash' });
    emulator.seed({ customers: 100, orders: 3000, seed: 11 });
    emulator.throttle(false);
    const con = await connector('shop_crash', 'apac', emulator, 50);
    const { workflowId } = await startConnectorSync(d.client, d.config.regions, con);
    await eventually(
      async () => {
        const [n] = await d.regional('apac').sql<
          { n: number }[]
        >`select count(*)::int as n from orders where source_id = ${con.id}`;
        expect(n!.n).toBeGreaterThan(500);
      },
      60_000,
      20,
    );
    await apacWorker.kill();
    const [stored] = await d.regional('apac').sql<
      { n: number }[]
    >`select count(*)::int as n from orders where source_id = ${con.id}`;
    expect(stored!.n).toBeLessThan(3000);
    apacWorker = await d.startWorkers(['apac']);

    const result: SyncResult = await d.client.workflow.getHandle(workflowId).result();
    expect(result.status).toBe('completed');
    const rows = await orders('apac', con.id);
    expect(rows).toHaveLength(3000);
    expect(new Set(rows.map((r) => r.external_id)).size).toBe(3000);
    // Every page was fetched once, except at most the one being stored when the worker died (and the prefetched one).
    const orderPages = emulator.requests.filter((r) => r.path.endsWith('/orders.json') && r.status === 200).length;
    expect(orderPages).toBeGreaterThanOrEqual(60);
    expect(orderPages).toBeLessThanOrEqual(60 + 2 * 2);
    expect(rows.every((r) => r.customer_id !== null && r.reporting_total_minor !== null)).toBe(true);
  }, 180_000);

  it('completes through intermittent 500s and 429s, waiting as Retry-After asks', async () => {
    // A small bucket that the sync's pace overflows: Shopify answers 429 with Retry-After: 2.0.
    const emulator = await startShopifyEmulator({
      accessToken: TOKEN,
      now: () => NOW,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: 'flaky',
      bucketSize: 4,
      leakPerSecond: 1,
    });
    shops.push(emulator);
    emulator.seed({ customers: 20, orders: 200, seed: 5 });
    const con = await connector('shop_flaky', 'eu', emulator, 25);
    emulator.failNext(2, 500);
    const started = Date.now();
    const handle = await startConnectorSync(d.client, d.config.regions, con);
    await eventually(async () => expect(emulator.requests.length).toBeGreaterThan(4), 30_000, 10);
    emulator.failNext(1, 503);
    const result: SyncResult = await d.client.workflow.getHandle(handle.workflowId).result();
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ status: 'completed', totals: { customers: 20, orders: 200 } });
    expect(emulator.requests.filter((r) => r.status >= 500)).toHaveLength(3);
    const throttled = emulator.requests.filter((r) => r.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    // Each 429 was waited out for its Retry-After (2 s) before the next call.
    expect(elapsed).toBeGreaterThanOrEqual(throttled * 2000);
    expect(await orders('eu', con.id)).toHaveLength(200);
  }, 120_000);

  it('fails fast with an actionable message when the token is revoked mid-sync', async () => {
    const emulator = await shop({ currency: 'BRL', timeZone: 'America/Sao_Paulo', shop: 'revoked' });
    emulator.seed({ customers: 10, orders: 500, seed: 9 });
    emulator.throttle(false);
    const con = await connector('shop_revoked', 'us', emulator, 50);
    const { workflowId } = await startConnectorSync(d.client, d.config.regions, con);
    await eventually(
      async () => {
        const [n] = await d.regional('us').sql<
          { n: number }[]
        >`select count(*)::int as n from orders where source_id = ${con.id}`;
        expect(n!.n).toBeGreaterThan(0);
      },
      30_000,
      10,
    );
    emulator.revokeToken();
    const failedAt = Date.now();
    const failure = await d.client.workflow
      .getHandle(workflowId)
      .result()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/Shopify rejected the access token for shop .*: reconnect the store in Meridian/);
    expect(Date.now() - failedAt).toBeLessThan(15_000);
    // Not retried: one refused call, then the sync stopped and said so.
    expect(emulator.requests.filter((r) => r.status === 401)).toHaveLength(1);
    const [run] = await d.regional('us').sql<
      { status: string; error: string }[]
    >`select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/reconnect the store/);
    // The lease is released: the next sync may run once the store is reconnected.
    const leases = await d.regional('us').sql`select 1 from connector_leases where connector_id = ${con.id}`;
    expect(leases).toHaveLength(0);
  }, 120_000);

  it('never runs two syncs of a connector at once', async () => {
    const emulator = await shop({ currency: 'JPY', timeZone: 'Asia/Tokyo', shop: 'overlap' });
    emulator.seed({ customers: 10, orders: 1500, seed: 13 });
    emulator.throttle(false);
    const con = await connector('shop_overlap', 'apac', emulator, 25);
    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    const manual = await startConnectorSync(d.client, d.config.regions, con);
    await eventually(async () => {
      const leases = await d.regional('apac').sql`select 1 from connector_leases where connector_id = ${con.id}`;
      expect(leases).toHaveLength(1);
    });
    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const runs = [];
      for await (const w of d.client.workflow.list({
        query: `MeridianConnectorId = "${con.id}" AND MeridianSyncStatus = "skipped"`,
      }))
        runs.push(w);
      expect(runs).toHaveLength(1);
    }, 30_000);
    const result: SyncResult = await d.client.workflow.getHandle(manual.workflowId).result();
    expect(result).toMatchObject({ status: 'completed', totals: { orders: 1500 } });
  }, 120_000);

  it('syncs Shopee orders through signed requests in 15-day windows, by hand and on schedule', async () => {
    const shopee = await startShopeeEmulator({
      partnerId: 2001234,
      partnerKey: 'shopee-partner-key-for-tests',
      shopId: 880011,
      accessToken: 'shopee-token',
      region: 'TH',
    });
    shops.push(shopee);
    // 40 orders over 50 days of March–April 2025: four windows; one in a currency that does not exist.
    const base = Date.parse('2025-03-01T03:00:00Z');
    shopee.addOrders(
      Array.from({ length: 40 }, (_, i) => ({
        order_sn: `250301TH${String(i).padStart(6, '0')}`,
        currency: i === 7 ? 'XTH' : 'THB',
        total_amount: 1290.5 + i,
        create_time: new Date(base + i * 30 * 3600_000),
        update_time: new Date(base + i * 30 * 3600_000),
        buyer_user_id: 5_000_000 + (i % 10),
        order_status: 'COMPLETED',
      })),
    );
    const con = await anyConnector(
      'shopee_th',
      'apac',
      'shopee',
      { baseUrl: shopee.baseUrl, partnerId: 2001234, shopId: 880011, syncFrom: '2025-03-01' },
      { partnerKey: 'shopee-partner-key-for-tests', accessToken: 'shopee-token' },
    );
    const { manual, scheduled } = await onDemandAndScheduled(con);
    expect(manual).toMatchObject({ status: 'completed', totals: { orders: 39, rejected: 1 } });
    expect(scheduled.status).toBe('completed');
    const rows = await orders('apac', con.id);
    expect(rows).toHaveLength(39);
    // 1290.50 THB at 10:00 Bangkok on 2025-03-01 (a Saturday): Friday's rate, in USD.
    expect(rows[0]).toMatchObject({
      total_minor: '129050',
      local_date: '2025-03-01',
      local_hour: 10,
      time_zone: 'Asia/Bangkok',
      fx_rate_date: '2025-02-28',
      fx_fallback: true,
    });
    // Ten buyers, each one profile whatever the number of orders.
    const [buyers] = await d.regional('apac').sql<
      { n: number }[]
    >`select count(distinct customer_id)::int as n from orders where source_id = ${con.id}`;
    expect(buyers!.n).toBe(10);
    const rejections = await d.regional('apac').sql<{ external_id: string; reason: string }[]>`
      select external_id, reason from sync_rejections where connector_id = ${con.id}`;
    expect(rejections[0]).toMatchObject({ external_id: '250301TH000007' });
    expect(rejections[0]!.reason).toMatch(/currency/);
    // Every list call stayed within Shopee's 15 days.
    const lists = shopee.requests.filter((r) => r.path.endsWith('get_order_list'));
    expect(lists.every((r) => Number(r.params.time_to) - Number(r.params.time_from) < 15 * 86_400)).toBe(true);
  }, 120_000);

  it('syncs Amazon orders with an LWA token and NextToken pages, buyer email kept only as an identifier', async () => {
    const credentials = {
      clientId: 'amzn1.application-oa2-client.test',
      clientSecret: 'lwa-secret',
      refreshToken: 'Atzr|refresh-token',
    };
    const amazon = await startAmazonEmulator({ ...credentials, rateLimits: { getOrders: { rate: 50, burst: 50 } } });
    shops.push(amazon);
    const japan = 'A1VC38T7YXB528';
    amazon.addOrders(
      Array.from({ length: 120 }, (_, i) => ({
        marketplaceId: japan,
        status: 'Shipped' as const,
        amount: String(1980 + i),
        purchaseDate: new Date(Date.parse('2025-04-17T14:30:00Z') + i * 60_000),
        buyerEmail: `buyer${i % 30}@marketplace.amazon.co.jp`,
      })),
    );
    const con = await anyConnector(
      'amazon_jp',
      'apac',
      'amazon',
      {
        endpoint: amazon.endpoint,
        lwaUrl: amazon.lwaUrl,
        marketplaceIds: [japan],
        syncFrom: '2025-04-01',
        pageSize: 50,
      },
      credentials,
    );
    const { manual, scheduled } = await onDemandAndScheduled(con);
    expect(manual).toMatchObject({ status: 'completed', totals: { orders: 120, rejected: 0 } });
    expect(scheduled.status).toBe('completed');
    const rows = await orders('apac', con.id);
    expect(rows).toHaveLength(120);
    // 23:30 in Tokyo on Thursday 2025-04-17.
    expect(rows.find((r) => r.total_minor === '1980')).toMatchObject({
      local_date: '2025-04-17',
      local_hour: 23,
      time_zone: 'Asia/Tokyo',
      fx_rate_date: '2025-04-17',
    });
    const [buyers] = await d.regional('apac').sql<
      { n: number }[]
    >`select count(distinct customer_id)::int as n from orders where source_id = ${con.id}`;
    expect(buyers!.n).toBe(30);
    // The email is restricted data: sealed in the identities table, nowhere in plain text.
    const [plain] = await d.regional('apac').sql<{ n: number }[]>`
      select count(*)::int as n from identities where source_id = ${con.id} and position(convert_to('marketplace.amazon', 'UTF8') in value_sealed) > 0`;
    expect(plain!.n).toBe(0);
    expect(amazon.requests.filter((r) => r.operation === 'lwaToken').length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('imports a Shift_JIS POS export with a broken row: good rows stored, the broken one reported by row number', async () => {
    const dir = mkdtempSync(path.join(importDir, 'pos-'));
    try {
      const file = path.join(dir, 'pos-orders.csv');
      const lines = ['注文番号,注文日時,合計,通貨,メール,氏名'];
      for (let i = 0; i < 30; i++)
        lines.push(
          `P-${1000 + i},2025/03/14 23:${String(10 + i).padStart(2, '0')},${i === 4 ? '12.5.0' : String(3300 + i)},JPY,pos${i}@example.jp,山田 太郎`,
        );
      writeFileSync(file, iconv.encode(lines.join('\r\n') + '\r\n', 'Shift_JIS'));
      const con = await anyConnector(
        'pos_tokyo',
        'apac',
        'file',
        {
          path: file,
          format: 'csv',
          encoding: 'shift_jis',
          recordType: 'orders',
          timeZone: 'Asia/Tokyo',
          dateFormat: 'ymd',
          mapping: { externalId: '注文番号', placedAt: '注文日時', total: '合計', currency: '通貨', email: 'メール' },
          pageSize: 10,
        },
        {},
      );
      const { manual, scheduled } = await onDemandAndScheduled(con);
      expect(manual).toMatchObject({ status: 'completed', totals: { orders: 29, rejected: 1 } });
      expect(scheduled).toMatchObject({ status: 'completed', orders: 29, rejected: 1 });
      const rows = await orders('apac', con.id);
      expect(rows).toHaveLength(29);
      // 23:10 in Tokyo, a Friday: that day's rate.
      expect(rows[0]).toMatchObject({
        external_id: 'P-1000',
        total_minor: '3300',
        local_date: '2025-03-14',
        local_hour: 23,
        fx_rate_date: '2025-03-14',
        fx_fallback: false,
      });
      const rejections = await d.regional('apac').sql<{ external_id: string; reason: string }[]>`
        select distinct external_id, reason from sync_rejections where connector_id = ${con.id}`;
      expect(rejections).toHaveLength(1);
      expect(rejections[0]!.reason).toMatch(/^row 5: total/);
      expect(rejections[0]!.reason).not.toContain('12.5.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
