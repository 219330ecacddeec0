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
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { bytea } from './column-types';
import type { IdentityProvenance } from '../../domain/identity-provenance';

/**
 * Tables that exist once per region database. Personal data lives only here (DESIGN.md, rule 1).
 */

/** One probe of a region's database by that region's worker, written by the regionHealth workflow. */
export const regionHealthProbes = pgTable(
  'region_health_probes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workflowId: text('workflow_id').notNull(),
    region: text('region').notNull(),
    workerIdentity: text('worker_identity').notNull(),
    /** Activity attempts it took; above 1 after a worker crash or a retry. */
    attempts: integer('attempts').notNull(),
    samples: integer('samples').notNull(),
    latencyP50Ms: real('latency_p50_ms').notNull(),
    latencyMaxMs: real('latency_max_ms').notNull(),
    probedAt: timestamp('probed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Keyed by the natural key so that a retried activity records its probe once (rule 4).
  (t) => [uniqueIndex('region_health_probes_workflow_region').on(t.workflowId, t.region)],
);

/**
 * A person's profile in this region. `customerId` is the person's One ID, the same in every
 * region that holds a part of them. The data key seals every personal value of the profile;
 * it is stored only wrapped by the region key, and destroying it shreds the profile.
 */
export const profiles = pgTable(
  'profiles',
  {
    customerId: uuid('customer_id').primaryKey(),
    dataKeyWrapped: bytea('data_key_wrapped'),
    /** Set when this profile was merged into another; its data key stays to read old events. */
    mergedInto: uuid('merged_into'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('profiles_merged_into').on(t.mergedInto)],
);

/** Identifiers of a profile: blind index to find, sealed value to read. */
export const identities = pgTable(
  'identities',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    type: text('type').notNull(),
    blindIndex: bytea('blind_index').notNull(),
    /** Sealed with the data key of `sealedWith` (the profile that first held it). */
    valueSealed: bytea('value_sealed').notNull(),
    sealedWith: uuid('sealed_with').notNull(),
    sourceId: text('source_id').notNull(),
    /**
     * Who vouches that this identifier is the profile's (domain/identity-provenance.ts): a browser
     * claim, the brand's server, a connector, or the person. Rows older than provenance are
     * `browser`, the value that trusts least. A trusted assertion upgrades a browser claim.
     */
    provenance: text('provenance').$type<IdentityProvenance>().notNull().default('browser'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('identities_type_blind_index').on(t.type, t.blindIndex),
    index('identities_customer').on(t.customerId),
  ],
);

/** Latest value of each trait, reconciled: newest wins, then the more trusted source. */
export const traits = pgTable(
  'traits',
  {
    customerId: uuid('customer_id').notNull(),
    name: text('name').notNull(),
    valueSealed: bytea('value_sealed').notNull(),
    sealedWith: uuid('sealed_with').notNull(),
    observedAt: timestamp('observed_at', { withTimezone: true }).notNull(),
    sourceId: text('source_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.name] })],
);

/** (source, messageId) seen, kept apart from the partitioned event log so a duplicate is caught at any age. */
export const eventMessageIds = pgTable(
  'event_message_ids',
  {
    sourceId: text('source_id').notNull(),
    messageId: text('message_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.messageId] })],
);

/**
 * The event log, partitioned by month of receipt (migration creates the parent; the ingest
 * writer creates each month's partition before its first row). Properties, traits and context
 * are sealed with the profile's data key; type, name and times stay plain for analytics.
 */
export const events = pgTable(
  'events',
  {
    id: uuid('id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    sourceId: text('source_id').notNull(),
    messageId: text('message_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    sealedWith: uuid('sealed_with').notNull(),
    type: text('type').notNull(),
    event: text('event'),
    timestamp: timestamp('timestamp', { withTimezone: true }).notNull(),
    originalTimestamp: timestamp('original_timestamp', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    timestampFlag: text('timestamp_flag'),
    timezone: text('timezone'),
    locale: text('locale'),
    payloadSealed: bytea('payload_sealed').notNull(),
    /**
     * The properties (and, for identify, the traits) whose data category is not identifying
     * (domain/data-categories.ts), queryable for segments. Null when there are none.
     */
    properties: jsonb('properties'),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.receivedAt] }),
    index('events_customer_time').on(t.customerId, t.timestamp),
    // Segments: who did an event within a window, without reading every person's events.
    index('events_event_time').on(t.event, t.timestamp, t.customerId),
  ],
);

/** Every merge, for the profile API and for audits. No identifier values. */
export const mergeHistory = pgTable(
  'merge_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    fromCustomerId: uuid('from_customer_id').notNull(),
    intoCustomerId: uuid('into_customer_id').notNull(),
    linkedBy: text('linked_by').notNull(),
    workflowId: text('workflow_id'),
    eventsMoved: integer('events_moved'),
    identitiesMoved: integer('identities_moved'),
    mergedAt: timestamp('merged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // A profile is merged away once: a retried merge records nothing new.
  (t) => [uniqueIndex('merge_history_from').on(t.fromCustomerId)],
);

/**
 * Outbox of merges decided at ingest, written in the same transaction as the events that
 * linked the profiles; a drainer starts the identity-merge workflow for each and deletes it.
 * So a crash between commit and workflow start loses no merge.
 */
export const mergeRequests = pgTable('merge_requests', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  fromCustomerId: uuid('from_customer_id').notNull(),
  intoCustomerId: uuid('into_customer_id').notNull(),
  linkedBy: text('linked_by').notNull(),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Merges that wait for an operator (issue 8, item 3): a browser source claimed an identifier
 * (email, phone) that another profile holds. Anyone can claim any email with a public write key,
 * so the two profiles stay apart until GET/POST /admin/held-merges approves or rejects the link.
 * One row per pair: a repeated claim adds nothing, and a rejection stays rejected.
 */
export const heldMerges = pgTable(
  'held_merges',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The profile the claiming call went to. */
    fromCustomerId: uuid('from_customer_id').notNull(),
    /** The profile that holds the claimed identifier. */
    intoCustomerId: uuid('into_customer_id').notNull(),
    linkedBy: text('linked_by').notNull(),
    sourceId: text('source_id').notNull(),
    /** pending, approved, rejected */
    status: text('status').notNull().default('pending'),
    heldAt: timestamp('held_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** Why the operator decided so (free text from the operator, never shown to the visitor). */
    note: text('note'),
  },
  (t) => [
    uniqueIndex('held_merges_pair').on(t.fromCustomerId, t.intoCustomerId),
    index('held_merges_status').on(t.status, t.heldAt),
  ],
);

/** A connector's secrets (access tokens, API keys), sealed with the region key; only this region's worker opens them. */
export const connectorCredentials = pgTable('connector_credentials', {
  connectorId: text('connector_id').primaryKey(),
  credentialsSealed: bytea('credentials_sealed').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Per connector and stream: where the next incremental pass starts, written when a pass completes. */
export const connectorStreams = pgTable(
  'connector_streams',
  {
    connectorId: text('connector_id').notNull(),
    stream: text('stream').notNull(),
    since: timestamp('since', { withTimezone: true }),
    lastPassCompletedAt: timestamp('last_pass_completed_at', { withTimezone: true }),
    lastPassRecords: integer('last_pass_records'),
  },
  (t) => [primaryKey({ columns: [t.connectorId, t.stream] })],
);

/**
 * The one sync of a connector allowed to run: taken at the start of a sync, renewed by every page
 * and released at the end. A sync that finds another's live lease ends as skipped, so a
 * connector's syncs never overlap, however they were started (schedule, API, Temporal UI).
 */
export const connectorLeases = pgTable('connector_leases', {
  connectorId: text('connector_id').primaryKey(),
  syncId: text('sync_id').notNull(),
  workflowId: text('workflow_id').notNull(),
  acquiredAt: timestamp('acquired_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** One sync, from its start to its end state, with its counts and the error it ended on. */
export const syncRuns = pgTable(
  'sync_runs',
  {
    /** `<workflowId>/<first run ID>`: stable across continue-as-new. */
    syncId: text('sync_id').primaryKey(),
    connectorId: text('connector_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    status: text('status').notNull(),
    pages: integer('pages').notNull().default(0),
    customers: integer('customers').notNull().default(0),
    orders: integer('orders').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('sync_runs_connector').on(t.connectorId, t.startedAt)],
);

/**
 * Where a sync's current activity call got to in a stream, after each stored page: a retried call
 * (worker crash, timeout) continues from here rather than from the call's start.
 */
export const syncCheckpoints = pgTable(
  'sync_checkpoints',
  {
    syncId: text('sync_id').notNull(),
    stream: text('stream').notNull(),
    /** The page the call started at: identifies the call. */
    callPageNo: integer('call_page_no').notNull(),
    pageNo: integer('page_no').notNull(),
    progress: jsonb('progress').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.syncId, t.stream] })],
);

/** Records a sync could not take, with the reason (field and rule, never the value). */
export const syncRejections = pgTable(
  'sync_rejections',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    syncId: text('sync_id').notNull(),
    connectorId: text('connector_id').notNull(),
    stream: text('stream').notNull(),
    pageNo: integer('page_no').notNull(),
    itemNo: integer('item_no').notNull(),
    externalId: text('external_id'),
    reason: text('reason').notNull(),
    rejectedAt: timestamp('rejected_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // A retried page records its rejections once (rule 4).
  (t) => [uniqueIndex('sync_rejections_position').on(t.syncId, t.stream, t.pageNo, t.itemNo)],
);

/**
 * Orders from stores and marketplaces, one row per (source, order ID), newest version kept.
 * Money in minor units with its currency, plus the amount in the reporting currency at the rate
 * of the order's local date (the rate day used and whether it was an earlier one, kept for
 * audit). Time as a UTC instant plus the store's zone, with the local date and hour. No personal
 * values: the buyer is the resolved customer ID.
 */
export const orders = pgTable(
  'orders',
  {
    sourceId: text('source_id').notNull(),
    externalId: text('external_id').notNull(),
    customerId: uuid('customer_id'),
    customerExternalId: text('customer_external_id'),
    orderNumber: text('order_number'),
    currency: text('currency').notNull(),
    totalMinor: bigint('total_minor', { mode: 'bigint' }).notNull(),
    subtotalMinor: bigint('subtotal_minor', { mode: 'bigint' }),
    taxMinor: bigint('tax_minor', { mode: 'bigint' }),
    reportingCurrency: text('reporting_currency').notNull(),
    reportingTotalMinor: bigint('reporting_total_minor', { mode: 'bigint' }),
    fxRate: numeric('fx_rate', { precision: 30, scale: 12 }),
    fxRateDate: date('fx_rate_date'),
    /** True when the local date had no rate and the last earlier day's was used. */
    fxFallback: boolean('fx_fallback'),
    /** Why there is no reporting amount (no rate for the currency or date), to fix and re-convert. */
    fxProblem: text('fx_problem'),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    timeZone: text('time_zone').notNull(),
    localDate: date('local_date').notNull(),
    localHour: smallint('local_hour').notNull(),
    status: text('status').notNull(),
    financialStatus: text('financial_status'),
    countryCode: text('country_code'),
    lineItemCount: integer('line_item_count').notNull(),
    sourceUpdatedAt: timestamp('source_updated_at', { withTimezone: true }).notNull(),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.sourceId, t.externalId] }),
    // A person's orders in time order, with what a segment's order condition sums in a window
    // (db/segments-store.ts): checking a person's window is an index-only range, no heap visit.
    index('orders_customer_placed').on(
      t.customerId,
      t.placedAt,
      t.status,
      t.reportingTotalMinor,
      t.sourceId,
      t.currency,
    ),
    index('orders_local_date').on(t.localDate),
  ],
);

/** The person's place for consent: their jurisdiction's defaults apply where they made no choice. */
export const consentSubjects = pgTable(
  'consent_subjects',
  {
    customerId: uuid('customer_id').primaryKey(),
    country: text('country').notNull(),
    usState: text('us_state'),
    jurisdiction: text('jurisdiction').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Segments: the people of a market, and those whose jurisdiction grants a purpose by default
    // (db/segments-store.ts), as index-only ranges instead of a scan of every subject.
    index('consent_subjects_country').on(t.country, t.customerId),
    index('consent_subjects_jurisdiction').on(t.jurisdiction, t.customerId),
  ],
);

/**
 * Every consent choice, append-only: the audit history. Proof is a reference (request ID, TCF
 * string hash, form submission), never personal data. A re-delivered choice is stored once.
 */
export const consentRecords = pgTable(
  'consent_records',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    purpose: text('purpose').notNull(),
    state: text('state').notNull(),
    source: text('source').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
    proofKind: text('proof_kind').notNull(),
    proofReference: text('proof_reference').notNull(),
    /** The brand the choice was given to where brands are separate controllers; null: the group. */
    brandId: text('brand_id'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('consent_records_customer').on(t.customerId, t.purpose, t.recordedAt),
    // Per brand scope: the same form submission may record a choice for the group and for a brand.
    uniqueIndex('consent_records_once').on(
      t.customerId,
      t.purpose,
      t.source,
      t.proofKind,
      t.proofReference,
      t.recordedAt,
      sql`coalesce(brand_id, '')`,
    ),
  ],
);

/** A change of effective consent to push to every connected system of the region. */
export const consentPropagations = pgTable(
  'consent_propagations',
  {
    id: text('id').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    /** [{ purpose, before, after }]: states, no personal data. */
    changes: jsonb('changes').notNull(),
    /** The consent scope changed: a separate-controller brand (pushed to its systems only), or null for the group. */
    brandId: text('brand_id'),
    status: text('status').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('consent_propagations_customer').on(t.customerId, t.createdAt)],
);

/** Where a propagation stands in each connected system; what the preference centre shows. */
export const consentPropagationSystems = pgTable(
  'consent_propagation_systems',
  {
    propagationId: text('propagation_id').notNull(),
    connectorId: text('connector_id').notNull(),
    system: text('system').notNull(),
    /** pending, in-progress, retrying, done, not-found, failed, waiting-on-operator, not-applicable */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    evidence: jsonb('evidence'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.propagationId, t.connectorId] })],
);

/**
 * The consent outbox: propagations recorded (in the same transaction as the change) whose workflow
 * has not been started yet. The caller starts it right after the commit and removes the row; if
 * Temporal is unreachable then, the sweeper (temporal/consent-outbox.ts) starts it later, so an
 * opt-out is never lost to a Temporal hiccup. Propagations the privacy saga starts itself (as a
 * child workflow) are not put here.
 */
export const consentPropagationOutbox = pgTable('consent_propagation_outbox', {
  propagationId: text('propagation_id').primaryKey(),
  customerId: uuid('customer_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Privacy requests (access, deletion, correction, opt-out, restriction), kept in the region of the
 * requester's country. The requester's email is sealed with the region key (and its blind index
 * finds the person); it is destroyed once the request is answered.
 */
export const privacyRequests = pgTable(
  'privacy_requests',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    status: text('status').notNull(),
    country: text('country').notNull(),
    usState: text('us_state'),
    jurisdiction: text('jurisdiction').notNull(),
    locale: text('locale').notNull(),
    emailSealed: bytea('email_sealed'),
    emailBlindIndex: bytea('email_blind_index').notNull(),
    detailsSealed: bytea('details_sealed'),
    verificationCodeHash: bytea('verification_code_hash'),
    verificationExpiresAt: timestamp('verification_expires_at', { withTimezone: true }),
    verificationAttempts: integer('verification_attempts').notNull().default(0),
    customerId: uuid('customer_id'),
    duplicateOf: text('duplicate_of'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    dueDate: date('due_date').notNull(),
    extendedDueDate: date('extended_due_date'),
    extensionReason: text('extension_reason'),
    coolingOffUntil: timestamp('cooling_off_until', { withTimezone: true }),
    /** Kinds of notice already sent to the requester, so a retried activity does not write twice. */
    notified: text('notified').array().notNull().default([]),
    /** null, "due-soon" (a reminder went out) or "overdue" (escalated). */
    deadlineState: text('deadline_state'),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** What was erased or exported where, when, with the vendors' evidence: no personal values. */
    certificate: jsonb('certificate'),
  },
  (t) => [
    index('privacy_requests_email').on(t.emailBlindIndex, t.type),
    index('privacy_requests_status').on(t.status, t.dueDate),
  ],
);

/** Each system's part in a privacy request: Meridian's own databases and every connected system. */
export const privacyRequestSystems = pgTable(
  'privacy_request_systems',
  {
    requestId: text('request_id').notNull(),
    /** The region whose systems these are: a person may be held in several. */
    region: text('region').notNull(),
    /** A connector ID, or "meridian" for this region's database. */
    connectorId: text('connector_id').notNull(),
    system: text('system').notNull(),
    operation: text('operation').notNull(),
    /** pending, in-progress, retrying, waiting-on-vendor, submitted-unverifiable, done, not-found, failed, waiting-on-operator, held */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    evidence: jsonb('evidence'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.region, t.connectorId, t.operation] })],
);

/** Data that must be kept despite an erasure request (tax records, a dispute), with why and by whom. */
export const legalHolds = pgTable(
  'legal_holds',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    /** What is held: "orders" (e.g. tax retention) or "all". */
    scope: text('scope').notNull(),
    reason: text('reason').notNull(),
    placedBy: text('placed_by').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [index('legal_holds_customer').on(t.customerId)],
);

/** People whose marketing and ingestion are stopped while a deletion request runs (reversible until erasure). */
export const suppressions = pgTable('suppressions', {
  customerId: uuid('customer_id').primaryKey(),
  requestId: text('request_id').notNull(),
  suppressedAt: timestamp('suppressed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The identifiers an erasure needs to reach the connected systems, copied (sealed) at the point of
 * no return so that Meridian's own copy can be destroyed at once; destroyed when the request ends.
 */
export const privacyErasureSets = pgTable(
  'privacy_erasure_sets',
  {
    requestId: text('request_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    identifiersSealed: bytea('identifiers_sealed').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.customerId] })],
);

/**
 * A privacy request's own key (wrapped by the region key): what the request copies of a person (an
 * access package, an erasure set) is sealed with it, and destroying the row makes every copy of
 * those, in backups too, unreadable — as destroying a profile's data key does for the profile.
 */
export const privacyRequestKeys = pgTable('privacy_request_keys', {
  requestId: text('request_id').primaryKey(),
  keyWrapped: bytea('key_wrapped').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** An access request's export package (zip of JSON and CSV), sealed with the request's key, served behind a signed, expiring link until it expires. */
export const privacyExports = pgTable(
  'privacy_exports',
  {
    requestId: text('request_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    packageSealed: bytea('package_sealed').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.customerId] })],
);

/*
 * The audience layer (issue 11, docs/design/audiences.md): per-person values keyed only by
 * customer ID, no identifying values (those stay sealed in `traits` and `events.payload_sealed`).
 * Erasure deletes these rows with the rest of the person.
 */

/** The latest non-identifying value of each trait, queryable. The sealed copy stays in `traits`. */
export const profileTraits = pgTable(
  'profile_traits',
  {
    customerId: uuid('customer_id').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    category: text('category').notNull(),
    sourceId: text('source_id').notNull(),
    observedAt: timestamp('observed_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.key] }),
    // A segment's `eq` / `in` on a trait: the people with that value, in customer order
    // (db/segments-store.ts valueHash). The hash keeps entries small whatever the value's size.
    index('profile_traits_key_value_hash').on(t.key, sql`jsonb_hash(${t.value})`, t.customerId),
    // The same for short values (all but free text and big objects): the value itself in the
    // entry, so `eq` / `in` is an index-only range with no heap visit to recheck the value
    // (db/segments-store.ts traitValueSet); the source is there for a brand's visibility.
    index('profile_traits_key_short_value')
      .on(t.key, t.value, t.customerId, t.sourceId)
      .where(sql`octet_length(value::text) <= 256`),
  ],
);

/** Which data categories each source brought into this region (the data map), no values. */
export const dataFlows = pgTable(
  'data_flows',
  {
    sourceId: text('source_id').notNull(),
    scope: text('scope').notNull(),
    category: text('category').notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.scope, t.category] })],
);

/**
 * People whose audience inputs changed (an event, an order, a trait, consent, a tag), written in
 * the same transaction as the change. The audience processor claims rows, recomputes the person's
 * computed traits, then their segment membership, then rule tags, and deletes the rows.
 */
export const audienceChanges = pgTable(
  'audience_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    cause: text('cause').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audience_changes_customer').on(t.customerId),
    // The people whose facts may be behind (db/audience-facts-store.ts changesAwaitingFacts, read by
    // every preview and recompute): found without reading the notes of Meridian's own passes, which a
    // full recompute writes by the hundred thousand. The predicate is that query's (its NEITHER list),
    // so PostgreSQL proves the query's condition implies it; a test checks the plan uses it.
    index('audience_changes_awaiting_facts')
      .on(t.customerId)
      .where(
        sql`cause <> all('{trait,tag,computed,segment,prediction,loyalty,identify,group,alias}'::text[]) and cause not like 'computed:%'`,
      ),
  ],
);

/** A computed trait's current value for a person (`computed_traits.id` in the global database). */
export const computedTraitValues = pgTable(
  'computed_trait_values',
  {
    customerId: uuid('customer_id').notNull(),
    traitId: text('trait_id').notNull(),
    value: jsonb('value'),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.traitId] }), index('computed_trait_values_trait').on(t.traitId)],
);

/**
 * Per person, event name and source: how many such events there are and the latest few instants
 * (newest first, at most AUDIENCE_RECENT_EVENTS of db/audience-facts-store.ts); plus a row for all
 * sources together (source `*`), which the group's segments read. Kept by the audience processor
 * from the events table for the people whose events changed, so an event condition ("at least 2 in
 * 30 days") is answered exactly from one row per person instead of their events.
 */
export const eventFacts = pgTable(
  'event_facts',
  {
    customerId: uuid('customer_id').notNull(),
    event: text('event').notNull(),
    sourceId: text('source_id').notNull(),
    total: integer('total').notNull(),
    recent: timestamp('recent', { withTimezone: true }).array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.event, t.sourceId] }),
    // Who did an event: an index-only scan, the counts and instants in each entry.
    index('event_facts_event').on(t.event, t.sourceId, t.customerId, t.total, t.recent),
  ],
);

/**
 * The latest instants of `event_facts`' all-sources rows one per row: the k-th latest `at` of a
 * person's event (k from 1). "At least k within N days" is then a range of one index,
 * (event, k, at ≥ now − N days), that holds exactly the people who qualify, instead of every
 * person who ever did the event checked one by one. Rebuilt with the facts it repeats
 * (db/audience-facts-store.ts).
 */
export const eventFactsRecent = pgTable(
  'event_facts_recent',
  {
    customerId: uuid('customer_id').notNull(),
    event: text('event').notNull(),
    k: smallint('k').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.event, t.k] }),
    index('event_facts_recent_window').on(t.event, t.k, t.at, t.customerId),
  ],
);

/**
 * Per person, store and currency: their orders that count (not cancelled), the sum in the
 * reporting currency (minor units), the sum of the positive amounts (a bound on any window's sum)
 * and the first and last order instants; plus a row for all stores and currencies (`*`, `*`).
 * Kept by the audience processor from the orders table.
 */
export const orderFacts = pgTable(
  'order_facts',
  {
    customerId: uuid('customer_id').notNull(),
    sourceId: text('source_id').notNull(),
    currency: text('currency').notNull(),
    orders: integer('orders').notNull(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    positiveAmount: bigint('positive_amount', { mode: 'bigint' }).notNull(),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.sourceId, t.currency] }),
    // Who ordered lately (all stores): by last order, the sums in each entry (index-only).
    index('order_facts_all_last')
      .on(t.lastAt, t.customerId, t.orders, t.amount, t.positiveAmount, t.firstAt)
      .where(sql`source_id = '*' and currency = '*'`),
  ],
);

/**
 * Per person, purpose and consent scope (a separate controller's brand, or `` for the group's):
 * the state of the latest record (a denial wins a tie), as db/consent-store.ts reads it. Kept by
 * the audience processor from `consent_records` for the people whose consent changed; no row: no
 * record in that scope, the jurisdiction's default applies.
 */
export const consentFacts = pgTable(
  'consent_facts',
  {
    customerId: uuid('customer_id').notNull(),
    purpose: text('purpose').notNull(),
    brandScope: text('brand_scope').notNull(),
    state: text('state').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.purpose, t.brandScope] }),
    // Who granted a purpose in a scope: an index-only range.
    index('consent_facts_state').on(t.purpose, t.brandScope, t.state, t.customerId),
  ],
);

