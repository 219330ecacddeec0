import type { Sql } from 'postgres';
import type { Purpose } from '../domain/consent';

/**
 * A consent propagation's bookkeeping in the person's region: the change it carries, one status
 * row per connected system (what the preference centre shows), and how it ended. Rows are written
 * by db/consent-store.ts when effective consent changes; consentPropagation's activities move them on.
 */

/**
 * The person, the purposes whose consent changed and the consent scope (a separate-controller
 * brand, or null for the group's), or undefined if there is no such propagation.
 */
export async function readPropagation(
  sql: Sql,
  propagationId: string,
): Promise<{ customerId: string; purposes: Purpose[]; brandId: string | null } | undefined> {
  const [row] = await sql<
    { customer_id: string; changes: unknown; brand_id: string | null }[]
  >`select customer_id, changes, brand_id from consent_propagations where id = ${propagationId}`;
  if (!row) return undefined;
  const changes = (typeof row.changes === 'string' ? JSON.parse(row.changes) : row.changes) as { purpose: Purpose }[];
  return { customerId: row.customer_id, purposes: changes.map((c) => c.purpose), brandId: row.brand_id };
}

export async function setPropagationSystemStatus(
  sql: Sql,
  propagationId: string,
  connectorId: string,
  status: string,
  extra: { attempts?: number; lastError?: string | null; evidence?: Record<string, string> } = {},
): Promise<void> {
  await sql`
    update consent_propagation_systems set status = ${status}, updated_at = now(),
      attempts = greatest(attempts, coalesce(${extra.attempts ?? null}::int, attempts)),
      last_error = ${extra.lastError === undefined ? sql`last_error` : extra.lastError},
      evidence = coalesce(${extra.evidence ? JSON.stringify(extra.evidence) : null}::text::jsonb, evidence)
    where propagation_id = ${propagationId} and connector_id = ${connectorId}`;
}

/** The status rows of the systems the change concerns (kept if they exist), and the propagation under way. */
export async function beginPropagation(
  sql: Sql,
  propagationId: string,
  systems: { connectorId: string; system: string; status: string }[],
): Promise<void> {
  if (systems.length > 0) {
    await sql`
      insert into consent_propagation_systems (propagation_id, connector_id, system, status)
      select ${propagationId}, c, s, st from unnest(
        ${sql.array(systems.map((t) => t.connectorId))}::text[], ${sql.array(systems.map((t) => t.system))}::text[],
        ${sql.array(systems.map((t) => t.status))}::text[]) as u(c, s, st)
      on conflict do nothing`;
  }
  await sql`update consent_propagations set status = 'in-progress' where id = ${propagationId} and status = 'pending'`;
}

/** A push that ran out of retries: its row says failed with the last error. */
export async function markPropagationSystemFailed(
  sql: Sql,
  propagationId: string,
  connectorId: string,
  error: string,
): Promise<void> {
  await sql`
    update consent_propagation_systems set status = 'failed', last_error = ${error}, updated_at = now()
    where propagation_id = ${propagationId} and connector_id = ${connectorId} and status not in ('done', 'not-found')`;
}

/** Complete when every system is done (or had nothing to do); incomplete when one failed. */
export async function endPropagation(sql: Sql, propagationId: string): Promise<'complete' | 'incomplete'> {
  const rows = await sql<
    { status: string }[]
  >`select status from consent_propagation_systems where propagation_id = ${propagationId}`;
  const status = rows.every((r) => ['done', 'not-found', 'not-applicable'].includes(r.status))
    ? 'complete'
    : 'incomplete';
  await sql`update consent_propagations set status = ${status}, finished_at = now() where id = ${propagationId}`;
  return status;
}

/**
 * Propagations in the consent outbox recorded at least `olderThanSeconds` ago, oldest first: their
 * workflow was not started (Temporal was unreachable, or the process stopped after the commit).
 * The grace period leaves the caller's own start, right after its commit, to go first.
 */
export async function unstartedPropagations(
  sql: Sql,
  olderThanSeconds: number,
  limit = 500,
): Promise<{ propagationId: string; customerId: string }[]> {
  const rows = await sql<{ propagation_id: string; customer_id: string }[]>`
    select propagation_id, customer_id from consent_propagation_outbox
    where created_at <= now() - make_interval(secs => ${olderThanSeconds})
    order by created_at limit ${limit}`;
  return rows.map((r) => ({ propagationId: r.propagation_id, customerId: r.customer_id }));
}

/** Once the propagation's workflow is started (or found already started). */
export async function propagationStarted(sql: Sql, propagationId: string): Promise<void> {
  await sql`delete from consent_propagation_outbox where propagation_id = ${propagationId}`;
}
