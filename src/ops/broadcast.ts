// Broadcasting for the element-wise ops (NumPy/PyTorch rules): the shape two operands broadcast
// to, and the sum that brings a gradient of that shape back to an operand's shape.
// Tests: test/ops/pointwise.test.ts.

import { sumTo } from '../runtime/kernels/pointwise.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';

/**
 * The broadcast of shapes a and b: aligned from the trailing dim, each pair equal or one of
 * them 1 (a 0-size dim broadcasts only with 0 or 1). Throws "op: cannot broadcast [4,3] with [5]".
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = a[a.length - i] ?? 1;
    const db = b[b.length - i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: cannot broadcast ${fmtShape(a)} with ${fmtShape(b)}`);
    }
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * g summed down to shape (which broadcasts to g.shape): over the dims where shape has 1 and g
 * more, and over g's leading dims that shape lacks. When nothing is summed the result is a view
 * of g (shared storage): a backward that hands g to two inputs must copy one of them.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  if (n === g.size) return g.view(shape);
  const y = Tensor.empty(shape);
  sumTo(getRuntime(), g.buf, g.shape, y.buf, shape);
  return y;
}
