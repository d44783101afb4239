// Plain references for assembly/elementwise.ts: one loop each, sums in f64.

export function relu_fwd_ref(x: Float32Array): Float32Array {
  return x.map((v) => (Number.isNaN(v) ? v : Math.max(v, 0)));
}

export function relu_bwd_ref(x: Float32Array, gradOut: Float32Array): Float32Array {
  return gradOut.map((g, i) => (x[i] > 0 ? g : 0));
}

export function add_ref(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

export function scale_ref(x: Float32Array, alpha: number): Float32Array {
  return x.map((v) => alpha * v);
}

/** Returns y + alpha * x. */
export function axpy_ref(alpha: number, x: Float32Array, y: Float32Array): Float32Array {
  return y.map((v, i) => v + alpha * x[i]);
}

export function bias_add_nchw_ref(
  y: Float32Array,
  bias: Float32Array,
  n: number,
  c: number,
  hw: number
): Float32Array {
  const out = Float32Array.from(y);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) for (let k = 0; k < hw; k++) out[(i * c + j) * hw + k] += bias[j];
  }
  return out;
}

export function bias_add_rows_ref(
  y: Float32Array,
  bias: Float32Array,
  rows: number,
  cols: number
): Float32Array {
  const out = Float32Array.from(y);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] += bias[j];
  return out;
}

export function bias_grad_nchw_ref(
  gradOut: Float32Array,
  n: number,
  c: number,
  hw: number
): Float32Array {
  const out = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < hw; k++) s += gradOut[(i * c + j) * hw + k];
    out[j] = s;
  }
  return out;
}

export function bias_grad_rows_ref(
  gradOut: Float32Array,
  rows: number,
  cols: number
): Float32Array {
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += gradOut[r * cols + j];
    out[j] = s;
  }
  return out;
}

export function sum_ref(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
