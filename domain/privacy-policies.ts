import { z } from 'zod';
import { addLocalDays } from './local-time';
import { jurisdictionOf, type Jurisdiction } from './jurisdictions';
import {
  PURPOSES,
  parsePurpose,
  type ConsentDecision,
  type ConsentDefaults,
  type ConsentPolicy,
  type Purpose,
} from './consent';

/**
 * What each privacy law says, as data (DESIGN.md, "Regions and jurisdictions"): the rights a person
 * may exercise, the consent model per purpose, how long a request may take, whether Global Privacy
 * Control counts as an opt-out, and whether a transfer abroad needs consent of its own. One policy per
 * jurisdiction code of ./jurisdictions, which decides who falls under which law.
 *
 * Written from the laws and regulators' guidance as of 2025; each policy's `notes` say what is
 * simplified or uncertain. This is an engineering model, not legal advice: legal review owns the data.
 *
 * Pure and deterministic, so workflows can import it: dates are YYYY-MM-DD local dates, counted with
 * plain calendar arithmetic; nothing reads the clock.
 */

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/**
 * Rights a person may exercise. `restriction` is GDPR Art. 18 style (keep, but do not use);
 * `objection` is a right to stop a processing (always including direct marketing);
 * `optOutOfSaleSharing` is the US-style opt-out of sale, sharing and targeted advertising.
 */
export const PRIVACY_RIGHTS = [
  'access',
  'deletion',
  'correction',
  'portability',
  'restriction',
  'objection',
  'optOutOfSaleSharing',
  'withdrawConsent',
] as const;
export type PrivacyRight = (typeof PRIVACY_RIGHTS)[number];

const RIGHT_LIST = PRIVACY_RIGHTS.join(', ');

export const privacyRightSchema = z.enum(PRIVACY_RIGHTS, {
  error: (issue) => `${describe(issue.input)} is not a privacy right: use one of ${RIGHT_LIST}`,
});

/** Consent purposes are defined once, in ./consent; re-exported so callers of this module validate with the same schema. */
export { PURPOSES, purposeSchema, type Purpose } from './consent';

/** opt-in: nothing without a yes. opt-out: allowed until the person says no. not-required: the law asks no consent. */
export type ConsentModel = 'opt-in' | 'opt-out' | 'not-required';

export interface PurposeRule {
  readonly model: ConsentModel;
  /** The provision that decides the model, in one line. */
  readonly basis: string;
}

export type DayCount = 'calendar' | 'business';

export interface DeadlinePeriod {
  readonly days: number;
  readonly unit: DayCount;
  /**
   * The law counts in months ("one month"). `days` is the fixed-length stand-in operations asked for,
   * and the due date is never later than this many calendar months (a day with no counterpart in the
   * shorter month becomes that month's last day: 31 January + 1 month = 28 February).
   */
  readonly months?: number;
}

export interface DeadlineExtension extends DeadlinePeriod {
  /** The person must be told of the extension, with reasons, before the first period ends. */
  readonly requiresNotice: boolean;
}

export interface ResponseDeadlineRule extends DeadlinePeriod {
  /** Counted from the end of the first period. null: the law allows none (or sets no length). */
  readonly extension: DeadlineExtension | null;
}

export interface PrivacyPolicy {
  readonly jurisdiction: Jurisdiction;
  /** Short display name, e.g. "GDPR (EU/EEA)". */
  readonly name: string;
  /** Who enforces it. */
  readonly authority: string;
  readonly rights: readonly PrivacyRight[];
  readonly consent: Readonly<Record<Purpose, PurposeRule>>;
  /** Time to answer a rights request, counted from the day after the local date it was received. */
  readonly deadline: ResponseDeadlineRule;
  /** A `Sec-GPC: 1` signal is a valid opt-out of sale/sharing (and targeted advertising). */
  readonly gpcHonoured: boolean;
  /** Consent to a transfer abroad must be asked for on its own, not bundled with other consents. */
  readonly crossBorderTransferNeedsSeparateConsent: boolean;
  /** What the model simplifies or is unsure of. */
  readonly notes: readonly string[];
}

export class PrivacyPolicyError extends Error {
  override name = 'PrivacyPolicyError';
}

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

const ALL_GDPR_RIGHTS = [
  'access',
  'deletion',
  'correction',
  'portability',
  'restriction',
  'objection',
  'withdrawConsent',
] as const;

/** GDPR and UK GDPR: "one month", extendable by "two further months" with reasons (Art. 12(3)). */
const ONE_MONTH_PLUS_TWO: ResponseDeadlineRule = {
  days: 30,
  unit: 'calendar',
  months: 1,
  extension: { days: 60, unit: 'calendar', months: 2, requiresNotice: true },
};

