// `simdgrad bench` option errors (strict, like train): an unknown option, an unknown peer and a
// bad worker count each exit 1 with a message naming them, as do options given to a suite they
// do not apply to; --help documents every option and suite; the kernels suite (once `npm run
// bench:kernels`) and the accuracy suite (once bench/time-to-accuracy.js, a smoke run on 300
// images) run through the same command, and the script suites get their options as the scripts
// read them.
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
  [['--suite', 'scaling', '--svg', 'x.svg'], '--svg draws the report only'],
  [['--suite', 'scaling', '--bogus', '1'], 'unknown option --bogus'],
  [['--suite', 'scaling', '--peers', 'tfjs-wasm'], '--peers applies to --suite report'],
  [['--suite', 'scaling', '--cases', 'lenet5:0'], "--cases: 'lenet5:0' is not model:batch"],
  [['--suite', 'scaling', '--rounds', '0'], '--rounds must be >= 1'],
  [['--suite', 'torch', '--models', 'resnet18'], "--models: 'resnet18' is not in the torch suite"],
  [['--suite', 'torch', '--workers', '2'], '--workers applies to --suite'],
  [['--suite', 'torch', '--epochs', '2'], '--epochs applies to --suite accuracy only'],
  [['--suite', 'accuracy', '--workers', '1,2'], '--suite accuracy takes one worker count'],
  [['--suite', 'accuracy', '--side', 'theirs'], '--side must be one of both, ours, torch'],
  [['--suite', 'accuracy', '--target', '1.5'], '--target must be in (0, 1]'],
  [['--suite', 'accuracy', '--limit', 'x'], '--limit must be an integer'],
  [['--suite', 'accuracy', '--rounds', '2'], '--rounds applies to --suite scaling, torch only'],
  [['--limit', '300'], '--limit applies to --suite accuracy only'],
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
    '--rounds',
    '--cases',
    '--shards',
    '--side',
    '--torch-first',
    '--threads',
    '--target',
    '--epochs',
    '--limit',
    '--test-limit',
    '--seed',
    '--python',
  ]) {
    assert.ok(r.out.includes(o), `--help lacks ${o}`);
  }
  for (const s of ['scaling:', 'torch:', 'accuracy:']) {
    assert.ok(r.out.includes(s), `--help does not describe --suite ${s}`);
  }
});

t('the script suites get their options as the scripts read them', async () => {
  const { scriptArgv } = await import('../../src/cli/bench.js');
  assert.equal(
    scriptArgv({
      suite: 'accuracy',
      quick: true,
      'torch-first': true,
      json: 'a.json',
      workers: '2',
      epochs: 1,
      limit: 300,
      'test-limit': 100,
      side: 'ours',
      target: 0.5,
    }),
    [
      '--quick',
      '--torch-first',
      '--out',
      'a.json',
      '--workers',
      '2',
      '--side',
      'ours',
      '--target',
      '0.5',
      '--epochs',
      '1',
      '--limit',
      '300',
      '--test-limit',
      '100',
    ]
  );
  assert.equal(scriptArgv({ suite: 'scaling', rounds: 2, cases: 'lenet5:8', shards: 4 }), [
    '--rounds',
    '2',
    '--cases',
    'lenet5:8',
    '--shards',
    '4',
  ]);
});

t('bench --suite accuracy (once bench/time-to-accuracy.js) smoke-runs ours on 300 images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simdgrad-bench-'));
  try {
    const json = join(dir, 'a.json');
    const r = spawnSync(
      process.execPath,
      [
        main,
        'bench',
        '--suite',
        'accuracy',
        '--limit',
        '300',
        '--test-limit',
        '100',
        '--epochs',
        '1',
        '--side',
        'ours',
        '--workers',
        '1',
        '--json',
        json,
      ],
      { encoding: 'utf8', timeout: 60_000 }
    );
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, 'not reached in 1 epochs');
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      options: { limit: number; testLimit: number; epochs: number; workers: number };
      sides: Record<string, { status: string; history: unknown[] }>;
    };
    assert.equal(
      [out.options.limit, out.options.testLimit, out.options.epochs, out.options.workers],
      [300, 100, 1, 1]
    );
    assert.equal(Object.keys(out.sides), ['ours']);
    assert.is(out.sides.ours.status, 'ok');
    assert.is(out.sides.ours.history.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
