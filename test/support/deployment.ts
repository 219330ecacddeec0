import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { migrateAll, dropDatabases } from '../../db/migrate';
import { openGlobalPool, openRegionalPool, GlobalDb, RegionalDb, RegionPool } from '../../db/connections';
import { loadConfig, MeridianConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { connectClient } from '../../temporal/connection';
import { runEntryPoint } from '../../scripts/entry-point';

export { runEntryPoint };

/**
 * A Meridian deployment for one test file: its own uniquely named databases (migrated), the
 * run's Temporal dev server, and worker processes started from the real entry point.
 */
export interface TestDeployment {
  env: NodeJS.ProcessEnv;
  config: MeridianConfig;
  client: Client;
  regional(region: string): RegionPool<RegionalDb>;
  global(): RegionPool<GlobalDb>;
  startWorkers(regions: string[], extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  close(): Promise<void>;
}

export async function createTestDeployment(tag: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<TestDeployment> {
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: inject('databaseUrl'),
    MERIDIAN_DB_SUFFIX: `${inject('runSuffix')}_${tag}`,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    ...inject('secretsEnv'),
    MERIDIAN_WORKFLOW_BUNDLE: inject('workflowBundle'),
    MERIDIAN_DATA_DIR: path.dirname(inject('workflowBundle')),
    LOG_LEVEL: 'warn',
    // Tests read what they just sent: the tracking API answers once calls are written to profiles
    // (ingestion-intake.test.ts checks the default, an answer on commit to the intake log).
    MERIDIAN_INTAKE_ACK: 'processed',
    ...extraEnv,
  };
  const config = loadConfig(env);
  await migrateAll(config);
  const client = await connectClient(config);
  const pools = new Map<string, RegionPool<RegionalDb> | RegionPool<GlobalDb>>();
  const workers: WorkerProcess[] = [];

  return {
    env,
    config,
    client,
    regional(region) {
      if (!pools.has(region)) pools.set(region, openRegionalPool(config, config.regions.region(region), { max: 2 }));
      return pools.get(region) as RegionPool<RegionalDb>;
    },
    global() {
      if (!pools.has(GLOBAL_REGION))
        pools.set(GLOBAL_REGION, openGlobalPool(config, config.regions.region(GLOBAL_REGION), { max: 2 }));
      return pools.get(GLOBAL_REGION) as RegionPool<GlobalDb>;
    },
    async startWorkers(regions, more = {}) {
      const worker = await startWorkerProcess(regions, { ...process.env, ...env, ...more });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await client.connection.close();
      await Promise.all([...pools.values()].map((p) => p.close()));
      await dropDatabases(config);
    },
  };
}

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  output(): string;
  /** Sends SIGKILL: the process dies at once, as in a crash or an OOM kill. */
  kill(): Promise<void>;
  /** Sends SIGTERM and waits for a graceful exit. */
  stop(): Promise<number | null>;
}

/** Waits for a child process to exit; resolves with its exit code and everything it printed. */
export function waitForExit(child: ChildProcess, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms; it printed:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, output }));
    });
  });
}

async function startWorkerProcess(regions: string[], env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = runEntryPoint('workers/main.ts', ['--regions', regions.join(',')], env);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`workers ${regions} not ready in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const ready = regions.every((r) => output.includes(`"msg":"worker ready","region":"${r}"`));
      if (ready) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`workers ${regions} exited with ${code} before they were ready:\n${output}`));
    });
  });

  let done = false;
  exited.then(() => (done = true));
  return {
    pid: child.pid!,
    child,
    output: () => output,
    async kill() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}
