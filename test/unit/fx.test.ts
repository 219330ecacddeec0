import { readFileSync } from 'node:fs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EcbFeedError,
  type FxDay,
  FxTable,
  decimalToRational,
  formatEcbDailyXml,
  parseEcbDailyXml,
  parseEcbHistoryCsv,
  rational,
  rationalToDecimal,
  roundHalfEven,
  safeParseEcbDailyXml,
  safeParseEcbHistoryCsv,
} from '../../domain/fx';
import { parseEcbHistoryZip, safeParseEcbHistoryZip } from '../../domain/fx-history';
import { formatMinor } from '../../domain/money';
import { readFxHistory, SHIPPED_FX_HISTORY } from '../../scripts/fx-import';

/** The ECB's eurofxref-daily.xml as served, single-quoted attributes and all (rates of 2025-05-09, abridged). */
const ECB_DAILY_XML = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
\t\t<Cube time='2025-05-09'>
\t\t\t<Cube currency='USD' rate='1.1252'/>
\t\t\t<Cube currency='JPY' rate='163.36'/>
\t\t\t<Cube currency='BGN' rate='1.9558'/>
\t\t\t<Cube currency='HUF' rate='404.9'/>
\t\t\t<Cube currency='IDR' rate='18606.59'/>
\t\t</Cube>
\t</Cube>
</gesmes:Envelope>
`;

let history: FxDay[];
let table: FxTable;

beforeAll(() => {
  history = readFxHistory();
  table = new FxTable(history);
});

describe('rational arithmetic', () => {
  it('normalises fractions and reads decimals exactly', () => {
    expect(rational(10n, -4n)).toEqual({ num: -5n, den: 2n });
    expect(rational(0n, 7n)).toEqual({ num: 0n, den: 1n });
    expect(decimalToRational('1.1252')).toEqual({ num: 2813n, den: 2500n });
    expect(decimalToRational('163.36')).toEqual({ num: 4084n, den: 25n });
    expect(decimalToRational('1.1252000000')).toEqual({ num: 2813n, den: 2500n });
    expect(() => rational(1n, 0n)).toThrow(/denominator is zero/);
    expect(() => decimalToRational('1e3')).toThrow(/not a plain decimal/);
  });

  it('rounds ties to the even neighbour, in both signs', () => {
    expect([1n, 3n, 5n, 7n, -1n, -3n, -5n, -7n].map((n) => roundHalfEven(n, 2n))).toEqual([
      0n,
      2n,
      2n,
      4n,
      0n,
      -2n,
      -2n,
      -4n,
    ]);
    // Not a tie: ordinary rounding to nearest.
    expect(roundHalfEven(251n, 100n)).toBe(3n);
    expect(roundHalfEven(249n, 100n)).toBe(2n);
    expect(roundHalfEven(-251n, 100n)).toBe(-3n);
    expect(roundHalfEven(7n, -2n)).toBe(-4n);
  });

  it('writes decimals with a number of significant digits, half to even, never in exponent form', () => {
    expect(rationalToDecimal(rational(1n, 3n), 10)).toBe('0.3333333333');
    expect(rationalToDecimal(rational(2n, 3n), 10)).toBe('0.6666666667');
    expect(rationalToDecimal(rational(1n, 8n), 2)).toBe('0.12');
    expect(rationalToDecimal(rational(3n, 8n), 2)).toBe('0.38');
    expect(rationalToDecimal(rational(-1n, 8n), 2)).toBe('-0.12');
    expect(rationalToDecimal(rational(1n, 1n), 10)).toBe('1');
    expect(rationalToDecimal(rational(0n, 1n), 10)).toBe('0');
    expect(rationalToDecimal(rational(12345678901234n, 1n), 10)).toBe('12345678900000');
    expect(rationalToDecimal(rational(999999999999n, 100000000000n), 10)).toBe('10');
    expect(rationalToDecimal(rational(1n, 10000000000n), 3)).toBe('0.0000000001');
    expect(rationalToDecimal(rational(100n, 1n), 1)).toBe('100');
    expect(() => rationalToDecimal(rational(1n, 3n), 0)).toThrow(/positive integer/);
  });
});

describe('parseEcbHistoryCsv on the real ECB history', () => {
  it('parses every day from 1999-01-04 to 2025-05-09, oldest first, quickly', () => {
    const text = strFromU8(unzipSync(readFileSync(SHIPPED_FX_HISTORY))['eurofxref-hist.csv']!);
    const started = performance.now();
    const parsed = safeParseEcbHistoryCsv(text);
    const elapsed = performance.now() - started;
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.days).toHaveLength(6747);
    expect(parsed.days[0]?.date).toBe('1999-01-04');
    expect(parsed.days.at(-1)?.date).toBe('2025-05-09');
    expect(elapsed).toBeLessThan(2000);
  });

  it('keeps rates as published and leaves N/A out', () => {
    const first = history[0];
    const last = history.at(-1);
    expect(first?.rates).toMatchObject({ USD: '1.1789', JPY: '133.73', CYP: '0.58231', TRL: '372274', ROL: '13111' });
    expect(first?.rates).not.toHaveProperty('BGN');
    expect(last?.rates).toMatchObject({ USD: '1.1252', JPY: '163.36', BRL: '6.3647', THB: '37.132', HUF: '404.9' });
    expect(last?.rates).not.toHaveProperty('CYP');
    expect(last?.rates).not.toHaveProperty('RUB');
    expect(Object.keys(last?.rates ?? {})).toHaveLength(30);
  });

  it('has no weekend rows', () => {
    const weekend = history.filter((day) => [0, 6].includes(new Date(`${day.date}T00:00:00Z`).getUTCDay()));
    expect(weekend).toEqual([]);
  });
});

describe('the shipped history, as the ECB publishes it (eurofxref-hist.zip)', () => {
  it('is a zip of the one CSV, read whole', () => {
    expect(Object.keys(unzipSync(readFileSync(SHIPPED_FX_HISTORY)))).toEqual(['eurofxref-hist.csv']);
    expect(history).toHaveLength(6747);
    expect(parseEcbHistoryZip(zipSync({ 'eurofxref-hist.csv': strToU8('Date,USD,\n2025-05-09,1.1252,\n') }))).toEqual([
      { date: '2025-05-09', rates: { USD: '1.1252' } },
    ]);
  });

  it('rejects a file that is not a zip, a zip without its one CSV, and a broken CSV inside', () => {
    const reason = (zip: Uint8Array) => {
      const result = safeParseEcbHistoryZip(zip);
      return result.ok ? 'ok' : result.reason;
    };
    expect(reason(strToU8('<html>maintenance</html>'))).toMatch(
      /^ECB history zip: not a readable zip file .*download https:\/\/www\.ecb\.europa\.eu/,
    );
    expect(reason(zipSync({ 'readme.txt': strToU8('hi') }))).toBe(
      'ECB history zip: expected one CSV file (eurofxref-hist.csv), found readme.txt',
    );
    expect(reason(zipSync({ 'a.csv': strToU8('Date,USD,'), 'b.csv': strToU8('Date,USD,') }))).toMatch(
      /found a\.csv, b\.csv/,
    );
    expect(reason(zipSync({}))).toMatch(/found nothing/);
    expect(reason(zipSync({ 'eurofxref-hist.csv': strToU8('Date,USD,\n2025-05-09,x,\n') }))).toMatch(
      /^ECB history CSV: line 2 \(2025-05-09\): USD rate "x"/,
    );
    expect(() => parseEcbHistoryZip(strToU8('nope'))).toThrow(EcbFeedError);
  });
});

describe('parseEcbHistoryCsv on broken files', () => {
  const header = 'Date,USD,JPY,';
  it.each(
    (
      [
        ['', 'ECB history CSV: the file is empty'],
        [
          '<html>Service Unavailable</html>',
          'ECB history CSV: the first line must be the header "Date,USD,JPY,…", found "<html>Service Unavailable</html>"',
        ],
        ['Date,USD,XYZ,\n2025-05-09,1.1,2,', 'ECB history CSV: header column 3: XYZ is not an ISO 4217 currency code'],
        [
          'Date,USD,EUR,\n2025-05-09,1.1,1,',
          'ECB history CSV: header column 3: EUR is the base currency: its rate is 1 by definition and is not listed',
        ],
        [`${header}\n2025-05-09,1.1252,`, 'ECB history CSV: line 2 has 2 cells, the header has 3'],
        [`${header}\n2025-05-09,1.1252,163.36,9,`, 'ECB history CSV: line 2 has 4 cells, the header has 3'],
        [
          `${header}\n09/05/2025,1.1252,163.36,`,
          'ECB history CSV: line 2: date "09/05/2025" is not a calendar date YYYY-MM-DD',
        ],
        [
          `${header}\n2025-02-30,1.1252,163.36,`,
          'ECB history CSV: line 2: date "2025-02-30" is not a calendar date YYYY-MM-DD',
        ],
        [
          `${header}\n2025-05-09,1.1252,163.36,\n2025-05-09,1.1252,163.36,`,
          'ECB history CSV: line 3: 2025-05-09 appears twice',
        ],
        [
          `${header}\n2025-05-09,1.1252,-163.36,`,
          'ECB history CSV: line 2 (2025-05-09): JPY rate "-163.36" is not a positive decimal',
        ],
        [
          `${header}\n2025-05-09,0,163.36,`,
          'ECB history CSV: line 2 (2025-05-09): USD rate "0" is not a positive decimal',
        ],
        [
          `${header}\n2025-05-09,,163.36,`,
          'ECB history CSV: line 2 (2025-05-09): USD rate "" is not a positive decimal',
        ],
        [
          `${header}\n2025-05-09,1.1252,163.36,\n\n2025-05-08,1.1297,163.45,`,
          'ECB history CSV: line 3 has 1 cells, the header has 3',
        ],
      ] as const
    ).map(([text, reason]) => ({ text, reason })),
  )('rejects: $reason', ({ text, reason }) => {
    expect(safeParseEcbHistoryCsv(text)).toEqual({ ok: false, reason });
  });

  it('accepts CRLF line endings, a BOM, and lines without the trailing comma', () => {
    const parsed = safeParseEcbHistoryCsv(
      '\uFEFFDate,USD,JPY\r\n2025-05-09,1.1252,N/A\r\n2025-05-08,1.1297,163.45\r\n',
    );
    expect(parsed).toEqual({
      ok: true,
      days: [
        { date: '2025-05-08', rates: { USD: '1.1297', JPY: '163.45' } },
        { date: '2025-05-09', rates: { USD: '1.1252' } },
      ],
    });
  });
});

describe('ECB XML feed', () => {
  it('parses the daily feed as the ECB serves it', () => {
    expect(safeParseEcbDailyXml(ECB_DAILY_XML)).toEqual({
      ok: true,
      days: [
        { date: '2025-05-09', rates: { USD: '1.1252', JPY: '163.36', BGN: '1.9558', HUF: '404.9', IDR: '18606.59' } },
      ],
    });
  });

  it('round-trips the last 62 business days of the history (the span of the 90-day feed): parse → format → parse', () => {
    const recent = history.slice(-62);
    const xml = formatEcbDailyXml(recent);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<gesmes:Envelope ')).toBe(true);
    expect(xml.indexOf("<Cube time='2025-05-09'>")).toBeLessThan(xml.indexOf("<Cube time='2025-05-08'>")); // newest first, as the ECB
    const parsed = safeParseEcbDailyXml(xml);
    expect(parsed).toEqual({ ok: true, days: recent });
    if (parsed.ok) expect(formatEcbDailyXml(parsed.days)).toBe(xml);
    // And the formatted feed converts like the CSV it came from.
    const fromXml = new FxTable(parsed.ok ? parsed.days : []);
    expect(fromXml.convert(10000n, 'JPY', 'EUR', '2025-05-09')).toEqual(
      table.convert(10000n, 'JPY', 'EUR', '2025-05-09'),
    );
  });

  it('reads the whole history as XML (eurofxref-hist.xml) quickly', () => {
    const xml = formatEcbDailyXml(history);
    const started = performance.now();
    const parsed = safeParseEcbDailyXml(xml);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(parsed.ok && parsed.days).toEqual(history);
  });

  it('accepts several day cubes and double-quoted attributes', () => {
    const xml = `<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>
      <Cube time="2025-05-09"><Cube currency="USD" rate="1.1252"/></Cube>
      <Cube time="2025-05-08"><Cube currency="USD" rate="1.1297" /></Cube>
    </Cube></gesmes:Envelope>`;
    expect(safeParseEcbDailyXml(xml)).toEqual({
      ok: true,
      days: [
        { date: '2025-05-08', rates: { USD: '1.1297' } },
        { date: '2025-05-09', rates: { USD: '1.1252' } },
      ],
    });
  });

  const wrap = (cubes: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>${cubes}</Cube></gesmes:Envelope>`;
  it.each(
    (
      [
        ['', 'no <gesmes:Envelope> element, the body is empty (is this the ECB feed?)'],
        [
          'Service Unavailable',
          'no <gesmes:Envelope> element, it begins "Service Unavailable" (is this the ECB feed?)',
        ],
        [
          '{"rates":{"USD":1.1252}}',
          'no <gesmes:Envelope> element, it begins "{"rates":{"USD":1.1252}}" (is this the ECB feed?)',
        ],
        [`${ECB_DAILY_XML}trailing`, 'unexpected content at the end: "trailing"'],
        ['<html><body>Bad gateway</body></html>', 'expected <gesmes:Envelope> as the root element, found <html>'],
        [ECB_DAILY_XML.slice(0, 400), 'the document ends inside <Cube> (truncated?)'],
        [`${ECB_DAILY_XML}<extra/>`, '<extra> after the end of the <gesmes:Envelope> element'],
        [wrap(''), 'the document holds no day of rates (<Cube time="…">)'],
        [
          wrap("<Cube time='2025-5-9'><Cube currency='USD' rate='1.1'/></Cube>"),
          'day cube time "2025-5-9" is not a calendar date YYYY-MM-DD',
        ],
        [wrap("<Cube time='2025-02-29'></Cube>"), 'day cube time "2025-02-29" is not a calendar date YYYY-MM-DD'],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='-1.1'/></Cube>"),
          '2025-05-09: USD rate "-1.1" is not a positive decimal',
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='1,1252'/></Cube>"),
          '2025-05-09: USD rate "1,1252" is not a positive decimal',
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='0.0000'/></Cube>"),
          '2025-05-09: USD rate "0.0000" is not a positive decimal',
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='N/A'/></Cube>"),
          '2025-05-09: USD rate "N/A" is not a positive decimal',
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='XYZ' rate='1'/></Cube>"),
          '2025-05-09: XYZ is not an ISO 4217 currency code',
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='1.1'/><Cube currency='USD' rate='1.2'/></Cube>"),
          '2025-05-09: USD appears twice',
        ],
        [wrap("<Cube time='2025-05-09'></Cube><Cube time='2025-05-09'></Cube>"), '2025-05-09 appears twice'],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='1.1'></Cube></Cube>"),
          `expected <Cube currency="…" rate="…"/> inside the day cube, found <Cube currency='USD' rate='1.1'>`,
        ],
        [
          wrap("<Cube time='2025-05-09'><Cube currency='USD' rate='1.1' extra='1'/></Cube>"),
          `expected <Cube currency="…" rate="…"/> inside the day cube, found <Cube currency='USD' rate='1.1' extra='1'/>`,
        ],
        [
          wrap("<Cube date='2025-05-09'></Cube>"),
          `expected a day <Cube time="YYYY-MM-DD">, found <Cube date='2025-05-09'>`,
        ],
        [wrap("<Cube time='2025-05-09'>1.1252</Cube>"), 'unexpected text "1.1252" inside <Cube>'],
        [
          wrap("<Cube time='2025-05-09'><Rate currency='USD' rate='1.1'/></Cube>"),
          `expected <Cube currency="…" rate="…"/> inside the day cube, found <Rate currency='USD' rate='1.1'/>`,
        ],
        [wrap("<Cube time='2025-05-09'></Cube></Cube><Cube>"), 'more than one top-level <Cube> element'],
        [wrap("<Cube time='2025-05-09'><!-- note --></Cube>"), 'malformed or unsupported markup <!-- note -->'],
        [wrap("<Cube time='2025-05-09' time='2025-05-08'></Cube>"), '<Cube>: attribute time appears twice'],
        ['<gesmes:Envelope><Cube></gesmes:Envelope>', '</gesmes:Envelope> does not close <Cube>'],
        [
          '<gesmes:Envelope><Cube time="x"></Cube></gesmes:Envelope>',
          'the top-level <Cube> element takes no attributes',
        ],
        ['<gesmes:Envelope><Cube</Cube></gesmes:Envelope>', 'stray "<" or ">" near "<Cube"'],
        [`<root/>${ECB_DAILY_XML}`, 'expected <gesmes:Envelope> as the root element, found <root>'],
        [
          '<gesmes:Envelope><?xml version="1.0"?><Cube></Cube></gesmes:Envelope>',
          'the <?xml …?> declaration must come first',
        ],
      ] as const
    ).map(([xml, reason]) => ({ xml, reason })),
  )('rejects: $reason', ({ xml, reason }) => {
    expect(safeParseEcbDailyXml(xml)).toEqual({ ok: false, reason: `ECB XML feed: ${reason}` });
  });

  it('parseEcb… return the days or throw an EcbFeedError with the same reason', () => {
    expect(parseEcbDailyXml(ECB_DAILY_XML).map((day) => day.date)).toEqual(['2025-05-09']);
    expect(() => parseEcbDailyXml('<html><body>The site is under maintenance</body></html>')).toThrow(EcbFeedError);
    expect(() => parseEcbDailyXml('<html><body>The site is under maintenance</body></html>')).toThrow(
      'ECB XML feed: expected <gesmes:Envelope> as the root element, found <html>',
    );
    expect(() => parseEcbHistoryCsv('Date,USD,\n2025-05-09,x,')).toThrow(
      new EcbFeedError('ECB history CSV: line 2 (2025-05-09): USD rate "x" is not a positive decimal'),
    );
  });

  it('refuses to write a feed it would reject', () => {
    expect(() => formatEcbDailyXml([{ date: '2025-05-09', rates: { USD: 'abc' } }])).toThrow(
      'USD rate "abc" is not a positive decimal',
    );
    expect(() => formatEcbDailyXml([{ date: '9 May 2025', rates: {} }])).toThrow(/is not YYYY-MM-DD/);
  });
});

