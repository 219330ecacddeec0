import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { CONSOLE_MESSAGES, type ConsoleMessageKey } from '../../domain/console-messages';
import { type Locale, type MessageValues, negotiateLocale, textDirection } from '../../domain/messages/i18n';

/**
 * The console speaks the user's language through the same ICU catalogues as the privacy portal
 * (domain/messages/console/, one file per locale); numbers, money and dates go through Intl in
 * that locale, and times are shown in the user's time zone with the UTC instant on hover.
 */

export interface Words {
  locale: Locale;
  timeZone: string;
  t(key: ConsoleMessageKey, values?: MessageValues): string;
  number(value: number, options?: Intl.NumberFormatOptions): string;
  money(value: number, currency: string): string;
  percent(value: number): string;
  dateTime(value: string | Date): string;
  date(value: string): string;
}

export function wordsFor(preferred: string | undefined, timeZone: string | undefined): Words {
  const locale = negotiateLocale(undefined, preferred ?? navigator.language);
  const zone = validZone(timeZone) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const numbers = new Map<string, Intl.NumberFormat>();
  const nf = (options: Intl.NumberFormatOptions = {}) => {
    const key = JSON.stringify(options);
    let format = numbers.get(key);
    if (!format) numbers.set(key, (format = new Intl.NumberFormat(locale, options)));
    return format;
  };
  return {
    locale,
    timeZone: zone,
    t: (key, values) => CONSOLE_MESSAGES.t(locale, key, values),
    number: (value, options) => nf(options).format(value),
    money: (value, currency) => nf({ style: 'currency', currency }).format(value),
    percent: (value) => nf({ style: 'percent', maximumFractionDigits: 1 }).format(value),
    dateTime: (value) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(
        new Date(value),
      ),
    date: (value) =>
      /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(
            new Date(`${value}T00:00:00Z`),
          )
        : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: zone }).format(new Date(value)),
  };
}

function validZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** Sets <html lang dir> for the locale: Arabic is right to left. */
export function applyDocumentLocale(locale: Locale): void {
  document.documentElement.lang = locale;
  document.documentElement.dir = textDirection(locale);
}

const WordsContext = createContext<Words | undefined>(undefined);

export function WordsProvider({ words, children }: { words: Words; children: ReactNode }) {
  return <WordsContext.Provider value={words}>{children}</WordsContext.Provider>;
}

export function useWords(): Words {
  const words = useContext(WordsContext);
  if (!words) throw new Error('useWords outside WordsProvider');
  return words;
}

/** An instant in the user's zone; its UTC form on hover. */
export function Time({ value }: { value: string | Date | null | undefined }) {
  const w = useWords();
  const iso = useMemo(() => (value ? new Date(value).toISOString() : ''), [value]);
  if (!value) return <span>—</span>;
  return (
    <time dateTime={iso} title={`${iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z')} UTC`}>
      {w.dateTime(value)}
    </time>
  );
}
