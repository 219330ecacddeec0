import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** Runs a Meridian entry point (`workers/main.ts`, `web/main.ts`, …) as its own Node process, TypeScript via tsx. */
export function runEntryPoint(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: SpawnOptions = {},
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}
