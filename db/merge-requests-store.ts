import type { Sql, TransactionSql } from 'postgres';
import type { MergeRequest } from '../domain/workflow-inputs';

/**
 * A region's merge outbox: merges decided while storing events or synced records (written by
 * db/region-writer.ts in the same transaction), waiting to be signalled to identityMerge.
 */

export interface PendingMerge {
  id: number;
  request: MergeRequest;
}

/** The oldest waiting merges, first recorded first. */
export async function pendingMerges(sql: Sql, limit = 500): Promise<PendingMerge[]> {
  const rows = await sql<{ id: number; from_customer_id: string; into_customer_id: string; linked_by: string }[]>`
    select id, from_customer_id, into_customer_id, linked_by from merge_requests order by id limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    request: { from: row.from_customer_id, into: row.into_customer_id, linkedBy: row.linked_by },
  }));
}

/** Once the merge reached its workflow. */
export async function mergeSignalled(sql: Sql, id: number): Promise<void> {
  await sql`delete from merge_requests where id = ${id}`;
}

/**
 * Applies a decided merge at once inside the caller's transaction — identities, the profile and
 * orders re-pointed, so the next event resolves to the survivor — and queues it for identityMerge,
 * which moves events and reconciles traits. Used by ingestion and by an approved held merge.
 */
export async function recordMerge(tx: TransactionSql, merge: MergeRequest): Promise<void> {
  await tx`update identities set customer_id = ${merge.into} where customer_id = ${merge.from}`;
  await tx`update profiles set merged_into = ${merge.into} where customer_id = ${merge.from}`;
  await tx`update orders set customer_id = ${merge.into} where customer_id = ${merge.from}`;
  await tx`insert into merge_requests (from_customer_id, into_customer_id, linked_by) values (${merge.from}, ${merge.into}, ${merge.linkedBy})`;
}
