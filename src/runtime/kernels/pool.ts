// Typed binding of assembly/pool.ts: max, average and global average pooling over NCHW
// activations, with PyTorch's floor-mode output sizes and argument rules. With intra-op threads
// (../threads.ts) a large max pool forward is split into ranges of planes. Tests:
// test/parallel/threads.test.ts (the splits).

import { checkBuf, checkInt, fmt, pair } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { elementParts, partRange, runParts } from '../threads.js';
import { kernel } from './call.js';

export interface Pool2dOptions {
  /** Window size, a number or [h, w]. */
  kernelSize: number | readonly [number, number];
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: number | readonly [number, number];
  /** Implicit padding on each side (-inf for max, 0 for average); at most half the kernel. */
  padding?: number | readonly [number, number];
  /** Average pool only: divide by kh*kw (true, PyTorch's default) or by the cells inside. */
  countIncludePad?: boolean;
}

/** Every size a pooling kernel needs, validated; oh/ow are PyTorch's floor-mode output sizes. */
export interface Pool2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
  countIncludePad: boolean;
}

/**
 * Validates x [N,C,H,W] and the window, and computes the output [N,C,OH,OW] with
 * OH = floor((H + 2*PH - KH) / SH) + 1. op names the caller in error messages.
 * @example pool2dShape([64, 64, 24, 24], { kernelSize: 2 }) // oh = ow = 12, stride 2
 */
export function pool2dShape(
  xShape: readonly number[],
  opts: Pool2dOptions,
  op = 'pool2d'
): Pool2dGeometry {
  const shapes = `; input ${fmt(xShape)}`;
  if (!Array.isArray(xShape) || xShape.length !== 4) {
    throw new RangeError(`${op}: input must be 4-D [N,C,H,W]${shapes}`);
  }
  xShape.forEach((d, i) => checkInt(op, `input.shape[${i}]${shapes}`, d, 1));
  const [n, c, h, w] = xShape;
  const [kh, kw] = pair(op, 'kernelSize', opts.kernelSize, [0, 0], 1, shapes);
  const [sh, sw] = pair(op, 'stride', opts.stride, [kh, kw], 1, shapes);
  const [ph, pw] = pair(op, 'padding', opts.padding, [0, 0], 0, shapes);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new RangeError(
      `${op}: padding (${ph}x${pw}) must be at most half of kernelSize ` + `(${kh}x${kw})${shapes}`
    );
  }
  if (h + 2 * ph < kh || w + 2 * pw < kw) {
    throw new RangeError(
      `${op}: output size is too small: kernelSize ${kh}x${kw} is larger than ` +
        `the padded input ${h + 2 * ph}x${w + 2 * pw}${shapes}`
    );
  }
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const countIncludePad = opts.countIncludePad ?? true;
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, countIncludePad };
}

/** Re-derives g from its own fields, so a hand-made geometry cannot send a kernel out of range. */
function checked(op: string, g: Pool2dGeometry): Pool2dGeometry {
  const r = pool2dShape(
    [g.n, g.c, g.h, g.w],
    { kernelSize: [g.kh, g.kw], stride: [g.sh, g.sw], padding: [g.ph, g.pw] },
    op
  );
  if (r.oh !== g.oh || r.ow !== g.ow) {
    throw new RangeError(
      `${op}: geometry output ${g.oh}x${g.ow} does not match ${r.oh}x${r.ow} ` +
        `computed from input ${fmt([g.n, g.c, g.h, g.w])}; build it with pool2dShape`
    );
  }
  return g;
}

function sizes(g: Pool2dGeometry): { x: number; y: number; xs: string; ys: string } {
  return {
    x: g.n * g.c * g.h * g.w,
    y: g.n * g.c * g.oh * g.ow,
    xs: `input ${fmt([g.n, g.c, g.h, g.w])}`,
    ys: `output ${fmt([g.n, g.c, g.oh, g.ow])}`,
  };
}

