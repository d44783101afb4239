// Shared test helpers: both kernel builds, seeded random data, and a comparison that reports
// kernel, index, got, ref, relative error, tolerance, case and build on failure.

import { hasRelaxedSimd } from '../src/runtime/features.js';
import type { F32Buf } from '../src/runtime/heap.js';
import { createRuntime, type BuildName, type Runtime } from '../src/runtime/load.js';

const cache = new Map<BuildName, Runtime>();

/** One runtime per build this engine runs: simd128 always, relaxed where validated. */
export async function builds(): Promise<Runtime[]> {
  const out: Runtime[] = [];
  for (const build of ['simd128', 'relaxed'] as BuildName[]) {
    let rt = cache.get(build);
    if (!rt) {
      if (build === 'relaxed') {
        const probe = await createRuntime({ build: 'auto' });
        if (probe.build !== 'relaxed' || !hasRelaxedSimd()) continue;
        rt = probe;
      } else {
        rt = await createRuntime({ build });
      }
      cache.set(build, rt);
    }
    out.push(rt);
  }
  return out;
}

/** mulberry32: small, fast, seeded; values uniform in [lo, hi). */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** Copies data into a fresh buffer in rt's memory. */
export function put(rt: Runtime, data: ArrayLike<number>): F32Buf {
  return rt.heap.fromArray(data);
}

/** A copy of a buffer's contents (views die when memory grows). */
export function get(rt: Runtime, buf: F32Buf): Float32Array {
  return Float32Array.from(rt.heap.view(buf));
}

export function freeAll(rt: Runtime, ...bufs: F32Buf[]): void {
  for (const b of bufs) rt.heap.free(b);
}

/**
 * Asserts |got - ref| <= rtol * max(|ref|, scale) element-wise, where scale defaults to the
 * largest |ref| (sums with cancellation are judged against the size of the whole output).
 */
export function expectClose(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  label: string,
  rtol = 1e-4,
  scale?: number
): void {
  if (got.length !== ref.length) {
    throw new Error(`${label}: length ${got.length} != reference length ${ref.length}`);
  }
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const s = scale ?? Math.max(maxRef, 1e-30);
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    const tol = rtol * Math.max(Math.abs(ref[i]), s);
    if (!(err <= tol)) {
      throw new Error(
        `${label}: element ${i}: got ${got[i]}, ref ${ref[i]}, ` +
          `relative error ${(err / Math.max(Math.abs(ref[i]), s)).toExponential(2)} > ${rtol}`
      );
    }
  }
}

/** Asserts fn throws and the message contains every fragment. */
export function expectThrows(fn: () => unknown, fragments: string[], label: string): void {
  let message: string | undefined;
  try {
    fn();
  } catch (e) {
    message = (e as Error).message;
  }
  if (message === undefined) throw new Error(`${label}: expected an error, none was thrown`);
  for (const f of fragments) {
    if (!message.includes(f))
      throw new Error(`${label}: error "${message}" does not mention "${f}"`);
  }
}
