// Element-wise kernels against test/ref/elementwise.ts (relu_fwd_ref, relu_bwd_ref, add_ref,
// scale_ref, axpy_ref, bias_*_ref, sum_ref); backward kernels also against finite differences.
import { suite } from 'uvu';
import {
  add,
  axpy,
  biasAddNchw,
  biasAddRows,
  biasGradNchw,
  biasGradRows,
  fill,
  reluBackward,
  reluForward,
  scale,
  sum,
} from '../../src/runtime/kernels/elementwise.js';
import type { F32Buf } from '../../src/runtime/heap.js';
import type { Runtime } from '../../src/runtime/load.js';
import { numericGrad } from '../fd.js';
import {
  add_ref,
  axpy_ref,
  bias_add_nchw_ref,
  bias_add_rows_ref,
  bias_grad_nchw_ref,
  bias_grad_rows_ref,
  relu_bwd_ref,
  relu_fwd_ref,
  scale_ref,
  sum_ref,
} from '../ref/elementwise.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('elementwise');
const rts = await builds();

const sizes = [1, 3, 4, 5, 7, 17, 33, 63, 65, 1031];

function alloc(rt: Runtime, len: number): F32Buf {
  const b = rt.heap.allocF32(len);
  rt.heap.view(b).fill(NaN);
  return b;
}

/** Values at least 0.05 away from 0, so a +-1e-2 nudge never crosses ReLU's kink. */
function awayFromZero(len: number, seed: number): Float32Array {
  return rand(len, seed).map((v) => v + Math.sign(v || 1) * 0.05);
}

for (const rt of rts) {
  const b = `[${rt.build}]`;
  for (const n of sizes) {
    t(`relu_fwd n=${n} ${b}`, () => {
      const X = rand(n, n);
      const x = put(rt, X),
        y = alloc(rt, n);
      reluForward(rt, x, y);
      expectClose(get(rt, y), relu_fwd_ref(X), `relu_fwd n=${n} ${b}`);
      reluForward(rt, x, x);
      expectClose(get(rt, x), relu_fwd_ref(X), `relu_fwd in place n=${n} ${b}`);
      freeAll(rt, x, y);
    });

    t(`relu_bwd n=${n} ${b}`, () => {
      const X = awayFromZero(n, n + 1),
        G = rand(n, n + 2);
      const x = put(rt, X),
        go = put(rt, G),
        gi = alloc(rt, n);
      reluBackward(rt, x, go, gi);
      const got = get(rt, gi);
      expectClose(got, relu_bwd_ref(X, G), `relu_bwd n=${n} ${b}`);
      if (n <= 65) {
        const fwd = (xs: Float32Array): Float32Array => {
          const xb = put(rt, xs),
            yb = alloc(rt, n);
          reluForward(rt, xb, yb);
          const out = get(rt, yb);
          freeAll(rt, xb, yb);
          return out;
        };
        const fd = numericGrad(fwd, X, G);
        expectClose(got, fd, `relu_bwd vs finite differences n=${n} ${b}`, 1e-2);
      }
      freeAll(rt, x, go, gi);
    });

    t(`add scale axpy fill n=${n} ${b}`, () => {
      const A = rand(n, 3 * n),
        B = rand(n, 3 * n + 1);
      const a = put(rt, A),
        bb = put(rt, B),
        y = alloc(rt, n);
      add(rt, a, bb, y);
      expectClose(get(rt, y), add_ref(A, B), `add n=${n} ${b}`);
      scale(rt, a, -1.75, y);
      expectClose(get(rt, y), scale_ref(A, -1.75), `scale n=${n} ${b}`);
      axpy(rt, 0.625, a, bb);
      expectClose(get(rt, bb), axpy_ref(0.625, A, B), `axpy n=${n} ${b}`);
      add(rt, a, a, a);
      expectClose(get(rt, a), add_ref(A, A), `add in place n=${n} ${b}`);
      fill(rt, y, 2.5);
      expectClose(get(rt, y), new Float32Array(n).fill(2.5), `fill n=${n} ${b}`);
      // n shorter than the buffer: the rest is untouched.
      fill(rt, y, -1, n - 1);
      expectClose(get(rt, y), new Float32Array(n).fill(-1).fill(2.5, n - 1), `fill n-1 ${b}`);
      freeAll(rt, a, bb, y);
    });

    t(`sum n=${n} ${b}`, () => {
      const X = rand(n, 5 * n);
      const x = put(rt, X);
      const got = sum(rt, x);
      const ref = sum_ref(X);
      expectClose([got], [ref], `sum n=${n} ${b}`, 1e-5, Math.max(Math.abs(ref), 1e-3));
      freeAll(rt, x);
    });
  }

  t(`sum n=200003 positive, error near one f32 rounding ${b}`, () => {
    const X = rand(200003, 11, 0, 1);
    const x = put(rt, X);
    expectClose([sum(rt, x)], [sum_ref(X)], `sum n=200003 ${b}`, 3e-7);
    freeAll(rt, x);
  });

  for (const [n, c, hw] of [
    [1, 1, 1],
    [2, 3, 5],
    [3, 7, 17],
    [1, 17, 63],
    [5, 4, 1],
    [2, 5, 1100],
    [1, 3, 4],
  ]) {
    const shape = [n, c, hw];
    const name = `n=${n} c=${c} hw=${hw} ${b}`;
    t(`bias_add_nchw ${name}`, () => {
      const Y = rand(n * c * hw, hw),
        Bi = rand(c, c);
      const y = put(rt, Y),
        bias = put(rt, Bi);
      biasAddNchw(rt, y, shape, bias);
      expectClose(get(rt, y), bias_add_nchw_ref(Y, Bi, n, c, hw), `bias_add_nchw ${name}`);
      freeAll(rt, y, bias);
    });
    t(`bias_grad_nchw ${name}`, () => {
      const G = rand(n * c * hw, hw + 1);
      const go = put(rt, G),
        gb = alloc(rt, c);
      biasGradNchw(rt, go, shape, gb);
      const got = get(rt, gb);
      expectClose(got, bias_grad_nchw_ref(G, n, c, hw), `bias_grad_nchw ${name}`, 1e-5);
      if (n * c * hw <= 400) {
        const Y = rand(n * c * hw, 1);
        const fwd = (bs: Float32Array): Float32Array => {
          const yb = put(rt, Y),
            bb = put(rt, bs);
          biasAddNchw(rt, yb, shape, bb);
          const out = get(rt, yb);
          freeAll(rt, yb, bb);
          return out;
        };
        const fd = numericGrad(fwd, rand(c, 2), G);
        expectClose(got, fd, `bias_grad_nchw vs finite differences ${name}`, 1e-2);
      }
      freeAll(rt, go, gb);
    });
  }

  for (const [rows, cols] of [
    [1, 1],
    [3, 5],
    [7, 17],
    [65, 33],
    [64, 10],
    [2, 63],
    [1, 4],
    [300, 7],
  ]) {
    const name = `rows=${rows} cols=${cols} ${b}`;
    t(`bias_add_rows ${name}`, () => {
      const Y = rand(rows * cols, cols),
        Bi = rand(cols, rows);
      const y = put(rt, Y),
        bias = put(rt, Bi);
      biasAddRows(rt, y, [rows, cols], bias);
      expectClose(get(rt, y), bias_add_rows_ref(Y, Bi, rows, cols), `bias_add_rows ${name}`);
      freeAll(rt, y, bias);
    });
    t(`bias_grad_rows ${name}`, () => {
      const G = rand(rows * cols, cols + 1);
      const go = put(rt, G),
        gb = alloc(rt, cols);
      biasGradRows(rt, go, [rows, cols], gb);
      const got = get(rt, gb);
      expectClose(got, bias_grad_rows_ref(G, rows, cols), `bias_grad_rows ${name}`, 1e-5);
      if (rows * cols <= 400) {
        const Y = rand(rows * cols, 1);
        const fwd = (bs: Float32Array): Float32Array => {
          const yb = put(rt, Y),
            bb = put(rt, bs);
          biasAddRows(rt, yb, [rows, cols], bb);
          const out = get(rt, yb);
          freeAll(rt, yb, bb);
          return out;
        };
        const fd = numericGrad(fwd, rand(cols, 2), G);
        expectClose(got, fd, `bias_grad_rows vs finite differences ${name}`, 1e-2);
      }
      freeAll(rt, go, gb);
    });
  }
}