type Win = [
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

/** The kernels' size arguments: N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW. */
function win(g: Pool2dGeometry): Win {
  return [g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow];
}

/**
 * y = max over each window; argmax gets, per output, the flat index ih*W+iw of the winner within
 * its (n, c) plane. argmax is an F32Buf of y's length whose bytes hold i32 (rt.heap.viewI32).
 */
export function maxPool2dForward(
  rt: Runtime,
  g: Pool2dGeometry,
  x: F32Buf,
  y: F32Buf,
  argmax: F32Buf
): void {
  const op = 'maxPool2d';
  const s = sizes(checked(op, g));
  checkBuf(op, 'input', x, s.x, s.xs);
  checkBuf(op, 'output', y, s.y, s.ys);
  checkBuf(op, 'argmax', argmax, s.y, s.ys);
  const planes = g.n * g.c;
  const parts = elementParts(rt, s.x + s.y, planes);
  const calls: number[][] = [];
  for (let i = 0; i < parts; i++) {
    const [p0, p1] = partRange(planes, parts, i);
    const xo = 4 * p0 * g.h * g.w;
    const yo = 4 * p0 * g.oh * g.ow;
    const [, , ...rest] = win(g);
    calls.push([x.ptr + xo, y.ptr + yo, argmax.ptr + yo, 1, p1 - p0, ...rest]);
  }
  runParts(rt, 'maxpool2d_fwd_nchw', calls);
}

/**
 * gradIn = d(loss)/d(x): each gradOut value goes to its window's arg-max (from maxPool2dForward
 * with the same geometry; an index outside the plane is skipped). Overwrites gradIn.
 */
export function maxPool2dBackward(
  rt: Runtime,
  g: Pool2dGeometry,
  gradOut: F32Buf,
  argmax: F32Buf,
  gradIn: F32Buf
): void {
  const op = 'maxPool2d_backward';
  const s = sizes(checked(op, g));
  checkBuf(op, 'gradOut', gradOut, s.y, s.ys);
  checkBuf(op, 'argmax', argmax, s.y, s.ys);
  checkBuf(op, 'gradIn', gradIn, s.x, s.xs);
  kernel(rt, 'maxpool2d_bwd_nchw')(
    gradOut.ptr,
    argmax.ptr,
    gradIn.ptr,
    g.n,
    g.c,
    g.h,
    g.w,
    g.oh,
    g.ow
  );
}

/** y = mean over each window (zero padding; divisor per g.countIncludePad). */
export function avgPool2dForward(rt: Runtime, g: Pool2dGeometry, x: F32Buf, y: F32Buf): void {
  const op = 'avgPool2d';
  const s = sizes(checked(op, g));
  checkBuf(op, 'input', x, s.x, s.xs);
  checkBuf(op, 'output', y, s.y, s.ys);
  kernel(rt, 'avgpool2d_fwd_nchw')(x.ptr, y.ptr, ...win(g), g.countIncludePad ? 1 : 0);
}

/** gradIn = d(loss)/d(x) of avgPool2dForward with the same geometry; overwrites gradIn. */
export function avgPool2dBackward(
  rt: Runtime,
  g: Pool2dGeometry,
  gradOut: F32Buf,
  gradIn: F32Buf
): void {
  const op = 'avgPool2d_backward';
  const s = sizes(checked(op, g));
  checkBuf(op, 'gradOut', gradOut, s.y, s.ys);
  checkBuf(op, 'gradIn', gradIn, s.x, s.xs);
  kernel(rt, 'avgpool2d_bwd_nchw')(gradOut.ptr, gradIn.ptr, ...win(g), g.countIncludePad ? 1 : 0);
}

function checkShape4(op: string, xShape: readonly number[]): [number, number, number, number] {
  if (!Array.isArray(xShape) || xShape.length !== 4) {
    throw new RangeError(`${op}: input must be 4-D [N,C,H,W]; input ${fmt(xShape)}`);
  }
  xShape.forEach((d, i) => checkInt(op, `input.shape[${i}]; input ${fmt(xShape)}`, d, 1));
  return [xShape[0], xShape[1], xShape[2], xShape[3]];
}

/** y [N,C] (or [N,C,1,1]) = mean of each plane of x [N,C,H,W]. */
export function globalAvgPoolForward(
  rt: Runtime,
  xShape: readonly number[],
  x: F32Buf,
  y: F32Buf
): void {
  const op = 'globalAvgPool';
  const [n, c, h, w] = checkShape4(op, xShape);
  checkBuf(op, 'input', x, n * c * h * w, `input ${fmt(xShape)}`);
  checkBuf(op, 'output', y, n * c, `output ${fmt([n, c, 1, 1])}`);
  kernel(rt, 'global_avgpool_fwd_nchw')(x.ptr, y.ptr, n * c, h * w);
}

/** gradIn [N,C,H,W] = gradOut [N,C] / (H*W) broadcast over each plane; overwrites gradIn. */
export function globalAvgPoolBackward(
  rt: Runtime,
  xShape: readonly number[],
  gradOut: F32Buf,
  gradIn: F32Buf
): void {
  const op = 'globalAvgPool_backward';
  const [n, c, h, w] = checkShape4(op, xShape);
  checkBuf(op, 'gradOut', gradOut, n * c, `output ${fmt([n, c, 1, 1])}`);
  checkBuf(op, 'gradIn', gradIn, n * c * h * w, `input ${fmt(xShape)}`);
  kernel(rt, 'global_avgpool_bwd_nchw')(gradOut.ptr, gradIn.ptr, n * c, h * w);
}

/** Validated sizes of an adaptive pool: input [N,C,H,W] to [N,C,OH,OW]. */
export interface AdaptivePool2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
}

