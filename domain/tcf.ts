import { Base64Url, IntEncoder, SegmentIDs, TCString, type Vector } from '@iabtcf/core';
import { assertSignalOrigin, type ConsentProof, type ConsentRecord, type Purpose } from './consent';

/**
 * IAB Europe Transparency & Consent Framework (TCF v2) strings, read with the IAB Tech Lab's
 * own library (@iabtcf/core), and what they mean for Meridian's purposes.
 *
 * Decoding needs no Global Vendor List and does no I/O, so workflows can import this module.
 * The result holds plain arrays and ISO strings, not Sets and Dates, so it survives Temporal's
 * JSON payloads unchanged.
 */

export class TcfError extends Error {
  override name = 'TcfError';
}

export interface DecodedTcf {
  /** The TC string format version: always 2 here. */
  version: 2;
  cmpId: number;
  cmpVersion: number;
  consentScreen: number;
  /** ISO instants. TCF 2.2 CMPs round both to the day, so they are no exact time of the choice. */
  created: string;
  lastUpdated: string;
  /**
   * The GVL's tcfPolicyVersion when consent was collected: 2 for TCF 2.0/2.1, 4 for TCF 2.2,
   * 5 for the policy current with TCF 2.3 (GVLs carry 5 since mid-2024).
   */
  policyVersion: number;
  vendorListVersion: number;
  /** IDs sorted ascending; a purpose, vendor or feature is in the list when its bit is set. */
  purposeConsents: number[];
  purposeLegitimateInterests: number[];
  vendorConsents: number[];
  vendorLegitimateInterests: number[];
  /** Vendors the CMP showed the person (the DisclosedVendors segment, mandatory from TCF 2.3). Empty when absent. */
  vendorsDisclosed: number[];
  specialFeatureOptins: number[];
  /** ISO 3166-1 alpha-2 country of the publisher, e.g. "FR". */
  publisherCC: string;
  consentLanguage: string;
  isServiceSpecific: boolean;
  /** True when purpose 1 was not disclosed at all (publisher in a country that does not need it). */
  purposeOneTreatment: boolean;
}

const NOT_TCF_V2 = 'not a TCF v2 consent string';
const BASE64URL_SEGMENTS = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

function sorted(vector: Vector): number[] {
  return [...vector.values()].sort((a, b) => a - b);
}

/** The leading `bits` bits of a base64url segment as an integer, read with the library's own codecs. */
function leadingInt(segment: string, bits: number): number {
  return IntEncoder.decode(Base64Url.decode(segment.charAt(0)).slice(0, bits), bits);
}

/**
 * Checks what the library does not: that this is a v2 string made of known, non-repeated
 * segments. The library, given a v1 string or an unknown segment, throws TypeErrors or reads
 * garbage instead of saying so.
 */
function checkShape(tcString: string): void {
  if (tcString === '') throw new TcfError(`${NOT_TCF_V2}: it is empty`);
  if (!BASE64URL_SEGMENTS.test(tcString)) {
    throw new TcfError(`${NOT_TCF_V2}: it must be base64url text (A-Z a-z 0-9 - _) in segments separated by "."`);
  }
  const [core, ...others] = tcString.split('.');
  const version = leadingInt(core!, 6);
  if (version === 1)
    throw new TcfError(
      `${NOT_TCF_V2}: it is a TCF v1 string (version 1), which is no longer valid; the CMP must collect consent again under TCF v2`,
    );
  if (version !== 2) throw new TcfError(`${NOT_TCF_V2}: its version field is ${version}, expected 2`);
  const seen = new Set<number>();
  others.forEach((segment, i) => {
    const type = leadingInt(segment, 3);
    if (type === SegmentIDs.KEY_TO_ID.core || SegmentIDs.ID_TO_KEY[type] === undefined) {
      throw new TcfError(
        `${NOT_TCF_V2}: segment ${i + 2} has type ${type}; after the core string only types 1 (disclosed vendors), 2 (allowed vendors) and 3 (publisher TC) exist`,
      );
    }
    if (seen.has(type)) throw new TcfError(`${NOT_TCF_V2}: segment type ${type} appears twice`);
    seen.add(type);
  });
}

function isoOf(date: Date, field: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new TcfError(`${NOT_TCF_V2}: ${field} is not a valid date`);
  return date.toISOString();
}

/**
 * Decodes a TC string (surrounding whitespace ignored). A string that is not a well-formed TCF
 * v2 string throws a TcfError ("not a TCF v2 consent string: …") and nothing is returned. The
 * message never quotes the string.
 */
