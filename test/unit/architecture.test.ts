import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Meridian's architecture as a test (DESIGN.md, "Layout"). Every .ts file's imports are parsed —
 * `import … from`, `export … from`, `import()`, `require()`, `typeof import()` — and each must
 * follow the direction below. "Types only" means `import type`, `export type` or every imported
 * name marked `type`: erased at run time, so no code of that folder runs in the importer.
 *
 * | folder       | may import at run time                                   | may also import as types only |
 * | ------------ | -------------------------------------------------------- | ----------------------------- |
 * | domain/      | domain (nothing else of ours: pure logic and data)       | —                             |
 * | db/          | domain, db, connectors (connector definitions: settings) | —                             |
 * | connectors/  | domain, connectors                                       | —                             |
 * | mail/        | domain, mail                                             | —                             |
 * | activities/  | domain, db, connectors, mail, activities                 | —                             |
 * | workflows/   | domain, workflows                                        | activities, connectors, db    |
 * | temporal/    | domain, db, temporal, workflows/definitions.ts           | workflows                     |
 * | startup/     | domain, db, temporal, startup                            | —                             |
 * | workers/     | domain, db, connectors, activities, mail, temporal, startup, workers | workflows         |
 * | web/         | domain, db, connectors, mail, temporal, startup, web     | workflows                     |
 * | scripts/     | domain, db, connectors, temporal, startup, scripts       | workflows                     |
 * | scripts/bench/ | as scripts/, and test/ (the emulators and helpers the tests use) | workflows            |
 * | test/        | anything                                                 | anything                      |
 *
 * So web/, workers/ and scripts/ (the entry points) never import each other; workflow code runs
 * only inside workers' workflow sandbox (temporal/ reads IDs, signals and queries from
 * workflows/definitions.ts, which holds no workflow code). Also:
 * - no import cycles among our modules, type-only imports included (a type ring is still a ring);
 * - no SQL template (sql`…`, tx`…`, deps.globalSql`…`) in activities/, workflows/, temporal/, mail/ or web/: SQL lives in db/.
 */

type Folder =
  | 'domain'
  | 'db'
  | 'connectors'
  | 'mail'
  | 'activities'
  | 'workflows'
  | 'temporal'
  | 'startup'
  | 'workers'
  | 'web'
  | 'scripts'
  | 'test';

interface Rule {
  runtime: readonly string[];
  typesOnly: readonly string[];
}

/** The table above, as data. Entries are folders, or files (ending in .ts) allowed on their own. */
const RULES: Record<Folder, Rule> = {
  domain: { runtime: ['domain'], typesOnly: [] },
  db: { runtime: ['domain', 'db', 'connectors'], typesOnly: [] },
  connectors: { runtime: ['domain', 'connectors'], typesOnly: [] },
  mail: { runtime: ['domain', 'mail'], typesOnly: [] },
  activities: { runtime: ['domain', 'db', 'connectors', 'mail', 'activities'], typesOnly: [] },
  workflows: { runtime: ['domain', 'workflows'], typesOnly: ['activities', 'connectors', 'db'] },
  temporal: { runtime: ['domain', 'db', 'temporal', 'workflows/definitions.ts'], typesOnly: ['workflows'] },
  startup: { runtime: ['domain', 'db', 'temporal', 'startup'], typesOnly: [] },
  workers: {
    runtime: ['domain', 'db', 'connectors', 'activities', 'mail', 'temporal', 'startup', 'workers'],
    typesOnly: ['workflows'],
  },
  web: { runtime: ['domain', 'db', 'connectors', 'mail', 'temporal', 'startup', 'web'], typesOnly: ['workflows'] },
  scripts: { runtime: ['domain', 'db', 'connectors', 'temporal', 'startup', 'scripts'], typesOnly: ['workflows'] },
  test: { runtime: ['*'], typesOnly: [] },
};

/**
 * Benchmarks drive the same emulators as the tests, and the audience processor alone with the
 * reactors the worker gives it (scripts/bench/audience-processor.ts).
 */
const EXTRA: Record<string, Rule> = {
  'scripts/bench': {
    runtime: [...RULES.scripts.runtime, 'test', 'workers/audience-reactors.ts'],
    typesOnly: RULES.scripts.typesOnly,
  },
};

/** Folders whose code must not write SQL: it belongs in a db/*-store.ts function named from the domain. */
const NO_SQL: readonly Folder[] = ['activities', 'workflows', 'temporal', 'mail', 'web'];

interface Import {
  from: string;
  /** The file imported (repository-relative, with extension), or undefined for a package. */
  target: string | undefined;
  specifier: string;
  typeOnly: boolean;
  line: number;
}

