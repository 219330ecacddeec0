import { describe, expect, it } from 'vitest';
import {
  formatDate,
  formatDateTime,
  type Locale,
  MESSAGE_KEYS,
  MESSAGES,
  type MessageKey,
  type MessageValues,
  messageArguments,
  negotiateLocale,
  purposeKey,
  PUBLIC_REQUEST_STATUSES,
  REQUEST_TYPES,
  requestStatusKey,
  requestTypeKey,
  SUPPORTED_LOCALES,
  PUBLIC_SYSTEM_STATUSES,
  systemStatusKey,
  t,
  textDirection,
} from '../../domain/privacy-messages';
import { PURPOSES } from '../../domain/consent';

/** Sample values for a message, from the arguments English asks for. */
function sampleValues(key: MessageKey, count = 3): MessageValues {
  const values: MessageValues = {};
  for (const [name, kind] of Object.entries(messageArguments('en', key))) {
    values[name] = kind === 'plural' || kind === 'number' ? count : kind === 'select' ? 'deletion' : `«${name}»`;
  }
  return values;
}

/** Letters of the script each non-Latin locale is written in: a message without any is untranslated. */
const SCRIPTS: Partial<Record<Locale, RegExp>> = {
  ja: /[\u3040-\u30ff\u4e00-\u9fff]/,
  ko: /[\uac00-\ud7af]/,
  'zh-Hans': /[\u4e00-\u9fff]/,
  'zh-Hant': /[\u4e00-\u9fff]/,
  th: /[\u0e00-\u0e7f]/,
  ar: /[\u0600-\u06ff]/,
};

/** Words that are the same in English and German; any other copy of the English text is a missing translation. */
const SAME_AS_ENGLISH: Partial<Record<Locale, MessageKey[]>> = {
  de: ['status.current', 'status.systems.system', 'status.systems.status'],
};

describe('catalogues', () => {
  it('offers the eleven locales, with Arabic as the right-to-left one', () => {
    expect(SUPPORTED_LOCALES).toEqual(['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ko', 'zh-Hans', 'zh-Hant', 'th', 'ar']);
    expect(SUPPORTED_LOCALES.filter((l) => textDirection(l) === 'rtl')).toEqual(['ar']);
    expect(textDirection('he-IL')).toBe('rtl');
    expect(textDirection('fa')).toBe('rtl');
  });

  // Keys, arguments and ICU syntax of every locale: test/unit/message-catalogues.test.ts.
  it.each(SUPPORTED_LOCALES)('%s: every message renders with the values English asks for', (locale) => {
    for (const key of MESSAGE_KEYS) {
      for (const count of [0, 1, 2, 5, 11]) {
        const text = t(locale, key, sampleValues(key, count));
        expect(text, `${locale} ${key}`).not.toMatch(/[{}]|undefined|NaN|TODO|TRANSLATE|\?\?\?/);
        for (const [name, kind] of Object.entries(messageArguments('en', key))) {
          if (kind === 'text') expect(text, `${locale} ${key} shows ${name}`).toContain(`«${name}»`);
        }
      }
    }
  });

  it.each(SUPPORTED_LOCALES.filter((l) => SCRIPTS[l]))('%s: every message is written in its own script', (locale) => {
    const script = SCRIPTS[locale]!;
    const untranslated = MESSAGE_KEYS.filter((key) => !script.test(t(locale, key, sampleValues(key))));
    expect(untranslated).toEqual([]);
  });

  it.each(['de', 'fr', 'es', 'pt-BR'] as const)('%s: no message is a copy of the English one', (locale) => {
    const copies = MESSAGE_KEYS.filter((key) => MESSAGES[locale][key] === MESSAGES.en[key]);
    expect(copies).toEqual(SAME_AS_ENGLISH[locale] ?? []);
  });

  it('has words for every request type, request status, system status and purpose', () => {
    for (const locale of SUPPORTED_LOCALES) {
      for (const type of REQUEST_TYPES) expect(t(locale, requestTypeKey(type))).not.toBe('');
      for (const status of PUBLIC_REQUEST_STATUSES) expect(t(locale, requestStatusKey(status))).not.toBe('');
      for (const status of PUBLIC_SYSTEM_STATUSES) expect(t(locale, systemStatusKey(status))).not.toBe('');
      for (const purpose of PURPOSES) {
        expect(t(locale, purposeKey(purpose))).not.toBe('');
        expect(t(locale, purposeKey(purpose, 'help'))).not.toBe('');
      }
    }
    // Statuses are distinct words, or a person could not tell them apart.
    for (const locale of SUPPORTED_LOCALES) {
      expect(new Set(PUBLIC_SYSTEM_STATUSES.map((s) => t(locale, systemStatusKey(s)))).size, locale).toBe(
        PUBLIC_SYSTEM_STATUSES.length,
      );
      expect(new Set(PUBLIC_REQUEST_STATUSES.map((s) => t(locale, requestStatusKey(s)))).size, locale).toBe(
        PUBLIC_REQUEST_STATUSES.length,
      );
    }
  });

  it('names a missing value instead of rendering a hole', () => {
    expect(() => t('en', 'status.deadline')).toThrow(/status\.deadline.*en/);
  });
});

