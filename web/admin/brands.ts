import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  Brand,
  BrandSharing,
  createBrand,
  getBrand,
  listBrands,
  listBrandSharing,
  setBrandSharing,
  updateBrand,
} from '../../db/brands-store';
import { brandIdSchema, brandNameSchema } from '../../domain/brands';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminKit, onlyFields, parseWith } from './kit';

/**
 * Brands of the workspace and whether one brand may use another's data (issue 11 §2). Brands and
 * sharing decide what every region's segments and tags may read, so changing them is
 * workspace-wide: a token for all regions; a region-scoped token may list them (they hold no
 * personal data, and its sources and tags name them).
 */

const brandView = z.object({
  id: z.string(),
  name: z.string(),
  separateController: z
    .boolean()
    .describe('a separate controller under privacy law: consent is recorded under the brand, not the group'),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
const sharingView = z.object({
  ownerBrand: z.string().describe('the brand whose data it is'),
  userBrand: z.string().describe('the brand that may (or may not) use it'),
  allowed: z.boolean(),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
type AsJson<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] };
// Fail to compile when Brand or BrandSharing change without their documented answers.
const viewsMatch: [
  [AsJson<Brand>, z.output<typeof brandView>] extends [z.output<typeof brandView>, AsJson<Brand>] ? true : never,
  [AsJson<BrandSharing>, z.output<typeof sharingView>] extends [z.output<typeof sharingView>, AsJson<BrandSharing>]
    ? true
    : never,
] = [true, true];
void viewsMatch;

const brandInput = z.strictObject({
  id: brandIdSchema,
  name: brandNameSchema,
  separateController: z.boolean({ error: 'must be true or false' }).optional(),
});
const brandChange = z
  .strictObject({
    name: brandNameSchema.optional(),
    separateController: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { error: 'nothing to change: send name or separateController' });
const sharingInput = z.strictObject({ allowed: z.boolean({ error: 'must be true or false' }) });
const sharingQuery = z.object({
  brand: brandIdSchema.optional().describe('only the settings where this brand is owner or user'),
});

const workspaceWide = 'brands and their sharing decide what every region’s segments and tags may read';

export function registerBrandRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const noBrand = (id: string) => kit.fail(404, `no brand "${id}": list them with GET /admin/brands`);

  scope.post(
    '/admin/brands',
    {
      schema: adminRoute({
        summary: 'Create a brand (token for all regions)',
        body: brandInput,
        response: { 201: json('the brand', z.object({ brand: brandView })) },
      }),
    },
    async (request, reply) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const input = parseWith(kit, brandInput, request.body);
      const brand = await createBrand(deps.globalSql, input);
      if (!brand)
        throw kit.fail(409, `brand ${input.id} already exists: change it with PATCH /admin/brands/${input.id}`);
      return reply.code(201).send({ brand });
    },
  );

  scope.get(
    '/admin/brands',
    {
      schema: adminRoute({
        summary: 'List the brands (any token: they hold no personal data)',
        response: { 200: z.object({ brands: z.array(brandView) }) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      return { brands: await listBrands(deps.globalSql) };
    },
  );

  scope.patch<{ Params: { id: string } }>(
    '/admin/brands/:id',
    {
      schema: adminRoute({
        summary: "Change a brand's name or whether it is a separate controller (token for all regions)",
        body: brandChange,
        response: { 200: z.object({ brand: brandView }) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const change = parseWith(kit, brandChange, request.body);
      const brand = await updateBrand(deps.globalSql, request.params.id, change);
      if (!brand) throw noBrand(request.params.id);
      return { brand };
    },
  );

  scope.put<{ Params: { owner: string; user: string } }>(
    '/admin/brands/:owner/sharing/:user',
    {
      schema: adminRoute({
        summary: "Whether brand :user may use brand :owner's data (token for all regions)",
        body: sharingInput,
        response: { 200: z.object({ sharing: sharingView }) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const { allowed } = parseWith(kit, sharingInput, onlyFields(kit, request.body, ['allowed']));
      const { owner, user } = request.params;
      if (owner === user) throw kit.fail(400, 'user: a brand always uses its own data: name another brand');
      if (!(await getBrand(deps.globalSql, owner))) throw noBrand(owner);
      if (!(await getBrand(deps.globalSql, user))) throw noBrand(user);
      return { sharing: await setBrandSharing(deps.globalSql, owner, user, allowed) };
    },
  );

  scope.get<{ Querystring: Record<string, string> }>(
    '/admin/brands/sharing',
    {
      schema: adminRoute({
        summary: 'The sharing settings between brands (no row: not shared)',
        querystring: sharingQuery,
        response: { 200: z.object({ sharing: z.array(sharingView) }) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      const query = parseWith(kit, sharingQuery, onlyFields(kit, request.query, ['brand']));
      return { sharing: await listBrandSharing(deps.globalSql, query.brand) };
    },
  );
}
