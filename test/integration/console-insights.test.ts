import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureInsightsSchedule, INSIGHTS_SCHEDULE_ID } from '../../temporal/processes/insights';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { bearerCaller } from '../support/admin-api';
import { createConsoleUser, signIn } from '../support/console';
import { createTestDeployment, TestDeployment, WorkerProcess } from '../support/deployment';

/**
 * HQ insight (issue 13): each region aggregates its own orders and events, the insightsRefresh
 * workflow copies only counts and sums to the global tables, and GET /admin/insights answers from
 * them. The revenue by market must equal a SQL sum over every region's orders table.
 */

const PASSWORD = 'correct horse battery staple';

describe('console insights', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let workers: WorkerProcess;
  let base: string;
  let allToken: string;
  const call = bearerCaller(() => base);
  const admin = (method: string, url: string, body?: unknown) => call(allToken, method, url, body);
  const asUser = async (session: { cookie: string }, url: string) => {
    const res = await fetch(`${base}${url}`, { headers: { cookie: session.cookie } });
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, text, body };
  };

  /** Orders as the connectors store them: local date and reporting amount already set. */
  const order = async (
    region: string,
    source: string,
    o: { customer: string | null; country: string; day: string; minor: number; reportingMinor: number | null },
  ) => {
    await d.regional(region).sql`
      insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, reporting_total_minor,
                          placed_at, time_zone, local_date, local_hour, status, country_code, line_item_count, source_updated_at)
      values (${source}, ${randomUUID()}, ${o.customer}, 'USD', ${o.minor}, 'EUR', ${o.reportingMinor},
              ${`${o.day}T12:00:00Z`}, 'UTC', ${o.day}, 12, 'paid', ${o.country}, 1, now())`;
  };

  beforeAll(async () => {
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('consoleinsights');
    workers = await d.startWorkers(['global', 'eu', 'us', 'apac']);
    web = await createMeridianWeb(d.config, d.client, { poolSize: 2 });
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    for (const brand of ['aurora', 'borealis'])
      expect((await admin('POST', '/admin/brands', { id: brand, name: brand })).status).toBe(201);
    const sources: Record<string, string> = {};
    for (const [key, region, brandId] of [
      ['euAurora', 'eu', 'aurora'],
      ['usBorealis', 'us', 'borealis'],
      ['apacAurora', 'apac', 'aurora'],
      ['apacBorealis', 'apac', 'borealis'],
    ] as const) {
      const created = await admin('POST', '/admin/sources', { name: key, region, kind: 'server', brandId });
      expect(created.status, created.text).toBe(201);
      sources[key] = created.body.source.id;
      if (key === 'apacAurora') {
        // Two events of one person in Tokyo: Monday 10:xx local time (01:xx UTC).
        const sent = await fetch(`${base}/v1/batch`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Basic ${Buffer.from(`${created.body.writeKey}:`).toString('base64')}`,
          },
          body: JSON.stringify({
            batch: ['01:10', '01:40'].map((t) => ({
              type: 'track',
              event: 'Viewed Product',
              userId: 'tokyo-1',
              timestamp: `2026-03-02T${t}:00Z`,
              context: { timezone: 'Asia/Tokyo' },
            })),
          }),
        });
        expect(sent.status).toBe(200);
      }
    }
    const [kenji, yui, greta, hans, ann] = Array.from({ length: 5 }, () => randomUUID());
    await order('apac', sources.apacAurora!, {
      customer: kenji!,
      country: 'JP',
      day: '2026-01-15',
      minor: 1200,
      reportingMinor: 1000,
    });
    await order('apac', sources.apacAurora!, {
      customer: kenji!,
      country: 'JP',
      day: '2026-02-03',
      minor: 2400,
      reportingMinor: 2050,
    });
    await order('apac', sources.apacBorealis!, {
      customer: yui!,
      country: 'JP',
      day: '2026-02-10',
      minor: 999,
      reportingMinor: 877,
    });
    await order('apac', sources.apacAurora!, {
      customer: yui!,
      country: 'SG',
      day: '2026-03-01',
      minor: 5000,
      reportingMinor: 4321,
    });
    await order('eu', sources.euAurora!, {
      customer: greta!,
      country: 'DE',
      day: '2026-01-20',
      minor: 3000,
      reportingMinor: 3000,
    });
    await order('eu', sources.euAurora!, {
      customer: hans!,
      country: 'FR',
      day: '2026-02-28',
      minor: 1500,
      reportingMinor: 1500,
    });
    // A guest order (no customer) and one with no FX rate yet: counted as orders, revenue 0.
    await order('eu', sources.euAurora!, {
      customer: null,
      country: 'DE',
      day: '2026-02-01',
      minor: 700,
      reportingMinor: 700,
    });
    await order('us', sources.usBorealis!, {
      customer: ann!,
      country: 'US',
      day: '2026-02-14',
      minor: 4200,
      reportingMinor: null,
    });
    await order('us', sources.usBorealis!, {
      customer: ann!,
      country: 'US',
      day: '2026-02-20',
      minor: 1100,
      reportingMinor: 1013,
    });
    // Outside the range asked for below.
    await order('us', sources.usBorealis!, {
      customer: ann!,
      country: 'US',
      day: '2025-12-31',
      minor: 100,
      reportingMinor: 90,
    });

    await createConsoleUser(d.global().sql, { email: 'hq@example.com', password: PASSWORD, role: 'analyst' });
    await createConsoleUser(d.global().sql, {
      email: 'hana@example.com',
      password: PASSWORD,
      role: 'market_marketer',
      regions: ['apac'],
    });
    await createConsoleUser(d.global().sql, { email: 'ops@example.com', password: PASSWORD, role: 'operator' });
    await createConsoleUser(d.global().sql, {
      email: 'bea@example.com',
      password: PASSWORD,
      role: 'brand_marketer',
      brands: ['borealis'],
    });
  }, 240_000);

  afterAll(async () => {
    await d?.client.schedule
      .getHandle(INSIGHTS_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await web?.close();
    await d?.close();
  });

  it('refreshes on demand through the workflow, then answers revenue by market equal to the orders', async () => {
    const started = await admin('POST', '/admin/insights/refresh');
    expect(started.status, started.text).toBe(202);
    expect(started.body.workflowId).toMatch(/^insights-refresh-/);
    const result = await d.client.workflow.getHandle(started.body.workflowId).result();
    expect(result.regions.map((r: { region: string }) => r.region).sort()).toEqual(['apac', 'eu', 'us']);

    const hq = await signIn(base, 'hq@example.com', PASSWORD);
    const answer = await asUser(hq, '/admin/insights?from=2026-01-01&to=2026-03-31');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.reportingCurrency).toBe('EUR');
    expect(answer.body.refreshedAt).not.toBeNull();

    // The check: a SQL sum over every region's orders, by country, in the reporting currency.
    const expected = new Map<string, number>();
    for (const region of ['eu', 'us', 'apac']) {
      const rows = await d.regional(region).sql<{ market: string; revenue: string }[]>`
        select country_code as market, coalesce(sum(reporting_total_minor), 0)::text as revenue from orders
        where local_date between '2026-01-01' and '2026-03-31' group by country_code`;
      for (const r of rows) expected.set(r.market, (expected.get(r.market) ?? 0) + Number(r.revenue) / 100);
    }
    const byMarket = new Map<string, number>();
    for (const m of answer.body.markets) byMarket.set(m.market, (byMarket.get(m.market) ?? 0) + m.revenue);
    const cents = (m: Map<string, number>) =>
      Object.fromEntries([...m].map(([k, v]) => [k, Math.round(v * 100) / 100]));
    expect(cents(byMarket)).toEqual(cents(expected));
    expect(cents(byMarket)).toEqual({ JP: 39.27, SG: 43.21, DE: 37, FR: 15, US: 10.13 });
    expect(answer.body.totals.revenue).toBeCloseTo(144.61, 2);
    expect(answer.body.totals.orders).toBe(9);

    const jpAurora = answer.body.markets.find((m: any) => m.market === 'JP' && m.brandId === 'aurora');
    expect(jpAurora).toMatchObject({
      region: 'apac',
      orders: 2,
      customers: 1,
      newCustomers: 1,
      returningCustomers: 1,
      repeatRate: 1,
    });
    expect(jpAurora.averageOrderValue).toBeCloseTo(15.25, 2);
    // Cohorts: January's two first orders (kenji, greta); kenji ordered again in February.
    expect(answer.body.cohorts.find((c: any) => c.cohort === '2026-01')).toEqual({
      cohort: '2026-01',
      size: 2,
      retained: [1],
    });
    // The heatmap in the person's own zone: Monday (1) 10:00 in Tokyo.
    expect(answer.body.heatmap).toEqual([{ weekday: 1, hour: 10, events: 2 }]);
    expect(answer.body.channels.map((c: any) => c.channel).sort()).toEqual(['email', 'line', 'push', 'sms']);
    // No person in the answer: only counts and sums.
    expect(answer.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('filters by brand and market, keeps scoped users to their regions and brands, and refuses others', async () => {
    const hq = await signIn(base, 'hq@example.com', PASSWORD);
    const borealis = await asUser(hq, '/admin/insights?from=2026-01-01&to=2026-03-31&brandId=borealis');
    expect(borealis.body.markets.map((m: any) => `${m.market}:${m.revenue}`).sort()).toEqual(['JP:8.77', 'US:10.13']);
    const jp = await asUser(hq, '/admin/insights?from=2026-01-01&to=2026-03-31&market=jp');
    expect(jp.body.totals.revenue).toBeCloseTo(39.27, 2);

    const hana = await signIn(base, 'hana@example.com', PASSWORD);
    const apac = await asUser(hana, '/admin/insights?from=2026-01-01&to=2026-03-31');
    expect(apac.status).toBe(200);
    expect(new Set(apac.body.markets.map((m: any) => m.region))).toEqual(new Set(['apac']));

    const bea = await signIn(base, 'bea@example.com', PASSWORD);
    const own = await asUser(bea, '/admin/insights?from=2026-01-01&to=2026-03-31');
    expect(new Set(own.body.markets.map((m: any) => m.brandId))).toEqual(new Set(['borealis']));
    expect((await asUser(bea, '/admin/insights?from=2026-01-01&to=2026-03-31&brandId=aurora')).status).toBe(403);

    const ops = await signIn(base, 'ops@example.com', PASSWORD);
    expect((await asUser(ops, '/admin/insights?from=2026-01-01&to=2026-03-31')).status).toBe(403);
    const bad = await asUser(hq, '/admin/insights?from=2026-03-31&to=2026-01-01');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/from/);
  });

  it('downloads every table as CSV', async () => {
    const hq = await signIn(base, 'hq@example.com', PASSWORD);
    const markets = await asUser(hq, '/admin/insights?from=2026-01-01&to=2026-03-31&format=csv&table=markets');
    expect(markets.status).toBe(200);
    const lines = markets.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'market,region,brandId,customers,activeCustomers,orders,revenue,averageOrderValue,repeatRate,newCustomers,returningCustomers',
    );
    expect(lines.some((l) => l.startsWith('SG,apac,aurora,') && l.includes(',43.21,'))).toBe(true);
    for (const table of ['heatmap', 'channels', 'cohorts']) {
      const csv = await asUser(hq, `/admin/insights?from=2026-01-01&to=2026-03-31&format=csv&table=${table}`);
      expect(csv.status, table).toBe(200);
      expect(csv.text.split('\r\n').length, table).toBeGreaterThan(2);
    }
    expect((await asUser(hq, '/admin/insights?from=2026-01-01&to=2026-03-31&format=csv')).status).toBe(400);
  });

  it('is refreshed hourly by a Schedule', async () => {
    expect(await ensureInsightsSchedule(d.client, d.config)).toBe('created');
    expect(await ensureInsightsSchedule(d.client, d.config)).toBe('updated');
    const description = await d.client.schedule.getHandle(INSIGHTS_SCHEDULE_ID).describe();
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'insightsRefresh' });
    expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);
    void workers;
  });
});
