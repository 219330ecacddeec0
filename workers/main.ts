import { hostname } from 'node:os';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createGlobalActivities, createRegionalActivities } from '../activities';
import { openGlobalPool, openRegionalPool } from '../db/connections';
import { keyFromRef } from '../db/crypto-shredding';
import { IdentityRulesStore } from '../db/identity-rules-store';
import { loadDevSecrets } from './dev-secrets';
import { loadConfig, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION, Region } from '../domain/regions';
import { bundleWorkflows } from './bundle';
import { exitWithError } from './fatal';
import { connectWorkerConnection, meridianDataConverter } from './temporal';

/**
 * Starts one Temporal worker per region queue given (`--regions eu,us` or MERIDIAN_WORKER_REGIONS;
 * all configured regions by default). Each worker holds only its own region's database pool.
 * Workflows come from MERIDIAN_WORKFLOW_BUNDLE (bundled once by the supervisor) or are bundled here.
 * SIGINT/SIGTERM drain in-flight tasks, then exit.
 */

const SHUTDOWN_GRACE = '10 seconds';
const SHUTDOWN_FORCE = '30 seconds';

function regionsToRun(config: MeridianConfig, argv: string[]): Region[] {
  const flag = argv.indexOf('--regions');
  const list = flag >= 0 ? argv[flag + 1] : process.env.MERIDIAN_WORKER_REGIONS;
  if (!list) return [...config.regions.regions];
  return list.split(',').map((name) => config.regions.region(name.trim()));
}

async function main(): Promise<void> {
  loadDevSecrets();
  const config = loadConfig();
  const regions = regionsToRun(config, process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN') });

  const connection = await connectWorkerConnection(config);
  const bundlePath = process.env.MERIDIAN_WORKFLOW_BUNDLE;
  const workflowBundle = bundlePath ? { codePath: bundlePath } : { code: (await bundleWorkflows()).code };
  const dataConverter = meridianDataConverter(config);

  const pools: { close(): Promise<void> }[] = [];
  const workers: Worker[] = [];
  try {
    for (const region of regions) {
      const identity = `${region.name}@${hostname()}:${process.pid}`;
      const common = {
        connection,
        namespace: config.temporal.namespace,
        taskQueue: region.taskQueue,
        identity,
        workflowBundle,
        dataConverter,
        // On SIGTERM, let in-flight activities finish before cancelling them.
        shutdownGraceTime: SHUTDOWN_GRACE,
        shutdownForceTime: SHUTDOWN_FORCE,
      };
      if (region.name === GLOBAL_REGION) {
        const pool = openGlobalPool(config, region, { applicationName: `meridian-worker-${region.name}` });
        pools.push(pool);
        await pool.sql`select 1`;
        const rules = new IdentityRulesStore(pool.db);
        workers.push(
          await Worker.create({
            ...common,
            activities: createGlobalActivities({ pool, globalSql: pool.sql, regions: config.regions, rules, ecbBaseUrl: config.ecbBaseUrl }),
          }),
        );
      } else {
        const pool = openRegionalPool(config, region, { applicationName: `meridian-worker-${region.name}` });
        pools.push(pool);
        await pool.sql`select 1`;
        workers.push(
          await Worker.create({
            ...common,
            activities: createRegionalActivities({ region, pool, workerIdentity: identity, regionKey: keyFromRef(region.keyRef, config.env) }),
          }),
        );
      }
      console.log(JSON.stringify({ msg: 'worker ready', region: region.name, taskQueue: region.taskQueue, pid: process.pid }));
    }
    await Promise.all(workers.map((w) => w.run()));
    console.log(JSON.stringify({ msg: 'workers stopped', regions: regions.map((r) => r.name), pid: process.pid }));
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await connection.close();
  }
}

main().catch((error) => exitWithError('meridian worker', error));
