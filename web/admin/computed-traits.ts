import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ComputedTraitError,
  createComputedTrait,
  deleteComputedTrait,
  deleteComputedTraitValues,
  getComputedTrait,
  listComputedTraits,
  readComputedTraitValues,
  updateComputedTrait,
} from '../../db/computed-traits-store';
import { parseTraitDefinition, traitChangeSchema, traitInputSchema } from '../../domain/computed-traits';
import { startTraitRecompute } from '../../temporal/processes/computed-traits';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit, onlyFields, parseWith, seesBrand } from './kit';
import { customerPlacement } from '../../db/person-store';

/**
 * Admin API for computed traits (issue 11 §3): the definitions (global, no personal data) and a
 * person's values per region. Definitions compute over every region's people, so changing them needs
 * a token for all regions; listing them, any token. A person's values are shown only from the regions
 * the token covers.
 */

const traitView = z.object({
  id: z.string(),
  name: z.string(),
  brandId: z.string().nullable(),
  builtIn: z.boolean(),
  version: z.number().int(),
  definition: z.looseObject({ kind: z.string() }).describe('see the kinds in domain/computed-traits.ts'),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
const traitChanged = z.object({
  trait: traitView,
  recompute: z
    .array(z.string())
    .describe('the workflows recomputing the trait for everyone, one per region (empty: nothing to recompute)'),
});

export function registerComputedTraitRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const workspaceWide = 'computed traits are computed over the people of every region';

  /** The definition with the rules zod cannot express (kinds reserved for built-ins, numbers to aggregate). */
  const definitionOf = (value: unknown) => {
    const parsed = parseTraitDefinition(value);
    if (!parsed.ok) throw kit.fail(400, parsed.reason);
    return parsed.definition;
  };
  const storeErrors = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ComputedTraitError) throw kit.fail(error.statusCode, error.message);
      throw error;
    }
  };
  // Shapes first (400 naming the field), then the definition's own rules (definitionOf).
  const inputShape = traitInputSchema.omit({ definition: true }).extend({ definition: z.unknown().optional() });
  const changeShape = z
    .object({
      name: z.string().trim().min(1, 'must name the trait for people').max(200).optional(),
      definition: z.unknown().optional(),
    })
    .refine((c) => c.name !== undefined || c.definition !== undefined, {
      error: 'nothing to change: send name or definition',
    });
  const recompute = async (traitId: string, version: number) =>
    deps.temporal ? startTraitRecompute(deps.temporal, deps, traitId, version) : [];

  scope.get(
    '/admin/computed-traits',
    {
      schema: adminRoute({
        summary: 'The computed traits: built-in and defined (definitions only, no values)',
        response: { 200: z.object({ traits: z.array(traitView) }) },
      }),
    },
    async (request) => {
      const principal = kit.authorise(request);
      const traits = await listComputedTraits(deps.globalSql);
      return { traits: traits.filter((t) => seesBrand(principal, t.brandId)) };
    },
  );

  scope.post(
    '/admin/computed-traits',
    {
      schema: adminRoute({
        summary: 'Define a computed trait and compute it for everyone (token for all regions)',
        body: traitInputSchema,
        response: { 201: json('the trait, and the workflows computing it per region', traitChanged) },
      }),
    },
    async (request, reply) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const body = onlyFields(kit, request.body, ['id', 'name', 'brandId', 'definition']);
      const input = parseWith(kit, inputShape, body);
      const definition = definitionOf(input.definition);
      const trait = await storeErrors(() => createComputedTrait(deps.globalSql, { ...input, definition }));
      return reply.code(201).send({ trait, recompute: await recompute(trait.id, trait.version) });
    },
  );

  scope.put<{ Params: { id: string } }>(
    '/admin/computed-traits/:id',
    {
      schema: adminRoute({
        summary:
          'Rename a computed trait or change its definition (a new version, recomputed for everyone; token for all regions)',
        body: traitChangeSchema,
        response: { 200: json('the trait, and the workflows recomputing it if its definition changed', traitChanged) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const body = onlyFields(kit, request.body, ['name', 'definition']);
      const change = parseWith(kit, changeShape, body);
      const definition = change.definition === undefined ? undefined : definitionOf(change.definition);
      const { trait, definitionChanged } = await storeErrors(() =>
        updateComputedTrait(deps.globalSql, request.params.id, {
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(definition !== undefined ? { definition } : {}),
        }),
      );
      return { trait, recompute: definitionChanged ? await recompute(trait.id, trait.version) : [] };
    },
  );

  scope.delete<{ Params: { id: string } }>(
    '/admin/computed-traits/:id',
    {
      schema: adminRoute({
        summary: 'Delete a computed trait (not a built-in one) and its values in every region (token for all regions)',
        response: { 200: z.object({ deleted: z.string(), valuesRemoved: z.number().int() }) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const id = request.params.id;
      await storeErrors(() => deleteComputedTrait(deps.globalSql, id));
      let valuesRemoved = 0;
      for (const { sql } of deps.regional.values()) valuesRemoved += await deleteComputedTraitValues(sql, id);
      return { deleted: id, valuesRemoved };
    },
  );

  const customerId = z.uuid('customer IDs are UUIDs');
  scope.get<{ Params: { customerId: string } }>(
    '/admin/profiles/:customerId/computed-traits',
    {
      schema: adminRoute({
        summary: "A person's computed trait values, per region the token covers",
        params: z.object({ customerId }),
        response: {
          200: json(
            "the values by trait ID, each region's apart (a person held in several regions has a part in each)",
            z.object({
              customerId: z.string(),
              regions: z.array(
                z.object({
                  region: z.string(),
                  values: z.record(z.string(), z.object({ value: z.unknown(), computedAt: z.string() })),
                }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const id = parseWith(kit, customerId, request.params.customerId, 'customerId');
      const customer = await customerPlacement(deps.globalSql, id);
      if (!customer) throw kit.fail(404, `no customer ${id}`);
      const readable = customer.regions.filter((region) => kit.mayRead(token, region));
      if (readable.length === 0) kit.requireRegion(token, customer.homeRegion, 'read people');
      const regions = [];
      for (const region of readable) {
        const pool = deps.regional.get(region);
        if (pool) regions.push({ region, values: await readComputedTraitValues(pool.sql, id) });
      }
      return { customerId: id, regions };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/computed-traits/:id',
    {
      schema: adminRoute({
        summary: 'One computed trait definition',
        response: { 200: z.object({ trait: traitView }) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      const trait = await getComputedTrait(deps.globalSql, request.params.id);
      if (!trait)
        throw kit.fail(404, `no computed trait ${request.params.id}: list them with GET /admin/computed-traits`);
      return { trait };
    },
  );
}
