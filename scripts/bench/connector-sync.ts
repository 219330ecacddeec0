import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import postgres from 'postgres';
import { databaseUrl } from '../../db/connections';
import { CUSTOMER_ID_TYPES } from '../../connectors';
import { createConnector } from '../../db/connectors-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { loadConfig } from '../../domain/config';
import { startShopifyEmulator } from '../../test/emulators/shopify';
import { connectClient } from '../../temporal/connection';
import { connectorSyncHandle, startConnectorSync } from '../../temporal/processes/connector-sync';
import type { SyncResult } from '../../workflows/connector-sync';
import { runEntryPoint } from '../entry-point';
import { importFxHistory } from '../fx-import';
import { writeWorkflowBundle } from '../../temporal/workflow-bundle';
import { startBenchDeployment } from './harness';

/**
 * Connector sync benchmark: `npm run bench:sync [-- --orders 100000 --customers 20000]`.
 * A Shopify emulator (throttling off: the real API's 2 calls/s would measure Shopify, not us)
 * serves the orders and customers of a JPY store; Meridian's apac worker runs the connectorSync
 * workflow on a real Temporal dev server into the local PostgreSQL, with identity resolution,
 * encryption and FX conversion at each order's local date (the ECB's real history). Prints
 * records/s end to end and the worker's peak RSS; then, as the baseline, the same order rows
 * written by a plain bulk INSERT into a table without keys, measured in the same run.
 * MERIDIAN_BENCH_WORKER_HEAP_MB=256 runs the worker with that V8 heap limit (a memory budget, as a
 * container limit would set); MERIDIAN_BENCH_WORKER_NODE_ARGS adds other Node flags (a later flag wins
 * over the worker's defaults, scripts/entry-point.ts).
 *
 * `--preload-orders 1000000` also measures the cost as the data grows: the same sync runs twice, each
 * on fresh databases with its own worker, first into an empty region, then into one that already holds
 * that many orders of another store (with their buyers' profiles and identities, the message IDs that
 * dedupe them and the global index's entries, written by `insert … select generate_series`). Both
 * runs are printed side by side with their own bulk-INSERT baselines, and the bytes stored per order.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ORDERS = arg('orders', 100_000);
const CUSTOMERS = arg('customers', 20_000);
const PRELOAD_ORDERS = arg('preload-orders', 0);

/** CPU seconds (user + system) a process has used; for PostgreSQL, the sum over its processes. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds of the PostgreSQL backends serving this run's databases, by process: other work on the
 * machine (other benchmarks, tests) shares the server, so the sum over all its processes said little.
 */
function postgresCpuByBackend(suffix: string): Map<number, number> {
  const backends = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('postgres')) continue;
      // A backend's title: "postgres: <user> <database> <client> <state>".
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(suffix)) continue;
      backends.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // The process ended meanwhile.
    }
  }
  return backends;
}

