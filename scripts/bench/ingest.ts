import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import postgres from 'postgres';
import { databaseUrl } from '../../db/connections';
import { sealJson } from '../../db/crypto-shredding';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';

/**
 * Ingestion benchmark: `npm run bench:ingest [-- --events 200000]`.
 * Starts Meridian's web server as its own process against the local PostgreSQL (identity
 * resolution and encryption on), sends batches of 100 through /v1/batch and single events
 * through /v1/track from this process, and prints events/s, request latency p50/p99 and the
 * server's peak RSS; then, as the ceiling, raw PostgreSQL COPY of as many rows of the same
 * shape (sealed payloads included) into a plain table, measured in the same run.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const BATCH_EVENTS = arg('events', 200_000);
const BATCH_SIZE = 100;
const BATCH_CONCURRENCY = arg('batch-concurrency', 8);
const TRACK_REQUESTS = arg('track-requests', 20_000);
const TRACK_CONCURRENCY = arg('track-concurrency', 32);
const USERS = arg('users', 20_000);

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(port: number, path: string, auth: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function event(n: number) {
  const user = n % USERS;
  return {
    userId: `bench-user-${user}`,
    anonymousId: `bench-anon-${user}`,
    event: n % 5 === 0 ? 'Order Completed' : 'Product Viewed',
    properties: {
      sku: `SKU-${n % 997}`,
      price: (n % 10_000) / 100,
      currency: 'EUR',
      quantity: 1 + (n % 3),
      category: 'shoes',
      position: n % 20,
    },
    context: {
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      traits: n % 10 === 0 ? { email: `bench.user${user}@example.de` } : undefined,
    },
    messageId: `bench-${n}`,
    timestamp: new Date().toISOString(),
  };
}

async function runLoad(total: number, concurrency: number, send: (i: number) => Promise<number>) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const status = await send(i);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return { seconds, p50: pct(0.5), p99: pct(0.99), statuses: Object.fromEntries(statuses) };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function copyBaseline(databaseServer: string, database: string, rows: number): Promise<number> {
  const sql = postgres(databaseUrl(databaseServer, database), { max: 1, onnotice: () => {} });
  try {
    await sql`create table bench_copy (like events including defaults)`;
    const key = randomBytes(32);
    const lines = function* () {
      for (let n = 0; n < rows; n++) {
        const id = randomUUID();
        const customer = randomUUID();
        const e = event(n);
        const payload = sealJson(
          key,
          { userId: e.userId, anonymousId: e.anonymousId, properties: e.properties, context: e.context },
          `event:${customer}:${id}`,
        );
        const now = new Date().toISOString();
        yield `${id}\t${now}\tsrc_bench\t${e.messageId}\t${customer}\t${customer}\ttrack\t${e.event}\t${now}\t${now}\t${now}\t\\N\tEurope/Berlin\tde-DE\t\\\\x${payload.toString('hex')}\n`;
      }
    };
    const started = performance.now();
    // Columns named: the events table grows (e.g. `properties`), and COPY with a missing column never ends.
    const writable =
      await sql`copy bench_copy (id, received_at, source_id, message_id, customer_id, sealed_with, type, event,
      timestamp, original_timestamp, sent_at, timestamp_flag, timezone, locale, payload_sealed) from stdin`.writable();
    await pipeline(Readable.from(lines()), writable);
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await sql`drop table if exists bench_copy`;
    await sql.end();
  }
}

async function main() {
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const { temporal, env } = await startBenchDeployment('ingest', ['eu', 'us', 'apac'], {
    MERIDIAN_WEB_PORT: String(port),
  });
  const config = loadConfig(env);
  await migrateAll(config);
  // MERIDIAN_BENCH_CPU_PROFILE=dir writes a V8 CPU profile of the web server there.
  const profileDir = process.env.MERIDIAN_BENCH_CPU_PROFILE;
  const web = runEntryPoint(
    'web/main.ts',
    [],
    env,
    {},
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  web.stderr!.pipe(process.stderr);
  try {
    const adminToken = config.adminTokens[0]!.token;
    let writeKey = '';
    for (let attempt = 0; attempt < 100 && !writeKey; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/admin/sources`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'bench', region: 'eu', kind: 'server' }),
        });
        writeKey = ((await res.json()) as { writeKey: string }).writeKey;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

    // Warm-up: first profiles, partitions, JIT.
    const warm = await runLoad(50, 4, (i) =>
      post(
        port,
        '/v1/batch',
        auth,
        JSON.stringify({
          batch: Array.from({ length: BATCH_SIZE }, (_, j) => ({
            type: 'track',
            ...event(10_000_000 + i * BATCH_SIZE + j),
          })),
        }),
      ),
    );

    if (warm.statuses[200] !== 50) throw new Error(`warm-up answered ${JSON.stringify(warm.statuses)}`);
    // Bodies are built before the clock starts, as a load generator such as wrk does: on a
    // 2-core machine, serialising them during the run would take CPU from the server measured.
    const batches = Math.ceil(BATCH_EVENTS / BATCH_SIZE);
    const batchBodies = Array.from({ length: batches }, (_, i) =>
      JSON.stringify({
        batch: Array.from({ length: BATCH_SIZE }, (_, j) => ({ type: 'track', ...event(i * BATCH_SIZE + j) })),
      }),
    );
    const trackBodies = Array.from({ length: TRACK_REQUESTS }, (_, i) => JSON.stringify(event(20_000_000 + i)));
    const batch = await runLoad(batches, BATCH_CONCURRENCY, (i) => post(port, '/v1/batch', auth, batchBodies[i]!));
    const track = await runLoad(TRACK_REQUESTS, TRACK_CONCURRENCY, (i) =>
      post(port, '/v1/track', auth, trackBodies[i]!),
    );
    const rss = peakRssMb(web.pid!);

    const check = postgres(databaseUrl(env.DATABASE_URL!, `cdp_eu_${env.MERIDIAN_DB_SUFFIX}`), { max: 1 });
    const [{ n }] = (await check`select count(*)::int as n from events`) as unknown as [{ n: number }];
    const expected = BATCH_EVENTS + TRACK_REQUESTS + 50 * BATCH_SIZE;
    if (n !== expected) {
      const stored = new Set((await check`select message_id from events`).map((r) => r.message_id as string));
      const missing = Array.from({ length: BATCH_EVENTS }, (_, i) => `bench-${i}`).filter((m) => !stored.has(m));
      const claimed =
        await check`select count(*)::int as n from event_message_ids where message_id = any(${missing.slice(0, 1000)})`;
      console.error(`MISSING ${missing.length}: ${missing.slice(0, 5).join(', ')} … claimed ${claimed[0]!.n}`);
    }
    await check.end();

    const batchRate = BATCH_EVENTS / batch.seconds;
    const trackRate = TRACK_REQUESTS / track.seconds;
    // Meridian's own figures first: the COPY ceiling below is measured after them.
    console.log(
      `ingest: /v1/batch ${batchRate.toFixed(0)} events/s (p50 ${batch.p50.toFixed(1)} ms, p99 ${batch.p99.toFixed(1)} ms, ${JSON.stringify(batch.statuses)}); /v1/track ${trackRate.toFixed(0)} requests/s (p50 ${track.p50.toFixed(1)} ms, p99 ${track.p99.toFixed(1)} ms, ${JSON.stringify(track.statuses)}); web peak RSS ${rss.toFixed(0)} MB; events stored ${n}`,
    );
    const copyRate = await copyBaseline(env.DATABASE_URL!, `cdp_eu_${env.MERIDIAN_DB_SUFFIX}`, BATCH_EVENTS);

    console.log(`
Meridian ingestion benchmark (${new Date().toISOString()}, ${USERS} distinct users, identity resolution + encryption on)
  /v1/batch  ${BATCH_EVENTS} events in batches of ${BATCH_SIZE}, ${BATCH_CONCURRENCY} in flight
             ${batchRate.toFixed(0)} events/s   request p50 ${batch.p50.toFixed(1)} ms  p99 ${batch.p99.toFixed(1)} ms   statuses ${JSON.stringify(batch.statuses)}
  /v1/track  ${TRACK_REQUESTS} requests, ${TRACK_CONCURRENCY} in flight
             ${trackRate.toFixed(0)} requests/s   p50 ${track.p50.toFixed(1)} ms  p99 ${track.p99.toFixed(1)} ms   statuses ${JSON.stringify(track.statuses)}
  web server peak RSS  ${rss.toFixed(0)} MB
  events stored        ${n} (expected ${BATCH_EVENTS + TRACK_REQUESTS + 50 * BATCH_SIZE})
  baseline: raw PostgreSQL COPY of ${BATCH_EVENTS} rows of the same shape  ${copyRate.toFixed(0)} rows/s
  /v1/batch reaches ${((batchRate / copyRate) * 100).toFixed(1)}% of the COPY ceiling`);
  } finally {
    web.kill('SIGTERM');
    await new Promise((r) => web.once('exit', r));
    await dropDatabases(config);
    await temporal.teardown();
    agent.destroy();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
