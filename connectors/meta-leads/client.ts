import { z } from 'zod';
import { ConnectorError, malformedAnswer } from '../errors';
import { HttpAnswer, jsonObject, VendorHttp, VendorHttpLimits } from '../http';
import {
  classifyGraphFailure,
  META_API,
  META_API_VERSION,
  META_DEFAULT_RATE_LIMIT_WAIT_MS,
  META_GRAPH_URL,
} from '../meta-graph';

/**
 * Meta's Graph API, Lead Ads retrieval (developers.facebook.com, "Retrieving Leads"), with a Page
 * access token of the Page that owns the forms (leads_retrieval, pages_manage_ads):
 *
 * - `GET /{form_id}/leads?fields=…&filtering=[{field:"time_created",operator:"GREATER_THAN",value:<unix>}]&limit=…&after=…`
 *   pages of leads, oldest first is not promised, so a pass walks the form's `paging.cursors.after`
 *   until there is no `paging.next`.
 * - `GET /{lead_id}?fields=…` one lead, after a `leadgen` webhook named it.
 * - `GET /{form_id}?fields=id,name,locale,privacy_policy_url,legal_content{…}` the form's consent
 *   text: its privacy policy and custom disclaimer with checkboxes (what the person saw and agreed to).
 *
 * Graph's errors are read by code (connectors/meta-graph.ts has the table): 190 and friends →
 * the token is no longer good, reconnect; 10/200–299 → a permission is missing, reconnect; 4/17/32/613
 * → throttled, waiting `estimated_time_to_regain_access` of the Page's `x-business-use-case-usage`
 * entry (minutes; Meta sends no Retry-After). The token goes in the Authorization header, never a URL.
 */

export const LEAD_FIELDS =
  'id,created_time,form_id,ad_id,campaign_id,is_organic,platform,field_data,custom_disclaimer_responses';
export const FORM_FIELDS =
  'id,name,locale,status,privacy_policy_url,legal_content{id,privacy_policy,custom_disclaimer}';
/** Leads per page: Graph's default is 25; it takes up to 1000 but large pages time out. */
export const MAX_LEADS_LIMIT = 500;
const SYSTEM = META_API.system;
const DEFAULT_MAX_RATE_LIMIT_WAITS = 5;
/** A Meta wait longer than this is thrown for the activity's retry rather than slept in a call. */
const MAX_SLEPT_WAIT_MS = 5 * 60_000;

export interface MetaLeadsClientOptions extends VendorHttpLimits {
  baseUrl?: string;
  apiVersion?: string;
  /** The Page's access token (never expires unless revoked, when made from a long-lived user token). */
  pageAccessToken: string;
  /** The Page's ID: named in messages, the key of its x-business-use-case-usage entry. */
  pageId: string;
  rateLimitWaitMs?: number;
}

const LeadsAnswer = z.looseObject({
  data: z.array(z.unknown()),
  paging: z
    .looseObject({
      cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

export interface MetaLeadsPage {
  leads: unknown[];
  /** The cursor of the next page, or undefined when this was the last. */
  after?: string;
}

export class MetaLeadsClient {
  private readonly baseUrl: string;
  private readonly apiVersion: string;
  private readonly token: string;
  private readonly pageId: string;
  private readonly http: VendorHttp;
  private readonly rateLimitWaitMs: number;

  constructor(opts: MetaLeadsClientOptions) {
    this.baseUrl = (opts.baseUrl ?? META_GRAPH_URL).replace(/\/+$/, '');
    this.apiVersion = opts.apiVersion ?? META_API_VERSION;
    this.token = opts.pageAccessToken;
    this.pageId = opts.pageId;
    this.rateLimitWaitMs = opts.rateLimitWaitMs ?? META_DEFAULT_RATE_LIMIT_WAIT_MS;
    this.http = new VendorHttp(META_API, opts, {
      maxRateLimitWaits: DEFAULT_MAX_RATE_LIMIT_WAITS,
      maxRateLimitWaitMs: MAX_SLEPT_WAIT_MS,
    });
  }

  /** One page of a form's leads created after `createdAfter` (Unix seconds), from `after`. */
  async formLeads(
    formId: string,
    request: { createdAfter: number; after?: string; limit: number },
  ): Promise<MetaLeadsPage> {
    checkId(formId, 'a lead form ID');
    const query = new URLSearchParams({
      fields: LEAD_FIELDS,
      filtering: JSON.stringify([{ field: 'time_created', operator: 'GREATER_THAN', value: request.createdAfter }]),
      limit: String(request.limit),
      ...(request.after ? { after: request.after } : {}),
    });
    const operation = `listing the leads of form ${formId}`;
    const body = await this.get(`/${formId}/leads?${query}`, operation);
    const parsed = LeadsAnswer.safeParse(body);
    if (!parsed.success) throw malformedAnswer(SYSTEM, this.account, 'lead list', operation);
    const after = parsed.data.paging?.next ? parsed.data.paging.cursors?.after : undefined;
    return { leads: parsed.data.data, ...(after ? { after } : {}) };
  }

  /** One lead by its ID (as a leadgen webhook names it). */
  async lead(leadId: string): Promise<unknown> {
    checkId(leadId, 'a lead ID');
    return this.get(`/${leadId}?${new URLSearchParams({ fields: LEAD_FIELDS })}`, `reading lead ${leadId}`);
  }

  /** A lead form with its legal content (privacy policy, custom disclaimer and checkboxes). */
  async form(formId: string): Promise<unknown> {
    checkId(formId, 'a lead form ID');
    return this.get(`/${formId}?${new URLSearchParams({ fields: FORM_FIELDS })}`, `reading lead form ${formId}`);
  }

  private async get(pathAndQuery: string, operation: string): Promise<Record<string, unknown>> {
    const answer = await this.http.call(
      {
        url: `${this.baseUrl}/${this.apiVersion}${pathAndQuery}`,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      },
      { account: this.account, operation },
      { classify: (sent) => this.classify(sent, operation) },
    );
    const body = jsonObject(answer.bodyText);
    if (!body) throw malformedAnswer(SYSTEM, this.account, 'JSON object', operation);
    return body;
  }

  private get account(): string {
    return `Facebook Page ${this.pageId}`;
  }

  /** Graph's error by code (connectors/meta-graph.ts). */
  classify(response: HttpAnswer, operation: string): ConnectorError {
    return classifyGraphFailure(response, {
      account: this.account,
      operation,
      reconnect: 'the Facebook Page',
      tokenHint: "the Page access token expired or was revoked, or its user lost the Page's admin role",
      permissionHint: 'grant leads_retrieval and pages_manage_ads',
      usageObjectId: this.pageId,
      defaultRateLimitWaitMs: this.rateLimitWaitMs,
    });
  }
}

function checkId(id: string, what: string): void {
  if (!/^\d{1,32}$/.test(id)) throw new RangeError(`${what} is digits only`);
}
