// Pooling on NCHW activations: max (with arg-max indices for the backward), average, and global
// average. Every (n, c) plane is independent; windows follow PyTorch's floor-mode geometry. The
// 2x2 stride-2 unpadded window (the common max pool) has its own SIMD path; other max pools run
// four outputs per vector; average pools other than 2x2 s2 are scalar.
// Tests: test/assembly/pool.test.ts against test/ref/pool.ts. Bench: `simdgrad bench` (bench/shapes.ts).

import { fill_span, sum_span_f64 } from "./elementwise";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// @ts-ignore: decorator
@inline function is_k2s2(KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32): bool {
  return KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0;
}

// ---- max pool

/**
 * One output of a max pool over rows [hs, he) x columns [ws, we) of a plane of width W:
 * the first maximum in row-major order wins and a NaN always wins, as in PyTorch. Scalar, for
 * the last (up to 3) outputs of a row in the 2x2 path.
 */
// @ts-ignore: decorator
@inline function max_window(x: usize, W: i32, hs: i32, he: i32, ws: i32, we: i32, y: usize,
  argmax: usize): void {
  let bi = hs * W + ws;
  let best = load<f32>(at(x, bi));
  for (let ih = hs; ih < he; ih++) {
    const row = ih * W;
    for (let iw = ws; iw < we; iw++) {
      const v = load<f32>(at(x, row + iw));
      if (v > best || v != v) {
        best = v;
        bi = row + iw;
      }
    }
  }
  store<f32>(y, best);
  store<i32>(argmax, bi);
}

/**
 * 2x2 stride 2, no padding: four outputs per step from two 8-float row loads. The even and odd
 * columns are split by shuffles, then the four candidates are merged in PyTorch's order
 * (top-left, top-right, bottom-left, bottom-right) with a strict > so the first maximum wins.
 * 2*ow + 7 <= 2*OW - 1 <= W - 1 keeps the loads inside the row; leftover outputs go scalar.
 */
function maxpool_plane_k2s2(x: usize, y: usize, argmax: usize, W: i32, OH: i32, OW: i32): void {
  const one = i32x4.splat(1);
  const down = i32x4.splat(W);
  const lane2 = i32x4(0, 2, 4, 6);
  for (let oh = 0; oh < OH; oh++) {
    const top = 2 * oh * W;
    const r0 = at(x, top);
    const r1 = at(x, top + W);
    const yr = at(y, oh * OW);
    const ar = at(argmax, oh * OW);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const c = <usize>ow << 3;
      const a0 = v128.load(r0 + c);
      const b0 = v128.load(r0 + c, 16);
      const a1 = v128.load(r1 + c);
      const b1 = v128.load(r1 + c, 16);
      const i00 = i32x4.add(i32x4.splat(top + 2 * ow), lane2);
      let best = i32x4.shuffle(a0, b0, 0, 2, 4, 6);
      let idx = i00;
      let v = i32x4.shuffle(a0, b0, 1, 3, 5, 7);
      let win = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, win);
      idx = v128.bitselect(i32x4.add(i00, one), idx, win);
      const i10 = i32x4.add(i00, down);
      v = i32x4.shuffle(a1, b1, 0, 2, 4, 6);
      win = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, win);
      idx = v128.bitselect(i10, idx, win);
      v = i32x4.shuffle(a1, b1, 1, 3, 5, 7);
      win = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, win);
      idx = v128.bitselect(i32x4.add(i10, one), idx, win);
      v128.store(yr + (<usize>ow << 2), best);
      v128.store(ar + (<usize>ow << 2), idx);
    }
    for (; ow < OW; ow++) {
      max_window(x, W, 2 * oh, 2 * oh + 2, 2 * ow, 2 * ow + 2, at(yr, ow), at(ar, ow));
    }
  }
}

/** x[i], x[i + S], x[i + 2S], x[i + 3S]; reads nothing past x[i + 3S]. */
// @ts-ignore: decorator
@inline function load_strided(x: usize, i: i32, S: i32): v128 {
  const p = at(x, i);
  if (S == 1) return v128.load(p);
  if (S == 2) return i32x4.shuffle(v128.load(p), v128.load(p, 12), 0, 2, 5, 7);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(at(p, S)));
  v = f32x4.replace_lane(v, 2, load<f32>(at(p, 2 * S)));
  return f32x4.replace_lane(v, 3, load<f32>(at(p, 3 * S)));
}

