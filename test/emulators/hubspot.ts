import { randomBytes } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply } from 'fastify';

/**
 * A local stand-in for HubSpot's CRM API for one portal and one OAuth app:
 * `POST /crm/v3/objects/{contacts,deals}/search`, `POST /crm/v4/associations/deals/contacts/batch/read`
 * and `POST /oauth/v1/token`. It follows what HubSpot documents and a client must survive:
 *
 * - Bearer access tokens that end after 30 minutes (`expires_in` 1800). A missing or unknown token:
 *   401 `{ status: "error", category: "INVALID_AUTHENTICATION" }`; an expired one: 401
 *   `EXPIRED_AUTHENTICATION`. /oauth/v1/token (form) with grant_type=refresh_token, client_id,
 *   client_secret and refresh_token gives a new access token (the refresh token stays); an unknown or
 *   revoked refresh token: 400 `BAD_REFRESH_TOKEN`; a wrong client: 400 `BAD_CLIENT_ID` / `BAD_CLIENT_SECRET`.
 * - Limits: the app's TEN_SECONDLY_ROLLING calls per 10 s (429 with `policyName` and Retry-After), and
 *   the search endpoints' SECONDLY calls per second (429 `policyName: SECONDLY`, no Retry-After).
 * - Search: filterGroups of filters (EQ, GT, GTE, LT, LTE on a property), one sort, `limit` 1–200
 *   (else 400 VALIDATION_ERROR), `after` an offset; a query reaches only the first 10,000 results
 *   (`resultLimit`): after + limit past it is a 400. Answers `{ total, results, paging.next.after }`,
 *   each result `{ id, properties (as asked, strings), createdAt, updatedAt, archived }`.
 * - Associations batch read: `{ results: [{ from, to: [{ toObjectId, associationTypes }] }] }`; deals
 *   without contacts are under `errors` with HTTP 207.
 */

export interface HubSpotEmulatorOptions {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
  now?: () => Date;
  /** Calls per rolling 10 s before 429 TEN_SECONDLY_ROLLING; default 100; null: none. */
  tenSecondly?: number | null;
  /** Search calls per second before 429 SECONDLY; default 5; null: none. */
  searchesPerSecond?: number | null;
  /** Results one search query reaches; default 10,000 (HubSpot's). */
  resultLimit?: number;
}

export interface EmulatedContact {
  id: string;
  email?: string;
  phone?: string;
  firstname?: string;
  lastname?: string;
  createdAt: Date;
  /** Default createdAt. */
  modifiedAt?: Date;
}

export interface EmulatedDeal {
  id: string;
  amount?: string;
  currency?: string;
  stage?: 'appointmentscheduled' | 'contractsent' | 'closedwon' | 'closedlost';
  closedAt?: Date;
  createdAt: Date;
  modifiedAt?: Date;
  contactIds?: string[];
}

export type HubSpotFault = 500 | 502 | 503 | 429 | 'garbage';

export interface HubSpotRequestRecord {
  path: string;
  body: unknown;
  status: number;
  /** `policyName` or `category` of a refusal. */
  reason?: string;
}

export interface HubSpotEmulator {
  baseUrl: string;
  addContacts(contacts: EmulatedContact[]): void;
  addDeals(deals: EmulatedDeal[]): void;
  /** Changes a record: its last modification moves to now (at least 1 ms on). */
  updateContact(id: string, change?: Partial<EmulatedContact>): void;
  updateDeal(id: string, change?: Partial<EmulatedDeal>): void;
  expireAccessToken(): void;
  /** The app is uninstalled from the portal: both tokens stop working. */
  revokeToken(): void;
  failNext(count: number, fault: HubSpotFault): void;
  tokens(): { accessToken: string | undefined; refreshToken: string | undefined };
  requests: HubSpotRequestRecord[];
  close(): Promise<void>;
}

const ACCESS_TTL_S = 1800;

type Stored = { id: string; createdAt: Date; modifiedAt: Date; properties: Record<string, string | null> };

