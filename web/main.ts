import { openGlobalPool, openRegionalPool } from '../db/connections';
import { loadDevSecrets } from '../workers/dev-secrets';
import { loadConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { exitWithError } from '../workers/fatal';
import { AesGcmPayloadCodec } from '../workers/payload-codec';
import { connectClient } from '../workers/temporal';
import { buildServer, requestLogOptions } from './server';

async function main(): Promise<void> {
  loadDevSecrets();
  const config = loadConfig();
  const pools = config.regions.regions.map((region) =>
    region.name === GLOBAL_REGION
      ? openGlobalPool(config, region, { max: 2, applicationName: 'meridian-web' })
      : openRegionalPool(config, region, { max: 2, applicationName: 'meridian-web' }),
  );
  await Promise.all(pools.map((p) => p.sql`select 1`));
  const temporal = await connectClient(config);
  const app = await buildServer({
    temporal,
    codec: new AesGcmPayloadCodec(config.payloadKeys),
    regions: config.regions.regions.map((r, i) => ({ name: r.name, taskQueue: r.taskQueue, sql: pools[i]!.sql })),
    codecCorsOrigins: config.web.codecCorsOrigins,
    logger: requestLogOptions(config.logLevel),
  });

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    await Promise.all(pools.map((p) => p.close()));
    await temporal.connection.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await app.listen({ host: config.web.host, port: config.web.port });
}

main().catch((error) => exitWithError('meridian web', error));
