// Reductions over the middle axis of a contiguous [outer, R, inner] view (the binding collapses
// any set of reduced dims to this form): sum, max/min with the arg-extreme, mean and variance,
// their backward helpers, and softmax / log-softmax over the middle axis, forward and backward.
// Each runs 4 lanes over `inner` when inner >= 4 and over R when inner == 1 (the last-dim case).
// Sums accumulate in f64. Tests: test/assembly/reduce.test.ts against test/ref/reduce.ts.

import { madd } from "./simd";
import { sum_span_f64, fill_span } from "./elementwise";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// @ts-ignore: decorator
@inline function lo_f64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

// @ts-ignore: decorator
@inline function hi_f64(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** Two f64x2 halves rounded back to one f32x4 (lo in lanes 0-1, hi in 2-3). */
// @ts-ignore: decorator
@inline function to_f32x4(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// ---- sum

/** y[o, i] = sum over r of x[o, r, i]. */
export function reduce_sum(x: usize, y: usize, outer: i32, R: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) store<f32>(at(y, o), <f32>sum_span_f64(at(x, o * R), R));
    return;
  }
  const rowb = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = at(x, o * R * inner);
    const yo = at(y, o * inner);
    let c = 0;
    for (; c + 8 <= inner; c += 8) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let p = at(xo, c);
      for (let r = 0; r < R; r++) {
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        a0 = f64x2.add(a0, lo_f64(v0));
        a1 = f64x2.add(a1, hi_f64(v0));
        a2 = f64x2.add(a2, lo_f64(v1));
        a3 = f64x2.add(a3, hi_f64(v1));
        p += rowb;
      }
      v128.store(at(yo, c), to_f32x4(a0, a1));
      v128.store(at(yo, c), to_f32x4(a2, a3), 16);
    }
    for (; c < inner; c++) {
      let s: f64 = 0;
      let p = at(xo, c);
      for (let r = 0; r < R; r++) {
        s += <f64>load<f32>(p);
        p += rowb;
      }
      store<f32>(at(yo, c), <f32>s);
    }
  }
}

// ---- max / min with the arg-extreme (first occurrence; NaN wins and propagates, as PyTorch)

// @ts-ignore: decorator
@inline function better(v: f32, best: f32, isMax: bool): bool {
  return (isMax ? v > best : v < best) || (v != v && best == best);
}

// @ts-ignore: decorator
@inline function better4(v: v128, best: v128, isMax: bool): v128 {
  const cmp = isMax ? f32x4.gt(v, best) : f32x4.lt(v, best);
  return v128.or(cmp, v128.andnot(f32x4.eq(best, best), f32x4.eq(v, v)));
}

// @ts-ignore: decorator
@inline function reduce_extreme(x: usize, y: usize, idx: usize, outer: i32, R: i32, inner: i32,
  isMax: bool): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = at(x, o * R);
      let m = load<f32>(xr);
      let j = 0;
      if (R >= 4) {
        let v = v128.load(xr);
        for (j = 4; j + 4 <= R; j += 4) {
          v = isMax ? f32x4.max(v, v128.load(at(xr, j))) : f32x4.min(v, v128.load(at(xr, j)));
        }
        const a = f32x4.extract_lane(v, 0);
        const b = f32x4.extract_lane(v, 1);
        const c = f32x4.extract_lane(v, 2);
        const d = f32x4.extract_lane(v, 3);
        m = isMax ? max(max(a, b), max(c, d)) : min(min(a, b), min(c, d));
      }
      for (; j < R; j++) m = isMax ? max(m, load<f32>(at(xr, j))) : min(m, load<f32>(at(xr, j)));
      store<f32>(at(y, o), m);
      if (idx != 0) {
        let k = 0;
        if (m == m) {
          while (load<f32>(at(xr, k)) != m) k++;
        } else {
          while (load<f32>(at(xr, k)) == load<f32>(at(xr, k))) k++;
        }
        store<f32>(at(idx, o), <f32>k);
      }
    }
    return;
  }
  const rowb = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = at(x, o * R * inner);
    const yo = at(y, o * inner);
    let c = 0;
    for (; c + 4 <= inner; c += 4) {
      let p = at(xo, c);
      let best = v128.load(p);
      let bi = f32x4.splat(0);
      for (let r = 1; r < R; r++) {
        p += rowb;
        const v = v128.load(p);
        const take = better4(v, best, isMax);
        best = v128.bitselect(v, best, take);
        bi = v128.bitselect(f32x4.splat(<f32>r), bi, take);
      }
      v128.store(at(yo, c), best);
      if (idx != 0) v128.store(at(idx, o * inner + c), bi);
    }
    for (; c < inner; c++) {
      let p = at(xo, c);
      let best = load<f32>(p);
      let bi = 0;
      for (let r = 1; r < R; r++) {
        p += rowb;
        const v = load<f32>(p);
        if (better(v, best, isMax)) {
          best = v;
          bi = r;
        }
      }
      store<f32>(at(yo, c), best);
      if (idx != 0) store<f32>(at(idx, o * inner + c), <f32>bi);
    }
  }
}