/** Every US policy: federal marketing law applies whatever the state. */
const US_FEDERAL_MESSAGING = {
  emailMarketing: {
    model: 'opt-out',
    basis: 'CAN-SPAM Act, 15 U.S.C. 7704(a)(3)-(5): unsubscribe link, honoured within 10 business days',
  },
  smsMarketing: {
    model: 'opt-in',
    basis: 'TCPA, 47 U.S.C. 227(b); 47 CFR 64.1200(a)(2): prior express written consent for marketing texts',
  },
  push: {
    model: 'opt-out',
    basis: 'No statute requires consent; the OS permission prompt (iOS, Android 13+) gates delivery',
  },
  crossBorderTransfer: {
    model: 'not-required',
    basis:
      'No US transfer restriction for consumer data (DOJ bulk-data rule 28 CFR 202 targets countries of concern only)',
  },
} as const satisfies Partial<Record<Purpose, PurposeRule>>;

/** The US state-law deadline: 45 days, extendable once by 45 with notice (Va. Code 59.1-578(A), Colo. Rev. Stat. 6-1-1306(2), …). */
const US_FORTY_FIVE_PLUS_FORTY_FIVE: ResponseDeadlineRule = {
  days: 45,
  unit: 'calendar',
  extension: { days: 45, unit: 'calendar', requiresNotice: true },
};

