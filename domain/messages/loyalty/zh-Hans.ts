import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in zh-Hans: the keys and ICU arguments of en.ts, translated. */
export const zhHans = {
  'lookup.tier': '{tier}会员',
  'lookup.balance': '{points, plural, other {#积分}}',
  'lookup.memberId': '会员号 {memberId}',
  'lookup.expiring': '{points, plural, other {#积分}}将于{date}过期',
} satisfies LoyaltyCatalogue;
