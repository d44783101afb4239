// Element-wise kernels: binary ops with NumPy broadcasting (over shapes the runtime collapsed to
// at most 4 dims, strides in elements, 0 along a broadcast dim), the sum that brings a broadcast
// gradient back to an operand's shape, and unary maps (exp, log, tanh, activations) with their
// backward. Transcendentals are f32x4 polynomials (Cephes expf/logf/tanhf, Numerical Recipes'
// erfc), within a few 1e-7 relative of libm. Tests: test/assembly/pointwise.test.ts against
// test/ref/pointwise.ts.

import { sum_span_f64 } from "./elementwise";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// ---------------------------------------------------------------------------------------------
// Vector math

// @ts-ignore: decorator
@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/** a where mask, else b. */
// @ts-ignore: decorator
@inline function sel(mask: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, mask);
}

// @ts-ignore: decorator
@inline function horner4(x: v128, c0: f32, c1: f32, c2: f32, c3: f32): v128 {
  let p = f32x4.add(f32x4.mul(splat(c0), x), splat(c1));
  p = f32x4.add(f32x4.mul(p, x), splat(c2));
  return f32x4.add(f32x4.mul(p, x), splat(c3));
}

/**
 * exp(x), Cephes expf: n = round(x log2 e), r = x - n ln 2 (ln 2 split in two so n * hi is
 * exact), exp(r) by a degree-6 polynomial, times 2^n applied as 2^(n>>1) * 2^(n - n>>1) so both
 * factors stay normal from x = -104 (results round into the subnormals, then to 0) to x = 89
 * (overflow to inf). NaN propagates through the polynomial.
 */
// @ts-ignore: decorator
@inline function vexp(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, splat(-104)), splat(89));
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = horner4(r, 1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2);
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), splat(1));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * log(x), Cephes logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = f - f^2/2 + f^3 P(f)
 * with f = m - 1; subnormals are scaled by 2^23 first. 0 -> -inf, inf -> inf, x < 0 or NaN -> NaN.
 */
