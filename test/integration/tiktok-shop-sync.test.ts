import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_SEARCH_PATH } from '../../connectors/tiktok-shop';
import { Connector, createConnector, loadCredentials } from '../../db/connectors-store';
import {
  connectorScheduleId,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { allowEmulatorHosts } from '../emulators/hosts';
import { startTikTokShopEmulator, TikTokShopEmulator, TikTokShopRegion } from '../emulators/tiktok-shop';
import { createSyncDeployment, regionStore, syncToEnd } from '../support/connector-sync';
import type { TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';

allowEmulatorHosts();

/**
 * TikTok Shop syncs on the real Temporal server and PostgreSQL: an Indonesian shop's orders in IDR
 * with exact USD amounts, by hand and on schedule, through HTTP 429 and 5xx; buyers resolved by their
 * TikTok Shop user ID only, so the masked phone and relay addresses TikTok gives never merge two
 * buyers; an expired token refreshed and kept sealed; a revoked authorisation failing fast with
 * "reconnect".
 */

const APP_KEY = '6a7b8c9dsync';
const APP_SECRET = 'tiktok-secret-sync';
const CIPHER = 'ROW_sync-cipher';
const ACCESS = 'tts-access-initial';
const REFRESH = 'tts-refresh-initial';

interface OrderRow {
  external_id: string;
  customer_id: string | null;
  currency: string;
  total_minor: string;
  reporting_total_minor: string | null;
  local_date: string;
  local_hour: number;
  time_zone: string;
  status: string;
}

describe('TikTok Shop connector syncs', () => {
  let d: TestDeployment;
  let workers: WorkerProcess;
  const emulators: TikTokShopEmulator[] = [];

  beforeAll(async () => {
    d = await createSyncDeployment('tiktok', 'USD');
    workers = await d.startWorkers(['global', 'apac']);
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(workers?.output());
    await d?.close();
    await Promise.all(emulators.map((e) => e.close()));
  });

  async function emulator(region: TikTokShopRegion, callsPerSecond: number | null = null) {
    const e = await startTikTokShopEmulator({
      appKey: APP_KEY,
      appSecret: APP_SECRET,
      shopCipher: CIPHER,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      region,
      callsPerSecond,
    });
    emulators.push(e);
    return e;
  }

  const regional = () => regionStore(d, 'apac');

  async function connector(id: string, e: TikTokShopEmulator): Promise<Connector> {
    return createConnector(d.global().sql, regional(), {
      id,
      system: 'tiktok_shop',
      name: id,
      region: 'apac',
      settings: {
        region: 'ID',
        appKey: APP_KEY,
        shopCipher: CIPHER,
        apiUrl: e.baseUrl,
        authUrl: e.baseUrl,
        syncFrom: '2025-03-01',
        pageSize: 10,
      },
      credentials: { appSecret: APP_SECRET, accessToken: ACCESS, refreshToken: REFRESH },
    });
  }

  const syncNow = (c: Connector) => syncToEnd(d, c);

  const orders = async (sourceId: string) =>
    (await d.regional('apac').sql<OrderRow[]>`
      select external_id, customer_id, currency, total_minor::text, reporting_total_minor::text,
             to_char(local_date, 'YYYY-MM-DD') as local_date, local_hour, time_zone, status
      from orders where source_id = ${sourceId} order by external_id`) as OrderRow[];

  /** 45 orders over two weeks of March 2025 by 9 buyers, all with TikTok's relay e-mail and the same masked phone. */
  function addOrders(e: TikTokShopEmulator) {
    const base = Date.parse('2025-03-14T03:00:00Z');
    e.addOrders(
      Array.from({ length: 45 }, (_, i) => ({
        id: String(577_000_000_000_000_000n + BigInt(i)),
        create_time: new Date(base + i * 7 * 3_600_000),
        total_amount: i === 0 ? '2500000' : String(150_000 + i * 500),
        user_id: String(7_494_100_000 + (i % 9)),
        phone_number: '(+62)812****89',
        status: i % 10 === 3 ? 'CANCELLED' : 'COMPLETED',
      })),
    );
  }

  it('syncs IDR orders with exact USD amounts through 429 and 5xx, by hand and on schedule, one person per buyer', async () => {
    const e = await emulator('ID');
    addOrders(e);
    e.failNext(2, 503);
    e.failNext(2, 429);
    const con = await connector('tiktok_id', e);
    const { result, workflowId } = await syncNow(con);
    expect(result).toMatchObject({ status: 'completed', totals: { orders: 45, rejected: 0 } });
    expect(e.requests.filter((r) => r.status === 503)).toHaveLength(2);
    // Throttled (HTTP 429) twice in a row: waited out in the activity, never failed.
    expect(e.requests.filter((r) => r.status === 429)).toHaveLength(2);

    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const [run] = await d.regional('apac').sql<{ status: string }[]>`
        select status from sync_runs where connector_id = ${con.id} and workflow_id like ${`${connectorScheduleId(con.id)}-20%`}`;
      expect(run?.status).toBe('completed');
    }, 60_000);

    const rows = await orders(con.id);
    expect(rows).toHaveLength(45);
    // 2,500,000 IDR = 250000000 sen ÷ 17811.63 × 1.0889 (Fri 2025-03-14) = 152.8355… → 152.84 USD
    expect(rows[0]).toMatchObject({
      currency: 'IDR',
      total_minor: '250000000',
      reporting_total_minor: '15284',
      local_date: '2025-03-14',
      local_hour: 10,
      time_zone: 'Asia/Jakarta',
      status: 'closed',
    });
    expect(rows[3]!.status).toBe('cancelled');
    // Nine buyers sharing one masked phone: nine people, identified only by their TikTok Shop user ID.
    expect(new Set(rows.map((r) => r.customer_id)).size).toBe(9);
    const types = await d.regional('apac').sql<{ type: string; n: number }[]>`
      select type, count(distinct customer_id)::int as n from identities where source_id = ${con.id} group by type`;
    expect(types).toEqual([{ type: 'tiktok_shop_buyer', n: 9 }]);
    // The history carries IDs and counts, never a buyer's data.
    const history = await decodedHistory(d.client.workflow.getHandle(workflowId), d.config.payloadKeys);
    expect(history).toContain(con.id);
    expect(history).not.toMatch(/tiktokw|\*\*\*\*|7494100000/);
  }, 180_000);

  it('refreshes an expired access token once and keeps the new pair sealed for the next sync', async () => {
    const e = await emulator('ID');
    addOrders(e);
    e.expireAccessToken();
    const con = await connector('tiktok_refresh', e);
    expect((await syncNow(con)).result).toMatchObject({ status: 'completed', totals: { orders: 45 } });
    expect(e.requests.filter((r) => r.path === '/api/v2/token/refresh')).toHaveLength(1);
    const stored = (await loadCredentials(regional(), con.id)) as Record<string, string>;
    expect(stored).toMatchObject({ appSecret: APP_SECRET, ...e.tokens() });
    const before = e.requests.length;
    expect((await syncNow(con)).result).toMatchObject({ status: 'completed' });
    expect(e.requests.slice(before).every((r) => r.path === ORDERS_SEARCH_PATH && r.code === 0)).toBe(true);
  }, 120_000);

  it('fails fast with "reconnect the TikTok Shop seller account" when the seller revoked the authorisation', async () => {
    const e = await emulator('ID');
    addOrders(e);
    e.revokeToken();
    const con = await connector('tiktok_revoked', e);
    const startedAt = Date.now();
    const failure = await syncNow(con).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/reconnect the TikTok Shop seller account in Meridian/);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    // Not retried: one refused call, one refused refresh.
    expect(e.requests.map((r) => r.code)).toEqual([105001, 36004005]);
    const [run] = await d.regional('apac').sql<{ status: string; error: string }[]>`
      select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/reconnect the TikTok Shop seller account/);
  }, 120_000);
});
