// Pooling kernels against test/ref/pool.ts (maxpool2d_fwd_ref, maxpool2d_bwd_ref, avgpool2d_*_ref,
// global_avgpool_*_ref, adaptive_*_ref), backward also against central differences of the forward; both builds.
import { suite } from 'uvu';
import type { Runtime } from '../../src/runtime/load.js';
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  adaptiveMaxPool2dBackward,
  adaptiveMaxPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPool2dBackward,
  maxPool2dForward,
  pool2dShape,
  type Pool2dGeometry,
  type Pool2dOptions,
} from '../../src/runtime/kernels/pool.js';
import { numericGrad } from '../fd.js';
import {
  adaptive_avgpool2d_bwd_ref,
  adaptive_avgpool2d_fwd_ref,
  adaptive_maxpool2d_fwd_ref,
  avgpool2d_bwd_ref,
  avgpool2d_fwd_ref,
  global_avgpool_bwd_ref,
  global_avgpool_fwd_ref,
  maxpool2d_bwd_ref,
  maxpool2d_fwd_ref,
} from '../ref/pool.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('pool');
const rts = await builds();

type P = number | [number, number];
// [n, c, h, w, kernel, stride, padding]: 2x2 s2 p0 (its own path) with 0..3 tail outputs and
// odd sizes; 3x3 s2 p1, strides 1..3 with blocks of 4 outputs inside the row and at its edges,
// kernel 1, non-square windows.
const cases: [number, number, number, number, P, P, P][] = [
  [1, 3, 7, 5, 3, 2, 1],
  [1, 1, 1, 1, 1, 1, 0],
  [2, 3, 8, 8, 2, 2, 0],
  [1, 2, 9, 19, 2, 2, 0],
  [3, 2, 5, 7, 2, 2, 0],
  [1, 2, 7, 15, 2, 2, 0],
  [1, 4, 24, 24, 2, 2, 0],
  [2, 3, 7, 7, 3, 2, 1],
  [1, 2, 6, 9, 3, 1, 1],
  [1, 2, 5, 5, 2, 1, 1],
  [1, 1, 4, 6, [2, 3], [1, 2], [1, 1]],
  [2, 2, 33, 17, 3, 3, 0],
  [1, 1, 65, 63, 2, 2, 0],
  [1, 3, 5, 5, 1, 1, 0],
  [1, 3, 6, 6, 1, 2, 0],
  [1, 2, 7, 7, 3, 3, 1],
  [1, 1, 2, 3, 2, 2, 1],
  [1, 5, 3, 17, [3, 1], [2, 1], [1, 0]],
  [1, 2, 9, 21, 3, 2, 1],
  [1, 1, 5, 40, [1, 3], [1, 2], 0],
  [2, 1, 6, 14, 2, 1, 0],
];

const fmtP = (v: P): string => (typeof v === 'number' ? `${v}` : `${v[0]}x${v[1]}`);

/** Distinct values 0.05 apart in shuffled order (no ties; a +-1e-2 nudge never changes a max). */
function distinct(len: number, seed: number, negative: boolean): Float32Array {
  const r = rand(len, seed);
  const order = Array.from({ length: len }, (_, i) => i).sort((a, b) => r[a] - r[b]);
  const out = new Float32Array(len);
  order.forEach((src, rank) => {
    out[src] = negative ? -(rank + 1) * 0.05 : (rank - len / 2) * 0.05;
  });
  return out;
}

function alloc(rt: Runtime, len: number, fillWith = NaN): ReturnType<typeof put> {
  const b = rt.heap.allocF32(len);
  rt.heap.view(b).fill(fillWith);
  return b;
}

function runMax(
  rt: Runtime,
  g: Pool2dGeometry,
  X: Float32Array
): { y: Float32Array; argmax: Int32Array } {
  const ny = g.n * g.c * g.oh * g.ow;
  const x = put(rt, X),
    y = alloc(rt, ny),
    a = alloc(rt, ny);
  maxPool2dForward(rt, g, x, y, a);
  const out = { y: get(rt, y), argmax: Int32Array.from(rt.heap.viewI32(a)) };
  freeAll(rt, x, y, a);
  return out;
}

function runAvg(rt: Runtime, g: Pool2dGeometry, X: Float32Array): Float32Array {
  const x = put(rt, X),
    y = alloc(rt, g.n * g.c * g.oh * g.ow);
  avgPool2dForward(rt, g, x, y);
  const out = get(rt, y);
  freeAll(rt, x, y);
  return out;
}

