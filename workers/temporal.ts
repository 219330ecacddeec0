import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { MeridianConfig } from '../domain/config';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * How every Meridian process talks to Temporal: the same namespace and the same encrypting
 * data converter for clients and workers alike.
 */

export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function meridianDataConverter(config: Pick<MeridianConfig, 'payloadKeys'>): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(config.payloadKeys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

function unreachable(address: string, error: unknown): TemporalUnreachableError {
  return new TemporalUnreachableError(
    `Temporal is not reachable at ${address} (${(error as Error).message.split('\n')[0]}): ` +
      'start it with `npm start`, or set TEMPORAL_ADDRESS to a running server',
  );
}

export async function connectClient(config: Pick<MeridianConfig, 'temporal' | 'payloadKeys'>): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5 seconds' });
  } catch (error) {
    throw unreachable(config.temporal.address, error);
  }
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: meridianDataConverter(config) });
}

export async function connectWorkerConnection(config: Pick<MeridianConfig, 'temporal'>): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: config.temporal.address });
  } catch (error) {
    throw unreachable(config.temporal.address, error);
  }
}
