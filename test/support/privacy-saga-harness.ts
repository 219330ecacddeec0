import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { writeHistoryFixture } from './history';
import type { RegionalActivities } from '../../activities';
import type { PrivacyRequestWorkflowInput } from '../../domain/workflow-inputs';

/**
 * The privacyRequest saga alone on the run's Temporal dev server, with typed mock activities: each
 * test says how the world answers (the people found, the vendors' targets and jobs, a refused
 * extension) and reads back which activities ran, in order. No database, no vendor emulator: the
 * saga's own decisions are what is under test. The activities are the real ones' signatures
 * (Pick<RegionalActivities, …>), so a changed activity fails the typecheck here.
 */

type SagaActivityName =
  | 'resolvePrivacyRequest'
  | 'setPrivacyRequestStatus'
  | 'extendPrivacyDeadline'
  | 'privacyDeadlineReached'
  | 'finishPrivacyRequest'
  | 'privacySystemRows'
  | 'privacyRequestView'
  | 'notifyRequester'
  | 'forgetRequester'
  | 'recordPrivacyOptOut'
  | 'openOperatorTask'
  | 'legalHoldsFor'
  | 'privacyTargets'
  | 'suppressInRegion'
  | 'unsuppressInRegion'
  | 'privacyOperation'
  | 'restoreInSystem'
  | 'checkPrivacyJob'
  | 'completeManualPrivacyTask'
  | 'markPrivacyOperationFailed'
  | 'snapshotErasureSet'
  | 'eraseInMeridian'
  | 'verifyErasure'
  | 'buildExport'
  | 'destroyErasureSet'
  | 'deleteExports'
  | 'consentTargets'
  | 'pushConsent'
  | 'checkConsentJob'
  | 'completeManualConsentTask'
  | 'markConsentPushFailed'
  | 'finishPropagation';

export type SagaActivities = Pick<RegionalActivities, SagaActivityName>;
type Result<K extends SagaActivityName> = Awaited<ReturnType<SagaActivities[K]>>;

export interface SagaWorld {
  people?: { customerId: string; regions: string[] }[];
  duplicateOf?: string;
  /** What resolvePrivacyRequest says of the request's verification (default: verified). */
  verified?: boolean;
  /** Connected systems per operation (Meridian's own is added for erase, as the real activity does). */
  targets?: {
    connectorId: string;
    mode: 'api' | 'manual' | 'not-supported';
    suppress?: 'done' | 'never-finishes';
    erase?: 'done' | 'never-finishes' | 'manual';
  }[];
  extension?: 'allowed' | 'refused';
  legalHold?: string[];
  /** How many job checks a submitted job takes before it is done (erase and suppress alike); Infinity: never. */
  jobChecks?: number;
  /**
   * Activities that answer only once the promise settles: a test delivers a signal while one runs,
   * so the signal reaches the workflow before (or with) the activity's result.
   */
  holdUntil?: Partial<Record<'openOperatorTask' | 'consentTargets', Promise<void>>>;
  /** The system consentTargets answers (default: Klaviyo, with an API). */
  consentTarget?: 'api' | 'manual';
}

export interface Call {
  name: string;
  input: Record<string, unknown>;
}