function expectSameInts(got: Int32Array, ref: Int32Array, label: string): void {
  for (let i = 0; i < ref.length; i++) {
    if (got[i] !== ref[i]) {
      throw new Error(`${label}: argmax element ${i}: got ${got[i]}, ref ${ref[i]}`);
    }
  }
}

for (const rt of rts) {
  for (const [n, c, h, w, k, s, p] of cases) {
    const opts: Pool2dOptions = { kernelSize: k, stride: s, padding: p };
    const g = pool2dShape([n, c, h, w], opts);
    const dims = `n=${n} c=${c} h=${h} w=${w} k=${fmtP(k)} s=${fmtP(s)} p=${fmtP(p)}`;
    const shape = `${dims} [${rt.build}]`;
    const nx = n * c * h * w,
      ny = n * c * g.oh * g.ow;
    const seed = nx * 31 + ny;
    const small = nx <= 160;

    t(`maxpool2d_fwd ${shape}`, () => {
      for (const negative of [false, true]) {
        const X = distinct(nx, seed, negative);
        const got = runMax(rt, g, X);
        const ref = maxpool2d_fwd_ref(X, g);
        expectClose(got.y, ref.y, `maxpool2d_fwd ${shape} negative=${negative}`);
        expectSameInts(got.argmax, ref.argmax, `maxpool2d_fwd ${shape}`);
      }
      // All equal: the first cell of each (clipped) window must win, as in PyTorch.
      const ties = runMax(rt, g, new Float32Array(nx).fill(0.5));
      expectSameInts(
        ties.argmax,
        maxpool2d_fwd_ref(new Float32Array(nx).fill(0.5), g).argmax,
        `maxpool2d_fwd ties ${shape}`
      );
      // All -inf: nothing beats the start, which must be the window's first cell inside the plane.
      const ninf = new Float32Array(nx).fill(-Infinity);
      expectSameInts(
        runMax(rt, g, ninf).argmax,
        maxpool2d_fwd_ref(ninf, g).argmax,
        `maxpool2d_fwd all -inf ${shape}`
      );
    });

    t(`maxpool2d_bwd ${shape}`, () => {
      const X = distinct(nx, seed + 1, false);
      const G = rand(ny, seed + 2);
      const { argmax: A } = maxpool2d_fwd_ref(X, g);
      const go = put(rt, G),
        a = alloc(rt, ny),
        gi = alloc(rt, nx);
      rt.heap.viewI32(a).set(A);
      maxPool2dBackward(rt, g, go, a, gi);
      const got = get(rt, gi);
      freeAll(rt, go, a, gi);
      expectClose(got, maxpool2d_bwd_ref(G, A, g), `maxpool2d_bwd ${shape}`);
      if (small) {
        const fd = numericGrad((xs) => runMax(rt, g, xs).y, X, G);
        expectClose(got, fd, `maxpool2d_bwd vs finite differences ${shape}`, 1e-2);
      }
    });

    for (const countIncludePad of [true, false]) {
      const ga = pool2dShape([n, c, h, w], { ...opts, countIncludePad });
      const name = `${dims} cip=${countIncludePad} [${rt.build}]`;
      t(`avgpool2d_fwd ${name}`, () => {
        const X = rand(nx, seed + 3);
        expectClose(runAvg(rt, ga, X), avgpool2d_fwd_ref(X, ga), `avgpool2d_fwd ${name}`);
      });
      t(`avgpool2d_bwd ${name}`, () => {
        const G = rand(ny, seed + 4);
        const go = put(rt, G),
          gi = alloc(rt, nx);
        avgPool2dBackward(rt, ga, go, gi);
        const got = get(rt, gi);
        freeAll(rt, go, gi);
        expectClose(got, avgpool2d_bwd_ref(G, ga), `avgpool2d_bwd ${name}`);
        if (small) {
          const fd = numericGrad((xs) => runAvg(rt, ga, xs), rand(nx, seed + 5), G);
          expectClose(got, fd, `avgpool2d_bwd vs finite differences ${name}`, 1e-2);
        }
      });
    }
  }

  for (const [n, c, h, w] of [
    [1, 1, 1, 1],
    [1, 3, 1, 5],
    [2, 3, 7, 7],
    [4, 1, 17, 1],
    [2, 2, 63, 65],
    [3, 2, 33, 34],
    [1, 5, 3, 3],
  ]) {
    const shape = `n=${n} c=${c} h=${h} w=${w} [${rt.build}]`;
    const nc = n * c,
      hw = h * w;
    const fwd = (X: Float32Array): Float32Array => {
      const x = put(rt, X),
        y = alloc(rt, nc);
      globalAvgPoolForward(rt, [n, c, h, w], x, y);
      const out = get(rt, y);
      freeAll(rt, x, y);
      return out;
    };
    t(`global_avgpool_fwd ${shape}`, () => {
      const X = rand(nc * hw, hw + 7, 0, 1);
      expectClose(fwd(X), global_avgpool_fwd_ref(X, nc, hw), `global_avgpool_fwd ${shape}`, 1e-5);
    });
    t(`global_avgpool_bwd ${shape}`, () => {
      const G = rand(nc, hw + 8);
      const go = put(rt, G),
        gi = alloc(rt, nc * hw);
      globalAvgPoolBackward(rt, [n, c, h, w], go, gi);
      const got = get(rt, gi);
      freeAll(rt, go, gi);
      expectClose(got, global_avgpool_bwd_ref(G, nc, hw), `global_avgpool_bwd ${shape}`);
      if (nc * hw <= 160) {
        const fd = numericGrad(fwd, rand(nc * hw, hw + 9), G);
        expectClose(got, fd, `global_avgpool_bwd vs finite differences ${shape}`, 1e-2);
      }
    });
  }
}