/** A tag on a person (`tags.key`), from a rule, a model (with its score) or a manual upload. */
export const tagAssignments = pgTable(
  'tag_assignments',
  {
    customerId: uuid('customer_id').notNull(),
    tagKey: text('tag_key').notNull(),
    origin: text('origin').$type<'rule' | 'model' | 'manual'>().notNull(),
    score: real('score'),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.tagKey] }), index('tag_assignments_tag').on(t.tagKey)],
);

/**
 * Segment membership with its history: a row per stay (entered, exited). A person is a member
 * while a row has no exit; rows are never deleted by a definition change (only by erasure).
 */
export const segmentMembership = pgTable(
  'segment_membership',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    segmentId: text('segment_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    version: integer('version').notNull(),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull(),
    exitedAt: timestamp('exited_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('segment_membership_current').on(t.segmentId, t.customerId).where(sql`exited_at is null`),
    index('segment_membership_customer').on(t.customerId),
  ],
);

/** Every entry and exit, in order: the outbox journeys and audience syncs consume exactly once. */
export const segmentMembershipEvents = pgTable(
  'segment_membership_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    segmentId: text('segment_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    kind: text('kind').$type<'entered' | 'exited'>().notNull(),
    version: integer('version').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('segment_membership_events_segment').on(t.segmentId, t.id)],
);

