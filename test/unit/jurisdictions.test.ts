import { describe, expect, it } from 'vitest';
import { ALL_COUNTRIES } from '../../domain/countries';
import { JURISDICTIONS, jurisdictionOf } from '../../domain/jurisdictions';

describe('country (+ US state) → jurisdiction', () => {
  it('names the law for the countries Meridian sells in', () => {
    expect(jurisdictionOf('DE')).toBe('GDPR');
    expect(jurisdictionOf('no')).toBe('GDPR');
    expect(jurisdictionOf('GB')).toBe('UK_GDPR');
    expect(jurisdictionOf('CH')).toBe('CH_FADP');
    expect(jurisdictionOf('BR')).toBe('LGPD');
    expect(jurisdictionOf('CN')).toBe('PIPL');
    expect(jurisdictionOf('JP')).toBe('APPI');
    expect(jurisdictionOf('KR')).toBe('PIPA');
    expect(jurisdictionOf('CA')).toBe('PIPEDA');
    expect(jurisdictionOf('AU')).toBe('AU_PRIVACY_ACT');
    expect(jurisdictionOf('IN')).toBe('IN_DPDP');
    expect(jurisdictionOf('SG')).toBe('SG_PDPA');
    expect(jurisdictionOf('TH')).toBe('TH_PDPA');
    expect(jurisdictionOf('KE')).toBe('BASELINE');
  });

  it('uses the US state, and the strictest state law when the state is unknown', () => {
    expect(jurisdictionOf('US', 'CA')).toBe('CCPA');
    expect(jurisdictionOf('US', 'va')).toBe('US_STATE_PRIVACY');
    expect(jurisdictionOf('US', 'NY')).toBe('US_NO_STATE_LAW');
    expect(jurisdictionOf('US')).toBe('CCPA');
    expect(() => jurisdictionOf('US', 'ZZ')).toThrow(/"ZZ" is not a US state code/);
  });

  it('resolves every country to a known jurisdiction and rejects non-codes', () => {
    for (const c of ALL_COUNTRIES) expect(JURISDICTIONS).toContain(jurisdictionOf(c));
    expect(() => jurisdictionOf('Germany')).toThrow(/not an ISO 3166-1 alpha-2 country code/);
  });
});
