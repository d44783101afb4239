// `simdgrad bench`: the CPU throughput report of bench/report.ts on this machine, progress on
// stderr, the table on stdout, optionally JSON and an SVG chart; `--suite kernels|train|infer`
// runs one of the detailed suites of bench/suites/ instead, `--suite scaling|torch|accuracy` one
// of the issue-16 target benchmarks (bench/scaling.ts, bench/torch.ts,
// bench/time-to-accuracy.ts, which also run as scripts), its options passed on as it takes them. main.ts imports this module only for
// `simdgrad bench`, so no other command loads the harness. Peers (TF.js) are imported only when
// --peers names them; one that is not installed is reported as such. Tests: test/bench/cli.test.ts.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  BENCH_MODELS,
  formatReport,
  PEERS,
  renderSvg,
  runBench,
  type PeerName,
} from '../../bench/index.js';
import { models as zoo } from '../models/zoo.js';
import { UsageError, type ArgSpec } from './args.js';

const SUITES = ['report', 'kernels', 'train', 'infer', 'scaling', 'torch', 'accuracy'] as const;
type Suite = (typeof SUITES)[number];
/** The suites that run a script's function on an argument list built from the options. */
const SCRIPT_SUITES = ['scaling', 'torch', 'accuracy'] as const;
type ScriptSuite = (typeof SCRIPT_SUITES)[number];

export const BENCH_SPEC: Record<string, ArgSpec> = {
  suite: {
    type: 'string',
    help:
      'report: the one-page report (README, "Benchmark your ' +
      'machine"); kernels: every kernel shape of bench/shapes.ts on both builds, per-case timings ' +
      'and the target checks; train: training images/s per model, batch and build; infer: ' +
      'inference images/s, ResNet-18, MobileNetV2 and EfficientNet-B0 at 224x224 included. These ' +
      'three suites run both peers unless --peers says otherwise (infer: tfjs-wasm, ort-web) and ' +
      'write bench/results/<suite>.json here. Issue 16 targets, ours only (no --peers): ' +
      'scaling: data-parallel training images/s per worker count, alternating rounds, serial ' +
      'fraction (bench/results/scaling.json); torch: one-thread training images/s against ' +
      'native PyTorch at 128-bit and full vector width (python3 with torch; torch.json); ' +
      'accuracy: wall time until the small CNN reaches 99.2% MNIST test accuracy, ours on ' +
      '--workers against PyTorch on as many threads (time-to-accuracy.json)',
    default: 'report',
    choices: SUITES,
  },
  quick: {
    type: 'boolean',
    help:
      'fewer samples, conv/pool at batch 16, no GEMM 1024^3 (under a minute on 2 cores); ' +
      'scaling, torch: 2 rounds; accuracy: --limit 6000 --test-limit 1000 unless given',
  },
  workers: {
    type: 'string',
    help:
      'worker counts for the model rows, comma-separated, e.g. ' +
      '1,2,4 (default: 1 and the available parallelism; each count above 1 also gives an ' +
      'intra-op threads row); scaling: the counts (default 1 and powers of 2 up to the cores); ' +
      'accuracy: one count (default 2)',
  },
  peers: {
    type: 'string',
    help:
      `also run the same work on these, comma-separated ('none': no peer): ` +
      `${PEERS.join(', ')} (default: none; a peer not installed is reported so: npm install ` +
      '@tensorflow/tfjs @tensorflow/tfjs-backend-wasm; torch, torch-128: python3 with PyTorch, ' +
      'one thread, full vector width or 128-bit; ort-web: onnxruntime-web, wasm SIMD, one thread, ' +
      'inference rows only, on our ONNX export)',
  },
  models: {
    type: 'string',
    help:
      'models for the images/s rows, comma-separated (default: ' +
      `${BENCH_MODELS.join(',')}; torch: those two at most)`,
  },
  build: {
    type: 'string',
    help:
      'kernel build of the kernel and model rows: auto, simd128, ' +
      'relaxed (the peak is measured for every build the engine runs)',
    default: 'auto',
    choices: ['auto', 'simd128', 'relaxed'],
  },
  json: {
    type: 'string',
    help:
      'write the report as JSON to this file (fields: README, "Benchmark your machine"); a ' +
      "suite's JSON goes here instead of bench/results/",
  },
  svg: { type: 'string', help: 'write a bar chart of the report to this SVG file' },
  only: {
    type: 'string',
    help:
      '--suite kernels: the cases whose id starts with one of these, ' +
      'comma-separated (e.g. gemm.512,conv.mnist2)',
  },
  batches: {
    type: 'string',
    help: '--suite train: batch sizes, comma-separated (default 64,128; ' + 'quick 64)',
  },
  rounds: {
    type: 'integer',
    min: 1,
    help: '--suite scaling, torch: alternating rounds (default 6 and 5; quick 2)',
  },
  cases: {
    type: 'string',
    help: '--suite scaling: model:batch pairs, comma-separated (default small-cnn:64,lenet5:128)',
  },
  shards: {
    type: 'integer',
    min: 1,
    help: '--suite scaling: batch shards per step (default one per worker)',
  },
  side: {
    type: 'string',
    choices: ['both', 'ours', 'torch'],
    help: '--suite accuracy: which sides run (default both)',
  },
  'torch-first': { type: 'boolean', help: '--suite accuracy: run PyTorch before ours' },
  threads: {
    type: 'integer',
    min: 1,
    help: "--suite accuracy: PyTorch's threads (default: --workers)",
  },
  target: {
    type: 'number',
    help: '--suite accuracy: test accuracy to reach, in (0, 1] (default 0.992)',
  },
  epochs: {
    type: 'integer',
    min: 1,
    help: "--suite accuracy: most epochs, the schedule's length (default: the train recipe's, 6)",
  },
  limit: { type: 'integer', min: 1, help: '--suite accuracy: training images used' },
  'test-limit': { type: 'integer', min: 1, help: '--suite accuracy: test images used' },
  seed: { type: 'integer', min: 0, help: '--suite accuracy: random seed (default 1)' },
  python: {
    type: 'string',
    help: '--suite accuracy: the Python with torch (default /usr/bin/python3)',
  },
};

