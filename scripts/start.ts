import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { describePostgresError, openGlobalPool } from '../db/connections';
import { migrateAll } from '../db/migrate';
import { isLoopbackHost, loadConfig, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { MERIDIAN_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { writeWorkflowBundle } from '../temporal/workflow-bundle';
import { loadDevSecrets } from '../startup/dev-secrets';
import { explainStartupError } from '../startup/fatal';
import { connectClient } from '../temporal/connection';
import { devServerArgs, spawnDevServer, waitForTemporal } from './dev-server';
import { choosePostgres, PostgresChoice } from './embedded-postgres';
import { runEntryPoint } from './entry-point';
import { startDevMailbox } from './dev-mailbox';
import { DEMO_CONNECTOR_ID, seedDemoConnector, seedDemoData } from './demo-data';
import { importFxHistory } from './fx-import';
import { COMPUTED_TRAITS_EVERY, ensureComputedTraitsSchedules } from '../temporal/processes/computed-traits';
import { ensurePredictionsSchedules } from '../temporal/processes/predictions';
import { ensureLoyaltySchedules, LOYALTY_MAINTENANCE_EVERY } from '../temporal/processes/loyalty';
import { ensureFxSchedule, FX_SCHEDULE_ID } from '../temporal/processes/fx-rates-sync';
import { ensureInsightsSchedule, INSIGHTS_SCHEDULE_ID } from '../temporal/processes/insights';
import { startRegionHealth } from '../temporal/processes/region-health';
import { describeCli, ensureTemporalCli } from './temporal-cli';
import { ensureConsoleBuilt } from './console-build';

/**
 * `npm start`: one supervisor for a developer's whole Meridian — PostgreSQL (DATABASE_URL, the
 * server on 127.0.0.1:5432, or an embedded one), the Temporal CLI (found or built), migrations,
 * the Temporal dev server, one worker process per region, the web server, and a first
 * regionHealth workflow as demo data. Ctrl-C stops them in order: web, workers (draining
 * in-flight work), Temporal, then an embedded PostgreSQL.
 */

const RESTART_LIMIT = 5;

const step = (text: string) => console.log(`\u2713 ${text}`);
const info = (text: string) => console.log(`  ${text}`);

class StartError extends Error {}

async function assertPortFree(host: string, port: number, what: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new StartError(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already taken: is Meridian already running? Stop it, or set ${envVar} to a free port`
            : `cannot use port ${port} (${what}): ${error.message}`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

interface Supervised {
  name: string;
  child: ChildProcess;
  restarts: number[];
  stopping: boolean;
}

class Supervisor {
  private readonly children: Supervised[] = [];
  private temporal?: { stop(): Promise<void>; kill(): void };
  private postgres?: Pick<PostgresChoice, 'stop' | 'kill' | 'kind'>;
  shuttingDown = false;
  /** The environment children start with (set once PostgreSQL and the mailbox are known). */
  env: NodeJS.ProcessEnv = process.env;

  setPostgres(postgres: Pick<PostgresChoice, 'stop' | 'kill' | 'kind'>) {
    this.postgres = postgres;
  }

  setTemporal(stop: () => Promise<void>, kill: () => void = () => {}) {
    this.temporal = { stop, kill };
  }

  run(name: string, entry: string, args: string[] = []): Supervised {
    // Ctrl-C during start-up: start nothing more (the shutdown under way would not stop it).
    if (this.shuttingDown) throw new StartError(`not starting ${name}: Meridian is stopping`);
    // Own process group: Ctrl-C reaches only the supervisor, which stops children in order.
    const launch = () => runEntryPoint(entry, args, this.env, { detached: true });
    const s: Supervised = { name, child: launch(), restarts: [], stopping: false };
    const attach = () => {
      prefixLines(s.child.stdout!, name, process.stdout);
      prefixLines(s.child.stderr!, name, process.stderr);
      s.child.once('exit', (code, signal) => {
        if (s.stopping || this.shuttingDown) return;
        const now = Date.now();
        s.restarts = s.restarts.filter((t) => now - t < 60_000);
        if (s.restarts.length >= RESTART_LIMIT) {
          console.error(
            `${name} exited ${RESTART_LIMIT} times within a minute; stopping Meridian (see its output above)`,
          );
          void this.shutdown(1);
          return;
        }
        s.restarts.push(now);
        const delay = 1000 * 2 ** (s.restarts.length - 1);
        console.error(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s`);
        setTimeout(() => {
          if (this.shuttingDown) return;
          s.child = launch();
          attach();
        }, delay);
      });
    };
    attach();
    this.children.push(s);
    return s;
  }

  private stopping?: Promise<void>;

  /**
   * Stops everything in order, once. npm and tsx relay Ctrl-C, so the signal may arrive more
   * than once: later calls wait for the first.
   */
  async shutdown(exitCode = 0): Promise<never> {
    this.stopping ??= (async () => {
      this.shuttingDown = true;
      console.log('\nstopping Meridian…');
      const web = this.children.filter((c) => c.name === 'web');
      const others = this.children.filter((c) => c.name !== 'web');
      await Promise.all(web.map((c) => stopChild(c)));
      await Promise.all(others.map((c) => stopChild(c)));
      if (this.temporal) await this.temporal.stop();
      if (this.postgres) {
        await this.postgres.stop();
        if (this.postgres.kind === 'embedded') console.log('  postgres stopped');
      }
      console.log('stopped.');
    })();
    await this.stopping;
    process.exit(exitCode);
  }

  /** Last resort when the supervisor itself dies: take the children with it. */
  killAll(): void {
    for (const c of this.children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    this.temporal?.kill();
    this.postgres?.kill();
  }
}

