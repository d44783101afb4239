// `simdgrad bench` option errors (strict, like train): an unknown option, an unknown peer and a
// bad worker count each exit 1 with a message naming them; --help documents every option.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const t = suite('simdgrad bench CLI');
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function run(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, 'bench', ...args], { encoding: 'utf8',
    timeout: 30_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

for (const [args, expected] of [
  [['--quick', '--bogus'], 'unknown option --bogus'],
  [['--peers', 'tfjs-wasm,tfjs-gpu'], "unknown peer 'tfjs-gpu'"],
  [['--workers', '1,0'], "--workers: '0'"],
  [['--models', 'mlp'], "--models: 'mlp'"],
] as [string[], string][]) {
  t(`bench ${args.join(' ')}: exit 1 naming it`, () => {
    const r = run(...args);
    assert.is(r.status, 1, r.err);
    assert.ok(r.err.includes(expected), `stderr does not name it: ${r.err}`);
    assert.is(r.out, '');
  });
}

t('bench --help lists every option', () => {
  const r = run('--help');
  assert.is(r.status, 0);
  for (const o of ['--quick', '--workers', '--peers', '--models', '--build', '--json', '--svg']) {
    assert.ok(r.out.includes(o), `--help lacks ${o}`);
  }
});

t.run();
