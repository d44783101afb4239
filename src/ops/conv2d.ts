// F.conv2d: forward and its three gradients (input, weight, bias) on the conv kernels.

import { record } from '../autograd/tape.js';
import {
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dOptions,
} from '../runtime/kernels/conv.js';
import type { Single } from '../runtime/check.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';
import { pad as padOp } from './shape.js';

/** Conv options; padding may also be 'valid' (none) or 'same' (output size = input size, stride
 * 1 only; an odd total goes to the right/bottom, as PyTorch does). */
export type ConvPadding = 'same' | 'valid';
export type Conv2dOptionsWithMode = Omit<Conv2dOptions, 'padding'> & {
  padding?: Conv2dOptions['padding'] | ConvPadding;
};

/**
 * The numeric padding for 'same'/'valid' (symmetric where possible) and, where 'same' needs more
 * on one side, the F.pad amounts ([left, right, top, bottom]) to apply first.
 */
function resolvePadding(
  op: string,
  mode: ConvPadding,
  k: [number, number],
  d: [number, number],
  stride: Conv2dOptions['stride']
): { padding: [number, number]; extra: number[] | null } {
  if (mode === 'valid') return { padding: [0, 0], extra: null };
  const s = stride === undefined ? [1, 1] : typeof stride === 'number' ? [stride, stride] : stride;
  if (s.some((v) => v !== 1)) {
    throw new RangeError(
      `${op}: padding='same' is not supported for strided convolutions (stride ${String(stride)})`
    );
  }
  const total = [d[0] * (k[0] - 1), d[1] * (k[1] - 1)];
  const lo = total.map((t) => Math.floor(t / 2));
  if (total[0] % 2 === 0 && total[1] % 2 === 0) return { padding: [lo[0], lo[1]], extra: null };
  return { padding: [0, 0], extra: [lo[1], total[1] - lo[1], lo[0], total[0] - lo[0]] };
}

export type { Conv2dOptions };

/**
 * 2-D convolution: x [N,C,H,W] (or unbatched [C,H,W]), weight [O,C/groups,KH,KW], bias [O] or
 * null -> [N,O,OH,OW]. padding: a number, [h, w], 'valid' or 'same'.
 * @example F.conv2d(x, w, b, { stride: 2, padding: 1 })
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: Conv2dOptionsWithMode = {}
): Tensor {
  checkTensor('conv2d', 'input', x);
  checkTensor('conv2d', 'weight', weight);
  if (x.ndim === 3) {
    const y = conv2d(x.reshape([1, ...x.shape]), weight, bias, opts);
    return y.reshape(y.shape.slice(1));
  }
  if (typeof opts.padding === 'string') {
    if (opts.padding !== 'same' && opts.padding !== 'valid') {
      throw new RangeError(
        `conv2d: padding must be a number, [h, w], 'valid' or 'same', got '${opts.padding}'`
      );
    }
    if (weight.ndim !== 4)
      throw new RangeError(
        `conv2d: weight must be 4-D [O,C/groups,KH,KW], got ${fmtShape(weight.shape)}`
      );
    const dil =
      opts.dilation === undefined
        ? [1, 1]
        : typeof opts.dilation === 'number'
          ? [opts.dilation, opts.dilation]
          : opts.dilation;
    const r = resolvePadding(
      'conv2d',
      opts.padding,
      [weight.shape[2], weight.shape[3]],
      [dil[0], dil[1]],
      opts.stride
    );
    const input = r.extra ? padOp(x, r.extra) : x;
    return conv2d(input, weight, bias, { ...opts, padding: r.padding });
  }
  const g = conv2dGeometry(x.shape, weight.shape, opts as Conv2dOptions);
  if (bias) {
    checkTensor('conv2d', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== g.o) {
      throw new RangeError(
        `conv2d: bias must be [${g.o}], got ${fmtShape(bias.shape)}; weight ${fmtShape(weight.shape)}`
      );
    }
  }
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.o, g.oh, g.ow]);
  conv2dForward(rt, g, x.buf, weight.buf, bias ? bias.buf : null, y.buf);
  return record(
    y,
    'conv2d',
    [x, weight, bias],
    (gy, needs) => {
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
    },
    undefined,
    g
  );
}

export interface Conv1dOptions {
  stride?: Single;
  padding?: Single | ConvPadding;
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
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: Conv1dOptions = {}
): Tensor {
  const op = 'conv1d';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  const shapes = `; input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}`;
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new RangeError(`${op}: input must be 3-D [N,C,L] or 2-D [C,L]${shapes}`);
  if (weight.ndim !== 3) throw new RangeError(`${op}: weight must be 3-D [O,C/groups,K]${shapes}`);
  const unbatched = x.ndim === 2;
  const [n, c, l] = unbatched ? [1, x.shape[0], x.shape[1]] : x.shape;
  const [o, cg, k] = weight.shape;
  const groups = opts.groups ?? 1;
  const s = single(op, 'stride', opts.stride, 1);
  const d = single(op, 'dilation', opts.dilation, 1);
  if (typeof opts.padding === 'string') {
    if (opts.padding !== 'same' && opts.padding !== 'valid') {
      throw new RangeError(
        `${op}: padding must be a number, 'valid' or 'same', got '${opts.padding}'`
      );
    }
    const y2 = conv2d(x.reshape([n, c, 1, l]), weight.reshape([o, cg, 1, k]), bias, {
      stride: [1, s],
      padding: opts.padding,
      dilation: [1, d],
      groups,
    });
    return y2.reshape(unbatched ? [o, y2.shape[3]] : [n, o, y2.shape[3]]);
  }
  const p = single(op, 'padding', opts.padding, 0);
  if (Number.isInteger(groups) && groups >= 1 && cg * groups !== c) {
    throw new RangeError(
      `${op}: weight.shape[1] (${cg}) * groups (${groups}) must equal input ` +
        `channels (${c})${shapes}`
    );
  }
  if (Number.isInteger(p) && Number.isInteger(d) && l + 2 * p < d * (k - 1) + 1) {
    throw new RangeError(
      `${op}: kernel ${k} with dilation ${d} spans ${d * (k - 1) + 1}, larger ` +
        `than the padded input ${l + 2 * p}${shapes}`
    );
  }
  const y = conv2d(x.reshape([n, c, 1, l]), weight.reshape([o, cg, 1, k]), bias, {
    stride: [1, s],
    padding: [0, p],
    dilation: [1, d],
    groups,
  });
  const lout = y.shape[3];
  return y.reshape(unbatched ? [o, lout] : [n, o, lout]);
}
