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

export const loadInsights = (filters: InsightFilters) =>
  api<InsightsAnswer>('GET', `/admin/insights${query({ ...filters })}`);