export function mockActivities(world: SagaWorld, calls: Call[]): SagaActivities {
  const record = (name: string, input: object) => calls.push({ name, input: { ...input } as Record<string, unknown> });
  const target = (connectorId: string) => world.targets?.find((t) => t.connectorId === connectorId);
  const jobsChecked = new Map<string, number>();
  return {
    async resolvePrivacyRequest(input) {
      record('resolvePrivacyRequest', input);
      const people = world.people ?? [{ customerId: '00000000-0000-4000-8000-000000000001', regions: ['eu'] }];
      return {
        type: 'deletion',
        country: 'DE',
        ...(world.duplicateOf ? { duplicateOf: world.duplicateOf } : {}),
        verified: world.verified ?? true,
        people: world.duplicateOf ? [] : people,
      } as Result<'resolvePrivacyRequest'>;
    },
    async setPrivacyRequestStatus(input) {
      record('setPrivacyRequestStatus', input);
    },
    async extendPrivacyDeadline(input) {
      record('extendPrivacyDeadline', input);
      if (world.extension !== 'allowed')
        throw ApplicationFailure.nonRetryable('this law allows no extension', 'ExtensionNotAllowed');
      return { dueDate: '2099-06-30' };
    },
    async privacyDeadlineReached(input) {
      record('privacyDeadlineReached', input);
    },
    async finishPrivacyRequest(input) {
      record('finishPrivacyRequest', { requestId: input.requestId, status: input.status });
    },
    async privacySystemRows(input) {
      record('privacySystemRows', input);
      return [];
    },
    async privacyRequestView(input) {
      record('privacyRequestView', input);
      return {
        id: input.requestId,
        type: 'deletion',
        status: 'in-progress',
        jurisdiction: 'GDPR',
        locale: 'en',
        receivedAt: '2026-01-01T00:00:00.000Z',
        dueDate: '2099-01-01',
        systems: [],
      } as Result<'privacyRequestView'>;
    },
    async notifyRequester(input) {
      record('notifyRequester', input);
      return { sent: true };
    },
    async forgetRequester(input) {
      record('forgetRequester', input);
    },
    async recordPrivacyOptOut(input) {
      record('recordPrivacyOptOut', { requestId: input.requestId });
      return { propagationId: `cp_${input.requestId.slice(3)}` };
    },
    async openOperatorTask(input) {
      record('openOperatorTask', input);
      await world.holdUntil?.openOperatorTask;
    },
    async legalHoldsFor(input) {
      record('legalHoldsFor', input);
      return { scopes: world.legalHold ?? [], reasons: (world.legalHold ?? []).map((s) => `${s}: audit`) };
    },
    async privacyTargets(input) {
      record('privacyTargets', input);
      const vendors = (world.targets ?? []).map((t) => ({
        connectorId: t.connectorId,
        system: t.connectorId,
        label: t.connectorId,
        mode: t.mode,
      }));
      return input.includeMeridian
        ? [{ connectorId: 'meridian', system: 'meridian', label: 'Meridian', mode: 'api' as const }, ...vendors]
        : vendors;
    },
    async suppressInRegion(input) {
      record('suppressInRegion', input);
    },
    async unsuppressInRegion(input) {
      record('unsuppressInRegion', input);
    },
    async privacyOperation(input) {
      record('privacyOperation', { connectorId: input.connectorId, operation: input.operation });
      const behaviour = target(input.connectorId)?.[input.operation] ?? 'done';
      if (behaviour === 'manual') return { status: 'manual' };
      if (behaviour === 'done' && !world.jobChecks) return { status: 'done' };
      return { status: 'submitted', jobId: `job-${input.connectorId}-${input.operation}`, checkAfterMs: 1 };
    },
    async restoreInSystem(input) {
      record('restoreInSystem', { connectorId: input.connectorId });
      return { status: 'done' };
    },
    async checkPrivacyJob(input) {
      record('checkPrivacyJob', { connectorId: input.connectorId, operation: input.operation });
      const behaviour =
        input.operation === 'unsuppress' ? 'done' : (target(input.connectorId)?.[input.operation] ?? 'done');
      const n = (jobsChecked.get(input.jobId) ?? 0) + 1;
      jobsChecked.set(input.jobId, n);
      if (behaviour === 'never-finishes' || n < (world.jobChecks ?? 0))
        return { status: 'submitted', jobId: input.jobId, checkAfterMs: 1 };
      return { status: 'done' };
    },
    async completeManualPrivacyTask(input) {
      record('completeManualPrivacyTask', input);
    },
    async markPrivacyOperationFailed(input) {
      record('markPrivacyOperationFailed', { connectorId: input.connectorId, operation: input.operation });
    },
    async snapshotErasureSet(input) {
      record('snapshotErasureSet', input);
      return { identifiers: 2 };
    },
    async eraseInMeridian(input) {
      record('eraseInMeridian', input);
      return { status: 'done' };
    },
    async verifyErasure(input) {
      record('verifyErasure', input);
      return {
        verified: true,
        evidence: { readableIdentifiers: '0', liveDataKeys: '0', verifiedAt: '2026-01-01T00:00:00.000Z' },
      };
    },
    async buildExport(input) {
      record('buildExport', input);
      // Packages that expire at once, so the saga's clean-up after expiry is seen within the test.
      return { bytes: 100, counts: { identifiers: 1 }, expiresAt: new Date(Date.now() + 1000).toISOString() };
    },
    async deleteExports(input) {
      record('deleteExports', input);
      return { deleted: 1 };
    },
    async destroyErasureSet(input) {
      record('destroyErasureSet', input);
    },
    async consentTargets(input) {
      record('consentTargets', input);
      await world.holdUntil?.consentTargets;
      return (
        world.consentTarget === 'manual'
          ? [{ connectorId: 'pos_backoffice', system: 'manual', label: 'POS back office', mode: 'manual' }]
          : [{ connectorId: 'klaviyo', system: 'klaviyo', label: 'Klaviyo', mode: 'api' }]
      ) as Result<'consentTargets'>;
    },
    async pushConsent(input) {
      record('pushConsent', input);
      return { status: 'done' };
    },
    async checkConsentJob(input) {
      record('checkConsentJob', input);
      return { status: 'done' };
    },
    async completeManualConsentTask(input) {
      record('completeManualConsentTask', input);
    },
    async markConsentPushFailed(input) {
      record('markConsentPushFailed', input);
    },
    async finishPropagation(input) {
      record('finishPropagation', input);
      return { status: 'complete' };
    },
  };
}

