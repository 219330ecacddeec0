import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ConnectorView,
  connectorsWithCredentials,
  connectorView,
  listRejections,
  RegionalAccess,
} from '../../db/connector-views';
import {
  Connector,
  ConnectorConfigError,
  createConnector,
  getConnector,
  listConnectors,
  updateConnector,
} from '../../db/connectors-store';
import { CONNECTOR_ID_PATTERN } from '../../domain/workflow-inputs';
import {
  connectorDetails,
  connectorScheduleSchema,
  ScheduleSummary,
  scheduleSummary,
  upsertConnectorSchedule,
} from '../../temporal/processes/connector-sync';
import { brandIdSchema } from '../../domain/brands';
import { adminRoute, json, objectAnswer } from '../openapi';
import { AdminDeps, type AdminPrincipal, AdminKit, onlyFields, parseWith, requireBrand } from './kit';

/**
 * Admin API for connectors: settings in the global database, credentials sealed in the region's,
 * and the records a sync could not take. Schedules and syncs are in ./connector-syncs, FX rates in
 * ./fx-rates; `npm run connectors` uses the same read models (db/connector-views) and Temporal
 * calls (temporal/processes/connector-sync), so the shell and HTTP show the same things.
 *
 * A token scoped to regions (`token:eu+us`) manages only the connectors of those regions.
 * Credentials are write-only: responses say `"credentials": "set"` (or "missing"), never the value.
 */

/** Lookups the connector and connector-sync routes share, with their errors. */
export function connectorAccess(deps: AdminDeps, kit: AdminKit) {
  const dataRegions = () => deps.regions.dataRegions.map((r) => r.name);

  const regionalOf = (region: string): RegionalAccess => {
    const regional = deps.regional.get(region);
    if (!regional)
      throw kit.fail(
        503,
        `region ${region} is not served by this web server: check MERIDIAN_REGIONS_FILE and restart it`,
      );
    return regional;
  };

  const temporal = (): Client => {
    if (!deps.temporal)
      throw kit.fail(
        503,
        'this server was started without a Temporal client: schedules and syncs are managed by the Meridian web server (npm run web)',
      );
    return deps.temporal;
  };

  const mayManage = (token: AdminPrincipal, region: string) => kit.requireRegion(token, region, 'manage connectors');

  /** The connector, if it exists and the token covers its region. */
  const connectorFor = async (
    request: FastifyRequest<{ Params: { id: string } }>,
  ): Promise<{ token: AdminPrincipal; connector: Connector }> => {
    const token = kit.authorise(request);
    const connector = await getConnector(deps.globalSql, request.params.id);
    if (!connector)
      throw kit.fail(404, `connector ${request.params.id} does not exist: list them with GET /admin/connectors`);
    mayManage(token, connector.region);
    return { token, connector };
  };

  return { dataRegions, regionalOf, temporal, mayManage, connectorFor };
}

