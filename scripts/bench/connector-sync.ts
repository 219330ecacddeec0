import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import postgres from 'postgres';
import { databaseUrl } from '../../db/connections';
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
 * container limit would set): without one V8 grows the heap lazily and the peak RSS says little.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ORDERS = arg('orders', 100_000);
const CUSTOMERS = arg('customers', 20_000);

/** CPU seconds (user + system) a process has used; for PostgreSQL, the sum over its processes. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('postgres')) total += cpuSeconds(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function bulkInsertBaseline(sql: postgres.Sql): Promise<{ rows: number; perSecond: number }> {
  const rows = await sql`select * from orders`;
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

async function main() {
  const { temporal, env } = await startBenchDeployment('sync', ['eu', 'us', 'apac'], {}, { emulators: true });
  // Workers load a bundle made once, as `npm start` and the Docker image do.
  env.MERIDIAN_WORKFLOW_BUNDLE = path.join(env.MERIDIAN_DATA_DIR!, 'workflow-bundle.js');
  await writeWorkflowBundle(env.MERIDIAN_WORKFLOW_BUNDLE);
  const config = loadConfig(env);
  await migrateAll(config);
  // The store's clock is the last day of the shipped ECB history (data/ecb), so every order has a rate.
  const shopify = await startShopifyEmulator({
    accessToken: 'shpat_bench',
    currency: 'JPY',
    timeZone: 'Asia/Tokyo',
    shop: 'bench',
    now: () => new Date('2025-05-09T12:00:00Z'),
  });
  shopify.throttle(false);
  console.log(`seeding ${CUSTOMERS} customers and ${ORDERS} orders in the emulator …`);
  shopify.seed({ customers: CUSTOMERS, orders: ORDERS, seed: 42, since: new Date('2024-06-01T00:00:00Z') });

  const globalSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_global_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  const apacSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_apac_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  // MERIDIAN_BENCH_CPU_PROFILE=dir writes a V8 CPU profile of the worker there.
  const profileDir = process.env.MERIDIAN_BENCH_CPU_PROFILE;
  const worker = runEntryPoint('workers/main.ts', ['--regions', 'apac'], env, {}, [
    ...(process.env.MERIDIAN_BENCH_WORKER_HEAP_MB
      ? [`--max-old-space-size=${process.env.MERIDIAN_BENCH_WORKER_HEAP_MB}`]
      : []),
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ]);
  worker.stderr!.pipe(process.stderr);
  let client: Client | undefined;
  try {
    await globalSql`select 1`;
    const fx = await importFxHistory(globalSql);
    if (!fx.imported) throw new Error(`FX history not loaded: ${fx.reason}`);
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
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on('data', (d: Buffer) => d.toString().includes('"worker ready"') && resolve());
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
    client = await connectClient(config);

    const cpuBefore = { worker: cpuSeconds(worker.pid!), postgres: postgresCpuSeconds(), emulator: process.cpuUsage() };
    const started = performance.now();
    const { workflowId } = await startConnectorSync(client, config.regions, connector);
    const result: SyncResult = await connectorSyncHandle(client, workflowId).result();
    const seconds = (performance.now() - started) / 1000;
    const emulatorCpu = process.cpuUsage(cpuBefore.emulator);
    const cpu = {
      worker: cpuSeconds(worker.pid!) - cpuBefore.worker,
      postgres: postgresCpuSeconds() - cpuBefore.postgres,
      emulator: (emulatorCpu.user + emulatorCpu.system) / 1e6,
    };
    const rss = peakRssMb(worker.pid!);
    if (result.status !== 'completed') throw new Error(`sync ended ${result.status}: ${result.error}`);

    const [{ orders, converted, buyers }] = (await apacSql`
      select count(*)::int as orders, count(reporting_total_minor)::int as converted, count(distinct customer_id)::int as buyers from orders`) as unknown as [
      { orders: number; converted: number; buyers: number },
    ];
    const records = result.totals.orders + result.totals.customers;
    console.log(`sync done in ${seconds.toFixed(1)} s; measuring the bulk-insert baseline …`);
    const baseline = await bulkInsertBaseline(apacSql);
    console.log(`
Meridian connector sync benchmark (${new Date().toISOString()})
  Shopify emulator → connectorSync workflow (apac worker) → PostgreSQL; identity resolution, encryption, FX at local date on
  synced             ${result.totals.customers} customers + ${result.totals.orders} orders in ${result.totals.pages} pages, ${seconds.toFixed(1)} s
  end to end         ${(records / seconds).toFixed(0)} records/s   ${(result.totals.orders / seconds).toFixed(0)} orders/s (incl. the customers stream's time)
  stored             ${orders} orders, ${converted} with a reporting amount, ${buyers} distinct buyers
  worker peak RSS    ${rss.toFixed(0)} MB
  CPU seconds        worker ${cpu.worker.toFixed(1)}, PostgreSQL ${cpu.postgres.toFixed(1)}, emulator + this process ${cpu.emulator.toFixed(1)} (2 cores: ${(2 * seconds).toFixed(1)} available)
  baseline: plain bulk INSERT of the same ${baseline.rows} order rows (2,000 a statement, no keys)  ${baseline.perSecond.toFixed(0)} rows/s
  the sync reaches ${((result.totals.orders / seconds / baseline.perSecond) * 100).toFixed(1)}% of the bulk-insert baseline`);
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await client?.connection.close();
    await globalSql.end();
    await apacSql.end();
    await shopify.close();
    await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
