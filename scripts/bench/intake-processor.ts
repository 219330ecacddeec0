import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';
import { keyFromRef } from '../../db/crypto-shredding';
import { DataSchemaCache } from '../../db/data-schema-store';
import { IntakeProcessor, type IntakeProcessorOptions } from '../../db/intake-processor';
import { appendIntake, createIntakeKey, intakeBacklog, type IntakeRequest } from '../../db/intake-store';
import { dropDatabases } from '../../db/migrate';
import { RegionWriter } from '../../db/region-writer';
import { DEFAULT_IDENTITY_RULES } from '../../domain/identity-rules';
import { parseBatch } from '../../domain/tracking';
import { processorBenchRegion } from './processor-bench';
import { benchEvent } from './segment-load';

/**
 * The intake processor alone, no Temporal and no HTTP: `npx tsx scripts/bench/intake-processor.ts
 * [--events 30000] [--users 20000] [--rounds 2] [--variants '[{"batchCalls":2500},{}]']`. Per round, `--events` calls of the ingestion
 * benchmark's shape (batches of 100, validated as /v1/batch validates them) are appended to the eu
 * intake log, then drained by an intake processor as the worker runs it (two batches in flight,
 * the data-schema version read per batch). Reports events/s per round, so a CPU profile
 * (`node --cpu-prof`) or PostgreSQL's statistics show where a batch's time goes without the web
 * server and the load generator sharing the cores. The first round writes new profiles; later
 * rounds, the same users again (their identities found). Rounds take the processor options of
 * `--variants` in turn (JSON list of IntakeProcessorOptions), for a same-run comparison.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const EVENTS = Number(arg('events', '30000'));
const USERS = Number(arg('users', '20000'));
const ROUNDS = Number(arg('rounds', '2'));
const VARIANTS = JSON.parse(arg('variants', '[{}]')) as IntakeProcessorOptions[];
const BATCH = 100;

/**
 * CPU seconds (user + system) the PostgreSQL backends serving these databases have used: with the
 * worker's own CPU time, what a batch costs whatever else shares the cores (the machine's load moves
 * the elapsed time, much less the CPU time).
 */
async function backendCpu(sql: Sql, databases: string[]): Promise<number> {
  const pids = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = any(${databases})`;
  const tick = 100;
  let seconds = 0;
  for (const { pid } of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      seconds += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // The backend ended meanwhile.
    }
  }
  return seconds;
}

async function main() {
  const { env, config, eu, pool, globalPool } = await processorBenchRegion('intproc');
  const regionKey = keyFromRef(eu.keyRef, env);
  try {
    const dataSchema = new DataSchemaCache(globalPool.sql);
    await dataSchema.refresh();
    const writer = new RegionWriter({
      region: 'eu',
      pool,
      globalSql: globalPool.sql,
      regionKey,
      hmacKey: config.identityHmacKey,
      rules: () => DEFAULT_IDENTITY_RULES,
      classification: () => dataSchema.rules,
      audienceChanges: config.audiences,
    });
    const sourceId = `src_${randomUUID().slice(0, 8)}`;
    let serial = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const variant = VARIANTS[round % VARIANTS.length]!;
      const key = await createIntakeKey(pool.sql, regionKey);
      const requests: IntakeRequest[] = [];
      for (let b = 0; b < EVENTS / BATCH; b++) {
        const body = {
          batch: Array.from({ length: BATCH }, (_, j) => ({
            type: 'track',
            ...benchEvent(serial + b * BATCH + j, USERS, `r${round}`),
          })),
        };
        // As it arrives over HTTP (JSON drops the undefined traits of most events).
        const parsed = parseBatch(JSON.parse(JSON.stringify(body)), new Date(), randomUUID);
        if (!parsed.ok || parsed.result.rejected.length > 0) throw new Error('the benchmark batch was refused');
        requests.push({ sourceId, sourceKind: 'server', brandId: 'default', calls: parsed.result.calls });
      }
      serial += EVENTS;
      for (let i = 0; i < requests.length; i += 50) await appendIntake(pool.sql, key, requests.slice(i, i + 50));
      await pool.sql`analyze intake_calls`;
      const processor = new IntakeProcessor(pool.sql, regionKey, writer, {
        log: (m) => console.error(m),
        classification: async () => (await dataSchema.inForce()).compiled,
        ...variant,
      });
      const databases = [`cdp_eu_${env.MERIDIAN_DB_SUFFIX}`, `cdp_global_${env.MERIDIAN_DB_SUFFIX}`];
      // Open the pools' connections first, so every backend the drain uses is counted from its start.
      await Promise.all(Array.from({ length: 4 }, () => pool.sql`select pg_sleep(0.05)`));
      const pgBefore = await backendCpu(pool.sql, databases);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      processor.start();
      while ((await intakeBacklog(pool.sql)).requests > 0) await new Promise((r) => setTimeout(r, 20));
      const seconds = (performance.now() - started) / 1000;
      await processor.stop();
      const cpu = process.cpuUsage(cpuBefore);
      const pgSeconds = (await backendCpu(pool.sql, databases)) - pgBefore;
      const perThousand = (s: number) => ((s * 1000) / (EVENTS / 1000)).toFixed(0);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(
        `round ${round} ${JSON.stringify(variant)}: ${EVENTS} events in ${seconds.toFixed(1)} s, ${(EVENTS / seconds).toFixed(0)} events/s; CPU per 1,000 events: worker ${perThousand((cpu.user + cpu.system) / 1e6)} ms, PostgreSQL ${perThousand(pgSeconds)} ms (load ${load})`,
      );
    }
    const [{ n }] =
      (await pool.sql`select count(*)::int as n from events where source_id = ${sourceId}`) as unknown as [
        { n: number },
      ];
    console.log(`events stored ${n} (expected ${EVENTS * ROUNDS})`);
  } finally {
    await pool.close();
    await globalPool.close();
    if (!args.includes('--keep')) await dropDatabases(config);
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).stack}`);
  process.exit(1);
});
