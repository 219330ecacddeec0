import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { connectorDefinition, CUSTOMER_ID_TYPES } from '../../connectors';
import type { ConnectorContext, ConnectorSession, Cursor, StreamName, SyncPage } from '../../connectors/framework';
import { ConnectorConfigError, getConnector, loadCredentials, storeCredentials } from '../../db/connectors-store';
import type { FxRatesCache } from '../../db/fx-rates-store';
import { AdClick, customerOfStoredCall, recordAdClicks } from '../../db/ad-conversions-store';
import { readConsent, recordConsent, recordConsentEvidence } from '../../db/consent-store';
import { CallOutcome, IncomingCall, isDataError, RegionWriter } from '../../db/region-writer';
import type { ConsentRecord } from '../../domain/consent';
import {
  endSyncRun,
  finishStreamPass,
  loadSyncCheckpoint,
  recordSyncRejections,
  renewConnectorLease,
  saveSyncCheckpoint,
  startSyncRun,
  streamStarts,
  takeConnectorLease,
} from '../../db/sync-store';
import type { RejectedRecord } from '../../domain/commerce';
import { describeIssues } from '../../domain/validation';
import { customerCall, orderCall, reportingAmount } from '../../db/ingest-records';

/**
 * The region side of a connector sync: take the connector's lease, page through a stream storing
 * each page before its cursor is checkpointed (in heartbeats, then in the workflow), record what
 * was rejected, and end the sync with its status. Connector errors are thrown as they are: the
 * worker's vendor-failure interceptor (activities/vendor-failures.ts) makes them Temporal failures.
 */

export interface SyncDeps {
  region: string;
  sql: Sql;
  regionKey: Buffer;
  /** The global database, for connector settings (no personal data there). */
  globalSql: Sql;
  writer: RegionWriter;
  fx: FxRatesCache;
  reportingCurrency: string;
  /** The folder file imports read from (MERIDIAN_IMPORT_DIR). */
  importDir?: string;
  /** Test hooks for the connectors' waits and clock. */
  connectorContext?: Omit<ConnectorContext, 'sourceId' | 'heartbeat' | 'importDir'>;
}

/** A lease outlives a stuck page by this much. */
const LEASE_MS = 15 * 60_000;
/**
 * A call renews the lease before its first page, then before a page once this long has passed since
 * the last renewal: renewing before every page cost a commit (a WAL flush) on the fetch's path per
 * page. The lease then always has more than LEASE_MS − LEASE_RENEW_MS to run when a page is fetched,
 * so no other sync can have taken it (it takes only an expired lease): what each renewal guarded
 * still holds, and a lost lease is still noticed before the next renewal's page.
 */
const LEASE_RENEW_MS = 60_000;
/** Pages being stored at once by one sync. */
const PAGES_IN_FLIGHT = 3;
/** A pass's next start is moved back by this, for records written while the pass ran and clocks that differ. */
const PASS_OVERLAP_MS = 5 * 60_000;

export interface BeginSyncInput {
  connectorId: string;
  syncId: string;
  workflowId: string;
  streams?: StreamName[];
  /** Re-sync from this instant, whatever the stored position. */
  since?: string;
  /** Re-sync everything. */
  full?: boolean;
}

export type BeginSyncResult =
  | {
      status: 'started';
      region: string;
      system: string;
      label: string;
      streams: { stream: StreamName; since?: string }[];
    }
  | { status: 'skipped'; heldBy: string };

export interface SyncPagesInput {
  connectorId: string;
  syncId: string;
  stream: StreamName;
  cursor: Cursor | null;
  since?: string;
  /** Pages of this pass already stored. */
  pageNo: number;
  maxPages: number;
  maxMillis: number;
}

export interface SyncPagesResult {
  cursor: Cursor | null;
  pageNo: number;
  pages: number;
  customers: number;
  orders: number;
  rejected: number;
  highWater?: string;
  lagSeconds?: number;
  total?: number;
  done: boolean;
}

export interface EndSyncInput {
  connectorId: string;
  syncId: string;
  status: 'completed' | 'failed' | 'cancelled';
  totals: { pages: number; customers: number; orders: number; rejected: number };
  error?: string;
}

