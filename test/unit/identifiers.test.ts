import { describe, expect, it } from 'vitest';
import {
  CORE_IDENTIFIER_TYPES,
  DEFAULT_BLOCKED_VALUES,
  countryFromLocale,
  extractIdentifiers,
  isBlockedValue,
  isIdentifierType,
  normaliseAnonymousId,
  normaliseEmail,
  normaliseName,
  normalisePhone,
  normalisePlatformId,
  normaliseUserId,
  PLATFORM_IDENTIFIER_TYPES,
} from '../../domain/identifiers';

const IDFA = '6D92078A-8246-4BA4-AE5B-76104861E7DC';
const GAID = '38400000-8CF0-11BD-B23E-10B96E40000D';
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

describe('identifier types', () => {
  it('lists the core and namespaced platform types', () => {
    expect(CORE_IDENTIFIER_TYPES).toEqual(['user_id', 'anonymous_id', 'email', 'phone']);
    expect(PLATFORM_IDENTIFIER_TYPES).toEqual([
      'shopify_customer',
      'amazon_buyer',
      'shopee_user',
      'lazada_user',
      'line_user',
      'tiktok_user',
      'meta_user',
      'google_user',
      'idfa',
      'gaid',
      'klaviyo_profile',
      'braze_user',
      'tiktok_shop_buyer',
      'hubspot_contact',
    ]);
  });

  it('recognises only those types', () => {
    expect(isIdentifierType('email')).toBe(true);
    expect(isIdentifierType('shopify_customer')).toBe(true);
    expect(isIdentifierType('idfa')).toBe(true);
    expect(isIdentifierType('shopify_customer_id')).toBe(false);
    expect(isIdentifierType('Email')).toBe(false);
    expect(isIdentifierType('')).toBe(false);
  });
});