t('pooling rejects bad arguments, naming them', () => {
  const rt = rts[0];
  const x4 = [1, 2, 6, 6];
  expectThrows(
    () => pool2dShape(x4, { kernelSize: 0 }, 'maxPool2d'),
    ['maxPool2d', 'kernelSize[0]', '>= 1', '[1,2,6,6]'],
    'kernel 0'
  );
  expectThrows(
    () => pool2dShape(x4, { kernelSize: 3, padding: -1 }),
    ['padding[0]', '>= 0'],
    'negative padding'
  );
  expectThrows(
    () => pool2dShape(x4, { kernelSize: [3, 2], padding: [1, 2] }),
    ['padding', 'at most half', '3x2'],
    'padding > k/2'
  );
  expectThrows(() => pool2dShape(x4, { kernelSize: 2, stride: [1, 0] }), ['stride[1]'], 'stride 0');
  expectThrows(
    () => pool2dShape([1, 1, 2, 2], { kernelSize: 3, padding: 0 }),
    ['too small', '3x3', '2x2'],
    'output too small'
  );
  expectThrows(() => pool2dShape([1, 2, 6], { kernelSize: 2 }), ['4-D', '[1,2,6]'], '3-D input');
  expectThrows(
    () => pool2dShape([1, 0, 6, 6], { kernelSize: 2 }),
    ['input.shape[1]'],
    'zero channels'
  );
  expectThrows(
    () => pool2dShape(x4, { kernelSize: [2, 2, 2] as unknown as [number, number] }),
    ['kernelSize', '[h, w]'],
    'kernel triple'
  );
  const g = pool2dShape(x4, { kernelSize: 2 });
  const x = put(rt, rand(72, 1)),
    y = put(rt, rand(18, 2)),
    a = put(rt, rand(18, 3));
  const yShort = put(rt, rand(17, 4)),
    xShort = put(rt, rand(71, 5));
  expectThrows(
    () => maxPool2dForward(rt, g, x, yShort, a),
    ['maxPool2d', 'output holds 17', 'needs 18', '[1,2,3,3]'],
    'output too small'
  );
  expectThrows(
    () => maxPool2dForward(rt, g, x, y, yShort),
    ['maxPool2d', 'argmax holds 17'],
    'argmax too small'
  );
  expectThrows(
    () => maxPool2dForward(rt, g, xShort, y, a),
    ['maxPool2d', 'input holds 71', 'needs 72', '[1,2,6,6]'],
    'input too small'
  );
  expectThrows(
    () => maxPool2dBackward(rt, g, y, a, xShort),
    ['maxPool2d_backward', 'gradIn holds 71'],
    'gradIn too small'
  );
  expectThrows(
    () => avgPool2dForward(rt, g, x, yShort),
    ['avgPool2d', 'output holds 17'],
    'avg output too small'
  );
  expectThrows(
    () => avgPool2dBackward(rt, g, yShort, x),
    ['avgPool2d_backward', 'gradOut holds 17'],
    'avg gradOut too small'
  );
  expectThrows(
    () => maxPool2dForward(rt, { ...g, oh: 4 }, x, y, a),
    ['maxPool2d', 'pool2dShape'],
    'hand-made geometry'
  );
  expectThrows(
    () => globalAvgPoolForward(rt, [1, 2, 6, 6], x, put(rt, [1])),
    ['globalAvgPool', 'output holds 1', 'needs 2'],
    'global output too small'
  );
  expectThrows(
    () => globalAvgPoolBackward(rt, [1, 2, 6, 6], y, xShort),
    ['globalAvgPool_backward', 'gradIn holds 71'],
    'global gradIn too small'
  );
  expectThrows(
    () => maxPool2dForward(rt, g, { ptr: x.ptr + 4, length: 72 }, y, a),
    ['input.ptr', 'aligned'],
    'misaligned'
  );
});

