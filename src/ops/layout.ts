// Layout helpers shared by the shape, reduction and softmax ops (none records a graph): dim
// normalisation as PyTorch wraps dims, permuted copies, the [outer, R, inner] form of a
// reduction, sums over dims and broadcasts back. Tested through test/ops/{shape,reduce}.test.ts.

import { fill } from '../runtime/kernels/elementwise.js';
import { reduceSum, type Ori } from '../runtime/kernels/reduce.js';
import { contiguousStrides, copyStrided } from '../runtime/kernels/shape.js';
import { Tensor, fmtShape, getRuntime, shapeSize } from '../tensor/tensor.js';

/** dim wrapped into [0, ndim) (a 0-d tensor accepts 0 and -1, as PyTorch). */
export function normDim(
  op: string,
  dim: number,
  ndim: number,
  name = 'dim',
  shape?: readonly number[]
): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(
      `${op}: ${name} ${dim} is out of range for a ${ndim}-d tensor` +
        `${shape ? ` ${fmtShape(shape)}` : ''} (expected [${-n}, ${n - 1}])`
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Sorted distinct dims; undefined or [] mean every dim. A repeated dim throws. */
export function normDims(
  op: string,
  dim: number | readonly number[] | undefined,
  shape: readonly number[]
): number[] {
  const nd = shape.length;
  if (dim === undefined || (Array.isArray(dim) && dim.length === 0)) return [...Array(nd).keys()];
  const list = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(list))
    throw new TypeError(`${op}: dim must be a number or an array, got ${String(dim)}`);
  const out = list.map((d) => normDim(op, d, nd, 'dim', shape));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d))
      throw new RangeError(`${op}: dim ${d} appears more than once in [${list.join(',')}]`);
    seen.add(d);
  }
  return nd === 0 ? [] : out.sort((a, b) => a - b);
}

/** The shape after reducing dims: size 1 there (keepdim) or removed. */
export function reducedShape(
  shape: readonly number[],
  dims: readonly number[],
  keepdim: boolean
): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!dims.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** A contiguous copy of x with its dims reordered (out.shape[i] = x.shape[perm[i]]). */
export function permuteRaw(x: Tensor, perm: readonly number[]): Tensor {
  const cs = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const out = Tensor.empty(shape);
  copyStrided(
    getRuntime(),
    shape,
    { buf: x.buf, strides: perm.map((p) => cs[p]) },
    { buf: out.buf, strides: contiguousStrides(shape) }
  );
  return out;
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/** x seen as [outer, R, inner] for a reduction over dims; a permuted copy when they are apart. */
export interface OriView {
  /** x itself, or a copy with the reduced dims moved last (then owned: dispose it). */
  t: Tensor;
  ori: Ori;
  /** The permutation that made t (null when t is x). */
  perm: number[] | null;
}

export function toOri(x: Tensor, dims: readonly number[]): OriView {
  const shape = x.shape;
  if (dims.length === 0) return { t: x, ori: [x.size, 1, 1], perm: null };
  const lo = dims[0];
  const hi = dims[dims.length - 1];
  const R = dims.reduce((a, d) => a * shape[d], 1);
  let apart = false;
  for (let i = lo; i <= hi; i++) if (!dims.includes(i) && shape[i] !== 1) apart = true;
  if (!apart) {
    return {
      t: x,
      ori: [shapeSize(shape.slice(0, lo)), R, shapeSize(shape.slice(hi + 1))],
      perm: null,
    };
  }
  const kept = [...shape.keys()].filter((i) => !dims.includes(i));
  const perm = [...kept, ...dims];
  return { t: permuteRaw(x, perm), ori: [shapeSize(kept.map((i) => shape[i])), R, 1], perm };
}

/** A gradient computed on an OriView's tensor, put back in x's layout (disposes g if moved). */
export function fromOri(g: Tensor, v: OriView, shape: readonly number[]): Tensor {
  if (!v.perm) return g;
  const back = permuteRaw(g.view(v.perm.map((p) => shape[p])), inversePerm(v.perm));
  g.dispose();
  return back;
}

/** Sum of x over dims into a new tensor of shape outShape (x.size / R values). */
export function sumRaw(x: Tensor, dims: readonly number[], outShape: readonly number[]): Tensor {
  const y = Tensor.empty(outShape);
  if (y.size === 0) return y;
  const v = toOri(x, dims);
  if (v.ori[1] === 0) fill(getRuntime(), y.buf, 0, y.size);
  else reduceSum(getRuntime(), v.t.buf, y.buf, v.ori);
  if (v.perm) v.t.dispose();
  return y;
}

/**
 * g (shape `from`, same rank as `to`, 1 where `to` is broadcast) copied to shape `to`, each value
 * repeated along the broadcast dims.
 */
export function expandRaw(g: Tensor, from: readonly number[], to: readonly number[]): Tensor {
  const out = Tensor.empty(to);
  const cs = contiguousStrides(from);
  copyStrided(
    getRuntime(),
    to,
    { buf: g.buf, strides: cs.map((s, i) => (from[i] === 1 ? 0 : s)) },
    { buf: out.buf, strides: contiguousStrides(to) }
  );
  return out;
}
