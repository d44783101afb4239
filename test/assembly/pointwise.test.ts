// Pointwise kernels against test/ref/pointwise.ts (binary_ref, sum_to_ref, unary_fwd_ref,
// unary_bwd_ref): every binary op on broadcasting patterns (rank 5 and 6, size-1 and zero-size
// dims, scalars), sums to broadcast shapes, unary maps and their backward on awkward sizes, the
// polynomial exp/log/tanh/erf against libm on dense grids and special values; both builds.
import { suite } from 'uvu';
import {
  BINARY_OPS,
  UNARY_OPS,
  binary,
  collapse,
  sumTo,
  unaryBackward,
  unaryForward,
  type BinaryOp,
  type UnaryOp,
} from '../../src/runtime/kernels/pointwise.js';
import { activationBackward, activationForward } from '../../src/runtime/kernels/norm.js';
import type { F32Buf } from '../../src/runtime/heap.js';
import type { Runtime } from '../../src/runtime/load.js';
import {
  binary_ref,
  sum_to_ref,
  unary_bwd_ref,
  unary_fwd_ref,
  type UnaryRefOp,
} from '../ref/pointwise.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('pointwise');
const rts = await builds();

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function alloc(rt: Runtime, len: number): F32Buf {
  const b = rt.heap.allocF32(len);
  rt.heap.view(b).fill(NaN);
  return b;
}

/**
 * |got - ref| <= rtol * max(|ref|, floor) element-wise, NaN matching NaN and infinities matching
 * exactly: for functions whose relative accuracy is the point.
 */
function expectRel(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  label: string,
  rtol: number,
  floor = 1e-37
): void {
  if (got.length !== ref.length) throw new Error(`${label}: length ${got.length} != ${ref.length}`);
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    const ok = Number.isNaN(r)
      ? Number.isNaN(g)
      : !Number.isFinite(r)
        ? g === r
        : Math.abs(g - r) <= rtol * Math.max(Math.abs(r), floor);
    if (!ok) {
      throw new Error(
        `${label}: element ${i}: got ${g}, ref ${r}, relative error ` +
          `${(Math.abs(g - r) / Math.max(Math.abs(r), floor)).toExponential(2)} > ${rtol}`
      );
    }
  }
}

/** Data for op: divisors away from 0, positive pow bases, quarter steps so comparisons tie. */
function operandData(op: BinaryOp, which: 'a' | 'b', n: number, seed: number): Float32Array {
  const x = rand(n, seed, -2, 2);
  if (op === 'div' && which === 'b') return x.map((v) => v + Math.sign(v || 1) * 0.25);
  if (op.startsWith('pow') && which === 'a') return x.map((v) => Math.abs(v) + 0.05);
  if (op.startsWith('pow')) return x;
  return x.map((v) => Math.round(v * 4) / 4);
}

// [a shape, b shape]: equal, trailing row, per-channel, scalars, size-1 and zero-size dims, and
// alternating broadcasts that stay 5 and 6 dims after collapsing (the TypeScript outer loop).
const patterns: [number[], number[]][] = [
  [[1], [1]],
  [[3], [3]],
  [[4], [4]],
  [[5], [5]],
  [[17], [17]],
  [[65], [65]],
  [[5, 7], [7]],
  [
    [5, 7],
    [5, 1],
  ],
  [
    [3, 1],
    [1, 33],
  ],
  [
    [2, 3, 4, 5],
    [3, 1, 1],
  ],
  [
    [2, 3, 4, 5],
    [1, 3, 1, 1],
  ],
  [
    [1, 3, 1, 1],
    [2, 3, 4, 5],
  ],
  [[], [3, 4]],
  [[3, 4], []],
  [[1, 1, 1], [1]],
  [
    [2, 1, 3, 1, 5],
    [1, 4, 1, 6, 1],
  ],
  [
    [6, 1, 4, 1, 2, 1],
    [1, 5, 1, 3, 1, 2],
  ],
  [
    [2, 3, 1],
    [1, 3, 17],
  ],
  [[0, 3], [3]],
  [
    [3, 0],
    [1, 1],
  ],
  [
    [2, 1],
    [2, 0],
  ],
];

