// `simdgrad bench --suite accuracy [--quick] [--side both|ours|torch] [--torch-first] [--workers 2]
// [--threads 2] [--target 0.992] [--epochs N] [--limit N] [--test-limit N] [--seed 1]
// [--python /usr/bin/python3] [--json file.json]` (runAccuracy; also `node
// dist/bench/time-to-accuracy.js` with the same options, --out for --json): wall time until the small CNN reaches the
// target test accuracy on MNIST (issue 16, target 5: 99.2%, 2 workers), ours with the recipe of
// `simdgrad train --model small-cnn` (src/cli/commands.ts MODEL_DEFAULTS: Adam, one-cycle,
// batch 128, 6 epochs, no augmentation) on data-parallel workers, against native PyTorch on as
// many threads with the same model, optimizer, schedule, batch and data
// (bench/time_to_accuracy.py), back to back in one run. The full test set is evaluated after
// every epoch; a side stops at the first epoch at or above the target, or after --epochs (the
// schedule's length). The clock starts once the data is loaded (ours counts the workers'
// start). --limit and --test-limit shrink the data for a smoke run (--quick: 6000 and 1000).
// Results: time-to-accuracy.json (time-to-accuracy.quick.json with --limit) in bench/results/.

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_DEFAULTS } from '../src/cli/commands.js';
import { MNIST_MEAN, MNIST_STD, normalize } from '../src/data/dataset.js';
import { mnist, mnistDataDir } from '../src/data/mnist.js';
import { createModel, init, manualSeed, optim, Trainer } from '../src/index.js';
import type { EpochRecord } from '../src/train/trainer.js';
import { describeMachine, machineInfo } from './machine.js';
import { errorMessage } from './measure.js';
import { runIfMain, scriptArgs, writeResults } from './suites/common.js';

const MODEL = 'small-cnn';

export interface Side {
  status: 'ok' | 'error';
  note?: string;
  /** Per epoch: test accuracy and the wall time since the clock started, s. */
  history: {
    epoch: number;
    testAccuracy: number | null;
    elapsed: number;
    seconds: number;
    evalSeconds: number;
  }[];
  /** The first epoch at or above the target and the wall time then, s; null: not reached. */
  reached: { epoch: number; seconds: number } | null;
  detail?: string;
  loadAvg: number[];
}

export interface Options {
  target: number;
  epochs: number;
  workers: number;
  threads: number;
  seed: number;
  limit?: number;
  testLimit?: number;
  python: string;
}

const recipe = MODEL_DEFAULTS[MODEL];
const load = (): number[] => os.loadavg().map((v) => Math.round(v * 100) / 100);

/** Ours: the CLI's recipe on o.workers data-parallel workers, stopping at the target. */
export async function oursSide(o: Options): Promise<Side> {
  const loadAvg = load();
  const { build } = await init();
  const train = await mnist({ split: 'train', limit: o.limit });
  const test = await mnist({ split: 'test', limit: o.testLimit });
  normalize(train.images, MNIST_MEAN, MNIST_STD, train.images);
  normalize(test.images, MNIST_MEAN, MNIST_STD, test.images);
  manualSeed(o.seed);
  const model = createModel(MODEL);
  const optimizer = new optim.Adam(model.parameters(), { lr: recipe.lr, weightDecay: 0 });
  const history: Side['history'] = [];
  let reached: Side['reached'] = null;
  const t0 = performance.now();
  const trainer = new Trainer({
    model,
    optimizer,
    train,
    test,
    epochs: o.epochs,
    batchSize: recipe.batch,
    seed: o.seed,
    workers: o.workers,
    schedule: { name: recipe.schedule, lr: recipe.lr, gamma: recipe.lrDecay },
    out: { write: (s: string) => process.stderr.write(s) },
    onEpoch: (rec: EpochRecord, tr: Trainer) => {
      const elapsed = (performance.now() - t0) / 1000;
      history.push({
        epoch: rec.epoch,
        testAccuracy: rec.testAccuracy,
        elapsed,
        seconds: rec.seconds,
        evalSeconds: rec.evalSeconds,
      });
      if (!reached && (rec.testAccuracy ?? 0) >= o.target) {
        reached = { epoch: rec.epoch, seconds: elapsed };
        tr.stop();
      }
    },
  });
  await trainer.fit();
  model.dispose();
  return {
    status: 'ok',
    history,
    reached,
    loadAvg,
    detail:
      `${build} kernels, ${o.workers} worker${o.workers > 1 ? 's' : ''}, ${train.n} ` +
      `training and ${test.n} test images`,
  };
}

