// Typed binding of assembly/reduce.ts: reductions over the middle axis of a contiguous
// [outer, R, inner] buffer, their backward helpers, and softmax / log-softmax over that axis.

import { checkBuf, checkFinite, checkInt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

/** [outer, R, inner]: the layout every kernel here works on. */
export type Ori = readonly [number, number, number];

function dims(op: string, d: Ori, minR: number): [number, number, number, string] {
  checkInt(op, 'outer', d[0], 0);
  checkInt(op, 'R (reduced size)', d[1], minR);
  checkInt(op, 'inner', d[2], 0);
  return [d[0], d[1], d[2], `[outer, R, inner] = [${d.join(',')}]`];
}

/** y[o, i] = sum over r of x[o, r, i] (f64 accumulation). */
export function reduceSum(rt: Runtime, x: F32Buf, y: F32Buf, d: Ori): void {
  const op = 'reduceSum';
  const [o, r, i, what] = dims(op, d, 0);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'output', y, o * i, what);
  kernel(rt, 'reduce_sum')(x.ptr, y.ptr, o, r, i);
}

/** y = max (or min) over r, idx its first index as f32 (idx null: not computed). */
export function reduceExtreme(
  rt: Runtime,
  kind: 'max' | 'min',
  x: F32Buf,
  y: F32Buf,
  idx: F32Buf | null,
  d: Ori
): void {
  const op = `reduce_${kind}` as const;
  const [o, r, i, what] = dims(op, d, 1);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'output', y, o * i, what);
  if (idx) checkBuf(op, 'indices', idx, o * i, what);
  kernel(rt, op)(x.ptr, y.ptr, idx ? idx.ptr : 0, o, r, i);
}

/** gx = gy / count where x equals the extreme y (ties share), else 0. */
export function reduceExtremeBackward(
  rt: Runtime,
  x: F32Buf,
  y: F32Buf,
  gy: F32Buf,
  gx: F32Buf,
  d: Ori
): void {
  const op = 'reduce_extreme_bwd';
  const [o, r, i, what] = dims(op, d, 1);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'extreme', y, o * i, what);
  checkBuf(op, 'gradOut', gy, o * i, what);
  checkBuf(op, 'gradIn', gx, o * r * i, what);
  kernel(rt, op)(x.ptr, y.ptr, gy.ptr, gx.ptr, o, r, i);
}

/** gx = 0 except gx[o, idx[o, i], i] = gy[o, i]; indices must lie in [0, R). */
export function reduceIndexBackward(
  rt: Runtime,
  idx: F32Buf,
  gy: F32Buf,
  gx: F32Buf,
  d: Ori
): void {
  const op = 'reduce_index_bwd';
  const [o, r, i, what] = dims(op, d, 1);
  checkBuf(op, 'indices', idx, o * i, what);
  checkBuf(op, 'gradOut', gy, o * i, what);
  checkBuf(op, 'gradIn', gx, o * r * i, what);
  kernel(rt, op)(idx.ptr, gy.ptr, gx.ptr, o, r, i);
}

/** mean over r and (when vr is given) sum of squared deviations / max(0, R - correction). */
export function reduceMeanVar(
  rt: Runtime,
  x: F32Buf,
  mean: F32Buf,
  vr: F32Buf | null,
  d: Ori,
  correction = 1
): void {
  const op = 'reduce_mean_var';
  const [o, r, i, what] = dims(op, d, 0);
  checkFinite(op, 'correction', correction);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'mean', mean, o * i, what);
  if (vr) checkBuf(op, 'var', vr, o * i, what);
  kernel(rt, op)(x.ptr, mean.ptr, vr ? vr.ptr : 0, o, r, i, correction);
}

/** gx[o, r, i] = scale[o, i] * (x[o, r, i] - mean[o, i]). */
export function reduceVarBackward(
  rt: Runtime,
  x: F32Buf,
  mean: F32Buf,
  scale: F32Buf,
  gx: F32Buf,
  d: Ori
): void {
  const op = 'reduce_var_bwd';
  const [o, r, i, what] = dims(op, d, 0);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'mean', mean, o * i, what);
  checkBuf(op, 'scale', scale, o * i, what);
  checkBuf(op, 'gradIn', gx, o * r * i, what);
  kernel(rt, op)(x.ptr, mean.ptr, scale.ptr, gx.ptr, o, r, i);
}

/** y = softmax (or log-softmax when log) of x over the middle axis. */
export function softmaxForward(rt: Runtime, x: F32Buf, y: F32Buf, d: Ori, log = false): void {
  const op = log ? 'log_softmax_fwd' : 'softmax_fwd';
  const [o, r, i, what] = dims(op, d, 1);
  checkBuf(op, 'input', x, o * r * i, what);
  checkBuf(op, 'output', y, o * r * i, what);
  kernel(rt, op)(x.ptr, y.ptr, o, r, i);
}

/** gx from the forward's output y and gy (softmax, or log-softmax when log). */
export function softmaxBackward(
  rt: Runtime,
  y: F32Buf,
  gy: F32Buf,
  gx: F32Buf,
  d: Ori,
  log = false
): void {
  const op = log ? 'log_softmax_bwd' : 'softmax_bwd';
  const [o, r, i, what] = dims(op, d, 1);
  checkBuf(op, 'output', y, o * r * i, what);
  checkBuf(op, 'gradOut', gy, o * r * i, what);
  checkBuf(op, 'gradIn', gx, o * r * i, what);
  kernel(rt, op)(y.ptr, gy.ptr, gx.ptr, o, r, i);
}
