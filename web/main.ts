import { loadConfig } from '../domain/config';
import { loadDevSecrets } from '../startup/dev-secrets';
import { exitWithError } from '../startup/fatal';
import { connectClient } from '../temporal/connection';
import { createMeridianWeb } from './app';
import { requestLogOptions } from './server';

async function main(): Promise<void> {
  loadDevSecrets();
  const config = loadConfig();
  const temporal = await connectClient(config);
  const web = await createMeridianWeb(config, temporal, {
    logger: requestLogOptions(config.logLevel, config.logFormat),
  });

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await web.close();
    await temporal.connection.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await web.app.listen({ host: config.web.host, port: config.web.port });
  await web.operator.listen({ host: config.operator.host, port: config.operator.port });
}

main().catch((error) => exitWithError('meridian web', error));
