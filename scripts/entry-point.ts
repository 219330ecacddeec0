import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/**
 * Node flags an entry point runs with unless told otherwise (docs/design/ingestion.md, "Memory of
 * the web process"). The web server allocates much short-lived garbage per request (bodies, parsed
 * calls, sealed rows and their hex parameters) and keeps little: with V8's defaults its heap grew
 * under the ingestion benchmark to about three times what it kept alive, and stayed so until V8's
 * memory reducer ran. A 4 MB semi-space, old-generation growth by 1.5× the live size (not up to 4×)
 * and the memory reducer a second after the load (not 8 s) keep it nearer its live size, at no
 * throughput cost measured (the tighter `--optimize-for-size` cost 5×). The Dockerfile,
 * docker-compose.yml and `npm run web` give the same flags (test/unit/docker-compose.test.ts).
 */
export const DEFAULT_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'web/main.ts': ['--max-semi-space-size=4', '--heap-growing-percent=50', '--gc-memory-reducer-start-delay-ms=1000'],
};

/**
 * Runs a Meridian entry point (`workers/main.ts`, `web/main.ts`, …) as its own Node process, TypeScript
 * via tsx, with its DEFAULT_NODE_FLAGS, then `nodeArgs` (a later flag wins).
 */
export function runEntryPoint(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: SpawnOptions = {},
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    [...(DEFAULT_NODE_FLAGS[entry] ?? []), ...nodeArgs, '--import', 'tsx', path.join(ROOT, entry), ...args],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    },
  );
}
