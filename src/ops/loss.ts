// Classification losses over logits / log-probabilities with the class dim at 1 ([C], [N,C] or
// [N,C,d1,...]): F.crossEntropy (class indices or class probabilities, label smoothing, class
// weights, ignoreIndex) and F.nllLoss. The common case (2-D logits, index labels, mean) runs the
// fused softmax + cross-entropy kernel; the rest is O(n) TypeScript over data().
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts, test/assembly/loss.test.ts.

import { record } from '../autograd/tape.js';
import { softmaxXentBackward, softmaxXentForward } from '../runtime/kernels/loss.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import type { Indices } from './embedding.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface NllLossOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  /** Positions with this target add nothing and are left out of the mean (default -100). */
  ignoreIndex?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** PyTorch's label_smoothing: the target is (1 - s) one-hot + s / classes. */
  labelSmoothing?: number;
}

export function checkReduction(op: string, r: unknown): Reduction {
  const v = r ?? 'mean';
  if (v !== 'mean' && v !== 'sum' && v !== 'none') {
    throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  }
  return v;
}

/** [N, C, S] of a class-dim-1 input ([C] is one sample, S = product of the dims after C). */
interface ClassLayout {
  n: number;
  c: number;
  s: number;
  outShape: number[];
}

function classLayout(op: string, input: Tensor): ClassLayout {
  if (input.ndim === 0)
    throw new RangeError(
      `${op}: input must have a class dim, got a scalar ${fmtShape(input.shape)}`
    );
  if (input.ndim === 1) return { n: 1, c: input.shape[0], s: 1, outShape: [] };
  const [n, c, ...rest] = input.shape;
  return { n, c, s: rest.reduce((a, b) => a * b, 1), outShape: [n, ...rest] };
}

/** Class-index targets, checked against the layout: in [0, C) or equal to ignoreIndex. */
function classTargets(
  op: string,
  target: Indices,
  input: Tensor,
  l: ClassLayout,
  ignoreIndex: number
): Int32Array {
  let values: ArrayLike<number>;
  let shape: readonly number[];
  if (target instanceof Tensor) {
    checkTensor(op, 'target', target);
    values = target.data();
    shape = target.shape;
  } else if (target instanceof Int32Array || Array.isArray(target)) {
    values = target;
    shape = l.outShape.length === 0 && target.length === 1 ? [] : [target.length];
  } else {
    throw new TypeError(
      `${op}: target must be an Int32Array, a number[] or a Tensor, got ${String(target)}`
    );
  }
  const expected = l.outShape;
  const sameShape = shape.length === expected.length && shape.every((d, i) => d === expected[i]);
  if (!(target instanceof Tensor) && expected.length === 1 && values.length !== l.n) {
    throw new RangeError(
      `${op}: ${values.length} labels for input ${fmtShape(input.shape)} (batch ${l.n})`
    );
  }
  if (
    !sameShape &&
    !(!(target instanceof Tensor) && values.length === l.n * l.s && expected.length === 1)
  ) {
    throw new RangeError(
      `${op}: target ${fmtShape(shape)} does not match input ${fmtShape(input.shape)} ` +
        `(expected class indices of shape ${fmtShape(expected)})`
    );
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || ((v < 0 || v >= l.c) && v !== ignoreIndex)) {
      throw new RangeError(
        `${op}: labels[${i}] = ${v} is out of range [0, ${l.c}) (target out of bounds` +
          `${ignoreIndex >= 0 ? ` and not ignoreIndex ${ignoreIndex}` : ''}); input ${fmtShape(input.shape)}`
      );
    }
    out[i] = v;
  }
  return out;
}

function classWeight(
  op: string,
  weight: Tensor | null | undefined,
  c: number
): Float32Array | null {
  if (!weight) return null;
  checkTensor(op, 'weight', weight);
  if (weight.ndim !== 1 || weight.shape[0] !== c) {
    throw new RangeError(
      `${op}: weight must be [${c}] (one per class), got ${fmtShape(weight.shape)}`
    );
  }
  return weight.toFloat32Array();
}

/**
 * The loss tensor from per-position losses, and the per-position factor its backward multiplies
 * by (1/denominator for mean, 1 for sum, gradOut[i] for none).
 */
function reduce(
  per: Float64Array,
  shape: number[],
  reduction: Reduction,
  denom: number
): { y: Tensor; scale: (gy: Tensor) => (i: number) => number } {
  if (reduction === 'none') {
    const y = Tensor.empty(shape);
    y.data().set(per);
    return {
      y,
      scale: (gy) => {
        const g = gy.data();
        return (i) => g[i];
      },
    };
  }
  let s = 0;
  for (let i = 0; i < per.length; i++) s += per[i];
  const div = reduction === 'mean' ? denom : 1;
  const y = Tensor.empty([]);
  y.data()[0] = s / div;
  return {
    y,
    scale: (gy) => {
      const g = gy.item() / div;
      return () => g;
    },
  };
}

