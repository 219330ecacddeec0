import { hostname } from 'node:os';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createGlobalActivities, createRegionalActivities, vendorFailureInterceptor } from '../activities';
import { openGlobalPool, openRegionalPool } from '../db/connections';
import { keyFromRef } from '../db/crypto-shredding';
import { FxRatesCache } from '../db/fx-rates-store';
import { DataSchemaCache } from '../db/data-schema-store';
import { seedBuiltInTraits } from '../db/computed-traits-store';
import { IdentityRulesStore } from '../db/identity-rules-store';
import { RegionWriter } from '../db/region-writer';
import { AudienceProcessor } from '../db/audience-processor';
import { IntakeProcessor } from '../db/intake-processor';
import { cachedConsentBrandOf } from '../db/brands-store';
import { afterTrackedWrite } from '../temporal/tracked-consent-signals';
import { audienceReactors } from './audience-reactors';
import { ensureSegmentMaintenanceSchedule } from '../temporal/processes/segments';
import { loadDevSecrets } from '../startup/dev-secrets';
import { loadConfig, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION, Region } from '../domain/regions';
import { bundleWorkflows } from '../temporal/workflow-bundle';
import { exitWithError } from '../startup/fatal';
import { prettyLogLine, writeLog } from '../startup/log';
import { MergeOutbox } from '../temporal/merge-outbox';
import { ConsentOutbox } from '../temporal/consent-outbox';
import { JourneyTrigger } from '../temporal/journey-trigger';
import { createPrivacyMailer } from '../mail/privacy-mailer';
import { sweepExpiredAccessPackages } from '../db/privacy-export-store';
import { connectClient, connectWorkerConnection, meridianDataConverter } from '../temporal/connection';
import { channelsFromConfig } from '../activities/channels/wiring';

/**
 * Starts one Temporal worker per region queue given (`--regions eu,us` or MERIDIAN_WORKER_REGIONS;
 * all configured regions by default). Each worker holds only its own region's database pool and
 * key for personal data; a region's worker also reaches the global database for what holds none
 * of it: connector settings, FX rates and the pseudonymous identity index that One ID needs.
 * Workflows come from MERIDIAN_WORKFLOW_BUNDLE (bundled once by the supervisor) or are bundled here.
 * SIGINT/SIGTERM drain in-flight tasks, then exit.
 */

