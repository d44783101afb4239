// Resizing NCHW planes (F.interpolate): nearest (PyTorch's legacy rule) and bilinear, forward and
// backward. Every (n, c) plane is independent. Source coordinates are computed in f32 exactly as
// PyTorch's CPU kernels do (UpSample.h), from a per-axis scale the binding computes: in/out, or
// 1/scaleFactor when the caller gave one, or (in-1)/(out-1) for bilinear with alignCorners.
// Tests: test/assembly/resize.test.ts against test/ref/resize.ts.

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** PyTorch's nearest_idx: identity and exact 2x upsampling are special-cased before the scale. */
// @ts-ignore: decorator
@inline function nearest_src(dst: i32, inp: i32, out: i32, scale: f32): i32 {
  if (out == inp) return dst;
  if (out == 2 * inp) return dst >> 1;
  return min(<i32>Mathf.floor(<f32>dst * scale), inp - 1);
}

/** y[NC,OH,OW] = x[NC, src(oh), src(ow)]. */
export function resize_nearest_fwd_nchw(x: usize, y: usize, NC: i32, H: i32, W: i32, OH: i32,
  OW: i32, scaleH: f32, scaleW: f32): void {
  if (OH == 2 * H && OW == 2 * W) {
    nearest_fwd_x2(x, y, NC, H, W);
    return;
  }
  for (let p = 0; p < NC; p++) {
    const xp = at(x, p * H * W);
    const yp = at(y, p * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const row = at(xp, nearest_src(oh, H, OH, scaleH) * W);
      const yr = at(yp, oh * OW);
      for (let ow = 0; ow < OW; ow++) {
        store<f32>(at(yr, ow), load<f32>(at(row, nearest_src(ow, W, OW, scaleW))));
      }
    }
  }
}

/** gx[NC,H,W] = sum of gy over the outputs that read each input; overwrites gx. */
export function resize_nearest_bwd_nchw(gy: usize, gx: usize, NC: i32, H: i32, W: i32, OH: i32,
  OW: i32, scaleH: f32, scaleW: f32): void {
  if (OH == 2 * H && OW == 2 * W) {
    nearest_bwd_x2(gy, gx, NC, H, W);
    return;
  }
  for (let p = 0; p < NC; p++) {
    const gi = at(gx, p * H * W);
    const go = at(gy, p * OH * OW);
    memory.fill(gi, 0, <usize>(H * W) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const row = at(gi, nearest_src(oh, H, OH, scaleH) * W);
      const gr = at(go, oh * OW);
      for (let ow = 0; ow < OW; ow++) {
        const d = at(row, nearest_src(ow, W, OW, scaleW));
        store<f32>(d, load<f32>(d) + load<f32>(at(gr, ow)));
      }
    }
  }
}

// Exact 2x upsampling (a U-Net decoder's): each input row becomes two output rows with every
// value doubled, 4 inputs -> 8 outputs per step by shuffles; the backward sums 2x2 blocks.
function nearest_fwd_x2(x: usize, y: usize, NC: i32, H: i32, W: i32): void {
  const OW = 2 * W;
  for (let r = 0; r < NC * H; r++) {
    const xr = at(x, r * W);
    const y0 = at(y, 2 * r * OW);
    const y1 = at(y0, OW);
    let iw = 0;
    for (; iw + 4 <= W; iw += 4) {
      const v = v128.load(at(xr, iw));
      const lo = i32x4.shuffle(v, v, 0, 0, 1, 1);
      const hi = i32x4.shuffle(v, v, 2, 2, 3, 3);
      v128.store(at(y0, 2 * iw), lo);
      v128.store(at(y0, 2 * iw), hi, 16);
      v128.store(at(y1, 2 * iw), lo);
      v128.store(at(y1, 2 * iw), hi, 16);
    }
    for (; iw < W; iw++) {
      const v = load<f32>(at(xr, iw));
      store<f32>(at(y0, 2 * iw), v);
      store<f32>(at(y0, 2 * iw + 1), v);
      store<f32>(at(y1, 2 * iw), v);
      store<f32>(at(y1, 2 * iw + 1), v);
    }
  }
}

