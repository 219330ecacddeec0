import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in fr: the keys and ICU arguments of en.ts, translated. */
export const fr = {
  'lookup.tier': 'Membre {tier}',
  'lookup.balance': '{points, plural, one {# point} other {# points}}',
  'lookup.memberId': 'Numéro de membre {memberId}',
  'lookup.expiring': '{points, plural, one {# point expire} other {# points expirent}} le {date}',
} satisfies LoyaltyCatalogue;