/** How far each consumer of the membership outbox has read (its offset moves in its own transaction). */
export const membershipConsumers = pgTable('membership_consumers', {
  consumer: text('consumer').primaryKey(),
  lastEventId: bigint('last_event_id', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A prediction model trained in this region on its customers (features and parameters, no personal data). */
export const predictionModels = pgTable('prediction_models', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  kind: text('kind').notNull(),
  trainedAt: timestamp('trained_at', { withTimezone: true }).notNull().defaultNow(),
  asOf: date('as_of').notNull(),
  model: jsonb('model').notNull(),
  metrics: jsonb('metrics').notNull(),
});

/**
 * One row per message the send gate let through (issue 12), stored before the provider call under
 * its natural key (journey run + step, broadcast + customer …): a retry with the same key never sends
 * again. `local_date` is the person's local calendar day at the send, for caps per local day.
 * No address or content: IDs, channel, purpose and the provider's message ID only.
 */
export const sendKeys = pgTable(
  'send_keys',
  {
    sendKey: text('send_key').primaryKey(),
    customerId: uuid('customer_id').notNull(),
    brandId: text('brand_id').notNull(),
    channel: text('channel').notNull(),
    purpose: text('purpose').notNull(),
    journeyRunId: text('journey_run_id'),
    /** pending (reserved, provider not confirmed), sent, failed (the provider refused for good) */
    status: text('status').notNull(),
    localDate: date('local_date').notNull(),
    /** While an attempt holds the key; an attempt that died lets the next one in after this. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    providerMessageId: text('provider_message_id'),
    lastError: text('last_error'),
    reservedAt: timestamp('reserved_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('send_keys_person_channel_day').on(t.customerId, t.channel, t.localDate),
    // A provider's delivery callback names its own message ID (a Twilio SID, an SES Message-ID).
    index('send_keys_provider_message').on(t.providerMessageId),
  ],
);

/**
 * A channel that must no longer reach a person: an email hard bounce or a spam complaint the
 * provider reported (web/channels/routes.ts). The gate blocks that channel only; other channels
 * and other purposes are untouched. IDs only: the provider's notification ID, never the address.
 */
export const channelSuppressions = pgTable(
  'channel_suppressions',
  {
    customerId: uuid('customer_id').notNull(),
    channel: text('channel').notNull(),
    /** bounce | complaint */
    reason: text('reason').notNull(),
    providerReference: text('provider_reference').notNull(),
    suppressedAt: timestamp('suppressed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.channel] })],
);

/**
 * The row a send locks (`for update`) for its person and channel while it counts against the
 * frequency caps and reserves its key: two concurrent sends to one person are counted one after the other.
 */
export const sendCounters = pgTable(
  'send_counters',
  {
    customerId: uuid('customer_id').notNull(),
    channel: text('channel').notNull(),
    lastReservedAt: timestamp('last_reserved_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.channel] })],
);

/*
 * Loyalty (issue 14, docs/design/loyalty.md): members and their ledgers in the member's home
 * region; personal data, erased with the person (redemptions a legal hold keeps excepted).
 */

/** A person's membership of a brand's programme: their member ID (the same for every brand), tier and review dates. */
export const loyaltyMembers = pgTable(
  'loyalty_members',
  {
    customerId: uuid('customer_id').notNull(),
    brandId: text('brand_id').notNull(),
    memberId: text('member_id').notNull(),
    tier: text('tier').notNull(),
    /** The tier's place in the programme (0 the base), so a merge keeps the higher tier without the programme. */
    tierRank: smallint('tier_rank').notNull().default(0),
    tierSince: date('tier_since').notNull(),
    /** The local date (member's zone) of the next tier review. */
    reviewOn: date('review_on').notNull(),
    /** While a downgrade waits for its grace period: the local date it ends. */
    graceUntil: date('grace_until'),
    /** The member's zone and market: expiry at their midnight, benefits of their market. */
    timeZone: text('time_zone').notNull(),
    market: text('market'),
    /** The programme terms version the member accepted, per brand (consent to the terms). */
    termsVersion: text('terms_version').notNull(),
    /** The member's birthday as month and day (`MM-DD`, no year), for the birthday bonus in their zone. */
    birthMonthDay: text('birth_month_day'),
    enrolledVia: text('enrolled_via').notNull(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.brandId] }),
    index('loyalty_members_member_id').on(t.memberId),
    index('loyalty_members_review').on(t.reviewOn),
  ],
);

/**
 * The append-only ledger: earn, bonus, adjust, redeem, expire, reverse. A member's balance is the
 * sum of `points`. `entry_key` is the natural key of each effect (an order's earn, a refund's
 * reversal, a redemption's request ID, an expiry run's date), so a retry never counts twice.
 */
export const loyaltyLedger = pgTable(
  'loyalty_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    brandId: text('brand_id').notNull(),
    kind: text('kind').$type<'earn' | 'bonus' | 'adjust' | 'redeem' | 'expire' | 'reverse'>().notNull(),
    points: bigint('points', { mode: 'number' }).notNull(),
    entryKey: text('entry_key').notNull(),
    /** `<sourceId>:<order ID>` for earns and reversals. */
    orderRef: text('order_ref'),
    /**
     * The order's ID as its store knows it (a synced order's external ID, a tracked `Order Completed`'s
     * `order_id`): one order per brand whichever path brought it, so it earns once (issue 14).
     */
    orderKey: text('order_key'),
    currency: text('currency'),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }),
    reportingMinor: bigint('reporting_minor', { mode: 'bigint' }),
    /** The order's local date, whose FX the reporting amount used. */
    localDate: date('local_date'),
    /** When these points expire (midnight in the member's zone), for earns and bonuses. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('loyalty_ledger_entry').on(t.brandId, t.entryKey),
    index('loyalty_ledger_member').on(t.customerId, t.brandId),
    index('loyalty_ledger_order').on(t.customerId, t.brandId, t.orderKey),
  ],
);

/** Each tier change, for the member and for audits; erased with the member. */
export const loyaltyTierHistory = pgTable(
  'loyalty_tier_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: uuid('customer_id').notNull(),
    brandId: text('brand_id').notNull(),
    fromTier: text('from_tier'),
    toTier: text('to_tier').notNull(),
    /** enrolment, upgrade, downgrade, grace, merge, adjust */
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('loyalty_tier_history_member').on(t.customerId, t.brandId)],
);

/** Where a member's tier and balance stand in each connected store (as consent propagation's per-system status). */
export const loyaltySyncStatus = pgTable(
  'loyalty_sync_status',
  {
    customerId: uuid('customer_id').notNull(),
    brandId: text('brand_id').notNull(),
    connectorId: text('connector_id').notNull(),
    system: text('system').notNull(),
    /** done, not-found, failed, not-applicable */
    status: text('status').notNull(),
    tier: text('tier'),
    balance: bigint('balance', { mode: 'number' }),
    lastError: text('last_error'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.brandId, t.connectorId] })],
);

/**
 * Who an ad audience (global `ad_audiences`) holds on its platform, as far as Meridian uploaded them:
 * a row per person added, deleted when they are removed. IDs only — the hashes are made again from
 * the sealed identities at each upload.
 */
export const adAudienceMembers = pgTable(
  'ad_audience_members',
  {
    audienceId: text('audience_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.audienceId, t.customerId] }),
    index('ad_audience_members_customer').on(t.customerId),
  ],
);

/**
 * People an ad audience must look at again: noted from the membership outbox (in the transaction that
 * advances the audience's consumer offset), from consent changes (the audience processor), or all
 * members for a full re-sync. The sync decides add / remove / nothing from the state at that moment and
 * deletes the row (unless it was noted again meanwhile: `noted_at` moved).
 */
export const adAudienceCandidates = pgTable(
  'ad_audience_candidates',
  {
    audienceId: text('audience_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    notedAt: timestamp('noted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.audienceId, t.customerId] }),
    index('ad_audience_candidates_customer').on(t.customerId),
  ],
);

/**
 * A broadcast's plan in this region (issue 12): each member's send instant in their zone and what
 * became of the send. `planned` rows are sent when `send_at` comes (a deferral moves it later);
 * the send itself is keyed in `send_keys` (broadcast + customer), so nobody gets it twice.
 */
export const broadcastRecipients = pgTable(
  'broadcast_recipients',
  {
    broadcastId: text('broadcast_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    zone: text('zone').notNull(),
    sendAt: timestamp('send_at', { withTimezone: true }).notNull(),
    status: text('status').$type<'planned' | 'sent' | 'blocked' | 'failed' | 'cancelled'>().notNull(),
    reason: text('reason'),
    deferrals: integer('deferrals').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.broadcastId, t.customerId] }),
    index('broadcast_recipients_due').on(t.broadcastId, t.status, t.sendAt),
  ],
);

