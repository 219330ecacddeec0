import type { Sql, TransactionSql } from 'postgres';
import { isTimeZone, localParts } from '../domain/local-time';
import { MARKET_ZONES, nextAllowedInstant } from '../domain/quiet-hours';
import {
  type BlockedReason,
  FREQUENCY_CAPS,
  type FrequencyCap,
  MARKETING_CONSENT,
  REQUEST_STATUSES_STOPPING_MARKETING,
  REQUEST_TYPES_STOPPING_MARKETING,
  type SendRequest,
} from '../domain/send-gate';
import { effectiveConsentSql } from './consent-store';

/**
 * The send gate (issue 12): one transaction, just before the provider call, that decides whether a
 * message may go now and, if so, reserves its send key. In order: the key (a retry of a sent message
 * answers what happened, never sends again); consent for the channel's purpose in the person's law
 * and brand scope, read with the person's consent row locked `for share`, so a withdrawal committing
 * at the same moment is either seen or waits for the send's reservation; suppression and open privacy
 * requests; quiet hours (deferred to the next allowed instant); frequency caps, counted with the
 * person's counter row locked `for update`, so two concurrent sends are counted one after the other.
 */

/** How long an attempt holds a pending key; a worker that died mid-call lets the next attempt in after it. */
export const SEND_CLAIM_SECONDS = 60;

export type Reservation =
  | { kind: 'reserved'; resumed: boolean }
  | { kind: 'already-sent'; providerMessageId: string }
  | { kind: 'in-flight' }
  | { kind: 'deferred'; until: Date }
  | { kind: 'blocked'; reason: BlockedReason };

interface KeyRow {
  status: 'pending' | 'sent' | 'failed';
  provider_message_id: string | null;
  claimable: boolean;
}

/** The person's zone at send time: their latest event's zone, else their market's, else UTC. */
export async function zoneOf(tx: TransactionSql | Sql, customerId: string, country: string): Promise<string> {
  const [latest] = await tx<{ timezone: string }[]>`
    select timezone from events where customer_id = ${customerId} and timezone is not null
    order by timestamp desc limit 1`;
  if (latest && isTimeZone(latest.timezone)) return latest.timezone;
  return MARKET_ZONES[country] ?? 'UTC';
}

async function stopReason(
  tx: TransactionSql,
  request: SendRequest,
  consentBrand: string | null,
): Promise<{ reason: BlockedReason } | { country: string }> {
  const [subject] = await tx<{ country: string }[]>`
    select country from consent_subjects where customer_id = ${request.customerId} for share`;
  if (!subject) return { reason: 'no-consent-subject' };
  const purpose = MARKETING_CONSENT[request.channel];
  const [consent] = await tx<{ state: string }[]>`
    select c.state from ${effectiveConsentSql(tx as unknown as Sql, { purpose, consentBrand })} c where c.customer_id = ${request.customerId}`;
  if (consent?.state !== 'granted') return { reason: 'consent-not-granted' };
  const [suppressed] = await tx`select 1 from suppressions where customer_id = ${request.customerId}`;
  if (suppressed) return { reason: 'suppressed' };
  const [open] = await tx`
    select 1 from privacy_requests where customer_id = ${request.customerId}
      and type = any(${tx.array([...REQUEST_TYPES_STOPPING_MARKETING])}::text[])
      and status = any(${tx.array([...REQUEST_STATUSES_STOPPING_MARKETING])}::text[])
    limit 1`;
  if (open) return { reason: 'open-privacy-request' };
  return { country: subject.country };
}

async function overCap(
  tx: TransactionSql,
  request: SendRequest,
  today: string,
  cap: FrequencyCap,
): Promise<BlockedReason | undefined> {
  // The lock: concurrent sends to this person on this channel wait here until this transaction ends.
  await tx`
    insert into send_counters (customer_id, channel) values (${request.customerId}, ${request.channel})
    on conflict (customer_id, channel) do update set last_reserved_at = now()`;
  const [counts] = await tx<{ today: number; recent: number }[]>`
    select count(*) filter (where local_date = ${today}::date)::int as today, count(*)::int as recent
    from send_keys
    where customer_id = ${request.customerId} and channel = ${request.channel} and purpose = ${request.purpose}
      and status in ('pending', 'sent') and local_date > ${today}::date - ${cap.perWindow.days}::int`;
  if (counts!.today >= cap.perLocalDay) return 'frequency-cap-day';
  if (counts!.recent >= cap.perWindow.max) return 'frequency-cap-window';
  return undefined;
}

