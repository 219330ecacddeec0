import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { blindIndex } from '../../db/crypto-shredding';
import {
  enrolMember,
  findMemberId,
  getMember,
  loadProgramme,
  LoyaltyError,
  memberSummary,
  nextExpiry,
  redeem,
  saveProgramme,
} from '../../db/loyalty-store';
import { customersByBlindIndex } from '../../db/tags-store';
import { brandIdSchema } from '../../domain/brands';
import { extractIdentifiers } from '../../domain/identifiers';
import { parseProgramme, memberIdSchema } from '../../domain/loyalty';
import { lookupText } from '../../domain/loyalty-messages';
import { isTimeZone } from '../../domain/local-time';
import { startLoyaltySync } from '../../temporal/processes/loyalty';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit, onlyFields, parseWith } from './kit';
import { customerPlacement } from '../../db/person-store';
import { getBrand } from '../../db/brands-store';

/**
 * Admin API for loyalty (issue 14): programmes (global definitions: a token for all regions to
 * change), enrolment, redemptions and a push to the stores (in the member's home region: the token
 * must cover it), and the lookup a till or an app calls with a member ID, e-mail or phone — POST, so
 * an identifier never sits in a URL or an access log — answered in the language of the caller's market.
 */

const programmeView = z.looseObject({ brandId: z.string(), tiers: z.array(z.unknown()) });
const memberView = z.object({
  memberId: z.string(),
  customerId: z.string(),
  brandId: z.string(),
  tier: z.string(),
  reviewOn: z.string(),
  graceUntil: z.string().nullable(),
  balance: z.number().int(),
});
const market = z.string().regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code');

