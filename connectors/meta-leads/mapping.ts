import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CanonicalCustomer } from '../../domain/commerce';
import type { Purpose } from '../../domain/consent';
import type { JsonValue, SourcedConsent } from '../framework';
import { checked, describeIssues, Mapped, parseVendorTime, present, text } from '../mapping';

/**
 * Meta Lead Ads leads to Meridian's canonical customers, and the consent each lead gave on its form.
 *
 * A lead's answers are `field_data: [{name, values: [...]}]`, named by the form's question keys: the
 * standard ones (`email`, `phone_number`, `full_name`, `first_name`, `last_name`, `country`, `locale`
 * …) map to the person; a custom question maps nowhere (it is the brand's, not a known trait). A lead
 * is a customer record of its own (external ID the lead ID); the person is resolved by the e-mail
 * address and phone number, so a lead without either is refused. `full_name` is kept as `name`, never
 * split by guess.
 *
 * Consent: the form's legal content (privacy policy, custom disclaimer and its checkboxes) is what the
 * person saw; the lead's `custom_disclaimer_responses` say which boxes they ticked. Both are kept as
 * the evidence of the lead's proof (`meta-lead-form`, `<form_id>:<lead_id>`); a checkbox the connector
 * maps to a purpose (settings.consentCheckboxes) is a choice: ticked granted, left unticked denied.
 */

export const META_LEAD_PROOF_KIND = 'meta-lead-form';

/** "2025-03-14T09:00:00+0000": Graph's times. */
const GRAPH_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;
const TIME_RULE = 'must be a Graph time such as 2025-03-14T09:00:00+0000';
/** Lead Ads opened in 2015. */
const YEARS = { earliest: 2015, latest: 9999 };

export function parseGraphTime(value: string): Date | undefined {
  return parseVendorTime(value, GRAPH_TIME, YEARS);
}

const GraphTime = z.string({ error: TIME_RULE }).transform((value, ctx) => {
  const instant = parseGraphTime(value);
  if (instant === undefined) {
    ctx.issues.push({ code: 'custom', message: TIME_RULE, input: value });
    return z.NEVER;
  }
  return instant;
});

const GraphId = z.string({ error: 'must be a Graph ID (digits)' }).regex(/^\d{1,32}$/, 'must be a Graph ID (digits)');

const Lead = z.looseObject({
  id: GraphId,
  created_time: GraphTime,
  form_id: GraphId.optional(),
  platform: z.string().nullish(),
  is_organic: z.boolean().nullish(),
  field_data: z.array(
    z.looseObject({ name: z.string({ error: 'must be the question key' }), values: z.array(z.string()).nullish() }),
    { error: 'must be the list of answers' },
  ),
  custom_disclaimer_responses: z
    .array(z.looseObject({ checkbox_key: z.string(), is_checked: z.union([z.string(), z.boolean()]).nullish() }))
    .nullish(),
});

const Checkbox = z.looseObject({
  key: z.string(),
  text: z.string().nullish(),
  is_required: z.boolean().nullish(),
  is_checked_by_default: z.boolean().nullish(),
});

