// Reductions over any set of dims with keepdim (PyTorch semantics): sum, mean, amax/amin
// (gradient split between ties), max/min(dim) with indices (gradient to the index), argmax/argmin
// (float indices), var/std (correction 1 by default). Tests: test/ops/reduce.test.ts.

import { record, traceOp } from '../autograd/tape.js';
import { fill, scale } from '../runtime/kernels/elementwise.js';
import {
  reduceExtreme,
  reduceExtremeBackward,
  reduceIndexBackward,
  reduceMeanVar,
  reduceVarBackward,
} from '../runtime/kernels/reduce.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import { expandRaw, fromOri, normDim, normDims, reducedShape, sumRaw, toOri } from './layout.js';

export type Dims = number | readonly number[];

function prepare(
  op: string,
  x: Tensor,
  dim: Dims | undefined,
  keepdim: boolean
): { dims: number[]; keep: number[]; out: number[]; R: number } {
  checkTensor(op, 'input', x);
  if (typeof keepdim !== 'boolean')
    throw new TypeError(`${op}: keepdim must be a boolean, got ${String(keepdim)}`);
  const dims = normDims(op, dim, x.shape);
  return {
    dims,
    keep: reducedShape(x.shape, dims, true),
    out: reducedShape(x.shape, dims, keepdim),
    R: dims.reduce((a, d) => a * x.shape[d], 1),
  };
}

/** Sum over dim (a dim or a list; all dims when omitted, giving shape []). */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { dims, keep, out } = prepare('sum', x, dim, keepdim);
  const y = sumRaw(x, dims, out);
  return record(y, 'sum', [x], (gy) => [expandRaw(gy, keep, x.shape)], undefined, {
    dims,
    keepdim,
  });
}

/** Mean over dim (a dim or a list; all dims when omitted, giving shape []); NaN over 0 values. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { dims, keep, out, R } = prepare('mean', x, dim, keepdim);
  const rt = getRuntime();
  const y = sumRaw(x, dims, out);
  if (R === 0) fill(rt, y.buf, NaN, y.size);
  else scale(rt, y.buf, 1 / R, y.buf, y.size);
  return record(
    y,
    'mean',
    [x],
    (gy) => {
      const g = Tensor.empty(gy.shape);
      if (R === 0) fill(rt, g.buf, NaN, g.size);
      else scale(rt, gy.buf, 1 / R, g.buf, g.size);
      const gx = expandRaw(g, keep, x.shape);
      g.dispose();
      return [gx];
    },
    undefined,
    { dims, keepdim }
  );
}

function extreme(op: 'amax' | 'amin', x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  const { dims, out, R } = prepare(op, x, dim, keepdim);
  if (R === 0 || x.size === 0) {
    throw new RangeError(
      `${op}: cannot reduce over an empty dim (input ${fmtShape(x.shape)}, dims [${dims}])`
    );
  }
  const rt = getRuntime();
  const v = toOri(x, dims);
  if (v.perm) v.t.keep();
  const y = Tensor.empty(out);
  reduceExtreme(rt, op === 'amax' ? 'max' : 'min', v.t.buf, y.buf, null, v.ori);
  return record(
    y,
    op,
    [x],
    (gy) => {
      const g = Tensor.empty(v.t.shape);
      reduceExtremeBackward(rt, v.t.buf, y.buf, gy.buf, g.buf, v.ori);
      return [fromOri(g, v, x.shape)];
    },
    () => {
      if (v.perm) v.t.dispose();
    },
    { dims, keepdim }
  );
}

/** Largest value over dim (all dims when omitted); ties share the gradient evenly. */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('amax', x, dim, keepdim);
}

/** Smallest value over dim (all dims when omitted); ties share the gradient evenly. */
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('amin', x, dim, keepdim);
}

/** Values and (float) indices of the extreme along one dim; the gradient goes to the index. */
function extremeDim(
  op: 'max' | 'min',
  x: Tensor,
  dim: number,
  keepdim: boolean
): { values: Tensor; indices: Tensor } {
  checkTensor(op, 'input', x);
  const d = normDim(op, dim, x.ndim, 'dim', x.shape);
  const { dims, out, R } = prepare(op, x, d, keepdim);
  if (R === 0 || x.size === 0) {
    throw new RangeError(
      `${op}: cannot reduce over an empty dim (input ${fmtShape(x.shape)}, dim ${d})`
    );
  }
  const rt = getRuntime();
  const v = toOri(x, dims);
  const values = Tensor.empty(out);
  const saved = Tensor.empty(out).keep();
  reduceExtreme(rt, op, v.t.buf, values.buf, saved.buf, v.ori);
  // The caller may dispose the returned indices; backward keeps its own reference to them.
  const indices = saved.view(out);
  record(
    values,
    op,
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      reduceIndexBackward(rt, saved.buf, gy.buf, gx.buf, v.ori);
      return [gx];
    },
    () => saved.dispose(),
    { dims, keepdim }
  );
  traceOp(indices, op === 'max' ? 'argmax' : 'argmin', [x], { dim: d, keepdim });
  return { values, indices };
}

