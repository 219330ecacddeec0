import { ApplicationFailure, Context } from '@temporalio/activity';
import { strToU8, zipSync } from 'fflate';
import { connectedSystem } from '../../connectors';
import { ConnectorError, ManualActionRequired } from '../../connectors/errors';
import type { PersonIdentifiers, PrivacyOperation, PrivacyOutcome } from '../../connectors/privacy';
import { listConnectors } from '../../db/connectors-store';
import { open, openJson, seal, sealJson, unwrapDataKey } from '../../db/crypto-shredding';
import { readConsent, recordConsent } from '../../db/consent-store';
import { loadPersonIdentifiers } from '../../db/person-store';
import { FINISHED_STATUSES, readPrivacyRequest, readPrivacySystemRows, requesterEmail } from '../../db/privacy-requests-store';
import { policyFor, responseDeadline } from '../../domain/privacy-policies';
import { ConnectedSystemDeps, openConnectedSystem } from '../connected-systems';

/**
 * The region side of a privacy request. In the requester's region: resolve the request to the
 * people it concerns (and spot a second open request), keep its status, deadline and certificate,
 * write to the requester. In each region holding the person: suppress, check legal holds, erase in
 * Meridian's database (rows deleted, data key destroyed) and in every connected system, and check
 * that nothing readable is left. Personal values stay in these activities (DESIGN.md, rule 2).
 */

export type PrivacyDeps = ConnectedSystemDeps & { mailer?: RequesterMailer };

/** How the saga writes to a requester; the web layer renders the localised text. */
export interface RequesterMailer {
  notify(input: { to: string; locale: string; kind: 'completed' | 'cancelled' | 'duplicate'; requestId: string; idempotencyKey: string }): Promise<void>;
}

export const MERIDIAN_SYSTEM = 'meridian';
export type TargetMode = 'api' | 'manual' | 'not-supported';

export interface PrivacyTarget {
  connectorId: string;
  system: string;
  label: string;
  mode: TargetMode;
  instructions?: string;
}

export type OperationResult =
  | { status: 'done' | 'not-found' }
  | { status: 'submitted'; jobId: string; checkAfterMs: number }
  /** An operator must act; what to do is on the system's row (it may name the vendor's record), not in the history. */
  | { status: 'manual' };

/** How long an access request's package may be downloaded. */
export const EXPORT_DAYS = 7;
export const exportContext = (requestId: string, customerId: string) => `privacy-export:${requestId}:${customerId}`;

const ERASURE_SET_CONTEXT = (requestId: string, customerId: string) => `privacy-erasure:${requestId}:${customerId}`;

