import {
  classifyHttpFailure,
  ConnectorAuthError,
  ConnectorError,
  ConnectorTransientError,
  FailureContext,
} from '../errors';
import { HttpAnswer, jsonObject, VendorApi, VendorHttp, VendorHttpLimits } from '../http';

/**
 * Klaviyo's REST API (JSON:API, revision header), the part privacy needs: profiles by email, phone
 * or id; bulk suppression and unsuppression jobs; bulk SMS unsubscription; data-privacy deletion.
 * A 429 is waited out here for its Retry-After (seconds) up to `maxRateLimitWaits` times, as long
 * as each wait is at most `maxRateLimitWaitMs`; past that it is thrown as ConnectorRateLimited for
 * the activity layer to retry later. Every other failure is thrown classified.
 *
 * Personal values (emails, phone numbers) go into request bodies and the profile filter only: never
 * into an error message. Klaviyo's own error `detail` can echo a value, so only its `code`, `title`
 * and `source` pointer are ever quoted.
 */

export const KLAVIYO_API: VendorApi = { system: 'Klaviyo', hosts: ['a.klaviyo.com'] };
const SYSTEM = KLAVIYO_API.system;
export const KLAVIYO_BASE_URL = 'https://a.klaviyo.com';
export const KLAVIYO_REVISION = '2024-10-15';
/** What the key needs for everything this client does. */
export const KLAVIYO_SCOPES = [
  'profiles:read',
  'profiles:write',
  'subscriptions:read',
  'subscriptions:write',
  'data-privacy:write',
] as const;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 5;
/** Klaviyo's steady windows are a minute long: a longer wait is better spent outside the activity. */
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** Profiles per bulk suppression or subscription job (Klaviyo's limit). */
export const KLAVIYO_BULK_LIMIT = 100;
/** Pages of a profile lookup followed at most; one identifier matches one profile, rarely a few. */
const MAX_LOOKUP_PAGES = 10;
const JSON_API = 'application/vnd.api+json';

export interface KlaviyoProfile {
  id: string;
  attributes: Record<string, unknown>;
}

export type KlaviyoJobStatus = 'queued' | 'processing' | 'complete' | 'cancelled';

export interface KlaviyoBulkJob {
  id: string;
  status: KlaviyoJobStatus;
  totalCount?: number;
  completedCount?: number;
  skippedCount?: number;
  completedAt?: string;
}

export type KlaviyoSuppressionJobKind = 'create' | 'delete';

export type KlaviyoProfileLookup = { email: string } | { phoneNumber: string };

export interface KlaviyoClientOptions extends VendorHttpLimits {
  /** https://a.klaviyo.com, or an emulator's URL (under the test-only host override). */
  baseUrl?: string;
  /** The private API key, pk_…. */
  apiKey: string;
  revision?: string;
}

type Json = Record<string, unknown>;

export class KlaviyoClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  readonly revision: string;
  private readonly http: VendorHttp;

  constructor(opts: KlaviyoClientOptions) {
    this.baseUrl = (opts.baseUrl ?? KLAVIYO_BASE_URL).replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.revision = opts.revision ?? KLAVIYO_REVISION;
    this.http = new VendorHttp(KLAVIYO_API, opts, {
      maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS,
      maxRateLimitWaitMs: DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
    });
  }

  /** The profiles matching one email or phone number (E.164); with `subscriptions`, their consent and suppressions too. */
  async findProfiles(
    lookup: KlaviyoProfileLookup,
    options: { subscriptions?: boolean } = {},
  ): Promise<KlaviyoProfile[]> {
    const filter =
      'email' in lookup
        ? equalsFilter('email', lookup.email.trim())
        : equalsFilter('phone_number', lookup.phoneNumber.trim());
    const params = new URLSearchParams({ filter, 'page[size]': '100' });
    if (options.subscriptions) params.set('additional-fields[profile]', 'subscriptions');
    const operation = 'looking up profiles';
    const profiles: KlaviyoProfile[] = [];
    let url: string | undefined = `${this.baseUrl}/api/profiles?${params}`;
    for (let page = 0; url && page < MAX_LOOKUP_PAGES; page++) {
      const { status, body } = await this.call('GET', url, undefined, operation);
      const data = jsonObject(body)?.data;
      if (status !== 200 || !Array.isArray(data)) throw this.notJsonApi(status, operation);
      for (const resource of data) profiles.push(this.profileOf(resource, status, operation));
      url = this.sameOrigin(nextLink(jsonObject(body)));
    }
    return profiles;
  }

  /** One profile by Klaviyo id, or null when Klaviyo has none (404): deleted, or never there. */
  async getProfile(id: string, options: { subscriptions?: boolean } = {}): Promise<KlaviyoProfile | null> {
    const params = new URLSearchParams();
    if (options.subscriptions) params.set('additional-fields[profile]', 'subscriptions');
    const query = params.size > 0 ? `?${params}` : '';
    const operation = 'reading a profile';
    const { status, body } = await this.call(
      'GET',
      `${this.baseUrl}/api/profiles/${encodeURIComponent(id)}${query}`,
      undefined,
      operation,
      [404],
    );
    if (status === 404) return null;
    const data = jsonObject(body)?.data;
    if (status !== 200) throw this.notJsonApi(status, operation);
    return this.profileOf(data, status, operation);
  }

  /** Suppresses email marketing for these addresses (Klaviyo creates a suppressed profile for an unknown one: pass only known ones). */
  async suppress(emails: string[]): Promise<KlaviyoBulkJob> {
    return this.suppressionJob('create', emails);
  }

  /** Lifts suppressions of reason USER_SUPPRESSED; bounces, spam complaints and unsubscribes stay. */
  async unsuppress(emails: string[]): Promise<KlaviyoBulkJob> {
    return this.suppressionJob('delete', emails);
  }

  async getSuppressionJob(kind: KlaviyoSuppressionJobKind, id: string): Promise<KlaviyoBulkJob> {
    const operation = `reading a bulk ${kind === 'create' ? 'suppression' : 'unsuppression'} job`;
    const { status, body } = await this.call(
      'GET',
      `${this.baseUrl}/api/${suppressionPath(kind)}/${encodeURIComponent(id)}`,
      undefined,
      operation,
    );
    return this.jobOf(body, status, operation);
  }

  /** Revokes SMS marketing consent for these phone numbers (E.164). Klaviyo answers 202 without a job: verify on the profiles. */
  async unsubscribeSms(phoneNumbers: string[]): Promise<void> {
    const operation = 'unsubscribing profiles from SMS marketing';
    checkBatch(phoneNumbers, operation);
    const body = {
      data: {
        type: 'profile-subscription-bulk-delete-job',
        attributes: {
          profiles: {
            data: phoneNumbers.map((phone_number) => ({
              type: 'profile',
              attributes: { phone_number, subscriptions: { sms: { marketing: { consent: 'UNSUBSCRIBED' } } } },
            })),
          },
        },
      },
    };
    const { status } = await this.call(
      'POST',
      `${this.baseUrl}/api/profile-subscription-bulk-delete-jobs`,
      body,
      operation,
    );
    if (status !== 202) throw this.notJsonApi(status, operation);
  }

  /**
   * Asks Klaviyo to delete the profile with this id (and everything it holds). Klaviyo answers 202
   * with no body and deletes later: there is no job to ask about, only the profile to look up again.
   */
  async requestProfileDeletion(profileId: string): Promise<void> {
    const operation = 'requesting a profile deletion';
    const body = {
      data: {
        type: 'data-privacy-deletion-job',
        attributes: { profile: { data: { type: 'profile', id: profileId, attributes: {} } } },
      },
    };
    const { status } = await this.call('POST', `${this.baseUrl}/api/data-privacy-deletion-jobs`, body, operation);
    if (status !== 202) throw this.notJsonApi(status, operation);
  }

  private async suppressionJob(kind: KlaviyoSuppressionJobKind, emails: string[]): Promise<KlaviyoBulkJob> {
    const operation = kind === 'create' ? 'suppressing profiles' : 'unsuppressing profiles';
    checkBatch(emails, operation);
    const body = {
      data: {
        type: kind === 'create' ? 'profile-suppression-bulk-create-job' : 'profile-suppression-bulk-delete-job',
        attributes: { profiles: { data: emails.map((email) => ({ type: 'profile', attributes: { email } })) } },
      },
    };
    const { status, body: answer } = await this.call(
      'POST',
      `${this.baseUrl}/api/${suppressionPath(kind)}`,
      body,
      operation,
    );
    if (status !== 202) throw this.notJsonApi(status, operation);
    return this.jobOf(answer, 200, operation);
  }

  private profileOf(resource: unknown, status: number, operation: string): KlaviyoProfile {
    const fields = resource as { type?: unknown; id?: unknown; attributes?: unknown } | null;
    if (
      !fields ||
      fields.type !== 'profile' ||
      typeof fields.id !== 'string' ||
      typeof fields.attributes !== 'object' ||
      fields.attributes === null
    ) {
      throw this.notJsonApi(status, operation);
    }
    return { id: fields.id, attributes: fields.attributes as Record<string, unknown> };
  }

  private jobOf(body: string, status: number, operation: string): KlaviyoBulkJob {
    const data = jsonObject(body)?.data as { id?: unknown; attributes?: Record<string, unknown> } | undefined;
    const attributes = data?.attributes;
    const jobStatus = attributes?.status;
    if (status !== 200 || typeof data?.id !== 'string' || !isJobStatus(jobStatus))
      throw this.notJsonApi(status, operation);
    const count = (value: unknown) => (typeof value === 'number' ? value : undefined);
    return {
      id: data.id,
      status: jobStatus,
      ...(count(attributes?.total_count) !== undefined ? { totalCount: count(attributes?.total_count) } : {}),
      ...(count(attributes?.completed_count) !== undefined
        ? { completedCount: count(attributes?.completed_count) }
        : {}),
      ...(count(attributes?.skipped_count) !== undefined ? { skippedCount: count(attributes?.skipped_count) } : {}),
      ...(typeof attributes?.completed_at === 'string' ? { completedAt: attributes.completed_at } : {}),
    };
  }

  private notJsonApi(status: number, operation: string): ConnectorTransientError {
    return new ConnectorTransientError(
      `${SYSTEM} answered HTTP ${status} without the JSON:API document expected while ${operation}: retry later`,
      SYSTEM,
      status,
    );
  }

  /** A `links.next` on Klaviyo's own host; anything else is not followed (the key would go with it). */
  private sameOrigin(url: string | undefined): string | undefined {
    if (!url) return undefined;
    try {
      return new URL(url).origin === new URL(this.baseUrl).origin ? url : undefined;
    } catch {
      return undefined;
    }
  }

  /** A successful answer (or one of `accepted`); a 429 is slept out within the limits; anything else is thrown classified. */
  private async call(
    method: 'GET' | 'POST',
    url: string,
    body: unknown,
    operation: string,
    accepted: number[] = [],
  ): Promise<{ status: number; body: string }> {
    const context: FailureContext = { account: 'the Klaviyo account', reconnect: 'Klaviyo', operation };
    const answer = await this.http.call(
      {
        method,
        url,
        headers: {
          Authorization: `Klaviyo-API-Key ${this.apiKey}`,
          revision: this.revision,
          Accept: JSON_API,
          ...(body === undefined ? {} : { 'Content-Type': JSON_API }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      { operation },
      { accept: accepted, classify: (failed) => this.classify(failed, context) },
    );
    return { status: answer.status, body: answer.bodyText };
  }

  private classify(response: HttpAnswer, context: FailureContext): ConnectorError {
    const operation = context.operation ?? 'calling Klaviyo';
    const apiErrors = klaviyoErrors(response.bodyText);
    // classifyHttpFailure quotes `errors`: hand it Klaviyo's codes and titles only, never a detail.
    const sanitised = JSON.stringify({ errors: apiErrors });
    const failure = classifyHttpFailure(SYSTEM, response.status, response.headers, sanitised, context);
    if (!(failure instanceof ConnectorAuthError)) return failure;
    const detail = `HTTP ${response.status}${apiErrors.length ? `: ${apiErrors.join('; ')}` : ''}`;
    const scopes = KLAVIYO_SCOPES.join(', ');
    return response.status === 401
      ? new ConnectorAuthError(
          `${SYSTEM} rejected the private API key while ${operation}: create a private API key in Klaviyo (Settings → API keys) with the scopes ${scopes} and reconnect Klaviyo in Meridian (the key was revoked or is wrong) [${detail}]`,
          SYSTEM,
          response.status,
        )
      : new ConnectorAuthError(
          `${SYSTEM} refused ${operation} to the private API key: give the key the scopes ${scopes} in Klaviyo (Settings → API keys), or create one that has them, and reconnect Klaviyo in Meridian [${detail}]`,
          SYSTEM,
          response.status,
        );
  }
}

/**
 * `equals(field,"value")`: Klaviyo takes double or single quotes; a value holding both cannot be
 * written in a filter (no email address does in practice).
 */
export function equalsFilter(field: string, value: string): string {
  if (!value.includes('"')) return `equals(${field},"${value}")`;
  if (!value.includes("'")) return `equals(${field},'${value}')`;
  throw new RangeError(`a ${field} holding both quote characters cannot be written in a Klaviyo filter`);
}

function suppressionPath(kind: KlaviyoSuppressionJobKind): string {
  return kind === 'create' ? 'profile-suppression-bulk-create-jobs' : 'profile-suppression-bulk-delete-jobs';
}

function checkBatch(values: string[], operation: string): void {
  if (values.length === 0 || values.length > KLAVIYO_BULK_LIMIT) {
    throw new RangeError(`${operation}: give 1 to ${KLAVIYO_BULK_LIMIT} profiles per job, not ${values.length}`);
  }
}

function isJobStatus(value: unknown): value is KlaviyoJobStatus {
  return value === 'queued' || value === 'processing' || value === 'complete' || value === 'cancelled';
}

function nextLink(body: Json | undefined): string | undefined {
  const next = (body?.links as { next?: unknown } | undefined)?.next;
  return typeof next === 'string' && next !== '' ? next : undefined;
}

/** "code: title (at /pointer)" for each of Klaviyo's errors; the `detail`, which may echo a value, is left out. */
export function klaviyoErrors(bodyText: string): string[] {
  const errors = jsonObject(bodyText)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.slice(0, 5).map((error: unknown) => {
    const fields = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      title?: unknown;
      source?: { pointer?: unknown; parameter?: unknown };
    };
    const where =
      typeof fields.source?.pointer === 'string'
        ? fields.source.pointer
        : typeof fields.source?.parameter === 'string'
          ? fields.source.parameter
          : '';
    const text = [
      typeof fields.code === 'string' ? fields.code : '',
      typeof fields.title === 'string' ? fields.title : '',
    ]
      .filter(Boolean)
      .join(': ');
    return `${text || 'error'}${where ? ` (at ${where.slice(0, 100)})` : ''}`;
  });
}
