// F.embedding: rows of a weight table picked by integer indices; the backward scatter-adds the
// output gradient into the picked rows (repeated indices accumulate).
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts (gradcheck).

import { record } from '../autograd/tape.js';
import { Tensor, fmtShape } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

/** Integer indices: a typed/plain array (shape [length]) or a float tensor of whole numbers. */
export type Indices = Int32Array | readonly number[] | Tensor;

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (as PyTorch's padding_idx; negative counts from the end). */
  paddingIdx?: number;
}

/** The indices as Int32Array and their shape, each checked to be in [0, num). */
export function indexArray(
  op: string,
  indices: Indices,
  num: number,
  what: string
): { idx: Int32Array; shape: number[] } {
  let values: ArrayLike<number>;
  let shape: number[];
  if (indices instanceof Tensor) {
    checkTensor(op, 'indices', indices);
    values = indices.data();
    shape = [...indices.shape];
  } else if (indices instanceof Int32Array || Array.isArray(indices)) {
    values = indices;
    shape = [indices.length];
  } else {
    throw new TypeError(
      `${op}: indices must be an Int32Array, a number[] or a Tensor, got ${String(indices)}`
    );
  }
  const idx = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= num) {
      throw new RangeError(
        `${op}: index ${v} at position ${i} of indices ${fmtShape(shape)} is out of ` +
          `range for ${what} (valid: 0..${num - 1})`
      );
    }
    idx[i] = v;
  }
  return { idx, shape };
}

/**
 * Looks up rows of weight [num, dim] (as torch.nn.functional.embedding): indices of any shape S
 * give [...S, dim]. The gradient flows to weight only.
 * @example F.embedding(new Int32Array([1, 0, 1]), table) // [3, dim]
 */
export function embedding(indices: Indices, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  const op = 'embedding';
  checkTensor(op, 'weight', weight);
  if (weight.ndim !== 2)
    throw new RangeError(`${op}: weight must be 2-D [num, dim], got ${fmtShape(weight.shape)}`);
  const [num, dim] = weight.shape;
  const { idx, shape } = indexArray(op, indices, num, `weight ${fmtShape(weight.shape)}`);
  let pad = opts.paddingIdx;
  if (pad !== undefined) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) {
      throw new RangeError(`${op}: paddingIdx must be within [-${num}, ${num - 1}], got ${pad}`);
    }
    if (pad < 0) pad += num;
  }
  const y = Tensor.empty([...shape, dim]);
  const yd = y.data();
  const wd = weight.data();
  for (let i = 0; i < idx.length; i++)
    yd.set(wd.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
  return record(
    y,
    op,
    [weight],
    (gy) => {
      const gw = Tensor.empty(weight.shape);
      const g = gw.data();
      g.fill(0);
      const gyd = gy.data();
      for (let i = 0; i < idx.length; i++) {
        const r = idx[i];
        if (r === pad) continue;
        const o = r * dim;
        const s = i * dim;
        for (let j = 0; j < dim; j++) g[o + j] += gyd[s + j];
      }
      return [gw];
    },
    undefined,
    { indices }
  );
}
