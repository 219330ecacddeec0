import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  manualTaskCompleted,
  privacyManualTaskCompleted,
  privacyRequestStatusQuery,
} from '../../workflows/definitions';
import { eventually } from '../support/eventually';
import { Call, dayFromNow, saveHistory, SagaHarness, startSagaHarness } from '../support/privacy-saga-harness';

/**
 * The privacyRequest saga alone on the dev server, with typed mock activities: the paths the end-to-end
 * tests cannot reach cheaply (a due date already inside the reminder window, an overdue request, an
 * extension the law refuses, a vendor job that never finishes, a cancel that undoes a vendor's
 * suppression, a request that was never verified). With MERIDIAN_RECORD_HISTORIES=1 each finished
 * saga's history is written to test/fixtures/privacy-request-histories/ for the replay test.
 */

const names = (calls: Call[]) => calls.map((c) => c.name);
const callsOf = (calls: Call[], name: string) => calls.filter((c) => c.name === name);

// Concurrent: each saga has its own request and world; the slow one (a job checked 200 times, a timer
// each) runs beside the others.
describe.concurrent('privacyRequest saga (mock activities)', () => {
  let h: SagaHarness;

  beforeAll(async () => {
    h = await startSagaHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a deletion erases in Meridian and in every vendor (a slow job followed until done), then certifies, writes and forgets', async () => {
    const { handle, calls } = await h.start('deletion', {
      targets: [{ connectorId: 'klaviyo', mode: 'api' }],
      jobChecks: 3,
    });
    const result = await handle.result();
    await saveHistory(handle, 'deletion-completed');
    expect(result.status).toBe('completed');
    expect(names(calls)).toEqual(
      expect.arrayContaining([
        'suppressInRegion',
        'snapshotErasureSet',
        'eraseInMeridian',
        'verifyErasure',
        'destroyErasureSet',
        'notifyRequester',
        'forgetRequester',
      ]),
    );
    expect(callsOf(calls, 'checkPrivacyJob').filter((c) => c.input.operation === 'erase')).toHaveLength(3);
    expect(callsOf(calls, 'finishPrivacyRequest').map((c) => c.input.status)).toEqual(['completed']);
  });

  it('a deletion waits for the operator of a system without an API', async () => {
    const { handle, calls } = await h.start('deletion', { targets: [{ connectorId: 'crm', mode: 'manual' }] });
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).systems['eu/crm/erase']).toBe('waiting-on-operator'),
    );
    await handle.signal(privacyManualTaskCompleted, {
      region: 'eu',
      connectorId: 'crm',
      operation: 'erase',
      note: 'deleted by hand',
    });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'deletion-manual');
    expect(callsOf(calls, 'completeManualPrivacyTask').map((c) => c.input.connectorId)).toEqual(['crm']);
  });

  it('a vendor erasure job that never finishes is given up after its checks and marked failed; the request completes with failures', async () => {
    const { handle, calls } = await h.start('deletion', {
      targets: [{ connectorId: 'slowvendor', mode: 'api', erase: 'never-finishes' }],
    });
    const result = await handle.result();
    await saveHistory(handle, 'deletion-vendor-never-finishes');
    expect(callsOf(calls, 'checkPrivacyJob').filter((c) => c.input.operation === 'erase').length).toBe(200);
    expect(
      callsOf(calls, 'markPrivacyOperationFailed').map((c) => `${c.input.connectorId}/${c.input.operation}`),
    ).toEqual(['slowvendor/erase']);
    expect((await handle.query(privacyRequestStatusQuery)).systems['eu/slowvendor/erase']).toBe('failed');
    // The mock's rows say nothing failed; the saga's own view of the vendor is what counts here.
    expect(result.status).toBe('completed');
  }, 600_000);

  it('cancel during the cooling-off after a vendor suppressed the person undoes it: Meridian and the vendor both restored', async () => {
    const { handle, calls } = await h.start(
      'deletion',
      { targets: [{ connectorId: 'klaviyo', mode: 'api' }] },
      { coolingOffSeconds: 3600 },
    );
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).systems['eu/klaviyo/suppress']).toBe('done'),
    );
    await eventually(async () => expect((await handle.query(privacyRequestStatusQuery)).status).toBe('cooling-off'));
    await handle.signal('cancel');
    const result = await handle.result();
    await saveHistory(handle, 'deletion-cancelled');
    expect(result.status).toBe('cancelled');
    expect(callsOf(calls, 'unsuppressInRegion')).toHaveLength(1);
    expect(callsOf(calls, 'restoreInSystem').map((c) => c.input.connectorId)).toEqual(['klaviyo']);
    expect(names(calls)).not.toContain('eraseInMeridian');
    expect(names(calls).slice(-2)).toEqual(['notifyRequester', 'forgetRequester']);
  });

  it('a restriction suppresses and completes', async () => {
    const { handle, calls } = await h.start('restriction', { targets: [{ connectorId: 'klaviyo', mode: 'api' }] });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'restriction');
    expect(names(calls)).toContain('suppressInRegion');
    expect(names(calls)).not.toContain('eraseInMeridian');
  });

  it("a restriction completes only once a vendor's slow suppression job is done (it used to answer before, leaving the job unfollowed)", async () => {
    const { handle, calls } = await h.start('restriction', {
      targets: [{ connectorId: 'klaviyo', mode: 'api' }],
      jobChecks: 3,
    });
    expect((await handle.result()).status).toBe('completed');
    const order = names(calls);
    expect(callsOf(calls, 'checkPrivacyJob')).toHaveLength(3);
    expect(order.lastIndexOf('checkPrivacyJob')).toBeLessThan(order.indexOf('finishPrivacyRequest'));
    expect((await handle.query(privacyRequestStatusQuery)).systems['eu/klaviyo/suppress']).toBe('done');
  });

  it('an access request builds a package per region; when the packages expire they are deleted and the requester forgotten', async () => {
    const { handle, calls } = await h.start('access', {
      people: [{ customerId: `${randomUUID()}`, regions: ['eu', 'us'] }],
    });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'access');
    expect(callsOf(calls, 'buildExport')).toHaveLength(2);
    // Answered first (the email with the link), then, at expiry, the packages and the address go.
    const order = names(calls).filter((n) => ['notifyRequester', 'deleteExports', 'forgetRequester'].includes(n));
    expect(order).toEqual(['notifyRequester', 'deleteExports', 'deleteExports', 'forgetRequester']);
  });

  it('an opt-out records the choice and propagates it to the vendors', async () => {
    const { handle, calls } = await h.start('optOut', {});
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'opt-out');
    expect(names(calls)).toEqual(
      expect.arrayContaining(['recordPrivacyOptOut', 'pushConsent', 'finishPropagation', 'forgetRequester']),
    );
  });

  it('a correction waits for the operator; an extension the law refuses leaves the due date as it was', async () => {
    const dueDate = dayFromNow(30);
    const { handle, calls } = await h.start('correction', { extension: 'refused' }, { dueDate });
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).status).toBe('waiting-on-operator'),
    );
    await handle.signal('extend', { reason: 'complex request' });
    await eventually(async () => expect(callsOf(calls, 'extendPrivacyDeadline')).toHaveLength(1));
    expect((await handle.query(privacyRequestStatusQuery)).dueDate).toBe(dueDate);
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'correction-extension-refused');
    // Refused is final: not retried.
    expect(callsOf(calls, 'extendPrivacyDeadline')).toHaveLength(1);
  });

  it('an operator who completes a correction while its task is being opened is not lost (the signal comes with the activity)', async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { handle, calls } = await h.start('correction', { holdUntil: { openOperatorTask: opened } });
    await eventually(async () => expect(callsOf(calls, 'openOperatorTask')).toHaveLength(1));
    // The task's row exists once the activity commits; the operator is quick, the saga not yet waiting.
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    open();
    expect((await handle.result()).status).toBe('completed');
    expect(callsOf(calls, 'completeManualPrivacyTask')).toHaveLength(1);
  });

  it('a consent propagation keeps an operator completion that arrives with the targets (it waited forever)', async () => {
    let answer!: () => void;
    const targetsAnswered = new Promise<void>((resolve) => (answer = resolve));
    const { handle, calls } = await h.startPropagation({
      consentTarget: 'manual',
      holdUntil: { consentTargets: targetsAnswered },
    });
    await eventually(async () => expect(callsOf(calls, 'consentTargets')).toHaveLength(1));
    await handle.signal(manualTaskCompleted, { connectorId: 'pos_backoffice', note: 'done at the till' });
    answer();
    expect(await handle.result()).toEqual({ status: 'complete', systems: { pos_backoffice: 'done' } });
    expect(callsOf(calls, 'completeManualConsentTask')).toEqual([
      expect.objectContaining({
        input: expect.objectContaining({ connectorId: 'pos_backoffice', note: 'done at the till' }),
      }),
    ]);
  });

  it('an extension the law allows moves the due date', async () => {
    const { handle, calls } = await h.start('correction', { extension: 'allowed' });
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).status).toBe('waiting-on-operator'),
    );
    await handle.signal('extend', { reason: 'complex request' });
    await eventually(async () => expect((await handle.query(privacyRequestStatusQuery)).dueDate).toBe('2099-06-30'));
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'correction-extended');
    expect(callsOf(calls, 'extendPrivacyDeadline')).toHaveLength(1);
  });

  it('a request past its due date is escalated as overdue at once', async () => {
    const { handle, calls } = await h.start('correction', {}, { dueDate: dayFromNow(-2) });
    await eventually(async () =>
      expect(callsOf(calls, 'privacyDeadlineReached').map((c) => c.input.state)).toEqual(['overdue']),
    );
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).status).toBe('waiting-on-operator'),
    );
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'correction-overdue');
  });

  it('a request whose due date is already inside the reminder window gets its due-soon reminder at once (not only the escalation later)', async () => {
    const { handle, calls } = await h.start('correction', {}, { dueDate: dayFromNow(3) });
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).status).toBe('waiting-on-operator'),
    );
    await eventually(async () =>
      expect(callsOf(calls, 'privacyDeadlineReached').map((c) => c.input.state)).toEqual(['due-soon']),
    );
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'correction-due-soon');
  });

  it('a correction answered a few days before its due date ends without an escalation', async () => {
    const { handle, calls } = await h.start('correction', {}, { dueDate: dayFromNow(4) });
    await eventually(async () =>
      expect((await handle.query(privacyRequestStatusQuery)).status).toBe('waiting-on-operator'),
    );
    await handle.signal(privacyManualTaskCompleted, { region: 'eu', connectorId: 'operator', operation: 'correct' });
    expect((await handle.result()).status).toBe('completed');
    await saveHistory(handle, 'correction-inside-reminder-window');
    expect(callsOf(calls, 'privacyDeadlineReached').map((c) => c.input.state)).not.toContain('overdue');
  });

  it('a second request for the same email is answered as a duplicate and forgotten', async () => {
    const { handle, calls } = await h.start('deletion', { duplicateOf: 'pr_0000000000000001' });
    expect((await handle.result()).status).toBe('duplicate');
    await saveHistory(handle, 'duplicate');
    expect(names(calls)).toEqual(['resolvePrivacyRequest', 'notifyRequester', 'forgetRequester']);
  });

  it('legal hold on everything: nothing is erased, the request completes', async () => {
    const { handle, calls } = await h.start('deletion', {
      targets: [{ connectorId: 'klaviyo', mode: 'api' }],
      legalHold: ['all'],
    });
    await handle.result();
    await saveHistory(handle, 'deletion-held');
    expect(callsOf(calls, 'privacyOperation').filter((c) => c.input.operation === 'erase')).toHaveLength(0);
  });

  it('saga started for an unverified request acts on nothing: no suppression, no erasure, no email, nothing written', async () => {
    const { handle, calls } = await h.start('deletion', {
      targets: [{ connectorId: 'klaviyo', mode: 'api' }],
      verified: false,
    });
    const result = await handle.result();
    expect(result.status).toBe('rejected');
    // Not even the request's row: it stays for its owner to verify.
    expect(names(calls)).toEqual(['resolvePrivacyRequest']);
  });
});
