// Kernels the training benchmarks register into TensorFlow.js wasm 4.22 so that it can train a
// conv net at all: Conv2DBackpropFilter (NHWC x and dy, HWIO dW) is missing there
// (tensorflow/tfjs#8474). Plain JavaScript over the wasm heap (im2col per image + a
// register-blocked matrix product); its time counts against tfjs-wasm. Checked against
// tfjs-cpu's own kernel by checkFilledKernels. Call loadTfjs({ wasm: true }) first.

import type * as TF from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tfjs, useBackend } from './tfjs.js';

/** What was filled, how, and how much time it took (reset by the caller between steps). */
export interface FillStats {
  kernel: string;
  calls: number;
  ms: number;
  flops: number;
}

export const filled: FillStats = { kernel: 'Conv2DBackpropFilter', calls: 0, ms: 0, flops: 0 };

export const FILL_DESCRIPTION =
  'tfjs-wasm 4.22 has no Conv2DBackpropFilter kernel (tensorflow/tfjs#8474); bench/peers/' +
  'tfjs-fill.ts registers one with tf.registerKernel({kernelName: "Conv2DBackpropFilter", ' +
  'backendName: "wasm"}) written in plain JavaScript: x and dy are read in place from the ' +
  'wasm heap (backend.typedArrayFromHeap), per image an im2col^T [fh*fw*inC, OH*OW] and ' +
  'dy^T [outC, OH*OW] are built in Float32Arrays, dW [fh,fw,inC,outC] += im2col^T . dy with a ' +
  '2x4 register-blocked dot product (f64 accumulators, contiguous inner loop), and the result ' +
  'is written into backend.makeOutput(filterShape). Its time counts against tfjs-wasm, so ' +
  'tfjs-wasm img/s is what a user gets only after writing such a kernel';

// Scratch reused across calls so that a training step makes no garbage here.
let colT = new Float32Array(0);
let dyT = new Float32Array(0);
let acc = new Float64Array(0);

function grow<T extends Float32Array | Float64Array>(a: T, n: number, make: (n: number) => T): T {
  return a.length >= n ? a : make(n);
}

interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
  fh: number;
  fw: number;
  o: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** dW[K, O] (K = fh*fw*c) for NHWC x and dy, into out (f32, overwritten). */
export function conv2dBwdWeightNhwcJs(
  x: Float32Array,
  dy: Float32Array,
  g: Geometry,
  out: Float32Array
): void {
  const { n, h, w, c, fh, fw, o, oh, ow, sh, sw, top, left } = g;
  const p = oh * ow;
  const k = fh * fw * c;
  colT = grow(colT, k * p, (m) => new Float32Array(m));
  dyT = grow(dyT, o * p, (m) => new Float32Array(m));
  acc = grow(acc, k * o, (m) => new Float64Array(m));
  const col = colT;
  const dt = dyT;
  const a = acc;
  a.fill(0, 0, k * o);
  for (let img = 0; img < n; img++) {
    // im2col^T: row kk = (kh*fw + kw)*c + ci holds that tap over all output pixels (zero padded).
    const xImg = img * h * w * c;
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        for (let ci = 0; ci < c; ci++) {
          const row = ((kh * fw + kw) * c + ci) * p;
          for (let y = 0; y < oh; y++) {
            const ih = y * sh + kh - top;
            const dst = row + y * ow;
            if (ih < 0 || ih >= h) {
              col.fill(0, dst, dst + ow);
              continue;
            }
            const src = xImg + ih * w * c + ci;
            for (let xo = 0; xo < ow; xo++) {
              const iw = xo * sw + kw - left;
              col[dst + xo] = iw >= 0 && iw < w ? x[src + iw * c] : 0;
            }
          }
        }
      }
    }
    const dyImg = img * p * o;
    for (let q = 0; q < p; q++) {
      const s = dyImg + q * o;
      for (let oc = 0; oc < o; oc++) dt[oc * p + q] = dy[s + oc];
    }
    // acc[kk, oc] += sum_q col[kk, q] * dt[oc, q]: 2 rows x 4 columns of dW per pass over q.
    let kk = 0;
    for (; kk + 2 <= k; kk += 2) {
      const r0 = kk * p;
      const r1 = r0 + p;
      let oc = 0;
      for (; oc + 4 <= o; oc += 4) {
        const b0 = oc * p;
        const b1 = b0 + p;
        const b2 = b1 + p;
        const b3 = b2 + p;
        let s00 = 0,
          s01 = 0,
          s02 = 0,
          s03 = 0,
          s10 = 0,
          s11 = 0,
          s12 = 0,
          s13 = 0;
        for (let q = 0; q < p; q++) {
          const a0 = col[r0 + q];
          const a1 = col[r1 + q];
          const v0 = dt[b0 + q];
          const v1 = dt[b1 + q];
          const v2 = dt[b2 + q];
          const v3 = dt[b3 + q];
          s00 += a0 * v0;
          s01 += a0 * v1;
          s02 += a0 * v2;
          s03 += a0 * v3;
          s10 += a1 * v0;
          s11 += a1 * v1;
          s12 += a1 * v2;
          s13 += a1 * v3;
        }
        const d0 = kk * o + oc;
        const d1 = d0 + o;
        a[d0] += s00;
        a[d0 + 1] += s01;
        a[d0 + 2] += s02;
        a[d0 + 3] += s03;
        a[d1] += s10;
        a[d1 + 1] += s11;
        a[d1 + 2] += s12;
        a[d1 + 3] += s13;
      }
      for (; oc < o; oc++) {
        const b0 = oc * p;
        let s0 = 0,
          s1 = 0;
        for (let q = 0; q < p; q++) {
          s0 += col[r0 + q] * dt[b0 + q];
          s1 += col[r1 + q] * dt[b0 + q];
        }
        a[kk * o + oc] += s0;
        a[(kk + 1) * o + oc] += s1;
      }
    }
    for (; kk < k; kk++) {
      const r0 = kk * p;
      for (let oc = 0; oc < o; oc++) {
        const b0 = oc * p;
        let s = 0;
        for (let q = 0; q < p; q++) s += col[r0 + q] * dt[b0 + q];
        a[kk * o + oc] += s;
      }
    }
  }
  for (let i = 0; i < k * o; i++) out[i] = a[i];
}

