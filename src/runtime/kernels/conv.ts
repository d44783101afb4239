// Typed binding of assembly/conv.ts: 2-D convolution, NCHW activations, OIHW weights, with
// stride, zero padding, dilation and groups (groups = channels is depthwise). With intra-op
// threads (../threads.ts) a large call is split into parts that each run the same kernel on a
// slice: images; else groups; else (one group) bands of output rows (forward, tall outputs) or
// output channels cut at the GEMM tile edges. Each output value is computed exactly as on one
// thread, so results are bit-identical (for finite values: see bandForward).

import { checkBuf, checkInt, fmt, pair, type Pair } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import {
  MR,
  NR,
  getNumThreads,
  partCount,
  partRange,
  runPartCalls,
  runParts,
  type SplitKernel,
} from '../threads.js';
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
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
  oh: number;
  ow: number;
}

/** Validates x [N,C,H,W] against weight [O, C/groups, KH, KW] and computes the output size. */
export function conv2dGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv2dOptions = {}
): Conv2dGeometry {
  const op = 'conv2d';
  const shapes = `; input ${fmt(xShape)}, weight ${fmt(wShape)}`;
  if (xShape.length !== 4) throw new RangeError(`${op}: input must be 4-D [N,C,H,W]${shapes}`);
  if (wShape.length !== 4)
    throw new RangeError(`${op}: weight must be 4-D [O,C/groups,KH,KW]${shapes}`);
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
    throw new RangeError(
      `${op}: weight.shape[1] (${cg}) * groups (${groups}) must equal input ` +
        `channels (${c})${shapes}`
    );
  }
  if (o % groups !== 0) {
    throw new RangeError(
      `${op}: output channels weight.shape[0] (${o}) must be divisible by ` +
        `groups (${groups})${shapes}`
    );
  }
  const ekh = dh * (kh - 1) + 1;
  const ekw = dw * (kw - 1) + 1;
  if (h + 2 * ph < ekh || w + 2 * pw < ekw) {
    throw new RangeError(
      `${op}: kernel ${kh}x${kw} with dilation ${dh}x${dw} spans ${ekh}x${ekw}, ` +
        `larger than the padded input ${h + 2 * ph}x${w + 2 * pw}${shapes}`
    );
  }
  const oh = Math.floor((h + 2 * ph - ekh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - ekw) / sw) + 1;
  return { n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow };
}

const KIND_FWD = 0;
const KIND_BWD_INPUT = 1;
const KIND_BWD_WEIGHT = 2;

type Dims = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

function dims(g: Conv2dGeometry): Dims {
  return [g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups];
}

/** One part of a split call: the slice's geometry and where its x, w, bias and y start
 * (in floats; x and y stand for gradIn and gradOut in the backward kernels). */
interface Part {
  g: Conv2dGeometry;
  x: number;
  w: number;
  b: number;
  y: number;
}

/**
 * How to split a call of kernel kind on g into parts. Images when there are several (the
 * weight gradient sums over them, so it never splits them); else groups (a depthwise part keeps
 * at least two channels, so it stays on the depthwise path); else output channels, in whole GEMM
 * tiles: rows of W (MR) forward, columns of dW^T (NR) for the weight gradient.
 */
function plan(rt: Runtime, kind: number, g: Conv2dGeometry): Part[] {
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  const p = g.oh * g.ow;
  const ckk = cg * g.kh * g.kw;
  const flops = 2 * g.n * g.o * p * ckk;
  const whole: Part[] = [{ g, x: 0, w: 0, b: 0, y: 0 }];
  if (getNumThreads() <= 1) return whole;
  if (g.n > 1 && kind !== KIND_BWD_WEIGHT) {
    const parts = partCount(rt, flops, g.n);
    return Array.from({ length: parts }, (_, i) => {
      const [n0, n1] = partRange(g.n, parts, i);
      return { g: { ...g, n: n1 - n0 }, x: n0 * g.c * g.h * g.w, w: 0, b: 0, y: n0 * g.o * p };
    });
  }
  if (g.n > 1) return whole;
  if (g.groups > 1) {
    const depthwise = g.groups === g.c && g.groups === g.o;
    const parts = partCount(rt, flops, depthwise ? Math.floor(g.groups / 2) : g.groups);
    return Array.from({ length: parts }, (_, i) => {
      const [g0, g1] = partRange(g.groups, parts, i);
      const k = g1 - g0;
      return {
        g: { ...g, c: k * cg, o: k * og, groups: k },
        x: g0 * cg * g.h * g.w,
        w: g0 * og * ckk,
        b: g0 * og,
        y: g0 * og * p,
      };
    });
  }
  if (kind === KIND_BWD_INPUT) return whole;
  const tile = kind === KIND_FWD ? MR : NR;
  const tiles = Math.ceil(g.o / tile);
  const parts = partCount(rt, flops, tiles);
  return Array.from({ length: parts }, (_, i) => {
    const [t0, t1] = partRange(tiles, parts, i);
    const o0 = t0 * tile;
    const o1 = Math.min(g.o, t1 * tile);
    return { g: { ...g, o: o1 - o0 }, x: 0, w: o0 * ckk, b: o0, y: o0 * p };
  });
}

