import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readInsights } from '../../db/insights-store';
import { minorUnits } from '../../domain/money';
import { startInsightsRefresh } from '../../temporal/processes/insights';
import { adminRoute, json } from '../openapi';
import { toCsv } from './audit';
import { type AdminDeps, type AdminKit, onlyFields, parseWith } from './kit';

/**
 * HQ insight (docs/design/console.md, "Insights"): read from the global aggregate tables only,
 * which the insightsRefresh workflow fills with each region's counts and sums. A user scoped to
 * regions or brands sees their figures only.
 */

const insightsQuery = z
  .object({
    from: z.iso.date('must be a date, YYYY-MM-DD'),
    to: z.iso.date('must be a date, YYYY-MM-DD'),
    brandId: z.string().min(1).max(100).optional(),
    market: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a country code such as JP')
      .transform((m) => m.toUpperCase())
      .optional(),
    format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
    table: z
      .enum(['markets', 'heatmap', 'channels', 'cohorts'], { error: 'must be markets, heatmap, channels or cohorts' })
      .optional(),
  })
  .refine((q) => q.from <= q.to, { error: 'from must not be after to', path: ['from'] })
  .refine((q) => q.format === 'json' || q.table !== undefined, {
    error: 'name the table to download: markets, heatmap, channels or cohorts',
    path: ['table'],
  });

const figures = {
  customers: z.number().describe('people whose first order is on or before `to`'),
  activeCustomers: z.number().describe('buyers per day, summed over the range'),
  orders: z.number(),
  revenue: z.number().describe('in the reporting currency'),
  averageOrderValue: z.number(),
  repeatRate: z.number().describe('share of customers with a second order by `to`'),
  newCustomers: z.number().describe('first order in the range'),
  returningCustomers: z.number().describe('buyers per day who had ordered before, summed over the range'),
};
const insightsAnswer = z.object({
  reportingCurrency: z.string(),
  refreshedAt: z.string().nullable(),
  totals: z.object(figures),
  markets: z.array(z.object({ market: z.string(), region: z.string(), brandId: z.string(), ...figures })),
  heatmap: z.array(z.object({ weekday: z.number(), hour: z.number(), events: z.number() })),
  channels: z.array(
    z.object({ channel: z.string(), engaged: z.number(), consented: z.number(), reachable: z.number() }),
  ),
  cohorts: z.array(z.object({ cohort: z.string(), size: z.number(), retained: z.array(z.number()) })),
});

const MARKET_COLUMNS = [
  'market',
  'region',
  'brandId',
  'customers',
  'activeCustomers',
  'orders',
  'revenue',
  'averageOrderValue',
  'repeatRate',
  'newCustomers',
  'returningCustomers',
];

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);

