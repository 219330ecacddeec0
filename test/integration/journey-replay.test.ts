import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it, inject } from 'vitest';
import { historyFromFixture } from '../support/history';

/**
 * Journey runs wait for hours, so a deployment meets histories written by the code before it. These
 * are histories of journeyRun recorded, decrypted, from the code before it asked the region for
 * unsignalled events (test/integration/journey-late-signals.test.ts with MERIDIAN_RECORD_HISTORIES=1,
 * run on that code): waits that timed out and sent, waits answered, goals, a delay before a message,
 * a segment wait. Each must replay on today's code without a nondeterminism error.
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'journey-histories');

describe('journeyRun replays the histories of the code before it', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has the recorded histories (one per path the change touches)', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromFixture(JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundle') } },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