/** As load_strided, but a lane whose column c0 + l*S is outside [0, W) reads -inf, not x. */
// @ts-ignore: decorator
@inline function load_strided_guarded(x: usize, row: i32, c0: i32, S: i32, W: i32): v128 {
  const ninf = -Infinity as f32;
  const c1 = c0 + S;
  const c2 = c1 + S;
  const c3 = c2 + S;
  let v = f32x4.splat(<u32>c0 < <u32>W ? load<f32>(at(x, row + c0)) : ninf);
  v = f32x4.replace_lane(v, 1, <u32>c1 < <u32>W ? load<f32>(at(x, row + c1)) : ninf);
  v = f32x4.replace_lane(v, 2, <u32>c2 < <u32>W ? load<f32>(at(x, row + c2)) : ninf);
  return f32x4.replace_lane(v, 3, <u32>c3 < <u32>W ? load<f32>(at(x, row + c3)) : ninf);
}

/** Stores the first n (1..3) lanes of v at p. */
// @ts-ignore: decorator
@inline function store_lanes(p: usize, v: v128, n: i32): void {
  store<i32>(p, i32x4.extract_lane(v, 0));
  if (n > 1) store<i32>(p, i32x4.extract_lane(v, 1), 4);
  if (n > 2) store<i32>(p, i32x4.extract_lane(v, 2), 8);
}

/**
 * Any kernel, stride and padding, four output columns at a time (one lane each): the window
 * cells are visited in row-major order and merged by PyTorch's rule (strict >, NaN wins), from
 * -inf with the index of each window's first cell inside the plane. Rows are clipped to the
 * plane; columns are clipped by reading -inf outside it, except in blocks whose windows all lie
 * inside the row, which load directly. 3x3 s2 p1 on [64,64,24,24], random input: 20 ms with a
 * scalar loop per output (mispredicted compares), 3.8 ms this way (Node 20, one core,
 * maxPool2dForward median of 30 after 20 warm-up calls, 2026-11-25).
 */
function maxpool_plane(x: usize, y: usize, argmax: usize, H: i32, W: i32, KH: i32, KW: i32,
  SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  // Inside columns: ow * SW - PW >= 0 and ow * SW - PW + KW <= W.
  const owLo = (PW + SW - 1) / SW;
  const span = W + PW - KW;
  const owHi = span < 0 ? 0 : span / SW + 1;
  const laneStep = i32x4(0, SW, 2 * SW, 3 * SW);
  const ninf = f32x4.splat(-Infinity);
  for (let oh = 0; oh < OH; oh++) {
    const h0 = oh * SH - PH;
    const hs = max(h0, 0);
    const he = min(h0 + KH, H);
    const yr = at(y, oh * OW);
    const ar = at(argmax, oh * OW);
    for (let ow = 0; ow < OW; ow += 4) {
      const inside = ow >= owLo && ow + 4 <= owHi;
      const w0 = ow * SW - PW;
      let best = ninf;
      let idx = i32x4.add(i32x4.max_s(i32x4.add(i32x4.splat(w0), laneStep), i32x4.splat(0)),
        i32x4.splat(hs * W));
      for (let ih = hs; ih < he; ih++) {
        const row = ih * W;
        for (let kw = 0; kw < KW; kw++) {
          const c = w0 + kw;
          const v = inside ? load_strided(x, row + c, SW) : load_strided_guarded(x, row, c, SW, W);
          const win = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, win);
          idx = v128.bitselect(i32x4.add(i32x4.splat(row + c), laneStep), idx, win);
        }
      }
      if (ow + 4 <= OW) {
        v128.store(at(yr, ow), best);
        v128.store(at(ar, ow), idx);
      } else {
        store_lanes(at(yr, ow), best, OW - ow);
        store_lanes(at(ar, ow), idx, OW - ow);
      }
    }
  }
}

