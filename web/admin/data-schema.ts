import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CONNECTED_SYSTEMS, CONNECTORS } from '../../connectors';
import { listConnectors } from '../../db/connectors-store';
import { regionDataFlows } from '../../db/data-map-store';
import { newestDataSchema, saveDataSchema } from '../../db/data-schema-store';
import { listSources } from '../../db/sources';
import {
  builtInCategories,
  DATA_CATEGORIES,
  DATA_CATEGORY_NAMES,
  dataSchemaRuleSchema,
  isDataCategory,
  isIdentifying,
  parseDataSchemaRules,
} from '../../domain/data-categories';
import {
  reclassificationIdFor,
  reclassificationProgress,
  reclassificationWorkflowIds,
  startReclassification,
} from '../../temporal/processes/reclassification';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit, onlyFields } from './kit';

/**
 * Data classification (issue 11 §1). `/admin/data-schema`: the workspace's rules that say which trait
 * and event-property keys are identifying (sealed only) and which are also stored queryable, with the
 * built-in defaults and the taxonomy; a change is a new version and starts the reclassification of
 * stored values in every region. The rules are workspace-wide: any token reads them, only a token for
 * all regions changes them. `/admin/data-map`: which categories each source and connector brought into
 * each of the token's regions, and which categories each connected system is sent.
 */

const category = z.object({
  name: z.enum(DATA_CATEGORY_NAMES),
  description: z.string(),
  identifying: z.boolean().describe('identifying values stay sealed only; the others are also stored queryable'),
});
const builtIn = z.object({ key: z.string(), category: z.enum(DATA_CATEGORY_NAMES), identifying: z.boolean() });
const counts = z.object({
  profiles: z.number().int(),
  traitsWritten: z.number().int(),
  traitsRemoved: z.number().int(),
  eventsRewritten: z.number().int(),
});
const reclassificationView = z.object({
  region: z.string(),
  workflowId: z.string(),
  status: z
    .enum(['settling', 'running', 'completed', 'superseded', 'unknown'])
    .describe('unknown: not started, failed, or Temporal is not reachable from here'),
  counts: counts.optional(),
});
const dataSchemaView = z.object({
  version: z.number().int().describe('0: no rules saved yet (the built-in defaults alone)'),
  changedBy: z.string().optional(),
  createdAt: z.string().optional(),
  rules: z.array(dataSchemaRuleSchema),
  reclassification: z.array(reclassificationView),
  builtIn: z.object({ traits: z.array(builtIn), properties: z.array(builtIn) }),
  categories: z.array(category),
});
const dataSchemaInput = z.object({
  rules: z
    .array(dataSchemaRuleSchema)
    .describe('exact keys ({"match":{"key":"loyalty_tier"}}) or patterns ({"match":{"pattern":"utm_*"}}) → category'),
});

const flowView = z.object({
  scope: z.string().describe('traits, properties, context, identifiers or orders'),
  category: z.string(),
  identifying: z.boolean(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});
const dataMapView = z.object({
  regions: z.array(
    z.object({
      region: z.string(),
      sources: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          kind: z.enum(['source', 'connector']),
          system: z.string().optional().describe('for a connector: the system it syncs from'),
          categories: z.array(z.string()).describe('every category it brought into the region, once'),
          flows: z.array(flowView),
        }),
      ),
      connectedSystems: z.array(
        z.object({
          connectorId: z.string(),
          system: z.string(),
          operations: z.array(z.string()).describe('what Meridian asks of it: applyConsent, suppress, erase, export'),
          receives: z.array(z.string()).describe('the categories Meridian sends it of a person to do so'),
        }),
      ),
    }),
  ),
});

const builtInList = (scope: 'traits' | 'properties') =>
  [...builtInCategories(scope).entries()].map(([key, name]) => ({
    key,
    category: name,
    identifying: isIdentifying(name),
  }));