const SHUTDOWN_GRACE = '10 seconds';
const SHUTDOWN_FORCE = '30 seconds';
/** How often each region's worker deletes access packages past their expiry. */
const ACCESS_PACKAGE_SWEEP_MS = 60 * 60_000;

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
  const runtimeLevel = config.logLevel === 'debug' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger:
      config.logFormat === 'pretty'
        ? new DefaultLogger(runtimeLevel, ({ level, message, meta, timestampNanos }) =>
            process.stderr.write(
              `${prettyLogLine({ time: Number(timestampNanos / 1_000_000n), level, msg: message, ...meta })}\n`,
            ),
          )
        : new DefaultLogger(runtimeLevel),
  });
  if (config.connectorHostOverride) {
    const msg =
      'MERIDIAN_CONNECTOR_HOST_OVERRIDE is set: connectors may call these hosts without the vendor-host and address checks; for tests only';
    writeLog(config.logFormat, { msg, level: 'warn', hosts: config.connectorHostOverride }, process.stderr);
  }

  const connection = await connectWorkerConnection(config);
  const bundlePath = process.env.MERIDIAN_WORKFLOW_BUNDLE;
  const workflowBundle = bundlePath ? { codePath: bundlePath } : { code: (await bundleWorkflows()).code };
  const dataConverter = meridianDataConverter(config);

  const pools: { close(): Promise<void> }[] = [];
  const workers: Worker[] = [];
  const privacyMailer = createPrivacyMailer(config);
  const stops: (() => Promise<void>)[] = [];
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
        // Journey runs wait by the thousand: a run pushed out of the sticky cache replays its history at
        // its next task (docs/design/activation.md, "Journeys at scale"). Unset: the SDK's default.
        ...(config.temporal.workflowCacheSize !== undefined
          ? { maxCachedWorkflows: config.temporal.workflowCacheSize }
          : {}),
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
            activities: createGlobalActivities({
              pool,
              globalSql: pool.sql,
              regions: config.regions,
              rules,
              ecbBaseUrl: config.ecbBaseUrl,
            }),
          }),
        );
      } else {
        const pool = openRegionalPool(config, region, { applicationName: `meridian-worker-${region.name}` });
        const globalPool = openGlobalPool(config, config.regions.region(GLOBAL_REGION), {
          max: 4,
          applicationName: `meridian-worker-${region.name}`,
        });
        pools.push(pool, globalPool);
        await Promise.all([pool.sql`select 1`, globalPool.sql`select 1`]);
        const regionKey = keyFromRef(region.keyRef, config.env);
        const rules = new IdentityRulesStore(globalPool.db);
        await rules.refresh();
        rules.start();
        // Connector syncs write customers' traits through the writer: split under the rules in force.
        const dataSchema = new DataSchemaCache(globalPool.sql);
        await dataSchema.refresh();
        dataSchema.start();
        // The scheduled passes read the built-in traits: make sure they exist (idempotent).
        await seedBuiltInTraits(globalPool.sql);
        // Merges found while syncing are started from this region's outbox, as ingestion's are.
        const client = await connectClient(config);
        const outbox = new MergeOutbox(client, config.regions, new Map([[region.name, pool.sql]]), (m) =>
          console.error(m),
        );
        outbox.start();
        // Consent propagations committed but not started (Temporal was unreachable from the web
        // process): swept here, where a propagation can progress whenever this worker runs.
        const consentOutbox = new ConsentOutbox(client, config.regions, new Map([[region.name, pool.sql]]), (m) =>
          console.error(m),
        );
        consentOutbox.start();
        // Access packages past their expiry go (with their keys), as the saga deletes its own: a backstop.
        const sweep = () =>
          void sweepExpiredAccessPackages(pool.sql).catch((error: Error) =>
            writeLog(
              config.logFormat,
              { msg: 'access package sweep failed', level: 'warn', region: region.name, error: error.name },
              process.stderr,
            ),
          );
        sweep();
        const sweeper = setInterval(sweep, ACCESS_PACKAGE_SWEEP_MS);
        sweeper.unref();
        stops.push(async () => {
          clearInterval(sweeper);
        });
        stops.push(async () => {
          rules.stop();
          dataSchema.stop();
          await outbox.stop();
          await consentOutbox.stop();
          await client.connection.close();
        });
        const writer = new RegionWriter({
          region: region.name,
          pool,
          globalSql: globalPool.sql,
          regionKey,
          hmacKey: config.identityHmacKey,
          rules: () => rules.rules,
          classification: () => dataSchema.rules,
          onMergesRecorded: () => outbox.poke(),
          audienceChanges: config.audiences,
        });
        // The intake processor: tracked calls acknowledged by the web servers are resolved and written here.
        const intakeProcessor = new IntakeProcessor(pool.sql, regionKey, writer, {
          log: (m) => console.error(m),
          afterWrite: afterTrackedWrite(
            {
              regional: new Map([[region.name, pool.sql]]),
              temporal: client,
              regions: config.regions,
              consentBrandOf: cachedConsentBrandOf(globalPool.sql),
            },
            region.name,
          ),
          classification: async () => (await dataSchema.inForce()).compiled,
        });
        intakeProcessor.start();
        stops.unshift(() => intakeProcessor.stop());
        // The audience processor: segments (and computed traits, rule tags) follow ingest in seconds.
        if (config.audiences) {
          const audiences = new AudienceProcessor(
            pool.sql,
            audienceReactors({
              region: region.name,
              globalSql: globalPool.sql,
              regions: config.regions,
              client,
              regionKey,
              reportingCurrency: config.reportingCurrency,
            }),
            { log: (m) => console.error(m) },
          );
          audiences.start();
          stops.unshift(() => audiences.stop());
          // Windows that slide are re-evaluated by the region's Schedule; a failure here only delays that.
          ensureSegmentMaintenanceSchedule(client, config.regions, region.name).catch((error: Error) =>
            writeLog(
              config.logFormat,
              {
                msg: 'segment maintenance schedule not ensured',
                level: 'warn',
                region: region.name,
                error: error.name,
              },
              process.stderr,
            ),
          );
        }
        // Journey runs start from the membership outbox and the journey event outbox, exactly once.
        const journeyTrigger = new JourneyTrigger(client, config.regions, region.name, pool.sql, globalPool.sql, {
          log: (m) => console.error(m),
        });
        journeyTrigger.start();
        stops.unshift(() => journeyTrigger.stop());
        // Marketing channels (email, SMS, …) for sendMessage, from the configuration.
        const marketing = channelsFromConfig(config, region);
        stops.push(() => marketing.close());
        workers.push(
          await Worker.create({
            ...common,
            // Vendor errors become Temporal failures here, once, for every activity (activities/vendor-failures.ts).
            interceptors: { activity: [vendorFailureInterceptor] },
            activities: createRegionalActivities({
              region,
              regions: config.regions,
              pool,
              workerIdentity: identity,
              regionKey,
              globalSql: globalPool.sql,
              writer,
              fx: new FxRatesCache(globalPool.sql),
              reportingCurrency: config.reportingCurrency,
              importDir: config.importDir,
              exportDir: config.exportDir,
              ...(privacyMailer ? { mailer: privacyMailer } : {}),
              channels: marketing.channels,
              channelCaps: marketing.caps,
              unsubscribe: { publicUrl: config.privacy.publicUrl, signingKeys: config.signingKeys },
              broadcastPerSecond: config.activation.broadcastPerSecond,
              broadcastConcurrency: config.activation.broadcastConcurrency,
            }),
          }),
        );
      }
      writeLog(config.logFormat, {
        msg: 'worker ready',
        region: region.name,
        taskQueue: region.taskQueue,
        pid: process.pid,
      });
    }
    await Promise.all(workers.map((w) => w.run()));
    writeLog(config.logFormat, { msg: 'workers stopped', regions: regions.map((r) => r.name), pid: process.pid });
  } finally {
    await Promise.all(stops.map((stop) => stop()));
    await Promise.all(pools.map((p) => p.close()));
    await connection.close();
  }
}

main().catch((error) => exitWithError('meridian worker', error));
