import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../../domain/commerce';
import { isCountryCode } from '../../domain/countries';
import { isTimeZone } from '../../domain/local-time';
import { isCurrency } from '../../domain/money';
import { ConnectorError, ConnectorRequestError, ConnectorTransientError } from '../errors';
import type { ConnectorContext, ConnectorDefinition, Cursor, SyncPage } from '../framework';
import {
  CUSTOMER_FIELDS,
  DATE_FORMATS,
  type Mapped,
  type MappingContext,
  mapFileCustomer,
  mapFileOrder,
  ORDER_FIELDS,
  REQUIRED_FIELDS,
  type SourceRow,
  unreadableRow,
} from './mapping';
import {
  confinedImportPath,
  decodeRecord,
  ENCODING_LABELS,
  encodingRule,
  hasParentSegment,
  MAX_RECORD_BYTES,
  openImportFile,
  OutsideImportFolder,
  parseCsvRecords,
  RecordReader,
  type RawRecord,
} from './client';

/**
 * CRM and POS exports dropped as files in the worker's import folder (MERIDIAN_IMPORT_DIR; nothing
 * outside it is read: see client.ts) — CSV or JSONL, in UTF-8 (with or
 * without a byte order mark), Shift_JIS or GBK — as customers or orders, through a mapping from
 * canonical fields to the file's columns (CSV header names) or keys (JSONL, dot paths allowed).
 *
 * A pass reads the whole file, streamed: a page is up to `pageSize` rows, and its cursor holds the
 * byte offset where the next row starts, so a resumed pass reads on from there, not from the top.
 * The cursor also holds the file's size, modification time and a fingerprint of its first KiB; a
 * file that changed since the pass started is refused rather than read from a position that may no
 * longer be a row boundary. Files have no update times to sync from: `since` is ignored, and no
 * page has a highWater.
 *
 * Rows are numbered from 1, the header not counted, blank lines counted: row N of a CSV file is the
 * Nth line after the header (spreadsheet row N+1) and row N of a JSONL file is line N.
 */

const LABEL = 'File import';
const DEFAULT_PAGE_SIZE = 1000;
/** A page also ends once its rows hold this many bytes, so a page of very long rows stays small. */
const PAGE_BYTES = 16 * 1024 * 1024;
/** CSV rows are parsed in batches of this many (one csv-parse call each). */
const PARSE_BATCH = 500;
const FINGERPRINT_BYTES = 1024;

const FORMATS = ['csv', 'jsonl'] as const;
const ENCODINGS = ['utf-8', 'shift_jis', 'gbk'] as const;
const RECORD_TYPES = ['customers', 'orders'] as const;

export const FileImportSettings = z
  .object({
    /** The file in the worker's import folder (MERIDIAN_IMPORT_DIR), as the worker sees it. */
    path: z
      .string()
      .refine(
        isAbsolute,
        'must be the absolute path of the file on the worker, e.g. /srv/meridian/imports/customers.csv',
      )
      .refine(
        (path) => !hasParentSegment(path) && !path.includes('\0'),
        'must name the file inside the import folder without ".." (MERIDIAN_IMPORT_DIR on the worker)',
      ),
    format: z.enum(FORMATS, { error: "must be 'csv' or 'jsonl'" }),
    /** A UTF-8 byte order mark is accepted (and dropped) with 'utf-8'. */
    encoding: z.enum(ENCODINGS, { error: "must be 'utf-8', 'shift_jis' or 'gbk'" }).default('utf-8'),
    /** CSV only; default ','. */
    delimiter: z
      .string()
      .refine(
        (value) => /^[\t -~]$/.test(value) && !/[A-Za-z0-9"]/.test(value),
        'must be one ASCII character other than a letter, a digit or a double quote, e.g. "," ";" "|" or a tab',
      )
      .optional(),
    recordType: z.enum(RECORD_TYPES, { error: "must be 'customers' or 'orders'" }),
    /** Canonical field → CSV header name, or JSONL key (a dot path such as "buyer.email" reaches into objects). */
    mapping: z.record(z.string(), z.string().trim().min(1, 'must name a column (CSV) or a key (JSONL)')),
    /** IANA zone of times written without an offset; required for orders. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo').optional(),
    /** ISO 4217 currency for rows without a currency column or value. */
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isCurrency, 'must be an ISO 4217 currency code such as JPY')
      .optional(),
    /** ISO alpha-2 country for rows without a country. */
    country: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code such as JP')
      .optional(),
    pageSize: z.int().min(1).max(10_000).optional(),
    /** How local dates are written when it is not ISO 8601: 'ymd' (2025/5/9 9:03), 'mdy' or 'dmy'; 'iso' reads ISO 8601 only. */
    dateFormat: z.enum(DATE_FORMATS).optional(),
    /**
     * For a POS: the file in the worker's export folder (MERIDIAN_EXPORT_DIR) that loyalty appends each
     * member's tier and points to when they change (activities/loyalty/pos-export.ts), for the POS to import.
     */
    loyaltyExportPath: z
      .string()
      .refine(
        isAbsolute,
        'must be the absolute path of the file on the worker, e.g. /srv/meridian/exports/pos-loyalty.csv',
      )
      .refine(
        (path) => !hasParentSegment(path) && !path.includes('\0'),
        'must name the file inside the export folder without ".." (MERIDIAN_EXPORT_DIR on the worker)',
      )
      .optional(),
  })
  .superRefine((settings, ctx) => {
    const fields: readonly string[] = settings.recordType === 'customers' ? CUSTOMER_FIELDS : ORDER_FIELDS;
    for (const field of Object.keys(settings.mapping)) {
      if (!fields.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mapping', field],
          message: `is not a field of ${settings.recordType}: map any of ${fields.join(', ')}`,
        });
      }
    }
    for (const field of REQUIRED_FIELDS[settings.recordType]) {
      if (settings.mapping[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mapping', field],
          message: `is required: map ${field} to the ${settings.format === 'csv' ? 'column' : 'key'} that holds it`,
        });
      }
    }
    if (settings.recordType === 'orders') {
      if (settings.timeZone === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['timeZone'],
          message: "is required for orders: the export's IANA time zone, e.g. Asia/Tokyo",
        });
      }
      if (settings.mapping.currency === undefined && settings.currency === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['currency'],
          message: 'is required for orders when no currency column is mapped',
        });
      }
    }
  });
