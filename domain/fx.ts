import { isCurrency, minorUnits, unknownCurrencyReason } from './money';

/**
 * Foreign exchange on the ECB euro reference rates: parsing the ECB's CSV history and XML feed,
 * and exact conversion between any two currencies through the euro.
 *
 * A rate is "units of currency per 1 EUR" as a decimal string, exactly as published. All
 * arithmetic is rational, on bigint, so a conversion is reproducible to the last minor unit.
 * Pure and deterministic. Bad feed data comes back as a reason (`safeParse…`, `rateOn`, `convert`,
 * `supplement`); `parse…` throw an `EcbFeedError` for callers that treat it as a failed fetch.
 */

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export interface FxDay {
  /** The business day the rates are for, YYYY-MM-DD. */
  date: string;
  /** Currency → units per 1 EUR, a positive decimal string ("1.1252"). EUR itself is implicitly 1. */
  rates: Record<string, string>;
}

/** A fraction in lowest terms with a positive denominator. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

export type FxParseResult = { ok: true; days: FxDay[] } | { ok: false; reason: string };

/** What `parseEcbHistoryCsv` and `parseEcbDailyXml` throw: the feed is not what the ECB publishes. */
/** The ECB's reference-rate files: today's rates, the last 90 days, or the whole history. */
export const ECB_FEEDS = {
  daily: 'eurofxref-daily.xml',
  '90d': 'eurofxref-hist-90d.xml',
  history: 'eurofxref-hist.xml',
} as const;
export type EcbFeed = keyof typeof ECB_FEEDS;

export function isEcbFeed(value: unknown): value is EcbFeed {
  return typeof value === 'string' && Object.hasOwn(ECB_FEEDS, value);
}

export class EcbFeedError extends Error {
  override readonly name = 'EcbFeedError';
}

export type FxRateResult =
  | {
      ok: true;
      /** Units of `to` per 1 unit of `from`. */
      rate: Rational;
      /** The day whose rates were used; earlier than the date asked for when `fallback`. */
      rateDate: string;
      /** True when the date asked for had no rates: the caller must say which day was used. */
      fallback: boolean;
      /** 'direct' when one side is EUR (a published rate), 'EUR' for a cross rate through the euro. */
      via: 'EUR' | 'direct';
    }
  | { ok: false; reason: string };

export type FxConversionResult =
  | {
      ok: true;
      minor: bigint;
      /** The rate applied (units of `to` per 1 `from`), 10 significant digits, for display and audit. */
      rate: string;
      rateDate: string;
      fallback: boolean;
      via: 'EUR' | 'direct';
    }
  | { ok: false; reason: string };

export interface SupplementResult {
  /** Items now in the table (re-supplying an identical rate counts). */
  accepted: number;
  /** Items left out, each with the reason; the accepted ones are kept regardless. */
  rejected: { date: string; perEur: string; reason: string }[];
}

export interface FxTableOptions {
  /** How many calendar days before the date asked for a rate may come from. Default 7. */
  maxFallbackDays?: number;
}

/** A week covers every TARGET closure (the longest is Good Friday to Easter Monday). */
export const DEFAULT_MAX_FALLBACK_DAYS = 7;

// ---------------------------------------------------------------------------------------------
// Rationals
// ---------------------------------------------------------------------------------------------

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

export function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new RangeError('rational: denominator is zero');
  if (num === 0n) return { num: 0n, den: 1n };
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den);
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

const SIGNED_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "1.1252" → 2813/2500. Throws on anything but a plain decimal (validate feed data first). */
export function decimalToRational(text: string): Rational {
  const match = SIGNED_DECIMAL.exec(text);
  if (!match) throw new RangeError(`decimalToRational: "${text}" is not a plain decimal`);
  const [, sign = '', whole = '', fraction = ''] = match;
  const num = BigInt(whole + fraction);
  return rational(sign === '-' ? -num : num, pow10(fraction.length));
}

/**
 * num / den rounded to an integer, ties to even (banker's rounding). Ties go up as often as down,
 * so the rounding error does not drift one way when many converted amounts are summed in a
 * report; it is the usual choice in financial reporting (and IEEE 754's default).
 */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new RangeError('roundHalfEven: division by zero');
  const quotient = num / den; // truncates toward zero
  const remainder = abs(num % den);
  const twice = remainder * 2n;
  const divisor = abs(den);
  const away = num < 0n !== den < 0n ? -1n : 1n;
  if (twice > divisor || (twice === divisor && quotient % 2n !== 0n)) return quotient + away;
  return quotient;
}

