import type { Sql } from 'postgres';
import type { ModelTag } from '../domain/prediction-run';
import { GROUP_OWNER } from '../domain/tags';
import { createTag } from './tags-store';
import type { PurchaseHistory } from '../domain/predictions';

/**
 * Predictions in a region's database (issue 11 §6): purchase histories read from orders, models
 * stored in `prediction_models` (parameters and metrics, no personal data), and the scores written as
 * computed trait values and model tags, each set replaced as a whole in one transaction.
 */

/**
 * Every customer's purchase history in the reporting currency, keyed by customer ID, with their home
 * market: the country they order from most (ties: first alphabetically), else their consent country,
 * else "unknown". Cancelled orders and orders without a reporting amount (no FX rate) are left out;
 * a net-negative order counts as 0.
 */
export async function loadPurchaseHistories(sql: Sql): Promise<PurchaseHistory[]> {
  const rows = await sql<{ customer_id: string; market: string; dates: string[]; amounts: string[] }[]>`
    with counted as (
      select customer_id, local_date, greatest(reporting_total_minor, 0) as amount, country_code
      from orders
      where customer_id is not null and status <> 'cancelled' and reporting_total_minor is not null
    ),
    markets as (
      select customer_id, mode() within group (order by country_code) as country
      from counted where country_code is not null group by customer_id
    )
    select c.customer_id, coalesce(m.country, s.country, 'unknown') as market,
           array_agg(c.local_date::text order by c.local_date) as dates,
           array_agg(c.amount::text order by c.local_date) as amounts
    from counted c
    left join markets m on m.customer_id = c.customer_id
    left join consent_subjects s on s.customer_id = c.customer_id
    group by c.customer_id, m.country, s.country
    order by c.customer_id`;
  return rows.map((row) => ({
    customerId: row.customer_id,
    market: row.market,
    purchases: row.dates.map((localDate, i) => ({ localDate, amountMinor: BigInt(row.amounts[i]!) })),
  }));
}

/** Stores a model as of a date, replacing one of the same kind and date (a retried or repeated run). */
export async function storePredictionModel(
  sql: Sql,
  kind: string,
  asOf: string,
  model: unknown,
  metrics: unknown,
): Promise<number> {
  return sql.begin(async (tx) => {
    // One writer per kind at a time: a retry racing its first attempt still leaves one row.
    await tx`select pg_advisory_xact_lock(hashtext(${`prediction-model:${kind}`}))`;
    await tx`delete from prediction_models where kind = ${kind} and as_of = ${asOf}::date`;
    const [row] = await tx<{ id: string }[]>`
      insert into prediction_models (kind, as_of, model, metrics)
      values (${kind}, ${asOf}::date, ${JSON.stringify(model)}::text::jsonb, ${JSON.stringify(metrics)}::text::jsonb)
      returning id`;
    return Number(row!.id);
  });
}

export async function readPredictionModel(
  sql: Sql,
  id: number,
): Promise<{ kind: string; asOf: string; model: unknown; metrics: unknown } | undefined> {
  const [row] = await sql<{ kind: string; as_of: string | Date; model: unknown; metrics: unknown }[]>`
    select kind, as_of, model, metrics from prediction_models where id = ${id}`;
  if (!row) return undefined;
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const asOf = typeof row.as_of === 'string' ? row.as_of.slice(0, 10) : row.as_of.toISOString().slice(0, 10);
  return { kind: row.kind, asOf, model: json(row.model), metrics: json(row.metrics) };
}

export interface PredictionOutput {
  /** The traits the run owns: every value of these is replaced by `values`. */
  traitIds: readonly string[];
  values: readonly { customerId: string; traitId: string; value: unknown }[];
  /** The model tags the run owns: every model assignment of these is replaced by `tags`. */
  tagKeys: readonly string[];
  tags: readonly { customerId: string; tagKey: string; score: number | null }[];
}

