import { ApplicationFailure, Context } from '@temporalio/activity';
import { strToU8, zipSync } from 'fflate';
import { connectedSystem } from '../../connectors';
import { ConnectorError, ManualActionRequired } from '../../connectors/errors';
import type { PrivacyOperation, PrivacyOutcome } from '../../connectors/privacy';
import { listConnectors } from '../../db/connectors-store';
import { readConsent, recordConsent } from '../../db/consent-store';
import {
  activeLegalHolds,
  destroyErasureSet,
  eraseProfiles,
  erasureLeftovers,
  profilesOf,
  readErasureSet,
  storeErasureSet,
  suppress,
  unsuppress,
} from '../../db/erasure-store';
import { loadPersonIdentifiers, loadPersonIdentifiersForRequest } from '../../db/person-store';
import { deleteExports, readPersonForExport, storeExport } from '../../db/privacy-export-store';
import { readPrivacyRequest, readPrivacySystemRows, requesterEmail } from '../../db/privacy-requests-store';
import {
  createPrivacySystemRows,
  deadlineBasis,
  earlierOpenRequest,
  forgetRequesterData,
  markDuplicate,
  markPrivacySystemFailed,
  noticesSent,
  openOperatorTask,
  openUnsuppressRow,
  peopleWithEmail,
  privacyEvidence,
  replacePrivacyEvidence,
  recordDeadlineState,
  recordExtension,
  recordNoticeSent,
  recordRequestOutcome,
  requestToResolve,
  setPrivacySystemStatus,
  setRequestCustomer,
  setRequestStatus,
} from '../../db/privacy-saga-store';
import { evidenceAfterErasure } from '../../domain/privacy-evidence';
import { policyFor, responseDeadline } from '../../domain/privacy-policies';
import { ConnectedSystemDeps, openConnectedSystem } from '../connected-systems';
import type { RequesterMailer } from '../../mail/privacy-mailer';

/**
 * The region side of a privacy request. In the requester's region: resolve the request to the
 * people it concerns (and spot a second open request), keep its status, deadline and certificate,
 * write to the requester. In each region holding the person: suppress, check legal holds, erase in
 * Meridian's database (rows deleted, data key destroyed) and in every connected system, and check
 * that nothing readable is left. Personal values stay in these activities (DESIGN.md, rule 2).
 */

export type PrivacyDeps = ConnectedSystemDeps & {
  mailer?: RequesterMailer;
  /** Drops the unwrapped data keys this process caches for these profiles (an erasure just destroyed them). */
  forgetDataKeys?: (customerIds: string[]) => void;
};

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

