// Argument checks shared by the kernel bindings (src/runtime/kernels/*, and the ops that take
// conv-style options): kernels trust their caller, so every size, leading dimension and buffer
// length is checked with these, and a message names the op and argument. One copy of each
// helper, so every binding accepts and rejects the same things. Tests: test/runtime/check.test.ts.

import type { F32Buf } from './heap.js';

export function checkInt(op: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** buf must hold at least needed f32 values; what describes the shape that needs them. */
export function checkBuf(
  op: string,
  name: string,
  buf: F32Buf | null | undefined,
  needed: number,
  what: string
): void {
  if (!buf || typeof buf.ptr !== 'number' || typeof buf.length !== 'number') {
    throw new TypeError(`${op}: ${name} must be an F32Buf {ptr, length}, got ${String(buf)}`);
  }
  if (buf.ptr % 16 !== 0) {
    throw new RangeError(`${op}: ${name}.ptr (${buf.ptr}) must be 16-byte aligned`);
  }
  if (buf.length < needed) {
    throw new RangeError(`${op}: ${name} holds ${buf.length} values but ${what} needs ${needed}`);
  }
}

export function checkFinite(op: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${op}: ${name} must be finite, got ${value}`);
}

/** A shape as PyTorch prints it, without spaces: [64,1,28,28]. */
export function fmt(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/** A 2-D size option: one number for both, or [h, w]. */
export type Pair = number | readonly [number, number];
/** A 1-D size option: one number, or [n]. */
export type Single = number | readonly [number];

/**
 * [h, w] of a Pair option (dflt when undefined), each an integer >= min; anything but a number or
 * an array of exactly two is an error naming the option. shapes, appended to every message, says
 * which operands the option was for.
 */
export function pair(
  op: string,
  name: string,
  v: Pair | undefined,
  dflt: number | readonly [number, number],
  min: number,
  shapes = ''
): [number, number] {
  if (v !== undefined && typeof v !== 'number' && (!Array.isArray(v) || v.length !== 2)) {
    throw new RangeError(`${op}: ${name} must be a number or [h, w], got ${String(v)}${shapes}`);
  }
  const d: readonly [number, number] = typeof dflt === 'number' ? [dflt, dflt] : dflt;
  const p: [number, number] =
    v === undefined ? [d[0], d[1]] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  checkInt(op, `${name}[0]${shapes}`, p[0], min);
  checkInt(op, `${name}[1]${shapes}`, p[1], min);
  return p;
}

/** The element count of a flat kernel call: n, or all of first when n is undefined. */
export function count(op: string, n: number | undefined, first: F32Buf, firstName: string): number {
  checkBuf(op, firstName, first, 0, '');
  const len = n ?? first.length;
  checkInt(op, 'n', len, 0);
  return len;
}

/** [N, C, HW] of an NCHW shape of 2 or more dims, each >= 1. */
export function nchw(
  op: string,
  shape: readonly number[],
  name = 'input'
): [number, number, number] {
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new RangeError(
      `${op}: ${name} must be [N,C,...] with at least 2 dims, ` +
        `got ${Array.isArray(shape) ? fmt(shape) : String(shape)}`
    );
  }
  shape.forEach((d, i) => checkInt(op, `${name}.shape[${i}] (${name} ${fmt(shape)})`, d, 1));
  return [shape[0], shape[1], shape.slice(2).reduce((a, b) => a * b, 1)];
}
