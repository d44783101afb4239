// Plain references for assembly/resize.ts: PyTorch's source-index rules (UpSample.h) written out
// with f32 rounding where PyTorch computes in float, values blended in f64.

const f = Math.fround;

export interface ResizeRefGeom {
  nc: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  /** f32 scales as resizeScale gives them. */
  scaleH: number;
  scaleW: number;
  alignCorners?: boolean;
}

export function nearest_src_ref(dst: number, inp: number, out: number, scale: number): number {
  if (out === inp) return dst;
  if (out === 2 * inp) return dst >> 1;
  return Math.min(Math.floor(f(dst * scale)), inp - 1);
}

/** [i0, i1, l0, l1]: the two source indices and their weights. */
export function linear_src_ref(
  dst: number,
  inp: number,
  out: number,
  scale: number,
  alignCorners: boolean
): [number, number, number, number] {
  if (out === inp) return [dst, dst, 1, 0];
  let real = alignCorners ? f(scale * dst) : f(f(scale * f(dst + 0.5)) - 0.5);
  if (real < 0) real = 0;
  const i0 = Math.floor(real);
  const i1 = i0 < inp - 1 ? i0 + 1 : i0;
  const l1 = Math.min(Math.max(f(real - i0), 0), 1);
  return [i0, i1, 1 - l1, l1];
}

export function resize_nearest_fwd_ref(x: Float32Array, g: ResizeRefGeom): Float32Array {
  const y = new Float32Array(g.nc * g.oh * g.ow);
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const ih = nearest_src_ref(oh, g.h, g.oh, g.scaleH);
      for (let ow = 0; ow < g.ow; ow++) {
        const iw = nearest_src_ref(ow, g.w, g.ow, g.scaleW);
        y[(p * g.oh + oh) * g.ow + ow] = x[(p * g.h + ih) * g.w + iw];
      }
    }
  }
  return y;
}

export function resize_nearest_bwd_ref(gy: Float32Array, g: ResizeRefGeom): Float32Array {
  const gx = new Float64Array(g.nc * g.h * g.w);
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const ih = nearest_src_ref(oh, g.h, g.oh, g.scaleH);
      for (let ow = 0; ow < g.ow; ow++) {
        const iw = nearest_src_ref(ow, g.w, g.ow, g.scaleW);
        gx[(p * g.h + ih) * g.w + iw] += gy[(p * g.oh + oh) * g.ow + ow];
      }
    }
  }
  return Float32Array.from(gx);
}

export function resize_bilinear_fwd_ref(x: Float32Array, g: ResizeRefGeom): Float32Array {
  const y = new Float32Array(g.nc * g.oh * g.ow);
  const ac = g.alignCorners ?? false;
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const [h0, h1, a0, a1] = linear_src_ref(oh, g.h, g.oh, g.scaleH, ac);
      for (let ow = 0; ow < g.ow; ow++) {
        const [w0, w1, b0, b1] = linear_src_ref(ow, g.w, g.ow, g.scaleW, ac);
        const v = (r: number, c: number): number => x[(p * g.h + r) * g.w + c];
        y[(p * g.oh + oh) * g.ow + ow] =
          a0 * (b0 * v(h0, w0) + b1 * v(h0, w1)) + a1 * (b0 * v(h1, w0) + b1 * v(h1, w1));
      }
    }
  }
  return y;
}

export function resize_bilinear_bwd_ref(gy: Float32Array, g: ResizeRefGeom): Float32Array {
  const gx = new Float64Array(g.nc * g.h * g.w);
  const ac = g.alignCorners ?? false;
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const [h0, h1, a0, a1] = linear_src_ref(oh, g.h, g.oh, g.scaleH, ac);
      for (let ow = 0; ow < g.ow; ow++) {
        const [w0, w1, b0, b1] = linear_src_ref(ow, g.w, g.ow, g.scaleW, ac);
        const v = gy[(p * g.oh + oh) * g.ow + ow];
        gx[(p * g.h + h0) * g.w + w0] += a0 * b0 * v;
        gx[(p * g.h + h0) * g.w + w1] += a0 * b1 * v;
        gx[(p * g.h + h1) * g.w + w0] += a1 * b0 * v;
        gx[(p * g.h + h1) * g.w + w1] += a1 * b1 * v;
      }
    }
  }
  return Float32Array.from(gx);
}