export function createSyncActivities(deps: SyncDeps) {
  const { sql } = deps;

  async function loadConnector(connectorId: string) {
    const connector = await getConnector(deps.globalSql, connectorId);
    if (!connector) {
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} does not exist: create it with POST /admin/connectors or npm run connectors`,
        'ConnectorNotFound',
      );
    }
    if (connector.region !== deps.region) {
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} belongs to region ${connector.region}, but this sync ran on the ${deps.region} queue: start it on ${connector.region}'s queue`,
        'WrongRegion',
      );
    }
    let definition;
    try {
      definition = connectorDefinition(connector.system);
    } catch {
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} is a ${connector.system} connection, which has nothing to sync (it takes part in privacy operations only)`,
        'InvalidInput',
      );
    }
    const settings = definition.settings.safeParse(connector.settings);
    if (!settings.success) {
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} settings are no longer valid (${describeIssues(settings.error, 'settings')}): fix them with PUT /admin/connectors/${connectorId}`,
        'ConnectorConfig',
      );
    }
    return { connector, definition, settings: settings.data };
  }

  async function openSession(
    connectorId: string,
    heartbeat: () => void,
  ): Promise<{ session: ConnectorSession; system: string }> {
    const { connector, definition, settings } = await loadConnector(connectorId);
    let credentials: unknown;
    try {
      credentials = definition.credentials.parse(await loadCredentials({ sql, key: deps.regionKey }, connectorId));
    } catch (error) {
      throw ApplicationFailure.nonRetryable(
        error instanceof ConnectorConfigError
          ? error.message
          : `connector ${connectorId} credentials are not valid for ${definition.label}: set them again with PUT /admin/connectors/${connectorId}`,
        'ConnectorConfig',
      );
    }
    const session = definition.open(settings, credentials, {
      ...deps.connectorContext,
      sourceId: connectorId,
      heartbeat,
      // Checked against the definition's schema, so a connector cannot store what it could not open again.
      saveCredentials: async (next) =>
        storeCredentials({ sql, key: deps.regionKey }, connectorId, definition.credentials.parse(next)),
      ...(deps.importDir ? { importDir: deps.importDir } : {}),
    });
    return { session, system: connector.system };
  }

  /** Renews the lease; a sync that lost it (expired and taken by another) must stop at once. */
  async function renewLease(connectorId: string, syncId: string): Promise<void> {
    if (!(await renewConnectorLease(sql, connectorId, syncId, LEASE_MS))) {
      throw ApplicationFailure.nonRetryable(
        `sync ${syncId} lost connector ${connectorId}'s lease to another sync: it stopped so the two do not overlap`,
        'LeaseLost',
      );
    }
  }

  /** Stores one page: customers, then orders (with their reporting amounts), then the rejections. */
  async function storePage(
    system: string,
    connectorId: string,
    syncId: string,
    stream: StreamName,
    pageNo: number,
    page: SyncPage,
  ): Promise<{ customers: number; orders: number; rejected: number }> {
    const idType = CUSTOMER_ID_TYPES[system as keyof typeof CUSTOMER_ID_TYPES];
    const now = new Date();
    const rejected: RejectedRecord[] = [...page.rejected];
    const items: IncomingCall[] = page.customers.map((c) => customerCall(c, idType, now));
    if (page.orders.length > 0) {
      let fx = await deps.fx.current();
      const latest = page.orders.reduce((max, o) => (o.localDate > max ? o.localDate : max), '');
      if (!fx.span || fx.span.last < latest) fx = await deps.fx.covering(latest);
      for (const order of page.orders)
        items.push(orderCall(order, idType, reportingAmount(fx, order, deps.reportingCurrency), now));
    }
    // One write per record: they share group commits, and a record the database refuses fails alone.
    // What a connected store says about its customers carries the brand's authority (not a visitor's claim).
    const outcomes = await Promise.allSettled(
      items.map((item) => deps.writer.write([{ ...item, provenance: 'connector' }])),
    );
    let customers = 0;
    let orders = 0;
    outcomes.forEach((outcome, i) => {
      const item = items[i]!;
      if (outcome.status === 'fulfilled') {
        const [stored] = outcome.value;
        if (stored?.status === 'rejected') {
          const externalId = item.order ? item.order.order.externalId : item.call.messageId.split(':')[1];
          rejected.push({ ...(externalId ? { externalId } : {}), reason: stored.reason });
          return;
        }
        if (item.order) orders++;
        else customers++;
        return;
      }
      if (!isDataError(outcome.reason)) throw outcome.reason;
      const externalId = item.order ? item.order.order.externalId : item.call.messageId.split(':')[1];
      rejected.push({
        ...(externalId ? { externalId } : {}),
        reason: `the database refused the record (PostgreSQL ${(outcome.reason as { code?: string }).code})`,
      });
    });
    if ((page.consents?.length ?? 0) > 0 || (page.clicks?.length ?? 0) > 0) {
      await storeFollowUps(connectorId, page, items.slice(0, page.customers.length), outcomes);
    }
    if (rejected.length > 0) {
      await recordSyncRejections(sql, { syncId, connectorId, stream, pageNo }, rejected);
    }
    return { customers, orders, rejected: rejected.length };
  }

  /**
   * What a page says about its customers beyond their traits: consent given on the source's form (with
   * the text shown, as proof) and ad clicks. Each needs the person the customer resolved to: the
   * write's outcome, or, for a customer stored by an earlier attempt of this page, the stored call.
   * Every write here is idempotent, so a repeated page records nothing twice.
   */
  async function storeFollowUps(
    connectorId: string,
    page: SyncPage,
    customerItems: IncomingCall[],
    outcomes: PromiseSettledResult<CallOutcome[]>[],
  ): Promise<void> {
    const people = new Map<string, string>();
    for (const [i, customer] of page.customers.entries()) {
      const outcome = outcomes[i];
      if (outcome?.status !== 'fulfilled') continue;
      const [stored] = outcome.value;
      if (stored?.status === 'stored' || stored?.status === 'suppressed')
        people.set(customer.externalId, stored.customerId);
      else if (stored?.status === 'duplicate') {
        const found = await customerOfStoredCall(sql, connectorId, customerItems[i]!.call.messageId);
        if (found) people.set(customer.externalId, found);
      }
    }
    for (const consent of page.consents ?? []) {
      const customerId = people.get(consent.customerExternalId);
      if (!customerId) continue;
      await recordConsentEvidence(sql, {
        proof: consent.proof,
        customerId,
        sourceId: connectorId,
        at: consent.at,
        ...(typeof consent.evidence.shownSha256 === 'string' ? { shownSha256: consent.evidence.shownSha256 } : {}),
        evidence: consent.evidence,
      });
      if (consent.choices.length === 0) continue;
      const current = await readConsent(sql, customerId);
      // A first record needs the person's country (the law that applies); without one the proof is kept, no choice.
      if (!current && !consent.countryCode) continue;
      const records: ConsentRecord[] = consent.choices.map((choice) => ({
        purpose: choice.purpose,
        state: choice.state,
        source: 'lead-form',
        at: consent.at,
        proof: consent.proof,
      }));
      // The consent outbox starts the propagation of a change (temporal/consent-outbox.ts).
      await recordConsent(sql, customerId, records, current ? undefined : { country: consent.countryCode! });
    }
    const clicks: AdClick[] = (page.clicks ?? []).flatMap((click) => {
      const customerId = people.get(click.customerExternalId);
      return customerId
        ? [{ kind: click.kind, clickId: click.clickId, customerId, sourceId: connectorId, at: click.at }]
        : [];
    });
    await recordAdClicks(sql, clicks);
  }

  /**
   * The position after each stored page, written to the database (heartbeats are throttled, so
   * they may lag many pages behind): a retried call continues from the last page stored.
   */
  async function checkpoint(input: SyncPagesInput, progress: SyncPagesResult): Promise<void> {
    await saveSyncCheckpoint(
      sql,
      { syncId: input.syncId, stream: input.stream, callPageNo: input.pageNo, pageNo: progress.pageNo },
      progress,
    );
  }

  /** The progress of an earlier attempt of this same call, if it stored any page. */
  async function resumeFrom(input: SyncPagesInput, fresh: SyncPagesResult): Promise<SyncPagesResult> {
    return (
      (await loadSyncCheckpoint<SyncPagesResult>(sql, {
        syncId: input.syncId,
        stream: input.stream,
        callPageNo: input.pageNo,
      })) ?? fresh
    );
  }

  return {
    /** Takes the connector's lease (or reports who holds it) and says where each stream starts. */
    async beginSync(input: BeginSyncInput): Promise<BeginSyncResult> {
      const { connector, definition } = await loadConnector(input.connectorId);
      const unknown = (input.streams ?? []).filter((s) => !definition.streams.includes(s));
      if (unknown.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `${definition.label} has no stream ${unknown.join(', ')}: it syncs ${definition.streams.join(', ')}`,
          'InvalidInput',
        );
      }
      const held = await takeConnectorLease(sql, input, LEASE_MS);
      if (held) return { status: 'skipped', heldBy: held.heldBy };
      await startSyncRun(sql, input);
      const storedSince = await streamStarts(sql, input.connectorId);
      const streams = (input.streams ?? definition.streams).map((stream) => {
        const since = input.full ? undefined : (input.since ?? storedSince.get(stream));
        return since ? { stream, since } : { stream };
      });
      return { status: 'started', region: deps.region, system: connector.system, label: definition.label, streams };
    },

    /**
     * Pages through a stream from `cursor` for up to maxPages / maxMillis, storing each page and
     * then checkpointing its next cursor. A retry resumes from the checkpoint, so a crash repeats
     * at most the page that was being stored (and storing it again changes nothing).
     */
    async syncPages(input: SyncPagesInput): Promise<SyncPagesResult> {
      const ctx = Context.current();
      const fresh: SyncPagesResult = {
        cursor: input.cursor,
        pageNo: input.pageNo,
        pages: 0,
        customers: 0,
        orders: 0,
        rejected: 0,
        done: false,
      };
      const progress = ctx.info.attempt > 1 ? await resumeFrom(input, fresh) : fresh;
      const heartbeat = () => ctx.heartbeat({ pageNo: progress.pageNo });
      const { session, system } = await openSession(input.connectorId, heartbeat);
      const started = Date.now();
      // Pages are fetched one after the other (each names the next), but stored up to
      // PAGES_IN_FLIGHT at a time: the next page is fetched while earlier ones are written.
      // Checkpoints follow the pages in order, so a crash repeats only pages after the last one.
      const inFlight: { page: SyncPage; stored: Promise<{ customers: number; orders: number; rejected: number }> }[] =
        [];
      let cursor = progress.cursor;
      let fetched = 0;
      let last = false;
      const settleOldest = async () => {
        const { page, stored } = inFlight.shift()!;
        const counts = await stored;
        progress.cursor = page.next;
        progress.pageNo++;
        progress.pages++;
        progress.customers += counts.customers;
        progress.orders += counts.orders;
        progress.rejected += counts.rejected;
        if (page.highWater && (!progress.highWater || page.highWater > progress.highWater))
          progress.highWater = page.highWater;
        if (page.total !== undefined) progress.total = page.total;
        progress.done = page.next === null;
        await checkpoint(input, progress);
        heartbeat();
      };
      let renewedAt = -Infinity;
      try {
        while (!last) {
          if (Date.now() - renewedAt >= LEASE_RENEW_MS) {
            renewedAt = Date.now();
            await renewLease(input.connectorId, input.syncId);
          }
          const page = await session.fetchPage(input.stream, cursor, input.since);
          const stored = storePage(
            system,
            input.connectorId,
            input.syncId,
            input.stream,
            progress.pageNo + inFlight.length,
            page,
          );
          stored.catch(() => undefined);
          inFlight.push({ page, stored });
          fetched++;
          cursor = page.next;
          last = page.next === null || fetched >= input.maxPages || Date.now() - started >= input.maxMillis;
          while (inFlight.length >= PAGES_IN_FLIGHT || (last && inFlight.length > 0)) await settleOldest();
        }
      } finally {
        // A failure leaves later pages stored but not checkpointed: a retry stores them again, which changes nothing.
        await Promise.allSettled(inFlight.map((f) => f.stored));
        await session.close?.();
      }
      if (progress.highWater)
        progress.lagSeconds = Math.max(0, Math.round((Date.now() - Date.parse(progress.highWater)) / 1000));
      return progress;
    },

    /**
     * A pass over a stream completed: the next one starts from the newest update it saw, or from
     * when it started if that is earlier (records changed during the pass), less an overlap.
     */
    async finishStream(input: {
      connectorId: string;
      stream: StreamName;
      passStartedAt: string;
      highWater?: string;
      records: number;
    }): Promise<{ nextSince: string }> {
      const passStart = Date.parse(input.passStartedAt) - PASS_OVERLAP_MS;
      const seen = input.highWater ? Date.parse(input.highWater) : passStart;
      const nextSince = new Date(Math.min(seen, passStart)).toISOString();
      await finishStreamPass(sql, {
        connectorId: input.connectorId,
        stream: input.stream,
        nextSince,
        records: input.records,
      });
      return { nextSince };
    },

    /**
     * Records a vendor named in a notification (connectorDelivery): fetched by ID through the
     * connector's session and stored as a page is, so a record seen by a sync too is stored once.
     */
    async deliverRecords(input: {
      connectorId: string;
      stream: StreamName;
      recordIds: string[];
    }): Promise<{ customers: number; orders: number; rejected: number }> {
      const ctx = Context.current();
      const { session, system } = await openSession(input.connectorId, () => ctx.heartbeat());
      try {
        if (!session.fetchRecords) {
          throw ApplicationFailure.nonRetryable(
            `connector ${input.connectorId} (${system}) takes no notifications: its records come by sync only`,
            'InvalidInput',
          );
        }
        const page = await session.fetchRecords(input.stream, input.recordIds);
        return await storePage(
          system,
          input.connectorId,
          ctx.info.workflowExecution?.workflowId ?? `delivery-${input.connectorId}`,
          input.stream,
          0,
          page,
        );
      } finally {
        await session.close?.();
      }
    },

    /** Records how the sync ended and releases the lease. */
    async endSync(input: EndSyncInput): Promise<void> {
      await endSyncRun(sql, input);
    },
  };
}