export function decodeTcf(tcString: string): DecodedTcf {
  if (typeof tcString !== 'string')
    throw new TcfError(`${NOT_TCF_V2}: expected text, got ${tcString === null ? 'null' : typeof tcString}`);
  const text = tcString.trim();
  checkShape(text);

  let model: ReturnType<typeof TCString.decode>;
  try {
    model = TCString.decode(text);
  } catch (error) {
    const detail = error instanceof Error && error.message ? error.message : String(error);
    throw new TcfError(`${NOT_TCF_V2}: it is truncated or corrupt (${detail})`);
  }

  if (Number(model.version) !== 2)
    throw new TcfError(`${NOT_TCF_V2}: its version field is ${String(model.version)}, expected 2`);
  const publisherCC = String(model.publisherCountryCode);
  if (!/^[A-Z]{2}$/.test(publisherCC))
    throw new TcfError(`${NOT_TCF_V2}: publisherCC is not a two-letter country code`);

  return {
    version: 2,
    cmpId: Number(model.cmpId),
    cmpVersion: Number(model.cmpVersion),
    consentScreen: Number(model.consentScreen),
    created: isoOf(model.created, 'created'),
    lastUpdated: isoOf(model.lastUpdated, 'lastUpdated'),
    policyVersion: Number(model.policyVersion),
    vendorListVersion: Number(model.vendorListVersion),
    purposeConsents: sorted(model.purposeConsents),
    purposeLegitimateInterests: sorted(model.purposeLegitimateInterests),
    vendorConsents: sorted(model.vendorConsents),
    vendorLegitimateInterests: sorted(model.vendorLegitimateInterests),
    vendorsDisclosed: sorted(model.vendorsDisclosed),
    specialFeatureOptins: sorted(model.specialFeatureOptins),
    publisherCC,
    consentLanguage: String(model.consentLanguage),
    isServiceSpecific: Boolean(model.isServiceSpecific),
    purposeOneTreatment: Boolean(model.purposeOneTreatment),
  };
}

/**
 * TCF purposes each Meridian purpose needs, all by consent (legitimate-interest bits never grant):
 * - personalisedAds: 1 store/access information on a device, 3 create profiles for personalised
 *   advertising, 4 use profiles to select personalised advertising.
 * - analytics: 1, 8 measure content performance, and 9 understand audiences through statistics
 *   or combinations of data from different sources. A CDP both measures and combines sources,
 *   so it needs both; consent to only one of them is not consent to Meridian's analytics.
 * Other Meridian purposes (email, SMS, push, sale/sharing, cross-border transfer) have no TCF
 * purpose and are left alone.
 */
export const TCF_PURPOSE_RULES = {
  personalisedAds: [1, 3, 4],
  analytics: [1, 8, 9],
} as const satisfies Partial<Record<Purpose, readonly number[]>>;

export interface TcfConsentOptions {
  /**
   * Also require this GVL vendor (e.g. the ad platform the audience goes to) to have consent,
   * and, when the string has a DisclosedVendors segment, to have been disclosed (TCF 2.3).
   * Applies to personalisedAds only.
   */
  vendorId?: number;
  /** ISO instant; defaults to the string's lastUpdated, which TCF CMPs round to the day. Pass the receive time when known. */
  at?: string;
  /** Defaults to the CMP's own proof-of-consent fields (CMP ID, version, screen, last update). Pass a hash of the string when you have one. */
  proof?: ConsentProof;
}

/**
 * What a decoded TC string says about Meridian's purposes: one explicit 'granted' or 'denied'
 * record (source 'tcf') for each purpose in TCF_PURPOSE_RULES. A missing consent bit is a
 * denial: the CMP asked and the person did not agree. With purposeOneTreatment, purpose 1 was
 * never asked, so its bit is unset and both purposes are denied; a source in such a country
 * should collect consent in another way.
 */
export function consentFromTcf(decoded: DecodedTcf, options: TcfConsentOptions = {}): ConsentRecord[] {
  const at = options.at ?? decoded.lastUpdated;
  const proof = options.proof ?? {
    kind: 'tcf-cmp',
    reference: `cmp ${decoded.cmpId} v${decoded.cmpVersion} screen ${decoded.consentScreen}, policy ${decoded.policyVersion}, updated ${decoded.lastUpdated}`,
  };
  assertSignalOrigin({ at, proof });
  if (options.vendorId !== undefined && !(Number.isInteger(options.vendorId) && options.vendorId > 0)) {
    throw new TcfError(`vendorId must be a positive integer GVL vendor ID, e.g. 755`);
  }

  const consented = new Set(decoded.purposeConsents);
  const allOf = (purposes: readonly number[]) => purposes.every((p) => consented.has(p));

  let ads = allOf(TCF_PURPOSE_RULES.personalisedAds);
  if (options.vendorId !== undefined) {
    const vendor = options.vendorId;
    const disclosed = decoded.vendorsDisclosed.length === 0 || decoded.vendorsDisclosed.includes(vendor);
    ads = ads && decoded.vendorConsents.includes(vendor) && disclosed;
  }
  const analytics = allOf(TCF_PURPOSE_RULES.analytics);

  const record = (purpose: Purpose, granted: boolean): ConsentRecord => ({
    purpose,
    state: granted ? 'granted' : 'denied',
    source: 'tcf',
    at,
    proof,
  });
  return [record('personalisedAds', ads), record('analytics', analytics)];
}
