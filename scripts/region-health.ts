import { loadConfig } from '../domain/config';
import { connectClient } from '../temporal/connection';
import { startRegionHealth } from '../temporal/processes/region-health';
import { exitWithError } from '../startup/fatal';

/** `npm run region-health [-- eu,us]`: starts a regionHealth workflow and prints which worker answered per region. */
(async () => {
  const config = loadConfig();
  const client = await connectClient(config);
  const regions = process.argv[2]?.split(',');
  const handle = await startRegionHealth(client, config, regions ? { regions } : {});
  console.log(`started ${handle.workflowId}; waiting for every region's worker…`);
  const result = await handle.result();
  for (const r of result.regions) {
    console.log(
      `  ${r.region.padEnd(6)} ${r.workerIdentity}  p50 ${r.latencyP50Ms.toFixed(2)} ms  attempts ${r.attempts}`,
    );
  }
  await client.connection.close();
})().catch((error) => exitWithError('region-health', error));