// Adaptive pools: output smaller, larger, equal, not dividing, 1 and long rows (SIMD backward).
for (const rt of rts) {
  for (const [nc, h, w, oh, ow] of [
    [1, 1, 1, 1, 1],
    [2, 7, 9, 3, 4],
    [1, 3, 4, 5, 7],
    [3, 5, 5, 5, 5],
    [1, 6, 6, 4, 4],
    [2, 5, 7, 1, 1],
    [1, 17, 33, 5, 3],
    [1, 2, 65, 2, 2],
    [2, 10, 3, 3, 10],
  ]) {
    const g = { n: 1, c: nc, h, w, oh, ow };
    const ref = { nc, h, w, oh, ow };
    const name = `nc=${nc} h=${h} w=${w} oh=${oh} ow=${ow} [${rt.build}]`;
    const nx = nc * h * w,
      ny = nc * oh * ow;
    const avg = (X: Float32Array): Float32Array => {
      const x = put(rt, X),
        y = alloc(rt, ny);
      adaptiveAvgPool2dForward(rt, g, x, y);
      const out = get(rt, y);
      freeAll(rt, x, y);
      return out;
    };
    const max = (X: Float32Array): { y: Float32Array; argmax: Int32Array } => {
      const x = put(rt, X),
        y = alloc(rt, ny),
        a = alloc(rt, ny);
      adaptiveMaxPool2dForward(rt, g, x, y, a);
      const out = { y: get(rt, y), argmax: Int32Array.from(rt.heap.viewI32(a)) };
      freeAll(rt, x, y, a);
      return out;
    };
    t(`adaptive_avgpool2d ${name}`, () => {
      const X = rand(nx, nx + 1);
      expectClose(avg(X), adaptive_avgpool2d_fwd_ref(X, ref), `adaptive_avgpool2d_fwd ${name}`);
      const G = rand(ny, ny + 2);
      const go = put(rt, G),
        gi = alloc(rt, nx);
      adaptiveAvgPool2dBackward(rt, g, go, gi);
      const got = get(rt, gi);
      freeAll(rt, go, gi);
      expectClose(got, adaptive_avgpool2d_bwd_ref(G, ref), `adaptive_avgpool2d_bwd ${name}`);
      if (nx <= 160)
        expectClose(
          got,
          numericGrad(avg, X, G),
          `adaptive_avgpool2d_bwd vs finite differences ${name}`,
          1e-2
        );
    });
    t(`adaptive_maxpool2d ${name}`, () => {
      const X = distinct(nx, nx + 3, false);
      const got = max(X);
      const r = adaptive_maxpool2d_fwd_ref(X, ref);
      expectClose(got.y, r.y, `adaptive_maxpool2d_fwd ${name}`);
      expectSameInts(got.argmax, r.argmax, `adaptive_maxpool2d_fwd ${name}`);
      const ties = new Float32Array(nx).fill(0.5);
      expectSameInts(
        max(ties).argmax,
        adaptive_maxpool2d_fwd_ref(ties, ref).argmax,
        `adaptive_maxpool2d_fwd ties ${name}`
      );
      const G = rand(ny, ny + 4);
      const go = put(rt, G),
        a = alloc(rt, ny),
        gi = alloc(rt, nx);
      rt.heap.viewI32(a).set(got.argmax);
      adaptiveMaxPool2dBackward(rt, g, go, a, gi);
      const gx = get(rt, gi);
      freeAll(rt, go, a, gi);
      expectClose(
        gx,
        maxpool2d_bwd_ref(G, got.argmax, {
          n: 1,
          c: nc,
          h,
          w,
          kh: 1,
          kw: 1,
          sh: 1,
          sw: 1,
          ph: 0,
          pw: 0,
          oh,
          ow,
        }),
        `adaptive_maxpool2d_bwd ${name}`
      );
      if (nx <= 160)
        expectClose(
          gx,
          numericGrad((xs) => max(xs).y, X, G),
          `adaptive_maxpool2d_bwd vs finite differences ${name}`,
          1e-2
        );
    });
  }
}

t.run();
