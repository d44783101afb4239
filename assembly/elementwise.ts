// Element-wise kernels and the small reductions around them: ReLU, add/scale/axpy, per-channel
// (NCHW) and per-column (row-major [rows, cols]) bias add and its gradient, fill, sum.
// Every loop runs 4 lanes at a time with a scalar tail, so any n works; y may alias an input.
// Tests: test/assembly/elementwise.test.ts against test/ref/elementwise.ts.

import { madd } from "./simd";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// Sums of up to this many values are kept in f32 lanes before being folded into f64: the f32
// rounding error then grows with the block (64 additions per lane), not with n.
const SUM_BLOCK: i32 = 512;

/** Sum of n f32 values at p, in f64: 8 f32 lanes per block of SUM_BLOCK, blocks summed in f64. */
// @ts-ignore: decorator
@inline export function sum_span_f64(p: usize, n: i32): f64 {
  let total: f64 = 0;
  const n8 = n & ~7;
  let i = 0;
  while (i < n8) {
    const end = min(n8, i + SUM_BLOCK);
    let acc0 = f32x4.splat(0);
    let acc4 = f32x4.splat(0);
    for (; i < end; i += 8) {
      acc0 = f32x4.add(acc0, v128.load(at(p, i)));
      acc4 = f32x4.add(acc4, v128.load(at(p, i), 16));
    }
    let d = f64x2.add(f64x2.promote_low_f32x4(acc0), f64x2.promote_low_f32x4(acc4));
    d = f64x2.add(d, f64x2.promote_low_f32x4(i32x4.shuffle(acc0, acc0, 2, 3, 2, 3)));
    d = f64x2.add(d, f64x2.promote_low_f32x4(i32x4.shuffle(acc4, acc4, 2, 3, 2, 3)));
    total += f64x2.extract_lane(d, 0) + f64x2.extract_lane(d, 1);
  }
  for (; i < n; i++) total += <f64>load<f32>(at(p, i));
  return total;
}

/** y[0..n) = value; an inline helper the pooling backward kernels share. */
// @ts-ignore: decorator
@inline export function fill_span(y: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), v);
  for (; i < n; i++) store<f32>(at(y, i), value);
}

/** y = value, n elements. */
export function fill(y: usize, value: f32, n: i32): void {
  fill_span(y, value, n);
}

/** Sum of x[0..n), accumulated as described at sum_span_f64, rounded once to f32. */
export function sum(x: usize, n: i32): f32 {
  return <f32>sum_span_f64(x, n);
}

/** y = max(x, 0); NaN stays NaN, as in PyTorch. */
export function relu_fwd(x: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.max(v128.load(at(x, i)), z));
  for (; i < n; i++) store<f32>(at(y, i), max(load<f32>(at(x, i)), <f32>0));
}

/** gradIn = gradOut where x > 0, else 0. x may be the forward's input or its output (same sign). */
export function relu_bwd(x: usize, gradOut: usize, gradIn: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pos = f32x4.gt(v128.load(at(x, i)), z);
    v128.store(at(gradIn, i), v128.and(v128.load(at(gradOut, i)), pos));
  }
  for (; i < n; i++) {
    store<f32>(at(gradIn, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(gradOut, i)) : 0);
  }
}

/** y = a + b. */
export function add(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(y, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

/** y = a * b element-wise. */
export function mul(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(y, i), f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(a, i)) * load<f32>(at(b, i)));
}

/**
 * Dropout forward: mask[i] = 1/(1-p) if u_i >= p else 0, y = x * mask, where u_i in [0, 1) is a
 * counter-based hash of (seed, offset + i) (the lowbias32 mixer): a shard of a batch passes its
 * first element's index as offset and gets exactly its part of the whole batch's mask.
 */
