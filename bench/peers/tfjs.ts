// TensorFlow.js peers of the kernel and model benchmarks: the `cpu` backend (@tensorflow/tfjs)
// and the `wasm` backend (@tensorflow/tfjs-backend-wasm, one thread), on bench/shapes.ts
// transposed to their NHWC activations and HWIO filters. Both packages are imported only when a
// peer is asked for (they are dev dependencies): loadTfjs() before anything else here; a package
// that is not installed is reported, not thrown at the user. A kernel a backend lacks is missing.

import type * as TF from '@tensorflow/tfjs';
import type * as TFWasm from '@tensorflow/tfjs-backend-wasm';
import { errorMessage, measure, type Budget, type Timing } from '../measure.js';
import {
  convOutHW,
  eltwiseBytes,
  poolBytes,
  type BenchCase,
  type ConvCase,
  type EltwiseCase,
} from '../shapes.js';

export type TfBackend = 'wasm' | 'cpu';

/** Imports a module by name; the default is import(); tests pass one that fails. */
export type ImportFn = (specifier: string) => Promise<unknown>;

export const TFJS_PACKAGE = '@tensorflow/tfjs';
export const TFJS_WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

export interface TfjsInfo {
  version: string;
  wasm: {
    ok: boolean;
    /** The package is not installed (as opposed to installed and failing). */
    notInstalled?: boolean;
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
  | {
      status: 'ok';
      kernel: string;
      op: () => TF.Tensor;
      dispose: () => void;
      bytes?: number;
      /** Whether a timed call reads the result back (dataSync): false for the memory-bound
       * cases, where that copy would double the peer's time (the wasm and cpu backends compute
       * synchronously, so the op alone is the work). */
      readback: boolean;
    }
  | { status: 'missing'; kernel: string; note: string };

/** Thrown by loadTfjs() when @tensorflow/tfjs itself cannot be imported. */
export class NotInstalledError extends Error {
  constructor(
    readonly pkg: string,
    cause: unknown
  ) {
    super(`${pkg} is not installed (npm install ${pkg}): ${errorMessage(cause)}`, { cause });
  }
}

/** True for the error import() gives when the package (or a file it needs) is not there. */
export function isNotInstalled(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (module|package)/.test(errorMessage(e))
  );
}

const defaultImport: ImportFn = (s) => import(/* @vite-ignore */ s);

// The loaded module: every function below this point reads it.
let tf: typeof TF;
let tfwasm: typeof TFWasm | undefined;
let wasmInfo: TfjsInfo['wasm'] | undefined;

async function importPackage<T>(pkg: string, importModule: ImportFn): Promise<T> {
  try {
    return (await importModule(pkg)) as T;
  } catch (e) {
    if (isNotInstalled(e)) throw new NotInstalledError(pkg, e);
    throw e;
  }
}

/** Imports @tensorflow/tfjs (once; NotInstalledError when it is not there) and, with wasm,
 * its wasm backend, single-threaded, recording which of its three binaries it read. */
export async function loadTfjs(
  opts: { wasm?: boolean; importModule?: ImportFn } = {}
): Promise<TfjsInfo> {
  const importModule = opts.importModule ?? defaultImport;
  // A caller's own import function is always asked (a test's may say "not installed").
  if (!tf || opts.importModule) {
    tf = await importPackage<typeof TF>(TFJS_PACKAGE, importModule);
    tf.enableProdMode();
  }
  if (opts.wasm && !wasmInfo) {
    try {
      tfwasm = await importPackage<typeof TFWasm>(TFJS_WASM_PACKAGE, importModule);
      wasmInfo = await initWasmBackend(tfwasm);
    } catch (e) {
      // Not cached: a later call with another importModule may find it.
      return {
        version: tf.version.tfjs,
        wasm: { ok: false, error: errorMessage(e), notInstalled: e instanceof NotInstalledError },
      };
    }
  }
  return { version: tf.version.tfjs, wasm: wasmInfo ?? { ok: false, error: 'not loaded' } };
}

async function initWasmBackend(w: typeof TFWasm): Promise<TfjsInfo['wasm']> {
  const { createRequire } = (await import(/* @vite-ignore */ 'node:module')).default;
  const path = await import(/* @vite-ignore */ 'node:path');
  const { pathToFileURL } = await import(/* @vite-ignore */ 'node:url');
  const require = createRequire(import.meta.url);
  const simdFile = require.resolve(`${TFJS_WASM_PACKAGE}/dist/tfjs-backend-wasm-simd.wasm`);
  w.setWasmPaths(pathToFileURL(path.dirname(simdFile)).href + '/');
  w.setThreadsCount(1);
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
    return {
      ok: true,
      binary: seen.join(', ') || 'unknown',
      simdSupported: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      multithreadSupported: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      threads: w.getThreadsCount(),
    };
  } finally {
    (fs as { readFileSync: unknown }).readFileSync = readSync;
    (fs as { readFile: unknown }).readFile = readAsync;
  }
}

/** The loaded @tensorflow/tfjs module (after loadTfjs()). */
export function tfjs(): typeof TF {
  if (!tf) throw new Error('tfjs peer: call loadTfjs() first');
  return tf;
}

export async function useBackend(b: TfBackend): Promise<void> {
  if (tf.getBackend() === b) return;
  const ok = await tf.setBackend(b);
  if (!ok) throw new Error(`tf.setBackend("${b}") failed`);
}

function rand(shape: number[]): TF.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32');
}