async function stopChild(s: Supervised, graceMs = 35_000): Promise<void> {
  s.stopping = true;
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  console.log(`  ${s.name} stopped`);
}

function prefixLines(stream: NodeJS.ReadableStream, name: string, out: NodeJS.WriteStream): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) out.write(`[${name}] ${line}\n`);
  });
}

async function startTemporal(config: MeridianConfig, supervisor: Supervisor, codecEndpoint: string): Promise<void> {
  const [host, portText] = config.temporal.address.split(':') as [string, string];
  const dataDir = path.resolve(config.dataDir);
  const options = {
    ip: host,
    port: Number(portText),
    uiPort: config.temporal.uiPort,
    namespace: config.temporal.namespace,
    dbFile: path.join(dataDir, 'temporal.db'),
    logFile: path.join(dataDir, 'temporal.log'),
    codecEndpoint,
  };

  const cli = await ensureTemporalCli({ progress: info });
  step(describeCli(cli));

  if (cli.kind === 'binary') {
    const child = spawnDevServer(cli.path, options);
    supervisor.setTemporal(
      async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
        console.log('  temporal stopped');
      },
      () => child.kill('SIGKILL'),
    );
    await waitForTemporal(config.temporal.address, config.temporal.namespace, {
      timeoutMs: 60_000,
      process: child,
      logFile: options.logFile,
    });
  } else {
    // Last resort: the SDK downloads a dev server build itself (needs internet access).
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: options.ip,
        port: options.port,
        ui: true,
        uiPort: options.uiPort,
        namespace: options.namespace,
        dbFilename: options.dbFile,
        searchAttributes: [...MERIDIAN_SEARCH_ATTRIBUTES],
        extraArgs: ['--ui-codec-endpoint', codecEndpoint],
      },
    }).catch((error: Error) => {
      throw new StartError(
        `no Temporal CLI: none found, Go is not installed, and the SDK's download failed (${error.message.split('\n')[0]}). ` +
          'Install Go and run npm start again (it builds the CLI), or set TEMPORAL_CLI_PATH to a temporal binary',
      );
    });
    supervisor.setTemporal(() => env.teardown());
  }
  step(
    `Temporal dev server on ${config.temporal.address}, namespace "${config.temporal.namespace}" (state ${options.dbFile}, log ${options.logFile})`,
  );
  if (process.env.DEBUG) info(`temporal ${devServerArgs(options).join(' ')}`);
}

async function waitForWeb(url: string, timeoutMs: number): Promise<{ ok: boolean; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = { ok: false, body: 'no answer' };
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      last = { ok: res.ok, body: await res.text() };
      if (res.ok) return last;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return last;
}

/** Why the public /ready says no: the per-region report from the operator listener. */
async function readinessDetails(operatorUrl: string, config: MeridianConfig): Promise<string> {
  try {
    const res = await fetch(`${operatorUrl}/ready`, {
      headers: { authorization: `Bearer ${config.operator.tokens[0] ?? ''}` },
    });
    const body = (await res.json()) as {
      regions?: { region: string; database: { error?: string }; temporal: { error?: string } }[];
      error?: string;
    };
    if (!body.regions) return body.error ?? `operator listener answered ${res.status}`;
    const failing = body.regions.flatMap((r) => [
      ...(r.database.error ? [`${r.region} database: ${r.database.error}`] : []),
      ...(r.temporal.error ? [`${r.region} Temporal: ${r.temporal.error}`] : []),
    ]);
    return failing.join('; ') || 'every check passes now';
  } catch (error) {
    return `the operator listener at ${operatorUrl} did not answer (${(error as Error).message})`;
  }
}