function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  dim: number | undefined,
  keepdim: boolean
): Tensor {
  checkTensor(op, 'input', x);
  if (x.size === 0) throw new RangeError(`${op}: input ${fmtShape(x.shape)} is empty`);
  const kind = op === 'argmax' ? 'max' : 'min';
  const rt = getRuntime();
  if (dim === undefined) {
    const idx = Tensor.empty(keepdim ? x.shape.map(() => 1) : []);
    const val = Tensor.empty([1]);
    reduceExtreme(rt, kind, x.buf, val.buf, idx.buf, [1, x.size, 1]);
    val.dispose();
    return traceOp(idx, op, [x], { dim: undefined, keepdim });
  }
  const d = normDim(op, dim, x.ndim, 'dim', x.shape);
  const { dims, out } = prepare(op, x, d, keepdim);
  const v = toOri(x, dims);
  const idx = Tensor.empty(out);
  const val = Tensor.empty(out);
  reduceExtreme(rt, kind, v.t.buf, val.buf, idx.buf, v.ori);
  val.dispose();
  return traceOp(idx, op, [x], { dim: d, keepdim });
}

/**
 * Index of the largest value along dim (of the flattened tensor when dim is omitted), first
 * occurrence on ties. A float tensor (PyTorch returns int64); not differentiable.
 */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

/** Index of the smallest value, as argmax. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

export interface VarOptions {
  /** Divide by R - correction (default 1, the unbiased estimator, as PyTorch). */
  correction?: number;
  /** PyTorch's older flag: false means correction 0. */
  unbiased?: boolean;
  keepdim?: boolean;
}

function moments(op: 'var' | 'std', x: Tensor, dim: Dims | undefined, opts: VarOptions): Tensor {
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  if (typeof correction !== 'number' || !Number.isFinite(correction)) {
    throw new RangeError(`${op}: correction must be a finite number, got ${String(correction)}`);
  }
  const { dims, out, R } = prepare(op, x, dim, opts.keepdim ?? false);
  const rt = getRuntime();
  const v = toOri(x, dims);
  if (v.perm) v.t.keep();
  const mu = Tensor.empty(out).keep();
  const y = Tensor.empty(out);
  if (y.size > 0) reduceMeanVar(rt, v.t.buf, mu.buf, y.buf, v.ori, correction);
  if (op === 'std') {
    const d = y.rawData();
    for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]);
  }
  const div = Math.max(0, R - correction);
  return record(
    y,
    op,
    [x],
    (gy) => {
      const s = Tensor.empty(out);
      const sd = s.rawData();
      const g = gy.rawData();
      const yd = y.rawData();
      for (let i = 0; i < sd.length; i++)
        sd[i] = op === 'var' ? (2 * g[i]) / div : g[i] / (div * yd[i]);
      const gx = Tensor.empty(v.t.shape);
      reduceVarBackward(rt, v.t.buf, mu.buf, s.buf, gx.buf, v.ori);
      s.dispose();
      return [fromOri(gx, v, x.shape)];
    },
    () => {
      mu.dispose();
      if (v.perm) v.t.dispose();
    }
  );
}

/** Variance over dim (all dims when omitted), dividing by R - correction (default 1). */
export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return moments('var', x, dim, opts);
}

/** Standard deviation: the square root of variance(x, dim, opts). */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return moments('std', x, dim, opts);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Sum over dim (a dim or list; all when omitted, giving shape []). */
    sum(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** Mean over dim (a dim or list; all when omitted, giving shape []). */
    mean(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** Largest value over dim (all when omitted); ties share the gradient. */
    amax(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** Smallest value over dim (all when omitted); ties share the gradient. */
    amin(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** Index of the largest value (flat when dim is omitted), as a float tensor. */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /** Index of the smallest value (flat when dim is omitted), as a float tensor. */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** The largest value of all elements (as torch.max(x)). */
    max(): Tensor;
    /** Largest values along dim and their (float) indices; the gradient goes to the index. */
    max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    /** The smallest value of all elements (as torch.min(x)). */
    min(): Tensor;
    /** Smallest values along dim and their (float) indices; the gradient goes to the index. */
    min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    /** Variance over dim (all when omitted); correction 1 (unbiased) by default. */
    var(dim?: number | readonly number[], opts?: VarOptions): Tensor;
    /** Standard deviation over dim (all when omitted); correction 1 by default. */
    std(dim?: number | readonly number[], opts?: VarOptions): Tensor;
  }
}

Tensor.prototype.sum = function (this: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sum(this, dim, keepdim);
};
Tensor.prototype.mean = function (this: Tensor, dim?: Dims, keepdim = false): Tensor {
  return mean(this, dim, keepdim);
};
Tensor.prototype.amax = function (this: Tensor, dim?: Dims, keepdim = false): Tensor {
  return amax(this, dim, keepdim);
};
Tensor.prototype.amin = function (this: Tensor, dim?: Dims, keepdim = false): Tensor {
  return amin(this, dim, keepdim);
};
Tensor.prototype.argmax = function (this: Tensor, dim?: number, keepdim = false): Tensor {
  return argmax(this, dim, keepdim);
};
Tensor.prototype.argmin = function (this: Tensor, dim?: number, keepdim = false): Tensor {
  return argmin(this, dim, keepdim);
};
Tensor.prototype.max = function (this: Tensor, dim?: number, keepdim: boolean = false): never {
  return (dim === undefined ? amax(this) : extremeDim('max', this, dim, keepdim)) as never;
};
Tensor.prototype.min = function (this: Tensor, dim?: number, keepdim: boolean = false): never {
  return (dim === undefined ? amin(this) : extremeDim('min', this, dim, keepdim)) as never;
};
Tensor.prototype.var = function (this: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return variance(this, dim, opts);
};
Tensor.prototype.std = function (this: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return std(this, dim, opts);
};

/** Values and indices of the largest element along dim (as torch.max(x, dim)). */
export function max(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  return extremeDim('max', x, dim, keepdim);
}

/** Values and indices of the smallest element along dim (as torch.min(x, dim)). */
export function min(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  return extremeDim('min', x, dim, keepdim);
}
