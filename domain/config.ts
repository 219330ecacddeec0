import { type ChannelConfig, parseChannelConfig } from './channel-config';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isCurrency } from './money';
import { parseRegionsOverride, RegionCatalog, resolveRegions } from './regions';
import { KeyringError, parseKeyring, SigningKeys } from './signing-keys';
import { LIMITS } from './tracking';
import { describeIssues } from './validation';

/**
 * Meridian's configuration, from environment variables only (secrets included). Every entry
 * point calls loadConfig() once and passes what it needs down.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  {
    message:
      'is not a PostgreSQL URL: expected postgres://USER[:PASSWORD]@HOST:PORT, e.g. postgres://postgres@127.0.0.1:5432',
  },
);

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432'),
  MERIDIAN_DB_SUFFIX: z
    .string()
    .regex(/^[a-z0-9_]{0,40}$/, 'use at most 40 lower-case letters, digits or _')
    .default(''),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected HOST:PORT, e.g. 127.0.0.1:7233')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('meridian'),
  TEMPORAL_UI_PORT: port.default(8233),
  /**
   * Workflow runs each worker process keeps in its sticky cache (the SDK's maxCachedWorkflows); unset:
   * the SDK's default from the heap size. A run pushed out replays its whole history at its next task.
   */
  MERIDIAN_WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).optional(),
  MERIDIAN_WEB_HOST: z.string().min(1).default('127.0.0.1'),
  MERIDIAN_WEB_PORT: port.default(3000),
  /** The operator listener: the codec for the Temporal UI and the detailed readiness report. Never the public port. */
  MERIDIAN_OPERATOR_HOST: z.string().min(1).default('127.0.0.1'),
  MERIDIAN_OPERATOR_PORT: port.default(3001),
  MERIDIAN_OPERATOR_TOKENS: z.string().optional(),
  /** Development only: the Temporal UI's origin may call the codec without a token, on a loopback listener. */
  MERIDIAN_OPERATOR_TRUST_LOCAL_UI: z.enum(['0', '1']).default('0'),
  /** `1`: `npm run migrate` also creates one least-privilege database role per region (db/database-roles.ts). */
  MERIDIAN_DB_ROLES: z.enum(['0', '1']).default('0'),
  MERIDIAN_PAYLOAD_KEYS: z.string().optional(),
  MERIDIAN_PAYLOAD_KEY_ID: z.string().optional(),
  /** Browser origins allowed to call the codec on the operator listener; by default the Temporal UI's own. */
  MERIDIAN_CODEC_CORS_ORIGINS: z.string().optional(),
  MERIDIAN_REGIONS_FILE: z.string().optional(),
  MERIDIAN_IDENTITY_HMAC_KEY: z.string().optional(),
  /** Master keys of everything the web server signs (links, tokens, keyed hashes), "id:base64key,…"; one key per purpose is derived from each. */
  MERIDIAN_SIGNING_KEYS: z.string().optional(),
  MERIDIAN_SIGNING_KEY_ID: z.string().optional(),
  /** Proxies in front of the web server whose X-Forwarded-For is believed: their addresses/CIDRs. */
  MERIDIAN_TRUST_PROXY: z.string().optional(),
  MERIDIAN_ADMIN_TOKENS: z.string().optional(),
  MERIDIAN_INGEST_RATE: z.coerce.number().int().min(1).default(50_000),
  MERIDIAN_INGEST_BYTES_RATE: z.coerce
    .number()
    .int()
    .min(Math.ceil(LIMITS.storedBatchBytes / 2), {
      error: 'must let a whole batch through: at least half of the stored batch limit',
    })
    .default(32 * 1024 * 1024),
  MERIDIAN_ECB_BASE_URL: z.url().default('https://www.ecb.europa.eu/stats/eurofxref'),
  MERIDIAN_DATA_DIR: z.string().default('.data'),
  /** The only folder a file import reads from, on each worker; default the data folder's imports/. */
  MERIDIAN_IMPORT_DIR: z.string().min(1).optional(),
  /** Where the worker writes files for other systems (a POS's loyalty file); default <MERIDIAN_DATA_DIR>/exports. */
  MERIDIAN_EXPORT_DIR: z.string().min(1).optional(),
  /**
   * TESTS ONLY: hosts (e.g. 127.0.0.1) where connectors may reach the emulators in test/emulators/, over
   * http and on loopback; read by connectors/http.ts. Never set in production.
   */
  MERIDIAN_CONNECTOR_HOST_OVERRIDE: z.string().optional(),
  /** Every database session's statement_timeout: a query running longer is cancelled. */
  MERIDIAN_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /** Every database session's idle_in_transaction_session_timeout: a transaction left idle longer is ended. */
  MERIDIAN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Seconds to wait for a database connection before failing. */
  MERIDIAN_DB_CONNECT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(10),
  /** SMTP server for privacy emails (verification codes, completion notices), e.g. smtp://127.0.0.1:1025. */
  MERIDIAN_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MERIDIAN_MAIL_FROM: z.string().min(3).default('Meridian Privacy <privacy@meridian.localhost>'),
  /** The From header of marketing email (journeys, broadcasts), sent through MERIDIAN_SMTP_URL. */
  MERIDIAN_MARKETING_MAIL_FROM: z.string().min(3).default('Meridian <news@meridian.localhost>'),
  /** SMS through a Twilio Messaging Service: all three, or none (no SMS channel). */
  MERIDIAN_TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-f]{32}$/, 'must be the Twilio Account SID: AC followed by 32 lower-case hex digits')
    .optional(),
  MERIDIAN_TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  MERIDIAN_TWILIO_MESSAGING_SERVICE_SID: z
    .string()
    .regex(/^MG[0-9a-f]{32}$/i, 'must be a Messaging Service SID: MG followed by 32 hex digits')
    .optional(),
  /** Broadcast sends started per second in each region, at most (the providers' rate). */
  MERIDIAN_BROADCAST_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Broadcast sends in flight at once in each region's batch (each holds a database connection a moment). */
  MERIDIAN_BROADCAST_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Pooled SMTP connections of each region's marketing mailer. */
  MERIDIAN_SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /** TESTS ONLY: the Twilio emulator's URL (called only under MERIDIAN_CONNECTOR_HOST_OVERRIDE). */
  MERIDIAN_TWILIO_BASE_URL: z.url().optional(),
  /** Milliseconds the SMTP server has to accept a connection, greet, and answer each command. */
  MERIDIAN_SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How requesters reach the web server, for links in emails; default the web server's own address. */
  MERIDIAN_PUBLIC_URL: z.url().optional(),
  /** Seconds a requester may cancel a deletion in before erasure begins. */
  MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(7 * 86_400),
  /** Days a link to a request's status works; the requester can have a new one emailed. */
  MERIDIAN_PRIVACY_STATUS_LINK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Privacy requests per hour one email address may file (ten times that per client address). */
  MERIDIAN_PRIVACY_REQUESTS_PER_HOUR: z.coerce.number().int().min(1).default(5),
  /** Console sign-in through a company's OpenID Connect provider: all four, or none. */
  MERIDIAN_OIDC_ISSUER: z.url().optional(),
  MERIDIAN_OIDC_CLIENT_ID: z.string().min(1).optional(),
  MERIDIAN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the provider sends the browser back: the public URL + /console/api/oidc/callback. */
  MERIDIAN_OIDC_REDIRECT_URL: z.url().optional(),
  MERIDIAN_REPORTING_CURRENCY: z
    .string()
    .refine(isCurrency, 'is not an ISO 4217 currency code: use e.g. EUR, USD or JPY')
    .default('EUR'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** JSON lines (production), or short human lines (set by `npm start` for its processes). */
  MERIDIAN_LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** `off`: no audience change rows on ingest and no audience processor (the ingest on/off benchmark). */
  MERIDIAN_AUDIENCES: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  /**
   * When the tracking API answers: 'committed' (default) once the calls are in the intake log;
   * 'processed' once they are written to profiles (read-your-writes; the web process then also
   * runs the intake processors, and throughput drops to the processor's).
   */
  MERIDIAN_INTAKE_ACK: z
    .enum(['committed', 'processed'], { error: 'must be committed or processed' })
    .default('committed'),
});

