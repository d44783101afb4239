// Plain references for assembly/conv.ts: direct loop nests over NCHW / OIHW, f64 accumulation.

import type { Conv2dGeometry } from '../../src/runtime/kernels/conv.js';

/** Calls f(n, o, oh, ow, c, kh, kw, xIndex, wIndex) for every in-bounds tap. */
function forEachTap(
  g: Conv2dGeometry,
  f: (yi: number, xi: number, wi: number, o: number) => void
): void {
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.o; o++) {
      const grp = Math.floor(o / og);
      for (let oh = 0; oh < g.oh; oh++) {
        for (let ow = 0; ow < g.ow; ow++) {
          const yi = ((n * g.o + o) * g.oh + oh) * g.ow + ow;
          for (let cl = 0; cl < cg; cl++) {
            const c = grp * cg + cl;
            for (let kh = 0; kh < g.kh; kh++) {
              const ih = oh * g.sh - g.ph + kh * g.dh;
              if (ih < 0 || ih >= g.h) continue;
              for (let kw = 0; kw < g.kw; kw++) {
                const iw = ow * g.sw - g.pw + kw * g.dw;
                if (iw < 0 || iw >= g.w) continue;
                f(
                  yi,
                  ((n * g.c + c) * g.h + ih) * g.w + iw,
                  ((o * cg + cl) * g.kh + kh) * g.kw + kw,
                  o
                );
              }
            }
          }
        }
      }
    }
  }
}

export function conv2d_fwd_ref(
  g: Conv2dGeometry,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  relu = false
): Float32Array {
  const y = new Float64Array(g.n * g.o * g.oh * g.ow);
  forEachTap(g, (yi, xi, wi) => {
    y[yi] += x[xi] * w[wi];
  });
  const out = new Float32Array(y.length);
  const p = g.oh * g.ow;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] + (bias ? bias[Math.floor(i / p) % g.o] : 0);
    out[i] = relu ? Math.max(0, v) : v;
  }
  return out;
}

export function conv2d_bwd_input_ref(
  g: Conv2dGeometry,
  gy: Float32Array,
  w: Float32Array
): Float32Array {
  const gx = new Float64Array(g.n * g.c * g.h * g.w);
  forEachTap(g, (yi, xi, wi) => {
    gx[xi] += gy[yi] * w[wi];
  });
  return Float32Array.from(gx);
}

export function conv2d_bwd_weight_ref(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array
): Float32Array {
  const gw = new Float64Array(g.o * (g.c / g.groups) * g.kh * g.kw);
  forEachTap(g, (yi, xi, wi) => {
    gw[wi] += gy[yi] * x[xi];
  });
  return Float32Array.from(gw);
}

export function conv2d_bwd_bias_ref(g: Conv2dGeometry, gy: Float32Array): Float32Array {
  const gb = new Float64Array(g.o);
  const p = g.oh * g.ow;
  for (let i = 0; i < gy.length; i++) gb[Math.floor(i / p) % g.o] += gy[i];
  return Float32Array.from(gb);
}
