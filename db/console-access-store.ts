import type { Sql } from 'postgres';

/**
 * What the console's brand scope needs to know about a resource: the brand it belongs to (null:
 * the group's). One query per kind, so web/admin/access.ts checks every route the same way.
 */

export type BrandedKind = 'segment' | 'tag' | 'journey' | 'template' | 'broadcast' | 'adAudience' | 'computedTrait';

/** The brands of these segments (null: the group's), by segment id. */
export async function brandsOfSegments(sql: Sql, ids: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await sql<{ id: string; brand_id: string | null }[]>`
    select id, brand_id from segments where id = any(${[...ids]}::text[])`;
  return new Map(rows.map((r) => [r.id, r.brand_id]));
}

/** The resource's brand (null for the group's), or undefined when there is no such resource. */
export async function brandOfResource(sql: Sql, kind: BrandedKind, id: string): Promise<string | null | undefined> {
  let rows: { brand_id: string | null }[];
  switch (kind) {
    case 'segment':
      rows = await sql`select brand_id from segments where id = ${id}`;
      break;
    case 'tag':
      rows = await sql`select brand_id from tags where key = ${id}`;
      break;
    case 'journey':
      rows = await sql`select brand_id from journeys where id = ${id}`;
      break;
    case 'template':
      rows = await sql`select brand_id from message_templates where id = ${id} order by version desc limit 1`;
      break;
    case 'broadcast':
      rows = await sql`select brand_id from broadcasts where id = ${id}`;
      break;
    case 'adAudience':
      rows = await sql`select s.brand_id from ad_audiences a join segments s on s.id = a.segment_id where a.id = ${id}`;
      break;
    case 'computedTrait':
      rows = await sql`select brand_id from computed_traits where id = ${id}`;
      break;
  }
  return rows[0] === undefined ? undefined : rows[0].brand_id;
}
