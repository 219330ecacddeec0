import { z } from 'zod';
import type { CanonicalCustomer } from '../../domain/commerce';
import { purposeSchema } from '../../domain/consent';
import type { ConnectorDefinition, SyncPage } from '../framework';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { META_API, META_GRAPH_URL } from '../meta-graph';
import { MAX_LEADS_LIMIT, MetaLeadsClient } from './client';
import { LeadForm, leadConsent, leadCreatedAt, leadFormId, mapMetaLead, MetaLeadMappingContext } from './mapping';

/**
 * Meta Lead Ads as a connector: the leads of a Facebook Page's lead forms (Facebook and Instagram
 * placements alike), as customers, with the consent each gave on its form.
 *
 * Two ways in: a pass over each form's leads created since the last pass (`filtering` by
 * time_created, cursor paging), on demand or on schedule; and Meta's `leadgen` webhook
 * (web/connectors/meta-leads.ts), which names a lead by ID for `fetchRecords` to read at once.
 * Both store by lead ID, so a lead seen both ways is stored once.
 */

const GraphId = z.string().regex(/^\d{1,32}$/, 'must be a Graph ID (digits)');

export const MetaLeadsSettings = z.object({
  /** The Facebook Page that owns the forms. */
  pageId: GraphId,
  /** The lead forms to sync (Ads Manager → Forms library, or GET /{page_id}/leadgen_forms). */
  formIds: z.array(GraphId).min(1, 'name at least one lead form').max(50, 'at most 50 forms per connector'),
  /** Graph's URL; default https://graph.facebook.com, or an emulator's (test-only host override). */
  apiUrl: vendorUrlSetting(META_API, META_GRAPH_URL).optional(),
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must be a Graph API version such as v21.0')
    .optional(),
  /** Where the first pass starts (an instant); default 90 days back (Meta keeps leads 90 days). */
  syncFrom: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2025-01-01T00:00:00Z' })
    .optional(),
  pageSize: z.int().min(1).max(MAX_LEADS_LIMIT).optional(),
  /** The wait when Meta throttles without an estimate (seconds); default 60. */
  rateLimitWaitSeconds: z.int().min(1).max(3600).optional(),
  /** A form's disclaimer checkbox key → the consent purpose it asks for (e.g. {"marketing_optin": "emailMarketing"}). */
  consentCheckboxes: z.record(z.string().min(1).max(200), purposeSchema).optional(),
  /** The person's country when a lead does not answer the country question (ISO 3166-1 alpha-2). */
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in upper case')
    .optional(),
});
export type MetaLeadsSettings = z.infer<typeof MetaLeadsSettings>;

export const MetaLeadsCredentials = z.object({
  /** A Page access token with leads_retrieval (from a long-lived user token: it does not expire). */
  pageAccessToken: z.string().min(1, "the Page's access token is required"),
  /** The Meta app's secret: it signs leadgen webhooks (X-Hub-Signature-256). */
  appSecret: z.string().min(1, "the Meta app's secret is required"),
  /** The verify token set on the app's webhook subscription (Meta echoes it on the verification GET). */
  verifyToken: z.string().min(16, 'the webhook verify token must be at least 16 characters'),
});
export type MetaLeadsCredentials = z.infer<typeof MetaLeadsCredentials>;

/** Where a pass stands: which form, Graph's `after` cursor within it, and the creation time it started from. */
export const MetaLeadsCursor = z.object({
  form: z.int().nonnegative(),
  after: z.string().min(1).max(2000).optional(),
  /** Unix seconds: leads created after this. */
  from: z.int().nonnegative(),
});
export type MetaLeadsCursor = z.infer<typeof MetaLeadsCursor>;

const DEFAULT_LOOKBACK_DAYS = 90;
const DEFAULT_PAGE_SIZE = 100;