/**
 * A plain decimal string (never an exponent) with at most `significantDigits` significant digits,
 * rounded half to even, trailing zeros dropped: 163.36/1.1252 at 10 digits → "145.1830786".
 */
export function rationalToDecimal(r: Rational, significantDigits: number): string {
  if (!Number.isInteger(significantDigits) || significantDigits < 1) {
    throw new RangeError(`rationalToDecimal: significantDigits must be a positive integer, got ${significantDigits}`);
  }
  if (r.num === 0n) return '0';
  const n = abs(r.num);
  const d = abs(r.den);
  // e = floor(log10(n / d)), from the digit counts, corrected by one comparison.
  let e = n.toString().length - d.toString().length;
  if (e >= 0 ? n < d * pow10(e) : n * pow10(-e) < d) e -= 1;
  const places = significantDigits - 1 - e;
  const digits =
    places >= 0 ? roundHalfEven(n * pow10(places), d) : roundHalfEven(n, d * pow10(-places)) * pow10(-places);
  const sign = r.num < 0n !== r.den < 0n ? '-' : '';
  if (places <= 0) return sign + digits.toString();
  const padded = digits.toString().padStart(places + 1, '0');
  const fraction = padded.slice(-places).replace(/0+$/, '');
  const whole = padded.slice(0, -places);
  return sign + whole + (fraction ? `.${fraction}` : '');
}

// ---------------------------------------------------------------------------------------------
// Validation shared by the parsers and the table
// ---------------------------------------------------------------------------------------------

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const POSITIVE_DECIMAL = /^\d+(?:\.\d+)?$/;

export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function isPositiveDecimal(text: string): boolean {
  return POSITIVE_DECIMAL.test(text) && /[1-9]/.test(text);
}

function previousDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

function snippet(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Why a currency code cannot carry a rate per EUR, or undefined when it can. */
function rateCurrencyProblem(code: string): string | undefined {
  if (!isCurrency(code)) return unknownCurrencyReason(code);
  if (code === 'EUR') return 'EUR is the base currency: its rate is 1 by definition and is not listed';
  return undefined;
}

function rateProblem(currency: string, rate: string): string | undefined {
  return isPositiveDecimal(rate) ? undefined : `${currency} rate "${snippet(rate)}" is not a positive decimal`;
}

// ---------------------------------------------------------------------------------------------
// ECB eurofxref-hist.csv
// ---------------------------------------------------------------------------------------------

function csvCells(line: string): string[] {
  const cells = line.split(',');
  if (cells.length > 1 && cells[cells.length - 1] === '') cells.pop(); // the ECB ends every line with a comma
  return cells;
}

/**
 * Parses the ECB's `eurofxref-hist.csv` (header `Date,USD,JPY,…,`, newest row first, `N/A`
 * where a currency had no rate). Days come back oldest first; N/A cells are left out.
 * All or nothing: a reference file with one broken line is not trusted (fetch it again).
 */
export function safeParseEcbHistoryCsv(text: string): FxParseResult {
  const fail = (reason: string): FxParseResult => ({ ok: false, reason: `ECB history CSV: ${reason}` });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = lines[0];
  if (header === undefined) return fail('the file is empty');
  if (!header.startsWith('Date,')) {
    return fail(`the first line must be the header "Date,USD,JPY,…", found "${snippet(header)}"`);
  }
  const currencies = csvCells(header).slice(1);
  const seen = new Set<string>();
  for (const [i, code] of currencies.entries()) {
    const problem = rateCurrencyProblem(code);
    if (problem) return fail(`header column ${i + 2}: ${problem}`);
    if (seen.has(code)) return fail(`header column ${i + 2}: ${code} appears twice`);
    seen.add(code);
  }

  const days: FxDay[] = [];
  const dates = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const cells = csvCells(lines[i] ?? '');
    const [date = ''] = cells;
    if (cells.length !== currencies.length + 1) {
      return fail(`line ${lineNo} has ${cells.length} cells, the header has ${currencies.length + 1}`);
    }
    if (!isIsoDate(date)) return fail(`line ${lineNo}: date "${snippet(date)}" is not a calendar date YYYY-MM-DD`);
    if (dates.has(date)) return fail(`line ${lineNo}: ${date} appears twice`);
    dates.add(date);
    const rates: Record<string, string> = {};
    for (const [c, currency] of currencies.entries()) {
      const cell = cells[c + 1] ?? '';
      if (cell === 'N/A') continue;
      const problem = rateProblem(currency, cell);
      if (problem) return fail(`line ${lineNo} (${date}): ${problem}`);
      rates[currency] = cell;
    }
    days.push({ date, rates });
  }
  days.sort((a, b) => (a.date < b.date ? -1 : 1));
  return { ok: true, days };
}