export function registerInsightRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const currency = deps.reportingCurrency ?? 'EUR';
  const scale = 10 ** minorUnits(currency);

  scope.get<{ Querystring: Record<string, string> }>(
    '/admin/insights',
    {
      schema: adminRoute({
        summary: 'HQ insight by market and brand from the aggregates (JSON, or CSV of one table)',
        querystring: insightsQuery,
        response: { 200: json('the figures for the range and filters', insightsAnswer) },
      }),
    },
    async (request, reply) => {
      const principal = kit.authorise(request);
      const q = parseWith(
        kit,
        insightsQuery,
        onlyFields(kit, request.query, ['from', 'to', 'brandId', 'market', 'format', 'table']),
        'query',
      );
      let brandId = q.brandId;
      if (principal.brands !== '*') {
        if (brandId === undefined && principal.brands.length === 1) brandId = principal.brands[0];
        if (brandId === undefined || !principal.brands.includes(brandId))
          throw kit.fail(403, `brandId: name one of your brands (${principal.brands.join(', ')})`);
      }
      const found = await readInsights(deps.globalSql, {
        from: q.from,
        to: q.to,
        ...(brandId ? { brandId } : {}),
        ...(q.market ? { market: q.market } : {}),
        ...(principal.regions === '*' ? {} : { regions: principal.regions }),
      });
      const money = (minor: bigint) => Number(minor) / scale;
      const markets = found.markets.map((m) => ({
        market: m.market,
        region: m.region,
        brandId: m.brandId,
        customers: m.customers,
        activeCustomers: m.activeCustomers,
        orders: m.orders,
        revenue: money(m.revenueMinor),
        averageOrderValue: m.orders === 0 ? 0 : Math.round(Number(m.revenueMinor) / m.orders) / scale,
        repeatRate: ratio(m.repeaters, m.customers),
        newCustomers: m.newCustomers,
        returningCustomers: m.returningCustomers,
      }));
      const sum = (f: (m: (typeof found.markets)[number]) => number) => found.markets.reduce((t, m) => t + f(m), 0);
      const revenueMinor = found.markets.reduce((t, m) => t + m.revenueMinor, 0n);
      const orders = sum((m) => m.orders);
      const customers = sum((m) => m.customers);
      const totals = {
        customers,
        activeCustomers: sum((m) => m.activeCustomers),
        orders,
        revenue: money(revenueMinor),
        averageOrderValue: orders === 0 ? 0 : Math.round(Number(revenueMinor) / orders) / scale,
        repeatRate: ratio(
          sum((m) => m.repeaters),
          customers,
        ),
        newCustomers: sum((m) => m.newCustomers),
        returningCustomers: sum((m) => m.returningCustomers),
      };
      const byCohort = new Map<string, number[]>();
      for (const c of found.cohorts) {
        const list = byCohort.get(c.cohort) ?? [];
        list[c.monthOffset] = c.customers;
        byCohort.set(c.cohort, list);
      }
      const cohorts = [...byCohort.entries()].map(([cohort, list]) => ({
        cohort,
        size: list[0] ?? 0,
        retained: Array.from({ length: Math.max(0, list.length - 1) }, (_, i) => list[i + 1] ?? 0),
      }));
      const channels = found.channels.map((c) => ({
        channel: c.channel,
        engaged: c.engaged,
        consented: c.consented,
        reachable: c.reachable,
      }));
      if (q.format === 'csv') {
        reply.header('content-type', 'text/csv; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="insights-${q.table}-${q.from}-${q.to}.csv"`);
        if (q.table === 'markets') return toCsv(MARKET_COLUMNS, markets);
        if (q.table === 'heatmap') return toCsv(['weekday', 'hour', 'events'], found.heatmap);
        if (q.table === 'channels') return toCsv(['channel', 'engaged', 'consented', 'reachable'], channels);
        const months = Math.max(0, ...cohorts.map((c) => c.retained.length));
        const columns = ['cohort', 'size', ...Array.from({ length: months }, (_, i) => `month${i + 1}`)];
        return toCsv(
          columns,
          cohorts.map((c) => ({
            cohort: c.cohort,
            size: c.size,
            ...Object.fromEntries(c.retained.map((n, i) => [`month${i + 1}`, n])),
          })),
        );
      }
      return {
        reportingCurrency: currency,
        refreshedAt: found.refreshedAt,
        totals,
        markets,
        heatmap: found.heatmap,
        channels,
        cohorts,
      };
    },
  );

  scope.post(
    '/admin/insights/refresh',
    {
      schema: adminRoute({
        summary: 'Refresh the insight aggregates now (the insightsRefresh workflow)',
        response: { 202: json('the workflow started', z.object({ workflowId: z.string() })) },
      }),
    },
    async (request, reply) => {
      kit.authorise(request);
      if (!deps.temporal) throw kit.fail(503, 'Temporal is not reachable from this server: try again later');
      const workflowId = await startInsightsRefresh(deps.temporal, { regions: deps.regions });
      return reply.code(202).send({ workflowId });
    },
  );
}