export function createPrivacyActivities(deps: PrivacyDeps) {
  const { sql } = deps;

  async function setSystem(
    key: { requestId: string; connectorId: string; operation: string },
    status: string,
    extra: { attempts?: number; lastError?: string | null; evidence?: Record<string, unknown> } = {},
  ) {
    await sql`
      update privacy_request_systems set status = ${status}, updated_at = now(),
        attempts = greatest(attempts, coalesce(${extra.attempts ?? null}::int, attempts)),
        last_error = ${extra.lastError === undefined ? sql`last_error` : extra.lastError},
        evidence = coalesce(${extra.evidence ? JSON.stringify(extra.evidence) : null}::text::jsonb, evidence)
      where request_id = ${key.requestId} and region = ${deps.region} and connector_id = ${key.connectorId} and operation = ${key.operation}`;
  }

  async function erasureSet(requestId: string, customerId: string): Promise<PersonIdentifiers | undefined> {
    const [row] = await sql<{ identifiers_sealed: Buffer }[]>`
      select identifiers_sealed from privacy_erasure_sets where request_id = ${requestId} and customer_id = ${customerId}`;
    return row ? openJson<PersonIdentifiers>(deps.regionKey, row.identifiers_sealed, ERASURE_SET_CONTEXT(requestId, customerId)) : undefined;
  }

  const openSystem = async (connectorId: string, idempotencyKey: string) => (await openConnectedSystem(deps, connectorId, idempotencyKey)).session;

  async function settle(key: { requestId: string; connectorId: string; operation: string }, outcome: PrivacyOutcome): Promise<OperationResult> {
    const attempts = Context.current().info.attempt;
    if (outcome.status === 'submitted') {
      await setSystem(key, 'waiting-on-vendor', { attempts, lastError: null, evidence: outcome.evidence });
      return { status: 'submitted', jobId: outcome.jobId, checkAfterMs: outcome.checkAfterMs };
    }
    await setSystem(key, outcome.status, { attempts, lastError: null, evidence: outcome.evidence });
    return { status: outcome.status };
  }

  /**
   * A vendor failure: recorded on the system's row; a manual action becomes an operator task; others are
   * rethrown, for the worker's vendor-failure interceptor to retry or fail (activities/vendor-failures.ts).
   */
  async function failed(key: { requestId: string; connectorId: string; operation: string }, error: unknown): Promise<OperationResult> {
    const attempt = Context.current().info.attempt;
    if (error instanceof ManualActionRequired) {
      await setSystem(key, 'waiting-on-operator', { attempts: attempt, lastError: error.message });
      return { status: 'manual' };
    }
    if (error instanceof ConnectorError) {
      await setSystem(key, error.retryable ? 'retrying' : 'failed', { attempts: attempt, lastError: error.message });
      throw error;
    }
    await setSystem(key, 'retrying', { attempts: attempt, lastError: (error as Error).message?.split('\n')[0] ?? 'error' });
    throw error;
  }

  return {
    // -------------------------------------------------------------------------------------------
    // In the requester's region
    // -------------------------------------------------------------------------------------------

    /**
     * The people the request's email belongs to (through the global identity index, so every
     * region holding them is found) and whether an earlier verified request of the same kind
     * for the same email is still open.
     */
    async resolvePrivacyRequest(input: { requestId: string }): Promise<{ type: string; country: string; usState?: string; duplicateOf?: string; people: { customerId: string; regions: string[] }[] }> {
      const [request] = await sql<{ type: string; email_blind_index: Buffer; status: string; country: string; us_state: string | null }[]>`
        select type, email_blind_index, status, country, us_state from privacy_requests where id = ${input.requestId}`;
      if (!request) throw ApplicationFailure.nonRetryable(`privacy request ${input.requestId} does not exist in region ${deps.region}`, 'InvalidInput');
      const [earlier] = await sql<{ id: string }[]>`
        select id from privacy_requests
        where email_blind_index = ${request.email_blind_index} and type = ${request.type} and id <> ${input.requestId}
          and verified_at is not null and status <> all(${sql.array([...FINISHED_STATUSES])}::text[])
          and verified_at <= (select coalesce(verified_at, now()) from privacy_requests where id = ${input.requestId})
        order by verified_at limit 1`;
      if (earlier) {
        await sql`update privacy_requests set status = 'duplicate', duplicate_of = ${earlier.id}, finished_at = now() where id = ${input.requestId}`;
        return { type: request.type, country: request.country, duplicateOf: earlier.id, people: [] };
      }
      const people = await deps.globalSql<{ customer_id: string; regions: string[] }[]>`
        select distinct coalesce(c.merged_into, i.customer_id) as customer_id, c2.regions
        from identity_index i
        join customers c on c.customer_id = i.customer_id
        join customers c2 on c2.customer_id = coalesce(c.merged_into, i.customer_id)
        where i.type = 'email' and i.blind_index = ${request.email_blind_index}`;
      const [first] = people;
      await sql`update privacy_requests set customer_id = ${first?.customer_id ?? null} where id = ${input.requestId}`;
      return {
        type: request.type,
        country: request.country,
        ...(request.us_state ? { usState: request.us_state } : {}),
        people: people.map((p) => ({ customerId: p.customer_id, regions: [...p.regions] })),
      };
    },

    async setPrivacyRequestStatus(input: { requestId: string; status: string; coolingOffUntil?: string }): Promise<void> {
      await sql`
        update privacy_requests set status = ${input.status}, cooling_off_until = coalesce(${input.coolingOffUntil ?? null}::timestamptz, cooling_off_until)
        where id = ${input.requestId}`;
    },

    /** An extension the law allows, recorded with its reason; returns the new due date. */
    async extendPrivacyDeadline(input: { requestId: string; reason: string }): Promise<{ dueDate: string }> {
      const [row] = await sql<{ country: string; us_state: string | null; received: string }[]>`
        select country, us_state, to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') as received from privacy_requests where id = ${input.requestId}`;
      if (!row) throw ApplicationFailure.nonRetryable(`privacy request ${input.requestId} does not exist`, 'InvalidInput');
      let extended: string | undefined;
      try {
        extended = responseDeadline(policyFor(row.country, row.us_state ?? undefined), row.received, { extended: true }).extendedDue;
      } catch (error) {
        throw ApplicationFailure.nonRetryable((error as Error).message, 'ExtensionNotAllowed');
      }
      if (!extended) throw ApplicationFailure.nonRetryable('this law allows no extension', 'ExtensionNotAllowed');
      await sql`update privacy_requests set extended_due_date = ${extended}, extension_reason = ${input.reason} where id = ${input.requestId}`;
      return { dueDate: extended };
    },

    /** A reminder before the deadline, or the escalation when it passes without an answer. */
    async privacyDeadlineReached(input: { requestId: string; state: 'due-soon' | 'overdue' }): Promise<void> {
      await sql`update privacy_requests set deadline_state = ${input.state} where id = ${input.requestId} and finished_at is null`;
      if (input.state === 'overdue') console.warn(JSON.stringify({ msg: 'privacy request overdue', requestId: input.requestId, region: deps.region }));
    },

    /** Writes the ending: status, certificate (no personal values), time. */
    async finishPrivacyRequest(input: { requestId: string; status: string; certificate?: unknown }): Promise<void> {
      await sql`
        update privacy_requests set status = ${input.status}, finished_at = coalesce(finished_at, now()),
          certificate = coalesce(${input.certificate === undefined ? null : JSON.stringify(input.certificate)}::text::jsonb, certificate)
        where id = ${input.requestId}`;
    },

    /** This region's rows of the request (each region records its own systems). */
    async privacySystemRows(input: { requestId: string }) {
      return readPrivacySystemRows(sql, input.requestId);
    },

    /** The request's systems and statuses as they stand, for the certificate. */
    async privacyRequestView(input: { requestId: string }) {
      const view = await readPrivacyRequest(sql, input.requestId);
      if (!view) throw ApplicationFailure.nonRetryable(`privacy request ${input.requestId} does not exist`, 'InvalidInput');
      return view;
    },

    /** Writes to the requester once per (request, kind): the Message-ID is derived from both. */
    async notifyRequester(input: { requestId: string; kind: 'completed' | 'cancelled' | 'duplicate' }): Promise<{ sent: boolean }> {
      if (!deps.mailer) throw ApplicationFailure.nonRetryable('no mail server configured: set MERIDIAN_SMTP_URL', 'MailerMissing');
      const [row] = await sql<{ notified: string[] }[]>`select notified from privacy_requests where id = ${input.requestId}`;
      if (row?.notified.includes(input.kind)) return { sent: false };
      const requester = await requesterEmail(sql, deps.regionKey, input.requestId);
      if (!requester) return { sent: false };
      await deps.mailer.notify({ to: requester.email, locale: requester.locale, kind: input.kind, requestId: input.requestId, idempotencyKey: `${input.requestId}:${input.kind}` });
      await sql`update privacy_requests set notified = array_append(notified, ${input.kind}) where id = ${input.requestId}`;
      return { sent: true };
    },

    /** The request is answered: the requester's email and the request's free text are destroyed. */
    async forgetRequester(input: { requestId: string }): Promise<void> {
      await sql`update privacy_requests set email_sealed = null, details_sealed = null where id = ${input.requestId}`;
    },

    // -------------------------------------------------------------------------------------------
    // In each region holding the person
    // -------------------------------------------------------------------------------------------

    /** An opt-out request: sale/sharing and cross-context ads denied, as an explicit, audited choice. */
    async recordPrivacyOptOut(input: { requestId: string; customerId: string; country: string; usState?: string }): Promise<{ propagationId?: string }> {
      const at = new Date().toISOString();
      const proof = { kind: 'privacy-request', reference: input.requestId };
      const records = (['saleSharing', 'personalisedAds'] as const).map((purpose) => ({ purpose, state: 'denied' as const, source: 'preference-centre' as const, at, proof }));
      const stored = await recordConsent(sql, input.customerId, records, { country: input.country, ...(input.usState ? { usState: input.usState } : {}) });
      return stored.propagationId ? { propagationId: stored.propagationId } : {};
    },

    /** A task only a person can do (a correction): shown to operators until they complete it. */
    async openOperatorTask(input: { requestId: string; operation: 'correct' }): Promise<void> {
      await sql`
        insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
        values (${input.requestId}, ${deps.region}, 'operator', 'operator', ${input.operation}, 'waiting-on-operator')
        on conflict do nothing`;
    },

    async legalHoldsFor(input: { customerId: string }): Promise<{ scopes: string[]; reasons: string[] }> {
      const rows = await sql<{ scope: string; reason: string }[]>`
        select scope, reason from legal_holds where customer_id = ${input.customerId} and removed_at is null order by id`;
      return { scopes: [...new Set(rows.map((r) => r.scope))], reasons: rows.map((r) => `${r.scope}: ${r.reason}`) };
    },

    /** The connected systems of this region and how each takes the operation; their rows created (Meridian's own first). */
    async privacyTargets(input: { requestId: string; operation: PrivacyOperation; includeMeridian: boolean }): Promise<PrivacyTarget[]> {
      const targets: PrivacyTarget[] = input.includeMeridian ? [{ connectorId: MERIDIAN_SYSTEM, system: MERIDIAN_SYSTEM, label: 'Meridian', mode: 'api' }] : [];
      for (const connector of await listConnectors(deps.globalSql, deps.region)) {
        const system = connectedSystem(connector.system);
        if (!system) continue;
        const settings = system.settings.safeParse(connector.settings);
        const manualOps = settings.success ? ((settings.data as { operations?: string[] }).operations ?? undefined) : undefined;
        const mode: TargetMode = system.supports.includes(input.operation)
          ? 'api'
          : connector.system === 'manual' && (!manualOps || manualOps.includes(input.operation))
            ? 'manual'
            : 'not-supported';
        const instructions = connector.system === 'manual' && settings.success ? (settings.data as { instructions: string }).instructions : undefined;
        targets.push({ connectorId: connector.id, system: connector.system, label: system.label, mode, ...(instructions ? { instructions } : {}) });
      }
      const initial = (mode: TargetMode) => (mode === 'api' ? 'pending' : mode === 'manual' ? 'waiting-on-operator' : 'not-supported');
      await sql`
        insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
        select ${input.requestId}, ${deps.region}, c, s, ${input.operation}, st from unnest(
          ${sql.array(targets.map((t) => t.connectorId))}::text[], ${sql.array(targets.map((t) => t.system))}::text[],
          ${sql.array(targets.map((t) => initial(t.mode)))}::text[]) as u(c, s, st)
        on conflict do nothing`;
      return targets;
    },

    /** Stops marketing and ingestion for the person at once; reversible until erasure. */
    async suppressInRegion(input: { requestId: string; customerId: string }): Promise<void> {
      await sql`insert into suppressions (customer_id, request_id) values (${input.customerId}, ${input.requestId}) on conflict do nothing`;
    },

    async unsuppressInRegion(input: { requestId: string; customerId: string }): Promise<void> {
      await sql`delete from suppressions where customer_id = ${input.customerId} and request_id = ${input.requestId}`;
    },

    /** One operation (suppress, erase) in one connected system, keyed by (request, system). */
    async privacyOperation(input: { requestId: string; connectorId: string; customerId: string; operation: 'suppress' | 'erase' }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: input.connectorId, operation: input.operation };
      await setSystem(key, Context.current().info.attempt > 1 ? 'retrying' : 'in-progress', { attempts: Context.current().info.attempt });
      const person = input.operation === 'erase' ? await erasureSet(input.requestId, input.customerId) : await loadPersonIdentifiers(sql, deps.regionKey, input.customerId);
      if (!person) return settle(key, { status: 'not-found', evidence: { reason: 'no identifiers of the person in this region' } });
      const session = await openSystem(input.connectorId, `${input.requestId}:${input.connectorId}:${input.operation}`);
      const call = input.operation === 'erase' ? session.erase : session.suppress;
      if (!call) throw ApplicationFailure.nonRetryable(`connector ${input.connectorId} cannot ${input.operation} through its API`, 'InvalidInput');
      try {
        return await settle(key, await call.call(session, person));
      } catch (error) {
        return failed(key, error);
      }
    },

    /**
     * Undoes a suppression in one system after a cancelled deletion: the person's consent in force
     * is applied again (a vendor that suppressed them lifts it where they had opted in).
     */
    async restoreInSystem(input: { requestId: string; connectorId: string; customerId: string }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: input.connectorId, operation: 'unsuppress' };
      await sql`
        insert into privacy_request_systems (request_id, region, connector_id, system, operation, status)
        select ${input.requestId}, ${deps.region}, ${input.connectorId}, system, 'unsuppress', 'in-progress'
        from privacy_request_systems where request_id = ${input.requestId} and connector_id = ${input.connectorId} and operation = 'suppress'
        on conflict do nothing`;
      const { system, session } = await openConnectedSystem(deps, input.connectorId, `${input.requestId}:${input.connectorId}:unsuppress`);
      const person = await loadPersonIdentifiers(sql, deps.regionKey, input.customerId);
      const consent = await readConsent(sql, input.customerId);
      if (!person || !session.applyConsent) return settle(key, { status: 'not-found', evidence: { reason: person ? 'no consent API to restore through' : 'no identifiers of the person in this region' } });
      // Without a consent record, the law's defaults apply; with none known, the system keeps the suppression.
      if (!consent) return settle(key, { status: 'not-found', evidence: { reason: 'no consent recorded: the suppression stays' } });
      try {
        return await settle(key, await session.applyConsent(person, { purposes: system.purposes.map((purpose) => ({ purpose, state: consent.effective[purpose].state })) }));
      } catch (error) {
        return failed(key, error);
      }
    },

    async checkPrivacyJob(input: { requestId: string; connectorId: string; operation: 'suppress' | 'erase' | 'unsuppress'; jobId: string }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: input.connectorId, operation: input.operation };
      const session = await openSystem(input.connectorId, `${input.requestId}:${input.connectorId}:${input.operation}`);
      if (!session.checkJob) {
        await setSystem(key, 'submitted-unverifiable', { lastError: null });
        return { status: 'done' };
      }
      try {
        return await settle(key, await session.checkJob(input.jobId));
      } catch (error) {
        return failed(key, error);
      }
    },

    async completeManualPrivacyTask(input: { requestId: string; connectorId: string; operation: string; note?: string }): Promise<void> {
      await setSystem(input, 'done', { lastError: null, evidence: { completedBy: 'operator', ...(input.note ? { note: input.note.slice(0, 500) } : {}) } });
    },

    async markPrivacyOperationFailed(input: { requestId: string; connectorId: string; operation: string; error: string }): Promise<void> {
      await sql`
        update privacy_request_systems set status = 'failed', last_error = ${input.error}, updated_at = now()
        where request_id = ${input.requestId} and region = ${deps.region} and connector_id = ${input.connectorId} and operation = ${input.operation}
          and status not in ('done', 'not-found')`;
    },

    /**
     * At the point of no return: the identifiers the connected systems need are copied, sealed
     * for this request only, so Meridian's own copy can go now; the copy goes when the request ends.
     */
    async snapshotErasureSet(input: { requestId: string; customerId: string }): Promise<{ identifiers: number }> {
      const person = await loadPersonIdentifiers(sql, deps.regionKey, input.customerId);
      if (!person) return { identifiers: 0 };
      await sql`
        insert into privacy_erasure_sets (request_id, customer_id, identifiers_sealed)
        values (${input.requestId}, ${input.customerId}, ${sealJson(deps.regionKey, person, ERASURE_SET_CONTEXT(input.requestId, input.customerId))})
        on conflict do nothing`;
      return { identifiers: person.emails.length + person.phones.length + Object.values(person.platformIds).flat().length };
    },

    /**
     * Erases the person from this region's database: identities, traits, events, consent, and
     * orders unless a legal hold keeps them; the profile's data key is destroyed, so any copy left
     * (backups, a held row) can no longer be read; the global index forgets their tokens.
     */
    async eraseInMeridian(input: { requestId: string; customerId: string; heldScopes: string[] }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: MERIDIAN_SYSTEM, operation: 'erase' };
      if (input.heldScopes.includes('all')) {
        await setSystem(key, 'held', { evidence: { held: 'all data, under legal hold' } });
        return { status: 'done' };
      }
      const ids = await sql<{ customer_id: string }[]>`
        select customer_id from profiles where customer_id = ${input.customerId} or merged_into = ${input.customerId}`;
      const customers = ids.map((r) => r.customer_id);
      if (customers.length === 0) return settle(key, { status: 'not-found', evidence: { reason: 'no profile in this region' } });
      const tokens = await sql<{ type: string; blind_index: Buffer }[]>`select type, blind_index from identities where customer_id = any(${sql.array(customers)}::uuid[])`;
      const counts = await sql.begin(async (tx) => {
        const list = tx.array(customers);
        const identities = await tx`delete from identities where customer_id = any(${list}::uuid[])`;
        const traits = await tx`delete from traits where customer_id = any(${list}::uuid[])`;
        const events = await tx`delete from events where customer_id = any(${list}::uuid[])`;
        await tx`delete from consent_records where customer_id = any(${list}::uuid[])`;
        await tx`delete from consent_subjects where customer_id = any(${list}::uuid[])`;
        const orders = input.heldScopes.includes('orders') ? { count: 0 } : await tx`delete from orders where customer_id = any(${list}::uuid[])`;
        // Crypto-shredding: without the data key, nothing sealed for these profiles opens again.
        await tx`update profiles set data_key_wrapped = null where customer_id = any(${list}::uuid[])`;
        return { identities: identities.count, traits: traits.count, events: events.count, orders: orders.count };
      });
      if (tokens.length > 0) {
        await deps.globalSql`
          delete from identity_index where (type, blind_index) in (
            select * from unnest(${deps.globalSql.array(tokens.map((t) => t.type))}::text[], ${deps.globalSql.array(tokens.map((t) => t.blind_index) as unknown as string[])}::bytea[]))`;
      }
      return settle(key, {
        status: 'done',
        evidence: {
          identitiesDeleted: String(counts.identities),
          traitsDeleted: String(counts.traits),
          eventsDeleted: String(counts.events),
          ordersDeleted: String(counts.orders),
          ...(input.heldScopes.includes('orders') ? { ordersKept: 'legal hold' } : {}),
          dataKeysDestroyed: String(customers.length),
          erasedAt: new Date().toISOString(),
        },
      });
    },

    /** Reads back: nothing of the person is left to open in this region. */
    async verifyErasure(input: { requestId: string; customerId: string }): Promise<{ verified: boolean; evidence: Record<string, string> }> {
      const person = await loadPersonIdentifiers(sql, deps.regionKey, input.customerId);
      const [keys] = await sql<{ n: number }[]>`
        select count(*)::int as n from profiles where (customer_id = ${input.customerId} or merged_into = ${input.customerId}) and data_key_wrapped is not null`;
      const [rows] = await sql<{ n: number }[]>`
        select (select count(*) from identities where customer_id = ${input.customerId}) + (select count(*) from traits where customer_id = ${input.customerId}) as n`;
      const identifiers = person ? person.emails.length + person.phones.length + Object.keys(person.platformIds).length : 0;
      const verified = identifiers === 0 && keys!.n === 0 && Number(rows!.n) === 0;
      return { verified, evidence: { readableIdentifiers: String(identifiers), liveDataKeys: String(keys!.n), verifiedAt: new Date().toISOString() } };
    },

    /**
     * An access request's package for this region: what Meridian holds of the person here —
     * identifiers, traits, events, orders, consent history — as JSON and CSV in a zip, sealed
     * with the region key until the requester downloads it through a signed, expiring link.
     */
    async buildExport(input: { requestId: string; customerId: string }): Promise<{ bytes: number; counts: Record<string, number> }> {
      const profiles = await sql<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
        select customer_id, data_key_wrapped from profiles where customer_id = ${input.customerId} or merged_into = ${input.customerId}`;
      const keys = new Map(profiles.filter((p) => p.data_key_wrapped).map((p) => [p.customer_id, unwrapDataKey(deps.regionKey, p.data_key_wrapped!, p.customer_id)]));
      const keyOf = (id: string) => keys.get(id);
      const ids = profiles.map((p) => p.customer_id);
      const list = sql.array(ids);
      const identities = (await sql<{ type: string; value_sealed: Buffer; sealed_with: string; source_id: string; first_seen_at: Date | string }[]>`
        select type, value_sealed, sealed_with, source_id, first_seen_at from identities where customer_id = any(${list}::uuid[]) order by first_seen_at`)
        .filter((r) => keyOf(r.sealed_with))
        .map((r) => ({ type: r.type, value: open(keyOf(r.sealed_with)!, r.value_sealed, `identity:${r.sealed_with}:${r.type}`).toString('utf8'), source: r.source_id, firstSeenAt: new Date(r.first_seen_at).toISOString() }));
      const traits = (await sql<{ name: string; value_sealed: Buffer; sealed_with: string; observed_at: Date | string; source_id: string }[]>`
        select name, value_sealed, sealed_with, observed_at, source_id from traits where customer_id = any(${list}::uuid[]) order by name`)
        .filter((r) => keyOf(r.sealed_with))
        .map((r) => ({ name: r.name, value: openJson(keyOf(r.sealed_with)!, r.value_sealed, `trait:${r.sealed_with}:${r.name}`), observedAt: new Date(r.observed_at).toISOString(), source: r.source_id }));
      const events = (await sql<{ id: string; type: string; event: string | null; timestamp: Date | string; source_id: string; sealed_with: string; payload_sealed: Buffer }[]>`
        select id, type, event, timestamp, source_id, sealed_with, payload_sealed from events where customer_id = any(${list}::uuid[]) order by timestamp`)
        .filter((r) => keyOf(r.sealed_with))
        .map((r) => ({ id: r.id, type: r.type, event: r.event, timestamp: new Date(r.timestamp).toISOString(), source: r.source_id, payload: openJson(keyOf(r.sealed_with)!, r.payload_sealed, `event:${r.sealed_with}:${r.id}`) }));
      const orders = await sql<Record<string, unknown>[]>`
        select source_id, external_id, order_number, currency, total_minor::text, reporting_currency, reporting_total_minor::text, placed_at, time_zone,
               to_char(local_date, 'YYYY-MM-DD') as local_date, status, country_code
        from orders where customer_id = any(${list}::uuid[]) order by placed_at`;
      const consent = await sql<Record<string, unknown>[]>`
        select purpose, state, source, recorded_at, proof_kind, proof_reference from consent_records where customer_id = any(${list}::uuid[]) order by recorded_at`;
      const document = { requestId: input.requestId, region: deps.region, generatedAt: new Date().toISOString(), identifiers: identities, traits, events, orders, consent };
      const zip = zipSync({
        'meridian-export.json': strToU8(JSON.stringify(document, null, 2)),
        'identifiers.csv': strToU8(toCsv(identities.map((i) => ({ type: i.type, value: i.value, source: i.source, firstSeenAt: i.firstSeenAt })))),
        'traits.csv': strToU8(toCsv(traits.map((t) => ({ name: t.name, value: JSON.stringify(t.value), observedAt: t.observedAt, source: t.source })))),
        'events.csv': strToU8(toCsv(events.map((e) => ({ timestamp: e.timestamp, type: e.type, event: e.event ?? '', source: e.source, payload: JSON.stringify(e.payload) })))),
        'orders.csv': strToU8(toCsv(orders)),
        'consent.csv': strToU8(toCsv(consent)),
      });
      const expires = new Date(Date.now() + EXPORT_DAYS * 86_400_000).toISOString();
      await sql`
        insert into privacy_exports (request_id, customer_id, package_sealed, bytes, expires_at)
        values (${input.requestId}, ${input.customerId}, ${seal(deps.regionKey, Buffer.from(zip), exportContext(input.requestId, input.customerId))}, ${zip.length}, ${expires})
        on conflict (request_id, customer_id) do update set package_sealed = excluded.package_sealed, bytes = excluded.bytes, expires_at = excluded.expires_at`;
      return { bytes: zip.length, counts: { identifiers: identities.length, traits: traits.length, events: events.length, orders: orders.length, consent: consent.length } };
    },

    async destroyErasureSet(input: { requestId: string }): Promise<void> {
      await sql`delete from privacy_erasure_sets where request_id = ${input.requestId}`;
    },
  };
}


/** RFC 4180 CSV: every field quoted, quotes doubled; a header row from the first row's keys. */
function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => {
    const text = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
    return `"${text.replace(/"/g, '""')}"`;
  };
  return [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\r\n') + '\r\n';
}