/** Workspaces for the parts, each as large as the largest part asks. */
function workspaces(rt: Runtime, kind: number, parts: Part[]): number[] {
  const bytes = Math.max(
    ...parts.map((q) => kernel(rt, 'conv2d_workspace_bytes')(kind, ...dims(q.g)))
  );
  return rt.workspaces(bytes, parts.length);
}

function run(
  rt: Runtime,
  name: SplitKernel,
  kind: number,
  g: Conv2dGeometry,
  args: (q: Part, ws: number) => number[]
): void {
  const parts = plan(rt, kind, g);
  const ws = workspaces(rt, kind, parts);
  runParts(
    rt,
    name,
    parts.map((q, i) => args(q, ws[i]))
  );
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
export function conv2dForward(
  rt: Runtime,
  g: Conv2dGeometry,
  x: F32Buf,
  weight: F32Buf,
  bias: F32Buf | null,
  y: F32Buf,
  relu = false
): void {
  const s = sizes(g);
  checkBuf('conv2d', 'input', x, s.x, shapeOf(g, 'x'));
  checkBuf('conv2d', 'weight', weight, s.w, shapeOf(g, 'w'));
  if (bias) checkBuf('conv2d', 'bias', bias, g.o, `bias [${g.o}]`);
  checkBuf('conv2d', 'output', y, s.y, shapeOf(g, 'y'));
  if (g.n === 1 && g.groups === 1 && getNumThreads() > 1) {
    const parts = partCount(
      rt,
      2 * g.o * g.oh * g.ow * g.c * g.kh * g.kw,
      Math.floor(g.oh / MIN_BAND_ROWS)
    );
    if (parts > 1) {
      bandForward(rt, g, x, weight, bias, y, relu, parts);
      return;
    }
  }
  run(rt, 'conv2d_fwd_nchw', KIND_FWD, g, (q, ws) => [
    x.ptr + q.x * 4,
    weight.ptr + q.w * 4,
    bias ? bias.ptr + q.b * 4 : 0,
    y.ptr + q.y * 4,
    ...dims(q.g),
    relu ? 1 : 0,
    ws,
  ]);
}

/** A band of output rows is worth its input and output copies, and the rows a band at the
 * image's edge computes and drops (about padding / stride), from this many rows. */
const MIN_BAND_ROWS = 12;

/** Output rows [a, b) of a conv computed as a conv of its own over input rows [r0, r0 + h)
 * with vertical padding ph: its output row `skip` is row a. A band at the top or bottom keeps
 * the padding there (and computes a few rows it drops at the other end); one in the middle
 * needs none. */
function band(
  g: Conv2dGeometry,
  a: number,
  b: number
): { r0: number; h: number; ph: number; oh: number; skip: number } {
  const ekh = g.dh * (g.kh - 1) + 1;
  const needTop = a * g.sh - g.ph < 0;
  const needBottom = (b - 1) * g.sh - g.ph + ekh > g.h;
  let r0: number;
  let h: number;
  let ph: number;
  let skip: number;
  if (needTop) {
    [r0, ph, skip] = [0, g.ph, a];
    h = needBottom ? g.h : (b - 1) * g.sh - g.ph + ekh;
  } else if (needBottom) {
    const e = Math.ceil(g.ph / g.sh);
    [r0, ph, skip] = [(a - e) * g.sh, g.ph, e];
    h = g.h - r0;
  } else {
    [r0, ph, skip] = [a * g.sh - g.ph, 0, 0];
    h = (b - a - 1) * g.sh + ekh;
  }
  return { r0, h, ph, skip, oh: Math.floor((h + 2 * ph - ekh) / g.sh) + 1 };
}

/**
 * One image's forward split into bands of output rows, one per thread: each part copies its
 * input rows out (the kernel reads channels H * W apart), convolves them into an output of its
 * own, and copies its rows into y. Unlike output channels, the im2col and packing of the
 * image is not repeated by every thread. A column of the GEMM may land in an edge tile here and
 * in a full tile on one thread: the two give the same bits for finite values (alpha 1, beta 0 or
 * 1), but a NaN the ReLU clamps to 0 in an edge tile passes as NaN in a full one.
 */
function bandForward(
  rt: Runtime,
  g: Conv2dGeometry,
  x: F32Buf,
  weight: F32Buf,
  bias: F32Buf | null,
  y: F32Buf,
  relu: boolean,
  parts: number
): void {
  const bands = Array.from({ length: parts }, (_, i) => {
    const [a, b] = partRange(g.oh, parts, i);
    return { a, b, ...band(g, a, b) };
  });
  const geo = bands.map((q) => ({ ...g, h: q.h, ph: q.ph, oh: q.oh }));
  const align = (floats: number): number => Math.ceil(floats / 16) * 16;
  const xFloats = Math.max(...bands.map((q) => align(g.c * q.h * g.w + 16)));
  const yFloats = Math.max(...bands.map((q) => align(g.o * q.oh * g.ow)));
  const convBytes = Math.max(
    ...geo.map((q) => kernel(rt, 'conv2d_workspace_bytes')(KIND_FWD, ...dims(q)))
  );
  const ws = rt.workspaces((xFloats + yFloats) * 4 + convBytes, parts);
  const xt = ws.map((p) => p);
  const yt = ws.map((p) => p + xFloats * 4);
  const cw = ws.map((p) => p + (xFloats + yFloats) * 4);
  const hw = g.h * g.w;
  const p = g.oh * g.ow;
  // One dispatch for the three steps (one wake-up of each helper): a band's copies touch only
  // its own workspace and its own rows of y.
  runPartCalls(
    rt,
    bands.map((q, i) => [
      [
        'copy_strided',
        [
          x.ptr + q.r0 * g.w * 4,
          xt[i],
          1,
          1,
          1,
          1,
          g.c,
          q.h * g.w,
          0,
          0,
          0,
          0,
          hw,
          1,
          0,
          0,
          0,
          0,
          q.h * g.w,
          1,
        ],
      ],
      [
        'conv2d_fwd_nchw',
        [xt[i], weight.ptr, bias ? bias.ptr : 0, yt[i], ...dims(geo[i]), relu ? 1 : 0, cw[i]],
      ],
      [
        'copy_strided',
        [
          yt[i] + q.skip * g.ow * 4,
          y.ptr + q.a * g.ow * 4,
          1,
          1,
          1,
          1,
          g.o,
          (q.b - q.a) * g.ow,
          0,
          0,
          0,
          0,
          q.oh * g.ow,
          1,
          0,
          0,
          0,
          0,
          p,
          1,
        ],
      ],
    ])
  );
}

/** gradIn = d(loss)/d(x) given gradOut = d(loss)/d(y); overwrites gradIn. */
export function conv2dBackwardInput(
  rt: Runtime,
  g: Conv2dGeometry,
  gradOut: F32Buf,
  weight: F32Buf,
  gradIn: F32Buf
): void {
  const s = sizes(g);
  checkBuf('conv2d_backward_input', 'gradOut', gradOut, s.y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_input', 'weight', weight, s.w, shapeOf(g, 'w'));
  checkBuf('conv2d_backward_input', 'gradIn', gradIn, s.x, shapeOf(g, 'x'));
  run(rt, 'conv2d_bwd_input_nchw', KIND_BWD_INPUT, g, (q, ws) => [
    gradOut.ptr + q.y * 4,
    weight.ptr + q.w * 4,
    gradIn.ptr + q.x * 4,
    ...dims(q.g),
    ws,
  ]);
}

/** gradWeight = d(loss)/d(weight), summed over the batch; overwrites gradWeight. */
export function conv2dBackwardWeight(
  rt: Runtime,
  g: Conv2dGeometry,
  x: F32Buf,
  gradOut: F32Buf,
  gradWeight: F32Buf
): void {
  const s = sizes(g);
  checkBuf('conv2d_backward_weight', 'input', x, s.x, shapeOf(g, 'x'));
  checkBuf('conv2d_backward_weight', 'gradOut', gradOut, s.y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_weight', 'gradWeight', gradWeight, s.w, shapeOf(g, 'w'));
  run(rt, 'conv2d_bwd_weight_nchw', KIND_BWD_WEIGHT, g, (q, ws) => [
    x.ptr + q.x * 4,
    gradOut.ptr + q.y * 4,
    gradWeight.ptr + q.w * 4,
    ...dims(q.g),
    ws,
  ]);
}

/** gradBias[o] = sum over batch and pixels of gradOut[:, o]; overwrites gradBias. */
export function conv2dBackwardBias(
  rt: Runtime,
  g: Conv2dGeometry,
  gradOut: F32Buf,
  gradBias: F32Buf
): void {
  checkBuf('conv2d_backward_bias', 'gradOut', gradOut, sizes(g).y, shapeOf(g, 'y'));
  checkBuf('conv2d_backward_bias', 'gradBias', gradBias, g.o, `bias [${g.o}]`);
  kernel(rt, 'conv2d_bwd_bias_nchw')(gradOut.ptr, gradBias.ptr, g.n, g.o, g.oh * g.ow);
}