/** The suites each suite-specific option applies to (the others apply to all or are checked
 * where they are used). */
const ONLY_FOR: Record<string, readonly Suite[]> = {
  only: ['kernels'],
  batches: ['train'],
  peers: ['report', 'kernels', 'train', 'infer'],
  models: ['report', 'kernels', 'train', 'infer', 'torch'],
  workers: ['report', 'kernels', 'train', 'infer', 'scaling', 'accuracy'],
  rounds: ['scaling', 'torch'],
  cases: ['scaling'],
  shards: ['scaling'],
  side: ['accuracy'],
  'torch-first': ['accuracy'],
  threads: ['accuracy'],
  target: ['accuracy'],
  epochs: ['accuracy'],
  limit: ['accuracy'],
  'test-limit': ['accuracy'],
  seed: ['accuracy'],
  python: ['accuracy'],
};

const WHO = 'simdgrad bench';

function list(o: Record<string, unknown>, name: string): string[] | undefined {
  const raw = o[name] as string | undefined;
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) {
    throw new UsageError(`${WHO}: --${name} needs at least one value; got '${raw}'`);
  }
  return items;
}

function counts(
  o: Record<string, unknown>,
  name: string,
  what: string,
  max: number
): number[] | undefined {
  return list(o, name)?.map((w) => {
    const v = Number(w);
    if (!Number.isInteger(v) || v < 1 || v > max) {
      throw new UsageError(`${WHO}: --${name}: '${w}' is not ${what} (an integer 1..${max})`);
    }
    return v;
  });
}

/** The models --models may name for a suite. */
async function suiteModels(suite: Suite): Promise<readonly string[]> {
  if (suite === 'train') return (await import('../../bench/suites/train.js')).TRAIN_SUITE_MODELS;
  if (suite === 'infer') return (await import('../../bench/suites/infer.js')).INFER_SUITE_MODELS;
  return BENCH_MODELS;
}

