// Typed binding of assembly/gemm.ts: row-major C = alpha * op(A) * op(B) + beta * C.

import { checkBuf, checkFinite, checkInt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

export interface GemmArgs {
  /** A is stored [K, M] (op(A) = A^T) when true, [M, K] otherwise. */
  transA?: boolean;
  /** B is stored [N, K] (op(B) = B^T) when true, [K, N] otherwise. */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  a: F32Buf;
  b: F32Buf;
  c: F32Buf;
  /** Leading dimensions (row strides in elements); default to the packed row length. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Where each matrix starts inside its buffer, in elements (one GEMM of a batch); default 0. */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
}

/** Rows x cols matrix with row stride ld needs (rows - 1) * ld + cols values. */
function extent(rows: number, cols: number, ld: number): number {
  return (rows - 1) * ld + cols;
}

export function gemm(rt: Runtime, args: GemmArgs): void {
  const op = 'gemm';
  const { m, n, k, a, b, c } = args;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  checkInt(op, 'm', m, 1);
  checkInt(op, 'n', n, 1);
  checkInt(op, 'k', k, 1);
  checkFinite(op, 'alpha', alpha);
  checkFinite(op, 'beta', beta);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = args.lda ?? aCols;
  const ldb = args.ldb ?? bCols;
  const ldc = args.ldc ?? n;
  checkInt(op, `lda (A is ${aRows}x${aCols})`, lda, aCols);
  checkInt(op, `ldb (B is ${bRows}x${bCols})`, ldb, bCols);
  checkInt(op, `ldc (C is ${m}x${n})`, ldc, n);
  const aOff = args.aOffset ?? 0;
  const bOff = args.bOffset ?? 0;
  const cOff = args.cOffset ?? 0;
  checkInt(op, 'aOffset', aOff, 0);
  checkInt(op, 'bOffset', bOff, 0);
  checkInt(op, 'cOffset', cOff, 0);
  checkBuf(op, 'a', a, aOff + extent(aRows, aCols, lda), `A ${aRows}x${aCols} with lda ${lda} at ${aOff}`);
  checkBuf(op, 'b', b, bOff + extent(bRows, bCols, ldb), `B ${bRows}x${bCols} with ldb ${ldb} at ${bOff}`);
  checkBuf(op, 'c', c, cOff + extent(m, n, ldc), `C ${m}x${n} with ldc ${ldc} at ${cOff}`);
  const name = `gemm_${transA ? 't' : 'n'}${transB ? 't' : 'n'}` as const;
  const ws = rt.workspace(kernel(rt, 'gemm_workspace_bytes')());
  // The kernels load and store unaligned, so a matrix may start anywhere inside its buffer.
  kernel(rt, name)(m, n, k, alpha, a.ptr + aOff * 4, lda, b.ptr + bOff * 4, ldb, beta,
    c.ptr + cOff * 4, ldc, ws);
}