export interface DatabaseTimeouts {
  statementMs: number;
  idleInTransactionMs: number;
  connectSeconds: number;
}

export interface PayloadKeys {
  /** Key used to encrypt new payloads. */
  currentKeyId: string;
  /** Every key that may still be needed to decrypt, by ID. */
  keys: ReadonlyMap<string, Buffer>;
}

export interface AdminToken {
  token: string;
  /** Region names, or '*' for all. */
  regions: string[] | '*';
}

/**
 * Who may use the operator listener. A token holder decrypts every region's payloads, so a token
 * here is as strong as an admin token for all regions. `trustLocalUi` is the development
 * trade-off (the dev server's UI cannot send a token): see docs/security.md.
 */
export interface OperatorConfig {
  host: string;
  port: number;
  tokens: string[];
  trustLocalUi: boolean;
  /** Browser origins of the Temporal UI, allowed to call the codec (CORS); by default the dev UI's. */
  uiOrigins: string[];
}

export interface MeridianConfig {
  /** The PostgreSQL server and the user migrations run as (the databases' owner). */
  databaseUrl: string;
  /**
   * Per region (global included) that has one, `DATABASE_URL_<REGION>`: the URL its pools connect
   * with (a role that reaches only that region's database). Other regions use `databaseUrl`.
   */
  databaseUrls: Readonly<Record<string, string>>;
  /** Create the per-region database roles when migrating (`MERIDIAN_DB_ROLES=1`). */
  databaseRoles: boolean;
  databaseSuffix: string;
  temporal: { address: string; namespace: string; uiPort: number; workflowCacheSize?: number };
  web: {
    host: string;
    port: number;
    /** fastify's trustProxy: false, or the proxies' addresses/CIDRs. */
    trustProxy: false | string[];
  };
  operator: OperatorConfig;
  payloadKeys: PayloadKeys;
  regions: RegionCatalog;
  /** Key of the identifier blind index, the same in every region (so One ID works across them). Never derived, never rotated. */
  identityHmacKey: Buffer;
  /** Keys of the web server's links, tokens and keyed hashes, one per purpose (HKDF), versioned for rotation. */
  signingKeys: SigningKeys;
  /** Admin API tokens and the regions whose personal data each may read. */
  adminTokens: AdminToken[];
  /** Events per second one source may send (twice that in a burst); over it: 429. */
  ingestRatePerSource: number;
  /** Bytes per second one source may have stored (as stored: batch context merged into each item; twice that in a burst); over it: 429. */
  ingestBytesPerSource: number;
  /** Where the ECB euro reference rates are fetched from (its `eurofxref-*.xml` files). */
  ecbBaseUrl: string;
  privacy: {
    smtpUrl?: string;
    mailFrom: string;
    /** Connection, greeting and per-command timeout of the SMTP server, in ms. */
    smtpTimeoutMs: number;
    publicUrl: string;
    coolingOffSeconds: number;
    statusLinkDays: number;
    requestsPerHour: number;
  };
  /** Marketing channels (issue 12): activities/channels/wiring.ts builds each region's from these. */
  activation: {
    /** Email: the SMTP server (MERIDIAN_SMTP_URL, shared with privacy email) and the marketing From. */
    smtpUrl?: string;
    mailFrom: string;
    smtpTimeoutMs: number;
    twilio?: { accountSid: string; authToken: string; messagingServiceSid: string; baseUrl?: string };
    /** Broadcast sends started per second per region, at most. */
    broadcastPerSecond: number;
    /** Broadcast sends in flight at once per region. */
    broadcastConcurrency: number;
    /** Pooled SMTP connections per region's marketing mailer. */
    smtpPoolSize: number;
  };
  /** The currency headquarters reports in: every order's amount is also stored in it (DESIGN.md). */
  reportingCurrency: string;
  /** Console sign-in through OpenID Connect; absent when MERIDIAN_OIDC_* are not set. */
  oidc?: OidcConfig;
  /** The environment this config came from: region keys are read from it only where needed. */
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** The folder file imports read from (absolute). */
  importDir: string;
  /** The folder files for other systems are written to (absolute): a POS's loyalty file. */
  exportDir: string;
  /** TESTS ONLY: the connector host override (see MERIDIAN_CONNECTOR_HOST_OVERRIDE); '' when unset. */
  connectorHostOverride: string;
  /** Applied to every pool (db/connections.ts), so no query or forgotten transaction holds a connection for good. */
  databaseTimeouts: DatabaseTimeouts;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logFormat: z.infer<typeof envSchema>['MERIDIAN_LOG_FORMAT'];
  /** Audience processing (segments, computed traits, rule tags) kept current from ingest; off only to measure ingest without it. */
  audiences: boolean;
  /** MERIDIAN_INTAKE_ACK: when the tracking API answers (docs/design/ingestion.md). */
  intakeAck: 'committed' | 'processed';
  /** The channels' providers (push, LINE, webhook) and the providers' callback secrets (domain/channel-config.ts). */
  channels: ChannelConfig;
}

