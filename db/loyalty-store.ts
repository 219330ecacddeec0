import { randomInt, randomUUID } from 'node:crypto';
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
  type TierState,
  tierRank,
  isBirthday,
  validZone,
} from '../domain/loyalty';
import { addLocalDays, localDate } from '../domain/local-time';
import type { FxTable } from '../domain/fx';
import { parseAmount } from '../domain/money';
import { visibleSourceIds } from './brands-store';
import { computedCause } from '../domain/audience-dependencies';
import { type RegionKey, sealJson, unwrapDataKey } from './crypto-shredding';
import { recordJourneyEvents } from './journeys-store';
import { createSegment, getSegment } from './segments-store';
import { createTag } from './tags-store';
import { GROUP_OWNER } from '../domain/tags';

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
  await defineTierTags(globalSql, programme);
  const [row] = await globalSql<{ version: number }[]>`
    insert into loyalty_programmes (brand_id, definition) values (${programme.brandId}, ${JSON.stringify(programme)}::text::jsonb)
    on conflict (brand_id) do update set definition = excluded.definition, version = loyalty_programmes.version + 1,
      updated_at = now()
    returning version`;
  return row!;
}

/** The segment and rule tag of a tier: `loyalty-<brand>-<tier>` (a slug both may carry). */
export function tierTagKey(brandId: string, tier: string): string {
  return `loyalty-${brandId}-${tier}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
}

/**
 * Tiers in the tags layer (issue 14 §6): for each tier above the base, a group segment "members of
 * the brand in this tier" (a condition on the tier's computed trait) and a rule tag following it, so
 * `loyalty-acme-gold` is a tag like any other (segments, exports and audiences read it) and the
 * audience processor moves it when the tier changes. Made once; an operator may rename them.
 */
async function defineTierTags(globalSql: Sql, programme: LoyaltyProgramme): Promise<void> {
  const traitId = loyaltyTraitIds(programme.brandId).tier;
  for (const tier of programme.tiers.slice(1)) {
    const key = tierTagKey(programme.brandId, tier.key);
    if (!(await getSegment(globalSql, key)))
      await createSegment(globalSql, {
        id: key,
        name: `${programme.name}: ${tier.names.en}`,
        owner: GROUP_OWNER,
        brandId: programme.brandId,
        definition: { type: 'computedTrait', id: traitId, op: 'eq', value: tier.key },
        changedBy: 'loyalty programme',
      }).catch((error: { code?: string }) => {
        if (error.code !== '23505') throw error; // saved at the same moment elsewhere
      });
    await createTag(globalSql, {
      key,
      labels: Object.fromEntries(
        Object.entries(tier.names).map(([lang, name]) => [lang, `${programme.name}: ${name}`]),
      ),
      owner: GROUP_OWNER,
      brandId: programme.brandId,
      source: 'rule',
      segmentId: key,
    });
  }
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
  birthMonthDay: string | null;
  lastActivityAt: Date;
  enrolledAt: Date;
}

const memberColumns = (sql: Tx) => sql`
  customer_id as "customerId", brand_id as "brandId", member_id as "memberId", tier, tier_since::text as "tierSince",
  review_on::text as "reviewOn", grace_until::text as "graceUntil", time_zone as "timeZone", market,
  terms_version as "termsVersion", birth_month_day as "birthMonthDay", last_activity_at as "lastActivityAt", enrolled_at as "enrolledAt"`;

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

/** Where each person's profile lives (their home region), for enrolments asked for elsewhere. */
export async function homeRegionsOf(globalSql: Sql, customerIds: readonly string[]): Promise<Map<string, string>> {
  if (customerIds.length === 0) return new Map();
  const rows = await globalSql<{ customer_id: string; home_region: string }[]>`
    select customer_id, home_region from customers
    where customer_id = any(${globalSql.array([...customerIds])}::uuid[]) and merged_into is null`;
  return new Map(rows.map((r) => [r.customer_id, r.home_region]));
}

export interface Enrolment {
  customerId: string;
  brandId: string;
  timeZone: string;
  market: string | null;
  termsVersion: string;
  via: 'api' | 'event';
  now: Date;
  /** The member's birthday as `MM-DD` (the year is not kept), for the birthday bonus. */
  birthMonthDay?: string | null;
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
                                   terms_version, birth_month_day, enrolled_via, last_activity_at, enrolled_at)
      values (${input.customerId}, ${input.brandId}, ${memberId}, ${base}, ${today}, ${addLocalDays(today, programme.reviewEveryDays)},
              ${zone}, ${input.market}, ${input.termsVersion}, ${input.birthMonthDay ?? null}, ${input.via}, ${input.now.toISOString()},
              ${input.now.toISOString()})
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

// ---- tier changes as events ------------------------------------------------------------------------

/** The source ID of events Meridian itself records on profiles for loyalty (no tracking source has it). */
export const LOYALTY_EVENT_SOURCE = 'meridian:loyalty';

export interface TierChange {
  customerId: string;
  brandId: string;
  from: string;
  to: string;
  kind: 'upgrade' | 'downgrade';
}

/**
 * Each tier change as a `Tier Changed` event on the person's profile, in the change's transaction:
 * a row of `events` (properties brand_id, from_tier, to_tier, direction; queryable, none personal;
 * the payload sealed with the profile's data key like any event, so erasure shreds it), the journey
 * outbox row that starts "welcome to Gold" journeys, and the audience change segments follow.
 * A member without a profile row (never seen by ingestion) gets the audience change only.
 */
async function recordTierChanged(tx: TransactionSql, regionKey: RegionKey, changes: readonly TierChange[], now: Date) {
  if (changes.length === 0) return;
  const ids = [...new Set(changes.map((c) => c.customerId))];
  const profiles = await tx<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
    select customer_id, data_key_wrapped from profiles where customer_id = any(${tx.array(ids)}::uuid[])`;
  const keyOf = new Map(
    profiles
      .filter((p) => p.data_key_wrapped)
      .map((p) => [p.customer_id, unwrapDataKey(regionKey, p.data_key_wrapped!, p.customer_id)]),
  );
  const rows = changes.flatMap((c) => {
    const dataKey = keyOf.get(c.customerId);
    if (!dataKey) return [];
    const id = randomUUID();
    const properties = { brand_id: c.brandId, from_tier: c.from, to_tier: c.to, direction: c.kind };
    return [
      {
        id,
        customerId: c.customerId,
        messageId: `tier:${c.brandId}:${c.customerId}:${now.toISOString()}`,
        sealed: sealJson(dataKey, { properties }, `event:${c.customerId}:${id}`),
        properties: JSON.stringify(properties),
      },
    ];
  });
  if (rows.length > 0) {
    const month = `${now.toISOString().slice(0, 7)}-01`;
    await tx
      .savepoint(async (sp) => {
        await sp`select meridian_ensure_events_partition(${month}::date)`;
      })
      .catch((error: { code?: string }) => {
        // Another transaction created it at the same moment: what we wanted.
        if (!['42P07', '23505'].includes(error.code ?? '')) throw error;
      });
    await tx`
      insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp, payload_sealed, properties)
      select id, ${now.toISOString()}, ${LOYALTY_EVENT_SOURCE}, m, c, c, 'track', 'Tier Changed', ${now.toISOString()}, p, pr::jsonb
      from unnest(${tx.array(rows.map((r) => r.id))}::uuid[], ${tx.array(rows.map((r) => r.messageId))}::text[],
                  ${tx.array(rows.map((r) => r.customerId))}::uuid[], ${tx.array(rows.map((r) => r.sealed) as unknown as string[])},
                  ${tx.array(rows.map((r) => r.properties))}::text[]) as u(id, m, c, p, pr)`;
    await recordJourneyEvents(
      tx,
      rows.map((r) => ({ eventId: r.id, receivedAt: now, customerId: r.customerId, event: 'Tier Changed' })),
    );
  }
  // Segments and journeys follow the tier: the audience processor re-evaluates what reads the event.
  await tx`
    insert into audience_changes (customer_id, cause)
    select c, 'event:Tier Changed' from unnest(${tx.array(ids)}::uuid[]) as u(c)`;
}

