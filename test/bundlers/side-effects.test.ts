// package.json "sideEffects" tells bundlers which modules they must keep even when nothing is
// imported from them. Every module under src/ whose top level does more than declare (installs
// Tensor methods, registers layers, sets a worker's onmessage), and every module imported only
// for its effect (`import './x.js'`), must match one of its globs, or an app's bundle loses e.g.
// `t.relu()`; and every glob must match a module.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const t = suite('side-effects');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'bench' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** What a module does at its top level beyond declaring names (empty when nothing), and the
 * modules it imports for their effect only. */
function effects(file: string): { what: string[]; imported: string[] } {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const what: string[] = [];
  const imported: string[] = [];
  const short = (n: ts.Node): string => n.getText(sf).split('\n')[0].slice(0, 70);
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause) {
      const spec = (s.moduleSpecifier as ts.StringLiteral).text;
      if (spec.startsWith('.')) imported.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    } else if (
      ts.isExpressionStatement(s) ||
      ts.isIfStatement(s) ||
      ts.isIterationStatement(s, false) ||
      ts.isTryStatement(s) ||
      ts.isBlock(s)
    ) {
      what.push(short(s));
    }
  }
  return { what, imported };
}

/** The dist path a src/ module compiles to, as package.json names it. */
const distPath = (file: string): string =>
  `./dist/${relative(ROOT, file).replace(/\\/g, '/').replace(/\.ts$/, '.js')}`;

/** The globs as bundlers read them: `*` within one path segment. */
function matcher(globs: string[]): (path: string) => boolean {
  const res = globs.map(
    (g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`)
  );
  return (path) => res.some((re) => re.test(path));
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  sideEffects: string[];
};
const files = sources(join(ROOT, 'src'));

t('every module with top-level effects is listed in package.json sideEffects', () => {
  assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects is not a list of globs');
  assert.ok(files.length > 50, `only ${files.length} modules found under src/`);
  const listed = matcher(pkg.sideEffects);
  const missing: string[] = [];
  for (const f of files) {
    const { what, imported } = effects(f);
    if (what.length > 0 && !listed(distPath(f))) {
      const more = what.length > 1 ? ` (and ${what.length - 1} more)` : '';
      missing.push(`${distPath(f)}: ${what[0]}${more}`);
    }
    for (const m of imported) {
      if (!listed(distPath(m))) {
        missing.push(`${distPath(m)}: imported for effect by ${distPath(f)}`);
      }
    }
  }
  assert.equal(missing, [], 'modules with top-level effects that bundlers may drop');
});

t('every sideEffects glob matches a module', () => {
  const paths = files.map(distPath);
  const unused = pkg.sideEffects.filter((g) => !paths.some((p) => matcher([g])(p)));
  assert.equal(unused, []);
});

t.run();
