import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectorRequestError } from '../../connectors/errors';
import { FileImportSettings, fileImportConnector } from '../../connectors/file-import';
import { parseCsvRecords, RecordReader, type ReaderOptions } from '../../connectors/file-import/client';
import type { Cursor, StreamName, SyncPage } from '../../connectors/framework';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../../domain/commerce';

/**
 * The file import connector against files written here, in a temp folder: CSV and JSONL in UTF-8
 * (with and without BOM), Shift_JIS and GBK, well-formed and broken, small and 30 MB.
 */

const dir = mkdtempSync(join(tmpdir(), 'meridian-file-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(content: string | Buffer, extension = 'csv'): string {
  const path = join(dir, `file-${++fileCount}.${extension}`);
  writeFileSync(path, content);
  return path;
}

const SOURCE_ID = 'src_file_test';

type SettingsInput = Partial<Record<keyof FileImportSettings, unknown>> & { path: string };

function settingsOf(input: SettingsInput): FileImportSettings {
  return FileImportSettings.parse({ format: 'csv', recordType: 'customers', mapping: { externalId: 'id' }, ...input });
}

function sessionOf(input: SettingsInput) {
  return fileImportConnector.open(settingsOf(input), {}, { sourceId: SOURCE_ID, importDir: dir });
}

interface Pass {
  pages: SyncPage[];
  customers: CanonicalCustomer[];
  orders: CanonicalOrder[];
  rejected: RejectedRecord[];
}

/**
 * A whole pass, each page from a new session with the cursor through JSON, as the sync workflow
 * checkpoints it: nothing may depend on state kept between pages.
 */
async function readAll(input: SettingsInput, from: Cursor | null = null, stream?: StreamName): Promise<Pass> {
  const pass: Pass = { pages: [], customers: [], orders: [], rejected: [] };
  let cursor = from;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await sessionOf(input).fetchPage(
      stream ?? (input.recordType as StreamName | undefined) ?? 'customers',
      cursor,
      undefined,
    );
    pass.pages.push(page);
    pass.customers.push(...page.customers);
    pass.orders.push(...page.orders);
    pass.rejected.push(...page.rejected);
    expect(page.highWater).toBeUndefined();
    if (page.next === null) return pass;
    cursor = JSON.parse(JSON.stringify(page.next)) as Cursor;
  }
  throw new Error('the pass never ended');
}

async function refusal(promise: Promise<unknown>): Promise<ConnectorRequestError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectorRequestError);
  return error as ConnectorRequestError;
}

const CUSTOMER_MAPPING = {
  externalId: 'id',
  email: 'email',
  phone: 'phone',
  firstName: 'first_name',
  lastName: 'last_name',
  countryCode: 'country',
  locale: 'locale',
  createdAt: 'created',
  updatedAt: 'updated',
  emailMarketing: 'newsletter',
};
const CUSTOMER_HEADER = 'id,email,phone,first_name,last_name,country,locale,created,updated,newsletter';

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

