import { describe, expect, it } from 'vitest';
import { CURRENCIES, formatMinor, isCurrency, minorUnits, parseAmount } from '../../domain/money';

/** The currency columns of the ECB's eurofxref-hist.csv header. */
const ECB_HISTORY_CURRENCIES = [
  'USD',
  'JPY',
  'BGN',
  'CYP',
  'CZK',
  'DKK',
  'EEK',
  'GBP',
  'HUF',
  'LTL',
  'LVL',
  'MTL',
  'PLN',
  'ROL',
  'RON',
  'SEK',
  'SIT',
  'SKK',
  'CHF',
  'ISK',
  'NOK',
  'HRK',
  'RUB',
  'TRL',
  'TRY',
  'AUD',
  'BRL',
  'CAD',
  'CNY',
  'HKD',
  'IDR',
  'ILS',
  'INR',
  'KRW',
  'MXN',
  'MYR',
  'NZD',
  'PHP',
  'SGD',
  'THB',
  'ZAR',
];

describe('ISO 4217 currencies', () => {
  it('knows every currency in the ECB reference-rate history, historical ones included', () => {
    for (const code of ECB_HISTORY_CURRENCIES) expect(isCurrency(code), code).toBe(true);
    expect(minorUnits('TRL')).toBe(0);
    expect(minorUnits('CYP')).toBe(2);
    expect(CURRENCIES.CYP).toMatchObject({ withdrawn: '2008-01-01', replacedBy: 'EUR' });
  });

  it('states ISO exponents, including the 0, 3 and 4 decimal currencies', () => {
    const expected: Record<string, number> = {
      EUR: 2,
      USD: 2,
      GBP: 2,
      HUF: 2,
      TWD: 2,
      THB: 2,
      BRL: 2,
      INR: 2,
      IDR: 2,
      AED: 2,
      SAR: 2,
      QAR: 2,
      EGP: 2,
      NGN: 2,
      ZAR: 2,
      MXN: 2,
      COP: 2,
      PEN: 2,
      ARS: 2,
      UYU: 2,
      KWD: 3,
      BHD: 3,
      OMR: 3,
      JOD: 3,
      TND: 3,
      LYD: 3,
      IQD: 3,
      JPY: 0,
      KRW: 0,
      VND: 0,
      CLP: 0,
      ISK: 0,
      UGX: 0,
      XOF: 0,
      XAF: 0,
      XPF: 0,
      PYG: 0,
      CLF: 4,
    };
    for (const [code, exponent] of Object.entries(expected)) expect(minorUnits(code), code).toBe(exponent);
  });

  it('has well-formed entries and covers every currency the runtime ICU data knows', () => {
    for (const [code, info] of Object.entries(CURRENCIES)) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(info.minorUnits);
    }
    // ICU ships ISO's list (its digits follow CLDR usage, not ISO, so only membership is compared).
    // Metals, SDR and other units have no minor units in ISO 4217 and are not money here.
    const noMinorUnits = [
      'XAD',
      'XAG',
      'XAU',
      'XBA',
      'XBB',
      'XBC',
      'XBD',
      'XDR',
      'XPD',
      'XPT',
      'XSU',
      'XTS',
      'XUA',
      'XXX',
    ];
    const icu = Intl.supportedValuesOf('currency').filter((code) => !noMinorUnits.includes(code));
    expect(icu.length).toBeGreaterThan(150);
    expect(icu.filter((code) => !isCurrency(code))).toEqual([]);
  });

  it('rejects codes that are not ISO 4217, with a hint for lower case', () => {
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('toString')).toBe(false);
    expect(() => minorUnits('XYZ')).toThrow('XYZ is not an ISO 4217 currency code');
  });
});

