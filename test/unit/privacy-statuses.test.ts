import { describe, expect, it } from 'vitest';
import { en } from '../../domain/messages/privacy/en';
import { ERASED_EVIDENCE, evidenceAfterErasure } from '../../domain/privacy-evidence';
import {
  FINISHED_REQUEST_STATUSES,
  isCancellable,
  isSettled,
  PUBLIC_REQUEST_STATUSES,
  PUBLIC_SYSTEM_STATUSES,
  publicRequestStatus,
  publicSystemStatus,
  REQUEST_STATUSES,
  SYSTEM_STATUSES,
} from '../../domain/privacy-statuses';
import { renderStatus } from '../../web/privacy/pages';

describe('one vocabulary of privacy statuses', () => {
  it('a system with no API is not shown to the requester as "Nothing held" (we cannot know what it holds)', () => {
    expect(publicSystemStatus('not-supported')).toBe('not-supported');
    const html = renderStatus('en', {
      requestId: 'pr_0123456789abcdef',
      type: 'deletion',
      status: 'completed',
      receivedAt: '2026-01-01T00:00:00Z',
      dueDate: '2026-02-01',
      canCancel: false,
      systems: [{ label: 'Legacy CRM', status: publicSystemStatus('not-supported') }],
      selfPath: '/privacy',
    });
    expect(html).not.toContain(en['system.status.nothing-held']);
    expect(html).toContain(en['system.status.not-supported']);
  });

  it('"Nothing held" is what a system that found nothing of the person says', () => {
    expect(publicSystemStatus('not-found')).toBe('nothing-held');
  });

  it('every stored status has a public word, and every public word a message', () => {
    for (const status of REQUEST_STATUSES) expect(PUBLIC_REQUEST_STATUSES).toContain(publicRequestStatus(status));
    for (const status of SYSTEM_STATUSES) expect(PUBLIC_SYSTEM_STATUSES).toContain(publicSystemStatus(status));
    for (const status of PUBLIC_SYSTEM_STATUSES) expect(en[`system.status.${status}`]).toBeTruthy();
    for (const status of PUBLIC_REQUEST_STATUSES) expect(en[`status.state.${status}`]).toBeTruthy();
  });

  it('a request with failures reads as answered; expired as rejected; an unknown status as in progress', () => {
    expect(publicRequestStatus('completed-with-failures')).toBe('completed');
    expect(publicRequestStatus('expired')).toBe('rejected');
    expect(publicRequestStatus('waiting-on-operator')).toBe('in-progress');
    expect(publicRequestStatus('something-new')).toBe('in-progress');
  });

  it('finished, settled and cancellable sets', () => {
    expect([...FINISHED_REQUEST_STATUSES].sort()).toEqual([
      'cancelled',
      'completed',
      'completed-with-failures',
      'duplicate',
      'expired',
      'rejected',
    ]);
    expect(isSettled('held')).toBe(true);
    expect(isSettled('failed')).toBe(false);
    expect(isSettled('waiting-on-vendor')).toBe(false);
    expect(isCancellable('cooling-off')).toBe(true);
    expect(isCancellable('in-progress')).toBe(false);
  });
});

describe('vendor evidence after erasure', () => {
  it('vendor evidence survives erasure no more: record IDs and notes are replaced, proof (counts, times, request IDs) kept', () => {
    const after = evidenceAfterErasure({
      profiles: '2',
      profileIds: '01HXYZ,01HABC',
      customerIds: '820982911946154508',
      lookup: 'by email',
      note: 'deleted jane@example.com by hand',
      shopifyRequestIds: 'req-1,req-2',
      'audience.123.session_id': '987',
      completedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(after).toEqual({
      profiles: '2',
      profileIds: ERASED_EVIDENCE,
      customerIds: ERASED_EVIDENCE,
      lookup: ERASED_EVIDENCE,
      note: ERASED_EVIDENCE,
      shopifyRequestIds: 'req-1,req-2',
      'audience.123.session_id': '987',
      completedAt: '2026-01-01T00:00:00.000Z',
    });
  });
});