describe('normaliseEmail', () => {
  it('trims, lower-cases and composes (NFC)', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM \n')).toEqual({ ok: true, value: 'jane.doe@example.com' });
    // 'e' + combining acute (NFD, as macOS keyboards produce) equals the precomposed 'é'.
    expect(normaliseEmail('Jose\u0301@example.com')).toEqual({ ok: true, value: 'jos\u00e9@example.com' });
  });

  it('treats an internationalised domain and its punycode form as the same domain', () => {
    const unicode = normaliseEmail('user@bücher.de');
    const punycode = normaliseEmail('user@xn--bcher-kva.de');
    expect(unicode).toEqual({ ok: true, value: 'user@xn--bcher-kva.de' });
    expect(punycode).toEqual(unicode);
    expect(normaliseEmail('USER@BÜCHER.DE')).toEqual(unicode);
    // Japanese domain, written with an ideographic full stop.
    expect(normaliseEmail('taro@例え。jp')).toEqual({ ok: true, value: 'taro@xn--r8jz45g.jp' });
  });

  it('keeps a Unicode local part in Unicode, lower-cased', () => {
    expect(normaliseEmail('ÜSER@bücher.de')).toEqual({ ok: true, value: 'üser@xn--bcher-kva.de' });
    expect(normaliseEmail('用户@例子.中国')).toEqual({ ok: true, value: '用户@xn--fsqu00a.xn--fiqs8s' });
  });

  it('leaves Gmail dots and googlemail.com alone unless the Gmail rule is on', () => {
    expect(normaliseEmail('Jane.Doe@googlemail.com')).toEqual({ ok: true, value: 'jane.doe@googlemail.com' });
    expect(normaliseEmail('Jane.Doe@gmail.com')).toEqual({ ok: true, value: 'jane.doe@gmail.com' });
    const gmail = { gmailDotsInsensitive: true };
    expect(normaliseEmail('Jane.Doe@googlemail.com', gmail)).toEqual({ ok: true, value: 'janedoe@gmail.com' });
    expect(normaliseEmail('j.a.n.e.doe@gmail.com', gmail)).toEqual({ ok: true, value: 'janedoe@gmail.com' });
    // Other providers treat dots as significant.
    expect(normaliseEmail('jane.doe@outlook.com', gmail)).toEqual({ ok: true, value: 'jane.doe@outlook.com' });
    // The rule does not strip plus tags by itself.
    expect(normaliseEmail('jane.doe+x@gmail.com', gmail)).toEqual({ ok: true, value: 'janedoe+x@gmail.com' });
  });

  it('strips +tags only when plus addressing is opted in, for any domain', () => {
    expect(normaliseEmail('jane+news@example.com')).toEqual({ ok: true, value: 'jane+news@example.com' });
    const plus = { plusAddressingInsensitive: true };
    expect(normaliseEmail('jane+news@example.com', plus)).toEqual({ ok: true, value: 'jane@example.com' });
    expect(normaliseEmail('jane+a+b@fastmail.fm', plus)).toEqual({ ok: true, value: 'jane@fastmail.fm' });
    // A '+' that starts the local part is the name itself, not a tag.
    expect(normaliseEmail('+jane@example.com', plus)).toEqual({ ok: true, value: '+jane@example.com' });
    expect(
      normaliseEmail('J.Ane+Promo@GoogleMail.com', { gmailDotsInsensitive: true, plusAddressingInsensitive: true }),
    ).toEqual({ ok: true, value: 'jane@gmail.com' });
  });

  it('rejects malformed addresses with a reason that says what to fix', () => {
    expect(normaliseEmail('')).toEqual({
      ok: false,
      reason: 'email is empty: send the address or leave the field out',
    });
    expect(normaliseEmail('   ')).toEqual({
      ok: false,
      reason: 'email is empty: send the address or leave the field out',
    });
    expect(normaliseEmail('jane.example.com')).toEqual({
      ok: false,
      reason: 'email must contain exactly one @: check that the field holds a single address',
    });
    expect(normaliseEmail('jane@doe@example.com')).toEqual({
      ok: false,
      reason: 'email must contain exactly one @: check that the field holds a single address',
    });
    expect(normaliseEmail('@example.com')).toEqual({
      ok: false,
      reason: 'email has nothing before the @: send the full address',
    });
    expect(normaliseEmail('jane@localhost')).toEqual({
      ok: false,
      reason: 'email domain has no dot: send the full domain, such as example.com',
    });
    expect(normaliseEmail('jane@')).toEqual({
      ok: false,
      reason: 'email domain is not a valid domain name: check the part after the @',
    });
    expect(normaliseEmail('jane@exa%mple.com')).toEqual({
      ok: false,
      reason: 'email domain is not a valid domain name: check the part after the @',
    });
    expect(normaliseEmail('jane@example..com')).toEqual({
      ok: false,
      reason:
        'email domain has an empty part (two dots in a row, or a dot at the start or end): check the part after the @',
    });
    expect(normaliseEmail('jane doe@example.com')).toEqual({
      ok: false,
      reason: 'email contains spaces: send a single address without spaces or a display name',
    });
    expect(normaliseEmail('Jane <jane@example.com>')).toEqual({
      ok: false,
      reason: 'email contains spaces: send a single address without spaces or a display name',
    });
    // No-break space, as pasted from a web page.
    expect(normaliseEmail('jane\u00a0@example.com')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/spaces/),
    });
    expect(normaliseEmail('jane\u0000@example.com')).toEqual({
      ok: false,
      reason: 'email contains control characters: remove them before sending',
    });
    expect(normaliseEmail('ja\tne@example.com')).toEqual({
      ok: false,
      reason: 'email contains control characters: remove them before sending',
    });
  });

  it('rejects addresses longer than 254 characters, and accepts 254', () => {
    const domain = '@example.com'; // 12 characters
    expect(normaliseEmail('a'.repeat(242) + domain)).toEqual({ ok: true, value: 'a'.repeat(242) + domain });
    expect(normaliseEmail('a'.repeat(243) + domain)).toEqual({
      ok: false,
      reason: 'email is longer than 254 characters: check that the field holds a single address',
    });
  });
});

