import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it, inject } from 'vitest';
import { historyFromFixture } from '../support/privacy-saga-harness';

/**
 * Sagas wait for weeks, so a deployment meets histories written by the code before it. These are
 * histories of privacyRequest (and its consentPropagation child) recorded from the code as it was
 * before the saga was restructured (test/integration/privacy-request-workflow.test.ts with
 * MERIDIAN_RECORD_HISTORIES=1, run on that code); each must replay on today's code without a
 * nondeterminism error: every change to the command sequence is behind patched().
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'privacy-request-histories');

describe('privacyRequest replays the histories of the code before it', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has the recorded histories (one per path of the old saga)', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
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
