import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { loadConfig, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../domain/search-attributes';
import { exitWithError } from '../workers/fatal';
import { connectClient } from '../workers/temporal';
import type { regionHealth } from '../workflows';

/**
 * Starts the regionHealth workflow: `npm run region-health [-- eu,us]`. It also shows ops how to
 * start one from the Temporal UI: workflow type `regionHealth`, task queue `meridian-global`,
 * input `{"regions":[{"name":"eu","taskQueue":"meridian-eu"}]}`.
 */

export interface RegionHealthOptions {
  regions?: string[];
  samples?: number;
  intervalMs?: number;
  workflowId?: string;
}

export function regionHealthWorkflowId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
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
  return client.workflow.start<typeof regionHealth>('regionHealth', {
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

if (require.main === module) {
  (async () => {
    const config = loadConfig();
    const client = await connectClient(config);
    const regions = process.argv[2]?.split(',');
    const handle = await startRegionHealth(client, config, regions ? { regions } : {});
    console.log(`started ${handle.workflowId}; waiting for every region's worker…`);
    const result = await handle.result();
    for (const r of result.regions) {
      console.log(`  ${r.region.padEnd(6)} ${r.workerIdentity}  p50 ${r.latencyP50Ms.toFixed(2)} ms  attempts ${r.attempts}`);
    }
    await client.connection.close();
  })().catch((error) => exitWithError('region-health', error));
}
