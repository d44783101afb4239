// Shape ops: permute/transpose/t, narrow, expand, cat/stack, split/chunk, pad (copies on the
// strided-copy kernel; PyTorch returns views for some, gradients land on the same elements) and
// unsqueeze/squeeze/flatten/contiguous (reshapes sharing storage). Tests: test/ops/shape.test.ts.

import { record } from '../autograd/tape.js';
import { fill } from '../runtime/kernels/elementwise.js';
import { contiguousStrides, copyStrided } from '../runtime/kernels/shape.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import { flatten } from './elementwise.js';
import { sumToShape } from './broadcast.js';
import { inversePerm, normDim, permuteRaw } from './layout.js';

/** Reorders dims: out.shape[i] = x.shape[dims[i]] (a copy; torch.permute is a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new RangeError(
      `permute: dims [${dims}] must list each of the ${x.ndim} dims of ` +
        `${fmtShape(x.shape)} once`
    );
  }
  const perm = dims.map((d) => normDim('permute', d, x.ndim, 'dims', x.shape));
  if (new Set(perm).size !== perm.length) {
    throw new RangeError(`permute: dims [${dims}] repeat a dim of ${fmtShape(x.shape)}`);
  }
  if (perm.every((p, i) => p === i)) return x.reshape(x.shape);
  const y = permuteRaw(x, perm);
  const inv = inversePerm(perm);
  return record(y, 'permute', [x], (gy) => [permuteRaw(gy, inv)], undefined, { perm });
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  const a = normDim('transpose', dim0, x.ndim, 'dim0', x.shape);
  const b = normDim('transpose', dim1, x.ndim, 'dim1', x.shape);
  if (x.ndim === 0) return x.reshape([]);
  const perm = [...x.shape.keys()];
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Transpose of a 2-D tensor; 0-D and 1-D tensors come back as they are (as torch.t). */
export function t(x: Tensor): Tensor {
  checkTensor('t', 'input', x);
  if (x.ndim > 2)
    throw new RangeError(`t: expects a tensor with <= 2 dims, got ${fmtShape(x.shape)}`);
  return x.ndim < 2 ? x.reshape(x.shape) : transpose(x, 0, 1);
}

function checkNarrow(
  op: string,
  x: Tensor,
  dim: number,
  start: number,
  length: number
): [number, number] {
  const d = normDim(op, dim, x.ndim, 'dim', x.shape);
  if (x.ndim === 0) throw new RangeError(`${op}: cannot narrow a 0-d tensor`);
  const size = x.shape[d];
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new RangeError(
      `${op}: start ${start} is out of range for dim ${d} of size ${size} ` +
        `(input ${fmtShape(x.shape)})`
    );
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new RangeError(
      `${op}: start (${s}) + length (${length}) exceeds dim ${d} of size ${size} ` +
        `(input ${fmtShape(x.shape)})`
    );
  }
  return [d, s];
}

/** Copies a block of shape `block` between a tensor of `shape` (at index `at` along dim) and a
 * contiguous block, in the direction given. */
function blockCopy(
  shape: readonly number[],
  dim: number,
  at: number,
  block: Tensor,
  big: Tensor,
  intoBig: boolean
): void {
  const cs = contiguousStrides(shape);
  const bigView = { buf: big.buf, offset: at * cs[dim], strides: cs };
  const blockView = { buf: block.buf, strides: contiguousStrides(block.shape) };
  if (intoBig) copyStrided(getRuntime(), block.shape, blockView, bigView);
  else copyStrided(getRuntime(), block.shape, bigView, blockView);
}

function zerosRaw(shape: readonly number[]): Tensor {
  const z = Tensor.empty(shape);
  fill(getRuntime(), z.buf, 0, z.size);
  return z;
}