/**
 * What a person was shown and answered when they gave consent on a source's own form (a Meta lead
 * form's privacy policy, disclaimer and checkboxes), kept as the proof that consent records name by
 * (proof_kind, proof_reference). Form text, IDs and checkbox states only: no personal values.
 */
export const consentEvidence = pgTable(
  'consent_evidence',
  {
    proofKind: text('proof_kind').notNull(),
    proofReference: text('proof_reference').notNull(),
    customerId: uuid('customer_id').notNull(),
    sourceId: text('source_id').notNull(),
    /** The hash of the text shown, so the leads of one form version can be found together. */
    shownSha256: text('shown_sha256'),
    evidence: jsonb('evidence').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.proofKind, t.proofReference] }),
    index('consent_evidence_customer').on(t.customerId),
  ],
);

/**
 * Ad clicks a person came by (Google's gclid, gbraid, wbraid), from a tracked page's URL or a lead
 * form: what a conversion is sent back to the ad platform with. One row per click ID.
 */
export const adClicks = pgTable(
  'ad_clicks',
  {
    kind: text('kind').notNull(),
    clickId: text('click_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    sourceId: text('source_id').notNull(),
    clickedAt: timestamp('clicked_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.clickId] }), index('ad_clicks_customer').on(t.customerId, t.clickedAt)],
);

/**
 * One row per (ad connector, order): the conversion sent back for it (Google Ads offline click
 * conversions). Reserved before the upload and never sent twice: a retried upload of a reserved order
 * is matched by Google on its order ID and counted as done. IDs and status only.
 */
export const adConversionUploads = pgTable(
  'ad_conversion_uploads',
  {
    connectorId: text('connector_id').notNull(),
    orderSourceId: text('order_source_id').notNull(),
    orderExternalId: text('order_external_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    clickKind: text('click_kind').notNull(),
    /** pending (reserved, upload not confirmed), uploaded, refused (the platform refused it for good) */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    reservedAt: timestamp('reserved_at', { withTimezone: true }).notNull().defaultNow(),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.connectorId, t.orderSourceId, t.orderExternalId] }),
    index('ad_conversion_uploads_customer').on(t.customerId),
  ],
);

/**
 * One row per journey run in this region (issue 12): the person, the journey, the hashed key (a cart
 * ID is kept only as its hash) and which entry this is, for re-entry rules, goal counts and routing
 * events to runs. The workflow ID is the run ID (domain/journeys.ts runIdOf).
 */
export const journeyRuns = pgTable(
  'journey_runs',
  {
    runId: text('run_id').primaryKey(),
    journeyId: text('journey_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    keyHash: text('key_hash').notNull().default(''),
    entry: integer('entry').notNull(),
    version: integer('version').notNull(),
    status: text('status').$type<'active' | 'exited' | 'converted' | 'merged'>().notNull().default('active'),
    exitReason: text('exit_reason'),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull().defaultNow(),
    exitedAt: timestamp('exited_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('journey_runs_entry').on(t.journeyId, t.customerId, t.keyHash, t.entry),
    index('journey_runs_active').on(t.customerId).where(sql`status = 'active'`),
  ],
);

/** What each message step of a run came to (sent, blocked with its reason, holdout …), once per step. */
export const journeyStepOutcomes = pgTable(
  'journey_step_outcomes',
  {
    runId: text('run_id').notNull(),
    step: text('step').notNull(),
    journeyId: text('journey_id').notNull(),
    outcome: text('outcome').notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.step] }), index('journey_step_outcomes_journey').on(t.journeyId)],
);

