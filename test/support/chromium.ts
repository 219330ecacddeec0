import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Finds a Chromium for the browser tests (test/browser/): `MERIDIAN_CHROMIUM`, then the usual
 * system paths and names on PATH, then Playwright's own download cache. Where none is found the
 * browser tests are skipped, visibly, and the run ends with one line saying how to install one;
 * with `MERIDIAN_REQUIRE_BROWSER=1` (set by .ci/run) they fail instead, so CI always runs them.
 */

export type ChromiumLookup = { found: true; path: string; source: string } | { found: false; reason: string };

export interface ChromiumSearch {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** Absolute paths to try after MERIDIAN_CHROMIUM; the platform's usual places by default. */
  systemPaths?: string[];
}

export const INSTALL_CHROMIUM_HINT =
  'install one (apt-get install chromium, or npx playwright-core install chromium) or set MERIDIAN_CHROMIUM to its path';

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Where a browser usually is on each platform, before PATH is searched. */
export function systemChromiumPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string[] {
  if (platform === 'darwin') {
    return ['/Applications', path.join(home, 'Applications')].flatMap((apps) => [
      path.join(apps, 'Chromium.app/Contents/MacOS/Chromium'),
      path.join(apps, 'Google Chrome.app/Contents/MacOS/Google Chrome'),
      path.join(apps, 'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing'),
    ]);
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => Boolean(r));
    return roots.flatMap((root) => [
      path.win32.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      path.win32.join(root, 'Chromium', 'Application', 'chrome.exe'),
    ]);
  }
  return [...SYSTEM_NAMES.map((name) => `/usr/bin/${name}`), '/snap/bin/chromium'];
}

/** Playwright's browser cache (`npx playwright-core install chromium` downloads there). */
export function playwrightCacheDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  const configured = env.PLAYWRIGHT_BROWSERS_PATH;
  if (configured && configured !== '0') return configured;
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'ms-playwright');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'ms-playwright');
  return path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'ms-playwright');
}

// Inside chromium-<revision>/ and chromium_headless_shell-<revision>/, per platform and Playwright
// release (the folder names are platform-specific, so one list serves every platform).
const PLAYWRIGHT_LAYOUTS: [RegExp, string[]][] = [
  [
    /^chromium-(\d+)$/,
    [
      'chrome-linux64/chrome',
      'chrome-linux-arm64/chrome',
      'chrome-linux/chrome',
      'chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
      'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
      'chrome-mac/Chromium.app/Contents/MacOS/Chromium',
      'chrome-win64/chrome.exe',
      'chrome-win/chrome.exe',
    ],
  ],
  [
    /^chromium_headless_shell-(\d+)$/,
    [
      'chrome-headless-shell-linux64/chrome-headless-shell',
      'chrome-headless-shell-linux-arm64/chrome-headless-shell',
      'chrome-linux/headless_shell',
      'chrome-headless-shell-mac-arm64/chrome-headless-shell',
      'chrome-headless-shell-mac-x64/chrome-headless-shell',
      'chrome-mac/headless_shell',
      'chrome-headless-shell-win64/chrome-headless-shell.exe',
      'chrome-win/headless_shell.exe',
    ],
  ],
];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const separator = platform === 'win32' ? ';' : ':';
  for (const dir of (env.PATH ?? '').split(separator)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromPlaywrightCache(cache: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(cache);
  } catch {
    return undefined;
  }
  for (const [pattern, layouts] of PLAYWRIGHT_LAYOUTS) {
    const revisions = entries
      .map((entry) => ({ entry, revision: Number(pattern.exec(entry)?.[1] ?? NaN) }))
      .filter((r) => Number.isFinite(r.revision))
      .sort((a, b) => b.revision - a.revision); // the newest download first
    for (const { entry } of revisions) {
      for (const layout of layouts) {
        const candidate = path.join(cache, entry, ...layout.split('/'));
        if (isExecutable(candidate)) return candidate;
      }
    }
  }
  return undefined;
}

export function findChromium(search: ChromiumSearch = {}): ChromiumLookup {
  const env = search.env ?? process.env;
  const platform = search.platform ?? process.platform;
  const home = search.home ?? homedir();

  const configured = env.MERIDIAN_CHROMIUM;
  if (configured) {
    // A path set on purpose that does not work is a mistake to report, not to paper over.
    return isExecutable(configured)
      ? { found: true, path: configured, source: 'MERIDIAN_CHROMIUM' }
      : {
          found: false,
          reason: `MERIDIAN_CHROMIUM is ${configured}, which is not an executable file: fix it or unset it`,
        };
  }
  for (const candidate of search.systemPaths ?? systemChromiumPaths(platform, env, home)) {
    if (isExecutable(candidate)) return { found: true, path: candidate, source: 'system' };
  }
  for (const name of platform === 'win32' ? [] : SYSTEM_NAMES) {
    const found = onPath(name, env, platform);
    if (found) return { found: true, path: found, source: 'PATH' };
  }
  const cache = playwrightCacheDir(platform, env, home);
  const cached = fromPlaywrightCache(cache);
  if (cached) return { found: true, path: cached, source: "Playwright's cache" };
  return {
    found: false,
    reason: `no Chromium found (not in MERIDIAN_CHROMIUM, the usual system paths, PATH or ${cache})`,
  };
}

/** True when a missing browser must fail the run (CI), not skip the browser tests. */
export function browserRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MERIDIAN_REQUIRE_BROWSER === '1' || env.MERIDIAN_REQUIRE_BROWSER === 'true';
}

/** The line the run ends with when browser tests were skipped for want of a browser. */
export function browserSkippedLine(lookup: ChromiumLookup): string | undefined {
  return lookup.found ? undefined : `browser tests did not run: ${lookup.reason}; ${INSTALL_CHROMIUM_HINT}`;
}
