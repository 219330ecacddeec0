import type { Sql } from 'postgres';
import { localParts } from '../domain/local-time';
import { nextAllowedInstant, personZone } from '../domain/quiet-hours';
import {
  type BlockedReason,
  FREQUENCY_CAPS,
  type FrequencyCap,
  MARKETING_CONSENT,
  REQUEST_STATUSES_STOPPING_MARKETING,
  REQUEST_TYPES_STOPPING_MARKETING,
  type SendPurpose,
  type SendRequest,
} from '../domain/send-gate';
import type { Channel } from '../domain/quiet-hours';
import type { Purpose } from '../domain/consent';
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

/**
 * Decides and, when the message may go, stores its key as `pending` (claimed by this attempt) in
 * the same transaction. `consentBrand` is the brand's consent scope (db/brands-store.ts consentBrandOf).
 * One send is a batch of one: the same decisions, statements and locks as `reserveSendBatch`.
 */
export async function reserveSend(
  sql: Sql,
  request: SendRequest,
  consentBrand: string | null,
  now: Date = new Date(),
  caps: Caps = FREQUENCY_CAPS,
  /** The consent purpose, when the channel configures its own (a webhook); else MARKETING_CONSENT's. */
  consentPurpose?: Purpose,
): Promise<Reservation> {
  const [reservation] = await reserveSendBatch(sql, [request], consentBrand, now, caps, consentPurpose);
  return reservation!;
}

/** The gate's caps argument: per purpose and channel. */
type Caps = Readonly<Record<SendPurpose, Readonly<Partial<Record<Channel, FrequencyCap>>>>>;

interface PersonFacts {
  customer_id: string;
  consent: string | null;
  suppressed: boolean;
  bounced: boolean;
  open_request: boolean;
  zone: string | null;
}

/**
 * The gate for a batch of sends on one channel and purpose (a broadcast's batch): the same decisions
 * as `reserveSend`, in the same order and under the same locks, answered per request in input order,
 * but set-based: a handful of statements in one transaction for the whole batch instead of a
 * transaction per send. The keys of the sends that may go are claimed by one INSERT (the unique send
 * key makes a concurrent attempt's claim lose, answered `in-flight`). Locks are taken in customer
 * (or key) order, so two batches over the same people wait for each other instead of deadlocking.
 */