/** Elements start..start+length-1 along dim (negative start counts from the end); a copy. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  const [d, s] = checkNarrow('narrow', x, dim, start, length);
  if (s === 0 && length === x.shape[d]) return x.reshape(x.shape);
  const shape = [...x.shape];
  shape[d] = length;
  const y = Tensor.empty(shape);
  blockCopy(x.shape, d, s, y, x, false);
  return record(
    y,
    'narrow',
    [x],
    (gy) => {
      const gx = zerosRaw(x.shape);
      blockCopy(x.shape, d, s, gy, gx, true);
      return [gx];
    },
    undefined,
    { dim: d, start: s, length }
  );
}

/** Inserts a dim of size 1 at dim (in [-ndim-1, ndim]); shares storage. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normDim('unsqueeze', dim, x.ndim + 1, 'dim', x.shape);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return x.reshape(shape);
}

/** Removes dims of size 1: all of them, or those listed that have size 1; shares storage. */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor('squeeze', 'input', x);
  let drop: number[];
  if (dim === undefined) {
    drop = [...x.shape.keys()].filter((i) => x.shape[i] === 1);
  } else {
    const list = typeof dim === 'number' ? [dim] : [...dim];
    drop = list
      .map((d) => normDim('squeeze', d, x.ndim, 'dim', x.shape))
      .filter((d) => x.ndim > 0 && x.shape[d] === 1);
  }
  return x.reshape(x.shape.filter((_, i) => !drop.includes(i)));
}

/**
 * Broadcasts size-1 dims (and new leading dims) to shape; -1 keeps a dim. A copy; the gradient
 * sums over the broadcast dims.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'input', x);
  const lead = Array.isArray(shape as unknown) ? shape.length - x.ndim : -1;
  if (lead < 0) {
    throw new RangeError(
      `expand: shape ${fmtShape(shape ?? [])} has fewer dims than input ${fmtShape(x.shape)}`
    );
  }
  const to = shape.map((d, i) => {
    const have = i >= lead ? x.shape[i - lead] : undefined;
    if (d === -1 && have !== undefined) return have;
    if (!Number.isInteger(d) || d < 0 || (have !== undefined && have !== 1 && have !== d)) {
      throw new RangeError(
        `expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}: ` +
          `size ${d} at dim ${i}${have !== undefined ? ` where the input has ${have}` : ''}`
      );
    }
    return d;
  });
  if (lead === 0 && to.every((d, i) => d === x.shape[i])) return x.reshape(x.shape);
  const y = Tensor.empty(to);
  const cs = contiguousStrides(x.shape);
  const ss = to.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : cs[i - lead]));
  copyStrided(
    getRuntime(),
    to,
    { buf: x.buf, strides: ss },
    { buf: y.buf, strides: contiguousStrides(to) }
  );
  return record(y, 'expand', [x], (gy) => [sumToShape(gy, x.shape)]);
}

/**
 * Concatenates along dim; every tensor has the same shape except along dim (1-D empty tensors
 * are skipped, as PyTorch's legacy rule).
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) {
    throw new RangeError('cat: expects a non-empty array of tensors');
  }
  tensors.forEach((x, i) => checkTensor('cat', `tensors[${i}]`, x));
  const parts = tensors.filter((x) => !(x.ndim === 1 && x.size === 0));
  if (parts.length === 0) return tensors[0].reshape(tensors[0].shape);
  const ref = parts[0];
  if (ref.ndim === 0) throw new RangeError('cat: zero-dimensional tensors cannot be concatenated');
  const d = normDim('cat', dim, ref.ndim, 'dim', ref.shape);
  for (const x of parts) {
    if (x.ndim !== ref.ndim || x.shape.some((s, i) => i !== d && s !== ref.shape[i])) {
      throw new RangeError(
        `cat: sizes must match except in dim ${d}; got ${fmtShape(ref.shape)} and ` +
          `${fmtShape(x.shape)}`
      );
    }
  }
  const shape = [...ref.shape];
  shape[d] = parts.reduce((a, x) => a + x.shape[d], 0);
  const y = Tensor.empty(shape);
  const starts: number[] = [];
  let at = 0;
  for (const x of parts) {
    starts.push(at);
    blockCopy(shape, d, at, x, y, true);
    at += x.shape[d];
  }
  return record(
    y,
    'cat',
    parts,
    (gy, needs) =>
      parts.map((x, i) => {
        if (!needs[i]) return null;
        const g = Tensor.empty(x.shape);
        blockCopy(shape, d, starts[i], g, gy, false);
        return g;
      }),
    undefined,
    { dim: d }
  );
}

/** Stacks equal-shaped tensors along a new dim (in [-ndim-1, ndim]). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) {
    throw new RangeError('stack: expects a non-empty array of tensors');
  }
  tensors.forEach((x, i) => checkTensor('stack', `tensors[${i}]`, x));
  const ref = tensors[0];
  for (const x of tensors) {
    if (x.ndim !== ref.ndim || x.shape.some((s, i) => s !== ref.shape[i])) {
      throw new RangeError(
        `stack: expects each tensor to be equal size, got ${fmtShape(ref.shape)} ` +
          `and ${fmtShape(x.shape)}`
      );
    }
  }
  const d = normDim('stack', dim, ref.ndim + 1, 'dim', ref.shape);
  const parts = tensors.map((x) => unsqueeze(x, d));
  const y = cat(parts, d);
  for (const p of parts) if (!p.requiresGrad) p.dispose();
  return y;
}

/**
 * Splits along dim into pieces of splitSize (the last may be smaller) or of the listed sizes.
 * Copies (torch.split returns views).
 */
