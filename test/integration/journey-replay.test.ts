import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFixtures, replayFailures } from '../support/history';

/**
 * Journey runs wait for hours, so a deployment meets histories written by the code before it. These
 * are histories of journeyRun recorded, decrypted, from the code before it asked the region for
 * unsignalled events (test/integration/journey-late-signals.test.ts with MERIDIAN_RECORD_HISTORIES=1,
 * run on that code): waits that timed out and sent, waits answered, goals, a delay before a message,
 * a segment wait. Each must replay on today's code without a nondeterminism error.
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'journey-histories');

describe('journeyRun replays the histories of the code before it', () => {
  it('has the recorded histories (one per path the change touches)', () => {
    expect(historyFixtures(FIXTURES).length).toBeGreaterThanOrEqual(8);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    expect(await replayFailures(FIXTURES)).toEqual([]);
  });
});
