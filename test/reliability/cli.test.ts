// The `simdgrad` CLI as a process (dist/src/cli/main.js, spawned): exit 130 after Ctrl-C and a
// resume equal to the uninterrupted run; SIGKILL at three points of a checkpoint write, then
// --resume; every output path checked before training; resume refusals; eval of a checkpoint and
// of weights holding NaN. Faults come from test/reliability/fault-hooks.ts (node --import).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';

const t = suite('cli');
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const hooks = fileURLToPath(new URL('./fault-hooks.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'simdgrad-cli-'));
let caseNo = 0;
const fresh = (): string => {
  const d = join(root, `case${caseNo++}`);
  mkdirSync(d);
  return d;
};

/** 3 epochs of 8 steps on 256 images: a second or so per run. */
const RUN = [
  '--model',
  'logistic',
  '--limit',
  '256',
  '--test-limit',
  '64',
  '--batch',
  '32',
  '--epochs',
  '3',
  '--workers',
  '1',
  '--build',
  'simd128',
];

function cli(
  args: string[],
  cwd: string,
  faults: Record<string, string> = {}
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', hooks, main, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...faults },
  });
}

function train(
  dir: string,
  extra: string[] = [],
  faults: Record<string, string> = {}
): SpawnSyncReturns<string> {
  return cli(
    [
      'train',
      ...RUN,
      '--checkpoint',
      join(dir, 'run.ckpt'),
      '--log',
      join(dir, 'log.json'),
      '--save',
      join(dir, 'w.safetensors'),
      ...extra,
    ],
    dir,
    faults
  );
}

function said(r: SpawnSyncReturns<string>): string {
  return `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

interface Epoch {
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  lr: number;
}

function history(dir: string): Epoch[] {
  const log = JSON.parse(readFileSync(join(dir, 'log.json'), 'utf8')) as { history: Epoch[] };
  return log.history.map(({ trainLoss, trainAccuracy, testLoss, testAccuracy, lr }) => ({
    trainLoss,
    trainAccuracy,
    testLoss,
    testAccuracy,
    lr,
  }));
}

let straight: { weights: string; history: Epoch[] };

t.before(() => {
  const dir = fresh();
  const r = train(dir);
  assert.is(r.status, 0, said(r));
  straight = { weights: readFileSync(join(dir, 'w.safetensors'), 'hex'), history: history(dir) };
});

function sameAsStraight(dir: string, what: string): void {
  assert.equal(history(dir), straight.history, `${what}: the log's epochs`);
  assert.ok(
    readFileSync(join(dir, 'w.safetensors'), 'hex') === straight.weights,
    `${what}: weights differ from the uninterrupted run's`
  );
  const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  assert.equal(temps, [], `${what}: temporaries left`);
}

t(
  'Ctrl-C mid-epoch: exit 130, no --save or log; --resume gives the uninterrupted run exactly',
  () => {
    const dir = fresh();
    const r = train(dir, [], { SIMDGRAD_FAULT_SIGINT: '3', SIMDGRAD_FAULT_STEP_MS: '25' });
    assert.is(r.status, 130, said(r));
    assert.ok(/stopped at epoch 1 step [3-8]/.test(r.stderr), said(r));
    assert.equal(readdirSync(dir).sort(), ['run.ckpt'], 'only the checkpoint is written');
    const again = train(dir, ['--resume']);
    assert.is(again.status, 0, said(again));
    assert.ok(
      /resuming from .*run\.ckpt: 0 of 3 epochs done, [3-8] steps into epoch 1/.test(again.stderr),
      said(again)
    );
    // The first epoch's record covers its steps before the interrupt too.
    sameAsStraight(dir, 'resumed after Ctrl-C');
  }
);

for (const [point, nth, from] of [
  ['write', 2, '1 of 3'],
  ['sync', 2, '1 of 3'],
  ['rename', 2, '2 of 3'],
  ['write', 1, null],
] as const) {
  t(
    `SIGKILL in checkpoint save ${nth} at '${point}', then --resume: ${from ?? 'from scratch'}`,
    () => {
      const dir = fresh();
      const r = train(dir, [], { SIMDGRAD_FAULT_KILL: `${point}:${nth}` });
      assert.is(r.signal, 'SIGKILL', said(r));
      const again = train(dir, ['--resume']);
      assert.is(again.status, 0, said(again));
      if (from) assert.ok(again.stderr.includes(`: ${from} epochs done\n`), said(again));
      else
        assert.ok(
          again.stderr.includes('no checkpoint at') && again.stderr.includes('from scratch'),
          said(again)
        );
      sameAsStraight(dir, `killed at ${point}`);
    }
  );
}

