import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChildProcess } from 'node:child_process';
import type { Sql } from 'postgres';
import { openGlobalPool, openRegionalPool } from '../../db/connections';
import { blindIndex, keyFromRef, newDataKey, seal, wrapDataKey } from '../../db/crypto-shredding';
import { createBroadcast, setBroadcastStatus } from '../../db/broadcasts-store';
import { createJourney } from '../../db/journeys-store';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { consentBrandOf } from '../../db/brands-store';
import { reserveSend, reserveSendBatch } from '../../db/send-gate-store';
import { createSegment } from '../../db/segments-store';
import { createTemplate } from '../../db/templates-store';
import { loadConfig } from '../../domain/config';
import { GLOBAL_REGION } from '../../domain/regions';
import { journeyGraphSchema } from '../../domain/journeys';
import { jurisdictionOf } from '../../domain/jurisdictions';
import { localParts } from '../../domain/local-time';
import { nextAllowedInstant } from '../../domain/quiet-hours';
import { FREQUENCY_CAPS } from '../../domain/send-gate';
import { connectClient } from '../../temporal/connection';
import { broadcastProgress, signalBroadcast, startBroadcast } from '../../temporal/processes/broadcasts';
import { createMimeComposer } from '../../mail/mime';
import { createSmtpPool } from '../../mail/smtp-pool';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';
import { startSmtpSink } from './smtp-sink';

/**
 * Activation benchmark: `npm run bench:activation [-- --recipients 100000 --runs 10000 --gate 2000 --raw-baseline 20000]`.
 * One region (eu) with its regional worker as its own process, email to a local SMTP sink that
 * counts Message-IDs. Figures are printed as they are measured:
 * - broadcast: `--recipients` people over 26 zones (seeded with COPY: profiles with sealed emails,
 *   consent for email, an event in their zone, segment membership; 1 % already had two marketing
 *   emails today, so the daily cap must stop them). Planning (every send given its instant in the
 *   person's zone) is timed; then the plan's instants, spread over a day, are all brought to now
 *   (the clock compressed) and the delivery rate into the sink is measured, with the worker process's
 *   CPU per message; then, as the same run's reference, `--raw-baseline` prebuilt messages are sent
 *   straight to the sink from this process (what the sink takes at this load). Checked: nobody twice
 *   (sink Message-IDs and send keys), nobody sent inside quiet hours, nobody over a cap.
 * - journeys: `--runs` concurrent abandoned-cart runs (Checkout Started keyed by cart_id → wait
 *   `--wait` seconds for Order Completed with the same cart → else an email); 10 % of carts get
 *   their order. Measured: history events per run (sampled from the dev server), the dev server's
 *   CPU time (/proc), p95 from the triggering event to the message. Checked: no reminder after its
 *   cart's order was received; reminders = carts without an order + orders received too late.
 * - the gate: `--gate` sequential reserveSend calls, against a bare INSERT of a send key, same run; and the
 *   same number of sends through reserveSendBatch in batches of 500 (a broadcast's way).
 * - peak RSS of the workers, the Temporal dev server and this process.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RECIPIENTS = arg('recipients', 100_000);
const RUNS = arg('runs', 10_000);
const GATE_CALLS = arg('gate', 2_000);
const GATE_BATCH = 500;
const WAIT_SECONDS = arg('wait', 30);
const PER_SECOND = arg('per-second', 5_000);
const CONCURRENCY = arg('concurrency', 64);
const REGION = 'eu';
const SOURCE = 'src_bench';
/** Messages of the same-run reference: prebuilt, sent straight to the sink (no gate, no render, no worker). */
const RAW_BASELINE = arg('raw-baseline', 20_000);