/**
 * Decides and, when the message may go, stores its key as `pending` (claimed by this attempt) in
 * the same transaction. `consentBrand` is the brand's consent scope (db/brands-store.ts consentBrandOf).
 */
export async function reserveSend(
  sql: Sql,
  request: SendRequest,
  consentBrand: string | null,
  now: Date = new Date(),
  caps = FREQUENCY_CAPS,
): Promise<Reservation> {
  return sql.begin(async (tx): Promise<Reservation> => {
    const [key] = await tx<KeyRow[]>`
      select status, provider_message_id, (claimed_until is null or claimed_until < now()) as claimable
      from send_keys where send_key = ${request.sendKey} for update`;
    if (key?.status === 'sent') return { kind: 'already-sent', providerMessageId: key.provider_message_id ?? '' };
    if (key?.status === 'failed') return { kind: 'blocked', reason: 'failed-before' };
    if (key && !key.claimable) return { kind: 'in-flight' };

    const stop = await stopReason(tx, request, consentBrand);
    if ('reason' in stop) {
      // A reserved message whose consent went away before it reached the provider is not sent later either.
      if (key)
        await tx`update send_keys set status = 'failed', last_error = ${stop.reason}, claimed_until = null, finished_at = now()
                 where send_key = ${request.sendKey}`;
      return { kind: 'blocked', reason: stop.reason };
    }
    if (key) {
      // An attempt that reserved the key and died: the message was counted then; this attempt takes it over.
      await tx`update send_keys set claimed_until = now() + make_interval(secs => ${SEND_CLAIM_SECONDS})
               where send_key = ${request.sendKey}`;
      return { kind: 'reserved', resumed: true };
    }

    const zone = await zoneOf(tx, request.customerId, stop.country);
    const allowed = nextAllowedInstant(now, zone, stop.country, request.channel);
    if (allowed.getTime() > now.getTime()) return { kind: 'deferred', until: allowed };

    const today = localParts(now, zone).date;
    const capped = await overCap(tx, request, today, caps[request.purpose][request.channel]);
    if (capped) return { kind: 'blocked', reason: capped };

    const inserted = await tx`
      insert into send_keys (send_key, customer_id, brand_id, channel, purpose, journey_run_id, status, local_date, claimed_until)
      values (${request.sendKey}, ${request.customerId}, ${request.brandId}, ${request.channel}, ${request.purpose},
              ${request.journeyRunId ?? null}, 'pending', ${today}::date, now() + make_interval(secs => ${SEND_CLAIM_SECONDS}))
      on conflict (send_key) do nothing returning 1`;
    // Another attempt with the same key inserted it a moment ago.
    if (inserted.length === 0) return { kind: 'in-flight' };
    return { kind: 'reserved', resumed: false };
  });
}

/** The provider accepted the message: the key is done for good. */
export async function markSent(sql: Sql, sendKey: string, providerMessageId: string): Promise<void> {
  await sql`update send_keys set status = 'sent', provider_message_id = ${providerMessageId}, claimed_until = null,
            last_error = null, finished_at = now() where send_key = ${sendKey}`;
}

/** The provider refused for good (a bad number, a 5xx reply): the key is done, and no longer counts against caps. */
export async function markFailed(sql: Sql, sendKey: string, error: string): Promise<void> {
  await sql`update send_keys set status = 'failed', last_error = ${error.slice(0, 500)}, claimed_until = null,
            finished_at = now() where send_key = ${sendKey}`;
}

/** A transient failure: the key stays pending and the next attempt may take it at once. */
export async function releaseSendClaim(sql: Sql, sendKey: string, error: string): Promise<void> {
  await sql`update send_keys set claimed_until = null, last_error = ${error.slice(0, 500)} where send_key = ${sendKey} and status = 'pending'`;
}

export interface SendKeyView {
  sendKey: string;
  customerId: string;
  channel: string;
  status: string;
  localDate: string;
  providerMessageId: string | null;
  lastError: string | null;
}

export async function readSendKey(sql: Sql, sendKey: string): Promise<SendKeyView | undefined> {
  const [row] = await sql<
    {
      send_key: string;
      customer_id: string;
      channel: string;
      status: string;
      local_date: string;
      provider_message_id: string | null;
      last_error: string | null;
    }[]
  >`select send_key, customer_id, channel, status, local_date::text, provider_message_id, last_error
    from send_keys where send_key = ${sendKey}`;
  if (!row) return undefined;
  return {
    sendKey: row.send_key,
    customerId: row.customer_id,
    channel: row.channel,
    status: row.status,
    localDate: row.local_date,
    providerMessageId: row.provider_message_id,
    lastError: row.last_error,
  };
}
