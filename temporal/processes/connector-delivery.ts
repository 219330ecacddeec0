import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { Connector } from '../../db/connectors-store';
import type { RegionCatalog } from '../../domain/regions';
import { MERIDIAN_CONNECTOR_ID, MERIDIAN_PROCESS_KIND, MERIDIAN_REGION } from '../../domain/search-attributes';
import type { AdConversionUploadInput, ConnectorDeliveryInput } from '../../domain/workflow-inputs';
import { startWorkflow, type WorkflowOf } from '../workflow-types';
import { adConversionsPending } from '../../workflows/definitions';

/**
 * connectorDelivery, on the connector's region queue: one workflow per notified record
 * (`delivery-<connectorId>-<recordId>`), so a vendor's re-delivered notification starts nothing new
 * while the first runs or after it completed; after a failure (a revoked token) it may run again.
 */

export function deliveryWorkflowId(connectorId: string, recordId: string): string {
  return `delivery-${connectorId}-${recordId}`;
}

export async function startConnectorDelivery(
  client: Client,
  regions: RegionCatalog,
  connector: Connector,
  input: Omit<ConnectorDeliveryInput, 'connectorId' | 'recordIds'> & { recordId: string },
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = deliveryWorkflowId(connector.id, input.recordId);
  try {
    await startWorkflow(client, 'connectorDelivery', {
      workflowId,
      taskQueue: regions.region(connector.region).taskQueue,
      args: [{ connectorId: connector.id, stream: input.stream, recordIds: [input.recordId] }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: MERIDIAN_PROCESS_KIND, value: 'connectorDelivery' },
        { key: MERIDIAN_CONNECTOR_ID, value: connector.id },
        { key: MERIDIAN_REGION, value: connector.region },
      ],
    });
    return { workflowId, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw error;
  }
}

/** adConversionUpload for an ad connector (`conversions-<connectorId>`); one at a time. */
export function conversionUploadWorkflowId(connectorId: string): string {
  return `conversions-${connectorId}`;
}

export async function startAdConversionUpload(
  client: Client,
  regions: RegionCatalog,
  connector: Connector,
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = conversionUploadWorkflowId(connector.id);
  const input: AdConversionUploadInput = { connectorId: connector.id };
  try {
    await startWorkflow(client, 'adConversionUpload', {
      workflowId,
      taskQueue: regions.region(connector.region).taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [
        { key: MERIDIAN_PROCESS_KIND, value: 'adConversionUpload' },
        { key: MERIDIAN_CONNECTOR_ID, value: connector.id },
        { key: MERIDIAN_REGION, value: connector.region },
      ],
    });
    return { workflowId, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw error;
  }
}

/**
 * A clicked person bought: the connector's upload runs (signal-with-start: started when idle, asked
 * for another pass when running). Only IDs go in: the connector's.
 */
export async function requestAdConversionUpload(
  client: Client,
  regions: RegionCatalog,
  connector: Pick<Connector, 'id' | 'region'>,
): Promise<void> {
  const input: AdConversionUploadInput = { connectorId: connector.id };
  await client.workflow.signalWithStart<WorkflowOf<'adConversionUpload'>, []>('adConversionUpload', {
    workflowId: conversionUploadWorkflowId(connector.id),
    taskQueue: regions.region(connector.region).taskQueue,
    args: [input],
    signal: adConversionsPending,
    signalArgs: [],
    typedSearchAttributes: [
      { key: MERIDIAN_PROCESS_KIND, value: 'adConversionUpload' },
      { key: MERIDIAN_CONNECTOR_ID, value: connector.id },
      { key: MERIDIAN_REGION, value: connector.region },
    ],
  });
}
