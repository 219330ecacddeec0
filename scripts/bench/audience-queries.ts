import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openGlobalPool, openRegionalPool } from '../../db/connections';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { segmentScope } from '../../db/audience-processor';
import { previewSegment, recomputeSegment } from '../../db/segments-store';
import { loadConfig } from '../../domain/config';
import type { SegmentNode } from '../../domain/segments';
import { developmentSecrets } from '../../startup/dev-secrets';
import { generateRegion } from './audience-data';
import { segmentDefinitions } from './audiences-segments';

/**
 * The audience benchmark's segment queries alone, no Temporal and no HTTP, on databases seeded once
 * and kept: `npx tsx scripts/bench/audience-queries.ts --seed --suffix S [--profiles 1000000]` builds
 * the three regions (eu/us/apac, as `bench:audiences`) under `cdp_<region>_S` and keeps them;
 * `npx tsx scripts/bench/audience-queries.ts --suffix S [--runs 20] [--recompute]` then measures,
 * as often as wanted on the same data, the preview of the 4-condition segment (the three regions in
 * parallel, as the API runs them: p50/p95 per region and for the group) and, with `--recompute`, a
 * full recompute of the 20 segments (each segment's regions in parallel, segments one after
 * another). `--drop` removes the databases.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const SUFFIX = arg('suffix', '');
const PROFILES = Number(arg('profiles', '1000000'));
const RUNS = Number(arg('runs', '20'));
const SEGMENTS = arg('segments', '');
const SHARE: Record<string, number> = { eu: 0.45, us: 0.3, apac: 0.25 };
const REGIONS = ['eu', 'us', 'apac'];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};
const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load/, 'load');

async function main() {
  if (!/^[a-z0-9_]+$/.test(SUFFIX)) throw new Error('--suffix S (lower-case letters, digits, _) names the databases');
  const secrets = Object.fromEntries(
    Object.entries(developmentSecrets(['global', ...REGIONS])).map(([k, make]) => [k, make()]),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432',
    MERIDIAN_DB_SUFFIX: SUFFIX,
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  if (args.includes('--drop')) return dropDatabases(config);
  if (args.includes('--seed') || args.includes('--migrate')) await migrateAll(config);
  const global = config.regions.regions.find((r) => r.name === 'global')!;
  const globalPool = openGlobalPool(config, global);
  const pools = new Map(
    REGIONS.map((name) => [
      name,
      // Seeding COPYs and vacuums whole tables: no statement timeout then.
      openRegionalPool(config, config.regions.regions.find((r) => r.name === name)!, {
        ...(args.includes('--seed') ? { statementTimeoutMs: 0 } : {}),
      }),
    ]),
  );
  try {
    if (args.includes('--seed')) {
      let offset = 0;
      const now = new Date();
      for (const region of REGIONS) {
        const profiles = Math.round(PROFILES * SHARE[region]!);
        const sourceId = `src_${region}_${randomUUID().slice(0, 8)}`;
        const data = await generateRegion(pools.get(region)!.sql, {
          region,
          offset,
          profiles,
          sourceId,
          connectorId: sourceId,
          seed: 1000 + offset,
          now,
        });
        offset += profiles;
        console.log(
          `${region}: ${data.profiles} profiles, ${data.events} events, ${data.orders} orders in ${data.seconds.toFixed(0)} s (${load()})`,
        );
        await pools.get(region)!.sql`vacuum (analyze)`;
      }
      return;
    }
    const scope = await segmentScope(globalPool.sql, config.regions, null);
    const definitions = segmentDefinitions();
    const preview = definitions[0]![1] as SegmentNode;
    const perRegion = new Map<string, number[]>(REGIONS.map((r) => [r, []]));
    const group: number[] = [];
    let counts: number[] = [];
    console.log(`preview, ${RUNS} runs (${load()})`);
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const answers = await Promise.all(
        REGIONS.map(async (r) => {
          const started = performance.now();
          const answer = await previewSegment(pools.get(r)!.sql, preview, scope);
          perRegion.get(r)!.push(performance.now() - started);
          return answer.count;
        }),
      );
      group.push(performance.now() - t);
      counts = answers;
    }
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    for (const r of REGIONS) {
      const runs = perRegion.get(r)!;
      console.log(`  ${r.padEnd(5)} p50 ${ms(percentile(runs, 0.5))} p95 ${ms(percentile(runs, 0.95))}`);
    }
    console.log(
      `  group p50 ${ms(percentile(group, 0.5))} p95 ${ms(percentile(group, 0.95))}; ${counts.join('/')} people (${load()})`,
    );
    if (args.includes('--recompute')) {
      const wanted = SEGMENTS === '' ? definitions.map((_, i) => i) : SEGMENTS.split(',').map(Number);
      console.log(`recompute of ${wanted.length} segments (${load()})`);
      const all = performance.now();
      for (const i of wanted) {
        const [name, definition] = definitions[i]!;
        const t = performance.now();
        const moved = await Promise.all(
          REGIONS.map((r) =>
            recomputeSegment(
              pools.get(r)!.sql,
              { id: `bench_q_${i}`, version: 1, definition: definition as SegmentNode },
              scope,
            ),
          ),
        );
        console.log(
          `  ${String(i).padStart(2)} ${ms(performance.now() - t).padStart(9)}  ${name} (entered ${moved.map((m) => m.entered).join('/')})`,
        );
      }
      console.log(`  total ${((performance.now() - all) / 1000).toFixed(1)} s (${load()})`);
    }
  } finally {
    for (const pool of pools.values()) await pool.close();
    await globalPool.close();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).stack}`);
  process.exit(1);
});