describe('FxTable.rateOn', () => {
  it('gives ECB rates per EUR and cross rates through EUR', () => {
    expect(table.rateOn('2025-05-09', 'EUR', 'USD')).toEqual({
      ok: true,
      rate: { num: 2813n, den: 2500n }, // 1.1252
      rateDate: '2025-05-09',
      fallback: false,
      via: 'direct',
    });
    // USD → JPY = 163.36 / 1.1252 = 16336 / 112.52 = 408400 / 2813 ≈ 145.1830786 yen per dollar.
    expect(table.rateOn('2025-05-09', 'USD', 'JPY')).toEqual({
      ok: true,
      rate: { num: 408400n, den: 2813n },
      rateDate: '2025-05-09',
      fallback: false,
      via: 'EUR',
    });
  });

  it('same currency is 1, without fallback, even on a weekend', () => {
    expect(table.rateOn('2025-05-10', 'USD', 'USD')).toEqual({
      ok: true,
      rate: { num: 1n, den: 1n },
      rateDate: '2025-05-10',
      fallback: false,
      via: 'direct',
    });
  });

  it('falls back to the last earlier business day, and says so', () => {
    for (const saturdayOrLater of ['2025-05-10', '2025-05-11', '2025-05-12', '2025-05-16']) {
      expect(table.rateOn(saturdayOrLater, 'EUR', 'USD'), saturdayOrLater).toMatchObject({
        ok: true,
        rateDate: '2025-05-09',
        fallback: true,
      });
    }
    // TARGET holidays: Good Friday and Easter Monday 2025, Labour Day, Christmas.
    expect(table.rateOn('2025-04-18', 'EUR', 'JPY')).toMatchObject({
      ok: true,
      rateDate: '2025-04-17',
      fallback: true,
    });
    expect(table.rateOn('2025-04-21', 'EUR', 'JPY')).toMatchObject({
      ok: true,
      rateDate: '2025-04-17',
      fallback: true,
    });
    expect(table.rateOn('2025-05-01', 'EUR', 'JPY')).toMatchObject({
      ok: true,
      rateDate: '2025-04-30',
      fallback: true,
    });
    expect(table.rateOn('2024-12-26', 'USD', 'GBP')).toMatchObject({
      ok: true,
      rateDate: '2024-12-24',
      fallback: true,
    });
    expect(table.rateOn('2025-05-08', 'EUR', 'USD')).toMatchObject({
      ok: true,
      rateDate: '2025-05-08',
      fallback: false,
    });
  });

  it('never uses a later date, and fails before the first day', () => {
    expect(table.rateOn('1999-01-03', 'EUR', 'USD')).toEqual({
      ok: false,
      reason: 'no FX rates on or before 1999-01-03: the rates start on 1999-01-04',
    });
    expect(table.rateOn('1998-12-31', 'USD', 'JPY')).toEqual({
      ok: false,
      reason: 'no FX rates on or before 1998-12-31: the rates start on 1999-01-04',
    });
  });

  it('fails when the loaded rates are too old, rather than using a stale rate', () => {
    expect(table.rateOn('2025-05-17', 'EUR', 'USD')).toEqual({
      ok: false,
      reason: 'no FX rates within 7 days before 2025-05-17: the latest loaded day is 2025-05-09; load newer rates',
    });
  });

  it('treats N/A as missing: a discontinued currency fails with the reason', () => {
    expect(table.rateOn('2025-05-09', 'CYP', 'EUR')).toEqual({
      ok: false,
      reason: 'no EUR rate for CYP within 7 days before 2025-05-09: the currency may be discontinued',
    });
    expect(table.rateOn('2025-05-09', 'USD', 'RUB')).toEqual({
      ok: false,
      reason: 'no EUR rate for RUB within 7 days before 2025-05-09: the currency may be discontinued',
    });
    // Cyprus's last ECB rate was 2007-12-31; a week later still falls back to it, then stops.
    expect(table.rateOn('2008-01-07', 'EUR', 'CYP')).toMatchObject({
      ok: true,
      rateDate: '2007-12-31',
      fallback: true,
      rate: { num: 292637n, den: 500000n },
    });
    expect(table.rateOn('2008-01-08', 'EUR', 'CYP')).toMatchObject({ ok: false });
    expect(table.rateOn('2000-01-03', 'BGN', 'EUR')).toEqual({
      ok: false,
      reason: 'no EUR rate for BGN within 7 days before 2000-01-03: its rates start on 2000-07-19',
    });
    // The ECB did not quote ISK from December 2008 to January 2018.
    expect(table.rateOn('2010-06-01', 'ISK', 'EUR')).toEqual({
      ok: false,
      reason: 'no EUR rate for ISK within 7 days before 2010-06-01: the source has a gap there',
    });
  });

  it('honours a configured fallback window', () => {
    const strict = new FxTable(history, { maxFallbackDays: 1 });
    expect(strict.rateOn('2025-05-10', 'EUR', 'USD')).toMatchObject({ ok: true, rateDate: '2025-05-09' });
    expect(strict.rateOn('2025-05-11', 'EUR', 'USD')).toEqual({
      ok: false,
      reason: 'no FX rates within 1 day before 2025-05-11: the latest loaded day is 2025-05-09; load newer rates',
    });
    const none = new FxTable(history, { maxFallbackDays: 0 });
    expect(none.rateOn('2025-05-10', 'EUR', 'USD').ok).toBe(false);
    expect(() => new FxTable(history, { maxFallbackDays: -1 })).toThrow(/maxFallbackDays/);
  });

  it('names unknown and unpublished currencies and bad dates', () => {
    expect(table.rateOn('2025-05-09', 'XYZ', 'EUR')).toEqual({
      ok: false,
      reason: 'XYZ is not an ISO 4217 currency code',
    });
    expect(table.rateOn('2025-05-09', 'EUR', 'usd')).toEqual({
      ok: false,
      reason: 'usd is not an ISO 4217 currency code (codes are upper case: USD)',
    });
    expect(table.rateOn('2025-05-09', 'KWD', 'EUR')).toEqual({
      ok: false,
      reason:
        'no EUR rate for KWD at all: the ECB does not publish it; load its rates from another source (FxTable.supplement)',
    });
    expect(table.rateOn('2025-13-01', 'EUR', 'USD')).toEqual({
      ok: false,
      reason: 'date "2025-13-01" is not a calendar date YYYY-MM-DD',
    });
    expect(table.rateOn('09.05.2025', 'EUR', 'USD').ok).toBe(false);
    expect(new FxTable([]).rateOn('2025-05-09', 'EUR', 'USD')).toEqual({
      ok: false,
      reason: 'the FX table holds no rates: load the ECB reference rates first',
    });
  });
});

