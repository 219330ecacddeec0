import { bigserial, index, integer, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea } from './column-types';

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
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('identities_type_blind_index').on(t.type, t.blindIndex), index('identities_customer').on(t.customerId)],
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
  },
  (t) => [primaryKey({ columns: [t.id, t.receivedAt] }), index('events_customer_time').on(t.customerId, t.timestamp)],
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
