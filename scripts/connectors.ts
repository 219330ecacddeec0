import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import type { Sql } from 'postgres';
import { getBrand } from '../db/brands-store';
import { openGlobalPool, openRegionalPool } from '../db/connections';
import {
  Connector,
  ConnectorConfigError,
  createConnector,
  getConnector,
  listConnectors,
  updateConnector,
} from '../db/connectors-store';
import { CONNECTOR_SYSTEMS } from '../connectors/framework';
import { keyFromRef } from '../db/crypto-shredding';
import { loadConfig, MeridianConfig } from '../domain/config';
import { GLOBAL_REGION } from '../domain/regions';
import { connectorSyncInputSchema, describeInputProblem } from '../domain/workflow-inputs';
import { connectorsWithCredentials, connectorView, listRejections, RegionalAccess } from '../db/connector-views';
import { supplementFxRates } from '../db/fx-rates-store';
import {
  connectorDetails,
  ConnectorDetails,
  connectorScheduleSchema,
  deleteConnectorSchedule,
  pauseConnectorSchedule,
  resumeConnectorSchedule,
  ScheduleSummary,
  startConnectorSync,
  syncStatus,
  SyncStatusView,
  triggerConnectorSchedule,
  upsertConnectorSchedule,
} from '../temporal/processes/connector-sync';
import { loadDevSecrets } from '../startup/dev-secrets';
import { exitWithError } from '../startup/fatal';
import { connectClient } from '../temporal/connection';
import type { SyncProgress, SyncResult } from '../workflows/connector-sync';
import { connectorDefinition } from '../connectors';

/**
 * Connectors, their schedules and syncs, and supplementary FX rates from a shell (the admin API
 * does the same over HTTP: README, "Connectors and scheduled syncs"). Credentials are read from
 * --credentials-env VAR to keep them out of shell history; they are sealed in the connector's
 * region database and never printed.
 */

const USAGE = `usage: npm run connectors -- <command>
  create SYSTEM NAME REGION --settings '<json>' (--credentials '<json>' | --credentials-env VAR) [--id ID] [--brand BRAND]
  update ID [--name NAME] [--brand BRAND] [--settings '<json>'] [--credentials '<json>' | --credentials-env VAR]
  list [--region REGION] [--json]
  show ID [--json]
  schedule ID (--cron "0 3 * * *" | --every 1h) [--tz Europe/Berlin] [--catchup 1h] [--paused] [--note TEXT]
  unschedule ID
  pause ID [NOTE]
  resume ID [NOTE]
  trigger ID
  sync ID [--since ISO | --full] [--streams orders,customers] [--wait]
  backfill ID --since ISO [--streams orders,customers] [--wait]
  rejections ID [--sync SYNC_ID] [--limit N]
  fx-supplement CURRENCY FILE.csv --source "label"     (CSV lines: date,perEur, e.g. 2025-03-14,0.3354)
systems: ${CONNECTOR_SYSTEMS.join(', ')}; credentials and settings per system: see connectors/README.md`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** --brand names an existing brand (GET /admin/brands lists them). */
async function requireBrand(globalSql: Sql, brandId: string | undefined): Promise<void> {
  if (brandId === undefined) return;
  if (!(await getBrand(globalSql, brandId)))
    throw new UsageError(
      `--brand: no brand "${brandId}": create it with POST /admin/brands, or list them with GET /admin/brands`,
    );
}

const usage = (problem?: string) => new UsageError(problem ? `${problem}\n${USAGE}` : USAGE);

