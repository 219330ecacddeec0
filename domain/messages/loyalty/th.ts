import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in th: the keys and ICU arguments of en.ts, translated. */
export const th = {
  'lookup.tier': 'สมาชิกระดับ {tier}',
  'lookup.balance': '{points, plural, other {# คะแนน}}',
  'lookup.memberId': 'หมายเลขสมาชิก {memberId}',
  'lookup.expiring': '{points, plural, other {# คะแนน}}จะหมดอายุในวันที่ {date}',
} satisfies LoyaltyCatalogue;
