import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { blindIndex } from '../../db/crypto-shredding';
import {
  assignTag,
  countTagAssignments,
  createTag,
  currentCustomers,
  customersByBlindIndex,
  customersWithProfile,
  deleteTag,
  getTag,
  listTags,
  promoteTag,
  segmentExists,
  Tag,
  tagAppliesIn,
  unassignTag,
  updateTag,
} from '../../db/tags-store';
import {
  GROUP_OWNER,
  parseCsvUpload,
  parseJsonUpload,
  ParsedUpload,
  TAG_SOURCES,
  tagChangeSchema,
  tagInputSchema,
  tagKeySchema,
} from '../../domain/tags';
import { adminRoute, json } from '../openapi';
import {
  type AdminDeps,
  type AdminPrincipal,
  type AdminKit,
  onlyFields,
  parseWith,
  seesBrand,
  requireBrand,
} from './kit';

/**
 * Tags, central and local (issue 11 §4, 中心与本地的标签协同). A central tag (owner `group`) is
 * defined by a token for all regions and may be assigned in every region; a local tag (owner a
 * region) is created, changed, uploaded to and counted only with a token for its region, and is
 * assigned only there. A region-scoped token assigns a central tag in its own regions only, and
 * sees counts of its own regions only. Uploads match people through the blind index (never the
 * value): no identifier is echoed back, logged, or stored outside the person's region.
 */

