import { AD_PLATFORM_LIMITS, GOOGLE_MAX_IDENTIFIERS_PER_USER, type HashedPerson } from '../../domain/ad-audiences';
import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../errors';
import { HttpAnswer, jsonObject, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * Google Ads API, Customer Match through OfflineUserDataJobService (REST): a job per change
 * (`offlineUserDataJobs:create` of type CUSTOMER_MATCH_USER_LIST naming the user list and the
 * people's `consent` {adUserData, adPersonalization}), its operations (`:addOperations`, each a
 * `create` or `remove` of one person's UserData with hashed identifiers and the same consent; at most
 * 100,000 identifiers per request and 20 per person), then `:run`. Google processes the job
 * asynchronously (up to hours); the run's long-running operation name is kept as evidence.
 *
 * Auth: `Authorization: Bearer <OAuth access token>` + `developer-token` (+ `login-customer-id`
 * for a manager account). Errors are google.rpc.Status `{error:{code, message, status, details}}`:
 * UNAUTHENTICATED (401) and PERMISSION_DENIED (403) → reconnect; RESOURCE_EXHAUSTED (429) →
 * rate limited, after the QuotaError's `retryDelay` (else Retry-After, else 30 s); UNAVAILABLE,
 * INTERNAL → transient; INVALID_ARGUMENT and the rest → refused.
 *
 * Only hashes, IDs and counts are sent or quoted: no email address or phone number leaves the client.
 */

export const GOOGLE_ADS_API: VendorApi = { system: 'Google Ads', hosts: ['googleads.googleapis.com'] };
const SYSTEM = GOOGLE_ADS_API.system;
export const GOOGLE_ADS_URL = 'https://googleads.googleapis.com';
export const GOOGLE_ADS_API_VERSION = 'v18';
export const GOOGLE_DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;
export const GOOGLE_MAX_IDENTIFIERS = AD_PLATFORM_LIMITS.google.perRequest;
const MAX_MESSAGE = 300;

export interface GoogleCustomerMatchOptions extends VendorHttpLimits {
  baseUrl?: string;
  apiVersion?: string;
  accessToken: string;
  developerToken: string;
  /** The Google Ads customer owning the user list (digits, dashes allowed). */
  customerId: string;
  /** A manager account's customer ID when the access goes through it. */
  loginCustomerId?: string;
  rateLimitWaitMs?: number;
}

export interface GoogleJobResult {
  jobResourceName: string;
  /** The long-running operation of `:run`. */
  operationName: string;
  identifiers: number;
  requests: number;
}

export class GoogleCustomerMatchClient {
  private readonly baseUrl: string;
  readonly apiVersion: string;
  private readonly customerId: string;
  private readonly http: VendorHttp;
  private readonly rateLimitWaitMs: number;

  constructor(private readonly opts: GoogleCustomerMatchOptions) {
    this.baseUrl = (opts.baseUrl ?? GOOGLE_ADS_URL).replace(/\/+$/, '');
    this.apiVersion = opts.apiVersion ?? GOOGLE_ADS_API_VERSION;
    this.customerId = opts.customerId.replace(/-/g, '');
    // A throttle is thrown for the activity to retry after Google's delay, never slept here.
    this.http = new VendorHttp(GOOGLE_ADS_API, { timeoutMs: opts.timeoutMs, maxRateLimitWaits: 0 });
    this.rateLimitWaitMs = opts.rateLimitWaitMs ?? GOOGLE_DEFAULT_RATE_LIMIT_WAIT_MS;
  }

  /**
   * One job adding (`create`) or removing people from the user list, in requests of at most
   * 100,000 identifiers (the caller's batches), then run. Every person was consented for
   * personalised ads: the consent sent is GRANTED for both of Google's fields.
   */
  async changeMembers(
    userListId: string,
    action: 'create' | 'remove',
    batches: HashedPerson[][],
  ): Promise<GoogleJobResult> {
    if (!/^\d+$/.test(userListId)) throw new RangeError('a user list ID is digits only');
    const consent = { adUserData: 'GRANTED', adPersonalization: 'GRANTED' };
    const verb = action === 'create' ? 'adding people to' : 'removing people from';
    const created = await this.post(
      `customers/${this.customerId}/offlineUserDataJobs:create`,
      {
        job: {
          type: 'CUSTOMER_MATCH_USER_LIST',
          customerMatchUserListMetadata: {
            userList: `customers/${this.customerId}/userLists/${userListId}`,
            consent,
          },
        },
      },
      `creating a Customer Match job for user list ${userListId}`,
    );
    const jobResourceName = typeof created.resourceName === 'string' ? created.resourceName : '';
    if (!/^customers\/\d+\/offlineUserDataJobs\/\d+$/.test(jobResourceName))
      throw new ConnectorTransientError(`${SYSTEM} created a job without its resource name: retry later`, SYSTEM, 200);
    let identifiers = 0;
    for (const batch of batches) {
      const size = batch.reduce((n, p) => n + p.emails.length + p.phones.length, 0);
      if (size === 0 || size > GOOGLE_MAX_IDENTIFIERS)
        throw new RangeError(`give 1 to ${GOOGLE_MAX_IDENTIFIERS} identifiers per request, not ${size}`);
      const operations = batch.map((person) => {
        const userIdentifiers = [
          ...person.emails.map((hashedEmail) => ({ hashedEmail })),
          ...person.phones.map((hashedPhoneNumber) => ({ hashedPhoneNumber })),
        ];
        if (userIdentifiers.length > GOOGLE_MAX_IDENTIFIERS_PER_USER)
          throw new RangeError(`at most ${GOOGLE_MAX_IDENTIFIERS_PER_USER} identifiers per person`);
        return { [action]: { userIdentifiers, consent } };
      });
      await this.post(
        `${jobResourceName}:addOperations`,
        { operations, enablePartialFailure: false },
        `${verb} user list ${userListId} (job ${jobResourceName.split('/').pop()})`,
      );
      identifiers += size;
    }
    const run = await this.post(
      `${jobResourceName}:run`,
      {},
      `running Customer Match job ${jobResourceName.split('/').pop()}`,
    );
    return {
      jobResourceName,
      operationName: typeof run.name === 'string' ? run.name : '',
      identifiers,
      requests: batches.length,
    };
  }

  private async post(path: string, body: unknown, operation: string): Promise<Record<string, unknown>> {
    const { bodyText } = await this.http.call(
      {
        method: 'POST',
        url: `${this.baseUrl}/${this.apiVersion}/${path}`,
        headers: {
          Authorization: `Bearer ${this.opts.accessToken}`,
          'developer-token': this.opts.developerToken,
          ...(this.opts.loginCustomerId ? { 'login-customer-id': this.opts.loginCustomerId.replace(/-/g, '') } : {}),
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(body),
      },
      { account: `Google Ads customer ${this.customerId}`, operation },
      { classify: (answer) => this.classify(answer, operation) },
    );
    return jsonObject(bodyText) ?? {};
  }

  classify(response: HttpAnswer, operation: string): ConnectorError {
    const account = `Google Ads customer ${this.customerId}`;
    const error = jsonObject(response.bodyText)?.error as Record<string, unknown> | undefined;
    if (typeof error !== 'object' || error === null)
      return classifyHttpFailure(SYSTEM, response.status, response.headers, '', {
        account,
        reconnect: 'the Google Ads account',
        operation,
      });
    const status = typeof error.status === 'string' ? error.status : '';
    const codes = googleAdsErrorCodes(error.details);
    const message = typeof error.message === 'string' ? error.message.slice(0, MAX_MESSAGE) : '';
    const detail = `HTTP ${response.status} ${status}${codes.length ? ` ${codes.join(', ')}` : ''}: ${message}`;
    if (
      status === 'UNAUTHENTICATED' ||
      status === 'PERMISSION_DENIED' ||
      response.status === 401 ||
      response.status === 403
    )
      return new ConnectorAuthError(
        `${SYSTEM} refused the credentials for ${account} while ${operation}: reconnect the Google Ads account in Meridian (the OAuth token expired or was revoked, or the developer token or access to the customer is missing) [${detail}]`,
        SYSTEM,
        response.status,
      );
    if (status === 'RESOURCE_EXHAUSTED' || response.status === 429) {
      const waitMs = retryDelayMs(error.details) ?? retryAfterMs(response.headers) ?? this.rateLimitWaitMs;
      return new ConnectorRateLimited(
        `${SYSTEM} quota exhausted for ${account} while ${operation}: retry after ${waitMs / 1000} s [${detail}]`,
        SYSTEM,
        waitMs,
      );
    }
    if (status === 'UNAVAILABLE' || status === 'INTERNAL' || status === 'DEADLINE_EXCEEDED' || response.status >= 500)
      return new ConnectorTransientError(
        `${SYSTEM} failed on its side for ${account} while ${operation} [${detail}]: retry later`,
        SYSTEM,
        response.status,
      );
    return new ConnectorRequestError(
      `${SYSTEM} refused the request for ${account} while ${operation} [${detail}]`,
      SYSTEM,
      response.status,
      detail,
    );
  }
}

/** GoogleAdsFailure error codes, e.g. "offlineUserDataJobError: TOO_MANY_USER_IDENTIFIERS". */
function googleAdsErrorCodes(details: unknown): string[] {
  const out: string[] = [];
  for (const d of Array.isArray(details) ? details : []) {
    for (const e of Array.isArray((d as { errors?: unknown })?.errors) ? (d as { errors: unknown[] }).errors : []) {
      const code = (e as { errorCode?: Record<string, unknown> })?.errorCode;
      if (code && typeof code === 'object')
        for (const [k, v] of Object.entries(code)) if (typeof v === 'string') out.push(`${k}: ${v}`.slice(0, 100));
    }
  }
  return out.slice(0, 5);
}

/** QuotaError's `details.quotaErrorDetails.retryDelay` ("30s"). */
function retryDelayMs(details: unknown): number | undefined {
  for (const d of Array.isArray(details) ? details : []) {
    for (const e of Array.isArray((d as { errors?: unknown })?.errors) ? (d as { errors: unknown[] }).errors : []) {
      const delay = (e as { details?: { quotaErrorDetails?: { retryDelay?: unknown } } })?.details?.quotaErrorDetails
        ?.retryDelay;
      const seconds = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
      if (seconds) return Math.ceil(Number(seconds) * 1000);
    }
  }
  return undefined;
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = Number(headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}
