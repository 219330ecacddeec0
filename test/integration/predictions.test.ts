import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHURN_HIGH_BAND, MODEL_TAGS } from '../../domain/prediction-run';
import { ensureComputedTraitsSchedules } from '../../temporal/processes/computed-traits';
import { ensurePredictionsSchedules, runPredictions } from '../../temporal/processes/predictions';
import { cdnowTransactions } from '../support/cdnow';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { decodedHistory } from '../support/history';

/**
 * The predictions workflow on real Temporal and PostgreSQL, on a slice of the real CDNOW data
 * (data/cdnow) loaded as orders of the `us` region: models stored, scores written as traits and model
 * tags, and a re-run that replaces rather than adds.
 */

/** The first customers of the CDNOW master file (every purchase to 1998-06-30). */
const CUSTOMERS = 1500;
/** CDNOW's calibration end (Fader, Hardie & Lee): the 90 days before it label the churn training. */
const AS_OF = '1997-09-30';

const uuidOf = (cdnowId: string) => `00000000-0000-4000-8000-${cdnowId.padStart(12, '0')}`;

describe('predictions workflow on CDNOW orders', () => {
  let d: TestDeployment;
  let buyers: number;

  beforeAll(async () => {
    d = await createTestDeployment('predictions');
    const sql = d.regional('us').sql;
    await sql`select 1`;
    const transactions = cdnowTransactions().filter((t) => Number(t.customerId) <= CUSTOMERS);
    buyers = new Set(transactions.filter((t) => t.localDate <= AS_OF).map((t) => t.customerId)).size;
    const rows = transactions.map((t, i) => ({
      externalId: `cdnow-${i}`,
      customerId: uuidOf(t.customerId),
      localDate: t.localDate,
      amount: String(t.amountMinor),
    }));
    for (let i = 0; i < rows.length; i += 2000) {
      const part = rows.slice(i, i + 2000);
      await sql`
        insert into orders (source_id, external_id, customer_id, currency, total_minor, reporting_currency,
                            reporting_total_minor, placed_at, time_zone, local_date, local_hour, status, country_code,
                            line_item_count, source_updated_at)
        select 'cdnow', e, c, 'USD', a, 'USD', a, (d || 'T17:00:00Z')::timestamptz, 'America/New_York', d::date, 12,
               'closed', 'US', 1, (d || 'T17:00:00Z')::timestamptz
        from unnest(${sql.array(part.map((r) => r.externalId))}::text[], ${sql.array(part.map((r) => r.customerId))}::uuid[],
                    ${sql.array(part.map((r) => r.localDate))}::text[], ${sql.array(part.map((r) => r.amount))}::bigint[])
          as u(e, c, d, a)`;
    }
    // These tests read the notes the predictions leave for the audience processor (audience_changes);
    // the worker's own processor would consume them at its pace (its reactions are tested elsewhere).
    await d.startWorkers(['us'], { MERIDIAN_AUDIENCES: 'off' });
  });
  afterAll(async () => {
    await d?.close();
  });

  const snapshot = async () => {
    const sql = d.regional('us').sql;
    const tags = await sql<{ tag_key: string; n: number }[]>`
      select tag_key, count(*)::int as n from tag_assignments where origin = 'model' group by 1 order by 1`;
    const traits = await sql<{ trait_id: string; n: number }[]>`
      select trait_id, count(*)::int as n from computed_trait_values group by 1 order by 1`;
    const models = await sql<{ kind: string; as_of: string; metrics: any }[]>`
      select kind, as_of::text, metrics from prediction_models order by kind`;
    return {
      tags: Object.fromEntries(tags.map((t) => [t.tag_key, t.n])),
      traits: Object.fromEntries(traits.map((t) => [t.trait_id, t.n])),
      models,
    };
  };

  it('trains, stores the models, and writes RFM, lifecycle, churn and value for every buyer', async () => {
    const result = await runPredictions(d.client, d.config, 'us', { asOf: AS_OF }, 'test-1');
    expect(result.asOf).toBe(AS_OF);
    expect(result.customers).toBe(CUSTOMERS);
    expect(result.churnModelId).not.toBeNull();
    expect(result.valueModelId).not.toBeNull();
    expect(result.scored).toBe(buyers);
    // The history, decrypted: a date, model IDs and counts; no customer, no purchase.
    const history = await decodedHistory(d.client.workflow.getHandle('predictions-us-test-1'), d.config.payloadKeys);
    expect(history).toContain(`"asOf":"${AS_OF}"`);
    expect(history).toContain(`"churnModelId":${result.churnModelId}`);
    expect(history).not.toMatch(/00000000-0000-4000-8000|amountMinor|localDate|"R[1-5]F/);

    const first = await snapshot();
    // One model of each kind as of the date, with honest metrics from the training period.
    expect(first.models.map((m) => [m.kind, m.as_of])).toEqual([
      ['churn', AS_OF],
      ['customer_value', AS_OF],
    ]);
    const churn = first.models[0]!.metrics;
    expect(churn.trainAsOf).toBe('1997-07-02');
    expect(churn.rows).toBeGreaterThan(1000);
    expect(churn.chosenDepth).toBeOneOf([4, 6, 8]);
    // Better than chance on customers it was not fitted on, as the benchmark finds on all of CDNOW.
    expect(churn.checkAuc).toBeGreaterThan(0.6);
    expect(first.models[1]!.metrics.repeatCustomers).toBeGreaterThan(100);

    for (const trait of ['rfm', 'lifecycle_stage', 'churn_risk', 'expected_purchases_90d', 'expected_value_90d'])
      expect(first.traits[trait], trait).toBe(buyers);
    // Every buyer has exactly one lifecycle tag; the top tenth by churn risk is tagged high.
    const lifecycle = Object.entries(first.tags).filter(([k]) => k.startsWith('lifecycle_'));
    expect(lifecycle.reduce((s, [, n]) => s + n, 0)).toBe(buyers);
    expect(first.tags.churn_risk_high).toBeGreaterThanOrEqual(Math.ceil(buyers * CHURN_HIGH_BAND));
    expect(first.tags.churn_risk_high).toBeLessThan(buyers * 0.5);

    const sql = d.regional('us').sql;
    const [sample] = await sql<{ value: any }[]>`
      select value from computed_trait_values where trait_id = 'rfm' and customer_id = ${uuidOf('1')}`;
    expect(sample!.value).toMatchObject({ market: 'US', code: expect.stringMatching(/^R[1-5]F[1-5]M[1-5]$/) });
    // The high band holds the highest scores, and its scores are on the assignments.
    const [band] = await sql<{ lowest_tagged: number; highest_untagged: number }[]>`
      select (select min(score) from tag_assignments where tag_key = 'churn_risk_high') as lowest_tagged,
             (select max((v.value)::numeric) from computed_trait_values v
              where v.trait_id = 'churn_risk' and not exists (
                select 1 from tag_assignments t where t.customer_id = v.customer_id and t.tag_key = 'churn_risk_high')) as highest_untagged`;
    expect(Number(band!.lowest_tagged)).toBeGreaterThan(Number(band!.highest_untagged));

    // The model tags are defined centrally, with labels in several languages.
    const tags = await d.global().sql<{ key: string; owner: string; source: string; labels: any }[]>`
      select key, owner, source, labels from tags where source = 'model' order by key`;
    expect(tags.map((t) => t.key)).toEqual(MODEL_TAGS.map((t) => t.key).sort());
    for (const tag of tags) {
      expect(tag.owner).toBe('group');
      expect(Object.keys(tag.labels)).toEqual(expect.arrayContaining(['en', 'de', 'ja', 'zh']));
    }
    // The audience processor hears of everyone whose scores appeared.
    const [changes] = await sql<{ n: number }[]>`
      select count(distinct customer_id)::int as n from audience_changes where cause = 'prediction'`;
    expect(changes!.n).toBe(buyers);
  });

  it('a re-run replaces the scores and the model rows, never adds to them; a hand-made tag survives', async () => {
    const sql = d.regional('us').sql;
    const before = await snapshot();
    // A person tagged by hand with a model's key keeps the manual assignment.
    const [picked] = await sql<{ customer_id: string; tag_key: string }[]>`
      update tag_assignments set origin = 'manual'
      where (customer_id, tag_key) = (
        select customer_id, tag_key from tag_assignments where origin = 'model' and tag_key like 'lifecycle_%'
        order by customer_id limit 1)
      returning customer_id, tag_key`;
    await sql`delete from audience_changes`;
    await runPredictions(d.client, d.config, 'us', { asOf: AS_OF }, 'test-2');
    const after = await snapshot();
    expect(after.traits).toEqual(before.traits);
    expect(after.models.map((m) => [m.kind, m.as_of])).toEqual(before.models.map((m) => [m.kind, m.as_of]));
    const total = (tags: Record<string, number>) => Object.values(tags).reduce((s, n) => s + n, 0);
    expect(total(after.tags)).toBe(total(before.tags) - 1);
    const [manual] = await sql<{ origin: string }[]>`
      select origin from tag_assignments where customer_id = ${picked!.customer_id} and tag_key = ${picked!.tag_key}`;
    expect(manual?.origin).toBe('manual');
    // Same data, same scores: nobody changed, apart from the person whose model tag became a manual one.
    const [changes] = await sql<{ n: number }[]>`select count(*)::int as n from audience_changes`;
    expect(changes!.n).toBeLessThanOrEqual(1);
  });

  it('schedules predictions daily and the sliding pass every 6 hours in each region, idempotently', async () => {
    const regions = Object.fromEntries(d.config.regions.dataRegions.map((r) => [r.name, 'created']));
    expect(await ensurePredictionsSchedules(d.client, d.config)).toEqual(regions);
    expect(await ensureComputedTraitsSchedules(d.client, d.config)).toEqual(regions);
    const updated = Object.fromEntries(d.config.regions.dataRegions.map((r) => [r.name, 'updated']));
    expect(await ensurePredictionsSchedules(d.client, d.config)).toEqual(updated);
    expect(await ensureComputedTraitsSchedules(d.client, d.config)).toEqual(updated);
    const us = await d.client.schedule.getHandle('predictions-us').describe();
    expect(us.action).toMatchObject({
      workflowType: 'predictions',
      taskQueue: d.config.regions.region('us').taskQueue,
    });
    const slide = await d.client.schedule.getHandle('computed-traits-eu').describe();
    expect(slide.action).toMatchObject({ workflowType: 'computedTraitsRefresh', args: [{ windowedOnly: true }] });
    for (const region of d.config.regions.dataRegions)
      for (const id of [`predictions-${region.name}`, `computed-traits-${region.name}`])
        await d.client.schedule.getHandle(id).delete();
  });
});
