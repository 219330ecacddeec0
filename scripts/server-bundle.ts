import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * Compiles a server entry point (`web/main.ts`) and Meridian's modules under it into one CommonJS
 * file, `.build/<entry>.cjs`, which Node runs without tsx (docs/design/ingestion.md, "Memory of the
 * web process"). Through tsx every module is compiled when first loaded and kept with an inline
 * source map that Node's source-map support holds as well: the idle web process was 218 MB RSS that
 * way against 149 MB from the bundle, for the same code. Libraries stay in node_modules (required
 * as they are), so a bundle holds only Meridian's own code.
 *
 * Each module's `__dirname` and `__filename` are its source file's (the console's dist folder, the
 * failure converter's path), as under tsx: they are written into the bundle as absolute paths, so
 * a bundle runs where it was built (the Docker image builds it in place; `npm start` and the
 * benchmarks build it before each start, which takes about a second). Stack traces point into the
 * bundle; `.build/<entry>.cjs.map` maps them back with `node --enable-source-maps`.
 */

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Entry points that run from a bundle (see above); the others run through tsx. */
export const BUNDLED_ENTRY_POINTS: ReadonlySet<string> = new Set(['web/main.ts']);

export function bundleFile(entry: string): string {
  return path.join(PROJECT_ROOT, '.build', entry.replace(/\.ts$/, '.cjs'));
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
  const outfile = bundleFile(entry);
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, entry)],
    outfile,
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
  mkdirSync(path.dirname(outfile), { recursive: true });
  for (const file of result.outputFiles) {
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  return outfile;
}

/**
 * The same, for callers that cannot wait on a promise (spawning a child process is synchronous):
 * runs this file as a script and fails with esbuild's own message.
 */
export function bundleEntryPointSync(entry: string): string {
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
