// Typed binding of assembly/resize.ts: nearest and bilinear resizing of NCHW planes. The per-axis
// scale handed to the kernels follows PyTorch's area_pixel_compute_scale in f32 (see
// resizeScale); the kernels turn it into source coordinates.

import { checkBuf, checkInt, fmt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

export type ResizeMode = 'nearest' | 'bilinear';

/** Validated sizes and per-axis scales of a resize: input [N,C,H,W] to [N,C,OH,OW]. */
export interface ResizeGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  mode: ResizeMode;
  alignCorners: boolean;
  /** f32 values the kernels use (see resizeScale). */
  scaleH: number;
  scaleW: number;
}

/**
 * PyTorch's scale of one axis, rounded to f32 as its CPU kernels keep it: bilinear with
 * alignCorners (in-1)/(out-1) (0 for out = 1); otherwise 1/scaleFactor when the caller gave one,
 * else in/out.
 */
export function resizeScale(
  inp: number,
  out: number,
  mode: ResizeMode,
  alignCorners: boolean,
  scaleFactor?: number
): number {
  if (mode === 'bilinear' && alignCorners) {
    return out > 1 ? Math.fround(Math.fround(inp - 1) / (out - 1)) : 0;
  }
  if (scaleFactor !== undefined && scaleFactor > 0) return Math.fround(1 / scaleFactor);
  return Math.fround(inp / out);
}

function sizes(op: string, g: ResizeGeometry): { x: number; y: number; xs: string; ys: string } {
  const xShape = [g.n, g.c, g.h, g.w];
  xShape.forEach((d, i) => checkInt(op, `input.shape[${i}]; input ${fmt(xShape)}`, d, 1));
  checkInt(op, `output height; input ${fmt(xShape)}`, g.oh, 1);
  checkInt(op, `output width; input ${fmt(xShape)}`, g.ow, 1);
  if (!Number.isFinite(g.scaleH) || !Number.isFinite(g.scaleW)) {
    throw new RangeError(`${op}: scales must be finite, got ${g.scaleH}, ${g.scaleW}`);
  }
  return {
    x: g.n * g.c * g.h * g.w,
    y: g.n * g.c * g.oh * g.ow,
    xs: `input ${fmt(xShape)}`,
    ys: `output ${fmt([g.n, g.c, g.oh, g.ow])}`,
  };
}

/** y = x resized to [N,C,OH,OW] by g.mode. */
export function resizeForward(rt: Runtime, g: ResizeGeometry, x: F32Buf, y: F32Buf): void {
  const op = `interpolate(${g.mode})`;
  const s = sizes(op, g);
  checkBuf(op, 'input', x, s.x, s.xs);
  checkBuf(op, 'output', y, s.y, s.ys);
  const args = [x.ptr, y.ptr, g.n * g.c, g.h, g.w, g.oh, g.ow, g.scaleH, g.scaleW] as const;
  if (g.mode === 'nearest') kernel(rt, 'resize_nearest_fwd_nchw')(...args);
  else kernel(rt, 'resize_bilinear_fwd_nchw')(...args, g.alignCorners ? 1 : 0);
}

/** gradIn = d(loss)/d(x) of resizeForward with the same geometry; overwrites gradIn. */
export function resizeBackward(
  rt: Runtime,
  g: ResizeGeometry,
  gradOut: F32Buf,
  gradIn: F32Buf
): void {
  const op = `interpolate(${g.mode})_backward`;
  const s = sizes(op, g);
  checkBuf(op, 'gradOut', gradOut, s.y, s.ys);
  checkBuf(op, 'gradIn', gradIn, s.x, s.xs);
  const args = [
    gradOut.ptr,
    gradIn.ptr,
    g.n * g.c,
    g.h,
    g.w,
    g.oh,
    g.ow,
    g.scaleH,
    g.scaleW,
  ] as const;
  if (g.mode === 'nearest') kernel(rt, 'resize_nearest_bwd_nchw')(...args);
  else kernel(rt, 'resize_bilinear_bwd_nchw')(...args, g.alignCorners ? 1 : 0);
}
