import { performance } from 'node:perf_hooks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RegionalDb, RegionPool } from '../../db/connections';
import { recordProbe, roundTrip } from '../../db/region-health-store';
import type { Region } from '../../domain/regions';
import type { RegionHealthSummary } from '../../db/schema/global';

export interface RegionalHealthDeps {
  region: Region;
  pool: RegionPool<RegionalDb>;
  workerIdentity: string;
}

export interface ProbeRegionInput {
  workflowId: string;
  region: string;
  /** Round trips to time; the probe heartbeats after each one. */
  samples: number;
  intervalMs: number;
}

export function createRegionHealthActivities({ region, pool, workerIdentity }: RegionalHealthDeps) {
  return {
    /**
     * Times round trips to this region's database and records the probe there, once per
     * workflow (a retry after a crash finds the row and returns it).
     */
    async probeRegionDatabase(input: ProbeRegionInput): Promise<RegionHealthSummary> {
      if (input.region !== region.name) {
        throw ApplicationFailure.nonRetryable(
          `probe for region "${input.region}" reached the worker of region "${region.name}": ` +
            `check that each region's task queue is served only by its own workers`,
          'RegionMismatch',
        );
      }
      const ctx = Context.current();
      const latencies: number[] = [];
      for (let i = 0; i < input.samples; i++) {
        const started = performance.now();
        await roundTrip(pool);
        latencies.push(performance.now() - started);
        ctx.heartbeat({ samplesDone: i + 1 });
        if (i + 1 < input.samples) await ctx.sleep(input.intervalMs);
      }
      latencies.sort((a, b) => a - b);
      const probe = {
        workflowId: input.workflowId,
        region: region.name,
        workerIdentity,
        attempts: ctx.info.attempt,
        samples: latencies.length,
        latencyP50Ms: latencies[Math.floor((latencies.length - 1) / 2)] ?? 0,
        latencyMaxMs: latencies[latencies.length - 1] ?? 0,
      };
      const stored = await recordProbe(pool, probe);
      if (!stored)
        throw new Error(`probe row for ${input.workflowId} vanished from ${pool.database} right after it was written`);
      return {
        region: stored.region,
        taskQueue: region.taskQueue,
        workerIdentity: stored.workerIdentity,
        attempts: stored.attempts,
        latencyP50Ms: stored.latencyP50Ms,
        latencyMaxMs: stored.latencyMaxMs,
      };
    },
  };
}