const binaryOps = Object.keys(BINARY_OPS) as BinaryOp[];

for (const rt of rts) {
  const bl = `[${rt.build}]`;

  for (const op of binaryOps) {
    t(`binary_fwd_bcast4 ${op} on ${patterns.length} broadcasting patterns ${bl}`, () => {
      patterns.forEach(([as, bs], k) => {
        const A = operandData(op, 'a', size(as), 7 * k + 1);
        const B = operandData(op, 'b', size(bs), 7 * k + 2);
        const ref = binary_ref(op, A, as, B, bs);
        const a = put(rt, A),
          b = put(rt, B),
          y = alloc(rt, ref.y.length);
        binary(rt, op, a, as, b, bs, y, ref.shape);
        expectRel(get(rt, y), ref.y, `${op} [${as}] with [${bs}] ${bl}`, 2e-6);
        freeAll(rt, a, b, y);
      });
    });
  }

  t(`binary in place (y aliases a) and pow edge cases ${bl}`, () => {
    const A = rand(33, 5),
      B = rand(33, 6);
    const a = put(rt, A),
      b = put(rt, B);
    binary(rt, 'mul', a, [3, 11], b, [3, 11], a, [3, 11]);
    expectRel(get(rt, a), binary_ref('mul', A, [3, 11], B, [3, 11]).y, `mul in place ${bl}`, 0);
    freeAll(rt, a, b);
    const X = Float32Array.from([0, 0, 0, -8, -2, -2, 2, Infinity, NaN, 1, -1, 0]);
    const P = Float32Array.from([0, -1, 2, 1 / 3, 3, 0.5, -Infinity, -2, 0, NaN, Infinity, 0.5]);
    for (const op of ['pow', 'powGradBase', 'powGradExponent'] as const) {
      const x = put(rt, X),
        p = put(rt, P),
        y = alloc(rt, X.length);
      binary(rt, op, x, [12], p, [12], y, [12]);
      expectRel(get(rt, y), binary_ref(op, X, [12], P, [12]).y, `${op} edge cases ${bl}`, 2e-6);
      freeAll(rt, x, p, y);
    }
  });

  t(`sum_to_bcast4 to broadcast shapes ${bl}`, () => {
    const cases: [number[], number[]][] = [
      [[5, 7], [7]],
      [
        [5, 7],
        [5, 1],
      ],
      [
        [5, 7],
        [1, 1],
      ],
      [[5, 7], []],
      [
        [2, 3, 4, 5],
        [3, 1, 1],
      ],
      [
        [2, 3, 4, 5],
        [1, 3, 1, 1],
      ],
      [
        [2, 3, 4, 5],
        [2, 1, 4, 1],
      ],
      [[2, 3, 4, 5], [5]],
      [
        [2, 3, 4, 5, 6, 7],
        [3, 1, 5, 1, 7],
      ],
      [
        [2, 3, 4, 5, 6, 7],
        [2, 1, 4, 1, 6, 1],
      ],
      [[1031], []],
      [[65], [1]],
      [
        [3, 17],
        [3, 17],
      ],
      [[0, 3], [3]],
      [
        [4, 0],
        [4, 1],
      ],
      [[1, 1], []],
    ];
    cases.forEach(([gs, s], k) => {
      const G = rand(size(gs), 100 + k);
      const g = put(rt, G),
        y = alloc(rt, size(s));
      sumTo(rt, g, gs, y, s);
      expectClose(get(rt, y), sum_to_ref(G, gs, s), `sum_to [${gs}] -> [${s}] ${bl}`, 1e-5, 1);
      freeAll(rt, g, y);
    });
  });

  t(`binary and sumTo reject shapes that do not broadcast ${bl}`, () => {
    const a = put(rt, rand(12, 1)),
      b = put(rt, rand(5, 2)),
      y = alloc(rt, 60);
    expectThrows(
      () => binary(rt, 'add', a, [4, 3], b, [5], y, [4, 3]),
      ['add', '[5]', '[4,3]'],
      'binary bad shapes'
    );
    expectThrows(
      () => binary(rt, 'add', a, [4, 3], b, [1], y, [2, 4, 3]),
      ['add', 'not the broadcast'],
      'binary output too big'
    );
    expectThrows(() => sumTo(rt, a, [4, 3], y, [2]), ['sumToShape', '[2]', '[4,3]'], 'sumTo bad');
    freeAll(rt, a, b, y);
  });
}