describe('FxTable.convert', () => {
  it('converts JPY to EUR exactly: 10000 / 163.36 = 61.2145… → 61.21', () => {
    expect(table.convert(10000n, 'JPY', 'EUR', '2025-05-09')).toEqual({
      ok: true,
      minor: 6121n,
      rate: '0.006121449559',
      rateDate: '2025-05-09',
      fallback: false,
      via: 'direct',
    });
  });

  it('converts across two currencies through EUR', () => {
    // 100.00 USD × 163.36 / 1.1252 = 14518.307… yen.
    expect(table.convert(10000n, 'USD', 'JPY', '2025-05-09')).toMatchObject({
      ok: true,
      minor: 14518n,
      rate: '145.1830786',
      via: 'EUR',
    });
    // 100.00 EUR = 636.47 BRL; 100.00 BRL × 37.132 / 6.3647 = 583.405… → 583.41 THB; 1000.00 THB → 171.40975… → 171.41 BRL.
    expect(table.convert(10000n, 'EUR', 'BRL', '2025-05-09')).toMatchObject({
      ok: true,
      minor: 63647n,
      rate: '6.3647',
    });
    expect(table.convert(10000n, 'BRL', 'THB', '2025-05-09')).toMatchObject({
      ok: true,
      minor: 58341n,
      rate: '5.834053451',
    });
    expect(table.convert(100000n, 'THB', 'BRL', '2025-05-09')).toMatchObject({ ok: true, minor: 17141n });
    // Negative amounts (refunds) convert symmetrically.
    expect(table.convert(-10000n, 'JPY', 'EUR', '2025-05-09')).toMatchObject({ ok: true, minor: -6121n });
    expect(table.convert(0n, 'JPY', 'EUR', '2025-05-09')).toMatchObject({ ok: true, minor: 0n });
  });

  it('uses the fallback day on a weekend and passes the flag on', () => {
    expect(table.convert(10000n, 'JPY', 'EUR', '2025-05-10')).toMatchObject({
      ok: true,
      minor: 6121n,
      rateDate: '2025-05-09',
      fallback: true,
    });
  });

  it('rounds exact halves to even (banker’s rounding)', () => {
    // 2025-05-09: 1 EUR = 404.9 HUF. 0.05 EUR = 20.245 HUF, exactly half a fillér → 20.24 (even),
    // 0.15 EUR = 60.735 → 60.74 (even), 0.25 EUR = 101.225 → 101.22 (even).
    expect(table.convert(5n, 'EUR', 'HUF', '2025-05-09')).toMatchObject({ ok: true, minor: 2024n });
    expect(table.convert(15n, 'EUR', 'HUF', '2025-05-09')).toMatchObject({ ok: true, minor: 6074n });
    expect(table.convert(25n, 'EUR', 'HUF', '2025-05-09')).toMatchObject({ ok: true, minor: 10122n });
    expect(table.convert(-5n, 'EUR', 'HUF', '2025-05-09')).toMatchObject({ ok: true, minor: -2024n });
    expect(table.convert(-15n, 'EUR', 'HUF', '2025-05-09')).toMatchObject({ ok: true, minor: -6074n });
    // A synthetic rate of 2: 1 cent ↔ 0.5, 3 cents ↔ 1.5.
    const two = new FxTable([{ date: '2025-05-09', rates: { USD: '2' } }]);
    expect(
      [1n, 3n, 5n, -1n, -3n]
        .map((minor) => two.convert(minor, 'USD', 'EUR', '2025-05-09'))
        .map((r) => (r.ok ? r.minor : r.reason)),
    ).toEqual([0n, 2n, 2n, 0n, -2n]);
  });

  it('keeps historical currencies convertible on their dates', () => {
    // The leu was redenominated on 2005-07-01: ROL's last rate is 2005-06-30, RON's first 2005-07-01.
    // 1,000,000.00 ROL / 36030 per EUR = 27.7546… EUR → 27.75.
    expect(table.convert(100000000n, 'ROL', 'EUR', '2005-06-30')).toMatchObject({
      ok: true,
      minor: 2775n,
      rate: '0.0000277546489',
    });
    expect(table.convert(1000n, 'ROL', 'RON', '2005-07-01')).toEqual({
      ok: false,
      reason: 'no day within 7 days before 2005-07-01 has EUR rates for both ROL and RON',
    });
    // 1000 TRL (no minor units) on 1999-01-04 at 372274 per EUR = 0.0026862… EUR → 0.00.
    expect(table.convert(1000n, 'TRL', 'EUR', '1999-01-04')).toMatchObject({ ok: true, minor: 0n });
    expect(table.convert(1000000n, 'TRL', 'EUR', '1999-01-04')).toMatchObject({ ok: true, minor: 269n });
  });

  it('passes failures through', () => {
    expect(table.convert(100n, 'CYP', 'EUR', '2025-05-09')).toEqual({
      ok: false,
      reason: 'no EUR rate for CYP within 7 days before 2025-05-09: the currency may be discontinued',
    });
  });
});

