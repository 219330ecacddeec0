/**
 * What a vendor's evidence of a privacy operation may keep once the erasure is over. Evidence proves
 * what was done (counts, times, the vendor's request and job IDs); some of it names the person's
 * record at the vendor (a Klaviyo profile ID, a Shopify customer ID) or is free text an operator
 * wrote. Those values are replaced when the erasure ends, so neither the system rows nor the
 * certificate built from them link the request to the person at the vendor.
 */

/** Evidence keys whose values name the person at a vendor, or carry free text about them. */
const NAMES_THE_PERSON =
  /(^|\.)(profile_?ids?|customer_?ids?|user_?ids?|buyer_?ids?|member_?ids?|record_?ids?|lookup|note|e?mails?|phones?|phone_?numbers?)$/i;

export const ERASED_EVIDENCE = '(erased with the person)';

export function evidenceAfterErasure(evidence: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(evidence).map(([key, value]) => [key, NAMES_THE_PERSON.test(key) ? ERASED_EVIDENCE : value]),
  );
}