describe('normalisePhone', () => {
  it.each([
    ['Taiwan', '0912 345 678', 'TW', '+886912345678'],
    ['Germany', '030 1234567', 'DE', '+49301234567'],
    ['Japan', '090-1234-5678', 'JP', '+819012345678'],
    ['Brazil', '(11) 91234-5678', 'BR', '+5511912345678'],
    ['India, with trunk 0', '098765 43210', 'IN', '+919876543210'],
    ['India, without trunk 0', '9876543210', 'IN', '+919876543210'],
    ['Thailand', '081 234 5678', 'TH', '+66812345678'],
    ['United States', '(415) 555-2671', 'US', '+14155552671'],
    ['United Kingdom', '07400 123456', 'GB', '+447400123456'],
  ])('reads a %s national number with the country hint', (_name, raw, country, e164) => {
    expect(normalisePhone(raw, { country })).toEqual({ ok: true, value: e164, country });
  });

  it('rejects the UK drama range 07700 900xxx: Ofcom reserves it for fiction, so it is never a real person', () => {
    expect(normalisePhone('07700 900123', { country: 'GB' })).toEqual({
      ok: false,
      reason: 'phone number is not valid for GB: check the digits and the country',
    });
  });

  it('reads +international numbers without any hint, and ignores a hint that disagrees', () => {
    expect(normalisePhone('+33 6 12 34 56 78', {})).toEqual({ ok: true, value: '+33612345678', country: 'FR' });
    expect(normalisePhone('+1 415 555 2671', { country: 'DE' })).toEqual({
      ok: true,
      value: '+14155552671',
      country: 'US',
    });
    expect(normalisePhone('+886 912-345-678 ext. 12', {})).toEqual({ ok: true, value: '+886912345678', country: 'TW' });
  });

  it('reads the international call prefix of the hint country (00 in Germany)', () => {
    expect(normalisePhone('0033 6 12 34 56 78', { country: 'DE' })).toEqual({
      ok: true,
      value: '+33612345678',
      country: 'FR',
    });
  });

  it('reads full-width digits and punctuation from Japanese and Chinese keyboards (NFKC)', () => {
    expect(normalisePhone('０９０－１２３４－５６７８', { country: 'JP' })).toEqual({
      ok: true,
      value: '+819012345678',
      country: 'JP',
    });
    expect(normalisePhone('＋８８６ ９１２ ３４５ ６７８', {})).toEqual({
      ok: true,
      value: '+886912345678',
      country: 'TW',
    });
  });

  it('takes the country from the locale when the hint has no country', () => {
    expect(normalisePhone('0912 345 678', { locale: 'zh-TW' })).toEqual({
      ok: true,
      value: '+886912345678',
      country: 'TW',
    });
    expect(normalisePhone('030 1234567', { locale: 'de-DE' })).toEqual({
      ok: true,
      value: '+49301234567',
      country: 'DE',
    });
    expect(normalisePhone('(11) 91234-5678', { locale: 'pt-BR' })).toEqual({
      ok: true,
      value: '+5511912345678',
      country: 'BR',
    });
    expect(normalisePhone('090-1234-5678', { locale: 'ja' })).toEqual({
      ok: true,
      value: '+819012345678',
      country: 'JP',
    });
    expect(normalisePhone('0912 345 678', { locale: 'zh-Hant' })).toEqual({
      ok: true,
      value: '+886912345678',
      country: 'TW',
    });
    expect(normalisePhone('081 234 5678', { locale: 'th' })).toEqual({
      ok: true,
      value: '+66812345678',
      country: 'TH',
    });
  });

  it('prefers the hint country over the locale, reads it in any case, and skips one that is not a country', () => {
    expect(normalisePhone('0912 345 678', { country: 'tw', locale: 'ja' })).toMatchObject({ value: '+886912345678' });
    expect(normalisePhone('090-1234-5678', { country: 'JP', locale: 'zh-TW' })).toMatchObject({
      value: '+819012345678',
    });
    expect(normalisePhone('0912 345 678', { country: 'Taiwan', locale: 'zh-TW' })).toMatchObject({
      value: '+886912345678',
    });
  });

  it('rejects a national number when nothing says which country it is from', () => {
    const reason = 'phone number has no country code and the event has no country or locale to read it with';
    expect(normalisePhone('0912 345 678', {})).toEqual({ ok: false, reason });
    expect(normalisePhone('0912 345 678', { locale: 'en' })).toEqual({ ok: false, reason });
    expect(normalisePhone('0912 345 678', { country: 'XX' })).toEqual({ ok: false, reason });
  });

  it('rejects numbers that are not valid in the country they are read for', () => {
    expect(normalisePhone('12345', { country: 'TW' })).toEqual({
      ok: false,
      reason: 'phone number is not valid for TW: check the digits and the country',
    });
    // A Taiwanese mobile read as American.
    expect(normalisePhone('0912 345 678', { country: 'US' })).toEqual({
      ok: false,
      reason: 'phone number is not valid for US: check the digits and the country',
    });
    expect(normalisePhone('+1 000 000 0000', {})).toEqual({
      ok: false,
      reason: 'phone number is not valid for +1: check the digits and the country',
    });
    expect(normalisePhone('+999 1234', {})).toEqual({
      ok: false,
      reason: 'phone number is not valid: check the digits and the country code',
    });
    // Antarctica is a country without a numbering plan of its own.
    expect(normalisePhone('12345', { country: 'AQ' })).toEqual({
      ok: false,
      reason: 'phone number is not valid for AQ: check the digits and the country',
    });
  });

  it('rejects empty input, control characters and documents', () => {
    expect(normalisePhone('  ', { country: 'TW' })).toEqual({
      ok: false,
      reason: 'phone number is empty: send the number or leave the field out',
    });
    expect(normalisePhone('+66 81 234 5678\u0000', {})).toEqual({
      ok: false,
      reason: 'phone number contains control characters: remove them before sending',
    });
    expect(normalisePhone('+66 81 234 5678 '.repeat(5), {})).toEqual({
      ok: false,
      reason: 'phone number is too long to be one number: check that the field holds a single number',
    });
  });
});

