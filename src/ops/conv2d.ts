// F.conv2d: forward and its three gradients (input, weight, bias) on the conv kernels.

import { record } from '../autograd/tape.js';
import {
  conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, conv2dGeometry,
  type Conv2dOptions,
} from '../runtime/kernels/conv.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export type { Conv2dOptions };

/**
 * 2-D convolution: x [N,C,H,W], weight [O,C/groups,KH,KW], bias [O] or null -> [N,O,OH,OW].
 * @example F.conv2d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null,
  opts: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', 'input', x);
  checkTensor('conv2d', 'weight', weight);
  const g = conv2dGeometry(x.shape, weight.shape, opts);
  if (bias) {
    checkTensor('conv2d', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== g.o) {
      throw new RangeError(`conv2d: bias must be [${g.o}], got ${fmtShape(bias.shape)}; weight ${fmtShape(weight.shape)}`);
    }
  }
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.o, g.oh, g.ow]);
  conv2dForward(rt, g, x.buf, weight.buf, bias ? bias.buf : null, y.buf);
  return record(y, 'conv2d', [x, weight, bias], (gy, needs) => {
    let gx: Tensor | null = null;
    let gw: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      gx = Tensor.empty(x.shape);
      conv2dBackwardInput(rt, g, gy.buf, weight.buf, gx.buf);
    }
    if (needs[1]) {
      gw = Tensor.empty(weight.shape);
      conv2dBackwardWeight(rt, g, x.buf, gy.buf, gw.buf);
    }
    if (needs[2]) {
      gb = Tensor.empty([g.o]);
      conv2dBackwardBias(rt, g, gy.buf, gb.buf);
    }
    return [gx, gw, gb];
  });
}