/** y[o, i] = max over r of x[o, r, i]; idx[o, i] = its first r as f32 (skipped when idx = 0). */
export function reduce_max(x: usize, y: usize, idx: usize, outer: i32, R: i32, inner: i32): void {
  reduce_extreme(x, y, idx, outer, R, inner, true);
}

/** y[o, i] = min over r of x[o, r, i]; idx[o, i] = its first r as f32 (skipped when idx = 0). */
export function reduce_min(x: usize, y: usize, idx: usize, outer: i32, R: i32, inner: i32): void {
  reduce_extreme(x, y, idx, outer, R, inner, false);
}

/**
 * amax/amin backward: gx[o, r, i] = gy[o, i] / count where x[o, r, i] == y[o, i], else 0;
 * count is the number of tied extremes (the gradient is split evenly between them).
 */
export function reduce_extreme_bwd(x: usize, y: usize, gy: usize, gx: usize, outer: i32, R: i32,
  inner: i32): void {
  const rowb = <usize>inner << 2;
  const one = f32x4.splat(1);
  for (let o = 0; o < outer; o++) {
    const xo = at(x, o * R * inner);
    const go = at(gx, o * R * inner);
    let c = 0;
    for (; c + 4 <= inner; c += 4) {
      const m = v128.load(at(y, o * inner + c));
      let cnt = f32x4.splat(0);
      let p = at(xo, c);
      for (let r = 0; r < R; r++) {
        cnt = f32x4.add(cnt, v128.and(f32x4.eq(v128.load(p), m), one));
        p += rowb;
      }
      const g = f32x4.div(v128.load(at(gy, o * inner + c)), cnt);
      p = at(xo, c);
      let q = at(go, c);
      for (let r = 0; r < R; r++) {
        v128.store(q, v128.and(f32x4.eq(v128.load(p), m), g));
        p += rowb;
        q += rowb;
      }
    }
    for (; c < inner; c++) {
      const m = load<f32>(at(y, o * inner + c));
      let cnt: f32 = 0;
      for (let r = 0; r < R; r++) if (load<f32>(at(xo, r * inner + c)) == m) cnt += 1;
      const g = load<f32>(at(gy, o * inner + c)) / cnt;
      for (let r = 0; r < R; r++) {
        store<f32>(at(go, r * inner + c), load<f32>(at(xo, r * inner + c)) == m ? g : 0);
      }
    }
  }
}

/** max/min(dim) backward: gx = 0 except gx[o, idx[o, i], i] = gy[o, i]. */
export function reduce_index_bwd(idx: usize, gy: usize, gx: usize, outer: i32, R: i32,
  inner: i32): void {
  fill_span(gx, 0, outer * R * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const r = <i32>load<f32>(at(idx, o * inner + c));
      store<f32>(at(gx, (o * R + r) * inner + c), load<f32>(at(gy, o * inner + c)));
    }
  }
}

// ---- mean and variance: two passes in f64 (the mean first, then squared deviations from it)

