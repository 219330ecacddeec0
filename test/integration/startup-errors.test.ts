import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeployment, runEntryPoint, TestDeployment, waitForExit } from '../support/deployment';
import { freePort, holdPort } from '../support/ports';

/** Bad configuration and missing services stop each entry point with one line that says what to do. */
describe('startup errors are one clear line', () => {
  let d: TestDeployment;
  beforeAll(async () => {
    d = await createTestDeployment('startup');
  });
  afterAll(async () => d?.close());

  async function run(entry: string, args: string[], env: NodeJS.ProcessEnv) {
    const { code, output } = await waitForExit(runEntryPoint(entry, args, { ...process.env, ...d.env, ...env }));
    const lines = output.trim().split('\n');
    return { code, lines, output };
  }

  it('names a DATABASE_URL that is not PostgreSQL', async () => {
    const { code, lines } = await run('workers/main.ts', ['--regions', 'eu'], {
      DATABASE_URL: 'mysql://root@127.0.0.1:3306',
    });
    expect(code).toBe(1);
    expect(lines).toEqual([
      'meridian worker: DATABASE_URL is not a PostgreSQL URL: expected postgres://USER[:PASSWORD]@HOST:PORT, e.g. postgres://postgres@127.0.0.1:5432',
    ]);
  });

  it('says PostgreSQL is down and how to start it', async () => {
    const { code, lines } = await run('workers/main.ts', ['--regions', 'eu'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^meridian worker: PostgreSQL is not running at 127\.0\.0\.1:1 \(connection refused\): start it/,
    );
  });

  it('says Temporal is unreachable and what to do', async () => {
    const { code, lines } = await run('workers/main.ts', ['--regions', 'eu'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^meridian worker: Temporal is not reachable at 127\.0\.0\.1:1 .*start it with `npm start`, or set TEMPORAL_ADDRESS/,
    );
  });

  it('names an unknown region and lists the configured ones', async () => {
    const { code, lines } = await run('workers/main.ts', ['--regions', 'eu,mars'], {});
    expect(code).toBe(1);
    expect(lines).toEqual([
      'meridian worker: unknown region "mars": the configured regions are global, eu, us, apac (add new ones in MERIDIAN_REGIONS_FILE)',
    ]);
  });

  it('says which port is taken', async () => {
    const held = await holdPort();
    const port = (held.address() as { port: number }).port;
    try {
      const web = await run('web/main.ts', [], { MERIDIAN_WEB_PORT: String(port) });
      expect(web.code).toBe(1);
      expect(web.lines).toEqual([
        `meridian web: port ${port} on 127.0.0.1 is already taken: stop whatever uses it, or choose another port (see README, Configuration)`,
      ]);

      const start = await run('scripts/start.ts', [], {
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        TEMPORAL_UI_PORT: String(await freePort()),
        MERIDIAN_WEB_PORT: String(port),
        MERIDIAN_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'meridian-start-')),
      });
      expect(start.code).toBe(1);
      expect(start.output).toContain(
        `meridian: port ${port} (web) is already taken: is Meridian already running? Stop it, or set MERIDIAN_WEB_PORT to a free port`,
      );
      expect(start.output).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      held.close();
    }
  });

  it('says there is no Temporal CLI, no Go, and what to install', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'meridian-nocli-'));
    const { code, output } = await run('scripts/start.ts', [], {
      PATH: path.dirname(process.execPath), // node only: no temporal, no go
      TEMPORAL_CLI_PATH: '',
      XDG_CACHE_HOME: empty,
      MERIDIAN_BIN_DIR: empty,
      MERIDIAN_DATA_DIR: empty,
      TEMPORAL_ADDRESS: '127.0.0.1:17999',
      TEMPORAL_UI_PORT: '18999',
      MERIDIAN_WEB_PORT: '19999',
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'Temporal CLI: none local (no temporal binary found (TEMPORAL_CLI_PATH, PATH, .bin, cache) and Go is not installed to build one)',
    );
    expect(output).toMatch(
      /meridian: no Temporal CLI: none found, Go is not installed, and the SDK's download failed .*Install Go and run npm start again/,
    );
  });
});
