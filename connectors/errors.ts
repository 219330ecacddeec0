/**
 * The failures every connector can meet, classified once: the activity layer turns `retryable`
 * into Temporal's retry or non-retryable ApplicationFailure, so nothing here knows about Temporal.
 *
 * Messages carry the system, the account, the HTTP status and the API's own error text — never
 * a response body, which may hold personal data.
 */

/** Shopify and most APIs ask for this wait when they throttle without saying how long. */
export const DEFAULT_RETRY_AFTER_MS = 2_000;
/** Longer API error texts are cut: they are for a person reading a log line. */
const MAX_ERROR_TEXT = 500;

export abstract class ConnectorError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly system: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The credentials were refused (401) or lack a permission (403): a person must reconnect. */
export class ConnectorAuthError extends ConnectorError {
  override readonly name = 'ConnectorAuthError';
  readonly retryable = false;
}

/** Throttled (429): retry after `retryAfterMs`. */
export class ConnectorRateLimited extends ConnectorError {
  override readonly name = 'ConnectorRateLimited';
  readonly retryable = true;
  constructor(
    message: string,
    system: string,
    readonly retryAfterMs: number,
  ) {
    super(message, system, 429);
  }
}

/** 5xx, timeouts, network errors, an answer that is not the JSON promised: retrying may succeed. */
export class ConnectorTransientError extends ConnectorError {
  override readonly name = 'ConnectorTransientError';
  readonly retryable = true;
}

/**
 * Meridian itself refused to send the call: the URL is not on the vendor's own API hosts, not https, or
 * resolves to a private, loopback or link-local address (connectors/http.ts). Not retryable: the
 * connector's URL setting must be fixed.
 */
export class ConnectorHostRefused extends ConnectorError {
  override readonly name = 'ConnectorHostRefused';
  readonly retryable = false;
}

/**
 * What an API cannot do and a person must: the message says where to click. Not retryable — the same
 * call would be refused again — so the workflow turns it into an operator's task.
 */
export class ManualActionRequired extends ConnectorError {
  override readonly name = 'ManualActionRequired';
  readonly retryable = false;
  constructor(
    message: string,
    system: string,
    /** The step by step, for the task (also at the start of `message`). */
    readonly action: string,
    /** The vendor records the action concerns, e.g. Shopify customer IDs. */
    readonly records: string[],
    status?: number,
  ) {
    super(message, system, status);
  }
}

/** Any other 4xx: the request itself was refused, so sending it again would be refused again. */
export class ConnectorRequestError extends ConnectorError {
  override readonly name = 'ConnectorRequestError';
  readonly retryable = false;
  constructor(
    message: string,
    system: string,
    status: number,
    /** The API's error text, e.g. Shopify's `errors`; empty when it gave none. */
    readonly apiErrors: string,
  ) {
    super(message, system, status);
  }
}

export interface FailureContext {
  /** Whose credentials, e.g. "shop meridian-demo.myshopify.com". */
  account?: string;
  /** What the account is called where the user reconnects it, e.g. "the store"; default "the account". */
  reconnect?: string;
  /** What was being done, e.g. "listing orders". */
  operation?: string;
}

/**
 * The HTTP failure rules, in one place: 401/403 → auth; 429 → rate limited after Retry-After
 * (seconds, decimals allowed; default 2 s); 5xx → transient; any other status → request error.
 */
