import { randomInt } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import {
  decideTier,
  type EarnableOrder,
  expiryDateOf,
  localMidnight,
  type LoyaltyProgramme,
  loyaltyProgrammeSchema,
  pointsExpiring,
  pointsForOrder,
  pointsToReverse,
  qualifyingWindowStart,
  type TierDecision,
  tierRank,
  validZone,
} from '../domain/loyalty';
import { addLocalDays, localDate } from '../domain/local-time';
import { visibleSourceIds } from './brands-store';
import { computedCause } from '../domain/audience-dependencies';

/**
 * Loyalty in the databases (issue 14, docs/design/loyalty.md). Programmes and member IDs are global
 * (no personal data); members, their ledgers and tier history live in the member's home region. The
 * ledger is append-only: every effect is a row under its natural key (`entry_key`), and every change
 * of a member's points runs with the member's row locked (`for update`), so two redemptions from two
 * channels at once are decided one after the other and the second sees the first.
 */

type Tx = Sql | TransactionSql;

export class LoyaltyError extends Error {
  override readonly name = 'LoyaltyError';
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

// ---- programmes (global) ------------------------------------------------------------------------

/** The computed traits a programme's tier and balance appear as, for segments (kind `loyalty`). */
export function loyaltyTraitIds(brandId: string): { tier: string; points: string } {
  const slug = brandId.replace(/-/g, '_');
  return { tier: `loyalty_tier_${slug}`.slice(0, 63), points: `loyalty_points_${slug}`.slice(0, 63) };
}

export async function saveProgramme(globalSql: Sql, programme: LoyaltyProgramme): Promise<{ version: number }> {
  const ids = loyaltyTraitIds(programme.brandId);
  for (const measure of ['tier', 'points'] as const)
    await globalSql`
      insert into computed_traits (id, name, brand_id, definition, built_in)
      values (${ids[measure]}, ${`${programme.name}: ${measure === 'tier' ? 'tier' : 'point balance'}`}, ${programme.brandId},
              ${JSON.stringify({ kind: 'loyalty', brandId: programme.brandId, measure })}::text::jsonb, true)
      on conflict (id) do nothing`;
  const [row] = await globalSql<{ version: number }[]>`
    insert into loyalty_programmes (brand_id, definition) values (${programme.brandId}, ${JSON.stringify(programme)}::text::jsonb)
    on conflict (brand_id) do update set definition = excluded.definition, version = loyalty_programmes.version + 1,
      updated_at = now()
    returning version`;
  return row!;
}

export async function loadProgramme(globalSql: Sql, brandId: string): Promise<LoyaltyProgramme | undefined> {
  const [row] = await globalSql<{ definition: unknown }[]>`
    select definition from loyalty_programmes where brand_id = ${brandId}`;
  return row ? loyaltyProgrammeSchema.parse(row.definition) : undefined;
}

/** Programmes by brand, re-read at most every `ttlMs` (workers decide many members per second). */
export function programmeCache(
  globalSql: Sql,
  ttlMs = 5000,
): (brandId: string) => Promise<LoyaltyProgramme | undefined> {
  const cache = new Map<string, { at: number; programme: LoyaltyProgramme | undefined }>();
  return async (brandId) => {
    const hit = cache.get(brandId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.programme;
    const programme = await loadProgramme(globalSql, brandId);
    cache.set(brandId, { at: Date.now(), programme });
    return programme;
  };
}

// ---- members ------------------------------------------------------------------------------------

export interface Member {
  customerId: string;
  brandId: string;
  memberId: string;
  tier: string;
  tierSince: string;
  reviewOn: string;
  graceUntil: string | null;
  timeZone: string;
  market: string | null;
  termsVersion: string;
  lastActivityAt: Date;
  enrolledAt: Date;
}

const memberColumns = (sql: Tx) => sql`
  customer_id as "customerId", brand_id as "brandId", member_id as "memberId", tier, tier_since::text as "tierSince",
  review_on::text as "reviewOn", grace_until::text as "graceUntil", time_zone as "timeZone", market,
  terms_version as "termsVersion", last_activity_at as "lastActivityAt", enrolled_at as "enrolledAt"`;

function asMember(row: Member): Member {
  return { ...row, lastActivityAt: new Date(row.lastActivityAt), enrolledAt: new Date(row.enrolledAt) };
}

export async function getMember(sql: Tx, customerId: string, brandId: string): Promise<Member | undefined> {
  const [row] = await sql<Member[]>`
    select ${memberColumns(sql)} from loyalty_members where customer_id = ${customerId} and brand_id = ${brandId}`;
  return row ? asMember(row) : undefined;
}

export async function membersOf(sql: Tx, customerId: string): Promise<Member[]> {
  const rows = await sql<Member[]>`
    select ${memberColumns(sql)} from loyalty_members where customer_id = ${customerId} order by brand_id`;
  return rows.map(asMember);
}

/** The person's member ID group-wide: the one they have, or a new one (drawn until unused). */
export async function memberIdFor(globalSql: Sql, customerId: string, homeRegion: string): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const drawn = `M${String(randomInt(0, 1_000_000)).padStart(6, '0')}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const rows = await globalSql<{ member_id: string }[]>`
      with inserted as (
        insert into loyalty_member_ids (member_id, customer_id, home_region) values (${drawn}, ${customerId}, ${homeRegion})
        on conflict do nothing returning member_id
      )
      select member_id from inserted
      union all
      select member_id from loyalty_member_ids where customer_id = ${customerId}`;
    if (rows[0]) return rows[0].member_id;
  }
  throw new Error('could not draw an unused member ID in 10 attempts');
}

/** Who holds a member ID and where their ledger lives (the survivor, after merges). */
export async function findMemberId(
  globalSql: Sql,
  memberId: string,
): Promise<{ customerId: string; homeRegion: string } | undefined> {
  const [row] = await globalSql<{ customer_id: string; home_region: string }[]>`
    select coalesce(c.merged_into, m.customer_id) as customer_id, m.home_region from loyalty_member_ids m
    left join customers c on c.customer_id = m.customer_id
    where m.member_id = ${memberId}`;
  return row ? { customerId: row.customer_id, homeRegion: row.home_region } : undefined;
}

/** The person's member ID and home region, if they are a member anywhere (pseudonymous, global). */
export async function memberHomes(
  globalSql: Sql,
  customerIds: readonly string[],
): Promise<Map<string, { memberId: string; homeRegion: string }>> {
  if (customerIds.length === 0) return new Map();
  const rows = await globalSql<{ customer_id: string; member_id: string; home_region: string }[]>`
    select customer_id, member_id, home_region from loyalty_member_ids where customer_id = any(${globalSql.array([...customerIds])}::uuid[])`;
  return new Map(rows.map((r) => [r.customer_id, { memberId: r.member_id, homeRegion: r.home_region }]));
}

export interface Enrolment {
  customerId: string;
  brandId: string;
  timeZone: string;
  market: string | null;
  termsVersion: string;
  via: 'api' | 'event';
  now: Date;
}

/**
 * Enrols a person in a brand's programme in their home region: the member ID (theirs group-wide),
 * the base tier, the sign-up bonus once. Enrolling again changes nothing and answers the membership.
 */
export async function enrolMember(
  sql: Sql,
  globalSql: Sql,
  region: string,
  programme: LoyaltyProgramme,
  input: Enrolment,
): Promise<{ member: Member; created: boolean }> {
  const existing = await getMember(sql, input.customerId, input.brandId);
  if (existing) return { member: existing, created: false };
  const memberId = await memberIdFor(globalSql, input.customerId, region);
  const zone = validZone(input.timeZone);
  const today = localDate(input.now, zone);
  const base = programme.tiers[0]!.key;
  const created = await sql.begin(async (tx) => {
    const inserted = await tx`
      insert into loyalty_members (customer_id, brand_id, member_id, tier, tier_since, review_on, time_zone, market,
                                   terms_version, enrolled_via, last_activity_at, enrolled_at)
      values (${input.customerId}, ${input.brandId}, ${memberId}, ${base}, ${today}, ${addLocalDays(today, programme.reviewEveryDays)},
              ${zone}, ${input.market}, ${input.termsVersion}, ${input.via}, ${input.now.toISOString()}, ${input.now.toISOString()})
      on conflict do nothing`;
    if (inserted.count === 0) return false;
    await tx`
      insert into loyalty_tier_history (customer_id, brand_id, from_tier, to_tier, reason, at)
      values (${input.customerId}, ${input.brandId}, null, ${base}, 'enrolment', ${input.now.toISOString()})`;
    if (programme.earn.bonuses.signUp > 0)
      await insertEntry(tx, {
        customerId: input.customerId,
        brandId: input.brandId,
        kind: 'bonus',
        points: programme.earn.bonuses.signUp,
        entryKey: `bonus:signup:${input.customerId}`,
        expiresAt: expiryInstant(programme, today, zone),
        localDate: today,
        reason: 'sign-up',
        at: input.now,
      });
    await tx`insert into audience_changes (customer_id, cause) values (${input.customerId}, 'loyalty')`;
    await refreshLoyaltyTraits(tx, input.customerId, input.brandId);
    return true;
  });
  return { member: (await getMember(sql, input.customerId, input.brandId))!, created };
}

// ---- the ledger ---------------------------------------------------------------------------------

export type LedgerKind = 'earn' | 'bonus' | 'adjust' | 'redeem' | 'expire' | 'reverse';

interface Entry {
  customerId: string;
  brandId: string;
  kind: LedgerKind;
  points: number;
  entryKey: string;
  orderRef?: string | null;
  currency?: string | null;
  amountMinor?: bigint | null;
  reportingMinor?: bigint | null;
  localDate?: string | null;
  expiresAt?: Date | null;
  reason?: string | null;
  at: Date;
}

async function insertEntry(tx: Tx, e: Entry): Promise<boolean> {
  const result = await tx`
    insert into loyalty_ledger (customer_id, brand_id, kind, points, entry_key, order_ref, currency, amount_minor,
                                reporting_minor, local_date, expires_at, reason, at)
    values (${e.customerId}, ${e.brandId}, ${e.kind}, ${e.points}, ${e.entryKey}, ${e.orderRef ?? null}, ${e.currency ?? null},
            ${e.amountMinor === undefined || e.amountMinor === null ? null : e.amountMinor.toString()},
            ${e.reportingMinor === undefined || e.reportingMinor === null ? null : e.reportingMinor.toString()},
            ${e.localDate ?? null}, ${e.expiresAt ? e.expiresAt.toISOString() : null}, ${e.reason ?? null}, ${e.at.toISOString()})
    on conflict (brand_id, entry_key) do nothing`;
  return result.count > 0;
}

function expiryInstant(programme: LoyaltyProgramme, earnedOn: string, zone: string): Date | null {
  const on = expiryDateOf(programme.expiry, earnedOn);
  return on ? localMidnight(on, zone) : null;
}

/** Locks the member's row for the rest of the transaction: their point changes happen one at a time. */
async function lockMember(tx: TransactionSql, customerId: string, brandId: string): Promise<Member | undefined> {
  const [row] = await tx<Member[]>`
    select ${memberColumns(tx)} from loyalty_members where customer_id = ${customerId} and brand_id = ${brandId}
    for update`;
  return row ? asMember(row) : undefined;
}

/**
 * The member's tier and balance as computed-trait values (segments read them); a change is noted
 * for the audience processor, so segments and rule tags follow.
 */
async function refreshLoyaltyTraits(tx: Tx, customerId: string, brandId: string): Promise<void> {
  const ids = loyaltyTraitIds(brandId);
  const changed = await tx`
    with current as (
      select ${ids.tier}::text as trait_id, to_jsonb(m.tier) as value from loyalty_members m
      where m.customer_id = ${customerId} and m.brand_id = ${brandId}
      union all
      select ${ids.points}::text, to_jsonb(coalesce(sum(l.points), 0)) from loyalty_ledger l
      where l.customer_id = ${customerId} and l.brand_id = ${brandId}
    )
    insert into computed_trait_values (customer_id, trait_id, value)
    select ${customerId}, trait_id, value from current
    on conflict (customer_id, trait_id) do update set value = excluded.value, computed_at = now()
    where computed_trait_values.value is distinct from excluded.value
    returning trait_id`;
  // One cause per changed trait (`computed:<trait ID>`), so only what reads that trait is re-evaluated.
  for (const row of changed)
    await tx`insert into audience_changes (customer_id, cause) values (${customerId}, ${computedCause(row.trait_id as string)})`;
}

export async function balanceOf(sql: Tx, customerId: string, brandId: string): Promise<number> {
  const [row] = await sql<{ balance: string }[]>`
    select coalesce(sum(points), 0)::bigint::text as balance from loyalty_ledger
    where customer_id = ${customerId} and brand_id = ${brandId}`;
  return Number(row!.balance);
}

export interface LedgerRow {
  id: number;
  kind: LedgerKind;
  points: number;
  entryKey: string;
  orderRef: string | null;
  currency: string | null;
  amountMinor: string | null;
  reportingMinor: string | null;
  localDate: string | null;
  expiresAt: Date | null;
  reason: string | null;
  at: Date;
}

export async function ledgerOf(
  sql: Tx,
  customerId: string,
  brandId?: string,
): Promise<(LedgerRow & { brandId: string })[]> {
  return sql<(LedgerRow & { brandId: string })[]>`
    select id, brand_id as "brandId", kind, points::float8 as points, entry_key as "entryKey", order_ref as "orderRef", currency,
           amount_minor::text as "amountMinor", reporting_minor::text as "reportingMinor", local_date::text as "localDate",
           expires_at as "expiresAt", reason, at
    from loyalty_ledger where customer_id = ${customerId} ${brandId === undefined ? sql`` : sql`and brand_id = ${brandId}`}
    order by id`;
}

/**
 * The facts of an order loyalty earns on, as the region that holds the order reads them: amounts,
 * currency, the reporting amount at the FX of its local date, status. No personal values (the orders
 * table holds none), so they may travel to the member's home region.
 */
export interface OrderFacts {
  sourceId: string;
  externalId: string;
  currency: string;
  totalMinor: string;
  reportingCurrency: string;
  reportingTotalMinor: string | null;
  countryCode: string | null;
  status: string;
  financialStatus: string | null;
  placedAt: string;
  localDate: string;
  /** The order version (source update time): one adjustment per version at most. */
  version: string;
  category?: string | null;
}

/** This region's orders of these people (all their orders), as facts to earn on. */
export async function orderFactsOf(sql: Sql, customerIds: readonly string[]): Promise<Map<string, OrderFacts[]>> {
  const rows = await sql<(OrderFacts & { customerId: string })[]>`
    select customer_id as "customerId", source_id as "sourceId", external_id as "externalId", currency,
           total_minor::text as "totalMinor", reporting_currency as "reportingCurrency",
           reporting_total_minor::text as "reportingTotalMinor", country_code as "countryCode", status,
           financial_status as "financialStatus", placed_at as "placedAt", local_date::text as "localDate",
           source_updated_at as "version"
    from orders where customer_id = any(${sql.array([...customerIds])}::uuid[])
    order by customer_id, placed_at, source_id, external_id`;
  const byCustomer = new Map<string, OrderFacts[]>();
  for (const { customerId, ...facts } of rows) {
    const list = byCustomer.get(customerId) ?? [];
    list.push({
      ...facts,
      placedAt: new Date(facts.placedAt).toISOString(),
      version: new Date(facts.version).toISOString(),
    });
    byCustomer.set(customerId, list);
  }
  return byCustomer;
}

const orderRef = (o: Pick<OrderFacts, 'sourceId' | 'externalId'>) => `${o.sourceId}:${o.externalId}`;

export interface EarnOutcome {
  earned: number;
  reversed: number;
  skipped: { orderRef: string; reason: string }[];
  tierChanges: { brandId: string; from: string; to: string; kind: 'upgrade' | 'downgrade' }[];
}

/**
 * Brings the member's ledger in step with their orders, for every brand programme they are a member
 * of: an order placed since enrolment on a channel the brand may see earns once (`earn:<order>`); a
 * later version of it that earns less (cancelled, refunded, a lower total) reverses the difference
 * (`reverse:<order>:<version>`), less what its refunds already reversed. Then upgrades the tier at once
 * if the member now qualifies. Idempotent: a repeated call writes nothing.
 */
export async function reconcileOrders(
  sql: Sql,
  globalSql: Sql,
  customerId: string,
  orders: readonly OrderFacts[],
  now: Date,
  programmeOf: (brandId: string) => Promise<LoyaltyProgramme | undefined> = (b) => loadProgramme(globalSql, b),
): Promise<EarnOutcome> {
  const outcome: EarnOutcome = { earned: 0, reversed: 0, skipped: [], tierChanges: [] };
  for (const membership of await membersOf(sql, customerId)) {
    const programme = await programmeOf(membership.brandId);
    if (!programme) continue;
    const visible = await visibleSourceIds(globalSql, membership.brandId);
    const mine = orders.filter(
      (o) => (visible === null || visible.includes(o.sourceId)) && new Date(o.placedAt) >= membership.enrolledAt,
    );
    if (mine.length === 0) continue;
    const changed = await sql.begin(async (tx) => {
      const member = await lockMember(tx, customerId, membership.brandId);
      if (!member) return undefined;
      const held = await tx<{ order_ref: string; earned: string; refunded: string; held: string }[]>`
        select order_ref,
               coalesce(sum(points) filter (where entry_key not like 'reverse:%:refund:%'), 0)::text as earned,
               coalesce(-sum(points) filter (where entry_key like 'reverse:%:refund:%'), 0)::text as refunded,
               sum(points)::text as held
        from loyalty_ledger
        where customer_id = ${customerId} and brand_id = ${member.brandId}
          and order_ref = any(${tx.array(mine.map(orderRef))}::text[])
        group by order_ref`;
      const byRef = new Map(held.map((h) => [h.order_ref, h]));
      let activity = false;
      for (const order of mine) {
        const ref = orderRef(order);
        const result = pointsForOrder(programme, asEarnable(order));
        if (!result.ok) {
          outcome.skipped.push({ orderRef: ref, reason: result.reason });
          continue;
        }
        const h = byRef.get(ref);
        const expiresAt = expiryInstant(programme, order.localDate, member.timeZone);
        if (!h) {
          if (result.points === 0) continue;
          if (
            await insertEntry(tx, {
              customerId,
              brandId: member.brandId,
              kind: 'earn',
              points: result.points,
              entryKey: `earn:${ref}`,
              orderRef: ref,
              currency: order.currency,
              amountMinor: BigInt(order.totalMinor),
              reportingMinor: order.reportingTotalMinor === null ? null : BigInt(order.reportingTotalMinor),
              localDate: order.localDate,
              expiresAt,
              reason: result.basis,
              at: now,
            })
          ) {
            outcome.earned += result.points;
            activity = true;
          }
          continue;
        }
        // What the order should hold now: its points under this version, less its refunds, never below zero.
        const target = Math.max(0, result.points - Number(h.refunded));
        const delta = target - Number(h.held);
        if (delta === 0) continue;
        const ratio = Number(h.earned) > 0 ? delta / Number(h.earned) : 0;
        const written = await insertEntry(tx, {
          customerId,
          brandId: member.brandId,
          kind: delta < 0 ? 'reverse' : 'earn',
          points: delta,
          entryKey: `${delta < 0 ? 'reverse' : 'earn'}:${ref}:${order.version}`,
          orderRef: ref,
          currency: order.currency,
          reportingMinor:
            order.reportingTotalMinor === null ? null : BigInt(Math.round(Number(order.reportingTotalMinor) * ratio)),
          localDate: order.localDate,
          expiresAt,
          reason:
            delta < 0
              ? `order now ${order.status}${order.financialStatus ? `/${order.financialStatus}` : ''}`
              : 'order total rose',
          at: now,
        });
        if (written) {
          if (delta < 0) outcome.reversed += -delta;
          else outcome.earned += delta;
          activity = true;
        }
      }
      if (activity)
        await tx`update loyalty_members set last_activity_at = ${now.toISOString()} where customer_id = ${customerId} and brand_id = ${member.brandId}`;
      const tierChange = await applyTierDecision(tx, programme, member, now);
      await refreshLoyaltyTraits(tx, customerId, member.brandId);
      return tierChange;
    });
    if (changed) outcome.tierChanges.push({ brandId: membership.brandId, ...changed });
  }
  return outcome;
}

function asEarnable(o: OrderFacts): EarnableOrder {
  return {
    sourceId: o.sourceId,
    currency: o.currency,
    totalMinor: BigInt(o.totalMinor),
    reportingCurrency: o.reportingCurrency,
    reportingTotalMinor: o.reportingTotalMinor === null ? null : BigInt(o.reportingTotalMinor),
    countryCode: o.countryCode,
    status: o.status,
    financialStatus: o.financialStatus,
    ...(o.category ? { category: o.category } : {}),
  };
}

/**
 * A refund of part of an order (`refundId` from the store or the tracked `Order Refunded` event): the
 * order's points in proportion to the refunded amount (in the order's currency), once per refund.
 */
export async function reverseRefund(
  sql: Sql,
  globalSql: Sql,
  input: {
    customerId: string;
    brandId: string;
    sourceId: string;
    orderId: string;
    refundId: string;
    refundedMinor: bigint;
    now: Date;
  },
): Promise<{ reversed: number }> {
  const programme = await loadProgramme(globalSql, input.brandId);
  if (!programme) throw new LoyaltyError(404, `brand ${input.brandId} has no loyalty programme`);
  const ref = `${input.sourceId}:${input.orderId}`;
  return sql.begin(async (tx) => {
    const member = await lockMember(tx, input.customerId, input.brandId);
    if (!member) throw new LoyaltyError(404, 'not a member of this programme');
    const [row] = await tx<{ earned: string; held: string; total: string | null }[]>`
      select coalesce(sum(points) filter (where kind = 'earn'), 0)::text as earned, coalesce(sum(points), 0)::text as held,
             max(amount_minor) filter (where entry_key = ${`earn:${ref}`})::text as total
      from loyalty_ledger where customer_id = ${input.customerId} and brand_id = ${input.brandId} and order_ref = ${ref}`;
    if (!row?.total) return { reversed: 0 };
    const points = pointsToReverse(
      programme,
      Number(row.earned),
      Number(row.held),
      input.refundedMinor,
      BigInt(row.total),
    );
    if (points === 0) return { reversed: 0 };
    const written = await insertEntry(tx, {
      customerId: input.customerId,
      brandId: input.brandId,
      kind: 'reverse',
      points: -points,
      entryKey: `reverse:${ref}:refund:${input.refundId}`,
      orderRef: ref,
      amountMinor: -input.refundedMinor,
      reason: 'refund',
      at: input.now,
    });
    await refreshLoyaltyTraits(tx, input.customerId, input.brandId);
    return { reversed: written ? points : 0 };
  });
}

export type RedeemOutcome =
  | { ok: true; balance: number; redeemed: number; repeated: boolean }
  | { ok: false; balance: number; reason: string };

/**
 * Redeems points, never below zero: the member's row is locked, the balance read under the lock, and
 * the redemption written only if it fits. A retry with the same request ID answers the first outcome.
 */
export async function redeem(
  sql: Sql,
  input: { customerId: string; brandId: string; points: number; requestId: string; reason: string; now: Date },
): Promise<RedeemOutcome> {
  if (!Number.isSafeInteger(input.points) || input.points <= 0)
    throw new LoyaltyError(400, 'points: must be a whole number above 0');
  return sql.begin(async (tx) => {
    const member = await lockMember(tx, input.customerId, input.brandId);
    if (!member) throw new LoyaltyError(404, 'not a member of this programme');
    const entryKey = `redeem:${input.requestId}`;
    const [previous] = await tx<{ points: number }[]>`
      select points::float8 as points from loyalty_ledger where brand_id = ${input.brandId} and entry_key = ${entryKey}`;
    const balance = await balanceOf(tx, input.customerId, input.brandId);
    if (previous) return { ok: true, balance, redeemed: -previous.points, repeated: true };
    if (balance < input.points)
      return { ok: false, balance, reason: `the balance is ${balance} points, fewer than the ${input.points} asked` };
    await insertEntry(tx, {
      customerId: input.customerId,
      brandId: input.brandId,
      kind: 'redeem',
      points: -input.points,
      entryKey,
      reason: input.reason,
      at: input.now,
    });
    await tx`update loyalty_members set last_activity_at = ${input.now.toISOString()} where customer_id = ${input.customerId} and brand_id = ${input.brandId}`;
    await refreshLoyaltyTraits(tx, input.customerId, input.brandId);
    return { ok: true, balance: balance - input.points, redeemed: input.points, repeated: false };
  });
}

/** An operator's correction (positive or negative, never below a zero balance), once per request ID. */
export async function adjust(
  sql: Sql,
  input: { customerId: string; brandId: string; points: number; requestId: string; reason: string; now: Date },
): Promise<{ balance: number; written: boolean }> {
  if (!Number.isSafeInteger(input.points) || input.points === 0)
    throw new LoyaltyError(400, 'points: must be a whole number other than 0');
  return sql.begin(async (tx) => {
    const member = await lockMember(tx, input.customerId, input.brandId);
    if (!member) throw new LoyaltyError(404, 'not a member of this programme');
    const balance = await balanceOf(tx, input.customerId, input.brandId);
    if (balance + input.points < 0)
      throw new LoyaltyError(409, `the balance is ${balance} points: an adjustment cannot take it below 0`);
    const written = await insertEntry(tx, {
      customerId: input.customerId,
      brandId: input.brandId,
      kind: 'adjust',
      points: input.points,
      entryKey: `adjust:${input.requestId}`,
      reason: input.reason,
      at: input.now,
    });
    await refreshLoyaltyTraits(tx, input.customerId, input.brandId);
    return { balance: written ? balance + input.points : balance, written };
  });
}

// ---- tiers --------------------------------------------------------------------------------------

/** Points, spend and orders over the qualifying window ending on `today` (local dates of the earns). */
async function qualifyingMeasures(tx: Tx, programme: LoyaltyProgramme, member: Member, today: string) {
  const from = qualifyingWindowStart(programme, today);
  const [row] = await tx<{ points: string; spend: string; orders: number }[]>`
    select coalesce(sum(points), 0)::text as points, coalesce(sum(reporting_minor), 0)::text as spend,
           (select count(*)::int from (
              select order_ref from loyalty_ledger
              where customer_id = ${member.customerId} and brand_id = ${member.brandId} and order_ref is not null
                and local_date between ${from} and ${today}
              group by order_ref having sum(points) > 0) o) as orders
    from loyalty_ledger
    where customer_id = ${member.customerId} and brand_id = ${member.brandId} and kind in ('earn', 'reverse')
      and local_date between ${from} and ${today}`;
  return { points: Number(row!.points), spendMinor: BigInt(row!.spend), orders: row!.orders };
}

/** Decides the member's tier as of `now` (in their zone) and writes the change, with its history row. */
async function applyTierDecision(
  tx: TransactionSql,
  programme: LoyaltyProgramme,
  member: Member,
  now: Date,
): Promise<{ from: string; to: string; kind: 'upgrade' | 'downgrade' } | undefined> {
  const today = localDate(now, member.timeZone);
  const decision: TierDecision = decideTier(
    programme,
    member,
    await qualifyingMeasures(tx, programme, member, today),
    today,
  );
  if (decision.kind === 'unchanged') return undefined;
  const s = decision.state;
  const moved = decision.kind === 'upgrade' || decision.kind === 'downgrade';
  await tx`
    update loyalty_members set tier = ${s.tier}, tier_rank = ${tierRank(programme, s.tier)}, review_on = ${s.reviewOn}, grace_until = ${s.graceUntil},
      tier_since = ${moved ? today : member.tierSince}
    where customer_id = ${member.customerId} and brand_id = ${member.brandId}`;
  if (decision.kind === 'graceStarted')
    await tx`
      insert into loyalty_tier_history (customer_id, brand_id, from_tier, to_tier, reason, at)
      values (${member.customerId}, ${member.brandId}, ${member.tier}, ${member.tier}, 'grace', ${now.toISOString()})`;
  if (!moved) return undefined;
  await tx`
    insert into loyalty_tier_history (customer_id, brand_id, from_tier, to_tier, reason, at)
    values (${member.customerId}, ${member.brandId}, ${decision.from}, ${s.tier}, ${decision.kind}, ${now.toISOString()})`;
  // Segments and journeys follow the tier ("welcome to Gold"): the audience processor re-evaluates them.
  await tx`insert into audience_changes (customer_id, cause) values (${member.customerId}, 'event:Tier Changed')`;
  return { from: decision.from, to: s.tier, kind: decision.kind };
}

export async function tierHistory(sql: Tx, customerId: string, brandId?: string) {
  return sql<{ brandId: string; fromTier: string | null; toTier: string; reason: string; at: Date }[]>`
    select brand_id as "brandId", from_tier as "fromTier", to_tier as "toTier", reason, at from loyalty_tier_history
    where customer_id = ${customerId} ${brandId === undefined ? sql`` : sql`and brand_id = ${brandId}`} order by id`;
}

// ---- expiry -------------------------------------------------------------------------------------

/**
 * Expires what is due as of `now` (midnight in the member's zone has passed): rolling and fixed-date
 * expiry first in first out over the lots (an order's earn net of its reversals, bonuses, positive
 * adjustments); inactivity the whole balance once `days` have passed without an earn or redemption.
 * One expiry row per local day at most (`expire:<local date>`).
 */
async function expireDue(tx: TransactionSql, programme: LoyaltyProgramme, member: Member, now: Date): Promise<number> {
  const rule = programme.expiry;
  if (rule.kind === 'never') return 0;
  const today = localDate(now, member.timeZone);
  const balance = await balanceOf(tx, member.customerId, member.brandId);
  if (balance <= 0) return 0;
  let points = 0;
  if (rule.kind === 'inactivity') {
    const lastDay = localDate(member.lastActivityAt, member.timeZone);
    const expiresAt = localMidnight(addLocalDays(lastDay, rule.days), member.timeZone);
    if (now >= expiresAt) points = balance;
  } else {
    const [row] = await tx<{ expired: string; consumed: string }[]>`
      with lots as (
        select coalesce(order_ref, entry_key) as lot, sum(points) as points, min(expires_at) as expires_at
        from loyalty_ledger
        where customer_id = ${member.customerId} and brand_id = ${member.brandId}
          and (kind in ('earn', 'bonus', 'reverse') or (kind = 'adjust' and points > 0))
        group by coalesce(order_ref, entry_key)
      )
      select (select coalesce(sum(points), 0) from lots where points > 0 and expires_at <= ${now.toISOString()})::text as expired,
             (select coalesce(-sum(points), 0) from loyalty_ledger
               where customer_id = ${member.customerId} and brand_id = ${member.brandId}
                 and (kind in ('redeem', 'expire') or (kind = 'adjust' and points < 0)))::text as consumed`;
    points = pointsExpiring({ expiredLots: Number(row!.expired), consumed: Number(row!.consumed), balance });
  }
  if (points <= 0) return 0;
  const written = await insertEntry(tx, {
    customerId: member.customerId,
    brandId: member.brandId,
    kind: 'expire',
    points: -points,
    entryKey: `expire:${member.customerId}:${today}`,
    localDate: today,
    reason: rule.kind,
    at: now,
  });
  return written ? points : 0;
}

/** The next expiry after `now`: how many points go then (first in first out) and on which local date. */
export async function nextExpiry(
  sql: Sql,
  member: Member,
  now: Date,
): Promise<{ points: number; date: string } | undefined> {
  const [row] = await sql<{ at: Date | null; due: string; consumed: string }[]>`
    with lots as (
      select sum(points) as points, min(expires_at) as expires_at from loyalty_ledger
      where customer_id = ${member.customerId} and brand_id = ${member.brandId}
        and (kind in ('earn', 'bonus', 'reverse') or (kind = 'adjust' and points > 0))
      group by coalesce(order_ref, entry_key)
    ), next as (select min(expires_at) as at from lots where points > 0 and expires_at > ${now.toISOString()})
    select (select at from next) as at,
           (select coalesce(sum(points), 0) from lots where points > 0 and expires_at <= (select at from next))::text as due,
           (select coalesce(-sum(points), 0) from loyalty_ledger
             where customer_id = ${member.customerId} and brand_id = ${member.brandId}
               and (kind in ('redeem', 'expire') or (kind = 'adjust' and points < 0)))::text as consumed`;
  if (!row?.at) return undefined;
  const balance = await balanceOf(sql, member.customerId, member.brandId);
  const points = pointsExpiring({ expiredLots: Number(row.due), consumed: Number(row.consumed), balance });
  return { points, date: localDate(new Date(row.at), member.timeZone) };
}

// ---- the regional sweep (tier reviews and expiry) -----------------------------------------------

export interface SweepPage {
  members: number;
  expired: number;
  tierChanges: { customerId: string; brandId: string; from: string; to: string; kind: 'upgrade' | 'downgrade' }[];
  /** The last (customer ID, brand) of the page, to start the next after; null when the page was the last. */
  last: { customerId: string; brandId: string } | null;
}

/**
 * One page of the region's members (in key order after `after`): expiry due as of `now` and the tier
 * review when its date has come in the member's zone. Each member in its own short transaction with
 * their row locked, so redemptions and earns interleave safely.
 */
export async function sweepMembersPage(
  sql: Sql,
  programmeOf: (brandId: string) => Promise<LoyaltyProgramme | undefined>,
  after: { customerId: string; brandId: string } | null,
  pageSize: number,
  now: Date,
): Promise<SweepPage> {
  const keys = await sql<{ customerId: string; brandId: string }[]>`
    select customer_id as "customerId", brand_id as "brandId" from loyalty_members
    where ${after === null ? sql`true` : sql`(customer_id, brand_id) > (${after.customerId}::uuid, ${after.brandId})`}
    order by customer_id, brand_id limit ${pageSize}`;
  const page: SweepPage = { members: keys.length, expired: 0, tierChanges: [], last: null };
  for (const key of keys) {
    const programme = await programmeOf(key.brandId);
    if (!programme) continue;
    await sql.begin(async (tx) => {
      const member = await lockMember(tx, key.customerId, key.brandId);
      if (!member) return;
      page.expired += await expireDue(tx, programme, member, now);
      const changed = await applyTierDecision(tx, programme, member, now);
      if (changed) page.tierChanges.push({ ...key, ...changed });
      await refreshLoyaltyTraits(tx, key.customerId, key.brandId);
    });
  }
  page.last = keys.length === pageSize ? keys[keys.length - 1]! : null;
  return page;
}

// ---- merges, privacy ----------------------------------------------------------------------------

/**
 * Moves `from`'s memberships and ledgers to `into` inside a profile merge's transaction: one member
 * per brand survives with both ledgers, the higher tier, the earlier enrolment, and a `merge` row in
 * the tier history; the survivor keeps its member ID (the merged one still finds it through the
 * global member IDs and `customers.merged_into`).
 */
export async function mergeMemberships(tx: TransactionSql, from: string, into: string): Promise<number> {
  const moving = await tx<
    Member[]
  >`select ${memberColumns(tx)} from loyalty_members where customer_id = ${from} for update`;
  for (const raw of moving) {
    const m = asMember(raw);
    const [survivor] = await tx<Member[]>`
      select ${memberColumns(tx)} from loyalty_members where customer_id = ${into} and brand_id = ${m.brandId} for update`;
    const [ranks] = await tx<{ from_rank: number; into_rank: number | null }[]>`
      select (select tier_rank from loyalty_members where customer_id = ${from} and brand_id = ${m.brandId}) as from_rank,
             (select tier_rank from loyalty_members where customer_id = ${into} and brand_id = ${m.brandId}) as into_rank`;
    await tx`update loyalty_ledger set customer_id = ${into} where customer_id = ${from} and brand_id = ${m.brandId}`;
    await tx`update loyalty_tier_history set customer_id = ${into} where customer_id = ${from} and brand_id = ${m.brandId}`;
    if (!survivor) {
      await tx`update loyalty_members set customer_id = ${into} where customer_id = ${from} and brand_id = ${m.brandId}`;
      await refreshLoyaltyTraits(tx, into, m.brandId);
      continue;
    }
    const higher = ranks!.from_rank > (ranks!.into_rank ?? 0) ? m : survivor;
    await tx`delete from loyalty_members where customer_id = ${from} and brand_id = ${m.brandId}`;
    await tx`
      insert into loyalty_tier_history (customer_id, brand_id, from_tier, to_tier, reason)
      values (${into}, ${m.brandId}, ${survivor.tier}, ${higher.tier}, ${`merge: kept ${higher.tier} (${survivor.tier} and ${m.tier})`})`;
    await tx`
      update loyalty_members set enrolled_at = least(enrolled_at, ${m.enrolledAt.toISOString()}),
        last_activity_at = greatest(last_activity_at, ${m.lastActivityAt.toISOString()}),
        tier = ${higher.tier}, tier_rank = ${Math.max(ranks!.from_rank, ranks!.into_rank ?? 0)}, tier_since = ${higher.tierSince},
        review_on = ${higher.reviewOn}, grace_until = ${higher.graceUntil}
      where customer_id = ${into} and brand_id = ${m.brandId}`;
    await refreshLoyaltyTraits(tx, into, m.brandId);
  }
  if (moving.length > 0)
    await tx`delete from computed_trait_values where customer_id = ${from} and trait_id like 'loyalty\_%'`;
  return moving.length;
}

/** The member's ledgers, memberships and tier history, for an access export. */
export async function loyaltyExport(sql: Sql, customerIds: readonly string[]) {
  const list = sql.array([...customerIds]);
  const members = await sql`
    select brand_id, member_id, tier, tier_since::text, review_on::text, grace_until::text, time_zone, market,
           terms_version, enrolled_via, enrolled_at, last_activity_at
    from loyalty_members where customer_id = any(${list}::uuid[]) order by brand_id`;
  const ledger = await sql`
    select brand_id, kind, points::float8 as points, order_ref, currency, amount_minor::text, reporting_minor::text, local_date::text,
           expires_at, reason, at
    from loyalty_ledger where customer_id = any(${list}::uuid[]) order by id`;
  const tiers = await sql`
    select brand_id, from_tier, to_tier, reason, at from loyalty_tier_history
    where customer_id = any(${list}::uuid[]) order by id`;
  return { members: [...members], ledger: [...ledger], tierHistory: [...tiers] };
}

/**
 * Erases the person's loyalty data inside the erasure transaction: memberships, tier history, sync
 * status and every ledger row, except redemptions when a legal hold keeps order records (tax records
 * of what the redemptions paid for); those keep only their amounts, kind, time and key.
 */
export async function eraseLoyalty(tx: TransactionSql, customers: readonly string[], keepRedemptions: boolean) {
  const list = tx.array([...customers]);
  const ledger = keepRedemptions
    ? await tx`delete from loyalty_ledger where customer_id = any(${list}::uuid[]) and kind <> 'redeem'`
    : await tx`delete from loyalty_ledger where customer_id = any(${list}::uuid[])`;
  if (keepRedemptions) await tx`update loyalty_ledger set reason = null where customer_id = any(${list}::uuid[])`;
  await tx`delete from loyalty_tier_history where customer_id = any(${list}::uuid[])`;
  await tx`delete from loyalty_sync_status where customer_id = any(${list}::uuid[])`;
  const members = await tx`delete from loyalty_members where customer_id = any(${list}::uuid[])`;
  return { ledger: ledger.count, members: members.count };
}

/** Removes the people's member IDs from the global registry (erasure). */
export async function forgetMemberIds(globalSql: Sql, customers: readonly string[]): Promise<void> {
  await globalSql`delete from loyalty_member_ids where customer_id = any(${globalSql.array([...customers])}::uuid[])`;
}

// ---- the lookup and the store sync --------------------------------------------------------------

export interface MemberSummary {
  member: Member;
  balance: number;
}

export async function memberSummary(sql: Sql, customerId: string, brandId: string): Promise<MemberSummary | undefined> {
  const member = await getMember(sql, customerId, brandId);
  return member ? { member, balance: await balanceOf(sql, customerId, brandId) } : undefined;
}

/** The Shopify customer IDs the member's orders from this connector carry (plain vendor IDs, no values). */
export async function vendorCustomerIds(sql: Sql, customerId: string, connectorId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select distinct customer_external_id as id from orders
    where customer_id = ${customerId} and source_id = ${connectorId} and customer_external_id is not null order by 1`;
  return rows.map((r) => r.id);
}

export async function recordSyncStatus(
  sql: Sql,
  s: {
    customerId: string;
    brandId: string;
    connectorId: string;
    system: string;
    status: string;
    tier: string | null;
    balance: number | null;
    error: string | null;
  },
): Promise<void> {
  await sql`
    insert into loyalty_sync_status (customer_id, brand_id, connector_id, system, status, tier, balance, last_error)
    values (${s.customerId}, ${s.brandId}, ${s.connectorId}, ${s.system}, ${s.status}, ${s.tier}, ${s.balance}, ${s.error})
    on conflict (customer_id, brand_id, connector_id) do update set status = excluded.status, tier = excluded.tier,
      balance = excluded.balance, last_error = excluded.last_error, updated_at = now()`;
}

export async function syncStatusOf(sql: Sql, customerId: string, brandId: string) {
  return sql<{ connectorId: string; system: string; status: string; tier: string | null; balance: number | null }[]>`
    select connector_id as "connectorId", system, status, tier, balance::float8 as balance from loyalty_sync_status
    where customer_id = ${customerId} and brand_id = ${brandId} order by connector_id`;
}
