// Typed binding of assembly/shape.ts: one strided copy between two views of the heap (offset and
// strides in elements, strides >= 0; 0 broadcasts). Dims of size 1 are dropped and adjacent dims
// that are dense on both sides merged before the call; beyond 6 dims the leading ones loop here.

import { checkBuf, checkInt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel, type Kernels } from './call.js';

type CopyStrided = Kernels['copy_strided'];
/** copy_strided's DIMS counts, then strides, of each operand. */
type Six = [number, number, number, number, number, number];

/** A strided window on a buffer: element (i0, i1, ...) is buf[offset + sum(ik * strides[k])]. */
export interface StridedView {
  buf: F32Buf;
  offset?: number;
  strides: readonly number[];
}

const DIMS = 6;

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function checkView(op: string, name: string, v: StridedView, shape: readonly number[]): number {
  const off = v.offset ?? 0;
  checkInt(op, `${name} offset`, off, 0);
  if (v.strides.length !== shape.length) {
    throw new RangeError(
      `${op}: ${name} has ${v.strides.length} strides for ${shape.length} dims ` +
        `[${shape.join(',')}]`
    );
  }
  let last = off;
  v.strides.forEach((s, i) => {
    checkInt(op, `${name} strides[${i}]`, s, 0);
    last += (shape[i] - 1) * s;
  });
  checkBuf(
    op,
    name,
    v.buf,
    last + 1,
    `shape [${shape.join(',')}] with strides ` + `[${v.strides.join(',')}] at offset ${off}`
  );
  return off;
}

/** dst[...] = src[...] element by element over shape. */
export function copyStrided(
  rt: Runtime,
  shape: readonly number[],
  src: StridedView,
  dst: StridedView
): void {
  const op = 'copyStrided';
  shape.forEach((d, i) => checkInt(op, `shape[${i}]`, d, 0));
  if (shape.some((d) => d === 0)) return;
  const so = checkView(op, 'src', src, shape);
  const dof = checkView(op, 'dst', dst, shape);
  const n: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const k = n.length - 1;
    if (k >= 0 && ss[k] === src.strides[i] * d && ds[k] === dst.strides[i] * d) {
      n[k] *= d;
      ss[k] = src.strides[i];
      ds[k] = dst.strides[i];
      return;
    }
    n.push(d);
    ss.push(src.strides[i]);
    ds.push(dst.strides[i]);
  });
  run(kernel(rt, 'copy_strided'), src.buf.ptr + so * 4, dst.buf.ptr + dof * 4, n, ss, ds);
}

function run(
  fn: CopyStrided,
  sp: number,
  dp: number,
  n: number[],
  ss: number[],
  ds: number[]
): void {
  if (n.length > DIMS) {
    for (let i = 0; i < n[0]; i++) {
      run(fn, sp + i * ss[0] * 4, dp + i * ds[0] * 4, n.slice(1), ss.slice(1), ds.slice(1));
    }
    return;
  }
  const pad = DIMS - n.length;
  const one = new Array<number>(pad).fill(1);
  const zero = new Array<number>(pad).fill(0);
  const six = (v: number[]): Six => v as Six;
  fn(sp, dp, ...six([...one, ...n]), ...six([...zero, ...ss]), ...six([...zero, ...ds]));
}
