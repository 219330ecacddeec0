import { domainToASCII } from 'node:url';
import { isSupportedCountry, parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';
import { isCountryCode } from './countries';

/**
 * Identifiers and normalisation: the first step of identity resolution.
 * Every value is normalised here, once, so that the blind index (HMAC) of the same person's
 * email or phone is the same whichever source, country or keyboard it came from.
 * Pure and deterministic; rejection reasons never repeat the raw value (it is personal data).
 */

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export const CORE_IDENTIFIER_TYPES = ['user_id', 'anonymous_id', 'email', 'phone'] as const;

/** Platform IDs are namespaced by platform: the same number at Shopify and at Amazon is two people. */
export const PLATFORM_IDENTIFIER_TYPES = [
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
] as const;

export type CoreIdentifierType = (typeof CORE_IDENTIFIER_TYPES)[number];
export type PlatformIdentifierType = (typeof PLATFORM_IDENTIFIER_TYPES)[number];
/** One of CORE_IDENTIFIER_TYPES or PLATFORM_IDENTIFIER_TYPES; check with isIdentifierType. */
export type IdentifierType = string;

export interface Identifier {
  type: IdentifierType;
  /** Already normalised. */
  value: string;
}

export interface RejectedIdentifier {
  type: string;
  /** What was wrong and what to do, without the raw value. */
  reason: string;
}

/** Provider rules are opt-in: they merge addresses that the provider treats as one mailbox. */
export interface NormalisationOptions {
  /** gmail.com/googlemail.com: dots in the local part are ignored; googlemail.com is gmail.com. */
  gmailDotsInsensitive?: boolean;
  /** Any domain: `name+tag@` is `name@`. */
  plusAddressingInsensitive?: boolean;
}

export interface ExtractionOptions extends NormalisationOptions {
  /** Extra placeholder values to block for every type, on top of DEFAULT_BLOCKED_VALUES. */
  blocked?: readonly string[];
}

/** How to read a phone number written without its country code. */
export interface PhoneHint {
  /** ISO 3166-1 alpha-2. */
  country?: string;
  /** BCP 47, e.g. 'zh-TW', 'de-DE', 'pt-BR', 'ja'. */
  locale?: string;
}

export type NormalisedValue = { ok: true; value: string } | { ok: false; reason: string };
export type NormalisedPhone = { ok: true; value: string; country?: string } | { ok: false; reason: string };

/** A Segment-spec call (identify, track, page …): only the fields that carry identifiers. */
export interface IdentifyingCall {
  userId?: unknown;
  anonymousId?: unknown;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export interface ExtractedIdentifiers {
  identifiers: Identifier[];
  rejected: RejectedIdentifier[];
}

const IDENTIFIER_TYPES: ReadonlySet<string> = new Set([...CORE_IDENTIFIER_TYPES, ...PLATFORM_IDENTIFIER_TYPES]);
const PLATFORM_TYPES: ReadonlySet<string> = new Set(PLATFORM_IDENTIFIER_TYPES);

export function isIdentifierType(type: string): boolean {
  return IDENTIFIER_TYPES.has(type);
}

export function isPlatformIdentifierType(type: string): type is PlatformIdentifierType {
  return PLATFORM_TYPES.has(type);
}

// ---------------------------------------------------------------------------------------------
// Limits and shared checks
// ---------------------------------------------------------------------------------------------

/** RFC 5321: a forward path holds at most 254 characters of address. */
const EMAIL_MAX_LENGTH = 254;
const ID_MAX_LENGTH = 256;
/** Longer than any dialable number with spaces and an extension; stops documents being parsed. */
const PHONE_MAX_INPUT_LENGTH = 64;

const CONTROL_CHARACTER = /\p{Cc}/u;
const WHITESPACE = /\s/u;

function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

/** Counts code points, so an emoji or a CJK character is one character, as the user sees it. */
function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

function ok(value: string): NormalisedValue {
  return { ok: true, value };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

const GMAIL_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com']);
const GMAIL_CANONICAL_DOMAIN = 'gmail.com';

const EMAIL_REASONS = {
  empty: 'email is empty: send the address or leave the field out',
  controlCharacters: 'email contains control characters: remove them before sending',
  spaces: 'email contains spaces: send a single address without spaces or a display name',
  tooLong: `email is longer than ${EMAIL_MAX_LENGTH} characters: check that the field holds a single address`,
  notOneAt: 'email must contain exactly one @: check that the field holds a single address',
  emptyLocalPart: 'email has nothing before the @: send the full address',
  badDomain: 'email domain is not a valid domain name: check the part after the @',
  domainWithoutDot: 'email domain has no dot: send the full domain, such as example.com',
  emptyDomainLabel:
    'email domain has an empty part (two dots in a row, or a dot at the start or end): check the part after the @',
} as const;

export function normaliseEmail(raw: string, options: NormalisationOptions = {}): NormalisedValue {
  const text = raw.trim().normalize('NFC');
  if (text === '') return fail(EMAIL_REASONS.empty);
  if (hasControlCharacter(text)) return fail(EMAIL_REASONS.controlCharacters);
  if (WHITESPACE.test(text)) return fail(EMAIL_REASONS.spaces);

  const parts = text.split('@');
  if (parts.length !== 2) return fail(EMAIL_REASONS.notOneAt);
  const [rawLocal = '', rawDomain = ''] = parts;
  // Lower-casing can produce combining marks (İ → i̇), so compose again afterwards.
  let local = rawLocal.toLowerCase().normalize('NFC');
  if (local === '') return fail(EMAIL_REASONS.emptyLocalPart);

  const domainResult = normaliseEmailDomain(rawDomain);
  if (!domainResult.ok) return domainResult;
  let domain = domainResult.value;
  // Measured as sent over SMTP, before provider rules shorten it: a longer address cannot be delivered.
  if (local.length + 1 + domain.length > EMAIL_MAX_LENGTH) return fail(EMAIL_REASONS.tooLong);

  ({ local, domain } = applyProviderRules(local, domain, options));
  if (local === '') return fail(EMAIL_REASONS.emptyLocalPart);
  return ok(`${local}@${domain}`);
}

/**
 * The domain is compared in its ASCII (punycode) form, so `bücher.de` and `xn--bcher-kva.de`
 * are one domain. domainToASCII also lower-cases and maps full-width dots (。) to '.'.
 */
function normaliseEmailDomain(rawDomain: string): NormalisedValue {
  if (rawDomain === '') return fail(EMAIL_REASONS.badDomain);
  const domain = domainToASCII(rawDomain);
  if (domain === '') return fail(EMAIL_REASONS.badDomain);
  if (!domain.includes('.')) return fail(EMAIL_REASONS.domainWithoutDot);
  if (domain.split('.').some((label) => label === '')) return fail(EMAIL_REASONS.emptyDomainLabel);
  return ok(domain);
}

function applyProviderRules(
  local: string,
  domain: string,
  options: NormalisationOptions,
): { local: string; domain: string } {
  let result = { local, domain };
  if (options.plusAddressingInsensitive) result = stripPlusTag(result);
  if (options.gmailDotsInsensitive && GMAIL_DOMAINS.has(result.domain)) {
    result = { local: result.local.replaceAll('.', ''), domain: GMAIL_CANONICAL_DOMAIN };
  }
  return result;
}

/** A '+' in first position is the whole name, not a tag, so it stays. */
function stripPlusTag(address: { local: string; domain: string }): { local: string; domain: string } {
  const plus = address.local.indexOf('+');
  if (plus <= 0) return address;
  return { local: address.local.slice(0, plus), domain: address.domain };
}

// ---------------------------------------------------------------------------------------------
// Phone
// ---------------------------------------------------------------------------------------------

/**
 * A bare language read as its main country, for events whose locale has no region subtag.
 * Left out on purpose: languages spoken as a first language in many countries with different
 * numbering plans (en, ar), where a guess would read a national number as the wrong country's.
 */
export const LANGUAGE_MAIN_COUNTRY: Readonly<Record<string, string>> = {
  ja: 'JP',
  ko: 'KR',
  th: 'TH',
  vi: 'VN',
  id: 'ID',
  ms: 'MY',
  fil: 'PH',
  tl: 'PH',
  hi: 'IN',
  bn: 'BD',
  zh: 'CN',
  de: 'DE',
  fr: 'FR',
  it: 'IT',
  es: 'ES',
  pt: 'BR',
  nl: 'NL',
  pl: 'PL',
  cs: 'CZ',
  sk: 'SK',
  hu: 'HU',
  ro: 'RO',
  bg: 'BG',
  el: 'GR',
  sv: 'SE',
  da: 'DK',
  nb: 'NO',
  nn: 'NO',
  no: 'NO',
  fi: 'FI',
  et: 'EE',
  lv: 'LV',
  lt: 'LT',
  tr: 'TR',
  uk: 'UA',
  ru: 'RU',
  he: 'IL',
};

/** Chinese written in a script: Traditional is read as Taiwan, Simplified as mainland China. */
export const LANGUAGE_SCRIPT_MAIN_COUNTRY: Readonly<Record<string, string>> = {
  'zh-hant': 'TW',
  'zh-hans': 'CN',
};

const PHONE_REASONS = {
  empty: 'phone number is empty: send the number or leave the field out',
  controlCharacters: 'phone number contains control characters: remove them before sending',
  tooLong: 'phone number is too long to be one number: check that the field holds a single number',
  noCountry: 'phone number has no country code and the event has no country or locale to read it with',
  invalidInternational: 'phone number is not valid: check the digits and the country code',
} as const;

function phoneNotValidFor(country: string): string {
  return `phone number is not valid for ${country}: check the digits and the country`;
}

export function normalisePhone(raw: string, hint: PhoneHint): NormalisedPhone {
  // NFKC turns full-width digits, '＋' and '－' (Japanese and Chinese keyboards) into ASCII.
  const text = raw.normalize('NFKC').trim();
  if (text === '') return fail(PHONE_REASONS.empty);
  if (hasControlCharacter(text)) return fail(PHONE_REASONS.controlCharacters);
  if (text.length > PHONE_MAX_INPUT_LENGTH) return fail(PHONE_REASONS.tooLong);

  const country = phoneCountryFromHint(hint);
  const international = text.startsWith('+');
  if (!international && country === undefined) return fail(PHONE_REASONS.noCountry);

  const defaultCountry = country !== undefined && isSupportedCountry(country) ? country : undefined;
  const parsed = parsePhoneNumberFromString(text, defaultCountry);
  if (parsed === undefined || !parsed.isValid()) return fail(invalidPhoneReason(parsed, international, country));
  return parsed.country === undefined
    ? { ok: true, value: parsed.number }
    : { ok: true, value: parsed.number, country: parsed.country };
}

/** Names the country the number was read for: its own (+international form) or the hint's. */
function invalidPhoneReason(parsed: PhoneNumber | undefined, international: boolean, hintCountry?: string): string {
  if (!international && hintCountry !== undefined) return phoneNotValidFor(hintCountry);
  if (parsed?.country !== undefined) return phoneNotValidFor(parsed.country);
  if (parsed !== undefined) return phoneNotValidFor(`+${parsed.countryCallingCode}`);
  return PHONE_REASONS.invalidInternational;
}

/** The hint's country if it is a real one, else the country its locale implies. */
export function phoneCountryFromHint(hint: PhoneHint): string | undefined {
  const country = hint.country?.trim().toUpperCase();
  if (country !== undefined && isCountryCode(country)) return country;
  return hint.locale === undefined ? undefined : countryFromLocale(hint.locale);
}

/**
 * BCP 47 region subtag (zh-TW → TW), else a script (zh-Hant → TW), else the language's main
 * country (ja → JP). Also reads POSIX forms such as `de_DE.UTF-8`.
 */
export function countryFromLocale(locale: string): string | undefined {
  const subtags = locale
    .trim()
    .split(/[.@]/)[0]!
    .split(/[-_]/)
    .map((s) => s.toLowerCase());
  const [language = '', ...rest] = subtags;
  // Extensions ('-u-nu-thai', '-x-…') start with a one-letter subtag; their parts are not regions.
  const extension = rest.findIndex((subtag) => subtag.length === 1);
  const core = extension === -1 ? rest : rest.slice(0, extension);
  const script = core.find((subtag) => /^[a-z]{4}$/.test(subtag));
  const region = core.find((subtag) => /^(?:[a-z]{2}|\d{3})$/.test(subtag))?.toUpperCase();
  // A region that is not a country (es-419, Latin America) rules out the language's main country.
  if (region !== undefined) return isCountryCode(region) ? region : undefined;
  const byScript = script === undefined ? undefined : LANGUAGE_SCRIPT_MAIN_COUNTRY[`${language}-${script}`];
  return byScript ?? LANGUAGE_MAIN_COUNTRY[language];
}

// ---------------------------------------------------------------------------------------------
// User, anonymous and platform IDs
// ---------------------------------------------------------------------------------------------

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ADVERTISING_ID_TYPES: ReadonlySet<string> = new Set(['idfa', 'gaid']);
/** Shopify's GraphQL API names a customer `gid://shopify/Customer/123`, its REST API `123`. */
const SHOPIFY_CUSTOMER_GID = /^gid:\/\/shopify\/Customer\/(\d+)$/;

export function normaliseUserId(raw: unknown): NormalisedValue {
  return normaliseOpaqueId('user_id', raw);
}

export function normaliseAnonymousId(raw: unknown): NormalisedValue {
  return normaliseOpaqueId('anonymous_id', raw);
}

export function normalisePlatformId(type: string, raw: unknown): NormalisedValue {
  if (!isPlatformIdentifierType(type)) {
    return fail('identifier type is not a known platform: use one of ' + PLATFORM_IDENTIFIER_TYPES.join(', '));
  }
  const result = normaliseOpaqueId(type, raw);
  if (!result.ok) return result;
  if (ADVERTISING_ID_TYPES.has(type)) return normaliseAdvertisingId(result.value);
  if (type === 'shopify_customer') return ok(result.value.replace(SHOPIFY_CUSTOMER_GID, '$1'));
  return result;
}

/** IDFA and GAID are UUIDs; iOS and Android report all zeros when the user limits ad tracking. */
function normaliseAdvertisingId(value: string): NormalisedValue {
  const id = value.toLowerCase();
  if (!UUID.test(id)) return fail('advertising ID is not a UUID: send the IDFA or GAID as the device reports it');
  if (id === ZERO_UUID) return fail('advertising ID is zeroed (limited ad tracking)');
  return ok(id);
}

/** IDs from other systems: compared exactly (case kept), only trimmed and composed. */
function normaliseOpaqueId(label: string, raw: unknown): NormalisedValue {
  const text = idText(label, raw);
  if (!text.ok) return text;
  const value = text.value.trim().normalize('NFC');
  if (value === '') return fail(`${label} is empty: send the ID or leave the field out`);
  if (hasControlCharacter(value)) {
    return fail(`${label} contains control characters (such as a null byte): remove them before sending`);
  }
  if (characterCount(value) > ID_MAX_LENGTH) {
    return fail(`${label} is longer than ${ID_MAX_LENGTH} characters: send the ID itself, not a document`);
  }
  return ok(value);
}

/** Numbers are accepted (many systems send numeric IDs) unless JSON has already rounded them. */
function idText(label: string, raw: unknown): NormalisedValue {
  if (typeof raw === 'string') return ok(raw);
  if (typeof raw !== 'number') return fail(`${label} must be a string or a number: send the ID as text`);
  if (!Number.isFinite(raw)) return fail(`${label} must be a finite number: send the ID as text`);
  if (Number.isInteger(raw) && !Number.isSafeInteger(raw)) {
    return fail(`${label} is a number too large to be exact: send the ID as a string`);
  }
  return ok(String(raw));
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/**
 * Any script is kept as written (CJK, Thai, Arabic, emoji with their joiners); only layout is
 * normalised. Line breaks and tabs become one space; other control characters are dropped.
 */
export function normaliseName(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(/\s+/gu, ' ')
    .replace(/\p{Cc}/gu, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Blocked placeholder values
// ---------------------------------------------------------------------------------------------

/**
 * Values that forms, SDK defaults and buggy code send in place of a real identifier. Matching
 * on one would merge thousands of strangers into one profile. Lower case; compared after
 * normalisation, ignoring case.
 */
export const DEFAULT_BLOCKED_VALUES: {
  readonly allTypes: readonly string[];
  readonly byType: Readonly<Record<string, readonly string[]>>;
} = {
  allTypes: [
    'null',
    'undefined',
    'none',
    'n/a',
    'nan',
    '0',
    '-1',
    'unknown',
    'anonymous',
    'test',
    '[object object]',
    ZERO_UUID,
  ],
  byType: {
    email: ['test@example.com', 'test@test.com', 'noemail@noemail.com', 'email@example.com', 'none@none.com'],
    phone: ['+10000000000', '+12345678900', '+12345678901'],
  },
};

/** '0000000', 'xxxx', '+11111111111': keyboard filler, never a real ID. */
const REPEATED_CHARACTER_MIN_LENGTH = 3;

function isRepeatedCharacter(value: string): boolean {
  const characters = [...value.replace(/^\+/, '')];
  return characters.length >= REPEATED_CHARACTER_MIN_LENGTH && characters.every((c) => c === characters[0]);
}

export function isBlockedValue(identifier: Identifier, extra: readonly string[] = []): boolean {
  const value = identifier.value.normalize('NFC').toLowerCase();
  if (isRepeatedCharacter(value)) return true;
  const blocked = [
    ...DEFAULT_BLOCKED_VALUES.allTypes,
    ...(DEFAULT_BLOCKED_VALUES.byType[identifier.type] ?? []),
    ...extra.map((entry) => entry.trim().normalize('NFC').toLowerCase()),
  ];
  return blocked.includes(value);
}

function blockedReason(type: string): string {
  return `${type} is a blocked placeholder value`;
}

// ---------------------------------------------------------------------------------------------
// Extraction from a call
// ---------------------------------------------------------------------------------------------

/** Trait keys that carry a platform ID, as sources and SDKs spell them. */
export const TRAIT_KEY_TYPES: Readonly<Record<string, PlatformIdentifierType>> = {
  shopifyCustomerId: 'shopify_customer',
  shopify_customer_id: 'shopify_customer',
  amazonBuyerId: 'amazon_buyer',
  amazon_buyer_id: 'amazon_buyer',
  shopeeUserId: 'shopee_user',
  shopee_user_id: 'shopee_user',
  lazadaUserId: 'lazada_user',
  lazada_user_id: 'lazada_user',
  lineUserId: 'line_user',
  line_user_id: 'line_user',
  tiktokUserId: 'tiktok_user',
  tiktok_user_id: 'tiktok_user',
  metaUserId: 'meta_user',
  meta_user_id: 'meta_user',
  googleUserId: 'google_user',
  google_user_id: 'google_user',
  klaviyoProfileId: 'klaviyo_profile',
  klaviyo_profile_id: 'klaviyo_profile',
  brazeUserId: 'braze_user',
  braze_user_id: 'braze_user',
  tiktokShopBuyerId: 'tiktok_shop_buyer',
  tiktok_shop_buyer_id: 'tiktok_shop_buyer',
  hubspotContactId: 'hubspot_contact',
  hubspot_contact_id: 'hubspot_contact',
};

/**
 * `context.externalIds[].type`, lower-cased, to an identifier type. 'advertisingid' depends on
 * the device (see below). Android's own `android.id` is deliberately absent: it is a per-app
 * device ID, not the resettable advertising ID.
 */
export const EXTERNAL_ID_TYPE_ALIASES: Readonly<Record<string, IdentifierType>> = {
  user_id: 'user_id',
  userid: 'user_id',
  anonymous_id: 'anonymous_id',
  anonymousid: 'anonymous_id',
  email: 'email',
  phone: 'phone',
  shopify_customer_id: 'shopify_customer',
  shopifycustomerid: 'shopify_customer',
  shopify_customer: 'shopify_customer',
  amazon_buyer_id: 'amazon_buyer',
  amazonbuyerid: 'amazon_buyer',
  amazon_buyer: 'amazon_buyer',
  shopee_user_id: 'shopee_user',
  shopeeuserid: 'shopee_user',
  shopee_user: 'shopee_user',
  lazada_user_id: 'lazada_user',
  lazadauserid: 'lazada_user',
  lazada_user: 'lazada_user',
  line_user_id: 'line_user',
  lineuserid: 'line_user',
  line_user: 'line_user',
  tiktok_user_id: 'tiktok_user',
  tiktokuserid: 'tiktok_user',
  tiktok_user: 'tiktok_user',
  meta_user_id: 'meta_user',
  metauserid: 'meta_user',
  meta_user: 'meta_user',
  google_user_id: 'google_user',
  googleuserid: 'google_user',
  google_user: 'google_user',
  klaviyo_profile_id: 'klaviyo_profile',
  klaviyoprofileid: 'klaviyo_profile',
  klaviyo_profile: 'klaviyo_profile',
  braze_user_id: 'braze_user',
  brazeuserid: 'braze_user',
  braze_user: 'braze_user',
  tiktok_shop_buyer_id: 'tiktok_shop_buyer',
  tiktokshopbuyerid: 'tiktok_shop_buyer',
  tiktok_shop_buyer: 'tiktok_shop_buyer',
  hubspot_contact_id: 'hubspot_contact',
  hubspotcontactid: 'hubspot_contact',
  hubspot_contact: 'hubspot_contact',
  'ios.idfa': 'idfa',
  idfa: 'idfa',
  gaid: 'gaid',
  aaid: 'gaid',
  'android.gaid': 'gaid',
  'android.advertisingid': 'gaid',
};

/** An advertising ID is an IDFA or a GAID according to the device that reported it. */
const DEVICE_ADVERTISING_ID_TYPES: Readonly<Record<string, PlatformIdentifierType>> = {
  ios: 'idfa',
  ipados: 'idfa',
  android: 'gaid',
};
const DEVICE_DEPENDENT_EXTERNAL_ID_TYPE = 'advertisingid';

/** Type label for rejections that are not (yet) of a known identifier type. */
const EXTERNAL_ID_LABEL = 'external_id';
const ADVERTISING_ID_LABEL = 'advertising_id';

const EXTRACTION_REASONS = {
  emailNotText: 'email must be a string: send the address as text',
  phoneNotText: 'phone must be a string or a number: send the number as text, with its +country code',
  externalIdsNotList: 'context.externalIds must be a list of { id, type }: check the source mapping',
  externalIdNotObject: 'external ID must be an object with id and type: check the source mapping',
  externalIdUnknownType:
    'external ID type is not one Meridian resolves identities on: map it to a known type or leave it out',
  externalIdForAccount: "external ID belongs to an account, not a person: send person IDs with collection 'users'",
  externalIdEncoded: "external ID is encoded (hashed): send it unencoded, with encoding 'none'",
  advertisingIdDeviceUnknown:
    'advertising ID comes from a device that is not ios or android: set context.device.type so it can be read',
} as const;

/** Collects identifiers and rejections; identical (type, value) pairs are kept once. */
class IdentifierCollector {
  readonly identifiers: Identifier[] = [];
  readonly rejected: RejectedIdentifier[] = [];
  private readonly seen = new Set<string>();
  private readonly seenRejections = new Set<string>();

  constructor(private readonly blocked: readonly string[]) {}

  accept(type: string, result: NormalisedValue | NormalisedPhone): void {
    if (!result.ok) return this.reject(type, result.reason);
    const identifier = { type, value: result.value };
    if (isBlockedValue(identifier, this.blocked)) return this.reject(type, blockedReason(type));
    const key = `${type}\u0000${result.value}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.identifiers.push(identifier);
  }

  reject(type: string, reason: string): void {
    const key = `${type}\u0000${reason}`;
    if (this.seenRejections.has(key)) return;
    this.seenRejections.add(key);
    this.rejected.push({ type, reason });
  }
}

export function extractIdentifiers(
  call: IdentifyingCall,
  hint: PhoneHint,
  options: ExtractionOptions = {},
): ExtractedIdentifiers {
  const collector = new IdentifierCollector(options.blocked ?? []);
  const context = asRecord(call.context);

  if (isPresent(call.userId)) collector.accept('user_id', normaliseUserId(call.userId));
  if (isPresent(call.anonymousId)) collector.accept('anonymous_id', normaliseAnonymousId(call.anonymousId));
  for (const traits of [asRecord(call.traits), asRecord(context?.traits)]) {
    if (traits !== undefined) collectTraits(collector, traits, hint, options);
  }
  if (context !== undefined) {
    collectExternalIds(collector, context, hint, options);
    collectDeviceAdvertisingId(collector, context);
  }
  return { identifiers: collector.identifiers, rejected: collector.rejected };
}

function collectTraits(
  collector: IdentifierCollector,
  traits: Record<string, unknown>,
  hint: PhoneHint,
  options: NormalisationOptions,
): void {
  if (isPresent(traits.email)) collector.accept('email', emailFromUnknown(traits.email, options));
  if (isPresent(traits.phone)) collector.accept('phone', phoneFromUnknown(traits.phone, hint));
  for (const [key, type] of Object.entries(TRAIT_KEY_TYPES)) {
    if (Object.hasOwn(traits, key) && isPresent(traits[key])) {
      collector.accept(type, normalisePlatformId(type, traits[key]));
    }
  }
}

function collectExternalIds(
  collector: IdentifierCollector,
  context: Record<string, unknown>,
  hint: PhoneHint,
  options: NormalisationOptions,
): void {
  const externalIds = context.externalIds;
  if (!isPresent(externalIds)) return;
  if (!Array.isArray(externalIds)) return collector.reject(EXTERNAL_ID_LABEL, EXTRACTION_REASONS.externalIdsNotList);
  const deviceType = deviceAdvertisingIdType(context);
  for (const entry of externalIds) collectExternalId(collector, entry, deviceType, hint, options);
}

function collectExternalId(
  collector: IdentifierCollector,
  entry: unknown,
  deviceAdvertisingType: PlatformIdentifierType | undefined,
  hint: PhoneHint,
  options: NormalisationOptions,
): void {
  const externalId = asRecord(entry);
  if (externalId === undefined || typeof externalId.type !== 'string') {
    return collector.reject(EXTERNAL_ID_LABEL, EXTRACTION_REASONS.externalIdNotObject);
  }
  const alias = externalId.type.trim().toLowerCase();
  const type = alias === DEVICE_DEPENDENT_EXTERNAL_ID_TYPE ? deviceAdvertisingType : EXTERNAL_ID_TYPE_ALIASES[alias];
  if (type === undefined) {
    const label = alias === DEVICE_DEPENDENT_EXTERNAL_ID_TYPE ? ADVERTISING_ID_LABEL : EXTERNAL_ID_LABEL;
    const reason =
      alias === DEVICE_DEPENDENT_EXTERNAL_ID_TYPE
        ? EXTRACTION_REASONS.advertisingIdDeviceUnknown
        : EXTRACTION_REASONS.externalIdUnknownType;
    return collector.reject(label, reason);
  }
  if (isPresent(externalId.collection) && externalId.collection !== 'users') {
    return collector.reject(type, EXTRACTION_REASONS.externalIdForAccount);
  }
  if (isPresent(externalId.encoding) && externalId.encoding !== 'none') {
    return collector.reject(type, EXTRACTION_REASONS.externalIdEncoded);
  }
  collector.accept(type, normaliseByType(type, externalId.id, hint, options));
}

/** Segment's mobile SDKs report the device's advertising ID here, without saying which kind. */
function collectDeviceAdvertisingId(collector: IdentifierCollector, context: Record<string, unknown>): void {
  const device = asRecord(context.device);
  if (device === undefined || !isPresent(device.advertisingId)) return;
  // The user turned off ad tracking: the ID must not be used, even if the SDK still sent one.
  if (device.adTrackingEnabled === false) return;
  const type = deviceAdvertisingIdType(context);
  if (type === undefined) return collector.reject(ADVERTISING_ID_LABEL, EXTRACTION_REASONS.advertisingIdDeviceUnknown);
  collector.accept(type, normalisePlatformId(type, device.advertisingId));
}

function deviceAdvertisingIdType(context: Record<string, unknown>): PlatformIdentifierType | undefined {
  const deviceType = asRecord(context.device)?.type;
  return typeof deviceType === 'string' ? DEVICE_ADVERTISING_ID_TYPES[deviceType.trim().toLowerCase()] : undefined;
}

function normaliseByType(
  type: IdentifierType,
  raw: unknown,
  hint: PhoneHint,
  options: NormalisationOptions,
): NormalisedValue | NormalisedPhone {
  switch (type) {
    case 'user_id':
      return normaliseUserId(raw);
    case 'anonymous_id':
      return normaliseAnonymousId(raw);
    case 'email':
      return emailFromUnknown(raw, options);
    case 'phone':
      return phoneFromUnknown(raw, hint);
    default:
      return normalisePlatformId(type, raw);
  }
}

function emailFromUnknown(raw: unknown, options: NormalisationOptions): NormalisedValue {
  return typeof raw === 'string' ? normaliseEmail(raw, options) : fail(EXTRACTION_REASONS.emailNotText);
}

/** A phone sent as a JSON number has lost any leading 0 or '+', but may still read correctly. */
function phoneFromUnknown(raw: unknown, hint: PhoneHint): NormalisedPhone {
  if (typeof raw === 'string') return normalisePhone(raw, hint);
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return normalisePhone(String(raw), hint);
  return fail(EXTRACTION_REASONS.phoneNotText);
}

/** null and undefined mean "not sent"; anything else, even '', is a value to check. */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
