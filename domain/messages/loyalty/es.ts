import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in es: the keys and ICU arguments of en.ts, translated. */
export const es = {
  'lookup.tier': 'Miembro {tier}',
  'lookup.balance': '{points, plural, one {# punto} other {# puntos}}',
  'lookup.memberId': 'Número de socio {memberId}',
  'lookup.expiring': '{points, plural, one {# punto caduca} other {# puntos caducan}} el {date}',
} satisfies LoyaltyCatalogue;
