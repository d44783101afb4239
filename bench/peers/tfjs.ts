// TensorFlow.js peers for bench/kernels.ts: the `cpu` backend (@tensorflow/tfjs) and the `wasm`
// backend (@tensorflow/tfjs-backend-wasm, one thread), on bench/shapes.ts transposed to their
// NHWC activations and HWIO filters. A kernel a backend lacks is reported as missing, not skipped.

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { measure, type Budget, type Timing } from '../harness.js';
import { convOutHW, poolBytes, type BenchCase, type ConvCase } from '../shapes.js';

export type TfBackend = 'wasm' | 'cpu';

export interface TfjsInfo {
  version: string;
  wasm: {
    ok: boolean;
    error?: string;
    /** The .wasm file the backend read at init (seen on the fs calls Emscripten makes). */
    binary?: string;
    simdSupported?: boolean;
    multithreadSupported?: boolean;
    threads?: number;
  };
}

/** A timed closure over tensors made outside the timed region, or why there is none. */
export type TfTask =
  | { status: 'ok'; kernel: string; op: () => tf.Tensor; dispose: () => void; bytes?: number }
  | { status: 'missing'; kernel: string; note: string };

const require = createRequire(import.meta.url);

/** Loads the wasm backend single-threaded and records which of its three binaries it read. */
export async function initTfjs(): Promise<TfjsInfo> {
  tf.enableProdMode();
  const info: TfjsInfo = { version: tf.version.tfjs, wasm: { ok: false } };
  const pkg = '@tensorflow/tfjs-backend-wasm';
  const simdFile = require.resolve(`${pkg}/dist/tfjs-backend-wasm-simd.wasm`);
  tfwasm.setWasmPaths(pathToFileURL(path.dirname(simdFile)).href + '/');
  tfwasm.setThreadsCount(1);
  const fs = require('node:fs') as typeof import('node:fs');
  const readSync = fs.readFileSync;
  const readAsync = fs.readFile;
  const seen: string[] = [];
  const note = (f: unknown): void => {
    const s = String(f);
    if (s.endsWith('.wasm')) seen.push(path.basename(s));
  };
  (fs as { readFileSync: unknown }).readFileSync = (f: unknown, ...rest: unknown[]) => {
    note(f);
    return (readSync as (...a: unknown[]) => unknown)(f, ...rest);
  };
  (fs as { readFile: unknown }).readFile = (f: unknown, ...rest: unknown[]) => {
    note(f);
    return (readAsync as (...a: unknown[]) => unknown)(f, ...rest);
  };
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tf.setBackend("wasm") returned false');
    info.wasm = {
      ok: true,
      binary: seen.join(', ') || 'unknown',
      simdSupported: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      multithreadSupported: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      threads: tfwasm.getThreadsCount(),
    };
  } catch (e) {
    info.wasm = { ok: false, error: (e as Error).message ?? String(e) };
  } finally {
    (fs as { readFileSync: unknown }).readFileSync = readSync;
    (fs as { readFile: unknown }).readFile = readAsync;
  }
  return info;
}

export async function useBackend(b: TfBackend): Promise<void> {
  if (tf.getBackend() === b) return;
  const ok = await tf.setBackend(b);
  if (!ok) throw new Error(`tf.setBackend("${b}") failed`);
}

function rand(shape: number[]): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32');
}

function kernelOf(c: BenchCase): string {
  if (c.kind === 'gemm') return 'BatchMatMul';
  if (c.kind === 'pool') return 'MaxPool';
  const dw = c.groups > 1;
  if (dw && c.groups !== c.x[1]) {
    throw new Error(`${c.id}: tfjs has no grouped conv other than depthwise`);
  }
  if (c.direction === 'fwd') return dw ? 'DepthwiseConv2dNative' : 'Conv2D';
  if (c.direction === 'bwd_input') {
    return dw ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput';
  }
  return dw ? 'DepthwiseConv2dNativeBackpropFilter' : 'Conv2DBackpropFilter';
}

/** One timed call: run, read the result back (dataSync) and free everything it made. */
export function timed(op: () => tf.Tensor): () => void {
  return () => {
    tf.tidy(() => {
      op().dataSync();
    });
  };
}