export async function reserveSendBatch(
  sql: Sql,
  requests: readonly SendRequest[],
  consentBrand: string | null,
  now: Date = new Date(),
  caps: Caps = FREQUENCY_CAPS,
  consentPurpose?: Purpose,
): Promise<Reservation[]> {
  if (requests.length === 0) return [];
  const { channel, purpose: sendPurpose } = requests[0]!;
  if (requests.some((r) => r.channel !== channel || r.purpose !== sendPurpose))
    throw new RangeError('a batch of sends is for one channel and purpose: split it');
  if (new Set(requests.map((r) => r.sendKey)).size !== requests.length)
    throw new RangeError('a batch of sends names each send key once');
  const purpose = consentPurpose ?? MARKETING_CONSENT[channel];
  if (!purpose)
    throw new RangeError(`channel ${channel} has no consent purpose: configure the channel's consentPurpose`);
  const cap = caps[sendPurpose][channel];

  return sql.begin(async (tx): Promise<Reservation[]> => {
    const keys = new Map(
      (
        await tx<(KeyRow & { send_key: string })[]>`
          select send_key, status, provider_message_id, (claimed_until is null or claimed_until < now()) as claimable
          from send_keys where send_key = any(${tx.array(requests.map((r) => r.sendKey))}::text[])
          order by send_key for update`
      ).map((k) => [k.send_key, k]),
    );
    const answers: (Reservation | undefined)[] = requests.map((r) => {
      const key = keys.get(r.sendKey);
      if (key?.status === 'sent') return { kind: 'already-sent', providerMessageId: key.provider_message_id ?? '' };
      if (key?.status === 'failed') return { kind: 'blocked', reason: 'failed-before' };
      if (key && !key.claimable) return { kind: 'in-flight' };
      return undefined;
    });
    const open = requests.filter((_, i) => !answers[i]);
    const people = [...new Set(open.map((r) => r.customerId))].sort();
    // As reserveSend: each person's consent row `for share`, so a withdrawal committing now is seen or waits.
    const subjects = new Map(
      (
        await tx<{ customer_id: string; country: string }[]>`
          select customer_id, country from consent_subjects where customer_id = any(${tx.array(people)}::uuid[])
          order by customer_id for share`
      ).map((s) => [s.customer_id, s.country]),
    );
    const facts = new Map(
      (
        await tx<PersonFacts[]>`
          select u.customer_id, c.state as consent,
            exists (select 1 from suppressions x where x.customer_id = u.customer_id) as suppressed,
            exists (select 1 from channel_suppressions b where b.customer_id = u.customer_id and b.channel = ${channel}) as bounced,
            exists (select 1 from privacy_requests p where p.customer_id = u.customer_id
                      and p.type = any(${tx.array([...REQUEST_TYPES_STOPPING_MARKETING])}::text[])
                      and p.status = any(${tx.array([...REQUEST_STATUSES_STOPPING_MARKETING])}::text[])) as open_request,
            (select e.timezone from events e where e.customer_id = u.customer_id and e.timezone is not null
              order by e.timestamp desc limit 1) as zone
          from unnest(${tx.array(people)}::uuid[]) as u(customer_id)
          left join ${effectiveConsentSql(tx as unknown as Sql, { purpose, consentBrand })} c on c.customer_id = u.customer_id`
      ).map((f) => [f.customer_id, f]),
    );

    const failKeys: { sendKey: string; reason: BlockedReason }[] = [];
    const resumeKeys: string[] = [];
    const candidates: { index: number; today: string }[] = [];
    const windows = new Map<string, Date>();
    requests.forEach((r, i) => {
      if (answers[i]) return;
      const country = subjects.get(r.customerId);
      const f = facts.get(r.customerId);
      const reason: BlockedReason | undefined =
        country === undefined
          ? 'no-consent-subject'
          : f?.consent !== 'granted'
            ? 'consent-not-granted'
            : f.suppressed || f.bounced
              ? 'suppressed'
              : f.open_request
                ? 'open-privacy-request'
                : undefined;
      const key = keys.get(r.sendKey);
      if (reason) {
        if (key) failKeys.push({ sendKey: r.sendKey, reason });
        answers[i] = { kind: 'blocked', reason };
        return;
      }
      if (key) {
        resumeKeys.push(r.sendKey);
        answers[i] = { kind: 'reserved', resumed: true };
        return;
      }
      const zone = personZone(f?.zone, country);
      // Quiet hours depend on the zone and country only: computed once per pair in a batch.
      const pair = `${zone}|${country}`;
      let allowed = windows.get(pair);
      if (!allowed) windows.set(pair, (allowed = nextAllowedInstant(now, zone, country!, channel)));
      if (allowed.getTime() > now.getTime()) {
        answers[i] = { kind: 'deferred', until: allowed };
        return;
      }
      candidates.push({ index: i, today: localParts(now, zone).date });
    });

    if (cap && candidates.length > 0) {
      const capped = [...new Set(candidates.map((c) => requests[c.index]!.customerId))].sort();
      // The lock, as reserveSend takes it: concurrent sends to these people on this channel wait here.
      await tx`
        insert into send_counters (customer_id, channel)
        select u.customer_id, ${channel} from unnest(${tx.array(capped)}::uuid[]) as u(customer_id) order by 1
        on conflict (customer_id, channel) do update set last_reserved_at = now()`;
      const earliest = candidates.map((c) => c.today).sort()[0]!;
      const counted = await tx<{ customer_id: string; local_date: string; n: number }[]>`
        select customer_id, local_date::text, count(*)::int as n from send_keys
        where customer_id = any(${tx.array(capped)}::uuid[]) and channel = ${channel} and purpose = ${sendPurpose}
          and status in ('pending', 'sent') and local_date > ${earliest}::date - ${cap.perWindow.days}::int
        group by customer_id, local_date`;
      const days = new Map<string, Map<string, number>>();
      for (const c of counted) {
        let person = days.get(c.customer_id);
        if (!person) days.set(c.customer_id, (person = new Map()));
        person.set(c.local_date, c.n);
      }
      for (const c of candidates) {
        const r = requests[c.index]!;
        const person = days.get(r.customerId) ?? new Map<string, number>();
        const first = addDays(c.today, 1 - cap.perWindow.days);
        let today = 0;
        let recent = 0;
        for (const [date, n] of person) {
          if (date === c.today) today += n;
          if (date >= first) recent += n;
        }
        if (today >= cap.perLocalDay) answers[c.index] = { kind: 'blocked', reason: 'frequency-cap-day' };
        else if (recent >= cap.perWindow.max) answers[c.index] = { kind: 'blocked', reason: 'frequency-cap-window' };
        else {
          // A second send to the same person in this batch counts this one.
          person.set(c.today, (person.get(c.today) ?? 0) + 1);
          days.set(r.customerId, person);
        }
      }
    }

    const claims = candidates.filter((c) => !answers[c.index]);
    if (claims.length > 0) {
      const claimed = new Set(
        (
          await tx<{ send_key: string }[]>`
            insert into send_keys (send_key, customer_id, brand_id, channel, purpose, journey_run_id, status, local_date, claimed_until)
            select u.send_key, u.customer_id, u.brand_id, ${channel}, ${sendPurpose}, u.journey_run_id, 'pending', u.local_date,
                   now() + make_interval(secs => ${SEND_CLAIM_SECONDS})
            from unnest(${tx.array(claims.map((c) => requests[c.index]!.sendKey))}::text[],
                        ${tx.array(claims.map((c) => requests[c.index]!.customerId))}::uuid[],
                        ${tx.array(claims.map((c) => requests[c.index]!.brandId))}::text[],
                        ${tx.array(claims.map((c) => requests[c.index]!.journeyRunId ?? null) as string[])}::text[],
                        ${tx.array(claims.map((c) => c.today))}::date[])
                 as u(send_key, customer_id, brand_id, journey_run_id, local_date)
            order by u.send_key
            on conflict (send_key) do nothing returning send_key`
        ).map((k) => k.send_key),
      );
      // Not inserted: another attempt with the same key inserted it a moment ago.
      for (const c of claims)
        answers[c.index] = claimed.has(requests[c.index]!.sendKey)
          ? { kind: 'reserved', resumed: false }
          : { kind: 'in-flight' };
    }
    if (failKeys.length > 0)
      // A reserved message whose consent went away before it reached the provider is not sent later either.
      await tx`
        update send_keys k set status = 'failed', last_error = u.reason, claimed_until = null, finished_at = now()
        from unnest(${tx.array(failKeys.map((f) => f.sendKey))}::text[], ${tx.array(failKeys.map((f) => f.reason))}::text[])
             as u(send_key, reason)
        where k.send_key = u.send_key`;
    if (resumeKeys.length > 0)
      // Attempts that reserved these keys and died: counted then; this attempt takes them over.
      await tx`update send_keys set claimed_until = now() + make_interval(secs => ${SEND_CLAIM_SECONDS})
               where send_key = any(${tx.array(resumeKeys)}::text[])`;
    return answers as Reservation[];
  });
}