describe('plural and select', () => {
  it('counts minutes until the code expires by each language’s plural rules', () => {
    expect(t('en', 'email.verification.expiry', { minutes: 1 })).toBe('The code and the link expire in 1 minute.');
    expect(t('en', 'email.verification.expiry', { minutes: 15 })).toBe('The code and the link expire in 15 minutes.');
    expect(t('de', 'email.verification.expiry', { minutes: 1 })).toContain('1 Minute lang');
    expect(t('de', 'email.verification.expiry', { minutes: 15 })).toContain('15 Minuten');
    expect(t('ja', 'email.verification.expiry', { minutes: 15 })).toBe('コードとリンクの有効期限は15分です。');
    // Arabic has six plural forms: one and two are words, 3–10 take the plural, 11–99 the singular.
    expect(t('ar', 'email.verification.expiry', { minutes: 1 })).toContain('دقيقة واحدة');
    expect(t('ar', 'email.verification.expiry', { minutes: 2 })).toContain('دقيقتين');
    expect(t('ar', 'email.verification.expiry', { minutes: 5 })).toContain('5 دقائق');
    expect(t('ar', 'email.verification.expiry', { minutes: 15 })).toContain('15 دقيقة');
  });

  it('counts the attempts left after a wrong code', () => {
    expect(t('en', 'verify.codeWrong.body', { attemptsLeft: 1 })).toContain('You have 1 attempt left.');
    expect(t('en', 'verify.codeWrong.body', { attemptsLeft: 4 })).toContain('You have 4 attempts left.');
    expect(t('es', 'verify.codeWrong.body', { attemptsLeft: 1 })).toContain('Le queda 1 intento.');
    expect(t('es', 'verify.codeWrong.body', { attemptsLeft: 3 })).toContain('Le quedan 3 intentos.');
  });

  it('agrees verbs with the counts in the certificate summary', () => {
    expect(t('en', 'status.certificate.summary', { total: 1, done: 1, nothingHeld: 0 })).toBe(
      'We checked 1 system for your data: 1 completed your request and 0 held no data about you.',
    );
    expect(t('fr', 'status.certificate.summary', { total: 3, done: 1, nothingHeld: 2 })).toBe(
      'Nous avons recherché vos données dans 3 systèmes\u00a0: 1 a traité votre demande et 2 ne détenaient aucune donnée vous concernant.',
    );
  });

  it('says what was done for each request type when a request completes', () => {
    const intros = REQUEST_TYPES.map((type) => t('en', 'email.completed.intro', { type }));
    expect(new Set(intros).size).toBe(REQUEST_TYPES.length);
    expect(t('en', 'email.completed.intro', { type: 'deletion' })).toMatch(/deleted your personal data/);
    expect(t('en', 'email.completed.intro', { type: 'other' })).toBe('We have completed your request.');
    expect(t('ja', 'email.completed.intro', { type: 'access' })).toBe('お客様の情報のコピーをご用意しました。');
  });
});

