import type { Sql, TransactionSql } from 'postgres';
import type { IdentityRules } from '../domain/identity-rules';
import { IdentityGraph } from '../domain/identity-resolution';
import { frozenProfiles, takeErasureFence } from './erasure-store';
import { recordMerge } from './merge-requests-store';

/**
 * Merges held for review (issue 8, item 3): a browser source claimed an email or phone another
 * profile holds. An operator lists them and approves (the merge then runs as any other) or
 * rejects (the pair stays apart for good). Customer IDs and identifier types only.
 */

export interface HeldMergeView {
  id: number;
  from: string;
  into: string;
  linkedBy: string;
  sourceId: string;
  status: 'pending' | 'approved' | 'rejected';
  heldAt: string;
  decidedAt?: string;
  note?: string;
}

export class HeldMergeDecisionError extends Error {
  constructor(
    readonly statusCode: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

interface Row {
  id: number;
  from_customer_id: string;
  into_customer_id: string;
  linked_by: string;
  source_id: string;
  status: HeldMergeView['status'];
  held_at: Date | string;
  decided_at: Date | string | null;
  note: string | null;
}

const view = (r: Row): HeldMergeView => ({
  id: Number(r.id),
  from: r.from_customer_id,
  into: r.into_customer_id,
  linkedBy: r.linked_by,
  sourceId: r.source_id,
  status: r.status,
  heldAt: new Date(r.held_at).toISOString(),
  ...(r.decided_at ? { decidedAt: new Date(r.decided_at).toISOString() } : {}),
  ...(r.note ? { note: r.note } : {}),
});

export async function listHeldMerges(
  sql: Sql,
  status: HeldMergeView['status'] = 'pending',
  limit = 500,
): Promise<HeldMergeView[]> {
  const rows = await sql<Row[]>`select * from held_merges where status = ${status} order by held_at, id limit ${limit}`;
  return rows.map(view);
}

/** Follows merged_into to the profile that survives today. */
async function survivor(sql: TransactionSql, customerId: string): Promise<string> {
  let current = customerId;
  for (let hops = 0; hops < 100; hops++) {
    const [row] = await sql<
      { merged_into: string | null }[]
    >`select merged_into from profiles where customer_id = ${current}`;
    if (!row?.merged_into || row.merged_into === current) return current;
    current = row.merged_into;
  }
  return current;
}

/**
 * Approves or rejects a pending held merge. An approval re-checks what ingestion checks: neither
 * person is under a deletion request or erased (behind the erasure fence), and merge protection
 * (two different user IDs) still allows it; then the merge is recorded for identityMerge.
 */
export async function decideHeldMerge(
  sql: Sql,
  rules: IdentityRules,
  id: number,
  decision: 'approve' | 'reject',
  note?: string,
): Promise<HeldMergeView> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Row[]>`select * from held_merges where id = ${id} for update`;
    if (!row)
      throw new HeldMergeDecisionError(
        404,
        `held merge ${id} does not exist in this region: list them with GET /admin/held-merges`,
      );
    if (row.status !== 'pending') throw new HeldMergeDecisionError(409, `held merge ${id} was already ${row.status}`);
    if (decision === 'approve') {
      const from = await survivor(tx, row.from_customer_id);
      const into = await survivor(tx, row.into_customer_id);
      if (from !== into) {
        await takeErasureFence(tx, [from, into], 'shared');
        const [held] = await tx<
          { n: number }[]
        >`select count(*)::int as n from profiles where customer_id in (${from}, ${into})`;
        if (held!.n < 2)
          throw new HeldMergeDecisionError(
            409,
            `held merge ${id} names a profile this region no longer holds: reject it`,
          );
        const frozen = await frozenProfiles(tx, [from, into]);
        if (frozen.suppressed.size + frozen.shredded.size > 0) {
          throw new HeldMergeDecisionError(
            409,
            `held merge ${id} names a person under a deletion request or erased: it cannot be approved; reject it`,
          );
        }
        const graph = new IdentityGraph(rules);
        const identities = await tx<{ customer_id: string; type: string; key: string }[]>`
          select customer_id, type, encode(blind_index, 'hex') as key from identities where customer_id in (${from}, ${into})`;
        for (const i of identities) graph.add(i.customer_id, { type: i.type, key: i.key });
        if (!graph.canMerge(from, into)) {
          throw new HeldMergeDecisionError(
            409,
            `held merge ${id} joins two profiles with different ${rules.mergeProtectedTypes.join(' or ')}: merge protection forbids it; reject it`,
          );
        }
        await recordMerge(tx, { from, into, linkedBy: row.linked_by });
      }
    }
    const [decided] = await tx<Row[]>`
      update held_merges set status = ${decision === 'approve' ? 'approved' : 'rejected'}, decided_at = now(), note = ${note ?? null}
      where id = ${id} returning *`;
    return view(decided!);
  });
}