function adaptiveChecked(
  op: string,
  g: AdaptivePool2dGeometry
): { x: number; y: number; xs: string; ys: string } {
  const [n, c, h, w] = checkShape4(op, [g.n, g.c, g.h, g.w]);
  checkInt(op, `output height; input ${fmt([n, c, h, w])}`, g.oh, 1);
  checkInt(op, `output width; input ${fmt([n, c, h, w])}`, g.ow, 1);
  return {
    x: n * c * h * w,
    y: n * c * g.oh * g.ow,
    xs: `input ${fmt([n, c, h, w])}`,
    ys: `output ${fmt([n, c, g.oh, g.ow])}`,
  };
}

/** y = mean over each adaptive window (PyTorch's floor/ceil window bounds). */
export function adaptiveAvgPool2dForward(
  rt: Runtime,
  g: AdaptivePool2dGeometry,
  x: F32Buf,
  y: F32Buf
): void {
  const op = 'adaptiveAvgPool2d';
  const s = adaptiveChecked(op, g);
  checkBuf(op, 'input', x, s.x, s.xs);
  checkBuf(op, 'output', y, s.y, s.ys);
  kernel(rt, 'adaptive_avgpool2d_fwd_nchw')(x.ptr, y.ptr, g.n * g.c, g.h, g.w, g.oh, g.ow);
}

/** gradIn of adaptiveAvgPool2dForward; overwrites gradIn. */
export function adaptiveAvgPool2dBackward(
  rt: Runtime,
  g: AdaptivePool2dGeometry,
  gradOut: F32Buf,
  gradIn: F32Buf
): void {
  const op = 'adaptiveAvgPool2d_backward';
  const s = adaptiveChecked(op, g);
  checkBuf(op, 'gradOut', gradOut, s.y, s.ys);
  checkBuf(op, 'gradIn', gradIn, s.x, s.xs);
  kernel(rt, 'adaptive_avgpool2d_bwd_nchw')(
    gradOut.ptr,
    gradIn.ptr,
    g.n * g.c,
    g.h,
    g.w,
    g.oh,
    g.ow
  );
}

/** y = max over each adaptive window; argmax as maxPool2dForward's (i32 index in the plane). */
export function adaptiveMaxPool2dForward(
  rt: Runtime,
  g: AdaptivePool2dGeometry,
  x: F32Buf,
  y: F32Buf,
  argmax: F32Buf
): void {
  const op = 'adaptiveMaxPool2d';
  const s = adaptiveChecked(op, g);
  checkBuf(op, 'input', x, s.x, s.xs);
  checkBuf(op, 'output', y, s.y, s.ys);
  checkBuf(op, 'argmax', argmax, s.y, s.ys);
  kernel(rt, 'adaptive_maxpool2d_fwd_nchw')(
    x.ptr,
    y.ptr,
    argmax.ptr,
    g.n * g.c,
    g.h,
    g.w,
    g.oh,
    g.ow
  );
}

/** gradIn of adaptiveMaxPool2dForward: each gradOut value goes to its arg-max; overwrites gradIn. */
export function adaptiveMaxPool2dBackward(
  rt: Runtime,
  g: AdaptivePool2dGeometry,
  gradOut: F32Buf,
  argmax: F32Buf,
  gradIn: F32Buf
): void {
  const op = 'adaptiveMaxPool2d_backward';
  const s = adaptiveChecked(op, g);
  checkBuf(op, 'gradOut', gradOut, s.y, s.ys);
  checkBuf(op, 'argmax', argmax, s.y, s.ys);
  checkBuf(op, 'gradIn', gradIn, s.x, s.xs);
  kernel(rt, 'maxpool2d_bwd_nchw')(
    gradOut.ptr,
    argmax.ptr,
    gradIn.ptr,
    g.n,
    g.c,
    g.h,
    g.w,
    g.oh,
    g.ow
  );
}
