import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root';

/**
 * Finds the `temporal` CLI (which runs Temporal's dev server), in this order:
 *   1. TEMPORAL_CLI_PATH   2. `temporal` on PATH   3. the project's .bin/temporal
 *   4. the machine-wide cache (~/.cache/meridian), shared by every clone on this machine
 *   5. built from source with Go (`go install …@v1.5.1`), into the cache and linked into .bin
 * and otherwise reports that the SDK's own download is the last resort.
 */

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
/** The project-local bin dir holding a link to the CLI; MERIDIAN_BIN_DIR moves it. */
function projectBin(): string {
  return process.env.MERIDIAN_BIN_DIR ?? path.join(PROJECT_ROOT, '.bin');
}

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'project .bin' | 'cache' | 'go build' }
  | { kind: 'sdk-download'; reason: string };

export class TemporalCliError extends Error {
  override name = 'TemporalCliError';
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'meridian', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function linkIntoProject(binary: string): void {
  const link = path.join(projectBin(), 'temporal');
  mkdirSync(projectBin(), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(binary, link);
}

export interface EnsureOptions {
  /** Called with one line at a time, for a person watching. */
  progress?: (line: string) => void;
}

export async function ensureTemporalCli({ progress = () => {} }: EnsureOptions = {}): Promise<TemporalCli> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new TemporalCliError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file: fix the path or unset it`);
    }
    return { kind: 'binary', path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { kind: 'binary', path: fromPath, source: 'PATH' };

  const local = path.join(projectBin(), 'temporal');
  if (isExecutable(local)) return { kind: 'binary', path: local, source: 'project .bin' };

  const cached = path.join(cacheDir(), 'temporal');
  if (isExecutable(cached)) {
    linkIntoProject(cached);
    return { kind: 'binary', path: cached, source: 'cache' };
  }

  const go = onPath('go');
  if (!go) {
    return {
      kind: 'sdk-download',
      reason: 'no temporal binary found (TEMPORAL_CLI_PATH, PATH, .bin, cache) and Go is not installed to build one',
    };
  }
  await buildWithGo(go, progress);
  linkIntoProject(cached);
  return { kind: 'binary', path: cached, source: 'go build' };
}

async function buildWithGo(go: string, progress: (line: string) => void): Promise<void> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'build.log');
  progress(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first run on this machine only; a few minutes)`);
  progress(`  go install ${GO_PACKAGE}  (log: ${logFile})`);
  const started = Date.now();
  const log = createWriteStream(logFile);
  const child = spawn(go, ['install', GO_PACKAGE], {
    env: { ...process.env, GOBIN: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let downloads = 0;
  const count = (chunk: Buffer) => {
    downloads += (chunk.toString().match(/go: downloading/g) ?? []).length;
  };
  child.stdout.on('data', count).pipe(log);
  child.stderr.on('data', count).pipe(log);
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    progress(`  … still building (${seconds}s, ${downloads} modules downloaded)`);
  }, 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(ticker);
  if (code !== 0 || !isExecutable(path.join(dir, 'temporal'))) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n    ') : '';
    throw new TemporalCliError(
      `building the Temporal CLI with Go failed (exit ${code}); last lines of ${logFile}:\n    ${tail}\n` +
        '  set TEMPORAL_CLI_PATH to a temporal binary you have, or fix the Go build above',
    );
  }
  progress(`  built in ${Math.round((Date.now() - started) / 1000)}s`);
}

export function describeCli(cli: TemporalCli): string {
  if (cli.kind === 'sdk-download') return `Temporal CLI: none local (${cli.reason}); trying the SDK's download`;
  const version = spawnSync(cli.path, ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  return `Temporal CLI: ${cli.path} (${cli.source}${version ? `, ${version}` : ''})`;
}

if (require.main === module) {
  ensureTemporalCli({ progress: (line) => console.log(line) })
    .then((cli) => {
      console.log(describeCli(cli));
      if (cli.kind === 'sdk-download') process.exitCode = 1;
    })
    .catch((error: Error) => {
      console.error(`temporal CLI: ${error.message}`);
      process.exit(1);
    });
}