describe('negotiateLocale', () => {
  it.each([
    [undefined, undefined, 'en'],
    ['', undefined, 'en'],
    ['pt', undefined, 'pt-BR'],
    ['pt-PT', undefined, 'pt-BR'],
    ['zh-TW', undefined, 'zh-Hant'],
    ['zh-HK', undefined, 'zh-Hant'],
    ['zh-MO', undefined, 'zh-Hant'],
    ['zh-Hant', undefined, 'zh-Hant'],
    ['zh-CN', undefined, 'zh-Hans'],
    ['zh', undefined, 'zh-Hans'],
    ['zh-SG', undefined, 'zh-Hans'],
    ['zh-Hans-HK', undefined, 'zh-Hans'],
    ['de-AT,de;q=0.9,en;q=0.5', undefined, 'de'],
    ['en-GB', undefined, 'en'],
    ['ja-JP', undefined, 'ja'],
    ['ar-EG', undefined, 'ar'],
    ['th-TH', undefined, 'th'],
    ['ko-KR', undefined, 'ko'],
    ['es-419', undefined, 'es'],
    ['fr-CA', undefined, 'fr'],
    // Preference order is by q, not by position.
    ['nl;q=0.9, fr;q=0.2, ja;q=0.5', undefined, 'ja'],
    // q=0 means "not this one".
    ['ko;q=0, th', undefined, 'th'],
    // Nothing we offer, or nonsense: English.
    ['nl-BE, sv', undefined, 'en'],
    ['*', undefined, 'en'],
    ['!!, 12345', undefined, 'en'],
    // An explicit choice wins over the header, if we offer it.
    ['de', 'ja', 'ja'],
    ['de', 'zh-TW', 'zh-Hant'],
    ['de', 'xx', 'de'],
    [undefined, 'pt', 'pt-BR'],
  ] as const)('Accept-Language %j, requested %j → %s', (header, requested, expected) => {
    expect(negotiateLocale(header, requested)).toBe(expected);
  });
});

describe('dates in the reader’s locale', () => {
  const deadline = (locale: Locale) => t(locale, 'status.deadline', { date: formatDate(locale, '2025-04-09') });

  it('writes the deadline line with the local calendar and month names', () => {
    expect(deadline('en')).toBe('We will answer by April 9, 2025.');
    expect(deadline('de')).toBe('Wir antworten Ihnen bis zum 9. April 2025.');
    expect(deadline('ja')).toBe('2025年4月9日までにご回答します。');
    // Thai dates use the Buddhist era: 2025 CE is 2568 BE.
    expect(deadline('th')).toContain('9 เมษายน 2568');
    expect(deadline('th')).not.toContain('2025');
    expect(deadline('ar')).toContain('أبريل');
    expect(deadline('ko')).toContain('2025년 4월 9일');
  });

  it('keeps a calendar date on its day, and shows an instant in the given zone', () => {
    expect(formatDate('en', '2025-01-01')).toBe('January 1, 2025');
    expect(formatDate('en', '2025-04-09T20:00:00Z', 'Asia/Tokyo')).toBe('April 10, 2025');
    expect(formatDateTime('ja', '2025-04-09T20:00:00Z', 'Asia/Tokyo')).toMatch(/^2025年4月10日 5:00/);
    expect(() => formatDate('en', '2025-02-30')).toThrow(/not a calendar date/);
    expect(() => formatDate('en', 'soon')).toThrow(/YYYY-MM-DD/);
  });
});
