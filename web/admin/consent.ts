import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConsentInputError, readConsent, readPropagations, recordConsent } from '../../db/consent-store';
import { readPropagation } from '../../db/consent-propagation-store';
import { customerPlacement } from '../../db/person-store';
import { ConsentRecord, fromGpc, fromSegmentCategoryPreferences, parseConsentRecord } from '../../domain/consent';
import { consentPolicyOf, policyFor } from '../../domain/privacy-policies';
import { consentFromTcf, decodeTcf, TcfError } from '../../domain/tcf';
import { completeManualConsentTask, consentPropagationWorkflowId } from '../../temporal/processes/consent-propagation';
import { startRecordedPropagation } from '../../temporal/consent-outbox';
import { preferenceLink } from '../privacy/routes';
import { adminRoute, json, objectAnswer } from '../openapi';
import { consentBrandOf } from '../../db/brands-store';
import { brandIdSchema } from '../../domain/brands';
import { type AdminDeps, type AdminKit, parseWith, requireBrand } from './kit';

/**
 * Consent through the admin API (the preference centre will call the same store): explicit
 * choices, and the signals that carry them — Sec-GPC, an IAB TCF string, Segment's
 * categoryPreferences. A change starts the consentPropagation workflow on the person's region
 * queue; GET shows effective consent, the full history and each system's propagation status.
 */

const customerId = z.uuid('is not a customer ID (a UUID)');
const place = {
  region: z.string().optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .transform((c) => c.toUpperCase())
    .optional(),
  usState: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter US state code')
    .transform((s) => s.toUpperCase())
    .optional(),
};

/** The brand the choice is given to; where it is not a separate controller, the group's consent is meant. */
const brand = { brandId: brandIdSchema.optional() };

const choicesBody = z.object({
  ...place,
  ...brand,
  records: z.array(z.unknown()).min(1, 'give at least one record { purpose, state, at?, proof }').max(50),
});

const signalsBody = z.object({
  ...place,
  ...brand,
  /** Where the signals came from: a request or form reference, never personal data. */
  reference: z.string().min(1).max(200),
  at: z.iso.datetime({ message: 'must be an ISO 8601 instant in UTC' }).optional(),
  gpc: z.boolean().optional(),
  tcString: z.string().min(1).max(10_000).optional(),
  categoryPreferences: z.record(z.string(), z.unknown()).optional(),
});

const customerParams = z.object({ customerId });
const consentStored = objectAnswer(
  'the region, the changes recorded, effective consent per purpose, and the propagation started (if consent changed)',
);
const signalled = z.object({ signalled: z.string().describe('the workflow the signal went to') });

