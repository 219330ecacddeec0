import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import postgres, { type PendingQuery, type Row, type Sql } from 'postgres';
import { databaseUrl } from '../../db/connections';
import { sealJson } from '../../db/crypto-shredding';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';
import { basicAuth, benchEvent, closeLoadAgent, describeLoad, post, runLoad, segmentLoad } from './segment-load';
import { intakeBacklog } from '../../db/intake-store';

/**
 * Ingestion benchmark: `npm run bench:ingest [-- --events 200000] [--seed-profiles 1000000 --seed-events 10000000]`.
 * Starts Meridian's web server and the eu region's worker as their own processes against the
 * local PostgreSQL, and drives them with the load of ./segment-load.ts (batches of 100 through
 * /v1/batch, 16 in flight; single calls through /v1/track, 32 in flight). The tracking API
 * acknowledges once calls are in the intake log; the worker's intake processor resolves (One ID),
 * seals and writes them (docs/design/ingestion.md). Reported: the acknowledged rates and request
 * p50/p99, the delay from acknowledgement to the event written to its profile (probes during the
 * batch load: p50/p95), how long the processor took to drain, the processor's own rate, web and
 * worker RSS; then, as the ceiling, raw PostgreSQL COPY of as many rows of the same shape (sealed
 * payloads included) into a plain table, measured in the same run.
 *
 * `--seed-profiles N --seed-events M` first fills the eu region by COPY (profiles with an email
 * identity each, events and their message IDs), so the run shows the cost as data grows; the
 * report then gives bytes stored per event and the index sizes.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const BATCH_EVENTS = arg('events', 200_000);
const BATCH_SIZE = 100;
const BATCH_CONCURRENCY = arg('batch-concurrency', 16);
const TRACK_REQUESTS = arg('track-requests', 20_000);
const TRACK_CONCURRENCY = arg('track-concurrency', 32);
const USERS = arg('users', 20_000);
const SEED_PROFILES = arg('seed-profiles', 0);
const SEED_EVENTS = arg('seed-events', 0);
const PROBE_EVERY_MS = 100;

function event(n: number) {
  return benchEvent(n, USERS);
}

function rssMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

/**
 * While the batch load runs: one /v1/track call every PROBE_EVERY_MS, and the time from its
 * acknowledgement until its message ID is committed by the processor (it commits with the event).
 */
