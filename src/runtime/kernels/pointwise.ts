// Typed binding of assembly/pointwise.ts: binary ops with broadcasting, the sum of a broadcast
// gradient back to an operand's shape, unary maps and their backward. Shapes are collapsed here
// (size-1 dims dropped, neighbours that broadcast alike merged) to the kernels' 4 dims; more than
// 4 after collapsing are looped over in TypeScript. With intra-op threads (../threads.ts) a large
// unary map is split into ranges of elements, a binary op of 4 dims or fewer into ranges of its
// outermost dim: every value is computed as on one thread. Tests: test/assembly/pointwise.test.ts,
// test/parallel/threads.test.ts.

import { checkBuf, fmt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { elementParts, partRange, runParts } from '../threads.js';
import { kernel } from './call.js';

/** Parts of an element range are cut at multiples of this, so each part's SIMD groups of 4 are
 * the whole's and the scalar tail stays with the last part. */
const ELEMENT_UNIT = 16;

/** Op codes of binary_fwd_bcast4 (the order of its switch). */
export const BINARY_OPS = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  ne: 8,
  lt: 9,
  le: 10,
  gt: 11,
  ge: 12,
  /** d(a^b)/da: 0 where b == 0, else b a^(b-1) (PyTorch's convention). */
  powGradBase: 13,
  /** d(a^b)/db: 0 where a == 0 and b >= 0, else a^b log(a). */
  powGradExponent: 14,
  /** a's share of maximum(a, b)'s gradient: 0 (a < b), 0.5 (tie), 1; b's share swaps a and b. */
  maximumGrad: 15,
  minimumGrad: 16,
} as const;
export type BinaryOp = keyof typeof BINARY_OPS;

/** Op codes of unary_fwd / unary_bwd, and what each backward reads: input x, output y. */
export const UNARY_OPS = {
  neg: [0, 'x'],
  exp: [1, 'y'],
  log: [2, 'x'],
  sqrt: [3, 'y'],
  rsqrt: [4, 'y'],
  abs: [5, 'x'],
  sigmoid: [6, 'y'],
  tanh: [7, 'y'],
  relu: [8, 'x'],
  leakyRelu: [9, 'x'],
  hardtanh: [10, 'x'],
  hardswish: [11, 'x'],
  hardsigmoid: [12, 'x'],
  gelu: [13, 'x'],
  silu: [14, 'x'],
  softplus: [15, 'x'],
  pow: [16, 'x'],
} as const satisfies Record<string, readonly [number, 'x' | 'y']>;
export type UnaryOp = keyof typeof UNARY_OPS;

const MAX_DIMS = 4;

function product(s: readonly number[]): number {
  return s.reduce((a, d) => a * d, 1);
}

/**
 * The output's dims and each operand's strides (elements, 0 along a broadcast dim), size-1 dims
 * dropped and neighbours merged where every operand's strides allow: [N,C,H,W] with [C,1,1]
 * becomes [N, C, HW] with strides [0, 1, 0]. A scalar output is one dim of 1.
 */
export function collapse(
  out: readonly number[],
  operands: readonly (readonly number[])[]
): { dims: number[]; strides: number[][] } {
  const rank = out.length;
  const full = operands.map((s) => {
    const st = new Array<number>(rank).fill(0);
    let step = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const d = rank - s.length + i;
      st[d] = s[i] === 1 ? 0 : step;
      step *= s[i];
    }
    return st;
  });
  const dims: number[] = [];
  const strides: number[][] = operands.map(() => []);
  for (let d = rank - 1; d >= 0; d--) {
    if (out[d] === 1) continue;
    const k = dims.length - 1;
    // Merging dim d (outer) into the kept dim k (inner) needs stride_d == stride_k * n_k.
    if (k >= 0 && full.every((st, j) => st[d] === strides[j][k] * dims[k])) {
      dims[k] *= out[d];
      continue;
    }
    dims.push(out[d]);
    full.forEach((st, j) => strides[j].push(st[d]));
  }
  if (dims.length === 0) {
    dims.push(1);
    strides.forEach((s) => s.push(1));
  }
  dims.reverse();
  strides.forEach((s) => s.reverse());
  return { dims, strides };
}

