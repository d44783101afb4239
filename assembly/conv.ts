// 2-D convolution, NCHW activations, OIHW weights, any stride / zero padding / dilation / groups.
// Dense convs are GEMMs whose im2col operand is packed straight from the image (no col buffer):
//   forward      Y[Og, P]     = W[Og, CKK]   x col[CKK, P]           (per image, per group)
//   bwd weight   dW^T[CKK, Og] = col[CKK, P] x dY^T[P, Og]           (summed over images)
//   bwd input    stride 1: a forward conv of dY with flipped, transposed weights;
//                stride > 1: col = W^T x dY, then col2im.
// Depthwise convs (one input and one output channel per group) have direct kernels below.
// Tests: test/assembly/conv.test.ts against test/ref/conv.ts. Bench: bench/kernels.ts.

import { madd } from "./simd";
import { gemm_blocked, gemm_workspace_bytes, pack_a_n, pack_a_t, pack_b_n, pack_b_t, MR, NR } from "./gemm";

// Geometry of the image the im2col packers read, set by the drivers before each GEMM
// (module globals: each Wasm instance, one per thread, has its own).
let gH: i32 = 0;
let gW: i32 = 0;
let gKH: i32 = 0;
let gKW: i32 = 0;
let gSH: i32 = 0;
let gSW: i32 = 0;
let gPH: i32 = 0;
let gPW: i32 = 0;
let gDH: i32 = 0;
let gDW: i32 = 0;
let gOH: i32 = 0;
let gOW: i32 = 0;

