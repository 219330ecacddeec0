import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { connectedSystem } from '../../connectors';
import { ConnectorError } from '../../connectors/errors';
import type { ConsentChange, PrivacyOutcome } from '../../connectors/privacy';
import {
  beginPropagation,
  endPropagation,
  markPropagationSystemFailed,
  readPropagation,
  setPropagationSystemStatus,
} from '../../db/consent-propagation-store';
import { consentBrandOf } from '../../db/brands-store';
import { readConsent } from '../../db/consent-store';
import { listConnectors } from '../../db/connectors-store';
import { loadPersonIdentifiers } from '../../db/person-store';
import type { Purpose } from '../../domain/consent';
import { ConnectedSystemDeps, openConnectedSystem } from '../connected-systems';

/**
 * The region side of consent propagation: which connected systems a change concerns, pushing the
 * person's current effective consent to one system, following a vendor's job, and the per-system
 * status the preference centre shows. Personal values are loaded here and go only to the vendor.
 *
 * Ordering per person × system, without holding anything across the vendor call: a push sends the
 * state in force, and completes only if that is still the state in force once the vendor answered;
 * otherwise it sends the newer state (check after write). Two pushes for the same person and system
 * may overlap, but whichever call reaches the vendor last is followed by a check that sees the latest
 * state, so the system never ends on an older one. Vendor calls are idempotent, so sending a state
 * twice is harmless. No transaction or lock is held while a vendor answers (a slow vendor once held
 * a connection each and starved every activity of the region): the pool is used only for short reads
 * and status writes, and the activity heartbeats while it waits.
 */

/** Pushes of newer states one activity makes before it leaves the rest to a retry (a person changing consent in a loop). */
const MAX_PUSHES_PER_ATTEMPT = 5;

export type ConsentDeps = ConnectedSystemDeps;

export type TargetMode = 'api' | 'manual' | 'not-applicable';

export interface ConsentTarget {
  connectorId: string;
  system: string;
  label: string;
  mode: TargetMode;
}

export type PushResult =
  | { status: 'done' | 'not-found' }
  | { status: 'submitted'; jobId: string; checkAfterMs: number };

