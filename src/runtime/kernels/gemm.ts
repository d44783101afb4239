// Typed binding of assembly/gemm.ts: row-major C = alpha * op(A) * op(B) + beta * C. With
// intra-op threads (../threads.ts) a large product is split into panels of C's columns (or rows,
// when C is narrow) cut at the micro-kernel's tile edges, so every element of C is computed by
// the same tile with the same accumulation order as on one thread: results are bit-identical.

import { checkBuf, checkFinite, checkInt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { MR, NR, partCount, partRange, runParts } from '../threads.js';
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
  checkBuf(
    op,
    'a',
    a,
    aOff + extent(aRows, aCols, lda),
    `A ${aRows}x${aCols} with lda ${lda} at ${aOff}`
  );
  checkBuf(
    op,
    'b',
    b,
    bOff + extent(bRows, bCols, ldb),
    `B ${bRows}x${bCols} with ldb ${ldb} at ${bOff}`
  );
  checkBuf(op, 'c', c, cOff + extent(m, n, ldc), `C ${m}x${n} with ldc ${ldc} at ${cOff}`);
  const name = `gemm_${transA ? 't' : 'n'}${transB ? 't' : 'n'}` as const;
  // Column panels share op(A) and pack only their own part of op(B); rows when C is narrow.
  const colTiles = Math.ceil(n / NR);
  const rowTiles = Math.ceil(m / MR);
  const byCols = colTiles >= 16 || colTiles >= rowTiles;
  const parts = partCount(rt, 2 * m * n * k, byCols ? colTiles : rowTiles);
  const ws = rt.workspaces(kernel(rt, 'gemm_workspace_bytes')(), parts);
  // The kernels load and store unaligned, so a matrix may start anywhere inside its buffer.
  const calls: number[][] = [];
  for (let i = 0; i < parts; i++) {
    let [a0, b0, c0] = [aOff, bOff, cOff];
    let [pm, pn] = [m, n];
    if (byCols) {
      const [t0, t1] = partRange(colTiles, parts, i);
      const j0 = t0 * NR;
      pn = Math.min(n, t1 * NR) - j0;
      b0 += transB ? j0 * ldb : j0;
      c0 += j0;
    } else {
      const [t0, t1] = partRange(rowTiles, parts, i);
      const r0 = t0 * MR;
      pm = Math.min(m, t1 * MR) - r0;
      a0 += transA ? r0 : r0 * lda;
      c0 += r0 * ldc;
    }
    calls.push([
      pm,
      pn,
      k,
      alpha,
      a.ptr + a0 * 4,
      lda,
      b.ptr + b0 * 4,
      ldb,
      beta,
      c.ptr + c0 * 4,
      ldc,
      ws[i],
    ]);
  }
  runParts(rt, name, calls);
}
