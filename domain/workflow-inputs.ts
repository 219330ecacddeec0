import { z } from 'zod';
import { describeIssues } from './validation';

/**
 * Inputs of the workflows ops may start by hand (Temporal UI, CLI), validated at the boundary
 * (DESIGN.md, rule 5). Pure: imported by workflow code.
 */

const queueName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'is not a task queue name such as "meridian-eu"');

export const regionHealthInputSchema = z.object({
  regions: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'is not a region name such as "eu"'),
        taskQueue: queueName,
      }),
    )
    .min(1, 'name at least one region, e.g. [{"name":"eu","taskQueue":"meridian-eu"}]'),
  samples: z.number().int().min(1).max(1000).optional(),
  intervalMs: z.number().int().min(0).max(60_000).optional(),
});
export type RegionHealthInput = z.infer<typeof regionHealthInputSchema>;

/** insightsRefresh: the regions whose aggregates to refresh, each with its task queue. */
export const insightsRefreshInputSchema = regionHealthInputSchema.pick({ regions: true });
export type InsightsRefreshInput = z.infer<typeof insightsRefreshInputSchema>;

const customerId = z.uuid('is not a customer ID (a UUID)');

export const mergeRequestSchema = z.object({
  from: customerId,
  into: customerId,
  /** The identifier type that linked the two profiles. */
  linkedBy: z.string().regex(/^[a-z_]{2,40}$/, 'is not an identifier type such as "email"'),
});
export type MergeRequest = z.infer<typeof mergeRequestSchema>;

export const identityMergeInputSchema = z.object({
  into: customerId,
  pending: z.array(mergeRequestSchema).optional(),
  merged: z.number().int().min(0).optional(),
  /** Merges dropped because a profile in them was erased. */
  dropped: z.number().int().min(0).optional(),
});

/** Failure type of a merge that names an erased (shredded) profile: not retryable, the merge is dropped. */
export const PROFILE_SHREDDED_FAILURE = 'ProfileShredded';
export type IdentityMergeInput = z.infer<typeof identityMergeInputSchema>;

export const CONNECTOR_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * connectorSync, as ops start it from the Temporal UI: `{"connectorId":"con_…"}`, optionally with
 * `"streams":["orders"]`, `"since":"2025-01-01T00:00:00Z"` (re-sync from then) or `"full":true`.
 */
/** What to sync: the options of a sync started by hand (the body of POST /admin/connectors/:id/sync). */
export const connectorSyncOptions = {
  streams: z
    .array(z.enum(['customers', 'orders']))
    .min(1, 'name at least one stream, or leave it out for all')
    .optional(),
  since: z.iso.datetime({ message: 'must be an ISO 8601 instant in UTC, e.g. "2025-01-01T00:00:00Z"' }).optional(),
  full: z.boolean().optional(),
};
export const connectorSyncInputSchema = z
  .object({
    connectorId: z.string().regex(CONNECTOR_ID_PATTERN, 'is not a connector ID such as "con_1a2b3c4d5e6f7a8b"'),
    ...connectorSyncOptions,
  })
  .refine((input) => !(input.full && input.since), {
    message: 'give either "since" or "full", not both',
    path: ['since'],
  });
export type ConnectorSyncInput = z.infer<typeof connectorSyncInputSchema>;

/**
 * connectorDelivery: records a vendor notified Meridian of by ID (Meta's leadgen webhook), fetched and
 * stored on the connector's region queue (`delivery-<connectorId>-<recordId>`). IDs only.
 */
export const connectorDeliveryInputSchema = z.object({
  connectorId: z.string().regex(CONNECTOR_ID_PATTERN, 'is not a connector ID such as "con_1a2b3c4d5e6f7a8b"'),
  stream: z.enum(['customers', 'orders']),
  recordIds: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "is not a vendor record ID (letters, digits, '-', '_')"))
    .min(1)
    .max(100),
});
export type ConnectorDeliveryInput = z.infer<typeof connectorDeliveryInputSchema>;

/** adConversionUpload: conversions of an ad connector's clicked buyers sent back (`conversions-<connectorId>`). */
export const adConversionUploadInputSchema = z.object({
  connectorId: z.string().regex(CONNECTOR_ID_PATTERN, 'is not a connector ID such as "con_1a2b3c4d5e6f7a8b"'),
});
export type AdConversionUploadInput = z.infer<typeof adConversionUploadInputSchema>;

/** consentPropagation, as the admin API starts it (`consent-<propagationId>`). */
export const consentPropagationInputSchema = z.object({
  propagationId: z.string().regex(/^cp_[0-9a-f]{16}$/, 'is not a consent propagation ID such as "cp_0123456789abcdef"'),
  customerId,
});
export type ConsentPropagationInput = z.infer<typeof consentPropagationInputSchema>;

export const manualTaskCompletionSchema = z.object({
  connectorId: z.string().regex(CONNECTOR_ID_PATTERN, 'is not a connector ID'),
  note: z.string().max(500).optional(),
});
export type ManualTaskCompletion = z.infer<typeof manualTaskCompletionSchema>;

/** privacyRequest, as the portal starts it once the requester verified their email (`dsar-<requestId>`). */
export const privacyRequestWorkflowInputSchema = z.object({
  requestId: z.string().regex(/^pr_[0-9a-f]{16}$/, 'is not a privacy request ID such as "pr_0123456789abcdef"'),
  /** The region holding the request (the requester's country's). */
  region: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'is not a region name such as "eu"'),
  type: z.enum(['access', 'deletion', 'correction', 'optOut', 'restriction']),
  // A plain pattern: zod's date check is not deterministic inside the workflow sandbox.
  dueDate: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a date YYYY-MM-DD'),
  /** Seconds the requester may cancel a deletion in; default 7 days. */
  coolingOffSeconds: z
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(7 * 86_400),
  /** Task queue of every data region, e.g. {"eu": "meridian-eu"}: the person may be held in any. */
  queues: z.record(z.string(), queueName),
});
export type PrivacyRequestWorkflowInput = z.input<typeof privacyRequestWorkflowInputSchema>;

/** What a reclassification has done so far: counts only. */
export const reclassificationCountsSchema = z.object({
  profiles: z.number().int().nonnegative(),
  traitsWritten: z.number().int().nonnegative(),
  traitsRemoved: z.number().int().nonnegative(),
  eventsRewritten: z.number().int().nonnegative(),
});
export type ReclassificationCounts = z.infer<typeof reclassificationCountsSchema>;

/**
 * reclassification (`reclassify-v<version>-<region>`): a data-schema version number and a region; across
 * continue-as-new also the customer ID it stopped after and its counts. Nothing else (DESIGN.md, rule 2).
 */
export const reclassificationInputSchema = z.object({
  version: z.number().int().positive(),
  region: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'is not a region name such as "eu"'),
  after: z.uuid().optional(),
  counts: reclassificationCountsSchema.optional(),
  /** Set once the wait for every process to take up the version is over. */
  settled: z.boolean().optional(),
});
export type ReclassificationInput = z.infer<typeof reclassificationInputSchema>;

/** The first problem, as one sentence naming the field: what an operator sees in the Temporal UI. */
export function describeInputProblem(error: z.ZodError, workflow: string): string {
  return `${workflow} input: ${describeIssues(error, '(input)', { first: true, separator: ' ' })}`;
}