/**
 * mean[o, i] and var[o, i] = sum (x - mean)^2 / max(0, R - correction) over r (inf or NaN when
 * the divisor is 0, as PyTorch); var may be 0 (not written).
 */
export function reduce_mean_var(x: usize, mean: usize, vr: usize, outer: i32, R: i32, inner: i32,
  correction: f64): void {
  const div: f64 = max(0, <f64>R - correction);
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const xr = at(x, o * R);
      const m: f64 = sum_span_f64(xr, R) / <f64>R;
      store<f32>(at(mean, o), <f32>m);
      if (vr == 0) continue;
      const vm = f64x2.splat(m);
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let j = 0;
      for (; j + 4 <= R; j += 4) {
        const v = v128.load(at(xr, j));
        const d0 = f64x2.sub(lo_f64(v), vm);
        const d1 = f64x2.sub(hi_f64(v), vm);
        a0 = f64x2.add(a0, f64x2.mul(d0, d0));
        a1 = f64x2.add(a1, f64x2.mul(d1, d1));
      }
      a0 = f64x2.add(a0, a1);
      let q = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
      for (; j < R; j++) {
        const d = <f64>load<f32>(at(xr, j)) - m;
        q += d * d;
      }
      store<f32>(at(vr, o), <f32>(q / div));
    }
    return;
  }
  const rowb = <usize>inner << 2;
  const inv = f64x2.splat(1.0 / <f64>R);
  const vdiv = f64x2.splat(div);
  for (let o = 0; o < outer; o++) {
    const xo = at(x, o * R * inner);
    let c = 0;
    for (; c + 4 <= inner; c += 4) {
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      let p = at(xo, c);
      for (let r = 0; r < R; r++) {
        const v = v128.load(p);
        s0 = f64x2.add(s0, lo_f64(v));
        s1 = f64x2.add(s1, hi_f64(v));
        p += rowb;
      }
      const m0 = f64x2.mul(s0, inv);
      const m1 = f64x2.mul(s1, inv);
      v128.store(at(mean, o * inner + c), to_f32x4(m0, m1));
      if (vr == 0) continue;
      let q0 = f64x2.splat(0);
      let q1 = f64x2.splat(0);
      p = at(xo, c);
      for (let r = 0; r < R; r++) {
        const v = v128.load(p);
        const d0 = f64x2.sub(lo_f64(v), m0);
        const d1 = f64x2.sub(hi_f64(v), m1);
        q0 = f64x2.add(q0, f64x2.mul(d0, d0));
        q1 = f64x2.add(q1, f64x2.mul(d1, d1));
        p += rowb;
      }
      v128.store(at(vr, o * inner + c), to_f32x4(f64x2.div(q0, vdiv), f64x2.div(q1, vdiv)));
    }
    for (; c < inner; c++) {
      let s: f64 = 0;
      for (let r = 0; r < R; r++) s += <f64>load<f32>(at(xo, r * inner + c));
      const m = s / <f64>R;
      store<f32>(at(mean, o * inner + c), <f32>m);
      if (vr == 0) continue;
      let q: f64 = 0;
      for (let r = 0; r < R; r++) {
        const d = <f64>load<f32>(at(xo, r * inner + c)) - m;
        q += d * d;
      }
      store<f32>(at(vr, o * inner + c), <f32>(q / div));
    }
  }
}

/** var/std backward: gx[o, r, i] = scale[o, i] * (x[o, r, i] - mean[o, i]). */
export function reduce_var_bwd(x: usize, mean: usize, scale: usize, gx: usize, outer: i32, R: i32,
  inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const m = load<f32>(at(mean, o));
      const s = load<f32>(at(scale, o));
      const vm = f32x4.splat(m);
      const vs = f32x4.splat(s);
      const xr = at(x, o * R);
      const gr = at(gx, o * R);
      let j = 0;
      for (; j + 4 <= R; j += 4) {
        v128.store(at(gr, j), f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vs));
      }
      for (; j < R; j++) store<f32>(at(gr, j), (load<f32>(at(xr, j)) - m) * s);
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < R; r++) {
      const xr = at(x, (o * R + r) * inner);
      const gr = at(gx, (o * R + r) * inner);
      const mo = at(mean, o * inner);
      const so = at(scale, o * inner);
      let c = 0;
      for (; c + 4 <= inner; c += 4) {
        const d = f32x4.sub(v128.load(at(xr, c)), v128.load(at(mo, c)));
        v128.store(at(gr, c), f32x4.mul(d, v128.load(at(so, c))));
      }
      for (; c < inner; c++) {
        store<f32>(at(gr, c), (load<f32>(at(xr, c)) - load<f32>(at(mo, c))) * load<f32>(at(so, c)));
      }
    }
  }
}