export function dropout_fwd(x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32,
  offset: u32): void {
  const keep: f32 = p < 1 ? 1 / (1 - p) : 0;
  // the same hash four lanes at a time (i32x4.mul wraps like the scalar u32 multiply), so the
  // mask is bit-identical to the scalar tail's for every element
  const golden = i32x4.splat(0x9e3779b9);
  const vseed = i32x4.splat(seed);
  const m1 = i32x4.splat(0x7feb352d);
  const m2 = i32x4.splat(<i32>0x846ca68b);
  const vp = f32x4.splat(p);
  const vkeep = f32x4.splat(keep);
  const vzero = f32x4.splat(0);
  const inv = f32x4.splat(1.0 / 16777216.0);
  let idx = i32x4.add(i32x4.splat(offset), i32x4(0, 1, 2, 3));
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let h = i32x4.add(i32x4.mul(idx, golden), vseed);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    h = i32x4.mul(h, m1);
    h = v128.xor(h, i32x4.shr_u(h, 15));
    h = i32x4.mul(h, m2);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    const u = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(h, 8)), inv);
    const m = v128.bitselect(vkeep, vzero, f32x4.ge(u, vp));
    v128.store(at(mask, i), m);
    v128.store(at(y, i), f32x4.mul(v128.load(at(x, i)), m));
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    let h = (<u32>i + offset) * 0x9e3779b9 + seed;
    h ^= h >> 16;
    h *= 0x7feb352d;
    h ^= h >> 15;
    h *= 0x846ca68b;
    h ^= h >> 16;
    const u = <f32>(h >> 8) * (1.0 / 16777216.0);
    const m: f32 = u >= p ? keep : 0;
    store<f32>(at(mask, i), m);
    store<f32>(at(y, i), load<f32>(at(x, i)) * m);
  }
}

/** y = alpha * x. */
export function scale(x: usize, alpha: f32, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.mul(v128.load(at(x, i)), va));
  for (; i < n; i++) store<f32>(at(y, i), alpha * load<f32>(at(x, i)));
}

/** y += alpha * x (fused in the relaxed build). */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(y, i), madd(va, v128.load(at(x, i)), v128.load(at(y, i))));
  }
  for (; i < n; i++) store<f32>(at(y, i), alpha * load<f32>(at(x, i)) + load<f32>(at(y, i)));
}

/** y[n, c, :] += bias[c] in place; y is NCHW with HW pixels per plane. */
export function bias_add_nchw(y: usize, bias: usize, N: i32, C: i32, HW: i32): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const b = load<f32>(at(bias, c));
      const vb = f32x4.splat(b);
      const p = at(y, (n * C + c) * HW);
      let i = 0;
      for (; i + 4 <= HW; i += 4) v128.store(at(p, i), f32x4.add(v128.load(at(p, i)), vb));
      for (; i < HW; i++) store<f32>(at(p, i), load<f32>(at(p, i)) + b);
    }
  }
}

/** y[r, j] += bias[j] in place; y is row-major [rows, cols] (a linear layer's [batch, out]). */
export function bias_add_rows(y: usize, bias: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const p = at(y, r * cols);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128.store(at(p, j), f32x4.add(v128.load(at(p, j)), v128.load(at(bias, j))));
    }
    for (; j < cols; j++) store<f32>(at(p, j), load<f32>(at(p, j)) + load<f32>(at(bias, j)));
  }
}

/** gradBias[c] = sum over n and pixels of gradOut[n, c, :]; overwrites gradBias. */
export function bias_grad_nchw(gradOut: usize, gradBias: usize, N: i32, C: i32, HW: i32): void {
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sum_span_f64(at(gradOut, (n * C + c) * HW), HW);
    store<f32>(at(gradBias, c), <f32>s);
  }
}

/**
 * gradBias[j] = sum over rows of gradOut[r, j]; overwrites gradBias. Four columns at a time in
 * two f64x2 accumulators (rows is a batch size: short, so f64 costs little and rounds once).
 */
export function bias_grad_rows(gradOut: usize, gradBias: usize, rows: i32, cols: i32): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(at(gradOut, r * cols + j));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)));
    }
    store<f32>(at(gradBias, j), <f32>f64x2.extract_lane(lo, 0));
    store<f32>(at(gradBias, j + 1), <f32>f64x2.extract_lane(lo, 1));
    store<f32>(at(gradBias, j + 2), <f32>f64x2.extract_lane(hi, 0));
    store<f32>(at(gradBias, j + 3), <f32>f64x2.extract_lane(hi, 1));
  }
  for (; j < cols; j++) {
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) s += <f64>load<f32>(at(gradOut, r * cols + j));
    store<f32>(at(gradBias, j), <f32>s);
  }
}
