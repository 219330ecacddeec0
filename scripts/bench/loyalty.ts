import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import postgres, { type Sql } from 'postgres';
import { databaseUrl } from '../../db/connections';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { enrolMember, programmeCache, redeem, saveProgramme, sweepMembersPage } from '../../db/loyalty-store';
import { loadConfig } from '../../domain/config';
import { loyaltyProgrammeSchema } from '../../domain/loyalty';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';

/**
 * Loyalty benchmark: `npm run bench:loyalty [-- --orders 100000 --members 10000 --review 1000000]`.
 * Starts Meridian's regional workers (with the audience processor, whose loyalty reactor earns) as
 * their own process over eu/us/apac, then measures:
 * - earn on `--orders` orders across three regions and currencies (EUR in eu, USD in us, JPY in apac)
 *   for members homed in all three: orders are written with their audience change, as the order
 *   writer does, and earned where the member lives (a loyaltyOrders workflow for the other regions);
 *   checked: every order earned exactly once (ledger rows = orders, one entry key each);
 * - a tier review (the maintenance sweep's pages) over the members of one region;
 * - 1,000 concurrent redemptions on 100 members: none overdrawn;
 * - peak RSS of the workers and of this process.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ORDERS = arg('orders', 100_000);
const MEMBERS = arg('members', 10_000);
const REDEMPTIONS = arg('redemptions', 1_000);
const REDEEM_MEMBERS = Math.min(100, MEMBERS);
const REGIONS = ['eu', 'us', 'apac'] as const;
const CURRENCY: Record<string, { currency: string; zone: string; perEur: number }> = {
  eu: { currency: 'EUR', zone: 'Europe/Berlin', perEur: 1 },
  us: { currency: 'USD', zone: 'America/New_York', perEur: 1.08 },
  apac: { currency: 'JPY', zone: 'Asia/Tokyo', perEur: 160 },
};

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
  const { temporal, env } = await startBenchDeployment('loyalty', [...REGIONS], { MERIDIAN_AUDIENCES: 'on' });
  const config = loadConfig(env);
  await migrateAll(config);
  const sqlOf = new Map<string, Sql>(
    [...REGIONS, 'global'].map((r) => [
      r,
      postgres(databaseUrl(env.DATABASE_URL!, `cdp_${r}_${env.MERIDIAN_DB_SUFFIX}`), { max: 10, onnotice: () => {} }),
    ]),
  );
  const g = sqlOf.get('global')!;
  let workers: ChildProcess | undefined;
  try {
    await g`insert into brands (id, name) values ('bench', 'Bench') on conflict do nothing`;
    const programme = loyaltyProgrammeSchema.parse({
      brandId: 'bench',
      name: 'Bench Club',
      reportingCurrency: 'EUR',
      earn: { pointsPerUnit: 1 },
      tiers: [
        { key: 'member', names: { en: 'Member' } },
        { key: 'gold', names: { en: 'Gold' }, qualify: { points: 500 } },
      ],
      reviewEveryDays: 1,
      expiry: { kind: 'rolling', days: 365 },
    });
    await saveProgramme(g, programme);
    for (const region of REGIONS)
      await g`insert into sources (id, name, region, kind, brand_id, write_key_hash, write_key_hint)
              values (${`src_${region}`}, ${region}, ${region}, 'server', 'bench', '\\x00', 'none')`;

    // Members, homed in each region in turn (a third each).
    const members = Array.from({ length: MEMBERS }, (_, i) => ({ id: randomUUID(), home: REGIONS[i % 3]! }));
    const enrolStart = performance.now();
    for (const m of members) {
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
    }
    const enrolMs = performance.now() - enrolStart;

    workers = runEntryPoint('workers/main.ts', ['--regions', REGIONS.join(',')], env);
    workers.stderr!.pipe(process.stderr);
    let out = '';
    workers.stdout!.on('data', (d: Buffer) => (out += d.toString().slice(-2000)));
    await waitFor('workers ready', async () => REGIONS.every((r) => out.includes(`"region":"${r}"`)), 120_000);

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
    const earnStart = performance.now();
    for (const [region, list] of perRegion) {
      const sql = sqlOf.get(region)!;
      const { currency, zone } = CURRENCY[region]!;
      for (let i = 0; i < list.length; i += 2000) {
        const chunk = list.slice(i, i + 2000);
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
      }
    }
    const earnedRows = async () => {
      let n = 0;
      for (const region of REGIONS)
        n += (await sqlOf.get(region)!`select count(*)::int as n from loyalty_ledger where kind = 'earn'`)[0]!.n;
      return n;
    };
    await waitFor('every order earned', async () => (await earnedRows()) >= expectedEarning, 60 * 60_000);
    const earnMs = performance.now() - earnStart;
    await new Promise((r) => setTimeout(r, 2000));
    let duplicates = 0;
    let earned = 0;
    for (const region of REGIONS) {
      const [row] = await sqlOf.get(region)!<{ rows: number; keys: number }[]>`
        select count(*)::int as rows, count(distinct (brand_id, entry_key))::int as keys from loyalty_ledger where kind = 'earn'`;
      duplicates += row!.rows - row!.keys;
      earned += row!.rows;
    }

    // Tier review: the sweep's pages over one region's members, in this process.
    const reviewStart = performance.now();
    let reviewed = 0;
    let after: { customerId: string; brandId: string } | null = null;
    const programmeOf = programmeCache(g);
    const tomorrow = new Date(Date.now() + 2 * 86_400_000);
    for (;;) {
      const page = await sweepMembersPage(sqlOf.get('eu')!, programmeOf, after, 1000, tomorrow);
      reviewed += page.members;
      if (!page.last) break;
      after = page.last;
    }
    const reviewMs = performance.now() - reviewStart;

    // 1,000 concurrent redemptions on 100 members (eu), each asking a random share of the balance.
    const eu = sqlOf.get('eu')!;
    const targets = members.filter((m) => m.home === 'eu').slice(0, REDEEM_MEMBERS);
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

    const workerRss = peakRssMb(workers.pid!);
    console.log(`
loyalty benchmark (${MEMBERS} members over eu/us/apac, ${ORDERS} orders in EUR/USD/JPY)
  enrolment        ${MEMBERS} members in ${(enrolMs / 1000).toFixed(1)} s
  earn             ${earned} orders earned in ${(earnMs / 1000).toFixed(1)} s (${((earned / earnMs) * 1000).toFixed(0)} orders/s); expected ${expectedEarning}; earned twice: ${duplicates}
  tier review      ${reviewed} members (eu) in ${(reviewMs / 1000).toFixed(1)} s (${((reviewed / reviewMs) * 1000).toFixed(0)} members/s)
  redemptions      ${REDEMPTIONS} concurrent on ${targets.length} members in ${(redeemMs / 1000).toFixed(1)} s: ${outcomes.filter((o) => o.ok).length} granted, ${outcomes.filter((o) => !o.ok).length} refused; lowest balance ${lowest!.min} (never below 0)
  peak RSS         workers ${workerRss.toFixed(0)} MB, this process ${peakRssMb(process.pid).toFixed(0)} MB`);
    if (duplicates > 0 || (lowest!.min ?? 0) < 0 || earned !== expectedEarning) process.exitCode = 1;
  } finally {
    if (workers && workers.exitCode === null) {
      workers.kill('SIGTERM');
      await new Promise((r) => workers!.once('exit', r));
    }
    for (const sql of sqlOf.values()) await sql.end();
    await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