function conv2dBackpropFilterWasm(args: {
  inputs: TF.NamedTensorInfoMap;
  backend: TF.KernelBackend;
  attrs?: TF.NamedAttrMap;
}): TF.TensorInfo {
  const t0 = performance.now();
  const tf = tfjs();
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
  const attrs = args.attrs as unknown as TF.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    format
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(
      `Conv2DBackpropFilter (filled, wasm): dataFormat must be NHWC, got ` +
        `${attrs.dataFormat}; x [${x.shape}], dy [${dy.shape}]`
    );
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(
      `Conv2DBackpropFilter (filled, wasm): x and dy must be float32, got ` +
        `${x.dtype} and ${dy.dtype}`
    );
  }
  const out = backend.makeOutput(info.filterShape, 'float32');
  // Views after makeOutput: an allocation may grow the heap and detach older views.
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const outv = backend.typedArrayFromHeap(out) as Float32Array;
  const g: Geometry = {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    o: info.outChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
  conv2dBwdWeightNhwcJs(xv, dyv, g, outv);
  filled.calls++;
  filled.flops += 2 * g.n * g.oh * g.ow * g.fh * g.fw * g.c * g.o;
  filled.ms += performance.now() - t0;
  return out;
}

/** Registers the filled kernels into the wasm backend; returns the names it filled (none when
 * the backend already has them, e.g. a later tfjs release). */
export function fillWasmKernels(): string[] {
  const tf = tfjs();
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return [];
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as TF.KernelFunc,
  });
  return ['Conv2DBackpropFilter'];
}

export interface FillCheck {
  kernel: string;
  label: string;
  maxAbsDiff: number;
  maxAbsRef: number;
  pass: boolean;
}

/** xorshift32 in [-1, 1): the same inputs every run. */
function randomArray(size: number, seed: number): Float32Array {
  const v = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return v;
}

type Pad =
  | 'valid'
  | 'same'
  | [[number, number], [number, number], [number, number], [number, number]];

const CHECKS: {
  label: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: Pad;
}[] = [
  {
    label: 'x[2,9,8,3] f[3,3,3,5] s1 valid',
    x: [2, 9, 8, 3],
    f: [3, 3, 3, 5],
    stride: 1,
    pad: 'valid',
  },
  {
    label: 'x[3,7,7,2] f[5,5,2,7] s1 same',
    x: [3, 7, 7, 2],
    f: [5, 5, 2, 7],
    stride: 1,
    pad: 'same',
  },
  {
    label: 'x[2,11,10,4] f[3,3,4,6] s2 pad1',
    x: [2, 11, 10, 4],
    f: [3, 3, 4, 6],
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
];

function backpropFilter(
  b: 'wasm' | 'cpu',
  c: (typeof CHECKS)[number],
  xs: Float32Array,
  dys: Float32Array,
  dyShape: number[]
): Float32Array {
  const tf = tfjs();
  return tf.tidy(() => {
    const x = tf.tensor(xs, c.x);
    const dy = tf.tensor(dys, dyShape);
    const attrs = {
      strides: [c.stride, c.stride],
      pad: c.pad,
      dataFormat: 'NHWC',
      filterShape: c.f,
    } as unknown as TF.NamedAttrMap;
    const y = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as TF.Tensor;
    if (tf.getBackend() !== b) throw new Error(`expected backend ${b}, got ${tf.getBackend()}`);
    return y.dataSync() as Float32Array;
  });
}

/** The filled wasm kernel against tfjs-cpu's Conv2DBackpropFilter on small shapes. */
export async function checkFilledKernels(): Promise<FillCheck[]> {
  const tf = tfjs();
  const before = tf.getBackend();
  const out: FillCheck[] = [];
  for (const [i, c] of CHECKS.entries()) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, 1, c.pad);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.f[3]];
    const xs = randomArray(
      c.x.reduce((a, b) => a * b),
      17 + i
    );
    const dys = randomArray(
      dyShape.reduce((a, b) => a * b),
      101 + i
    );
    await useBackend('cpu');
    const ref = backpropFilter('cpu', c, xs, dys, dyShape);
    await useBackend('wasm');
    const got = backpropFilter('wasm', c, xs, dys, dyShape);
    let maxAbsDiff = 0;
    let maxAbsRef = 0;
    for (let j = 0; j < ref.length; j++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[j] - ref[j]));
      maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[j]));
    }
    out.push({
      kernel: 'Conv2DBackpropFilter',
      label: c.label,
      maxAbsDiff,
      maxAbsRef,
      pass: got.length === ref.length && maxAbsDiff <= 1e-5 * Math.max(1, maxAbsRef),
    });
  }
  if (before) await useBackend(before as 'wasm' | 'cpu');
  return out;
}