/** A person's UUID made from the request's ID, so each saga's people are its own. */
const personId = (requestId: string, n: number) =>
  `${requestId.slice(3, 11)}-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const newRequestId = () => `pr_${randomBytes(8).toString('hex')}`;
/** A date `days` from today (UTC), as the saga's input carries it. */
export const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

export interface SagaHarness {
  client: Client;
  taskQueue: string;
  /** Starts a saga with this world; its calls are recorded as they happen. */
  start(
    type: PrivacyRequestWorkflowInput['type'],
    world: SagaWorld,
    overrides?: Partial<PrivacyRequestWorkflowInput>,
  ): Promise<{ handle: WorkflowHandle; calls: Call[]; requestId: string }>;
  /** Starts a consentPropagation (`cp_…`) with this world. */
  startPropagation(world: SagaWorld): Promise<{ handle: WorkflowHandle; calls: Call[] }>;
  close(): Promise<void>;
}

/** One worker on a queue of its own running the run's workflow bundle and the mocks of whichever saga a call belongs to. */
export async function startSagaHarness(): Promise<SagaHarness> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = `privacy-saga-test-${randomBytes(4).toString('hex')}`;
  const worlds = new Map<string, { world: SagaWorld; calls: Call[]; activities: SagaActivities }>();
  /** Activities keyed by the person only (legal holds) find their saga through the person's ID. */
  const owners = new Map<string, string>();
  const routed = {} as Record<string, (input: { requestId?: string; propagationId?: string }) => Promise<unknown>>;
  const names = Object.keys(mockActivities({}, [])) as SagaActivityName[];
  for (const name of names) {
    routed[name] = async (input) => {
      const id =
        input.requestId ??
        input.propagationId?.replace(/^cp_/, 'pr_') ??
        owners.get((input as { customerId?: string }).customerId ?? '');
      const entry = id ? worlds.get(id) : undefined;
      if (!entry) throw ApplicationFailure.nonRetryable(`no test world for ${name}(${JSON.stringify(input)})`);
      return (entry.activities[name] as (i: unknown) => Promise<unknown>)(input);
    };
  }
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundle') },
    activities: routed,
  });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection, namespace });
  return {
    client,
    taskQueue,
    async start(type, world, overrides = {}) {
      const requestId = newRequestId();
      const calls: Call[] = [];
      world.people ??= [{ customerId: personId(requestId, 1), regions: ['eu'] }];
      for (const p of world.people) owners.set(p.customerId, requestId);
      worlds.set(requestId, { world, calls, activities: mockActivities(world, calls) });
      const input: PrivacyRequestWorkflowInput = {
        requestId,
        region: 'eu',
        type,
        dueDate: dayFromNow(30),
        coolingOffSeconds: 0,
        queues: { eu: taskQueue, us: taskQueue },
        ...overrides,
      };
      const handle = await client.workflow.start('privacyRequest', {
        taskQueue,
        workflowId: `dsar-${requestId}`,
        args: [input],
      });
      return { handle, calls, requestId };
    },
    async startPropagation(world) {
      const requestId = newRequestId();
      const calls: Call[] = [];
      worlds.set(requestId, { world, calls, activities: mockActivities(world, calls) });
      const handle = await client.workflow.start('consentPropagation', {
        taskQueue,
        workflowId: `consent-${requestId.replace(/^pr_/, 'cp_')}`,
        args: [{ propagationId: requestId.replace(/^pr_/, 'cp_'), customerId: personId(requestId, 1) }],
      });
      return { handle, calls };
    },
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    },
  };
}

/** Writes a finished saga's history as JSON, for the replay test (test/fixtures/privacy-request-histories/). */
export async function saveHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.MERIDIAN_RECORD_HISTORIES) return;
  await writeHistoryFixture(
    path.join(__dirname, '..', 'fixtures', 'privacy-request-histories'),
    name,
    await handle.fetchHistory(),
  );
}
