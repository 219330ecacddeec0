import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import IntlMessageFormat from 'intl-messageformat';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type CatalogueSet, type Locale, SUPPORTED_LOCALES } from '../../domain/messages/i18n';
import { PRIVACY_MESSAGES } from '../../domain/privacy-messages';
import { LOYALTY_MESSAGES } from '../../domain/loyalty-messages';
import { CONSOLE_MESSAGES } from '../../domain/console-messages';

/**
 * Parity of every catalogue set: each locale is one file in the set's folder, with the English
 * file's keys, the same ICU arguments per message, the same select options, plural options the
 * language has, and valid ICU syntax. A new set of messages (the console's) adds one line here.
 */
const SETS: { name: string; folder: string; set: CatalogueSet<string>; type: string }[] = [
  {
    name: 'privacy',
    folder: 'domain/messages/privacy',
    set: PRIVACY_MESSAGES as CatalogueSet<string>,
    type: 'PrivacyCatalogue',
  },
  {
    name: 'loyalty',
    folder: 'domain/messages/loyalty',
    set: LOYALTY_MESSAGES as CatalogueSet<string>,
    type: 'LoyaltyCatalogue',
  },
  {
    name: 'console',
    folder: 'domain/messages/console',
    set: CONSOLE_MESSAGES as CatalogueSet<string>,
    type: 'ConsoleCatalogue',
  },
];

const ROOT = path.resolve(__dirname, '..', '..');
const numeric = (kind: string) => (kind === 'plural' || kind === 'number' ? 'numeric' : kind);

/** Plural options are the language's CLDR categories or exact matches (`=0`); `other` is required by ICU. */
function pluralOptions(source: string, locale: Locale): string[] {
  type Element = { type: number; options?: Record<string, { value: Element[] }>; children?: Element[] };
  const found: string[] = [];
  const walk = (elements: Element[]) => {
    for (const element of elements) {
      if (element.type === 6) found.push(...Object.keys(element.options ?? {}));
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(new IntlMessageFormat(source, locale, undefined, { ignoreTag: true }).getAst() as unknown as Element[]);
  return found;
}

describe.each(SETS)('the $name catalogues', ({ folder, set }) => {
  it('are one file per supported locale, and nothing else', () => {
    const files = readdirSync(path.join(ROOT, folder)).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(SUPPORTED_LOCALES.map((l) => `${l}.ts`).sort());
  });

  it.each(SUPPORTED_LOCALES)('%s has the English keys and nothing else, none empty', (locale) => {
    const catalogue = set.catalogues[locale];
    expect(Object.keys(catalogue).sort()).toEqual([...set.keys].sort());
    for (const key of set.keys) expect(catalogue[key]!.trim(), `${locale} ${key}`).not.toBe('');
  });

  it.each(SUPPORTED_LOCALES)('%s: every message is valid ICU and takes the arguments English takes', (locale) => {
    for (const key of set.keys) {
      const source = set.catalogues[locale][key]!;
      expect(
        () => new IntlMessageFormat(source, locale, undefined, { ignoreTag: true }),
        `${locale} ${key}`,
      ).not.toThrow();
      const english = Object.fromEntries(
        Object.entries(set.messageArguments('en', key)).map(([n, k]) => [n, numeric(k)]),
      );
      const translated = Object.fromEntries(
        Object.entries(set.messageArguments(locale, key)).map(([n, k]) => [n, numeric(k)]),
      );
      expect(translated, `${locale} ${key}: arguments`).toEqual(english);
      expect(set.selectOptions(locale, key), `${locale} ${key}: select options`).toEqual(set.selectOptions('en', key));
      const categories = new Set<string>(new Intl.PluralRules(locale).resolvedOptions().pluralCategories);
      for (const option of pluralOptions(source, locale)) {
        expect(categories.has(option) || /^=\d+$/.test(option), `${locale} ${key}: plural option "${option}"`).toBe(
          true,
        );
      }
    }
  });
});

describe('a catalogue that drifts from English fails the typecheck', () => {
  /** Typechecks the set's folder with one file's text replaced; returns the diagnostics' messages. */
  function typecheck(folder: string, file: string, edit: (source: string) => string): string[] {
    const dir = path.join(ROOT, folder);
    const target = path.join(dir, file);
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (name) => (path.resolve(name) === target ? edit(readFileSync(target, 'utf8')) : read(name));
    const program = ts.createProgram([path.join(dir, 'en.ts'), target], options, host);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it.each(SETS)(
    '$name: a missing key and an extra key are type errors; the files as they are typecheck',
    ({ folder, type }) => {
      expect(typecheck(folder, 'de.ts', (s) => s)).toEqual([]);
      const missing = typecheck(folder, 'de.ts', (s) => s.replace(/^\s*'[^']+':[^\n]*\n/m, ''));
      expect(missing.join('\n')).toMatch(new RegExp(`does not satisfy the expected type '${type}'`));
      const extra = typecheck(folder, 'de.ts', (s) => s.replace(/= \{\n/, "= {\n  'not.in.english': 'Extra',\n"));
      expect(extra.join('\n')).toMatch(new RegExp(`not\\.in\\.english'+ does not exist in type '${type}'`));
    },
    60_000,
  );
});