export async function startHubSpotEmulator(options: HubSpotEmulatorOptions): Promise<HubSpotEmulator> {
  const now = options.now ?? (() => new Date());
  const resultLimit = options.resultLimit ?? 10_000;
  const tenSecondly = options.tenSecondly === undefined ? 100 : options.tenSecondly;
  const searchesPerSecond = options.searchesPerSecond === undefined ? 5 : options.searchesPerSecond;
  const contacts = new Map<string, EmulatedContact>();
  const deals = new Map<string, EmulatedDeal>();
  let access: { token: string; expiresAt: number } | undefined = {
    token: options.accessToken,
    expiresAt: now().getTime() + ACCESS_TTL_S * 1000,
  };
  let refresh: string | undefined = options.refreshToken;
  const calls: number[] = [];
  const searches: number[] = [];
  const faults: HubSpotFault[] = [];
  const requests: HubSpotRequestRecord[] = [];

  const app: FastifyInstance = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const correlationId = () => randomBytes(16).toString('hex');
  function refuse(reply: FastifyReply, record: HubSpotRequestRecord, status: number, body: Record<string, unknown>) {
    record.status = status;
    record.reason = String(body.policyName ?? body.category ?? body.status ?? '');
    return reply.code(status).send({ ...body, correlationId: correlationId() });
  }

  function contactRecord(c: EmulatedContact): Stored {
    const modifiedAt = c.modifiedAt ?? c.createdAt;
    return {
      id: c.id,
      createdAt: c.createdAt,
      modifiedAt,
      properties: {
        email: c.email ?? null,
        phone: c.phone ?? null,
        firstname: c.firstname ?? null,
        lastname: c.lastname ?? null,
        createdate: c.createdAt.toISOString(),
        lastmodifieddate: modifiedAt.toISOString(),
        hs_object_id: c.id,
      },
    };
  }

  function dealRecord(d: EmulatedDeal): Stored {
    const modifiedAt = d.modifiedAt ?? d.createdAt;
    const stage = d.stage ?? 'closedwon';
    return {
      id: d.id,
      createdAt: d.createdAt,
      modifiedAt,
      properties: {
        amount: d.amount ?? null,
        deal_currency_code: d.currency ?? null,
        dealstage: stage,
        pipeline: 'default',
        closedate: d.closedAt ? d.closedAt.toISOString() : null,
        createdate: d.createdAt.toISOString(),
        hs_lastmodifieddate: modifiedAt.toISOString(),
        hs_is_closed: String(stage === 'closedwon' || stage === 'closedlost'),
        hs_is_closed_won: String(stage === 'closedwon'),
        hs_object_id: d.id,
      },
    };
  }

  /** Auth, faults and the app's rolling limit; a reply when the call is refused. */
  function gate(
    headers: Record<string, string | string[] | undefined>,
    reply: FastifyReply,
    record: HubSpotRequestRecord,
    search: boolean,
  ): FastifyReply | 'garbage' | undefined {
    const fault = faults.shift();
    if (fault === 500 || fault === 502 || fault === 503) {
      record.status = fault;
      return reply.code(fault).type('text/html').send('<html><body>Bad gateway</body></html>');
    }
    if (fault === 'garbage') return 'garbage';
    const auth = String(headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!access || token !== access.token)
      return refuse(reply, record, 401, {
        status: 'error',
        message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        category: 'INVALID_AUTHENTICATION',
      });
    if (access.expiresAt <= now().getTime())
      return refuse(reply, record, 401, {
        status: 'error',
        message: 'The OAuth token used to make this call expired.',
        category: 'EXPIRED_AUTHENTICATION',
      });
    const t = Date.now();
    while (calls.length > 0 && calls[0]! <= t - 10_000) calls.shift();
    if (fault === 429 || (tenSecondly !== null && calls.length >= tenSecondly)) {
      const waitS = calls.length > 0 ? Math.max(1, Math.ceil((calls[0]! + 10_000 - t) / 1000)) : 1;
      reply.header('Retry-After', String(fault === 429 ? 1 : waitS));
      return refuse(reply, record, 429, {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        groupName: `app:${options.clientId}`,
      });
    }
    calls.push(t);
    if (search) {
      while (searches.length > 0 && searches[0]! <= t - 1_000) searches.shift();
      if (searchesPerSecond !== null && searches.length >= searchesPerSecond)
        return refuse(reply, record, 429, {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'SECONDLY',
        });
      searches.push(t);
    }
    return undefined;
  }

  type Filter = { propertyName?: unknown; operator?: unknown; value?: unknown };
  function matches(record: Stored, filter: Filter): boolean {
    const raw = record.properties[String(filter.propertyName)];
    if (raw === null || raw === undefined) return false;
    const isDate = /date$/.test(String(filter.propertyName));
    const left = isDate ? Date.parse(raw) : raw;
    const right = isDate ? Number(filter.value) : String(filter.value);
    switch (filter.operator) {
      case 'EQ':
        return left === right;
      case 'GT':
        return left > right;
      case 'GTE':
        return left >= right;
      case 'LT':
        return left < right;
      case 'LTE':
        return left <= right;
      default:
        return false;
    }
  }

  app.post('/crm/v3/objects/:object/search', async (request, reply) => {
    const { object } = request.params as { object: string };
    const body = (request.body ?? {}) as {
      filterGroups?: { filters?: Filter[] }[];
      sorts?: { propertyName?: string; direction?: string }[];
      properties?: string[];
      limit?: number;
      after?: string;
    };
    const record: HubSpotRequestRecord = { path: `/crm/v3/objects/${object}/search`, body, status: 200 };
    requests.push(record);
    const refused = gate(request.headers, reply, record, true);
    if (refused === 'garbage') return reply.type('application/json').send('{"total":3,"results":[{"id"');
    if (refused) return refused;
    if (object !== 'contacts' && object !== 'deals')
      return refuse(reply, record, 400, {
        status: 'error',
        message: `Unable to infer object type from: ${object}`,
        category: 'OBJECT_NOT_FOUND',
      });
    const limit = body.limit ?? 10;
    const offset = body.after === undefined ? 0 : Number(body.after);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200 || !Number.isInteger(offset) || offset < 0)
      return refuse(reply, record, 400, {
        status: 'error',
        message: 'limit must be 1-200 and after an offset',
        category: 'VALIDATION_ERROR',
      });
    if (offset + limit > resultLimit)
      return refuse(reply, record, 400, {
        status: 'error',
        message: `Search results are limited to ${resultLimit} per query: narrow the filters`,
        category: 'VALIDATION_ERROR',
      });
    if ((body.sorts?.length ?? 0) > 1)
      return refuse(reply, record, 400, {
        status: 'error',
        message: 'Only one sort is supported',
        category: 'VALIDATION_ERROR',
      });
    const stored =
      object === 'contacts' ? [...contacts.values()].map(contactRecord) : [...deals.values()].map(dealRecord);
    const groups = body.filterGroups ?? [];
    let matching = stored.filter(
      (r) => groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => matches(r, f))),
    );
    const sort = body.sorts?.[0];
    if (sort?.propertyName) {
      const by = sort.propertyName;
      const dir = sort.direction === 'DESCENDING' ? -1 : 1;
      const value = (r: Stored) => {
        const v = r.properties[by] ?? '';
        return /date$/.test(by) ? Date.parse(v) : v;
      };
      // Ties keep HubSpot's own order (by ID here): stable, not part of the contract.
      matching = matching.sort(
        (a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : Number(a.id) - Number(b.id)) * dir,
      );
    } else matching = matching.sort((a, b) => Number(a.id) - Number(b.id));
    const page = matching.slice(offset, offset + limit);
    const asked = new Set([
      ...(body.properties ?? []),
      'hs_object_id',
      'createdate',
      object === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate',
    ]);
    return {
      total: matching.length,
      results: page.map((r) => ({
        id: r.id,
        properties: Object.fromEntries(Object.entries(r.properties).filter(([k]) => asked.has(k))),
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.modifiedAt.toISOString(),
        archived: false,
      })),
      ...(offset + limit < matching.length ? { paging: { next: { after: String(offset + limit), link: '' } } } : {}),
    };
  });

  app.post('/crm/v4/associations/deals/contacts/batch/read', async (request, reply) => {
    const body = (request.body ?? {}) as { inputs?: { id?: string }[] };
    const record: HubSpotRequestRecord = { path: '/crm/v4/associations/deals/contacts/batch/read', body, status: 200 };
    requests.push(record);
    const refused = gate(request.headers, reply, record, false);
    if (refused === 'garbage') return reply.type('application/json').send('{"status":"COMPLETE","results":[');
    if (refused) return refused;
    const inputs = body.inputs ?? [];
    if (inputs.length > 1000)
      return refuse(reply, record, 400, {
        status: 'error',
        message: 'at most 1000 inputs',
        category: 'VALIDATION_ERROR',
      });
    const results = [];
    const errors = [];
    for (const input of inputs) {
      const deal = deals.get(String(input.id));
      if (deal?.contactIds?.length) {
        results.push({
          from: { id: deal.id },
          to: deal.contactIds.map((id) => ({
            toObjectId: Number(id),
            associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }],
          })),
        });
      } else {
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
          context: { fromObjectId: [String(input.id)] },
        });
      }
    }
    record.status = errors.length > 0 ? 207 : 200;
    return reply.code(record.status).send({
      status: 'COMPLETE',
      results,
      ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
      startedAt: now().toISOString(),
      completedAt: now().toISOString(),
    });
  });

  app.post('/oauth/v1/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const record: HubSpotRequestRecord = {
      path: '/oauth/v1/token',
      body: { grant_type: form.grant_type },
      status: 200,
    };
    requests.push(record);
    if (form.client_id !== options.clientId)
      return refuse(reply, record, 400, { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' });
    if (form.client_secret !== options.clientSecret)
      return refuse(reply, record, 400, { status: 'BAD_CLIENT_SECRET', message: 'missing or invalid client secret' });
    if (form.grant_type !== 'refresh_token')
      return refuse(reply, record, 400, { status: 'BAD_GRANT_TYPE', message: 'grant_type must be refresh_token' });
    if (!refresh || form.refresh_token !== refresh)
      return refuse(reply, record, 400, { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' });
    access = { token: `CJ${randomBytes(16).toString('hex')}`, expiresAt: now().getTime() + ACCESS_TTL_S * 1000 };
    return { token_type: 'bearer', refresh_token: refresh, access_token: access.token, expires_in: ACCESS_TTL_S };
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const bump = (at: Date | undefined, created: Date) =>
    new Date(Math.max(now().getTime(), (at ?? created).getTime() + 1));
  return {
    baseUrl: address,
    addContacts(list) {
      for (const c of list) contacts.set(c.id, c);
    },
    addDeals(list) {
      for (const d of list) deals.set(d.id, d);
    },
    updateContact(id, change = {}) {
      const c = contacts.get(id);
      if (!c) throw new Error(`no contact ${id}`);
      contacts.set(id, { ...c, ...change, modifiedAt: change.modifiedAt ?? bump(c.modifiedAt, c.createdAt) });
    },
    updateDeal(id, change = {}) {
      const d = deals.get(id);
      if (!d) throw new Error(`no deal ${id}`);
      deals.set(id, { ...d, ...change, modifiedAt: change.modifiedAt ?? bump(d.modifiedAt, d.createdAt) });
    },
    expireAccessToken() {
      if (access) access = { ...access, expiresAt: now().getTime() };
    },
    revokeToken() {
      access = undefined;
      refresh = undefined;
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    tokens: () => ({ accessToken: access?.token, refreshToken: refresh }),
    requests,
    close: () => app.close(),
  };
}
