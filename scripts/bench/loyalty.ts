import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import postgres, { type Sql } from 'postgres';
import { databaseUrl } from '../../db/connections';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { adjust, enrolMember, loyaltyTraitIds, redeem, saveProgramme } from '../../db/loyalty-store';
import { createConnector } from '../../db/connectors-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { startShopifyEmulator } from '../../test/emulators/shopify';
import { connectClient } from '../../temporal/connection';
import { connectorSyncHandle, startConnectorSync } from '../../temporal/processes/connector-sync';
import { writeWorkflowBundle } from '../../temporal/workflow-bundle';
import { importFxHistory } from '../fx-import';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../domain/config';
import { loyaltyProgrammeSchema } from '../../domain/loyalty';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';

/**
 * Loyalty benchmark: `npm run bench:loyalty [-- --orders 100000 --members 10000 --review 1000000]`.
 * Starts Meridian's regional workers (with the audience processor, whose loyalty reactor earns) as
 * their own process over eu/us/apac, then measures, in one run on one machine:
 * - earn on `--orders` orders across three regions and currencies (EUR in eu, USD in us, JPY in apac)
 *   for `--members` members homed in all three, while a Shopify connector sync (emulator, eu) writes
 *   its own orders beside them: orders are written with their audience change, as the order writer
 *   does, and earned where the member lives (batched loyaltyOrders workflows for the other regions);
 *   checked: every order earned exactly once (ledger rows = orders, one entry key each);
 * - the tier review of `--review` members in eu: the scheduled sweep (loyaltyMaintenance workflow on
 *   the workers, set-based pages of 1,000) with every member due, half keeping gold, half entering grace;
 * - 1,000 concurrent redemptions on 100 members: granted, refused, none overdrawn;
 * - the same-run baseline: a bare INSERT of ledger rows into a keyless copy of the table;
 * - peak RSS of each process (the workers, the Temporal dev server, this one with the emulator).
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ORDERS = arg('orders', 100_000);
const MEMBERS = arg('members', 10_000);
const REDEMPTIONS = arg('redemptions', 1_000);
const REVIEW = arg('review', 1_000_000);
const SYNC_ORDERS = arg('sync-orders', Math.round(ORDERS / 10));
const REDEEM_MEMBERS = Math.min(100, MEMBERS);
const REGIONS = ['eu', 'us', 'apac'] as const;
const CURRENCY: Record<string, { currency: string; zone: string; perEur: number }> = {
  eu: { currency: 'EUR', zone: 'Europe/Berlin', perEur: 1 },
  us: { currency: 'USD', zone: 'America/New_York', perEur: 1.08 },
  apac: { currency: 'JPY', zone: 'Asia/Tokyo', perEur: 160 },
};

/** Our child processes (the workers, the Temporal dev server) by PID and name. */
function children(): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      if (ppid === process.pid)
        found.push({ pid: Number(entry), name: stat.slice(stat.indexOf('(') + 1, stat.indexOf(')')) });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function peakRssMb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const { temporal, env } = await startBenchDeployment(
    'loyalty',
    [...REGIONS],
    { MERIDIAN_AUDIENCES: 'on' },
    { emulators: true },
  );
  // Workers load a bundle made once, as `npm start` and the Docker image do.
  env.MERIDIAN_WORKFLOW_BUNDLE = path.join(env.MERIDIAN_DATA_DIR!, 'workflow-bundle.js');
  await writeWorkflowBundle(env.MERIDIAN_WORKFLOW_BUNDLE);
  const config = loadConfig(env);
  await migrateAll(config);
  const sqlOf = new Map<string, Sql>(
    [...REGIONS, 'global'].map((r) => [
      r,
      postgres(databaseUrl(env.DATABASE_URL!, `cdp_${r}_${env.MERIDIAN_DB_SUFFIX}`), { max: 10, onnotice: () => {} }),
    ]),
  );
  const g = sqlOf.get('global')!;
  const eu = sqlOf.get('eu')!;
  let workers: ChildProcess | undefined;
  let client: Client | undefined;
  const shopify = await startShopifyEmulator({
    accessToken: 'shpat_bench',
    currency: 'EUR',
    timeZone: 'Europe/Berlin',
    shop: 'bench',
    now: () => new Date('2025-05-09T12:00:00Z'),
  });
  shopify.throttle(false);
  shopify.seed({
    customers: Math.max(100, Math.round(SYNC_ORDERS / 5)),
    orders: SYNC_ORDERS,
    seed: 42,
    since: new Date('2024-06-01T00:00:00Z'),
  });
  const figures: string[] = [];
  const say = (line: string) => {
    figures.push(line);
    console.log(line);
  };
  try {
    await g`insert into brands (id, name) values ('bench', 'Bench') on conflict do nothing`;
    const fx = await importFxHistory(g);
    if (!fx.imported) throw new Error(`FX history not loaded: ${fx.reason}`);
    const programme = loyaltyProgrammeSchema.parse({
      brandId: 'bench',
      name: 'Bench Club',
      reportingCurrency: 'EUR',
      earn: { pointsPerUnit: 1 },
      tiers: [
        { key: 'member', names: { en: 'Member' } },
        { key: 'gold', names: { en: 'Gold' }, qualify: { points: 500 } },
      ],
      reviewEveryDays: 30,
      downgradeGraceDays: 14,
      expiry: { kind: 'rolling', days: 365 },
    });
    await saveProgramme(g, programme);
    for (const region of REGIONS)
      await g`insert into sources (id, name, region, kind, brand_id, write_key_hash, write_key_hint)
              values (${`src_${region}`}, ${region}, ${region}, 'server', 'bench', ${randomBytes(32)}, 'none')`;
    const connector = await createConnector(
      g,
      { sql: eu, key: keyFromRef(config.regions.region('eu').keyRef, env) },
      {
        id: 'bench_shop',
        system: 'shopify',
        name: 'bench shop',
        region: 'eu',
        settings: { shopUrl: shopify.baseUrl, timeZone: 'Europe/Berlin', pageSize: 250 },
        credentials: { accessToken: 'shpat_bench' },
      },
    );

    // Members, homed in each region in turn (a third each), enrolled as the API does.
    const members = Array.from({ length: MEMBERS }, (_, i) => ({ id: randomUUID(), home: REGIONS[i % 3]! }));
    const enrolStart = performance.now();
    for (let i = 0; i < members.length; i += 8)
      await Promise.all(
        members.slice(i, i + 8).map(async (m) => {
          await g`insert into customers (customer_id, home_region, regions) values (${m.id}, ${m.home}, ${[...REGIONS]})`;
          await enrolMember(sqlOf.get(m.home)!, g, m.home, programme, {
            customerId: m.id,
            brandId: 'bench',
            timeZone: CURRENCY[m.home]!.zone,
            market: null,
            termsVersion: 'bench',
            via: 'api',
            now: new Date(Date.now() - 86_400_000),
          });
        }),
      );
    const enrolMs = performance.now() - enrolStart;
    say(
      `  enrolment        ${MEMBERS} members in ${(enrolMs / 1000).toFixed(1)} s (${((MEMBERS / enrolMs) * 1000).toFixed(0)}/s, 8 at a time)`,
    );

    workers = runEntryPoint('workers/main.ts', ['--regions', REGIONS.join(',')], env);
    workers.stderr!.pipe(process.stderr);
    let out = '';
    workers.stdout!.on('data', (d: Buffer) => (out += d.toString().slice(-2000)));
    await waitFor('workers ready', async () => REGIONS.every((r) => out.includes(`"region":"${r}"`)), 120_000);
    client = await connectClient(config);

    // Baseline in the same run: a bare INSERT of ledger rows (2,000 a statement) into a keyless copy.
    await eu`create table bench_ledger (like loyalty_ledger)`;
    const rows = 100_000;
    const baseStart = performance.now();
    for (let i = 0; i < rows; i += 2000)
      await eu`insert into bench_ledger (id, customer_id, brand_id, kind, points, entry_key, at)
               select ${i}::bigint + n, gen_random_uuid(), 'bench', 'earn', 100, 'k' || (${i}::bigint + n)::text, now()
               from generate_series(1, 2000) as n`;
    const baseMs = performance.now() - baseStart;
    await eu`drop table bench_ledger`;
    say(
      `  baseline         bare INSERT of ${rows} ledger rows (2,000 a statement, no keys): ${((rows / baseMs) * 1000).toFixed(0)} rows/s`,
    );

    // Tier review: a million members in eu, every one due today, half still qualified (kept), half not (grace).
    const reviewSeedStart = performance.now();
    const tierIds = loyaltyTraitIds('bench');
    for (let done = 0; done < REVIEW; done += 50_000) {
      const n = Math.min(50_000, REVIEW - done);
      await eu.begin(async (tx) => {
        await tx`create temporary table seed on commit drop as
                 select gen_random_uuid() as customer_id, (${done}::int + i) % 2 = 0 as kept from generate_series(1, ${n}::int) as i`;
        await tx`insert into loyalty_members (customer_id, brand_id, member_id, tier, tier_rank, tier_since, review_on, time_zone, market,
                                              terms_version, enrolled_via, last_activity_at, enrolled_at)
                 select customer_id, 'bench', 'M' || lpad((${done}::bigint + row_number() over ())::text, 12, '0'), 'gold', 1,
                        current_date - 30, current_date, 'Europe/Berlin', 'DE', 'bench', 'api', now(), now() - interval '60 days'
                 from seed`;
        await tx`insert into loyalty_ledger (customer_id, brand_id, kind, points, entry_key, order_ref, order_key, currency,
                                             amount_minor, reporting_minor, local_date, expires_at, reason, at)
                 select customer_id, 'bench', 'earn', case when kept then 600 else 100 end, 'earn:seed:' || customer_id::text,
                        'seed:' || customer_id::text, customer_id::text, 'EUR', 0, 0, current_date - 3, now() + interval '300 days', 'reporting', now()
                 from seed`;
        await tx`insert into computed_trait_values (customer_id, trait_id, value)
                 select customer_id, ${tierIds.tier}, to_jsonb('gold'::text) from seed
                 union all select customer_id, ${tierIds.points}, to_jsonb(case when kept then 600 else 100 end) from seed`;
      });
    }
    await eu`analyze loyalty_members`;
    await eu`analyze loyalty_ledger`;
    const reviewSeedMs = performance.now() - reviewSeedStart;
    const reviewed = (await eu`select count(*)::int as n from loyalty_members`)[0]!.n as number;
    const reviewStart = performance.now();
    const review = await client.workflow.execute('loyaltyMaintenance', {
      workflowId: `bench-loyalty-review-${Date.now()}`,
      taskQueue: config.regions.region('eu').taskQueue,
      args: [{ now: new Date(Date.now() + 60_000).toISOString() }],
      workflowExecutionTimeout: '3 hours',
    });
    const reviewMs = performance.now() - reviewStart;
    const [states] = await eu<{ kept: number; grace: number }[]>`
      select count(*) filter (where grace_until is null and review_on > current_date)::int as kept,
             count(*) filter (where grace_until is not null)::int as grace
      from loyalty_members where brand_id = 'bench' and tier = 'gold'`;
    say(
      `  tier review      ${reviewed} members (eu, ${REVIEW} seeded in ${(reviewSeedMs / 1000).toFixed(0)} s) by the scheduled sweep in ${(reviewMs / 1000).toFixed(1)} s (${((reviewed / reviewMs) * 1000).toFixed(0)} members/s): ${review.pages} pages, ${states!.kept} gold kept, ${states!.grace} gold in grace, ${review.tierChanges} tier changes`,
    );

    // 1,000 concurrent redemptions on 100 members (eu), each asking a share of the balance.
    const targets = members.filter((m) => m.home === 'eu').slice(0, REDEEM_MEMBERS);
    // Each has 1,000 points (an operator's adjustment), then is asked for a share of it from many channels at once.
    for (const t of targets)
      await adjust(eu, {
        customerId: t.id,
        brandId: 'bench',
        points: 1000,
        requestId: `seed-${t.id}`,
        reason: 'bench',
        now: new Date(),
      });
    const redeemStart = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: REDEMPTIONS }, (_, i) =>
        redeem(eu, {
          customerId: targets[i % targets.length]!.id,
          brandId: 'bench',
          points: 50 + (i % 200),
          requestId: `bench-${i}`,
          reason: 'bench',
          now: new Date(),
        }),
      ),
    );
    const redeemMs = performance.now() - redeemStart;
    const [lowest] = await eu<{ min: number | null }[]>`
      select min(b)::int as min from (select sum(points) as b from loyalty_ledger group by customer_id, brand_id) s`;
    say(
      `  redemptions      ${REDEMPTIONS} concurrent on ${targets.length} members in ${(redeemMs / 1000).toFixed(1)} s (${((REDEMPTIONS / redeemMs) * 1000).toFixed(0)}/s): ${outcomes.filter((o) => o.ok).length} granted, ${outcomes.filter((o) => !o.ok).length} refused; lowest balance ${lowest!.min} (overdrawn: ${(lowest!.min ?? 0) < 0 ? 'YES' : 'none'})`,
    );

    // Orders: random members, each region's store in its currency, reporting amounts at a fixed rate.
    const today = new Date().toISOString().slice(0, 10);
    const perRegion = new Map<string, { id: string; customer: string; minor: number; reporting: number }[]>();
    let expectedEarning = 0;
    for (let i = 0; i < ORDERS; i++) {
      const region = REGIONS[i % 3]!;
      const customer = members[(i * 7919) % members.length]!.id;
      const { currency, perEur } = CURRENCY[region]!;
      const reporting = 1000 + ((i * 37) % 20_000); // €10.00 to €209.99
      const minor = currency === 'JPY' ? Math.round((reporting / 100) * perEur) : Math.round(reporting * perEur);
      if (reporting >= 100) expectedEarning++;
      const list = perRegion.get(region) ?? [];
      list.push({ id: `o${i}`, customer, minor, reporting });
      perRegion.set(region, list);
    }
    // The connector sync runs beside the earning: its orders (of non-members) load the same workers and database.
    const sync = await startConnectorSync(client, config.regions, connector);
    const syncResult = connectorSyncHandle(client, sync.workflowId).result();
    const earnStart = performance.now();
    await Promise.all(
      [...perRegion].map(async ([region, list]) => {
        const sql = sqlOf.get(region)!;
        const { currency, zone } = CURRENCY[region]!;
        for (let i = 0; i < list.length; i += 500) {
          const chunk = list.slice(i, i + 500);
          await sql.begin(async (tx) => {
            await tx`
              insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency, reporting_total_minor,
                                  placed_at, time_zone, local_date, local_hour, status, line_item_count, source_updated_at)
              select ${`src_${region}`}, u.id, u.customer::uuid, ${currency}, u.minor, 'EUR', u.reporting, now(), ${zone}, ${today}::date, 12,
                     'closed', 1, now()
              from unnest(${tx.array(chunk.map((o) => o.id))}::text[], ${tx.array(chunk.map((o) => o.customer))}::text[],
                          ${tx.array(chunk.map((o) => String(o.minor)))}::bigint[], ${tx.array(chunk.map((o) => String(o.reporting)))}::bigint[])
                as u(id, customer, minor, reporting)`;
            // As the order writer does: one audience change per person and cause, in the same transaction.
            await tx`insert into audience_changes (customer_id, cause)
                     select distinct c::uuid, 'order' from unnest(${tx.array(chunk.map((o) => o.customer))}::text[]) as u(c)`;
          });
          // Orders arrive over time, as a sync's pages do, not in one instant.
          await new Promise((r) => setTimeout(r, 100));
        }
      }),
    );
    const earnedRows = async () => {
      let n = 0;
      for (const region of REGIONS)
        n += (
          await sqlOf.get(region)!`
            select count(*)::int as n from loyalty_ledger where kind = 'earn' and entry_key not like 'earn:seed:%'`
        )[0]!.n;
      return n;
    };
    let lastReport = performance.now();
    await waitFor(
      'every order earned',
      async () => {
        const n = await earnedRows();
        if (performance.now() - lastReport > 60_000) {
          lastReport = performance.now();
          const s = (lastReport - earnStart) / 1000;
          console.log(
            `  (earn: ${n} of ${expectedEarning} orders earned after ${s.toFixed(0)} s, ${(n / s).toFixed(0)} orders/s)`,
          );
        }
        return n >= expectedEarning;
      },
      3 * 60 * 60_000,
    );
    const earnMs = performance.now() - earnStart;
    const synced = await syncResult;
    const syncedMs = performance.now() - earnStart;
    await new Promise((r) => setTimeout(r, 2000));
    let duplicates = 0;
    let earned = 0;
    for (const region of REGIONS) {
      const [row] = await sqlOf.get(region)!<{ rows: number; keys: number; orders: number }[]>`
        select count(*)::int as rows, count(distinct (brand_id, entry_key))::int as keys,
               count(distinct (brand_id, customer_id, order_key))::int as orders
        from loyalty_ledger where kind = 'earn' and entry_key not like 'earn:seed:%'`;
      duplicates += row!.rows - Math.min(row!.keys, row!.orders);
      earned += row!.rows;
    }
    say(
      `  earn             ${earned} orders earned in ${(earnMs / 1000).toFixed(1)} s (${((earned / earnMs) * 1000).toFixed(0)} orders/s); expected ${expectedEarning}; earned twice: ${duplicates}`,
    );
    say(
      `  connector sync   beside it: ${synced.totals.orders} orders + ${synced.totals.customers} customers (Shopify emulator, eu) ${synced.status} in ${(syncedMs / 1000).toFixed(1)} s`,
    );

    const rss = children().map((c) => `${c.name} ${peakRssMb(c.pid).toFixed(0)} MB`);
    say(`  peak RSS         ${[...rss, `bench + emulator ${peakRssMb(process.pid).toFixed(0)} MB`].join(', ')}`);
    console.log(
      `\nloyalty benchmark (${new Date().toISOString()}; ${MEMBERS} members over eu/us/apac, ${ORDERS} orders in EUR/USD/JPY; load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n${figures.join('\n')}`,
    );
    if (duplicates > 0 || (lowest!.min ?? 0) < 0 || earned !== expectedEarning) process.exitCode = 1;
  } finally {
    if (workers && workers.exitCode === null) {
      workers.kill('SIGTERM');
      await new Promise((r) => workers!.once('exit', r));
    }
    await client?.connection.close();
    await shopify.close();
    for (const sql of sqlOf.values()) await sql.end();
    await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
