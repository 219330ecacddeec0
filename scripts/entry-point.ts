import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { BUNDLED_ENTRY_POINTS, bundleEntryPointSync } from './server-bundle';
import { PROJECT_ROOT } from './project-root';

/**
 * Node flags an entry point runs with unless told otherwise (docs/design/ingestion.md, "Memory of
 * the web process"). The web server allocates much short-lived garbage per request (bodies, parsed
 * calls, sealed rows and their hex parameters) and keeps little: with V8's defaults its heap grew
 * under the ingestion benchmark to about three times what it kept alive, and stayed so until V8's
 * memory reducer ran. A 4 MB semi-space, old-generation growth by 1.5× the live size (not up to 4×)
 * and the memory reducer a second after the load (not 8 s) keep it nearer its live size, at no
 * throughput cost measured (the tighter `--optimize-for-size` cost 5×). The Dockerfile,
 * docker-compose.yml, `npm run web` and `npm run worker` give the same flags (test/unit/docker-compose.test.ts).
 */
const KEEP_HEAP_NEAR_LIVE_SIZE = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=50',
  '--gc-memory-reducer-start-delay-ms=1000',
] as const;

export const DEFAULT_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'web/main.ts': KEEP_HEAP_NEAR_LIVE_SIZE,
  // A regional worker's connector sync and intake processor allocate the same way (pages, calls,
  // sealed rows, array parameters) and keep little; docs/design/ingestion.md, "Connector sync".
  'workers/main.ts': KEEP_HEAP_NEAR_LIVE_SIZE,
};

/**
 * Runs a Meridian entry point (`workers/main.ts`, `web/main.ts`, …) as its own Node process, with its
 * DEFAULT_NODE_FLAGS, then `nodeArgs` (a later flag wins). The web server and the workers run from a
 * bundle, compiled just before when a source changed (scripts/server-bundle.ts: less memory than
 * through tsx); the other scripts, and those two when MERIDIAN_FROM_SOURCE=1 is in `env`, run their
 * TypeScript through tsx.
 */
export function runEntryPoint(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: SpawnOptions = {},
  nodeArgs: string[] = [],
): ChildProcess {
  const bundled = BUNDLED_ENTRY_POINTS.has(entry) && env.MERIDIAN_FROM_SOURCE !== '1';
  const program = bundled ? [bundleEntryPointSync(entry)] : ['--import', 'tsx', path.join(PROJECT_ROOT, entry)];
  return spawn(process.execPath, [...(DEFAULT_NODE_FLAGS[entry] ?? []), ...nodeArgs, ...program, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}