/** Enrolments tracked events asked for (`enrolmentFactsOf`), in the member's home region; answers how many were new. */
export async function enrolFromEvents(
  sql: Sql,
  globalSql: Sql,
  region: string,
  programmeOf: (brandId: string) => Promise<LoyaltyProgramme | undefined>,
  customerId: string,
  facts: readonly EnrolmentFacts[],
): Promise<number> {
  let created = 0;
  for (const f of facts) {
    const programme = await programmeOf(f.brandId);
    if (!programme) continue;
    const outcome = await enrolMember(sql, globalSql, region, programme, {
      customerId,
      brandId: f.brandId,
      timeZone: f.timeZone,
      market: f.market,
      termsVersion: f.termsVersion,
      via: 'event',
      now: new Date(f.at),
    });
    if (outcome.created) created++;
  }
  return created;
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
  orderKey?: string | null;
  currency?: string | null;
  amountMinor?: bigint | null;
  reportingMinor?: bigint | null;
  localDate?: string | null;
  expiresAt?: Date | null;
  reason?: string | null;
  at: Date;
}

/** What one lot of points is: an order (whichever path brought it), else the entry itself; `l` is the ledger. */
const lotKey = (sql: Tx) => sql`coalesce(l.order_key, l.order_ref, l.entry_key)`;