async function main(): Promise<void> {
  console.log('Meridian: starting everything (Ctrl-C stops it all)');
  const secrets = loadDevSecrets({ create: true });
  if (secrets?.created) info(`made development keys in ${secrets.file} (never use them in production)`);
  const config = loadConfig();
  const dataDir = path.resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  step(`config: regions ${config.regions.regions.map((r) => r.name).join(', ')}`);

  const [temporalHost, temporalPort] = config.temporal.address.split(':') as [string, string];
  await assertPortFree(temporalHost, Number(temporalPort), 'Temporal', 'TEMPORAL_ADDRESS');
  await assertPortFree(temporalHost, config.temporal.uiPort, 'Temporal UI', 'TEMPORAL_UI_PORT');
  await assertPortFree(config.web.host, config.web.port, 'web', 'MERIDIAN_WEB_PORT');
  await assertPortFree(
    config.operator.host,
    config.operator.port,
    'operator: codec and readiness',
    'MERIDIAN_OPERATOR_PORT',
  );
  step(
    `ports free: ${temporalPort} (Temporal), ${config.temporal.uiPort} (Temporal UI), ${config.web.port} (web), ` +
      `${config.operator.port} (operator)`,
  );

  const operatorUrl = `http://${config.operator.host === '0.0.0.0' ? '127.0.0.1' : config.operator.host}:${config.operator.port}`;
  // The dev server's UI has no login, so it cannot send the operator token: on a loopback
  // operator listener its origin is let in without one (development only; docs/security.md).
  const trustLocalUi =
    process.env.MERIDIAN_OPERATOR_TRUST_LOCAL_UI ?? (isLoopbackHost(config.operator.host) ? '1' : '0');
  const supervisor = new Supervisor();
  process.on('SIGINT', () => void supervisor.shutdown(0));
  process.on('SIGTERM', () => void supervisor.shutdown(0));
  process.on('exit', () => supervisor.killAll());
  try {
    const pg = await choosePostgres({
      dataDir: path.join(dataDir, 'pg'),
      logFile: path.join(dataDir, 'postgres.log'),
      track: (server) =>
        supervisor.setPostgres({ kind: 'embedded', stop: () => server.stop(), kill: () => server.kill() }),
    }).catch((error: Error) => {
      throw new StartError(error.message);
    });
    supervisor.setPostgres(pg);
    step(pg.line);
    // Every process started from here (workers, web) uses the same server.
    process.env.DATABASE_URL = pg.url;
    config.databaseUrl = pg.url;

    const reports = await migrateAll(config).catch((error) => {
      throw new StartError(describePostgresError(error, config.databaseUrl));
    });
    step(`databases migrated: ${reports.map((r) => `${r.database}${r.created ? ' (new)' : ''}`).join(', ')}`);

    const webUrl = `http://${config.web.host === '0.0.0.0' ? '127.0.0.1' : config.web.host}:${config.web.port}`;
    // Privacy emails (verification codes, notices) go to a local mailbox unless a real server is set.
    const mailbox = config.privacy.smtpUrl ? undefined : await startDevMailbox(path.join(dataDir, 'mail'));
    if (mailbox) step(`mail: privacy emails are kept in ${mailbox.dir} (set MERIDIAN_SMTP_URL to send them)`);
    supervisor.env = {
      ...process.env,
      // Short human log lines for a developer; production (and MERIDIAN_LOG_FORMAT=json) keeps JSON.
      MERIDIAN_LOG_FORMAT: process.env.MERIDIAN_LOG_FORMAT ?? 'pretty',
      MERIDIAN_WORKFLOW_BUNDLE: path.join(dataDir, 'workflow-bundle.js'),
      MERIDIAN_OPERATOR_TRUST_LOCAL_UI: trustLocalUi,
      ...(mailbox ? { MERIDIAN_SMTP_URL: mailbox.url } : {}),
    };
    await startTemporal(config, supervisor, `${operatorUrl}/codec`);

    await writeWorkflowBundle(path.join(dataDir, 'workflow-bundle.js'));
    step('workflows bundled once for all workers');
    step(`console ${await ensureConsoleBuilt()} (served at ${webUrl}/console)`);

    for (const region of config.regions.regions)
      supervisor.run(`worker-${region.name}`, 'workers/main.ts', ['--regions', region.name]);
    supervisor.run('web', 'web/main.ts');
    const ready = await waitForWeb(`${webUrl}/ready`, 90_000);
    if (!ready.ok)
      throw new StartError(`Meridian did not become ready within 90s: ${await readinessDetails(operatorUrl, config)}`);
    step('workers and web are up; /ready says every region is reachable');

    const client = await connectClient(config);
    step(
      `schedule ${FX_SCHEDULE_ID} ${await ensureFxSchedule(client, config)} (ECB rates, business days 16:30 Europe/Berlin)`,
    );
    step(
      `schedule ${INSIGHTS_SCHEDULE_ID} ${await ensureInsightsSchedule(client, config)} (HQ insight aggregates, hourly)`,
    );
    const traitSchedules = await ensureComputedTraitsSchedules(client, config);
    step(
      `schedules computed-traits-<region> every ${COMPUTED_TRAITS_EVERY} (${Object.entries(traitSchedules)
        .map(([r, o]) => `${r} ${o}`)
        .join(', ')}); predictions-<region> daily 02:30 UTC (${Object.entries(
        await ensurePredictionsSchedules(client, config),
      )
        .map(([r, o]) => `${r} ${o}`)
        .join(', ')})`,
    );
    step(
      `schedules loyalty-maintenance-<region> every ${LOYALTY_MAINTENANCE_EVERY} (${Object.entries(
        await ensureLoyaltySchedules(client, config),
      )
        .map(([r, o]) => `${r} ${o}`)
        .join(', ')})`,
    );
    const fxSql = openGlobalPool(config, config.regions.region(GLOBAL_REGION), { max: 1 });
    const fx = await importFxHistory(fxSql.sql).finally(() => fxSql.close());
    step(
      fx.imported ? `demo: ${fx.days} days of ECB reference rates imported` : `FX history not imported: ${fx.reason}`,
    );
    const handle = await startRegionHealth(client, config);
    const result = await handle.result();
    step(
      `demo: ${handle.workflowId} probed ${result.regions.map((r) => `${r.region} (${r.latencyP50Ms.toFixed(1)} ms)`).join(', ')}`,
    );
    await client.connection.close();

    const adminToken = config.adminTokens[0]?.token;
    if (adminToken) {
      const demo = await seedDemoData(webUrl, adminToken);
      step(
        demo.created
          ? `demo: 3 sources (eu, us, apac) and ${demo.events} events sent through /v1/batch`
          : 'demo: sources and events from an earlier start are there',
      );
      const pos = await seedDemoConnector(webUrl, adminToken, path.join(dataDir, 'imports'));
      step(
        pos.created
          ? `demo: connector ${DEMO_CONNECTOR_ID} (Shift_JIS POS export, apac) synced: ${pos.status}, ${pos.orders} orders, ${pos.rejected} row rejected; schedule sync-${DEMO_CONNECTOR_ID} every 6h`
          : `demo: connector ${DEMO_CONNECTOR_ID} from an earlier start is there`,
      );
    }

    const ui = `http://localhost:${config.temporal.uiPort}`;
    console.log(`
  Temporal UI   ${ui}/namespaces/${config.temporal.namespace}/workflows
  Web           ${webUrl}/ready
  Operator      ${operatorUrl}/ready  (per-region report; token: MERIDIAN_OPERATOR_TOKENS in ${path.join(dataDir, 'dev-secrets.env')})
  Codec         ${operatorUrl}/codec  (operator listener, loopback only; already set in the Temporal UI)
  Tracking API  ${webUrl}/v1/batch  (Segment-compatible; write keys: npm run sources -- list)
  Admin API     ${webUrl}/admin/sources  (token: MERIDIAN_ADMIN_TOKENS in ${path.join(dataDir, 'dev-secrets.env')})
  Privacy       ${webUrl}/privacy  (portal; emails ${mailbox ? `in ${mailbox.dir}` : `via ${config.privacy.smtpUrl}`})
  OpenAPI       ${webUrl}/openapi.json  (tracking, admin and privacy APIs, OpenAPI 3.1)
  Console       ${webUrl}/console  (console users: docs/design/console.md)

Meridian is running. Ctrl-C stops it.`);
  } catch (error) {
    // Once Ctrl-C was pressed, a step failing (Temporal gone, a child refused) is the shutdown's doing.
    if (supervisor.shuttingDown) return;
    console.error(`meridian: ${explainStartupError(error)}`);
    if (process.env.DEBUG) console.error(error);
    await supervisor.shutdown(1);
  }
}

main().catch((error) => {
  console.error(`meridian: ${explainStartupError(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
});
