import type { Sql } from 'postgres';

/**
 * Brand visibility, the one rule every audience query applies (docs/design/audiences.md): what
 * a brand's segment, trait or tag may read. Data belongs to the brand of the source or connector
 * that brought it in; a brand sees its own, and another brand's only where that brand shares with
 * it (`brand_sharing.allowed`). A group-level definition (no brand) sees everything.
 */

/**
 * The IDs of the sources and connectors whose data `brandId` may use, or `null` for the group
 * (no filter). The region's SQL takes the list as a parameter (`source_id = any(...)`).
 */
export async function visibleSourceIds(globalSql: Sql, brandId: string | null): Promise<string[] | null> {
  if (brandId === null) return null;
  const rows = await globalSql<{ id: string }[]>`
    with visible as (
      select ${brandId}::text as brand_id
      union
      select owner_brand from brand_sharing where user_brand = ${brandId} and allowed
    )
    select id from sources where brand_id in (select brand_id from visible)
    union
    select id from connectors where brand_id in (select brand_id from visible)
    order by 1`;
  return rows.map((row) => row.id);
}