export function classifyHttpFailure(
  system: string,
  status: number,
  headers: Headers,
  bodyText: string,
  context: FailureContext = {},
): ConnectorError {
  const apiErrors = errorText(bodyText);
  const forAccount = context.account ? ` for ${context.account}` : '';
  const during = context.operation ? ` while ${context.operation}` : '';
  const detail = `HTTP ${status}${apiErrors ? `: ${apiErrors}` : ''}`;
  const reconnect = context.reconnect ?? 'the account';

  if (status === 401) {
    return new ConnectorAuthError(
      `${system} rejected the access token${forAccount}: reconnect ${reconnect} in Meridian (the token was revoked or is wrong) [${detail}]`,
      system,
      status,
    );
  }
  if (status === 403) {
    return new ConnectorAuthError(
      `${system} refused access${forAccount}${during}: reconnect ${reconnect} in Meridian and approve the permissions it asks for [${detail}]`,
      system,
      status,
    );
  }
  if (status === 429) {
    const retryAfterMs = retryAfter(headers.get('retry-after'));
    return new ConnectorRateLimited(
      `${system} rate limit reached${forAccount}${during}: retry after ${retryAfterMs / 1000} s [${detail}]`,
      system,
      retryAfterMs,
    );
  }
  if (status >= 500 && status <= 599) {
    return new ConnectorTransientError(
      `${system} failed on its side${forAccount}${during} [${detail}]: retry later`,
      system,
      status,
    );
  }
  return new ConnectorRequestError(
    `${system} refused the request${forAccount}${during} [${detail}]`,
    system,
    status,
    apiErrors,
  );
}

function retryAfter(header: string | null): number {
  return retryAfterMs(header) ?? DEFAULT_RETRY_AFTER_MS;
}

/** Retry-After in seconds (decimals allowed) or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/**
 * The API's own error text from a JSON body (`errors`, `error`, `error_description`, `message`), or
 * '' — a body that is not JSON (an edge's HTML page) is never echoed.
 */
function errorText(bodyText: string): string {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return '';
  }
  if (typeof body !== 'object' || body === null) return '';
  const fields = body as Record<string, unknown>;
  const value = fields.errors ?? fields.error_description ?? fields.error ?? fields.message;
  const text = flatten(value);
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).filter(Boolean).join('; ');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([field, inner]) => `${field}: ${flatten(inner)}`)
      .join('; ');
  }
  return value === undefined || value === null ? '' : String(value);
}

/**
 * Text bound for an error message with e-mail addresses and phone numbers taken out: a vendor's error
 * text can quote what was sent. `digitRuns` also takes out numbers written without a leading +
 * (an SMS provider's texts quote numbers so); otherwise only +… runs go, so dates and IDs stay readable.
 */