async function insertEntry(tx: Tx, e: Entry): Promise<boolean> {
  const result = await tx`
    insert into loyalty_ledger (customer_id, brand_id, kind, points, entry_key, order_ref, order_key, currency, amount_minor,
                                reporting_minor, local_date, expires_at, reason, at)
    values (${e.customerId}, ${e.brandId}, ${e.kind}, ${e.points}, ${e.entryKey}, ${e.orderRef ?? null}, ${e.orderKey ?? null}, ${e.currency ?? null},
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

/** Trait values of many members at once (the sweep's page); the changed ones noted for the audience processor. */
async function upsertTraitValues(
  tx: Tx,
  values: { customerId: string; traitId: string; value: string }[],
): Promise<void> {
  if (values.length === 0) return;
  await tx`
    with changed as (
      insert into computed_trait_values (customer_id, trait_id, value)
      select c, t, v::jsonb from unnest(${tx.array(values.map((v) => v.customerId))}::uuid[],
                                         ${tx.array(values.map((v) => v.traitId))}::text[],
                                         ${tx.array(values.map((v) => v.value))}::text[]) as u(c, t, v)
      on conflict (customer_id, trait_id) do update set value = excluded.value, computed_at = now()
      where computed_trait_values.value is distinct from excluded.value
      returning customer_id, trait_id
    )
    insert into audience_changes (customer_id, cause) select customer_id, 'computed:' || trait_id from changed`;
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
  /**
   * Where the facts come from: a store's order row (`order`, authoritative: its later versions adjust
   * what the order earned) or a tracked `Order Completed` event (`event`: earns an order the ledger
   * does not hold yet, never adjusts one).
   */
  origin?: 'order' | 'event';
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

/**
 * This region's tracked `Order Completed` events of these people, as order facts (issue 14): the
 * Segment e-commerce properties `order_id`, `total` (else `revenue`) and `currency`, all of data
 * category `user.commercial` (not identifying, so in `events.properties`), the first product's
 * `category`; the local date in the event's `context.timezone` (UTC without one) and the reporting
 * amount at that date's FX. An event without an order ID, a currency or a readable total is left out
 * and named in `skipped`. The order key is `order_id`: the same order synced from the store earns once.
 */
export async function orderEventFactsOf(
  sql: Sql,
  customerIds: readonly string[],
  fx: FxTable,
  reportingCurrency: string,
): Promise<{ facts: Map<string, OrderFacts[]>; skipped: { sourceId: string; reason: string }[] }> {
  const rows = await sql<
    {
      customerId: string;
      sourceId: string;
      properties: Record<string, unknown> | null;
      timestamp: Date;
      timezone: string | null;
    }[]
  >`
    select customer_id as "customerId", source_id as "sourceId", properties, timestamp, timezone from events
    where customer_id = any(${sql.array([...customerIds])}::uuid[]) and type = 'track' and event = 'Order Completed'
    order by customer_id, timestamp`;
  const facts = new Map<string, OrderFacts[]>();
  const skipped: { sourceId: string; reason: string }[] = [];
  for (const row of rows) {
    const p = row.properties ?? {};
    const orderId = typeof p.order_id === 'string' || typeof p.order_id === 'number' ? String(p.order_id) : '';
    const currency = typeof p.currency === 'string' ? p.currency.toUpperCase() : '';
    const total = p.total ?? p.revenue;
    if (!orderId || orderId.length > 200) {
      skipped.push({ sourceId: row.sourceId, reason: 'no order_id' });
      continue;
    }
    if (typeof total !== 'number' && typeof total !== 'string') {
      skipped.push({ sourceId: row.sourceId, reason: 'no total or revenue' });
      continue;
    }
    const amount = parseAmount(total, currency);
    if (!amount.ok || amount.minor < 0n) {
      skipped.push({ sourceId: row.sourceId, reason: amount.ok ? 'a negative total' : amount.reason });
      continue;
    }
    const at = new Date(row.timestamp);
    const zone = validZone(row.timezone);
    const day = localDate(at, zone);
    const converted =
      currency === reportingCurrency
        ? { ok: true as const, minor: amount.minor }
        : fx.convert(amount.minor, currency, reportingCurrency, day);
    const products = Array.isArray(p.products) ? (p.products as { category?: unknown }[]) : [];
    const category = typeof products[0]?.category === 'string' ? products[0].category : null;
    const list = facts.get(row.customerId) ?? [];
    list.push({
      sourceId: row.sourceId,
      externalId: orderId,
      currency,
      totalMinor: amount.minor.toString(),
      reportingCurrency,
      reportingTotalMinor: converted.ok ? converted.minor.toString() : null,
      countryCode: null,
      status: 'completed',
      financialStatus: null,
      placedAt: at.toISOString(),
      localDate: day,
      version: at.toISOString(),
      category,
      origin: 'event',
    });
    facts.set(row.customerId, list);
  }
  return { facts, skipped };
}

/** An enrolment a tracked `Loyalty Enrolled` event asked for: no personal values (it may travel to the home region). */
export interface EnrolmentFacts {
  brandId: string;
  termsVersion: string;
  timeZone: string;
  market: string | null;
  /** When the server received the event: the enrolment's time, never the client's clock. */
  at: string;
}

/**
 * This region's tracked `Loyalty Enrolled` events of these people, admitted as enrolments when they
 * may be (issue 14): accepting a programme's terms is a consent, so, as for tracked consent
 * (domain/tracked-consent.ts), only a `server` source (the brand's back end, whose key is secret)
 * enrols; a `browser` source's public key could enrol anyone. The brand is the source's brand,
 * never a property (a source cannot enrol people into another brand's programme), and the event
 * must name the accepted terms (`terms_version`). Refusals are counted with their reason.
 */
export async function enrolmentFactsOf(
  sql: Sql,
  globalSql: Sql,
  customerIds: readonly string[],
): Promise<{ facts: Map<string, EnrolmentFacts[]>; refused: { sourceId: string; reason: string }[] }> {
  const rows = await sql<
    {
      customerId: string;
      sourceId: string;
      properties: Record<string, unknown> | null;
      receivedAt: Date;
      timezone: string | null;
    }[]
  >`
    select customer_id as "customerId", source_id as "sourceId", properties, received_at as "receivedAt", timezone from events
    where customer_id = any(${sql.array([...customerIds])}::uuid[]) and type = 'track' and event = 'Loyalty Enrolled'
    order by customer_id, received_at`;
  const facts = new Map<string, EnrolmentFacts[]>();
  const refused: { sourceId: string; reason: string }[] = [];
  if (rows.length === 0) return { facts, refused };
  const sources = await globalSql<{ id: string; kind: string; brand_id: string | null }[]>`
    select id, kind, brand_id from sources where id = any(${globalSql.array([...new Set(rows.map((r) => r.sourceId))])}::text[])`;
  const sourceOf = new Map(sources.map((s) => [s.id, s]));
  for (const row of rows) {
    const source = sourceOf.get(row.sourceId);
    const p = row.properties ?? {};
    const terms = typeof p.terms_version === 'string' ? p.terms_version.trim() : '';
    const reason = !source
      ? 'unknown source'
      : source.kind !== 'server'
        ? 'a browser source cannot enrol: its key is public; enrol through a server source or the admin API'
        : !source.brand_id
          ? 'the source belongs to no brand'
          : !terms || terms.length > 64
            ? 'no terms_version: enrolment needs the accepted terms'
            : null;
    if (reason) {
      refused.push({ sourceId: row.sourceId, reason });
      continue;
    }
    const market = typeof p.market === 'string' && /^[A-Z]{2}$/.test(p.market) ? p.market : null;
    const list = facts.get(row.customerId) ?? [];
    list.push({
      brandId: source!.brand_id!,
      termsVersion: terms,
      timeZone: validZone(row.timezone),
      market,
      at: new Date(row.receivedAt).toISOString(),
    });
    facts.set(row.customerId, list);
  }
  return { facts, refused };
}

const orderRef = (o: Pick<OrderFacts, 'sourceId' | 'externalId'>) => `${o.sourceId}:${o.externalId}`;
/** The order's ID as its store knows it: the same order by sync or by event, one key per brand. */
const orderKeyOf = (o: Pick<OrderFacts, 'externalId'>) => o.externalId;

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
  regionKey: RegionKey,
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
    // One facts per order key: a store's order row over a tracked event of the same order.
    const byKey = new Map<string, OrderFacts>();
    for (const o of orders) {
      if (!((visible === null || visible.includes(o.sourceId)) && new Date(o.placedAt) >= membership.enrolledAt))
        continue;
      const seen = byKey.get(orderKeyOf(o));
      if (!seen || (seen.origin === 'event' && o.origin !== 'event')) byKey.set(orderKeyOf(o), o);
    }
    const mine = [...byKey.values()];
    if (mine.length === 0) continue;
    const changed = await sql.begin(async (tx) => {
      const member = await lockMember(tx, customerId, membership.brandId);
      if (!member) return undefined;
      // What each order holds, whichever path (sync or event) brought it first.
      const held = await tx<{ order_key: string; earned: string; refunded: string; held: string }[]>`
        select order_key,
               coalesce(sum(points) filter (where entry_key not like 'reverse:%:refund:%'), 0)::text as earned,
               coalesce(-sum(points) filter (where entry_key like 'reverse:%:refund:%'), 0)::text as refunded,
               sum(points)::text as held
        from loyalty_ledger
        where customer_id = ${customerId} and brand_id = ${member.brandId}
          and order_key = any(${tx.array(mine.map(orderKeyOf))}::text[])
        group by order_key`;
      const byKeyHeld = new Map(held.map((h) => [h.order_key, h]));
      let activity = false;
      for (const order of mine) {
        const ref = orderRef(order);
        const result = pointsForOrder(programme, asEarnable(order));
        if (!result.ok) {
          outcome.skipped.push({ orderRef: ref, reason: result.reason });
          continue;
        }
        const h = byKeyHeld.get(orderKeyOf(order));
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
              orderKey: orderKeyOf(order),
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
        // An event is not a version of the order: only the store's record adjusts what it earned.
        if (order.origin === 'event') continue;
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
          orderKey: orderKeyOf(order),
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
      const tierChange = await applyTierDecision(tx, regionKey, programme, member, now);
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
    // The order whichever path earned it (its key is the order ID); the total is its first earn's amount.
    const [row] = await tx<{ earned: string; held: string; total: string | null }[]>`
      select coalesce(sum(points) filter (where kind = 'earn'), 0)::text as earned, coalesce(sum(points), 0)::text as held,
             ((array_agg(amount_minor order by id) filter (where kind = 'earn'))[1])::text as total
      from loyalty_ledger where customer_id = ${input.customerId} and brand_id = ${input.brandId} and order_key = ${input.orderId}`;
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
      orderKey: input.orderId,
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
              select 1 from loyalty_ledger l
              where customer_id = ${member.customerId} and brand_id = ${member.brandId} and order_key is not null
                and local_date between ${from} and ${today}
              group by ${lotKey(tx)} having sum(points) > 0) o) as orders
    from loyalty_ledger
    where customer_id = ${member.customerId} and brand_id = ${member.brandId} and kind in ('earn', 'reverse')
      and local_date between ${from} and ${today}`;
  return { points: Number(row!.points), spendMinor: BigInt(row!.spend), orders: row!.orders };
}

