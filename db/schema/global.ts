import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The global database: configuration, pseudonymous identity tokens and aggregates only,
 * never raw personal data (DESIGN.md, rule 1).
 */

export interface RegionHealthSummary {
  region: string;
  taskQueue: string;
  workerIdentity: string;
  attempts: number;
  latencyP50Ms: number;
  latencyMaxMs: number;
}

/** The outcome of one regionHealth workflow: which worker answered for each region. */
export const regionHealthReports = pgTable('region_health_reports', {
  workflowId: text('workflow_id').primaryKey(),
  regions: jsonb('regions').$type<RegionHealthSummary[]>().notNull(),
  reportedAt: timestamp('reported_at', { withTimezone: true }).notNull().defaultNow(),
});