/** Parses `MERIDIAN_PAYLOAD_KEYS` ("id:base64key,id2:base64key") into 32-byte AES keys. */
export function parsePayloadKeys(keysText: string | undefined, currentKeyId: string | undefined): PayloadKeys {
  if (!keysText) {
    throw new ConfigError(
      'MERIDIAN_PAYLOAD_KEYS is not set: give one or more "keyId:base64Key" pairs of 32-byte keys ' +
        "(make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\")",
    );
  }
  const keys = new Map<string, Buffer>();
  for (const entry of keysText
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    if (at <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new ConfigError(
        'MERIDIAN_PAYLOAD_KEYS: each entry is "keyId:base64Key" with a key ID of letters, digits, . _ -',
      );
    }
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (key.length !== 32) {
      throw new ConfigError(
        `MERIDIAN_PAYLOAD_KEYS: key "${id}" is ${key.length} bytes; AES-256 needs 32 bytes, base64-encoded`,
      );
    }
    keys.set(id, key);
  }
  const current = currentKeyId ?? [...keys.keys()][0];
  if (!current || !keys.has(current)) {
    throw new ConfigError(`MERIDIAN_PAYLOAD_KEY_ID "${currentKeyId}" is not one of the keys in MERIDIAN_PAYLOAD_KEYS`);
  }
  return { currentKeyId: current, keys };
}