export function split(
  x: Tensor,
  splitSizeOrSections: number | readonly number[],
  dim = 0
): Tensor[] {
  checkTensor('split', 'input', x);
  const d = normDim('split', dim, x.ndim, 'dim', x.shape);
  if (x.ndim === 0) throw new RangeError('split: cannot split a 0-d tensor');
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && size !== 0)) {
      throw new RangeError(
        `split: splitSize must be a positive integer, got ${s} for dim ${d} of ${fmtShape(x.shape)}`
      );
    }
    sizes = [];
    if (size === 0) sizes.push(0);
    for (let at = 0; at < size; at += s) sizes.push(Math.min(s, size - at));
  } else {
    sizes = [...splitSizeOrSections];
    const total = sizes.reduce((a, v) => a + v, 0);
    if (sizes.some((v) => !Number.isInteger(v) || v < 0) || total !== size) {
      throw new RangeError(
        `split: sections [${sizes}] must be non-negative and sum to ${size} ` +
          `(dim ${d} of ${fmtShape(x.shape)})`
      );
    }
  }
  let at = 0;
  return sizes.map((len) => {
    const piece = narrow(x, d, at, len);
    at += len;
    return piece;
  });
}

/** Splits into `chunks` pieces of ceil(size / chunks) along dim (fewer when that covers it). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks < 1) {
    throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  const d = normDim('chunk', dim, x.ndim, 'dim', x.shape);
  if (x.ndim === 0) throw new RangeError('chunk: cannot chunk a 0-d tensor');
  const size = x.shape[d];
  return split(x, Math.max(1, Math.ceil(size / chunks)), d);
}

/**
 * Pads with a constant: pads = [left, right] for the last dim, then [top, bottom] for the one
 * before, ... (as F.pad); negative pads crop.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  checkTensor('pad', 'input', x);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new RangeError(
      `pad: pads [${pads}] must have an even length of at most 2 * ndim ` +
        `(${2 * x.ndim}) for input ${fmtShape(x.shape)}`
    );
  }
  if (pads.some((p) => !Number.isInteger(p)))
    throw new RangeError(`pad: pads [${pads}] must be integers`);
  if (typeof value !== 'number')
    throw new TypeError(`pad: value must be a number, got ${String(value)}`);
  const nd = x.ndim;
  const before = new Array<number>(nd).fill(0);
  const after = new Array<number>(nd).fill(0);
  for (let k = 0; k < pads.length / 2; k++) {
    before[nd - 1 - k] = pads[2 * k];
    after[nd - 1 - k] = pads[2 * k + 1];
  }
  const shape = x.shape.map((s, i) => s + before[i] + after[i]);
  if (shape.some((s) => s < 0)) {
    throw new RangeError(
      `pad: pads [${pads}] give a negative output size ${fmtShape(shape)} for ` +
        `input ${fmtShape(x.shape)}`
    );
  }
  const inStart = before.map((b) => Math.max(0, -b));
  const outStart = before.map((b) => Math.max(0, b));
  const region = x.shape.map((s, i) => Math.max(0, s - inStart[i] - Math.max(0, -after[i])));
  const csIn = contiguousStrides(x.shape);
  const csOut = contiguousStrides(shape);
  const offIn = inStart.reduce((a, s, i) => a + s * csIn[i], 0);
  const offOut = outStart.reduce((a, s, i) => a + s * csOut[i], 0);
  const rt = getRuntime();
  const y = Tensor.empty(shape);
  fill(rt, y.buf, value, y.size);
  copyStrided(
    rt,
    region,
    { buf: x.buf, offset: offIn, strides: csIn },
    { buf: y.buf, offset: offOut, strides: csOut }
  );
  return record(
    y,
    'pad',
    [x],
    (gy) => {
      const gx = zerosRaw(x.shape);
      copyStrided(
        rt,
        region,
        { buf: gy.buf, offset: offOut, strides: csOut },
        { buf: gx.buf, offset: offIn, strides: csIn }
      );
      return [gx];
    },
    undefined,
    { pads, value }
  );
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Reorders dims (as torch.permute; a copy). */
    permute(dims: readonly number[]): Tensor;
    /** Swaps two dims (a copy). */
    transpose(dim0: number, dim1: number): Tensor;
    /** 2-D transpose; 0-D and 1-D come back as they are. */
    t(): Tensor;
    /** length elements from start along dim (a copy). */
    narrow(dim: number, start: number, length: number): Tensor;
    /** Inserts a size-1 dim (shares storage). */
    unsqueeze(dim: number): Tensor;
    /** Removes size-1 dims: all, or those listed (shares storage). */
    squeeze(dim?: number | readonly number[]): Tensor;
    /** Merges dims startDim..endDim (defaults 0 and -1, as torch.flatten; shares storage). */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Broadcasts size-1 dims to shape; -1 keeps a dim (a copy). */
    expand(shape: readonly number[]): Tensor;
    /** This tensor: every tensor here is contiguous. */
    contiguous(): Tensor;
    /** Pieces of splitSize, or of the listed sizes, along dim (copies). */
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    /** chunks pieces along dim (copies). */
    chunk(chunks: number, dim?: number): Tensor[];
  }
}