export function registerConsentRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => parseWith(kit, schema, body);

  /** The region holding the person's consent: the one asked for, else their home region. */
  const regionOf = async (id: string, asked: string | undefined): Promise<string> => {
    if (asked) {
      if (!deps.regions.dataRegions.some((r) => r.name === asked))
        throw kit.fail(400, `region: must be one of ${deps.regions.dataRegions.map((r) => r.name).join(', ')}`);
      return asked;
    }
    const row = await customerPlacement(deps.globalSql, id);
    if (!row)
      throw kit.fail(404, `no customer ${id}: check the ID (GET /admin/profiles/lookup finds one by email or phone)`);
    return row.homeRegion;
  };

  const regional = (region: string) => {
    const r = deps.regional.get(region);
    if (!r) throw kit.fail(503, `region ${region} is not served by this web server`);
    return r;
  };

  const temporal = (): Client => {
    if (!deps.temporal)
      throw kit.fail(503, 'this server was started without a Temporal client: consent changes cannot be propagated');
    return deps.temporal;
  };

  /**
   * The consent scope a brand's choices belong to: the brand where it is a separate controller,
   * else the group's (null). An unknown brand is a 400 naming the field.
   */
  const scopeOf = async (brandId: string | undefined): Promise<string | null> => {
    await requireBrand(deps.globalSql, brandId);
    return consentBrandOf(deps.globalSql, brandId);
  };

  /** Stores the records and, when effective consent changed, starts the propagation. */
  const store = async (
    id: string,
    region: string,
    records: ConsentRecord[],
    subject: { country: string; usState?: string } | undefined,
    brandId: string | null,
  ) => {
    let stored;
    try {
      stored = await recordConsent(regional(region).sql, id, records, subject, { brandId });
    } catch (error) {
      if (error instanceof ConsentInputError) throw kit.fail(400, error.message);
      throw error;
    }
    let propagation: { workflowId: string } | undefined;
    if (stored.propagationId) {
      // Without a Temporal client here, the consent outbox's sweep (in the region's worker) starts it.
      const input = { propagationId: stored.propagationId, customerId: id };
      const { workflowId } = deps.temporal
        ? await startRecordedPropagation(deps.temporal, deps.regions, region, regional(region).sql, input)
        : { workflowId: consentPropagationWorkflowId(input.propagationId) };
      propagation = { workflowId };
    }
    return {
      region,
      brandId,
      changes: stored.changes,
      effective: stored.effective,
      ...(propagation ? { propagation } : {}),
    };
  };

  const subjectOf = (body: { country?: string; usState?: string }) =>
    body.country ? { country: body.country, ...(body.usState ? { usState: body.usState } : {}) } : undefined;

  scope.put<{ Params: { customerId: string } }>(
    '/admin/profiles/:customerId/consent',
    {
      schema: adminRoute({
        summary: "Record explicit consent choices (the first needs the person's country); a change is propagated",
        params: customerParams,
        body: choicesBody,
        response: { 200: consentStored },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const id = parse(customerId, request.params.customerId);
      const body = parse(choicesBody, request.body);
      const region = await regionOf(id, body.region);
      kit.requireRegion(token, region, 'change consent');
      const brandId = await scopeOf(body.brandId);
      const now = new Date().toISOString();
      const records = body.records.map((raw, index) => {
        const input = { source: 'admin', at: now, ...(raw as Record<string, unknown>) };
        const parsed = parseConsentRecord(input);
        if (!parsed.ok) throw kit.fail(400, `records.${index}.${parsed.reason}`);
        return parsed.record;
      });
      return store(id, region, records, subjectOf(body), brandId);
    },
  );

  scope.post<{ Params: { customerId: string } }>(
    '/admin/profiles/:customerId/consent/signals',
    {
      schema: adminRoute({
        summary: 'Record consent signals: Sec-GPC, an IAB TCF string, Segment categoryPreferences',
        params: customerParams,
        body: signalsBody,
        response: { 200: consentStored },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const id = parse(customerId, request.params.customerId);
      const body = parse(signalsBody, request.body);
      const region = await regionOf(id, body.region);
      kit.requireRegion(token, region, 'change consent');
      const brandId = await scopeOf(body.brandId);
      const existing = await readConsent(regional(region).sql, id, brandId);
      const subject =
        subjectOf(body) ??
        (existing
          ? {
              country: existing.subject.country,
              ...(existing.subject.usState ? { usState: existing.subject.usState } : {}),
            }
          : undefined);
      if (!subject)
        throw kit.fail(
          400,
          'country: the first consent signal of a person needs their country (and usState in the US)',
        );
      let policy;
      try {
        policy = consentPolicyOf(policyFor(subject.country, subject.usState));
      } catch (error) {
        throw kit.fail(400, `country: ${(error as Error).message}`);
      }
      const at = body.at ?? new Date().toISOString();
      const records: ConsentRecord[] = [];
      const notes: string[] = [];
      // The request header counts as much as the body's flag: it is how browsers send GPC.
      const gpcHeader = request.headers['sec-gpc'] === '1' || body.gpc ? '1' : undefined;
      const gpc = fromGpc(gpcHeader, policy, { at, proof: { kind: 'gpc-request', reference: body.reference } });
      if (gpc.outcome === 'recorded') records.push(...gpc.records);
      if (gpc.outcome === 'gpc-ignored') notes.push(gpc.reason);
      if (body.tcString) {
        try {
          const decoded = decodeTcf(body.tcString);
          // The string itself may identify a device: the proof keeps its hash.
          const proof = {
            kind: 'tcf-string-sha256',
            reference: createHash('sha256').update(body.tcString.trim()).digest('hex'),
          };
          records.push(...consentFromTcf(decoded, { at, proof }));
        } catch (error) {
          if (error instanceof TcfError) throw kit.fail(400, `tcString: ${error.message}`);
          throw error;
        }
      }
      if (body.categoryPreferences) {
        const segment = fromSegmentCategoryPreferences(body.categoryPreferences, {
          at,
          proof: { kind: 'segment-preferences', reference: body.reference },
        });
        if (!segment.ok) throw kit.fail(400, `categoryPreferences: ${segment.reason}`);
        records.push(...segment.records);
        notes.push(...segment.warnings);
      }
      return { ...(await store(id, region, records, subject, brandId)), notes };
    },
  );

  const consentQuery = z.object({
    region: place.region,
    brandId: brandIdSchema.optional().describe("a brand's consent (the group's where it is not a separate controller)"),
  });
  scope.get<{ Params: { customerId: string }; Querystring: { region?: string; brandId?: string } }>(
    '/admin/profiles/:customerId/consent',
    {
      schema: adminRoute({
        summary:
          "A person's effective consent (the group's, or a brand's), its history and each system's propagation status",
        params: customerParams,
        querystring: consentQuery,
        response: {
          200: objectAnswer(
            'effective consent per purpose, the history of records, and each propagation with its status per system',
          ),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const id = parse(customerId, request.params.customerId);
      const query = parseWith(kit, consentQuery, request.query);
      const region = await regionOf(id, query.region);
      kit.requireRegion(token, region, 'read consent');
      const brandId = await scopeOf(query.brandId);
      const consent = await readConsent(regional(region).sql, id, brandId);
      if (!consent) throw kit.fail(404, `customer ${id} has no consent recorded in region ${region}`);
      return {
        region,
        brandId,
        ...consent,
        propagations: await readPropagations(regional(region).sql, id, 10, brandId),
      };
    },
  );

  /** A signed link to the person's preference centre (what Meridian's emails carry), valid 30 days. */
  const preferenceLinkAnswer = z.object({ url: z.string(), expiresAt: z.iso.datetime() });
  scope.post<{ Params: { customerId: string } }>(
    '/admin/profiles/:customerId/preference-link',
    {
      schema: adminRoute({
        summary: "A signed link to the person's preference centre, valid 30 days",
        params: customerParams,
        body: z.object({ region: place.region }),
        response: { 200: preferenceLinkAnswer },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const id = parse(customerId, request.params.customerId);
      const region = await regionOf(id, (request.body as { region?: string } | undefined)?.region);
      kit.requireRegion(token, region, 'make preference links');
      if (!deps.privacy) throw kit.fail(503, 'the privacy portal is off: set MERIDIAN_SMTP_URL');
      const expires = Math.floor(Date.now() / 1000) + 30 * 86_400;
      return {
        url: preferenceLink(deps.privacy.signingKeys, deps.privacy.publicUrl, id, region, expires),
        expiresAt: new Date(expires * 1000).toISOString(),
      };
    },
  );

  const noteBody = z.object({ note: z.string().max(500).optional() });
  scope.post<{ Params: { propagationId: string; connectorId: string } }>(
    '/admin/consent-propagations/:propagationId/manual-tasks/:connectorId/complete',
    {
      schema: adminRoute({
        summary: 'Mark a manual consent task done (the system was changed by hand)',
        body: noteBody,
        response: { 202: json('the propagation was signalled', signalled) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const body = parse(noteBody, request.body ?? {});
      // The task belongs to the region whose database holds the propagation.
      let region: string | undefined;
      for (const [name, r] of deps.regional) {
        if (await readPropagation(r.sql, request.params.propagationId)) region = name;
      }
      if (!region)
        throw kit.fail(
          404,
          `consent propagation ${request.params.propagationId} does not exist: GET /admin/profiles/:customerId/consent lists a person's propagations`,
        );
      kit.requireRegion(token, region, 'complete consent tasks');
      await completeManualConsentTask(temporal(), request.params.propagationId, {
        connectorId: request.params.connectorId,
        ...(body.note ? { note: body.note } : {}),
      });
      return reply.code(202).send({ signalled: consentPropagationWorkflowId(request.params.propagationId) });
    },
  );
}
