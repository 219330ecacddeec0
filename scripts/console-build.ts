import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { build, type InlineConfig } from 'vite';

/**
 * Builds the console (console/: React + Vite, issue 13) into console/dist, which the web server
 * serves under /console (web/console.ts). `npm start` and the test run's global setup call
 * `ensureConsoleBuilt()`, so no one runs a separate step; it rebuilds only when a source file is
 * newer than the last build (the stamp holds the newest source time it was built from).
 *
 * The console's sources are console/ and the catalogues and helpers it imports from domain/
 * (domain/messages/, domain/sms-segments.ts): a change to any of them rebuilds.
 */

export const CONSOLE_ROOT = path.resolve(__dirname, '..', 'console');
export const CONSOLE_DIST = path.join(CONSOLE_ROOT, 'dist');
const STAMP = path.join(CONSOLE_DIST, '.built-from');
const SOURCES = [
  path.join(CONSOLE_ROOT, 'src'),
  path.join(CONSOLE_ROOT, 'index.html'),
  path.join(CONSOLE_ROOT, '..', 'domain', 'messages'),
  path.join(CONSOLE_ROOT, '..', 'domain', 'console-messages.ts'),
  path.join(CONSOLE_ROOT, '..', 'domain', 'sms-segments.ts'),
  path.join(CONSOLE_ROOT, '..', 'package-lock.json'),
  __filename,
];

function newest(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

/** The vite configuration of the console: hashed assets under /console/assets/, heavy screens in chunks of their own. */
export function consoleViteConfig(): InlineConfig {
  return {
    configFile: false,
    root: CONSOLE_ROOT,
    base: '/console/',
    logLevel: 'warn',
    mode: 'production',
    plugins: [react()],
    build: {
      outDir: CONSOLE_DIST,
      emptyOutDir: true,
      assetsDir: 'assets',
      sourcemap: false,
      // Every browser the console supports preloads modules natively.
      modulePreload: { polyfill: false },
      // One stylesheet (React Flow's 15 kB included): a lazy screen's own CSS was not loaded with its chunk.
      cssCodeSplit: false,
      // ECharts alone is ~1 MB before compression; it is only loaded by the screens that draw charts.
      chunkSizeWarningLimit: 1200,
    },
  };
}

/** Builds the console unless console/dist is newer than every source; says which happened. */
export async function ensureConsoleBuilt(options: { force?: boolean } = {}): Promise<'built' | 'up to date'> {
  const sourcesAt = Math.max(...SOURCES.map(newest));
  const builtFrom = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : 0;
  if (!options.force && builtFrom >= sourcesAt && existsSync(path.join(CONSOLE_DIST, 'index.html')))
    return 'up to date';
  // Always React's production build, also when the test run (NODE_ENV=test) builds it: vite and the
  // React plugin both choose by NODE_ENV, and must agree (a production React has no jsxDEV).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build(consoleViteConfig());
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  writeFileSync(STAMP, String(sourcesAt));
  return 'built';
}

if (require.main === module) {
  ensureConsoleBuilt({ force: process.argv.includes('--force') }).then(
    (outcome) => console.log(`console: ${outcome} (${path.relative(process.cwd(), CONSOLE_DIST)})`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