t('element-wise kernels reject bad arguments, naming them', () => {
  const rt = rts[0];
  const x = put(rt, rand(8, 1)),
    y = put(rt, rand(5, 2)),
    bias = put(rt, rand(2, 3));
  expectThrows(
    () => reluForward(rt, x, y),
    ['relu', 'output holds 5', 'needs 8'],
    'relu output too small'
  );
  expectThrows(() => reluForward(rt, x, y, -1), ['relu', 'n', '>= 0', '-1'], 'negative n');
  expectThrows(
    () => reluBackward(rt, x, y, x),
    ['relu_backward', 'gradOut holds 5'],
    'relu gradOut too small'
  );
  expectThrows(() => add(rt, x, y, x), ['add', 'b holds 5'], 'add b too small');
  expectThrows(() => scale(rt, x, NaN, x), ['scale', 'alpha', 'NaN'], 'scale alpha NaN');
  expectThrows(() => axpy(rt, 1, x, y), ['axpy', 'y holds 5'], 'axpy y too small');
  expectThrows(() => sum(rt, x, 9), ['sum', 'input holds 8', 'needs 9'], 'sum n > length');
  expectThrows(
    () => biasAddNchw(rt, x, [1, 3, 2, 2], bias),
    ['biasAdd', 'output holds 8', '[1,3,2,2]'],
    'bias add output too small'
  );
  expectThrows(
    () => biasAddNchw(rt, x, [2, 4], bias),
    ['biasAdd', 'bias holds 2', 'needs 4'],
    'bias too small'
  );
  expectThrows(
    () => biasAddNchw(rt, x, [2, 0, 2], bias),
    ['biasAdd', 'output.shape[1]'],
    'zero channels'
  );
  expectThrows(
    () => biasAddRows(rt, x, [2, 2, 2], bias),
    ['biasAdd', '2-D', '[2,2,2]'],
    'rows shape 3-D'
  );
  expectThrows(
    () => biasGradRows(rt, x, [2, 4], bias),
    ['biasAdd_backward', 'gradBias holds 2', 'needs 4'],
    'gradBias too small'
  );
  expectThrows(
    () => biasGradNchw(rt, y, [2, 2, 2], bias),
    ['biasAdd_backward', 'gradOut holds 5', 'needs 8'],
    'gradOut too small'
  );
  expectThrows(() => fill(rt, y, 1, 6), ['fill', 'output holds 5', 'needs 6'], 'fill n > length');
});

t.run();
