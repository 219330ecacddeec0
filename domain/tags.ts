import { z } from 'zod';
import { brandIdSchema } from './brands';
import { extractIdentifiers, ExtractionOptions, Identifier } from './identifiers';

/**
 * Tags, central and local (issue 11 §4): a key, labels per language, an owner (`group` — central,
 * applies in every region — or a region — local, only there), an optional brand, and where the
 * tag comes from: a rule (a segment's membership), a model (a prediction) or a manual upload.
 * Pure: the schemas the admin API parses with, and the reading of an upload into rows.
 */

export const TAG_SOURCES = ['rule', 'model', 'manual'] as const;
export type TagSource = (typeof TAG_SOURCES)[number];

/** The owner of a central tag; a local tag's owner is its region's name. */
export const GROUP_OWNER = 'group';

export const tagKeySchema = z
  .string({ error: 'give the tag a key, a slug such as "vip-2025"' })
  .regex(/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/, {
    error: 'must be a slug: 1 to 64 lowercase letters, digits, _ or -, not starting or ending with _ or -',
  });

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/**
 * A language tag as BCP 47 defines it, in its canonical form ("en-us" → "en-US"), whose language
 * is one the Unicode CLDR knows (so "english", well-formed but no language, is refused); undefined
 * if not.
 */
export function canonicalLanguageTag(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (!canonical || LANGUAGE_NAMES.of(new Intl.Locale(canonical).language) === undefined) return undefined;
    return canonical;
  } catch {
    return undefined;
  }
}

/** Labels per language: at least one, keys BCP 47 language tags (stored canonical), values 1–200 characters. */
export const tagLabelsSchema = z
  .record(
    z.string(),
    z
      .string({ error: 'a label must be text' })
      .trim()
      .min(1, 'a label must not be empty')
      .max(200, 'a label must be at most 200 characters'),
    { error: 'give labels per language, e.g. {"en": "VIP", "ja": "VIP会員"}' },
  )
  .superRefine((labels, ctx) => {
    if (Object.keys(labels).length === 0)
      ctx.addIssue({ code: 'custom', message: 'give at least one label, e.g. {"en": "VIP"}' });
    for (const key of Object.keys(labels))
      if (canonicalLanguageTag(key) === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'each key must be a BCP 47 language tag, e.g. "en", "de-CH", "zh-Hant"',
        });
  })
  .transform((labels) => {
    const canonical: Record<string, string> = {};
    for (const [key, label] of Object.entries(labels)) canonical[canonicalLanguageTag(key)!] = label;
    return canonical;
  });

const segmentIdSchema = z
  .string({ error: 'a rule tag names its segment: give segmentId' })
  .min(1, 'a rule tag names its segment: give segmentId')
  .max(128, 'must be at most 128 characters');
const modelSchema = z
  .string({ error: 'a model tag names its model: give model, e.g. "churn-risk"' })
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, {
    error: 'must be a model name: 1 to 64 lowercase letters, digits, _, . or -',
  });

/** A new tag; `regions` are the deployment's data regions (a local tag's owner must be one). */
export function tagInputSchema(regions: readonly string[]) {
  const owner = z
    .string({ error: `give the owner: "${GROUP_OWNER}" (a central tag) or a region (${regions.join(', ')})` })
    .refine((o) => o === GROUP_OWNER || regions.includes(o), {
      error: `must be "${GROUP_OWNER}" (a central tag, every region) or a data region: ${regions.join(', ')}`,
    });
  const common = {
    key: tagKeySchema,
    labels: tagLabelsSchema,
    owner,
    brandId: brandIdSchema.nullable().optional(),
  };
  return z.discriminatedUnion(
    'source',
    [
      z.strictObject({ ...common, source: z.literal('rule'), segmentId: segmentIdSchema }),
      z.strictObject({ ...common, source: z.literal('model'), model: modelSchema }),
      z.strictObject({ ...common, source: z.literal('manual') }),
    ],
    { error: 'must be "rule" (with segmentId), "model" (with model) or "manual" (uploads)' },
  );
}
export type TagInput = z.output<ReturnType<typeof tagInputSchema>>;