/**
 * The ingest side of journeys: one row per tracked event, written in the event's transaction; the
 * journey trigger claims rows (`for update skip locked`), starts or signals runs and deletes them in
 * the claiming transaction.
 */
export const journeyEventOutbox = pgTable('journey_event_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  eventId: uuid('event_id').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  customerId: uuid('customer_id').notNull(),
  event: text('event').notNull(),
});

/**
 * The intake log's keys (docs/design/ingestion.md): each web process seals the requests it
 * acknowledges under a key of its own, changed every few seconds. A key is deleted once no row
 * sealed with it is left, so what an unprocessed request held is unreadable in any later copy
 * (crypto-shredding, as the per-person data keys).
 */
export const intakeKeys = pgTable('intake_keys', {
  id: uuid('id').primaryKey(),
  keyWrapped: bytea('key_wrapped').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The intake log: one row per acknowledged tracking request, its validated calls sealed as one
 * value under an intake key. The region's intake processor claims rows in order, resolves and
 * writes them (db/region-writer.ts), and deletes them; a row here is acknowledged but not yet
 * resolved. Source kind and brand are copied so the processor needs no global lookup.
 */
export const intakeCalls = pgTable(
  'intake_calls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    keyId: uuid('key_id')
      .notNull()
      .references(() => intakeKeys.id),
    sourceId: text('source_id').notNull(),
    sourceKind: text('source_kind').notNull(),
    brandId: text('brand_id').notNull(),
    /** The request's Sec-GPC header, when it had one (consent, web/tracking/consent-signals.ts). */
    gpc: text('gpc'),
    callCount: integer('call_count').notNull(),
    callsSealed: bytea('calls_sealed').notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('intake_calls_key').on(t.keyId)],
);

/**
 * Who saw or exported a person's personal values, and every change of a setting (issue 13,
 * docs/design/console.md "Audit"), in the region that holds the data. Append-only, enforced by the
 * database: a trigger refuses UPDATE, DELETE and TRUNCATE for every role (migration
 * 0023_personal_data_access_audit), and the app's role is granted only SELECT and INSERT
 * (db/database-roles.ts). `fields` names what was shown (`identity.email`, `trait.firstName`),
 * never the values.
 */
export const personalDataAccessAudit = pgTable(
  'personal_data_access_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** `user:<id>` for a console user, `admin:<regions>` for an admin token, `subject` for the person themselves. */
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    /** profile.view, profile.lookup, export.segment-members, export.access, setting.change, template.test-send */
    action: text('action').notNull(),
    customerId: uuid('customer_id'),
    fields: text('fields').array().notNull().default([]),
    /** The route, e.g. `PUT /admin/segments/:id` (its pattern: no IDs or values). */
    route: text('route').notNull(),
    /** Why, when the user said (header x-access-reason, or `reason` in the body). */
    reason: text('reason'),
  },
  (t) => [
    index('personal_data_access_audit_at').on(t.at),
    index('personal_data_access_audit_customer').on(t.customerId, t.at),
  ],
);
