// Plain reference for assembly/gemm.ts: triple loop, f64 accumulation, no blocking.

export interface GemmRefArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  a: Float32Array;
  lda: number;
  b: Float32Array;
  ldb: number;
  c: Float32Array;
  ldc: number;
}

/** Returns a copy of c with C = alpha * op(A) * op(B) + beta * C applied (C not read if beta 0). */
export function gemm_ref(p: GemmRefArgs): Float32Array {
  const out = Float32Array.from(p.c);
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let q = 0; q < p.k; q++) {
        const a = p.transA ? p.a[q * p.lda + i] : p.a[i * p.lda + q];
        const b = p.transB ? p.b[j * p.ldb + q] : p.b[q * p.ldb + j];
        s += a * b;
      }
      const old = p.beta === 0 ? 0 : p.beta * p.c[i * p.ldc + j];
      out[i * p.ldc + j] = p.alpha * s + old;
    }
  }
  return out;
}
