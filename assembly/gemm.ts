// f32 GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, with an optional per-row bias and
// ReLU in the epilogue (the conv forward fuses both). Goto/BLIS blocking around one 4x8
// micro-kernel; operands are copied into packed panels first, so the same driver serves plain
// matrices (packers here) and convolutions (implicit im2col packers in conv.ts).
// Tests: test/assembly/gemm.test.ts against test/ref/gemm.ts. Bench: `simdgrad bench --suite kernels`.

import { madd, transpose4 } from "./simd";

// A 4x8 tile needs 8 accumulators + 2 B vectors + 1 broadcast = 11 of the 15 xmm registers V8
// gives Wasm on x64; 12 accumulators (6x8, 4x12) spill (shared/FACTS.md).
export const MR: i32 = 4;
export const NR: i32 = 8;
// KC*NR*4 = 8 KiB B micro-panel stays in L1; MC*KC*4 = 128 KiB A block in L2;
// KC*NC*4 = 512 KiB packed B block in L2/L3.
export const KC: i32 = 256;
export const MC: i32 = 128;
export const NC: i32 = 512;

/** Copies rows [r0, r0+rows) x cols [c0, c0+cols) of an operand into packed panels at dst. */
export type PackFn = (dst: usize, src: usize, ld: i32, r0: i32, c0: i32, rows: i32, cols: i32) => void;

/** Bytes of workspace gemm_blocked needs: packed A block, packed B block, one edge tile. */
export function gemm_workspace_bytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}


// ---- A packers: MR-row panels; panel i holds, for each k, the MR values of rows i*MR..i*MR+3
// ---- (zero rows past the edge), so the micro-kernel broadcasts one float per row per k.

/** A stored row-major [M, K]: A(m, k) = src[m * ld + k]. 4x4 blocks are transposed in registers. */
export function pack_a_n(dst: usize, src: usize, ld: i32, m0: i32, k0: i32, mc: i32, kc: i32): void {
  const ldb = <usize>ld << 2;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const panel = dst + (<usize>(i * kc) << 2);
    const s = src + (<usize>(m0 + i) * <usize>ld + <usize>k0) * 4;
    let k = 0;
    if (rows == MR) {
      for (; k + 4 <= kc; k += 4) {
        const p = s + (<usize>k << 2);
        transpose4(v128.load(p), v128.load(p + ldb), v128.load(p + 2 * ldb), v128.load(p + 3 * ldb),
          panel + (<usize>k << 4), 16);
      }
    }
    for (; k < kc; k++) {
      const d = panel + (<usize>k << 4);
      for (let r = 0; r < MR; r++) {
        store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + <usize>r * ldb + (<usize>k << 2)) : 0);
      }
    }
  }
}

/** A stored transposed [K, M]: A(m, k) = src[k * ld + m]; each k is one vector load. */
export function pack_a_t(dst: usize, src: usize, ld: i32, m0: i32, k0: i32, mc: i32, kc: i32): void {
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const panel = dst + (<usize>(i * kc) << 2);
    const s = src + (<usize>k0 * <usize>ld + <usize>(m0 + i)) * 4;
    if (rows == MR) {
      for (let k = 0; k < kc; k++) {
        v128.store(panel + (<usize>k << 4), v128.load(s + <usize>k * <usize>ld * 4));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = panel + (<usize>k << 4);
        const sk = s + <usize>k * <usize>ld * 4;
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(sk + (<usize>r << 2)) : 0);
      }
    }
  }
}

// ---- B packers: NR-column panels; panel j holds, for each k, the NR values of columns
// ---- j*NR..j*NR+7 (zero past the edge): two vector loads per k in the micro-kernel.

/** B stored row-major [K, N]: B(k, n) = src[k * ld + n]. */
export function pack_b_n(dst: usize, src: usize, ld: i32, k0: i32, n0: i32, kc: i32, nc: i32): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    const s = src + (<usize>k0 * <usize>ld + <usize>(n0 + j)) * 4;
    if (cols == NR) {
      for (let k = 0; k < kc; k++) {
        const sk = s + <usize>k * <usize>ld * 4;
        const d = panel + (<usize>k << 5);
        v128.store(d, v128.load(sk));
        v128.store(d, v128.load(sk, 16), 16);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const sk = s + <usize>k * <usize>ld * 4;
        const d = panel + (<usize>k << 5);
        for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(sk + (<usize>c << 2)) : 0);
      }
    }
  }
}

