// F.softmax and F.logSoftmax over one dim ([outer, n, inner] for the kernel; the row max is
// subtracted first), backward from the saved output. Tests: test/ops/softmax.test.ts.

import { record } from '../autograd/tape.js';
import { softmaxBackward, softmaxForward } from '../runtime/kernels/reduce.js';
import { Tensor, getRuntime, shapeSize } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import { normDim } from './layout.js';

function softmaxAny(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number | undefined): Tensor {
  checkTensor(op, 'input', x);
  // PyTorch's implicit choice when dim is omitted (deprecated there, kept for nn.Softmax()).
  const dd = dim ?? (x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1);
  const d = normDim(op, dd, x.ndim, 'dim', x.shape);
  const ori: [number, number, number] =
    x.ndim === 0
      ? [1, 1, 1]
      : [shapeSize(x.shape.slice(0, d)), x.shape[d], shapeSize(x.shape.slice(d + 1))];
  const log = op === 'logSoftmax';
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  if (y.size > 0) softmaxForward(rt, x.buf, y.buf, ori, log);
  return record(
    y,
    op,
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      if (gx.size > 0) softmaxBackward(rt, y.buf, gy.buf, gx.buf, ori, log);
      return [gx];
    },
    undefined,
    { dim: d }
  );
}

/** exp(x) / sum(exp(x)) along dim, computed as exp(x - max) / sum(exp(x - max)). */
export function softmax(x: Tensor, dim?: number): Tensor {
  return softmaxAny('softmax', x, dim);
}

/** log(softmax(x)) along dim, computed as x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, dim?: number): Tensor {
  return softmaxAny('logSoftmax', x, dim);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Softmax along dim (as F.softmax). */
    softmax(dim: number): Tensor;
    /** Log-softmax along dim (as F.logSoftmax). */
    logSoftmax(dim: number): Tensor;
  }
}

Tensor.prototype.softmax = function (this: Tensor, dim: number): Tensor {
  return softmax(this, dim);
};
Tensor.prototype.logSoftmax = function (this: Tensor, dim: number): Tensor {
  return logSoftmax(this, dim);
};
