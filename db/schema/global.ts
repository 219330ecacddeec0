import {
  bigint,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { SourceKind } from '../../domain/sources';
import type { IdentityProvenance } from '../../domain/identity-provenance';
import { bytea } from './column-types';
import type { ConsoleRole } from '../../domain/console-access';

/**
 * The global database: configuration, pseudonymous identity tokens and aggregates only,
 * never raw personal data (DESIGN.md, rule 1).
 */

export interface RegionHealthSummary {
  region: string;
  taskQueue: string;
  workerIdentity: string;
  attempts: number;
  latencyP50Ms: number;
  latencyMaxMs: number;
}

/** The outcome of one regionHealth workflow: which worker answered for each region. */
export const regionHealthReports = pgTable('region_health_reports', {
  workflowId: text('workflow_id').primaryKey(),
  regions: jsonb('regions').$type<RegionHealthSummary[]>().notNull(),
  reportedAt: timestamp('reported_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A source (store, app, connector) and its write key. The key is stored only as a SHA-256 hash
 * (keys are 32 random bytes, so a fast hash is enough); the hint is its last 4 characters.
 * On rotation the previous key keeps working until `previousKeyValidUntil`.
 */
export const sources = pgTable(
  'sources',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    /**
     * Where the write key lives. `browser`: in web pages and apps, so it is public — anyone may send
     * with it, and what it says about who someone is, is unverified. `server`: kept secret on the
     * brand's servers. Rows made before kinds existed are `browser`, the kind that trusts least.
     */
    kind: text('kind').$type<SourceKind>().notNull().default('browser'),
    /** Web origins (scheme://host[:port]) whose pages may call the tracking API with this key (CORS). */
    allowedOrigins: text('allowed_origins').array().notNull().default([]),
    /** The brand the source belongs to (`brands.id`); existing sources moved to the default brand. */
    brandId: text('brand_id').notNull().default('default'),
    writeKeyHash: bytea('write_key_hash').notNull(),
    writeKeyHint: text('write_key_hint').notNull(),
    previousWriteKeyHash: bytea('previous_write_key_hash'),
    previousKeyValidUntil: timestamp('previous_key_valid_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    /**
     * The webhook secret (POST /v1/sources/:id/webhook), sealed with the source's region key: it must be
     * read back to check a signature, so it cannot be only hashed; shown once when issued.
     */
    webhookSecretSealed: bytea('webhook_secret_sealed'),
    webhookSecretHint: text('webhook_secret_hint'),
    webhookSecretIssuedAt: timestamp('webhook_secret_issued_at', { withTimezone: true }),
    /** The declarative mapping of posted records (domain/webhook-mapping.ts); null: no webhook. */
    webhookMapping: jsonb('webhook_mapping'),
  },
  (t) => [
    uniqueIndex('sources_write_key_hash').on(t.writeKeyHash),
    index('sources_previous_write_key_hash').on(t.previousWriteKeyHash),
  ],
);

/** One ID across regions: blind-index token → customer ID. No identifier values, no personal data. */
export const identityIndex = pgTable(
  'identity_index',
  {
    type: text('type').notNull(),
    blindIndex: bytea('blind_index').notNull(),
    customerId: uuid('customer_id').notNull(),
    /** As the region's identity row: privacy requests follow only trusted links (domain/identity-provenance.ts). */
    provenance: text('provenance').$type<IdentityProvenance>().notNull().default('browser'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.type, t.blindIndex] }), index('identity_index_customer').on(t.customerId)],
);

/** Every customer ID, the region that first saw them, and the regions holding a part of them. */
export const customers = pgTable(
  'customers',
  {
    customerId: uuid('customer_id').primaryKey(),
    homeRegion: text('home_region').notNull(),
    regions: text('regions').array().notNull(),
    mergedInto: uuid('merged_into'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // A privacy request looks at every profile merged into the person it found.
  (t) => [index('customers_merged_into').on(t.mergedInto)],
);

/** The workspace's identity resolution rules (validated by domain/identity-rules.ts). */
export const identityRulesConfig = pgTable('identity_rules', {
  workspace: text('workspace').primaryKey(),
  rules: jsonb('rules').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Euro foreign exchange reference rates, one row per business day and currency: units of the
 * currency per 1 EUR, as the ECB publishes them (`source` 'ecb'), or from a supplementary source
 * for currencies the ECB does not quote (e.g. KWD). Not personal data: global.
 */
export const fxRates = pgTable(
  'fx_rates',
  {
    rateDate: date('rate_date').notNull(),
    currency: text('currency').notNull(),
    perEur: numeric('per_eur', { precision: 24, scale: 10 }).notNull(),
    source: text('source').notNull(),
    fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.rateDate, t.currency] })],
);

/**
 * A connector: a store, marketplace or file drop that Meridian syncs on a schedule. Pinned to one
 * region, whose worker runs its syncs and whose database holds what it brings in and its sealed
 * credentials. The settings here are not secret and hold no personal data (store URL, time zone,
 * column mapping …); they are validated by the connector's definition in `connectors/`.
 */
export const connectors = pgTable(
  'connectors',
  {
    id: text('id').primaryKey(),
    system: text('system').notNull(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    /** The brand the connector belongs to (`brands.id`); existing connectors moved to the default brand. */
    brandId: text('brand_id').notNull().default('default'),
    settings: jsonb('settings').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('connectors_region').on(t.region)],
);

/**
 * Request counters every web server shares (the privacy portal's limits per email and per client):
 * one row per key, counting hits in the current fixed window of the database's clock. A key is an
 * HMAC of what is limited (web/request-limits.ts), never an email or an address. Rows whose
 * window has passed are swept.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: bytea('key').primaryKey(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    hits: integer('hits').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('rate_limit_counters_expires').on(t.expiresAt)],
);

/*
 * The audience layer (issue 11, docs/design/audiences.md). Definitions live here, in the global
 * database: they hold no personal data. What they produce per person (trait values, tag
 * assignments, segment membership) lives in each region's database, keyed by customer ID.
 */

/**
 * A brand of the workspace (a group with several brands). One ID stays group-wide. A brand that is
 * a separate controller under privacy law records consent under its own name; the others share
 * the group's consent. The migration creates `default`, which owns everything made before brands.
 */
export const brands = pgTable('brands', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  separateController: boolean('separate_controller').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Whether `userBrand` may use the data `ownerBrand` collected. No row: not allowed. */
export const brandSharing = pgTable(
  'brand_sharing',
  {
    ownerBrand: text('owner_brand').notNull(),
    userBrand: text('user_brand').notNull(),
    allowed: boolean('allowed').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ownerBrand, t.userBrand] })],
);

/**
 * The workspace's data-schema rules (domain/data-categories.ts), versioned: each change is a new
 * row, the newest is in force, and moving stored values to the new classification is the
 * reclassification workflow named here.
 */
export const dataSchemaVersions = pgTable('data_schema_versions', {
  version: integer('version').primaryKey(),
  rules: jsonb('rules').notNull(),
  changedBy: text('changed_by').notNull(),
  reclassificationWorkflowId: text('reclassification_workflow_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A computed trait's definition (built in or a marketer's), per brand or for the group (`brandId` null). */
export const computedTraits = pgTable('computed_traits', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  brandId: text('brand_id'),
  definition: jsonb('definition').notNull(),
  builtIn: boolean('built_in').notNull().default(false),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A tag: labels per language, an owner (`group` for a central tag, or a region for a local one),
 * a brand (null: the group's) and where it comes from: a rule (a segment), a model (a prediction)
 * or a manual upload.
 */
export const tags = pgTable(
  'tags',
  {
    key: text('key').primaryKey(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    owner: text('owner').notNull(),
    brandId: text('brand_id'),
    source: text('source').$type<'rule' | 'model' | 'manual'>().notNull(),
    segmentId: text('segment_id'),
    model: text('model'),
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('tags_owner').on(t.owner)],
);

/** A segment: owner (`group` or a region), brand, and its current definition version. */
export const segments = pgTable('segments', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  owner: text('owner').notNull(),
  brandId: text('brand_id'),
  version: integer('version').notNull(),
  definition: jsonb('definition').notNull(),
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every version of every segment definition: an update never loses what the segment was. */
export const segmentVersions = pgTable(
  'segment_versions',
  {
    segmentId: text('segment_id').notNull(),
    version: integer('version').notNull(),
    definition: jsonb('definition').notNull(),
    changedBy: text('changed_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.segmentId, t.version] })],
);

/**
 * Ad audiences (issue 12): a segment kept in step with an audience on an ad platform (Meta custom
 * audience, Google Customer Match user list, TikTok audience) through a connector of that platform.
 * The sync runs in the connector's region, for that region's members (workflows/ad-audience-sync.ts).
 * Configuration only: who is in the audience is kept in the region (`ad_audience_members`).
 */
export const adAudiences = pgTable('ad_audiences', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  segmentId: text('segment_id').notNull(),
  connectorId: text('connector_id').notNull(),
  platform: text('platform').$type<'meta' | 'google' | 'tiktok'>().notNull(),
  /** The platform's own audience / user list ID. */
  platformAudienceId: text('platform_audience_id').notNull(),
  region: text('region').notNull(),
  /** The last failure that stopped the sync (e.g. "reconnect …"), cleared by the next good pass. */
  lastError: text('last_error'),
  lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A message template's versions (issue 12, content): per brand and channel, a variant per locale.
 * An update adds a version; sends name `id` (latest) or `id@version`. No personal data.
 */
export const messageTemplates = pgTable(
  'message_templates',
  {
    id: text('id').notNull(),
    version: integer('version').notNull(),
    brandId: text('brand_id').notNull(),
    name: text('name').notNull(),
    channel: text('channel').notNull(),
    defaultLocale: text('default_locale').notNull(),
    variants: jsonb('variants').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] }), index('message_templates_brand').on(t.brandId)],
);

/**
 * A broadcast (issue 12): one message to a segment's members in one region, at a local time in each
 * person's zone. The definition only; who gets it when is planned in the region (`broadcast_recipients`).
 */
export const broadcasts = pgTable(
  'broadcasts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    brandId: text('brand_id').notNull(),
    segmentId: text('segment_id').notNull(),
    channel: text('channel').notNull(),
    templateRef: text('template_ref').notNull(),
    localTime: text('local_time').notNull(),
    localDate: text('local_date'),
    whenPassed: text('when_passed').notNull(),
    fallbackZone: text('fallback_zone').notNull(),
    status: text('status').notNull().default('draft'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('broadcasts_region').on(t.region)],
);

/**
 * A journey (issue 12): a graph one person walks (domain/journeys.ts). `owner` is "group" (runs in
 * every region) or one region. `status` paused stops new runs and holds runs in flight before their
 * next step; `version` is the published version new runs take.
 */
export const journeys = pgTable('journeys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  owner: text('owner').notNull(),
  brandId: text('brand_id').notNull(),
  status: text('status').$type<'active' | 'paused'>().notNull().default('active'),
  version: integer('version').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every published version of a journey's graph. `runsMove`: chosen at publish — runs in flight on
 * earlier versions move to this one at their next step (true) or finish on theirs (false).
 */
export const journeyVersions = pgTable(
  'journey_versions',
  {
    journeyId: text('journey_id').notNull(),
    version: integer('version').notNull(),
    graph: jsonb('graph').notNull(),
    runsMove: boolean('runs_move').notNull().default(false),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.journeyId, t.version] })],
);

/**
 * A brand's loyalty programme (issue 14, domain/loyalty.ts): earn rules, tiers, benefits and expiry
 * as data, one per brand, versioned in place. Definitions only: members and ledgers are regional.
 */
export const loyaltyProgrammes = pgTable('loyalty_programmes', {
  brandId: text('brand_id').primaryKey(),
  definition: jsonb('definition').notNull(),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Member IDs, group-wide: one per person, whichever brand they enrol with, with the region holding
 * their ledger. Pseudonymous (a drawn number and the customer ID), like the identity index, so a
 * till anywhere finds the member's home region from the card.
 */
export const loyaltyMemberIds = pgTable(
  'loyalty_member_ids',
  {
    memberId: text('member_id').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    homeRegion: text('home_region').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('loyalty_member_ids_customer').on(t.customerId)],
);

/*
 * Console access (issue 13, docs/design/console.md "Access"). A console user's email and name are
 * the workforce's own contact details, not customers' personal data: the global database holds them
 * so one sign-in reaches every region the user's scope allows.
 */

/** A console user: one role, a scope of brands × regions, preferences; an argon2id hash or an OIDC link. */
export const consoleUsers = pgTable(
  'console_users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Lower-cased, so sign-in is case-insensitive. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** argon2id (PHC string); null for a user who signs in only through OIDC. */
    passwordHash: text('password_hash'),
    role: text('role').$type<ConsoleRole>().notNull(),
    /** `['*']` for every brand / region, else the list. */
    brands: text('brands').array().notNull(),
    regions: text('regions').array().notNull(),
    locale: text('locale').notNull().default('en'),
    timeZone: text('time_zone').notNull().default('UTC'),
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('console_users_email').on(t.email),
    uniqueIndex('console_users_oidc').on(t.oidcIssuer, t.oidcSubject),
  ],
);

/**
 * A console session. The cookie carries 32 random bytes; only their SHA-256 is stored, so a copy
 * of this table signs no one in. Idle expiry slides with use, the absolute one does not.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    idHash: bytea('id_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => consoleUsers.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    idleExpiresAt: timestamp('idle_expires_at', { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp('absolute_expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('console_sessions_user').on(t.userId), index('console_sessions_expiry').on(t.idleExpiresAt)],
);

/*
 * Insight aggregates for HQ (issue 13, docs/design/console.md "Insights"): counts and sums only,
 * computed in each region from its own data by the insightsRefresh workflow and copied here. No
 * customer ID, no value of a person: the smallest group is a (day, market, brand) of a region.
 */

/**
 * Orders per local business day × market (the order's country) × brand (its source's). People are
 * counted where they can be added up: `newCustomers` on the day of their first order, `repeaters`
 * on the day of their second; `activeCustomers` and `returningCustomers` are that day's distinct
 * buyers (a range sums them as buyer-days). Revenue is in the reporting currency's minor units.
 */
export const insightDaily = pgTable(
  'insight_daily',
  {
    day: date('day').notNull(),
    region: text('region').notNull(),
    market: text('market').notNull(),
    brandId: text('brand_id').notNull(),
    orders: integer('orders').notNull(),
    revenueMinor: bigint('revenue_minor', { mode: 'bigint' }).notNull(),
    activeCustomers: integer('active_customers').notNull(),
    returningCustomers: integer('returning_customers').notNull(),
    newCustomers: integer('new_customers').notNull(),
    repeaters: integer('repeaters').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.region, t.market, t.brandId] })],
);

/** Events per local day and local hour, in each person's own zone (the event's), per brand. */
export const insightActivity = pgTable(
  'insight_activity',
  {
    day: date('day').notNull(),
    region: text('region').notNull(),
    brandId: text('brand_id').notNull(),
    hour: integer('hour').notNull(),
    events: integer('events').notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.region, t.brandId, t.hour] })],
);

/** Per region and channel, now: people consented, reachable (consented, not bounced or complained), engaged (sent to in 90 days). */
export const insightChannels = pgTable(
  'insight_channels',
  {
    region: text('region').notNull(),
    channel: text('channel').notNull(),
    consented: integer('consented').notNull(),
    reachable: integer('reachable').notNull(),
    engaged: integer('engaged').notNull(),
  },
  (t) => [primaryKey({ columns: [t.region, t.channel] })],
);

/** Customers by first-order month (cohort) × market × brand who ordered again `monthOffset` months later. */
export const insightCohorts = pgTable(
  'insight_cohorts',
  {
    region: text('region').notNull(),
    market: text('market').notNull(),
    brandId: text('brand_id').notNull(),
    cohort: text('cohort').notNull(),
    monthOffset: integer('month_offset').notNull(),
    customers: integer('customers').notNull(),
  },
  (t) => [primaryKey({ columns: [t.region, t.market, t.brandId, t.cohort, t.monthOffset] })],
);

/** When each region's aggregates were last replaced. */
export const insightRefreshes = pgTable('insight_refreshes', {
  region: text('region').primaryKey(),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull(),
});