/**
 * Negative log-likelihood (as torch.nn.functional.nll_loss): logProbs [N,C] / [N,C,d...] / [C]
 * and class indices [N] / [N,d...] / []; the mean divides by the summed weights of the
 * non-ignored targets.
 */
export function nllLoss(logProbs: Tensor, target: Indices, opts: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  checkTensor(op, 'input', logProbs);
  const reduction = checkReduction(op, opts.reduction);
  const ignore = opts.ignoreIndex ?? -100;
  const l = classLayout(op, logProbs);
  const y = classTargets(op, target, logProbs, l, ignore);
  const w = classWeight(op, opts.weight, l.c);
  const x = logProbs.data();
  const per = new Float64Array(l.n * l.s);
  let denom = 0;
  for (let n = 0; n < l.n; n++) {
    for (let s = 0; s < l.s; s++) {
      const k = y[n * l.s + s];
      if (k === ignore) continue;
      const wk = w ? w[k] : 1;
      per[n * l.s + s] = -wk * x[(n * l.c + k) * l.s + s];
      denom += wk;
    }
  }
  const { y: out, scale } = reduce(per, l.outShape, reduction, denom);
  return record(out, op, [logProbs], (gy) => {
    const gx = Tensor.empty(logProbs.shape);
    const f = scale(gy);
    const g = gx.data();
    g.fill(0);
    for (let n = 0; n < l.n; n++) {
      for (let s = 0; s < l.s; s++) {
        const k = y[n * l.s + s];
        if (k === ignore) continue;
        g[(n * l.c + k) * l.s + s] = -(w ? w[k] : 1) * f(n * l.s + s);
      }
    }
    return [gx];
  });
}

/**
 * Cross-entropy of logits with the class dim at 1 (as torch.nn.functional.cross_entropy):
 * target is class indices ([N] / [N,d...] / [], an Int32Array, number[] or float tensor of
 * whole numbers) or class probabilities (a tensor of the input's shape).
 * @example F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy(
  input: Tensor,
  target: Indices,
  opts: CrossEntropyOptions = {}
): Tensor {
  const op = 'crossEntropy';
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  }
  checkTensor(op, 'input', input);
  const reduction = checkReduction(op, opts.reduction);
  const ignore = opts.ignoreIndex ?? -100;
  const l = classLayout(op, input);
  const probTarget = target instanceof Tensor && target.ndim === input.ndim;
  if (probTarget) {
    checkTensor(op, 'target', target);
    if (target.shape.some((d, i) => d !== input.shape[i])) {
      throw new RangeError(
        `${op}: probability target ${fmtShape(target.shape)} must have the input's shape ${fmtShape(input.shape)}`
      );
    }
    return softXent(op, input, target, l, classWeight(op, opts.weight, l.c), smoothing, reduction);
  }
  const labels = classTargets(op, target, input, l, ignore);
  if (
    input.ndim === 2 &&
    reduction === 'mean' &&
    !opts.weight &&
    labels.every((v) => v !== ignore)
  ) {
    return crossEntropyKernel(input, labels, smoothing);
  }
  const w = classWeight(op, opts.weight, l.c);
  // Coefficients a_c of -sum_c a_c log p_c at one position (see softXent).
  const coeff = (pos: number, a: Float64Array): number => {
    const k = labels[pos];
    if (k === ignore) {
      a.fill(0);
      return 0;
    }
    for (let c = 0; c < l.c; c++) a[c] = (smoothing / l.c) * (w ? w[c] : 1);
    a[k] += (1 - smoothing) * (w ? w[k] : 1);
    return w ? w[k] : 1;
  };
  return softmaxLoss(op, input, null, l, coeff, reduction, null);
}

/** Probability targets: a_c = w_c * ((1 - s) t_c + s / C); the mean is over N*d... positions. */
function softXent(
  op: string,
  input: Tensor,
  target: Tensor,
  l: ClassLayout,
  w: Float32Array | null,
  smoothing: number,
  reduction: Reduction
): Tensor {
  const t = target.toFloat32Array();
  const coeff = (pos: number, a: Float64Array): number => {
    const n = Math.floor(pos / l.s);
    const s = pos - n * l.s;
    for (let c = 0; c < l.c; c++) {
      a[c] = (w ? w[c] : 1) * ((1 - smoothing) * t[(n * l.c + c) * l.s + s] + smoothing / l.c);
    }
    return 1;
  };
  // d/dt_c of -sum a_c log p_c = -w_c (1 - s) log p_c
  const targetGrad = (c: number, logp: number): number => -(w ? w[c] : 1) * (1 - smoothing) * logp;
  return softmaxLoss(op, input, target, l, coeff, reduction, targetGrad);
}

