// Plain references for assembly/reduce.ts over [outer, R, inner] (x[(o * R + r) * inner + i]):
// loops in f64, Math.exp, first-occurrence arg-extremes with NaN winning.

type D = readonly [number, number, number];

const ix = (d: D, o: number, r: number, i: number): number => (o * d[1] + r) * d[2] + i;

export function reduce_sum_ref(x: Float32Array, d: D): Float64Array {
  const y = new Float64Array(d[0] * d[2]);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      let s = 0;
      for (let r = 0; r < d[1]; r++) s += x[ix(d, o, r, i)];
      y[o * d[2] + i] = s;
    }
  }
  return y;
}

export function reduce_extreme_ref(
  x: Float32Array,
  d: D,
  isMax: boolean
): { y: Float32Array; idx: Float32Array } {
  const y = new Float32Array(d[0] * d[2]);
  const idx = new Float32Array(d[0] * d[2]);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      let best = x[ix(d, o, 0, i)];
      let bi = 0;
      for (let r = 1; r < d[1]; r++) {
        const v = x[ix(d, o, r, i)];
        const nan = Number.isNaN(v) && !Number.isNaN(best);
        if (nan || (isMax ? v > best : v < best)) {
          best = v;
          bi = r;
        }
      }
      y[o * d[2] + i] = best;
      idx[o * d[2] + i] = bi;
    }
  }
  return { y, idx };
}

export function reduce_extreme_bwd_ref(
  x: Float32Array,
  y: Float32Array,
  gy: Float32Array,
  d: D
): Float64Array {
  const gx = new Float64Array(x.length);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      const m = y[o * d[2] + i];
      let cnt = 0;
      for (let r = 0; r < d[1]; r++) if (x[ix(d, o, r, i)] === m) cnt++;
      for (let r = 0; r < d[1]; r++) {
        gx[ix(d, o, r, i)] = x[ix(d, o, r, i)] === m ? gy[o * d[2] + i] / cnt : 0;
      }
    }
  }
  return gx;
}

export function reduce_index_bwd_ref(idx: Float32Array, gy: Float32Array, d: D): Float64Array {
  const gx = new Float64Array(d[0] * d[1] * d[2]);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) gx[ix(d, o, idx[o * d[2] + i], i)] = gy[o * d[2] + i];
  }
  return gx;
}

export function reduce_mean_var_ref(
  x: Float32Array,
  d: D,
  correction: number
): { mean: Float64Array; vr: Float64Array } {
  const mean = new Float64Array(d[0] * d[2]);
  const vr = new Float64Array(d[0] * d[2]);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      let s = 0;
      for (let r = 0; r < d[1]; r++) s += x[ix(d, o, r, i)];
      const m = s / d[1];
      let q = 0;
      for (let r = 0; r < d[1]; r++) q += (x[ix(d, o, r, i)] - m) ** 2;
      mean[o * d[2] + i] = m;
      vr[o * d[2] + i] = q / Math.max(0, d[1] - correction);
    }
  }
  return { mean, vr };
}

export function reduce_var_bwd_ref(
  x: Float32Array,
  mean: Float32Array,
  scale: Float32Array,
  d: D
): Float64Array {
  const gx = new Float64Array(x.length);
  for (let o = 0; o < d[0]; o++) {
    for (let r = 0; r < d[1]; r++) {
      for (let i = 0; i < d[2]; i++) {
        gx[ix(d, o, r, i)] = scale[o * d[2] + i] * (x[ix(d, o, r, i)] - mean[o * d[2] + i]);
      }
    }
  }
  return gx;
}

export function softmax_ref(x: Float32Array, d: D, log: boolean): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      let m = -Infinity;
      for (let r = 0; r < d[1]; r++) m = Math.max(m, x[ix(d, o, r, i)]);
      let s = 0;
      for (let r = 0; r < d[1]; r++) s += Math.exp(x[ix(d, o, r, i)] - m);
      for (let r = 0; r < d[1]; r++) {
        const k = ix(d, o, r, i);
        y[k] = log ? x[k] - m - Math.log(s) : Math.exp(x[k] - m) / s;
      }
    }
  }
  return y;
}

/** From the forward's output y: softmax y*(gy - sum(gy*y)); log-softmax gy - exp(y)*sum(gy). */
export function softmax_bwd_ref(
  y: Float32Array,
  gy: Float32Array,
  d: D,
  log: boolean
): Float64Array {
  const gx = new Float64Array(y.length);
  for (let o = 0; o < d[0]; o++) {
    for (let i = 0; i < d[2]; i++) {
      let s = 0;
      for (let r = 0; r < d[1]; r++) {
        const k = ix(d, o, r, i);
        s += log ? gy[k] : gy[k] * y[k];
      }
      for (let r = 0; r < d[1]; r++) {
        const k = ix(d, o, r, i);
        gx[k] = log ? gy[k] - Math.exp(y[k]) * s : y[k] * (gy[k] - s);
      }
    }
  }
  return gx;
}