describe('countryFromLocale', () => {
  it.each([
    ['zh-TW', 'TW'],
    ['de-DE', 'DE'],
    ['pt-BR', 'BR'],
    ['pt', 'BR'],
    ['ja', 'JP'],
    ['ko', 'KR'],
    ['th', 'TH'],
    ['de', 'DE'],
    ['fr', 'FR'],
    ['zh-Hant', 'TW'],
    ['zh-Hans', 'CN'],
    ['zh-Hant-HK', 'HK'],
    ['de_AT.UTF-8', 'AT'],
    ['th-TH-u-nu-thai', 'TH'],
    ['ja-u-nu-hanidec', 'JP'],
    ['EN-gb', 'GB'],
  ])('%s → %s', (locale, country) => {
    expect(countryFromLocale(locale)).toBe(country);
  });

  it('does not guess for multi-country languages, non-country regions or nonsense', () => {
    expect(countryFromLocale('en')).toBeUndefined();
    expect(countryFromLocale('ar')).toBeUndefined();
    // Latin American Spanish: certainly not Spain.
    expect(countryFromLocale('es-419')).toBeUndefined();
    expect(countryFromLocale('')).toBeUndefined();
    expect(countryFromLocale('klingon')).toBeUndefined();
  });
});

describe('normaliseUserId and normaliseAnonymousId', () => {
  it('trims and composes strings, and keeps case (IDs from other systems are compared exactly)', () => {
    expect(normaliseUserId('  User-42 ')).toEqual({ ok: true, value: 'User-42' });
    expect(normaliseUserId('Jose\u0301')).toEqual({ ok: true, value: 'Jos\u00e9' });
    expect(normaliseAnonymousId('a1b2c3\n')).toEqual({ ok: true, value: 'a1b2c3' });
  });

  it('turns finite numbers into their decimal string', () => {
    expect(normaliseUserId(12345)).toEqual({ ok: true, value: '12345' });
    expect(normaliseUserId(1.5)).toEqual({ ok: true, value: '1.5' });
    expect(normaliseAnonymousId(7)).toEqual({ ok: true, value: '7' });
  });

  it('rejects numbers that JSON has already rounded, and non-finite numbers', () => {
    expect(normaliseUserId(2 ** 53 + 2)).toEqual({
      ok: false,
      reason: 'user_id is a number too large to be exact: send the ID as a string',
    });
    expect(normaliseUserId(Number.NaN)).toEqual({
      ok: false,
      reason: 'user_id must be a finite number: send the ID as text',
    });
    expect(normaliseUserId(Number.POSITIVE_INFINITY)).toMatchObject({ ok: false });
  });

  it('rejects other types, empty values and control characters such as null bytes', () => {
    expect(normaliseUserId({ id: 1 })).toEqual({
      ok: false,
      reason: 'user_id must be a string or a number: send the ID as text',
    });
    expect(normaliseUserId(null)).toMatchObject({ ok: false });
    expect(normaliseUserId(true)).toMatchObject({ ok: false });
    expect(normaliseUserId('   ')).toEqual({
      ok: false,
      reason: 'user_id is empty: send the ID or leave the field out',
    });
    expect(normaliseAnonymousId('')).toEqual({
      ok: false,
      reason: 'anonymous_id is empty: send the ID or leave the field out',
    });
    expect(normaliseUserId('abc\u0000def')).toEqual({
      ok: false,
      reason: 'user_id contains control characters (such as a null byte): remove them before sending',
    });
    expect(normaliseAnonymousId('abc\u0007')).toEqual({
      ok: false,
      reason: 'anonymous_id contains control characters (such as a null byte): remove them before sending',
    });
  });

  it('accepts 256 characters (counted as the user sees them) and rejects 257', () => {
    expect(normaliseUserId('x'.repeat(256))).toEqual({ ok: true, value: 'x'.repeat(256) });
    expect(normaliseUserId('😀'.repeat(256))).toEqual({ ok: true, value: '😀'.repeat(256) });
    expect(normaliseUserId('x'.repeat(257))).toEqual({
      ok: false,
      reason: 'user_id is longer than 256 characters: send the ID itself, not a document',
    });
  });
});

