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
  }, undefined, g);
}

type Single = number | readonly [number];

export interface Conv1dOptions {
  stride?: Single;
  padding?: Single;
  dilation?: Single;
  groups?: number;
}

function single(op: string, name: string, v: Single | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  throw new RangeError(`${op}: ${name} must be a number or [n], got ${String(v)}`);
}

/**
 * 1-D convolution (as torch.nn.functional.conv1d): x [N,C,L] (or unbatched [C,L]), weight
 * [O,C/groups,K], bias [O] or null -> [N,O,LOUT]; runs as conv2d over [N,C,1,L].
 * @example F.conv1d(x, w, b, { padding: 1 })
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null,
  opts: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  const shapes = `; input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}`;
  if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`${op}: input must be 3-D [N,C,L] or 2-D [C,L]${shapes}`);
  if (weight.ndim !== 3) throw new RangeError(`${op}: weight must be 3-D [O,C/groups,K]${shapes}`);
  const unbatched = x.ndim === 2;
  const [n, c, l] = unbatched ? [1, x.shape[0], x.shape[1]] : x.shape;
  const [o, cg, k] = weight.shape;
  const groups = opts.groups ?? 1;
  const s = single(op, 'stride', opts.stride, 1);
  const p = single(op, 'padding', opts.padding, 0);
  const d = single(op, 'dilation', opts.dilation, 1);
  if (Number.isInteger(groups) && groups >= 1 && cg * groups !== c) {
    throw new RangeError(`${op}: weight.shape[1] (${cg}) * groups (${groups}) must equal input ` +
      `channels (${c})${shapes}`);
  }
  if (Number.isInteger(p) && Number.isInteger(d) && l + 2 * p < d * (k - 1) + 1) {
    throw new RangeError(`${op}: kernel ${k} with dilation ${d} spans ${d * (k - 1) + 1}, larger ` +
      `than the padded input ${l + 2 * p}${shapes}`);
  }
  const y = conv2d(x.reshape([n, c, 1, l]), weight.reshape([o, cg, 1, k]), bias,
    { stride: [1, s], padding: [0, p], dilation: [1, d], groups });
  const lout = y.shape[3];
  return y.reshape(unbatched ? [o, lout] : [n, o, lout]);
}
