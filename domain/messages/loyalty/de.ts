import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in de: the keys and ICU arguments of en.ts, translated. */
export const de = {
  'lookup.tier': 'Mitglied {tier}',
  'lookup.balance': '{points, plural, one {# Punkt} other {# Punkte}}',
  'lookup.memberId': 'Mitgliedsnummer {memberId}',
  'lookup.expiring': '{points, plural, one {# Punkt verfällt} other {# Punkte verfallen}} am {date}',
} satisfies LoyaltyCatalogue;