describe('normalisePlatformId', () => {
  it('trims, composes and keeps the case of platform IDs', () => {
    expect(normalisePlatformId('line_user', ' U4af4980629abcdef0123456789ABCDEF ')).toEqual({
      ok: true,
      value: 'U4af4980629abcdef0123456789ABCDEF',
    });
    expect(normalisePlatformId('amazon_buyer', 'amzn1.account.AEXAMPLE')).toEqual({
      ok: true,
      value: 'amzn1.account.AEXAMPLE',
    });
    expect(normalisePlatformId('shopify_customer', 207119551)).toEqual({ ok: true, value: '207119551' });
  });

  it('reads a Shopify GraphQL customer GID as the same customer as its numeric ID', () => {
    expect(normalisePlatformId('shopify_customer', 'gid://shopify/Customer/207119551')).toEqual({
      ok: true,
      value: '207119551',
    });
  });

  it('lower-cases IDFA and GAID and requires a UUID', () => {
    expect(normalisePlatformId('idfa', IDFA)).toEqual({ ok: true, value: IDFA.toLowerCase() });
    expect(normalisePlatformId('gaid', ` ${GAID} `)).toEqual({ ok: true, value: GAID.toLowerCase() });
    expect(normalisePlatformId('idfa', 'not-a-uuid')).toEqual({
      ok: false,
      reason: 'advertising ID is not a UUID: send the IDFA or GAID as the device reports it',
    });
  });

  it('rejects the zeroed advertising ID that limited ad tracking reports', () => {
    expect(normalisePlatformId('idfa', ZERO_UUID)).toEqual({
      ok: false,
      reason: 'advertising ID is zeroed (limited ad tracking)',
    });
    expect(normalisePlatformId('gaid', ZERO_UUID)).toEqual({
      ok: false,
      reason: 'advertising ID is zeroed (limited ad tracking)',
    });
  });

  it('applies the ID rules and rejects unknown types', () => {
    expect(normalisePlatformId('shopee_user', 'a\u0000b')).toEqual({
      ok: false,
      reason: 'shopee_user contains control characters (such as a null byte): remove them before sending',
    });
    expect(normalisePlatformId('tiktok_user', 'x'.repeat(257))).toMatchObject({ ok: false });
    expect(normalisePlatformId('email', 'jane@example.com')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^identifier type is not a known platform: use one of shopify_customer, /),
    });
  });
});

describe('normaliseName', () => {
  it('trims, collapses whitespace and composes', () => {
    expect(normaliseName('  Jane   \t Doe \n')).toBe('Jane Doe');
    expect(normaliseName('Jose\u0301  García')).toBe('Jos\u00e9 García');
    // Ideographic spaces between a Japanese family and given name.
    expect(normaliseName('山田\u3000\u3000太郎')).toBe('山田 太郎');
  });

  it('strips control characters without splitting the name', () => {
    expect(normaliseName('Jo\u0000hn\u0007 Smith')).toBe('John Smith');
    expect(normaliseName('Ann \u0000 Lee')).toBe('Ann Lee');
  });

  it('keeps every script and emoji as written', () => {
    expect(normaliseName('王小明')).toBe('王小明');
    expect(normaliseName('김민준')).toBe('김민준');
    expect(normaliseName(' สมชาย  ใจดี ')).toBe('สมชาย ใจดี');
    expect(normaliseName('محمد   عبد الله')).toBe('محمد عبد الله');
    expect(normaliseName('דוד כהן')).toBe('דוד כהן');
    // A family emoji is four emoji joined by zero-width joiners: the joiners must survive.
    expect(normaliseName('Ana 👨‍👩‍👧 🇧🇷')).toBe('Ana 👨‍👩‍👧 🇧🇷');
    expect(normaliseName('')).toBe('');
  });
});