async function probeDelays(url: URL, auth: string, eu: Sql, sourceId: string, signal: { done: boolean }) {
  const pending = new Map<string, number>();
  const delays: number[] = [];
  let n = 0;
  const sender = (async () => {
    while (!signal.done) {
      const id = `probe-${n}`;
      const body = JSON.stringify({ ...event(30_000_000 + n), messageId: id });
      n++;
      // A probe whose connection fails (a kept-alive socket the loaded server closed) is a probe
      // not acknowledged, not the end of the run.
      void post(url, '/v1/track', auth, body).then(
        (status) => {
          if (status === 200) pending.set(id, performance.now());
        },
        () => {},
      );
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();
  const giveUp = () => performance.now() + 120_000;
  let deadline = giveUp();
  while (!signal.done || pending.size > 0) {
    if (signal.done && performance.now() > deadline) break;
    if (!signal.done) deadline = giveUp();
    if (pending.size > 0) {
      const rows = await eu<{ message_id: string }[]>`
        select message_id from event_message_ids where source_id = ${sourceId} and message_id = any(${[...pending.keys()]})`;
      const now = performance.now();
      for (const { message_id } of rows) {
        delays.push(now - pending.get(message_id)!);
        pending.delete(message_id);
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await sender;
  delays.sort((a, b) => a - b);
  const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor(delays.length * p))] ?? Number.NaN;
  return { probes: n, resolved: delays.length, p50: pct(0.5), p95: pct(0.95), max: delays.at(-1) ?? Number.NaN };
}

/** Fills the region by COPY: profiles with one email identity each, events spread over them, their message IDs. */
async function seedRegion(sql: Sql, profiles: number, events: number): Promise<number> {
  const started = performance.now();
  const key = randomBytes(32);
  const wrapped = randomBytes(62);
  const ids = Array.from({ length: Math.min(profiles, 1_000_000) }, () => randomUUID());
  const customer = (i: number) => ids[i % ids.length]!;
  const copy = async (statement: PendingQuery<Row[]>, rows: () => Iterable<string>) =>
    pipeline(Readable.from(rows()), await statement.writable());
  await copy(sql`copy profiles (customer_id, data_key_wrapped) from stdin`, function* () {
    for (let i = 0; i < profiles; i++) yield `${customer(i)}\t\\\\x${wrapped.toString('hex')}\n`;
  });
  await copy(
    sql`copy identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance) from stdin`,
    function* () {
      for (let i = 0; i < profiles; i++) {
        const sealed = sealJson(key, `seed.${i}@example.com`, 'seed');
        yield `${customer(i)}\temail\t\\\\x${randomBytes(32).toString('hex')}\t\\\\x${sealed.toString('hex')}\t${customer(i)}\tsrc_seed\tserver\n`;
      }
    },
  );
  await sql`select meridian_ensure_events_partition(date_trunc('month', now())::date)`;
  const now = new Date().toISOString();
  await copy(
    sql`copy events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
      original_timestamp, sent_at, timestamp_flag, timezone, locale, payload_sealed, properties) from stdin`,
    function* () {
      for (let n = 0; n < events; n++) {
        const e = event(n);
        const c = customer(n % Math.max(1, profiles));
        const payload = sealJson(key, { userId: e.userId, properties: e.properties, context: e.context }, 'seed');
        yield `${randomUUID()}\t${now}\tsrc_seed\tseed-${n}\t${c}\t${c}\ttrack\t${e.event}\t${now}\t${now}\t${now}\t\\N\tEurope/Berlin\tde-DE\t\\\\x${payload.toString('hex')}\t${JSON.stringify(e.properties)}\n`;
      }
    },
  );
  await copy(sql`copy event_message_ids (source_id, message_id, received_at) from stdin`, function* () {
    for (let n = 0; n < events; n++) yield `src_seed\tseed-${n}\t${now}\n`;
  });
  await sql`analyze`;
  return (performance.now() - started) / 1000;
}

/** Bytes stored per event (events partitions with their indexes and TOAST, and message IDs) and the index sizes. */
async function storageReport(sql: Sql): Promise<string> {
  const [{ events, bytes, message_bytes }] = (await sql`
    select (select count(*) from events)::bigint as events,
           (select coalesce(sum(pg_total_relation_size(inhrelid)), 0) from pg_inherits where inhparent = 'events'::regclass)::bigint as bytes,
           pg_total_relation_size('event_message_ids')::bigint as message_bytes`) as unknown as [
    { events: string; bytes: string; message_bytes: string },
  ];
  const indexes = await sql<{ name: string; size: string }[]>`
    select coalesce(p.relname, c.relname) as name, pg_size_pretty(sum(pg_relation_size(i.indexrelid))) as size
    from pg_index i join pg_class c on c.oid = i.indrelid
    left join pg_inherits h on h.inhrelid = c.oid left join pg_class p on p.oid = h.inhparent
    where coalesce(p.relname, c.relname) in ('events', 'event_message_ids', 'identities', 'profiles', 'traits', 'intake_calls')
    group by 1 order by 1`;
  const perEvent = (Number(bytes) + Number(message_bytes)) / Math.max(1, Number(events));
  return `storage    ${events} events; ${perEvent.toFixed(0)} bytes per event (events with indexes and TOAST, plus its message ID)
             indexes: ${indexes.map((i) => `${i.name} ${i.size}`).join(', ')}`;
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
  const eu = postgres(databaseUrl(env.DATABASE_URL!, `cdp_eu_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  let seeded = '';
  if (SEED_PROFILES > 0 || SEED_EVENTS > 0) {
    console.log(`seeding eu with ${SEED_PROFILES} profiles and ${SEED_EVENTS} events by COPY …`);
    const seconds = await seedRegion(eu, SEED_PROFILES, SEED_EVENTS);
    seeded = `region eu seeded with ${SEED_PROFILES} profiles and ${SEED_EVENTS} events (COPY, ${seconds.toFixed(0)} s)`;
    console.log(`  ${seeded}`);
  }
  // MERIDIAN_BENCH_CPU_PROFILE=dir writes V8 CPU profiles of the web server and the worker there.
  const profileDir = process.env.MERIDIAN_BENCH_CPU_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // MERIDIAN_BENCH_WEB_NODE_ARGS="--flag …": Node flags for the web server only, to compare memory settings.
  const webArgs = process.env.MERIDIAN_BENCH_WEB_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const web = runEntryPoint('web/main.ts', [], env, {}, [...profile, ...webArgs]);
  web.stderr!.pipe(process.stderr);
  // The eu worker runs the intake processor (and the audience processor, as deployed).
  const worker = runEntryPoint('workers/main.ts', ['--regions', 'eu'], env, {}, profile);
  worker.stderr!.pipe(process.stderr);
  try {
    const adminToken = config.adminTokens[0]!.token;
    let writeKey = '';
    let sourceId = '';
    for (let attempt = 0; attempt < 600 && !writeKey; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/admin/sources`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'bench', region: 'eu', kind: 'server' }),
        });
        const created = (await res.json()) as { writeKey: string; source: { id: string } };
        writeKey = created.writeKey;
        sourceId = created.source.id;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const url = new URL(`http://127.0.0.1:${port}`);
    const auth = basicAuth(writeKey);
    const drained = async () => {
      while ((await intakeBacklog(eu)).requests > 0) await new Promise((r) => setTimeout(r, 20));
    };

    // Warm-up: first profiles, partitions, JIT; written before the clock starts.
    const warm = await runLoad(50, 4, (i) =>
      post(
        url,
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
    await drained();

    const options = {
      url: url.toString(),
      writeKey,
      batchEvents: BATCH_EVENTS,
      batchConcurrency: BATCH_CONCURRENCY,
      trackRequests: TRACK_REQUESTS,
      trackConcurrency: TRACK_CONCURRENCY,
      users: USERS,
      run: 'bench',
    };
    let probes: Awaited<ReturnType<typeof probeDelays>> | undefined;
    let batchEnded = 0;
    const started = performance.now();
    const load = await segmentLoad({
      ...options,
      duringBatch: async (signal) => {
        probes = await probeDelays(url, auth, eu, sourceId, signal);
        batchEnded = performance.now();
      },
    });
    await drained();
    const allWritten = performance.now();
    const webRss = rssMb(web.pid!, 'VmRSS');
    const webPeak = rssMb(web.pid!, 'VmHWM');
    const workerPeak = rssMb(worker.pid!, 'VmHWM');

    const [{ n }] = (await eu`select count(*)::int as n from events where source_id = ${sourceId}`) as unknown as [
      { n: number },
    ];
    // Only what was acknowledged counts (a 429 from the source's rate limit stored nothing).
    const expected =
      (load.batch.statuses[200] ?? 0) * BATCH_SIZE +
      (load.track.statuses[200] ?? 0) +
      50 * BATCH_SIZE +
      (probes?.resolved ?? 0);
    // Everything the processor wrote, from the first batch until the intake was empty.
    const processorRate = (BATCH_EVENTS + TRACK_REQUESTS + (probes?.probes ?? 0)) / ((allWritten - started) / 1000);
    console.log(
      `ingest: ${describeLoad(load, options).trim()}; processor ${processorRate.toFixed(0)} events/s; ack→written p95 ${probes?.p95.toFixed(0)} ms; web RSS ${webRss.toFixed(0)} MB; events stored ${n}`,
    );
    const storage = seeded ? await storageReport(eu) : '';
    const copyRate = await copyBaseline(env.DATABASE_URL!, `cdp_eu_${env.MERIDIAN_DB_SUFFIX}`, BATCH_EVENTS);
    const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

    console.log(`
Meridian ingestion benchmark (${new Date().toISOString()}, ${USERS} distinct users, two-stage: intake log + processor; load average ${load1})
${seeded ? `  ${seeded}\n` : ''}${describeLoad(load, options)}
  processing  acknowledgement → event written to its resolved profile, ${probes?.resolved}/${probes?.probes} probes during the batch load:
             p50 ${probes?.p50.toFixed(0)} ms  p95 ${probes?.p95.toFixed(0)} ms  max ${probes?.max.toFixed(0)} ms
             intake drained ${((allWritten - batchEnded) / 1000).toFixed(1)} s after the batch load and its probes; processor ${processorRate.toFixed(0)} events/s from first request to last write
  RSS        web ${webRss.toFixed(0)} MB after the load (peak ${webPeak.toFixed(0)} MB); worker peak ${workerPeak.toFixed(0)} MB
  events stored        ${n} (expected ${expected})
${storage ? `  ${storage}\n` : ''}  baseline: raw PostgreSQL COPY of ${BATCH_EVENTS} rows of the same shape  ${copyRate.toFixed(0)} rows/s
  /v1/batch acknowledges ${((load.batch.eventsPerSecond / copyRate) * 100).toFixed(1)}% of the COPY ceiling; the processor writes ${((processorRate / copyRate) * 100).toFixed(1)}%`);
  } finally {
    web.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all([
      new Promise((r) => (web.exitCode !== null ? r(null) : web.once('exit', r))),
      new Promise((r) => (worker.exitCode !== null ? r(null) : worker.once('exit', r))),
    ]);
    await eu.end();
    await dropDatabases(config);
    await temporal.teardown();
    closeLoadAgent();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
