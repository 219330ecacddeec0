import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_ENTRY_POINTS, bundleEntryPoint, bundleFile, PROJECT_ROOT } from '../../scripts/server-bundle';
import { CONSOLE_DIST_DIR } from '../../web/console';

// scripts/server-bundle.ts: the web server runs compiled; its modules must still find their files.
describe('server bundle', () => {
  const entry = 'web/console.ts';
  afterAll(() => {
    rmSync(bundleFile(entry), { force: true });
    rmSync(`${bundleFile(entry)}.map`, { force: true });
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

  it('is how the web server runs', () => {
    expect([...BUNDLED_ENTRY_POINTS]).toEqual(['web/main.ts']);
  });
});
