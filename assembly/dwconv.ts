// Depthwise 2-D convolution (groups = channels = outputs) with dilation 1, any kernel size,
// padding and row stride, column stride 1 or 2: forward (+bias, ReLU), input gradient and weight
// gradient read the unpadded planes. Rows out of the image read a zero row. The few output
// vectors whose taps cross a row end either read a band's edge copies (the first and last 16
// elements of each of its rows beside 8 zeros, <= 8 KB, rebuilt per band of 10-16 output rows:
// general forward and weight-gradient tap groups, rows >= 16 wide), or load from inside the row
// and swizzle lanes into place, zeroing the rest (the 3x3 kernels swizzle only the taps that
// cross); everything else is plain f32x4 loads and multiply-adds in registers. 3x3 at stride 1
// and 2 have their own kernels with the nine taps in registers (forward and weight gradient;
// the input gradient at stride 1 is the forward, at stride 2 padding 1 a strip kernel).
// conv.ts sends these cases here and keeps its padded path for the rest (dilation, stride 3+).
// Tests: test/assembly/dwconv.test.ts against test/ref/conv.ts, test/ops/dwconv.test.ts.

import { hsum, madd } from "./simd";

/** Whether the fast kernels take (KH, KW, SH, SW, dilation) in the given direction
 * (0 forward, 1 input gradient, 2 weight gradient). */
export function dw_fast(kind: i32, SH: i32, SW: i32, DH: i32, DW: i32): bool {
  if (DH != 1 || DW != 1) return false;
  if (kind == 1) return (SH == 1 && SW == 1) || SW == 2;
  return SW == 1 || SW == 2;
}

// ---- workspace: zero row, spare output row, column plan, edge entries, tap sums, flipped taps

/** Bytes of one tap of a clipped vector: byte offset of its load in the row (i32), then two
 * swizzle index vectors (the second for stride 2's second load). */
const ENTRY: usize = 48;

