import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuditRecord, listAccess } from '../../db/access-audit-store';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminKit, auditAccess, onlyFields, parseWith, principalOf } from './kit';

/**
 * The personal-data access audit (docs/design/console.md, "Audit"): every change made through the
 * admin API is recorded here (profile views and exports are recorded by their routes), and
 * GET /admin/audit reads one region's audit, as JSON pages or a CSV download.
 */

/** POSTs that only read (a lookup, a preview): not changes. Profile lookups are audited as views. */
const READS_BY_POST = new Set([
  '/admin/profiles/lookup',
  '/admin/segments/preview',
  '/admin/loyalty/lookup',
  '/admin/sources/:id/webhook-mapping/preview',
  // Recomputes aggregates from data already there: no setting changes.
  '/admin/insights/refresh',
]);

/**
 * Records each successful change (POST, PUT, PATCH, DELETE) in the audit of every region the
 * caller acts in: the route's pattern and who, no values. Written before the answer leaves, so a
 * change the caller has seen succeed is in the audit.
 */
export function registerSettingsAudit(scope: FastifyInstance, deps: AdminDeps): void {
  scope.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 400) return payload;
    const url = request.routeOptions.url ?? '';
    if (READS_BY_POST.has(url)) return payload;
    const principal = principalOf(request);
    if (!principal) return payload;
    const regions = principal.regions === '*' ? deps.regions.dataRegions.map((r) => r.name) : principal.regions;
    await auditAccess(deps, request, principal, regions, { action: 'setting.change' });
    return payload;
  });
}

const auditQuery = z.object({
  region: z.string().min(1).optional(),
  from: z.iso.date('must be a date, YYYY-MM-DD').optional(),
  to: z.iso.date('must be a date, YYYY-MM-DD').optional(),
  customerId: z.uuid('must be a customer ID (a UUID)').optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int()
    .min(1, 'must be 1–1000')
    .max(1000, 'must be 1–1000')
    .default(100),
  cursor: z.coerce.number({ error: 'must be the nextCursor of the previous page' }).int().positive().optional(),
  format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
});

const auditRecord = z.object({
  id: z.number(),
  at: z.string().meta({ format: 'date-time' }),
  actor: z.string().describe('user:<id> for a console user, admin:<regions> for an admin token'),
  actorRole: z.string(),
  action: z.string(),
  customerId: z.string().nullable(),
  fields: z.array(z.string()),
  route: z.string(),
  reason: z.string().nullable(),
});

const CSV_COLUMNS = ['id', 'at', 'actor', 'actorRole', 'action', 'customerId', 'fields', 'route', 'reason'] as const;

/** RFC 4180 quoting; a cell starting with = + - @ is prefixed with ' so a spreadsheet does not run it. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns.join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))].join('\r\n') + '\r\n';
}

export function registerAuditRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  scope.get<{ Querystring: Record<string, string> }>(
    '/admin/audit',
    {
      schema: adminRoute({
        summary: "One region's audit of personal-data access and setting changes, newest first (JSON pages or CSV)",
        querystring: auditQuery,
        response: {
          200: json(
            'a page of the audit (format=csv: text/csv with the same columns)',
            z.object({ region: z.string(), entries: z.array(auditRecord), nextCursor: z.number().nullable() }),
          ),
        },
      }),
    },
    async (request, reply) => {
      const principal = kit.authorise(request);
      const query = parseWith(
        kit,
        auditQuery,
        onlyFields(kit, request.query, ['region', 'from', 'to', 'customerId', 'limit', 'cursor', 'format']),
        'query',
      );
      const own = principal.regions === '*' ? undefined : principal.regions;
      const region = query.region ?? (own?.length === 1 ? own[0] : undefined);
      if (!region)
        throw kit.fail(
          400,
          `region: name the region whose audit to read (${deps.regions.dataRegions.map((r) => r.name).join(', ')})`,
        );
      if (!deps.regional.has(region))
        throw kit.fail(400, `region: must be one of ${deps.regions.dataRegions.map((r) => r.name).join(', ')}`);
      kit.requireRegion(principal, region, 'read the audit');
      const entries: AuditRecord[] = await listAccess(deps.regional.get(region)!.sql, {
        ...(query.from ? { from: new Date(`${query.from}T00:00:00Z`) } : {}),
        // `to` is inclusive: the whole day.
        ...(query.to ? { to: new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000) } : {}),
        ...(query.customerId ? { customerId: query.customerId } : {}),
        ...(query.cursor ? { before: query.cursor } : {}),
        limit: query.limit,
      });
      if (query.format === 'csv') {
        reply.header('content-type', 'text/csv; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="audit-${region}.csv"`);
        return toCsv(CSV_COLUMNS, entries as unknown as Record<string, unknown>[]);
      }
      const last = entries[entries.length - 1];
      return { region, entries, nextCursor: entries.length === query.limit && last ? last.id : null };
    },
  );
}