export const metaLeadsConnector: ConnectorDefinition<MetaLeadsSettings, MetaLeadsCredentials> = {
  system: 'meta_leads',
  label: 'Meta Lead Ads',
  settings: MetaLeadsSettings,
  credentials: MetaLeadsCredentials,
  streams: ['customers'],
  endpointSettings: ['apiUrl'],
  open(settings, credentials, context) {
    const now = context.now ?? (() => new Date());
    const client = new MetaLeadsClient({
      ...(settings.apiUrl ? { baseUrl: settings.apiUrl } : {}),
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      pageAccessToken: credentials.pageAccessToken,
      pageId: settings.pageId,
      ...(settings.rateLimitWaitSeconds ? { rateLimitWaitMs: settings.rateLimitWaitSeconds * 1000 } : {}),
      sleep: heartbeatingSleep(context),
    });
    const pageSize = settings.pageSize ?? DEFAULT_PAGE_SIZE;
    const mapping: MetaLeadMappingContext = {
      sourceId: context.sourceId,
      ...(settings.consentCheckboxes ? { consentCheckboxes: settings.consentCheckboxes } : {}),
      ...(settings.defaultCountry ? { defaultCountry: settings.defaultCountry } : {}),
    };
    // A form's legal content, read once a session: every lead of the form was shown it.
    const forms = new Map<string, Promise<LeadForm | undefined>>();
    const formOf = (formId: string) => {
      let form = forms.get(formId);
      if (!form) {
        form = client.form(formId).then((raw) => {
          const parsed = LeadForm.safeParse(raw);
          return parsed.success ? parsed.data : undefined;
        });
        forms.set(formId, form);
      }
      return form;
    };

    async function mapLeads(leads: unknown[], formIdOf: (raw: unknown) => string | undefined): Promise<SyncPage> {
      const page: SyncPage = { customers: [], orders: [], rejected: [], next: null, consents: [] };
      for (const raw of leads) {
        const mapped = mapMetaLead(raw, mapping);
        const created = leadCreatedAt(raw);
        if (created && (!page.highWater || created > page.highWater)) page.highWater = created;
        if (!mapped.ok) {
          page.rejected.push(mapped.rejected);
          continue;
        }
        const formId = formIdOf(raw);
        if (!formId || !settings.formIds.includes(formId)) {
          page.rejected.push({
            externalId: mapped.record.externalId,
            reason: "form_id: must be one of the connector's formIds (add the form to the connector to take its leads)",
          });
          continue;
        }
        page.customers.push(mapped.record);
        const consent = leadConsent(raw, await formOf(formId), mapped.record as CanonicalCustomer, mapping);
        if (consent) page.consents!.push(consent);
      }
      return page;
    }

    return {
      async fetchPage(stream, cursor, since): Promise<SyncPage> {
        if (stream !== 'customers') throw new RangeError(`Meta Lead Ads has no ${stream} stream: sync 'customers'`);
        let at: MetaLeadsCursor;
        if (cursor) {
          const read = MetaLeadsCursor.safeParse(cursor);
          if (!read.success || read.data.form >= settings.formIds.length)
            throw new RangeError(
              'the Meta Lead Ads cursor is not one this connector wrote: start the pass again with cursor null',
            );
          at = read.data;
        } else {
          const fromMs =
            since !== undefined
              ? Date.parse(since)
              : settings.syncFrom !== undefined
                ? Date.parse(settings.syncFrom)
                : now().getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000;
          if (Number.isNaN(fromMs)) throw new RangeError('since must be an ISO 8601 instant with an offset');
          // GREATER_THAN: one second earlier, so a lead created in the very second the pass starts from is read.
          at = { form: 0, from: Math.max(0, Math.floor(fromMs / 1000) - 1) };
        }
        const formId = settings.formIds[at.form]!;
        const list = await client.formLeads(formId, {
          createdAfter: at.from,
          limit: pageSize,
          ...(at.after ? { after: at.after } : {}),
        });
        const page = await mapLeads(list.leads, (raw) => leadFormId(raw) ?? formId);
        page.next = list.after
          ? ({ ...at, after: list.after } satisfies MetaLeadsCursor)
          : at.form + 1 < settings.formIds.length
            ? ({ form: at.form + 1, from: at.from } satisfies MetaLeadsCursor)
            : null;
        return page;
      },

      async fetchRecords(stream, ids): Promise<SyncPage> {
        if (stream !== 'customers') throw new RangeError(`Meta Lead Ads has no ${stream} stream: ask for 'customers'`);
        const leads: unknown[] = [];
        for (const id of ids) leads.push(await client.lead(id));
        return mapLeads(leads, leadFormId);
      },
    };
  },
};
