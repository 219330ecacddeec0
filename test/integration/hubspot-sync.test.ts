import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connector, createConnector } from '../../db/connectors-store';
import {
  connectorScheduleId,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { allowEmulatorHosts } from '../emulators/hosts';
import { HubSpotEmulator, startHubSpotEmulator } from '../emulators/hubspot';
import { createSyncDeployment, regionStore, syncToEnd } from '../support/connector-sync';
import type { TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';

allowEmulatorHosts();

/**
 * HubSpot syncs on the real Temporal server and PostgreSQL in the EU region: contacts become customers
 * (resolved through One ID by their contact ID, e-mail and phone), won deals orders of their associated
 * contact with exact USD amounts, by hand and on schedule, through TEN_SECONDLY_ROLLING throttling and
 * 5xx; a second sync fetches only what changed; an uninstalled app fails fast with "reconnect".
 */

const CLIENT_ID = 'b2c3d4e5-0000-4000-8000-0000000000ef';
const CLIENT_SECRET = 'hubspot-secret-sync';
const ACCESS = 'CJSP-sync-access';
const REFRESH = 'na1-sync-refresh';
const BASE = Date.parse('2025-03-14T09:00:00Z');

describe('HubSpot connector syncs', () => {
  let d: TestDeployment;
  let workers: WorkerProcess;
  const emulators: HubSpotEmulator[] = [];

  beforeAll(async () => {
    d = await createSyncDeployment('hubspot', 'USD');
    workers = await d.startWorkers(['global', 'eu']);
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(workers?.output());
    await d?.close();
    await Promise.all(emulators.map((e) => e.close()));
  });

  async function emulator(tenSecondly: number | null = null): Promise<HubSpotEmulator> {
    const e = await startHubSpotEmulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      tenSecondly,
    });
    emulators.push(e);
    return e;
  }

  const regional = () => regionStore(d, 'eu');

  async function connector(id: string, e: HubSpotEmulator): Promise<Connector> {
    return createConnector(d.global().sql, regional(), {
      id,
      system: 'hubspot',
      name: id,
      region: 'eu',
      settings: { clientId: CLIENT_ID, apiUrl: e.baseUrl, currency: 'EUR', timeZone: 'Europe/Berlin', pageSize: 10 },
      credentials: { clientSecret: CLIENT_SECRET, accessToken: ACCESS, refreshToken: REFRESH },
    });
  }

  const syncNow = (c: Connector) => syncToEnd(d, c);

  /** 40 contacts and 25 deals in March 2025: 20 won, 3 lost, 2 still open, each with one of 8 contacts. */
  function addData(e: HubSpotEmulator) {
    e.addContacts(
      Array.from({ length: 40 }, (_, i) => ({
        id: String(2_000 + i),
        email: `contact${i}@example.de`,
        ...(i % 3 === 0 ? { phone: `+49 30 5555 ${String(i).padStart(4, '0')}` } : {}),
        firstname: `Vorname${i}`,
        createdAt: new Date(BASE + i * 3_600_000),
      })),
    );
    e.addDeals(
      Array.from({ length: 25 }, (_, i) => ({
        id: String(9_000 + i),
        amount: i === 0 ? '1290.50' : String(100 + i),
        stage: i < 20 ? ('closedwon' as const) : i < 23 ? ('closedlost' as const) : ('contractsent' as const),
        closedAt: new Date(BASE + i * 3_600_000),
        createdAt: new Date(BASE - 86_400_000 + i * 3_600_000),
        contactIds: [String(2_000 + (i % 8))],
      })),
    );
  }

  it('syncs contacts and closed deals through 429 and 5xx, by hand and on schedule, orders joined to their contacts', async () => {
    const e = await emulator(6);
    addData(e);
    e.failNext(2, 503);
    const con = await connector('hubspot_eu', e);
    const { result, workflowId } = await syncNow(con);
    expect(result).toMatchObject({ status: 'completed', totals: { customers: 40, orders: 23, rejected: 0 } });
    expect(e.requests.filter((r) => r.status === 503)).toHaveLength(2);
    expect(e.requests.filter((r) => r.reason === 'TEN_SECONDLY_ROLLING').length).toBeGreaterThan(0);

    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const [run] = await d.regional('eu').sql<{ status: string }[]>`
        select status from sync_runs where connector_id = ${con.id} and workflow_id like ${`${connectorScheduleId(con.id)}-20%`}`;
      expect(run?.status).toBe('completed');
    }, 60_000);

    const sql = d.regional('eu').sql;
    const orders = await sql<
      {
        external_id: string;
        customer_id: string | null;
        status: string;
        total_minor: string;
        reporting_total_minor: string;
        local_date: string;
        local_hour: number;
      }[]
    >`select external_id, customer_id, status, total_minor::text, reporting_total_minor::text,
             to_char(local_date, 'YYYY-MM-DD') as local_date, local_hour
      from orders where source_id = ${con.id} order by external_id`;
    expect(orders).toHaveLength(23);
    // 1,290.50 EUR × 1.0889 (Fri 2025-03-14) = 1405.225… → 1405.23 USD; closed 10:00 in Berlin.
    expect(orders[0]).toMatchObject({
      external_id: '9000',
      status: 'closed',
      total_minor: '129050',
      reporting_total_minor: '140523',
      local_date: '2025-03-14',
      local_hour: 10,
    });
    expect(orders.filter((o) => o.status === 'cancelled').map((o) => o.external_id)).toEqual(['9020', '9021', '9022']);
    // Eight contacts bought: eight people, each the same person as the contact synced as a customer.
    const buyers = new Set(orders.map((o) => o.customer_id));
    expect(buyers.size).toBe(8);
    const identities = await sql<{ customer_id: string; type: string }[]>`
      select customer_id, type from identities where source_id = ${con.id}`;
    const contactsPeople = new Set(identities.filter((i) => i.type === 'hubspot_contact').map((i) => i.customer_id));
    expect(contactsPeople.size).toBe(40);
    for (const buyer of buyers) expect(contactsPeople.has(buyer!)).toBe(true);
    expect(new Set(identities.map((i) => i.type))).toEqual(new Set(['hubspot_contact', 'email', 'phone']));
    // The history carries IDs and counts, never a contact's data.
    const history = await decodedHistory(d.client.workflow.getHandle(workflowId), d.config.payloadKeys);
    expect(history).toContain(con.id);
    expect(history).not.toMatch(/example\.de|Vorname|\+49/);
  }, 240_000);

  it('fetches only the records changed since the last sync', async () => {
    const e = await emulator();
    addData(e);
    const con = await connector('hubspot_incremental', e);
    expect((await syncNow(con)).result).toMatchObject({ totals: { customers: 40, orders: 23 } });
    e.updateContact('2005', { lastname: 'Neu' });
    e.updateContact('2031');
    e.updateDeal('9003', { amount: '999' });
    const before = e.requests.length;
    const { result } = await syncNow(con);
    expect(result).toMatchObject({ status: 'completed', totals: { customers: 2, orders: 1, rejected: 0 } });
    const searches = e.requests.slice(before).filter((r) => r.path.endsWith('/search'));
    expect(searches).toHaveLength(2);
    const [order] = await d.regional('eu').sql<{ total_minor: string }[]>`
      select total_minor::text from orders where source_id = ${con.id} and external_id = '9003'`;
    expect(order!.total_minor).toBe('99900');
  }, 120_000);

  it('fails fast with "reconnect the HubSpot account" when the app was uninstalled', async () => {
    const e = await emulator();
    addData(e);
    e.revokeToken();
    const con = await connector('hubspot_revoked', e);
    const startedAt = Date.now();
    const failure = await syncNow(con).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/reconnect the HubSpot account in Meridian/);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(e.requests.map((r) => r.reason)).toEqual(['INVALID_AUTHENTICATION', 'BAD_REFRESH_TOKEN']);
    const [run] = await d.regional('eu').sql<{ status: string; error: string }[]>`
      select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/reconnect the HubSpot account/);
  }, 120_000);
});
