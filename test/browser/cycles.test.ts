// No import cycles among the TypeScript sources of the library (src/), the benchmark harness
// (bench/) and the demo page (web/src/), type-only imports included: a cycle works only while every use across it is lazy, and
// a module that needs another's types and the other its own gets a third module for the types
// (bench/types.ts, src/train/types.ts). Reads the sources next to dist/.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const t = suite('import cycles');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STATIC =
  /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The first cycle found in the graph of files (each a list of paths relative to ROOT). */
function cycles(files: string[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    edges.set(
      f,
      [...src.matchAll(STATIC)]
        .map((m) => resolve(dirname(f), (m[1] ?? m[2]).replace(/\.js$/, '.ts')))
        .filter((p) => files.includes(p))
    );
  }
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (state.get(g) === 'open') {
        found.push([...stack.slice(stack.indexOf(g)), g].map((p) => relative(ROOT, p)));
      } else if (!state.has(g)) {
        visit(g);
      }
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

t('src/, bench/ and web/src/ have no import cycles', () => {
  const files = ['src', 'bench', 'web/src'].flatMap((d) => sources(join(ROOT, d)));
  assert.ok(files.length > 50, `only ${files.length} sources found under ${ROOT}`);
  const found = cycles(files);
  assert.equal(
    found.map((c) => c.join(' -> ')),
    []
  );
});

t.run();