const ROOT = path.resolve(__dirname, '..', '..');

function resolve(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, `${base}/index.ts`])
    if (files.has(candidate)) return candidate;
  return `${base} (not found)`;
}

/** Every import of a file, from its syntax tree (comments and strings that look like imports are not imports). */
export function importsOf(file: string, source: string, files: ReadonlySet<string>): Import[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const line = tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1;
    found.push({ from: file, target: resolve(file, specifier.text, files), specifier: specifier.text, typeOnly, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const everyNameIsType =
        !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, !!clause?.isTypeOnly || everyNameIsType);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(
        node,
        node.moduleSpecifier,
        node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)),
      );
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if ((isImport || isRequire) && node.arguments.length > 0) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

/** Lines with a SQL template: a tagged template whose tag is `sql`, `tx`, or ends in `sql` (`.sql`, `deps.globalSql`). */
export function sqlTemplatesIn(file: string, source: string): number[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isTaggedTemplateExpression(node) &&
      /(^|\.)(\w*sql|tx)$/i.test(node.tag.getText(tree).replace(/<.*$/s, ''))
    ) {
      lines.push(tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return lines;
}

function folderOf(file: string): Folder | undefined {
  const top = file.split('/')[0]!;
  return top in RULES ? (top as Folder) : undefined;
}

function ruleFor(file: string): Rule | undefined {
  const extra = Object.entries(EXTRA).find(([prefix]) => file.startsWith(`${prefix}/`));
  if (extra) return extra[1];
  const folder = folderOf(file);
  return folder ? RULES[folder] : undefined;
}

const covers = (entries: readonly string[], target: string) =>
  entries.some((e) => e === '*' || (e.endsWith('.ts') ? target === e : target.startsWith(`${e}/`)));

/** Every import that breaks the table, as "file:line imports target (why)". */
export function forbiddenImports(imports: readonly Import[]): string[] {
  const problems: string[] = [];
  for (const i of imports) {
    if (!i.target) continue;
    const rule = ruleFor(i.from);
    if (!rule) continue;
    if (i.target.endsWith('(not found)')) {
      problems.push(`${i.from}:${i.line} imports ${i.specifier}, which is not a file of the project`);
      continue;
    }
    if (!folderOf(i.target)) continue; // root files (configs) are nobody's layer
    if (covers(rule.runtime, i.target)) continue;
    if (i.typeOnly && covers(rule.typesOnly, i.target)) continue;
    const how = covers(rule.typesOnly, i.target) ? 'at run time (only `import type` is allowed)' : '';
    problems.push(
      `${i.from}:${i.line} imports ${i.target} ${how}`.trimEnd() +
        ` — ${folderOf(i.from)}/ may import ${rule.runtime.join(', ')}` +
        (rule.typesOnly.length ? ` (types only: ${rule.typesOnly.join(', ')})` : ''),
    );
  }
  return problems;
}

/** Every cycle among the project's modules (strongly connected components with more than one file, or a file importing itself). */
export function importCycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.target || i.target.endsWith('(not found)')) continue;
    if (!edges.has(i.from)) edges.set(i.from, new Set());
    edges.get(i.from)!.add(i.target);
  }
  // Tarjan's algorithm, iterative enough for a few hundred files.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

function projectFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.') || rel === 'db/migrations') continue;
        walk(rel);
      } else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.set(rel, readFileSync(path.join(ROOT, rel), 'utf8'));
      }
    }
  };
  walk('');
  return files;
}

function analyse(files: ReadonlyMap<string, string>) {
  const names = new Set(files.keys());
  const imports = [...files].flatMap(([file, source]) => importsOf(file, source, names));
  const sql = [...files]
    .filter(([file]) => NO_SQL.includes(folderOf(file) as Folder))
    .flatMap(([file, source]) => sqlTemplatesIn(file, source).map((line) => `${file}:${line}`));
  return { imports, forbidden: forbiddenImports(imports), cycles: importCycles(imports), sql };
}