function parseHmacKey(text: string | undefined): Buffer {
  if (!text) {
    throw new ConfigError(
      'MERIDIAN_IDENTITY_HMAC_KEY is not set: give a base64-encoded 32-byte key, the same for every region',
    );
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new ConfigError(`MERIDIAN_IDENTITY_HMAC_KEY is ${key.length} bytes; it must be 32 bytes, base64-encoded`);
  return key;
}

function parseSigningKeys(text: string | undefined, currentId: string | undefined): SigningKeys {
  try {
    return new SigningKeys(parseKeyring('MERIDIAN_SIGNING_KEYS', text, currentId));
  } catch (error) {
    if (error instanceof KeyringError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Address ranges proxy-addr (fastify's trustProxy) knows by name. */
const NAMED_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `MERIDIAN_TRUST_PROXY`: the proxies (load balancers) in front of the web server whose
 * X-Forwarded-For is believed, as addresses or CIDRs ("10.0.0.0/8,192.168.1.7", or loopback,
 * linklocal, uniquelocal). Unset or "false": none, so the client is the socket's address. Every
 * proxy ("true") or a hop count would let a client choose its own address by writing the header
 * itself, so they are refused.
 */
export function parseTrustProxy(text: string | undefined): false | string[] {
  const value = text?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true' || /^\d+$/.test(value)) {
    throw new ConfigError(
      `MERIDIAN_TRUST_PROXY=${value} would believe X-Forwarded-For from anyone: give the addresses or CIDRs of the proxies in front of Meridian, e.g. 10.0.0.0/8`,
    );
  }
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (NAMED_PROXY_RANGES.includes(entry)) continue;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (!family || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(
        `MERIDIAN_TRUST_PROXY: "${entry}" is not an IP address or CIDR; give the proxies' addresses, e.g. 10.0.0.0/8,192.168.1.7`,
      );
    }
  }
  return entries;
}

/** `MERIDIAN_ADMIN_TOKENS="token:*,othertoken:eu+us"`; tokens of at least 24 characters. */
export function parseAdminTokens(text: string | undefined): AdminToken[] {
  if (!text) return [];
  return text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      const token = entry.slice(0, at);
      const regions = entry.slice(at + 1);
      if (at <= 0 || token.length < 24 || !regions) {
        throw new ConfigError(
          'MERIDIAN_ADMIN_TOKENS: each entry is "token:regions" (regions "*" or e.g. "eu+us"), tokens of 24+ characters',
        );
      }
      return { token, regions: regions === '*' ? '*' : regions.split('+') };
    });
}

/** `MERIDIAN_OPERATOR_TOKENS="token1,token2"`; tokens of at least 24 characters. */
export function parseOperatorTokens(text: string | undefined): string[] {
  if (!text) return [];
  const tokens = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.some((t) => t.length < 24 || /\s/.test(t))) {
    throw new ConfigError('MERIDIAN_OPERATOR_TOKENS: give comma-separated tokens of 24+ characters without spaces');
  }
  return tokens;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** True for the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function operatorConfig(e: z.infer<typeof envSchema>, env: NodeJS.ProcessEnv): OperatorConfig {
  const trustLocalUi = e.MERIDIAN_OPERATOR_TRUST_LOCAL_UI === '1';
  if (trustLocalUi && env.NODE_ENV === 'production') {
    throw new ConfigError(
      'MERIDIAN_OPERATOR_TRUST_LOCAL_UI=1 is for development only: in production give the codec MERIDIAN_OPERATOR_TOKENS',
    );
  }
  if (trustLocalUi && !isLoopbackHost(e.MERIDIAN_OPERATOR_HOST)) {
    throw new ConfigError(
      `MERIDIAN_OPERATOR_TRUST_LOCAL_UI=1 needs the operator listener on a loopback address, not ${e.MERIDIAN_OPERATOR_HOST}: ` +
        'set MERIDIAN_OPERATOR_HOST=127.0.0.1, or drop the setting and use MERIDIAN_OPERATOR_TOKENS',
    );
  }
  if (e.MERIDIAN_OPERATOR_HOST === e.MERIDIAN_WEB_HOST && e.MERIDIAN_OPERATOR_PORT === e.MERIDIAN_WEB_PORT) {
    throw new ConfigError(
      `MERIDIAN_OPERATOR_PORT ${e.MERIDIAN_OPERATOR_PORT} is the public web port: the operator listener needs its own`,
    );
  }
  const uiOrigins = (
    e.MERIDIAN_CODEC_CORS_ORIGINS ?? `http://localhost:${e.TEMPORAL_UI_PORT},http://127.0.0.1:${e.TEMPORAL_UI_PORT}`
  )
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    host: e.MERIDIAN_OPERATOR_HOST,
    port: e.MERIDIAN_OPERATOR_PORT,
    tokens: parseOperatorTokens(e.MERIDIAN_OPERATOR_TOKENS),
    trustLocalUi,
    uiOrigins,
  };
}