export const PRIVACY_POLICIES = {
  GDPR: {
    jurisdiction: 'GDPR',
    name: 'GDPR (EU/EEA)',
    authority: "The member state's supervisory authority (one-stop-shop lead authority), e.g. CNIL, Irish DPC",
    rights: ALL_GDPR_RIGHTS,
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'ePrivacy Directive Art. 13(1); GDPR Art. 6(1)(a)' },
      smsMarketing: { model: 'opt-in', basis: 'ePrivacy Directive Art. 13(1) (SMS is "electronic mail")' },
      push: { model: 'opt-in', basis: 'ePrivacy Directive Art. 5(3) (device access) and Art. 13(1)' },
      personalisedAds: {
        model: 'opt-in',
        basis: 'ePrivacy Directive Art. 5(3); GDPR Art. 6(1)(a); CJEU C-673/17 Planet49, C-252/21 Meta',
      },
      analytics: {
        model: 'opt-in',
        basis: 'ePrivacy Directive Art. 5(3): non-essential cookies and SDKs need consent',
      },
      saleSharing: { model: 'opt-in', basis: "GDPR Art. 6(1)(a): disclosure for a third party's own purposes" },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'GDPR Arts. 45-46: adequacy decision or SCCs; consent (Art. 49(1)(a)) is only a derogation',
      },
    },
    deadline: ONE_MONTH_PLUS_TWO,
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      '"One month" (Art. 12(3), Reg. 1182/71) is modelled as 30 days capped at one calendar month, so the date is never later than the law\'s; the law\'s roll-forward past a weekend or holiday (Reg. 1182/71 Art. 3(4)) is not applied, which only makes it earlier.',
      'Soft opt-in (ePrivacy Art. 13(2)): existing customers may get email about similar products until they object; member states differ, so the model stays opt-in.',
      'Some authorities exempt first-party audience measurement from consent (CNIL); the model stays opt-in.',
      'GPC is not a legal mechanism under GDPR, though an authority could read it as an Art. 21(5) objection; sale/sharing is opt-in anyway.',
    ],
  },
  UK_GDPR: {
    jurisdiction: 'UK_GDPR',
    name: 'UK GDPR',
    authority: "Information Commissioner's Office (ICO)",
    rights: ALL_GDPR_RIGHTS,
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'PECR reg. 22(2); UK GDPR Art. 6(1)(a)' },
      smsMarketing: { model: 'opt-in', basis: 'PECR reg. 22(2) (SMS is "electronic mail")' },
      push: { model: 'opt-in', basis: 'PECR reg. 6 (device storage) and reg. 22' },
      personalisedAds: { model: 'opt-in', basis: 'PECR reg. 6; UK GDPR Art. 6(1)(a)' },
      analytics: { model: 'opt-in', basis: 'PECR reg. 6: non-essential cookies need consent' },
      saleSharing: { model: 'opt-in', basis: "UK GDPR Art. 6(1)(a): disclosure for a third party's own purposes" },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'UK GDPR Arts. 45-46: UK adequacy regulations, IDTA or UK Addendum to SCCs',
      },
    },
    deadline: ONE_MONTH_PLUS_TWO,
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'ICO: time runs from the day of receipt to the corresponding date next month (31 January → 28 February); ICO suggests 28 days where systems need a fixed number. Modelled as 30 days capped at one calendar month.',
      'Soft opt-in (PECR reg. 22(3)) for existing customers is not modelled: opt-in.',
      'The Data (Use and Access) Act 2025 exempts some analytics cookies from consent and lets the clock stop while awaiting clarification; the model stays opt-in until commencement is confirmed. Pass the date the clock (re)starts as the received date.',
    ],
  },
  CH_FADP: {
    jurisdiction: 'CH_FADP',
    name: 'FADP (Switzerland)',
    authority: 'Federal Data Protection and Information Commissioner (FDPIC)',
    rights: ['access', 'deletion', 'correction', 'portability', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: 'Unfair Competition Act (UWG) Art. 3(1)(o): consent for mass electronic advertising',
      },
      smsMarketing: { model: 'opt-in', basis: 'UWG Art. 3(1)(o)' },
      push: { model: 'opt-in', basis: 'UWG Art. 3(1)(o) (mass advertising by telecommunication)' },
      personalisedAds: {
        model: 'opt-out',
        basis: 'Telecommunications Act Art. 45c: inform and allow refusal; FADP Art. 30(2)(b) objection',
      },
      analytics: { model: 'opt-out', basis: 'Telecommunications Act Art. 45c: inform and allow refusal' },
      saleSharing: {
        model: 'opt-out',
        basis: 'FADP Art. 30(2)(b)-(c): disclosure allowed unless the person objects (sensitive data excepted)',
      },
      crossBorderTransfer: { model: 'not-required', basis: 'FADP Art. 16: Federal Council adequacy list or SCCs' },
    },
    deadline: { days: 30, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'Data Protection Ordinance Art. 18: 30 days; a controller may defer with notice stating when it will answer, but no fixed length, so no extension is modelled.',
      'High-risk profiling needs express consent (FADP Art. 6(7)(b)); ordinary ad targeting is modelled as opt-out.',
    ],
  },
  CCPA: {
    jurisdiction: 'CCPA',
    name: 'CCPA/CPRA (California)',
    authority: 'California Privacy Protection Agency and California Attorney General',
    rights: ['access', 'deletion', 'correction', 'portability', 'optOutOfSaleSharing'],
    consent: {
      ...US_FEDERAL_MESSAGING,
      personalisedAds: {
        model: 'opt-out',
        basis: 'Cal. Civ. Code 1798.120, 1798.140(ah): cross-context behavioural advertising is "sharing"',
      },
      analytics: {
        model: 'not-required',
        basis: 'Cal. Civ. Code 1798.140(e): analytics by a service provider is a business purpose',
      },
      saleSharing: {
        model: 'opt-out',
        basis: 'Cal. Civ. Code 1798.120, 1798.135; 11 CCR 7025 (opt-out preference signals)',
      },
    },
    deadline: US_FORTY_FIVE_PLUS_FORTY_FIVE,
    gpcHonoured: true,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'Cal. Civ. Code 1798.130(a)(2); 11 CCR 7021: 45 calendar days, plus 45 with notice. Receipt must be confirmed within 10 business days, and opt-outs of sale/sharing honoured within 15 business days (11 CCR 7026(f)): not modelled here.',
      'Sale/sharing of a consumer under 16 needs opt-in (1798.120(c)); the right to limit use of sensitive personal information (1798.121) is not modelled.',
    ],
  },
  US_STATE_PRIVACY: {
    jurisdiction: 'US_STATE_PRIVACY',
    name: 'US state privacy laws (VA, CO, CT, TX, OR, …)',
    authority: "The state's Attorney General",
    rights: ['access', 'deletion', 'correction', 'portability', 'optOutOfSaleSharing', 'withdrawConsent'],
    consent: {
      ...US_FEDERAL_MESSAGING,
      personalisedAds: {
        model: 'opt-out',
        basis: 'Opt-out of targeted advertising, e.g. Va. Code 59.1-577(A)(5), Colo. Rev. Stat. 6-1-1306(1)(a)',
      },
      analytics: {
        model: 'not-required',
        basis: 'First-party and processor analytics need no consent under the state laws',
      },
      saleSharing: {
        model: 'opt-out',
        basis: 'Opt-out of sale, e.g. Va. Code 59.1-577(A)(5), Tex. Bus. & Com. Code 541.051(b)(5)',
      },
    },
    deadline: US_FORTY_FIVE_PLUS_FORTY_FIVE,
    gpcHonoured: true,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'One baseline for all states in ./jurisdictions with a comprehensive law: the most common (Virginia-model) rights and 45 + 45 days, identical across them.',
      'GPC is legally required as a universal opt-out in CO, CT, TX, OR, MT, NH, NJ, DE, MN, MD, NE and others, not in VA, UT, IA, TN, IN, KY; honoured everywhere in this group because the states are not told apart and honouring it is always allowed.',
      'Utah and Iowa grant no correction right; offering it anyway is harmless. Sensitive data needs opt-in in most of these states: not modelled.',
    ],
  },
  US_NO_STATE_LAW: {
    jurisdiction: 'US_NO_STATE_LAW',
    name: 'US, no state privacy law (state-law baseline applied)',
    authority: 'Federal Trade Commission (FTC Act s. 5); FCC for the TCPA',
    rights: ['access', 'deletion', 'correction', 'portability', 'optOutOfSaleSharing', 'withdrawConsent'],
    consent: {
      ...US_FEDERAL_MESSAGING,
      personalisedAds: { model: 'opt-out', basis: 'No state law; Meridian applies the US state-law opt-out' },
      analytics: { model: 'not-required', basis: 'No consent law for analytics' },
      saleSharing: {
        model: 'opt-out',
        basis: 'No state law; Meridian applies the US state-law opt-out (Nevada NRS 603A.345 has a sale opt-out)',
      },
    },
    deadline: US_FORTY_FIVE_PLUS_FORTY_FIVE,
    gpcHonoured: true,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'Only federal law binds (CAN-SPAM, TCPA, FTC Act). Meridian offers the state-law baseline (rights, 45 + 45 days, GPC) voluntarily, so one US process serves everyone and a person whose state is recorded wrongly loses nothing.',
      'Health data laws (Washington My Health My Data, Nevada SB 370) are not modelled.',
    ],
  },
  PIPEDA: {
    jurisdiction: 'PIPEDA',
    name: 'PIPEDA and CASL (Canada)',
    authority:
      "Office of the Privacy Commissioner of Canada (OPC); in Quebec, the Commission d'accès à l'information (CAI)",
    rights: ['access', 'correction', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: 'CASL s. 6: express or implied consent for commercial electronic messages',
      },
      smsMarketing: { model: 'opt-in', basis: 'CASL s. 6: text messages are commercial electronic messages too' },
      push: {
        model: 'opt-in',
        basis: 'CASL s. 6 (messages to an "electronic address"; application to push is debated)',
      },
      personalisedAds: {
        model: 'opt-out',
        basis: 'PIPEDA Sch. 1 Principle 4.3; OPC Guidelines on Online Behavioural Advertising (opt-out acceptable)',
      },
      analytics: { model: 'opt-out', basis: 'PIPEDA Principle 4.3.6: implied consent for non-sensitive information' },
      saleSharing: {
        model: 'opt-in',
        basis:
          'PIPEDA Principle 4.3; OPC Guidelines for obtaining meaningful consent: express consent outside reasonable expectations',
      },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'PIPEDA Principle 4.1.3: accountability and notice (OPC 2009 transfer guidelines), no consent',
      },
    },
    deadline: { days: 30, unit: 'calendar', extension: { days: 30, unit: 'calendar', requiresNotice: true } },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'PIPEDA s. 8(3)-(4): 30 days, extendable by up to 30 with notice within the first 30.',
      'No general deletion right: information no longer needed must be destroyed (Principle 4.5.3), and withdrawing consent usually leads there.',
      'Quebec (Law 25) is not told apart by ./jurisdictions, which has no Canadian provinces: Quebec adds portability, de-indexing, profiling/tracking off by default (s. 8.1, i.e. opt-in for personalisedAds), a privacy impact assessment before transfers out of Quebec, and 30 days with no extension.',
    ],
  },
  LGPD: {
    jurisdiction: 'LGPD',
    name: 'LGPD (Brazil)',
    authority: 'Autoridade Nacional de Proteção de Dados (ANPD)',
    rights: ['access', 'deletion', 'correction', 'portability', 'restriction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: 'LGPD Art. 7(I); legitimate interest (Art. 7(IX), Art. 10) is arguable for existing customers',
      },
      smsMarketing: { model: 'opt-in', basis: 'LGPD Art. 7(I)' },
      push: { model: 'opt-in', basis: 'LGPD Art. 7(I)' },
      personalisedAds: { model: 'opt-in', basis: 'LGPD Art. 7(I); ANPD Cookie Guidance (2022)' },
      analytics: {
        model: 'opt-out',
        basis: 'LGPD Art. 7(IX), Art. 10 legitimate interest; ANPD Cookie Guidance (2022)',
      },
      saleSharing: {
        model: 'opt-in',
        basis: 'LGPD Art. 7 §5: specific consent to share data given on consent with other controllers',
      },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'LGPD Art. 33; ANPD Resolution 19/2024 standard contractual clauses',
      },
    },
    deadline: { days: 15, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'Art. 19(II): a complete answer within 15 days; the law does not say calendar or business days. Calendar days (Civil Code Art. 132) is the stricter reading. ANPD Resolution 2/2022 doubles it for small processing agents: not modelled.',
    ],
  },
  PIPL: {
    jurisdiction: 'PIPL',
    name: 'PIPL (China)',
    authority: 'Cyberspace Administration of China (CAC)',
    rights: ['access', 'deletion', 'correction', 'portability', 'restriction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: 'PIPL Art. 13(1); Advertising Law Art. 43: consent for electronic advertising',
      },
      smsMarketing: { model: 'opt-in', basis: 'PIPL Art. 13(1); Advertising Law Art. 43' },
      push: { model: 'opt-in', basis: 'PIPL Art. 13(1); Advertising Law Art. 43-44' },
      personalisedAds: {
        model: 'opt-in',
        basis: 'PIPL Art. 13(1), Art. 24(2): personalised marketing needs consent and an easy refusal',
      },
      analytics: { model: 'opt-in', basis: 'PIPL Art. 13(1): no legitimate-interest basis' },
      saleSharing: { model: 'opt-in', basis: 'PIPL Art. 23: separate consent to provide data to another handler' },
      crossBorderTransfer: {
        model: 'opt-in',
        basis: 'PIPL Art. 39: separate consent, plus a CAC mechanism under Art. 38',
      },
    },
    deadline: { days: 15, unit: 'business', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: true,
    notes: [
      'PIPL Art. 50 only says "promptly". 15 working days comes from GB/T 35273-2020 §8.7 and the CAC app rules; it is the figure regulators check against, not a statute.',
      'Chinese holidays move working days onto weekends (调休): pass those as `workdays` and the holidays as `holidays` when counting.',
      'Art. 38 also requires a CAC security assessment, standard contract filing or certification for transfers: consent alone is not enough.',
    ],
  },
  APPI: {
    jurisdiction: 'APPI',
    name: 'APPI (Japan)',
    authority: 'Personal Information Protection Commission (PPC)',
    rights: ['access', 'deletion', 'correction', 'restriction'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: 'Act on Regulation of Transmission of Specified Electronic Mail Art. 3',
      },
      smsMarketing: { model: 'opt-in', basis: 'Specified Electronic Mail Act Art. 3 (covers SMS)' },
      push: {
        model: 'opt-out',
        basis: 'No statutory consent; APPI Art. 21 purpose notice; the OS permission prompt gates delivery',
      },
      personalisedAds: {
        model: 'opt-in',
        basis: 'APPI Art. 27(1) (audience upload is third-party provision), Art. 31 (personally referable information)',
      },
      analytics: {
        model: 'not-required',
        basis: 'Telecommunications Business Act Art. 27-12: notice or publication of external transmission',
      },
      saleSharing: { model: 'opt-in', basis: 'APPI Art. 27(1): consent for third-party provision' },
      crossBorderTransfer: {
        model: 'opt-in',
        basis:
          'APPI Art. 28(1): consent for provision to a third party abroad, unless adequate country or equivalent measures',
      },
    },
    deadline: { days: 14, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'Art. 33(2) says "without delay" (遅滞なく), with no number: 14 calendar days is Meridian\'s stand-in.',
      'Deletion and cessation (Art. 35) only on statutory grounds (unlawful use, no longer needed, breach, harm to rights); no portability, though copies may be asked for electronically.',
      "Art. 28 consent must be informed about the destination country's regime; transfers to the EU/UK (adequate) or to a recipient bound to equivalent measures need none. Within one company it is no third-party provision.",
      'The Art. 27(2) opt-out scheme for third-party provision requires filing with the PPC; not modelled.',
    ],
  },
  PIPA: {
    jurisdiction: 'PIPA',
    name: 'PIPA (South Korea)',
    authority: 'Personal Information Protection Commission (PIPC); Korea Communications Commission for advertising',
    rights: ['access', 'deletion', 'correction', 'restriction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'Network Act Art. 50(1): prior consent for commercial advertising' },
      smsMarketing: { model: 'opt-in', basis: 'Network Act Art. 50(1); separate consent for 21:00-08:00 (Art. 50(3))' },
      push: { model: 'opt-in', basis: 'Network Act Art. 50(1) (app push advertising included)' },
      personalisedAds: {
        model: 'opt-in',
        basis: 'PIPA Art. 15(1)(1), Art. 22: consent for marketing, asked separately',
      },
      analytics: { model: 'opt-out', basis: 'PIPA Art. 30(1): disclose automatic collection and how to refuse it' },
      saleSharing: { model: 'opt-in', basis: 'PIPA Art. 17(1): consent for provision to third parties' },
      crossBorderTransfer: {
        model: 'opt-in',
        basis: 'PIPA Art. 28-8(1)(1): separate consent, unless another Art. 28-8 ground applies',
      },
    },
    deadline: { days: 10, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: true,
    notes: [
      'Enforcement Decree Arts. 41(4), 43(3), 44(2): 10 days for access, correction/deletion and suspension. A justified deferral is allowed with notice, open-ended, so no extension is modelled.',
      'Network Act Art. 50(8): marketing consent must be reconfirmed every 2 years; existing customers may get similar-product ads for 6 months after a purchase. Not modelled.',
      'Portability (Art. 35-2) is being phased in for designated sectors from 2025: not modelled. Since 2023, certification, adequacy or a disclosed outsourcing contract can replace consent for transfers (Art. 28-8(1)(2)-(5)).',
    ],
  },
  AU_PRIVACY_ACT: {
    jurisdiction: 'AU_PRIVACY_ACT',
    name: 'Privacy Act 1988 (Australia)',
    authority: 'Office of the Australian Information Commissioner (OAIC)',
    rights: ['access', 'correction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'Spam Act 2003 s. 16: express or inferred consent' },
      smsMarketing: { model: 'opt-in', basis: 'Spam Act 2003 s. 16' },
      push: { model: 'opt-in', basis: 'Spam Act 2003 s. 16 (instant messages; push is arguable)' },
      personalisedAds: { model: 'opt-out', basis: 'APP 7.2-7.3: direct marketing with a simple opt-out' },
      analytics: {
        model: 'not-required',
        basis: 'APP 3, APP 5: collection notice, no consent for non-sensitive information',
      },
      saleSharing: { model: 'opt-in', basis: 'APP 6.1: disclosure for a secondary purpose needs consent' },
      crossBorderTransfer: { model: 'not-required', basis: 'APP 8.1 and s. 16C: reasonable steps and accountability' },
    },
    deadline: { days: 30, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'APP 12.4(a)(ii): "a reasonable period"; OAIC APP Guidelines ch. 12: generally no longer than 30 calendar days.',
      '`objection` is the APP 7.6 request to stop direct marketing. No deletion or portability right (APP 11.2 destruction duty only); the 2024 reforms left those for a later tranche.',
    ],
  },
  IN_DPDP: {
    jurisdiction: 'IN_DPDP',
    name: 'DPDP Act (India)',
    authority: 'Data Protection Board of India',
    rights: ['access', 'deletion', 'correction', 'withdrawConsent'],
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'DPDP Act s. 6(1): free, specific, affirmative consent' },
      smsMarketing: { model: 'opt-in', basis: 'DPDP Act s. 6(1); TRAI TCCCPR 2018 consent and DND registry' },
      push: { model: 'opt-in', basis: 'DPDP Act s. 6(1)' },
      personalisedAds: { model: 'opt-in', basis: 'DPDP Act s. 6(1); s. 9(3) bans targeted ads at children' },
      analytics: { model: 'opt-in', basis: 'DPDP Act s. 6(1): s. 7 legitimate uses do not cover analytics' },
      saleSharing: { model: 'opt-in', basis: 'DPDP Act s. 6(1)' },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'DPDP Act s. 16: allowed except to countries the government restricts',
      },
    },
    deadline: { days: 90, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'DPDP Rules 2025 (notified 13 November 2025; rights obligations apply from May 2027): Rule 14(3) sets 90 days as the outer limit for grievances; no separate limit for access or erasure, so 90 days is used for all. Shorten it if the data fiduciary publishes a shorter period.',
    ],
  },
  SG_PDPA: {
    jurisdiction: 'SG_PDPA',
    name: 'PDPA (Singapore)',
    authority: 'Personal Data Protection Commission (PDPC)',
    rights: ['access', 'correction', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis:
          'PDPA s. 13; PDPC Advisory Guidelines: deemed consent by notification and legitimate interests do not cover direct marketing',
      },
      smsMarketing: {
        model: 'opt-in',
        basis: 'PDPA s. 43, s. 46: check the DNC Register unless clear and unambiguous consent',
      },
      push: { model: 'opt-in', basis: 'PDPA s. 13 (marketing use of personal data)' },
      personalisedAds: { model: 'opt-in', basis: 'PDPA s. 13; PDPC guidance on online tracking' },
      analytics: { model: 'not-required', basis: 'PDPA First Schedule Part 5: business improvement exception' },
      saleSharing: { model: 'opt-in', basis: 'PDPA s. 13: consent to disclose' },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'PDPA s. 26; PDP Regulations 2021 Part 3: comparable protection by contract or BCRs',
      },
    },
    deadline: { days: 30, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'PDP Regulations 2021 reg. 5: answer as soon as reasonably possible; if not within 30 days, say in writing within those 30 days when you will. No fixed extension, so none is modelled.',
      'The data portability obligation (Part 6B) is not yet in force; PDPA has no deletion right.',
    ],
  },
  TH_PDPA: {
    jurisdiction: 'TH_PDPA',
    name: 'PDPA (Thailand)',
    authority: 'Personal Data Protection Committee (PDPC Thailand)',
    rights: ['access', 'deletion', 'correction', 'portability', 'restriction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: { model: 'opt-in', basis: 'PDPA s. 19; Computer Crime Act s. 11' },
      smsMarketing: { model: 'opt-in', basis: 'PDPA s. 19; NBTC rules on SMS advertising' },
      push: { model: 'opt-in', basis: 'PDPA s. 19' },
      personalisedAds: { model: 'opt-in', basis: 'PDPA s. 19; PDPC cookie guidance' },
      analytics: { model: 'opt-in', basis: 'PDPA s. 19; PDPC cookie guidance: analytics cookies need consent' },
      saleSharing: { model: 'opt-in', basis: 'PDPA s. 19, s. 27' },
      crossBorderTransfer: {
        model: 'not-required',
        basis: 'PDPA ss. 28-29; PDPC notifications (2023) on appropriate safeguards',
      },
    },
    deadline: { days: 30, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'PDPA s. 30: 30 days from receipt for access; the other rights say "without delay", and use the same 30 days here.',
    ],
  },
  BASELINE: {
    jurisdiction: 'BASELINE',
    name: 'Baseline (no specific law modelled)',
    authority: "The country's data protection authority, if any (not modelled)",
    rights: ['access', 'deletion', 'correction', 'objection', 'withdrawConsent'],
    consent: {
      emailMarketing: {
        model: 'opt-in',
        basis: "Meridian baseline: opt-in, the rule of most of the world's anti-spam laws",
      },
      smsMarketing: { model: 'opt-in', basis: 'Meridian baseline: opt-in' },
      push: { model: 'opt-in', basis: 'Meridian baseline: opt-in' },
      personalisedAds: { model: 'opt-in', basis: 'Meridian baseline: opt-in' },
      analytics: { model: 'opt-in', basis: 'Meridian baseline: opt-in' },
      saleSharing: { model: 'opt-in', basis: 'Meridian baseline: opt-in' },
      crossBorderTransfer: { model: 'not-required', basis: 'Meridian baseline: safeguards by contract, no consent' },
    },
    deadline: { days: 30, unit: 'calendar', extension: null },
    gpcHonoured: false,
    crossBorderTransferNeedsSeparateConsent: false,
    notes: [
      'For every country ./jurisdictions gives no law of its own (e.g. KE, MX, ID, NZ, AE): consent asked for everything but transfers, GDPR-like rights, 30 calendar days, no extension.',
      "Some of these countries restrict transfers (e.g. Vietnam, Indonesia, Türkiye, Russia): give them a policy of their own before transferring their residents' data.",
    ],
  },
} as const satisfies Record<Jurisdiction, PrivacyPolicy>;