// @ts-ignore: decorator
@inline function vlog(x0: v128): v128 {
  const tiny = f32x4.lt(x0, splat(1.17549435e-38));
  const x = sel(tiny, f32x4.mul(x0, splat(8388608)), x0);
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  e = i32x4.add(e, v128.and(tiny, i32x4.splat(-23)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const low = f32x4.lt(m, splat(0.707106781186547524));
  e = i32x4.add(e, low);
  m = f32x4.sub(f32x4.add(m, v128.and(low, m)), splat(1));
  const fe = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = horner4(m, 7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1);
  y = horner4pass(y, m, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1);
  y = f32x4.add(f32x4.mul(y, m), splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(fe, splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, splat(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(fe, splat(0.693359375)));
  r = sel(f32x4.eq(x0, splat(0)), splat(-Infinity), r);
  r = sel(f32x4.eq(x0, splat(Infinity)), x0, r);
  return sel(f32x4.ge(x0, splat(0)), r, splat(NaN));
}

/** p = ((p x + c0) x + c1) x + c2: continues a Horner chain. */
// @ts-ignore: decorator
@inline function horner4pass(p: v128, x: v128, c0: f32, c1: f32, c2: f32): v128 {
  p = f32x4.add(f32x4.mul(p, x), splat(c0));
  p = f32x4.add(f32x4.mul(p, x), splat(c1));
  return f32x4.add(f32x4.mul(p, x), splat(c2));
}

/** log1p(u) for u >= 0 (Goldberg: log(w) * u / (w - 1), w = 1 + u, exact where w rounds to 1). */
// @ts-ignore: decorator
@inline function vlog1p(u: v128): v128 {
  const w = f32x4.add(u, splat(1));
  const d = f32x4.sub(w, splat(1));
  return sel(f32x4.eq(d, splat(0)), u, f32x4.mul(vlog(w), f32x4.div(u, d)));
}

// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.neg(x))));
}

/** tanh, Cephes tanhf: odd polynomial below |x| = 0.625, 1 - 2 / (exp(2|x|) + 1) with x's sign above. */
// @ts-ignore: decorator
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = horner4(z, -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1);
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return sel(f32x4.lt(ax, splat(0.625)), small, signed);
}

/**
 * The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, erfc by Numerical Recipes' erfcc
 * (relative error < 1.2e-7 everywhere): accurate in the left tail, where 1 + erf(x) would cancel;
 * there (x < -5) the rounding of x^2 in f32 leaves a few 1e-6 relative.
 */
// @ts-ignore: decorator
@inline function vphi(x: v128): v128 {
  const z = f32x4.mul(x, splat(-0.7071067811865476));
  const az = f32x4.abs(z);
  const t = f32x4.div(splat(1), f32x4.add(splat(1), f32x4.mul(az, splat(0.5))));
  let p = horner4(t, 0.17087277, -0.82215223, 1.48851587, -1.13520398);
  p = horner4pass(p, t, 0.27886807, -0.18628806, 0.09678418);
  p = horner4pass(p, t, 0.37409196, 1.00002368, -1.26551223);
  const ans = f32x4.mul(t, vexp(f32x4.sub(p, f32x4.mul(az, az))));
  const erfc = sel(f32x4.ge(z, splat(0)), ans, f32x4.sub(splat(2), ans));
  return f32x4.mul(erfc, splat(0.5));
}

/**
 * Mathf.pow lane by lane, with C's powf (and PyTorch's) results where it differs: 1^y = 1 and
 * x^0 = 1 even for NaN, (-1)^+-inf = 1. Otherwise IEEE: 0^-1 = inf, (-8)^(1/3) = NaN.
 */
// @ts-ignore: decorator
@inline function vpow(a: v128, b: v128): v128 {
  let r = splat(Mathf.pow(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  r = f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  const minusOneInf = v128.and(f32x4.eq(a, splat(-1)), f32x4.eq(f32x4.abs(b), splat(Infinity)));
  const one = v128.or(v128.or(f32x4.eq(a, splat(1)), f32x4.eq(b, splat(0))), minusOneInf);
  return sel(one, splat(1), r);
}

// @ts-ignore: decorator
@inline function mask01(m: v128): v128 {
  return v128.and(m, splat(1));
}

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting. Each op is a class whose f() is one vector expression; the loops
// are generic over it, so asc compiles one loop nest per op with the op's instructions inlined
// and no branch on the op inside (an op code passed down instead gets folded back into a single
// loop with a br_table per vector by Binaryen). Kernels switch on the op code once, at the top.

// @ts-ignore: decorator
@final class Add { @inline f(a: v128, b: v128): v128 { return f32x4.add(a, b); } }
// @ts-ignore: decorator
@final class Sub { @inline f(a: v128, b: v128): v128 { return f32x4.sub(a, b); } }
// @ts-ignore: decorator
@final class Mul { @inline f(a: v128, b: v128): v128 { return f32x4.mul(a, b); } }
// @ts-ignore: decorator
@final class Div { @inline f(a: v128, b: v128): v128 { return f32x4.div(a, b); } }
// @ts-ignore: decorator
@final class Pow { @inline f(a: v128, b: v128): v128 { return vpow(a, b); } }
// @ts-ignore: decorator
@final class Maximum { @inline f(a: v128, b: v128): v128 { return f32x4.max(a, b); } }
// @ts-ignore: decorator
@final class Minimum { @inline f(a: v128, b: v128): v128 { return f32x4.min(a, b); } }
// @ts-ignore: decorator
@final class Eq { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.eq(a, b)); } }
// @ts-ignore: decorator
@final class Ne { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.ne(a, b)); } }
// @ts-ignore: decorator
@final class Lt { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.lt(a, b)); } }
// @ts-ignore: decorator
@final class Le { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.le(a, b)); } }
// @ts-ignore: decorator
@final class Gt { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.gt(a, b)); } }
// @ts-ignore: decorator
@final class Ge { @inline f(a: v128, b: v128): v128 { return mask01(f32x4.ge(a, b)); } }

