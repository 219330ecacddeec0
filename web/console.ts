import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Serves the console (console/, built by scripts/console-build.ts into console/dist) under
 * /console: hashed assets with a year's cache, every other /console path answered with
 * index.html (the app routes in the browser), and a strict Content-Security-Policy on all of it:
 * scripts and styles only from this origin, no inline script, no framing, connections only back
 * here. The console's API (/console/api/…) and the admin API it calls are other routes.
 */

/** Where scripts/console-build.ts writes the console. */
export const CONSOLE_DIST_DIR = path.resolve(__dirname, '..', 'console', 'dist');

export interface ConsoleDeps {
  /** console/dist; the console is not served when it has not been built. */
  distDir: string;
  /** The Temporal UI the console links each workflow-backed process to (…/namespaces/<ns>). */
  temporalUiUrl?: string;
}

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts and React Flow position their elements with style attributes; no <style> or stylesheet from elsewhere.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  // The email preview is a sandboxed srcdoc frame.
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const indexFile = path.join(deps.distDir, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('/console', (_request, reply) =>
      reply.code(503).send({
        error: 'the console is not built: npm start and npm test build it (or: npx tsx scripts/console-build.ts)',
      }),
    );
    return;
  }
  const temporalUi = (deps.temporalUiUrl ?? '').replace(/"/g, '&quot;');
  const index = readFileSync(indexFile, 'utf8').replace(
    '<meta name="meridian-temporal-ui" content="" />',
    `<meta name="meridian-temporal-ui" content="${temporalUi}" />`,
  );

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/console' || request.url.startsWith('/console/')) {
      if (!request.url.startsWith('/console/api/')) reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
    }
    return payload;
  });

  app.register(fastifyStatic, {
    root: path.join(deps.distDir, 'assets'),
    prefix: '/console/assets/',
    // Names carry a content hash: a new build is a new name.
    immutable: true,
    maxAge: '365d',
    index: false,
    decorateReply: false,
  });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  app.get('/console', (_request, reply) => sendIndex(reply));
  app.get('/console/*', (request, reply) => {
    // An unknown API path is a 404, not the app.
    if (request.url.startsWith('/console/api/') || request.url.startsWith('/console/assets/'))
      return reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
    return sendIndex(reply);
  });
}