Tensor.prototype.permute = function (this: Tensor, dims: readonly number[]): Tensor {
  return permute(this, dims);
};
Tensor.prototype.transpose = function (this: Tensor, dim0: number, dim1: number): Tensor {
  return transpose(this, dim0, dim1);
};
Tensor.prototype.t = function (this: Tensor): Tensor {
  return t(this);
};
Tensor.prototype.narrow = function (
  this: Tensor,
  dim: number,
  start: number,
  length: number
): Tensor {
  return narrow(this, dim, start, length);
};
Tensor.prototype.unsqueeze = function (this: Tensor, dim: number): Tensor {
  return unsqueeze(this, dim);
};
Tensor.prototype.squeeze = function (this: Tensor, dim?: number | readonly number[]): Tensor {
  return squeeze(this, dim);
};
Tensor.prototype.flatten = function (this: Tensor, startDim = 0, endDim = -1): Tensor {
  return flatten(this, startDim, endDim);
};
Tensor.prototype.expand = function (this: Tensor, shape: readonly number[]): Tensor {
  return expand(this, shape);
};
Tensor.prototype.contiguous = function (this: Tensor): Tensor {
  return this;
};
Tensor.prototype.split = function (this: Tensor, s: number | readonly number[], dim = 0): Tensor[] {
  return split(this, s, dim);
};
Tensor.prototype.chunk = function (this: Tensor, chunks: number, dim = 0): Tensor[] {
  return chunk(this, chunks, dim);
};