/** The part of a timed call that is only dataSync() copying the result out (wasm heap -> JS). */
export async function readbackTiming(op: () => tf.Tensor, budget: Budget): Promise<Timing> {
  const y = op();
  try {
    return await measure('readback', () => { y.dataSync(); }, budget);
  } finally {
    y.dispose();
  }
}

type Pad = 'valid' | [[number, number], [number, number], [number, number], [number, number]];

function convTask(c: ConvCase, kernel: string, n: number): TfTask {
  const [, ch, h, w] = c.x;
  const [o, cg, kh, kw] = c.w;
  const [oh, ow] = convOutHW(c);
  const dw = c.groups > 1;
  const p = c.padding;
  // PyTorch pads both sides by p; tfjs's 'same' would pad stride-2 convs asymmetrically.
  const pad: Pad = p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
  const strides: [number, number] = [c.stride, c.stride];
  const filterShape = dw ? [kh, kw, ch, o / ch] : [kh, kw, cg, o];
  const xShape = [n, h, w, ch];
  const dyShape = [n, oh, ow, o];
  const keep: tf.Tensor[] = [];
  const t = (shape: number[]): tf.Tensor => {
    const v = rand(shape);
    keep.push(v);
    return v;
  };
  const dispose = (): void => keep.forEach((v) => v.dispose());
  const engine = tf.engine();
  let op: () => tf.Tensor;
  if (c.direction === 'fwd') {
    const x = t(xShape) as tf.Tensor4D;
    const f = t(filterShape) as tf.Tensor4D;
    op = dw ? () => tf.depthwiseConv2d(x, f, strides, pad, 'NHWC')
      : () => tf.conv2d(x, f, strides, pad, 'NHWC');
  } else if (c.direction === 'bwd_input') {
    const dy = t(dyShape);
    const f = t(filterShape);
    const attrs: tf.NamedAttrMap = dw ? { strides, pad, dilations: [1, 1], inputShape: xShape }
      : { strides, pad, dataFormat: 'NHWC', inputShape: xShape };
    op = () => engine.runKernel(kernel, { dy, filter: f }, attrs);
  } else {
    const x = t(xShape);
    const dy = t(dyShape);
    const attrs: tf.NamedAttrMap = dw ? { strides, pad, dilations: [1, 1], filterShape }
      : { strides, pad, dataFormat: 'NHWC', filterShape };
    op = () => engine.runKernel(kernel, { x, dy }, attrs);
  }
  return { status: 'ok', kernel, op, dispose };
}

/** Builds the task for case c on backend b (which must be the active backend); batch replaces
 * the conv or pool input's N (bytes stay those of the full case). */
export function tfjsTask(b: TfBackend, c: BenchCase, batch?: number): TfTask {
  const kernel = kernelOf(c);
  if (!tf.getKernel(kernel, b)) {
    const issue = kernel === 'Conv2DBackpropFilter' ? ' (tensorflow/tfjs#8474)' : '';
    return { status: 'missing', kernel, note: `tfjs-${b} has no ${kernel} kernel${issue}` };
  }
  if (c.kind === 'gemm') {
    // B (and A) already laid out for a plain matMul: tfjs-wasm's transposeB path skips XNNPACK.
    // tfjs-wasm keeps the XNNPACK operator (B packed) per B tensor id across calls
    // (tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc), so B's packing is outside its timings.
    const a = rand([c.m, c.k]) as tf.Tensor2D;
    const bm = rand([c.k, c.n]) as tf.Tensor2D;
    return {
      status: 'ok', kernel, op: () => tf.matMul(a, bm),
      dispose: () => { a.dispose(); bm.dispose(); },
    };
  }
  if (c.kind === 'pool') {
    const [, ch, h, w] = c.x;
    const x = rand([batch ?? c.x[0], h, w, ch]) as tf.Tensor4D;
    return {
      status: 'ok', kernel, op: () => tf.maxPool(x, c.k, c.stride, 'valid'),
      dispose: () => x.dispose(), bytes: poolBytes(c, false),
    };
  }
  return convTask(c, kernel, batch ?? c.x[0]);
}
