// 2-D convolution, NCHW activations, OIHW weights, any stride / zero padding / dilation / groups.
// Dense convs are GEMMs whose im2col operand is packed straight from the image (no col buffer):
//   forward      Y[Og, P]     = W[Og, CKK]   x col[CKK, P]           (per image, per group)
//   bwd weight   dW^T[CKK, Og] = col[CKK, P] x dY^T[P, Og]           (summed over images)
//   bwd input    col[CKK, P]  = W^T[CKK, Og] x dY[Og, P], then col2im (scatter-add).
// Depthwise convs (one input and one output channel per group) with dilation 1 and column stride
// 1 or 2 go to assembly/dwconv.ts; the others take the padded direct kernels at the end of this file.
// Tests: test/assembly/conv.test.ts against test/ref/conv.ts. Bench: `simdgrad bench --suite kernels`.

import { madd, transpose4 } from "./simd";
import { conv_c1_fwd_plane } from "./conv_c1";
import { gemm_blocked, gemm_workspace_bytes, pack_a_n, pack_a_t, pack_b_n, pack_b_t, MR, NR } from "./gemm";
import { dw_bwd_input_planes, dw_bwd_weight_planes, dw_fast, dw_fwd_planes, dw_workspace_bytes } from "./dwconv";

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
 * Copies the Cg planes at src [Cg, H, W] into dst [Cg, Hp, Wp], Hp = H + 2PH, Wp = W + 2PW, with
 * zeros around (negative padding crops). The packers and depthwise kernels then read any tap
 * without bounds checks. dst needs Cg*Hp*Wp floats plus PAD_SLACK floats of read slack (which
 * only feeds vector lanes that are never used).
 */
function pad_planes(src: usize, dst: usize, Cg: i32, H: i32, W: i32, PH: i32, PW: i32): void {
  const Hp = H + 2 * PH;
  const Wp = W + 2 * PW;
  const zero = f32x4.splat(0);
  // Only the border is zeroed (a 28x28 plane padded by 1 has 116 border cells of 900), and rows
  // are short: inline vector loops beat memory.fill/copy, which V8 turns into calls.
  const lo = max(0, PW);
  const hi = min(Wp, W + PW);
  const len = max(0, hi - lo);
  const top = max(0, PH);
  const bottom = min(Hp, H + PH);
  for (let c = 0; c < Cg; c++) {
    const plane = dst + (<usize>(c * Hp * Wp) << 2);
    for (let ihp = 0; ihp < Hp; ihp++) {
      const to = plane + (<usize>(ihp * Wp) << 2);
      if (ihp < top || ihp >= bottom || len == 0) {
        let j = 0;
        for (; j + 4 <= Wp; j += 4) v128.store(to + (<usize>j << 2), zero);
        for (; j < Wp; j++) store<f32>(to + (<usize>j << 2), 0);
        continue;
      }
      for (let j = 0; j < lo; j++) store<f32>(to + (<usize>j << 2), 0);
      for (let j = hi; j < Wp; j++) store<f32>(to + (<usize>j << 2), 0);
      const from = src + (<usize>((c * H + ihp - PH) * W + lo - PW) << 2);
      const row = to + (<usize>lo << 2);
      let j = 0;
      for (; j + 4 <= len; j += 4) v128.store(row + (<usize>j << 2), v128.load(from + (<usize>j << 2)));
      for (; j < len; j++) store<f32>(row + (<usize>j << 2), load<f32>(from + (<usize>j << 2)));
    }
  }
}

// Floats readable past a padded copy: a stride-2 row read fetches 16 values from its start.
const PAD_SLACK: usize = 32;

/**
 * B operand of the forward GEMM over a padded copy (gH x gW planes, no padding left): col rows
 * k0.., pixel columns n0.., in NR-wide panels. For each k the panel's 8 pixels form at most a
 * few runs along output rows; each run is stored as a full 8-wide vector copy (stride 1: two
 * loads, stride 2: four loads and two shuffles) at its place in the panel, letting it spill
 * into the following slots, which later runs and later k overwrite; the packed-B block is
 * followed by the edge tile scratch, so the very last spill stays inside the workspace.
 */
