// `simdgrad bench`: the CPU throughput report of bench/report.ts on this machine, progress on
// stderr, the table on stdout, optionally JSON and an SVG chart; `--suite kernels|train|infer`
// runs one of the detailed suites of bench/suites/ instead. main.ts imports this module only for
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

const SUITES = ['report', 'kernels', 'train', 'infer'] as const;
type Suite = (typeof SUITES)[number];

export const BENCH_SPEC: Record<string, ArgSpec> = {
  suite: {
    type: 'string',
    help:
      'report: the one-page report (README, "Benchmark your ' +
      'machine"); kernels: every kernel shape of bench/shapes.ts on both builds, per-case timings ' +
      'and the target checks; train: training images/s per model, batch and build; infer: ' +
      'inference images/s, ResNet-18, MobileNetV2 and EfficientNet-B0 at 224x224 included. The ' +
      'three suites run both peers unless --peers says otherwise (infer: tfjs-wasm, ort-web) and ' +
      'write ' +
      'bench/results/<suite>.json here',
    default: 'report',
    choices: SUITES,
  },
  quick: {
    type: 'boolean',
    help: 'fewer samples, conv/pool at batch 16, no GEMM 1024^3 (under a minute on 2 cores)',
  },
  workers: {
    type: 'string',
    help:
      'worker counts for the model rows, comma-separated, e.g. ' +
      '1,2,4 (default: 1 and the available parallelism)',
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
    help: 'models for the images/s rows, comma-separated (default: ' + `${BENCH_MODELS.join(',')})`,
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
    help: 'write the report as JSON to this file (fields: README, "Benchmark your machine")',
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
  for (const [name, only] of [
    ['only', 'kernels'],
    ['batches', 'train'],
  ]) {
    if (o[name] !== undefined && suite !== only) {
      throw new UsageError(`${WHO}: --${name} applies to --suite ${only} only`);
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

/** One of the detailed suites: their own printing, JSON to --json or bench/results/. */
async function runSuite(
  suite: Exclude<Suite, 'report'>,
  o: Record<string, unknown>,
  lists: Awaited<ReturnType<typeof benchOptions>>
): Promise<void> {
  if (o.svg) throw new UsageError(`${WHO}: --svg draws the report only (--suite report)`);
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