describe('blocked placeholder values', () => {
  it('blocks the defaults for every type, ignoring case', () => {
    expect(DEFAULT_BLOCKED_VALUES.allTypes).toEqual(
      expect.arrayContaining([
        'null',
        'undefined',
        'none',
        'n/a',
        '0',
        '-1',
        'unknown',
        'anonymous',
        'test',
        ZERO_UUID,
      ]),
    );
    for (const value of ['null', 'NULL', 'Undefined', 'None', 'N/A', '0', '-1', 'Unknown', 'anonymous', 'TEST']) {
      expect(isBlockedValue({ type: 'user_id', value }), value).toBe(true);
      expect(isBlockedValue({ type: 'shopify_customer', value }), value).toBe(true);
    }
    expect(isBlockedValue({ type: 'anonymous_id', value: ZERO_UUID })).toBe(true);
  });

  it('blocks placeholder emails and phones for their type', () => {
    for (const value of [
      'test@example.com',
      'test@test.com',
      'noemail@noemail.com',
      'email@example.com',
      'TEST@EXAMPLE.COM',
    ]) {
      expect(isBlockedValue({ type: 'email', value }), value).toBe(true);
    }
    expect(isBlockedValue({ type: 'phone', value: '+10000000000' })).toBe(true);
    expect(isBlockedValue({ type: 'phone', value: '+12345678900' })).toBe(true);
    expect(isBlockedValue({ type: 'email', value: 'jane@example.com' })).toBe(false);
    expect(isBlockedValue({ type: 'phone', value: '+14155552671' })).toBe(false);
  });

  it('blocks values made of one repeated character', () => {
    for (const value of ['0000000', 'xxxx', 'XXXX', '---', '+11111111111', '9999999999']) {
      expect(isBlockedValue({ type: 'user_id', value }), value).toBe(true);
    }
    expect(isBlockedValue({ type: 'user_id', value: 'aa' })).toBe(false);
    expect(isBlockedValue({ type: 'user_id', value: '1000' })).toBe(false);
    expect(isBlockedValue({ type: 'user_id', value: 'user-42' })).toBe(false);
  });

  it('blocks extra values from configuration, ignoring case', () => {
    expect(isBlockedValue({ type: 'email', value: 'qa@meridian.example' })).toBe(false);
    expect(isBlockedValue({ type: 'email', value: 'qa@meridian.example' }, ['QA@Meridian.example'])).toBe(true);
    expect(isBlockedValue({ type: 'user_id', value: 'GUEST' }, ['guest'])).toBe(true);
  });
});