export function createPrivacyActivities(deps: PrivacyDeps) {
  const { sql } = deps;

  /**
   * What connected systems are given for a request: trusted identifiers and the email the
   * requester verified (known here when the request lives in this region), never an email a
   * browser merely claimed (issue 8, item 3).
   */
  async function identifiersForRequest(requestId: string, customerId: string) {
    const request = await requestToResolve(sql, requestId);
    return loadPersonIdentifiersForRequest(sql, deps.regionKey, customerId, request?.email_blind_index);
  }

  async function setSystem(
    key: { requestId: string; connectorId: string; operation: string },
    status: string,
    extra: { attempts?: number; lastError?: string | null; evidence?: Record<string, unknown> } = {},
  ) {
    await setPrivacySystemStatus(sql, { ...key, region: deps.region }, status, extra);
  }

  const openSystem = async (connectorId: string, idempotencyKey: string) =>
    (await openConnectedSystem(deps, connectorId, idempotencyKey)).session;

  async function settle(
    key: { requestId: string; connectorId: string; operation: string },
    outcome: PrivacyOutcome,
  ): Promise<OperationResult> {
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
  async function failed(
    key: { requestId: string; connectorId: string; operation: string },
    error: unknown,
  ): Promise<OperationResult> {
    const attempt = Context.current().info.attempt;
    if (error instanceof ManualActionRequired) {
      await setSystem(key, 'waiting-on-operator', { attempts: attempt, lastError: error.message });
      return { status: 'manual' };
    }
    if (error instanceof ConnectorError) {
      await setSystem(key, error.retryable ? 'retrying' : 'failed', { attempts: attempt, lastError: error.message });
      throw error;
    }
    await setSystem(key, 'retrying', {
      attempts: attempt,
      lastError: (error as Error).message?.split('\n')[0] ?? 'error',
    });
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
    async resolvePrivacyRequest(input: { requestId: string }): Promise<{
      type: string;
      country: string;
      usState?: string;
      verified: boolean;
      duplicateOf?: string;
      people: { customerId: string; regions: string[] }[];
    }> {
      const request = await requestToResolve(sql, input.requestId);
      if (!request)
        throw ApplicationFailure.nonRetryable(
          `privacy request ${input.requestId} does not exist in region ${deps.region}`,
          'InvalidInput',
        );
      // Only a requester who proved the address may have anything done: an unverified request finds nobody.
      if (!request.verified_at) return { type: request.type, country: request.country, verified: false, people: [] };
      const earlier = await earlierOpenRequest(sql, input.requestId, request);
      if (earlier) {
        await markDuplicate(sql, input.requestId, earlier);
        return { type: request.type, country: request.country, verified: true, duplicateOf: earlier, people: [] };
      }
      const people = await peopleWithEmail(deps.globalSql, request.email_blind_index);
      const [first] = people;
      await setRequestCustomer(sql, input.requestId, first?.customer_id ?? null);
      return {
        type: request.type,
        country: request.country,
        ...(request.us_state ? { usState: request.us_state } : {}),
        verified: true,
        people: people.map((p) => ({ customerId: p.customer_id, regions: [...p.regions] })),
      };
    },

    async setPrivacyRequestStatus(input: {
      requestId: string;
      status: string;
      coolingOffUntil?: string;
    }): Promise<void> {
      await setRequestStatus(sql, input.requestId, input.status, input.coolingOffUntil);
    },

    /** An extension the law allows, recorded with its reason; returns the new due date. */
    async extendPrivacyDeadline(input: { requestId: string; reason: string }): Promise<{ dueDate: string }> {
      const row = await deadlineBasis(sql, input.requestId);
      if (!row)
        throw ApplicationFailure.nonRetryable(`privacy request ${input.requestId} does not exist`, 'InvalidInput');
      let extended: string | undefined;
      try {
        extended = responseDeadline(policyFor(row.country, row.us_state ?? undefined), row.received, {
          extended: true,
        }).extendedDue;
      } catch (error) {
        throw ApplicationFailure.nonRetryable((error as Error).message, 'ExtensionNotAllowed');
      }
      if (!extended) throw ApplicationFailure.nonRetryable('this law allows no extension', 'ExtensionNotAllowed');
      await recordExtension(sql, input.requestId, extended, input.reason);
      return { dueDate: extended };
    },

    /** A reminder before the deadline, or the escalation when it passes without an answer. */
    async privacyDeadlineReached(input: { requestId: string; state: 'due-soon' | 'overdue' }): Promise<void> {
      await recordDeadlineState(sql, input.requestId, input.state);
      if (input.state === 'overdue')
        console.warn(
          JSON.stringify({ msg: 'privacy request overdue', requestId: input.requestId, region: deps.region }),
        );
    },

    /** Writes the ending: status, certificate (no personal values), time. */
    async finishPrivacyRequest(input: { requestId: string; status: string; certificate?: unknown }): Promise<void> {
      await recordRequestOutcome(sql, input.requestId, input.status, input.certificate);
    },

    /** This region's rows of the request (each region records its own systems). */
    async privacySystemRows(input: { requestId: string }) {
      return readPrivacySystemRows(sql, input.requestId);
    },

    /** The request's systems and statuses as they stand, for the certificate. */
    async privacyRequestView(input: { requestId: string }) {
      const view = await readPrivacyRequest(sql, input.requestId);
      if (!view)
        throw ApplicationFailure.nonRetryable(`privacy request ${input.requestId} does not exist`, 'InvalidInput');
      return view;
    },

    /** Writes to the requester once per (request, kind): the Message-ID is derived from both. */
    async notifyRequester(input: {
      requestId: string;
      kind: 'completed' | 'cancelled' | 'duplicate';
    }): Promise<{ sent: boolean }> {
      if (!deps.mailer)
        throw ApplicationFailure.nonRetryable('no mail server configured: set MERIDIAN_SMTP_URL', 'MailerMissing');
      if ((await noticesSent(sql, input.requestId)).includes(input.kind)) return { sent: false };
      const requester = await requesterEmail(sql, deps.regionKey, input.requestId);
      if (!requester) return { sent: false };
      await deps.mailer.notify({
        to: requester.email,
        locale: requester.locale,
        kind: input.kind,
        requestId: input.requestId,
        idempotencyKey: `${input.requestId}:${input.kind}`,
      });
      await recordNoticeSent(sql, input.requestId, input.kind);
      return { sent: true };
    },

    /** The request is answered: the requester's email and the request's free text are destroyed. */
    async forgetRequester(input: { requestId: string }): Promise<void> {
      await forgetRequesterData(sql, input.requestId);
    },

    // -------------------------------------------------------------------------------------------
    // In each region holding the person
    // -------------------------------------------------------------------------------------------

    /** An opt-out request: sale/sharing and cross-context ads denied, as an explicit, audited choice. */
    async recordPrivacyOptOut(input: {
      requestId: string;
      customerId: string;
      country: string;
      usState?: string;
    }): Promise<{ propagationId?: string }> {
      const at = new Date().toISOString();
      const proof = { kind: 'privacy-request', reference: input.requestId };
      const records = (['saleSharing', 'personalisedAds'] as const).map((purpose) => ({
        purpose,
        state: 'denied' as const,
        source: 'preference-centre' as const,
        at,
        proof,
      }));
      // The saga starts this propagation itself, as a child workflow: no outbox row.
      const stored = await recordConsent(
        sql,
        input.customerId,
        records,
        { country: input.country, ...(input.usState ? { usState: input.usState } : {}) },
        { outbox: false },
      );
      return stored.propagationId ? { propagationId: stored.propagationId } : {};
    },

    /** A task only a person can do (a correction): shown to operators until they complete it. */
    async openOperatorTask(input: { requestId: string; operation: 'correct' }): Promise<void> {
      await openOperatorTask(sql, input.requestId, deps.region, input.operation);
    },

    async legalHoldsFor(input: { customerId: string }): Promise<{ scopes: string[]; reasons: string[] }> {
      const rows = await activeLegalHolds(sql, input.customerId);
      return { scopes: [...new Set(rows.map((r) => r.scope))], reasons: rows.map((r) => `${r.scope}: ${r.reason}`) };
    },

    /** The connected systems of this region and how each takes the operation; their rows created (Meridian's own first). */
    async privacyTargets(input: {
      requestId: string;
      operation: PrivacyOperation;
      includeMeridian: boolean;
    }): Promise<PrivacyTarget[]> {
      const targets: PrivacyTarget[] = input.includeMeridian
        ? [{ connectorId: MERIDIAN_SYSTEM, system: MERIDIAN_SYSTEM, label: 'Meridian', mode: 'api' }]
        : [];
      for (const connector of await listConnectors(deps.globalSql, deps.region)) {
        const system = connectedSystem(connector.system);
        if (!system) continue;
        const settings = system.settings.safeParse(connector.settings);
        const manualOps = settings.success
          ? ((settings.data as { operations?: string[] }).operations ?? undefined)
          : undefined;
        const mode: TargetMode = system.supports.includes(input.operation)
          ? 'api'
          : connector.system === 'manual' && (!manualOps || manualOps.includes(input.operation))
            ? 'manual'
            : 'not-supported';
        const instructions =
          connector.system === 'manual' && settings.success
            ? (settings.data as { instructions: string }).instructions
            : undefined;
        targets.push({
          connectorId: connector.id,
          system: connector.system,
          label: system.label,
          mode,
          ...(instructions ? { instructions } : {}),
        });
      }
      const initial = (mode: TargetMode) =>
        mode === 'api' ? 'pending' : mode === 'manual' ? 'waiting-on-operator' : 'not-supported';
      await createPrivacySystemRows(
        sql,
        { requestId: input.requestId, region: deps.region, operation: input.operation },
        targets.map((t) => ({ connectorId: t.connectorId, system: t.system, status: initial(t.mode) })),
      );
      return targets;
    },

    /** Stops marketing and ingestion for the person at once; reversible until erasure. */
    async suppressInRegion(input: { requestId: string; customerId: string }): Promise<void> {
      await suppress(sql, input.customerId, input.requestId);
    },

    async unsuppressInRegion(input: { requestId: string; customerId: string }): Promise<void> {
      await unsuppress(sql, input.customerId, input.requestId);
    },

    /** One operation (suppress, erase) in one connected system, keyed by (request, system). */
    async privacyOperation(input: {
      requestId: string;
      connectorId: string;
      customerId: string;
      operation: 'suppress' | 'erase';
    }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: input.connectorId, operation: input.operation };
      await setSystem(key, Context.current().info.attempt > 1 ? 'retrying' : 'in-progress', {
        attempts: Context.current().info.attempt,
      });
      const person =
        input.operation === 'erase'
          ? await readErasureSet(sql, deps.regionKey, input.requestId, input.customerId)
          : await identifiersForRequest(input.requestId, input.customerId);
      if (!person)
        return settle(key, {
          status: 'not-found',
          evidence: { reason: 'no identifiers of the person in this region' },
        });
      const session = await openSystem(input.connectorId, `${input.requestId}:${input.connectorId}:${input.operation}`);
      const call = input.operation === 'erase' ? session.erase : session.suppress;
      if (!call)
        throw ApplicationFailure.nonRetryable(
          `connector ${input.connectorId} cannot ${input.operation} through its API`,
          'InvalidInput',
        );
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
    async restoreInSystem(input: {
      requestId: string;
      connectorId: string;
      customerId: string;
    }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: input.connectorId, operation: 'unsuppress' };
      await openUnsuppressRow(sql, input.requestId, deps.region, input.connectorId);
      const { system, session } = await openConnectedSystem(
        deps,
        input.connectorId,
        `${input.requestId}:${input.connectorId}:unsuppress`,
      );
      const person = await identifiersForRequest(input.requestId, input.customerId);
      const consent = await readConsent(sql, input.customerId);
      if (!person || !session.applyConsent)
        return settle(key, {
          status: 'not-found',
          evidence: {
            reason: person ? 'no consent API to restore through' : 'no identifiers of the person in this region',
          },
        });
      // Without a consent record, the law's defaults apply; with none known, the system keeps the suppression.
      if (!consent)
        return settle(key, { status: 'not-found', evidence: { reason: 'no consent recorded: the suppression stays' } });
      try {
        return await settle(
          key,
          await session.applyConsent(person, {
            purposes: system.purposes.map((purpose) => ({ purpose, state: consent.effective[purpose].state })),
          }),
        );
      } catch (error) {
        return failed(key, error);
      }
    },

    async checkPrivacyJob(input: {
      requestId: string;
      connectorId: string;
      operation: 'suppress' | 'erase' | 'unsuppress';
      jobId: string;
    }): Promise<OperationResult> {
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

    async completeManualPrivacyTask(input: {
      requestId: string;
      connectorId: string;
      operation: string;
      note?: string;
    }): Promise<void> {
      await setSystem(input, 'done', {
        lastError: null,
        evidence: { completedBy: 'operator', ...(input.note ? { note: input.note.slice(0, 500) } : {}) },
      });
    },

    async markPrivacyOperationFailed(input: {
      requestId: string;
      connectorId: string;
      operation: string;
      error: string;
    }): Promise<void> {
      await markPrivacySystemFailed(sql, { ...input, region: deps.region }, input.error);
    },

    /**
     * At the point of no return: the identifiers the connected systems need are copied, sealed
     * for this request only, so Meridian's own copy can go now; the copy goes when the request ends.
     */
    async snapshotErasureSet(input: { requestId: string; customerId: string }): Promise<{ identifiers: number }> {
      const person = await identifiersForRequest(input.requestId, input.customerId);
      if (!person) return { identifiers: 0 };
      await storeErasureSet(sql, deps.regionKey, input.requestId, input.customerId, person);
      return {
        identifiers: person.emails.length + person.phones.length + Object.values(person.platformIds).flat().length,
      };
    },

    /**
     * Erases the person from this region's database: identities, traits, events, consent, and
     * orders unless a legal hold keeps them; the profile's data key is destroyed, so any copy left
     * (backups, a held row) can no longer be read; the global index forgets their tokens.
     */
    async eraseInMeridian(input: {
      requestId: string;
      customerId: string;
      heldScopes: string[];
    }): Promise<OperationResult> {
      const key = { requestId: input.requestId, connectorId: MERIDIAN_SYSTEM, operation: 'erase' };
      if (input.heldScopes.includes('all')) {
        await setSystem(key, 'held', { evidence: { held: 'all data, under legal hold' } });
        return { status: 'done' };
      }
      const customers = await profilesOf(sql, input.customerId);
      if (customers.length === 0)
        return settle(key, { status: 'not-found', evidence: { reason: 'no profile in this region' } });
      // The person's IDs at the vendors, read before they go: sync rejections naming them go too.
      const vendorRecordIds = (
        await Promise.all(customers.map((c) => loadPersonIdentifiers(sql, deps.regionKey, c)))
      ).flatMap((p) => (p ? Object.values(p.platformIds).flat() : []));
      const counts = await eraseProfiles(
        sql,
        deps.globalSql,
        customers,
        input.heldScopes.includes('orders'),
        vendorRecordIds,
      );
      // The keys are destroyed in the database: this process forgets its unwrapped copies now (others within DATA_KEY_TTL_MS).
      deps.forgetDataKeys?.(customers);
      return settle(key, {
        status: 'done',
        evidence: {
          identitiesDeleted: String(counts.identities),
          traitsDeleted: String(counts.traits),
          eventsDeleted: String(counts.events),
          ordersDeleted: String(counts.orders),
          accessPackagesDeleted: String(counts.exports),
          syncRejectionsDeleted: String(counts.syncRejections),
          ...(input.heldScopes.includes('orders') ? { ordersKept: 'legal hold' } : {}),
          dataKeysDestroyed: String(customers.length),
          erasedAt: new Date().toISOString(),
        },
      });
    },

    /** Reads back: nothing of the person is left to open in this region. */
    async verifyErasure(input: {
      requestId: string;
      customerId: string;
    }): Promise<{ verified: boolean; evidence: Record<string, string> }> {
      const person = await loadPersonIdentifiers(sql, deps.regionKey, input.customerId);
      const holds = await activeLegalHolds(sql, input.customerId);
      if (holds.some((h) => h.scope === 'all'))
        return {
          verified: false,
          evidence: { held: 'all data, under legal hold', verifiedAt: new Date().toISOString() },
        };
      // Every table with a customer_id column is scanned (those kept on purpose aside, and orders under a hold).
      const left = await erasureLeftovers(
        sql,
        input.customerId,
        holds.some((h) => h.scope === 'orders'),
      );
      const identifiers = person
        ? person.emails.length + person.phones.length + Object.keys(person.platformIds).length
        : 0;
      const verified = identifiers === 0 && left.liveDataKeys === 0 && left.rows === 0;
      return {
        verified,
        evidence: {
          readableIdentifiers: String(identifiers),
          liveDataKeys: String(left.liveDataKeys),
          rowsLeft: String(left.rows),
          ...(left.rows > 0
            ? {
                tablesWithRowsLeft: Object.entries(left.tables)
                  .map(([t, n]) => `${t}:${n}`)
                  .join(','),
              }
            : {}),
          verifiedAt: new Date().toISOString(),
        },
      };
    },

    /**
     * An access request's package for this region: what Meridian holds of the person here —
     * identifiers, traits, events, orders, consent history — as JSON and CSV in a zip, sealed
     * with the region key until the requester downloads it through a signed, expiring link.
     */
    async buildExport(input: {
      requestId: string;
      customerId: string;
    }): Promise<{ bytes: number; counts: Record<string, number>; expiresAt: string }> {
      const { identities, traits, events, orders, consent, loyalty } = await readPersonForExport(
        sql,
        deps.regionKey,
        input.customerId,
      );
      const document = {
        requestId: input.requestId,
        region: deps.region,
        generatedAt: new Date().toISOString(),
        identifiers: identities,
        traits,
        events,
        orders,
        consent,
        loyalty,
      };
      const zip = zipSync({
        'meridian-export.json': strToU8(JSON.stringify(document, null, 2)),
        'identifiers.csv': strToU8(
          toCsv(
            identities.map((i) => ({ type: i.type, value: i.value, source: i.source, firstSeenAt: i.firstSeenAt })),
          ),
        ),
        'traits.csv': strToU8(
          toCsv(
            traits.map((t) => ({
              name: t.name,
              value: JSON.stringify(t.value),
              observedAt: t.observedAt,
              source: t.source,
            })),
          ),
        ),
        'events.csv': strToU8(
          toCsv(
            events.map((e) => ({
              timestamp: e.timestamp,
              type: e.type,
              event: e.event ?? '',
              source: e.source,
              payload: JSON.stringify(e.payload),
            })),
          ),
        ),
        'orders.csv': strToU8(toCsv(orders)),
        'consent.csv': strToU8(toCsv(consent)),
        'loyalty-ledger.csv': strToU8(toCsv(loyalty.ledger)),
      });
      const { expiresAt } = await storeExport(sql, deps.regionKey, input.requestId, input.customerId, zip);
      return {
        bytes: zip.length,
        expiresAt,
        counts: {
          identifiers: identities.length,
          traits: traits.length,
          events: events.length,
          orders: orders.length,
          consent: consent.length,
          loyaltyLedger: loyalty.ledger.length,
        },
      };
    },

    /**
     * The erasure is over in this region: the sealed copy of the identifiers and the request's key are
     * destroyed, and the vendors' evidence loses what names the person there (their record IDs).
     */
    async destroyErasureSet(input: { requestId: string }): Promise<void> {
      await destroyErasureSet(sql, input.requestId);
      for (const row of await privacyEvidence(sql, input.requestId, deps.region)) {
        const after = evidenceAfterErasure(row.evidence);
        if (JSON.stringify(after) !== JSON.stringify(row.evidence)) await replacePrivacyEvidence(sql, row, after);
      }
    },

    /** An access request's packages have expired: they are deleted in this region, with the request's key. */
    async deleteExports(input: { requestId: string }): Promise<{ deleted: number }> {
      return { deleted: await deleteExports(sql, input.requestId) };
    },
  };
}

/** RFC 4180 CSV: every field quoted, quotes doubled; a header row from the first row's keys. */
function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => {
    const text =
      value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
    return `"${text.replace(/"/g, '""')}"`;
  };
  return (
    [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\r\n') +
    '\r\n'
  );
}