function setGeometry(H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32,
  DH: i32, DW: i32): void {
  gH = H; gW = W; gKH = KH; gKW = KW; gSH = SH; gSW = SW; gPH = PH; gPW = PW; gDH = DH; gDW = DW;
  gOH = (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
  gOW = (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
}

// @ts-ignore: decorator
@inline function alignUp(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

// ---- implicit im2col packers (col[m = (c, kh, kw), p = (oh, ow)] = x[c, ih, iw] or 0)

/**
 * B operand of the forward GEMM: col rows k0.., pixel columns n0.., in NR-wide panels.
 * When a panel's 8 pixels lie in one output row the 8 inputs are contiguous (stride 1: two
 * vector loads) or every other one (stride 2: four loads, two shuffles); otherwise per pixel.
 */
function pack_b_im2col(dst: usize, x: usize, _ld: i32, k0: i32, n0: i32, kc: i32, nc: i32): void {
  const KK = gKH * gKW;
  const rowBytes = <usize>gW << 2;
  const planeBytes = <usize>(gH * gW) << 2;
  const zero = f32x4.splat(0);
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    const p0 = n0 + j;
    const oh0 = p0 / gOW;
    const ow0 = p0 - oh0 * gOW;
    const sameRow = cols == NR && ow0 + NR <= gOW;
    let c = k0 / KK;
    let r = k0 - c * KK;
    let kh = r / gKW;
    let kw = r - kh * gKW;
    for (let k = 0; k < kc; k++) {
      const d = panel + (<usize>k << 5);
      const plane = x + <usize>c * planeBytes;
      if (sameRow) {
        const ih = oh0 * gSH - gPH + kh * gDH;
        const iw0 = ow0 * gSW - gPW + kw * gDW;
        if (<u32>ih >= <u32>gH) {
          v128.store(d, zero);
          v128.store(d, zero, 16);
        } else {
          const row = plane + <usize>ih * rowBytes;
          if (gSW == 1 && iw0 >= 0 && iw0 + 8 <= gW) {
            const s = row + (<usize>iw0 << 2);
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
          } else if (gSW == 2 && iw0 >= 0 && iw0 + 16 <= gW) {
            const s = row + (<usize>iw0 << 2);
            v128.store(d, i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
            v128.store(d, i32x4.shuffle(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), 16);
          } else {
            for (let q = 0; q < NR; q++) {
              const iw = iw0 + q * gSW;
              store<f32>(d + (<usize>q << 2), <u32>iw < <u32>gW ? load<f32>(row + (<usize>iw << 2)) : 0);
            }
          }
        }
      } else {
        let oh = oh0;
        let ow = ow0;
        for (let q = 0; q < NR; q++) {
          let v: f32 = 0;
          if (q < cols) {
            const ih = oh * gSH - gPH + kh * gDH;
            const iw = ow * gSW - gPW + kw * gDW;
            if (<u32>ih < <u32>gH && <u32>iw < <u32>gW) {
              v = load<f32>(plane + <usize>ih * rowBytes + (<usize>iw << 2));
            }
            ow++;
            if (ow == gOW) {
              ow = 0;
              oh++;
            }
          }
          store<f32>(d + (<usize>q << 2), v);
        }
      }
      kw++;
      if (kw == gKW) {
        kw = 0;
        kh++;
        if (kh == gKH) {
          kh = 0;
          c++;
        }
      }
    }
  }
}

/**
 * A operand of the weight-gradient GEMM: col rows m0.. (MR-row panels), pixels k0.. along k.
 * Each col row is walked one output row at a time; with stride 1 the in-bounds middle of an
 * output row is contiguous input, read 4 at a time and scattered into the panel lane by lane.
 */
function pack_a_im2col(dst: usize, x: usize, _ld: i32, m0: i32, k0: i32, mc: i32, kc: i32): void {
  const KK = gKH * gKW;
  const rowBytes = <usize>gW << 2;
  const planeBytes = <usize>(gH * gW) << 2;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const panel = dst + (<usize>(i * kc) << 2);
    for (let r = 0; r < MR; r++) {
      const col = panel + (<usize>r << 2);
      if (r >= rows) {
        for (let k = 0; k < kc; k++) store<f32>(col + (<usize>k << 4), 0);
        continue;
      }
      const m = m0 + i + r;
      const c = m / KK;
      const rem = m - c * KK;
      const kh = rem / gKW;
      const kw = rem - kh * gKW;
      const plane = x + <usize>c * planeBytes;
      let oh = k0 / gOW;
      let ow = k0 - oh * gOW;
      let k = 0;
      while (k < kc) {
        const run = min(gOW - ow, kc - k);
        const ih = oh * gSH - gPH + kh * gDH;
        if (<u32>ih >= <u32>gH) {
          for (let q = 0; q < run; q++) store<f32>(col + (<usize>(k + q) << 4), 0);
        } else {
          const row = plane + <usize>ih * rowBytes;
          const iw0 = ow * gSW - gPW + kw * gDW;
          let q = 0;
          if (gSW == 1) {
            // in-bounds q: 0 <= iw0 + q < W
            const qlo = min(run, max(0, -iw0));
            const qhi = max(qlo, min(run, gW - iw0));
            for (; q < qlo; q++) store<f32>(col + (<usize>(k + q) << 4), 0);
            for (; q + 4 <= qhi; q += 4) {
              const v = v128.load(row + (<usize>(iw0 + q) << 2));
              const o = col + (<usize>(k + q) << 4);
              v128.store32_lane(o, v, 0);
              v128.store32_lane(o, v, 1, 16);
              v128.store32_lane(o, v, 2, 32);
              v128.store32_lane(o, v, 3, 48);
            }
          }
          for (; q < run; q++) {
            const iw = iw0 + q * gSW;
            store<f32>(col + (<usize>(k + q) << 4), <u32>iw < <u32>gW ? load<f32>(row + (<usize>iw << 2)) : 0);
          }
        }
        k += run;
        ow = 0;
        oh++;
      }
    }
  }
}

// ---- dense drivers

function is_depthwise(C: i32, O: i32, G: i32): bool {
  return G == C && G == O && G > 1;
}

/** Bytes of workspace for kind 0 forward, 1 backward-input, 2 backward-weight. */
export function conv2d_workspace_bytes(kind: i32, N: i32, C: i32, H: i32, W: i32, O: i32, KH: i32,
  KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32): usize {
  const gemm = <usize>gemm_workspace_bytes();
  const KK = <usize>(KH * KW);
  const Cg = <usize>(C / G);
  const Og = <usize>(O / G);
  const OH = (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
  const OW = (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
  if (is_depthwise(C, O, G)) return alignUp(<usize>C * KK * 4) + 64;
  if (kind == 1) {
    if (SH == 1 && SW == 1) return alignUp(<usize>C * Og * KK * 4) + gemm;
    return alignUp(Cg * KK * <usize>(OH * OW) * 4) + gemm;
  }
  if (kind == 2) return alignUp(Cg * KK * Og * 4) + gemm;
  return gemm;
}

/** y[N,O,OH,OW] = conv(x[N,C,H,W], w[O,C/G,KH,KW]) + bias (bias 0: none), ReLU when relu != 0. */
export function conv2d_fwd_nchw(x: usize, w: usize, bias: usize, y: usize, N: i32, C: i32, H: i32,
  W: i32, O: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32,
  relu: i32, ws: usize): void {
  setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
  if (is_depthwise(C, O, G)) {
    dwconv2d_fwd(x, w, bias, y, N * C, C, relu != 0);
    return;
  }
  const Cg = C / G;
  const Og = O / G;
  const CKK = Cg * KH * KW;
  const P = gOH * gOW;
  const pointwise = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const yg = y + (<usize>(n * O + g * Og) * <usize>P << 2);
      const wg = w + (<usize>(g * Og * CKK) << 2);
      const bg: usize = bias ? bias + (<usize>(g * Og) << 2) : 0;
      if (pointwise) {
        gemm_blocked(Og, P, CKK, 1, 0, pack_a_n, wg, CKK, pack_b_n, xg, P, yg, P, bg, relu != 0, ws);
      } else {
        gemm_blocked(Og, P, CKK, 1, 0, pack_a_n, wg, CKK, pack_b_im2col, xg, 0, yg, P, bg, relu != 0, ws);
      }
    }
  }
}

/** gx[N,C,H,W] = gradient of the input given gy[N,O,OH,OW]; overwrites gx. */
export function conv2d_bwd_input_nchw(gy: usize, w: usize, gx: usize, N: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32,
  ws: usize): void {
  const KK = KH * KW;
  const Cg = C / G;
  const Og = O / G;
  setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
  const OH = gOH;
  const OW = gOW;
  if (is_depthwise(C, O, G)) {
    dwconv2d_bwd_input(gy, w, gx, N * C, C, ws);
    return;
  }
  if (SH == 1 && SW == 1) {
    // Correlating gy with the kernel flipped in both axes and channels swapped within each group
    // (wt[C, Og, KH, KW]), padded by d*(k-1)-p, gives gx: the forward GEMM path at full speed.
    const wt = ws;
    for (let g = 0; g < G; g++) {
      for (let ol = 0; ol < Og; ol++) {
        for (let cl = 0; cl < Cg; cl++) {
          const src = w + (<usize>(((g * Og + ol) * Cg + cl) * KK) << 2);
          const dst = wt + (<usize>(((g * Cg + cl) * Og + ol) * KK) << 2);
          for (let t = 0; t < KK; t++) store<f32>(dst + (<usize>(KK - 1 - t) << 2), load<f32>(src + (<usize>t << 2)));
        }
      }
    }
    const gws = ws + alignUp(<usize>(C * Og * KK) << 2);
    conv2d_fwd_nchw(gy, wt, 0, gx, N, O, OH, OW, C, KH, KW, 1, 1, DH * (KH - 1) - PH,
      DW * (KW - 1) - PW, DH, DW, G, 0, gws);
    return;
  }
  // Strided: col[CKK, P] = W_g^T x gy_g, then scatter-add col into gx (col2im).
  const CKK = Cg * KK;
  const P = OH * OW;
  const col = ws;
  const gws = ws + alignUp(<usize>(CKK * P) << 2);
  const planeBytes = <usize>(H * W) << 2;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const gyg = gy + (<usize>(n * O + g * Og) * <usize>P << 2);
      const wg = w + (<usize>(g * Og * CKK) << 2);
      const gxg = gx + (<usize>(n * C + g * Cg) * planeBytes);
      gemm_blocked(CKK, P, Og, 1, 0, pack_a_t, wg, CKK, pack_b_n, gyg, P, col, P, 0, false, gws);
      memory.fill(gxg, 0, <usize>Cg * planeBytes);
      for (let m = 0; m < CKK; m++) {
        const c = m / KK;
        const rem = m - c * KK;
        const kh = rem / KW;
        const kw = rem - kh * KW;
        const plane = gxg + <usize>c * planeBytes;
        const crow = col + (<usize>(m * P) << 2);
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh * DH;
          if (<u32>ih >= <u32>H) continue;
          const row = plane + (<usize>(ih * W) << 2);
          const cp = crow + (<usize>(oh * OW) << 2);
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW - PW + kw * DW;
            if (<u32>iw < <u32>W) {
              const a = row + (<usize>iw << 2);
              store<f32>(a, load<f32>(a) + load<f32>(cp + (<usize>ow << 2)));
            }
          }
        }
      }
    }
  }
}