/** 26 zones on every continent (country for consent law and quiet hours). */
const ZONES: [zone: string, country: string][] = [
  ['Pacific/Auckland', 'NZ'],
  ['Australia/Sydney', 'AU'],
  ['Asia/Tokyo', 'JP'],
  ['Asia/Seoul', 'KR'],
  ['Asia/Shanghai', 'CN'],
  ['Asia/Hong_Kong', 'HK'],
  ['Asia/Singapore', 'SG'],
  ['Asia/Bangkok', 'TH'],
  ['Asia/Kolkata', 'IN'],
  ['Asia/Dubai', 'AE'],
  ['Europe/Moscow', 'RU'],
  ['Africa/Nairobi', 'KE'],
  ['Europe/Athens', 'GR'],
  ['Europe/Berlin', 'DE'],
  ['Europe/Paris', 'FR'],
  ['Europe/London', 'GB'],
  ['Africa/Lagos', 'NG'],
  ['Atlantic/Azores', 'PT'],
  ['America/Sao_Paulo', 'BR'],
  ['America/Argentina/Buenos_Aires', 'AR'],
  ['America/New_York', 'US'],
  ['America/Chicago', 'US'],
  ['America/Mexico_City', 'MX'],
  ['America/Denver', 'US'],
  ['America/Los_Angeles', 'US'],
  ['Pacific/Honolulu', 'US'],
];

function peakRssMb(pid: number | undefined): string {
  if (!pid) return '?';
  try {
    return (Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024).toFixed(0);
  } catch {
    return '?';
  }
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The Temporal dev server started for this run: the CLI process listening for our address's port. */
function devServerPid(address: string): number | undefined {
  const port = address.split(':').at(-1)!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((c) => c.includes('temporal')) && cmd.includes('server') && cmd.join(' ').includes(port))
        return Number(entry);
    } catch {}
  }
  return undefined;
}

/**
 * What the SMTP sink takes in this run, on this machine's load: one prebuilt message (the broadcast's
 * size) sent `n` times from this process over as many connections as the workers' pool (16), with
 * unique Message-IDs. The ceiling the broadcast's delivery rate is read against.
 */
