// `simdgrad bench` option errors (strict, like train): an unknown option, an unknown peer and a
// bad worker count each exit 1 with a message naming them; --help documents every option; the
// kernels suite (once `npm run bench:kernels`) runs through the same command.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const t = suite('simdgrad bench CLI');
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function run(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, 'bench', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

for (const [args, expected] of [
  [['--quick', '--bogus'], 'unknown option --bogus'],
  [['--peers', 'tfjs-wasm,tfjs-gpu'], "unknown peer 'tfjs-gpu'"],
  [['--workers', '1,0'], "--workers: '0'"],
  [['--models', 'mlp'], "--models: 'mlp'"],
  [['--suite', 'fast'], '--suite must be one of'],
  [['--only', 'gemm'], '--only applies to --suite kernels only'],
  [['--suite', 'kernels', '--batches', '64'], '--batches applies to --suite train only'],
  [['--suite', 'train', '--models', 'resnet18'], "--models: 'resnet18' is not in the train suite"],
  [['--suite', 'train', '--batches', '64,x'], "--batches: 'x'"],
  [['--suite', 'kernels', '--svg', 'x.svg'], '--svg draws the report only'],
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
  for (const o of [
    '--suite',
    '--quick',
    '--workers',
    '--peers',
    '--models',
    '--build',
    '--json',
    '--svg',
    '--only',
    '--batches',
  ]) {
    assert.ok(r.out.includes(o), `--help lacks ${o}`);
  }
});

t('bench --suite kernels (the old bench:kernels script) times the cases --only names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simdgrad-bench-'));
  try {
    const json = join(dir, 'k.json');
    const r = spawnSync(
      process.execPath,
      [
        main,
        'bench',
        '--suite',
        'kernels',
        '--quick',
        '--only',
        'pool,norm.',
        '--peers',
        'tfjs-wasm',
        '--json',
        json,
      ],
      { encoding: 'utf8', timeout: 120_000 }
    );
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('target checks'), r.stdout);
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      cases: { id: string; results: { impl: string; status: string }[] }[];
    };
    assert.equal(
      out.cases.map((c) => c.id),
      [
        'pool.max2',
        'norm.layernorm2d_fwd',
        'norm.layernorm2d_bwd',
        'norm.gelu_fwd',
        'norm.gelu_bwd',
      ]
    );
    const impls = out.cases[0].results.map((x) => `${x.impl} ${x.status}`);
    assert.ok(impls.includes('relaxed ok') || impls.includes('simd128 ok'), impls.join(', '));
    assert.ok(impls.includes('tfjs-wasm ok'), impls.join(', '));
    assert.ok(impls.includes('tfjs-cpu skipped'), impls.join(', '));
    // The norm family's rows: ours on both builds, TF.js has no such kernel.
    for (const c of out.cases.slice(1)) {
      const got = c.results.map((x) => `${x.impl} ${x.status}`);
      assert.ok(
        got.includes('simd128 ok') &&
          !got.includes('relaxed error') &&
          got.includes('tfjs-wasm missing'),
        `${c.id}: ${got.join(', ')}`
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
