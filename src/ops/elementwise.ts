// Element-wise ops and reductions: F.relu, F.add, F.mul, sum, mean, F.flatten, F.dropout.

import { record } from '../autograd/tape.js';
import {
  add as addKernel, dropoutForward, fill, mul as mulKernel, reluBackward, reluForward, sum as sumKernel,
} from '../runtime/kernels/elementwise.js';
import { nextU32 } from '../tensor/random.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkSameShape, checkTensor } from './check.js';

export function relu(x: Tensor): Tensor {
  checkTensor('relu', 'input', x);
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  reluForward(rt, x.buf, y.buf, x.size);
  return record(y, 'relu', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    reluBackward(rt, x.buf, gy.buf, gx.buf, x.size);
    return [gx];
  });
}

/** a + b, same shapes. */
export function add(a: Tensor, b: Tensor): Tensor {
  checkTensor('add', 'a', a);
  checkTensor('add', 'b', b);
  checkSameShape('add', a, b);
  const y = Tensor.empty(a.shape);
  addKernel(getRuntime(), a.buf, b.buf, y.buf, a.size);
  return record(y, 'add', [a, b], (gy, needs) => [needs[0] ? gy.view(a.shape) : null, needs[1] ? gy.view(b.shape) : null]);
}

function mulInto(a: Tensor, b: Tensor, out: Tensor): void {
  mulKernel(getRuntime(), a.buf, b.buf, out.buf, out.size);
}

/** a * b element-wise, same shapes. */
export function mul(a: Tensor, b: Tensor): Tensor {
  checkTensor('mul', 'a', a);
  checkTensor('mul', 'b', b);
  checkSameShape('mul', a, b);
  const y = Tensor.empty(a.shape);
  mulInto(a, b, y);
  return record(y, 'mul', [a, b], (gy, needs) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      ga = Tensor.empty(a.shape);
      mulInto(gy, b, ga);
    }
    if (needs[1]) {
      gb = Tensor.empty(b.shape);
      mulInto(gy, a, gb);
    }
    return [ga, gb];
  });
}

/** Sum of all elements, a scalar tensor (shape []). */
export function sum(x: Tensor): Tensor {
  checkTensor('sum', 'input', x);
  const rt = getRuntime();
  const y = Tensor.empty([]);
  y.rawData()[0] = sumKernel(rt, x.buf, x.size);
  return record(y, 'sum', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    fill(rt, gx.buf, gy.item(), x.size);
    return [gx];
  });
}

/** Mean of all elements, a scalar tensor (shape []). */
export function mean(x: Tensor): Tensor {
  checkTensor('mean', 'input', x);
  if (x.size === 0) throw new RangeError(`mean: input ${fmtShape(x.shape)} is empty`);
  const rt = getRuntime();
  const y = Tensor.empty([]);
  y.rawData()[0] = sumKernel(rt, x.buf, x.size) / x.size;
  return record(y, 'mean', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    fill(rt, gx.buf, gy.item() / x.size, x.size);
    return [gx];
  });
}

/** Flattens dimensions startDim..endDim into one (a view). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  const nd = x.ndim;
  const s = startDim < 0 ? startDim + nd : startDim;
  const e = endDim < 0 ? endDim + nd : endDim;
  if (nd === 0) return x.reshape([1]);
  if (s < 0 || e >= nd || s > e) {
    throw new RangeError(`flatten: startDim ${startDim} / endDim ${endDim} out of range for ${fmtShape(x.shape)}`);
  }
  const mid = x.shape.slice(s, e + 1).reduce((a, d) => a * d, 1);
  return x.reshape([...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

let batchRowOffset = 0;

/** Index of this process's first row within the whole minibatch (data-parallel shards). */
export function setBatchRowOffset(rows: number): void {
  batchRowOffset = rows;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p) when training; the
 * identity otherwise. Each mask is a hash of one draw from the global seeded generator
 * (manualSeed) and the element index.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x.reshape(x.shape);
  const mask = Tensor.empty(x.shape);
  const y = Tensor.empty(x.shape);
  // A data-parallel shard sees rows [first, first + n) of the batch: its elements are numbered
  // from there, so its mask is that part of the whole batch's mask (same gradients as 1 thread).
  const offset = x.ndim > 0 ? batchRowOffset * (x.size / x.shape[0]) : 0;
  dropoutForward(getRuntime(), x.buf, y.buf, mask.buf, p, nextU32(), x.size, offset);
  return record(y, 'dropout', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    mulInto(gy, mask, gx);
    return [gx];
  }, () => mask.dispose());
}

/**
 * Zeroes whole channels of [N, C, ...] with probability p and scales the rest by 1/(1-p) when
 * training (as F.dropout2d); one draw per (n, c) from the global seeded generator.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout2d', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout2d: p must be in [0, 1], got ${p}`);
  if (x.ndim < 2) throw new RangeError(`dropout2d: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  if (!training || p === 0) return x.reshape(x.shape);
  const planes = x.shape[0] * x.shape[1];
  const hw = x.size / planes;
  const mask = Tensor.empty(x.shape);
  const m = mask.rawData();
  const keep = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < planes; i++) m.fill(nextU32() / 4294967296 >= p ? keep : 0, i * hw, (i + 1) * hw);
  const y = Tensor.empty(x.shape);
  mulInto(x, mask, y);
  return record(y, 'dropout2d', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    mulInto(gy, mask, gx);
    return [gx];
  }, () => mask.dispose());
}

// Tensor methods live with their ops: each op file declares the methods it adds (TypeScript
// declaration merging) and installs them on Tensor.prototype, so the tensor layer names no op.
declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Sum of all elements, a scalar tensor (as F.sum). */
    sum(): Tensor;
    /** Mean of all elements, a scalar tensor (as F.mean). */
    mean(): Tensor;
  }
}

Tensor.prototype.sum = function sumMethod(this: Tensor): Tensor {
  return sum(this);
};
Tensor.prototype.mean = function meanMethod(this: Tensor): Tensor {
  return mean(this);
};