/** d(a^b)/da as PyTorch: 0 where b == 0, else b * a^(b-1). */
// @ts-ignore: decorator
@final class PowGradBase {
  // @ts-ignore: decorator
  @inline f(a: v128, b: v128): v128 {
    const d = f32x4.mul(b, vpow(a, f32x4.sub(b, splat(1))));
    return v128.andnot(d, f32x4.eq(b, splat(0)));
  }
}

/** d(a^b)/db as PyTorch: 0 where a == 0 and b >= 0, else a^b * log(a). */
// @ts-ignore: decorator
@final class PowGradExp {
  // @ts-ignore: decorator
  @inline f(a: v128, b: v128): v128 {
    const d = f32x4.mul(vpow(a, b), vlog(a));
    return v128.andnot(d, v128.and(f32x4.eq(a, splat(0)), f32x4.ge(b, splat(0))));
  }
}

/** a's share of maximum(a, b)'s gradient: 0 where a < b, 1/2 at a tie, else 1 (NaN too). */
// @ts-ignore: decorator
@final class MaximumGrad {
  // @ts-ignore: decorator
  @inline f(a: v128, b: v128): v128 {
    return sel(f32x4.lt(a, b), splat(0), sel(f32x4.eq(a, b), splat(0.5), splat(1)));
  }
}

// @ts-ignore: decorator
@final class MinimumGrad {
  // @ts-ignore: decorator
  @inline f(a: v128, b: v128): v128 {
    return sel(f32x4.gt(a, b), splat(0), sel(f32x4.eq(a, b), splat(0.5), splat(1)));
  }
}

/**
 * One innermost row of n outputs: a and b advance by sa, sb in {0, 1}, never both 0 (the binding
 * drops dims where both operands broadcast). Tails go through the same vector code on a splat,
 * so every element gets exactly the same arithmetic.
 */
// @ts-ignore: decorator
@inline function binRow<Op>(a: usize, b: usize, y: usize, n: i32, sa: i32, sb: i32): void {
  const op = changetype<Op>(0);
  let i = 0;
  if (sa == sb) {
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), op.f(v128.load(at(a, i)), v128.load(at(b, i))));
    for (; i < n; i++) {
      const v = op.f(splat(load<f32>(at(a, i))), splat(load<f32>(at(b, i))));
      store<f32>(at(y, i), f32x4.extract_lane(v, 0));
    }
  } else if (sb == 0) {
    const vb = splat(load<f32>(b));
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), op.f(v128.load(at(a, i)), vb));
    for (; i < n; i++) store<f32>(at(y, i), f32x4.extract_lane(op.f(splat(load<f32>(at(a, i))), vb), 0));
  } else {
    const va = splat(load<f32>(a));
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), op.f(va, v128.load(at(b, i))));
    for (; i < n; i++) store<f32>(at(y, i), f32x4.extract_lane(op.f(va, splat(load<f32>(at(b, i)))), 0));
  }
}

/** The loop nest of binary_fwd_bcast4 for one op; arguments as there. */
function binNd<Op>(a: usize, b: usize, y: usize, n0: i32, n1: i32, n2: i32, n3: i32,
  sa0: i32, sa1: i32, sa2: i32, sa3: i32, sb0: i32, sb1: i32, sb2: i32, sb3: i32): void {
  let py = y;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        const pa = at(a, i0 * sa0 + i1 * sa1 + i2 * sa2);
        const pb = at(b, i0 * sb0 + i1 * sb1 + i2 * sb2);
        binRow<Op>(pa, pb, py, n3, sa3, sb3);
        py = at(py, n3);
      }
    }
  }
}

