import { AD_PLATFORM_LIMITS, type HashedPerson } from '../../domain/ad-audiences';
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
 * TikTok Marketing API v1.3, audience segment mapping (`POST /open_api/v1.3/segment/mapping/`): adds
 * (`action: "add"`) or removes (`"delete"`) people from audiences, each person one `batch_data` row
 * with an entry per `id_schema` key (EMAIL_SHA256, PHONE_SHA256) — `{id, audience_ids}`, or `{}`
 * when the person has none of that key. At most 10,000 rows per request.
 *
 * Auth: the `Access-Token` header. TikTok answers HTTP 200 with `{code, message, request_id, data}`;
 * `code` 0 is success. 40100 ("too many requests") → rate limited (no wait is given: the connection's
 * wait, default 10 s); 40102/40104/40105 (token expired, missing, invalid) and 40001 (no permission)
 * → reconnect; 50000/51xxx → transient; anything else → refused.
 *
 * Only hashes, IDs and counts are sent or quoted.
 */

export const TIKTOK_API: VendorApi = { system: 'TikTok', hosts: ['business-api.tiktok.com'] };
const SYSTEM = TIKTOK_API.system;
export const TIKTOK_URL = 'https://business-api.tiktok.com';
export const TIKTOK_DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;
export const TIKTOK_MAX_ROWS = AD_PLATFORM_LIMITS.tiktok.perRequest;
const AUTH_CODES = new Set([40001, 40102, 40104, 40105]);
const RATE_LIMIT_CODES = new Set([40100]);
const MAX_MESSAGE = 300;

export interface TikTokAudiencesOptions extends VendorHttpLimits {
  baseUrl?: string;
  accessToken: string;
  advertiserId: string;
  rateLimitWaitMs?: number;
}

export class TikTokAudiencesClient {
  private readonly baseUrl: string;
  private readonly http: VendorHttp;
  private readonly rateLimitWaitMs: number;

  constructor(private readonly opts: TikTokAudiencesOptions) {
    this.baseUrl = (opts.baseUrl ?? TIKTOK_URL).replace(/\/+$/, '');
    this.http = new VendorHttp(TIKTOK_API, { timeoutMs: opts.timeoutMs, maxRateLimitWaits: 0 });
    this.rateLimitWaitMs = opts.rateLimitWaitMs ?? TIKTOK_DEFAULT_RATE_LIMIT_WAIT_MS;
  }

  /** One segment/mapping request for up to 10,000 people; returns TikTok's request ID. */
  async changeMembers(audienceId: string, action: 'add' | 'delete', people: HashedPerson[]): Promise<string> {
    if (!/^\d+$/.test(audienceId)) throw new RangeError('a TikTok audience ID is digits only');
    if (people.length === 0 || people.length > TIKTOK_MAX_ROWS)
      throw new RangeError(`give 1 to ${TIKTOK_MAX_ROWS} people per request, not ${people.length}`);
    const hasEmail = people.some((p) => p.emails.length > 0);
    const hasPhone = people.some((p) => p.phones.length > 0);
    const idSchema = [...(hasEmail ? ['EMAIL_SHA256'] : []), ...(hasPhone ? ['PHONE_SHA256'] : [])];
    const entry = (id: string | undefined) => (id ? { id, audience_ids: [audienceId] } : {});
    const batchData = people.map((p) => [
      ...(hasEmail ? [entry(p.emails[0])] : []),
      ...(hasPhone ? [entry(p.phones[0])] : []),
    ]);
    const operation = `${action === 'add' ? 'adding people to' : 'removing people from'} audience ${audienceId}`;
    const answer = await this.http.call(
      {
        method: 'POST',
        url: `${this.baseUrl}/open_api/v1.3/segment/mapping/`,
        headers: { 'Access-Token': this.opts.accessToken, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          advertiser_ids: [this.opts.advertiserId],
          action,
          id_schema: idSchema,
          batch_data: batchData,
        }),
      },
      { account: `advertiser ${this.opts.advertiserId}`, operation },
      {
        succeeded: (a) => a.ok && jsonObject(a.bodyText)?.code === 0,
        classify: (a) => this.classify(a, operation),
      },
    );
    const requestId = jsonObject(answer.bodyText)?.request_id;
    return typeof requestId === 'string' ? requestId : '';
  }

  classify(response: HttpAnswer, operation: string): ConnectorError {
    const account = `TikTok advertiser ${this.opts.advertiserId}`;
    const body = jsonObject(response.bodyText);
    if (!response.ok || typeof body?.code !== 'number')
      return response.ok
        ? new ConnectorTransientError(
            `${SYSTEM} answered without its JSON envelope while ${operation}: retry later`,
            SYSTEM,
            response.status,
          )
        : classifyHttpFailure(SYSTEM, response.status, response.headers, '', {
            account,
            reconnect: 'the TikTok advertiser account',
            operation,
          });
    const code = body.code;
    const message = typeof body.message === 'string' ? body.message.slice(0, MAX_MESSAGE) : '';
    const detail = `code ${code}: ${message}${typeof body.request_id === 'string' ? ` [request_id ${body.request_id.slice(0, 40)}]` : ''}`;
    if (AUTH_CODES.has(code))
      return new ConnectorAuthError(
        `${SYSTEM} refused the access token for ${account} while ${operation}: reconnect the TikTok advertiser account in Meridian (the token expired or was revoked, or lacks the Audience Management permission) [${detail}]`,
        SYSTEM,
        response.status,
      );
    if (RATE_LIMIT_CODES.has(code))
      return new ConnectorRateLimited(
        `${SYSTEM} rate limit reached for ${account} while ${operation}: retry after ${this.rateLimitWaitMs / 1000} s [${detail}]`,
        SYSTEM,
        this.rateLimitWaitMs,
      );
    if (code === 50000 || (code >= 51000 && code < 52000))
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
