import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import type { RegionKey } from '../../db/crypto-shredding';
import { dataSchemaVersion, newestDataSchema } from '../../db/data-schema-store';
import { addCounts, NO_COUNTS, profilesAfter, reclassifyProfile } from '../../db/reclassification-store';
import type { ReclassificationCounts } from '../../domain/workflow-inputs';

export interface ClassificationDeps {
  region: string;
  sql: Sql;
  regionKey: RegionKey;
  globalSql: Sql;
}

/** How long one activity call pages before it hands its cursor back to the workflow. */
const MILLIS_PER_CALL = 60_000;
const PROFILES_PER_READ = 100;

export interface ReclassifyInput {
  version: number;
  region: string;
  after?: string;
}

export interface ReclassifyResult {
  /** more: call again from `after`; done: every profile is reclassified; superseded: a newer version runs instead. */
  status: 'more' | 'done' | 'superseded';
  after?: string;
  counts: ReclassificationCounts;
}

/** What a heartbeat carries: the cursor and the counts so far (customer IDs and numbers only). */
interface HeartbeatProgress {
  after?: string;
  counts: ReclassificationCounts;
}

export function createClassificationActivities({ region, sql, regionKey, globalSql }: ClassificationDeps) {
  return {
    /**
     * Reclassifies this region's profiles after `after`, in customer ID order, for up to a minute:
     * each profile's sealed traits and events are opened and its queryable copies rewritten under
     * the version's rules. Heartbeats the cursor after each profile, so a retry resumes there.
     */
    async reclassifyProfiles(input: ReclassifyInput): Promise<ReclassifyResult> {
      if (input.region !== region) throw new Error(`reclassification for ${input.region} reached the ${region} worker`);
      const newest = await newestDataSchema(globalSql);
      // A newer version has its own run, which reclassifies everything again: this one stops here.
      if (newest.version > input.version) return { status: 'superseded', counts: NO_COUNTS };
      const version = await dataSchemaVersion(globalSql, input.version);
      if (!version)
        throw ApplicationFailure.nonRetryable(
          `data-schema version ${input.version} does not exist: start reclassifications from PUT /admin/data-schema`,
          'UnknownDataSchemaVersion',
        );
      const ctx = Context.current();
      // Only the runs recorded with the version: another deployment's run of the same version number
      // (a staging copy, a test sharing the namespace and task queues) must not rewrite this one's data.
      const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
      if (!version.reclassificationWorkflowIds.includes(workflowId))
        throw ApplicationFailure.nonRetryable(
          `${workflowId} is not a run recorded for data-schema version ${input.version} here: nothing was changed`,
          'ForeignReclassification',
        );
      const resumed = ctx.info.heartbeatDetails as HeartbeatProgress | undefined;
      let after = resumed?.after ?? input.after;
      let counts = resumed?.counts ?? NO_COUNTS;
      const until = Date.now() + MILLIS_PER_CALL;
      for (;;) {
        const page = await profilesAfter(sql, after, PROFILES_PER_READ);
        for (const customerId of page) {
          counts = addCounts(counts, await reclassifyProfile(sql, regionKey, version.compiled, customerId));
          after = customerId;
          ctx.heartbeat({ after, counts } satisfies HeartbeatProgress);
        }
        if (page.length < PROFILES_PER_READ) return { status: 'done', ...(after ? { after } : {}), counts };
        if (Date.now() >= until) return { status: 'more', ...(after ? { after } : {}), counts };
      }
    },
  };
}
