import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in ko: the keys and ICU arguments of en.ts, translated. */
export const ko = {
  'lookup.tier': '{tier} 회원',
  'lookup.balance': '{points, plural, other {#포인트}}',
  'lookup.memberId': '회원 번호 {memberId}',
  'lookup.expiring': '{date}에 {points, plural, other {#포인트}}가 소멸됩니다',
} satisfies LoyaltyCatalogue;
