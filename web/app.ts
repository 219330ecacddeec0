import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Sql } from 'postgres';
import { cachedConsentBrandOf } from '../db/brands-store';
import { openGlobalPool, openRegionalPool, openRegionSql } from '../db/connections';
import { seedBuiltInTraits } from '../db/computed-traits-store';
import { keyFromRef } from '../db/crypto-shredding';
import { IdentityRulesStore } from '../db/identity-rules-store';
import { DataSchemaCache } from '../db/data-schema-store';
import { SourceCache } from '../db/sources';
import { FxRatesCache } from '../db/fx-rates-store';
import type { TrackingDeps } from './tracking/routes';
import { WebhookSourceCache } from './tracking/webhook';
import type { MeridianConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { createMailer } from '../mail/mailer';
import { createPrivacyMailer } from '../mail/privacy-mailer';
import { buildOperatorServer } from './operator';
import { CHECK_STATEMENT_TIMEOUT_MS, CHECK_TIMEOUT_MS, ReadinessProbe } from './readiness';
import { buildServer, WebDeps } from './server';
import { CONSOLE_DIST_DIR } from './console';
import { MergeOutbox } from '../temporal/merge-outbox';
import { ConsentOutbox } from '../temporal/consent-outbox';
import { SourceRateLimiter } from './tracking/rate-limit';
import { AllowedOriginIndex } from './tracking/cors';
import { RegionWriter } from '../db/region-writer';
import { IntakeLog } from '../db/intake-log';
import { IntakeProcessor } from '../db/intake-processor';
import { afterTrackedWrite } from '../temporal/tracked-consent-signals';
import { SharedRateLimiter } from './request-limits';
import type { SnsHttp } from './channels/sns-certificates';
import { ping } from '../db/connections';

/**
 * Meridian's web server with everything it serves: on the public listener (`app`) ingestion (a
 * writer per region), admin, the privacy portal, health and a bare readiness; on the operator
 * listener (`operator`) the codec and the detailed readiness report. Owns its pools; close()
 * drains in-flight writes first.
 */
export interface MeridianWeb {
  app: FastifyInstance;
  operator: FastifyInstance;
  writers: ReadonlyMap<string, RegionWriter>;
  /** The regions' intake logs (what the tracking API acknowledges). */
  intake: ReadonlyMap<string, IntakeLog>;
  /** The in-process intake processors, when `processIntake` was asked for. */
  intakeProcessors: ReadonlyMap<string, IntakeProcessor>;
  outbox: MergeOutbox;
  consentOutbox: ConsentOutbox;
  close(): Promise<void>;
}

export async function createMeridianWeb(
  config: MeridianConfig,
  temporal: Client,
  options: {
    logger?: FastifyServerOptions['logger'];
    poolSize?: number;
    onRoute?: WebDeps['onRoute'];
    /**
     * Also run each region's intake processor in this process (tests, a one-process deployment).
     * Normally the regional workers run it (workers/main.ts); several may run at once.
     */
    processIntake?: boolean;
    /** How the SNS email-events route reaches AWS (web/channels/sns-certificates.ts); tests give an emulator. */
    snsHttp?: SnsHttp;
  } = {},
): Promise<MeridianWeb> {
  const globalRegion = config.regions.region(GLOBAL_REGION);
  const globalPool = openGlobalPool(config, globalRegion, {
    max: options.poolSize ?? 10,
    applicationName: 'meridian-web',
  });
  const regional = config.regions.dataRegions.map((region) => ({
    region,
    pool: openRegionalPool(config, region, { max: options.poolSize ?? 10, applicationName: 'meridian-web' }),
    key: keyFromRef(region.keyRef, config.env),
  }));
  await Promise.all([ping(globalPool.sql), ...regional.map((r) => ping(r.pool.sql))]);

  const rules = new IdentityRulesStore(globalPool.db);
  await rules.refresh();
  rules.start();
  const dataSchema = new DataSchemaCache(globalPool.sql);
  await dataSchema.refresh();
  dataSchema.start();
  // The built-in computed traits exist before anyone lists or segments on them (idempotent).
  await seedBuiltInTraits(globalPool.sql);

  const regionalSql = new Map<string, Sql>(regional.map((r) => [r.region.name, r.pool.sql]));
  const outbox = new MergeOutbox(temporal, config.regions, regionalSql, (m) => console.error(m));
  const writers = new Map(
    regional.map((r) => [
      r.region.name,
      new RegionWriter({
        region: r.region.name,
        pool: r.pool,
        globalSql: globalPool.sql,
        regionKey: r.key,
        hmacKey: config.identityHmacKey,
        rules: () => rules.rules,
        classification: () => dataSchema.rules,
        onMergesRecorded: () => outbox.poke(),
        audienceChanges: config.audiences,
      }),
    ]),
  );
  outbox.start();
  const consentDeps = {
    regional: regionalSql,
    temporal,
    regions: config.regions,
    consentBrandOf: cachedConsentBrandOf(globalPool.sql),
  };
  const intakeProcessors = new Map<string, IntakeProcessor>();
  if (options.processIntake || config.intakeAck === 'processed') {
    for (const r of regional) {
      const processor = new IntakeProcessor(r.pool.sql, r.key, writers.get(r.region.name)!, {
        log: (m) => console.error(m),
        afterWrite: afterTrackedWrite(consentDeps, r.region.name),
        classification: async () => (await dataSchema.inForce()).compiled,
      });
      processor.start();
      intakeProcessors.set(r.region.name, processor);
    }
  }
  const intake = new Map(
    regional.map((r) => [
      r.region.name,
      new IntakeLog({
        sql: r.pool.sql,
        regionKey: r.key,
        onAppended: () => intakeProcessors.get(r.region.name)?.poke(),
        ...(config.intakeAck === 'processed'
          ? {
              awaitProcessed: {
                timeoutMs: 30_000,
                settled: (through: number) => intakeProcessors.get(r.region.name)?.settledThrough(through) ?? true,
              },
            }
          : {}),
      }),
    ]),
  );
  // Consent propagations whose start failed after their commit (see temporal/consent-outbox.ts).
  const consentOutbox = new ConsentOutbox(temporal, config.regions, regionalSql, (m) => console.error(m));
  consentOutbox.start();

  // Readiness has one connection per region of its own, with timeouts: see web/readiness.ts.
  const readiness = new ReadinessProbe(
    config.regions.regions.map((region) => ({
      name: region.name,
      taskQueue: region.taskQueue,
      intake: region.name !== GLOBAL_REGION,
      openSql: () =>
        openRegionSql(config, region, {
          max: 1,
          applicationName: 'meridian-readiness',
          connectTimeoutSeconds: Math.ceil(CHECK_TIMEOUT_MS / 1000),
          statementTimeoutMs: CHECK_STATEMENT_TIMEOUT_MS,
        }),
    })),
    temporal,
  );

  const privacyMailer = createPrivacyMailer(config);
  // A template's test send goes out as the channel sends marketing email: the same server and From.
  const testMailer = config.activation.smtpUrl
    ? createMailer({
        smtpUrl: config.activation.smtpUrl,
        from: config.activation.mailFrom,
        timeoutMs: config.activation.smtpTimeoutMs,
      })
    : undefined;
  const portalLimiter = new SharedRateLimiter(globalPool.sql, config.signingKeys);
  portalLimiter.startSweeping((m) => console.error(m));
  const regionalAccess = new Map(regional.map((r) => [r.region.name, { sql: r.pool.sql, key: r.key }]));
  const operator = await buildOperatorServer({
    codec: new AesGcmPayloadCodec(config.payloadKeys),
    access: { ...config.operator, namespace: config.temporal.namespace },
    readiness,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const sourceCache = new SourceCache(globalPool.db);
  const regionKeys = new Map(regional.map((r) => [r.region.name, r.key]));
  const webhookCache = new WebhookSourceCache(globalPool.db, regionKeys);
  const tracking: TrackingDeps = {
    sources: sourceCache,
    writers,
    intake,
    rateLimiter: new SourceRateLimiter(config.ingestRatePerSource, Date.now, {
      bytesPerSecond: config.ingestBytesPerSource,
    }),
    consent: consentDeps,
    origins: new AllowedOriginIndex(globalPool.db),
    publicUrl: config.privacy.publicUrl,
  };
  const app = await buildServer({
    readiness,
    ...(options.onRoute ? { onRoute: options.onRoute } : {}),
    trustProxy: config.web.trustProxy,
    publicUrl: config.privacy.publicUrl,
    ...(options.logger ? { logger: options.logger } : {}),
    tracking,
    webhooks: {
      deps: {
        tracking,
        globalDb: globalPool.db,
        regionKeys,
        fx: new FxRatesCache(globalPool.sql),
        reportingCurrency: config.reportingCurrency,
      },
      cache: webhookCache,
    },
    connectorWebhooks: {
      globalSql: globalPool.sql,
      regional: regionalAccess,
      temporal,
      regions: config.regions,
      writers,
      fx: new FxRatesCache(globalPool.sql),
      reportingCurrency: config.reportingCurrency,
    },
    ...(privacyMailer
      ? {
          privacy: {
            regions: config.regions,
            regional: regionalAccess,
            hmacKey: config.identityHmacKey,
            emailRules: () => rules.rules.email,
            signingKeys: config.signingKeys,
            temporal,
            mailer: privacyMailer,
            publicUrl: config.privacy.publicUrl,
            coolingOffSeconds: config.privacy.coolingOffSeconds,
            statusLinkDays: config.privacy.statusLinkDays,
            requestsPerHour: config.privacy.requestsPerHour,
            rateLimiter: portalLimiter,
            consentBrandOf: cachedConsentBrandOf(globalPool.sql),
          },
        }
      : {}),
    channels: {
      regional: new Map(regional.map((r) => [r.region.name, { sql: r.pool.sql }])),
      writers,
      hmacKey: config.identityHmacKey,
      temporal,
      regions: config.regions,
      publicUrl: config.privacy.publicUrl,
      consentBrandOf: cachedConsentBrandOf(globalPool.sql),
      // The account's auth token signs Twilio's callbacks (the same one SMS is sent with: domain/config.ts activation).
      ...(config.activation.twilio ? { twilioAuthToken: config.activation.twilio.authToken } : {}),
      ...(config.channels.emailEventsSecret ? { emailEventsSecret: config.channels.emailEventsSecret } : {}),
      ...(config.channels.sesSnsTopicArns ? { sesSnsTopicArns: config.channels.sesSnsTopicArns } : {}),
      ...(options.snsHttp ? { snsHttp: options.snsHttp } : {}),
    },
    console: {
      globalSql: globalPool.sql,
      rateLimitKey: config.identityHmacKey,
      ...(config.oidc ? { oidc: config.oidc } : {}),
    },
    consoleApp: {
      distDir: CONSOLE_DIST_DIR,
      // Each workflow-backed process links to the Temporal UI: MERIDIAN_TEMPORAL_UI_URL, else the dev server's.
      temporalUiUrl:
        config.env.MERIDIAN_TEMPORAL_UI_URL ??
        `http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}`,
    },
    admin: {
      tokens: config.adminTokens,
      regions: config.regions,
      globalDb: globalPool.db,
      globalSql: globalPool.sql,
      regional: new Map(regional.map((r) => [r.region.name, { sql: r.pool.sql, key: r.key }])),
      hmacKey: config.identityHmacKey,
      rules,
      dataSchema,
      temporal,
      reportingCurrency: config.reportingCurrency,
      onSourceChanged: (sourceId) => {
        sourceCache.forget(sourceId);
        webhookCache.forget(sourceId);
      },
      ...(privacyMailer ? { privacy: { publicUrl: config.privacy.publicUrl, signingKeys: config.signingKeys } } : {}),
      ...(testMailer ? { testMailer } : {}),
    },
  });

  return {
    app,
    operator,
    writers,
    intake,
    intakeProcessors,
    outbox,
    consentOutbox,
    async close() {
      await Promise.all([app.close(), operator.close()]); // stops accepting; in-flight requests finish their commits
      await Promise.all([...intake.values()].map((log) => log.drain()));
      await Promise.all([...intakeProcessors.values()].map((p) => p.stop()));
      await readiness.close();
      rules.stop();
      dataSchema.stop();
      portalLimiter.stop();
      await testMailer?.close();
      await outbox.stop();
      await consentOutbox.stop();
      await Promise.all([globalPool.close(), ...regional.map((r) => r.pool.close())]);
    },
  };
}