t('collapse merges neighbours that broadcast alike and drops size-1 dims', () => {
  const c = collapse(
    [2, 3, 4, 5],
    [
      [2, 3, 4, 5],
      [3, 1, 1],
      [2, 3, 4, 5],
    ]
  );
  if (c.dims.join() !== '2,3,20' || c.strides[1].join() !== '0,1,0') {
    throw new Error(`per-channel: got dims [${c.dims}] b strides [${c.strides[1]}]`);
  }
  const e = collapse(
    [6, 7],
    [
      [6, 7],
      [6, 7],
    ]
  );
  if (e.dims.join() !== '42') throw new Error(`equal shapes: got [${e.dims}]`);
  const s = collapse([1, 1], [[1], [1, 1]]);
  if (s.dims.join() !== '1') throw new Error(`scalar: got [${s.dims}]`);
});

// [op, p0, p1, lo, hi]: the range covers kinks and both branches; log/sqrt/rsqrt positive.
const unaryCases: [UnaryOp, number, number, number, number][] = [
  ['neg', 0, 0, -3, 3],
  ['exp', 0, 0, -20, 20],
  ['log', 0, 0, 1e-3, 50],
  ['sqrt', 0, 0, 0, 9],
  ['rsqrt', 0, 0, 0.01, 9],
  ['abs', 0, 0, -3, 3],
  ['sigmoid', 0, 0, -12, 12],
  ['tanh', 0, 0, -6, 6],
  ['relu', 0, 0, -3, 3],
  ['leakyRelu', 0.2, 0, -3, 3],
  ['hardtanh', -0.5, 2, -4, 4],
  ['hardswish', 0, 0, -5, 5],
  ['hardsigmoid', 0, 0, -5, 5],
  ['gelu', 0, 0, -6, 6],
  ['silu', 0, 0, -12, 12],
  ['softplus', 1, 20, -25, 25],
  ['softplus', 2, 5, -6, 6],
  ['pow', 2, 0, -3, 3],
  ['pow', 3, 0, -3, 3],
  ['pow', 0.5, 0, 0.1, 4],
  ['pow', -0.5, 0, 0.1, 4],
  ['pow', -1, 0, 0.1, 4],
  ['pow', -2, 0, 0.1, 4],
  ['pow', 1.7, 0, 0.1, 4],
  ['pow', 0, 0, -3, 3],
];

const sizes = [1, 3, 4, 5, 7, 17, 33, 65];