/**
 * y[n, c] = max over each KHxKW window (stride SH, SW; padding PH, PW counts as -inf);
 * argmax[n, c, oh, ow] = ih * W + iw of the winner within its plane, stored as i32.
 * Padding must be at most half the kernel (PyTorch's rule), so no window lies wholly in padding.
 */
export function maxpool2d_fwd_nchw(x: usize, y: usize, argmax: usize, N: i32, C: i32, H: i32,
  W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  const inPlane = H * W;
  const outPlane = OH * OW;
  const fast = is_k2s2(KH, KW, SH, SW, PH, PW);
  for (let p = 0; p < N * C; p++) {
    const xp = at(x, p * inPlane);
    const yp = at(y, p * outPlane);
    const ap = at(argmax, p * outPlane);
    if (fast) {
      maxpool_plane_k2s2(xp, yp, ap, W, OH, OW);
    } else {
      maxpool_plane(xp, yp, ap, H, W, KH, KW, SH, SW, PH, PW, OH, OW);
    }
  }
}

/**
 * gradIn = 0, then gradIn[n, c, argmax[o]] += gradOut[n, c, o] (overlapping windows can pick the
 * same input). An index outside [0, H*W) is skipped, so a bad argmax cannot write out of place.
 */
export function maxpool2d_bwd_nchw(gradOut: usize, argmax: usize, gradIn: usize, N: i32, C: i32,
  H: i32, W: i32, OH: i32, OW: i32): void {
  const inPlane = H * W;
  const outPlane = OH * OW;
  for (let p = 0; p < N * C; p++) {
    const gi = at(gradIn, p * inPlane);
    const go = at(gradOut, p * outPlane);
    const ap = at(argmax, p * outPlane);
    fill_span(gi, 0, inPlane);
    for (let o = 0; o < outPlane; o++) {
      const j = load<i32>(at(ap, o));
      if (<u32>j < <u32>inPlane) {
        const d = at(gi, j);
        store<f32>(d, load<f32>(d) + load<f32>(at(go, o)));
      }
    }
  }
}

// ---- average pool

/**
 * PyTorch's divisor for one window starting at (h0, w0): with countIncludePad the window clipped
 * to the padded input, otherwise only the cells inside the plane.
 */
// @ts-ignore: decorator
@inline function avg_divisor(h0: i32, w0: i32, H: i32, W: i32, KH: i32, KW: i32, PH: i32, PW: i32,
  countIncludePad: i32): f32 {
  if (countIncludePad) {
    return <f32>((min(h0 + KH, H + PH) - h0) * (min(w0 + KW, W + PW) - w0));
  }
  return <f32>((min(h0 + KH, H) - max(h0, 0)) * (min(w0 + KW, W) - max(w0, 0)));
}

/** 2x2 stride 2, no padding: four outputs per step, summed in PyTorch's order, then / 4. */
function avgpool_plane_k2s2(x: usize, y: usize, W: i32, OH: i32, OW: i32): void {
  const quarter = f32x4.splat(0.25);
  for (let oh = 0; oh < OH; oh++) {
    const r0 = at(x, 2 * oh * W);
    const r1 = at(x, (2 * oh + 1) * W);
    const yr = at(y, oh * OW);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const c = <usize>ow << 3;
      const a0 = v128.load(r0 + c);
      const b0 = v128.load(r0 + c, 16);
      const a1 = v128.load(r1 + c);
      const b1 = v128.load(r1 + c, 16);
      let s = f32x4.add(i32x4.shuffle(a0, b0, 0, 2, 4, 6), i32x4.shuffle(a0, b0, 1, 3, 5, 7));
      s = f32x4.add(s, i32x4.shuffle(a1, b1, 0, 2, 4, 6));
      s = f32x4.add(s, i32x4.shuffle(a1, b1, 1, 3, 5, 7));
      v128.store(yr + (<usize>ow << 2), f32x4.mul(s, quarter));
    }
    for (; ow < OW; ow++) {
      const c = 2 * ow;
      const s = load<f32>(at(r0, c)) + load<f32>(at(r0, c + 1)) + load<f32>(at(r1, c)) +
        load<f32>(at(r1, c + 1));
      store<f32>(at(yr, ow), s * 0.25);
    }
  }
}

