import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFixtures, replayFailures } from '../support/history';

/**
 * Sagas wait for weeks, so a deployment meets histories written by the code before it. These are
 * histories of privacyRequest (and its consentPropagation child) recorded from the code as it was
 * before the saga was restructured (test/integration/privacy-request-workflow.test.ts with
 * MERIDIAN_RECORD_HISTORIES=1, run on that code); each must replay on today's code without a
 * nondeterminism error: every change to the command sequence is behind patched().
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'privacy-request-histories');

describe('privacyRequest replays the histories of the code before it', () => {
  it('has the recorded histories (one per path of the old saga)', () => {
    expect(historyFixtures(FIXTURES).length).toBeGreaterThanOrEqual(10);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    expect(await replayFailures(FIXTURES)).toEqual([]);
  });
});
