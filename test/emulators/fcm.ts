import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { importSPKI, jwtVerify } from 'jose';

/**
 * Firebase Cloud Messaging's HTTP v1 API and Google's OAuth token endpoint, as documented
 * (firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send, …/ErrorCode;
 * developers.google.com/identity/protocols/oauth2/service-account):
 * - `POST /token`: the RFC 7523 JWT bearer grant. The assertion is RS256, signed by the service
 *   account's key, `iss` its client_email, `aud` the token URI, `scope` firebase.messaging, at
 *   most an hour long; answers `{ access_token, expires_in, token_type: 'Bearer' }`, else 400
 *   `invalid_grant` / `invalid_scope`.
 * - `POST /v1/projects/{project}/messages:send` with `Authorization: Bearer <token>`: 401
 *   UNAUTHENTICATED without a live token, 403 PERMISSION_DENIED for another project, 400
 *   INVALID_ARGUMENT (an FcmError detail) for a token that is not a registration token, 400
 *   INVALID_ARGUMENT (a BadRequest field violation) for a message over 4096 bytes, 404
 *   UNREGISTERED for a token the app no longer holds, 429 QUOTA_EXCEEDED with Retry-After, 503
 *   UNAVAILABLE; `{ name: "projects/{project}/messages/{id}" }` on success.
 */

export interface FcmEmulator {
  baseUrl: string;
  tokenUri: string;
  serviceAccount: { project_id: string; client_email: string; private_key: string; token_uri: string };
  /** A device installing the app: a registration token FCM accepts. */
  register(): string;
  /** The app was uninstalled: UNREGISTERED from now on. */
  unregister(token: string): void;
  sent(): { token: string; title: string; body: string; name: string; collapseKey?: string }[];
  quotaExceededNext(count: number, retryAfterSeconds: number): void;
  unavailableNext(count: number): void;
  /** Every access token issued so far stops working (revoked): the client must fetch a new one. */
  revokeTokens(): void;
  tokenGrants: number;
  close(): Promise<void>;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const REGISTRATION_TOKEN = /^[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{100,200}$/;

export async function startFcmEmulator(projectId = 'meridian-test'): Promise<FcmEmulator> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const accountKey = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
  const clientEmail = `meridian-push@${projectId}.iam.gserviceaccount.com`;
  const accessTokens = new Map<string, number>();
  const devices = new Map<string, boolean>();
  const sent: ReturnType<FcmEmulator['sent']> = [];
  let quota = { count: 0, seconds: 0 };
  let unavailable = 0;
  const state = { tokenGrants: 0 };

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  let baseUrl = '';

  app.post('/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !form.assertion)
      return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    try {
      const { payload } = await jwtVerify(form.assertion, accountKey, {
        algorithms: ['RS256'],
        issuer: clientEmail,
        audience: `${baseUrl}/token`,
      });
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 3600)
        return reply.code(400).send({
          error: 'invalid_grant',
          error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes)',
        });
      if (
        !String(payload.scope ?? '')
          .split(' ')
          .includes(SCOPE)
      )
        return reply
          .code(400)
          .send({ error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
    } catch {
      return reply.code(400).send({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    state.tokenGrants++;
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    accessTokens.set(token, Date.now() + 3600_000);
    return { access_token: token, expires_in: 3599, token_type: 'Bearer' };
  });

  const error = (code: number, status: string, message: string, details: unknown[] = []) => ({
    error: { code, message, status, details },
  });

  app.post<{ Params: { project: string } }>('/v1/projects/:project/messages:send', async (request, reply) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const until = bearer ? accessTokens.get(bearer) : undefined;
    if (!until || until < Date.now())
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="https://accounts.google.com/"')
        .send(
          error(
            401,
            'UNAUTHENTICATED',
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          ),
        );
    if (request.params.project !== projectId)
      return reply.code(403).send(error(403, 'PERMISSION_DENIED', 'Permission denied on resource project.'));
    if (quota.count > 0) {
      quota.count--;
      return reply
        .code(429)
        .header('retry-after', String(quota.seconds))
        .send(
          error(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', [
            { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'QUOTA_EXCEEDED' },
          ]),
        );
    }
    if (unavailable > 0) {
      unavailable--;
      return reply.code(503).send(error(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    }
    const message = (request.body as { message?: Record<string, unknown> } | undefined)?.message;
    const token = message?.token;
    if (typeof token !== 'string' || !REGISTRATION_TOKEN.test(token))
      return reply
        .code(400)
        .send(
          error(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', [
            { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' },
          ]),
        );
    if (Buffer.byteLength(JSON.stringify(message)) > 4096)
      return reply.code(400).send(
        error(400, 'INVALID_ARGUMENT', 'Message is too big', [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'message', description: 'Message is too big' }],
          },
        ]),
      );
    if (!devices.get(token))
      return reply
        .code(404)
        .send(
          error(404, 'NOT_FOUND', 'Requested entity was not found.', [
            { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' },
          ]),
        );
    const n = message!.notification as { title?: string; body?: string } | undefined;
    const name = `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
    const collapseKey = (message!.android as { collapse_key?: string } | undefined)?.collapse_key;
    sent.push({ token, title: n?.title ?? '', body: n?.body ?? '', name, ...(collapseKey ? { collapseKey } : {}) });
    return { name };
  });

  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    tokenUri: `${baseUrl}/token`,
    serviceAccount: {
      project_id: projectId,
      client_email: clientEmail,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token_uri: `${baseUrl}/token`,
    },
    register() {
      const token = `${randomBytes(16).toString('base64url').slice(0, 22)}:APA91b${randomBytes(105).toString('base64url')}`;
      devices.set(token, true);
      return token;
    },
    unregister(token) {
      devices.set(token, false);
    },
    sent: () => [...sent],
    quotaExceededNext(count, seconds) {
      quota = { count, seconds };
    },
    unavailableNext(count) {
      unavailable = count;
    },
    revokeTokens() {
      accessTokens.clear();
    },
    get tokenGrants() {
      return state.tokenGrants;
    },
    async close() {
      await app.close();
    },
  };
}