/**
 * Per position: log p = log_softmax over classes, loss = -sum_c a_c log p_c, whose gradient is
 * (sum_c a_c) p_c - a_c. coeff fills a for a position and returns its weight in the mean's
 * denominator (the target's class weight, 0 when ignored; 1 per position for probabilities).
 */
function softmaxLoss(
  op: string,
  input: Tensor,
  target: Tensor | null,
  l: ClassLayout,
  coeff: (pos: number, a: Float64Array) => number,
  reduction: Reduction,
  targetGrad: ((c: number, logp: number) => number) | null
): Tensor {
  const x = input.data();
  const npos = l.n * l.s;
  const per = new Float64Array(npos);
  const gradBase = new Float32Array(input.size);
  const tgBase = targetGrad ? new Float32Array(input.size) : null;
  const a = new Float64Array(l.c);
  const logp = new Float64Array(l.c);
  let denom = 0;
  for (let n = 0; n < l.n; n++) {
    for (let s = 0; s < l.s; s++) {
      const pos = n * l.s + s;
      const at = (c: number): number => (n * l.c + c) * l.s + s;
      let m = -Infinity;
      for (let c = 0; c < l.c; c++) m = Math.max(m, x[at(c)]);
      let z = 0;
      for (let c = 0; c < l.c; c++) z += Math.exp(x[at(c)] - m);
      const lse = m + Math.log(z);
      denom += coeff(pos, a);
      let loss = 0;
      let asum = 0;
      for (let c = 0; c < l.c; c++) {
        logp[c] = x[at(c)] - lse;
        if (a[c] !== 0) loss -= a[c] * logp[c];
        asum += a[c];
      }
      per[pos] = loss;
      for (let c = 0; c < l.c; c++) {
        gradBase[at(c)] = asum * Math.exp(logp[c]) - a[c];
        if (tgBase) tgBase[at(c)] = targetGrad!(c, logp[c]);
      }
    }
  }
  const { y, scale } = reduce(per, l.outShape, reduction, denom);
  return record(y, op, [input, target], (gy, needs) => {
    const f = scale(gy);
    const grads: (Tensor | null)[] = [null, null];
    const bases = [gradBase, tgBase];
    for (let k = 0; k < 2; k++) {
      const base = bases[k];
      if (!needs[k] || !base) continue;
      const gt = Tensor.empty(input.shape);
      const g = gt.data();
      for (let n = 0; n < l.n; n++) {
        for (let c = 0; c < l.c; c++) {
          for (let s = 0; s < l.s; s++) {
            const i = (n * l.c + c) * l.s + s;
            g[i] = base[i] * f(n * l.s + s);
          }
        }
      }
      grads[k] = gt;
    }
    return grads;
  });
}

/** 2-D logits, index labels, mean: the fused softmax + cross-entropy kernel. */
function crossEntropyKernel(logits: Tensor, labels: Int32Array, smoothing: number): Tensor {
  const [batch, classes] = logits.shape;
  const rt = getRuntime();
  const lab = rt.heap.allocF32(batch);
  rt.heap.viewI32(lab).set(labels);
  const probs = rt.heap.allocF32(batch * classes);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    rt.heap.free(lab);
    rt.heap.free(probs);
  };
  let value: number;
  try {
    value = softmaxXentForward(rt, { batch, classes, logits: logits.buf, labels: lab, probs });
  } catch (e) {
    release();
    throw e;
  }
  const y = Tensor.empty([]);
  if (smoothing > 0) {
    // + s * (mean over classes of -log p - (-log p_label)): -log p_k = lse - l_k, so the
    // smoothed loss adds s * (l_label - mean_k l_k) per row; gradient (probs - target) / B.
    const l = logits.rawData();
    let extra = 0;
    for (let i = 0; i < batch; i++) {
      let m = 0;
      for (let k = 0; k < classes; k++) m += l[i * classes + k];
      extra += l[i * classes + labels[i]] - m / classes;
    }
    y.rawData()[0] = value + (smoothing * extra) / batch;
    return record(
      y,
      'crossEntropy',
      [logits],
      (gy) => {
        const gx = Tensor.empty(logits.shape);
        const p = rt.heap.view(probs);
        const g = gx.rawData();
        const sc = gy.item() / batch;
        for (let i = 0; i < batch; i++) {
          for (let k = 0; k < classes; k++) {
            const target = (k === labels[i] ? 1 - smoothing : 0) + smoothing / classes;
            g[i * classes + k] = (p[i * classes + k] - target) * sc;
          }
        }
        return [gx];
      },
      release
    );
  }
  y.rawData()[0] = value;
  return record(
    y,
    'crossEntropy',
    [logits],
    (gy) => {
      const gx = Tensor.empty(logits.shape);
      softmaxXentBackward(rt, {
        batch,
        classes,
        labels: lab,
        probs,
        gradLogits: gx.buf,
        scale: gy.item(),
      });
      return [gx];
    },
    release
  );
}
