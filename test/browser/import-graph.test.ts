// What a page loads statically: dist/src/index.js and the Web Worker entry, followed through every
// static import, reach only relative modules (no node: built-in, no bare package name, which
// neither a page without an import map nor a module worker can resolve); the benchmark adds only
// tinybench, which the demo page's import map names.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const t = suite('import-graph');
const STATIC = /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every module reached by static imports from entry, and the imports that are not relative. */
function graph(entry: URL): { modules: number; outside: string[] } {
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
  return { modules: seen.size, outside };
}

for (const entry of ['index.js', 'parallel/web-worker.js']) {
  t(`dist/src/${entry} reaches only relative modules`, () => {
    const { modules, outside } = graph(new URL(`../../src/${entry}`, import.meta.url));
    assert.ok(modules > 5, `only ${modules} modules found: the import scan is broken`);
    assert.equal(outside, [], 'static imports a page cannot resolve');
  });
}

t('dist/src/bench/report.js reaches relative modules and tinybench, mapped by the demo', () => {
  const { outside } = graph(new URL('../../src/bench/report.js', import.meta.url));
  const bare = [...new Set(outside.map((line) => /imports '(.*)'$/.exec(line)![1]))];
  assert.equal(bare, ['tinybench'], outside.join('; '));
  const root = new URL('../../../', import.meta.url);
  const html = readFileSync(new URL('web/index.html', root), 'utf8');
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(map, 'web/index.html has no import map');
  const target = (JSON.parse(map![1]) as { imports: Record<string, string> }).imports.tinybench;
  assert.ok(target && existsSync(new URL(`.${target}`, root)), `tinybench maps to ${target}`);
});

t.run();
