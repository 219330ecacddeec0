import { ActivityOptions, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import { adConversionsPending } from './definitions';
import type { RegionalActivities } from '../activities';
import {
  AdConversionUploadInput,
  adConversionUploadInputSchema,
  describeInputProblem,
} from '../domain/workflow-inputs';

/**
 * adConversionUpload: the orders of people who came by an ad click, sent back to the ad platform
 * (Google Ads offline click conversions) on the connector's region queue (`conversions-<connectorId>`,
 * one at a time). Each order is reserved in the region before its upload, so a retried or repeated run
 * never makes a second conversion. History: the connector ID and counts only.
 */

export type { AdConversionUploadInput };

const UPLOAD: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 12 },
};
/** Activity calls per run; a backlog larger than this continues on the next run. */
const MAX_CALLS = 50;

const { uploadAdConversions } = proxyActivities<RegionalActivities>(UPLOAD);

export async function adConversionUpload(
  rawInput: AdConversionUploadInput,
): Promise<{ uploaded: number; alreadyThere: number; refused: number }> {
  const parsed = adConversionUploadInputSchema.safeParse(rawInput);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'adConversionUpload'), 'InvalidInput');
  // A purchase noted while a pass runs asks for one more pass (adConversionsPending), so an order
  // that landed after the last read is not left for a later trigger.
  let pending = false;
  setHandler(adConversionsPending, () => {
    pending = true;
  });
  const totals = { uploaded: 0, alreadyThere: 0, refused: 0 };
  for (let call = 0; call < MAX_CALLS; call++) {
    pending = false;
    const result = await uploadAdConversions(parsed.data);
    totals.uploaded += result.uploaded;
    totals.alreadyThere += result.alreadyThere;
    totals.refused += result.refused;
    if (!result.more && !pending) break;
  }
  return totals;
}