/** B stored transposed [N, K]: B(k, n) = src[n * ld + k]; 8x4 blocks transposed in registers. */
export function pack_b_t(dst: usize, src: usize, ld: i32, k0: i32, n0: i32, kc: i32, nc: i32): void {
  const ldb = <usize>ld << 2;
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const panel = dst + (<usize>(j * kc) << 2);
    const s = src + (<usize>(n0 + j) * <usize>ld + <usize>k0) * 4;
    let k = 0;
    if (cols == NR) {
      const s4 = s + 4 * ldb;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const d = panel + (<usize>k << 5);
        transpose4(v128.load(s + o), v128.load(s + ldb + o), v128.load(s + 2 * ldb + o),
          v128.load(s + 3 * ldb + o), d, 32);
        transpose4(v128.load(s4 + o), v128.load(s4 + ldb + o), v128.load(s4 + 2 * ldb + o),
          v128.load(s4 + 3 * ldb + o), d + 16, 32);
      }
    }
    for (; k < kc; k++) {
      const d = panel + (<usize>k << 5);
      for (let c = 0; c < NR; c++) {
        store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + <usize>c * ldb + (<usize>k << 2)) : 0);
      }
    }
  }
}

// ---- micro-kernel

/**
 * acc(4x8) = sum over kc of packed A panel (4 per k) x packed B panel (8 per k), then
 * C = alpha*acc + beta*C (+ bias[row]) (ReLU). readC = 0 means beta is 0 and C is not read
 * (it may hold garbage). bias = 0 means none.
 */
// @ts-ignore: decorator
@inline export function ukernel_4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize,
  alpha: f32, beta: f32, readC: bool, bias: usize, relu: bool): void {
  let acc0x0 = f32x4.splat(0); let acc0x4 = f32x4.splat(0);
  let acc1x0 = f32x4.splat(0); let acc1x4 = f32x4.splat(0);
  let acc2x0 = f32x4.splat(0); let acc2x4 = f32x4.splat(0);
  let acc3x0 = f32x4.splat(0); let acc3x4 = f32x4.splat(0);
  const end = pa + (<usize>kc << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b4 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    acc0x0 = madd(a0, b0, acc0x0); acc0x4 = madd(a0, b4, acc0x4);
    const a1 = v128.load32_splat(pa, 4);
    acc1x0 = madd(a1, b0, acc1x0); acc1x4 = madd(a1, b4, acc1x4);
    const a2 = v128.load32_splat(pa, 8);
    acc2x0 = madd(a2, b0, acc2x0); acc2x4 = madd(a2, b4, acc2x4);
    const a3 = v128.load32_splat(pa, 12);
    acc3x0 = madd(a3, b0, acc3x0); acc3x4 = madd(a3, b4, acc3x4);
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const c1 = c + (ldc << 2);
  const c2 = c1 + (ldc << 2);
  const c3 = c2 + (ldc << 2);
  acc0x0 = f32x4.mul(acc0x0, va); acc0x4 = f32x4.mul(acc0x4, va);
  acc1x0 = f32x4.mul(acc1x0, va); acc1x4 = f32x4.mul(acc1x4, va);
  acc2x0 = f32x4.mul(acc2x0, va); acc2x4 = f32x4.mul(acc2x4, va);
  acc3x0 = f32x4.mul(acc3x0, va); acc3x4 = f32x4.mul(acc3x4, va);
  if (readC) {
    acc0x0 = madd(vb, v128.load(c), acc0x0); acc0x4 = madd(vb, v128.load(c, 16), acc0x4);
    acc1x0 = madd(vb, v128.load(c1), acc1x0); acc1x4 = madd(vb, v128.load(c1, 16), acc1x4);
    acc2x0 = madd(vb, v128.load(c2), acc2x0); acc2x4 = madd(vb, v128.load(c2, 16), acc2x4);
    acc3x0 = madd(vb, v128.load(c3), acc3x0); acc3x4 = madd(vb, v128.load(c3, 16), acc3x4);
  }
  if (bias) {
    const bv0 = v128.load32_splat(bias);
    const bv1 = v128.load32_splat(bias, 4);
    const bv2 = v128.load32_splat(bias, 8);
    const bv3 = v128.load32_splat(bias, 12);
    acc0x0 = f32x4.add(acc0x0, bv0); acc0x4 = f32x4.add(acc0x4, bv0);
    acc1x0 = f32x4.add(acc1x0, bv1); acc1x4 = f32x4.add(acc1x4, bv1);
    acc2x0 = f32x4.add(acc2x0, bv2); acc2x4 = f32x4.add(acc2x4, bv2);
    acc3x0 = f32x4.add(acc3x0, bv3); acc3x4 = f32x4.add(acc3x4, bv3);
  }
  if (relu) {
    const z = f32x4.splat(0);
    acc0x0 = f32x4.max(acc0x0, z); acc0x4 = f32x4.max(acc0x4, z);
    acc1x0 = f32x4.max(acc1x0, z); acc1x4 = f32x4.max(acc1x4, z);
    acc2x0 = f32x4.max(acc2x0, z); acc2x4 = f32x4.max(acc2x4, z);
    acc3x0 = f32x4.max(acc3x0, z); acc3x4 = f32x4.max(acc3x4, z);
  }
  v128.store(c, acc0x0); v128.store(c, acc0x4, 16);
  v128.store(c1, acc1x0); v128.store(c1, acc1x4, 16);
  v128.store(c2, acc2x0); v128.store(c2, acc2x4, 16);
  v128.store(c3, acc3x0); v128.store(c3, acc3x4, 16);
}

/**
 * Edge tile (mr < 4 or nr < 8): the full 4x8 product goes to a scratch tile (the packers padded
 * with zeros), then only the valid mr x nr corner is merged into C.
 */
function edge_tile(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mr: i32, nr: i32,
  alpha: f32, beta: f32, readC: bool, bias: usize, relu: bool, tile: usize): void {
  ukernel_4x8(kc, pa, pb, tile, NR, 1, 0, false, 0, false);
  for (let r = 0; r < mr; r++) {
    const crow = c + <usize>r * ldc * 4;
    const b: f32 = bias ? load<f32>(bias + (<usize>r << 2)) : 0;
    for (let j = 0; j < nr; j++) {
      let v = alpha * load<f32>(tile + (<usize>(r * NR + j) << 2));
      if (readC) v += beta * load<f32>(crow + (<usize>j << 2));
      v += b;
      if (relu && !(v > 0)) v = 0;
      store<f32>(crow + (<usize>j << 2), v);
    }
  }
}

/**
 * The blocked driver. packA/packB decide what the operands are (plain, transposed, im2col);
 * bias is per row of C and, like relu, applies after the last K block only.
 */
export function gemm_blocked(M: i32, N: i32, K: i32, alpha: f32, beta: f32,
  packA: PackFn, A: usize, lda: i32, packB: PackFn, B: usize, ldb: i32,
  C: usize, ldc: i32, bias: usize, relu: bool, ws: usize): void {
  const pa = ws;
  const pb = ws + (<usize>(MC * KC) << 2);
  const tile = pb + (<usize>(KC * NC) << 2);
  const ldcu = <usize>ldc;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const first = pc == 0;
      const last = pc + kc >= K;
      const readC = !first || beta != 0;
      const bt: f32 = first ? beta : 1;
      const al: f32 = alpha;
      packB(pb, B, ldb, pc, jc, kc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(pa, A, lda, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pbj = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pai = pa + (<usize>(ir * kc) << 2);
            const c = C + (<usize>(ic + ir) * ldcu + <usize>(jc + jr)) * 4;
            const bi: usize = last && bias ? bias + (<usize>(ic + ir) << 2) : 0;
            const rl = last && relu;
            if (mr == MR && nr == NR) {
              ukernel_4x8(kc, pai, pbj, c, ldcu, al, bt, readC, bi, rl);
            } else {
              edge_tile(kc, pai, pbj, c, ldcu, mr, nr, al, bt, readC, bi, rl, tile);
            }
          }
        }
      }
    }
  }
}

