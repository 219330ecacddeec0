/**
 * Money: ISO 4217 currencies and exact amounts in minor units (cents, fils, yen).
 * Amounts are bigint minor units and decimal strings, never floating point: 0.1 + 0.2 must not
 * reach a ledger. Pure and deterministic.
 */

export interface CurrencyInfo {
  /** The ISO 4217 exponent: how many decimal places an amount has (EUR 2, JPY 0, KWD 3). */
  readonly minorUnits: number;
  /** Historical codes only: the first day the code was no longer legal tender, and its successor. */
  readonly withdrawn?: string;
  readonly replacedBy?: string;
}

/**
 * ISO 4217, written once. Every active code that has minor units (precious metals, SDR and test
 * codes have none and are not money here), plus historical codes that still appear in data we
 * read, such as the ECB reference-rate history. The exponent is ISO's, even where everyday use
 * differs (HUF, TWD, IDR have 2 in ISO).
 */
export const CURRENCIES = {
  AED: { minorUnits: 2 },
  AFN: { minorUnits: 2 },
  ALL: { minorUnits: 2 },
  AMD: { minorUnits: 2 },
  ANG: { minorUnits: 2 },
  AOA: { minorUnits: 2 },
  ARS: { minorUnits: 2 },
  AUD: { minorUnits: 2 },
  AWG: { minorUnits: 2 },
  AZN: { minorUnits: 2 },
  BAM: { minorUnits: 2 },
  BBD: { minorUnits: 2 },
  BDT: { minorUnits: 2 },
  BGN: { minorUnits: 2 },
  BHD: { minorUnits: 3 },
  BIF: { minorUnits: 0 },
  BMD: { minorUnits: 2 },
  BND: { minorUnits: 2 },
  BOB: { minorUnits: 2 },
  BOV: { minorUnits: 2 },
  BRL: { minorUnits: 2 },
  BSD: { minorUnits: 2 },
  BTN: { minorUnits: 2 },
  BWP: { minorUnits: 2 },
  BYN: { minorUnits: 2 },
  BZD: { minorUnits: 2 },
  CAD: { minorUnits: 2 },
  CDF: { minorUnits: 2 },
  CHE: { minorUnits: 2 },
  CHF: { minorUnits: 2 },
  CHW: { minorUnits: 2 },
  CLF: { minorUnits: 4 },
  CLP: { minorUnits: 0 },
  CNY: { minorUnits: 2 },
  COP: { minorUnits: 2 },
  COU: { minorUnits: 2 },
  CRC: { minorUnits: 2 },
  CUC: { minorUnits: 2 },
  CUP: { minorUnits: 2 },
  CVE: { minorUnits: 2 },
  CZK: { minorUnits: 2 },
  DJF: { minorUnits: 0 },
  DKK: { minorUnits: 2 },
  DOP: { minorUnits: 2 },
  DZD: { minorUnits: 2 },
  EGP: { minorUnits: 2 },
  ERN: { minorUnits: 2 },
  ETB: { minorUnits: 2 },
  EUR: { minorUnits: 2 },
  FJD: { minorUnits: 2 },
  FKP: { minorUnits: 2 },
  GBP: { minorUnits: 2 },
  GEL: { minorUnits: 2 },
  GHS: { minorUnits: 2 },
  GIP: { minorUnits: 2 },
  GMD: { minorUnits: 2 },
  GNF: { minorUnits: 0 },
  GTQ: { minorUnits: 2 },
  GYD: { minorUnits: 2 },
  HKD: { minorUnits: 2 },
  HNL: { minorUnits: 2 },
  HTG: { minorUnits: 2 },
  HUF: { minorUnits: 2 },
  IDR: { minorUnits: 2 },
  ILS: { minorUnits: 2 },
  INR: { minorUnits: 2 },
  IQD: { minorUnits: 3 },
  IRR: { minorUnits: 2 },
  ISK: { minorUnits: 0 },
  JMD: { minorUnits: 2 },
  JOD: { minorUnits: 3 },
  JPY: { minorUnits: 0 },
  KES: { minorUnits: 2 },
  KGS: { minorUnits: 2 },
  KHR: { minorUnits: 2 },
  KMF: { minorUnits: 0 },
  KPW: { minorUnits: 2 },
  KRW: { minorUnits: 0 },
  KWD: { minorUnits: 3 },
  KYD: { minorUnits: 2 },
  KZT: { minorUnits: 2 },
  LAK: { minorUnits: 2 },
  LBP: { minorUnits: 2 },
  LKR: { minorUnits: 2 },
  LRD: { minorUnits: 2 },
  LSL: { minorUnits: 2 },
  LYD: { minorUnits: 3 },
  MAD: { minorUnits: 2 },
  MDL: { minorUnits: 2 },
  MGA: { minorUnits: 2 },
  MKD: { minorUnits: 2 },
  MMK: { minorUnits: 2 },
  MNT: { minorUnits: 2 },
  MOP: { minorUnits: 2 },
  MRU: { minorUnits: 2 },
  MUR: { minorUnits: 2 },
  MVR: { minorUnits: 2 },
  MWK: { minorUnits: 2 },
  MXN: { minorUnits: 2 },
  MXV: { minorUnits: 2 },
  MYR: { minorUnits: 2 },
  MZN: { minorUnits: 2 },
  NAD: { minorUnits: 2 },
  NGN: { minorUnits: 2 },
  NIO: { minorUnits: 2 },
  NOK: { minorUnits: 2 },
  NPR: { minorUnits: 2 },
  NZD: { minorUnits: 2 },
  OMR: { minorUnits: 3 },
  PAB: { minorUnits: 2 },
  PEN: { minorUnits: 2 },
  PGK: { minorUnits: 2 },
  PHP: { minorUnits: 2 },
  PKR: { minorUnits: 2 },
  PLN: { minorUnits: 2 },
  PYG: { minorUnits: 0 },
  QAR: { minorUnits: 2 },
  RON: { minorUnits: 2 },
  RSD: { minorUnits: 2 },
  RUB: { minorUnits: 2 },
  RWF: { minorUnits: 0 },
  SAR: { minorUnits: 2 },
  SBD: { minorUnits: 2 },
  SCR: { minorUnits: 2 },
  SDG: { minorUnits: 2 },
  SEK: { minorUnits: 2 },
  SGD: { minorUnits: 2 },
  SHP: { minorUnits: 2 },
  SLE: { minorUnits: 2 },
  SLL: { minorUnits: 2 },
  SOS: { minorUnits: 2 },
  SRD: { minorUnits: 2 },
  SSP: { minorUnits: 2 },
  STN: { minorUnits: 2 },
  SVC: { minorUnits: 2 },
  SYP: { minorUnits: 2 },
  SZL: { minorUnits: 2 },
  THB: { minorUnits: 2 },
  TJS: { minorUnits: 2 },
  TMT: { minorUnits: 2 },
  TND: { minorUnits: 3 },
  TOP: { minorUnits: 2 },
  TRY: { minorUnits: 2 },
  TTD: { minorUnits: 2 },
  TWD: { minorUnits: 2 },
  TZS: { minorUnits: 2 },
  UAH: { minorUnits: 2 },
  UGX: { minorUnits: 0 },
  USD: { minorUnits: 2 },
  USN: { minorUnits: 2 },
  UYI: { minorUnits: 0 },
  UYU: { minorUnits: 2 },
  UYW: { minorUnits: 4 },
  UZS: { minorUnits: 2 },
  VED: { minorUnits: 2 },
  VES: { minorUnits: 2 },
  VND: { minorUnits: 0 },
  VUV: { minorUnits: 0 },
  WST: { minorUnits: 2 },
  XAF: { minorUnits: 0 },
  XCD: { minorUnits: 2 },
  XCG: { minorUnits: 2 },
  XOF: { minorUnits: 0 },
  XPF: { minorUnits: 0 },
  YER: { minorUnits: 2 },
  ZAR: { minorUnits: 2 },
  ZMW: { minorUnits: 2 },
  ZWG: { minorUnits: 2 },

  // Historical: replaced by the euro or redenominated; still in the ECB history and old orders.
  CYP: { minorUnits: 2, withdrawn: '2008-01-01', replacedBy: 'EUR' },
  EEK: { minorUnits: 2, withdrawn: '2011-01-01', replacedBy: 'EUR' },
  HRK: { minorUnits: 2, withdrawn: '2023-01-01', replacedBy: 'EUR' },
  LTL: { minorUnits: 2, withdrawn: '2015-01-01', replacedBy: 'EUR' },
  LVL: { minorUnits: 2, withdrawn: '2014-01-01', replacedBy: 'EUR' },
  MTL: { minorUnits: 2, withdrawn: '2008-01-01', replacedBy: 'EUR' },
  ROL: { minorUnits: 2, withdrawn: '2005-07-01', replacedBy: 'RON' },
  SIT: { minorUnits: 2, withdrawn: '2007-01-01', replacedBy: 'EUR' },
  SKK: { minorUnits: 2, withdrawn: '2009-01-01', replacedBy: 'EUR' },
  TRL: { minorUnits: 0, withdrawn: '2005-01-01', replacedBy: 'TRY' },
  ZWL: { minorUnits: 2, withdrawn: '2024-06-25', replacedBy: 'ZWG' },
} as const satisfies Record<string, CurrencyInfo>;

