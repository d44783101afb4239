// Typed binding of assembly/conv.ts: 2-D convolution, NCHW activations, OIHW weights, with
// stride, zero padding, dilation and groups (groups = channels is depthwise).

import { checkBuf, checkInt, fmt, pair, type Pair } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

export type { Pair };

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** Every size a conv kernel needs, validated; oh/ow are PyTorch's output sizes. */
export interface Conv2dGeometry {
  n: number; c: number; h: number; w: number;
  o: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number; oh: number; ow: number;
}

/** Validates x [N,C,H,W] against weight [O, C/groups, KH, KW] and computes the output size. */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[],
  opts: Conv2dOptions = {}): Conv2dGeometry {
  const op = 'conv2d';
  const shapes = `; input ${fmt(xShape)}, weight ${fmt(wShape)}`;
  if (xShape.length !== 4) throw new RangeError(`${op}: input must be 4-D [N,C,H,W]${shapes}`);
  if (wShape.length !== 4) throw new RangeError(`${op}: weight must be 4-D [O,C/groups,KH,KW]${shapes}`);
  xShape.forEach((d, i) => checkInt(op, `input.shape[${i}]${shapes}`, d, 1));
  wShape.forEach((d, i) => checkInt(op, `weight.shape[${i}]${shapes}`, d, 1));
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const groups = opts.groups ?? 1;
  checkInt(op, 'groups', groups, 1);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  if (cg * groups !== c) {
    throw new RangeError(`${op}: weight.shape[1] (${cg}) * groups (${groups}) must equal input ` +
      `channels (${c})${shapes}`);
  }
  if (o % groups !== 0) {
    throw new RangeError(`${op}: output channels weight.shape[0] (${o}) must be divisible by ` +
      `groups (${groups})${shapes}`);
  }
  const ekh = dh * (kh - 1) + 1;
  const ekw = dw * (kw - 1) + 1;
  if (h + 2 * ph < ekh || w + 2 * pw < ekw) {
    throw new RangeError(`${op}: kernel ${kh}x${kw} with dilation ${dh}x${dw} spans ${ekh}x${ekw}, ` +
      `larger than the padded input ${h + 2 * ph}x${w + 2 * pw}${shapes}`);
  }
  const oh = Math.floor((h + 2 * ph - ekh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - ekw) / sw) + 1;
  return { n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow };
}

const KIND_FWD = 0;
const KIND_BWD_INPUT = 1;
const KIND_BWD_WEIGHT = 2;

type Dims = [number, number, number, number, number, number, number, number, number, number,
  number, number, number, number];

function dims(g: Conv2dGeometry): Dims {
  return [g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups];
}

function workspace(rt: Runtime, kind: number, g: Conv2dGeometry): number {
  const bytes = kernel(rt, 'conv2d_workspace_bytes')(kind, ...dims(g));
  return rt.workspace(bytes);
}

function sizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return {
    x: g.n * g.c * g.h * g.w,
    w: g.o * (g.c / g.groups) * g.kh * g.kw,
    y: g.n * g.o * g.oh * g.ow,
  };
}

function shapeOf(g: Conv2dGeometry, which: 'x' | 'w' | 'y'): string {
  if (which === 'x') return `input ${fmt([g.n, g.c, g.h, g.w])}`;
  if (which === 'w') return `weight ${fmt([g.o, g.c / g.groups, g.kh, g.kw])}`;
  return `output ${fmt([g.n, g.o, g.oh, g.ow])}`;
}

/** y = conv2d(x, weight) + bias, then ReLU when relu is set. bias may be null. */
export function conv2dForward(rt: Runtime, g: Conv2dGeometry, x: F32Buf, weight: F32Buf,
  bias: F32Buf | null, y: F32Buf, relu = false): void {
  const s = sizes(g);
  checkBuf('conv2d', 'input', x, s.x, shapeOf(g, 'x'));
  checkBuf('conv2d', 'weight', weight, s.w, shapeOf(g, 'w'));
  if (bias) checkBuf('conv2d', 'bias', bias, g.o, `bias [${g.o}]`);
  checkBuf('conv2d', 'output', y, s.y, shapeOf(g, 'y'));
  const ws = workspace(rt, KIND_FWD, g);
  kernel(rt, 'conv2d_fwd_nchw')(
    x.ptr, weight.ptr, bias ? bias.ptr : 0, y.ptr, ...dims(g), relu ? 1 : 0, ws);
}

/** gradIn = d(loss)/d(x) given gradOut = d(loss)/d(y); overwrites gradIn. */
export function conv2dBackwardInput(rt: Runtime, g: Conv2dGeometry, gradOut: F32Buf,
  weight: F32Buf, gradIn: F32Buf): void {
  const s = sizes(g);
  checkBuf('conv2d_backward_input', 'gradOut', gradOut, s.y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_input', 'weight', weight, s.w, shapeOf(g, 'w'));
  checkBuf('conv2d_backward_input', 'gradIn', gradIn, s.x, shapeOf(g, 'x'));
  const ws = workspace(rt, KIND_BWD_INPUT, g);
  kernel(rt, 'conv2d_bwd_input_nchw')(
    gradOut.ptr, weight.ptr, gradIn.ptr, ...dims(g), ws);
}

/** gradWeight = d(loss)/d(weight), summed over the batch; overwrites gradWeight. */
export function conv2dBackwardWeight(rt: Runtime, g: Conv2dGeometry, x: F32Buf, gradOut: F32Buf,
  gradWeight: F32Buf): void {
  const s = sizes(g);
  checkBuf('conv2d_backward_weight', 'input', x, s.x, shapeOf(g, 'x'));
  checkBuf('conv2d_backward_weight', 'gradOut', gradOut, s.y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_weight', 'gradWeight', gradWeight, s.w, shapeOf(g, 'w'));
  const ws = workspace(rt, KIND_BWD_WEIGHT, g);
  kernel(rt, 'conv2d_bwd_weight_nchw')(
    x.ptr, gradOut.ptr, gradWeight.ptr, ...dims(g), ws);
}

/** gradBias[o] = sum over batch and pixels of gradOut[:, o]; overwrites gradBias. */
export function conv2dBackwardBias(rt: Runtime, g: Conv2dGeometry, gradOut: F32Buf,
  gradBias: F32Buf): void {
  checkBuf('conv2d_backward_bias', 'gradOut', gradOut, sizes(g).y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_bias', 'gradBias', gradBias, g.o, `bias [${g.o}]`);
  kernel(rt, 'conv2d_bwd_bias_nchw')(
    gradOut.ptr, gradBias.ptr, g.n, g.o, g.oh * g.ow);
}
