import { GDPR_TERRITORY, isCountryCode } from './countries';

/**
 * Country (+ US state) → the privacy law that governs a person. Policies per jurisdiction
 * (consent model, deadlines, rights) hang off these codes.
 */
export const JURISDICTIONS = [
  'GDPR',
  'UK_GDPR',
  'CH_FADP',
  'CCPA',
  'US_STATE_PRIVACY',
  'US_NO_STATE_LAW',
  'PIPEDA',
  'LGPD',
  'PIPL',
  'APPI',
  'PIPA',
  'AU_PRIVACY_ACT',
  'IN_DPDP',
  'SG_PDPA',
  'TH_PDPA',
  'BASELINE',
] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

const COUNTRY_JURISDICTION: Record<string, Jurisdiction> = {
  ...Object.fromEntries(GDPR_TERRITORY.map((c) => [c, 'GDPR' as const])),
  GB: 'UK_GDPR',
  CH: 'CH_FADP',
  CA: 'PIPEDA',
  BR: 'LGPD',
  CN: 'PIPL',
  JP: 'APPI',
  KR: 'PIPA',
  AU: 'AU_PRIVACY_ACT',
  IN: 'IN_DPDP',
  SG: 'SG_PDPA',
  TH: 'TH_PDPA',
};

/** US states with a comprehensive consumer privacy law in force (opt-out model), besides California. */
const US_STATES_WITH_PRIVACY_LAW = [
  'VA',
  'CO',
  'CT',
  'UT',
  'TX',
  'OR',
  'MT',
  'IA',
  'DE',
  'NH',
  'NJ',
  'TN',
  'MN',
  'MD',
  'IN',
  'KY',
  'RI',
  'NE',
];

const US_STATES = [
  'AL',
  'AK',
  'AZ',
  'AR',
  'CA',
  'CO',
  'CT',
  'DE',
  'DC',
  'FL',
  'GA',
  'HI',
  'ID',
  'IL',
  'IN',
  'IA',
  'KS',
  'KY',
  'LA',
  'ME',
  'MD',
  'MA',
  'MI',
  'MN',
  'MS',
  'MO',
  'MT',
  'NE',
  'NV',
  'NH',
  'NJ',
  'NM',
  'NY',
  'NC',
  'ND',
  'OH',
  'OK',
  'OR',
  'PA',
  'RI',
  'SC',
  'SD',
  'TN',
  'TX',
  'UT',
  'VT',
  'VA',
  'WA',
  'WV',
  'WI',
  'WY',
];

const US_STATE_JURISDICTION: Record<string, Jurisdiction> = Object.fromEntries(
  US_STATES.map((s) => [
    s,
    s === 'CA' ? 'CCPA' : US_STATES_WITH_PRIVACY_LAW.includes(s) ? 'US_STATE_PRIVACY' : 'US_NO_STATE_LAW',
  ]),
);

export class JurisdictionLookupError extends Error {
  override name = 'JurisdictionLookupError';
}

/**
 * The jurisdiction for a person in `country` (ISO alpha-2) and, in the US, `state` (USPS code).
 * A US person whose state is unknown is treated as Californian: the strictest US law applies.
 */
export function jurisdictionOf(country: string, state?: string): Jurisdiction {
  const c = country.toUpperCase();
  if (!isCountryCode(c)) {
    throw new JurisdictionLookupError(`"${country}" is not an ISO 3166-1 alpha-2 country code`);
  }
  if (c === 'US') {
    if (!state) return 'CCPA';
    const found = US_STATE_JURISDICTION[state.toUpperCase()];
    if (!found)
      throw new JurisdictionLookupError(`"${state}" is not a US state code: use the two-letter USPS code, e.g. CA`);
    return found;
  }
  return COUNTRY_JURISDICTION[c] ?? 'BASELINE';
}