describe('FxTable.supplement', () => {
  const withKwd = () => {
    const t = new FxTable(history);
    const result = t.supplement('KWD', [
      { date: '2025-05-08', perEur: '0.3468' },
      { date: '2025-05-09', perEur: '0.3453' },
    ]);
    expect(result).toEqual({ accepted: 2, rejected: [] });
    return t;
  };

  it('adds a currency the ECB does not publish; it converts like an ECB one (KWD has 3 decimals)', () => {
    const t = withKwd();
    // 1.000 KWD = 1000n minor. 1 / 0.3453 = 2.89603… EUR → 2.90.
    expect(t.convert(1000n, 'KWD', 'EUR', '2025-05-09')).toMatchObject({ ok: true, minor: 290n, via: 'direct' });
    // 1 KWD → USD = 1.1252 / 0.3453 = 3.258615… → 3.26.
    expect(t.convert(1000n, 'KWD', 'USD', '2025-05-09')).toMatchObject({
      ok: true,
      minor: 326n,
      rate: '3.258615696',
      via: 'EUR',
    });
    // 100.00 EUR = 34.530 KWD.
    const kwd = t.convert(10000n, 'EUR', 'KWD', '2025-05-09');
    expect(kwd).toMatchObject({ ok: true, minor: 34530n });
    if (kwd.ok) expect(formatMinor(kwd.minor, 'KWD')).toBe('34.530');
    expect(t.convert(1000n, 'KWD', 'EUR', '2025-05-10')).toMatchObject({
      ok: true,
      rateDate: '2025-05-09',
      fallback: true,
    });
    expect(t.convert(1000n, 'KWD', 'EUR', '2025-05-07')).toEqual({
      ok: false,
      reason: 'no EUR rate for KWD within 7 days before 2025-05-07: its rates start on 2025-05-08',
    });
  });

  it('a supplementary rate on a day without ECB rates serves that day', () => {
    const t = withKwd();
    t.supplement('KWD', [{ date: '2025-05-11', perEur: '0.3450' }]); // Sunday: a Kuwaiti business day
    expect(t.rateOn('2025-05-11', 'EUR', 'KWD')).toMatchObject({ ok: true, rateDate: '2025-05-11', fallback: false });
    // USD still has no Sunday rate: both must be present on the day used.
    expect(t.rateOn('2025-05-11', 'USD', 'KWD')).toMatchObject({ ok: true, rateDate: '2025-05-09', fallback: true });
  });

  it('keeps the good items and names the bad ones; it never overwrites a rate', () => {
    const t = new FxTable(history);
    const result = t.supplement('AED', [
      { date: '2025-05-09', perEur: '4.1326' },
      { date: '2025-05-32', perEur: '4.1' },
      { date: '2025-05-08', perEur: '-4.1' },
      { date: '2025-05-09', perEur: '4.13260' }, // the same rate again: fine
      { date: '2025-05-09', perEur: '4.2' },
    ]);
    expect(result).toEqual({
      accepted: 2,
      rejected: [
        { date: '2025-05-32', perEur: '4.1', reason: 'date "2025-05-32" is not a calendar date YYYY-MM-DD' },
        { date: '2025-05-08', perEur: '-4.1', reason: 'AED rate "-4.1" is not a positive decimal' },
        {
          date: '2025-05-09',
          perEur: '4.2',
          reason: 'AED already has the rate 4.1326 on 2025-05-09; 4.2 was not applied',
        },
      ],
    });
    expect(t.rateOn('2025-05-09', 'EUR', 'AED')).toMatchObject({ ok: true, rate: { num: 20663n, den: 5000n } });
    expect(t.supplement('USD', [{ date: '2025-05-09', perEur: '1.5' }]).rejected[0]?.reason).toBe(
      'USD already has the rate 1.1252 on 2025-05-09; 1.5 was not applied',
    );
    expect(() => t.supplement('XYZ', [])).toThrow('XYZ is not an ISO 4217 currency code');
    expect(() => t.supplement('EUR', [])).toThrow(/EUR is the base currency/);
  });
});

describe('FxTable construction', () => {
  it('accepts days in any order and refuses invalid ones', () => {
    const shuffled = new FxTable([...history.slice(-5)].reverse());
    expect(shuffled.span).toEqual({ first: '2025-05-05', last: '2025-05-09' });
    expect(shuffled.rateOn('2025-05-10', 'EUR', 'USD')).toMatchObject({ rateDate: '2025-05-09' });
    expect(() => new FxTable([{ date: '2025-05-09', rates: { USD: 'x' } }])).toThrow(
      'FxTable: 2025-05-09: USD rate "x" is not a positive decimal',
    );
    expect(() => new FxTable([{ date: 'today', rates: {} }])).toThrow(/not YYYY-MM-DD/);
    expect(
      () =>
        new FxTable([
          { date: '2025-05-09', rates: { USD: '1.1' } },
          { date: '2025-05-09', rates: { USD: '1.2' } },
        ]),
    ).toThrow('USD already has the rate 1.1 on 2025-05-09; 1.2 was not applied');
  });
});
