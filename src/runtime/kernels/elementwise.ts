// Typed binding of assembly/elementwise.ts: ReLU, add/scale/axpy, bias add and bias gradient
// (per channel of NCHW, per column of [rows, cols]), fill and sum. n defaults to the length of
// the first input; outputs may alias inputs (every kernel reads an element before writing it).

import { checkBuf, checkFinite, checkInt, count, fmt, nchw } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

/** y = max(x, 0). */
export function reluForward(rt: Runtime, x: F32Buf, y: F32Buf, n?: number): void {
  const op = 'relu';
  const len = count(op, n, x, 'input');
  checkBuf(op, 'input', x, len, `n = ${len}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  kernel(rt, 'relu_fwd')(x.ptr, y.ptr, len);
}

/** gradIn = gradOut where x > 0, else 0; x may be the forward's input or output. */
export function reluBackward(
  rt: Runtime,
  x: F32Buf,
  gradOut: F32Buf,
  gradIn: F32Buf,
  n?: number
): void {
  const op = 'relu_backward';
  const len = count(op, n, x, 'input');
  checkBuf(op, 'input', x, len, `n = ${len}`);
  checkBuf(op, 'gradOut', gradOut, len, `n = ${len}`);
  checkBuf(op, 'gradIn', gradIn, len, `n = ${len}`);
  kernel(rt, 'relu_bwd')(x.ptr, gradOut.ptr, gradIn.ptr, len);
}

/** y = a + b. */
export function add(rt: Runtime, a: F32Buf, b: F32Buf, y: F32Buf, n?: number): void {
  const op = 'add';
  const len = count(op, n, a, 'a');
  checkBuf(op, 'a', a, len, `n = ${len}`);
  checkBuf(op, 'b', b, len, `n = ${len}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  kernel(rt, 'add')(a.ptr, b.ptr, y.ptr, len);
}

/** y = a * b element-wise. */
export function mul(rt: Runtime, a: F32Buf, b: F32Buf, y: F32Buf, n?: number): void {
  const op = 'mul';
  const len = count(op, n, a, 'a');
  checkBuf(op, 'a', a, len, `n = ${len}`);
  checkBuf(op, 'b', b, len, `n = ${len}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  kernel(rt, 'mul')(a.ptr, b.ptr, y.ptr, len);
}

/** Dropout: mask = (hash(seed, offset + i) >= p) / (1 - p), y = x * mask; seed is a u32. */
export function dropoutForward(
  rt: Runtime,
  x: F32Buf,
  y: F32Buf,
  mask: F32Buf,
  p: number,
  seed: number,
  n?: number,
  offset = 0
): void {
  const op = 'dropout';
  const len = count(op, n, x, 'input');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: p must be in [0, 1], got ${p}`);
  checkInt(op, 'seed', seed, 0);
  checkBuf(op, 'input', x, len, `n = ${len}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  checkBuf(op, 'mask', mask, len, `n = ${len}`);
  checkInt(op, 'offset', offset, 0);
  kernel(rt, 'dropout_fwd')(x.ptr, y.ptr, mask.ptr, len, p, seed >>> 0, offset >>> 0);
}

/** y = alpha * x. */
export function scale(rt: Runtime, x: F32Buf, alpha: number, y: F32Buf, n?: number): void {
  const op = 'scale';
  const len = count(op, n, x, 'input');
  checkFinite(op, 'alpha', alpha);
  checkBuf(op, 'input', x, len, `n = ${len}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  kernel(rt, 'scale')(x.ptr, alpha, y.ptr, len);
}

/** y += alpha * x. */
export function axpy(rt: Runtime, alpha: number, x: F32Buf, y: F32Buf, n?: number): void {
  const op = 'axpy';
  const len = count(op, n, x, 'x');
  checkFinite(op, 'alpha', alpha);
  checkBuf(op, 'x', x, len, `n = ${len}`);
  checkBuf(op, 'y', y, len, `n = ${len}`);
  kernel(rt, 'axpy')(alpha, x.ptr, y.ptr, len);
}

/** y = value. */
export function fill(rt: Runtime, y: F32Buf, value: number, n?: number): void {
  const op = 'fill';
  const len = count(op, n, y, 'output');
  if (typeof value !== 'number') throw new TypeError(`${op}: value must be a number, got ${value}`);
  checkBuf(op, 'output', y, len, `n = ${len}`);
  kernel(rt, 'fill')(y.ptr, value, len);
}

/** Sum of x[0..n), accumulated in f64 blocks, rounded once to f32. */
export function sum(rt: Runtime, x: F32Buf, n?: number): number {
  const op = 'sum';
  const len = count(op, n, x, 'input');
  checkBuf(op, 'input', x, len, `n = ${len}`);
  return kernel(rt, 'sum')(x.ptr, len);
}

function rows2(op: string, shape: readonly number[], name: string): [number, number] {
  if (!Array.isArray(shape) || shape.length !== 2) {
    throw new RangeError(`${op}: ${name} must be 2-D [rows, cols], got ${fmt(shape)}`);
  }
  shape.forEach((d, i) => checkInt(op, `${name}.shape[${i}] (${name} ${fmt(shape)})`, d, 1));
  return [shape[0], shape[1]];
}

/** y [N,C,...] += bias[c] in place, per channel (a conv layer's bias). */
export function biasAddNchw(rt: Runtime, y: F32Buf, yShape: readonly number[], bias: F32Buf): void {
  const op = 'biasAdd';
  const [n, c, hw] = nchw(op, yShape, 'output');
  checkBuf(op, 'output', y, n * c * hw, `output ${fmt(yShape)}`);
  checkBuf(op, 'bias', bias, c, `bias [${c}] for output ${fmt(yShape)}`);
  kernel(rt, 'bias_add_nchw')(y.ptr, bias.ptr, n, c, hw);
}

/** y [rows, cols] += bias[col] in place, per column (a linear layer's [batch, out]). */
export function biasAddRows(rt: Runtime, y: F32Buf, yShape: readonly number[], bias: F32Buf): void {
  const op = 'biasAdd';
  const [rows, cols] = rows2(op, yShape, 'output');
  checkBuf(op, 'output', y, rows * cols, `output ${fmt(yShape)}`);
  checkBuf(op, 'bias', bias, cols, `bias [${cols}] for output ${fmt(yShape)}`);
  kernel(rt, 'bias_add_rows')(y.ptr, bias.ptr, rows, cols);
}

/** gradBias[c] = sum of gradOut [N,C,...] over all but the channel axis; overwrites gradBias. */
export function biasGradNchw(
  rt: Runtime,
  gradOut: F32Buf,
  shape: readonly number[],
  gradBias: F32Buf
): void {
  const op = 'biasAdd_backward';
  const [n, c, hw] = nchw(op, shape, 'gradOut');
  checkBuf(op, 'gradOut', gradOut, n * c * hw, `gradOut ${fmt(shape)}`);
  checkBuf(op, 'gradBias', gradBias, c, `bias [${c}] for gradOut ${fmt(shape)}`);
  kernel(rt, 'bias_grad_nchw')(gradOut.ptr, gradBias.ptr, n, c, hw);
}

/** gradBias[j] = sum over rows of gradOut [rows, cols]; overwrites gradBias. */
export function biasGradRows(
  rt: Runtime,
  gradOut: F32Buf,
  shape: readonly number[],
  gradBias: F32Buf
): void {
  const op = 'biasAdd_backward';
  const [rows, cols] = rows2(op, shape, 'gradOut');
  checkBuf(op, 'gradOut', gradOut, rows * cols, `gradOut ${fmt(shape)}`);
  checkBuf(op, 'gradBias', gradBias, cols, `bias [${cols}] for gradOut ${fmt(shape)}`);
  kernel(rt, 'bias_grad_rows')(gradOut.ptr, gradBias.ptr, rows, cols);
}
