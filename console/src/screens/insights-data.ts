import { api, query } from '../api';

/** GET /admin/insights: aggregates only (no person), in the reporting currency. */
export interface MarketRow {
  market: string;
  region: string;
  brandId: string;
  customers: number;
  activeCustomers: number;
  orders: number;
  revenue: number;
  averageOrderValue: number;
  repeatRate: number;
  newCustomers: number;
  returningCustomers: number;
}
export type Totals = Omit<MarketRow, 'market' | 'region' | 'brandId'>;
export interface InsightsAnswer {
  reportingCurrency: string;
  refreshedAt: string | null;
  totals: Totals;
  markets: MarketRow[];
  heatmap: { weekday: number; hour: number; events: number }[];
  channels: { channel: string; engaged: number; consented: number; reachable: number }[];
  cohorts: { cohort: string; size: number; retained: number[] }[];
}
export interface InsightFilters {
  from?: string;
  to?: string;
  brandId?: string;
  market?: string;
}

/** A local calendar date, YYYY-MM-DD (the API's `from` and `to`). */
const isoDate = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** The range a screen shows until the user picks one: the last 30 days, today included. */
export function defaultRange(now = new Date()): { from: string; to: string } {
  const from = new Date(now);
  from.setDate(from.getDate() - 29);
  return { from: isoDate(from), to: isoDate(now) };
}

/** The API requires `from` and `to`: a filter without them (or with one cleared) gets the default range. */
export function withRange(filters: InsightFilters): InsightFilters & { from: string; to: string } {
  const range = defaultRange();
  return { ...filters, from: filters.from || range.from, to: filters.to || range.to };
}

export const loadInsights = (filters: InsightFilters) =>
  api<InsightsAnswer>('GET', `/admin/insights${query({ ...withRange(filters) })}`);
