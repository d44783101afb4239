// What a page loads statically: dist/src/index.js and the Web Worker entries (data-parallel,
// intra-op helper, and the module that starts the helper), followed through every
// static import, reach only relative modules (no node: built-in, no bare package name, which
// neither a page without an import map nor a module worker can resolve); the same for the
// benchmark harness (dist/bench/index.js, `simdgrad/bench`), which neither the library nor the
// CLI's start-up reaches, and for the demo page's compiled scripts (web/src/, in dist/web/src/).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const t = suite('import-graph');
const STATIC =
  /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every module reached by static imports from entry, and the imports that are not relative. */
function graph(entry: URL): { modules: number; outside: string[]; files: string[] } {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (url: URL): void => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const src = readFileSync(fileURLToPath(url), 'utf8');
    for (const m of src.matchAll(STATIC)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('./') || spec.startsWith('../')) visit(new URL(spec, url));
      else outside.push(`${fileURLToPath(url).replace(/.*\/dist\//, 'dist/')} imports '${spec}'`);
    }
  };
  visit(entry);
  return { modules: seen.size, outside, files: [...seen].map((u) => fileURLToPath(u)) };
}

for (const entry of [
  'index.js',
  'parallel/web-worker.js',
  'runtime/thread-web-worker.js',
  'runtime/web-thread.js',
]) {
  t(`dist/src/${entry} reaches only relative modules`, () => {
    const { modules, outside } = graph(new URL(`../../src/${entry}`, import.meta.url));
    assert.ok(
      modules > (entry.startsWith('runtime/') ? 0 : 5),
      `only ${modules} modules found: the import scan is broken`
    );
    assert.equal(outside, [], 'static imports a page cannot resolve');
  });
}

t('dist/bench/index.js (simdgrad/bench) reaches only relative modules', () => {
  const { modules, outside } = graph(new URL('../../bench/index.js', import.meta.url));
  assert.ok(modules > 5, `only ${modules} modules found: the import scan is broken`);
  assert.equal(outside, [], 'static imports a page cannot resolve');
});

for (const entry of ['main.js', 'finetune.js', 'finetune-model.js']) {
  t(`dist/web/src/${entry} (the demo page) reaches only relative modules`, () => {
    const { modules, outside } = graph(new URL(`../../web/src/${entry}`, import.meta.url));
    assert.ok(modules > 5, `only ${modules} modules found: the import scan is broken`);
    assert.equal(outside, [], 'static imports a page cannot resolve');
  });
}

for (const entry of ['src/index.js', 'src/cli/main.js']) {
  t(`dist/${entry} does not load the benchmark harness (dist/bench/)`, () => {
    const { files } = graph(new URL(`../../${entry}`, import.meta.url));
    const bench = files.filter((f) => /[/\\]dist[/\\]bench[/\\]/.test(f));
    assert.equal(bench, [], 'harness modules on the static import graph');
  });
}

t.run();
