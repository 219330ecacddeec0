import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clicksOf, conversionUploads } from '../../db/ad-conversions-store';
import { Connector, createConnector } from '../../db/connectors-store';
import { recordConsent } from '../../db/consent-store';
import { createSource } from '../../db/sources';
import { conversionUploadWorkflowId, startAdConversionUpload } from '../../temporal/processes/connector-delivery';
import {
  connectorScheduleId,
  manualSyncWorkflowId,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import type { SyncResult } from '../../workflows/connector-sync';
import { GoogleAdsEmulator, startGoogleAdsEmulator } from '../emulators/google-ads-leads';
import { allowEmulatorHosts } from '../emulators/hosts';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { createSyncDeployment, regionStore, syncToEnd } from '../support/connector-sync';
import type { TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';

allowEmulatorHosts();

/**
 * Google Ads on the real Temporal server, PostgreSQL and web app: lead form submissions synced on
 * demand and on schedule through RESOURCE_EXHAUSTED and 5xx, each gclid kept for its person; the lead
 * form webhook proven by its google_key; a click on a tracked page (gclid in the landing URL) and a
 * lead's gclid joined to the people who later buy in Shopify, whose orders go back as offline click
 * conversions with the consent Google requires — one conversion per order, never two, through an
 * upload whose answer was lost and a repeated order sync; a revoked OAuth grant fails fast with
 * "reconnect". Histories hold IDs and counts only.
 */

const CUSTOMER = '1234567890';
const MANAGER = '9876543210';
const ACTION = '555000111';
const DEV_TOKEN = 'dev-token-google-ads-test';
const CLIENT_ID = 'client-id.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-client-secret';
const REFRESH = '1//refresh-token-google-ads';
const LEAD_KEY = 'lead-form-key-0123456789';
const SHOP_TOKEN = 'shpat_google_ads_test';

describe('Google Ads connector', () => {
  let d: TestDeployment;
  let workers: WorkerProcess;
  let web: MeridianWeb;
  let base: string;
  const ads: GoogleAdsEmulator[] = [];
  const shops: ShopifyEmulator[] = [];

  beforeAll(async () => {
    d = await createSyncDeployment('googleads', 'EUR');
    workers = await d.startWorkers(['global', 'eu']);
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(workers?.output());
    await web?.close();
    await d?.close();
    await Promise.all([...ads.map((e) => e.close()), ...shops.map((e) => e.close())]);
  });

  async function emulator(pageSize = 5) {
    const e = await startGoogleAdsEmulator({
      customerId: CUSTOMER,
      loginCustomerId: MANAGER,
      conversionActionId: ACTION,
      developerToken: DEV_TOKEN,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      refreshToken: REFRESH,
      pageSize,
    });
    ads.push(e);
    return e;
  }

  const regional = () => regionStore(d, 'eu');

  async function connector(id: string, e: GoogleAdsEmulator): Promise<Connector> {
    return createConnector(d.global().sql, regional(), {
      id,
      system: 'google_ads',
      name: id,
      region: 'eu',
      settings: {
        customerId: CUSTOMER,
        loginCustomerId: MANAGER,
        conversionActionId: ACTION,
        apiUrl: e.baseUrl,
        tokenUrl: e.tokenUrl,
        syncFrom: '2025-03-01T00:00:00Z',
      },
      credentials: {
        developerToken: DEV_TOKEN,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        refreshToken: REFRESH,
        leadFormKey: LEAD_KEY,
      },
    });
  }

  const syncNow = async (c: Connector): Promise<SyncResult> => (await syncToEnd(d, c)).result;

  async function uploadNow(c: Connector) {
    const { workflowId } = await startAdConversionUpload(d.client, d.config.regions, c);
    const handle = d.client.workflow.getHandle(workflowId);
    return { result: (await handle.result()) as { uploaded: number; alreadyThere: number; refused: number }, handle };
  }

  const postLead = (connectorId: string, body: unknown) =>
    fetch(`${base}/v1/connectors/${connectorId}/google-ads/lead-form`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const leadBody = (leadId: string, email: string, gclid: string, key = LEAD_KEY) => ({
    lead_id: leadId,
    api_version: '1.0',
    form_id: 40000000001,
    campaign_id: 20000000001,
    google_key: key,
    is_test: false,
    gcl_id: gclid,
    adgroup_id: 30000000001,
    creative_id: 50000000001,
    user_column_data: [
      { column_name: 'Full Name', string_value: 'Greta Google', column_id: 'FULL_NAME' },
      { column_name: 'User Email', string_value: email, column_id: 'EMAIL' },
      { column_name: 'Country', string_value: 'DE', column_id: 'COUNTRY' },
    ],
  });

  it('syncs lead form submissions on demand and on schedule through RESOURCE_EXHAUSTED and 5xx, keeping each gclid', async () => {
    const e = await emulator();
    const start = Date.parse('2025-03-10T09:00:00Z');
    e.addLeadSubmissions(
      Array.from({ length: 12 }, (_, i) => ({
        id: String(700_000 + i),
        submittedAt: new Date(start + i * 3_600_000),
        gclid: e.click(new Date(start + i * 3_600_000 - 60_000)),
        fields: { EMAIL: `glead${i}@example.de`, FULL_NAME: `Greta Lead ${i}`, PHONE_NUMBER: `+4917600${i}` },
      })),
    );
    e.addLeadSubmissions([{ id: '700099', submittedAt: new Date(start), fields: { FULL_NAME: 'No Contact' } }]);
    e.failNext(1, 'rate-limit');
    e.failNext(1, 500);
    const con = await connector('gads_sync', e);

    expect(await syncNow(con)).toMatchObject({ status: 'completed', totals: { customers: 12, rejected: 1 } });
    expect(e.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(e.requests.filter((r) => r.status === 500)).toHaveLength(1);
    const sql = d.regional('eu').sql;
    const [people] = await sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from events where source_id = ${con.id}`;
    expect(people!.n).toBe(12);
    const [clicks] = await sql<{ n: number; people: number }[]>`
      select count(*)::int as n, count(distinct customer_id)::int as people from ad_clicks where source_id = ${con.id}`;
    expect(clicks).toEqual({ n: 12, people: 12 });
    const [rejection] = await sql<{ external_id: string; reason: string }[]>`
      select external_id, reason from sync_rejections where connector_id = ${con.id}`;
    expect(rejection).toMatchObject({ external_id: '700099' });
    expect(rejection!.reason).toMatch(/must answer EMAIL or PHONE_NUMBER/);

    const history = await decodedHistory(
      d.client.workflow.getHandle(manualSyncWorkflowId(con.id)),
      d.config.payloadKeys,
    );
    for (const personal of ['glead1@example.de', 'Greta Lead', '+49176001']) expect(history).not.toContain(personal);

    e.addLeadSubmissions([
      {
        id: '700200',
        submittedAt: new Date(Date.now() - 5_000),
        fields: { EMAIL: 'late@example.de' },
        gclid: e.click(new Date(Date.now() - 60_000)),
      },
    ]);
    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const [run] = await sql<{ status: string }[]>`
        select status from sync_runs where connector_id = ${con.id} and workflow_id like ${`${connectorScheduleId(con.id)}-20%`}`;
      expect(run?.status).toBe('completed');
    }, 60_000);
    const [after] = await sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from events where source_id = ${con.id}`;
    expect(after!.n).toBe(13);
  }, 180_000);

  it('takes a lead form webhook proven by its google_key, refuses a wrong key, and stores a re-sent lead once', async () => {
    const e = await emulator();
    const con = await connector('gads_hook', e);
    const gclid = e.click(new Date());
    const wrong = await postLead(con.id, leadBody('TeSter-1', 'hook@example.de', gclid, 'not-the-key-0123456789'));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/google_key does not match/);
    const sql = d.regional('eu').sql;
    expect(await sql`select 1 from events where source_id = ${con.id}`).toHaveLength(0);

    expect((await postLead(con.id, leadBody('TeSter-1', 'hook@example.de', gclid))).status).toBe(200);
    expect((await postLead(con.id, leadBody('TeSter-1', 'hook@example.de', gclid))).status).toBe(200);
    const stored = await sql<
      { customer_id: string }[]
    >`select customer_id::text from events where source_id = ${con.id}`;
    expect(stored).toHaveLength(1);
    expect((await clicksOf(sql, stored[0]!.customer_id)).map((c) => c.clickId)).toEqual([gclid]);
    // Google's "send test data": answered, nothing stored.
    expect((await postLead(con.id, { ...leadBody('TeSter-2', 'test@example.de', gclid), is_test: true })).status).toBe(
      200,
    );
    expect(await sql`select 1 from events where source_id = ${con.id}`).toHaveLength(1);
  }, 60_000);

  it("uploads one conversion per clicked buyer's order by itself once the order lands, never two: through a lost answer and a repeated order sync", async () => {
    const e = await emulator();
    const con = await connector('gads_conv', e);
    const sql = d.regional('eu').sql;

    // Person 1 lands from an ad (gclid in the URL) and says who they are; they gave consent to ads.
    const { writeKey } = await createSource(d.global().db, { name: 'shop site', region: 'eu', kind: 'server' });
    const click1 = e.click(new Date(Date.now() - 3_600_000));
    const tracked = await fetch(`${base}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        anonymousId: 'anon-clicker-1',
        traits: { email: 'clicker@example.de' },
        context: { page: { url: `https://shop.example/spring?gclid=${click1}`, search: `?gclid=${click1}` } },
      }),
    });
    expect(tracked.status).toBe(200);
    const [person1] = await sql<{ customer_id: string }[]>`
      select customer_id::text from ad_clicks where click_id = ${click1}`;
    expect(person1).toBeDefined();
    await recordConsent(
      sql,
      person1!.customer_id,
      [
        {
          purpose: 'personalisedAds',
          state: 'granted',
          source: 'admin',
          at: new Date().toISOString(),
          proof: { kind: 'test', reference: 'ads-consent-1' },
        },
      ],
      { country: 'DE' },
    );
    // Person 2 came by a lead form (its gcl_id), no consent record.
    const click2 = e.click(new Date(Date.now() - 3_000_000));
    expect((await postLead(con.id, leadBody('LEAD-2', 'former.lead@example.de', click2))).status).toBe(200);

    // Both buy in Shopify afterwards; a third buyer never clicked.
    const shop = await startShopifyEmulator({
      accessToken: SHOP_TOKEN,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: 'gads-shop',
    });
    shops.push(shop);
    // Shopify writes times to the second: the orders come a moment after the clicks.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const now = new Date();
    shop.addOrders([
      {
        id: 910_001,
        email: 'clicker@example.de',
        created_at: now,
        customer_id: null,
        financial_status: 'paid',
        line_items: [{ sku: 'A', title: 'A', quantity: 1, price: '49.90' }],
      },
      {
        id: 910_002,
        email: 'former.lead@example.de',
        created_at: now,
        customer_id: null,
        financial_status: 'paid',
        line_items: [{ sku: 'B', title: 'B', quantity: 2, price: '10.00' }],
      },
      {
        id: 910_003,
        email: 'no.click@example.de',
        created_at: now,
        customer_id: null,
        financial_status: 'paid',
        line_items: [{ sku: 'C', title: 'C', quantity: 1, price: '5.00' }],
      },
    ]);
    const shopCon = await createConnector(d.global().sql, regional(), {
      id: 'gads_shop',
      system: 'shopify',
      name: 'gads shop',
      region: 'eu',
      settings: { shopUrl: shop.baseUrl, timeZone: 'Europe/Berlin' },
      credentials: { accessToken: SHOP_TOKEN },
    });
    // Google takes the first upload, but its answer is lost: the activity is retried and sends it again.
    e.failNext(1, 'accept-then-drop');
    expect(await syncNow(shopCon)).toMatchObject({ status: 'completed', totals: { orders: 3 } });
    // Nobody starts the upload: the clicked buyers' new orders reach the audience processor, which asks
    // the connector's upload to run (signal-with-start on conversions-<connectorId>).
    await eventually(async () => {
      expect((await conversionUploads(sql, con.id)).map((u) => [u.orderExternalId, u.status])).toEqual([
        ['910001', 'uploaded'],
        ['910002', 'uploaded'],
      ]);
    }, 60_000);
    const handle = d.client.workflow.getHandle(conversionUploadWorkflowId(con.id));
    await handle.result();
    const uploads = () => e.requests.filter((r) => r.path.endsWith(':uploadClickConversions'));
    expect(uploads()).toHaveLength(2);
    expect(uploads()[1]!.codes).toEqual(['ORDER_ID_ALREADY_IN_USE', 'ORDER_ID_ALREADY_IN_USE']);
    expect(e.conversions).toHaveLength(2);
    const byClick = new Map(e.conversions.map((c) => [c.clickId, c]));
    expect(byClick.get(click1)).toMatchObject({
      clickKind: 'gclid',
      conversionAction: `customers/${CUSTOMER}/conversionActions/${ACTION}`,
      conversionValue: 49.9,
      currencyCode: 'EUR',
      orderId: `${shopCon.id}:910001`,
      consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
    });
    expect(byClick.get(click2)).toMatchObject({
      conversionValue: 20,
      consent: { adUserData: 'UNSPECIFIED', adPersonalization: 'UNSPECIFIED' },
    });
    const history = await decodedHistory(handle, d.config.payloadKeys);
    for (const personal of ['clicker@example.de', 'former.lead@example.de', click1])
      expect(history).not.toContain(personal);

    // The orders change and sync again: the upload is asked for again and sends nothing; a run
    // started by hand sends nothing either.
    shop.updateOrder(910_001, { financial_status: 'partially_refunded' });
    shop.updateOrder(910_002, { tags: 'gift' });
    expect(await syncNow(shopCon)).toMatchObject({ status: 'completed' });
    await eventually(async () => {
      expect((await sql`select count(*)::int as n from audience_changes`)[0]!.n).toBe(0);
      expect((await handle.describe()).status.name).not.toBe('RUNNING');
    }, 60_000);
    const again = await uploadNow(con);
    expect(again.result).toEqual({ uploaded: 0, alreadyThere: 0, refused: 0 });
    expect(uploads()).toHaveLength(2);
    expect(e.conversions).toHaveLength(2);
  }, 180_000);

  it('fails fast with "reconnect the Google Ads account" when the OAuth grant was revoked', async () => {
    const e = await emulator();
    e.revokeRefreshToken();
    const con = await connector('gads_revoked', e);
    const startedAt = Date.now();
    const failure = await syncNow(con).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/reconnect the Google Ads account in Meridian/);
    expect(message).not.toContain(REFRESH);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(e.requests.map((r) => r.codes)).toEqual([['invalid_grant']]);
    const [run] = await d.regional('eu').sql<{ status: string; error: string }[]>`
      select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run).toMatchObject({ status: 'failed' });
  }, 60_000);
});
