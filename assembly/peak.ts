// Two measures of the single-core SIMD peak that the benchmarks divide by:
// simd_peak_loop, register-only multiply-adds, and simd_peak_tile, the GEMM micro-kernel on
// panels that sit in L1 (what the GEMM could reach with free packing and no cache misses).

import { madd } from "./simd";
import { ukernel_4x8 } from "./gemm";

/**
 * Runs iters steps of 12 independent f32x4 multiply-add chains (96 flops per step) and returns a
 * lane so the loop is kept. 12 chains cover mul+add (6-8 cycles) or FMA (4-5 cycles) latency on
 * 2 pipes; 12 + 2 constants fit V8's 15 xmm registers, so nothing spills.
 */
export function simd_peak_loop(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(0.999999);
  const a = f32x4.splat(seed * 1e-7);
  let x0 = f32x4.splat(seed); let x1 = f32x4.splat(seed + 1); let x2 = f32x4.splat(seed + 2);
  let x3 = f32x4.splat(seed + 3); let x4 = f32x4.splat(seed + 4); let x5 = f32x4.splat(seed + 5);
  let x6 = f32x4.splat(seed + 6); let x7 = f32x4.splat(seed + 7); let x8 = f32x4.splat(seed + 8);
  let x9 = f32x4.splat(seed + 9); let x10 = f32x4.splat(seed + 10); let x11 = f32x4.splat(seed + 11);
  for (let i = 0; i < iters; i++) {
    x0 = madd(x0, m, a); x1 = madd(x1, m, a); x2 = madd(x2, m, a); x3 = madd(x3, m, a);
    x4 = madd(x4, m, a); x5 = madd(x5, m, a); x6 = madd(x6, m, a); x7 = madd(x7, m, a);
    x8 = madd(x8, m, a); x9 = madd(x9, m, a); x10 = madd(x10, m, a); x11 = madd(x11, m, a);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)),
    f32x4.add(f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)),
      f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11))));
  return f32x4.extract_lane(s, 0);
}

/**
 * Runs the 4x8 micro-kernel iters times over the same packed panels (kc = 128: 2 KiB of A and
 * 4 KiB of B, resident in L1): 8192 flops per iteration. ws: 6 KiB + 128 bytes, 16-aligned.
 */
export function simd_peak_tile(iters: i32, ws: usize): void {
  const pa = ws;
  const pb = ws + 128 * 16;
  const c = pb + 128 * 32;
  for (let i = 0; i < 128 * 4; i++) store<f32>(pa + (<usize>i << 2), <f32>(i & 7) * 0.125);
  for (let i = 0; i < 128 * 8; i++) store<f32>(pb + (<usize>i << 2), <f32>(i & 3) * 0.25);
  for (let i = 0; i < iters; i++) ukernel_4x8(128, pa, pb, c, 8, 1, 1, i > 0, 0, false);
}
