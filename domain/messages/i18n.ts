import IntlMessageFormat from 'intl-messageformat';

/**
 * How Meridian speaks to people in their language, whatever it says: the locales offered, locale
 * negotiation, rendering of ICU MessageFormat catalogues (intl-messageformat), and dates. A set of
 * messages (the privacy portal's in domain/messages/privacy/, the console's later) is one catalogue
 * file per locale beside an English reference; `catalogueSet()` turns them into `t()`.
 *
 * Dates are formatted here with Intl.DateTimeFormat in the reader's locale (Thai gets the Buddhist
 * calendar, Japanese 年月日, Arabic its month names) and passed into messages as text, so a
 * YYYY-MM-DD due date is never shifted a day by the server's time zone.
 */

// ---------------------------------------------------------------------------------------------
// Locales
// ---------------------------------------------------------------------------------------------

/** Arabic is offered so that right-to-left pages are exercised, not only supported in theory. */
export const SUPPORTED_LOCALES = [
  'en',
  'de',
  'fr',
  'es',
  'pt-BR',
  'ja',
  'ko',
  'zh-Hans',
  'zh-Hant',
  'th',
  'ar',
] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

export const DEFAULT_LOCALE: Locale = 'en';

/** Each locale's name in its own language, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
  ja: '日本語',
  ko: '한국어',
  'zh-Hans': '简体中文',
  'zh-Hant': '繁體中文',
  th: 'ไทย',
  ar: 'العربية',
};

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

export function isLocale(value: unknown): value is Locale {
  return (SUPPORTED_LOCALES as readonly unknown[]).includes(value);
}

/** 'rtl' for scripts written right to left (Arabic, Hebrew, Persian …), else 'ltr'. */
export function textDirection(locale: string): 'ltr' | 'rtl' {
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? '';
  return RTL_LANGUAGES.has(language) ? 'rtl' : 'ltr';
}

/** A supported locale for one BCP 47 tag, or undefined: 'pt' → 'pt-BR', 'zh-TW' → 'zh-Hant', 'zh' → 'zh-Hans'. */
function matchTag(tag: string): Locale | undefined {
  let parsed: Intl.Locale;
  try {
    parsed = new Intl.Locale(tag.trim().replace(/_/g, '-'));
  } catch {
    return undefined;
  }
  const exact = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === parsed.baseName.toLowerCase());
  if (exact) return exact;
  if (parsed.language === 'zh') {
    // The script decides, and maximize() knows it: zh-TW and zh-HK are Hant, zh-CN, zh-SG and bare zh are Hans.
    const script = parsed.script ?? parsed.maximize().script;
    return script === 'Hant' ? 'zh-Hant' : 'zh-Hans';
  }
  return SUPPORTED_LOCALES.find((l) => l === parsed.language || l.startsWith(`${parsed.language}-`));
}

/**
 * The locale to answer in. An explicit choice (`requested`, e.g. the `?lang=` of the language
 * switcher or a saved preference) wins when it names something we have; otherwise the
 * Accept-Language header, highest q first; otherwise English.
 */