/** gw[O,C/G,KH,KW] = gradient of the weights, summed over the batch; overwrites gw. */
export function conv2d_bwd_weight_nchw(x: usize, gy: usize, gw: usize, N: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32,
  ws: usize): void {
  setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
  if (is_depthwise(C, O, G)) {
    dwconv2d_bwd_weight(x, gy, gw, N, C);
    return;
  }
  const Cg = C / G;
  const Og = O / G;
  const CKK = Cg * KH * KW;
  const P = gOH * gOW;
  const acc = ws;
  const gws = ws + alignUp(<usize>(CKK * Og) << 2);
  for (let g = 0; g < G; g++) {
    for (let n = 0; n < N; n++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const gyg = gy + (<usize>(n * O + g * Og) * <usize>P << 2);
      gemm_blocked(CKK, Og, P, 1, n == 0 ? 0 : 1, pack_a_im2col, xg, 0, pack_b_t, gyg, P, acc, Og, 0, false, gws);
    }
    // acc holds dW^T [CKK, Og]; write it out as OIHW.
    for (let o = 0; o < Og; o++) {
      const dst = gw + (<usize>((g * Og + o) * CKK) << 2);
      for (let m = 0; m < CKK; m++) store<f32>(dst + (<usize>m << 2), load<f32>(acc + (<usize>(m * Og + o) << 2)));
    }
  }
}