const tagView = z.object({
  key: z.string(),
  labels: z.record(z.string(), z.string()).describe('label per BCP 47 language tag'),
  owner: z.string().describe('"group" (a central tag, every region) or the region of a local tag'),
  brandId: z.string().nullable(),
  source: z.enum(TAG_SOURCES),
  segmentId: z.string().nullable().describe('a rule tag: the segment whose members carry it'),
  model: z.string().nullable().describe('a model tag: the prediction model that assigns it'),
  promotedAt: z.string().meta({ format: 'date-time' }).nullable(),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
const tagViewMatches: [AsJson<Tag>, z.output<typeof tagView>] extends [z.output<typeof tagView>, AsJson<Tag>]
  ? true
  : never = true;
void tagViewMatches;

const uploadAnswer = z.object({
  rows: z.number().describe('rows read (bad ones included)'),
  matched: z.number().describe('rows that named a person with a profile in a region the tag was assigned in'),
  unmatched: z.number().describe('good rows that named nobody known there'),
  assigned: z.record(z.string(), z.number()).describe('people newly carrying the tag, per region'),
  bad: z
    .array(z.object({ line: z.number(), reason: z.string() }))
    .describe('refused rows by line (CSV, header = line 1) or item (JSON, from 1), first 100; never the value'),
  badCount: z.number(),
});
const countsAnswer = z.object({
  key: z.string(),
  counts: z.array(z.object({ region: z.string(), count: z.number() })),
  total: z.number(),
});
const uploadBody = z
  .union([
    z.string().describe('text/csv: a header (customerId, email, phone, userId, country) and one row per person'),
    z.array(z.union([z.string(), z.looseObject({})])),
  ])
  .describe('text/csv, or a JSON array of customer IDs or { customerId | email | phone | userId, country? }');

/** Rows an upload answer lists; the count says how many more there were. */
const BAD_ROWS_SHOWN = 100;

export function registerTagRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const dataRegions = () => deps.regions.dataRegions.map((r) => r.name);
  const tagInput = tagInputSchema(dataRegions());
  const keyParams = z.object({ key: tagKeySchema });

  scope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  const centralIsWorkspaceWide = 'a central tag applies in every region';

  /** 403 unless the token may change the tag's definition: a central one needs all regions, a local one its region. */
  const mayDefine = (token: AdminPrincipal, owner: string, action: string) => {
    if (owner === GROUP_OWNER) kit.requireAllRegions(token, centralIsWorkspaceWide);
    else kit.requireRegion(token, owner, action);
  };

  /** The tag, if it exists and the token may see it (a local tag: its region only). */
  const tagFor = async (request: FastifyRequest, action: string): Promise<{ token: AdminPrincipal; tag: Tag }> => {
    const token = kit.authorise(request);
    const { key } = parseWith(kit, keyParams, request.params);
    const tag = await getTag(deps.globalSql, key);
    if (!tag) throw kit.fail(404, `no tag "${key}": list them with GET /admin/tags`);
    if (tag.owner !== GROUP_OWNER) kit.requireRegion(token, tag.owner, action);
    return { token, tag };
  };

  /** The regions this token acts on for the tag: where it applies, the token covers, and this server serves. */
  const regionsFor = (token: AdminPrincipal, tag: Tag) =>
    dataRegions().filter((r) => tagAppliesIn(tag, r) && kit.mayRead(token, r) && deps.regional.has(r));

  const checkReferences = async (fields: { brandId?: string | null; segmentId?: string }) => {
    await requireBrand(deps.globalSql, fields.brandId);
    if (fields.segmentId !== undefined && !(await segmentExists(deps.globalSql, fields.segmentId)))
      throw kit.fail(400, `segmentId: no segment "${fields.segmentId}": a rule tag follows an existing segment`);
  };

  scope.post(
    '/admin/tags',
    {
      schema: adminRoute({
        summary: 'Create a tag: central (owner "group", token for all regions) or local (owner a region)',
        body: tagInput,
        response: { 201: json('the tag', z.object({ tag: tagView })) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, tagInput, request.body);
      mayDefine(token, input.owner, 'create tags');
      await checkReferences({
        brandId: input.brandId,
        ...(input.source === 'rule' ? { segmentId: input.segmentId } : {}),
      });
      const tag = await createTag(deps.globalSql, input);
      if (!tag) throw kit.fail(409, `tag ${input.key} already exists: change it with PATCH /admin/tags/${input.key}`);
      return reply.code(201).send({ tag });
    },
  );

  scope.get(
    '/admin/tags',
    {
      schema: adminRoute({
        summary: "List the central tags and the local tags of the token's regions",
        response: { 200: z.object({ tags: z.array(tagView) }) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const tags = await listTags(deps.globalSql, token.regions === '*' ? undefined : token.regions);
      return { tags: tags.filter((t) => seesBrand(token, t.brandId)) };
    },
  );

  scope.get(
    '/admin/tags/:key',
    {
      schema: adminRoute({
        summary: 'A tag (a local one: token for its region)',
        params: keyParams,
        response: { 200: z.object({ tag: tagView }) },
      }),
    },
    async (request) => ({ tag: (await tagFor(request, 'read tags')).tag }),
  );

  scope.patch(
    '/admin/tags/:key',
    {
      schema: adminRoute({
        summary: "Change a tag's labels, brand, segment (rule tags) or model (model tags)",
        params: keyParams,
        body: tagChangeSchema,
        response: { 200: z.object({ tag: tagView }) },
      }),
    },
    async (request) => {
      const { token, tag } = await tagFor(request, 'change tags');
      mayDefine(token, tag.owner, 'change tags');
      const change = parseWith(kit, tagChangeSchema, request.body);
      if (change.segmentId !== undefined && tag.source !== 'rule')
        throw kit.fail(400, `segmentId: tag ${tag.key} is a ${tag.source} tag; only rule tags follow a segment`);
      if (change.model !== undefined && tag.source !== 'model')
        throw kit.fail(400, `model: tag ${tag.key} is a ${tag.source} tag; only model tags name a model`);
      await checkReferences({
        ...(change.brandId !== undefined ? { brandId: change.brandId } : {}),
        ...(change.segmentId !== undefined ? { segmentId: change.segmentId } : {}),
      });
      return { tag: (await updateTag(deps.globalSql, tag.key, change))! };
    },
  );

  scope.delete(
    '/admin/tags/:key',
    {
      schema: adminRoute({
        summary: 'Delete a tag and its assignments in every region it applies in',
        params: keyParams,
        response: { 200: z.object({ deleted: z.string(), unassigned: z.record(z.string(), z.number()) }) },
      }),
    },
    async (request) => {
      const { token, tag } = await tagFor(request, 'delete tags');
      mayDefine(token, tag.owner, 'delete tags');
      const regions = dataRegions().filter((r) => tagAppliesIn(tag, r));
      const missing = regions.filter((r) => !deps.regional.has(r));
      if (missing.length > 0)
        throw kit.fail(503, `region ${missing[0]} is not served by this web server: its assignments cannot be removed`);
      // Assignments first: a failure leaves the tag defined, and deleting again finishes the job.
      const unassigned: Record<string, number> = {};
      for (const region of regions)
        unassigned[region] = await unassignTag(deps.regional.get(region)!.sql, tag.key, 'all');
      await deleteTag(deps.globalSql, tag.key);
      return { deleted: tag.key, unassigned };
    },
  );

  scope.post(
    '/admin/tags/:key/promote',
    {
      schema: adminRoute({
        summary: 'Make a local tag central (token for all regions); its assignments stay',
        params: keyParams,
        response: { 200: z.object({ tag: tagView }) },
      }),
    },
    async (request) => {
      const { token, tag } = await tagFor(request, 'promote tags');
      kit.requireAllRegions(token, 'promoting makes a tag central, and a central tag applies in every region');
      if (tag.owner === GROUP_OWNER) throw kit.fail(409, `tag ${tag.key} is already central`);
      const promoted = await promoteTag(deps.globalSql, tag.key);
      if (!promoted) throw kit.fail(409, `tag ${tag.key} is already central`);
      return { tag: promoted };
    },
  );

  scope.post(
    '/admin/tags/:key/upload',
    {
      bodyLimit: 8 * 1024 * 1024,
      schema: adminRoute({
        summary: 'Assign a manual tag to the people of a CSV or JSON list (customer IDs, emails, phones, user IDs)',
        description:
          'People are matched through the blind index and tagged in each region where they have a profile (a local tag: its region only; a region-scoped token: its regions only). Bad rows are reported by line, without their values.',
        params: keyParams,
        body: uploadBody,
        response: { 200: json('what was matched and assigned, and the rows refused', uploadAnswer) },
      }),
    },
    async (request) => {
      const { token, tag } = await tagFor(request, 'upload to tags');
      if (tag.source !== 'manual')
        throw kit.fail(
          409,
          `tag ${tag.key} is a ${tag.source} tag: its ${tag.source === 'rule' ? 'segment' : 'model'} assigns it; uploads are for manual tags`,
        );
      const options = { ...deps.rules.rules.email, blocked: deps.rules.rules.blockedValues };
      const kind = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let parsed: ParsedUpload;
      if (kind === 'text/csv' || kind === 'text/plain') parsed = parseCsvUpload(String(request.body ?? ''), options);
      else if (kind === 'application/json') parsed = parseJsonUpload(request.body, options);
      else throw kit.fail(415, 'content-type: send text/csv, or application/json with an array');
      if (!parsed.ok) throw kit.fail(400, parsed.reason);
      const regions = regionsFor(token, tag);
      if (regions.length === 0)
        throw kit.fail(503, `tag ${tag.key} applies in no region this server serves and the token covers`);

      // Identifiers → customer IDs through the global index of blind-index tokens.
      const tokens = parsed.rows.flatMap((row) =>
        row.customerId
          ? []
          : row.identifiers.map((i) => ({ type: i.type, blindIndex: blindIndex(deps.hmacKey, i.type, i.value) })),
      );
      const byToken = await customersByBlindIndex(deps.globalSql, tokens);
      const asked = parsed.rows.map((row) => {
        if (row.customerId) return row.customerId;
        for (const i of row.identifiers) {
          const found = byToken.get(`${i.type}:${blindIndex(deps.hmacKey, i.type, i.value).toString('hex')}`);
          if (found) return found;
        }
        return undefined;
      });
      const current = await currentCustomers(deps.globalSql, [
        ...new Set(asked.filter((id): id is string => id !== undefined)),
      ]);
      // Per region, the people held there; a row is matched when its person is tagged somewhere.
      const matchedRows = new Set<number>();
      const assigned: Record<string, number> = {};
      for (const region of regions) {
        const sql = deps.regional.get(region)!.sql;
        const candidates = new Map<string, number[]>();
        asked.forEach((id, index) => {
          const person = id === undefined ? undefined : current.get(id);
          if (!person || !person.regions.includes(region)) return;
          const rows = candidates.get(person.customerId) ?? [];
          rows.push(index);
          candidates.set(person.customerId, rows);
        });
        const held = await customersWithProfile(sql, [...candidates.keys()]);
        for (const id of held) for (const index of candidates.get(id)!) matchedRows.add(index);
        assigned[region] = await assignTag(
          sql,
          tag.key,
          'manual',
          [...held].map((customerId) => ({ customerId })),
        );
      }
      request.log.info(
        {
          tag: tag.key,
          rows: parsed.rows.length + parsed.bad.length,
          matched: matchedRows.size,
          bad: parsed.bad.length,
        },
        'tag upload',
      );
      return {
        rows: parsed.rows.length + parsed.bad.length,
        matched: matchedRows.size,
        unmatched: parsed.rows.length - matchedRows.size,
        assigned,
        bad: parsed.bad.slice(0, BAD_ROWS_SHOWN),
        badCount: parsed.bad.length,
      };
    },
  );

  scope.get(
    '/admin/tags/:key/counts',
    {
      schema: adminRoute({
        summary: "How many people carry the tag in each of the token's regions (counts only)",
        params: keyParams,
        response: { 200: countsAnswer },
      }),
    },
    async (request) => {
      const { token, tag } = await tagFor(request, 'read tags');
      const counts: { region: string; count: number }[] = [];
      for (const region of regionsFor(token, tag)) {
        const found = await countTagAssignments(deps.regional.get(region)!.sql, [tag.key]);
        counts.push({ region, count: found.get(tag.key) ?? 0 });
      }
      return { key: tag.key, counts, total: counts.reduce((sum, c) => sum + c.count, 0) };
    },
  );
}
