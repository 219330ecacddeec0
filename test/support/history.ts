import type { WorkflowHandle } from '@temporalio/client';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';

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
