import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserRequired, browserSkippedLine, findChromium, systemChromiumPaths } from '../support/chromium';

/** The browser tests' Chromium finder, on folders of fake executables. */

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'meridian-chromium-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function fake(relative: string, mode = 0o755): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, mode);
  return file;
}

/** A search that sees only the temp folder: no system paths, an empty PATH, home inside it. */
const isolated = (env: NodeJS.ProcessEnv = {}, more: { platform?: NodeJS.Platform; systemPaths?: string[] } = {}) =>
  findChromium({
    env: { PATH: path.join(root, 'no-bin'), ...env },
    home: path.join(root, 'home'),
    systemPaths: [],
    platform: 'linux',
    ...more,
  });

describe('findChromium', () => {
  it('takes MERIDIAN_CHROMIUM first, over system paths and the Playwright cache', () => {
    const chosen = fake('custom/chrome');
    const system = fake('usr/bin/chromium');
    fake('home/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome');
    expect(isolated({ MERIDIAN_CHROMIUM: chosen }, { systemPaths: [system] })).toEqual({
      found: true,
      path: chosen,
      source: 'MERIDIAN_CHROMIUM',
    });
  });

  it('reports a MERIDIAN_CHROMIUM that is not an executable file instead of looking elsewhere', () => {
    const system = fake('usr/bin/chromium');
    const notExecutable = fake('custom/chrome', 0o644);
    for (const configured of [notExecutable, path.join(root, 'missing/chrome'), root]) {
      const lookup = isolated({ MERIDIAN_CHROMIUM: configured }, { systemPaths: [system] });
      expect(lookup).toEqual({
        found: false,
        reason: `MERIDIAN_CHROMIUM is ${configured}, which is not an executable file: fix it or unset it`,
      });
    }
  });

  it('tries the system paths in order, skipping files that cannot be run', () => {
    const notExecutable = fake('usr/bin/chromium', 0o644);
    const chromeStable = fake('usr/bin/google-chrome-stable');
    const lookup = isolated(
      {},
      { systemPaths: [path.join(root, 'usr/bin/chromium-browser'), notExecutable, chromeStable] },
    );
    expect(lookup).toEqual({ found: true, path: chromeStable, source: 'system' });
  });

  it('finds chromium, chromium-browser or google-chrome on PATH', () => {
    const onPath = fake('opt/bin/google-chrome');
    expect(isolated({ PATH: [path.join(root, 'empty'), path.join(root, 'opt/bin')].join(':') })).toEqual({
      found: true,
      path: onPath,
      source: 'PATH',
    });
  });

  it("falls back to Playwright's cache, newest revision first, then its headless shell", () => {
    const older = fake('home/.cache/ms-playwright/chromium-1100/chrome-linux/chrome');
    const newer = fake('home/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome');
    expect(isolated()).toEqual({ found: true, path: newer, source: "Playwright's cache" });
    rmSync(newer);
    expect(isolated()).toMatchObject({ path: older });
    rmSync(older);
    const shell = fake(
      'home/.cache/ms-playwright/chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell',
    );
    expect(isolated()).toMatchObject({ found: true, path: shell });
    rmSync(shell);
    const oldShell = fake('home/.cache/ms-playwright/chromium_headless_shell-1100/chrome-linux/headless_shell');
    expect(isolated()).toMatchObject({ found: true, path: oldShell });
  });

  it('reads the cache where PLAYWRIGHT_BROWSERS_PATH, XDG_CACHE_HOME or macOS put it', () => {
    const custom = fake('browsers/chromium-1200/chrome-linux64/chrome');
    expect(isolated({ PLAYWRIGHT_BROWSERS_PATH: path.join(root, 'browsers') })).toMatchObject({ path: custom });
    const xdg = fake('xdg/ms-playwright/chromium-1200/chrome-linux64/chrome');
    expect(isolated({ XDG_CACHE_HOME: path.join(root, 'xdg') })).toMatchObject({ path: xdg });
    const mac = fake(
      'home/Library/Caches/ms-playwright/chromium-1200/chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
    );
    expect(isolated({}, { platform: 'darwin' })).toMatchObject({ path: mac });
  });

  it('says where it looked when there is no browser, and the run says how to install one', () => {
    fake('home/.cache/ms-playwright/chromium-1200/chrome-linux64/not-chrome');
    const lookup = isolated();
    const cache = path.join(root, 'home/.cache/ms-playwright');
    expect(lookup).toEqual({
      found: false,
      reason: `no Chromium found (not in MERIDIAN_CHROMIUM, the usual system paths, PATH or ${cache})`,
    });
    expect(browserSkippedLine(lookup)).toBe(
      `browser tests did not run: ${lookup.found ? '' : lookup.reason}; install one (apt-get install chromium, or npx playwright-core install chromium) or set MERIDIAN_CHROMIUM to its path`,
    );
    expect(browserSkippedLine({ found: true, path: '/usr/bin/chromium', source: 'system' })).toBeUndefined();
  });

  it('knows the usual places on Linux, macOS and Windows', () => {
    expect(systemChromiumPaths('linux', {}, '/home/ana')).toEqual([
      '/usr/bin/chromium',
      '/usr/bin/chromium-browser',
      '/usr/bin/google-chrome',
      '/usr/bin/google-chrome-stable',
      '/snap/bin/chromium',
    ]);
    expect(systemChromiumPaths('darwin', {}, '/Users/ana')).toEqual(
      expect.arrayContaining([
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
        '/Users/ana/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      ]),
    );
    expect(systemChromiumPaths('win32', { PROGRAMFILES: 'C:\\Program Files' }, 'C:\\Users\\ana')).toContain(
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    );
  });

  it('makes a missing browser a failure only where MERIDIAN_REQUIRE_BROWSER is set', () => {
    expect(browserRequired({})).toBe(false);
    expect(browserRequired({ MERIDIAN_REQUIRE_BROWSER: '1' })).toBe(true);
    expect(browserRequired({ MERIDIAN_REQUIRE_BROWSER: '0' })).toBe(false);
  });
});