/** YYYY-MM-DD plus `days` (negative: earlier), in the calendar alone. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** What became of each claimed key of a batch: recorded for the whole batch in one statement. */
export type SendResult =
  | { sendKey: string; outcome: 'sent'; providerMessageId: string }
  | { sendKey: string; outcome: 'failed'; error: string }
  /** A transient failure: the key stays pending, and the next attempt may take it at once. */
  | { sendKey: string; outcome: 'released'; error: string };

/** markSent, markFailed and releaseSendClaim for a batch, in one statement. */
export async function recordSendResults(sql: Sql, results: readonly SendResult[]): Promise<void> {
  if (results.length === 0) return;
  await sql`
    update send_keys k set
      status = case when u.outcome = 'released' then k.status else u.outcome end,
      provider_message_id = case when u.outcome = 'sent' then u.provider_message_id else k.provider_message_id end,
      claimed_until = null,
      last_error = u.error,
      finished_at = case when u.outcome = 'released' then k.finished_at else now() end
    from unnest(${sql.array(results.map((r) => r.sendKey))}::text[], ${sql.array(results.map((r) => r.outcome))}::text[],
                ${sql.array(results.map((r) => (r.outcome === 'sent' ? r.providerMessageId : null)) as string[])}::text[],
                ${sql.array(results.map((r) => (r.outcome === 'sent' ? null : r.error.slice(0, 500))) as string[])}::text[])
         as u(send_key, outcome, provider_message_id, error)
    where k.send_key = u.send_key and (u.outcome <> 'released' or k.status = 'pending')`;
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