/** What a tag's update may change: its labels, brand, and the segment or model it follows. Key, owner and source stay. */
export const tagChangeSchema = z
  .strictObject({
    labels: tagLabelsSchema.optional(),
    brandId: brandIdSchema.nullable().optional(),
    segmentId: segmentIdSchema.optional(),
    model: modelSchema.optional(),
  })
  .refine((c) => Object.keys(c).length > 0, {
    error: 'nothing to change: send labels, brandId, segmentId (rule tags) or model (model tags)',
  });
export type TagChange = z.output<typeof tagChangeSchema>;

// ---------------------------------------------------------------------------------------------
// Manual uploads: who carries the tag, as customer IDs or identifiers
// ---------------------------------------------------------------------------------------------

/** Rows an upload may hold; more is refused whole (split the file). */
export const MAX_UPLOAD_ROWS = 50_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The columns an upload may have (case and _ insensitive), and what each is. */
const COLUMNS: Record<string, 'customerId' | 'email' | 'phone' | 'userId' | 'country'> = {
  customerid: 'customerId',
  email: 'email',
  phone: 'phone',
  userid: 'userId',
  country: 'country',
};
type Column = (typeof COLUMNS)[string];

/** One good row: the person as a customer ID, or the identifiers to look them up by. */
export interface UploadRow {
  /** The CSV line (the header is line 1), or the JSON item's position from 1. */
  line: number;
  customerId?: string;
  identifiers: Identifier[];
}

/** A row refused: where, and why (never the value). */
export interface BadUploadRow {
  line: number;
  reason: string;
}

export type ParsedUpload = { ok: true; rows: UploadRow[]; bad: BadUploadRow[] } | { ok: false; reason: string };

/** Splits one CSV line (RFC 4180 quotes: "a,b" and "" inside quotes); undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  if (quoted) return undefined;
  cells.push(cell.trim());
  return cells;
}

/** A row's values by column → the person, or the reason it cannot name one. */
function rowOf(
  line: number,
  values: Partial<Record<Column, string>>,
  options: ExtractionOptions,
): UploadRow | BadUploadRow {
  const present = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
  let customerId: string | undefined;
  if (present(values.customerId)) {
    if (!UUID.test(values.customerId.trim())) return { line, reason: 'customerId: is not a customer ID (a UUID)' };
    customerId = values.customerId.trim().toLowerCase();
  }
  const country = present(values.country) ? values.country.trim().toUpperCase() : undefined;
  if (country !== undefined && !/^[A-Z]{2}$/.test(country))
    return { line, reason: 'country: must be an ISO 3166-1 alpha-2 country code (read the phone number with it)' };
  const traits: Record<string, unknown> = {};
  if (present(values.email)) traits.email = values.email;
  if (present(values.phone)) traits.phone = values.phone;
  const { identifiers, rejected } = extractIdentifiers(
    { ...(present(values.userId) ? { userId: values.userId } : {}), traits },
    country ? { country } : {},
    options,
  );
  // Every identifier given must be good: a half-read row would tag on a guess.
  if (rejected.length > 0) {
    const column = rejected[0]!.type === 'user_id' ? 'userId' : rejected[0]!.type;
    return { line, reason: `${column}: ${rejected[0]!.reason}` };
  }
  if (!customerId && identifiers.length === 0)
    return { line, reason: 'no identifier: give customerId, email, phone or userId' };
  return { line, ...(customerId ? { customerId } : {}), identifiers };
}

const isBad = (row: UploadRow | BadUploadRow): row is BadUploadRow => 'reason' in row;