export function redactPersonal(text: string, options: { digitRuns?: boolean } = {}): string {
  const phone = options.digitRuns ? /\+?\d[\d\s().-]{5,}\d/g : /\+\d[\d\s().-]{5,}\d/g;
  return text.replace(/[^\s@'"<>(),:{}[\]]+@[^\s@'"<>(),:{}[\]]+/g, '[email]').replace(phone, '[phone]');
}

/**
 * The rules of a vendor that answers in a JSON envelope with its own error code (Lazada, Shopee,
 * TikTok Shop): which codes mean what, and what to tell the person who must act. The code is read
 * first (these vendors answer many failures with HTTP 200), then the status.
 */
export interface EnvelopeRules {
  system: string;
  /** What the account is called where it is reconnected, e.g. "the Lazada seller account". */
  reconnect: string;
  /** The request signature was refused: the app secret or key is wrong. */
  signErrors: ReadonlySet<string>;
  /** What to do about a refused signature, e.g. "the app secret does not belong to app key 1. Enter …". */
  signAdvice: string;
  /** The access token is unknown, expired or revoked. */
  tokenErrors: ReadonlySet<string>;
  /** Why an access token may be refused, for the message. */
  tokenCause: string;
  /** The refresh token is refused (vendors that refresh). */
  refreshErrors?: ReadonlySet<string>;
  refreshCause?: string;
  rateLimitErrors: ReadonlySet<string>;
  serverErrors: ReadonlySet<string>;
  /** A refused access token, as the client wants it thrown (a subclass it refreshes on); default ConnectorAuthError. */
  tokenRefused?: (message: string, system: string, status: number) => ConnectorAuthError;
}

export interface EnvelopeAnswer {
  status: number;
  headers: Headers;
  /** Undefined when the body was not the vendor's envelope. */
  envelope?: {
    /** The vendor's error code as text; '' when none. */
    code: string;
    /** The vendor's code and message, cut (never the rest of the body). */
    apiErrors: string;
    /** The vendor marks the failure as its own (Lazada's type "ISP"). */
    serverSide?: boolean;
  };
}

/** Without Retry-After, throttled waits double from DEFAULT_RETRY_AFTER_MS up to this. */
const MAX_ENVELOPE_BACKOFF_MS = 60_000;

/**
 * One failure of an enveloped vendor, classified: signature → auth; refresh token refused (or any token
 * refusal while refreshing) → auth; access token refused or 401/403 → auth (or the client's subclass);
 * 429 or a throttling code → rate limited (Retry-After, else doubling waits); 5xx or a server code →
 * transient; a 2xx without the envelope → transient; anything else → request error.
 */
export function classifyEnvelopeFailure(
  answer: EnvelopeAnswer,
  rules: EnvelopeRules,
  context: { account: string; operation: string; waits: number; refreshing?: boolean },
): ConnectorError {
  const { status, headers, envelope } = answer;
  const { system } = rules;
  const code = envelope?.code ?? '';
  const apiErrors = envelope?.apiErrors ?? '';
  const detail = `HTTP ${status}${apiErrors ? `: ${apiErrors}` : ''}`;
  const at = `for ${context.account} while ${context.operation}`;
  const refused = status === 401 || status === 403;
  const throttled = rules.rateLimitErrors.has(code);

  if (rules.signErrors.has(code)) {
    return new ConnectorAuthError(
      `${system} refused the request signature ${at}: ${rules.signAdvice} [${detail}]`,
      system,
      status,
    );
  }
  if (
    rules.refreshErrors?.has(code) ||
    (context.refreshing && (rules.tokenErrors.has(code) || (refused && !throttled)))
  ) {
    return new ConnectorAuthError(
      `${system} refused the refresh token ${at}: reconnect ${rules.reconnect} in Meridian (${rules.refreshCause ?? rules.tokenCause}) [${detail}]`,
      system,
      status,
    );
  }
  if (rules.tokenErrors.has(code) || (refused && !throttled)) {
    const message = `${system} rejected the access token ${at}: reconnect ${rules.reconnect} in Meridian (${rules.tokenCause}) [${detail}]`;
    return rules.tokenRefused?.(message, system, status) ?? new ConnectorAuthError(message, system, status);
  }
  if (status === 429 || throttled) {
    const waitMs =
      retryAfterMs(headers.get('retry-after')) ??
      Math.min(MAX_ENVELOPE_BACKOFF_MS, DEFAULT_RETRY_AFTER_MS * 2 ** context.waits);
    return new ConnectorRateLimited(
      `${system} rate limit reached ${at}: retry after ${waitMs / 1000} s [${detail}]`,
      system,
      waitMs,
    );
  }
  if ((status >= 500 && status <= 599) || rules.serverErrors.has(code) || envelope?.serverSide) {
    return new ConnectorTransientError(`${system} failed on its side ${at} [${detail}]: retry later`, system, status);
  }
  if (!envelope && status >= 200 && status <= 299) {
    // A 2xx that is not the JSON envelope (cut short, an edge's page): the body is never echoed.
    return new ConnectorTransientError(
      `${system} answered HTTP ${status} without its JSON envelope ${at}: retry later`,
      system,
      status,
    );
  }
  return new ConnectorRequestError(`${system} refused the request ${at} [${detail}]`, system, status, apiErrors);
}

/** A vendor's code and message ("IllegalAccessToken: The specified access token is invalid"), cut to `max`. */
export function envelopeErrorText(parts: readonly unknown[], max = 200): string {
  const text = parts
    .filter((part) => part !== undefined && part !== null && String(part).trim() !== '')
    .map(String)
    .join(': ');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A 2xx whose body is not what the API documents: transient (a vendor's hiccup), retried later. */
export function malformedAnswer(
  system: string,
  account: string,
  what: string,
  operation: string,
): ConnectorTransientError {
  return new ConnectorTransientError(
    `${system} answered without a well-formed ${what} for ${account} while ${operation}: retry later`,
    system,
    200,
  );
}
