import type { Sql } from 'postgres';
import type { AdPlatform } from '../domain/ad-audiences';
import type { AudienceReactor } from './audience-processor';
import { effectiveConsentSql } from './consent-store';
import { consumeMembershipEvents } from './segments-store';

/**
 * Ad audiences (issue 12): definitions in the global database; in the region, who each audience
 * holds (`ad_audience_members`) and who it must look at again (`ad_audience_candidates`).
 *
 * Candidates come from three places, each at least once and harmless twice (a candidate is only
 * re-evaluated): the segment membership outbox, consumed exactly once per audience through its own
 * membership consumer (`ad-audience:<id>`) — the candidates are written in the transaction that
 * advances the offset; consent changes, through the audience processor's reactor (cause `consent`);
 * and a full re-sync (every member and everyone uploaded). The sync then reads, per candidate, the
 * state now: a current member of the segment whose personalisedAds consent holds (in the segment
 * brand's consent scope) is wanted; anyone else uploaded is removed.
 */

export interface AdAudience {
  id: string;
  name: string;
  segmentId: string;
  connectorId: string;
  platform: AdPlatform;
  platformAudienceId: string;
  region: string;
  lastError: string | null;
  lastSyncedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface AdAudienceRow {
  id: string;
  name: string;
  segment_id: string;
  connector_id: string;
  platform: AdPlatform;
  platform_audience_id: string;
  region: string;
  last_error: string | null;
  last_synced_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const toAudience = (r: AdAudienceRow): AdAudience => ({
  id: r.id,
  name: r.name,
  segmentId: r.segment_id,
  connectorId: r.connector_id,
  platform: r.platform,
  platformAudienceId: r.platform_audience_id,
  region: r.region,
  lastError: r.last_error,
  lastSyncedAt: iso(r.last_synced_at),
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

/** The membership consumer of an audience: its own offset in the region's outbox. */
export const adAudienceConsumer = (audienceId: string) => `ad-audience:${audienceId}`;

// ---------------------------------------------------------------------------------------------
// Definitions (global database)
// ---------------------------------------------------------------------------------------------

export async function createAdAudience(
  globalSql: Sql,
  input: Omit<AdAudience, 'lastError' | 'lastSyncedAt' | 'createdAt' | 'updatedAt'>,
): Promise<AdAudience> {
  const [row] = await globalSql<AdAudienceRow[]>`
    insert into ad_audiences (id, name, segment_id, connector_id, platform, platform_audience_id, region)
    values (${input.id}, ${input.name}, ${input.segmentId}, ${input.connectorId}, ${input.platform},
      ${input.platformAudienceId}, ${input.region})
    returning *`;
  return toAudience(row!);
}

export async function getAdAudience(globalSql: Sql, id: string): Promise<AdAudience | undefined> {
  const [row] = await globalSql<AdAudienceRow[]>`select * from ad_audiences where id = ${id} and archived_at is null`;
  return row ? toAudience(row) : undefined;
}

/** Audiences, of some regions only (a region-scoped token), or all (`regions` null). */
export async function listAdAudiences(globalSql: Sql, regions: readonly string[] | null): Promise<AdAudience[]> {
  const rows =
    regions === null
      ? await globalSql<AdAudienceRow[]>`select * from ad_audiences where archived_at is null order by id`
      : await globalSql<AdAudienceRow[]>`
          select * from ad_audiences where archived_at is null and region = any(${[...regions]}::text[]) order by id`;
  return rows.map(toAudience);
}

export async function archiveAdAudience(globalSql: Sql, id: string): Promise<boolean> {
  const rows = await globalSql`update ad_audiences set archived_at = now(), updated_at = now()
    where id = ${id} and archived_at is null returning id`;
  return rows.length > 0;
}

/** After a pass: the time of the last good pass, or the error that stopped the sync (null clears it). */
export async function noteAdAudienceOutcome(globalSql: Sql, id: string, error: string | null): Promise<void> {
  if (error === null)
    await globalSql`update ad_audiences set last_error = null, last_synced_at = now() where id = ${id}`;
  else await globalSql`update ad_audiences set last_error = ${error.slice(0, 1000)} where id = ${id}`;
}

// ---------------------------------------------------------------------------------------------
// Candidates and members (the audience's region)
// ---------------------------------------------------------------------------------------------

/**
 * Consumes the membership outbox for one audience until it is read to the end: the moves of its
 * segment become candidates in the transaction that advances its offset. Returns the moves noted.
 */
export async function noteMembershipMoves(
  sql: Sql,
  audience: Pick<AdAudience, 'id' | 'segmentId'>,
  batch = 1000,
): Promise<number> {
  let noted = 0;
  for (;;) {
    let mine = 0;
    const read = await consumeMembershipEvents(
      sql,
      adAudienceConsumer(audience.id),
      async (events, tx) => {
        const ids = [...new Set(events.filter((e) => e.segmentId === audience.segmentId).map((e) => e.customerId))];
        mine = ids.length;
        if (ids.length > 0)
          await tx`
            insert into ad_audience_candidates (audience_id, customer_id)
            select ${audience.id}, unnest(${ids}::uuid[])
            on conflict (audience_id, customer_id) do update set noted_at = now()`;
      },
      batch,
    );
    noted += mine;
    if (read < batch) return noted;
  }
}

/** People to look at again for each of the audiences (consent changes). */
export async function noteCandidates(sql: Sql, audienceIds: readonly string[], customerIds: readonly string[]) {
  if (audienceIds.length === 0 || customerIds.length === 0) return;
  await sql`
    insert into ad_audience_candidates (audience_id, customer_id)
    select a, c from unnest(${[...audienceIds]}::text[]) as a, unnest(${[...customerIds]}::uuid[]) as c
    on conflict (audience_id, customer_id) do update set noted_at = now()`;
}

/** A full re-sync: every current member of the segment and everyone the audience holds. */
export async function noteEveryoneForResync(sql: Sql, audience: Pick<AdAudience, 'id' | 'segmentId'>): Promise<number> {
  const rows = await sql`
    insert into ad_audience_candidates (audience_id, customer_id)
    select ${audience.id}, customer_id from segment_membership where segment_id = ${audience.segmentId} and exited_at is null
    union
    select ${audience.id}, customer_id from ad_audience_members where audience_id = ${audience.id}
    on conflict (audience_id, customer_id) do update set noted_at = now()
    returning customer_id`;
  return rows.length;
}

export interface Candidate {
  customerId: string;
  /** As PostgreSQL wrote it (text keeps the microseconds a JS Date would drop). */
  notedAt: string;
}

export async function candidatePage(sql: Sql, audienceId: string, limit: number): Promise<Candidate[]> {
  const rows = await sql<{ customer_id: string; noted_at: string }[]>`
    select customer_id, noted_at::text as noted_at from ad_audience_candidates
    where audience_id = ${audienceId} order by customer_id limit ${limit}`;
  return rows.map((r) => ({ customerId: r.customer_id, notedAt: r.noted_at }));
}

export interface CandidateState {
  customerId: string;
  /** A current member of the segment whose personalisedAds consent holds: should be in the audience. */
  wanted: boolean;
  /** Uploaded by Meridian and not removed since. */
  synced: boolean;
}

/** What each candidate should be now: membership, consent in force (the segment brand's scope), upload state. */
export async function candidateStates(
  sql: Sql,
  audience: Pick<AdAudience, 'id' | 'segmentId'>,
  consentBrand: string | null,
  customerIds: readonly string[],
): Promise<CandidateState[]> {
  const rows = await sql<{ customer_id: string; wanted: boolean; synced: boolean }[]>`
    select c.customer_id,
      (exists (select 1 from segment_membership m
               where m.segment_id = ${audience.segmentId} and m.customer_id = c.customer_id and m.exited_at is null)
       and coalesce(e.state = 'granted', false)) as wanted,
      exists (select 1 from ad_audience_members a where a.audience_id = ${audience.id} and a.customer_id = c.customer_id) as synced
    from unnest(${[...customerIds]}::uuid[]) as c(customer_id)
    left join ${effectiveConsentSql(sql, { purpose: 'personalisedAds', consentBrand })} e on e.customer_id = c.customer_id`;
  return rows.map((r) => ({ customerId: r.customer_id, wanted: r.wanted, synced: r.synced }));
}

/**
 * What a page achieved on the platform, recorded in one transaction: who was added, who removed,
 * and the page's candidates done — unless noted again since they were read (their `noted_at` moved).
 */
export async function settleCandidates(
  sql: Sql,
  audienceId: string,
  outcome: { added: readonly string[]; removed: readonly string[]; page: readonly Candidate[] },
): Promise<void> {
  await sql.begin(async (tx) => {
    if (outcome.added.length > 0)
      await tx`
        insert into ad_audience_members (audience_id, customer_id)
        select ${audienceId}, unnest(${[...outcome.added]}::uuid[])
        on conflict (audience_id, customer_id) do nothing`;
    if (outcome.removed.length > 0)
      await tx`
        delete from ad_audience_members where audience_id = ${audienceId} and customer_id = any(${[...outcome.removed]}::uuid[])`;
    if (outcome.page.length > 0)
      await tx`
        delete from ad_audience_candidates c
        using unnest(${outcome.page.map((p) => p.customerId)}::uuid[], ${outcome.page.map((p) => p.notedAt)}::text[]) as d(customer_id, noted_at)
        where c.audience_id = ${audienceId} and c.customer_id = d.customer_id and c.noted_at = d.noted_at::timestamptz`;
  });
}

/** Customer IDs the audience holds (tests and counts). */
export async function adAudienceMemberIds(sql: Sql, audienceId: string): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select customer_id from ad_audience_members where audience_id = ${audienceId} order by customer_id`;
  return rows.map((r) => r.customer_id);
}

/** How long the consent reactor reuses the region's list of audiences. */
const AUDIENCES_TTL_MS = 2000;

/**
 * The audience processor's step for ad audiences: a person whose consent changed (cause `consent`)
 * becomes a candidate of every audience of the region, so a withdrawal of personalisedAds removes
 * them on the next pass even though their segment membership did not move.
 */
export function adAudienceConsentReactor(deps: { region: string; globalSql: Sql }): AudienceReactor {
  let cached: { at: number; ids: string[] } | undefined;
  return async (sql, customerIds, causes) => {
    const changed = customerIds.filter((id) => causes.get(id)?.has('consent'));
    if (changed.length === 0) return;
    if (!cached || Date.now() - cached.at > AUDIENCES_TTL_MS)
      cached = { at: Date.now(), ids: (await listAdAudiences(deps.globalSql, [deps.region])).map((a) => a.id) };
    await noteCandidates(sql, cached.ids, changed);
  };
}