export function registerDataSchemaRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const schemaIsGlobal = 'data-schema rules decide what is sealed in every region';

  const view = async () => {
    const current = await newestDataSchema(deps.globalSql);
    deps.dataSchema?.adopt(current);
    const reclassification = [];
    if (current.version > 0) {
      for (const region of deps.regions.dataRegions) {
        const workflowId =
          reclassificationIdFor(current.reclassificationWorkflowIds, current.version, region.name) ?? '';
        let progress;
        try {
          progress =
            deps.temporal && workflowId ? await reclassificationProgress(deps.temporal, workflowId) : undefined;
        } catch {
          progress = undefined;
        }
        reclassification.push({
          region: region.name,
          workflowId,
          status: progress?.status ?? 'unknown',
          ...(progress ? { counts: progress.counts } : {}),
        });
      }
    }
    return {
      version: current.version,
      ...(current.changedBy ? { changedBy: current.changedBy } : {}),
      ...(current.createdAt ? { createdAt: current.createdAt.toISOString() } : {}),
      rules: current.rules,
      reclassification,
      builtIn: { traits: builtInList('traits'), properties: builtInList('properties') },
      categories: DATA_CATEGORIES.map((c) => ({ ...c })),
    };
  };

  scope.get(
    '/admin/data-schema',
    {
      schema: adminRoute({
        summary:
          'The data-schema rules in force (which keys are identifying), the built-in defaults, the taxonomy and the reclassification of each region',
        response: { 200: json('the newest version', dataSchemaView) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      return view();
    },
  );

  scope.put(
    '/admin/data-schema',
    {
      schema: adminRoute({
        summary:
          'Replace the data-schema rules (token for all regions): saved as a new version, stored values are reclassified in every region',
        body: dataSchemaInput,
        response: { 200: json('the new version', dataSchemaView) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), schemaIsGlobal);
      const body = onlyFields(kit, request.body, ['rules']);
      if (body.rules === undefined) throw kit.fail(400, 'rules: required, a list of rules (an empty list clears them)');
      const parsed = parseDataSchemaRules(body.rules);
      if (!parsed.ok) throw kit.fail(400, parsed.error);
      if (!deps.temporal) throw kit.fail(503, 'Temporal is not configured here: the reclassification cannot start');
      const rules = dataSchemaInput.shape.rules.parse(body.rules);
      const current = await newestDataSchema(deps.globalSql);
      // The same rules again: no new version, but the reclassification is (re)started if it never was.
      const saved =
        current.version > 0 && JSON.stringify(current.rules) === JSON.stringify(rules)
          ? current
          : await saveDataSchema(deps.globalSql, rules, 'admin-api', (version) =>
              reclassificationWorkflowIds(deps.regions, version),
            );
      deps.dataSchema?.adopt(saved);
      try {
        await startReclassification(deps.temporal, deps.regions, saved.version, saved.reclassificationWorkflowIds);
      } catch {
        throw kit.fail(
          503,
          `version ${saved.version} is saved and in force for new data, but its reclassification could not start (Temporal unreachable): send the same rules again to start it`,
        );
      }
      return view();
    },
  );

  scope.get(
    '/admin/data-map',
    {
      schema: adminRoute({
        summary:
          "The data map of the token's regions: the categories each source and connector brought in, and what each connected system is sent",
        response: { 200: json('per region', dataMapView) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const regions = deps.regions.dataRegions.map((r) => r.name).filter((r) => kit.mayRead(token, r));
      const sources = await listSources(deps.globalDb, regions);
      const answer = [];
      for (const region of regions) {
        const access = deps.regional.get(region);
        if (!access) continue;
        const flows = await regionDataFlows(access.sql);
        const connectors = await listConnectors(deps.globalSql, region);
        const flowsOf = (id: string) =>
          flows
            .filter((f) => f.sourceId === id)
            .map((f) => ({
              scope: f.scope,
              category: f.category,
              identifying: isDataCategory(f.category) ? isIdentifying(f.category) : true,
              firstSeenAt: f.firstSeenAt.toISOString(),
              lastSeenAt: f.lastSeenAt.toISOString(),
            }));
        const entry = (id: string, name: string, kind: 'source' | 'connector', system?: string) => {
          const own = flowsOf(id);
          return {
            id,
            name,
            kind,
            ...(system ? { system } : {}),
            categories: [...new Set(own.map((f) => f.category))].sort(),
            flows: own,
          };
        };
        answer.push({
          region,
          sources: [
            ...sources.filter((s) => s.region === region).map((s) => entry(s.id, s.name, 'source')),
            ...connectors.filter((c) => c.system in CONNECTORS).map((c) => entry(c.id, c.name, 'connector', c.system)),
          ],
          connectedSystems: connectors
            .filter((c) => CONNECTED_SYSTEMS[c.system])
            .map((c) => {
              const system = CONNECTED_SYSTEMS[c.system]!;
              return {
                connectorId: c.id,
                system: c.system,
                operations: [...system.supports],
                receives: [...system.receives],
              };
            }),
        });
      }
      return { regions: answer };
    },
  );
}
