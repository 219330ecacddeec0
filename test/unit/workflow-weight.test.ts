import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * What a workflow run costs to create (docs/design/activation.md, "Journeys at scale"): the worker
 * gives each run its own module cache, so a run created — and a run replayed after it left the
 * sticky cache — evaluates every module its workflow loads. These keep journeyRun's modules free of
 * packages (zod, the holiday calendars behind the send gate's quiet hours cost ~34 ms of CPU and a
 * few MB of heap per run), and workflows/index.ts from loading every workflow for each run.
 */

const ROOT = path.resolve(__dirname, '..', '..');

interface RuntimeImports {
  /** Declarations at the top of the file (`import …`, `export … from`) that are not type-only. */
  declared: string[];
  /** `require('…')` calls, wherever they are. */
  required: string[];
}

function runtimeImports(file: string): RuntimeImports {
  const source = readFileSync(path.join(ROOT, file), 'utf8');
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: RuntimeImports = { declared: [], required: [] };
  for (const node of tree.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        !!clause?.isTypeOnly ||
        (!!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (!typeOnly) found.declared.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.declared.push(node.moduleSpecifier.text);
    }
  }
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      found.required.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

function resolveLocal(from: string, specifier: string): string {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  const file = [`${base}.ts`, `${base}/index.ts`].find((f) => existsSync(path.join(ROOT, f)));
  if (!file) throw new Error(`${from} imports ${specifier}, which is not a file of the project`);
  return file;
}

/** The packages a module loads at run time, through its own imports and those of the project's modules it loads. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const { declared, required } = runtimeImports(file);
    for (const specifier of [...declared, ...required]) {
      if (specifier.startsWith('.')) walk(resolveLocal(file, specifier));
      else packages.set(specifier, file);
    }
  };
  walk(entry);
  return packages;
}

describe('what a workflow run evaluates when it is created', () => {
  it('journeyRun loads no package but the Temporal SDK', () => {
    const others = [...packagesLoadedBy('workflows/journey.ts')]
      .filter(([name]) => !name.startsWith('@temporalio/'))
      .map(([name, by]) => `${name} (loaded by ${by})`);
    expect(others).toEqual([]);
  });

  it('finds a package loaded on the way (the check can fail)', () => {
    expect([...packagesLoadedBy('workflows/message-send.ts').keys()]).toContain('zod');
  });

  it('workflows/index.ts loads each workflow only when a run of it is created', () => {
    const { declared, required } = runtimeImports('workflows/index.ts');
    // Signals and queries only at load; the workflows' modules through require() inside onFirstCall.
    expect(declared).toEqual(['./definitions']);
    expect(required.length).toBeGreaterThanOrEqual(20);
  });
});