// @ts-ignore: decorator
@inline function align64(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

// @ts-ignore: decorator
@inline function rowBytes(maxW: i32): usize {
  return align64(<usize>(maxW + 16) << 2);
}

// @ts-ignore: decorator
@inline function planBytes(maxW: i32): usize {
  return align64(<usize>((maxW >> 2) + 4) << 5);
}

// @ts-ignore: decorator
@inline function tabBytes(maxW: i32, KW: i32): usize {
  return align64(<usize>((maxW >> 2) + 4) * 2 * <usize>KW * ENTRY);
}

/** Workspace of every fast depthwise kernel; maxW = max(W, OW), maxH = max(H, OH) (the 3x3
 * forward keeps a pointer per row). */
export function dw_workspace_bytes(C: i32, KH: i32, KW: i32, SH: i32, maxW: i32, maxH: i32): usize {
  const KK = <usize>(KH * KW);
  return 2 * rowBytes(maxW) + planBytes(maxW) + tabBytes(maxW, KW) + align64(<usize>C * KK << 4) +
    align64(<usize>C * KK << 2) + align64(<usize>(KH + 4 * SH + 8) << 2) + rowBytes(maxH) +
    align64(<usize>(FWD_EDGE_ROWS + 1) * EDGE_ROW + 2 * FWD_SROWS);
}

// @ts-ignore: decorator
@inline function wsZero(ws: usize): usize { return ws; }
// @ts-ignore: decorator
@inline function wsSpare(ws: usize, maxW: i32): usize { return ws + rowBytes(maxW); }
// @ts-ignore: decorator
@inline function wsPlan(ws: usize, maxW: i32): usize { return ws + 2 * rowBytes(maxW); }
// @ts-ignore: decorator
@inline function wsTab(ws: usize, maxW: i32): usize { return wsPlan(ws, maxW) + planBytes(maxW); }
// @ts-ignore: decorator
@inline function wsAcc(ws: usize, maxW: i32, KW: i32): usize {
  return wsTab(ws, maxW) + tabBytes(maxW, KW);
}
// @ts-ignore: decorator
@inline function wsFlip(ws: usize, maxW: i32, C: i32, KH: i32, KW: i32): usize {
  return wsAcc(ws, maxW, KW) + align64(<usize>(C * KH * KW) << 4);
}
/** Row start pointers; after the flipped taps. */
// @ts-ignore: decorator
@inline function wsRows(ws: usize, maxW: i32, C: i32, KH: i32, KW: i32): usize {
  return wsFlip(ws, maxW, C, KH, KW) + align64(<usize>(C * KH * KW) << 2);
}

/** Edge copies of one input row for the weight gradient: 8 zeros, x[0..15], x[W-16..W-1], 8 zeros. */
const EDGE_ROW: usize = 192;
/** The weight gradient's tap groups take BAND gy rows at a time (edge copies of their x rows:
 * at most (BAND - 1) * 2 + 8 for stride 2 and kernels up to 9 high, then a zero block). */
const BAND: i32 = 16;
/** The forward's edge copies: this many rows, a zero block, then the row tables. */
const FWD_EDGE_ROWS: i32 = 40;
/** Bytes from a row-group's table of rows to its table of edge copies. */
const FWD_SROWS: usize = 160;

/** The edge copies of every row of a plane, then a block of zeros for rows outside it. */
// @ts-ignore: decorator
@inline function wsEdge(ws: usize, maxW: i32, maxH: i32, C: i32, KH: i32, KW: i32): usize {
  return wsRows(ws, maxW, C, KH, KW) + rowBytes(maxH);
}

function zero_floats(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

// ---- vectors of four outputs: lane j reads row element iw0 + j*SW

/**
 * Writes the entry of a vector whose taps may cross a row end: the load starts at a clamped
 * offset inside the row (needs W >= 4*SW) and i8x16.swizzle moves each in-row lane into place;
 * index 0xff zeroes a lane outside [0, W).
 */
function edge_entry(e: usize, iw0: i32, SW: i32, W: i32): void {
  const base = min(max(iw0, 0), W - 4 * SW);
  store<i32>(e, base << 2);
  for (let j = 0; j < 4; j++) {
    const iw = iw0 + j * SW;
    const s = iw - base;
    const inRow = iw >= 0 && iw < W;
    for (let b = 0; b < 4; b++) {
      store<u8>(e + <usize>(16 + (j << 2) + b), inRow && s < 4 ? <u8>((s << 2) + b) : <u8>0xff);
      store<u8>(e + <usize>(32 + (j << 2) + b), inRow && s >= 4 ? <u8>(((s - 4) << 2) + b) : <u8>0xff);
    }
  }
}

/** Whether all taps of the outputs ow0..ow0+3 read inside a row of W. */
// @ts-ignore: decorator
@inline function vec_clean(ow0: i32, SW: i32, PW: i32, KW: i32, W: i32): bool {
  return ow0 * SW - PW >= 0 && (ow0 + 3) * SW - PW + KW - 1 < W;
}

/** Four row elements p[0], p[SW], p[2SW], p[3SW] (stride 2: two loads that stop at p[6]). */
// @ts-ignore: decorator
@inline function vec_in(p: usize, SW: i32): v128 {
  if (SW == 1) return v128.load(p);
  return i32x4.shuffle(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
}

/** The same through an edge entry e, for the row starting at row. */
// @ts-ignore: decorator
@inline function vec_edge(row: usize, e: usize, SW: i32): v128 {
  const p = row + <usize>load<i32>(e);
  const a = i8x16.swizzle(v128.load(p), v128.load(e, 16));
  if (SW == 1) return a;
  return v128.or(a, i8x16.swizzle(v128.load(p, 16), v128.load(e, 32)));
}

// ---- forward: blocks of 4 output rows x 2 vectors (8 accumulators)

// Set by plan_fwd: the vectors that cross a row end can all read the rows' edge copies.
let fwdScr: bool = false;

/**
 * The forward's column plan: pairs of output vectors at ow = 0, 8, 16, ...; the last pair ends
 * at OW and may overlap the one before (with OW < 8 it is (0, OW - 4)). Entry (32 bytes): ow0,
 * ow1 and, per vector, the byte offset of its KW edge entries in tab, or -1 when its taps all
 * read inside the row (a clean second vector also starts 4 past the first), then per vector
 * the byte offset of its first tap in the rows' edge copies. Sets fwdScr when every vector
 * that is not clean fits in the copies. Needs OW >= 4.
 */
function plan_fwd(plan: usize, tab: usize, OW: i32, W: i32, KW: i32, SW: i32, PW: i32): i32 {
  let np = 0;
  let nt = 0;
  fwdScr = W >= 16;
  for (let ow = 0; ; ow += 8) {
    let a = ow;
    let b = ow + 4;
    if (OW < 8) {
      a = 0;
      b = OW - 4;
    } else if (ow + 8 > OW) {
      a = OW - 8;
      b = OW - 4;
    }
    const pe = plan + (<usize>np << 5);
    store<i32>(pe, a);
    store<i32>(pe, b, 4);
    for (let v = 0; v < 2; v++) {
      const o = v == 0 ? a : b;
      const slot = pe + <usize>(8 + 4 * v);
      if (vec_clean(o, SW, PW, KW, W) && (v == 0 || b == a + 4)) {
        store<i32>(slot, -1);
      } else {
        // the byte offset of its first tap in its rows' edge copies, when all its taps fit
        const iwlo = o * SW - PW;
        const iwhi = iwlo + KW - 1 + (SW == 1 ? 3 : 6);
        let so = -1;
        if (W >= 16 && iwlo >= -8 && iwhi < 16) so = (iwlo + 8) << 2;
        else if (W >= 16 && iwlo >= W - 16 && iwhi < W + 8) so = 96 + ((iwlo - W + 16) << 2);
        if (so < 0) fwdScr = false;
        store<i32>(slot, so, 8);
        const off = nt * KW * <i32>ENTRY;
        for (let kw = 0; kw < KW; kw++) {
          edge_entry(tab + <usize>off + <usize>kw * ENTRY, o * SW - PW + kw, SW, W);
        }
        store<i32>(slot, off);
        nt++;
      }
    }
    np++;
    if (b + 4 >= OW) break;
  }
  return np;
}

/**
 * Output rows oh0..oh0+R-1 x the pair of vectors at pe, all taps summed in 2R registers; rows[t]
 * is input row oh0*SH - PH + t (or the zero row). E0/E1: the vector crosses a row end (edge entries) or not (plain loads). V8
 * issues an iteration's loads before its multiply-adds, so accumulators + loads + the tap must
 * fit 15 xmm registers: R = 3 at stride 1 (6 + 6 + 1), R = 2 at stride 2 (two loads a vector).
 */
// @ts-ignore: decorator
@inline function fwd_pair(R: i32, SW: i32, E0: bool, E1: bool, SCR: bool, rows: usize, w: usize,
  pe: usize, tab: usize, KH: i32, KW: i32, SH: i32, PW: i32, y0: usize, y1: usize, y2: usize,
  bv: v128, relu: bool): void {
  const ow0 = load<i32>(pe);
  const ow1 = load<i32>(pe, 4);
  const t0 = tab + <usize>load<i32>(pe, 8);
  const t1 = tab + <usize>load<i32>(pe, 12);
  // SCR: the vectors that cross a row end load from the rows' edge copies (srows[t] beside
  // rows[t], FWD_SROWS bytes on)
  const so0 = <usize>load<i32>(pe, 16);
  const so1 = <usize>load<i32>(pe, 20);
  // Clean vectors load at p + 0 (vector 0) and p + 16*SW (vector 1), p stepping one tap at a
  // time; a clean vector 1 after an edge vector 0 is the one at p.
  const cb = ((E0 ? ow1 : ow0) * SW - PW) << 2;
  const rstep = <usize>SH << 2;
  let a00 = bv; let a01 = bv; let a10 = bv; let a11 = bv; let a20 = bv; let a21 = bv;
  let rp = rows;
  let wr = w;
  const kwBytes = <usize>KW << 2;
  for (let kh = 0; kh < KH; kh++) {
    const r0 = load<usize>(rp);
    const r1 = load<usize>(rp + rstep);
    const r2 = R > 2 ? load<usize>(rp + 2 * rstep) : r1;
    let p0 = r0 + <usize>cb;
    let p1 = r1 + <usize>cb;
    let p2 = r2 + <usize>cb;
    let s0: usize = 0; let s1: usize = 0; let s2: usize = 0;
    if (SCR) {
      s0 = load<usize>(rp, FWD_SROWS);
      s1 = load<usize>(rp + rstep, FWD_SROWS);
      s2 = R > 2 ? load<usize>(rp + 2 * rstep, FWD_SROWS) : s1;
    }
    let q0 = s0 + so0; let q1 = s1 + so0; let q2 = s2 + so0;
    let u0 = s0 + so1; let u1 = s1 + so1; let u2 = s2 + so1;
    let e0 = t0;
    let e1 = t1;
    let wp = wr;
    const wend = wr + kwBytes;
    do {
      const wv = v128.load32_splat(wp);
      if (E0 && SCR) {
        a00 = madd(wv, vec_in(q0, SW), a00);
        a10 = madd(wv, vec_in(q1, SW), a10);
        if (R > 2) a20 = madd(wv, vec_in(q2, SW), a20);
      } else if (E0) {
        a00 = madd(wv, vec_edge(r0, e0, SW), a00);
        a10 = madd(wv, vec_edge(r1, e0, SW), a10);
        if (R > 2) a20 = madd(wv, vec_edge(r2, e0, SW), a20);
      } else {
        a00 = madd(wv, vec_in(p0, SW), a00);
        a10 = madd(wv, vec_in(p1, SW), a10);
        if (R > 2) a20 = madd(wv, vec_in(p2, SW), a20);
      }
      if (E1 && SCR) {
        a01 = madd(wv, vec_in(u0, SW), a01);
        a11 = madd(wv, vec_in(u1, SW), a11);
        if (R > 2) a21 = madd(wv, vec_in(u2, SW), a21);
      } else if (E1) {
        a01 = madd(wv, vec_edge(r0, e1, SW), a01);
        a11 = madd(wv, vec_edge(r1, e1, SW), a11);
        if (R > 2) a21 = madd(wv, vec_edge(r2, e1, SW), a21);
      } else if (E0) {
        a01 = madd(wv, vec_in(p0, SW), a01);
        a11 = madd(wv, vec_in(p1, SW), a11);
        if (R > 2) a21 = madd(wv, vec_in(p2, SW), a21);
      } else {
        a01 = madd(wv, vec_in(p0 + 16 * SW, SW), a01);
        a11 = madd(wv, vec_in(p1 + 16 * SW, SW), a11);
        if (R > 2) a21 = madd(wv, vec_in(p2 + 16 * SW, SW), a21);
      }
      p0 += 4; p1 += 4; p2 += 4;
      if (SCR) {
        q0 += 4; q1 += 4; q2 += 4;
        u0 += 4; u1 += 4; u2 += 4;
      }
      e0 += ENTRY; e1 += ENTRY;
      wp += 4;
    } while (wp < wend);
    rp += 4;
    wr = wend;
  }
  if (relu) {
    // pmax is one maxps (max keeps NaN the slow way); NaN stays NaN either way
    const z = f32x4.splat(0);
    a00 = f32x4.pmax(a00, z); a01 = f32x4.pmax(a01, z); a10 = f32x4.pmax(a10, z);
    a11 = f32x4.pmax(a11, z); a20 = f32x4.pmax(a20, z); a21 = f32x4.pmax(a21, z);
  }
  const o0 = <usize>ow0 << 2;
  const o1 = <usize>ow1 << 2;
  v128.store(y0 + o0, a00); v128.store(y0 + o1, a01);
  v128.store(y1 + o0, a10); v128.store(y1 + o1, a11);
  if (R > 2) {
    v128.store(y2 + o0, a20); v128.store(y2 + o1, a21);
  }
}

/** The output rows of one row group (R rows), pair after pair of the plan. */
// @ts-ignore: decorator
@inline function fwd_rows(R: i32, SW: i32, SCR: bool, rows: usize, w: usize, plan: usize, np: i32,
  tab: usize, KH: i32, KW: i32, SH: i32, PW: i32, y0: usize, y1: usize, y2: usize, bv: v128,
  relu: bool): void {
  for (let i = 0; i < np; i++) {
    const pe = plan + (<usize>i << 5);
    const kind = (load<i32>(pe, 8) >= 0 ? 1 : 0) | (load<i32>(pe, 12) >= 0 ? 2 : 0);
    if (kind == 0) fwd_pair(R, SW, false, false, SCR, rows, w, pe, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
    else if (kind == 1) fwd_pair(R, SW, true, false, SCR, rows, w, pe, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
    else if (kind == 2) fwd_pair(R, SW, false, true, SCR, rows, w, pe, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
    else fwd_pair(R, SW, true, true, SCR, rows, w, pe, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
  }
}

function fwd_rows_s1(rows: usize, w: usize, plan: usize, np: i32, tab: usize, KH: i32, KW: i32,
  SH: i32, PW: i32, y0: usize, y1: usize, y2: usize, bv: v128, relu: bool): void {
  fwd_rows(3, 1, false, rows, w, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
}
function fwd_rows_s2(rows: usize, w: usize, plan: usize, np: i32, tab: usize, KH: i32, KW: i32,
  SH: i32, PW: i32, y0: usize, y1: usize, y2: usize, bv: v128, relu: bool): void {
  fwd_rows(2, 2, false, rows, w, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
}
function fwd_rows_s1_scr(rows: usize, w: usize, plan: usize, np: i32, tab: usize, KH: i32, KW: i32,
  SH: i32, PW: i32, y0: usize, y1: usize, y2: usize, bv: v128, relu: bool): void {
  fwd_rows(3, 1, true, rows, w, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
}
function fwd_rows_s2_scr(rows: usize, w: usize, plan: usize, np: i32, tab: usize, KH: i32, KW: i32,
  SH: i32, PW: i32, y0: usize, y1: usize, y2: usize, bv: v128, relu: bool): void {
  fwd_rows(2, 2, true, rows, w, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
}

// ---- forward, 3x3 stride 1: the nine taps in registers, accumulators rolling down the rows

/** Input row r's tap k of a strip: through its edge entry (E) or a plain load, off being the byte
 * offset of the strip's first plain tap KC. */
// @ts-ignore: decorator
@inline function strip_x(E: bool, KC: i32, r: usize, off: usize, te: usize, k: i32): v128 {
  if (E) return vec_edge(r, te + <usize>k * ENTRY, 1);
  return v128.load(r + off + (<usize>(k - KC) << 2));
}

/**
 * One column strip of 4 outputs (byte offset col in a y row) down the whole plane. Input row u
 * (rows[u] = row u - PH or the zero row, u = 0..OH+1) is the last row of output u-2, the middle
 * of output u-1 and the first of output u: two partial sums roll down (b: output u-1 after two
 * rows, c: output u after one), so each row's three loads feed nine multiply-adds. Each row's
 * three-tap products are summed on their own and then added to the rolling sum: an output's
 * dependency chain is 3 + 2 operations instead of 9 multiply-adds in a row, which kept the FMA
 * build latency-bound (15 registers: 9 taps, 2 sums, 3 loads, 1 temporary).
 * E0..E2: tap kw reads across a row end (edge entry at te + kw * ENTRY) or loads plainly (a
 * strip at the row's start or end has one such tap when the padding is 1).
 */
// @ts-ignore: decorator
@inline function fwd3_strip(E0: bool, E1: bool, E2: bool, RELU: bool, rows: usize, y: usize,
  yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  const KC = E0 ? (E1 ? 2 : 1) : 0;
  const w0 = v128.load32_splat(wc); const w1 = v128.load32_splat(wc, 4); const w2 = v128.load32_splat(wc, 8);
  const w3 = v128.load32_splat(wc, 12); const w4 = v128.load32_splat(wc, 16); const w5 = v128.load32_splat(wc, 20);
  const w6 = v128.load32_splat(wc, 24); const w7 = v128.load32_splat(wc, 28); const w8 = v128.load32_splat(wc, 32);
  // rows 0 and 1 only start outputs 0 and 1
  let r = load<usize>(rows);
  let x0 = strip_x(E0, KC, r, off, te, 0); let x1 = strip_x(E1, KC, r, off, te, 1); let x2 = strip_x(E2, KC, r, off, te, 2);
  let b = madd(w2, x2, madd(w1, x1, madd(w0, x0, v128.load(bp))));
  r = load<usize>(rows, 4);
  x0 = strip_x(E0, KC, r, off, te, 0); x1 = strip_x(E1, KC, r, off, te, 1); x2 = strip_x(E2, KC, r, off, te, 2);
  b = f32x4.add(b, madd(w5, x2, madd(w4, x1, f32x4.mul(w3, x0))));
  let c = madd(w2, x2, madd(w1, x1, madd(w0, x0, v128.load(bp))));
  let yp = y + col;
  const end = rows + (<usize>(OH + 2) << 2);
  for (let rp = rows + 8; rp < end; rp += 4) {
    r = load<usize>(rp);
    x0 = strip_x(E0, KC, r, off, te, 0); x1 = strip_x(E1, KC, r, off, te, 1); x2 = strip_x(E2, KC, r, off, te, 2);
    let o = f32x4.add(b, madd(w8, x2, madd(w7, x1, f32x4.mul(w6, x0))));
    if (RELU) o = f32x4.pmax(o, f32x4.splat(0));
    v128.store(yp, o);
    yp += yRow;
    b = f32x4.add(c, madd(w5, x2, madd(w4, x1, f32x4.mul(w3, x0))));
    c = madd(w2, x2, madd(w1, x1, madd(w0, x0, v128.load(bp))));
  }
}

function fwd3_s_ccc(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(false, false, false, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_ecc(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(true, false, false, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_cce(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(false, false, true, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_eee(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(true, true, true, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_ccc_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(false, false, false, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_ecc_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(true, false, false, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_cce_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(false, false, true, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3_s_eee_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3_strip(true, true, true, true, rows, y, yRow, OH, off, te, col, wc, bp);
}

// ---- forward, 3x3 stride 2: the nine taps in registers, one sum rolling down two rows at a time

/**
 * Input row r's tap k of a stride-2 strip (x[iw + 2j], iw the tap's first column): through its
 * edge entry (E) or two plain loads, off being the byte offset of the strip's first plain tap KC.
 */
// @ts-ignore: decorator
@inline function strip2_x(E: bool, KC: i32, r: usize, off: usize, te: usize, k: i32): v128 {
  if (E) return vec_edge(r, te + <usize>k * ENTRY, 2);
  return vec_in(r + off + (<usize>(k - KC) << 2), 2);
}

/**
 * One column strip of 4 outputs down the plane at stride 2: output o reads input rows 2o, 2o+1,
 * 2o+2 (rows[u] = row u - PH or the zero row, u = 0..2*OH). Row 2o+2 ends output o and starts
 * o+1, so one partial sum c rolls down; per output, two rows' tap vectors feed nine
 * multiply-adds. A row's three tap vectors a[0,2,4,6], a[1,3,5,7], a[2,4,6,8] come from four
 * loads and three shuffles when no tap crosses a row end (ALL clean), else tap by tap.
 */
// @ts-ignore: decorator
@inline function fwd3s2_strip(E0: bool, E1: bool, E2: bool, RELU: bool, rows: usize, y: usize,
  yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  const KC = E0 ? (E1 ? 2 : 1) : 0;
  const clean = !E0 && !E1 && !E2;
  const w0 = v128.load32_splat(wc); const w1 = v128.load32_splat(wc, 4); const w2 = v128.load32_splat(wc, 8);
  const w3 = v128.load32_splat(wc, 12); const w4 = v128.load32_splat(wc, 16); const w5 = v128.load32_splat(wc, 20);
  const w6 = v128.load32_splat(wc, 24); const w7 = v128.load32_splat(wc, 28); const w8 = v128.load32_splat(wc, 32);
  let r = load<usize>(rows);
  let x0: v128, x1: v128, x2: v128;
  if (clean) {
    const p = r + off;
    const l0 = v128.load(p); const l1 = v128.load(p, 16); const l2 = v128.load(p, 8); const l3 = v128.load(p, 20);
    x0 = i32x4.shuffle(l0, l1, 0, 2, 4, 6); x1 = i32x4.shuffle(l0, l1, 1, 3, 5, 7); x2 = i32x4.shuffle(l2, l3, 0, 2, 5, 7);
  } else {
    x0 = strip2_x(E0, KC, r, off, te, 0); x1 = strip2_x(E1, KC, r, off, te, 1); x2 = strip2_x(E2, KC, r, off, te, 2);
  }
  let c = madd(w2, x2, madd(w1, x1, madd(w0, x0, v128.load(bp))));
  let yp = y + col;
  const end = rows + (<usize>(2 * OH + 1) << 2);
  for (let rp = rows + 4; rp < end; rp += 8) {
    r = load<usize>(rp);
    if (clean) {
      const p = r + off;
      const l0 = v128.load(p); const l1 = v128.load(p, 16); const l2 = v128.load(p, 8); const l3 = v128.load(p, 20);
      x0 = i32x4.shuffle(l0, l1, 0, 2, 4, 6); x1 = i32x4.shuffle(l0, l1, 1, 3, 5, 7); x2 = i32x4.shuffle(l2, l3, 0, 2, 5, 7);
    } else {
      x0 = strip2_x(E0, KC, r, off, te, 0); x1 = strip2_x(E1, KC, r, off, te, 1); x2 = strip2_x(E2, KC, r, off, te, 2);
    }
    c = f32x4.add(c, madd(w5, x2, madd(w4, x1, f32x4.mul(w3, x0))));
    r = load<usize>(rp, 4);
    if (clean) {
      const p = r + off;
      const l0 = v128.load(p); const l1 = v128.load(p, 16); const l2 = v128.load(p, 8); const l3 = v128.load(p, 20);
      x0 = i32x4.shuffle(l0, l1, 0, 2, 4, 6); x1 = i32x4.shuffle(l0, l1, 1, 3, 5, 7); x2 = i32x4.shuffle(l2, l3, 0, 2, 5, 7);
    } else {
      x0 = strip2_x(E0, KC, r, off, te, 0); x1 = strip2_x(E1, KC, r, off, te, 1); x2 = strip2_x(E2, KC, r, off, te, 2);
    }
    let o = f32x4.add(c, madd(w8, x2, madd(w7, x1, f32x4.mul(w6, x0))));
    if (RELU) o = f32x4.pmax(o, f32x4.splat(0));
    v128.store(yp, o);
    yp += yRow;
    c = madd(w2, x2, madd(w1, x1, madd(w0, x0, v128.load(bp))));
  }
}

function fwd3s2_s_ccc(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(false, false, false, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_ecc(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(true, false, false, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_cce(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(false, false, true, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_eee(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(true, true, true, false, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_ccc_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(false, false, false, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_ecc_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(true, false, false, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_cce_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(false, false, true, true, rows, y, yRow, OH, off, te, col, wc, bp);
}
function fwd3s2_s_eee_relu(rows: usize, y: usize, yRow: usize, OH: i32, off: usize, te: usize, col: usize, wc: usize, bp: usize): void {
  fwd3s2_strip(true, true, true, true, rows, y, yRow, OH, off, te, col, wc, bp);
}

/**
 * 3x3 stride-1 planes: vectors of 4 outputs at 0, 4, ..., the last ending at OW (may overlap),
 * each a strip down the plane. Plan entry (8 bytes): ow0 and the byte offset of its 3 edge
 * entries in tab, or -1.
 */
function fwd3_planes(x: usize, w: usize, bias: usize, y: usize, P: i32, C: i32, H: i32, W: i32,
  S: i32, PH: i32, PW: i32, OH: i32, OW: i32, relu: bool, zrow: usize, plan: usize, tab: usize,
  rows: usize): void {
  let nv = 0;
  let nt = 0;
  for (let ow = 0; ; ow += 4) {
    const ow0 = min(ow, OW - 4);
    const pe = plan + (<usize>nv << 3);
    store<i32>(pe, ow0);
    if (vec_clean(ow0, S, PW, 3, W)) {
      store<i32>(pe, -1, 4);
    } else {
      const off = nt * 3 * <i32>ENTRY;
      for (let kw = 0; kw < 3; kw++) edge_entry(tab + <usize>off + <usize>kw * ENTRY, ow0 * S - PW + kw, S, W);
      store<i32>(pe, off, 4);
      nt++;
    }
    nv++;
    if (ow0 + 4 >= OW) break;
  }
  // rows[u] = input row u - PH, u = 0..(OH - 1) * S + 2
  const nrows = (OH - 1) * S + 3;
  const bp = rows + (<usize>nrows << 2);
  const xRow = <usize>W << 2;
  const yRow = <usize>OW << 2;
  for (let p = 0; p < P; p++) {
    const c = p % C;
    const xp = x + <usize>p * <usize>(H * W) * 4;
    const yp = y + <usize>p * <usize>(OH * OW) * 4;
    const wc = w + <usize>(c * 9) * 4;
    v128.store(bp, f32x4.splat(bias ? load<f32>(bias + (<usize>c << 2)) : 0));
    for (let u = 0; u < nrows; u++) {
      const ih = u - PH;
      store<usize>(rows + (<usize>u << 2), <u32>ih < <u32>H ? xp + <usize>ih * xRow : zrow);
    }
    for (let i = 0; i < nv; i++) {
      const pe = plan + (<usize>i << 3);
      const ow0 = load<i32>(pe);
      const t = load<i32>(pe, 4);
      const col = <usize>ow0 << 2;
      const te = tab + <usize>(t < 0 ? 0 : t);
      // which taps cross a row end: none, only the first or only the last (the usual padding
      // of 1), or any other mix (all through edge entries)
      const i0 = ow0 * S - PW;
      const span = 3 * S;
      const c0 = i0 >= 0 && i0 + span < W;
      const c1 = i0 + 1 >= 0 && i0 + 1 + span < W;
      const c2 = i0 + 2 >= 0 && i0 + 2 + span < W;
      const kind = t < 0 ? 0 : !c0 && c1 && c2 ? 1 : c0 && c1 && !c2 ? 2 : 3;
      const off = <usize>((i0 + (kind == 1 ? 1 : 0)) << 2);
      if (S == 2) {
        if (relu) {
          if (kind == 0) fwd3s2_s_ccc_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
          else if (kind == 1) fwd3s2_s_ecc_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
          else if (kind == 2) fwd3s2_s_cce_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
          else fwd3s2_s_eee_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
        } else {
          if (kind == 0) fwd3s2_s_ccc(rows, yp, yRow, OH, off, te, col, wc, bp);
          else if (kind == 1) fwd3s2_s_ecc(rows, yp, yRow, OH, off, te, col, wc, bp);
          else if (kind == 2) fwd3s2_s_cce(rows, yp, yRow, OH, off, te, col, wc, bp);
          else fwd3s2_s_eee(rows, yp, yRow, OH, off, te, col, wc, bp);
        }
        continue;
      }
      if (relu) {
        if (kind == 0) fwd3_s_ccc_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
        else if (kind == 1) fwd3_s_ecc_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
        else if (kind == 2) fwd3_s_cce_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
        else fwd3_s_eee_relu(rows, yp, yRow, OH, off, te, col, wc, bp);
      } else {
        if (kind == 0) fwd3_s_ccc(rows, yp, yRow, OH, off, te, col, wc, bp);
        else if (kind == 1) fwd3_s_ecc(rows, yp, yRow, OH, off, te, col, wc, bp);
        else if (kind == 2) fwd3_s_cce(rows, yp, yRow, OH, off, te, col, wc, bp);
        else fwd3_s_eee(rows, yp, yRow, OH, off, te, col, wc, bp);
      }
    }
  }
}

/** One plane the plain way, for planes too narrow for the vector plan (OW < 4, W < 4*SW). */
function fwd_plane_scalar(xp: usize, wc: usize, b: f32, yp: usize, H: i32, W: i32, KH: i32, KW: i32,
  SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, relu: bool): void {
  for (let oh = 0; oh < OH; oh++) {
    const ih0 = oh * SH - PH;
    const khlo = max(0, -ih0);
    const khhi = min(KH, H - ih0);
    for (let ow = 0; ow < OW; ow++) {
      const iw0 = ow * SW - PW;
      const kwlo = max(0, -iw0);
      const kwhi = min(KW, W - iw0);
      let v = b;
      for (let kh = khlo; kh < khhi; kh++) {
        const xr = xp + (<usize>((ih0 + kh) * W + iw0) << 2);
        const wr = wc + (<usize>(kh * KW) << 2);
        for (let kw = kwlo; kw < kwhi; kw++) v += load<f32>(wr + (<usize>kw << 2)) * load<f32>(xr + (<usize>kw << 2));
      }
      store<f32>(yp + (<usize>(oh * OW + ow) << 2), relu && !(v > 0) ? 0 : v);
    }
  }
}

/**
 * y[p] = x[p] (*) w[p % C] (+ bias) for P planes x [H, W] -> y [OH, OW], dilation 1, column stride
 * 1 or 2, any padding (negative too: the input gradient runs through here). ws: dw_workspace_bytes.
 */
export function dw_fwd_planes(x: usize, w: usize, bias: usize, y: usize, P: i32, C: i32, H: i32,
  W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, relu: bool,
  ws: usize): void {
  const KK = KH * KW;
  const xPlane = <usize>(H * W) << 2;
  const yPlane = <usize>(OH * OW) << 2;
  if (OW < 4 || W < 4 * SW) {
    for (let p = 0; p < P; p++) {
      const c = p % C;
      const b: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
      fwd_plane_scalar(x + <usize>p * xPlane, w + (<usize>(c * KK) << 2), b, y + <usize>p * yPlane,
        H, W, KH, KW, SH, SW, PH, PW, OH, OW, relu);
    }
    return;
  }
  const maxW = max(W, OW);
  const zrow = wsZero(ws);
  const spare = wsSpare(ws, maxW);
  const plan = wsPlan(ws, maxW);
  const tab = wsTab(ws, maxW);
  zero_floats(zrow, W + 8);
  // (stride 2 keeps 2*OH+1 row pointers and the bias vector where the workspace has room for
  // max(H, OH) + 16 pointers: huge padding takes the general path)
  // The strips walk down the plane column by column: on wide planes streamed from memory that
  // defeats the prefetchers, and the row-major general path is faster (measured: 3x3 stride 1
  // on 60-wide rows, stride 2 on 124-wide rows).
  if (KH == 3 && KW == 3 && SH == SW && W <= (SH == 1 ? 48 : 64) &&
    (SH == 1 || (SH == 2 && 2 * OH + 5 <= max(H, OH) + 16))) {
    fwd3_planes(x, w, bias, y, P, C, H, W, SH, PH, PW, OH, OW, relu, zrow, plan, tab,
      wsRows(ws, maxW, C, KH, KW));
    return;
  }
  const np = plan_fwd(plan, tab, OW, W, KW, SW, PW);
  const yRow = <usize>OW << 2;
  const xRow = <usize>W << 2;
  const R = SW == 1 ? 3 : 2;
  const nrows = (R - 1) * SH + KH;
  // Edge copies of a band of B output rows' input rows (at most FWD_EDGE_ROWS of them), the
  // row-group's table of copies at FWD_SROWS past its table of rows, both in the edge region.
  const B = R * 5;
  const nE = (B - 1) * SH + KH;
  const scr = fwdScr && nE <= FWD_EDGE_ROWS && nrows <= 40;
  const edgeBuf = wsEdge(ws, maxW, max(H, OH), C, KH, KW);
  const ezero = edgeBuf + <usize>FWD_EDGE_ROWS * EDGE_ROW;
  const rows = scr ? ezero + EDGE_ROW : wsRows(ws, maxW, C, KH, KW);
  if (scr) zero_floats(edgeBuf, <i32>((<usize>(FWD_EDGE_ROWS + 1) * EDGE_ROW) >> 2));
  let edge: usize = 0;
  for (let p = 0; p < P; p++) {
    const c = p % C;
    const xp = x + <usize>p * xPlane;
    const yp = y + <usize>p * yPlane;
    const wc = w + (<usize>(c * KK) << 2);
    const bv = f32x4.splat(bias ? load<f32>(bias + (<usize>c << 2)) : 0);
    for (let oh0 = 0; oh0 < OH; oh0 += R) {
      if (scr && oh0 % B == 0) {
        const ihb = oh0 * SH - PH;
        edge = edgeBuf - <usize>ihb * EDGE_ROW;
        build_edges(xp, edge, max(ihb, 0), min(H, ihb + nE), W);
      }
      // rows past the plane's end are computed into the spare row
      const y0 = yp + <usize>oh0 * yRow;
      const y1 = oh0 + 1 < OH ? y0 + yRow : spare;
      const y2 = oh0 + 2 < OH ? y0 + 2 * yRow : spare;
      const ih0 = oh0 * SH - PH;
      for (let t = 0; t < nrows; t++) {
        const ih = ih0 + t;
        store<usize>(rows + (<usize>t << 2), <u32>ih < <u32>H ? xp + <usize>ih * xRow : zrow);
        if (scr) store<usize>(rows + (<usize>t << 2), <u32>ih < <u32>H ? edge + <usize>ih * EDGE_ROW : ezero, FWD_SROWS);
      }
      if (scr) {
        if (SW == 1) fwd_rows_s1_scr(rows, wc, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
        else fwd_rows_s2_scr(rows, wc, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
      } else if (SW == 1) fwd_rows_s1(rows, wc, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
      else fwd_rows_s2(rows, wc, plan, np, tab, KH, KW, SH, PW, y0, y1, y2, bv, relu);
    }
  }
}

// ---- input gradient

/**
 * gx [P, H, W] from gy [P, OH, OW]. Stride 1 is the forward of gy with the flipped kernel and
 * padding K-1-P. Column stride 2: each block of 8 gx columns is two vectors, the even and the
 * odd columns, each a stride-1 correlation of gy with the taps of one parity; they are
 * interleaved at the store. Rows of a block share their residue mod SH, hence their taps.
 */
export function dw_bwd_input_planes(gy: usize, w: usize, gx: usize, P: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, ws: usize): void {
  const KK = KH * KW;
  if (SH == 1 && SW == 1) {
    const flip = wsFlip(ws, max(W, OW), C, KH, KW);
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < KK; t++) {
        store<f32>(flip + (<usize>(c * KK + KK - 1 - t) << 2), load<f32>(w + (<usize>(c * KK + t) << 2)));
      }
    }
    dw_fwd_planes(gy, flip, 0, gx, P, C, OH, OW, KH, KW, 1, 1, KH - 1 - PH, KW - 1 - PW, H, W, false, ws);
    return;
  }
  const xPlane = <usize>(H * W) << 2;
  const yPlane = <usize>(OH * OW) << 2;
  if (W < 8 || OW < 4) {
    for (let p = 0; p < P; p++) {
      bwd_input_plane_scalar(gy + <usize>p * yPlane, w + (<usize>((p % C) * KK) << 2), gx + <usize>p * xPlane,
        H, W, KH, KW, SH, SW, PH, PW, OH, OW);
    }
    return;
  }
  const maxW = max(W, OW);
  const zrow = wsZero(ws);
  const spare = wsSpare(ws, maxW);
  const plan = wsPlan(ws, maxW);
  const tab = wsTab(ws, maxW);
  zero_floats(zrow, OW + 8);
  if (KH == 3 && KW == 3 && SH == 2 && SW == 2 && PH == 1 && PW == 1 && W == 2 * OW) {
    // MobileNet's downsampling: strips of 4 gy columns, the last one at OW - 4
    for (let p = 0; p < P; p++) {
      const gyp = gy + <usize>p * yPlane;
      const gxp = gx + <usize>p * xPlane;
      const wc = w + (<usize>((p % C) * KK) << 2);
      for (let j = 0; ; j += 4) {
        const j0 = min(j, OW - 4);
        if (j0 + 4 < OW) bwdi3s2_strip_in(gyp, gxp, wc, zrow, H, W, OH, OW, j0);
        else bwdi3s2_strip_last(gyp, gxp, wc, zrow, H, W, OH, OW, j0);
        if (j0 + 4 >= OW) break;
      }
    }
    return;
  }
  const nb = plan_bwd_s2(plan, tab, W, OW, KW, PW);
  const xRow = <usize>W << 2;
  for (let p = 0; p < P; p++) {
    const gyp = gy + <usize>p * yPlane;
    const gxp = gx + <usize>p * xPlane;
    const wc = w + (<usize>((p % C) * KK) << 2);
    for (let rho = 0; rho < SH && rho < H; rho++) {
      const nr = (H - 1 - rho) / SH + 1;
      for (let r0 = 0; r0 < nr; r0 += 4) {
        const ih0 = rho + SH * r0;
        const x0 = gxp + <usize>ih0 * xRow;
        const x1 = r0 + 1 < nr ? x0 + <usize>SH * xRow : spare;
        const x2 = r0 + 2 < nr ? x0 + <usize>(2 * SH) * xRow : spare;
        const x3 = r0 + 3 < nr ? x0 + <usize>(3 * SH) * xRow : spare;
        for (let i = 0; i < nb; i++) {
          const pe = plan + (<usize>i << 4);
          const kind = (load<i32>(pe, 4) >= 0 ? 1 : 0) | (load<i32>(pe, 8) >= 0 ? 2 : 0);
          if (kind == 0) bwdi_cc(gyp, wc, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
          else if (kind == 1) bwdi_ec(gyp, wc, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
          else if (kind == 2) bwdi_ce(gyp, wc, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
          else bwdi_ee(gyp, wc, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
        }
      }
    }
  }
}

/** Stores even-column values e and odd-column values o interleaved at p (8 elements). */
// @ts-ignore: decorator
@inline function store_interleaved(p: usize, e: v128, o: v128): void {
  v128.store(p, i32x4.shuffle(e, o, 0, 4, 1, 5));
  v128.store(p, i32x4.shuffle(e, o, 2, 6, 3, 7), 16);
}

/**
 * 3x3, stride 2, padding 1 input gradient of one strip: gy columns j0..j0+3 (G, and G1 one to
 * the right: zero past the row's end when LAST) make gx columns 2*j0..2*j0+7, even ones from
 * kw = 1 and odd ones from kw = 2 (G) and kw = 0 (G1). Walking down gy rows m = 0..OH, row m
 * makes gx row 2m from kh = 1 and ends gx row 2m-1 (kh = 0) whose kh = 2 half came from row
 * m-1 (carried in ce, co): every gy vector feeds nine multiply-adds, taps in registers.
 */
// @ts-ignore: decorator
@inline function bwdi3s2_strip(LAST: bool, gy: usize, gx: usize, wc: usize, zrow: usize, H: i32,
  W: i32, OH: i32, OW: i32, j0: i32): void {
  const w0 = v128.load32_splat(wc); const w1 = v128.load32_splat(wc, 4); const w2 = v128.load32_splat(wc, 8);
  const w3 = v128.load32_splat(wc, 12); const w4 = v128.load32_splat(wc, 16); const w5 = v128.load32_splat(wc, 20);
  const w6 = v128.load32_splat(wc, 24); const w7 = v128.load32_splat(wc, 28); const w8 = v128.load32_splat(wc, 32);
  const gb = <usize>OW << 2;
  const xb = <usize>W << 2;
  const cg = <usize>j0 << 2;
  let px = gx + (<usize>j0 << 3);
  let ce = f32x4.splat(0);
  let co = ce;
  for (let m = 0; m <= OH; m++) {
    const g = m < OH ? gy + <usize>m * gb : zrow;
    const G = v128.load(g + cg);
    const G1 = LAST ? i32x4.shuffle(G, f32x4.splat(0), 1, 2, 3, 4) : v128.load(g + cg, 4);
    if (m > 0) {
      if (2 * m - 1 >= H) break;
      store_interleaved(px - xb, madd(w1, G, ce), madd(w0, G1, madd(w2, G, co)));
    }
    if (m < OH) store_interleaved(px, f32x4.mul(w4, G), madd(w3, G1, f32x4.mul(w5, G)));
    ce = f32x4.mul(w7, G);
    co = madd(w6, G1, f32x4.mul(w8, G));
    px += 2 * xb;
  }
}

function bwdi3s2_strip_in(gy: usize, gx: usize, wc: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, j0: i32): void {
  bwdi3s2_strip(false, gy, gx, wc, zrow, H, W, OH, OW, j0);
}
function bwdi3s2_strip_last(gy: usize, gx: usize, wc: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, j0: i32): void {
  bwdi3s2_strip(true, gy, gx, wc, zrow, H, W, OH, OW, j0);
}

/**
 * Column plan of the stride-2 input gradient: blocks of 8 gx columns at c0 = 0, 8, ..., the
 * last ending at W (needs W >= 8). Entry (16 bytes): c0 and, for the even-offset vector (gx
 * columns c0 + 2j) and the odd one, the byte offset of its edge entries (indexed by kw, taps of
 * its parity only) or -1 when all its gy loads stay inside the row. Needs OW >= 4.
 */
function plan_bwd_s2(plan: usize, tab: usize, W: i32, OW: i32, KW: i32, PW: i32): i32 {
  let nb = 0;
  let nt = 0;
  for (let c = 0; ; c += 8) {
    const c0 = c + 8 > W ? W - 8 : c;
    const pe = plan + (<usize>nb << 4);
    store<i32>(pe, c0);
    for (let v = 0; v < 2; v++) {
      const cv = c0 + v;
      const k0 = (cv + PW) & 1;
      let clean = true;
      for (let kw = k0; kw < KW; kw += 2) {
        const g = (cv + PW - kw) >> 1;
        if (g < 0 || g + 3 >= OW) clean = false;
      }
      const slot = pe + <usize>(4 + 4 * v);
      if (clean) {
        store<i32>(slot, -1);
      } else {
        const off = nt * KW * <i32>ENTRY;
        for (let kw = k0; kw < KW; kw += 2) {
          edge_entry(tab + <usize>off + <usize>kw * ENTRY, (cv + PW - kw) >> 1, 1, OW);
        }
        store<i32>(slot, off);
        nt++;
      }
    }
    nb++;
    if (c0 + 8 >= W) break;
  }
  return nb;
}

/**
 * gx rows ih0, ih0+SH, ih0+2SH, ih0+3SH x the 8 columns of the block at pe: per row an even-
 * and an odd-column accumulator. Row ih takes the taps kh = ih+PH (mod SH) from gy row
 * (ih+PH-kh)/SH; column c takes kw = c+PW (mod 2) from gy column (c+PW-kw)/2.
 */
// @ts-ignore: decorator
@inline function bwdi_block(EA: bool, EB: bool, gy: usize, w: usize, pe: usize, tab: usize,
  zrow: usize, OH: i32, OW: i32, KH: i32, KW: i32, SH: i32, PH: i32, PW: i32, ih0: i32, x0: usize,
  x1: usize, x2: usize, x3: usize): void {
  const c0 = load<i32>(pe);
  const ta = tab + <usize>load<i32>(pe, 4);
  const tb = tab + <usize>load<i32>(pe, 8);
  const ka = (c0 + PW) & 1;
  const kb = ka ^ 1;
  const ga = (c0 + PW - ka) >> 1;
  const gb = (c0 + 1 + PW - kb) >> 1;
  const rb = <usize>OW << 2;
  let a0 = f32x4.splat(0); let a1 = a0; let a2 = a0; let a3 = a0;
  let b0 = a0; let b1 = a0; let b2 = a0; let b3 = a0;
  for (let kh = (ih0 + PH) % SH; kh < KH; kh += SH) {
    const oh = (ih0 + PH - kh) / SH;
    const r0 = <u32>oh < <u32>OH ? gy + <usize>oh * rb : zrow;
    const r1 = <u32>(oh + 1) < <u32>OH ? gy + <usize>(oh + 1) * rb : zrow;
    const r2 = <u32>(oh + 2) < <u32>OH ? gy + <usize>(oh + 2) * rb : zrow;
    const r3 = <u32>(oh + 3) < <u32>OH ? gy + <usize>(oh + 3) * rb : zrow;
    const wr = w + (<usize>(kh * KW) << 2);
    const wend = wr + (<usize>KW << 2);
    // taps of one parity: gy columns step back one as kw steps two
    let wp = wr + (<usize>ka << 2);
    let e = ta + <usize>ka * ENTRY;
    let o = <usize>ga << 2;
    for (; wp < wend; wp += 8) {
      const wv = v128.load32_splat(wp);
      if (EA) {
        a0 = madd(wv, vec_edge(r0, e, 1), a0);
        a1 = madd(wv, vec_edge(r1, e, 1), a1);
        a2 = madd(wv, vec_edge(r2, e, 1), a2);
        a3 = madd(wv, vec_edge(r3, e, 1), a3);
      } else {
        a0 = madd(wv, v128.load(r0 + o), a0);
        a1 = madd(wv, v128.load(r1 + o), a1);
        a2 = madd(wv, v128.load(r2 + o), a2);
        a3 = madd(wv, v128.load(r3 + o), a3);
      }
      e += 2 * ENTRY;
      o -= 4;
    }
    wp = wr + (<usize>kb << 2);
    e = tb + <usize>kb * ENTRY;
    o = <usize>gb << 2;
    for (; wp < wend; wp += 8) {
      const wv = v128.load32_splat(wp);
      if (EB) {
        b0 = madd(wv, vec_edge(r0, e, 1), b0);
        b1 = madd(wv, vec_edge(r1, e, 1), b1);
        b2 = madd(wv, vec_edge(r2, e, 1), b2);
        b3 = madd(wv, vec_edge(r3, e, 1), b3);
      } else {
        b0 = madd(wv, v128.load(r0 + o), b0);
        b1 = madd(wv, v128.load(r1 + o), b1);
        b2 = madd(wv, v128.load(r2 + o), b2);
        b3 = madd(wv, v128.load(r3 + o), b3);
      }
      e += 2 * ENTRY;
      o -= 4;
    }
  }
  const o = <usize>c0 << 2;
  v128.store(x0 + o, i32x4.shuffle(a0, b0, 0, 4, 1, 5)); v128.store(x0 + o, i32x4.shuffle(a0, b0, 2, 6, 3, 7), 16);
  v128.store(x1 + o, i32x4.shuffle(a1, b1, 0, 4, 1, 5)); v128.store(x1 + o, i32x4.shuffle(a1, b1, 2, 6, 3, 7), 16);
  v128.store(x2 + o, i32x4.shuffle(a2, b2, 0, 4, 1, 5)); v128.store(x2 + o, i32x4.shuffle(a2, b2, 2, 6, 3, 7), 16);
  v128.store(x3 + o, i32x4.shuffle(a3, b3, 0, 4, 1, 5)); v128.store(x3 + o, i32x4.shuffle(a3, b3, 2, 6, 3, 7), 16);
}

function bwdi_cc(gy: usize, w: usize, pe: usize, tab: usize, zrow: usize, OH: i32, OW: i32, KH: i32,
  KW: i32, SH: i32, PH: i32, PW: i32, ih0: i32, x0: usize, x1: usize, x2: usize, x3: usize): void {
  bwdi_block(false, false, gy, w, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
}
function bwdi_ec(gy: usize, w: usize, pe: usize, tab: usize, zrow: usize, OH: i32, OW: i32, KH: i32,
  KW: i32, SH: i32, PH: i32, PW: i32, ih0: i32, x0: usize, x1: usize, x2: usize, x3: usize): void {
  bwdi_block(true, false, gy, w, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
}
function bwdi_ce(gy: usize, w: usize, pe: usize, tab: usize, zrow: usize, OH: i32, OW: i32, KH: i32,
  KW: i32, SH: i32, PH: i32, PW: i32, ih0: i32, x0: usize, x1: usize, x2: usize, x3: usize): void {
  bwdi_block(false, true, gy, w, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
}
function bwdi_ee(gy: usize, w: usize, pe: usize, tab: usize, zrow: usize, OH: i32, OW: i32, KH: i32,
  KW: i32, SH: i32, PH: i32, PW: i32, ih0: i32, x0: usize, x1: usize, x2: usize, x3: usize): void {
  bwdi_block(true, true, gy, w, pe, tab, zrow, OH, OW, KH, KW, SH, PH, PW, ih0, x0, x1, x2, x3);
}

/** One gx plane gathered element by element (planes too narrow for the vector plan). */
function bwd_input_plane_scalar(gyp: usize, wc: usize, gxp: usize, H: i32, W: i32, KH: i32, KW: i32,
  SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  for (let ih = 0; ih < H; ih++) {
    for (let iw = 0; iw < W; iw++) {
      let v: f32 = 0;
      for (let kh = 0; kh < KH; kh++) {
        const t = ih + PH - kh;
        if (t < 0) break;
        if (t % SH != 0 || t / SH >= OH) continue;
        const yr = gyp + (<usize>(t / SH * OW) << 2);
        for (let kw = 0; kw < KW; kw++) {
          const u = iw + PW - kw;
          if (u < 0) break;
          if (u % SW != 0 || u / SW >= OW) continue;
          v += load<f32>(wc + (<usize>(kh * KW + kw) << 2)) * load<f32>(yr + (<usize>(u / SW) << 2));
        }
      }
      store<f32>(gxp + (<usize>(ih * W + iw) << 2), v);
    }
  }
}

// ---- weight gradient: per channel, groups of taps summed in registers over all of gy

// Set by plan_bwdw: the columns [bwdwClo, bwdwChi) of whole vectors whose taps are all in the row.
let bwdwClo: i32 = 0;
let bwdwChi: i32 = 0;
// Set by plan_bwdw: some edge vectors read the rows' edge copies (built per plane at bwdwEdge).
let bwdwScr: bool = false;
let bwdwEdge: usize = 0;
let bwdwZero: usize = 0;
// The band of gy rows [bwdwOh0, bwdwOh1) the tap groups take.
let bwdwOh0: i32 = 0;
let bwdwOh1: i32 = 0;

/** Copies the first and last 16 elements of rows ih0..ih1-1 next to the zeros (row ih at
 * edge + ih * EDGE_ROW). */
function build_edges(xp: usize, edge: usize, ih0: i32, ih1: i32, W: i32): void {
  const rb = <usize>W << 2;
  for (let ih = ih0; ih < ih1; ih++) {
    const src = xp + <usize>ih * rb;
    const dst = edge + <usize>ih * EDGE_ROW;
    const end = src + rb - 64;
    v128.store(dst, v128.load(src), 32); v128.store(dst, v128.load(src, 16), 48);
    v128.store(dst, v128.load(src, 32), 64); v128.store(dst, v128.load(src, 48), 80);
    v128.store(dst, v128.load(end), 96); v128.store(dst, v128.load(end, 16), 112);
    v128.store(dst, v128.load(end, 32), 128); v128.store(dst, v128.load(end, 48), 144);
  }
}

/**
 * The weight gradient's column plan: output vectors at 0, 4, ..., 4*floor(OW/4) - 4, the clean
 * ones a range [bwdwClo, bwdwChi), the others in a list of 32-byte headers (ow0, byte offset of
 * its KW edge entries, byte offset of its loads in the rows' edge copies or -1 (when edges is
 * false or they reach past the copies), bit kw set when tap kw reads inside the row, lane mask of gy), plus one at OW - 4 whose mask
 * keeps only the columns no earlier vector summed. Returns the length of the list. Needs OW >= 4.
 */
function plan_bwdw(plan: usize, tab: usize, OW: i32, W: i32, KW: i32, SW: i32, PW: i32,
  edges: bool): i32 {
  let ne = 0;
  bwdwClo = 0;
  bwdwChi = 0;
  bwdwScr = false;
  const q = OW >> 2;
  for (let v = 0; v <= q; v++) {
    let ow0 = v << 2;
    let keep = 0;
    if (v == q) {
      if ((OW & 3) == 0) break;
      ow0 = OW - 4;
      keep = 4 - (OW & 3);
    } else if (vec_clean(ow0, SW, PW, KW, W)) {
      if (bwdwClo == bwdwChi) bwdwClo = ow0;
      bwdwChi = ow0 + 4;
      continue;
    }
    const h = plan + (<usize>ne << 5);
    const off = ne * KW * <i32>ENTRY;
    store<i32>(h, ow0);
    store<i32>(h, off, 4);
    // Taps that all read within 8 of a row end load from the row's edge copy (zeros past the end)
    // instead of swizzling; W >= 16 keeps the two copies inside the row.
    const iwlo = ow0 * SW - PW;
    const iwhi = iwlo + KW - 1 + (SW == 1 ? 3 : 6);
    let so = -1;
    if (!edges) so = -1;
    else if (W >= 16 && iwlo >= -8 && iwhi < 16) so = (iwlo + 8) << 2;
    else if (W >= 16 && iwlo >= W - 16 && iwhi < W + 8) so = 96 + ((iwlo - W + 16) << 2);
    store<i32>(h, so, 8);
    if (so >= 0) bwdwScr = true;
    // bit kw: tap kw's loads stay inside the row (the 3x3 plane kernels load it plainly)
    let cleanTaps = 0;
    for (let kw = 0; kw < min(KW, 32); kw++) {
      const iw = iwlo + kw;
      if (iw >= 0 && iw + (SW == 1 ? 3 : 6) < W) cleanTaps |= 1 << kw;
    }
    store<i32>(h, cleanTaps, 12);
    let mask = i32x4.splat(-1);
    if (keep > 0) mask = i32x4.replace_lane(mask, 0, 0);
    if (keep > 1) mask = i32x4.replace_lane(mask, 1, 0);
    if (keep > 2) mask = i32x4.replace_lane(mask, 2, 0);
    v128.store(h, mask, 16);
    for (let kw = 0; kw < KW; kw++) edge_entry(tab + <usize>off + <usize>kw * ENTRY, ow0 * SW - PW + kw, SW, W);
    ne++;
  }
  return ne;
}

// @ts-ignore: decorator
@inline function rowp(t: i32, r0: usize, r1: usize, r2: usize, r3: usize): usize {
  return t == 0 ? r0 : t == 1 ? r1 : t == 2 ? r2 : r3;
}

/** Slot k (tap row k / TW, column k % TW of the group) at a clean vector, o bytes into its row. */
// @ts-ignore: decorator
@inline function slot_in(k: i32, TW: i32, TH: i32, SW: i32, g: v128, acc: v128, r0: usize, r1: usize,
  r2: usize, r3: usize, o: usize): v128 {
  if (k >= TW * TH) return acc;
  return madd(g, vec_in(rowp(k / TW, r0, r1, r2, r3) + o + (<usize>(k % TW) << 2), SW), acc);
}

/**
 * Slot k at an edge vector whose entries for the group's first column start at te. The test
 * kw0 + k%TW < KW always holds, but V8 cannot know it: it ends the basic block, so V8 does not
 * issue every slot's loads (and swizzle indices) up front and run out of registers.
 */
// @ts-ignore: decorator
@inline function slot_edge(k: i32, TW: i32, TH: i32, SW: i32, g: v128, acc: v128, r0: usize,
  r1: usize, r2: usize, r3: usize, te: usize, kw0: i32, KW: i32): v128 {
  if (k >= TW * TH) return acc;
  if (kw0 + k % TW >= KW) return acc;
  return madd(g, vec_edge(rowp(k / TW, r0, r1, r2, r3), te + <usize>(k % TW) * ENTRY, SW), acc);
}

/** Adds slot k's sums into its tap's accumulator (columns below kwdone were summed already). */
// @ts-ignore: decorator
@inline function slot_flush(k: i32, TW: i32, TH: i32, a: v128, acc: usize, kh0: i32, kw0: i32,
  KW: i32, kwdone: i32): void {
  if (k >= TW * TH) return;
  const kw = kw0 + k % TW;
  if (kw < kwdone) return;
  const p = acc + (<usize>((kh0 + k / TW) * KW + kw) << 4);
  v128.store(p, f32x4.add(v128.load(p), a));
}

/**
 * Taps kh0..kh0+TH-1 x kw0..kw0+TW-1 (at most 10 slots) of one plane: each gy vector is loaded once
 * and meets the TH*TW shifted input vectors; the sums stay in registers for the whole plane and
 * then go to the channel's vector accumulators at acc.
 */
// @ts-ignore: decorator
@inline function bwdw_group(TW: i32, TH: i32, SW: i32, xp: usize, gyp: usize, acc: usize, plan: usize,
  ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32,
  PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  const clo = bwdwClo;
  const chi = bwdwChi;
  const rb = <usize>W << 2;
  let a0 = f32x4.splat(0); let a1 = a0; let a2 = a0; let a3 = a0; let a4 = a0;
  let a5 = a0; let a6 = a0; let a7 = a0; let a8 = a0; let a9 = a0;
  const ob = <usize>((clo * SW - PW + kw0) << 2);
  const step = <usize>(16 * SW);
  const te0 = tab + <usize>kw0 * ENTRY;
  const edge = bwdwEdge;
  const ezero = bwdwZero;
  for (let oh = bwdwOh0; oh < bwdwOh1; oh++) {
    const grow = gyp + (<usize>(oh * OW) << 2);
    const ih = oh * SH - PH + kh0;
    const r0 = <u32>ih < <u32>H ? xp + <usize>ih * rb : zrow;
    const r1 = TH > 1 && <u32>(ih + 1) < <u32>H ? xp + <usize>(ih + 1) * rb : zrow;
    const r2 = TH > 2 && <u32>(ih + 2) < <u32>H ? xp + <usize>(ih + 2) * rb : zrow;
    const r3 = TH > 3 && <u32>(ih + 3) < <u32>H ? xp + <usize>(ih + 3) * rb : zrow;
    let o = ob;
    for (let ow = clo; ow < chi; ow += 4) {
      const g = v128.load(grow + (<usize>ow << 2));
      a0 = slot_in(0, TW, TH, SW, g, a0, r0, r1, r2, r3, o);
      a1 = slot_in(1, TW, TH, SW, g, a1, r0, r1, r2, r3, o);
      a2 = slot_in(2, TW, TH, SW, g, a2, r0, r1, r2, r3, o);
      a3 = slot_in(3, TW, TH, SW, g, a3, r0, r1, r2, r3, o);
      a4 = slot_in(4, TW, TH, SW, g, a4, r0, r1, r2, r3, o);
      a5 = slot_in(5, TW, TH, SW, g, a5, r0, r1, r2, r3, o);
      a6 = slot_in(6, TW, TH, SW, g, a6, r0, r1, r2, r3, o);
      a7 = slot_in(7, TW, TH, SW, g, a7, r0, r1, r2, r3, o);
      a8 = slot_in(8, TW, TH, SW, g, a8, r0, r1, r2, r3, o);
      a9 = slot_in(9, TW, TH, SW, g, a9, r0, r1, r2, r3, o);
      o += step;
    }
    for (let e = 0; e < ne; e++) {
      const h = plan + (<usize>e << 5);
      const g = v128.and(v128.load(grow + (<usize>load<i32>(h) << 2)), v128.load(h, 16));
      const so = load<i32>(h, 8);
      if (so >= 0) {
        const s0 = <u32>ih < <u32>H ? edge + <usize>ih * EDGE_ROW : ezero;
        const s1 = TH > 1 && <u32>(ih + 1) < <u32>H ? edge + <usize>(ih + 1) * EDGE_ROW : ezero;
        const s2 = TH > 2 && <u32>(ih + 2) < <u32>H ? edge + <usize>(ih + 2) * EDGE_ROW : ezero;
        const s3 = TH > 3 && <u32>(ih + 3) < <u32>H ? edge + <usize>(ih + 3) * EDGE_ROW : ezero;
        const so0 = <usize>so + (<usize>kw0 << 2);
        a0 = slot_in(0, TW, TH, SW, g, a0, s0, s1, s2, s3, so0);
        a1 = slot_in(1, TW, TH, SW, g, a1, s0, s1, s2, s3, so0);
        a2 = slot_in(2, TW, TH, SW, g, a2, s0, s1, s2, s3, so0);
        a3 = slot_in(3, TW, TH, SW, g, a3, s0, s1, s2, s3, so0);
        a4 = slot_in(4, TW, TH, SW, g, a4, s0, s1, s2, s3, so0);
        a5 = slot_in(5, TW, TH, SW, g, a5, s0, s1, s2, s3, so0);
        a6 = slot_in(6, TW, TH, SW, g, a6, s0, s1, s2, s3, so0);
        a7 = slot_in(7, TW, TH, SW, g, a7, s0, s1, s2, s3, so0);
        a8 = slot_in(8, TW, TH, SW, g, a8, s0, s1, s2, s3, so0);
        a9 = slot_in(9, TW, TH, SW, g, a9, s0, s1, s2, s3, so0);
        continue;
      }
      const te = te0 + <usize>load<i32>(h, 4);
      a0 = slot_edge(0, TW, TH, SW, g, a0, r0, r1, r2, r3, te, kw0, KW);
      a1 = slot_edge(1, TW, TH, SW, g, a1, r0, r1, r2, r3, te, kw0, KW);
      a2 = slot_edge(2, TW, TH, SW, g, a2, r0, r1, r2, r3, te, kw0, KW);
      a3 = slot_edge(3, TW, TH, SW, g, a3, r0, r1, r2, r3, te, kw0, KW);
      a4 = slot_edge(4, TW, TH, SW, g, a4, r0, r1, r2, r3, te, kw0, KW);
      a5 = slot_edge(5, TW, TH, SW, g, a5, r0, r1, r2, r3, te, kw0, KW);
      a6 = slot_edge(6, TW, TH, SW, g, a6, r0, r1, r2, r3, te, kw0, KW);
      a7 = slot_edge(7, TW, TH, SW, g, a7, r0, r1, r2, r3, te, kw0, KW);
      a8 = slot_edge(8, TW, TH, SW, g, a8, r0, r1, r2, r3, te, kw0, KW);
      a9 = slot_edge(9, TW, TH, SW, g, a9, r0, r1, r2, r3, te, kw0, KW);
    }
  }
  slot_flush(0, TW, TH, a0, acc, kh0, kw0, KW, kwdone);
  slot_flush(1, TW, TH, a1, acc, kh0, kw0, KW, kwdone);
  slot_flush(2, TW, TH, a2, acc, kh0, kw0, KW, kwdone);
  slot_flush(3, TW, TH, a3, acc, kh0, kw0, KW, kwdone);
  slot_flush(4, TW, TH, a4, acc, kh0, kw0, KW, kwdone);
  slot_flush(5, TW, TH, a5, acc, kh0, kw0, KW, kwdone);
  slot_flush(6, TW, TH, a6, acc, kh0, kw0, KW, kwdone);
  slot_flush(7, TW, TH, a7, acc, kh0, kw0, KW, kwdone);
  slot_flush(8, TW, TH, a8, acc, kh0, kw0, KW, kwdone);
  slot_flush(9, TW, TH, a9, acc, kh0, kw0, KW, kwdone);
}

// Tap groups TW x TH: 3x2, 5x1, 7x1 and 1x4 (for one- and two-column kernels), and one tap row at a
// time for the rows left over. V8 issues a step's loads before its multiply-adds: accumulators +
// loads + the gy vector must fit 15 xmm registers.
function bwdw_g3x2_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(3, 2, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g3x1_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(3, 1, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g5x1_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(5, 1, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g7x1_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(7, 1, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g1x4_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(1, 4, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g1x1_s1(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(1, 1, 1, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g3x2_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(3, 2, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g3x1_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(3, 1, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g5x1_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(5, 1, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g7x1_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(7, 1, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g1x4_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(1, 4, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}
function bwdw_g1x1_s2(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32, kh0: i32, kw0: i32, kwdone: i32): void {
  bwdw_group(1, 1, 2, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
}

/** Runs tap group (TW, TH) — TH 1 or the group's full height — at (kh0, kw0) of one plane. */
function bwdw_run(TW: i32, full: bool, SW: i32, xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32,
  tab: usize, zrow: usize, H: i32, W: i32, OH: i32, OW: i32, KW: i32, SH: i32, PH: i32, PW: i32,
  kh0: i32, kw0: i32, kwdone: i32): void {
  if (SW == 1) {
    if (TW == 3) {
      if (full) bwdw_g3x2_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
      else bwdw_g3x1_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else if (TW == 5) {
      bwdw_g5x1_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else if (TW == 7) {
      bwdw_g7x1_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else {
      if (full) bwdw_g1x4_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
      else bwdw_g1x1_s1(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    }
  } else {
    if (TW == 3) {
      if (full) bwdw_g3x2_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
      else bwdw_g3x1_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else if (TW == 5) {
      bwdw_g5x1_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else if (TW == 7) {
      bwdw_g7x1_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    } else {
      if (full) bwdw_g1x4_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
      else bwdw_g1x1_s2(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, kw0, kwdone);
    }
  }
}

/**
 * 3x3 stride-1 weight gradient of one plane: each input row meets the three gy rows it serves
 * (tap row kh pairs x row ih with gy row ih + PH - kh, the zero row outside), so a column step
 * loads 3 x and 3 gy vectors for 9 multiply-adds into the 9 tap sums (15 registers).
 */
function bwdw3_plane(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize,
  zrow: usize, H: i32, W: i32, OH: i32, OW: i32, PH: i32, PW: i32): void {
  const clo = bwdwClo;
  const chi = bwdwChi;
  const rb = <usize>W << 2;
  const gb = <usize>OW << 2;
  let a0 = f32x4.splat(0); let a1 = a0; let a2 = a0; let a3 = a0; let a4 = a0;
  let a5 = a0; let a6 = a0; let a7 = a0; let a8 = a0;
  for (let ih = 0; ih < H; ih++) {
    const xr = xp + <usize>ih * rb;
    const oh = ih + PH;
    const g0 = <u32>oh < <u32>OH ? gyp + <usize>oh * gb : zrow;
    const g1 = <u32>(oh - 1) < <u32>OH ? gyp + <usize>(oh - 1) * gb : zrow;
    const g2 = <u32>(oh - 2) < <u32>OH ? gyp + <usize>(oh - 2) * gb : zrow;
    let px = xr + <usize>((clo - PW) << 2);
    let go = <usize>clo << 2;
    const gend = <usize>chi << 2;
    for (; go < gend; go += 16) {
      const x0 = v128.load(px); const x1 = v128.load(px, 4); const x2 = v128.load(px, 8);
      if (ASC_FEATURE_RELAXED_SIMD) {
        const v0 = v128.load(g0 + go); const v1 = v128.load(g1 + go); const v2 = v128.load(g2 + go);
        a0 = madd(v0, x0, a0); a1 = madd(v0, x1, a1); a2 = madd(v0, x2, a2);
        a3 = madd(v1, x0, a3); a4 = madd(v1, x1, a4); a5 = madd(v1, x2, a5);
        a6 = madd(v2, x0, a6); a7 = madd(v2, x1, a7); a8 = madd(v2, x2, a8);
      } else {
        // mul + add needs a temporary: one gy vector per basic block (the never-taken exits
        // end them, so V8 does not load all three up front and spill)
        const v0 = v128.load(g0 + go);
        a0 = madd(v0, x0, a0); a1 = madd(v0, x1, a1); a2 = madd(v0, x2, a2);
        if (px == 0) break;
        const v1 = v128.load(g1 + go);
        a3 = madd(v1, x0, a3); a4 = madd(v1, x1, a4); a5 = madd(v1, x2, a5);
        if (px == 0) break;
        const v2 = v128.load(g2 + go);
        a6 = madd(v2, x0, a6); a7 = madd(v2, x1, a7); a8 = madd(v2, x2, a8);
      }
      px += 16;
    }
    for (let e = 0; e < ne; e++) {
      const h = plan + (<usize>e << 5);
      const o = <usize>load<i32>(h) << 2;
      const te = tab + <usize>load<i32>(h, 4);
      const m = v128.load(h, 16);
      const iw0 = load<i32>(h) - PW;
      const x0 = hdr_x(1, h, xr, iw0, te, 0); const x1 = hdr_x(1, h, xr, iw0, te, 1); const x2 = hdr_x(1, h, xr, iw0, te, 2);
      const v0 = v128.and(v128.load(g0 + o), m);
      const v1 = v128.and(v128.load(g1 + o), m);
      const v2 = v128.and(v128.load(g2 + o), m);
      a0 = madd(v0, x0, a0); a1 = madd(v0, x1, a1); a2 = madd(v0, x2, a2);
      a3 = madd(v1, x0, a3); a4 = madd(v1, x1, a4); a5 = madd(v1, x2, a5);
      a6 = madd(v2, x0, a6); a7 = madd(v2, x1, a7); a8 = madd(v2, x2, a8);
    }
  }
  v128.store(acc, f32x4.add(v128.load(acc), a0)); v128.store(acc, f32x4.add(v128.load(acc, 16), a1), 16);
  v128.store(acc, f32x4.add(v128.load(acc, 32), a2), 32); v128.store(acc, f32x4.add(v128.load(acc, 48), a3), 48);
  v128.store(acc, f32x4.add(v128.load(acc, 64), a4), 64); v128.store(acc, f32x4.add(v128.load(acc, 80), a5), 80);
  v128.store(acc, f32x4.add(v128.load(acc, 96), a6), 96); v128.store(acc, f32x4.add(v128.load(acc, 112), a7), 112);
  v128.store(acc, f32x4.add(v128.load(acc, 128), a8), 128);
}

/** Tap k of an edge header h's vector in row xr (first tap's column iw0): a plain load when
 * the tap stays inside the row, else through its edge entry at te. */
// @ts-ignore: decorator
@inline function hdr_x(SW: i32, h: usize, xr: usize, iw0: i32, te: usize, k: i32): v128 {
  if (load<i32>(h, 12) & (1 << k)) {
    const p = xr + <usize>((iw0 + k) << 2);
    return vec_in(p, SW);
  }
  return vec_edge(xr, te + <usize>k * ENTRY, SW);
}

/** Row r's three stride-2 tap vectors a[0,2,4,6], a[1,3,5,7], a[2,4,6,8] from p = &a[0]. */
// @ts-ignore: decorator
@inline function s2_x(p: usize, k: i32): v128 {
  if (k == 0) return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  if (k == 1) return i32x4.shuffle(v128.load(p), v128.load(p, 16), 1, 3, 5, 7);
  return i32x4.shuffle(v128.load(p, 8), v128.load(p, 20), 0, 2, 5, 7);
}

/**
 * 3x3 stride-2 weight gradient of one plane, input row by input row: row ih serves tap rows 0
 * and 2 (gy rows (ih+PH)/2 and one above) when ih+PH is even, else tap row 1; its three tap
 * vectors are built once (four loads, three shuffles) and meet one or two gy vectors.
 */
function bwdw3s2_plane(xp: usize, gyp: usize, acc: usize, plan: usize, ne: i32, tab: usize,
  zrow: usize, H: i32, W: i32, OH: i32, OW: i32, PH: i32, PW: i32): void {
  const clo = bwdwClo;
  const chi = bwdwChi;
  const rb = <usize>W << 2;
  const gb = <usize>OW << 2;
  let a0 = f32x4.splat(0); let a1 = a0; let a2 = a0; let a3 = a0; let a4 = a0;
  let a5 = a0; let a6 = a0; let a7 = a0; let a8 = a0;
  const gend = <usize>chi << 2;
  for (let ih = 0; ih < H; ih++) {
    const xr = xp + <usize>ih * rb;
    const t = ih + PH;
    if ((t & 1) == 0) {
      const oh = t >> 1;
      const g0 = <u32>oh < <u32>OH ? gyp + <usize>oh * gb : zrow;
      const g2 = <u32>(oh - 1) < <u32>OH ? gyp + <usize>(oh - 1) * gb : zrow;
      let px = xr + <usize>((2 * clo - PW) << 2);
      for (let go = <usize>clo << 2; go < gend; go += 16) {
        const x0 = s2_x(px, 0); const x1 = s2_x(px, 1); const x2 = s2_x(px, 2);
        const v0 = v128.load(g0 + go); const v2 = v128.load(g2 + go);
        a0 = madd(v0, x0, a0); a1 = madd(v0, x1, a1); a2 = madd(v0, x2, a2);
        a6 = madd(v2, x0, a6); a7 = madd(v2, x1, a7); a8 = madd(v2, x2, a8);
        px += 32;
      }
      for (let e = 0; e < ne; e++) {
        const h = plan + (<usize>e << 5);
        const o = <usize>load<i32>(h) << 2;
        const te = tab + <usize>load<i32>(h, 4);
        const m = v128.load(h, 16);
        const iw0 = load<i32>(h) * 2 - PW;
        const x0 = hdr_x(2, h, xr, iw0, te, 0); const x1 = hdr_x(2, h, xr, iw0, te, 1); const x2 = hdr_x(2, h, xr, iw0, te, 2);
        const v0 = v128.and(v128.load(g0 + o), m);
        const v2 = v128.and(v128.load(g2 + o), m);
        a0 = madd(v0, x0, a0); a1 = madd(v0, x1, a1); a2 = madd(v0, x2, a2);
        a6 = madd(v2, x0, a6); a7 = madd(v2, x1, a7); a8 = madd(v2, x2, a8);
      }
    } else {
      const oh = (t - 1) >> 1;
      if (<u32>oh >= <u32>OH) continue;
      const g1 = gyp + <usize>oh * gb;
      let px = xr + <usize>((2 * clo - PW) << 2);
      for (let go = <usize>clo << 2; go < gend; go += 16) {
        const x0 = s2_x(px, 0); const x1 = s2_x(px, 1); const x2 = s2_x(px, 2);
        const v1 = v128.load(g1 + go);
        a3 = madd(v1, x0, a3); a4 = madd(v1, x1, a4); a5 = madd(v1, x2, a5);
        px += 32;
      }
      for (let e = 0; e < ne; e++) {
        const h = plan + (<usize>e << 5);
        const o = <usize>load<i32>(h) << 2;
        const te = tab + <usize>load<i32>(h, 4);
        const iw0 = load<i32>(h) * 2 - PW;
        const x0 = hdr_x(2, h, xr, iw0, te, 0); const x1 = hdr_x(2, h, xr, iw0, te, 1); const x2 = hdr_x(2, h, xr, iw0, te, 2);
        const v1 = v128.and(v128.load(g1 + o), v128.load(h, 16));
        a3 = madd(v1, x0, a3); a4 = madd(v1, x1, a4); a5 = madd(v1, x2, a5);
      }
    }
  }
  v128.store(acc, f32x4.add(v128.load(acc), a0)); v128.store(acc, f32x4.add(v128.load(acc, 16), a1), 16);
  v128.store(acc, f32x4.add(v128.load(acc, 32), a2), 32); v128.store(acc, f32x4.add(v128.load(acc, 48), a3), 48);
  v128.store(acc, f32x4.add(v128.load(acc, 64), a4), 64); v128.store(acc, f32x4.add(v128.load(acc, 80), a5), 80);
  v128.store(acc, f32x4.add(v128.load(acc, 96), a6), 96); v128.store(acc, f32x4.add(v128.load(acc, 112), a7), 112);
  v128.store(acc, f32x4.add(v128.load(acc, 128), a8), 128);
}

/**
 * gw [C, KH, KW] = sum over n, oh, ow of gy[n, c] * x[n, c] at the tap (dilation 1, column stride
 * 1 or 2); overwrites gw. Per channel the taps go in groups (TW x TH: 3x2, 5x1, 7x1, 1x4;
 * the last column group may overlap the one before, leftover tap rows go one at a time).
 */
export function dw_bwd_weight_planes(x: usize, gy: usize, gw: usize, N: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, ws: usize): void {
  const KK = KH * KW;
  const xPlane = <usize>(H * W) << 2;
  const yPlane = <usize>(OH * OW) << 2;
  if (OW < 4 || W < 4 * SW) {
    bwd_weight_scalar(x, gy, gw, N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW);
    return;
  }
  const maxW = max(W, OW);
  const zrow = wsZero(ws);
  const plan = wsPlan(ws, maxW);
  const tab = wsTab(ws, maxW);
  const accs = wsAcc(ws, maxW, KW);
  zero_floats(zrow, maxW + 8);
  const k3s1 = KH == 3 && KW == 3 && SH == 1 && SW == 1;
  const k3s2 = KH == 3 && KW == 3 && SH == 2 && SW == 2;
  const ne = plan_bwdw(plan, tab, OW, W, KW, SW, PW, !k3s1 && !k3s2 && SH <= 2 && KH <= 9);
  const edgeBuf = wsEdge(ws, maxW, max(H, OH), C, KH, KW);
  const nEdge = (BAND - 1) * SH + KH;
  const useEdge = bwdwScr;
  if (useEdge) zero_floats(edgeBuf, <i32>((<usize>(nEdge + 1) * EDGE_ROW) >> 2));
  bwdwZero = edgeBuf + <usize>nEdge * EDGE_ROW;
  const TW = KW >= 7 ? 7 : KW >= 5 ? 5 : KW >= 3 ? 3 : 1;
  const TH = TW == 3 ? 2 : TW == 1 ? 4 : 1;
  // Images outer, channels inner: the planes stream through memory in order; each channel's
  // tap sums stay vectors in acc until the end.
  zero_floats(accs, C * KK * 4);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const pi = n * C + c;
      const xp = x + <usize>pi * xPlane;
      const gyp = gy + <usize>pi * yPlane;
      const acc = accs + (<usize>(c * KK) << 4);
      if (k3s2) {
        bwdw3s2_plane(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, PH, PW);
        continue;
      }
      if (k3s1) {
        bwdw3_plane(xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, PH, PW);
        continue;
      }
      for (let oh0 = 0; oh0 < OH; oh0 += BAND) {
        bwdwOh0 = oh0;
        bwdwOh1 = min(OH, oh0 + BAND);
        if (useEdge) {
          // the band's x rows; row ih's copy at bwdwEdge + ih * EDGE_ROW (usize wraps)
          const ihb = oh0 * SH - PH;
          bwdwEdge = edgeBuf - <usize>ihb * EDGE_ROW;
          build_edges(xp, bwdwEdge, max(ihb, 0), min(H, ihb + nEdge), W);
        }
        let kwdone = 0;
        for (let kw0 = 0; kwdone < KW; kw0 += TW) {
          const k0 = min(kw0, KW - TW);
          let kh0 = 0;
          for (; kh0 + TH <= KH; kh0 += TH) {
            bwdw_run(TW, true, SW, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, k0, kwdone);
          }
          for (; kh0 < KH; kh0++) {
            bwdw_run(TW, false, SW, xp, gyp, acc, plan, ne, tab, zrow, H, W, OH, OW, KW, SH, PH, PW, kh0, k0, kwdone);
          }
          kwdone = k0 + TW;
        }
      }
    }
  }
  for (let t = 0; t < C * KK; t++) store<f32>(gw + (<usize>t << 2), hsum(v128.load(accs + (<usize>t << 4))));
}

/** The weight gradient element by element (planes too narrow for the vector plan). */
function bwd_weight_scalar(x: usize, gy: usize, gw: usize, N: i32, C: i32, H: i32, W: i32, KH: i32,
  KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        let v: f32 = 0;
        for (let n = 0; n < N; n++) {
          const pi = n * C + c;
          const xp = x + (<usize>pi * <usize>(H * W) << 2);
          const gyp = gy + (<usize>pi * <usize>(OH * OW) << 2);
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH - PH + kh;
            if (<u32>ih >= <u32>H) continue;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * SW - PW + kw;
              if (<u32>iw >= <u32>W) continue;
              v += load<f32>(gyp + (<usize>(oh * OW + ow) << 2)) * load<f32>(xp + (<usize>(ih * W + iw) << 2));
            }
          }
        }
        store<f32>(gw + (<usize>((c * KH + kh) * KW + kw) << 2), v);
      }
    }
  }
}