/**
 * Replaces the run's trait values and model tag assignments in one transaction, so a reader sees the
 * previous run's or this one's, never a mix, and a re-run replaces rather than adds. People whose
 * model tags or trait values changed go to the audience-change outbox (their segments follow).
 */
export async function replacePredictions(
  sql: Sql,
  output: PredictionOutput,
  now: Date,
): Promise<{ values: number; tags: number; changedCustomers: number }> {
  const at = now.toISOString();
  return sql.begin(async (tx) => {
    // Runs of the same region's predictions do not interleave their replacements.
    await tx`select pg_advisory_xact_lock(hashtext('prediction-output'))`;
    const traitIds = tx.array([...output.traitIds]);
    const tagKeys = tx.array([...output.tagKeys]);
    await tx`
      create temporary table new_prediction_values (customer_id uuid, trait_id text, value jsonb) on commit drop`;
    await tx`
      create temporary table new_model_tags (customer_id uuid, tag_key text, score real) on commit drop`;
    const chunk = 5000;
    for (let i = 0; i < output.values.length; i += chunk) {
      const part = output.values.slice(i, i + chunk);
      await tx`
        insert into new_prediction_values
        select c, t, v::jsonb from unnest(${tx.array(part.map((p) => p.customerId))}::uuid[],
          ${tx.array(part.map((p) => p.traitId))}::text[], ${tx.array(part.map((p) => JSON.stringify(p.value)))}::text[]) as u(c, t, v)`;
    }
    for (let i = 0; i < output.tags.length; i += chunk) {
      const part = output.tags.slice(i, i + chunk);
      await tx`
        insert into new_model_tags
        select c, k, s from unnest(${tx.array(part.map((p) => p.customerId))}::uuid[],
          ${tx.array(part.map((p) => p.tagKey))}::text[], ${tx.array(part.map((p) => (p.score === null ? null : String(p.score))))}::real[]) as u(c, k, s)`;
    }
    const changed = await tx`
      insert into audience_changes (customer_id, cause)
      select customer_id, 'prediction' from (
        select coalesce(o.customer_id, n.customer_id) as customer_id
        from (select customer_id, tag_key from tag_assignments where origin = 'model' and tag_key = any(${tagKeys}::text[])) o
        full join new_model_tags n on n.customer_id = o.customer_id and n.tag_key = o.tag_key
        where o.customer_id is null or n.customer_id is null
        union
        select coalesce(o.customer_id, n.customer_id)
        from (select customer_id, trait_id, value from computed_trait_values where trait_id = any(${traitIds}::text[])) o
        full join new_prediction_values n on n.customer_id = o.customer_id and n.trait_id = o.trait_id
        where o.value is distinct from n.value
      ) d group by customer_id`;
    await tx`delete from computed_trait_values where trait_id = any(${traitIds}::text[])`;
    await tx`
      insert into computed_trait_values (customer_id, trait_id, value, computed_at)
      select customer_id, trait_id, value, ${at}::timestamptz from new_prediction_values`;
    await tx`delete from tag_assignments where origin = 'model' and tag_key = any(${tagKeys}::text[])`;
    // A person tagged by hand or by a rule with the same key keeps that assignment.
    const tags = await tx`
      insert into tag_assignments (customer_id, tag_key, origin, score, assigned_at)
      select customer_id, tag_key, 'model', score, ${at}::timestamptz from new_model_tags
      on conflict (customer_id, tag_key) do nothing`;
    return { values: output.values.length, tags: tags.count, changedCustomers: changed.count };
  });
}

/** Creates the model tags' definitions in the global database where missing (central, source model). */
export async function ensureModelTags(globalSql: Sql, tags: readonly ModelTag[]): Promise<void> {
  for (const tag of tags) {
    await createTag(globalSql, {
      key: tag.key,
      labels: tag.labels,
      owner: GROUP_OWNER,
      brandId: null,
      source: 'model',
      model: tag.model,
    });
  }
}
