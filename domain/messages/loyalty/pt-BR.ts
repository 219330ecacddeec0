import type { LoyaltyCatalogue } from './en';

/** The loyalty lookup's words in pt-BR: the keys and ICU arguments of en.ts, translated. */
export const ptBR = {
  'lookup.tier': 'Membro {tier}',
  'lookup.balance': '{points, plural, one {# ponto} other {# pontos}}',
  'lookup.memberId': 'Número de membro {memberId}',
  'lookup.expiring': '{points, plural, one {# ponto expira} other {# pontos expiram}} em {date}',
} satisfies LoyaltyCatalogue;
