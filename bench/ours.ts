// Our side of the kernel benchmarks: the single-core SIMD peak of a build (assembly/peak.ts) and
// one timed closure per case of bench/shapes.ts, through the same bindings the library calls
// (src/runtime/kernels/*). A kernel the build does not export yet is reported as "not built".

import type { F32Buf } from '../src/runtime/heap.js';
import type { Runtime } from '../src/runtime/load.js';
import { gemm } from '../src/runtime/kernels/gemm.js';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
} from '../src/runtime/kernels/conv.js';
import {
  activationBackward,
  activationForward,
  layerNorm2dBackward,
  layerNorm2dForward,
} from '../src/runtime/kernels/norm.js';
import { binary } from '../src/runtime/kernels/pointwise.js';
import { maxPool2dForward, pool2dShape } from '../src/runtime/kernels/pool.js';
import { reduceSum, softmaxForward } from '../src/runtime/kernels/reduce.js';
import { gflops, measure, type Budget, type Timing } from './measure.js';
import {
  eltwiseBytes,
  poolBytes,
  type BenchCase,
  type ConvCase,
  type EltwiseCase,
  type GemmCase,
  type PoolCase,
} from './shapes.js';
import { kernel } from '../src/runtime/kernels/call.js';

export type OurTask =
  | { status: 'ok'; kernel: string; run: () => void; dispose: () => void; bytes?: number }
  | { status: 'not built'; kernel: string; note: string };

export interface PeakPart {
  /** From the fastest sample: interference from other work only ever slows a loop down. */
  gflops: number;
  gflopsMedian: number;
  itersPerCall: number;
  flopsPerCall: number;
  timing: Timing;
}

export interface Peak {
  loop: PeakPart;
  tile: PeakPart;
  /** The larger of the two: what "% of peak" divides by. */
  gflops: number;
}

/** xorshift32 in [-1, 1): the same inputs every run, no denormals. */
export function fillRandom(v: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    v[i] = s / 2147483648 - 1;
  }
}

class Buffers {
  private readonly bufs: F32Buf[] = [];
  constructor(private readonly rt: Runtime) {}

  random(length: number, seed: number): F32Buf {
    const b = this.rt.heap.allocF32(length);
    this.bufs.push(b);
    fillRandom(this.rt.heap.view(b), seed);
    return b;
  }

  free(): void {
    for (const b of this.bufs) this.rt.heap.free(b);
    this.bufs.length = 0;
  }
}

/** Times a peak loop: after a Liftoff->TurboFan warm-up, iterations are set to ~targetMs a call. */
async function peakPart(
  name: string,
  call: (iters: number) => void,
  flopsPerIter: number,
  budget: Budget,
  targetMs: number
): Promise<PeakPart> {
  for (let i = 0; i < 20; i++) call(1000);
  let iters = 10000;
  for (;;) {
    const t0 = performance.now();
    call(iters);
    const dt = performance.now() - t0;
    if (dt > targetMs / 4 || iters > 1e9) {
      iters = Math.max(1, Math.round((iters * targetMs) / Math.max(dt, 1e-3)));
      break;
    }
    iters *= 4;
  }
  const timing = await measure(name, () => call(iters), budget);
  const flopsPerCall = iters * flopsPerIter;
  return {
    gflops: gflops(flopsPerCall, timing.minMs),
    gflopsMedian: gflops(flopsPerCall, timing.medianMs),
    itersPerCall: iters,
    flopsPerCall,
    timing,
  };
}

/** simd_peak_loop (96 flops/iter, registers only) and simd_peak_tile (8192 flops/iter, L1). */
export async function measurePeak(rt: Runtime, budget: Budget): Promise<Peak> {
  const loopFn = kernel(rt, 'simd_peak_loop');
  const tileFn = kernel(rt, 'simd_peak_tile');
  const ws = rt.heap.allocBytes(6 * 1024 + 128);
  let sink = 0;
  try {
    const loop = await peakPart(
      `peak.loop.${rt.build}`,
      (n) => {
        sink += loopFn(n, 1.5);
      },
      96,
      budget,
      20
    );
    const tile = await peakPart(`peak.tile.${rt.build}`, (n) => tileFn(n, ws), 8192, budget, 20);
    if (Number.isNaN(sink)) console.error('peak loop sink is NaN');
    return { loop, tile, gflops: Math.max(loop.gflops, tile.gflops) };
  } finally {
    rt.heap.free(ws);
  }
}

function gemmTask(rt: Runtime, c: GemmCase): OurTask {
  const mem = new Buffers(rt);
  const a = mem.random(c.m * c.k, 1);
  const b = mem.random(c.k * c.n, 2);
  const out = mem.random(c.m * c.n, 3);
  const args = { transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, a, b, c: out };
  const kernel = `gemm_${c.transA ? 't' : 'n'}${c.transB ? 't' : 'n'}`;
  return { status: 'ok', kernel, run: () => gemm(rt, args), dispose: () => mem.free() };
}

