// F.matmul with PyTorch's rules: 1-D x 1-D is a dot product, a 1-D operand gets a dim
// prepended (left) or appended (right) and removed from the result, batch dims broadcast. One
// GEMM per batch element on the operands in place (a GEMM at an offset); when only the left
// operand has batch dims they fold into its rows: one GEMM. Tests: test/ops/shape.test.ts (matmul cases).

import { record } from '../autograd/tape.js';
import { fill } from '../runtime/kernels/elementwise.js';
import { gemm } from '../runtime/kernels/gemm.js';
import { contiguousStrides } from '../runtime/kernels/shape.js';
import { Tensor, fmtShape, getRuntime, shapeSize } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

/** Offsets (in matrices) of each batch element of an operand with batch shape `own`. */
function batchOffsets(own: readonly number[], batch: readonly number[]): number[] {
  const lead = batch.length - own.length;
  const cs = contiguousStrides(own);
  const strides = batch.map((_, i) => (i < lead || own[i - lead] === 1 ? 0 : cs[i - lead]));
  const total = shapeSize(batch);
  const out = new Array<number>(total);
  const idx = new Array<number>(batch.length).fill(0);
  for (let p = 0; p < total; p++) {
    out[p] = idx.reduce((acc, v, i) => acc + v * strides[i], 0);
    for (let i = batch.length - 1; i >= 0; i--) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function broadcastBatch(
  a: Tensor,
  b: Tensor,
  ba: readonly number[],
  bb: readonly number[]
): number[] {
  const n = Math.max(ba.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = ba[ba.length - n + i] ?? 1;
    const y = bb[bb.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(
        `matmul: cannot broadcast batch dims ${fmtShape(ba)} of a ${fmtShape(a.shape)} ` +
          `with ${fmtShape(bb)} of b ${fmtShape(b.shape)}`
      );
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** a [...batchA, m, k] @ b [...batchB, k, n] -> [...broadcast, m, n]. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.ndim - 1];
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const batch = broadcastBatch(a, b, ba, bb);
  const B = shapeSize(batch);
  const rt = getRuntime();
  const y = Tensor.empty([...batch, m, n]);
  const fold = shapeSize(bb) === 1 && shapeSize(ba) === B;
  const offA = batchOffsets(ba, batch).map((o) => o * m * k);
  const offB = batchOffsets(bb, batch).map((o) => o * k * n);
  const empty = y.size === 0;
  if (!empty && k === 0) fill(rt, y.buf, 0, y.size);
  if (!empty && k > 0) {
    if (fold) {
      gemm(rt, { m: B * m, n, k, a: a.buf, b: b.buf, c: y.buf });
    } else {
      for (let p = 0; p < B; p++) {
        gemm(rt, {
          m,
          n,
          k,
          a: a.buf,
          aOffset: offA[p],
          b: b.buf,
          bOffset: offB[p],
          c: y.buf,
          cOffset: p * m * n,
        });
      }
    }
  }
  return record(y, 'matmul', [a, b], (gy, needs) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      ga = Tensor.empty(a.shape);
      // a's batch elements that several outputs share accumulate (beta 1) into zeros.
      const shared = shapeSize(ba) !== B;
      if (shared || empty || n === 0) fill(rt, ga.buf, 0, ga.size);
      if (ga.size > 0 && n > 0 && !empty) {
        if (fold) {
          gemm(rt, { m: B * m, n: k, k: n, a: gy.buf, b: b.buf, transB: true, c: ga.buf });
        } else {
          for (let p = 0; p < B; p++) {
            gemm(rt, {
              m,
              n: k,
              k: n,
              a: gy.buf,
              aOffset: p * m * n,
              b: b.buf,
              bOffset: offB[p],
              transB: true,
              c: ga.buf,
              cOffset: offA[p],
              beta: shared ? 1 : 0,
            });
          }
        }
      }
    }
    if (needs[1]) {
      gb = Tensor.empty(b.shape);
      const shared = shapeSize(bb) !== B;
      if (shared || empty || m === 0) fill(rt, gb.buf, 0, gb.size);
      if (gb.size > 0 && m > 0 && !empty) {
        if (fold) {
          gemm(rt, { m: k, n, k: B * m, a: a.buf, transA: true, b: gy.buf, c: gb.buf });
        } else {
          for (let p = 0; p < B; p++) {
            gemm(rt, {
              m: k,
              n,
              k: m,
              a: a.buf,
              aOffset: offA[p],
              transA: true,
              b: gy.buf,
              bOffset: p * m * n,
              c: gb.buf,
              cOffset: offB[p],
              beta: shared ? 1 : 0,
            });
          }
        }
      }
    }
    return [ga, gb];
  });
}

/**
 * Matrix product with PyTorch's rules: [k]@[k] -> [], [m,k]@[k] -> [m], [k]@[k,n] -> [n],
 * [...,m,k]@[...,k,n] -> [...broadcast batch, m, n].
 *
 *   const y = F.matmul(randn([2, 1, 3, 4]), randn([5, 4, 2]));  // [2, 5, 3, 2]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(
      `matmul: both arguments need at least 1 dim, got a ${fmtShape(a.shape)} ` +
        `and b ${fmtShape(b.shape)}`
    );
  }
  const ka = a.shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (ka !== kb) {
    throw new RangeError(
      `matmul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}: inner ` +
        `dimensions ${ka} and ${kb} differ`
    );
  }
  const a2 = a.ndim === 1 ? a.reshape([1, ka]) : a;
  const b2 = b.ndim === 1 ? b.reshape([kb, 1]) : b;
  const y = batchedMatmul(a2, b2);
  if (a.ndim > 1 && b.ndim > 1) return y;
  const shape = [...y.shape];
  if (b.ndim === 1) shape.splice(shape.length - 1, 1);
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return y.reshape(shape);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Matrix product with PyTorch's broadcasting rules (as F.matmul). */
    matmul(other: Tensor): Tensor;
  }
}

Tensor.prototype.matmul = function (this: Tensor, other: Tensor): Tensor {
  return matmul(this, other);
};