// ---- softmax / log-softmax over the middle axis, the row max subtracted first

// Cephes expf: exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln 2 / 2, r to degree 6
// (about 1 ulp). Inputs above 88.38 give +inf; below -87.34 give 0 (PyTorch would give a
// denormal there, which no softmax can tell from 0); NaN stays NaN. Written for what V8 emits
// on x64 (softmax ran 3x slower than XNNPACK's with f32x4.min, f32x4.nearest and
// i32x4.trunc_sat_f32x4_s here, each several instructions there): the clamp is pmin (one minps;
// NaN still wins, as the first operand), and n is rounded by adding 1.5 * 2^23, which leaves
// round-to-nearest-even(x / ln 2) in the low mantissa bits, so 2^n is those bits plus the
// exponent bias shifted into place. The same n as f32x4.nearest: results are unchanged.
// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  const magic = f32x4.splat(12582912.0);
  const xc = f32x4.pmin(x, f32x4.splat(88.3762626647949));
  const vn = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), magic);
  const pow2n = i32x4.shl(i32x4.add(vn, i32x4.splat(127)), 23);
  const n = f32x4.sub(vn, magic);
  let r = madd(n, f32x4.splat(-0.693359375), xc);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const y = f32x4.mul(e, pow2n);
  return v128.andnot(y, f32x4.lt(xc, f32x4.splat(-87.33654475)));
}

/** Scalar form of exp4 (same polynomial), for the tails, so lanes and tails agree. */
// @ts-ignore: decorator
@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline function row_max(x: usize, n: i32): f32 {
  let m = load<f32>(x);
  let j = 0;
  if (n >= 4) {
    let v = v128.load(x);
    // pmax (one maxps in V8 on x64; max is several): it may drop a NaN that max would keep, but
    // a NaN in the row makes every output NaN through x - m all the same.
    for (j = 4; j + 4 <= n; j += 4) v = f32x4.pmax(v, v128.load(at(x, j)));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
      max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; j < n; j++) m = max(m, load<f32>(at(x, j)));
  return m;
}

// @ts-ignore: decorator
@inline function softmax_rows(x: usize, y: usize, rows: i32, n: i32, isLog: bool): void {
  for (let o = 0; o < rows; o++) {
    const xr = at(x, o * n);
    const yr = at(y, o * n);
    const m = row_max(xr, n);
    const vm = f32x4.splat(m);
    let acc = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let s: f32 = 0;
    let j = 0;
    // Four vectors a step: V8 materialises each of exp4's constants once per step, not per
    // vector (2x faster at n = 1000 than one vector a step).
    for (; j + 16 <= n; j += 16) {
      const p = at(xr, j);
      const e0 = exp4(f32x4.sub(v128.load(p), vm));
      const e1 = exp4(f32x4.sub(v128.load(p, 16), vm));
      const e2 = exp4(f32x4.sub(v128.load(p, 32), vm));
      const e3 = exp4(f32x4.sub(v128.load(p, 48), vm));
      if (!isLog) {
        const q = at(yr, j);
        v128.store(q, e0);
        v128.store(q, e1, 16);
        v128.store(q, e2, 32);
        v128.store(q, e3, 48);
      }
      acc = f32x4.add(acc, f32x4.add(e0, e1));
      acc1 = f32x4.add(acc1, f32x4.add(e2, e3));
    }
    acc = f32x4.add(acc, acc1);
    for (; j + 4 <= n; j += 4) {
      const e = exp4(f32x4.sub(v128.load(at(xr, j)), vm));
      if (!isLog) v128.store(at(yr, j), e);
      acc = f32x4.add(acc, e);
    }
    for (; j < n; j++) {
      const e = exp1(load<f32>(at(xr, j)) - m);
      if (!isLog) store<f32>(at(yr, j), e);
      s += e;
    }
    const total = <f64>s + <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
      <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    if (isLog) {
      // (x - max) - log(sum), as PyTorch: x - (max + log(sum)) would round at max's scale.
      const shift = <f32>Math.log(total);
      const vs = f32x4.splat(shift);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        v128.store(at(yr, j), f32x4.sub(f32x4.sub(v128.load(at(xr, j)), vm), vs));
      }
      for (; j < n; j++) store<f32>(at(yr, j), (load<f32>(at(xr, j)) - m) - shift);
    } else {
      const inv = <f32>(1.0 / total);
      const vi = f32x4.splat(inv);
      j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(yr, j), f32x4.mul(v128.load(at(yr, j)), vi));
      for (; j < n; j++) store<f32>(at(yr, j), load<f32>(at(yr, j)) * inv);
    }
  }
}

