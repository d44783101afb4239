// Direct forward kernel for dense convs with one input channel (a network's first layer on
// grey images): im2col + GEMM there has K = KH*KW (9), so packing and the 4x8 tile's epilogue
// dominate. Here each output channel is KH*KW taps over the (padded) plane, SIMD over output
// columns, 4 output channels per pass sharing the input loads.
// Dispatched from conv2d_fwd_nchw (assembly/conv.ts); tests: test/assembly/conv.test.ts (C = 1
// cases) against test/ref/conv.ts.

import { madd } from "./simd";

/**
 * y[o, oh, ow] = sum over (kh, kw) of w[o, kh, kw] * x[oh + kh, ow + kw] (+ bias[o]) (ReLU), for
 * o < O, over one plane x of row length Wp whose taps are all in bounds (padding applied),
 * stride 1, dilation 1. y is [O, OH, OW].
 */
export function conv_c1_fwd_plane(x: usize, Wp: i32, w: usize, bias: usize, y: usize, O: i32,
  KH: i32, KW: i32, OH: i32, OW: i32, relu: bool): void {
  const KK = KH * KW;
  const planeBytes = <usize>(OH * OW) << 2;
  let o = 0;
  for (; o + 4 <= O; o += 4) {
    c1_rows4(x, Wp, w + (<usize>(o * KK) << 2), bias ? bias + (<usize>o << 2) : 0,
      y + <usize>o * planeBytes, KH, KW, OH, OW, relu);
  }
  for (; o < O; o++) {
    c1_rows1(x, Wp, w + (<usize>(o * KK) << 2), bias ? load<f32>(bias + (<usize>o << 2)) : 0,
      y + <usize>o * planeBytes, KH, KW, OH, OW, relu);
  }
}

/** Four output channels: 8 columns x 4 channels = 8 accumulators, each tap's 2 input vectors
 * shared by the 4 channels; then 4 columns, then single columns. */
