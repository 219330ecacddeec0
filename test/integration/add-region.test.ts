import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegionHealthActivities } from '../../activities/region-health/regional';
import { regionHealthProbes } from '../../db/schema/regional';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { createTestDeployment, TestDeployment } from '../support/deployment';

describe('a region added by configuration alone', () => {
  let d: TestDeployment;

  beforeAll(async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'meridian-regions-')), 'regions.json');
    writeFileSync(file, JSON.stringify({ regions: { cn: { countries: ['CN'] } } }));
    d = await createTestDeployment('addregion', { MERIDIAN_REGIONS_FILE: file });
  });
  afterAll(async () => d?.close());

  it('gets its own database, queue and worker, and its work stays in it', async () => {
    expect(d.config.regions.homeRegionOf('CN').name).toBe('cn');
    const cnWorker = await d.startWorkers(['cn']);
    await d.startWorkers(['global', 'apac']);

    const handle = await startRegionHealth(d.client, d.config, { regions: ['cn', 'apac'], samples: 1 });
    const result = await handle.result();
    expect(result.regions.find((r) => r.region === 'cn')).toMatchObject({
      taskQueue: 'meridian-cn',
      workerIdentity: `cn@${hostname()}:${cnWorker.pid}`,
    });
    const cnRows = await d.regional('cn').db.select().from(regionHealthProbes);
    expect(cnRows.map((r) => r.region)).toEqual(['cn']);
    expect(d.regional('cn').database).toBe(`cdp_cn_${d.config.databaseSuffix}`);
    const apacRows = await d.regional('apac').db.select().from(regionHealthProbes);
    expect(apacRows.map((r) => r.region)).toEqual(['apac']);
  });
});

describe('probeRegionDatabase, retried', () => {
  let d: TestDeployment;
  beforeAll(async () => {
    d = await createTestDeployment('retry');
  });
  afterAll(async () => d?.close());

  it('records its probe once however many attempts run (rule 4)', async () => {
    const region = d.config.regions.region('eu');
    const activities = createRegionHealthActivities({ region, pool: d.regional('eu'), workerIdentity: 'eu@test' });
    const input = { workflowId: 'region-health-retry', region: 'eu', samples: 1, intervalMs: 0 };
    const first = await new MockActivityEnvironment({ attempt: 1 }).run(activities.probeRegionDatabase, input);
    // A second attempt after a crash between the write and the completion.
    const second = await new MockActivityEnvironment({ attempt: 2 }).run(activities.probeRegionDatabase, input);
    expect(second).toEqual(first);
    expect(await d.regional('eu').db.select().from(regionHealthProbes)).toHaveLength(1);
  });
});
