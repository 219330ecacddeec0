import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connector, createConnector, loadCredentials } from '../../db/connectors-store';
import { upsertFxDays } from '../../db/fx-rates-store';
import {
  connectorScheduleId,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import type { SyncResult } from '../../workflows/connector-sync';
import { allowEmulatorHosts } from '../emulators/hosts';
import { LazadaCountry, LazadaEmulator, startLazadaEmulator } from '../emulators/lazada';
import { createSyncDeployment, regionStore, syncToEnd } from '../support/connector-sync';
import type { TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';

allowEmulatorHosts();

/**
 * Lazada syncs on the real Temporal server and PostgreSQL: Vietnam (VND, no minor unit) and
 * Indonesia (IDR, two in ISO 4217 though Lazada writes whole rupiah) with exact USD amounts at the
 * rate of the order's local date, by hand and on schedule, through throttling and 5xx; an expired
 * access token refreshed and the new pair kept sealed in the region; a revoked authorisation failing
 * fast with "reconnect".
 */

const APP_KEY = '120456';
const APP_SECRET = 'lazada-secret-sync';
const ACCESS = 'lzd-access-initial';
const REFRESH = 'lzd-refresh-initial';

interface OrderRow {
  external_id: string;
  customer_id: string | null;
  currency: string;
  total_minor: string;
  reporting_total_minor: string | null;
  fx_rate_date: string | null;
  local_date: string;
  local_hour: number;
  time_zone: string;
  status: string;
}

describe('Lazada connector syncs', () => {
  let d: TestDeployment;
  let workers: WorkerProcess;
  const emulators: LazadaEmulator[] = [];

  beforeAll(async () => {
    d = await createSyncDeployment('lazada', 'USD');
    // The ECB does not quote the dong: a supplementary rate, as an operator would add the central bank's.
    await upsertFxDays(
      d.global().sql,
      [{ date: '2025-03-14', rates: { VND: '27845.5' } }],
      'test fixture: VND per EUR',
    );
    workers = await d.startWorkers(['global', 'apac']);
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(workers?.output());
    await d?.close();
    await Promise.all(emulators.map((e) => e.close()));
  });

  async function emulator(country: LazadaCountry, callsPerSecond: number | null = null): Promise<LazadaEmulator> {
    const e = await startLazadaEmulator({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      country,
      callsPerSecond,
    });
    emulators.push(e);
    return e;
  }

  const regional = () => regionStore(d, 'apac');

  async function connector(id: string, country: LazadaCountry, e: LazadaEmulator): Promise<Connector> {
    return createConnector(d.global().sql, regional(), {
      id,
      system: 'lazada',
      name: id,
      region: 'apac',
      settings: { country, appKey: APP_KEY, apiUrl: e.apiUrl, authUrl: e.apiUrl, syncFrom: '2025-03-01', pageSize: 20 },
      credentials: { appSecret: APP_SECRET, accessToken: ACCESS, refreshToken: REFRESH },
    });
  }

  const syncNow = async (c: Connector): Promise<SyncResult> => (await syncToEnd(d, c)).result;

  const orders = async (sourceId: string) =>
    (await d.regional('apac').sql<OrderRow[]>`
      select external_id, customer_id, currency, total_minor::text, reporting_total_minor::text,
             to_char(fx_rate_date, 'YYYY-MM-DD') as fx_rate_date, to_char(local_date, 'YYYY-MM-DD') as local_date,
             local_hour, time_zone, status
      from orders where source_id = ${sourceId} order by external_id`) as OrderRow[];

  /** 45 orders over two weeks of March 2025, 9 buyers; the first at 10:00 local on Friday 2025-03-14. */
  function addOrders(e: LazadaEmulator, first: string, other: (i: number) => string) {
    const base = Date.parse('2025-03-14T03:00:00Z');
    e.addOrders(
      Array.from({ length: 45 }, (_, i) => ({
        order_id: 600_000_000 + i,
        created_at: new Date(base + i * 7 * 3_600_000),
        price: i === 0 ? first : other(i),
        buyer_id: 8_100 + (i % 9),
        statuses: [i % 10 === 3 ? 'canceled' : 'delivered'],
      })),
    );
  }

  it('syncs VND and IDR orders with exact USD amounts, through throttling and 5xx, by hand and on schedule', async () => {
    const vn = await emulator('VN', 8);
    addOrders(vn, '1250000', (i) => String(99_000 + i * 1_000));
    vn.failNext(2, 503);
    const vnCon = await connector('lazada_vn', 'VN', vn);
    const manual = await syncNow(vnCon);
    expect(manual).toMatchObject({ status: 'completed', totals: { orders: 45, rejected: 0 } });
    expect(vn.requests.filter((r) => r.code === '503')).toHaveLength(2);
    // 8 calls a second for 48 calls: throttled (ApiCallLimit) and waited out, never failed.
    expect(vn.requests.filter((r) => r.code === 'ApiCallLimit').length).toBeGreaterThan(0);

    // And from its schedule: completes, storing nothing twice.
    await upsertConnectorSchedule(d.client, d.config.regions, vnCon, { every: '1d' });
    await triggerConnectorSchedule(d.client, vnCon.id);
    await eventually(async () => {
      const [run] = await d.regional('apac').sql<{ status: string }[]>`
        select status from sync_runs where connector_id = ${vnCon.id} and workflow_id like ${`${connectorScheduleId(vnCon.id)}-20%`}`;
      expect(run?.status).toBe('completed');
    }, 60_000);

    const vnRows = await orders(vnCon.id);
    expect(vnRows).toHaveLength(45);
    // 1,250,000 VND (no minor unit) ÷ 27845.5 × 1.0889 (Fri 2025-03-14) = 48.8818… → 48.88 USD
    expect(vnRows[0]).toMatchObject({
      currency: 'VND',
      total_minor: '1250000',
      reporting_total_minor: '4888',
      fx_rate_date: '2025-03-14',
      local_date: '2025-03-14',
      local_hour: 10,
      time_zone: 'Asia/Ho_Chi_Minh',
      status: 'closed',
    });
    expect(vnRows[3]!.status).toBe('cancelled');
    // Nine buyers: one profile each, however many orders.
    expect(new Set(vnRows.map((r) => r.customer_id)).size).toBe(9);
    const [ids] = await d.regional('apac').sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from identities where type = 'lazada_user' and source_id = ${vnCon.id}`;
    expect(ids!.n).toBe(9);

    const id = await emulator('ID');
    addOrders(id, '2500000', (i) => String(150_000 + i * 500));
    const idCon = await connector('lazada_id', 'ID', id);
    expect(await syncNow(idCon)).toMatchObject({ status: 'completed', totals: { orders: 45, rejected: 0 } });
    const [idFirst] = await orders(idCon.id);
    // 2,500,000 IDR = 250000000 sen (ISO 4217: 2 decimals) ÷ 17811.63 × 1.0889 = 152.8383… → 152.84 USD
    expect(idFirst).toMatchObject({
      currency: 'IDR',
      total_minor: '250000000',
      reporting_total_minor: '15284',
      fx_rate_date: '2025-03-14',
      local_date: '2025-03-14',
      local_hour: 10,
      time_zone: 'Asia/Jakarta',
    });
  }, 180_000);

  it('refreshes an expired access token once and keeps the new pair sealed for the next sync', async () => {
    const e = await emulator('TH');
    addOrders(e, '1290.50', () => '350.00');
    e.expireAccessToken();
    const con = await connector('lazada_th_refresh', 'TH', e);
    expect(await syncNow(con)).toMatchObject({ status: 'completed', totals: { orders: 45 } });
    expect(e.requests.filter((r) => r.path === '/auth/token/refresh')).toHaveLength(1);
    const stored = (await loadCredentials(regional(), con.id)) as Record<string, string>;
    expect(stored).toMatchObject({ appSecret: APP_SECRET, ...e.tokens() });
    expect(stored.accessToken).not.toBe(ACCESS);
    // The old refresh token no longer works at Lazada: a second sync succeeds only with the pair kept.
    const before = e.requests.length;
    expect(await syncNow(con)).toMatchObject({ status: 'completed' });
    expect(e.requests.slice(before).some((r) => r.path === '/auth/token/refresh' || r.code !== '0')).toBe(false);
  }, 120_000);

  it('fails fast with "reconnect the Lazada seller account" when the seller revoked the authorisation', async () => {
    const e = await emulator('PH');
    addOrders(e, '999.00', () => '120.00');
    e.revokeToken();
    const con = await connector('lazada_ph_revoked', 'PH', e);
    const startedAt = Date.now();
    const failure = await syncNow(con).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/reconnect the Lazada seller account in Meridian/);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    // Not retried: one refused call, one refused refresh.
    expect(e.requests.map((r) => r.code)).toEqual(['IllegalAccessToken', 'IllegalRefreshToken']);
    const [run] = await d.regional('apac').sql<{ status: string; error: string }[]>`
      select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/reconnect the Lazada seller account/);
  }, 120_000);
});