function nearest_bwd_x2(gy: usize, gx: usize, NC: i32, H: i32, W: i32): void {
  const OW = 2 * W;
  for (let r = 0; r < NC * H; r++) {
    const gr = at(gx, r * W);
    const g0 = at(gy, 2 * r * OW);
    const g1 = at(g0, OW);
    let iw = 0;
    for (; iw + 4 <= W; iw += 4) {
      const a = f32x4.add(v128.load(at(g0, 2 * iw)), v128.load(at(g1, 2 * iw)));
      const b = f32x4.add(v128.load(at(g0, 2 * iw), 16), v128.load(at(g1, 2 * iw), 16));
      const even = i32x4.shuffle(a, b, 0, 2, 4, 6);
      const odd = i32x4.shuffle(a, b, 1, 3, 5, 7);
      v128.store(at(gr, iw), f32x4.add(even, odd));
    }
    for (; iw < W; iw++) {
      const top = load<f32>(at(g0, 2 * iw)) + load<f32>(at(g0, 2 * iw + 1));
      const bottom = load<f32>(at(g1, 2 * iw)) + load<f32>(at(g1, 2 * iw + 1));
      store<f32>(at(gr, iw), top + bottom);
    }
  }
}

// Bilinear source of output index dst (PyTorch's compute_source_index_and_lambda): the lower
// neighbour i0, the step to the upper one (0 at the last row/column) and its weight l1. Equal
// sizes copy (PyTorch does so even when a scaleFactor was given).
let srcI0: i32 = 0;
let srcStep: i32 = 0;
let srcL1: f32 = 0;

// @ts-ignore: decorator
@inline function linear_src(dst: i32, inp: i32, out: i32, scale: f32, alignCorners: bool): void {
  if (out == inp) {
    srcI0 = dst;
    srcStep = 0;
    srcL1 = 0;
    return;
  }
  let real: f32 = alignCorners ? scale * <f32>dst : scale * (<f32>dst + 0.5) - 0.5;
  if (real < 0) real = 0;
  const i0 = <i32>real;
  srcI0 = i0;
  srcStep = i0 < inp - 1 ? 1 : 0;
  srcL1 = min(max(real - <f32>i0, 0), 1);
}

/** y[NC,OH,OW] = bilinear interpolation of x[NC,H,W]. */
export function resize_bilinear_fwd_nchw(x: usize, y: usize, NC: i32, H: i32, W: i32, OH: i32,
  OW: i32, scaleH: f32, scaleW: f32, alignCorners: i32): void {
  const ac = alignCorners != 0;
  for (let p = 0; p < NC; p++) {
    const xp = at(x, p * H * W);
    const yp = at(y, p * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      linear_src(oh, H, OH, scaleH, ac);
      const r0 = at(xp, srcI0 * W);
      const r1 = at(r0, srcStep * W);
      const h1 = srcL1;
      const h0: f32 = 1 - h1;
      const yr = at(yp, oh * OW);
      for (let ow = 0; ow < OW; ow++) {
        linear_src(ow, W, OW, scaleW, ac);
        const i0 = srcI0;
        const i1 = i0 + srcStep;
        const w1 = srcL1;
        const w0: f32 = 1 - w1;
        const top = w0 * load<f32>(at(r0, i0)) + w1 * load<f32>(at(r0, i1));
        const bottom = w0 * load<f32>(at(r1, i0)) + w1 * load<f32>(at(r1, i1));
        store<f32>(at(yr, ow), h0 * top + h1 * bottom);
      }
    }
  }
}

/** gx[NC,H,W] = each gy value spread over its four source pixels by their weights; overwrites gx. */
export function resize_bilinear_bwd_nchw(gy: usize, gx: usize, NC: i32, H: i32, W: i32, OH: i32,
  OW: i32, scaleH: f32, scaleW: f32, alignCorners: i32): void {
  const ac = alignCorners != 0;
  for (let p = 0; p < NC; p++) {
    const gi = at(gx, p * H * W);
    const go = at(gy, p * OH * OW);
    memory.fill(gi, 0, <usize>(H * W) << 2);
    for (let oh = 0; oh < OH; oh++) {
      linear_src(oh, H, OH, scaleH, ac);
      const r0 = at(gi, srcI0 * W);
      const r1 = at(r0, srcStep * W);
      const h1 = srcL1;
      const h0: f32 = 1 - h1;
      const gr = at(go, oh * OW);
      for (let ow = 0; ow < OW; ow++) {
        linear_src(ow, W, OW, scaleW, ac);
        const i0 = srcI0;
        const i1 = i0 + srcStep;
        const w1 = srcL1;
        const w0: f32 = 1 - w1;
        const g = load<f32>(at(gr, ow));
        const a = h0 * g;
        const b = h1 * g;
        store<f32>(at(r0, i0), load<f32>(at(r0, i0)) + a * w0);
        store<f32>(at(r0, i1), load<f32>(at(r0, i1)) + a * w1);
        store<f32>(at(r1, i0), load<f32>(at(r1, i0)) + b * w0);
        store<f32>(at(r1, i1), load<f32>(at(r1, i1)) + b * w1);
      }
    }
  }
}
