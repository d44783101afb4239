// Every repository path named in a source file's opening comment exists: headers point readers
// at tests, references and benchmarks, and a moved file must not leave them pointing nowhere.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const t = suite('header paths');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PATH =
  /(?<![\w/.-])((?:src|test|bench|assembly|scripts|web|examples|docs)\/[\w./-]*\w\.(?:ts|mjs|js|json|html|py|css|md|svg|png))\b/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name === 'results') return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The comment lines a file opens with (after a shebang). */
function header(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#!')) continue;
    if (!line.startsWith('//')) break;
    out.push(line);
  }
  return out.join('\n');
}

t('paths in file headers exist', () => {
  const files = ['src', 'test', 'bench', 'assembly', 'scripts', 'examples', 'web'].flatMap((d) =>
    existsSync(join(ROOT, d)) ? sources(join(ROOT, d)) : []
  );
  assert.ok(files.length > 100, `only ${files.length} files found under ${ROOT}`);
  const missing: string[] = [];
  for (const f of files) {
    for (const m of header(f).matchAll(PATH)) {
      // A .js path names the compiled form of a .ts source (dist/ mirrors the tree).
      const p = m[1];
      const found =
        existsSync(join(ROOT, p)) ||
        (p.endsWith('.js') && existsSync(join(ROOT, p.replace(/\.js$/, '.ts'))));
      if (!found) missing.push(`${relative(ROOT, f)} names ${p}`);
    }
  }
  assert.equal(missing, []);
});

t.run();