/**
 * y = op(a, b) over the output [n0, n1, n2, n3] (contiguous); a's element (i0..i3) is at
 * a + 4 * sum(ik * sak), b's likewise. Equal shapes arrive as one dim (a flat loop), [N,C] + [C]
 * as [N, C] with sb = [0, 1], [N,C,H,W] * [C,1,1] as [N, C, HW] with sb = [0, 1, 0] (a scalar
 * per plane). Op codes: the table in src/runtime/kernels/pointwise.ts.
 */
export function binary_fwd_bcast4(op: i32, a: usize, b: usize, y: usize,
  n0: i32, n1: i32, n2: i32, n3: i32, sa0: i32, sa1: i32, sa2: i32, sa3: i32,
  sb0: i32, sb1: i32, sb2: i32, sb3: i32): void {
  switch (op) {
    case 0: binNd<Add>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 1: binNd<Sub>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 2: binNd<Mul>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 3: binNd<Div>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 4: binNd<Pow>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 5: binNd<Maximum>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 6: binNd<Minimum>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 7: binNd<Eq>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 8: binNd<Ne>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 9: binNd<Lt>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 10: binNd<Le>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 11: binNd<Gt>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 12: binNd<Ge>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 13: binNd<PowGradBase>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 14: binNd<PowGradExp>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 15: binNd<MaximumGrad>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    case 16: binNd<MinimumGrad>(a, b, y, n0, n1, n2, n3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3); break;
    default: unreachable();
  }
}

/**
 * y += g summed over the dims where y's stride is 0: g is contiguous [n0, n1, n2, n3], y's
 * element (i0..i3) at y + 4 * sum(ik * syk), sy3 in {0, 1}. A reduced innermost row is summed in
 * f64 (sum_span_f64); a kept one is added lane-wise. The caller zeroes y first.
 */
export function sum_to_bcast4(g: usize, y: usize, n0: i32, n1: i32, n2: i32, n3: i32,
  sy0: i32, sy1: i32, sy2: i32, sy3: i32): void {
  let pg = g;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        const py = at(y, i0 * sy0 + i1 * sy1 + i2 * sy2);
        if (sy3 == 0) {
          store<f32>(py, <f32>(<f64>load<f32>(py) + sum_span_f64(pg, n3)));
        } else {
          let i = 0;
          for (; i + 4 <= n3; i += 4) {
            v128.store(at(py, i), f32x4.add(v128.load(at(py, i)), v128.load(at(pg, i))));
          }
          for (; i < n3; i++) store<f32>(at(py, i), load<f32>(at(py, i)) + load<f32>(at(pg, i)));
        }
        pg = at(pg, n3);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Unary maps: each op's forward fwd(x) and its backward bwd(s, g) side by side, where s is what
// the backward reads (the binding's table says which): the output y for exp, sqrt, rsqrt,
// sigmoid, tanh; the input x for the others. p0, p1 are the op's parameters, splatted.
// At kinks the gradient is PyTorch's: relu 0 at 0, hardtanh 0 at both ends, hardswish
// x/3 + 1/2 on [-3, 3], hardsigmoid 1/6 on (-3, 3) only, abs 0 at 0.

// @ts-ignore: decorator
@final class Neg {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.neg(x); }
  // @ts-ignore: decorator
  @inline bwd(s: v128, g: v128, p0: v128, p1: v128): v128 { return f32x4.neg(g); }
}

// @ts-ignore: decorator
@final class Exp {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return vexp(x); }
  // @ts-ignore: decorator
  @inline bwd(y: v128, g: v128, p0: v128, p1: v128): v128 { return f32x4.mul(g, y); }
}

// @ts-ignore: decorator
@final class Log {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return vlog(x); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 { return f32x4.div(g, x); }
}

// @ts-ignore: decorator
@final class Sqrt {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.sqrt(x); }
  // @ts-ignore: decorator
  @inline bwd(y: v128, g: v128, p0: v128, p1: v128): v128 { return f32x4.div(g, f32x4.add(y, y)); }
}