export function createConsentActivities(deps: ConsentDeps) {
  const { sql } = deps;

  async function propagation(
    propagationId: string,
  ): Promise<{ customerId: string; purposes: Purpose[]; brandId: string | null }> {
    const found = await readPropagation(sql, propagationId);
    if (!found)
      throw ApplicationFailure.nonRetryable(
        `consent propagation ${propagationId} does not exist in region ${deps.region}`,
        'InvalidInput',
      );
    return found;
  }

  async function setStatus(
    propagationId: string,
    connectorId: string,
    status: string,
    extra: { attempts?: number; lastError?: string | null; evidence?: Record<string, string> } = {},
  ) {
    await setPropagationSystemStatus(sql, propagationId, connectorId, status, extra);
  }

  const openSystem = async (connectorId: string, idempotencyKey: string) =>
    (await openConnectedSystem(deps, connectorId, idempotencyKey)).session;

  /**
   * Records a vendor failure on the system's row and rethrows it: the worker's vendor-failure interceptor
   * retries it unless the vendor refused for good (activities/vendor-failures.ts).
   */
  async function failed(propagationId: string, connectorId: string, error: unknown): Promise<never> {
    const attempt = Context.current().info.attempt;
    if (error instanceof ConnectorError) {
      await setStatus(propagationId, connectorId, error.retryable ? 'retrying' : 'failed', {
        attempts: attempt,
        lastError: error.message,
      });
      throw error;
    }
    await setStatus(propagationId, connectorId, 'retrying', {
      attempts: attempt,
      lastError: (error as Error).message?.split('\n')[0] ?? 'error',
    });
    throw error;
  }

  async function settle(propagationId: string, connectorId: string, outcome: PrivacyOutcome): Promise<PushResult> {
    const attempts = Context.current().info.attempt;
    if (outcome.status === 'submitted') {
      await setStatus(propagationId, connectorId, 'waiting-on-vendor', {
        attempts,
        lastError: null,
        evidence: outcome.evidence,
      });
      return { status: 'submitted', jobId: outcome.jobId, checkAfterMs: outcome.checkAfterMs };
    }
    await setStatus(propagationId, connectorId, outcome.status, {
      attempts,
      lastError: null,
      evidence: outcome.evidence,
    });
    return { status: outcome.status };
  }

  return {
    /** The region's connected systems and what each does with this change; their status rows created. */
    async consentTargets(input: { propagationId: string }): Promise<ConsentTarget[]> {
      const { purposes, brandId } = await propagation(input.propagationId);
      const targets: ConsentTarget[] = [];
      // A change goes to the systems of its consent scope: a separate-controller brand's to that
      // brand's connectors, the group's to every other connector (issue 11 §2).
      const scopes = new Map<string, string | null>();
      const scopeOf = async (connectorBrand: string) => {
        if (!scopes.has(connectorBrand))
          scopes.set(connectorBrand, await consentBrandOf(deps.globalSql, connectorBrand));
        return scopes.get(connectorBrand)!;
      };
      for (const connector of await listConnectors(deps.globalSql, deps.region)) {
        const system = connectedSystem(connector.system);
        if (!system) continue;
        if ((await scopeOf(connector.brandId)) !== brandId) continue;
        const settings = system.settings.safeParse(connector.settings);
        const handled = settings.success && system.purposesFor ? system.purposesFor(settings.data) : system.purposes;
        const concerned = handled.some((p) => purposes.includes(p));
        // A system without an API takes consent changes by hand unless its connection says it does not.
        const manualOps = settings.success ? (settings.data as { operations?: string[] }).operations : undefined;
        const byHand = connector.system === 'manual' && (!manualOps || manualOps.includes('applyConsent'));
        const mode: TargetMode = !concerned
          ? 'not-applicable'
          : system.supports.includes('applyConsent')
            ? 'api'
            : byHand
              ? 'manual'
              : 'not-applicable';
        targets.push({ connectorId: connector.id, system: connector.system, label: system.label, mode });
      }
      const initial = (mode: TargetMode) =>
        mode === 'api' ? 'pending' : mode === 'manual' ? 'waiting-on-operator' : 'not-applicable';
      await beginPropagation(
        sql,
        input.propagationId,
        targets.map((t) => ({ connectorId: t.connectorId, system: t.system, status: initial(t.mode) })),
      );
      return targets;
    },

    /** Pushes the person's consent in force now, for the purposes the system acts on. */
    async pushConsent(input: { propagationId: string; connectorId: string }): Promise<PushResult> {
      const { customerId, brandId } = await propagation(input.propagationId);
      const attempt = Context.current().info.attempt;
      await setStatus(input.propagationId, input.connectorId, attempt > 1 ? 'retrying' : 'in-progress', {
        attempts: attempt,
      });
      const { system, session } = await openConnectedSystem(
        deps,
        input.connectorId,
        `${input.propagationId}:${input.connectorId}`,
      );
      if (!session.applyConsent)
        throw ApplicationFailure.nonRetryable(
          `connector ${input.connectorId} cannot apply consent through its API`,
          'InvalidInput',
        );
      const person = await loadPersonIdentifiers(sql, deps.regionKey, customerId);
      /** The system's purposes and their states in force now; undefined when the person is gone. */
      const inForce = async () => {
        const consent = await readConsent(sql, customerId, brandId);
        return consent
          ? { purposes: system.purposes.map((purpose) => ({ purpose, state: consent.effective[purpose].state })) }
          : undefined;
      };
      let change = await inForce();
      if (!change || !person)
        return settle(input.propagationId, input.connectorId, {
          status: 'not-found',
          evidence: { reason: 'no profile in this region' },
        });
      for (let pushes = 1; ; pushes++) {
        let outcome: PrivacyOutcome;
        try {
          outcome = await session.applyConsent(person, change);
        } catch (error) {
          return failed(input.propagationId, input.connectorId, error);
        }
        Context.current().heartbeat();
        // Check after write: a change recorded while the vendor answered is sent now, so the newest state lands last.
        const now = await inForce();
        if (!now || sameStates(now, change)) return settle(input.propagationId, input.connectorId, outcome);
        if (pushes >= MAX_PUSHES_PER_ATTEMPT) {
          throw ApplicationFailure.retryable(
            `the consent of the person changed ${pushes} times while it was being pushed to connector ${input.connectorId}: pushing the newest state again`,
            'ConsentChangedDuringPush',
          );
        }
        change = now;
      }
    },

    /** Asks the vendor about a job an earlier push submitted. */
    async checkConsentJob(input: { propagationId: string; connectorId: string; jobId: string }): Promise<PushResult> {
      const session = await openSystem(input.connectorId, `${input.propagationId}:${input.connectorId}`);
      if (!session.checkJob)
        throw ApplicationFailure.nonRetryable(`connector ${input.connectorId} cannot report on jobs`, 'InvalidInput');
      try {
        return await settle(input.propagationId, input.connectorId, await session.checkJob(input.jobId));
      } catch (error) {
        return failed(input.propagationId, input.connectorId, error);
      }
    },

    /** An operator did the change by hand in a system without an API (signal from the console or the Temporal UI). */
    async completeManualConsentTask(input: {
      propagationId: string;
      connectorId: string;
      note?: string;
    }): Promise<void> {
      await setStatus(input.propagationId, input.connectorId, 'done', {
        lastError: null,
        evidence: { completedBy: 'operator', ...(input.note ? { note: input.note.slice(0, 500) } : {}) },
      });
    },

    /** A push that ran out of retries: its row says failed with the last error. */
    async markConsentPushFailed(input: { propagationId: string; connectorId: string; error: string }): Promise<void> {
      await markPropagationSystemFailed(sql, input.propagationId, input.connectorId, input.error);
    },

    /** Complete when every system is done (or had nothing to do); incomplete when one failed. */
    async finishPropagation(input: { propagationId: string }): Promise<{ status: 'complete' | 'incomplete' }> {
      return { status: await endPropagation(sql, input.propagationId) };
    },
  };
}

function sameStates(a: ConsentChange, b: ConsentChange): boolean {
  return (
    a.purposes.length === b.purposes.length &&
    a.purposes.every((p, i) => p.purpose === b.purposes[i]?.purpose && p.state === b.purposes[i]?.state)
  );
}