function pack_b_im2col(dst: usize, x: usize, _ld: i32, k0: i32, n0: i32, kc: i32, nc: i32): void {
  const KK = gKH * gKW;
  const W = gW;
  const OW = gOW;
  const SW = gSW;
  const rowStep = <usize>(gSH * W) << 2;
  const planeBytes = <usize>(gH * W) << 2;
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    const p0 = n0 + j;
    const oh0 = p0 / OW;
    const ow0 = p0 - oh0 * OW;
    let c = k0 / KK;
    const r = k0 - c * KK;
    let kh = r / gKW;
    let kw = r - kh * gKW;
    for (let k = 0; k < kc; k++) {
      const d = panel + (<usize>k << 5);
      const base = x + <usize>c * planeBytes + (<usize>(kh * gDH * W + kw * gDW) << 2);
      let q = 0;
      let ow = ow0;
      let src = base + <usize>oh0 * rowStep + (<usize>(ow0 * SW) << 2);
      if (cols < NR) {
        for (; q < cols; q++) {
          store<f32>(d + (<usize>q << 2), load<f32>(src));
          ow++;
          src += <usize>SW << 2;
          if (ow == OW) {
            ow = 0;
            src += rowStep - (<usize>(OW * SW) << 2);
          }
        }
        for (; q < NR; q++) store<f32>(d + (<usize>q << 2), 0);
      } else {
        while (q < NR) {
          const o = d + (<usize>q << 2);
          if (SW == 1) {
            v128.store(o, v128.load(src));
            v128.store(o, v128.load(src, 16), 16);
          } else if (SW == 2) {
            v128.store(o, i32x4.shuffle(v128.load(src), v128.load(src, 16), 0, 2, 4, 6));
            v128.store(o, i32x4.shuffle(v128.load(src, 32), v128.load(src, 48), 0, 2, 4, 6), 16);
          } else {
            const n = min(NR - q, OW - ow);
            for (let t = 0; t < n; t++) store<f32>(o + (<usize>t << 2), load<f32>(src + (<usize>(t * SW) << 2)));
          }
          q += OW - ow;
          src += rowStep - (<usize>(ow * SW) << 2);
          ow = 0;
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
  const direct = gSW == 1 && gPH == 0 && gPW == 0;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const panel = dst + (<usize>(i * kc) << 2);
    if (direct && rows == MR) {
      pack_a_im2col_panel_s1(panel, x, m0 + i, k0, kc);
      continue;
    }
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

/** Start of col row m's taps in an unpadded (or pre-padded) image: plane c, offset (kh, kw). */
// @ts-ignore: decorator
@inline function tapBase(x: usize, m: i32, KK: i32, planeBytes: usize): usize {
  const c = m / KK;
  const rem = m - c * KK;
  const kh = rem / gKW;
  const kw = rem - kh * gKW;
  return x + <usize>c * planeBytes + (<usize>(kh * gDH * gW + kw * gDW) << 2);
}

/**
 * One full MR-row A panel of the weight-gradient GEMM when no tap leaves the image (padding 0,
 * or a padded copy) and the column stride is 1: each output row is a contiguous run of input
 * in each of the 4 col rows, so 4 vectors (one per row) are read and transposed in registers
 * into 4 panel slots, instead of scattering every float lane by lane.
 */
function pack_a_im2col_panel_s1(panel: usize, x: usize, m: i32, k0: i32, kc: i32): void {
  const KK = gKH * gKW;
  const planeBytes = <usize>(gH * gW) << 2;
  const b0 = tapBase(x, m, KK, planeBytes);
  const b1 = tapBase(x, m + 1, KK, planeBytes);
  const b2 = tapBase(x, m + 2, KK, planeBytes);
  const b3 = tapBase(x, m + 3, KK, planeBytes);
  const rowStep = <usize>(gSH * gW) << 2;
  let oh = k0 / gOW;
  let ow = k0 - oh * gOW;
  let k = 0;
  while (k < kc) {
    const run = min(gOW - ow, kc - k);
    const off = <usize>oh * rowStep + (<usize>ow << 2);
    const s0 = b0 + off;
    const s1 = b1 + off;
    const s2 = b2 + off;
    const s3 = b3 + off;
    const d = panel + (<usize>k << 4);
    let q = 0;
    for (; q + 4 <= run; q += 4) {
      const o = <usize>q << 2;
      transpose4(v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o),
        d + (<usize>q << 4), 16);
    }
    for (; q < run; q++) {
      const o = <usize>q << 2;
      const dq = d + (<usize>q << 4);
      store<f32>(dq, load<f32>(s0 + o));
      store<f32>(dq, load<f32>(s1 + o), 4);
      store<f32>(dq, load<f32>(s2 + o), 8);
      store<f32>(dq, load<f32>(s3 + o), 12);
    }
    k += run;
    ow = 0;
    oh++;
  }
}

/**
 * Stride-1 im2col from a padded copy: col[m = (c, kh, kw), oh*OW + ow] for all pixels, one
 * contiguous run of OW inputs per (m, oh), copied 4 at a time. The forward GEMM then packs B
 * with plain vector copies (pack_b_n).
 */
function im2col_s1(xpad: usize, col: usize, Cg: i32, OW: i32, OH: i32): void {
  const Wp = gW;
  const planeBytes = <usize>(gH * Wp) << 2;
  const P = OH * OW;
  let m = 0;
  for (let c = 0; c < Cg; c++) {
    for (let kh = 0; kh < gKH; kh++) {
      for (let kw = 0; kw < gKW; kw++) {
        const base = xpad + <usize>c * planeBytes + (<usize>(kh * gDH * Wp + kw * gDW) << 2);
        const row = col + (<usize>(m * P) << 2);
        for (let oh = 0; oh < OH; oh++) {
          const src = base + (<usize>(oh * Wp) << 2);
          const dst = row + (<usize>(oh * OW) << 2);
          let ow = 0;
          for (; ow + 4 <= OW; ow += 4) v128.store(dst + (<usize>ow << 2), v128.load(src + (<usize>ow << 2)));
          for (; ow < OW; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>ow << 2)));
        }
        m++;
      }
    }
  }
}

// ---- dense drivers

function is_depthwise(C: i32, O: i32, G: i32): bool {
  return G == C && G == O && G > 1;
}

/** Workspace of the dense or depthwise forward: GEMM blocks, one padded image group and, for
 * dense stride-1 convs, its im2col. */
function fwd_ws_bytes(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, PH: i32, PW: i32,
  G: i32): usize {
  const padded = alignUp(((<usize>(C / G) * <usize>((H + 2 * PH) * (W + 2 * PW))) + PAD_SLACK) << 2);
  if (is_depthwise(C, O, G)) return padded + alignUp(<usize>(C * KH * KW) << 2);
  // + the stride-1 im2col buffer (CKK x P <= CKK x padded plane)
  return padded + <usize>gemm_workspace_bytes() +
    alignUp(<usize>(C / G * KH * KW) * <usize>((H + 2 * PH) * (W + 2 * PW)) << 2);
}

/** Bytes of workspace for kind 0 forward, 1 backward-input, 2 backward-weight. */
export function conv2d_workspace_bytes(kind: i32, N: i32, C: i32, H: i32, W: i32, O: i32, KH: i32,
  KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32): usize {
  const KK = <usize>(KH * KW);
  const Cg = <usize>(C / G);
  const Og = <usize>(O / G);
  const OH = (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
  const OW = (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
  if (is_depthwise(C, O, G) && dw_fast(kind, SH, SW, DH, DW)) return dw_workspace_bytes(C, KH, KW, SH, max(W, OW), max(H, OH));
  if (kind == 0) return fwd_ws_bytes(C, H, W, O, KH, KW, PH, PW, G);
  if (kind == 1) {
    if (is_depthwise(C, O, G)) {
      if (SH != 1 || SW != 1) return 64;
      return alignUp(<usize>C * KK * 4) + fwd_ws_bytes(O, OH, OW, C, KH, KW, DH * (KH - 1) - PH, DW * (KW - 1) - PW, G);
    }
    return alignUp(Cg * KK * <usize>(OH * OW) * 4) + <usize>gemm_workspace_bytes();
  }
  if (is_depthwise(C, O, G)) return fwd_ws_bytes(C, H, W, O, KH, KW, PH, PW, G);
  // + one padded image group (conv2d_bwd_weight_nchw pads when SW == 1 and padding != 0)
  return alignUp(Cg * KK * Og * 4) + <usize>gemm_workspace_bytes() +
    alignUp((Cg * <usize>((H + 2 * PH) * (W + 2 * PW)) + PAD_SLACK) << 2);
}

/** y[N,O,OH,OW] = conv(x[N,C,H,W], w[O,C/G,KH,KW]) + bias (bias 0: none), ReLU when relu != 0. */
export function conv2d_fwd_nchw(x: usize, w: usize, bias: usize, y: usize, N: i32, C: i32, H: i32,
  W: i32, O: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, G: i32,
  relu: i32, ws: usize): void {
  setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
  if (is_depthwise(C, O, G)) {
    if (dw_fast(0, SH, SW, DH, DW)) {
      dw_fwd_planes(x, w, bias, y, N * C, C, H, W, KH, KW, SH, SW, PH, PW, gOH, gOW, relu != 0, ws);
    } else {
      dwconv2d_fwd(x, w, bias, y, N, C, relu != 0, ws);
    }
    return;
  }
  if (C == 1 && G == 1 && SH == 1 && SW == 1 && DH == 1 && DW == 1 && KH * KW > 1) {
    conv_c1_fwd(x, w, bias, y, N, H, W, O, KH, KW, PH, PW, relu != 0, ws + <usize>gemm_workspace_bytes());
    return;
  }
  const Cg = C / G;
  const Og = O / G;
  const CKK = Cg * KH * KW;
  const P = gOH * gOW;
  const pointwise = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
  const gws = ws;
  const padded = ws + <usize>gemm_workspace_bytes();
  // The packer reads the padded copy: its planes are (H+2PH) x (W+2PW) with no padding left.
  setGeometry(H + 2 * PH, W + 2 * PW, KH, KW, SH, SW, 0, 0, DH, DW);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const yg = y + (<usize>(n * O + g * Og) * <usize>P << 2);
      const wg = w + (<usize>(g * Og * CKK) << 2);
      const bg: usize = bias ? bias + (<usize>(g * Og) << 2) : 0;
      if (pointwise) {
        gemm_blocked(Og, P, CKK, 1, 0, pack_a_n, wg, CKK, pack_b_n, xg, P, yg, P, bg, relu != 0, gws);
      } else {
        pad_planes(xg, padded, Cg, H, W, PH, PW);
        if (SW == 1 && SH == 1) {
          // Materialised im2col + plain packing beat packing straight from the padded image
          // (pack_b_im2col) at stride 1; strided convs keep the direct packer.
          const col = padded + alignUp((<usize>Cg * <usize>((H + 2 * PH) * (W + 2 * PW)) + PAD_SLACK) << 2);
          im2col_s1(padded, col, Cg, gOW, gOH);
          gemm_blocked(Og, P, CKK, 1, 0, pack_a_n, wg, CKK, pack_b_n, col, P, yg, P, bg, relu != 0, gws);
        } else {
          gemm_blocked(Og, P, CKK, 1, 0, pack_a_n, wg, CKK, pack_b_im2col, padded, 0, yg, P, bg, relu != 0, gws);
        }
      }
    }
  }
}

/** One input channel, stride 1, no dilation: direct kernel (assembly/conv_c1.ts) per image,
 * over a padded copy when there is padding. */
function conv_c1_fwd(x: usize, w: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, O: i32,
  KH: i32, KW: i32, PH: i32, PW: i32, relu: bool, padded: usize): void {
  const OH = H + 2 * PH - KH + 1;
  const OW = W + 2 * PW - KW + 1;
  for (let n = 0; n < N; n++) {
    let xn = x + (<usize>(n * H * W) << 2);
    if (PH != 0 || PW != 0) {
      pad_planes(xn, padded, 1, H, W, PH, PW);
      xn = padded;
    }
    conv_c1_fwd_plane(xn, W + 2 * PW, w, bias, y + (<usize>n * <usize>(O * OH * OW) << 2), O, KH, KW, OH, OW, relu);
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
    if (dw_fast(1, SH, SW, DH, DW)) {
      dw_bwd_input_planes(gy, w, gx, N * C, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, ws);
    } else {
      dwconv2d_bwd_input(gy, w, gx, N, C, ws);
    }
    return;
  }
  // col[CKK, P] = W_g^T x gy_g, then scatter-add col into gx (col2im). Measured against
  // correlating gy with the flipped kernel through the forward path (x [64,32,26,26],
  // w [64,32,3,3], relaxed build, 2026-11-25): 45 vs 28 GFLOP/s, since both GEMM operands
  // here pack with plain vector copies and col2im streams whole rows.
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
        // columns whose tap lands inside the row: 0 <= ow*SW - PW + kw*DW < W
        const off = kw * DW - PW;
        const owlo = min(OW, off >= 0 ? 0 : (-off + SW - 1) / SW);
        const owhi = W - 1 - off < 0 ? owlo : max(owlo, min(OW, (W - 1 - off) / SW + 1));
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh * DH;
          if (<u32>ih >= <u32>H) continue;
          const row = plane + (<usize>(ih * W + off) << 2);
          const cp = crow + (<usize>(oh * OW) << 2);
          let ow = owlo;
          if (SW == 1) {
            for (; ow + 4 <= owhi; ow += 4) {
              const a = row + (<usize>ow << 2);
              v128.store(a, f32x4.add(v128.load(a), v128.load(cp + (<usize>ow << 2))));
            }
          }
          for (; ow < owhi; ow++) {
            const a = row + (<usize>(ow * SW) << 2);
            store<f32>(a, load<f32>(a) + load<f32>(cp + (<usize>ow << 2)));
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
    if (dw_fast(2, SH, SW, DH, DW)) {
      dw_bwd_weight_planes(x, gy, gw, N, C, H, W, KH, KW, SH, SW, PH, PW, gOH, gOW, ws);
    } else {
      dwconv2d_bwd_weight(x, gy, gw, N, C);
    }
    return;
  }
  const Cg = C / G;
  const Og = O / G;
  const CKK = Cg * KH * KW;
  const P = gOH * gOW;
  const acc = ws;
  const gws = ws + alignUp(<usize>(CKK * Og) << 2);
  // With padding, a padded copy of each image lets the packer take its transposing stride-1
  // path (pack_a_im2col_panel_s1); the copy is a small fraction of the packed col.
  const padded = gws + <usize>gemm_workspace_bytes();
  const usePad = SW == 1 && (PH != 0 || PW != 0);
  if (usePad) setGeometry(H + 2 * PH, W + 2 * PW, KH, KW, SH, SW, 0, 0, DH, DW);
  for (let g = 0; g < G; g++) {
    for (let n = 0; n < N; n++) {
      let xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const gyg = gy + (<usize>(n * O + g * Og) * <usize>P << 2);
      if (usePad) {
        pad_planes(xg, padded, Cg, H, W, PH, PW);
        xg = padded;
      }
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

// ---- depthwise, general path (dilation, column stride 3+): direct kernels over padded planes

/**
 * Depthwise forward: y[n, c] = x[n, c] (*) w[c] (+ bias[c]) for N images of C channels. Each
 * plane is first padded into ws (pad_planes), so every tap is in bounds; output pixels go 8 or 4
 * at a time with the taps accumulated in registers (stride 1: contiguous loads, stride 2: loads
 * + shuffle), the few left at a row's end one by one.
 */
function dwconv2d_fwd(x: usize, w: usize, bias: usize, y: usize, N: i32, C: i32, relu: bool,
  ws: usize): void {
  const H = gH, W = gW, KH = gKH, KW = gKW, SH = gSH, SW = gSW, PH = gPH, PW = gPW, DH = gDH, DW = gDW;
  const OH = gOH, OW = gOW;
  const Wp = W + 2 * PW;
  const KK = KH * KW;
  const zero = f32x4.splat(0);
  for (let pi = 0; pi < N * C; pi++) {
    const c = pi % C;
    pad_planes(x + (<usize>pi * <usize>(H * W) << 2), ws, 1, H, W, PH, PW);
    const yp = y + (<usize>pi * <usize>(OH * OW) << 2);
    const wc = w + (<usize>(c * KK) << 2);
    const b: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
    const bv = f32x4.splat(b);
    for (let oh = 0; oh < OH; oh++) {
      const xrow = ws + (<usize>(oh * SH * Wp) << 2);
      const yrow = yp + (<usize>(oh * OW) << 2);
      let ow = 0;
      if (SW == 1 || SW == 2) {
        for (; ow + 8 <= OW; ow += 8) {
          let acc0 = bv;
          let acc4 = bv;
          for (let kh = 0; kh < KH; kh++) {
            const xr = xrow + (<usize>(kh * DH * Wp + ow * SW) << 2);
            const wr = wc + (<usize>(kh * KW) << 2);
            for (let kw = 0; kw < KW; kw++) {
              const s = xr + (<usize>(kw * DW) << 2);
              const wv = v128.load32_splat(wr + (<usize>kw << 2));
              if (SW == 1) {
                acc0 = madd(wv, v128.load(s), acc0);
                acc4 = madd(wv, v128.load(s, 16), acc4);
              } else {
                acc0 = madd(wv, i32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6), acc0);
                acc4 = madd(wv, i32x4.shuffle(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), acc4);
              }
            }
          }
          if (relu) {
            acc0 = f32x4.max(acc0, zero);
            acc4 = f32x4.max(acc4, zero);
          }
          v128.store(yrow + (<usize>ow << 2), acc0);
          v128.store(yrow + (<usize>ow << 2), acc4, 16);
        }
      }
      for (; ow < OW; ow++) {
        let v = b;
        for (let kh = 0; kh < KH; kh++) {
          const xr = xrow + (<usize>(kh * DH * Wp + ow * SW) << 2);
          for (let kw = 0; kw < KW; kw++) {
            v += load<f32>(wc + (<usize>(kh * KW + kw) << 2)) * load<f32>(xr + (<usize>(kw * DW) << 2));
          }
        }
        store<f32>(yrow + (<usize>ow << 2), relu && !(v > 0) ? 0 : v);
      }
    }
  }
}

/** Depthwise input gradient. Stride 1: forward with the flipped kernel; else scatter per pixel. */
function dwconv2d_bwd_input(gy: usize, w: usize, gx: usize, N: i32, C: i32, ws: usize): void {
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
    dwconv2d_fwd(gy, ws, 0, gx, N, C, false, ws + alignUp(<usize>(C * KK) << 2));
    setGeometry(H, W, KH, KW, SH, SW, PH, PW, DH, DW);
    return;
  }
  for (let pi = 0; pi < N * C; pi++) {
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
