import { existsSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_ENTRY_POINTS, bundleEntryPoint, bundleFile, bundleIsFresh } from '../../scripts/server-bundle';
import { PROJECT_ROOT } from '../../scripts/project-root';
import { FAILURE_CONVERTER_PATH } from '../../temporal/connection';
import { CONSOLE_DIST_DIR } from '../../web/console';

// scripts/server-bundle.ts: the web server runs compiled; its modules must still find their files.
describe('server bundle', () => {
  const entry = 'web/console.ts';
  afterAll(() => {
    rmSync(bundleFile(entry), { force: true });
    rmSync(`${bundleFile(entry)}.map`, { force: true });
    rmSync(`${bundleFile(entry)}.sources.json`, { force: true });
  });

  it('keeps each module its own __dirname, so paths resolve as they do from the sources', async () => {
    const file = await bundleEntryPoint(entry);
    expect(file).toBe(path.join(PROJECT_ROOT, '.build', 'web', 'console.cjs'));
    // The bundle sits in .build/web, one level deeper than web/: a bundle-relative __dirname would miss.
    const bundled = require(file) as typeof import('../../web/console');
    expect(bundled.CONSOLE_DIST_DIR).toBe(CONSOLE_DIST_DIR);
    expect(bundled.CONSOLE_DIST_DIR).toBe(path.join(PROJECT_ROOT, 'console', 'dist'));
  });

  it("holds Meridian's code only: libraries are required from node_modules", async () => {
    const file = await bundleEntryPoint(entry);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('require("@fastify/static")');
    expect(text).not.toContain('node_modules');
    expect(existsSync(`${file}.map`)).toBe(true);
  });

  it('is rebuilt when a source it was built from changes, not otherwise', async () => {
    await bundleEntryPoint(entry);
    expect(bundleIsFresh(entry)).toBe(true);
    const source = path.join(PROJECT_ROOT, 'web', 'openapi.ts');
    const sources = JSON.parse(readFileSync(`${bundleFile(entry)}.sources.json`, 'utf8')) as string[];
    expect(sources).toContain('web/console.ts');
    expect(sources).not.toContain('web/openapi.ts');
    const { atime, mtime } = statSync(path.join(PROJECT_ROOT, 'web', 'console.ts'));
    const later = new Date(statSync(bundleFile(entry)).mtimeMs + 5_000);
    try {
      // A file the bundle does not hold changes nothing; one it holds makes it stale.
      const other = statSync(source);
      utimesSync(source, other.atime, later);
      expect(bundleIsFresh(entry)).toBe(true);
      utimesSync(source, other.atime, other.mtime);
      utimesSync(path.join(PROJECT_ROOT, 'web', 'console.ts'), atime, later);
      expect(bundleIsFresh(entry)).toBe(false);
    } finally {
      utimesSync(path.join(PROJECT_ROOT, 'web', 'console.ts'), atime, mtime);
    }
    expect(bundleIsFresh('workers/zz-never-built.ts')).toBe(false);
  });

  it('is how the web server and the workers run; a bundled worker hands Temporal a compiled failure converter', async () => {
    expect([...BUNDLED_ENTRY_POINTS]).toEqual(['web/main.ts', 'workers/main.ts']);
    // From the sources (this test), the TypeScript file; in the worker's bundle, its compiled copy.
    expect(FAILURE_CONVERTER_PATH).toBe(path.join(PROJECT_ROOT, 'temporal', 'failure-converter.ts'));
    // Every bundle points temporal/connection.ts at the compiled copy, so every build writes it.
    const converter = path.join(PROJECT_ROOT, '.build', 'temporal', 'failure-converter.cjs');
    rmSync(converter, { force: true });
    await bundleEntryPoint(entry);
    expect(existsSync(converter)).toBe(true);
    expect(bundleIsFresh(entry)).toBe(true);
    rmSync(converter);
    expect(bundleIsFresh(entry)).toBe(false);
    await bundleEntryPoint('workers/main.ts');
    expect(readFileSync(bundleFile('workers/main.ts'), 'utf8')).toContain(
      JSON.stringify(path.join(PROJECT_ROOT, 'temporal')),
    );
    const loaded = require(converter) as { failureConverter?: unknown };
    expect(loaded.failureConverter).toBeDefined();
    // Bundling the whole worker takes seconds on a busy machine.
  }, 60_000);
});