/**
 * y[n, c] = mean over each KHxKW window (stride SH, SW; zero padding PH, PW). The divisor is
 * KH*KW when countIncludePad (PyTorch's default), else the number of cells inside the plane.
 */
export function avgpool2d_fwd_nchw(x: usize, y: usize, N: i32, C: i32, H: i32, W: i32, KH: i32,
  KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, countIncludePad: i32): void {
  const inPlane = H * W;
  const outPlane = OH * OW;
  const fast = is_k2s2(KH, KW, SH, SW, PH, PW);
  for (let p = 0; p < N * C; p++) {
    const xp = at(x, p * inPlane);
    const yp = at(y, p * outPlane);
    if (fast) {
      avgpool_plane_k2s2(xp, yp, W, OH, OW);
      continue;
    }
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - PH;
      const hs = max(h0, 0);
      const he = min(h0 + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - PW;
        const ws = max(w0, 0);
        const we = min(w0 + KW, W);
        let s: f32 = 0;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) s += load<f32>(at(xp, ih * W + iw));
        }
        const div = avg_divisor(h0, w0, H, W, KH, KW, PH, PW, countIncludePad);
        store<f32>(at(yp, oh * OW + ow), s / div);
      }
    }
  }
}

/**
 * 2x2 stride 2, no padding: each input cell belongs to at most one window, so gradIn is written
 * once: gradOut / 4 duplicated across each pair of columns of both rows; a last odd row or column
 * is in no window and stays 0.
 */
function avgpool_bwd_plane_k2s2(gradOut: usize, gradIn: usize, H: i32, W: i32, OH: i32,
  OW: i32): void {
  const quarter = f32x4.splat(0.25);
  fill_span(gradIn, 0, H * W);
  for (let oh = 0; oh < OH; oh++) {
    const r0 = at(gradIn, 2 * oh * W);
    const r1 = at(gradIn, (2 * oh + 1) * W);
    const gr = at(gradOut, oh * OW);
    let ow = 0;
    for (; ow + 4 <= OW; ow += 4) {
      const g = f32x4.mul(v128.load(gr + (<usize>ow << 2)), quarter);
      const lo = i32x4.shuffle(g, g, 0, 0, 1, 1);
      const hi = i32x4.shuffle(g, g, 2, 2, 3, 3);
      const c = <usize>ow << 3;
      v128.store(r0 + c, lo);
      v128.store(r0 + c, hi, 16);
      v128.store(r1 + c, lo);
      v128.store(r1 + c, hi, 16);
    }
    for (; ow < OW; ow++) {
      const g = load<f32>(at(gr, ow)) * 0.25;
      const c = 2 * ow;
      store<f32>(at(r0, c), g);
      store<f32>(at(r0, c + 1), g);
      store<f32>(at(r1, c), g);
      store<f32>(at(r1, c + 1), g);
    }
  }
}

/** gradIn = 0, then each gradOut / divisor (as in the forward) is added to its window's cells. */
export function avgpool2d_bwd_nchw(gradOut: usize, gradIn: usize, N: i32, C: i32, H: i32, W: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32,
  countIncludePad: i32): void {
  const inPlane = H * W;
  const outPlane = OH * OW;
  const fast = is_k2s2(KH, KW, SH, SW, PH, PW);
  for (let p = 0; p < N * C; p++) {
    const gi = at(gradIn, p * inPlane);
    const go = at(gradOut, p * outPlane);
    if (fast) {
      avgpool_bwd_plane_k2s2(go, gi, H, W, OH, OW);
      continue;
    }
    fill_span(gi, 0, inPlane);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - PH;
      const hs = max(h0, 0);
      const he = min(h0 + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - PW;
        const ws = max(w0, 0);
        const we = min(w0 + KW, W);
        const div = avg_divisor(h0, w0, H, W, KH, KW, PH, PW, countIncludePad);
        const g = load<f32>(at(go, oh * OW + ow)) / div;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const d = at(gi, ih * W + iw);
            store<f32>(d, load<f32>(d) + g);
          }
        }
      }
    }
  }
}

// ---- global average pool