// @ts-ignore: decorator
@final class Rsqrt {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.div(splat(1), f32x4.sqrt(x)); }
  // @ts-ignore: decorator
  @inline bwd(y: v128, g: v128, p0: v128, p1: v128): v128 {
    return f32x4.mul(f32x4.mul(g, splat(-0.5)), f32x4.mul(f32x4.mul(y, y), y));
  }
}

// @ts-ignore: decorator
@final class Abs {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.abs(x); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const zero = splat(0);
    return f32x4.mul(g, sel(f32x4.gt(x, zero), splat(1), sel(f32x4.lt(x, zero), splat(-1), zero)));
  }
}

// @ts-ignore: decorator
@final class Sigmoid {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return vsigmoid(x); }
  // @ts-ignore: decorator
  @inline bwd(y: v128, g: v128, p0: v128, p1: v128): v128 {
    return f32x4.mul(f32x4.mul(g, f32x4.sub(splat(1), y)), y);
  }
}

// @ts-ignore: decorator
@final class Tanh {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return vtanh(x); }
  // @ts-ignore: decorator
  @inline bwd(y: v128, g: v128, p0: v128, p1: v128): v128 {
    return f32x4.mul(g, f32x4.sub(splat(1), f32x4.mul(y, y)));
  }
}

// @ts-ignore: decorator
@final class Relu {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.max(x, splat(0)); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 { return v128.and(g, f32x4.gt(x, splat(0))); }
}

/** p0: the negative slope. */
// @ts-ignore: decorator
@final class LeakyRelu {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 {
    return sel(f32x4.gt(x, splat(0)), x, f32x4.mul(x, p0));
  }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    return sel(f32x4.gt(x, splat(0)), g, f32x4.mul(g, p0));
  }
}

/** p0, p1: min and max (relu6 is hardtanh(0, 6)). */
// @ts-ignore: decorator
@final class Hardtanh {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.min(f32x4.max(x, p0), p1); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    return v128.and(g, v128.and(f32x4.gt(x, p0), f32x4.lt(x, p1)));
  }
}

// @ts-ignore: decorator
@inline function relu6Shift3(x: v128): v128 {
  return f32x4.min(f32x4.max(f32x4.add(x, splat(3)), splat(0)), splat(6));
}

// @ts-ignore: decorator
@final class Hardswish {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 {
    return f32x4.div(f32x4.mul(x, relu6Shift3(x)), splat(6));
  }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const mid = f32x4.mul(g, f32x4.add(f32x4.div(x, splat(3)), splat(0.5)));
    return sel(f32x4.lt(x, splat(-3)), splat(0), sel(f32x4.le(x, splat(3)), mid, g));
  }
}

// @ts-ignore: decorator
@final class Hardsigmoid {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.div(relu6Shift3(x), splat(6)); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const inside = v128.and(f32x4.gt(x, splat(-3)), f32x4.lt(x, splat(3)));
    return v128.and(f32x4.div(g, splat(6)), inside);
  }
}

// @ts-ignore: decorator
@final class Gelu {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.mul(x, vphi(x)); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const pdf = f32x4.mul(vexp(f32x4.mul(f32x4.mul(x, x), splat(-0.5))), splat(0.3989422804014327));
    return f32x4.mul(g, f32x4.add(vphi(x), f32x4.mul(x, pdf)));
  }
}

// @ts-ignore: decorator
@final class Silu {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.mul(x, vsigmoid(x)); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const s = vsigmoid(x);
    return f32x4.mul(f32x4.mul(g, s), f32x4.add(splat(1), f32x4.mul(x, f32x4.sub(splat(1), s))));
  }
}

