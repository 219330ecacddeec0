/**
 * ISO 3166-1 alpha-2 country codes, grouped by the home region that serves them by default.
 * Written once, here; regions.ts turns the groups into the country → region table.
 */

/** EU/EEA members, their outermost regions and Åland (GDPR territory), the UK and Switzerland. */
export const EUROPE_CORE = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT',
  'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
  'IS', 'LI', 'NO',
  'AX', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF',
  'GB', 'CH',
] as const;

/**
 * The rest of Europe, the Middle East and Africa. No region of their own by default: they are
 * served from `eu` (closest, and GDPR-grade protection) until a deployment adds one.
 */
export const EUROPE_MIDDLE_EAST_AFRICA = [
  'AD', 'AL', 'AM', 'AZ', 'BA', 'BY', 'FO', 'GE', 'GG', 'GI', 'IM', 'JE', 'MC', 'MD', 'ME', 'MK', 'RS',
  'RU', 'SM', 'TR', 'UA', 'VA', 'SJ',
  'AE', 'BH', 'IL', 'IQ', 'IR', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA', 'SA', 'SY', 'YE',
  'AO', 'BF', 'BI', 'BJ', 'BW', 'CD', 'CF', 'CG', 'CI', 'CM', 'CV', 'DJ', 'DZ', 'EG', 'EH', 'ER', 'ET',
  'GA', 'GH', 'GM', 'GN', 'GQ', 'GW', 'KE', 'KM', 'LR', 'LS', 'LY', 'MA', 'MG', 'ML', 'MR', 'MU', 'MW',
  'MZ', 'NA', 'NE', 'NG', 'RW', 'SC', 'SD', 'SH', 'SL', 'SN', 'SO', 'SS', 'ST', 'SZ', 'TD', 'TG', 'TN',
  'TZ', 'UG', 'ZA', 'ZM', 'ZW',
  'AQ', 'BV', 'TF',
] as const;

/** North, Central and South America and the Caribbean (including US territories outside Asia-Pacific). */
export const AMERICAS = [
  'AG', 'AI', 'AR', 'AW', 'BB', 'BL', 'BM', 'BO', 'BQ', 'BR', 'BS', 'BZ', 'CA', 'CL', 'CO', 'CR', 'CU',
  'CW', 'DM', 'DO', 'EC', 'FK', 'GD', 'GL', 'GS', 'GT', 'GY', 'HN', 'HT', 'JM', 'KN', 'KY', 'LC', 'MS',
  'MX', 'NI', 'PA', 'PE', 'PM', 'PR', 'PY', 'SR', 'SV', 'SX', 'TC', 'TT', 'UM', 'US', 'UY', 'VC', 'VE',
  'VG', 'VI',
] as const;

/** Asia (East, South-East, South, Central) and Oceania. */
export const ASIA_PACIFIC = [
  'AF', 'AS', 'AU', 'BD', 'BN', 'BT', 'CC', 'CK', 'CN', 'CX', 'FJ', 'FM', 'GU', 'HK', 'HM', 'ID', 'IN',
  'IO', 'JP', 'KG', 'KH', 'KI', 'KP', 'KR', 'KZ', 'LA', 'LK', 'MH', 'MM', 'MN', 'MO', 'MP', 'MV', 'MY',
  'NC', 'NF', 'NP', 'NR', 'NU', 'NZ', 'PF', 'PG', 'PH', 'PK', 'PN', 'PW', 'SB', 'SG', 'TH', 'TJ', 'TK',
  'TL', 'TM', 'TO', 'TV', 'TW', 'UZ', 'VN', 'VU', 'WF', 'WS',
] as const;

export const ALL_COUNTRIES: readonly string[] = [
  ...EUROPE_CORE,
  ...EUROPE_MIDDLE_EAST_AFRICA,
  ...AMERICAS,
  ...ASIA_PACIFIC,
];

const COUNTRY_SET = new Set(ALL_COUNTRIES);

export function isCountryCode(value: string): boolean {
  return COUNTRY_SET.has(value);
}
