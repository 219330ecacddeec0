import { z } from 'zod';
import { AMERICAS, ASIA_PACIFIC, EUROPE_CORE, EUROPE_MIDDLE_EAST_AFRICA, isCountryCode } from './countries';
import { describeIssues } from './validation';

/**
 * A region is a PostgreSQL database, a Temporal task queue, a worker pool and an encryption key
 * (DESIGN.md, rule 1). Regions are configuration: the defaults below can be extended or
 * overridden by a JSON file (MERIDIAN_REGIONS_FILE) without code changes.
 */

export const GLOBAL_REGION = 'global';

const regionName = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,15}$/, 'a region name is 2–16 lower-case letters or digits, starting with a letter');

const countryCode = z
  .string()
  .refine(isCountryCode, { error: (issue) => `"${String(issue.input)}" is not an ISO 3166-1 alpha-2 country code` });

export const regionSchema = z.object({
  name: regionName,
  /** Temporal task queue served only by this region's workers. */
  taskQueue: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
  /** Database on the PostgreSQL server; each region has its own. */
  database: z.string().regex(/^[a-z_][a-z0-9_]{1,62}$/),
  /** Where the region's key comes from: the name of the environment variable that holds it. */
  keyRef: z.string().regex(/^env:[A-Z][A-Z0-9_]*$/, 'keyRef is "env:VARIABLE_NAME"'),
  /** Countries whose people this region is home to. Empty for `global`. */
  countries: z.array(countryCode),
});
export type Region = z.infer<typeof regionSchema>;

/** What a deployment may write in its regions file: per region, any field to change. */
export const regionsOverrideSchema = z.object({
  regions: z.record(
    regionName,
    z.object({
      taskQueue: regionSchema.shape.taskQueue.optional(),
      database: regionSchema.shape.database.optional(),
      keyRef: regionSchema.shape.keyRef.optional(),
      countries: z.array(countryCode).optional(),
    }),
  ),
});
export type RegionsOverride = z.infer<typeof regionsOverrideSchema>;

function defaultRegion(name: string, countries: readonly string[]): Region {
  return {
    name,
    taskQueue: `meridian-${name}`,
    database: `cdp_${name}`,
    keyRef: `env:MERIDIAN_REGION_KEY_${name.toUpperCase()}`,
    countries: [...countries],
  };
}

export const DEFAULT_REGIONS: readonly Region[] = [
  defaultRegion(GLOBAL_REGION, []),
  defaultRegion('eu', [...EUROPE_CORE, ...EUROPE_MIDDLE_EAST_AFRICA]),
  defaultRegion('us', AMERICAS),
  defaultRegion('apac', ASIA_PACIFIC),
];

export class RegionConfigError extends Error {
  override name = 'RegionConfigError';
}

/** The resolved, validated set of regions and the country → region table derived from it. */
export interface RegionCatalog {
  readonly regions: readonly Region[];
  /** Regions that hold personal data (every region but `global`). */
  readonly dataRegions: readonly Region[];
  region(name: string): Region;
  homeRegionOf(country: string): Region;
}

/**
 * Applies an override to the defaults. A region named in the override that does not exist is
 * added; countries it claims move to it from whichever region had them.
 */
export function resolveRegions(override?: RegionsOverride, base: readonly Region[] = DEFAULT_REGIONS): RegionCatalog {
  const byName = new Map(base.map((r) => [r.name, { ...r, countries: [...r.countries] }]));
  for (const [name, change] of Object.entries(override?.regions ?? {})) {
    const current = byName.get(name) ?? defaultRegion(name, []);
    if (name === GLOBAL_REGION && change.countries?.length) {
      throw new RegionConfigError('region "global" holds no personal data and cannot be home to countries');
    }
    if (change.countries) {
      const claimed = new Set(change.countries);
      for (const other of byName.values()) {
        if (other.name !== name) other.countries = other.countries.filter((c) => !claimed.has(c));
      }
    }
    byName.set(name, {
      ...current,
      ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)),
      name,
    } as Region);
  }
  return buildCatalog([...byName.values()]);
}

function buildCatalog(regions: Region[]): RegionCatalog {
  for (const r of regions) regionSchema.parse(r);
  if (!regions.some((r) => r.name === GLOBAL_REGION)) {
    throw new RegionConfigError('the "global" region is missing from the region configuration');
  }
  assertUnique(regions, 'taskQueue');
  assertUnique(regions, 'database');

  const countryToRegion = new Map<string, Region>();
  for (const r of regions) {
    for (const c of r.countries) {
      const previous = countryToRegion.get(c);
      if (previous) {
        throw new RegionConfigError(
          `country ${c} is in both "${previous.name}" and "${r.name}": give it one home region`,
        );
      }
      countryToRegion.set(c, r);
    }
  }
  const byName = new Map(regions.map((r) => [r.name, r]));
  const names = regions.map((r) => r.name).join(', ');

  return {
    regions,
    dataRegions: regions.filter((r) => r.name !== GLOBAL_REGION),
    region(name) {
      const found = byName.get(name);
      if (!found) {
        throw new RegionConfigError(
          `unknown region "${name}": the configured regions are ${names} (add new ones in MERIDIAN_REGIONS_FILE)`,
        );
      }
      return found;
    },
    homeRegionOf(country) {
      const code = country.toUpperCase();
      const found = countryToRegion.get(code);
      if (!found) {
        throw new RegionConfigError(
          `no home region for country "${country}": use an ISO 3166-1 alpha-2 code such as DE`,
        );
      }
      return found;
    },
  };
}

function assertUnique(regions: Region[], key: 'taskQueue' | 'database'): void {
  const seen = new Map<string, string>();
  for (const r of regions) {
    const other = seen.get(r[key]);
    if (other) throw new RegionConfigError(`regions "${other}" and "${r.name}" share the ${key} "${r[key]}"`);
    seen.set(r[key], r.name);
  }
}

/** Parses the JSON text of a regions file, with errors that name the file's mistake. */
export function parseRegionsOverride(json: string, source: string): RegionsOverride {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new RegionConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = regionsOverrideSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegionConfigError(`${source}: ${describeIssues(parsed.error, '(root)', { first: true })}`);
  }
  return parsed.data;
}
