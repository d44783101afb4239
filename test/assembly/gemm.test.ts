// gemm_nn/nt/tn/tt against gemm_ref (test/ref/gemm.ts) on sizes around the 4x8 tile and the
// KC/MC/NC blocks, padded leading dimensions, alpha/beta, both builds.
import { suite } from 'uvu';
import { gemm } from '../../src/runtime/kernels/gemm.js';
import { gemm_ref } from '../ref/gemm.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('gemm');
const rts = await builds();

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 1],
  [5, 9, 17],
  [17, 33, 63],
  [65, 63, 33],
  [1, 65, 5],
  [63, 1, 65],
  [129, 17, 257],
  [7, 520, 3],
  [33, 7, 300],
];
const layouts: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

for (const rt of rts) {
  for (const [m, n, k] of shapes) {
    for (const [transA, transB] of layouts) {
      const lay = `${transA ? 't' : 'n'}${transB ? 't' : 'n'}`;
      for (const [alpha, beta, pad] of [
        [1, 0, 0],
        [0.5, -1.25, 3],
      ] as const) {
        const name = `gemm_${lay} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta} ldpad=${pad} [${rt.build}]`;
        t(name, () => {
          const [ar, ac] = transA ? [k, m] : [m, k];
          const [br, bc] = transB ? [n, k] : [k, n];
          const lda = ac + pad,
            ldb = bc + pad,
            ldc = n + pad;
          const A = rand(ar * lda, m * 7 + n),
            B = rand(br * ldb, k * 13 + 1),
            C = rand(m * ldc, 99);
          if (beta === 0) C.fill(NaN); // beta 0 must not read C
          const a = put(rt, A),
            b = put(rt, B),
            c = put(rt, C);
          gemm(rt, { transA, transB, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc });
          const got = get(rt, c);
          const ref = gemm_ref({
            transA,
            transB,
            m,
            n,
            k,
            alpha,
            beta,
            a: A,
            lda,
            b: B,
            ldb,
            c: C,
            ldc,
          });
          // Compare only the m x n window; padding columns must stay untouched.
          expectClose(
            got.map((v, i) => (i % ldc < n ? v : 0)),
            ref.map((v, i) => (i % ldc < n ? v : 0)),
            name
          );
          for (let i = 0; i < got.length; i++) {
            if (i % ldc >= n && !Object.is(got[i], C[i]))
              throw new Error(`${name}: padding at ${i} changed`);
          }
          freeAll(rt, a, b, c);
        });
      }
    }
  }
}

t('gemm rejects bad arguments, naming them', () => {
  const rt = rts[0];
  const a = put(rt, rand(12, 1)),
    b = put(rt, rand(12, 2)),
    c = put(rt, rand(9, 3));
  expectThrows(() => gemm(rt, { m: 3, n: 3, k: 0, a, b, c }), ['gemm', 'k', '>= 1'], 'k=0');
  expectThrows(() => gemm(rt, { m: -1, n: 3, k: 4, a, b, c }), ['gemm', 'm'], 'm<0');
  expectThrows(
    () => gemm(rt, { m: 3, n: 4, k: 3, a, b, c }),
    ['gemm', 'c holds 9', 'needs 12'],
    'c too small'
  );
  expectThrows(
    () => gemm(rt, { m: 4, n: 3, k: 4, a, b, c: put(rt, rand(12, 4)) }),
    ['gemm', 'a holds 12', 'needs 16'],
    'a too small'
  );
  expectThrows(() => gemm(rt, { m: 3, n: 3, k: 4, a, lda: 2, b, c }), ['gemm', 'lda'], 'lda < k');
  expectThrows(
    () => gemm(rt, { m: 3, n: 3, k: 4, alpha: NaN, a, b, c }),
    ['gemm', 'alpha'],
    'alpha NaN'
  );
});

t.run();
