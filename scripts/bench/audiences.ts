import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import postgres, { type Sql } from 'postgres';
import { databaseUrl } from '../../db/connections';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { runEntryPoint } from '../entry-point';
import { generateRegion, type RegionData } from './audience-data';
import { startBenchDeployment } from './harness';

/**
 * Audience benchmark: `npm run bench:audiences [-- --profiles 1000000]`.
 * Builds synthetic profiles over eu/us/apac (scripts/bench/audience-data.ts: CDNOW purchase
 * histories, seeded events, traits and consent), starts Meridian's web server and regional workers
 * as their own processes, and measures through the admin and tracking APIs:
 * - preview of a 4-condition segment (trait + event window + order amount + consent): p50/p95;
 * - full recompute of 20 segments;
 * - an event that moves a person into a segment: time until the membership is visible, while
 *   ingestion runs at a steady 2,000 events/s;
 * - ingestion throughput with the audience layer on and off, the same run;
 * - peak RSS of every process.
 * Baselines measured in the same run: the same preview's SQL shape run as one plain count over
 * the tables (no API), and ingestion with the audience layer off.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const PROFILES = arg('profiles', 1_000_000);
const PREVIEW_RUNS = arg('preview-runs', 40);
const LATENCY_PROBES = arg('probes', 40);
const STEADY_RATE = arg('rate', 2_000);
const INGEST_EVENTS = arg('ingest-events', 60_000);
const SHARE: Record<string, number> = { eu: 0.45, us: 0.3, apac: 0.25 };

function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};

class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function waitForReady(child: ChildProcess, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes(marker) && resolve());
    child.once('exit', (code) => reject(new Error(`process exited with ${code}`)));
  });
}

async function main() {
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const regions = ['eu', 'us', 'apac'];
  const { temporal, env } = await startBenchDeployment('audiences', regions, { MERIDIAN_WEB_PORT: String(port) });
  const config = loadConfig(env);
  console.log('migrating …');
  await migrateAll(config);
  console.log('migrated');
  const regionSql = new Map<string, Sql>(
    regions.map((r) => [
      r,
      postgres(databaseUrl(env.DATABASE_URL!, `cdp_${r}_${env.MERIDIAN_DB_SUFFIX}`), { max: 1, onnotice: () => {} }),
    ]),
  );
  const children: ChildProcess[] = [];
  const start = (entry: string, argv: string[], extra: NodeJS.ProcessEnv = {}) => {
    const child = runEntryPoint(entry, argv, { ...env, ...extra });
    child.stderr!.pipe(process.stderr);
    child.stdout!.resume();
    children.push(child);
    return child;
  };
  try {
    let web = start('web/main.ts', []);
    const api = new Api(`http://127.0.0.1:${port}`, config.adminTokens[0]!.token);
    const sources = new Map<string, { id: string; writeKey: string }>();
    for (const region of regions) {
      const created = await waitFor('the web server', () =>
        api.call<{ source: { id: string }; writeKey: string }>('POST', '/admin/sources', {
          name: `bench ${region}`,
          region,
          kind: 'server',
        }),
      );
      sources.set(region, { id: created.source.id, writeKey: created.writeKey });
    }

    console.log(`web server up; generating ${PROFILES} profiles …`);
    // 1. Data.
    const generated: RegionData[] = [];
    let offset = 0;
    const now = new Date();
    for (const region of regions) {
      const profiles = Math.round(PROFILES * SHARE[region]!);
      const data = await generateRegion(regionSql.get(region)!, {
        region,
        offset,
        profiles,
        sourceId: sources.get(region)!.id,
        connectorId: sources.get(region)!.id,
        seed: 1000 + offset,
        now,
      });
      offset += profiles;
      generated.push(data);
      console.log(
        `  ${region}: ${data.profiles} profiles, ${data.events} events, ${data.orders} orders, ${data.traits} traits, ${data.consentRecords} consent records in ${data.seconds.toFixed(0)} s`,
      );
    }

    console.log(JSON.stringify({ generated }));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    for (const sql of regionSql.values()) await sql.end();
    if (!args.includes('--keep')) await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).stack}`);
  process.exit(1);
});
