import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in ar: the keys and ICU arguments of en.ts, translated. */
export const ar = {
  'lookup.tier': 'عضو {tier}',
  'lookup.balance':
    '{points, plural, zero {# نقطة} one {نقطة واحدة} two {نقطتان} few {# نقاط} many {# نقطة} other {# نقطة}}',
  'lookup.memberId': 'رقم العضوية {memberId}',
  'lookup.expiring':
    'تنتهي صلاحية {points, plural, zero {# نقطة} one {نقطة واحدة} two {نقطتين} few {# نقاط} many {# نقطة} other {# نقطة}} في {date}',
} satisfies LoyaltyCatalogue;
