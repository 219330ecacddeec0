import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { connectedSystem } from '../connectors';
import type { ConnectedSystem, ConnectedSystemSession, PrivacyContext } from '../connectors/privacy';
import { getConnector, loadCredentials } from '../db/connectors-store';
import type { RegionKey } from '../db/crypto-shredding';

/** What consent propagation and privacy requests need to reach a region's connected systems. */
export interface ConnectedSystemDeps {
  region: string;
  sql: Sql;
  regionKey: RegionKey;
  globalSql: Sql;
  privacyContext?: Omit<PrivacyContext, 'idempotencyKey' | 'heartbeat'>;
}

/** A connected system of this region, opened with its settings and sealed credentials; heartbeats while it waits. */
export async function openConnectedSystem(
  deps: ConnectedSystemDeps,
  connectorId: string,
  idempotencyKey: string,
): Promise<{ system: ConnectedSystem<unknown, unknown>; session: ConnectedSystemSession }> {
  const connector = await getConnector(deps.globalSql, connectorId);
  const system = connector && connector.region === deps.region ? connectedSystem(connector.system) : undefined;
  if (!connector || !system)
    throw ApplicationFailure.nonRetryable(
      `connector ${connectorId} is not a connected system of region ${deps.region}`,
      'InvalidInput',
    );
  const settings = system.settings.parse(connector.settings);
  const credentials = system.credentials.parse(
    await loadCredentials({ sql: deps.sql, key: deps.regionKey }, connectorId),
  );
  return {
    system,
    session: system.open(settings, credentials, {
      ...deps.privacyContext,
      idempotencyKey,
      heartbeat: () => Context.current().heartbeat(),
    }),
  };
}
