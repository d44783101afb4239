// F.linear: y = x W^T + b with x [..., in], W [out, in], b [out], on the GEMM kernel.
//   forward   y[B, out]  = x[B, in] . W[out, in]^T          (gemm NT)
//   dx[B, in]  = dy[B, out] . W[out, in]                     (gemm NN)
//   dW[out, in] = dy[B, out]^T . x[B, in]                     (gemm TN)

import { record } from '../autograd/tape.js';
import { biasAddRows, biasGradRows } from '../runtime/kernels/elementwise.js';
import { gemm } from '../runtime/kernels/gemm.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

/** Applies a linear map to the last dimension: x [..., in] -> [..., out]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  if (weight.ndim !== 2)
    throw new RangeError(`linear: weight must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  const [out, inF] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(
      `linear: input's last dimension must equal weight.shape[1] (${inF}); ` +
        `input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}`
    );
  }
  if (bias) {
    checkTensor('linear', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== out) {
      throw new RangeError(
        `linear: bias must be [${out}], got ${fmtShape(bias.shape)}; weight ${fmtShape(weight.shape)}`
      );
    }
  }
  const rt = getRuntime();
  const rows = x.size / inF;
  const y = Tensor.empty([...x.shape.slice(0, -1), out]);
  gemm(rt, { m: rows, n: out, k: inF, a: x.buf, b: weight.buf, transB: true, c: y.buf });
  if (bias) biasAddRows(rt, y.buf, [rows, out], bias.buf);
  return record(y, 'linear', [x, weight, bias], (gy, needs) => {
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      gx = Tensor.empty(x.shape);
      gemm(rt, { m: rows, n: inF, k: out, a: gy.buf, b: weight.buf, c: gx.buf });
    }
    if (needs[1]) {
      gw = Tensor.empty(weight.shape);
      gemm(rt, { m: out, n: inF, k: rows, a: gy.buf, transA: true, b: x.buf, c: gw.buf });
    }
    if (needs[2]) {
      gb = Tensor.empty([out]);
      biasGradRows(rt, gy.buf, [rows, out], gb.buf);
    }
    return [gx, gw, gb];
  });
}
