import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { MeridianConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { regionHealth } from '../../workflows/region-health';
import { startWorkflow } from '../workflow-types';

/**
 * Starts the regionHealth workflow (`region-health-<time>-<random>`, global queue), for
 * `npm run region-health`, `npm start` and the tests. Ops start one from the Temporal UI with workflow
 * type `regionHealth`, task queue `meridian-global`, input `{"regions":[{"name":"eu","taskQueue":"meridian-eu"}]}`.
 */

export interface RegionHealthOptions {
  regions?: string[];
  samples?: number;
  intervalMs?: number;
  workflowId?: string;
}

export function regionHealthWorkflowId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `region-health-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function startRegionHealth(
  client: Client,
  config: Pick<MeridianConfig, 'regions'>,
  options: RegionHealthOptions = {},
): Promise<WorkflowHandle<typeof regionHealth>> {
  const regions = (options.regions ?? config.regions.dataRegions.map((r) => r.name)).map((name) =>
    config.regions.region(name),
  );
  return startWorkflow(client, 'regionHealth', {
    workflowId: options.workflowId ?? regionHealthWorkflowId(),
    taskQueue: config.regions.region(GLOBAL_REGION).taskQueue,
    args: [
      {
        regions: regions.map((r) => ({ name: r.name, taskQueue: r.taskQueue })),
        ...(options.samples !== undefined ? { samples: options.samples } : {}),
        ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
      },
    ],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'regionHealth' },
      { key: MERIDIAN_REGION, value: GLOBAL_REGION },
    ],
  });
}
