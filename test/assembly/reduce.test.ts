// Reduction and softmax kernels (assembly/reduce.ts) against test/ref/reduce.ts (reduce_sum_ref,
// reduce_extreme_ref, reduce_extreme_bwd_ref, reduce_index_bwd_ref, reduce_mean_var_ref,
// reduce_var_bwd_ref, softmax_ref, softmax_bwd_ref) on [outer, R, inner] shapes, both builds.
import { suite } from 'uvu';
import {
  reduceExtreme,
  reduceExtremeBackward,
  reduceIndexBackward,
  reduceMeanVar,
  reduceSum,
  reduceVarBackward,
  softmaxBackward,
  softmaxForward,
  type Ori,
} from '../../src/runtime/kernels/reduce.js';
import type { F32Buf } from '../../src/runtime/heap.js';
import type { Runtime } from '../../src/runtime/load.js';
import {
  reduce_extreme_bwd_ref,
  reduce_extreme_ref,
  reduce_index_bwd_ref,
  reduce_mean_var_ref,
  reduce_sum_ref,
  reduce_var_bwd_ref,
  softmax_bwd_ref,
  softmax_ref,
} from '../ref/reduce.js';
import { builds, expectClose, freeAll, get, put, rand } from '../util.js';

const t = suite('reduce kernels');
const rts = await builds();

const shapes: Ori[] = [
  [1, 1, 1],
  [1, 3, 1],
  [2, 4, 1],
  [3, 5, 1],
  [2, 16, 1],
  [2, 17, 1],
  [1, 20, 1],
  [1, 65, 1],
  [3, 1031, 1],
  [2, 3, 2],
  [1, 4, 3],
  [2, 3, 4],
  [3, 7, 5],
  [2, 5, 17],
  [1, 33, 8],
  [2, 1, 9],
  [1, 6, 65],
];

function alloc(rt: Runtime, len: number): F32Buf {
  const b = rt.heap.allocF32(len);
  rt.heap.view(b).fill(NaN);
  return b;
}

/** Values on a coarse grid so ties occur. */
function grid(n: number, seed: number): Float32Array {
  return rand(n, seed).map((v) => Math.round(v * 3) / 2);
}