/** y[i] = mean of x[i, 0..HW) for each of NC = N*C planes (sum in f64, see sum_span_f64). */
export function global_avgpool_fwd_nchw(x: usize, y: usize, NC: i32, HW: i32): void {
  for (let i = 0; i < NC; i++) {
    store<f32>(at(y, i), <f32>(sum_span_f64(at(x, i * HW), HW) / <f64>HW));
  }
}

/** gradIn[i, 0..HW) = gradOut[i] / HW for each of NC = N*C planes. */
export function global_avgpool_bwd_nchw(gradOut: usize, gradIn: usize, NC: i32, HW: i32): void {
  for (let i = 0; i < NC; i++) {
    fill_span(at(gradIn, i * HW), load<f32>(at(gradOut, i)) / <f32>HW, HW);
  }
}

// ---- adaptive pools: window i along a dimension of `inp` values, `out` windows, is
// [floor(i * inp / out), ceil((i + 1) * inp / out)), as PyTorch's start_index / end_index.

// @ts-ignore: decorator
@inline function win_start(i: i32, inp: i32, out: i32): i32 {
  return (i * inp) / out;
}

// @ts-ignore: decorator
@inline function win_end(i: i32, inp: i32, out: i32): i32 {
  return ((i + 1) * inp + out - 1) / out;
}

/** y[NC,OH,OW] = mean of each adaptive window of x[NC,H,W]. */
export function adaptive_avgpool2d_fwd_nchw(x: usize, y: usize, NC: i32, H: i32, W: i32, OH: i32,
  OW: i32): void {
  for (let p = 0; p < NC; p++) {
    const xp = at(x, p * H * W);
    const yp = at(y, p * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const hs = win_start(oh, H, OH);
      const he = win_end(oh, H, OH);
      for (let ow = 0; ow < OW; ow++) {
        const ws = win_start(ow, W, OW);
        const we = win_end(ow, W, OW);
        let s: f64 = 0;
        for (let ih = hs; ih < he; ih++) s += sum_span_f64(at(xp, ih * W + ws), we - ws);
        store<f32>(at(yp, oh * OW + ow), <f32>(s / <f64>((he - hs) * (we - ws))));
      }
    }
  }
}

/** gx[NC,H,W] = each gy value spread evenly over its adaptive window (windows may overlap). */
export function adaptive_avgpool2d_bwd_nchw(gy: usize, gx: usize, NC: i32, H: i32, W: i32,
  OH: i32, OW: i32): void {
  for (let p = 0; p < NC; p++) {
    const gi = at(gx, p * H * W);
    const go = at(gy, p * OH * OW);
    fill_span(gi, 0, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hs = win_start(oh, H, OH);
      const he = win_end(oh, H, OH);
      for (let ow = 0; ow < OW; ow++) {
        const ws = win_start(ow, W, OW);
        const we = win_end(ow, W, OW);
        const g = load<f32>(at(go, oh * OW + ow)) / <f32>((he - hs) * (we - ws));
        const gv = f32x4.splat(g);
        for (let ih = hs; ih < he; ih++) {
          const row = at(gi, ih * W);
          let iw = ws;
          for (; iw + 4 <= we; iw += 4) {
            v128.store(at(row, iw), f32x4.add(v128.load(at(row, iw)), gv));
          }
          for (; iw < we; iw++) store<f32>(at(row, iw), load<f32>(at(row, iw)) + g);
        }
      }
    }
  }
}

/**
 * y[NC,OH,OW] = max of each adaptive window of x[NC,H,W]; argmax (i32) gets the winner's index
 * ih*W+iw in its plane (first maximum wins, NaN wins), so maxpool2d_bwd_nchw is the backward.
 */
export function adaptive_maxpool2d_fwd_nchw(x: usize, y: usize, argmax: usize, NC: i32, H: i32,
  W: i32, OH: i32, OW: i32): void {
  for (let p = 0; p < NC; p++) {
    const xp = at(x, p * H * W);
    const yp = at(y, p * OH * OW);
    const ap = at(argmax, p * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const hs = win_start(oh, H, OH);
      const he = win_end(oh, H, OH);
      for (let ow = 0; ow < OW; ow++) {
        const o = oh * OW + ow;
        max_window(xp, W, hs, he, win_start(ow, W, OW), win_end(ow, W, OW), at(yp, o), at(ap, o));
      }
    }
  }
}
