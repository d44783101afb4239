// Element-wise losses between an input and a target: F.mseLoss, F.l1Loss, F.smoothL1Loss
// (broadcasting the two as PyTorch does), F.binaryCrossEntropy and F.binaryCrossEntropyWithLogits
// (same shapes; weight / posWeight broadcast). O(n) TypeScript over data(): not where time goes.
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts (gradcheck).

import { record } from '../autograd/tape.js';
import { Tensor, fmtShape } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import { checkReduction, type Reduction } from './loss.js';

export interface PointwiseLossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** PyTorch's broadcast of two shapes (aligned from the last dim; a 1 stretches). */
export function broadcastShapes(
  op: string,
  a: readonly number[],
  b: readonly number[],
  what: string
): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: cannot broadcast ${what} ${fmtShape(a)} with ${fmtShape(b)}`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each flat index of out, the flat index into a tensor of shape `from` broadcast to out;
 * null when the shapes are equal. */
function indexMap(from: readonly number[], out: readonly number[]): Int32Array | null {
  if (from.length === out.length && from.every((d, i) => d === out[i])) return null;
  const size = out.reduce((a, b) => a * b, 1);
  const map = new Int32Array(size);
  const k = out.length - from.length;
  const strides = new Array<number>(out.length).fill(0);
  let st = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    strides[i + k] = from[i] === 1 ? 0 : st;
    st *= from[i];
  }
  const idx = new Array<number>(out.length).fill(0);
  let src = 0;
  for (let i = 0; i < size; i++) {
    map[i] = src;
    for (let d = out.length - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < out[d]) break;
      src -= strides[d] * out[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** Writes [loss, d loss/d input, d loss/d target] of one element into r. */
type Elem = (x: number, t: number, i: number, r: Float64Array) => void;

function pointwiseLoss(
  op: string,
  input: Tensor,
  target: Tensor,
  reduction: Reduction,
  outShape: number[],
  elem: Elem
): Tensor {
  const ia = indexMap(input.shape, outShape);
  const ib = indexMap(target.shape, outShape);
  const size = outShape.reduce((a, b) => a * b, 1);
  const x = input.data();
  const t = target.data();
  const per = new Float64Array(size);
  const dx = new Float32Array(size);
  const dt = new Float32Array(size);
  const r = new Float64Array(3);
  let total = 0;
  for (let i = 0; i < size; i++) {
    elem(x[ia ? ia[i] : i], t[ib ? ib[i] : i], i, r);
    per[i] = r[0];
    total += r[0];
    dx[i] = r[1];
    dt[i] = r[2];
  }
  let y: Tensor;
  if (reduction === 'none') {
    y = Tensor.empty(outShape);
    y.data().set(per);
  } else {
    y = Tensor.empty([]);
    y.data()[0] = reduction === 'mean' ? total / size : total;
  }
  return record(y, op, [input, target], (gy, needs) => {
    const g = gy.data();
    const k = reduction === 'mean' ? g[0] / size : g[0];
    const out: (Tensor | null)[] = [null, null];
    for (const [j, src, map, base] of [
      [0, input, ia, dx],
      [1, target, ib, dt],
    ] as const) {
      if (!needs[j]) continue;
      const gt = Tensor.empty(src.shape);
      const gd = gt.data();
      gd.fill(0);
      for (let i = 0; i < size; i++)
        gd[map ? map[i] : i] += base[i] * (reduction === 'none' ? g[i] : k);
      out[j] = gt;
    }
    return out;
  });
}

function checkPair(op: string, input: Tensor, target: Tensor, sameShape: boolean): number[] {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  if (sameShape) {
    if (input.ndim !== target.ndim || input.shape.some((d, i) => d !== target.shape[i])) {
      throw new RangeError(
        `${op}: target size ${fmtShape(target.shape)} must be the same as input size ${fmtShape(input.shape)}`
      );
    }
    return [...input.shape];
  }
  return broadcastShapes(op, input.shape, target.shape, 'input');
}

/** Optional per-element weights broadcast to shape; a reader of element i. */
function weightReader(
  op: string,
  name: string,
  w: Tensor | null | undefined,
  shape: number[]
): (i: number) => number {
  if (!w) return () => 1;
  checkTensor(op, name, w);
  const out = broadcastShapes(op, w.shape, shape, name);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
    throw new RangeError(
      `${op}: ${name} ${fmtShape(w.shape)} must broadcast to the input's shape ${fmtShape(shape)}`
    );
  }
  const map = indexMap(w.shape, shape);
  const d = w.toFloat32Array();
  return map ? (i) => d[map[i]] : (i) => d[i];
}