describe('file import settings', () => {
  const base = {
    path: '/srv/drop/customers.csv',
    format: 'csv',
    recordType: 'customers',
    mapping: { externalId: 'id' },
  };

  function issues(input: Record<string, unknown>): string[] {
    const result = FileImportSettings.safeParse(input);
    expect(result.success).toBe(false);
    return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('defaults encoding to UTF-8, upper-cases the default currency and country', () => {
    const settings = FileImportSettings.parse({ ...base, currency: 'jpy', country: 'jp' });
    expect(settings).toMatchObject({ encoding: 'utf-8', currency: 'JPY', country: 'JP' });
  });

  it('names a required field the mapping leaves out', () => {
    expect(issues({ ...base, mapping: { email: 'email' } })).toEqual([
      'mapping.externalId: is required: map externalId to the column that holds it',
    ]);
    expect(
      issues({
        ...base,
        recordType: 'orders',
        timeZone: 'Asia/Tokyo',
        currency: 'JPY',
        mapping: { externalId: 'id', total: 'total' },
      }),
    ).toEqual(['mapping.placedAt: is required: map placedAt to the column that holds it']);
  });

  it('requires a time zone and a currency for orders', () => {
    const orders = { ...base, recordType: 'orders', mapping: { externalId: 'id', total: 'total', placedAt: 'placed' } };
    expect(issues(orders)).toEqual([
      "timeZone: is required for orders: the export's IANA time zone, e.g. Asia/Tokyo",
      'currency: is required for orders when no currency column is mapped',
    ]);
    expect(
      FileImportSettings.safeParse({
        ...orders,
        timeZone: 'Asia/Tokyo',
        mapping: { ...orders.mapping, currency: 'cur' },
      }).success,
    ).toBe(true);
  });

  it('refuses fields the record type does not have, relative paths, odd delimiters and bad zones', () => {
    expect(issues({ ...base, mapping: { externalId: 'id', total: 'total' } })[0]).toMatch(
      /^mapping\.total: is not a field of customers: map any of externalId, email/,
    );
    expect(issues({ ...base, path: 'drop/customers.csv' })[0]).toMatch(/^path: must be the absolute path/);
    expect(issues({ ...base, delimiter: '"' })[0]).toMatch(/^delimiter: must be one ASCII character/);
    expect(issues({ ...base, delimiter: ',,' })[0]).toMatch(/^delimiter: must be one ASCII character/);
    expect(issues({ ...base, timeZone: 'Mars/Base' })).toEqual([
      'timeZone: must be an IANA time zone such as Asia/Tokyo',
    ]);
    expect(issues({ ...base, pageSize: 10_001 })[0]).toMatch(/^pageSize/);
    expect(issues({ ...base, encoding: 'latin1' })).toEqual(["encoding: must be 'utf-8', 'shift_jis' or 'gbk'"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------------------------

describe('file import: CSV in each encoding', () => {
  const utf8Rows = [
    CUSTOMER_HEADER,
    // first name in decomposed form (e + combining acute): stored composed
    `C001,yui.tanaka@example.com,+81 90-1234-5678,Yu\u0301i,Tanaka,jp,ja_JP,2025-01-15 09:12:44,2025-04-02T18:00:05+09:00,yes`,
    'C002,,,, ,,,2025-02-01,,',
  ];

  const expectedFirst: CanonicalCustomer = {
    sourceId: SOURCE_ID,
    externalId: 'C001',
    email: 'yui.tanaka@example.com',
    phone: '+81 90-1234-5678',
    firstName: 'Yúi',
    lastName: 'Tanaka',
    countryCode: 'JP',
    locale: 'ja-JP',
    createdAt: '2025-01-15T00:12:44.000Z',
    updatedAt: '2025-04-02T09:00:05.000Z',
    emailMarketing: 'subscribed',
  };
  const expectedSecond: CanonicalCustomer = {
    sourceId: SOURCE_ID,
    externalId: 'C002',
    // a date without a time is local midnight
    createdAt: '2025-01-31T15:00:00.000Z',
    updatedAt: '2025-01-31T15:00:00.000Z',
  };

  it('maps a UTF-8 file', async () => {
    const path = file(`${utf8Rows.join('\n')}\n`);
    const pass = await readAll({ path, mapping: CUSTOMER_MAPPING, timeZone: 'Asia/Tokyo' });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers).toEqual([expectedFirst, expectedSecond]);
    expect(pass.customers[0]!.firstName).toBe('Yúi'.normalize('NFC'));
    expect(pass.pages).toHaveLength(1);
  });

  it('maps a UTF-8 file with a byte order mark and CRLF line ends', async () => {
    const path = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${utf8Rows.join('\r\n')}\r\n`)]));
    const pass = await readAll({ path, mapping: CUSTOMER_MAPPING, timeZone: 'Asia/Tokyo' });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers).toEqual([expectedFirst, expectedSecond]);
  });

  it('maps a Shift_JIS file with a Japanese header, names and JPY amounts', async () => {
    const customers = [
      '会員ID,姓,名,メールアドレス,国,登録日時,メルマガ',
      // ソ and 表 end in byte 0x5C, ポ in 0x7C: trail bytes that are ASCII elsewhere
      'J001,山田,太郎,taro@example.jp,JP,2025/5/9 9:03,購読',
      'J002,ソニー,表ポ,"hyo, po@example.jp",JP,2025/05/10 21:30:15,',
    ];
    const mapping = {
      externalId: '会員ID',
      lastName: '姓',
      firstName: '名',
      email: 'メールアドレス',
      countryCode: '国',
      createdAt: '登録日時',
    };
    const path = file(iconv.encode(`${customers.join('\r\n')}\r\n`, 'shift_jis'));
    const pass = await readAll({ path, encoding: 'shift_jis', mapping, timeZone: 'Asia/Tokyo' });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers).toEqual([
      {
        sourceId: SOURCE_ID,
        externalId: 'J001',
        lastName: '山田',
        firstName: '太郎',
        email: 'taro@example.jp',
        countryCode: 'JP',
        createdAt: '2025-05-09T00:03:00.000Z',
        updatedAt: '2025-05-09T00:03:00.000Z',
      },
      {
        sourceId: SOURCE_ID,
        externalId: 'J002',
        lastName: 'ソニー',
        firstName: '表ポ',
        email: 'hyo, po@example.jp',
        countryCode: 'JP',
        createdAt: '2025-05-10T12:30:15.000Z',
        updatedAt: '2025-05-10T12:30:15.000Z',
      },
    ]);

    const orders = [
      '注文ID,注文番号,会員ID,合計,税,注文日時,状態',
      'O-1,1001,J001,3960,360,2025-05-09 23:30,完了',
      'O-2,1002,J002,12800,,2025-05-10 08:00,',
    ];
    const orderPath = file(iconv.encode(`${orders.join('\n')}\n`, 'shift_jis'));
    const orderMapping = {
      externalId: '注文ID',
      orderNumber: '注文番号',
      customerExternalId: '会員ID',
      total: '合計',
      tax: '税',
      placedAt: '注文日時',
    };
    const orderPass = await readAll({
      path: orderPath,
      encoding: 'shift_jis',
      recordType: 'orders',
      mapping: orderMapping,
      timeZone: 'Asia/Tokyo',
      currency: 'JPY',
    });
    expect(orderPass.rejected).toEqual([]);
    expect(orderPass.orders).toEqual([
      {
        sourceId: SOURCE_ID,
        externalId: 'O-1',
        orderNumber: '1001',
        customerExternalId: 'J001',
        currency: 'JPY',
        totalMinor: '3960',
        taxMinor: '360',
        placedAt: '2025-05-09T14:30:00.000Z',
        timeZone: 'Asia/Tokyo',
        localDate: '2025-05-09',
        localHour: 23,
        status: 'open',
        lineItemCount: 0,
        updatedAt: '2025-05-09T14:30:00.000Z',
      },
      {
        sourceId: SOURCE_ID,
        externalId: 'O-2',
        orderNumber: '1002',
        customerExternalId: 'J002',
        currency: 'JPY',
        totalMinor: '12800',
        placedAt: '2025-05-09T23:00:00.000Z',
        timeZone: 'Asia/Tokyo',
        localDate: '2025-05-10',
        localHour: 8,
        status: 'open',
        lineItemCount: 0,
        updatedAt: '2025-05-09T23:00:00.000Z',
      },
    ]);
  });

  it('reads a pipe-delimited Shift_JIS file where a trail byte equals the delimiter', async () => {
    // "ポ" is 83 7C: a reader that took 7C for '|' would see a quote open a field after it and run
    // the quoted field over the line end, merging rows 1 and 2.
    const rows = ['id|last_name|first_name', 'K1|ポ"|太郎', 'K2|"佐藤|ポ"|花子', 'K3|鈴木|"一\n郎"'];
    const path = file(iconv.encode(`${rows.join('\n')}\n`, 'shift_jis'));
    const pass = await readAll({
      path,
      encoding: 'shift_jis',
      delimiter: '|',
      mapping: { externalId: 'id', lastName: 'last_name', firstName: 'first_name' },
      timeZone: 'Asia/Tokyo',
    });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers.map((c) => [c.externalId, c.lastName, c.firstName])).toEqual([
      ['K1', 'ポ"', '太郎'],
      ['K2', '佐藤|ポ', '花子'],
      ['K3', '鈴木', '一 郎'],
    ]);
  });

  it('maps a GBK file with Chinese names and CNY amounts', async () => {
    const customers = [
      '客户编号,姓,名,邮箱,国家',
      'G001,张,伟,zhang.wei@example.cn,cn',
      'G002,王,芳,wang.fang@example.cn,CN',
    ];
    const path = file(iconv.encode(`${customers.join('\n')}\n`, 'gbk'));
    const pass = await readAll({
      path,
      encoding: 'gbk',
      mapping: { externalId: '客户编号', lastName: '姓', firstName: '名', email: '邮箱', countryCode: '国家' },
      timeZone: 'Asia/Shanghai',
    });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers.map((c) => [c.externalId, c.lastName, c.firstName, c.email, c.countryCode])).toEqual([
      ['G001', '张', '伟', 'zhang.wei@example.cn', 'CN'],
      ['G002', '王', '芳', 'wang.fang@example.cn', 'CN'],
    ]);

    const orders = [
      '订单号,客户,金额,币种,下单时间,状态',
      'D1,G001,1288.50,CNY,2025-06-18 20:15:00,已完成',
      'D2,G002,99,cny,2025-06-18T12:00:00Z,',
    ];
    const orderPath = file(iconv.encode(`${orders.join('\n')}\n`, 'gbk'));
    const orderPass = await readAll({
      path: orderPath,
      encoding: 'gbk',
      recordType: 'orders',
      mapping: {
        externalId: '订单号',
        customerExternalId: '客户',
        total: '金额',
        currency: '币种',
        placedAt: '下单时间',
      },
      timeZone: 'Asia/Shanghai',
    });
    expect(orderPass.rejected).toEqual([]);
    expect(
      orderPass.orders.map((o) => [
        o.externalId,
        o.customerExternalId,
        o.currency,
        o.totalMinor,
        o.placedAt,
        o.localDate,
        o.localHour,
      ]),
    ).toEqual([
      ['D1', 'G001', 'CNY', '128850', '2025-06-18T12:15:00.000Z', '2025-06-18', 20],
      ['D2', 'G002', 'CNY', '9900', '2025-06-18T12:00:00.000Z', '2025-06-18', 20],
    ]);
  });

  it('rejects the rows of a Shift_JIS file declared UTF-8, with the encoding hint, and keeps readable ones', async () => {
    const rows = ['id,last_name,first_name', 'J001,山田,太郎', 'A002,Smith,Anna', 'J003,佐藤,花子', 'J004,鈴木,一郎'];
    const path = file(iconv.encode(`${rows.join('\n')}\n`, 'shift_jis'));
    const pass = await readAll({ path, mapping: { externalId: 'id', lastName: 'last_name', firstName: 'first_name' } });
    const hint = "not valid UTF-8: check the file's encoding setting (is it Shift_JIS or GBK?)";
    expect(pass.rejected).toEqual([
      { reason: `row 1: ${hint}` },
      { reason: `row 3: ${hint}` },
      { reason: `row 4: ${hint}` },
    ]);
    expect(pass.customers.map((c) => c.externalId)).toEqual(['A002']);
  });

  it('rejects every row of a GBK file declared Shift_JIS or UTF-8 without crashing', async () => {
    const rows = ['id,name'];
    for (let i = 1; i <= 50; i++) rows.push(`G${i},张伟${i}号`);
    const path = file(iconv.encode(`${rows.join('\n')}\n`, 'gbk'));
    const pass = await readAll({ path, mapping: { externalId: 'id', firstName: 'name' }, pageSize: 20 });
    expect(pass.customers).toEqual([]);
    expect(pass.rejected).toHaveLength(50);
    expect(
      pass.rejected.every(
        (r, i) =>
          r.reason === `row ${i + 1}: not valid UTF-8: check the file's encoding setting (is it Shift_JIS or GBK?)`,
      ),
    ).toBe(true);
  });

  it('refuses a header that does not decode, and a Shift_JIS setting on a file with a UTF-8 byte order mark', async () => {
    const sjis = file(iconv.encode('会員ID,姓\nJ1,山田\n', 'shift_jis'));
    const error = await refusal(
      sessionOf({ path: sjis, mapping: { externalId: '会員ID' } }).fetchPage('customers', null, undefined),
    );
    expect(error.message).toContain('header row of');
    expect(error.message).toContain("not valid UTF-8: check the file's encoding setting (is it Shift_JIS or GBK?)");
    expect(error.retryable).toBe(false);

    const bom = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id\nC1\n')]));
    const bomError = await refusal(
      sessionOf({ path: bom, encoding: 'shift_jis' }).fetchPage('customers', null, undefined),
    );
    expect(bomError.message).toContain('starts with a UTF-8 byte order mark');
  });
});

// ---------------------------------------------------------------------------------------------
// CSV shape
// ---------------------------------------------------------------------------------------------

describe('file import: CSV records', () => {
  it('reads quoted fields with delimiters, quotes and line breaks, and numbers rows by record', async () => {
    const rows = [
      'id,first_name,last_name,email',
      'C1,"Tanaka, Yui",Tanaka,yui@example.com',
      'C2,"Multi\r\nLine","O""Brien",ob@example.com',
      'C3,Jo"e,Smith,joe@example.com', // a quote inside an unquoted field is text
      '',
      'C5,Ann,"Lee\nKim",ann@example.com',
      'C6,Bad,Row', // row 6: too few fields
    ];
    const path = file(`${rows.join('\r\n')}`);
    const pass = await readAll({
      path,
      mapping: { externalId: 'id', firstName: 'first_name', lastName: 'last_name', email: 'email' },
    });
    expect(pass.customers.map((c) => [c.externalId, c.firstName, c.lastName])).toEqual([
      ['C1', 'Tanaka, Yui', 'Tanaka'],
      ['C2', 'Multi Line', 'O"Brien'],
      ['C3', 'Jo"e', 'Smith'],
      ['C5', 'Ann', 'Lee Kim'],
    ]);
    expect(pass.rejected).toEqual([
      {
        reason: 'row 6: has 3 fields but the header has 4 columns: check for an unquoted delimiter or a missing field',
      },
    ]);
  });

  it('rejects broken rows by row number and field, never quoting the value, and keeps the good ones', async () => {
    const rows = [
      'id,email,currency,total,placed,status,items',
      'O1,a1@example.com,JPY,1000,2025-05-09 10:00,completed,2', // good
      'O2,a2@example.com,JPY,1000,2025-05-09 10:00,open,2,extra', // too many fields
      ',a3@example.com,JPY,1000,2025-05-09 10:00,open,1', // no external ID
      'O4,a4@example.com,XYZ,1000,2025-05-09 10:00,open,1', // unknown currency
      'O5,a5@example.com,JPY,"1,000",2025-05-09 10:00,open,1', // thousands separator
      'O6,a6@example.com,JPY,a6@example.com,2025-05-09 10:00,open,1', // not an amount
      'O7,a7@example.com,JPY,10.5,2025-05-09 10:00,open,1', // JPY has no decimals
      'O8,a8@example.com,EUR,10,2025-13-09 10:00,open,1', // month 13
      'O9,a9@example.com,EUR,10,2025-05-09,open,1', // no time of day
      'O10,a10@example.com,EUR,10,2025-05-09 10:00,shipped-ish,many', // two bad fields
      'O11,a11@example.com,EUR,10.00,2025-05-09 10:00,refunded,', // good
      'O12,a12@example.com,EUR,10,"2025-05-09 10:00,open,1', // unterminated quote at the end of the file
    ];
    const path = file(`${rows.join('\n')}\n`);
    const pass = await readAll({
      path,
      recordType: 'orders',
      mapping: {
        externalId: 'id',
        email: 'email',
        currency: 'currency',
        total: 'total',
        placedAt: 'placed',
        status: 'status',
        lineItemCount: 'items',
      },
      timeZone: 'Asia/Tokyo',
    });
    expect(pass.orders.map((o) => [o.externalId, o.status, o.lineItemCount, o.totalMinor, o.financialStatus])).toEqual([
      ['O1', 'closed', 2, '1000', undefined],
      ['O11', 'closed', 0, '1000', 'refunded'],
    ]);
    expect(pass.rejected).toEqual([
      {
        reason: 'row 2: has 8 fields but the header has 7 columns: check for an unquoted delimiter or a missing field',
      },
      { reason: 'row 3: externalId: is required: the mapped column is empty' },
      { externalId: 'O4', reason: 'row 4: currency: XYZ is not an ISO 4217 currency code' },
      {
        externalId: 'O5',
        reason:
          'row 5: total: contains a comma: write amounts without thousands separators and with a dot for decimals (e.g. 1234.50)',
      },
      {
        externalId: 'O6',
        reason:
          'row 6: total: must be a decimal amount such as 1234.50 (digits, an optional sign and a dot; no currency symbol)',
      },
      { externalId: 'O7', reason: 'row 7: total: has more decimal places than JPY has (0)' },
      {
        externalId: 'O8',
        reason:
          'row 8: placedAt: must be a date and time such as 2025-05-09 14:03, 2025/05/09 14:03 or 2025-05-09T14:03:00+09:00',
      },
      { externalId: 'O9', reason: 'row 9: placedAt: must include a time of day, e.g. 2025-05-09 14:03' },
      {
        externalId: 'O10',
        reason:
          'row 10: status: must be open, closed, completed, fulfilled, refunded, cancelled (or canceled) or voided; lineItemCount: must be a whole number of line items (0 or more)',
      },
      {
        reason:
          'row 12: a quoted field is never closed (the file ends inside it): check for a stray double quote; reading went on at the next line',
      },
    ]);
    for (const { reason } of pass.rejected) expect(reason).not.toMatch(/@example\.com/);
  });

  it('reads on after a stray opening quote that never closes', async () => {
    const rows = ['id,first_name', 'C1,"Yui', 'C2,Anna', 'C3,Ken'];
    const path = file(`${rows.join('\n')}\n`);
    const pass = await readAll({ path, mapping: { externalId: 'id', firstName: 'first_name' } });
    expect(pass.rejected).toEqual([
      {
        reason:
          'row 1: a quoted field is never closed (the file ends inside it): check for a stray double quote; reading went on at the next line',
      },
    ]);
    expect(pass.customers.map((c) => c.externalId)).toEqual(['C2', 'C3']);
  });

  it('refuses a header without a mapped column, naming it and counting the columns, never quoting the header', async () => {
    const path = file('id,e-mail,name\nC1,a@example.com,Ann\n');
    const error = await refusal(
      sessionOf({ path, mapping: { externalId: 'id', email: 'email' } }).fetchPage('customers', null, undefined),
    );
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.system).toBe('File import');
    expect(error.message).toBe(
      `File import: the header of ${path} has no column "email" (mapped to email); it has 3 columns: check the mapping against the file's first row, and the delimiter (",") and encoding (UTF-8)`,
    );
    expect(error.message).not.toContain('e-mail');
  });

  it('refuses a missing file and a cursor it did not write', async () => {
    const missing = await refusal(sessionOf({ path: join(dir, 'nope.csv') }).fetchPage('customers', null, undefined));
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('does not exist');
    const path = file('id\nC1\n');
    const bad = await refusal(sessionOf({ path }).fetchPage('customers', { offset: 'x' }, undefined));
    expect(bad.message).toContain('start a new import');
  });

  it('has nothing in the stream the file does not hold', async () => {
    const path = file('id\nC1\n');
    expect(await sessionOf({ path }).fetchPage('orders', null, undefined)).toEqual({
      customers: [],
      orders: [],
      rejected: [],
      next: null,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// JSONL
// ---------------------------------------------------------------------------------------------

describe('file import: JSONL', () => {
  it('maps nested keys, JSON numbers and arrays, and rejects lines that are not objects', async () => {
    const lines = [
      JSON.stringify({
        id: 9001,
        'meta.source': 'pos-7',
        buyer: { email: 'b1@example.com', address: { country: 'de' } },
        total: 19.99,
        currency: 'EUR',
        placed_at: '2025-05-09T14:03:00+02:00',
        items: [{}, {}, {}],
        state: 'Cancelled',
      }),
      '',
      '{"id": "9003", "buyer": {"email": "b3@example.com"}, "total": "5", "currency": "EUR", "placed_at": "2025-03-30 02:30"}',
      '{"id": 9004, "total": ',
      '[1, 2]',
      '{"id": 9006, "buyer": "b6@example.com", "total": "5", "currency": "EUR", "placed_at": "2025-10-26 02:30:00"}',
      '{"id": {"nested": true}, "total": "5", "currency": "EUR", "placed_at": "2025-05-09T10:00:00Z"}',
    ];
    const path = file(`${lines.join('\n')}\n`, 'jsonl');
    const pass = await readAll({
      path,
      format: 'jsonl',
      recordType: 'orders',
      mapping: {
        externalId: 'id',
        orderNumber: 'meta.source',
        email: 'buyer.email',
        countryCode: 'buyer.address.country',
        total: 'total',
        currency: 'currency',
        placedAt: 'placed_at',
        lineItemCount: 'items',
        status: 'state',
      },
      timeZone: 'Europe/Berlin',
    });
    expect(pass.orders).toEqual([
      {
        sourceId: SOURCE_ID,
        externalId: '9001',
        orderNumber: 'pos-7',
        email: 'b1@example.com',
        countryCode: 'DE',
        currency: 'EUR',
        totalMinor: '1999',
        placedAt: '2025-05-09T12:03:00.000Z',
        timeZone: 'Europe/Berlin',
        localDate: '2025-05-09',
        localHour: 14,
        status: 'cancelled',
        lineItemCount: 3,
        updatedAt: '2025-05-09T12:03:00.000Z',
      },
      // 02:30 on 2025-03-30 does not exist in Berlin: moved forward by the jump, to 03:30 CEST
      expect.objectContaining({
        externalId: '9003',
        email: 'b3@example.com',
        placedAt: '2025-03-30T01:30:00.000Z',
        localHour: 3,
      }),
      // 02:30 on 2025-10-26 happens twice in Berlin: the earlier (CEST)
      expect.objectContaining({ externalId: '9006', placedAt: '2025-10-26T00:30:00.000Z', localHour: 2 }),
    ]);
    expect(pass.orders[2]).not.toHaveProperty('email');
    expect(pass.rejected).toEqual([
      { reason: 'row 4: is not valid JSON' },
      { reason: 'row 5: must be a JSON object, found an array' },
      { reason: 'row 7: externalId: must be a single value, not a list or an object' },
    ]);
  });

  it('reads Shift_JIS JSONL, drops a byte order mark from UTF-8 JSONL, and heartbeats while reading', async () => {
    const sjis = file(
      iconv.encode(
        '{"id":"J1","name":{"last":"山田","first":"太郎"}}\r\n{"id":"J2","name":{"last":"ソ能","first":"ポ"}}\r\n',
        'shift_jis',
      ),
      'jsonl',
    );
    const mapping = { externalId: 'id', lastName: 'name.last', firstName: 'name.first' };
    const pass = await readAll({ path: sjis, format: 'jsonl', encoding: 'shift_jis', mapping });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers.map((c) => [c.externalId, c.lastName, c.firstName])).toEqual([
      ['J1', '山田', '太郎'],
      ['J2', 'ソ能', 'ポ'],
    ]);

    const bom = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":"B1"}\n')]), 'jsonl');
    let beats = 0;
    const session = fileImportConnector.open(
      settingsOf({ path: bom, format: 'jsonl' }),
      {},
      { sourceId: SOURCE_ID, importDir: dir, heartbeat: () => beats++ },
    );
    const page = await session.fetchPage('customers', null, undefined);
    expect(page.rejected).toEqual([]);
    expect(page.customers.map((c) => c.externalId)).toEqual(['B1']);
    expect(beats).toBeGreaterThan(0);
  });

  it('reads local times in the hinted day order, and defaults currency and country from the settings', async () => {
    const lines = [
      '{"id":"1","total":"12.5","at":"5/9/2025 2:03 PM"}',
      '{"id":"2","total":"7","at":"12/31/2025 00:00"}',
      '{"id":"3","total":"7","at":"31/12/2025 00:00"}',
    ];
    const path = file(`${lines.join('\n')}\n`, 'jsonl');
    const pass = await readAll({
      path,
      format: 'jsonl',
      recordType: 'orders',
      mapping: { externalId: 'id', total: 'total', placedAt: 'at' },
      timeZone: 'America/New_York',
      currency: 'USD',
      country: 'us',
      dateFormat: 'mdy',
    });
    expect(pass.orders.map((o) => [o.externalId, o.placedAt, o.currency, o.totalMinor, o.countryCode])).toEqual([
      ['1', '2025-05-09T18:03:00.000Z', 'USD', '1250', 'US'],
      ['2', '2025-12-31T05:00:00.000Z', 'USD', '700', 'US'],
    ]);
    expect(pass.rejected).toEqual([
      {
        externalId: '3',
        reason:
          'row 3: placedAt: must be a date and time such as 05/09/2025 14:03 (month first) or 2025-05-09T14:03:00+09:00',
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Pages and resuming
// ---------------------------------------------------------------------------------------------

describe('file import: pages and cursors', () => {
  function customerRows(count: number): string[] {
    const rows: string[] = [];
    for (let i = 1; i <= count; i++)
      rows.push(`C${String(i).padStart(5, '0')},user${i}@example.com,2025-01-01T00:00:00Z`);
    return rows;
  }
  const mapping = { externalId: 'id', email: 'email', createdAt: 'created' };

  it('reads 2,500 rows in pages of 1,000: three pages, every row once, and resumes from a cursor mid-file', async () => {
    const rows = customerRows(2500);
    const header = 'id,email,created';
    const path = file(`${header}\n${rows.join('\n')}\n`);
    const pass = await readAll({ path, mapping, pageSize: 1000 });
    expect(pass.pages.map((page) => page.customers.length)).toEqual([1000, 1000, 500]);
    const ids = pass.customers.map((c) => c.externalId);
    expect(ids).toEqual(rows.map((row) => row.split(',')[0]));
    expect(new Set(ids).size).toBe(2500);

    // The cursor after page 1 holds the byte offset where row 1001 starts.
    const cursor = pass.pages[0]!.next!;
    expect(cursor).toMatchObject({
      offset: Buffer.byteLength(`${header}\n${rows.slice(0, 1000).join('\n')}\n`),
      row: 1000,
      size: statSync(path).size,
    });
    const resumed = await readAll({ path, mapping, pageSize: 1000 }, JSON.parse(JSON.stringify(cursor)) as Cursor);
    expect(resumed.customers.map((c) => c.externalId)).toEqual(ids.slice(1000));
    expect(resumed.pages).toHaveLength(2);
  });

  it('resumes a Shift_JIS file exactly at a row boundary next to multibyte text and a quoted line break', async () => {
    const rows: string[] = [];
    for (let i = 1; i <= 30; i++) {
      // rows 10 and 11 straddle the page boundary with a quoted line break and ポ/ソ (trail bytes 7C/5C)
      const name = i === 10 || i === 11 ? `"ソニー\r\nポイント${i}"` : `山田${i}`;
      rows.push(`J${i},${name},太郎`);
    }
    const header = 'id,last_name,first_name';
    const text = `${header}\r\n${rows.join('\r\n')}\r\n`;
    const path = file(iconv.encode(text, 'shift_jis'));
    const input = {
      path,
      encoding: 'shift_jis',
      mapping: { externalId: 'id', lastName: 'last_name', firstName: 'first_name' },
      pageSize: 10,
    };

    const first = await sessionOf(input).fetchPage('customers', null, undefined);
    expect(first.customers.map((c) => c.externalId)).toEqual(rows.slice(0, 10).map((row) => row.split(',')[0]));
    expect(first.customers[9]!.lastName).toBe('ソニー ポイント10');
    const cursor = JSON.parse(JSON.stringify(first.next)) as Cursor;
    expect(cursor.offset).toBe(iconv.encode(`${header}\r\n${rows.slice(0, 10).join('\r\n')}\r\n`, 'shift_jis').length);

    const rest = await readAll(input, cursor);
    expect(rest.rejected).toEqual([]);
    expect(rest.customers.map((c) => c.externalId)).toEqual(rows.slice(10).map((row) => row.split(',')[0]));
    expect(rest.customers[0]!.lastName).toBe('ソニー ポイント11');
    const whole = await readAll(input);
    expect([...first.customers, ...rest.customers]).toEqual(whole.customers);
  });

  it('refuses to resume when the file changed after the first page', async () => {
    const rows = customerRows(30);
    const path = file(`id,email,created\n${rows.join('\n')}\n`);
    const input = { path, mapping, pageSize: 10 };
    const first = await sessionOf(input).fetchPage('customers', null, undefined);
    const cursor = JSON.parse(JSON.stringify(first.next)) as Cursor;

    // Appended rows: the size changes.
    writeFileSync(path, `id,email,created\n${[...rows, ...customerRows(31).slice(30)].join('\n')}\n`);
    const appended = await refusal(sessionOf(input).fetchPage('customers', cursor, undefined));
    expect(appended.message).toContain('the file changed since the import started; start a new import');
    expect(appended.retryable).toBe(false);

    // Same size and modification time, different first bytes: the fingerprint tells.
    const original = `id,email,created\n${rows.join('\n')}\n`;
    writeFileSync(path, original);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const again = await sessionOf(input).fetchPage('customers', null, undefined);
    const before = statSync(path);
    writeFileSync(path, original.replace('C00001', 'C99999'));
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    expect(statSync(path)).toMatchObject({ size: before.size, mtimeMs: before.mtimeMs });
    const rewritten = await refusal(
      sessionOf(input).fetchPage('customers', JSON.parse(JSON.stringify(again.next)) as Cursor, undefined),
    );
    expect(rewritten.message).toContain('the file changed since the import started; start a new import');
  });
});

// ---------------------------------------------------------------------------------------------
// The import folder: nothing else on the worker is read (issue 8, item 4)
// ---------------------------------------------------------------------------------------------

describe('file import: only the import folder', () => {
  const outside = mkdtempSync(join(tmpdir(), 'meridian-outside-'));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));
  const SECRET = 'sk_live_outside_the_import_folder';

  it('file import reads /proc/self/environ: refused as outside the import folder, and nothing of it is quoted', async () => {
    const secret = process.env.PATH ?? '/usr/bin';
    const error = await refusal(
      sessionOf({ path: '/proc/self/environ', mapping: { externalId: 'id' } }).fetchPage('customers', null, undefined),
    );
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `File import: /proc/self/environ is outside the import folder ${dir}: the worker reads only files in it (MERIDIAN_IMPORT_DIR); move the export there`,
    );
    expect(error.message).not.toContain(secret);
  });

  it('file import through a link in the import folder to a file outside it: refused, the file never read', async () => {
    const target = join(outside, 'secrets.csv');
    writeFileSync(target, `id\n${SECRET}\n`);
    const link = join(dir, 'looks-like-an-export.csv');
    symlinkSync(target, link);
    const error = await refusal(sessionOf({ path: link }).fetchPage('customers', null, undefined));
    expect(error.status).toBe(403);
    expect(error.message).toContain('is a link to a file outside the import folder');
    expect(error.message).not.toContain(SECRET);

    // A linked folder inside the import folder leads outside just the same.
    const linkedFolder = join(dir, 'linked-folder');
    symlinkSync(outside, linkedFolder);
    const through = await refusal(
      sessionOf({ path: join(linkedFolder, 'secrets.csv') }).fetchPage('customers', null, undefined),
    );
    expect(through.status).toBe(403);
    expect(through.message).not.toContain(SECRET);
  });

  it('file import with a path climbing out by "..": refused by the settings and again when read', async () => {
    writeFileSync(join(outside, 'climb.csv'), `id\n${SECRET}\n`);
    const climbing = `${dir}/../${outside.split('/').pop()}/climb.csv`;
    expect(
      FileImportSettings.safeParse({
        path: climbing,
        format: 'csv',
        recordType: 'customers',
        mapping: { externalId: 'id' },
      }).error?.issues[0]?.message,
    ).toMatch(/without "\.\."/);
    // Settings stored before the rule: the read refuses too.
    const session = fileImportConnector.open(
      { ...settingsOf({ path: join(dir, 'x.csv') }), path: climbing },
      {},
      { sourceId: SOURCE_ID, importDir: dir },
    );
    const error = await refusal(session.fetchPage('customers', null, undefined));
    expect(error.status).toBe(403);
    expect(error.message).not.toContain(SECRET);
  });

  it('reads files in sub-folders of the import folder, and nothing at all when no import folder is configured', async () => {
    mkdirSync(join(dir, 'pos', 'tokyo'), { recursive: true });
    const path = join(dir, 'pos', 'tokyo', 'customers.csv');
    writeFileSync(path, 'id\nC1\n');
    const pass = await readAll({ path });
    expect(pass.customers.map((c) => c.externalId)).toEqual(['C1']);

    const unconfigured = fileImportConnector.open(settingsOf({ path }), {}, { sourceId: SOURCE_ID });
    const error = await refusal(unconfigured.fetchPage('customers', null, undefined));
    expect(error.message).toContain('no import folder is configured on the worker: set MERIDIAN_IMPORT_DIR');
  });
});

// ---------------------------------------------------------------------------------------------
// The reader on its own: every chunk size finds the same records at the same offsets
// ---------------------------------------------------------------------------------------------

describe('RecordReader', () => {
  async function records(path: string, options: Omit<ReaderOptions, 'offset'> & { offset?: number }) {
    const reader = await RecordReader.open(path, { offset: 0, ...options });
    const found: Array<{ row: number; start: number; end: number; text?: string; problem?: string }> = [];
    try {
      for (let record = await reader.next(); record !== null; record = await reader.next()) {
        found.push(
          record.ok
            ? { row: record.row, start: record.start, end: record.end, text: record.bytes.toString('hex') }
            : { row: record.row, start: record.start, end: record.end, problem: record.problem },
        );
      }
    } finally {
      await reader.close();
    }
    return found;
  }

  it('splits CSV identically whatever the chunk size, in every encoding', async () => {
    const text = 'h1,h2\r\n"ソ""ポ\r\n表",x\rポ,"a\n\nb"\n\n  \n山"田,"\r\n"\r\nlast,"ﾊﾝｶｸ"';
    for (const encoding of ['utf-8', 'shift_jis', 'gbk'] as const) {
      const bytes =
        encoding === 'utf-8'
          ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
          : iconv.encode(text.replace(/[ﾊﾝｶｸ]/g, encoding === 'gbk' ? 'x' : '$&'), encoding);
      const path = file(bytes);
      const reference = await records(path, { format: 'csv', encoding });
      expect(reference.map((r) => r.row)).toEqual([1, 2, 3, 6, 7]);
      expect(reference.at(-1)!.end).toBe(bytes.length);
      for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
        expect(
          await records(path, { format: 'csv', encoding, chunkBytes }),
          `${encoding} in chunks of ${chunkBytes}`,
        ).toEqual(reference);
      }
      // From any record's start, the rest reads the same.
      for (const [index, record] of reference.entries()) {
        expect(
          await records(path, { format: 'csv', encoding, offset: record.start, row: record.row - 1, chunkBytes: 3 }),
        ).toEqual(reference.slice(index));
      }
    }
  });

  it('delimits records exactly as csv-parse reads them, for random text with quotes, line ends and multibyte characters', async () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed % below;
    };
    const alphabet = ['a', '|', '"', '"', '\n', '\r', ' ', 'ポ', 'ソ', '表'];
    let records = 0;
    for (let round = 0; round < 400; round++) {
      let text = '';
      for (let i = 0, length = 1 + random(40); i < length; i++) text += alphabet[random(alphabet.length)];
      const path = file(iconv.encode(text, 'shift_jis'));
      const found: string[] = [];
      const reader = await RecordReader.open(path, {
        format: 'csv',
        encoding: 'shift_jis',
        delimiter: '|',
        offset: 0,
        chunkBytes: 1 + random(6),
      });
      try {
        for (let record = await reader.next(); record !== null; record = await reader.next()) {
          if (record.ok) found.push(iconv.decode(record.bytes, 'shift_jis'));
        }
      } finally {
        await reader.close();
      }
      records += found.length;
      // Each delimited record is one csv-parse record, and a batch parses as its records one by one.
      const one = found.map((record) => parseCsvRecords([record], '|')[0]);
      expect(
        one.every((parsed) => parsed?.ok),
        JSON.stringify(text),
      ).toBe(true);
      expect(parseCsvRecords(found, '|'), JSON.stringify(text)).toEqual(one);
    }
    expect(records).toBeGreaterThan(500);
  });

  it('cuts off a record longer than the limit and reads on at the next line', async () => {
    const path = file(`a,b\n"${'x'.repeat(100)}\nc,d\n${'y'.repeat(100)}\ne,f\n`);
    const found = await records(path, { format: 'csv', encoding: 'utf-8', maxRecordBytes: 50, chunkBytes: 16 });
    expect(found.map((r) => [r.row, r.problem ?? Buffer.from(r.text!, 'hex').toString()])).toEqual([
      [1, 'a,b'],
      [2, 'too-long'],
      [3, 'c,d'],
      [4, 'too-long'],
      [5, 'e,f'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// A large file
// ---------------------------------------------------------------------------------------------

describe('file import: a large file', () => {
  const noCollector = (): void => undefined;
  function collector(): () => void {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      return typeof gc === 'function' ? (gc as () => void) : noCollector;
    } catch {
      return noCollector;
    }
  }

  it('streams 200,000 rows (~30 MB) with memory far below the file size', { timeout: 60_000 }, async () => {
    const path = join(dir, 'large.csv');
    const out = await open(path, 'w');
    try {
      await out.write(`${CUSTOMER_HEADER}\n`);
      for (let block = 0; block < 20; block++) {
        const lines: string[] = [];
        for (let i = block * 10_000 + 1; i <= (block + 1) * 10_000; i++) {
          lines.push(
            `C${String(i).padStart(7, '0')},first.last.${i}@example.com,+8190${String(i).padStart(8, '0')},"Yui, ${i}",田中,JP,ja-JP,2025-01-15T09:12:44+09:00,2025-04-02T18:00:05+09:00,subscribed`,
          );
        }
        await out.write(`${lines.join('\n')}\n`);
      }
    } finally {
      await out.close();
    }
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(25 * 1024 * 1024);

    const gc = collector();
    // Buffers live outside the JS heap: a file read whole into one would show only in `external`.
    const used = (): number => {
      const memory = process.memoryUsage();
      return memory.heapUsed + memory.external;
    };
    gc();
    const baseline = used();
    let peak = 0;
    let count = 0;
    let pages = 0;
    let last = '';
    let cursor: Cursor | null = null;
    const session = sessionOf({ path, mapping: CUSTOMER_MAPPING, pageSize: 5000 });
    const started = performance.now();
    do {
      const page: SyncPage = await session.fetchPage('customers', cursor, undefined);
      gc();
      // Measured while the page is still held: one page of records is all that may stay.
      peak = Math.max(peak, used() - baseline);
      expect(page.rejected).toEqual([]);
      count += page.customers.length;
      last = page.customers.at(-1)?.externalId ?? last;
      pages += 1;
      cursor = page.next;
    } while (cursor !== null);
    const seconds = (performance.now() - started) / 1000;

    expect(count).toBe(200_000);
    expect(pages).toBe(40);
    expect(last).toBe('C0200000');
    // Without a collector (flags refused) garbage counts too: only a generous bound is fair then.
    expect(peak).toBeLessThan(gc === noCollector ? size * 2 : size / 2);
    console.info(
      `large file: ${(size / 1024 / 1024).toFixed(1)} MB, ${seconds.toFixed(1)} s, peak memory growth ${(peak / 1024 / 1024).toFixed(1)} MB`,
    );
  });
});