/**
 * Reads a CSV upload: a header naming the columns (customerId, email, phone, userId, and country as
 * the hint for phone numbers written without +), or no header and one column of customer IDs.
 * Empty lines are skipped; a bad line is reported by its number and the rest are kept.
 */
export function parseCsvUpload(text: string, options: ExtractionOptions = {}): ParsedUpload {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const firstIndex = lines.findIndex((l) => l.trim() !== '');
  if (firstIndex < 0)
    return { ok: false, reason: 'body: the CSV is empty: give a header (e.g. "email") and one row per person' };
  const header = splitCsvLine(lines[firstIndex]!) ?? [];
  let columns: (Column | undefined)[];
  let start: number;
  if (header.length === 1 && UUID.test(header[0]!)) {
    columns = ['customerId'];
    start = firstIndex;
  } else {
    columns = header.map((h) => COLUMNS[h.toLowerCase().replace(/[_\s-]/g, '')]);
    const unknown = header.findIndex((_, i) => columns[i] === undefined);
    if (unknown >= 0)
      return {
        ok: false,
        reason: `header: column ${unknown + 1} is not one of customerId, email, phone, userId, country (line ${firstIndex + 1} must name the columns)`,
      };
    if (!columns.some((c) => c !== 'country'))
      return { ok: false, reason: 'header: name at least one of customerId, email, phone, userId' };
    start = firstIndex + 1;
  }
  const rows: UploadRow[] = [];
  const bad: BadUploadRow[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i]!.trim() === '') continue;
    if (rows.length + bad.length >= MAX_UPLOAD_ROWS)
      return { ok: false, reason: `body: more than ${MAX_UPLOAD_ROWS} rows: split the file` };
    const cells = splitCsvLine(lines[i]!);
    if (!cells) {
      bad.push({ line, reason: 'a quoted value is not closed: end it with "' });
      continue;
    }
    if (cells.length !== columns.length) {
      bad.push({ line, reason: `has ${cells.length} values, the header ${columns.length}` });
      continue;
    }
    const values: Partial<Record<Column, string>> = {};
    columns.forEach((column, c) => (values[column!] = cells[c]));
    const row = rowOf(line, values, options);
    if (isBad(row)) bad.push(row);
    else rows.push(row);
  }
  return { ok: true, rows, bad };
}

/**
 * Reads a JSON upload: an array of customer IDs (strings) or of objects
 * `{ customerId?, email?, phone?, userId?, country? }`. Positions count from 1.
 */
export function parseJsonUpload(body: unknown, options: ExtractionOptions = {}): ParsedUpload {
  if (!Array.isArray(body))
    return {
      ok: false,
      reason: 'body: send a JSON array of customer IDs or of { email | phone | userId | customerId }',
    };
  if (body.length > MAX_UPLOAD_ROWS) return { ok: false, reason: `body: more than ${MAX_UPLOAD_ROWS} items: split it` };
  const rows: UploadRow[] = [];
  const bad: BadUploadRow[] = [];
  body.forEach((item, index) => {
    const line = index + 1;
    let values: Partial<Record<Column, string>>;
    if (typeof item === 'string') values = { customerId: item };
    else if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const entries = Object.entries(item as Record<string, unknown>);
      const unknown = entries.find(([k]) => !(k in { customerId: 1, email: 1, phone: 1, userId: 1, country: 1 }));
      if (unknown) {
        bad.push({ line, reason: 'has a field that is not customerId, email, phone, userId or country' });
        return;
      }
      if (entries.some(([, v]) => typeof v !== 'string')) {
        bad.push({ line, reason: 'every value must be text' });
        return;
      }
      values = item as Partial<Record<Column, string>>;
    } else {
      bad.push({ line, reason: 'must be a customer ID or an object { email | phone | userId | customerId }' });
      return;
    }
    const row = rowOf(line, values, options);
    if (isBad(row)) bad.push(row);
    else rows.push(row);
  });
  return { ok: true, rows, bad };
}
