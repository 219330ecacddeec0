import { readFileSync } from 'node:fs';
import { intakeBacklog } from '../../db/intake-store';
import { cpus, totalmem } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import postgres, { type Sql } from 'postgres';
import { databaseUrl } from '../../db/connections';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { runEntryPoint } from '../entry-point';
import { generateRegion, type RegionData } from './audience-data';
import { segmentDefinitions } from './audiences-segments';
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
const PROBE_LIMIT_MS = arg('probe-limit-s', 60) * 1000;
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
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
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

/**
 * The baseline for the preview: the same four conditions as one hand-written count in a region,
 * straight to PostgreSQL (no API, no compiler, consent by the latest record only).
 */
async function handWrittenPreview(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from profile_traits t
    where t.key = 'plan' and t.value = '"premium"'::jsonb
      and (select count(*) from events e where e.customer_id = t.customer_id and e.event = 'Product Viewed'
           and e.timestamp > now() - interval '30 days') >= 2
      and (select coalesce(sum(o.reporting_total_minor), 0) from orders o where o.customer_id = t.customer_id
           and o.placed_at > now() - interval '365 days') >= 10000
      and (select c.state from consent_records c where c.customer_id = t.customer_id and c.purpose = 'emailMarketing'
           order by c.recorded_at desc limit 1) = 'granted'`;
  return row!.n;
}

function trackEvent(user: number, name: string, n: number) {
  return {
    type: 'track',
    userId: `bench-aud-user-${user}`,
    event: name,
    properties: { sku: `SKU-${n % 997}`, price: (n % 10_000) / 100, category: 'shoes' },
    context: { locale: 'de-DE', timezone: 'Europe/Berlin' },
    messageId: `bench-aud-${name.replace(' ', '-')}-${n}`,
    timestamp: new Date().toISOString(),
  };
}

async function postBatch(port: number, writeKey: string, batch: unknown[]): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ batch }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `events` page views in batches of 100, 8 in flight, to new users; events/s. */
/**
 * Events per second from the first request until the last event is written (the intake log
 * drained by the region's processor, docs/design/ingestion.md): what the audience layer costs is
 * paid by the processor, after the acknowledgement.
 */
async function ingestRun(port: number, writeKey: string, events: number, userBase: number, eu: Sql): Promise<number> {
  const batches = Math.ceil(events / 100);
  const bodies = Array.from({ length: batches }, (_, b) =>
    Array.from({ length: 100 }, (_, j) => {
      const n = userBase + b * 100 + j;
      return trackEvent(userBase + ((b * 100 + j) % 5_000), 'Page Viewed', n);
    }),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches) {
        const status = await postBatch(port, writeKey, bodies[next++]!);
        if (status !== 200) throw new Error(`/v1/batch answered ${status}`);
      }
    }),
  );
  while ((await intakeBacklog(eu)).requests > 0) await new Promise((r) => setTimeout(r, 20));
  return events / ((performance.now() - started) / 1000);
}

/**
 * Probes, one at a time: a new person views a product (entering "viewed a product, no purchase in
 * 7 days"); the time until their entry is in the membership outbox. Meanwhile page views of other
 * people arrive at `STEADY_RATE` events/s (batches of 50), which touch no probe segment's entry.
 */
async function membershipLatency(port: number, writeKey: string, eu: Sql, segmentId: string, userBase: number) {
  let stop = false;
  let sent = 0;
  let failed = 0;
  // Paced senders, at most 8 batches in flight: the rate reported is the rate the server took.
  const load = (async () => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          const due = Math.floor(((performance.now() - started) / 1000) * STEADY_RATE);
          if (sent + 50 > due) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          const first = sent;
          sent += 50;
          const batch = Array.from({ length: 50 }, (_, j) =>
            trackEvent(userBase + ((first + j) % 20_000), 'Page Viewed', 90_000_000 + first + j),
          );
          const status = await postBatch(port, writeKey, batch).catch(() => 0);
          if (status !== 200) failed += 50;
        }
      }),
    );
    return { rate: (sent - failed) / ((performance.now() - started) / 1000), failed };
  })();
  await new Promise((r) => setTimeout(r, 3_000));
  const latencies: number[] = [];
  const entered = async () =>
    (
      await eu<
        { n: number }[]
      >`select count(*)::int as n from segment_membership_events where segment_id = ${segmentId} and kind = 'entered'`
    )[0]!.n;
  // A probe still waiting after PROBE_LIMIT_MS counts as that long (reported as such), and probing
  // stops there: the processor is behind, and later probes would only wait longer.
  let gaveUp = 0;
  for (let probe = 0; probe < LATENCY_PROBES; probe++) {
    const before = await entered();
    const t = performance.now();
    const status = await postBatch(port, writeKey, [
      trackEvent(80_000_000 + probe, 'Product Viewed', 95_000_000 + probe),
    ]);
    if (status !== 200) throw new Error(`/v1/batch answered ${status}`);
    const seen = await waitFor(
      'the probe to enter the segment',
      async () => ((await entered()) > before ? true : undefined),
      PROBE_LIMIT_MS,
    ).catch(() => false);
    latencies.push(performance.now() - t);
    if (!seen) {
      gaveUp = LATENCY_PROBES - probe;
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const backlog = (await eu<{ n: number }[]>`select count(*)::int as n from audience_changes`)[0]!.n;
  stop = true;
  return { latencies, gaveUp, backlog, ...(await load) };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main() {
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const regions = ['eu', 'us', 'apac'];
  const { temporal, env } = await startBenchDeployment('audiences', regions, { MERIDIAN_WEB_PORT: String(port) });
  const config = loadConfig(env);
  await migrateAll(config);
  // One connection each: COPY and the baselines run one at a time.
  const regionSql = new Map<string, Sql>(
    regions.map((r) => [
      r,
      postgres(databaseUrl(env.DATABASE_URL!, `cdp_${r}_${env.MERIDIAN_DB_SUFFIX}`), { max: 1, onnotice: () => {} }),
    ]),
  );
  const processes: { name: string; child: ChildProcess }[] = [];
  const start = (name: string, entry: string, argv: string[], extra: NodeJS.ProcessEnv = {}) => {
    const child = runEntryPoint(entry, argv, { ...env, ...extra });
    child.stderr!.pipe(process.stderr);
    // The processes log JSON lines to stdout: errors are shown, the rest is dropped.
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (/"level":"(error|fatal)"/.test(line)) console.error(line);
    });
    processes.push({ name, child });
    return child;
  };
  const stop = async (child: ChildProcess, name: string) => {
    const rss = peakRssMb(child.pid!);
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    peaks.push({ name, mb: rss });
  };
  const peaks: { name: string; mb: number }[] = [];
  try {
    let web = start('web', 'web/main.ts', []);
    let worker = start('workers', 'workers/main.ts', ['--regions', regions.join(',')]);
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
    await waitForReady(worker, '"worker ready"');
    console.log(`generating ${PROFILES} profiles …`);

    // 1. Data.
    const generated: RegionData[] = [];
    let offset = 0;
    const now = new Date();
    for (const region of regions) {
      const profiles = Math.round(PROFILES * SHARE[region]!);
      const source = sources.get(region)!;
      const data = await generateRegion(regionSql.get(region)!, {
        region,
        offset,
        profiles,
        sourceId: source.id,
        connectorId: source.id,
        seed: 1000 + offset,
        now,
      });
      offset += profiles;
      generated.push(data);
      console.log(
        `  ${region}: ${data.profiles} profiles, ${data.events} events, ${data.orders} orders, ${data.traits} traits, ${data.consentRecords} consent records in ${data.seconds.toFixed(0)} s`,
      );
    }

    // Bulk-loaded tables have no visibility map or statistics yet; a running system's autovacuum
    // would have made both long before a marketer previews a segment.
    console.log('vacuuming and analysing the generated tables …');
    for (const sql of regionSql.values()) await sql`vacuum (analyze)`;

    // 2. Twenty segments, created as a marketer would: creating one computes its members.
    console.log('creating 20 segments …');
    const definitions = segmentDefinitions();
    let started = performance.now();
    const created: { id: string; recomputes: string[] }[] = [];
    for (const [name, definition] of definitions) {
      const answer = await api.call<{ segment: { id: string }; recomputes: string[] }>('POST', '/admin/segments', {
        name,
        owner: 'group',
        definition,
      });
      created.push({ id: answer.segment.id, recomputes: answer.recomputes });
    }
    // Results are sealed by Meridian's payload codec: the end of each workflow is read from its status.
    // One workflow at a time (they all run meanwhile): sixty pollers at 10 Hz each overloaded the
    // dev server's store, which then lost activity completions (each waited for its timeout).
    const results = async (ids: string[]) => {
      for (const id of ids) {
        const handle = temporal.client.workflow.getHandle(id);
        const end = await waitFor(
          `workflow ${id}`,
          async () => {
            const { status } = await handle.describe();
            return status.name === 'RUNNING' ? undefined : status.name;
          },
          600_000,
        );
        if (end !== 'COMPLETED') throw new Error(`workflow ${id} ended ${end}`);
      }
    };
    await results(created.flatMap((c) => c.recomputes));
    const firstCompute = (performance.now() - started) / 1000;
    console.log(`  first computation of 20 segments: ${firstCompute.toFixed(1)} s`);
    console.log('recomputing 20 segments …');
    started = performance.now();
    const recomputes: string[] = [];
    for (const { id } of created)
      recomputes.push(
        ...(await api.call<{ recomputes: string[] }>('POST', `/admin/segments/${id}/recompute`)).recomputes,
      );
    await results(recomputes);
    const recompute = (performance.now() - started) / 1000;
    const counts = await Promise.all(
      created.map((c) =>
        api.call<{ total: number; regions: Record<string, number> }>('GET', `/admin/segments/${c.id}/counts`),
      ),
    );

    // 3. Preview of the 4-condition segment, and the same question in hand-written SQL.
    console.log(`  full recompute of 20 segments: ${recompute.toFixed(1)} s`);
    console.log('previewing …');
    const previews: number[] = [];
    let previewCount = 0;
    for (let i = 0; i < PREVIEW_RUNS; i++) {
      const t = performance.now();
      previewCount = (
        await api.call<{ total: number }>('POST', '/admin/segments/preview', { definition: definitions[0]![1] })
      ).total;
      previews.push(performance.now() - t);
    }
    const baseline: number[] = [];
    let baselineCount = 0;
    for (let i = 0; i < Math.min(PREVIEW_RUNS, 10); i++) {
      const t = performance.now();
      const perRegion = await Promise.all(regions.map((r) => handWrittenPreview(regionSql.get(r)!)));
      baseline.push(performance.now() - t);
      baselineCount = perRegion.reduce((a, b) => a + b, 0);
    }

    // 4. An event that moves a person into a segment, at a steady ingestion rate.
    console.log(
      `  preview p50 ${fmt(percentile(previews, 0.5))} p95 ${fmt(percentile(previews, 0.95))} (${previewCount} people); hand-written SQL p50 ${fmt(percentile(baseline, 0.5))} p95 ${fmt(percentile(baseline, 0.95))} (${baselineCount})`,
    );
    console.log(`membership latency at ${STEADY_RATE} events/s …`);
    const latency = await membershipLatency(port, sources.get('eu')!.writeKey, regionSql.get('eu')!, created[1]!.id, 0);

    console.log(
      `  latency p50 ${fmt(percentile(latency.latencies, 0.5))} p95 ${fmt(percentile(latency.latencies, 0.95))} at ${latency.rate.toFixed(0)} events/s; queued at the end ${latency.backlog}`,
    );
    // 5. Ingestion with the audience layer off and on (web and workers restarted each time), alternated.
    const ingest: { mode: string; eventsPerSecond: number }[] = [];
    let userBase = 1_000_000;
    for (const mode of ['off', 'on', 'off', 'on']) {
      console.log(`ingesting with the audience layer ${mode} …`);
      await stop(web, 'web');
      await stop(worker, 'workers');
      web = start('web', 'web/main.ts', [], { MERIDIAN_AUDIENCES: mode });
      worker = start('workers', 'workers/main.ts', ['--regions', regions.join(',')], { MERIDIAN_AUDIENCES: mode });
      await waitForReady(worker, '"worker ready"');
      await waitFor('the web server', () => api.call('GET', '/admin/sources'));
      ingest.push({
        mode,
        eventsPerSecond: await ingestRun(
          port,
          sources.get('eu')!.writeKey,
          INGEST_EVENTS,
          userBase,
          regionSql.get('eu')!,
        ),
      });
      userBase += INGEST_EVENTS;
      console.log(`  ${mode}: ${ingest.at(-1)!.eventsPerSecond.toFixed(0)} events/s`);
    }
    await stop(web, 'web');
    await stop(worker, 'workers');

    const mean = (mode: string) => {
      const runs = ingest.filter((r) => r.mode === mode).map((r) => r.eventsPerSecond);
      return runs.reduce((a, b) => a + b, 0) / runs.length;
    };
    const total = generated.reduce(
      (a, g) => ({ profiles: a.profiles + g.profiles, events: a.events + g.events, orders: a.orders + g.orders }),
      { profiles: 0, events: 0, orders: 0 },
    );
    const peak = (name: string) => Math.max(...peaks.filter((p) => p.name === name).map((p) => p.mb));
    console.log(`
Meridian audience benchmark (${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB)
  data         ${total.profiles} profiles (eu/us/apac ${generated.map((g) => g.profiles).join('/')}), ${total.events} events, ${total.orders} orders
  preview      4 conditions (trait + event window + order amount + consent), ${PREVIEW_RUNS} runs over the API, ${previewCount} people
               p50 ${fmt(percentile(previews, 0.5))}  p95 ${fmt(percentile(previews, 0.95))}   (target p95 < 200 ms)
    baseline   the same question hand-written in SQL, the 3 regions in parallel: p50 ${fmt(percentile(baseline, 0.5))}  p95 ${fmt(percentile(baseline, 0.95))}, ${baselineCount} people
  20 segments  first computation ${firstCompute.toFixed(1)} s; full recompute ${recompute.toFixed(1)} s   (target < 60 s)
               members: ${counts.map((c) => c.total).join(', ')}
  membership   an event moving a person into a segment, ${LATENCY_PROBES} probes while ingesting ${latency.rate.toFixed(0)} events/s (${latency.failed} refused):
               p50 ${fmt(percentile(latency.latencies, 0.5))}  p95 ${fmt(percentile(latency.latencies, 0.95))}  max ${fmt(Math.max(...latency.latencies))}   (target p95 < 2 s)
               ${latency.gaveUp ? `probing stopped: a probe waited over ${PROBE_LIMIT_MS / 1000} s, ${latency.gaveUp} of ${LATENCY_PROBES} probes not run; ` : ''}changes still queued for the audience processor at the end: ${latency.backlog}
  ingestion    /v1/batch, ${INGEST_EVENTS} events per run, runs ${ingest.map((r) => `${r.mode} ${r.eventsPerSecond.toFixed(0)}`).join(', ')} events/s
               audience layer on: ${((mean('on') / mean('off')) * 100).toFixed(1)}% of off   (target ≥ 90%)
  peak RSS     web ${peak('web').toFixed(0)} MB, workers ${peak('workers').toFixed(0)} MB, this process (data generator, load) ${peakRssMb(process.pid).toFixed(0)} MB`);
  } finally {
    for (const { child } of processes) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      processes.map(({ child }) => (child.exitCode !== null ? null : new Promise((r) => child.once('exit', r)))),
    );
    for (const sql of regionSql.values()) await sql.end();
    if (!args.includes('--keep')) await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).stack}`);
  process.exit(1);
});