/** PyTorch: bench/time_to_accuracy.py with the same recipe, o.threads threads. */
export async function torchSide(o: Options): Promise<Side> {
  const loadAvg = load();
  // compiled to dist/bench/: the script stays in bench/ of the repository
  const script = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    'bench',
    'time_to_accuracy.py'
  );
  const job = {
    dataDir: mnistDataDir(),
    epochs: o.epochs,
    batch: recipe.batch,
    lr: recipe.lr,
    schedule: recipe.schedule,
    lrDecay: recipe.lrDecay,
    opt: recipe.opt,
    weightDecay: 0,
    target: o.target,
    threads: o.threads,
    seed: o.seed,
    limit: o.limit ?? null,
    testLimit: o.testLimit ?? null,
  };
  const threads = String(o.threads);
  const env = {
    ...process.env,
    OMP_NUM_THREADS: threads,
    OPENBLAS_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
    MALLOC_MMAP_THRESHOLD_: '33554432',
    MALLOC_TRIM_THRESHOLD_: '68719476736',
  };
  const run = await new Promise<{ code: number | null; stdout: string; error?: string }>(
    (resolve) => {
      const child = spawn(o.python, [script, JSON.stringify(job)], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
      });
      child.on('error', (e) => resolve({ code: null, stdout, error: e.message }));
      child.on('close', (code) => resolve({ code, stdout }));
    }
  );
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    if (run.error || run.code !== 0) throw new Error(run.error ?? `exit code ${run.code}`);
    const r = JSON.parse(last) as {
      version: string;
      threads: number;
      train: number;
      test: number;
      history: Side['history'];
      reached: Side['reached'];
    };
    return {
      status: 'ok',
      history: r.history,
      reached: r.reached,
      loadAvg,
      detail:
        `PyTorch ${r.version}, ${r.threads} threads, ${r.train} training and ${r.test} ` +
        'test images',
    };
  } catch (e) {
    return {
      status: 'error',
      history: [],
      reached: null,
      loadAvg,
      note: `${o.python} ${script}: ${errorMessage(e)}`,
    };
  }
}

function describe(name: string, s: Side, o: Options): string {
  if (s.status !== 'ok') return `${name}: error: ${s.note}`;
  const epochs = s.history
    .map(
      (h) =>
        `${h.epoch}: ${(100 * (h.testAccuracy ?? 0)).toFixed(2)}% ` + `at ${h.elapsed.toFixed(1)} s`
    )
    .join(', ');
  return (
    `${name} (${s.detail}; load ${s.loadAvg.join(' ')}): ` +
    (s.reached
      ? `${(100 * o.target).toFixed(1)}% after epoch ${s.reached.epoch}, ` +
        `${s.reached.seconds.toFixed(1)} s`
      : `${(100 * o.target).toFixed(1)}% not reached in ` + `${o.epochs} epochs`) +
    `\n  epochs ${epochs}`
  );
}

/** Runs the time-to-accuracy race with a script's arguments (see the header), prints it and
 * writes its JSON; returns what it wrote. */
export async function runAccuracy(args: string[]): Promise<Record<string, unknown>> {
  const cli = scriptArgs(args);
  const num = (name: string): number | undefined => {
    const v = cli.value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      throw new RangeError(`--${name}: '${v}' is not a positive number`);
    }
    return n;
  };
  const side = cli.value('side') ?? 'both';
  if (!['both', 'ours', 'torch'].includes(side)) {
    throw new RangeError(`--side must be both, ours or torch; got '${side}'`);
  }
  const o: Options = {
    target: num('target') ?? 0.992,
    epochs: num('epochs') ?? recipe.epochs,
    workers: num('workers') ?? 2,
    threads: num('threads') ?? num('workers') ?? 2,
    seed: num('seed') ?? 1,
    limit: num('limit') ?? (cli.quick ? 6000 : undefined),
    testLimit: num('test-limit') ?? (cli.quick ? 1000 : undefined),
    python: cli.value('python') ?? '/usr/bin/python3',
  };
  const machine = await machineInfo();
  const started = new Date().toISOString();
  console.log(
    `time to ${(100 * o.target).toFixed(1)}% test accuracy, ${MODEL} on MNIST, ` +
      `${started}\nmachine: ${describeMachine(machine)}\nrecipe: ${recipe.opt} lr ${recipe.lr} ` +
      `${recipe.schedule} over ${o.epochs} epochs, batch ${recipe.batch}, seed ${o.seed}`
  );
  const order = cli.flag('torch-first') ? ['torch', 'ours'] : ['ours', 'torch'];
  const sides: Record<string, Side> = {};
  for (const s of order.filter((x) => side === 'both' || side === x)) {
    sides[s] = s === 'ours' ? await oursSide(o) : await torchSide(o);
    console.log(describe(s === 'ours' ? 'simdgrad' : 'pytorch', sides[s], o));
  }
  const a = sides.ours?.reached?.seconds;
  const b = sides.torch?.reached?.seconds;
  if (a && b) {
    const faster = b > a ? 'simdgrad' : 'PyTorch';
    console.log(
      `simdgrad / PyTorch time: ${(a / b).toFixed(2)} (${faster} ` +
        `${(Math.max(a, b) / Math.min(a, b)).toFixed(2)}x faster)`
    );
  }
  const quick = o.limit !== undefined || o.testLimit !== undefined;
  const json = {
    benchmark: 'bench/time-to-accuracy.ts',
    startedAt: started,
    args,
    machine,
    model: MODEL,
    recipe,
    options: o,
    sides,
  };
  const out = writeResults({ json: cli.value('out'), quick, peers: [] }, 'time-to-accuracy', json);
  if (out) console.log(`wrote ${out}`);
  return json;
}

runIfMain(import.meta.url, () => runAccuracy(process.argv.slice(2)));