/**
 * Mean squared error (as torch.nn.functional.mse_loss): (input - target)^2, reduced.
 * @example F.mseLoss(recon, x) // scalar
 */
export function mseLoss(input: Tensor, target: Tensor, opts: PointwiseLossOptions = {}): Tensor {
  const op = 'mseLoss';
  const reduction = checkReduction(op, opts.reduction);
  const shape = checkPair(op, input, target, false);
  return pointwiseLoss(op, input, target, reduction, shape, (x, t, _i, r) => {
    const d = x - t;
    r[0] = d * d;
    r[1] = 2 * d;
    r[2] = -2 * d;
  });
}

/** Mean absolute error (as torch.nn.functional.l1_loss); the gradient at 0 is 0. */
export function l1Loss(input: Tensor, target: Tensor, opts: PointwiseLossOptions = {}): Tensor {
  const op = 'l1Loss';
  const reduction = checkReduction(op, opts.reduction);
  const shape = checkPair(op, input, target, false);
  return pointwiseLoss(op, input, target, reduction, shape, (x, t, _i, r) => {
    const d = x - t;
    r[0] = Math.abs(d);
    r[1] = Math.sign(d);
    r[2] = -Math.sign(d);
  });
}

/**
 * Smooth L1 (as torch.nn.functional.smooth_l1_loss): 0.5 d^2 / beta where |d| < beta, else
 * |d| - 0.5 beta; beta = 0 is the L1 loss.
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  opts: PointwiseLossOptions & { beta?: number } = {}
): Tensor {
  const op = 'smoothL1Loss';
  const reduction = checkReduction(op, opts.reduction);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0) || !Number.isFinite(beta)) {
    throw new RangeError(`${op}: beta must be a finite number >= 0, got ${beta}`);
  }
  const shape = checkPair(op, input, target, false);
  return pointwiseLoss(op, input, target, reduction, shape, (x, t, _i, r) => {
    const d = x - t;
    const a = Math.abs(d);
    if (a < beta) {
      r[0] = (0.5 * d * d) / beta;
      r[1] = d / beta;
    } else {
      r[0] = a - 0.5 * beta;
      r[1] = Math.sign(d);
    }
    r[2] = -r[1];
  });
}

export interface BinaryCrossEntropyOptions extends PointwiseLossOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}

/**
 * Binary cross-entropy of probabilities (as torch.nn.functional.binary_cross_entropy):
 * -w (t log p + (1 - t) log(1 - p)) with each log clamped at -100; input must be in [0, 1].
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: BinaryCrossEntropyOptions = {}
): Tensor {
  const op = 'binaryCrossEntropy';
  const reduction = checkReduction(op, opts.reduction);
  const shape = checkPair(op, input, target, true);
  const w = weightReader(op, 'weight', opts.weight, shape);
  const xs = input.data();
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i] >= 0 && xs[i] <= 1)) {
      throw new RangeError(
        `${op}: all elements of input should be between 0 and 1, got ${xs[i]} at ${i}; input ${fmtShape(input.shape)}`
      );
    }
  }
  return pointwiseLoss(op, input, target, reduction, shape, (p, t, i, r) => {
    const wi = w(i);
    const lp = Math.max(Math.log(p), -100);
    const lq = Math.max(Math.log(1 - p), -100);
    r[0] = -wi * (t * lp + (1 - t) * lq);
    // PyTorch's backward: (p - t) / max(p (1 - p), 1e-12); the target's is log(1-p) - log(p)
    r[1] = (wi * (p - t)) / Math.max((1 - p) * p, 1e-12);
    r[2] = wi * (Math.log(1 - p) - Math.log(p));
  });
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast to the input's shape (e.g. [classes]). */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid + binary cross-entropy in the stable form (as
 * torch.nn.functional.binary_cross_entropy_with_logits):
 * w ((1 - t) x + (1 + (pw - 1) t) (log(1 + exp(-|x|)) + max(-x, 0))).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BinaryCrossEntropyWithLogitsOptions = {}
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(op, opts.reduction);
  const shape = checkPair(op, input, target, true);
  const w = weightReader(op, 'weight', opts.weight, shape);
  const pw = weightReader(op, 'posWeight', opts.posWeight, shape);
  return pointwiseLoss(op, input, target, reduction, shape, (x, t, i, r) => {
    const wi = w(i);
    const pwi = pw(i);
    const spNeg = Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0);
    const sig = 1 / (1 + Math.exp(-x));
    r[0] = wi * ((1 - t) * x + (1 + (pwi - 1) * t) * spNeg);
    r[1] = wi * ((pwi * t + 1 - t) * sig - pwi * t);
    r[2] = wi * (-x + (pwi - 1) * spNeg);
  });
}
