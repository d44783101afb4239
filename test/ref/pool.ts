// Plain references for assembly/pool.ts: loops over every window, f64 sums, PyTorch's rules
// (first maximum wins, NaN wins, divisor per countIncludePad).

export interface PoolRefGeom {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
  countIncludePad?: boolean;
}

/** Returns y and the arg-max (ih * w + iw within each plane). */
export function maxpool2d_fwd_ref(
  x: Float32Array,
  g: PoolRefGeom
): { y: Float32Array; argmax: Int32Array } {
  const y = new Float32Array(g.n * g.c * g.oh * g.ow);
  const argmax = new Int32Array(y.length);
  for (let p = 0; p < g.n * g.c; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let best = -Infinity;
        let bi = -1;
        for (let i = 0; i < g.kh; i++) {
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.ph + i;
            const iw = ow * g.sw - g.pw + j;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const v = x[p * g.h * g.w + ih * g.w + iw];
            if (bi < 0 || v > best || Number.isNaN(v)) {
              best = v;
              bi = ih * g.w + iw;
            }
          }
        }
        const o = p * g.oh * g.ow + oh * g.ow + ow;
        y[o] = best;
        argmax[o] = bi;
      }
    }
  }
  return { y, argmax };
}

/** Routes each gradOut value to its arg-max. */
export function maxpool2d_bwd_ref(
  gradOut: Float32Array,
  argmax: Int32Array,
  g: PoolRefGeom
): Float32Array {
  const gradIn = new Float64Array(g.n * g.c * g.h * g.w);
  for (let p = 0; p < g.n * g.c; p++) {
    for (let o = 0; o < g.oh * g.ow; o++) {
      gradIn[p * g.h * g.w + argmax[p * g.oh * g.ow + o]] += gradOut[p * g.oh * g.ow + o];
    }
  }
  return Float32Array.from(gradIn);
}

function divisor(g: PoolRefGeom, oh: number, ow: number): number {
  const h0 = oh * g.sh - g.ph;
  const w0 = ow * g.sw - g.pw;
  if (g.countIncludePad ?? true) {
    return (Math.min(h0 + g.kh, g.h + g.ph) - h0) * (Math.min(w0 + g.kw, g.w + g.pw) - w0);
  }
  const rows = Math.min(h0 + g.kh, g.h) - Math.max(h0, 0);
  return rows * (Math.min(w0 + g.kw, g.w) - Math.max(w0, 0));
}

export function avgpool2d_fwd_ref(x: Float32Array, g: PoolRefGeom): Float32Array {
  const y = new Float32Array(g.n * g.c * g.oh * g.ow);
  for (let p = 0; p < g.n * g.c; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let s = 0;
        for (let i = 0; i < g.kh; i++) {
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.ph + i;
            const iw = ow * g.sw - g.pw + j;
            if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) s += x[p * g.h * g.w + ih * g.w + iw];
          }
        }
        y[p * g.oh * g.ow + oh * g.ow + ow] = s / divisor(g, oh, ow);
      }
    }
  }
  return y;
}

export function avgpool2d_bwd_ref(gradOut: Float32Array, g: PoolRefGeom): Float32Array {
  const gradIn = new Float64Array(g.n * g.c * g.h * g.w);
  for (let p = 0; p < g.n * g.c; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        const d = gradOut[p * g.oh * g.ow + oh * g.ow + ow] / divisor(g, oh, ow);
        for (let i = 0; i < g.kh; i++) {
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.ph + i;
            const iw = ow * g.sw - g.pw + j;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            gradIn[p * g.h * g.w + ih * g.w + iw] += d;
          }
        }
      }
    }
  }
  return Float32Array.from(gradIn);
}

export function global_avgpool_fwd_ref(x: Float32Array, nc: number, hw: number): Float32Array {
  const y = new Float32Array(nc);
  for (let i = 0; i < nc; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += x[i * hw + j];
    y[i] = s / hw;
  }
  return y;
}

export function global_avgpool_bwd_ref(
  gradOut: Float32Array,
  nc: number,
  hw: number
): Float32Array {
  const gradIn = new Float32Array(nc * hw);
  for (let i = 0; i < nc; i++) for (let j = 0; j < hw; j++) gradIn[i * hw + j] = gradOut[i] / hw;
  return gradIn;
}

/** Adaptive window i of out along a dim of inp: [floor(i*inp/out), ceil((i+1)*inp/out)). */
function adaptiveWindow(i: number, inp: number, out: number): [number, number] {
  return [Math.floor((i * inp) / out), Math.ceil(((i + 1) * inp) / out)];
}

export interface AdaptiveRefGeom {
  nc: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
}

export function adaptive_avgpool2d_fwd_ref(x: Float32Array, g: AdaptiveRefGeom): Float32Array {
  const y = new Float32Array(g.nc * g.oh * g.ow);
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const [hs, he] = adaptiveWindow(oh, g.h, g.oh);
      for (let ow = 0; ow < g.ow; ow++) {
        const [ws, we] = adaptiveWindow(ow, g.w, g.ow);
        let s = 0;
        for (let ih = hs; ih < he; ih++)
          for (let iw = ws; iw < we; iw++) s += x[(p * g.h + ih) * g.w + iw];
        y[(p * g.oh + oh) * g.ow + ow] = s / ((he - hs) * (we - ws));
      }
    }
  }
  return y;
}

export function adaptive_avgpool2d_bwd_ref(gy: Float32Array, g: AdaptiveRefGeom): Float32Array {
  const gx = new Float64Array(g.nc * g.h * g.w);
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const [hs, he] = adaptiveWindow(oh, g.h, g.oh);
      for (let ow = 0; ow < g.ow; ow++) {
        const [ws, we] = adaptiveWindow(ow, g.w, g.ow);
        const v = gy[(p * g.oh + oh) * g.ow + ow] / ((he - hs) * (we - ws));
        for (let ih = hs; ih < he; ih++)
          for (let iw = ws; iw < we; iw++) gx[(p * g.h + ih) * g.w + iw] += v;
      }
    }
  }
  return Float32Array.from(gx);
}

/** y and the arg-max (ih * w + iw in the plane; first maximum wins, NaN wins). */
export function adaptive_maxpool2d_fwd_ref(
  x: Float32Array,
  g: AdaptiveRefGeom
): { y: Float32Array; argmax: Int32Array } {
  const y = new Float32Array(g.nc * g.oh * g.ow);
  const argmax = new Int32Array(y.length);
  for (let p = 0; p < g.nc; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      const [hs, he] = adaptiveWindow(oh, g.h, g.oh);
      for (let ow = 0; ow < g.ow; ow++) {
        const [ws, we] = adaptiveWindow(ow, g.w, g.ow);
        let best = -Infinity;
        let bi = -1;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const v = x[(p * g.h + ih) * g.w + iw];
            if (bi < 0 || v > best || Number.isNaN(v)) {
              best = v;
              bi = ih * g.w + iw;
            }
          }
        }
        y[(p * g.oh + oh) * g.ow + ow] = best;
        argmax[(p * g.oh + oh) * g.ow + ow] = bi;
      }
    }
  }
  return { y, argmax };
}
