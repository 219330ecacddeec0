import { randomBytes } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A local stand-in for the Google Ads API (REST) and Google's OAuth token endpoint, as Meridian uses them:
 *
 * - `POST /token` (application/x-www-form-urlencoded): `grant_type=refresh_token` with client_id,
 *   client_secret and refresh_token → `{access_token, expires_in: 3599, token_type: "Bearer"}`; a wrong
 *   client → 401 `invalid_client`; a revoked or wrong refresh token → 400 `invalid_grant` ("Token has
 *   been expired or revoked.").
 * - Every API call needs `Authorization: Bearer <an access token issued here>` (else 401
 *   UNAUTHENTICATED, authenticationError), `developer-token` (else 401 / DEVELOPER_TOKEN_INVALID… here:
 *   403 PERMISSION_DENIED, authorizationError DEVELOPER_TOKEN_NOT_APPROVED when wrong), and
 *   `login-customer-id` when the account is managed (else 403 USER_PERMISSION_DENIED).
 * - `POST /{version}/customers/{id}/googleAds:search` `{query, pageToken}`: GAQL over
 *   `lead_form_submission_data` with `submission_date_time >= '…' AND … < '…'`, ordered by it;
 *   `nextPageToken` while more follow (page size `pageSize`, Google's is 10000).
 * - `POST /{version}/customers/{id}:uploadClickConversions` `{conversions, partialFailure}`:
 *   partialFailure must be true; each conversion needs exactly one of gclid/gbraid/wbraid, a conversion
 *   action of the account, a `yyyy-mm-dd hh:mm:ss+|-hh:mm` time not before its click, a currency; consent
 *   values GRANTED/DENIED/UNSPECIFIED. A known click with the same time, or an order ID already used for
 *   the action, is refused CLICK_CONVERSION_ALREADY_EXISTS / ORDER_ID_ALREADY_IN_USE; an unknown gclid
 *   UNPARSEABLE_GCLID. Refusals come in `partialFailureError` (GoogleAdsFailure with
 *   `location.fieldPathElements` naming the conversion's index); accepted ones in `results`, empty
 *   objects in the place of refused ones.
 * - Quota: past `quota.calls` per window, 429 RESOURCE_EXHAUSTED with quotaError RESOURCE_EXHAUSTED and a
 *   RetryInfo `retryDelay`.
 *
 * The request log holds the path, status and the error codes: never a token.
 */

export interface GoogleAdsEmulatorOptions {
  customerId: string;
  loginCustomerId?: string;
  conversionActionId: string;
  developerToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  apiVersion?: string;
  pageSize?: number;
  quota?: { calls: number; windowMs?: number; retryDelaySeconds?: number };
}

export type GoogleAdsFault = 500 | 503 | 'rate-limit' | 'accept-then-drop';

export interface EmulatedLeadSubmission {
  id: string;
  submittedAt: Date;
  gclid?: string;
  fields: Record<string, string>;
}

export interface StoredConversion {
  clickKind: 'gclid' | 'gbraid' | 'wbraid';
  clickId: string;
  conversionAction: string;
  conversionDateTime: string;
  conversionValue: number;
  currencyCode: string;
  orderId?: string;
  consent?: { adUserData?: string; adPersonalization?: string };
}

export interface GoogleAdsRequestRecord {
  path: string;
  status: number;
  codes: string[];
}

export interface GoogleAdsEmulator {
  baseUrl: string;
  tokenUrl: string;
  apiVersion: string;
  /** A click on one of the account's ads: its new gclid. */
  click(at: Date): string;
  addLeadSubmissions(submissions: EmulatedLeadSubmission[]): void;
  conversions: StoredConversion[];
  /** The refresh token stops working (the user removed Meridian's access). */
  revokeRefreshToken(): void;
  /** Every access token issued so far stops working (they expired). */
  expireAccessTokens(): void;
  failNext(count: number, fault: GoogleAdsFault): void;
  requests: GoogleAdsRequestRecord[];
  tokensIssued(): number;
  close(): Promise<void>;
}

class AdsError extends Error {
  constructor(
    readonly status: number,
    readonly rpcStatus: string,
    readonly errorCode: Record<string, string>,
    message: string,
    readonly retryDelay?: string,
  ) {
    super(message);
  }
}

const ADS_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})([+-]\d{2}):?(\d{2})$/;

function parseAdsTime(text: unknown): Date | undefined {
  const m = typeof text === 'string' ? ADS_TIME.exec(text) : null;
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7]}:${m[8]}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const adsTime = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;