export function registerLoyaltyRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const storeErrors = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof LoyaltyError) throw kit.fail(error.statusCode, error.message);
      throw error;
    }
  };
  const programmeOf = async (brandId: string) => {
    const programme = await loadProgramme(deps.globalSql, brandId);
    if (!programme)
      throw kit.fail(404, `brand ${brandId} has no loyalty programme: PUT /admin/loyalty/programmes/${brandId}`);
    return programme;
  };
  /** The member's home region (where the ledger is), checked against the token. */
  const homeOf = async (token: ReturnType<AdminKit['authorise']>, customerId: string) => {
    const placement = await customerPlacement(deps.globalSql, customerId);
    if (!placement) throw kit.fail(404, `no customer ${customerId}`);
    kit.requireRegion(token, placement.homeRegion, 'manage loyalty members');
    const pool = deps.regional.get(placement.homeRegion);
    if (!pool) throw kit.fail(503, `region ${placement.homeRegion} is not served by this process`);
    return { region: placement.homeRegion, sql: pool.sql };
  };
  const byMemberId = async (token: ReturnType<AdminKit['authorise']>, memberId: string) => {
    const id = parseWith(kit, memberIdSchema, memberId, 'memberId');
    const found = await findMemberId(deps.globalSql, id);
    const notFound = () => kit.fail(404, `no member ${id}`);
    if (!found) throw notFound();
    // A scoped token cannot learn who is a member in another region: not found, as the profile lookup answers.
    if (!kit.mayRead(token, found.homeRegion)) throw notFound();
    return { customerId: found.customerId, ...(await homeOf(token, found.customerId)) };
  };

  scope.put<{ Params: { brandId: string } }>(
    '/admin/loyalty/programmes/:brandId',
    {
      schema: adminRoute({
        summary: "Define or change a brand's loyalty programme (token for all regions)",
        params: z.object({ brandId: brandIdSchema }),
        body: z.looseObject({}).describe('the programme: see domain/loyalty.ts loyaltyProgrammeSchema'),
        response: { 200: z.object({ programme: programmeView, version: z.number().int() }) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), 'a programme applies to members in every region');
      const brandId = parseWith(kit, brandIdSchema, request.params.brandId, 'brandId');
      if (!(await getBrand(deps.globalSql, brandId)))
        throw kit.fail(404, `no brand ${brandId}: create it with POST /admin/brands`);
      const parsed = parseProgramme({ ...(request.body as object), brandId });
      if (!parsed.ok) throw kit.fail(400, parsed.reason);
      const { version } = await saveProgramme(deps.globalSql, parsed.programme);
      return { programme: parsed.programme, version };
    },
  );

  scope.get<{ Params: { brandId: string } }>(
    '/admin/loyalty/programmes/:brandId',
    {
      schema: adminRoute({
        summary: "A brand's loyalty programme",
        response: { 200: z.object({ programme: programmeView }) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      return { programme: await programmeOf(request.params.brandId) };
    },
  );

  const enrolment = z.object({
    customerId: z.uuid('customer IDs are UUIDs'),
    brandId: brandIdSchema,
    termsVersion: z.string().min(1, 'name the version of the terms the member accepted').max(64),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Tokyo').optional(),
    market: market.optional(),
    /** Month and day only are kept (the birthday bonus needs no year). */
    birthday: z
      .string()
      .regex(/^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD or YYYY-MM-DD, e.g. 03-15')
      .optional(),
  });
  scope.post(
    '/admin/loyalty/members',
    {
      schema: adminRoute({
        summary: "Enrol a person in a brand's programme (in their home region; once: a repeat answers the member)",
        body: enrolment,
        response: {
          201: json('the new member', z.object({ member: memberView })),
          200: json('already a member', z.object({ member: memberView })),
        },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, enrolment, onlyFields(kit, request.body, Object.keys(enrolment.shape)));
      const programme = await programmeOf(input.brandId);
      const home = await homeOf(token, input.customerId);
      const { member, created } = await enrolMember(home.sql, deps.globalSql, home.region, programme, {
        customerId: input.customerId,
        brandId: input.brandId,
        timeZone: input.timeZone ?? 'UTC',
        market: input.market?.toUpperCase() ?? null,
        termsVersion: input.termsVersion,
        via: 'api',
        now: new Date(),
        birthMonthDay: input.birthday ? input.birthday.slice(-5) : null,
      });
      const summary = (await memberSummary(home.sql, member.customerId, member.brandId))!;
      return reply.code(created ? 201 : 200).send({ member: view(summary) });
    },
  );

  const redemption = z.object({
    brandId: brandIdSchema,
    points: z.int('must be a whole number').positive('must be above 0'),
    requestId: z
      .string()
      .min(1)
      .max(128)
      .describe('the channel’s own ID of the redemption: a retry answers the first outcome'),
    reason: z.string().min(1).max(200),
  });
  scope.post<{ Params: { memberId: string } }>(
    '/admin/loyalty/members/:memberId/redemptions',
    {
      schema: adminRoute({
        summary: 'Redeem points (never below zero, even from two channels at once)',
        body: redemption,
        response: {
          201: z.object({ balance: z.number().int(), redeemed: z.number().int(), repeated: z.boolean() }),
          409: z.object({ error: z.string(), balance: z.number().int() }),
        },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, redemption, onlyFields(kit, request.body, Object.keys(redemption.shape)));
      const member = await byMemberId(token, request.params.memberId);
      const outcome = await storeErrors(() =>
        redeem(member.sql, { ...input, customerId: member.customerId, now: new Date() }),
      );
      if (!outcome.ok) return reply.code(409).send({ error: outcome.reason, balance: outcome.balance });
      return reply.code(201).send({ balance: outcome.balance, redeemed: outcome.redeemed, repeated: outcome.repeated });
    },
  );

  scope.post<{ Params: { memberId: string } }>(
    '/admin/loyalty/members/:memberId/sync',
    {
      schema: adminRoute({
        summary: "Push the member's tier and balance to the brand's stores now (a loyaltySync workflow)",
        body: z.object({ brandId: brandIdSchema }),
        response: { 202: z.object({ workflowId: z.string() }) },
      }),
    },
    async (request, reply) => {
      const token = kit.authorise(request);
      const { brandId } = parseWith(
        kit,
        z.object({ brandId: brandIdSchema }),
        onlyFields(kit, request.body, ['brandId']),
      );
      const member = await byMemberId(token, request.params.memberId);
      if (!(await getMember(member.sql, member.customerId, brandId)))
        throw kit.fail(404, `member ${request.params.memberId} is not enrolled with ${brandId}`);
      if (!deps.temporal) throw kit.fail(503, 'Temporal is not connected: the push cannot start');
      const workflowId = await startLoyaltySync(
        deps.temporal,
        deps,
        member.region,
        { customerId: member.customerId, brandId },
        `manual-${Date.now()}`,
      );
      return reply.code(202).send({ workflowId });
    },
  );

  const lookup = z
    .object({
      brandId: brandIdSchema,
      market: market.describe("the caller's market: the answer is in its language, with its benefits"),
      memberId: memberIdSchema.optional(),
      email: z.string().min(3).max(320).optional(),
      phone: z.string().min(3).max(40).optional(),
    })
    .refine((l) => [l.memberId, l.email, l.phone].filter((x) => x !== undefined).length === 1, {
      error: 'give exactly one of memberId, email or phone',
    });
  scope.post(
    '/admin/loyalty/lookup',
    {
      schema: adminRoute({
        summary:
          'A member by ID, e-mail or phone, for a till or an app: tier, balance, benefits in the market language',
        body: lookup,
        response: {
          200: z.object({
            member: memberView,
            language: z.string(),
            tierName: z.string(),
            lines: z.array(z.string()).describe('what to show, in the market language'),
            benefits: z.array(z.object({ key: z.string(), text: z.string() })),
          }),
        },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const input = parseWith(
        kit,
        lookup,
        onlyFields(kit, request.body, ['brandId', 'market', 'memberId', 'email', 'phone']),
      );
      const programme = await programmeOf(input.brandId);
      const notFound = () => kit.fail(404, 'no member matches');
      let customerId: string | undefined;
      if (input.memberId) customerId = (await findMemberId(deps.globalSql, input.memberId))?.customerId;
      else {
        const type = input.email !== undefined ? 'email' : 'phone';
        const value = (input.email ?? input.phone)!;
        const { identifiers, rejected } = extractIdentifiers(
          { traits: { [type]: value }, context: {} },
          { country: input.market.toUpperCase() },
          { ...deps.rules.rules.email, blocked: deps.rules.rules.blockedValues },
        );
        const identifier = identifiers.find((i) => i.type === type);
        if (!identifier) throw kit.fail(400, `${type}: ${rejected[0]?.reason ?? 'not usable as an identifier'}`);
        const token = {
          type: identifier.type,
          blindIndex: blindIndex(deps.hmacKey, identifier.type, identifier.value),
        };
        customerId = (await customersByBlindIndex(deps.globalSql, [token])).get(
          `${token.type}:${token.blindIndex.toString('hex')}`,
        );
      }
      if (!customerId) throw notFound();
      const placement = await customerPlacement(deps.globalSql, customerId);
      if (!placement || !kit.mayRead(token, placement.homeRegion)) throw notFound();
      const pool = deps.regional.get(placement.homeRegion);
      if (!pool) throw notFound();
      const summary = await memberSummary(pool.sql, customerId, input.brandId);
      if (!summary) throw notFound();
      const expiring = await nextExpiry(pool.sql, summary.member, new Date());
      return {
        member: view(summary),
        ...lookupText(programme, summary.member, summary.balance, input.market.toUpperCase(), expiring),
      };
    },
  );
}

function view(s: Awaited<ReturnType<typeof memberSummary>> & object) {
  return {
    memberId: s.member.memberId,
    customerId: s.member.customerId,
    brandId: s.member.brandId,
    tier: s.member.tier,
    reviewOn: s.member.reviewOn,
    graceUntil: s.member.graceUntil,
    balance: s.balance,
  };
}
