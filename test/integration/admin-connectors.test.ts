import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { createTestDeployment, runEntryPoint, TestDeployment, waitForExit } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * The admin API for connectors on the real Temporal server, PostgreSQL and region workers: a
 * Shopify store (the emulator) created, scheduled, synced on demand with live progress, its
 * rejected records listed; region-scoped tokens; supplementary FX rates; and `npm run connectors`.
 */

const TOKEN = 'shpat_meridian_admin_api_test_secret';
const NOW = new Date('2025-05-09T12:00:00Z');

describe('admin API: connectors, schedules, syncs and supplementary FX rates', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  const shops: ShopifyEmulator[] = [];
  const euOnlyToken = randomBytes(24).toString('base64url');
  const tmp = mkdtempSync(path.join(tmpdir(), 'meridian-admin-connectors-'));

  beforeAll(async () => {
    const allRegions = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!;
    d = await createTestDeployment('adminconn', { MERIDIAN_ADMIN_TOKENS: `${allRegions},${euOnlyToken}:eu` });
    await d.global().sql`select 1`;
    await d.startWorkers(['global', 'eu', 'us']);
    h = await startIngestion(d);
  });
  afterAll(async () => {
    await h?.close();
    await d?.close();
    await Promise.all(shops.map((s) => s.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  async function shop(
    name: string,
    options: { bucketSize?: number; leakPerSecond?: number } = {},
  ): Promise<ShopifyEmulator> {
    const emulator = await startShopifyEmulator({
      accessToken: TOKEN,
      now: () => NOW,
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      shop: name,
      ...options,
    });
    shops.push(emulator);
    return emulator;
  }

  const as = async (token: string | undefined, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${h.base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as any, text };
  };
  const admin = (method: string, url: string, body?: unknown) => as(h.adminToken, method, url, body);

  const shopifyConnector = (id: string, region: string, emulator: ShopifyEmulator, pageSize = 5) => ({
    id,
    system: 'shopify',
    name: `Shop ${id}`,
    region,
    settings: { shopUrl: emulator.baseUrl, timeZone: 'Europe/Berlin', pageSize },
    credentials: { accessToken: TOKEN },
  });

  /** Polls the progress endpoint until the sync has ended; returns every answer seen. */
  async function untilDone(id: string, workflowId: string): Promise<any[]> {
    const seen: any[] = [];
    await eventually(
      async () => {
        const res = await admin('GET', `/admin/connectors/${id}/sync/${workflowId}`);
        expect(res.status).toBe(200);
        seen.push(res.body);
        expect(res.body.workflowStatus).not.toBe('RUNNING');
      },
      90_000,
      250,
    );
    return seen;
  }

  let berlin: ShopifyEmulator;

  it('creates a Shopify connector, never echoing its credentials, and refuses bad input naming the field', async () => {
    berlin = await shop('berlin');
    berlin.addCustomers([
      { id: 501, email: 'ana@example.de', first_name: 'Ana', created_at: '2025-05-01T10:00:00+02:00' },
      { id: 502, email: 'ben@example.de', first_name: 'Ben', created_at: '2025-05-02T10:00:00+02:00' },
      { id: 503, email: 'cem@example.de', first_name: 'Cem', created_at: '2025-05-03T10:00:00+02:00' },
    ]);
    const order = (id: number, customer: number, total: string, extra = {}) => ({
      id,
      customer_id: customer,
      created_at: '2025-05-05T10:00:00+02:00',
      total_price: total,
      line_items: [{ sku: 'TEA', title: 'Tea', quantity: 1, price: total }],
      ...extra,
    });
    berlin.addOrders([
      order(9001, 501, '19.99'),
      order(9002, 502, '5.00'),
      order(9003, 503, '42.50'),
      order(9004, 501, '7.25'),
      // A record Shopify would never send: a country name where the ISO code belongs. The sync rejects it, naming the field.
      order(9005, 502, '12.00', { shipping_address: { country_code: 'Germany' } }),
    ]);

    const created = await admin('POST', '/admin/connectors', shopifyConnector('adm_berlin', 'eu', berlin));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'adm_berlin',
      system: 'shopify',
      region: 'eu',
      credentials: 'set',
      schedule: null,
    });
    expect(created.body.settings).toMatchObject({ shopUrl: berlin.baseUrl, timeZone: 'Europe/Berlin' });
    expect(created.text).not.toContain(TOKEN);

    const listed = await admin('GET', '/admin/connectors');
    expect(listed.status).toBe(200);
    expect(listed.body.connectors.map((c: any) => c.id)).toContain('adm_berlin');
    expect(listed.text).not.toContain(TOKEN);
    const shown = await admin('GET', '/admin/connectors/adm_berlin');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id: 'adm_berlin',
      credentials: 'set',
      schedule: null,
      streams: [],
      recentSyncs: [],
    });
    expect(shown.text).not.toContain(TOKEN);
    // Sealed in the region database: not even the ciphertext holds the token in the clear.
    const [sealed] = await d.regional('eu').sql<
      { credentials_sealed: Buffer }[]
    >`select credentials_sealed from connector_credentials where connector_id = 'adm_berlin'`;
    expect(sealed!.credentials_sealed.toString('latin1')).not.toContain(TOKEN);

    const bad = async (body: unknown) => admin('POST', '/admin/connectors', body);
    const base = shopifyConnector('adm_bad', 'eu', berlin);
    let res = await bad({ ...base, settings: { shopUrl: 'not a url', timeZone: 'Europe/Berlin' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^settings\.shopUrl: must be the store URL/);
    res = await bad({ ...base, settings: { shopUrl: berlin.baseUrl, timeZone: 'Berlin' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^settings\.timeZone: must be an IANA time zone/);
    res = await bad({ ...base, credentials: {} });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^credentials\.accessToken/);
    res = await bad({ ...base, region: 'global' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^region: must be a data region: one of eu, us, apac/);
    res = await bad({ ...base, system: 'magento' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(
      /system: unknown system "magento": use one of shopify, shopee, lazada, amazon, file, tiktok_shop, hubspot, klaviyo, twilio, meta_audiences, manual/,
    );
    res = await bad({ ...base, schedule: { cron: '0 3 * * *', timeZone: 'Mars/Olympus' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^schedule\.timeZone: must be an IANA time zone/);
    res = await bad({ ...base, id: 'adm_berlin' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/connector adm_berlin already exists: change it with PUT/);
    // Nothing half-made by the refused requests.
    expect((await admin('GET', '/admin/connectors/adm_bad')).status).toBe(404);

    res = await admin('GET', '/admin/connectors/adm_nope');
    expect(res).toMatchObject({
      status: 404,
      body: { error: 'connector adm_nope does not exist: list them with GET /admin/connectors' },
    });
    expect((await as(undefined, 'GET', '/admin/connectors')).status).toBe(401);

    // PUT changes settings and credentials; validated whole, never echoed.
    res = await admin('PUT', '/admin/connectors/adm_berlin', {
      name: 'Berlin web shop',
      credentials: { accessToken: TOKEN },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'adm_berlin', name: 'Berlin web shop', credentials: 'set' });
    expect(res.text).not.toContain(TOKEN);
    res = await admin('PUT', '/admin/connectors/adm_berlin', {
      settings: { shopUrl: berlin.baseUrl, timeZone: 'Europe/Berlin', pageSize: 500 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^settings\.pageSize/);
    res = await admin('PUT', '/admin/connectors/adm_berlin', { region: 'us' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^region: not a field of this request/);
  });

  it('lets a region-scoped token manage only the connectors of its regions', async () => {
    const created = await admin('POST', '/admin/connectors', shopifyConnector('adm_boston', 'us', berlin));
    expect(created.status).toBe(201);

    const refused = await as(euOnlyToken, 'GET', '/admin/connectors/adm_boston');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe(
      'this admin token may not manage connectors in region us (it covers eu): use a token for us from MERIDIAN_ADMIN_TOKENS',
    );
    expect((await as(euOnlyToken, 'POST', '/admin/connectors/adm_boston/sync', {})).status).toBe(403);
    expect((await as(euOnlyToken, 'PUT', '/admin/connectors/adm_boston', { name: 'mine now' })).status).toBe(403);
    expect((await as(euOnlyToken, 'PUT', '/admin/connectors/adm_boston/schedule', { every: '1h' })).status).toBe(403);
    expect((await as(euOnlyToken, 'GET', '/admin/connectors/adm_boston/rejections')).status).toBe(403);
    const createdElsewhere = await as(
      euOnlyToken,
      'POST',
      '/admin/connectors',
      shopifyConnector('adm_boston2', 'us', berlin),
    );
    expect(createdElsewhere.status).toBe(403);

    const listed = await as(euOnlyToken, 'GET', '/admin/connectors');
    expect(listed.status).toBe(200);
    const ids = listed.body.connectors.map((c: any) => c.id);
    expect(ids).toContain('adm_berlin');
    expect(ids).not.toContain('adm_boston');
    expect((await as(euOnlyToken, 'GET', '/admin/connectors/adm_berlin')).status).toBe(200);
    expect((await admin('GET', '/admin/connectors')).body.connectors.map((c: any) => c.id)).toEqual(
      expect.arrayContaining(['adm_berlin', 'adm_boston']),
    );
  });

  it('syncs on demand with live progress, stores the orders, and lists the rejected record', async () => {
    // Input checked before anything starts.
    let res = await admin('POST', '/admin/connectors/adm_berlin/sync', { since: 'yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^since: must be an ISO 8601 instant/);
    res = await admin('POST', '/admin/connectors/adm_berlin/sync', { streams: ['payments'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^streams/);
    res = await admin('POST', '/admin/connectors/adm_berlin/sync', { stream: ['orders'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^stream: not a field of this request; it takes since, full, streams/);
    res = await admin('POST', '/admin/connectors/adm_berlin/sync', { since: '2025-01-01T00:00:00Z', full: true });
    expect(res.status).toBe(400);

    const started = await admin('POST', '/admin/connectors/adm_berlin/sync', {});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ workflowId: 'sync-adm_berlin-manual', runId: expect.any(String) });

    const seen = await untilDone('adm_berlin', started.body.workflowId);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({
      workflowStatus: 'COMPLETED',
      status: 'completed',
      progress: { connectorId: 'adm_berlin', totals: { customers: 3, orders: 4, rejected: 1 } },
    });
    const orders = await d.regional('eu').sql<
      { external_id: string; customer_id: string | null; total_minor: string }[]
    >`
      select external_id, customer_id, total_minor::text from orders where source_id = 'adm_berlin' order by external_id`;
    expect(orders.map((o) => [o.external_id, o.total_minor])).toEqual([
      ['9001', '1999'],
      ['9002', '500'],
      ['9003', '4250'],
      ['9004', '725'],
    ]);
    expect(orders.every((o) => o.customer_id !== null)).toBe(true);
    // Nothing of an eu connector in another region.
    const [elsewhere] = await d.regional('us').sql<
      { n: number }[]
    >`select count(*)::int as n from orders where source_id = 'adm_berlin'`;
    expect(elsewhere!.n).toBe(0);

    const rejections = await admin(
      'GET',
      `/admin/connectors/adm_berlin/rejections?syncId=${encodeURIComponent(last.progress.syncId)}&limit=10`,
    );
    expect(rejections.status).toBe(200);
    expect(rejections.body.rejections).toHaveLength(1);
    expect(rejections.body.rejections[0]).toMatchObject({
      syncId: last.progress.syncId,
      stream: 'orders',
      externalId: '9005',
      reason: expect.stringMatching(/shipping_address\.country_code: must be an ISO 3166-1 alpha-2 country code/),
      pageNo: expect.any(Number),
      itemNo: expect.any(Number),
    });
    expect((await admin('GET', '/admin/connectors/adm_berlin/rejections?limit=0')).status).toBe(400);

    // The connector now shows where each stream's next pass starts and the sync it ran.
    const shown = await admin('GET', '/admin/connectors/adm_berlin');
    expect(shown.body.streams.map((s: any) => s.stream).sort()).toEqual(['customers', 'orders']);
    expect(shown.body.recentSyncs[0]).toMatchObject({
      status: 'completed',
      customers: 3,
      orders: 4,
      rejected: 1,
      workflowId: 'sync-adm_berlin-manual',
    });

    // A backfill of one stream from a date.
    const backfill = await admin('POST', '/admin/connectors/adm_berlin/sync', {
      since: '2025-05-04T00:00:00Z',
      streams: ['orders'],
    });
    expect(backfill.status).toBe(202);
    const after = (await untilDone('adm_berlin', backfill.body.workflowId)).pop();
    expect(after).toMatchObject({
      status: 'completed',
      progress: { totals: { customers: 0, orders: 4, rejected: 1 } },
    });
    expect(after.progress.streams.map((s: any) => s.stream)).toEqual(['orders']);

    // A workflow that is not this connector's sync is not shown through it.
    expect((await admin('GET', '/admin/connectors/adm_berlin/sync/sync-adm_boston-manual')).status).toBe(404);
  });

  it('refuses a second on-demand sync while one runs (409), and shows the running one’s progress', async () => {
    // A store whose rate limit makes the sync take several seconds: 429 with Retry-After 2 s past two calls.
    const slow = await shop('slow', { bucketSize: 2, leakPerSecond: 1 });
    slow.seed({ customers: 10, orders: 30, seed: 4 });
    expect((await admin('POST', '/admin/connectors', shopifyConnector('adm_slow', 'eu', slow, 5))).status).toBe(201);

    const first = await admin('POST', '/admin/connectors/adm_slow/sync', {});
    expect(first.status).toBe(202);
    const second = await admin('POST', '/admin/connectors/adm_slow/sync', { full: true });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(
      /a sync of connector adm_slow started by hand is still running \(workflow sync-adm_slow-manual\)/,
    );

    await eventually(
      async () => {
        const res = await admin('GET', `/admin/connectors/adm_slow/sync/${first.body.workflowId}`);
        expect(res.body).toMatchObject({ workflowStatus: 'RUNNING', status: 'running' });
        expect(res.body.progress.stream).toBeDefined();
        expect(res.body.progress.totals.pages).toBeGreaterThan(0);
      },
      30_000,
      200,
    );
    const done = (await untilDone('adm_slow', first.body.workflowId)).pop();
    expect(done).toMatchObject({ status: 'completed', progress: { totals: { customers: 10, orders: 30 } } });
  });

  it('creates, changes, pauses, resumes, triggers and deletes a schedule, all reflected in GET', async () => {
    const small = await shop('scheduled');
    small.seed({ customers: 3, orders: 6, seed: 2 });
    const created = await admin('POST', '/admin/connectors', {
      ...shopifyConnector('adm_sched', 'eu', small),
      schedule: { cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });
    expect(created.status).toBe(201);
    expect(created.body.schedule).toMatchObject({
      scheduleId: 'sync-adm_sched',
      spec: { cron: '0 3 * * *' },
      timeZone: 'Europe/Berlin',
      paused: false,
      overlap: 'SKIP',
      catchupWindow: '1h',
    });
    // Next run at 03:00 Berlin time.
    const next = new Date(created.body.schedule.nextActionTimes[0]);
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(next),
    ).toBe('03:00');

    let res = await admin('PUT', '/admin/connectors/adm_sched/schedule', {
      every: '1h',
      timeZone: 'UTC',
      catchupWindow: '2h',
      note: 'hourly during the sale',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: 'updated',
      schedule: { spec: { every: '1h' }, timeZone: 'UTC', catchupWindow: '2h', paused: false },
    });
    res = await admin('PUT', '/admin/connectors/adm_sched/schedule', { cron: '0 3 * * *', every: '1h' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^cron: give either "cron" or "every"/);

    res = await admin('POST', '/admin/connectors/adm_sched/schedule/pause', { note: 'store migration' });
    expect(res.status).toBe(200);
    let shown = await admin('GET', '/admin/connectors/adm_sched');
    expect(shown.body.schedule).toMatchObject({ paused: true, note: 'store migration', spec: { every: '1h' } });
    res = await admin('POST', '/admin/connectors/adm_sched/schedule/resume');
    expect(res.status).toBe(200);
    shown = await admin('GET', '/admin/connectors/adm_sched');
    expect(shown.body.schedule.paused).toBe(false);

    res = await admin('POST', '/admin/connectors/adm_sched/schedule/trigger');
    expect(res.status).toBe(202);
    await eventually(
      async () => {
        const now = await admin('GET', '/admin/connectors/adm_sched');
        expect(now.body.schedule.recentActions.length).toBeGreaterThanOrEqual(1);
        expect(now.body.schedule.recentActions[0].workflowId).toMatch(/^sync-adm_sched-/);
        expect(now.body.recentSyncs[0]).toMatchObject({ status: 'completed', customers: 3, orders: 6 });
      },
      60_000,
      250,
    );
    // The scheduled run's progress is readable through the same endpoint.
    shown = await admin('GET', '/admin/connectors/adm_sched');
    const scheduledRun = await admin(
      'GET',
      `/admin/connectors/adm_sched/sync/${shown.body.schedule.recentActions[0].workflowId}`,
    );
    expect(scheduledRun.body).toMatchObject({ status: 'completed', progress: { totals: { orders: 6 } } });

    res = await admin('DELETE', '/admin/connectors/adm_sched/schedule');
    expect(res.status).toBe(200);
    expect((await admin('GET', '/admin/connectors/adm_sched')).body.schedule).toBeNull();
    res = await admin('POST', '/admin/connectors/adm_sched/schedule/pause');
    expect(res).toMatchObject({
      status: 404,
      body: { error: 'connector adm_sched has no schedule: create one with PUT /admin/connectors/adm_sched/schedule' },
    });
  });

  it('stores supplementary FX rates for a currency the ECB does not publish, rejecting bad items with reasons', async () => {
    const put = await admin('PUT', '/admin/fx-rates/KWD', {
      source: 'Central Bank of Kuwait',
      rates: [
        { date: '2025-03-13', perEur: '0.3349' },
        { date: '2025-03-14', perEur: 0.3354 },
        { date: '2025-02-30', perEur: '0.3350' },
        { date: '2025-03-12', perEur: '-0.33' },
        { date: '2025-03-11', perEur: '0' },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      currency: 'KWD',
      source: 'Central Bank of Kuwait',
      accepted: 2,
      stored: 2,
      rejected: [
        { date: '2025-02-30', perEur: '0.3350', reason: 'date "2025-02-30" is not a calendar date YYYY-MM-DD' },
        { date: '2025-03-12', perEur: '-0.33', reason: 'KWD rate "-0.33" is not a positive decimal' },
        { date: '2025-03-11', perEur: '0', reason: 'KWD rate "0" is not a positive decimal' },
      ],
    });

    // A stored rate is never overwritten; the same rate again is accepted and changes nothing.
    const again = await admin('PUT', '/admin/fx-rates/KWD', {
      source: 'someone else',
      rates: [
        { date: '2025-03-14', perEur: '0.33540' },
        { date: '2025-03-13', perEur: '0.3400' },
        { date: '2025-03-17', perEur: '0.3361' },
      ],
    });
    expect(again.body).toMatchObject({
      accepted: 2,
      stored: 1,
      rejected: [
        {
          date: '2025-03-13',
          perEur: '0.3400',
          reason: 'KWD already has the rate 0.3349 on 2025-03-13; 0.3400 was not applied',
        },
      ],
    });

    const got = await admin('GET', '/admin/fx-rates/KWD?from=2025-03-01&to=2025-03-15');
    expect(got.status).toBe(200);
    expect(got.body.rates.map((r: any) => [r.date, r.perEur, r.source])).toEqual([
      ['2025-03-13', '0.3349', 'Central Bank of Kuwait'],
      ['2025-03-14', '0.3354', 'Central Bank of Kuwait'],
    ]);
    // When it was stored, as an instant in ISO 8601 (not PostgreSQL's own text).
    expect(got.body.rates[0].fetchedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await admin('GET', '/admin/fx-rates/KWD')).body.rates).toHaveLength(3);

    let res = await admin('PUT', '/admin/fx-rates/EUR', { source: 'x', rates: [{ date: '2025-03-14', perEur: '1' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^currency: EUR is the base currency/);
    res = await admin('PUT', '/admin/fx-rates/XYZ', { source: 'x', rates: [{ date: '2025-03-14', perEur: '1' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^currency: XYZ is not an ISO 4217 currency code/);
    res = await admin('PUT', '/admin/fx-rates/KWD', { rates: [{ date: '2025-03-14', perEur: '1' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^source: name where the rates come from/);
    res = await admin('PUT', '/admin/fx-rates/KWD', { source: 'ECB', rates: [{ date: '2025-03-18', perEur: '0.3' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/"ecb" is reserved for the ECB feed/);
    res = await as(euOnlyToken, 'PUT', '/admin/fx-rates/KWD', {
      source: 'x',
      rates: [{ date: '2025-03-18', perEur: '0.3' }],
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/use an admin token for all regions/);
    res = await admin('GET', '/admin/fx-rates/KWD?from=March');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('from: must be a date YYYY-MM-DD');
  });

  it('npm run connectors lists and shows connectors and loads FX rates from a CSV', async () => {
    const env = { ...process.env, ...d.env };
    const list = await waitForExit(runEntryPoint('scripts/connectors.ts', ['list'], env), 60_000);
    expect(list.code, list.output).toBe(0);
    expect(list.output).toMatch(/adm_berlin\s+eu\s+shopify\s+credentials set\s+Berlin web shop/);
    expect(list.output).toMatch(/adm_boston\s+us\s+shopify/);
    expect(list.output).not.toContain(TOKEN);

    const show = await waitForExit(runEntryPoint('scripts/connectors.ts', ['show', 'adm_berlin'], env), 60_000);
    expect(show.code, show.output).toBe(0);
    expect(show.output).toContain('adm_berlin  shopify  "Berlin web shop"  region eu  credentials set');
    expect(show.output).toMatch(/completed\s+pages \d+, customers 3, orders 4, rejected 1/);
    expect(show.output).not.toContain(TOKEN);

    const csv = path.join(tmp, 'aed.csv');
    writeFileSync(csv, 'date,perEur\n2025-03-13,4.0012\n2025-03-14,4.0101\n2025-13-01,4.1\n');
    const fx = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['fx-supplement', 'AED', csv, '--source', 'CBUAE'], env),
      60_000,
    );
    expect(fx.code, fx.output).toBe(1); // one line was rejected
    expect(fx.output).toContain('AED: 2 accepted (2 new stored, source "CBUAE"), 1 rejected');
    expect(fx.output).toContain('line 4: date "2025-13-01" is not a calendar date YYYY-MM-DD');
    const stored = await admin('GET', '/admin/fx-rates/AED');
    expect(stored.body.rates.map((r: any) => r.perEur)).toEqual(['4.0012', '4.0101']);

    const sync = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['sync', 'adm_berlin', '--full', '--streams', 'customers', '--wait'], env),
      90_000,
    );
    expect(sync.code, sync.output).toBe(0);
    expect(sync.output).toMatch(/started sync-adm_berlin-manual \(run [0-9a-f-]+\), full/);
    expect(sync.output).toContain('completed: 3 customers, 0 orders, 0 rejected');

    const schedule = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['schedule', 'adm_berlin', '--every', '6h', '--tz', 'Europe/Berlin'], env),
      60_000,
    );
    expect(schedule.code, schedule.output).toBe(0);
    expect(schedule.output).toMatch(/schedule created: every 6h in Europe\/Berlin, catch-up 1h, active/);
    const pause = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['pause', 'adm_berlin', 'store', 'migration'], env),
      60_000,
    );
    expect(pause.code, pause.output).toBe(0);
    expect(pause.output).toContain('PAUSED (store migration)');
    expect((await admin('GET', '/admin/connectors/adm_berlin')).body.schedule).toMatchObject({
      paused: true,
      note: 'store migration',
      spec: { every: '6h' },
    });
    const unschedule = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['unschedule', 'adm_berlin'], env),
      60_000,
    );
    expect(unschedule.code, unschedule.output).toBe(0);

    const bad = await waitForExit(
      runEntryPoint('scripts/connectors.ts', ['schedule', 'adm_berlin', '--cron', '0 3 * * *', '--tz', 'Berlin'], env),
      60_000,
    );
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('connectors: --tz: must be an IANA time zone such as Europe/Berlin');

    const unknown = await waitForExit(runEntryPoint('scripts/connectors.ts', ['show', 'adm_nope'], env), 60_000);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('connectors: connector adm_nope does not exist: see npm run connectors -- list');
  }, 120_000);
});