/** Checks the list options and turns them into runBench (or suite) options. */
export async function benchOptions(o: Record<string, unknown>): Promise<{
  workers?: number[];
  peers?: PeerName[];
  models?: string[];
  batches?: number[];
  only?: string[];
}> {
  const suite = (o.suite ?? 'report') as Suite;
  const workers = counts(o, 'workers', 'a worker count', 256);
  const batches = counts(o, 'batches', 'a batch size', 65536);
  for (const [name, suites] of Object.entries(ONLY_FOR)) {
    if (o[name] !== undefined && !suites.includes(suite)) {
      throw new UsageError(`${WHO}: --${name} applies to --suite ${suites.join(', ')} only`);
    }
  }
  if (suite === 'accuracy' && workers && workers.length !== 1) {
    throw new UsageError(`${WHO}: --workers: --suite accuracy takes one worker count`);
  }
  const target = o.target as number | undefined;
  if (target !== undefined && !(target > 0 && target <= 1)) {
    throw new UsageError(`${WHO}: --target must be in (0, 1]; got ${target}`);
  }
  for (const c of list(o, 'cases') ?? []) {
    const [model, batch, ...rest] = c.split(':');
    const b = Number(batch ?? 64);
    if (!(model in zoo) || rest.length > 0 || !Number.isInteger(b) || b < 1) {
      throw new UsageError(
        `${WHO}: --cases: '${c}' is not model:batch (a zoo model, a positive batch)`
      );
    }
  }
  const known = await suiteModels(suite);
  const peers =
    o.peers === 'none'
      ? []
      : list(o, 'peers')?.map((p) => {
          if (!(PEERS as readonly string[]).includes(p)) {
            throw new UsageError(
              `${WHO}: --peers: unknown peer '${p}'; known: ${PEERS.join(', ')}`
            );
          }
          return p as PeerName;
        });
  const models = list(o, 'models')?.map((m) => {
    if (!known.includes(m)) {
      const why =
        suite !== 'report'
          ? `is not in the ${suite} suite`
          : m in zoo
            ? 'has no convolution to measure'
            : 'is not a zoo model';
      throw new UsageError(`${WHO}: --models: '${m}' ${why}; known: ${known.join(', ')}`);
    }
    return m;
  });
  return { workers, peers, models, batches, only: list(o, 'only') };
}

async function write(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** The argument list of a script suite: its options as the script reads them (--json is the
 * scripts' --out). */
export function scriptArgv(o: Record<string, unknown>): string[] {
  const argv: string[] = [];
  if (o.quick === true) argv.push('--quick');
  if (o['torch-first'] === true) argv.push('--torch-first');
  const names: [string, string][] = [
    ['json', 'out'],
    ['workers', 'workers'],
    ['models', 'models'],
    ['rounds', 'rounds'],
    ['cases', 'cases'],
    ['shards', 'shards'],
    ['side', 'side'],
    ['threads', 'threads'],
    ['target', 'target'],
    ['epochs', 'epochs'],
    ['limit', 'limit'],
    ['test-limit', 'test-limit'],
    ['seed', 'seed'],
    ['python', 'python'],
  ];
  for (const [option, script] of names) {
    if (o[option] !== undefined) argv.push(`--${script}`, String(o[option]));
  }
  return argv;
}

async function runScriptSuite(suite: ScriptSuite, o: Record<string, unknown>): Promise<void> {
  const argv = scriptArgv(o);
  if (suite === 'scaling') await (await import('../../bench/scaling.js')).runScaling(argv);
  else if (suite === 'torch') await (await import('../../bench/torch.js')).runTorchBench(argv);
  else await (await import('../../bench/time-to-accuracy.js')).runAccuracy(argv);
}

/** One of the detailed suites: their own printing, JSON to --json or bench/results/. */
async function runSuite(
  suite: Exclude<Suite, 'report'>,
  o: Record<string, unknown>,
  lists: Awaited<ReturnType<typeof benchOptions>>
): Promise<void> {
  if (o.svg) throw new UsageError(`${WHO}: --svg draws the report only (--suite report)`);
  if ((SCRIPT_SUITES as readonly string[]).includes(suite)) {
    await runScriptSuite(suite as ScriptSuite, o);
    return;
  }
  const opts = {
    ...lists,
    quick: o.quick === true,
    json: o.json as string | undefined,
    peers:
      lists.peers ?? ((suite === 'infer' ? ['tfjs-wasm', 'ort-web'] : [...PEERS]) as PeerName[]),
  };
  if (suite === 'kernels') await (await import('../../bench/suites/kernels.js')).kernelsSuite(opts);
  else if (suite === 'train') await (await import('../../bench/suites/train.js')).trainSuite(opts);
  else await (await import('../../bench/suites/infer.js')).inferSuite(opts);
}

export async function benchCommand(o: Record<string, unknown>): Promise<void> {
  const lists = await benchOptions(o);
  const suite = o.suite as Suite;
  if (suite !== 'report') {
    await runSuite(suite, o, lists);
    return;
  }
  const err = process.stderr;
  const t0 = performance.now();
  const report = await runBench({
    ...lists,
    quick: o.quick === true,
    build: o.build as 'auto' | 'simd128' | 'relaxed',
    progress: (msg) => {
      err.write(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
    },
  });
  process.stdout.write(`\n${formatReport(report)}`);
  if (o.json) {
    await write(o.json as string, `${JSON.stringify(report, null, 2)}\n`);
    err.write(`wrote ${o.json as string}\n`);
  }
  if (o.svg) {
    await write(o.svg as string, renderSvg(report));
    err.write(`wrote ${o.svg as string}\n`);
  }
}