/** Throws unless shape broadcasts to out (trailing-aligned, each dim equal or 1). */
function checkBroadcastsTo(
  op: string,
  name: string,
  shape: readonly number[],
  out: readonly number[]
): void {
  const ok =
    shape.length <= out.length &&
    shape.every((d, i) => d === out[out.length - shape.length + i] || d === 1);
  if (!ok) throw new RangeError(`${op}: ${name} ${fmt(shape)} does not broadcast to ${fmt(out)}`);
}

/**
 * Calls kernel(dims4, offsets) once per index of the dims beyond the last four (collapsed
 * shapes rarely have more), dims padded with leading 1s to four.
 */
function forEachBlock(
  dims: number[],
  strides: number[][],
  kernel: (d4: number[], s4: number[][], offsets: number[]) => void
): void {
  const extra = Math.max(0, dims.length - MAX_DIMS);
  const pad = Math.max(0, MAX_DIMS - dims.length);
  const d4 = [...new Array<number>(pad).fill(1), ...dims.slice(extra)];
  const s4 = strides.map((s) => [...new Array<number>(pad).fill(0), ...s.slice(extra)]);
  const outer = dims.slice(0, extra);
  const blocks = product(outer);
  const idx = new Array<number>(extra).fill(0);
  for (let b = 0; b < blocks; b++) {
    kernel(
      d4,
      s4,
      strides.map((s) => idx.reduce((acc, i, k) => acc + i * s[k], 0))
    );
    for (let k = extra - 1; k >= 0; k--) {
      if (++idx[k] < outer[k]) break;
      idx[k] = 0;
    }
  }
}

/**
 * y = op(a, b) with broadcasting: y's shape must be the broadcast of a's and b's. Zero-size
 * outputs call nothing.
 */
export function binary(
  rt: Runtime,
  op: BinaryOp,
  a: F32Buf,
  aShape: readonly number[],
  b: F32Buf,
  bShape: readonly number[],
  y: F32Buf,
  yShape: readonly number[]
): void {
  const code = BINARY_OPS[op];
  if (code === undefined) throw new RangeError(`binary: unknown op ${String(op)}`);
  checkBroadcastsTo(op, 'a', aShape, yShape);
  checkBroadcastsTo(op, 'b', bShape, yShape);
  const covered = yShape.every((d, i) => {
    const da = aShape[i - (yShape.length - aShape.length)] ?? 1;
    const db = bShape[i - (yShape.length - bShape.length)] ?? 1;
    return d === da || d === db;
  });
  if (!covered) {
    throw new RangeError(
      `${op}: output ${fmt(yShape)} is not the broadcast of ${fmt(aShape)} ` + `and ${fmt(bShape)}`
    );
  }
  checkBuf(op, 'a', a, product(aShape), `a ${fmt(aShape)}`);
  checkBuf(op, 'b', b, product(bShape), `b ${fmt(bShape)}`);
  const n = product(yShape);
  checkBuf(op, 'output', y, n, `output ${fmt(yShape)}`);
  if (n === 0) return;
  const { dims, strides } = collapse(yShape, [aShape, bShape, yShape]);
  if (dims.length <= MAX_DIMS) {
    binarySplit(rt, code, a, b, y, dims, strides);
    return;
  }
  const f = kernel(rt, 'binary_fwd_bcast4');
  forEachBlock(dims, strides, (d, [sa, sb], [oa, ob, oy]) => {
    f(
      code,
      a.ptr + 4 * oa,
      b.ptr + 4 * ob,
      y.ptr + 4 * oy,
      d[0],
      d[1],
      d[2],
      d[3],
      sa[0],
      sa[1],
      sa[2],
      sa[3],
      sb[0],
      sb[1],
      sb[2],
      sb[3]
    );
  });
}

/** One binary_fwd_bcast4 call over collapsed dims (4 or fewer), in parts along its outermost
 * dim when large: the innermost (a flat loop, equal shapes) in whole ELEMENT_UNITs. */
