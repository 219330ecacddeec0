import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decideHeldMerge, HeldMergeDecisionError, listHeldMerges } from '../../db/held-merges-store';
import { adminRoute, json } from '../openapi';
import type { AdminDeps, AdminKit } from './kit';
import { onlyFields, parseWith } from './kit';

/**
 * Merges held for review (issue 8, item 3): a browser source (public write key) claimed an email
 * or phone that another profile holds, and the identity rules say such links wait. The operator
 * lists them per region and approves or rejects each; customer IDs and identifier types only.
 */

const STATUSES = ['pending', 'approved', 'rejected'] as const;
const decisionBody = z.object({
  note: z.string().trim().min(1).max(500).optional().describe('why, for the audit (never shown to the visitor)'),
});
const heldMerge = z.object({
  region: z.string(),
  id: z.number().int(),
  from: z.uuid().describe('the profile the claiming call went to'),
  into: z.uuid().describe('the profile that holds the claimed identifier'),
  linkedBy: z.string().describe('the identifier type claimed, e.g. "email"'),
  sourceId: z.string().describe('the browser source the claim came through'),
  status: z.enum(STATUSES),
  heldAt: z.string(),
  decidedAt: z.string().optional(),
  note: z.string().optional(),
});

export function registerHeldMergeRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const listDoc = adminRoute({
    summary:
      "Merges held for review in the token's regions: a browser source claimed an identifier another profile holds",
    querystring: z.object({ status: z.string().optional().describe('pending (default), approved or rejected') }),
    response: {
      200: json('the held merges (at most 500 per region), oldest first', z.object({ merges: z.array(heldMerge) })),
    },
  });
  scope.get<{ Querystring: { status?: string } }>('/admin/held-merges', { schema: listDoc }, async (request) => {
    const token = kit.authorise(request);
    const status = parseWith(
      kit,
      z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` }).default('pending'),
      request.query.status,
      'status',
    );
    const merges = [];
    for (const [region, r] of deps.regional) {
      if (!kit.mayRead(token, region)) continue;
      for (const m of await listHeldMerges(r.sql, status)) merges.push({ region, ...m });
    }
    return { merges };
  });

  for (const decision of ['approve', 'reject'] as const) {
    const doc = adminRoute({
      summary:
        decision === 'approve'
          ? 'Approve a held merge: the two profiles merge as any other'
          : 'Reject a held merge: the two profiles stay apart for good',
      body: decisionBody,
      response: { 200: json('the decided merge', z.object({ merge: heldMerge })) },
    });
    scope.post<{ Params: { region: string; id: string } }>(
      `/admin/held-merges/:region/:id/${decision}`,
      { schema: doc },
      async (request) => {
        const token = kit.authorise(request);
        const { region, id } = request.params;
        const r = deps.regional.get(region);
        if (!r) throw kit.fail(404, `region ${region} is not served here: use a region from MERIDIAN_REGIONS_FILE`);
        kit.requireRegion(token, region, `${decision} held merges`);
        if (!/^\d{1,18}$/.test(id))
          throw kit.fail(400, 'id: a held merge ID is a number, as GET /admin/held-merges lists it');
        const { note } = parseWith(kit, decisionBody, onlyFields(kit, request.body, ['note']));
        try {
          const merge = await decideHeldMerge(r.sql, await deps.rules.refresh(), Number(id), decision, note);
          return { merge: { region, ...merge } };
        } catch (error) {
          if (error instanceof HeldMergeDecisionError) throw kit.fail(error.statusCode, error.message);
          throw error;
        }
      },
    );
  }
}