// ---------------------------------------------------------------------------------------------
// Questions asked of a policy
// ---------------------------------------------------------------------------------------------

/**
 * The policy for a person in `country` (ISO alpha-2) and, in the US, `usState` (USPS code); a US
 * person with no state gets California's. Throws ./jurisdictions' JurisdictionLookupError for codes it
 * does not know.
 */
export function policyFor(country: string, usState?: string): PrivacyPolicy {
  return PRIVACY_POLICIES[jurisdictionOf(country, usState)];
}

/** What applies to a purpose when the person has no explicit record: opt-in laws deny, the others grant. */
export function defaultConsent(policy: PrivacyPolicy, purpose: Purpose): ConsentDecision {
  return policy.consent[parsePurpose(purpose)].model === 'opt-in' ? 'denied' : 'granted';
}

/** The policy in the shape ./consent works with: every purpose's default, and GPC. */
export function consentPolicyOf(policy: PrivacyPolicy): ConsentPolicy {
  const defaults = Object.fromEntries(
    PURPOSES.map((purpose) => [purpose, defaultConsent(policy, purpose)]),
  ) as ConsentDefaults;
  return { name: policy.name, defaults, gpcHonoured: policy.gpcHonoured };
}

export function offersRight(policy: PrivacyPolicy, right: PrivacyRight): boolean {
  return policy.rights.includes(parsePrivacyRight(right));
}

