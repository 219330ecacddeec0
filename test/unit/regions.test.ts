import { describe, expect, it } from 'vitest';
import { ALL_COUNTRIES } from '../../domain/countries';
import { DEFAULT_REGIONS, parseRegionsOverride, RegionConfigError, resolveRegions } from '../../domain/regions';

describe('regions as configuration', () => {
  const catalog = resolveRegions();

  it('covers every ISO 3166-1 alpha-2 country exactly once', () => {
    expect(ALL_COUNTRIES).toHaveLength(249);
    expect(new Set(ALL_COUNTRIES).size).toBe(249);
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    for (const code of ALL_COUNTRIES) expect(names.of(code), code).toBeTruthy();
    const assigned = catalog.dataRegions.flatMap((r) => r.countries);
    expect(assigned.sort()).toEqual([...ALL_COUNTRIES].sort());
  });

  it('maps countries to their home region', () => {
    expect(catalog.homeRegionOf('DE').name).toBe('eu');
    expect(catalog.homeRegionOf('gb').name).toBe('eu');
    expect(catalog.homeRegionOf('CH').name).toBe('eu');
    expect(catalog.homeRegionOf('BR').name).toBe('us');
    expect(catalog.homeRegionOf('US').name).toBe('us');
    expect(catalog.homeRegionOf('JP').name).toBe('apac');
    expect(catalog.homeRegionOf('CN').name).toBe('apac');
    // French Guiana is EU territory: GDPR applies and the data lives in the EU.
    expect(catalog.homeRegionOf('GF').name).toBe('eu');
    expect(() => catalog.homeRegionOf('XX')).toThrow(/no home region for country "XX"/);
  });

  it('gives each region its queue, database and key reference', () => {
    expect(catalog.region('eu')).toMatchObject({
      taskQueue: 'meridian-eu',
      database: 'cdp_eu',
      keyRef: 'env:MERIDIAN_REGION_KEY_EU',
    });
    expect(catalog.region('global')).toMatchObject({
      taskQueue: 'meridian-global',
      database: 'cdp_global',
      countries: [],
    });
    expect(catalog.regions.map((r) => r.name)).toEqual(['global', 'eu', 'us', 'apac']);
  });

  it('adds a region (cn) by configuration alone: it takes its countries from apac', () => {
    const withCn = resolveRegions(parseRegionsOverride('{"regions": {"cn": {"countries": ["CN"]}}}', 'test'));
    expect(withCn.region('cn')).toMatchObject({
      taskQueue: 'meridian-cn',
      database: 'cdp_cn',
      keyRef: 'env:MERIDIAN_REGION_KEY_CN',
    });
    expect(withCn.homeRegionOf('CN').name).toBe('cn');
    expect(withCn.homeRegionOf('HK').name).toBe('apac');
    expect(withCn.region('apac').countries).not.toContain('CN');
    expect(withCn.dataRegions.map((r) => r.name)).toEqual(['eu', 'us', 'apac', 'cn']);
    // The defaults are untouched.
    expect(DEFAULT_REGIONS.find((r) => r.name === 'apac')!.countries).toContain('CN');
  });

  it('rejects bad region configuration with a message that says what to fix', () => {
    expect(() => catalog.region('mars')).toThrow(
      'unknown region "mars": the configured regions are global, eu, us, apac (add new ones in MERIDIAN_REGIONS_FILE)',
    );
    expect(() => parseRegionsOverride('{"regions": {"cn": {"countries": ["ZZ"]}}}', 'regions.json')).toThrow(
      /regions.json: regions.cn.countries.0: "ZZ" is not an ISO 3166-1 alpha-2 country code/,
    );
    expect(() => parseRegionsOverride('{"regions": {"CN!": {}}}', 'regions.json')).toThrow(RegionConfigError);
    expect(() => parseRegionsOverride('{nope', 'regions.json')).toThrow(/regions.json is not valid JSON/);
    expect(() => resolveRegions({ regions: { cn: { database: 'cdp_eu' } } })).toThrow(/share the database "cdp_eu"/);
    expect(() => resolveRegions({ regions: { global: { countries: ['DE'] } } })).toThrow(/cannot be home to countries/);
  });
});
