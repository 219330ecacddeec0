import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PROJECT_ROOT } from './project-root';

/**
 * Compiles a server entry point (`web/main.ts`, `workers/main.ts`) and Meridian's modules under it
 * into one CommonJS file, `.build/<entry>.cjs`, which Node runs without tsx (docs/design/ingestion.md,
 * "Memory of the web process"). Through tsx every module is compiled when first loaded and kept with
 * an inline source map that Node's source-map support holds as well: the idle web process was 218 MB
 * RSS that way against 149 MB from the bundle, a worker's modules 212 against 161 MB, for the same
 * code. Libraries stay in node_modules (required as they are), so a bundle holds only Meridian's own
 * code. A bundle is rebuilt only when one of its sources (or the lock file) is newer than it.
 *
 * Each module's `__dirname` and `__filename` are its source file's (the console's dist folder, the
 * failure converter's path), as under tsx: they are written into the bundle as absolute paths, so
 * a bundle runs where it was built (the Docker image builds it in place; `npm start` and the
 * benchmarks build it before each start when a source changed, which takes a few seconds). Stack
 * traces point into the bundle; `.build/<entry>.cjs.map` maps them back with `node --enable-source-maps`.
 * In a bundle, `MERIDIAN_BUNDLED` is defined as true (temporal/connection.ts reads it).
 */

/** Entry points that run from a bundle (see above); the others run through tsx. */
export const BUNDLED_ENTRY_POINTS: ReadonlySet<string> = new Set(['web/main.ts', 'workers/main.ts']);

/**
 * Modules handed to a library by path, compiled beside every bundle (`.build/<module>.cjs`): a worker
 * gives Temporal its failure converter as a path, which Node could not load as TypeScript. Every
 * bundle gets them, since `MERIDIAN_BUNDLED` points temporal/connection.ts at the compiled copy in
 * every bundle that holds it (the web's too, though only workers load it).
 */
const LOADED_BY_PATH: readonly string[] = ['temporal/failure-converter.ts'];

export function bundleFile(entry: string): string {
  return path.join(PROJECT_ROOT, '.build', entry.replace(/\.ts$/, '.cjs'));
}

/** The sources a bundle was built from (project-relative), written with it. */
const sourcesFile = (entry: string) => `${bundleFile(entry)}.sources.json`;

/** Whether `entry`'s bundle (and what it loads by path) is newer than every source it was built from. */
export function bundleIsFresh(entry: string): boolean {
  try {
    const built = Math.min(...[entry, ...LOADED_BY_PATH].map((e) => statSync(bundleFile(e)).mtimeMs));
    const sources = JSON.parse(readFileSync(sourcesFile(entry), 'utf8')) as string[];
    return [...sources, 'package-lock.json', 'tsconfig.json', 'scripts/server-bundle.ts'].every(
      (source) => statSync(path.join(PROJECT_ROOT, source)).mtimeMs < built,
    );
  } catch {
    return false;
  }
}

function writeWhole(file: string, contents: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

/** Gives every Meridian module its own `__dirname` and `__filename`, as a module loaded by tsx has. */
const ownPaths: Plugin = {
  name: 'meridian-own-paths',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      return {
        contents: source
          .replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)))
          .replace(/\b__filename\b/g, JSON.stringify(args.path)),
        loader: 'ts',
      };
    });
  },
};

/**
 * Builds `entry`'s bundle and returns its path. Each file is written beside its place and renamed
 * into it, so a process starting while another one builds (parallel tests) reads a whole bundle.
 */
export async function bundleEntryPoint(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry, ...LOADED_BY_PATH].map((e) => path.join(PROJECT_ROOT, e)),
    absWorkingDir: PROJECT_ROOT,
    outdir: path.join(PROJECT_ROOT, '.build'),
    outbase: PROJECT_ROOT,
    outExtension: { '.js': '.cjs' },
    define: { MERIDIAN_BUNDLED: 'true' },
    metafile: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // Error classes and workflow/activity functions are known by their names.
    keepNames: true,
    sourcemap: 'linked',
    tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
    plugins: [ownPaths],
    logLevel: 'error',
    write: false,
  });
  for (const file of result.outputFiles) writeWhole(file.path, file.contents);
  // Last, so a bundle is never taken as fresh before it is whole.
  writeWhole(sourcesFile(entry), JSON.stringify(Object.keys(result.metafile.inputs)));
  return bundleFile(entry);
}

/**
 * The same, for callers that cannot wait on a promise (spawning a child process is synchronous),
 * unless the bundle is fresh: runs this file as a script and fails with esbuild's own message.
 */
export function bundleEntryPointSync(entry: string): string {
  if (bundleIsFresh(entry)) return bundleFile(entry);
  const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, entry], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    throw new Error(`could not compile ${entry}: ${(run.stderr || run.stdout || `exit ${run.status}`).trim()}`);
  }
  return bundleFile(entry);
}

if (require.main === module) {
  const entries = process.argv.slice(2);
  if (entries.length === 0) {
    console.error('usage: tsx scripts/server-bundle.ts <entry.ts>…   (e.g. web/main.ts)');
    process.exit(2);
  }
  Promise.all(entries.map(bundleEntryPoint)).then(
    (files) => {
      for (const file of files) console.log(path.relative(PROJECT_ROOT, file));
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
