import type { Sql } from 'postgres';
import type { Connector } from '../../db/connectors-store';
import { keyFromRef, type RegionKey } from '../../db/crypto-shredding';
import { upsertFxDays } from '../../db/fx-rates-store';
import { readFxHistory } from '../../scripts/fx-import';
import { startConnectorSync } from '../../temporal/processes/connector-sync';
import type { SyncResult } from '../../workflows/connector-sync';
import { createTestDeployment, type TestDeployment } from './deployment';

/** What the connector sync tests share: a deployment with the ECB's FX history, a region's store, a sync run to its end. */

/** A test deployment reporting in `reportingCurrency`, with the ECB's real FX history loaded. */
export async function createSyncDeployment(
  name: string,
  reportingCurrency: string,
  env: Record<string, string> = {},
): Promise<TestDeployment> {
  const d = await createTestDeployment(name, { MERIDIAN_REPORTING_CURRENCY: reportingCurrency, ...env });
  // The first query fetches the server's array types, which upsertFxDays needs.
  await d.global().sql`select 1`;
  await upsertFxDays(d.global().sql, readFxHistory(), 'ecb');
  return d;
}

/** The region's database and its key, as createConnector takes them. */
export function regionStore(d: TestDeployment, region: string): { sql: Sql; key: RegionKey } {
  return { sql: d.regional(region).sql, key: keyFromRef(d.config.regions.region(region).keyRef, d.env) };
}

/** Starts a sync of the connector by hand and waits for its result. */
export async function syncToEnd(d: TestDeployment, c: Connector): Promise<{ result: SyncResult; workflowId: string }> {
  const { workflowId } = await startConnectorSync(d.client, d.config.regions, c, {});
  return { result: await d.client.workflow.getHandle(workflowId).result(), workflowId };
}
