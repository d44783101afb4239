// Checks shared by the ops: a message names the op, the argument and the shapes involved.

import { Tensor, fmtShape } from '../tensor/tensor.js';

export function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor))
    throw new TypeError(`${op}: ${name} must be a Tensor, got ${String(t)}`);
  if (t.disposed) throw new Error(`${op}: ${name} ${fmtShape(t.shape)} was disposed`);
}

export function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(
      `${op}: shapes must match (no broadcasting), got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`
    );
  }
}