function binarySplit(
  rt: Runtime,
  code: number,
  a: F32Buf,
  b: F32Buf,
  y: F32Buf,
  dims: number[],
  strides: number[][]
): void {
  const pad = MAX_DIMS - dims.length;
  const d4 = [...new Array<number>(pad).fill(1), ...dims];
  const [sa, sb] = strides.map((s) => [...new Array<number>(pad).fill(0), ...s]);
  const k = Math.max(
    0,
    d4.findIndex((d) => d > 1)
  );
  const inner = d4.slice(k + 1).reduce((p, d) => p * d, 1);
  const step = k === MAX_DIMS - 1 ? ELEMENT_UNIT : 1;
  const units = Math.ceil(d4[k] / step);
  const parts = elementParts(rt, d4[k] * inner, units);
  const calls: number[][] = [];
  for (let i = 0; i < parts; i++) {
    const [u0, u1] = partRange(units, parts, i);
    const i0 = u0 * step;
    const i1 = Math.min(d4[k], u1 * step);
    const d = d4.slice();
    d[k] = i1 - i0;
    calls.push([
      code,
      a.ptr + 4 * i0 * sa[k],
      b.ptr + 4 * i0 * sb[k],
      y.ptr + 4 * i0 * inner,
      ...d,
      ...sa,
      ...sb,
    ]);
  }
  runParts(rt, 'binary_fwd_bcast4', calls);
}

/**
 * y = g summed over the dims along which shape was broadcast to gShape (and over g's leading
 * dims that shape lacks): the gradient of a broadcast operand. Overwrites y.
 */
export function sumTo(
  rt: Runtime,
  g: F32Buf,
  gShape: readonly number[],
  y: F32Buf,
  shape: readonly number[]
): void {
  const op = 'sumToShape';
  checkBroadcastsTo(op, 'shape', shape, gShape);
  const n = product(gShape);
  checkBuf(op, 'g', g, n, `g ${fmt(gShape)}`);
  checkBuf(op, 'output', y, product(shape), `output ${fmt(shape)}`);
  kernel(rt, 'fill')(y.ptr, 0, product(shape));
  if (n === 0) return;
  const { dims, strides } = collapse(gShape, [shape]);
  const f = kernel(rt, 'sum_to_bcast4');
  let pg = g.ptr;
  forEachBlock(dims, strides, (d, [sy], [oy]) => {
    f(pg, y.ptr + 4 * oy, d[0], d[1], d[2], d[3], sy[0], sy[1], sy[2], sy[3]);
    pg += 4 * product(d);
  });
}

function unaryCode(op: UnaryOp, p0: number, p1: number): number {
  const entry = UNARY_OPS[op];
  if (!entry) throw new RangeError(`unary: unknown op ${String(op)}`);
  for (const [name, v] of [
    ['p0', p0],
    ['p1', p1],
  ] as const) {
    if (typeof v !== 'number') {
      throw new TypeError(`${op}: ${name} must be a number, got ${String(v)}`);
    }
  }
  return entry[0];
}

/** y = op(x; p0, p1) for n values (leakyRelu: p0 slope; hardtanh: p0 min, p1 max; softplus: p0
 * beta, p1 threshold; pow: p0 exponent). y may alias x. */
export function unaryForward(
  rt: Runtime,
  op: UnaryOp,
  x: F32Buf,
  y: F32Buf,
  n: number,
  p0 = 0,
  p1 = 0
): void {
  const code = unaryCode(op, p0, p1);
  checkBuf(op, 'input', x, n, `n = ${n}`);
  checkBuf(op, 'output', y, n, `n = ${n}`);
  const units = Math.ceil(n / ELEMENT_UNIT);
  const parts = elementParts(rt, n, units);
  const calls: number[][] = [];
  for (let i = 0; i < parts; i++) {
    const [u0, u1] = partRange(units, parts, i);
    const i0 = u0 * ELEMENT_UNIT;
    const i1 = Math.min(n, u1 * ELEMENT_UNIT);
    calls.push([code, x.ptr + 4 * i0, y.ptr + 4 * i0, i1 - i0, p0, p1]);
  }
  runParts(rt, 'unary_fwd', calls);
}

/**
 * gradIn = gradOut * op'; s is the forward's input or output as UNARY_OPS[op][1] says. gradIn
 * may alias gradOut.
 */
export function unaryBackward(
  rt: Runtime,
  op: UnaryOp,
  s: F32Buf,
  gradOut: F32Buf,
  gradIn: F32Buf,
  n: number,
  p0 = 0,
  p1 = 0
): void {
  const code = unaryCode(op, p0, p1);
  const what = `${op}_backward`;
  checkBuf(what, UNARY_OPS[op][1] === 'x' ? 'input' : 'output', s, n, `n = ${n}`);
  checkBuf(what, 'gradOut', gradOut, n, `n = ${n}`);
  checkBuf(what, 'gradIn', gradIn, n, `n = ${n}`);
  kernel(rt, 'unary_bwd')(code, s.ptr, gradOut.ptr, gradIn.ptr, n, p0, p1);
}