/** p0: beta, p1: threshold; x itself where beta x > threshold, as PyTorch. */
// @ts-ignore: decorator
@final class Softplus {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 {
    // log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow, no cancellation.
    const z = f32x4.mul(x, p0);
    const l = vlog1p(vexp(f32x4.neg(f32x4.abs(z))));
    return sel(f32x4.gt(z, p1), x, f32x4.div(f32x4.add(f32x4.max(z, splat(0)), l), p0));
  }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    const z = f32x4.mul(x, p0);
    return sel(f32x4.gt(z, p1), g, f32x4.mul(g, vsigmoid(z)));
  }
}

// pow(x, p0) by exponent: the ones PyTorch computes without pow, then the general one.

// @ts-ignore: decorator
@final class Square {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.mul(x, x); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 { return f32x4.mul(g, f32x4.add(x, x)); }
}

// @ts-ignore: decorator
@final class Cube {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.mul(f32x4.mul(x, x), x); }
}

// @ts-ignore: decorator
@final class Recip {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.div(splat(1), x); }
}

// @ts-ignore: decorator
@final class RecipSquare {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return f32x4.div(splat(1), f32x4.mul(x, x)); }
}

/** PyTorch's gradient for exponent 0: zero everywhere (even where x^-1 is inf). */
// @ts-ignore: decorator
@final class PowZero {
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 { return splat(0); }
}

// @ts-ignore: decorator
@final class PowAny {
  // @ts-ignore: decorator
  @inline fwd(x: v128, p0: v128, p1: v128): v128 { return vpow(x, p0); }
  // @ts-ignore: decorator
  @inline bwd(x: v128, g: v128, p0: v128, p1: v128): v128 {
    return f32x4.mul(g, f32x4.mul(p0, vpow(x, f32x4.sub(p0, splat(1)))));
  }
}

function umap<Op>(x: usize, y: usize, n: i32, p0: f32, p1: f32): void {
  const op = changetype<Op>(0);
  const v0 = splat(p0);
  const v1 = splat(p1);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), op.fwd(v128.load(at(x, i)), v0, v1));
  for (; i < n; i++) {
    store<f32>(at(y, i), f32x4.extract_lane(op.fwd(splat(load<f32>(at(x, i))), v0, v1), 0));
  }
}

function ugrad<Op>(s: usize, g: usize, gx: usize, n: i32, p0: f32, p1: f32): void {
  const op = changetype<Op>(0);
  const v0 = splat(p0);
  const v1 = splat(p1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(gx, i), op.bwd(v128.load(at(s, i)), v128.load(at(g, i)), v0, v1));
  }
  for (; i < n; i++) {
    const v = op.bwd(splat(load<f32>(at(s, i))), splat(load<f32>(at(g, i))), v0, v1);
    store<f32>(at(gx, i), f32x4.extract_lane(v, 0));
  }
}

/**
 * y = op(x) for n values; y may alias x. Op codes (the binding's table): 0 neg, 1 exp, 2 log,
 * 3 sqrt, 4 rsqrt, 5 abs, 6 sigmoid, 7 tanh, 8 relu, 9 leakyRelu(p0 slope), 10 hardtanh(p0 min,
 * p1 max), 11 hardswish, 12 hardsigmoid, 13 gelu, 14 silu, 15 softplus(p0 beta, p1 threshold),
 * 16 pow(p0 exponent).
 */
