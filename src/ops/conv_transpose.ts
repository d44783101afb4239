// F.convTranspose2d: the transposed convolution is the backward-input of the conv whose weight
// it shares, so the forward runs conv2d_bwd_input_nchw, dX runs the conv forward and dW the conv
// backward-weight (with the roles of input and gradient swapped). No kernel of its own.
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts (gradcheck).

import { record } from '../autograd/tape.js';
import { checkInt, pair } from '../runtime/check.js';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dGeometry,
  type Conv2dOptions,
  type Pair,
} from '../runtime/kernels/conv.js';
import { biasAddNchw, biasGradNchw } from '../runtime/kernels/elementwise.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra size added to one side of each output dim; smaller than stride or dilation. */
  outputPadding?: Pair;
}

/**
 * The conv (input [N,Cout,OH,OW], weight [Cin,Cout/g,KH,KW], output [N,Cin,H',W']) whose
 * backward-input is this transposed conv. H' exceeds H only when outputPadding >= stride (allowed
 * below the dilation): the input is then zero-padded to H' at the bottom/right.
 */
export function convTranspose2dGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  opts: ConvTranspose2dOptions = {}
): Conv2dGeometry {
  const op = 'convTranspose2d';
  const shapes = `; input ${fmtShape(xShape)}, weight ${fmtShape(wShape)}`;
  if (xShape.length !== 4) throw new RangeError(`${op}: input must be 4-D [N,C,H,W]${shapes}`);
  if (wShape.length !== 4)
    throw new RangeError(`${op}: weight must be 4-D [Cin,Cout/groups,KH,KW]${shapes}`);
  xShape.forEach((d, i) => checkInt(op, `input.shape[${i}]${shapes}`, d, 1));
  wShape.forEach((d, i) => checkInt(op, `weight.shape[${i}]${shapes}`, d, 1));
  const [n, cin, h, w] = xShape;
  const [wi, cog, kh, kw] = wShape;
  const groups = opts.groups ?? 1;
  checkInt(op, `groups${shapes}`, groups, 1);
  if (wi !== cin) {
    throw new RangeError(
      `${op}: weight.shape[0] (${wi}) must equal input channels (${cin})${shapes}`
    );
  }
  if (cin % groups !== 0) {
    throw new RangeError(
      `${op}: input channels (${cin}) must be divisible by groups (${groups})${shapes}`
    );
  }
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1, shapes);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0, shapes);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1, shapes);
  const [oph, opw] = pair(op, 'outputPadding', opts.outputPadding, 0, 0, shapes);
  if ((oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
    throw new RangeError(
      `${op}: outputPadding (${oph}x${opw}) must be smaller than either stride ` +
        `(${sh}x${sw}) or dilation (${dh}x${dw})${shapes}`
    );
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `${op}: output size ${oh}x${ow} is too small (padding ${ph}x${pw})${shapes}`
    );
  }
  const g = conv2dGeometry([n, cog * groups, oh, ow], [cin, cog, kh, kw], {
    stride: [sh, sw],
    padding: [ph, pw],
    dilation: [dh, dw],
    groups,
  });
  return g;
}

/** Copies planes [P, h, w] into [P, H, W] (top-left), zeros elsewhere (H >= h, W >= w). */
function padPlanes(
  src: Float32Array,
  dst: Float32Array,
  planes: number,
  h: number,
  w: number,
  H: number,
  W: number
): void {
  dst.fill(0);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < h; i++)
      dst.set(src.subarray((p * h + i) * w, (p * h + i + 1) * w), (p * H + i) * W);
  }
}

/** Copies the top-left [P, h, w] of planes [P, H, W]. */
function cropPlanes(
  src: Float32Array,
  dst: Float32Array,
  planes: number,
  h: number,
  w: number,
  H: number,
  W: number
): void {
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < h; i++)
      dst.set(src.subarray((p * H + i) * W, (p * H + i) * W + w), (p * h + i) * w);
  }
}

/**
 * Transposed 2-D convolution (as torch.nn.functional.conv_transpose2d): x [N,Cin,H,W], weight
 * [Cin,Cout/groups,KH,KW], bias [Cout] or null -> [N,Cout,OH,OW] with
 * OH = (H-1)*stride - 2*padding + dilation*(KH-1) + outputPadding + 1.
 * @example F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: ConvTranspose2dOptions = {}
): Tensor {
  const op = 'convTranspose2d';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  const g = convTranspose2dGeometry(x.shape, weight.shape, opts);
  const cout = g.c;
  if (bias) {
    checkTensor(op, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== cout) {
      throw new RangeError(
        `${op}: bias must be [${cout}], got ${fmtShape(bias.shape)}; weight ${fmtShape(weight.shape)}`
      );
    }
  }
  const [n, cin, h, w] = x.shape;
  const padded = g.oh !== h || g.ow !== w;
  const rt = getRuntime();
  // The conv's output gradient: x itself, or x zero-padded to the conv's output size.
  const convGrad = (): Tensor => {
    if (!padded) return x;
    const t = Tensor.empty([n, cin, g.oh, g.ow]);
    padPlanes(x.data(), t.data(), n * cin, h, w, g.oh, g.ow);
    return t;
  };
  const y = Tensor.empty([n, cout, g.h, g.w]);
  const xg = convGrad();
  conv2dBackwardInput(rt, g, xg.buf, weight.buf, y.buf);
  if (xg !== x) xg.dispose();
  if (bias) biasAddNchw(rt, y.buf, y.shape, bias.buf);
  return record(
    y,
    op,
    [x, weight, bias],
    (gy, needs) => {
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      let gb: Tensor | null = null;
      if (needs[0]) {
        gx = Tensor.empty(x.shape);
        if (padded) {
          const full = Tensor.empty([n, cin, g.oh, g.ow]);
          conv2dForward(rt, g, gy.buf, weight.buf, null, full.buf);
          cropPlanes(full.data(), gx.data(), n * cin, h, w, g.oh, g.ow);
          full.dispose();
        } else {
          conv2dForward(rt, g, gy.buf, weight.buf, null, gx.buf);
        }
      }
      if (needs[1]) {
        gw = Tensor.empty(weight.shape);
        const xgb = convGrad();
        conv2dBackwardWeight(rt, g, gy.buf, xgb.buf, gw.buf);
        if (xgb !== x) xgb.dispose();
      }
      if (needs[2]) {
        gb = Tensor.empty([cout]);
        biasGradNchw(rt, gy.buf, gy.shape, gb.buf);
      }
      return [gx, gw, gb];
    },
    undefined,
    g
  );
}