/** `DATABASE_URL_<REGION>` for each region that has one, checked like DATABASE_URL. */
function regionDatabaseUrls(regions: RegionCatalog, env: NodeJS.ProcessEnv): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const region of regions.regions) {
    const name = `DATABASE_URL_${region.name.toUpperCase()}`;
    const value = env[name];
    if (value === undefined || value === '') continue;
    const parsed = postgresUrl.safeParse(value);
    if (!parsed.success) throw new ConfigError(`${name} ${parsed.error.issues[0]!.message}`);
    urls[region.name] = value;
  }
  return urls;
}

function channelConfig(env: NodeJS.ProcessEnv): ChannelConfig {
  try {
    return parseChannelConfig(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): MeridianConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, '', { first: true, separator: ' ' }));
  const e = parsed.data;
  let regionsText: string | undefined;
  if (e.MERIDIAN_REGIONS_FILE) {
    try {
      regionsText = readFileSync(e.MERIDIAN_REGIONS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `MERIDIAN_REGIONS_FILE ${e.MERIDIAN_REGIONS_FILE} cannot be read: ${(error as Error).message}`,
      );
    }
  }
  const regions = resolveRegions(
    regionsText === undefined
      ? undefined
      : parseRegionsOverride(regionsText, `MERIDIAN_REGIONS_FILE ${e.MERIDIAN_REGIONS_FILE}`),
  );
  return {
    databaseUrl: e.DATABASE_URL,
    databaseUrls: regionDatabaseUrls(regions, env),
    databaseRoles: e.MERIDIAN_DB_ROLES === '1',
    databaseSuffix: e.MERIDIAN_DB_SUFFIX,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiPort: e.TEMPORAL_UI_PORT,
      ...(e.MERIDIAN_WORKFLOW_CACHE_SIZE !== undefined ? { workflowCacheSize: e.MERIDIAN_WORKFLOW_CACHE_SIZE } : {}),
    },
    web: { host: e.MERIDIAN_WEB_HOST, port: e.MERIDIAN_WEB_PORT, trustProxy: parseTrustProxy(e.MERIDIAN_TRUST_PROXY) },
    operator: operatorConfig(e, env),
    payloadKeys: parsePayloadKeys(e.MERIDIAN_PAYLOAD_KEYS, e.MERIDIAN_PAYLOAD_KEY_ID),
    regions,
    identityHmacKey: parseHmacKey(e.MERIDIAN_IDENTITY_HMAC_KEY),
    signingKeys: parseSigningKeys(e.MERIDIAN_SIGNING_KEYS, e.MERIDIAN_SIGNING_KEY_ID),
    adminTokens: parseAdminTokens(e.MERIDIAN_ADMIN_TOKENS),
    ingestRatePerSource: e.MERIDIAN_INGEST_RATE,
    ingestBytesPerSource: e.MERIDIAN_INGEST_BYTES_RATE,
    ecbBaseUrl: e.MERIDIAN_ECB_BASE_URL.replace(/\/$/, ''),
    reportingCurrency: e.MERIDIAN_REPORTING_CURRENCY,
    ...oidcConfig(e),
    privacy: {
      ...(e.MERIDIAN_SMTP_URL ? { smtpUrl: e.MERIDIAN_SMTP_URL } : {}),
      mailFrom: e.MERIDIAN_MAIL_FROM,
      smtpTimeoutMs: e.MERIDIAN_SMTP_TIMEOUT_MS,
      publicUrl: (
        e.MERIDIAN_PUBLIC_URL ??
        `http://${e.MERIDIAN_WEB_HOST === '0.0.0.0' ? '127.0.0.1' : e.MERIDIAN_WEB_HOST}:${e.MERIDIAN_WEB_PORT}`
      ).replace(/\/$/, ''),
      coolingOffSeconds: e.MERIDIAN_PRIVACY_COOLING_OFF_SECONDS,
      statusLinkDays: e.MERIDIAN_PRIVACY_STATUS_LINK_DAYS,
      requestsPerHour: e.MERIDIAN_PRIVACY_REQUESTS_PER_HOUR,
    },
    activation: {
      ...(e.MERIDIAN_SMTP_URL ? { smtpUrl: e.MERIDIAN_SMTP_URL } : {}),
      mailFrom: e.MERIDIAN_MARKETING_MAIL_FROM,
      smtpTimeoutMs: e.MERIDIAN_SMTP_TIMEOUT_MS,
      broadcastPerSecond: e.MERIDIAN_BROADCAST_PER_SECOND,
      broadcastConcurrency: e.MERIDIAN_BROADCAST_CONCURRENCY,
      smtpPoolSize: e.MERIDIAN_SMTP_POOL_SIZE,
      ...twilioConfig(e),
    },
    env,
    dataDir: e.MERIDIAN_DATA_DIR,
    importDir: resolve(e.MERIDIAN_IMPORT_DIR ?? join(e.MERIDIAN_DATA_DIR, 'imports')),
    exportDir: resolve(e.MERIDIAN_EXPORT_DIR ?? join(e.MERIDIAN_DATA_DIR, 'exports')),
    connectorHostOverride: e.MERIDIAN_CONNECTOR_HOST_OVERRIDE?.trim() ?? '',
    databaseTimeouts: {
      statementMs: e.MERIDIAN_DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionMs: e.MERIDIAN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectSeconds: e.MERIDIAN_DB_CONNECT_TIMEOUT_SECONDS,
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.MERIDIAN_LOG_FORMAT,
    audiences: e.MERIDIAN_AUDIENCES === 'on',
    intakeAck: e.MERIDIAN_INTAKE_ACK,
    channels: channelConfig(env),
  };
}