/** The strided case (inner > 1): 4 columns at a time down the n axis, then scalar columns. */
// @ts-ignore: decorator
@inline function softmax_cols(x: usize, y: usize, outer: i32, n: i32, inner: i32,
  isLog: bool): void {
  const rowb = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = at(x, o * n * inner);
    const yo = at(y, o * n * inner);
    let c = 0;
    for (; c + 4 <= inner; c += 4) {
      let p = at(xo, c);
      let m = v128.load(p);
      for (let r = 1; r < n; r++) {
        p += rowb;
        m = f32x4.max(m, v128.load(p));
      }
      let s = f32x4.splat(0);
      p = at(xo, c);
      let q = at(yo, c);
      for (let r = 0; r < n; r++) {
        const e = exp4(f32x4.sub(v128.load(p), m));
        if (!isLog) v128.store(q, e);
        s = f32x4.add(s, e);
        p += rowb;
        q += rowb;
      }
      p = at(xo, c);
      q = at(yo, c);
      if (isLog) {
        const l0 = Mathf.log(f32x4.extract_lane(s, 0));
        const l1 = Mathf.log(f32x4.extract_lane(s, 1));
        const l2 = Mathf.log(f32x4.extract_lane(s, 2));
        const l3 = Mathf.log(f32x4.extract_lane(s, 3));
        let shift = f32x4.replace_lane(f32x4.splat(l0), 1, l1);
        shift = f32x4.replace_lane(f32x4.replace_lane(shift, 2, l2), 3, l3);
        for (let r = 0; r < n; r++) {
          v128.store(q, f32x4.sub(f32x4.sub(v128.load(p), m), shift));
          p += rowb;
          q += rowb;
        }
      } else {
        const inv = f32x4.div(f32x4.splat(1), s);
        for (let r = 0; r < n; r++) {
          v128.store(q, f32x4.mul(v128.load(q), inv));
          q += rowb;
        }
      }
    }
    for (; c < inner; c++) {
      let m = load<f32>(at(xo, c));
      for (let r = 1; r < n; r++) m = max(m, load<f32>(at(xo, r * inner + c)));
      let s: f32 = 0;
      for (let r = 0; r < n; r++) {
        const e = exp1(load<f32>(at(xo, r * inner + c)) - m);
        if (!isLog) store<f32>(at(yo, r * inner + c), e);
        s += e;
      }
      if (isLog) {
        const shift = Mathf.log(s);
        for (let r = 0; r < n; r++) {
          store<f32>(at(yo, r * inner + c), (load<f32>(at(xo, r * inner + c)) - m) - shift);
        }
      } else {
        const inv: f32 = 1 / s;
        for (let r = 0; r < n; r++) {
          store<f32>(at(yo, r * inner + c), load<f32>(at(yo, r * inner + c)) * inv);
        }
      }
    }
  }
}

