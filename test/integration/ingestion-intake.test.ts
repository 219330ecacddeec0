import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeBacklog } from '../../db/intake-store';
import { createTestDeployment, TestDeployment, WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * The two-stage ingestion (docs/design/ingestion.md): the tracking API acknowledges once calls are
 * in the intake log; the region worker's processor writes them. Whatever dies in between — the
 * worker, its database connections — no acknowledged call is lost and none is stored twice.
 */
describe('ingestion through the intake log', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let source: { id: string; writeKey: string };

  beforeAll(async () => {
    d = await createTestDeployment('intake', { MERIDIAN_INTAKE_ACK: 'committed' });
    // No processor in the web process: only the region worker writes.
    h = await startIngestion(d, { processIntake: false });
    source = await h.createSource('intake', 'eu');
  });
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  const BATCHES = 200;
  const SIZE = 100;
  const batch = (b: number) => ({
    batch: Array.from({ length: SIZE }, (_, j) => {
      const n = b * SIZE + j;
      return {
        type: n % 7 === 0 ? 'identify' : 'track',
        event: 'Intake Tested',
        userId: `intake-user-${n % 500}`,
        messageId: `intake-${n}`,
        traits: { email: `intake.${n % 500}@example.com`, plan: 'pro' },
        properties: { n },
      };
    }),
  });

  it('keeps every acknowledged call exactly once when the worker is killed and its connections dropped mid-batch', async () => {
    const eu = d.regional('eu').sql;
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < BATCHES) {
          const b = next++;
          const res = await h.send(source.writeKey, '/v1/batch', batch(b), {}, { awaitProcessing: false });
          statuses.push(res.status);
        }
      }),
    );
    // A batch sent again (a client retrying after a lost answer) is acknowledged again.
    for (const b of [3, 150]) {
      const res = await h.send(source.writeKey, '/v1/batch', batch(b), {}, { awaitProcessing: false });
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);

    // Acknowledged, not yet written: no worker runs.
    const waiting = await intakeBacklog(eu);
    expect(waiting.calls).toBe((BATCHES + 2) * SIZE);
    const [{ n: before }] = (await eu<
      { n: number }[]
    >`select count(*)::int as n from events where source_id = ${source.id}`) as unknown as [{ n: number }];
    expect(before).toBe(0);
    // The intake holds no readable personal value.
    const [sample] = await eu<{ calls_sealed: Buffer }[]>`select calls_sealed from intake_calls limit 1`;
    expect(sample!.calls_sealed.includes('intake-user-')).toBe(false);
    expect(sample!.calls_sealed.includes('@example.com')).toBe(false);

    // The worker starts writing; it is killed with part of the log written.
    let worker: WorkerProcess = await d.startWorkers(['eu']);
    await eventually(
      async () => {
        const [{ n }] = (await eu<
          { n: number }[]
        >`select count(*)::int as n from events where source_id = ${source.id}`) as unknown as [{ n: number }];
        expect(n).toBeGreaterThan(0);
      },
      60_000,
      10,
    );
    await worker.kill();
    const left = await intakeBacklog(eu);
    expect(left.requests, 'the worker was killed before the log was drained').toBeGreaterThan(0);

    // Again, and this time the database drops its connections under it instead.
    worker = await d.startWorkers(['eu']);
    await eventually(
      async () => {
        expect((await intakeBacklog(eu)).requests).toBeLessThan(left.requests);
      },
      60_000,
      10,
    );
    const dropped = await eu<{ ok: boolean }[]>`
      select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = current_database() and application_name like 'meridian-worker%' and pid <> pg_backend_pid()`;
    expect(dropped.length).toBeGreaterThan(0);
    // postgres.js may take the whole process down when a connection dies under pipelined queries
    // (socket.write on a closed socket, uncaught): the supervisor starts it again, as here.
    await new Promise((r) => setTimeout(r, 2000));
    if (worker.child.exitCode !== null) worker = await d.startWorkers(['eu']);

    try {
      await eventually(async () => expect((await intakeBacklog(eu)).requests).toBe(0), 120_000, 50);
    } catch (error) {
      // What the worker said (it logs no personal data): why it stopped writing.
      throw new Error(
        `${(error as Error).message}; worker ${worker.child.exitCode === null ? 'running' : `exited ${worker.child.exitCode}`}: ${worker.output().slice(-3000)}`,
      );
    }
    await worker.stop();

    const rows = await eu<{ message_id: string; n: number }[]>`
      select message_id, count(*)::int as n from events where source_id = ${source.id} group by message_id`;
    const twice = rows.filter((r) => r.n > 1).map((r) => r.message_id);
    expect(twice, 'stored more than once').toEqual([]);
    expect(rows).toHaveLength(BATCHES * SIZE);
    const stored = new Set(rows.map((r) => r.message_id));
    const lost = Array.from({ length: BATCHES * SIZE }, (_, n) => `intake-${n}`).filter((id) => !stored.has(id));
    expect(lost, 'acknowledged but never stored').toEqual([]);
    // One ID held through the crashes: 500 users, 500 profiles.
    const [{ people }] = (await eu<{ people: number }[]>`
      select count(distinct customer_id)::int as people from events where source_id = ${source.id}`) as unknown as [
      { people: number },
    ];
    expect(people).toBe(500);
  }, 300_000);
});