/** gb[O] = sum over n and pixels of gy[N,O,P]; overwrites gb. */
export function conv2d_bwd_bias_nchw(gy: usize, gb: usize, N: i32, O: i32, P: i32): void {
  for (let o = 0; o < O; o++) {
    let v0 = f32x4.splat(0);
    let v1 = f32x4.splat(0);
    let s: f32 = 0;
    for (let n = 0; n < N; n++) {
      const row = gy + (<usize>(n * O + o) * <usize>P << 2);
      let p = 0;
      for (; p + 8 <= P; p += 8) {
        v0 = f32x4.add(v0, v128.load(row + (<usize>p << 2)));
        v1 = f32x4.add(v1, v128.load(row + (<usize>p << 2), 16));
      }
      for (; p < P; p++) s += load<f32>(row + (<usize>p << 2));
    }
    const v = f32x4.add(v0, v1);
    store<f32>(gb + (<usize>o << 2), s + f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) +
      f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
}

// ---- depthwise (one input and one output channel per group): direct kernels over each plane

/**
 * y plane = x plane (*) w[KH,KW] (+ bias) for planes = N*C images of one channel each; channel of
 * plane i is i % C. Output pixels whose every tap is in bounds are computed 4 at a time with
 * the taps accumulated in registers (stride 1: contiguous loads, stride 2: two loads + shuffle);
 * the border is per pixel.
 */
function dwconv2d_fwd(x: usize, w: usize, bias: usize, y: usize, planes: i32, C: i32, relu: bool): void {
  const H = gH, W = gW, KH = gKH, KW = gKW, SH = gSH, SW = gSW, PH = gPH, PW = gPW, DH = gDH, DW = gDW;
  const OH = gOH, OW = gOW;
  // interior columns: 0 <= ow*SW - PW and ow*SW - PW + (KW-1)*DW <= W-1
  const owlo = min(OW, max(0, (PW + SW - 1) / SW));
  const spanW = W - 1 - (KW - 1) * DW + PW;
  const owhi = spanW < 0 ? owlo : max(owlo, min(OW, spanW / SW + 1));
  const KK = KH * KW;
  for (let pi = 0; pi < planes; pi++) {
    const c = pi % C;
    const xp = x + (<usize>pi * <usize>(H * W) << 2);
    const yp = y + (<usize>pi * <usize>(OH * OW) << 2);
    const wc = w + (<usize>(c * KK) << 2);
    const b: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
    const bv = f32x4.splat(b);
    for (let oh = 0; oh < OH; oh++) {
      const ihb = oh * SH - PH;
      const yrow = yp + (<usize>(oh * OW) << 2);
      const rowInside = ihb >= 0 && ihb + (KH - 1) * DH < H;
      let ow = 0;
      if (rowInside && (SW == 1 || SW == 2)) {
        for (; ow < owlo; ow++) store<f32>(yrow + (<usize>ow << 2), dw_pixel(xp, wc, b, oh, ow, relu));
        for (; ow + 4 <= owhi; ow += 4) {
          let acc = bv;
          const iwb = ow * SW - PW;
          for (let kh = 0; kh < KH; kh++) {
            const xr = xp + (<usize>((ihb + kh * DH) * W + iwb) << 2);
            const wr = wc + (<usize>(kh * KW) << 2);
            for (let kw = 0; kw < KW; kw++) {
              const s = xr + (<usize>(kw * DW) << 2);
              const xv = SW == 1 ? v128.load(s) : i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
              acc = madd(v128.load32_splat(wr + (<usize>kw << 2)), xv, acc);
            }
          }
          if (relu) acc = f32x4.max(acc, f32x4.splat(0));
          v128.store(yrow + (<usize>ow << 2), acc);
        }
      }
      for (; ow < OW; ow++) store<f32>(yrow + (<usize>ow << 2), dw_pixel(xp, wc, b, oh, ow, relu));
    }
  }
}

/** One depthwise output pixel with bounds checks on every tap. */
function dw_pixel(xp: usize, wc: usize, b: f32, oh: i32, ow: i32, relu: bool): f32 {
  let s = b;
  for (let kh = 0; kh < gKH; kh++) {
    const ih = oh * gSH - gPH + kh * gDH;
    if (<u32>ih >= <u32>gH) continue;
    for (let kw = 0; kw < gKW; kw++) {
      const iw = ow * gSW - gPW + kw * gDW;
      if (<u32>iw >= <u32>gW) continue;
      s += load<f32>(wc + (<usize>(kh * gKW + kw) << 2)) * load<f32>(xp + (<usize>(ih * gW + iw) << 2));
    }
  }
  return relu && !(s > 0) ? 0 : s;
}

/** Depthwise input gradient. Stride 1: forward with the flipped kernel; else scatter per pixel. */
function dwconv2d_bwd_input(gy: usize, w: usize, gx: usize, planes: i32, C: i32, ws: usize): void {
  const H = gH, W = gW, KH = gKH, KW = gKW, SH = gSH, SW = gSW, PH = gPH, PW = gPW, DH = gDH, DW = gDW;
  const OH = gOH, OW = gOW;
  const KK = KH * KW;
  if (SH == 1 && SW == 1) {
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < KK; t++) {
        store<f32>(ws + (<usize>(c * KK + KK - 1 - t) << 2), load<f32>(w + (<usize>(c * KK + t) << 2)));
      }
    }
    setGeometry(OH, OW, KH, KW, 1, 1, DH * (KH - 1) - PH, DW * (KW - 1) - PW, DH, DW);
    dwconv2d_fwd(gy, ws, 0, gx, planes, C, false);
    setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
    return;
  }
  for (let pi = 0; pi < planes; pi++) {
    const c = pi % C;
    const gxp = gx + (<usize>pi * <usize>(H * W) << 2);
    const gyp = gy + (<usize>pi * <usize>(OH * OW) << 2);
    const wc = w + (<usize>(c * KK) << 2);
    memory.fill(gxp, 0, <usize>(H * W) << 2);
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH - PH + kh * DH;
        if (<u32>ih >= <u32>H) continue;
        const xr = gxp + (<usize>(ih * W) << 2);
        const yr = gyp + (<usize>(oh * OW) << 2);
        for (let kw = 0; kw < KW; kw++) {
          const wv = load<f32>(wc + (<usize>(kh * KW + kw) << 2));
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW - PW + kw * DW;
            if (<u32>iw < <u32>W) {
              const a = xr + (<usize>iw << 2);
              store<f32>(a, load<f32>(a) + wv * load<f32>(yr + (<usize>ow << 2)));
            }
          }
        }
      }
    }
  }
}