describe('extractIdentifiers', () => {
  it('collects user, anonymous, email and phone identifiers, normalised', () => {
    const result = extractIdentifiers(
      {
        userId: ' user-42 ',
        anonymousId: 'anon-1',
        traits: { email: ' Jane@Bücher.DE ', phone: '0912 345 678', name: 'Jane' },
      },
      { country: 'TW' },
    );
    expect(result).toEqual({
      identifiers: [
        { type: 'user_id', value: 'user-42' },
        { type: 'anonymous_id', value: 'anon-1' },
        { type: 'email', value: 'jane@xn--bcher-kva.de' },
        { type: 'phone', value: '+886912345678' },
      ],
      rejected: [],
    });
  });

  it('reads context.traits like traits, and keeps identical identifiers once', () => {
    const result = extractIdentifiers(
      {
        userId: 42,
        traits: { email: 'jane@example.com' },
        context: { traits: { email: 'JANE@example.com ', phone: '+81 90-1234-5678' } },
      },
      {},
    );
    expect(result.identifiers).toEqual([
      { type: 'user_id', value: '42' },
      { type: 'email', value: 'jane@example.com' },
      { type: 'phone', value: '+819012345678' },
    ]);
    expect(result.rejected).toEqual([]);
  });

  it('applies the opt-in email rules', () => {
    const call = { traits: { email: 'Jane.Doe+shop@googlemail.com' } };
    expect(extractIdentifiers(call, {}).identifiers).toEqual([
      { type: 'email', value: 'jane.doe+shop@googlemail.com' },
    ]);
    expect(
      extractIdentifiers(call, {}, { gmailDotsInsensitive: true, plusAddressingInsensitive: true }).identifiers,
    ).toEqual([{ type: 'email', value: 'janedoe@gmail.com' }]);
  });

  it('reads platform IDs from known trait keys, in either spelling', () => {
    const result = extractIdentifiers(
      {
        traits: {
          shopifyCustomerId: 207119551,
          shopify_customer_id: '207119551',
          amazonBuyerId: 'amzn1.account.AEXAMPLE',
          shopeeUserId: '123456',
          lazada_user_id: 'LZ-9',
          lineUserId: 'U4af4980629',
          line_user_id: 'U4af4980629',
          tiktokUserId: 'tt-1',
          klaviyoProfileId: '01GDDKASAP8TKDDA2GRZDSVP4H',
          favouriteColour: 'blue',
        },
      },
      {},
    );
    expect(result.identifiers).toEqual([
      { type: 'shopify_customer', value: '207119551' },
      { type: 'amazon_buyer', value: 'amzn1.account.AEXAMPLE' },
      { type: 'shopee_user', value: '123456' },
      { type: 'lazada_user', value: 'LZ-9' },
      { type: 'line_user', value: 'U4af4980629' },
      { type: 'tiktok_user', value: 'tt-1' },
      { type: 'klaviyo_profile', value: '01GDDKASAP8TKDDA2GRZDSVP4H' },
    ]);
    expect(result.rejected).toEqual([]);
  });

  it('maps context.externalIds type names to identifier types', () => {
    const result = extractIdentifiers(
      {
        context: {
          externalIds: [
            { id: '207119551', type: 'shopify_customer_id', collection: 'users', encoding: 'none' },
            { id: '207119552', type: 'shopifyCustomerId', collection: 'users', encoding: 'none' },
            { id: IDFA, type: 'ios.idfa', collection: 'users', encoding: 'none' },
            { id: GAID, type: 'gaid', collection: 'users', encoding: 'none' },
            { id: 'Jane@Example.com', type: 'email', collection: 'users', encoding: 'none' },
            { id: '030 1234567', type: 'phone', collection: 'users', encoding: 'none' },
            { id: 'user-42', type: 'user_id' },
            { id: 'U4af4980629', type: 'line_user_id' },
          ],
        },
      },
      { locale: 'de-DE' },
    );
    expect(result.identifiers).toEqual([
      { type: 'shopify_customer', value: '207119551' },
      { type: 'shopify_customer', value: '207119552' },
      { type: 'idfa', value: IDFA.toLowerCase() },
      { type: 'gaid', value: GAID.toLowerCase() },
      { type: 'email', value: 'jane@example.com' },
      { type: 'phone', value: '+49301234567' },
      { type: 'user_id', value: 'user-42' },
      { type: 'line_user', value: 'U4af4980629' },
    ]);
    expect(result.rejected).toEqual([]);
  });

  it("reads an externalIds 'advertisingId' by the device type, and not Android's own device ID", () => {
    const externalIds = [
      { id: GAID, type: 'advertisingId' },
      { id: '9774d56d682e549c', type: 'android.id' },
    ];
    expect(extractIdentifiers({ context: { externalIds, device: { type: 'android' } } }, {})).toEqual({
      identifiers: [{ type: 'gaid', value: GAID.toLowerCase() }],
      rejected: [
        {
          type: 'external_id',
          reason: 'external ID type is not one Meridian resolves identities on: map it to a known type or leave it out',
        },
      ],
    });
    expect(extractIdentifiers({ context: { externalIds: [{ id: GAID, type: 'advertisingId' }] } }, {})).toEqual({
      identifiers: [],
      rejected: [
        {
          type: 'advertising_id',
          reason:
            'advertising ID comes from a device that is not ios or android: set context.device.type so it can be read',
        },
      ],
    });
  });

  it('rejects malformed, account-level and hashed external IDs', () => {
    const result = extractIdentifiers(
      {
        context: {
          externalIds: [
            'shopify:1',
            { id: '1' },
            { id: 'acct-1', type: 'user_id', collection: 'accounts' },
            { id: 'ab12', type: 'email', encoding: 'sha256' },
          ],
        },
      },
      {},
    );
    expect(result).toEqual({
      identifiers: [],
      rejected: [
        { type: 'external_id', reason: 'external ID must be an object with id and type: check the source mapping' },
        {
          type: 'user_id',
          reason: "external ID belongs to an account, not a person: send person IDs with collection 'users'",
        },
        { type: 'email', reason: "external ID is encoded (hashed): send it unencoded, with encoding 'none'" },
      ],
    });
    expect(extractIdentifiers({ context: { externalIds: { id: '1', type: 'email' } } }, {}).rejected).toEqual([
      { type: 'external_id', reason: 'context.externalIds must be a list of { id, type }: check the source mapping' },
    ]);
  });

  it('reads context.device.advertisingId as IDFA on iOS and GAID on Android', () => {
    expect(
      extractIdentifiers({ context: { device: { type: 'ios', advertisingId: IDFA, adTrackingEnabled: true } } }, {})
        .identifiers,
    ).toEqual([{ type: 'idfa', value: IDFA.toLowerCase() }]);
    expect(
      extractIdentifiers({ context: { device: { type: 'android', advertisingId: GAID } } }, {}).identifiers,
    ).toEqual([{ type: 'gaid', value: GAID.toLowerCase() }]);
  });

  it('ignores the device advertising ID when the user turned ad tracking off', () => {
    expect(
      extractIdentifiers({ context: { device: { type: 'ios', advertisingId: IDFA, adTrackingEnabled: false } } }, {}),
    ).toEqual({ identifiers: [], rejected: [] });
  });

  it('rejects a zeroed IDFA and a device advertising ID of unknown kind', () => {
    expect(extractIdentifiers({ context: { device: { type: 'ios', advertisingId: ZERO_UUID } } }, {})).toEqual({
      identifiers: [],
      rejected: [{ type: 'idfa', reason: 'advertising ID is zeroed (limited ad tracking)' }],
    });
    expect(extractIdentifiers({ context: { device: { type: 'tvos', advertisingId: IDFA } } }, {}).rejected).toEqual([
      {
        type: 'advertising_id',
        reason:
          'advertising ID comes from a device that is not ios or android: set context.device.type so it can be read',
      },
    ]);
  });

  it('puts blocked placeholder values into rejected', () => {
    const result = extractIdentifiers(
      {
        userId: 'null',
        anonymousId: '0000000',
        traits: { email: 'Test@Example.com', phone: '+1 234 567 8900', shopifyCustomerId: 'qa-customer' },
      },
      {},
      { blocked: ['QA-Customer'] },
    );
    expect(result).toEqual({
      identifiers: [],
      rejected: [
        { type: 'user_id', reason: 'user_id is a blocked placeholder value' },
        { type: 'anonymous_id', reason: 'anonymous_id is a blocked placeholder value' },
        { type: 'email', reason: 'email is a blocked placeholder value' },
        { type: 'phone', reason: 'phone is a blocked placeholder value' },
        { type: 'shopify_customer', reason: 'shopify_customer is a blocked placeholder value' },
      ],
    });
  });

  it('keeps the good identifiers when others are invalid, and never throws', () => {
    const result = extractIdentifiers(
      {
        userId: 'user\u0000-42',
        anonymousId: 'anon-1',
        traits: { email: 'not-an-email', phone: '0912 345 678' },
      },
      {},
    );
    expect(result).toEqual({
      identifiers: [{ type: 'anonymous_id', value: 'anon-1' }],
      rejected: [
        {
          type: 'user_id',
          reason: 'user_id contains control characters (such as a null byte): remove them before sending',
        },
        { type: 'email', reason: 'email must contain exactly one @: check that the field holds a single address' },
        {
          type: 'phone',
          reason: 'phone number has no country code and the event has no country or locale to read it with',
        },
      ],
    });
  });

  it('treats null and undefined as not sent, and rejects values of the wrong type', () => {
    expect(
      extractIdentifiers({ userId: null, anonymousId: undefined, traits: { email: null, phone: undefined } }, {}),
    ).toEqual({ identifiers: [], rejected: [] });
    expect(extractIdentifiers({ traits: { email: ['a@example.com'], phone: { n: 1 } } }, {}).rejected).toEqual([
      { type: 'email', reason: 'email must be a string: send the address as text' },
      { type: 'phone', reason: 'phone must be a string or a number: send the number as text, with its +country code' },
    ]);
    expect(
      extractIdentifiers({ traits: 'jane' as unknown as Record<string, unknown>, context: [] as never }, {}),
    ).toEqual({
      identifiers: [],
      rejected: [],
    });
  });

  it('never puts the raw value into a rejection reason', () => {
    const secret = 'zq7secret';
    const result = extractIdentifiers(
      {
        userId: `${secret}\u0000`,
        anonymousId: 'x'.repeat(300) + secret,
        traits: {
          email: `${secret} person@example.com`,
          phone: `0912 ${secret}`,
          shopifyCustomerId: `${secret}\u0001`,
        },
        context: {
          traits: { email: `${secret}@localhost`, phone: `+1 ${secret}` },
          externalIds: [
            { id: secret, type: 'idfa' },
            { id: secret, type: `${secret}_id` },
            { id: secret, type: 'email', encoding: secret },
          ],
          device: { type: 'ios', advertisingId: `${secret}-idfa` },
        },
      },
      { country: 'TW' },
    );
    expect(result.identifiers).toEqual([]);
    expect(result.rejected.length).toBeGreaterThanOrEqual(9);
    for (const { reason } of result.rejected) expect(reason.toLowerCase()).not.toContain(secret);
  });
});
