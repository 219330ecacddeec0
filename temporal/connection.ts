import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { DataConverter, defaultPayloadConverter } from '@temporalio/common';
import type { LoadedDataConverter } from '@temporalio/common/lib/converter/data-converter';
import { NativeConnection } from '@temporalio/worker';
import type { MeridianConfig } from '../domain/config';
import { failureConverter } from './failure-converter';
import { AesGcmPayloadCodec } from './payload-codec';

/**
 * How every Meridian process talks to Temporal: the same namespace and the same encrypting
 * data converter for clients and workers alike.
 */

/** Defined as true in a bundle of compiled code (scripts/server-bundle.ts); undeclared elsewhere. */
declare const MERIDIAN_BUNDLED: boolean | undefined;

/**
 * Loaded by path in workers (and bundled into workflows), so that both encode failures alike: the
 * TypeScript source through tsx, its compiled copy beside a worker run from a bundle.
 */
export const FAILURE_CONVERTER_PATH =
  typeof MERIDIAN_BUNDLED !== 'undefined' && MERIDIAN_BUNDLED
    ? path.join(__dirname, '..', '.build', 'temporal', 'failure-converter.cjs')
    : path.join(__dirname, 'failure-converter.ts');

/** For workers: the codec, and the failure converter by path (Worker.create loads it). */
export function meridianDataConverter(config: Pick<MeridianConfig, 'payloadKeys'>): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(config.payloadKeys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/** For clients: the same converter, already loaded (no require of a .ts path at run time). */
function clientDataConverter(config: Pick<MeridianConfig, 'payloadKeys'>): LoadedDataConverter {
  return {
    payloadConverter: defaultPayloadConverter,
    failureConverter,
    payloadCodecs: [new AesGcmPayloadCodec(config.payloadKeys)],
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
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: clientDataConverter(config) as DataConverter,
  });
}

export async function connectWorkerConnection(config: Pick<MeridianConfig, 'temporal'>): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: config.temporal.address });
  } catch (error) {
    throw unreachable(config.temporal.address, error);
  }
}
