import Fastify, { FastifyInstance, FastifyServerOptions, LogController } from 'fastify';
import type { AdminDeps } from './admin/kit';
import { registerAdminRoutes } from './admin/routes';
import type { ConsoleApiDeps } from './console-api/kit';
import { registerConsoleApiRoutes } from './console-api/routes';
import { PrivacyPortalDeps, registerPrivacyRoutes } from './privacy/routes';
import { registerTrackingRoutes, TrackingDeps } from './tracking/routes';
import { registerWebhookRoutes, WebhookDeps, WebhookSourceCache } from './tracking/webhook';
import { ConnectorWebhookDeps, registerConnectorWebhookRoutes } from './tracking/connector-webhooks';
import { type ChannelCallbackDeps, registerChannelRoutes } from './channels/routes';
import { ReadinessProbe } from './readiness';
import { type ConsoleDeps, registerConsoleRoutes } from './console';
import { loggableError } from './error-log';
import { LogFormat, prettyStream } from '../startup/log';
import { registerOpenApi, serviceRoute } from './openapi';
import { z } from 'zod';

/**
 * The public listener: tracking API, privacy portal, admin API (bearer tokens), /health, a
 * bare /ready, and the OpenAPI document of them all at /openapi.json (./openapi.ts). The codec
 * and the detailed readiness report are on the operator listener (./operator.ts), never here.
 */
export interface WebDeps {
  /** Shared with the operator listener, which shows the details. */
  readiness: ReadinessProbe;
  /** Proxies whose X-Forwarded-For is believed (fastify's trustProxy); none by default. */
  trustProxy?: false | string[];
  /** The public URL requesters use; when it is https, responses carry Strict-Transport-Security. */
  publicUrl?: string;
  logger?: FastifyServerOptions['logger'];
  /** The Segment-compatible ingestion API; absent in servers that only serve ops. */
  tracking?: TrackingDeps;
  /** POST /v1/sources/:id/webhook (./tracking/webhook.ts), through the tracking API's path. */
  webhooks?: { deps: WebhookDeps; cache: WebhookSourceCache };
  /** Webhooks of connected platforms (Meta Lead Ads, Google Ads lead forms). */
  connectorWebhooks?: ConnectorWebhookDeps;
  admin?: AdminDeps;
  /** The console's session API (/console/api/*): sign-in, session, preferences, OIDC. */
  console?: ConsoleApiDeps;
  /** The privacy portal's requests; absent when no mail server is configured (verification needs email). */
  privacy?: PrivacyPortalDeps;
  /** Providers' callbacks: Twilio status and inbound SMS, email bounces and complaints (./channels/routes.ts). */
  channels?: ChannelCallbackDeps;
  /** The console's single-page app under /console (web/console.ts). */
  consoleApp?: ConsoleDeps;
  /** Told of every route as it is registered: the admin scope test checks each has a scope decision. */
  onRoute?: (route: { method: string | string[]; url: string }) => void;
}

/**
 * Structured request logs without personal data: method, route and status only. Query strings,
 * bodies and headers (which may carry emails, write keys or tokens) are never logged. JSON lines,
 * or short human lines under `npm start` (startup/log.ts).
 */
export function requestLogOptions(
  level: string,
  format: LogFormat = 'json',
  out?: { write(text: string): unknown },
): FastifyServerOptions['logger'] {
  return {
    level,
    // JSON goes to pino's own stdout writer unless told otherwise.
    ...(format === 'pretty' ? { stream: prettyStream(out) } : out ? { stream: out } : {}),
    serializers: {
      req: (req: { method: string; routeOptions?: { url?: string }; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        // An unmatched path is whatever the client sent (an email, a token): not logged.
        route: req.routeOptions?.url ?? '(no route)',
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export async function buildServer(deps: WebDeps): Promise<FastifyInstance> {
  // One log line per request, written when it completes.
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 4 * 1024 * 1024,
    // "__proto__" and "constructor.prototype" keys are dropped, not refused: a whole batch
    // should not fail for one odd key, and nothing downstream may see them.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    logController: new LogController({ disableRequestLogging: true }),
    // Without it, request.ip is the socket's address and X-Forwarded-For is ignored (anyone can write it).
    trustProxy: deps.trustProxy ?? false,
  });
  // Every response: no content sniffing (a JSON or zip body is never run as a page); on https, HSTS.
  const hsts = deps.publicUrl?.startsWith('https:') ?? false;
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  if (deps.onRoute) {
    const onRoute = deps.onRoute;
    app.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));
  }

  // Before any route: it learns them as they are registered (web/openapi.ts says how to document one).
  await registerOpenApi(app, deps.publicUrl ? { publicUrl: deps.publicUrl } : {});

  if (deps.tracking) registerTrackingRoutes(app, deps.tracking);
  if (deps.webhooks) registerWebhookRoutes(app, deps.webhooks.deps, deps.webhooks.cache);
  if (deps.connectorWebhooks) registerConnectorWebhookRoutes(app, deps.connectorWebhooks);
  if (deps.admin) registerAdminRoutes(app, deps.admin);
  if (deps.console) registerConsoleApiRoutes(app, deps.console);
  if (deps.privacy) registerPrivacyRoutes(app, deps.privacy);
  if (deps.channels) registerChannelRoutes(app, deps.channels);
  if (deps.consoleApp) registerConsoleRoutes(app, deps.consoleApp);

  app.get(
    '/health',
    {
      schema: serviceRoute({
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      }),
    },
    async () => ({ status: 'ok' }),
  );

  // Ready or not, nothing more: which check failed and why is on the operator listener.
  const readyAnswer = z.object({ status: z.enum(['ready', 'not ready']) });
  app.get(
    '/ready',
    {
      schema: serviceRoute({
        summary: "Readiness: every region's database and Temporal answer (details on the operator listener)",
        response: { 200: readyAnswer, 503: readyAnswer },
      }),
    },
    async (_request, reply) => {
      const ready = ReadinessProbe.isReady(await deps.readiness.check());
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
    },
  );

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}: see README for the API` }),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    // The class and code only: a message can quote a value from the request.
    if (status === 500) request.log.error({ err: loggableError(error) }, 'request failed');
    return reply.code(status).send({ error: status === 500 ? 'internal error: see the server log' : error.message });
  });
  return app;
}
