import { integer, pgTable, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Tables that exist once per region database. Personal data lives only here (DESIGN.md, rule 1).
 */

/** One probe of a region's database by that region's worker, written by the regionHealth workflow. */
export const regionHealthProbes = pgTable(
  'region_health_probes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workflowId: text('workflow_id').notNull(),
    region: text('region').notNull(),
    workerIdentity: text('worker_identity').notNull(),
    /** Activity attempts it took; above 1 after a worker crash or a retry. */
    attempts: integer('attempts').notNull(),
    samples: integer('samples').notNull(),
    latencyP50Ms: real('latency_p50_ms').notNull(),
    latencyMaxMs: real('latency_max_ms').notNull(),
    probedAt: timestamp('probed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Keyed by the natural key so that a retried activity records its probe once (rule 4).
  (t) => [uniqueIndex('region_health_probes_workflow_region').on(t.workflowId, t.region)],
);