describe('architecture (DESIGN.md, Layout)', () => {
  const project = analyse(projectFiles());

  it('reads the imports of every folder of the layout', () => {
    const importers = new Set(project.imports.map((i) => folderOf(i.from)));
    for (const folder of Object.keys(RULES)) expect(importers, `no imports read in ${folder}/`).toContain(folder);
    // Static, re-export, dynamic and type-only imports are all seen.
    expect(project.imports.some((i) => i.typeOnly)).toBe(true);
  });

  it('every import follows the direction of the layout', () => {
    expect(project.forbidden).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(project.cycles).toEqual([]);
  });

  it('keeps SQL in db/: no SQL template in activities/, workflows/, temporal/, mail/ or web/', () => {
    expect(project.sql).toEqual([]);
  });

  describe('the checker itself', () => {
    const check = (files: Record<string, string>) => analyse(new Map(Object.entries(files)));
    const base = {
      'domain/money.ts': 'export const x = 1;',
      'db/store.ts': "import { x } from '../domain/money';\nexport const y = x;",
      'workers/main.ts': 'export const w = 1;',
      'workflows/saga.ts': 'export async function saga() {}',
      'workflows/definitions.ts': 'export const id = (x: string) => `x-${x}`;',
      'activities/privacy.ts': "import { y } from '../db/store';\nexport const a = y;",
    };

    it('accepts imports that follow the table', () => {
      const result = check({
        ...base,
        'web/app.ts': "import { y } from '../db/store';\nimport type { saga } from '../workflows/saga';",
      });
      expect(result.forbidden).toEqual([]);
      expect(result.cycles).toEqual([]);
    });

    it('flags web importing workers, in each form an import can take', () => {
      for (const line of [
        "import { w } from '../workers/main';",
        "export { w } from '../workers/main';",
        "export * from '../workers/main';",
        "const m = await import('../workers/main');",
        "const m = require('../workers/main');",
        "import type { w } from '../workers/main';",
        "type M = typeof import('../workers/main');",
      ]) {
        const result = check({ ...base, 'web/app.ts': line });
        expect(result.forbidden, line).toHaveLength(1);
        expect(result.forbidden[0]).toMatch(/^web\/app\.ts:1 imports workers\/main\.ts/);
      }
    });

    it('flags domain importing anything of ours, and workflows importing activities at run time', () => {
      expect(check({ ...base, 'domain/fx.ts': "import { y } from '../db/store';" }).forbidden).toHaveLength(1);
      expect(check({ ...base, 'workflows/x.ts': "import { a } from '../activities/privacy';" }).forbidden[0]).toMatch(
        /only `import type` is allowed/,
      );
      expect(check({ ...base, 'workflows/x.ts': "import type { a } from '../activities/privacy';" }).forbidden).toEqual(
        [],
      );
      expect(check({ ...base, 'workflows/x.ts': "import { type a } from '../activities/privacy';" }).forbidden).toEqual(
        [],
      );
      expect(
        check({ ...base, 'workflows/x.ts': "import { type a, y } from '../activities/privacy';" }).forbidden,
      ).toHaveLength(1);
    });

    it('lets temporal/ load workflows/definitions.ts but no workflow code', () => {
      expect(check({ ...base, 'temporal/h.ts': "import { id } from '../workflows/definitions';" }).forbidden).toEqual(
        [],
      );
      expect(check({ ...base, 'temporal/h.ts': "import { saga } from '../workflows/saga';" }).forbidden).toHaveLength(
        1,
      );
      expect(check({ ...base, 'temporal/h.ts': "import type { saga } from '../workflows/saga';" }).forbidden).toEqual(
        [],
      );
    });

    it('ignores what only looks like an import, and names a missing file', () => {
      expect(
        check({
          ...base,
          'web/app.ts': "// import { w } from '../workers/main';\nconst s = \"import('../workers/main')\";",
        }).forbidden,
      ).toEqual([]);
      expect(check({ ...base, 'web/app.ts': "import { z } from './nowhere';" }).forbidden[0]).toMatch(
        /not a file of the project/,
      );
    });

    it('finds cycles, also those made of type-only imports', () => {
      const ring = check({
        ...base,
        'web/admin/routes.ts': "import { register } from './connectors';\nexport interface Deps {}",
        'web/admin/connectors.ts': "import type { Deps } from './routes';\nexport const register = 1;",
      });
      expect(ring.cycles).toEqual([['web/admin/connectors.ts', 'web/admin/routes.ts']]);
      expect(
        check({
          ...base,
          'db/a.ts': "import { b } from './b';",
          'db/b.ts': "import { c } from './c';",
          'db/c.ts': "import { a } from './a';",
        }).cycles,
      ).toHaveLength(1);
    });

    it('finds SQL written in an activity', () => {
      const result = check({
        ...base,
        'activities/x.ts':
          'export const f = (sql: any) => sql`select 1`;\nexport const g = (d: any) => d.sql`select 2`;',
      });
      expect(result.sql).toEqual(['activities/x.ts:1', 'activities/x.ts:2']);
      expect(check({ ...base, 'db/x.ts': 'export const f = (sql: any) => sql`select 1`;' }).sql).toEqual([]);
    });
  });
});
