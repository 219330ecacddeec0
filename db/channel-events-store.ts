import type { Sql } from 'postgres';

/**
 * What a provider's callback needs from the send gate's tables (web/channels/routes.ts): the send a
 * provider message ID belongs to, the people who hold an identifier (an SMS reply's number), and
 * the per-channel suppressions that bounces and complaints become. IDs only.
 */

export interface SentMessage {
  sendKey: string;
  customerId: string;
  brandId: string;
  channel: string;
  journeyRunId: string | null;
}

/** The send whose provider message ID is one of `ids` (a Twilio SID, an email Message-ID with or without <>). */
export async function findSendByProviderMessageId(sql: Sql, ids: string[]): Promise<SentMessage | undefined> {
  if (ids.length === 0) return undefined;
  const [row] = await sql<
    { send_key: string; customer_id: string; brand_id: string; channel: string; journey_run_id: string | null }[]
  >`select send_key, customer_id, brand_id, channel, journey_run_id from send_keys
    where provider_message_id = any(${sql.array(ids)}::text[]) limit 1`;
  if (!row) return undefined;
  return {
    sendKey: row.send_key,
    customerId: row.customer_id,
    brandId: row.brand_id,
    channel: row.channel,
    journeyRunId: row.journey_run_id,
  };
}

/** The profiles holding an identifier, found by its blind index. */
export async function customersWithIdentifier(sql: Sql, type: string, blindIndex: Buffer): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select distinct customer_id from identities where type = ${type} and blind_index = ${blindIndex}`;
  return rows.map((r) => r.customer_id);
}

/** This channel no longer reaches this person (a hard bounce, a complaint); the first reason is kept. */
export async function suppressChannel(
  sql: Sql,
  customerId: string,
  channel: string,
  reason: 'bounce' | 'complaint',
  providerReference: string,
): Promise<void> {
  await sql`
    insert into channel_suppressions (customer_id, channel, reason, provider_reference)
    values (${customerId}, ${channel}, ${reason}, ${providerReference.slice(0, 200)})
    on conflict (customer_id, channel) do nothing`;
}

export async function channelSuppression(
  sql: Sql,
  customerId: string,
  channel: string,
): Promise<{ reason: string; providerReference: string } | undefined> {
  const [row] = await sql<{ reason: string; provider_reference: string }[]>`
    select reason, provider_reference from channel_suppressions where customer_id = ${customerId} and channel = ${channel}`;
  return row ? { reason: row.reason, providerReference: row.provider_reference } : undefined;
}
