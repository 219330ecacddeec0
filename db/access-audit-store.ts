import type { Sql } from 'postgres';

/**
 * The personal-data access audit of one region (db/schema/regional.ts personalDataAccessAudit):
 * append and read, nothing else — the database refuses anything else anyway.
 */

export type AuditAction =
  | 'profile.view'
  | 'profile.lookup'
  | 'export.segment-members'
  | 'export.access'
  | 'setting.change'
  | 'template.test-send';

export interface AuditEntry {
  actor: string;
  actorRole: string;
  action: AuditAction;
  customerId?: string | null;
  fields?: string[];
  route: string;
  reason?: string | null;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
  at: string;
}

export async function recordAccess(sql: Sql, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    actor: e.actor,
    actor_role: e.actorRole,
    action: e.action,
    customer_id: e.customerId ?? null,
    fields: e.fields ?? [],
    route: e.route,
    reason: e.reason ?? null,
  }));
  await sql`insert into personal_data_access_audit ${sql(rows, 'actor', 'actor_role', 'action', 'customer_id', 'fields', 'route', 'reason')}`;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  customerId?: string;
  /** Entries older than this id (the previous page's cursor). */
  before?: number;
  limit: number;
}

/** Newest first. */
export async function listAccess(sql: Sql, filter: AuditFilter): Promise<AuditRecord[]> {
  // Instants as ISO text: the pools' type parsers (set by drizzle) do not serialise Date parameters.
  const from = filter.from?.toISOString() ?? null;
  const to = filter.to?.toISOString() ?? null;
  const rows = await sql<
    {
      id: string;
      at: Date | string;
      actor: string;
      actor_role: string;
      action: AuditAction;
      customer_id: string | null;
      fields: string[];
      route: string;
      reason: string | null;
    }[]
  >`
    select id, at, actor, actor_role, action, customer_id, fields, route, reason
    from personal_data_access_audit
    where (${from}::timestamptz is null or at >= ${from}::timestamptz)
      and (${to}::timestamptz is null or at < ${to}::timestamptz)
      and (${filter.customerId ?? null}::uuid is null or customer_id = ${filter.customerId ?? null})
      and (${filter.before ?? null}::bigint is null or id < ${filter.before ?? null})
    order by id desc
    limit ${filter.limit}`;
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    actorRole: r.actor_role,
    action: r.action,
    customerId: r.customer_id,
    fields: r.fields,
    route: r.route,
    reason: r.reason,
  }));
}
