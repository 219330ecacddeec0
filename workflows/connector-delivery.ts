import { ActivityOptions, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RegionalActivities } from '../activities';
import { ConnectorDeliveryInput, connectorDeliveryInputSchema, describeInputProblem } from '../domain/workflow-inputs';

/**
 * connectorDelivery: records a vendor notified Meridian of by ID (Meta's `leadgen` webhook names a
 * lead), fetched from the vendor and stored in the connector's region, on its queue
 * (`delivery-<connectorId>-<recordId>`: a notification delivered twice runs once). The history holds
 * the connector and record IDs and the counts: the activity reads and stores the record itself.
 * Throttling and vendor failures are retried; a revoked token fails at once with "reconnect …".
 */

export type { ConnectorDeliveryInput };

const DELIVERY: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 12 },
};

const { deliverRecords } = proxyActivities<RegionalActivities>(DELIVERY);

export async function connectorDelivery(
  rawInput: ConnectorDeliveryInput,
): Promise<{ customers: number; orders: number; rejected: number }> {
  const parsed = connectorDeliveryInputSchema.safeParse(rawInput);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(describeInputProblem(parsed.error, 'connectorDelivery'), 'InvalidInput');
  return deliverRecords(parsed.data);
}
