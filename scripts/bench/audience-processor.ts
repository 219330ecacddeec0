import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { AudienceProcessor } from '../../db/audience-processor';
import { seedBuiltInTraits } from '../../db/computed-traits-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { dropDatabases } from '../../db/migrate';
import { createSegment, recomputeSegment } from '../../db/segments-store';
import type { SegmentNode } from '../../domain/segments';
import { audienceReactors } from '../../workers/audience-reactors';
import { segmentScope } from '../../db/audience-processor';
import { generateRegion } from './audience-data';
import { segmentDefinitions } from './audiences-segments';
import { processorBenchRegion } from './processor-bench';

/**
 * The audience processor alone, no Temporal and no HTTP: `npx tsx scripts/bench/audience-processor.ts
 * [--profiles 45000] [--users 20000] [--changes 40000] [--rounds 2]`. One region (eu) of the
 * audience benchmark's synthetic profiles and its twenty segments; then, per round, `--changes`
 * page views of `--users` people (events and their `audience_changes` rows written as the region
 * writer writes them), drained by the processor with the worker's reactors. Reports rows/s per
 * round. Rounds alternate the processor options named by `--variants` (JSON list of
 * AudienceProcessorOptions), for a same-run comparison.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const PROFILES = Number(arg('profiles', '45000'));
const USERS = Number(arg('users', '20000'));
const CHANGES = Number(arg('changes', '40000'));
const ROUNDS = Number(arg('rounds', '2'));
const VARIANTS = JSON.parse(arg('variants', '[{}]')) as object[];

/** `count` page views of `users` in turn, with their change notes, in one transaction as the region writer commits them. */
async function pageViews(sql: Sql, users: string[], count: number, sourceId: string, serial: number) {
  const people = Array.from({ length: count }, (_, i) => users[(serial + i) % users.length]!);
  await sql.begin(async (tx) => {
    await tx`insert into audience_changes (customer_id, cause)
      select c, 'event:Page Viewed' from unnest(${people}::uuid[]) as u(c)`;
    await tx`insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event,
        timestamp, timezone, locale, payload_sealed, properties)
      select gen_random_uuid(), now(), ${sourceId}, gen_random_uuid()::text, c, c, 'track', 'Page Viewed', now(),
        'Europe/Berlin', 'de-DE', '\\x00', '{"category":"shoes"}'::jsonb from unnest(${people}::uuid[]) as u(c)`;
  });
}

async function main() {
  const { env, config, eu, pool, globalPool } = await processorBenchRegion('audproc');
  const sql = pool.sql;
  try {
    const sourceId = `src_${randomUUID().slice(0, 8)}`;
    const data = await generateRegion(sql, {
      region: 'eu',
      offset: 0,
      profiles: PROFILES,
      sourceId,
      connectorId: sourceId,
      seed: 1000,
      now: new Date(),
    });
    console.log(`eu: ${data.profiles} profiles, ${data.events} events, ${data.orders} orders`);
    await sql`vacuum (analyze)`;
    await seedBuiltInTraits(globalPool.sql);
    const scope = await segmentScope(globalPool.sql, config.regions, null);
    for (const [i, [name, definition]] of segmentDefinitions().entries()) {
      const segment = await createSegment(globalPool.sql, {
        id: `seg_${i}`,
        name,
        owner: 'group',
        brandId: null,
        definition: definition as SegmentNode,
        changedBy: 'bench',
      });
      await recomputeSegment(sql, segment, scope);
    }
    await sql`delete from audience_changes`;
    const users = (
      await sql<{ customer_id: string }[]>`select customer_id from profiles order by customer_id limit ${USERS}`
    ).map((r) => r.customer_id);
    const reactors = audienceReactors({
      region: 'eu',
      globalSql: globalPool.sql,
      regions: config.regions,
      regionKey: keyFromRef(eu.keyRef, env),
      reportingCurrency: config.reportingCurrency,
    });
    let serial = 0;
    for (let round = 0; round < ROUNDS; round++)
      for (const [v, variant] of VARIANTS.entries()) {
        await pageViews(sql, users, CHANGES, sourceId, serial);
        serial += CHANGES;
        await sql`analyze audience_changes`;
        const processor = new AudienceProcessor(sql, reactors, variant);
        const started = performance.now();
        let rows = 0;
        let batches = 0;
        for (;;) {
          const n = await processor.processBatch();
          if (n === 0) break;
          rows += n;
          batches++;
        }
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `round ${round} variant ${v} ${JSON.stringify(variant)}: ${rows} rows in ${batches} batches, ${seconds.toFixed(1)} s, ${(rows / seconds).toFixed(0)} rows/s`,
        );
      }
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
