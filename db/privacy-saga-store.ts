import type { Sql } from 'postgres';
import { FINISHED_REQUEST_STATUSES } from '../domain/privacy-statuses';
import { PERSON_IDENTIFIER_TYPES } from '../domain/identity-provenance';

/**
 * The privacy saga's bookkeeping in a region's database: the request's status, deadline, ending
 * and notices (in the requester's region), and one row per (region, system, operation) saying
 * where that system stands (in every region holding the person). Rows carry statuses, attempts,
 * errors and vendors' evidence, never the person's values.
 */

export interface RequestToResolve {
  type: string;
  verified_at: Date | string | null;
  email_blind_index: Buffer;
  status: string;
  country: string;
  us_state: string | null;
}

export async function requestToResolve(sql: Sql, requestId: string): Promise<RequestToResolve | undefined> {
  const [request] = await sql<RequestToResolve[]>`
    select type, verified_at, email_blind_index, status, country, us_state from privacy_requests where id = ${requestId}`;
  return request;
}

/** An earlier verified request of the same kind for the same email that is still open, if any. */
export async function earlierOpenRequest(
  sql: Sql,
  requestId: string,
  request: Pick<RequestToResolve, 'type' | 'email_blind_index'>,
): Promise<string | undefined> {
  const [earlier] = await sql<{ id: string }[]>`
    select id from privacy_requests
    where email_blind_index = ${request.email_blind_index} and type = ${request.type} and id <> ${requestId}
      and verified_at is not null and status <> all(${sql.array([...FINISHED_REQUEST_STATUSES])}::text[])
      and verified_at <= (select coalesce(verified_at, now()) from privacy_requests where id = ${requestId})
    order by verified_at limit 1`;
  return earlier?.id;
}

export async function markDuplicate(sql: Sql, requestId: string, duplicateOf: string): Promise<void> {
  await sql`update privacy_requests set status = 'duplicate', duplicate_of = ${duplicateOf}, finished_at = now() where id = ${requestId}`;
}

/**
 * The people (surviving profiles, with the regions holding them) a verified email leads to, from
 * the global index. A profile counts when a server, connector or the person vouched that the email
 * is theirs, or when only a browser claimed it and nothing trusted names anyone on that profile
 * (then everything on it came from devices that claimed this email). A browser's claim never
 * pulls in a profile that trusted identifiers tie to someone else (issue 8, item 3: identity
 * poisoning through public write keys).
 */
export async function peopleWithEmail(
  globalSql: Sql,
  emailBlindIndex: Buffer,
): Promise<{ customer_id: string; regions: string[] }[]> {
  return globalSql<{ customer_id: string; regions: string[] }[]>`
    with found as (
      select coalesce(c.merged_into, i.customer_id) as customer_id, i.provenance
      from identity_index i join customers c on c.customer_id = i.customer_id
      where i.type = 'email' and i.blind_index = ${emailBlindIndex}
    )
    select distinct f.customer_id, c2.regions
    from found f join customers c2 on c2.customer_id = f.customer_id
    where f.provenance <> 'browser'
       or not exists (
         select 1 from identity_index o
         where o.customer_id in (select f.customer_id union all select m.customer_id from customers m where m.merged_into = f.customer_id)
           and o.type = any(${globalSql.array([...PERSON_IDENTIFIER_TYPES])}::text[]) and o.provenance <> 'browser'
           and not (o.type = 'email' and o.blind_index = ${emailBlindIndex}))`;
}

export async function setRequestCustomer(sql: Sql, requestId: string, customerId: string | null): Promise<void> {
  await sql`update privacy_requests set customer_id = ${customerId} where id = ${requestId}`;
}

export async function setRequestStatus(
  sql: Sql,
  requestId: string,
  status: string,
  coolingOffUntil?: string,
): Promise<void> {
  await sql`
    update privacy_requests set status = ${status}, cooling_off_until = coalesce(${coolingOffUntil ?? null}::timestamptz, cooling_off_until)
    where id = ${requestId}`;
}

/** What the deadline is computed from: the requester's law and the day the request was received (UTC). */
export async function deadlineBasis(
  sql: Sql,
  requestId: string,
): Promise<{ country: string; us_state: string | null; received: string } | undefined> {
  const [row] = await sql<{ country: string; us_state: string | null; received: string }[]>`
    select country, us_state, to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') as received from privacy_requests where id = ${requestId}`;
  return row;
}

export async function recordExtension(sql: Sql, requestId: string, extendedDue: string, reason: string): Promise<void> {
  await sql`update privacy_requests set extended_due_date = ${extendedDue}, extension_reason = ${reason} where id = ${requestId}`;
}

export async function recordDeadlineState(sql: Sql, requestId: string, state: 'due-soon' | 'overdue'): Promise<void> {
  await sql`update privacy_requests set deadline_state = ${state} where id = ${requestId} and finished_at is null`;
}