for (const rt of rts) {
  const bl = `[${rt.build}]`;
  for (const [op, p0, p1, lo, hi] of unaryCases) {
    t(`unary_fwd/unary_bwd ${op}(${p0},${p1}) n=${sizes.join(',')} ${bl}`, () => {
      const reads = UNARY_OPS[op][1];
      for (const n of sizes) {
        const X = rand(n, n * 31 + 7, lo, hi);
        const G = rand(n, n * 31 + 8);
        const label = `${op}(${p0},${p1}) n=${n} ${bl}`;
        const x = put(rt, X),
          y = alloc(rt, n),
          g = put(rt, G),
          gx = alloc(rt, n);
        unaryForward(rt, op, x, y, n, p0, p1);
        const Y = get(rt, y);
        expectRel(Y, unary_fwd_ref(op as UnaryRefOp, X, p0, p1), `unary_fwd ${label}`, 2e-6, 1e-6);
        unaryBackward(rt, op, reads === 'x' ? x : y, g, gx, n, p0, p1);
        expectClose(
          get(rt, gx),
          unary_bwd_ref(op as UnaryRefOp, X, G, p0, p1),
          `unary_bwd ${label}`,
          2e-6,
          1
        );
        unaryForward(rt, op, x, x, n, p0, p1);
        expectRel(get(rt, x), Y, `unary_fwd in place ${label}`, 0);
        freeAll(rt, x, y, g, gx);
      }
    });
  }

  t(
    `exp, log, tanh, sigmoid, silu, softplus within 4e-7 of libm, gelu 4e-6, dense grids ${bl}`,
    () => {
      const grid = (lo: number, hi: number, n: number): Float32Array =>
        Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
      const logGrid = Float32Array.from({ length: 4001 }, (_, i) => 10 ** (-44 + (82 * i) / 4000));
      const checks: [UnaryOp, Float32Array, number, number][] = [
        ['exp', grid(-103, 88.7, 4001), 0, 0],
        ['log', logGrid, 0, 0],
        ['log', grid(0.5, 2, 4001), 0, 0],
        ['tanh', grid(-12, 12, 4001), 0, 0],
        ['sigmoid', grid(-80, 30, 4001), 0, 0],
        ['silu', grid(-80, 30, 4001), 0, 0],
        ['gelu', grid(-6, 9, 4001), 0, 0],
        ['softplus', grid(-80, 30, 4001), 1, 20],
      ];
      for (const [op, X, p0, p1] of checks) {
        const x = put(rt, X),
          y = alloc(rt, X.length);
        unaryForward(rt, op, x, y, X.length, p0, p1);
        // In gelu's left tail the rounding of x^2 in f32 costs a few 1e-6 relative (PyTorch's
        // 1 + erf(x) form cancels to 0 there).
        const rtol = op === 'gelu' ? 4e-6 : 4e-7;
        expectRel(get(rt, y), unary_fwd_ref(op as UnaryRefOp, X, p0, p1), `${op} grid ${bl}`, rtol);
        freeAll(rt, x, y);
      }
    }
  );

  t(`unary special values: inf, NaN, 0, -0, subnormals, overflow ${bl}`, () => {
    const X = Float32Array.from([
      Infinity,
      -Infinity,
      NaN,
      0,
      -0,
      1e-40,
      -1e-40,
      89,
      -104,
      88.72,
      -87.5,
      1,
      -1,
      3,
      -3,
      6,
    ]);
    const ops: [UnaryOp, number, number][] = [
      ['exp', 0, 0],
      ['log', 0, 0],
      ['tanh', 0, 0],
      ['sigmoid', 0, 0],
      ['relu', 0, 0],
      ['hardtanh', -1, 1],
      ['abs', 0, 0],
      ['sqrt', 0, 0],
      ['gelu', 0, 0],
      ['silu', 0, 0],
      ['softplus', 1, 20],
      ['hardswish', 0, 0],
      ['hardsigmoid', 0, 0],
      ['leakyRelu', 0.01, 0],
    ];
    for (const [op, p0, p1] of ops) {
      const x = put(rt, X),
        y = alloc(rt, X.length);
      unaryForward(rt, op, x, y, X.length, p0, p1);
      const ref = unary_fwd_ref(op as UnaryRefOp, X, p0, p1);
      expectRel(get(rt, y), ref, `${op} special values ${bl}`, 1e-6, 1e-30);
      freeAll(rt, x, y);
    }
  });

  t(`gelu_*/silu_* keep their names and match the unary kernels ${bl}`, () => {
    const n = 33;
    const X = rand(n, 9, -5, 5),
      G = rand(n, 10);
    for (const kind of ['gelu', 'silu'] as const) {
      const x = put(rt, X),
        g = put(rt, G),
        y = alloc(rt, n),
        gx = alloc(rt, n);
      activationForward(rt, kind, x, y, n);
      expectRel(get(rt, y), unary_fwd_ref(kind, X), `${kind}_fwd ${bl}`, 2e-6, 1e-6);
      activationBackward(rt, kind, x, g, gx, n);
      expectClose(get(rt, gx), unary_bwd_ref(kind, X, G), `${kind}_bwd ${bl}`, 2e-6, 1);
      freeAll(rt, x, g, y, gx);
    }
  });
}

t.run();