function json(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${flag} is not JSON (${(error as Error).message}): quote it in single quotes, e.g. ${flag} '{"key":"value"}'`,
    );
  }
}

function credentialsFrom(values: { credentials?: string; 'credentials-env'?: string }): unknown {
  if (values.credentials !== undefined && values['credentials-env'] !== undefined)
    throw usage('give --credentials or --credentials-env, not both');
  if (values['credentials-env'] !== undefined) {
    const name = values['credentials-env'];
    const text = process.env[name];
    if (text === undefined || text === '')
      throw new UsageError(
        `environment variable ${name} is not set: export it with the credentials JSON, e.g. export ${name}='{"accessToken":"…"}'`,
      );
    return json(`$${name}`, text);
  }
  return values.credentials === undefined ? undefined : json('--credentials', values.credentials);
}

/** Pools and the Temporal client, opened when a command first needs them and closed at the end. */
class Resources {
  private readonly global;
  private readonly regional = new Map<string, ReturnType<typeof openRegionalPool>>();
  private client?: Client;

  constructor(private readonly config: MeridianConfig) {
    this.global = openGlobalPool(config, config.regions.region(GLOBAL_REGION), {
      max: 1,
      applicationName: 'meridian-connectors',
    });
  }

  get globalSql() {
    return this.global.sql;
  }

  region(name: string): RegionalAccess {
    const region = this.config.regions.region(name);
    if (region.name === GLOBAL_REGION)
      throw new UsageError('a connector belongs to a data region (eu, us, apac …), not global');
    let pool = this.regional.get(name);
    if (!pool)
      this.regional.set(
        name,
        (pool = openRegionalPool(this.config, region, { max: 1, applicationName: 'meridian-connectors' })),
      );
    return { sql: pool.sql, key: keyFromRef(region.keyRef, this.config.env) };
  }

  async temporal(): Promise<Client> {
    this.client ??= await connectClient(this.config);
    return this.client;
  }

  async connector(id: string | undefined): Promise<Connector> {
    if (!id) throw usage('name the connector ID');
    const connector = await getConnector(this.global.sql, id);
    if (!connector) throw new UsageError(`connector ${id} does not exist: see npm run connectors -- list`);
    return connector;
  }

  async close(): Promise<void> {
    await this.client?.connection.close();
    await Promise.all([this.global.close(), ...[...this.regional.values()].map((p) => p.close())]);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : '—');

function describeSchedule(s: ScheduleSummary | null): string {
  if (!s)
    return 'none (syncs only when started by hand; add one with: schedule ID --cron "0 3 * * *" --tz Europe/Berlin)';
  const when = s.spec.cron
    ? `cron "${s.spec.cron}"`
    : s.spec.every
      ? `every ${s.spec.every}`
      : JSON.stringify(s.spec.calendars);
  const state = s.paused ? `PAUSED${s.note ? ` (${s.note})` : ''}` : `active${s.note ? ` (${s.note})` : ''}`;
  return `${when} in ${s.timeZone}, catch-up ${s.catchupWindow}, ${state}; next ${s.nextActionTimes.slice(0, 3).map(iso).join(', ') || '—'}`;
}

function printDetails(d: ConnectorDetails): void {
  console.log(`${d.id}  ${d.system}  "${d.name}"  region ${d.region}  credentials ${d.credentials}`);
  console.log(`settings: ${JSON.stringify(d.settings)}`);
  console.log(`schedule: ${describeSchedule(d.schedule)}`);
  for (const a of d.schedule?.recentActions.slice(-3) ?? []) console.log(`  ran ${iso(a.takenAt)}  ${a.workflowId}`);
  console.log('streams:');
  if (d.streams.length === 0) console.log('  (no pass completed yet)');
  for (const s of d.streams)
    console.log(
      `  ${s.stream.padEnd(10)} next pass from ${iso(s.since)}  last pass ${iso(s.lastPassCompletedAt)} (${s.lastPassRecords ?? 0} records)`,
    );
  console.log('recent syncs:');
  if (d.recentSyncs.length === 0) console.log('  (none)');
  for (const r of d.recentSyncs) {
    console.log(
      `  ${iso(r.startedAt)}  ${r.status.padEnd(9)} pages ${r.pages}, customers ${r.customers}, orders ${r.orders}, rejected ${r.rejected}  ${r.workflowId}${r.error ? `\n    ${r.error}` : ''}`,
    );
  }
}

function progressLine(p: SyncProgress | SyncResult | undefined): string {
  if (!p) return 'waiting for the worker';
  const t = p.totals;
  const current = 'stream' in p && p.stream ? p.streams.find((s) => s.stream === p.stream) : undefined;
  const where = current
    ? `${current.stream} page ${current.pageNo}${current.total !== undefined ? ` (${current.records}/${current.total})` : ''} · `
    : '';
  const lag = p.lagSeconds !== undefined ? ` · lag ${p.lagSeconds} s` : '';
  return `${p.status}: ${where}${plural(t.pages, 'page')}, ${plural(t.customers, 'customer')}, ${plural(t.orders, 'order')}, ${t.rejected} rejected${lag}`;
}

/** A schedule call; a connector without a schedule is told how to make one. */
async function onSchedule<T>(connectorId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      throw new UsageError(
        `connector ${connectorId} has no schedule: create one with npm run connectors -- schedule ${connectorId} --cron "0 3 * * *" --tz Europe/Berlin`,
      );
    }
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function watch(r: Resources, connector: Connector, workflowId: string): Promise<SyncStatusView> {
  const client = await r.temporal();
  const sql = r.region(connector.region).sql;
  let last = '';
  for (;;) {
    const view = await syncStatus(client, sql, connector, workflowId);
    const line = progressLine(view.progress);
    if (line !== last) console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);
    last = line;
    if (view.workflowStatus !== 'RUNNING' && view.workflowStatus !== 'CONTINUED_AS_NEW') return view;
    await sleep(2000);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        brand: { type: 'string' },
        name: { type: 'string' },
        settings: { type: 'string' },
        credentials: { type: 'string' },
        'credentials-env': { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        cron: { type: 'string' },
        every: { type: 'string' },
        tz: { type: 'string' },
        catchup: { type: 'string' },
        paused: { type: 'boolean' },
        note: { type: 'string' },
        since: { type: 'string' },
        full: { type: 'boolean' },
        streams: { type: 'string' },
        wait: { type: 'boolean' },
        sync: { type: 'string' },
        limit: { type: 'string' },
        source: { type: 'string' },
      },
    });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;

  loadDevSecrets();
  const config = loadConfig();
  const r = new Resources(config);
  try {
    switch (command) {
      case 'create': {
        const [system, name, region] = positionals;
        if (!system || !name || !region) throw usage('create needs SYSTEM NAME REGION');
        if (values.settings === undefined) throw usage("create needs --settings '<json>'");
        const credentials = credentialsFrom(values);
        const definition = (() => {
          try {
            return connectorDefinition(system);
          } catch (error) {
            throw new UsageError((error as Error).message);
          }
        })();
        if (values.id && (await getConnector(r.globalSql, values.id))) {
          throw new UsageError(
            `connector ${values.id} already exists: change it with npm run connectors -- update ${values.id}, or leave --id out to get a new one`,
          );
        }
        await requireBrand(r.globalSql, values.brand);
        const connector = await createConnector(r.globalSql, r.region(region), {
          system,
          name,
          region: config.regions.region(region).name,
          settings: json('--settings', values.settings),
          credentials: credentials ?? {},
          ...(values.id ? { id: values.id } : {}),
          ...(values.brand ? { brandId: values.brand } : {}),
        });
        console.log(
          `created ${connector.id}: ${definition.label} "${connector.name}" in region ${connector.region} (credentials sealed in the ${connector.region} database)`,
        );
        console.log(
          `next: npm run connectors -- sync ${connector.id} --wait   or   schedule ${connector.id} --cron "0 3 * * *" --tz Europe/Berlin`,
        );
        break;
      }
      case 'update': {
        const connector = await r.connector(positionals[0]);
        const credentials = credentialsFrom(values);
        const change = {
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values.brand !== undefined ? { brandId: values.brand } : {}),
          ...(values.settings !== undefined ? { settings: json('--settings', values.settings) } : {}),
          ...(credentials !== undefined ? { credentials } : {}),
        };
        if (Object.keys(change).length === 0)
          throw usage('update needs --name, --brand, --settings, --credentials or --credentials-env');
        await requireBrand(r.globalSql, values.brand);
        const updated = await updateConnector(r.globalSql, r.region(connector.region), connector.id, change);
        console.log(`updated ${updated!.id}: ${Object.keys(change).join(', ')}`);
        break;
      }
      case 'list': {
        if (values.region) r.region(values.region);
        const connectors = await listConnectors(r.globalSql, values.region);
        const views = [];
        for (const region of new Set(connectors.map((c) => c.region))) {
          const inRegion = connectors.filter((c) => c.region === region);
          const withCredentials = await connectorsWithCredentials(
            r.region(region),
            inRegion.map((c) => c.id),
          );
          views.push(...inRegion.map((c) => connectorView(c, withCredentials.has(c.id))));
        }
        views.sort((a, b) => (a.id < b.id ? -1 : 1));
        if (values.json) console.log(JSON.stringify(views, null, 2));
        else if (views.length === 0)
          console.log(
            'no connectors yet: npm run connectors -- create SYSTEM NAME REGION --settings … --credentials-env VAR',
          );
        else
          for (const v of views)
            console.log(
              `${v.id}  ${v.region.padEnd(6)} ${v.system.padEnd(8)} credentials ${v.credentials.padEnd(7)} ${v.name}`,
            );
        break;
      }
      case 'show': {
        const connector = await r.connector(positionals[0]);
        const details = await connectorDetails(await r.temporal(), r.region(connector.region), connector);
        if (values.json) console.log(JSON.stringify(details, null, 2));
        else printDetails(details);
        break;
      }
      case 'schedule': {
        const connector = await r.connector(positionals[0]);
        const parsedSchedule = connectorScheduleSchema.safeParse({
          ...(values.cron !== undefined ? { cron: values.cron } : {}),
          ...(values.every !== undefined ? { every: values.every } : {}),
          ...(values.tz !== undefined ? { timeZone: values.tz } : {}),
          ...(values.catchup !== undefined ? { catchupWindow: values.catchup } : {}),
          ...(values.paused ? { paused: true } : {}),
          ...(values.note !== undefined ? { note: values.note } : {}),
        });
        if (!parsedSchedule.success) {
          const issue = parsedSchedule.error.issues[0]!;
          const flag =
            { cron: '--cron', every: '--every', timeZone: '--tz', catchupWindow: '--catchup', note: '--note' }[
              String(issue.path[0])
            ] ?? '--cron';
          throw usage(
            `${flag}: ${issue.message.replace('give either "cron" or "every"', 'give either --cron or --every')}`,
          );
        }
        const client = await r.temporal();
        const outcome = await upsertConnectorSchedule(client, config.regions, connector, parsedSchedule.data);
        const details = await connectorDetails(client, r.region(connector.region), connector);
        console.log(`schedule ${outcome}: ${describeSchedule(details.schedule)}`);
        break;
      }
      case 'unschedule': {
        const connector = await r.connector(positionals[0]);
        const client = await r.temporal();
        await onSchedule(connector.id, () => deleteConnectorSchedule(client, connector.id));
        console.log(`deleted the schedule of ${connector.id}; it now syncs only when started by hand`);
        break;
      }
      case 'pause':
      case 'resume': {
        const connector = await r.connector(positionals[0]);
        const note = positionals.slice(1).join(' ') || values.note;
        const client = await r.temporal();
        await onSchedule(connector.id, () =>
          command === 'pause'
            ? pauseConnectorSchedule(client, connector.id, note)
            : resumeConnectorSchedule(client, connector.id, note),
        );
        const details = await connectorDetails(client, r.region(connector.region), connector);
        console.log(`schedule of ${connector.id}: ${describeSchedule(details.schedule)}`);
        break;
      }
      case 'trigger': {
        const connector = await r.connector(positionals[0]);
        const client = await r.temporal();
        await onSchedule(connector.id, () => triggerConnectorSchedule(client, connector.id));
        console.log(
          `triggered the schedule of ${connector.id}: a sync starts now unless one is running; see npm run connectors -- show ${connector.id}`,
        );
        break;
      }
      case 'sync':
      case 'backfill': {
        const connector = await r.connector(positionals[0]);
        if (command === 'backfill' && values.since === undefined)
          throw usage('backfill needs --since ISO, e.g. --since 2025-01-01T00:00:00Z');
        if (command === 'backfill' && values.full)
          throw usage('backfill takes --since; for everything use sync --full');
        const input = connectorSyncInputSchema.safeParse({
          connectorId: connector.id,
          ...(values.since !== undefined ? { since: values.since } : {}),
          ...(values.full ? { full: true } : {}),
          ...(values.streams !== undefined
            ? {
                streams: values.streams
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : {}),
        });
        if (!input.success) throw usage(describeInputProblem(input.error, command).replace(`${command} input: `, '--'));
        const { connectorId: _id, ...options } = input.data;
        const started = await startConnectorSync(await r.temporal(), config.regions, connector, options);
        console.log(
          `started ${started.workflowId} (run ${started.runId})${options.since ? ` from ${options.since}` : options.full ? ', full' : ''}`,
        );
        if (!values.wait) {
          console.log(
            `follow it: npm run connectors -- show ${connector.id}, or GET /admin/connectors/${connector.id}/sync/${started.workflowId}`,
          );
          break;
        }
        console.log('(Ctrl-C stops watching; the sync goes on)');
        const end = await watch(r, connector, started.workflowId);
        const result = end.progress;
        if (end.status === 'completed') {
          console.log(
            `completed: ${plural(result?.totals.customers ?? 0, 'customer')}, ${plural(result?.totals.orders ?? 0, 'order')}, ${result?.totals.rejected ?? 0} rejected in ${plural(result?.totals.pages ?? 0, 'page')}`,
          );
          if ((result?.totals.rejected ?? 0) > 0)
            console.log(`see why: npm run connectors -- rejections ${connector.id} --sync ${result?.syncId}`);
        } else if (end.status === 'skipped') {
          console.log(
            `skipped: another sync of ${connector.id} holds it${result?.heldBy ? ` (${result.heldBy})` : ''}`,
          );
        } else {
          throw new Error(`sync ${end.status}: ${end.error ?? result?.error ?? end.workflowStatus}`);
        }
        break;
      }
      case 'rejections': {
        const connector = await r.connector(positionals[0]);
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usage('--limit must be 1 to 1000');
        const rows = await listRejections(r.region(connector.region).sql, connector.id, {
          limit,
          ...(values.sync ? { syncId: values.sync } : {}),
        });
        if (rows.length === 0) console.log('no rejected records');
        for (const row of rows)
          console.log(
            `${iso(row.rejectedAt)}  ${row.stream} page ${row.pageNo} item ${row.itemNo}  ${row.externalId ?? '(no id)'}: ${row.reason}`,
          );
        break;
      }
      case 'fx-supplement': {
        const [currency, file] = positionals;
        if (!currency || !file) throw usage('fx-supplement needs CURRENCY FILE.csv');
        if (!values.source)
          throw usage(
            'fx-supplement needs --source "where the rates come from", e.g. --source "Central Bank of Kuwait"',
          );
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new UsageError(
            `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a CSV file with lines date,perEur`,
          );
        }
        const items: { date: string; perEur: string; line: number }[] = [];
        text
          .replace(/^\uFEFF/, '')
          .split(/\r?\n/)
          .forEach((raw, index) => {
            const line = raw.trim();
            if (line === '' || line.startsWith('#')) return;
            const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
            if (items.length === 0 && /date/i.test(cells[0] ?? '') && !/^\d/.test(cells[0] ?? '')) return; // a header
            items.push({
              date: cells[0] ?? '',
              perEur: cells.length === 2 ? (cells[1] ?? '') : cells.slice(1).join(','),
              line: index + 1,
            });
          });
        if (items.length === 0)
          throw new UsageError(`${file} holds no rates: write one line per day, date,perEur, e.g. 2025-03-14,0.3354`);
        const outcome = await supplementFxRates(
          r.globalSql,
          currency,
          items.map(({ date, perEur }) => ({ date, perEur })),
          values.source,
        );
        console.log(
          `${outcome.currency}: ${outcome.accepted} accepted (${outcome.stored} new stored, source "${outcome.source}"), ${outcome.rejected.length} rejected`,
        );
        let next = 0;
        for (const item of items) {
          const rejected = outcome.rejected[next];
          if (rejected && rejected.date === item.date && rejected.perEur === item.perEur) {
            console.log(`  line ${item.line}: ${rejected.reason}`);
            next++;
          }
        }
        if (outcome.rejected.length > 0) process.exitCode = 1;
        break;
      }
      default:
        throw usage(`unknown command "${command}"`);
    }
  } finally {
    await r.close();
  }
}

main().catch((error) => {
  if (error instanceof UsageError || error instanceof ConnectorConfigError) {
    console.error(`connectors: ${error.message}`);
    process.exit(1);
  }
  exitWithError('connectors', error);
});
