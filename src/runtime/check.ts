// Argument checks shared by the kernel bindings: kernels trust their caller, so every size,
// leading dimension and buffer length is checked here, and a message names the op and argument.

import type { F32Buf } from './heap.js';

export function checkInt(op: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** buf must hold at least needed f32 values; what describes the shape that needs them. */
export function checkBuf(op: string, name: string, buf: F32Buf | null | undefined, needed: number,
  what: string): void {
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