function c1_rows4(x: usize, Wp: i32, w: usize, bias: usize, y: usize, KH: i32, KW: i32, OH: i32,
  OW: i32, relu: bool): void {
  const KK = KH * KW;
  const wstep = <usize>KK << 2;
  const w1 = w + wstep;
  const w2 = w1 + wstep;
  const w3 = w2 + wstep;
  const plane = <usize>(OH * OW) << 2;
  const zero = f32x4.splat(0);
  const bv0 = bias ? v128.load32_splat(bias) : zero;
  const bv1 = bias ? v128.load32_splat(bias, 4) : zero;
  const bv2 = bias ? v128.load32_splat(bias, 8) : zero;
  const bv3 = bias ? v128.load32_splat(bias, 12) : zero;
  for (let oh = 0; oh < OH; oh++) {
    const xrow = x + (<usize>(oh * Wp) << 2);
    const y0 = y + (<usize>(oh * OW) << 2);
    const y1 = y0 + plane;
    const y2 = y1 + plane;
    const y3 = y2 + plane;
    let ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
      let a0 = bv0; let a0h = bv0;
      let a1 = bv1; let a1h = bv1;
      let a2 = bv2; let a2h = bv2;
      let a3 = bv3; let a3h = bv3;
      for (let kh = 0; kh < KH; kh++) {
        const xr = xrow + (<usize>(kh * Wp + ow) << 2);
        const t0 = <usize>(kh * KW) << 2;
        for (let kw = 0; kw < KW; kw++) {
          const s = xr + (<usize>kw << 2);
          const xv = v128.load(s);
          const xh = v128.load(s, 16);
          const t = t0 + (<usize>kw << 2);
          const c0 = v128.load32_splat(w + t);
          a0 = madd(c0, xv, a0); a0h = madd(c0, xh, a0h);
          const c1 = v128.load32_splat(w1 + t);
          a1 = madd(c1, xv, a1); a1h = madd(c1, xh, a1h);
          const c2 = v128.load32_splat(w2 + t);
          a2 = madd(c2, xv, a2); a2h = madd(c2, xh, a2h);
          const c3 = v128.load32_splat(w3 + t);
          a3 = madd(c3, xv, a3); a3h = madd(c3, xh, a3h);
        }
      }
      if (relu) {
        a0 = f32x4.max(a0, zero); a0h = f32x4.max(a0h, zero);
        a1 = f32x4.max(a1, zero); a1h = f32x4.max(a1h, zero);
        a2 = f32x4.max(a2, zero); a2h = f32x4.max(a2h, zero);
        a3 = f32x4.max(a3, zero); a3h = f32x4.max(a3h, zero);
      }
      const d = <usize>ow << 2;
      v128.store(y0 + d, a0); v128.store(y0 + d, a0h, 16);
      v128.store(y1 + d, a1); v128.store(y1 + d, a1h, 16);
      v128.store(y2 + d, a2); v128.store(y2 + d, a2h, 16);
      v128.store(y3 + d, a3); v128.store(y3 + d, a3h, 16);
    }
    for (; ow + 4 <= OW; ow += 4) {
      let a0 = bv0;
      let a1 = bv1;
      let a2 = bv2;
      let a3 = bv3;
      for (let kh = 0; kh < KH; kh++) {
        const xr = xrow + (<usize>(kh * Wp + ow) << 2);
        const t0 = <usize>(kh * KW) << 2;
        for (let kw = 0; kw < KW; kw++) {
          const xv = v128.load(xr + (<usize>kw << 2));
          const t = t0 + (<usize>kw << 2);
          a0 = madd(v128.load32_splat(w + t), xv, a0);
          a1 = madd(v128.load32_splat(w1 + t), xv, a1);
          a2 = madd(v128.load32_splat(w2 + t), xv, a2);
          a3 = madd(v128.load32_splat(w3 + t), xv, a3);
        }
      }
      if (relu) {
        a0 = f32x4.max(a0, zero);
        a1 = f32x4.max(a1, zero);
        a2 = f32x4.max(a2, zero);
        a3 = f32x4.max(a3, zero);
      }
      const d = <usize>ow << 2;
      v128.store(y0 + d, a0);
      v128.store(y1 + d, a1);
      v128.store(y2 + d, a2);
      v128.store(y3 + d, a3);
    }
    for (; ow < OW; ow++) {
      for (let r = 0; r < 4; r++) {
        const wr = w + <usize>r * wstep;
        let v: f32 = bias ? load<f32>(bias + (<usize>r << 2)) : 0;
        for (let kh = 0; kh < KH; kh++) {
          const xr = xrow + (<usize>(kh * Wp + ow) << 2);
          for (let kw = 0; kw < KW; kw++) {
            v += load<f32>(wr + (<usize>(kh * KW + kw) << 2)) * load<f32>(xr + (<usize>kw << 2));
          }
        }
        store<f32>(y0 + <usize>r * plane + (<usize>ow << 2), relu && !(v > 0) ? 0 : v);
      }
    }
  }
}

/** One output channel (the O % 4 left over): 8, then 4, then single columns. */
function c1_rows1(x: usize, Wp: i32, w: usize, b: f32, y: usize, KH: i32, KW: i32, OH: i32,
  OW: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  const bv = f32x4.splat(b);
  for (let oh = 0; oh < OH; oh++) {
    const xrow = x + (<usize>(oh * Wp) << 2);
    const yrow = y + (<usize>(oh * OW) << 2);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      let a = bv;
      for (let kh = 0; kh < KH; kh++) {
        const xr = xrow + (<usize>(kh * Wp + ow) << 2);
        for (let kw = 0; kw < KW; kw++) {
          a = madd(v128.load32_splat(w + (<usize>(kh * KW + kw) << 2)), v128.load(xr + (<usize>kw << 2)), a);
        }
      }
      if (relu) a = f32x4.max(a, zero);
      v128.store(yrow + (<usize>ow << 2), a);
    }
    for (; ow < OW; ow++) {
      let v = b;
      for (let kh = 0; kh < KH; kh++) {
        const xr = xrow + (<usize>(kh * Wp + ow) << 2);
        for (let kw = 0; kw < KW; kw++) {
          v += load<f32>(w + (<usize>(kh * KW + kw) << 2)) * load<f32>(xr + (<usize>kw << 2));
        }
      }
      store<f32>(yrow + (<usize>ow << 2), relu && !(v > 0) ? 0 : v);
    }
  }
}