/** The right named by `value`, or a PrivacyPolicyError that lists the valid rights. */
export function parsePrivacyRight(value: unknown): PrivacyRight {
  const parsed = privacyRightSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new PrivacyPolicyError(`${describe(value)} is not a privacy right: use one of ${RIGHT_LIST}`);
}

// ---------------------------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------------------------

export interface DeadlineOptions {
  /** Also compute the date with the law's extension (throws if the law has none). */
  extended?: boolean;
  /** YYYY-MM-DD public holidays that are not business days (business-day laws only). */
  holidays?: readonly string[];
  /** YYYY-MM-DD weekend days that are working days, such as China's adjusted working days (business-day laws only). */
  workdays?: readonly string[];
}

export interface ResponseDue {
  /** The last day to answer, YYYY-MM-DD in the same local calendar as the received date. */
  due: string;
  /** The last day with the extension, when asked for. */
  extendedDue?: string;
}

/**
 * When the answer to a rights request received on `receivedLocalDate` is due. The day of receipt is
 * day 0: 30 calendar days from 2025-03-10 is 2025-04-09; 15 business days count only Monday to Friday,
 * minus `holidays`, plus `workdays`. An extension runs from the first due date.
 */
export function responseDeadline(
  policy: PrivacyPolicy,
  receivedLocalDate: string,
  options: DeadlineOptions = {},
): ResponseDue {
  requireDate(receivedLocalDate, 'the received date');
  const calendar = {
    holidays: dateSet(options.holidays ?? [], 'holidays'),
    workdays: dateSet(options.workdays ?? [], 'workdays'),
  };
  const { extension } = policy.deadline;
  const due = advance(receivedLocalDate, policy.deadline, calendar);
  if (!options.extended) return { due };
  if (!extension) {
    throw new PrivacyPolicyError(
      `${policy.name} allows no extension of the response deadline: the answer is due by ${due}`,
    );
  }
  return { due, extendedDue: advance(due, extension, calendar) };
}

