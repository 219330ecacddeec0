import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in ja: the keys and ICU arguments of en.ts, translated. */
export const ja = {
  'lookup.tier': '{tier}会員',
  'lookup.balance': '{points, plural, other {#ポイント}}',
  'lookup.memberId': '会員番号 {memberId}',
  'lookup.expiring': '{date}に{points, plural, other {#ポイント}}が失効します',
} satisfies LoyaltyCatalogue;