// ---- public entry points: the letters say which operand is stored transposed.

/** C[M,N] = alpha * A[M,K] * B[K,N] + beta * C. ws: gemm_workspace_bytes() bytes, 16-aligned. */
export function gemm_nn(M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, ws: usize): void {
  gemm_blocked(M, N, K, alpha, beta, pack_a_n, A, lda, pack_b_n, B, ldb, C, ldc, 0, false, ws);
}

/** C[M,N] = alpha * A[M,K] * B[N,K]^T + beta * C. */
export function gemm_nt(M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, ws: usize): void {
  gemm_blocked(M, N, K, alpha, beta, pack_a_n, A, lda, pack_b_t, B, ldb, C, ldc, 0, false, ws);
}

/** C[M,N] = alpha * A[K,M]^T * B[K,N] + beta * C. */
export function gemm_tn(M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, ws: usize): void {
  gemm_blocked(M, N, K, alpha, beta, pack_a_t, A, lda, pack_b_n, B, ldb, C, ldc, 0, false, ws);
}

/** C[M,N] = alpha * A[K,M]^T * B[N,K]^T + beta * C. */
export function gemm_tt(M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, ws: usize): void {
  gemm_blocked(M, N, K, alpha, beta, pack_a_t, A, lda, pack_b_t, B, ldb, C, ldc, 0, false, ws);
}
