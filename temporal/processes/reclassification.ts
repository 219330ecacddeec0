import { randomBytes } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { ReclassificationInput } from '../../domain/workflow-inputs';
import {
  ReclassificationProgress,
  reclassificationProgressQuery,
  reclassificationWorkflowId,
} from '../../workflows/definitions';
import type { reclassification } from '../../workflows/reclassification';
import { startWorkflow, WorkflowName, workflowHandle } from '../workflow-types';

/**
 * reclassification (`reclassify-v<version>-<region>-<run>`, on each data region's queue): started for every
 * region when PUT /admin/data-schema saves a new version. Starting it again for the same version (a
 * PUT repeated after Temporal was unreachable) joins the run already there, or starts one if none did.
 */

export { reclassificationWorkflowId };

const RECLASSIFICATION = 'reclassification' satisfies WorkflowName;
/** How long the admin API waits for a running reclassification to answer its progress query. */
const QUERY_WAIT_MS = 2_000;

/** The workflow IDs of a new version's runs, one per data region. */
export function reclassificationWorkflowIds(regions: RegionCatalog, version: number): string[] {
  const run = randomBytes(3).toString('hex');
  return regions.dataRegions.map((region) => reclassificationWorkflowId(version, region.name, run));
}

/** A region's run among a version's workflow IDs (as the version row keeps them). */
export function reclassificationIdFor(ids: readonly string[], version: number, region: string): string | undefined {
  return ids.find((id) => id.startsWith(`reclassify-v${version}-${region}-`));
}

/**
 * Starts the version's reclassification in every data region (idempotent per region). `ids`: the
 * version's workflow IDs; a region added since gets one now.
 */
export async function startReclassification(
  client: Client,
  regions: RegionCatalog,
  version: number,
  ids: readonly string[],
): Promise<void> {
  const fresh = reclassificationWorkflowIds(regions, version);
  for (const [i, region] of regions.dataRegions.entries()) {
    try {
      await startWorkflow(client, RECLASSIFICATION, {
        workflowId: reclassificationIdFor(ids, version, region.name) ?? fresh[i]!,
        taskQueue: region.taskQueue,
        args: [{ version, region: region.name } satisfies ReclassificationInput],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        // A run that completed is not repeated; one that failed or was terminated may be started again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: MERIDIAN_PROCESS_KIND, value: 'reclassification' },
          { key: MERIDIAN_REGION, value: region.name },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
}

/** Where a region's reclassification stands: its query while it runs, its result once done; undefined when unknown. */
export async function reclassificationProgress(
  client: Client,
  workflowId: string,
): Promise<(Pick<ReclassificationProgress, 'status'> & Partial<ReclassificationProgress>) | undefined> {
  const handle = workflowHandle(client, RECLASSIFICATION, workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') {
      // A query waits for a worker: without one polling (a region's workers down) say only that it runs.
      const unanswered = { status: 'running' } as const;
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        handle.query(reclassificationProgressQuery),
        new Promise<typeof unanswered>((resolve) => {
          timer = setTimeout(() => resolve(unanswered), QUERY_WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      return answer;
    }
    if (status.name === 'COMPLETED') return await handle.result();
    return undefined;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
