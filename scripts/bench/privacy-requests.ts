import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import postgres from 'postgres';
import { SMTPServer } from 'smtp-server';
import { databaseUrl } from '../../db/connections';
import { createConnector } from '../../db/connectors-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { dropDatabases, migrateAll } from '../../db/migrate';
import { createPrivacyRequest, verifyPrivacyRequest } from '../../db/privacy-requests-store';
import { loadConfig } from '../../domain/config';
import type { PrivacyRequestWorkflowInput } from '../../domain/workflow-inputs';
import { startKlaviyoEmulator } from '../../test/emulators/klaviyo';
import { startMetaEmulator } from '../../test/emulators/meta';
import { startShopifyEmulator } from '../../test/emulators/shopify';
import { startTwilioEmulator } from '../../test/emulators/twilio';
import { writeWorkflowBundle } from '../../temporal/workflow-bundle';
import { connectClient } from '../../temporal/connection';
import { freePort } from '../../test/support/ports';
import { startPrivacyRequest } from '../../temporal/processes/privacy-request';
import { runEntryPoint } from '../entry-point';
import { startBenchDeployment } from './harness';

/**
 * Privacy-request benchmark: `npm run bench:privacy [-- --requests 1000]`. People seen in eu, us
 * and apac (through the tracking API), each known to four connected systems of their region
 * (Shopify, Klaviyo with its asynchronous deletion, Meta custom audiences, Twilio) besides
 * Meridian's own database: five systems per request. Deletion requests are filed and verified as
 * the portal does (no cooling-off), and the privacyRequest sagas run on real workers. Prints
 * requests/min to completion and the Temporal server's load (CPU seconds, history events).
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 1000);
const REGIONS = ['eu', 'us', 'apac'] as const;
const COUNTRY: Record<(typeof REGIONS)[number], string> = { eu: 'DE', us: 'US', apac: 'JP' };
const SID = `AC${'b2'.repeat(16)}`;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function pidsNamed(prefix: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/comm`, 'utf8').trim().startsWith(prefix);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Waits until the web server answers /ready (every region reachable). */
async function webReady(base: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the web server at ${base} was not ready within 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  // Mail goes to a sink: the benchmark measures the saga, not an SMTP server.
  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData: (stream, _s, done) => {
      stream.resume();
      stream.on('end', () => {
        mails++;
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as { port: number }).port;

  const { temporal, env, dataDir } = await startBenchDeployment(
    'dsar',
    REGIONS,
    {
      MERIDIAN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MERIDIAN_PRIVACY_COOLING_OFF_SECONDS: '0',
      MERIDIAN_WEB_HOST: '127.0.0.1',
      MERIDIAN_WEB_PORT: String(await freePort()),
    },
    { emulators: true },
  );
  env.MERIDIAN_WORKFLOW_BUNDLE = path.join(dataDir, 'workflow-bundle.js');
  await writeWorkflowBundle(env.MERIDIAN_WORKFLOW_BUNDLE!);
  const config = loadConfig(env);
  await migrateAll(config);

  const klaviyo = await startKlaviyoEmulator({ apiKey: 'pk_bench', deletionDelayMs: 500, rateLimit: false });
  const meta = await startMetaEmulator({ accessToken: 'meta-bench', adAccountId: '77' });
  const shopify = await startShopifyEmulator({ accessToken: 'shpat_bench', shop: 'bench-privacy' });
  shopify.throttle(false);
  const twilio = await startTwilioEmulator({ accountSid: SID, authToken: 'twilio-bench' });
  const workers = [
    runEntryPoint('workers/main.ts', ['--regions', 'global'], env),
    ...REGIONS.map((r) => runEntryPoint('workers/main.ts', ['--regions', r], env)),
  ];
  for (const w of workers) w.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  let client: Client | undefined;
  // The web server runs as its own process, as under `npm start`: the admin and tracking APIs seed the people.
  const web = runEntryPoint('web/main.ts', [], env);
  web.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const globalSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_global_${env.MERIDIAN_DB_SUFFIX}`), {
    max: 2,
    onnotice: () => {},
  });
  try {
    client = await connectClient(config);
    const base = `http://127.0.0.1:${env.MERIDIAN_WEB_PORT}`;
    await webReady(base);
    const admin = async (method: string, url: string, body: unknown) => {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${config.adminTokens[0]!.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };

    console.log(`seeding ${REQUESTS} people across ${REGIONS.join(', ')} and their connected systems …`);
    const people = Array.from({ length: REQUESTS }, (_, i) => ({
      region: REGIONS[i % REGIONS.length]!,
      email: `bench.person${i}@example.com`,
      phone: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`,
      shopifyId: 8_100_000_000 + i,
    }));
    const audience = String(9_000_000 + 1);
    meta.createAudience(
      audience,
      people.map((p) => ({ email: p.email, phone: p.phone })),
    );
    shopify.addCustomers(people.map((p) => ({ id: p.shopifyId, email: p.email })));
    for (const p of people) klaviyo.seedProfile({ email: p.email, subscribed: true });
    twilio.seedMessages(people.map((p) => ({ to: p.phone, from: '+14155550000', body: 'Your order shipped' })));
    for (const region of REGIONS) {
      const source = await admin('POST', '/admin/sources', { name: `bench ${region}`, region, kind: 'server' });
      const batch = people
        .filter((p) => p.region === region)
        .map((p, i) => ({
          type: 'identify',
          userId: `bench-${region}-${i}`,
          traits: { email: p.email, phone: p.phone },
          context: {
            location: { country: COUNTRY[region] },
            externalIds: [{ id: String(p.shopifyId), type: 'shopify_customer', encoding: 'none', collection: 'users' }],
          },
        }));
      for (let i = 0; i < batch.length; i += 500) {
        const res = await fetch(`${base}/v1/batch`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Basic ${Buffer.from(`${source.writeKey}:`).toString('base64')}`,
          },
          body: JSON.stringify({ batch: batch.slice(i, i + 500) }),
        });
        if (!res.ok) throw new Error(`seeding ${region}: ${res.status}`);
      }
      const key = keyFromRef(config.regions.region(region).keyRef, env);
      const regionalSql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_${region}_${env.MERIDIAN_DB_SUFFIX}`), {
        max: 1,
        onnotice: () => {},
      });
      await regionalSql`select 1`;
      await globalSql`select 1`;
      const connectors = [
        {
          id: `${region}_shop`,
          system: 'shopify',
          settings: { shopUrl: shopify.baseUrl, timeZone: 'UTC' },
          credentials: { accessToken: 'shpat_bench' },
        },
        {
          id: `${region}_klaviyo`,
          system: 'klaviyo',
          settings: { baseUrl: klaviyo.baseUrl, deletionCheckSeconds: 1, jobCheckSeconds: 1 },
          credentials: { apiKey: 'pk_bench' },
        },
        {
          id: `${region}_meta`,
          system: 'meta_audiences',
          settings: { baseUrl: meta.baseUrl, adAccountId: '77', audienceIds: [audience] },
          credentials: { accessToken: 'meta-bench' },
        },
        {
          id: `${region}_twilio`,
          system: 'twilio',
          settings: { accountSid: SID, baseUrl: twilio.baseUrl },
          credentials: { authToken: 'twilio-bench' },
        },
      ];
      for (const c of connectors)
        await createConnector(globalSql, { sql: regionalSql, key }, { ...c, name: c.id, region });
      await regionalSql.end();
    }

    const temporalPid = pidsNamed('temporal')[0];
    const cpuBefore = temporalPid ? cpuSeconds(temporalPid) : 0;
    const started = performance.now();
    const handles = [];
    // Filed and verified exactly as the portal does, then the saga started as the verify route does.
    for (const p of people) {
      const regional = config.regions.region(p.region);
      const sql = postgres(databaseUrl(env.DATABASE_URL!, `cdp_${p.region}_${env.MERIDIAN_DB_SUFFIX}`), {
        max: 1,
        onnotice: () => {},
      });
      const created = await createPrivacyRequest(
        sql,
        {
          regionKey: keyFromRef(regional.keyRef, env),
          hmacKey: config.identityHmacKey,
          signingKeys: config.signingKeys,
        },
        { type: 'deletion', email: p.email, country: COUNTRY[p.region], locale: 'en' },
      );
      if ((await verifyPrivacyRequest(sql, config.signingKeys, created.id, created.code)).result !== 'verified')
        throw new Error('verification failed');
      await sql.end();
      const input: PrivacyRequestWorkflowInput = {
        requestId: created.id,
        region: p.region,
        type: 'deletion',
        dueDate: created.dueDate,
        coolingOffSeconds: 0,
        queues: Object.fromEntries(config.regions.dataRegions.map((r) => [r.name, r.taskQueue])),
      };
      handles.push(await startPrivacyRequest(client, config.regions, input));
    }
    const filedSeconds = (performance.now() - started) / 1000;
    const results = await Promise.all(handles.map((h) => h.result() as Promise<{ status: string }>));
    const seconds = (performance.now() - started) / 1000;
    const temporalCpu = temporalPid ? cpuSeconds(temporalPid) - cpuBefore : NaN;
    const statuses: Record<string, number> = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    let historyEvents = 0;
    for await (const execution of client.workflow.list({ query: 'MeridianProcessKind = "privacyRequest"' }))
      historyEvents += execution.historyLength;

    console.log(`
Meridian privacy-request benchmark (${new Date().toISOString()})
  ${REQUESTS} deletion requests, people in ${REGIONS.join(', ')}, 5 systems each (Meridian DB, Shopify, Klaviyo async deletion, Meta audiences, Twilio)
  filed and verified in ${filedSeconds.toFixed(1)} s; all finished in ${seconds.toFixed(1)} s: ${statuses.completed ?? 0} completed ${JSON.stringify(statuses)}
  throughput          ${((REQUESTS / seconds) * 60).toFixed(0)} requests/min to completion
  Temporal server     ${temporalCpu.toFixed(1)} CPU seconds (${(temporalCpu / seconds).toFixed(2)} cores on average), ${historyEvents} history events (${(historyEvents / REQUESTS).toFixed(0)} per request)
  completion emails   ${mails}`);
  } finally {
    for (const w of [web, ...workers]) w.kill('SIGTERM');
    await Promise.all(
      [web, ...workers].map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)),
    );
    await client?.connection.close();
    await globalSql.end();
    await Promise.all([klaviyo.close(), meta.close(), shopify.close(), twilio.close()]);
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await dropDatabases(config);
    await temporal.teardown();
  }
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