/** Fails before any training: status 1, message with every part, no epoch line. */
function refused(r: SpawnSyncReturns<string>, parts: string[], what: string): void {
  assert.is(r.status, 1, `${what}: ${said(r)}`);
  for (const p of parts) assert.ok(r.stderr.includes(p), `${what}: '${p}' missing; ${said(r)}`);
  assert.not.ok(r.stderr.includes('epoch 1/'), `${what}: trained first; ${said(r)}`);
}

t(
  'output paths are checked before training: under a file, a directory, a device, one file twice',
  () => {
    const dir = fresh();
    writeFileSync(join(dir, 'plain'), 'x');
    mkdirSync(join(dir, 'adir'));
    const base = ['train', ...RUN, '--checkpoint', join(dir, 'c.ckpt')];
    refused(
      cli([...base, '--save', join(dir, 'plain', 'w.safetensors')], dir),
      ['--save', join(dir, 'plain', 'w.safetensors'), 'cannot create the directory'],
      'save under a file'
    );
    refused(
      cli([...base, '--log', join(dir, 'adir')], dir),
      ['--log', 'is a directory'],
      'log is a directory'
    );
    refused(
      cli([...base, '--checkpoint', '/dev/null'], dir),
      ['--checkpoint /dev/null', 'is a character device; refusing to replace it'],
      'checkpoint /dev/null'
    );
    refused(
      cli([...base, '--save', join(dir, 'same'), '--log', join(dir, 'same')], dir),
      ['--save and --log both name'],
      'one file twice'
    );
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o500);
      refused(
        cli([...base, '--save', join(dir, 'ro', 'w')], dir),
        ['--save', 'cannot write in'],
        'read-only dir'
      );
      chmodSync(join(dir, 'ro'), 0o700);
    }
    assert.equal(readdirSync(dir).sort(), ['adir', 'plain'], 'nothing written by refused runs');
    const nested = cli(
      [...base, '--save', join(dir, 'new', 'deeper', 'w.safetensors'), '--epochs', '1'],
      dir
    );
    assert.is(nested.status, 0, said(nested));
    assert.ok(readdirSync(join(dir, 'new', 'deeper')).includes('w.safetensors'));
  }
);

t('nonsense refused: --clip-grad 0; --resume with another --batch or --seed', () => {
  const dir = fresh();
  refused(train(dir, ['--clip-grad', '0']), ['--clip-grad must be > 0'], 'clip-grad 0');
  const first = train(dir, ['--epochs', '1']);
  assert.is(first.status, 0, said(first));
  refused(
    train(dir, ['--resume', '--batch', '16']),
    ['run.ckpt', 'written by a run with batch size 32, this run has 16'],
    'other batch'
  );
  refused(train(dir, ['--resume', '--seed', '2']), ['seed 1, this run has 2'], 'other seed');
});

t(
  'eval --load of a training checkpoint reads its model part; NaN weights warn; --model mismatch',
  () => {
    const dir = fresh();
    const r = train(dir, ['--epochs', '1']);
    assert.is(r.status, 0, said(r));
    const viaCkpt = cli(['eval', '--load', join(dir, 'run.ckpt'), '--test-limit', '64'], dir);
    const viaSave = cli(['eval', '--load', join(dir, 'w.safetensors'), '--test-limit', '64'], dir);
    assert.is(viaCkpt.status, 0, said(viaCkpt));
    assert.ok(viaCkpt.stderr.includes('is a training checkpoint (1 epochs done)'), said(viaCkpt));
    assert.is(viaCkpt.stdout, viaSave.stdout, 'same accuracy through either file');
    assert.ok(viaSave.stdout.startsWith('logistic mnist: '), 'model taken from the file');
    const { tensors, metadata } = parseSafetensors(
      new Uint8Array(readFileSync(join(dir, 'w.safetensors')))
    );
    for (const k of Object.keys(tensors)) tensors[k].data.fill(NaN);
    writeFileSync(join(dir, 'nan.safetensors'), serializeSafetensors(tensors, metadata));
    const nan = cli(['eval', '--load', join(dir, 'nan.safetensors'), '--test-limit', '64'], dir);
    assert.ok(
      nan.stderr.includes('NaN or infinite values') && nan.stderr.includes('meaningless'),
      said(nan)
    );
    const other = cli(['eval', '--load', join(dir, 'w.safetensors'), '--model', 'lenet5'], dir);
    assert.is(other.status, 1, said(other));
    assert.ok(
      other.stderr.includes("holds a 'logistic' model, --model says 'lenet5'"),
      said(other)
    );
  }
);

t.after(() => rmSync(root, { recursive: true, force: true }));
t.run();
