import { createHash, randomInt } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for the Google Ads API (REST), Customer Match through OfflineUserDataJobService
 * (developers.google.com/google-ads/api, "Customer Match", "OfflineUserDataJobService"):
 *
 * - `POST /{version}/customers/{cid}/offlineUserDataJobs:create` with `{job:{type:
 *   "CUSTOMER_MATCH_USER_LIST", customerMatchUserListMetadata:{userList, consent}}}` → `{resourceName}`.
 *   A user list that does not exist → INVALID_ARGUMENT; no `consent` with both adUserData and
 *   adPersonalization → INVALID_ARGUMENT (this emulator insists, as Google does for EEA users).
 * - `POST /{version}/customers/{cid}/offlineUserDataJobs/{id}:addOperations` with `{operations:[{create|remove:
 *   {userIdentifiers:[{hashedEmail}|{hashedPhoneNumber}], consent?}}]}`: more than 100,000 identifiers in
 *   the request, or more than 20 in one operation → INVALID_ARGUMENT `TOO_MANY_USER_IDENTIFIERS`; a value
 *   that is not lower-case SHA-256 hex → INVALID_ARGUMENT `INVALID_SHA256_FORMAT`; a job already run →
 *   `JOB_NOT_PENDING` (not quite Google's name, close enough to be classified as refused).
 * - `POST …:run` → a long-running operation `{name}`; the job's operations are applied to the list at once.
 * - Auth: `Authorization: Bearer` + `developer-token`. A wrong/absent token → 401 UNAUTHENTICATED
 *   (`authenticationError: OAUTH_TOKEN_INVALID`), a revoked one → 401 `OAUTH_TOKEN_REVOKED`; a wrong
 *   developer token → 401 `DEVELOPER_TOKEN_INVALID`... as `authenticationError`.
 * - Past `rateLimit.calls` per window: 429 RESOURCE_EXHAUSTED with a QuotaError whose
 *   `quotaErrorDetails.retryDelay` says how long to wait.
 *
 * Members are stored as hashes. The request log holds method, path and status only.
 */

export interface GoogleAdsEmulatorOptions {
  accessToken: string;
  developerToken: string;
  /** Digits; default '1234567890'. */
  customerId?: string;
  apiVersion?: string;
  rateLimit?: { calls: number; windowMs?: number; retryDelaySeconds?: number };
}

export interface GoogleAdsEmulator {
  baseUrl: string;
  apiVersion: string;
  customerId: string;
  createUserList(id: string): void;
  /** Hashes (emails and phones) in the list. */
  members(userListId: string): Set<string>;
  /** Identifiers per addOperations request received, in order. */
  addOperationSizes: number[];
  /** The consent each job was created with. */
  jobConsents: unknown[];
  revokeToken(): void;
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;
const MAX_IDENTIFIERS = 100_000;
const MAX_PER_USER = 20;

export const hashGoogleEmail = (email: string) => {
  const lowered = email.trim().toLowerCase();
  const [local, domain] = [lowered.slice(0, lowered.lastIndexOf('@')), lowered.slice(lowered.lastIndexOf('@') + 1)];
  const normal =
    domain === 'gmail.com' || domain === 'googlemail.com' ? `${local.replace(/\./g, '')}@${domain}` : lowered;
  return createHash('sha256').update(normal).digest('hex');
};

export async function startGoogleAdsEmulator(options: GoogleAdsEmulatorOptions): Promise<GoogleAdsEmulator> {
  const apiVersion = options.apiVersion ?? 'v18';
  const customerId = options.customerId ?? '1234567890';
  const lists = new Map<string, Set<string>>();
  const jobs = new Map<
    string,
    { userListId: string; status: 'PENDING' | 'RUNNING' | 'SUCCESS'; ops: { remove: boolean; hashes: string[] }[] }
  >();
  const requests: GoogleAdsEmulator['requests'] = [];
  const addOperationSizes: number[] = [];
  const jobConsents: unknown[] = [];
  const window = { start: Date.now(), calls: 0 };
  let revoked = false;

  const app: FastifyInstance = Fastify({ forceCloseConnections: true, bodyLimit: 64 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));

  const failure = (
    status: number,
    rpcStatus: string,
    message: string,
    errorCode: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) => ({
    status,
    body: {
      error: {
        code: status,
        message,
        status: rpcStatus,
        details: [
          {
            '@type': `type.googleapis.com/google.ads.googleads.${apiVersion}.errors.GoogleAdsFailure`,
            errors: [{ errorCode, message, ...extra }],
            requestId: `req-${randomInt(1e9)}`,
          },
        ],
      },
    },
  });
  const invalid = (code: Record<string, string>, message: string) => failure(400, 'INVALID_ARGUMENT', message, code);

  function handle(request: FastifyRequest): { status: number; body: unknown } {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (revoked)
      return failure(401, 'UNAUTHENTICATED', 'The OAuth token has been revoked.', {
        authenticationError: 'OAUTH_TOKEN_REVOKED',
      });
    if (token !== options.accessToken)
      return failure(
        401,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token.',
        { authenticationError: 'OAUTH_TOKEN_INVALID' },
      );
    if (request.headers['developer-token'] !== options.developerToken)
      return failure(401, 'UNAUTHENTICATED', 'The developer token is not valid.', {
        authenticationError: 'DEVELOPER_TOKEN_INVALID',
      });
    if (options.rateLimit) {
      const windowMs = options.rateLimit.windowMs ?? 60_000;
      if (Date.now() - window.start >= windowMs) Object.assign(window, { start: Date.now(), calls: 0 });
      if (window.calls >= options.rateLimit.calls)
        return failure(
          429,
          'RESOURCE_EXHAUSTED',
          'Too many requests. Retry in the indicated time.',
          { quotaError: 'RESOURCE_EXHAUSTED' },
          {
            details: {
              quotaErrorDetails: { rateScope: 'DEVELOPER', retryDelay: `${options.rateLimit.retryDelaySeconds ?? 1}s` },
            },
          },
        );
      window.calls++;
    }
    let body: Record<string, any>;
    try {
      body = JSON.parse(typeof request.body === 'string' && request.body ? request.body : '{}');
    } catch {
      return invalid({ requestError: 'INVALID_INPUT' }, 'Invalid JSON payload received.');
    }
    const path = new URL(request.url, 'http://x').pathname;
    const prefix = `/${apiVersion}/customers/${customerId}/offlineUserDataJobs`;
    if (request.method !== 'POST' || !path.startsWith(prefix))
      return failure(404, 'NOT_FOUND', `Method not found: ${path.slice(0, 80)}`, { requestError: 'UNKNOWN' });

    if (path === `${prefix}:create`) {
      const metadata = body.job?.customerMatchUserListMetadata;
      if (body.job?.type !== 'CUSTOMER_MATCH_USER_LIST')
        return invalid({ offlineUserDataJobError: 'INVALID_JOB_TYPE' }, 'job.type must be CUSTOMER_MATCH_USER_LIST');
      const listId = /^customers\/(\d+)\/userLists\/(\d+)$/.exec(String(metadata?.userList ?? ''))?.[2];
      if (!listId || !lists.has(listId))
        return invalid({ offlineUserDataJobError: 'INVALID_USER_LIST_ID' }, 'The user list does not exist.');
      const consent = metadata.consent;
      if (
        !['GRANTED', 'DENIED'].includes(consent?.adUserData) ||
        !['GRANTED', 'DENIED'].includes(consent?.adPersonalization)
      )
        return invalid(
          { offlineUserDataJobError: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' },
          'consent.adUserData and consent.adPersonalization are required for Customer Match uploads.',
        );
      jobConsents.push(consent);
      const id = String(randomInt(1e9, 9e9));
      jobs.set(id, { userListId: listId, status: 'PENDING', ops: [] });
      return { status: 200, body: { resourceName: `customers/${customerId}/offlineUserDataJobs/${id}` } };
    }
    const match = /^\/offlineUserDataJobs\/(\d+):(addOperations|run)$/.exec(
      path.slice(prefix.length - '/offlineUserDataJobs'.length),
    );
    const job = match ? jobs.get(match[1]!) : undefined;
    if (!match || !job)
      return failure(404, 'NOT_FOUND', 'The offline user data job does not exist.', {
        requestError: 'RESOURCE_NOT_FOUND',
      });
    if (job.status !== 'PENDING')
      return invalid({ offlineUserDataJobError: 'JOB_NOT_PENDING' }, 'The job is not pending: it cannot change.');
    if (match[2] === 'run') {
      job.status = 'SUCCESS';
      const members = lists.get(job.userListId)!;
      for (const op of job.ops) for (const h of op.hashes) op.remove ? members.delete(h) : members.add(h);
      return { status: 200, body: { name: `customers/${customerId}/operations/${randomInt(1e9)}` } };
    }
    const operations: unknown[] = Array.isArray(body.operations) ? body.operations : [];
    if (operations.length === 0) return invalid({ collectionSizeError: 'TOO_FEW' }, 'operations must not be empty');
    const parsed: { remove: boolean; hashes: string[] }[] = [];
    let total = 0;
    for (const [i, raw] of operations.entries()) {
      const op = raw as Record<string, any>;
      const data = op.create ?? op.remove;
      const ids: unknown[] = Array.isArray(data?.userIdentifiers) ? data.userIdentifiers : [];
      if (ids.length > MAX_PER_USER)
        return invalid(
          { offlineUserDataJobError: 'TOO_MANY_USER_IDENTIFIERS' },
          `Maximum number of user identifiers allowed per request is ${MAX_IDENTIFIERS} and per operation is ${MAX_PER_USER}.`,
        );
      const hashes: string[] = [];
      for (const id of ids as Record<string, unknown>[]) {
        const value = id.hashedEmail ?? id.hashedPhoneNumber;
        if (typeof value !== 'string' || !HASH.test(value))
          return invalid(
            { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' },
            `operations[${i}]: a hashed identifier is not SHA-256 hex`,
          );
        hashes.push(value);
      }
      total += hashes.length;
      parsed.push({ remove: op.remove !== undefined, hashes });
    }
    if (total > MAX_IDENTIFIERS)
      return invalid(
        { offlineUserDataJobError: 'TOO_MANY_USER_IDENTIFIERS' },
        `Maximum number of user identifiers allowed per request is ${MAX_IDENTIFIERS} and per operation is ${MAX_PER_USER}.`,
      );
    addOperationSizes.push(total);
    job.ops.push(...parsed);
    return { status: 200, body: {} };
  }

  app.all('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = handle(request);
    requests.push({ method: request.method, path: new URL(request.url, 'http://x').pathname, status: answer.status });
    return reply.code(answer.status).type('application/json; charset=UTF-8').send(JSON.stringify(answer.body));
  });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    baseUrl,
    apiVersion,
    customerId,
    addOperationSizes,
    jobConsents,
    requests,
    createUserList(id) {
      lists.set(id, new Set());
    },
    members(id) {
      const list = lists.get(id);
      if (!list) throw new Error(`members: no user list ${id}`);
      return new Set(list);
    },
    revokeToken() {
      revoked = true;
    },
    async close() {
      await app.close();
    },
  };
}
