// Plain references for the row, channel and group normalisation kernels of assembly/norm.ts
// (layernorm_{fwd,bwd}_rows, layernorm2d_{fwd,bwd}, groupnorm_{fwd,bwd}_nchw): f64 loops,
// biased variance.

/** Per segment (rows of length len), the mean and 1/sqrt(var + eps). */
function stats(
  x: Float32Array,
  segments: number,
  len: number,
  eps: number
): { mean: number[]; inv: number[] } {
  const mean: number[] = [];
  const inv: number[] = [];
  for (let s = 0; s < segments; s++) {
    let m = 0;
    for (let i = 0; i < len; i++) m += x[s * len + i];
    m /= len;
    let v = 0;
    for (let i = 0; i < len; i++) v += (x[s * len + i] - m) ** 2;
    mean.push(m);
    inv.push(1 / Math.sqrt(v / len + eps));
  }
  return { mean, inv };
}

/** [rows, d]: y = xhat * gamma[j] + beta[j]; channel(i) maps an element to its affine index. */
function normFwd(
  x: Float32Array,
  segments: number,
  len: number,
  affineIndex: (i: number) => number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  eps: number
): Float32Array {
  const { mean, inv } = stats(x, segments, len, eps);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const s = Math.floor(i / len);
    const a = affineIndex(i);
    y[i] = (x[i] - mean[s]) * inv[s] * (gamma ? gamma[a] : 1) + (beta ? beta[a] : 0);
  }
  return y;
}

function normBwd(
  x: Float32Array,
  gy: Float32Array,
  segments: number,
  len: number,
  naffine: number,
  affineIndex: (i: number) => number,
  gamma: Float32Array | null,
  eps: number
): { gx: Float32Array; gGamma: Float32Array; gBeta: Float32Array } {
  const { mean, inv } = stats(x, segments, len, eps);
  const gx = new Float32Array(x.length);
  const gGamma = new Float64Array(naffine);
  const gBeta = new Float64Array(naffine);
  for (let s = 0; s < segments; s++) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < len; k++) {
      const i = s * len + k;
      const xh = (x[i] - mean[s]) * inv[s];
      const dxh = gy[i] * (gamma ? gamma[affineIndex(i)] : 1);
      a += dxh;
      b += dxh * xh;
      gGamma[affineIndex(i)] += gy[i] * xh;
      gBeta[affineIndex(i)] += gy[i];
    }
    for (let k = 0; k < len; k++) {
      const i = s * len + k;
      const xh = (x[i] - mean[s]) * inv[s];
      const dxh = gy[i] * (gamma ? gamma[affineIndex(i)] : 1);
      gx[i] = inv[s] * (dxh - a / len - (xh * b) / len);
    }
  }
  return { gx, gGamma: Float32Array.from(gGamma), gBeta: Float32Array.from(gBeta) };
}

export function layernorm_rows_fwd_ref(
  x: Float32Array,
  rows: number,
  d: number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  eps: number
): Float32Array {
  return normFwd(x, rows, d, (i) => i % d, gamma, beta, eps);
}

export function layernorm_rows_bwd_ref(
  x: Float32Array,
  gy: Float32Array,
  rows: number,
  d: number,
  gamma: Float32Array | null,
  eps: number
): { gx: Float32Array; gGamma: Float32Array; gBeta: Float32Array } {
  return normBwd(x, gy, rows, d, d, (i) => i % d, gamma, eps);
}

export function groupnorm_fwd_ref(
  x: Float32Array,
  n: number,
  c: number,
  hw: number,
  groups: number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  eps: number
): Float32Array {
  return normFwd(x, n * groups, (c / groups) * hw, (i) => Math.floor(i / hw) % c, gamma, beta, eps);
}

export function groupnorm_bwd_ref(
  x: Float32Array,
  gy: Float32Array,
  n: number,
  c: number,
  hw: number,
  groups: number,
  gamma: Float32Array | null,
  eps: number
): { gx: Float32Array; gGamma: Float32Array; gBeta: Float32Array } {
  return normBwd(
    x,
    gy,
    n * groups,
    (c / groups) * hw,
    c,
    (i) => Math.floor(i / hw) % c,
    gamma,
    eps
  );
}

/** [N, A, B] -> [N, B, A]: layernorm2d's channels of a pixel become a row. */
function swap(x: Float32Array, n: number, a: number, b: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < a; j++) {
      for (let k = 0; k < b; k++) out[(i * b + k) * a + j] = x[(i * a + j) * b + k];
    }
  }
  return out;
}

/** LayerNorm over the C channels of each pixel of [N, C, HW]: the row norm on [N*HW, C]. */
export function layernorm2d_fwd_ref(
  x: Float32Array,
  n: number,
  c: number,
  hw: number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  eps: number
): Float32Array {
  return swap(layernorm_rows_fwd_ref(swap(x, n, c, hw), n * hw, c, gamma, beta, eps), n, hw, c);
}

export function layernorm2d_bwd_ref(
  x: Float32Array,
  gy: Float32Array,
  n: number,
  c: number,
  hw: number,
  gamma: Float32Array | null,
  eps: number
): { gx: Float32Array; gGamma: Float32Array; gBeta: Float32Array } {
  const r = layernorm_rows_bwd_ref(swap(x, n, c, hw), swap(gy, n, c, hw), n * hw, c, gamma, eps);
  return { ...r, gx: swap(r.gx, n, hw, c) };
}