for (const rt of rts) {
  const b = `[${rt.build}]`;
  for (const d of shapes) {
    const [o, r, i] = d;
    const name = `outer=${o} R=${r} inner=${i} ${b}`;
    const n = o * r * i;

    t(`reduce_sum ${name}`, () => {
      const X = rand(n, n + 1);
      const x = put(rt, X),
        y = alloc(rt, o * i);
      reduceSum(rt, x, y, d);
      expectClose(get(rt, y), reduce_sum_ref(X, d), `reduce_sum ${name}`, 1e-6, 1);
      freeAll(rt, x, y);
    });

    for (const kind of ['max', 'min'] as const) {
      t(`reduce_${kind} and its backward with ties ${name}`, () => {
        const X = grid(n, n + 2);
        const G = rand(o * i, n + 3);
        const x = put(rt, X),
          y = alloc(rt, o * i),
          idx = alloc(rt, o * i),
          gy = put(rt, G);
        reduceExtreme(rt, kind, x, y, idx, d);
        const ref = reduce_extreme_ref(X, d, kind === 'max');
        expectClose(get(rt, y), ref.y, `reduce_${kind} values ${name}`, 0);
        expectClose(get(rt, idx), ref.idx, `reduce_${kind} indices ${name}`, 0);
        const gx = alloc(rt, n);
        reduceExtremeBackward(rt, x, y, gy, gx, d);
        expectClose(
          get(rt, gx),
          reduce_extreme_bwd_ref(X, ref.y, G, d),
          `extreme_bwd ${name}`,
          1e-6
        );
        reduceIndexBackward(rt, idx, gy, gx, d);
        expectClose(get(rt, gx), reduce_index_bwd_ref(ref.idx, G, d), `index_bwd ${name}`, 0);
        freeAll(rt, x, y, idx, gy, gx);
      });
    }

    t(`reduce_mean_var and var backward ${name}`, () => {
      const X = rand(n, n + 4, 2, 3);
      const x = put(rt, X),
        m = alloc(rt, o * i),
        v = alloc(rt, o * i);
      for (const corr of [0, 1]) {
        reduceMeanVar(rt, x, m, v, d, corr);
        const ref = reduce_mean_var_ref(X, d, corr);
        expectClose(get(rt, m), ref.mean, `mean ${name}`, 1e-6);
        if (r > corr) expectClose(get(rt, v), ref.vr, `var correction=${corr} ${name}`, 1e-5);
      }
      const S = rand(o * i, n + 5);
      const s = put(rt, S),
        gx = alloc(rt, n);
      reduceVarBackward(rt, x, m, s, gx, d);
      expectClose(get(rt, gx), reduce_var_bwd_ref(X, get(rt, m), S, d), `var_bwd ${name}`, 1e-5);
      freeAll(rt, x, m, v, s, gx);
    });

    for (const log of [false, true]) {
      const op = log ? 'log_softmax' : 'softmax';
      t(`${op} forward and backward ${name}`, () => {
        const X = rand(n, n + 6, -8, 8);
        const G = rand(n, n + 7);
        const x = put(rt, X),
          y = alloc(rt, n),
          gy = put(rt, G),
          gx = alloc(rt, n);
        softmaxForward(rt, x, y, d, log);
        const Y = get(rt, y);
        expectClose(Y, softmax_ref(X, d, log), `${op} ${name}`, 1e-5, log ? undefined : 1e-3);
        softmaxBackward(rt, y, gy, gx, d, log);
        expectClose(get(rt, gx), softmax_bwd_ref(Y, G, d, log), `${op}_bwd ${name}`, 1e-5, 1);
        freeAll(rt, x, y, gy, gx);
      });
    }
  }

  t(`max/min propagate NaN with its first index; softmax keeps -inf at 0 ${b}`, () => {
    for (const d of [
      [1, 9, 1],
      [1, 9, 4],
    ] as Ori[]) {
      const X = rand(9 * d[2], 3);
      X[5 * d[2]] = NaN;
      X[7 * d[2]] = NaN;
      const x = put(rt, X),
        y = alloc(rt, d[2]),
        idx = alloc(rt, d[2]);
      reduceExtreme(rt, 'max', x, y, idx, d);
      const ref = reduce_extreme_ref(X, d, true);
      if (!Number.isNaN(get(rt, y)[0]) || get(rt, idx)[0] !== 5) {
        throw new Error(`max NaN ${d}: got ${get(rt, y)[0]} at ${get(rt, idx)[0]}`);
      }
      expectClose(get(rt, idx), ref.idx, `max NaN indices [${d}] ${b}`, 0);
      freeAll(rt, x, y, idx);
    }
    const X = Float32Array.from([0, -Infinity, 1, -Infinity, 2, -200]);
    const x = put(rt, X),
      y = alloc(rt, 6);
    softmaxForward(rt, x, y, [1, 6, 1]);
    expectClose(get(rt, y), softmax_ref(X, [1, 6, 1], false), `softmax -inf ${b}`, 1e-6);
    freeAll(rt, x, y);
    // A NaN anywhere in a row (the row max may skip it) makes the whole row NaN, as in PyTorch.
    for (const at of [0, 3, 17, 36]) {
      const R = rand(37, 4);
      R[at] = NaN;
      const xr = put(rt, R),
        yr = alloc(rt, 37);
      softmaxForward(rt, xr, yr, [1, 37, 1]);
      const out = [...get(rt, yr)];
      if (!out.every(Number.isNaN))
        throw new Error(`softmax NaN at ${at}: ${out.slice(0, 5)} ${b}`);
      freeAll(rt, xr, yr);
    }
  });
}

t.run();