export function negotiateLocale(acceptLanguage: string | undefined, requested?: string): Locale {
  if (requested) {
    const chosen = matchTag(requested);
    if (chosen) return chosen;
  }
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .slice(0, 1024)
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const weight = q === undefined ? 1 : Number(q);
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.tag !== '*' && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const range of ranges) {
    const match = matchTag(range.tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}

// ---------------------------------------------------------------------------------------------
// Catalogue sets
// ---------------------------------------------------------------------------------------------

export type MessageValues = Record<string, string | number>;

/** What a message asks for, by kind: `plural`/`number` need a number, `select` one of its options, `text` any string. */
export type ArgumentKind = 'text' | 'number' | 'plural' | 'select' | 'date';

export interface CatalogueSet<Key extends string> {
  /** Every locale's catalogue, English first. */
  readonly catalogues: Readonly<Record<Locale, { readonly [K in Key]: string }>>;
  /** The keys of the English reference catalogue. */
  readonly keys: readonly Key[];
  /** The message `key` in `locale`, as plain text (callers escape it for HTML). */
  t(locale: Locale, key: Key, values?: MessageValues): string;
  /** The arguments a message takes, by kind. Used to check that every translation asks for what English asks for. */
  messageArguments(locale: Locale, key: Key): Record<string, ArgumentKind>;
  /** The options of each `select` argument of a message, sorted (plural options follow each language's rules instead). */
  selectOptions(locale: Locale, key: Key): Record<string, string[]>;
}

// Element types of @formatjs/icu-messageformat-parser: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural.
const ARGUMENT_KINDS: Record<number, ArgumentKind> = {
  1: 'text',
  2: 'number',
  3: 'date',
  4: 'date',
  5: 'select',
  6: 'plural',
};
const SELECT = 5;
type Element = { type: number; value?: unknown; options?: Record<string, { value: Element[] }>; children?: Element[] };

function walk(elements: Element[], visit: (element: Element) => void): void {
  for (const element of elements) {
    visit(element);
    for (const option of Object.values(element.options ?? {})) walk(option.value, visit);
    if (element.children) walk(element.children, visit);
  }
}

/**
 * One set of messages, e.g. the privacy portal's. `folder` names where its catalogue files live,
 * for the error that says where a message is missing.
 */
export function catalogueSet<Key extends string>(
  catalogues: Readonly<Record<Locale, { readonly [K in Key]: string }>>,
  folder: string,
): CatalogueSet<Key> {
  const formatters = new Map<string, IntlMessageFormat>();

  function formatterFor(locale: Locale, key: Key): IntlMessageFormat {
    const cacheKey = `${locale}\u0000${key}`;
    let formatter = formatters.get(cacheKey);
    if (!formatter) {
      const source = catalogues[locale]?.[key];
      if (source === undefined)
        throw new Error(`no message "${key}" in the ${locale} catalogue: add it to ${folder}/${locale}.ts`);
      // Tags are not part of our messages; with ignoreTag a "<" in a translation is plain text.
      formatter = new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
      formatters.set(cacheKey, formatter);
    }
    return formatter;
  }

  const ast = (locale: Locale, key: Key) => formatterFor(locale, key).getAst() as unknown as Element[];

  return {
    catalogues,
    keys: Object.keys(catalogues.en) as Key[],
    t(locale, key, values) {
      const formatter = formatterFor(locale, key);
      let result: unknown;
      try {
        result = formatter.format(values);
      } catch (error) {
        throw new Error(`message "${key}" (${locale}) could not be rendered: ${(error as Error).message}`);
      }
      if (typeof result !== 'string') throw new Error(`message "${key}" (${locale}) did not render to text`);
      return result;
    },
    messageArguments(locale, key) {
      const found: Record<string, ArgumentKind> = {};
      walk(ast(locale, key), (element) => {
        const kind = ARGUMENT_KINDS[element.type];
        if (kind && typeof element.value === 'string')
          found[element.value] = found[element.value] === 'plural' ? 'plural' : kind;
      });
      return found;
    },
    selectOptions(locale, key) {
      const found: Record<string, string[]> = {};
      walk(ast(locale, key), (element) => {
        if (element.type === SELECT && typeof element.value === 'string')
          found[element.value] = Object.keys(element.options ?? {}).sort();
      });
      return found;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function toInstant(value: string | Date, what: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new Error(`${what} "${String(value)}" is not a date: give YYYY-MM-DD or an ISO 8601 instant`);
  return date;
}

/**
 * A day in the reader's words: "9 April 2025", "2025年4月9日", "9 เมษายน 2568". A YYYY-MM-DD value is a
 * calendar date and is shown as is; an instant is shown as its date in `timeZone`.
 */
export function formatDate(locale: Locale, value: string | Date, timeZone = 'UTC'): string {
  const local = typeof value === 'string' ? LOCAL_DATE.exec(value) : null;
  if (local) {
    const [, y, m, d] = local;
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (day.getUTCMonth() !== Number(m) - 1) throw new Error(`"${String(value)}" is not a calendar date`);
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(day);
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(toInstant(value, 'date'));
}

/** An instant with its time and zone in the reader's words, for deadlines that end at a moment (cooling-off, link expiry). */
export function formatDateTime(locale: Locale, value: string | Date, timeZone = 'UTC'): string {
  if (typeof value === 'string' && LOCAL_DATE.test(value)) return formatDate(locale, value);
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(toInstant(value, 'time'));
}
