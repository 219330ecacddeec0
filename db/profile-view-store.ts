import type { Sql } from 'postgres';
import { open, openJson, unwrapDataKey, type RegionKey } from './crypto-shredding';

/**
 * A person as one region holds them: identities, traits, recent events and merge history,
 * decrypted with the profile's data keys. Regions the caller may not read are shown without
 * personal data (counts only).
 */

export interface RegionalProfile {
  region: string;
  customerId: string;
  /** shown; withheld (the caller may not read this region); shredded (the data key is destroyed). */
  personalData: 'shown' | 'withheld' | 'shredded';
  createdAt?: string;
  lastSeenAt?: string;
  mergedInto?: string | null;
  /** `provenance`: who vouches the identifier is this person's (browser claim, server, connector, verified). */
  identities?: { type: string; value: string; sourceId: string; provenance: string; firstSeenAt: string }[];
  traits?: Record<string, { value: unknown; observedAt: string; sourceId: string }>;
  recentEvents?: {
    id: string;
    type: string;
    event: string | null;
    timestamp: string;
    receivedAt: string;
    timezone: string | null;
    locale: string | null;
    payload: unknown;
  }[];
  mergeHistory?: { from: string; into: string; linkedBy: string; mergedAt: string; eventsMoved: number | null }[];
  counts: { identities: number; events: number };
}

/** Timestamps from raw queries arrive as strings (drizzle sets the pool's parsers): normalise them. */
function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

export async function readRegionalProfile(
  sql: Sql,
  region: string,
  regionKey: RegionKey,
  customerId: string,
  show: boolean,
  recentEvents = 20,
): Promise<RegionalProfile | undefined> {
  const [profile] = await sql<
    { created_at: Date; last_seen_at: Date; merged_into: string | null; shredded: boolean }[]
  >`
    select created_at, last_seen_at, merged_into, data_key_wrapped is null as shredded from profiles where customer_id = ${customerId}`;
  if (!profile) return undefined;
  const [counts] = await sql<{ identities: number; events: number }[]>`
    select (select count(*)::int from identities where customer_id = ${customerId}) as identities,
           (select count(*)::int from events where customer_id = ${customerId}) as events`;
  if (!show) return { region, customerId, personalData: 'withheld', counts: counts! };
  if (profile.shredded) return { region, customerId, personalData: 'shredded', counts: counts! };

  // Values may be sealed with the key of a profile merged into this one.
  const keyRows = await sql<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
    select customer_id, data_key_wrapped from profiles where customer_id = ${customerId} or merged_into = ${customerId}`;
  const keys = new Map(
    keyRows
      .filter((r) => r.data_key_wrapped)
      .map((r) => [r.customer_id, unwrapDataKey(regionKey, r.data_key_wrapped!, r.customer_id)]),
  );
  const keyOf = (id: string) => {
    const key = keys.get(id);
    if (!key) throw new Error(`data key of profile ${id} is gone (erased)`);
    return key;
  };

  const identities = await sql<
    {
      type: string;
      value_sealed: Buffer;
      sealed_with: string;
      source_id: string;
      provenance: string;
      first_seen_at: Date;
    }[]
  >`
    select type, value_sealed, sealed_with, source_id, provenance, first_seen_at from identities where customer_id = ${customerId} order by type, first_seen_at`;
  const traits = await sql<
    { name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date; source_id: string }[]
  >`
    select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = ${customerId} order by name`;
  const events = await sql<
    {
      id: string;
      type: string;
      event: string | null;
      timestamp: Date;
      received_at: Date;
      timezone: string | null;
      locale: string | null;
      payload_sealed: Buffer;
      sealed_with: string;
    }[]
  >`
    select id, type, event, timestamp, received_at, timezone, locale, payload_sealed, sealed_with
    from events where customer_id = ${customerId} order by timestamp desc limit ${recentEvents}`;
  const merges = await sql<
    {
      from_customer_id: string;
      into_customer_id: string;
      linked_by: string;
      merged_at: Date;
      events_moved: number | null;
    }[]
  >`
    select from_customer_id, into_customer_id, linked_by, merged_at, events_moved from merge_history
    where into_customer_id = ${customerId} or from_customer_id = ${customerId} order by merged_at`;

  return {
    region,
    customerId,
    personalData: 'shown',
    createdAt: iso(profile.created_at),
    lastSeenAt: iso(profile.last_seen_at),
    mergedInto: profile.merged_into,
    identities: identities.map((i) => ({
      type: i.type,
      value: open(keyOf(i.sealed_with), i.value_sealed, `identity:${i.sealed_with}:${i.type}`).toString('utf8'),
      sourceId: i.source_id,
      provenance: i.provenance,
      firstSeenAt: iso(i.first_seen_at),
    })),
    traits: Object.fromEntries(
      traits.map((t) => [
        t.name,
        {
          value: openJson(keyOf(t.sealed_with), t.value_sealed, `trait:${t.sealed_with}:${t.name}`),
          observedAt: iso(t.observed_at),
          sourceId: t.source_id,
        },
      ]),
    ),
    recentEvents: events.map((e) => ({
      id: e.id,
      type: e.type,
      event: e.event,
      timestamp: iso(e.timestamp),
      receivedAt: iso(e.received_at),
      timezone: e.timezone,
      locale: e.locale,
      payload: openJson(keyOf(e.sealed_with), e.payload_sealed, `event:${e.sealed_with}:${e.id}`),
    })),
    mergeHistory: merges.map((m) => ({
      from: m.from_customer_id,
      into: m.into_customer_id,
      linkedBy: m.linked_by,
      mergedAt: iso(m.merged_at),
      eventsMoved: m.events_moved,
    })),
    counts: counts!,
  };
}
