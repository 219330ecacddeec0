import { z } from 'zod';
import { CanonicalCustomer } from '../../domain/commerce';
import type { EffectiveConsentMap } from '../../domain/consent';
import type { SourcedClick } from '../framework';
import { checked, describeIssues, Mapped, parseVendorTime, present, text } from '../mapping';
import type { ClickConversion, ConsentStatus } from './client';

/**
 * Google Ads lead form submissions (from the API's `lead_form_submission_data`, or the lead form
 * asset's webhook) to canonical customers and the click they came by; orders back to click
 * conversions, with the consent Google requires.
 *
 * A submission's answers are typed by `fieldType` (API) or `column_id` (webhook): EMAIL,
 * PHONE_NUMBER, FULL_NAME, FIRST_NAME, LAST_NAME, COUNTRY … A custom question maps nowhere. The
 * person is resolved by e-mail and phone, so a submission with neither is refused.
 */

export interface GoogleLead {
  leadId: string;
  submittedAt: Date;
  gclid?: string;
  fields: { type: string; value: string }[];
}

/** "2025-03-14 10:00:00+09:00" (the account's zone) or RFC 3339. */
const ADS_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;
const YEARS = { earliest: 2019, latest: 9999 };
const TIME_RULE = 'must be a Google Ads time such as 2025-03-14 10:00:00+09:00';
const CLICK_ID = /^[A-Za-z0-9_-]{10,200}$/;

export function parseAdsTime(value: string): Date | undefined {
  return parseVendorTime(value, ADS_TIME, YEARS);
}

const ApiSubmission = z.looseObject({
  leadFormSubmissionData: z.looseObject({
    id: z.union([z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), z.number().int().positive()], {
      error: 'must be the submission ID',
    }),
    gclid: z.string().nullish(),
    submissionDateTime: z.string({ error: TIME_RULE }),
    leadFormSubmissionFields: z
      .array(z.looseObject({ fieldType: z.string(), fieldValue: z.string().nullish() }))
      .nullish(),
  }),
});

/** A row of the lead_form_submission_data search, as a lead; or why it cannot be read. */
export function apiLead(
  row: unknown,
): { ok: true; lead: GoogleLead } | { ok: false; externalId?: string; reason: string } {
  const parsed = ApiSubmission.safeParse(row);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error, 'result') };
  const data = parsed.data.leadFormSubmissionData;
  const leadId = String(data.id);
  const submittedAt = parseAdsTime(data.submissionDateTime);
  if (!submittedAt) return { ok: false, externalId: leadId, reason: `submissionDateTime: ${TIME_RULE}` };
  return {
    ok: true,
    lead: {
      leadId,
      submittedAt,
      ...present('gclid', text(data.gclid ?? undefined)),
      fields: (data.leadFormSubmissionFields ?? []).map((f) => ({ type: f.fieldType, value: f.fieldValue ?? '' })),
    },
  };
}

/** The submission time of a search row, whether or not it maps (so a broken row is not read forever). */
export function apiLeadTime(row: unknown): string | undefined {
  const value = (row as { leadFormSubmissionData?: { submissionDateTime?: unknown } } | null)?.leadFormSubmissionData
    ?.submissionDateTime;
  return typeof value === 'string' ? parseAdsTime(value)?.toISOString() : undefined;
}

/** The lead form asset webhook's body (Google's "Lead form webhook" payload). */
export const LeadFormWebhook = z.looseObject({
  lead_id: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the lead ID'),
  google_key: z.string({ error: 'must be the webhook key set on the lead form' }),
  api_version: z.string().optional(),
  form_id: z.union([z.string(), z.number()]).optional(),
  campaign_id: z.union([z.string(), z.number()]).optional(),
  gcl_id: z.string().nullish(),
  is_test: z.boolean().optional(),
  user_column_data: z.array(
    z.looseObject({
      column_id: z.string().optional(),
      column_name: z.string().optional(),
      string_value: z.string().nullish(),
    }),
    { error: 'must be the list of answers' },
  ),
});
export type LeadFormWebhook = z.infer<typeof LeadFormWebhook>;

export function webhookLead(body: LeadFormWebhook, receivedAt: Date): GoogleLead {
  return {
    leadId: body.lead_id,
    submittedAt: receivedAt,
    ...present('gclid', text(body.gcl_id ?? undefined)),
    fields: body.user_column_data.map((c) => ({ type: c.column_id ?? '', value: c.string_value ?? '' })),
  };
}

export function mapGoogleLead(
  lead: GoogleLead,
  sourceId: string,
): { mapped: Mapped<CanonicalCustomer>; click?: SourcedClick } {
  const answer = (...types: string[]) =>
    lead.fields.find((f) => types.includes(f.type.toUpperCase()) && f.value.trim() !== '')?.value.trim();
  const email = answer('EMAIL', 'WORK_EMAIL');
  const phone = answer('PHONE_NUMBER', 'WORK_PHONE');
  if (!email && !phone)
    return {
      mapped: {
        ok: false,
        rejected: {
          externalId: lead.leadId,
          reason: 'fields: must answer EMAIL or PHONE_NUMBER (the person is known by one of them)',
        },
      },
    };
  const country = answer('COUNTRY')?.toUpperCase();
  const at = lead.submittedAt.toISOString();
  const mapped = checked(CanonicalCustomer, {
    sourceId,
    externalId: lead.leadId,
    ...present('email', email),
    ...present('phone', phone),
    ...present('firstName', answer('FIRST_NAME')),
    ...present('lastName', answer('LAST_NAME')),
    ...present('name', answer('FULL_NAME')),
    ...present('countryCode', country && /^[A-Z]{2}$/.test(country) ? country : undefined),
    createdAt: at,
    updatedAt: at,
  });
  const click =
    mapped.ok && lead.gclid && CLICK_ID.test(lead.gclid)
      ? { customerExternalId: lead.leadId, kind: 'gclid' as const, clickId: lead.gclid, at }
      : undefined;
  return { mapped, ...(click ? { click } : {}) };
}

/** Google's consent fields from the person's effective consent to personalised ads; unknown when Meridian has no record of them. */
export function googleConsent(effective: EffectiveConsentMap | undefined): ClickConversion['consent'] {
  if (!effective) return { adUserData: 'UNSPECIFIED', adPersonalization: 'UNSPECIFIED' };
  const status: ConsentStatus = effective.personalisedAds.state === 'granted' ? 'GRANTED' : 'DENIED';
  return { adUserData: status, adPersonalization: status };
}

/** "yyyy-mm-dd hh:mm:ss+00:00", the time format uploadClickConversions takes. */
export function adsDateTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}
