/** What the loyalty lookup says to a till or an app (issue 14), in English: the reference catalogue. */
export const en = {
  'lookup.tier': '{tier} member',
  'lookup.balance': '{points, plural, one {# point} other {# points}}',
  'lookup.memberId': 'Member ID {memberId}',
  'lookup.expiring': '{points, plural, one {# point expires} other {# points expire}} on {date}',
} as const;

export type LoyaltyMessageKey = keyof typeof en;
export type LoyaltyCatalogue = { readonly [K in LoyaltyMessageKey]: string };
