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

/** A brand of the workspace (db/schema/global.ts `brands`). */
export interface Brand {
  id: string;
  name: string;
  separateController: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether `userBrand` may use the data `ownerBrand` collected. */
export interface BrandSharing {
  ownerBrand: string;
  userBrand: string;
  allowed: boolean;
  updatedAt: Date;
}

interface BrandRow {
  id: string;
  name: string;
  separate_controller: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

const toBrand = (row: BrandRow): Brand => ({
  id: row.id,
  name: row.name,
  separateController: row.separate_controller,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

export async function listBrands(globalSql: Sql): Promise<Brand[]> {
  return (await globalSql<BrandRow[]>`select * from brands order by id`).map(toBrand);
}

export async function getBrand(globalSql: Sql, id: string): Promise<Brand | undefined> {
  const [row] = await globalSql<BrandRow[]>`select * from brands where id = ${id}`;
  return row ? toBrand(row) : undefined;
}

/** Creates a brand; undefined when the ID is taken. */
export async function createBrand(
  globalSql: Sql,
  input: { id: string; name: string; separateController?: boolean },
): Promise<Brand | undefined> {
  const [row] = await globalSql<BrandRow[]>`
    insert into brands (id, name, separate_controller) values (${input.id}, ${input.name}, ${input.separateController ?? false})
    on conflict (id) do nothing returning *`;
  return row ? toBrand(row) : undefined;
}

export async function updateBrand(
  globalSql: Sql,
  id: string,
  change: { name?: string; separateController?: boolean },
): Promise<Brand | undefined> {
  const [row] = await globalSql<BrandRow[]>`
    update brands set name = coalesce(${change.name ?? null}::text, name),
      separate_controller = coalesce(${change.separateController ?? null}::boolean, separate_controller),
      updated_at = now()
    where id = ${id} returning *`;
  return row ? toBrand(row) : undefined;
}

/** Sets whether `userBrand` may use `ownerBrand`'s data (both must exist: the caller checks). */
export async function setBrandSharing(
  globalSql: Sql,
  ownerBrand: string,
  userBrand: string,
  allowed: boolean,
): Promise<BrandSharing> {
  const [row] = await globalSql<{ owner_brand: string; user_brand: string; allowed: boolean; updated_at: Date }[]>`
    insert into brand_sharing (owner_brand, user_brand, allowed) values (${ownerBrand}, ${userBrand}, ${allowed})
    on conflict (owner_brand, user_brand) do update set allowed = excluded.allowed, updated_at = now()
    returning *`;
  return {
    ownerBrand: row!.owner_brand,
    userBrand: row!.user_brand,
    allowed: row!.allowed,
    updatedAt: new Date(row!.updated_at),
  };
}

/** Every sharing setting, or those where `brandId` is the owner or the user. */
export async function listBrandSharing(globalSql: Sql, brandId?: string): Promise<BrandSharing[]> {
  const rows = await globalSql<{ owner_brand: string; user_brand: string; allowed: boolean; updated_at: Date }[]>`
    select * from brand_sharing
    where ${brandId ?? null}::text is null or owner_brand = ${brandId ?? null} or user_brand = ${brandId ?? null}
    order by owner_brand, user_brand`;
  return rows.map((row) => ({
    ownerBrand: row.owner_brand,
    userBrand: row.user_brand,
    allowed: row.allowed,
    updatedAt: new Date(row.updated_at),
  }));
}

/**
 * The brand a consent record is given to when `brandId` collects it: the brand itself where it is
 * a separate controller, else null (the group's consent, shared by the brands that are not).
 */
export async function consentBrandOf(globalSql: Sql, brandId: string | null | undefined): Promise<string | null> {
  if (!brandId) return null;
  const [row] = await globalSql<{ separate_controller: boolean }[]>`
    select separate_controller from brands where id = ${brandId}`;
  return row?.separate_controller ? brandId : null;
}

/**
 * `consentBrandOf` for the tracking hot path: each brand's answer kept `ttlMs` (a brand turned into
 * a separate controller is seen by every web process within that time).
 */
export function cachedConsentBrandOf(globalSql: Sql, ttlMs = 30_000): (brandId: string) => Promise<string | null> {
  const cache = new Map<string, { scope: string | null; until: number }>();
  return async (brandId) => {
    const hit = cache.get(brandId);
    if (hit && hit.until > Date.now()) return hit.scope;
    const scope = await consentBrandOf(globalSql, brandId);
    cache.set(brandId, { scope, until: Date.now() + ttlMs });
    return scope;
  };
}