/** y = softmax of x [outer, n, inner] over n: exp(x - max) / sum exp(x - max). */
export function softmax_fwd(x: usize, y: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) softmax_rows(x, y, outer, n, false);
  else softmax_cols(x, y, outer, n, inner, false);
}

/** y = log_softmax of x [outer, n, inner] over n: x - max - log(sum exp(x - max)). */
export function log_softmax_fwd(x: usize, y: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) softmax_rows(x, y, outer, n, true);
  else softmax_cols(x, y, outer, n, inner, true);
}

/**
 * Backward from the forward's output y: softmax gx = y * (gy - sum(gy * y)); log-softmax
 * gx = gy - exp(y) * sum(gy). Sums over n, per (outer, inner).
 */
// @ts-ignore: decorator
@inline function softmax_bwd_any(y: usize, gy: usize, gx: usize, outer: i32, n: i32, inner: i32,
  isLog: bool): void {
  const rowb = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    let c = 0;
    if (inner == 1) {
      const yr = at(y, base);
      const gr = at(gy, base);
      const xr = at(gx, base);
      let acc = f32x4.splat(0);
      let s: f32 = 0;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const g = v128.load(at(gr, j));
        acc = isLog ? f32x4.add(acc, g) : madd(g, v128.load(at(yr, j)), acc);
      }
      for (; j < n; j++) s += isLog ? load<f32>(at(gr, j)) : load<f32>(at(gr, j)) * load<f32>(at(yr, j));
      const dot = <f32>(<f64>s + <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
        <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3));
      const vd = f32x4.splat(dot);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const g = v128.load(at(gr, j));
        const yv = v128.load(at(yr, j));
        v128.store(at(xr, j), isLog ? f32x4.sub(g, f32x4.mul(exp4(yv), vd)) : f32x4.mul(yv, f32x4.sub(g, vd)));
      }
      for (; j < n; j++) {
        const g = load<f32>(at(gr, j));
        const yv = load<f32>(at(yr, j));
        store<f32>(at(xr, j), isLog ? g - exp1(yv) * dot : yv * (g - dot));
      }
      continue;
    }
    for (; c + 4 <= inner; c += 4) {
      let py = at(y, base + c);
      let pg = at(gy, base + c);
      let dot = f32x4.splat(0);
      for (let r = 0; r < n; r++) {
        const g = v128.load(pg);
        dot = isLog ? f32x4.add(dot, g) : madd(g, v128.load(py), dot);
        py += rowb;
        pg += rowb;
      }
      py = at(y, base + c);
      pg = at(gy, base + c);
      let px = at(gx, base + c);
      for (let r = 0; r < n; r++) {
        const g = v128.load(pg);
        const yv = v128.load(py);
        v128.store(px, isLog ? f32x4.sub(g, f32x4.mul(exp4(yv), dot)) : f32x4.mul(yv, f32x4.sub(g, dot)));
        py += rowb;
        pg += rowb;
        px += rowb;
      }
    }
    for (; c < inner; c++) {
      let dot: f32 = 0;
      for (let r = 0; r < n; r++) {
        const k = base + r * inner + c;
        dot += isLog ? load<f32>(at(gy, k)) : load<f32>(at(gy, k)) * load<f32>(at(y, k));
      }
      for (let r = 0; r < n; r++) {
        const k = base + r * inner + c;
        const g = load<f32>(at(gy, k));
        const yv = load<f32>(at(y, k));
        store<f32>(at(gx, k), isLog ? g - exp1(yv) * dot : yv * (g - dot));
      }
    }
  }
}

/** softmax backward: gx = y * (gy - sum_n(gy * y)), y the forward's output. */
export function softmax_bwd(y: usize, gy: usize, gx: usize, outer: i32, n: i32, inner: i32): void {
  softmax_bwd_any(y, gy, gx, outer, n, inner, false);
}

/** log_softmax backward: gx = gy - exp(y) * sum_n(gy), y the forward's output. */
export function log_softmax_bwd(y: usize, gy: usize, gx: usize, outer: i32, n: i32,
  inner: i32): void {
  softmax_bwd_any(y, gy, gx, outer, n, inner, true);
}