describe('parseAmount', () => {
  it('parses exact decimals into minor units', () => {
    expect(parseAmount('19.99', 'EUR')).toEqual({ ok: true, minor: 1999n });
    expect(parseAmount('100', 'JPY')).toEqual({ ok: true, minor: 100n });
    expect(parseAmount('0.125', 'KWD')).toEqual({ ok: true, minor: 125n });
    expect(parseAmount('1', 'KWD')).toEqual({ ok: true, minor: 1000n });
    expect(parseAmount('1.5', 'EUR')).toEqual({ ok: true, minor: 150n });
    expect(parseAmount('0.0001', 'CLF')).toEqual({ ok: true, minor: 1n });
    expect(parseAmount('007.10', 'USD')).toEqual({ ok: true, minor: 710n });
    expect(parseAmount(' 42.00 ', 'GBP')).toEqual({ ok: true, minor: 4200n });
    expect(parseAmount('+3', 'EUR')).toEqual({ ok: true, minor: 300n });
  });

  it('allows negative amounts (refunds)', () => {
    expect(parseAmount('-19.99', 'EUR')).toEqual({ ok: true, minor: -1999n });
    expect(parseAmount('-0.05', 'EUR')).toEqual({ ok: true, minor: -5n });
    expect(parseAmount(-250, 'JPY')).toEqual({ ok: true, minor: -250n });
  });

  it('is exact beyond the range of a double', () => {
    expect(parseAmount('92233720368547758.07', 'USD')).toEqual({ ok: true, minor: 9223372036854775807n });
    expect(parseAmount('123456789012345678901234567890', 'JPY')).toEqual({
      ok: true,
      minor: 123456789012345678901234567890n,
    });
  });

  it('accepts trailing zeros but rejects more significant decimals than the currency has', () => {
    expect(parseAmount('100.00', 'JPY')).toEqual({ ok: true, minor: 100n });
    expect(parseAmount('19.990', 'EUR')).toEqual({ ok: true, minor: 1999n });
    expect(parseAmount('19.999', 'EUR')).toEqual({ ok: false, reason: 'EUR has 2 decimal places; 19.999 has 3' });
    expect(parseAmount('100.5', 'JPY')).toEqual({ ok: false, reason: 'JPY has 0 decimal places; 100.5 has 1' });
    expect(parseAmount('-0.1255', 'KWD')).toEqual({ ok: false, reason: 'KWD has 3 decimal places; -0.1255 has 4' });
  });

  it('rejects thousands separators and decimal commas, saying how to write the amount', () => {
    for (const text of ['1,234.50', '1,234', '19,99']) {
      const result = parseAmount(text, 'EUR');
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.reason).toMatch(/comma: write it without thousands separators and with a dot for decimals/);
    }
  });

  it('rejects what is not a plain decimal', () => {
    for (const text of [
      '',
      '   ',
      'abc',
      '1e3',
      '.5',
      '5.',
      '1 234',
      '--1',
      '0x10',
      '€5',
      '5 EUR',
      'NaN',
      'Infinity',
    ]) {
      const result = parseAmount(text, 'EUR');
      expect(result.ok, JSON.stringify(text)).toBe(false);
    }
    expect(parseAmount('', 'EUR')).toEqual({ ok: false, reason: 'amount is empty' });
    expect(parseAmount('1e3', 'EUR')).toEqual({
      ok: false,
      reason: 'amount "1e3" is not a decimal number (expected digits with an optional sign and dot, e.g. -19.99)',
    });
  });

  it('rejects unknown currencies by name', () => {
    expect(parseAmount('1', 'XYZ')).toEqual({ ok: false, reason: 'XYZ is not an ISO 4217 currency code' });
    expect(parseAmount('1', 'eur')).toEqual({
      ok: false,
      reason: 'eur is not an ISO 4217 currency code (codes are upper case: EUR)',
    });
  });

  it('accepts numbers only when they are exact', () => {
    expect(parseAmount(19.99, 'EUR')).toEqual({ ok: true, minor: 1999n });
    expect(parseAmount(0.125, 'KWD')).toEqual({ ok: true, minor: 125n });
    expect(parseAmount(-0, 'EUR')).toEqual({ ok: true, minor: 0n });
    expect(parseAmount(Number.MAX_SAFE_INTEGER, 'JPY')).toEqual({ ok: true, minor: 9007199254740991n });
    // 0.1 + 0.2 is 0.30000000000000004 as a double: a floating-point error, caught, not rounded away.
    expect(parseAmount(0.1 + 0.2, 'EUR')).toEqual({
      ok: false,
      reason: 'amount 0.30000000000000004 cannot be represented exactly as a number: send it as a decimal string',
    });
    expect(parseAmount(2 ** 53, 'JPY')).toEqual({
      ok: false,
      reason: 'amount 9007199254740992 is beyond the safe integer range of a number: send it as a decimal string',
    });
    expect(parseAmount(1e-7, 'CLF').ok).toBe(false);
    expect(parseAmount(Number.NaN, 'EUR')).toEqual({ ok: false, reason: 'amount NaN is not a finite number' });
    expect(parseAmount(Number.POSITIVE_INFINITY, 'EUR').ok).toBe(false);
    expect(parseAmount(19.999, 'EUR')).toEqual({ ok: false, reason: 'EUR has 2 decimal places; 19.999 has 3' });
  });
});

describe('formatMinor', () => {
  it('writes minor units as a plain decimal in major units', () => {
    expect(formatMinor(1999n, 'EUR')).toBe('19.99');
    expect(formatMinor(125n, 'KWD')).toBe('0.125');
    expect(formatMinor(-5n, 'EUR')).toBe('-0.05');
    expect(formatMinor(0n, 'EUR')).toBe('0.00');
    expect(formatMinor(100n, 'JPY')).toBe('100');
    expect(formatMinor(-100n, 'JPY')).toBe('-100');
    expect(formatMinor(1n, 'CLF')).toBe('0.0001');
    expect(formatMinor(1000n, 'KWD')).toBe('1.000');
    expect(formatMinor(9223372036854775807n, 'USD')).toBe('92233720368547758.07');
    expect(() => formatMinor(1n, 'XYZ')).toThrow('XYZ is not an ISO 4217 currency code');
  });

  it('round-trips with parseAmount', () => {
    for (const [text, currency] of [
      ['19.99', 'EUR'],
      ['-0.05', 'EUR'],
      ['0.125', 'KWD'],
      ['163', 'JPY'],
      ['12.3456', 'CLF'],
    ] as const) {
      const parsed = parseAmount(text, currency);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(formatMinor(parsed.minor, currency)).toBe(text);
    }
  });
});
