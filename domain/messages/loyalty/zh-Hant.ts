import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in zh-Hant: the keys and ICU arguments of en.ts, translated. */
export const zhHant = {
  'lookup.tier': '{tier}會員',
  'lookup.balance': '{points, plural, other {#點}}',
  'lookup.memberId': '會員編號 {memberId}',
  'lookup.expiring': '{points, plural, other {#點}}將於{date}到期',
} satisfies LoyaltyCatalogue;
