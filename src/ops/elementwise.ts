// Masks and views: F.flatten, F.dropout, F.dropout2d (arithmetic lives in pointwise.ts, sum and
// mean in reduce.ts).

import { record } from '../autograd/tape.js';
import { dropoutForward, mul as mulKernel } from '../runtime/kernels/elementwise.js';
import { currentGenerator, nextU32 } from '../tensor/random.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

function mulInto(a: Tensor, b: Tensor, out: Tensor): void {
  mulKernel(getRuntime(), a.buf, b.buf, out.buf, out.size);
}

/** Flattens dimensions startDim..endDim into one (a view). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  const nd = x.ndim;
  const s = startDim < 0 ? startDim + nd : startDim;
  const e = endDim < 0 ? endDim + nd : endDim;
  if (nd === 0) return x.reshape([1]);
  if (s < 0 || e >= nd || s > e) {
    throw new RangeError(
      `flatten: startDim ${startDim} / endDim ${endDim} out of range for ${fmtShape(x.shape)}`
    );
  }
  const mid = x.shape.slice(s, e + 1).reduce((a, d) => a * d, 1);
  return x.reshape([...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p) when training; the
 * identity otherwise. Each mask is a hash of one draw from the current generator (manualSeed's,
 * or a training step's) and the element index.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x.reshape(x.shape);
  const mask = Tensor.empty(x.shape);
  const y = Tensor.empty(x.shape);
  // A data-parallel shard sees rows [first, first + n) of the batch (its step's generator says
  // where): its elements are numbered from there, so its mask is that part of the whole batch's
  // mask (same gradients as 1 thread).
  const gen = currentGenerator();
  const offset = x.ndim > 0 ? gen.batchRowOffset * (x.size / x.shape[0]) : 0;
  dropoutForward(getRuntime(), x.buf, y.buf, mask.buf, p, gen.nextU32(), x.size, offset);
  return record(
    y,
    'dropout',
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      mulInto(gy, mask, gx);
      return [gx];
    },
    () => mask.dispose()
  );
}

/**
 * Zeroes whole channels of [N, C, ...] with probability p and scales the rest by 1/(1-p) when
 * training (as F.dropout2d); one draw per (n, c) from the current generator.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout2d', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout2d: p must be in [0, 1], got ${p}`);
  if (x.ndim < 2)
    throw new RangeError(`dropout2d: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  if (!training || p === 0) return x.reshape(x.shape);
  const planes = x.shape[0] * x.shape[1];
  const hw = x.size / planes;
  const mask = Tensor.empty(x.shape);
  const m = mask.rawData();
  const keep = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < planes; i++)
    m.fill(nextU32() / 4294967296 >= p ? keep : 0, i * hw, (i + 1) * hw);
  const y = Tensor.empty(x.shape);
  mulInto(x, mask, y);
  return record(
    y,
    'dropout2d',
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      mulInto(gy, mask, gx);
      return [gx];
    },
    () => mask.dispose()
  );
}