function kernelOf(c: BenchCase): string {
  if (c.kind === 'gemm') return 'BatchMatMul';
  if (c.kind === 'pool') return 'MaxPool';
  if (c.kind === 'eltwise') {
    const names: Record<EltwiseCase['op'], string> = {
      add_bcast: 'Add',
      softmax: 'Softmax',
      sum_dim1: 'Sum',
      layernorm2d_fwd: 'LayerNorm',
      layernorm2d_bwd: 'LayerNormGrad',
      gelu_fwd: 'Gelu',
      gelu_bwd: 'GeluGrad',
    };
    return names[c.op];
  }
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

/** One timed call: run, read the result back (dataSync) unless readback is false, and free
 * everything it made. */
export function timed(op: () => TF.Tensor, readback = true): () => void {
  return () => {
    tf.tidy(() => {
      const y = op();
      if (readback) y.dataSync();
    });
  };
}

/** The part of a timed call that is only dataSync() copying the result out (wasm heap -> JS). */
export async function readbackTiming(op: () => TF.Tensor, budget: Budget): Promise<Timing> {
  const y = op();
  try {
    return await measure(
      'readback',
      () => {
        y.dataSync();
      },
      budget
    );
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
  const pad: Pad =
    p === 0
      ? 'valid'
      : [
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ];
  const strides: [number, number] = [c.stride, c.stride];
  const filterShape = dw ? [kh, kw, ch, o / ch] : [kh, kw, cg, o];
  const xShape = [n, h, w, ch];
  const dyShape = [n, oh, ow, o];
  const keep: TF.Tensor[] = [];
  const t = (shape: number[]): TF.Tensor => {
    const v = rand(shape);
    keep.push(v);
    return v;
  };
  const dispose = (): void => keep.forEach((v) => v.dispose());
  const engine = tf.engine();
  let op: () => TF.Tensor;
  if (c.direction === 'fwd') {
    const x = t(xShape) as TF.Tensor4D;
    const f = t(filterShape) as TF.Tensor4D;
    op = dw
      ? () => tf.depthwiseConv2d(x, f, strides, pad, 'NHWC')
      : () => tf.conv2d(x, f, strides, pad, 'NHWC');
  } else if (c.direction === 'bwd_input') {
    const dy = t(dyShape);
    const f = t(filterShape);
    const attrs: TF.NamedAttrMap = dw
      ? { strides, pad, dilations: [1, 1], inputShape: xShape }
      : { strides, pad, dataFormat: 'NHWC', inputShape: xShape };
    op = () => engine.runKernel(kernel, { dy, filter: f }, attrs);
  } else {
    const x = t(xShape);
    const dy = t(dyShape);
    const attrs: TF.NamedAttrMap = dw
      ? { strides, pad, dilations: [1, 1], filterShape }
      : { strides, pad, dataFormat: 'NHWC', filterShape };
    op = () => engine.runKernel(kernel, { x, dy }, attrs);
  }
  return { status: 'ok', kernel, op, dispose, readback: true };
}

/** NHWC, as the peers' convs: the [C,1,1] operand is a trailing [C], the channel sum is over the
 * last axis. */
function eltwiseTask(c: EltwiseCase, kernel: string, n: number): TfTask {
  const bytes = eltwiseBytes(c);
  if (c.op === 'softmax') {
    const x = rand([n, ...c.x.slice(1)]) as TF.Tensor2D;
    return {
      status: 'ok',
      kernel,
      op: () => tf.softmax(x),
      dispose: () => x.dispose(),
      bytes,
      readback: false,
    };
  }
  const [, ch, h, w] = c.x;
  const x = rand([n, h, w, ch]);
  if (c.op === 'add_bcast') {
    const b = rand([ch]);
    return {
      status: 'ok',
      kernel,
      op: () => tf.add(x, b),
      dispose: () => {
        x.dispose();
        b.dispose();
      },
      bytes,
      readback: false,
    };
  }
  return {
    status: 'ok',
    kernel,
    op: () => tf.sum(x, 3),
    dispose: () => x.dispose(),
    bytes,
    readback: false,
  };
}

/** Builds the task for case c on backend b (which must be the active backend); batch replaces
 * the conv or pool input's N (bytes stay those of the full case). */
export function tfjsTask(b: TfBackend, c: BenchCase, batch?: number): TfTask {
  const kernel = kernelOf(c);
  if (c.kind === 'eltwise' && !['add_bcast', 'softmax', 'sum_dim1'].includes(c.op)) {
    return { status: 'missing', kernel, note: `TF.js has no ${kernel} kernel` };
  }
  if (!tf.getKernel(kernel, b)) {
    const issue = kernel === 'Conv2DBackpropFilter' ? ' (tensorflow/tfjs#8474)' : '';
    return { status: 'missing', kernel, note: `tfjs-${b} has no ${kernel} kernel${issue}` };
  }
  if (c.kind === 'gemm') {
    // B (and A) already laid out for a plain matMul: tfjs-wasm's transposeB path skips XNNPACK.
    // tfjs-wasm keeps the XNNPACK operator (B packed) per B tensor id across calls
    // (tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc), so B's packing is outside its timings.
    const a = rand([c.m, c.k]) as TF.Tensor2D;
    const bm = rand([c.k, c.n]) as TF.Tensor2D;
    return {
      status: 'ok',
      kernel,
      op: () => tf.matMul(a, bm),
      dispose: () => {
        a.dispose();
        bm.dispose();
      },
      readback: true,
    };
  }
  if (c.kind === 'pool') {
    const [, ch, h, w] = c.x;
    const x = rand([batch ?? c.x[0], h, w, ch]) as TF.Tensor4D;
    return {
      status: 'ok',
      kernel,
      op: () => tf.maxPool(x, c.k, c.stride, 'valid'),
      dispose: () => x.dispose(),
      bytes: poolBytes(c, false),
      readback: true,
    };
  }
  if (c.kind === 'eltwise') return eltwiseTask(c, kernel, batch ?? c.x[0]);
  return convTask(c, kernel, batch ?? c.x[0]);
}