/** The PostgreSQL role of a region on this deployment (db/database-roles.ts): `meridian_eu`, `meridian_global` … */
export function databaseRoleName(config: Pick<MeridianConfig, 'databaseSuffix'>, region: { name: string }): string {
  return config.databaseSuffix ? `meridian_${region.name}_${config.databaseSuffix}` : `meridian_${region.name}`;
}

/** The database name of a region on this deployment (the suffix isolates test runs). */
export function databaseName(config: Pick<MeridianConfig, 'databaseSuffix'>, region: { database: string }): string {
  return config.databaseSuffix ? `${region.database}_${config.databaseSuffix}` : region.database;
}

/** The Twilio Messaging Service for SMS: all three settings or none. */
function twilioConfig(e: z.infer<typeof envSchema>): Pick<MeridianConfig['activation'], 'twilio'> {
  const sid = e.MERIDIAN_TWILIO_ACCOUNT_SID;
  const token = e.MERIDIAN_TWILIO_AUTH_TOKEN;
  const service = e.MERIDIAN_TWILIO_MESSAGING_SERVICE_SID;
  if (!sid && !token && !service) return {};
  if (!sid || !token || !service)
    throw new ConfigError(
      'SMS needs MERIDIAN_TWILIO_ACCOUNT_SID, MERIDIAN_TWILIO_AUTH_TOKEN and MERIDIAN_TWILIO_MESSAGING_SERVICE_SID together: set all three, or none for no SMS',
    );
  return {
    twilio: {
      accountSid: sid,
      authToken: token,
      messagingServiceSid: service,
      ...(e.MERIDIAN_TWILIO_BASE_URL ? { baseUrl: e.MERIDIAN_TWILIO_BASE_URL } : {}),
    },
  };
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
}

