import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
  classifyHttpFailure,
} from './errors';
import { HttpAnswer, jsonObject, VendorApi } from './http';

/**
 * Meta's Graph API, what its clients share (custom audiences in connectors/meta-audiences, Lead Ads
 * in connectors/meta-leads): the host, the version, and how its errors are read.
 *
 * Graph errors come as `{error:{message, type, code, error_subcode, fbtrace_id}}`, mostly with HTTP 400,
 * so they are classified by `code`: 190 (and 102/104/463/467) → the token is bad, reconnect;
 * 10/200–299 → a permission is missing, reconnect; 4/17/32/613/80000–80014 → rate limited; 1/2 or
 * `is_transient` → transient; anything else → the request was refused. Meta gives no Retry-After:
 * the wait is `estimated_time_to_regain_access` (minutes) of the object's `x-business-use-case-usage`
 * entry, else a default (60 s).
 */

export const META_API: VendorApi = { system: 'Meta', hosts: ['graph.facebook.com'] };
const SYSTEM = META_API.system;
export const META_GRAPH_URL = 'https://graph.facebook.com';
export const META_API_VERSION = 'v21.0';
export const META_DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
const MAX_MESSAGE = 300;

const AUTH_CODES = new Set([102, 104, 190, 463, 467]);
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const TRANSIENT_CODES = new Set([1, 2]);

export interface GraphError {
  code: number;
  transient: boolean;
  /** "(#190/460) OAuthException: message [fbtrace_id …]" */
  text: string;
}

export function graphError(bodyText: string): GraphError | undefined {
  const error = jsonObject(bodyText)?.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null || typeof error.code !== 'number') return undefined;
  const subcode = typeof error.error_subcode === 'number' ? `/${error.error_subcode}` : '';
  const type = typeof error.type === 'string' ? `${error.type}: ` : '';
  const message = typeof error.message === 'string' ? error.message.slice(0, MAX_MESSAGE) : '';
  const trace = typeof error.fbtrace_id === 'string' ? ` [fbtrace_id ${error.fbtrace_id.slice(0, 40)}]` : '';
  return {
    code: error.code,
    transient: error.is_transient === true,
    text: `(#${error.code}${subcode}) ${type}${message}${trace}`,
  };
}

/** `estimated_time_to_regain_access` (minutes) of `objectId`'s x-business-use-case-usage entries, else `defaultMs`. */
export function graphRateLimitWait(headers: Headers, objectId: string, defaultMs: number): number {
  let minutes = 0;
  try {
    const usage = JSON.parse(headers.get('x-business-use-case-usage') ?? '{}') as Record<string, unknown>;
    const entries = usage[objectId] ?? Object.values(usage).flat();
    for (const entry of Array.isArray(entries) ? entries : []) {
      const value = (entry as { estimated_time_to_regain_access?: unknown } | null)?.estimated_time_to_regain_access;
      if (typeof value === 'number' && value > minutes) minutes = value;
    }
  } catch {
    // an unreadable header leaves the default
  }
  return minutes > 0 ? minutes * 60_000 : defaultMs;
}

export interface GraphCallContext {
  /** Named in messages: "ad account act_1", "Facebook Page 2". */
  account: string;
  operation: string;
  /** What to reconnect: "the Meta ad account". */
  reconnect: string;
  /** Why a token is refused, for the reconnect message. */
  tokenHint: string;
  /** Which permissions to grant when one is missing. */
  permissionHint: string;
  /** The object whose x-business-use-case-usage entry says how long to wait. */
  usageObjectId: string;
  defaultRateLimitWaitMs: number;
}

/** Graph's error by code (see the module comment); a body without one falls back to the HTTP rules. */
export function classifyGraphFailure(response: HttpAnswer, context: GraphCallContext): ConnectorError {
  const { account, operation, reconnect } = context;
  const graph = graphError(response.bodyText);
  if (!graph)
    return classifyHttpFailure(SYSTEM, response.status, response.headers, '', { account, reconnect, operation });
  const detail = `HTTP ${response.status}: ${graph.text}`;
  const { code } = graph;
  if (AUTH_CODES.has(code)) {
    return new ConnectorAuthError(
      `${SYSTEM} rejected the access token for ${account} while ${operation}: reconnect ${reconnect} in Meridian (${context.tokenHint}) [${detail}]`,
      SYSTEM,
      response.status,
    );
  }
  if (code === 10 || (code >= 200 && code <= 299)) {
    return new ConnectorAuthError(
      `${SYSTEM} refused ${operation} for ${account}: reconnect ${reconnect} in Meridian and ${context.permissionHint} [${detail}]`,
      SYSTEM,
      response.status,
    );
  }
  if (RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014)) {
    const waitMs = graphRateLimitWait(response.headers, context.usageObjectId, context.defaultRateLimitWaitMs);
    return new ConnectorRateLimited(
      `${SYSTEM} rate limit reached for ${account} while ${operation}: retry after ${waitMs / 1000} s [${detail}]`,
      SYSTEM,
      waitMs,
    );
  }
  if (TRANSIENT_CODES.has(code) || graph.transient || response.status >= 500) {
    return new ConnectorTransientError(
      `${SYSTEM} failed on its side for ${account} while ${operation} [${detail}]: retry later`,
      SYSTEM,
      response.status,
    );
  }
  return new ConnectorRequestError(
    `${SYSTEM} refused the request for ${account} while ${operation} [${detail}]`,
    SYSTEM,
    response.status,
    graph.text,
  );
}
