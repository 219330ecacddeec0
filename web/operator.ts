import cors from '@fastify/cors';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, LogController } from 'fastify';
import { isLoopbackHost } from '../domain/config';
import { sameSecret } from '../domain/constant-time';
import { registerCodecRoutes } from './codec';
import { ReadinessProbe } from './readiness';

/**
 * The operator listener (MERIDIAN_OPERATOR_HOST/PORT, by default 127.0.0.1:3001), apart from the
 * public one that serves the tracking API and the privacy portal. It serves what only operators
 * may have: the codec the Temporal UI decrypts payloads with, and the per-region readiness report
 * with its error text. Every request needs an operator token (`Authorization: Bearer …`, from
 * MERIDIAN_OPERATOR_TOKENS); the one exception is the development trade-off below.
 *
 * The Temporal UI's own server is not involved in codec calls: the operator's browser calls the
 * codec directly, sending `X-Namespace` and, with `codec.passAccessToken`, the user's access
 * token. Production puts the UI and this codec behind one authenticating proxy that adds the
 * operator token (docker-compose.yml). The dev server's UI has no login and so no token to
 * send: with MERIDIAN_OPERATOR_TRUST_LOCAL_UI=1 (npm start sets it; refused in production and on
 * a non-loopback listener) a codec call without a token is let in when it comes over loopback from
 * the UI's origin. That lets in any program on this machine, which could reach the unauthenticated
 * dev server anyway; a web page elsewhere cannot, its Origin is not the UI's (docs/security.md).
 */

export interface OperatorAccess {
  tokens: readonly string[];
  trustLocalUi: boolean;
  /** Browser origins of the Temporal UI (CORS, and the development exception). */
  uiOrigins: readonly string[];
  /** The Temporal namespace whose payloads this codec serves; `X-Namespace` must name it. */
  namespace: string;
}

export interface OperatorDeps {
  codec: PayloadCodec;
  access: OperatorAccess;
  readiness: ReadinessProbe;
  logger?: FastifyServerOptions['logger'];
}

class OperatorAuthError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function tokenMatches(tokens: readonly string[], given: string): boolean {
  let found = false;
  // Compare with every token, so the time taken does not tell which one (or how many) exist.
  for (const token of tokens) if (sameSecret(given, token)) found = true;
  return found;
}

/** The remote address is on this machine (IPv4, IPv6, or IPv4-mapped IPv6 loopback). */
function fromLoopback(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return isLoopbackHost(address.replace(/^::ffff:/, ''));
}

/** How the request proved it may use the operator listener; throws a 401 when it did not. */
export function authenticateOperator(
  access: OperatorAccess,
  request: FastifyRequest,
  allowLocalUi: boolean,
): 'token' | 'local-ui' {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer (\S+)$/.exec(header);
    if (match && access.tokens.length > 0 && tokenMatches(access.tokens, match[1]!)) return 'token';
    throw new OperatorAuthError(
      401,
      'operator token unknown: send "Authorization: Bearer <token>" with a token from MERIDIAN_OPERATOR_TOKENS',
    );
  }
  if (allowLocalUi && access.trustLocalUi && fromLoopback(request)) {
    const origin = request.headers.origin;
    if (origin !== undefined && access.uiOrigins.includes(origin)) return 'local-ui';
  }
  if (access.tokens.length === 0) {
    throw new OperatorAuthError(
      401,
      'the operator listener has no tokens: set MERIDIAN_OPERATOR_TOKENS and send "Authorization: Bearer <token>"',
    );
  }
  throw new OperatorAuthError(
    401,
    'operator token missing: send "Authorization: Bearer <token>" with a token from MERIDIAN_OPERATOR_TOKENS',
  );
}

function checkNamespace(access: OperatorAccess, request: FastifyRequest): void {
  const given = request.headers['x-namespace'];
  if (given === undefined || given === '') {
    throw new OperatorAuthError(
      400,
      `X-Namespace header missing: the Temporal UI sends it, and the temporal CLI when given the namespace (-n ${access.namespace})`,
    );
  }
  if (given !== access.namespace) {
    throw new OperatorAuthError(
      403,
      `this codec serves namespace "${access.namespace}" only, not the one in X-Namespace`,
    );
  }
}

export async function buildOperatorServer(deps: OperatorDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 4 * 1024 * 1024,
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    logController: new LogController({ disableRequestLogging: true }),
  });
  // Decrypted payloads and error reports: never sniffed as a page, never kept in a browser's cache.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, 'operator request');
  });

  const deny = (error: unknown, reply: FastifyReply) => {
    if (error instanceof OperatorAuthError) return reply.code(error.statusCode).send({ error: error.message });
    throw error;
  };

  // The codec is called from the operator's browser (the Temporal UI's origin): CORS answers the
  // preflight, which carries no credentials; the POST itself is authenticated below.
  await app.register(async (codecScope) => {
    await codecScope.register(cors, {
      origin: [...deps.access.uiOrigins],
      methods: ['POST'],
      allowedHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
      credentials: true,
    });
    // onRequest: before the body is read, so an unauthenticated caller costs no parsing.
    codecScope.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      try {
        authenticateOperator(deps.access, request, true);
        checkNamespace(deps.access, request);
      } catch (error) {
        return deny(error, reply);
      }
      return undefined;
    });
    registerCodecRoutes(codecScope, deps.codec);
  });

  app.get('/health', async () => ({ status: 'ok' }));

  // The detailed report: per region, each check with its error. Tokens only (the UI never calls it).
  app.get('/ready', async (request, reply) => {
    try {
      authenticateOperator(deps.access, request, false);
    } catch (error) {
      return deny(error, reply);
    }
    const regions = await deps.readiness.check();
    const ready = ReadinessProbe.isReady(regions);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', regions });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route ${request.method} ${request.url.split('?')[0]} on the operator listener: it serves /codec/decode, /codec/encode and /ready`,
    }),
  );
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: { message: error.message } }, 'operator request failed');
    return reply.code(status).send({ error: status === 500 ? 'internal error: see the server log' : error.message });
  });
  return app;
}