export const LeadForm = z.looseObject({
  id: GraphId,
  name: z.string().nullish(),
  locale: z.string().nullish(),
  privacy_policy_url: z.string().nullish(),
  legal_content: z
    .looseObject({
      id: z.string().nullish(),
      privacy_policy: z.looseObject({ url: z.string().nullish(), link_text: z.string().nullish() }).nullish(),
      custom_disclaimer: z
        .looseObject({
          title: z.string().nullish(),
          body: z.union([z.string(), z.looseObject({ text: z.string().nullish() })]).nullish(),
          checkboxes: z.array(Checkbox).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
export type LeadForm = z.infer<typeof LeadForm>;

export interface MetaLeadMappingContext {
  sourceId: string;
  /** Checkbox key → the purpose it asks consent for. */
  consentCheckboxes?: Readonly<Record<string, Purpose>>;
  /** The person's country when the lead does not say (the Page's market). */
  defaultCountry?: string;
}

export interface MappedLead {
  mapped: Mapped<CanonicalCustomer>;
  /** The lead's creation time, whether or not it maps, so a broken lead is not fetched forever. */
  createdAt?: string;
  formId?: string;
}

export function leadFormId(raw: unknown): string | undefined {
  const id = (raw as { form_id?: unknown } | null)?.form_id;
  return typeof id === 'string' && /^\d{1,32}$/.test(id) ? id : undefined;
}

export function leadCreatedAt(raw: unknown): string | undefined {
  const parsed = GraphTime.safeParse((raw as { created_time?: unknown } | null)?.created_time);
  return parsed.success ? parsed.data.toISOString() : undefined;
}

/** The answers of one question: its first non-empty value. */
function answer(fields: z.infer<typeof Lead>['field_data'], ...names: string[]): string | undefined {
  for (const name of names) {
    const field = fields.find((f) => f.name.toLowerCase() === name);
    const value = field?.values?.map((v) => v.trim()).find((v) => v !== '');
    if (value) return value;
  }
  return undefined;
}

export function mapMetaLead(raw: unknown, ctx: MetaLeadMappingContext): Mapped<CanonicalCustomer> {
  const parsed = Lead.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    const reason = describeIssues(parsed.error, 'lead');
    return {
      ok: false,
      rejected: typeof id === 'string' && /^\d{1,32}$/.test(id) ? { externalId: id, reason } : { reason },
    };
  }
  const lead = parsed.data;
  const fields = lead.field_data;
  const email = answer(fields, 'email', 'work_email');
  const phone = answer(fields, 'phone_number', 'phone', 'work_phone_number');
  if (!email && !phone)
    return {
      ok: false,
      rejected: {
        externalId: lead.id,
        reason: 'field_data: must answer email or phone_number (the person is known by one of them)',
      },
    };
  const country = countryCode(answer(fields, 'country')) ?? ctx.defaultCountry;
  const at = lead.created_time.toISOString();
  return checked(CanonicalCustomer, {
    sourceId: ctx.sourceId,
    externalId: lead.id,
    ...present('email', email),
    ...present('phone', phone),
    ...present('firstName', text(answer(fields, 'first_name'))),
    ...present('lastName', text(answer(fields, 'last_name'))),
    ...present('name', text(answer(fields, 'full_name'))),
    ...present('countryCode', country),
    ...present('locale', text(answer(fields, 'locale'))),
    createdAt: at,
    updatedAt: at,
  });
}

/** The consent a lead gave and the text it gave it on; undefined when the form has no legal content to keep. */
export function leadConsent(
  raw: unknown,
  form: LeadForm | undefined,
  customer: CanonicalCustomer,
  ctx: MetaLeadMappingContext,
): SourcedConsent | undefined {
  const parsed = Lead.safeParse(raw);
  if (!parsed.success || !form) return undefined;
  const lead = parsed.data;
  const disclaimer = form.legal_content?.custom_disclaimer;
  const policy = form.legal_content?.privacy_policy;
  const checkboxes = disclaimer?.checkboxes ?? [];
  const responses = new Map(
    (lead.custom_disclaimer_responses ?? []).map((r) => [
      r.checkbox_key,
      r.is_checked === true || r.is_checked === '1',
    ]),
  );
  const shown: { [key: string]: JsonValue } = {
    formId: form.id,
    formName: form.name ?? null,
    locale: form.locale ?? null,
    privacyPolicy: { url: policy?.url ?? form.privacy_policy_url ?? null, linkText: policy?.link_text ?? null },
    disclaimer: disclaimer
      ? {
          title: disclaimer.title ?? null,
          body: typeof disclaimer.body === 'string' ? disclaimer.body : (disclaimer.body?.text ?? null),
          checkboxes: checkboxes.map((c) => ({
            key: c.key,
            text: c.text ?? null,
            isRequired: c.is_required ?? false,
            isCheckedByDefault: c.is_checked_by_default ?? false,
          })),
        }
      : null,
  };
  const choices = checkboxes.flatMap((c) => {
    const purpose = ctx.consentCheckboxes?.[c.key];
    if (!purpose) return [];
    return [{ purpose, state: responses.get(c.key) ? ('granted' as const) : ('denied' as const) }];
  });
  return {
    customerExternalId: customer.externalId,
    ...present('countryCode', customer.countryCode),
    at: lead.created_time.toISOString(),
    proof: { kind: META_LEAD_PROOF_KIND, reference: `${form.id}:${lead.id}` },
    choices,
    evidence: {
      shown,
      // The hash of what was shown: leads of one form version share it, an edited form gets a new one.
      shownSha256: createHash('sha256').update(JSON.stringify(shown)).digest('hex'),
      responses: checkboxes.map((c) => ({ key: c.key, checked: responses.get(c.key) ?? false })),
      platform: lead.platform ?? null,
      leadId: lead.id,
    },
  };
}

function countryCode(value: string | undefined): string | undefined {
  const code = value?.trim().toUpperCase();
  return code && /^[A-Z]{2}$/.test(code) ? code : undefined;
}