/** Decides the member's tier as of `now` (in their zone) and writes the change, with its history row. */
async function applyTierDecision(
  tx: TransactionSql,
  regionKey: RegionKey,
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
  // Segments and journeys follow the tier ("welcome to Gold").
  await recordTierChanged(
    tx,
    regionKey,
    [{ customerId: member.customerId, brandId: member.brandId, from: decision.from, to: s.tier, kind: decision.kind }],
    now,
  );
  return { from: decision.from, to: s.tier, kind: decision.kind };
}

export async function tierHistory(sql: Tx, customerId: string, brandId?: string) {
  return sql<{ brandId: string; fromTier: string | null; toTier: string; reason: string; at: Date }[]>`
    select brand_id as "brandId", from_tier as "fromTier", to_tier as "toTier", reason, at from loyalty_tier_history
    where customer_id = ${customerId} ${brandId === undefined ? sql`` : sql`and brand_id = ${brandId}`} order by id`;
}

// ---- expiry -------------------------------------------------------------------------------------

/** The next expiry after `now`: how many points go then (first in first out) and on which local date. */
export async function nextExpiry(
  sql: Sql,
  member: Member,
  now: Date,
): Promise<{ points: number; date: string } | undefined> {
  const [row] = await sql<{ at: Date | null; due: string; consumed: string }[]>`
    with lots as (
      select sum(points) as points, min(expires_at) as expires_at from loyalty_ledger l
      where customer_id = ${member.customerId} and brand_id = ${member.brandId}
        and (kind in ('earn', 'bonus', 'reverse') or (kind = 'adjust' and points > 0))
      group by ${lotKey(sql)}
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
  birthdayBonuses: number;
  tierChanges: { customerId: string; brandId: string; from: string; to: string; kind: 'upgrade' | 'downgrade' }[];
  /** The last (customer ID, brand) of the page, to start the next after; null when the page was the last. */
  last: { customerId: string; brandId: string } | null;
}

/**
 * One page of the region's members (in key order after `after`), decided as a set: the page's rows
 * are locked in key order in one transaction (redemptions and earns of those members wait for it,
 * briefly), their ledgers read in three grouped queries (balance and consumption, expired lots,
 * qualifying measures over each member's window), the decisions made here with the same pure rules
 * as the earn path (`decideTier`, `pointsExpiring`), and written back in one statement per table.
 * About ten statements per page whatever its size, where a member at a time took five per member:
 * the scheduled sweep reviews a million members in minutes.
 */
export async function sweepMembersPage(
  sql: Sql,
  regionKey: RegionKey,
  programmeOf: (brandId: string) => Promise<LoyaltyProgramme | undefined>,
  after: { customerId: string; brandId: string } | null,
  pageSize: number,
  now: Date,
): Promise<SweepPage> {
  return sql.begin(async (tx) => {
    const rows = await tx<Member[]>`
      select ${memberColumns(tx)} from loyalty_members
      where ${after === null ? tx`true` : tx`(customer_id, brand_id) > (${after.customerId}::uuid, ${after.brandId})`}
      order by customer_id, brand_id limit ${pageSize}
      for update`;
    const page: SweepPage = { members: rows.length, expired: 0, birthdayBonuses: 0, tierChanges: [], last: null };
    page.last =
      rows.length === pageSize ? { customerId: rows.at(-1)!.customerId, brandId: rows.at(-1)!.brandId } : null;
    if (rows.length === 0) return page;
    const members: { m: Member; p: LoyaltyProgramme; today: string }[] = [];
    for (const raw of rows) {
      const m = asMember(raw);
      const p = await programmeOf(m.brandId);
      if (p) members.push({ m, p, today: localDate(now, m.timeZone) });
    }
    if (members.length === 0) return page;
    const key = (c: string, b: string) => `${c} ${b}`;
    const arrays = (list: typeof members) => ({
      customers: tx.array(list.map((x) => x.m.customerId)),
      brands: tx.array(list.map((x) => x.m.brandId)),
    });
    const all = arrays(members);
    // Balance and what redemptions and earlier expiries consumed, per member.
    const sums = await tx<{ c: string; b: string; balance: string; consumed: string }[]>`
      select l.customer_id::text as c, l.brand_id as b, sum(l.points)::text as balance,
             coalesce(-sum(l.points) filter (where l.kind in ('redeem', 'expire') or (l.kind = 'adjust' and l.points < 0)), 0)::text as consumed
      from loyalty_ledger l
      join unnest(${all.customers}::uuid[], ${all.brands}::text[]) as m(customer_id, brand_id)
        on l.customer_id = m.customer_id and l.brand_id = m.brand_id
      group by l.customer_id, l.brand_id`;
    const sumOf = new Map(
      sums.map((s) => [key(s.c, s.b), { balance: Number(s.balance), consumed: Number(s.consumed) }]),
    );
    // Lots expired as of now (first in first out: an order's earn net of its reversals, bonuses, positive adjustments).
    const lotted = members.filter((x) => x.p.expiry.kind === 'rolling' || x.p.expiry.kind === 'fixedDate');
    const expiredOf = new Map<string, number>();
    if (lotted.length > 0) {
      const l = arrays(lotted);
      const expired = await tx<{ c: string; b: string; expired: string }[]>`
        with lots as (
          select l.customer_id, l.brand_id, sum(l.points) as points, min(l.expires_at) as expires_at
          from loyalty_ledger l
          join unnest(${l.customers}::uuid[], ${l.brands}::text[]) as m(customer_id, brand_id)
            on l.customer_id = m.customer_id and l.brand_id = m.brand_id
          where l.kind in ('earn', 'bonus', 'reverse') or (l.kind = 'adjust' and l.points > 0)
          group by l.customer_id, l.brand_id, ${lotKey(tx)}
        )
        select customer_id::text as c, brand_id as b, sum(points)::text as expired from lots
        where points > 0 and expires_at <= ${now.toISOString()}
        group by customer_id, brand_id`;
      for (const e of expired) expiredOf.set(key(e.c, e.b), Number(e.expired));
    }
    // Qualifying measures over each member's window, ending on their local today.
    const measures = await tx<{ c: string; b: string; points: string; spend: string; orders: number }[]>`
      with m as (
        select * from unnest(${all.customers}::uuid[], ${all.brands}::text[],
                             ${tx.array(members.map((x) => qualifyingWindowStart(x.p, x.today)))}::date[],
                             ${tx.array(members.map((x) => x.today))}::date[]) as m(customer_id, brand_id, from_day, to_day)
      ), rows as (
        select l.customer_id, l.brand_id, ${lotKey(tx)} as lot, sum(l.points) as points, sum(l.reporting_minor) as spend,
               bool_or(l.order_ref is not null or l.order_key is not null) as is_order
        from loyalty_ledger l join m on l.customer_id = m.customer_id and l.brand_id = m.brand_id
        where l.kind in ('earn', 'reverse') and l.local_date between m.from_day and m.to_day
        group by l.customer_id, l.brand_id, ${lotKey(tx)}
      )
      select customer_id::text as c, brand_id as b, coalesce(sum(points), 0)::text as points,
             coalesce(sum(spend), 0)::text as spend, (count(*) filter (where is_order and points > 0))::int as orders
      from rows group by customer_id, brand_id`;
    const measureOf = new Map(
      measures.map((x) => [key(x.c, x.b), { points: Number(x.points), spendMinor: BigInt(x.spend), orders: x.orders }]),
    );

    const expiries: { m: Member; points: number; today: string; reason: string }[] = [];
    const birthdays: { m: Member; points: number; today: string; expiresAt: Date | null }[] = [];
    const updates: { m: Member; state: TierState; moved: boolean }[] = [];
    const history: { m: Member; from: string; to: string; reason: string }[] = [];
    const tierAfter = new Map<string, string>();
    const balanceAfter = new Map<string, number>();
    for (const { m, p, today } of members) {
      const k = key(m.customerId, m.brandId);
      const { balance, consumed } = sumOf.get(k) ?? { balance: 0, consumed: 0 };
      let expire = 0;
      if (balance > 0 && p.expiry.kind === 'inactivity') {
        const lastDay = localDate(m.lastActivityAt, m.timeZone);
        if (now >= localMidnight(addLocalDays(lastDay, p.expiry.days), m.timeZone)) expire = balance;
      } else if (balance > 0 && expiredOf.has(k))
        expire = pointsExpiring({ expiredLots: expiredOf.get(k)!, consumed, balance });
      if (expire > 0) expiries.push({ m, points: expire, today, reason: p.expiry.kind });
      if (p.earn.bonuses.birthday > 0 && isBirthday(m.birthMonthDay, today))
        birthdays.push({ m, points: p.earn.bonuses.birthday, today, expiresAt: expiryInstant(p, today, m.timeZone) });
      const decision = decideTier(p, m, measureOf.get(k) ?? { points: 0, spendMinor: 0n, orders: 0 }, today);
      let tier = m.tier;
      if (decision.kind !== 'unchanged') {
        const moved = decision.kind === 'upgrade' || decision.kind === 'downgrade';
        updates.push({ m, state: decision.state, moved });
        if (decision.kind === 'graceStarted') history.push({ m, from: m.tier, to: m.tier, reason: 'grace' });
        if (moved) {
          history.push({ m, from: decision.from, to: decision.state.tier, reason: decision.kind });
          page.tierChanges.push({
            customerId: m.customerId,
            brandId: m.brandId,
            from: decision.from,
            to: decision.state.tier,
            kind: decision.kind,
          });
          tier = decision.state.tier;
        }
      }
      tierAfter.set(k, tier);
      balanceAfter.set(k, balance);
    }
    const rankOf = new Map(members.map((x) => [key(x.m.customerId, x.m.brandId), x.p]));

    if (expiries.length > 0) {
      const written = await tx<{ c: string; b: string; points: string }[]>`
        insert into loyalty_ledger (customer_id, brand_id, kind, points, entry_key, local_date, reason, at)
        select c, b, 'expire', -p, 'expire:' || c::text || ':' || d::text, d, r, ${now.toISOString()}
        from unnest(${tx.array(expiries.map((e) => e.m.customerId))}::uuid[], ${tx.array(expiries.map((e) => e.m.brandId))}::text[],
                    ${tx.array(expiries.map((e) => e.points))}::bigint[], ${tx.array(expiries.map((e) => e.today))}::date[],
                    ${tx.array(expiries.map((e) => e.reason))}::text[]) as u(c, b, p, d, r)
        on conflict (brand_id, entry_key) do nothing
        returning customer_id::text as c, brand_id as b, -points as points`;
      page.expired = written.reduce((s, w) => s + Number(w.points), 0);
      for (const w of written) balanceAfter.set(key(w.c, w.b), balanceAfter.get(key(w.c, w.b))! - Number(w.points));
    }
    // The birthday bonus, once a year (`bonus:birthday:<customer>:<year>`), on the day in the member's zone.
    if (birthdays.length > 0) {
      const written = await tx<{ c: string; b: string; points: string }[]>`
        insert into loyalty_ledger (customer_id, brand_id, kind, points, entry_key, local_date, expires_at, reason, at)
        select c, b, 'bonus', p, 'bonus:birthday:' || c::text || ':' || extract(year from d)::int::text, d, e, 'birthday', ${now.toISOString()}
        from unnest(${tx.array(birthdays.map((x) => x.m.customerId))}::uuid[], ${tx.array(birthdays.map((x) => x.m.brandId))}::text[],
                    ${tx.array(birthdays.map((x) => x.points))}::bigint[], ${tx.array(birthdays.map((x) => x.today))}::date[],
                    ${tx.array(birthdays.map((x) => x.expiresAt?.toISOString() ?? null))}::timestamptz[]) as u(c, b, p, d, e)
        on conflict (brand_id, entry_key) do nothing
        returning customer_id::text as c, brand_id as b, points::text as points`;
      page.birthdayBonuses = written.length;
      for (const w of written) balanceAfter.set(key(w.c, w.b), balanceAfter.get(key(w.c, w.b))! + Number(w.points));
    }
    if (updates.length > 0)
      await tx`
        update loyalty_members m set tier = u.tier, tier_rank = u.rank, review_on = u.review_on, grace_until = u.grace_until,
          tier_since = case when u.moved then u.today else m.tier_since end
        from unnest(${tx.array(updates.map((u) => u.m.customerId))}::uuid[], ${tx.array(updates.map((u) => u.m.brandId))}::text[],
                    ${tx.array(updates.map((u) => u.state.tier))}::text[],
                    ${tx.array(updates.map((u) => tierRank(rankOf.get(key(u.m.customerId, u.m.brandId))!, u.state.tier)))}::smallint[],
                    ${tx.array(updates.map((u) => u.state.reviewOn))}::date[], ${tx.array(updates.map((u) => u.state.graceUntil))}::date[],
                    ${tx.array(updates.map((u) => u.moved))}::boolean[],
                    ${tx.array(updates.map((u) => localDate(now, u.m.timeZone)))}::date[])
          as u(customer_id, brand_id, tier, rank, review_on, grace_until, moved, today)
        where m.customer_id = u.customer_id and m.brand_id = u.brand_id`;
    if (history.length > 0)
      await tx`
        insert into loyalty_tier_history (customer_id, brand_id, from_tier, to_tier, reason, at)
        select c, b, f, t, r, ${now.toISOString()}
        from unnest(${tx.array(history.map((h) => h.m.customerId))}::uuid[], ${tx.array(history.map((h) => h.m.brandId))}::text[],
                    ${tx.array(history.map((h) => h.from))}::text[], ${tx.array(history.map((h) => h.to))}::text[],
                    ${tx.array(history.map((h) => h.reason))}::text[]) as u(c, b, f, t, r)`;
    await recordTierChanged(tx, regionKey, page.tierChanges, now);
    await upsertTraitValues(
      tx,
      members.flatMap(({ m }) => {
        const ids = loyaltyTraitIds(m.brandId);
        const k = key(m.customerId, m.brandId);
        return [
          { customerId: m.customerId, traitId: ids.tier, value: JSON.stringify(tierAfter.get(k)) },
          { customerId: m.customerId, traitId: ids.points, value: JSON.stringify(balanceAfter.get(k)) },
        ];
      }),
    );
    return page;
  });
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
           terms_version, birth_month_day, enrolled_via, enrolled_at, last_activity_at
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