/** Depthwise weight gradient: gw[c, kh, kw] = sum over n, oh, ow of gy * x at the tap. */
function dwconv2d_bwd_weight(x: usize, gy: usize, gw: usize, N: i32, C: i32): void {
  const H = gH, W = gW, KH = gKH, KW = gKW, SH = gSH, SW = gSW, PH = gPH, PW = gPW, DH = gDH, DW = gDW;
  const OH = gOH, OW = gOW;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        // columns with the tap in bounds: 0 <= ow*SW - PW + kw*DW < W
        const off = kw * DW - PW;
        const owlo = min(OW, off >= 0 ? 0 : (-off + SW - 1) / SW);
        const owhi = W - 1 - off < 0 ? owlo : max(owlo, min(OW, (W - 1 - off) / SW + 1));
        let accv = f32x4.splat(0);
        let acc: f32 = 0;
        for (let n = 0; n < N; n++) {
          const pi = n * C + c;
          const xp = x + (<usize>pi * <usize>(H * W) << 2);
          const gyp = gy + (<usize>pi * <usize>(OH * OW) << 2);
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH - PH + kh * DH;
            if (<u32>ih >= <u32>H) continue;
            const xr = xp + (<usize>(ih * W + off) << 2);
            const yr = gyp + (<usize>(oh * OW) << 2);
            let ow = owlo;
            if (SW == 1) {
              for (; ow + 4 <= owhi; ow += 4) {
                accv = madd(v128.load(xr + (<usize>ow << 2)), v128.load(yr + (<usize>ow << 2)), accv);
              }
            } else if (SW == 2) {
              for (; ow + 4 <= owhi && (ow + 3) * 2 + 1 + off < W; ow += 4) {
                const s = xr + (<usize>(ow * 2) << 2);
                const xv = i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
                accv = madd(xv, v128.load(yr + (<usize>ow << 2)), accv);
              }
            }
            for (; ow < owhi; ow++) {
              acc += load<f32>(xr + (<usize>(ow * SW) << 2)) * load<f32>(yr + (<usize>ow << 2));
            }
          }
        }
        store<f32>(gw + (<usize>((c * KH + kh) * KW + kw) << 2), acc + f32x4.extract_lane(accv, 0) +
          f32x4.extract_lane(accv, 1) + f32x4.extract_lane(accv, 2) + f32x4.extract_lane(accv, 3));
      }
    }
  }
}
