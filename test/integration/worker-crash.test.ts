import { hostname } from 'node:os';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionHealthReports } from '../../db/schema/global';
import { regionHealthProbes } from '../../db/schema/regional';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';

const EventType = temporal.api.enums.v1.EventType;

describe('a worker killed mid-workflow', () => {
  let d: TestDeployment;

  beforeAll(async () => {
    d = await createTestDeployment('crash');
  });
  afterAll(async () => d?.close());

  it('is replaced, and the workflow completes exactly once with nothing recorded twice', async () => {
    const globalWorker = await d.startWorkers(['global']);
    const euWorker = await d.startWorkers(['eu']);
    await d.startWorkers(['us', 'apac']);

    // About six seconds of probing per region: time enough to kill workers in the middle.
    const handle = await startRegionHealth(d.client, d.config, { samples: 30, intervalMs: 200 });

    // Wait until the eu probe is running on the first eu worker and has heartbeated.
    await eventually(async () => {
      const { raw } = await handle.describe();
      const eu = raw.pendingActivities?.find((a) => a.lastWorkerIdentity?.startsWith('eu@'));
      expect(eu?.heartbeatDetails?.payloads?.length).toBeGreaterThan(0);
    });
    await euWorker.kill();
    await globalWorker.kill();

    const euReplacement = await d.startWorkers(['eu']);
    await d.startWorkers(['global']);
    const result = await handle.result();

    const eu = result.regions.find((r) => r.region === 'eu')!;
    expect(eu.workerIdentity).toBe(`eu@${hostname()}:${euReplacement.pid}`);
    expect(eu.attempts).toBeGreaterThanOrEqual(2);
    for (const region of ['eu', 'us', 'apac']) {
      const rows = await d.regional(region).db.select().from(regionHealthProbes);
      expect(
        rows.filter((r) => r.workflowId === handle.workflowId),
        region,
      ).toHaveLength(1);
    }
    const reports = await d.global().db.select().from(regionHealthReports);
    expect(reports.filter((r) => r.workflowId === handle.workflowId)).toHaveLength(1);

    const history = await d.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const events = history.events ?? [];
    expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).toHaveLength(1);
    const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).sort()).toEqual([
      'probeRegionDatabase',
      'probeRegionDatabase',
      'probeRegionDatabase',
      'recordRegionHealthReport',
    ]);
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const worker = await d.startWorkers(['eu']);
    expect(await worker.stop()).toBe(0);
    expect(worker.output()).toContain('"msg":"workers stopped"');
  });
});