function convTask(rt: Runtime, c: ConvCase): OurTask {
  const g = conv2dGeometry(c.x, c.w, { stride: c.stride, padding: c.padding, groups: c.groups });
  const mem = new Buffers(rt);
  const xs = g.n * g.c * g.h * g.w;
  const wsz = g.o * (g.c / g.groups) * g.kh * g.kw;
  const ys = g.n * g.o * g.oh * g.ow;
  if (c.direction === 'fwd') {
    const x = mem.random(xs, 1);
    const w = mem.random(wsz, 2);
    const y = mem.random(ys, 3);
    return {
      status: 'ok',
      kernel: 'conv2d_fwd_nchw',
      run: () => conv2dForward(rt, g, x, w, null, y),
      dispose: () => mem.free(),
    };
  }
  if (c.direction === 'bwd_input') {
    const dy = mem.random(ys, 1);
    const w = mem.random(wsz, 2);
    const dx = mem.random(xs, 3);
    return {
      status: 'ok',
      kernel: 'conv2d_bwd_input_nchw',
      run: () => conv2dBackwardInput(rt, g, dy, w, dx),
      dispose: () => mem.free(),
    };
  }
  const x = mem.random(xs, 1);
  const dy = mem.random(ys, 2);
  const dw = mem.random(wsz, 3);
  return {
    status: 'ok',
    kernel: 'conv2d_bwd_weight_nchw',
    run: () => conv2dBackwardWeight(rt, g, x, dy, dw),
    dispose: () => mem.free(),
  };
}

/** Max pool forward also writes the i32 argmax the backward needs: counted in its bytes. */
function poolTask(rt: Runtime, c: PoolCase): OurTask {
  const g = pool2dShape(c.x, { kernelSize: c.k, stride: c.stride });
  const mem = new Buffers(rt);
  const x = mem.random(g.n * g.c * g.h * g.w, 1);
  const y = mem.random(g.n * g.c * g.oh * g.ow, 2);
  const argmax = mem.random(g.n * g.c * g.oh * g.ow, 3);
  return {
    status: 'ok',
    kernel: 'maxpool2d_fwd_nchw',
    run: () => maxPool2dForward(rt, g, x, y, argmax),
    dispose: () => mem.free(),
    bytes: poolBytes(c, true),
  };
}

/** The bindings the ops call (F.add / Tensor.add, F.softmax, Tensor.sum), without the tensor
 * and autograd bookkeeping around them. */
function eltwiseTask(rt: Runtime, c: EltwiseCase): OurTask {
  const mem = new Buffers(rt);
  const xs = c.x.reduce((a, b) => a * b, 1);
  const x = mem.random(xs, 1);
  const bytes = eltwiseBytes(c);
  if (c.op === 'add_bcast') {
    const bShape = [c.x[1], 1, 1];
    const b = mem.random(c.x[1], 2);
    const y = mem.random(xs, 3);
    return {
      status: 'ok',
      kernel: 'binary_fwd_bcast4',
      bytes,
      dispose: () => mem.free(),
      run: () => binary(rt, 'add', x, c.x, b, bShape, y, c.x),
    };
  }
  if (c.op === 'softmax') {
    const y = mem.random(xs, 2);
    const ori = [xs / c.x[c.x.length - 1], c.x[c.x.length - 1], 1] as const;
    return {
      status: 'ok',
      kernel: 'softmax_fwd',
      bytes,
      dispose: () => mem.free(),
      run: () => softmaxForward(rt, x, y, ori),
    };
  }
  if (c.op === 'gelu_fwd' || c.op === 'gelu_bwd') {
    const y = mem.random(xs, 2);
    const g = mem.random(xs, 3);
    return {
      status: 'ok',
      kernel: c.op,
      bytes,
      dispose: () => mem.free(),
      run:
        c.op === 'gelu_fwd'
          ? () => activationForward(rt, 'gelu', x, y, xs)
          : () => activationBackward(rt, 'gelu', x, g, y, xs),
    };
  }
  if (c.op === 'layernorm2d_fwd' || c.op === 'layernorm2d_bwd') {
    const pixels = xs / c.x[1];
    const ch = c.x[1];
    const y = mem.random(xs, 2);
    const gy = mem.random(xs, 3);
    const gamma = mem.random(ch, 4);
    const beta = mem.random(ch, 5);
    const gg = mem.random(ch, 6);
    const gb = mem.random(ch, 7);
    const mean = mem.random(pixels, 8);
    const inv = mem.random(pixels, 9);
    // The forward fills mean and invstd; the backward reads them.
    layerNorm2dForward(rt, c.x, x, y, gamma, beta, mean, inv, 1e-6);
    return {
      status: 'ok',
      kernel: c.op,
      bytes,
      dispose: () => mem.free(),
      run:
        c.op === 'layernorm2d_fwd'
          ? () => layerNorm2dForward(rt, c.x, x, y, gamma, beta, mean, inv, 1e-6)
          : () => layerNorm2dBackward(rt, c.x, x, gy, gamma, mean, inv, y, gg, gb),
    };
  }
  const y = mem.random(xs / c.x[1], 2);
  const ori = [c.x[0], c.x[1], xs / (c.x[0] * c.x[1])] as const;
  return {
    status: 'ok',
    kernel: 'reduce_sum',
    bytes,
    dispose: () => mem.free(),
    run: () => reduceSum(rt, x, y, ori),
  };
}

/** Builds the task for c and calls it once: a missing export becomes "not built". */
export function ourTask(rt: Runtime, c: BenchCase): OurTask {
  const task =
    c.kind === 'gemm'
      ? gemmTask(rt, c)
      : c.kind === 'conv'
        ? convTask(rt, c)
        : c.kind === 'pool'
          ? poolTask(rt, c)
          : eltwiseTask(rt, c);
  if (task.status !== 'ok') return task;
  try {
    task.run();
  } catch (e) {
    task.dispose();
    const msg = (e as Error).message;
    if (/has no kernel/.test(msg)) return { status: 'not built', kernel: task.kernel, note: msg };
    throw e;
  }
  return task;
}
