import type { Sql } from 'postgres';

/** One data flow of a region (`data_flows`): a category a source brought in, under a scope. No values. */
export interface DataFlow {
  sourceId: string;
  /** traits, properties, context, identifiers or orders. */
  scope: string;
  category: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export async function regionDataFlows(sql: Sql): Promise<DataFlow[]> {
  const rows = await sql<
    { source_id: string; scope: string; category: string; first_seen_at: Date; last_seen_at: Date }[]
  >`select source_id, scope, category, first_seen_at, last_seen_at from data_flows order by source_id, scope, category`;
  return rows.map((r) => ({
    sourceId: r.source_id,
    scope: r.scope,
    category: r.category,
    firstSeenAt: new Date(r.first_seen_at),
    lastSeenAt: new Date(r.last_seen_at),
  }));
}