/** What this run's backends used since `before` (a backend started since counts from zero). */
function postgresCpuSince(before: Map<number, number>, suffix: string): number {
  let total = 0;
  for (const [pid, seconds] of postgresCpuByBackend(suffix)) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** VmHWM (peak) or VmRSS (now) of a process, in MB. */
function rssMb(pid: number, which: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

async function bulkInsertBaseline(sql: postgres.Sql): Promise<{ rows: number; perSecond: number }> {
  // Only the synced store's rows (a preloaded region holds others).
  const rows = await sql`select * from orders where source_id = 'bench_shop'`;
  await sql`create table bench_orders (like orders)`;
  const columns = Object.keys(rows[0]!);
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 2_000) {
    await sql`insert into bench_orders ${sql(rows.slice(i, i + 2_000) as never, columns)}`;
  }
  const seconds = (performance.now() - started) / 1000;
  await sql`drop table bench_orders`;
  return { rows: rows.length, perSecond: rows.length / seconds };
}

/**
 * Writes `orders` orders of another store (one buyer per five orders, as the emulator's shop has)
 * into the region as a sync would have left them: buyers' profiles with a wrapped data key, their
 * email, phone and store customer identities (sealed values of a realistic size), the orders'
 * message IDs, and the global index and customers rows. Random-looking keys (md5/sha256 of the
 * number), so the indexes grow as real ones do, not in key order.
 */
async function preloadOrders(
  apacSql: postgres.Sql,
  globalSql: postgres.Sql,
  orders: number,
  reportingCurrency: string,
): Promise<number> {
  const started = performance.now();
  const buyers = Math.max(1, Math.ceil(orders / 5));
  const idTypes = ['email', 'phone', CUSTOMER_ID_TYPES.shopify!];
  const step = 200_000;
  for (let from = 1; from <= buyers; from += step) {
    const to = Math.min(buyers, from + step - 1);
    await apacSql`
      insert into profiles (customer_id, data_key_wrapped, created_at, last_seen_at)
      select md5('bench-preload/' || n)::uuid, sha256(('key/' || n)::bytea) || sha256(('iv/' || n)::bytea),
             now() - interval '400 days', now() - (n % 400) * interval '1 day'
      from generate_series(${from}::bigint, ${to}::bigint) as n`;
    await apacSql`
      insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
      select md5('bench-preload/' || n)::uuid, t, sha256((t || '/' || n)::bytea),
             sha256(('sealed/' || t || n)::bytea) || sha256(('tag/' || t || n)::bytea),
             md5('bench-preload/' || n)::uuid, 'bench_preload', 'connector'
      from generate_series(${from}::bigint, ${to}::bigint) as n cross join unnest(${apacSql.array(idTypes)}::text[]) as t`;
    await globalSql`
      insert into customers (customer_id, home_region, regions)
      select md5('bench-preload/' || n)::uuid, 'apac', array['apac'] from generate_series(${from}::bigint, ${to}::bigint) as n`;
    await globalSql`
      insert into identity_index (type, blind_index, customer_id, provenance)
      select t, sha256((t || '/' || n)::bytea), md5('bench-preload/' || n)::uuid, 'connector'
      from generate_series(${from}::bigint, ${to}::bigint) as n cross join unnest(${apacSql.array(idTypes)}::text[]) as t`;
  }
  for (let from = 1; from <= orders; from += step) {
    const to = Math.min(orders, from + step - 1);
    // Two years of orders up to the synced store's first, a buyer's orders spread over them.
    await apacSql`
      insert into orders (source_id, external_id, customer_id, customer_external_id, order_number, currency, total_minor,
                          subtotal_minor, tax_minor, reporting_currency, reporting_total_minor, fx_rate, fx_rate_date, fx_fallback,
                          placed_at, time_zone, local_date, local_hour, status, financial_status, country_code,
                          line_item_count, source_updated_at)
      select 'bench_preload', (5000000000 + n)::text, md5('bench-preload/' || b)::uuid, (7000000000 + b)::text, (1000 + n)::text,
             'JPY', 1000 + (n * 7919) % 90000, 900 + (n * 7919) % 80000, 100 + n % 9000, ${reportingCurrency},
             (1000 + (n * 7919) % 90000) * 6, 0.006123456789, (at at time zone 'Asia/Tokyo')::date, false,
             at, 'Asia/Tokyo', (at at time zone 'Asia/Tokyo')::date, extract(hour from at at time zone 'Asia/Tokyo')::smallint,
             case when n % 20 = 0 then 'cancelled' else 'closed' end, 'paid', 'JP', 1 + n % 6, at + interval '1 hour'
      from generate_series(${from}::bigint, ${to}::bigint) as n,
           lateral (select 1 + (n * 104729) % ${buyers}::bigint as b,
                           timestamptz '2022-06-01 00:00:00+00' + ((n * 48271) % 63072000) * interval '1 second' as at) as x`;
    await apacSql`
      insert into event_message_ids (source_id, message_id, received_at)
      select 'bench_preload', 'order:' || (5000000000 + n) || ':' || to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS".000Z"'), at + interval '1 hour'
      from generate_series(${from}::bigint, ${to}::bigint) as n,
           lateral (select timestamptz '2022-06-01 00:00:00+00' + ((n * 48271) % 63072000) * interval '1 second' as at) as x`;
  }
  // A grown database has statistics (autovacuum would have gathered them long before).
  await apacSql`vacuum analyze profiles, identities, orders, event_message_ids`;
  await globalSql`vacuum analyze customers, identity_index`;
  return (performance.now() - started) / 1000;
}

interface Sizes {
  orders: number;
  tableBytes: number;
  indexes: { name: string; bytes: number }[];
  messageIdBytes: number;
  messageIds: number;
}

/** What the region stores per order: the orders table (heap, TOAST, indexes) and the message IDs that dedupe them. */
async function orderSizes(sql: postgres.Sql): Promise<Sizes> {
  await sql`vacuum analyze orders, event_message_ids`;
  const [totals] = await sql<{ orders: number; table_bytes: string; message_ids: number; message_id_bytes: string }[]>`
    select (select count(*)::int from orders) as orders,
           pg_table_size('orders') as table_bytes,
           (select count(*)::int from event_message_ids) as message_ids,
           pg_total_relation_size('event_message_ids') as message_id_bytes`;
  const indexes = await sql<{ name: string; bytes: string }[]>`
    select c.relname as name, pg_relation_size(c.oid) as bytes
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = 'orders'::regclass order by c.relname`;
  return {
    orders: totals!.orders,
    tableBytes: Number(totals!.table_bytes),
    messageIds: totals!.message_ids,
    messageIdBytes: Number(totals!.message_id_bytes),
    indexes: indexes.map((i) => ({ name: i.name, bytes: Number(i.bytes) })),
  };
}

interface RunFigures {
  preloaded: number;
  preloadSeconds: number;
  seconds: number;
  result: SyncResult;
  rss: number;
  readyRss: number;
  cpu: { worker: number; postgres: number; emulator: number };
  stored: { orders: number; converted: number; buyers: number };
  baseline: { rows: number; perSecond: number };
  sizes: Sizes;
  load: { before: string; after: string };
}

const loads = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/**
 * One sync of the emulator's store on fresh databases (this run's suffix) with its own worker, after
 * `preload` orders of another store were written; then the same-run bulk-INSERT baseline and sizes.
 */
async function runSync(
  baseEnv: NodeJS.ProcessEnv,
  run: number,
  shopify: Awaited<ReturnType<typeof startShopifyEmulator>>,
  preload: number,
): Promise<RunFigures> {
  const env: NodeJS.ProcessEnv = { ...baseEnv, MERIDIAN_DB_SUFFIX: `${baseEnv.MERIDIAN_DB_SUFFIX}_${run}` };
  const config = loadConfig(env);
  await migrateAll(config);
  const globalSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_global_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  const apacSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_apac_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  let worker: ReturnType<typeof runEntryPoint> | undefined;
  let client: Client | undefined;
  try {
    await globalSql`select 1`;
    const fx = await importFxHistory(globalSql);
    if (!fx.imported) throw new Error(`FX history not loaded: ${fx.reason}`);
    let preloadSeconds = 0;
    if (preload > 0) {
      console.log(`run ${run}: preloading ${preload} orders …`);
      preloadSeconds = await preloadOrders(apacSql, globalSql, preload, config.reportingCurrency);
      console.log(`run ${run}: preloaded in ${preloadSeconds.toFixed(1)} s`);
    }
    const apac = config.regions.region('apac');
    const connector = await createConnector(
      globalSql,
      { sql: apacSql, key: keyFromRef(apac.keyRef, env) },
      {
        id: 'bench_shop',
        system: 'shopify',
        name: 'bench shop',
        region: 'apac',
        settings: { shopUrl: shopify.baseUrl, timeZone: 'Asia/Tokyo', pageSize: 250 },
        credentials: { accessToken: 'shpat_bench' },
      },
    );
    // MERIDIAN_BENCH_CPU_PROFILE=dir writes a V8 CPU profile of the worker there.
    const profileDir = process.env.MERIDIAN_BENCH_CPU_PROFILE;
    const spawned = runEntryPoint('workers/main.ts', ['--regions', 'apac'], env, {}, [
      ...(process.env.MERIDIAN_BENCH_WORKER_HEAP_MB
        ? [`--max-old-space-size=${process.env.MERIDIAN_BENCH_WORKER_HEAP_MB}`]
        : []),
      ...(process.env.MERIDIAN_BENCH_WORKER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ]);
    worker = spawned;
    spawned.stderr!.pipe(process.stderr);
    await new Promise<void>((resolve, reject) => {
      spawned.stdout!.on('data', (d: Buffer) => d.toString().includes('"worker ready"') && resolve());
      spawned.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
    client = await connectClient(config);
    const readyRss = rssMb(spawned.pid!, 'VmRSS');

    const before = loads();
    const cpuBefore = {
      worker: cpuSeconds(spawned.pid!),
      postgres: postgresCpuByBackend(env.MERIDIAN_DB_SUFFIX!),
      emulator: process.cpuUsage(),
    };
    const started = performance.now();
    const { workflowId } = await startConnectorSync(client, config.regions, connector);
    const result: SyncResult = await connectorSyncHandle(client, workflowId).result();
    const seconds = (performance.now() - started) / 1000;
    const emulatorCpu = process.cpuUsage(cpuBefore.emulator);
    const cpu = {
      worker: cpuSeconds(spawned.pid!) - cpuBefore.worker,
      postgres: postgresCpuSince(cpuBefore.postgres, env.MERIDIAN_DB_SUFFIX!),
      emulator: (emulatorCpu.user + emulatorCpu.system) / 1e6,
    };
    const rss = rssMb(spawned.pid!);
    const after = loads();
    if (result.status !== 'completed') throw new Error(`sync ended ${result.status}: ${result.error}`);

    const [stored] = (await apacSql`
      select count(*)::int as orders, count(reporting_total_minor)::int as converted, count(distinct customer_id)::int as buyers
      from orders where source_id = 'bench_shop'`) as unknown as [
      { orders: number; converted: number; buyers: number },
    ];
    console.log(`run ${run}: sync done in ${seconds.toFixed(1)} s; measuring the bulk-insert baseline …`);
    const baseline = await bulkInsertBaseline(apacSql);
    const sizes = await orderSizes(apacSql);
    return {
      preloaded: preload,
      preloadSeconds,
      seconds,
      result,
      rss,
      readyRss,
      cpu,
      stored: stored!,
      baseline,
      sizes,
      load: { before, after },
    };
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await client?.connection.close();
    await globalSql.end();
    await apacSql.end();
    await dropDatabases(config);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function report(runs: RunFigures[]): string {
  const col = (f: (r: RunFigures) => string) => runs.map((r) => f(r).padEnd(40)).join('');
  const ordersPerSecond = (r: RunFigures) => r.result.totals.orders / r.seconds;
  const lines = [
    `                     ${col((r) => (r.preloaded > 0 ? `region holding ${r.preloaded} orders` : 'empty region'))}`,
    `  synced             ${col((r) => `${r.result.totals.customers} cust. + ${r.result.totals.orders} orders`)}`,
    `  pages, time        ${col((r) => `${r.result.totals.pages} pages, ${r.seconds.toFixed(1)} s`)}`,
    `  end to end         ${col((r) => `${((r.result.totals.orders + r.result.totals.customers) / r.seconds).toFixed(0)} records/s`)}`,
    `  orders/s           ${col((r) => `${ordersPerSecond(r).toFixed(0)} (incl. customers' time)`)}`,
    `  stored             ${col((r) => `${r.stored.orders} orders, ${r.stored.converted} conv., ${r.stored.buyers} buyers`)}`,
    `  worker peak RSS    ${col((r) => `${r.rss.toFixed(0)} MB (${r.readyRss.toFixed(0)} MB when ready)`)}`,
    `  CPU s worker/PG/em ${col((r) => `${r.cpu.worker.toFixed(1)} / ${r.cpu.postgres.toFixed(1)} / ${r.cpu.emulator.toFixed(1)} (of ${(2 * r.seconds).toFixed(0)})`)}`,
    `  load avg before    ${col((r) => r.load.before)}`,
    `  load avg after     ${col((r) => r.load.after)}`,
    `  bulk INSERT rows/s ${col((r) => `${r.baseline.perSecond.toFixed(0)} (${r.baseline.rows} rows, 2,000 a stmt)`)}`,
    `  sync / baseline    ${col((r) => `${((ordersPerSecond(r) / r.baseline.perSecond) * 100).toFixed(1)} %`)}`,
    `  orders table       ${col((r) => `${mb(r.sizes.tableBytes)} for ${r.sizes.orders} orders`)}`,
  ];
  for (const name of runs[0]!.sizes.indexes.map((i) => i.name))
    lines.push(
      `  index ${name}\n${' '.repeat(21)}${col((r) => mb(r.sizes.indexes.find((i) => i.name === name)?.bytes ?? 0))}`,
    );
  lines.push(
    `  bytes per order    ${col((r) => {
      const indexes = r.sizes.indexes.reduce((t, i) => t + i.bytes, 0);
      return `${((r.sizes.tableBytes + indexes) / r.sizes.orders).toFixed(0)} (table ${(r.sizes.tableBytes / r.sizes.orders).toFixed(0)} + indexes ${(indexes / r.sizes.orders).toFixed(0)})`;
    })}`,
    `  + message IDs      ${col((r) => `${(r.sizes.messageIdBytes / Math.max(1, r.sizes.messageIds)).toFixed(0)} per ID (${mb(r.sizes.messageIdBytes)})`)}`,
  );
  if (runs.length === 2) {
    const [empty, grown] = runs as [RunFigures, RunFigures];
    const change = (ordersPerSecond(grown) / ordersPerSecond(empty) - 1) * 100;
    lines.push(
      `  grown vs empty     orders/s ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (preloaded in ${grown.preloadSeconds.toFixed(0)} s)`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const { temporal, env } = await startBenchDeployment('sync', ['eu', 'us', 'apac'], {}, { emulators: true });
  // Workers load a bundle made once, as `npm start` and the Docker image do.
  env.MERIDIAN_WORKFLOW_BUNDLE = path.join(env.MERIDIAN_DATA_DIR!, 'workflow-bundle.js');
  await writeWorkflowBundle(env.MERIDIAN_WORKFLOW_BUNDLE);
  // The store's clock is the last day of the shipped ECB history (data/ecb), so every order has a rate.
  const shopify = await startShopifyEmulator({
    accessToken: 'shpat_bench',
    currency: 'JPY',
    timeZone: 'Asia/Tokyo',
    shop: 'bench',
    now: () => new Date('2025-05-09T12:00:00Z'),
  });
  try {
    shopify.throttle(false);
    console.log(`seeding ${CUSTOMERS} customers and ${ORDERS} orders in the emulator …`);
    shopify.seed({ customers: CUSTOMERS, orders: ORDERS, seed: 42, since: new Date('2024-06-01T00:00:00Z') });
    const runs = [await runSync(env, 1, shopify, 0)];
    // Each run's figures as soon as it ends, so a failed second run does not lose the first.
    console.log(`run 1:\n${report(runs)}`);
    if (PRELOAD_ORDERS > 0) runs.push(await runSync(env, 2, shopify, PRELOAD_ORDERS));
    console.log(`
Meridian connector sync benchmark (${new Date().toISOString()})
  Shopify emulator → connectorSync workflow (apac worker) → PostgreSQL; identity resolution, encryption, FX at local date on
${report(runs)}`);
  } finally {
    await shopify.close();
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