function oidcConfig(e: {
  MERIDIAN_OIDC_ISSUER?: string | undefined;
  MERIDIAN_OIDC_CLIENT_ID?: string | undefined;
  MERIDIAN_OIDC_CLIENT_SECRET?: string | undefined;
  MERIDIAN_OIDC_REDIRECT_URL?: string | undefined;
}): { oidc?: OidcConfig } {
  const values = [
    e.MERIDIAN_OIDC_ISSUER,
    e.MERIDIAN_OIDC_CLIENT_ID,
    e.MERIDIAN_OIDC_CLIENT_SECRET,
    e.MERIDIAN_OIDC_REDIRECT_URL,
  ];
  if (values.every((v) => !v)) return {};
  if (values.some((v) => !v))
    throw new ConfigError(
      'MERIDIAN_OIDC_ISSUER, MERIDIAN_OIDC_CLIENT_ID, MERIDIAN_OIDC_CLIENT_SECRET and MERIDIAN_OIDC_REDIRECT_URL go together: set all four for OpenID Connect sign-in, or none',
    );
  return {
    oidc: {
      issuer: e.MERIDIAN_OIDC_ISSUER!,
      clientId: e.MERIDIAN_OIDC_CLIENT_ID!,
      clientSecret: e.MERIDIAN_OIDC_CLIENT_SECRET!,
      redirectUrl: e.MERIDIAN_OIDC_REDIRECT_URL!,
    },
  };
}
