import { Validator } from '@seriousme/openapi-schema-validator';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminRoute } from '../../web/openapi';
import { PORTAL_CSS_PATH } from '../../web/privacy/pages';
import { ReadinessProbe } from '../../web/readiness';
import { buildServer } from '../../web/server';

/**
 * GET /openapi.json describes every route of the public listener. The routes come from fastify as
 * they are registered (the `onRoute` option, as test/integration/admin-scope.test.ts collects
 * them), so a route added without its `schema: adminRoute({...})` (or trackingRoute, privacyRoute,
 * serviceRoute) fails here. Registering routes touches no database, so the three APIs are built
 * with stand-in dependencies.
 */

type Operation = {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

/**
 * Routes not in the document, and why:
 * - HEAD: fastify adds one for every GET by itself; it answers as its GET without a body.
 * - OPTIONS: CORS preflights (@fastify/cors), the browser's protocol rather than an operation.
 * - the portal's stylesheet: a static asset of the portal's pages, not an API.
 */
const NOT_DOCUMENTED = (method: string, url: string) =>
  method === 'HEAD' || method === 'OPTIONS' || url === PORTAL_CSS_PATH;

const stand = {} as never;
const regions = { dataRegions: [{ name: 'eu' }, { name: 'us' }] } as never;

async function publicApp(routes: Set<string>): Promise<FastifyInstance> {
  return buildServer({
    readiness: new ReadinessProbe([], {} as Client),
    publicUrl: 'https://privacy.example.com',
    onRoute: (route) => {
      for (const method of [route.method].flat()) routes.add(`${method} ${route.url}`);
    },
    tracking: {
      sources: stand,
      writers: new Map(),
      intake: new Map(),
      rateLimiter: stand,
      origins: stand,
      publicUrl: 'https://privacy.example.com',
    },
    webhooks: {
      deps: { tracking: stand, globalDb: stand, regionKeys: new Map() },
      cache: stand,
    },
    admin: {
      tokens: [],
      regions,
      globalDb: stand,
      globalSql: stand,
      regional: new Map(),
      hmacKey: Buffer.alloc(32),
      rules: stand,
    },
    privacy: {
      regions,
      regional: new Map(),
      hmacKey: Buffer.alloc(32),
      emailRules: stand,
      signingKeys: stand,
      temporal: stand,
      mailer: stand,
      publicUrl: 'https://privacy.example.com',
      coolingOffSeconds: 60,
      rateLimiter: stand,
    },
  });
}

/** `METHOD /path` of each registered route missing from the document, OpenAPI paths written `{param}`. */
function undocumented(routes: Set<string>, doc: Document): string[] {
  return [...routes].filter((route) => {
    const [method, url] = route.split(' ') as [string, string];
    if (NOT_DOCUMENTED(method, url)) return false;
    const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    return !doc.paths[path]?.[method.toLowerCase()];
  });
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function documentOf(server: FastifyInstance): Promise<Document> {
  const res = await server.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json() as Document;
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    app = await publicApp(new Set());
    const doc = await documentOf(app);
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route the public listener registers, with its method', async () => {
    const routes = new Set<string>();
    app = await publicApp(routes);
    const doc = await documentOf(app);
    // The three APIs are all there (a stand-in that registered nothing would pass the check below).
    for (const route of [
      'POST /v1/track',
      'POST /v1/batch',
      'POST /admin/sources',
      'PUT /admin/connectors/:id/schedule',
      'POST /privacy/requests',
      'GET /privacy/requests/:id/exports/:region',
      'GET /openapi.json',
    ]) {
      expect(routes).toContain(route);
    }
    expect(undocumented(routes, doc)).toEqual([]);
    // And nothing is documented that is not served.
    const served = new Set([...routes].map((r) => r.toLowerCase().replace(/:([a-z0-9_]+)/g, '{$1}')));
    const extra = operations(doc)
      .map(({ path, method }) => `${method} ${path.toLowerCase()}`)
      .filter((op) => !served.has(op));
    expect(extra).toEqual([]);
  });

  it('fails for a route added without documentation (an undocumented route is not in the document)', async () => {
    const routes = new Set<string>();
    app = await publicApp(routes);
    app.post('/admin/forgotten', async () => ({ ok: true }));
    app.post(
      '/admin/remembered',
      { schema: adminRoute({ summary: 'A documented test route', body: z.object({ name: z.string() }) }) },
      async () => ({ ok: true }),
    );
    const doc = await documentOf(app);
    expect(undocumented(routes, doc)).toEqual(['POST /admin/forgotten']);
  });

  it("gives each operation a summary, its API's tag, its security scheme and its success answer", async () => {
    app = await publicApp(new Set());
    const doc = await documentOf(app);
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.summary, where).toBeTruthy();
      const api = path.startsWith('/admin/')
        ? 'admin'
        : path.startsWith('/v1/')
          ? 'tracking'
          : path.startsWith('/privacy')
            ? 'privacy'
            : op.tags?.[0];
      expect(['tracking', 'admin', 'privacy', 'service'], where).toContain(api);
      expect(op.tags, where).toEqual([api]);
      // The admin API is never open; a tracking route needs the write key unless it says it does not (`security: []`).
      if (api === 'admin') expect(op.security, where).toEqual([{ adminToken: [] }]);
      if (api === 'tracking') expect([[{ writeKey: [] }], []], where).toContainEqual(op.security);
      if (api === 'privacy' || api === 'service') expect(op.security, where).toBeUndefined();
      if (api === 'admin' || api === 'tracking') expect(Object.keys(op.responses), where).toContain('default');
      if (op.security?.length) expect(Object.keys(op.responses), where).toContain('401');
      // Its success is documented as such, not left to `default` (which describes refusals).
      expect(
        Object.keys(op.responses).some((status) => status.startsWith('2')),
        `${where} has no 2xx answer`,
      ).toBe(true);
    }
    expect(doc.components.securitySchemes).toMatchObject({
      adminToken: { type: 'http', scheme: 'bearer' },
      writeKey: { type: 'http', scheme: 'basic' },
    });
  });

  it('takes request bodies and queries from the zod schemas the handlers parse with', async () => {
    app = await publicApp(new Set());
    const doc = await documentOf(app);
    const bodyOf = (path: string, method = 'post') =>
      (doc.paths[path]?.[method]?.requestBody as { content: Record<string, { schema: any }> } | undefined)?.content[
        'application/json'
      ]?.schema;

    // Tracking: the call's fields (domain/tracking.ts callSchemas) and the write key in the body.
    expect(JSON.stringify(bodyOf('/v1/track'))).toContain('"event"');
    expect(JSON.stringify(bodyOf('/v1/track'))).toContain('"writeKey"');
    // A batch: its items are the calls, told apart by type.
    expect(JSON.stringify(bodyOf('/v1/batch'))).toMatch(/"enum":\["alias"\]/);

    // Admin: a source's name and region; a connector's fields; the schedule's cron.
    expect(bodyOf('/admin/sources')).toMatchObject({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        region: { type: 'string' },
        kind: { enum: ['browser', 'server'] },
      },
    });
    expect(bodyOf('/admin/sources')?.required).toEqual(['name', 'region', 'kind']);
    expect(bodyOf('/admin/connectors')?.required).toEqual(expect.arrayContaining(['system', 'name', 'region']));
    expect(Object.keys(bodyOf('/admin/connectors/{id}/schedule', 'put')?.properties ?? {})).toEqual(
      expect.arrayContaining(['cron', 'every', 'timeZone']),
    );
    expect(Object.keys(bodyOf('/admin/connectors/{id}/sync')?.properties ?? {})).toEqual(['streams', 'since', 'full']);

    // A query string: the rejections' limit, 1 to 1000.
    const limit = doc.paths['/admin/connectors/{id}/rejections']!.get!.parameters!.find((p) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', schema: { maximum: 1000 } });

    // The privacy portal: the request form's fields.
    expect(bodyOf('/privacy/requests')?.properties?.type?.enum).toEqual([
      'access',
      'deletion',
      'correction',
      'optOut',
      'restriction',
    ]);

    // Path parameters are all declared.
    for (const { path, op } of operations(doc)) {
      for (const name of path.match(/\{([^}]+)\}/g) ?? []) {
        expect(
          op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name),
          `${path} ${name}`,
        ).toBe(true);
      }
    }

    // Errors are named components.
    expect(doc.components.schemas).toHaveProperty('Error');
    expect(doc.components.schemas).toHaveProperty('TrackingError');
  });

  it('documents no secret and nothing of the operator listener', async () => {
    const hmacKey = Buffer.alloc(32, 7);
    app = await buildServer({
      readiness: new ReadinessProbe([], {} as Client),
      admin: {
        tokens: [{ token: 'admin-secret-token-aaaaaaaaaaaaaaaa', regions: '*' }],
        regions,
        globalDb: stand,
        globalSql: stand,
        regional: new Map(),
        hmacKey,
        rules: stand,
      },
    });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.body).not.toContain('admin-secret-token');
    expect(res.body).not.toContain(hmacKey.toString('hex'));
    expect(res.body).not.toContain(hmacKey.toString('base64'));
    // The codec and the detailed readiness report are the operator listener's (web/operator.ts).
    expect(Object.keys((res.json() as Document).paths).filter((path) => path.startsWith('/codec'))).toEqual([]);
  });
});