/**
 * Reminder dates `daysBefore` calendar days ahead of `due`, earliest first, without repeats. Dates
 * before `notBefore` (e.g. the received date, or today as the caller knows it) are left out.
 */
export function reminderDates(
  due: string,
  daysBefore: readonly number[],
  options: { notBefore?: string } = {},
): string[] {
  requireDate(due, 'the due date');
  if (options.notBefore !== undefined) requireDate(options.notBefore, 'notBefore');
  const dates = new Set<string>();
  for (const days of daysBefore) {
    if (!Number.isSafeInteger(days) || days < 0) {
      throw new PrivacyPolicyError(`reminder offsets are whole days before the due date (0 or more), got ${days}`);
    }
    const date = addLocalDays(due, -days);
    if (options.notBefore === undefined || date >= options.notBefore) dates.add(date);
  }
  // YYYY-MM-DD sorts as text in date order.
  return [...dates].sort();
}

interface WorkingCalendar {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

function advance(start: string, period: DeadlinePeriod, calendar: WorkingCalendar): string {
  const byDays =
    period.unit === 'calendar' ? addLocalDays(start, period.days) : addBusinessDays(start, period.days, calendar);
  if (period.months === undefined) return byDays;
  const byMonths = addCalendarMonths(start, period.months);
  return byMonths < byDays ? byMonths : byDays;
}

function addBusinessDays(start: string, days: number, calendar: WorkingCalendar): string {
  let date = start;
  for (let counted = 0; counted < days; ) {
    date = addLocalDays(date, 1);
    if (isBusinessDay(date, calendar)) counted++;
  }
  return date;
}

function isBusinessDay(date: string, calendar: WorkingCalendar): boolean {
  if (calendar.workdays.has(date)) return true;
  if (calendar.holidays.has(date)) return false;
  // The date is validated, and midnight UTC of a YYYY-MM-DD date has that date's weekday.
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** Same day of the month, `months` later; the target month's last day when it is shorter. */
function addCalendarMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const lastDay = daysInMonth(targetYear, targetMonth);
  const result = `${String(targetYear).padStart(4, '0')}-${String(targetMonth).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
  return requireDate(result, 'the due date');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function requireDate(value: string, what: string): string {
  // addLocalDays validates YYYY-MM-DD and says what is wrong.
  try {
    return addLocalDays(value, 0);
  } catch (error) {
    throw new PrivacyPolicyError(`${what}: ${(error as Error).message}`);
  }
}

function dateSet(dates: readonly string[], what: string): Set<string> {
  return new Set(dates.map((date) => requireDate(date, what)));
}

function describe(value: unknown): string {
  return typeof value === 'string' && value.length <= 64
    ? JSON.stringify(value)
    : typeof value === 'string'
      ? 'a long string'
      : String(value);
}