/** The ending: status, certificate (no personal values), time. */
export async function recordRequestOutcome(
  sql: Sql,
  requestId: string,
  status: string,
  certificate?: unknown,
): Promise<void> {
  await sql`
    update privacy_requests set status = ${status}, finished_at = coalesce(finished_at, now()),
      certificate = coalesce(${certificate === undefined ? null : JSON.stringify(certificate)}::text::jsonb, certificate)
    where id = ${requestId}`;
}

/** The notices already sent to the requester (completed, cancelled, duplicate). */
export async function noticesSent(sql: Sql, requestId: string): Promise<string[]> {
  const [row] = await sql<{ notified: string[] }[]>`select notified from privacy_requests where id = ${requestId}`;
  return row?.notified ?? [];
}

export async function recordNoticeSent(sql: Sql, requestId: string, kind: string): Promise<void> {
  await sql`update privacy_requests set notified = array_append(notified, ${kind}) where id = ${requestId}`;
}

/** The requester's email and the request's free text destroyed once the request is answered. */
export async function forgetRequesterData(sql: Sql, requestId: string): Promise<void> {
  await sql`update privacy_requests set email_sealed = null, details_sealed = null where id = ${requestId}`;
}

// ---- per system -------------------------------------------------------------------------------

export interface SystemOperation {
  requestId: string;
  region: string;
  connectorId: string;
  operation: string;
}

export async function setPrivacySystemStatus(
  sql: Sql,
  key: SystemOperation,
  status: string,
  extra: { attempts?: number; lastError?: string | null; evidence?: Record<string, unknown> } = {},
): Promise<void> {
  await sql`
    update privacy_request_systems set status = ${status}, updated_at = now(),
      attempts = greatest(attempts, coalesce(${extra.attempts ?? null}::int, attempts)),
      last_error = ${extra.lastError === undefined ? sql`last_error` : extra.lastError},
      evidence = coalesce(${extra.evidence ? JSON.stringify(extra.evidence) : null}::text::jsonb, evidence)
    where request_id = ${key.requestId} and region = ${key.region} and connector_id = ${key.connectorId} and operation = ${key.operation}`;
}

/** A task only a person can do (a correction), shown to operators until they complete it. */
export async function openOperatorTask(sql: Sql, requestId: string, region: string, operation: string): Promise<void> {
  await sql`
    insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
    values (${requestId}, ${region}, 'operator', 'operator', ${operation}, 'waiting-on-operator')
    on conflict do nothing`;
}

/** The rows of the systems an operation goes to, with their first status (kept if they exist). */
export async function createPrivacySystemRows(
  sql: Sql,
  request: { requestId: string; region: string; operation: string },
  systems: { connectorId: string; system: string; status: string }[],
): Promise<void> {
  await sql`
    insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
    select ${request.requestId}, ${request.region}, c, s, ${request.operation}, st from unnest(
      ${sql.array(systems.map((t) => t.connectorId))}::text[], ${sql.array(systems.map((t) => t.system))}::text[],
      ${sql.array(systems.map((t) => t.status))}::text[]) as u(c, s, st)
    on conflict do nothing`;
}

/** The row of an undone suppression, beside the suppression's own. */
export async function openUnsuppressRow(
  sql: Sql,
  requestId: string,
  region: string,
  connectorId: string,
): Promise<void> {
  await sql`
    insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
    select ${requestId}, ${region}, ${connectorId}, system, 'unsuppress', 'in-progress'
    from privacy_request_systems where request_id = ${requestId} and connector_id = ${connectorId} and operation = 'suppress'
    on conflict do nothing`;
}

/** The request's rows in this region, with their evidence, for the erasure's ending to rewrite (evidenceAfterErasure). */
export async function privacyEvidence(
  sql: Sql,
  requestId: string,
  region: string,
): Promise<(SystemOperation & { evidence: Record<string, unknown> })[]> {
  const rows = await sql<{ connector_id: string; operation: string; evidence: Record<string, unknown> | string }[]>`
    select connector_id, operation, evidence from privacy_request_systems where request_id = ${requestId} and region = ${region} and evidence is not null`;
  return rows.map((r) => ({
    requestId,
    region,
    connectorId: r.connector_id,
    operation: r.operation,
    evidence: typeof r.evidence === 'string' ? JSON.parse(r.evidence) : r.evidence,
  }));
}

export async function replacePrivacyEvidence(
  sql: Sql,
  key: SystemOperation,
  evidence: Record<string, unknown>,
): Promise<void> {
  await sql`
    update privacy_request_systems set evidence = ${JSON.stringify(evidence)}::text::jsonb
    where request_id = ${key.requestId} and region = ${key.region} and connector_id = ${key.connectorId} and operation = ${key.operation}`;
}

/** An operation that ran out of retries: its row says failed with the last error. */
export async function markPrivacySystemFailed(sql: Sql, key: SystemOperation, error: string): Promise<void> {
  await sql`
    update privacy_request_systems set status = 'failed', last_error = ${error}, updated_at = now()
    where request_id = ${key.requestId} and region = ${key.region} and connector_id = ${key.connectorId} and operation = ${key.operation}
      and status not in ('done', 'not-found')`;
}