export type FileImportSettings = z.infer<typeof FileImportSettings>;

export const FileImportCredentials = z.object({});

/**
 * Where the next page starts. `offset` is the byte offset of the next row (bytes read so far) and
 * `size` the file's size (bytes in all); `row` is the number of rows read, blank lines included.
 * `size`, `mtimeMs` and `fingerprint` identify the file the pass started on.
 */
export const FileImportCursor = z.object({
  offset: z.int().nonnegative(),
  row: z.int().nonnegative(),
  size: z.int().nonnegative(),
  mtimeMs: z.number().nonnegative(),
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
});
export type FileImportCursor = z.infer<typeof FileImportCursor>;

export const fileImportConnector: ConnectorDefinition<FileImportSettings, Record<string, never>> = {
  system: 'file',
  label: LABEL,
  settings: FileImportSettings,
  credentials: FileImportCredentials,
  streams: ['customers', 'orders'],
  open(settings, _credentials, context) {
    return {
      async fetchPage(stream, cursor): Promise<SyncPage> {
        // A file holds one record type; the other stream has nothing in it.
        if (stream !== settings.recordType) return { customers: [], orders: [], rejected: [], next: null };
        try {
          const file = await confinedImportPath(settings.path, context.importDir);
          return await readPage(settings, file, context, cursor);
        } catch (error) {
          throw fileSystemError(error, settings.path);
        }
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// A page
// ---------------------------------------------------------------------------------------------

interface FileIdentity {
  size: number;
  mtimeMs: number;
  fingerprint: string;
  hasBom: boolean;
}

type Pending = { row: number; text: string } | { row: number; rejected: RejectedRecord };

/** One page; `realPath` is the file's real path inside the import folder, messages name it as configured. */
async function readPage(
  settings: FileImportSettings,
  realPath: string,
  context: ConnectorContext,
  cursor: Cursor | null,
): Promise<SyncPage> {
  const start = cursor === null ? undefined : parseCursor(cursor);
  const file = await identify(realPath, settings.path);
  if (start && (start.size !== file.size || start.mtimeMs !== file.mtimeMs || start.fingerprint !== file.fingerprint)) {
    throw configError(
      `the file changed since the import started; start a new import (${settings.path} no longer has the size, modification time or first bytes it had)`,
      409,
    );
  }
  if (file.hasBom && settings.encoding !== 'utf-8') {
    throw configError(
      `${settings.path} starts with a UTF-8 byte order mark, so it is UTF-8, but the import's encoding is ${ENCODING_LABELS[settings.encoding]}: set encoding to utf-8`,
    );
  }

  const delimiter = settings.delimiter ?? ',';
  let columns: Map<string, number> | undefined;
  let columnCount = 0;
  let offset = start?.offset ?? 0;
  if (settings.format === 'csv') {
    const header = await readHeader(settings, delimiter, realPath);
    columns = resolveColumns(settings, header.names);
    columnCount = header.names.length;
    if (start === undefined) offset = header.end;
    else if (start.offset < header.end) throw badCursor();
  }
  if (offset > file.size) throw badCursor();

  const mappingContext: MappingContext = {
    sourceId: context.sourceId,
    ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
    ...(settings.currency ? { currency: settings.currency } : {}),
    ...(settings.country ? { country: settings.country } : {}),
    ...(settings.dateFormat ? { dateFormat: settings.dateFormat } : {}),
    exportedAt: new Date(Math.floor(file.mtimeMs)).toISOString(),
  };
  const page: SyncPage = { customers: [], orders: [], rejected: [], next: null };
  const store = (mapped: Mapped<CanonicalCustomer> | Mapped<CanonicalOrder>): void => {
    if (!mapped.ok) page.rejected.push(mapped.rejected);
    else if (settings.recordType === 'customers') page.customers.push(mapped.record as CanonicalCustomer);
    else page.orders.push(mapped.record as CanonicalOrder);
  };
  const mapRow = (get: SourceRow, row: number): void =>
    store(
      settings.recordType === 'customers'
        ? mapFileCustomer(get, row, mappingContext)
        : mapFileOrder(get, row, mappingContext),
    );

  // CSV rows wait here to be parsed in a batch; rejections wait with them so the page keeps row order.
  const pending: Pending[] = [];
  const reject = (row: number, rule: string): void => {
    if (settings.format === 'csv') pending.push({ row, rejected: unreadableRow(row, rule) });
    else page.rejected.push(unreadableRow(row, rule));
  };
  const flush = (): void => {
    const texts = pending.flatMap((item) => ('text' in item ? [item.text] : []));
    const parsed = parseCsvRecords(texts, delimiter);
    let next = 0;
    for (const item of pending) {
      if (!('text' in item)) {
        page.rejected.push(item.rejected);
        continue;
      }
      const fields = parsed[next++]!;
      if (!fields.ok) page.rejected.push(unreadableRow(item.row, fields.reason));
      else if (fields.fields.length !== columnCount) {
        page.rejected.push(
          unreadableRow(
            item.row,
            `has ${fields.fields.length} fields but the header has ${columnCount} columns: check for an unquoted delimiter or a missing field`,
          ),
        );
      } else {
        const values = fields.fields;
        mapRow((field) => {
          const index = columns!.get(field);
          return index === undefined ? undefined : values[index];
        }, item.row);
      }
    }
    pending.length = 0;
  };

  const reader = await RecordReader.open(realPath, {
    format: settings.format,
    encoding: settings.encoding,
    delimiter,
    offset,
    row: start?.row ?? 0,
    ...(context.heartbeat ? { onRead: context.heartbeat } : {}),
  });
  const pageSize = settings.pageSize ?? DEFAULT_PAGE_SIZE;
  let rows = 0;
  let bytes = 0;
  let ended = false;
  try {
    while (rows < pageSize && bytes < PAGE_BYTES) {
      const record = await reader.next();
      if (record === null) {
        ended = true;
        break;
      }
      rows += 1;
      bytes += record.end - record.start;
      if (!record.ok) {
        const rule =
          record.problem === 'unclosed-quote'
            ? 'a quoted field is never closed (the file ends inside it): check for a stray double quote; reading went on at the next line'
            : `is longer than ${MAX_RECORD_BYTES / (1024 * 1024)} MiB: check for an unclosed double quote or a wrong delimiter`;
        reject(record.row, rule);
        continue;
      }
      const text = decodeRecord(record.bytes, settings.encoding);
      if (text === undefined) {
        reject(record.row, encodingRule(settings.encoding));
      } else if (settings.format === 'csv') {
        pending.push({ row: record.row, text });
        if (pending.length >= PARSE_BATCH) flush();
      } else {
        mapJsonLine(record, text, settings.mapping, mapRow, page.rejected);
      }
    }
    flush();
  } finally {
    await reader.close();
  }

  if (!ended && reader.offset < file.size) {
    page.next = {
      offset: reader.offset,
      row: reader.row,
      size: file.size,
      mtimeMs: file.mtimeMs,
      fingerprint: file.fingerprint,
    } satisfies FileImportCursor;
  }
  return page;
}

function mapJsonLine(
  record: RawRecord,
  text: string,
  mapping: Record<string, string>,
  mapRow: (get: SourceRow, row: number) => void,
  rejected: RejectedRecord[],
): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error.
    rejected.push(unreadableRow(record.row, 'is not valid JSON'));
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    rejected.push(unreadableRow(record.row, `must be a JSON object, found ${found}`));
    return;
  }
  const object = value as Record<string, unknown>;
  mapRow((field) => {
    const path = mapping[field];
    return path === undefined ? undefined : lookup(object, path);
  }, record.row);
}

/** A key as written ("buyer.email" may be a key itself), else a dot path through objects and arrays. */
function lookup(object: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(object, path)) return object[path];
  let current: unknown = object;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// The file, its header, the cursor
// ---------------------------------------------------------------------------------------------

async function identify(path: string, shownPath: string): Promise<FileIdentity> {
  const handle = await openImportFile(path);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw configError(`${shownPath} is not a file: set path to the export file itself`);
    const head = Buffer.alloc(Math.min(FINGERPRINT_BYTES, stat.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = head.subarray(0, bytesRead);
    return {
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      // Not personal data: 64 bits of a hash, only compared for equality.
      fingerprint: createHash('sha256').update(first).digest('hex').slice(0, 16),
      hasBom: first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf,
    };
  } finally {
    await handle.close();
  }
}

async function readHeader(
  settings: FileImportSettings,
  delimiter: string,
  realPath: string,
): Promise<{ names: string[]; end: number }> {
  const reader = await RecordReader.open(realPath, {
    format: 'csv',
    encoding: settings.encoding,
    delimiter,
    offset: 0,
  });
  try {
    const first = await reader.next();
    if (first === null)
      throw configError(`${settings.path} has no header row: a CSV import needs a first row naming the columns`);
    if (!first.ok)
      throw configError(`the header row of ${settings.path} cannot be read: a quoted column name is never closed`);
    const text = decodeRecord(first.bytes, settings.encoding);
    if (text === undefined)
      throw configError(`the header row of ${settings.path} is ${encodingRule(settings.encoding)}`);
    const [parsed] = parseCsvRecords([text], delimiter);
    if (!parsed?.ok) throw configError(`the header row of ${settings.path} ${parsed?.reason ?? 'cannot be read'}`);
    return { names: parsed.fields.map(columnName), end: first.end };
  } finally {
    await reader.close();
  }
}

function columnName(name: string): string {
  return name.trim().normalize('NFC');
}

/**
 * Canonical field → column index; a mapped column missing from the header is a settings error. The
 * message names the mapped column (from the settings) and counts the header's columns, but never quotes
 * the header: it is the file's content, and a wrong path or delimiter can make it anything.
 */
function resolveColumns(settings: FileImportSettings, names: readonly string[]): Map<string, number> {
  const columns = new Map<string, number>();
  for (const [field, written] of Object.entries(settings.mapping)) {
    const column = columnName(written);
    const index = names.indexOf(column);
    if (index < 0) {
      throw configError(
        `the header of ${settings.path} has no column ${JSON.stringify(column)} (mapped to ${field}); it has ${names.length} column${names.length === 1 ? '' : 's'}: ` +
          `check the mapping against the file's first row, and the delimiter (${JSON.stringify(settings.delimiter ?? ',')}) and encoding (${ENCODING_LABELS[settings.encoding]})`,
      );
    }
    if (names.indexOf(column, index + 1) >= 0) {
      throw configError(
        `the header of ${settings.path} has the column ${JSON.stringify(column)} (mapped to ${field}) more than once: rename one of them`,
      );
    }
    columns.set(field, index);
  }
  return columns;
}

function parseCursor(cursor: Cursor): FileImportCursor {
  const parsed = FileImportCursor.safeParse(cursor);
  if (!parsed.success) throw badCursor();
  return parsed.data;
}

function badCursor(): ConnectorRequestError {
  return configError('the cursor is not one this file import wrote for this file: start a new import');
}

function configError(message: string, status = 400): ConnectorRequestError {
  return new ConnectorRequestError(`${LABEL}: ${message}`, LABEL, status, '');
}

/** Missing or unreadable files are settings to fix; other I/O failures may pass. */
function fileSystemError(error: unknown, path: string): unknown {
  if (error instanceof ConnectorError) return error;
  if (error instanceof OutsideImportFolder) return configError(error.message, 403);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return error;
  switch (code) {
    case 'ENOENT':
      return configError(`${path} does not exist: check the path, or whether the file was moved or deleted`, 404);
    case 'EACCES':
    case 'EPERM':
      return configError(
        `${path} cannot be read by the worker (permission denied): let the worker's user read it`,
        403,
      );
    case 'EISDIR':
      return configError(`${path} is a folder: set path to the export file itself`);
    case 'ELOOP':
      return configError(
        `${path} is a link: the worker reads only files in the import folder, not links to them; copy the export there instead`,
        403,
      );
    default:
      return new ConnectorTransientError(`${LABEL}: reading ${path} failed (${code}): retry later`, LABEL, undefined, {
        cause: error,
      });
  }
}