export function registerConnectorRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const { dataRegions, regionalOf, temporal, mayManage, connectorFor } = connectorAccess(deps, kit);

  const configError = (error: unknown): never => {
    if (error instanceof ConnectorConfigError) throw kit.fail(400, error.message);
    throw error;
  };

  const createInput = z.object({
    id: z.string().regex(CONNECTOR_ID_PATTERN, 'use 1 to 64 letters, digits, _ or -').optional(),
    system: z
      .string({ error: 'name the connector system, e.g. "shopify"' })
      .min(1, 'name the connector system, e.g. "shopify"'),
    name: z.string({ error: 'give the connector a name' }).trim().min(1, 'give the connector a name').max(200),
    region: z
      .string({ error: 'name the data region the connector belongs to' })
      .refine((r) => dataRegions().includes(r), {
        error: () => `must be a data region: one of ${dataRegions().join(', ')}`,
      }),
    brandId: brandIdSchema.optional(),
    settings: z.unknown(),
    credentials: z.unknown(),
    schedule: z.unknown().optional(),
  });

  const createDoc = createInput.safeExtend({ schedule: connectorScheduleSchema.optional() });
  scope.post(
    '/admin/connectors',
    {
      schema: adminRoute({
        summary: 'Create a connector (201), and its schedule if given',
        body: createDoc,
        response: { 201: objectAnswer('the connector (credentials shown as "set", never the value) and its schedule') },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const body = onlyFields(kit, request.body, [
        'id',
        'system',
        'name',
        'region',
        'brandId',
        'settings',
        'credentials',
        'schedule',
      ]);
      const input = parseWith(kit, createInput, body);
      mayManage(token, input.region);
      await requireBrand(deps.globalSql, input.brandId);
      const schedule =
        input.schedule === undefined ? undefined : parseWith(kit, connectorScheduleSchema, input.schedule, 'schedule');
      if (schedule) temporal();
      if (input.id && (await getConnector(deps.globalSql, input.id))) {
        throw kit.fail(
          409,
          `connector ${input.id} already exists: change it with PUT /admin/connectors/${input.id}, or leave "id" out to get a new one`,
        );
      }
      const regional = regionalOf(input.region);
      const connector = await createConnector(deps.globalSql, regional, {
        system: input.system,
        name: input.name,
        region: input.region,
        settings: input.settings,
        credentials: input.credentials,
        ...(input.id ? { id: input.id } : {}),
        ...(input.brandId ? { brandId: input.brandId } : {}),
      }).catch(configError);
      let summary: ScheduleSummary | null = null;
      if (schedule) {
        await upsertConnectorSchedule(temporal(), deps.regions, connector, schedule);
        summary = await scheduleSummary(temporal(), connector.id);
      }
      return reply.code(201).send({ ...connectorView(connector, true), schedule: summary });
    },
  );

  const listQuery = z.object({ region: z.string().optional().describe('only the connectors of this data region') });
  scope.get<{ Querystring: { region?: string } }>(
    '/admin/connectors',
    {
      schema: adminRoute({
        summary: 'List the connectors the token may manage',
        querystring: listQuery,
        response: {
          200: json(
            'the connectors, credentials shown as "set" or "missing"',
            z.object({
              connectors: z.array(
                z.looseObject({ id: z.string(), system: z.string(), name: z.string(), region: z.string() }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const region = request.query.region;
      if (region !== undefined) {
        if (!dataRegions().includes(region))
          throw kit.fail(400, `region: must be a data region: one of ${dataRegions().join(', ')}`);
        mayManage(token, region);
      }
      const connectors = (await listConnectors(deps.globalSql, region)).filter((c) => kit.mayRead(token, c.region));
      const views: ConnectorView[] = [];
      for (const name of new Set(connectors.map((c) => c.region))) {
        const inRegion = connectors.filter((c) => c.region === name);
        const regional = deps.regional.get(name);
        const withCredentials = regional
          ? await connectorsWithCredentials(
              regional,
              inRegion.map((c) => c.id),
            )
          : new Set<string>();
        for (const c of inRegion) views.push(connectorView(c, withCredentials.has(c.id)));
      }
      views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { connectors: views };
    },
  );

  scope.get<{ Params: { id: string } }>(
    '/admin/connectors/:id',
    {
      schema: adminRoute({
        summary: "A connector: its schedule, where each stream's next pass starts, its last 10 syncs",
        response: { 200: objectAnswer('the connector with its schedule, stream positions and recent syncs') },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      return connectorDetails(deps.temporal, regionalOf(connector.region), connector);
    },
  );

  const updateInput = z.object({
    name: z.string().trim().min(1, 'give the connector a name').max(200).optional(),
    brandId: brandIdSchema.optional(),
    settings: z.unknown().optional(),
    credentials: z.unknown().optional(),
  });

  scope.put<{ Params: { id: string } }>(
    '/admin/connectors/:id',
    {
      schema: adminRoute({
        summary: "Change a connector's name, brand, settings or credentials (each validated whole)",
        body: updateInput,
        response: { 200: objectAnswer('the connector as changed') },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      const body = onlyFields(kit, request.body, ['name', 'brandId', 'settings', 'credentials']);
      const change = parseWith(kit, updateInput, body);
      if (
        change.name === undefined &&
        change.brandId === undefined &&
        change.settings === undefined &&
        change.credentials === undefined
      ) {
        throw kit.fail(
          400,
          'body: send at least one of name, brandId, settings or credentials (the region and system of a connector do not change)',
        );
      }
      await requireBrand(deps.globalSql, change.brandId);
      const regional = regionalOf(connector.region);
      const updated = await updateConnector(deps.globalSql, regional, connector.id, change).catch(configError);
      if (!updated)
        throw kit.fail(404, `connector ${connector.id} does not exist: list them with GET /admin/connectors`);
      const credentials = await connectorsWithCredentials(regional, [connector.id]);
      return connectorView(updated, credentials.has(connector.id));
    },
  );

  const rejectionsQuery = z.object({
    syncId: z.string().min(1).max(300).optional(),
    limit: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1 to 1000')
      .max(1000, 'must be 1 to 1000')
      .default(100),
  });

  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/admin/connectors/:id/rejections',
    {
      schema: adminRoute({
        summary: 'The records a sync could not take, with the reason (never the value)',
        querystring: rejectionsQuery,
        response: {
          200: json(
            'the rejected records, newest first',
            z.object({ connectorId: z.string(), rejections: z.array(z.looseObject({})) }),
          ),
        },
      }),
    },
    async (request) => {
      const { connector } = await connectorFor(request);
      const query = parseWith(kit, rejectionsQuery, onlyFields(kit, request.query, ['syncId', 'limit']));
      const rejections = await listRejections(regionalOf(connector.region).sql, connector.id, {
        limit: query.limit,
        ...(query.syncId ? { syncId: query.syncId } : {}),
      });
      return { connectorId: connector.id, rejections };
    },
  );
}
