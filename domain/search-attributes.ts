import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes Meridian sets on its workflows, so ops can filter in the Temporal UI
 * (e.g. `MeridianRegion = "eu" AND MeridianProcessKind = "privacyRequest"`). Values are codes
 * and pseudonymous IDs only: search attributes are not encrypted (DESIGN.md, rule 2).
 */
export const MERIDIAN_REGION = defineSearchAttributeKey('MeridianRegion', SearchAttributeType.KEYWORD);
export const MERIDIAN_JURISDICTION = defineSearchAttributeKey('MeridianJurisdiction', SearchAttributeType.KEYWORD);
export const MERIDIAN_PROCESS_KIND = defineSearchAttributeKey('MeridianProcessKind', SearchAttributeType.KEYWORD);
export const MERIDIAN_CUSTOMER_ID = defineSearchAttributeKey('MeridianCustomerId', SearchAttributeType.KEYWORD);

export const MERIDIAN_SEARCH_ATTRIBUTES = [
  MERIDIAN_REGION,
  MERIDIAN_JURISDICTION,
  MERIDIAN_PROCESS_KIND,
  MERIDIAN_CUSTOMER_ID,
] as const;