export function unary_fwd(op: i32, x: usize, y: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case 0: umap<Neg>(x, y, n, p0, p1); break;
    case 1: umap<Exp>(x, y, n, p0, p1); break;
    case 2: umap<Log>(x, y, n, p0, p1); break;
    case 3: umap<Sqrt>(x, y, n, p0, p1); break;
    case 4: umap<Rsqrt>(x, y, n, p0, p1); break;
    case 5: umap<Abs>(x, y, n, p0, p1); break;
    case 6: umap<Sigmoid>(x, y, n, p0, p1); break;
    case 7: umap<Tanh>(x, y, n, p0, p1); break;
    case 8: umap<Relu>(x, y, n, p0, p1); break;
    case 9: umap<LeakyRelu>(x, y, n, p0, p1); break;
    case 10: umap<Hardtanh>(x, y, n, p0, p1); break;
    case 11: umap<Hardswish>(x, y, n, p0, p1); break;
    case 12: umap<Hardsigmoid>(x, y, n, p0, p1); break;
    case 13: umap<Gelu>(x, y, n, p0, p1); break;
    case 14: umap<Silu>(x, y, n, p0, p1); break;
    case 15: umap<Softplus>(x, y, n, p0, p1); break;
    case 16: {
      if (p0 == 2) umap<Square>(x, y, n, p0, p1);
      else if (p0 == 0.5) umap<Sqrt>(x, y, n, p0, p1);
      else if (p0 == 3) umap<Cube>(x, y, n, p0, p1);
      else if (p0 == -0.5) umap<Rsqrt>(x, y, n, p0, p1);
      else if (p0 == -1) umap<Recip>(x, y, n, p0, p1);
      else if (p0 == -2) umap<RecipSquare>(x, y, n, p0, p1);
      else umap<PowAny>(x, y, n, p0, p1);
      break;
    }
    default: unreachable();
  }
}

/** gradIn = gradOut * op'(.), reading s (x or y: see the classes above); gx may alias g. */
export function unary_bwd(op: i32, s: usize, g: usize, gx: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case 0: ugrad<Neg>(s, g, gx, n, p0, p1); break;
    case 1: ugrad<Exp>(s, g, gx, n, p0, p1); break;
    case 2: ugrad<Log>(s, g, gx, n, p0, p1); break;
    case 3: ugrad<Sqrt>(s, g, gx, n, p0, p1); break;
    case 4: ugrad<Rsqrt>(s, g, gx, n, p0, p1); break;
    case 5: ugrad<Abs>(s, g, gx, n, p0, p1); break;
    case 6: ugrad<Sigmoid>(s, g, gx, n, p0, p1); break;
    case 7: ugrad<Tanh>(s, g, gx, n, p0, p1); break;
    case 8: ugrad<Relu>(s, g, gx, n, p0, p1); break;
    case 9: ugrad<LeakyRelu>(s, g, gx, n, p0, p1); break;
    case 10: ugrad<Hardtanh>(s, g, gx, n, p0, p1); break;
    case 11: ugrad<Hardswish>(s, g, gx, n, p0, p1); break;
    case 12: ugrad<Hardsigmoid>(s, g, gx, n, p0, p1); break;
    case 13: ugrad<Gelu>(s, g, gx, n, p0, p1); break;
    case 14: ugrad<Silu>(s, g, gx, n, p0, p1); break;
    case 15: ugrad<Softplus>(s, g, gx, n, p0, p1); break;
    case 16: {
      if (p0 == 0) ugrad<PowZero>(s, g, gx, n, p0, p1);
      else if (p0 == 2) ugrad<Square>(s, g, gx, n, p0, p1);
      else ugrad<PowAny>(s, g, gx, n, p0, p1);
      break;
    }
    default: unreachable();
  }
}

// The activation kernels assembly/norm.ts used to hold, under their bound names.

/** y = x * Phi(x) (GELU, erf form as torch.nn.GELU()). */
export function gelu_fwd(x: usize, y: usize, n: i32): void {
  umap<Gelu>(x, y, n, 0, 0);
}

/** gx = gy * (Phi(x) + x phi(x)). */
export function gelu_bwd(x: usize, gy: usize, gx: usize, n: i32): void {
  ugrad<Gelu>(x, gy, gx, n, 0, 0);
}

/** y = x * sigmoid(x). */
export function silu_fwd(x: usize, y: usize, n: i32): void {
  umap<Silu>(x, y, n, 0, 0);
}

/** gx = gy * s * (1 + x (1 - s)), s = sigmoid(x). */
export function silu_bwd(x: usize, gy: usize, gx: usize, n: i32): void {
  ugrad<Silu>(x, gy, gx, n, 0, 0);
}
