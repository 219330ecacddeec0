import { ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { cliTypeName, MERIDIAN_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/** The Temporal dev server as Meridian runs it: persistent SQLite, UI on, codec endpoint set. */
export interface DevServerOptions {
  ip: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  codecEndpoint: string;
}

export function devServerArgs(o: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    o.ip,
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--namespace',
    o.namespace,
    '--db-filename',
    o.dbFile,
    '--ui-codec-endpoint',
    o.codecEndpoint,
    '--log-level',
    'warn',
    ...MERIDIAN_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeName(key)}`]),
  ];
}

export function spawnDevServer(binary: string, o: DevServerOptions): ChildProcess {
  const log = openSync(o.logFile, 'a');
  return spawn(binary, devServerArgs(o), { stdio: ['ignore', log, log], detached: true });
}

/** Waits until the server answers for the namespace, or the process dies, or time runs out. */
export async function waitForTemporal(
  address: string,
  namespace: string,
  options: { timeoutMs: number; process?: ChildProcess; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exited: number | null | undefined;
  options.process?.once('exit', (code) => (exited = code));
  let lastError = '';
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = options.logFile
        ? readFileSync(options.logFile, 'utf8').trim().split('\n').slice(-5).join('\n    ')
        : '';
      throw new Error(
        `the Temporal dev server exited (code ${exited}) while starting; last lines of its log:\n    ${tail}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = (error as Error).message.split('\n')[0] ?? '';
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  throw new Error(
    `the Temporal dev server did not answer at ${address} within ${options.timeoutMs / 1000}s (${lastError})`,
  );
}
