import { hostname } from 'node:os';
import { WorkflowFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionHealthReports } from '../../db/schema/global';
import { regionHealthProbes } from '../../db/schema/regional';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { createTestDeployment, TestDeployment, WorkerProcess } from '../support/deployment';

const DATA_REGIONS = ['eu', 'us', 'apac'];

describe('regionHealth routes each region’s work to that region’s worker and database', () => {
  let d: TestDeployment;
  const workers: Record<string, WorkerProcess> = {};

  beforeAll(async () => {
    d = await createTestDeployment('routing');
    // One process per region, as in production: each holds only its own region's pool.
    for (const region of ['global', ...DATA_REGIONS]) workers[region] = await d.startWorkers([region]);
  });
  afterAll(async () => d?.close());

  async function probesIn(region: string) {
    return d.regional(region).db.select().from(regionHealthProbes);
  }

  it('runs region eu on the eu worker and writes only to the eu database', async () => {
    const handle = await startRegionHealth(d.client, d.config, { regions: ['eu'], samples: 2, intervalMs: 20 });
    const result = await handle.result();

    expect(result.regions).toHaveLength(1);
    expect(result.regions[0]).toMatchObject({
      region: 'eu',
      taskQueue: 'meridian-eu',
      workerIdentity: `eu@${hostname()}:${workers.eu!.pid}`,
    });
    const eu = await probesIn('eu');
    expect(eu).toHaveLength(1);
    expect(eu[0]).toMatchObject({ workflowId: handle.workflowId, region: 'eu', attempts: 1, samples: 2 });
    expect(await probesIn('us')).toEqual([]);
    expect(await probesIn('apac')).toEqual([]);

    const [report] = await d
      .global()
      .db.select()
      .from(regionHealthReports)
      .where(eq(regionHealthReports.workflowId, handle.workflowId));
    expect(report?.regions.map((r) => r.region)).toEqual(['eu']);
  });

  it('sends every region to its own worker, and each database holds only its own region’s rows', async () => {
    const handle = await startRegionHealth(d.client, d.config, { samples: 2, intervalMs: 20 });
    const result = await handle.result();

    expect(result.regions.map((r) => r.region)).toEqual(DATA_REGIONS);
    for (const region of DATA_REGIONS) {
      const summary = result.regions.find((r) => r.region === region)!;
      expect(summary.workerIdentity).toBe(`${region}@${hostname()}:${workers[region]!.pid}`);
      const rows = (await probesIn(region)).filter((r) => r.workflowId === handle.workflowId);
      expect(rows).toHaveLength(1);
      expect(new Set((await probesIn(region)).map((r) => r.region))).toEqual(new Set([region]));
    }
  });

  it('refuses work that reaches the wrong region’s queue, writing nowhere', async () => {
    const handle = await d.client.workflow.start('regionHealth', {
      workflowId: `region-health-misrouted-${Date.now()}`,
      taskQueue: 'meridian-global',
      args: [{ regions: [{ name: 'eu', taskQueue: 'meridian-us' }], samples: 1 }],
    });
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause as Error | undefined;
    expect(cause?.message).toMatch(/probe for region "eu" reached the worker of region "us"/);
    const rows = [...(await probesIn('eu')), ...(await probesIn('us'))].filter(
      (r) => r.workflowId === handle.workflowId,
    );
    expect(rows).toEqual([]);
  });

  it('fails at once, saying what is wrong, when started by hand with a bad input', async () => {
    const handle = await d.client.workflow.start('regionHealth', {
      workflowId: `region-health-bad-input-${Date.now()}`,
      taskQueue: 'meridian-global',
      args: [{ regions: [{ name: 'EU!', taskQueue: 'meridian-eu' }] }],
    });
    const failure = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause?.message).toBe('regionHealth input: regions.0.name is not a region name such as "eu"');
  });
});
