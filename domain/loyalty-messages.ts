import { catalogueSet, formatDate, type Locale } from './messages/i18n';
import { ar } from './messages/loyalty/ar';
import { de } from './messages/loyalty/de';
import { en, type LoyaltyMessageKey } from './messages/loyalty/en';
import { es } from './messages/loyalty/es';
import { fr } from './messages/loyalty/fr';
import { ja } from './messages/loyalty/ja';
import { ko } from './messages/loyalty/ko';
import { ptBR } from './messages/loyalty/pt-BR';
import { th } from './messages/loyalty/th';
import { zhHans } from './messages/loyalty/zh-Hans';
import { zhHant } from './messages/loyalty/zh-Hant';
import { benefitsFor, type LoyaltyProgramme, tierName } from './loyalty';

/**
 * What the loyalty lookup answers a till or an app (issue 14), in the language of the caller's
 * market: the words in domain/messages/loyalty/ (one file per locale, as the privacy portal's), the
 * tier names and benefit texts from the programme itself.
 */

export const LOYALTY_MESSAGES = catalogueSet<LoyaltyMessageKey>(
  { en, de, fr, es, 'pt-BR': ptBR, ja, ko, 'zh-Hans': zhHans, 'zh-Hant': zhHant, th, ar },
  'domain/messages/loyalty',
);

/** The language a store in this market speaks to its customers; English where none is listed. */
const MARKET_LOCALES: Readonly<Record<string, Locale>> = {
  JP: 'ja',
  DE: 'de',
  AT: 'de',
  CH: 'de',
  FR: 'fr',
  BE: 'fr',
  LU: 'fr',
  ES: 'es',
  MX: 'es',
  AR: 'es',
  CO: 'es',
  CL: 'es',
  BR: 'pt-BR',
  KR: 'ko',
  CN: 'zh-Hans',
  SG: 'en',
  TW: 'zh-Hant',
  HK: 'zh-Hant',
  TH: 'th',
  AE: 'ar',
  SA: 'ar',
  EG: 'ar',
};

export function marketLocale(market: string | null | undefined): Locale {
  return (market && MARKET_LOCALES[market.toUpperCase()]) || 'en';
}

export interface LoyaltyLookupText {
  language: Locale;
  tierName: string;
  lines: string[];
  benefits: { key: string; text: string }[];
}

/** The member's tier, balance and benefits as the caller's market reads them. */
export function lookupText(
  programme: LoyaltyProgramme,
  member: { memberId: string; tier: string },
  balance: number,
  market: string | null,
  nextExpiry?: { points: number; date: string },
): LoyaltyLookupText {
  const language = marketLocale(market);
  const name = tierName(programme, member.tier, language);
  const t = LOYALTY_MESSAGES.t;
  const lines = [
    t(language, 'lookup.tier', { tier: name }),
    t(language, 'lookup.balance', { points: balance }),
    t(language, 'lookup.memberId', { memberId: member.memberId }),
    ...(nextExpiry && nextExpiry.points > 0
      ? [t(language, 'lookup.expiring', { points: nextExpiry.points, date: formatDate(language, nextExpiry.date) })]
      : []),
  ];
  return { language, tierName: name, lines, benefits: benefitsFor(programme, member.tier, market, language) };
}