async function rawSmtpBaseline(url: string, n: number): Promise<void> {
  if (n <= 0) return;
  const pool = createSmtpPool({ url, timeoutMs: 10_000, connections: 16, maxMessages: 10_000 });
  const composer = createMimeComposer();
  const messages = [];
  for (let i = 0; i < n; i++)
    messages.push(
      await composer.compose({
        from: 'Meridian <news@meridian.example>',
        to: `raw-${i}@bench.example`,
        subject: 'Meridian bench',
        text: 'Our spring collection,',
        html: '<p>Our spring collection, </p>',
        messageId: `<raw-${i}@bench.example>`,
        date: new Date(),
        headers: {
          'List-Unsubscribe': '<https://example.test/u>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      }),
    );
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(messages.map((m) => pool.send(m.envelope, m.raw)));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  pool.close();
  console.log(
    `raw SMTP reference: ${n} prebuilt messages to the same sink in ${seconds.toFixed(1)} s, ${(n / seconds).toFixed(0)} messages/s (sender and sink in this process: ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms CPU per message; load ${loadAverage()})`,
  );
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const tsv = (value: unknown): string => {
  if (value === null || value === undefined) return '\\N';
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
};

async function copy(sql: Sql, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const lines = function* () {
    let chunk = '';
    for (const row of rows) {
      chunk += `${row.map(tsv).join('\t')}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  };
  const query = sql`copy ${sql(table)} (${sql(columns)}) from stdin`;
  const writable = await query.writable();
  await Promise.race([pipeline(Readable.from(lines()), writable), query.then(() => new Promise(() => {}))]);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Seeded {
  ids: string[];
  zoneOf: Map<string, { zone: string; country: string }>;
}

/**
 * People with a sealed email (their own data key, wrapped by the region key), consent for email,
 * one event in their zone (the zone the gate and the planner read), written with COPY.
 */
async function seedPeople(
  sql: Sql,
  keys: { regionKey: ReturnType<typeof keyFromRef>; hmacKey: Buffer },
  n: number,
  tag: string,
): Promise<Seeded> {
  const ids: string[] = [];
  const zoneOf = new Map<string, { zone: string; country: string }>();
  const now = new Date();
  const iso = now.toISOString();
  const profiles: unknown[][] = [];
  const identities: unknown[][] = [];
  const subjects: unknown[][] = [];
  const consent: unknown[][] = [];
  const events: unknown[][] = [];
  const traits: unknown[][] = [];
  const payload = Buffer.alloc(64);
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const [zone, country] = ZONES[i % ZONES.length]!;
    ids.push(id);
    zoneOf.set(id, { zone, country });
    const dataKey = newDataKey();
    const email = `${tag}-${i}@bench.example`;
    profiles.push([id, wrapDataKey(keys.regionKey, dataKey, id), iso, iso]);
    identities.push([
      id,
      'email',
      blindIndex(keys.hmacKey, 'email', email),
      seal(dataKey, email, `identity:${id}:email`),
      id,
      SOURCE,
      'server',
    ]);
    subjects.push([id, country, null, jurisdictionOf(country)]);
    // The segment's condition (plan = bench), so the audience processor agrees they are members.
    traits.push([id, 'plan', JSON.stringify('bench'), 'user.account', SOURCE, iso]);
    consent.push([id, 'emailMarketing', 'granted', 'bench', iso, 'form', `bench-${tag}-${i}`]);
    events.push([
      randomUUID(),
      iso,
      SOURCE,
      `bench-${tag}-${i}`,
      id,
      id,
      'track',
      'Signed Up',
      iso,
      zone,
      'en',
      payload,
      '{}',
    ]);
  }
  await copy(sql, 'profiles', ['customer_id', 'data_key_wrapped', 'created_at', 'last_seen_at'], profiles);
  await copy(
    sql,
    'identities',
    ['customer_id', 'type', 'blind_index', 'value_sealed', 'sealed_with', 'source_id', 'provenance'],
    identities,
  );
  await copy(sql, 'profile_traits', ['customer_id', 'key', 'value', 'category', 'source_id', 'observed_at'], traits);
  await copy(sql, 'consent_subjects', ['customer_id', 'country', 'us_state', 'jurisdiction'], subjects);
  await copy(
    sql,
    'consent_records',
    ['customer_id', 'purpose', 'state', 'source', 'recorded_at', 'proof_kind', 'proof_reference'],
    consent,
  );
  await copy(
    sql,
    'events',
    [
      'id',
      'received_at',
      'source_id',
      'message_id',
      'customer_id',
      'sealed_with',
      'type',
      'event',
      'timestamp',
      'timezone',
      'locale',
      'payload_sealed',
      'properties',
    ],
    events,
  );
  return { ids, zoneOf };
}

async function main() {
  const sink = await startSmtpSink();
  const { temporal, env } = await startBenchDeployment('activation', [REGION], {
    MERIDIAN_SMTP_URL: sink.url,
    MERIDIAN_BROADCAST_PER_SECOND: String(PER_SECOND),
    MERIDIAN_BROADCAST_CONCURRENCY: String(CONCURRENCY),
    MERIDIAN_SMTP_POOL_SIZE: '16',
  });
  const config = loadConfig(env);
  await migrateAll(config);
  // Meridian's own pools (its type settings: jsonb parameters are sent as text).
  const regionalPool = openRegionalPool(config, config.regions.region(REGION), { max: 10 });
  const globalPool = openGlobalPool(config, config.regions.region(GLOBAL_REGION), { max: 4 });
  const sql = regionalPool.sql;
  const g = globalPool.sql;
  const serverPid = devServerPid(temporal.address);
  let workers: ChildProcess | undefined;
  let failed = false;
  const check = (ok: boolean, what: string) => {
    console.log(`  check: ${what}: ${ok ? 'ok' : 'FAILED'}`);
    if (!ok) failed = true;
  };
  try {
    console.log(`machine load (1/5/15 min) at the start: ${loadAverage()}; ${require('node:os').cpus().length} cores`);
    const keys = { regionKey: keyFromRef(config.regions.region(REGION).keyRef, env), hmacKey: config.identityHmacKey };
    await g`insert into brands (id, name) values ('default', 'Default') on conflict do nothing`;
    for (const ym of new Set(
      [new Date(), new Date(Date.now() + 2 * 86_400_000)].map((d) => d.toISOString().slice(0, 7)),
    ))
      await sql`select meridian_ensure_events_partition(${`${ym}-01`}::date)`;
    for (const [id, body] of [
      ['bench_news', '<p>Our spring collection, {{ first_name }}</p>'],
      ['bench_cart', '<p>You left something in your cart</p>'],
    ] as const)
      await createTemplate(g, {
        id,
        brandId: 'default',
        name: id,
        channel: 'email',
        defaultLocale: 'en',
        variants: { en: { subject: 'Meridian bench', body } },
      } as never);

    // ------------------------------------------------------------------ the gate alone
    const consentBrand = await consentBrandOf(g, 'default');
    // People of its own: the gate's keys count against their caps.
    const gatePeople = (await seedPeople(sql, keys, Math.min(GATE_CALLS, 2000), 'g')).ids;
    const gateTimes: number[] = [];
    for (let i = 0; i < GATE_CALLS; i++) {
      const customerId = gatePeople[i % gatePeople.length]!;
      const t = performance.now();
      const r = await reserveSend(
        sql,
        {
          region: REGION,
          customerId,
          brandId: 'default',
          channel: 'email',
          purpose: 'marketing',
          templateRef: 'bench_news',
          sendKey: `gate:${i}:${customerId}`,
        },
        consentBrand,
      );
      gateTimes.push(performance.now() - t);
      if (i < gatePeople.length && r.kind !== 'reserved' && r.kind !== 'blocked') throw new Error(`gate: ${r.kind}`);
    }
    // The same decisions for a broadcast's batch: reserveSendBatch, GATE_BATCH sends a call (fresh keys, same people).
    const batchStart = performance.now();
    for (let i = 0; i < GATE_CALLS; i += GATE_BATCH) {
      const requests = Array.from({ length: Math.min(GATE_BATCH, GATE_CALLS - i) }, (_, j) => {
        const customerId = gatePeople[(i + j) % gatePeople.length]!;
        return {
          region: REGION,
          customerId,
          brandId: 'default',
          channel: 'email' as const,
          purpose: 'marketing' as const,
          templateRef: 'bench_news',
          sendKey: `gate-batch:${i + j}:${customerId}`,
        };
      });
      await reserveSendBatch(sql, requests, consentBrand);
    }
    const batchMs = (performance.now() - batchStart) / GATE_CALLS;
    // Never sent: they must not count against these people's caps in the checks below.
    await sql`update send_keys set status = 'failed', claimed_until = null where send_key like 'gate-batch:%'`;
    const insertTimes: number[] = [];
    for (let i = 0; i < GATE_CALLS; i++) {
      const customerId = gatePeople[i % gatePeople.length]!;
      const t = performance.now();
      await sql`insert into send_keys (send_key, customer_id, brand_id, channel, purpose, status, local_date, claimed_until)
                values (${`bare:${i}`}, ${customerId}, 'default', 'email', 'marketing', 'pending', current_date, now())`;
      insertTimes.push(performance.now() - t);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(
      `gate: reserveSend ${GATE_CALLS} calls one after another: mean ${mean(gateTimes).toFixed(2)} ms, p50 ${percentile(gateTimes, 50).toFixed(2)} ms, p95 ${percentile(gateTimes, 95).toFixed(2)} ms; a bare INSERT of a send key: mean ${mean(insertTimes).toFixed(2)} ms, p50 ${percentile(insertTimes, 50).toFixed(2)} ms, p95 ${percentile(insertTimes, 95).toFixed(2)} ms; reserveSendBatch in batches of ${GATE_BATCH}: ${batchMs.toFixed(3)} ms per send (load ${loadAverage()})`,
    );

    // ------------------------------------------------------------------ broadcast
    const seedStart = performance.now();
    const people = await seedPeople(sql, keys, RECIPIENTS, 'b');
    const segment = await createSegment(g, {
      id: 'bench_all',
      name: 'bench all',
      owner: REGION,
      brandId: null,
      definition: { type: 'trait', key: 'plan', op: 'eq', value: 'bench' },
      changedBy: 'bench',
    });
    await copy(
      sql,
      'segment_membership',
      ['segment_id', 'customer_id', 'version', 'entered_at'],
      people.ids.map((id) => [segment.id, id, 1, new Date().toISOString()]),
    );
    // 1 % already had two marketing emails today (their local day): the daily cap must stop them.
    const capped = people.ids.filter((_, i) => i % 100 === 7);
    const priorKeys: unknown[][] = [];
    for (const id of capped) {
      const today = localParts(new Date(), people.zoneOf.get(id)!.zone).date;
      for (const k of [1, 2])
        priorKeys.push([`prior:${k}:${id}`, id, 'default', 'email', 'marketing', 'sent', today, `<prior-${k}>`]);
    }
    await copy(
      sql,
      'send_keys',
      ['send_key', 'customer_id', 'brand_id', 'channel', 'purpose', 'status', 'local_date', 'provider_message_id'],
      priorKeys,
    );
    await sql`analyze`;
    console.log(
      `seeded ${RECIPIENTS} recipients over ${ZONES.length} zones in ${((performance.now() - seedStart) / 1000).toFixed(1)} s (${capped.length} already at today's cap)`,
    );

    // MERIDIAN_BENCH_CPU_PROFILE=dir writes a V8 CPU profile of the worker there (written when it stops).
    const profileDir = process.env.MERIDIAN_BENCH_CPU_PROFILE;
    workers = runEntryPoint(
      'workers/main.ts',
      ['--regions', REGION],
      env,
      {},
      profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
    workers.stderr!.pipe(process.stderr);
    let out = '';
    workers.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    await waitFor('workers ready', async () => out.includes(`"region":"${REGION}"`), 120_000);
    // Through Meridian's codec: the workers refuse plaintext payloads.
    const client = await connectClient(config);

    // `--recipients 0`: no broadcast (the journeys alone, e.g. to profile them).
    if (RECIPIENTS > 0) {
      // Local 10:00 tomorrow in each person's zone: the plan spreads over about a day.
      const broadcastId = `bench-${Date.now().toString(36)}`;
      await createBroadcast(g, {
        id: broadcastId,
        name: 'bench',
        region: REGION,
        brandId: 'default',
        segmentId: segment.id,
        channel: 'email',
        templateRef: 'bench_news:v1',
        localTime: '10:00',
        whenPassed: 'next-day',
        fallbackZone: 'UTC',
      });
      const started = (await setBroadcastStatus(g, broadcastId, ['draft'], 'running', new Date()))!;
      const cpuBefore = cpuSeconds(serverPid);
      const planStart = performance.now();
      await startBroadcast(client, config.regions, { broadcastId, region: REGION, startedAt: started.startedAt! });
      await waitFor(
        'broadcast planned',
        async () => (await broadcastProgress(client, broadcastId))?.status === 'waiting',
        600_000,
      );
      const planMs = performance.now() - planStart;
      const [plan] = await sql<{ n: number; zones: number; groups: number; first: Date; last: Date }[]>`
      select count(*)::int as n, count(distinct zone)::int as zones, count(distinct send_at)::int as groups,
             min(send_at) as first, max(send_at) as last
      from broadcast_recipients where broadcast_id = ${broadcastId}`;
      console.log(
        `broadcast: ${plan!.n} sends scheduled in ${(planMs / 1000).toFixed(1)} s (${plan!.zones} zones, ${plan!.groups} instants from ${new Date(plan!.first).toISOString()} to ${new Date(plan!.last).toISOString()})`,
      );
      check(planMs < 60_000, 'all sends scheduled in < 60 s');

      // The clock compressed: every planned instant brought to now, the workflow woken (pause + resume).
      await sql`update broadcast_recipients set send_at = now() where broadcast_id = ${broadcastId} and status = 'planned'`;
      const sendStart = Date.now();
      const workerCpuBefore = cpuSeconds(workers.pid);
      await signalBroadcast(client, broadcastId, 'pause');
      await signalBroadcast(client, broadcastId, 'resume');
      let lastPrint = 0;
      await waitFor(
        'broadcast sent',
        async () => {
          const p = await broadcastProgress(client, broadcastId);
          if (Date.now() - lastPrint > 10_000) {
            lastPrint = Date.now();
            const s = sink.received();
            console.log(
              `  … ${s.count} delivered after ${((Date.now() - sendStart) / 1000).toFixed(0)} s (load ${loadAverage()})`,
            );
          }
          return p?.status === 'completed';
        },
        3 * 3600_000,
      );
      const sendMs = Date.now() - sendStart;
      const workerCpu = cpuSeconds(workers.pid) - workerCpuBefore;
      const delivered = sink.received();
      const rate = delivered.count / ((delivered.lastAt - delivered.firstAt) / 1000);
      console.log(
        `broadcast: ${delivered.count} delivered to the SMTP sink in ${(sendMs / 1000).toFixed(1)} s from the wake-up, ${rate.toFixed(0)} messages/s between the first and the last (load ${loadAverage()}); worker process CPU ${workerCpu.toFixed(1)} s, ${((workerCpu / delivered.count) * 1000).toFixed(3)} ms per message (all its threads)`,
      );
      const [tally] = await sql<{ sent: number; capped: number; other: number }[]>`
      select count(*) filter (where status = 'sent')::int as sent,
             count(*) filter (where status = 'blocked' and reason = 'frequency-cap-day')::int as capped,
             count(*) filter (where status not in ('sent') and coalesce(reason, '') <> 'frequency-cap-day')::int as other
      from broadcast_recipients where broadcast_id = ${broadcastId}`;
      const twice = [...sink.byMessageId.values()].filter((n) => n > 1).length;
      check(twice === 0, `none twice (Message-IDs delivered more than once: ${twice})`);
      check(
        tally!.sent === delivered.count && tally!.sent === RECIPIENTS - capped.length,
        `sent ${tally!.sent} = delivered ${delivered.count} = recipients − capped ${RECIPIENTS - capped.length}`,
      );
      check(
        tally!.capped === capped.length,
        `over the cap: ${tally!.capped} blocked (frequency-cap-day), expected ${capped.length}`,
      );
      check(tally!.other === 0, `no other outcome (${tally!.other})`);
      const sentKeys = await sql<
        { customer_id: string; finished_at: Date; local_date: string; provider_message_id: string }[]
      >`
      select customer_id, finished_at, local_date::text, provider_message_id from send_keys
      where send_key like ${`broadcast:${broadcastId}:%`} and status = 'sent'`;
      let quiet = 0;
      for (const k of sentKeys) {
        const { zone, country } = people.zoneOf.get(k.customer_id)!;
        const at = new Date(k.finished_at);
        if (nextAllowedInstant(at, zone, country, 'email').getTime() > at.getTime() + 1000) quiet++;
      }
      check(quiet === 0, `none inside quiet hours (${quiet})`);
      const [over] = await sql<{ n: number }[]>`
      select count(*)::int as n from (
        select customer_id, local_date from send_keys where channel = 'email' and purpose = 'marketing' and status in ('pending', 'sent')
        group by customer_id, local_date having count(*) > ${FREQUENCY_CAPS.marketing.email!.perLocalDay}) s`;
      check(
        over!.n === 0,
        `nobody over ${FREQUENCY_CAPS.marketing.email!.perLocalDay} marketing emails in a local day (${over!.n})`,
      );
      const distinctIds = new Set(sentKeys.map((k) => k.provider_message_id)).size;
      check(distinctIds === sentKeys.length, `one Message-ID per send key (${distinctIds} / ${sentKeys.length})`);
      const broadcastCpu = cpuSeconds(serverPid) - cpuBefore;
      console.log(`broadcast: Temporal dev server CPU ${broadcastCpu.toFixed(1)} s over the broadcast`);
      await rawSmtpBaseline(sink.url, Math.min(RECIPIENTS, RAW_BASELINE));
    }

    // ------------------------------------------------------------------ journeys
    const shoppers = await seedPeople(sql, keys, RUNS, 'j');
    const graph = journeyGraphSchema.parse({
      entry: { type: 'event', event: 'Checkout Started', key: 'cart_id' },
      goal: { event: 'Order Completed' },
      start: 'wait',
      nodes: {
        wait: {
          type: 'waitForEvent',
          event: 'Order Completed',
          sameKey: true,
          timeoutSeconds: WAIT_SECONDS,
          next: 'done',
          timeout: 'remind',
        },
        remind: { type: 'message', channel: 'email', templateRef: 'bench_cart', next: 'done' },
        done: { type: 'exit' },
      },
    });
    const journeyId = 'bench_cart';
    await createJourney(g, {
      id: journeyId,
      name: 'bench cart',
      owner: REGION,
      brandId: 'default',
      graph,
      publishedBy: 'bench',
    });
    const delivered0 = sink.received().count;
    const cpu0 = cpuSeconds(serverPid);
    const workerCpu0 = cpuSeconds(workers.pid);
    const triggerAt = new Date();
    const checkout = shoppers.ids.map((id, i) => ({
      id: randomUUID(),
      customer: id,
      cart: `cart-${i}`,
      zone: shoppers.zoneOf.get(id)!.zone,
    }));
    const insertEvents = async (rows: typeof checkout, event: string, at: Date) => {
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        // As the region writer does: the event and its journey outbox row in one transaction.
        await sql.begin(async (tx) => {
          await tx`
            insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
                                timezone, locale, payload_sealed, properties)
            select u.id, ${at.toISOString()}::timestamptz, ${SOURCE}, 'bench-' || u.id, u.c, u.c, 'track', ${event},
                   ${at.toISOString()}::timestamptz, u.zone, 'en', '\\x00'::bytea, jsonb_build_object('cart_id', u.cart)
            from unnest(${tx.array(chunk.map((r) => r.id))}::uuid[], ${tx.array(chunk.map((r) => r.customer))}::uuid[],
                        ${tx.array(chunk.map((r) => r.zone))}::text[], ${tx.array(chunk.map((r) => r.cart))}::text[]) as u(id, c, zone, cart)`;
          await tx`
            insert into journey_event_outbox (event_id, received_at, customer_id, event)
            select u.id, ${at.toISOString()}::timestamptz, u.c, ${event}
            from unnest(${tx.array(chunk.map((r) => r.id))}::uuid[], ${tx.array(chunk.map((r) => r.customer))}::uuid[]) as u(id, c)`;
        });
      }
    };
    await insertEvents(checkout, 'Checkout Started', triggerAt);
    // One cart in ten is bought within the wait: its order is received as soon as its run exists
    // (runs start over minutes under this load, so one instant for all orders would fall after many
    // runs' waits). Its signal then queues behind the trigger's backlog like any event's.
    const bought = checkout.filter((_, i) => i % 10 === 3).map((c) => ({ ...c, id: randomUUID() }));
    const boughtBy = new Map(bought.map((b) => [b.customer, b]));
    const ordered = new Set<string>();
    const placeOrders = async () => {
      while (ordered.size < bought.length) {
        const started = await sql<{ customer_id: string }[]>`
          select customer_id from journey_runs
          where journey_id = ${journeyId} and customer_id = any(${sql.array(bought.map((b) => b.customer))}::uuid[])`;
        const due = started.map((r) => r.customer_id).filter((c) => !ordered.has(c));
        if (due.length > 0) {
          await insertEvents(
            due.map((c) => boughtBy.get(c)!),
            'Order Completed',
            new Date(),
          );
          for (const c of due) ordered.add(c);
        } else await new Promise((r) => setTimeout(r, 500));
      }
    };
    const ordering = placeOrders();
    await waitFor(
      'journey runs started',
      async () =>
        (await sql<{ n: number }[]>`select count(*)::int as n from journey_runs where journey_id = ${journeyId}`)[0]!
          .n >= RUNS,
      30 * 60_000,
    );
    const startedMs = Date.now() - triggerAt.getTime();
    console.log(
      `journeys: ${RUNS} runs started ${(startedMs / 1000).toFixed(1)} s after their events (load ${loadAverage()})`,
    );
    await ordering;
    await waitFor(
      'journey runs finished',
      async () =>
        (
          await sql<{ n: number }[]>`
            select count(*)::int as n from journey_runs where journey_id = ${journeyId} and status <> 'active'`
        )[0]!.n >= RUNS,
      60 * 60_000,
    );
    const journeyCpu = cpuSeconds(serverPid) - cpu0;
    const journeyWorkerCpu = cpuSeconds(workers.pid) - workerCpu0;
    const journeyLoad = loadAverage();
    const reminders = await sql<{ customer_id: string; finished_at: Date }[]>`
      select customer_id, finished_at from send_keys where journey_run_id like ${`journey-${journeyId}-%`} and status = 'sent'`;
    const latencies = reminders.map((r) => new Date(r.finished_at).getTime() - triggerAt.getTime());
    const [runTally] = await sql<{ converted: number; exited: number }[]>`
      select count(*) filter (where status = 'converted')::int as converted, count(*) filter (where status = 'exited')::int as exited
      from journey_runs where journey_id = ${journeyId}`;
    console.log(
      `journeys: ${runTally!.converted} converted, ${runTally!.exited} exited, ${reminders.length} reminders; trigger → message p50 ${(percentile(latencies, 50) / 1000).toFixed(1)} s, p95 ${(percentile(latencies, 95) / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s (the wait is ${WAIT_SECONDS} s; p95 beyond it ${((percentile(latencies, 95) - WAIT_SECONDS * 1000) / 1000).toFixed(1)} s)`,
    );
    console.log(
      `journeys: Temporal dev server CPU ${journeyCpu.toFixed(1)} s for ${RUNS} runs (${((journeyCpu / RUNS) * 1000).toFixed(1)} ms per run)`,
    );
    // The worker process: the runs' workflow tasks and activities, and the trigger that starts them.
    console.log(
      `journeys: worker CPU ${journeyWorkerCpu.toFixed(1)} s for ${RUNS} runs (${((journeyWorkerCpu / RUNS) * 1000).toFixed(1)} ms per run); load at the end ${journeyLoad}`,
    );
    // A reminder is wrong when its cart's order was received before the run decided to send it
    // (reserved_at: the gate's claim, after the wait). An order received after that came too late
    // for the wait and its reminder is right (the run then converts at its goal).
    const [orderTally] = await sql<{ wrong: number; late: number }[]>`
      select count(*) filter (where k.reserved_at >= e.received_at)::int as wrong,
             count(*) filter (where k.reserved_at < e.received_at)::int as late
      from send_keys k
      join events e on e.customer_id = k.customer_id and e.event = 'Order Completed' and e.source_id = ${SOURCE}
      where k.journey_run_id like ${`journey-${journeyId}-%`} and k.status = 'sent'`;
    console.log(
      `journeys: ${bought.length} orders, ${orderTally!.late} received after their run's reminder (too late for the wait)`,
    );
    check(orderTally!.wrong === 0, `reminders after their cart's order was received: ${orderTally!.wrong} (must be 0)`);
    check(
      reminders.length === RUNS - bought.length + orderTally!.late,
      `reminders ${reminders.length} = carts without an order ${RUNS - bought.length} + orders too late ${orderTally!.late}`,
    );
    check(
      runTally!.converted >= bought.length - orderTally!.late && runTally!.converted <= bought.length,
      `converted ${runTally!.converted}: every order in time (${bought.length - orderTally!.late}) and at most every order (${bought.length})`,
    );
    check(sink.received().count - delivered0 === reminders.length, 'every reminder delivered once to the sink');
    const runIds = await sql<{ run_id: string; status: string }[]>`
      select run_id, status from journey_runs where journey_id = ${journeyId} order by random() limit 200`;
    const lengths: Record<string, number[]> = {};
    for (const r of runIds) {
      const history = await client.workflow.getHandle(r.run_id).fetchHistory();
      (lengths[r.status] ??= []).push(history.events?.length ?? 0);
    }
    for (const [status, list] of Object.entries(lengths))
      console.log(
        `journeys: history events per ${status} run (sample of ${list.length}): mean ${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(1)}, max ${Math.max(...list)}`,
      );

    console.log(
      `peak RSS: workers ${peakRssMb(workers.pid)} MB, Temporal dev server ${peakRssMb(serverPid)} MB, this process (with the SMTP sink) ${peakRssMb(process.pid)} MB`,
    );
    await client.connection.close();
    if (failed) process.exitCode = 1;
  } finally {
    if (workers && workers.exitCode === null) {
      workers.kill('SIGTERM');
      await new Promise((r) => workers!.once('exit', r));
    }
    await regionalPool.close();
    await globalPool.close();
    await sink.close();
    await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