// ---------------------------------------------------------------------------------------------
// ECB eurofxref-daily.xml / eurofxref-hist-90d.xml
// ---------------------------------------------------------------------------------------------

const GESMES_NS = 'http://www.gesmes.org/xml/2002-08-01';
const EUROFXREF_NS = 'http://www.ecb.int/vocabulary/2002-08-01/eurofxref';

const NAME = '[A-Za-z_][\\w.:-]*';
const OPEN_TAG = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>$`);
const CLOSE_TAG = new RegExp(`^</(${NAME})\\s*>$`);
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
const PROLOG = /^<\?xml\s[^<>]*\?>$/;

type XmlLevel = 'envelope' | 'metadata' | 'cubes' | 'day';

function attributesOf(source: string): Map<string, string> | string {
  const attributes = new Map<string, string>();
  for (const match of source.matchAll(ATTRIBUTE)) {
    const [, name = '', double, single] = match;
    if (attributes.has(name)) return `attribute ${name} appears twice`;
    attributes.set(name, double ?? single ?? '');
  }
  return attributes;
}

function hasExactly(attributes: Map<string, string>, names: string[]): boolean {
  return attributes.size === names.length && names.every((name) => attributes.has(name));
}

/**
 * Parses the ECB XML feed: `<gesmes:Envelope>` with sender metadata and one `<Cube>` holding day
 * cubes `<Cube time="…">` of `<Cube currency="…" rate="…"/>`. Only that shape is accepted: an
 * HTML error page, a truncated body or a malformed rate is rejected with the reason, never
 * half-read. Days come back oldest first.
 */
export function safeParseEcbDailyXml(xml: string): FxParseResult {
  const fail = (reason: string): FxParseResult => ({ ok: false, reason: `ECB XML feed: ${reason}` });
  const body = xml.replace(/^\uFEFF/, '');
  const stack: { name: string; level: XmlLevel }[] = [];
  const days: FxDay[] = [];
  const dates = new Set<string>();
  let envelopeDone = false;
  let cubesSeen = false;
  let position = 0;
  let tagCount = 0;

  for (const match of body.matchAll(/<[^<>]*>/g)) {
    const tag = match[0];
    const text = body.slice(position, match.index);
    position = match.index + tag.length;
    const top = stack[stack.length - 1];
    if (/[<>]/.test(text)) return fail(`stray "<" or ">" near "${snippet(text)}"`);
    if (text.trim() !== '' && top?.level !== 'metadata') {
      return fail(
        `unexpected text "${snippet(text)}"${top ? ` inside <${top.name}>` : ' outside the <gesmes:Envelope> element'}`,
      );
    }

    const first = tagCount++ === 0;
    if (PROLOG.test(tag)) {
      if (!first) return fail('the <?xml …?> declaration must come first');
      continue;
    }
    const close = CLOSE_TAG.exec(tag);
    if (close) {
      if (!top || top.name !== close[1]) {
        return fail(`</${close[1]}> does not close ${top ? `<${top.name}>` : 'any open element'}`);
      }
      stack.pop();
      if (top.level === 'envelope') envelopeDone = true;
      continue;
    }
    const open = OPEN_TAG.exec(tag);
    if (!open) return fail(`malformed or unsupported markup ${snippet(tag, 100)}`);
    const [, name = '', attributeSource = '', selfClosing] = open;
    const attributes = attributesOf(attributeSource);
    if (typeof attributes === 'string') return fail(`<${name}>: ${attributes}`);
    const push = (level: XmlLevel) => {
      if (!selfClosing) stack.push({ name, level });
    };

    if (!top) {
      if (envelopeDone) return fail(`<${name}> after the end of the <gesmes:Envelope> element`);
      if (name !== 'gesmes:Envelope') return fail(`expected <gesmes:Envelope> as the root element, found <${name}>`);
      if (selfClosing) return fail('the <gesmes:Envelope> element is empty');
      push('envelope');
    } else if (top.level === 'envelope' || top.level === 'metadata') {
      if (name.startsWith('gesmes:')) {
        push('metadata');
      } else if (name === 'Cube' && top.level === 'envelope') {
        if (cubesSeen) return fail('more than one top-level <Cube> element');
        if (attributes.size > 0) return fail('the top-level <Cube> element takes no attributes');
        cubesSeen = true;
        push('cubes');
      } else {
        return fail(`unexpected <${name}> inside <${top.name}>`);
      }
    } else if (top.level === 'cubes') {
      const date = attributes.get('time');
      if (name !== 'Cube' || date === undefined || !hasExactly(attributes, ['time'])) {
        return fail(`expected a day <Cube time="YYYY-MM-DD">, found ${snippet(tag, 100)}`);
      }
      if (!isIsoDate(date)) return fail(`day cube time "${snippet(date)}" is not a calendar date YYYY-MM-DD`);
      if (dates.has(date)) return fail(`${date} appears twice`);
      dates.add(date);
      days.push({ date, rates: {} });
      push('day');
    } else {
      const day = days[days.length - 1];
      const currency = attributes.get('currency');
      const rate = attributes.get('rate');
      if (
        !day ||
        name !== 'Cube' ||
        currency === undefined ||
        rate === undefined ||
        !hasExactly(attributes, ['currency', 'rate']) ||
        !selfClosing
      ) {
        return fail(`expected <Cube currency="…" rate="…"/> inside the day cube, found ${snippet(tag, 100)}`);
      }
      const problem = rateCurrencyProblem(currency) ?? rateProblem(currency, rate);
      if (problem) return fail(`${day.date}: ${problem}`);
      if (Object.hasOwn(day.rates, currency)) return fail(`${day.date}: ${currency} appears twice`);
      day.rates[currency] = rate;
    }
  }

  const unclosed = stack[stack.length - 1];
  if (unclosed) return fail(`the document ends inside <${unclosed.name}> (truncated?)`);
  if (!envelopeDone) {
    const found = body.trim() === '' ? 'the body is empty' : `it begins "${snippet(body)}"`;
    return fail(`no <gesmes:Envelope> element, ${found} (is this the ECB feed?)`);
  }
  const tail = body.slice(position);
  if (tail.trim() !== '') return fail(`unexpected content at the end: "${snippet(tail)}"`);
  if (days.length === 0) return fail('the document holds no day of rates (<Cube time="…">)');
  days.sort((a, b) => (a.date < b.date ? -1 : 1));
  return { ok: true, days };
}

/** As `safeParseEcbHistoryCsv`, throwing an `EcbFeedError` with the reason. */
export function parseEcbHistoryCsv(text: string): FxDay[] {
  return daysOrThrow(safeParseEcbHistoryCsv(text));
}

/** As `safeParseEcbDailyXml`, throwing an `EcbFeedError` with the reason. */
export function parseEcbDailyXml(xml: string): FxDay[] {
  return daysOrThrow(safeParseEcbDailyXml(xml));
}

function daysOrThrow(result: FxParseResult): FxDay[] {
  if (!result.ok) throw new EcbFeedError(result.reason);
  return result.days;
}

/**
 * Writes days in the ECB XML feed's shape (newest day first, as the ECB does), e.g. for a local
 * emulator of the feed. Throws on invalid days: writing a feed we would reject is a bug.
 */
export function formatEcbDailyXml(days: readonly FxDay[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<gesmes:Envelope xmlns:gesmes="${GESMES_NS}" xmlns="${EUROFXREF_NS}">`,
    '\t<gesmes:subject>Reference rates</gesmes:subject>',
    '\t<gesmes:Sender>',
    '\t\t<gesmes:name>European Central Bank</gesmes:name>',
    '\t</gesmes:Sender>',
    '\t<Cube>',
  ];
  const newestFirst = [...days].sort((a, b) => (a.date < b.date ? 1 : -1));
  for (const day of newestFirst) {
    if (!isIsoDate(day.date)) throw new RangeError(`formatEcbDailyXml: date "${day.date}" is not YYYY-MM-DD`);
    lines.push(`\t\t<Cube time='${day.date}'>`);
    for (const [currency, rate] of Object.entries(day.rates)) {
      const problem = rateCurrencyProblem(currency) ?? rateProblem(currency, rate);
      if (problem) throw new RangeError(`formatEcbDailyXml: ${day.date}: ${problem}`);
      lines.push(`\t\t\t<Cube currency='${currency}' rate='${rate}'/>`);
    }
    lines.push('\t\t</Cube>');
  }
  lines.push('\t</Cube>', '</gesmes:Envelope>', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The rate table
// ---------------------------------------------------------------------------------------------

const ONE: Rational = { num: 1n, den: 1n };

/**
 * Euro reference rates by day, with cross rates through EUR and exact conversion.
 * A date without rates (weekend, TARGET holiday, today before 16:00 CET) takes the last earlier
 * day that has rates for both currencies, never a later one, and says so with `fallback`.
 */
export class FxTable {
  readonly maxFallbackDays: number;
  /** date → currency → units per 1 EUR, as published. */
  private readonly byDate = new Map<string, Map<string, string>>();
  /** currency → first and last day it has a rate, to explain a missing rate. */
  private readonly spans = new Map<string, { first: string; last: string }>();
  private firstDate: string | undefined;
  private lastDate: string | undefined;

  /** Throws on invalid days: parse feed data with the parsers above, which return reasons. */
  constructor(days: readonly FxDay[], options: FxTableOptions = {}) {
    const maxFallbackDays = options.maxFallbackDays ?? DEFAULT_MAX_FALLBACK_DAYS;
    if (!Number.isInteger(maxFallbackDays) || maxFallbackDays < 0) {
      throw new RangeError(`FxTable: maxFallbackDays must be a whole number of days, got ${maxFallbackDays}`);
    }
    this.maxFallbackDays = maxFallbackDays;
    for (const day of days) {
      if (!isIsoDate(day.date)) throw new RangeError(`FxTable: date "${day.date}" is not YYYY-MM-DD`);
      for (const [currency, rate] of Object.entries(day.rates)) {
        const problem =
          rateCurrencyProblem(currency) ?? rateProblem(currency, rate) ?? this.add(day.date, currency, rate);
        if (problem) throw new RangeError(`FxTable: ${day.date}: ${problem}`);
      }
      this.noteDate(day.date);
    }
  }

  /** The first and last day with rates, if any. */
  get span(): { first: string; last: string } | undefined {
    return this.firstDate && this.lastDate ? { first: this.firstDate, last: this.lastDate } : undefined;
  }

  /**
   * Merges in rates per EUR for a currency from another source (the ECB does not quote KWD, AED,
   * SAR …). They then behave like ECB rates. A rate that contradicts one already in the table is
   * rejected, not overwritten; the other items are kept.
   */
  supplement(currency: string, days: readonly { date: string; perEur: string }[]): SupplementResult {
    const currencyProblem = rateCurrencyProblem(currency);
    if (currencyProblem) throw new RangeError(`FxTable.supplement: ${currencyProblem}`);
    const result: SupplementResult = { accepted: 0, rejected: [] };
    for (const { date, perEur } of days) {
      const problem = !isIsoDate(date)
        ? `date "${snippet(date)}" is not a calendar date YYYY-MM-DD`
        : (rateProblem(currency, perEur) ?? this.add(date, currency, perEur));
      if (problem) {
        result.rejected.push({ date, perEur, reason: problem });
      } else {
        this.noteDate(date);
        result.accepted++;
      }
    }
    return result;
  }

  /** Units of `to` per 1 `from` on `date`, or on the last earlier day with rates for both. */
  rateOn(date: string, from: string, to: string): FxRateResult {
    if (!isIsoDate(date)) return { ok: false, reason: `date "${snippet(date)}" is not a calendar date YYYY-MM-DD` };
    for (const currency of [from, to]) {
      if (!isCurrency(currency)) return { ok: false, reason: unknownCurrencyReason(currency) };
    }
    if (from === to) return { ok: true, rate: ONE, rateDate: date, fallback: false, via: 'direct' };
    if (this.firstDate === undefined)
      return { ok: false, reason: 'the FX table holds no rates: load the ECB reference rates first' };
    for (const currency of [from, to]) {
      if (currency !== 'EUR' && !this.spans.has(currency)) {
        return {
          ok: false,
          reason: `no EUR rate for ${currency} at all: the ECB does not publish it; load its rates from another source (FxTable.supplement)`,
        };
      }
    }

    let day = date;
    for (let back = 0; back <= this.maxFallbackDays; back++, day = previousDay(day)) {
      const rates = this.byDate.get(day);
      const fromRate = from === 'EUR' ? '1' : rates?.get(from);
      const toRate = to === 'EUR' ? '1' : rates?.get(to);
      if (rates && fromRate !== undefined && toRate !== undefined) {
        const perTo = decimalToRational(toRate);
        const perFrom = decimalToRational(fromRate);
        return {
          ok: true,
          rate: rational(perTo.num * perFrom.den, perTo.den * perFrom.num),
          rateDate: day,
          fallback: back > 0,
          via: from === 'EUR' || to === 'EUR' ? 'direct' : 'EUR',
        };
      }
    }
    return { ok: false, reason: this.whyNoRate(date, from, to) };
  }

  /**
   * Converts minor units of `from` into minor units of `to` at the rate of `date`:
   * minor × 10^exp(to) × rate(to) / (rate(from) × 10^exp(from)), exact, rounded half to even.
   */
  convert(minor: bigint, from: string, to: string, date: string): FxConversionResult {
    const found = this.rateOn(date, from, to);
    if (!found.ok) return found;
    const { rate, rateDate, fallback, via } = found;
    const num = minor * pow10(minorUnits(to)) * rate.num;
    const den = pow10(minorUnits(from)) * rate.den;
    return { ok: true, minor: roundHalfEven(num, den), rate: rationalToDecimal(rate, 10), rateDate, fallback, via };
  }

  /** Stores one rate; returns why not when it contradicts the rate already held for that day. */
  private add(date: string, currency: string, rate: string): string | undefined {
    const rates = this.byDate.get(date) ?? new Map<string, string>();
    const existing = rates.get(currency);
    if (existing !== undefined) {
      const a = decimalToRational(existing);
      const b = decimalToRational(rate);
      if (a.num === b.num && a.den === b.den) return undefined;
      return `${currency} already has the rate ${existing} on ${date}; ${rate} was not applied`;
    }
    rates.set(currency, rate);
    this.byDate.set(date, rates);
    const span = this.spans.get(currency);
    if (!span) this.spans.set(currency, { first: date, last: date });
    else {
      if (date < span.first) span.first = date;
      if (date > span.last) span.last = date;
    }
    return undefined;
  }

  private noteDate(date: string): void {
    if (this.firstDate === undefined || date < this.firstDate) this.firstDate = date;
    if (this.lastDate === undefined || date > this.lastDate) this.lastDate = date;
  }

  private whyNoRate(date: string, from: string, to: string): string {
    const days = this.maxFallbackDays;
    const window = `within ${days} day${days === 1 ? '' : 's'} before ${date}`;
    const first = this.firstDate;
    const last = this.lastDate;
    if (first === undefined || last === undefined)
      return 'the FX table holds no rates: load the ECB reference rates first';
    if (date < first) return `no FX rates on or before ${date}: the rates start on ${first}`;

    const windowDates: string[] = [];
    for (let back = 0, day = date; back <= days; back++, day = previousDay(day)) windowDates.push(day);
    const rows = windowDates.map((day) => this.byDate.get(day)).filter((rates) => rates !== undefined);
    if (rows.length === 0) {
      return date > last
        ? `no FX rates ${window}: the latest loaded day is ${last}; load newer rates`
        : `no FX rates ${window}: the loaded rates have a gap there`;
    }
    for (const currency of [from, to]) {
      if (currency === 'EUR' || rows.some((rates) => rates.has(currency))) continue;
      const span = this.spans.get(currency);
      if (span && date < span.first) return `no EUR rate for ${currency} ${window}: its rates start on ${span.first}`;
      if (span && date > span.last) return `no EUR rate for ${currency} ${window}: the currency may be discontinued`;
      return `no EUR rate for ${currency} ${window}: the source has a gap there`;
    }
    return `no day ${window} has EUR rates for both ${from} and ${to}`;
  }
}
