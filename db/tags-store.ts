import type { Sql } from 'postgres';
import { GROUP_OWNER, type TagChange, type TagInput, type TagSource } from '../domain/tags';

/**
 * Tags (issue 11 §4). The definition lives in the global database (no personal data); who carries
 * a tag lives in each region's `tag_assignments`, keyed by customer ID. A central tag (owner
 * `group`) may be assigned in every region; a local tag (owner a region) only in its own.
 */

export interface Tag {
  key: string;
  labels: Record<string, string>;
  /** `group` (central) or a region (local). */
  owner: string;
  brandId: string | null;
  source: TagSource;
  segmentId: string | null;
  model: string | null;
  promotedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface TagRow {
  key: string;
  labels: unknown;
  owner: string;
  brand_id: string | null;
  source: TagSource;
  segment_id: string | null;
  model: string | null;
  promoted_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const toTag = (row: TagRow): Tag => ({
  key: row.key,
  labels: (typeof row.labels === 'string' ? JSON.parse(row.labels) : row.labels) as Record<string, string>,
  owner: row.owner,
  brandId: row.brand_id,
  source: row.source,
  segmentId: row.segment_id,
  model: row.model,
  promotedAt: row.promoted_at === null ? null : new Date(row.promoted_at),
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** Whether a tag may be assigned in `region`: central tags everywhere, local ones in their region. */
export const tagAppliesIn = (tag: Pick<Tag, 'owner'>, region: string): boolean =>
  tag.owner === GROUP_OWNER || tag.owner === region;

/** Creates a tag; undefined when the key is taken. */
export async function createTag(globalSql: Sql, input: TagInput): Promise<Tag | undefined> {
  const [row] = await globalSql<TagRow[]>`
    insert into tags (key, labels, owner, brand_id, source, segment_id, model)
    values (${input.key}, ${JSON.stringify(input.labels)}::text::jsonb, ${input.owner}, ${input.brandId ?? null},
      ${input.source}, ${input.source === 'rule' ? input.segmentId : null}, ${input.source === 'model' ? input.model : null})
    on conflict (key) do nothing returning *`;
  return row ? toTag(row) : undefined;
}

export async function getTag(globalSql: Sql, key: string): Promise<Tag | undefined> {
  const [row] = await globalSql<TagRow[]>`select * from tags where key = ${key}`;
  return row ? toTag(row) : undefined;
}

/** The tags visible to regions: central ones and those regions' local ones (every tag for `undefined`). */
export async function listTags(globalSql: Sql, regions?: readonly string[]): Promise<Tag[]> {
  const rows = regions
    ? await globalSql<TagRow[]>`
        select * from tags where owner = ${GROUP_OWNER} or owner = any(${globalSql.array([...regions])}::text[]) order by key`
    : await globalSql<TagRow[]>`select * from tags order by key`;
  return rows.map(toTag);
}

export async function updateTag(globalSql: Sql, key: string, change: TagChange): Promise<Tag | undefined> {
  const labels = change.labels === undefined ? null : JSON.stringify(change.labels);
  const [row] = await globalSql<TagRow[]>`
    update tags set
      labels = coalesce(${labels}::text::jsonb, labels),
      brand_id = case when ${change.brandId !== undefined} then ${change.brandId ?? null}::text else brand_id end,
      segment_id = coalesce(${change.segmentId ?? null}::text, segment_id),
      model = coalesce(${change.model ?? null}::text, model),
      updated_at = now()
    where key = ${key} returning *`;
  return row ? toTag(row) : undefined;
}

/** Makes a local tag central; its assignments stay where they are. Undefined when it was not local. */
export async function promoteTag(globalSql: Sql, key: string): Promise<Tag | undefined> {
  const [row] = await globalSql<TagRow[]>`
    update tags set owner = ${GROUP_OWNER}, promoted_at = now(), updated_at = now()
    where key = ${key} and owner <> ${GROUP_OWNER} returning *`;
  return row ? toTag(row) : undefined;
}

/** Deletes the definition (its assignments are deleted region by region first: deleteTagAssignments). */
export async function deleteTag(globalSql: Sql, key: string): Promise<boolean> {
  const rows = await globalSql`delete from tags where key = ${key} returning key`;
  return rows.length > 0;
}

/** Whether a segment exists (a rule tag follows one). */
export async function segmentExists(globalSql: Sql, segmentId: string): Promise<boolean> {
  const [row] = await globalSql`select 1 from segments where id = ${segmentId}`;
  return row !== undefined;
}

/** The rule tags that apply in `region` (central and the region's own), for the audience processor. */
export async function ruleTagsOf(globalSql: Sql, region: string): Promise<RuleTag[]> {
  return globalSql<RuleTag[]>`
    select key, segment_id as "segmentId" from tags
    where source = 'rule' and segment_id is not null and (owner = ${GROUP_OWNER} or owner = ${region})
    order by key`;
}

/**
 * Customer IDs as they are now: a merged-away ID becomes the profile it was merged into. Returns
 * the regions holding a part of each person (global `customers`).
 */
export async function currentCustomers(
  globalSql: Sql,
  customerIds: readonly string[],
): Promise<Map<string, { customerId: string; regions: string[] }>> {
  if (customerIds.length === 0) return new Map();
  const rows = await globalSql<{ asked: string; customer_id: string; regions: string[] }[]>`
    select c.customer_id as asked, coalesce(m.customer_id, c.customer_id) as customer_id, coalesce(m.regions, c.regions) as regions
    from customers c left join customers m on m.customer_id = c.merged_into
    where c.customer_id = any(${globalSql.array([...customerIds])}::uuid[])`;
  return new Map(rows.map((r) => [r.asked, { customerId: r.customer_id, regions: r.regions }]));
}

/**
 * Looks identifiers up in the global identity index by blind index (type + token, never the
 * value): the customer ID each token belongs to, merged IDs followed. Keys are `type:hex(token)`.
 */
export async function customersByBlindIndex(
  globalSql: Sql,
  tokens: readonly { type: string; blindIndex: Buffer }[],
): Promise<Map<string, string>> {
  if (tokens.length === 0) return new Map();
  // A bytea[] parameter: postgres.js serialises an array of Buffers only through sql.array (as db/region-writer.ts).
  const rows = await globalSql<{ type: string; token: string; customer_id: string }[]>`
    select i.type, encode(i.blind_index, 'hex') as token, coalesce(c.merged_into, i.customer_id) as customer_id
    from identity_index i
    join unnest(${globalSql.array(tokens.map((t) => t.type))}::text[], ${globalSql.array(tokens.map((t) => t.blindIndex) as unknown as string[])}) as u(type, token)
      on i.type = u.type and i.blind_index = u.token
    left join customers c on c.customer_id = i.customer_id`;
  return new Map(rows.map((r) => [`${r.type}:${r.token}`, r.customer_id]));
}

// ---------------------------------------------------------------------------------------------
// A region's assignments
// ---------------------------------------------------------------------------------------------

/** The customer IDs among these that have a profile in this region. */
export async function customersWithProfile(sql: Sql, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const rows = await sql<{ customer_id: string }[]>`
    select customer_id from profiles where customer_id = any(${sql.array([...customerIds])}::uuid[])`;
  return new Set(rows.map((r) => r.customer_id));
}

/**
 * Puts a tag on people in this region (a manual upload, or a model's scores with `score`), and
 * notes each person whose tags changed in `audience_changes` in the same transaction, so segments
 * on tags follow. Idempotent: a person already tagged keeps one row (a model's new score replaces
 * the old). Returns how many people newly carry the tag.
 */
export async function assignTag(
  sql: Sql,
  tagKey: string,
  origin: TagSource,
  people: readonly { customerId: string; score?: number }[],
): Promise<number> {
  if (people.length === 0) return 0;
  return sql.begin(async (tx) => {
    const rows = await tx<{ customer_id: string; inserted: boolean }[]>`
      insert into tag_assignments (customer_id, tag_key, origin, score)
      select c, ${tagKey}, ${origin}, s from unnest(
        ${tx.array(people.map((p) => p.customerId))}::uuid[], ${tx.array(people.map((p) => p.score ?? null) as never[])}::real[]
      ) as u(c, s)
      on conflict (customer_id, tag_key) do update set score = excluded.score, origin = excluded.origin,
        assigned_at = case when tag_assignments.score is distinct from excluded.score then now() else tag_assignments.assigned_at end
      returning customer_id, (xmax = 0) as inserted`;
    const added = rows.filter((r) => r.inserted).map((r) => r.customer_id);
    if (added.length > 0)
      await tx`insert into audience_changes (customer_id, cause) select unnest(${tx.array(added)}::uuid[]), 'tag'`;
    return added.length;
  });
}

/** Takes a tag off these people in this region (or everyone for 'all'); returns how many lost it. */
export async function unassignTag(sql: Sql, tagKey: string, customerIds: readonly string[] | 'all'): Promise<number> {
  return sql.begin(async (tx) => {
    const rows =
      customerIds === 'all'
        ? await tx<
            { customer_id: string }[]
          >`delete from tag_assignments where tag_key = ${tagKey} returning customer_id`
        : await tx<{ customer_id: string }[]>`
            delete from tag_assignments where tag_key = ${tagKey} and customer_id = any(${tx.array([...customerIds])}::uuid[])
            returning customer_id`;
    if (rows.length > 0)
      await tx`insert into audience_changes (customer_id, cause) select unnest(${tx.array(rows.map((r) => r.customer_id))}::uuid[]), 'tag'`;
    return rows.length;
  });
}

/** How many people carry each of these tags in this region. */
export async function countTagAssignments(sql: Sql, tagKeys: readonly string[]): Promise<Map<string, number>> {
  if (tagKeys.length === 0) return new Map();
  const rows = await sql<{ tag_key: string; n: number }[]>`
    select tag_key, count(*)::int as n from tag_assignments where tag_key = any(${sql.array([...tagKeys])}::text[]) group by tag_key`;
  return new Map(rows.map((r) => [r.tag_key, r.n]));
}

/** A rule tag: the tag's key and the segment whose membership it mirrors. */
export interface RuleTag {
  key: string;
  segmentId: string;
}

/**
 * The rule-tag reactor of the audience processor (docs/design/audiences.md), run after segment
 * membership: makes each rule tag's assignments in this region equal its segment's current members
 * (`segment_membership` rows with no exit), for the given people or for everyone. Pass the rule
 * tags of the region (`ruleTagsOf`). Idempotent; people whose tags changed are noted in
 * `audience_changes` (cause 'tag') in the same transaction, so segments on tags follow; a rule
 * tag's own segment is not re-run by that unless it depends on tags. Returns the moves.
 */
export async function syncRuleTags(
  sql: Sql,
  customerIds: readonly string[] | 'all',
  ruleTags: readonly RuleTag[],
): Promise<{ assigned: number; removed: number; changed: string[] }> {
  if (ruleTags.length === 0 || (customerIds !== 'all' && customerIds.length === 0))
    return { assigned: 0, removed: 0, changed: [] };
  const all = customerIds === 'all';
  const people = all ? [] : [...customerIds];
  return sql.begin(async (tx) => {
    const keys = tx.array(ruleTags.map((t) => t.key));
    const segments = tx.array(ruleTags.map((t) => t.segmentId));
    const added = await tx<{ customer_id: string }[]>`
      insert into tag_assignments (customer_id, tag_key, origin)
      select m.customer_id, r.key, 'rule'
      from unnest(${keys}::text[], ${segments}::text[]) as r(key, segment_id)
      join segment_membership m on m.segment_id = r.segment_id and m.exited_at is null
      where ${all} or m.customer_id = any(${tx.array(people)}::uuid[])
      on conflict (customer_id, tag_key) do nothing
      returning customer_id`;
    const removed = await tx<{ customer_id: string }[]>`
      delete from tag_assignments a
      using unnest(${keys}::text[], ${segments}::text[]) as r(key, segment_id)
      where a.tag_key = r.key and a.origin = 'rule'
        and (${all} or a.customer_id = any(${tx.array(people)}::uuid[]))
        and not exists (
          select 1 from segment_membership m
          where m.segment_id = r.segment_id and m.customer_id = a.customer_id and m.exited_at is null)
      returning a.customer_id`;
    const changed = [...new Set([...added, ...removed].map((r) => r.customer_id))];
    if (changed.length > 0)
      await tx`insert into audience_changes (customer_id, cause) select unnest(${tx.array(changed)}::uuid[]), 'tag'`;
    return { assigned: added.length, removed: removed.length, changed };
  });
}