export async function startGoogleAdsEmulator(options: GoogleAdsEmulatorOptions): Promise<GoogleAdsEmulator> {
  const apiVersion = options.apiVersion ?? 'v21';
  const pageSize = options.pageSize ?? 10_000;
  const tokens = new Set<string>();
  let issued = 0;
  let revoked = false;
  const clicks = new Map<string, Date>();
  const submissions: EmulatedLeadSubmission[] = [];
  const conversions: StoredConversion[] = [];
  const faults: GoogleAdsFault[] = [];
  const requests: GoogleAdsRequestRecord[] = [];
  const window = { start: Date.now(), calls: 0 };
  const action = `customers/${options.customerId}/conversionActions/${options.conversionActionId}`;

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function sendError(reply: FastifyReply, entry: GoogleAdsRequestRecord, error: AdsError) {
    entry.status = error.status;
    entry.codes = Object.values(error.errorCode);
    const details: unknown[] = [
      {
        '@type': `type.googleapis.com/google.ads.googleads.${apiVersion}.errors.GoogleAdsFailure`,
        errors: [
          {
            errorCode: error.errorCode,
            message: error.message,
            ...(error.retryDelay ? { details: { quotaErrorDetails: { retryDelay: error.retryDelay } } } : {}),
          },
        ],
        requestId: randomBytes(8).toString('hex'),
      },
    ];
    if (error.retryDelay)
      details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: error.retryDelay });
    return reply
      .code(error.status)
      .type('application/json; charset=UTF-8')
      .send(
        JSON.stringify({ error: { code: error.status, message: error.message, status: error.rpcStatus, details } }),
      );
  }

  app.post('/token', async (request, reply) => {
    const entry: GoogleAdsRequestRecord = { path: '/token', status: 0, codes: [] };
    requests.push(entry);
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    const oauthError = (status: number, error: string, description: string) => {
      entry.status = status;
      entry.codes = [error];
      return reply.code(status).send({ error, error_description: description });
    };
    if (form.get('grant_type') !== 'refresh_token')
      return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret)
      return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (revoked || form.get('refresh_token') !== options.refreshToken)
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    tokens.add(token);
    issued++;
    entry.status = 200;
    return reply.send({
      access_token: token,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'https://www.googleapis.com/auth/adwords',
    });
  });

  function checkCall(request: FastifyRequest, customerId: string): void {
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer))
      throw new AdsError(
        401,
        'UNAUTHENTICATED',
        { authenticationError: 'OAUTH_TOKEN_INVALID' },
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    if (request.headers['developer-token'] !== options.developerToken)
      throw new AdsError(
        403,
        'PERMISSION_DENIED',
        { authorizationError: 'DEVELOPER_TOKEN_NOT_APPROVED' },
        'The developer token is not approved.',
      );
    if (customerId !== options.customerId)
      throw new AdsError(
        403,
        'PERMISSION_DENIED',
        { authorizationError: 'USER_PERMISSION_DENIED' },
        "User doesn't have permission to access customer.",
      );
    if (options.loginCustomerId && request.headers['login-customer-id'] !== options.loginCustomerId)
      throw new AdsError(
        403,
        'PERMISSION_DENIED',
        { authorizationError: 'USER_PERMISSION_DENIED' },
        "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.",
      );
    if (options.quota) {
      const windowMs = options.quota.windowMs ?? 60_000;
      if (Date.now() - window.start >= windowMs) Object.assign(window, { start: Date.now(), calls: 0 });
      if (window.calls >= options.quota.calls)
        throw new AdsError(
          429,
          'RESOURCE_EXHAUSTED',
          { quotaError: 'RESOURCE_EXHAUSTED' },
          'Too many requests. Retry in 1 seconds.',
          `${options.quota.retryDelaySeconds ?? 1}s`,
        );
      window.calls++;
    }
  }

  function body(request: FastifyRequest): Record<string, unknown> {
    try {
      const parsed: unknown = JSON.parse(typeof request.body === 'string' ? request.body : '');
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new AdsError(400, 'INVALID_ARGUMENT', { requestError: 'INVALID_INPUT' }, 'Invalid JSON payload received.');
  }

  function search(params: Record<string, unknown>) {
    const query = typeof params.query === 'string' ? params.query : '';
    if (!/FROM\s+lead_form_submission_data\b/i.test(query))
      throw new AdsError(
        400,
        'INVALID_ARGUMENT',
        { queryError: 'PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE' },
        'The emulator serves lead_form_submission_data only.',
      );
    const from = /submission_date_time\s*>=\s*'([^']+)'/i.exec(query)?.[1];
    const to = /submission_date_time\s*<\s*'([^']+)'/i.exec(query)?.[1];
    const fromMs = from ? Date.parse(`${from.replace(' ', 'T')}Z`) : Number.NEGATIVE_INFINITY;
    const toMs = to ? Date.parse(`${to.replace(' ', 'T')}Z`) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(fromMs) || Number.isNaN(toMs))
      throw new AdsError(
        400,
        'INVALID_ARGUMENT',
        { queryError: 'INVALID_VALUE_WITH_BETWEEN_OPERATOR' },
        'Invalid date-time literal.',
      );
    const matching = submissions
      .filter((s) => s.submittedAt.getTime() >= fromMs && s.submittedAt.getTime() < toMs)
      .sort((a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || a.id.localeCompare(b.id));
    let offset = 0;
    if (typeof params.pageToken === 'string') {
      const m = /^(\d+):(.*)$/s.exec(Buffer.from(params.pageToken, 'base64url').toString('utf8'));
      if (!m || m[2] !== query)
        throw new AdsError(400, 'INVALID_ARGUMENT', { requestError: 'INVALID_PAGE_TOKEN' }, 'Page token is invalid.');
      offset = Number(m[1]);
    }
    const rows = matching.slice(offset, offset + pageSize);
    const next =
      offset + pageSize < matching.length
        ? Buffer.from(`${offset + pageSize}:${query}`).toString('base64url')
        : undefined;
    return {
      results: rows.map((s) => ({
        leadFormSubmissionData: {
          resourceName: `customers/${options.customerId}/leadFormSubmissionData/${s.id}`,
          id: s.id,
          ...(s.gclid ? { gclid: s.gclid } : {}),
          submissionDateTime: adsTime(s.submittedAt),
          leadFormSubmissionFields: Object.entries(s.fields).map(([fieldType, fieldValue]) => ({
            fieldType,
            fieldValue,
          })),
        },
      })),
      ...(next ? { nextPageToken: next } : {}),
      fieldMask:
        'leadFormSubmissionData.id,leadFormSubmissionData.gclid,leadFormSubmissionData.submissionDateTime,leadFormSubmissionData.leadFormSubmissionFields',
    };
  }

  function upload(params: Record<string, unknown>) {
    if (params.partialFailure !== true)
      throw new AdsError(
        400,
        'INVALID_ARGUMENT',
        { requestError: 'INVALID_INPUT' },
        'partial_failure must be true for uploadClickConversions.',
      );
    const list = params.conversions;
    if (!Array.isArray(list) || list.length === 0)
      throw new AdsError(
        400,
        'INVALID_ARGUMENT',
        { requestError: 'REQUIRED_FIELD_MISSING' },
        'conversions is required.',
      );
    if (list.length > 2000)
      throw new AdsError(
        400,
        'INVALID_ARGUMENT',
        { conversionUploadError: 'TOO_MANY_CONVERSIONS_IN_REQUEST' },
        'Upload fewer than 2001 events in a single request.',
      );
    const failures: { index: number; code: Record<string, string>; message: string }[] = [];
    const results: Record<string, unknown>[] = [];
    const seenOrders = new Set<string>();
    list.forEach((raw: unknown, index) => {
      const c = (raw ?? {}) as Record<string, unknown>;
      const fail = (code: Record<string, string>, message: string) => {
        failures.push({ index, code, message });
        results.push({});
      };
      const ids = (['gclid', 'gbraid', 'wbraid'] as const).filter((k) => typeof c[k] === 'string' && c[k] !== '');
      if (ids.length !== 1)
        return fail({ conversionUploadError: 'GBRAID_WBRAID_BOTH_SET' }, 'Set exactly one of gclid, gbraid, wbraid.');
      const kind = ids[0]!;
      const clickId = c[kind] as string;
      if (c.conversionAction !== action)
        return fail(
          { conversionUploadError: 'NO_CONVERSION_ACTION_FOUND' },
          'The conversion action specified in the upload request cannot be found.',
        );
      const at = parseAdsTime(c.conversionDateTime);
      if (!at)
        return fail(
          { dateError: 'INVALID_FIELD_VALUES_IN_DATE_TIME' },
          'The date time is not yyyy-mm-dd hh:mm:ss+|-hh:mm.',
        );
      if (typeof c.currencyCode !== 'string' || !/^[A-Z]{3}$/.test(c.currencyCode))
        return fail({ conversionUploadError: 'INVALID_CONVERSION_ACTION' }, 'currency_code must be an ISO 4217 code.');
      const consent = c.consent as Record<string, unknown> | undefined;
      for (const value of [consent?.adUserData, consent?.adPersonalization])
        if (value !== undefined && !['GRANTED', 'DENIED', 'UNSPECIFIED'].includes(String(value)))
          return fail({ fieldError: 'INVALID_VALUE' }, 'consent values are GRANTED, DENIED or UNSPECIFIED.');
      const clickedAt = kind === 'gclid' ? clicks.get(clickId) : clicks.get(clickId);
      if (!clickedAt)
        return fail(
          { conversionUploadError: kind === 'gclid' ? 'UNPARSEABLE_GCLID' : 'UNPARSEABLE_GBRAID' },
          'The imported click could not be decoded.',
        );
      if (at < clickedAt)
        return fail(
          { conversionUploadError: 'CONVERSION_PRECEDES_EVENT' },
          'The imported event has a conversion_date_time that precedes the click.',
        );
      const orderId = typeof c.orderId === 'string' && c.orderId !== '' ? c.orderId : undefined;
      if (orderId && seenOrders.has(orderId))
        return fail(
          { conversionUploadError: 'DUPLICATE_ORDER_ID' },
          'Imported events include multiple conversions with the same order ID.',
        );
      if (orderId) seenOrders.add(orderId);
      if (orderId && conversions.some((s) => s.orderId === orderId && s.conversionAction === action))
        return fail(
          { conversionUploadError: 'ORDER_ID_ALREADY_IN_USE' },
          'The imported event includes an order ID that was previously recorded.',
        );
      if (
        conversions.some(
          (s) =>
            s.clickId === clickId && s.conversionDateTime === c.conversionDateTime && s.conversionAction === action,
        )
      )
        return fail(
          { conversionUploadError: 'CLICK_CONVERSION_ALREADY_EXISTS' },
          'The imported event has the same click and conversion_date_time as an existing conversion.',
        );
      conversions.push({
        clickKind: kind,
        clickId,
        conversionAction: action,
        conversionDateTime: c.conversionDateTime as string,
        conversionValue: Number(c.conversionValue ?? 0),
        currencyCode: c.currencyCode,
        ...(orderId ? { orderId } : {}),
        ...(consent ? { consent: consent as StoredConversion['consent'] } : {}),
      });
      results.push({ [kind]: clickId, conversionAction: action, conversionDateTime: c.conversionDateTime });
    });
    return {
      results,
      ...(failures.length
        ? {
            partialFailureError: {
              code: 3,
              message: failures.map((f) => f.message).join(', '),
              details: [
                {
                  '@type': `type.googleapis.com/google.ads.googleads.${apiVersion}.errors.GoogleAdsFailure`,
                  errors: failures.map((f) => ({
                    errorCode: f.code,
                    message: f.message,
                    location: { fieldPathElements: [{ fieldName: 'conversions', index: f.index }] },
                  })),
                },
              ],
            },
          }
        : {}),
    };
  }

  app.post('/*', async (request, reply) => {
    const url = new URL(request.url, 'http://emulator.invalid');
    const entry: GoogleAdsRequestRecord = { path: url.pathname, status: 0, codes: [] };
    requests.push(entry);
    const fault = faults.shift();
    if (fault === 500 || fault === 503)
      return sendError(
        reply,
        entry,
        new AdsError(
          fault,
          fault === 500 ? 'INTERNAL' : 'UNAVAILABLE',
          { internalError: 'INTERNAL_ERROR' },
          'Internal error encountered.',
        ),
      );
    if (fault === 'rate-limit')
      return sendError(
        reply,
        entry,
        new AdsError(429, 'RESOURCE_EXHAUSTED', { quotaError: 'RESOURCE_EXHAUSTED' }, 'Too many requests.', '1s'),
      );
    try {
      const search_ = new RegExp(`^/${apiVersion}/customers/(\\d+)/googleAds:search$`).exec(url.pathname);
      const upload_ = new RegExp(`^/${apiVersion}/customers/(\\d+):uploadClickConversions$`).exec(url.pathname);
      if (!search_ && !upload_)
        throw new AdsError(
          404,
          'NOT_FOUND',
          { requestError: 'UNKNOWN' },
          'The requested URL was not found on this server.',
        );
      checkCall(request, (search_ ?? upload_)![1]!);
      const answer = search_ ? search(body(request)) : upload(body(request));
      entry.status = 200;
      if (upload_) entry.codes = failuresOf(answer);
      if (fault === 'accept-then-drop') {
        // Google took the upload; the answer never arrives (the connection dropped, the worker died).
        reply.hijack();
        request.raw.socket.destroy();
        return;
      }
      return reply.type('application/json; charset=UTF-8').send(JSON.stringify(answer));
    } catch (error) {
      if (error instanceof AdsError) return sendError(reply, entry, error);
      throw error;
    }
  });

  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    tokenUrl: `${baseUrl}/token`,
    apiVersion,
    conversions,
    requests,
    click(at) {
      const gclid = `Cj0KCQ${randomBytes(24).toString('base64url')}`;
      clicks.set(gclid, at);
      return gclid;
    },
    addLeadSubmissions(list) {
      submissions.push(...list);
    },
    revokeRefreshToken() {
      revoked = true;
      tokens.clear();
    },
    expireAccessTokens() {
      tokens.clear();
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    tokensIssued: () => issued,
    async close() {
      await app.close();
    },
  };
}

function failuresOf(answer: Record<string, unknown>): string[] {
  const details = (
    answer.partialFailureError as { details?: { errors?: { errorCode?: Record<string, string> }[] }[] } | undefined
  )?.details;
  return (details ?? []).flatMap((d) => (d.errors ?? []).flatMap((e) => Object.values(e.errorCode ?? {})));
}