export type CurrencyCode = keyof typeof CURRENCIES;

export function isCurrency(code: string): code is CurrencyCode {
  return Object.hasOwn(CURRENCIES, code);
}

/** The currency's exponent. Throws on an unknown code: check input with `isCurrency` first. */
export function minorUnits(currency: string): number {
  if (!isCurrency(currency)) throw new RangeError(unknownCurrencyReason(currency));
  return CURRENCIES[currency].minorUnits;
}

export function unknownCurrencyReason(code: string): string {
  const upper = code.toUpperCase();
  const hint = upper !== code && isCurrency(upper) ? ` (codes are upper case: ${upper})` : '';
  return `${code} is not an ISO 4217 currency code${hint}`;
}

export type ParsedAmount = { ok: true; minor: bigint } | { ok: false; reason: string };

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses an amount written in major units ("19.99" EUR) into exact minor units (1999n).
 * Strings are the safe way in. Numbers are accepted when they are exact: a safe integer, or a
 * fraction whose shortest form (String(n)) has at most 15 significant digits — every such
 * decimal survives the round trip through a double, longer ones may not be what was meant.
 */
export function parseAmount(text: string | number, currency: string): ParsedAmount {
  if (!isCurrency(currency)) return { ok: false, reason: unknownCurrencyReason(currency) };
  const exponent = CURRENCIES[currency].minorUnits;

  let written: string;
  if (typeof text === 'number') {
    const checked = exactNumberText(text);
    if (!checked.ok) return checked;
    written = checked.text;
  } else {
    written = text.trim();
  }

  if (written === '') return { ok: false, reason: 'amount is empty' };
  if (written.includes(',')) {
    return {
      ok: false,
      reason: `amount "${written}" contains a comma: write it without thousands separators and with a dot for decimals (e.g. 1234.50)`,
    };
  }
  const match = DECIMAL.exec(written);
  if (!match) {
    return {
      ok: false,
      reason: `amount "${written}" is not a decimal number (expected digits with an optional sign and dot, e.g. -19.99)`,
    };
  }
  const [, sign = '', whole = '', writtenFraction = ''] = match;
  // Trailing zeros are exact ("100.00" JPY is 100 yen); only significant decimals must fit.
  const fraction = writtenFraction.replace(/0+$/, '');
  if (fraction.length > exponent) {
    const shown = `${sign === '-' ? '-' : ''}${whole}.${fraction}`;
    return {
      ok: false,
      reason: `${currency} has ${exponent} decimal places; ${shown} has ${fraction.length}`,
    };
  }
  const magnitude = BigInt(whole + fraction.padEnd(exponent, '0'));
  return { ok: true, minor: sign === '-' ? -magnitude : magnitude };
}

function exactNumberText(value: number): { ok: true; text: string } | { ok: false; reason: string } {
  if (!Number.isFinite(value)) return { ok: false, reason: `amount ${value} is not a finite number` };
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) {
      return {
        ok: false,
        reason: `amount ${value} is beyond the safe integer range of a number: send it as a decimal string`,
      };
    }
    return { ok: true, text: String(value) };
  }
  const text = String(value);
  const significant = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  if (text.includes('e') || significant.length > 15) {
    return {
      ok: false,
      reason: `amount ${text} cannot be represented exactly as a number: send it as a decimal string`,
    };
  }
  return { ok: true, text };
}

/** Minor units back to a plain decimal string in major units: 1999n EUR → "19.99". */
export function formatMinor(minor: bigint, currency: string): string {
  const exponent = minorUnits(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}
