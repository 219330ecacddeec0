import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connector, createConnector } from '../../db/connectors-store';
import { deliveryWorkflowId } from '../../temporal/processes/connector-delivery';
import {
  connectorScheduleId,
  manualSyncWorkflowId,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import type { SyncResult } from '../../workflows/connector-sync';
import { allowEmulatorHosts } from '../emulators/hosts';
import { EmulatedLead, MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { createSyncDeployment, regionStore, syncToEnd } from '../support/connector-sync';
import type { TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';

allowEmulatorHosts();

/**
 * Meta Lead Ads on the real Temporal server, PostgreSQL and web app: leads of two forms synced on
 * demand and on schedule through Graph's throttling (code 32) and 500s, each lead a person resolved
 * by One ID in the connector's region, the form's consent text and ticked boxes kept as proof of the
 * consent recorded; the leadgen webhook (verification handshake, X-Hub-Signature-256, a bad signature
 * refused, a lead fetched by ID and stored once); a lead and a later Shopify order by the same e-mail
 * address are one customer; a revoked Page token fails fast with "reconnect". Histories hold IDs only.
 */

const TOKEN = 'EAAGpageTokenForLeads0123456789';
const APP_SECRET = 'meta-app-secret-leads';
const VERIFY_TOKEN = 'verify-token-0123456789abcdef';
const PAGE_ID = '5550001112';
const FORM_A = '7100000000001';
const FORM_B = '7100000000002';
const BASE = Date.parse('2025-03-10T08:00:00Z');
const SHOP_TOKEN = 'shpat_meta_leads_test';

const FORM_A_TEXT = {
  name: 'Spring sample request',
  locale: 'de_DE',
  privacyPolicy: { url: 'https://brand.example/privacy', link_text: 'Datenschutz' },
  disclaimer: {
    title: 'Newsletter',
    body: 'We would like to send you offers by e-mail. You can unsubscribe at any time.',
    checkboxes: [
      { key: 'marketing_optin', text: 'Yes, send me offers by e-mail', is_required: false },
      { key: 'terms', text: 'I accept the terms', is_required: true },
    ],
  },
};

describe('Meta Lead Ads connector', () => {
  let d: TestDeployment;
  let workers: WorkerProcess;
  let web: MeridianWeb;
  let base: string;
  const metas: MetaEmulator[] = [];
  const shops: ShopifyEmulator[] = [];

  beforeAll(async () => {
    d = await createSyncDeployment('metaleads', 'EUR');
    workers = await d.startWorkers(['global', 'eu']);
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG) console.log(workers?.output());
    await web?.close();
    await d?.close();
    await Promise.all([...metas.map((e) => e.close()), ...shops.map((e) => e.close())]);
  });

  async function meta(options: { rateLimit?: { calls: number; regainMinutes?: number } } = {}) {
    const e = await startMetaEmulator({ accessToken: TOKEN, appSecret: APP_SECRET, pageId: PAGE_ID, ...options });
    metas.push(e);
    e.createLeadForm(FORM_A, FORM_A_TEXT);
    e.createLeadForm(FORM_B, { name: 'Catalogue', privacyPolicy: { url: 'https://brand.example/privacy' } });
    return e;
  }

  const regional = () => regionStore(d, 'eu');

  async function connector(id: string, e: MetaEmulator, extra: Record<string, unknown> = {}): Promise<Connector> {
    return createConnector(d.global().sql, regional(), {
      id,
      system: 'meta_leads',
      name: id,
      region: 'eu',
      settings: {
        pageId: PAGE_ID,
        formIds: [FORM_A, FORM_B],
        apiUrl: e.baseUrl,
        syncFrom: '2025-03-01T00:00:00Z',
        pageSize: 10,
        consentCheckboxes: { marketing_optin: 'emailMarketing' },
        defaultCountry: 'DE',
        rateLimitWaitSeconds: 1,
        ...extra,
      },
      credentials: { pageAccessToken: TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
    });
  }

  const syncNow = async (c: Connector): Promise<SyncResult> => (await syncToEnd(d, c)).result;

  const lead = (n: number, extra: Partial<EmulatedLead> = {}): EmulatedLead => ({
    id: String(9_000_000_000 + n),
    created_time: new Date(BASE + n * 3_600_000),
    answers: {
      email: `lead${n}@example.de`,
      full_name: `Lea Lead ${n}`,
      phone_number: `+49151000${String(n).padStart(4, '0')}`,
    },
    checked: { marketing_optin: n % 3 !== 0, terms: true },
    platform: n % 2 === 0 ? 'ig' : 'fb',
    ...extra,
  });

  it('syncs two forms on demand and on schedule through throttling and 500s, keeping the consent text as proof', async () => {
    const e = await meta();
    e.addLeads(
      FORM_A,
      Array.from({ length: 25 }, (_, i) => lead(i)),
    );
    e.addLeads(
      FORM_B,
      Array.from({ length: 5 }, (_, i) => lead(100 + i)),
    );
    e.addLeads(FORM_B, [lead(200, { answers: { full_name: 'No Contact' } })]);
    e.failNext(2, 500);
    e.failNext(1, 'rate-limit', { code: 32 });
    const con = await connector('meta_leads_sync', e);

    const result = await syncNow(con);
    expect(result).toMatchObject({ status: 'completed', totals: { customers: 30, rejected: 1 } });
    expect(e.requests.filter((r) => r.status === 500)).toHaveLength(2);
    expect(e.requests.filter((r) => r.status === 400)).toHaveLength(1); // the throttle, waited out

    const sql = d.regional('eu').sql;
    const people = await sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from events where source_id = ${con.id}`;
    expect(people[0]!.n).toBe(30);
    const [rejection] = await sql<{ external_id: string; reason: string }[]>`
      select external_id, reason from sync_rejections where connector_id = ${con.id}`;
    expect(rejection).toMatchObject({ external_id: '9000000200' });
    expect(rejection!.reason).toMatch(/field_data: must answer email or phone_number/);

    // The form's text and the boxes ticked, kept as the proof the consent records name.
    const evidence = await sql<{ proof_reference: string; customer_id: string; evidence: any }[]>`
      select proof_reference, customer_id::text, evidence from consent_evidence where source_id = ${con.id}
      order by proof_reference`;
    expect(evidence).toHaveLength(30);
    const first = evidence.find((row) => row.proof_reference === `${FORM_A}:9000000001`)!;
    expect(first.evidence.shown.disclaimer.body).toBe(FORM_A_TEXT.disclaimer.body);
    expect(first.evidence.shown.disclaimer.checkboxes[0]).toMatchObject({ key: 'marketing_optin' });
    expect(first.evidence.shown.privacyPolicy).toEqual({
      url: 'https://brand.example/privacy',
      linkText: 'Datenschutz',
    });
    expect(first.evidence.responses).toEqual([
      { key: 'marketing_optin', checked: true },
      { key: 'terms', checked: true },
    ]);
    expect(JSON.stringify(evidence)).not.toContain('@example.de');
    const records = await sql<
      { customer_id: string; state: string; source: string; proof_kind: string; proof_reference: string }[]
    >`
      select customer_id::text, state, source, proof_kind, proof_reference from consent_records
      where purpose = 'emailMarketing' and proof_reference like ${`${FORM_A}:%`} order by proof_reference`;
    expect(records).toHaveLength(25);
    expect(records.every((r) => r.source === 'lead-form' && r.proof_kind === 'meta-lead-form')).toBe(true);
    const lead0 = records.find((r) => r.proof_reference === `${FORM_A}:9000000000`)!;
    const lead1 = records.find((r) => r.proof_reference === `${FORM_A}:9000000001`)!;
    expect(lead0.state).toBe('denied');
    expect(lead1.state).toBe('granted');
    expect(lead1.customer_id).toBe(first.customer_id);
    // Form B asks nothing: its proof is kept, no choice recorded.
    const [formB] = await sql<{ n: number }[]>`
      select count(*)::int as n from consent_records where proof_reference like ${`${FORM_B}:%`}`;
    expect(formB!.n).toBe(0);

    // History: IDs and counts only.
    const history = await decodedHistory(
      d.client.workflow.getHandle(manualSyncWorkflowId(con.id)),
      d.config.payloadKeys,
    );
    expect(history).toContain(con.id);
    for (const personal of ['lead1@example.de', 'Lea Lead', '+491510000001', 'Yes, send me offers'])
      expect(history).not.toContain(personal);

    // On schedule: a new lead is taken, nothing stored twice.
    e.addLeads(FORM_A, [lead(30, { created_time: new Date() })]);
    await upsertConnectorSchedule(d.client, d.config.regions, con, { every: '1d' });
    await triggerConnectorSchedule(d.client, con.id);
    await eventually(async () => {
      const [run] = await sql<{ status: string }[]>`
        select status from sync_runs where connector_id = ${con.id} and workflow_id like ${`${connectorScheduleId(con.id)}-20%`}`;
      expect(run?.status).toBe('completed');
    }, 60_000);
    const after = await sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from events where source_id = ${con.id}`;
    expect(after[0]!.n).toBe(31);
    const [evidenceCount] = await sql<{ n: number }[]>`
      select count(*)::int as n from consent_evidence where source_id = ${con.id}`;
    expect(evidenceCount!.n).toBe(31);
  }, 180_000);

  it('answers the webhook handshake, refuses a bad signature, and stores a notified lead once', async () => {
    const e = await meta();
    e.addLeads(FORM_A, [lead(500, { created_time: new Date() })]);
    const con = await connector('meta_leads_hook', e);
    const url = `${base}/v1/connectors/${con.id}/meta-leads/webhook`;

    const handshake = await fetch(
      `${url}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toBe('1158201444');
    const wrongToken = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=not-the-token-at-all&hub.challenge=1`);
    expect(wrongToken.status).toBe(403);

    const post = (body: string, signature: string | undefined) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
        body,
      });
    const notification = e.leadgenNotification([{ leadId: '9000000500', formId: FORM_A }]);
    const forged = e.leadgenNotification([{ leadId: '9000000500', formId: FORM_A }], 'someone-elses-secret');
    const bad = await post(forged.body, forged.signature);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toMatch(/x-hub-signature-256 does not match/);
    expect((await post(notification.body, undefined)).status).toBe(401);
    // A signature over other bytes (the body changed on the way) is refused too.
    expect((await post(notification.body.replace('9000000500', '9000000501'), notification.signature)).status).toBe(
      401,
    );
    expect(e.requests.filter((r) => r.path.endsWith('/9000000500'))).toHaveLength(0);

    const good = await post(notification.body, notification.signature);
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ success: true, leads: 1 });
    const handle = d.client.workflow.getHandle(deliveryWorkflowId(con.id, '9000000500'));
    expect(await handle.result()).toMatchObject({ customers: 1, rejected: 0 });

    // Meta delivers again: nothing new starts, the lead is stored once.
    expect((await post(notification.body, notification.signature)).status).toBe(200);
    const sql = d.regional('eu').sql;
    const stored = await sql<{ customer_id: string }[]>`
      select customer_id::text from events where source_id = ${con.id}`;
    expect(stored).toHaveLength(1);
    const [proof] = await sql<{ customer_id: string }[]>`
      select customer_id::text from consent_evidence where proof_reference = ${`${FORM_A}:9000000500`}`;
    expect(proof?.customer_id).toBe(stored[0]!.customer_id);
    expect(e.requests.filter((r) => r.path.endsWith('/9000000500'))).toHaveLength(1);

    const history = await decodedHistory(handle, d.config.payloadKeys);
    expect(history).toContain('9000000500');
    for (const personal of ['lead500@example.de', 'Lea Lead 500', '+491510000500'])
      expect(history).not.toContain(personal);
  }, 120_000);

  it('makes a Meta lead and a later Shopify order by the same e-mail address one customer', async () => {
    const e = await meta();
    e.addLeads(FORM_A, [
      lead(700, { answers: { email: 'Ana.Weber@Example.de', full_name: 'Ana Weber', country: 'DE' } }),
    ]);
    const leads = await connector('meta_leads_onecustomer', e);
    expect(await syncNow(leads)).toMatchObject({ status: 'completed', totals: { customers: 1 } });

    const shop = await startShopifyEmulator({
      accessToken: SHOP_TOKEN,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: 'leads-shop',
      now: () => new Date('2025-03-20T12:00:00Z'),
    });
    shops.push(shop);
    shop.addOrders([
      {
        id: 820_001,
        email: 'ana.weber@example.de',
        created_at: '2025-03-20T10:00:00+01:00',
        customer_id: null,
        financial_status: 'paid',
        line_items: [{ sku: 'TEA-1', title: 'Tea', quantity: 2, price: '12.50' }],
      },
    ]);
    const shopCon = await createConnector(d.global().sql, regional(), {
      id: 'shop_after_lead',
      system: 'shopify',
      name: 'shop after lead',
      region: 'eu',
      settings: { shopUrl: shop.baseUrl, timeZone: 'Europe/Berlin' },
      credentials: { accessToken: SHOP_TOKEN },
    });
    expect(await syncNow(shopCon)).toMatchObject({ status: 'completed', totals: { orders: 1 } });

    const sql = d.regional('eu').sql;
    const [fromLead] = await sql<
      { customer_id: string }[]
    >`select customer_id::text from events where source_id = ${leads.id}`;
    const [order] = await sql<{ customer_id: string; total_minor: string }[]>`
      select customer_id::text, total_minor::text from orders where source_id = ${shopCon.id}`;
    expect(order).toMatchObject({ total_minor: '2500' });
    expect(order!.customer_id).toBe(fromLead!.customer_id);
    const [profiles] = await sql<{ n: number }[]>`
      select count(*)::int as n from identities where type = 'email' and customer_id = ${fromLead!.customer_id}::uuid`;
    expect(profiles!.n).toBe(1);
  }, 120_000);

  it('fails fast with "reconnect the Facebook Page" when the Page token was revoked', async () => {
    const e = await meta();
    e.addLeads(FORM_A, [lead(800)]);
    e.revokeToken();
    const con = await connector('meta_leads_revoked', e);
    const startedAt = Date.now();
    const failure = await syncNow(con).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toMatch(/reconnect the Facebook Page in Meridian/);
    expect(message).toMatch(/#190\/460/);
    expect(message).not.toContain(TOKEN);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(e.requests).toHaveLength(1);
    const [run] = await d.regional('eu').sql<{ status: string; error: string }[]>`
      select status, error from sync_runs where connector_id = ${con.id}`;
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/reconnect the Facebook Page/);
  }, 120_000);
});
