import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import iconv from 'iconv-lite';

/**
 * The file side of a file import: where an import may read (only inside the import folder), and its
 * records, read one at a time.
 *
 * Confinement: the worker reads only files inside its import folder (MERIDIAN_IMPORT_DIR; by default
 * `imports/` in the data folder). A path with `..` is refused as written; then the file's real path
 * (every symbolic link resolved) must lie inside the folder's real path, so a link dropped into the
 * folder cannot point a sync at `/proc/self/environ` or anything else on the worker; and the file is
 * opened with O_NOFOLLOW, so a link swapped in after the check is not followed either.
 */

export class OutsideImportFolder extends Error {
  override readonly name = 'OutsideImportFolder';
}

/** True when `path`, as written, climbs out of a folder (`..` as a segment). */
export function hasParentSegment(path: string): boolean {
  return path.split(/[\\/]+/).includes('..');
}

/**
 * The real path of `path` if it is a file inside `importDir` (both resolved through links); throws
 * OutsideImportFolder when it is not, or the file system's error (ENOENT …) when it cannot be resolved.
 */
export async function confinedImportPath(path: string, importDir: string | undefined): Promise<string> {
  if (!importDir)
    throw new OutsideImportFolder(
      'no import folder is configured on the worker: set MERIDIAN_IMPORT_DIR to the folder exports are dropped in',
    );
  if (!isAbsolute(path) || hasParentSegment(path))
    throw new OutsideImportFolder(`${path} must be an absolute path inside the import folder, without ".."`);
  let folder: string;
  try {
    folder = await realpath(importDir);
  } catch {
    throw new OutsideImportFolder(
      `the import folder ${importDir} (MERIDIAN_IMPORT_DIR) does not exist on the worker: create it, or point MERIDIAN_IMPORT_DIR at the drop folder`,
    );
  }
  if (!inside(resolve(importDir), resolve(path)) && !inside(folder, resolve(path))) {
    throw new OutsideImportFolder(
      `${path} is outside the import folder ${importDir}: the worker reads only files in it (MERIDIAN_IMPORT_DIR); move the export there`,
    );
  }
  const real = await realpath(path);
  if (!inside(folder, real)) {
    throw new OutsideImportFolder(
      `${path} is a link to a file outside the import folder ${importDir}: the worker reads only files in it; copy the export there instead`,
    );
  }
  return real;
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Opens a file for reading without following a link at its last step (one swapped in after the check). */
export function openImportFile(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
}

/**
 * Reads the records of a CSV or JSONL file one at a time, from any record boundary, without ever
 * holding more of the file than one record and one read chunk.
 *
 * Record boundaries are found on the raw bytes, not on decoded text, so the byte offset of every
 * record is exact whatever the encoding and whatever the bytes hold (a resumed page starts at a
 * stored offset; decoded text cannot say how many bytes it came from once invalid bytes were
 * replaced). That is sound for the three encodings supported because the bytes that shape a record
 * — the double quote, CR and LF — are never part of a multibyte character in them: UTF-8 continuation
 * bytes are 0x80–0xBF, and Shift_JIS and GBK trail bytes are 0x40 and above. A delimiter byte of 0x40
 * or above ('|', '\\', '^' …) can be a Shift_JIS/GBK trail byte ("ポ" is 83 7C), so the scanner steps
 * over double-byte characters as a unit and only then looks at the delimiter.
 *
 * Each record's bytes are then decoded on their own (UTF-8 with fatal errors, so a file that is
 * really Shift_JIS is caught row by row instead of being stored as mojibake) and a CSV record's
 * fields are parsed by csv-parse. The scanner's quoting rule is csv-parse's with `relax_quotes`: a
 * double quote opens a quoted field only at the start of a field; inside it `""` is a quote and a
 * lone `"` closes it; a quote anywhere else is text. Lines end at LF, CRLF or CR outside quotes.
 */

export type FileFormat = 'csv' | 'jsonl';
export type FileEncoding = 'utf-8' | 'shift_jis' | 'gbk';

export const ENCODING_LABELS: Readonly<Record<FileEncoding, string>> = {
  'utf-8': 'UTF-8',
  shift_jis: 'Shift_JIS',
  gbk: 'GBK',
};

/** A record whose quotes never close, or a line without end, is cut off here rather than filling memory. */
export const MAX_RECORD_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export interface ReaderOptions {
  format: FileFormat;
  encoding: FileEncoding;
  /** CSV only: one ASCII character; default ','. */
  delimiter?: string;
  /** Where the first record to read starts: 0, or an offset the reader itself reported. */
  offset: number;
  /** Rows already read before `offset`; the next record is row `row + 1`. */
  row?: number;
  /** Called after every read from disk, so a long page can heartbeat. */
  onRead?: () => void;
  /** For tests; the defaults are CHUNK_BYTES and MAX_RECORD_BYTES. */
  chunkBytes?: number;
  maxRecordBytes?: number;
}

/** A record's bytes, without its line ending, and where it lies in the file. */
export interface RawRecord {
  ok: true;
  /** 1-based; blank lines count, so row N of a JSONL file is line N and row N of a CSV file is the Nth line after the header. */
  row: number;
  start: number;
  /** Where the next record starts (after the line ending). */
  end: number;
  bytes: Buffer;
}

/** A stretch of the file that is not a record: cut off at a line break so reading can go on. */
export interface BrokenRecord {
  ok: false;
  row: number;
  start: number;
  end: number;
  problem: 'unclosed-quote' | 'too-long';
}

type ScanState = 'field-start' | 'unquoted' | 'quoted';

interface RecordEnd {
  /** Index in the buffer where the content ends (the line ending starts). */
  contentEnd: number;
  /** Index in the buffer where the next record starts. */
  next: number;
}

/** Is this byte the first of a double-byte character (only Shift_JIS and GBK have them)? */
function leadByteTest(encoding: FileEncoding): ((byte: number) => boolean) | undefined {
  if (encoding === 'shift_jis') return (b) => (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
  if (encoding === 'gbk') return (b) => b >= 0x81 && b <= 0xfe;
  return undefined;
}

function trailByteTest(encoding: FileEncoding): (byte: number) => boolean {
  if (encoding === 'shift_jis') return (b) => (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfc);
  return (b) => (b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfe);
}

export class RecordReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** File offset of buffer[0]. */
  private bufferStart: number;
  /** Index in the buffer where the current record starts. */
  private recordStart = 0;
  /** Index in the buffer of the next byte to scan for the current record. */
  private scanAt = 0;
  private state: ScanState = 'field-start';
  /**
   * The first LF after the latest opening quote of the current record: if that quote never closes,
   * reading resumes after it (the quote is taken for a stray character).
   */
  private firstBreak = -1;
  private eof = false;
  private rowCount: number;
  private readonly delimiter: number;
  private readonly isLead: ((byte: number) => boolean) | undefined;
  private readonly isTrail: (byte: number) => boolean;
  private readonly chunkBytes: number;
  private readonly maxRecordBytes: number;
  private bomChecked: boolean;
  /** True when the file starts with a UTF-8 byte order mark (known once the first record is read from offset 0). */
  hadBom = false;

  private constructor(
    private readonly file: FileHandle,
    private readonly options: ReaderOptions,
  ) {
    this.bufferStart = options.offset;
    this.rowCount = options.row ?? 0;
    this.delimiter = (options.delimiter ?? ',').charCodeAt(0);
    this.isLead = leadByteTest(options.encoding);
    this.isTrail = trailByteTest(options.encoding);
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
    this.bomChecked = options.offset !== 0;
  }

  static async open(path: string, options: ReaderOptions): Promise<RecordReader> {
    const file = await openImportFile(path);
    return new RecordReader(file, options);
  }

  /** Where the next record starts: the resume offset to store in a cursor. */
  get offset(): number {
    return this.bufferStart + this.recordStart;
  }

  /** Rows read so far, blank lines included. */
  get row(): number {
    return this.rowCount;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** The next non-blank record, a broken stretch, or null at the end of the file. */
  async next(): Promise<RawRecord | BrokenRecord | null> {
    for (;;) {
      if (!this.bomChecked) {
        if (!(await this.fill(UTF8_BOM.length))) continue;
        this.bomChecked = true;
        if (this.buffer.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) {
          this.hadBom = true;
          this.recordStart = this.scanAt = UTF8_BOM.length;
        }
      }
      const end = this.options.format === 'csv' ? this.scanCsv() : this.scanLine();
      if (end !== undefined) {
        const record = this.take(end);
        if (record) return record;
        continue;
      }
      const pending = this.buffer.length - this.recordStart;
      if (this.eof) {
        if (pending === 0) return null;
        if (this.options.format === 'csv' && this.state === 'quoted') return this.broken('unclosed-quote');
        const record = this.take({ contentEnd: this.buffer.length, next: this.buffer.length });
        if (record) return record;
        continue;
      }
      if (pending > this.maxRecordBytes) return this.broken('too-long');
      await this.readMore();
    }
  }

  /** Reads until at least `bytes` bytes are buffered or the file ends; false when it read and should look again. */
  private async fill(bytes: number): Promise<boolean> {
    if (this.buffer.length - this.recordStart >= bytes || this.eof) return true;
    await this.readMore();
    return false;
  }

  private async readMore(): Promise<void> {
    const chunk = Buffer.allocUnsafe(this.chunkBytes);
    const position = this.bufferStart + this.buffer.length;
    const { bytesRead } = await this.file.read(chunk, 0, chunk.length, position);
    this.options.onRead?.();
    if (bytesRead === 0) {
      this.eof = true;
      return;
    }
    // Drop what earlier records used; records already handed out keep their own views of the old buffer.
    const kept = this.buffer.subarray(this.recordStart);
    this.buffer = Buffer.concat([kept, chunk.subarray(0, bytesRead)]);
    this.bufferStart += this.recordStart;
    this.scanAt -= this.recordStart;
    if (this.firstBreak >= 0) this.firstBreak -= this.recordStart;
    this.recordStart = 0;
  }

  /** Hands out the record that ends at `end`, or undefined when it was a blank line (counted, skipped). */
  private take(end: RecordEnd): RawRecord | undefined {
    const bytes = this.buffer.subarray(this.recordStart, end.contentEnd);
    const start = this.bufferStart + this.recordStart;
    this.rowCount += 1;
    this.startRecord(end.next);
    if (isBlank(bytes)) return undefined;
    return { ok: true, row: this.rowCount, start, end: this.bufferStart + end.next, bytes };
  }

  /**
   * The current record cannot be read (its quote never closes, or it is longer than the limit): it
   * is reported as one broken row, and reading resumes after the first line break that follows its
   * last opening quote — as if that quote were a stray character — or, with no line break after
   * it, at the next line.
   */
  private async broken(problem: BrokenRecord['problem']): Promise<BrokenRecord> {
    const start = this.bufferStart + this.recordStart;
    this.rowCount += 1;
    const row = this.rowCount;
    if (this.firstBreak >= 0) {
      this.startRecord(this.firstBreak + 1);
    } else {
      // One line longer than the limit: skip to its end without keeping it.
      for (;;) {
        const lf = this.buffer.indexOf(LF, this.scanAt);
        if (lf >= 0) {
          this.startRecord(lf + 1);
          break;
        }
        this.recordStart = this.scanAt = this.buffer.length;
        if (this.eof) break;
        await this.readMore();
      }
    }
    return { ok: false, row, start, end: this.offset, problem };
  }

  private startRecord(at: number): void {
    this.recordStart = at;
    this.scanAt = at;
    this.state = 'field-start';
    this.firstBreak = -1;
  }

  /** JSONL: a record ends at LF (a JSON text has no raw line breaks); a CR before it is dropped. */
  private scanLine(): RecordEnd | undefined {
    const lf = this.buffer.indexOf(LF, this.scanAt);
    if (lf < 0) {
      this.scanAt = this.buffer.length;
      return undefined;
    }
    const contentEnd = lf > this.recordStart && this.buffer[lf - 1] === CR ? lf - 1 : lf;
    return { contentEnd, next: lf + 1 };
  }

  /**
   * CSV: scans from where the last call stopped. It stops short of a byte it cannot judge without
   * the next one (a quote, a CR, a lead byte at the end of the buffer) until more is read or the file ends.
   */
  private scanCsv(): RecordEnd | undefined {
    const buffer = this.buffer;
    const length = buffer.length;
    const more = !this.eof;
    let i = this.scanAt;
    let state = this.state;
    try {
      while (i < length) {
        const byte = buffer[i]!;
        if (this.isLead?.(byte)) {
          if (i + 1 >= length && more) return undefined;
          i += i + 1 < length && this.isTrail(buffer[i + 1]!) ? 2 : 1;
          if (state === 'field-start') state = 'unquoted';
          continue;
        }
        if (state === 'quoted') {
          if (byte === QUOTE) {
            if (i + 1 >= length && more) return undefined;
            if (buffer[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            state = 'unquoted';
          } else if (byte === LF && this.firstBreak < 0) {
            this.firstBreak = i;
          }
          i += 1;
          continue;
        }
        if (byte === LF) return { contentEnd: i, next: i + 1 };
        if (byte === CR) {
          if (i + 1 >= length && more) return undefined;
          return { contentEnd: i, next: buffer[i + 1] === LF ? i + 2 : i + 1 };
        }
        if (byte === this.delimiter) state = 'field-start';
        else if (byte === QUOTE && state === 'field-start') {
          state = 'quoted';
          this.firstBreak = -1;
        } else state = 'unquoted';
        i += 1;
      }
      return undefined;
    } finally {
      this.scanAt = i;
      this.state = state;
    }
  }
}

/** An empty line, or one of only spaces and tabs: skipped (but counted) in both formats. */
function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The record's text, or undefined when its bytes are not valid in the encoding. Each record is
 * decoded whole, so no character is split across calls. iconv-lite turns invalid Shift_JIS/GBK
 * bytes into U+FFFD, which neither encoding can hold.
 */
export function decodeRecord(bytes: Buffer, encoding: FileEncoding): string | undefined {
  if (encoding === 'utf-8') {
    try {
      return utf8.decode(bytes);
    } catch {
      return undefined;
    }
  }
  const text = iconv.decode(bytes, encoding, { stripBOM: false });
  return text.includes('\uFFFD') ? undefined : text;
}

/** "row 3: not valid UTF-8: check the file's encoding setting (is it Shift_JIS or GBK?)" */
export function encodingRule(encoding: FileEncoding): string {
  const others = (Object.keys(ENCODING_LABELS) as FileEncoding[])
    .filter((e) => e !== encoding)
    .map((e) => ENCODING_LABELS[e]);
  return `not valid ${ENCODING_LABELS[encoding]}: check the file's encoding setting (is it ${others.join(' or ')}?)`;
}

// ---------------------------------------------------------------------------------------------
// CSV fields
// ---------------------------------------------------------------------------------------------

export type ParsedFields = { ok: true; fields: string[] } | { ok: false; reason: string };

const CSV_OPTIONS = {
  relax_quotes: true,
  relax_column_count: true,
  record_delimiter: '\n',
  skip_empty_lines: false,
} as const;

/**
 * The fields of CSV records the reader has already delimited, parsed together by csv-parse (one
 * parser for a batch is ten times faster than one per record). If the parser does not see exactly
 * the same records — it cannot, by the shared quoting rule, but a parser is not ours to promise —
 * the batch is parsed record by record and any record that does not come out as one is rejected.
 */
export function parseCsvRecords(texts: readonly string[], delimiter: string): ParsedFields[] {
  if (texts.length === 0) return [];
  const options = { ...CSV_OPTIONS, delimiter };
  try {
    const records = parseCsv(texts.join('\n'), options) as string[][];
    if (records.length === texts.length) return records.map((fields) => ({ ok: true, fields }));
  } catch {
    // Fall through to one record at a time, which names the record that failed.
  }
  return texts.map((text) => {
    try {
      const records = parseCsv(text, options) as string[][];
      const [fields] = records;
      if (records.length === 1 && fields) return { ok: true, fields };
      return { ok: false, reason: 'could not be read as one CSV record: check its quotes' };
    } catch (error) {
      // csv-parse's messages quote field values; only its code is kept.
      const code = (error as { code?: unknown }).code;
      return {
        ok: false,
        reason: `could not be read as a CSV record (${typeof code === 'string' ? code : 'parse error'}): check its quotes`,
      };
    }
  });
}
