import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../temporal/payload-codec';

/**
 * What a workflow's history carries, decrypted with the run's payload keys: its input, every
 * activity's input and result, signals and its result, as text. For asserting that a history holds
 * references and counts only (DESIGN.md, rule 2): the raw history is encrypted, so searching it
 * alone proves nothing.
 */
export async function decodedHistory(
  handle: Pick<WorkflowHandle, 'fetchHistory'>,
  payloadKeys: ConstructorParameters<typeof AesGcmPayloadCodec>[0],
): Promise<string> {
  const codec = new AesGcmPayloadCodec(payloadKeys);
  const history = await handle.fetchHistory();
  const decoded: string[] = [];
  for (const event of history.events ?? []) {
    const payloads = [
      event.workflowExecutionStartedEventAttributes?.input,
      event.workflowExecutionSignaledEventAttributes?.input,
      event.activityTaskScheduledEventAttributes?.input,
      event.activityTaskCompletedEventAttributes?.result,
      event.workflowExecutionCompletedEventAttributes?.result,
      event.workflowExecutionContinuedAsNewEventAttributes?.input,
    ].flatMap((p) => p?.payloads ?? []);
    for (const p of payloads) decoded.push(Buffer.from((await codec.decode([p as never]))[0]!.data!).toString());
  }
  return decoded.join('\n');
}

/**
 * Writes a history as a replay fixture `<dir>/<name>.json`. A fixture is the code of its time: never
 * overwritten by a later run (delete it to record it again).
 */
export async function writeHistoryFixture(
  dir: string,
  name: string,
  history: temporal.api.history.v1.IHistory,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(historyAsJson(history), null, 1)}\n`, {
    flag: 'wx',
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

/**
 * A history with its payloads decrypted (every Meridian-encrypted payload, wherever it sits), for a
 * fixture that replays without the run's payload keys (those of a test run are random).
 */
export async function decryptedHistory(
  handle: Pick<WorkflowHandle, 'fetchHistory'>,
  payloadKeys: ConstructorParameters<typeof AesGcmPayloadCodec>[0],
): Promise<temporal.api.history.v1.IHistory> {
  const codec = new AesGcmPayloadCodec(payloadKeys);
  const history = await handle.fetchHistory();
  const visit = async (value: unknown): Promise<void> => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (isEncryptedPayload(child)) (value as Record<string, unknown>)[key] = (await codec.decode([child]))[0];
      else await visit(child);
    }
  };
  await visit(history);
  return history;
}

function isEncryptedPayload(value: unknown): value is Parameters<AesGcmPayloadCodec['decode']>[0][number] {
  const encoding = (value as { metadata?: Record<string, unknown> } | null)?.metadata?.[METADATA_ENCODING_KEY];
  return encoding instanceof Uint8Array && Buffer.from(encoding).toString() === ENCRYPTED_ENCODING;
}

/** A history as plain JSON (64-bit numbers as strings, enums by name, bytes in base64); historyFromFixture reads it back. */
export function historyAsJson(history: temporal.api.history.v1.IHistory): unknown {
  return temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), {
    longs: String,
    enums: String,
    bytes: String,
  });
}

export function historyFromFixture(json: unknown): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);
}

/** The fixtures (`*.json`) in a folder of recorded histories, sorted. */
export function historyFixtures(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** Replays every fixture of the folder on the test's workflow bundle: answers one line a history that failed. */
export async function replayFailures(dir: string): Promise<string[]> {
  const histories = historyFixtures(dir).map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromFixture(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { codePath: inject('workflowBundle') } },
    histories,
  ))
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  return failures;
}
